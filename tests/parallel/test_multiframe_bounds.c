/* Inputs of many frames and frames whose two ends are both damaged (include/cmz/salvage.h):
 * the work and the memory of verify grow linearly with the number of frames and stay within
 * the memory limit; checking the parity of one intact frame without parity costs no report;
 * and a frame behind a damaged stretch is read on its own, never taken for chunks of the
 * frame before it (which put its bytes in the wrong place and called them intact). */
#include "testutil.h"

#include "cmz/salvage.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CS 64u

/* ---- an allocator that counts ------------------------------------------------------------- */

static size_t asked, live, peak; /* bytes: asked in all, live now, most live at once */
static size_t base;              /* live when counting started */

static void *counting_alloc(void *opaque, size_t size) {
    (void)opaque;
    size_t *p = malloc(size + sizeof(size_t) * 2);
    if (!p) return NULL;
    p[0] = size;
    asked += size;
    live += size;
    if (live > peak) peak = live;
    return p + 2;
}

static void counting_free(void *opaque, void *ptr) {
    (void)opaque;
    if (!ptr) return;
    size_t *p = (size_t *)ptr - 2;
    live -= p[0];
    free(p);
}

/* The allocator stays installed for the whole program (a block is freed by whoever made it);
 * counting starts afresh at each measure. */
static int install(void **state) {
    (void)state;
    cmz_allocator a = {counting_alloc, counting_free, NULL};
    cmz_set_allocator(&a);
    return 0;
}

static void count_from_now(void) {
    asked = 0;
    base = peak = live;
}

/* ---- inputs --------------------------------------------------------------------------------- */

static uint8_t *frame_of(int codec, size_t content, uint64_t seed, size_t *size, uint8_t **raw) {
    uint8_t *part = tu_text(content, seed);
    cmz_params p = tu_params(codec, CS, 1);
    uint8_t *frame = tu_compress(&p, part, content, size);
    if (raw) *raw = part;
    else free(part);
    return frame;
}

/* n copies of one frame of one chunk */
static uint8_t *many_frames(size_t n, size_t *size) {
    size_t one;
    uint8_t *frame = frame_of(CMZ_CODEC_NONE, 40, 3, &one, NULL);
    uint8_t *all = malloc(n * one);
    for (size_t i = 0; i < n; i++) memcpy(all + i * one, frame, one);
    free(frame);
    *size = n * one;
    return all;
}

static size_t verify_asks(size_t frames) {
    size_t size;
    uint8_t *file = many_frames(frames, &size);
    cmz_source src;
    cmz_source_memory(&src, file, size);
    cmz_frame_report *rep = NULL;
    count_from_now();
    assert_int_equal(cmz_frame_verify(NULL, &src, &rep, NULL), CMZ_OK);
    size_t total = asked;
    assert_int_equal(rep->frames, frames);
    assert_int_equal(rep->intact, frames);
    cmz_frame_report_free(rep);
    free(file);
    return total;
}

/* Twice the frames, about twice the bytes allocated (the report grew by a copy per frame). */
static void test_frames_cost_linear(void **state) {
    (void)state;
    size_t one = verify_asks(1000), two = verify_asks(2000);
    if (two > 5 * one / 2)
        fail_msg("verify of 1000 frames allocates %zu bytes, of 2000 frames %zu", one, two);
}

/* The report of every frame together is bounded by the memory limit, as one frame's is. */
static void test_frames_within_memory_limit(void **state) {
    (void)state;
    size_t size;
    uint8_t *file = many_frames(4000, &size); /* 4000 chunk reports: about 1 MB */
    cmz_source src;
    cmz_source_memory(&src, file, size);
    cmz_dparams p = cmz_dparams_default();
    p.memory_limit = 256u << 10;
    cmz_dctx *dctx = cmz_dctx_new(&p, NULL);
    assert_non_null(dctx);
    cmz_frame_report *rep = NULL;
    cmz_error err;
    count_from_now();
    cmz_status st = cmz_frame_verify(dctx, &src, &rep, &err);
    if (st == CMZ_OK)
        fail_msg("verify within a limit of 256 KiB kept %zu bytes at once", peak - base);
    assert_int_equal(st, CMZ_ERR_LIMIT);
    assert_null(rep);
    assert_non_null(strstr(err.message, "memory limit"));
    assert_true(peak - base <= p.memory_limit);
    cmz_dctx_free(dctx);
    free(file);
}

/* `cmz -t` of an intact frame without parity: the check of its parity reads the footer and
 * stops; it builds no per-chunk report. */
