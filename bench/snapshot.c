/* Release snapshots (include/cmz/snapshot.h): the bars, measured.
 *
 *   1. take_snapshot of a 64 MiB render-cache-like resource (RGBA 1920x1080 frames: a
 *      horizontal gradient, letterbox bars, a noisy inset), raw, with lz4 on all cores:
 *      MB/s of raw bytes and the ratio; and of the same resource stored compressed (a copy of
 *      its frame).
 *   2. rollback: in place (raw), and after a release (registered again), MB/s.
 *   3. memory: the resident set grown by one snapshot against its compressed size, and the
 *      bookkeeping.
 *   4. expiry: N snapshots of 1-byte resources taken 1 ms apart (staggered expiry times),
 *      expired by sweeps every simulated second: visits per expired snapshot and ns per expired
 *      snapshot, for N = 10 000 and 100 000 (linear: both stay flat).
 * Medians of --reps runs (default 7) after a warm-up.
 * Usage: bench_snapshot [--size MiB] [--reps N] */
#include "bench_util.h"

#include "cmz/registry.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#ifdef __GLIBC__
#include <malloc.h>
#endif

#define MiB ((size_t)1 << 20)

static void fill_render(uint8_t *p, size_t n, uint64_t seed) {
    uint64_t s = seed;
    for (size_t i = 0; i < n; i++) {
        size_t px = i / 4, x = px % 1920, y = (px / 1920) % 1080;
        uint8_t v = (uint8_t)(x * 255 / 1919);
        if (y < 140 || y >= 940) v = 0;
        else if (x > 600 && x < 1300 && y > 300 && y < 700) v = (uint8_t)(v + (bench_rnd(&s) & 15));
        p[i] = i % 4 == 3 ? 255 : v;
    }
}

static void die(const char *what, const cmz_error *err) {
    fprintf(stderr, "bench_snapshot: %s: %s\n", what, err ? err->message : "failed");
    exit(1);
}

static cmz_registry *new_registry(void) {
    cmz_registry_params p = cmz_registry_params_default();
    p.budget = (uint64_t)1 << 40;
    p.usage = CMZ_USAGE_REGISTRY;
    p.check_interval_ms = 0;
    cmz_error err;
    cmz_registry *reg = cmz_registry_new(&p, &err);
    if (!reg) die("registry", &err);
    return reg;
}

static long rss_kib(void) {
    long pages = 0, resident = 0;
    FILE *f = fopen("/proc/self/statm", "r");
    if (f) {
        if (fscanf(f, "%ld %ld", &pages, &resident) != 2) resident = 0;
        fclose(f);
    }
    return resident * (sysconf(_SC_PAGESIZE) / 1024);
}

static void trim(void) {
#ifdef __GLIBC__
    malloc_trim(0);
#endif
}

static void verify(cmz_registry *reg, const char *id, const uint8_t *want, size_t n) {
    uint8_t *got = malloc(n);
    size_t size;
    cmz_error err;
    if (cmz_registry_get(reg, id, got, n, &size, &err) != CMZ_OK) die("get", &err);
    if (size != n || memcmp(got, want, n) != 0) {
        fprintf(stderr, "bench_snapshot: %s differs after the rollback\n", id);
        exit(1);
    }
    free(got);
}

static uint64_t fake_now;
static uint64_t fake_clock(void *opaque) {
    (void)opaque;
    return fake_now;
}

/* N snapshots taken 1 ms apart, then swept every simulated second until none is left. */
static void expiry(size_t n) {
    cmz_registry *reg = new_registry();
    cmz_snapshots *snaps = cmz_registry_snapshots(reg);
    cmz_snapshot_config c = cmz_snapshot_config_default();
    c.max_snapshots = (unsigned)n;
    c.max_bytes = UINT64_MAX;
    c.ttl = 60;
    c.cleanup_interval = 0;
    cmz_error err;
    if (cmz_snapshots_set_config(snaps, &c, &err) != CMZ_OK) die("config", &err);
    fake_now = 1;
    cmz_snapshots_set_clock(snaps, fake_clock, NULL);
    uint8_t byte = 1;
    char id[64];
    for (size_t i = 0; i < n; i++) {
        snprintf(id, sizeof id, "temp_buffers:%zu", i);
        if (cmz_registry_add(reg, id, &byte, 1, CMZ_REGISTER_COPY, &err) != CMZ_OK)
            die("add", &err);
        if (cmz_snapshots_take(snaps, id, NULL, NULL, &err) != CMZ_OK) die("take", &err);
        fake_now += 1000000; /* 1 ms */
    }
    cmz_snapshot_stats before, after;
    cmz_snapshots_stats(snaps, &before, NULL);
    double t0 = bench_now_ns();
    size_t total = 0, removed;
    unsigned sweeps = 0;
    while (total < n) {
        fake_now += 1000000000ull;
        cmz_snapshots_cleanup(snaps, &removed, NULL);
        total += removed;
        sweeps++;
    }
    double ns = bench_now_ns() - t0;
    cmz_snapshots_stats(snaps, &after, NULL);
    uint64_t visits = after.sweep_visits - before.sweep_visits;
    printf("expiry   %7zu snapshots, %4u sweeps: %8llu visits (%.3f per expired), "
           "%6.1f ns per expired\n",
           n, sweeps, (unsigned long long)visits, (double)visits / (double)n, ns / (double)n);
    cmz_registry_free(reg);
}

