/* The filter layer: every filter x typesize x ISA (scalar, sse2, avx2 where the CPU has it) x
 * length class. Checks that backward(forward(x)) == x, that every ISA gives the scalar bytes
 * (the Blosc lesson: SIMD and scalar paths once disagreed on lengths that were not multiples
 * of 16 or of the typesize), that the scalar output matches reference implementations written
 * here from docs/FILTERS.md (bit shuffle: ported stage by stage from the bitshuffle library),
 * that malformed filtered input gives CMZ_ERR_CORRUPT, and that planes finds the alignment of
 * floats that start at any byte offset.
 *
 * Every buffer handed to the library is malloc'd with exactly the size it is told, so that an
 * ASan build catches any access past either end. */
#include "testutil.h"

#include "cmz/filter.h"
#include "filter/internal.h"

#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const all_isas[] = {"scalar", "sse2", "avx2"};
#define N_ISAS 3
static bool have_isa[N_ISAS];

static const int all_filters[] = {CMZ_FILTER_NONE, CMZ_FILTER_SHUFFLE, CMZ_FILTER_BITSHUFFLE,
                                  CMZ_FILTER_DELTA, CMZ_FILTER_PLANES};
#define N_FILTERS 5

#define MAX_LEN 200001
static uint8_t *random_data, *float_data;

