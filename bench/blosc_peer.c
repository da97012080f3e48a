/* Blosc as a peer for bench/peers: compresses FILE with c-blosc 1.x in 1 MiB chunks, one
 * thread, with the shuffle filter, and prints "SIZE BEST_C MEDIAN_C BEST_D MEDIAN_D" (MB/s,
 * 10^6 bytes, of uncompressed data; 5 runs each way; the round trip is checked).
 * Usage: bench_blosc_peer FILE COMPRESSOR CLEVEL TYPESIZE   (blosclz, lz4, zstd, ...)
 * c-blosc maps clevel to zstd level 2*clevel-1, and to LZ4 acceleration 10-clevel. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench_util.h"

#ifdef CMZ_HAVE_BLOSC
#include <blosc.h>

#define CHUNK ((size_t)1 << 20)
#define RUNS 5

int main(int argc, char **argv) {
    if (argc != 5) {
        fputs("usage: bench_blosc_peer FILE COMPRESSOR CLEVEL TYPESIZE\n", stderr);
        return 2;
    }
    FILE *f = fopen(argv[1], "rb");
    if (!f) return perror(argv[1]), 1;
    fseek(f, 0, SEEK_END);
    size_t n = (size_t)ftell(f);
    rewind(f);
    uint8_t *src = malloc(n + 1), *back = malloc(n + 1);
    size_t cap = n + (n / CHUNK + 1) * (BLOSC_MAX_OVERHEAD + 4);
    uint8_t *dst = malloc(cap);
    if (!src || !back || !dst || fread(src, 1, n, f) != n) return fputs("read failed\n", stderr), 1;
    fclose(f);
    int clevel = atoi(argv[3]), typesize = atoi(argv[4]);
    double ct[RUNS], dt[RUNS];
    size_t total = 0;
    for (int r = 0; r < RUNS; r++) {
        double t0 = bench_now_ns();
        size_t at = 0;
        for (size_t off = 0; off < n; off += CHUNK) {
            size_t len = n - off < CHUNK ? n - off : CHUNK;
            int got = blosc_compress_ctx(clevel, BLOSC_SHUFFLE, (size_t)typesize, len, src + off,
                                         dst + at + 4, cap - at - 4, argv[2], 0, 1);
            if (got <= 0) return fprintf(stderr, "blosc_compress_ctx failed (%s)\n", argv[2]), 1;
            memcpy(dst + at, &got, 4);
            at += 4 + (size_t)got;
        }
        ct[r] = bench_now_ns() - t0;
        total = at;
        t0 = bench_now_ns();
        at = 0;
        for (size_t off = 0; off < n; off += CHUNK) {
            size_t len = n - off < CHUNK ? n - off : CHUNK;
            int got;
            memcpy(&got, dst + at, 4);
            if (blosc_decompress_ctx(dst + at + 4, back + off, len, 1) != (int)len)
                return fputs("blosc_decompress_ctx failed\n", stderr), 1;
            at += 4 + (size_t)got;
        }
        dt[r] = bench_now_ns() - t0;
        if (memcmp(back, src, n) != 0) return fputs("round trip failed\n", stderr), 1;
    }
    double cbest = ct[0], dbest = dt[0];
    for (int r = 1; r < RUNS; r++) {
        if (ct[r] < cbest) cbest = ct[r];
        if (dt[r] < dbest) dbest = dt[r];
    }
    double cmed = bench_median(ct, RUNS), dmed = bench_median(dt, RUNS);
    printf("%zu %.1f %.1f %.1f %.1f\n", total, (double)n / cbest * 1e3, (double)n / cmed * 1e3,
           (double)n / dbest * 1e3, (double)n / dmed * 1e3);
    free(src), free(back), free(dst);
    return 0;
}
#else
int main(void) {
    fputs("bench_blosc_peer: built without libblosc (scripts/bootstrap --bench, then rebuild)\n",
          stderr);
    return 2;
}
#endif
