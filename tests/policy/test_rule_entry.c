/* A release rule names the compression entry its type uses (the `compression` key), the one
 * function that resolves a type's entry, the check against a policy, the rules' clone, and
 * the room to grow of the policy layer's public structs. */
#include "testutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmz/release.h"

#define WORDS(s) (sizeof(s).reserved / sizeof(s).reserved[0])

/* Every diagnostic of d, formatted, one per line. */
static const char *all_diags(const cmz_diags *d) {
    static char out[8192];
    out[0] = '\0';
    for (size_t i = 0; i < cmz_diags_count(d); i++) {
        char line[512];
        cmz_diag_format(cmz_diags_at(d, i), line, sizeof line);
        strcat(out, line);
        strcat(out, "\n");
    }
    return out;
}

/* Loads yaml as "r.yaml": the diagnostics, and the rules when valid (else NULL). */
static cmz_release_rules *load(const char *yaml, const char **diags) {
    cmz_diags *d = cmz_diags_new();
    assert_non_null(d);
    cmz_release_rules *rules = NULL;
    cmz_status st = cmz_release_rules_load_string(yaml, strlen(yaml), "r.yaml", &rules, d);
    *diags = all_diags(d);
    assert_int_equal(st, rules ? CMZ_OK : CMZ_ERR_INVALID_ARG);
    cmz_diags_free(d);
    return rules;
}

static void expect_one(const char *yaml, const char *diag) {
    const char *got;
    cmz_release_rules *rules = load(yaml, &got);
    assert_null(rules);
    char want[600];
    snprintf(want, sizeof want, "%s\n", diag);
    if (strcmp(got, want) != 0) fail_msg("want:\n%sgot:\n%s", want, got);
}

static char *format_all(const cmz_release_rules *rules) {
    size_t size;
    assert_int_equal(cmz_release_rules_format(rules, NULL, 0, &size), CMZ_ERR_DST_TOO_SMALL);
    char *text = malloc(size + 1);
    assert_non_null(text);
    assert_int_equal(cmz_release_rules_format(rules, text, size + 1, &size), CMZ_OK);
    return text;
}

/* ---- the key ---- */

#define HEAD "releasable_resources:\n  t:\n    priority: 1\n    max_retain_time: 60\n"

static void test_key_loads_formats_and_round_trips(void **state) {
    (void)state;
    const char *diags;
    cmz_release_rules *rules = load(HEAD "    compression: model_weights\n"
                                         "  u:\n    priority: 2\n    max_retain_time: 9\n",
                                    &diags);
    assert_non_null(rules);
    assert_string_equal(diags, "");
    assert_string_equal(cmz_release_rules_get(rules, "t")->compression, "model_weights");
    assert_string_equal(cmz_release_rules_get(rules, "u")->compression, "");
    char *text = format_all(rules);
    assert_non_null(strstr(text, "  t:\n    priority: 1\n    max_retain_time: 60\n"
                                 "    compression: model_weights\n\n  u:\n"));
    assert_null(strstr(strstr(text, "  u:\n"), "compression"));
    cmz_release_rules *back = load(text, &diags);
    assert_non_null(back);
    assert_true(cmz_release_rules_equal(rules, back));
    /* Quoted is a string too; any entry name is taken (the policy is checked later). */
    cmz_release_rules *quoted = load(HEAD "    compression: \"my.entry-2\"\n", &diags);
    assert_non_null(quoted);
    assert_string_equal(cmz_release_rules_get(quoted, "t")->compression, "my.entry-2");
    free(text);
    cmz_release_rules_free(quoted);
    cmz_release_rules_free(back);
    cmz_release_rules_free(rules);
}

