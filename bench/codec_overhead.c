/* What libcmz's codec layer costs on top of the codec libraries: for every codec compiled in, at
 * its default level, the time of one compression and one decompression through
 * cmz_codec_compress/cmz_codec_decompress (one cmz_codec_ctx reused across calls) against the
 * same library called directly the way its adapter calls it (same functions, same parameters,
 * the library's own state reused the same way; only cmz's allocator hook, argument and level
 * checks and the adapter's extra validation differ).
 *
 * The two sides alternate (A B, then B A, ...) on the same input and the same output buffer, so
 * that frequency changes and cache state hit both alike; each side's median is reported.
 * Before timing, both sides' outputs are checked: identical compressed bytes and exact round
 * trips in all four combinations (cmz->cmz, cmz->direct, direct->cmz, direct->direct).
 *
 * Data: generated mixed data (text lines, float32 weight-like values, zero runs), 1 MiB and
 * 64 KiB, deterministic; plus a slice of ch_PP-OCRv4_rec_infer.onnx (float32 model weights) when
 * the corpus is found ($CMZ_CORPUS when set, else ../shared/corpus, ../../shared/corpus or
 * /work/shared/corpus); the output says which data it used.
 *
 * Usage: bench_codec_overhead [--reps N] [--quick] [--codec NAME] [--no-corpus] */
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bench_util.h"
#include "cmz/codec.h"
#include "cmz/frame.h" /* cmz_crc32c */

#ifdef CMZ_HAVE_ZSTD
#include <zstd.h>
#endif
#ifdef CMZ_HAVE_LZ4
#include <lz4.h>
#include <lz4hc.h>
#endif
#ifdef CMZ_HAVE_GZIP
#include <libdeflate.h>
#endif
#ifdef CMZ_HAVE_BZIP2
#include <bzlib.h>
#endif
#ifdef CMZ_HAVE_LZMA
#include <lzma.h>
#endif
#ifdef CMZ_HAVE_SNAPPY
#include <snappy-c.h>
#endif
#ifdef CMZ_HAVE_BROTLI
#include <brotli/decode.h>
#include <brotli/encode.h>
#endif

/* ---- direct calls: one per codec, mirroring src/codec/<name>.c --------------------------- */

typedef struct {
    const char *name;
    void *(*open)(int level); /* the library's reusable state, or a dummy non-NULL pointer */
    void (*close)(void *state);
    /* 0 on success */
    int (*compress)(void *state, int level, void *dst, size_t cap, const void *src, size_t n,
                    size_t *written);
    int (*decompress)(void *state, void *dst, size_t raw, const void *src, size_t n);
} direct_api;

static int dummy_state;
static void *open_nothing(int level) {
    (void)level;
    return &dummy_state;
}
static void close_nothing(void *state) { (void)state; }

static int none_c(void *s, int level, void *dst, size_t cap, const void *src, size_t n,
                  size_t *written) {
    (void)s, (void)level;
    if (cap < n) return -1;
    memcpy(dst, src, n);
    *written = n;
    return 0;
}
static int none_d(void *s, void *dst, size_t raw, const void *src, size_t n) {
    (void)s;
    if (n != raw) return -1;
    memcpy(dst, src, n);
    return 0;
}

#ifdef CMZ_HAVE_ZSTD
typedef struct {
    ZSTD_CCtx *c;
    ZSTD_DCtx *d;
} zstd_direct;
static void *zstd_open(int level) {
    (void)level;
    zstd_direct *z = calloc(1, sizeof *z);
    if (z && (!(z->c = ZSTD_createCCtx()) || !(z->d = ZSTD_createDCtx()))) abort();
    return z;
}
static void zstd_close(void *s) {
    zstd_direct *z = s;
    ZSTD_freeCCtx(z->c);
    ZSTD_freeDCtx(z->d);
    free(z);
}
static int zstd_c(void *s, int level, void *dst, size_t cap, const void *src, size_t n,
                  size_t *written) {
    size_t r = ZSTD_compressCCtx(((zstd_direct *)s)->c, dst, cap, src, n, level);
    if (ZSTD_isError(r)) return -1;
    *written = r;
    return 0;
}
static int zstd_d(void *s, void *dst, size_t raw, const void *src, size_t n) {
    size_t r = ZSTD_decompressDCtx(((zstd_direct *)s)->d, dst, raw, src, n);
    return !ZSTD_isError(r) && r == raw ? 0 : -1;
}
#endif

