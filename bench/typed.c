/* Typed data (issue 5): ratio and speed of cmz's filters + codecs against plain zstd-3 and
 * Blosc 1.x on model weights (float32, float16, bfloat16) and an attention-cache-like fp16
 * tensor, on one core and on all cores, in one run; with the planes codec (issue 10) beside
 * the filters.
 *
 *   bench_typed [--reps N] [--chunk-size BYTES]
 *
 * Data sets:
 *  1. fp32: the three ONNX model files of the corpus, concatenated as they are on disk
 *     (tensors at arbitrary offsets, protobuf framing between them). Corpus: $CMZ_CORPUS,
 *     else ../shared/corpus, ../../shared/corpus, /work/shared/corpus; when missing, a
 *     generated weights-like tensor (and the output says so).
 *  2. fp16 / 3. bf16: the FLOAT tensors of the same models (found by walking the ONNX
 *     protobuf: initializers and Constant nodes, bench/onnx.h), converted value by value
 *     with round to nearest even (bench/halfconv.h), concatenated tensor after tensor.
 *  4. kv-fp16: a generated attention cache, 32 heads x 4096 positions x 128 dims of fp16:
 *     per-channel sinusoids of the position (like rotary-embedded keys) plus small noise.
 *
 * Every configuration compresses the whole set in chunks of --chunk-size (1 MiB) and
 * decompresses it; each round trip is compared with the input. Speeds are MB/s (10^6 bytes)
 * of raw data, the median of --reps runs. Blosc is called chunk by chunk
 * (blosc_compress_ctx / blosc_decompress_ctx, automatic block size) with its own threads.
 * Blosc's clevel maps to zstd levels as 2*clevel-1 (c-blosc's zstd_wrap_compress), so
 * clevel 2 is zstd-3; for lz4 Blosc passes acceleration 10-clevel, so clevel 9 is LZ4's
 * default (acceleration 1), which is what cmz lz4 at its default level runs. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bench_util.h"
#include "cmz/cmz.h"
#include "halfconv.h"
#include "onnx.h"
#ifdef CMZ_HAVE_BLOSC
#include <blosc.h>
#endif

typedef struct {
    const char *name;
    uint8_t *data;
    size_t size;
    unsigned typesize;
} dataset;

enum { ENGINE_CMZ, ENGINE_BLOSC };

typedef struct {
    char label[48];
    int engine;
    int codec, level, filter; /* cmz */
    const char *bcomp;        /* blosc compressor */
    int bclevel, bshuffle;
} config;

typedef struct {
    bool ok;
    double ratio, c_mbs[2], d_mbs[2];
} result;

static unsigned g_reps = 3;
static uint32_t g_chunk = 1u << 20;
static unsigned g_cores = 1;

static uint8_t *slurp(const char *path, size_t *n) {
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    uint8_t *p = NULL;
    long len = fseek(f, 0, SEEK_END) == 0 ? ftell(f) : -1;
    if (len >= 0 && fseek(f, 0, SEEK_SET) == 0 && (p = malloc((size_t)len + 1)) &&
        fread(p, 1, (size_t)len, f) != (size_t)len) {
        free(p);
        p = NULL;
    }
    fclose(f);
    *n = (size_t)(len < 0 ? 0 : len);
    return p;
}

static const char *const model_names[] = {"ch_PP-OCRv4_det_infer.onnx",
                                          "ch_PP-OCRv4_rec_infer.onnx",
                                          "ch_ppocr_mobile_v2.0_cls_infer.onnx"};

/* The corpus folder holding all three models, or NULL. */
static const char *corpus_dir(void) {
    static char found[4096];
    const char *env = getenv("CMZ_CORPUS");
    const char *const dirs[] = {env, "../shared/corpus", "../../shared/corpus",
                                "/work/shared/corpus"};
    size_t ndirs = env && *env ? 1 : sizeof dirs / sizeof dirs[0];
    for (size_t i = 0; i < ndirs; i++) {
        if (!dirs[i] || !*dirs[i]) continue;
        bool all = true;
        for (size_t m = 0; m < 3 && all; m++) {
            char path[4200];
            snprintf(path, sizeof path, "%s/%s", dirs[i], model_names[m]);
            all = access(path, R_OK) == 0;
        }
        if (all) {
            snprintf(found, sizeof found, "%s", dirs[i]);
            return found;
        }
    }
    return NULL;
}

