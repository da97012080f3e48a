/* The codec layer: every compiled-in codec at its minimum, default and maximum level, plus the
 * table (names, aliases, levels), the status strings and allocation-failure injection.
 *
 * Buffers handed to a codec are malloc'd with exactly the size the codec is told, so that an
 * ASan build catches any read or write past them. Per-codec tests are generated at run time
 * from cmz_codec_list(), one cmocka test per (test, codec), named "<test>/<codec>". */
#include "testutil.h"

#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define KiB ((size_t)1 << 10)
#define MiB ((size_t)1 << 20)

/* Inputs shared by the round-trip tests, made once (generating 4 MiB is not free). */
static uint8_t *random_in, *repetitive_in, *mixed_in;
#define RANDOM_SIZE (256 * KiB)
#define REPETITIVE_SIZE (1 * MiB)
#define MIXED_SIZE (4 * MiB)
/* The slowest settings (lzma 9, brotli 11, zstd 22 and bzip2, whose default is its maximum)
 * compress mixed data at roughly 0.5..5 MB/s: they get the first 512 KiB of the mixed input
 * instead of all 4 MiB, to keep the whole suite under ~20 s in a Debug+ASan build. */
#define MIXED_SIZE_SLOW (512 * KiB)
/* The sizes used: the above divided by tu_scale() (smaller under emulation). */
static size_t random_size, repetitive_size, mixed_size, mixed_size_slow;

static int group_setup(void **state) {
    (void)state;
    random_size = RANDOM_SIZE / tu_scale();
    repetitive_size = REPETITIVE_SIZE / tu_scale();
    mixed_size = MIXED_SIZE / tu_scale();
    mixed_size_slow = MIXED_SIZE_SLOW / tu_scale();
    random_in = tu_random(random_size, 1);
    repetitive_in = tu_repetitive(repetitive_size);
    mixed_in = tu_mixed(mixed_size, 2);
    return 0;
}

static int group_teardown(void **state) {
    (void)state;
    free(random_in);
    free(repetitive_in);
    free(mixed_in);
    return 0;
}

/* A failed test must not leave a failing allocator behind for the next one. */
static int restore_allocator(void **state) {
    (void)state;
    cmz_set_allocator(NULL);
    return 0;
}

/* What is being checked, printed with any failure. */
static char where[256];
#define AT(...) snprintf(where, sizeof where, __VA_ARGS__)

static void expect_status(cmz_status got, cmz_status want) {
    if (got != want) {
        print_error("%s: got %s, want %s\n", where, cmz_status_name(got), cmz_status_name(want));
        fail();
    }
}

/* Damaged input may decode (then to exactly raw_size bytes: the API allows nothing else) or
 * be refused as corrupt; anything else (a crash, an overflow, another status) is a bug. */
static void expect_ok_or_corrupt(cmz_status got) {
    if (got != CMZ_OK && got != CMZ_ERR_CORRUPT) {
        print_error("%s: got %s, want CMZ_OK or CMZ_ERR_CORRUPT\n", where, cmz_status_name(got));
        fail();
    }
}

static uint8_t *xmalloc(size_t n) {
    /* malloc(0) gives a zero-size block under ASan: any access to it is reported. */
    uint8_t *p = malloc(n);
    assert_true(p != NULL || n == 0);
    return p;
}

static uint8_t *copy_of(const uint8_t *src, size_t n) {
    uint8_t *p = xmalloc(n);
    if (n) memcpy(p, src, n);
    return p;
}

/* min, default and max without repeats; returns how many. */
static size_t levels_of(const cmz_codec *c, int out[3]) {
    int cand[3] = {cmz_codec_min_level(c), cmz_codec_default_level(c), cmz_codec_max_level(c)};
    size_t k = 0;
    for (size_t i = 0; i < 3; i++) {
        bool seen = false;
        for (size_t j = 0; j < k; j++) seen |= out[j] == cand[i];
        if (!seen) out[k++] = cand[i];
    }
    return k;
}

static bool is_slow(const cmz_codec *c, int level) {
    cmz_codec_id id = cmz_codec_id_of(c);
    if (id == CMZ_CODEC_BZIP2) return true;
    return level == cmz_codec_max_level(c) &&
           (id == CMZ_CODEC_ZSTD || id == CMZ_CODEC_LZMA || id == CMZ_CODEC_BROTLI);
}

