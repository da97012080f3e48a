/* Round trips through every entry point of the parallel engine: one-shot and streaming
 * (with short reads), for every compiled codec, thread count and chunk-size class; the bytes
 * never depend on the thread count or the entry point; random access equals slicing. Also
 * the frame-size arithmetic of stored and zero chunks, concatenated frames, trailing garbage,
 * small destinations, progress reports and interruption. */
#include "testutil.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define PER_CHUNK (CMZ_CHUNK_HEADER_SIZE + CMZ_INDEX_ENTRY_SIZE) /* 56: record head + entry */
#define FIXED (CMZ_HEADER_SIZE + CMZ_INDEX_FIXED_SIZE + CMZ_FOOTER_SIZE) /* 116 */

/* lzma, brotli and bzip2 cost 10-100x more per byte than the others (and brotli's default
 * level is its slowest), so the matrix runs them at chunk size 1000 only. */
static int slow_codec(int id) {
    return id == CMZ_CODEC_LZMA || id == CMZ_CODEC_BROTLI || id == CMZ_CODEC_BZIP2;
}

/* Reads the ranges through a reader and compares them with slices of `data`. */
static void check_ranges(cmz_dctx *d, const cmz_source *src, const uint8_t *data, size_t n,
                         uint32_t cs, int random_pairs, uint64_t seed) {
    cmz_frame_reader *r;
    cmz_error err;
    if (cmz_frame_reader_open(d, src, &r, &err) != CMZ_OK) fail_msg("open: %s", err.message);
    assert_int_equal(cmz_frame_reader_info(r)->content_size, n);
    uint64_t pairs[64][2];
    int k = 0;
    pairs[k][0] = 0, pairs[k++][1] = 0;
    pairs[k][0] = n, pairs[k++][1] = 0;
    pairs[k][0] = 0, pairs[k++][1] = n;
    if (n) pairs[k][0] = n - 1, pairs[k++][1] = 1;
    if (n > cs) pairs[k][0] = cs - 1, pairs[k++][1] = 2;           /* crosses a boundary */
    if (n >= 2 * (size_t)cs) pairs[k][0] = cs, pairs[k++][1] = cs; /* exactly one chunk */
    if (n >= 3 * (size_t)cs) pairs[k][0] = cs / 2, pairs[k++][1] = 2 * (size_t)cs; /* 3 */
    pairs[k][0] = n / 2, pairs[k++][1] = n - n / 2;
    uint64_t s = seed;
    for (int i = 0; i < random_pairs && k < 64 && n; i++) {
        uint64_t off = tu_rand(&s) % n;
        pairs[k][0] = off, pairs[k++][1] = tu_rand(&s) % (n - off + 1);
    }
    uint8_t *buf = malloc(n + 1);
    for (int i = 0; i < k; i++) {
        size_t len = (size_t)pairs[i][1];
        memset(buf, 0xAB, n + 1);
        cmz_status st = cmz_frame_reader_read(r, pairs[i][0], len, buf, &err);
        if (st != CMZ_OK)
            fail_msg("read %llu+%zu of %zu: %s", (unsigned long long)pairs[i][0], len, n,
                     err.message);
        if (len) assert_memory_equal(buf, data + pairs[i][0], len);
        assert_int_equal(buf[len], 0xAB); /* nothing written past the range */
        /* The same range written to a stream, in order, chunk by chunk. */
        tu_memout mo;
        cmz_output out = tu_memout_init(&mo);
        st = cmz_frame_reader_write(r, pairs[i][0], len, &out, &err);
        if (st != CMZ_OK)
            fail_msg("write %llu+%zu of %zu: %s", (unsigned long long)pairs[i][0], len, n,
                     err.message);
        assert_int_equal(mo.size, len);
        if (len) assert_memory_equal(mo.data, data + pairs[i][0], len);
        tu_memout_free(&mo);
    }
    /* Past the end. */
    assert_int_equal(cmz_frame_reader_read(r, n, 1, buf, &err), CMZ_ERR_RANGE);
    assert_int_equal(err.status, CMZ_ERR_RANGE);
    assert_true(strlen(err.message) > 0);
    assert_int_equal(cmz_frame_reader_read(r, n + 1, 0, buf, NULL), CMZ_ERR_RANGE);
    assert_int_equal(cmz_frame_reader_read(r, 0, n + 1, buf, NULL), CMZ_ERR_RANGE);
    assert_int_equal(cmz_frame_reader_read(r, UINT64_MAX, 1, buf, NULL), CMZ_ERR_RANGE);
    assert_int_equal(cmz_frame_reader_read(r, 1, SIZE_MAX, buf, NULL), CMZ_ERR_RANGE);
    assert_int_equal(cmz_frame_reader_read(r, 0, 1, NULL, NULL), CMZ_ERR_INVALID_ARG);
    tu_memout mo;
    cmz_output out = tu_memout_init(&mo);
    assert_int_equal(cmz_frame_reader_write(r, n, 1, &out, &err), CMZ_ERR_RANGE);
    assert_int_equal(err.status, CMZ_ERR_RANGE);
    assert_int_equal(cmz_frame_reader_write(r, 0, (uint64_t)n + 1, &out, NULL), CMZ_ERR_RANGE);
    assert_int_equal(cmz_frame_reader_write(r, UINT64_MAX, 1, &out, NULL), CMZ_ERR_RANGE);
    assert_int_equal(cmz_frame_reader_write(r, 1, UINT64_MAX, &out, NULL), CMZ_ERR_RANGE);
    assert_int_equal(cmz_frame_reader_write(r, 0, 1, NULL, NULL), CMZ_ERR_INVALID_ARG);
    assert_int_equal(cmz_frame_reader_write(NULL, 0, 1, &out, NULL), CMZ_ERR_INVALID_ARG);
    cmz_output no_fn = {NULL, NULL};
    assert_int_equal(cmz_frame_reader_write(r, 0, 1, &no_fn, NULL), CMZ_ERR_INVALID_ARG);
    assert_int_equal(mo.size, 0);
    tu_memout_free(&mo);
    free(buf);
    cmz_frame_reader_close(r);
}

