/* Bit-transpose kernels of the bit shuffle, SSE2. Forward: movemask takes bit 7 of 16 bytes
 * at once and a 16-bit shift brings the next bit up (the bitshuffle library's method).
 * Backward: an unpack cascade gathers byte c of the 8 rows into one 64-bit lane, then the
 * 8x8 bit transpose runs on both lanes at once. The scalar kernel does the remainder. */
#include "internal.h"

#if CMZ_FILTER_X86
#include <emmintrin.h>

static inline __m128i ld(const uint8_t *p) { return _mm_loadu_si128((const __m128i *)p); }
static inline void st(uint8_t *p, __m128i v) { _mm_storeu_si128((__m128i *)p, v); }

void cmz__bitrows_sse2(uint8_t *rows, size_t row_stride, const uint8_t *in, size_t nbytes) {
    size_t i = 0;
    for (; i + 16 <= nbytes; i += 16) {
        __m128i x = ld(in + i);
        CMZ_UNROLL
        for (unsigned s = 0; s < 8; s++) {
            uint16_t bits = (uint16_t)_mm_movemask_epi8(x);
            memcpy(rows + (7 - s) * row_stride + i / 8, &bits, 2);
            x = _mm_slli_epi16(x, 1);
        }
    }
    if (i < nbytes) cmz__bitrows_scalar(rows + i / 8, row_stride, in + i, nbytes - i);
}

/* cmz__transpose_bits8x8 on each 64-bit lane. */
static inline __m128i transpose_bits(__m128i x) {
    __m128i t;
    t = _mm_and_si128(_mm_xor_si128(x, _mm_srli_epi64(x, 7)),
                      _mm_set1_epi64x(0x00aa00aa00aa00aaLL));
    x = _mm_xor_si128(_mm_xor_si128(x, t), _mm_slli_epi64(t, 7));
    t = _mm_and_si128(_mm_xor_si128(x, _mm_srli_epi64(x, 14)),
                      _mm_set1_epi64x(0x0000cccc0000ccccLL));
    x = _mm_xor_si128(_mm_xor_si128(x, t), _mm_slli_epi64(t, 14));
    t = _mm_and_si128(_mm_xor_si128(x, _mm_srli_epi64(x, 28)),
                      _mm_set1_epi64x(0x00000000f0f0f0f0LL));
    x = _mm_xor_si128(_mm_xor_si128(x, t), _mm_slli_epi64(t, 28));
    return x;
}

void cmz__unbitrows_sse2(uint8_t *out, const uint8_t *rows, size_t row_stride, size_t nbytes) {
    size_t c = 0, ncols = nbytes / 8;
    for (; c + 16 <= ncols; c += 16) {
        __m128i r[8], a[8], b[8];
        CMZ_UNROLL
        for (unsigned j = 0; j < 8; j++) r[j] = ld(rows + j * row_stride + c);
        CMZ_UNROLL
        for (unsigned j = 0; j < 4; j++) {
            a[2 * j] = _mm_unpacklo_epi8(r[2 * j], r[2 * j + 1]);
            a[2 * j + 1] = _mm_unpackhi_epi8(r[2 * j], r[2 * j + 1]);
        }
        /* b[q]: columns 4q..4q+3 of rows 0-3 (q < 4) or rows 4-7 (q >= 4), 4 bytes each */
        CMZ_UNROLL
        for (unsigned h = 0; h < 2; h++) {
            b[4 * h + 0] = _mm_unpacklo_epi16(a[4 * h + 0], a[4 * h + 2]);
            b[4 * h + 1] = _mm_unpackhi_epi16(a[4 * h + 0], a[4 * h + 2]);
            b[4 * h + 2] = _mm_unpacklo_epi16(a[4 * h + 1], a[4 * h + 3]);
            b[4 * h + 3] = _mm_unpackhi_epi16(a[4 * h + 1], a[4 * h + 3]);
        }
        /* columns 4q .. 4q+3 of all 8 rows -> output bytes 32q .. 32q+31 */
        uint8_t *o = out + 8 * c;
        CMZ_UNROLL
        for (unsigned q = 0; q < 4; q++) {
            st(o + 32 * q, transpose_bits(_mm_unpacklo_epi32(b[q], b[q + 4])));
            st(o + 32 * q + 16, transpose_bits(_mm_unpackhi_epi32(b[q], b[q + 4])));
        }
    }
    if (c < ncols) cmz__unbitrows_scalar(out + 8 * c, rows + c, row_stride, nbytes - 8 * c);
}

#endif
