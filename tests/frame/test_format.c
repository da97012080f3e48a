/* The .cmz container (docs/FORMAT.md): CRC32C, cmz_frame_info_read on good frames, and every
 * way a header, footer, index or chunk header can be wrong, each with the exact status the
 * reader must give. Where a field sits behind a CRC, the test patches the field and then
 * recomputes the CRC, so that it reaches the check behind it. */
#include "testutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define CS 1000u
/* text 3000 | zeros 2000 | random 2000 | text 1500: chunks 0-2 and 7-8 compressed, 3-4 zeros,
 * 5-6 stored (the last one 500 bytes). */
#define CONTENT (3000 + 2000 + 2000 + 1500)
#define NCHUNKS 9

typedef struct {
    uint8_t *content;
    uint8_t *frame;
    size_t size;
} fixture;

static int setup(void **state) {
    fixture *f = calloc(1, sizeof *f);
    f->content = malloc(CONTENT);
    uint8_t *t = tu_text(3000 + 1500, 1), *r = tu_random(2000, 2);
    memcpy(f->content, t, 3000);
    memset(f->content + 3000, 0, 2000);
    memcpy(f->content + 5000, r, 2000);
    memcpy(f->content + 7000, t + 3000, 1500);
    free(t);
    free(r);
    cmz_params p = tu_params(TU_CODEC, CS, 2);
    p.level = 5;
    f->frame = tu_compress(&p, f->content, CONTENT, &f->size);
    *state = f;
    return 0;
}

static int teardown(void **state) {
    fixture *f = *state;
    free(f->content);
    free(f->frame);
    free(f);
    return 0;
}

/* A private copy of the fixture's frame to patch. */
static uint8_t *copy(const fixture *f) {
    uint8_t *c = malloc(f->size);
    memcpy(c, f->frame, f->size);
    return c;
}

static size_t footer_at(const fixture *f) { return f->size - CMZ_FOOTER_SIZE; }
static size_t index_at(const fixture *f) { return (size_t)tu_get_le(f->frame + footer_at(f), 8); }
static size_t entry_at(const fixture *f, unsigned i) {
    return index_at(f) + 16 + CMZ_INDEX_ENTRY_SIZE * i;
}
static size_t record_at(const fixture *f, unsigned i) {
    return (size_t)tu_get_le(f->frame + entry_at(f, i), 8);
}

/* cmz_frame_info_read must fail with `want`, fill err consistently, and say why. */
static cmz_error expect_info(const uint8_t *data, size_t n, cmz_status want) {
    cmz_source src;
    cmz_source_memory(&src, data, n);
    cmz_frame_info info;
    cmz_error err;
    cmz_error_clear(&err);
    cmz_status st = cmz_frame_info_read(&src, &info, &err);
    if (st != want)
        fail_msg("expected %s, got %s (%s)", cmz_status_name(want), cmz_status_name(st),
                 err.message);
    if (want != CMZ_OK) {
        assert_int_equal(err.status, want);
        assert_true(strlen(err.message) > 0);
    }
    return err;
}

/* ---- CRC32C ----------------------------------------------------------------------------- */

static void test_crc32c_vectors(void **state) {
    (void)state;
    assert_int_equal(cmz_crc32c(0, "123456789", 9), 0xE3069283u);
    assert_int_equal(cmz_crc32c(0, "", 0), 0);
    assert_int_equal(cmz_crc32c(0x12345678u, "", 0), 0x12345678u);
    /* RFC 3720 B.4 vectors: 32 bytes of zeros, of 0xFF. */
    uint8_t buf[32];
    memset(buf, 0, sizeof buf);
    assert_int_equal(cmz_crc32c(0, buf, 32), 0x8A9136AAu);
    memset(buf, 0xFF, sizeof buf);
    assert_int_equal(cmz_crc32c(0, buf, 32), 0x62A8AB43u);
    for (int i = 0; i < 32; i++) buf[i] = (uint8_t)i;
    assert_int_equal(cmz_crc32c(0, buf, 32), 0x46DD794Eu);
    /* One call equals any split into two or many calls. */
    size_t n = 10007;
    uint8_t *data = tu_random(n, 3);
    uint32_t whole = cmz_crc32c(0, data, n);
    for (size_t cut = 0; cut <= n; cut += 997)
        assert_int_equal(cmz_crc32c(cmz_crc32c(0, data, cut), data + cut, n - cut), whole);
    uint32_t crc = 0;
    for (size_t i = 0; i < n; i += 13) crc = cmz_crc32c(crc, data + i, i + 13 < n ? 13 : n - i);
    assert_int_equal(crc, whole);
    /* Unaligned starts give the same value as aligned copies. */
    for (size_t off = 1; off < 8; off++) {
        uint8_t *c = malloc(n);
        memcpy(c, data + off, n - off);
        assert_int_equal(cmz_crc32c(0, data + off, n - off), cmz_crc32c(0, c, n - off));
        free(c);
    }
    free(data);
}

