/* Filter layer internals: the kernels each ISA provides, and the filters built on them.
 *
 * A kernel table holds one implementation per ISA; every entry of every table gives the same
 * bytes as the scalar one for every input (tests/filter compares them byte for byte). */
#ifndef CMZ_FILTER_INTERNAL_H
#define CMZ_FILTER_INTERNAL_H

#include "cmz/filter.h"

#include <stddef.h>
#include <stdint.h>
#include <string.h>

/* SIMD kernels on x86-64 only, where SSE2 is the baseline (AVX2 is checked at run time).
 * Every AVX2 kernel executes vzeroupper (_mm256_zeroupper) before it returns or hands over to
 * other code: GCC leaves it out before a tail call, and SSE code run after dirty upper halves
 * was several times slower (see docs/BENCH.md, "Figures behind constants in the code"). */
#if defined(__x86_64__)
#define CMZ_FILTER_X86 1
#define CMZ_AVX2 __attribute__((target("avx2")))
#else
#define CMZ_FILTER_X86 0
#endif

/* Fully unrolls the short fixed loops of the SIMD kernels, so that their vector arrays live
 * in registers (at -O2 GCC otherwise keeps them on the stack, several times slower: see
 * docs/BENCH.md, "Figures behind constants in the code"). */
#define CMZ_UNROLL _Pragma("GCC unroll 16")

/* Byte shuffle of nelem elements of ts bytes (2, 4 or 8): byte k of element i goes to
 * planes[k * stride + i]. stride may be negative (planes stores its planes most significant
 * first). unshuffle is the inverse. */
typedef void (*cmz__shuffle_fn)(uint8_t *planes, ptrdiff_t stride, const uint8_t *src, size_t nelem,
                                unsigned ts);
typedef void (*cmz__unshuffle_fn)(uint8_t *dst, const uint8_t *planes, ptrdiff_t stride,
                                  size_t nelem, unsigned ts);

/* Bit transpose of nbytes bytes (a multiple of 8) into 8 rows of nbytes / 8 bytes, row b at
 * rows + b * row_stride: bit b of in[i] goes to bit (i % 8) of byte i / 8 of row b (the
 * bitshuffle library's trans_bit_byte). unbitrows is the inverse. */
typedef void (*cmz__bitrows_fn)(uint8_t *rows, size_t row_stride, const uint8_t *in, size_t nbytes);
typedef void (*cmz__unbitrows_fn)(uint8_t *out, const uint8_t *rows, size_t row_stride,
                                  size_t nbytes);

/* Delta coding of nelem little-endian unsigned integers of ts bytes: out[0] = in[0],
 * out[i] = in[i] - in[i - 1] (mod 2^(8 ts)); undelta is the inverse (a prefix sum). */
typedef void (*cmz__delta_fn)(uint8_t *dst, const uint8_t *src, size_t nelem, unsigned ts);

typedef struct {
    const char *name;
    cmz__shuffle_fn shuffle;
    cmz__unshuffle_fn unshuffle;
    cmz__bitrows_fn bitrows;
    cmz__unbitrows_fn unbitrows;
    cmz__delta_fn delta;
    cmz__delta_fn undelta;
} cmz__filter_kernels;

/* The table in use now (forced or the CPU's best); never NULL. */
const cmz__filter_kernels *cmz__filter_kernels_current(void);

/* Per-ISA kernels (shuffle.c, shuffle_sse2.c, shuffle_avx2.c, bitshuffle*.c, delta.c). */
void cmz__shuffle_scalar(uint8_t *planes, ptrdiff_t stride, const uint8_t *src, size_t nelem,
                         unsigned ts);
void cmz__unshuffle_scalar(uint8_t *dst, const uint8_t *planes, ptrdiff_t stride, size_t nelem,
                           unsigned ts);
void cmz__bitrows_scalar(uint8_t *rows, size_t row_stride, const uint8_t *in, size_t nbytes);
void cmz__unbitrows_scalar(uint8_t *out, const uint8_t *rows, size_t row_stride, size_t nbytes);
void cmz__delta_scalar(uint8_t *dst, const uint8_t *src, size_t nelem, unsigned ts);
void cmz__undelta_scalar(uint8_t *dst, const uint8_t *src, size_t nelem, unsigned ts);
#if CMZ_FILTER_X86
void cmz__shuffle_sse2(uint8_t *planes, ptrdiff_t stride, const uint8_t *src, size_t nelem,
                       unsigned ts);
