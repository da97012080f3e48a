/* "planes": byte-plane rANS for typed data, shaped for a GPU (dietgpu's design): each element
 * of typesize w is rotated left by one bit (the sign moves to bit 0, so the top byte of bf16
 * and fp32 is the exponent), cut into w byte planes, and each plane is entropy-coded with one
 * table per chunk and plane, in segments that a warp codes with 32 interleaved states
 * (warp_rans.c); a plane that would not shrink is stored, one value is a run. Integer-only, so
 * a CPU and a GPU encoder give the same bytes. docs/PLANES.md is the full specification.
 *
 *   u8 w (1, 2, 4, 8), u8 g (segment = 2^g symbols, 10..15), raw_size as LEB128 (shortest
 *   form; must equal the caller's), then for m = raw_size / w > 0 the planes k = w-1 .. 0
 *   (most significant first), then the raw_size % w tail bytes as they are.
 *   Plane: u8 mode; 0 stored: m bytes; 1 run: 1 byte; 2 coded: table (docs/RANS.md's format,
 *   at least two symbols), ceil(m / 2^g) word counts (u16), then the segments, each 32 u32
 *   states and its words (u16). */
#include "internal.h"
#include "warp_rans.h"

#include <string.h>

/* docs/PLANES.md, "Why these sizes"; a build may set another to measure (10..15) */
#ifdef CMZ_PLANES_SEGMENT_LOG2
#define SEGMENT_LOG2_DEFAULT CMZ_PLANES_SEGMENT_LOG2
#else
#define SEGMENT_LOG2_DEFAULT 14u
#endif
#define SEGMENT_LOG2_MIN 10u
#define SEGMENT_LOG2_MAX 15u /* WR_SEGMENT_MAX */
#define MARGIN_SHIFT 6u      /* code a plane only when estimated to save m / 64 */

enum { MODE_STORED = 0, MODE_RUN = 1, MODE_CODED = 2 };

typedef struct {
    uint8_t *planes; /* the w planes of m bytes, plane k at k * m */
    size_t planes_cap;
    uint32_t count[256], freq[256];
    wr_encoder enc;
    wr_decoder dec;
    uint16_t words[WR_SEGMENT_MAX];
    uint8_t segment[WR_SEGMENT_BOUND(WR_SEGMENT_MAX)];
} planes_state;

static const char *planes_version(void) { return CMZ_VERSION_STRING; }

/* Every plane stored, plus the header: the largest stream the encoder writes. */
static size_t planes_bound(size_t n) {
    return n > SIZE_MAX - 32 ? 0 : n + 8 + 2 + RANS_SIZE_FIELD_MAX;
}

static planes_state *get_state(void **state) {
    if (!*state) *state = cmz__calloc(1, sizeof(planes_state));
    return *state;
}

/* ---- the element transform ---------------------------------------------------------- */

/* Element i of src (w bytes, little-endian), rotated left by one bit, byte k to plane k; and
 * back. One loop per width, so that the compiler unrolls and vectorises each. */
#define SPLIT(W, T)                                                                        \
    static void split_##W(const uint8_t *src, size_t m, uint8_t *planes) {                 \
        for (size_t i = 0; i < m; i++) {                                                   \
            T v = 0;                                                                       \
            for (unsigned k = 0; k < W; k++) v = (T)(v | (T)src[i * W + k] << (8 * k));    \
            v = (T)(v << 1 | v >> (8 * W - 1));                                            \
            for (unsigned k = 0; k < W; k++) planes[k * m + i] = (uint8_t)(v >> (8 * k));  \
        }                                                                                  \
    }                                                                                      \
    static void join_##W(const uint8_t *planes, size_t m, uint8_t *dst) {                  \
        for (size_t i = 0; i < m; i++) {                                                   \
            T v = 0;                                                                       \
            for (unsigned k = 0; k < W; k++) v = (T)(v | (T)planes[k * m + i] << (8 * k)); \
            v = (T)(v >> 1 | v << (8 * W - 1));                                            \
            for (unsigned k = 0; k < W; k++) dst[i * W + k] = (uint8_t)(v >> (8 * k));     \
        }                                                                                  \
    }
SPLIT(2, uint16_t)
SPLIT(4, uint32_t)
SPLIT(8, uint64_t)

static void split_planes(const uint8_t *src, size_t m, unsigned w, uint8_t *planes) {
    if (w == 2) split_2(src, m, planes);
    else if (w == 4) split_4(src, m, planes);
    else split_8(src, m, planes);
}