/* What is being checked, printed with any failure. */
static char where[256];
#define AT(...) snprintf(where, sizeof where, __VA_ARGS__)
#define CHECK(cond)                                                                   \
    do {                                                                              \
        if (!(cond)) {                                                                \
            print_error("%s: %s failed (%s:%d)\n", where, #cond, __FILE__, __LINE__); \
            fail();                                                                   \
        }                                                                             \
    } while (0)

static void expect_status(cmz_status got, cmz_status want) {
    if (got != want) {
        print_error("%s: got %s, want %s\n", where, cmz_status_name(got), cmz_status_name(want));
        fail();
    }
}

/* Exactly n bytes (at least one, so that n == 0 still gives a valid pointer). */
static uint8_t *exact(const void *src, size_t n) {
    uint8_t *p = malloc(n ? n : 1);
    assert_non_null(p);
    if (src && n) memcpy(p, src, n);
    return p;
}

static void force(const char *isa) { assert_int_equal(cmz_filter_force_isa(isa), CMZ_OK); }

static int group_setup(void **state) {
    (void)state;
    random_data = tu_random(MAX_LEN + 64, 7); /* room for the offset and n + 1 cases */
    /* weights-like float32: small values, smooth part plus a fast-varying part */
    float_data = malloc(MAX_LEN);
    for (size_t i = 0; i + 4 <= MAX_LEN; i += 4) {
        float v = (float)(0.02 * sin((double)i * 0.01) + 0.003 * sin((double)i * 1.7));
        memcpy(float_data + i, &v, 4);
    }
    memset(float_data + MAX_LEN - MAX_LEN % 4, 0x5a, MAX_LEN % 4);
    for (int i = 0; i < N_ISAS; i++) have_isa[i] = cmz_filter_force_isa(all_isas[i]) == CMZ_OK;
    cmz_filter_force_isa(NULL);
    return 0;
}

static int group_teardown(void **state) {
    (void)state;
    free(random_data);
    free(float_data);
    cmz_filter_force_isa(NULL);
    return 0;
}

static int reset_isa(void **state) {
    (void)state;
    cmz_filter_force_isa(NULL);
    return 0;
}

static size_t length_classes(unsigned ts, size_t *out) {
    const size_t fixed[] = {0,    1,    15,        16,    17,    31,    33,     100,
                            1000, 4097, 8192 + 61, 65535, 65536, 65537, 131079, MAX_LEN};
    size_t k = 0;
    out[k++] = ts - 1;
    out[k++] = ts;
    for (size_t i = 0; i < sizeof fixed / sizeof fixed[0]; i++) out[k++] = fixed[i];
    return k;
}

static unsigned filter_typesizes(int id, unsigned *ts) {
    if (id == CMZ_FILTER_NONE) {
        ts[0] = 1;
        return 1;
    }
    ts[0] = 2;
    ts[1] = 4;
    ts[2] = 8;
    return 3;
}

/* ---- reference implementations, straight from the definitions -------------------------- */

static void ref_shuffle(unsigned ts, const uint8_t *in, size_t n, uint8_t *out) {
    size_t m = n / ts;
    for (size_t i = 0; i < m; i++)
        for (unsigned k = 0; k < ts; k++) out[k * m + i] = in[i * ts + k];
    memcpy(out + m * ts, in + m * ts, n - m * ts);
}

static int get_bit(const uint8_t *p, size_t bit) { return (p[bit / 8] >> (bit % 8)) & 1; }
static void put_bit(uint8_t *p, size_t bit, int v) {
    p[bit / 8] = (uint8_t)((p[bit / 8] & ~(1u << (bit % 8))) | ((unsigned)v << (bit % 8)));
}

/* bshuf_trans_bit_elem_scal: trans_byte_elem, trans_bit_byte, trans_bitrow_eight. */
static void ref_bitshuffle_block(unsigned ts, const uint8_t *in, size_t s, uint8_t *out) {
    size_t nbyte = s * ts, rowlen = nbyte / 8;
    uint8_t *t1 = malloc(nbyte), *t2 = calloc(nbyte, 1);
    for (size_t i = 0; i < s; i++)
        for (unsigned j = 0; j < ts; j++) t1[j * s + i] = in[i * ts + j];
    for (size_t ii = 0; ii < rowlen; ii++)
        for (unsigned kk = 0; kk < 8; kk++)
            for (unsigned m = 0; m < 8; m++)
                put_bit(t2, 8 * (kk * rowlen + ii) + m, get_bit(t1, 8 * (8 * ii + m) + kk));
    /* trans_elem(in, out, lda = 8, ldb = ts, elem_size = s / 8) */
    for (unsigned ii = 0; ii < 8; ii++)
        for (unsigned jj = 0; jj < ts; jj++)
            memcpy(out + (jj * 8 + ii) * (s / 8), t2 + (ii * ts + jj) * (s / 8), s / 8);
    free(t1);
    free(t2);
}

static void ref_bitshuffle(unsigned ts, const uint8_t *in, size_t n, uint8_t *out) {
    size_t m = n / ts, block = 8192 / ts, done = 0;
    for (; done + block <= m; done += block)
        ref_bitshuffle_block(ts, in + done * ts, block, out + done * ts);
    size_t last = (m - done) - (m - done) % 8;
    if (last) ref_bitshuffle_block(ts, in + done * ts, last, out + done * ts);
    done += last;
    memcpy(out + done * ts, in + done * ts, n - done * ts);
}

static uint64_t get_le(const uint8_t *p, unsigned ts) { return tu_get_le(p, (int)ts); }

static void ref_delta(unsigned ts, const uint8_t *in, size_t n, uint8_t *out) {
    size_t m = n / ts;
    uint64_t mask = ts == 8 ? UINT64_MAX : ((uint64_t)1 << (8 * ts)) - 1;
    for (size_t i = 0; i < m; i++) {
        uint64_t prev = i ? get_le(in + (i - 1) * ts, ts) : 0;
        tu_put_le(out + i * ts, (get_le(in + i * ts, ts) - prev) & mask, (int)ts);
    }
    memcpy(out + m * ts, in + m * ts, n - m * ts);
}

/* Planes with the alignment bytes given (those the library chose: the choice is tested
 * separately). */
static void ref_planes(unsigned ts, const uint8_t *in, size_t n, const uint8_t *align,
                       uint8_t *out) {
    size_t nb = (n + 65535) / 65536, total = 0;
    for (size_t b = 0; b < nb; b++) {
        size_t len = n - b * 65536 < 65536 ? n - b * 65536 : 65536;
        size_t lead = align[b] < len ? align[b] : len;
        total += (len - lead) / ts;
        out[b] = align[b];
    }
    size_t at = 0, raw = nb + ts * total;
    for (size_t b = 0; b < nb; b++) {
        const uint8_t *blk = in + b * 65536;
        size_t len = n - b * 65536 < 65536 ? n - b * 65536 : 65536;
        size_t lead = align[b] < len ? align[b] : len, e = (len - lead) / ts;
        size_t tail = (len - lead) % ts;
        for (size_t i = 0; i < e; i++)
            for (unsigned q = 0; q < ts; q++)
                out[nb + q * total + at + i] = blk[lead + i * ts + (ts - 1 - q)];
        memcpy(out + raw, blk, lead);
        raw += lead;
        memcpy(out + raw, blk + len - tail, tail);
        raw += tail;
        at += e;
    }
    for (size_t i = 0; ts == 4 && i < total; i++) { /* the sign swap: bit 7 of planes 0, 1 */
        uint8_t *p0 = out + nb + i, *p1 = out + nb + total + i, hi = *p0;
        *p0 = (uint8_t)((*p0 & 0x7f) | (*p1 & 0x80));
        *p1 = (uint8_t)((*p1 & 0x7f) | (hi & 0x80));
    }
    assert_int_equal(raw, nb + n);
}

static void reference(int id, unsigned ts, const uint8_t *in, size_t n, const uint8_t *lib_out,
                      uint8_t *out) {
    switch (id) {
    case CMZ_FILTER_NONE: memcpy(out, in, n); break;
    case CMZ_FILTER_SHUFFLE: ref_shuffle(ts, in, n, out); break;
    case CMZ_FILTER_BITSHUFFLE: ref_bitshuffle(ts, in, n, out); break;
    case CMZ_FILTER_DELTA: ref_delta(ts, in, n, out); break;
    default: ref_planes(ts, in, n, lib_out, out); break;
    }
}

/* ---- round trips, ISAs against scalar, scalar against the reference --------------------- */

static void one_case(int id, unsigned ts, const uint8_t *data, size_t n, const char *kind) {
    uint8_t *in = exact(data, n);
    size_t bound = cmz_filter_bound(id, ts, n), size = 0;
    AT("%s ts=%u n=%zu %s", cmz_filter_name(id), ts, n, kind);
    CHECK(bound >= n);

    /* scalar first: the others must give the same bytes */
    force("scalar");
    uint8_t *scalar_out = exact(NULL, bound);
    expect_status(cmz_filter_forward(id, ts, in, n, scalar_out, bound, &size), CMZ_OK);
    CHECK(size == bound);
    uint8_t *want = exact(NULL, bound);
    reference(id, ts, in, n, scalar_out, want);
    CHECK(memcmp(scalar_out, want, bound) == 0);
    free(want);

    for (int i = 0; i < N_ISAS; i++) {
        if (!have_isa[i]) continue;
        force(all_isas[i]);
        AT("%s ts=%u n=%zu %s isa=%s", cmz_filter_name(id), ts, n, kind, all_isas[i]);
        uint8_t *out = exact(NULL, bound), *back = exact(NULL, n);
        size = 0;
        expect_status(cmz_filter_forward(id, ts, in, n, out, bound, &size), CMZ_OK);
        CHECK(size == bound);
        CHECK(memcmp(out, scalar_out, bound) == 0);
        expect_status(cmz_filter_backward(id, ts, out, bound, back, n), CMZ_OK);
        CHECK(memcmp(back, in, n) == 0);
        free(out);
        free(back);
    }
    free(scalar_out);
    free(in);
    cmz_filter_force_isa(NULL);
}

static void test_round_trip(void **state) {
    (void)state;
    for (int f = 0; f < N_FILTERS; f++) {
        unsigned ts[3];
        unsigned nts = filter_typesizes(all_filters[f], ts);
        for (unsigned t = 0; t < nts; t++) {
            size_t lens[32];
            size_t nlen = length_classes(ts[t], lens);
            for (size_t l = 0; l < nlen; l++) {
                one_case(all_filters[f], ts[t], random_data, lens[l], "random");
                one_case(all_filters[f], ts[t], float_data, lens[l], "float32");
            }
        }
    }
}

/* Every start offset modulo 32 (the SIMD step) at a few lengths around block edges. */
static void test_offsets(void **state) {
    (void)state;
    const size_t lens[] = {8 * 8 + 5, 8192 * 2 + 8 * 17 + 3, 65536 + 255};
    for (int f = 1; f < N_FILTERS; f++)
        for (unsigned ts = 2; ts <= 8; ts *= 2)
            for (size_t l = 0; l < sizeof lens / sizeof lens[0]; l++)
                for (size_t off = 1; off < 32; off += 5)
                    one_case(all_filters[f], ts, random_data + off, lens[l], "offset");
}

/* ---- fixed vectors: the format, independent of both implementations --------------------- */

static void expect_forward(int id, unsigned ts, const uint8_t *in, size_t n, const uint8_t *want,
                           size_t want_n) {
    for (int i = 0; i < N_ISAS; i++) {
        if (!have_isa[i]) continue;
        force(all_isas[i]);
        AT("%s ts=%u fixed vector isa=%s", cmz_filter_name(id), ts, all_isas[i]);
        uint8_t out[64], back[64];
        size_t size = 0;
        expect_status(cmz_filter_forward(id, ts, in, n, out, sizeof out, &size), CMZ_OK);
        CHECK(size == want_n);
        CHECK(memcmp(out, want, want_n) == 0);
        expect_status(cmz_filter_backward(id, ts, want, want_n, back, n), CMZ_OK);
        CHECK(memcmp(back, in, n) == 0);
    }
    cmz_filter_force_isa(NULL);
}

static void test_fixed_vectors(void **state) {
    (void)state;
    const uint8_t seq[10] = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9};
    const uint8_t shuffled[10] = {0, 4, 1, 5, 2, 6, 3, 7, 8, 9};
    expect_forward(CMZ_FILTER_SHUFFLE, 4, seq, 10, shuffled, 10);

    /* 8 elements i = 0..7 of 2 bytes and one trailing byte: bit rows 0, 1, 2 of the low
     * bytes are 0xaa, 0xcc, 0xf0; every other row is 0 */
    uint8_t elems[17] = {0}, bits[17] = {0xaa, 0xcc, 0xf0};
    for (int i = 0; i < 8; i++) elems[2 * i] = (uint8_t)i;
    elems[16] = bits[16] = 0x5a;
    expect_forward(CMZ_FILTER_BITSHUFFLE, 2, elems, 17, bits, 17);

    const uint8_t ints[9] = {5, 0, 3, 0, 0xff, 0xff, 1, 0, 0x77};
    const uint8_t deltas[9] = {5, 0, 0xfe, 0xff, 0xfc, 0xff, 2, 0, 0x77};
    expect_forward(CMZ_FILTER_DELTA, 2, ints, 9, deltas, 9);

    /* planes, decoder side: one junk byte, then 1.0f and -2.0f, alignment 1; the sign swap
     * makes plane 0 the exponents 0x7f and 0x80 (bits rotated: 0xbf, 0x40), plane 1 the
     * signs with the mantissas' top bits (0x00, 0x80) */
    const uint8_t floats[9] = {0xee, 0x00, 0x00, 0x80, 0x3f, 0x00, 0x00, 0x00, 0xc0};
    const uint8_t planes[10] = {1, 0xbf, 0x40, 0x00, 0x80, 0x00, 0x00, 0x00, 0x00, 0xee};
    uint8_t back[9];
    AT("planes fixed vector");
    expect_status(cmz_filter_backward(CMZ_FILTER_PLANES, 4, planes, 10, back, 9), CMZ_OK);
    CHECK(memcmp(back, floats, 9) == 0);
}

