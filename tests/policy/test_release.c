/* Release rules: the shipped file, the defaults, round trips, get/put/format, every
 * validation error at its own line and column, and allocation failures. */
#include "testutil.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmz/release.h"

/* configs/releasable_resources.yaml of the source tree: $CMZ_SOURCE_DIR (ctest sets it),
 * else found from this file's own path. */
static const char *shipped_path(void) {
    static char path[PATH_MAX];
    const char *src = getenv("CMZ_SOURCE_DIR");
    if (src && src[0]) {
        snprintf(path, sizeof path, "%s/configs/releasable_resources.yaml", src);
    } else {
        snprintf(path, sizeof path, "%s", __FILE__);
        char *tests = strstr(path, "/tests/policy/");
        assert_non_null(tests);
        strcpy(tests, "/configs/releasable_resources.yaml");
    }
    return path;
}

static char *read_all(const char *path, size_t *size) {
    FILE *f = fopen(path, "rb");
    if (!f) fail_msg("cannot open %s: %s", path, strerror(errno));
    char *buf = malloc(1 << 20);
    assert_non_null(buf);
    *size = fread(buf, 1, (1 << 20) - 1, f);
    buf[*size] = '\0';
    fclose(f);
    return buf;
}

static char *format_all(const cmz_release_rules *rules, size_t *size) {
    assert_int_equal(cmz_release_rules_format(rules, NULL, 0, size), CMZ_ERR_DST_TOO_SMALL);
    char *buf = malloc(*size + 1);
    assert_non_null(buf);
    assert_int_equal(cmz_release_rules_format(rules, buf, *size + 1, size), CMZ_OK);
    assert_int_equal(strlen(buf), *size);
    return buf;
}

/* Designated: the rest of the struct (its reserved tail) is zero. */
#define RULE(t, p, m, n, c, e)                                             \
    {                                                                      \
        .type = t, .priority = p, .max_retain_time = m, .min_required = n, \
        .compress_before_release = c, .compression = e                     \
    }

static bool rule_equal(const cmz_release_rule *a, const cmz_release_rule *b) {
    return strcmp(a->type, b->type) == 0 && a->priority == b->priority &&
           a->max_retain_time == b->max_retain_time && a->min_required == b->min_required &&
           a->compress_before_release == b->compress_before_release &&
           strcmp(a->compression, b->compression) == 0;
}

static void assert_rules_equal(const cmz_release_rules *a, const cmz_release_rules *b) {
    assert_int_equal(cmz_release_rules_count(a), cmz_release_rules_count(b));
    for (size_t i = 0; i < cmz_release_rules_count(a); i++)
        assert_true(rule_equal(cmz_release_rules_at(a, i), cmz_release_rules_at(b, i)));
}

/* Loads text as "r.yaml" and returns every diagnostic, formatted, one per line. */
static char *diagnose(const char *yaml, cmz_status want) {
    cmz_diags *d = cmz_diags_new();
    assert_non_null(d);
    cmz_release_rules *rules = (cmz_release_rules *)1;
    cmz_status st = cmz_release_rules_load_string(yaml, strlen(yaml), "r.yaml", &rules, d);
    static char out[16384];
    out[0] = '\0';
    for (size_t i = 0; i < cmz_diags_count(d); i++) {
        char line[512];
        cmz_diag_format(cmz_diags_at(d, i), line, sizeof line);
        strcat(out, line);
        strcat(out, "\n");
    }
    if (st != want)
        fail_msg("status %s, want %s; diagnostics:\n%s", cmz_status_name(st), cmz_status_name(want),
                 out);
    if (want == CMZ_OK) {
        assert_non_null(rules);
        cmz_release_rules_free(rules);
    } else {
        assert_null(rules);
    }
    cmz_diags_free(d);
    return out;
}

/* The text must produce exactly this one diagnostic. */
static void expect_one(const char *yaml, const char *diag_line) {
    char want[600];
    snprintf(want, sizeof want, "%s\n", diag_line);
    const char *got = diagnose(yaml, CMZ_ERR_INVALID_ARG);
    if (strcmp(got, want) != 0) fail_msg("want:\n%sgot:\n%s", want, got);
}

/* A valid type `a`, then type `t` with its four values given (lines 5..9):
 *
 *  1 releasable_resources:          5   t:
 *  2   a:                           6     priority: P                  (value at column 15)
 *  3     priority: 1                7     max_retain_time: M           (column 22)
 *  4     max_retain_time: 60        8     min_required: N              (column 19)
 *                                   9     compress_before_release: B   (column 30)
 */
#define TYPE_A "releasable_resources:\n  a:\n    priority: 1\n    max_retain_time: 60\n"

static char rule_text[4096];

static const char *with_rule(const char *prio, const char *retain, const char *min,
                             const char *compress) {
    snprintf(rule_text, sizeof rule_text,
             TYPE_A "  t:\n    priority: %s\n    max_retain_time: %s\n    min_required: %s\n"
                    "    compress_before_release: %s\n",
             prio, retain, min, compress);
    return rule_text;
}

/* ---- the shipped file and the defaults ---- */

