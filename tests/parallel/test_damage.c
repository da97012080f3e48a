/* Damage is always detected: every single-bit flip and every truncation of a multi-chunk
 * frame is rejected by both decoders; garbage never crashes and never decodes; declared sizes
 * are checked against the memory limit before anything that large is allocated; messages
 * name the damaged chunk. */
#include "testutil.h"

#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define N_TEXT 2000
#define CS 256 /* 2000 bytes in 8 chunks */

typedef struct {
    uint8_t *content, *frame;
    size_t n, size;
    cmz_dctx *d;
    uint8_t *out; /* n bytes, for one-shot decoding */
} subject;

static int make_subject(subject *s, int codec, size_t n, uint32_t cs) {
    if (!cmz_codec_by_id(codec)) return 0;
    s->n = n;
    s->content = tu_text(n, 42);
    cmz_params p = tu_params(codec, cs, 2);
    s->frame = tu_compress(&p, s->content, n, &s->size);
    s->d = tu_dctx_new(&p, NULL);
    assert_non_null(s->d);
    s->out = malloc(n);
    return 1;
}

static void free_subject(subject *s) {
    cmz_dctx_free(s->d);
    free(s->content);
    free(s->frame);
    free(s->out);
}

/* The three decoders on frame[0..size): one-shot, streaming, and the frame reader writing
 * the whole content to a stream (cmz -d's path for files). Returns how many of them
 * succeeded, and checks that a success produced exactly the content (so that "success" can
 * never mean wrong bytes). A reader that refuses to open counts as a failure. */
static int decode_all(subject *s, const uint8_t *frame, size_t size, cmz_error *err1,
                      cmz_error *err2, cmz_error *err3) {
    int ok = 0;
    size_t got = 0;
    if (cmz_decompress(s->d, s->out, s->n, &got, frame, size, err1) == CMZ_OK) {
        assert_int_equal(got, s->n);
        assert_memory_equal(s->out, s->content, s->n);
        ok++;
    } else {
        assert_true(err1 == NULL || strlen(err1->message) > 0);
    }
    tu_memin mi;
    tu_memout mo;
    cmz_input in = tu_memin_init(&mi, frame, size, 0, 0);
    cmz_output out = tu_memout_init(&mo);
    if (cmz_decompress_stream(s->d, &in, &out, NULL, err2) == CMZ_OK) {
        assert_int_equal(mo.size, s->n);
        assert_memory_equal(mo.data, s->content, s->n);
        ok++;
    } else {
        assert_true(err2 == NULL || strlen(err2->message) > 0);
    }
    tu_memout_free(&mo);
    cmz_source src;
    cmz_source_memory(&src, frame, size);
    cmz_frame_reader *r;
    out = tu_memout_init(&mo);
    cmz_status st = cmz_frame_reader_open(s->d, &src, &r, err3);
    if (st == CMZ_OK) {
        st = cmz_frame_reader_write(r, 0, cmz_frame_reader_info(r)->content_size, &out, err3);
        cmz_frame_reader_close(r);
    }
    if (st == CMZ_OK) {
        assert_int_equal(mo.size, s->n);
        assert_memory_equal(mo.data, s->content, s->n);
        ok++;
    } else {
        assert_true(err3 == NULL || strlen(err3->message) > 0);
    }
    tu_memout_free(&mo);
    return ok;
}

static void every_bit_flip(int codec) {
    subject s;
    if (!make_subject(&s, codec, N_TEXT, CS)) {
        skip();
        return;
    }
    cmz_source src;
    cmz_frame_info info;
    cmz_source_memory(&src, s.frame, s.size);
    assert_int_equal(cmz_frame_info_read(&src, &info, NULL), CMZ_OK);
    assert_true(info.chunk_count >= 8);
    assert_int_equal(decode_all(&s, s.frame, s.size, NULL, NULL, NULL), 3);
    uint8_t *c = malloc(s.size);
    memcpy(c, s.frame, s.size);
    cmz_error e1, e2, e3;
    for (size_t bit = 0; bit < 8 * s.size; bit++) {
        c[bit / 8] ^= (uint8_t)(1u << (bit % 8));
        if (decode_all(&s, c, s.size, &e1, &e2, &e3) != 0)
            fail_msg("%s: flipping bit %zu (byte %zu of %zu) went unnoticed",
                     cmz_codec_name(cmz_codec_by_id(codec)), bit, bit / 8, s.size);
        c[bit / 8] ^= (uint8_t)(1u << (bit % 8));
    }
    free(c);
    free_subject(&s);
}

