/* The resource registry (include/cmz/registry.h): registration and access, automatic
 * compression by the policy's thresholds, the reaper's order and limits, custom resources,
 * statistics, every error path, and concurrent use from 8 threads (run under TSan by
 * `make test-tsan`). Usage is the registry's own bytes (CMZ_USAGE_REGISTRY): exact. */
#include "testutil.h"

#include "cmz/registry.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define MiB ((size_t)1 << 20)

static uint64_t now_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static cmz_registry *make(uint64_t budget) {
    cmz_registry_params p = tu_registry_params(budget, 2);
    return tu_registry_new(&p);
}

static cmz_resource_state state_of(cmz_registry *reg, const char *id) {
    cmz_resource_info info;
    assert_int_equal(cmz_registry_info(reg, id, &info, NULL), CMZ_OK);
    return info.state;
}

static void expect_content(cmz_registry *reg, const char *id, const uint8_t *want, size_t n) {
    uint8_t *got = malloc(n + 1);
    size_t size = 0;
    cmz_error err;
    assert_int_equal(cmz_registry_get(reg, id, got, n, &size, &err), CMZ_OK);
    assert_int_equal(size, n);
    assert_memory_equal(got, want, n);
    free(got);
}

/* ---- registration, access, errors ---- */

static void test_add_get_remove(void **state) {
    (void)state;
    cmz_registry *reg = make((uint64_t)1 << 30);
    uint8_t *text = tu_text(100000, 1);
    cmz_error err;
    assert_int_equal(
        cmz_registry_add(reg, "render_cache:frame1", text, 100000, CMZ_REGISTER_COPY, &err),
        CMZ_OK);
    assert_true(cmz_registry_contains(reg, "render_cache:frame1"));
    expect_content(reg, "render_cache:frame1", text, 100000);
    /* adopt: the registry owns the buffer */
    uint8_t *adopted = tu_random(5000, 2);
    assert_int_equal(
        cmz_registry_add(reg, "temp_buffers:a", adopted, 5000, CMZ_REGISTER_ADOPT, &err), CMZ_OK);
    uint64_t size = 0;
    assert_int_equal(cmz_registry_size(reg, "temp_buffers:a", &size, NULL), CMZ_OK);
    assert_int_equal(size, 5000);
    /* errors */
    assert_int_equal(
        cmz_registry_add(reg, "render_cache:frame1", text, 10, CMZ_REGISTER_COPY, &err),
        CMZ_ERR_EXISTS);
    assert_non_null(strstr(err.message, "already registered"));
    const char *bad[] = {"noColon", ":name", "type:", "1type:x", "ty pe:x", "type:a\nb"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        assert_int_equal(cmz_registry_add(reg, bad[i], text, 10, CMZ_REGISTER_COPY, &err),
                         CMZ_ERR_INVALID_ARG);
        assert_true(strlen(err.message) > 0);
    }
    char longid[400];
    memset(longid, 'a', sizeof longid - 1);
    longid[sizeof longid - 1] = '\0';
    longid[5] = ':';
    assert_int_equal(cmz_registry_add(reg, longid, text, 10, CMZ_REGISTER_COPY, &err),
                     CMZ_ERR_INVALID_ARG);
    assert_int_equal(cmz_registry_add(reg, "t:x", NULL, 10, CMZ_REGISTER_COPY, &err),
                     CMZ_ERR_INVALID_ARG);
    assert_int_equal(cmz_registry_add(reg, "t:x", text, 10, 7, &err), CMZ_ERR_INVALID_ARG);
    uint8_t small[10];
    size_t got = 0;
    assert_int_equal(cmz_registry_get(reg, "render_cache:frame1", small, sizeof small, &got, &err),
                     CMZ_ERR_DST_TOO_SMALL);
    assert_int_equal(got, 100000);
    assert_int_equal(cmz_registry_get(reg, "render_cache:nope", small, sizeof small, &got, &err),
                     CMZ_ERR_NOT_FOUND);
    assert_non_null(strstr(err.message, "render_cache:nope"));
    assert_int_equal(cmz_registry_read_range(reg, "render_cache:frame1", 99990, 11, small, &err),
                     CMZ_ERR_RANGE);
    assert_int_equal(cmz_registry_unpin(reg, "render_cache:frame1", NULL), CMZ_ERR_INVALID_ARG);
    /* pinned: no remove, no replace, no release */
    const void *data = NULL;
    assert_int_equal(cmz_registry_pin(reg, "render_cache:frame1", &data, &got, &err), CMZ_OK);
    assert_memory_equal(data, text, 100000);
    assert_int_equal(cmz_registry_remove(reg, "render_cache:frame1", &err), CMZ_ERR_BUSY);
    assert_int_equal(cmz_registry_release(reg, "render_cache:frame1", &err), CMZ_ERR_BUSY);
    assert_int_equal(
        cmz_registry_replace(reg, "render_cache:frame1", text, 5, CMZ_REGISTER_COPY, &err),
        CMZ_ERR_BUSY);
    assert_int_equal(cmz_registry_unpin(reg, "render_cache:frame1", NULL), CMZ_OK);
    assert_int_equal(
        cmz_registry_replace(reg, "render_cache:frame1", text + 7, 500, CMZ_REGISTER_COPY, &err),
        CMZ_OK);
    expect_content(reg, "render_cache:frame1", text + 7, 500);
    assert_int_equal(cmz_registry_remove(reg, "render_cache:frame1", &err), CMZ_OK);
    assert_false(cmz_registry_contains(reg, "render_cache:frame1"));
    assert_int_equal(cmz_registry_remove(reg, "render_cache:frame1", &err), CMZ_ERR_NOT_FOUND);
    cmz_registry_free(reg);
    free(text);
}