/* ---- argument checks ------------------------------------------------------------------- */

static void test_names_and_checks(void **state) {
    (void)state;
    const char *names[] = {"none", "shuffle", "bitshuffle", "delta", "planes"};
    for (int id = 0; id <= CMZ_FILTER_ID_MAX; id++) {
        assert_string_equal(cmz_filter_name(id), names[id]);
        int got = -1;
        assert_int_equal(cmz_filter_by_name(names[id], &got, NULL), CMZ_OK);
        assert_int_equal(got, id);
    }
    int got = -1;
    assert_int_equal(cmz_filter_by_name("BitShuffle", &got, NULL), CMZ_OK);
    assert_int_equal(got, CMZ_FILTER_BITSHUFFLE);
    assert_int_equal(cmz_filter_by_name("PLANES", &got, NULL), CMZ_OK);
    assert_int_equal(got, CMZ_FILTER_PLANES);
    cmz_error err;
    cmz_error_clear(&err);
    assert_int_equal(cmz_filter_by_name("bogus", &got, &err), CMZ_ERR_INVALID_ARG);
    assert_int_equal(got, CMZ_FILTER_PLANES); /* left as it was */
    assert_non_null(strstr(err.message, "'bogus'"));
    assert_non_null(strstr(err.message, "bitshuffle")); /* the valid names */
    assert_int_equal(cmz_filter_by_name("", &got, NULL), CMZ_ERR_INVALID_ARG);
    assert_int_equal(cmz_filter_by_name(NULL, &got, NULL), CMZ_ERR_INVALID_ARG);
    assert_int_equal(cmz_filter_by_name("none", NULL, NULL), CMZ_ERR_INVALID_ARG);
    assert_string_equal(cmz_filter_name(-1), "unknown");
    assert_string_equal(cmz_filter_name(CMZ_FILTER_ID_MAX + 1), "unknown");

    assert_int_equal(cmz_filter_check(CMZ_FILTER_NONE, 1), CMZ_OK);
    assert_int_equal(cmz_filter_check(CMZ_FILTER_NONE, 2), CMZ_ERR_INVALID_ARG);
    for (int id = 1; id <= CMZ_FILTER_ID_MAX; id++) {
        for (unsigned ts = 2; ts <= 8; ts *= 2) assert_int_equal(cmz_filter_check(id, ts), CMZ_OK);
        const unsigned bad[] = {0, 1, 3, 5, 16, 0xffffffffu};
        for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
            assert_int_equal(cmz_filter_check(id, bad[i]), CMZ_ERR_INVALID_ARG);
            assert_int_equal(cmz_filter_bound(id, bad[i], 100), 0);
        }
    }
    const int unknown[] = {-1, CMZ_FILTER_ID_MAX + 1, 255, 1 << 20};
    uint8_t buf[16] = {0}, out[16];
    size_t size;
    for (size_t i = 0; i < sizeof unknown / sizeof unknown[0]; i++) {
        assert_int_equal(cmz_filter_check(unknown[i], 4), CMZ_ERR_UNSUPPORTED);
        assert_int_equal(cmz_filter_bound(unknown[i], 4, 100), 0);
        assert_int_equal(cmz_filter_forward(unknown[i], 4, buf, 16, out, 16, &size),
                         CMZ_ERR_UNSUPPORTED);
        assert_int_equal(cmz_filter_backward(unknown[i], 4, buf, 16, out, 16), CMZ_ERR_UNSUPPORTED);
    }
    assert_int_equal(cmz_filter_forward(CMZ_FILTER_SHUFFLE, 3, buf, 16, out, 16, &size),
                     CMZ_ERR_INVALID_ARG);

    /* bounds */
    assert_int_equal(cmz_filter_bound(CMZ_FILTER_SHUFFLE, 4, 1000), 1000);
    assert_int_equal(cmz_filter_bound(CMZ_FILTER_PLANES, 4, 0), 0);
    assert_int_equal(cmz_filter_bound(CMZ_FILTER_PLANES, 4, 1), 2);
    assert_int_equal(cmz_filter_bound(CMZ_FILTER_PLANES, 4, 65536), 65537);
    assert_int_equal(cmz_filter_bound(CMZ_FILTER_PLANES, 4, 65537), 65539);
    assert_int_equal(cmz_filter_bound(CMZ_FILTER_PLANES, 4, SIZE_MAX), 0);

    /* destination and argument errors */
    size = 12345;
    assert_int_equal(cmz_filter_forward(CMZ_FILTER_PLANES, 4, buf, 16, out, 16, &size),
                     CMZ_ERR_DST_TOO_SMALL);
    assert_int_equal(cmz_filter_forward(CMZ_FILTER_SHUFFLE, 4, buf, 16, out, 15, &size),
                     CMZ_ERR_DST_TOO_SMALL);
    assert_int_equal(cmz_filter_forward(CMZ_FILTER_SHUFFLE, 4, buf, 16, out, 16, NULL),
                     CMZ_ERR_INVALID_ARG);
    assert_int_equal(cmz_filter_forward(CMZ_FILTER_SHUFFLE, 4, NULL, 16, out, 16, &size),
                     CMZ_ERR_INVALID_ARG);
    assert_int_equal(cmz_filter_backward(CMZ_FILTER_SHUFFLE, 4, buf, 16, NULL, 16),
                     CMZ_ERR_INVALID_ARG);
    /* empty input: NULL buffers are fine */
    for (int id = 0; id <= CMZ_FILTER_ID_MAX; id++) {
        unsigned ts = id == CMZ_FILTER_NONE ? 1 : 4;
        size = 99;
        assert_int_equal(cmz_filter_forward(id, ts, NULL, 0, NULL, 0, &size), CMZ_OK);
        assert_int_equal(size, 0);
        assert_int_equal(cmz_filter_backward(id, ts, NULL, 0, NULL, 0), CMZ_OK);
    }
}

