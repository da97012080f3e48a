/* Release snapshots (include/cmz/snapshot.h): the priority threshold, expiry on an injected
 * clock (no sleeps), the count and byte limits, bit-exact rollbacks after a change and after
 * a release (byte and custom resources), the reaper's automatic snapshots, every allocation
 * failure, the sweep's cost, and take/rollback/expire/delete from 8 threads (run under TSan by
 * `make test-tsan`). Usage is the registry's own bytes (CMZ_USAGE_REGISTRY): exact. */
#include "testutil.h"

#include "cmz/registry.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define MiB ((size_t)1 << 20)
#define SEC 1000000000ull

/* ---- helpers ---- */

static _Atomic uint64_t fake_now;
static uint64_t fake_clock(void *opaque) {
    (void)opaque;
    return atomic_load(&fake_now);
}

static cmz_registry *make(uint64_t budget) {
    cmz_registry_params p = cmz_registry_params_default();
    p.budget = budget;
    p.usage = CMZ_USAGE_REGISTRY;
    p.check_interval_ms = 0;
    p.threads = 2;
    p.reserve = UINT64_MAX;
    cmz_error err;
    cmz_registry *reg = cmz_registry_new(&p, &err);
    if (!reg) fail_msg("cmz_registry_new: %s", err.message);
    atomic_store(&fake_now, 1000 * SEC);
    cmz_snapshots_set_clock(cmz_registry_snapshots(reg), fake_clock, NULL);
    return reg;
}

static void set_config(cmz_registry *reg, void (*change)(cmz_snapshot_config *)) {
    cmz_snapshot_config c;
    cmz_snapshots_get_config(cmz_registry_snapshots(reg), &c);
    change(&c);
    cmz_error err;
    assert_int_equal(cmz_snapshots_set_config(cmz_registry_snapshots(reg), &c, &err), CMZ_OK);
}

static void expect_content(cmz_registry *reg, const char *id, const uint8_t *want, size_t n) {
    uint8_t *got = malloc(n ? n : 1);
    size_t size = 0;
    cmz_error err;
    assert_int_equal(cmz_registry_get(reg, id, got, n, &size, &err), CMZ_OK);
    assert_int_equal(size, n);
    assert_memory_equal(got, want, n);
    free(got);
}

static cmz_snapshot_outcome take(cmz_registry *reg, const char *id, const char *meta) {
    cmz_snapshot_outcome out = (cmz_snapshot_outcome)-1;
    cmz_error err;
    cmz_status st = cmz_snapshots_take(cmz_registry_snapshots(reg), id, meta, &out, &err);
    if (st != CMZ_OK) fail_msg("take %s: %s", id, err.message);
    return out;
}

static void add(cmz_registry *reg, const char *id, const uint8_t *data, size_t n) {
    cmz_error err;
    cmz_status st = cmz_registry_add(reg, id, (void *)data, n, CMZ_REGISTER_COPY, &err);
    if (st != CMZ_OK) fail_msg("add %s: %s", id, err.message);
}

static cmz_snapshot_stats stats_of(cmz_registry *reg) {
    cmz_snapshot_stats s;
    assert_int_equal(cmz_snapshots_stats(cmz_registry_snapshots(reg), &s, NULL), CMZ_OK);
    return s;
}

/* ---- configuration ---- */

static void test_config(void **state) {
    (void)state;
    cmz_registry *reg = make(256 * MiB);
    cmz_snapshots *snaps = cmz_registry_snapshots(reg);
    assert_non_null(snaps);
    assert_null(cmz_registry_snapshots(NULL));
    cmz_snapshot_config c, d = cmz_snapshot_config_default();
    cmz_snapshots_get_config(snaps, &c);
    assert_int_equal(c.max_snapshots, 20);
    assert_int_equal(c.ttl, 600);
    assert_int_equal(c.priority_threshold, 3);
    assert_int_equal(c.cleanup_interval, 120);
    assert_int_equal(c.codec, CMZ_CODEC_LZ4);
    assert_true(c.on_release);
    assert_memory_equal(&c, &d, sizeof c);
    cmz_error err;
    cmz_snapshot_config bad = d;
    bad.ttl = 0;
    assert_int_equal(cmz_snapshots_set_config(snaps, &bad, &err), CMZ_ERR_INVALID_ARG);
    assert_non_null(strstr(err.message, "ttl"));
    bad = d;
    bad.priority_threshold = 5000;
    assert_int_equal(cmz_snapshots_set_config(snaps, &bad, &err), CMZ_ERR_INVALID_ARG);
    assert_non_null(strstr(err.message, "priority_threshold"));
    bad = d;
    bad.codec = 999;
    assert_int_equal(cmz_snapshots_set_config(snaps, &bad, &err), CMZ_ERR_UNKNOWN_CODEC);
    bad = d;
    bad.level = 99;
    assert_int_equal(cmz_snapshots_set_config(snaps, &bad, &err), CMZ_ERR_LEVEL_RANGE);
    bad = d;
    bad.cleanup_interval = UINT32_MAX;
    assert_int_equal(cmz_snapshots_set_config(snaps, &bad, &err), CMZ_ERR_INVALID_ARG);
    assert_int_equal(cmz_snapshots_set_config(snaps, NULL, &err), CMZ_ERR_INVALID_ARG);
    cmz_snapshots_get_config(snaps, &c);
    assert_memory_equal(&c, &d, sizeof c); /* nothing changed */
    for (int o = 0; o <= 3; o++)
        assert_string_not_equal(cmz_snapshot_outcome_name((cmz_snapshot_outcome)o), "unknown");
    assert_string_equal(cmz_snapshot_outcome_name((cmz_snapshot_outcome)42), "unknown");
    cmz_registry_free(reg);
}

/* ---- the priority threshold ---- */

static void threshold_2(cmz_snapshot_config *c) { c->priority_threshold = 2; }
static void threshold_4(cmz_snapshot_config *c) { c->priority_threshold = 4; }
static void threshold_0(cmz_snapshot_config *c) { c->priority_threshold = 0; }
static void disabled(cmz_snapshot_config *c) { c->max_snapshots = 0; }

