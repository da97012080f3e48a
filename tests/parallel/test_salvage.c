/* Damaged frames (include/cmz/salvage.h): verify names exactly the chunks that damage hit, and
 * salvage gives back every other chunk bit-exact, for every single-bit flip and every
 * truncation of a small multi-chunk frame, zeroed records, a damaged header, index or footer;
 * and the error paths. */
#include "testutil.h"

#include "cmz/salvage.h"

#include <signal.h>
#include <stdlib.h>
#include <string.h>

#define CS 1024u         /* chunk size */
#define N (8 * CS + 300) /* 9 chunks, the last one short */

typedef struct {
    uint8_t *content, *frame;
    size_t size;
    uint64_t *record_at; /* each chunk's record offset */
    uint64_t chunks, index_at;
} subject;

static void make_subject(subject *s, int codec) {
    s->content = tu_text(N, 3);
    cmz_params p = tu_params(codec, CS, 2);
    s->frame = tu_compress(&p, s->content, N, &s->size);
    cmz_source src;
    cmz_source_memory(&src, s->frame, s->size);
    cmz_frame_info info;
    assert_int_equal(cmz_frame_info_read(&src, &info, NULL), CMZ_OK);
    s->chunks = info.chunk_count;
    s->index_at = tu_get_le(s->frame + s->size - CMZ_FOOTER_SIZE, 8);
    s->record_at = malloc((size_t)s->chunks * sizeof *s->record_at);
    for (uint64_t i = 0; i < s->chunks; i++)
        s->record_at[i] = tu_get_le(s->frame + s->index_at + 16 + 16 * i, 8);
}

static void free_subject(subject *s) {
    free(s->content);
    free(s->frame);
    free(s->record_at);
}

/* The chunk whose record holds byte `at`, or -1 (header, index, footer). */
static int64_t chunk_at(const subject *s, uint64_t at) {
    for (uint64_t i = 0; i < s->chunks; i++) {
        uint64_t end = i + 1 < s->chunks ? s->record_at[i + 1] : s->index_at;
        if (at >= s->record_at[i] && at < end) return (int64_t)i;
    }
    return -1;
}

/* Salvages frame[0..size) and checks: every intact chunk's bytes equal the original, every
 * other chunk's bytes are zeros, and the report adds up. Returns the report (caller frees). */
static cmz_frame_report *salvage_checked(const subject *s, const uint8_t *frame, size_t size) {
    cmz_source src;
    cmz_source_memory(&src, frame, size);
    tu_memout mo;
    cmz_output out = tu_memout_init(&mo);
    cmz_frame_report *rep = NULL;
    cmz_error err;
    cmz_status st = cmz_frame_salvage(NULL, &src, &out, &rep, &err);
    if (st != CMZ_OK) {
        tu_memout_free(&mo);
        assert_true(strlen(err.message) > 0);
        return NULL;
    }
    assert_int_equal(rep->intact + rep->damaged + rep->missing, rep->chunk_count);
    uint64_t lost = 0, written = 0;
    for (uint64_t i = 0; i < rep->chunk_count; i++) {
        const cmz_chunk_report *c = &rep->chunks[i];
        assert_int_equal(c->number, i);
        assert_true(c->content_offset + c->raw_size <= mo.size);
        if (c->state == CMZ_CHUNK_INTACT) {
            assert_true(c->content_offset + c->raw_size <= N);
            assert_memory_equal(mo.data + c->content_offset, s->content + c->content_offset,
                                c->raw_size);
        } else {
            lost += c->raw_size;
            assert_true(strlen(c->message) > 0);
            for (uint32_t k = 0; k < c->raw_size; k++)
                assert_int_equal(mo.data[c->content_offset + k], 0);
        }
        written += c->raw_size;
    }
    assert_int_equal(lost, rep->lost_bytes);
    assert_int_equal(written, mo.size);
    tu_memout_free(&mo);
    return rep;
}

static void test_intact(void **state) {
    (void)state;
    subject s;
    make_subject(&s, CMZ_CODEC_LZ4);
    cmz_frame_report *rep = salvage_checked(&s, s.frame, s.size);
    assert_non_null(rep);
    assert_true(rep->header_ok && rep->footer_ok && rep->index_ok && rep->content_size_known);
    assert_int_equal(rep->chunk_count, 9);
    assert_int_equal(rep->intact, 9);
    assert_int_equal(rep->info.content_size, N);
    assert_int_equal(rep->lost_bytes, 0);
    assert_non_null(strstr(rep->summary, "9 of 9 chunks intact"));
    cmz_frame_report_free(rep);
    /* verify gives the same report without output */
    cmz_source src;
    cmz_source_memory(&src, s.frame, s.size);
    assert_int_equal(cmz_frame_verify(NULL, &src, &rep, NULL), CMZ_OK);
    assert_int_equal(rep->intact, 9);
    cmz_frame_report_free(rep);
    free_subject(&s);
}

