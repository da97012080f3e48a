/* Compression: chunks are encoded by the pool's workers while the calling thread reads the
 * input and writes finished records in order. At most 2 x threads chunks are in flight, so
 * memory stays bounded whatever the input size, and the output never depends on timing.
 * From a random-access source (a file) each worker reads its own chunk, so the calling thread
 * only writes: on two cores a reading thread would take turns with the encoders.
 *
 * A worker reads and encodes into buffers of its own, whichever chunk it takes, so that they
 * stay in its core's cache: buffers that cores write in turn move between their caches line
 * by line, which costs a large share of the CPU (see docs/BENCH.md, "Figures behind constants
 * in the code"). */
#include "internal.h"
#include "../frame/parity.h"

#include <assert.h>
#include <errno.h>
#include <string.h>

typedef struct encoder encoder;

/* One thread's buffers. A record waits in its buffer until the calling thread has written it,
 * and the thread encodes the next chunk meanwhile: two record buffers, as two slots per thread.
 * So a thread runs at most two chunks ahead of a slow one (three at -T2 when the buffers were
 * the slots'); a third gained nothing (see docs/BENCH.md, "Figures behind constants in the
 * code"). */
#define RECORD_BUFS 2
typedef struct {
    cmz__hbuf raw;              /* a source's chunk, read here by this thread */
    cmz__hbuf out[RECORD_BUFS]; /* records */
    int out_busy[RECORD_BUFS];  /* holds a record not yet written; under the queue's monitor */
} thread_bufs;

/* A free record buffer of b's, or -1. Under the queue's monitor. */
static int free_out(cmz__monitor *m, const thread_bufs *b) {
    assert(cmz__monitor_held(m));
    for (int k = 0; k < RECORD_BUFS; k++)
        if (!b->out_busy[k]) return k;
    return -1;
}

typedef struct {
    cmz__ordered_job oj; /* first member: the queue hands back this pointer */
    encoder *enc;
    const uint8_t *raw; /* the chunk's bytes: raw_buf, a thread's, or the caller's buffer */
    cmz__hbuf raw_buf;  /* a stream's chunk, read ahead by the calling thread */
    uint32_t raw_size;
    thread_bufs *owner; /* the record lies in owner->out[which] */
    int which;
    size_t out_size;
    int in_place; /* the record was encoded straight into the destination, at out_pos */
    int unread;   /* a source's chunk, still to be read at src_offset by its worker */
    uint64_t src_offset;
    int read_errno; /* reading failed: errno, or 0 when the source ended early */
    int read_failed;
    uint64_t number;
    cmz_status status;
} slot;

struct cmz_cctx {
    cmz_params params;
    const cmz_codec *codec;
    cmz__pool *own;       /* its own pool (threads), started only if used */
    cmz__pool *pool;      /* the pool in use: own, or one shared (cmz_cctx_ref_pool) */
    unsigned threads;     /* chunks encoded at once (params.threads) */
    unsigned nworkers;    /* the pool's threads */
    cmz__worker *workers; /* nworkers + 1: workers[nworkers] is the calling thread's */
    thread_bufs *bufs;    /* nworkers + 1, likewise */
    /* 2 x threads slots, made on first use and kept, like the threads' buffers, so that
     * repeated calls neither allocate nor fault pages in again (like a zstd context's
     * workspace). A slot's own raw buffer holds a stream's chunk read ahead by the calling
     * thread, or the first chunk that the auto filter reads. */
    slot *slots;
    unsigned nslots;
};

