/* Parity (docs/FORMAT.md "Parity", include/cmz/salvage.h cmz_frame_repair): frames with
 * parity decode like any other, and a repair gives back the frame as written, byte for byte,
 * after every single-bit flip, every truncation it can undo, up to M zeroed records per
 * group, and damage to the header, index or footer; M+1 damaged records in a group are
 * reported, never mis-repaired. */
#include "testutil.h"

#include "cmz/salvage.h"
#include "damage/internal.h" /* cmz__parity_verify */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CS 1024u
#define N (8 * CS + 300) /* 9 chunks, the last one short: groups of 4, 4 and 1 with K = 4 */

static uint8_t *compress_with(const void *content, size_t n, int codec, unsigned k, unsigned m,
                              unsigned threads, size_t *size) {
    cmz_params p = tu_params(codec, CS, threads);
    p.parity_k = k;
    p.parity_m = m;
    return tu_compress(&p, content, n, size);
}

/* Repairs frame[0..size); returns the status, the repaired frame in *mo, the report. */
static cmz_status repair(const uint8_t *frame, size_t size, tu_memout *mo, cmz_frame_report **rep,
                         cmz_error *err) {
    cmz_source src;
    cmz_source_memory(&src, frame, size);
    cmz_output out = tu_memout_init(mo);
    cmz_error_clear(err);
    return cmz_frame_repair(NULL, &src, &out, rep, err);
}

/* Repair must give back exactly `original`. */
static void assert_repairs_to(const uint8_t *frame, size_t size, const uint8_t *original,
                              size_t original_size) {
    tu_memout mo;
    cmz_frame_report *rep = NULL;
    cmz_error err;
    cmz_status st = repair(frame, size, &mo, &rep, &err);
    if (st != CMZ_OK && rep)
        for (uint64_t i = 0; i < rep->chunk_count; i++)
            if (rep->chunks[i].state != CMZ_CHUNK_INTACT)
                print_message("chunk %llu: %s\n", (unsigned long long)i, rep->chunks[i].message);
    if (st != CMZ_OK) fail_msg("repair failed: %s", err.message);
    assert_int_equal(mo.size, original_size);
    assert_memory_equal(mo.data, original, original_size);
    assert_int_equal(rep->repaired, rep->damaged + rep->missing);
    cmz_frame_report_free(rep);
    tu_memout_free(&mo);
}

static void decode_all_ways(const uint8_t *frame, size_t size, const uint8_t *content, size_t n) {
    cmz_dctx *d = cmz_dctx_new(NULL, NULL);
    assert_non_null(d);
    uint8_t *out = malloc(n + 1);
    size_t got = 0;
    assert_int_equal(cmz_decompress(d, out, n + 1, &got, frame, size, NULL), CMZ_OK);
    assert_int_equal(got, n);
    if (n) assert_memory_equal(out, content, n);
    tu_memin mi;
    cmz_input in = tu_memin_init(&mi, frame, size, 777, 5);
    tu_memout mo;
    cmz_output o = tu_memout_init(&mo);
    cmz_error err;
    if (cmz_decompress_stream(d, &in, &o, NULL, &err) != CMZ_OK) fail_msg("%s", err.message);
    assert_int_equal(mo.size, n);
    if (n) assert_memory_equal(mo.data, content, n);
    tu_memout_free(&mo);
    /* random access across a group boundary */
    if (n > 5 * CS) {
        cmz_source src;
        cmz_source_memory(&src, frame, size);
        cmz_frame_reader *r;
        assert_int_equal(cmz_frame_reader_open(d, &src, &r, NULL), CMZ_OK);
        assert_int_equal(cmz_frame_reader_read(r, 3 * CS + 100, 2 * CS, out, NULL), CMZ_OK);
        assert_memory_equal(out, content + 3 * CS + 100, 2 * CS);
        cmz_frame_reader_close(r);
    }
    free(out);
    cmz_dctx_free(d);
}