/* Every single-bit flip: the chunk it hits (and only that one) is reported; the rest is
 * salvaged bit-exact; a flip in the header, index or footer loses nothing. */
static void flips(int codec) {
    subject s;
    make_subject(&s, codec);
    uint8_t *c = malloc(s.size);
    memcpy(c, s.frame, s.size);
    for (size_t bit = 0; bit < 8 * s.size; bit++) {
        size_t byte = bit / 8;
        c[byte] ^= (uint8_t)(1u << (bit % 8));
        cmz_frame_report *rep = salvage_checked(&s, c, s.size);
        if (!rep) fail_msg("bit %zu (byte %zu): no report", bit, byte);
        int64_t hit = chunk_at(&s, byte);
        if (hit >= 0) {
            if (rep->intact != s.chunks - 1 || rep->chunks[hit].state == CMZ_CHUNK_INTACT)
                fail_msg("bit %zu in chunk %lld: %s", bit, (long long)hit, rep->summary);
        } else { /* the last chunk is short: its header gives the content size without the footer */
            if (rep->intact != s.chunks || rep->chunk_count != s.chunks || !rep->content_size_known)
                fail_msg("bit %zu (byte %zu, outside the chunks): %s", bit, byte, rep->summary);
            if (byte < CMZ_HEADER_SIZE) assert_false(rep->header_ok);
            else if (byte >= s.size - CMZ_FOOTER_SIZE) assert_false(rep->footer_ok);
            else assert_false(rep->index_ok);
        }
        cmz_frame_report_free(rep);
        c[byte] ^= (uint8_t)(1u << (bit % 8));
    }
    free(c);
    free_subject(&s);
}
static void test_flips_lz4(void **state) {
    (void)state;
    flips(CMZ_CODEC_LZ4);
}
static void test_flips_zstd(void **state) {
    (void)state;
    flips(TU_CODEC);
}

/* Every truncation: each chunk whose record is wholly kept is salvaged. */
static void test_truncations(void **state) {
    (void)state;
    subject s;
    make_subject(&s, CMZ_CODEC_LZ4);
    for (size_t len = 0; len < s.size; len++) {
        cmz_frame_report *rep = salvage_checked(&s, s.frame, len);
        if (len < CMZ_HEADER_SIZE) {
            assert_null(rep);
            continue;
        }
        assert_non_null(rep);
        assert_false(rep->footer_ok);
        uint64_t whole = 0; /* records wholly inside [0, len) */
        for (uint64_t i = 0; i < s.chunks; i++) {
            uint64_t end = i + 1 < s.chunks ? s.record_at[i + 1] : s.index_at;
            if (end <= len) whole++;
        }
        assert_int_equal(rep->intact, whole);
        /* the chunks found: the whole ones, and one cut inside its payload */
        assert_true(rep->chunk_count == whole || rep->chunk_count == whole + 1);
        /* the last chunk is short, so its header alone gives the content size */
        uint64_t last = s.record_at[s.chunks - 1];
        assert_int_equal(rep->content_size_known, len >= last + CMZ_CHUNK_HEADER_SIZE);
        cmz_frame_report_free(rep);
    }
    free_subject(&s);
}

/* Zeroed records (a lost disk block): reported missing, the rest intact. */
static void test_zeroed(void **state) {
    (void)state;
    subject s;
    make_subject(&s, TU_CODEC);
    uint8_t *c = malloc(s.size);
    memcpy(c, s.frame, s.size);
    memset(c + s.record_at[2], 0, (size_t)(s.record_at[4] - s.record_at[2])); /* chunks 2 and 3 */
    cmz_frame_report *rep = salvage_checked(&s, c, s.size);
    assert_non_null(rep);
    assert_int_equal(rep->intact, s.chunks - 2);
    assert_int_not_equal(rep->chunks[2].state, CMZ_CHUNK_INTACT);
    assert_int_not_equal(rep->chunks[3].state, CMZ_CHUNK_INTACT);
    assert_int_equal(rep->lost_bytes, 2 * CS);
    cmz_frame_report_free(rep);
    /* and with the index gone too: found by scanning, chunks 2 and 3 missing */
    memset(c + s.index_at, 0, 20);
    rep = salvage_checked(&s, c, s.size);
    assert_non_null(rep);
    assert_false(rep->index_ok);
    /* chunk 2 starts where chunk 1 ends: damaged at that offset; chunk 3's start is unknown */
    assert_int_equal(rep->chunks[2].state, CMZ_CHUNK_DAMAGED);
    assert_int_equal(rep->chunks[2].record_offset, s.record_at[2]);
    assert_int_equal(rep->chunks[3].state, CMZ_CHUNK_MISSING);
    assert_int_equal(rep->intact, s.chunks - 2);
    cmz_frame_report_free(rep);
    free(c);
    free_subject(&s);
}