static void test_shipped_file(void **state) {
    (void)state;
    cmz_diags *d = cmz_diags_new();
    cmz_release_rules *rules = NULL;
    assert_int_equal(cmz_release_rules_load_file(shipped_path(), &rules, d), CMZ_OK);
    assert_int_equal(cmz_diags_count(d), 0);
    /* The seed application's table, row by row. */
    static const cmz_release_rule table[] = {
        RULE("model_shards", 1, 300, 2, false, "model_weights"),
        RULE("render_cache", 2, 180, 0, true, "intermediate_cache"),
        RULE("temp_buffers", 3, 30, 0, false, ""),
        RULE("audio_cache", 4, 120, 0, true, "file_cache"),
        RULE("model_weights_cache", 5, 600, 0, false, "model_weights"),
        RULE("subtitle_index", 6, 900, 0, false, "subtitle"),
    };
    assert_int_equal(cmz_release_rules_count(rules), 6);
    for (size_t i = 0; i < 6; i++)
        assert_true(rule_equal(cmz_release_rules_at(rules, i), &table[i]));
    assert_null(cmz_release_rules_at(rules, 6));
    cmz_release_rules_free(rules);
    cmz_diags_free(d);
}

static void test_default_is_the_shipped_file(void **state) {
    (void)state;
    size_t file_size, text_size;
    char *file = read_all(shipped_path(), &file_size);
    cmz_release_rules *builtin = cmz_release_rules_new_default();
    assert_non_null(builtin);
    char *formatted = format_all(builtin, &text_size);
    /* Byte for byte: regenerate the file from cmz_release_rules_format when this fails. */
    assert_int_equal(text_size, file_size);
    assert_memory_equal(formatted, file, file_size);
    cmz_release_rules *shipped = NULL;
    assert_int_equal(cmz_release_rules_load_file(shipped_path(), &shipped, NULL), CMZ_OK);
    assert_rules_equal(shipped, builtin);
    /* The header documents every key. */
    static const char *const keys[] = {"priority", "max_retain_time", "min_required",
                                       "compress_before_release", "compression"};
    for (size_t i = 0; i < 5; i++) assert_non_null(strstr(file, keys[i]));
    free(file);
    free(formatted);
    cmz_release_rules_free(shipped);
    cmz_release_rules_free(builtin);
}

/* ---- the API ---- */

static void test_get_at_count(void **state) {
    (void)state;
    cmz_release_rules *rules = cmz_release_rules_new_default();
    const cmz_release_rule *r = cmz_release_rules_get(rules, "render_cache");
    assert_non_null(r);
    assert_int_equal(r->priority, 2);
    assert_int_equal(r->max_retain_time, 180);
    assert_true(r->compress_before_release);
    assert_ptr_equal(r, cmz_release_rules_at(rules, 1));
    /* No rule: never released. Exact names only. */
    assert_null(cmz_release_rules_get(rules, "log_data"));
    assert_null(cmz_release_rules_get(rules, "Render_cache"));
    assert_null(cmz_release_rules_get(rules, ""));
    assert_null(cmz_release_rules_get(rules, NULL));
    assert_null(cmz_release_rules_get(NULL, "render_cache"));
    assert_int_equal(cmz_release_rules_count(NULL), 0);
    assert_null(cmz_release_rules_at(NULL, 0));
    cmz_release_rules_free(rules);
    cmz_release_rules_free(NULL);
}

static void put_fails(cmz_release_rules *rules, const cmz_release_rule *rule, const char *message) {
    cmz_diags *d = cmz_diags_new();
    assert_int_equal(cmz_release_rules_put(rules, rule, d), CMZ_ERR_INVALID_ARG);
    assert_int_equal(cmz_diags_count(d), 1);
    char line[512];
    cmz_diag_format(cmz_diags_at(d, 0), line, sizeof line);
    assert_string_equal(line, message);
    assert_int_equal(cmz_diags_at(d, 0)->line, 0);
    cmz_diags_free(d);
}