static void test_threshold(void **state) {
    (void)state;
    cmz_registry *reg = make(256 * MiB);
    uint8_t *text = tu_text(64 * 1024, 1);
    /* the release rules: model_shards 1, render_cache 2, temp_buffers 3, audio_cache 4 */
    const char *ids[] = {"model_shards:a", "render_cache:b", "temp_buffers:c", "audio_cache:d",
                         "whatever:e"};
    for (size_t i = 0; i < 5; i++) add(reg, ids[i], text, 64 * 1024);
    /* default threshold 3: 1, 2, 3 taken; 4 and a type without a rule refused */
    assert_int_equal(take(reg, ids[0], NULL), CMZ_SNAPSHOT_TAKEN);
    assert_int_equal(take(reg, ids[1], NULL), CMZ_SNAPSHOT_TAKEN);
    assert_int_equal(take(reg, ids[2], NULL), CMZ_SNAPSHOT_TAKEN);
    assert_int_equal(take(reg, ids[3], NULL), CMZ_SNAPSHOT_NOT_ELIGIBLE);
    assert_int_equal(take(reg, ids[4], NULL), CMZ_SNAPSHOT_NOT_ELIGIBLE);
    assert_false(cmz_snapshots_has(cmz_registry_snapshots(reg), ids[3]));
    assert_int_equal(stats_of(reg).refused, 2);
    cmz_snapshots_clear(cmz_registry_snapshots(reg));
    assert_int_equal(stats_of(reg).count, 0);
    /* 2: the boundary moves down */
    set_config(reg, threshold_2);
    assert_int_equal(take(reg, ids[1], NULL), CMZ_SNAPSHOT_TAKEN);
    assert_int_equal(take(reg, ids[2], NULL), CMZ_SNAPSHOT_NOT_ELIGIBLE);
    /* 4: and up */
    set_config(reg, threshold_4);
    assert_int_equal(take(reg, ids[3], NULL), CMZ_SNAPSHOT_TAKEN);
    assert_int_equal(take(reg, ids[4], NULL), CMZ_SNAPSHOT_NOT_ELIGIBLE);
    /* 0: nothing */
    set_config(reg, threshold_0);
    assert_int_equal(take(reg, ids[0], NULL), CMZ_SNAPSHOT_NOT_ELIGIBLE);
    set_config(reg, disabled);
    assert_int_equal(take(reg, ids[0], NULL), CMZ_SNAPSHOT_DISABLED);
    /* a disabled manager holds nothing: the limit 0 evicted the rest */
    assert_int_equal(stats_of(reg).count, 0);
    /* errors */
    cmz_error err;
    cmz_snapshots *snaps = cmz_registry_snapshots(reg);
    assert_int_equal(cmz_snapshots_take(snaps, "model_shards:none", NULL, NULL, &err),
                     CMZ_ERR_NOT_FOUND);
    assert_non_null(strstr(err.message, "model_shards:none"));
    char long_meta[CMZ_SNAPSHOT_METADATA_MAX + 2];
    memset(long_meta, 'm', sizeof long_meta - 1);
    long_meta[sizeof long_meta - 1] = '\0';
    assert_int_equal(cmz_snapshots_take(snaps, ids[0], long_meta, NULL, &err), CMZ_ERR_INVALID_ARG);
    assert_int_equal(cmz_snapshots_take(NULL, ids[0], NULL, NULL, &err), CMZ_ERR_INVALID_ARG);
    assert_int_equal(cmz_snapshots_take(snaps, NULL, NULL, NULL, &err), CMZ_ERR_INVALID_ARG);
    assert_int_equal(cmz_snapshots_rollback(snaps, "model_shards:none", &err), CMZ_ERR_NOT_FOUND);
    assert_int_equal(cmz_snapshots_rollback(NULL, "x:y", &err), CMZ_ERR_INVALID_ARG);
    assert_int_equal(cmz_snapshots_delete(snaps, "model_shards:none", NULL), CMZ_ERR_NOT_FOUND);
    cmz_snapshot_info info;
    assert_int_equal(cmz_snapshots_info(snaps, "model_shards:none", &info, NULL),
                     CMZ_ERR_NOT_FOUND);
    assert_int_equal(cmz_snapshots_info(snaps, NULL, &info, NULL), CMZ_ERR_INVALID_ARG);
    assert_int_equal(cmz_snapshots_list(NULL, NULL, 0, NULL, NULL), CMZ_ERR_INVALID_ARG);
    assert_int_equal(cmz_snapshots_list(snaps, NULL, 1, NULL, NULL), CMZ_ERR_INVALID_ARG);
    assert_int_equal(cmz_snapshots_stats(snaps, NULL, NULL), CMZ_ERR_INVALID_ARG);
    assert_int_equal(cmz_snapshots_cleanup(NULL, NULL, NULL), CMZ_ERR_INVALID_ARG);
    /* like their neighbours, they say what was wrong */
    assert_int_equal(cmz_snapshots_list(snaps, NULL, 1, NULL, &err), CMZ_ERR_INVALID_ARG);
    assert_non_null(strstr(err.message, "cmz_snapshots_list: infos"));
    assert_int_equal(cmz_snapshots_stats(NULL, NULL, &err), CMZ_ERR_INVALID_ARG);
    assert_non_null(strstr(err.message, "cmz_snapshots_stats: the manager"));
    assert_int_equal(cmz_snapshots_cleanup(NULL, NULL, &err), CMZ_ERR_INVALID_ARG);
    assert_non_null(strstr(err.message, "cmz_snapshots_cleanup"));
    assert_false(cmz_snapshots_has(NULL, ids[0]));
    cmz_registry_free(reg);
    free(text);
}

/* ---- expiry ---- */

static void ttl_100(cmz_snapshot_config *c) { c->ttl = 100; }