/* ---- good frames ------------------------------------------------------------------------ */

static void check_good_info(const fixture *f, const cmz_frame_info *info) {
    assert_int_equal(info->version, 1);
    assert_int_equal(info->flags, 0);
    assert_int_equal(info->codec, TU_CODEC);
    assert_int_equal(info->level, 5);
    assert_int_equal(info->filter, 0);
    assert_int_equal(info->typesize, 1);
    assert_int_equal(info->chunk_size, CS);
    assert_int_equal(info->parity_k, 0);
    assert_int_equal(info->parity_m, 0);
    assert_int_equal(info->content_size, CONTENT);
    assert_int_equal(info->chunk_count, NCHUNKS);
    assert_int_equal(info->frame_size, f->size);
    assert_int_equal(info->zero_chunks, 2);
    assert_int_equal(info->stored_chunks, 2);
    /* Frame size = header + records + index + footer (FORMAT.md). */
    assert_int_equal(info->frame_size, CMZ_HEADER_SIZE + NCHUNKS * CMZ_CHUNK_HEADER_SIZE +
                                           info->payload_bytes + CMZ_INDEX_FIXED_SIZE +
                                           NCHUNKS * CMZ_INDEX_ENTRY_SIZE + CMZ_FOOTER_SIZE);
}

static void test_info_good(void **state) {
    fixture *f = *state;
    cmz_source src;
    cmz_source_memory(&src, f->frame, f->size);
    cmz_frame_info info;
    cmz_error err;
    cmz_error_clear(&err);
    assert_int_equal(cmz_frame_info_read(&src, &info, &err), CMZ_OK);
    check_good_info(f, &info);
    assert_int_equal(err.status, CMZ_OK); /* untouched on success */
    /* The encodings the fixture was built to have. */
    static const int want[NCHUNKS] = {0, 0, 0, 2, 2, 1, 1, 0, 0};
    for (unsigned i = 0; i < NCHUNKS; i++) {
        const uint8_t *rec = f->frame + record_at(f, i);
        assert_memory_equal(rec, "CMZc", 4);
        assert_int_equal(rec[5], want[i]);
        assert_int_equal(tu_get_le(rec + 8, 8), i);
    }
    assert_memory_equal(f->frame,
                        "\x89"
                        "CMZ\r\n\x1a\n",
                        8);
    assert_memory_equal(f->frame + f->size - 4,
                        "\x8a"
                        "cmz",
                        4);

    /* The same through a file descriptor. */
    char *dir = tu_tempdir();
    char path[4200];
    snprintf(path, sizeof path, "%s/f.cmz", dir);
    FILE *fp = fopen(path, "wb");
    assert_non_null(fp);
    assert_int_equal(fwrite(f->frame, 1, f->size, fp), f->size);
    fclose(fp);
    FILE *rp = fopen(path, "rb");
    assert_int_equal(cmz_source_fd(&src, fileno(rp), &err), CMZ_OK);
    memset(&info, 0, sizeof info);
    assert_int_equal(cmz_frame_info_read(&src, &info, &err), CMZ_OK);
    check_good_info(f, &info);
    fclose(rp);
    tu_rmtree(dir);
    free(dir);
}

static void test_info_empty_frame(void **state) {
    (void)state;
    cmz_params p = tu_params(CMZ_CODEC_NONE, 16, 1);
    size_t n;
    uint8_t *frame = tu_compress(&p, NULL, 0, &n);
    assert_int_equal(n, CMZ_HEADER_SIZE + CMZ_INDEX_FIXED_SIZE + CMZ_FOOTER_SIZE);
    cmz_source src;
    cmz_source_memory(&src, frame, n);
    cmz_frame_info info;
    assert_int_equal(cmz_frame_info_read(&src, &info, NULL), CMZ_OK);
    assert_int_equal(info.content_size, 0);
    assert_int_equal(info.chunk_count, 0);
    assert_int_equal(info.frame_size, n);
    free(frame);
}