#ifdef CMZ_HAVE_LZ4
static void *lz4_open(int level) {
    return malloc((size_t)(level < 3 ? LZ4_sizeofState() : LZ4_sizeofStateHC()));
}
static int lz4_c(void *s, int level, void *dst, size_t cap, const void *src, size_t n,
                 size_t *written) {
    int r = level < 3
                ? LZ4_compress_fast_extState(s, src, dst, (int)n, (int)cap, level == 0 ? 8 : 1)
                : LZ4_compress_HC_extStateHC(s, src, dst, (int)n, (int)cap, level);
    if (r <= 0) return -1;
    *written = (size_t)r;
    return 0;
}
static int lz4_d(void *s, void *dst, size_t raw, const void *src, size_t n) {
    (void)s;
    int r = LZ4_decompress_safe(src, dst, (int)n, (int)raw);
    return r >= 0 && (size_t)r == raw ? 0 : -1;
}
#endif

#ifdef CMZ_HAVE_GZIP
typedef struct {
    struct libdeflate_compressor *c;
    struct libdeflate_decompressor *d;
} gzip_direct;
static void *gzip_open(int level) {
    gzip_direct *g = calloc(1, sizeof *g);
    if (g &&
        (!(g->c = libdeflate_alloc_compressor(level)) || !(g->d = libdeflate_alloc_decompressor())))
        abort();
    return g;
}
static void gzip_close(void *s) {
    gzip_direct *g = s;
    libdeflate_free_compressor(g->c);
    libdeflate_free_decompressor(g->d);
    free(g);
}
static int gzip_c(void *s, int level, void *dst, size_t cap, const void *src, size_t n,
                  size_t *written) {
    (void)level;
    size_t r = libdeflate_gzip_compress(((gzip_direct *)s)->c, src, n, dst, cap);
    if (r == 0) return -1;
    *written = r;
    return 0;
}
static int gzip_d(void *s, void *dst, size_t raw, const void *src, size_t n) {
    /* NULL actual size: libdeflate itself insists on exactly `raw` bytes. */
    return libdeflate_gzip_decompress(((gzip_direct *)s)->d, src, n, dst, raw, NULL) ==
                   LIBDEFLATE_SUCCESS
               ? 0
               : -1;
}
#endif

#ifdef CMZ_HAVE_BZIP2
/* The adapter runs the stream API with cmz's allocator; the buffer-to-buffer calls are the same
 * stream calls with malloc inside. */
static int bzip2_c(void *s, int level, void *dst, size_t cap, const void *src, size_t n,
                   size_t *written) {
    (void)s;
    unsigned len = (unsigned)cap;
    if (BZ2_bzBuffToBuffCompress(dst, &len, (char *)src, (unsigned)n, level, 0, 0) != BZ_OK)
        return -1;
    *written = len;
    return 0;
}
static int bzip2_d(void *s, void *dst, size_t raw, const void *src, size_t n) {
    (void)s;
    unsigned len = (unsigned)raw;
    int r = BZ2_bzBuffToBuffDecompress(dst, &len, (char *)src, (unsigned)n, 0, 0);
    return r == BZ_OK && len == raw ? 0 : -1;
}
#endif