struct encoder {
    cmz_cctx *cctx;
    cmz__frame_params fp; /* what the header records; the filter is settled before it is written */
    cmz__ordered_queue queue; /* the slots' chunks; cancelled: records will not be written */
    slot *slots;
    unsigned nslots;
    /* input: memory (one-shot), a random-access source, or a stream */
    const uint8_t *mem;
    uint64_t mem_size, mem_pos;
    const cmz_source *src;
    uint64_t src_size, src_pos; /* src_size: the source's size when compression began */
    const cmz_input *in;
    int eof;
    /* output: memory (one-shot) or a stream */
    uint8_t *dst;
    size_t dst_cap;
    const cmz_output *out;
    uint64_t out_pos;
    uint64_t raw_done; /* input bytes whose chunks are written: what progress reports */
    /* the index, serialised as chunks are written */
    uint8_t *index;
    size_t index_len; /* bytes */
    size_t index_cap; /* entries */
    cmz_frame_info info;
    /* parity (when the frame has it): the open group's parity, written after its K records */
    bool parity;
    cmz__parity_group group;
    cmz_error *err;
};

cmz_cctx *cmz_cctx_new(const cmz_params *params, cmz_error *err) {
    cmz_params p;
    cmz_params def = cmz_params_default();
    if (cmz_params_resolve(params ? params : &def, &p, err) != CMZ_OK) return NULL;
    /* Built in place; cmz_cctx_free takes a context built in part, the one cleanup path. */
    cmz_cctx *cctx = cmz__calloc(1, sizeof *cctx);
    if (!cctx) {
        cmz__error(err, CMZ_ERR_NOMEM, "no memory for a compression context");
        return NULL;
    }
    cctx->params = p;
    cctx->codec = cmz_codec_by_id(p.codec);
    cctx->threads = p.threads;
    if (!(cctx->own = cmz__pool_new(p.threads, err)) ||
        cmz_cctx_ref_pool(cctx, NULL, err) != CMZ_OK) {
        cmz_cctx_free(cctx);
        return NULL;
    }
    return cctx;
}

static void free_bufs(thread_bufs *bufs, unsigned nworkers) {
    for (unsigned i = 0; bufs && i <= nworkers; i++) {
        cmz__hbuf_free(&bufs[i].raw);
        for (int k = 0; k < RECORD_BUFS; k++) cmz__hbuf_free(&bufs[i].out[k]);
    }
    cmz__free(bufs);
}

cmz_status cmz_cctx_ref_pool(cmz_cctx *cctx, cmz_pool *pool, cmz_error *err) {
    if (!cctx) return cmz__error(err, CMZ_ERR_INVALID_ARG, "cmz_cctx_ref_pool: NULL context");
    cmz__pool *use = pool ? pool : cctx->own;
    unsigned n = cmz__pool_threads(use);
    if (!cctx->bufs || n != cctx->nworkers) {
        /* Both arrays follow the pool's size: the new one first, so that a failure leaves
         * the context as it was. */
        thread_bufs *bufs = cmz__calloc((size_t)n + 1, sizeof *bufs);
        unsigned nworkers = cctx->nworkers;
        if (!bufs)
            return cmz__error(err, CMZ_ERR_NOMEM, "no memory for the buffers of %u threads", n);
        cmz_status st = cmz__workers_fit(&cctx->workers, &cctx->nworkers, n, err);
        if (st != CMZ_OK) {
            cmz__free(bufs);
            return st;
        }
        free_bufs(cctx->bufs, nworkers);
        cctx->bufs = bufs;
    }
    cctx->pool = use;
    return CMZ_OK;
}

void cmz_cctx_free(cmz_cctx *cctx) {
    if (!cctx) return;
    cmz__pool_free(cctx->own);
    for (unsigned i = 0; i < cctx->nslots; i++) cmz__hbuf_free(&cctx->slots[i].raw_buf);
    cmz__free(cctx->slots);
    cmz__workers_free(cctx->workers, cctx->nworkers);
    free_bufs(cctx->bufs, cctx->nworkers);
    cmz__free(cctx);
}