static void test_info_args_and_sources(void **state) {
    fixture *f = *state;
    cmz_source src;
    cmz_frame_info info;
    cmz_source_memory(&src, f->frame, f->size);
    assert_int_equal(cmz_frame_info_read(NULL, &info, NULL), CMZ_ERR_INVALID_ARG);
    assert_int_equal(cmz_frame_info_read(&src, NULL, NULL), CMZ_ERR_INVALID_ARG);
    /* Random access needs a file: a pipe is refused with a reason. */
    int fds[2];
    assert_int_equal(pipe(fds), 0);
    cmz_error err;
    assert_int_equal(cmz_source_fd(&src, fds[0], &err), CMZ_ERR_IO);
    assert_true(strlen(err.message) > 0);
    close(fds[0]);
    close(fds[1]);
    assert_int_equal(cmz_source_fd(&src, -1, &err), CMZ_ERR_IO);
    assert_string_equal(cmz_chunk_encoding_name(0), "compressed");
    assert_string_equal(cmz_chunk_encoding_name(1), "stored");
    assert_string_equal(cmz_chunk_encoding_name(2), "zeros");
    assert_string_equal(cmz_chunk_encoding_name(3), "unknown");
}

/* ---- too short, wrong magic, header fields ---------------------------------------------- */

static void test_short_inputs(void **state) {
    fixture *f = *state;
    expect_info((const uint8_t *)"", 0, CMZ_ERR_TRUNCATED);
    size_t min = CMZ_HEADER_SIZE + CMZ_INDEX_FIXED_SIZE + CMZ_FOOTER_SIZE;
    /* A start of a real frame: the magic is right, the rest is missing. */
    for (size_t n = 1; n < min; n++) expect_info(f->frame, n, CMZ_ERR_TRUNCATED);
    /* Something else that is too short: say it is not ours when there is a magic to see. */
    uint8_t *junk = tu_text(min, 4);
    for (size_t n = 1; n < 8; n++) expect_info(junk, n, CMZ_ERR_TRUNCATED);
    for (size_t n = 8; n < min; n++) expect_info(junk, n, CMZ_ERR_BAD_MAGIC);
    free(junk);
    /* The tail of a frame without its start: the footer is intact, the frame does not fit. */
    expect_info(f->frame + 1, f->size - 1, CMZ_ERR_CORRUPT);
    expect_info(f->frame + 200, f->size - 200, CMZ_ERR_CORRUPT);
}

static void test_bad_magic(void **state) {
    fixture *f = *state;
    for (int i = 0; i < 8; i++) {
        uint8_t *c = copy(f);
        c[i] ^= 0x20; /* e.g. a text-mode transfer changed a byte */
        cmz_error err = expect_info(c, f->size, CMZ_ERR_BAD_MAGIC);
        assert_int_equal(err.offset, 0);
        free(c);
    }
    uint8_t *text = tu_text(5000, 5);
    expect_info(text, 5000, CMZ_ERR_BAD_MAGIC);
    free(text);
    uint8_t *rnd = tu_random(5000, 6);
    expect_info(rnd, 5000, CMZ_ERR_BAD_MAGIC);
    free(rnd);
}

static void test_version(void **state) {
    fixture *f = *state;
    static const uint16_t versions[] = {0, 2, 3, 0x100, 0xFFFF};
    for (size_t k = 0; k < sizeof versions / sizeof versions[0]; k++) {
        uint8_t *c = copy(f);
        tu_put_le(c + 8, versions[k], 2);
        tu_fix_header_crc(c);
        cmz_error err = expect_info(c, f->size, CMZ_ERR_VERSION);
        assert_int_equal(err.offset, 0);
        /* Without the CRC recomputed, a future version is still "version", not "damaged". */
        memcpy(c, f->frame, CMZ_HEADER_SIZE);
        tu_put_le(c + 8, versions[k], 2);
        expect_info(c, f->size, CMZ_ERR_VERSION);
        free(c);
    }
}

