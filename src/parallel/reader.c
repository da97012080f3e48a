/* Decompression contexts, random access through the index, and one-shot decompression
 * (random access over the whole content, decoding every chunk straight into the caller's
 * buffer on all workers). */
#include "internal.h"

#include <assert.h>
#include <errno.h>
#include <stdatomic.h>
#include <string.h>

cmz_dparams cmz_dparams_default(void) {
    cmz_dparams p;
    memset(&p, 0, sizeof p);
    return p;
}

/* Defaults into *out; a set reserved field is a field of a newer version, not ignored. */
static cmz_status dparams_resolve(const cmz_dparams *in, cmz_dparams *out, cmz_error *err) {
    cmz_dparams p = in ? *in : cmz_dparams_default();
    cmz_status st = CMZ__RESERVED_CHECK(&p, "cmz_dparams", err);
    if (st != CMZ_OK) return st;
    if (p.threads == 0) p.threads = cmz_cpu_count();
    if (p.threads > CMZ__THREADS_MAX) p.threads = CMZ__THREADS_MAX;
    if (p.memory_limit == 0) p.memory_limit = CMZ_DEFAULT_MEMORY_LIMIT;
    *out = p;
    return CMZ_OK;
}

cmz_dctx *cmz_dctx_new(const cmz_dparams *params, cmz_error *err) {
    cmz_dparams p;
    if (dparams_resolve(params, &p, err) != CMZ_OK) return NULL;
    /* Built in place; cmz_dctx_free takes a context built in part, the one cleanup path. */
    cmz_dctx *dctx = cmz__calloc(1, sizeof *dctx);
    if (!dctx) {
        cmz__error(err, CMZ_ERR_NOMEM, "no memory for a decompression context");
        return NULL;
    }
    dctx->params = p;
    dctx->threads = p.threads;
    if (!(dctx->own = cmz__pool_new(p.threads, err)) ||
        cmz_dctx_ref_pool(dctx, NULL, err) != CMZ_OK) {
        cmz_dctx_free(dctx);
        return NULL;
    }
    return dctx;
}

cmz_status cmz_dctx_ref_pool(cmz_dctx *dctx, cmz_pool *pool, cmz_error *err) {
    if (!dctx) return cmz__error(err, CMZ_ERR_INVALID_ARG, "cmz_dctx_ref_pool: NULL context");
    cmz__pool *use = pool ? pool : dctx->own;
    cmz_status st = cmz__workers_fit(&dctx->workers, &dctx->nworkers, cmz__pool_threads(use), err);
    if (st == CMZ_OK) dctx->pool = use;
    return st;
}

void cmz_dctx_free(cmz_dctx *dctx) {
    if (!dctx) return;
    cmz__pool_free(dctx->own);
    cmz__workers_free(dctx->workers, dctx->nworkers);
    cmz__free(dctx);
}

void cmz__dctx_trim(cmz_dctx *dctx) {
    for (unsigned i = 0; i < dctx->nworkers; i++) cmz__worker_release(&dctx->workers[i]);
}

cmz_status cmz_frame_reader_open(cmz_dctx *dctx, const cmz_source *src, cmz_frame_reader **reader,
                                 cmz_error *err) {
    if (!dctx || !src || !src->pread || !reader)
        return cmz__error(err, CMZ_ERR_INVALID_ARG, "cmz_frame_reader_open: NULL argument");
    *reader = NULL;
    cmz_frame_reader *r = cmz__calloc(1, sizeof *r);
    if (!r) return cmz__error(err, CMZ_ERR_NOMEM, "no memory for a frame reader");
    r->dctx = dctx;
    r->src = *src;
    cmz_status st = cmz__frame_index_load(src, dctx->params.memory_limit, &r->fi, err);
    if (st != CMZ_OK) {
        cmz_frame_reader_close(r); /* takes a reader built in part */
        return st;
    }
    r->codec = cmz_codec_by_id(r->fi.params.codec);
    *reader = r;
    return CMZ_OK;
}