static void test_roundtrip(void **state) {
    (void)state;
    static const size_t sizes[] = {0, 1, CS - 1, CS, CS + 1, 4 * CS, 4 * CS + 1, N, 20 * CS};
    static const unsigned km[][2] = {{1, 1}, {4, 1}, {4, 2}, {3, 5}, {16, 2}, {200, 55}};
    const int codecs[] = {CMZ_CODEC_LZ4, TU_CODEC, CMZ_CODEC_NONE};
    uint8_t *content = tu_mixed(20 * CS, 11);
    for (size_t c = 0; c < sizeof codecs / sizeof *codecs; c++)
        for (size_t s = 0; s < sizeof sizes / sizeof *sizes; s++)
            for (size_t g = 0; g < sizeof km / sizeof *km; g++) {
                size_t size1, size2;
                uint8_t *f1 =
                    compress_with(content, sizes[s], codecs[c], km[g][0], km[g][1], 1, &size1);
                uint8_t *f2 =
                    compress_with(content, sizes[s], codecs[c], km[g][0], km[g][1], 3, &size2);
                assert_int_equal(size1, size2); /* the same bytes whatever the threads */
                assert_memory_equal(f1, f2, size1);
                cmz_source src;
                cmz_source_memory(&src, f1, size1);
                cmz_frame_info info;
                assert_int_equal(cmz_frame_info_read(&src, &info, NULL), CMZ_OK);
                assert_int_equal(info.parity_k, km[g][0]);
                assert_int_equal(info.parity_m, km[g][1]);
                decode_all_ways(f1, size1, content, sizes[s]);
                assert_repairs_to(f1, size1, f1, size1); /* intact: a repair is a copy */
                free(f1);
                free(f2);
            }
    free(content);
}

/* Streaming compression gives the one-shot frame. */
static void test_stream_equals_oneshot(void **state) {
    (void)state;
    uint8_t *content = tu_text(N, 2);
    size_t size;
    uint8_t *frame = compress_with(content, N, TU_CODEC, 4, 2, 2, &size);
    cmz_params p = tu_params(TU_CODEC, CS, 2);
    p.parity_k = 4;
    p.parity_m = 2;
    cmz_cctx *c = cmz_cctx_new(&p, NULL);
    tu_memin mi;
    cmz_input in = tu_memin_init(&mi, content, N, 500, 9);
    tu_memout mo;
    cmz_output out = tu_memout_init(&mo);
    assert_int_equal(cmz_compress_stream(c, &in, &out, NULL, NULL), CMZ_OK);
    assert_int_equal(mo.size, size);
    assert_memory_equal(mo.data, frame, size);
    tu_memout_free(&mo);
    cmz_cctx_free(c);
    free(frame);
    free(content);
}

static void test_bad_parameters(void **state) {
    (void)state;
    static const unsigned bad[][2] = {{0, 1},   {1, 0},           {200, 56},       {255, 1},
                                      {256, 0}, {2, 4294967295u}, {4294967295u, 2}};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        cmz_params p = tu_params(CMZ_CODEC_LZ4, CS, 1);
        p.parity_k = bad[i][0];
        p.parity_m = bad[i][1];
        cmz_error err;
        assert_null(cmz_cctx_new(&p, &err));
        assert_int_equal(err.status, CMZ_ERR_INVALID_ARG);
        assert_non_null(strstr(err.message, "parity"));
    }
}

/* Every single-bit flip of a 9-chunk frame with parity 4:1 is repaired exactly, and verify
 * calls every damaged chunk repairable. */
static void test_every_bit_flip_repaired(void **state) {
    (void)state;
    uint8_t *content = tu_text(N, 3);
    size_t size;
    uint8_t *frame = compress_with(content, N, CMZ_CODEC_LZ4, 4, 1, 1, &size);
    uint8_t *copy = malloc(size);
    const size_t step = 2 * tu_scale() - 1; /* odd: still every bit position of a byte */
    for (size_t bit = 0; bit < size * 8; bit += step) {
        memcpy(copy, frame, size);
        copy[bit / 8] ^= (uint8_t)(1u << (bit % 8));
        assert_repairs_to(copy, size, frame, size);
        if (bit % 7 == 0) { /* verify's verdict, on a sample (it decodes every chunk) */
            cmz_source src;
            cmz_source_memory(&src, copy, size);
            cmz_frame_report *rep;
            assert_int_equal(cmz_frame_verify(NULL, &src, &rep, NULL), CMZ_OK);
            assert_int_equal(rep->repairable, rep->damaged + rep->missing);
            cmz_frame_report_free(rep);
        }
    }
    free(copy);
    free(frame);
    free(content);
}

