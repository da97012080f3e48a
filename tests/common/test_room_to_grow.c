/* Room to grow (include/cmz/common.h): a struct the caller fills refuses a non-zero reserved
 * word, naming it; a struct the library fills comes back with its reserved tail zeroed, so
 * that a later version can put fields there without changing the struct's size. */
#include "testutil.h"

#include "cmz/hw.h"
#include "cmz/registry.h"
#include "cmz/salvage.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define WORDS(s) (sizeof(s).reserved / sizeof(s).reserved[0])

static void expect_refused(cmz_status st, const cmz_error *err, const char *field, size_t i) {
    char want[96];
    snprintf(want, sizeof want, "%s.reserved[%zu]", field, i);
    assert_int_equal(st, CMZ_ERR_INVALID_ARG);
    assert_int_equal(err->status, CMZ_ERR_INVALID_ARG);
    if (!strstr(err->message, want)) fail_msg("'%s' does not name %s", err->message, want);
}

static void test_params_reserved(void **state) {
    (void)state;
    cmz_params p = cmz_params_default(), out;
    for (size_t i = 0; i < WORDS(p); i++) {
        cmz_params q = p;
        q.reserved[i] = 1;
        cmz_error err;
        cmz_error_clear(&err);
        expect_refused(cmz_params_resolve(&q, &out, &err), &err, "cmz_params", i);
        cmz_error_clear(&err);
        assert_null(cmz_cctx_new(&q, &err));
        expect_refused(err.status, &err, "cmz_params", i);
    }
    assert_int_equal(cmz_params_resolve(&p, &out, NULL), CMZ_OK);
}

static cmz_registry_params registry_params(void) {
    cmz_registry_params p = cmz_registry_params_default();
    p.budget = (uint64_t)1 << 30;
    p.usage = CMZ_USAGE_REGISTRY;
    p.check_interval_ms = 0;
    p.threads = 2;
    return p;
}

static void test_registry_params_reserved(void **state) {
    (void)state;
    cmz_registry_params p = registry_params();
    for (size_t i = 0; i < WORDS(p); i++) {
        cmz_registry_params q = p;
        q.reserved[i] = 1;
        cmz_error err;
        cmz_error_clear(&err);
        assert_null(cmz_registry_new(&q, &err));
        expect_refused(err.status, &err, "cmz_registry_params", i);
    }
}

static void test_snapshot_config_reserved(void **state) {
    (void)state;
    cmz_registry_params rp = registry_params();
    cmz_registry *reg = cmz_registry_new(&rp, NULL);
    assert_non_null(reg);
    cmz_snapshots *snaps = cmz_registry_snapshots(reg);
    cmz_snapshot_config c = cmz_snapshot_config_default();
    c.ttl = 77;
    for (size_t i = 0; i < WORDS(c); i++) {
        cmz_snapshot_config q = c;
        q.reserved[i] = 1;
        cmz_error err;
        cmz_error_clear(&err);
        expect_refused(cmz_snapshots_set_config(snaps, &q, &err), &err, "cmz_snapshot_config", i);
    }
    cmz_snapshot_config got;
    memset(&got, 0xA5, sizeof got);
    cmz_snapshots_get_config(snaps, &got);
    assert_int_not_equal(got.ttl, 77); /* nothing changed */
    for (size_t i = 0; i < WORDS(got); i++) assert_int_equal(got.reserved[i], 0);
    cmz_registry_free(reg);
}

/* Library-filled structs: the reserved tail is written (as zero) like every other field. */
#define EXPECT_ZERO_TAIL(s)                                                             \
    do {                                                                                \
        for (size_t i_ = 0; i_ < WORDS(s); i_++) assert_int_equal((s).reserved[i_], 0); \
    } while (0)

