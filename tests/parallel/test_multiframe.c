/* Inputs of several concatenated frames (include/cmz/salvage.h): for a byte changed at every
 * offset and a cut at every length of small two- and three-frame files, salvage returns every
 * chunk whose record is untouched, bit-exact and at its offset in the content of all frames;
 * it never reports less loss than there is; repair either gives back the input as written or
 * fails (never "repaired" while dropping a frame); and verify's verdict says whether repair
 * will work. Also: trailing bytes after whole frames, and parity that is wrong under valid
 * CRCs. */
#include "testutil.h"

#include "cmz/salvage.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CS 64u /* tiny chunks: a file of a few KB has many records */

typedef struct {
    uint64_t rec_start, rec_end, content_offset;
    uint32_t raw, frame, number;
} truth;

typedef struct {
    uint8_t *file, *content;
    size_t size, content_size;
    truth chunks[64];
    size_t n_chunks;
    uint64_t frame_start[4], frame_end[4], content_end[4];
    size_t n_frames;
} multi;

typedef struct {
    int codec;
    size_t content;
    unsigned k, m; /* parity */
} frame_spec;

static void add_frame(multi *mf, const frame_spec *fs, uint64_t seed) {
    uint8_t *part = tu_text(fs->content, seed);
    cmz_params p = tu_params(fs->codec, CS, 1);
    p.parity_k = fs->k;
    p.parity_m = fs->m;
    size_t size;
    uint8_t *frame = tu_compress(&p, part, fs->content, &size);
    uint64_t base = mf->size, content_base = mf->content_size;
    mf->file = realloc(mf->file, mf->size + size);
    memcpy(mf->file + mf->size, frame, size);
    mf->size += size;
    mf->content = realloc(mf->content, mf->content_size + fs->content + 1);
    memcpy(mf->content + mf->content_size, part, fs->content);
    mf->content_size += fs->content;
    uint64_t index_at = tu_get_le(frame + size - CMZ_FOOTER_SIZE, 8);
    uint64_t n = tu_get_le(frame + index_at + 8, 8);
    for (uint64_t i = 0; i < n; i++) {
        const uint8_t *e = frame + index_at + 16 + 16 * i;
        truth *t = &mf->chunks[mf->n_chunks++];
        assert_true(mf->n_chunks <= 64);
        t->rec_start = base + tu_get_le(e, 8);
        t->rec_end = t->rec_start + 40 + tu_get_le(e + 8, 4);
        t->raw = (uint32_t)tu_get_le(e + 12, 4);
        t->content_offset = content_base + i * CS;
        t->frame = (uint32_t)mf->n_frames;
        t->number = (uint32_t)i;
    }
    mf->frame_start[mf->n_frames] = base;
    mf->content_end[mf->n_frames] = mf->content_size;
    mf->frame_end[mf->n_frames++] = base + size;
    free(frame);
    free(part);
}

static void make_multi(multi *mf, const frame_spec *specs, size_t n) {
    memset(mf, 0, sizeof *mf);
    for (size_t i = 0; i < n; i++) add_frame(mf, &specs[i], 7 + i);
}

static void free_multi(multi *mf) {
    free(mf->file);
    free(mf->content);
}

/* The content of the frames that the first len bytes reach into: what a cut at len may be
 * said to lose at most (frames after the cut one leave no trace: a cut at a frame's end, or
 * in the tail of a frame whose records are all whole, looks like an input that ended there). */
static uint64_t content_reached(const multi *mf, size_t len) {
    size_t f = 0;
    while (f + 1 < mf->n_frames && mf->frame_end[f] < len) f++;
    return mf->content_end[f];
}

/* A prefix of whole frames at least len bytes long: what a repair of a cut input may give. */
static bool whole_frames_from(const multi *mf, size_t len, size_t size) {
    for (size_t f = 0; f < mf->n_frames; f++)
        if (mf->frame_end[f] == size && size >= len) return true;
    return false;
}

/* Salvage of buf[0..len): every chunk reported intact holds the right bytes at its offset,
 * every chunk `untouched` says is whole is reported intact, and the loss is not understated.
 * Returns verify's report of the same input (NULL when no report could be made). */