/* ---- automatic compression: exactly at the policy's thresholds ---- */

static void test_auto_compress_threshold(void **state) {
    (void)state;
    cmz_registry *reg = make((uint64_t)1 << 34);
    cmz_policy *pol = cmz_policy_new_default();
    const cmz_policy_entry *e = cmz_policy_get(pol, "subtitle"); /* auto, 1 MB */
    assert_true(e->auto_compress);
    size_t at = (size_t)e->threshold;
    uint8_t *text = tu_text(at + 1, 3);
    cmz_error err;
    assert_int_equal(cmz_registry_add(reg, "subtitle:below", text, at - 1, CMZ_REGISTER_COPY, &err),
                     CMZ_OK);
    assert_int_equal(cmz_registry_add(reg, "subtitle:at", text, at, CMZ_REGISTER_COPY, &err),
                     CMZ_OK);
    assert_int_equal(state_of(reg, "subtitle:below"), CMZ_RESOURCE_RAW);
    assert_int_equal(state_of(reg, "subtitle:at"), CMZ_RESOURCE_COMPRESSED);
    /* model_weights: auto_compress false whatever the size */
    assert_false(cmz_policy_get(pol, "model_weights")->auto_compress);
    assert_int_equal(cmz_registry_add(reg, "model_weights:w", text, at, CMZ_REGISTER_COPY, &err),
                     CMZ_OK);
    assert_int_equal(state_of(reg, "model_weights:w"), CMZ_RESOURCE_RAW);
    /* an unknown type follows `default` (auto_compress false) */
    assert_int_equal(cmz_registry_add(reg, "whatever:x", text, at, CMZ_REGISTER_COPY, &err),
                     CMZ_OK);
    assert_int_equal(state_of(reg, "whatever:x"), CMZ_RESOURCE_RAW);
    /* transparent access: whole, and a range from the compressed form */
    expect_content(reg, "subtitle:at", text, at);
    assert_int_equal(state_of(reg, "subtitle:at"), CMZ_RESOURCE_COMPRESSED);
    uint8_t part[1000];
    assert_int_equal(cmz_registry_read_range(reg, "subtitle:at", at - 1000, 1000, part, &err),
                     CMZ_OK);
    assert_memory_equal(part, text + at - 1000, 1000);
    /* pin makes it raw, and it stays raw (with its frame) until the reaper drops the copy */
    const void *data;
    size_t size;
    assert_int_equal(cmz_registry_pin(reg, "subtitle:at", &data, &size, &err), CMZ_OK);
    assert_int_equal(size, at);
    assert_memory_equal(data, text, at);
    assert_int_equal(state_of(reg, "subtitle:at"), CMZ_RESOURCE_RAW);
    assert_int_equal(cmz_registry_unpin(reg, "subtitle:at", NULL), CMZ_OK);
    cmz_registry_type_stats total;
    assert_int_equal(cmz_registry_stats(reg, &total, NULL, 0, NULL, NULL), CMZ_OK);
    assert_int_equal(total.resources, 4);
    assert_true(total.compressed >= 1);
    assert_true(total.restored >= 2);
    cmz_policy_free(pol);
    cmz_registry_free(reg);
    free(text);
}