static void test_bit_flips_zstd(void **state) {
    (void)state;
    every_bit_flip(TU_CODEC);
}
static void test_bit_flips_lz4(void **state) {
    (void)state;
    every_bit_flip(CMZ_CODEC_LZ4);
}
static void test_bit_flips_none(void **state) {
    (void)state;
    every_bit_flip(CMZ_CODEC_NONE);
}

static void test_truncations(void **state) {
    (void)state;
    const int codecs[] = {TU_CODEC, CMZ_CODEC_NONE, CMZ_CODEC_LZ4};
    for (size_t k = 0; k < sizeof codecs / sizeof codecs[0]; k++) {
        subject s;
        if (!make_subject(&s, codecs[k], N_TEXT, CS)) continue;
        for (size_t len = 0; len < s.size; len++) {
            /* An exact-size copy, so that ASan sees any read past the cut. */
            uint8_t *c = malloc(len ? len : 1);
            memcpy(c, s.frame, len);
            cmz_error e1, e2, e3;
            if (decode_all(&s, c, len, &e1, &e2, &e3) != 0)
                fail_msg("a frame cut to %zu of %zu bytes was accepted", len, s.size);
            free(c);
        }
        free_subject(&s);
    }
}

/* Random mutations of several bytes: detected, or (CRC collision, 2^-32) harmless. */
static void test_random_mutations(void **state) {
    (void)state;
    subject s;
    make_subject(&s, TU_CODEC, N_TEXT, CS);
    uint8_t *c = malloc(s.size);
    uint64_t rng = 99;
    for (int iter = 0; iter < 3000; iter++) {
        memcpy(c, s.frame, s.size);
        int changes = 1 + (int)(tu_rand(&rng) % 8);
        int changed = 0;
        for (int k = 0; k < changes; k++) {
            size_t at = (size_t)(tu_rand(&rng) % s.size);
            uint8_t v = (uint8_t)tu_rand(&rng);
            changed |= c[at] != v;
            c[at] = v;
        }
        int ok = decode_all(&s, c, s.size, NULL, NULL, NULL);
        if (changed && memcmp(c, s.frame, s.size) != 0) assert_int_equal(ok, 0);
    }
    free(c);
    free_subject(&s);
}

/* ---- memory limit ----------------------------------------------------------------------- */

/* Tracks the largest single allocation libcmz asks for. */
static atomic_size_t largest;
static void *tracking_alloc(void *opaque, size_t size) {
    (void)opaque;
    size_t cur = atomic_load(&largest);
    while (size > cur && !atomic_compare_exchange_weak(&largest, &cur, size)) {
    }
    return malloc(size);
}
static void tracking_free(void *opaque, void *ptr) {
    (void)opaque;
    free(ptr);
}

/* Patches a frame's header and footer chunk size (recomputing their CRCs). */
static void set_chunk_size(uint8_t *frame, size_t size, uint32_t cs) {
    tu_put_le(frame + 20, cs, 4);
    tu_fix_header_crc(frame);
    tu_put_le(frame + size - CMZ_FOOTER_SIZE + 24, cs, 4);
    tu_fix_footer_crc(frame, size);
}

static void expect_limit(cmz_dctx *d, const uint8_t *frame, size_t size, size_t n,
                         size_t max_alloc) {
    cmz_error err;
    uint8_t *out = malloc(n);
    size_t got;
    atomic_store(&largest, 0);
    assert_int_equal(cmz_decompress(d, out, n, &got, frame, size, &err), CMZ_ERR_LIMIT);
    assert_int_equal(err.status, CMZ_ERR_LIMIT);
    assert_non_null(strstr(err.message, "limit"));
    tu_memin mi;
    cmz_input in = tu_memin_init(&mi, frame, size, 0, 0);
    assert_int_equal(cmz_decompress_stream(d, &in, NULL, NULL, &err), CMZ_ERR_LIMIT);
    assert_non_null(strstr(err.message, "limit"));
    cmz_source src;
    cmz_source_memory(&src, frame, size);
    cmz_frame_reader *r;
    assert_int_equal(cmz_frame_reader_open(d, &src, &r, &err), CMZ_OK);
    assert_int_equal(cmz_frame_reader_read(r, 0, 1, out, &err), CMZ_ERR_LIMIT);
    tu_memout mo;
    cmz_output o = tu_memout_init(&mo);
    assert_int_equal(cmz_frame_reader_write(r, 0, n, &o, &err), CMZ_ERR_LIMIT);
    assert_non_null(strstr(err.message, "limit"));
    assert_int_equal(mo.size, 0);
    tu_memout_free(&mo);
    cmz_frame_reader_close(r);
    assert_true(atomic_load(&largest) <= max_alloc);
    free(out);
}