/* Compresses src into a malloc'd buffer of exactly cmz_codec_bound bytes; *size gets the
 * compressed size. */
static uint8_t *compress_alloc(cmz_codec_ctx *ctx, int level, const uint8_t *src, size_t n,
                               size_t *size) {
    const cmz_codec *c = cmz_codec_ctx_codec(ctx);
    size_t bound = cmz_codec_bound(c, n);
    AT("%s level %d: bound(%zu)", cmz_codec_name(c), level, n);
    assert_true(bound >= n);
    uint8_t *out = xmalloc(bound);
    size_t got = SIZE_MAX;
    AT("%s level %d: compress %zu bytes", cmz_codec_name(c), level, n);
    expect_status(cmz_codec_compress(ctx, level, out, bound, src, n, &got), CMZ_OK);
    assert_true(got <= bound);
    *size = got;
    return out;
}

/* Decodes comp into exactly `raw_size` bytes: the status. */
static cmz_status decompress_exact(cmz_codec_ctx *ctx, const uint8_t *comp, size_t csize,
                                   size_t raw_size) {
    uint8_t *out = xmalloc(raw_size);
    cmz_status st = cmz_codec_decompress(ctx, out, raw_size, comp, csize);
    free(out);
    return st;
}

/* Round trip of one input at one level, then the same stream against raw_size - 1 and + 1. */
static void roundtrip_one(cmz_codec_ctx *ctx, int level, const uint8_t *data, size_t n,
                          const char *what) {
    const char *name = cmz_codec_name(cmz_codec_ctx_codec(ctx));
    size_t csize = 0;
    uint8_t *comp = compress_alloc(ctx, level, data, n, &csize);
    /* Compressed bytes in a buffer of their exact size: a decoder reading past it is caught. */
    uint8_t *exact = copy_of(comp, csize);
    free(comp);

    uint8_t *back = xmalloc(n);
    AT("%s level %d, %s (%zu bytes): decompress", name, level, what, n);
    expect_status(cmz_codec_decompress(ctx, back, n, exact, csize), CMZ_OK);
    if (n) assert_memory_equal(back, data, n);
    free(back);

    if (n > 0) {
        AT("%s level %d, %s: decompress into raw_size - 1", name, level, what);
        expect_status(decompress_exact(ctx, exact, csize, n - 1), CMZ_ERR_CORRUPT);
    }
    AT("%s level %d, %s: decompress into raw_size + 1", name, level, what);
    expect_status(decompress_exact(ctx, exact, csize, n + 1), CMZ_ERR_CORRUPT);
    free(exact);
}

static void test_roundtrip(void **state) {
    const cmz_codec *c = *state;
    cmz_codec_ctx *ctx = cmz_codec_ctx_new(c);
    assert_non_null(ctx);
    assert_ptr_equal(cmz_codec_ctx_codec(ctx), c);
    int levels[3];
    size_t nlevels = levels_of(c, levels);
    /* One context for every level: adapters must cope with the level changing under them. */
    for (size_t i = 0; i < nlevels; i++) {
        int lv = levels[i];
        const char *name = cmz_codec_name(c);

        /* Empty input given as NULL, decoded into NULL: the API allows both. */
        size_t bound = cmz_codec_bound(c, 0);
        uint8_t *comp = xmalloc(bound);
        size_t csize = SIZE_MAX;
        AT("%s level %d: compress empty input", name, lv);
        expect_status(cmz_codec_compress(ctx, lv, comp, bound, NULL, 0, &csize), CMZ_OK);
        assert_true(csize <= bound);
        uint8_t *exact = copy_of(comp, csize);
        AT("%s level %d: decompress empty input", name, lv);
        expect_status(cmz_codec_decompress(ctx, NULL, 0, exact, csize), CMZ_OK);
        AT("%s level %d: empty input into raw_size 1", name, lv);
        expect_status(decompress_exact(ctx, exact, csize, 1), CMZ_ERR_CORRUPT);
        free(exact);
        free(comp);

        roundtrip_one(ctx, lv, (const uint8_t *)"x", 1, "1 byte");
        roundtrip_one(ctx, lv, random_in, random_size, "random");
        roundtrip_one(ctx, lv, repetitive_in, repetitive_size, "repetitive");
        roundtrip_one(ctx, lv, mixed_in, is_slow(c, lv) ? mixed_size_slow : mixed_size, "mixed");
    }
    cmz_codec_ctx_free(ctx);

    /* The context-per-call forms. */
    uint8_t *text = tu_text(10000, 3);
    size_t bound = cmz_codec_bound(c, 10000), csize = 0;
    uint8_t *comp = xmalloc(bound), *back = xmalloc(10000);
    AT("%s: compress_once", cmz_codec_name(c));
    expect_status(cmz_codec_compress_once(c, CMZ_LEVEL_DEFAULT, comp, bound, text, 10000, &csize),
                  CMZ_OK);
    AT("%s: decompress_once", cmz_codec_name(c));
    expect_status(cmz_codec_decompress_once(c, back, 10000, comp, csize), CMZ_OK);
    assert_memory_equal(back, text, 10000);
    free(text);
    free(comp);
    free(back);
}

