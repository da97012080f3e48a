/* The reaper's candidate lists (src/memory/lru.c) and the type table (types.c), through the
 * registry's internals: the list primitives, which list a resource is in after each kind of
 * change, the choices (rank, then LRU; min_required; the idle release visiting expired
 * resources only), and thousands of types found by name. */
#include "testutil.h"

#include "memory/internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const RULES = "releasable_resources:\n"
                                 "  hot:\n    priority: 1\n    max_retain_time: 10\n"
                                 "    min_required: 1\n"
                                 "  warm:\n    priority: 1\n    max_retain_time: 20\n"
                                 "  cold:\n    priority: 7\n    max_retain_time: 30\n";

static cmz_registry *make(void) {
    cmz_release_rules *rules = NULL;
    assert_int_equal(cmz_release_rules_load_string(RULES, strlen(RULES), "rules", &rules, NULL),
                     CMZ_OK);
    cmz_registry_params p = tu_registry_params((uint64_t)1 << 30, 1);
    p.release = rules;
    cmz_registry *reg = tu_registry_new(&p);
    cmz_release_rules_free(rules);
    return reg;
}

static void add(cmz_registry *reg, const char *id) {
    uint8_t *text = tu_text(4096, 3);
    cmz_error err;
    if (cmz_registry_add(reg, id, text, 4096, CMZ_REGISTER_ADOPT, &err) != CMZ_OK)
        fail_msg("add %s: %s", id, err.message);
}

static void get(cmz_registry *reg, const char *id) {
    uint8_t buf[4096];
    assert_int_equal(cmz_registry_get(reg, id, buf, sizeof buf, NULL, NULL), CMZ_OK);
}

/* The id of a choice, or "-" for none (lock taken here). */
typedef enum { DROP, COMPRESS, RELEASE, IDLE } choice;
static const char *chosen(cmz_registry *reg, choice c, uint64_t now) {
    static char id[CMZ_REGISTRY_ID_MAX + 1];
    pthread_mutex_lock(&reg->mu);
    uint64_t pass = ++reg->pass;
    cmz__resource *r = c == DROP       ? cmz__lru_victim(reg, CMZ__CLASS_DROP_RAW, pass)
                       : c == COMPRESS ? cmz__lru_victim(reg, CMZ__CLASS_COMPRESS, pass)
                       : c == RELEASE  ? cmz__lru_release_victim(reg, pass)
                                       : cmz__lru_idle_victim(reg, now, pass);
    snprintf(id, sizeof id, "%s", r ? r->id : "-");
    pthread_mutex_unlock(&reg->mu);
    return id;
}

static void expect_lists_sound(cmz_registry *reg) {
    pthread_mutex_lock(&reg->mu);
    const char *why = cmz__lru_check(reg);
    pthread_mutex_unlock(&reg->mu);
    if (why) fail_msg("the reaper's lists: %s", why);
}

static cmz__resource *find(cmz_registry *reg, const char *id) {
    pthread_mutex_lock(&reg->mu);
    cmz__resource *r = cmz__reg_find(reg, id);
    pthread_mutex_unlock(&reg->mu);
    assert_non_null(r);
    return r;
}

/* ---- the list primitives ---- */

typedef struct {
    int value;
    cmz__link link;
} item;

static void test_list(void **state) {
    (void)state;
    cmz__list l;
    cmz__list_init(&l);
    assert_null(cmz__list_first(&l));
    item items[4];
    for (int i = 0; i < 4; i++) {
        items[i].value = i;
        cmz__list_push(&l, &items[i].link);
    }
    assert_int_equal(l.count, 4);
    cmz__list_remove(&l, &items[0].link); /* the head */
    cmz__list_remove(&l, &items[2].link); /* the middle */
    cmz__list_push(&l, &items[0].link);   /* back, at the tail */
    int want[] = {1, 3, 0}, n = 0;
    for (cmz__link *k = cmz__list_first(&l); k; k = cmz__list_next(&l, k), n++)
        assert_ptr_equal(k, &items[want[n]].link);
    assert_int_equal(n, 3);
    assert_int_equal(l.count, 3);
    cmz__list_remove(&l, &items[1].link);
    cmz__list_remove(&l, &items[3].link);
    cmz__list_remove(&l, &items[0].link);
    assert_null(cmz__list_first(&l));
    assert_int_equal(l.count, 0);
}

/* ---- membership and order ---- */

