/* One way each across the public API: name lookups return a cmz_status and fill an
 * out-parameter (left as it was on error) and err; *_name() functions answer "unknown" for a
 * value they do not know, never NULL; calls that can fail fill the cmz_error they take; the
 * batched hardware calls are declared only for who asks for the experimental API. */
#include "testutil.h"

#include "cmz/hw.h" /* without CMZ_EXPERIMENTAL_API */
#include "cmz/registry.h"

#include <stdlib.h>
#include <string.h>

/* Were the batched calls declared by hw.h, these names would be redeclared as a different kind
 * of symbol and this file would not compile. */
enum { cmz_hw_scratch_size = 1, cmz_hw_compress_batch, cmz_hw_decompress_batch };

static void test_experimental_hidden(void **state) {
    (void)state;
    assert_int_equal(cmz_hw_decompress_batch, 3);
}

static void test_names_never_null(void **state) {
    (void)state;
    assert_string_equal(cmz_status_name((cmz_status)12345), "unknown");
    assert_string_equal(cmz_filter_name(-1), "unknown");
    assert_string_equal(cmz_filter_name(CMZ_FILTER_ID_MAX + 1), "unknown");
    assert_string_equal(cmz_backend_name((cmz_backend)99), "unknown");
    assert_string_equal(cmz_backend_name((cmz_backend)-1), "unknown");
    assert_string_equal(cmz_codec_name(NULL), "unknown");
    assert_string_equal(cmz_chunk_encoding_name(99), "unknown");
    assert_string_equal(cmz_snapshot_outcome_name((cmz_snapshot_outcome)99), "unknown");
    assert_string_equal(cmz_priority_name((cmz_priority)99), "unknown");
    assert_string_equal(cmz_policy_source_name((cmz_policy_source)99), "unknown");
    assert_string_equal(cmz_chunk_state_name((cmz_chunk_state)99), "unknown");
}

/* The three lookups: the same shape, the valid names in the message. */
static void test_lookups_one_shape(void **state) {
    (void)state;
    cmz_error err;
    const cmz_codec *codec = NULL;
    assert_int_equal(cmz_codec_by_name("LZ4", &codec, NULL), CMZ_OK);
    assert_int_equal(cmz_codec_id_of(codec), CMZ_CODEC_LZ4);
    cmz_error_clear(&err);
    assert_int_equal(cmz_codec_by_name("bogus", &codec, &err), CMZ_ERR_UNKNOWN_CODEC);
    assert_int_equal(cmz_codec_id_of(codec), CMZ_CODEC_LZ4);
    assert_non_null(strstr(err.message, "'bogus'"));

    int filter = CMZ_FILTER_NONE;
    assert_int_equal(cmz_filter_by_name("Shuffle", &filter, NULL), CMZ_OK);
    assert_int_equal(filter, CMZ_FILTER_SHUFFLE);
    cmz_error_clear(&err);
    assert_int_equal(cmz_filter_by_name("bogus", &filter, &err), CMZ_ERR_INVALID_ARG);
    assert_int_equal(filter, CMZ_FILTER_SHUFFLE);
    assert_non_null(strstr(err.message, "'bogus'"));
    assert_non_null(strstr(err.message, "delta"));

    cmz_backend backend = CMZ_BACKEND_AUTO;
    assert_int_equal(cmz_backend_by_name("QAT", &backend, NULL), CMZ_OK);
    assert_int_equal(backend, CMZ_BACKEND_QAT);
    cmz_error_clear(&err);
    assert_int_equal(cmz_backend_by_name("bogus", &backend, &err), CMZ_ERR_INVALID_ARG);
    assert_int_equal(backend, CMZ_BACKEND_QAT);
    assert_non_null(strstr(err.message, "'bogus'"));
    assert_non_null(strstr(err.message, "cuda"));
}

#define EXPECT_FILLED(call, want)                                        \
    do {                                                                 \
        cmz_error e_;                                                    \
        cmz_error_clear(&e_);                                            \
        assert_int_equal((call), (want));                                \
        assert_int_equal(e_.status, (want));                             \
        if (e_.message[0] == '\0') fail_msg("%s: empty message", #call); \
    } while (0)
#define ERR (&e_)

static void test_errors_filled(void **state) {
    (void)state;
    cmz_registry_params rp = cmz_registry_params_default();
    rp.budget = (uint64_t)1 << 30;
    rp.usage = CMZ_USAGE_REGISTRY;
    rp.check_interval_ms = 0;
    cmz_registry *reg = cmz_registry_new(&rp, NULL);
    assert_non_null(reg);
    uint8_t bytes[100] = {0};
    assert_int_equal(
        cmz_registry_add(reg, "temp_buffers:x", bytes, sizeof bytes, CMZ_REGISTER_COPY, NULL),
        CMZ_OK);
    uint64_t size;
    cmz_resource_info info;
    EXPECT_FILLED(cmz_registry_size(reg, "temp_buffers:nope", &size, ERR), CMZ_ERR_NOT_FOUND);
    EXPECT_FILLED(cmz_registry_size(reg, "temp_buffers:x", NULL, ERR), CMZ_ERR_INVALID_ARG);
    EXPECT_FILLED(cmz_registry_unpin(reg, "temp_buffers:nope", ERR), CMZ_ERR_NOT_FOUND);
    EXPECT_FILLED(cmz_registry_unpin(reg, "temp_buffers:x", ERR), CMZ_ERR_INVALID_ARG);
    EXPECT_FILLED(cmz_registry_info(reg, "temp_buffers:nope", &info, ERR), CMZ_ERR_NOT_FOUND);
    EXPECT_FILLED(cmz_registry_info(reg, "temp_buffers:x", NULL, ERR), CMZ_ERR_INVALID_ARG);
    cmz_snapshots *snaps = cmz_registry_snapshots(reg);
    cmz_snapshot_info si;
    EXPECT_FILLED(cmz_snapshots_info(snaps, "temp_buffers:x", &si, ERR), CMZ_ERR_NOT_FOUND);
    EXPECT_FILLED(cmz_snapshots_info(snaps, NULL, &si, ERR), CMZ_ERR_INVALID_ARG);
    EXPECT_FILLED(cmz_snapshots_delete(snaps, "temp_buffers:x", ERR), CMZ_ERR_NOT_FOUND);
    EXPECT_FILLED(cmz_snapshots_delete(snaps, NULL, ERR), CMZ_ERR_INVALID_ARG);
    cmz_registry_free(reg);

    cmz_source src;
    cmz_source_memory(&src, bytes, sizeof bytes);
    cmz_frame_info fi;
    EXPECT_FILLED(cmz_frame_info_read(NULL, &fi, ERR), CMZ_ERR_INVALID_ARG);
    EXPECT_FILLED(cmz_frame_info_read(&src, NULL, ERR), CMZ_ERR_INVALID_ARG);
    cmz_params p = cmz_params_default(), out;
    EXPECT_FILLED(cmz_params_resolve(NULL, &out, ERR), CMZ_ERR_INVALID_ARG);
    EXPECT_FILLED(cmz_params_resolve(&p, NULL, ERR), CMZ_ERR_INVALID_ARG);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_experimental_hidden),
        cmocka_unit_test(test_names_never_null),
        cmocka_unit_test(test_lookups_one_shape),
        cmocka_unit_test(test_errors_filled),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
