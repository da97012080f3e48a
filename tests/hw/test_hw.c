/* The hw layer: detection (the CPU always present, every absent backend with a reason), the
 * backend names, the choice (the caller's wish, CMZ_BACKEND over it, the CPU as the fallback
 * with its reason), and the batched codec calls with a status per chunk: corrupt, truncated
 * and missing chunks fail alone, never the batch or the process. */
#define CMZ_EXPERIMENTAL_API /* the batched calls (hw.h) */
#include "testutil.h"

#include "cmz/hw.h"

#include <stdlib.h>
#include <string.h>

static void test_list(void **state) {
    (void)state;
    cmz_hw_info hw[CMZ_BACKEND_COUNT];
    assert_int_equal(cmz_hw_list(NULL, 0), CMZ_BACKEND_COUNT);
    assert_int_equal(cmz_hw_list(hw, CMZ_BACKEND_COUNT), CMZ_BACKEND_COUNT);
    assert_int_equal(hw[0].backend, CMZ_BACKEND_CPU);
    assert_true(hw[0].present);
    assert_true(hw[0].units >= 1);
    assert_true(hw[0].memory > 0);
    assert_int_equal(hw[1].backend, CMZ_BACKEND_CUDA);
    assert_int_equal(hw[2].backend, CMZ_BACKEND_QAT);
    for (int i = 0; i < CMZ_BACKEND_COUNT; i++) {
        assert_true(hw[i].name[0] != 0);
        assert_true(hw[i].detail[0] != 0); /* what it offers, or why it is absent */
    }
    /* A second listing gives the same answers (probed once). */
    cmz_hw_info again[CMZ_BACKEND_COUNT];
    cmz_hw_list(again, CMZ_BACKEND_COUNT);
    assert_memory_equal(hw, again, sizeof hw);
}

static void test_names(void **state) {
    (void)state;
    static const char *const names[] = {"auto", "cpu", "cuda", "qat"};
    for (int b = 0; b <= CMZ_BACKEND_COUNT; b++) {
        cmz_backend got = CMZ_BACKEND_QAT;
        assert_string_equal(cmz_backend_name((cmz_backend)b), names[b]);
        assert_int_equal(cmz_backend_by_name(names[b], &got, NULL), CMZ_OK);
        assert_int_equal(got, b);
    }
    cmz_backend got;
    assert_int_equal(cmz_backend_by_name("CUDA", &got, NULL), CMZ_OK);
    assert_int_equal(got, CMZ_BACKEND_CUDA);
    cmz_error err;
    assert_int_equal(cmz_backend_by_name("gpu", &got, &err), CMZ_ERR_INVALID_ARG);
    assert_non_null(strstr(err.message, "'gpu'"));
    assert_non_null(strstr(err.message, "cuda"));
    assert_int_equal(cmz_backend_by_name(NULL, &got, NULL), CMZ_ERR_INVALID_ARG);
}