static void test_force_isa(void **state) {
    (void)state;
    assert_int_equal(cmz_filter_force_isa("scalar"), CMZ_OK);
    assert_string_equal(cmz_filter_isa(), "scalar");
    assert_int_equal(cmz_filter_force_isa("neon"), CMZ_ERR_INVALID_ARG);
    assert_string_equal(cmz_filter_isa(), "scalar"); /* unchanged by the failed call */
    for (int i = 0; i < N_ISAS; i++) {
        cmz_status st = cmz_filter_force_isa(all_isas[i]);
        if (have_isa[i]) {
            assert_int_equal(st, CMZ_OK);
            assert_string_equal(cmz_filter_isa(), all_isas[i]);
        } else {
            assert_int_equal(st, CMZ_ERR_UNSUPPORTED);
        }
    }
    assert_int_equal(cmz_filter_force_isa(NULL), CMZ_OK);
    const char *best = cmz_filter_isa();
    assert_true(strcmp(best, "avx2") == 0 || strcmp(best, "sse2") == 0 ||
                strcmp(best, "scalar") == 0);
    print_message("filter ISA on this machine: %s\n", best);
}

/* ---- malformed filtered input ---------------------------------------------------------- */

static void expect_corrupt(int id, unsigned ts, const uint8_t *src, size_t src_size, size_t n) {
    uint8_t *in = exact(src, src_size), *out = exact(NULL, n);
    for (int i = 0; i < N_ISAS; i++) {
        if (!have_isa[i]) continue;
        force(all_isas[i]);
        expect_status(cmz_filter_backward(id, ts, in, src_size, out, n), CMZ_ERR_CORRUPT);
    }
    cmz_filter_force_isa(NULL);
    free(in);
    free(out);
}