static void test_memory_limit(void **state) {
    (void)state;
    cmz_allocator a = {tracking_alloc, tracking_free, NULL};
    cmz_set_allocator(&a);
    size_t n = 100000;
    uint8_t *content = tu_text(n, 1);
    cmz_params p = tu_params(TU_CODEC, 65536, 2);
    size_t size;
    uint8_t *frame = tu_compress(&p, content, n, &size);
    /* 65536-byte chunks need ~131 KB each to decode: far over a 1000-byte limit. Nothing
     * chunk-sized may be allocated before the refusal. */
    cmz_dparams dp = tu_dparams(&p);
    dp.memory_limit = 1000;
    cmz_dctx *d = cmz_dctx_new(&dp, NULL);
    expect_limit(d, frame, size, n, 1000);
    /* A frame that declares 2^30-byte chunks but holds 100 bytes: refused under the default
     * limit (512 MiB) without a gigabyte being allocated. */
    cmz_params q = tu_params(TU_CODEC, 1u << 20, 2);
    size_t small_size;
    uint8_t *small = tu_compress(&q, content, 100, &small_size);
    set_chunk_size(small, small_size, 1u << 30);
    cmz_dctx *dd = tu_dctx_new(&q, NULL);
    expect_limit(dd, small, small_size, 100, 1 << 20);
    /* ... which decodes when the limit allows it, still without allocating 2^30 bytes up
     * front (buffers follow the chunks' actual sizes). */
    cmz_dparams dq = tu_dparams(&q);
    dq.memory_limit = UINT64_MAX;
    cmz_dctx *big = cmz_dctx_new(&dq, NULL);
    tu_memin mi;
    tu_memout mo;
    cmz_input in = tu_memin_init(&mi, small, small_size, 0, 0);
    cmz_output out = tu_memout_init(&mo);
    atomic_store(&largest, 0);
    cmz_error err;
    if (cmz_decompress_stream(big, &in, &out, NULL, &err) != CMZ_OK) fail_msg("%s", err.message);
    assert_int_equal(mo.size, 100);
    assert_memory_equal(mo.data, content, 100);
    assert_true(atomic_load(&largest) < (1u << 20));
    tu_memout_free(&mo);
    {
        cmz_source src;
        cmz_source_memory(&src, small, small_size);
        cmz_frame_reader *fr;
        assert_int_equal(cmz_frame_reader_open(big, &src, &fr, &err), CMZ_OK);
        cmz_output o = tu_memout_init(&mo);
        atomic_store(&largest, 0);
        assert_int_equal(cmz_frame_reader_write(fr, 0, 100, &o, &err), CMZ_OK);
        assert_int_equal(mo.size, 100);
        assert_true(atomic_load(&largest) < (1u << 20));
        tu_memout_free(&mo);
        cmz_frame_reader_close(fr);
    }
    /* An index larger than the limit is refused when the reader opens. */
    cmz_params r = tu_params(CMZ_CODEC_NONE, 16, 2);
    size_t many_size;
    uint8_t *many = tu_compress(&r, content, 100 * 16, &many_size); /* index: 1620 bytes */
    cmz_dparams dr_params = tu_dparams(&r);
    dr_params.memory_limit = 1000;
    cmz_dctx *dr = cmz_dctx_new(&dr_params, NULL);
    cmz_source src;
    cmz_source_memory(&src, many, many_size);
    cmz_frame_reader *fr;
    assert_int_equal(cmz_frame_reader_open(dr, &src, &fr, &err), CMZ_ERR_LIMIT);
    cmz_dctx_free(dr);
    cmz_dctx_free(big);
    cmz_dctx_free(dd);
    cmz_dctx_free(d);
    free(many);
    free(small);
    free(frame);
    free(content);
    cmz_set_allocator(NULL);
}

/* Live bytes allocated through libcmz, and their peak (each block carries its size). */
static atomic_size_t live_bytes, peak_bytes;
static void *counting_alloc(void *opaque, size_t size) {
    (void)opaque;
    size_t *p = malloc(size + 16);
    if (!p) return NULL;
    *p = size;
    size_t now = atomic_fetch_add(&live_bytes, size) + size, peak = atomic_load(&peak_bytes);
    while (now > peak && !atomic_compare_exchange_weak(&peak_bytes, &peak, now)) {
    }
    return (uint8_t *)p + 16;
}
static void counting_free(void *opaque, void *ptr) {
    (void)opaque;
    size_t *p = (size_t *)(void *)((uint8_t *)ptr - 16);
    atomic_fetch_sub(&live_bytes, *p);
    free(p);
}