void cmz__cctx_trim(cmz_cctx *cctx) {
    for (unsigned i = 0; i < cctx->nworkers; i++) {
        cmz__worker_release(&cctx->workers[i]);
        cmz__hbuf_free(&cctx->bufs[i].raw);
        for (int k = 0; k < RECORD_BUFS; k++) cmz__hbuf_free(&cctx->bufs[i].out[k]);
    }
    for (unsigned i = 0; i < cctx->nslots; i++) cmz__hbuf_free(&cctx->slots[i].raw_buf);
}

cmz__pool *cmz__cctx_pool(const cmz_cctx *cctx) { return cctx->pool; }

const cmz_params *cmz_cctx_params(const cmz_cctx *cctx) { return &cctx->params; }

uint64_t cmz_compress_bound(const cmz_params *params, uint64_t src_size) {
    cmz_params p;
    if (cmz_params_resolve(params, &p, NULL) != CMZ_OK) return 0;
    /* With CMZ_FILTER_AUTO the filter is not known yet: planes has the largest output. */
    cmz__frame_params fp = {
        .codec = (uint8_t)p.codec,
        .filter = (uint8_t)(p.filter == CMZ_FILTER_AUTO ? CMZ_FILTER_PLANES : p.filter),
        .typesize = (uint8_t)(p.filter == CMZ_FILTER_AUTO ? 2 : p.typesize),
        .chunk_size = p.chunk_size};
    uint64_t chunks = cmz__chunk_count(src_size, p.chunk_size);
    uint64_t record = cmz__record_bound(&fp, p.chunk_size);
    uint64_t per_chunk = record + CMZ_INDEX_ENTRY_SIZE;
    if (chunks && per_chunk > (UINT64_MAX - 1024) / chunks / 2) return 0;
    uint64_t parity = 0;
    if (p.parity_k) { /* per group: M records of the table and the longest record */
        uint64_t groups = (chunks + p.parity_k - 1) / p.parity_k;
        uint64_t per_group = p.parity_m * cmz__parity_record_size(p.parity_k, record);
        if (groups && per_group > (UINT64_MAX / 2) / groups) return 0;
        parity = groups * per_group;
    }
    uint64_t data = chunks * per_chunk;
    if (parity > UINT64_MAX / 2 - data - 1024) return 0;
    return CMZ_HEADER_SIZE + data + parity + CMZ_INDEX_FIXED_SIZE + CMZ_FOOTER_SIZE;
}

/* Encodes slot s's chunk into out[0..cap) with worker's codec context and scratch. */
static void encode_slot(encoder *e, slot *s, unsigned worker, uint8_t *out, size_t cap) {
    cmz__worker *w = &e->cctx->workers[worker];
    cmz_codec_ctx *c = cmz__worker_codec(w, e->cctx->codec);
    s->status = c ? cmz__chunk_encode(c, &e->fp, e->cctx->params.level, &w->filter, s->number,
                                      s->raw, s->raw_size, out, cap, &s->out_size, NULL)
                  : CMZ_ERR_NOMEM;
}

/* Reads a source's chunk into buf (the encoding thread's, or the slot's for the chunk that
 * chooses the filter). */
static cmz_status read_chunk(encoder *e, slot *s, cmz__hbuf *buf) {
    if (cmz__hbuf_grow(buf, e->cctx->params.chunk_size, 0) != 0) return CMZ_ERR_NOMEM;
    int64_t got = e->src->pread(e->src, buf->p, s->raw_size, s->src_offset);
    s->raw = buf->p;
    s->unread = 0;
    if (got == (int64_t)s->raw_size) return CMZ_OK;
    s->read_failed = 1;
    s->read_errno = got < 0 ? errno : 0;
    return got < 0 ? CMZ_ERR_IO : CMZ_ERR_TRUNCATED;
}

