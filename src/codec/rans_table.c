/* The frequency tables of cmz's rANS coders (rans, planes; docs/RANS.md, "Table"): their
 * quantisation and cost, their size, writing and strict reading (one encoding per table, so
 * that a damaged table is caught). */
#include "rans_table.h"

#include "../common/internal.h"

#include <string.h>

/* Nibbles (4 bits) a frequency takes in the table: f - 1 in groups of 3 bits. */
static unsigned freq_nibbles(uint32_t f) { return f <= 8 ? 1 : f <= 64 ? 2 : f <= 512 ? 3 : 4; }

/* Symbol set: a u32 mask (bit k set = group k of symbols 8k..8k+7 has a present symbol), then
 * for each set bit, in increasing k, a nonzero byte (bit j = symbol 8k+j present). Returns
 * the set's size in bytes. */
static size_t set_size(const uint32_t *f) {
    size_t at = 4;
    for (unsigned k = 0; k < 32; k++) {
        const uint32_t *g = f + 8 * k;
        at += (g[0] | g[1] | g[2] | g[3] | g[4] | g[5] | g[6] | g[7]) != 0;
    }
    return at;
}

size_t cmz__rans_table_size(const uint32_t *f) {
    size_t nibbles = 0;
    for (unsigned i = 0; i < 256; i++)
        if (f[i]) nibbles += freq_nibbles(f[i]);
    return set_size(f) + (nibbles + 1) / 2;
}

size_t cmz__rans_write_table(const uint32_t *f, uint8_t *out) {
    size_t at = 4;
    uint32_t mask = 0;
    for (unsigned k = 0; k < 32; k++) {
        uint8_t bits = 0;
        for (unsigned j = 0; j < 8; j++)
            if (f[8 * k + j]) bits |= (uint8_t)(1u << j);
        if (bits) {
            mask |= 1u << k;
            out[at++] = bits;
        }
    }
    cmz__put_le32(out, mask);
    size_t tsize = cmz__rans_table_size(f);
    memset(out + at, 0, tsize - at);
    size_t nib = 2 * at; /* nibble position, low nibble of a byte first */
    for (unsigned i = 0; i < 256; i++) {
        if (!f[i]) continue;
        uint32_t v = f[i] - 1;
        do {
            uint32_t d = (v & 7) | (v > 7 ? 8u : 0u);
            out[nib >> 1] |= (uint8_t)(d << (4 * (nib & 1)));
            nib++;
            v >>= 3;
        } while (v);
    }
    return (nib + 1) / 2;
}

size_t cmz__rans_read_table(const uint8_t *p, size_t n, uint32_t *freq) {
    if (n < 4) return 0;
    uint32_t mask = cmz__get_le32(p);
    uint8_t bits[32];
    size_t at = 4;
    for (unsigned k = 0; k < 32; k++) {
        bits[k] = 0;
        if (!(mask & (1u << k))) continue;
        if (at >= n || p[at] == 0) return 0; /* a group in the mask has a present symbol */
        bits[k] = p[at++];
    }
    size_t nib = 2 * at, nmax = 2 * n;
    uint32_t sum = 0;
    for (unsigned i = 0; i < 256; i++) {
        freq[i] = 0;
        if (!(bits[i >> 3] & (1u << (i & 7)))) continue;
        uint32_t v = 0;
        for (unsigned shift = 0;; shift += 3) {
            if (nib >= nmax || shift > 9) return 0;
            uint32_t d = (p[nib >> 1] >> (4 * (nib & 1))) & 15u;
            nib++;
            v |= (d & 7) << shift;
            if (!(d & 8)) {
                if (d == 0 && shift > 0) return 0; /* one value, one encoding */
                break;
            }
        }
        if (v >= TOTAL - sum) return 0; /* f = v + 1 would overshoot M */
        freq[i] = v + 1;
        sum += v + 1;
    }
    if ((nib & 1) && (p[nib >> 1] >> 4) != 0) return 0; /* the padding nibble is 0 */
    return sum == TOTAL ? (nib + 1) / 2 : 0;
}

/* log2(f) in 2^-16 units for 1 <= f <= 4096, by repeated squaring, integer only (the
 * estimate decides the block mode, so every encoder must compute exactly this):
 * e = floor(log2 f); x = f << (30 - e), a Q30 number in [1, 2); then for each of the 16
 * fraction bits, high to low: x = (x * x) >> 30; if x >= 2^31 { x >>= 1; set the bit }. */
uint32_t cmz__rans_log2_q16(uint32_t f) {
    uint32_t e = 0;
    while ((f >> (e + 1)) != 0) e++;
    uint64_t x = (uint64_t)f << (30 - e);
    uint32_t r = e << 16;
    for (int bit = 15; bit >= 0; bit--) {
        x = (x * x) >> 30;
        if (x >= ((uint64_t)1 << 31)) {
            x >>= 1;
            r |= 1u << bit;
        }
    }
    return r;
}

/* Scales counts c (summing to n) to freq summing to TOTAL, every present symbol >= 1.
 * Integer only, ties broken by the lowest symbol: part of the format's reproducibility. */
void cmz__rans_normalise(const uint32_t *c, uint32_t n, uint32_t *f) {
    uint32_t sum = 0, best = 0;
    for (unsigned i = 0; i < 256; i++) {
        f[i] = 0;
        if (!c[i]) continue;
        f[i] = (uint32_t)(((uint64_t)c[i] * TOTAL + n / 2) / n); /* c up to a whole plane */
        if (f[i] == 0) f[i] = 1;
        sum += f[i];
        if (c[i] > c[best]) best = i;
    }
    if (sum < TOTAL) {
        f[best] += TOTAL - sum;
        return;
    }
    while (sum > TOTAL) { /* rounding up the rare symbols overshot: take from the largest */
        unsigned big = 0;
        for (unsigned i = 1; i < 256; i++)
            if (f[i] > f[big]) big = i;
        uint32_t take = f[big] / 4; /* f[big] > TOTAL / 256, so take >= 4 */
        if (take > sum - TOTAL) take = sum - TOTAL;
        f[big] -= take;
        sum -= take;
    }
}

size_t cmz__rans_size_write(uint64_t v, uint8_t *out) {
    size_t n = 0;
    do {
        out[n++] = (uint8_t)((v & 127) | (v >> 7 ? 0x80 : 0));
        v >>= 7;
    } while (v);
    return n;
}

int cmz__rans_size_read(const uint8_t *in, size_t n, size_t *at, uint64_t *v) {
    uint64_t value = 0;
    size_t p = *at;
    for (unsigned shift = 0;; shift += 7) {
        if (p >= n || shift > 63) return -1;
        uint8_t b = in[p++];
        uint64_t group = b & 127;
        if (shift == 63 && group > 1) return -1;
        value |= group << shift;
        if (!(b & 0x80)) {
            if (group == 0 && shift > 0) return -1; /* not the shortest form */
            break;
        }
    }
    *at = p;
    *v = value;
    return 0;
}
