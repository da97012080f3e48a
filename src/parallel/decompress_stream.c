/* Streaming decompression, front to back, for pipes: the calling thread reads records and
 * checks their headers, workers check payload CRCs and decode, the calling thread writes the
 * chunks in order. The index and footer are checked against what was seen, in O(1) memory. */
#include "internal.h"

#include <errno.h>
#include <stdbool.h>
#include <string.h>

typedef struct decoder decoder;

typedef struct {
    cmz__ordered_job oj; /* first member: the queue hands back this pointer */
    decoder *dec;
    cmz__chunk_header hdr;
    uint64_t offset; /* of the record in the input */
    cmz__hbuf payload, raw;
    cmz_status status;
    cmz_error err;
} slot;

struct decoder {
    cmz_dctx *dctx;
    const cmz_codec *codec;
    cmz__ordered_queue queue; /* the slots' chunks, as many as slots (made with them) */
    slot *slots;
    unsigned nslots;
    const cmz_input *in;
    const cmz_output *out;
    uint64_t in_pos;    /* bytes consumed from the input */
    uint64_t out_total; /* bytes written, all frames */
    cmz__frame_params params;
    uint64_t frame_start;
    uint32_t prev_raw;  /* raw size of the previous chunk: only the last may be short */
    uint32_t index_crc; /* CRC32C of the index this frame should have, built as chunks pass */
    /* parity frames: the open group, and the parity records still due after it */
    uint64_t group;
    uint32_t group_records;
    uint32_t group_lengths[CMZ_PARITY_MAX];
    uint64_t group_longest;
    unsigned parity_due;
    bool short_group, after_last_group;
    uint8_t *parity_buf;
    size_t parity_cap;
    cmz_frame_info info;
    cmz_error *err;
};

static void decode_job(cmz__ordered_job *job, unsigned worker) {
    slot *s = (slot *)job;
    decoder *d = s->dec;
    cmz__worker *w = &d->dctx->workers[worker];
    cmz_codec_ctx *c = cmz__worker_codec(w, d->codec);
    cmz_error_clear(&s->err);
    s->status = c ? cmz__chunk_decode(c, &d->params, &w->filter, &s->hdr, s->payload.p, s->raw.p,
                                      s->offset, &s->err)
                  : cmz__fail(&s->err, CMZ_ERR_NOMEM, s->hdr.number, s->offset,
                              "no memory for a %s context", cmz_codec_name(d->codec));
}

/* Reads exactly n bytes of `what`; a short read is a truncated frame. */
static cmz_status take(decoder *d, void *buf, size_t n, const char *what, uint64_t chunk) {
    int64_t r = cmz__read_full(d->in, buf, n, d->dctx->params.interrupt);
    if (r < 0 && errno == EINTR)
        return cmz__fail(d->err, CMZ_ERR_INTERRUPTED, chunk, d->in_pos, "interrupted");
    if (r < 0)
        return cmz__fail(d->err, CMZ_ERR_IO, chunk, d->in_pos, "reading %s at offset %llu: %s",
                         what, (unsigned long long)d->in_pos, strerror(errno));
    if ((size_t)r != n)
        return cmz__fail(d->err, CMZ_ERR_TRUNCATED, chunk, d->in_pos + (uint64_t)r,
                         "the input ends at offset %llu inside %s: the frame is truncated",
                         (unsigned long long)(d->in_pos + (uint64_t)r), what);
    d->in_pos += n;
    return CMZ_OK;
}

/* The slot ring and its queue (nothing in flight). */
static void free_slots(decoder *d) {
    for (unsigned i = 0; i < d->nslots; i++) {
        cmz__hbuf_free(&d->slots[i].payload);
        cmz__hbuf_free(&d->slots[i].raw);
    }
    cmz__free(d->slots);
    d->slots = NULL;
    if (d->nslots) cmz__oq_destroy(&d->queue);
    d->nslots = 0;
}

