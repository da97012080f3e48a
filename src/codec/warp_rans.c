/* The planes codec's segment coder: 32 interleaved rANS states, a GPU warp's lanes emulated one
 * after the other (warp_rans.h; docs/PLANES.md, "Segment"). Each loop over `lane` is what one
 * warp step does in parallel; the word order (steps in order, lanes in increasing order within
 * a step) is what a ballot and a prefix count give a warp. */
#include "warp_rans.h"

#include "../common/internal.h"

#include <string.h>

void cmz__wr_encoder_init(wr_encoder *e, const uint32_t *freq) {
    uint32_t cum = 0;
    for (unsigned s = 0; s < 256; s++) {
        uint32_t f = freq[s];
        wr_symbol *y = &e->sym[s];
        memset(y, 0, sizeof *y);
        if (!f) continue;
        unsigned l = 0;
        while ((1u << l) < f) l++;
        /* m = ceil(2^(31+l) / f) < 2^32; with f <= 2^l, (x * m) >> (31+l) = x / f for every
         * x < 2^31 (Granlund-Montgomery), and x * m < 2^63. */
        y->shift = 31 + l;
        y->rcp = (uint32_t)((((uint64_t)1 << (31 + l)) + f - 1) / f);
        y->x_max = (WR_STATE_HIGH >> SCALE_BITS) * f;
        y->bias = cum;
        y->cmpl = TOTAL - f;
        cum += f;
    }
}

cmz_status cmz__wr_decoder_init(wr_decoder *d, const uint32_t *freq) {
    uint32_t cum = 0;
    for (unsigned s = 0; s < 256; s++) {
        uint32_t f = freq[s];
        if (f >= TOTAL) return CMZ_ERR_CORRUPT;
        for (uint32_t k = 0; k < f; k++) d->entry[cum + k] = f | k << 12 | (uint32_t)s << 24;
        cum += f;
    }
    return CMZ_OK;
}

/* One symbol into state x: renormalise (at most one word out, written backwards; branch-free,
 * since whether a lane emits is close to random), then x = (x / f) * TOTAL + x % f + cum,
 * computed as x + cum + (x / f) * (TOTAL - f). x < 2^19 f before the update keeps x < 2^31. */
static inline uint32_t encode_symbol(const wr_encoder *e, uint32_t x, unsigned s, uint16_t **w) {
    const wr_symbol *y = &e->sym[s];
    uint32_t emit = x >= y->x_max;
    (*w)[-1] = (uint16_t)x;
    *w -= emit;
    x >>= 16 * emit;
    uint32_t q = (uint32_t)(((uint64_t)x * y->rcp) >> y->shift);
    return x + y->bias + q * y->cmpl;
}

size_t cmz__wr_encode(const wr_encoder *e, const uint8_t *seg, size_t n, uint8_t *out,
                      uint16_t *words) {
    uint32_t x[WR_LANES];
    for (unsigned lane = 0; lane < WR_LANES; lane++) x[lane] = WR_STATE_LOW;
    uint16_t *w = words + n; /* words are written backwards: the decoder reads forwards */
    size_t steps = (n + WR_LANES - 1) / WR_LANES, full = n / WR_LANES;
    for (size_t t = steps; t-- > 0;) {
        const uint8_t *sym = seg + t * WR_LANES;
        if (t < full) {
            for (unsigned lane = WR_LANES; lane-- > 0;)
                x[lane] = encode_symbol(e, x[lane], sym[lane], &w);
        } else { /* the last, partial step: lanes past n are idle */
            for (unsigned lane = (unsigned)(n - t * WR_LANES); lane-- > 0;)
                x[lane] = encode_symbol(e, x[lane], sym[lane], &w);
        }
    }
    for (unsigned lane = 0; lane < WR_LANES; lane++) cmz__put_le32(out + 4 * lane, x[lane]);
    size_t count = (size_t)(words + n - w);
    uint8_t *o = out + WR_STATES_SIZE;
    for (size_t k = 0; k < count; k++) cmz__put_le16(o + 2 * k, w[k]);
    return count;
}

/* Decoding a symbol from state x: the slot x & 4095 picks the symbol, x = f * (x >> 12) +
 * slot - cum, then one word in when x fell below 2^15 (x >= 2^15 before means x >= 8 after
 * the step, so one word always renormalises). */
cmz_status cmz__wr_decode(const wr_decoder *d, const uint8_t *in, size_t words, uint8_t *seg,
                          size_t n) {
    uint32_t x[WR_LANES];
    for (unsigned lane = 0; lane < WR_LANES; lane++) {
        x[lane] = cmz__get_le32(in + 4 * lane);
        if (x[lane] < WR_STATE_LOW || x[lane] >= WR_STATE_HIGH) return CMZ_ERR_CORRUPT;
    }
    const uint8_t *w = in + WR_STATES_SIZE, *end = w + 2 * words;
    size_t full = n / WR_LANES, t = 0;
    /* Full steps while 32 words are surely left: no bounds check per word. */
    for (; t < full && (size_t)(end - w) >= 2 * WR_LANES; t++) {
        uint8_t *sym = seg + t * WR_LANES;
        /* A warp step in two passes: the 32 table look-ups are independent of each other,
         * only the word reads chain through w (what a warp's prefix count does at once). */
        for (unsigned lane = 0; lane < WR_LANES; lane++) {
            uint32_t e_ = d->entry[x[lane] & (TOTAL - 1)];
            sym[lane] = (uint8_t)(e_ >> 24);
            x[lane] = (e_ & (TOTAL - 1)) * (x[lane] >> SCALE_BITS) + ((e_ >> 12) & (TOTAL - 1));
        }
        for (unsigned lane = 0; lane < WR_LANES; lane++) {
            uint32_t need = x[lane] < WR_STATE_LOW, word = cmz__get_le16(w);
            x[lane] = need ? x[lane] << 16 | word : x[lane];
            w += 2 * need;
        }
    }
    /* The rest, checking that each word read lies inside the segment. */
    for (size_t i = t * WR_LANES; i < n; i++) {
        uint32_t *xl = &x[i % WR_LANES];
        uint32_t e_ = d->entry[*xl & (TOTAL - 1)];
        seg[i] = (uint8_t)(e_ >> 24);
        *xl = (e_ & (TOTAL - 1)) * (*xl >> SCALE_BITS) + ((e_ >> 12) & (TOTAL - 1));
        if (*xl < WR_STATE_LOW) {
            if (w == end) return CMZ_ERR_CORRUPT;
            *xl = *xl << 16 | cmz__get_le16(w);
            w += 2;
        }
    }
    if (w != end) return CMZ_ERR_CORRUPT;
    for (unsigned lane = 0; lane < WR_LANES; lane++)
        if (x[lane] != WR_STATE_LOW) return CMZ_ERR_CORRUPT;
    return CMZ_OK;
}
