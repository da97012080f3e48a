/* Bit-transpose kernels of the bit shuffle, AVX2: the SSE2 methods on 32 bytes at a time
 * (see bitshuffle_sse2.c). The unpack cascade works within 128-bit lanes, so the backward
 * kernel's stores put each lane's 128 output bytes where they belong. */
#include "internal.h"

#if CMZ_FILTER_X86
#include <immintrin.h>

CMZ_AVX2 static inline __m256i ld(const uint8_t *p) {
    return _mm256_loadu_si256((const __m256i *)p);
}
CMZ_AVX2 static inline void st(uint8_t *p, __m256i v) { _mm256_storeu_si256((__m256i *)p, v); }

CMZ_AVX2 void cmz__bitrows_avx2(uint8_t *rows, size_t row_stride, const uint8_t *in,
                                size_t nbytes) {
    size_t i = 0;
    for (; i + 32 <= nbytes; i += 32) {
        __m256i x = ld(in + i);
        CMZ_UNROLL
        for (unsigned s = 0; s < 8; s++) {
            uint32_t bits = (uint32_t)_mm256_movemask_epi8(x);
            memcpy(rows + (7 - s) * row_stride + i / 8, &bits, 4);
            x = _mm256_slli_epi16(x, 1);
        }
    }
    _mm256_zeroupper(); /* before SSE code (see internal.h) */
    if (i < nbytes) cmz__bitrows_sse2(rows + i / 8, row_stride, in + i, nbytes - i);
}

CMZ_AVX2 static inline __m256i transpose_bits(__m256i x) {
    __m256i t;
    t = _mm256_and_si256(_mm256_xor_si256(x, _mm256_srli_epi64(x, 7)),
                         _mm256_set1_epi64x(0x00aa00aa00aa00aaLL));
    x = _mm256_xor_si256(_mm256_xor_si256(x, t), _mm256_slli_epi64(t, 7));
    t = _mm256_and_si256(_mm256_xor_si256(x, _mm256_srli_epi64(x, 14)),
                         _mm256_set1_epi64x(0x0000cccc0000ccccLL));
    x = _mm256_xor_si256(_mm256_xor_si256(x, t), _mm256_slli_epi64(t, 14));
    t = _mm256_and_si256(_mm256_xor_si256(x, _mm256_srli_epi64(x, 28)),
                         _mm256_set1_epi64x(0x00000000f0f0f0f0LL));
    x = _mm256_xor_si256(_mm256_xor_si256(x, t), _mm256_slli_epi64(t, 28));
    return x;
}

CMZ_AVX2 void cmz__unbitrows_avx2(uint8_t *out, const uint8_t *rows, size_t row_stride,
                                  size_t nbytes) {
    size_t c = 0, ncols = nbytes / 8;
    for (; c + 32 <= ncols; c += 32) {
        __m256i r[8], a[8], b[8];
        CMZ_UNROLL
        for (unsigned j = 0; j < 8; j++) r[j] = ld(rows + j * row_stride + c);
        CMZ_UNROLL
        for (unsigned j = 0; j < 4; j++) {
            a[2 * j] = _mm256_unpacklo_epi8(r[2 * j], r[2 * j + 1]);
            a[2 * j + 1] = _mm256_unpackhi_epi8(r[2 * j], r[2 * j + 1]);
        }
        CMZ_UNROLL
        for (unsigned h = 0; h < 2; h++) {
            b[4 * h + 0] = _mm256_unpacklo_epi16(a[4 * h + 0], a[4 * h + 2]);
            b[4 * h + 1] = _mm256_unpackhi_epi16(a[4 * h + 0], a[4 * h + 2]);
            b[4 * h + 2] = _mm256_unpacklo_epi16(a[4 * h + 1], a[4 * h + 3]);
            b[4 * h + 3] = _mm256_unpackhi_epi16(a[4 * h + 1], a[4 * h + 3]);
        }
        /* lane 0 of lo / hi: columns 4q..4q+1 / 4q+2..4q+3 (output bytes 32q..32q+31);
         * lane 1: the same 16 columns further (output bytes 128 further) */
        uint8_t *o = out + 8 * c;
        CMZ_UNROLL
        for (unsigned q = 0; q < 4; q++) {
            __m256i lo = transpose_bits(_mm256_unpacklo_epi32(b[q], b[q + 4]));
            __m256i hi = transpose_bits(_mm256_unpackhi_epi32(b[q], b[q + 4]));
            st(o + 32 * q, _mm256_permute2x128_si256(lo, hi, 0x20));
            st(o + 128 + 32 * q, _mm256_permute2x128_si256(lo, hi, 0x31));
        }
    }
    _mm256_zeroupper();
    if (c < ncols) cmz__unbitrows_sse2(out + 8 * c, rows + c, row_stride, nbytes - 8 * c);
}

#endif
