/* float32 -> float16 (IEEE binary16) and -> bfloat16 conversion, round to nearest even,
 * on bit patterns (no FPU rounding mode involved, the same on every machine). Header-only. */
#ifndef CMZ_BENCH_HALFCONV_H
#define CMZ_BENCH_HALFCONV_H

#include <stdint.h>

/* IEEE half: subnormals rounded correctly, overflow to infinity, NaN stays NaN (quiet, the
 * top mantissa bits kept), infinities kept. */
static inline uint16_t f32_to_f16(uint32_t x) {
    uint32_t sign = (x >> 16) & 0x8000u;
    uint32_t exp = (x >> 23) & 0xffu;
    uint32_t mant = x & 0x7fffffu;
    if (exp == 0xff) /* inf or NaN */
        return (uint16_t)(sign | 0x7c00u | (mant ? 0x200u | (mant >> 13) : 0));
    if (exp >= 143) return (uint16_t)(sign | 0x7c00u); /* >= 2^16: beyond half's range */
    if (exp >= 113) {                                  /* normal half */
        uint32_t h = ((exp - 112) << 10) | (mant >> 13);
        uint32_t rest = mant & 0x1fffu;
        if (rest > 0x1000u || (rest == 0x1000u && (h & 1))) h++; /* may carry to inf */
        return (uint16_t)(sign | h);
    }
    if (exp < 102) return (uint16_t)sign; /* below half the smallest subnormal */
    /* subnormal half: m * 2^-24; the float is M * 2^(exp-150), M with its implicit bit */
    uint32_t m = mant | 0x800000u;
    unsigned shift = 126 - exp; /* 14..24 */
    uint32_t q = m >> shift;
    uint32_t rest = m & ((1u << shift) - 1);
    uint32_t halfway = 1u << (shift - 1);
    if (rest > halfway || (rest == halfway && (q & 1))) q++; /* 0x400: smallest normal */
    return (uint16_t)(sign | q);
}

/* bfloat16: the top 16 bits, rounded to nearest even; NaN made quiet so that rounding can
 * never turn it into infinity. */
static inline uint16_t f32_to_bf16(uint32_t x) {
    if ((x & 0x7fffffffu) > 0x7f800000u) return (uint16_t)((x >> 16) | 0x40u);
    return (uint16_t)((x + 0x7fffu + ((x >> 16) & 1u)) >> 16);
}

#endif
