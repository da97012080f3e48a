/* Allocation-failure injection (SQLite's malloc tests): for N = 1, 2, ... the Nth allocation
 * libcmz makes fails, until an attempt runs with no failure injected. Every attempt must
 * return CMZ_ERR_NOMEM (or a NULL context) or succeed with the right bytes, and once all is
 * freed no allocation may be left live. Threads = 2 and many chunks, so that failures land
 * in workers, slot rings, index growth and codec contexts alike. */
#include "testutil.h"

#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static atomic_long calls;   /* allocations asked for in this attempt */
static atomic_long live;    /* allocations not yet freed */
static atomic_long fail_at; /* 0: never fail */
static atomic_int injected; /* a failure was handed out in this attempt */

static void *failing_alloc(void *opaque, size_t size) {
    (void)opaque;
    long k = atomic_fetch_add(&calls, 1) + 1;
    if (k == atomic_load(&fail_at)) {
        atomic_store(&injected, 1);
        return NULL;
    }
    void *p = malloc(size);
    if (p) atomic_fetch_add(&live, 1);
    return p;
}

static void failing_free(void *opaque, void *ptr) {
    (void)opaque;
    atomic_fetch_sub(&live, 1);
    free(ptr);
}

static int install(void **state) {
    (void)state;
    atomic_store(&live, 0);
    atomic_store(&fail_at, 0);
    cmz_allocator a = {failing_alloc, failing_free, NULL};
    cmz_set_allocator(&a);
    return 0;
}

static int restore(void **state) {
    (void)state;
    cmz_set_allocator(NULL);
    return 0;
}

static void arm(long n) {
    atomic_store(&calls, 0);
    atomic_store(&injected, 0);
    atomic_store(&fail_at, n);
}

/* ---- the operations under test ------------------------------------------------------------ */

typedef struct {
    cmz_params p;
    const uint8_t *content;
    size_t n;
    const uint8_t *frame; /* the content compressed with p, made without failures */
    size_t size;
} job;

typedef enum {
    OP_COMPRESS,
    OP_COMPRESS_STREAM,
    OP_COMPRESS_SOURCE,
    OP_DECOMPRESS,
    OP_DECOMPRESS_STREAM,
    OP_READER_MEMORY,
    OP_READER_NODATA,
    OP_INFO,
    OP_COUNT
} op_kind;
static const char *const op_names[] = {"cctx_new+compress",
                                       "cctx_new+compress_stream",
                                       "cctx_new+compress_source (pread)",
                                       "dctx_new+decompress",
                                       "dctx_new+decompress_stream",
                                       "reader (memory)",
                                       "reader (pread)",
                                       "frame_info_read"};

static void check_failure(cmz_status st, const cmz_error *err, op_kind op, long n) {
    if (st != CMZ_ERR_NOMEM)
        fail_msg("%s, allocation %ld failed: expected CMZ_ERR_NOMEM, got %s (%s)", op_names[op], n,
                 cmz_status_name(st), err->message);
    assert_int_equal(err->status, CMZ_ERR_NOMEM);
    assert_true(strlen(err->message) > 0);
}