static void test_class_lists_follow_changes(void **state) {
    (void)state;
    cmz_registry *reg = make();
    add(reg, "cold:a");
    add(reg, "hot:b");
    add(reg, "other:c"); /* no rule: last rank */
    add(reg, "warm:d");
    /* rank first (hot and warm share priority 1: LRU between them), no rule last */
    assert_string_equal(chosen(reg, COMPRESS, 0), "hot:b");
    get(reg, "hot:b"); /* a use: now the most recent */
    assert_string_equal(chosen(reg, COMPRESS, 0), "warm:d");
    expect_lists_sound(reg);
    /* pinned: in no list; unpinned: back, most recent */
    assert_int_equal(cmz_registry_pin(reg, "warm:d", NULL, NULL, NULL), CMZ_OK);
    assert_string_equal(chosen(reg, COMPRESS, 0), "hot:b");
    assert_int_equal(cmz_registry_compress(reg, "warm:d", NULL), CMZ_OK); /* raw kept: pinned */
    assert_string_equal(chosen(reg, DROP, 0), "-");
    expect_lists_sound(reg);
    assert_int_equal(cmz_registry_unpin(reg, "warm:d", NULL), CMZ_OK);
    assert_string_equal(chosen(reg, DROP, 0), "warm:d");
    assert_int_equal(find(reg, "warm:d")->cls, CMZ__CLASS_DROP_RAW);
    /* compressed, raw dropped: in no class list, still in its type's */
    assert_int_equal(cmz_registry_compress(reg, "hot:b", NULL), CMZ_OK);
    cmz__resource *b = find(reg, "hot:b");
    assert_int_equal(b->cls, CMZ__CLASS_NONE);
    assert_true(b->in_type);
    assert_string_equal(chosen(reg, COMPRESS, 0), "cold:a");
    /* replaced: raw again, the most recent */
    uint8_t *text = tu_text(4096, 9);
    assert_int_equal(cmz_registry_replace(reg, "hot:b", text, 4096, CMZ_REGISTER_ADOPT, NULL),
                     CMZ_OK);
    assert_string_equal(chosen(reg, COMPRESS, 0), "hot:b");
    /* the counts of the lists match the resources */
    size_t listed = 0;
    for (size_t i = 0; i < reg->nranks; i++)
        for (int c = 0; c < CMZ__NCLASSES; c++) listed += reg->ranks[i]->classes[c].count;
    assert_int_equal(listed, 4);
    expect_lists_sound(reg);
    assert_int_equal(cmz_registry_remove(reg, "hot:b", NULL), CMZ_OK);
    assert_string_equal(chosen(reg, COMPRESS, 0), "cold:a");
    cmz_registry_free(reg);
}

static void test_release_choice(void **state) {
    (void)state;
    cmz_registry *reg = make();
    add(reg, "hot:1");
    add(reg, "cold:2");
    add(reg, "warm:3");
    add(reg, "other:4");
    /* hot keeps min_required 1: with one resource it is not a candidate */
    assert_string_equal(chosen(reg, RELEASE, 0), "warm:3");
    add(reg, "hot:5");
    assert_string_equal(chosen(reg, RELEASE, 0), "hot:1");
    assert_int_equal(cmz_registry_release(reg, "hot:1", NULL), CMZ_OK);
    assert_string_equal(chosen(reg, RELEASE, 0), "warm:3");
    assert_int_equal(cmz_registry_release(reg, "warm:3", NULL), CMZ_OK);
    /* priority 7 before the types without a rule, which are never chosen */
    assert_string_equal(chosen(reg, RELEASE, 0), "cold:2");
    assert_int_equal(cmz_registry_release(reg, "cold:2", NULL), CMZ_OK);
    assert_string_equal(chosen(reg, RELEASE, 0), "-");
    cmz_registry_free(reg);
}

static void test_idle_choice_visits_expired_only(void **state) {
    (void)state;
    cmz_registry *reg = make();
    add(reg, "hot:old");
    add(reg, "hot:keep");
    add(reg, "warm:w1");
    add(reg, "warm:w2");
    cmz__resource *w1 = find(reg, "warm:w1"), *w2 = find(reg, "warm:w2");
    const uint64_t s = 1000000000u;
    uint64_t t1 = w1->last_use_ns;
    /* nothing has been idle 10 s */
    assert_string_equal(chosen(reg, IDLE, t1 + 5 * s), "-");
    /* 15 s on: hot (10 s) has expired, warm (20 s) not; hot keeps one */
    assert_string_equal(chosen(reg, IDLE, t1 + 15 * s), "hot:old");
    /* w2 used much later: at 25 s only w1 has expired, and the walk stops at w2 */
    pthread_mutex_lock(&reg->mu);
    w2->last_use_ns = t1 + 10 * s;
    pthread_mutex_unlock(&reg->mu);
    assert_int_equal(cmz_registry_release(reg, "hot:old", NULL), CMZ_OK);
    assert_string_equal(chosen(reg, IDLE, t1 + 25 * s), "warm:w1");
    assert_int_equal(cmz_registry_release(reg, "warm:w1", NULL), CMZ_OK);
    assert_string_equal(chosen(reg, IDLE, t1 + 25 * s), "-");
    assert_string_equal(chosen(reg, IDLE, t1 + 31 * s), "warm:w2");
    /* a clock behind a use (taken before the lock was let go) expires nothing */
    assert_string_equal(chosen(reg, IDLE, 0), "-");
    cmz_registry_free(reg);
}

static void test_many_types(void **state) {
    (void)state;
    cmz_registry *reg = make();
    enum { TYPES = 3000 };
    char id[64];
    for (int i = 0; i < TYPES; i++) {
        snprintf(id, sizeof id, "t%d:x", i);
        add(reg, id);
        snprintf(id, sizeof id, "t%d:y", i / 2);
        if (i % 2) add(reg, id);
    }
    size_t count = 0;
    assert_int_equal(cmz_registry_stats(reg, NULL, NULL, 0, &count, NULL), CMZ_OK);
    assert_int_equal(count, TYPES);
    cmz_registry_type_stats *per = calloc(TYPES, sizeof *per);
    assert_int_equal(cmz_registry_stats(reg, NULL, per, TYPES, &count, NULL), CMZ_OK);
    for (int i = 0; i < TYPES; i++) {
        snprintf(id, sizeof id, "t%d", i);
        assert_string_equal(per[i].type, id);
        assert_int_equal(per[i].resources, i < TYPES / 2 ? 2 : 1);
    }
    /* one rank for them all (no rule) */
    assert_int_equal(reg->nranks, 1);
    free(per);
    cmz_registry_free(reg);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_list),
        cmocka_unit_test(test_class_lists_follow_changes),
        cmocka_unit_test(test_release_choice),
        cmocka_unit_test(test_idle_choice_visits_expired_only),
        cmocka_unit_test(test_many_types),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