static cmz_frame_report *check_salvage(const multi *mf, const uint8_t *buf, size_t len,
                                       uint64_t changed, const char *what) {
    cmz_source src;
    cmz_source_memory(&src, buf, len);
    tu_memout mo;
    cmz_output out = tu_memout_init(&mo);
    cmz_frame_report *rep = NULL, *ver = NULL;
    cmz_error err;
    cmz_status st = cmz_frame_salvage(NULL, &src, &out, &rep, &err);
    bool whole_chunk = false;
    for (size_t i = 0; i < mf->n_chunks; i++) {
        const truth *t = &mf->chunks[i];
        bool untouched = t->rec_end <= len && (changed < t->rec_start || changed >= t->rec_end);
        whole_chunk |= untouched;
        if (st != CMZ_OK || !untouched) continue;
        bool found = false;
        for (uint64_t j = 0; j < rep->chunk_count && !found; j++) {
            const cmz_chunk_report *c = &rep->chunks[j];
            found = c->frame == t->frame && c->number == t->number &&
                    c->state == CMZ_CHUNK_INTACT && c->content_offset == t->content_offset &&
                    c->raw_size == t->raw;
        }
        if (!found)
            fail_msg("%s: frame %u chunk %u (record %llu..%llu) is untouched but not salvaged "
                     "(%s)",
                     what, t->frame, t->number, (unsigned long long)t->rec_start,
                     (unsigned long long)t->rec_end, rep->summary);
    }
    if (st != CMZ_OK) {
        if (whole_chunk) fail_msg("%s: salvage failed: %s", what, err.message);
        assert_null(rep);
        tu_memout_free(&mo);
        return NULL;
    }
    uint64_t recovered = 0;
    assert_int_equal(rep->intact + rep->damaged + rep->missing, rep->chunk_count);
    for (uint64_t j = 0; j < rep->chunk_count; j++) {
        const cmz_chunk_report *c = &rep->chunks[j];
        assert_true(c->content_offset + c->raw_size <= mo.size);
        if (c->state != CMZ_CHUNK_INTACT) continue;
        assert_true(c->content_offset + c->raw_size <= mf->content_size);
        if (memcmp(mo.data + c->content_offset, mf->content + c->content_offset, c->raw_size))
            fail_msg("%s: chunk %llu of frame %llu is salvaged with wrong bytes", what,
                     (unsigned long long)c->number, (unsigned long long)c->frame);
        recovered += c->raw_size;
    }
    bool certain = rep->content_size_known && rep->stray_bytes == 0;
    uint64_t there = changed == UINT64_MAX ? content_reached(mf, len) : mf->content_size;
    if (certain && recovered < there && rep->lost_bytes < there - recovered)
        fail_msg("%s: %llu bytes lost but %llu reported (%s)", what,
                 (unsigned long long)(there - recovered), (unsigned long long)rep->lost_bytes,
                 rep->summary);
    assert_int_equal(cmz_frame_verify(NULL, &src, &ver, &err), CMZ_OK);
    assert_int_equal(ver->intact, rep->intact);
    cmz_frame_report_free(rep);
    tu_memout_free(&mo);
    return ver;
}

/* Repair of buf[0..len): the input as written, or a failure; verify's verdict foretold it. */
static void check_repair(const multi *mf, const uint8_t *buf, size_t len, uint64_t changed,
                         const cmz_frame_report *ver, const char *what) {
    cmz_source src;
    cmz_source_memory(&src, buf, len);
    tu_memout mo;
    cmz_output out = tu_memout_init(&mo);
    cmz_frame_report *rep = NULL;
    cmz_error err;
    cmz_status st = cmz_frame_repair(NULL, &src, &out, &rep, &err);
    if (st == CMZ_OK) {
        /* a cut: the frames it reaches, whole */
        bool right =
            changed == UINT64_MAX ? whole_frames_from(mf, len, mo.size) : mo.size == mf->size;
        if (!right || memcmp(mo.data, mf->file, mo.size) != 0)
            fail_msg("%s: repair says repaired, but wrote %zu bytes that are not the input "
                     "as written",
                     what, mo.size);
    } else {
        assert_true(strlen(err.message) > 0);
    }
    if (ver) {
        bool foretold = ver->damaged + ver->missing == ver->repairable && ver->content_size_known &&
                        ver->stray_bytes == 0;
        if (foretold != (st == CMZ_OK))
            fail_msg("%s: verify says repair %s (%s), repair %s: %s", what,
                     foretold ? "works" : "fails", ver->summary, st == CMZ_OK ? "works" : "fails",
                     st == CMZ_OK ? "" : err.message);
    }
    cmz_frame_report_free(rep);
    tu_memout_free(&mo);
}