/* A buffer of exactly `cap` bytes that is too small: DST_TOO_SMALL and no write past it. */
static void expect_too_small(cmz_codec_ctx *ctx, int level, const uint8_t *src, size_t n,
                             size_t cap) {
    uint8_t *dst = xmalloc(cap);
    size_t got = 12345;
    expect_status(cmz_codec_compress(ctx, level, dst, cap, src, n, &got), CMZ_ERR_DST_TOO_SMALL);
    assert_int_equal(got, 12345); /* untouched on error */
    free(dst);
}

static void test_dst_too_small(void **state) {
    const cmz_codec *c = *state;
    const char *name = cmz_codec_name(c);
    cmz_codec_ctx *ctx = cmz_codec_ctx_new(c);
    assert_non_null(ctx);
    const size_t mixed_n = 64 * KiB / tu_scale();
    uint8_t *mixed = tu_mixed(mixed_n, 5);
    int levels[3];
    size_t nlevels = levels_of(c, levels);
    for (size_t i = 0; i < nlevels; i++) {
        int lv = levels[i];
        size_t bound = cmz_codec_bound(c, random_size);
        AT("%s level %d: random data into bound/2 = %zu bytes", name, lv, bound / 2);
        expect_too_small(ctx, lv, random_in, random_size, bound / 2);
        AT("%s level %d: random data into 0 bytes", name, lv);
        expect_too_small(ctx, lv, random_in, random_size, 0);
        size_t got = 0;
        AT("%s level %d: random data into NULL, capacity 0", name, lv);
        expect_status(cmz_codec_compress(ctx, lv, NULL, 0, random_in, random_size, &got),
                      CMZ_ERR_DST_TOO_SMALL);

        /* One byte short of what this level makes. */
        size_t csize = 0;
        free(compress_alloc(ctx, lv, mixed, mixed_n, &csize));
        AT("%s level %d: mixed data into its compressed size - 1 = %zu bytes", name, lv, csize - 1);
        expect_too_small(ctx, lv, mixed, mixed_n, csize - 1);

        /* Empty input still needs at least a byte of stream, except when stored. */
        AT("%s level %d: empty input into 0 bytes", name, lv);
        if (cmz_codec_id_of(c) == CMZ_CODEC_NONE) {
            expect_status(cmz_codec_compress(ctx, lv, NULL, 0, NULL, 0, &got), CMZ_OK);
            assert_int_equal(got, 0);
        } else {
            expect_too_small(ctx, lv, NULL, 0, 0);
        }
    }
    free(mixed);
    cmz_codec_ctx_free(ctx);
}

/* Every prefix of a small stream, some of a large one, and one byte too many: CORRUPT, with
 * the input in a buffer of exactly its size so that reading past it is caught. */
