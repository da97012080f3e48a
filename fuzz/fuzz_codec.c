/* Fuzz target: every codec's own stream, below the frame (where the frame's CRCs would stop
 * most damage before a decoder sees it). Input: byte 0 picks the codec, byte 1 the typesize
 * (1, 2, 4, 8: the planes codec uses it), bytes 2..3 a position and byte 4 a mask, the rest is
 * data (at most 64 KiB is used).
 *   1. The data is compressed and must decode back exactly (a round trip on any input).
 *   2. The compressed stream with the byte at the position XORed with the mask must decode
 *      to CMZ_OK or CMZ_ERR_CORRUPT: never a crash, a read outside the input or a write
 *      outside the output.
 *   3. The data itself, taken as a stream, likewise (a decoder on arbitrary bytes). */
#include "fuzz_common.h"

#define FUZZ_CODEC_DATA_MAX ((size_t)64 << 10)

static void decode_any(cmz_codec_ctx *ctx, const uint8_t *stream, size_t n, size_t raw) {
    uint8_t *out = malloc(raw ? raw : 1);
    if (!out) return;
    cmz_status st = cmz_codec_decompress(ctx, out, raw, stream, n);
    if (st != CMZ_OK && st != CMZ_ERR_CORRUPT && st != CMZ_ERR_NOMEM) abort();
    free(out);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (size < 5) return 0;
    size_t ncodecs;
    const cmz_codec *const *codecs = cmz_codec_list(&ncodecs);
    const cmz_codec *codec = codecs[data[0] % ncodecs];
    static const unsigned typesizes[] = {1, 2, 4, 8};
    unsigned typesize = typesizes[data[1] & 3];
    size_t position = (size_t)data[2] | (size_t)data[3] << 8;
    uint8_t mask = data[4];
    const uint8_t *raw = data + 5;
    size_t n = size - 5 < FUZZ_CODEC_DATA_MAX ? size - 5 : FUZZ_CODEC_DATA_MAX;

    cmz_codec_ctx *ctx = cmz_codec_ctx_new(codec);
    if (!ctx || cmz_codec_ctx_set_typesize(ctx, typesize) != CMZ_OK) abort();
    size_t bound = cmz_codec_bound(codec, n), csize = 0;
    uint8_t *comp = malloc(bound ? bound : 1), *back = malloc(n ? n : 1);
    if (!comp || !back) abort();
    /* the fastest level keeps the run's speed up; the default level on odd inputs */
    int level = data[1] & 4 ? cmz_codec_min_level(codec) : CMZ_LEVEL_DEFAULT;
    if (cmz_codec_compress(ctx, level, comp, bound, raw, n, &csize) != CMZ_OK) abort();
    if (csize > bound) abort();
    if (cmz_codec_decompress(ctx, back, n, comp, csize) != CMZ_OK) abort();
    if (n && memcmp(back, raw, n) != 0) abort();
    if (mask && csize) {
        comp[position % csize] ^= mask;
        decode_any(ctx, comp, csize, n);
    }
    decode_any(ctx, raw, n, n);
    free(comp);
    free(back);
    cmz_codec_ctx_free(ctx);
    return 0;
}
