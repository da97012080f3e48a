/* Policy validation: every kind of mistake gives its own message at its own line and column,
 * and every mistake in a file is reported, not just the first. */
#include "testutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmz/policy.h"

/* A valid `default`, then one more type `t` whose six values are given (lines 9..15):
 *
 *  1 compression_policy:            9   t:
 *  2   default:                    10     algorithm: ALG        (value at column 16)
 *  3     algorithm: gzip           11     level: LEVEL          (column 12)
 *  4     level: 6                  12     chunk_size: CHUNK     (column 17)
 *  5     chunk_size: 4MB           13     auto_compress: AUTO   (column 20)
 *  6     auto_compress: false      14     threshold_mb: MB      (column 19)
 *  7     threshold_mb: 10          15     priority: PRIO        (column 15)
 *  8     priority: low
 */
#define DEFAULT_TYPE             \
    "compression_policy:\n"      \
    "  default:\n"               \
    "    algorithm: gzip\n"      \
    "    level: 6\n"             \
    "    chunk_size: 4MB\n"      \
    "    auto_compress: false\n" \
    "    threshold_mb: 10\n"     \
    "    priority: low\n"

static char text[4096];

static const char *with_type(const char *alg, const char *level, const char *chunk,
                             const char *autoc, const char *mb, const char *prio) {
    snprintf(text, sizeof text,
             DEFAULT_TYPE "  t:\n    algorithm: %s\n    level: %s\n    chunk_size: %s\n"
                          "    auto_compress: %s\n    threshold_mb: %s\n    priority: %s\n",
             alg, level, chunk, autoc, mb, prio);
    return text;
}