/* Patches one little-endian field of the header (recomputing its CRC) and expects `want`. */
static cmz_error patch_header(const fixture *f, size_t at, uint64_t value, int bytes,
                              cmz_status want) {
    uint8_t *c = copy(f);
    tu_put_le(c + at, value, bytes);
    tu_fix_header_crc(c);
    cmz_error err = expect_info(c, f->size, want);
    free(c);
    return err;
}

static cmz_error patch_footer(const fixture *f, size_t at, uint64_t value, int bytes,
                              cmz_status want) {
    uint8_t *c = copy(f);
    tu_put_le(c + footer_at(f) + at, value, bytes);
    tu_fix_footer_crc(c, f->size);
    cmz_error err = expect_info(c, f->size, want);
    free(c);
    return err;
}

static void test_flags(void **state) {
    fixture *f = *state;
    for (int bit = 1; bit < 32; bit++) { /* bits 1..31 are reserved */
        patch_header(f, 12, 1ull << bit, 4, CMZ_ERR_UNSUPPORTED);
        patch_footer(f, 32, 1ull << bit, 4, CMZ_ERR_UNSUPPORTED);
    }
    /* Bit 0 (parity) needs K and M; and K, M need bit 0. */
    patch_header(f, 12, 1, 4, CMZ_ERR_CORRUPT);
    patch_footer(f, 32, 1, 4, CMZ_ERR_CORRUPT);
    patch_header(f, 24, 4, 1, CMZ_ERR_CORRUPT);
    patch_footer(f, 37, 2, 1, CMZ_ERR_CORRUPT);
}

static void test_codec_id(void **state) {
    fixture *f = *state;
    static const unsigned ids[] = {CMZ_CODEC_ID_MAX + 1, 100, 200, 255};
    for (size_t k = 0; k < sizeof ids / sizeof ids[0]; k++) {
        patch_header(f, 16, ids[k], 1, CMZ_ERR_UNSUPPORTED);
        patch_footer(f, 28, ids[k], 1, CMZ_ERR_UNSUPPORTED);
    }
    /* A known id that this build lacks says so (only testable when one is missing). */
    for (int id = 0; id <= CMZ_CODEC_ID_MAX; id++)
        if (!cmz_codec_by_id(id)) patch_header(f, 16, (uint64_t)id, 1, CMZ_ERR_CODEC_DISABLED);
}

static void test_chunk_size_field(void **state) {
    fixture *f = *state;
    static const uint64_t bad[] = {0, 1, 15, (1u << 30) + 1, 0xFFFFFFFFu};
    for (size_t k = 0; k < sizeof bad / sizeof bad[0]; k++) {
        patch_header(f, 20, bad[k], 4, CMZ_ERR_CORRUPT);
        patch_footer(f, 24, bad[k], 4, CMZ_ERR_CORRUPT);
    }
    /* Valid on its own, but the header and the footer disagree. */
    patch_header(f, 20, 16, 4, CMZ_ERR_CORRUPT);
    patch_header(f, 20, 1u << 30, 4, CMZ_ERR_CORRUPT);
    patch_header(f, 20, CS + 1, 4, CMZ_ERR_CORRUPT);
}

static void test_header_other_fields(void **state) {
    fixture *f = *state;
    patch_header(f, 10, 49, 2, CMZ_ERR_CORRUPT); /* header size */
    patch_header(f, 10, 0, 2, CMZ_ERR_CORRUPT);
    patch_header(f, 18, 200, 1, CMZ_ERR_UNSUPPORTED); /* filter id unknown */
    patch_header(f, 18, 1, 1, CMZ_ERR_CORRUPT);       /* shuffle with typesize 1 */
    patch_header(f, 19, 2, 1, CMZ_ERR_CORRUPT);       /* typesize without a filter */
    patch_header(f, 19, 0, 1, CMZ_ERR_CORRUPT);
    patch_header(f, 24, 4, 1, CMZ_ERR_CORRUPT); /* K without the parity flag */
    patch_header(f, 25, 2, 1, CMZ_ERR_CORRUPT); /* M without the parity flag */
    for (size_t at = 26; at < 44; at++) patch_header(f, at, 0x01, 1, CMZ_ERR_UNSUPPORTED);
    /* Header and footer disagree on fields both carry. */
    patch_header(f, 17, 6, 1, CMZ_ERR_CORRUPT); /* level */
    patch_header(f, 17, 0xFF, 1, CMZ_ERR_CORRUPT);
    patch_header(f, 16, CMZ_CODEC_NONE, 1, CMZ_ERR_CORRUPT);
    patch_footer(f, 31, 6, 1, CMZ_ERR_CORRUPT);
    patch_footer(f, 28, CMZ_CODEC_NONE, 1, CMZ_ERR_CORRUPT);
    /* Damage that the header CRC catches: every bit of the header but the magic. */
    for (size_t bit = 64; bit < 8 * CMZ_HEADER_SIZE; bit++) {
        uint8_t *c = copy(f);
        c[bit / 8] ^= (uint8_t)(1u << (bit % 8));
        cmz_source src;
        cmz_source_memory(&src, c, f->size);
        cmz_frame_info info;
        cmz_error err;
        cmz_status st = cmz_frame_info_read(&src, &info, &err);
        /* Bits of the version field say "version"; every other bit "checksum". */
        assert_int_equal(st, bit / 8 == 8 || bit / 8 == 9 ? CMZ_ERR_VERSION : CMZ_ERR_CHECKSUM);
        assert_true(strlen(err.message) > 0);
        free(c);
    }
}

