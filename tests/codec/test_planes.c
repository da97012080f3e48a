/* The planes codec's own cases (test_codec.c covers the generic ones for every codec, at
 * typesize 1): every typesize across segment and element boundaries, its plane modes, the
 * ratio on bf16-like weights, every truncation and every single-byte change of a small stream,
 * output that never changes (the CPU encoder is the reference a GPU encoder must match), and
 * the typesize through the frame layer. Format: docs/PLANES.md. */
#include "testutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SEGMENT 16384u /* symbols a segment in this version's streams (2^14) */
/* test_reference_output's stream, recorded when the format was written */
#define PLANES_REFERENCE_SIZE 62040u
#define PLANES_REFERENCE_CRC 0x1605a5bbu

static const cmz_codec *planes(void) {
    const cmz_codec *c = cmz_codec_by_id(CMZ_CODEC_PLANES);
    assert_non_null(c);
    return c;
}

static uint8_t *xmalloc(size_t n) {
    uint8_t *p = malloc(n ? n : 1);
    assert_non_null(p);
    return p;
}

/* bf16-like weights, integer-only (reproducible everywhere): random sign and mantissa, an
 * exponent around 2^-5 with geometric tails, as trained weights have. */
static uint8_t *bf16_weights(size_t count, uint64_t seed) {
    uint8_t *p = xmalloc(2 * count);
    uint64_t s = seed;
    for (size_t i = 0; i < count; i++) {
        uint64_t r = tu_rand(&s);
        unsigned tz = 0;
        while (tz < 12 && !((r >> (20 + tz)) & 1)) tz++;
        unsigned exp = 122 - tz, sign = (unsigned)(r >> 63), mant = (unsigned)(r & 127);
        uint16_t v = (uint16_t)(sign << 15 | exp << 7 | mant);
        p[2 * i] = (uint8_t)v;
        p[2 * i + 1] = (uint8_t)(v >> 8);
    }
    return p;
}

static cmz_codec_ctx *ctx_for(unsigned typesize) {
    cmz_codec_ctx *ctx = cmz_codec_ctx_new(planes());
    assert_non_null(ctx);
    assert_int_equal(cmz_codec_ctx_set_typesize(ctx, typesize), CMZ_OK);
    return ctx;
}

/* Compresses into a buffer of exactly the bound; returns a copy of exactly the output. */
static uint8_t *compress(unsigned typesize, const uint8_t *src, size_t n, size_t *size) {
    cmz_codec_ctx *ctx = ctx_for(typesize);
    size_t bound = cmz_codec_bound(planes(), n);
    uint8_t *out = xmalloc(bound);
    assert_int_equal(cmz_codec_compress(ctx, 0, out, bound, src, n, size), CMZ_OK);
    assert_true(*size <= bound);
    uint8_t *exact = xmalloc(*size);
    memcpy(exact, out, *size);
    free(out);
    cmz_codec_ctx_free(ctx);
    return exact;
}

static cmz_status decompress(const uint8_t *comp, size_t csize, uint8_t *out, size_t n) {
    return cmz_codec_decompress_once(planes(), out, n, comp, csize);
}

static size_t roundtrip(unsigned typesize, const uint8_t *src, size_t n) {
    size_t csize = 0;
    uint8_t *comp = compress(typesize, src, n, &csize);
    assert_int_equal(comp[0], typesize); /* the stream records its element size */
    uint8_t *back = xmalloc(n);
    assert_int_equal(decompress(comp, csize, back, n), CMZ_OK);
    if (n) assert_memory_equal(back, src, n);
    free(back);
    free(comp);
    return csize;
}