/* ---- the reaper ---- */

typedef struct {
    char ids[64][64];
    size_t n;
    int pressure_calls, last_level;
} record;

static void on_release(void *opaque, const char *id, const char *type, uint64_t size) {
    (void)type, (void)size;
    record *rec = opaque;
    if (rec->n < 64) snprintf(rec->ids[rec->n++], 64, "%s", id);
}

static void on_pressure(void *opaque, cmz_pressure level, uint64_t usage, uint64_t budget) {
    (void)usage, (void)budget;
    record *rec = opaque;
    rec->pressure_calls++;
    rec->last_level = (int)level;
}

/* Random bytes do not compress: the reaper has to release. Order: priority 1 first
 * (model_shards, keeping min_required = 2), LRU within; pinned never; stops under the mark. */
static void test_reaper_order(void **state) {
    (void)state;
    record rec;
    memset(&rec, 0, sizeof rec);
    cmz_registry_params p = cmz_registry_params_default();
    p.budget = 100 * MiB;
    p.usage = CMZ_USAGE_REGISTRY;
    p.check_interval_ms = 0;
    p.threads = 2;
    p.reserve = UINT64_MAX;
    p.on_release = on_release;
    p.on_pressure = on_pressure;
    p.opaque = &rec;
    cmz_error err;
    cmz_registry *reg = cmz_registry_new(&p, &err);
    assert_non_null(reg);
    /* the release order alone: snapshots (tests/memory/test_snapshot.c) would hold the
     * released random bytes and count in the usage */
    cmz_snapshot_config sc = cmz_snapshot_config_default();
    sc.max_snapshots = 0;
    assert_int_equal(cmz_snapshots_set_config(cmz_registry_snapshots(reg), &sc, &err), CMZ_OK);
    uint8_t *rnd = tu_random(10 * MiB, 9);
    /* 7 resources of 10 MiB: 70 MiB, under the warning mark (75) */
    const char *ids[] = {"model_shards:s1", "model_shards:s2", "model_shards:s3", "model_shards:s4",
                         "temp_buffers:t1", "render_cache:r1", "whatever:x"};
    for (size_t i = 0; i < 7; i++)
        assert_int_equal(cmz_registry_add(reg, ids[i], rnd, 10 * MiB, CMZ_REGISTER_COPY, &err),
                         CMZ_OK);
    assert_int_equal(rec.n, 0);
    /* s1 is the least recently used shard but pinned; s2 is touched last */
    const void *data;
    size_t size;
    assert_int_equal(cmz_registry_pin(reg, "model_shards:s1", &data, &size, &err), CMZ_OK);
    uint8_t tmp[16];
    assert_int_equal(cmz_registry_read_range(reg, "model_shards:s2", 0, 16, tmp, &err), CMZ_OK);
    /* 10 more MiB: 80 > 75 before it lands, so room is made first */
    assert_int_equal(
        cmz_registry_add(reg, "subtitle_index:i", rnd, 10 * MiB, CMZ_REGISTER_COPY, &err), CMZ_OK);
    assert_true(cmz_registry_usage(reg) < 75 * MiB);
    /* priority 1 first, LRU: s3 (s1 pinned, s2 recent) */
    assert_true(rec.n >= 1);
    assert_string_equal(rec.ids[0], "model_shards:s3");
    assert_true(cmz_registry_contains(reg, "model_shards:s1"));
    /* reap 30 MiB more (70 -> 40): shards go down to min_required (2); then render_cache
     * (priority 2, compress_before_release): compressed first (random: no gain), then, still
     * over, released; then temp_buffers (3), which reaches the target. */
    uint64_t freed = 0;
    assert_int_equal(cmz_registry_reap(reg, 30 * MiB, &freed, &err), CMZ_OK);
    assert_true(freed >= 30 * MiB);
    size_t shards = 0;
    for (size_t i = 0; i < 4; i++) shards += cmz_registry_contains(reg, ids[i]);
    assert_int_equal(shards, 2);
    assert_true(cmz_registry_contains(reg, "model_shards:s1")); /* pinned */
    assert_false(cmz_registry_contains(reg, "temp_buffers:t1"));
    assert_false(cmz_registry_contains(reg, "render_cache:r1"));
    assert_true(cmz_registry_contains(reg, "whatever:x"));       /* no rule: never released */
    assert_true(cmz_registry_contains(reg, "subtitle_index:i")); /* priority 6: not reached */
    assert_int_equal(rec.n, 4);
    assert_string_equal(rec.ids[1], "model_shards:s4"); /* s2 was used more recently */
    assert_string_equal(rec.ids[2], "render_cache:r1");
    assert_string_equal(rec.ids[3], "temp_buffers:t1");
    assert_int_equal(cmz_registry_unpin(reg, "model_shards:s1", NULL), CMZ_OK);
    cmz_registry_free(reg);
    free(rnd);
}

