/* Random access to an output stream: content bytes [offset, offset+length) are written in
 * order while chunks ahead are read and decoded, at most two per thread in memory.
 *
 * Every decoding thread reads its own records (pread, or straight from memory). The streaming
 * decoder cannot: it learns where a record ends only by reading it, so one thread reads
 * everything, and on two cores that reader takes turns with the decoders (cmz -d -T2 spent 30
 * ms of its 280 ms of CPU in read copies, against 9 ms at -T1). With the index, every
 * record's place is known before any is read.
 *
 * With two threads or more the calling thread is one of the decoders and writes between
 * chunks, so -T2 runs two threads on two cores instead of two decoders and a writer that
 * wakes for every chunk. With one thread, a worker decodes and the caller only writes, so
 * that writing a file overlaps decoding.
 *
 * Each decoding thread decodes into slots of its own, whichever chunk it is given: a slot that
 * two cores write in turn moves its lines between their caches with every chunk, which costs
 * CPU (see docs/BENCH.md, "Figures behind constants in the code"). */
#include "internal.h"

#include <assert.h>
#include <errno.h>
#include <string.h>

typedef struct ahead ahead;

typedef struct {
    cmz__ordered_job oj; /* first member: the queue hands back this pointer */
    ahead *a;
    uint64_t chunk;
    cmz__hbuf raw;
    cmz_status status;
    cmz_error err;
    int busy; /* holds a chunk not yet written; the caller's alone */
} ahead_slot;

struct ahead {
    cmz_frame_reader *r;
    cmz__ordered_queue queue; /* the chunks in flight, in the order they are written */
    ahead_slot *slots;        /* slot k belongs to decoder k % ndecoders */
    unsigned nslots;
    unsigned ndecoders;
    int caller_decodes;    /* decoder 0 is the calling thread (its chunks wait for it) */
    unsigned next_decoder; /* the decoder the next chunk is offered to first */
    uint64_t next_submit;  /* next chunk to start; chunks in flight: the queue's */
    uint64_t last;         /* last chunk of the range */
};

/* A free slot of the decoder's own, or -1. */
static int free_slot(const ahead *a, unsigned decoder) {
    for (unsigned k = decoder; k < a->nslots; k += a->ndecoders)
        if (!a->slots[k].busy) return (int)k;
    return -1;
}

/* Decodes the slot's chunk (on a worker, or on the calling thread). */
static void decode_job(cmz__ordered_job *job, unsigned worker) {
    ahead_slot *s = (ahead_slot *)job;
    cmz_frame_reader *r = s->a->r;
    const cmz__index_entry *entry = &r->fi.entries[s->chunk];
    cmz_error_clear(&s->err);
    if (cmz__hbuf_grow(&s->raw, entry->raw_size ? entry->raw_size : 1, 0))
        s->status =
            cmz__fail(&s->err, CMZ_ERR_NOMEM, s->chunk, r->fi.frame_start + entry->record_offset,
                      "no memory to decode chunk %llu", (unsigned long long)s->chunk);
    else
        s->status =
            cmz__reader_decode_chunk(r, &r->dctx->workers[worker], s->chunk, s->raw.p, &s->err);
}

/* Starts chunks while the queue has room: each goes to the next decoder in turn with a slot
 * of its own free, pinned to that decoder's pool thread (read buffers are per thread, and
 * any thread taking any chunk would leave one behind in each of them, over the memory
 * limit). The caller's own chunks wait in the queue until it has nothing else to do. */
static void submit_chunks(ahead *a) {
    cmz__ordered_queue *q = &a->queue;
    while (a->next_submit <= a->last && !cmz__oq_full(q)) {
        int k = -1;
        unsigned d = a->next_decoder;
        for (unsigned tries = 0; tries < a->ndecoders && k < 0; tries++) {
            d = (a->next_decoder + tries) % a->ndecoders;
            k = free_slot(a, d);
        }
        assert(k >= 0); /* the queue holds no more chunks than there are slots */
        a->next_decoder = (d + 1) % a->ndecoders;
        ahead_slot *s = &a->slots[k];
        s->busy = 1;
        s->chunk = a->next_submit++;
        if (a->caller_decodes && d == 0) cmz__oq_add_pending(q, &s->oj);
        else cmz__oq_submit(q, &s->oj, (int)(a->caller_decodes ? d - 1 : d));
    }
}

/* The caller's earliest chunk still waiting for it, or NULL. */
static ahead_slot *own_pending(ahead *a) {
    ahead_slot *first = NULL;
    for (unsigned k = 0; a->caller_decodes && k < a->nslots; k += a->ndecoders) {
        ahead_slot *s = &a->slots[k];
        if (s->busy && !s->oj.done && (!first || s->chunk < first->chunk)) first = s;
    }
    return first;
}

/* Chunks in flight: two per thread (one decoding, one waiting to be written), fewer when the
 * memory limit says so or the range is short. 0 when not even one fits. Each slot is charged
 * a chunk and a record: the records are the decoding threads' read buffers, and there are
 * never more decoding threads than slots. */
static unsigned slots_for(const cmz_frame_reader *r, uint64_t chunks) {
    const cmz__frame_params *p = &r->fi.params;
    uint64_t per_slot = cmz__decode_cost(p);
    uint64_t n = 2 * (uint64_t)r->dctx->threads;
    uint64_t fits = r->dctx->params.memory_limit / per_slot;
    if (n > fits) n = fits;
    if (n > chunks) n = chunks;
    return (unsigned)n;
}