/* The error of a slot whose chunk could not be read. */
static cmz_status read_failure(encoder *e, const slot *s) {
    if (s->read_errno)
        return cmz__fail(e->err, CMZ_ERR_IO, s->number, s->src_offset,
                         "reading the input at offset %llu: %s", (unsigned long long)s->src_offset,
                         strerror(s->read_errno));
    return cmz__fail(e->err, CMZ_ERR_TRUNCATED, s->number, s->src_offset,
                     "the input ends before offset %llu: it had %llu bytes when compression "
                     "began (it shrank meanwhile)",
                     (unsigned long long)(s->src_offset + s->raw_size),
                     (unsigned long long)e->src_size);
}

/* Gives slot s a record buffer of thread b's and room in it for the record; waits while both
 * are taken. A thread's records are of chunks before s (the pool runs jobs in order), whose
 * writing needs no more than chunks before s: the wait ends, unless the encoder gives up. */
static cmz_status take_out(encoder *e, slot *s, thread_bufs *b) {
    cmz__monitor *m = &e->queue.monitor;
    pthread_mutex_lock(&m->mutex);
    while (free_out(m, b) < 0 && !cmz__oq_cancelled(&e->queue))
        pthread_cond_wait(&m->cond, &m->mutex);
    if (cmz__oq_cancelled(&e->queue)) {
        pthread_mutex_unlock(&m->mutex);
        return CMZ_ERR_INTERRUPTED; /* never read: the chunk is not written */
    }
    assert(!s->owner);
    s->which = free_out(m, b);
    b->out_busy[s->which] = 1;
    s->owner = b;
    pthread_mutex_unlock(&m->mutex);
    size_t need = cmz__record_bound(&e->fp, s->raw_size); /* the filter is settled by now */
    return cmz__hbuf_grow(&b->out[s->which], need, 0) != 0 ? CMZ_ERR_NOMEM : CMZ_OK;
}

/* Frees slot s's record buffer once the record is written. */
static void release_out(encoder *e, slot *s) {
    if (!s->owner) return;
    cmz__monitor *m = &e->queue.monitor;
    pthread_mutex_lock(&m->mutex);
    assert(s->owner->out_busy[s->which]);
    s->owner->out_busy[s->which] = 0;
    s->owner = NULL;
    pthread_cond_broadcast(&m->cond);
    pthread_mutex_unlock(&m->mutex);
}

static void encode_job(cmz__ordered_job *job, unsigned worker) {
    slot *s = (slot *)job;
    encoder *e = s->enc;
    thread_bufs *b = &e->cctx->bufs[worker];
    if ((s->status = take_out(e, s, b)) == CMZ_OK &&
        (!s->unread || (s->status = read_chunk(e, s, &b->raw)) == CMZ_OK))
        encode_slot(e, s, worker, b->out[s->which].p, b->out[s->which].cap);
    if (s->raw == b->raw.p) s->raw = NULL; /* the thread's next chunk goes there */
}

static cmz_status emit(encoder *e, const void *data, size_t n) {
    if (e->out) {
        if (n && e->out->write(e->out->opaque, data, n) != 0)
            return cmz__fail(e->err, CMZ_ERR_IO, CMZ_NO_POSITION, e->out_pos,
                             "writing the frame at offset %llu: %s", (unsigned long long)e->out_pos,
                             strerror(errno));
    } else {
        if (n > e->dst_cap - e->out_pos)
            return cmz__fail(e->err, CMZ_ERR_DST_TOO_SMALL, CMZ_NO_POSITION, e->out_pos,
                             "the frame does not fit in the %zu-byte destination", e->dst_cap);
        if (n) memcpy(e->dst + e->out_pos, data, n); /* an empty frame's index is NULL */
    }
    e->out_pos += n;
    return CMZ_OK;
}