static void test_choice(void **state) {
    (void)state;
    unsetenv("CMZ_BACKEND");
    cmz_hw_info hw[CMZ_BACKEND_COUNT];
    cmz_hw_list(hw, CMZ_BACKEND_COUNT);
    cmz_hw_choice c = cmz_hw_best(CMZ_BACKEND_CPU, CMZ_CODEC_LZ4, 1, 1 << 20, CMZ_DATA_HOST);
    assert_int_equal(c.backend, CMZ_BACKEND_CPU);
    /* An absent backend asked for gives the CPU and says why, with the probe's words. */
    for (int b = CMZ_BACKEND_CUDA; b <= CMZ_BACKEND_QAT; b++) {
        c = cmz_hw_best((cmz_backend)b, CMZ_CODEC_LZ4, 1, 1 << 20, CMZ_DATA_HOST);
        if (hw[b - 1].present) {
            assert_int_equal(c.backend, b);
        } else {
            assert_int_equal(c.backend, CMZ_BACKEND_CPU);
            assert_non_null(strstr(c.reason, "absent"));
            assert_non_null(strstr(c.reason, cmz_backend_name((cmz_backend)b)));
        }
    }
    c = cmz_hw_best(CMZ_BACKEND_AUTO, CMZ_CODEC_LZ4, 1, 1 << 20, CMZ_DATA_HOST);
    assert_int_not_equal(c.backend, CMZ_BACKEND_AUTO);
    assert_true(c.reason[0] != 0);
    /* CMZ_BACKEND replaces the caller's wish; a bad value is reported and the CPU used. */
    setenv("CMZ_BACKEND", "cpu", 1);
    c = cmz_hw_best(CMZ_BACKEND_CUDA, CMZ_CODEC_LZ4, 1, 0, CMZ_DATA_HOST);
    assert_int_equal(c.backend, CMZ_BACKEND_CPU);
    assert_non_null(strstr(c.reason, "CMZ_BACKEND=cpu"));
    setenv("CMZ_BACKEND", "warp-drive", 1);
    c = cmz_hw_best(CMZ_BACKEND_AUTO, CMZ_CODEC_LZ4, 1, 0, CMZ_DATA_HOST);
    assert_int_equal(c.backend, CMZ_BACKEND_CPU);
    assert_non_null(strstr(c.reason, "warp-drive"));
    unsetenv("CMZ_BACKEND");
}

enum { CHUNKS = 6, CHUNK = 70000 };

typedef struct {
    uint8_t *raw[CHUNKS], *comp[CHUNKS], *back[CHUNKS];
    size_t raw_size[CHUNKS], cap[CHUNKS], comp_size[CHUNKS];
    cmz_status st[CHUNKS];
} batch;

static void batch_make(batch *b, int codec) {
    for (int i = 0; i < CHUNKS; i++) {
        b->raw_size[i] = i == 0 ? 0 : CHUNK - 1000 * (size_t)i;
        b->raw[i] = tu_mixed(b->raw_size[i], 40 + (uint64_t)i);
        b->cap[i] = cmz_codec_bound(cmz_codec_by_id(codec), b->raw_size[i]);
        b->comp[i] = malloc(b->cap[i]);
        b->back[i] = malloc(b->raw_size[i] + 1);
        assert_non_null(b->comp[i]);
        assert_non_null(b->back[i]);
    }
}

static void batch_free(batch *b) {
    for (int i = 0; i < CHUNKS; i++) free(b->raw[i]), free(b->comp[i]), free(b->back[i]);
}

static void test_batch_roundtrip(void **state) {
    (void)state;
    static const int codecs[] = {CMZ_CODEC_LZ4, CMZ_CODEC_ZSTD, CMZ_CODEC_PLANES, CMZ_CODEC_NONE};
    for (size_t k = 0; k < sizeof codecs / sizeof *codecs; k++) {
        if (!cmz_codec_by_id(codecs[k])) continue;
        batch b;
        batch_make(&b, codecs[k]);
        cmz_hw_choice used;
        assert_int_equal(cmz_hw_compress_batch(CMZ_BACKEND_AUTO, codecs[k], CMZ_LEVEL_DEFAULT, 2,
                                               (const void *const *)b.raw, b.raw_size, CHUNKS,
                                               (void *const *)b.comp, b.cap, b.comp_size, b.st,
                                               NULL, 0, &used),
                         CMZ_OK);
        assert_int_not_equal(used.backend, CMZ_BACKEND_AUTO);
        /* the typesize reached the codec: planes streams record it in their first byte */
        if (codecs[k] == CMZ_CODEC_PLANES) assert_int_equal(b.comp[1][0], 2);
        for (int i = 0; i < CHUNKS; i++) {
            assert_int_equal(b.st[i], CMZ_OK);
            /* the codec's own stream: the plain codec call decodes it */
            assert_int_equal(cmz_codec_decompress_once(cmz_codec_by_id(codecs[k]), b.back[i],
                                                       b.raw_size[i], b.comp[i], b.comp_size[i]),
                             CMZ_OK);
        }
        for (int i = 0; i < CHUNKS; i++) memset(b.back[i], 0xee, b.raw_size[i] + 1);
        assert_int_equal(cmz_hw_decompress_batch(
                             CMZ_BACKEND_CPU, codecs[k], (const void *const *)b.comp, b.comp_size,
                             CHUNKS, (void *const *)b.back, b.raw_size, b.st, NULL, 0, NULL),
                         CMZ_OK);
        for (int i = 0; i < CHUNKS; i++) {
            assert_int_equal(b.st[i], CMZ_OK);
            if (b.raw_size[i]) assert_memory_equal(b.back[i], b.raw[i], b.raw_size[i]);
        }
        batch_free(&b);
    }
}