/* The chunk records of a frame (from its intact index). */
static uint64_t record_at(const uint8_t *frame, size_t size, uint64_t k) {
    uint64_t index_at = tu_get_le(frame + size - CMZ_FOOTER_SIZE, 8);
    return tu_get_le(frame + index_at + 16 + 16 * k, 8);
}
static uint64_t record_len(const uint8_t *frame, size_t size, uint64_t k) {
    uint64_t index_at = tu_get_le(frame + size - CMZ_FOOTER_SIZE, 8);
    return CMZ_CHUNK_HEADER_SIZE + tu_get_le(frame + index_at + 16 + 16 * k + 8, 4);
}

/* Up to M whole records zeroed per group are rebuilt; M + 1 in one group are reported as
 * lost (with the others still counted), and the output is not claimed. */
static void test_zeroed_records(void **state) {
    (void)state;
    uint8_t *content = tu_mixed(24 * CS, 4); /* 24 chunks: 3 groups of 8 with 8:3 */
    size_t size;
    uint8_t *frame = compress_with(content, 24 * CS, TU_CODEC, 8, 3, 2, &size);
    uint8_t *copy = malloc(size);
    for (unsigned damaged = 1; damaged <= 4; damaged++) {
        memcpy(copy, frame, size);
        for (unsigned g = 0; g < 3; g++)
            for (unsigned r = 0; r < damaged; r++) {
                uint64_t k = g * 8 + (r * 3 + g) % 8;
                memset(copy + record_at(frame, size, k), 0, (size_t)record_len(frame, size, k));
            }
        if (damaged <= 3) {
            assert_repairs_to(copy, size, frame, size);
            continue;
        }
        tu_memout mo;
        cmz_frame_report *rep = NULL;
        cmz_error err;
        assert_int_equal(repair(copy, size, &mo, &rep, &err), CMZ_ERR_CORRUPT);
        assert_non_null(rep);
        assert_int_equal(rep->repaired, 0);
        assert_int_equal(rep->damaged + rep->missing, 12);
        assert_non_null(strstr(err.message, "cannot be rebuilt"));
        cmz_frame_report_free(rep);
        tu_memout_free(&mo);
        /* verify says the same: none repairable */
        cmz_source src;
        cmz_source_memory(&src, copy, size);
        assert_int_equal(cmz_frame_verify(NULL, &src, &rep, NULL), CMZ_OK);
        assert_int_equal(rep->repairable, 0);
        cmz_frame_report_free(rep);
    }
    /* one group over the limit, the others fine: only that group's chunks are lost */
    memcpy(copy, frame, size);
    for (unsigned r = 0; r < 4; r++)
        memset(copy + record_at(frame, size, 8 + r), 0xA5, (size_t)record_len(frame, size, 8 + r));
    memset(copy + record_at(frame, size, 0), 0, 50);
    tu_memout mo;
    cmz_frame_report *rep = NULL;
    cmz_error err;
    assert_int_equal(repair(copy, size, &mo, &rep, &err), CMZ_ERR_CORRUPT);
    assert_int_equal(rep->repaired, 1);
    assert_true(rep->chunks[0].repaired);
    for (unsigned r = 0; r < 4; r++) assert_false(rep->chunks[8 + r].repaired);
    assert_int_equal(err.chunk, 8);
    cmz_frame_report_free(rep);
    tu_memout_free(&mo);
    free(copy);
    free(frame);
    free(content);
}

/* The next length of test_every_truncation's sweep: every one from index_at on; before it,
 * every tu_scale()-th. */
static size_t next_cut(size_t len, size_t index_at) {
    if (len >= index_at) return len + 1;
    size_t next = len + tu_scale();
    return next < index_at ? next : index_at;
}

/* Every truncation: a repair either gives back the whole frame or fails; never a frame that
 * differs from the original. */