static void test_check_parity_of_plain_frame_is_cheap(void **state) {
    (void)state;
    size_t size;
    uint8_t *frame = frame_of(CMZ_CODEC_LZ4, 2000 * CS, 5, &size, NULL);
    cmz_source src;
    tu_source_nodata(&src, frame, size);
    cmz_error err;
    count_from_now();
    cmz_status st = cmz_frame_check_parity(NULL, &src, &err);
    assert_int_equal(st, CMZ_OK);
    if (peak - base > 4096) fail_msg("checking no parity kept %zu bytes at once", peak - base);
    free(frame);
}

/* ---- both ends of the input damaged -------------------------------------------------------- */

typedef struct {
    uint8_t *file, *content;
    size_t size, content_size;
    size_t frame_start[3], content_start[3];
} three;

static void make_three(three *t, size_t gap) {
    memset(t, 0, sizeof *t);
    const size_t sizes[3] = {3 * CS + 5, 4 * CS + 9, 2 * CS + 1};
    t->file = malloc(64 << 10);
    t->content = malloc(64 << 10);
    for (int i = 0; i < 3; i++) {
        size_t n;
        uint8_t *raw;
        uint8_t *f = frame_of(TU_CODEC, sizes[i], 11 + (uint64_t)i, &n, &raw);
        if (i == 1) { /* stray bytes before the middle frame */
            memset(t->file + t->size, 'g', gap);
            t->size += gap;
        }
        t->frame_start[i] = t->size;
        t->content_start[i] = t->content_size;
        memcpy(t->file + t->size, f, n);
        memcpy(t->content + t->content_size, raw, sizes[i]);
        t->size += n;
        t->content_size += sizes[i];
        free(f);
        free(raw);
    }
}

/* Salvage: the chunks whose records are untouched come back intact and in their place, and
 * nothing is called intact that is not; repair does not claim success. */
static void check_both_ends(three *t, const char *what) {
    cmz_source src;
    cmz_source_memory(&src, t->file, t->size);
    tu_memout mo;
    cmz_output out = tu_memout_init(&mo);
    cmz_frame_report *rep = NULL;
    cmz_error err;
    assert_int_equal(cmz_frame_salvage(NULL, &src, &out, &rep, &err), CMZ_OK);
    /* the second and third frames are whole: all their content comes back */
    size_t from = t->content_start[1];
    if (mo.size < t->content_size ||
        memcmp(mo.data + from, t->content + from, t->content_size - from) != 0)
        fail_msg("%s: the intact frames are not salvaged in place (%zu of %zu bytes): %s", what,
                 mo.size, t->content_size, rep->summary);
    uint64_t intact_bytes = 0;
    for (uint64_t i = 0; i < rep->chunk_count; i++) {
        const cmz_chunk_report *c = &rep->chunks[i];
        if (c->state != CMZ_CHUNK_INTACT) continue;
        intact_bytes += c->raw_size;
        if (memcmp(mo.data + c->content_offset, t->content + c->content_offset, c->raw_size))
            fail_msg("%s: chunk %llu of frame %llu is called intact with wrong bytes (%s)", what,
                     (unsigned long long)c->number, (unsigned long long)c->frame, rep->summary);
    }
    assert_true(rep->lost_bytes >= t->content_size - intact_bytes);
    assert_true(rep->damaged + rep->missing > 0);
    assert_int_equal(rep->frames, 3);
    cmz_frame_report_free(rep);
    tu_memout_free(&mo);
    out = tu_memout_init(&mo);
    assert_int_equal(cmz_frame_repair(NULL, &src, &out, &rep, &err), CMZ_ERR_CORRUPT);
    cmz_frame_report_free(rep);
    tu_memout_free(&mo);
}

/* The first frame's first chunk header and the last frame's footer damaged: the structure
 * holds neither from the front nor from the end. */
static void test_front_and_end_damaged(void **state) {
    (void)state;
    three t;
    make_three(&t, 0);
    t.file[CMZ_HEADER_SIZE + 5] ^= 0x5a;
    t.file[t.size - 3] ^= 0x5a;
    check_both_ends(&t, "first chunk header and last footer");
    free(t.file);
    free(t.content);
}

/* Stray bytes before the middle frame, the first chunk of the first frame damaged, the last
 * footer damaged. */
static void test_stray_and_end_damaged(void **state) {
    (void)state;
    three t;
    make_three(&t, 40);
    t.file[CMZ_HEADER_SIZE + 5] ^= 0x5a;
    t.file[t.size - 3] ^= 0x5a;
    check_both_ends(&t, "stray bytes and last footer");
    free(t.file);
    free(t.content);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_frames_cost_linear),
        cmocka_unit_test(test_frames_within_memory_limit),
        cmocka_unit_test(test_check_parity_of_plain_frame_is_cheap),
        cmocka_unit_test(test_front_and_end_damaged),
        cmocka_unit_test(test_stray_and_end_damaged),
    };
    return cmocka_run_group_tests(tests, install, NULL);
}