/* ---- footer ----------------------------------------------------------------------------- */

static void test_footer(void **state) {
    fixture *f = *state;
    size_t fa = footer_at(f);
    /* Every bit of the footer's checked bytes and its CRC: CHECKSUM; of the end magic: the
     * footer is not found (CORRUPT, since the start of the input is a frame). */
    for (size_t bit = 0; bit < 8 * CMZ_FOOTER_SIZE; bit++) {
        uint8_t *c = copy(f);
        c[fa + bit / 8] ^= (uint8_t)(1u << (bit % 8));
        cmz_error err = expect_info(c, f->size, bit < 8 * 44 ? CMZ_ERR_CHECKSUM : CMZ_ERR_CORRUPT);
        assert_int_equal(err.offset, fa);
        free(c);
    }
    patch_footer(f, 38, 1, 1, CMZ_ERR_UNSUPPORTED); /* reserved */
    patch_footer(f, 39, 1, 1, CMZ_ERR_UNSUPPORTED);
    patch_footer(f, 29, 200, 1, CMZ_ERR_UNSUPPORTED); /* filter */
    patch_footer(f, 30, 2, 1, CMZ_ERR_CORRUPT);       /* typesize */
    patch_footer(f, 36, 1, 1, CMZ_ERR_CORRUPT);       /* K */
    patch_footer(f, 37, 1, 1, CMZ_ERR_CORRUPT);       /* M */
    /* Chunk count that cannot hold the content. */
    patch_footer(f, 16, NCHUNKS + 1, 8, CMZ_ERR_CORRUPT);
    patch_footer(f, 16, NCHUNKS - 1, 8, CMZ_ERR_CORRUPT);
    patch_footer(f, 16, UINT64_MAX, 8, CMZ_ERR_CORRUPT);
    patch_footer(f, 8, CONTENT + CS, 8, CMZ_ERR_CORRUPT);
    patch_footer(f, 8, 0, 8, CMZ_ERR_CORRUPT);
    /* Same chunk count, other content size: the last index entry's raw size disagrees. */
    cmz_error err = patch_footer(f, 8, CONTENT - 1, 8, CMZ_ERR_CORRUPT);
    assert_int_equal(err.chunk, NCHUNKS - 1);
    /* Consistent with each other, but more chunks than the input can hold. */
    uint8_t *c = copy(f);
    uint64_t huge = (uint64_t)1 << 60;
    tu_put_le(c + fa + 8, huge * CS, 8);
    tu_put_le(c + fa + 16, huge, 8);
    tu_fix_footer_crc(c, f->size);
    expect_info(c, f->size, CMZ_ERR_CORRUPT);
    free(c);
    /* Index offsets that cannot be right. */
    uint64_t io = index_at(f);
    patch_footer(f, 0, 0, 8, CMZ_ERR_CORRUPT);
    patch_footer(f, 0, CMZ_HEADER_SIZE - 1, 8, CMZ_ERR_CORRUPT);
    patch_footer(f, 0, io + 1, 8, CMZ_ERR_CORRUPT);
    patch_footer(f, 0, fa, 8, CMZ_ERR_CORRUPT);
    patch_footer(f, 0, UINT64_MAX, 8, CMZ_ERR_CORRUPT);
    patch_footer(f, 0, UINT64_MAX - 100, 8, CMZ_ERR_CORRUPT);
    /* An index offset that moves the frame's start inside the input: the header is not
     * there any more (any error will do, never success). */
    for (uint64_t d = 1; d <= 64; d++) {
        uint8_t *c2 = copy(f);
        tu_put_le(c2 + fa, io - d, 8);
        tu_fix_footer_crc(c2, f->size);
        cmz_source src;
        cmz_source_memory(&src, c2, f->size);
        cmz_frame_info info;
        assert_int_not_equal(cmz_frame_info_read(&src, &info, NULL), CMZ_OK);
        free(c2);
    }
}