#ifdef CMZ_HAVE_LZMA
/* Same filter as the adapter: LZMA2 at the preset, dictionary clamped to the input. */
static int lzma_c(void *s, int level, void *dst, size_t cap, const void *src, size_t n,
                  size_t *written) {
    (void)s;
    lzma_options_lzma opt;
    if (lzma_lzma_preset(&opt, (uint32_t)level)) return -1;
    if (opt.dict_size > n)
        opt.dict_size = n < LZMA_DICT_SIZE_MIN ? LZMA_DICT_SIZE_MIN : (uint32_t)n;
    const lzma_filter f[] = {{LZMA_FILTER_LZMA2, &opt}, {LZMA_VLI_UNKNOWN, NULL}};
    size_t pos = 0;
    if (lzma_raw_buffer_encode(f, NULL, src, n, dst, &pos, cap) != LZMA_OK) return -1;
    *written = pos;
    return 0;
}
static int lzma_d(void *s, void *dst, size_t raw, const void *src, size_t n) {
    (void)s;
    lzma_options_lzma opt;
    if (lzma_lzma_preset(&opt, LZMA_PRESET_DEFAULT)) return -1;
    opt.dict_size = raw < LZMA_DICT_SIZE_MIN ? LZMA_DICT_SIZE_MIN : (uint32_t)raw;
    const lzma_filter f[] = {{LZMA_FILTER_LZMA2, &opt}, {LZMA_VLI_UNKNOWN, NULL}};
    size_t in_pos = 0, out_pos = 0;
    lzma_ret r = lzma_raw_buffer_decode(f, NULL, src, &in_pos, n, dst, &out_pos, raw);
    return r == LZMA_OK && out_pos == raw ? 0 : -1;
}
#endif

#ifdef CMZ_HAVE_SNAPPY
static int snappy_c(void *s, int level, void *dst, size_t cap, const void *src, size_t n,
                    size_t *written) {
    (void)s, (void)level;
    size_t len = cap;
    if (snappy_compress(src, n, dst, &len) != SNAPPY_OK) return -1;
    *written = len;
    return 0;
}
static int snappy_d(void *s, void *dst, size_t raw, const void *src, size_t n) {
    (void)s;
    size_t len = raw;
    return snappy_uncompress(src, n, dst, &len) == SNAPPY_OK && len == raw ? 0 : -1;
}
#endif

#ifdef CMZ_HAVE_BROTLI
static int brotli_c(void *s, int level, void *dst, size_t cap, const void *src, size_t n,
                    size_t *written) {
    (void)s;
    size_t len = cap;
    if (!BrotliEncoderCompress(level, BROTLI_DEFAULT_WINDOW, BROTLI_MODE_GENERIC, n, src, &len,
                               dst))
        return -1;
    *written = len;
    return 0;
}
static int brotli_d(void *s, void *dst, size_t raw, const void *src, size_t n) {
    (void)s;
    size_t len = raw;
    return BrotliDecoderDecompress(n, src, &len, dst) == BROTLI_DECODER_RESULT_SUCCESS && len == raw
               ? 0
               : -1;
}
#endif

static const direct_api directs[] = {
    {"none", open_nothing, close_nothing, none_c, none_d},
#ifdef CMZ_HAVE_ZSTD
    {"zstd", zstd_open, zstd_close, zstd_c, zstd_d},
#endif
#ifdef CMZ_HAVE_LZ4
    {"lz4", lz4_open, free, lz4_c, lz4_d},
#endif
#ifdef CMZ_HAVE_GZIP
    {"gzip", gzip_open, gzip_close, gzip_c, gzip_d},
#endif
#ifdef CMZ_HAVE_BZIP2
    {"bzip2", open_nothing, close_nothing, bzip2_c, bzip2_d},
#endif
#ifdef CMZ_HAVE_LZMA
    {"lzma", open_nothing, close_nothing, lzma_c, lzma_d},
#endif
#ifdef CMZ_HAVE_SNAPPY
    {"snappy", open_nothing, close_nothing, snappy_c, snappy_d},
#endif
#ifdef CMZ_HAVE_BROTLI
    {"brotli", open_nothing, close_nothing, brotli_c, brotli_d},
#endif
};
#define NDIRECTS (sizeof directs / sizeof directs[0])

/* ---- timing ---------------------------------------------------------------------------- */

typedef struct {
    const cmz_codec *codec;
    const direct_api *api;
    int level;
    cmz_codec_ctx *ctx;
    void *state;
    const uint8_t *src;
    size_t n;
    uint8_t *dst; /* shared by both sides while timing */
    size_t cap;
    const uint8_t *comp;
    size_t comp_n;
    unsigned long failures;
} cell;