/* Runs one attempt; returns the status (context creation failure counts as NOMEM). */
static cmz_status attempt(const job *j, op_kind op, long n) {
    cmz_error err;
    cmz_error_clear(&err);
    cmz_status st = CMZ_OK;
    if (op == OP_COMPRESS || op == OP_COMPRESS_STREAM || op == OP_COMPRESS_SOURCE) {
        cmz_cctx *c = cmz_cctx_new(&j->p, &err);
        if (!c) {
            check_failure(err.status, &err, op, n);
            return err.status;
        }
        tu_memout mo;
        tu_memout_init(&mo);
        if (op == OP_COMPRESS) {
            size_t cap = (size_t)cmz_compress_bound(&j->p, j->n);
            mo.data = malloc(cap);
            st = cmz_compress(c, mo.data, cap, &mo.size, j->content, j->n, &err);
        } else if (op == OP_COMPRESS_SOURCE) {
            cmz_source src;
            tu_source_nodata(&src, j->content, j->n);
            cmz_output out = tu_memout_init(&mo);
            st = cmz_compress_source(c, &src, &out, NULL, &err);
        } else {
            tu_memin mi;
            cmz_input in = tu_memin_init(&mi, j->content, j->n, 700, (uint64_t)n);
            cmz_output out = tu_memout_init(&mo);
            st = cmz_compress_stream(c, &in, &out, NULL, &err);
        }
        atomic_store(&fail_at, 0);
        if (st != CMZ_OK && op == OP_COMPRESS_SOURCE) {
            /* The cctx (its slots kept) still compresses memory once memory is back: a slot
             * the failure left behind must carry nothing of the source call. */
            size_t cap = (size_t)cmz_compress_bound(&j->p, j->n), got = 0;
            uint8_t *again = malloc(cap);
            cmz_error e2;
            if (cmz_compress(c, again, cap, &got, j->content, j->n, &e2) != CMZ_OK)
                fail_msg("%s, allocation %ld failed, then: %s", op_names[op], n, e2.message);
            assert_int_equal(got, j->size);
            assert_memory_equal(again, j->frame, j->size);
            free(again);
        }
        cmz_cctx_free(c);
        if (st == CMZ_OK) {
            assert_int_equal(mo.size, j->size);
            assert_memory_equal(mo.data, j->frame, j->size);
        } else {
            check_failure(st, &err, op, n);
        }
        tu_memout_free(&mo);
        return st;
    }
    if (op == OP_INFO) {
        cmz_source src;
        cmz_source_memory(&src, j->frame, j->size);
        cmz_frame_info info;
        st = cmz_frame_info_read(&src, &info, &err);
        if (st == CMZ_OK) assert_int_equal(info.content_size, j->n);
        else check_failure(st, &err, op, n);
        return st;
    }
    cmz_dctx *d = tu_dctx_new(&j->p, &err);
    if (!d) {
        check_failure(err.status, &err, op, n);
        return err.status;
    }
    uint8_t *out = malloc(j->n);
    tu_memout mo;
    tu_memout_init(&mo);
    if (op == OP_DECOMPRESS) {
        size_t got;
        st = cmz_decompress(d, out, j->n, &got, j->frame, j->size, &err);
        if (st == CMZ_OK) assert_memory_equal(out, j->content, j->n);
    } else if (op == OP_DECOMPRESS_STREAM) {
        tu_memin mi;
        cmz_input in = tu_memin_init(&mi, j->frame, j->size, 900, (uint64_t)n);
        cmz_output o = tu_memout_init(&mo);
        st = cmz_decompress_stream(d, &in, &o, NULL, &err);
        if (st == CMZ_OK) {
            assert_int_equal(mo.size, j->n);
            assert_memory_equal(mo.data, j->content, j->n);
        }
    } else {
        cmz_source src;
        if (op == OP_READER_MEMORY) cmz_source_memory(&src, j->frame, j->size);
        else tu_source_nodata(&src, j->frame, j->size);
        cmz_frame_reader *r = NULL;
        st = cmz_frame_reader_open(d, &src, &r, &err);
        /* A whole read, then ranges that cut chunks (decoded aside, then copied). */
        if (st == CMZ_OK) st = cmz_frame_reader_read(r, 0, j->n, out, &err);
        if (st == CMZ_OK) assert_memory_equal(out, j->content, j->n);
        for (size_t off = 100; st == CMZ_OK && off < j->n; off += j->n / 5) {
            size_t len = j->n - off < 1500 ? j->n - off : 1500;
            memset(out, 0, len);
            st = cmz_frame_reader_read(r, off, len, out, &err);
            if (st == CMZ_OK) assert_memory_equal(out, j->content + off, len);
        }
        /* The whole content, and a range that cuts chunks, written to a stream. */
        for (size_t off = 0; st == CMZ_OK && off < j->n; off += j->n / 2 + 100) {
            cmz_output o = tu_memout_init(&mo);
            st = cmz_frame_reader_write(r, off, j->n - off, &o, &err);
            if (st == CMZ_OK) {
                assert_int_equal(mo.size, j->n - off);
                assert_memory_equal(mo.data, j->content + off, mo.size);
            }
            tu_memout_free(&mo);
        }
        cmz_frame_reader_close(r);
    }
    atomic_store(&fail_at, 0);
    cmz_dctx_free(d);
    if (st != CMZ_OK) check_failure(st, &err, op, n);
    tu_memout_free(&mo);
    free(out);
    return st;
}