static void join_planes(const uint8_t *planes, size_t m, unsigned w, uint8_t *dst) {
    if (w == 2) join_2(planes, m, dst);
    else if (w == 4) join_4(planes, m, dst);
    else join_8(planes, m, dst);
}

/* ---- encoder ------------------------------------------------------------------------ */

/* Counts plane p[0..m) into s->count; returns the number of distinct values (one in *only). */
static unsigned histogram(planes_state *s, const uint8_t *p, size_t m, unsigned *only) {
    uint32_t c[4][256];
    memset(c, 0, sizeof c);
    size_t i = 0;
    for (; i + 4 <= m; i += 4) c[0][p[i]]++, c[1][p[i + 1]]++, c[2][p[i + 2]]++, c[3][p[i + 3]]++;
    for (; i < m; i++) c[0][p[i]]++;
    unsigned distinct = 0;
    for (unsigned v = 0; v < 256; v++) {
        s->count[v] = c[0][v] + c[1][v] + c[2][v] + c[3][v];
        if (s->count[v]) distinct++, *only = v;
    }
    return distinct;
}

/* Estimated size after the mode byte of a plane with counts s->count coded with s->freq. */
static size_t estimate(const planes_state *s, size_t nseg, size_t table) {
    uint64_t bits = 0; /* 2^-16 bit units */
    for (unsigned v = 0; v < 256; v++)
        if (s->count[v])
            bits += (uint64_t)s->count[v] * ((SCALE_BITS << 16) - cmz__rans_log2_q16(s->freq[v]));
    return (size_t)(bits >> 19) + table + nseg * (2 + WR_STATES_SIZE);
}

/* Writes plane p[0..m) at out (1 + m bytes of room); returns its size. */
static size_t encode_plane(planes_state *s, const uint8_t *p, size_t m, unsigned g, uint8_t *out) {
    unsigned only = 0;
    /* The counts and the table scaling are 32-bit: a plane of 2^32 symbols or more (an input
     * of 4 GiB or more, never a frame's chunk) is stored. */
    if (m > UINT32_MAX) goto stored;
    if (histogram(s, p, m, &only) == 1) {
        out[0] = MODE_RUN;
        out[1] = (uint8_t)only;
        return 2;
    }
    size_t seg = (size_t)1 << g, nseg = (m + seg - 1) / seg;
    cmz__rans_normalise(s->count, (uint32_t)m, s->freq);
    size_t table = cmz__rans_table_size(s->freq);
    if (estimate(s, nseg, table) < m - (m >> MARGIN_SHIFT)) {
        /* Coded, given up as soon as it reaches m bytes (the room that stored needs). */
        size_t at = 1 + table + 2 * nseg;
        if (at < 1 + m) {
            out[0] = MODE_CODED;
            cmz__rans_write_table(s->freq, out + 1);
            cmz__wr_encoder_init(&s->enc, s->freq);
            size_t k = 0;
            for (; k < nseg; k++) {
                size_t n = k + 1 < nseg ? seg : m - k * seg;
                size_t words = cmz__wr_encode(&s->enc, p + k * seg, n, s->segment, s->words);
                size_t size = WR_STATES_SIZE + 2 * words;
                if (at + size >= 1 + m) break;
                cmz__put_le16(out + 1 + table + 2 * k, (uint16_t)words);
                memcpy(out + at, s->segment, size);
                at += size;
            }
            if (k == nseg) return at;
        }
    }
stored:
    out[0] = MODE_STORED;
    memcpy(out + 1, p, m);
    return 1 + m;
}

static cmz_status planes_compress_typed(void **state, int level, unsigned typesize, void *dst,
                                        size_t cap, const void *src, size_t n, size_t *written) {
    (void)level;
    if (!cmz__element_size_ok(typesize)) return CMZ_ERR_INVALID_ARG;
    if (cap < planes_bound(n)) return CMZ_ERR_DST_TOO_SMALL; /* room for every plane stored */
    planes_state *s = get_state(state);
    if (!s) return CMZ_ERR_NOMEM;
    const unsigned w = typesize, g = SEGMENT_LOG2_DEFAULT;
    const size_t m = n / w;
    uint8_t *out = dst;
    size_t at = 0;
    out[at++] = (uint8_t)w;
    out[at++] = (uint8_t)g;
    at += cmz__rans_size_write(n, out + at);
    if (m) {
        const uint8_t *planes = src;
        if (w > 1) {
            if (cmz__grow(&s->planes, &s->planes_cap, m * w) != 0) return CMZ_ERR_NOMEM;
            split_planes(src, m, w, s->planes);
            planes = s->planes;
        }
        for (unsigned k = w; k-- > 0;) at += encode_plane(s, planes + k * m, m, g, out + at);
    }
    if (n > m * w) memcpy(out + at, (const uint8_t *)src + m * w, n - m * w);
    *written = at + (n - m * w);
    return CMZ_OK;
}