static void test_key_errors(void **state) {
    (void)state;
    expect_one(HEAD "    compresion: subtitle\n",
               "r.yaml:5:5: unknown key 'compresion' in type 't'; did you mean 'compression'?");
    expect_one(HEAD "    compression: 3d\n",
               "r.yaml:5:18: compression must name an entry of the compression policy (up to 63 "
               "letters, digits, '_', '-' and '.', starting with a letter or '_'), got '3d'");
    expect_one(HEAD "    compression: \"\"\n",
               "r.yaml:5:18: compression must name an entry of the compression policy (up to 63 "
               "letters, digits, '_', '-' and '.', starting with a letter or '_'), got ''");
    expect_one(HEAD "    compression: [a]\n",
               "r.yaml:5:18: compression must be the name of a compression policy entry, got a "
               "sequence");
    expect_one(HEAD "    compression:\n",
               "r.yaml:5:17: compression has no value; it must be the name of a compression "
               "policy entry");
    expect_one(HEAD "    compression: 7\n",
               "r.yaml:5:18: compression must name an entry of the compression policy (up to 63 "
               "letters, digits, '_', '-' and '.', starting with a letter or '_'), got '7'");
    expect_one(HEAD "    compression: a\n    compression: b\n",
               "r.yaml:6:5: duplicate key 'compression' in type 't' (first given at line 5)");
}

static void test_put_checks_the_key(void **state) {
    (void)state;
    cmz_release_rules *rules = cmz_release_rules_new_default();
    cmz_release_rule r = *cmz_release_rules_get(rules, "temp_buffers");
    snprintf(r.compression, sizeof r.compression, "%s", "bad name");
    cmz_diags *d = cmz_diags_new();
    assert_int_equal(cmz_release_rules_put(rules, &r, d), CMZ_ERR_INVALID_ARG);
    assert_string_equal(all_diags(d),
                        "compression must name an entry of the compression policy (up to 63 "
                        "letters, digits, '_', '-' and '.', starting with a letter or '_'), got "
                        "'bad name'\n");
    memset(r.compression, 'x', sizeof r.compression); /* no NUL */
    cmz_diags_clear(d);
    assert_int_equal(cmz_release_rules_put(rules, &r, d), CMZ_ERR_INVALID_ARG);
    assert_string_equal(all_diags(d), "compression is not NUL-terminated\n");
    snprintf(r.compression, sizeof r.compression, "%s", "file_cache");
    assert_int_equal(cmz_release_rules_put(rules, &r, d), CMZ_OK);
    assert_string_equal(cmz_release_rules_get(rules, "temp_buffers")->compression, "file_cache");
    cmz_diags_free(d);
    cmz_release_rules_free(rules);
}

/* ---- the shipped rules name fitting entries ---- */

static void test_defaults_name_entries(void **state) {
    (void)state;
    static const char *const want[][2] = {
        {"model_shards", "model_weights"},
        {"render_cache", "intermediate_cache"},
        {"temp_buffers", ""},
        {"audio_cache", "file_cache"},
        {"model_weights_cache", "model_weights"},
        {"subtitle_index", "subtitle"},
    };
    cmz_release_rules *rules = cmz_release_rules_new_default();
    cmz_policy *policy = cmz_policy_new_default();
    assert_int_equal(cmz_release_rules_count(rules), 6);
    for (size_t i = 0; i < 6; i++) {
        const cmz_release_rule *r = cmz_release_rules_at(rules, i);
        assert_string_equal(r->type, want[i][0]);
        assert_string_equal(r->compression, want[i][1]);
    }
    /* The shipped policy has every entry they name. */
    cmz_diags *d = cmz_diags_new();
    assert_int_equal(cmz_release_rules_check_policy(rules, policy, d), CMZ_OK);
    assert_int_equal(cmz_diags_count(d), 0);
    cmz_diags_free(d);
    cmz_policy_free(policy);
    cmz_release_rules_free(rules);
}

/* ---- resolution ---- */

static void expect_entry(const cmz_policy *p, const cmz_release_rules *rules, const char *type,
                         const char *entry) {
    const cmz_policy_entry *e = cmz_policy_resolve(p, rules, type);
    assert_non_null(e);
    if (strcmp(e->type, entry) != 0)
        fail_msg("type %s resolves to %s, want %s", type ? type : "(null)", e->type, entry);
    assert_ptr_equal(e, cmz_policy_get(p, entry));
}