void cmz__unshuffle_sse2(uint8_t *dst, const uint8_t *planes, ptrdiff_t stride, size_t nelem,
                         unsigned ts);
void cmz__bitrows_sse2(uint8_t *rows, size_t row_stride, const uint8_t *in, size_t nbytes);
void cmz__unbitrows_sse2(uint8_t *out, const uint8_t *rows, size_t row_stride, size_t nbytes);
void cmz__delta_sse2(uint8_t *dst, const uint8_t *src, size_t nelem, unsigned ts);
void cmz__undelta_sse2(uint8_t *dst, const uint8_t *src, size_t nelem, unsigned ts);
void cmz__shuffle_avx2(uint8_t *planes, ptrdiff_t stride, const uint8_t *src, size_t nelem,
                       unsigned ts);
void cmz__unshuffle_avx2(uint8_t *dst, const uint8_t *planes, ptrdiff_t stride, size_t nelem,
                         unsigned ts);
void cmz__bitrows_avx2(uint8_t *rows, size_t row_stride, const uint8_t *in, size_t nbytes);
void cmz__unbitrows_avx2(uint8_t *out, const uint8_t *rows, size_t row_stride, size_t nbytes);
void cmz__delta_avx2(uint8_t *dst, const uint8_t *src, size_t nelem, unsigned ts);
void cmz__undelta_avx2(uint8_t *dst, const uint8_t *src, size_t nelem, unsigned ts);
#endif

/* The filters (src and dst sizes already checked by filter.c; n bytes each way except planes,
 * whose filtered size is cmz_filter_bound()). */
void cmz__shuffle_forward(const cmz__filter_kernels *k, unsigned ts, const uint8_t *src, size_t n,
                          uint8_t *dst);
void cmz__shuffle_backward(const cmz__filter_kernels *k, unsigned ts, const uint8_t *src, size_t n,
                           uint8_t *dst);
void cmz__bitshuffle_forward(const cmz__filter_kernels *k, unsigned ts, const uint8_t *src,
                             size_t n, uint8_t *dst);
void cmz__bitshuffle_backward(const cmz__filter_kernels *k, unsigned ts, const uint8_t *src,
                              size_t n, uint8_t *dst);
void cmz__delta_forward(const cmz__filter_kernels *k, unsigned ts, const uint8_t *src, size_t n,
                        uint8_t *dst);
void cmz__delta_backward(const cmz__filter_kernels *k, unsigned ts, const uint8_t *src, size_t n,
                         uint8_t *dst);
size_t cmz__planes_bound(size_t n);
void cmz__planes_forward(const cmz__filter_kernels *k, unsigned ts, const uint8_t *src, size_t n,
                         uint8_t *dst);
/* CMZ_ERR_CORRUPT if src_size or a header byte is wrong. */
cmz_status cmz__planes_backward(const cmz__filter_kernels *k, unsigned ts, const uint8_t *src,
                                size_t src_size, uint8_t *dst, size_t n);
/* The alignment offset (0..ts-1) the planes filter picks for one block (exposed for tests). */
unsigned cmz__planes_pick_alignment(unsigned ts, const uint8_t *block, size_t len);

/* Unaligned little-endian 64-bit load and store for scalar code (one mov on x86). */
static inline uint64_t cmz__load64le(const uint8_t *p) {
    uint64_t v;
    memcpy(&v, p, 8);
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
    v = __builtin_bswap64(v);
#endif
    return v;
}
static inline void cmz__store64le(uint8_t *p, uint64_t v) {
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
    v = __builtin_bswap64(v);
#endif
    memcpy(p, &v, 8);
}

/* Transposes the 8x8 bit matrix in x (byte m, bit b <-> byte b, bit m); its own inverse.
 * From the bitshuffle library (Kiyoshi Masui), after Hacker's Delight 7-3. */
static inline uint64_t cmz__transpose_bits8x8(uint64_t x) {
    uint64_t t;
    t = (x ^ (x >> 7)) & 0x00aa00aa00aa00aaULL;
    x = x ^ t ^ (t << 7);
    t = (x ^ (x >> 14)) & 0x0000cccc0000ccccULL;
    x = x ^ t ^ (t << 14);
    t = (x ^ (x >> 28)) & 0x00000000f0f0f0f0ULL;
    x = x ^ t ^ (t << 28);
    return x;
}

#endif