/* Gives slot s its next chunk of input; returns 0 with s->raw_size == 0 at the end. */
static cmz_status fill(encoder *e, slot *s) {
    uint32_t cs = e->cctx->params.chunk_size;
    /* Slots outlive calls (they are the cctx's): nothing of a source call may stay. */
    s->unread = s->read_failed = s->read_errno = 0;
    if (e->mem) {
        uint64_t left = e->mem_size - e->mem_pos;
        s->raw = e->mem + e->mem_pos;
        s->raw_size = (uint32_t)(left < cs ? left : cs);
        e->mem_pos += s->raw_size;
        if (e->mem_pos == e->mem_size) e->eof = 1;
    } else if (e->src) {
        uint64_t left = e->src_size - e->src_pos;
        s->raw = NULL; /* read by the thread that encodes it, into its own buffer */
        s->raw_size = (uint32_t)(left < cs ? left : cs);
        s->src_offset = e->src_pos;
        s->unread = 1; /* by the worker that encodes it */
        e->src_pos += s->raw_size;
        if (e->src_pos == e->src_size) e->eof = 1;
    } else {
        if (cmz__hbuf_grow(&s->raw_buf, cs, 0) != 0)
            return cmz__error(e->err, CMZ_ERR_NOMEM, "no memory for a %u-byte chunk buffer",
                              (unsigned)cs);
        int64_t r = cmz__read_full(e->in, s->raw_buf.p, cs, e->cctx->params.interrupt);
        if (r < 0 && errno == EINTR) return cmz__error(e->err, CMZ_ERR_INTERRUPTED, "interrupted");
        if (r < 0)
            return cmz__fail(e->err, CMZ_ERR_IO, CMZ_NO_POSITION, e->info.content_size,
                             "reading the input at offset %llu: %s",
                             (unsigned long long)e->info.content_size, strerror(errno));
        s->raw = s->raw_buf.p;
        s->raw_size = (uint32_t)r;
        if ((uint64_t)r < cs) e->eof = 1;
    }
    e->info.content_size += s->raw_size;
    return CMZ_OK;
}

/* Encodes slot s on the calling thread. Into a memory destination with room for the record's
 * bound, it goes straight to its place (out_pos: the chunk before it is already written), so
 * nothing is copied; otherwise into the calling thread's record buffer. */
static cmz_status encode_inline(encoder *e, slot *s) {
    unsigned caller = e->cctx->nworkers;
    s->in_place = e->dst && e->dst_cap - e->out_pos >= cmz__record_bound(&e->fp, s->raw_size);
    if (s->in_place) {
        encode_slot(e, s, caller, e->dst + e->out_pos, (size_t)(e->dst_cap - e->out_pos));
    } else {
        thread_bufs *b = &e->cctx->bufs[caller];
        if (take_out(e, s, b) != CMZ_OK)
            return cmz__error(e->err, CMZ_ERR_NOMEM, "no memory for a %zu-byte output buffer",
                              cmz__record_bound(&e->fp, s->raw_size));
        encode_slot(e, s, caller, b->out[s->which].p, b->out[s->which].cap);
    }
    cmz__oq_add_done(&e->queue, &s->oj);
    return CMZ_OK;
}

static cmz_status add_index_entry(encoder *e, const slot *s) {
    size_t entries = e->index_len / CMZ_INDEX_ENTRY_SIZE;
    void *index = e->index;
    if (cmz__reserve(&index, &e->index_cap, CMZ_INDEX_ENTRY_SIZE, entries, entries + 1) != 0)
        return cmz__error(e->err, CMZ_ERR_NOMEM, "no memory for the frame index");
    e->index = index;
    uint32_t payload = (uint32_t)(s->out_size - CMZ_CHUNK_HEADER_SIZE);
    cmz__index_entry_write(e->index + e->index_len, e->out_pos, payload, s->raw_size);
    e->index_len += CMZ_INDEX_ENTRY_SIZE;
    e->info.payload_bytes += payload;
    if (payload == 0) e->info.zero_chunks++;
    else if (payload == s->raw_size) e->info.stored_chunks++;
    return CMZ_OK;
}