/* Weights-like float32 values when the corpus is missing: tensors of 1 K..1 M values, each
 * roughly normal with its own scale. */
static void gen_weights(onnx_floats *o, size_t total) {
    uint64_t s = 42;
    while (o->count < total) {
        size_t len = 1024 + (size_t)(bench_rnd(&s) % (1u << 20));
        double scale = 0.005 + 0.1 * bench_unit(&s);
        for (size_t i = 0; i < len && o->count < total; i++) {
            double g = -2.0;
            for (int u = 0; u < 4; u++) g += bench_unit(&s);
            float v = (float)(g * scale);
            uint32_t bits;
            memcpy(&bits, &v, 4);
            if (!onnx_push(o, bits)) exit(1);
        }
        o->tensors++;
    }
}

static dataset make_half(const char *name, const onnx_floats *o, bool bf16) {
    dataset d = {name, malloc(o->count * 2 + 1), o->count * 2, 2};
    if (!d.data) exit(1);
    for (size_t i = 0; i < o->count; i++) {
        uint16_t h = bf16 ? f32_to_bf16(o->bits[i]) : f32_to_f16(o->bits[i]);
        d.data[2 * i] = (uint8_t)h;
        d.data[2 * i + 1] = (uint8_t)(h >> 8);
    }
    return d;
}

/* 32 heads x 4096 positions x 128 dims: channel c of head h is a_hc sin(pos w_c + phi_hc)
 * (rotary-like frequencies w_c = 10000^(-c/128)) plus noise of 2% of a_hc. */
static dataset make_kv(void) {
    const size_t heads = 32, seq = 4096, dim = 128;
    dataset d = {"kv-fp16 (generated)", malloc(heads * seq * dim * 2), heads * seq * dim * 2, 2};
    if (!d.data) exit(1);
    uint64_t s = 7;
    size_t at = 0;
    for (size_t h = 0; h < heads; h++) {
        double amp[128], phase[128], freq[128];
        for (size_t c = 0; c < dim; c++) {
            amp[c] = 0.2 + 2.0 * bench_unit(&s) * bench_unit(&s);
            phase[c] = 6.283185307179586 * bench_unit(&s);
            freq[c] = pow(10000.0, -(double)(c % 64) / 64.0);
        }
        for (size_t p = 0; p < seq; p++)
            for (size_t c = 0; c < dim; c++) {
                double noise = (bench_unit(&s) + bench_unit(&s) - 1.0) * 0.02 * amp[c];
                float v = (float)(amp[c] * sin((double)p * freq[c] + phase[c]) + noise);
                uint32_t bits;
                memcpy(&bits, &v, 4);
                uint16_t x = f32_to_f16(bits);
                d.data[at++] = (uint8_t)x;
                d.data[at++] = (uint8_t)(x >> 8);
            }
    }
    return d;
}

/* ---- runs -------------------------------------------------------------------------------- */

static void fail(const char *what, const config *c, const dataset *d, const char *why) {
    fprintf(stderr, "bench_typed: %s failed for %s on %s: %s\n", what, c->label, d->name, why);
    exit(1);
}

