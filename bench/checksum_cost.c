/* What the two per-chunk CRC32Cs cost against decoding: for each codec (default: lz4, the
 * fastest decoder), one thread, chunk by chunk as the decoder does it (the CRCs run on bytes
 * still in cache): decompress alone, against CRC of the compressed bytes + decompress + CRC of
 * the raw bytes. Bar (issue 3): CRCs <= 10% of lz4 decompression.
 * Usage: bench_checksum_cost FILE [CODEC ...] */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench_util.h"
#include "cmz/cmz.h"

int main(int argc, char **argv) {
    if (argc < 2) {
        fprintf(stderr, "usage: %s FILE [CODEC ...]\n", argv[0]);
        return 2;
    }
    FILE *f = fopen(argv[1], "rb");
    if (!f) {
        perror(argv[1]);
        return 1;
    }
    fseek(f, 0, SEEK_END);
    size_t n = (size_t)ftell(f);
    fseek(f, 0, SEEK_SET);
    if (n > (256u << 20)) n = 256u << 20;
    uint8_t *src = malloc(n), *back = malloc(n);
    if (!src || !back || fread(src, 1, n, f) != n) return 1;
    fclose(f);
    const size_t chunk = 1u << 20;
    size_t nchunks = (n + chunk - 1) / chunk;
    for (int k = argc > 2 ? 2 : 1; k < (argc > 2 ? argc : 2); k++) {
        const char *name = argc > 2 ? argv[k] : "lz4";
        cmz_error e;
        const cmz_codec *codec = cmz_codec_by_name(name, &e);
        if (!codec) {
            fprintf(stderr, "%s\n", e.message);
            continue;
        }
        size_t bound = cmz_codec_bound(codec, chunk);
        uint8_t *comp = malloc(bound * nchunks);
        size_t *csize = malloc(nchunks * sizeof *csize);
        cmz_codec_ctx *ctx = cmz_codec_ctx_new(codec);
        for (size_t i = 0; i < nchunks; i++) {
            size_t len = i + 1 < nchunks ? chunk : n - i * chunk;
            if (cmz_codec_compress(ctx, CMZ_LEVEL_DEFAULT, comp + i * bound, bound,
                                   src + i * chunk, len, &csize[i]) != CMZ_OK)
                return 1;
        }
        enum { REPS = 7 };
        double dec[REPS], crc[REPS];
        volatile uint32_t sink = 0;
        for (int r = 0; r < REPS; r++) {
            double t0 = bench_now_ns() * 1e-9;
            for (size_t i = 0; i < nchunks; i++) {
                size_t len = i + 1 < nchunks ? chunk : n - i * chunk;
                cmz_codec_decompress(ctx, back + i * chunk, len, comp + i * bound, csize[i]);
            }
            double t1 = bench_now_ns() * 1e-9;
            for (size_t i = 0; i < nchunks; i++) {
                size_t len = i + 1 < nchunks ? chunk : n - i * chunk;
                sink ^= cmz_crc32c(0, comp + i * bound, csize[i]);
                cmz_codec_decompress(ctx, back + i * chunk, len, comp + i * bound, csize[i]);
                sink ^= cmz_crc32c(0, back + i * chunk, len);
            }
            double t2 = bench_now_ns() * 1e-9;
            dec[r] = t1 - t0;
            crc[r] = (t2 - t1) - (t1 - t0); /* what the CRCs added */
        }
        if (memcmp(back, src, n) != 0) return 1;
        qsort(dec, REPS, sizeof dec[0], bench_cmp_double);
        qsort(crc, REPS, sizeof crc[0], bench_cmp_double);
        double mb = (double)n / 1e6;
        printf("%-8s %zu bytes, 1 MiB chunks, 1 thread: decompress %.0f MB/s; the two CRC32Cs "
               "add %.1f%% (median of %d)\n",
               name, n, mb / dec[REPS / 2], 100 * crc[REPS / 2] / dec[REPS / 2], REPS);
        cmz_codec_ctx_free(ctx);
        free(comp);
        free(csize);
    }
    free(src);
    free(back);
    return 0;
}
