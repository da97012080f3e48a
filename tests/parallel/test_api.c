/* The parallel API's contract outside the happy path: parameter resolution, NULL arguments,
 * failing reads and writes, file-descriptor streams, and sources that change under a
 * reader. */
#include "testutil.h"

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void expect_resolve(const cmz_params *p, cmz_status want) {
    cmz_params out;
    cmz_error err;
    cmz_error_clear(&err);
    cmz_status st = cmz_params_resolve(p, &out, &err);
    if (st != want)
        fail_msg("expected %s, got %s (%s)", cmz_status_name(want), cmz_status_name(st),
                 err.message);
    if (want != CMZ_OK) {
        assert_int_equal(err.status, want);
        assert_true(strlen(err.message) > 0);
        /* Compression contexts refuse the same parameters, with the same reason. */
        assert_null(cmz_cctx_new(p, &err));
        assert_int_equal(err.status, want);
        assert_int_equal(cmz_compress_bound(p, 1000), 0);
        /* A decoder takes none of them: the frame says how it was compressed. */
        cmz_dctx *d = tu_dctx_new(p, &err);
        assert_non_null(d);
        cmz_dctx_free(d);
    }
}

/* zstd; in a build without it the first compiled in of lz4, gzip; else none. */
static void test_default_codec(void **state) {
    (void)state;
    const cmz_codec *c = cmz_codec_default();
    assert_non_null(c);
    assert_ptr_equal(cmz_codec_by_id(cmz_params_default().codec), c);
    static const int preferred[] = {CMZ_CODEC_ZSTD, CMZ_CODEC_LZ4, CMZ_CODEC_GZIP};
    int want = CMZ_CODEC_NONE;
    for (size_t i = sizeof preferred / sizeof preferred[0]; i-- > 0;)
        if (cmz_codec_by_id(preferred[i])) want = preferred[i];
    assert_int_equal(cmz_codec_id_of(c), want);
}

static void test_params_resolve(void **state) {
    (void)state;
    cmz_params p = cmz_params_default(), r;
    assert_int_equal(p.codec, TU_CODEC);
    assert_int_equal(p.level, CMZ_LEVEL_DEFAULT);
    assert_int_equal(cmz_params_resolve(&p, &r, NULL), CMZ_OK);
    const cmz_codec *codec = cmz_codec_by_id(TU_CODEC);
    assert_int_equal(r.level, cmz_codec_default_level(codec));
    assert_int_equal(r.chunk_size, cmz_codec_default_chunk_size(codec));
    assert_true(r.threads >= 1);
    assert_int_equal(r.threads, cmz_cpu_count() > 256 ? 256 : cmz_cpu_count());
    p.threads = 100000;
    assert_int_equal(cmz_params_resolve(&p, &r, NULL), CMZ_OK);
    assert_true(r.threads >= 1 && r.threads <= 256);

    /* Levels. */
    p = cmz_params_default();
    for (int level = cmz_codec_min_level(codec); level <= cmz_codec_max_level(codec); level++) {
        p.level = level;
        expect_resolve(&p, CMZ_OK);
    }
    p.level = cmz_codec_max_level(codec) + 1;
    expect_resolve(&p, CMZ_ERR_LEVEL_RANGE);
    p.level = cmz_codec_min_level(codec) - 1;
    expect_resolve(&p, CMZ_ERR_LEVEL_RANGE);
    p.level = -999;
    expect_resolve(&p, CMZ_ERR_LEVEL_RANGE);
    p = tu_params(CMZ_CODEC_NONE, 0, 1);
    p.level = 1;
    expect_resolve(&p, CMZ_ERR_LEVEL_RANGE);

    /* Chunk sizes: 16..2^30. */
    p = cmz_params_default();
    static const uint32_t bad_chunks[] = {1, 15, (1u << 30) + 1, UINT32_MAX};
    for (size_t k = 0; k < sizeof bad_chunks / sizeof bad_chunks[0]; k++) {
        p.chunk_size = bad_chunks[k];
        expect_resolve(&p, CMZ_ERR_INVALID_ARG);
    }
    p.chunk_size = 16;
    expect_resolve(&p, CMZ_OK);
    p.chunk_size = 1u << 30;
    expect_resolve(&p, CMZ_OK);

    /* Codec ids. */
    static const int bad_ids[] = {-1, CMZ_CODEC_ID_MAX + 1, 200, 1 << 20};
    for (size_t k = 0; k < sizeof bad_ids / sizeof bad_ids[0]; k++) {
        p = cmz_params_default();
        p.codec = bad_ids[k];
        expect_resolve(&p, CMZ_ERR_UNKNOWN_CODEC);
    }
    assert_int_equal(cmz_params_resolve(NULL, &r, NULL), CMZ_ERR_INVALID_ARG);
    assert_int_equal(cmz_params_resolve(&p, NULL, NULL), CMZ_ERR_INVALID_ARG);

    /* Every compiled codec resolves its own defaults. */
    size_t count;
    const cmz_codec *const *list = cmz_codec_list(&count);
    for (size_t i = 0; i < count; i++) {
        p = tu_params(cmz_codec_id_of(list[i]), 0, 0);
        assert_int_equal(cmz_params_resolve(&p, &r, NULL), CMZ_OK);
        assert_int_equal(r.level, cmz_codec_default_level(list[i]));
        assert_true(r.chunk_size >= CMZ_CHUNK_SIZE_MIN && r.chunk_size <= CMZ_CHUNK_SIZE_MAX);
        assert_true(r.threads >= 1);
    }

    /* A context keeps the resolved parameters; NULL params mean the defaults. */
    cmz_cctx *c = cmz_cctx_new(NULL, NULL);
    assert_non_null(c);
    assert_int_equal(cmz_cctx_params(c)->codec, TU_CODEC);
    assert_true(cmz_cctx_params(c)->threads >= 1);
    cmz_cctx_free(c);
    cmz_dctx *d = cmz_dctx_new(NULL, NULL);
    assert_non_null(d);
    cmz_dctx_free(d);

    /* A bound that cannot be represented. */
    p = tu_params(TU_CODEC, 16, 1);
    assert_int_equal(cmz_compress_bound(&p, UINT64_MAX), 0);
    assert_true(cmz_compress_bound(&p, 0) ==
                CMZ_HEADER_SIZE + CMZ_INDEX_FIXED_SIZE + CMZ_FOOTER_SIZE);
}