static int failing_write(void *opaque, const void *buf, size_t n) {
    (void)opaque, (void)buf, (void)n;
    return -1;
}

static void test_errors(void **state) {
    (void)state;
    subject s;
    make_subject(&s, CMZ_CODEC_LZ4);
    cmz_source src;
    cmz_frame_report *rep = NULL;
    cmz_error err;
    /* header and footer both damaged: the parameters are lost */
    uint8_t *c = malloc(s.size);
    memcpy(c, s.frame, s.size);
    c[20] ^= 1;
    c[s.size - 10] ^= 1;
    cmz_source_memory(&src, c, s.size);
    assert_int_equal(cmz_frame_verify(NULL, &src, &rep, &err), CMZ_ERR_CORRUPT);
    assert_null(rep);
    assert_non_null(strstr(err.message, "neither"));
    /* output refused */
    cmz_source_memory(&src, s.frame, s.size);
    cmz_output bad = {failing_write, NULL};
    assert_int_equal(cmz_frame_salvage(NULL, &src, &bad, &rep, &err), CMZ_ERR_IO);
    assert_null(rep);
    /* a chunk size over the memory limit */
    cmz_dparams p = cmz_dparams_default();
    p.memory_limit = CS; /* two chunks do not fit */
    cmz_dctx *dctx = cmz_dctx_new(&p, NULL);
    assert_non_null(dctx);
    assert_int_equal(cmz_frame_verify(dctx, &src, &rep, &err), CMZ_ERR_LIMIT);
    cmz_dctx_free(dctx);
    /* arguments */
    assert_int_equal(cmz_frame_verify(NULL, NULL, &rep, &err), CMZ_ERR_INVALID_ARG);
    assert_int_equal(cmz_frame_verify(NULL, &src, NULL, &err), CMZ_ERR_INVALID_ARG);
    assert_int_equal(cmz_frame_salvage(NULL, &src, NULL, &rep, &err), CMZ_ERR_INVALID_ARG);
    assert_string_equal(cmz_chunk_state_name(CMZ_CHUNK_MISSING), "missing");
    assert_string_equal(cmz_chunk_state_name((cmz_chunk_state)9), "unknown");
    cmz_frame_report_free(NULL);
    free(c);
    free_subject(&s);
}

/* A source whose bytes [bad, bad + 512) cannot be read (a bad sector). */
typedef struct {
    const uint8_t *data;
    uint64_t bad;
} bad_sector;
static int64_t bad_pread(const cmz_source *src, void *buf, size_t n, uint64_t offset) {
    const bad_sector *b = src->opaque;
    if (offset >= src->size) return 0;
    if (n > src->size - offset) n = (size_t)(src->size - offset);
    if (offset < b->bad + 512 && offset + n > b->bad) return -1;
    memcpy(buf, b->data + offset, n);
    return (int64_t)n;
}

/* An unreadable sector costs the chunk it is in, not the scan: with the footer damaged too,
 * every other chunk is still found and salvaged. */
static void test_io_error(void **state) {
    (void)state;
    subject s;
    make_subject(&s, CMZ_CODEC_LZ4);
    uint8_t *c = malloc(s.size);
    memcpy(c, s.frame, s.size);
    c[s.size - 10] ^= 1; /* footer damaged: the chunks are found by scanning */
    bad_sector b = {c, s.record_at[2] + 60};
    cmz_source src = {bad_pread, s.size, NULL, &b, -1};
    cmz_frame_report *rep = NULL;
    assert_int_equal(cmz_frame_verify(NULL, &src, &rep, NULL), CMZ_OK);
    /* the chunks before and well after the bad sector survive (the ones it touches, and the
     * one whose header shares a 512-byte read with it, may not) */
    assert_int_not_equal(rep->chunks[2].state, CMZ_CHUNK_INTACT);
    assert_true(rep->intact >= s.chunks - 3);
    assert_int_equal(rep->chunks[0].state, CMZ_CHUNK_INTACT);
    assert_int_equal(rep->chunks[1].state, CMZ_CHUNK_INTACT);
    assert_int_equal(rep->chunks[s.chunks - 1].state, CMZ_CHUNK_INTACT);
    assert_non_null(strstr(rep->summary, "I/O"));
    cmz_frame_report_free(rep);
    free(c);
    free_subject(&s);
}

/* A .cmz stored inside a chunk of a .cmz: with that chunk's header and the index damaged, the
 * inner frame's records are not taken for the outer one's (the footer gives the index offset,
 * and records must chain from the header to it). */