/* Compressible data: under pressure the reaper compresses and releases nothing. The type
 * compresses text well (audio_cache's rule names file_cache, zstd-3); model shards would use
 * model_weights (rans over float planes), which is not made for text. */
static void test_reaper_compresses_first(void **state) {
    (void)state;
    record rec;
    memset(&rec, 0, sizeof rec);
    cmz_registry_params p = cmz_registry_params_default();
    p.budget = 16 * MiB;
    p.usage = CMZ_USAGE_REGISTRY;
    p.check_interval_ms = 0;
    p.reserve = UINT64_MAX;
    p.on_release = on_release;
    p.on_pressure = on_pressure;
    p.opaque = &rec;
    cmz_error err;
    cmz_registry *reg = cmz_registry_new(&p, &err);
    assert_non_null(reg);
    uint8_t *text = tu_text(4 * MiB, 5);
    char id[64];
    for (int i = 0; i < 6; i++) { /* 24 MiB of text into 16 MiB */
        snprintf(id, sizeof id, "audio_cache:t%d", i);
        assert_int_equal(cmz_registry_add(reg, id, text, 4 * MiB, CMZ_REGISTER_COPY, &err), CMZ_OK);
        assert_true(cmz_registry_usage(reg) <= 12 * MiB + 4 * MiB);
    }
    assert_int_equal(rec.n, 0);
    for (int i = 0; i < 6; i++) {
        snprintf(id, sizeof id, "audio_cache:t%d", i);
        expect_content(reg, id, text, 4 * MiB);
    }
    cmz_pressure level;
    assert_int_equal(cmz_registry_check(reg, &level, &err), CMZ_OK);
    assert_true(cmz_registry_usage(reg) < 12 * MiB);
    cmz_registry_free(reg);
    free(text);
}

/* ---- custom resources ---- */

typedef struct {
    size_t n;
    uint8_t *bytes;
} blob;
static int frees;
static size_t blob_size(void *o) { return ((blob *)o)->n; }
static int blob_serialize(void *o, void *dst, size_t n) {
    memcpy(dst, ((blob *)o)->bytes, n);
    return 0;
}
static int blob_restore(const void *bytes, size_t n, void **out) {
    blob *b = malloc(sizeof *b);
    b->n = n;
    b->bytes = malloc(n);
    memcpy(b->bytes, bytes, n);
    *out = b;
    return 0;
}
static int fail_serialize(void *o, void *dst, size_t n) {
    (void)o, (void)dst, (void)n;
    return -1;
}
static void blob_free(void *o) {
    blob *b = o;
    frees++;
    free(b->bytes);
    free(b);
}