static void test_null_arguments(void **state) {
    (void)state;
    cmz_params p = tu_params(TU_CODEC, 64, 1);
    cmz_cctx *c = cmz_cctx_new(&p, NULL);
    cmz_dctx *d = tu_dctx_new(&p, NULL);
    uint8_t buf[256];
    size_t got;
    cmz_error err;
    tu_memin mi;
    tu_memout mo;
    cmz_input in = tu_memin_init(&mi, buf, 0, 0, 0), bad_in = {NULL, NULL};
    cmz_output out = tu_memout_init(&mo), bad_out = {NULL, NULL};
    assert_int_equal(cmz_compress(NULL, buf, 256, &got, buf, 1, &err), CMZ_ERR_INVALID_ARG);
    assert_true(strlen(err.message) > 0);
    assert_int_equal(cmz_compress(c, NULL, 256, &got, buf, 1, NULL), CMZ_ERR_INVALID_ARG);
    assert_int_equal(cmz_compress(c, buf, 256, NULL, buf, 1, NULL), CMZ_ERR_INVALID_ARG);
    assert_int_equal(cmz_compress(c, buf, 256, &got, NULL, 1, NULL), CMZ_ERR_INVALID_ARG);
    assert_int_equal(cmz_compress(c, buf, 256, &got, NULL, 0, NULL), CMZ_OK); /* empty */
    assert_int_equal(got, CMZ_HEADER_SIZE + CMZ_INDEX_FIXED_SIZE + CMZ_FOOTER_SIZE);
    assert_int_equal(cmz_compress_stream(NULL, &in, &out, NULL, NULL), CMZ_ERR_INVALID_ARG);
    assert_int_equal(cmz_compress_stream(c, NULL, &out, NULL, NULL), CMZ_ERR_INVALID_ARG);
    assert_int_equal(cmz_compress_stream(c, &bad_in, &out, NULL, NULL), CMZ_ERR_INVALID_ARG);
    cmz_source none_src;
    cmz_source_memory(&none_src, "", 0);
    assert_int_equal(cmz_compress_source(NULL, &none_src, &out, NULL, NULL), CMZ_ERR_INVALID_ARG);
    assert_int_equal(cmz_compress_source(c, NULL, &out, NULL, NULL), CMZ_ERR_INVALID_ARG);
    assert_int_equal(cmz_compress_source(c, &none_src, NULL, NULL, NULL), CMZ_ERR_INVALID_ARG);
    assert_int_equal(cmz_compress_stream(c, &in, NULL, NULL, NULL), CMZ_ERR_INVALID_ARG);
    assert_int_equal(cmz_compress_stream(c, &in, &bad_out, NULL, NULL), CMZ_ERR_INVALID_ARG);
    uint8_t frame[256];
    size_t fsize;
    assert_int_equal(cmz_compress(c, frame, 256, &fsize, "abc", 3, NULL), CMZ_OK);
    assert_int_equal(cmz_decompress(NULL, buf, 256, &got, frame, fsize, NULL), CMZ_ERR_INVALID_ARG);
    assert_int_equal(cmz_decompress(d, NULL, 256, &got, frame, fsize, NULL), CMZ_ERR_INVALID_ARG);
    assert_int_equal(cmz_decompress(d, buf, 256, NULL, frame, fsize, NULL), CMZ_ERR_INVALID_ARG);
    assert_int_equal(cmz_decompress(d, buf, 256, &got, NULL, fsize, NULL), CMZ_ERR_INVALID_ARG);
    assert_int_equal(cmz_decompress(d, buf, 256, &got, NULL, 0, NULL), CMZ_ERR_TRUNCATED);
    in = tu_memin_init(&mi, frame, fsize, 0, 0);
    assert_int_equal(cmz_decompress_stream(NULL, &in, NULL, NULL, NULL), CMZ_ERR_INVALID_ARG);
    assert_int_equal(cmz_decompress_stream(d, NULL, NULL, NULL, NULL), CMZ_ERR_INVALID_ARG);
    assert_int_equal(cmz_decompress_stream(d, &bad_in, NULL, NULL, NULL), CMZ_ERR_INVALID_ARG);
    assert_int_equal(cmz_decompress_stream(d, &in, &bad_out, NULL, NULL), CMZ_ERR_INVALID_ARG);
    /* An empty stream is not a frame. */
    in = tu_memin_init(&mi, frame, 0, 0, 0);
    assert_int_equal(cmz_decompress_stream(d, &in, NULL, NULL, &err), CMZ_ERR_TRUNCATED);
    cmz_source src;
    cmz_source_memory(&src, frame, fsize);
    cmz_frame_reader *r = (cmz_frame_reader *)1;
    assert_int_equal(cmz_frame_reader_open(NULL, &src, &r, NULL), CMZ_ERR_INVALID_ARG);
    assert_int_equal(cmz_frame_reader_open(d, NULL, &r, NULL), CMZ_ERR_INVALID_ARG);
    assert_int_equal(cmz_frame_reader_open(d, &src, NULL, NULL), CMZ_ERR_INVALID_ARG);
    cmz_source nopread = src;
    nopread.pread = NULL;
    assert_int_equal(cmz_frame_reader_open(d, &nopread, &r, NULL), CMZ_ERR_INVALID_ARG);
    /* A failed open leaves *reader NULL. */
    cmz_source_memory(&src, frame, fsize - 1);
    assert_int_not_equal(cmz_frame_reader_open(d, &src, &r, NULL), CMZ_OK);
    assert_null(r);
    assert_int_equal(cmz_frame_reader_read(NULL, 0, 0, buf, NULL), CMZ_ERR_INVALID_ARG);
    cmz_cctx_free(NULL);
    cmz_dctx_free(NULL);
    cmz_frame_reader_close(NULL);
    tu_memout_free(&mo);
    cmz_cctx_free(c);
    cmz_dctx_free(d);
}