static void test_every_truncation(void **state) {
    (void)state;
    for (int multiple = 0; multiple <= 2; multiple++) {
        /* content ending in a short chunk; a multiple of the chunk size and of K chunks; a
         * multiple of the chunk size in a short last group (whose parity proves it is last) */
        size_t n = multiple == 0 ? N : multiple == 1 ? 8 * CS : 6 * CS;
        uint8_t *content = tu_text(n, 5);
        size_t size;
        uint8_t *frame = compress_with(content, n, CMZ_CODEC_LZ4, 4, 1, 1, &size);
        size_t repaired = 0;
        /* every length in the index and footer; scaled down, a sample of those before */
        size_t index_at = (size_t)tu_get_le(frame + size - CMZ_FOOTER_SIZE, 8);
        for (size_t len = 0; len < size; len = next_cut(len, index_at)) {
            tu_memout mo;
            cmz_frame_report *rep = NULL;
            cmz_error err;
            cmz_status st = repair(frame, len, &mo, &rep, &err);
            if (st == CMZ_OK) {
                assert_int_equal(mo.size, size);
                assert_memory_equal(mo.data, frame, size);
                repaired++;
            } else {
                assert_true(strlen(err.message) > 0);
            }
            cmz_frame_report_free(rep);
            tu_memout_free(&mo);
        }
        /* the tail (index and footer) can always be rebuilt when the content ends in a short
         * chunk; when it ends in a full one, only an intact index says that no chunk after it
         * is missing (so a cut inside the footer is repaired, and no other) */
        if (multiple != 1) assert_true(repaired >= size - index_at);
        else assert_int_equal(repaired, CMZ_FOOTER_SIZE);
        free(frame);
        free(content);
    }
}

/* Header, index and footer damaged together with chunks: rebuilt from what survives. */
static void test_metadata_and_chunks(void **state) {
    (void)state;
    uint8_t *content = tu_text(N, 6);
    size_t size;
    uint8_t *frame = compress_with(content, N, TU_CODEC, 4, 2, 1, &size);
    uint8_t *copy = malloc(size);
    uint64_t index_at = tu_get_le(frame + size - CMZ_FOOTER_SIZE, 8);
    memcpy(copy, frame, size);
    memset(copy, 0, CMZ_HEADER_SIZE);                     /* header */
    memset(copy + index_at + 20, 0xFF, 16);               /* index */
    memset(copy + record_at(frame, size, 2) + 3, 0, 20);  /* chunk 2's header */
    memset(copy + record_at(frame, size, 5) + 100, 1, 8); /* chunk 5's payload */
    assert_repairs_to(copy, size, frame, size);
    memcpy(copy, frame, size);
    memset(copy + size - CMZ_FOOTER_SIZE, 0, CMZ_FOOTER_SIZE); /* footer */
    memset(copy + record_at(frame, size, 8), 0, 40);           /* the last chunk's header */
    assert_repairs_to(copy, size, frame, size);
    free(copy);
    free(frame);
    free(content);
}

/* Frames without parity: a damaged index or footer is rewritten; a damaged chunk cannot be. */
static void test_without_parity(void **state) {
    (void)state;
    uint8_t *content = tu_text(N, 7);
    size_t size;
    uint8_t *frame = compress_with(content, N, CMZ_CODEC_LZ4, 0, 0, 1, &size);
    uint8_t *copy = malloc(size);
    uint64_t index_at = tu_get_le(frame + size - CMZ_FOOTER_SIZE, 8);
    memcpy(copy, frame, size);
    copy[index_at + 30] ^= 4;
    copy[5] ^= 1;
    assert_repairs_to(copy, size, frame, size);
    memcpy(copy, frame, size);
    copy[record_at(frame, size, 4) + 60] ^= 0x10;
    tu_memout mo;
    cmz_frame_report *rep = NULL;
    cmz_error err;
    assert_int_equal(repair(copy, size, &mo, &rep, &err), CMZ_ERR_CORRUPT);
    assert_int_equal(err.chunk, 4);
    assert_non_null(strstr(err.message, "no parity"));
    assert_int_equal(rep->damaged, 1);
    cmz_frame_report_free(rep);
    tu_memout_free(&mo);
    free(copy);
    free(frame);
    free(content);
}