static void test_custom(void **state) {
    (void)state;
    cmz_registry *reg = make((uint64_t)1 << 34);
    cmz_resource_ops ops = {blob_size, blob_serialize, blob_restore, blob_free};
    void *orig;
    uint8_t *text = tu_text(300000, 8);
    blob_restore(text, 300000, &orig);
    free(text);
    uint8_t *want = malloc(300000);
    memcpy(want, ((blob *)orig)->bytes, 300000);
    cmz_error err;
    cmz_resource_ops bad = ops;
    bad.restore = NULL;
    assert_int_equal(cmz_registry_add_custom(reg, "audio_cache:a", &bad, orig, &err),
                     CMZ_ERR_INVALID_ARG);
    assert_int_equal(cmz_registry_add_custom(reg, "audio_cache:a", &ops, orig, &err), CMZ_OK);
    frees = 0;
    assert_int_equal(cmz_registry_compress(reg, "audio_cache:a", &err), CMZ_OK);
    assert_int_equal(frees, 1); /* the object was freed after serializing */
    assert_int_equal(state_of(reg, "audio_cache:a"), CMZ_RESOURCE_COMPRESSED);
    const void *obj;
    size_t size;
    assert_int_equal(cmz_registry_pin(reg, "audio_cache:a", &obj, &size, &err), CMZ_OK);
    assert_int_equal(((const blob *)obj)->n, 300000);
    assert_memory_equal(((const blob *)obj)->bytes, want, 300000);
    uint8_t tmp[8];
    assert_int_equal(cmz_registry_get(reg, "audio_cache:a", tmp, sizeof tmp, &size, &err),
                     CMZ_ERR_INVALID_ARG);
    assert_int_equal(cmz_registry_unpin(reg, "audio_cache:a", NULL), CMZ_OK);
    /* a failing serialize leaves it raw and intact */
    void *o2;
    blob_restore(want, 1000, &o2);
    cmz_resource_ops failing = ops;
    failing.serialize = fail_serialize;
    assert_int_equal(cmz_registry_add_custom(reg, "audio_cache:b", &failing, o2, &err), CMZ_OK);
    assert_int_equal(cmz_registry_compress(reg, "audio_cache:b", &err), CMZ_ERR_GENERIC);
    assert_non_null(strstr(err.message, "serialize"));
    assert_int_equal(state_of(reg, "audio_cache:b"), CMZ_RESOURCE_RAW);
    cmz_registry_free(reg); /* frees both objects through blob_free */
    free(want);
}

/* ---- a failed allocation leaves everything intact ---- */

static size_t fail_after;
static void *failing_alloc(void *opaque, size_t n) {
    (void)opaque;
    if (fail_after == 0) return NULL;
    fail_after--;
    return malloc(n);
}
static void plain_free(void *opaque, void *p) {
    (void)opaque;
    free(p);
}

static void test_alloc_failure(void **state) {
    (void)state;
    uint8_t *text = tu_text(3 * MiB, 4);
    cmz_allocator failing = {failing_alloc, plain_free, NULL}, plain = {NULL, NULL, NULL};
    size_t ok_runs = 0;
    for (size_t n = 0; n < 400 && ok_runs < 3; n++) {
        cmz_registry *reg = make((uint64_t)1 << 34);
        cmz_error err;
        assert_int_equal(
            cmz_registry_add(reg, "render_cache:x", text, 3 * MiB, CMZ_REGISTER_COPY, &err),
            CMZ_OK);
        fail_after = n;
        cmz_set_allocator(&failing);
        cmz_status st = cmz_registry_compress(reg, "render_cache:x", &err);
        cmz_set_allocator(&plain);
        if (st == CMZ_OK) ok_runs++;
        else assert_int_equal(state_of(reg, "render_cache:x"), CMZ_RESOURCE_RAW);
        expect_content(reg, "render_cache:x", text, 3 * MiB);
        cmz_registry_type_stats total;
        cmz_registry_stats(reg, &total, NULL, 0, NULL, NULL);
        assert_int_equal(total.resources, 1);
        assert_int_equal(total.raw_bytes, 3 * MiB);
        cmz_registry_free(reg);
    }
    assert_true(ok_runs >= 1);
    free(text);
}

/* ---- report ---- */

static void test_report(void **state) {
    (void)state;
    cmz_registry *reg = make((uint64_t)1 << 34);
    uint8_t *text = tu_text(2 * MiB, 6);
    cmz_error err;
    assert_int_equal(cmz_registry_add(reg, "subtitle:s", text, 2 * MiB, CMZ_REGISTER_COPY, &err),
                     CMZ_OK);
    char small[16], big[4096];
    size_t size = 0;
    assert_int_equal(cmz_registry_report(reg, small, sizeof small, &size, &err),
                     CMZ_ERR_DST_TOO_SMALL);
    assert_true(size > sizeof small);
    assert_non_null(strstr(err.message, "the buffer holds 16"));
    assert_int_equal(cmz_registry_report(NULL, NULL, 0, &size, &err), CMZ_ERR_INVALID_ARG);
    assert_non_null(strstr(err.message, "cmz_registry_report: registry"));
    assert_int_equal(cmz_registry_stats(reg, NULL, NULL, 1, NULL, &err), CMZ_ERR_INVALID_ARG);
    assert_non_null(strstr(err.message, "cmz_registry_stats: per_type"));
    assert_int_equal(cmz_registry_report(reg, big, sizeof big, &size, NULL), CMZ_OK);
    assert_int_equal(strlen(big), size);
    assert_non_null(strstr(big, "subtitle"));
    assert_non_null(strstr(big, "total"));
    cmz_registry_free(reg);
    free(text);
}