/* Streams whose read or write fails (errno EIO) at call number `fail_at`. */
typedef struct {
    tu_memin m;
    tu_memout o;
    size_t calls, fail_at;
    int eintr_every; /* > 0: every so many calls returns -1 with EINTR instead */
} faulty;

static int64_t faulty_read(void *opaque, void *buf, size_t n) {
    faulty *f = opaque;
    f->calls++;
    if (f->eintr_every && f->calls % (size_t)f->eintr_every == 0) {
        errno = EINTR;
        return -1;
    }
    if (f->calls == f->fail_at) {
        errno = EIO;
        return -1;
    }
    size_t take = n < f->m.size - f->m.pos ? n : f->m.size - f->m.pos;
    if (take > 700) take = 700; /* short reads too */
    memcpy(buf, f->m.data + f->m.pos, take);
    f->m.pos += take;
    return (int64_t)take;
}

static int faulty_write(void *opaque, const void *buf, size_t n) {
    faulty *f = opaque;
    if (++f->calls == f->fail_at) {
        errno = EIO;
        return -1;
    }
    if (n > f->o.cap - f->o.size) {
        f->o.cap = (f->o.size + n) * 2;
        f->o.data = realloc(f->o.data, f->o.cap);
    }
    memcpy(f->o.data + f->o.size, buf, n);
    f->o.size += n;
    return 0;
}