static void test_malformed(void **state) {
    (void)state;
    const size_t lens[] = {1, 7, 65536, 65537, MAX_LEN};
    for (unsigned ts = 2; ts <= 8; ts *= 2) {
        for (size_t l = 0; l < sizeof lens / sizeof lens[0]; l++) {
            size_t n = lens[l], bound = cmz_filter_bound(CMZ_FILTER_PLANES, ts, n), size;
            size_t nb = bound - n;
            uint8_t *f = exact(NULL, bound);
            assert_int_equal(
                cmz_filter_forward(CMZ_FILTER_PLANES, ts, float_data, n, f, bound, &size), CMZ_OK);
            /* a header byte >= typesize, in the first, a middle and the last block */
            const size_t blocks[] = {0, nb / 2, nb - 1};
            const unsigned bad[] = {ts, ts + 1, 255};
            for (size_t b = 0; b < 3; b++) {
                for (size_t v = 0; v < 3; v++) {
                    AT("planes ts=%u n=%zu header[%zu]=%u", ts, n, blocks[b], bad[v]);
                    uint8_t keep = f[blocks[b]];
                    f[blocks[b]] = (uint8_t)bad[v];
                    expect_corrupt(CMZ_FILTER_PLANES, ts, f, bound, n);
                    f[blocks[b]] = keep;
                }
            }
            /* truncated, too long, or a different n */
            AT("planes ts=%u n=%zu wrong sizes", ts, n);
            expect_corrupt(CMZ_FILTER_PLANES, ts, f, bound - 1, n);
            expect_corrupt(CMZ_FILTER_PLANES, ts, f, nb - 1, n);
            expect_corrupt(CMZ_FILTER_PLANES, ts, f, 0, n);
            uint8_t *longer = exact(NULL, bound + 1);
            memcpy(longer, f, bound);
            longer[bound] = 0;
            expect_corrupt(CMZ_FILTER_PLANES, ts, longer, bound + 1, n);
            free(longer);
            if (n > 1) expect_corrupt(CMZ_FILTER_PLANES, ts, f, bound, n - 1);
            expect_corrupt(CMZ_FILTER_PLANES, ts, f, bound, n + 1);
            free(f);

            /* the other filters: the filtered size must be n */
            for (int id = CMZ_FILTER_SHUFFLE; id <= CMZ_FILTER_DELTA; id++) {
                AT("%s ts=%u n=%zu wrong sizes", cmz_filter_name(id), ts, n);
                expect_corrupt(id, ts, random_data, n - 1, n);
                expect_corrupt(id, ts, random_data, n + 1, n);
            }
        }
        /* sizes near SIZE_MAX must not wrap */
        uint8_t small[4] = {0};
        AT("planes ts=%u huge n", ts);
        expect_status(cmz_filter_backward(CMZ_FILTER_PLANES, ts, small, 4, small, SIZE_MAX),
                      CMZ_ERR_CORRUPT);
        expect_status(cmz_filter_backward(CMZ_FILTER_PLANES, ts, small, 4, small, SIZE_MAX - 3),
                      CMZ_ERR_CORRUPT);
    }
    AT("planes empty");
    uint8_t one = 0;
    expect_status(cmz_filter_backward(CMZ_FILTER_PLANES, 4, &one, 1, &one, 0), CMZ_ERR_CORRUPT);
}