static void test_resolve_precedence(void **state) {
    (void)state;
    cmz_policy *p = cmz_policy_new_default();
    cmz_release_rules *rules = cmz_release_rules_new_default();
    /* The rule's entry where the policy has none of its own. */
    expect_entry(p, rules, "model_shards", "model_weights");
    expect_entry(p, rules, "subtitle_index", "subtitle");
    expect_entry(p, rules, "render_cache", "intermediate_cache");
    expect_entry(p, rules, "audio_cache", "file_cache");
    expect_entry(p, rules, "model_weights_cache", "model_weights");
    /* The policy's own entry first: temp_buffers has both, and names none. */
    expect_entry(p, rules, "temp_buffers", "temp_buffers");
    expect_entry(p, rules, "log_data", "log_data");
    /* Neither: `default`. */
    expect_entry(p, rules, "whatever", "default");
    expect_entry(p, rules, NULL, "default");
    /* No rules: the policy's lookup. */
    expect_entry(p, NULL, "model_shards", "default");
    expect_entry(p, NULL, "subtitle", "subtitle");
    assert_null(cmz_policy_resolve(NULL, rules, "model_shards"));
    /* An entry of the type's own beats the rule's. */
    cmz_policy_setting s[] = {{"algorithm", "lz4"}};
    assert_int_equal(cmz_policy_create(p, "model_shards", s, 1, NULL), CMZ_OK);
    expect_entry(p, rules, "model_shards", "model_shards");
    /* A rule naming an entry the policy lacks: `default` here (the check reports it). */
    assert_int_equal(cmz_policy_delete(p, "subtitle", NULL), CMZ_OK);
    expect_entry(p, rules, "subtitle_index", "default");
    cmz_release_rules_free(rules);
    cmz_policy_free(p);
}

static void test_check_policy(void **state) {
    (void)state;
    cmz_policy *p = cmz_policy_new_default();
    cmz_release_rules *rules = cmz_release_rules_new_default();
    cmz_diags *d = cmz_diags_new();
    assert_int_equal(cmz_policy_delete(p, "model_weights", NULL), CMZ_OK);
    assert_int_equal(cmz_policy_create(p, "subtitles", NULL, 0, NULL), CMZ_OK);
    assert_int_equal(cmz_policy_delete(p, "subtitle", NULL), CMZ_OK);
    assert_int_equal(cmz_release_rules_check_policy(rules, p, d), CMZ_ERR_INVALID_ARG);
    /* Every rule that names a missing entry, in the rules' order; a did-you-mean when one is
     * close. */
    assert_string_equal(
        all_diags(d),
        "release rule 'model_shards' names compression entry 'model_weights', which the "
        "compression policy does not have (add it to the policy, or change the rule)\n"
        "release rule 'model_weights_cache' names compression entry 'model_weights', which the "
        "compression policy does not have (add it to the policy, or change the rule)\n"
        "release rule 'subtitle_index' names compression entry 'subtitle', which the "
        "compression policy does not have; did you mean 'subtitles'?\n");
    /* Even where the type has an entry of its own: the rule's name is still wrong. */
    cmz_diags_clear(d);
    assert_int_equal(cmz_policy_create(p, "model_shards", NULL, 0, NULL), CMZ_OK);
    assert_int_equal(cmz_release_rules_check_policy(rules, p, d), CMZ_ERR_INVALID_ARG);
    assert_int_equal(cmz_diags_count(d), 3);
    assert_int_equal(cmz_release_rules_check_policy(NULL, p, d), CMZ_ERR_INVALID_ARG);
    assert_int_equal(cmz_release_rules_check_policy(rules, NULL, NULL), CMZ_ERR_INVALID_ARG);
    cmz_diags_free(d);
    cmz_release_rules_free(rules);
    cmz_policy_free(p);
}

static void test_apply_entry(void **state) {
    (void)state;
    cmz_policy *p = cmz_policy_new_default();
    for (size_t i = 0; i < cmz_policy_count(p); i++) {
        const cmz_policy_entry *e = cmz_policy_at(p, i);
        cmz_params a = cmz_params_default(), b = cmz_params_default();
        assert_int_equal(cmz_policy_apply(p, e->type, &a), CMZ_OK);
        assert_int_equal(cmz_policy_apply_entry(e, &b), CMZ_OK);
        assert_memory_equal(&a, &b, sizeof a);
    }
    cmz_params q = cmz_params_default();
    assert_int_equal(cmz_policy_apply_entry(NULL, &q), CMZ_ERR_INVALID_ARG);
    assert_int_equal(cmz_policy_apply_entry(cmz_policy_at(p, 0), NULL), CMZ_ERR_INVALID_ARG);
    cmz_policy_free(p);
}

/* ---- clone ---- */