/* ---- new: parameter errors; the monitor thread stops promptly ---- */

static void test_params_and_monitor(void **state) {
    (void)state;
    cmz_registry_params p = cmz_registry_params_default();
    p.budget = 64 * MiB;
    p.warning = 0.95; /* above emergency */
    cmz_error err;
    assert_null(cmz_registry_new(&p, &err));
    assert_int_equal(err.status, CMZ_ERR_INVALID_ARG);
    p = cmz_registry_params_default();
    p.budget = 64 * MiB;
    p.usage = (cmz_usage_source)99;
    assert_null(cmz_registry_new(&p, &err));
    p = cmz_registry_params_default(); /* budget from the machine, monitor every 5 s */
    cmz_registry *reg = cmz_registry_new(&p, &err);
    assert_non_null(reg);
    assert_true(cmz_registry_budget(reg) > 0);
    assert_true(cmz_registry_usage(reg) > 0);
    uint64_t t0 = now_ns();
    cmz_registry_free(reg); /* no wait for the 5 s period */
    assert_true(now_ns() - t0 < 2000000000ull);
}

/* ---- 8 threads at once ---- */

typedef struct {
    cmz_registry *reg;
    int thread;
    const uint8_t *text;
} worker_arg;

static void *worker(void *p) {
    worker_arg *a = p;
    uint8_t *buf = malloc(256 * 1024);
    char id[64];
    for (int i = 0; i < 40; i++) {
        snprintf(id, sizeof id, "%s:t%d-%d", i % 2 ? "render_cache" : "subtitle", a->thread, i % 5);
        size_t n = 64 * 1024 + (size_t)(i % 3) * 50000;
        cmz_status st = cmz_registry_add(a->reg, id, (void *)a->text, n, CMZ_REGISTER_COPY, NULL);
        if (st != CMZ_OK && st != CMZ_ERR_EXISTS) abort();
        size_t size;
        const void *data;
        st = cmz_registry_get(a->reg, id, buf, 256 * 1024, &size, NULL);
        if (st == CMZ_OK && memcmp(buf, a->text, size) != 0) abort();
        if (cmz_registry_pin(a->reg, id, &data, &size, NULL) == CMZ_OK) {
            if (memcmp(data, a->text, size) != 0) abort();
            cmz_registry_unpin(a->reg, id, NULL);
        }
        if (i % 7 == 0) cmz_registry_release(a->reg, id, NULL);
        if (i % 11 == 0) cmz_registry_remove(a->reg, id, NULL);
        if (i % 13 == 0) cmz_registry_reap(a->reg, 1 * MiB, NULL, NULL);
    }
    free(buf);
    return NULL;
}

static void test_threads(void **state) {
    (void)state;
    cmz_registry_params p = cmz_registry_params_default();
    p.budget = 4 * MiB; /* small: the reaper runs all the time */
    p.usage = CMZ_USAGE_REGISTRY;
    p.check_interval_ms = 1;
    p.threads = 2;
    cmz_error err;
    cmz_registry *reg = cmz_registry_new(&p, &err);
    assert_non_null(reg);
    uint8_t *text = tu_text(256 * 1024, 7);
    pthread_t th[8];
    worker_arg args[8];
    for (int i = 0; i < 8; i++) {
        args[i] = (worker_arg){reg, i, text};
        assert_int_equal(pthread_create(&th[i], NULL, worker, &args[i]), 0);
    }
    for (int i = 0; i < 8; i++) pthread_join(th[i], NULL);
    cmz_registry_type_stats total;
    assert_int_equal(cmz_registry_stats(reg, &total, NULL, 0, NULL, NULL), CMZ_OK);
    assert_true(total.resources <= 80);
    cmz_registry_free(reg);
    free(text);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_add_get_remove), cmocka_unit_test(test_auto_compress_threshold),
        cmocka_unit_test(test_reaper_order),   cmocka_unit_test(test_reaper_compresses_first),
        cmocka_unit_test(test_custom),         cmocka_unit_test(test_alloc_failure),
        cmocka_unit_test(test_report),         cmocka_unit_test(test_params_and_monitor),
        cmocka_unit_test(test_threads),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