/* Writes the open group's M parity records and starts the next group. */
static cmz_status emit_parity(encoder *e) {
    cmz__parity_group *g = &e->group;
    uint8_t head[CMZ_CHUNK_HEADER_SIZE + CMZ_PARITY_MAX * CMZ_PARITY_ENTRY_SIZE];
    cmz_status st = CMZ_OK;
    for (unsigned j = 0; j < g->code.m && st == CMZ_OK; j++) {
        size_t n = cmz__parity_group_head(g, j, head);
        if ((st = emit(e, head, n)) == CMZ_OK) st = emit(e, g->shard[j], g->longest);
    }
    cmz__parity_group_next(g);
    return st;
}

/* Folds a written data record into its group's parity; a full group gets its parity now. */
static cmz_status add_to_parity(encoder *e, const slot *s, const uint8_t *record) {
    cmz_status st = cmz__parity_group_add(&e->group, record, s->out_size);
    if (st != CMZ_OK)
        return cmz__fail(e->err, st, s->number, e->out_pos,
                         "no memory for the parity of chunk %llu", (unsigned long long)s->number);
    return cmz__parity_group_full(&e->group) ? emit_parity(e) : CMZ_OK;
}

static cmz_status write_tail(encoder *e) {
    cmz_status st;
    /* the last group, when it is short, gets its parity before the index */
    if (e->parity && e->group.count && (st = emit_parity(e)) != CMZ_OK) return st;
    uint8_t head[16];
    uint64_t index_offset = e->out_pos;
    cmz__index_head_write(head, e->info.chunk_count);
    uint32_t crc = cmz_crc32c(cmz_crc32c(0, head, 16), e->index, e->index_len);
    uint8_t crc_le[4];
    cmz__put_le32(crc_le, crc);
    cmz__footer footer = {.index_offset = index_offset,
                          .content_size = e->info.content_size,
                          .chunk_count = e->info.chunk_count};
    footer.params = e->fp;
    uint8_t foot[CMZ_FOOTER_SIZE];
    cmz__footer_write(foot, &footer);
    if ((st = emit(e, head, 16)) || (st = emit(e, e->index, e->index_len)) ||
        (st = emit(e, crc_le, 4)) || (st = emit(e, foot, CMZ_FOOTER_SIZE)))
        return st;
    return CMZ_OK;
}

