/* Invariants in code (issue 21, item 4): cmz__error, the form of cmz__fail without a chunk
 * or offset; cmz__mutex_held, which "lock held" asserts use; and constructors that have one
 * cleanup path (their own _free, taking an object built in part), so that a failure at any
 * allocation returns an error and leaks nothing. */
#include "testutil.h"

#include <pthread.h>
#include <string.h>

#include "cmz/parallel.h"
#include "cmz/registry.h"
#include "common/internal.h"

static void test_error_has_no_position(void **state) {
    (void)state;
    cmz_error err;
    memset(&err, 0x5a, sizeof err);
    assert_int_equal(cmz__error(&err, CMZ_ERR_NOMEM, "no room for %d %s", 3, "chunks"),
                     CMZ_ERR_NOMEM);
    assert_int_equal(err.status, CMZ_ERR_NOMEM);
    assert_true(err.chunk == CMZ_NO_POSITION);
    assert_true(err.offset == CMZ_NO_POSITION);
    assert_string_equal(err.message, "no room for 3 chunks");
    for (size_t i = 0; i < sizeof err.reserved / sizeof err.reserved[0]; i++)
        assert_true(err.reserved[i] == 0);
    assert_int_equal(cmz__error(NULL, CMZ_ERR_IO, "ignored"), CMZ_ERR_IO);
}

/* cmz__fail keeps its positions: both forms share one way of filling err. */
static void test_fail_keeps_positions(void **state) {
    (void)state;
    cmz_error err;
    cmz_error_clear(&err);
    assert_int_equal(cmz__fail(&err, CMZ_ERR_CORRUPT, 7, 4096, "chunk %u", 7u), CMZ_ERR_CORRUPT);
    assert_true(err.chunk == 7 && err.offset == 4096);
    assert_string_equal(err.message, "chunk 7");
}

static void test_mutex_held(void **state) {
    (void)state;
    pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
    assert_false(cmz__mutex_held(&mu));
    pthread_mutex_lock(&mu);
    assert_true(cmz__mutex_held(&mu));
    pthread_mutex_unlock(&mu);
    assert_false(cmz__mutex_held(&mu)); /* the check itself leaves the lock free */
    pthread_mutex_destroy(&mu);
}

/* A registry with its monitor thread, so that a failure can come after the locks, the
 * policy, the rules and the snapshot manager exist: every one goes through cmz_registry_free. */
static void test_registry_new_fails_cleanly(void **state) {
    (void)state;
    cmz_registry_params p = cmz_registry_params_default();
    p.check_interval_ms = 1000;
    tu_alloc_install();
    long n = 1; /* tu_alloc_fail_after: the nth allocation fails, counting from 1 */
    for (;; n++) {
        tu_alloc_fail_after(n);
        cmz_error err;
        cmz_error_clear(&err);
        cmz_registry *reg = cmz_registry_new(&p, &err);
        if (reg) {
            cmz_registry_free(reg);
            break;
        }
        assert_int_equal(err.status, CMZ_ERR_NOMEM);
        assert_int_equal(tu_alloc_live(), 0);
    }
    tu_alloc_restore();
    assert_true(n > 3); /* the loop went through several allocations */
}

static void test_contexts_new_fail_cleanly(void **state) {
    (void)state;
    cmz_params cp = cmz_params_default();
    cp.threads = 2;
    cmz_dparams dp = cmz_dparams_default();
    dp.threads = 2;
    tu_alloc_install();
    for (int which = 0; which < 2; which++) {
        for (long n = 1;; n++) {
            tu_alloc_fail_after(n);
            cmz_error err;
            cmz_error_clear(&err);
            void *ctx = which ? (void *)cmz_dctx_new(&dp, &err) : (void *)cmz_cctx_new(&cp, &err);
            if (ctx) {
                if (which) cmz_dctx_free(ctx);
                else cmz_cctx_free(ctx);
                break;
            }
            assert_int_equal(err.status, CMZ_ERR_NOMEM);
            assert_int_equal(tu_alloc_live(), 0);
        }
    }
    tu_alloc_restore();
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_error_has_no_position),
        cmocka_unit_test(test_fail_keeps_positions),
        cmocka_unit_test(test_mutex_held),
        cmocka_unit_test(test_registry_new_fails_cleanly),
        cmocka_unit_test(test_contexts_new_fail_cleanly),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