typedef int (*op_fn)(cell *);
static int cmz_comp(cell *c) {
    size_t w;
    return cmz_codec_compress(c->ctx, CMZ_LEVEL_DEFAULT, c->dst, c->cap, c->src, c->n, &w);
}
static int direct_comp(cell *c) {
    size_t w;
    return c->api->compress(c->state, c->level, c->dst, c->cap, c->src, c->n, &w);
}
static int cmz_decomp(cell *c) {
    return cmz_codec_decompress(c->ctx, c->dst, c->n, c->comp, c->comp_n);
}
static int direct_decomp(cell *c) {
    return c->api->decompress(c->state, c->dst, c->n, c->comp, c->comp_n);
}

/* ns per op over `inner` back-to-back ops. */
static double sample(op_fn op, cell *c, unsigned inner) {
    double t0 = bench_now_ns();
    for (unsigned i = 0; i < inner; i++)
        if (op(c) != 0) c->failures++;
    return (bench_now_ns() - t0) / inner;
}

typedef struct {
    unsigned reps, min_reps;
    double budget_ns;        /* per cell and direction, once min_reps are done */
    double sample_target_ns; /* ops are batched up to this per sample */
} timing_opts;

/* Alternates a and b (A B, B A, ...) up to reps times or the budget; medians in *ma, *mb. */
static unsigned race(op_fn a, op_fn b, cell *c, const timing_opts *o, double *ma, double *mb) {
    double one = sample(b, c, 1);
    unsigned inner =
        one >= o->sample_target_ns ? 1 : (unsigned)(o->sample_target_ns / (one + 1)) + 1;
    if (inner > 4096) inner = 4096;
    double *sa = malloc(o->reps * sizeof *sa), *sb = malloc(o->reps * sizeof *sb);
    if (!sa || !sb) abort();
    double start = bench_now_ns();
    unsigned r = 0;
    while (r < o->reps && (r < o->min_reps || bench_now_ns() - start < o->budget_ns)) {
        if (r % 2 == 0) {
            sa[r] = sample(a, c, inner);
            sb[r] = sample(b, c, inner);
        } else {
            sb[r] = sample(b, c, inner);
            sa[r] = sample(a, c, inner);
        }
        r++;
    }
    *ma = bench_median(sa, r);
    *mb = bench_median(sb, r);
    free(sa);
    free(sb);
    return r;
}

/* ---- one codec on one buffer ----------------------------------------------------------- */

typedef struct {
    double cmz_c, direct_c, cmz_d, direct_d;
} result;

