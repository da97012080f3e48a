/* The specification against the library: each part of docs/FORMAT.md, docs/PLANES.md and
 * docs/FILTERS.md that a second implementation needs and that can be checked mechanically is
 * reimplemented here from the text alone (GF(2^8) arithmetic, the Cauchy generator, the parity
 * table, the zstd frame header, LZMA2's dictionary, the payload bounds, the planes element
 * size and alignment byte), and compared with what the library writes and enforces. A failure
 * means the documents and the code disagree. */
#include "testutil.h"

#include "frame/internal.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#if defined(__has_include)
#if __has_include(<lzma.h>)
#include <lzma.h>
#define HAVE_LZMA_H 1
#endif
#endif

static uint64_t le(const uint8_t *p, int bytes) {
    uint64_t v = 0;
    for (int i = bytes - 1; i >= 0; i--) v = v << 8 | p[i];
    return v;
}

/* ---- walking a frame (FORMAT.md: header, chunk records, index, footer) ------------------ */

typedef struct {
    const uint8_t *at; /* the record's first byte (its 40-byte header) */
    size_t size;       /* header + payload */
} record;

/* The records of the single frame in f[0..n), in file order; returns their count. */
static size_t walk(const uint8_t *f, size_t n, record *out, size_t cap) {
    assert_true(n >= 48 + 20 + 48);
    assert_memory_equal(f,
                        "\x89"
                        "CMZ\r\n\x1a\n",
                        8);
    size_t pos = 48, count = 0;
    while (memcmp(f + pos, "CMZc", 4) == 0) {
        assert_true(count < cap);
        size_t size = 40 + (size_t)le(f + pos + 16, 4);
        assert_true(pos + size <= n);
        out[count++] = (record){f + pos, size};
        pos += size;
    }
    assert_memory_equal(f + pos, "CMZx", 4);
    return count;
}

static const uint8_t *payload(const record *r) { return r->at + 40; }
static size_t payload_size(const record *r) { return r->size - 40; }
static unsigned kind(const record *r) { return r->at[4]; }
static unsigned encoding(const record *r) { return r->at[5]; }
static uint32_t raw_size(const record *r) { return (uint32_t)le(r->at + 20, 4); }

static uint8_t *frame_of(int codec, int level, int filter, unsigned typesize, uint32_t cs,
                         const uint8_t *content, size_t n, size_t *size) {
    cmz_params p = tu_params(codec, cs, 2);
    p.level = level;
    p.filter = filter;
    p.typesize = typesize;
    return tu_compress(&p, content, n, size);
}

/* Chunks of different kinds, so that records differ in length: text, incompressible (stored),
 * zeros (empty payload), a repeated phrase (short). */
static uint8_t *varied_content(size_t n, uint32_t cs) {
    uint8_t *c = malloc(n ? n : 1), *text = tu_text(n, 5), *noise = tu_random(n, 6);
    uint8_t *rep = tu_repetitive(n);
    for (size_t at = 0, i = 0; at < n; at += cs, i++) {
        size_t len = n - at < cs ? n - at : cs;
        const uint8_t *from[] = {text, noise, NULL, rep};
        if (from[i % 4]) memcpy(c + at, from[i % 4] + at, len);
        else memset(c + at, 0, len);
    }
    free(text);
    free(noise);
    free(rep);
    return c;
}

/* ---- Parity: GF(2^8) modulo 0x11D and C(r, i) = inv(r XOR i) ---------------------------- */

static uint8_t gf_mul(uint8_t a, uint8_t b) {
    unsigned x = a, r = 0;
    for (; b; b >>= 1) {
        if (b & 1) r ^= x;
        x <<= 1;
        if (x & 0x100) x ^= 0x11D;
    }
    return (uint8_t)r;
}

/* By search: the field is small, and the document defines inv as the inverse, nothing more. */
static uint8_t gf_inv(uint8_t a) {
    static uint8_t table[256];
    if (!table[a])
        for (unsigned x = 1; x < 256; x++)
            if (gf_mul(a, (uint8_t)x) == 1) table[a] = (uint8_t)x;
    if (!table[a]) fail_msg("%u has no inverse", a);
    return table[a];
}