static void test_truncated(void **state) {
    const cmz_codec *c = *state;
    const char *name = cmz_codec_name(c);
    cmz_codec_ctx *ctx = cmz_codec_ctx_new(c);
    assert_non_null(ctx);

    const size_t small_n = 300;
    uint8_t *small = tu_text(small_n, 7);
    size_t csize = 0;
    uint8_t *comp = compress_alloc(ctx, CMZ_LEVEL_DEFAULT, small, small_n, &csize);
    for (size_t len = 0; len < csize; len++) {
        uint8_t *prefix = copy_of(comp, len);
        AT("%s: %zu-byte prefix of a %zu-byte stream", name, len, csize);
        expect_status(decompress_exact(ctx, prefix, len, small_n), CMZ_ERR_CORRUPT);
        free(prefix);
    }
    uint8_t *longer = xmalloc(csize + 1);
    memcpy(longer, comp, csize);
    longer[csize] = 0x5a;
    AT("%s: a %zu-byte stream with one byte appended", name, csize);
    expect_status(decompress_exact(ctx, longer, csize + 1, small_n), CMZ_ERR_CORRUPT);
    free(longer);
    free(comp);
    free(small);

    const size_t big_n = 1 * MiB / tu_scale();
    comp = compress_alloc(ctx, CMZ_LEVEL_DEFAULT, mixed_in, big_n, &csize);
    const size_t lens[] = {0, 1, 2, 3, 8, csize / 4, csize / 2, csize - 8, csize - 2, csize - 1};
    for (size_t i = 0; i < sizeof lens / sizeof lens[0]; i++) {
        uint8_t *prefix = copy_of(comp, lens[i]);
        AT("%s: %zu-byte prefix of a %zu-byte stream", name, lens[i], csize);
        expect_status(decompress_exact(ctx, prefix, lens[i], big_n), CMZ_ERR_CORRUPT);
        free(prefix);
    }
    free(comp);
    cmz_codec_ctx_free(ctx);
}

/* Random bytes, and valid streams with bytes changed: decoded or refused, never a crash. */
static void test_garbage(void **state) {
    const cmz_codec *c = *state;
    const char *name = cmz_codec_name(c);
    cmz_codec_ctx *ctx = cmz_codec_ctx_new(c);
    assert_non_null(ctx);

    const size_t garbage_lens[] = {1, 2, 7, 64, 1000, 65536};
    const size_t raw_sizes[] = {0, 1, 4096, 65536};
    for (size_t i = 0; i < sizeof garbage_lens / sizeof garbage_lens[0]; i++) {
        uint8_t *junk = tu_random(garbage_lens[i], 100 + i);
        for (size_t j = 0; j < sizeof raw_sizes / sizeof raw_sizes[0]; j++) {
            AT("%s: %zu random bytes into raw_size %zu", name, garbage_lens[i], raw_sizes[j]);
            expect_ok_or_corrupt(decompress_exact(ctx, junk, garbage_lens[i], raw_sizes[j]));
        }
        free(junk);
    }

    /* A small stream with every byte changed in three ways. */
    const size_t small_n = 300;
    uint8_t *small = tu_text(small_n, 9);
    size_t csize = 0;
    uint8_t *comp = compress_alloc(ctx, CMZ_LEVEL_DEFAULT, small, small_n, &csize);
    const uint8_t masks[] = {0x01, 0x80, 0xFF};
    for (size_t pos = 0; pos < csize; pos++) {
        for (size_t m = 0; m < sizeof masks; m++) {
            uint8_t *bad = copy_of(comp, csize);
            bad[pos] ^= masks[m];
            AT("%s: %zu-byte stream with byte %zu ^ 0x%02x", name, csize, pos, masks[m]);
            expect_ok_or_corrupt(decompress_exact(ctx, bad, csize, small_n));
            free(bad);
        }
    }
    free(comp);
    free(small);

    /* A larger stream: its first and last 32 bytes and ~128 positions between. */
    const size_t big_n = 64 * KiB;
    comp = compress_alloc(ctx, CMZ_LEVEL_DEFAULT, mixed_in, big_n, &csize);
    uint64_t rng = 42;
    for (size_t k = 0; k < 192; k++) {
        size_t pos = k < 32 ? k : k < 64 ? csize - 1 - (k - 32) : (size_t)(tu_rand(&rng) % csize);
        if (pos >= csize) continue;
        uint8_t *bad = copy_of(comp, csize);
        bad[pos] ^= (uint8_t)(1u << (k % 8));
        AT("%s: %zu-byte stream with bit %zu of byte %zu flipped", name, csize, k % 8, pos);
        expect_ok_or_corrupt(decompress_exact(ctx, bad, csize, big_n));
        free(bad);
    }
    free(comp);
    cmz_codec_ctx_free(ctx);
}