/* One configuration at one thread count (0: all cores); false if it cannot run here. */
static bool run_cmz(const config *c, const dataset *d, unsigned threads, uint8_t *dst, size_t cap,
                    uint8_t *back, size_t *csize, double *ct, double *dt) {
    cmz_params p = cmz_params_default();
    p.codec = c->codec;
    p.level = c->level;
    p.chunk_size = g_chunk;
    p.threads = threads;
    p.filter = c->filter;
    /* with no filter only a typed codec (planes) takes the element size */
    p.typesize = c->filter != CMZ_FILTER_NONE || cmz_codec_takes_typesize(cmz_codec_by_id(c->codec))
                     ? d->typesize
                     : 0;
    cmz_error e;
    cmz_cctx *cc = cmz_cctx_new(&p, &e);
    cmz_dparams dp = cmz_dparams_default();
    dp.threads = threads;
    cmz_dctx *dc = cc ? cmz_dctx_new(&dp, &e) : NULL;
    if (!cc || !dc) {
        fprintf(stderr, "  (%s skipped: %s)\n", c->label, e.message);
        cmz_cctx_free(cc);
        return false;
    }
    double *cts = malloc(g_reps * sizeof *cts), *dts = malloc(g_reps * sizeof *dts);
    for (unsigned r = 0; r < g_reps; r++) {
        size_t out = 0;
        double t0 = bench_now_ns();
        if (cmz_compress(cc, dst, cap, csize, d->data, d->size, &e) != CMZ_OK)
            fail("compress", c, d, e.message);
        double t1 = bench_now_ns();
        memset(back, 0xa5, d->size);
        double t2 = bench_now_ns();
        if (cmz_decompress(dc, back, d->size, &out, dst, *csize, &e) != CMZ_OK)
            fail("decompress", c, d, e.message);
        double t3 = bench_now_ns();
        if (out != d->size || memcmp(back, d->data, d->size) != 0)
            fail("round trip", c, d, "output differs from input");
        cts[r] = t1 - t0;
        dts[r] = t3 - t2;
    }
    *ct = bench_median(cts, g_reps);
    *dt = bench_median(dts, g_reps);
    free(cts);
    free(dts);
    cmz_cctx_free(cc);
    cmz_dctx_free(dc);
    return true;
}

#ifdef CMZ_HAVE_BLOSC
/* Chunk by chunk, each chunk's compressed size kept beside the data (4 bytes of our own
 * container per chunk, counted in the ratio like cmz's frame overhead). */
static bool run_blosc(const config *c, const dataset *d, unsigned threads, uint8_t *dst, size_t cap,
                      uint8_t *back, size_t *csize, double *ct, double *dt) {
    int nthreads = (int)(threads ? threads : g_cores);
    size_t nchunks = (d->size + g_chunk - 1) / g_chunk;
    double *cts = malloc(g_reps * sizeof *cts), *dts = malloc(g_reps * sizeof *dts);
    for (unsigned r = 0; r < g_reps; r++) {
        size_t at = 0;
        double t0 = bench_now_ns();
        for (size_t k = 0; k < nchunks; k++) {
            size_t off = k * g_chunk, n = d->size - off < g_chunk ? d->size - off : g_chunk;
            int got = blosc_compress_ctx(c->bclevel, c->bshuffle, d->typesize, n, d->data + off,
                                         dst + at + 4, cap - at - 4, c->bcomp, 0, nthreads);
            if (got <= 0) fail("compress", c, d, "blosc_compress_ctx");
            for (int b = 0; b < 4; b++) dst[at + (size_t)b] = (uint8_t)((unsigned)got >> (8 * b));
            at += 4 + (size_t)got;
        }
        double t1 = bench_now_ns();
        *csize = at;
        memset(back, 0xa5, d->size);
        double t2 = bench_now_ns();
        at = 0;
        for (size_t k = 0; k < nchunks; k++) {
            size_t off = k * g_chunk, n = d->size - off < g_chunk ? d->size - off : g_chunk;
            size_t len = (size_t)dst[at] | (size_t)dst[at + 1] << 8 | (size_t)dst[at + 2] << 16 |
                         (size_t)dst[at + 3] << 24;
            if (blosc_decompress_ctx(dst + at + 4, back + off, n, nthreads) != (int)n)
                fail("decompress", c, d, "blosc_decompress_ctx");
            at += 4 + len;
        }
        double t3 = bench_now_ns();
        if (memcmp(back, d->data, d->size) != 0)
            fail("round trip", c, d, "output differs from input");
        cts[r] = t1 - t0;
        dts[r] = t3 - t2;
    }
    *ct = bench_median(cts, g_reps);
    *dt = bench_median(dts, g_reps);
    free(cts);
    free(dts);
    return true;
}
#endif

