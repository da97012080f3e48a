/* A randomized model check of the reaper's order (docs/REGISTRY.md, "What happens when").
 *
 * Thousands of seeded operations (add, get, pin, unpin, replace, compress, release, remove,
 * and reaper steps) run against the registry and, side by side, against a plain model of
 * the documented behaviour: each reaper step is chosen by scanning every resource (drop a raw
 * copy, then compress, then release; within a step release priority, types without a rule
 * last, then least recently used; pinned skipped; min_required kept; compress_before_release
 * compresses a raw resource instead; a resource that fails is not retried in the pass).
 * `cmz_registry_reap(reg, 1)` makes exactly one step that frees memory (every step here
 * frees: the data compresses), so after each the registry's state must be the model's.
 * Snapshots are off (their eviction is tested in test_snapshot.c) and the budget is large, so
 * the reaper works only when asked. */
#include "testutil.h"

#include "cmz/registry.h"
#include "memory/internal.h" /* cmz__lru_check */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_RES 128 /* slots; a slot is used again after its resource left */
#define OPS 6000

/* alpha and beta share a priority (their resources mix in LRU order); eps and zeta have no
 * rule (never released, compressed last). */
static const char *const RULES = "releasable_resources:\n"
                                 "  alpha:\n    priority: 1\n    max_retain_time: 3600\n"
                                 "    min_required: 2\n"
                                 "  beta:\n    priority: 1\n    max_retain_time: 3600\n"
                                 "    compress_before_release: true\n"
                                 "  gamma:\n    priority: 2\n    max_retain_time: 3600\n"
                                 "  delta:\n    priority: 5\n    max_retain_time: 3600\n"
                                 "    min_required: 1\n    compress_before_release: true\n";

typedef struct {
    const char *name;
    unsigned priority; /* 0: no rule */
    unsigned min_required;
    bool cbr;
} model_type;

static const model_type TYPES[] = {
    {"alpha", 1, 2, false}, {"beta", 1, 0, true}, {"gamma", 2, 0, false},
    {"delta", 5, 1, true},  {"eps", 0, 0, false}, {"zeta", 0, 0, false},
};
#define NTYPES (sizeof TYPES / sizeof TYPES[0])

typedef enum { BYTES, CUSTOM, BAD } kind; /* BAD: a custom resource whose serialize fails */

typedef struct {
    bool live;
    char id[64];
    size_t type;
    kind kind;
    size_t size;
    bool raw, frame;
    unsigned pins;
    uint64_t seq; /* order of last use */
} model_res;

typedef struct {
    model_res res[MAX_RES];
    size_t n; /* slots used (live or not) */
    size_t added;
    uint64_t seq;
    cmz_registry *reg;
    uint64_t rng;
    char released[64]; /* the last on_release id */
    unsigned releases;
} model;

/* ---- custom objects: a length and the bytes ---- */

typedef struct {
    size_t size;
    uint8_t bytes[];
} object;

static object *object_new(size_t size, uint64_t seed) {
    object *o = malloc(sizeof *o + size);
    o->size = size;
    for (size_t i = 0; i < size; i++) o->bytes[i] = (uint8_t)("abcabcabd"[(i + seed) % 9]);
    return o;
}
static size_t obj_size(void *o) { return ((object *)o)->size; }
static int obj_serialize(void *o, void *dst, size_t size) {
    memcpy(dst, ((object *)o)->bytes, size);
    return 0;
}
static int obj_serialize_fails(void *o, void *dst, size_t size) {
    (void)o, (void)dst, (void)size;
    return -1;
}
static int obj_restore(const void *bytes, size_t size, void **out) {
    object *o = malloc(sizeof *o + size);
    o->size = size;
    memcpy(o->bytes, bytes, size);
    *out = o;
    return 0;
}
static void obj_free(void *o) { free(o); }

static const cmz_resource_ops GOOD_OPS = {obj_size, obj_serialize, obj_restore, obj_free};
static const cmz_resource_ops BAD_OPS = {obj_size, obj_serialize_fails, obj_restore, obj_free};

static void on_release(void *opaque, const char *id, const char *type, uint64_t size) {
    model *m = opaque;
    (void)type, (void)size;
    snprintf(m->released, sizeof m->released, "%s", id);
    m->releases++;
}

/* ---- the model's rules ---- */

static unsigned rank_of(const model_res *r) {
    unsigned p = TYPES[r->type].priority;
    return p ? p : CMZ_RELEASE_PRIORITY_MAX + 1;
}

static size_t live_of_type(const model *m, size_t type) {
    size_t n = 0;
    for (size_t i = 0; i < m->n; i++) n += m->res[i].live && m->res[i].type == type;
    return n;
}

enum { DROP_RAW, COMPRESS, RELEASE };

static bool candidate(const model *m, const model_res *r, int step) {
    if (!r->live || r->pins) return false;
    const model_type *t = &TYPES[r->type];
    switch (step) {
    case DROP_RAW: return r->raw && r->frame;
    case COMPRESS: return r->raw && !r->frame;
    default: return t->priority && live_of_type(m, r->type) > t->min_required;
    }
}

