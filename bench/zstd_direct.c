/* libzstd called directly, as a reference for bench/peers: FILE cut into independent 4 MiB
 * blocks (cmz's zstd chunk size), each compressed with ZSTD_compressCCtx and decompressed with
 * ZSTD_decompressDCtx, one thread, fastest of 4 runs each way. Prints the compressed size and
 * MB/s (10^6 bytes) of uncompressed data. The zstd CLI is linked statically with its own build
 * of the library, so its -b figures can differ from the shared library's that cmz uses.
 * Usage: bench_zstd_direct FILE LEVEL */
#include <stdio.h>
#include <stdlib.h>
#include <zstd.h>

#include "bench_util.h"

int main(int argc, char **argv) {
    if (argc != 3) return fputs("usage: bench_zstd_direct FILE LEVEL\n", stderr), 2;
    FILE *f = fopen(argv[1], "rb");
    if (!f) return perror(argv[1]), 1;
    fseek(f, 0, SEEK_END);
    size_t n = (size_t)ftell(f), block = (size_t)4 << 20, nb = (n + block - 1) / block;
    rewind(f);
    size_t cap = ZSTD_compressBound(block);
    char *src = malloc(n + 1), *dst = malloc(nb * cap + 1), *back = malloc(n + 1);
    size_t *sizes = malloc((nb + 1) * sizeof *sizes);
    if (!src || !dst || !back || !sizes || fread(src, 1, n, f) != n) return fputs("read failed\n", stderr), 1;
    fclose(f);
    int level = atoi(argv[2]);
    ZSTD_CCtx *cc = ZSTD_createCCtx();
    ZSTD_DCtx *dc = ZSTD_createDCtx();
    double best_c = 1e300, best_d = 1e300;
    size_t total = 0;
    for (int r = 0; r < 4; r++) {
        double t0 = bench_now_ns();
        total = 0;
        for (size_t i = 0; i < nb; i++) {
            size_t len = n - i * block < block ? n - i * block : block;
            sizes[i] = ZSTD_compressCCtx(cc, dst + i * cap, cap, src + i * block, len, level);
            if (ZSTD_isError(sizes[i])) return fputs("compress failed\n", stderr), 1;
            total += sizes[i];
        }
        double t1 = bench_now_ns();
        for (size_t i = 0; i < nb; i++) {
            size_t len = n - i * block < block ? n - i * block : block;
            if (ZSTD_decompressDCtx(dc, back + i * block, len, dst + i * cap, sizes[i]) != len)
                return fputs("decompress failed\n", stderr), 1;
        }
        double t2 = bench_now_ns();
        if (t1 - t0 < best_c) best_c = t1 - t0;
        if (t2 - t1 < best_d) best_d = t2 - t1;
    }
    printf("%zu %.1f %.1f\n", total, (double)n / best_c * 1e3, (double)n / best_d * 1e3);
    ZSTD_freeCCtx(cc);
    ZSTD_freeDCtx(dc);
    free(src), free(dst), free(back), free(sizes);
    return 0;
}