static size_t make_configs(config *cf, bool have_rans) {
    size_t n = 0;
    static const int zfilters[] = {CMZ_FILTER_NONE, CMZ_FILTER_SHUFFLE, CMZ_FILTER_BITSHUFFLE,
                                   CMZ_FILTER_PLANES, CMZ_FILTER_AUTO};
    for (size_t i = 0; i < 5; i++) {
        config c = {"", ENGINE_CMZ, CMZ_CODEC_ZSTD, 3, zfilters[i], NULL, 0, 0};
        snprintf(c.label, sizeof c.label, "cmz %s+zstd-3",
                 zfilters[i] == CMZ_FILTER_AUTO ? "auto" : cmz_filter_name(zfilters[i]));
        cf[n++] = c;
    }
    /* the attention_cache policy's default (zstd level 1, planes) */
    cf[n++] =
        (config){"cmz planes+zstd-1", ENGINE_CMZ, CMZ_CODEC_ZSTD, 1, CMZ_FILTER_PLANES, NULL, 0, 0};
    static const int lfilters[] = {CMZ_FILTER_SHUFFLE, CMZ_FILTER_PLANES};
    for (size_t i = 0; i < 2; i++) {
        config c = {"", ENGINE_CMZ, CMZ_CODEC_LZ4, CMZ_LEVEL_DEFAULT, lfilters[i], NULL, 0, 0};
        snprintf(c.label, sizeof c.label, "cmz %s+lz4", cmz_filter_name(lfilters[i]));
        cf[n++] = c;
    }
    if (have_rans)
        cf[n++] = (config){"cmz planes+rans",
                           ENGINE_CMZ,
                           CMZ_CODEC_RANS,
                           CMZ_LEVEL_DEFAULT,
                           CMZ_FILTER_PLANES,
                           NULL,
                           0,
                           0};
    /* the planes codec (byte planes + 32-lane rANS, the GPU-shaped coder; issue 10) */
    cf[n++] = (config){"cmz planes codec",
                       ENGINE_CMZ,
                       CMZ_CODEC_PLANES,
                       CMZ_LEVEL_DEFAULT,
                       CMZ_FILTER_NONE,
                       NULL,
                       0,
                       0};
#ifdef CMZ_HAVE_BLOSC
    static const char *const comps[] = {"zstd", "lz4"};
    static const int clevels[] = {2, 9};
    for (size_t i = 0; i < 2; i++)
        for (int sh = 0; sh < 2; sh++) {
            config c = {"", ENGINE_BLOSC, 0,          0,
                        0,  comps[i],     clevels[i], sh ? BLOSC_BITSHUFFLE : BLOSC_SHUFFLE};
            snprintf(c.label, sizeof c.label, "blosc %s+%s", sh ? "bitshuffle" : "shuffle",
                     i ? "lz4" : "zstd-3");
            cf[n++] = c;
        }
#endif
    return n;
}

