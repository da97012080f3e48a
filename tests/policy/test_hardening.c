/* What a hostile or unlucky file does to the two YAML loaders (issue 20): deep nesting is
 * refused at once with its position, tags decide a value's type the way quotes do, numbers
 * are read strictly (signs, leading zeros, overflow, junk), and a codec without levels says so. */
#include "testutil.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cmz/policy.h"
#include "cmz/release.h"

#define DEFAULT_TYPE             \
    "compression_policy:\n"      \
    "  default:\n"               \
    "    algorithm: gzip\n"      \
    "    level: 6\n"             \
    "    chunk_size: 4MB\n"      \
    "    auto_compress: false\n" \
    "    threshold_mb: 10\n"     \
    "    priority: low\n"

/* Type `t` at lines 9..15, its values at the columns test_validate.c lists (level: 11:12). */
static const char *with_type(const char *alg, const char *level, const char *chunk,
                             const char *autoc, const char *mb, const char *prio) {
    static char text[4096];
    snprintf(text, sizeof text,
             DEFAULT_TYPE "  t:\n    algorithm: %s\n    level: %s\n    chunk_size: %s\n"
                          "    auto_compress: %s\n    threshold_mb: %s\n    priority: %s\n",
             alg, level, chunk, autoc, mb, prio);
    return text;
}

/* Every diagnostic, formatted, one per line; the status must be `want`. */
static char *diags_text(cmz_diags *d) {
    static char out[16384];
    out[0] = '\0';
    for (size_t i = 0; i < cmz_diags_count(d); i++) {
        if (cmz_diags_at(d, i)->severity == CMZ_DIAG_WARNING)
            continue; /* a codec this build lacks: tests/policy/test_absent_codec.c */
        char line[512];
        cmz_diag_format(cmz_diags_at(d, i), line, sizeof line);
        strcat(out, line);
        strcat(out, "\n");
    }
    return out;
}

static char *policy_diags(const char *yaml, size_t size, cmz_status want) {
    cmz_diags *d = cmz_diags_new();
    assert_non_null(d);
    cmz_policy *p = (cmz_policy *)1;
    cmz_status st = cmz_policy_load_string(yaml, size, "p.yaml", &p, d);
    char *out = diags_text(d);
    if (st != want)
        fail_msg("status %s, want %s; diagnostics:\n%s", cmz_status_name(st), cmz_status_name(want),
                 out);
    if (want == CMZ_OK) assert_non_null(p);
    else assert_null(p);
    cmz_policy_free(p);
    cmz_diags_free(d);
    return out;
}

static char *rules_diags(const char *yaml, size_t size, cmz_status want) {
    cmz_diags *d = cmz_diags_new();
    assert_non_null(d);
    cmz_release_rules *rules = (cmz_release_rules *)1;
    cmz_status st = cmz_release_rules_load_string(yaml, size, "r.yaml", &rules, d);
    char *out = diags_text(d);
    if (st != want)
        fail_msg("status %s, want %s; diagnostics:\n%s", cmz_status_name(st), cmz_status_name(want),
                 out);
    if (want == CMZ_OK) assert_non_null(rules);
    else assert_null(rules);
    cmz_release_rules_free(rules);
    cmz_diags_free(d);
    return out;
}

static void policy_ok(const char *yaml) { policy_diags(yaml, strlen(yaml), CMZ_OK); }

static void expect_policy(const char *yaml, const char *diag_line) {
    char want[700];
    snprintf(want, sizeof want, "%s\n", diag_line);
    const char *got = policy_diags(yaml, strlen(yaml), CMZ_ERR_INVALID_ARG);
    if (strcmp(got, want) != 0) fail_msg("want:\n%sgot:\n%s", want, got);
}

static void expect_rules(const char *yaml, const char *diag_line) {
    char want[700];
    snprintf(want, sizeof want, "%s\n", diag_line);
    const char *got = rules_diags(yaml, strlen(yaml), CMZ_ERR_INVALID_ARG);
    if (strcmp(got, want) != 0) fail_msg("want:\n%sgot:\n%s", want, got);
}

/* ---- nesting ---- */

/* 400 KB of '[' took libyaml minutes to build into a tree; a cap refuses it at once. SIGALRM's
 * default action ends the test program, so a regression fails instead of hanging ctest. */