static void test_put(void **state) {
    (void)state;
    cmz_release_rules *rules = cmz_release_rules_new_default();
    /* Replacing keeps the rule's place; a new type goes last. */
    cmz_release_rule r = RULE("temp_buffers", 7, 45, 1, true, "");
    assert_int_equal(cmz_release_rules_put(rules, &r, NULL), CMZ_OK);
    assert_int_equal(cmz_release_rules_count(rules), 6);
    assert_true(rule_equal(cmz_release_rules_at(rules, 2), &r));
    cmz_release_rule n = RULE("kv_cache", 1000, CMZ_RELEASE_RETAIN_MAX, 1000000, false, "");
    assert_int_equal(cmz_release_rules_put(rules, &n, NULL), CMZ_OK);
    assert_int_equal(cmz_release_rules_count(rules), 7);
    assert_true(rule_equal(cmz_release_rules_at(rules, 6), &n));
    assert_ptr_equal(cmz_release_rules_get(rules, "kv_cache"), cmz_release_rules_at(rules, 6));
    /* Many rules: the array grows. */
    for (int i = 0; i < 40; i++) {
        cmz_release_rule g = RULE("", (unsigned)i + 1, 10, 0, false, "");
        snprintf(g.type, sizeof g.type, "grow_%d", i);
        assert_int_equal(cmz_release_rules_put(rules, &g, NULL), CMZ_OK);
    }
    assert_int_equal(cmz_release_rules_count(rules), 47);
    assert_string_equal(cmz_release_rules_at(rules, 46)->type, "grow_39");

    /* Every field checked like a file's; the rules are unchanged on error. */
    cmz_release_rule bad = RULE("x", 0, 60, 0, false, "");
    put_fails(rules, &bad, "priority 0 is out of range 1..1000 (1 is released first)");
    bad.priority = 1001;
    put_fails(rules, &bad, "priority 1001 is out of range 1..1000 (1 is released first)");
    bad.priority = 1;
    bad.max_retain_time = 0;
    put_fails(rules, &bad, "max_retain_time 0 is out of range 1..31536000 seconds (one year)");
    bad.max_retain_time = CMZ_RELEASE_RETAIN_MAX + 1;
    put_fails(rules, &bad,
              "max_retain_time 31536001 is out of range 1..31536000 seconds (one year)");
    bad.max_retain_time = 60;
    bad.min_required = 1000001;
    put_fails(rules, &bad, "min_required 1000001 is out of range 0..1000000");
    bad.min_required = 0;
    snprintf(bad.type, sizeof bad.type, "9lives");
    put_fails(rules, &bad,
              "type name '9lives' is not valid: use up to 63 letters, digits, '_', '-' and "
              "'.', starting with a letter or '_'");
    bad.type[0] = '\0';
    put_fails(rules, &bad,
              "type name '' is not valid: use up to 63 letters, digits, '_', '-' and '.', "
              "starting with a letter or '_'");
    memset(bad.type, 'a', sizeof bad.type);
    put_fails(rules, &bad, "type name is not NUL-terminated");
    /* Several mistakes: all reported. */
    cmz_release_rule worse = RULE("bad name", 0, 0, 2000000, false, "");
    cmz_diags *d = cmz_diags_new();
    assert_int_equal(cmz_release_rules_put(rules, &worse, d), CMZ_ERR_INVALID_ARG);
    assert_int_equal(cmz_diags_count(d), 4);
    cmz_diags_free(d);
    assert_int_equal(cmz_release_rules_count(rules), 47);
    assert_int_equal(cmz_release_rules_put(NULL, &r, NULL), CMZ_ERR_INVALID_ARG);
    assert_int_equal(cmz_release_rules_put(rules, NULL, NULL), CMZ_ERR_INVALID_ARG);
    cmz_release_rules_free(rules);
}

static void test_format(void **state) {
    (void)state;
    cmz_release_rules *rules = cmz_release_rules_new_default();
    size_t full = 0, size = 0;
    char *text = format_all(rules, &full);
    /* Too small: the full size, a truncated NUL-terminated prefix. */
    char small[100];
    memset(small, 'x', sizeof small);
    assert_int_equal(cmz_release_rules_format(rules, small, sizeof small, &size),
                     CMZ_ERR_DST_TOO_SMALL);
    assert_int_equal(size, full);
    assert_int_equal(strlen(small), sizeof small - 1);
    assert_memory_equal(small, text, sizeof small - 1);
    /* Exactly the length leaves no room for the NUL. */
    char *exact = malloc(full);
    assert_int_equal(cmz_release_rules_format(rules, exact, full, &size), CMZ_ERR_DST_TOO_SMALL);
    assert_int_equal(size, full);
    free(exact);
    /* Optional keys only when they differ from their defaults. */
    assert_non_null(strstr(text, "  model_shards:\n    priority: 1\n    max_retain_time: 300\n"
                                 "    min_required: 2\n    compression: model_weights\n\n"
                                 "  render_cache:\n"));
    assert_non_null(strstr(text, "  temp_buffers:\n    priority: 3\n    max_retain_time: 30\n\n"));
    assert_null(strstr(text, "min_required: 0"));
    assert_null(strstr(text, "compress_before_release: false"));
    assert_int_equal(cmz_release_rules_format(NULL, small, sizeof small, &size),
                     CMZ_ERR_INVALID_ARG);
    assert_int_equal(cmz_release_rules_format(rules, small, sizeof small, NULL),
                     CMZ_ERR_INVALID_ARG);
    assert_int_equal(cmz_release_rules_format(rules, NULL, 10, &size), CMZ_ERR_INVALID_ARG);
    free(text);
    cmz_release_rules_free(rules);
}

static cmz_release_rules *round_trip(const cmz_release_rules *rules) {
    size_t size;
    char *text = format_all(rules, &size);
    cmz_release_rules *back = NULL;
    assert_int_equal(cmz_release_rules_load_string(text, size, "rt", &back, NULL), CMZ_OK);
    assert_rules_equal(rules, back);
    /* Formatting is a fixed point. */
    size_t size2;
    char *text2 = format_all(back, &size2);
    assert_int_equal(size, size2);
    assert_memory_equal(text, text2, size);
    free(text);
    free(text2);
    return back;
}

