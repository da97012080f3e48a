/* Delta (filter id 3): the kernels (scalar, SSE2, AVX2) and the filter.
 *
 * Layout (docs/FILTERS.md): the m = n / ts whole elements are read as little-endian unsigned
 * integers x[i] of ts bytes; out[0] = x[0], out[i] = x[i] - x[i-1] mod 2^(8 ts), written
 * little-endian; the trailing n % ts bytes follow unchanged. Backward is the prefix sum.
 * The SIMD prefix sum scans each vector on its own and carries the running total in a
 * separate chain of one add per vector, so the loop does not wait on a shuffle each step. */
#include "internal.h"

#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
#define LE16(x) __builtin_bswap16(x)
#define LE32(x) __builtin_bswap32(x)
#define LE64(x) __builtin_bswap64(x)
#else
#define LE16(x) (x)
#define LE32(x) (x)
#define LE64(x) (x)
#endif

/* Elements from..nelem-1: delta needs x[from-1] (0 before the first), undelta the output
 * element before `from` (0 before the first). */
#define DELTA_LOOPS(BITS)                                                                    \
    static void delta##BITS(uint8_t *dst, const uint8_t *src, size_t from, size_t nelem) {   \
        uint##BITS##_t prev = 0, x, d;                                                       \
        if (from) {                                                                          \
            memcpy(&prev, src + (from - 1) * (BITS / 8), BITS / 8);                          \
            prev = LE##BITS(prev);                                                           \
        }                                                                                    \
        for (size_t i = from; i < nelem; i++) {                                              \
            memcpy(&x, src + i * (BITS / 8), BITS / 8);                                      \
            x = LE##BITS(x);                                                                 \
            d = (uint##BITS##_t)(x - prev);                                                  \
            prev = x;                                                                        \
            d = LE##BITS(d);                                                                 \
            memcpy(dst + i * (BITS / 8), &d, BITS / 8);                                      \
        }                                                                                    \
    }                                                                                        \
    static void undelta##BITS(uint8_t *dst, const uint8_t *src, size_t from, size_t nelem) { \
        uint##BITS##_t acc = 0, d;                                                           \
        if (from) {                                                                          \
            memcpy(&acc, dst + (from - 1) * (BITS / 8), BITS / 8);                           \
            acc = LE##BITS(acc);                                                             \
        }                                                                                    \
        for (size_t i = from; i < nelem; i++) {                                              \
            memcpy(&d, src + i * (BITS / 8), BITS / 8);                                      \
            acc = (uint##BITS##_t)(acc + LE##BITS(d));                                       \
            d = LE##BITS(acc);                                                               \
            memcpy(dst + i * (BITS / 8), &d, BITS / 8);                                      \
        }                                                                                    \
    }
DELTA_LOOPS(16)
DELTA_LOOPS(32)
DELTA_LOOPS(64)

static void delta_from(uint8_t *dst, const uint8_t *src, size_t from, size_t nelem, unsigned ts) {
    switch (ts) {
    case 2: delta16(dst, src, from, nelem); break;
    case 4: delta32(dst, src, from, nelem); break;
    case 8: delta64(dst, src, from, nelem); break;
    default: break;
    }
}

static void undelta_from(uint8_t *dst, const uint8_t *src, size_t from, size_t nelem, unsigned ts) {
    switch (ts) {
    case 2: undelta16(dst, src, from, nelem); break;
    case 4: undelta32(dst, src, from, nelem); break;
    case 8: undelta64(dst, src, from, nelem); break;
    default: break;
    }
}

void cmz__delta_scalar(uint8_t *dst, const uint8_t *src, size_t nelem, unsigned ts) {
    delta_from(dst, src, 0, nelem, ts);
}

void cmz__undelta_scalar(uint8_t *dst, const uint8_t *src, size_t nelem, unsigned ts) {
    undelta_from(dst, src, 0, nelem, ts);
}

#if CMZ_FILTER_X86
#include <immintrin.h>

/* The loops are inlined once per typesize (ALWAYS_INLINE with a constant ts), so that the
 * typesize tests fold away. Each returns the first element it left to the scalar tail. */
#define ALWAYS_INLINE inline __attribute__((always_inline))