static void bench_set(const dataset *d, const config *cf, size_t ncf) {
    size_t cap = d->size + d->size / 4 + (16u << 20);
    uint8_t *dst = malloc(cap), *back = malloc(d->size + 1);
    result *res = calloc(ncf, sizeof *res);
    if (!dst || !back || !res) exit(1);
    for (size_t i = 0; i < ncf; i++) {
        for (unsigned t = 0; t < 2; t++) {
            size_t csize = 0;
            double ct = 0, dt = 0;
            bool ok = false;
            if (cf[i].engine == ENGINE_CMZ)
                ok = run_cmz(&cf[i], d, t ? 0 : 1, dst, cap, back, &csize, &ct, &dt);
#ifdef CMZ_HAVE_BLOSC
            else ok = run_blosc(&cf[i], d, t ? 0 : 1, dst, cap, back, &csize, &ct, &dt);
#endif
            if (!ok) break;
            res[i].ok = true;
            res[i].ratio = (double)d->size / (double)csize;
            res[i].c_mbs[t] = (double)d->size / ct * 1e3;
            res[i].d_mbs[t] = (double)d->size / dt * 1e3;
        }
    }
    size_t best = ncf;
    for (size_t i = 0; i < ncf; i++)
        if (res[i].ok && (best == ncf || res[i].ratio > res[best].ratio)) best = i;
    printf("\n%s: %.2f MB, typesize %u\n", d->name, (double)d->size / 1e6, d->typesize);
    printf("  %-26s %7s   %9s %9s   %9s %9s\n", "", "", "1 core", "", "all cores", "");
    printf("  %-26s %7s   %9s %9s   %9s %9s\n", "configuration", "ratio", "comp MB/s", "dec MB/s",
           "comp MB/s", "dec MB/s");
    for (size_t i = 0; i < ncf; i++) {
        if (!res[i].ok) continue;
        printf("  %-26s %7.3f%s  %9.0f %9.0f   %9.0f %9.0f\n", cf[i].label, res[i].ratio,
               i == best ? " *" : "  ", res[i].c_mbs[0], res[i].d_mbs[0], res[i].c_mbs[1],
               res[i].d_mbs[1]);
    }
    /* The best cmz configuration that could be a default (any filter but auto, which is
     * what a default would pick among) against Blosc's best, on ratio. */
    size_t bc = ncf, bb = ncf;
    for (size_t i = 0; i < ncf; i++) {
        if (!res[i].ok) continue;
        if (cf[i].engine == ENGINE_CMZ && cf[i].filter != CMZ_FILTER_NONE &&
            cf[i].filter != CMZ_FILTER_AUTO && (bc == ncf || res[i].ratio > res[bc].ratio))
            bc = i;
        if (cf[i].engine == ENGINE_BLOSC && (bb == ncf || res[i].ratio > res[bb].ratio)) bb = i;
    }
    size_t fast = ncf; /* best cmz ratio among those at least as fast as Blosc's best */
    for (size_t i = 0; bb < ncf && i < ncf; i++)
        if (res[i].ok && cf[i].engine == ENGINE_CMZ && res[i].c_mbs[0] >= res[bb].c_mbs[0] &&
            (fast == ncf || res[i].ratio > res[fast].ratio))
            fast = i;
    if (fast < ncf)
        printf("  => best cmz at Blosc's best's 1-core speed or faster: %s, ratio %.3f at %.0f "
               "MB/s (%s Blosc's %.3f)\n",
               cf[fast].label, res[fast].ratio, res[fast].c_mbs[0],
               res[fast].ratio > res[bb].ratio ? "beats" : "does NOT beat", res[bb].ratio);
    if (bc < ncf && bb < ncf)
        printf("  => %s: ratio %.3f at %.0f MB/s (1 core; %.0f all cores) vs Blosc best (%s) "
               "%.3f at %.0f MB/s (%.0f): %s\n",
               cf[bc].label, res[bc].ratio, res[bc].c_mbs[0], res[bc].c_mbs[1], cf[bb].label + 6,
               res[bb].ratio, res[bb].c_mbs[0], res[bb].c_mbs[1],
               res[bc].ratio > res[bb].ratio && res[bc].c_mbs[0] >= res[bb].c_mbs[0]
                   ? "cmz better on ratio at equal or better speed"
                   : "cmz does NOT beat Blosc on both ratio and speed");
    else if (bc < ncf)
        printf("  => %s: ratio %.3f at %.0f MB/s (1 core); no Blosc in this build\n", cf[bc].label,
               res[bc].ratio, res[bc].c_mbs[0]);
    free(res);
    free(dst);
    free(back);
}