static void test_round_trip(void **state) {
    (void)state;
    cmz_release_rules *rules = cmz_release_rules_new_default();
    cmz_release_rules_free(round_trip(rules));
    /* Every extreme and every optional key. */
    static const cmz_release_rule extra[] = {
        RULE("a", 1000, 1, 0, false, ""),
        RULE("_b.c-d", 1, CMZ_RELEASE_RETAIN_MAX, 1000000, true, ""),
        RULE("e", 3, 3600, 0, true, "model_weights"),
        RULE("f", 3, 86400, 5, false, "_x.y-z"),
    };
    for (size_t i = 0; i < 4; i++)
        assert_int_equal(cmz_release_rules_put(rules, &extra[i], NULL), CMZ_OK);
    cmz_release_rules_free(round_trip(rules));
    cmz_release_rules_free(rules);
    /* No rules at all: an empty mapping that loads back. */
    cmz_release_rules *none = NULL;
    assert_int_equal(
        cmz_release_rules_load_string("releasable_resources: {}\n", 25, NULL, &none, NULL), CMZ_OK);
    assert_int_equal(cmz_release_rules_count(none), 0);
    size_t size;
    char *text = format_all(none, &size);
    assert_non_null(strstr(text, "\nreleasable_resources: {}\n"));
    free(text);
    cmz_release_rules_free(round_trip(none));
    cmz_release_rules_free(none);
    /* Flow style, comments, anchors and aliases are plain YAML and fine. */
    cmz_release_rules *flow = NULL;
    const char *yaml = "# c\nreleasable_resources: {a: &r {priority: 2, max_retain_time: 9},"
                       " b: *r}  # c\n";
    assert_int_equal(cmz_release_rules_load_string(yaml, strlen(yaml), NULL, &flow, NULL), CMZ_OK);
    assert_int_equal(cmz_release_rules_count(flow), 2);
    assert_int_equal(cmz_release_rules_get(flow, "b")->max_retain_time, 9);
    assert_int_equal(cmz_release_rules_get(flow, "b")->min_required, 0);
    assert_false(cmz_release_rules_get(flow, "b")->compress_before_release);
    cmz_release_rules_free(flow);
}

static void test_load_file_and_arguments(void **state) {
    (void)state;
    cmz_diags *d = cmz_diags_new();
    cmz_release_rules *rules = (cmz_release_rules *)1;
    assert_int_equal(cmz_release_rules_load_file("/nonexistent/r.yaml", &rules, d), CMZ_ERR_IO);
    assert_null(rules);
    assert_int_equal(cmz_diags_count(d), 1);
    char line[512];
    cmz_diag_format(cmz_diags_at(d, 0), line, sizeof line);
    assert_string_equal(line, "/nonexistent/r.yaml: cannot read: No such file or directory");
    cmz_diags_clear(d);
    /* A folder opens but does not read. */
    assert_int_equal(cmz_release_rules_load_file("/", &rules, d), CMZ_ERR_IO);
    cmz_diags_clear(d);
    /* The file name goes into the diagnostics. */
    char *dir = tu_tempdir();
    char path[PATH_MAX];
    snprintf(path, sizeof path, "%s/bad.yaml", dir);
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    fputs("releasable_resources:\n  t:\n    priority: 0\n    max_retain_time: 1\n", f);
    fclose(f);
    assert_int_equal(cmz_release_rules_load_file(path, &rules, d), CMZ_ERR_INVALID_ARG);
    assert_null(rules);
    assert_int_equal(cmz_diags_count(d), 1);
    assert_string_equal(cmz_diags_at(d, 0)->file, path);
    assert_int_equal(cmz_diags_at(d, 0)->line, 3);
    assert_int_equal(cmz_diags_at(d, 0)->column, 15);
    tu_rmtree(dir);
    free(dir);
    assert_int_equal(cmz_release_rules_load_file(NULL, &rules, d), CMZ_ERR_INVALID_ARG);
    assert_int_equal(cmz_release_rules_load_file(shipped_path(), NULL, d), CMZ_ERR_INVALID_ARG);
    assert_int_equal(cmz_release_rules_load_string("x", 1, NULL, NULL, d), CMZ_ERR_INVALID_ARG);
    assert_int_equal(cmz_release_rules_load_string(NULL, 1, NULL, &rules, d), CMZ_ERR_INVALID_ARG);
    /* NULL diags: the status alone tells. */
    assert_int_equal(cmz_release_rules_load_string("x: 1\n", 5, NULL, &rules, NULL),
                     CMZ_ERR_INVALID_ARG);
    /* The default name. */
    cmz_diags_clear(d);
    assert_int_equal(cmz_release_rules_load_string(NULL, 0, NULL, &rules, d), CMZ_ERR_INVALID_ARG);
    cmz_diag_format(cmz_diags_at(d, 0), line, sizeof line);
    assert_string_equal(line, "<string>:1:1: the release rules are empty: the file must start "
                              "with 'releasable_resources:'");
    cmz_diags_free(d);
}

/* ---- validation ---- */

static void test_valid_values(void **state) {
    (void)state;
    diagnose(with_rule("1", "1", "0", "false"), CMZ_OK);
    diagnose(with_rule("1000", "31536000", "1000000", "true"), CMZ_OK);
    diagnose(with_rule("+5", "60", "-0", "true"), CMZ_OK);
    /* The optional keys may be left out. */
    diagnose(TYPE_A, CMZ_OK);
}

