/* A release rule names the compression entry its type uses (docs/RELEASE.md): the registry
 * compresses a model shard with the model_weights entry (rans over float planes), not with
 * `default`; the policy's own entry for a type comes first; a rule naming an entry the
 * policy lacks is refused when the registry is made. The frame's codec is read from the
 * snapshot of the compressed resource (a copy of its frame), and the whole frame is compared
 * with one made from the entry's parameters. */
#include "testutil.h"

#include "cmz/registry.h"
#include "cmz/release.h"
#include "cmz/snapshot.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MiB ((size_t)1 << 20)

/* float32 weights: smooth values with noise in the low mantissa, as a model's are. */
static uint8_t *weights(size_t n) {
    float *w = malloc(n);
    assert_non_null(w);
    uint64_t seed = 7;
    for (size_t i = 0; i < n / sizeof *w; i++)
        w[i] = (float)sin((double)i * 0.01) * 0.05f + (float)(tu_rand(&seed) % 1000) * 1e-7f;
    return (uint8_t *)w;
}

static cmz_registry *make(const cmz_policy *policy, const cmz_release_rules *rules) {
    cmz_registry_params p = tu_registry_params((uint64_t)1 << 34, 2);
    p.policy = policy;
    p.release = rules;
    cmz_registry *reg = tu_registry_new(&p);
    cmz_error err;
    cmz_snapshot_config c;
    cmz_snapshots_get_config(cmz_registry_snapshots(reg), &c);
    c.priority_threshold = CMZ_RELEASE_PRIORITY_MAX; /* every type with a rule */
    c.max_bytes = UINT64_MAX;
    assert_int_equal(cmz_snapshots_set_config(cmz_registry_snapshots(reg), &c, &err), CMZ_OK);
    return reg;
}

/* Adds id (a copy of data), compresses it unless it already is, and returns its frame's
 * snapshot info. */
static cmz_snapshot_info compressed(cmz_registry *reg, const char *id, const uint8_t *data,
                                    size_t size) {
    cmz_error err;
    assert_int_equal(cmz_registry_add(reg, id, (void *)data, size, CMZ_REGISTER_COPY, &err),
                     CMZ_OK);
    cmz_resource_info info;
    assert_int_equal(cmz_registry_info(reg, id, &info, &err), CMZ_OK);
    if (info.state != CMZ_RESOURCE_COMPRESSED)
        assert_int_equal(cmz_registry_compress(reg, id, &err), CMZ_OK);
    cmz_snapshots *snaps = cmz_registry_snapshots(reg);
    cmz_snapshot_outcome outcome;
    assert_int_equal(cmz_snapshots_take(snaps, id, NULL, &outcome, &err), CMZ_OK);
    assert_int_equal(outcome, CMZ_SNAPSHOT_TAKEN);
    cmz_snapshot_info s;
    assert_int_equal(cmz_snapshots_info(snaps, id, &s, &err), CMZ_OK);
    return s;
}

static void test_model_shard_uses_model_weights(void **state) {
    (void)state;
    cmz_policy *policy = cmz_policy_new_default();
    cmz_registry *reg = make(NULL, NULL);
    size_t n = 2 * MiB;
    uint8_t *w = weights(n);
    cmz_snapshot_info s = compressed(reg, "model_shards:layer0", w, n);
    const cmz_policy_entry *mw = cmz_policy_get(policy, "model_weights");
    assert_int_equal(s.codec, mw->codec); /* rans, where `default` is gzip */
    assert_int_not_equal(s.codec, cmz_policy_get(policy, "default")->codec);
    /* The frame is the one the entry's parameters make: the planes filter, typesize 4 and the
     * chunk size too. */
    cmz_params p = cmz_params_default();
    assert_int_equal(cmz_policy_apply_entry(mw, &p), CMZ_OK);
    p.threads = 2;
    size_t want;
    uint8_t *frame = tu_compress(&p, w, n, &want);
    assert_int_equal(s.stored_size, want);
    cmz_source src;
    cmz_frame_info fi;
    cmz_source_memory(&src, frame, want);
    assert_int_equal(cmz_frame_info_read(&src, &fi, NULL), CMZ_OK);
    assert_int_equal(fi.filter, CMZ_FILTER_PLANES);
    assert_int_equal(fi.typesize, 4);
    /* And the content comes back whole. */
    uint8_t *back = malloc(n);
    size_t got;
    assert_int_equal(cmz_registry_get(reg, "model_shards:layer0", back, n, &got, NULL), CMZ_OK);
    assert_int_equal(got, n);
    assert_memory_equal(back, w, n);
    free(back);
    free(frame);
    free(w);
    cmz_registry_free(reg);
    cmz_policy_free(policy);
}