/* Sizes the slot ring so that buffers in flight stay within the memory limit. */
static cmz_status setup_slots(decoder *d) {
    const cmz_dparams *p = &d->dctx->params;
    uint64_t per_slot = cmz__decode_cost(&d->params); /* a payload and a chunk */
    uint64_t want = 2 * (uint64_t)d->dctx->threads;
    uint64_t fits = p->memory_limit / per_slot;
    if (fits == 0)
        return cmz__fail(d->err, CMZ_ERR_LIMIT, CMZ_NO_POSITION, d->frame_start,
                         "the frame at offset %llu has %u-byte chunks, which need %llu bytes "
                         "to decode, over the memory limit of %llu bytes",
                         (unsigned long long)d->frame_start, (unsigned)d->params.chunk_size,
                         (unsigned long long)per_slot, (unsigned long long)p->memory_limit);
    unsigned n = (unsigned)(want < fits ? want : fits);
    if (n == d->nslots) return CMZ_OK; /* buffers grow on demand; the ring is reused */
    free_slots(d);
    cmz_status st = cmz__pool_start(d->dctx->pool, d->err);
    if (st != CMZ_OK) return st;
    if (!(d->slots = cmz__calloc(n, sizeof *d->slots)))
        return cmz__error(d->err, CMZ_ERR_NOMEM, "no memory for %u chunk slots", n);
    if ((st = cmz__oq_init(&d->queue, d->dctx->pool, n, d->err)) != CMZ_OK) {
        cmz__free(d->slots);
        d->slots = NULL;
        return st;
    }
    d->nslots = n;
    for (unsigned i = 0; i < n; i++) {
        d->slots[i].dec = d;
        d->slots[i].oj.run = decode_job;
    }
    return CMZ_OK;
}

/* A parity record (header parsed): it must be the next one the group owes, describe the group
 * as it passed, and its payload must be intact. Its content is not needed to decode. */
static cmz_status read_parity(decoder *d, const cmz__chunk_header *h, uint64_t at) {
    const cmz__frame_params *p = &d->params;
    unsigned long long off = (unsigned long long)at;
    if (d->parity_due == 0) {
        /* only the last, short group opens its parity by itself (a full one is due) */
        if (d->group_records == 0 || d->after_last_group)
            return cmz__fail(d->err, CMZ_ERR_CORRUPT, CMZ_NO_POSITION, at,
                             "parity record at offset %llu does not follow a group of chunks", off);
        d->parity_due = p->parity_m;
        d->short_group = true;
    }
    unsigned j = p->parity_m - d->parity_due;
    if (h->number != d->group || h->parity_index != j || h->group_count != d->group_records ||
        h->raw_size != d->group_longest)
        return cmz__fail(d->err, CMZ_ERR_CORRUPT, CMZ_NO_POSITION, at,
                         "parity record at offset %llu is numbered %u of group %llu for %u "
                         "records of up to %u bytes; expected %u of group %llu for %u of up to "
                         "%llu",
                         off, (unsigned)h->parity_index, (unsigned long long)h->number,
                         (unsigned)h->group_count, (unsigned)h->raw_size, j,
                         (unsigned long long)d->group, (unsigned)d->group_records,
                         (unsigned long long)d->group_longest);
    if (cmz__grow(&d->parity_buf, &d->parity_cap, h->payload_size))
        return cmz__fail(d->err, CMZ_ERR_NOMEM, CMZ_NO_POSITION, at,
                         "no memory for the parity record at offset %llu", off);
    cmz_status st = take(d, d->parity_buf, h->payload_size, "a parity record", CMZ_NO_POSITION);
    if (st != CMZ_OK) return st;
    uint32_t crc = cmz_crc32c(0, d->parity_buf, h->payload_size);
    if (crc != h->payload_crc)
        return cmz__fail(d->err, CMZ_ERR_CHECKSUM, CMZ_NO_POSITION, at,
                         "parity record %u of group %llu at offset %llu is damaged: CRC32C of "
                         "its payload is %08x, expected %08x",
                         j, (unsigned long long)d->group, off, crc, h->payload_crc);
    for (uint32_t r = 0; r < d->group_records; r++)
        if (cmz__get_le32(d->parity_buf + (size_t)r * CMZ_PARITY_ENTRY_SIZE) != d->group_lengths[r])
            return cmz__fail(d->err, CMZ_ERR_CORRUPT, CMZ_NO_POSITION, at,
                             "parity record at offset %llu gives chunk %llu a length its "
                             "record does not have",
                             off, (unsigned long long)(d->group * p->parity_k + r));
    if (--d->parity_due == 0) {
        d->after_last_group = d->short_group;
        d->group++;
        d->group_records = 0;
        d->group_longest = 0;
    }
    return CMZ_OK;
}