static ALWAYS_INLINE size_t delta_sse2_loop(uint8_t *dst, const uint8_t *src, size_t nelem,
                                            unsigned ts) {
    size_t per = 16 / ts, i = 1;
    for (; i + per <= nelem; i += per) {
        __m128i cur = _mm_loadu_si128((const __m128i *)(src + i * ts));
        __m128i prev = _mm_loadu_si128((const __m128i *)(src + (i - 1) * ts));
        __m128i d = ts == 2   ? _mm_sub_epi16(cur, prev)
                    : ts == 4 ? _mm_sub_epi32(cur, prev)
                              : _mm_sub_epi64(cur, prev);
        _mm_storeu_si128((__m128i *)(dst + i * ts), d);
    }
    return i;
}

void cmz__delta_sse2(uint8_t *dst, const uint8_t *src, size_t nelem, unsigned ts) {
    if (nelem == 0) return;
    memcpy(dst, src, ts);
    size_t i = ts == 2   ? delta_sse2_loop(dst, src, nelem, 2)
               : ts == 4 ? delta_sse2_loop(dst, src, nelem, 4)
                         : delta_sse2_loop(dst, src, nelem, 8);
    delta_from(dst, src, i, nelem, ts);
}

/* Inclusive prefix sum of each vector's elements, and its last element in every slot. */
static ALWAYS_INLINE __m128i scan_sse2(__m128i x, unsigned ts, __m128i *last) {
    switch (ts) {
    case 2:
        x = _mm_add_epi16(x, _mm_slli_si128(x, 2));
        x = _mm_add_epi16(x, _mm_slli_si128(x, 4));
        x = _mm_add_epi16(x, _mm_slli_si128(x, 8));
        *last = _mm_shuffle_epi32(_mm_shufflehi_epi16(x, 0xff), 0xff);
        break;
    case 4:
        x = _mm_add_epi32(x, _mm_slli_si128(x, 4));
        x = _mm_add_epi32(x, _mm_slli_si128(x, 8));
        *last = _mm_shuffle_epi32(x, 0xff);
        break;
    default:
        x = _mm_add_epi64(x, _mm_slli_si128(x, 8));
        *last = _mm_shuffle_epi32(x, 0xee);
        break;
    }
    return x;
}

static ALWAYS_INLINE __m128i add_sse2(__m128i a, __m128i b, unsigned ts) {
    return ts == 2 ? _mm_add_epi16(a, b) : ts == 4 ? _mm_add_epi32(a, b) : _mm_add_epi64(a, b);
}

static ALWAYS_INLINE size_t undelta_sse2_loop(uint8_t *dst, const uint8_t *src, size_t nelem,
                                              unsigned ts) {
    size_t per = 16 / ts, i = 0;
    __m128i carry = _mm_setzero_si128();
    for (; i + per <= nelem; i += per) {
        __m128i last, x = scan_sse2(_mm_loadu_si128((const __m128i *)(src + i * ts)), ts, &last);
        _mm_storeu_si128((__m128i *)(dst + i * ts), add_sse2(x, carry, ts));
        carry = add_sse2(carry, last, ts);
    }
    return i;
}

void cmz__undelta_sse2(uint8_t *dst, const uint8_t *src, size_t nelem, unsigned ts) {
    size_t i = ts == 2   ? undelta_sse2_loop(dst, src, nelem, 2)
               : ts == 4 ? undelta_sse2_loop(dst, src, nelem, 4)
                         : undelta_sse2_loop(dst, src, nelem, 8);
    undelta_from(dst, src, i, nelem, ts);
}

CMZ_AVX2 static ALWAYS_INLINE __m256i sub_avx2(__m256i a, __m256i b, unsigned ts) {
    return ts == 2   ? _mm256_sub_epi16(a, b)
           : ts == 4 ? _mm256_sub_epi32(a, b)
                     : _mm256_sub_epi64(a, b);
}

CMZ_AVX2 static ALWAYS_INLINE __m256i add_avx2(__m256i a, __m256i b, unsigned ts) {
    return ts == 2   ? _mm256_add_epi16(a, b)
           : ts == 4 ? _mm256_add_epi32(a, b)
                     : _mm256_add_epi64(a, b);
}

CMZ_AVX2 static ALWAYS_INLINE size_t delta_avx2_loop(uint8_t *dst, const uint8_t *src, size_t nelem,
                                                     unsigned ts) {
    size_t per = 32 / ts, i = 1;
    for (; i + per <= nelem; i += per) {
        __m256i cur = _mm256_loadu_si256((const __m256i *)(src + i * ts));
        __m256i prev = _mm256_loadu_si256((const __m256i *)(src + (i - 1) * ts));
        _mm256_storeu_si256((__m256i *)(dst + i * ts), sub_avx2(cur, prev, ts));
    }
    return i;
}