static void test_io_errors(void **state) {
    (void)state;
    size_t n = 12000;
    uint8_t *data = tu_mixed(n, 8);
    cmz_params p = tu_params(TU_CODEC, 1000, 2);
    cmz_cctx *c = cmz_cctx_new(&p, NULL);
    cmz_dctx *d = tu_dctx_new(&p, NULL);
    size_t size;
    uint8_t *frame = tu_compress(&p, data, n, &size);
    cmz_error err;
    /* A read failing at each call in turn, then a write; until the call runs to its end. */
    for (int side = 0; side < 2; side++)
        for (int dir = 0; dir < 2; dir++)
            for (size_t k = 1;; k++) {
                faulty rf = {.fail_at = side == 0 ? k : 0}, wf = {.fail_at = side ? k : 0};
                tu_memin_init(&rf.m, dir ? frame : data, dir ? size : n, 0, 0);
                cmz_input in = {faulty_read, &rf};
                cmz_output out = {faulty_write, &wf};
                cmz_error_clear(&err);
                cmz_status st = dir ? cmz_decompress_stream(d, &in, &out, NULL, &err)
                                    : cmz_compress_stream(c, &in, &out, NULL, &err);
                free(wf.o.data);
                if (st == CMZ_OK) {
                    assert_true(side == 0 ? rf.calls < k : wf.calls < k);
                    break;
                }
                assert_int_equal(st, CMZ_ERR_IO);
                assert_int_equal(err.status, CMZ_ERR_IO);
                assert_non_null(strstr(err.message, strerror(EIO)));
            }
    /* The frame reader's stream stops at a failing write, at each one in turn. */
    cmz_source src;
    cmz_source_memory(&src, frame, size);
    cmz_frame_reader *r;
    assert_int_equal(cmz_frame_reader_open(d, &src, &r, NULL), CMZ_OK);
    for (size_t k = 1;; k++) {
        faulty wf = {.fail_at = k};
        cmz_output out = {faulty_write, &wf};
        cmz_error_clear(&err);
        cmz_status st = cmz_frame_reader_write(r, 0, n, &out, &err);
        free(wf.o.data);
        if (st == CMZ_OK) {
            assert_true(wf.calls < k);
            break;
        }
        assert_int_equal(st, CMZ_ERR_IO);
        assert_int_equal(wf.calls, k); /* nothing written after the failure */
        assert_non_null(strstr(err.message, strerror(EIO)));
    }
    cmz_frame_reader_close(r);
    /* EINTR from a read is retried when no interrupt was asked for. */
    faulty rf = {.eintr_every = 3}, wf = {.fail_at = 0};
    tu_memin_init(&rf.m, data, n, 0, 0);
    cmz_input in = {faulty_read, &rf};
    cmz_output out = {faulty_write, &wf};
    assert_int_equal(cmz_compress_stream(c, &in, &out, NULL, &err), CMZ_OK);
    assert_int_equal(wf.o.size, size);
    assert_memory_equal(wf.o.data, frame, size);
    faulty rf2 = {.eintr_every = 2}, wf2 = {.fail_at = 0};
    tu_memin_init(&rf2.m, frame, size, 0, 0);
    in.opaque = &rf2;
    out.opaque = &wf2;
    assert_int_equal(cmz_decompress_stream(d, &in, &out, NULL, &err), CMZ_OK);
    assert_int_equal(wf2.o.size, n);
    assert_memory_equal(wf2.o.data, data, n);
    free(wf.o.data);
    free(wf2.o.data);
    /* ... and stops the call when the interrupt flag is up. */
    static volatile sig_atomic_t flag = 1;
    cmz_params pi = p;
    pi.interrupt = &flag;
    cmz_dctx *di = tu_dctx_new(&pi, NULL);
    faulty rf3 = {.eintr_every = 1};
    tu_memin_init(&rf3.m, frame, size, 0, 0);
    in.opaque = &rf3;
    assert_int_equal(cmz_decompress_stream(di, &in, NULL, NULL, &err), CMZ_ERR_INTERRUPTED);
    cmz_dctx_free(di);
    cmz_cctx_free(c);
    cmz_dctx_free(d);
    free(frame);
    free(data);
}