static cmz_status run_pipeline(encoder *e) {
    const cmz_params *p = &e->cctx->params;
    cmz_status st = CMZ_OK;
    /* Auto filter: the first chunk is read first, and the filter chosen on it before the
     * header (which records it) is written. */
    int first_filled = 0;
    if (p->filter == CMZ_FILTER_AUTO && !e->eof) {
        slot *s0 = &e->slots[0];
        if ((st = fill(e, s0)) != CMZ_OK) return st;
        if (s0->unread && (st = read_chunk(e, s0, &s0->raw_buf)) != CMZ_OK) {
            s0->number = 0;
            return st == CMZ_ERR_NOMEM
                       ? cmz__fail(e->err, st, 0, 0, "no memory for a %u-byte chunk buffer",
                                   (unsigned)p->chunk_size)
                       : read_failure(e, s0);
        }
        first_filled = e->slots[0].raw_size > 0;
    }
    if (p->filter == CMZ_FILTER_AUTO) {
        cmz_cctx *c = e->cctx;
        cmz__choose_filter(c->codec, &c->params, &c->workers[c->nworkers],
                           first_filled ? e->slots[0].raw : NULL,
                           first_filled ? e->slots[0].raw_size : 0, &e->fp);
    }
    uint8_t header[CMZ_HEADER_SIZE];
    cmz__header_write(header, &e->fp);
    if (e->parity && (st = cmz__parity_group_init(
                          &e->group, &e->fp, cmz__record_bound(&e->fp, p->chunk_size))) != CMZ_OK)
        return cmz__error(e->err, st, "no memory for the parity coder");
    if ((st = emit(e, header, CMZ_HEADER_SIZE)) != CMZ_OK) return st;

    /* From memory with one chunk in all, or on one thread, the calling thread encodes each
     * chunk itself: a hand-off to a worker would only make it wait. Then one chunk at a time is
     * in flight, since an in-place record's position is known only once the one before it is
     * written. A stream keeps its worker on one thread too, so that reading and writing
     * overlap the encoding. */
    int inline_chunks = e->mem && (e->mem_size <= p->chunk_size || e->cctx->threads == 1);
    unsigned in_flight = inline_chunks ? 1 : e->nslots;
    if (!inline_chunks && (st = cmz__pool_start(e->cctx->pool, e->err)) != CMZ_OK) return st;
    cmz__ordered_queue *q = &e->queue;
    while (st == CMZ_OK) {
        while ((!e->eof || first_filled) && cmz__oq_in_flight(q) < in_flight) {
            slot *s = &e->slots[cmz__oq_next_seq(q) % e->nslots];
            if (first_filled) first_filled = 0; /* slot 0 already holds chunk 0 */
            else if ((st = fill(e, s)) != CMZ_OK) break;
            if (s->raw_size == 0) break;
            s->number = cmz__oq_next_seq(q);
            s->in_place = 0;
            s->owner = NULL;
            /* Any free worker takes the chunk: chunks cost very different times (stored,
             * all-zero, text), and binding a slot to one worker (as the pipe decoder does,
             * for its cache) left one worker idle behind a slow chunk (see docs/BENCH.md,
             * "Figures behind constants in the code"). */
            if (inline_chunks) st = encode_inline(e, s);
            else cmz__oq_submit(q, &s->oj, -1);
            if (st != CMZ_OK) {
                s->unread = 0; /* never queued: nothing to wait for */
                break;
            }
        }
        if (st != CMZ_OK) break;
        slot *s = (slot *)cmz__oq_wait_oldest(q);
        if (!s) break;
        if (s->status != CMZ_OK && s->read_failed) {
            st = read_failure(e, s);
            break;
        }
        if (s->status != CMZ_OK) {
            st = cmz__fail(e->err, s->status, s->number, e->out_pos, "compressing chunk %llu: %s",
                           (unsigned long long)s->number, cmz_strerror(s->status));
            break;
        }
        const uint8_t *record = s->in_place ? e->dst + e->out_pos : s->owner->out[s->which].p;
        if ((st = add_index_entry(e, s)) != CMZ_OK) break;
        if (s->in_place) e->out_pos += s->out_size;
        else if ((st = emit(e, record, s->out_size)) != CMZ_OK) break;
        if (e->parity && (st = add_to_parity(e, s, record)) != CMZ_OK) break;
        release_out(e, s);
        cmz__oq_pop(q);
        e->info.chunk_count++;
        e->raw_done += s->raw_size;
        if (p->progress) p->progress(p->progress_opaque, e->raw_done, e->out_pos);
        if (cmz__interrupted(p->interrupt))
            st = cmz__error(e->err, CMZ_ERR_INTERRUPTED, "interrupted");
    }
    /* After a failure, jobs waiting for a record buffer that nothing will free give up; the
     * others finish, so that their buffers can be freed. */
    cmz__oq_drain(q);
    if (st == CMZ_OK) st = write_tail(e);
    /* The last report gives the totals (index and footer included), so that it reaches 100%. */
    if (st == CMZ_OK && p->progress)
        p->progress(p->progress_opaque, e->info.content_size, e->out_pos);
    return st;
}