/* The documented choice: an O(n) scan. */
static model_res *reference_victim(model *m, int step, const bool *skipped) {
    model_res *best = NULL;
    for (size_t i = 0; i < m->n; i++) {
        model_res *r = &m->res[i];
        if (skipped[i] || !candidate(m, r, step)) continue;
        if (!best || rank_of(r) < rank_of(best) ||
            (rank_of(r) == rank_of(best) && r->seq < best->seq))
            best = r;
    }
    return best;
}

/* Compressing r in the model; false when its serialize fails. */
static bool model_compress(model_res *r) {
    if (r->kind == BAD) return false;
    r->frame = true;
    if (!r->pins) r->raw = false;
    return true;
}

/* Releasing r in the model as cmz_registry_release / the reaper do; false on failure. */
static bool model_release(model *m, model_res *r, bool *dropped) {
    (void)m;
    *dropped = false;
    if (TYPES[r->type].cbr && r->raw && !r->frame) return model_compress(r);
    r->live = false;
    *dropped = true;
    return true;
}

/* ---- checks ---- */

static void expect_state(model *m, const model_res *r) {
    if (!r->live) {
        if (cmz_registry_contains(m->reg, r->id)) fail_msg("%s should be gone", r->id);
        return;
    }
    cmz_resource_info info;
    cmz_error err;
    if (cmz_registry_info(m->reg, r->id, &info, &err) != CMZ_OK)
        fail_msg("%s should be registered: %s", r->id, err.message);
    bool raw = info.state == CMZ_RESOURCE_RAW;
    bool frame = raw ? info.stored_size > info.raw_size : true;
    if (raw != r->raw || frame != r->frame || info.pins != r->pins)
        fail_msg("%s: registry raw %d frame %d pins %u, model raw %d frame %d pins %u", r->id, raw,
                 frame, info.pins, r->raw, r->frame, r->pins);
}

static void expect_all(model *m) {
    for (size_t i = 0; i < m->n; i++) expect_state(m, &m->res[i]);
    pthread_mutex_lock(&m->reg->mu);
    const char *why = cmz__lru_check(m->reg);
    pthread_mutex_unlock(&m->reg->mu);
    if (why) fail_msg("the reaper's lists: %s", why);
}

/* ---- operations ---- */

static uint64_t pick(model *m, uint64_t n) { return tu_rand(&m->rng) % n; }

static model_res *pick_live(model *m) {
    if (!m->n) return NULL;
    for (int tries = 0; tries < 8; tries++) {
        model_res *r = &m->res[pick(m, m->n)];
        if (r->live) return r;
    }
    return NULL;
}

static void touch(model *m, model_res *r) { r->seq = ++m->seq; }

static model_res *free_slot(model *m) {
    if (m->n < MAX_RES) return &m->res[m->n++];
    for (size_t i = 0; i < m->n; i++)
        if (!m->res[i].live) return &m->res[i];
    return NULL;
}

static void op_add(model *m) {
    model_res *r = free_slot(m);
    if (!r) return;
    memset(r, 0, sizeof *r);
    size_t n = m->added++;
    r->type = (size_t)pick(m, NTYPES);
    r->size = 2048 + (size_t)pick(m, 6144);
    uint64_t k = pick(m, 20);
    r->kind = k < 2 ? BAD : k < 5 ? CUSTOM : BYTES;
    snprintf(r->id, sizeof r->id, "%s:r%zu", TYPES[r->type].name, n);
    cmz_error err;
    cmz_status st;
    if (r->kind == BYTES) {
        uint8_t *data = tu_text(r->size, n);
        st = cmz_registry_add(m->reg, r->id, data, r->size, CMZ_REGISTER_ADOPT, &err);
    } else {
        object *o = object_new(r->size, n);
        st = cmz_registry_add_custom(m->reg, r->id, r->kind == BAD ? &BAD_OPS : &GOOD_OPS, o, &err);
    }
    if (st != CMZ_OK) fail_msg("add %s: %s", r->id, err.message);
    r->live = r->raw = true;
    touch(m, r);
}

static void op_get(model *m, model_res *r) {
    if (r->kind != BYTES) return;
    uint8_t *buf = malloc(r->size);
    size_t got = 0;
    cmz_error err;
    if (cmz_registry_get(m->reg, r->id, buf, r->size, &got, &err) != CMZ_OK)
        fail_msg("get %s: %s", r->id, err.message);
    free(buf);
    touch(m, r);
}

static void op_pin(model *m, model_res *r) {
    cmz_error err;
    if (cmz_registry_pin(m->reg, r->id, NULL, NULL, &err) != CMZ_OK)
        fail_msg("pin %s: %s", r->id, err.message);
    r->pins++;
    r->raw = true; /* restored; the frame stays */
    touch(m, r);
}