/* Everything about one (codec, chunk size, input) at one thread count; *ref holds the frame
 * made at the first thread count, which every other must equal byte for byte. */
static void round_trip(const cmz_params *p, const uint8_t *data, size_t n, uint8_t **ref,
                       size_t *ref_size) {
    cmz_error err;
    cmz_cctx *c = cmz_cctx_new(p, &err);
    cmz_dctx *d = tu_dctx_new(p, &err);
    assert_non_null(c);
    assert_non_null(d);
    uint64_t bound = cmz_compress_bound(p, n);
    assert_true(bound >= FIXED);
    uint8_t *frame = malloc((size_t)bound);
    size_t size;
    if (cmz_compress(c, frame, (size_t)bound, &size, data, n, &err) != CMZ_OK)
        fail_msg("compress: %s", err.message);
    assert_true(size <= bound);
    if (*ref) {
        assert_int_equal(size, *ref_size);
        assert_memory_equal(frame, *ref, size);
    }

    /* Streaming: whole reads, then short reads of random lengths. */
    for (size_t max_read = 0; max_read <= 2 * (size_t)p->chunk_size;
         max_read += p->chunk_size + 7) {
        tu_memin mi;
        tu_memout mo;
        cmz_input in = tu_memin_init(&mi, data, n, max_read, n + max_read);
        cmz_output out = tu_memout_init(&mo);
        cmz_frame_info info;
        if (cmz_compress_stream(c, &in, &out, &info, &err) != CMZ_OK)
            fail_msg("compress_stream: %s", err.message);
        assert_int_equal(mo.size, size);
        assert_memory_equal(mo.data, frame, size);
        assert_int_equal(info.content_size, n);
        assert_int_equal(info.frame_size, size);
        assert_int_equal(info.chunk_count, (n + p->chunk_size - 1) / p->chunk_size);
        assert_int_equal(info.codec, p->codec);
        tu_memout_free(&mo);
    }

    /* From a random-access source: a memory one (encoded where it lies) and one read only
     * through pread, each worker reading its own chunks. */
    for (int kind = 0; kind < 2; kind++) {
        cmz_source in_src;
        if (kind == 0) cmz_source_memory(&in_src, data ? (const void *)data : "", n);
        else tu_source_nodata(&in_src, data ? (const void *)data : "", n);
        tu_memout mo;
        cmz_output out = tu_memout_init(&mo);
        cmz_frame_info info;
        if (cmz_compress_source(c, &in_src, &out, &info, &err) != CMZ_OK)
            fail_msg("compress_source: %s", err.message);
        assert_int_equal(mo.size, size);
        assert_memory_equal(mo.data, frame, size);
        assert_int_equal(info.content_size, n);
        assert_int_equal(info.frame_size, size);
        tu_memout_free(&mo);
    }

    /* What the frame says about itself. */
    cmz_source src;
    cmz_source_memory(&src, frame, size);
    cmz_frame_info info;
    assert_int_equal(cmz_frame_info_read(&src, &info, &err), CMZ_OK);
    assert_int_equal(info.content_size, n);
    assert_int_equal(info.frame_size, size);
    assert_int_equal(info.chunk_size, p->chunk_size);
    assert_int_equal(size, FIXED + info.chunk_count * PER_CHUNK + info.payload_bytes);

    /* One-shot into a buffer of exactly the content size (ASan sees any overrun). */
    uint8_t *back = n ? malloc(n) : NULL;
    size_t got = 12345;
    if (cmz_decompress(d, back, n, &got, frame, size, &err) != CMZ_OK)
        fail_msg("decompress: %s", err.message);
    assert_int_equal(got, n);
    if (n) assert_memory_equal(back, data, n);
    free(back);

    /* Streaming with short reads, and verify-only (no output). */
    tu_memin mi;
    tu_memout mo;
    cmz_input in = tu_memin_init(&mi, frame, size, 1 + size / 5, size);
    cmz_output out = tu_memout_init(&mo);
    if (cmz_decompress_stream(d, &in, &out, &info, &err) != CMZ_OK)
        fail_msg("decompress_stream: %s", err.message);
    assert_int_equal(mo.size, n);
    if (n) assert_memory_equal(mo.data, data, n);
    assert_int_equal(info.frame_size, size);
    assert_int_equal(info.content_size, n);
    tu_memout_free(&mo);
    in = tu_memin_init(&mi, frame, size, 0, 0);
    assert_int_equal(cmz_decompress_stream(d, &in, NULL, NULL, &err), CMZ_OK);

    check_ranges(d, &src, data, n, p->chunk_size, 4, n * 31 + p->threads);

    if (*ref) free(frame);
    else *ref = frame, *ref_size = size;
    cmz_cctx_free(c);
    cmz_dctx_free(d);
}