static void test_expiry(void **state) {
    (void)state;
    cmz_registry *reg = make(256 * MiB);
    cmz_snapshots *snaps = cmz_registry_snapshots(reg);
    uint8_t *text = tu_text(100 * 1024, 2);
    const char *ids[] = {"model_shards:t0", "model_shards:t100", "model_shards:t200"};
    for (size_t i = 0; i < 3; i++) {
        add(reg, ids[i], text, 100 * 1024);
        assert_int_equal(take(reg, ids[i], "m"), CMZ_SNAPSHOT_TAKEN);
        atomic_fetch_add(&fake_now, 100 * SEC);
    }
    /* now = 300 s after the first: ages 300, 200, 100 */
    cmz_snapshot_info info;
    assert_int_equal(cmz_snapshots_info(snaps, ids[0], &info, NULL), CMZ_OK);
    assert_true(info.age > 299.9 && info.age < 300.1);
    assert_true(info.expires_in > 299.9 && info.expires_in < 300.1);
    assert_string_equal(info.metadata, "m");
    /* 599.9 s: all alive; 600: the first expires (on access: no call to cleanup) */
    atomic_fetch_add(&fake_now, 299 * SEC + 900000000ull);
    assert_true(cmz_snapshots_has(snaps, ids[0]));
    atomic_fetch_add(&fake_now, 100000000ull);
    assert_false(cmz_snapshots_has(snaps, ids[0]));
    assert_true(cmz_snapshots_has(snaps, ids[1]));
    cmz_error err;
    assert_int_equal(cmz_snapshots_rollback(snaps, ids[0], &err), CMZ_ERR_NOT_FOUND);
    assert_non_null(strstr(err.message, "expired"));
    /* cleanup removes the next one when its time comes */
    size_t removed = 99;
    assert_int_equal(cmz_snapshots_cleanup(snaps, &removed, NULL), CMZ_OK);
    assert_int_equal(removed, 0);
    atomic_fetch_add(&fake_now, 100 * SEC);
    assert_int_equal(cmz_snapshots_cleanup(snaps, &removed, NULL), CMZ_OK);
    assert_int_equal(removed, 1);
    /* a new ttl applies to what is held: the last one (age 500) goes at once */
    set_config(reg, ttl_100);
    assert_int_equal(stats_of(reg).count, 0);
    assert_int_equal(stats_of(reg).expired, 3);
    /* usage is back to the resources alone */
    cmz_registry_type_stats total;
    cmz_registry_stats(reg, &total, NULL, 0, NULL, NULL);
    assert_int_equal(cmz_registry_usage(reg), total.stored_bytes);
    cmz_registry_free(reg);
    free(text);
}

/* The sweep costs O(expired): each sweep visits the expired snapshots plus at most one. */
static void big_limits(cmz_snapshot_config *c) {
    c->max_snapshots = 100000;
    c->max_bytes = UINT64_MAX;
}

static void test_sweep_cost(void **state) {
    (void)state;
    cmz_registry *reg = make(256 * MiB);
    cmz_snapshots *snaps = cmz_registry_snapshots(reg);
    set_config(reg, big_limits);
    uint8_t byte = 7;
    char id[64];
    for (int i = 0; i < 2000; i++) {
        snprintf(id, sizeof id, "temp_buffers:%d", i);
        add(reg, id, &byte, 1);
        assert_int_equal(take(reg, id, NULL), CMZ_SNAPSHOT_TAKEN);
        atomic_fetch_add(&fake_now, SEC / 10); /* staggered: 10 a second */
    }
    cmz_snapshot_stats before = stats_of(reg);
    size_t total = 0, removed;
    for (int step = 0; step < 100; step++) {
        atomic_fetch_add(&fake_now, 10 * SEC);
        assert_int_equal(cmz_snapshots_cleanup(snaps, &removed, NULL), CMZ_OK);
        total += removed;
    }
    cmz_snapshot_stats after = stats_of(reg);
    assert_int_equal(total, 2000);
    assert_int_equal(after.count, 0);
    uint64_t sweeps = after.sweeps - before.sweeps,
             visits = after.sweep_visits - before.sweep_visits;
    assert_true(visits <= total + sweeps);
    cmz_registry_free(reg);
}

/* ---- limits ---- */

static void max_3(cmz_snapshot_config *c) { c->max_snapshots = 3; }

static void test_count_limit(void **state) {
    (void)state;
    cmz_registry *reg = make(256 * MiB);
    cmz_snapshots *snaps = cmz_registry_snapshots(reg);
    set_config(reg, max_3);
    uint8_t *text = tu_text(32 * 1024, 3);
    char id[64];
    for (int i = 0; i < 5; i++) {
        snprintf(id, sizeof id, "render_cache:%d", i);
        add(reg, id, text, 32 * 1024);
        assert_int_equal(take(reg, id, NULL), CMZ_SNAPSHOT_TAKEN);
        atomic_fetch_add(&fake_now, SEC);
    }
    cmz_snapshot_info infos[8];
    size_t n = 0;
    assert_int_equal(cmz_snapshots_list(snaps, infos, 8, &n, NULL), CMZ_OK);
    assert_int_equal(n, 3);
    assert_string_equal(infos[0].id, "render_cache:2"); /* 0 and 1, the oldest, went */
    assert_string_equal(infos[2].id, "render_cache:4");
    assert_int_equal(stats_of(reg).evicted, 2);
    /* taking 2 again makes it the newest: 3 is the oldest now */
    assert_int_equal(take(reg, "render_cache:2", NULL), CMZ_SNAPSHOT_TAKEN);
    assert_int_equal(cmz_snapshots_list(snaps, infos, 1, &n, NULL), CMZ_OK);
    assert_int_equal(n, 3);
    assert_string_equal(infos[0].id, "render_cache:3");
    /* a smaller limit applies at once */
    cmz_snapshot_config c;
    cmz_snapshots_get_config(snaps, &c);
    c.max_snapshots = 1;
    assert_int_equal(cmz_snapshots_set_config(snaps, &c, NULL), CMZ_OK);
    assert_int_equal(cmz_snapshots_list(snaps, infos, 8, &n, NULL), CMZ_OK);
    assert_int_equal(n, 1);
    assert_string_equal(infos[0].id, "render_cache:2");
    assert_int_equal(cmz_snapshots_delete(snaps, "render_cache:2", NULL), CMZ_OK);
    assert_int_equal(stats_of(reg).bytes, 0);
    cmz_registry_free(reg);
    free(text);
}