int main(int argc, char **argv) {
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--reps") == 0 && i + 1 < argc) {
            g_reps = (unsigned)strtoul(argv[++i], NULL, 10);
        } else if (strcmp(argv[i], "--chunk-size") == 0 && i + 1 < argc) {
            g_chunk = (uint32_t)strtoul(argv[++i], NULL, 10);
        } else {
            fprintf(stderr, "usage: %s [--reps N] [--chunk-size BYTES]\n", argv[0]);
            return 2;
        }
    }
    if (g_reps < 1) g_reps = 1;
    long nc = sysconf(_SC_NPROCESSORS_ONLN);
    g_cores = nc > 0 ? (unsigned)nc : 1;

    dataset sets[4];
    onnx_floats fl = {0};
    const char *dir = corpus_dir();
    if (dir) {
        size_t total = 0;
        uint8_t *files[3];
        size_t sizes[3];
        for (size_t m = 0; m < 3; m++) {
            char path[4200];
            snprintf(path, sizeof path, "%s/%s", dir, model_names[m]);
            files[m] = slurp(path, &sizes[m]);
            if (!files[m]) {
                fprintf(stderr, "bench_typed: cannot read %s\n", path);
                return 1;
            }
            if (!onnx_collect_floats(&fl, files[m], sizes[m]))
                fprintf(stderr,
                        "bench_typed: %s: malformed ONNX, tensors after the damage "
                        "are left out\n",
                        path);
            total += sizes[m];
        }
        sets[0] = (dataset){"fp32 weights (3 ONNX files as on disk)", malloc(total), total, 4};
        if (!sets[0].data) return 1;
        for (size_t m = 0, at = 0; m < 3; at += sizes[m], m++) {
            memcpy(sets[0].data + at, files[m], sizes[m]);
            free(files[m]);
        }
        printf("corpus: %s: 3 models, %zu bytes; %zu FLOAT tensors (%zu initializers, %zu "
               "Constant nodes; %zu non-float tensors skipped), %zu values = %.1f%% of the "
               "files\n",
               dir, total, fl.tensors, fl.from_initializers, fl.from_constants, fl.skipped,
               fl.count, 400.0 * (double)fl.count / (double)total);
    } else {
        printf("corpus: not found ($CMZ_CORPUS, ../shared/corpus, /work/shared/corpus): "
               "using a generated weights-like float32 tensor instead\n");
        gen_weights(&fl, 4u << 20);
        sets[0] = (dataset){"fp32 weights (generated)", malloc(fl.count * 4), fl.count * 4, 4};
        if (!sets[0].data) return 1;
        for (size_t i = 0; i < fl.count; i++)
            for (int b = 0; b < 4; b++)
                sets[0].data[4 * i + (size_t)b] = (uint8_t)(fl.bits[i] >> (8 * b));
    }
    sets[1] = make_half("fp16 weights (converted tensors)", &fl, false);
    sets[2] = make_half("bf16 weights (converted tensors)", &fl, true);
    sets[3] = make_kv();
    onnx_floats_free(&fl);

    cmz_error e;
    const cmz_codec *rans = NULL;
    bool have_rans = cmz_codec_by_name("rans", &rans, &e) == CMZ_OK;
    config cf[16];
    size_t ncf = make_configs(cf, have_rans);
    printf("chunk %u bytes, median of %u runs, cores %u; filters run %s\n", g_chunk, g_reps,
           g_cores, cmz_filter_isa());
    if (!have_rans)
        printf("rans codec: not in this build (%s): its rows are left out\n", e.message);
#ifdef CMZ_HAVE_BLOSC
    printf("Blosc %s: clevel 2 = zstd-3, lz4 clevel 9 = acceleration 1; blocksize auto; "
           "threads 1 and %u\n",
           BLOSC_VERSION_STRING, g_cores);
#else
    printf("Blosc: libblosc not found at configure time: its rows are left out\n");
#endif
    printf("* = best ratio of the set\n");
    for (size_t s = 0; s < 4; s++) {
        fflush(stdout);
        bench_set(&sets[s], cf, ncf);
        free(sets[s].data);
    }
    return 0;
}
