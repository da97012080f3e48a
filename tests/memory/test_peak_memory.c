/* The registry's peak: a frame is built beside its resource's raw bytes, so compressing a
 * resource large against the budget must not start until there is room for both (the reaper
 * makes room for the frame first). Usage is the registry's own bytes (CMZ_USAGE_REGISTRY), and
 * reg->peak_held (internal.h) is the highest held + frame being built seen. */
#include "testutil.h"

#include "memory/internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define KiB ((size_t)1 << 10)
#define MiB ((size_t)1 << 20)
#define BUDGET (6 * MiB)

static cmz_registry *make(void) {
    cmz_registry_params p = tu_registry_params(BUDGET, 2);
    return tu_registry_new(&p);
}

static void add(cmz_registry *reg, const char *id, const uint8_t *data, size_t n) {
    cmz_error err;
    if (cmz_registry_add(reg, id, (void *)data, n, CMZ_REGISTER_COPY, &err) != CMZ_OK)
        fail_msg("adding %s: %s", id, err.message);
}

static void expect_content(cmz_registry *reg, const char *id, const uint8_t *want, size_t n) {
    uint8_t *got = malloc(n);
    size_t size = 0;
    cmz_error err;
    assert_non_null(got);
    assert_int_equal(cmz_registry_get(reg, id, got, n, &size, &err), CMZ_OK);
    assert_int_equal(size, n);
    assert_memory_equal(got, want, n);
    free(got);
}

static uint64_t compressed_of(cmz_registry *reg, const char *type) {
    cmz_registry_type_stats per[16];
    size_t n = 0;
    assert_int_equal(cmz_registry_stats(reg, NULL, per, 16, &n, NULL), CMZ_OK);
    for (size_t i = 0; i < n && i < 16; i++)
        if (!strcmp(per[i].type, type)) return per[i].compressed;
    fail_msg("no stats for %s", type);
    return 0;
}

/* A shard of a third of the budget, raw (model_weights' threshold is above it; priority 1:
 * the reaper's first compression), and text buffers up to just under the warning mark: the
 * next add makes the reaper compress the shard while everything else is still held. */
static void test_room_for_the_frame(void **state) {
    (void)state;
    cmz_registry *reg = make();
    const size_t shard = 2 * MiB, small = 64 * KiB;
    uint8_t *weights = tu_random(shard, 1), *text = tu_text(small, 2);
    add(reg, "model_shards:layer0", weights, shard);
    char id[64];
    size_t n = 0;
    while (cmz_registry_usage(reg) + 2 * small <= BUDGET * 3 / 4) {
        snprintf(id, sizeof id, "temp_buffers:t%zu", n++);
        add(reg, id, text, small);
    }
    assert_int_equal(reg->peak_held, 0); /* nothing compressed yet */
    snprintf(id, sizeof id, "temp_buffers:t%zu", n++);
    add(reg, id, text, small);

    cmz_resource_info info;
    assert_int_equal(cmz_registry_info(reg, "model_shards:layer0", &info, NULL), CMZ_OK);
    assert_int_equal(info.state, CMZ_RESOURCE_COMPRESSED);
    assert_true(reg->peak_held > 0);
    if (reg->peak_held > BUDGET)
        fail_msg("held + the frame being built reached %.2f MiB, over the %.2f MiB budget",
                 (double)reg->peak_held / (double)MiB, (double)BUDGET / (double)MiB);
    /* the room came from compressing the text first: nothing was released */
    for (size_t i = 0; i < n; i++) {
        snprintf(id, sizeof id, "temp_buffers:t%zu", i);
        assert_true(cmz_registry_contains(reg, id));
    }
    expect_content(reg, "model_shards:layer0", weights, shard);
    expect_content(reg, "temp_buffers:t0", text, small);
    cmz_registry_free(reg);
    free(weights);
    free(text);
}

/* An add whose copy does not fit under the warning mark, and whose copy and frame would not
 * fit in the budget together (a shard's frame and never-released thumbnails held), is stored
 * compressed straight from the caller's bytes: no raw copy beside its frame. */
static void test_add_compressed_straight(void **state) {
    (void)state;
    cmz_registry *reg = make();
    const size_t shard = 2 * MiB, tile = 128 * KiB;
    uint8_t *w0 = tu_random(shard, 5), *w1 = tu_random(shard, 6), *pixels = tu_random(tile, 7);
    char id[64];
    for (int i = 0; i < 8; i++) { /* no rule: never released */
        snprintf(id, sizeof id, "thumbnails:t%d", i);
        add(reg, id, pixels, tile);
    }
    add(reg, "model_shards:layer0", w0, shard);
    add(reg, "model_shards:layer1", w1, shard);
    cmz_resource_info info;
    assert_int_equal(cmz_registry_info(reg, "model_shards:layer1", &info, NULL), CMZ_OK);
    assert_int_equal(info.state, CMZ_RESOURCE_COMPRESSED);
    if (reg->peak_held > BUDGET)
        fail_msg("held + the frame being built reached %.2f MiB, over the %.2f MiB budget",
                 (double)reg->peak_held / (double)MiB, (double)BUDGET / (double)MiB);
    assert_int_equal(compressed_of(reg, "model_shards"), 2);
    expect_content(reg, "model_shards:layer0", w0, shard);
    expect_content(reg, "model_shards:layer1", w1, shard);
    cmz_registry_free(reg);
    free(w0);
    free(w1);
    free(pixels);
}

/* A resource whose frame cannot fit beside it under any usage (its bound is over the budget)
 * is still compressed. */
static void test_frame_larger_than_the_budget(void **state) {
    (void)state;
    cmz_registry *reg = make();
    const size_t shard = BUDGET - 256 * KiB, small = 64 * KiB;
    uint8_t *weights = tu_random(shard, 3), *text = tu_text(small, 4);
    add(reg, "temp_buffers:keep", text, small);
    add(reg, "model_shards:layer0", weights, shard);
    add(reg, "temp_buffers:next", text, small);
    assert_int_equal(cmz_registry_compress(reg, "model_shards:layer0", NULL), CMZ_OK);
    expect_content(reg, "model_shards:layer0", weights, shard);
    cmz_registry_free(reg);
    free(weights);
    free(text);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_room_for_the_frame),
        cmocka_unit_test(test_add_compressed_straight),
        cmocka_unit_test(test_frame_larger_than_the_budget),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