static void test_deep_nesting_refused_quickly(void **state) {
    (void)state;
    size_t n = 400000;
    char *deep = malloc(n);
    assert_non_null(deep);
    memset(deep, '[', n);
    alarm(20);
    char *got = policy_diags(deep, n, CMZ_ERR_INVALID_ARG);
    assert_string_equal(got, "p.yaml:1:65: YAML nesting deeper than 64 levels: a policy needs "
                             "3\n");
    got = rules_diags(deep, n, CMZ_ERR_INVALID_ARG);
    assert_string_equal(got, "r.yaml:1:65: YAML nesting deeper than 64 levels: release rules "
                             "need 3\n");
    /* Block mappings nest the same way: each line one level deeper. */
    char *p = deep;
    for (int level = 0; level < 5000; level++) {
        memset(p, ' ', (size_t)level);
        p += level;
        memcpy(p, "a:\n", 3);
        p += 3;
        if ((size_t)(p - deep) > n - 6000) break;
    }
    got = policy_diags(deep, (size_t)(p - deep), CMZ_ERR_INVALID_ARG);
    assert_string_equal(got, "p.yaml:65:65: YAML nesting deeper than 64 levels: a policy needs "
                             "3\n");
    alarm(0);
    free(deep);
}

/* Up to the cap the shape is checked as usual: the value is only the wrong kind. */
static void test_nesting_at_the_cap_is_parsed(void **state) {
    (void)state;
    char yaml[4096];
    /* compression_policy > default > level: 3 levels of mappings, then 61 sequences. */
    int n = snprintf(yaml, sizeof yaml, "compression_policy: {default: {level: ");
    for (int i = 0; i < 61; i++) yaml[n++] = '[';
    for (int i = 0; i < 61; i++) yaml[n++] = ']';
    snprintf(yaml + n, sizeof yaml - (size_t)n, "}}\n");
    const char *got = policy_diags(yaml, strlen(yaml), CMZ_ERR_INVALID_ARG);
    assert_non_null(strstr(got, "p.yaml:1:39: level must be an integer, got a sequence\n"));
    assert_null(strstr(got, "nesting"));
    /* One more is refused. */
    n = snprintf(yaml, sizeof yaml, "compression_policy: {default: {level: ");
    for (int i = 0; i < 62; i++) yaml[n++] = '[';
    yaml[n] = '\0';
    expect_policy(yaml, "p.yaml:1:100: YAML nesting deeper than 64 levels: a policy needs 3");
}

/* Anchors and aliases still work through the new loader; undefined and duplicate anchors are
 * located errors. */
static void test_aliases(void **state) {
    (void)state;
    policy_ok("compression_policy:\n  default: &d {algorithm: zstd, level: 3, chunk_size: 1MB,"
              " auto_compress: true, threshold_mb: 1, priority: low}\n  t: *d\n");
    expect_policy(DEFAULT_TYPE "  t: *anchor\n",
                  "p.yaml:9:6: YAML syntax error: found undefined alias");
    expect_rules("releasable_resources:\n  a: &r {priority: 1, max_retain_time: 9}\n"
                 "  b: &r {priority: 2, max_retain_time: 9}\n",
                 "r.yaml:3:6: YAML syntax error: found duplicate anchor 'r' (first at line 2, "
                 "column 6)");
}

/* Each alias makes the walkers read its anchor's whole subtree again: 4096 types aliasing one
 * mapping of 20000 keys (250 KB) took minutes, and "billion laughs" nests that. What aliases
 * stand for is bounded, counted as they are read; an alias inside the collection it names
 * (recursive data) is refused. */