static void op_unpin(model *m, model_res *r) {
    cmz_status st = cmz_registry_unpin(m->reg, r->id, NULL);
    assert_int_equal(st, r->pins ? CMZ_OK : CMZ_ERR_INVALID_ARG);
    if (st != CMZ_OK) return;
    r->pins--;
    touch(m, r);
}

static void op_replace(model *m, model_res *r) {
    if (r->kind != BYTES) return;
    uint8_t *data = tu_text(r->size, m->seq + 7);
    cmz_status st = cmz_registry_replace(m->reg, r->id, data, r->size, CMZ_REGISTER_ADOPT, NULL);
    assert_int_equal(st, r->pins ? CMZ_ERR_BUSY : CMZ_OK);
    if (st != CMZ_OK) {
        free(data);
        return;
    }
    r->raw = true;
    r->frame = false;
    touch(m, r);
}

static void op_compress(model *m, model_res *r) {
    cmz_status st = cmz_registry_compress(m->reg, r->id, NULL);
    bool ok = r->frame || model_compress(r);
    assert_int_equal(st == CMZ_OK, ok);
}

static void op_release(model *m, model_res *r) {
    unsigned before = m->releases;
    cmz_status st = cmz_registry_release(m->reg, r->id, NULL);
    if (r->pins) {
        assert_int_equal(st, CMZ_ERR_BUSY);
        return;
    }
    bool dropped;
    bool ok = model_release(m, r, &dropped);
    assert_int_equal(st == CMZ_OK, ok);
    assert_int_equal(m->releases - before, dropped ? 1 : 0);
}

static void op_remove(model *m, model_res *r) {
    cmz_status st = cmz_registry_remove(m->reg, r->id, NULL);
    assert_int_equal(st, r->pins ? CMZ_ERR_BUSY : CMZ_OK);
    if (st == CMZ_OK) r->live = false;
}

/* One reaper step: the model's choice, then the registry's, compared. */
static void op_reap_step(model *m) {
    bool skipped[MAX_RES] = {false};
    model_res *victim = NULL;
    int step = DROP_RAW;
    bool dropped = false;
    for (; step <= RELEASE && !victim; step++) {
        model_res *r;
        while ((r = reference_victim(m, step, skipped))) {
            bool ok = step == DROP_RAW   ? (r->raw = false, true)
                      : step == COMPRESS ? model_compress(r)
                                         : model_release(m, r, &dropped);
            if (ok) {
                victim = r;
                break;
            }
            skipped[r - m->res] = true;
        }
    }
    unsigned before = m->releases;
    uint64_t freed = 0;
    assert_int_equal(cmz_registry_reap(m->reg, 1, &freed, NULL), CMZ_OK);
    if (!victim) {
        assert_int_equal(freed, 0);
    } else {
        assert_true(freed > 0);
        expect_state(m, victim);
    }
    if (dropped) {
        assert_int_equal(m->releases - before, 1);
        assert_string_equal(m->released, victim->id);
    } else {
        assert_int_equal(m->releases, before);
    }
    expect_all(m);
}

static void run(uint64_t seed) {
    model *m = calloc(1, sizeof *m);
    m->rng = seed;
    cmz_release_rules *rules = NULL;
    assert_int_equal(cmz_release_rules_load_string(RULES, strlen(RULES), "rules", &rules, NULL),
                     CMZ_OK);
    cmz_registry_params p = tu_registry_params((uint64_t)1 << 30, 1);
    p.release = rules;
    p.on_release = on_release;
    p.opaque = m;
    m->reg = tu_registry_new(&p);
    cmz_release_rules_free(rules);
    cmz_snapshot_config sc = cmz_snapshot_config_default();
    sc.max_snapshots = 0;
    assert_int_equal(cmz_snapshots_set_config(cmz_registry_snapshots(m->reg), &sc, NULL), CMZ_OK);

    for (int i = 0; i < OPS; i++) {
        uint64_t op = pick(m, 100);
        model_res *r = op < 25 ? NULL : pick_live(m);
        if (op < 25 || !r) op_add(m);
        else if (op < 35) op_get(m, r);
        else if (op < 43) op_pin(m, r);
        else if (op < 53) op_unpin(m, r);
        else if (op < 57) op_replace(m, r);
        else if (op < 62) op_compress(m, r);
        else if (op < 66) op_release(m, r);
        else if (op < 69) op_remove(m, r);
        else op_reap_step(m);
        if (i % 16 == 0) expect_all(m);
    }
    expect_all(m);
    cmz_registry_free(m->reg);
    free(m);
}

static void test_model_seed_1(void **state) {
    (void)state;
    run(1);
}

static void test_model_seed_2(void **state) {
    (void)state;
    run(0x5eed);
}

static void test_model_seed_3(void **state) {
    (void)state;
    run(20261206);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_model_seed_1),
        cmocka_unit_test(test_model_seed_2),
        cmocka_unit_test(test_model_seed_3),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