/* One corrupt, one truncated and one missing chunk: each gets its status, the rest decode. */
static void test_batch_bad_chunks(void **state) {
    (void)state;
    batch b;
    batch_make(&b, CMZ_CODEC_LZ4);
    assert_int_equal(cmz_hw_compress_batch(CMZ_BACKEND_CPU, CMZ_CODEC_LZ4, 1, 1,
                                           (const void *const *)b.raw, b.raw_size, CHUNKS,
                                           (void *const *)b.comp, b.cap, b.comp_size, b.st, NULL, 0,
                                           NULL),
                     CMZ_OK);
    memset(b.comp[2], 0xff, b.comp_size[2]); /* corrupt: literal lengths that run past the end */
    b.comp_size[3] /= 2;                     /* truncated */
    uint8_t *missing = b.comp[4];
    b.comp[4] = NULL; /* no buffer */
    cmz_status first = cmz_hw_decompress_batch(
        CMZ_BACKEND_AUTO, CMZ_CODEC_LZ4, (const void *const *)b.comp, b.comp_size, CHUNKS,
        (void *const *)b.back, b.raw_size, b.st, NULL, 0, NULL);
    assert_int_equal(first, CMZ_ERR_CORRUPT);
    assert_int_equal(b.st[2], CMZ_ERR_CORRUPT);
    assert_int_equal(b.st[3], CMZ_ERR_CORRUPT);
    assert_int_equal(b.st[4], CMZ_ERR_INVALID_ARG);
    for (int i = 0; i < CHUNKS; i++) {
        if (i >= 2 && i <= 4) continue;
        assert_int_equal(b.st[i], CMZ_OK);
        if (b.raw_size[i]) assert_memory_equal(b.back[i], b.raw[i], b.raw_size[i]);
    }
    b.comp[4] = missing;
    /* a destination too small for one chunk fails that chunk only */
    size_t small = b.cap[1];
    b.cap[1] = 10;
    assert_int_equal(cmz_hw_compress_batch(CMZ_BACKEND_CPU, CMZ_CODEC_LZ4, 1, 1,
                                           (const void *const *)b.raw, b.raw_size, CHUNKS,
                                           (void *const *)b.comp, b.cap, b.comp_size, b.st, NULL, 0,
                                           NULL),
                     CMZ_ERR_DST_TOO_SMALL);
    assert_int_equal(b.st[1], CMZ_ERR_DST_TOO_SMALL);
    assert_int_equal(b.st[5], CMZ_OK);
    b.cap[1] = small;
    batch_free(&b);
}