CMZ_AVX2 void cmz__delta_avx2(uint8_t *dst, const uint8_t *src, size_t nelem, unsigned ts) {
    if (nelem == 0) return;
    memcpy(dst, src, ts);
    size_t i = ts == 2   ? delta_avx2_loop(dst, src, nelem, 2)
               : ts == 4 ? delta_avx2_loop(dst, src, nelem, 4)
                         : delta_avx2_loop(dst, src, nelem, 8);
    _mm256_zeroupper(); /* before other code (see internal.h) */
    delta_from(dst, src, i, nelem, ts);
}

/* Like scan_sse2 on 256 bits: scan each lane, add lane 0's total to lane 1. */
CMZ_AVX2 static ALWAYS_INLINE __m256i scan_avx2(__m256i x, unsigned ts, __m256i *last) {
    __m256i lane_last;
    switch (ts) {
    case 2:
        x = _mm256_add_epi16(x, _mm256_slli_si256(x, 2));
        x = _mm256_add_epi16(x, _mm256_slli_si256(x, 4));
        x = _mm256_add_epi16(x, _mm256_slli_si256(x, 8));
        lane_last = _mm256_shuffle_epi32(_mm256_shufflehi_epi16(x, 0xff), 0xff);
        x = _mm256_add_epi16(x, _mm256_permute2x128_si256(lane_last, lane_last, 0x08));
        lane_last = _mm256_shuffle_epi32(_mm256_shufflehi_epi16(x, 0xff), 0xff);
        *last = _mm256_permute2x128_si256(lane_last, lane_last, 0x11);
        break;
    case 4:
        x = _mm256_add_epi32(x, _mm256_slli_si256(x, 4));
        x = _mm256_add_epi32(x, _mm256_slli_si256(x, 8));
        lane_last = _mm256_shuffle_epi32(x, 0xff);
        x = _mm256_add_epi32(x, _mm256_permute2x128_si256(lane_last, lane_last, 0x08));
        *last = _mm256_permutevar8x32_epi32(x, _mm256_set1_epi32(7));
        break;
    default:
        x = _mm256_add_epi64(x, _mm256_slli_si256(x, 8));
        lane_last = _mm256_shuffle_epi32(x, 0xee);
        x = _mm256_add_epi64(x, _mm256_permute2x128_si256(lane_last, lane_last, 0x08));
        *last = _mm256_permute4x64_epi64(x, 0xff);
        break;
    }
    return x;
}

CMZ_AVX2 static ALWAYS_INLINE size_t undelta_avx2_loop(uint8_t *dst, const uint8_t *src,
                                                       size_t nelem, unsigned ts) {
    size_t per = 32 / ts, i = 0;
    __m256i carry = _mm256_setzero_si256();
    for (; i + per <= nelem; i += per) {
        __m256i last;
        __m256i x = scan_avx2(_mm256_loadu_si256((const __m256i *)(src + i * ts)), ts, &last);
        _mm256_storeu_si256((__m256i *)(dst + i * ts), add_avx2(x, carry, ts));
        carry = add_avx2(carry, last, ts);
    }
    return i;
}

CMZ_AVX2 void cmz__undelta_avx2(uint8_t *dst, const uint8_t *src, size_t nelem, unsigned ts) {
    size_t i = ts == 2   ? undelta_avx2_loop(dst, src, nelem, 2)
               : ts == 4 ? undelta_avx2_loop(dst, src, nelem, 4)
                         : undelta_avx2_loop(dst, src, nelem, 8);
    _mm256_zeroupper();
    undelta_from(dst, src, i, nelem, ts);
}
#endif

void cmz__delta_forward(const cmz__filter_kernels *k, unsigned ts, const uint8_t *src, size_t n,
                        uint8_t *dst) {
    size_t m = n / ts, whole = m * ts;
    k->delta(dst, src, m, ts);
    if (n > whole) memcpy(dst + whole, src + whole, n - whole);
}

void cmz__delta_backward(const cmz__filter_kernels *k, unsigned ts, const uint8_t *src, size_t n,
                         uint8_t *dst) {
    size_t m = n / ts, whole = m * ts;
    k->undelta(dst, src, m, ts);
    if (n > whole) memcpy(dst + whole, src + whole, n - whole);
}