static void test_byte_limit(void **state) {
    (void)state;
    cmz_registry *reg = make(256 * MiB);
    cmz_snapshots *snaps = cmz_registry_snapshots(reg);
    uint8_t *rnd = tu_random(MiB, 4); /* incompressible: a snapshot is ~1 MiB */
    char id[64];
    for (int i = 0; i < 3; i++) {
        snprintf(id, sizeof id, "model_shards:%d", i);
        add(reg, id, rnd, MiB);
        assert_int_equal(take(reg, id, NULL), CMZ_SNAPSHOT_TAKEN);
    }
    cmz_snapshot_stats s = stats_of(reg);
    assert_int_equal(s.count, 3);
    /* room for two */
    cmz_snapshot_config c;
    cmz_snapshots_get_config(snaps, &c);
    c.max_bytes = s.bytes - 1;
    assert_int_equal(cmz_snapshots_set_config(snaps, &c, NULL), CMZ_OK);
    assert_false(cmz_snapshots_has(snaps, "model_shards:0"));
    assert_true(cmz_snapshots_has(snaps, "model_shards:1"));
    assert_true(stats_of(reg).bytes <= c.max_bytes);
    /* one larger than the whole budget is refused and evicts nothing */
    uint8_t *big = tu_random(4 * MiB, 5);
    add(reg, "model_shards:big", big, 4 * MiB);
    assert_int_equal(take(reg, "model_shards:big", NULL), CMZ_SNAPSHOT_TOO_LARGE);
    assert_int_equal(stats_of(reg).count, 2);
    assert_false(cmz_snapshots_has(snaps, "model_shards:big"));
    /* the default byte limit: a quarter of the budget (256 MiB / 4 = 64 MiB) */
    c.max_bytes = 0;
    assert_int_equal(cmz_snapshots_set_config(snaps, &c, NULL), CMZ_OK);
    assert_int_equal(take(reg, "model_shards:big", NULL), CMZ_SNAPSHOT_TAKEN);
    cmz_registry_free(reg);
    free(rnd);
    free(big);
}

/* ---- rollback of byte resources ---- */

static void test_rollback_after_modify(void **state) {
    (void)state;
    cmz_registry *reg = make(256 * MiB);
    cmz_snapshots *snaps = cmz_registry_snapshots(reg);
    cmz_error err;
    uint8_t *v1 = tu_mixed(3 * MiB + 17, 5), *v2 = tu_text(2 * MiB, 6);
    /* raw (model_shards: no auto compression) */
    add(reg, "model_shards:w", v1, 3 * MiB + 17);
    assert_int_equal(take(reg, "model_shards:w", "before the edit"), CMZ_SNAPSHOT_TAKEN);
    cmz_snapshot_info info;
    assert_int_equal(cmz_snapshots_info(snaps, "model_shards:w", &info, NULL), CMZ_OK);
    assert_int_equal(info.raw_size, 3 * MiB + 17);
    assert_true(info.stored_size < info.raw_size); /* compressed, no raw copy */
    assert_true(info.overhead < 1024);
    assert_int_equal(info.codec, CMZ_CODEC_LZ4); /* no policy entry of its own: lz4 */
    assert_int_equal(info.priority, 1);
    assert_false(info.automatic);
    assert_string_equal(info.type, "model_shards");
    assert_int_equal(
        cmz_registry_replace(reg, "model_shards:w", v2, 2 * MiB, CMZ_REGISTER_COPY, &err), CMZ_OK);
    expect_content(reg, "model_shards:w", v2, 2 * MiB);
    assert_int_equal(cmz_snapshots_rollback(snaps, "model_shards:w", &err), CMZ_OK);
    expect_content(reg, "model_shards:w", v1, 3 * MiB + 17);
    cmz_resource_info ri;
    assert_int_equal(cmz_registry_info(reg, "model_shards:w", &ri, NULL), CMZ_OK);
    assert_int_equal(ri.state, CMZ_RESOURCE_RAW); /* it was raw: it stays raw */
    assert_int_equal(ri.raw_size, 3 * MiB + 17);
    /* a second rollback works: the snapshot stays */
    assert_int_equal(
        cmz_registry_replace(reg, "model_shards:w", v2, 2 * MiB, CMZ_REGISTER_COPY, &err), CMZ_OK);
    assert_int_equal(cmz_snapshots_rollback(snaps, "model_shards:w", &err), CMZ_OK);
    expect_content(reg, "model_shards:w", v1, 3 * MiB + 17);
    assert_int_equal(stats_of(reg).rollbacks, 2);

    /* compressed (temp_buffers: lz4 from 5 MiB): the snapshot copies the frame, the rollback
     * puts a frame back */
    uint8_t *t1 = tu_text(6 * MiB, 7), *t2 = tu_text(6 * MiB, 8);
    add(reg, "temp_buffers:c", t1, 6 * MiB);
    assert_int_equal(cmz_registry_info(reg, "temp_buffers:c", &ri, NULL), CMZ_OK);
    assert_int_equal(ri.state, CMZ_RESOURCE_COMPRESSED);
    uint64_t frame_size = ri.stored_size;
    assert_int_equal(take(reg, "temp_buffers:c", NULL), CMZ_SNAPSHOT_TAKEN);
    assert_int_equal(cmz_snapshots_info(snaps, "temp_buffers:c", &info, NULL), CMZ_OK);
    assert_int_equal(info.stored_size, frame_size); /* the same frame, not recompressed */
    assert_int_equal(
        cmz_registry_replace(reg, "temp_buffers:c", t2, 6 * MiB, CMZ_REGISTER_COPY, &err), CMZ_OK);
    assert_int_equal(cmz_snapshots_rollback(snaps, "temp_buffers:c", &err), CMZ_OK);
    assert_int_equal(cmz_registry_info(reg, "temp_buffers:c", &ri, NULL), CMZ_OK);
    assert_int_equal(ri.state, CMZ_RESOURCE_COMPRESSED);
    expect_content(reg, "temp_buffers:c", t1, 6 * MiB);

    /* pinned: refused, nothing changes */
    assert_int_equal(
        cmz_registry_replace(reg, "model_shards:w", v2, 2 * MiB, CMZ_REGISTER_COPY, &err), CMZ_OK);
    const void *data;
    size_t size;
    assert_int_equal(cmz_registry_pin(reg, "model_shards:w", &data, &size, &err), CMZ_OK);
    assert_int_equal(cmz_snapshots_rollback(snaps, "model_shards:w", &err), CMZ_ERR_BUSY);
    assert_non_null(strstr(err.message, "pinned"));
    assert_int_equal(cmz_registry_unpin(reg, "model_shards:w", NULL), CMZ_OK);
    expect_content(reg, "model_shards:w", v2, 2 * MiB);
    assert_true(cmz_snapshots_has(snaps, "model_shards:w"));

    /* accounting: usage = resources + snapshots */
    cmz_registry_type_stats total;
    cmz_registry_stats(reg, &total, NULL, 0, NULL, NULL);
    assert_int_equal(cmz_registry_usage(reg), total.stored_bytes + stats_of(reg).bytes);
    cmz_registry_free(reg);
    free(v1);
    free(v2);
    free(t1);
    free(t2);
}

