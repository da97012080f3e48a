/* The policy API: the shipped file, built-in defaults, round trips, lookup and apply, edits,
 * atomic save, the finder, and allocation failures. (Validation messages: test_validate.c.) */
#include "testutil.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cmz/policy.h"

/* configs/compression_layers.yaml of the source tree: $CMZ_SOURCE_DIR (ctest sets it), else
 * found from this file's own path. */
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

static void write_file(const char *path, const char *text) {
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

static char *format_all(const cmz_policy *p, size_t *size) {
    assert_int_equal(cmz_policy_format(p, NULL, 0, size), CMZ_ERR_DST_TOO_SMALL);
    char *buf = malloc(*size + 1);
    assert_non_null(buf);
    assert_int_equal(cmz_policy_format(p, buf, *size + 1, size), CMZ_OK);
    assert_int_equal(strlen(buf), *size);
    return buf;
}

static cmz_policy *load_ok(const char *path) {
    cmz_diags *d = cmz_diags_new();
    cmz_policy *p = NULL;
    cmz_status st = cmz_policy_load_file(path, &p, d);
    if (st != CMZ_OK) {
        char line[512] = "";
        if (cmz_diags_count(d)) cmz_diag_format(cmz_diags_at(d, 0), line, sizeof line);
        fail_msg("%s: %s: %s", path, cmz_status_name(st), line);
    }
    for (size_t i = 0; i < cmz_diags_count(d); i++) /* warnings only: test_absent_codec.c */
        assert_int_equal(cmz_diags_at(d, i)->severity, CMZ_DIAG_WARNING);
    cmz_diags_free(d);
    return p;
}

static void test_shipped_file_verifies(void **state) {
    (void)state;
    cmz_policy *p = load_ok(shipped_path());
    assert_int_equal(cmz_policy_count(p), 8);
    /* The specification's table, row by row. */
    static const struct {
        const char *type;
        int codec, level;
        uint32_t chunk;
        bool autoc;
        uint64_t mb;
        cmz_priority prio;
        int filter;
        unsigned typesize;
    } table[] = {
        {"model_weights", CMZ_CODEC_RANS, 0, 1u << 20, false, 50, CMZ_PRIORITY_LOW,
         CMZ_FILTER_PLANES, 4},
        {"subtitle", CMZ_CODEC_LZ4, 0, 512u << 10, true, 1, CMZ_PRIORITY_HIGH, 0, 1},
        {"intermediate_cache", CMZ_CODEC_LZ4, 1, 4u << 20, true, 5, CMZ_PRIORITY_MEDIUM, 0, 1},
        {"attention_cache", CMZ_CODEC_ZSTD, 1, 2u << 20, true, 10, CMZ_PRIORITY_MEDIUM,
         CMZ_FILTER_PLANES, 2},
        {"file_cache", CMZ_CODEC_ZSTD, 3, 8u << 20, true, 20, CMZ_PRIORITY_LOW, 0, 1},
        {"temp_buffers", CMZ_CODEC_LZ4, 0, 1u << 20, true, 5, CMZ_PRIORITY_HIGH, 0, 1},
        {"log_data", CMZ_CODEC_GZIP, 6, 10u << 20, true, 2, CMZ_PRIORITY_LOW, 0, 1},
        {"default", CMZ_CODEC_GZIP, 6, 4u << 20, false, 10, CMZ_PRIORITY_LOW, 0, 1},
    };
    for (size_t i = 0; i < 8; i++) {
        const cmz_policy_entry *e = cmz_policy_at(p, i);
        assert_string_equal(e->type, table[i].type);
        assert_int_equal(e->codec, table[i].codec);
        assert_int_equal(e->level, table[i].level);
        assert_int_equal(e->chunk_size, table[i].chunk);
        assert_int_equal(e->auto_compress, table[i].autoc);
        assert_int_equal(e->threshold, table[i].mb << 20);
        assert_int_equal(e->priority, table[i].prio);
        assert_int_equal(e->filter, table[i].filter);
        assert_int_equal(e->typesize, table[i].typesize);
    }
    cmz_policy_free(p);
}

static void test_builtin_is_the_shipped_file(void **state) {
    (void)state;
    cmz_policy *shipped = load_ok(shipped_path());
    cmz_policy *builtin = cmz_policy_new_default();
    assert_true(cmz_policy_equal(shipped, builtin));
    /* Byte for byte: the shipped file is what saving the defaults writes, so `cmz policy`
     * edits of it change only the lines they are asked to. */
    size_t file_size, text_size;
    char *file = read_all(shipped_path(), &file_size);
    char *text = format_all(builtin, &text_size);
    assert_int_equal(file_size, text_size);
    assert_memory_equal(file, text, text_size);
    free(file);
    free(text);
    cmz_policy_free(shipped);
    cmz_policy_free(builtin);
}

static void test_round_trip(void **state) {
    (void)state;
    cmz_policy *p = load_ok(shipped_path());
    /* Values that test the writer: sizes that are not whole units, fractional MB. */
    cmz_policy_entry e = *cmz_policy_lookup(p, "subtitle");
    snprintf(e.type, sizeof e.type, "odd.sizes-1");
    e.chunk_size = 65537;
    e.threshold = 1;
    assert_int_equal(cmz_policy_put(p, &e, NULL), CMZ_OK);
    snprintf(e.type, sizeof e.type, "_fractions");
    e.codec = CMZ_CODEC_NONE;
    e.level = 0;
    e.chunk_size = 3u << 10;
    e.threshold = (1u << 19) + (1u << 10) + 7;
    e.priority = CMZ_PRIORITY_MEDIUM;
    assert_int_equal(cmz_policy_put(p, &e, NULL), CMZ_OK);
    e.chunk_size = 1u << 30;
    e.threshold = CMZ_POLICY_THRESHOLD_MAX;
    snprintf(e.type, sizeof e.type, "largest");
    assert_int_equal(cmz_policy_put(p, &e, NULL), CMZ_OK);
    /* the planes codec's typesize, with no filter: written, and read back */
    snprintf(e.type, sizeof e.type, "bf16_weights");
    e.codec = CMZ_CODEC_PLANES;
    e.filter = CMZ_FILTER_NONE;
    e.typesize = 2;
    assert_int_equal(cmz_policy_put(p, &e, NULL), CMZ_OK);

    size_t size;
    char *text = format_all(p, &size);
    cmz_policy *again = NULL;
    assert_int_equal(cmz_policy_load_string(text, size, "text", &again, NULL), CMZ_OK);
    assert_true(cmz_policy_equal(p, again));

    char *dir = tu_tempdir(), path[PATH_MAX];
    snprintf(path, sizeof path, "%s/policy.yaml", dir);
    cmz_error err;
    assert_int_equal(cmz_policy_save(p, path, &err), CMZ_OK);
    cmz_policy *from_file = load_ok(path);
    assert_true(cmz_policy_equal(p, from_file));
    size_t file_size;
    char *file = read_all(path, &file_size);
    assert_string_equal(file, text);
    /* Saving what was loaded gives the same bytes. */
    assert_int_equal(cmz_policy_save(from_file, path, &err), CMZ_OK);
    char *file2 = read_all(path, &file_size);
    assert_string_equal(file2, text);

    char value[64];
    const cmz_policy_entry *f = cmz_policy_get(from_file, "_fractions");
    cmz_policy_format_value(f, "threshold_mb", value, sizeof value);
    assert_string_equal(value, "0.50098323822021484375");
    cmz_policy_format_value(f, "chunk_size", value, sizeof value);
    assert_string_equal(value, "3KB");
    cmz_policy_format_value(cmz_policy_get(from_file, "odd.sizes-1"), "chunk_size", value,
                            sizeof value);
    assert_string_equal(value, "65537");
    assert_int_equal(cmz_policy_format_value(f, "colour", value, sizeof value), 0);
    assert_int_equal(cmz_policy_get(from_file, "bf16_weights")->typesize, 2);
    assert_int_equal(cmz_policy_get(from_file, "bf16_weights")->codec, CMZ_CODEC_PLANES);

    free(file);
    free(file2);
    free(text);
    cmz_policy_free(again);
    cmz_policy_free(from_file);
    cmz_policy_free(p);
    tu_rmtree(dir);
    free(dir);
}

static void test_lookup_and_apply(void **state) {
    (void)state;
    tu_need_codec(CMZ_CODEC_GZIP); /* default's own codec (test_absent_codec.c: without it) */
    cmz_policy *p = cmz_policy_new_default();
    const cmz_policy_entry *def = cmz_policy_get(p, "default");
    assert_non_null(def);
    assert_ptr_equal(cmz_policy_lookup(p, "no_such_type"), def);
    assert_ptr_equal(cmz_policy_lookup(p, NULL), def);
    assert_ptr_equal(cmz_policy_lookup(p, ""), def);
    assert_null(cmz_policy_get(p, "no_such_type"));
    assert_null(cmz_policy_get(p, "Subtitle")); /* names are case-sensitive */
    assert_string_equal(cmz_policy_lookup(p, "subtitle")->type, "subtitle");
    assert_null(cmz_policy_lookup(NULL, "subtitle"));
    assert_null(cmz_policy_at(p, 8));

    cmz_params params = cmz_params_default();
    params.threads = 3;
    assert_int_equal(cmz_policy_apply(p, "subtitle", &params), CMZ_OK);
    assert_int_equal(params.codec, CMZ_CODEC_LZ4);
    assert_int_equal(params.level, 0);
    assert_int_equal(params.chunk_size, 512u << 10);
    assert_int_equal(params.threads, 3); /* the rest is left alone */
    cmz_params resolved;
    assert_int_equal(cmz_params_resolve(&params, &resolved, NULL), CMZ_OK);
    assert_int_equal(cmz_policy_apply(p, "unknown", &params), CMZ_OK);
    assert_int_equal(params.codec, CMZ_CODEC_GZIP);
    assert_int_equal(params.level, 6);
    assert_int_equal(params.chunk_size, 4u << 20);
    /* Every type's parameters are accepted by the engine. */
    for (size_t i = 0; i < cmz_policy_count(p); i++) {
        assert_int_equal(cmz_policy_apply(p, cmz_policy_at(p, i)->type, &params), CMZ_OK);
        assert_int_equal(cmz_params_resolve(&params, &resolved, NULL), CMZ_OK);
    }
    assert_int_equal(cmz_policy_apply(p, "x", NULL), CMZ_ERR_INVALID_ARG);
    assert_int_equal(cmz_policy_apply(NULL, "x", &params), CMZ_ERR_INVALID_ARG);
    cmz_policy_free(p);
}

static char *all_diags(const cmz_diags *d) {
    static char out[4096];
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

static void test_create_update_delete(void **state) {
    (void)state;
    tu_need_codec(CMZ_CODEC_ZSTD);
    tu_need_codec(CMZ_CODEC_GZIP); /* chosen and checked by name */
    cmz_policy *p = cmz_policy_new_default();
    cmz_policy *before = cmz_policy_clone(p);
    cmz_diags *d = cmz_diags_new();

    /* create: unset keys take default's values; new types go before `default`. */
    cmz_policy_setting s[] = {{"algorithm", "zstd"}, {"level", "2"}, {"threshold_mb", "5"}};
    assert_int_equal(cmz_policy_create(p, "render_cache", s, 3, d), CMZ_OK);
    assert_int_equal(cmz_diags_count(d), 0);
    const cmz_policy_entry *e = cmz_policy_get(p, "render_cache");
    assert_ptr_equal(e, cmz_policy_at(p, 7));
    assert_string_equal(cmz_policy_at(p, 8)->type, "default");
    assert_int_equal(e->codec, CMZ_CODEC_ZSTD);
    assert_int_equal(e->level, 2);
    assert_int_equal(e->threshold, 5u << 20);
    assert_int_equal(e->chunk_size, 4u << 20);
    assert_false(e->auto_compress);
    assert_int_equal(e->priority, CMZ_PRIORITY_LOW);
    assert_int_equal(cmz_policy_create(p, "render_cache", NULL, 0, d), CMZ_ERR_INVALID_ARG);
    assert_string_equal(all_diags(d), "type 'render_cache' already exists\n");

    /* Every bad setting is reported, and nothing changes. */
    cmz_policy *snapshot = cmz_policy_clone(p);
    cmz_diags_clear(d);
    cmz_policy_setting bad[] = {{"level", "99"},
                                {"auto_compress", "maybe"},
                                {"chunk_size", "0"},
                                {"priorty", "low"},
                                {"threshold_mb", "-1"}};
    assert_int_equal(cmz_policy_create(p, "x", bad, 5, d), CMZ_ERR_INVALID_ARG);
    assert_string_equal(all_diags(d), "auto_compress must be true or false, got 'maybe'\n"
                                      "chunk_size 0 is below the minimum of 16 bytes\n"
                                      "unknown key 'priorty'; did you mean 'priority'?\n"
                                      "threshold_mb must not be negative, got -1\n"
                                      "level 99 is out of range for gzip (valid: 1..12)\n");
    assert_true(cmz_policy_equal(p, snapshot));
    cmz_diags_clear(d);
    assert_int_equal(cmz_policy_create(p, "bad name", NULL, 0, d), CMZ_ERR_INVALID_ARG);
    assert_int_equal(cmz_diags_count(d), 1);
    assert_true(cmz_policy_equal(p, snapshot));

    /* update: only the given keys change. */
    cmz_diags_clear(d);
    cmz_policy_setting u[] = {{"level", "9"}, {"auto_compress", "true"}};
    assert_int_equal(cmz_policy_update(p, "subtitle", u, 2, d), CMZ_OK);
    e = cmz_policy_get(p, "subtitle");
    assert_int_equal(e->level, 9);
    assert_true(e->auto_compress);
    assert_int_equal(e->codec, CMZ_CODEC_LZ4);
    assert_int_equal(e->chunk_size, 512u << 10);
    /* A new algorithm keeps the level, which must suit it. */
    cmz_policy_setting to_gzip[] = {{"algorithm", "gzip"}};
    cmz_policy_setting to_gzip0[] = {{"level", "0"}, {"algorithm", "gzip"}};
    assert_int_equal(cmz_policy_update(p, "subtitle", to_gzip, 1, d), CMZ_OK);
    assert_int_equal(cmz_policy_update(p, "subtitle", to_gzip0, 2, d), CMZ_ERR_INVALID_ARG);
    assert_string_equal(all_diags(d), "level 0 is out of range for gzip (valid: 1..12)\n");
    assert_int_equal(cmz_policy_get(p, "subtitle")->level, 9);
    cmz_diags_clear(d);
    assert_int_equal(cmz_policy_update(p, "nope", u, 2, d), CMZ_ERR_INVALID_ARG);
    assert_string_equal(all_diags(d), "no type 'nope' in the policy\n");

    /* delete: never `default`. */
    cmz_diags_clear(d);
    assert_int_equal(cmz_policy_delete(p, "default", d), CMZ_ERR_INVALID_ARG);
    assert_string_equal(all_diags(d), "type 'default' cannot be deleted: it is the fallback "
                                      "for every type the policy does not list\n");
    assert_int_equal(cmz_policy_delete(p, "nope", NULL), CMZ_ERR_INVALID_ARG);
    assert_int_equal(cmz_policy_delete(p, "render_cache", NULL), CMZ_OK);
    assert_null(cmz_policy_get(p, "render_cache"));
    assert_int_equal(
        cmz_policy_update(
            p, "subtitle",
            (cmz_policy_setting[]){{"algorithm", "lz4"}, {"level", "0"}, {"auto_compress", "true"}},
            3, NULL),
        CMZ_OK);
    assert_true(cmz_policy_equal(p, before));

    /* put checks every field. */
    cmz_policy_entry bad_entry = *cmz_policy_get(p, "default");
    snprintf(bad_entry.type, sizeof bad_entry.type, "ok_name");
    bad_entry.level = 40;
    bad_entry.chunk_size = 8;
    bad_entry.threshold = CMZ_POLICY_THRESHOLD_MAX + 1;
    bad_entry.priority = (cmz_priority)7;
    cmz_diags_clear(d);
    assert_int_equal(cmz_policy_put(p, &bad_entry, d), CMZ_ERR_INVALID_ARG);
    assert_int_equal(cmz_diags_count(d), 4);
    bad_entry = *cmz_policy_get(p, "default");
    bad_entry.codec = 99;
    assert_int_equal(cmz_policy_put(p, &bad_entry, NULL), CMZ_ERR_INVALID_ARG);
    assert_true(cmz_policy_equal(p, before));
    bad_entry = *cmz_policy_get(p, "default");
    bad_entry.level = 9;
    assert_int_equal(cmz_policy_put(p, &bad_entry, NULL), CMZ_OK); /* replaces */
    assert_int_equal(cmz_policy_count(p), 8);
    assert_int_equal(cmz_policy_get(p, "default")->level, 9);

    cmz_diags_free(d);
    cmz_policy_free(snapshot);
    cmz_policy_free(before);
    cmz_policy_free(p);
}

/* filter and typesize: saved only when set, loaded back equal; apply passes them on; create
 * and update check them together. */
static void test_filters(void **state) {
    (void)state;
    cmz_policy *p = cmz_policy_new_default();
    cmz_policy_entry e = *cmz_policy_get(p, "default");
    static const struct {
        const char *type;
        int filter;
        unsigned typesize;
        const char *lines; /* what the file writes after priority */
    } cases[] = {
        {"f_shuffle", CMZ_FILTER_SHUFFLE, 8, "    filter: shuffle\n    typesize: 8\n"},
        {"f_bits", CMZ_FILTER_BITSHUFFLE, 2, "    filter: bitshuffle\n    typesize: 2\n"},
        {"f_delta", CMZ_FILTER_DELTA, 4, "    filter: delta\n    typesize: 4\n"},
        {"f_auto", CMZ_FILTER_AUTO, 0, "    filter: auto\n"},
        {"f_auto4", CMZ_FILTER_AUTO, 4, "    filter: auto\n    typesize: 4\n"},
        {"f_none", CMZ_FILTER_NONE, 1, ""},
    };
    char want[4096];
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        snprintf(e.type, sizeof e.type, "%s", cases[i].type);
        e.filter = cases[i].filter;
        e.typesize = cases[i].typesize;
        assert_int_equal(cmz_policy_put(p, &e, NULL), CMZ_OK);
    }
    size_t size;
    char *text = format_all(p, &size);
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        snprintf(want, sizeof want,
                 "  %s:\n    algorithm: gzip\n    level: 6\n    chunk_size: 4MB\n"
                 "    auto_compress: false\n    threshold_mb: 10\n    priority: low\n%s\n",
                 cases[i].type, cases[i].lines);
        if (!strstr(text, want)) fail_msg("no block\n%sin\n%s", want, text);
    }
    cmz_policy *again = NULL;
    assert_int_equal(cmz_policy_load_string(text, size, "text", &again, NULL), CMZ_OK);
    assert_true(cmz_policy_equal(p, again));
    size_t size2;
    char *text2 = format_all(again, &size2);
    assert_string_equal(text2, text);
    /* Equality sees the filter and the typesize. */
    e = *cmz_policy_get(p, "f_auto4");
    e.typesize = 8;
    assert_int_equal(cmz_policy_put(again, &e, NULL), CMZ_OK);
    assert_false(cmz_policy_equal(p, again));

    char value[64];
    const cmz_policy_entry *w = cmz_policy_get(p, "model_weights");
    assert_int_equal(cmz_policy_format_value(w, "filter", value, sizeof value), 6);
    assert_string_equal(value, "planes");
    cmz_policy_format_value(w, "typesize", value, sizeof value);
    assert_string_equal(value, "4");
    cmz_policy_format_value(cmz_policy_get(p, "subtitle"), "filter", value, sizeof value);
    assert_string_equal(value, "none");
    cmz_policy_format_value(cmz_policy_get(p, "f_auto"), "filter", value, sizeof value);
    assert_string_equal(value, "auto");

    /* apply: the type's filter goes into the parameters, which the engine accepts. */
    cmz_params params = cmz_params_default(), resolved;
    assert_int_equal(cmz_policy_apply(p, "model_weights", &params), CMZ_OK);
    assert_int_equal(params.filter, CMZ_FILTER_PLANES);
    assert_int_equal(params.typesize, 4);
    assert_int_equal(cmz_params_resolve(&params, &resolved, NULL), CMZ_OK);
    assert_int_equal(cmz_policy_apply(p, "attention_cache", &params), CMZ_OK);
    assert_int_equal(params.filter, CMZ_FILTER_PLANES);
    assert_int_equal(params.typesize, 2);
    assert_int_equal(cmz_policy_apply(p, "not_listed", &params), CMZ_OK);
    assert_int_equal(params.filter, CMZ_FILTER_NONE);
    assert_int_equal(params.typesize, 1);
    for (size_t i = 0; i < cmz_policy_count(p); i++) {
        assert_int_equal(cmz_policy_apply(p, cmz_policy_at(p, i)->type, &params), CMZ_OK);
        assert_int_equal(cmz_params_resolve(&params, &resolved, NULL), CMZ_OK);
    }

    /* create and update: checked together, without positions. */
    cmz_diags *d = cmz_diags_new();
    cmz_policy_setting c[] = {{"filter", "shuffle"}, {"typesize", "2"}};
    assert_int_equal(cmz_policy_create(p, "pcm16", c, 2, d), CMZ_OK);
    assert_int_equal(cmz_policy_get(p, "pcm16")->filter, CMZ_FILTER_SHUFFLE);
    assert_int_equal(cmz_policy_get(p, "pcm16")->typesize, 2);
    cmz_policy *snapshot = cmz_policy_clone(p);
    cmz_policy_setting bad[] = {{"filter", "shufle"}, {"typesize", "3"}};
    assert_int_equal(cmz_policy_create(p, "x", bad, 2, d), CMZ_ERR_INVALID_ARG);
    assert_string_equal(all_diags(d),
                        "unknown filter 'shufle'; valid filters: none, shuffle, bitshuffle, "
                        "delta, planes, auto; did you mean 'shuffle'?\n"
                        "typesize must be 1, 2, 4 or 8 (0 with filter auto), got '3'\n");
    cmz_diags_clear(d);
    cmz_policy_setting planes_only[] = {{"filter", "planes"}};
    assert_int_equal(cmz_policy_create(p, "x", planes_only, 1, d), CMZ_ERR_INVALID_ARG);
    assert_string_equal(all_diags(d), "filter planes needs a typesize: 2, 4 or 8 (the size "
                                      "of one element, e.g. 4 for float32, 2 for float16)\n");
    cmz_diags_clear(d);
    cmz_policy_setting size_only[] = {{"typesize", "4"}};
    assert_int_equal(cmz_policy_update(p, "subtitle", size_only, 1, d), CMZ_ERR_INVALID_ARG);
    assert_string_equal(all_diags(d), "typesize 4 needs a filter (shuffle, bitshuffle, delta, "
                                      "planes or auto) or the planes codec (algorithm "
                                      "planes): otherwise, typesize is 1\n");
    assert_true(cmz_policy_equal(p, snapshot));
    /* A filter alone keeps a typesize that suits it: planes/4 -> shuffle/4 -> auto/4. */
    cmz_policy_setting to_shuffle[] = {{"filter", "shuffle"}}, to_auto[] = {{"filter", "auto"}},
                       to_none[] = {{"filter", "none"}}, ts8[] = {{"typesize", "8"}};
    assert_int_equal(cmz_policy_update(p, "model_weights", to_shuffle, 1, NULL), CMZ_OK);
    assert_int_equal(cmz_policy_get(p, "model_weights")->typesize, 4);
    assert_int_equal(cmz_policy_update(p, "model_weights", to_auto, 1, NULL), CMZ_OK);
    assert_int_equal(cmz_policy_get(p, "model_weights")->filter, CMZ_FILTER_AUTO);
    assert_int_equal(cmz_policy_get(p, "model_weights")->typesize, 4);
    /* ... else takes the filter's own: none 1, auto 0 (try 2 and 4). */
    assert_int_equal(cmz_policy_update(p, "model_weights", to_none, 1, NULL), CMZ_OK);
    assert_int_equal(cmz_policy_get(p, "model_weights")->filter, CMZ_FILTER_NONE);
    assert_int_equal(cmz_policy_get(p, "model_weights")->typesize, 1);
    assert_int_equal(cmz_policy_update(p, "model_weights", to_auto, 1, NULL), CMZ_OK);
    assert_int_equal(cmz_policy_get(p, "model_weights")->typesize, 0);
    /* A typesize alone keeps the filter. */
    assert_int_equal(cmz_policy_update(p, "attention_cache", ts8, 1, NULL), CMZ_OK);
    assert_int_equal(cmz_policy_get(p, "attention_cache")->filter, CMZ_FILTER_PLANES);
    assert_int_equal(cmz_policy_get(p, "attention_cache")->typesize, 8);
    /* The planes codec's typesize (no filter) goes back to 1 with another algorithm. */
    cmz_policy_setting to_planes[] = {{"algorithm", "planes"}, {"level", "0"}, {"typesize", "2"}},
                       to_store[] = {{"algorithm", "none"}, {"level", "0"}};
    assert_int_equal(cmz_policy_update(p, "model_weights", to_none, 1, NULL), CMZ_OK);
    assert_int_equal(cmz_policy_update(p, "model_weights", to_planes, 3, NULL), CMZ_OK);
    assert_int_equal(cmz_policy_get(p, "model_weights")->typesize, 2);
    assert_int_equal(cmz_policy_update(p, "model_weights", to_store, 2, NULL), CMZ_OK);
    assert_int_equal(cmz_policy_get(p, "model_weights")->typesize, 1);
    cmz_policy_entry checked = *cmz_policy_get(p, "model_weights"); /* put checks the pair */
    assert_int_equal(cmz_policy_put(p, &checked, NULL), CMZ_OK);

    /* put checks the pair and the id. */
    e = *cmz_policy_get(p, "default");
    e.filter = CMZ_FILTER_PLANES;
    e.typesize = 1;
    cmz_diags_clear(d);
    assert_int_equal(cmz_policy_put(p, &e, d), CMZ_ERR_INVALID_ARG);
    assert_string_equal(all_diags(d), "typesize 1 is not valid for filter planes\n");
    e.filter = 9;
    e.typesize = 4;
    cmz_diags_clear(d);
    assert_int_equal(cmz_policy_put(p, &e, d), CMZ_ERR_INVALID_ARG);
    assert_string_equal(all_diags(d), "filter id 9 is unknown\n");
    e.filter = CMZ_FILTER_NONE;
    e.typesize = 0;
    assert_int_equal(cmz_policy_put(p, &e, NULL), CMZ_ERR_INVALID_ARG);

    cmz_diags_free(d);
    free(text);
    free(text2);
    cmz_policy_free(snapshot);
    cmz_policy_free(again);
    cmz_policy_free(p);
}