static void test_matrix(void **state) {
    (void)state;
    size_t count;
    const cmz_codec *const *list = cmz_codec_list(&count);
    assert_true(count >= 1);
    static const uint32_t chunk_sizes[] = {16, 1000, 65536};
    static const unsigned threads[] = {1, 2, 3};
    for (size_t ci = 0; ci < count; ci++) {
        int id = cmz_codec_id_of(list[ci]);
        for (size_t k = 0; k < 3; k++) {
            uint32_t cs = chunk_sizes[k];
            if (slow_codec(id) && cs != 1000) continue;
            size_t sizes[] = {0, 1, cs - 1, cs, cs + 1, 7 * (size_t)cs + 3};
            for (size_t si = 0; si < sizeof sizes / sizeof sizes[0]; si++) {
                size_t n = sizes[si];
                uint8_t *data = tu_mixed(n, n + 100 * (uint64_t)id);
                /* tu_mixed gives small inputs one block type; make some half compressible. */
                if (n < 4096 && si % 2) memset(data, 'a', n / 2);
                uint8_t *ref = NULL;
                size_t ref_size = 0;
                for (size_t t = 0; t < 3; t++) {
                    cmz_params p = tu_params(id, cs, threads[t]);
                    round_trip(&p, data, n, &ref, &ref_size);
                }
                free(ref);
                free(data);
            }
        }
    }
}

/* Chunks of 2 MiB and more live in huge-page buffers placed on 2 MiB boundaries (cmz__hbuf):
 * every entry point, with chunk sizes either side of that line and records (stored chunks)
 * just over it, so that ASan sees any access past what was asked for. */
static void test_huge_chunks(void **state) {
    (void)state;
    static const uint32_t chunk_sizes[] = {(2u << 20) - 40, (2u << 20) + 3};
    for (size_t k = 0; k < 2; k++) {
        uint32_t cs = chunk_sizes[k];
        size_t n = 2 * (size_t)cs + 12345;
        uint8_t *data = tu_mixed(n, 31 + k);
        uint8_t *noise = tu_random(cs, 7 + k); /* one chunk that cannot shrink: stored */
        memcpy(data + cs, noise, cs);
        free(noise);
        uint8_t *ref = NULL;
        size_t ref_size = 0;
        for (unsigned t = 1; t <= 2; t++) {
            cmz_params p = tu_params(TU_CODEC, cs, t);
            p.level = 1;
            round_trip(&p, data, n, &ref, &ref_size);
        }
        free(ref);
        free(data);
    }
}