/* Checks both sides against each other, then times them. Returns 0, or 1 after reporting. */
static int run_cell(const cmz_codec *codec, const direct_api *api, const char *data_name,
                    const uint8_t *src, size_t n, const timing_opts *o, result *res,
                    unsigned *reps_done) {
    int rc = 1;
    const char *name = cmz_codec_name(codec);
    cell c = {.codec = codec,
              .api = api,
              .level = cmz_codec_default_level(codec),
              .src = src,
              .n = n,
              .cap = cmz_codec_bound(codec, n)};
    c.ctx = cmz_codec_ctx_new(codec);
    c.state = api->open(c.level);
    uint8_t *via_cmz = malloc(c.cap), *via_direct = malloc(c.cap), *back = malloc(n);
    c.dst = malloc(c.cap > n ? c.cap : n);
    if (!c.ctx || !c.state || !via_cmz || !via_direct || !back || !c.dst) {
        fprintf(stderr, "%s: out of memory\n", name);
        goto done;
    }
    size_t n_cmz = 0, n_direct = 0;
    cmz_status st = cmz_codec_compress(c.ctx, CMZ_LEVEL_DEFAULT, via_cmz, c.cap, src, n, &n_cmz);
    if (st != CMZ_OK || api->compress(c.state, c.level, via_direct, c.cap, src, n, &n_direct)) {
        fprintf(stderr, "%s/%s: compression failed (cmz: %s)\n", name, data_name, cmz_strerror(st));
        goto done;
    }
    if (n_cmz != n_direct || memcmp(via_cmz, via_direct, n_cmz) != 0) {
        fprintf(stderr, "%s/%s: cmz and the direct call made different bytes (%zu vs %zu)\n", name,
                data_name, n_cmz, n_direct);
        goto done;
    }
    /* Every decoder on every encoder's output (identical here, but cheap to be sure). */
    const uint8_t *comps[2] = {via_cmz, via_direct};
    const size_t sizes[2] = {n_cmz, n_direct};
    for (int k = 0; k < 4; k++) {
        memset(back, 0xA5, n);
        int bad = k < 2 ? cmz_codec_decompress(c.ctx, back, n, comps[k % 2], sizes[k % 2])
                        : api->decompress(c.state, back, n, comps[k % 2], sizes[k % 2]);
        if (bad || memcmp(back, src, n) != 0) {
            fprintf(stderr, "%s/%s: round trip %s -> %s failed\n", name, data_name,
                    k % 2 ? "direct" : "cmz", k < 2 ? "cmz" : "direct");
            goto done;
        }
    }
    c.comp = via_cmz;
    c.comp_n = n_cmz;
    unsigned r1 = race(cmz_comp, direct_comp, &c, o, &res->cmz_c, &res->direct_c);
    unsigned r2 = race(cmz_decomp, direct_decomp, &c, o, &res->cmz_d, &res->direct_d);
    *reps_done = r1 < r2 ? r1 : r2;
    /* The timed calls must have succeeded too, and the last one left the input in dst. */
    if (c.failures || memcmp(c.dst, src, n) != 0) {
        fprintf(stderr, "%s/%s: %lu timed calls failed or decoded wrongly\n", name, data_name,
                c.failures);
        goto done;
    }
    printf("%-7s %3d %-6s %8zu %7.3f %11.0f %11.0f %6.3f %11.0f %11.0f %6.3f %5u\n", name, c.level,
           data_name, n, (double)n / (double)n_cmz, res->cmz_c, res->direct_c,
           res->cmz_c / res->direct_c, res->cmz_d, res->direct_d, res->cmz_d / res->direct_d,
           *reps_done);
    fflush(stdout);
    rc = 0;
done:
    cmz_codec_ctx_free(c.ctx);
    if (c.state) api->close(c.state);
    free(via_cmz);
    free(via_direct);
    free(back);
    free(c.dst);
    return rc;
}

/* ---- main ------------------------------------------------------------------------------ */

static void usage(FILE *to) {
    fputs("usage: bench_codec_overhead [--reps N] [--quick] [--codec NAME] [--no-corpus]\n"
          "  --reps N      timed pairs per codec, size and direction (default 41; --quick 9)\n"
          "  --quick       fewer repetitions and a shorter time bound per measurement\n"
          "  --codec NAME  only this codec (repeatable)\n"
          "  --no-corpus   only the generated data\n"
          "Env: CMZ_CORPUS=DIR holding ch_PP-OCRv4_rec_infer.onnx (when unset: ../shared/corpus,\n"
          "../../shared/corpus, /work/shared/corpus).\n",
          to);
}

typedef struct {
    const char *name;
    uint8_t *data;
    size_t size;
} dataset;