static void test_integers(void **state) {
    (void)state;
    /* Out of range, with the range. */
    expect_one(with_rule("0", "60", "0", "false"),
               "r.yaml:6:15: priority 0 is out of range 1..1000 (1 is released first)");
    expect_one(with_rule("1001", "60", "0", "false"),
               "r.yaml:6:15: priority 1001 is out of range 1..1000 (1 is released first)");
    expect_one(with_rule("1", "0", "0", "false"),
               "r.yaml:7:22: max_retain_time 0 is out of range 1..31536000 seconds (one year)");
    expect_one(with_rule("1", "31536001", "0", "false"),
               "r.yaml:7:22: max_retain_time 31536001 is out of range 1..31536000 seconds "
               "(one year)");
    expect_one(with_rule("1", "99999999999999999999999", "0", "false"),
               "r.yaml:7:22: max_retain_time 99999999999999999999999 is out of range "
               "1..31536000 seconds (one year)");
    expect_one(with_rule("1", "4294967296", "0", "false"),
               "r.yaml:7:22: max_retain_time 4294967296 is out of range 1..31536000 seconds "
               "(one year)");
    expect_one(with_rule("1", "60", "1000001", "false"),
               "r.yaml:8:19: min_required 1000001 is out of range 0..1000000");
    /* Negative. */
    expect_one(with_rule("1", "60", "-1", "false"),
               "r.yaml:8:19: min_required must not be negative, got -1");
    expect_one(with_rule("-3", "60", "0", "false"),
               "r.yaml:6:15: priority must not be negative, got -3");
    expect_one(with_rule("1", "-60", "0", "false"),
               "r.yaml:7:22: max_retain_time must not be negative, got -60");
    /* Not an integer: text, floats, units, YAML 1.1 forms. */
    expect_one(with_rule("high", "60", "0", "false"),
               "r.yaml:6:15: priority must be an integer from 1 (released first) to 1000, got "
               "'high'");
    expect_one(with_rule("1.5", "60", "0", "false"),
               "r.yaml:6:15: priority must be an integer from 1 (released first) to 1000, got "
               "'1.5'");
    expect_one(with_rule("1", "5m", "0", "false"),
               "r.yaml:7:22: max_retain_time must be a whole number of seconds from 1 to "
               "31536000 (one year), got '5m'");
    expect_one(with_rule("1", "60.0", "0", "false"),
               "r.yaml:7:22: max_retain_time must be a whole number of seconds from 1 to "
               "31536000 (one year), got '60.0'");
    expect_one(with_rule("1", "1e3", "0", "false"),
               "r.yaml:7:22: max_retain_time must be a whole number of seconds from 1 to "
               "31536000 (one year), got '1e3'");
    expect_one(with_rule("1", "60", "2.0", "false"),
               "r.yaml:8:19: min_required must be an integer from 0 to 1000000, got '2.0'");
    expect_one(with_rule("1", "60", "0x10", "false"),
               "r.yaml:8:19: min_required must be an integer from 0 to 1000000, got '0x10'");
    expect_one(with_rule("1", "1_000", "0", "false"),
               "r.yaml:7:22: max_retain_time must be a whole number of seconds from 1 to "
               "31536000 (one year), got '1_000'");
    expect_one(with_rule("1", "60", "true", "false"),
               "r.yaml:8:19: min_required must be an integer from 0 to 1000000, got 'true'");
    expect_one(with_rule("+", "60", "0", "false"),
               "r.yaml:6:15: priority must be an integer from 1 (released first) to 1000, got "
               "'+'");
    expect_one(with_rule("1", "0600", "0", "false"),
               "r.yaml:7:22: max_retain_time 0600 has a leading zero, which some YAML readers "
               "take as octal; write it without");
    /* Quoted: a string, not a number. */
    expect_one(with_rule("\"1\"", "60", "0", "false"),
               "r.yaml:6:15: priority must be an integer from 1 (released first) to 1000, got "
               "the string \"1\" (remove the quotes)");
    expect_one(with_rule("1", "'60'", "0", "false"),
               "r.yaml:7:22: max_retain_time must be a whole number of seconds from 1 to "
               "31536000 (one year), got the string \"60\" (remove the quotes)");
    /* Wrong node kinds and no value. */
    expect_one(with_rule("[1, 2]", "60", "0", "false"),
               "r.yaml:6:15: priority must be an integer from 1 (released first) to 1000, got "
               "a sequence");
    expect_one(with_rule("1", "{s: 60}", "0", "false"),
               "r.yaml:7:22: max_retain_time must be a whole number of seconds from 1 to "
               "31536000 (one year), got a mapping");
    expect_one(with_rule("", "60", "0", "false"),
               "r.yaml:6:14: priority has no value; it must be an integer from 1 (released "
               "first) to 1000");
    expect_one(with_rule("1", "60", "~", "false"),
               "r.yaml:8:19: min_required has no value; it must be an integer from 0 to "
               "1000000");
    expect_one(with_rule("1", "60", "null", "false"),
               "r.yaml:8:19: min_required has no value; it must be an integer from 0 to "
               "1000000");
    /* A NUL inside a quoted value. */
    expect_one(with_rule("\"1\\0\"", "60", "0", "false"),
               "r.yaml:6:15: priority contains a NUL character");
}

