/* "rans": cmz's own order-0 entropy coder for byte planes of typed data (after the planes
 * filter). Huffman (zstd's literals) cannot code a symbol below 1 bit; rANS codes within ~0.1%
 * of the order-0 entropy, which is what the skewed sign/exponent planes of weights need.
 *
 * Byte format (docs/RANS.md is the full specification, with why 4 KiB blocks; little-endian):
 *   The stream starts with raw_size as a LEB128 varint (7 bits a byte, low group first, high
 *   bit = more follows; shortest form, at most 10 bytes), so that a stream decoded against
 *   another size is caught. Then the input, cut into blocks of 4096 bytes (the last one
 *   shorter): ceil(raw_size / 4096) blocks, with nothing between or after them.
 *   A block starts with a mode byte:
 *     0 stored: the block's len bytes as they are.
 *     1 run:    one byte s; the block is len copies of s.
 *     2 coded:  table, then u16 payload size P, then P payload bytes. The table becomes the
 *               stream's current table.
 *     3 reuse:  u16 P, then P payload bytes, coded with the current table (that of the last
 *               mode-2 block before it in the stream; none = corrupt).
 *   Table: u32 mask (bit k = group of symbols 8k..8k+7 has a present one), then per set bit,
 *   increasing k, a nonzero byte (bit j = symbol 8k+j present). Then for every present symbol
 *   in increasing order f - 1 in 4-bit digits (3 value bits, low first, bit 3 = more; at most
 *   4, shortest form), two a byte, low nibble first, an unused last high nibble 0. The
 *   frequencies f >= 1 sum to exactly M = 4096 (SCALE_BITS = 12); cum(s) = sum of f of present
 *   symbols below s.
 *   Payload: four states x0..x3 as u32, then the renormalisation bytes. Symbol i of the block
 *   belongs to state i & 3. Decoding symbol i with state x: slot = x & 4095, s = the symbol
 *   with cum(s) <= slot < cum(s) + f(s), x = f(s) * (x >> 12) + slot - cum(s), then while
 *   x < 2^23: x = (x << 8) | next payload byte. Initial states lie in [2^23, 2^31); after the
 *   last symbol every state is 2^23 and the payload is used up exactly, or the input is
 *   corrupt. The encoder runs backwards (ryg_rans style, byte-wise renormalisation).
 *   Encoder choices (deterministic integer arithmetic, so every implementation emits the same
 *   bytes) are in docs/RANS.md: a full block whose 1 KiB sample looks random is stored
 *   without further counting; mode 1 for one distinct symbol; otherwise an integer estimate
 *   of modes 3 and 2 from the histogram (fixed-point log2 costs, no rANS work) picks the
 *   smaller if it saves len / 64 over stored, else stored without encoding; an encoded block
 *   that is not smaller than stored after all is stored. */
#include "internal.h"
#include "rans_table.h"

#include <string.h>

/* Smaller blocks adapt to fp32 planes better than their tables cost, down to 4 KiB, where the
 * ratio levels off (see docs/BENCH.md, "Figures behind constants in the code"). */
#define BLOCK_SIZE 4096u
#define RANS_L (1u << 23) /* lower bound of a normalised state */
#define NSTATES 4
/* Each symbol emits at most 2 bytes (x < 2^31, x_max >= 2^19): the encoder's worst case. */
#define SCRATCH_SIZE (2u * BLOCK_SIZE + 4u * NSTATES)
#define LOG_BITS 16u    /* fixed-point fraction bits of the cost estimate */
#define MARGIN_SHIFT 6u /* code a block only when estimated to save len / 64 */

enum { MODE_STORED = 0, MODE_RUN = 1, MODE_CODED = 2, MODE_REUSE = 3 };

typedef struct {
    uint32_t x_max; /* renormalise (emit bytes) while x >= x_max */
    uint32_t rcp;   /* ceil(2^shift / f): x / f == (x * rcp) >> shift for x < 2^31 */
    uint32_t bias;  /* cum(s) */
    uint32_t cmpl;  /* TOTAL - f */
    uint32_t shift;
} enc_sym;