static void test_clone_is_deep_and_equal(void **state) {
    (void)state;
    cmz_release_rules *rules = cmz_release_rules_new_default();
    /* Past the initial capacity, so that the clone's own array must grow to hold them. */
    for (int i = 0; i < 20; i++) {
        cmz_release_rule r;
        memset(&r, 0, sizeof r);
        snprintf(r.type, sizeof r.type, "extra_%d", i);
        snprintf(r.compression, sizeof r.compression, "entry_%d", i);
        r.priority = (unsigned)i + 1;
        r.max_retain_time = 10;
        assert_int_equal(cmz_release_rules_put(rules, &r, NULL), CMZ_OK);
    }
    cmz_release_rules *copy = cmz_release_rules_clone(rules);
    assert_non_null(copy);
    assert_ptr_not_equal(copy, rules);
    assert_true(cmz_release_rules_equal(rules, copy));
    assert_int_equal(cmz_release_rules_count(copy), 26);
    char *a = format_all(rules), *b = format_all(copy);
    assert_string_equal(a, b);
    for (size_t i = 0; i < 26; i++)
        assert_ptr_not_equal(cmz_release_rules_at(rules, i), cmz_release_rules_at(copy, i));
    /* Deep: changing or freeing the original leaves the copy as it was. */
    cmz_release_rule r = *cmz_release_rules_get(rules, "model_shards");
    r.priority = 9;
    assert_int_equal(cmz_release_rules_put(rules, &r, NULL), CMZ_OK);
    assert_false(cmz_release_rules_equal(rules, copy));
    assert_int_equal(cmz_release_rules_get(copy, "model_shards")->priority, 1);
    cmz_release_rules_free(rules);
    char *c = format_all(copy);
    assert_string_equal(b, c);
    /* A copy of a copy; of none; equality's corner cases. */
    cmz_release_rules *again = cmz_release_rules_clone(copy);
    assert_true(cmz_release_rules_equal(copy, again));
    cmz_release_rule other = *cmz_release_rules_get(again, "extra_3");
    snprintf(other.compression, sizeof other.compression, "%s", "entry_x");
    assert_int_equal(cmz_release_rules_put(again, &other, NULL), CMZ_OK);
    assert_false(cmz_release_rules_equal(copy, again));
    assert_null(cmz_release_rules_clone(NULL));
    assert_true(cmz_release_rules_equal(NULL, NULL));
    assert_false(cmz_release_rules_equal(copy, NULL));
    free(a);
    free(b);
    free(c);
    cmz_release_rules_free(again);
    cmz_release_rules_free(copy);
}

static int live;
static long fail_at, calls;
static void *failing_alloc(void *opaque, size_t size) {
    (void)opaque;
    if (++calls == fail_at) return NULL;
    live++;
    return malloc(size);
}
static void counting_free(void *opaque, void *ptr) {
    (void)opaque;
    if (ptr) live--;
    free(ptr);
}

static void test_clone_out_of_memory(void **state) {
    (void)state;
    cmz_release_rules *rules = cmz_release_rules_new_default();
    cmz_allocator a = {failing_alloc, counting_free, NULL};
    bool completed = false;
    for (fail_at = 1; !completed && fail_at < 10; fail_at++) {
        calls = 0;
        live = 0;
        cmz_set_allocator(&a);
        cmz_release_rules *copy = cmz_release_rules_clone(rules);
        completed = copy != NULL;
        cmz_release_rules_free(copy);
        cmz_set_allocator(NULL);
        assert_int_equal(live, 0);
    }
    assert_true(completed);
    cmz_release_rules_free(rules);
}

/* ---- room to grow ---- */

static void test_reserved_policy_entry(void **state) {
    (void)state;
    cmz_policy *p = cmz_policy_new_default();
    cmz_policy *before = cmz_policy_clone(p);
    for (size_t i = 0; i < cmz_policy_count(p); i++) {
        const cmz_policy_entry *e = cmz_policy_at(p, i);
        for (size_t w = 0; w < WORDS(*e); w++) assert_int_equal(e->reserved[w], 0);
    }
    cmz_diags *d = cmz_diags_new();
    cmz_policy_entry e = *cmz_policy_get(p, "subtitle");
    for (size_t w = 0; w < WORDS(e); w++) {
        cmz_policy_entry q = e;
        q.reserved[w] = 1;
        cmz_diags_clear(d);
        assert_int_equal(cmz_policy_put(p, &q, d), CMZ_ERR_INVALID_ARG);
        char want[64];
        snprintf(want, sizeof want, "cmz_policy_entry.reserved[%zu] is not zero", w);
        assert_int_equal(cmz_diags_count(d), 1);
        if (!strstr(cmz_diags_at(d, 0)->message, want))
            fail_msg("'%s' does not say '%s'", cmz_diags_at(d, 0)->message, want);
    }
    assert_true(cmz_policy_equal(p, before));
    assert_int_equal(cmz_policy_put(p, &e, NULL), CMZ_OK);
    cmz_diags_free(d);
    cmz_policy_free(before);
    cmz_policy_free(p);
}