/* A source over memory that fails at one offset: -1/EIO, or the end (it "shrank"). */
typedef struct {
    const uint8_t *data;
    uint64_t real_size; /* bytes that exist; src->size may claim more */
    uint64_t fail_at;   /* a read covering this offset fails with EIO (UINT64_MAX: never) */
} flaky_source;
static int64_t flaky_pread(const cmz_source *src, void *buf, size_t n, uint64_t offset) {
    const flaky_source *f = src->opaque;
    if (f->fail_at >= offset && f->fail_at < offset + n) {
        errno = EIO;
        return -1;
    }
    if (offset >= f->real_size) return 0;
    size_t take = n < f->real_size - offset ? n : (size_t)(f->real_size - offset);
    memcpy(buf, f->data + offset, take);
    return (int64_t)take;
}

/* After a failed call the context still works: compressing data[0, n) from a sound source
 * gives the reference frame. */
static void assert_source_gives(cmz_cctx *c, const uint8_t *data, size_t n, const uint8_t *frame,
                                size_t size) {
    flaky_source f = {data, n, UINT64_MAX};
    cmz_source src = {.pread = flaky_pread, .size = n, .opaque = &f, .fd = -1};
    tu_memout mo;
    cmz_output out = tu_memout_init(&mo);
    assert_int_equal(cmz_compress_source(c, &src, &out, NULL, NULL), CMZ_OK);
    assert_int_equal(mo.size, size);
    assert_memory_equal(mo.data, frame, size);
    tu_memout_free(&mo);
}

/* cmz_compress_source: a read error names its offset; a source that ends early is refused;
 * either way at every thread count, with and without the auto filter (which reads the first
 * chunk on the calling thread). */
static void test_source_errors(void **state) {
    (void)state;
    size_t n = 10 * 1000 + 123;
    uint8_t *data = tu_mixed(n, 5);
    for (unsigned threads = 1; threads <= 3; threads++)
        for (int autof = 0; autof < 2; autof++) {
            cmz_params p = tu_params(TU_CODEC, 1000, threads);
            if (autof) p.filter = CMZ_FILTER_AUTO;
            cmz_cctx *c = cmz_cctx_new(&p, NULL);
            assert_non_null(c);
            for (uint64_t at = 0; at < n; at += 2345) {
                flaky_source f = {data, n, at};
                cmz_source src = {.pread = flaky_pread, .size = n, .opaque = &f, .fd = -1};
                tu_memout mo;
                cmz_output out = tu_memout_init(&mo);
                cmz_error err;
                assert_int_equal(cmz_compress_source(c, &src, &out, NULL, &err), CMZ_ERR_IO);
                char want[64];
                snprintf(want, sizeof want, "offset %llu", (unsigned long long)(at / 1000 * 1000));
                if (!strstr(err.message, want) || !strstr(err.message, strerror(EIO)))
                    fail_msg("read error at %llu: %s", (unsigned long long)at, err.message);
                tu_memout_free(&mo);
                /* ... and shrinking to `at` bytes. */
                f.fail_at = UINT64_MAX;
                f.real_size = at;
                out = tu_memout_init(&mo);
                assert_int_equal(cmz_compress_source(c, &src, &out, NULL, &err), CMZ_ERR_TRUNCATED);
                assert_non_null(strstr(err.message, "shrank"));
                tu_memout_free(&mo);
                /* The cctx's slots outlive the failure: memory and stream calls that follow
                 * must not take anything from it (a chunk still marked unread, a read error). */
                size_t ref_size, got = 0;
                uint8_t *ref = tu_compress(&p, data, n, &ref_size);
                uint8_t *dst = malloc(ref_size);
                assert_int_equal(cmz_compress(c, dst, ref_size, &got, data, n, &err), CMZ_OK);
                assert_int_equal(got, ref_size);
                assert_memory_equal(dst, ref, ref_size);
                tu_memin mi;
                cmz_input in = tu_memin_init(&mi, data, n, 0, 0);
                out = tu_memout_init(&mo);
                assert_int_equal(cmz_compress_stream(c, &in, &out, NULL, &err), CMZ_OK);
                assert_int_equal(mo.size, ref_size);
                assert_memory_equal(mo.data, ref, ref_size);
                tu_memout_free(&mo);
                free(dst);
                free(ref);
            }
            /* The context still works, and gives cmz_compress's frame. */
            size_t size;
            uint8_t *frame = tu_compress(&p, data, n, &size);
            assert_source_gives(c, data, n, frame, size);
            free(frame);
            cmz_cctx_free(c);
        }
    free(data);
}