/* Every decoder stays within the memory limit in total, not only per allocation, with more
 * threads than the limit has room for: chunks in flight and each thread's read buffer. The
 * stored codec allocates no context of its own, so all that is counted is cmz's buffers. */
static void test_memory_limit_total(void **state) {
    (void)state;
    const uint32_t cs = 65536;
    size_t n = 64 * (size_t)cs;
    uint8_t *content = tu_random(n, 11);
    cmz_params p = tu_params(CMZ_CODEC_NONE, cs, 8);
    size_t size;
    uint8_t *frame = tu_compress(&p, content, n, &size);
    cmz_dparams dp = tu_dparams(&p);
    dp.memory_limit = 3 * (2 * (uint64_t)cs + 1024); /* room for 3 chunks in flight, not 16 */
    cmz_allocator a = {counting_alloc, counting_free, NULL};
    cmz_set_allocator(&a);
    for (int way = 0; way < 3; way++) {
        cmz_dctx *d = cmz_dctx_new(&dp, NULL); /* fresh: no buffers left from the last way */
        cmz_source src;
        tu_source_nodata(&src, frame, size); /* records are read, as from a file */
        cmz_frame_reader *r;
        assert_int_equal(cmz_frame_reader_open(d, &src, &r, NULL), CMZ_OK);
        tu_memout mo;
        tu_memin mi;
        cmz_output o = tu_memout_init(&mo);
        cmz_input in = tu_memin_init(&mi, frame, size, 0, 0);
        uint8_t *out = malloc(n);
        size_t base = atomic_load(&live_bytes);
        atomic_store(&peak_bytes, base);
        cmz_error err;
        cmz_status st = way == 0   ? cmz_frame_reader_write(r, 0, n, &o, &err)
                        : way == 1 ? cmz_frame_reader_read(r, 0, n, out, &err)
                                   : cmz_decompress_stream(d, &in, &o, NULL, &err);
        if (st != CMZ_OK) fail_msg("way %d: %s", way, err.message);
        size_t used = atomic_load(&peak_bytes) - base;
        if (used > dp.memory_limit + 16384)
            fail_msg("way %d: %zu bytes in flight, over the limit of %llu", way, used,
                     (unsigned long long)dp.memory_limit);
        if (way != 1) assert_memory_equal(mo.data, content, n);
        else assert_memory_equal(out, content, n);
        free(out);
        tu_memout_free(&mo);
        cmz_frame_reader_close(r);
        cmz_dctx_free(d);
    }
    cmz_set_allocator(NULL);
    free(frame);
    free(content);
}

/* A limit that leaves room for one chunk in flight still decodes, on fewer workers; and one
 * stream can hold frames whose chunk sizes give different numbers of slots. */
static void test_memory_limit_narrows(void **state) {
    (void)state;
    size_t n = 30000;
    uint8_t *content = tu_mixed(n, 5);
    cmz_params small = tu_params(TU_CODEC, 512, 3), big = tu_params(TU_CODEC, 4096, 3);
    size_t ss, bs;
    uint8_t *fs = tu_compress(&small, content, n, &ss), *fb = tu_compress(&big, content, n, &bs);
    /* 4096-byte chunks need ~8.3 KB each: a 10000-byte limit allows one; 512-byte chunks
     * need ~1.1 KB: it allows the full ring. */
    cmz_dparams dp = tu_dparams(&big);
    dp.memory_limit = 10000;
    cmz_dctx *d = cmz_dctx_new(&dp, NULL);
    uint8_t *out = malloc(n);
    size_t got;
    cmz_error err;
    if (cmz_decompress(d, out, n, &got, fb, bs, &err) != CMZ_OK) fail_msg("%s", err.message);
    assert_memory_equal(out, content, n);
    size_t total = 2 * ss + bs;
    uint8_t *all = malloc(total);
    memcpy(all, fs, ss);
    memcpy(all + ss, fb, bs);
    memcpy(all + ss + bs, fs, ss);
    tu_memin mi;
    tu_memout mo;
    cmz_input in = tu_memin_init(&mi, all, total, 3000, 1);
    cmz_output o = tu_memout_init(&mo);
    if (cmz_decompress_stream(d, &in, &o, NULL, &err) != CMZ_OK) fail_msg("%s", err.message);
    assert_int_equal(mo.size, 3 * n);
    for (int k = 0; k < 3; k++) assert_memory_equal(mo.data + k * n, content, n);
    tu_memout_free(&mo);
    cmz_dctx_free(d);
    free(all);
    free(out);
    free(fs);
    free(fb);
    free(content);
}

