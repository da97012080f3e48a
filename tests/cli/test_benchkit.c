/* cmz bench's pieces (cli/bench/benchkit.h): the recommendation obeys the priority rule on
 * constructed points, the Pareto front, pooling, the samples' determinism, a measurement's
 * round trip. */
#include "testutil.h"

#include "benchkit.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static bk_point pt(const char *name, double ratio, double c, double d) {
    bk_point p;
    memset(&p, 0, sizeof p);
    snprintf(p.config, sizeof p.config, "%s", name);
    p.ratio = ratio, p.c_mbps = c, p.d_mbps = d;
    return p;
}

static void test_recommend_rule(void **state) {
    (void)state;
    bk_point p[] = {
        pt("copy-like", 1.01, 9000, 9000), /* does not shrink: never chosen */
        pt("fast", 1.5, 1000, 3000),       /* least time per byte */
        pt("balanced", 3.0, 400, 1500),    /* within 4x of the fastest's time per byte */
        pt("strong", 4.5, 5, 50),          /* best ratio at >= 1 MB/s */
        pt("glacial", 5.0, 0.5, 40),       /* better ratio, under 1 MB/s */
    };
    size_t n = sizeof p / sizeof *p;
    assert_string_equal(p[bk_recommend(p, n, CMZ_PRIORITY_HIGH)].config, "fast");
    assert_string_equal(p[bk_recommend(p, n, CMZ_PRIORITY_MEDIUM)].config, "balanced");
    assert_string_equal(p[bk_recommend(p, n, CMZ_PRIORITY_LOW)].config, "strong");
    /* nothing shrinks: no recommendation */
    assert_int_equal(bk_recommend(p, 1, CMZ_PRIORITY_LOW), SIZE_MAX);
    assert_int_equal(bk_recommend(p, 0, CMZ_PRIORITY_HIGH), SIZE_MAX);
    /* everything under 1 MB/s: ratio first falls back to the fastest */
    bk_point slow[] = {pt("a", 2, 0.2, 10), pt("b", 3, 0.1, 10)};
    assert_string_equal(slow[bk_recommend(slow, 2, CMZ_PRIORITY_LOW)].config, "a");
}

static void test_front_and_pool(void **state) {
    (void)state;
    bk_point p[] = {pt("a", 2, 100, 1), pt("b", 3, 50, 1), pt("c", 1.5, 80, 1), pt("d", 3, 50, 1)};
    assert_true(bk_on_front(p, 4, 0));
    assert_true(bk_on_front(p, 4, 1));
    assert_false(bk_on_front(p, 4, 2)); /* a is faster and smaller */
    assert_true(bk_on_front(p, 4, 3));  /* equal to b: neither dominates */
    bk_result rows[3];
    memset(rows, 0, sizeof rows);
    for (int i = 0; i < 3; i++) {
        rows[i].threads = 1;
        rows[i].cfg.codec = CMZ_CODEC_LZ4;
        snprintf(rows[i].config, sizeof rows[i].config, "%s", i < 2 ? "lz4 -1" : "zstd -3");
        rows[i].in_bytes = 1000000;
        rows[i].out_bytes = i == 0 ? 500000 : 250000;
        rows[i].c_mbps = i == 0 ? 100 : 50; /* 10 ms and 20 ms */
        rows[i].d_mbps = 1000;
    }
    bk_point out[4];
    assert_int_equal(bk_pool(rows, 3, out, 4), 2);
    assert_string_equal(out[0].config, "lz4 -1");
    assert_true(out[0].ratio > 2.66 && out[0].ratio < 2.67);   /* 2 MB in, 750 KB out */
    assert_true(out[0].c_mbps > 66.6 && out[0].c_mbps < 66.7); /* 2 MB in 30 ms */
}

static void test_samples(void **state) {
    (void)state;
    for (int k = 0; k < BK_SAMPLE_COUNT; k++) {
        uint8_t *a = bk_sample_make((bk_sample)k, 100001, 7),
                *b = bk_sample_make((bk_sample)k, 100001, 7);
        uint8_t *c = bk_sample_make((bk_sample)k, 100001, 8);
        assert_memory_equal(a, b, 100001);
        assert_memory_not_equal(a, c, 100001);
        assert_non_null(bk_sample_policy_type((bk_sample)k));
        free(a), free(b), free(c);
    }
    assert_string_equal(bk_sample_name(BK_SUBTITLE), "subtitle");
    uint8_t *srt = bk_sample_make(BK_SUBTITLE, 200, 1);
    assert_memory_equal(srt, "1\n00:00:01,000 --> ", 19);
    free(srt);
}

static void test_measure(void **state) {
    (void)state;
    uint8_t *data = bk_sample_make(BK_JSON_LOGS, 300000, 1);
    bk_config cfg = {TU_CODEC, 3, CMZ_FILTER_NONE, 1};
    bk_timing t = {0.001, 3, NULL};
    bk_result r;
    cmz_error err;
    assert_int_equal(bk_measure(&cfg, 1, data, 300000, "logs", &t, &r, &err), CMZ_OK);
    assert_true(r.roundtrip_ok);
    char label[32];
    snprintf(label, sizeof label, "%s -3", cmz_codec_name(cmz_codec_default()));
    assert_string_equal(r.config, label);
    assert_true(r.out_bytes > 0 && r.out_bytes < 300000);
    assert_true(r.runs >= 1 && r.c_lo <= r.c_mbps && r.c_mbps <= r.c_hi);
    bk_config bad = {TU_CODEC, 99, CMZ_FILTER_NONE, 1};
    assert_int_not_equal(bk_measure(&bad, 1, data, 300000, "logs", &t, &r, &err), CMZ_OK);
    bk_config copy = {-1, 0, CMZ_FILTER_NONE, 1};
    assert_int_equal(bk_measure(&copy, 1, data, 300000, "logs", &t, &r, &err), CMZ_OK);
    assert_string_equal(r.config, "memcpy");
    free(data);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_recommend_rule),
        cmocka_unit_test(test_front_and_pool),
        cmocka_unit_test(test_samples),
        cmocka_unit_test(test_measure),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