typedef struct {
    uint32_t count[4][256];
    uint32_t freq[256];       /* the block's own table (encoder) or the table read (decoder) */
    uint32_t prev[256];       /* encoder: the table in effect (last mode-2 block), 0 = absent */
    uint32_t cost[TOTAL + 1]; /* cost[f] = bits of a symbol of frequency f, 2^-16 units */
    int cost_ready;
    enc_sym esym[256];
    uint32_t dfb[TOTAL]; /* decode: freq | (slot - cum) << 16 */
    uint8_t dsym[TOTAL]; /* decode: symbol of a slot */
    uint8_t scratch[SCRATCH_SIZE];
} rans_state;

static const char *rans_version(void) { return CMZ_VERSION_STRING; }

static size_t block_count(size_t n) { return n / BLOCK_SIZE + (n % BLOCK_SIZE != 0); }

static size_t rans_bound(size_t n) {
    size_t blocks = block_count(n);
    if (n > SIZE_MAX - blocks - RANS_SIZE_FIELD_MAX) return 0;
    return n + blocks + RANS_SIZE_FIELD_MAX;
}

static rans_state *get_state(void **state) {
    if (!*state) {
        rans_state *s = cmz__malloc(sizeof(rans_state));
        if (s) s->cost_ready = 0;
        *state = s;
    }
    return *state;
}

/* ---- cost estimate ------------------------------------------------------------------ */

static void init_cost(rans_state *s) {
    if (s->cost_ready) return;
    s->cost[0] = 0;
    for (uint32_t f = 1; f <= TOTAL; f++)
        s->cost[f] = (SCALE_BITS << LOG_BITS) - cmz__rans_log2_q16(f);
    s->cost_ready = 1;
}

/* Estimated payload bytes of the block's counts coded with table f: 16 bytes of states plus
 * ceil-free sum(count * cost(f)) / 2^19; SIZE_MAX when a present symbol has f = 0. */
static size_t estimate(const rans_state *s, const uint32_t *f) {
    const uint32_t *c = s->count[0];
    uint64_t bits = 0;
    for (unsigned i = 0; i < 256; i++) {
        if (!c[i]) continue;
        if (!f[i]) return SIZE_MAX;
        bits += (uint64_t)c[i] * s->cost[f[i]];
    }
    return (size_t)(bits >> (LOG_BITS + 3)) + 4u * NSTATES;
}

/* ---- frequency table ---------------------------------------------------------------- */

/* Adds the bytes p[0..n) to the four sub-histograms count[0..3]. Four of them break the
 * store-to-load chains of repeated bytes. */
static void count_bytes(rans_state *s, const uint8_t *p, size_t n) {
    uint32_t *c0 = s->count[0], *c1 = s->count[1], *c2 = s->count[2], *c3 = s->count[3];
    size_t i = 0;
    for (; i + 8 <= n; i += 8) {
        uint64_t w;
        memcpy(&w, p + i, 8);
        c0[w & 255]++;
        c1[(w >> 8) & 255]++;
        c2[(w >> 16) & 255]++;
        c3[(w >> 24) & 255]++;
        c0[(w >> 32) & 255]++;
        c1[(w >> 40) & 255]++;
        c2[(w >> 48) & 255]++;
        c3[w >> 56]++;
    }
    for (; i < n; i++) c0[p[i]]++;
}

/* The sample test (docs/RANS.md, "Choice of the block mode", step 0): a full block whose
 * sample of SAMPLE_PIECES pieces of SAMPLE_PIECE bytes is near-random is stored without
 * counting the rest. Most blocks of float weights are mantissa planes; for them this skips
 * three quarters of the histogram, the larger part of what compression costs there. Counts
 * the sample into the sub-histograms (the caller zeroed them); 1 = store the block. */