static void test_roundtrip_sizes(void **state) {
    (void)state;
    static const unsigned sizes[] = {1, 2, 4, 8};
    for (size_t t = 0; t < 4; t++) {
        size_t w = sizes[t];
        const size_t lens[] = {0,
                               1,
                               w - 1 + 1,
                               7,
                               31 * w,
                               32 * w,
                               33 * w + 1,
                               SEGMENT * w - 1,
                               SEGMENT * w,
                               SEGMENT * w + w,
                               2 * SEGMENT * w + 3 * w + 5,
                               300001};
        for (size_t k = 0; k < sizeof lens / sizeof lens[0]; k++) {
            size_t n = lens[k];
            uint8_t *weights = bf16_weights(n / 2 + 1, 7 + k);
            uint8_t *rnd = tu_random(n, 3 + k), *mixed = tu_mixed(n, 5 + k);
            uint8_t *zeros = xmalloc(n);
            memset(zeros, 0, n);
            roundtrip((unsigned)w, weights, n);
            roundtrip((unsigned)w, rnd, n);
            roundtrip((unsigned)w, mixed, n);
            roundtrip((unsigned)w, zeros, n);
            free(weights), free(rnd), free(mixed), free(zeros);
        }
    }
}

/* Mode bytes: a constant plane is a run, random planes are stored, and the exponent plane of
 * bf16 weights (after the rotation, the top byte) is coded. */
static void test_plane_modes(void **state) {
    (void)state;
    size_t count = 40000, n = 2 * count, csize = 0;
    uint8_t *w = bf16_weights(count, 11);
    uint8_t *comp = compress(2, w, n, &csize);
    /* header: w, g, LEB128 size (3 bytes for 80000), then plane 1 (the top byte) first */
    assert_int_equal(comp[0], 2);
    assert_int_equal(comp[1], 14);
    assert_int_equal(comp[5], 2); /* coded */
    free(comp);
    uint8_t *rnd = tu_random(n, 2);
    comp = compress(2, rnd, n, &csize);
    assert_int_equal(comp[5], 0); /* stored */
    assert_int_equal(comp[5 + 1 + count], 0);
    assert_int_equal(csize, 5 + 2 * (1 + count));
    free(comp);
    memset(rnd, 0x5a, n);
    comp = compress(2, rnd, n, &csize);
    assert_int_equal(csize, 5 + 2 + 2); /* two runs */
    assert_int_equal(comp[5], 1);
    free(comp);
    free(rnd);
    free(w);
}

/* The bar for bf16 weights: at most 0.70 of the raw size. These weights' exponent
 * carries ~2 bits, so about 0.63 is expected; typesize 1 (no planes) saves far less. */
static void test_bf16_ratio(void **state) {
    (void)state;
    size_t count = 1u << 19, n = 2 * count;
    uint8_t *w = bf16_weights(count, 21);
    size_t as_bf16 = roundtrip(2, w, n), as_bytes = roundtrip(1, w, n);
    assert_true(as_bf16 * 100 <= n * 70);
    assert_true(as_bf16 < as_bytes);
    free(w);
}

static void test_every_truncation(void **state) {
    (void)state;
    size_t n = 2 * 3000 + 1, csize = 0;
    uint8_t *w = bf16_weights(3001, 4);
    uint8_t *comp = compress(2, w, n, &csize), *out = xmalloc(n);
    for (size_t len = 0; len < csize; len++)
        assert_int_equal(decompress(comp, len, out, n), CMZ_ERR_CORRUPT);
    /* trailing bytes, and a size other than the stream's */
    uint8_t *longer = xmalloc(csize + 1);
    memcpy(longer, comp, csize);
    longer[csize] = 0;
    assert_int_equal(decompress(longer, csize + 1, out, n), CMZ_ERR_CORRUPT);
    assert_int_equal(decompress(comp, csize, out, n - 1), CMZ_ERR_CORRUPT);
    free(longer), free(out), free(comp), free(w);
}

/* Every byte of a small stream changed five ways: never a crash or an access outside the
 * buffers (ASan in CI), only CMZ_OK or CMZ_ERR_CORRUPT, and the end-state check catches
 * nearly every change that still parses. */
