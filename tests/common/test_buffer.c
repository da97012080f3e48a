/* The growable buffer (src/common/buffer.c): arrays double and keep their elements, new
 * room is zero, scratch grows to exactly what is needed, a size that overflows a size_t and a
 * failed allocation (through the allocator hook) leave the buffer as it was. */
#include "testutil.h"

#include <stdint.h>
#include <string.h>

#include "common/internal.h"

static int install(void **state) {
    (void)state;
    tu_alloc_install();
    return 0;
}
static int restore(void **state) {
    (void)state;
    tu_alloc_restore();
    return 0;
}

/* Appending one at a time: capacities 8, 16, 32, ... (O(1) amortised), elements kept, the
 * room past them zero. */
static void test_reserve_doubles(void **state) {
    (void)state;
    uint32_t *a = NULL;
    size_t cap = 0, allocations = 0;
    for (size_t n = 0; n < 1000; n++) {
        size_t before = cap;
        void *items = a;
        assert_int_equal(cmz__reserve(&items, &cap, sizeof *a, n, n + 1), 0);
        a = items;
        if (cap != before) {
            allocations++;
            assert_int_equal(cap, before ? 2 * before : 8);
            for (size_t k = n; k < cap; k++) assert_int_equal(a[k], 0);
        }
        a[n] = (uint32_t)(n * 2654435761u);
    }
    assert_int_equal(cap, 1024);
    assert_int_equal(allocations, 8); /* 8, 16, ..., 1024 */
    for (size_t n = 0; n < 1000; n++) assert_int_equal(a[n], (uint32_t)(n * 2654435761u));
    cmz__free(a);
    assert_int_equal(tu_alloc_live(), 0);
}

/* A need past twice the capacity is met at once; a need already met allocates nothing. */
static void test_reserve_large_need(void **state) {
    (void)state;
    void *items = NULL;
    size_t cap = 0;
    assert_int_equal(cmz__reserve(&items, &cap, 3, 0, 100), 0);
    assert_int_equal(cap, 100);
    void *same = items;
    assert_int_equal(cmz__reserve(&items, &cap, 3, 100, 100), 0);
    assert_ptr_equal(items, same);
    assert_int_equal(cmz__reserve(&items, &cap, 3, 100, 101), 0);
    assert_int_equal(cap, 200);
    cmz__free(items);
}

/* Element counts whose bytes overflow a size_t fail without allocating; doubling near the
 * limit stops at it. */
static void test_reserve_overflow(void **state) {
    (void)state;
    void *items = NULL;
    size_t cap = 0;
    assert_int_equal(cmz__reserve(&items, &cap, 16, 0, SIZE_MAX / 16 + 1), -1);
    assert_int_equal(cmz__reserve(&items, &cap, 8, 0, SIZE_MAX), -1);
    assert_null(items);
    assert_int_equal(cap, 0);
    assert_int_equal(tu_alloc_live(), 0);
    /* a capacity past half the limit doubles to the limit, which malloc refuses: -1 */
    uint8_t small[8];
    items = small;
    cap = SIZE_MAX / 2 / 16 + 1;
    assert_int_equal(cmz__reserve(&items, &cap, 16, 0, cap + 1), -1);
    assert_ptr_equal(items, small);
    assert_int_equal(cap, SIZE_MAX / 2 / 16 + 1);
}

/* A failed allocation leaves the array (and its elements) as they were. */
static void test_reserve_alloc_failure(void **state) {
    (void)state;
    void *items = NULL;
    size_t cap = 0;
    assert_int_equal(cmz__reserve(&items, &cap, 4, 0, 8), 0);
    memset(items, 0xab, 8 * 4);
    void *before = items;
    tu_alloc_fail_after(1);
    assert_int_equal(cmz__reserve(&items, &cap, 4, 8, 9), -1);
    assert_ptr_equal(items, before);
    assert_int_equal(cap, 8);
    for (int k = 0; k < 8 * 4; k++) assert_int_equal(((uint8_t *)items)[k], 0xab);
    cmz__free(items);
    assert_int_equal(tu_alloc_live(), 0);
}

/* Scratch: exactly what is needed, never smaller, unchanged when the allocation fails. */
static void test_grow_scratch(void **state) {
    (void)state;
    uint8_t *buf = NULL;
    size_t cap = 0;
    assert_int_equal(cmz__grow(&buf, &cap, 100), 0);
    assert_int_equal(cap, 100);
    assert_int_equal(cmz__grow(&buf, &cap, 50), 0);
    assert_int_equal(cap, 100);
    uint8_t *before = buf;
    tu_alloc_fail_after(1);
    assert_int_equal(cmz__grow(&buf, &cap, 101), -1);
    assert_ptr_equal(buf, before);
    assert_int_equal(cap, 100);
    assert_int_equal(cmz__grow(&buf, &cap, 101), 0);
    assert_int_equal(cap, 101);
    cmz__free(buf);
    assert_int_equal(tu_alloc_live(), 0);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_reserve_doubles, install, restore),
        cmocka_unit_test_setup_teardown(test_reserve_large_need, install, restore),
        cmocka_unit_test_setup_teardown(test_reserve_overflow, install, restore),
        cmocka_unit_test_setup_teardown(test_reserve_alloc_failure, install, restore),
        cmocka_unit_test_setup_teardown(test_grow_scratch, install, restore),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
