/* Damaged frames: find every chunk that survives and check it (include/cmz/salvage.h).
 *
 * Steps 1 and 2, the parameters and where the chunks are, are locate.c's. Step 3 here: each
 * data chunk read, checked and decoded like the decoders do; one thread (this is the slow
 * path for damaged data). A parity frame's verdict on what repair would rebuild: assess.c. */
#include "internal.h"

#include <stdio.h>

static void describe(cmz_chunk_report *c, cmz_chunk_state state, cmz_status status,
                     const char *message) {
    c->state = state;
    c->status = status;
    snprintf(c->message, sizeof c->message, "%.159s", message);
}

/* Checks chunk c (its record at c->record_offset) and decodes it into dst (raw_size bytes). */
static void check_chunk(const cmz_source *src, const cmz__frame_params *p, cmz_codec_ctx *ctx,
                        cmz__scratch *scratch, cmz__scratch *record, cmz_chunk_report *c,
                        uint8_t *dst) {
    cmz_error err;
    uint8_t head[CMZ_CHUNK_HEADER_SIZE];
    if (c->record_offset == CMZ_NO_POSITION) {
        describe(c, CMZ_CHUNK_MISSING, CMZ_ERR_CORRUPT,
                 "no intact chunk record with this number was found");
        return;
    }
    if (!cmz__read_at(src, head, sizeof head, c->record_offset)) {
        if (c->record_offset + sizeof head > src->size)
            describe(c, CMZ_CHUNK_MISSING, CMZ_ERR_TRUNCATED, "the frame ends before this chunk");
        else
            describe(c, CMZ_CHUNK_DAMAGED, CMZ_ERR_IO,
                     "its chunk header cannot be read (I/O error)");
        return;
    }
    cmz__chunk_header h;
    cmz_status st = cmz__chunk_header_parse(head, p, c->record_offset, &h, &err);
    if (st == CMZ_OK && h.kind != CMZ_KIND_DATA)
        st = cmz__fail(&err, CMZ_ERR_CORRUPT, c->number, c->record_offset,
                       "the record at offset %llu is a parity record, expected chunk %llu",
                       (unsigned long long)c->record_offset, (unsigned long long)c->number);
    if (st == CMZ_OK && (h.number != c->number || h.raw_size != c->raw_size))
        st = cmz__fail(&err, CMZ_ERR_CORRUPT, c->number, c->record_offset,
                       "the record at offset %llu is chunk %llu of %u bytes, expected chunk "
                       "%llu of %u",
                       (unsigned long long)c->record_offset, (unsigned long long)h.number,
                       (unsigned)h.raw_size, (unsigned long long)c->number, (unsigned)c->raw_size);
    /* the payload size was checked against the codec's bound of the raw size by the parse */
    if (st == CMZ_OK &&
        cmz__grow(&record->buf, &record->cap, h.payload_size ? h.payload_size : 1) != 0)
        st = cmz__fail(&err, CMZ_ERR_NOMEM, c->number, c->record_offset, "out of memory");
    if (st == CMZ_OK &&
        !cmz__read_at(src, record->buf, h.payload_size, c->record_offset + sizeof head)) {
        bool past_end = c->record_offset + sizeof head + h.payload_size > src->size;
        st = cmz__fail(&err, past_end ? CMZ_ERR_TRUNCATED : CMZ_ERR_IO, c->number, c->record_offset,
                       past_end ? "the frame ends inside the payload of chunk %llu"
                                : "the payload of chunk %llu cannot be read (I/O error)",
                       (unsigned long long)c->number);
    }
    if (st == CMZ_OK)
        st = cmz__chunk_decode(ctx, p, scratch, &h, record->buf, dst, c->record_offset, &err);
    if (st == CMZ_OK) describe(c, CMZ_CHUNK_INTACT, CMZ_OK, "");
    else describe(c, CMZ_CHUNK_DAMAGED, st, err.message);
}

/* Step 3: every chunk checked and decoded, one thread (the slow path for damaged data). */
cmz_status cmz__frame_run(cmz_dctx *dctx, const cmz_source *src, const cmz_output *out,
                          cmz_frame_report **report_out, cmz_error *err) {
    *report_out = NULL;
    cmz__located loc;
    cmz_status st = cmz__frame_locate(dctx, src, &loc, err);
    if (st != CMZ_OK) return st;
    cmz_frame_report *rep = loc.report;
    const cmz__frame_params params = loc.params;
    uint64_t n = loc.lay.count;
    /* 3. every chunk */
    const cmz_codec *codec = cmz_codec_by_id(params.codec);
    cmz_codec_ctx *ctx = codec ? cmz_codec_ctx_new(codec) : NULL;
    /* buffers grow to the sizes met (a damaged frame may declare chunks it never holds) */
    cmz__scratch scratch = {NULL, 0}, record = {NULL, 0}, raw = {NULL, 0};
    if (!ctx) st = cmz__error(err, CMZ_ERR_NOMEM, "out of memory");
    for (uint64_t i = 0; st == CMZ_OK && i < n; i++) {
        if (cmz__salvage_interrupted(dctx)) {
            st = cmz__fail(err, CMZ_ERR_INTERRUPTED, i, CMZ_NO_POSITION, "interrupted");
            break;
        }
        cmz_chunk_report *c = &rep->chunks[i];
        if (cmz__grow(&raw.buf, &raw.cap, c->raw_size ? c->raw_size : 1) != 0) {
            st = cmz__fail(err, CMZ_ERR_NOMEM, i, CMZ_NO_POSITION, "out of memory");
            break;
        }
        check_chunk(src, &params, ctx, &scratch, &record, c, raw.buf);
        if (c->state == CMZ_CHUNK_INTACT) rep->intact++;
        else {
            if (c->state == CMZ_CHUNK_DAMAGED) rep->damaged++;
            else rep->missing++;
            rep->lost_bytes += c->raw_size;
            memset(raw.buf, 0, c->raw_size);
        }
        if (out && out->write(out->opaque, raw.buf, c->raw_size) != 0)
            st =
                cmz__fail(err, CMZ_ERR_IO, i, c->content_offset,
                          "cannot write the salvaged content of chunk %llu", (unsigned long long)i);
    }
    cmz__free(scratch.buf);
    cmz__free(record.buf);
    cmz__free(raw.buf);
    cmz_codec_ctx_free(ctx);
    if (st == CMZ_OK && rep->has_parity) st = cmz__parity_assess(dctx, src, &loc, err);
    cmz__layout_free(&loc.lay);
    if (st != CMZ_OK) {
        cmz_frame_report_free(rep);
        return st;
    }
    cmz__frame_report_finish(rep, &loc);
    *report_out = rep;
    return CMZ_OK;
}
