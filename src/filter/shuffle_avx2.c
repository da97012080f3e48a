/* Byte shuffle kernels, AVX2 (target attribute per function: the library is built without
 * -mavx2 and dispatch.c calls these only on CPUs that have AVX2). 32 elements per step; the
 * scalar kernel does the remainder. AVX2 byte and word operations work within each 128-bit
 * lane, so every kernel ends or starts with a cross-lane permute to restore element order.
 * Like every AVX2 kernel, each ends with vzeroupper (see internal.h). */
#include "internal.h"

#if CMZ_FILTER_X86
#include <immintrin.h>

CMZ_AVX2 static inline __m256i ld(const uint8_t *p) {
    return _mm256_loadu_si256((const __m256i *)p);
}
CMZ_AVX2 static inline void st(uint8_t *p, __m256i v) { _mm256_storeu_si256((__m256i *)p, v); }

/* In-lane transpose of 8 rows of 8 words: c[k] word r = r[r] word k (per 128-bit lane). */
CMZ_AVX2 static inline void transpose_words8(const __m256i r[8], __m256i c[8]) {
    __m256i a[8], b[8];
    CMZ_UNROLL
    for (int j = 0; j < 4; j++) {
        a[2 * j] = _mm256_unpacklo_epi16(r[2 * j], r[2 * j + 1]);
        a[2 * j + 1] = _mm256_unpackhi_epi16(r[2 * j], r[2 * j + 1]);
    }
    b[0] = _mm256_unpacklo_epi32(a[0], a[2]);
    b[1] = _mm256_unpackhi_epi32(a[0], a[2]);
    b[2] = _mm256_unpacklo_epi32(a[1], a[3]);
    b[3] = _mm256_unpackhi_epi32(a[1], a[3]);
    b[4] = _mm256_unpacklo_epi32(a[4], a[6]);
    b[5] = _mm256_unpackhi_epi32(a[4], a[6]);
    b[6] = _mm256_unpacklo_epi32(a[5], a[7]);
    b[7] = _mm256_unpackhi_epi32(a[5], a[7]);
    CMZ_UNROLL
    for (int j = 0; j < 4; j++) {
        c[2 * j] = _mm256_unpacklo_epi64(b[j], b[j + 4]);
        c[2 * j + 1] = _mm256_unpackhi_epi64(b[j], b[j + 4]);
    }
}

CMZ_AVX2 static void shuffle2(uint8_t *planes, ptrdiff_t stride, const uint8_t *src, size_t n) {
    /* per lane: even bytes (plane 0) then odd bytes (plane 1) */
    const __m256i bytes = _mm256_setr_epi8(0, 2, 4, 6, 8, 10, 12, 14, 1, 3, 5, 7, 9, 11, 13, 15, 0,
                                           2, 4, 6, 8, 10, 12, 14, 1, 3, 5, 7, 9, 11, 13, 15);
    for (size_t i = 0; i < n; i += 32) {
        __m256i y0 = _mm256_permute4x64_epi64(_mm256_shuffle_epi8(ld(src + 2 * i), bytes), 0xd8);
        __m256i y1 =
            _mm256_permute4x64_epi64(_mm256_shuffle_epi8(ld(src + 2 * i + 32), bytes), 0xd8);
        st(planes + i, _mm256_permute2x128_si256(y0, y1, 0x20));
        st(planes + stride + i, _mm256_permute2x128_si256(y0, y1, 0x31));
    }
}

CMZ_AVX2 static void shuffle4(uint8_t *planes, ptrdiff_t stride, const uint8_t *src, size_t n) {
    /* per lane: bytes 0 of its 4 elements, then bytes 1, 2, 3 (one dword per plane) */
    const __m256i bytes = _mm256_setr_epi8(0, 4, 8, 12, 1, 5, 9, 13, 2, 6, 10, 14, 3, 7, 11, 15, 0,
                                           4, 8, 12, 1, 5, 9, 13, 2, 6, 10, 14, 3, 7, 11, 15);
    /* then qword k = plane k of the vector's 8 elements */
    const __m256i dwords = _mm256_setr_epi32(0, 4, 1, 5, 2, 6, 3, 7);
    for (size_t i = 0; i < n; i += 32) {
        __m256i y[4];
        CMZ_UNROLL
        for (int j = 0; j < 4; j++)
            y[j] = _mm256_permutevar8x32_epi32(_mm256_shuffle_epi8(ld(src + 4 * i + 32 * j), bytes),
                                               dwords);
        /* 4x4 transpose of qwords: plane k = qword k of y[0], y[1], y[2], y[3] */
        __m256i t0 = _mm256_unpacklo_epi64(y[0], y[1]), t1 = _mm256_unpackhi_epi64(y[0], y[1]);
        __m256i t2 = _mm256_unpacklo_epi64(y[2], y[3]), t3 = _mm256_unpackhi_epi64(y[2], y[3]);
        st(planes + i, _mm256_permute2x128_si256(t0, t2, 0x20));
        st(planes + stride + i, _mm256_permute2x128_si256(t1, t3, 0x20));
        st(planes + 2 * stride + i, _mm256_permute2x128_si256(t0, t2, 0x31));
        st(planes + 3 * stride + i, _mm256_permute2x128_si256(t1, t3, 0x31));
    }
}

