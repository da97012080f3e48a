/* The rans codec's own cases (test_codec.c covers the generic ones for every codec): its
 * four block modes (table reuse included), block boundaries, hand-damaged tables and payload sizes,
 * every single-byte corruption of a small coded stream, and reproducible output. Format:
 * docs/RANS.md (varint raw size, then 4 KiB blocks: mode byte, ...). */
#include "testutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define BLOCK 4096u

static const cmz_codec *rans(void) {
    const cmz_codec *c = cmz_codec_by_id(CMZ_CODEC_RANS);
    assert_non_null(c);
    return c;
}

static uint8_t *xmalloc(size_t n) {
    uint8_t *p = malloc(n ? n : 1);
    assert_non_null(p);
    return p;
}

/* Skewed bytes like an exponent plane: mostly a few values, now and then others. */
static uint8_t *skewed(size_t n, uint64_t seed) {
    uint8_t *p = xmalloc(n);
    uint64_t s = seed;
    for (size_t i = 0; i < n; i++) {
        uint64_t r = tu_rand(&s);
        p[i] = (r & 7) ? (uint8_t)(0x3c + (r >> 8) % 3) : (uint8_t)(r >> 16);
    }
    return p;
}

/* Compresses into a buffer of exactly the bound; returns a copy of exactly the output. */
static uint8_t *compress(const uint8_t *src, size_t n, size_t *size) {
    size_t bound = cmz_codec_bound(rans(), n);
    uint8_t *out = xmalloc(bound);
    assert_int_equal(cmz_codec_compress_once(rans(), 0, out, bound, src, n, size), CMZ_OK);
    assert_true(*size <= bound);
    uint8_t *exact = xmalloc(*size);
    memcpy(exact, out, *size);
    free(out);
    return exact;
}

static cmz_status decompress(const uint8_t *comp, size_t csize, uint8_t *out, size_t n) {
    return cmz_codec_decompress_once(rans(), out, n, comp, csize);
}

static void roundtrip(const uint8_t *src, size_t n, size_t *csize_out) {
    size_t csize = 0;
    uint8_t *comp = compress(src, n, &csize);
    uint8_t *back = xmalloc(n);
    assert_int_equal(decompress(comp, csize, back, n), CMZ_OK);
    if (n) assert_memory_equal(back, src, n);
    if (csize_out) *csize_out = csize;
    free(back);
    free(comp);
}

static size_t varint_size(size_t n) {
    size_t k = 1;
    while (n >>= 7) k++;
    return k;
}

static void test_modes(void **state) {
    (void)state;
    size_t n = 3 * BLOCK, csize = 0, h = varint_size(n);
    /* Random: every block stored (mode 0), 1 byte over the raw size per block. */
    uint8_t *rnd = tu_random(n, 7);
    uint8_t *comp = compress(rnd, n, &csize);
    assert_int_equal(csize, h + n + 3);
    for (size_t b = 0; b < 3; b++) assert_int_equal(comp[h + b * (BLOCK + 1)], 0);
    free(comp);
    /* Constant: every block a run (mode 1): 2 bytes a block. */
    uint8_t *same = xmalloc(n);
    memset(same, 0x42, n);
    comp = compress(same, n, &csize);
    assert_int_equal(csize, h + 6);
    for (size_t b = 0; b < 3; b++) {
        assert_int_equal(comp[h + 2 * b], 1);
        assert_int_equal(comp[h + 2 * b + 1], 0x42);
    }
    free(comp);
    /* Skewed: coded (mode 2), well under the raw size. */
    uint8_t *sk = skewed(n, 3);
    comp = compress(sk, n, &csize);
    assert_int_equal(comp[h], 2);
    assert_true(csize < n / 2);
    free(comp);
    roundtrip(rnd, n, NULL);
    roundtrip(same, n, NULL);
    roundtrip(sk, n, NULL);
    /* All three in one stream. */
    uint8_t *mix = xmalloc(n);
    memcpy(mix, rnd, BLOCK);
    memcpy(mix + BLOCK, same, BLOCK);
    memcpy(mix + 2 * BLOCK, sk, BLOCK);
    roundtrip(mix, n, NULL);
    free(mix);
    free(rnd);
    free(same);
    free(sk);
}