static size_t releases;
static void count_release(void *opaque, const char *id, const char *type, uint64_t size) {
    (void)opaque, (void)id, (void)type, (void)size;
    releases++;
}

static void test_rollback_after_release(void **state) {
    (void)state;
    cmz_registry_params p = cmz_registry_params_default();
    p.budget = 64 * MiB;
    p.usage = CMZ_USAGE_REGISTRY;
    p.check_interval_ms = 0;
    p.reserve = UINT64_MAX;
    p.on_release = count_release;
    cmz_error err;
    cmz_registry *reg = cmz_registry_new(&p, &err);
    assert_non_null(reg);
    cmz_snapshots *snaps = cmz_registry_snapshots(reg);
    releases = 0;
    uint8_t *a = tu_mixed(8 * MiB, 9), *b = tu_text(6 * MiB, 10);
    add(reg, "model_shards:a", a, 8 * MiB);
    add(reg, "model_shards:b", a, 8 * MiB);
    add(reg, "model_shards:c", a, 8 * MiB); /* min_required 2: one of three may go */
    uint64_t usage_with = cmz_registry_usage(reg);
    /* a raw resource released: the snapshot compresses it (lz4) first */
    assert_int_equal(cmz_registry_release(reg, "model_shards:a", &err), CMZ_OK);
    assert_false(cmz_registry_contains(reg, "model_shards:a"));
    assert_int_equal(releases, 1);
    cmz_snapshot_info info;
    assert_int_equal(cmz_snapshots_info(snaps, "model_shards:a", &info, NULL), CMZ_OK);
    assert_true(info.automatic);
    assert_true(info.stored_size < 8 * MiB);
    assert_int_equal(cmz_registry_usage(reg),
                     usage_with - 8 * MiB + info.stored_size + info.overhead);
    assert_int_equal(cmz_snapshots_rollback(snaps, "model_shards:a", &err), CMZ_OK);
    assert_true(cmz_registry_contains(reg, "model_shards:a"));
    expect_content(reg, "model_shards:a", a, 8 * MiB);
    /* the monitor counts it again: usage = resources + the snapshot */
    assert_int_equal(cmz_registry_usage(reg), usage_with + info.stored_size + info.overhead);
    cmz_registry_type_stats total;
    cmz_registry_stats(reg, &total, NULL, 0, NULL, NULL);
    assert_int_equal(total.resources, 3);
    assert_int_equal(total.raw_bytes, 24 * MiB);
    /* rolled back twice: the second time it is registered, so replaced in place */
    assert_int_equal(cmz_snapshots_rollback(snaps, "model_shards:a", &err), CMZ_OK);
    expect_content(reg, "model_shards:a", a, 8 * MiB);

    /* a compressed resource released: its frame moves into the snapshot as it is */
    add(reg, "temp_buffers:t", b, 6 * MiB); /* lz4 from 5 MiB */
    cmz_resource_info ri;
    assert_int_equal(cmz_registry_info(reg, "temp_buffers:t", &ri, NULL), CMZ_OK);
    assert_int_equal(ri.state, CMZ_RESOURCE_COMPRESSED);
    assert_int_equal(cmz_registry_release(reg, "temp_buffers:t", &err), CMZ_OK);
    assert_int_equal(cmz_snapshots_info(snaps, "temp_buffers:t", &info, NULL), CMZ_OK);
    assert_int_equal(info.stored_size, ri.stored_size);
    assert_int_equal(info.codec, CMZ_CODEC_LZ4);
    /* back in the form the registry keeps it: compressed (auto_compress at 6 MiB) */
    assert_int_equal(cmz_snapshots_rollback(snaps, "temp_buffers:t", &err), CMZ_OK);
    assert_int_equal(cmz_registry_info(reg, "temp_buffers:t", &ri, NULL), CMZ_OK);
    assert_int_equal(ri.state, CMZ_RESOURCE_COMPRESSED);
    expect_content(reg, "temp_buffers:t", b, 6 * MiB);

    /* not eligible (subtitle_index, priority 6): released without a snapshot */
    add(reg, "subtitle_index:s", b, MiB);
    assert_int_equal(cmz_registry_release(reg, "subtitle_index:s", &err), CMZ_OK);
    assert_false(cmz_snapshots_has(snaps, "subtitle_index:s"));
    /* on_release off: no automatic snapshot */
    cmz_snapshot_config c;
    cmz_snapshots_get_config(snaps, &c);
    c.on_release = false;
    assert_int_equal(cmz_snapshots_set_config(snaps, &c, NULL), CMZ_OK);
    add(reg, "render_cache:r", b, MiB);
    assert_int_equal(cmz_registry_compress(reg, "render_cache:r", &err), CMZ_OK);
    assert_int_equal(cmz_registry_release(reg, "render_cache:r", &err), CMZ_OK);
    assert_false(cmz_snapshots_has(snaps, "render_cache:r"));
    cmz_registry_free(reg);
    free(a);
    free(b);
}

/* The reaper: under pressure snapshots are evicted before live resources are released, and a
 * release that would free nothing (the resource holds only its frame) takes none; an idle
 * release takes one. */