static int failing_write(void *opaque, const void *buf, size_t n) {
    (void)opaque, (void)buf, (void)n;
    return -1;
}

static void test_errors(void **state) {
    (void)state;
    uint8_t *content = tu_text(N, 8);
    size_t size;
    uint8_t *frame = compress_with(content, N, CMZ_CODEC_LZ4, 4, 2, 1, &size);
    cmz_source src;
    cmz_source_memory(&src, frame, size);
    tu_memout mo;
    cmz_output out = tu_memout_init(&mo);
    cmz_frame_report *rep = NULL;
    cmz_error err;
    assert_int_equal(cmz_frame_repair(NULL, NULL, &out, &rep, &err), CMZ_ERR_INVALID_ARG);
    assert_int_equal(cmz_frame_repair(NULL, &src, NULL, &rep, &err), CMZ_ERR_INVALID_ARG);
    assert_int_equal(cmz_frame_repair(NULL, &src, &out, NULL, &err), CMZ_ERR_INVALID_ARG);
    cmz_output bad = {failing_write, NULL};
    assert_int_equal(cmz_frame_repair(NULL, &src, &bad, &rep, &err), CMZ_ERR_IO);
    assert_null(rep);
    /* memory limit below a group's needs */
    cmz_dparams p = cmz_dparams_default();
    p.memory_limit = 4 * CS;
    cmz_dctx *d = cmz_dctx_new(&p, NULL);
    assert_int_equal(cmz_frame_repair(d, &src, &out, &rep, &err), CMZ_ERR_LIMIT);
    assert_non_null(strstr(err.message, "memory limit"));
    cmz_dctx_free(d);
    /* interrupted */
    static volatile sig_atomic_t stop = 1;
    p = cmz_dparams_default();
    p.interrupt = &stop;
    d = cmz_dctx_new(&p, NULL);
    assert_int_equal(cmz_frame_repair(d, &src, &out, &rep, &err), CMZ_ERR_INTERRUPTED);
    cmz_dctx_free(d);
    /* not a frame */
    cmz_source_memory(&src, content, 4000);
    assert_int_not_equal(cmz_frame_repair(NULL, &src, &out, &rep, &err), CMZ_OK);
    assert_true(strlen(err.message) > 0);
    tu_memout_free(&mo);
    free(frame);
    free(content);
}

/* The stream decoder refuses a parity frame whose parity records are out of place. */
static void test_decoder_checks_parity_layout(void **state) {
    (void)state;
    uint8_t *content = tu_text(N, 9);
    size_t size;
    uint8_t *frame = compress_with(content, N, CMZ_CODEC_LZ4, 4, 1, 1, &size);
    cmz_dctx *d = cmz_dctx_new(NULL, NULL);
    /* a damaged parity record's payload: the stream decoder says so */
    size_t parity_at = (size_t)(record_at(frame, size, 3) + record_len(frame, size, 3));
    uint8_t *copy = malloc(size);
    memcpy(copy, frame, size);
    copy[parity_at + CMZ_CHUNK_HEADER_SIZE + 40] ^= 1;
    tu_memin mi;
    cmz_input in = tu_memin_init(&mi, copy, size, 0, 1);
    cmz_error err;
    assert_int_equal(cmz_decompress_stream(d, &in, NULL, NULL, &err), CMZ_ERR_CHECKSUM);
    assert_non_null(strstr(err.message, "parity record 0 of group 0"));
    /* the frame with its first group's parity cut out: a data record where parity should be */
    size_t plen = (size_t)(record_at(frame, size, 4) - parity_at);
    memcpy(copy, frame, parity_at);
    memcpy(copy + parity_at, frame + parity_at + plen, size - parity_at - plen);
    in = tu_memin_init(&mi, copy, size - plen, 0, 1);
    assert_int_equal(cmz_decompress_stream(d, &in, NULL, NULL, &err), CMZ_ERR_CORRUPT);
    assert_non_null(strstr(err.message, "parity record should be"));
    free(copy);
    cmz_dctx_free(d);
    free(frame);
    free(content);
}