/* A source whose first chunk is read only after the third (and a pause): meanwhile the other
 * worker encodes chunks 1 and 2, fills both of its record buffers, and takes chunk 3, which
 * must wait for a buffer. */
typedef struct {
    const uint8_t *data;
    uint32_t chunk;
    atomic_int third_read;
} late_source;
static int64_t late_pread(const cmz_source *src, void *buf, size_t n, uint64_t offset) {
    late_source *l = src->opaque;
    if (offset == 0) {
        while (!atomic_load(&l->third_read)) usleep(1000);
        usleep(30000);
    }
    memcpy(buf, l->data + offset, n);
    if (offset == 2 * (uint64_t)l->chunk) atomic_store(&l->third_read, 1);
    return (int64_t)n;
}

/* A failing write while a worker waits for a record buffer: the call fails, the waiting worker
 * gives up instead of hanging, and the cctx then gives the same frame as a fresh one. */
static void test_write_failure_while_a_worker_waits(void **state) {
    (void)state;
    uint32_t cs = 1000;
    size_t n = 12 * cs;
    uint8_t *data = tu_mixed(n, 9);
    cmz_params p = tu_params(TU_CODEC, cs, 2);
    cmz_cctx *c = cmz_cctx_new(&p, NULL);
    size_t size;
    uint8_t *frame = tu_compress(&p, data, n, &size);
    for (size_t fail_at = 2; fail_at <= 4; fail_at++) { /* call 1 writes the header */
        late_source l = {data, cs, 0};
        cmz_source src = {.pread = late_pread, .size = n, .opaque = &l, .fd = -1};
        faulty wf = {.fail_at = fail_at};
        cmz_output out = {faulty_write, &wf};
        cmz_error err;
        assert_int_equal(cmz_compress_source(c, &src, &out, NULL, &err), CMZ_ERR_IO);
        assert_non_null(strstr(err.message, strerror(EIO)));
        free(wf.o.data);
        assert_source_gives(c, data, n, frame, size);
    }
    cmz_cctx_free(c);
    free(frame);
    free(data);
}

/* cmz_input_fd / cmz_output_fd through files, and a file that shrinks under a reader. */
static void test_fd_streams(void **state) {
    (void)state;
    size_t n = 40000;
    uint8_t *data = tu_mixed(n, 21);
    char *dir = tu_tempdir();
    char raw[4200], packed[4200], back[4200];
    snprintf(raw, sizeof raw, "%s/raw", dir);
    snprintf(packed, sizeof packed, "%s/raw.cmz", dir);
    snprintf(back, sizeof back, "%s/back", dir);
    FILE *fp = fopen(raw, "wb");
    assert_int_equal(fwrite(data, 1, n, fp), n);
    fclose(fp);
    cmz_params p = tu_params(TU_CODEC, 4096, 2);
    cmz_cctx *c = cmz_cctx_new(&p, NULL);
    cmz_dctx *d = tu_dctx_new(&p, NULL);
    FILE *in = fopen(raw, "rb"), *out = fopen(packed, "wb");
    cmz_input fin = cmz_input_fd(fileno(in));
    cmz_output fout = cmz_output_fd(fileno(out));
    cmz_frame_info info;
    assert_int_equal(cmz_compress_stream(c, &fin, &fout, &info, NULL), CMZ_OK);
    fclose(in);
    fclose(out);
    in = fopen(packed, "rb");
    out = fopen(back, "wb");
    fin = cmz_input_fd(fileno(in));
    fout = cmz_output_fd(fileno(out));
    assert_int_equal(cmz_decompress_stream(d, &fin, &fout, NULL, NULL), CMZ_OK);
    fclose(in);
    fclose(out);
    fp = fopen(back, "rb");
    uint8_t *got = malloc(n + 1);
    assert_int_equal(fread(got, 1, n + 1, fp), n);
    fclose(fp);
    assert_memory_equal(got, data, n);

    /* Writing to a read-only descriptor fails with CMZ_ERR_IO. */
    in = fopen(raw, "rb");
    FILE *ro = fopen(back, "rb");
    fin = cmz_input_fd(fileno(in));
    fout = cmz_output_fd(fileno(ro));
    cmz_error err;
    assert_int_equal(cmz_compress_stream(c, &fin, &fout, NULL, &err), CMZ_ERR_IO);
    fclose(ro);
    fclose(in);

    /* A reader over a file that is cut short after it was opened. */
    FILE *rw = fopen(packed, "r+b");
    cmz_source src;
    assert_int_equal(cmz_source_fd(&src, fileno(rw), NULL), CMZ_OK);
    cmz_frame_reader *r;
    assert_int_equal(cmz_frame_reader_open(d, &src, &r, NULL), CMZ_OK);
    assert_int_equal(ftruncate(fileno(rw), 2000), 0);
    assert_int_equal(cmz_frame_reader_read(r, n - 10, 10, got, &err), CMZ_ERR_TRUNCATED);
    assert_int_equal(err.chunk, (n - 10) / 4096);
    cmz_frame_reader_close(r);
    fclose(rw);
    /* ... and over a descriptor that was closed. */
    rw = fopen(packed, "rb");
    assert_int_equal(cmz_source_fd(&src, fileno(rw), NULL), CMZ_OK);
    fclose(rw);
    assert_int_equal(cmz_frame_info_read(&src, &info, &err), CMZ_ERR_IO);
    assert_true(strlen(err.message) > 0);

    free(got);
    cmz_cctx_free(c);
    cmz_dctx_free(d);
    tu_rmtree(dir);
    free(dir);
    free(data);
}