static void test_save_is_atomic(void **state) {
    (void)state;
    char *dir = tu_tempdir(), path[PATH_MAX], link[PATH_MAX];
    snprintf(path, sizeof path, "%s/p.yaml", dir);
    write_file(path, "old contents\n");
    assert_int_equal(chmod(path, 0640), 0);
    cmz_policy *p = cmz_policy_new_default();
    cmz_error err;
    assert_int_equal(cmz_policy_save(p, path, &err), CMZ_OK);
    struct stat st;
    assert_int_equal(stat(path, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0640); /* permissions kept */
    /* A link is followed: its target is replaced, the link stays. */
    snprintf(link, sizeof link, "%s/link.yaml", dir);
    assert_int_equal(symlink("p.yaml", link), 0);
    assert_int_equal(cmz_policy_save(p, link, &err), CMZ_OK);
    assert_int_equal(lstat(link, &st), 0);
    assert_true(S_ISLNK(st.st_mode));
    /* Only the two names are left: no temporary files. */
    char cmd[PATH_MAX + 64];
    snprintf(cmd, sizeof cmd, "test $(ls -A '%s' | wc -l) -eq 2", dir);
    assert_int_equal(system(cmd), 0);
    /* A folder that does not exist: an error that names the file; nothing created. */
    snprintf(path, sizeof path, "%s/missing/p.yaml", dir);
    assert_int_equal(cmz_policy_save(p, path, &err), CMZ_ERR_IO);
    assert_non_null(strstr(err.message, path));
    assert_non_null(strstr(err.message, "No such file or directory"));
    assert_int_equal(cmz_policy_save(p, "", &err), CMZ_ERR_INVALID_ARG);
    assert_int_equal(cmz_policy_save(NULL, path, NULL), CMZ_ERR_INVALID_ARG);
    /* Read errors are located at the file. */
    cmz_diags *d = cmz_diags_new();
    cmz_policy *q = NULL;
    assert_int_equal(cmz_policy_load_file(path, &q, d), CMZ_ERR_IO);
    char line[PATH_MAX + 100], want[PATH_MAX + 100];
    cmz_diag_format(cmz_diags_at(d, 0), line, sizeof line);
    snprintf(want, sizeof want, "%s: cannot read: No such file or directory", path);
    assert_string_equal(line, want);
    cmz_diags_free(d);
    cmz_policy_free(p);
    tu_rmtree(dir);
    free(dir);
}

static void test_finder(void **state) {
    (void)state;
    char *dir = tu_tempdir(), cwd[PATH_MAX], path[PATH_MAX], want[PATH_MAX];
    assert_non_null(getcwd(cwd, sizeof cwd));
    assert_int_equal(chdir(dir), 0);
    char *old_env = getenv("CMZ_CONFIG") ? strdup(getenv("CMZ_CONFIG")) : NULL;
    char *old_xdg = getenv("XDG_CONFIG_HOME") ? strdup(getenv("XDG_CONFIG_HOME")) : NULL;
    unsetenv("CMZ_CONFIG");
    snprintf(path, sizeof path, "%s/xdg", dir);
    setenv("XDG_CONFIG_HOME", path, 1);

    cmz_policy_location loc;
    cmz_policy *p = NULL;
    /* Nothing anywhere: built-in defaults; the user's file is where a save would go. */
    assert_int_equal(cmz_policy_open(NULL, false, &p, &loc, NULL), CMZ_OK);
    assert_int_equal(loc.source, CMZ_POLICY_SOURCE_BUILTIN);
    snprintf(want, sizeof want, "%s/xdg/cmz/compression_layers.yaml", dir);
    assert_string_equal(loc.path, want);
    assert_false(loc.exists);
    assert_string_equal(cmz_policy_source_name(loc.source), "built-in");
    cmz_policy *builtin = cmz_policy_new_default();
    assert_true(cmz_policy_equal(p, builtin));
    cmz_policy_free(p);

    /* The user's file, then the project's, then $CMZ_CONFIG, then --config win in turn. */
    cmz_policy_setting lvl[] = {{"level", "1"}};
    assert_int_equal(mkdir("xdg", 0700), 0);
    assert_int_equal(mkdir("xdg/cmz", 0700), 0);
    cmz_policy_update(builtin, "default", lvl, 1, NULL);
    assert_int_equal(cmz_policy_save(builtin, "xdg/cmz/compression_layers.yaml", NULL), CMZ_OK);
    assert_int_equal(cmz_policy_open(NULL, false, &p, &loc, NULL), CMZ_OK);
    assert_int_equal(loc.source, CMZ_POLICY_SOURCE_USER);
    assert_true(loc.exists);
    assert_int_equal(cmz_policy_lookup(p, "x")->level, 1);
    cmz_policy_free(p);

    assert_int_equal(mkdir("configs", 0700), 0);
    lvl[0].value = "2";
    cmz_policy_update(builtin, "default", lvl, 1, NULL);
    assert_int_equal(cmz_policy_save(builtin, CMZ_POLICY_PROJECT_PATH, NULL), CMZ_OK);
    assert_int_equal(cmz_policy_open(NULL, false, &p, &loc, NULL), CMZ_OK);
    assert_int_equal(loc.source, CMZ_POLICY_SOURCE_PROJECT);
    assert_string_equal(loc.path, "configs/compression_layers.yaml");
    assert_int_equal(cmz_policy_lookup(p, "x")->level, 2);
    cmz_policy_free(p);

    lvl[0].value = "3";
    cmz_policy_update(builtin, "default", lvl, 1, NULL);
    assert_int_equal(cmz_policy_save(builtin, "env.yaml", NULL), CMZ_OK);
    setenv("CMZ_CONFIG", "env.yaml", 1);
    assert_int_equal(cmz_policy_open(NULL, false, &p, &loc, NULL), CMZ_OK);
    assert_int_equal(loc.source, CMZ_POLICY_SOURCE_ENV);
    assert_int_equal(cmz_policy_lookup(p, "x")->level, 3);
    cmz_policy_free(p);

    lvl[0].value = "4";
    cmz_policy_update(builtin, "default", lvl, 1, NULL);
    assert_int_equal(cmz_policy_save(builtin, "arg.yaml", NULL), CMZ_OK);
    assert_int_equal(cmz_policy_open("arg.yaml", false, &p, &loc, NULL), CMZ_OK);
    assert_int_equal(loc.source, CMZ_POLICY_SOURCE_ARGUMENT);
    assert_string_equal(loc.path, "arg.yaml");
    assert_int_equal(cmz_policy_lookup(p, "x")->level, 4);
    cmz_policy_free(p);

    /* A path given on purpose is never skipped: missing is an error, unless asked. */
    cmz_diags *d = cmz_diags_new();
    assert_int_equal(cmz_policy_open("none.yaml", false, &p, &loc, d), CMZ_ERR_IO);
    assert_null(p);
    assert_int_equal(cmz_diags_count(d), 1);
    assert_int_equal(cmz_policy_open("none.yaml", true, &p, &loc, d), CMZ_OK);
    assert_false(loc.exists);
    assert_string_equal(loc.path, "none.yaml");
    cmz_policy_free(p);
    setenv("CMZ_CONFIG", "none.yaml", 1);
    assert_int_equal(cmz_policy_open(NULL, false, &p, &loc, NULL), CMZ_ERR_IO);
    assert_int_equal(loc.source, CMZ_POLICY_SOURCE_ENV);
    /* An invalid file is reported, never replaced by defaults. */
    write_file("arg.yaml", "compression_policy: 3\n");
    cmz_diags_clear(d);
    assert_int_equal(cmz_policy_open("arg.yaml", true, &p, &loc, d), CMZ_ERR_INVALID_ARG);
    assert_int_equal(cmz_diags_count(d), 1);
    assert_string_equal(cmz_diags_at(d, 0)->file, "arg.yaml");
    cmz_diags_free(d);

    if (old_env) setenv("CMZ_CONFIG", old_env, 1);
    else unsetenv("CMZ_CONFIG");
    if (old_xdg) setenv("XDG_CONFIG_HOME", old_xdg, 1);
    else unsetenv("XDG_CONFIG_HOME");
    free(old_env);
    free(old_xdg);
    assert_int_equal(chdir(cwd), 0);
    cmz_policy_free(builtin);
    tu_rmtree(dir);
    free(dir);
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
        cmz_policy *p = NULL;
        cmz_status st = d ? cmz_policy_load_string(text, size, "f", &p, d) : CMZ_ERR_NOMEM;
        if (st == CMZ_OK) {
            cmz_policy_setting s[] = {{"level", "2"}};
            st = cmz_policy_create(p, "added_type", s, 1, d);
            if (st == CMZ_OK) {
                cmz_policy *c = cmz_policy_clone(p);
                st = c ? CMZ_OK : CMZ_ERR_NOMEM;
                cmz_policy_free(c);
            }
            if (st == CMZ_OK) st = cmz_policy_save(p, "/nonexistent-dir/p.yaml", NULL);
            if (st == CMZ_ERR_IO) completed = true;
        }
        if (!completed) assert_int_equal(st, CMZ_ERR_NOMEM);
        cmz_policy_free(p);
        cmz_diags_free(d);
        cmz_set_allocator(NULL);
        assert_int_equal(live, 0);
    }
    assert_true(completed);
    free(text);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_shipped_file_verifies),
        cmocka_unit_test(test_builtin_is_the_shipped_file),
        cmocka_unit_test(test_round_trip),
        cmocka_unit_test(test_lookup_and_apply),
        cmocka_unit_test(test_create_update_delete),
        cmocka_unit_test(test_filters),
        cmocka_unit_test(test_save_is_atomic),
        cmocka_unit_test(test_finder),
        cmocka_unit_test(test_allocation_failures),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