static void test_reserved_release_rule(void **state) {
    (void)state;
    cmz_release_rules *rules = cmz_release_rules_new_default();
    cmz_release_rules *before = cmz_release_rules_clone(rules);
    for (size_t i = 0; i < cmz_release_rules_count(rules); i++) {
        const cmz_release_rule *r = cmz_release_rules_at(rules, i);
        for (size_t w = 0; w < WORDS(*r); w++) assert_int_equal(r->reserved[w], 0);
    }
    cmz_diags *d = cmz_diags_new();
    cmz_release_rule r = *cmz_release_rules_get(rules, "render_cache");
    for (size_t w = 0; w < WORDS(r); w++) {
        cmz_release_rule q = r;
        q.reserved[w] = 1;
        cmz_diags_clear(d);
        assert_int_equal(cmz_release_rules_put(rules, &q, d), CMZ_ERR_INVALID_ARG);
        char want[64];
        snprintf(want, sizeof want, "cmz_release_rule.reserved[%zu] is not zero", w);
        assert_int_equal(cmz_diags_count(d), 1);
        if (!strstr(cmz_diags_at(d, 0)->message, want))
            fail_msg("'%s' does not say '%s'", cmz_diags_at(d, 0)->message, want);
    }
    assert_true(cmz_release_rules_equal(rules, before));
    /* Loaded rules come back zeroed too. */
    const char *diags;
    cmz_release_rules *loaded = load(HEAD, &diags);
    const cmz_release_rule *t = cmz_release_rules_get(loaded, "t");
    for (size_t w = 0; w < WORDS(*t); w++) assert_int_equal(t->reserved[w], 0);
    cmz_release_rules_free(loaded);
    cmz_diags_free(d);
    cmz_release_rules_free(before);
    cmz_release_rules_free(rules);
}

static void test_reserved_library_filled(void **state) {
    (void)state;
    /* A diagnostic's tail is zero, also in a container reused after clearing. */
    cmz_diags *d = cmz_diags_new();
    for (int round = 0; round < 2; round++) {
        cmz_diags_clear(d);
        cmz_policy *p = NULL;
        const char *bad = "compression_policy:\n  default: 3\n";
        assert_int_equal(cmz_policy_load_string(bad, strlen(bad), "p.yaml", &p, d),
                         CMZ_ERR_INVALID_ARG);
        assert_true(cmz_diags_count(d) >= 1);
        const cmz_diag *diag = cmz_diags_at(d, 0);
        for (size_t w = 0; w < WORDS(*diag); w++) assert_int_equal(diag->reserved[w], 0);
    }
    cmz_diags_free(d);
    cmz_policy_location loc;
    memset(&loc, 0xA5, sizeof loc);
    assert_int_equal(cmz_policy_locate("/nonexistent/p.yaml", &loc), CMZ_OK);
    for (size_t w = 0; w < WORDS(loc); w++) assert_int_equal(loc.reserved[w], 0);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_key_loads_formats_and_round_trips),
        cmocka_unit_test(test_key_errors),
        cmocka_unit_test(test_put_checks_the_key),
        cmocka_unit_test(test_defaults_name_entries),
        cmocka_unit_test(test_resolve_precedence),
        cmocka_unit_test(test_check_policy),
        cmocka_unit_test(test_apply_entry),
        cmocka_unit_test(test_clone_is_deep_and_equal),
        cmocka_unit_test(test_clone_out_of_memory),
        cmocka_unit_test(test_reserved_policy_entry),
        cmocka_unit_test(test_reserved_release_rule),
        cmocka_unit_test(test_reserved_library_filled),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
