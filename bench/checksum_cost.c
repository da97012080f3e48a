/* What the two per-chunk CRC32Cs cost against decoding, for each codec (default: lz4, the
 * fastest decoder), one thread: the codec alone decoding the frame's chunks one after another,
 * against cmz_decompress on one thread, which decodes the same chunks and checks both CRCs of
 * each (and parses the frame). The difference is charged to the checks, so it is an upper
 * bound on them. Runs alternate, and the median of the differences is reported.
 * Bar (issue 3): the CRCs cost <= 10% of lz4 decompression.
 * Usage: bench_checksum_cost FILE [CODEC ...] */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench_util.h"
#include "cmz/cmz.h"

enum { REPS = 9 };

static uint8_t *load(const char *path, size_t *n) {
    FILE *f = fopen(path, "rb");
    if (!f) {
        perror(path);
        return NULL;
    }
    fseek(f, 0, SEEK_END);
    long size = ftell(f);
    fseek(f, 0, SEEK_SET);
    *n = size < 0 ? 0 : (size_t)size;
    if (*n > (256u << 20)) *n = 256u << 20;
    uint8_t *p = malloc(*n ? *n : 1);
    if (p && fread(p, 1, *n, f) != *n) {
        free(p);
        p = NULL;
    }
    fclose(f);
    return p;
}

/* One codec: 0 when measured, 1 on a failure (printed). */
static int measure(const char *name, const uint8_t *src, size_t n, uint8_t *back) {
    cmz_error e;
    cmz_error_clear(&e);
    const cmz_codec *codec = NULL;
    if (cmz_codec_by_name(name, &codec, &e) != CMZ_OK) {
        fprintf(stderr, "%s\n", e.message);
        return 1;
    }
    cmz_params p = cmz_params_default();
    p.codec = cmz_codec_id_of(codec);
    p.threads = 1;
    cmz_params resolved;
    if (cmz_params_resolve(&p, &resolved, &e) != CMZ_OK) {
        fprintf(stderr, "%s\n", e.message);
        return 1;
    }
    const size_t chunk = resolved.chunk_size;
    const size_t nchunks = (n + chunk - 1) / chunk;
    /* The codec's own output per chunk, as the frame holds it (same codec and level). */
    size_t bound = cmz_codec_bound(codec, chunk);
    uint8_t *comp = malloc(bound * nchunks);
    size_t *csize = malloc(nchunks * sizeof *csize);
    size_t frame_cap = (size_t)cmz_compress_bound(&resolved, n), frame_size = 0;
    uint8_t *frame = malloc(frame_cap);
    cmz_codec_ctx *ctx = cmz_codec_ctx_new(codec);
    cmz_cctx *cctx = cmz_cctx_new(&resolved, &e);
    cmz_dparams dp = cmz_dparams_default();
    dp.threads = 1;
    cmz_dctx *dctx = cmz_dctx_new(&dp, &e);
    int failed = !comp || !csize || !frame || !ctx || !cctx || !dctx;
    for (size_t i = 0; !failed && i < nchunks; i++) {
        size_t len = i + 1 < nchunks ? chunk : n - i * chunk;
        failed = cmz_codec_compress(ctx, CMZ_LEVEL_DEFAULT, comp + i * bound, bound,
                                    src + i * chunk, len, &csize[i]) != CMZ_OK;
    }
    if (!failed) failed = cmz_compress(cctx, frame, frame_cap, &frame_size, src, n, &e) != CMZ_OK;
    double codec_s[REPS], extra[REPS];
    for (int r = 0; !failed && r < REPS; r++) {
        double t0 = bench_now_ns() * 1e-9;
        for (size_t i = 0; i < nchunks; i++) {
            size_t len = i + 1 < nchunks ? chunk : n - i * chunk;
            cmz_codec_decompress(ctx, back + i * chunk, len, comp + i * bound, csize[i]);
        }
        double t1 = bench_now_ns() * 1e-9;
        size_t got = 0;
        failed = cmz_decompress(dctx, back, n, &got, frame, frame_size, &e) != CMZ_OK || got != n;
        double t2 = bench_now_ns() * 1e-9;
        codec_s[r] = t1 - t0;
        extra[r] = (t2 - t1) - (t1 - t0);
    }
    if (failed || memcmp(back, src, n) != 0) {
        fprintf(stderr, "%s: round trip failed%s%s\n", name, e.message[0] ? ": " : "", e.message);
    } else {
        for (int r = 0; r < REPS; r++) extra[r] /= codec_s[r];
        qsort(codec_s, REPS, sizeof codec_s[0], bench_cmp_double);
        qsort(extra, REPS, sizeof extra[0], bench_cmp_double);
        printf("%-8s %zu bytes, %zu KiB chunks, 1 thread: the codec decodes %.0f MB/s; "
               "cmz_decompress with both CRC32Cs takes %.1f%% longer (median of %d)\n",
               name, n, chunk >> 10, (double)n / 1e6 / codec_s[REPS / 2], 100 * extra[REPS / 2],
               REPS);
    }
    cmz_codec_ctx_free(ctx);
    cmz_cctx_free(cctx);
    cmz_dctx_free(dctx);
    free(comp);
    free(csize);
    free(frame);
    return failed;
}

int main(int argc, char **argv) {
    if (argc < 2) {
        fprintf(stderr, "usage: %s FILE [CODEC ...]\n", argv[0]);
        return 2;
    }
    size_t n;
    uint8_t *src = load(argv[1], &n);
    uint8_t *back = malloc(n ? n : 1);
    if (!src || !back) return 1;
    int failed = 0;
    if (argc == 2) failed = measure("lz4", src, n, back);
    for (int k = 2; k < argc; k++) failed |= measure(argv[k], src, n, back);
    free(src);
    free(back);
    return failed;
}