/* Loads text as "p.yaml" and returns every diagnostic, formatted, one per line. */
static char *diagnose(const char *yaml, cmz_status want) {
    cmz_diags *d = cmz_diags_new();
    assert_non_null(d);
    cmz_policy *p = (cmz_policy *)1;
    cmz_status st = cmz_policy_load_string(yaml, strlen(yaml), "p.yaml", &p, d);
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
    if (st != want)
        fail_msg("status %s, want %s; diagnostics:\n%s", cmz_status_name(st), cmz_status_name(want),
                 out);
    if (want == CMZ_OK) {
        assert_non_null(p);
        cmz_policy_free(p);
    } else {
        assert_null(p);
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

static const char *valid_codecs(void) {
    static char list[200];
    size_t n = 0;
    const cmz_codec *const *codecs = cmz_codec_list(&n);
    list[0] = '\0';
    for (size_t i = 0; i < n; i++) {
        if (i) strcat(list, ", ");
        strcat(list, cmz_codec_name(codecs[i]));
    }
    return list;
}

static void test_valid_base(void **state) {
    (void)state;
    diagnose(with_type("zstd", "3", "1MB", "true", "0.5", "high"), CMZ_OK);
}

static void test_unknown_key_suggestions(void **state) {
    (void)state;
    char yaml[8192];
    /* A typo of a key: did you mean, at the key's position; the key then counts as missing. */
    snprintf(yaml, sizeof yaml, "%s", with_type("zstd", "3", "1MB", "true", "5", "high"));
    char *lvl = strstr(yaml + strlen(DEFAULT_TYPE), "    level:");
    memcpy(lvl, "    levle:", 10);
    char *got = diagnose(yaml, CMZ_ERR_INVALID_ARG);
    assert_string_equal(got,
                        "p.yaml:9:3: type 't' is missing key 'level'\n"
                        "p.yaml:11:5: unknown key 'levle' in type 't'; did you mean 'level'?\n");
    /* No plausible key: the valid ones are listed. */
    expect_one(DEFAULT_TYPE "    colour: red\n",
               "p.yaml:9:5: unknown key 'colour' in type 'default'; valid keys: algorithm, "
               "level, chunk_size, auto_compress, threshold_mb, priority, and optionally "
               "filter, typesize");
    /* Missing underscore, dropped suffix. */
    expect_one(DEFAULT_TYPE "    chunksize: 1MB\n",
               "p.yaml:9:5: unknown key 'chunksize' in type 'default'; did you mean "
               "'chunk_size'?");
    expect_one(DEFAULT_TYPE "    threshold: 1\n",
               "p.yaml:9:5: unknown key 'threshold' in type 'default'; did you mean "
               "'threshold_mb'?");
    /* The optional keys are suggested too. */
    expect_one(DEFAULT_TYPE "    filtr: planes\n",
               "p.yaml:9:5: unknown key 'filtr' in type 'default'; did you mean 'filter'?");
    expect_one(DEFAULT_TYPE "    type_size: 4\n",
               "p.yaml:9:5: unknown key 'type_size' in type 'default'; did you mean "
               "'typesize'?");
    expect_one(DEFAULT_TYPE "    <<: {level: 3}\n",
               "p.yaml:9:5: YAML merge keys ('<<') are not supported: give every key of type "
               "'default'");
    /* Anchors and aliases themselves are fine. */
    diagnose("compression_policy:\n  default: &d {algorithm: zstd, level: 3, chunk_size: 1MB,"
             " auto_compress: true, threshold_mb: 1, priority: low}\n  t: *d\n",
             CMZ_OK);
    /* Top level. */
    snprintf(yaml, sizeof yaml, "%sversion: 2\n", DEFAULT_TYPE);
    expect_one(yaml, "p.yaml:9:1: unknown key 'version' at the top level; the only key is "
                     "'compression_policy'");
    snprintf(yaml, sizeof yaml, "compresion_policy:\n  default: {}\n");
    got = diagnose(yaml, CMZ_ERR_INVALID_ARG);
    assert_string_equal(got, "p.yaml:1:1: unknown key 'compresion_policy' at the top level; "
                             "did you mean 'compression_policy'?\n"
                             "p.yaml:1:1: no 'compression_policy:' key: a policy file maps it "
                             "to the types and their settings\n");
}

/* filter and typesize, appended to `default` at lines 9 and 10: a filter's value is at
 * column 13, a typesize's at column 15. */
static void test_filters(void **state) {
    (void)state;
    tu_need_codec(CMZ_CODEC_GZIP); /* gzip's level range */
    /* Valid pairs; names are case-insensitive; auto may leave typesize out. */
    diagnose(DEFAULT_TYPE "    filter: planes\n    typesize: 4\n", CMZ_OK);
    diagnose(DEFAULT_TYPE "    typesize: 2\n    filter: Shuffle\n", CMZ_OK);
    diagnose(DEFAULT_TYPE "    filter: auto\n", CMZ_OK);
    diagnose(DEFAULT_TYPE "    filter: auto\n    typesize: 8\n", CMZ_OK);
    diagnose(DEFAULT_TYPE "    filter: auto\n    typesize: 0\n", CMZ_OK);
    diagnose(DEFAULT_TYPE "    filter: none\n    typesize: 1\n", CMZ_OK);
    diagnose(DEFAULT_TYPE "    filter: \"delta\"\n    typesize: 8\n", CMZ_OK);
    diagnose(DEFAULT_TYPE "    typesize: 1\n", CMZ_OK);
    /* The planes codec takes a typesize of its own, without a filter; 3 it does not. */
    static const char planes_type[] = "compression_policy:\n  default:\n    algorithm: planes\n"
                                      "    level: 0\n    chunk_size: 1MB\n"
                                      "    auto_compress: false\n    threshold_mb: 10\n"
                                      "    priority: low\n";
    char doc[512];
    snprintf(doc, sizeof doc, "%s    typesize: 2\n", planes_type);
    diagnose(doc, CMZ_OK);
    snprintf(doc, sizeof doc, "%s    typesize: 3\n", planes_type);
    expect_one(doc, "p.yaml:9:15: typesize must be 1, 2, 4 or 8 (0 with filter auto), got '3'");

    /* An unknown filter, with a did-you-mean when one is close. */
    expect_one(DEFAULT_TYPE "    filter: plane\n    typesize: 4\n",
               "p.yaml:9:13: unknown filter 'plane'; valid filters: none, shuffle, bitshuffle, "
               "delta, planes, auto; did you mean 'planes'?");
    expect_one(DEFAULT_TYPE "    filter: bitshufle\n    typesize: 4\n",
               "p.yaml:9:13: unknown filter 'bitshufle'; valid filters: none, shuffle, "
               "bitshuffle, delta, planes, auto; did you mean 'bitshuffle'?");
    expect_one(DEFAULT_TYPE "    filter: zfp\n",
               "p.yaml:9:13: unknown filter 'zfp'; valid filters: none, shuffle, bitshuffle, "
               "delta, planes, auto");
    expect_one(DEFAULT_TYPE "    filter: [planes]\n",
               "p.yaml:9:13: filter must be a filter name (none, shuffle, bitshuffle, delta, "
               "planes) or auto, got a sequence");

    /* Typesizes that no filter takes, or written as strings. */
    expect_one(DEFAULT_TYPE "    filter: planes\n    typesize: 3\n",
               "p.yaml:10:15: typesize must be 1, 2, 4 or 8 (0 with filter auto), got '3'");
    expect_one(DEFAULT_TYPE "    filter: planes\n    typesize: four\n",
               "p.yaml:10:15: typesize must be 1, 2, 4 or 8 (0 with filter auto), got 'four'");
    expect_one(DEFAULT_TYPE "    filter: planes\n    typesize: \"4\"\n",
               "p.yaml:10:15: typesize must be 1, 2, 4 or 8 (0 with filter auto), got the "
               "string \"4\" (remove the quotes)");
    expect_one(DEFAULT_TYPE "    filter: planes\n    typesize:\n",
               "p.yaml:10:14: typesize has no value; it must be 1, 2, 4 or 8 (0 with filter "
               "auto)");

    /* A typesize the filter does not take, at the typesize. */
    expect_one(DEFAULT_TYPE "    filter: planes\n    typesize: 1\n",
               "p.yaml:10:15: typesize 1 is not valid for filter planes: it takes 2, 4 or 8");
    expect_one(DEFAULT_TYPE "    filter: none\n    typesize: 4\n",
               "p.yaml:10:15: typesize 4 is not valid for filter none: it takes 1");
    expect_one(DEFAULT_TYPE "    filter: auto\n    typesize: 1\n",
               "p.yaml:10:15: typesize 1 is not valid for filter auto: it takes 2, 4 or 8 "
               "(leave it out to try 2 and 4)");
    expect_one(DEFAULT_TYPE "    filter: shuffle\n    typesize: 0\n",
               "p.yaml:10:15: typesize 0 is only valid with filter auto (it tries 2 and 4)");
    /* A typesize without a filter, and a filter without a typesize. */
    expect_one(DEFAULT_TYPE "    typesize: 4\n",
               "p.yaml:9:15: typesize 4 needs a filter (shuffle, bitshuffle, delta, planes or "
               "auto) or the planes codec (algorithm planes): otherwise, typesize is 1");
    expect_one(DEFAULT_TYPE "    filter: planes\n",
               "p.yaml:9:13: filter planes needs a typesize: 2, 4 or 8 (the size of one "
               "element, e.g. 4 for float32, 2 for float16)");
    expect_one(DEFAULT_TYPE "    filter: delta\n    filter: planes\n    typesize: 2\n",
               "p.yaml:10:5: duplicate key 'filter' in type 'default' (first given at line 9)");

    /* With other mistakes: all reported, in file order. */
    char yaml[8192];
    snprintf(yaml, sizeof yaml, "%s    filter: planes\n    typesize: 6\n",
             with_type("gzip", "30", "1MB", "true", "5", "high"));
    char *got = diagnose(yaml, CMZ_ERR_INVALID_ARG);
    assert_string_equal(got, "p.yaml:11:12: level 30 is out of range for gzip (valid: 1..12)\n"
                             "p.yaml:17:15: typesize must be 1, 2, 4 or 8 (0 with filter auto), "
                             "got '6'\n");
}

static void test_wrong_types(void **state) {
    (void)state;
    expect_one(with_type("zstd", "\"3\"", "1MB", "true", "5", "high"),
               "p.yaml:11:12: level must be an integer, got the string \"3\" (remove the "
               "quotes)");
    expect_one(with_type("zstd", "fast", "1MB", "true", "5", "high"),
               "p.yaml:11:12: level must be an integer, got 'fast'");
    expect_one(with_type("zstd", "2.5", "1MB", "true", "5", "high"),
               "p.yaml:11:12: level must be an integer, got '2.5'");
    expect_one(with_type("zstd", "[1, 2]", "1MB", "true", "5", "high"),
               "p.yaml:11:12: level must be an integer, got a sequence");
    expect_one(with_type("{a: b}", "3", "1MB", "true", "5", "high"),
               "p.yaml:10:16: algorithm must be a codec name such as zstd, got a mapping");
    expect_one(with_type("zstd", "", "1MB", "true", "5", "high"),
               "p.yaml:11:11: level has no value; it must be an integer");
    expect_one(with_type("zstd", "3", "1MB", "true", "5MB", "high"),
               "p.yaml:14:19: threshold_mb must be a number of megabytes such as 5 or 0.5, "
               "got '5MB'");
    expect_one(with_type("zstd", "3", "1MB", "true", "'5'", "high"),
               "p.yaml:14:19: threshold_mb must be a number of megabytes such as 5 or 0.5, "
               "got the string \"5\" (remove the quotes)");
    expect_one(with_type("zstd", "3", "big", "true", "5", "high"),
               "p.yaml:12:17: chunk_size must be a size such as 512KB, 4MB or 65536 (bytes), "
               "got 'big'");
    expect_one(with_type("zstd", "3", "1.5MB", "true", "5", "high"),
               "p.yaml:12:17: chunk_size must be a size such as 512KB, 4MB or 65536 (bytes), "
               "got '1.5MB'");
    expect_one(with_type("zstd", "3", "1MB", "true", "5", "hihg"),
               "p.yaml:15:15: priority must be high, medium or low, got 'hihg'; did you mean "
               "'high'?");
    expect_one(with_type("zstd", "3", "1MB", "true", "5", "urgent"),
               "p.yaml:15:15: priority must be high, medium or low, got 'urgent'");
    /* A type that is not a mapping. */
    expect_one(DEFAULT_TYPE "  t: zstd\n",
               "p.yaml:9:6: type 't' must be a mapping of keys (algorithm, level, chunk_size, "
               "auto_compress, threshold_mb, priority), got a scalar");
    expect_one(DEFAULT_TYPE "  t:\n",
               "p.yaml:9:3: type 't' has no settings; it needs algorithm, level, chunk_size, "
               "auto_compress, threshold_mb and priority");
    /* Type names. */
    expect_one(DEFAULT_TYPE "  \"my type\": {}\n",
               "p.yaml:9:3: type name 'my type' is not valid: use up to 63 letters, digits, "
               "'_', '-' and '.', starting with a letter or '_'");
    expect_one(DEFAULT_TYPE "  [a]: {}\n", "p.yaml:9:3: a type name must be a string, got a "
                                           "sequence");
}

static void test_strict_booleans(void **state) {
    (void)state;
    diagnose(with_type("zstd", "3", "1MB", "false", "5", "high"), CMZ_OK);
    static const char *const bad[] = {"maybe", "yes", "no",   "on",    "off",
                                      "1",     "0",   "True", "FALSE", "y"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        char want[200];
        snprintf(want, sizeof want, "p.yaml:13:20: auto_compress must be true or false, got '%s'",
                 bad[i]);
        expect_one(with_type("zstd", "3", "1MB", bad[i], "5", "high"), want);
    }
    expect_one(with_type("zstd", "3", "1MB", "\"true\"", "5", "high"),
               "p.yaml:13:20: auto_compress must be true or false, got the string \"true\" "
               "(remove the quotes)");
}

static void test_levels_out_of_range(void **state) {
    (void)state;
    tu_need_codec(CMZ_CODEC_ZSTD);
    tu_need_codec(CMZ_CODEC_GZIP); /* their level ranges */
    expect_one(with_type("lz4", "13", "1MB", "true", "5", "high"),
               "p.yaml:11:12: level 13 is out of range for lz4 (valid: 0..12)");
    expect_one(with_type("gzip", "0", "1MB", "true", "5", "high"),
               "p.yaml:11:12: level 0 is out of range for gzip (valid: 1..12)");
    /* -1000 is the API's CMZ_LEVEL_DEFAULT, never a level a file may name. */
    expect_one(with_type("gzip", "-1000", "1MB", "true", "5", "high"),
               "p.yaml:11:12: level -1000 is out of range for gzip (valid: 1..12)");
    expect_one(with_type("zstd", "99999999999", "1MB", "true", "5", "high"),
               "p.yaml:11:12: level 99999999999 is out of range");
    /* Every in-range level of every compiled codec is accepted, the bounds included. */
    size_t n = 0;
    const cmz_codec *const *codecs = cmz_codec_list(&n);
    for (size_t i = 0; i < n; i++) {
        char lo[16], hi[16];
        snprintf(lo, sizeof lo, "%d", cmz_codec_min_level(codecs[i]));
        snprintf(hi, sizeof hi, "%d", cmz_codec_max_level(codecs[i]));
        diagnose(with_type(cmz_codec_name(codecs[i]), lo, "1MB", "true", "5", "high"), CMZ_OK);
        diagnose(with_type(cmz_codec_name(codecs[i]), hi, "1MB", "true", "5", "high"), CMZ_OK);
    }
}

static void test_unknown_algorithm(void **state) {
    (void)state;
    char want[400];
    snprintf(want, sizeof want,
             "p.yaml:10:16: unknown codec 'zstdd'; valid codecs: %s; did you mean 'zstd'?",
             valid_codecs());
    expect_one(with_type("zstdd", "3", "1MB", "true", "5", "high"), want);
    snprintf(want, sizeof want, "p.yaml:10:16: unknown codec 'deflate64'; valid codecs: %s",
             valid_codecs());
    expect_one(with_type("deflate64", "3", "1MB", "true", "5", "high"), want);
    /* Aliases are accepted (and saved under the codec's own name). */
    diagnose(with_type("xz", "6", "1MB", "true", "5", "high"), CMZ_OK);
    diagnose(with_type("GZ", "6", "1MB", "true", "5", "high"), CMZ_OK);
}

static void test_sizes(void **state) {
    (void)state;
    expect_one(with_type("zstd", "3", "-1MB", "true", "5", "high"),
               "p.yaml:12:17: chunk_size must not be negative, got -1MB");
    expect_one(with_type("zstd", "3", "8", "true", "5", "high"),
               "p.yaml:12:17: chunk_size 8 is below the minimum of 16 bytes");
    expect_one(with_type("zstd", "3", "2GB", "true", "5", "high"),
               "p.yaml:12:17: chunk_size 2GB is above the maximum of 1GB");
    expect_one(with_type("zstd", "3", "1T", "true", "5", "high"),
               "p.yaml:12:17: chunk_size 1T is above the maximum of 1GB");
    expect_one(with_type("zstd", "3", "99999999999999999999999", "true", "5", "high"),
               "p.yaml:12:17: chunk_size 99999999999999999999999 is above the maximum of 1GB");
    expect_one(with_type("zstd", "3", "4XB", "true", "5", "high"),
               "p.yaml:12:17: chunk_size '4XB' has an unknown unit 'XB'; use B, KB, MB or GB "
               "(1KB = 1024 bytes) or a plain number of bytes");
    expect_one(with_type("zstd", "3", "1MB", "true", "-5", "high"),
               "p.yaml:14:19: threshold_mb must not be negative, got -5");
    expect_one(with_type("zstd", "3", "1MB", "true", "2000000", "high"),
               "p.yaml:14:19: threshold_mb 2000000 is above the maximum of 1048576 (1 TiB)");
    /* The bounds themselves are fine. */
    diagnose(with_type("zstd", "3", "16", "true", "0", "high"), CMZ_OK);
    diagnose(with_type("zstd", "3", "1GB", "true", "1048576", "high"), CMZ_OK);
    diagnose(with_type("zstd", "3", "1GiB", "true", "1048576.0", "high"), CMZ_OK);
    diagnose(with_type("zstd", "3", "16B", "true", "0.000001", "high"), CMZ_OK);
    diagnose(with_type("zstd", "3", "64k", "true", "1", "high"), CMZ_OK);
    diagnose(with_type("zstd", "3", "4 MiB", "true", "1", "high"), CMZ_OK);
}

static void test_duplicates(void **state) {
    (void)state;
    char yaml[8192];
    snprintf(yaml, sizeof yaml, "%s", with_type("zstd", "3", "1MB", "true", "5", "high"));
    strcat(yaml, "  t:\n    algorithm: lz4\n");
    expect_one(yaml, "p.yaml:16:3: duplicate type 't' (first defined at line 9)");
    expect_one(DEFAULT_TYPE "    priority: high\n",
               "p.yaml:9:5: duplicate key 'priority' in type 'default' (first given at line 8)");
    snprintf(yaml, sizeof yaml, "%scompression_policy: {}\n", DEFAULT_TYPE);
    expect_one(yaml, "p.yaml:9:1: duplicate key 'compression_policy' (first given at line 1)");
}

static void test_missing(void **state) {
    (void)state;
    expect_one("compression_policy:\n  t:\n    algorithm: zstd\n    level: 3\n"
               "    chunk_size: 1MB\n    auto_compress: true\n    threshold_mb: 5\n"
               "    priority: high\n",
               "p.yaml:1:1: no 'default' type: every policy needs one, it applies to the types "
               "the policy does not list");
    expect_one(DEFAULT_TYPE "  t:\n    algorithm: zstd\n",
               "p.yaml:9:3: type 't' is missing keys 'level', 'chunk_size', 'auto_compress', "
               "'threshold_mb', 'priority'");
    expect_one("compression_policy:\n",
               "p.yaml:1:1: compression_policy is empty: it must map type names (at least "
               "'default') to their settings");
    expect_one("", "p.yaml:1:1: the policy is empty: it must start with 'compression_policy:'");
    expect_one("# only a comment\n",
               "p.yaml:1:1: the policy is empty: it must start with 'compression_policy:'");
    expect_one("- a\n- b\n", "p.yaml:1:1: a policy file must be a mapping with the key "
                             "'compression_policy:', got a sequence");
}

static void test_yaml_syntax(void **state) {
    (void)state;
    expect_one(DEFAULT_TYPE "  t:\n    algorithm zstd\n    level: 3\n",
               "p.yaml:11:10: YAML syntax error: mapping values are not allowed in this "
               "context");
    expect_one(DEFAULT_TYPE "  t:\n     algorithm: zstd\n    level: 3\n",
               "p.yaml:11:5: YAML syntax error: did not find expected key (while parsing a "
               "block mapping at line 2, column 3)");
    expect_one(DEFAULT_TYPE "  t:\n    algorithm: \"zstd\n",
               "p.yaml:11:1: YAML syntax error: found unexpected end of stream (while "
               "scanning a quoted scalar at line 10, column 16)");
    expect_one(DEFAULT_TYPE "  t: *anchor\n", "p.yaml:9:6: YAML syntax error: found undefined "
                                              "alias");
    expect_one(DEFAULT_TYPE "  t: [zstd\n",
               "p.yaml:10:1: YAML syntax error: did not find expected ',' or ']' (while "
               "parsing a flow sequence at line 9, column 6)");
    expect_one("compression_policy:\n\tdefault: {}\n",
               "p.yaml:2:1: YAML syntax error: found character that cannot start any token "
               "(while scanning for the next token at line 2, column 1); indent with spaces, "
               "not tabs");
    /* Not UTF-8: located by the byte offset libyaml gives. */
    expect_one("compression_policy:\n  def\xff:\n",
               "p.yaml:2:6: not readable as YAML text: invalid leading UTF-8 octet");
    /* A second document is refused rather than ignored. */
    char yaml[8192];
    snprintf(yaml, sizeof yaml, "%s---\nx: 1\n", DEFAULT_TYPE);
    expect_one(yaml, "p.yaml:10:1: a second YAML document: a policy file holds one");
}

/* The bar: a file with five different mistakes gets five located errors, in file order. */
static void test_five_mistakes(void **state) {
    (void)state;
    tu_need_codec(CMZ_CODEC_GZIP); /* gzip's level range */
    char yaml[8192];
    snprintf(yaml, sizeof yaml, "%s",
             DEFAULT_TYPE                 /* 1..8 */
             "  subtitle:\n"              /* 9 */
             "    algorithm: lz5\n"       /* 10: unknown algorithm */
             "    level: 0\n"             /* 11 */
             "    chunk_size: 512KB\n"    /* 12 */
             "    auto_compress: maybe\n" /* 13: not a strict boolean */
             "    threshold_mb: 1\n"      /* 14 */
             "    priority: high\n"       /* 15 */
             "  log_data:\n"              /* 16 */
             "    algorithm: gzip\n"      /* 17 */
             "    level: 15\n"            /* 18: level out of range */
             "    chunk_size: 10MB\n"     /* 19 */
             "    auto_compress: true\n"  /* 20 */
             "    threshold_mb: -2\n"     /* 21: negative size */
             "    priority: low\n"        /* 22 */
             "    levle: 9\n");           /* 23: unknown key */
    char *got = diagnose(yaml, CMZ_ERR_INVALID_ARG);
    char want[2048];
    snprintf(want, sizeof want,
             "p.yaml:10:16: unknown codec 'lz5'; valid codecs: %s; did you mean 'lz4'?\n"
             "p.yaml:13:20: auto_compress must be true or false, got 'maybe'\n"
             "p.yaml:18:12: level 15 is out of range for gzip (valid: 1..12)\n"
             "p.yaml:21:19: threshold_mb must not be negative, got -2\n"
             "p.yaml:23:5: unknown key 'levle' in type 'log_data'; did you mean 'level'?\n",
             valid_codecs());
    assert_string_equal(got, want);
}

static void test_diags_container(void **state) {
    (void)state;
    /* Past CMZ_DIAGS_MAX, diagnostics are counted, not stored. */
    size_t cap = 200 * 40 + 256;
    char *yaml = malloc(cap);
    assert_non_null(yaml);
    strcpy(yaml, DEFAULT_TYPE);
    for (int i = 0; i < 150; i++) sprintf(yaml + strlen(yaml), "    bad%d: 1\n", i);
    cmz_diags *d = cmz_diags_new();
    cmz_policy *p = NULL;
    assert_int_equal(cmz_policy_load_string(yaml, strlen(yaml), NULL, &p, d), CMZ_ERR_INVALID_ARG);
    /* a build without gzip warns once about default's codec (test_absent_codec.c) */
    size_t warned = cmz_codec_by_id(CMZ_CODEC_GZIP) ? 0 : 1;
    assert_int_equal(cmz_diags_count(d), CMZ_DIAGS_MAX);
    assert_int_equal(cmz_diags_dropped(d), 50 + warned);
    assert_string_equal(cmz_diags_at(d, 0)->file, "<string>");
    assert_null(cmz_diags_at(d, CMZ_DIAGS_MAX));
    /* Diagnostics accumulate across calls until cleared. */
    assert_int_equal(cmz_policy_load_string("x", 1, "q.yaml", &p, d), CMZ_ERR_INVALID_ARG);
    assert_int_equal(cmz_diags_dropped(d), 51 + warned);
    cmz_diags_clear(d);
    assert_int_equal(cmz_diags_count(d), 0);
    assert_int_equal(cmz_policy_load_string("x", 1, "q.yaml", &p, d), CMZ_ERR_INVALID_ARG);
    assert_int_equal(cmz_diags_count(d), 1);
    /* Formatting without a file or a position. */
    cmz_diag diag = {.file = "", .message = "just the message", .severity = CMZ_DIAG_ERROR};
    char buf[64];
    assert_int_equal(cmz_diag_format(&diag, buf, sizeof buf), strlen("just the message"));
    assert_string_equal(buf, "just the message");
    diag.file = "f.yaml";
    cmz_diag_format(&diag, buf, sizeof buf);
    assert_string_equal(buf, "f.yaml: just the message");
    diag.line = 3;
    diag.column = 7;
    assert_int_equal(cmz_diag_format(&diag, buf, 8), strlen("f.yaml:3:7: just the message"));
    assert_string_equal(buf, "f.yaml:");
    /* A warning says so, where compilers do. */
    diag.severity = CMZ_DIAG_WARNING;
    char wide[128];
    cmz_diag_format(&diag, wide, sizeof wide);
    assert_string_equal(wide, "f.yaml:3:7: warning: just the message");
    /* NULL diags: the status alone. */
    assert_int_equal(cmz_policy_load_string("x", 1, NULL, &p, NULL), CMZ_ERR_INVALID_ARG);
    assert_null(p);
    cmz_diags_free(d);
    free(yaml);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_valid_base),
        cmocka_unit_test(test_unknown_key_suggestions),
        cmocka_unit_test(test_wrong_types),
        cmocka_unit_test(test_strict_booleans),
        cmocka_unit_test(test_levels_out_of_range),
        cmocka_unit_test(test_unknown_algorithm),
        cmocka_unit_test(test_filters),
        cmocka_unit_test(test_sizes),
        cmocka_unit_test(test_duplicates),
        cmocka_unit_test(test_missing),
        cmocka_unit_test(test_yaml_syntax),
        cmocka_unit_test(test_five_mistakes),
        cmocka_unit_test(test_diags_container),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
