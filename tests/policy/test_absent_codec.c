/* A policy that names a codec cmz knows but this build lacks (include/cmz/policy.h, top):
 * loading it warns at the algorithm and succeeds, the type compresses with the build's
 * default codec at its default level, saving keeps the name, and a codec chosen now (create,
 * update) must be compiled in. The tests that need such a codec run where one is missing
 * (`make test-minimal`) and skip where every codec is compiled in; the built-in defaults and
 * the shipped file must resolve in every build. */
#include "testutil.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmz/policy.h"

/* The first codec cmz knows that this build lacks; NULL when every one is compiled in. */
static const char *absent_codec(void) {
    static const char *const names[] = {"zstd", "gzip", "brotli", "snappy", "bzip2", "lzma", "lz4"};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        const cmz_codec *c = NULL;
        if (cmz_codec_by_name(names[i], &c, NULL) == CMZ_ERR_CODEC_DISABLED) return names[i];
    }
    return NULL;
}

#define NEED_ABSENT(name)                                                    \
    const char *name = absent_codec();                                       \
    if (!name) {                                                             \
        print_message("every codec is compiled into this build: skipped\n"); \
        skip();                                                              \
    }

/* `default` (codec none: always compiled in), then type `t` with ALG at line 10 column 16,
 * LEVEL, chunk size 256KB and filter shuffle/4. */
static char *policy_text(const char *alg, const char *level) {
    static char text[1024];
    snprintf(text, sizeof text,
             "compression_policy:\n"
             "  default:\n"
             "    algorithm: none\n"
             "    level: 0\n"
             "    chunk_size: 4MB\n"
             "    auto_compress: false\n"
             "    threshold_mb: 10\n"
             "    priority: low\n"
             "  t:\n"
             "    algorithm: %s\n"
             "    level: %s\n"
             "    chunk_size: 256KB\n"
             "    auto_compress: true\n"
             "    threshold_mb: 1\n"
             "    priority: medium\n"
             "    filter: shuffle\n"
             "    typesize: 4\n",
             alg, level);
    return text;
}

static cmz_policy *load(const char *text, cmz_diags *d) {
    cmz_policy *p = NULL;
    cmz_status st = cmz_policy_load_string(text, strlen(text), "p.yaml", &p, d);
    if (st != CMZ_OK) {
        char line[512] = "";
        if (cmz_diags_count(d)) cmz_diag_format(cmz_diags_at(d, 0), line, sizeof line);
        fail_msg("load: %s: %s", cmz_status_name(st), line);
    }
    return p;
}

static void test_file_loads_with_warning(void **state) {
    (void)state;
    NEED_ABSENT(name);
    cmz_diags *d = cmz_diags_new();
    cmz_policy *p = load(policy_text(name, "7"), d);
    assert_int_equal(cmz_diags_count(d), 1);
    const cmz_diag *w = cmz_diags_at(d, 0);
    assert_int_equal(w->severity, CMZ_DIAG_WARNING);
    assert_int_equal(w->line, 10);
    assert_int_equal(w->column, 16);
    char want[256], got[512];
    snprintf(want, sizeof want,
             "p.yaml:10:16: warning: %s is not compiled into this build: type 't' (and any "
             "other type naming it) uses %s (the build's default codec) at its default level",
             name, cmz_codec_name(cmz_codec_default()));
    cmz_diag_format(w, got, sizeof got);
    assert_string_equal(got, want);
    /* the entry keeps what the file said */
    const cmz_policy_entry *e = cmz_policy_get(p, "t");
    assert_non_null(e);
    char alg[32];
    cmz_policy_format_value(e, "algorithm", alg, sizeof alg);
    assert_string_equal(alg, name);
    assert_int_equal(e->level, 7);
    cmz_policy_free(p);
    cmz_diags_free(d);
}

/* One warning per codec, at its first use: a file's warnings stay few. */
static void test_one_warning_per_codec(void **state) {
    (void)state;
    NEED_ABSENT(name);
    char text[1024], *at;
    snprintf(text, sizeof text, "%s", policy_text(name, "7"));
    at = strstr(text, "algorithm: none\n");
    assert_non_null(at);
    char rest[1024];
    snprintf(rest, sizeof rest, "%s", at + strlen("algorithm: none"));
    snprintf(at, sizeof text - (size_t)(at - text), "algorithm: %s%s", name, rest);
    cmz_diags *d = cmz_diags_new();
    cmz_policy *p = load(text, d);
    assert_int_equal(cmz_diags_count(d), 1);
    assert_int_equal(cmz_diags_at(d, 0)->line, 3); /* default's, the first */
    assert_non_null(strstr(cmz_diags_at(d, 0)->message, "type 'default' (and any other"));
    cmz_policy_free(p);
    cmz_diags_free(d);
}