static cmz_status encode(cmz_cctx *cctx, encoder *e, cmz_frame_info *info, cmz_error *err) {
    e->cctx = cctx;
    e->err = err;
    if (!cctx->slots) {
        cctx->slots = cmz__calloc(2 * (size_t)cctx->threads, sizeof *cctx->slots);
        if (!cctx->slots)
            return cmz__error(err, CMZ_ERR_NOMEM, "no memory for %u chunk slots",
                              2 * cctx->threads);
        cctx->nslots = 2 * cctx->threads;
    }
    e->slots = cctx->slots;
    e->nslots = cctx->nslots;
    const cmz_params *p = &cctx->params;
    e->fp =
        (cmz__frame_params){.codec = (uint8_t)p->codec,
                            .level = (int8_t)p->level,
                            .filter = (uint8_t)(p->filter == CMZ_FILTER_AUTO ? 0 : p->filter),
                            .typesize = (uint8_t)(p->filter == CMZ_FILTER_AUTO ? 1 : p->typesize),
                            .chunk_size = p->chunk_size};
    if (p->parity_k) {
        e->parity = true;
        e->fp.flags |= CMZ_FLAG_PARITY;
        e->fp.parity_k = (uint8_t)p->parity_k;
        e->fp.parity_m = (uint8_t)p->parity_m;
    }
    cmz_status st = cmz__oq_init(&e->queue, cctx->pool, e->nslots, err);
    if (st != CMZ_OK) return st;
    for (unsigned i = 0; i < e->nslots; i++) {
        e->slots[i].enc = e;
        e->slots[i].oj.run = encode_job;
    }
    /* Buffers outlive calls (they are the cctx's); a failed call left records in them. */
    for (unsigned i = 0; i <= cctx->nworkers; i++)
        memset(cctx->bufs[i].out_busy, 0, sizeof cctx->bufs[i].out_busy);
    st = run_pipeline(e);
    cmz__free(e->index);
    if (e->parity) cmz__parity_group_free(&e->group);
    cmz__oq_destroy(&e->queue);
    cmz__info_from_params(&e->info, &e->fp);
    e->info.frame_size = e->out_pos;
    if (info) *info = e->info;
    return st;
}

cmz_status cmz_compress(cmz_cctx *cctx, void *dst, size_t dst_capacity, size_t *dst_size,
                        const void *src, size_t src_size, cmz_error *err) {
    if (!cctx || !dst_size || (!dst && dst_capacity) || (!src && src_size))
        return cmz__error(err, CMZ_ERR_INVALID_ARG, "cmz_compress: NULL argument");
    encoder e;
    memset(&e, 0, sizeof e);
    e.mem = src ? src : (const uint8_t *)"";
    e.mem_size = src_size;
    e.eof = src_size == 0;
    e.dst = dst;
    e.dst_cap = dst_capacity;
    cmz_status st = encode(cctx, &e, NULL, err);
    if (st == CMZ_OK) *dst_size = (size_t)e.out_pos;
    return st;
}

cmz_status cmz_compress_source(cmz_cctx *cctx, const cmz_source *src, const cmz_output *out,
                               cmz_frame_info *info, cmz_error *err) {
    if (!cctx || !src || (!src->pread && !src->data) || !out || !out->write)
        return cmz__error(err, CMZ_ERR_INVALID_ARG, "cmz_compress_source: NULL argument");
    encoder e;
    memset(&e, 0, sizeof e);
    if (src->data) { /* in memory: encoded where it lies, as cmz_compress does */
        e.mem = src->data;
        e.mem_size = src->size;
    } else {
        e.src = src;
        e.src_size = src->size;
    }
    e.eof = src->size == 0;
    e.out = out;
    return encode(cctx, &e, info, err);
}

cmz_status cmz_compress_stream(cmz_cctx *cctx, const cmz_input *in, const cmz_output *out,
                               cmz_frame_info *info, cmz_error *err) {
    if (!cctx || !in || !in->read || !out || !out->write)
        return cmz__error(err, CMZ_ERR_INVALID_ARG, "cmz_compress_stream: NULL argument");
    encoder e;
    memset(&e, 0, sizeof e);
    e.in = in;
    e.out = out;
    return encode(cctx, &e, info, err);
}