/* Writes the slot's chunk's part of [offset, end); reports progress. */
static cmz_status write_chunk(ahead *a, const ahead_slot *s, uint64_t offset, uint64_t end,
                              const cmz_output *out, uint64_t *written, cmz_error *err) {
    cmz_frame_reader *r = a->r;
    uint64_t i = s->chunk;
    const cmz__index_entry *e = &r->fi.entries[i];
    uint64_t chunk_start = i * (uint64_t)r->fi.params.chunk_size;
    uint64_t from = offset > chunk_start ? offset : chunk_start;
    uint64_t to = end < chunk_start + e->raw_size ? end : chunk_start + e->raw_size;
    if (out->write(out->opaque, s->raw.p + (from - chunk_start), (size_t)(to - from)))
        return cmz__fail(err, CMZ_ERR_IO, i, CMZ_NO_POSITION,
                         "writing the output at offset %llu: %s", (unsigned long long)*written,
                         strerror(errno));
    *written += to - from;
    const cmz_dparams *p = &r->dctx->params;
    if (p->progress) {
        /* Input read so far: the frame up to this record's end; the whole frame (index and
         * footer included) once its last chunk is written, so that a bar reaches 100%. */
        uint64_t in = i + 1 == r->fi.chunk_count
                          ? r->fi.info.frame_size
                          : e->record_offset + CMZ_CHUNK_HEADER_SIZE + e->payload_size;
        p->progress(p->progress_opaque, in, *written);
    }
    return CMZ_OK;
}

/* The caller's part: writes chunks in order, decoding one of its own whenever the next to
 * write is not ready (with two threads or more). */
static cmz_status run(ahead *a, uint64_t offset, uint64_t end, const cmz_output *out,
                      cmz_error *err) {
    cmz__ordered_queue *q = &a->queue;
    const cmz_dparams *p = &a->r->dctx->params;
    cmz_status st = CMZ_OK;
    uint64_t written = 0;
    for (;;) {
        /* Only this thread reads the interrupt flag (a signal handler's, or the caller's own):
         * chunks already started finish, nothing more is written or started. */
        if (cmz__interrupted(p->interrupt)) {
            st = cmz__error(err, CMZ_ERR_INTERRUPTED, "interrupted");
            break;
        }
        submit_chunks(a);
        ahead_slot *s = (ahead_slot *)cmz__oq_poll_oldest(q);
        if (!s) {
            if (cmz__oq_in_flight(q) == 0) break; /* all written */
            ahead_slot *mine = own_pending(a);
            if (mine) {
                cmz__oq_run_here(q, &mine->oj, a->r->dctx->nworkers);
                continue;
            }
            s = (ahead_slot *)cmz__oq_wait_oldest(q);
        }
        if (s->status != CMZ_OK) {
            st = s->status;
            if (err) *err = s->err;
            break;
        }
        if ((st = write_chunk(a, s, offset, end, out, &written, err)) != CMZ_OK) break;
        cmz__oq_pop(q);
        s->busy = 0;
    }
    /* Workers still decoding own their slots until they stop. */
    cmz__oq_drain(q);
    return st;
}

cmz_status cmz_frame_reader_write(cmz_frame_reader *r, uint64_t offset, uint64_t length,
                                  const cmz_output *out, cmz_error *err) {
    if (!r || !out || !out->write)
        return cmz__error(err, CMZ_ERR_INVALID_ARG, "cmz_frame_reader_write: NULL argument");
    cmz_status st = cmz__reader_check_range(r, offset, length, err);
    if (st != CMZ_OK) return st;
    if (length == 0) return CMZ_OK;
    uint32_t cs = r->fi.params.chunk_size;
    uint64_t end = offset + length;
    ahead a;
    memset(&a, 0, sizeof a);
    a.r = r;
    a.next_submit = offset / cs;
    a.last = (end - 1) / cs;
    a.nslots = slots_for(r, a.last - a.next_submit + 1);
    if (a.nslots == 0) return cmz__reader_over_limit(r, err);
    /* Decoding threads, the caller's included from two threads: no more than slots, whose
     * charge covers their read buffers. With one thread, a worker decodes and the caller
     * only writes. */
    a.caller_decodes = r->dctx->threads >= 2;
    a.ndecoders = r->dctx->threads < a.nslots ? r->dctx->threads : a.nslots;
    if ((st = cmz__pool_start(r->dctx->pool, err)) != CMZ_OK ||
        (st = cmz__oq_init(&a.queue, r->dctx->pool, a.nslots, err)) != CMZ_OK)
        return st;
    if (!(a.slots = cmz__calloc(a.nslots, sizeof *a.slots))) {
        st = cmz__error(err, CMZ_ERR_NOMEM, "no memory for %u chunk slots", a.nslots);
    } else {
        for (unsigned k = 0; k < a.nslots; k++) {
            a.slots[k].oj.run = decode_job;
            a.slots[k].a = &a;
        }
        st = run(&a, offset, end, out, err);
    }
    for (unsigned k = 0; a.slots && k < a.nslots; k++) cmz__hbuf_free(&a.slots[k].raw);
    cmz__free(a.slots);
    cmz__oq_destroy(&a.queue);
    return st;
}
