/* Float byte planes (filter id 4): the byte planes of fp16/bf16 (ts 2), fp32 (4) or fp64 (8)
 * numbers, with the float alignment found per block.
 *
 * Why: model files (ONNX) keep each tensor's raw bytes at an arbitrary offset, so the first
 * float of a buffer may start at any byte. A shuffle that assumes offset 0 then mixes the
 * exponent byte with mantissa bytes. Here each 64 KiB block picks the offset whose would-be
 * most significant byte (sign and exponent of a little-endian float) has the lowest entropy,
 * and the planes of all blocks are stored plane by plane, so the exponent plane of the whole
 * buffer is one run of bytes that a codec (or an entropy coder of its own) can take.
 *
 * Layout (the format; also docs/FILTERS.md). n input bytes, ts = typesize:
 *   - blocks: block b is input bytes [65536 b, min(65536 (b+1), n)), L_b bytes;
 *     nb = ceil(n / 65536) blocks (none when n = 0).
 *   - a_b (0 <= a_b < ts) is block b's alignment; lead_b = min(a_b, L_b) bytes of the block
 *     come before its first whole element, e_b = (L_b - lead_b) / ts whole elements follow,
 *     then tail_b = (L_b - lead_b) % ts bytes. E = sum of e_b; P_b = sum of e_c for c < b.
 *   - output, nb + n bytes:
 *       [0, nb)                      a_0, a_1, ..., a_{nb-1}, one byte each
 *       [nb + q E, nb + (q + 1) E)   plane q, q = 0 .. ts-1: byte ts-1-q of each element
 *                                    (plane 0 = most significant byte = sign/exponent);
 *                                    block b's elements at P_b .. P_b + e_b - 1, in order
 *       [nb + ts E, nb + n)          raw bytes: for each block in order, its lead_b leading
 *                                    bytes, then its tail_b trailing bytes
 *   Sign swap, ts = 4 only: in every element, bit 7 of plane 0 and bit 7 of plane 1 trade
 *   places before the planes are stored (ZipNN's observation), so that plane 0 holds the 8
 *   exponent bits of fp32 and plane 1 the sign. The exponent's lowest bit depends on its
 *   other bits, the sign hardly on anything, so the exponent plane codes smaller (docs/BENCH.md,
 *   "Figures behind constants in the code"). Not for ts = 2, where fp16 cannot be told
 *   from bf16: it gained bf16 less than it cost fp16 (docs/BENCH.md, "Figures behind
 *   constants in the code").
 *   A decoder rejects (CMZ_ERR_CORRUPT) a filtered size other than nb + n and any a_b >= ts.
 *
 * The choice of a_b is the encoder's (any a_b < ts decodes); this encoder's rule, so that
 * its output is reproducible: sample S = the whole block if L_b <= 4096, else the 4 pieces of
 * 1024 bytes at block offsets 8 floor(p L_b / 32), p = 0..3 (offsets relative to the block);
 * a piece or a whole-block sample is cut to a multiple of ts bytes. For each residue
 * r = 0..ts-1, count the 256 byte values at sample positions q with q % ts == r (q relative
 * to the block start), and score H_r = sum over counts c of c log2 c (0 log2 0 = 0), log2
 * computed as in log2_q23 below (to within 0.01, the same result everywhere); all classes
 * have the same size, so a larger H_r means a lower order-0 entropy.
 * a_b = the smallest a maximising H_{(a + ts - 1) % ts}. */
#include "internal.h"
#include "../common/internal.h"

#define BLOCK CMZ_FILTER_PLANES_BLOCK
#define SAMPLE_PIECES 4
#define SAMPLE_PIECE 1024

size_t cmz__planes_bound(size_t n) {
    size_t nb = n / BLOCK + (n % BLOCK != 0);
    return n > SIZE_MAX - nb ? 0 : n + nb;
}

