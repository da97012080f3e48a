/* cmz_params and its two functions belong to the frame layer (include/cmz/frame.h), so that
 * every layer above it (parallel, damage, policy, memory, hw) sees them without parallel.h.
 * This file includes frame.h alone on purpose. The typesize errors say which "planes" they
 * mean: the planes filter or the planes codec. */
#include "cmz/frame.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

static void test_default_resolves(void **state) {
    (void)state;
    cmz_params p = cmz_params_default(), r;
    assert_int_equal(p.codec, (int)cmz_codec_id_of(cmz_codec_default()));
    assert_int_equal(p.level, CMZ_LEVEL_DEFAULT);
    cmz_error err;
    assert_int_equal(cmz_params_resolve(&p, &r, &err), CMZ_OK);
    assert_true(r.chunk_size >= CMZ_CHUNK_SIZE_MIN && r.chunk_size <= CMZ_CHUNK_SIZE_MAX);
    assert_true(r.threads >= 1);
    assert_int_equal(r.typesize, 1);
}

/* resolve's message for a refused typesize, with the given filter and codec. */
static const char *typesize_message(int filter, cmz_codec_id codec, unsigned typesize,
                                    cmz_error *err) {
    cmz_params p = cmz_params_default(), r;
    p.filter = filter;
    p.codec = (int)codec;
    p.typesize = typesize;
    assert_int_equal(cmz_params_resolve(&p, &r, err), CMZ_ERR_INVALID_ARG);
    return err->message;
}

static void test_typesize_errors_name_filter_or_codec(void **state) {
    (void)state;
    cmz_error err;
    const char *m = typesize_message(CMZ_FILTER_PLANES, CMZ_CODEC_NONE, 1, &err);
    assert_non_null(strstr(m, "the planes filter"));
    m = typesize_message(CMZ_FILTER_NONE, CMZ_CODEC_PLANES, 3, &err);
    assert_non_null(strstr(m, "the planes codec"));
    m = typesize_message(CMZ_FILTER_NONE, CMZ_CODEC_NONE, 4, &err);
    assert_non_null(strstr(m, "it takes 1"));
    assert_non_null(strstr(m, "the planes codec"));
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_default_resolves),
        cmocka_unit_test(test_typesize_errors_name_filter_or_codec),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