/* ---- garbage ------------------------------------------------------------------------------ */

static void test_garbage(void **state) {
    (void)state;
    subject s;
    make_subject(&s, TU_CODEC, N_TEXT, CS);
    size_t lengths[300 + 4];
    size_t nl = 0;
    for (size_t n = 0; n < 300; n++) lengths[nl++] = n;
    lengths[nl++] = 1000;
    lengths[nl++] = 4096;
    lengths[nl++] = 65536;
    lengths[nl++] = 200001;
    /* Prefixes that take the decoders further each time: nothing, the magic, a whole valid
     * header, a header and a chunk marker. */
    uint8_t prefix[CMZ_HEADER_SIZE + 4];
    memcpy(prefix, s.frame, CMZ_HEADER_SIZE);
    memcpy(prefix + CMZ_HEADER_SIZE, "CMZc", 4);
    static const size_t prefix_len[] = {0, 8, CMZ_HEADER_SIZE, CMZ_HEADER_SIZE + 4};
    for (size_t pk = 0; pk < 4; pk++) {
        for (size_t k = 0; k < nl; k++) {
            size_t len = prefix_len[pk] + lengths[k];
            uint8_t *g = tu_random(len, k * 7 + pk);
            memcpy(g, prefix, prefix_len[pk]);
            cmz_error e1, e2, e3;
            assert_int_equal(decode_all(&s, g, len, &e1, &e2, &e3), 0);
            cmz_source src;
            cmz_frame_info info;
            cmz_source_memory(&src, g, len);
            assert_int_not_equal(cmz_frame_info_read(&src, &info, NULL), CMZ_OK);
            free(g);
        }
    }
    /* Random bytes with a valid footer of another frame at the end. */
    for (size_t k = 0; k < 50; k++) {
        size_t len = 200 + k * 37;
        uint8_t *g = tu_random(len, k + 1000);
        memcpy(g + len - CMZ_FOOTER_SIZE, s.frame + s.size - CMZ_FOOTER_SIZE, CMZ_FOOTER_SIZE);
        assert_int_equal(decode_all(&s, g, len, NULL, NULL, NULL), 0);
        free(g);
    }
    free_subject(&s);
}

/* ---- records that are intact but in the wrong place ------------------------------------- */

/* Stream decode of a spliced frame must fail naming chunk `chunk`; one-shot must fail. */
static void expect_splice_error(const uint8_t *frame, size_t size, size_t n, uint64_t chunk) {
    cmz_params p = tu_params(CMZ_CODEC_NONE, 1000, 2);
    cmz_dctx *d = tu_dctx_new(&p, NULL);
    tu_memin mi;
    cmz_input in = tu_memin_init(&mi, frame, size, 0, 0);
    cmz_error err;
    assert_int_equal(cmz_decompress_stream(d, &in, NULL, NULL, &err), CMZ_ERR_CORRUPT);
    assert_int_equal(err.chunk, chunk);
    uint8_t *out = malloc(n);
    size_t got;
    assert_int_not_equal(cmz_decompress(d, out, n, &got, frame, size, &err), CMZ_OK);
    assert_true(strlen(err.message) > 0);
    free(out);
    cmz_dctx_free(d);
}