static void test_error_tail(void **state) {
    (void)state;
    cmz_error err;
    memset(&err, 0xA5, sizeof err);
    cmz_error_clear(&err);
    EXPECT_ZERO_TAIL(err);
    memset(&err, 0xA5, sizeof err);
    cmz_params p = cmz_params_default(), out;
    p.chunk_size = 1;
    assert_int_equal(cmz_params_resolve(&p, &out, &err), CMZ_ERR_INVALID_ARG);
    EXPECT_ZERO_TAIL(err);
}

static void test_frame_info_tail(void **state) {
    (void)state;
    size_t n = 10000, size;
    uint8_t *raw = tu_text(n, 3);
    cmz_params p = tu_params(TU_CODEC, 4096, 1);
    uint8_t *frame = tu_compress(&p, raw, n, &size);
    cmz_source src;
    cmz_source_memory(&src, frame, size);
    cmz_frame_info info;
    memset(&info, 0xA5, sizeof info);
    assert_int_equal(cmz_frame_info_read(&src, &info, NULL), CMZ_OK);
    EXPECT_ZERO_TAIL(info);

    cmz_cctx *cctx = cmz_cctx_new(&p, NULL);
    tu_memin in;
    tu_memout out;
    cmz_input i = tu_memin_init(&in, raw, n, 0, 1);
    cmz_output o = tu_memout_init(&out);
    memset(&info, 0xA5, sizeof info);
    assert_int_equal(cmz_compress_stream(cctx, &i, &o, &info, NULL), CMZ_OK);
    EXPECT_ZERO_TAIL(info);
    cmz_cctx_free(cctx);

    cmz_dctx *dctx = cmz_dctx_new(NULL, NULL);
    i = tu_memin_init(&in, out.data, out.size, 0, 1);
    memset(&info, 0xA5, sizeof info);
    assert_int_equal(cmz_decompress_stream(dctx, &i, NULL, &info, NULL), CMZ_OK);
    EXPECT_ZERO_TAIL(info);
    cmz_frame_reader *reader;
    assert_int_equal(cmz_frame_reader_open(dctx, &src, &reader, NULL), CMZ_OK);
    EXPECT_ZERO_TAIL(*cmz_frame_reader_info(reader));
    cmz_frame_reader_close(reader);
    cmz_dctx_free(dctx);
    tu_memout_free(&out);
    free(frame);
    free(raw);
}

static void test_hw_tail(void **state) {
    (void)state;
    cmz_hw_info infos[CMZ_BACKEND_COUNT];
    memset(infos, 0xA5, sizeof infos);
    assert_int_equal(cmz_hw_list(infos, CMZ_BACKEND_COUNT), CMZ_BACKEND_COUNT);
    for (size_t b = 0; b < CMZ_BACKEND_COUNT; b++) EXPECT_ZERO_TAIL(infos[b]);
    cmz_hw_choice c;
    memset(&c, 0xA5, sizeof c);
    c = cmz_hw_best(CMZ_BACKEND_CPU, TU_CODEC, CMZ_LEVEL_DEFAULT, 1000, CMZ_DATA_HOST);
    EXPECT_ZERO_TAIL(c);
}