/* A data record joins the open parity group; a full group owes its M parity records next. */
static cmz_status join_group(decoder *d, const cmz__chunk_header *h, uint64_t at) {
    if (d->parity_due || d->after_last_group)
        return cmz__fail(d->err, CMZ_ERR_CORRUPT, h->number, at,
                         "chunk %llu at offset %llu is where %s", (unsigned long long)h->number,
                         (unsigned long long)at,
                         d->parity_due ? "a parity record should be"
                                       : "the index should be (after the last group's parity)");
    uint64_t len = CMZ_CHUNK_HEADER_SIZE + (uint64_t)h->payload_size;
    d->group_lengths[d->group_records++] = (uint32_t)len;
    if (len > d->group_longest) d->group_longest = len;
    if (d->group_records == d->params.parity_k) d->parity_due = d->params.parity_m;
    return CMZ_OK;
}

/* Reads one record (its marker already read): a data record goes into slot s (*data set), a
 * parity record is checked and skipped. */
static cmz_status read_record(decoder *d, slot *s, const uint8_t marker[4], uint64_t number,
                              bool *data) {
    uint8_t hb[CMZ_CHUNK_HEADER_SIZE];
    memcpy(hb, marker, 4);
    *data = false;
    s->offset = d->in_pos - 4;
    cmz_status st = take(d, hb + 4, CMZ_CHUNK_HEADER_SIZE - 4, "a chunk header", number);
    if (st != CMZ_OK) return st;
    if ((st = cmz__chunk_header_parse(hb, &d->params, s->offset, &s->hdr, d->err)) != CMZ_OK) {
        /* A damaged header cannot say its number: it is where chunk `number` should be. */
        if (d->err && d->err->chunk == CMZ_NO_POSITION) d->err->chunk = number;
        return st;
    }
    if (s->hdr.kind == CMZ_KIND_PARITY) return read_parity(d, &s->hdr, s->offset);
    *data = true;
    if (cmz__has_parity(&d->params) && (st = join_group(d, &s->hdr, s->offset)) != CMZ_OK)
        return st;
    if (s->hdr.number != number)
        return cmz__fail(d->err, CMZ_ERR_CORRUPT, number, s->offset,
                         "chunk at offset %llu is numbered %llu, expected %llu (a chunk is "
                         "missing or repeated)",
                         (unsigned long long)s->offset, (unsigned long long)s->hdr.number,
                         (unsigned long long)number);
    if (number && d->prev_raw != d->params.chunk_size)
        return cmz__fail(d->err, CMZ_ERR_CORRUPT, number, s->offset,
                         "chunk %llu at offset %llu follows a short chunk",
                         (unsigned long long)number, (unsigned long long)s->offset);
    if (cmz__hbuf_grow(&s->payload, s->hdr.payload_size ? s->hdr.payload_size : 1,
                       (size_t)cmz__payload_limit(&d->params, d->params.chunk_size)) ||
        cmz__hbuf_grow(&s->raw, s->hdr.raw_size, 0))
        return cmz__fail(d->err, CMZ_ERR_NOMEM, number, s->offset, "no memory for chunk %llu",
                         (unsigned long long)number);
    if ((st = take(d, s->payload.p, s->hdr.payload_size, "a chunk payload", number)) != CMZ_OK)
        return st;
    uint8_t entry[CMZ_INDEX_ENTRY_SIZE];
    cmz__index_entry_write(entry, s->offset - d->frame_start, s->hdr.payload_size, s->hdr.raw_size);
    d->index_crc = cmz_crc32c(d->index_crc, entry, sizeof entry);
    d->prev_raw = s->hdr.raw_size;
    return CMZ_OK;
}

static cmz_status write_chunk(decoder *d, slot *s) {
    if (s->status != CMZ_OK) {
        if (d->err) *d->err = s->err;
        return s->status;
    }
    if (d->out && d->out->write(d->out->opaque, s->raw.p, s->hdr.raw_size) != 0)
        return cmz__fail(d->err, CMZ_ERR_IO, s->hdr.number, CMZ_NO_POSITION,
                         "writing the output at offset %llu: %s", (unsigned long long)d->out_total,
                         strerror(errno));
    d->out_total += s->hdr.raw_size;
    d->info.content_size += s->hdr.raw_size;
    d->info.chunk_count++;
    d->info.payload_bytes += s->hdr.payload_size;
    if (s->hdr.encoding == CMZ_ENCODING_STORED) d->info.stored_chunks++;
    if (s->hdr.encoding == CMZ_ENCODING_ZEROS) d->info.zero_chunks++;
    const cmz_dparams *p = &d->dctx->params;
    if (p->progress) p->progress(p->progress_opaque, d->in_pos, d->out_total);
    return CMZ_OK;
}