/* ---- index ------------------------------------------------------------------------------ */

static cmz_error patch_index(const fixture *f, size_t at, uint64_t value, int bytes,
                             cmz_status want) {
    uint8_t *c = copy(f);
    tu_put_le(c + at, value, bytes);
    tu_fix_index_crc(c, f->size);
    cmz_error err = expect_info(c, f->size, want);
    free(c);
    return err;
}

static void test_index(void **state) {
    fixture *f = *state;
    size_t ia = index_at(f);
    size_t index_size = CMZ_INDEX_FIXED_SIZE + NCHUNKS * CMZ_INDEX_ENTRY_SIZE;
    /* Every bit past the marker: the index CRC catches it. */
    for (size_t bit = 32; bit < 8 * index_size; bit++) {
        uint8_t *c = copy(f);
        c[ia + bit / 8] ^= (uint8_t)(1u << (bit % 8));
        cmz_error err = expect_info(c, f->size, CMZ_ERR_CHECKSUM);
        assert_int_equal(err.offset, ia);
        free(c);
    }
    patch_index(f, ia, 0x78584D43, 4, CMZ_ERR_CORRUPT); /* marker "CMXx" */
    patch_index(f, ia + 4, 1, 4, CMZ_ERR_UNSUPPORTED);  /* reserved */
    patch_index(f, ia + 8, NCHUNKS - 1, 8, CMZ_ERR_CORRUPT);
    patch_index(f, ia + 8, NCHUNKS + 1, 8, CMZ_ERR_CORRUPT);
    /* Entries that do not fit the records, the chunk size or the codec. */
    for (unsigned i = 0; i < NCHUNKS; i++) {
        size_t e = entry_at(f, i);
        uint64_t off = tu_get_le(f->frame + e, 8);
        uint64_t payload = tu_get_le(f->frame + e + 8, 4);
        uint64_t raw = tu_get_le(f->frame + e + 12, 4);
        cmz_error err = patch_index(f, e, off + 1, 8, CMZ_ERR_CORRUPT);
        assert_int_equal(err.chunk, i);
        assert_int_equal(err.offset, ia);
        err = patch_index(f, e, off - 1, 8, CMZ_ERR_CORRUPT);
        assert_int_equal(err.chunk, i);
        err = patch_index(f, e + 12, raw + 1, 4, CMZ_ERR_CORRUPT);
        assert_int_equal(err.chunk, i);
        err = patch_index(f, e + 12, raw - 1, 4, CMZ_ERR_CORRUPT);
        assert_int_equal(err.chunk, i);
        err = patch_index(f, e + 12, 0, 4, CMZ_ERR_CORRUPT);
        assert_int_equal(err.chunk, i);
        err = patch_index(f, e + 8, 0xFFFFFFFFu, 4, CMZ_ERR_CORRUPT);
        assert_int_equal(err.chunk, i);
        /* A payload size one off: the next record (or the index) is not where it says. */
        err = patch_index(f, e + 8, payload + 1, 4, CMZ_ERR_CORRUPT);
        assert_int_equal(err.chunk, i + 1 < NCHUNKS ? i + 1 : CMZ_NO_POSITION);
        assert_int_not_equal(err.offset, CMZ_NO_POSITION);
    }
}

/* ---- where frames sit in the input ------------------------------------------------------ */