static void test_gf_field(void **state) {
    (void)state;
    /* 2 is primitive: its powers run through all 255 nonzero elements before returning to 1. */
    uint8_t x = 1;
    for (unsigned i = 1; i < 255; i++) {
        x = gf_mul(x, 2);
        assert_int_not_equal(x, 1);
    }
    assert_int_equal(gf_mul(x, 2), 1);
    /* The document's example coefficients for K = 2, M = 1. */
    assert_int_equal(gf_inv(2 ^ 0), 0x8E);
    assert_int_equal(gf_inv(2 ^ 1), 0xF4);
}

/* One parity record of group g against the group's data records d[0..count). */
static void check_parity_record(const record *p, unsigned j, uint64_t g, const record *d,
                                unsigned count, unsigned k) {
    const uint8_t *h = p->at;
    assert_int_equal(kind(p), 1);
    assert_int_equal(encoding(p), 0);
    assert_int_equal(le(h + 6, 2), j);
    assert_int_equal(le(h + 8, 8), g);
    assert_int_equal(le(h + 28, 4), 0);
    assert_int_equal(le(h + 32, 4), count);
    assert_int_equal(le(h + 36, 4), cmz_crc32c(0, h, 36));
    size_t L = 0;
    for (unsigned i = 0; i < count; i++) L = d[i].size > L ? d[i].size : L;
    assert_int_equal(le(h + 20, 4), L);
    assert_int_equal(payload_size(p), 8 * count + L);
    assert_int_equal(le(h + 24, 4), cmz_crc32c(0, payload(p), payload_size(p)));
    const uint8_t *table = payload(p), *shard = table + 8 * count;
    for (unsigned i = 0; i < count; i++) { /* entry: length (4), CRC32C of the record (4) */
        assert_int_equal(le(table + 8 * i, 4), d[i].size);
        assert_int_equal(le(table + 8 * i + 4, 4), cmz_crc32c(0, d[i].at, d[i].size));
    }
    uint8_t coef[255];
    for (unsigned i = 0; i < k; i++) coef[i] = gf_inv((uint8_t)((k + j) ^ i));
    for (size_t b = 0; b < L; b++) {
        uint8_t s = 0; /* absent members of a short group are zero shards: they add nothing */
        for (unsigned i = 0; i < count; i++)
            if (b < d[i].size) s ^= gf_mul(coef[i], d[i].at[b]);
        if (shard[b] != s)
            fail_msg("K=%u group %llu parity %u byte %zu: %02x, the document gives %02x", k,
                     (unsigned long long)g, j, b, shard[b], s);
    }
}

static void parity_case(unsigned k, unsigned m, size_t n, uint32_t cs) {
    uint8_t *content = varied_content(n, cs);
    cmz_params p = tu_params(TU_CODEC, cs, 2);
    p.parity_k = k;
    p.parity_m = m;
    size_t size;
    uint8_t *f = tu_compress(&p, content, n, &size);
    assert_int_equal(f[24], k);
    assert_int_equal(f[25], m);
    assert_int_equal(le(f + 12, 4) & 1, 1);
    record rec[128];
    size_t nrec = walk(f, size, rec, 128), r = 0;
    uint64_t group = 0, data_seen = 0;
    while (r < nrec) {
        const record *d = rec + r;
        unsigned count = 0;
        while (r < nrec && kind(&rec[r]) == 0 && count < k) {
            assert_int_equal(le(rec[r].at + 8, 8), data_seen++);
            r++, count++;
        }
        assert_true(count > 0);
        for (unsigned j = 0; j < m; j++, r++) {
            assert_true(r < nrec);
            check_parity_record(&rec[r], j, group, d, count, k);
        }
        group++;
    }
    assert_int_equal(data_seen, (n + cs - 1) / cs);
    free(f);
    free(content);
}

static void test_parity_from_the_document(void **state) {
    (void)state;
    const uint32_t cs = 1024;
    const size_t n = 12 * 1024 + 300; /* 13 data chunks: every K below leaves a short group */
    parity_case(1, 1, n, cs);
    parity_case(2, 1, n, cs);
    parity_case(3, 2, n, cs);
    parity_case(5, 3, n, cs);
    parity_case(10, 4, n, cs);
    parity_case(200, 55, n, cs); /* K + M = 255: the largest row index */
}