const cmz_frame_info *cmz_frame_reader_info(const cmz_frame_reader *r) { return &r->fi.info; }

void cmz_frame_reader_close(cmz_frame_reader *r) {
    if (!r) return;
    cmz__frame_index_free(&r->fi);
    cmz__free(r);
}

/* One read call: workers take chunk numbers from a shared counter until the range is done or
 * a chunk fails (the failure with the lowest chunk number is the one reported). */
typedef struct {
    cmz__ordered_job oj; /* first member: the queue hands back this pointer */
    struct range_read *rr;
} range_job;

typedef struct range_read {
    cmz_frame_reader *r;
    uint64_t offset, end; /* content range [offset, end) */
    uint8_t *dst;
    uint64_t first, last; /* chunks */
    atomic_uint_fast64_t next;
    atomic_int stop;
    cmz__ordered_queue queue; /* its monitor guards the failure below */
    cmz_status status;
    cmz_error err;
    uint64_t err_chunk;
} range_read;

static void record_failure(range_read *rr, uint64_t chunk, cmz_status st, const cmz_error *e) {
    pthread_mutex_lock(&rr->queue.monitor.mutex);
    if (rr->status == CMZ_OK || chunk < rr->err_chunk) {
        rr->status = st;
        rr->err = *e;
        rr->err_chunk = chunk;
    }
    pthread_mutex_unlock(&rr->queue.monitor.mutex);
    atomic_store(&rr->stop, 1);
}

cmz_status cmz__reader_decode_chunk(cmz_frame_reader *r, cmz__worker *w, uint64_t i, uint8_t *dst,
                                    cmz_error *e) {
    const cmz__index_entry *entry = &r->fi.entries[i];
    uint64_t at = r->fi.frame_start + entry->record_offset;
    size_t record_size = CMZ_CHUNK_HEADER_SIZE + (size_t)entry->payload_size;
    const uint8_t *record;
    if (r->src.data) {
        /* index_load checked that records lie inside the source */
        assert(at <= r->src.size && record_size <= r->src.size - at);
        record = r->src.data + at;
    } else {
        if (cmz__hbuf_grow(&w->record, record_size,
                           cmz__record_bound(&r->fi.params, r->fi.params.chunk_size)))
            return cmz__fail(e, CMZ_ERR_NOMEM, i, at, "no memory to read chunk %llu",
                             (unsigned long long)i);
        int64_t got = r->src.pread(&r->src, w->record.p, record_size, at);
        if (got < 0)
            return cmz__fail(e, CMZ_ERR_IO, i, at, "reading chunk %llu at offset %llu: %s",
                             (unsigned long long)i, (unsigned long long)at, strerror(errno));
        if ((size_t)got != record_size)
            return cmz__fail(e, CMZ_ERR_TRUNCATED, i, at, "chunk %llu at offset %llu is cut short",
                             (unsigned long long)i, (unsigned long long)at);
        record = w->record.p;
    }
    cmz__chunk_header h;
    cmz_status st = cmz__chunk_header_parse(record, &r->fi.params, at, &h, e);
    if (st != CMZ_OK) {
        /* A damaged header cannot say its number; the index says which chunk lives here. */
        if (e->chunk == CMZ_NO_POSITION) e->chunk = i;
        return st;
    }
    if (h.kind != CMZ_KIND_DATA || h.number != i || h.payload_size != entry->payload_size ||
        h.raw_size != entry->raw_size)
        return cmz__fail(e, CMZ_ERR_CORRUPT, i, at,
                         "chunk record at offset %llu does not match index entry %llu",
                         (unsigned long long)at, (unsigned long long)i);
    cmz_codec_ctx *c = cmz__worker_codec(w, r->codec);
    if (!c) return cmz__fail(e, CMZ_ERR_NOMEM, i, at, "no memory for a codec context");
    return cmz__chunk_decode(c, &r->fi.params, &w->filter, &h, record + CMZ_CHUNK_HEADER_SIZE, dst,
                             at, e);
}