static void test_strict_booleans(void **state) {
    (void)state;
    /* The same rule as the policy's auto_compress: only true and false. */
    static const char *const bad[] = {"maybe", "yes",  "no",    "on", "off", "1",
                                      "0",     "True", "FALSE", "y",  "n",   "TRUE"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        char want[200];
        snprintf(want, sizeof want,
                 "r.yaml:9:30: compress_before_release must be true or false, got '%s'", bad[i]);
        expect_one(with_rule("1", "60", "0", bad[i]), want);
    }
    expect_one(with_rule("1", "60", "0", "\"true\""),
               "r.yaml:9:30: compress_before_release must be true or false, got the string "
               "\"true\" (remove the quotes)");
    expect_one(with_rule("1", "60", "0", "[true]"),
               "r.yaml:9:30: compress_before_release must be true or false, got a sequence");
    expect_one(with_rule("1", "60", "0", ""),
               "r.yaml:9:29: compress_before_release has no value; it must be true or false");
}

static void test_unknown_keys(void **state) {
    (void)state;
    char yaml[4096];
    /* A typo: did you mean, at the key; the key then counts as missing, at the type. */
    snprintf(yaml, sizeof yaml, "%s", with_rule("1", "60", "0", "false"));
    memcpy(strstr(yaml, "  t:\n    priority:") + 9, "priorty: ", 9);
    char *got = diagnose(yaml, CMZ_ERR_INVALID_ARG);
    assert_string_equal(got, "r.yaml:5:3: type 't' is missing key 'priority'\n"
                             "r.yaml:6:5: unknown key 'priorty' in type 't'; did you mean "
                             "'priority'?\n");
    expect_one(TYPE_A "    max_retain: 5\n",
               "r.yaml:5:5: unknown key 'max_retain' in type 'a'; did you mean "
               "'max_retain_time'?");
    expect_one(TYPE_A "    min_require: 5\n",
               "r.yaml:5:5: unknown key 'min_require' in type 'a'; did you mean "
               "'min_required'?");
    expect_one(TYPE_A "    compress_before_releas: true\n",
               "r.yaml:5:5: unknown key 'compress_before_releas' in type 'a'; did you mean "
               "'compress_before_release'?");
    expect_one(TYPE_A "    colour: red\n",
               "r.yaml:5:5: unknown key 'colour' in type 'a'; valid keys: priority, "
               "max_retain_time, and optionally min_required, compress_before_release, "
               "compression");
    expect_one(TYPE_A "    <<: {priority: 3}\n",
               "r.yaml:5:5: YAML merge keys ('<<') are not supported: give every key of type "
               "'a'");
    expect_one(TYPE_A "    [k]: 1\n", "r.yaml:5:5: a key must be a string, got a sequence");
    /* Top level. */
    snprintf(yaml, sizeof yaml, "%sversion: 2\n", TYPE_A);
    expect_one(yaml, "r.yaml:5:1: unknown key 'version' at the top level; the only key is "
                     "'releasable_resources'");
    expect_one("releasable_resource:\n  a: {priority: 1, max_retain_time: 1}\n",
               "r.yaml:1:1: unknown key 'releasable_resource' at the top level; did you mean "
               "'releasable_resources'?\n"
               "r.yaml:1:1: no 'releasable_resources:' key: a release rules file maps it to "
               "the releasable types and their rules");
}

static void test_duplicates(void **state) {
    (void)state;
    char yaml[4096];
    snprintf(yaml, sizeof yaml, "%s", with_rule("1", "60", "0", "false"));
    strcat(yaml, "  t:\n    priority: 2\n");
    expect_one(yaml, "r.yaml:10:3: duplicate type 't' (first defined at line 5)");
    expect_one(TYPE_A "    priority: 2\n",
               "r.yaml:5:5: duplicate key 'priority' in type 'a' (first given at line 3)");
    expect_one(TYPE_A "    max_retain_time: 5\n",
               "r.yaml:5:5: duplicate key 'max_retain_time' in type 'a' (first given at line "
               "4)");
    snprintf(yaml, sizeof yaml, "%sreleasable_resources: {}\n", TYPE_A);
    expect_one(yaml, "r.yaml:5:1: duplicate key 'releasable_resources' (first given at line "
                     "1)");
    /* Equal priorities are allowed: the order of the file breaks the tie. */
    diagnose(TYPE_A "  b:\n    priority: 1\n    max_retain_time: 5\n", CMZ_OK);
}