/* N = 1, 2, ... until an attempt sees no injected failure (it must then succeed). */
static void sweep(const job *j, op_kind op) {
    for (long n = 1;; n++) {
        assert_true(n < 100000);
        arm(n);
        cmz_status st = attempt(j, op, n);
        atomic_store(&fail_at, 0);
        if (atomic_load(&live) != 0)
            fail_msg("%s (%s), allocation %ld failed: %ld allocations leaked", op_names[op],
                     cmz_codec_name(cmz_codec_by_id(j->p.codec)), n, atomic_load(&live));
        if (!atomic_load(&injected)) {
            assert_int_equal(st, CMZ_OK);
            if (getenv("TU_VERBOSE")) /* how many allocation sites the sweep covered */
                fprintf(stderr, "%s, %s: %ld allocations\n", op_names[op],
                        cmz_codec_name(cmz_codec_by_id(j->p.codec)), n - 1);
            return;
        }
    }
}

/* text | zeros | random | text in 512-byte chunks: compressed, zero and stored chunks. */
static uint8_t *make_content(size_t *n) {
    *n = 4000 + 1500 + 2000 + 3000;
    uint8_t *c = malloc(*n), *t = tu_text(7000, 3), *r = tu_random(2000, 4);
    memcpy(c, t, 4000);
    memset(c + 4000, 0, 1500);
    memcpy(c + 5500, r, 2000);
    memcpy(c + 7500, t + 4000, 3000);
    free(t);
    free(r);
    return c;
}

static void run_codec(int codec, const op_kind *ops, size_t nops) {
    job j;
    uint8_t *content = make_content(&j.n);
    j.content = content;
    j.p = tu_params(codec, 512, 2);
    j.p.level = cmz_codec_min_level(cmz_codec_by_id(codec)); /* fast; levels are not the point */
    arm(0);
    size_t size;
    uint8_t *frame = tu_compress(&j.p, content, j.n, &size);
    assert_int_equal(atomic_load(&live), 0);
    j.frame = frame;
    j.size = size;
    for (size_t k = 0; k < nops; k++) sweep(&j, ops[k]);
    free(frame);
    free(content);
}

static const op_kind all_ops[] = {
    OP_COMPRESS,          OP_COMPRESS_STREAM, OP_COMPRESS_SOURCE, OP_DECOMPRESS,
    OP_DECOMPRESS_STREAM, OP_READER_MEMORY,   OP_READER_NODATA,   OP_INFO};

static void test_default_codec(void **state) {
    (void)state;
    run_codec(TU_CODEC, all_ops, OP_COUNT);
}

static void test_none(void **state) {
    (void)state;
    run_codec(CMZ_CODEC_NONE, all_ops, OP_COUNT);
}

/* The other compiled codecs: their adapters' contexts come from the same allocator. */
static void test_other_codecs(void **state) {
    (void)state;
    size_t count;
    const cmz_codec *const *list = cmz_codec_list(&count);
    static const op_kind ops[] = {OP_COMPRESS, OP_DECOMPRESS_STREAM, OP_READER_NODATA};
    for (size_t i = 0; i < count; i++) {
        int id = cmz_codec_id_of(list[i]);
        if (id != TU_CODEC && id != CMZ_CODEC_NONE) run_codec(id, ops, 3);
    }
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_default_codec, install, restore),
        cmocka_unit_test_setup_teardown(test_none, install, restore),
        cmocka_unit_test_setup_teardown(test_other_codecs, install, restore),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