/* The range check, the default level and the bound's overflow behaviour. */
static void test_levels(void **state) {
    const cmz_codec *c = *state;
    const char *name = cmz_codec_name(c);
    int min = cmz_codec_min_level(c), max = cmz_codec_max_level(c);
    int def = cmz_codec_default_level(c);
    assert_true(min <= def && def <= max);
    assert_true(cmz_codec_default_chunk_size(c) > 0);

    cmz_error err;
    int resolved = 7777;
    cmz_error_clear(&err);
    AT("%s: CMZ_LEVEL_DEFAULT", name);
    expect_status(cmz_codec_check_level(c, CMZ_LEVEL_DEFAULT, &resolved, &err), CMZ_OK);
    assert_int_equal(resolved, def);
    expect_status(cmz_codec_check_level(c, min, &resolved, NULL), CMZ_OK);
    assert_int_equal(resolved, min);
    expect_status(cmz_codec_check_level(c, max, &resolved, NULL), CMZ_OK);
    assert_int_equal(resolved, max);

    const int bad[] = {min - 1, max + 1};
    for (size_t i = 0; i < 2; i++) {
        cmz_error_clear(&err);
        AT("%s: level %d", name, bad[i]);
        expect_status(cmz_codec_check_level(c, bad[i], &resolved, &err), CMZ_ERR_LEVEL_RANGE);
        assert_int_equal(err.status, CMZ_ERR_LEVEL_RANGE);
        assert_non_null(strstr(err.message, name));

        cmz_codec_ctx *ctx = cmz_codec_ctx_new(c);
        assert_non_null(ctx);
        uint8_t dst[64];
        size_t got = 0;
        expect_status(cmz_codec_compress(ctx, bad[i], dst, sizeof dst, "abc", 3, &got),
                      CMZ_ERR_LEVEL_RANGE);
        cmz_codec_ctx_free(ctx);
    }

    /* A bound is either 0 ("cannot bound") or at least the input: never wrapped around. */
    const size_t sizes[] = {0, 1, 1000, 1 * MiB, 0xFFFFFFFFu, SIZE_MAX / 2, SIZE_MAX - 1, SIZE_MAX};
    for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
        size_t b = cmz_codec_bound(c, sizes[i]);
        AT("%s: bound(%zu) = %zu", name, sizes[i], b);
        if (b != 0 && b < sizes[i]) {
            print_error("%s\n", where);
            fail();
        }
    }
    assert_true(cmz_codec_bound(c, 1 * MiB) > 0);
}

/* Allocation-failure injection: the Nth allocation fails, for N = 1, 2, ... until a run
 * sees no failure. Every call must return NOMEM or succeed, and nothing may leak. (Codec
 * libraries that allocate with plain malloc are not seen here: libdeflate, snappy and the
 * brotli encoder.) */
static struct {
    size_t count, fail_at, live, allocs;
    bool failed;
} fa;

static void *fa_alloc(void *opaque, size_t size) {
    (void)opaque;
    if (++fa.count == fa.fail_at) {
        fa.failed = true;
        return NULL;
    }
    void *p = malloc(size);
    if (p) {
        fa.live++;
        fa.allocs++;
    }
    return p;
}

static void fa_free(void *opaque, void *ptr) {
    (void)opaque;
    if (ptr) fa.live--;
    free(ptr);
}

static void test_alloc_failure(void **state) {
    const cmz_codec *c = *state;
    const char *name = cmz_codec_name(c);
    const size_t n = 16 * KiB / tu_scale();
    uint8_t *data = tu_mixed(n, 11);
    size_t bound = cmz_codec_bound(c, n), ref_size = 0;
    cmz_codec_ctx *plain = cmz_codec_ctx_new(c);
    assert_non_null(plain);
    uint8_t *ref = compress_alloc(plain, CMZ_LEVEL_DEFAULT, data, n, &ref_size);
    cmz_codec_ctx_free(plain);

    int levels[3];
    size_t nlevels = levels_of(c, levels);
    uint8_t *comp = xmalloc(bound), *back = xmalloc(n);
    const cmz_allocator hook = {fa_alloc, fa_free, NULL};
    size_t runs = 0;
    for (size_t fail_at = 1;; fail_at++) {
        assert_true(fail_at < 10000);
        memset(&fa, 0, sizeof fa);
        fa.fail_at = fail_at;
        cmz_status st[4] = {CMZ_OK, CMZ_OK, CMZ_OK, CMZ_OK};
        size_t nst = 0;
        bool ctx_failed = false;

        cmz_set_allocator(&hook);
        cmz_codec_ctx *ctx = cmz_codec_ctx_new(c);
        if (!ctx) {
            ctx_failed = true;
        } else {
            for (size_t i = 0; i < nlevels; i++) {
                size_t got = 0;
                st[nst++] = cmz_codec_compress(ctx, levels[i], comp, bound, data, n, &got);
            }
            st[nst++] = cmz_codec_decompress(ctx, back, n, ref, ref_size);
            cmz_codec_ctx_free(ctx);
        }
        cmz_set_allocator(NULL);
        runs++;

        AT("%s: allocation %zu fails (%zu allocations made)", name, fail_at, fa.allocs);
        if (fa.live != 0) {
            print_error("%s: %zu blocks leaked\n", where, fa.live);
            fail();
        }
        bool any_error = ctx_failed;
        for (size_t i = 0; i < nst; i++) {
            if (st[i] != CMZ_OK) {
                any_error = true;
                expect_status(st[i], CMZ_ERR_NOMEM);
            }
        }
        if (!fa.failed) {
            /* Past the last allocation: everything worked. */
            assert_false(any_error);
            assert_memory_equal(back, data, n);
            break;
        }
        if (!any_error) {
            print_error("%s: no call reported the failure\n", where);
            fail();
        }
    }
    print_message("%s: %zu allocation-failure runs\n", name, runs);
    free(comp);
    free(back);
    free(ref);
    free(data);
}