/* ---- random access on every kind of source ---------------------------------------------- */

static void test_random_access(void **state) {
    (void)state;
    size_t n = 50003;
    uint32_t cs = 1000;
    uint8_t *data = tu_mixed(n, 77);
    cmz_params p = tu_params(TU_CODEC, cs, 3);
    size_t size;
    uint8_t *frame = tu_compress(&p, data, n, &size);
    char *dir = tu_tempdir();
    char path[4200];
    snprintf(path, sizeof path, "%s/ra.cmz", dir);
    FILE *fp = fopen(path, "wb");
    assert_int_equal(fwrite(frame, 1, size, fp), size);
    fclose(fp);
    FILE *rp = fopen(path, "rb");
    for (unsigned threads = 1; threads <= 3; threads += 2) {
        p.threads = threads;
        cmz_dctx *d = tu_dctx_new(&p, NULL);
        cmz_source mem, fdsrc, nodata;
        cmz_source_memory(&mem, frame, size);
        assert_int_equal(cmz_source_fd(&fdsrc, fileno(rp), NULL), CMZ_OK);
        assert_int_equal(fdsrc.size, size);
        tu_source_nodata(&nodata, frame, size);
        check_ranges(d, &mem, data, n, cs, 50, 1);
        check_ranges(d, &fdsrc, data, n, cs, 50, 2);
        check_ranges(d, &nodata, data, n, cs, 50, 3);
        /* Every chunk boundary, one byte either side. */
        cmz_frame_reader *r;
        assert_int_equal(cmz_frame_reader_open(d, &fdsrc, &r, NULL), CMZ_OK);
        uint8_t buf[2];
        for (size_t b = cs; b < n; b += cs) {
            assert_int_equal(cmz_frame_reader_read(r, b - 1, 2, buf, NULL), CMZ_OK);
            assert_memory_equal(buf, data + b - 1, 2);
        }
        cmz_frame_reader_close(r);
        cmz_dctx_free(d);
    }
    fclose(rp);
    tu_rmtree(dir);
    free(dir);

    /* Frames one after another: the reader reads the last. */
    uint8_t *other = tu_text(3333, 9);
    cmz_params q = tu_params(CMZ_CODEC_NONE, 100, 2);
    size_t osize;
    uint8_t *oframe = tu_compress(&q, other, 3333, &osize);
    uint8_t *both = malloc(size + osize);
    memcpy(both, frame, size);
    memcpy(both + size, oframe, osize);
    cmz_dctx *d = tu_dctx_new(&q, NULL);
    cmz_source src;
    cmz_source_memory(&src, both, size + osize);
    check_ranges(d, &src, other, 3333, 100, 20, 4);
    cmz_dctx_free(d);
    free(both);
    free(oframe);
    free(other);
    free(frame);
    free(data);
}

/* ---- what stored and zero chunks cost ---------------------------------------------------- */

static void test_stored_and_zero_chunks(void **state) {
    (void)state;
    size_t count;
    const cmz_codec *const *list = cmz_codec_list(&count);
    size_t n = 64 * 1000;
    uint8_t *rnd = tu_random(n, 5);
    uint8_t *zeros = calloc(1, n);
    for (size_t ci = 0; ci < count; ci++) {
        cmz_params p = tu_params(cmz_codec_id_of(list[ci]), 1000, 2);
        p.level = cmz_codec_min_level(list[ci]); /* the fast end is enough here */
        size_t size;
        uint8_t *frame = tu_compress(&p, rnd, n, &size);
        cmz_source src;
        cmz_frame_info info;
        cmz_source_memory(&src, frame, size);
        assert_int_equal(cmz_frame_info_read(&src, &info, NULL), CMZ_OK);
        /* Incompressible: every chunk kept raw, 56 bytes of framing per chunk (its 40-byte
         * record header and 16-byte index entry) plus 116 per frame. */
        assert_int_equal(info.stored_chunks, 64);
        assert_int_equal(info.zero_chunks, 0);
        assert_int_equal(size, n + 64 * PER_CHUNK + FIXED);
        free(frame);
        frame = tu_compress(&p, zeros, n, &size);
        cmz_source_memory(&src, frame, size);
        assert_int_equal(cmz_frame_info_read(&src, &info, NULL), CMZ_OK);
        assert_int_equal(info.zero_chunks, 64);
        assert_int_equal(info.stored_chunks, 0);
        assert_int_equal(info.payload_bytes, 0);
        assert_int_equal(size, 64 * PER_CHUNK + FIXED);
        cmz_dctx *d = tu_dctx_new(&p, NULL);
        uint8_t *back = malloc(n);
        memset(back, 1, n);
        size_t got;
        assert_int_equal(cmz_decompress(d, back, n, &got, frame, size, NULL), CMZ_OK);
        assert_memory_equal(back, zeros, n);
        free(back);
        cmz_dctx_free(d);
        free(frame);
    }
    free(rnd);
    free(zeros);
}