/* ---- zstd: one frame, content size, no checksum, no dictionary -------------------------- */

/* Parses the zstd frame (RFC 8878) of p[0..n) and checks the document's statements. */
static void check_zstd_payload(const uint8_t *p, size_t n, uint32_t F) {
    assert_true(n >= 6);
    assert_int_equal(le(p, 4), 0xFD2FB528u);
    uint8_t fhd = p[4];
    unsigned fcs_flag = fhd >> 6, single = fhd >> 5 & 1, checksum = fhd >> 2 & 1;
    assert_int_equal(fhd >> 3 & 1, 0); /* reserved */
    assert_int_equal(checksum, 0);
    assert_int_equal(fhd & 3, 0); /* Dictionary_ID_flag */
    size_t pos = 5;
    uint64_t window = 0;
    if (!single) {
        unsigned exponent = p[pos] >> 3, mantissa = p[pos] & 7;
        window = (uint64_t)1 << (10 + exponent);
        window += window / 8 * mantissa;
        pos++;
    }
    static const unsigned fcs_bytes[] = {0, 2, 4, 8};
    unsigned fb = fcs_flag == 0 && single ? 1 : fcs_bytes[fcs_flag];
    assert_true(fb > 0); /* Frame_Content_Size present */
    uint64_t fcs = le(p + pos, (int)fb) + (fb == 2 ? 256 : 0);
    pos += fb;
    assert_int_equal(fcs, F);
    if (single) window = fcs;
    assert_true(window <= (uint64_t)1 << 27);
    for (;;) { /* blocks: 3-byte header, last-block bit, type, size */
        assert_true(pos + 3 <= n);
        uint32_t bh = (uint32_t)le(p + pos, 3);
        unsigned last = bh & 1, type = bh >> 1 & 3;
        size_t bsize = bh >> 3;
        assert_int_not_equal(type, 3);
        pos += 3 + (type == 1 ? 1 : bsize);
        assert_true(pos <= n);
        if (last) break;
    }
    assert_int_equal(pos, n); /* no checksum, no second frame, nothing after */
}

static void test_zstd_payload_is_one_frame(void **state) {
    (void)state;
    if (!cmz_codec_by_id(CMZ_CODEC_ZSTD)) skip();
    const size_t n = 3 * 65536 + 200; /* the last chunk is 200 bytes: a 1-byte content size */
    uint8_t *content = tu_text(n, 9);
    const int levels[] = {1, 3, 19};
    const uint32_t sizes[] = {65536, 1024};
    unsigned checked = 0;
    for (size_t l = 0; l < sizeof levels / sizeof *levels; l++)
        for (size_t s = 0; s < 2; s++) {
            size_t size;
            uint8_t *f = frame_of(CMZ_CODEC_ZSTD, levels[l], CMZ_FILTER_NONE, 0, sizes[s], content,
                                  n, &size);
            record rec[256];
            size_t nrec = walk(f, size, rec, 256);
            for (size_t r = 0; r < nrec; r++)
                if (encoding(&rec[r]) == 0) {
                    check_zstd_payload(payload(&rec[r]), payload_size(&rec[r]), raw_size(&rec[r]));
                    checked++;
                }
            free(f);
        }
    assert_true(checked > 200);
    free(content);
}

/* ---- lzma: raw LZMA2, decoded with a dictionary of max(4096, F) ------------------------- */