static cmz_status planes_compress(void **state, int level, void *dst, size_t cap, const void *src,
                                  size_t n, size_t *written) {
    return planes_compress_typed(state, level, 1, dst, cap, src, n, written);
}

/* ---- decoder ------------------------------------------------------------------------ */

/* Reads plane k (m symbols) from in[*at..n) into plane; CMZ_ERR_CORRUPT on any inconsistency. */
static cmz_status decode_plane(planes_state *s, const uint8_t *in, size_t n, size_t *at, unsigned g,
                               uint8_t *plane, size_t m) {
    size_t p = *at;
    if (p >= n) return CMZ_ERR_CORRUPT;
    uint8_t mode = in[p++];
    if (mode == MODE_STORED) {
        if (n - p < m) return CMZ_ERR_CORRUPT;
        memcpy(plane, in + p, m);
        *at = p + m;
        return CMZ_OK;
    }
    if (mode == MODE_RUN) {
        if (p >= n) return CMZ_ERR_CORRUPT;
        memset(plane, in[p], m);
        *at = p + 1;
        return CMZ_OK;
    }
    if (mode != MODE_CODED) return CMZ_ERR_CORRUPT;
    size_t table = cmz__rans_read_table(in + p, n - p, s->freq);
    if (!table || cmz__wr_decoder_init(&s->dec, s->freq) != CMZ_OK) return CMZ_ERR_CORRUPT;
    p += table;
    size_t seg = (size_t)1 << g, nseg = (m + seg - 1) / seg;
    if ((n - p) / 2 < nseg) return CMZ_ERR_CORRUPT;
    const uint8_t *counts = in + p;
    p += 2 * nseg;
    for (size_t k = 0; k < nseg; k++) {
        size_t len = k + 1 < nseg ? seg : m - k * seg, words = cmz__get_le16(counts + 2 * k);
        if (words > len || n - p < WR_STATES_SIZE + 2 * words) return CMZ_ERR_CORRUPT;
        cmz_status st = cmz__wr_decode(&s->dec, in + p, words, plane + k * seg, len);
        if (st != CMZ_OK) return st;
        p += WR_STATES_SIZE + 2 * words;
    }
    *at = p;
    return CMZ_OK;
}

static cmz_status planes_decompress(void **state, void *dst, size_t raw_size, const void *src,
                                    size_t n) {
    const uint8_t *in = src;
    if (n < 3) return CMZ_ERR_CORRUPT;
    const unsigned w = in[0], g = in[1];
    if (!cmz__element_size_ok(w) || g < SEGMENT_LOG2_MIN || g > SEGMENT_LOG2_MAX)
        return CMZ_ERR_CORRUPT;
    size_t at = 2;
    uint64_t size = 0;
    if (cmz__rans_size_read(in, n, &at, &size) != 0 || size != raw_size) return CMZ_ERR_CORRUPT;
    const size_t m = raw_size / w, tail = raw_size - m * w;
    planes_state *s = NULL;
    if (m) {
        if (!(s = get_state(state))) return CMZ_ERR_NOMEM;
        uint8_t *planes = dst;
        if (w > 1) {
            if (cmz__grow(&s->planes, &s->planes_cap, m * w) != 0) return CMZ_ERR_NOMEM;
            planes = s->planes;
        }
        for (unsigned k = w; k-- > 0;) {
            cmz_status st = decode_plane(s, in, n, &at, g, planes + k * m, m);
            if (st != CMZ_OK) return st;
        }
        if (w > 1) join_planes(planes, m, w, dst);
    }
    if (n - at != tail) return CMZ_ERR_CORRUPT; /* the tail, and nothing after it */
    if (tail) memcpy((uint8_t *)dst + m * w, in + at, tail);
    return CMZ_OK;
}

static void planes_state_free(void *state) {
    planes_state *s = state;
    cmz__free(s->planes);
    cmz__free(s);
}

const cmz_codec cmz__codec_planes = {
    .name = "planes",
    .id = CMZ_CODEC_PLANES,
    .min_level = 0,
    .max_level = 0,
    .default_level = 0,
    .default_chunk_size = 1u << 20,
    .library_version = planes_version,
    .bound = planes_bound,
    .compress = planes_compress,
    .compress_typed = planes_compress_typed,
    .decompress = planes_decompress,
    .state_free = planes_state_free,
};