static void test_version(void **state) {
    const cmz_codec *c = *state;
    const char *v = cmz_codec_library_version(c);
    assert_non_null(v);
    assert_true(v[0] != '\0');
    /* A version, not a banner: "1.0.8", not "1.0.8, 13-Jul-2019". */
    assert_null(strpbrk(v, ", "));
}

/* ---- tests over the whole table ---------------------------------------------------------- */

static void test_table(void **state) {
    (void)state;
    size_t count = 0;
    const cmz_codec *const *list = cmz_codec_list(&count);
    assert_non_null(list);
    assert_true(count >= 1);
    assert_int_equal(cmz_codec_id_of(list[0]), CMZ_CODEC_NONE);
    for (size_t i = 0; i < count; i++) {
        if (i > 0) assert_true(cmz_codec_id_of(list[i - 1]) < cmz_codec_id_of(list[i]));
        assert_true((int)cmz_codec_id_of(list[i]) <= CMZ_CODEC_ID_MAX);
        assert_ptr_equal(cmz_codec_by_id((int)cmz_codec_id_of(list[i])), list[i]);
        const cmz_codec *found = NULL;
        assert_int_equal(cmz_codec_by_name(cmz_codec_name(list[i]), &found, NULL), CMZ_OK);
        assert_ptr_equal(found, list[i]);
    }
    assert_null(cmz_codec_by_id(-1));
    assert_null(cmz_codec_by_id(CMZ_CODEC_ID_MAX + 1));
    assert_null(cmz_codec_by_id(1000));
}

/* zstd's negative ("fast") levels: in range, coded and decoded, recorded in a frame's signed
 * level byte as they are; its level 0 is its default level, as in libzstd. */
static void test_zstd_fast_levels(void **state) {
    (void)state;
    tu_need_codec(CMZ_CODEC_ZSTD);
    const cmz_codec *z = cmz_codec_by_id(CMZ_CODEC_ZSTD);
    assert_non_null(z);
    assert_true(cmz_codec_min_level(z) <= -7);
    assert_true(cmz_codec_min_level(z) >= -128); /* the frame's level byte is signed */
    int resolved = 0;
    const int fast[] = {-1, -5, cmz_codec_min_level(z)};
    cmz_codec_ctx *ctx = cmz_codec_ctx_new(z);
    assert_non_null(ctx);
    for (size_t i = 0; i < sizeof fast / sizeof fast[0]; i++) {
        AT("zstd level %d", fast[i]);
        expect_status(cmz_codec_check_level(z, fast[i], &resolved, NULL), CMZ_OK);
        assert_int_equal(resolved, fast[i]);
        roundtrip_one(ctx, fast[i], mixed_in, mixed_size / 4, "mixed");
    }
    cmz_codec_ctx_free(ctx);
    AT("zstd level 0");
    expect_status(cmz_codec_check_level(z, 0, &resolved, NULL), CMZ_OK);
    assert_int_equal(resolved, cmz_codec_default_level(z));

    const int recorded[][2] = {{-5, -5},
                               {cmz_codec_min_level(z), cmz_codec_min_level(z)},
                               {0, cmz_codec_default_level(z)}};
    for (size_t i = 0; i < sizeof recorded / sizeof recorded[0]; i++) {
        cmz_params p = tu_params(CMZ_CODEC_ZSTD, 64 * KiB, 1);
        p.level = recorded[i][0];
        size_t size = 0;
        uint8_t *frame = tu_compress(&p, mixed_in, 256 * KiB, &size);
        assert_non_null(frame);
        cmz_source src;
        cmz_source_memory(&src, frame, size);
        cmz_frame_info fi;
        AT("zstd level %d in a frame", recorded[i][0]);
        expect_status(cmz_frame_info_read(&src, &fi, NULL), CMZ_OK);
        assert_int_equal(fi.level, recorded[i][1]);
        free(frame);
    }
}