static void test_spliced_records(void **state) {
    (void)state;
    /* Codec none on random bytes: every record is 40 + raw size, easy to cut and paste. */
    cmz_params p = tu_params(CMZ_CODEC_NONE, 1000, 2);
    uint8_t *content = tu_random(3000, 8);
    size_t ys, xs;
    uint8_t *y = tu_compress(&p, content, 3000, &ys); /* records of 1040 bytes */
    uint8_t *x = tu_compress(&p, content, 500, &xs);  /* one short record of 540 */
    const size_t H = CMZ_HEADER_SIZE, R = CMZ_CHUNK_HEADER_SIZE + 1000;
    const size_t tail = ys - H - 3 * R; /* index + footer */
    uint8_t *f = malloc(ys + R);
    /* Records 0, 2: one is missing. */
    memcpy(f, y, H + R);
    memcpy(f + H + R, y + H + 2 * R, R + tail);
    expect_splice_error(f, ys - R, 3000, 1);
    /* Records 1, 0, 2: out of order. */
    memcpy(f, y, ys);
    memcpy(f + H, y + H + R, R);
    memcpy(f + H + R, y + H, R);
    expect_splice_error(f, ys, 3000, 0);
    /* Records 0, 0, 1, 2: repeated. */
    memcpy(f, y, H + R);
    memcpy(f + H + R, y + H, ys - H);
    expect_splice_error(f, ys + R, 3000, 1);
    /* A short record (the last of another frame) where a full one belongs, then the rest. */
    size_t xr = CMZ_CHUNK_HEADER_SIZE + 500;
    memcpy(f, y, H);
    memcpy(f + H, x + H, xr);
    memcpy(f + H + xr, y + H + R, ys - H - R);
    expect_splice_error(f, ys - R + xr, 3000, 1);
    free(f);
    free(x);
    free(y);
    free(content);
}

/* ---- messages name the chunk ---------------------------------------------------------------- */

/* The decoder decodes a chunk before it checks the payload's CRC (chunk.c says why): a damaged
 * payload must still be reported as damaged, not as whatever the codec made of it. */
static void test_damage_names_chunk(void **state) {
    (void)state;
    const int codecs[] = {TU_CODEC, CMZ_CODEC_LZ4, CMZ_CODEC_NONE};
    for (size_t k = 0; k < sizeof codecs / sizeof codecs[0]; k++) {
        subject s;
        if (!make_subject(&s, codecs[k], N_TEXT, CS)) continue;
        const uint8_t *footer = s.frame + s.size - CMZ_FOOTER_SIZE;
        const uint8_t *index = s.frame + tu_get_le(footer, 8);
        uint64_t count = tu_get_le(footer + 16, 8);
        uint8_t *c = malloc(s.size);
        for (uint64_t i = 0; i < count; i++) {
            size_t rec = (size_t)tu_get_le(index + 16 + 16 * i, 8);
            size_t payload = (size_t)tu_get_le(index + 16 + 16 * i + 8, 4);
            for (size_t at = 0; at < payload; at += payload / 3 + 1) {
                memcpy(c, s.frame, s.size);
                c[rec + CMZ_CHUNK_HEADER_SIZE + at] ^= 0x04;
                cmz_error e1, e2, e3;
                assert_int_equal(decode_all(&s, c, s.size, &e1, &e2, &e3), 0);
                char want[64];
                snprintf(want, sizeof want, "chunk %llu ", (unsigned long long)i);
                const cmz_error *errs[3] = {&e1, &e2, &e3};
                for (int w = 0; w < 3; w++) {
                    assert_int_equal(errs[w]->status, CMZ_ERR_CHECKSUM);
                    assert_int_equal(errs[w]->chunk, i);
                    assert_int_equal(errs[w]->offset, rec);
                    if (!strstr(errs[w]->message, want))
                        fail_msg("message does not name %s: %s", want, errs[w]->message);
                    if (!strstr(errs[w]->message, "compressed bytes"))
                        fail_msg("damaged payload not reported as such: %s", errs[w]->message);
                }
                /* The frame reader's stream holds exactly the chunks before the damaged one. */
                cmz_source src;
                cmz_source_memory(&src, c, s.size);
                cmz_frame_reader *r;
                assert_int_equal(cmz_frame_reader_open(s.d, &src, &r, NULL), CMZ_OK);
                tu_memout mo;
                cmz_output out = tu_memout_init(&mo);
                assert_int_equal(cmz_frame_reader_write(r, 0, s.n, &out, NULL), CMZ_ERR_CHECKSUM);
                assert_int_equal(mo.size, i * CS);
                if (mo.size) assert_memory_equal(mo.data, s.content, mo.size);
                tu_memout_free(&mo);
                cmz_frame_reader_close(r);
            }
        }
        free(c);
        free_subject(&s);
    }
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_bit_flips_zstd),
        cmocka_unit_test(test_bit_flips_lz4),
        cmocka_unit_test(test_bit_flips_none),
        cmocka_unit_test(test_truncations),
        cmocka_unit_test(test_random_mutations),
        cmocka_unit_test(test_memory_limit),
        cmocka_unit_test(test_memory_limit_narrows),
        cmocka_unit_test(test_memory_limit_total),
        cmocka_unit_test(test_garbage),
        cmocka_unit_test(test_spliced_records),
        cmocka_unit_test(test_damage_names_chunk),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
