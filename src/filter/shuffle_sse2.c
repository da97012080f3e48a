/* Byte shuffle kernels, SSE2 (the x86-64 baseline: no pshufb, so bytes are split with
 * saturating packs and merged with unpacks). 16 elements per step; the scalar kernel does
 * the remainder, so every length gives the scalar kernel's bytes. */
#include "internal.h"

#if CMZ_FILTER_X86
#include <emmintrin.h>

static inline __m128i ld(const uint8_t *p) { return _mm_loadu_si128((const __m128i *)p); }
static inline void st(uint8_t *p, __m128i v) { _mm_storeu_si128((__m128i *)p, v); }

/* Low and high bytes of the 16 words in a, b (8 each): lo = a.lo b.lo, hi = a.hi b.hi. */
static inline void split_words(__m128i a, __m128i b, __m128i *lo, __m128i *hi) {
    const __m128i mask = _mm_set1_epi16(0x00ff);
    *lo = _mm_packus_epi16(_mm_and_si128(a, mask), _mm_and_si128(b, mask));
    *hi = _mm_packus_epi16(_mm_srli_epi16(a, 8), _mm_srli_epi16(b, 8));
}

/* Low / high 16-bit halves of the 8 dwords in a, b; sign extension keeps packs exact. */
static inline __m128i low_halves(__m128i a, __m128i b) {
    return _mm_packs_epi32(_mm_srai_epi32(_mm_slli_epi32(a, 16), 16),
                           _mm_srai_epi32(_mm_slli_epi32(b, 16), 16));
}
static inline __m128i high_halves(__m128i a, __m128i b) {
    return _mm_packs_epi32(_mm_srai_epi32(a, 16), _mm_srai_epi32(b, 16));
}

/* 16 four-byte elements in x[0..3] -> 4 planes of 16 bytes. */
static inline void shuffle4(const __m128i x[4], __m128i p[4]) {
    __m128i l01 = low_halves(x[0], x[1]), l23 = low_halves(x[2], x[3]);
    __m128i h01 = high_halves(x[0], x[1]), h23 = high_halves(x[2], x[3]);
    split_words(l01, l23, &p[0], &p[1]);
    split_words(h01, h23, &p[2], &p[3]);
}

/* 4 planes of 16 bytes -> 16 four-byte elements in e[0..3]. */
static inline void unshuffle4(const __m128i p[4], __m128i e[4]) {
    __m128i w01l = _mm_unpacklo_epi8(p[0], p[1]), w01h = _mm_unpackhi_epi8(p[0], p[1]);
    __m128i w23l = _mm_unpacklo_epi8(p[2], p[3]), w23h = _mm_unpackhi_epi8(p[2], p[3]);
    e[0] = _mm_unpacklo_epi16(w01l, w23l);
    e[1] = _mm_unpackhi_epi16(w01l, w23l);
    e[2] = _mm_unpacklo_epi16(w01h, w23h);
    e[3] = _mm_unpackhi_epi16(w01h, w23h);
}

void cmz__shuffle_sse2(uint8_t *planes, ptrdiff_t stride, const uint8_t *src, size_t nelem,
                       unsigned ts) {
    size_t i = 0;
    switch (ts) {
    case 2:
        for (; i + 16 <= nelem; i += 16) {
            __m128i lo, hi;
            split_words(ld(src + 2 * i), ld(src + 2 * i + 16), &lo, &hi);
            st(planes + i, lo);
            st(planes + stride + i, hi);
        }
        break;
    case 4:
        for (; i + 16 <= nelem; i += 16) {
            __m128i x[4], p[4];
            CMZ_UNROLL
            for (int j = 0; j < 4; j++) x[j] = ld(src + 4 * i + 16 * j);
            shuffle4(x, p);
            CMZ_UNROLL
            for (int k = 0; k < 4; k++) st(planes + k * stride + i, p[k]);
        }
        break;
    case 8:
        for (; i + 16 <= nelem; i += 16) {
            __m128i lo[4], hi[4], p[4];
            CMZ_UNROLL
            for (int j = 0; j < 4; j++) {
                /* two vectors of 2 elements -> low dwords of 4 elements, high dwords of 4 */
                __m128i a = _mm_shuffle_epi32(ld(src + 8 * i + 32 * j), 0xd8);
                __m128i b = _mm_shuffle_epi32(ld(src + 8 * i + 32 * j + 16), 0xd8);
                lo[j] = _mm_unpacklo_epi64(a, b);
                hi[j] = _mm_unpackhi_epi64(a, b);
            }
            shuffle4(lo, p);
            CMZ_UNROLL
            for (int k = 0; k < 4; k++) st(planes + k * stride + i, p[k]);
            shuffle4(hi, p);
            CMZ_UNROLL
            for (int k = 0; k < 4; k++) st(planes + (k + 4) * stride + i, p[k]);
        }
        break;
    default: break;
    }
    if (i < nelem) cmz__shuffle_scalar(planes + i, stride, src + i * ts, nelem - i, ts);
}

void cmz__unshuffle_sse2(uint8_t *dst, const uint8_t *planes, ptrdiff_t stride, size_t nelem,
                         unsigned ts) {
    size_t i = 0;
    switch (ts) {
    case 2:
        for (; i + 16 <= nelem; i += 16) {
            __m128i lo = ld(planes + i), hi = ld(planes + stride + i);
            st(dst + 2 * i, _mm_unpacklo_epi8(lo, hi));
            st(dst + 2 * i + 16, _mm_unpackhi_epi8(lo, hi));
        }
        break;
    case 4:
        for (; i + 16 <= nelem; i += 16) {
            __m128i p[4], e[4];
            CMZ_UNROLL
            for (int k = 0; k < 4; k++) p[k] = ld(planes + k * stride + i);
            unshuffle4(p, e);
            CMZ_UNROLL
            for (int j = 0; j < 4; j++) st(dst + 4 * i + 16 * j, e[j]);
        }
        break;
    case 8:
        for (; i + 16 <= nelem; i += 16) {
            __m128i p[4], lo[4], hi[4];
            CMZ_UNROLL
            for (int k = 0; k < 4; k++) p[k] = ld(planes + k * stride + i);
            unshuffle4(p, lo);
            CMZ_UNROLL
            for (int k = 0; k < 4; k++) p[k] = ld(planes + (k + 4) * stride + i);
            unshuffle4(p, hi);
            CMZ_UNROLL
            for (int j = 0; j < 4; j++) {
                st(dst + 8 * i + 32 * j, _mm_unpacklo_epi32(lo[j], hi[j]));
                st(dst + 8 * i + 32 * j + 16, _mm_unpackhi_epi32(lo[j], hi[j]));
            }
        }
        break;
    default: break;
    }
    if (i < nelem) cmz__unshuffle_scalar(dst + i * ts, planes + i, stride, nelem - i, ts);
}

#endif