static void sweep(const frame_spec *specs, size_t n) {
    multi mf;
    make_multi(&mf, specs, n);
    uint8_t *copy = malloc(mf.size);
    char what[96];
    for (size_t at = 0; at < mf.size; at++) {
        memcpy(copy, mf.file, mf.size);
        copy[at] ^= 0x5a;
        snprintf(what, sizeof what, "%zu frames, byte %zu of %zu changed", n, at, mf.size);
        cmz_frame_report *ver = check_salvage(&mf, copy, mf.size, at, what);
        check_repair(&mf, copy, mf.size, at, ver, what);
        cmz_frame_report_free(ver);
    }
    for (size_t len = 0; len <= mf.size; len++) {
        snprintf(what, sizeof what, "%zu frames, cut to %zu of %zu bytes", n, len, mf.size);
        cmz_frame_report *ver = check_salvage(&mf, mf.file, len, UINT64_MAX, what);
        check_repair(&mf, mf.file, len, UINT64_MAX, ver, what);
        cmz_frame_report_free(ver);
    }
    free(copy);
    free_multi(&mf);
}

static void test_two_frames(void **state) {
    (void)state;
    /* the first frame's last chunk short, the second's full: its end says nothing of it */
    const frame_spec specs[] = {{CMZ_CODEC_LZ4, 3 * CS + 20, 0, 0}, {TU_CODEC, 4 * CS, 0, 0}};
    sweep(specs, 2);
}

static void test_three_frames(void **state) {
    (void)state;
    const frame_spec specs[] = {{CMZ_CODEC_LZ4, 2 * CS + 10, 0, 0},
                                {CMZ_CODEC_LZ4, 5 * CS, 2, 1}, /* parity, a short group */
                                {CMZ_CODEC_NONE, CS + 7, 0, 0}};
    sweep(specs, 3);
}

/* The case: the last frame's end magic changed. Every chunk is intact, the advice is
 * a repair, and the repair writes both frames back. */
static void test_end_magic(void **state) {
    (void)state;
    const frame_spec specs[] = {{TU_CODEC, 6 * CS + 3, 0, 0}, {TU_CODEC, 5 * CS + 9, 0, 0}};
    multi mf;
    make_multi(&mf, specs, 2);
    mf.file[mf.size - 1] ^= 1;
    cmz_source src;
    cmz_source_memory(&src, mf.file, mf.size);
    cmz_frame_report *rep = NULL;
    assert_int_equal(cmz_frame_verify(NULL, &src, &rep, NULL), CMZ_OK);
    assert_int_equal(rep->frames, 2);
    assert_int_equal(rep->chunk_count, mf.n_chunks);
    assert_int_equal(rep->intact, mf.n_chunks);
    assert_int_equal(rep->info.content_size, mf.content_size);
    assert_false(rep->footer_ok);
    cmz_frame_report_free(rep);
    tu_memout mo;
    cmz_output out = tu_memout_init(&mo);
    assert_int_equal(cmz_frame_repair(NULL, &src, &out, &rep, NULL), CMZ_OK);
    mf.file[mf.size - 1] ^= 1;
    assert_int_equal(mo.size, mf.size);
    assert_memory_equal(mo.data, mf.file, mf.size);
    cmz_frame_report_free(rep);
    tu_memout_free(&mo);
    free_multi(&mf);
}

/* A whole frame and 8 bytes after it: the header, index and footer are intact; the report
 * names the stray bytes and where they start. */