/* ---- several frames, trailing bytes -------------------------------------------------------- */

static void test_concatenated_frames(void **state) {
    (void)state;
    uint8_t *a = tu_text(5000, 1), *b = tu_mixed(7777, 2);
    cmz_params pa = tu_params(TU_CODEC, 512, 2), pb = tu_params(CMZ_CODEC_NONE, 100, 3);
    size_t sa, sb, se;
    uint8_t *fa = tu_compress(&pa, a, 5000, &sa), *fb = tu_compress(&pb, b, 7777, &sb);
    uint8_t *fe = tu_compress(&pb, NULL, 0, &se);
    /* A + empty + B + empty: the stream decoder decodes them in turn. */
    size_t total = sa + se + sb + se;
    uint8_t *all = malloc(total);
    memcpy(all, fa, sa);
    memcpy(all + sa, fe, se);
    memcpy(all + sa + se, fb, sb);
    memcpy(all + sa + se + sb, fe, se);
    cmz_dctx *d = tu_dctx_new(&pa, NULL);
    for (size_t max_read = 0; max_read < 300; max_read += 97) {
        tu_memin mi;
        tu_memout mo;
        cmz_input in = tu_memin_init(&mi, all, total, max_read, max_read);
        cmz_output out = tu_memout_init(&mo);
        cmz_frame_info info;
        cmz_error err;
        if (cmz_decompress_stream(d, &in, &out, &info, &err) != CMZ_OK) fail_msg("%s", err.message);
        assert_int_equal(mo.size, 5000 + 7777);
        assert_memory_equal(mo.data, a, 5000);
        assert_memory_equal(mo.data + 5000, b, 7777);
        assert_int_equal(info.frame_size, se); /* describes the last frame */
        tu_memout_free(&mo);
    }
    /* Trailing bytes after a frame are an error, never ignored: garbage, a partial magic,
     * a lone byte, a truncated second frame. */
    uint8_t *junk = tu_random(300, 3);
    memcpy(junk + 100,
           "\x89"
           "CMZ\r\n\x1a\n",
           8);
    static const size_t junk_off[] = {0, 0, 0, 0, 100, 100, 100};
    static const size_t junk_len[] = {1, 7, 8, 300, 5, 8, 60};
    for (size_t k = 0; k < sizeof junk_len / sizeof junk_len[0]; k++) {
        uint8_t *t = malloc(sa + junk_len[k]);
        memcpy(t, fa, sa);
        memcpy(t + sa, junk + junk_off[k], junk_len[k]);
        tu_memin mi;
        cmz_input in = tu_memin_init(&mi, t, sa + junk_len[k], 0, 0);
        cmz_error err;
        cmz_status st = cmz_decompress_stream(d, &in, NULL, NULL, &err);
        assert_int_not_equal(st, CMZ_OK);
        assert_true(strlen(err.message) > 0);
        uint8_t out[5000];
        size_t got;
        assert_int_not_equal(cmz_decompress(d, out, 5000, &got, t, sa + junk_len[k], NULL), CMZ_OK);
        cmz_source src;
        cmz_frame_info info;
        cmz_source_memory(&src, t, sa + junk_len[k]);
        assert_int_not_equal(cmz_frame_info_read(&src, &info, NULL), CMZ_OK);
        free(t);
    }
    for (size_t cut = 1; cut < sb; cut += 211) {
        tu_memin mi;
        memcpy(all + sa, fb, sb);
        cmz_input in = tu_memin_init(&mi, all, sa + cut, 0, 0);
        assert_int_not_equal(cmz_decompress_stream(d, &in, NULL, NULL, NULL), CMZ_OK);
    }
    cmz_dctx_free(d);
    free(junk);
    free(all);
    free(fa);
    free(fb);
    free(fe);
    free(a);
    free(b);
}