static void test_names(void **state) {
    (void)state;
    /* Case-insensitive names and aliases, for every codec this build has. */
    static const struct {
        const char *name;
        int id;
    } names[] = {
        {"ZSTD", CMZ_CODEC_ZSTD},  {"Zstd", CMZ_CODEC_ZSTD},     {"Lz4", CMZ_CODEC_LZ4},
        {"LZ4HC", CMZ_CODEC_LZ4},  {"lz4hc", CMZ_CODEC_LZ4},     {"GZIP", CMZ_CODEC_GZIP},
        {"gz", CMZ_CODEC_GZIP},    {"zlib", CMZ_CODEC_GZIP},     {"Bzip2", CMZ_CODEC_BZIP2},
        {"bz2", CMZ_CODEC_BZIP2},  {"LZMA", CMZ_CODEC_LZMA},     {"xz", CMZ_CODEC_LZMA},
        {"XZ", CMZ_CODEC_LZMA},    {"Snappy", CMZ_CODEC_SNAPPY}, {"BROTLI", CMZ_CODEC_BROTLI},
        {"br", CMZ_CODEC_BROTLI},  {"NONE", CMZ_CODEC_NONE},     {"store", CMZ_CODEC_NONE},
        {"Store", CMZ_CODEC_NONE},
    };
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        const cmz_codec *want = cmz_codec_by_id(names[i].id);
        cmz_error err;
        cmz_error_clear(&err);
        const cmz_codec *got = NULL;
        cmz_status st = cmz_codec_by_name(names[i].name, &got, &err);
        if (want) {
            assert_int_equal(st, CMZ_OK);
            AT("name '%s'", names[i].name);
            if (got != want) {
                print_error("%s: resolved to %s\n", where, got ? cmz_codec_name(got) : "NULL");
                fail();
            }
        } else {
            /* Known, but its library was missing at configure time. */
            assert_null(got);
            assert_int_equal(st, CMZ_ERR_CODEC_DISABLED);
            assert_int_equal(err.status, CMZ_ERR_CODEC_DISABLED);
        }
    }

    const char *const unknown[] = {"nosuchcodec", "", "zstd ", "lz", "gzip9"};
    size_t count = 0;
    const cmz_codec *const *list = cmz_codec_list(&count);
    for (size_t i = 0; i < sizeof unknown / sizeof unknown[0]; i++) {
        cmz_error err;
        cmz_error_clear(&err);
        const cmz_codec *got = list[0]; /* left as it was on error */
        assert_int_equal(cmz_codec_by_name(unknown[i], &got, &err), CMZ_ERR_UNKNOWN_CODEC);
        assert_ptr_equal(got, list[0]);
        assert_int_equal(err.status, CMZ_ERR_UNKNOWN_CODEC);
        assert_non_null(strstr(err.message, unknown[i]));
        for (size_t k = 0; k < count; k++) {
            if (!strstr(err.message, cmz_codec_name(list[k]))) {
                print_error("message '%s' does not name codec %s\n", err.message,
                            cmz_codec_name(list[k]));
                fail();
            }
        }
        /* err is optional */
        assert_int_equal(cmz_codec_by_name(unknown[i], &got, NULL), CMZ_ERR_UNKNOWN_CODEC);
    }
    cmz_error err;
    cmz_error_clear(&err);
    const cmz_codec *got = NULL;
    assert_int_equal(cmz_codec_by_name(NULL, &got, &err), CMZ_ERR_INVALID_ARG);
    assert_int_equal(err.status, CMZ_ERR_INVALID_ARG);
    assert_int_equal(cmz_codec_by_name("zstd", NULL, NULL), CMZ_ERR_INVALID_ARG);
}