static void test_reaper_snapshots(void **state) {
    (void)state;
    /* random bytes: compressing them gains nothing, so the reaper has to release */
    cmz_registry *reg = make(12 * MiB);
    cmz_snapshots *snaps = cmz_registry_snapshots(reg);
    uint8_t *m = tu_random(2 * MiB, 11);
    add(reg, "temp_buffers:a", m, 2 * MiB);
    add(reg, "temp_buffers:b", m, 2 * MiB);
    assert_int_equal(take(reg, "temp_buffers:a", NULL), CMZ_SNAPSHOT_TAKEN);
    assert_int_equal(take(reg, "temp_buffers:b", NULL), CMZ_SNAPSHOT_TAKEN);
    assert_int_equal(cmz_registry_usage(reg), 4 * MiB + stats_of(reg).bytes); /* ~8 MiB */
    /* 2 MiB more: 10 > 9 (the warning mark); the snapshots go first, no resource is released */
    add(reg, "model_shards:c", m, 2 * MiB);
    cmz_snapshot_stats s = stats_of(reg);
    assert_true(s.evicted >= 1);
    assert_true(cmz_registry_usage(reg) < 9 * MiB);
    assert_true(cmz_registry_contains(reg, "temp_buffers:a"));
    assert_true(cmz_registry_contains(reg, "temp_buffers:b"));
    assert_true(cmz_registry_contains(reg, "model_shards:c"));
    /* more: now resources go, compressed (no gain) and then released without a snapshot */
    char id[64];
    for (int i = 0; i < 4; i++) {
        snprintf(id, sizeof id, "model_shards:%d", i);
        add(reg, id, m, 2 * MiB);
    }
    assert_true(cmz_registry_usage(reg) < 9 * MiB);
    s = stats_of(reg);
    assert_int_equal(s.automatic, 0);
    cmz_registry_free(reg);

    /* idle release (max_retain_time 1 s here): the reaper's snapshot, then a rollback */
    cmz_release_rules *rules = NULL;
    const char *yaml = "releasable_resources:\n  model_shards:\n    priority: 1\n"
                       "    max_retain_time: 1\n";
    assert_int_equal(cmz_release_rules_load_string(yaml, strlen(yaml), "test", &rules, NULL),
                     CMZ_OK);
    cmz_registry_params p = cmz_registry_params_default();
    p.budget = 256 * MiB;
    p.usage = CMZ_USAGE_REGISTRY;
    p.check_interval_ms = 0;
    p.release = rules;
    cmz_error err;
    reg = cmz_registry_new(&p, &err);
    assert_non_null(reg);
    cmz_release_rules_free(rules);
    snaps = cmz_registry_snapshots(reg);
    uint8_t *text = tu_text(3 * MiB, 12);
    add(reg, "model_shards:idle", text, 3 * MiB);
    struct timespec pause = {1, 100000000};
    nanosleep(&pause, NULL); /* idle time is real time */
    assert_int_equal(cmz_registry_check(reg, NULL, &err), CMZ_OK);
    assert_false(cmz_registry_contains(reg, "model_shards:idle"));
    cmz_snapshot_info info;
    assert_int_equal(cmz_snapshots_info(snaps, "model_shards:idle", &info, NULL), CMZ_OK);
    assert_true(info.automatic);
    assert_true(info.stored_size < 3 * MiB);
    assert_int_equal(cmz_snapshots_rollback(snaps, "model_shards:idle", &err), CMZ_OK);
    expect_content(reg, "model_shards:idle", text, 3 * MiB);
    cmz_registry_free(reg);
    free(text);
    free(m);
}

/* ---- custom resources ---- */

typedef struct {
    size_t n;
    uint8_t *bytes;
} blob;
static size_t restores;
static size_t blob_size(void *o) { return ((blob *)o)->n; }
static int blob_serialize(void *o, void *dst, size_t size) {
    memcpy(dst, ((blob *)o)->bytes, size);
    return 0;
}
static blob *blob_new(const void *bytes, size_t n) {
    blob *b = malloc(sizeof *b);
    b->n = n;
    b->bytes = malloc(n ? n : 1);
    memcpy(b->bytes, bytes, n);
    return b;
}
static int blob_restore(const void *bytes, size_t size, void **object) {
    restores++;
    *object = blob_new(bytes, size);
    return 0;
}
static int blob_restore_fails(const void *bytes, size_t size, void **object) {
    (void)bytes, (void)size, (void)object;
    return -1;
}
static void blob_free(void *o) {
    free(((blob *)o)->bytes);
    free(o);
}

static void expect_blob(cmz_registry *reg, const char *id, const uint8_t *want, size_t n) {
    const void *obj;
    size_t size;
    cmz_error err;
    assert_int_equal(cmz_registry_pin(reg, id, &obj, &size, &err), CMZ_OK);
    const blob *b = obj;
    assert_int_equal(b->n, n);
    assert_memory_equal(b->bytes, want, n);
    assert_int_equal(cmz_registry_unpin(reg, id, NULL), CMZ_OK);
}

