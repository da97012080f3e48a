/* The pieces of `cmz bench` (cli/cmd_bench.c), kept apart so that tests can drive them:
 * built-in sample data, the measurement of one configuration on one input, the outputs
 * (table, CSV, JSON, SVG plot) and the recommendation per policy priority. */
#ifndef CMZ_BENCHKIT_H
#define CMZ_BENCHKIT_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "cmz/cmz.h"

/* ---- samples (bench_samples.c) ---------------------------------------------------------- */

typedef enum {
    BK_TEXT,          /* prose: word salad with punctuation and line breaks */
    BK_BINARY,        /* records of small integers, ids and pointer-like 8-byte words */
    BK_NUMERIC,       /* int32 sensor-like series: slow drift plus noise */
    BK_MODEL_WEIGHTS, /* fp32, normal(0, 0.02): a model layer's weights */
    BK_SUBTITLE,      /* SRT: numbered cues, timestamps, short lines */
    BK_JSON_LOGS,     /* one JSON object per line */
    BK_ATTENTION_F16, /* fp16 attention cache: values around 1, exponent plane low entropy */
    BK_RENDER_CACHE,  /* RGBA8 frames: gradients, flat areas, noise */
    BK_RANDOM,        /* incompressible */
    BK_SAMPLE_COUNT
} bk_sample;

const char *bk_sample_name(bk_sample kind);
/* The policy type the sample stands for (configs/compression_layers.yaml), for --recommend. */
const char *bk_sample_policy_type(bk_sample kind);
/* The element size when typed-data filters suit the sample, else 0. */
unsigned bk_sample_typesize(bk_sample kind);
/* size bytes of the sample (malloc'd; NULL when out of memory). Deterministic. */
uint8_t *bk_sample_make(bk_sample kind, size_t size, uint64_t seed);

/* ---- measurement (bench_measure.c) ------------------------------------------------------ */

typedef struct {
    int codec; /* cmz_codec_id, or -1 for the memcpy baseline */
    int level;
    int filter;        /* cmz_filter_id */
    unsigned typesize; /* 1 without a filter */
} bk_config;

typedef struct {
    char config[48]; /* "zstd -3", "zstd -3 +planes/4", "memcpy" */
    char input[64];  /* the input's name */
    bk_config cfg;
    unsigned threads;
    uint64_t in_bytes, out_bytes;
    unsigned runs;             /* timed runs of each direction */
    double c_mbps, c_lo, c_hi; /* compression MB/s of uncompressed bytes: median, min, max */
    double d_mbps, d_lo, d_hi; /* decompression, the same */
    uint64_t c_mem, d_mem;     /* peak bytes libcmz held during one call beyond the input and
                                  output buffers (its own allocations and zstd's) */
    bool roundtrip_ok;         /* every decoded run equalled the input */
} bk_result;

/* How long to measure: a warm-up run, then runs until min_seconds have passed in that
 * direction or max_runs are done (at least one). */
typedef struct {
    double min_seconds;
    unsigned max_runs;
    const volatile int *stop; /* polled between runs: non-zero ends the measurement early */
} bk_timing;

/* Installs the counting allocator (once, before any other libcmz call). */
void bk_count_allocations(void);
/* "zstd -3 +planes/4"-style name of a configuration. */
void bk_config_name(const bk_config *cfg, char *buf, size_t cap);
/* Measures cfg on data[0..n) with `threads` threads (1: single-thread figures). */
cmz_status bk_measure(const bk_config *cfg, unsigned threads, const uint8_t *data, size_t n,
                      const char *input, const bk_timing *timing, bk_result *r, cmz_error *err);

/* ---- outputs (bench_output.c, bench_plot.c) --------------------------------------------- */

void bk_print_table(FILE *to, const bk_result *rows, size_t n);
void bk_print_csv(FILE *to, const bk_result *rows, size_t n);
/* JSON: {"schema": "cmz-bench/1", "cmz": version, "cores": N, "results": [...]}
 * (docs/BENCH.md, schema in docs/bench.schema.json). */
void bk_print_json(FILE *to, const bk_result *rows, size_t n);

/* One point per configuration: the rows of that configuration (all inputs, single-thread)
 * pooled: total input over total output, total input over total time. */
typedef struct {
    char config[48];
    bk_config cfg;
    double ratio, c_mbps, d_mbps;
} bk_point;
/* Pools the single-thread rows per configuration into points (at most cap); returns count. */
size_t bk_pool(const bk_result *rows, size_t n, bk_point *points, size_t cap);
/* Whether point i is on the Pareto front (no other point has a ratio and a compression speed
 * at least as good, one of them better). */
bool bk_on_front(const bk_point *points, size_t n, size_t i);
/* Ratio against compression speed (log scale), the Pareto front drawn. 0, or -1 (errno). */
int bk_write_svg(const char *path, const bk_point *points, size_t n, const char *title);

/* ---- recommendation (bench_recommend.c) ------------------------------------------------- */

/* The point that fits the priority (docs/BENCH.md "Recommendation"), among points that
 * shrink the data (ratio > 1.02); SIZE_MAX when none does.
 *   high (speed first): the least time per byte, compression plus decompression;
 *   low (ratio first): the best ratio among points compressing at >= 1 MB/s;
 *   medium: the best ratio among points whose time per byte is at most 4 x the fastest's. */
size_t bk_recommend(const bk_point *points, size_t n, cmz_priority priority);

#endif