static void test_rule_entry_settings_apply(void **state) {
    (void)state;
    /* subtitle_index takes subtitle's whole entry: lz4, and auto_compress from 1 MB on (where
     * `default` would keep it raw). */
    tu_need_codec(CMZ_CODEC_LZ4);
    cmz_registry *reg = make(NULL, NULL);
    uint8_t *text = tu_text(MiB, 5);
    cmz_error err;
    assert_int_equal(
        cmz_registry_add(reg, "subtitle_index:cues", text, MiB, CMZ_REGISTER_COPY, &err), CMZ_OK);
    cmz_resource_info info;
    assert_int_equal(cmz_registry_info(reg, "subtitle_index:cues", &info, &err), CMZ_OK);
    assert_int_equal(info.state, CMZ_RESOURCE_COMPRESSED);
    cmz_snapshot_info s = compressed(reg, "subtitle_index:cues2", text, MiB);
    assert_int_equal(s.codec, CMZ_CODEC_LZ4);
    cmz_registry_free(reg);
    free(text);
}

static void test_own_entry_first_and_custom_rules(void **state) {
    (void)state;
    tu_need_codec(CMZ_CODEC_ZSTD);
    /* The policy's own entry for model_shards beats the rule's model_weights. */
    cmz_policy *policy = cmz_policy_new_default();
    cmz_policy_setting zstd[] = {{"algorithm", "zstd"}, {"level", "1"}};
    assert_int_equal(cmz_policy_create(policy, "model_shards", zstd, 2, NULL), CMZ_OK);
    cmz_registry *reg = make(policy, NULL);
    uint8_t *w = weights(MiB);
    assert_int_equal(compressed(reg, "model_shards:a", w, MiB).codec, CMZ_CODEC_ZSTD);
    cmz_registry_free(reg);
    /* A rule of the caller's own naming an entry: the registry's copy keeps the name. */
    cmz_release_rules *rules = NULL;
    const char *yaml = "releasable_resources:\n  blobs:\n    priority: 1\n"
                       "    max_retain_time: 60\n    compression: file_cache\n"
                       "  model_shards:\n    priority: 2\n    max_retain_time: 60\n";
    assert_int_equal(cmz_release_rules_load_string(yaml, strlen(yaml), "r", &rules, NULL), CMZ_OK);
    reg = make(NULL, rules);
    cmz_release_rules_free(rules); /* the registry holds its own copy */
    assert_int_equal(compressed(reg, "blobs:b", w, MiB).codec, CMZ_CODEC_ZSTD);
    /* model_shards' rule here names no entry, and the policy has none for it: `default`
     * (gzip, or the build's stand-in for it). */
    cmz_params d = cmz_params_default();
    assert_int_equal(cmz_policy_apply(policy, "default", &d), CMZ_OK);
    assert_int_equal(compressed(reg, "model_shards:c", w, MiB).codec, d.codec);
    cmz_registry_free(reg);
    cmz_policy_free(policy);
    free(w);
}

static void test_missing_entry_refused(void **state) {
    (void)state;
    cmz_policy *policy = cmz_policy_new_default();
    assert_int_equal(cmz_policy_delete(policy, "model_weights", NULL), CMZ_OK);
    cmz_registry_params p = cmz_registry_params_default();
    p.budget = (uint64_t)1 << 30;
    p.usage = CMZ_USAGE_REGISTRY;
    p.check_interval_ms = 0;
    p.policy = policy; /* with the built-in rules, two of which name model_weights */
    cmz_error err;
    cmz_error_clear(&err);
    assert_null(cmz_registry_new(&p, &err));
    assert_int_equal(err.status, CMZ_ERR_INVALID_ARG);
    assert_string_equal(err.message,
                        "release rule 'model_shards' names compression entry 'model_weights', "
                        "which the compression policy does not have (add it to the policy, or "
                        "change the rule) (and 1 more such rule)");
    cmz_policy_free(policy);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_model_shard_uses_model_weights),
        cmocka_unit_test(test_rule_entry_settings_apply),
        cmocka_unit_test(test_own_entry_first_and_custom_rules),
        cmocka_unit_test(test_missing_entry_refused),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