/* Contexts are independent: several threads, each with its own, at once (run under TSan
 * too). Output never depends on what runs beside it. */
typedef struct {
    const uint8_t *data;
    size_t n;
    const uint8_t *frame;
    size_t size;
    int codec;
    int failures;
} worker_job;

static void *worker_main(void *arg) {
    worker_job *w = arg;
    cmz_params p = tu_params(w->codec, 1000, 2);
    for (int round = 0; round < 5; round++) {
        cmz_cctx *c = cmz_cctx_new(&p, NULL);
        cmz_dctx *d = tu_dctx_new(&p, NULL);
        uint8_t *frame = malloc(w->size), *back = malloc(w->n);
        size_t got, back_n;
        if (cmz_compress(c, frame, w->size, &got, w->data, w->n, NULL) != CMZ_OK ||
            got != w->size || memcmp(frame, w->frame, got) != 0 ||
            cmz_decompress(d, back, w->n, &back_n, frame, got, NULL) != CMZ_OK ||
            memcmp(back, w->data, w->n) != 0)
            w->failures++;
        free(frame);
        free(back);
        cmz_cctx_free(c);
        cmz_dctx_free(d);
    }
    return NULL;
}

static void test_contexts_in_parallel_threads(void **state) {
    (void)state;
    enum { WORKERS = 4 };
    worker_job jobs[WORKERS];
    pthread_t tids[WORKERS];
    for (int i = 0; i < WORKERS; i++) {
        jobs[i].n = 20000 + 1000 * (size_t)i;
        jobs[i].data = tu_mixed(jobs[i].n, (uint64_t)i);
        jobs[i].codec = i % 2 ? CMZ_CODEC_NONE : TU_CODEC;
        cmz_params p = tu_params(jobs[i].codec, 1000, 1);
        jobs[i].frame = tu_compress(&p, jobs[i].data, jobs[i].n, &jobs[i].size);
        jobs[i].failures = 0;
    }
    for (int i = 0; i < WORKERS; i++)
        assert_int_equal(pthread_create(&tids[i], NULL, worker_main, &jobs[i]), 0);
    for (int i = 0; i < WORKERS; i++) {
        pthread_join(tids[i], NULL);
        assert_int_equal(jobs[i].failures, 0);
        free((void *)jobs[i].data);
        free((void *)jobs[i].frame);
    }
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_default_codec),
        cmocka_unit_test(test_params_resolve),
        cmocka_unit_test(test_null_arguments),
        cmocka_unit_test(test_io_errors),
        cmocka_unit_test(test_source_errors),
        cmocka_unit_test(test_write_failure_while_a_worker_waits),
        cmocka_unit_test(test_fd_streams),
        cmocka_unit_test(test_contexts_in_parallel_threads),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