#define SAMPLE_PIECES 4u
#define SAMPLE_PIECE 256u
#define SAMPLE_STRIDE (BLOCK_SIZE / SAMPLE_PIECES)
/* Stored when the sample's empirical entropy exceeds 7.75 bits a byte (that of 1 KiB of
 * random bytes is ~7.82: with ~200 symbols it reads ~0.15 bit low, so a block this test
 * stores would save under ~1.5%, less than the len / 64 margin asks anyway). The entropy of
 * the 1024-byte sample is log2(1024) - (sum c lg c) / 1024 bits, so the block is kept when
 * sum c lg c >= (10 - 7.75) * 1024 = 2304 bits, in 2^-16 units. */
_Static_assert(SAMPLE_PIECES *SAMPLE_PIECE == 1024, "the threshold assumes a 1 KiB sample");
#define SAMPLE_KEEP_MIN ((uint64_t)2304 << LOG_BITS)
static int sample_is_random(rans_state *s, const uint8_t *p) {
    for (unsigned k = 0; k < SAMPLE_PIECES; k++)
        count_bytes(s, p + k * SAMPLE_STRIDE, SAMPLE_PIECE);
    const uint32_t *c0 = s->count[0], *c1 = s->count[1], *c2 = s->count[2], *c3 = s->count[3];
    uint64_t sum = 0; /* sum of c lg c, lg c = 12 * 2^16 - cost[c] */
    for (unsigned v = 0; v < 256; v++) {
        uint32_t c = c0[v] + c1[v] + c2[v] + c3[v];
        sum += (uint64_t)c * ((SCALE_BITS << LOG_BITS) - s->cost[c]);
    }
    return sum < SAMPLE_KEEP_MIN;
}

/* Counts of one block into count[0], the sample's counts (if sampled) already in count[0..3];
 * returns the number of distinct symbols, *only gets the last one seen. */
static unsigned histogram(rans_state *s, const uint8_t *p, size_t n, int sampled, unsigned *only) {
    if (!sampled) {
        count_bytes(s, p, n);
    } else {
        for (unsigned k = 0; k < SAMPLE_PIECES; k++)
            count_bytes(s, p + k * SAMPLE_STRIDE + SAMPLE_PIECE, SAMPLE_STRIDE - SAMPLE_PIECE);
    }
    uint32_t *c0 = s->count[0], *c1 = s->count[1], *c2 = s->count[2], *c3 = s->count[3];
    unsigned distinct = 0;
    for (unsigned c = 0; c < 256; c++) {
        c0[c] += c1[c] + c2[c] + c3[c];
        if (c0[c]) {
            distinct++;
            *only = c;
        }
    }
    return distinct;
}

/* ---- encoder ------------------------------------------------------------------------ */

static void build_encoder(rans_state *s, const uint32_t *freq) {
    uint32_t cum = 0;
    for (unsigned i = 0; i < 256; i++) {
        uint32_t f = freq[i];
        if (!f) continue;
        unsigned l = 0;
        while ((1u << l) < f) l++;
        enc_sym *e = &s->esym[i];
        e->shift = 31 + l;
        /* m = ceil(2^(31+l) / f) < 2^32; with f <= 2^l, floor(x*m >> (31+l)) = x / f for every
         * x < 2^31 (Granlund-Montgomery), and x * m < 2^63. */
        e->rcp = (uint32_t)((((uint64_t)1 << (31 + l)) + f - 1) / f);
        e->x_max = ((RANS_L >> SCALE_BITS) << 8) * f;
        e->bias = cum;
        e->cmpl = TOTAL - f;
        cum += f;
    }
}