/* The safe calls: compression checked; decompression repairs when parity allows. */
static void test_safe_calls(void **state) {
    (void)state;
    uint8_t *content = tu_mixed(N, 10);
    cmz_params p = tu_params(TU_CODEC, CS, 2);
    p.parity_k = 4;
    p.parity_m = 1;
    cmz_cctx *c = cmz_cctx_new(&p, NULL);
    size_t cap = (size_t)cmz_compress_bound(&p, N), size = 0;
    uint8_t *frame = malloc(cap);
    assert_int_equal(cmz_safe_compress(c, frame, cap, &size, content, N, NULL), CMZ_OK);
    cmz_error err;
    assert_int_equal(cmz_safe_compress(c, frame, 100, &size, content, N, &err),
                     CMZ_ERR_DST_TOO_SMALL);
    assert_int_equal(cmz_safe_compress(c, frame, cap, &size, content, N, NULL), CMZ_OK);
    cmz_dctx *d = cmz_dctx_new(NULL, NULL);
    uint8_t *out = malloc(N);
    size_t got;
    uint64_t repaired = 99;
    assert_int_equal(cmz_safe_decompress(d, out, N, &got, frame, size, &repaired, NULL), CMZ_OK);
    assert_int_equal(repaired, 0);
    /* one chunk per group damaged: repaired on the way */
    frame[record_at(frame, size, 1) + 50] ^= 0x40;
    frame[record_at(frame, size, 6) + 7] ^= 0x01;
    frame[record_at(frame, size, 8) + 45] ^= 0x80;
    memset(out, 0, N);
    assert_int_equal(cmz_safe_decompress(d, out, N, &got, frame, size, &repaired, &err), CMZ_OK);
    assert_int_equal(repaired, 3);
    assert_int_equal(got, N);
    assert_memory_equal(out, content, N);
    /* two in one group with M = 1: the decoder's error, and the repair's reason */
    frame[record_at(frame, size, 2) + 50] ^= 0x40;
    assert_int_equal(cmz_safe_decompress(d, out, N, &got, frame, size, &repaired, &err),
                     CMZ_ERR_CHECKSUM);
    assert_non_null(strstr(err.message, "repair: "));
    /* not damage: passed through */
    assert_int_equal(cmz_safe_decompress(d, out, 10, &got, frame, size, NULL, &err),
                     CMZ_ERR_DST_TOO_SMALL);
    free(out);
    free(frame);
    free(content);
    cmz_cctx_free(c);
    cmz_dctx_free(d);
}

static void write_file(const char *path, const void *data, size_t n) {
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(data, 1, n, f), n);
    fclose(f);
}

static uint8_t *read_back(const char *path, size_t *n) {
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    fseek(f, 0, SEEK_END);
    *n = (size_t)ftell(f);
    rewind(f);
    uint8_t *p = malloc(*n + 1);
    assert_int_equal(fread(p, 1, *n, f), *n);
    fclose(f);
    return p;
}

static size_t files_in(const char *dir) {
    char cmd[512];
    snprintf(cmd, sizeof cmd, "ls -A '%s' | wc -l", dir);
    FILE *p = popen(cmd, "r");
    size_t n = 0;
    assert_int_equal(fscanf(p, "%zu", &n), 1);
    pclose(p);
    return n;
}