static void test_apply_uses_default_codec(void **state) {
    (void)state;
    NEED_ABSENT(name);
    cmz_policy *p = load(policy_text(name, "7"), NULL);
    cmz_params params = cmz_params_default();
    assert_int_equal(cmz_policy_apply(p, "t", &params), CMZ_OK);
    const cmz_codec *def = cmz_codec_default();
    assert_int_equal(params.codec, (int)cmz_codec_id_of(def));
    assert_int_equal(params.level, cmz_codec_default_level(def));
    assert_int_equal(params.chunk_size, 256u << 10); /* the entry's own */
    assert_int_equal(params.filter, CMZ_FILTER_SHUFFLE);
    assert_int_equal(params.typesize, 4);
    cmz_params resolved;
    cmz_error err;
    cmz_error_clear(&err);
    if (cmz_params_resolve(&params, &resolved, &err) != CMZ_OK)
        fail_msg("cmz_params_resolve: %s", err.message);
    /* and it compresses */
    uint8_t *src = tu_text(300000, 3);
    size_t size = 0;
    uint8_t *frame = tu_compress(&params, src, 300000, &size);
    assert_true(size > 0 && size < 300000);
    free(frame);
    free(src);
    cmz_policy_free(p);
}

/* Saving writes the name the file gave, so the file means the same on a build that has it. */
static void test_format_keeps_the_name(void **state) {
    (void)state;
    NEED_ABSENT(name);
    cmz_policy *p = load(policy_text(name, "7"), NULL);
    size_t size = 0;
    assert_int_equal(cmz_policy_format(p, NULL, 0, &size), CMZ_ERR_DST_TOO_SMALL);
    char *text = malloc(size + 1);
    assert_int_equal(cmz_policy_format(p, text, size + 1, &size), CMZ_OK);
    char want[64];
    snprintf(want, sizeof want, "    algorithm: %s\n    level: 7\n", name);
    assert_non_null(strstr(text, want));
    cmz_policy *again = load(text, NULL);
    assert_true(cmz_policy_equal(p, again));
    cmz_policy_free(again);
    free(text);
    cmz_policy_free(p);
}

/* A codec chosen now must work here: create and update refuse it, and change nothing. */
static void test_create_and_update_refuse_it(void **state) {
    (void)state;
    NEED_ABSENT(name);
    cmz_policy *p = load(policy_text("none", "0"), NULL);
    cmz_policy *before = cmz_policy_clone(p);
    cmz_diags *d = cmz_diags_new();
    cmz_policy_setting s[] = {{"algorithm", name}};
    assert_int_equal(cmz_policy_update(p, "t", s, 1, d), CMZ_ERR_INVALID_ARG);
    assert_int_equal(cmz_policy_create(p, "u", s, 1, d), CMZ_ERR_INVALID_ARG);
    assert_true(cmz_policy_equal(p, before));
    assert_int_equal(cmz_diags_count(d), 2);
    char want[64];
    snprintf(want, sizeof want, "codec '%s' is not compiled into this build; available: ", name);
    for (size_t i = 0; i < 2; i++) {
        assert_int_equal(cmz_diags_at(d, i)->severity, CMZ_DIAG_ERROR);
        assert_non_null(strstr(cmz_diags_at(d, i)->message, want));
    }
    cmz_diags_free(d);
    cmz_policy_free(before);
    cmz_policy_free(p);
}