/* The index (marker already read) and footer must match what the chunks said. */
static cmz_status check_tail(decoder *d, uint64_t index_at) {
    uint8_t head[16];
    memcpy(head, cmz__index_marker, 4);
    cmz_status st = take(d, head + 4, 12, "the frame index", CMZ_NO_POSITION);
    if (st != CMZ_OK) return st;
    unsigned long long at = (unsigned long long)index_at;
    uint64_t count = cmz__get_le64(head + 8);
    if (cmz__get_le32(head + 4) != 0 || count != d->info.chunk_count)
        return cmz__fail(d->err, CMZ_ERR_CORRUPT, CMZ_NO_POSITION, index_at,
                         "the frame index at offset %llu lists %llu chunks, the frame has "
                         "%llu",
                         at, (unsigned long long)count, (unsigned long long)d->info.chunk_count);
    /* crc: the whole record as stored; entries_crc: the entries alone, to compare with the
     * CRC of the entries this decoder derived from the chunks as they passed. */
    uint32_t crc = cmz_crc32c(0, head, 16), entries_crc = 0;
    uint8_t buf[4096];
    uint64_t left = count * CMZ_INDEX_ENTRY_SIZE;
    while (left) {
        size_t n = left < sizeof buf ? (size_t)left : sizeof buf;
        if ((st = take(d, buf, n, "the frame index", CMZ_NO_POSITION)) != CMZ_OK) return st;
        crc = cmz_crc32c(crc, buf, n);
        entries_crc = cmz_crc32c(entries_crc, buf, n);
        left -= n;
    }
    uint8_t tail[4 + CMZ_FOOTER_SIZE];
    if ((st = take(d, tail, sizeof tail, "the frame footer", CMZ_NO_POSITION)) != CMZ_OK) return st;
    if (cmz__get_le32(tail) != crc)
        return cmz__fail(d->err, CMZ_ERR_CHECKSUM, CMZ_NO_POSITION, index_at,
                         "the frame index at offset %llu is damaged: CRC32C mismatch", at);
    if (entries_crc != d->index_crc)
        return cmz__fail(d->err, CMZ_ERR_CORRUPT, CMZ_NO_POSITION, index_at,
                         "the frame index at offset %llu does not match the chunks", at);
    cmz__footer f;
    uint64_t footer_at = d->in_pos - CMZ_FOOTER_SIZE;
    if ((st = cmz__footer_parse(tail + 4, footer_at, &f, d->err)) != CMZ_OK) return st;
    if (!cmz__params_equal(&f.params, &d->params) || f.index_offset != index_at - d->frame_start ||
        f.content_size != d->info.content_size || f.chunk_count != d->info.chunk_count)
        return cmz__fail(d->err, CMZ_ERR_CORRUPT, CMZ_NO_POSITION, footer_at,
                         "the frame footer at offset %llu does not match the frame",
                         (unsigned long long)footer_at);
    d->info.frame_size = d->in_pos - d->frame_start;
    return CMZ_OK;
}