static void test_custom(void **state) {
    (void)state;
    cmz_registry *reg = make(256 * MiB);
    cmz_snapshots *snaps = cmz_registry_snapshots(reg);
    cmz_error err;
    cmz_resource_ops ops = {blob_size, blob_serialize, blob_restore, blob_free};
    uint8_t *v1 = tu_text(MiB, 12), *v2 = tu_text(MiB / 2, 13);
    assert_int_equal(
        cmz_registry_add_custom(reg, "render_cache:blob", &ops, blob_new(v1, MiB), &err), CMZ_OK);
    assert_int_equal(take(reg, "render_cache:blob", NULL), CMZ_SNAPSHOT_TAKEN);
    cmz_snapshot_info info;
    assert_int_equal(cmz_snapshots_info(snaps, "render_cache:blob", &info, NULL), CMZ_OK);
    assert_true(info.custom);
    /* changed: a new object; the rollback restores the old content through restore */
    const void *obj;
    size_t size;
    assert_int_equal(cmz_registry_pin(reg, "render_cache:blob", &obj, &size, &err), CMZ_OK);
    blob *b = (blob *)obj;
    memcpy(b->bytes, v2, MiB / 2);
    assert_int_equal(cmz_registry_unpin(reg, "render_cache:blob", NULL), CMZ_OK);
    restores = 0;
    assert_int_equal(cmz_snapshots_rollback(snaps, "render_cache:blob", &err), CMZ_OK);
    assert_int_equal(restores, 1);
    expect_blob(reg, "render_cache:blob", v1, MiB);
    /* released (compressed first: compress_before_release, then released) and back */
    assert_int_equal(cmz_registry_release(reg, "render_cache:blob", &err), CMZ_OK);
    assert_true(cmz_registry_contains(reg, "render_cache:blob")); /* compressed */
    assert_int_equal(cmz_registry_release(reg, "render_cache:blob", &err), CMZ_OK);
    assert_false(cmz_registry_contains(reg, "render_cache:blob"));
    restores = 0;
    assert_int_equal(cmz_snapshots_rollback(snaps, "render_cache:blob", &err), CMZ_OK);
    assert_int_equal(restores, 1);
    expect_blob(reg, "render_cache:blob", v1, MiB);
    /* a failing restore callback: the resource and the snapshot stay as they were */
    cmz_resource_ops bad = ops;
    bad.restore = blob_restore_fails;
    assert_int_equal(cmz_registry_remove(reg, "render_cache:blob", &err), CMZ_OK);
    assert_int_equal(
        cmz_registry_add_custom(reg, "render_cache:blob", &bad, blob_new(v2, MiB / 2), &err),
        CMZ_OK);
    /* other callbacks than the snapshot's: its bytes are not theirs to restore */
    assert_int_equal(cmz_snapshots_rollback(snaps, "render_cache:blob", &err), CMZ_ERR_INVALID_ARG);
    assert_non_null(strstr(err.message, "callbacks"));
    assert_int_equal(take(reg, "render_cache:blob", NULL), CMZ_SNAPSHOT_TAKEN);
    assert_int_equal(cmz_snapshots_rollback(snaps, "render_cache:blob", &err), CMZ_ERR_GENERIC);
    assert_non_null(strstr(err.message, "restore"));
    expect_blob(reg, "render_cache:blob", v2, MiB / 2);
    assert_true(cmz_snapshots_has(snaps, "render_cache:blob"));
    /* the other kind under the same id: refused */
    assert_int_equal(cmz_registry_remove(reg, "render_cache:blob", &err), CMZ_OK);
    add(reg, "render_cache:blob", v2, 100);
    assert_int_equal(cmz_snapshots_rollback(snaps, "render_cache:blob", &err), CMZ_ERR_INVALID_ARG);
    assert_non_null(strstr(err.message, "custom"));
    expect_content(reg, "render_cache:blob", v2, 100);
    cmz_registry_free(reg);
    free(v1);
    free(v2);
}

/* ---- allocation failures ---- */

/* atomic: the pool's worker threads allocate too */
static _Atomic size_t fail_after;
static void *failing_alloc(void *opaque, size_t n) {
    (void)opaque;
    size_t left = atomic_load(&fail_after);
    do {
        if (left == 0) return NULL;
    } while (!atomic_compare_exchange_weak(&fail_after, &left, left - 1));
    return malloc(n);
}
static void plain_free(void *opaque, void *p) {
    (void)opaque;
    free(p);
}

/* Each of take, rollback after a change and rollback after a release, with the n-th
 * allocation failing for n = 0, 1, ... until one succeeds: every failure leaves the resource
 * and the snapshots as they were. */
static void test_alloc_failure(void **state) {
    (void)state;
    uint8_t *v1 = tu_text(2 * MiB, 14), *v2 = tu_text(MiB, 15);
    cmz_allocator failing = {failing_alloc, plain_free, NULL}, plain = {NULL, NULL, NULL};
    for (int op = 0; op < 3; op++) {
        bool done = false;
        for (size_t n = 0; n < 500 && !done; n++) {
            cmz_registry *reg = make(256 * MiB);
            cmz_snapshots *snaps = cmz_registry_snapshots(reg);
            cmz_error err;
            add(reg, "model_shards:x", v1, 2 * MiB);
            add(reg, "model_shards:y", v1, 2 * MiB);
            add(reg, "model_shards:z", v1, 2 * MiB);
            if (op == 0) { /* an older snapshot of other content must survive a failed take */
                assert_int_equal(
                    cmz_registry_replace(reg, "model_shards:x", v2, MiB, CMZ_REGISTER_COPY, &err),
                    CMZ_OK);
                assert_int_equal(take(reg, "model_shards:x", NULL), CMZ_SNAPSHOT_TAKEN);
                assert_int_equal(cmz_registry_replace(reg, "model_shards:x", v1, 2 * MiB,
                                                      CMZ_REGISTER_COPY, &err),
                                 CMZ_OK);
            } else {
                assert_int_equal(take(reg, "model_shards:x", NULL), CMZ_SNAPSHOT_TAKEN);
                if (op == 1)
                    assert_int_equal(cmz_registry_replace(reg, "model_shards:x", v2, MiB,
                                                          CMZ_REGISTER_COPY, &err),
                                     CMZ_OK);
                else assert_int_equal(cmz_registry_remove(reg, "model_shards:x", &err), CMZ_OK);
            }
            cmz_snapshot_stats before = stats_of(reg);
            uint64_t usage = cmz_registry_usage(reg);
            atomic_store(&fail_after, n);
            cmz_set_allocator(&failing);
            cmz_status st = op == 0 ? cmz_snapshots_take(snaps, "model_shards:x", NULL, NULL, &err)
                                    : cmz_snapshots_rollback(snaps, "model_shards:x", &err);
            cmz_set_allocator(&plain);
            cmz_snapshot_stats after = stats_of(reg);
            if (st == CMZ_OK) {
                done = true;
            } else {
                assert_int_equal(st, CMZ_ERR_NOMEM);
                assert_int_equal(after.count, before.count);
                assert_int_equal(after.bytes, before.bytes);
                assert_int_equal(cmz_registry_usage(reg), usage);
                if (op == 2) assert_false(cmz_registry_contains(reg, "model_shards:x"));
                else
                    expect_content(reg, "model_shards:x", op == 0 ? v1 : v2,
                                   op == 0 ? 2 * MiB : MiB);
            }
            /* whatever happened, the snapshot rolls back to its own content */
            assert_int_equal(cmz_snapshots_rollback(snaps, "model_shards:x", &err), CMZ_OK);
            if (op == 0 && !done) expect_content(reg, "model_shards:x", v2, MiB);
            else expect_content(reg, "model_shards:x", v1, 2 * MiB);
            cmz_registry_free(reg);
        }
        assert_true(done);
    }
    free(v1);
    free(v2);
}

/* ---- 8 threads ---- */

#define THREADS 8
#define IDS 4
static const uint8_t *versions[2];
static size_t version_size[2];