/* log2 c in units of 2^-23 for 1 <= c < 2^24: the exponent and mantissa of c as a float
 * (exact for such c) give e + f with c = 2^e (1 + f); log2(1 + f) is taken as
 * f + (2839 / 8192) f (1 - f) (error below 0.008). Integer arithmetic on the float's bits,
 * so the result is the same on every machine and with every compiler. */
static uint32_t log2_q23(uint32_t c) {
    float x = (float)c;
    uint32_t bits;
    memcpy(&bits, &x, 4);
    uint32_t f = bits & 0x7fffff, e = (bits >> 23) - 127;
    uint32_t bend = (uint32_t)(((uint64_t)f * ((1u << 23) - f)) >> 23);
    return (e << 23) + f + (uint32_t)(((uint64_t)bend * 2839) >> 13);
}

/* Counts the bytes of each residue class r (position % ts) of p[0 .. len - len % ts).
 * A loop per typesize keeps the ts increments of an element independent and unrolled. */
#define COUNT_LOOP(TS)                             \
    for (size_t i = 0; i + (TS) <= len; i += (TS)) \
        for (unsigned r = 0; r < (TS); r++) hist[r][p[i + r]]++;
static void count_piece(uint16_t (*hist)[256], unsigned ts, const uint8_t *p, size_t len) {
    switch (ts) {
    case 2: COUNT_LOOP(2) break;
    case 4: COUNT_LOOP(4) break;
    default: COUNT_LOOP(8) break;
    }
}

unsigned cmz__planes_pick_alignment(unsigned ts, const uint8_t *block, size_t len) {
    uint16_t hist[8][256];
    memset(hist, 0, sizeof hist[0] * ts);
    if (len <= SAMPLE_PIECES * SAMPLE_PIECE) {
        count_piece(hist, ts, block, len);
    } else {
        for (size_t p = 0; p < SAMPLE_PIECES; p++)
            count_piece(hist, ts, block + 8 * (p * len / 32), SAMPLE_PIECE);
    }
    uint64_t score[8];
    for (unsigned r = 0; r < ts; r++) {
        score[r] = 0;
        for (unsigned v = 0; v < 256; v++) /* c | 1: 0 log 0 = 0 without a branch */
            score[r] += (uint64_t)hist[r][v] * log2_q23(hist[r][v] | 1u);
    }
    unsigned best = 0;
    for (unsigned a = 1; a < ts; a++)
        if (score[(a + ts - 1) % ts] > score[(best + ts - 1) % ts]) best = a;
    return best;
}

/* Block geometry from its length and alignment byte. */
typedef struct {
    size_t lead, elems, tail;
} block_shape;

static block_shape shape(size_t len, unsigned a, unsigned ts) {
    block_shape s;
    s.lead = a < len ? a : len;
    s.elems = (len - s.lead) / ts;
    s.tail = (len - s.lead) % ts;
    return s;
}

/* The sign swap (see the header): bit 7 of plane 0 trades places with bit 7 of plane 1, so
 * plane 0 holds the whole exponent of fp32/bf16 (and plane 1 the sign). Eight bytes at a
 * time in 64-bit words (GCC -O2 does not vectorise the byte loop: 15 instructions a byte). */
static void swap_sign_planes(uint8_t *restrict plane0, uint8_t *restrict plane1, size_t m) {
    const uint64_t top = 0x8080808080808080ull;
    size_t i = 0;
    for (; i + 8 <= m; i += 8) {
        uint64_t hi = cmz__get_le64(plane0 + i), lo = cmz__get_le64(plane1 + i);
        cmz__put_le64(plane0 + i, (hi & ~top) | (lo & top));
        cmz__put_le64(plane1 + i, (lo & ~top) | (hi & top));
    }
    for (; i < m; i++) {
        uint8_t hi = plane0[i], lo = plane1[i];
        plane0[i] = (uint8_t)((hi & 0x7f) | (lo & 0x80));
        plane1[i] = (uint8_t)((lo & 0x7f) | (hi & 0x80));
    }
}