/* Any header with bytes < typesize is valid: random ones must decode without touching
 * anything outside the buffers (ASan), and encode back to the same bytes. */
static void test_planes_any_header(void **state) {
    (void)state;
    uint64_t rng = 11;
    const size_t lens[] = {1, 2, 3, 9, 65537, 65536 * 2 + 1, MAX_LEN};
    for (unsigned ts = 2; ts <= 8; ts *= 2) {
        for (size_t l = 0; l < sizeof lens / sizeof lens[0]; l++) {
            size_t n = lens[l], bound = cmz_filter_bound(CMZ_FILTER_PLANES, ts, n);
            uint8_t *f = exact(random_data, bound), *out = exact(NULL, n);
            for (size_t b = 0; b < bound - n; b++) f[b] = (uint8_t)(tu_rand(&rng) % ts);
            AT("planes ts=%u n=%zu random header", ts, n);
            for (int i = 0; i < N_ISAS; i++) {
                if (!have_isa[i]) continue;
                force(all_isas[i]);
                expect_status(cmz_filter_backward(CMZ_FILTER_PLANES, ts, f, bound, out, n), CMZ_OK);
                uint8_t *again = exact(NULL, bound);
                ref_planes(ts, out, n, f, again);
                CHECK(memcmp(again, f, bound) == 0);
                free(again);
            }
            cmz_filter_force_isa(NULL);
            free(f);
            free(out);
        }
    }
}