static void test_lzma_payload_and_dictionary(void **state) {
    (void)state;
#ifdef HAVE_LZMA_H
    if (!cmz_codec_by_id(CMZ_CODEC_LZMA)) skip();
    const size_t n = 300000;
    uint8_t *content = tu_text(n, 11), *out = malloc(n);
    const int levels[] = {0, 6, 9};
    unsigned checked = 0;
    for (size_t l = 0; l < 3; l++) {
        size_t size;
        uint8_t *f =
            frame_of(CMZ_CODEC_LZMA, levels[l], CMZ_FILTER_NONE, 0, 131072, content, n, &size);
        record rec[8];
        size_t nrec = walk(f, size, rec, 8);
        for (size_t r = 0; r < nrec; r++) {
            if (encoding(&rec[r]) != 0) continue;
            const uint8_t *pl = payload(&rec[r]);
            size_t pn = payload_size(&rec[r]);
            uint32_t F = raw_size(&rec[r]);
            /* No container: the first LZMA2 control byte resets the dictionary (1: stored
             * chunk, >= 0xE0: LZMA chunk with new properties); the last is the end marker. */
            assert_true(pl[0] == 1 || pl[0] >= 0xE0);
            assert_int_equal(pl[pn - 1], 0);
            lzma_options_lzma opt;
            assert_false(lzma_lzma_preset(&opt, 0)); /* lc, lp, pb come from the stream */
            opt.dict_size = F < 4096 ? 4096 : F;
            const lzma_filter filters[] = {{LZMA_FILTER_LZMA2, &opt}, {LZMA_VLI_UNKNOWN, NULL}};
            size_t in_pos = 0, out_pos = 0;
            assert_int_equal(
                lzma_raw_buffer_decode(filters, NULL, pl, &in_pos, pn, out, &out_pos, F), LZMA_OK);
            assert_int_equal(in_pos, pn);
            assert_int_equal(out_pos, F);
            uint64_t number = le(rec[r].at + 8, 8);
            assert_memory_equal(out, content + number * 131072, F);
            checked++;
        }
        free(f);
    }
    assert_int_equal(checked, 9);
    free(content);
    free(out);
#else
    skip();
#endif
}

/* ---- payload bounds B(F), F the filtered size ------------------------------------------- */

static uint64_t cdiv(uint64_t a, uint64_t b) { return (a + b - 1) / b; }

/* FORMAT.md, "Codec payloads", last column. */
static uint64_t documented_bound(int codec, uint64_t F) {
    switch (codec) {
    case CMZ_CODEC_NONE: return F;
    case CMZ_CODEC_ZSTD: return F + F / 256 + (F < 131072 ? (131072 - F) / 2048 : 0);
    case CMZ_CODEC_LZ4: return F + F / 255 + 16;
    case CMZ_CODEC_GZIP: return F + 5 * (F > 5000 ? cdiv(F, 5000) : 1) + 27;
    case CMZ_CODEC_BZIP2: return F + F / 100 + 600;
    case CMZ_CODEC_LZMA: return F + F / 256 + 128;
    case CMZ_CODEC_SNAPPY: return F + F / 6 + 32;
    case CMZ_CODEC_BROTLI: return F + 4 * (F / 16384) + 6;
    case CMZ_CODEC_RANS: return F + cdiv(F, 4096) + 10;
    case CMZ_CODEC_PLANES: return F + 20;
    default: fail_msg("codec %d is not in the document", codec);
    }
    return 0;
}

/* FILTERS.md's table: the filtered size of n raw bytes. */
static uint64_t filtered_size(int filter, uint64_t n) {
    return filter == CMZ_FILTER_PLANES ? n + cdiv(n, 65536) : n;
}

static void test_payload_bounds(void **state) {
    (void)state;
    static const uint32_t raws[] = {1,      2,      100,      4999,    5000,    5001,
                                    16383,  16384,  65535,    65536,   65537,   131071,
                                    131072, 131073, 1u << 20, 1000003, 1u << 30};
    size_t ncodecs;
    const cmz_codec *const *codecs = cmz_codec_list(&ncodecs);
    for (size_t c = 0; c < ncodecs; c++) {
        int id = (int)cmz_codec_id_of(codecs[c]);
        for (int filter = CMZ_FILTER_NONE; filter <= CMZ_FILTER_ID_MAX; filter++) {
            /* the reader's limit for a chunk of `raw` bytes in a frame of this codec/filter */
            cmz__frame_params fp = {.codec = (uint8_t)id,
                                    .filter = (uint8_t)filter,
                                    .chunk_size = 1u << 30,
                                    .typesize = filter == CMZ_FILTER_NONE ? 1 : 4};
            for (size_t i = 0; i < sizeof raws / sizeof *raws; i++) {
                uint64_t F = filtered_size(filter, raws[i]);
                uint64_t want = documented_bound(id, F), got = cmz__payload_limit(&fp, raws[i]);
                if (got != want)
                    fail_msg("%s, filter %d, raw size %u: the reader allows %llu, the document "
                             "says %llu",
                             cmz_codec_name(codecs[c]), filter, raws[i], (unsigned long long)got,
                             (unsigned long long)want);
                assert_int_equal(cmz_codec_bound(codecs[c], (size_t)F), want);
            }
        }
    }
}