/* The same swap on m whole fp32 elements in place (decoder side, after unshuffling): bit 7
 * of byte 3 and bit 7 of byte 2 (bits 31 and 23), two elements per little-endian 64-bit
 * word: d marks the elements where the two bits differ, and x ^= d | d << 8 swaps them. */
static void swap_sign_elements(uint8_t *p, size_t m) {
    const uint64_t bit23 = 0x0080000000800000ull;
    size_t n = m * 4, i = 0;
    for (; i + 8 <= n; i += 8) {
        uint64_t x = cmz__get_le64(p + i);
        uint64_t d = (x ^ (x >> 8)) & bit23;
        cmz__put_le64(p + i, x ^ d ^ (d << 8));
    }
    if (i < n) { /* one element left */
        uint8_t hi = p[i + 3], lo = p[i + 2];
        p[i + 3] = (uint8_t)((hi & 0x7f) | (lo & 0x80));
        p[i + 2] = (uint8_t)((lo & 0x7f) | (hi & 0x80));
    }
}

void cmz__planes_forward(const cmz__filter_kernels *k, unsigned ts, const uint8_t *src, size_t n,
                         uint8_t *dst) {
    size_t nb = n / BLOCK + (n % BLOCK != 0), total = 0;
    for (size_t b = 0; b < nb; b++) {
        size_t len = n - b * BLOCK < BLOCK ? n - b * BLOCK : BLOCK;
        unsigned a = cmz__planes_pick_alignment(ts, src + b * BLOCK, len);
        dst[b] = (uint8_t)a;
        total += shape(len, a, ts).elems;
    }
    /* plane 0 (most significant) first: byte k of an element goes to plane ts-1-k */
    uint8_t *msb_plane = dst + nb, *raw = dst + nb + ts * total;
    uint8_t *byte0_plane = msb_plane + (ts - 1) * total;
    size_t done = 0;
    for (size_t b = 0; b < nb; b++) {
        const uint8_t *in = src + b * BLOCK;
        size_t len = n - b * BLOCK < BLOCK ? n - b * BLOCK : BLOCK;
        block_shape s = shape(len, dst[b], ts);
        memcpy(raw, in, s.lead);
        raw += s.lead;
        if (s.elems) k->shuffle(byte0_plane + done, -(ptrdiff_t)total, in + s.lead, s.elems, ts);
        memcpy(raw, in + len - s.tail, s.tail);
        raw += s.tail;
        done += s.elems;
    }
    if (ts == 4) swap_sign_planes(msb_plane, msb_plane + total, total);
}

cmz_status cmz__planes_backward(const cmz__filter_kernels *k, unsigned ts, const uint8_t *src,
                                size_t src_size, uint8_t *dst, size_t n) {
    size_t nb = n / BLOCK + (n % BLOCK != 0), total = 0;
    if (src_size < nb || src_size - nb != n) return CMZ_ERR_CORRUPT;
    for (size_t b = 0; b < nb; b++) {
        if (src[b] >= ts) return CMZ_ERR_CORRUPT;
        size_t len = n - b * BLOCK < BLOCK ? n - b * BLOCK : BLOCK;
        total += shape(len, src[b], ts).elems;
    }
    const uint8_t *byte0_plane = src + nb + (ts - 1) * total, *raw = src + nb + ts * total;
    size_t done = 0;
    for (size_t b = 0; b < nb; b++) {
        uint8_t *out = dst + b * BLOCK;
        size_t len = n - b * BLOCK < BLOCK ? n - b * BLOCK : BLOCK;
        block_shape s = shape(len, src[b], ts);
        memcpy(out, raw, s.lead);
        raw += s.lead;
        if (s.elems) {
            k->unshuffle(out + s.lead, byte0_plane + done, -(ptrdiff_t)total, s.elems, ts);
            if (ts == 4) swap_sign_elements(out + s.lead, s.elems);
        }
        memcpy(out + len - s.tail, raw, s.tail);
        raw += s.tail;
        done += s.elems;
    }
    return CMZ_OK;
}