/* ---- planes finds the float alignment ---------------------------------------------------- */

static uint16_t to_half(float v) {
    uint32_t x;
    memcpy(&x, &v, 4);
    uint16_t sign = (uint16_t)((x >> 16) & 0x8000);
    int e = (int)((x >> 23) & 0xff) - 127 + 15;
    if (e <= 0) return sign; /* flush subnormals to zero: enough for the test */
    if (e >= 31) return (uint16_t)(sign | 0x7c00);
    return (uint16_t)(sign | (e << 10) | ((x >> 13) & 0x3ff));
}

/* kind: 0 = fp16, 1 = bf16, 2 = fp32, 3 = fp64 */
static void alignment_case(int kind, unsigned ts, size_t offset) {
    const size_t count = 3 * 65536 / ts + 1000; /* 3 blocks and a part */
    size_t n = offset + count * ts;
    uint8_t *buf = exact(NULL, n);
    uint64_t rng = 5;
    for (size_t i = 0; i < offset; i++) buf[i] = (uint8_t)tu_rand(&rng);
    for (size_t i = 0; i < count; i++) {
        double v = 0.05 * sin((double)i * 0.013) + 0.01 * sin((double)i * 2.1) + 1e-4;
        uint8_t *p = buf + offset + i * ts;
        float fv = (float)v;
        uint32_t x;
        uint64_t x64;
        memcpy(&x, &fv, 4);
        memcpy(&x64, &v, 8);
        uint16_t h = kind == 0 ? to_half(fv) : (uint16_t)(x >> 16);
        /* little-endian floats, as planes reads them (docs/FILTERS.md), on any host */
        if (kind <= 1) tu_put_le(p, h, 2);
        else if (kind == 2) tu_put_le(p, x, 4);
        else tu_put_le(p, x64, 8);
    }
    size_t bound = cmz_filter_bound(CMZ_FILTER_PLANES, ts, n), size;
    uint8_t *f = exact(NULL, bound);
    assert_int_equal(cmz_filter_forward(CMZ_FILTER_PLANES, ts, buf, n, f, bound, &size), CMZ_OK);
    const char *names[] = {"fp16", "bf16", "fp32", "fp64"};
    for (size_t b = 0; b < bound - n; b++) {
        AT("%s at offset %zu: block %zu", names[kind], offset, b);
        if (f[b] != offset) print_error("%s: alignment %u\n", where, (unsigned)f[b]);
        CHECK(f[b] == offset);
    }
    free(f);
    free(buf);
}