/* ---- planes codec: the element size in its stream ---------------------------------------- */

static void test_planes_codec_element_size(void **state) {
    (void)state;
    const size_t n = 4 * 20000;
    uint8_t *content = malloc(n);
    for (size_t i = 0; i < n / 4; i++) { /* smooth floats: the planes codec shrinks them */
        float v = (float)(i % 1000) * 0.001f;
        memcpy(content + 4 * i, &v, 4);
    }
    struct {
        int filter;
        unsigned w;
    } cases[] = {{CMZ_FILTER_NONE, 4}, {CMZ_FILTER_SHUFFLE, 1}, {CMZ_FILTER_PLANES, 1}};
    for (size_t c = 0; c < 3; c++) {
        size_t size;
        uint8_t *f = frame_of(CMZ_CODEC_PLANES, CMZ_LEVEL_DEFAULT, cases[c].filter, 4, 16384,
                              content, n, &size);
        assert_int_equal(f[18], cases[c].filter);
        assert_int_equal(f[19], 4); /* the header's typesize */
        record rec[16];
        size_t nrec = walk(f, size, rec, 16);
        unsigned compressed = 0;
        for (size_t r = 0; r < nrec; r++)
            if (encoding(&rec[r]) == 0) {
                assert_int_equal(payload(&rec[r])[0], cases[c].w);
                compressed++;
            }
        assert_true(compressed > 0);
        free(f);
    }
    free(content);
}

/* ---- planes filter: any alignment decodes; cmz's choice as FILTERS.md spells it --------- */

/* FILTERS.md's layout for the given alignments (the encoder's choice). */
static void planes_layout(unsigned ts, const uint8_t *in, size_t n, const uint8_t *a,
                          uint8_t *out) {
    size_t nb = (size_t)cdiv(n, 65536), E = 0;
    for (size_t b = 0; b < nb; b++) {
        size_t L = n - 65536 * b < 65536 ? n - 65536 * b : 65536, lead = a[b] < L ? a[b] : L;
        E += (L - lead) / ts;
    }
    size_t P = 0, raw = nb + ts * E;
    for (size_t b = 0; b < nb; b++) {
        const uint8_t *blk = in + 65536 * b;
        size_t L = n - 65536 * b < 65536 ? n - 65536 * b : 65536, lead = a[b] < L ? a[b] : L;
        size_t e = (L - lead) / ts, tail = (L - lead) % ts;
        out[b] = a[b];
        for (size_t i = 0; i < e; i++)
            for (unsigned q = 0; q < ts; q++)
                out[nb + q * E + P + i] = blk[lead + i * ts + ts - 1 - q];
        if (ts == 4) /* the sign swap: bit 7 of planes 0 and 1 trade places */
            for (size_t i = 0; i < e; i++) {
                uint8_t *p0 = out + nb + P + i, *p1 = p0 + E, hi = *p0;
                *p0 = (uint8_t)((hi & 0x7f) | (*p1 & 0x80));
                *p1 = (uint8_t)((*p1 & 0x7f) | (hi & 0x80));
            }
        memcpy(out + raw, blk, lead);
        memcpy(out + raw + lead, blk + lead + e * ts, tail);
        raw += lead + tail;
        P += e;
    }
    assert_int_equal(raw, nb + n);
}

/* lg(c) of FILTERS.md step 3. */
static uint64_t lg(uint32_t c) {
    unsigned e = 0;
    while (c >> (e + 1)) e++;
    uint64_t f = ((uint64_t)c - ((uint64_t)1 << e)) << (23 - e);
    uint64_t bend = f * ((1u << 23) - f) >> 23;
    return ((uint64_t)e << 23) + f + (bend * 2839 >> 13);
}