static void test_alias_expansion_bounded(void **state) {
    (void)state;
    size_t cap = 400000, n = 0;
    char *yaml = malloc(cap);
    assert_non_null(yaml);
    n += (size_t)snprintf(yaml + n, cap - n, "compression_policy:\n  t0: &m {");
    for (int k = 0; k < 20000; k++)
        n += (size_t)snprintf(yaml + n, cap - n, "%sk%d: 1", k ? ", " : "", k);
    n += (size_t)snprintf(yaml + n, cap - n, "}\n");
    for (int t = 1; t < 4096 && n + 32 < cap; t++)
        n += (size_t)snprintf(yaml + n, cap - n, "  t%d: *m\n", t);
    alarm(20);
    /* Refused at the alias that passes the bound (t3: 3 x 40001 nodes), before any walking. */
    const char *got = policy_diags(yaml, n, CMZ_ERR_INVALID_ARG);
    alarm(0);
    assert_string_equal(got, "p.yaml:5:7: YAML aliases stand for more than 100000 nodes in "
                             "all: write the values out\n");
    /* Billion laughs: ten aliases to ten aliases to ... ten scalars. */
    n = (size_t)snprintf(yaml, cap,
                         "releasable_resources:\n  a0: &a0 [x, x, x, x, x, x, x, "
                         "x, x, x]\n");
    for (int i = 1; i < 12; i++) {
        n += (size_t)snprintf(yaml + n, cap - n, "  a%d: &a%d [", i, i);
        for (int k = 0; k < 10; k++)
            n += (size_t)snprintf(yaml + n, cap - n, "%s*a%d", k ? ", " : "", i - 1);
        n += (size_t)snprintf(yaml + n, cap - n, "]\n");
    }
    alarm(20);
    got = rules_diags(yaml, n, CMZ_ERR_INVALID_ARG);
    alarm(0);
    assert_string_equal(got, "r.yaml:6:47: YAML aliases stand for more than 100000 nodes in "
                             "all: write the values out\n");
    /* Sharing within the bound still works: one rule for 4096 types. */
    n = (size_t)snprintf(yaml, cap,
                         "releasable_resources:\n  t0: &r {priority: 1, "
                         "max_retain_time: 9}\n");
    for (int t = 1; t < 4096; t++) n += (size_t)snprintf(yaml + n, cap - n, "  t%d: *r\n", t);
    rules_diags(yaml, n, CMZ_OK);
    free(yaml);
    /* Recursive data: the walkers never loop on it today, but no reader should meet it. */
    expect_policy("compression_policy: &c\n  default: *c\n",
                  "p.yaml:2:12: YAML alias '*c' is inside the collection it names: recursive "
                  "data is not supported");
    expect_rules("releasable_resources:\n  a: &r [1, *r]\n",
                 "r.yaml:2:13: YAML alias '*r' is inside the collection it names: recursive "
                 "data is not supported");
}

/* Each type name is compared with every one before it, so the bound on types counts every key,
 * duplicates too: 4096 types followed by repeats of one name made the search quadratic. */
static void test_types_bounded_with_duplicates(void **state) {
    (void)state;
    size_t cap = 200000, n = 0;
    char *yaml = malloc(cap);
    assert_non_null(yaml);
    n += (size_t)snprintf(yaml, cap, "releasable_resources:\n");
    for (int t = 0; t < 4096; t++)
        n += (size_t)snprintf(yaml + n, cap - n, "  t%d: {priority: 1, max_retain_time: 9}\n", t);
    n += (size_t)snprintf(yaml + n, cap - n, "  t0: {priority: 1, max_retain_time: 9}\n");
    assert_string_equal(rules_diags(yaml, n, CMZ_ERR_INVALID_ARG),
                        "r.yaml:4098:3: too many types: a file holds at most 4096\n");
    n = (size_t)snprintf(yaml, cap,
                         "compression_policy:\n  default: &d {algorithm: zstd, "
                         "level: 3, chunk_size: 1MB, auto_compress: true, "
                         "threshold_mb: 1, priority: low}\n");
    for (int t = 1; t < 4096; t++) n += (size_t)snprintf(yaml + n, cap - n, "  t%d: *d\n", t);
    policy_diags(yaml, n, CMZ_OK);
    n += (size_t)snprintf(yaml + n, cap - n, "  default: *d\n");
    assert_string_equal(policy_diags(yaml, n, CMZ_ERR_INVALID_ARG),
                        "p.yaml:4098:3: too many types: a policy holds at most 4096\n");
    free(yaml);
}

/* The string loaders take what the file loaders take, 16 MiB at most: libyaml counts a
 * value's length in an int, which a text past 2 GiB overflows. */
static void test_text_size_bounded(void **state) {
    (void)state;
    size_t n = ((size_t)16 << 20) + 1;
    char *big = malloc(n);
    assert_non_null(big);
    memset(big, '#', n);
    assert_string_equal(policy_diags(big, n, CMZ_ERR_INVALID_ARG),
                        "p.yaml: larger than 16 MiB: not a policy file\n");
    assert_string_equal(rules_diags(big, n, CMZ_ERR_INVALID_ARG),
                        "r.yaml: larger than 16 MiB: not a release rules file\n");
    free(big);
}

