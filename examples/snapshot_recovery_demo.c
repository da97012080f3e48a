/* Release snapshots at work (include/cmz/snapshot.h), on generated resources:
 *
 *   1. registers resources of different release priorities (model shards 1, render cache 2,
 *      temp buffers 3, audio cache 4, subtitle index 6);
 *   2. snapshots each: only priorities up to the threshold (3) are taken;
 *   3. changes the render cache and rolls it back;
 *   4. releases a model shard (the registry snapshots it first) and rebuilds it from its
 *      snapshot instead of reloading it;
 *   5. shows expiry: the demo's clock jumps past the snapshots' ttl.
 * Every step prints what happened and the memory used (resources and snapshots); every
 * restored resource is compared byte for byte with the original.
 *
 * Usage: cmz_snapshot_recovery_demo   (exit status 0 when every rollback was bit-exact) */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmz/cmz.h"

#define MiB ((size_t)1 << 20)

static uint64_t rng = 7;
static uint64_t next(void) { /* splitmix64: the same bytes on every machine */
    uint64_t z = (rng += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

/* Weights-like: float32 values near zero (compress a little). */
static uint8_t *make_weights(size_t n) {
    uint8_t *p = malloc(n);
    for (size_t i = 0; i + 4 <= n; i += 4) {
        float f = (float)((int)(next() % 2001) - 1000) / 16384.0f;
        memcpy(p + i, &f, 4);
    }
    return p;
}

/* Render-cache-like: RGBA rows of a horizontal gradient, letterboxed, with a noisy inset. */
static uint8_t *make_frame(size_t n) {
    uint8_t *p = malloc(n);
    for (size_t i = 0; i < n; i++) {
        size_t px = i / 4, x = px % 1920, y = (px / 1920) % 1080;
        uint8_t v = (uint8_t)(x * 255 / 1919);
        if (y < 140 || y >= 940) v = 0;
        else if (x > 600 && x < 1300 && y > 300 && y < 700) v = (uint8_t)(v + (next() & 15));
        p[i] = i % 4 == 3 ? 255 : v;
    }
    return p;
}

static uint8_t *make_text(size_t n) {
    static const char *const words[] = {"cut", "scene", "night",  "camera", "she",   "said",
                                        "the", "city",  "lights", "rain",   "quiet", "street"};
    uint8_t *p = malloc(n);
    for (size_t i = 0; i < n;) {
        const char *w = words[next() % 12];
        for (size_t k = 0; w[k] && i < n; k++) p[i++] = (uint8_t)w[k];
        if (i < n) p[i++] = next() % 9 ? ' ' : '\n';
    }
    return p;
}

/* The demo's clock: expiry is shown without waiting ten minutes. */
static uint64_t demo_now = 1;
static uint64_t demo_clock(void *opaque) {
    (void)opaque;
    return demo_now;
}

static double mib(uint64_t bytes) { return (double)bytes / (double)MiB; }

static void show_memory(cmz_registry *reg, const char *when) {
    cmz_registry_type_stats total;
    cmz_snapshot_stats snap;
    cmz_registry_stats(reg, &total, NULL, 0, NULL, NULL);
    cmz_snapshots_stats(cmz_registry_snapshots(reg), &snap, NULL);
    printf("   memory %-28s resources %2llu holding %7.2f MiB (raw %7.2f) | snapshots %2llu "
           "holding %6.2f MiB (raw %7.2f) | usage %7.2f MiB\n",
           when, (unsigned long long)total.resources, mib(total.stored_bytes), mib(total.raw_bytes),
           (unsigned long long)snap.count, mib(snap.bytes), mib(snap.raw_bytes),
           mib(cmz_registry_usage(reg)));
}

static int failures;
static void check_same(cmz_registry *reg, const char *id, const uint8_t *want, size_t n) {
    uint8_t *got = malloc(n);
    size_t size = 0;
    cmz_error err;
    cmz_status st = cmz_registry_get(reg, id, got, n, &size, &err);
    bool same = st == CMZ_OK && size == n && memcmp(got, want, n) == 0;
    printf("   %s: %s\n", id, same ? "bit-exact with the original" : "DIFFERS from the original");
    if (!same) failures++;
    free(got);
}

static void list_snapshots(cmz_snapshots *snaps) {
    cmz_snapshot_info infos[16];
    size_t n = 0;
    cmz_snapshots_list(snaps, infos, 16, &n, NULL);
    for (size_t i = 0; i < n && i < 16; i++) {
        const cmz_codec *codec = cmz_codec_by_id(infos[i].codec);
        printf("   snapshot %-22s priority %u  %7.2f MiB -> %6.2f MiB (%s) +%3llu B bookkeeping  "
               "age %4.0f s, expires in %4.0f s  [%s]\n",
               infos[i].id, infos[i].priority, mib(infos[i].raw_size), mib(infos[i].stored_size),
               codec ? cmz_codec_name(codec) : "?", (unsigned long long)infos[i].overhead,
               infos[i].age, infos[i].expires_in, infos[i].metadata);
    }
    if (n == 0) printf("   (no snapshots)\n");
}

static void must(cmz_status st, const cmz_error *err, const char *what) {
    if (st == CMZ_OK) return;
    fprintf(stderr, "snapshot demo: %s: %s\n", what, err->message);
    exit(1);
}

int main(void) {
    cmz_registry_params p = cmz_registry_params_default();
    p.budget = 512 * MiB;         /* no pressure here: releases are asked for */
    p.usage = CMZ_USAGE_REGISTRY; /* usage = the registry's own bytes: exact */
    p.check_interval_ms = 0;
    cmz_error err;
    cmz_registry *reg = cmz_registry_new(&p, &err);
    if (!reg) {
        fprintf(stderr, "snapshot demo: %s\n", err.message);
        return 1;
    }
    cmz_snapshots *snaps = cmz_registry_snapshots(reg);
    cmz_snapshots_set_clock(snaps, demo_clock, NULL);
    cmz_snapshot_config config;
    cmz_snapshots_get_config(snaps, &config);

    printf("== 1. resources of different release priorities\n");
    struct {
        const char *id;
        size_t size;
        uint8_t *bytes;
    } res[] = {
        {"model_shards:encoder", 24 * MiB, make_weights(24 * MiB)},
        {"model_shards:decoder", 16 * MiB, make_weights(16 * MiB)},
        {"model_shards:head", 8 * MiB, make_weights(8 * MiB)},
        {"render_cache:frame_0042", 1920 * 1080 * 4, make_frame(1920 * 1080 * 4)},
        {"temp_buffers:scratch", 6 * MiB, make_text(6 * MiB)},
        {"audio_cache:track1", 4 * MiB, make_text(4 * MiB)},
        {"subtitle_index:en", 2 * MiB, make_text(2 * MiB)},
    };
    size_t nres = sizeof res / sizeof res[0];
    for (size_t i = 0; i < nres; i++) {
        must(cmz_registry_add(reg, res[i].id, res[i].bytes, res[i].size, CMZ_REGISTER_COPY, &err),
             &err, res[i].id);
        printf("   registered %-24s %6.2f MiB\n", res[i].id, mib(res[i].size));
    }
    show_memory(reg, "after registration");

    printf("\n== 2. snapshots by priority (threshold %u, ttl %u s, at most %u)\n",
           config.priority_threshold, config.ttl, config.max_snapshots);
    for (size_t i = 0; i < nres; i++) {
        cmz_snapshot_outcome outcome;
        must(cmz_snapshots_take(snaps, res[i].id, "manual: before editing", &outcome, &err), &err,
             "take");
        printf("   take %-24s -> %s\n", res[i].id, cmz_snapshot_outcome_name(outcome));
    }
    list_snapshots(snaps);
    show_memory(reg, "after the snapshots");

    printf("\n== 3. the render cache changes, then is rolled back\n");
    size_t fsize = res[3].size;
    uint8_t *edited = malloc(fsize);
    memcpy(edited, res[3].bytes, fsize);
    for (size_t i = 0; i < fsize; i += 97) edited[i] ^= 0x5a; /* a bad filter pass */
    must(cmz_registry_replace(reg, res[3].id, edited, fsize, CMZ_REGISTER_COPY, &err), &err,
         "replace");
    printf("   replaced %s with an edited copy\n", res[3].id);
    must(cmz_snapshots_rollback(snaps, res[3].id, &err), &err, "rollback");
    printf("   rolled back %s\n", res[3].id);
    check_same(reg, res[3].id, res[3].bytes, fsize);
    show_memory(reg, "after the rollback");
    free(edited);

    printf("\n== 4. a model shard is released, then rebuilt from its snapshot\n");
    demo_now += 60ull * 1000000000u;
    must(cmz_registry_release(reg, res[0].id, &err), &err, "release");
    printf("   released %s: registered now? %s\n", res[0].id,
           cmz_registry_contains(reg, res[0].id) ? "yes" : "no");
    list_snapshots(snaps);
    show_memory(reg, "after the release");
    must(cmz_snapshots_rollback(snaps, res[0].id, &err), &err, "rollback");
    printf("   rolled back %s: registered now? %s\n", res[0].id,
           cmz_registry_contains(reg, res[0].id) ? "yes" : "no");
    check_same(reg, res[0].id, res[0].bytes, res[0].size);
    show_memory(reg, "after rebuilding it");

    printf("\n== 5. expiry: the clock moves on\n");
    demo_now += (uint64_t)(config.ttl - 60 + 1) * 1000000000u;
    printf("   %u s after the first snapshots (the release's snapshot is 60 s younger)\n",
           config.ttl + 1);
    size_t removed = 0;
    cmz_snapshots_cleanup(snaps, &removed, NULL);
    printf("   expired: %zu\n", removed);
    list_snapshots(snaps);
    demo_now += 60ull * 1000000000u;
    cmz_snapshots_cleanup(snaps, &removed, NULL);
    printf("   60 s later, expired: %zu\n", removed);
    list_snapshots(snaps);
    show_memory(reg, "at the end");

    cmz_snapshot_stats st;
    cmz_snapshots_stats(snaps, &st, NULL);
    printf("\n   taken %llu (%llu before a release), refused %llu, rollbacks %llu, expired %llu\n",
           (unsigned long long)st.taken, (unsigned long long)st.automatic,
           (unsigned long long)st.refused, (unsigned long long)st.rollbacks,
           (unsigned long long)st.expired);
    for (size_t i = 0; i < nres; i++) free(res[i].bytes);
    cmz_registry_free(reg);
    printf("%s\n", failures ? "snapshot demo: FAILED" : "snapshot demo: ok");
    return failures ? 1 : 0;
}