static void test_missing_and_shape(void **state) {
    (void)state;
    expect_one("releasable_resources:\n  t:\n    min_required: 1\n",
               "r.yaml:2:3: type 't' is missing keys 'priority', 'max_retain_time'");
    expect_one("releasable_resources:\n  t:\n    priority: 1\n",
               "r.yaml:2:3: type 't' is missing key 'max_retain_time'");
    expect_one("releasable_resources:\n  t:\n    max_retain_time: 1\n",
               "r.yaml:2:3: type 't' is missing key 'priority'");
    expect_one("releasable_resources:\n  t: {}\n",
               "r.yaml:2:3: type 't' is missing keys 'priority', 'max_retain_time'");
    expect_one("releasable_resources:\n  t:\n",
               "r.yaml:2:3: type 't' has no rule; it needs priority and max_retain_time");
    expect_one("releasable_resources:\n  t: 5\n",
               "r.yaml:2:6: type 't' must be a mapping of keys (priority, max_retain_time), "
               "got a scalar");
    expect_one("releasable_resources:\n  t: [1, 2]\n",
               "r.yaml:2:6: type 't' must be a mapping of keys (priority, max_retain_time), "
               "got a sequence");
    /* A rule key at the type level: a hint about indentation. */
    expect_one("releasable_resources:\n  t:\n  priority: 1\n",
               "r.yaml:2:3: type 't' has no rule; it needs priority and max_retain_time\n"
               "r.yaml:3:13: type 'priority' must be a mapping of keys (priority, "
               "max_retain_time), got a scalar (is a key indented one level too little?)");
    /* Bad type names. */
    expect_one("releasable_resources:\n  9lives: {priority: 1, max_retain_time: 1}\n",
               "r.yaml:2:3: type name '9lives' is not valid: use up to 63 letters, digits, "
               "'_', '-' and '.', starting with a letter or '_'");
    expect_one("releasable_resources:\n  \"a b\": {priority: 1, max_retain_time: 1}\n",
               "r.yaml:2:3: type name 'a b' is not valid: use up to 63 letters, digits, "
               "'_', '-' and '.', starting with a letter or '_'");
    expect_one("releasable_resources:\n  ? [a]\n  : {priority: 1, max_retain_time: 1}\n",
               "r.yaml:2:5: a type name must be a string, got a sequence");
    char yaml[4096];
    snprintf(yaml, sizeof yaml, "releasable_resources:\n  %064d: {priority: 1}\n", 0);
    yaml[24] = 'a';
    assert_non_null(strstr(diagnose(yaml, CMZ_ERR_INVALID_ARG), "is not valid"));
    /* The top level. */
    expect_one("", "r.yaml:1:1: the release rules are empty: the file must start with "
                   "'releasable_resources:'");
    expect_one("# only a comment\n", "r.yaml:1:1: the release rules are empty: the file must "
                                     "start with 'releasable_resources:'");
    expect_one("- a\n- b\n", "r.yaml:1:1: a release rules file must be a mapping with the key "
                             "'releasable_resources:', got a sequence");
    expect_one("hello\n", "r.yaml:1:1: a release rules file must be a mapping with the key "
                          "'releasable_resources:', got a scalar");
    expect_one("other: 1\n", "r.yaml:1:1: unknown key 'other' at the top level; the only key "
                             "is 'releasable_resources'\n"
                             "r.yaml:1:1: no 'releasable_resources:' key: a release rules "
                             "file maps it to the releasable types and their rules");
    expect_one("releasable_resources:\n",
               "r.yaml:1:1: releasable_resources is empty: it must map type names to their "
               "rules (write 'releasable_resources: {}' to release nothing)");
    expect_one("releasable_resources: [a, b]\n",
               "r.yaml:1:1: releasable_resources must be a mapping of type names to their "
               "rules, got a sequence");
}

static void test_yaml_syntax(void **state) {
    (void)state;
    expect_one(TYPE_A "  t:\n    priority 1\n    max_retain_time: 3\n",
               "r.yaml:7:20: YAML syntax error: mapping values are not allowed in this "
               "context");
    expect_one(TYPE_A "  t:\n    priority: \"1\n",
               "r.yaml:7:1: YAML syntax error: found unexpected end of stream (while scanning "
               "a quoted scalar at line 6, column 15)");
    expect_one(TYPE_A "  t: [1\n",
               "r.yaml:6:1: YAML syntax error: did not find expected ',' or ']' (while parsing "
               "a flow sequence at line 5, column 6)");
    expect_one(TYPE_A "  t: *nowhere\n", "r.yaml:5:6: YAML syntax error: found undefined alias");
    expect_one("releasable_resources:\n\ta: {}\n",
               "r.yaml:2:1: YAML syntax error: found character that cannot start any token "
               "(while scanning for the next token at line 2, column 1); indent with spaces, "
               "not tabs");
    expect_one("releasable_resources:\n  \xff:\n",
               "r.yaml:2:3: not readable as YAML text: invalid leading UTF-8 octet");
    char yaml[4096];
    snprintf(yaml, sizeof yaml, "%s---\nx: 1\n", TYPE_A);
    expect_one(yaml, "r.yaml:6:1: a second YAML document: a release rules file holds one");
}