static void test_trailing_bytes(void **state) {
    (void)state;
    const frame_spec specs[] = {{CMZ_CODEC_LZ4, 3 * CS + 1, 0, 0}};
    multi mf;
    make_multi(&mf, specs, 1);
    mf.file = realloc(mf.file, mf.size + 8);
    memcpy(mf.file + mf.size, "garbage!", 8);
    cmz_source src;
    cmz_source_memory(&src, mf.file, mf.size + 8);
    cmz_frame_report *rep = NULL;
    assert_int_equal(cmz_frame_verify(NULL, &src, &rep, NULL), CMZ_OK);
    assert_true(rep->header_ok && rep->footer_ok && rep->index_ok);
    assert_int_equal(rep->frames, 1);
    assert_int_equal(rep->intact, mf.n_chunks);
    assert_int_equal(rep->stray_bytes, 8);
    assert_int_equal(rep->stray_offset, mf.size);
    assert_null(strstr(rep->summary, "damaged;"));
    assert_non_null(strstr(rep->summary, "8 bytes at offset"));
    cmz_frame_report_free(rep);
    /* repair would drop them: refused */
    tu_memout mo;
    cmz_output out = tu_memout_init(&mo);
    cmz_error err;
    assert_int_equal(cmz_frame_repair(NULL, &src, &out, &rep, &err), CMZ_ERR_CORRUPT);
    assert_non_null(strstr(err.message, "not part of any frame"));
    cmz_frame_report_free(rep);
    tu_memout_free(&mo);
    free_multi(&mf);
}

/* Parity whose CRCs hold but whose shard is wrong: cmz_frame_check_parity finds it, verify
 * counts it, repair writes it afresh; with a data chunk damaged in that group, verify does not
 * call the chunk repairable (repair could not rebuild it). */
static void test_wrong_parity(void **state) {
    (void)state;
    const frame_spec specs[] = {{CMZ_CODEC_LZ4, 4 * CS, 2, 1}};
    multi mf;
    make_multi(&mf, specs, 1);
    /* group 0's parity record follows data records 0 and 1 */
    uint64_t par = mf.chunks[1].rec_end;
    uint32_t payload = (uint32_t)tu_get_le(mf.file + par + 16, 4);
    uint8_t *shard_byte = mf.file + par + 40 + payload - 1;
    *shard_byte ^= 0x40;
    tu_put_le(mf.file + par + 24, 0, 4);
    /* payload CRC, then the header CRC over it */
    uint32_t crc = cmz_crc32c(0, mf.file + par + 40, payload);
    tu_put_le(mf.file + par + 24, crc, 4);
    tu_fix_chunk_header_crc(mf.file + par);
    cmz_source src;
    cmz_source_memory(&src, mf.file, mf.size);
    cmz_error err;
    assert_int_equal(cmz_frame_check_parity(NULL, &src, &err), CMZ_ERR_CORRUPT);
    assert_non_null(strstr(err.message, "parity"));
    cmz_frame_report *rep = NULL;
    assert_int_equal(cmz_frame_verify(NULL, &src, &rep, NULL), CMZ_OK);
    assert_int_equal(rep->parity_damaged, 1);
    assert_int_equal(rep->intact, mf.n_chunks);
    cmz_frame_report_free(rep);
    tu_memout mo;
    cmz_output out = tu_memout_init(&mo);
    assert_int_equal(cmz_frame_repair(NULL, &src, &out, &rep, NULL), CMZ_OK);
    cmz_frame_report_free(rep);
    cmz_source fixed;
    cmz_source_memory(&fixed, mo.data, mo.size);
    assert_int_equal(cmz_frame_check_parity(NULL, &fixed, &err), CMZ_OK);
    tu_memout_free(&mo);
    /* and a damaged data chunk in that group: parity cannot rebuild it */
    mf.file[mf.chunks[0].rec_start + 45] ^= 1;
    assert_int_equal(cmz_frame_verify(NULL, &src, &rep, NULL), CMZ_OK);
    assert_int_equal(rep->damaged, 1);
    assert_int_equal(rep->repairable, 0);
    assert_false(rep->chunks[0].repairable);
    cmz_frame_report_free(rep);
    out = tu_memout_init(&mo);
    assert_int_equal(cmz_frame_repair(NULL, &src, &out, &rep, NULL), CMZ_ERR_CORRUPT);
    cmz_frame_report_free(rep);
    tu_memout_free(&mo);
    free_multi(&mf);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_end_magic),    cmocka_unit_test(test_trailing_bytes),
        cmocka_unit_test(test_wrong_parity), cmocka_unit_test(test_two_frames),
        cmocka_unit_test(test_three_frames),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