/* Steps 1-4 of "How cmz's encoder chooses a_b". */
static unsigned documented_alignment(unsigned ts, const uint8_t *blk, size_t L) {
    uint32_t c[8][256];
    memset(c, 0, sizeof c);
    size_t starts[4] = {0}, lens[4] = {L - L % ts}, pieces = 1;
    if (L > 4096)
        for (size_t p = 0; p < 4; p++) starts[p] = 8 * (p * L / 32), lens[p] = 1024, pieces = 4;
    for (size_t p = 0; p < pieces; p++)
        for (size_t q = starts[p]; q < starts[p] + lens[p]; q++) c[q % ts][blk[q]]++;
    uint64_t H[8] = {0};
    for (unsigned r = 0; r < ts; r++)
        for (unsigned v = 0; v < 256; v++) H[r] += c[r][v] * lg(c[r][v] | 1);
    unsigned best = 0;
    for (unsigned a = 1; a < ts; a++)
        if (H[(a + ts - 1) % ts] > H[(best + ts - 1) % ts]) best = a;
    return best;
}

/* Blocks of three kinds, with near-ties among the residues' scores: noise (every residue
 * scores about the same), one residue in four nearly constant (a float exponent at a random
 * offset), and small skewed values with a bias on every other byte. */
static uint8_t block_byte(unsigned kind_of, size_t i, unsigned off, uint64_t r) {
    switch (kind_of) {
    case 0: return (uint8_t)(r >> 56);
    case 1: return (uint8_t)((i + off) % 4 == 3 ? 0x3C + (r >> 62) : r >> 56);
    default: return (uint8_t)((r >> 60) * (r >> 61) + ((i + off) % 2 ? 0 : (r >> 63) * 7));
    }
}

static uint8_t *alignment_content(size_t n, uint64_t seed) {
    uint8_t *c = malloc(n);
    uint64_t s = seed;
    for (size_t b = 0; b * 65536 < n; b++) {
        size_t L = n - 65536 * b < 65536 ? n - 65536 * b : 65536;
        unsigned kind_of = (unsigned)(b % 3), off = (unsigned)(tu_rand(&s) % 8);
        for (size_t i = 0; i < L; i++) c[65536 * b + i] = block_byte(kind_of, i, off, tu_rand(&s));
    }
    return c;
}

static void test_planes_filter_alignment(void **state) {
    (void)state;
    static const size_t lengths[] = {
        1, 3, 100, 4095, 4096, 4097, 65536, 65536 * 7 + 5000, 65536 * 40 + 123};
    for (unsigned ts = 2; ts <= 8; ts *= 2)
        for (size_t li = 0; li < sizeof lengths / sizeof *lengths; li++) {
            size_t n = lengths[li], nb = (size_t)cdiv(n, 65536), fsize;
            uint8_t *in = alignment_content(n, 100 * ts + li), *lib = malloc(nb + n);
            uint8_t *mine = malloc(nb + n), *back = malloc(n), *a = malloc(nb);
            assert_int_equal(cmz_filter_forward(CMZ_FILTER_PLANES, ts, in, n, lib, nb + n, &fsize),
                             CMZ_OK);
            assert_int_equal(fsize, nb + n);
            for (size_t b = 0; b < nb; b++) {
                size_t L = n - 65536 * b < 65536 ? n - 65536 * b : 65536;
                unsigned want = documented_alignment(ts, in + 65536 * b, L);
                if (lib[b] != want)
                    fail_msg("ts %u, n %zu, block %zu: cmz chose %u, the document %u", ts, n, b,
                             lib[b], want);
            }
            /* The layout for the chosen alignments, then every other choice decodes too. */
            planes_layout(ts, in, n, lib, mine);
            assert_memory_equal(mine, lib, nb + n);
            for (unsigned shift = 1; shift < ts; shift++) {
                for (size_t b = 0; b < nb; b++) a[b] = (uint8_t)((lib[b] + shift + b) % ts);
                planes_layout(ts, in, n, a, mine);
                assert_int_equal(cmz_filter_backward(CMZ_FILTER_PLANES, ts, mine, nb + n, back, n),
                                 CMZ_OK);
                assert_memory_equal(back, in, n);
            }
            free(in), free(lib), free(mine), free(back), free(a);
        }
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_gf_field),
        cmocka_unit_test(test_parity_from_the_document),
        cmocka_unit_test(test_zstd_payload_is_one_frame),
        cmocka_unit_test(test_lzma_payload_and_dictionary),
        cmocka_unit_test(test_payload_bounds),
        cmocka_unit_test(test_planes_codec_element_size),
        cmocka_unit_test(test_planes_filter_alignment),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