static void test_batch_arguments(void **state) {
    (void)state;
    const void *src[1] = {"abc"};
    size_t sizes[1] = {3}, cap[1] = {64}, out_size[1];
    uint8_t buf[64];
    void *dst[1] = {buf};
    cmz_status st[1];
    assert_int_equal(cmz_hw_compress_batch(CMZ_BACKEND_CPU, 200, 0, 1, src, sizes, 1, dst, cap,
                                           out_size, st, NULL, 0, NULL),
                     CMZ_ERR_UNKNOWN_CODEC);
    assert_int_equal(cmz_hw_compress_batch(CMZ_BACKEND_CPU, CMZ_CODEC_LZ4, 99, 1, src, sizes, 1,
                                           dst, cap, out_size, st, NULL, 0, NULL),
                     CMZ_ERR_LEVEL_RANGE);
    assert_int_equal(cmz_hw_compress_batch(CMZ_BACKEND_CPU, CMZ_CODEC_LZ4, 1, 1, NULL, sizes, 1,
                                           dst, cap, out_size, st, NULL, 0, NULL),
                     CMZ_ERR_INVALID_ARG);
    assert_int_equal(cmz_hw_decompress_batch(CMZ_BACKEND_CPU, CMZ_CODEC_LZ4, src, sizes, 1, dst,
                                             cap, NULL, NULL, 0, NULL),
                     CMZ_ERR_INVALID_ARG);
    /* an empty batch is fine, with or without arrays */
    assert_int_equal(cmz_hw_compress_batch(CMZ_BACKEND_CPU, CMZ_CODEC_LZ4, 1, 1, NULL, NULL, 0,
                                           NULL, NULL, NULL, NULL, NULL, 0, NULL),
                     CMZ_OK);
    assert_int_equal(cmz_hw_compress_batch(CMZ_BACKEND_CPU, CMZ_CODEC_PLANES, 0, 3, src, sizes, 1,
                                           dst, cap, out_size, st, NULL, 0, NULL),
                     CMZ_ERR_INVALID_ARG);
    /* an unknown backend value is reported and the CPU used */
    cmz_hw_choice c = cmz_hw_best((cmz_backend)7, CMZ_CODEC_LZ4, 1, 0, CMZ_DATA_HOST);
    assert_int_equal(c.backend, CMZ_BACKEND_CPU);
    assert_non_null(strstr(c.reason, "not a backend"));
    assert_int_equal(cmz_hw_scratch_size(CMZ_BACKEND_CPU, CMZ_CODEC_LZ4, 8, 1 << 20), 0);
}

/* cmz_backend_env: unset or empty is "not set", a backend name is that backend, anything
 * else an error naming the variable and the value (a program refuses it as it refuses --hw). */
static void test_backend_env(void **state) {
    (void)state;
    cmz_backend b = CMZ_BACKEND_QAT;
    int set = 1;
    cmz_error err;
    unsetenv("CMZ_BACKEND");
    assert_int_equal(cmz_backend_env(&b, &set, NULL), CMZ_OK);
    assert_int_equal(set, 0);
    setenv("CMZ_BACKEND", "", 1);
    assert_int_equal(cmz_backend_env(&b, &set, NULL), CMZ_OK);
    assert_int_equal(set, 0);
    setenv("CMZ_BACKEND", "CUDA", 1);
    assert_int_equal(cmz_backend_env(&b, &set, NULL), CMZ_OK);
    assert_int_equal(set, 1);
    assert_int_equal(b, CMZ_BACKEND_CUDA);
    setenv("CMZ_BACKEND", "nonsense", 1);
    cmz_error_clear(&err);
    assert_int_equal(cmz_backend_env(&b, &set, &err), CMZ_ERR_INVALID_ARG);
    assert_int_equal(set, 0);
    assert_non_null(strstr(err.message, "CMZ_BACKEND"));
    assert_non_null(strstr(err.message, "nonsense"));
    unsetenv("CMZ_BACKEND");
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_list),
        cmocka_unit_test(test_names),
        cmocka_unit_test(test_choice),
        cmocka_unit_test(test_backend_env),
        cmocka_unit_test(test_batch_roundtrip),
        cmocka_unit_test(test_batch_bad_chunks),
        cmocka_unit_test(test_batch_arguments),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