/* The sample test (docs/RANS.md, step 0): a full block is judged on bytes [0,256),
 * [1024,1280), [2048,2304), [3072,3328) first. Random there and constant elsewhere: stored
 * without looking further. Constant there and random elsewhere: counted in full and, being
 * 3/4 random, still compressible enough to be coded. A short last block is never sampled. */
static void test_sample_rule(void **state) {
    (void)state;
    uint8_t *rnd = tu_random(BLOCK, 5), *blk = xmalloc(BLOCK);
    size_t csize = 0, h = varint_size(BLOCK);
    for (int sample_random = 0; sample_random < 2; sample_random++) {
        for (size_t i = 0; i < BLOCK; i++) {
            int in_sample = (i % 1024) < 256;
            blk[i] = in_sample == sample_random ? rnd[i] : 0x55;
        }
        uint8_t *comp = compress(blk, BLOCK, &csize);
        if (sample_random) {
            assert_int_equal(comp[h], 0);
            assert_int_equal(csize, h + 1 + BLOCK);
        } else {
            assert_int_equal(comp[h], 2);
            assert_true(csize < BLOCK);
        }
        free(comp);
        roundtrip(blk, BLOCK, NULL);
        /* the same bytes as a short last block (BLOCK - 1 of them): counted in full, coded */
        comp = compress(blk, BLOCK - 1, &csize);
        assert_int_equal(comp[varint_size(BLOCK - 1)], 2);
        free(comp);
    }
    free(rnd);
    free(blk);
}

static void test_boundaries(void **state) {
    (void)state;
    const size_t sizes[] = {
        0,         1,         2,     3,     4,     5,         BLOCK - 1, BLOCK,
        BLOCK + 1, 3 * BLOCK, 65535, 65536, 65537, 3 * 65536, 1u << 20,  (1u << 20) + 16};
    for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
        uint8_t *sk = skewed(sizes[i], 11 + i);
        uint8_t *rnd = tu_random(sizes[i], 21 + i);
        roundtrip(sk, sizes[i], NULL);
        roundtrip(rnd, sizes[i], NULL);
        free(sk);
        free(rnd);
    }
}

/* A single coded block of `n` skewed bytes: returns the stream; *table gets the offset of the
 * table (after the varint and the mode byte). */
static uint8_t *coded_block(size_t n, size_t *csize, size_t *table) {
    uint8_t *sk = skewed(n, 5);
    uint8_t *comp = compress(sk, n, csize);
    free(sk);
    size_t h = varint_size(n);
    assert_int_equal(comp[h], 2);
    *table = h + 1;
    return comp;
}

/* Offset of the table's first frequency nibble byte, and of the payload size field, for the
 * table at t: u32 group mask, one set byte per group, then 4-bit frequency digits. */
static size_t table_freqs(const uint8_t *p, size_t t) {
    uint32_t mask = (uint32_t)p[t] | (uint32_t)p[t + 1] << 8 | (uint32_t)p[t + 2] << 16 |
                    (uint32_t)p[t + 3] << 24;
    size_t at = t + 4;
    for (unsigned k = 0; k < 32; k++) at += (mask >> k) & 1;
    return at;
}

static size_t table_end(const uint8_t *p, size_t t) {
    size_t set = table_freqs(p, t), nib = 2 * set;
    unsigned present = 0;
    for (size_t at = t + 4; at < set; at++)
        for (unsigned j = 0; j < 8; j++) present += (p[at] >> j) & 1;
    for (unsigned s = 0; s < present; s++) {
        while ((p[nib >> 1] >> (4 * (nib & 1))) & 8) nib++; /* continuation digits */
        nib++;
    }
    return (nib + 1) / 2;
}