/* Decodes one frame whose magic (8 bytes) is already read. */
static cmz_status decode_frame(decoder *d) {
    uint8_t header[CMZ_HEADER_SIZE];
    memcpy(header, cmz__frame_magic, 8);
    cmz_status st = take(d, header + 8, CMZ_HEADER_SIZE - 8, "the frame header", CMZ_NO_POSITION);
    if (st != CMZ_OK) return st;
    if ((st = cmz__header_parse(header, d->frame_start, &d->params, d->err)) != CMZ_OK) return st;
    d->codec = cmz_codec_by_id(d->params.codec);
    memset(&d->info, 0, sizeof d->info);
    cmz__info_from_params(&d->info, &d->params);
    if ((st = setup_slots(d)) != CMZ_OK) return st;
    d->index_crc = 0;
    d->prev_raw = 0;
    d->group = 0;
    d->group_records = 0;
    d->group_longest = 0;
    d->parity_due = 0;
    d->short_group = d->after_last_group = false;

    const cmz_dparams *p = &d->dctx->params;
    cmz__ordered_queue *q = &d->queue;
    int at_index = 0;
    uint64_t index_at = 0;
    while (st == CMZ_OK) {
        while (!at_index && !cmz__oq_full(q)) {
            uint64_t next_read = cmz__oq_next_seq(q);
            uint8_t marker[4];
            if ((st = take(d, marker, 4, "a record marker", next_read)) != CMZ_OK) break;
            if (memcmp(marker, cmz__index_marker, 4) == 0) {
                at_index = 1;
                index_at = d->in_pos - 4;
                if (d->parity_due || (d->group_records && !d->after_last_group))
                    st = cmz__fail(d->err, CMZ_ERR_CORRUPT, CMZ_NO_POSITION, index_at,
                                   "the parity records of group %llu are missing before the "
                                   "index at offset %llu",
                                   (unsigned long long)d->group, (unsigned long long)index_at);
                break;
            }
            slot *s = &d->slots[next_read % d->nslots];
            bool data;
            if ((st = read_record(d, s, marker, next_read, &data)) != CMZ_OK) break;
            if (!data) continue;
            /* Chunk k on pool thread k: a slot's buffers stay in one core's cache. */
            cmz__oq_submit(q, &s->oj, (int)(next_read % d->dctx->threads));
        }
        if (st != CMZ_OK) break;
        slot *s = (slot *)cmz__oq_wait_oldest(q);
        if (!s) break;
        if ((st = write_chunk(d, s)) != CMZ_OK) break;
        cmz__oq_pop(q);
        if (cmz__interrupted(p->interrupt))
            st = cmz__fail(d->err, CMZ_ERR_INTERRUPTED, CMZ_NO_POSITION, d->in_pos, "interrupted");
    }
    cmz__oq_drain(q);
    if (st != CMZ_OK) return st;
    if ((st = check_tail(d, index_at)) != CMZ_OK) return st;
    /* The frame's end: a report that counts its index and footer too. */
    if (p->progress) p->progress(p->progress_opaque, d->in_pos, d->out_total);
    return CMZ_OK;
}

cmz_status cmz_decompress_stream(cmz_dctx *dctx, const cmz_input *in, const cmz_output *out,
                                 cmz_frame_info *info, cmz_error *err) {
    if (!dctx || !in || !in->read || (out && !out->write))
        return cmz__error(err, CMZ_ERR_INVALID_ARG, "cmz_decompress_stream: NULL argument");
    decoder d;
    memset(&d, 0, sizeof d);
    d.dctx = dctx;
    d.in = in;
    d.out = out;
    d.err = err;
    cmz_status st = CMZ_OK;
    for (int frames = 0;; frames++) {
        uint8_t magic[8];
        d.frame_start = d.in_pos;
        int64_t r = cmz__read_full(in, magic, sizeof magic, dctx->params.interrupt);
        if (r < 0) {
            st = cmz__fail(err, errno == EINTR ? CMZ_ERR_INTERRUPTED : CMZ_ERR_IO, CMZ_NO_POSITION,
                           d.in_pos, "reading the input at offset %llu: %s",
                           (unsigned long long)d.in_pos, strerror(errno));
            break;
        }
        if (r == 0 && frames > 0) break; /* clean end after one or more frames */
        d.in_pos += (uint64_t)r;
        if (r < (int64_t)sizeof magic || memcmp(magic, cmz__frame_magic, 8) != 0) {
            if (frames == 0 && r < (int64_t)sizeof magic &&
                memcmp(magic, cmz__frame_magic, (size_t)r) == 0)
                st = cmz__fail(err, CMZ_ERR_TRUNCATED, CMZ_NO_POSITION, d.frame_start,
                               "the input ends at offset %llu, inside the frame header",
                               (unsigned long long)d.in_pos);
            else if (frames == 0)
                st = cmz__fail(err, CMZ_ERR_BAD_MAGIC, CMZ_NO_POSITION, 0,
                               "not a cmz frame: bad magic at offset 0");
            else
                st = cmz__fail(err, CMZ_ERR_CORRUPT, CMZ_NO_POSITION, d.frame_start,
                               "unexpected data after the frame, at offset %llu",
                               (unsigned long long)d.frame_start);
            break;
        }
        if ((st = decode_frame(&d)) != CMZ_OK) break;
    }
    free_slots(&d);
    cmz__free(d.parity_buf);
    if (info) *info = d.info;
    return st;
}