static inline uint32_t enc_put(uint32_t x, const enc_sym *e, uint8_t **pp) {
    /* Branch-free renormalisation: whether a state emits 0, 1 or 2 bytes is close to random
     * on the planes of weights, so branches here mispredicted often (see docs/BENCH.md,
     * "Figures behind constants in the code"). The state emits one byte when
     * x >= x_max and a second when x >> 8 >= x_max, i.e. x >= 256 x_max (at most two: x < 2^31
     * and x_max >= 2^19). Both bytes are stored always and the pointer moves only past those
     * that count; p - 2 stays inside the scratch (room for 2 bytes a symbol). */
    uint8_t *p = *pp;
    uint64_t x_max = e->x_max;
    uint32_t emit = (uint32_t)(x >= x_max) + (uint32_t)(x >= x_max << 8);
    p[-1] = (uint8_t)x;
    p[-2] = (uint8_t)(x >> 8);
    p -= emit;
    x >>= 8 * emit;
    *pp = p;
    uint32_t q = (uint32_t)(((uint64_t)x * e->rcp) >> e->shift);
    return x + e->bias + q * e->cmpl;
}

/* Codes src[0..n) with s->esym into the end of s->scratch; returns the payload's start. */
static uint8_t *encode_block(rans_state *s, const uint8_t *src, size_t n) {
    const enc_sym *es = s->esym;
    uint8_t *p = s->scratch + SCRATCH_SIZE;
    uint32_t x0 = RANS_L, x1 = RANS_L, x2 = RANS_L, x3 = RANS_L;
    size_t i = n;
    while (i & 3) { /* the tail: symbol i goes to state i & 3 */
        i--;
        switch (i & 3) {
        case 0: x0 = enc_put(x0, &es[src[i]], &p); break;
        case 1: x1 = enc_put(x1, &es[src[i]], &p); break;
        default: x2 = enc_put(x2, &es[src[i]], &p); break;
        }
    }
    while (i > 0) {
        i -= 4;
        x3 = enc_put(x3, &es[src[i + 3]], &p);
        x2 = enc_put(x2, &es[src[i + 2]], &p);
        x1 = enc_put(x1, &es[src[i + 1]], &p);
        x0 = enc_put(x0, &es[src[i]], &p);
    }
    p -= 4 * NSTATES;
    cmz__put_le32(p, x0);
    cmz__put_le32(p + 4, x1);
    cmz__put_le32(p + 8, x2);
    cmz__put_le32(p + 12, x3);
    return p;
}