int main(int argc, char **argv) {
    timing_opts o = {.reps = 41, .min_reps = 5, .budget_ns = 1.5e9, .sample_target_ns = 2e5};
    bool quick = false, corpus = true, reps_given = false;
    const char *only[16];
    int nonly = 0;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--quick")) quick = true;
        else if (!strcmp(argv[i], "--no-corpus")) corpus = false;
        else if (!strcmp(argv[i], "--reps") && i + 1 < argc) {
            char *end;
            long v = strtol(argv[++i], &end, 10);
            if (*end || v < 1 || v > 100000) {
                fprintf(stderr, "bad --reps '%s'\n", argv[i]);
                return 2;
            }
            o.reps = (unsigned)v;
            reps_given = true;
        } else if (!strcmp(argv[i], "--codec") && i + 1 < argc && nonly < 16) {
            const cmz_codec *c = NULL;
            if (cmz_codec_by_name(argv[++i], &c, NULL) != CMZ_OK) {
                fprintf(stderr, "codec '%s' is not compiled in\n", argv[i]);
                return 2;
            }
            only[nonly++] = cmz_codec_name(c);
        } else if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
            usage(stdout);
            return 0;
        } else {
            usage(stderr);
            return 2;
        }
    }
    if (quick) {
        if (!reps_given) o.reps = 9;
        o.min_reps = 3;
        o.budget_ns = 0.25e9;
        o.sample_target_ns = 5e4;
    }
    if (o.min_reps > o.reps) o.min_reps = o.reps;

    dataset sets[4];
    int nsets = 0;
    sets[nsets++] = (dataset){"mixed", malloc(1u << 20), 1u << 20};
    sets[nsets++] = (dataset){"mixed", malloc(64u << 10), 64u << 10};
    if (!sets[0].data || !sets[1].data) return 1;
    bench_gen_mixed(sets[0].data, sets[0].size, 1);
    bench_gen_mixed(sets[1].data, sets[1].size, 2);
    char where[4096] = "";
    if (corpus) {
        /* From 4 MiB in: the middle of the weight tensors, past the graph's head. */
        uint8_t *big = bench_corpus_slice("ch_PP-OCRv4_rec_infer.onnx", 4u << 20, 1u << 20, where,
                                          sizeof where);
        if (big) {
            sets[nsets++] = (dataset){"onnx", big, 1u << 20};
            uint8_t *small = malloc(64u << 10);
            if (!small) return 1;
            memcpy(small, big, 64u << 10);
            sets[nsets++] = (dataset){"onnx", small, 64u << 10};
        }
    }
    printf("codec overhead: libcmz (cmz_codec_ctx reused) vs the codec library called directly\n");
    printf("data mixed: generated text lines, float32 weight-like values, zero runs "
           "(seeds 1 and 2; CRC32C %08x and %08x)\n",
           (unsigned)cmz_crc32c(0, sets[0].data, sets[0].size),
           (unsigned)cmz_crc32c(0, sets[1].data, sets[1].size));
    if (!corpus) printf("data onnx: skipped (--no-corpus)\n");
    else if (*where) printf("data onnx: %s bytes [4 MiB, 5 MiB) and its first 64 KiB\n", where);
    else printf("data onnx: corpus not found (set CMZ_CORPUS=DIR); generated data only\n");
    printf("timing: up to %u alternating pairs per row and direction, %.2f s bound after %u; "
           "medians, single thread\n\n",
           o.reps, o.budget_ns / 1e9, o.min_reps);
    printf("%-7s %3s %-6s %8s %7s %11s %11s %6s %11s %11s %6s %5s\n", "", "", "", "", "",
           "compress", "ns/op", "", "decompress", "ns/op", "", "");
    printf("%-7s %3s %-6s %8s %7s %11s %11s %6s %11s %11s %6s %5s\n", "codec", "lvl", "data",
           "size", "ratio", "cmz", "direct", "c/d", "cmz", "direct", "c/d", "reps");

    size_t ncodecs;
    const cmz_codec *const *list = cmz_codec_list(&ncodecs);
    int failed = 0, rows = 0;
    double log_c = 0, log_d = 0;
    for (size_t k = 0; k < ncodecs; k++) {
        const char *name = cmz_codec_name(list[k]);
        bool wanted = nonly == 0;
        for (int j = 0; j < nonly; j++) wanted |= !strcmp(only[j], name);
        if (!wanted) continue;
        const direct_api *api = NULL;
        for (size_t j = 0; j < NDIRECTS; j++)
            if (!strcmp(directs[j].name, name)) api = &directs[j];
        if (!api) {
            printf("%-7s (no direct counterpart in this benchmark)\n", name);
            continue;
        }
        for (int s = 0; s < nsets; s++) {
            result r;
            unsigned reps = 0;
            if (run_cell(list[k], api, sets[s].name, sets[s].data, sets[s].size, &o, &r, &reps)) {
                failed = 1;
                continue;
            }
            log_c += log(r.cmz_c / r.direct_c);
            log_d += log(r.cmz_d / r.direct_d);
            rows++;
        }
    }
    if (rows)
        printf("\ngeometric mean of cmz/direct over %d rows: compress %.3f, decompress %.3f\n",
               rows, exp(log_c / rows), exp(log_d / rows));
    printf("%s\n", failed ? "FAILED: see the messages above" : "round trips: all verified");
    for (int s = 0; s < nsets; s++) free(sets[s].data);
    return failed;
}