static void test_bad_table(void **state) {
    (void)state;
    size_t n = 2000, csize = 0, t = 0;
    uint8_t *comp = coded_block(n, &csize, &t);
    uint8_t *out = xmalloc(n);
    assert_int_equal(decompress(comp, csize, out, n), CMZ_OK);
    /* The first present symbol's frequency (low digit) changed: the sum is no longer 4096. */
    size_t first = table_freqs(comp, t);
    uint8_t keep = comp[first];
    comp[first] = (uint8_t)(keep ^ 1);
    assert_int_equal(decompress(comp, csize, out, n), CMZ_ERR_CORRUPT);
    comp[first] = (uint8_t)(keep ^ 2);
    assert_int_equal(decompress(comp, csize, out, n), CMZ_ERR_CORRUPT);
    comp[first] = keep;
    /* A group in the mask with an empty set byte. */
    uint8_t set0 = comp[t + 4];
    comp[t + 4] = 0;
    assert_int_equal(decompress(comp, csize, out, n), CMZ_ERR_CORRUPT);
    comp[t + 4] = set0;
    /* The mask cut to no groups: no symbol, the sum is 0. */
    uint8_t m[4];
    memcpy(m, comp + t, 4);
    memset(comp + t, 0, 4);
    assert_int_equal(decompress(comp, csize, out, n), CMZ_ERR_CORRUPT);
    memcpy(comp + t, m, 4);
    assert_int_equal(decompress(comp, csize, out, n), CMZ_OK);
    /* Mode 3 (the previous table) with no table before it in the stream. */
    comp[t - 1] = 3;
    assert_int_equal(decompress(comp, csize, out, n), CMZ_ERR_CORRUPT);
    /* An unknown mode. */
    comp[t - 1] = 4;
    assert_int_equal(decompress(comp, csize, out, n), CMZ_ERR_CORRUPT);
    comp[t - 1] = 2;
    /* The declared raw size differs from the one asked for. */
    assert_int_equal(decompress(comp, csize, out, n - 1), CMZ_ERR_CORRUPT);
    free(out);
    free(comp);
}

/* Blocks with the same distribution: after the first coded block (mode 2), the others reuse
 * its table (mode 3, no table), and the stream decodes; damaging a mode-3 payload is caught. */
static void test_reuse(void **state) {
    (void)state;
    size_t n = 8 * BLOCK, csize = 0, h = varint_size(n);
    uint8_t *src = xmalloc(n);
    uint64_t s = 17;
    for (size_t i = 0; i < n; i++) { /* a smooth distribution over 4 symbols: stable tables */
        uint64_t r = tu_rand(&s) % 16;
        src[i] = (uint8_t)(r < 8 ? 0x10 : r < 12 ? 0x11 : r < 14 ? 0x12 : 0x13);
    }
    uint8_t *comp = compress(src, n, &csize);
    assert_int_equal(comp[h], 2);
    size_t at = table_end(comp, h + 1);
    at += 2 + ((size_t)comp[at] | (size_t)comp[at + 1] << 8);
    assert_int_equal(comp[at], 3); /* the second block reuses the first one's table */
    size_t reuses = 0;
    for (size_t b = 1; b < 8; b++) {
        assert_true(comp[at] == 2 || comp[at] == 3);
        if (comp[at] == 3) reuses++;
        at = (comp[at] == 3 ? at + 1 : table_end(comp, at + 1));
        at += 2 + ((size_t)comp[at] | (size_t)comp[at + 1] << 8);
    }
    assert_int_equal(at, csize);
    assert_true(reuses >= 4);
    roundtrip(src, n, NULL);
    uint8_t *out = xmalloc(n);
    comp[csize - 1] ^= 0x40;
    assert_int_equal(decompress(comp, csize, out, n), CMZ_ERR_CORRUPT);
    free(out);
    free(comp);
    free(src);
}