static cmz_status rans_compress(void **state, int level, void *dst, size_t cap, const void *src,
                                size_t n, size_t *written) {
    (void)level;
    rans_state *s = get_state(state);
    if (!s) return CMZ_ERR_NOMEM;
    init_cost(s);
    const uint8_t *in = src;
    uint8_t *out = dst;
    uint8_t head[RANS_SIZE_FIELD_MAX];
    int have_prev = 0; /* a mode-2 block earlier in this stream: its table is s->prev */
    size_t at = cmz__rans_size_write(n, head);
    if (cap < at) return CMZ_ERR_DST_TOO_SMALL;
    memcpy(out, head, at);
    for (size_t start = 0; start < n; start += BLOCK_SIZE) {
        size_t len = n - start < BLOCK_SIZE ? n - start : BLOCK_SIZE;
        const uint8_t *b = in + start;
        unsigned only = 0;
        memset(s->count, 0, sizeof s->count);
        int sampled = len == BLOCK_SIZE;
        if (sampled && sample_is_random(s, b)) goto stored;
        unsigned distinct = histogram(s, b, len, sampled, &only);
        if (distinct == 1) {
            if (cap - at < 2) return CMZ_ERR_DST_TOO_SMALL;
            out[at++] = MODE_RUN;
            out[at++] = (uint8_t)only;
            continue;
        }
        /* Estimated sizes (after the mode byte) of mode 3 and of mode 2; neither is tried
         * unless it beats stored by len / 64. */
        size_t est_reuse = have_prev ? estimate(s, s->prev) : SIZE_MAX;
        if (est_reuse != SIZE_MAX) est_reuse += 2;
        cmz__rans_normalise(s->count[0], (uint32_t)len, s->freq);
        size_t tsize = cmz__rans_table_size(s->freq);
        size_t est_own = estimate(s, s->freq) + tsize + 2;
        size_t limit = len - (len >> MARGIN_SHIFT);
        int mode = MODE_STORED;
        if (est_reuse <= est_own && est_reuse < limit) mode = MODE_REUSE;
        else if (est_own < est_reuse && est_own < limit) mode = MODE_CODED;
        if (mode != MODE_STORED) {
            if (mode == MODE_CODED) build_encoder(s, s->freq);
            uint8_t *payload = encode_block(s, b, len);
            size_t psize = (size_t)(s->scratch + SCRATCH_SIZE - payload);
            size_t total = (mode == MODE_CODED ? tsize : 0) + 2 + psize;
            if (total < len) {
                if (cap - at < 1 + total) return CMZ_ERR_DST_TOO_SMALL;
                out[at++] = (uint8_t)mode;
                if (mode == MODE_CODED) {
                    at += cmz__rans_write_table(s->freq, out + at);
                    memcpy(s->prev, s->freq, sizeof s->prev);
                    have_prev = 1;
                }
                cmz__put_le16(out + at, (uint16_t)psize);
                at += 2;
                memcpy(out + at, payload, psize);
                at += psize;
                continue;
            }
            /* Not smaller after all: stored. The encoder keeps the table in effect. */
            if (have_prev) build_encoder(s, s->prev);
        }
    stored:
        if (cap - at < 1 + len) return CMZ_ERR_DST_TOO_SMALL;
        out[at++] = MODE_STORED;
        memcpy(out + at, b, len);
        at += len;
    }
    *written = at;
    return CMZ_OK;
}

/* ---- decoder ------------------------------------------------------------------------ */

static void build_decoder(rans_state *s) {
    uint32_t cum = 0;
    for (unsigned i = 0; i < 256; i++) {
        uint32_t f = s->freq[i];
        for (uint32_t k = 0; k < f; k++) {
            s->dfb[cum + k] = f | (k << 16);
            s->dsym[cum + k] = (uint8_t)i;
        }
        cum += f;
    }
}

#define DEC_STEP(x, o)                                          \
    do {                                                        \
        uint32_t slot_ = (x) & (TOTAL - 1), e_ = dfb[slot_];    \
        (o) = dsym[slot_];                                      \
        (x) = (e_ & 0xffff) * ((x) >> SCALE_BITS) + (e_ >> 16); \
    } while (0)

/* Decodes one coded payload p[0..n) into out[0..len); CMZ_OK or CMZ_ERR_CORRUPT. */
/* Branch-free, like enc_put: reads the next byte always, consumes it only when needed. */
#define DEC_RENORM(x)                     \
    do {                                  \
        uint32_t b_ = (x) < RANS_L;       \
        (x) = b_ ? ((x) << 8) | *p : (x); \
        p += b_;                          \
        b_ = (x) < RANS_L;                \
        (x) = b_ ? ((x) << 8) | *p : (x); \
        p += b_;                          \
    } while (0)