static void test_single_byte_corruption(void **state) {
    (void)state;
    size_t count = 2500, n = 2 * count, csize = 0;
    uint8_t *w = bf16_weights(count, 8);
    uint8_t *comp = compress(2, w, n, &csize), *out = xmalloc(n), *bad = xmalloc(csize);
    const uint8_t flips[] = {0x01, 0x02, 0x10, 0x80, 0xff};
    /* The low plane (random sign and mantissa) is stored last: whatever its bytes are, they
     * decode (the frame's CRCs catch that). The header and the coded plane come before it. */
    size_t stored_plane = csize - (1 + count);
    assert_int_equal(comp[stored_plane], 0);
    size_t ok_wrong = 0, corrupt = 0, total = 0, coded_corrupt = 0, coded_total = 0;
    for (size_t i = 0; i < csize; i++)
        for (size_t f = 0; f < sizeof flips; f++) {
            memcpy(bad, comp, csize);
            bad[i] ^= flips[f];
            cmz_status st = decompress(bad, csize, out, n);
            total++;
            coded_total += i < stored_plane;
            if (st == CMZ_OK) {
                /* The one change that may decode to the original: the segment size (byte 1),
                 * when every plane fits in one segment either way. */
                if (memcmp(out, w, n) == 0) assert_int_equal(i, 1);
                else ok_wrong++;
            } else {
                assert_int_equal(st, CMZ_ERR_CORRUPT);
                corrupt++;
                coded_corrupt += i < stored_plane;
            }
        }
    assert_true(corrupt + ok_wrong >= total - 2 * sizeof flips);
    assert_true(coded_corrupt > coded_total * 9 / 10);
    free(bad), free(out), free(comp), free(w);
}

/* Reproducible output: the same bytes from a fresh context, a reused one, and across versions
 * (a GPU encoder is checked against these bytes; a change of format takes a new codec id). */
static void test_reference_output(void **state) {
    (void)state;
    size_t count = 3 * SEGMENT + 123, n = 2 * count, a = 0, b = 0;
    uint8_t *w = bf16_weights(count, 2026);
    uint8_t *x = compress(2, w, n, &a);
    cmz_codec_ctx *ctx = ctx_for(2);
    size_t bound = cmz_codec_bound(planes(), n);
    uint8_t *y = xmalloc(bound), *rnd = tu_random(n, 1);
    assert_int_equal(cmz_codec_compress(ctx, 0, y, bound, rnd, n, &b), CMZ_OK);
    assert_int_equal(cmz_codec_compress(ctx, 0, y, bound, w, n, &b), CMZ_OK);
    assert_int_equal(a, b);
    assert_memory_equal(x, y, a);
    /* Recorded when the format was written (docs/PLANES.md); integer-only input above. */
    if (a != PLANES_REFERENCE_SIZE || cmz_crc32c(0, x, a) != PLANES_REFERENCE_CRC)
        printf("reference stream: %zu bytes, CRC32C 0x%08x\n", a, cmz_crc32c(0, x, a));
    assert_int_equal(a, PLANES_REFERENCE_SIZE);
    assert_int_equal(cmz_crc32c(0, x, a), PLANES_REFERENCE_CRC);
    cmz_codec_ctx_free(ctx);
    free(rnd), free(y), free(x), free(w);
}