/* ---- tags ---- */

static void test_tags_follow_their_type(void **state) {
    (void)state;
    /* !!str 6 is a string, refused like "6"; !!int 6 is the integer 6. */
    expect_policy(with_type("zstd", "!!str 6", "1MB", "true", "5", "high"),
                  "p.yaml:11:12: level must be an integer, got the string \"6\" (tagged !!str)");
    expect_policy(with_type("zstd", "\"6\"", "1MB", "true", "5", "high"),
                  "p.yaml:11:12: level must be an integer, got the string \"6\" (remove the "
                  "quotes)");
    policy_ok(with_type("zstd", "!!int 6", "1MB", "true", "5", "high"));
    policy_ok(with_type("!!str zstd", "!!int \"6\"", "!!int 65536", "!!bool true", "!!float 0.5",
                        "!!str high"));
    /* A tag of another type than the key takes. */
    expect_policy(with_type("zstd", "!!float 6", "1MB", "true", "5", "high"),
                  "p.yaml:11:12: level must be an integer, got a value tagged !!float");
    expect_policy(with_type("zstd", "3", "1MB", "!!str true", "5", "high"),
                  "p.yaml:13:20: auto_compress must be true or false, got the string \"true\" "
                  "(tagged !!str)");
    expect_policy(with_type("!!int 3", "3", "1MB", "true", "5", "high"),
                  "p.yaml:10:16: algorithm must be a codec name such as zstd, got a value "
                  "tagged !!int");
    expect_policy(with_type("zstd", "!!null", "1MB", "true", "5", "high"),
                  "p.yaml:11:12: level has no value; it must be an integer");
    /* Unknown tags, on values and on collections, at the tag. */
    expect_policy(with_type("zstd", "!big 6", "1MB", "true", "5", "high"),
                  "p.yaml:11:12: unsupported YAML tag '!big': values are untagged, or tagged "
                  "!!str, !!int, !!float, !!bool or !!null");
    expect_policy(with_type("zstd", "!!timestamp 6", "1MB", "true", "5", "high"),
                  "p.yaml:11:12: unsupported YAML tag '!!timestamp': values are untagged, or "
                  "tagged !!str, !!int, !!float, !!bool or !!null");
    expect_policy("compression_policy: !!set {default: {}}\n",
                  "p.yaml:1:21: unsupported YAML tag '!!set' on a mapping: it can only be "
                  "!!map");
    /* The release rules follow the same rules. */
    expect_rules("releasable_resources:\n  a: {priority: !!str 1, max_retain_time: 9}\n",
                 "r.yaml:2:17: priority must be an integer from 1 (released first) to 1000, "
                 "got the string \"1\" (tagged !!str)");
    rules_diags("releasable_resources:\n  a: {priority: !!int 1, max_retain_time: 9,"
                " compress_before_release: !!bool true}\n",
                strlen("releasable_resources:\n  a: {priority: !!int 1, max_retain_time: 9,"
                       " compress_before_release: !!bool true}\n"),
                CMZ_OK);
}

/* ---- numbers ---- */