static void test_bad_payload_size(void **state) {
    (void)state;
    size_t n = 2000, csize = 0, t = 0;
    uint8_t *comp = coded_block(n, &csize, &t);
    uint8_t *out = xmalloc(n);
    size_t ps = table_end(comp, t);
    size_t psize = (size_t)comp[ps] | (size_t)comp[ps + 1] << 8;
    assert_int_equal(ps + 2 + psize, csize); /* the one block ends the stream */
    comp[ps] = 0xff, comp[ps + 1] = 0xff;    /* past the input */
    assert_int_equal(decompress(comp, csize, out, n), CMZ_ERR_CORRUPT);
    comp[ps] = (uint8_t)(psize + 1), comp[ps + 1] = (uint8_t)((psize + 1) >> 8);
    assert_int_equal(decompress(comp, csize, out, n), CMZ_ERR_CORRUPT);
    comp[ps] = (uint8_t)(psize - 1), comp[ps + 1] = (uint8_t)((psize - 1) >> 8);
    assert_int_equal(decompress(comp, csize, out, n), CMZ_ERR_CORRUPT);
    comp[ps] = 0, comp[ps + 1] = 0; /* no room for the states */
    assert_int_equal(decompress(comp, csize, out, n), CMZ_ERR_CORRUPT);
    free(out);
    free(comp);
}

/* Every byte of a small coded stream, changed in several ways: CORRUPT, or OK with exactly
 * raw_size bytes written (the buffer is exactly that size: ASan catches anything more). */
static void test_single_byte_corruption(void **state) {
    (void)state;
    size_t n = 700, csize = 0, t = 0;
    uint8_t *comp = coded_block(n, &csize, &t);
    uint8_t *out = xmalloc(n);
    const uint8_t flips[] = {0x01, 0x02, 0x10, 0x80, 0xff};
    size_t ok = 0, corrupt = 0;
    for (size_t i = 0; i < csize; i++) {
        for (size_t f = 0; f < sizeof flips; f++) {
            uint8_t *bad = xmalloc(csize);
            memcpy(bad, comp, csize);
            bad[i] ^= flips[f];
            cmz_status st = decompress(bad, csize, out, n);
            if (st == CMZ_OK) ok++;
            else {
                assert_int_equal(st, CMZ_ERR_CORRUPT);
                corrupt++;
            }
            free(bad);
        }
    }
    /* The final-state check catches almost every change of the payload. */
    assert_true(corrupt > 9 * (ok + corrupt) / 10);
    free(out);
    free(comp);
}

static void test_deterministic(void **state) {
    (void)state;
    size_t n = 5 * BLOCK + 123, a = 0, b = 0;
    uint8_t *src = skewed(n, 9);
    uint8_t *x = compress(src, n, &a), *y = compress(src, n, &b);
    assert_int_equal(a, b);
    assert_memory_equal(x, y, a);
    /* The same context used twice gives the same bytes as a fresh one. */
    cmz_codec_ctx *ctx = cmz_codec_ctx_new(rans());
    assert_non_null(ctx);
    size_t bound = cmz_codec_bound(rans(), n), c = 0;
    uint8_t *z = xmalloc(bound);
    uint8_t *rnd = tu_random(n, 1);
    assert_int_equal(cmz_codec_compress(ctx, 0, z, bound, rnd, n, &c), CMZ_OK);
    assert_int_equal(cmz_codec_compress(ctx, 0, z, bound, src, n, &c), CMZ_OK);
    assert_int_equal(c, a);
    assert_memory_equal(z, x, a);
    cmz_codec_ctx_free(ctx);
    free(rnd);
    free(z);
    free(x);
    free(y);
    free(src);
}

/* Every block skewed in a different way, as planes of real tensors are: tables change. */
static void test_many_distributions(void **state) {
    (void)state;
    size_t n = 40 * BLOCK + 77;
    uint8_t *p = xmalloc(n);
    uint64_t s = 99;
    for (size_t i = 0; i < n; i++) {
        size_t b = i / BLOCK;
        uint64_t r = tu_rand(&s);
        unsigned spread = 1u + (unsigned)(b * 7 % 255);
        p[i] = (uint8_t)((r % (b + 2)) ? b * 13 + (r >> 20) % spread : r >> 40);
    }
    roundtrip(p, n, NULL);
    free(p);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_modes),
        cmocka_unit_test(test_sample_rule),
        cmocka_unit_test(test_boundaries),
        cmocka_unit_test(test_bad_table),
        cmocka_unit_test(test_bad_payload_size),
        cmocka_unit_test(test_single_byte_corruption),
        cmocka_unit_test(test_deterministic),
        cmocka_unit_test(test_many_distributions),
        cmocka_unit_test(test_reuse),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