static void *worker(void *arg) {
    cmz_registry *reg = arg;
    cmz_snapshots *snaps = cmz_registry_snapshots(reg);
    uint64_t rng = (uint64_t)(uintptr_t)pthread_self() | 1;
    uint8_t *buf = malloc(version_size[0] > version_size[1] ? version_size[0] : version_size[1]);
    char id[32];
    for (int i = 0; i < 150; i++) {
        uint64_t r = tu_rand(&rng);
        snprintf(id, sizeof id, "render_cache:%u", (unsigned)(r % IDS));
        unsigned v = (unsigned)(r >> 8) & 1;
        cmz_error err;
        cmz_status st;
        switch ((r >> 16) % 8) {
        case 0:
        case 1:
            st = cmz_snapshots_take(snaps, id, NULL, NULL, &err);
            assert_true(st == CMZ_OK || st == CMZ_ERR_NOT_FOUND);
            break;
        case 2:
        case 3:
            st = cmz_snapshots_rollback(snaps, id, &err);
            assert_true(st == CMZ_OK || st == CMZ_ERR_NOT_FOUND || st == CMZ_ERR_BUSY);
            break;
        case 4:
            st = cmz_registry_replace(reg, id, (void *)versions[v], version_size[v],
                                      CMZ_REGISTER_COPY, &err);
            if (st == CMZ_ERR_NOT_FOUND)
                st = cmz_registry_add(reg, id, (void *)versions[v], version_size[v],
                                      CMZ_REGISTER_COPY, &err);
            assert_true(st == CMZ_OK || st == CMZ_ERR_EXISTS || st == CMZ_ERR_NOT_FOUND);
            break;
        case 5:
            st = cmz_registry_release(reg, id, &err);
            assert_true(st == CMZ_OK || st == CMZ_ERR_NOT_FOUND);
            break;
        case 6:
            atomic_fetch_add(&fake_now, 50 * SEC); /* expiry races everything else */
            cmz_snapshots_cleanup(snaps, NULL, NULL);
            if (r & 1) cmz_snapshots_delete(snaps, id, NULL);
            break;
        default: {
            size_t size = 0;
            st = cmz_registry_get(
                reg, id, buf, version_size[0] > version_size[1] ? version_size[0] : version_size[1],
                &size, &err);
            if (st == CMZ_OK) { /* always one whole version, never a mix */
                int which = size == version_size[0] ? 0 : 1;
                assert_int_equal(size, version_size[which]);
                assert_memory_equal(buf, versions[which], size);
            }
        }
        }
    }
    free(buf);
    return NULL;
}

static void test_threads(void **state) {
    (void)state;
    cmz_registry *reg = make(256 * MiB);
    uint8_t *a = tu_text(300 * 1024, 16), *b = tu_mixed(200 * 1024, 17);
    versions[0] = a;
    versions[1] = b;
    version_size[0] = 300 * 1024;
    version_size[1] = 200 * 1024;
    char id[32];
    for (int i = 0; i < IDS; i++) {
        snprintf(id, sizeof id, "render_cache:%d", i);
        add(reg, id, a, version_size[0]);
    }
    pthread_t t[THREADS];
    for (int i = 0; i < THREADS; i++) assert_int_equal(pthread_create(&t[i], NULL, worker, reg), 0);
    for (int i = 0; i < THREADS; i++) pthread_join(t[i], NULL);
    /* every snapshot left rolls back to one whole version */
    cmz_snapshot_info infos[IDS];
    size_t n;
    assert_int_equal(cmz_snapshots_list(cmz_registry_snapshots(reg), infos, IDS, &n, NULL), CMZ_OK);
    for (size_t i = 0; i < n; i++) {
        assert_int_equal(cmz_snapshots_rollback(cmz_registry_snapshots(reg), infos[i].id, NULL),
                         CMZ_OK);
        int which = infos[i].raw_size == version_size[0] ? 0 : 1;
        expect_content(reg, infos[i].id, versions[which], version_size[which]);
    }
    cmz_registry_free(reg);
    free(a);
    free(b);
}

/* The sweeper thread: started with the first snapshot, expires on its own, and stopping it
 * is prompt (a 1-hour interval does not delay cmz_registry_free). */
static void interval_1(cmz_snapshot_config *c) {
    c->cleanup_interval = 1;
    c->ttl = 1;
}
static void interval_hour(cmz_snapshot_config *c) { c->cleanup_interval = 3600; }

static void test_sweeper(void **state) {
    (void)state;
    cmz_registry *reg = make(256 * MiB);
    cmz_snapshots *snaps = cmz_registry_snapshots(reg);
    cmz_snapshots_set_clock(snaps, NULL, NULL); /* real time: the thread's own expiry */
    set_config(reg, interval_1);
    uint8_t byte = 1;
    add(reg, "temp_buffers:s", &byte, 1);
    assert_int_equal(take(reg, "temp_buffers:s", NULL), CMZ_SNAPSHOT_TAKEN);
    /* within a few periods the sweeper removes it without any call that would expire it */
    cmz_snapshot_stats s = stats_of(reg);
    for (int i = 0; i < 100 && s.expired == 0; i++) {
        struct timespec ts = {0, 100000000};
        nanosleep(&ts, NULL);
        s = stats_of(reg);
    }
    assert_int_equal(s.expired, 1);
    assert_int_equal(s.count, 0);
    set_config(reg, interval_hour);
    assert_int_equal(take(reg, "temp_buffers:s", NULL), CMZ_SNAPSHOT_TAKEN);
    cmz_registry_free(reg); /* returns at once: ctest's timeout would catch a wait */
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_config),
        cmocka_unit_test(test_threshold),
        cmocka_unit_test(test_expiry),
        cmocka_unit_test(test_sweep_cost),
        cmocka_unit_test(test_count_limit),
        cmocka_unit_test(test_byte_limit),
        cmocka_unit_test(test_rollback_after_modify),
        cmocka_unit_test(test_rollback_after_release),
        cmocka_unit_test(test_reaper_snapshots),
        cmocka_unit_test(test_custom),
        cmocka_unit_test(test_alloc_failure),
        cmocka_unit_test(test_threads),
        cmocka_unit_test(test_sweeper),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