static void test_bad_arguments(void **state) {
    (void)state;
    cmz_codec_ctx *ctx = cmz_codec_ctx_new(planes());
    assert_non_null(ctx);
    assert_int_equal(cmz_codec_ctx_set_typesize(ctx, 3), CMZ_ERR_INVALID_ARG);
    assert_int_equal(cmz_codec_ctx_set_typesize(ctx, 0), CMZ_ERR_INVALID_ARG);
    assert_int_equal(cmz_codec_ctx_set_typesize(NULL, 2), CMZ_ERR_INVALID_ARG);
    assert_true(cmz_codec_takes_typesize(planes()));
    assert_false(cmz_codec_takes_typesize(cmz_codec_by_id(CMZ_CODEC_RANS)));
    /* A destination below the bound is refused before anything is written. */
    uint8_t src[64] = {1, 2, 3}, dst[64];
    size_t got = 0;
    assert_int_equal(cmz_codec_compress(ctx, 0, dst, sizeof dst, src, sizeof src, &got),
                     CMZ_ERR_DST_TOO_SMALL);
    /* Headers a decoder must refuse: element size, segment size, size encoding. */
    uint8_t out[8];
    const uint8_t bad_w[] = {3, 14, 8, 0, 0, 0, 0, 0, 0, 0, 0};
    const uint8_t bad_g[] = {1, 16, 1, 0, 7};
    const uint8_t long_size[] = {1, 14, 0x81, 0x00, 0, 7};
    assert_int_equal(decompress(bad_w, sizeof bad_w, out, 8), CMZ_ERR_CORRUPT);
    assert_int_equal(decompress(bad_g, sizeof bad_g, out, 1), CMZ_ERR_CORRUPT);
    assert_int_equal(decompress(long_size, sizeof long_size, out, 1), CMZ_ERR_CORRUPT);
    /* a coded plane whose table has a single symbol (f = 4096) */
    const uint8_t one_symbol[] = {1, 14, 4, 2, 1, 0, 0, 0, 1, 0xff, 0x7f, 0, 0};
    assert_int_equal(decompress(one_symbol, sizeof one_symbol, out, 4), CMZ_ERR_CORRUPT);
    cmz_codec_ctx_free(ctx);
}

/* Through the frame: no filter, typesize 2 recorded in the header, decoded back; the typesize
 * rules for codecs that do not take one are unchanged. */
static void test_frame_typesize(void **state) {
    (void)state;
    size_t count = 300000, n = 2 * count, size = 0;
    uint8_t *w = bf16_weights(count, 5);
    cmz_params p = tu_params(CMZ_CODEC_PLANES, 1u << 18, 2);
    p.typesize = 2;
    uint8_t *frame = tu_compress(&p, w, n, &size);
    assert_true(size * 100 <= n * 70);
    cmz_frame_info info;
    cmz_source src;
    cmz_source_memory(&src, frame, size);
    assert_int_equal(cmz_frame_info_read(&src, &info, NULL), CMZ_OK);
    assert_int_equal(info.typesize, 2);
    assert_int_equal(info.filter, CMZ_FILTER_NONE);
    uint8_t *back = xmalloc(n);
    size_t got = 0;
    cmz_dctx *d = cmz_dctx_new(NULL, NULL);
    assert_non_null(d);
    assert_int_equal(cmz_decompress(d, back, n, &got, frame, size, NULL), CMZ_OK);
    assert_int_equal(got, n);
    assert_memory_equal(back, w, n);
    cmz_dctx_free(d);
    /* typesize 3 is refused for planes; typesize 2 without a filter is refused for lz4 */
    cmz_error err;
    p.typesize = 3;
    assert_null(cmz_cctx_new(&p, &err));
    assert_int_equal(err.status, CMZ_ERR_INVALID_ARG);
    cmz_params l = tu_params(CMZ_CODEC_LZ4, 0, 1);
    l.typesize = 2;
    assert_null(cmz_cctx_new(&l, &err));
    assert_non_null(strstr(err.message, "it takes 1"));
    free(back), free(frame), free(w);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_roundtrip_sizes),
        cmocka_unit_test(test_plane_modes),
        cmocka_unit_test(test_bf16_ratio),
        cmocka_unit_test(test_every_truncation),
        cmocka_unit_test(test_single_byte_corruption),
        cmocka_unit_test(test_reference_output),
        cmocka_unit_test(test_bad_arguments),
        cmocka_unit_test(test_frame_typesize),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
