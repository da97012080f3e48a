/* The codec library that cmz links, called directly, as a reference for bench/peers: FILE cut
 * into independent blocks of cmz's chunk size for the codec (4 MiB zstd, 1 MiB lz4), each
 * compressed and decompressed the way cmz's adapter calls the library (zstd: ZSTD_compressCCtx /
 * ZSTD_decompressDCtx; lz4: LZ4_compress_fast_extState / LZ4_decompress_safe), one thread,
 * fastest of 4 runs each way, every round trip checked. Prints the compressed size and MB/s
 * (10^6 bytes) of uncompressed data.
 * Why: the zstd and lz4 CLIs carry their own statically built copy of the codec (their -b runs
 * code compiled into the binary), so their figures can differ from the shared library's that
 * cmz calls; this row separates "cmz's overhead" from "a different build of the codec".
 * Usage: bench_lib_direct FILE zstd|lz4 LEVEL */
#include <limits.h>
#include <lz4.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zstd.h>

#include "bench_util.h"

typedef struct {
    ZSTD_CCtx *zc;
    ZSTD_DCtx *zd;
    void *lz4_state;
    int level;
} direct;

/* One block each way; 0 on failure. */
static size_t zstd_block_c(direct *d, char *dst, size_t cap, const char *src, size_t n) {
    size_t r = ZSTD_compressCCtx(d->zc, dst, cap, src, n, d->level);
    return ZSTD_isError(r) ? 0 : r;
}
static int zstd_block_d(direct *d, char *dst, size_t raw, const char *src, size_t n) {
    return ZSTD_decompressDCtx(d->zd, dst, raw, src, n) == raw;
}
static size_t lz4_block_c(direct *d, char *dst, size_t cap, const char *src, size_t n) {
    int r =
        LZ4_compress_fast_extState(d->lz4_state, src, dst, (int)n, (int)cap, d->level == 0 ? 8 : 1);
    return r > 0 ? (size_t)r : 0;
}
static int lz4_block_d(direct *d, char *dst, size_t raw, const char *src, size_t n) {
    (void)d;
    return LZ4_decompress_safe(src, dst, (int)n, (int)raw) == (int)raw;
}

int main(int argc, char **argv) {
    if (argc != 4 || (strcmp(argv[2], "zstd") && strcmp(argv[2], "lz4")))
        return fputs("usage: bench_lib_direct FILE zstd|lz4 LEVEL\n", stderr), 2;
    const int is_zstd = !strcmp(argv[2], "zstd");
    direct d = {.level = atoi(argv[3])};
    if (!is_zstd && (d.level < 0 || d.level > 2))
        return fputs("bench_lib_direct: lz4 levels 0..2 (the fast compressor)\n", stderr), 2;
    FILE *f = fopen(argv[1], "rb");
    if (!f) return perror(argv[1]), 1;
    fseek(f, 0, SEEK_END);
    size_t n = (size_t)ftell(f), block = (size_t)(is_zstd ? 4 : 1) << 20;
    size_t nb = (n + block - 1) / block;
    rewind(f);
    size_t cap = is_zstd ? ZSTD_compressBound(block) : (size_t)LZ4_compressBound((int)block);
    char *src = malloc(n + 1), *dst = malloc(nb * cap + 1), *back = malloc(n + 1);
    size_t *sizes = malloc((nb + 1) * sizeof *sizes);
    if (!src || !dst || !back || !sizes || fread(src, 1, n, f) != n)
        return fputs("read failed\n", stderr), 1;
    fclose(f);
    d.zc = ZSTD_createCCtx();
    d.zd = ZSTD_createDCtx();
    d.lz4_state = malloc((size_t)LZ4_sizeofState());
    size_t (*block_c)(direct *, char *, size_t, const char *, size_t) =
        is_zstd ? zstd_block_c : lz4_block_c;
    int (*block_d)(direct *, char *, size_t, const char *, size_t) =
        is_zstd ? zstd_block_d : lz4_block_d;
    double best_c = 1e300, best_d = 1e300;
    size_t total = 0;
    for (int r = 0; r < 4; r++) {
        double t0 = bench_now_ns();
        total = 0;
        for (size_t i = 0; i < nb; i++) {
            size_t len = n - i * block < block ? n - i * block : block;
            if (!(sizes[i] = block_c(&d, dst + i * cap, cap, src + i * block, len)))
                return fputs("compress failed\n", stderr), 1;
            total += sizes[i];
        }
        double t1 = bench_now_ns();
        for (size_t i = 0; i < nb; i++) {
            size_t len = n - i * block < block ? n - i * block : block;
            if (!block_d(&d, back + i * block, len, dst + i * cap, sizes[i]))
                return fputs("decompress failed\n", stderr), 1;
        }
        double t2 = bench_now_ns();
        if (memcmp(src, back, n)) return fputs("round trip differs\n", stderr), 1;
        if (t1 - t0 < best_c) best_c = t1 - t0;
        if (t2 - t1 < best_d) best_d = t2 - t1;
    }
    printf("%zu %.1f %.1f\n", total, (double)n / best_c * 1e3, (double)n / best_d * 1e3);
    ZSTD_freeCCtx(d.zc);
    ZSTD_freeDCtx(d.zd);
    free(d.lz4_state), free(src), free(dst), free(back), free(sizes);
    return 0;
}