/* In place on a file: replaced only by a whole repaired frame; else untouched, no temp file. */
static void test_repair_file(void **state) {
    (void)state;
    uint8_t *content = tu_text(N, 12);
    size_t size, got;
    uint8_t *frame = compress_with(content, N, CMZ_CODEC_LZ4, 4, 1, 1, &size);
    char *dir = tu_tempdir(), path[512];
    snprintf(path, sizeof path, "%s/f.cmz", dir);
    uint8_t *damaged = malloc(size);
    memcpy(damaged, frame, size);
    damaged[record_at(frame, size, 5) + 60] ^= 0x08;
    write_file(path, damaged, size);
    bool rewritten = false;
    cmz_frame_report *rep = NULL;
    cmz_error err;
    assert_int_equal(cmz_frame_repair_file(NULL, path, &rewritten, &rep, &err), CMZ_OK);
    assert_true(rewritten);
    assert_int_equal(rep->repaired, 1);
    cmz_frame_report_free(rep);
    uint8_t *back = read_back(path, &got);
    assert_int_equal(got, size);
    assert_memory_equal(back, frame, size);
    free(back);
    /* intact: not rewritten */
    assert_int_equal(cmz_frame_repair_file(NULL, path, &rewritten, &rep, &err), CMZ_OK);
    assert_false(rewritten);
    cmz_frame_report_free(rep);
    /* two damaged chunks in one group with M = 1: untouched */
    damaged[record_at(frame, size, 4) + 60] ^= 0x08;
    write_file(path, damaged, size);
    assert_int_equal(cmz_frame_repair_file(NULL, path, &rewritten, &rep, &err), CMZ_ERR_CORRUPT);
    assert_false(rewritten);
    assert_non_null(rep);
    cmz_frame_report_free(rep);
    back = read_back(path, &got);
    assert_memory_equal(back, damaged, size);
    free(back);
    assert_int_equal(files_in(dir), 1); /* no temp file left */
    assert_int_equal(cmz_frame_repair_file(NULL, "/nonexistent/x.cmz", NULL, &rep, &err),
                     CMZ_ERR_IO);
    assert_int_equal(cmz_frame_repair_file(NULL, NULL, NULL, &rep, &err), CMZ_ERR_INVALID_ARG);
    tu_rmtree(dir);
    free(dir);
    free(damaged);
    free(frame);
    free(content);
}

/* The check behind cmz_safe_compress: parity that does not match its group is caught even when
 * its record's CRCs are right. */
static void test_parity_verify(void **state) {
    (void)state;
    uint8_t *content = tu_mixed(N, 13);
    size_t size;
    uint8_t *frame = compress_with(content, N, TU_CODEC, 4, 2, 1, &size);
    cmz_source src;
    cmz_source_memory(&src, frame, size);
    cmz_error err;
    assert_int_equal(cmz__parity_verify(NULL, &src, &err), CMZ_OK);
    /* group 0's second parity record: one shard byte changed, CRCs made right again */
    uint64_t p0 = record_at(frame, size, 3) + record_len(frame, size, 3);
    uint64_t p1 = p0 + CMZ_CHUNK_HEADER_SIZE + tu_get_le(frame + p0 + 16, 4);
    uint32_t payload = (uint32_t)tu_get_le(frame + p1 + 16, 4);
    frame[p1 + CMZ_CHUNK_HEADER_SIZE + payload - 5] ^= 0x20;
    uint32_t crc = cmz_crc32c(0, frame + p1 + CMZ_CHUNK_HEADER_SIZE, payload);
    for (int b = 0; b < 4; b++) frame[p1 + 24 + b] = (uint8_t)(crc >> (8 * b));
    tu_fix_chunk_header_crc(frame + p1);
    assert_int_equal(cmz__parity_verify(NULL, &src, &err), CMZ_ERR_CORRUPT);
    assert_int_equal(err.offset, p1);
    assert_non_null(strstr(err.message, "parity"));
    /* a frame without parity: nothing to check */
    size_t plain_size;
    uint8_t *plain = compress_with(content, N, TU_CODEC, 0, 0, 1, &plain_size);
    cmz_source_memory(&src, plain, plain_size);
    assert_int_equal(cmz__parity_verify(NULL, &src, &err), CMZ_OK);
    free(plain);
    free(frame);
    free(content);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_roundtrip),
        cmocka_unit_test(test_stream_equals_oneshot),
        cmocka_unit_test(test_bad_parameters),
        cmocka_unit_test(test_every_bit_flip_repaired),
        cmocka_unit_test(test_zeroed_records),
        cmocka_unit_test(test_every_truncation),
        cmocka_unit_test(test_metadata_and_chunks),
        cmocka_unit_test(test_without_parity),
        cmocka_unit_test(test_errors),
        cmocka_unit_test(test_decoder_checks_parity_layout),
        cmocka_unit_test(test_safe_calls),
        cmocka_unit_test(test_repair_file),
        cmocka_unit_test(test_parity_verify),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