static void test_planes_alignment(void **state) {
    (void)state;
    for (size_t off = 0; off < 2; off++) {
        alignment_case(0, 2, off);
        alignment_case(1, 2, off);
    }
    for (size_t off = 0; off < 4; off++) alignment_case(2, 4, off);
    for (size_t off = 0; off < 8; off++) alignment_case(3, 8, off);
}

/* The filters never allocate (bitshuffle's scratch is on the stack): with an allocator that
 * always fails, every filter still works, and the allocator is never called. */
static size_t alloc_calls;
static void *failing_alloc(void *opaque, size_t size) {
    (void)opaque;
    (void)size;
    alloc_calls++;
    return NULL;
}
static void failing_free(void *opaque, void *ptr) {
    (void)opaque;
    (void)ptr;
}

static void test_no_allocation(void **state) {
    (void)state;
    const size_t n = 100003;
    uint8_t *f = exact(NULL, cmz_filter_bound(CMZ_FILTER_PLANES, 8, n)), *back = exact(NULL, n);
    cmz_allocator failing = {failing_alloc, failing_free, NULL};
    cmz_set_allocator(&failing);
    alloc_calls = 0;
    for (int id = 0; id <= CMZ_FILTER_ID_MAX; id++) {
        for (unsigned ts = 1; ts <= 8; ts *= 2) {
            if (cmz_filter_check(id, ts) != CMZ_OK) continue;
            size_t bound = cmz_filter_bound(id, ts, n), size;
            AT("%s ts=%u under a failing allocator", cmz_filter_name(id), ts);
            expect_status(cmz_filter_forward(id, ts, random_data, n, f, bound, &size), CMZ_OK);
            expect_status(cmz_filter_backward(id, ts, f, size, back, n), CMZ_OK);
            CHECK(memcmp(back, random_data, n) == 0);
        }
    }
    cmz_set_allocator(NULL);
    assert_int_equal(alloc_calls, 0);
    free(f);
    free(back);
}

static int restore_allocator(void **state) {
    cmz_set_allocator(NULL);
    return reset_isa(state);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_names_and_checks),
        cmocka_unit_test_teardown(test_force_isa, reset_isa),
        cmocka_unit_test_teardown(test_fixed_vectors, reset_isa),
        cmocka_unit_test_teardown(test_round_trip, reset_isa),
        cmocka_unit_test_teardown(test_offsets, reset_isa),
        cmocka_unit_test_teardown(test_malformed, reset_isa),
        cmocka_unit_test_teardown(test_planes_any_header, reset_isa),
        cmocka_unit_test_teardown(test_planes_alignment, reset_isa),
        cmocka_unit_test_teardown(test_no_allocation, restore_allocator),
    };
    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