static cmz_status decode_block(const rans_state *s, const uint8_t *p, size_t n, uint8_t *out,
                               size_t len) {
    const uint32_t *dfb = s->dfb;
    const uint8_t *dsym = s->dsym;
    if (n < 4 * NSTATES) return CMZ_ERR_CORRUPT;
    uint32_t x[NSTATES];
    for (int k = 0; k < NSTATES; k++) {
        x[k] = cmz__get_le32(p + 4 * k);
        if (x[k] < RANS_L || x[k] >= (1u << 31)) return CMZ_ERR_CORRUPT;
    }
    const uint8_t *end = p + n;
    p += 4 * NSTATES;
    uint32_t x0 = x[0], x1 = x[1], x2 = x[2], x3 = x[3];
    size_t i = 0;
    /* States stay in [2^23, 2^31): a step leaves x >= 2^11, so at most 2 bytes per symbol,
     * 8 per round: the loop's condition keeps every read of DEC_RENORM inside the payload. */
    while (len - i >= 4 && (size_t)(end - p) >= 8) {
        DEC_STEP(x0, out[i]);
        DEC_STEP(x1, out[i + 1]);
        DEC_STEP(x2, out[i + 2]);
        DEC_STEP(x3, out[i + 3]);
        DEC_RENORM(x0);
        DEC_RENORM(x1);
        DEC_RENORM(x2);
        DEC_RENORM(x3);
        i += 4;
    }
    x[0] = x0, x[1] = x1, x[2] = x2, x[3] = x3;
    for (; i < len; i++) { /* the last symbols, reading with a bounds check */
        uint32_t *xs = &x[i & 3];
        DEC_STEP(*xs, out[i]);
        while (*xs < RANS_L) {
            if (p == end) return CMZ_ERR_CORRUPT;
            *xs = (*xs << 8) | *p++;
        }
    }
    if (p != end) return CMZ_ERR_CORRUPT;
    for (int k = 0; k < NSTATES; k++)
        if (x[k] != RANS_L) return CMZ_ERR_CORRUPT;
    return CMZ_OK;
}

static cmz_status rans_decompress(void **state, void *dst, size_t raw_size, const void *src,
                                  size_t n) {
    const uint8_t *in = src;
    uint8_t *out = dst;
    rans_state *s = NULL;
    int have_table = 0; /* a mode-2 block decoded: its table is in s->dfb, s->dsym */
    size_t at = 0;
    uint64_t declared = 0;
    if (cmz__rans_size_read(in, n, &at, &declared) != 0 || declared != raw_size)
        return CMZ_ERR_CORRUPT;
    for (size_t start = 0; start < raw_size; start += BLOCK_SIZE) {
        size_t len = raw_size - start < BLOCK_SIZE ? raw_size - start : BLOCK_SIZE;
        if (at >= n) return CMZ_ERR_CORRUPT;
        uint8_t mode = in[at++];
        if (mode == MODE_STORED) {
            if (n - at < len) return CMZ_ERR_CORRUPT;
            memcpy(out + start, in + at, len);
            at += len;
        } else if (mode == MODE_RUN) {
            if (at >= n) return CMZ_ERR_CORRUPT;
            memset(out + start, in[at++], len);
        } else if (mode == MODE_CODED || mode == MODE_REUSE) {
            if (mode == MODE_CODED) {
                if (!s && !(s = get_state(state))) return CMZ_ERR_NOMEM;
                size_t tsize = cmz__rans_read_table(in + at, n - at, s->freq);
                if (!tsize) return CMZ_ERR_CORRUPT;
                at += tsize;
                build_decoder(s);
                have_table = 1;
            } else if (!have_table) {
                return CMZ_ERR_CORRUPT; /* no mode-2 block before it in this stream */
            }
            if (n - at < 2) return CMZ_ERR_CORRUPT;
            size_t psize = cmz__get_le16(in + at);
            at += 2;
            if (n - at < psize) return CMZ_ERR_CORRUPT;
            cmz_status st = decode_block(s, in + at, psize, out + start, len);
            if (st != CMZ_OK) return st;
            at += psize;
        } else {
            return CMZ_ERR_CORRUPT;
        }
    }
    return at == n ? CMZ_OK : CMZ_ERR_CORRUPT;
}

static void rans_state_free(void *state) { cmz__free(state); }

const cmz_codec cmz__codec_rans = {
    .name = "rans",
    .id = CMZ_CODEC_RANS,
    .min_level = 0,
    .max_level = 0,
    .default_level = 0,
    .default_chunk_size = 1u << 20,
    .library_version = rans_version,
    .bound = rans_bound,
    .compress = rans_compress,
    .decompress = rans_decompress,
    .state_free = rans_state_free,
};