int main(int argc, char **argv) {
    size_t size_mib = 64;
    int reps = 7;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--size") && i + 1 < argc) size_mib = strtoul(argv[++i], NULL, 10);
        else if (!strcmp(argv[i], "--reps") && i + 1 < argc) reps = atoi(argv[++i]);
        else {
            fprintf(stderr, "usage: %s [--size MiB] [--reps N]\n", argv[0]);
            return 2;
        }
    }
    if (reps < 1 || reps > 64 || size_mib < 1) return 2;
    size_t n = size_mib * MiB;
    uint8_t *data = malloc(n);
    fill_render(data, n, 1);
    double take_raw[64], take_frame[64], back_inplace[64], back_released[64];
    cmz_error err;
    cmz_snapshot_info info;
    uint64_t frame_size = 0;
    long rss_delta = 0;
    cmz_registry *reg = new_registry();
    cmz_snapshots *snaps = cmz_registry_snapshots(reg);
    if (cmz_registry_add(reg, "render_cache:frames", data, n, CMZ_REGISTER_COPY, &err) != CMZ_OK)
        die("add", &err);
    /* a second resource, stored compressed with lz4 (temp_buffers' policy) */
    if (cmz_registry_add(reg, "temp_buffers:frames", data, n, CMZ_REGISTER_COPY, &err) != CMZ_OK)
        die("add", &err);
    for (int r = -1; r < reps; r++) { /* r = -1: the warm-up */
        cmz_snapshots_clear(snaps);
        trim();
        long rss0 = rss_kib();
        double t0 = bench_now_ns();
        if (cmz_snapshots_take(snaps, "render_cache:frames", NULL, NULL, &err) != CMZ_OK)
            die("take", &err);
        double t1 = bench_now_ns();
        trim(); /* the compressor's chunk buffers, freed, out of the count */
        long rss1 = rss_kib();
        double t1b = bench_now_ns();
        if (cmz_snapshots_take(snaps, "temp_buffers:frames", NULL, NULL, &err) != CMZ_OK)
            die("take", &err);
        double t2 = bench_now_ns();
        if (cmz_snapshots_rollback(snaps, "render_cache:frames", &err) != CMZ_OK)
            die("rollback", &err);
        double t3 = bench_now_ns();
        if (cmz_registry_remove(reg, "render_cache:frames", &err) != CMZ_OK) die("remove", &err);
        double t4 = bench_now_ns();
        if (cmz_snapshots_rollback(snaps, "render_cache:frames", &err) != CMZ_OK)
            die("rollback", &err);
        double t5 = bench_now_ns();
        if (r < 0) {
            verify(reg, "render_cache:frames", data, n);
            continue;
        }
        take_raw[r] = (t1 - t0) / 1e9;
        take_frame[r] = (t2 - t1b) / 1e9;
        back_inplace[r] = (t3 - t2) / 1e9;
        back_released[r] = (t5 - t4) / 1e9;
        rss_delta = rss1 - rss0;
    }
    verify(reg, "render_cache:frames", data, n);
    if (cmz_snapshots_info(snaps, "render_cache:frames", &info, NULL) != CMZ_OK) die("info", NULL);
    cmz_resource_info ri;
    cmz_registry_info(reg, "temp_buffers:frames", &ri, NULL);
    frame_size = ri.stored_size;
    double mb = (double)n / 1e6;
    printf("data     %zu MiB render-cache-like (RGBA 1920x1080 frames), %ld cores online, "
           "median of %d\n",
           size_mib, sysconf(_SC_NPROCESSORS_ONLN), reps);
    printf("take     raw resource, lz4:            %7.0f MB/s  ratio %.2f (%llu -> %llu bytes)\n",
           mb / bench_median(take_raw, (unsigned)reps), (double)n / (double)info.stored_size,
           (unsigned long long)n, (unsigned long long)info.stored_size);
    printf("take     compressed resource (copy):   %7.0f MB/s  (frame %llu bytes)\n",
           mb / bench_median(take_frame, (unsigned)reps), (unsigned long long)frame_size);
    printf("rollback in place (raw):               %7.0f MB/s\n",
           mb / bench_median(back_inplace, (unsigned)reps));
    printf("rollback after release (registered):   %7.0f MB/s\n",
           mb / bench_median(back_released, (unsigned)reps));
    printf("memory   one snapshot: resident set +%ld KiB for a %llu KiB frame; bookkeeping %llu "
           "bytes\n",
           rss_delta, (unsigned long long)(info.stored_size / 1024),
           (unsigned long long)info.overhead);
    cmz_registry_free(reg);
    free(data);
    expiry(10000);
    expiry(100000);
    return 0;
}
