/* How much ratio independent chunks cost, per codec and chunk size, against one chunk holding
 * the whole input (what a whole-file compressor sees), and the speeds on all cores. This is
 * the measurement behind each codec's default chunk size (cmz_codec_default_chunk_size).
 * Usage: bench_chunk_size FILE [CODEC[:LEVEL] ...]   (default: zstd lz4 gzip lzma brotli snappy) */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench_util.h"
#include "cmz/cmz.h"

static uint8_t *slurp(const char *path, size_t *size) {
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    uint8_t *p = malloc((size_t)n + 1);
    if (p && fread(p, 1, (size_t)n, f) != (size_t)n) {
        free(p);
        p = NULL;
    }
    fclose(f);
    *size = (size_t)n;
    return p;
}

/* Compresses with these params; returns frame size, and the compress/decompress seconds. */
static size_t run(const cmz_params *p, const uint8_t *src, size_t n, uint8_t *dst, size_t cap,
                  uint8_t *back, double *ct, double *dt) {
    cmz_error e;
    cmz_cctx *c = cmz_cctx_new(p, &e);
    cmz_dparams dp = cmz_dparams_default();
    dp.threads = p->threads;
    dp.memory_limit = UINT64_MAX; /* whole inputs as one chunk */
    cmz_dctx *d = cmz_dctx_new(&dp, &e);
    size_t fsize = 0, out = 0;
    double t0 = bench_now_ns() * 1e-9;
    cmz_status st = c ? cmz_compress(c, dst, cap, &fsize, src, n, &e) : CMZ_ERR_NOMEM;
    double t1 = bench_now_ns() * 1e-9;
    if (st == CMZ_OK) st = cmz_decompress(d, back, n, &out, dst, fsize, &e);
    double t2 = bench_now_ns() * 1e-9;
    if (st != CMZ_OK || out != n || memcmp(back, src, n) != 0) {
        fprintf(stderr, "round trip failed: %s\n", st ? e.message : "mismatch");
        exit(1);
    }
    *ct = t1 - t0;
    *dt = t2 - t1;
    cmz_cctx_free(c);
    cmz_dctx_free(d);
    return fsize;
}

int main(int argc, char **argv) {
    if (argc < 2) {
        fprintf(stderr, "usage: %s FILE [CODEC[:LEVEL] ...]\n", argv[0]);
        return 2;
    }
    size_t n;
    uint8_t *src = slurp(argv[1], &n);
    if (!src) {
        perror(argv[1]);
        return 1;
    }
    static const char *const defaults[] = {"zstd", "lz4", "gzip", "lzma", "brotli", "snappy"};
    const char *const *codecs = argc > 2 ? (const char *const *)argv + 2 : defaults;
    int ncodecs = argc > 2 ? argc - 2 : 6;
    printf("input %s: %zu bytes, %u threads\n", argv[1], n, cmz_cpu_count());
    printf("%-10s %10s %9s %10s %12s %12s\n", "codec", "chunk", "ratio", "vs whole", "comp MB/s",
           "decomp MB/s");
    for (int k = 0; k < ncodecs; k++) {
        char name[64];
        snprintf(name, sizeof name, "%s", codecs[k]);
        char *colon = strchr(name, ':');
        int level = CMZ_LEVEL_DEFAULT;
        if (colon) {
            *colon = 0;
            level = atoi(colon + 1);
        }
        cmz_error e;
        const cmz_codec *codec = NULL;
        if (cmz_codec_by_name(name, &codec, &e) != CMZ_OK) {
            printf("%-10s skipped: %s\n", name, e.message);
            continue;
        }
        cmz_params p = cmz_params_default();
        p.codec = cmz_codec_id_of(codec);
        p.level = level;
        p.chunk_size = n > (1u << 30) ? (1u << 30) : (uint32_t)(n < 16 ? 16 : n);
        size_t cap = (size_t)cmz_compress_bound(&p, n) + (64u << 20);
        uint8_t *dst = malloc(cap), *back = malloc(n);
        double ct, dt;
        size_t whole = run(&p, src, n, dst, cap, back, &ct, &dt);
        double mb = (double)n / 1e6;
        printf("%-10s %10s %9.4f %10s %12.1f %12.1f\n", name, "whole", (double)n / (double)whole,
               "-", mb / ct, mb / dt);
        for (uint32_t cs = 256u << 10; cs <= (32u << 20) && cs < n; cs *= 2) {
            p.chunk_size = cs;
            size_t f = run(&p, src, n, dst, cap, back, &ct, &dt);
            printf("%-10s %9uK %9.4f %+9.2f%% %12.1f %12.1f%s\n", name, cs >> 10,
                   (double)n / (double)f, 100.0 * ((double)f / (double)whole - 1), mb / ct, mb / dt,
                   cs == cmz_codec_default_chunk_size(codec) ? "  <- default" : "");
        }
        free(dst);
        free(back);
        fflush(stdout);
    }
    free(src);
    return 0;
}