static void test_frame_positions(void **state) {
    fixture *f = *state;
    /* Bytes before the frame: the random-access reader finds the frame from its end. */
    size_t pre = 777;
    uint8_t *c = malloc(pre + f->size);
    uint8_t *junk = tu_random(pre, 7);
    memcpy(c, junk, pre);
    memcpy(c + pre, f->frame, f->size);
    cmz_source src;
    cmz_source_memory(&src, c, pre + f->size);
    cmz_frame_info info;
    assert_int_equal(cmz_frame_info_read(&src, &info, NULL), CMZ_OK);
    check_good_info(f, &info);
    /* ... but one-shot decompression takes exactly one frame. */
    cmz_params p = tu_params(TU_CODEC, CS, 2);
    cmz_dctx *d = tu_dctx_new(&p, NULL);
    uint8_t out[CONTENT];
    size_t n;
    cmz_error err;
    assert_int_equal(cmz_decompress(d, out, sizeof out, &n, c, pre + f->size, &err),
                     CMZ_ERR_CORRUPT);
    assert_true(strlen(err.message) > 0);
    /* Bytes after the frame: no footer at the end. */
    memcpy(c, f->frame, f->size);
    memcpy(c + f->size, junk, pre);
    cmz_source_memory(&src, c, pre + f->size);
    expect_info(c, pre + f->size, CMZ_ERR_CORRUPT);
    assert_int_not_equal(cmz_decompress(d, out, sizeof out, &n, c, pre + f->size, &err), CMZ_OK);
    cmz_dctx_free(d);
    free(junk);
    free(c);
}

/* ---- chunk records ---------------------------------------------------------------------- */

/* Decodes a damaged frame one-shot, by stream, and by random access from a source without a
 * data pointer (the file path); all must fail with `want` naming chunk i at its record's
 * offset. want == CMZ_OK: any error. */
static void expect_chunk_error(const uint8_t *frame, size_t size, unsigned i, size_t rec,
                               cmz_status want) {
    cmz_params p = tu_params(TU_CODEC, CS, 2);
    cmz_dctx *d = tu_dctx_new(&p, NULL);
    assert_non_null(d);
    uint8_t *out = malloc(CONTENT);
    size_t n;
    cmz_error err;
    static const char *const ways[] = {"one-shot", "stream", "reader"};
    for (int way = 0; way < 3; way++) {
        cmz_error_clear(&err);
        cmz_status st;
        if (way == 0) {
            st = cmz_decompress(d, out, CONTENT, &n, frame, size, &err);
        } else if (way == 1) {
            tu_memin mi;
            cmz_input in = tu_memin_init(&mi, frame, size, 0, 0);
            st = cmz_decompress_stream(d, &in, NULL, NULL, &err);
        } else {
            cmz_source src;
            tu_source_nodata(&src, frame, size);
            cmz_frame_reader *r;
            assert_int_equal(cmz_frame_reader_open(d, &src, &r, NULL), CMZ_OK);
            /* Only the damaged chunk's bytes (and its neighbours') are read. */
            uint64_t from = i ? (uint64_t)(i - 1) * CS + 500 : 0;
            uint64_t to = (uint64_t)(i + 1) * CS + 10 < CONTENT ? (i + 1) * CS + 10 : CONTENT;
            st = cmz_frame_reader_read(r, from, (size_t)(to - from), out, &err);
            cmz_frame_reader_close(r);
        }
        if (want != CMZ_OK && st != want)
            fail_msg("chunk %u, %s: expected %s, got %s (%s)", i, ways[way], cmz_status_name(want),
                     cmz_status_name(st), err.message);
        assert_int_not_equal(st, CMZ_OK);
        assert_int_equal(err.status, st);
        assert_int_equal(err.chunk, i);
        assert_int_equal(err.offset, rec);
        assert_true(strlen(err.message) > 0);
    }
    free(out);
    cmz_dctx_free(d);
}

static void patch_chunk(const fixture *f, unsigned i, size_t at, uint64_t v, int bytes,
                        cmz_status want) {
    uint8_t *c = copy(f);
    size_t rec = record_at(f, i);
    tu_put_le(c + rec + at, v, bytes);
    tu_fix_chunk_header_crc(c + rec);
    expect_chunk_error(c, f->size, i, rec, want);
    free(c);
}

