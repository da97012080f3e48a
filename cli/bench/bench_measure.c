/* Measuring one configuration on one input: compression and decompression through libcmz's
 * one-shot calls, a warm-up run, then timed runs (median and spread), a round-trip check on
 * every decoded run, and the peak memory libcmz allocated through its allocator hook. */
#include "benchkit.h"

#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* ---- counting allocator: every libcmz allocation (and zstd's) goes through it ----------- */

static atomic_size_t live, peak;
#define HEADER 16 /* keeps malloc's alignment */

static void *count_alloc(void *opaque, size_t size) {
    (void)opaque;
    uint8_t *p = malloc(size + HEADER);
    if (!p) return NULL;
    memcpy(p, &size, sizeof size);
    size_t now = atomic_fetch_add(&live, size) + size, seen = atomic_load(&peak);
    while (now > seen && !atomic_compare_exchange_weak(&peak, &seen, now)) {
    }
    return p + HEADER;
}

static void count_free(void *opaque, void *ptr) {
    (void)opaque;
    if (!ptr) return;
    uint8_t *p = (uint8_t *)ptr - HEADER;
    size_t size;
    memcpy(&size, p, sizeof size);
    atomic_fetch_sub(&live, size);
    free(p);
}

void bk_count_allocations(void) {
    cmz_allocator a = {count_alloc, count_free, NULL};
    cmz_set_allocator(&a);
}

/* Starts a peak measurement; bk_peak_since gives the growth over what was live at the start. */
static size_t peak_start(void) {
    size_t now = atomic_load(&live);
    atomic_store(&peak, now);
    return now;
}
static uint64_t peak_since(size_t start) { return atomic_load(&peak) - start; }