CMZ_AVX2 static void shuffle8(uint8_t *planes, ptrdiff_t stride, const uint8_t *src, size_t n) {
    /* per lane (2 elements): word k = byte k of both */
    const __m256i bytes = _mm256_setr_epi8(0, 8, 1, 9, 2, 10, 3, 11, 4, 12, 5, 13, 6, 14, 7, 15, 0,
                                           8, 1, 9, 2, 10, 3, 11, 4, 12, 5, 13, 6, 14, 7, 15);
    for (size_t i = 0; i < n; i += 32) {
        __m256i x[8], r[8], c[8];
        CMZ_UNROLL
        for (int j = 0; j < 8; j++) x[j] = _mm256_shuffle_epi8(ld(src + 8 * i + 32 * j), bytes);
        /* lane l holds elements 2l, 2l+1; row r gets lane r (low) and lane r + 8 (high) */
        CMZ_UNROLL
        for (int j = 0; j < 4; j++) {
            r[2 * j] = _mm256_permute2x128_si256(x[j], x[j + 4], 0x20);
            r[2 * j + 1] = _mm256_permute2x128_si256(x[j], x[j + 4], 0x31);
        }
        transpose_words8(r, c);
        CMZ_UNROLL
        for (int k = 0; k < 8; k++) st(planes + k * stride + i, c[k]);
    }
}

CMZ_AVX2 void cmz__shuffle_avx2(uint8_t *planes, ptrdiff_t stride, const uint8_t *src, size_t nelem,
                                unsigned ts) {
    size_t whole = nelem & ~(size_t)31;
    switch (ts) {
    case 2: shuffle2(planes, stride, src, whole); break;
    case 4: shuffle4(planes, stride, src, whole); break;
    case 8: shuffle8(planes, stride, src, whole); break;
    default: whole = 0; break;
    }
    _mm256_zeroupper(); /* before the scalar tail: see internal.h */
    if (whole < nelem)
        cmz__shuffle_scalar(planes + whole, stride, src + whole * ts, nelem - whole, ts);
}

/* In-lane unshuffle of 4 planes: e[j] lane 0 = elements 4j..4j+3, lane 1 = 16+4j..16+4j+3. */
CMZ_AVX2 static inline void unshuffle4_lanes(const __m256i p[4], __m256i e[4]) {
    __m256i w01l = _mm256_unpacklo_epi8(p[0], p[1]), w01h = _mm256_unpackhi_epi8(p[0], p[1]);
    __m256i w23l = _mm256_unpacklo_epi8(p[2], p[3]), w23h = _mm256_unpackhi_epi8(p[2], p[3]);
    e[0] = _mm256_unpacklo_epi16(w01l, w23l);
    e[1] = _mm256_unpackhi_epi16(w01l, w23l);
    e[2] = _mm256_unpacklo_epi16(w01h, w23h);
    e[3] = _mm256_unpackhi_epi16(w01h, w23h);
}

CMZ_AVX2 static void unshuffle2(uint8_t *dst, const uint8_t *planes, ptrdiff_t stride, size_t n) {
    for (size_t i = 0; i < n; i += 32) {
        __m256i p0 = ld(planes + i), p1 = ld(planes + stride + i);
        __m256i lo = _mm256_unpacklo_epi8(p0, p1), hi = _mm256_unpackhi_epi8(p0, p1);
        st(dst + 2 * i, _mm256_permute2x128_si256(lo, hi, 0x20));
        st(dst + 2 * i + 32, _mm256_permute2x128_si256(lo, hi, 0x31));
    }
}

CMZ_AVX2 static void unshuffle4(uint8_t *dst, const uint8_t *planes, ptrdiff_t stride, size_t n) {
    for (size_t i = 0; i < n; i += 32) {
        __m256i p[4], e[4];
        CMZ_UNROLL
        for (int k = 0; k < 4; k++) p[k] = ld(planes + k * stride + i);
        unshuffle4_lanes(p, e);
        uint8_t *out = dst + 4 * i;
        st(out, _mm256_permute2x128_si256(e[0], e[1], 0x20));
        st(out + 32, _mm256_permute2x128_si256(e[2], e[3], 0x20));
        st(out + 64, _mm256_permute2x128_si256(e[0], e[1], 0x31));
        st(out + 96, _mm256_permute2x128_si256(e[2], e[3], 0x31));
    }
}

CMZ_AVX2 static void unshuffle8(uint8_t *dst, const uint8_t *planes, ptrdiff_t stride, size_t n) {
    for (size_t i = 0; i < n; i += 32) {
        __m256i p[4], lo[4], hi[4];
        CMZ_UNROLL
        for (int k = 0; k < 4; k++) p[k] = ld(planes + k * stride + i);
        unshuffle4_lanes(p, lo);
        CMZ_UNROLL
        for (int k = 0; k < 4; k++) p[k] = ld(planes + (k + 4) * stride + i);
        unshuffle4_lanes(p, hi);
        uint8_t *out = dst + 8 * i;
        CMZ_UNROLL
        for (int j = 0; j < 4; j++) {
            /* a: elements 4j, 4j+1 | 16+4j, 16+4j+1; b: the next two of each */
            __m256i a = _mm256_unpacklo_epi32(lo[j], hi[j]);
            __m256i b = _mm256_unpackhi_epi32(lo[j], hi[j]);
            st(out + 32 * j, _mm256_permute2x128_si256(a, b, 0x20));
            st(out + 128 + 32 * j, _mm256_permute2x128_si256(a, b, 0x31));
        }
    }
}

CMZ_AVX2 void cmz__unshuffle_avx2(uint8_t *dst, const uint8_t *planes, ptrdiff_t stride,
                                  size_t nelem, unsigned ts) {
    size_t whole = nelem & ~(size_t)31;
    switch (ts) {
    case 2: unshuffle2(dst, planes, stride, whole); break;
    case 4: unshuffle4(dst, planes, stride, whole); break;
    case 8: unshuffle8(dst, planes, stride, whole); break;
    default: whole = 0; break;
    }
    _mm256_zeroupper();
    if (whole < nelem)
        cmz__unshuffle_scalar(dst + whole * ts, planes + whole, stride, nelem - whole, ts);
}

#endif