static void test_chunk_headers(void **state) {
    fixture *f = *state;
    for (unsigned i = 0; i < NCHUNKS; i++) {
        size_t rec = record_at(f, i);
        const uint8_t *h = f->frame + rec;
        uint64_t raw = tu_get_le(h + 20, 4), payload = tu_get_le(h + 16, 4);
        int enc = h[5];
        /* Header CRC: any bit of the 36 checked bytes or of the CRC itself. */
        for (size_t bit = 0; bit < 8 * CMZ_CHUNK_HEADER_SIZE; bit += 7) {
            uint8_t *c = copy(f);
            c[rec + bit / 8] ^= (uint8_t)(1u << (bit % 8));
            expect_chunk_error(c, f->size, i, rec, bit < 32 ? CMZ_ERR_CORRUPT : CMZ_ERR_CHECKSUM);
            free(c);
        }
        patch_chunk(f, i, 4, 1, 1, CMZ_ERR_UNSUPPORTED); /* kind: parity */
        patch_chunk(f, i, 5, 3, 1, CMZ_ERR_UNSUPPORTED); /* encoding unknown */
        patch_chunk(f, i, 6, 1, 1, CMZ_ERR_UNSUPPORTED); /* reserved */
        patch_chunk(f, i, 7, 0x80, 1, CMZ_ERR_UNSUPPORTED);
        patch_chunk(f, i, 32, 1, 4, CMZ_ERR_UNSUPPORTED);
        patch_chunk(f, i, 8, i + 1, 8, CMZ_ERR_CORRUPT); /* number */
        patch_chunk(f, i, 20, 0, 4, CMZ_ERR_CORRUPT);    /* raw size */
        patch_chunk(f, i, 20, CS + 1, 4, CMZ_ERR_CORRUPT);
        patch_chunk(f, i, 28, tu_get_le(h + 28, 4) ^ 1, 4, /* raw CRC: end-to-end */
                    CMZ_ERR_CHECKSUM);
        if (enc == CMZ_ENCODING_ZEROS) {
            patch_chunk(f, i, 24, 1, 4, CMZ_ERR_CORRUPT); /* CRC of no payload */
            patch_chunk(f, i, 5, CMZ_ENCODING_STORED, 1, CMZ_ERR_CORRUPT);
            patch_chunk(f, i, 5, CMZ_ENCODING_COMPRESSED, 1, CMZ_ERR_CORRUPT);
        } else if (enc == CMZ_ENCODING_STORED) {
            patch_chunk(f, i, 5, CMZ_ENCODING_ZEROS, 1, CMZ_ERR_CORRUPT);
            /* Raw bytes handed to zstd: it rejects them. */
            patch_chunk(f, i, 5, CMZ_ENCODING_COMPRESSED, 1, CMZ_ERR_CORRUPT);
            patch_chunk(f, i, 16, payload - 1, 4, CMZ_ERR_CORRUPT);
        } else {
            patch_chunk(f, i, 5, CMZ_ENCODING_ZEROS, 1, CMZ_ERR_CORRUPT);
            patch_chunk(f, i, 5, CMZ_ENCODING_STORED, 1, CMZ_ERR_CORRUPT);
            patch_chunk(f, i, 16, 0, 4, CMZ_ERR_CORRUPT);
            patch_chunk(f, i, 16, cmz_codec_bound(cmz_codec_by_id(TU_CODEC), (size_t)raw) + 1, 4,
                        CMZ_ERR_CORRUPT);
        }
        /* A payload byte: the payload CRC finds it without decompressing. */
        if (payload) {
            uint8_t *c = copy(f);
            c[rec + CMZ_CHUNK_HEADER_SIZE + payload / 2] ^= 0x10;
            expect_chunk_error(c, f->size, i, rec, CMZ_ERR_CHECKSUM);
            free(c);
        }
    }
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_crc32c_vectors),
        cmocka_unit_test(test_info_good),
        cmocka_unit_test(test_info_empty_frame),
        cmocka_unit_test(test_info_args_and_sources),
        cmocka_unit_test(test_short_inputs),
        cmocka_unit_test(test_bad_magic),
        cmocka_unit_test(test_version),
        cmocka_unit_test(test_flags),
        cmocka_unit_test(test_codec_id),
        cmocka_unit_test(test_chunk_size_field),
        cmocka_unit_test(test_header_other_fields),
        cmocka_unit_test(test_footer),
        cmocka_unit_test(test_index),
        cmocka_unit_test(test_frame_positions),
        cmocka_unit_test(test_chunk_headers),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