/* Several mistakes in one file: every one reported, each at its place, in file order. */
static void test_several_mistakes(void **state) {
    (void)state;
    const char *yaml = "releasable_resources:\n"            /* 1 */
                       "  model_shards:\n"                  /* 2 */
                       "    priority: 0\n"                  /* 3: out of range */
                       "    max_retain_time: 300\n"         /* 4 */
                       "    min_required: -2\n"             /* 5: negative */
                       "  render_cache:\n"                  /* 6: missing max_retain_time */
                       "    priorty: 2\n"                   /* 7: typo (and so priority missing) */
                       "    compress_before_release: yes\n" /* 8: not strict */
                       "  model_shards:\n"                  /* 9: duplicate */
                       "    priority: 3\n"                  /* 10 */
                       "  temp_buffers:\n"                  /* 11 */
                       "    priority: 3\n"                  /* 12 */
                       "    max_retain_time: 1.5\n"         /* 13: not an integer */
                       "    priority: 4\n";                 /* 14: duplicate key */
    assert_string_equal(
        diagnose(yaml, CMZ_ERR_INVALID_ARG),
        "r.yaml:3:15: priority 0 is out of range 1..1000 (1 is released first)\n"
        "r.yaml:5:19: min_required must not be negative, got -2\n"
        "r.yaml:6:3: type 'render_cache' is missing keys 'priority', 'max_retain_time'\n"
        "r.yaml:7:5: unknown key 'priorty' in type 'render_cache'; did you mean 'priority'?\n"
        "r.yaml:8:30: compress_before_release must be true or false, got 'yes'\n"
        "r.yaml:9:3: duplicate type 'model_shards' (first defined at line 2)\n"
        "r.yaml:13:22: max_retain_time must be a whole number of seconds from 1 to 31536000 "
        "(one year), got '1.5'\n"
        "r.yaml:14:5: duplicate key 'priority' in type 'temp_buffers' (first given at line "
        "12)\n");
    /* Diagnostics are appended after what the container holds already. */
    cmz_diags *d = cmz_diags_new();
    cmz_release_rules *rules = NULL;
    assert_int_equal(cmz_release_rules_load_string(yaml, strlen(yaml), "one", &rules, d),
                     CMZ_ERR_INVALID_ARG);
    assert_int_equal(cmz_release_rules_load_string("", 0, "two", &rules, d), CMZ_ERR_INVALID_ARG);
    assert_int_equal(cmz_diags_count(d), 9);
    assert_string_equal(cmz_diags_at(d, 8)->file, "two");
    cmz_diags_free(d);
}

/* ---- allocation failures: every call fails cleanly and leaks nothing ---- */

static long fail_at, calls, live;
static void *failing_alloc(void *opaque, size_t size) {
    (void)opaque;
    if (++calls == fail_at) return NULL;
    void *p = malloc(size);
    if (p) live++;
    return p;
}
static void counting_free(void *opaque, void *ptr) {
    (void)opaque;
    live--;
    free(ptr);
}

static void test_allocation_failures(void **state) {
    (void)state;
    size_t size;
    char *text = read_all(shipped_path(), &size);
    cmz_allocator a = {failing_alloc, counting_free, NULL};
    bool completed = false;
    for (fail_at = 1; !completed && fail_at < 1000; fail_at++) {
        calls = 0;
        live = 0;
        cmz_set_allocator(&a);
        cmz_diags *d = cmz_diags_new();
        cmz_release_rules *rules = NULL, *file = NULL, *def = NULL;
        cmz_status st =
            d ? cmz_release_rules_load_string(text, size, "f", &rules, d) : CMZ_ERR_NOMEM;
        if (st == CMZ_OK) st = cmz_release_rules_load_file(shipped_path(), &file, d);
        if (st == CMZ_OK) {
            def = cmz_release_rules_new_default();
            st = def ? CMZ_OK : CMZ_ERR_NOMEM;
        }
        /* The 9th rule grows the array (capacity 8). */
        for (int i = 0; st == CMZ_OK && i < 3; i++) {
            cmz_release_rule r = RULE("", 1, 1, 0, false, "");
            snprintf(r.type, sizeof r.type, "added_%d", i);
            st = cmz_release_rules_put(rules, &r, d);
        }
        /* An invalid file with diagnostics: the diagnostics' file name is allocated. */
        if (st == CMZ_OK) {
            cmz_release_rules *bad = NULL;
            st = cmz_release_rules_load_string("x: 1\n", 5, "bad", &bad, d);
            if (st == CMZ_ERR_INVALID_ARG) completed = true;
        }
        if (!completed) assert_int_equal(st, CMZ_ERR_NOMEM);
        cmz_release_rules_free(rules);
        cmz_release_rules_free(file);
        cmz_release_rules_free(def);
        cmz_diags_free(d);
        cmz_set_allocator(NULL);
        assert_int_equal(live, 0);
    }
    assert_true(completed);
    free(text);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_shipped_file),
        cmocka_unit_test(test_default_is_the_shipped_file),
        cmocka_unit_test(test_get_at_count),
        cmocka_unit_test(test_put),
        cmocka_unit_test(test_format),
        cmocka_unit_test(test_round_trip),
        cmocka_unit_test(test_load_file_and_arguments),
        cmocka_unit_test(test_valid_values),
        cmocka_unit_test(test_integers),
        cmocka_unit_test(test_strict_booleans),
        cmocka_unit_test(test_unknown_keys),
        cmocka_unit_test(test_duplicates),
        cmocka_unit_test(test_missing_and_shape),
        cmocka_unit_test(test_yaml_syntax),
        cmocka_unit_test(test_several_mistakes),
        cmocka_unit_test(test_allocation_failures),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