static void test_nested_frame(void **state) {
    (void)state;
    /* inner: incompressible, so that the outer frame stores its chunks as they are */
    uint8_t *rnd = tu_random(3 * CS, 21);
    cmz_params ip = tu_params(CMZ_CODEC_NONE, CS / 2, 1);
    size_t inner_size;
    uint8_t *inner = tu_compress(&ip, rnd, 3 * CS, &inner_size);
    size_t content_size = 4 * CS + inner_size;
    uint8_t *content = calloc(1, content_size);
    memcpy(content, rnd, CS);                /* random, then the inner frame from CS on: */
    memcpy(content + CS, inner, inner_size); /* outer chunks 0 and 1 hold its records */
    cmz_params p = tu_params(CMZ_CODEC_NONE, 2 * CS, 1);
    size_t size;
    uint8_t *frame = tu_compress(&p, content, content_size, &size);
    cmz_source src;
    cmz_source_memory(&src, frame, size);
    cmz_frame_info info;
    assert_int_equal(cmz_frame_info_read(&src, &info, NULL), CMZ_OK);
    uint64_t index_at = tu_get_le(frame + size - CMZ_FOOTER_SIZE, 8);
    uint64_t r1 = tu_get_le(frame + index_at + 16 + 16, 8);
    frame[r1 + 12] ^= 1;       /* chunk 1's header */
    frame[index_at + 20] ^= 1; /* the index */
    cmz_frame_report *rep = NULL;
    assert_int_equal(cmz_frame_verify(NULL, &src, &rep, NULL), CMZ_OK);
    assert_false(rep->index_ok);
    assert_int_equal(rep->chunk_count, info.chunk_count);
    assert_int_equal(rep->chunks[1].state, CMZ_CHUNK_DAMAGED);
    assert_int_equal(rep->chunks[1].record_offset, r1);
    assert_int_equal(rep->intact, info.chunk_count - 1);
    cmz_frame_report_free(rep);
    free(frame);
    free(content);
    free(inner);
    free(rnd);
}

/* Several frames in one input: read in turn (tests/parallel/test_multiframe.c sweeps them).
 * An interrupt stops the work. */
static void test_multi_frame_and_interrupt(void **state) {
    (void)state;
    subject s;
    make_subject(&s, CMZ_CODEC_LZ4);
    uint8_t *two = malloc(2 * s.size);
    memcpy(two, s.frame, s.size);
    memcpy(two + s.size, s.frame, s.size);
    cmz_source src;
    cmz_source_memory(&src, two, 2 * s.size);
    cmz_frame_report *rep = NULL;
    cmz_error err;
    assert_int_equal(cmz_frame_verify(NULL, &src, &rep, &err), CMZ_OK);
    assert_int_equal(rep->frames, 2);
    assert_int_equal(rep->intact, 2 * s.chunks);
    assert_int_equal(rep->chunks[s.chunks].frame, 1);
    assert_int_equal(rep->chunks[s.chunks].number, 0);
    assert_int_equal(rep->chunks[s.chunks].content_offset, N);
    assert_int_equal(rep->chunks[s.chunks].record_offset, s.size + s.record_at[0]);
    cmz_frame_report_free(rep);
    static volatile sig_atomic_t stop = 1;
    cmz_params p = cmz_params_default();
    p.interrupt = &stop;
    cmz_dctx *dctx = tu_dctx_new(&p, NULL);
    cmz_source_memory(&src, s.frame, s.size);
    assert_int_equal(cmz_frame_verify(dctx, &src, &rep, &err), CMZ_ERR_INTERRUPTED);
    assert_null(rep);
    cmz_dctx_free(dctx);
    free(two);
    free_subject(&s);
}

/* An empty frame: no chunks, nothing lost. */
static void test_empty(void **state) {
    (void)state;
    cmz_params p = tu_params(TU_CODEC, CS, 1);
    size_t size;
    uint8_t *frame = tu_compress(&p, "", 0, &size);
    cmz_source src;
    cmz_source_memory(&src, frame, size);
    cmz_frame_report *rep = NULL;
    assert_int_equal(cmz_frame_verify(NULL, &src, &rep, NULL), CMZ_OK);
    assert_int_equal(rep->chunk_count, 0);
    assert_int_equal(rep->info.content_size, 0);
    cmz_frame_report_free(rep);
    free(frame);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_intact),
        cmocka_unit_test(test_flips_lz4),
        cmocka_unit_test(test_flips_zstd),
        cmocka_unit_test(test_truncations),
        cmocka_unit_test(test_zeroed),
        cmocka_unit_test(test_errors),
        cmocka_unit_test(test_empty),
        cmocka_unit_test(test_io_error),
        cmocka_unit_test(test_multi_frame_and_interrupt),
        cmocka_unit_test(test_nested_frame),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