/* ---- small destinations ------------------------------------------------------------------ */

static void test_small_destinations(void **state) {
    (void)state;
    size_t n = 9000;
    uint8_t *data = tu_mixed(n, 11);
    cmz_params p = tu_params(TU_CODEC, 1000, 2);
    size_t size;
    uint8_t *frame = tu_compress(&p, data, n, &size);
    cmz_dctx *d = tu_dctx_new(&p, NULL);
    cmz_cctx *c = cmz_cctx_new(&p, NULL);
    cmz_error err;
    size_t got;
    /* Decompression: the content does not fit. */
    static const size_t dcaps[] = {0, 1, 999, 1000, 8999};
    for (size_t k = 0; k < sizeof dcaps / sizeof dcaps[0]; k++) {
        uint8_t *dst = dcaps[k] ? malloc(dcaps[k]) : NULL;
        assert_int_equal(cmz_decompress(d, dst, dcaps[k], &got, frame, size, &err),
                         CMZ_ERR_DST_TOO_SMALL);
        assert_int_equal(err.status, CMZ_ERR_DST_TOO_SMALL);
        free(dst);
    }
    /* Compression: each capacity malloc'd exactly, so ASan reports any write past it. */
    size_t ccaps[] = {0,
                      1,
                      CMZ_HEADER_SIZE - 1,
                      CMZ_HEADER_SIZE,
                      CMZ_HEADER_SIZE + 40,
                      size / 2,
                      size - CMZ_FOOTER_SIZE,
                      size - 1};
    for (size_t k = 0; k < sizeof ccaps / sizeof ccaps[0]; k++) {
        uint8_t *dst = ccaps[k] ? malloc(ccaps[k]) : NULL;
        cmz_error_clear(&err);
        assert_int_equal(cmz_compress(c, dst, ccaps[k], &got, data, n, &err),
                         CMZ_ERR_DST_TOO_SMALL);
        assert_int_equal(err.status, CMZ_ERR_DST_TOO_SMALL);
        assert_true(strlen(err.message) > 0);
        free(dst);
    }
    /* cmz_compress_bound always suffices. */
    uint64_t bound = cmz_compress_bound(&p, n);
    uint8_t *dst = malloc((size_t)bound);
    assert_int_equal(cmz_compress(c, dst, (size_t)bound, &got, data, n, &err), CMZ_OK);
    assert_int_equal(got, size);
    assert_memory_equal(dst, frame, size);
    free(dst);
    cmz_cctx_free(c);
    cmz_dctx_free(d);
    free(frame);
    free(data);
}

/* ---- progress and interruption ------------------------------------------------------------ */

typedef struct {
    uint64_t in[256], out[256];
    int calls;
} progress_log;

static void on_progress(void *opaque, uint64_t in, uint64_t out) {
    progress_log *l = opaque;
    assert_true(l->calls < 256);
    if (l->calls) {
        assert_true(in >= l->in[l->calls - 1]);
        assert_true(out >= l->out[l->calls - 1]);
    }
    l->in[l->calls] = in;
    l->out[l->calls++] = out;
}