static void test_strerror(void **state) {
    (void)state;
    static const cmz_status all[] = {
#define STATUS_VALUE_(name, value, msg) CMZ_##name,
        CMZ_STATUS_MAP(STATUS_VALUE_)
#undef STATUS_VALUE_
    };
    const size_t n = sizeof all / sizeof all[0];
    for (size_t i = 0; i < n; i++) {
        const char *s = cmz_strerror(all[i]);
        assert_non_null(s);
        assert_true(s[0] != '\0');
        assert_string_not_equal(s, "unknown status");
        assert_string_not_equal(cmz_status_name(all[i]), "unknown");
        for (size_t j = 0; j < i; j++) {
            assert_string_not_equal(s, cmz_strerror(all[j]));
            assert_string_not_equal(cmz_status_name(all[i]), cmz_status_name(all[j]));
        }
    }
    assert_string_equal(cmz_strerror((cmz_status)12345), "unknown status");
    assert_string_equal(cmz_strerror((cmz_status)-12345), "unknown status");
    assert_string_equal(cmz_status_name((cmz_status)12345), "unknown");
    assert_string_equal(cmz_status_name(CMZ_ERR_CORRUPT), "CMZ_ERR_CORRUPT");
}

/* library_version builds its string once; several threads asking at once get one answer. */
#define VERSION_THREADS 4
static const char *seen_versions[VERSION_THREADS][CMZ_CODEC_ID_MAX + 1];

static void *version_thread(void *arg) {
    const char **row = arg;
    size_t count = 0;
    const cmz_codec *const *list = cmz_codec_list(&count);
    for (size_t i = 0; i < count; i++)
        row[cmz_codec_id_of(list[i])] = cmz_codec_library_version(list[i]);
    return NULL;
}

static void test_version_threads(void **state) {
    (void)state;
    pthread_t t[VERSION_THREADS];
    for (int i = 0; i < VERSION_THREADS; i++)
        assert_int_equal(pthread_create(&t[i], NULL, version_thread, seen_versions[i]), 0);
    for (int i = 0; i < VERSION_THREADS; i++) assert_int_equal(pthread_join(t[i], NULL), 0);
    size_t count = 0;
    const cmz_codec *const *list = cmz_codec_list(&count);
    for (size_t k = 0; k < count; k++) {
        int id = (int)cmz_codec_id_of(list[k]);
        for (int i = 0; i < VERSION_THREADS; i++)
            assert_string_equal(seen_versions[i][id], cmz_codec_library_version(list[k]));
    }
}

int main(void) {
    static const struct {
        const char *name;
        CMUnitTestFunction fn;
    } per_codec[] = {
        {"version", test_version},
        {"levels", test_levels},
        {"roundtrip", test_roundtrip},
        {"dst_too_small", test_dst_too_small},
        {"truncated", test_truncated},
        {"garbage", test_garbage},
        {"alloc_failure", test_alloc_failure},
    };
    static const struct {
        const char *name;
        CMUnitTestFunction fn;
    } whole[] = {
        {"table", test_table},
        {"names", test_names},
        {"zstd_fast_levels", test_zstd_fast_levels},
        {"strerror", test_strerror},
        {"version_threads", test_version_threads},
    };
    const size_t nper = sizeof per_codec / sizeof per_codec[0];
    const size_t nwhole = sizeof whole / sizeof whole[0];
    size_t count = 0;
    const cmz_codec *const *list = cmz_codec_list(&count);

    size_t ntests = nwhole + nper * count;
    struct CMUnitTest *tests = calloc(ntests, sizeof *tests);
    char(*names)[64] = calloc(ntests, sizeof *names);
    assert_non_null(tests);
    assert_non_null(names);
    size_t k = 0;
    for (size_t i = 0; i < nwhole; i++, k++) {
        tests[k].name = whole[i].name;
        tests[k].test_func = whole[i].fn;
        tests[k].teardown_func = restore_allocator;
    }
    for (size_t t = 0; t < nper; t++) {
        for (size_t i = 0; i < count; i++, k++) {
            snprintf(names[k], sizeof names[k], "%s/%s", per_codec[t].name,
                     cmz_codec_name(list[i]));
            tests[k].name = names[k];
            tests[k].test_func = per_codec[t].fn;
            tests[k].teardown_func = restore_allocator;
            tests[k].initial_state = (void *)list[i];
        }
    }
    int failed = _cmocka_run_group_tests("codec", tests, ntests, group_setup, group_teardown);
    free(tests);
    free(names);
    return failed;
}