static void test_numbers_strict(void **state) {
    (void)state;
    /* Leading zeros are octal to YAML 1.1 readers: refused for every number, as for the
     * release rules. */
    expect_policy(with_type("zstd", "010", "1MB", "true", "5", "high"),
                  "p.yaml:11:12: level 010 has a leading zero, which some YAML readers take as "
                  "octal; write it without");
    expect_policy(with_type("zstd", "3", "0100MB", "true", "5", "high"),
                  "p.yaml:12:17: chunk_size 0100MB has a leading zero, which some YAML readers "
                  "take as octal; write it without");
    expect_policy(with_type("zstd", "3", "1MB", "true", "05", "high"),
                  "p.yaml:14:19: threshold_mb 05 has a leading zero, which some YAML readers "
                  "take as octal; write it without");
    expect_policy(DEFAULT_TYPE "    filter: planes\n    typesize: 04\n",
                  "p.yaml:10:15: typesize 04 has a leading zero, which some YAML readers take "
                  "as octal; write it without");
    /* Overflow, however long: out of range, never wrapped. */
    expect_policy(with_type("zstd", "-99999999999999999999999", "1MB", "true", "5", "high"),
                  "p.yaml:11:12: level -99999999999999999999999 is out of range");
    expect_policy(with_type("zstd", "3", "18446744073709551617", "true", "5", "high"),
                  "p.yaml:12:17: chunk_size 18446744073709551617 is above the maximum of 1GB");
    expect_policy(with_type("zstd", "3", "1MB", "true", "18446744073709551617", "high"),
                  "p.yaml:14:19: threshold_mb 18446744073709551617 is above the maximum of "
                  "1048576 (1 TiB)");
    /* Junk: hex, separators, exponents, signs twice. */
    expect_policy(with_type("zstd", "0x3", "1MB", "true", "5", "high"),
                  "p.yaml:11:12: level must be an integer, got '0x3'");
    expect_policy(with_type("zstd", "+-3", "1MB", "true", "5", "high"),
                  "p.yaml:11:12: level must be an integer, got '+-3'");
    expect_policy(with_type("zstd", "3", "1_048_576", "true", "5", "high"),
                  "p.yaml:12:17: chunk_size must be a size such as 512KB, 4MB or 65536 "
                  "(bytes), got '1_048_576'");
    expect_policy(with_type("zstd", "3", "1MB", "true", "1e3", "high"),
                  "p.yaml:14:19: threshold_mb must be a number of megabytes such as 5 or 0.5, "
                  "got '1e3'");
    expect_policy(DEFAULT_TYPE "    filter: planes\n    typesize: 4.0\n",
                  "p.yaml:10:15: typesize must be 1, 2, 4 or 8 (0 with filter auto), got "
                  "'4.0'");
    /* Signs: + is allowed, - only where the key can be negative (not sizes). */
    policy_ok(with_type("zstd", "+3", "+1MB", "true", "+0.5", "high"));
    expect_policy(with_type("zstd", "3", "-1MB", "true", "5", "high"),
                  "p.yaml:12:17: chunk_size must not be negative, got -1MB");
    /* The settings of create/update are read by the same function. */
    cmz_policy *p = cmz_policy_new_default();
    cmz_diags *d = cmz_diags_new();
    cmz_policy_setting s[] = {{"level", "06"}, {"typesize", "+4"}};
    assert_int_equal(cmz_policy_update(p, "log_data", s, 1, d), CMZ_ERR_INVALID_ARG);
    assert_string_equal(diags_text(d), "level 06 has a leading zero, which some YAML readers "
                                       "take as octal; write it without\n");
    cmz_diags_clear(d);
    assert_int_equal(cmz_policy_update(p, "model_weights", s + 1, 1, d), CMZ_OK);
    assert_int_equal(cmz_policy_get(p, "model_weights")->typesize, 4);
    cmz_diags_free(d);
    cmz_policy_free(p);
}

/* ---- codecs without levels ---- */

static void test_codec_without_levels(void **state) {
    (void)state;
    expect_policy(with_type("rans", "2", "1MB", "true", "5", "high"),
                  "p.yaml:11:12: rans has no levels: its level is 0 (for level 2, choose an "
                  "algorithm that has levels)");
    cmz_policy *p = cmz_policy_new_default();
    cmz_diags *d = cmz_diags_new();
    cmz_policy_setting s[] = {{"level", "2"}};
    assert_int_equal(cmz_policy_update(p, "model_weights", s, 1, d), CMZ_ERR_INVALID_ARG);
    assert_string_equal(diags_text(d), "rans has no levels: its level is 0 (for level 2, "
                                       "choose an algorithm that has levels)\n");
    cmz_diags_clear(d);
    cmz_policy_setting none[] = {{"algorithm", "none"}, {"level", "1"}};
    assert_int_equal(cmz_policy_update(p, "log_data", none, 2, d), CMZ_ERR_INVALID_ARG);
    assert_string_equal(diags_text(d), "none has no levels: its level is 0 (for level 1, "
                                       "choose an algorithm that has levels)\n");
    cmz_diags_free(d);
    cmz_policy_free(p);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_deep_nesting_refused_quickly),
        cmocka_unit_test(test_nesting_at_the_cap_is_parsed),
        cmocka_unit_test(test_aliases),
        cmocka_unit_test(test_alias_expansion_bounded),
        cmocka_unit_test(test_text_size_bounded),
        cmocka_unit_test(test_types_bounded_with_duplicates),
        cmocka_unit_test(test_tags_follow_their_type),
        cmocka_unit_test(test_numbers_strict),
        cmocka_unit_test(test_codec_without_levels),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