/* Another key of a type whose file named such a codec changes, with the warning. */
static void test_update_other_key_warns(void **state) {
    (void)state;
    NEED_ABSENT(name);
    cmz_policy *p = load(policy_text(name, "7"), NULL);
    cmz_diags *d = cmz_diags_new();
    cmz_policy_setting s[] = {{"priority", "high"}};
    assert_int_equal(cmz_policy_update(p, "t", s, 1, d), CMZ_OK);
    assert_int_equal(cmz_policy_get(p, "t")->priority, CMZ_PRIORITY_HIGH);
    assert_int_equal(cmz_diags_count(d), 1);
    assert_int_equal(cmz_diags_at(d, 0)->severity, CMZ_DIAG_WARNING);
    char got[512];
    cmz_diag_format(cmz_diags_at(d, 0), got, sizeof got);
    assert_non_null(strstr(got, "warning: "));
    assert_non_null(strstr(got, "is not compiled into this build: type 't' (and any"));
    /* put checks an entry as a file's: the same warning */
    cmz_diags_clear(d);
    cmz_policy_entry e = *cmz_policy_get(p, "t");
    snprintf(e.type, sizeof e.type, "v");
    assert_int_equal(cmz_policy_put(p, &e, d), CMZ_OK);
    assert_int_equal(cmz_diags_count(d), 1);
    assert_int_equal(cmz_diags_at(d, 0)->severity, CMZ_DIAG_WARNING);
    cmz_diags_free(d);
    cmz_policy_free(p);
}

/* A name cmz does not know stays an error, in every build, with its did-you-mean. */
static void test_unknown_name_is_an_error(void **state) {
    (void)state;
    cmz_diags *d = cmz_diags_new();
    cmz_policy *p = (cmz_policy *)1;
    const char *text = policy_text("zstdd", "7");
    assert_int_equal(cmz_policy_load_string(text, strlen(text), "p.yaml", &p, d),
                     CMZ_ERR_INVALID_ARG);
    assert_null(p);
    assert_int_equal(cmz_diags_count(d), 1);
    const cmz_diag *e = cmz_diags_at(d, 0);
    assert_int_equal(e->severity, CMZ_DIAG_ERROR);
    assert_int_equal(e->line, 10);
    assert_non_null(strstr(e->message, "unknown codec 'zstdd'"));
    char got[512];
    cmz_diag_format(e, got, sizeof got);
    assert_null(strstr(got, "warning"));
    cmz_diags_free(d);
}

/* configs/compression_layers.yaml of the source tree ($CMZ_SOURCE_DIR, set by ctest). */
static const char *shipped_path(void) {
    static char path[PATH_MAX];
    const char *src = getenv("CMZ_SOURCE_DIR");
    if (src && src[0]) {
        snprintf(path, sizeof path, "%s/configs/compression_layers.yaml", src);
    } else {
        snprintf(path, sizeof path, "%s", __FILE__);
        char *tests = strstr(path, "/tests/policy/");
        assert_non_null(tests);
        strcpy(tests, "/configs/compression_layers.yaml");
    }
    return path;
}

static void expect_every_type_resolves(const cmz_policy *p) {
    for (size_t i = 0; i < cmz_policy_count(p); i++) {
        const char *type = cmz_policy_at(p, i)->type;
        cmz_params params = cmz_params_default(), resolved;
        assert_int_equal(cmz_policy_apply(p, type, &params), CMZ_OK);
        cmz_error err;
        cmz_error_clear(&err);
        if (cmz_params_resolve(&params, &resolved, &err) != CMZ_OK)
            fail_msg("type %s: %s", type, err.message);
    }
}

/* In every build, the built-in defaults and the shipped file give every type parameters
 * that compress, and the file loads without an error. */
static void test_shipped_policies_work_in_this_build(void **state) {
    (void)state;
    cmz_policy *builtin = cmz_policy_new_default();
    assert_non_null(builtin);
    expect_every_type_resolves(builtin);
    cmz_diags *d = cmz_diags_new();
    cmz_policy *shipped = NULL;
    assert_int_equal(cmz_policy_load_file(shipped_path(), &shipped, d), CMZ_OK);
    for (size_t i = 0; i < cmz_diags_count(d); i++)
        assert_int_equal(cmz_diags_at(d, i)->severity, CMZ_DIAG_WARNING);
    assert_true(cmz_policy_equal(builtin, shipped));
    expect_every_type_resolves(shipped);
    cmz_policy_free(shipped);
    cmz_policy_free(builtin);
    cmz_diags_free(d);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_file_loads_with_warning),
        cmocka_unit_test(test_one_warning_per_codec),
        cmocka_unit_test(test_apply_uses_default_codec),
        cmocka_unit_test(test_format_keeps_the_name),
        cmocka_unit_test(test_create_and_update_refuse_it),
        cmocka_unit_test(test_update_other_key_warns),
        cmocka_unit_test(test_unknown_name_is_an_error),
        cmocka_unit_test(test_shipped_policies_work_in_this_build),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
