/* Byte shuffle (filter id 1, Blosc's shuffle): the scalar kernels and the filter.
 *
 * Layout (docs/FILTERS.md): with m = n / ts whole elements, out[k * m + i] = in[i * ts + k]
 * for k < ts, i < m; the trailing n % ts bytes follow unchanged at out[m * ts ..]. */
#include "internal.h"

/* Fixed-typesize loops let the compiler unroll the inner byte loop. */
#define SHUFFLE_LOOP(TS)                    \
    for (size_t i = 0; i < nelem; i++)      \
        for (unsigned k = 0; k < (TS); k++) \
            planes[(ptrdiff_t)k * stride + (ptrdiff_t)i] = src[i * (TS) + k];

void cmz__shuffle_scalar(uint8_t *planes, ptrdiff_t stride, const uint8_t *src, size_t nelem,
                         unsigned ts) {
    switch (ts) {
    case 2: SHUFFLE_LOOP(2) break;
    case 4: SHUFFLE_LOOP(4) break;
    case 8: SHUFFLE_LOOP(8) break;
    default: SHUFFLE_LOOP(ts) break;
    }
}

#define UNSHUFFLE_LOOP(TS)                  \
    for (size_t i = 0; i < nelem; i++)      \
        for (unsigned k = 0; k < (TS); k++) \
            dst[i * (TS) + k] = planes[(ptrdiff_t)k * stride + (ptrdiff_t)i];

void cmz__unshuffle_scalar(uint8_t *dst, const uint8_t *planes, ptrdiff_t stride, size_t nelem,
                           unsigned ts) {
    switch (ts) {
    case 2: UNSHUFFLE_LOOP(2) break;
    case 4: UNSHUFFLE_LOOP(4) break;
    case 8: UNSHUFFLE_LOOP(8) break;
    default: UNSHUFFLE_LOOP(ts) break;
    }
}

void cmz__shuffle_forward(const cmz__filter_kernels *k, unsigned ts, const uint8_t *src, size_t n,
                          uint8_t *dst) {
    size_t m = n / ts, whole = m * ts;
    if (m) k->shuffle(dst, (ptrdiff_t)m, src, m, ts);
    if (n > whole) memcpy(dst + whole, src + whole, n - whole);
}

void cmz__shuffle_backward(const cmz__filter_kernels *k, unsigned ts, const uint8_t *src, size_t n,
                           uint8_t *dst) {
    size_t m = n / ts, whole = m * ts;
    if (m) k->unshuffle(dst, src, (ptrdiff_t)m, m, ts);
    if (n > whole) memcpy(dst + whole, src + whole, n - whole);
}
