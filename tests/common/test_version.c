/* The numeric runtime version agrees with the version string and the header's macros, so a
 * program can compare the library it runs with the one it was built against. */
#include "testutil.h"

#include <stdio.h>

static void test_version_number(void **state) {
    (void)state;
    unsigned n = cmz_version_number();
    assert_int_equal(n, CMZ_VERSION_MAJOR * 10000 + CMZ_VERSION_MINOR * 100 + CMZ_VERSION_PATCH);
    assert_int_equal(n, CMZ_VERSION_NUMBER);
    char text[32];
    snprintf(text, sizeof text, "%u.%u.%u", n / 10000, n / 100 % 100, n % 100);
    assert_string_equal(text, cmz_version());
    assert_string_equal(text, CMZ_VERSION_STRING);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_version_number),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