/* Chunk i into the caller's range: straight into dst when the range covers the whole chunk,
 * else decoded aside and the overlap copied. */
static cmz_status decode_one(range_read *rr, cmz__worker *w, uint64_t i, cmz_error *e) {
    cmz_frame_reader *r = rr->r;
    uint64_t chunk_start = i * (uint64_t)r->fi.params.chunk_size;
    uint64_t chunk_end = chunk_start + r->fi.entries[i].raw_size;
    if (chunk_start >= rr->offset && chunk_end <= rr->end)
        return cmz__reader_decode_chunk(r, w, i, rr->dst + (chunk_start - rr->offset), e);
    if (cmz__grow(&w->raw_buf, &w->raw_cap, r->fi.entries[i].raw_size))
        return cmz__fail(e, CMZ_ERR_NOMEM, i, r->fi.frame_start + r->fi.entries[i].record_offset,
                         "no memory to decode chunk %llu", (unsigned long long)i);
    cmz_status st = cmz__reader_decode_chunk(r, w, i, w->raw_buf, e);
    if (st != CMZ_OK) return st;
    uint64_t from = rr->offset > chunk_start ? rr->offset : chunk_start;
    uint64_t to = rr->end < chunk_end ? rr->end : chunk_end;
    memcpy(rr->dst + (from - rr->offset), w->raw_buf + (from - chunk_start), (size_t)(to - from));
    return CMZ_OK;
}

static void range_work(range_read *rr, unsigned worker) {
    cmz__worker *w = &rr->r->dctx->workers[worker];
    const cmz_dparams *p = &rr->r->dctx->params;
    while (!atomic_load(&rr->stop)) {
        uint64_t i = atomic_fetch_add(&rr->next, 1);
        if (i > rr->last) break;
        cmz_error e;
        cmz_error_clear(&e);
        cmz_status st = cmz__interrupted(p->interrupt)
                            ? cmz__fail(&e, CMZ_ERR_INTERRUPTED, i, CMZ_NO_POSITION, "interrupted")
                            : decode_one(rr, w, i, &e);
        if (st != CMZ_OK) record_failure(rr, i, st, &e);
    }
}

static void range_job_fn(cmz__ordered_job *job, unsigned worker) {
    range_work(((range_job *)job)->rr, worker);
}

cmz_status cmz__reader_check_range(const cmz_frame_reader *r, uint64_t offset, uint64_t length,
                                   cmz_error *err) {
    uint64_t size = r->fi.content_size;
    if (offset > size || length > size - offset)
        return cmz__fail(err, CMZ_ERR_RANGE, CMZ_NO_POSITION, offset,
                         "range %llu+%llu goes past the end of the %llu-byte content",
                         (unsigned long long)offset, (unsigned long long)length,
                         (unsigned long long)size);
    return CMZ_OK;
}

cmz_status cmz__reader_over_limit(const cmz_frame_reader *r, cmz_error *err) {
    return cmz__fail(err, CMZ_ERR_LIMIT, CMZ_NO_POSITION, r->fi.frame_start,
                     "the frame's %u-byte chunks need %llu bytes to decode, over the memory "
                     "limit of %llu bytes",
                     (unsigned)r->fi.params.chunk_size,
                     (unsigned long long)cmz__decode_cost(&r->fi.params),
                     (unsigned long long)r->dctx->params.memory_limit);
}