static void test_progress(void **state) {
    (void)state;
    size_t sizes[] = {0, 1, 20 * 1000 + 17};
    for (size_t k = 0; k < 3; k++) {
        size_t n = sizes[k];
        uint8_t *data = tu_mixed(n, 3);
        progress_log log = {.calls = 0};
        cmz_params p = tu_params(TU_CODEC, 1000, 3);
        p.progress = on_progress;
        p.progress_opaque = &log;
        cmz_cctx *c = cmz_cctx_new(&p, NULL);
        cmz_dctx *d = tu_dctx_new(&p, NULL);
        tu_memin mi;
        tu_memout mo;
        cmz_input in = tu_memin_init(&mi, data, n, 333, 1);
        cmz_output out = tu_memout_init(&mo);
        assert_int_equal(cmz_compress_stream(c, &in, &out, NULL, NULL), CMZ_OK);
        uint64_t chunks = (n + 999) / 1000;
        assert_true(log.calls >= (int)chunks && log.calls >= 1);
        /* The last report gives the totals: all input read, the whole frame written. */
        assert_int_equal(log.in[log.calls - 1], n);
        assert_int_equal(log.out[log.calls - 1], mo.size);
        /* One-shot compression reports the same way. */
        log.calls = 0;
        uint8_t *dst = malloc((size_t)cmz_compress_bound(&p, n));
        size_t got;
        assert_int_equal(
            cmz_compress(c, dst, (size_t)cmz_compress_bound(&p, n), &got, data, n, NULL), CMZ_OK);
        assert_true(log.calls >= 1);
        assert_int_equal(log.in[log.calls - 1], n);
        assert_int_equal(log.out[log.calls - 1], got);
        free(dst);
        /* Streaming decompression: whole frame read, whole content written. */
        log.calls = 0;
        tu_memout back;
        cmz_output bout = tu_memout_init(&back);
        in = tu_memin_init(&mi, mo.data, mo.size, 100, 2);
        assert_int_equal(cmz_decompress_stream(d, &in, &bout, NULL, NULL), CMZ_OK);
        assert_true(log.calls >= (int)chunks && log.calls >= 1);
        assert_int_equal(log.in[log.calls - 1], mo.size);
        assert_int_equal(log.out[log.calls - 1], n);
        /* The frame reader writing the whole content: one report per chunk, in order, the
         * last at the end of the last record (the index and footer follow it). */
        if (n) {
            log.calls = 0;
            tu_memout_free(&back);
            bout = tu_memout_init(&back);
            cmz_source src;
            cmz_source_memory(&src, mo.data, mo.size);
            cmz_frame_reader *r;
            assert_int_equal(cmz_frame_reader_open(d, &src, &r, NULL), CMZ_OK);
            assert_int_equal(cmz_frame_reader_write(r, 0, n, &bout, NULL), CMZ_OK);
            cmz_frame_reader_close(r);
            assert_int_equal(log.calls, (int)chunks);
            for (int i = 1; i < log.calls; i++) {
                assert_true(log.in[i] > log.in[i - 1]);
                assert_true(log.out[i] > log.out[i - 1]);
            }
            assert_int_equal(log.out[log.calls - 1], n);
            assert_int_equal(log.in[log.calls - 1], mo.size); /* the whole frame */
            /* Before it: the frame up to the end of the chunk's record, which is where the
             * last record starts (its index entry: just before the index CRC and footer). */
            const uint8_t *last_entry =
                mo.data + mo.size - CMZ_FOOTER_SIZE - 4 - CMZ_INDEX_ENTRY_SIZE;
            if (chunks > 1) assert_int_equal(log.in[log.calls - 2], tu_get_le(last_entry, 8));
            assert_int_equal(back.size, n);
            assert_memory_equal(back.data, data, n);
        }
        tu_memout_free(&back);
        tu_memout_free(&mo);
        cmz_cctx_free(c);
        cmz_dctx_free(d);
        free(data);
    }
}

static volatile sig_atomic_t stop_flag;

/* Sets the interrupt flag after `after` reads, as a signal handler would mid-stream. */
typedef struct {
    tu_memin m;
    int after;
} stopping_input;
static int64_t stopping_read(void *opaque, void *buf, size_t n) {
    stopping_input *s = opaque;
    if (s->m.calls >= (size_t)s->after) stop_flag = 1;
    tu_memin *m = &s->m;
    m->calls++;
    size_t take = n < m->size - m->pos ? n : m->size - m->pos;
    memcpy(buf, m->data + m->pos, take);
    m->pos += take;
    return (int64_t)take;
}

/* An output that raises the interrupt flag after `after` writes, as a signal would. */
typedef struct {
    cmz_output inner;
    int writes, after;
} stopping_output;
static int stopping_write(void *opaque, const void *buf, size_t n) {
    stopping_output *s = opaque;
    if (++s->writes == s->after) stop_flag = 1;
    return s->inner.write(s->inner.opaque, buf, n);
}

