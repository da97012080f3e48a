/* The "safe" one-shot calls: compression checked by decoding what was written, and
 * decompression that repairs the frame from its parity when it finds damage. */
#include "internal.h"

#include <stdio.h>
#include <string.h>

/* Compares the frame's content with src, decoding a few chunks at a time (bounded memory). */
static cmz_status check_frame(cmz_dctx *dctx, const void *frame, size_t frame_size,
                              const uint8_t *src, size_t src_size, uint32_t chunk_size,
                              cmz_error *err) {
    cmz_source s;
    cmz_source_memory(&s, frame, frame_size);
    cmz_frame_reader *r;
    cmz_status st = cmz_frame_reader_open(dctx, &s, &r, err);
    if (st != CMZ_OK) return st;
    if (cmz_frame_reader_info(r)->content_size != src_size) {
        cmz_frame_reader_close(r);
        return cmz__error(err, CMZ_ERR_CORRUPT, "the frame written holds %llu bytes, not %zu",
                          (unsigned long long)cmz_frame_reader_info(r)->content_size, src_size);
    }
    size_t step = (size_t)chunk_size * 2 * dctx->threads;
    uint8_t *buf = cmz__malloc_large(step < src_size ? step : (src_size ? src_size : 1));
    if (!buf) st = cmz__error(err, CMZ_ERR_NOMEM, "out of memory");
    for (size_t at = 0; st == CMZ_OK && at < src_size; at += step) {
        size_t n = src_size - at < step ? src_size - at : step;
        if ((st = cmz_frame_reader_read(r, at, n, buf, err)) == CMZ_OK && memcmp(buf, src + at, n))
            st = cmz__fail(err, CMZ_ERR_CORRUPT, at / chunk_size, at,
                           "the frame written does not decode to the input (chunk %llu differs)",
                           (unsigned long long)(at / chunk_size));
    }
    cmz__free(buf);
    bool parity = cmz_frame_reader_info(r)->parity_k != 0;
    cmz_frame_reader_close(r);
    /* the parity records are not read by the decoders: check them against their groups */
    if (st == CMZ_OK && parity) st = cmz__parity_verify(dctx, &s, err);
    return st;
}

cmz_status cmz_safe_compress(cmz_cctx *cctx, void *dst, size_t dst_capacity, size_t *dst_size,
                             const void *src, size_t src_size, cmz_error *err) {
    cmz_status st = cmz_compress(cctx, dst, dst_capacity, dst_size, src, src_size, err);
    if (st != CMZ_OK) return st;
    const cmz_params *p = cmz_cctx_params(cctx);
    cmz_dparams dp = cmz_dparams_default();
    dp.threads = p->threads;
    cmz_dctx *dctx = cmz_dctx_new(&dp, err);
    if (!dctx) return err ? err->status : CMZ_ERR_NOMEM;
    st = check_frame(dctx, dst, *dst_size, src, src_size, p->chunk_size, err);
    cmz_dctx_free(dctx);
    if (st != CMZ_OK) *dst_size = 0;
    return st;
}

typedef struct {
    uint8_t *data;
    size_t size, cap;
} membuf;

static int membuf_write(void *opaque, const void *data, size_t n) {
    membuf *m = opaque;
    if (n > m->cap - m->size) {
        size_t cap = m->cap ? m->cap : 4096;
        while (cap - m->size < n) cap *= 2;
        uint8_t *grown = cmz__malloc_large(cap);
        if (!grown) return -1;
        if (m->size) memcpy(grown, m->data, m->size);
        cmz__free(m->data);
        m->data = grown;
        m->cap = cap;
    }
    memcpy(m->data + m->size, data, n);
    m->size += n;
    return 0;
}

cmz_status cmz_safe_decompress(cmz_dctx *dctx, void *dst, size_t dst_capacity, size_t *dst_size,
                               const void *src, size_t src_size, uint64_t *repaired,
                               cmz_error *err) {
    if (repaired) *repaired = 0;
    cmz_error first;
    cmz_error_clear(&first);
    cmz_status st = cmz_decompress(dctx, dst, dst_capacity, dst_size, src, src_size, &first);
    bool damage = st == CMZ_ERR_CHECKSUM || st == CMZ_ERR_CORRUPT || st == CMZ_ERR_TRUNCATED ||
                  st == CMZ_ERR_BAD_MAGIC;
    if (!damage) {
        if (st != CMZ_OK && err) *err = first;
        return st;
    }
    /* damage: rebuild the frame from its parity, then decode the rebuilt frame */
    cmz_source s;
    cmz_source_memory(&s, src, src_size);
    membuf fixed = {NULL, 0, 0};
    cmz_output out = {membuf_write, &fixed};
    cmz_frame_report *rep = NULL;
    cmz_error rerr;
    cmz_status rst = cmz_frame_repair(dctx, &s, &out, &rep, &rerr);
    if (rst == CMZ_OK) {
        if (repaired) *repaired = rep->repaired;
        st = cmz_decompress(dctx, dst, dst_capacity, dst_size, fixed.data, fixed.size, err);
    } else if (err) {
        /* say what the decoder found, and why the repair could not undo it */
        *err = first;
        size_t len = strlen(err->message);
        snprintf(err->message + len, sizeof err->message - len, "; repair: %s", rerr.message);
    }
    cmz_frame_report_free(rep);
    cmz__free(fixed.data);
    return st;
}
