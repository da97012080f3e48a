/* The planes codec alone (docs/PLANES.md): FILE cut into 1 MiB chunks, each compressed and
 * decompressed through cmz_codec_* at element size TYPESIZE, one thread, fastest of 5 runs
 * each way, every round trip checked. Prints the ratio (compressed / raw) and MB/s (10^6
 * bytes) of raw data. To compare segment sizes, build the library with
 * -DCMZ_PLANES_SEGMENT_LOG2=G (10..15) in its own build directory and run this from there.
 * Usage: bench_planes FILE TYPESIZE */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench_util.h"
#include "cmz/codec.h"

int main(int argc, char **argv) {
    if (argc != 3) return fputs("usage: bench_planes FILE TYPESIZE\n", stderr), 2;
    FILE *f = fopen(argv[1], "rb");
    if (!f) return perror(argv[1]), 1;
    fseek(f, 0, SEEK_END);
    size_t n = (size_t)ftell(f), chunk = (size_t)1 << 20, nchunks = (n + chunk - 1) / chunk;
    rewind(f);
    const cmz_codec *planes = cmz_codec_by_id(CMZ_CODEC_PLANES);
    size_t bound = cmz_codec_bound(planes, chunk);
    uint8_t *src = malloc(n + 1), *back = malloc(n + 1), *comp = malloc(nchunks * bound + 1);
    size_t *sizes = malloc((nchunks + 1) * sizeof *sizes);
    if (!src || !back || !comp || !sizes || fread(src, 1, n, f) != n)
        return fputs("read failed\n", stderr), 1;
    fclose(f);
    cmz_codec_ctx *ctx = cmz_codec_ctx_new(planes);
    if (!ctx || cmz_codec_ctx_set_typesize(ctx, (unsigned)atoi(argv[2])) != CMZ_OK)
        return fputs("bad typesize (1, 2, 4, 8)\n", stderr), 2;
    double best_c = 1e300, best_d = 1e300;
    size_t total = 0;
    for (int r = 0; r < 5; r++) {
        double t0 = bench_now_ns();
        total = 0;
        for (size_t i = 0; i < nchunks; i++) {
            size_t len = n - i * chunk < chunk ? n - i * chunk : chunk;
            if (cmz_codec_compress(ctx, 0, comp + i * bound, bound, src + i * chunk, len,
                                   &sizes[i]) != CMZ_OK)
                return fputs("compress failed\n", stderr), 1;
            total += sizes[i];
        }
        double t1 = bench_now_ns();
        for (size_t i = 0; i < nchunks; i++) {
            size_t len = n - i * chunk < chunk ? n - i * chunk : chunk;
            if (cmz_codec_decompress(ctx, back + i * chunk, len, comp + i * bound, sizes[i]) !=
                CMZ_OK)
                return fputs("decompress failed\n", stderr), 1;
        }
        double t2 = bench_now_ns();
        if (memcmp(back, src, n)) return fputs("round trip differs\n", stderr), 1;
        if (t1 - t0 < best_c) best_c = t1 - t0;
        if (t2 - t1 < best_d) best_d = t2 - t1;
    }
    printf("%s typesize %s: ratio %.4f (compressed / raw), compress %.0f MB/s, decompress %.0f "
           "MB/s\n",
           argv[1], argv[2], (double)total / (double)n, (double)n / best_c * 1e3,
           (double)n / best_d * 1e3);
    cmz_codec_ctx_free(ctx);
    free(src), free(back), free(comp), free(sizes);
    return 0;
}