static void test_interrupt(void **state) {
    (void)state;
    size_t n = 30000;
    uint8_t *data = tu_mixed(n, 4);
    cmz_params p = tu_params(TU_CODEC, 1000, 2);
    p.interrupt = &stop_flag;
    cmz_cctx *c = cmz_cctx_new(&p, NULL);
    cmz_dctx *d = tu_dctx_new(&p, NULL);
    size_t size;
    uint8_t *frame = tu_compress(&p, data, n, &size); /* flag clear: completes */
    uint8_t *buf = malloc(size > n ? size : n);
    cmz_error err;
    size_t got;
    stop_flag = 1;
    tu_memin mi;
    tu_memout mo;
    cmz_input in = tu_memin_init(&mi, data, n, 0, 0);
    cmz_output out = tu_memout_init(&mo);
    assert_int_equal(cmz_compress_stream(c, &in, &out, NULL, &err), CMZ_ERR_INTERRUPTED);
    assert_int_equal(err.status, CMZ_ERR_INTERRUPTED);
    tu_memout_free(&mo);
    assert_int_equal(cmz_compress(c, buf, size, &got, data, n, &err), CMZ_ERR_INTERRUPTED);
    in = tu_memin_init(&mi, frame, size, 0, 0);
    out = tu_memout_init(&mo);
    assert_int_equal(cmz_decompress_stream(d, &in, &out, NULL, &err), CMZ_ERR_INTERRUPTED);
    assert_true(mo.size < n);
    tu_memout_free(&mo);
    assert_int_equal(cmz_decompress(d, buf, n, &got, frame, size, &err), CMZ_ERR_INTERRUPTED);
    cmz_source src;
    cmz_source_memory(&src, frame, size);
    cmz_frame_reader *r;
    assert_int_equal(cmz_frame_reader_open(d, &src, &r, NULL), CMZ_OK);
    out = tu_memout_init(&mo);
    assert_int_equal(cmz_frame_reader_write(r, 0, n, &out, &err), CMZ_ERR_INTERRUPTED);
    assert_int_equal(err.status, CMZ_ERR_INTERRUPTED);
    assert_int_equal(mo.size, 0);
    tu_memout_free(&mo);
    /* Mid-stream: the flag rises while the input is being read. */
    stop_flag = 0;
    stopping_input si = {.after = 5};
    tu_memin_init(&si.m, data, n, 0, 0);
    cmz_input sin = {stopping_read, &si};
    out = tu_memout_init(&mo);
    assert_int_equal(cmz_compress_stream(c, &sin, &out, NULL, &err), CMZ_ERR_INTERRUPTED);
    tu_memout_free(&mo);
    stop_flag = 0;
    tu_memin_init(&si.m, frame, size, 0, 0);
    assert_int_equal(cmz_decompress_stream(d, &sin, NULL, NULL, &err), CMZ_ERR_INTERRUPTED);
    /* The frame reader's stream, interrupted after 5 chunks are written (at every thread
     * count): those 5 chunks and nothing more. */
    for (unsigned threads = 1; threads <= 3; threads++) {
        cmz_params pt = p;
        pt.threads = threads;
        cmz_dctx *dt = tu_dctx_new(&pt, NULL);
        cmz_frame_reader *rt;
        assert_int_equal(cmz_frame_reader_open(dt, &src, &rt, NULL), CMZ_OK);
        stop_flag = 0;
        stopping_output so = {.after = 5};
        so.inner = tu_memout_init(&mo);
        cmz_output sout = {stopping_write, &so};
        assert_int_equal(cmz_frame_reader_write(rt, 0, n, &sout, &err), CMZ_ERR_INTERRUPTED);
        assert_int_equal(so.writes, 5);
        assert_int_equal(mo.size, 5 * 1000);
        assert_memory_equal(mo.data, data, mo.size);
        tu_memout_free(&mo);
        cmz_frame_reader_close(rt);
        cmz_dctx_free(dt);
    }
    /* The contexts still work once the flag is down. */
    stop_flag = 0;
    assert_int_equal(cmz_compress(c, buf, size, &got, data, n, &err), CMZ_OK);
    assert_memory_equal(buf, frame, size);
    assert_int_equal(cmz_decompress(d, buf, n, &got, frame, size, &err), CMZ_OK);
    assert_memory_equal(buf, data, n);
    out = tu_memout_init(&mo);
    assert_int_equal(cmz_frame_reader_write(r, 0, n, &out, &err), CMZ_OK);
    assert_int_equal(mo.size, n);
    assert_memory_equal(mo.data, data, n);
    tu_memout_free(&mo);
    cmz_frame_reader_close(r);
    free(buf);
    free(frame);
    free(data);
    cmz_cctx_free(c);
    cmz_dctx_free(d);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_matrix),
        cmocka_unit_test(test_huge_chunks),
        cmocka_unit_test(test_random_access),
        cmocka_unit_test(test_stored_and_zero_chunks),
        cmocka_unit_test(test_concatenated_frames),
        cmocka_unit_test(test_small_destinations),
        cmocka_unit_test(test_progress),
        cmocka_unit_test(test_interrupt),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
