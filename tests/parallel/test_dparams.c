/* Decompression parameters (cmz_dparams): a decoder needs no compression codec, zero means
 * the default in every field, reserved space must be zero, and the fields it has are
 * honoured (memory limit, interrupt flag, progress). */
#include "testutil.h"

#include <stdlib.h>
#include <string.h>

static uint8_t *frame_of(int codec, size_t n, uint8_t **raw, size_t *frame_size) {
    *raw = tu_text(n, 7);
    cmz_params p = tu_params(codec, 4096, 2);
    return tu_compress(&p, *raw, n, frame_size);
}

static void test_default_is_zero(void **state) {
    (void)state;
    cmz_dparams d = cmz_dparams_default(), zero;
    memset(&zero, 0, sizeof zero);
    assert_memory_equal(&d, &zero, sizeof d);
    cmz_dctx *dctx = cmz_dctx_new(&zero, NULL);
    assert_non_null(dctx);
    cmz_dctx_free(dctx);
    assert_non_null(dctx = cmz_dctx_new(NULL, NULL));
    cmz_dctx_free(dctx);
}

/* A field a later version adds lands in the reserved space: an older library refuses it
 * rather than ignore what the caller asked for. */
static void test_reserved_must_be_zero(void **state) {
    (void)state;
    size_t n = sizeof((cmz_dparams *)0)->reserved / sizeof((cmz_dparams *)0)->reserved[0];
    for (size_t i = 0; i < n; i++) {
        cmz_dparams d = cmz_dparams_default();
        d.reserved[i] = 1;
        cmz_error err;
        cmz_error_clear(&err);
        assert_null(cmz_dctx_new(&d, &err));
        assert_int_equal(err.status, CMZ_ERR_INVALID_ARG);
        assert_non_null(strstr(err.message, "reserved"));
    }
}

/* Every compiled-in codec's frames decode with a context built from nothing but decoding
 * parameters: whatever the build's default codec is. */
static void test_decodes_every_codec(void **state) {
    (void)state;
    cmz_dparams dp = cmz_dparams_default();
    dp.threads = 2;
    cmz_dctx *dctx = cmz_dctx_new(&dp, NULL);
    assert_non_null(dctx);
    size_t count, n = 20000;
    const cmz_codec *const *list = cmz_codec_list(&count);
    for (size_t i = 0; i < count; i++) {
        uint8_t *raw, *frame;
        size_t frame_size, got = 0;
        frame = frame_of(cmz_codec_id_of(list[i]), n, &raw, &frame_size);
        uint8_t *back = malloc(n);
        assert_int_equal(cmz_decompress(dctx, back, n, &got, frame, frame_size, NULL), CMZ_OK);
        assert_int_equal(got, n);
        assert_memory_equal(back, raw, n);
        free(back);
        free(frame);
        free(raw);
    }
    cmz_dctx_free(dctx);
}

/* A frame whose codec this build lacks (header byte 16, docs/FORMAT.md) is refused by name;
 * runs only in a build that lacks one (make test-minimal). */
static void test_frame_of_a_missing_codec(void **state) {
    (void)state;
    int missing = -1;
    for (int id = CMZ_CODEC_ID_MAX; id > CMZ_CODEC_NONE; id--)
        if (!cmz_codec_by_id(id)) missing = id;
    if (missing < 0) skip();
    uint8_t *raw, *frame;
    size_t frame_size, n = 5000, got = 0;
    frame = frame_of(CMZ_CODEC_NONE, n, &raw, &frame_size);
    frame[16] = (uint8_t)missing;
    tu_fix_header_crc(frame);
    cmz_dctx *dctx = cmz_dctx_new(NULL, NULL);
    assert_non_null(dctx);
    cmz_error err;
    cmz_error_clear(&err);
    uint8_t *back = malloc(n);
    assert_int_equal(cmz_decompress(dctx, back, n, &got, frame, frame_size, &err),
                     CMZ_ERR_CODEC_DISABLED);
    assert_non_null(strstr(err.message, "not compiled into this build"));
    cmz_dctx_free(dctx);
    free(back);
    free(frame);
    free(raw);
}

static void test_memory_limit(void **state) {
    (void)state;
    uint8_t *raw, *frame;
    size_t frame_size, n = 50000;
    frame = frame_of(cmz_params_default().codec, n, &raw, &frame_size);
    cmz_dparams dp = cmz_dparams_default();
    dp.memory_limit = 1000; /* below one 4 KiB chunk's cost */
    cmz_dctx *dctx = cmz_dctx_new(&dp, NULL);
    assert_non_null(dctx);
    tu_memin mi;
    cmz_input in = tu_memin_init(&mi, frame, frame_size, 0, 1);
    cmz_error err;
    cmz_error_clear(&err);
    assert_int_equal(cmz_decompress_stream(dctx, &in, NULL, NULL, &err), CMZ_ERR_LIMIT);
    assert_non_null(strstr(err.message, "memory limit"));
    cmz_dctx_free(dctx);
    free(frame);
    free(raw);
}

typedef struct {
    int calls;
    uint64_t last_in, last_out;
} progress_seen;

static void on_progress(void *opaque, uint64_t in, uint64_t out) {
    progress_seen *s = opaque;
    s->calls++;
    s->last_in = in;
    s->last_out = out;
}

static void test_progress_and_interrupt(void **state) {
    (void)state;
    uint8_t *raw, *frame;
    size_t frame_size, n = 50000;
    frame = frame_of(cmz_params_default().codec, n, &raw, &frame_size);
    progress_seen seen = {0, 0, 0};
    volatile sig_atomic_t stop = 0;
    cmz_dparams dp = cmz_dparams_default();
    dp.threads = 2;
    dp.progress = on_progress;
    dp.progress_opaque = &seen;
    dp.interrupt = &stop;
    cmz_dctx *dctx = cmz_dctx_new(&dp, NULL);
    assert_non_null(dctx);
    tu_memin mi;
    cmz_input in = tu_memin_init(&mi, frame, frame_size, 0, 1);
    assert_int_equal(cmz_decompress_stream(dctx, &in, NULL, NULL, NULL), CMZ_OK);
    assert_true(seen.calls > 1);
    assert_int_equal(seen.last_in, frame_size);
    assert_int_equal(seen.last_out, n);

    stop = 1;
    in = tu_memin_init(&mi, frame, frame_size, 0, 1);
    assert_int_equal(cmz_decompress_stream(dctx, &in, NULL, NULL, NULL), CMZ_ERR_INTERRUPTED);
    cmz_dctx_free(dctx);
    free(frame);
    free(raw);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_default_is_zero),     cmocka_unit_test(test_reserved_must_be_zero),
        cmocka_unit_test(test_decodes_every_codec), cmocka_unit_test(test_frame_of_a_missing_codec),
        cmocka_unit_test(test_memory_limit),        cmocka_unit_test(test_progress_and_interrupt),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