static void test_registry_tails(void **state) {
    (void)state;
    cmz_registry_params rp = registry_params();
    cmz_registry *reg = cmz_registry_new(&rp, NULL);
    assert_non_null(reg);
    uint8_t *text = tu_text(50000, 2);
    assert_int_equal(cmz_registry_add(reg, "model_shards:a", text, 50000, CMZ_REGISTER_COPY, NULL),
                     CMZ_OK);
    cmz_resource_info ri;
    memset(&ri, 0xA5, sizeof ri);
    assert_int_equal(cmz_registry_info(reg, "model_shards:a", &ri, NULL), CMZ_OK);
    EXPECT_ZERO_TAIL(ri);
    cmz_registry_type_stats total, per[2];
    size_t count;
    memset(&total, 0xA5, sizeof total);
    memset(per, 0xA5, sizeof per);
    assert_int_equal(cmz_registry_stats(reg, &total, per, 2, &count, NULL), CMZ_OK);
    assert_int_equal(count, 1);
    EXPECT_ZERO_TAIL(total);
    EXPECT_ZERO_TAIL(per[0]);

    cmz_snapshots *snaps = cmz_registry_snapshots(reg);
    cmz_snapshot_outcome outcome;
    assert_int_equal(cmz_snapshots_take(snaps, "model_shards:a", "m", &outcome, NULL), CMZ_OK);
    assert_int_equal(outcome, CMZ_SNAPSHOT_TAKEN);
    cmz_snapshot_info si[2];
    memset(si, 0xA5, sizeof si);
    assert_int_equal(cmz_snapshots_info(snaps, "model_shards:a", &si[0], NULL), CMZ_OK);
    EXPECT_ZERO_TAIL(si[0]);
    memset(si, 0xA5, sizeof si);
    assert_int_equal(cmz_snapshots_list(snaps, si, 2, &count, NULL), CMZ_OK);
    assert_int_equal(count, 1);
    EXPECT_ZERO_TAIL(si[0]);
    cmz_snapshot_stats st;
    memset(&st, 0xA5, sizeof st);
    assert_int_equal(cmz_snapshots_stats(snaps, &st, NULL), CMZ_OK);
    EXPECT_ZERO_TAIL(st);
    cmz_registry_free(reg);
    free(text);
}

/* Reports the library allocates: every block it gets is filled with 0xA5 first, so a tail
 * left unwritten shows. Two frames (the merged report), the second damaged. */
static void *dirty_alloc(void *opaque, size_t size) {
    (void)opaque;
    void *p = malloc(size);
    if (p) memset(p, 0xA5, size);
    return p;
}
static void plain_free(void *opaque, void *p) {
    (void)opaque;
    free(p);
}

static void expect_report_tails(const cmz_frame_report *rep) {
    EXPECT_ZERO_TAIL(*rep);
    for (uint64_t c = 0; c < rep->chunk_count; c++) EXPECT_ZERO_TAIL(rep->chunks[c]);
}

static void test_report_tails(void **state) {
    (void)state;
    size_t n = 20000, size;
    uint8_t *raw = tu_text(n, 4);
    cmz_params p = tu_params(TU_CODEC, 4096, 1);
    p.parity_k = 2;
    p.parity_m = 1;
    uint8_t *frame = tu_compress(&p, raw, n, &size);
    uint8_t *two = malloc(2 * size);
    assert_non_null(two);
    memcpy(two, frame, size);
    memcpy(two + size, frame, size);
    two[size + size / 2] ^= 0x10; /* a chunk of the second frame */
    cmz_source src;
    cmz_source_memory(&src, two, 2 * size);
    const cmz_allocator dirty = {dirty_alloc, plain_free, NULL};
    cmz_set_allocator(&dirty);
    cmz_frame_report *rep = NULL;
    assert_int_equal(cmz_frame_verify(NULL, &src, &rep, NULL), CMZ_OK);
    assert_int_equal(rep->frames, 2);
    assert_true(rep->damaged + rep->missing > 0);
    expect_report_tails(rep);
    cmz_frame_report_free(rep);
    tu_memout out;
    cmz_output o = tu_memout_init(&out);
    assert_int_equal(cmz_frame_repair(NULL, &src, &o, &rep, NULL), CMZ_OK);
    assert_true(rep->repaired > 0);
    expect_report_tails(rep);
    cmz_frame_report_free(rep);
    cmz_set_allocator(NULL);
    tu_memout_free(&out);
    free(two);
    free(frame);
    free(raw);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_params_reserved),
        cmocka_unit_test(test_registry_params_reserved),
        cmocka_unit_test(test_snapshot_config_reserved),
        cmocka_unit_test(test_error_tail),
        cmocka_unit_test(test_frame_info_tail),
        cmocka_unit_test(test_hw_tail),
        cmocka_unit_test(test_registry_tails),
        cmocka_unit_test(test_report_tails),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