cmz_status cmz_frame_reader_read(cmz_frame_reader *r, uint64_t offset, size_t length, void *dst,
                                 cmz_error *err) {
    if (!r || (!dst && length))
        return cmz__error(err, CMZ_ERR_INVALID_ARG, "cmz_frame_reader_read: NULL argument");
    cmz_status st = cmz__reader_check_range(r, offset, length, err);
    if (st != CMZ_OK) return st;
    if (length == 0) return CMZ_OK;
    cmz_dctx *dctx = r->dctx;
    uint32_t cs = r->fi.params.chunk_size;
    range_read rr;
    memset(&rr, 0, sizeof rr);
    rr.r = r;
    rr.offset = offset;
    rr.end = offset + length;
    rr.dst = dst;
    rr.first = offset / cs;
    rr.last = (rr.end - 1) / cs;
    atomic_init(&rr.next, rr.first);
    atomic_init(&rr.stop, 0);
    /* Workers in use: no more than chunks to decode, nor than the memory limit allows. */
    uint64_t per_worker = cmz__decode_cost(&r->fi.params);
    uint64_t chunks = rr.last - rr.first + 1;
    uint64_t fits = dctx->params.memory_limit / per_worker;
    if (fits == 0) return cmz__reader_over_limit(r, err);
    uint64_t n = dctx->threads;
    if (n > dctx->nworkers) n = dctx->nworkers; /* a shared pool may have fewer threads */
    if (n > chunks) n = chunks;
    if (n > fits) n = fits;
    assert(n >= 1 && n <= CMZ__THREADS_MAX);
    if (n > 1 && (st = cmz__pool_start(dctx->pool, err)) != CMZ_OK) return st;
    /* The queue's monitor guards the failure even when the calling thread works alone. */
    if ((st = cmz__oq_init(&rr.queue, dctx->pool, (unsigned)n, err)) != CMZ_OK) return st;
    if (n == 1) {
        range_work(&rr, dctx->nworkers); /* the calling thread's own scratch */
    } else {
        range_job jobs[CMZ__THREADS_MAX];
        for (unsigned k = 0; k < n; k++) {
            jobs[k].oj.run = range_job_fn;
            jobs[k].rr = &rr;
            /* Job k on pool thread k: scratch is per thread, so n jobs use n threads' (any
             * thread taking any job would leave buffers in more of them than fit). */
            cmz__oq_submit(&rr.queue, &jobs[k].oj, (int)k);
        }
        while (cmz__oq_wait_oldest(&rr.queue)) cmz__oq_pop(&rr.queue);
    }
    cmz__oq_destroy(&rr.queue);
    if (rr.status != CMZ_OK && err) *err = rr.err;
    return rr.status;
}

cmz_status cmz_decompress(cmz_dctx *dctx, void *dst, size_t dst_capacity, size_t *dst_size,
                          const void *src, size_t src_size, cmz_error *err) {
    if (!dctx || !dst_size || (!src && src_size) || (!dst && dst_capacity))
        return cmz__error(err, CMZ_ERR_INVALID_ARG, "cmz_decompress: NULL argument");
    cmz_source s;
    cmz_source_memory(&s, src ? src : "", src_size);
    cmz_frame_reader *r;
    cmz_status st = cmz_frame_reader_open(dctx, &s, &r, err);
    if (st != CMZ_OK) return st;
    uint64_t size = r->fi.content_size;
    if (size > dst_capacity)
        st = cmz__error(err, CMZ_ERR_DST_TOO_SMALL,
                        "the frame holds %llu bytes; the destination has room for %zu",
                        (unsigned long long)size, dst_capacity);
    else if (r->fi.frame_start != 0)
        st = cmz__fail(err, CMZ_ERR_CORRUPT, CMZ_NO_POSITION, 0,
                       "%llu bytes before the frame: one-shot decompression takes one frame "
                       "(use the streaming decoder for concatenated frames)",
                       (unsigned long long)r->fi.frame_start);
    else st = cmz_frame_reader_read(r, 0, (size_t)size, dst, err);
    if (st == CMZ_OK) *dst_size = (size_t)size;
    cmz_frame_reader_close(r);
    return st;
}