static double now_s(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

static int by_value(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/* median, min and max of n speeds (MB/s), from times in seconds for `bytes` bytes */
static void speeds(double *t, unsigned n, uint64_t bytes, double *med, double *lo, double *hi) {
    qsort(t, n, sizeof *t, by_value);
    double mid = n % 2 ? t[n / 2] : (t[n / 2 - 1] + t[n / 2]) / 2;
    *med = (double)bytes / mid / 1e6;
    *hi = (double)bytes / t[0] / 1e6;
    *lo = (double)bytes / t[n - 1] / 1e6;
}

void bk_config_name(const bk_config *cfg, char *buf, size_t cap) {
    if (cfg->codec < 0) {
        snprintf(buf, cap, "memcpy");
        return;
    }
    const cmz_codec *c = cmz_codec_by_id(cfg->codec);
    char filter[24] = "";
    if (cfg->filter != CMZ_FILTER_NONE)
        snprintf(filter, sizeof filter, " +%s/%u", cmz_filter_name(cfg->filter), cfg->typesize);
    else if (cfg->typesize > 1) /* a typed codec (planes) told the element size */
        snprintf(filter, sizeof filter, " /%u", cfg->typesize);
    if (cmz_codec_min_level(c) == cmz_codec_max_level(c))
        snprintf(buf, cap, "%s%s", cmz_codec_name(c), filter);
    else if (cfg->level < 0) /* the command line's spelling of a negative level */
        snprintf(buf, cap, "%s --fast=%d%s", cmz_codec_name(c), -cfg->level, filter);
    else snprintf(buf, cap, "%s -%d%s", cmz_codec_name(c), cfg->level, filter);
}

#define MAX_RUNS 64

static bool stopped(const bk_timing *t) { return t->stop && *t->stop; }

static void measure_memcpy(const uint8_t *data, size_t n, const bk_timing *timing, bk_result *r) {
    uint8_t *dst = malloc(n ? n : 1);
    double t[MAX_RUNS];
    unsigned runs = 0;
    if (dst) {
        memcpy(dst, data, n); /* warm-up */
        double start = now_s();
        while (runs < MAX_RUNS && runs < timing->max_runs &&
               (runs == 0 || (now_s() - start < timing->min_seconds && !stopped(timing)))) {
            double t0 = now_s();
            memcpy(dst, data, n);
            t[runs++] = now_s() - t0 + 1e-9;
        }
        r->roundtrip_ok = memcmp(dst, data, n) == 0;
    }
    free(dst);
    if (!runs) return;
    r->runs = runs;
    r->out_bytes = n;
    speeds(t, runs, n, &r->c_mbps, &r->c_lo, &r->c_hi);
    r->d_mbps = r->c_mbps, r->d_lo = r->c_lo, r->d_hi = r->c_hi;
}

cmz_status bk_measure(const bk_config *cfg, unsigned threads, const uint8_t *data, size_t n,
                      const char *input, const bk_timing *timing, bk_result *r, cmz_error *err) {
    memset(r, 0, sizeof *r);
    r->cfg = *cfg;
    r->threads = threads;
    r->in_bytes = n;
    bk_config_name(cfg, r->config, sizeof r->config);
    snprintf(r->input, sizeof r->input, "%s", input);
    if (cfg->codec < 0) {
        measure_memcpy(data, n, timing, r);
        return CMZ_OK;
    }
    cmz_params p = cmz_params_default();
    p.codec = cfg->codec;
    p.level = cfg->level;
    p.filter = cfg->filter;
    p.typesize = cfg->typesize;
    p.threads = threads;
    /* The warm-up compresses and decompresses a prefix (up to 1 MiB: enough to fault in the
     * contexts' buffers and code, without doubling the time of the slow codecs); the peak
     * memory covers a fresh context's set-up, the warm-up and the first timed run. */
    size_t warm = n < ((size_t)1 << 20) ? n : (size_t)1 << 20;
    size_t cmark = peak_start();
    cmz_cctx *cctx = cmz_cctx_new(&p, err);
    if (!cctx) return err ? err->status : CMZ_ERR_NOMEM;
    size_t cap = (size_t)cmz_compress_bound(cmz_cctx_params(cctx), n), size = 0, got = 0;
    uint8_t *frame = malloc(cap ? cap : 1), *back = malloc(n ? n : 1);
    cmz_status st = frame && back ? CMZ_OK : CMZ_ERR_NOMEM;
    if (st == CMZ_OK) st = cmz_compress(cctx, frame, cap, &size, data, warm, err);
    double tc[MAX_RUNS], td[MAX_RUNS];
    unsigned rc = 0, rd = 0;
    for (double start = now_s();
         st == CMZ_OK && rc < MAX_RUNS && rc < timing->max_runs &&
         (rc == 0 || (now_s() - start < timing->min_seconds && !stopped(timing)));) {
        double t0 = now_s();
        st = cmz_compress(cctx, frame, cap, &size, data, n, err);
        tc[rc++] = now_s() - t0 + 1e-9;
        if (rc == 1) r->c_mem = peak_since(cmark);
    }
    r->out_bytes = size;
    /* decompression: warm up on a frame of the prefix, made aside */
    size_t dmark = peak_start();
    cmz_dctx *dctx = NULL;
    cmz_dparams dp = cmz_dparams_default();
    dp.threads = p.threads;
    if (st == CMZ_OK && !(dctx = cmz_dctx_new(&dp, err))) st = err ? err->status : CMZ_ERR_NOMEM;
    if (st == CMZ_OK) {
        size_t wcap = (size_t)cmz_compress_bound(cmz_cctx_params(cctx), warm), wsize = 0;
        uint8_t *wframe = malloc(wcap ? wcap : 1);
        st = wframe ? cmz_compress(cctx, wframe, wcap, &wsize, data, warm, err) : CMZ_ERR_NOMEM;
        if (st == CMZ_OK) st = cmz_decompress(dctx, back, n, &got, wframe, wsize, err);
        free(wframe); /* plain malloc: never counted as the decoder's memory */
    }
    r->roundtrip_ok = st == CMZ_OK;
    for (double start = now_s();
         st == CMZ_OK && rd < MAX_RUNS && rd < timing->max_runs &&
         (rd == 0 || (now_s() - start < timing->min_seconds && !stopped(timing)));) {
        memset(back, 0, n < 64 ? n : 64); /* a run that wrote nothing cannot pass */
        double t0 = now_s();
        st = cmz_decompress(dctx, back, n, &got, frame, size, err);
        td[rd++] = now_s() - t0 + 1e-9;
        if (rd == 1) r->d_mem = peak_since(dmark);
        if (st == CMZ_OK && (got != n || memcmp(back, data, n) != 0)) r->roundtrip_ok = false;
    }
    if (st == CMZ_OK) {
        r->runs = rc < rd ? rc : rd;
        speeds(tc, rc, n, &r->c_mbps, &r->c_lo, &r->c_hi);
        speeds(td, rd, n, &r->d_mbps, &r->d_lo, &r->d_hi);
    }
    cmz_cctx_free(cctx);
    cmz_dctx_free(dctx);
    free(frame);
    free(back);
    return st;
}
