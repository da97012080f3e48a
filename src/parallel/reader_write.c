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
 * Each decoding thread decodes into slots of its own, whichever chunk it takes: a slot that
 * two cores write in turn moves its lines between their caches with every chunk, and cmz -d
 * -T2 spent 13% more CPU decoding (a ring of slots shared by chunk number: 195 against 173
 * ms for 256 MiB, median of 8; two one-thread processes at once: 174 each). */
#include "internal.h"

#include <errno.h>
#include <string.h>

#define NO_CHUNK UINT64_MAX

typedef struct {
    cmz__hbuf raw;
    cmz_status status;
    cmz_error err;
    int busy; /* holds a chunk not yet written */
    int done; /* ... and that chunk is decoded */
} ahead_slot;

typedef struct ahead ahead;

typedef struct {
    cmz__job job; /* first member */
    ahead *a;
    unsigned decoder; /* whose slots it decodes into */
    int running;      /* queued or decoding; guarded by a->sig.mutex */
} ahead_worker;

struct ahead {
    cmz_frame_reader *r;
    cmz__signal sig; /* guards what follows */
    ahead_slot *slots;   /* slot k belongs to decoder k % ndecoders */
    unsigned nslots;
    unsigned ndecoders;
    unsigned *slot_of;   /* chunk i in flight lies in slots[slot_of[i % nslots]] */
    uint64_t last;       /* last chunk of the range */
    uint64_t next_claim; /* next chunk to decode */
    uint64_t next_write; /* next chunk to write; chunks in flight: [next_write, next_claim) */
    int stop;            /* a failure or the end: claim nothing more */
    int caller_waits;
    ahead_worker *workers;
    unsigned nworkers;
};

static ahead_slot *slot_of(ahead *a, uint64_t chunk) {
    return &a->slots[a->slot_of[chunk % a->nslots]];
}

/* A free slot of the decoder's own, or -1. Under a->sig.mutex. */
static int free_slot(const ahead *a, unsigned decoder) {
    for (unsigned k = decoder; k < a->nslots; k += a->ndecoders)
        if (!a->slots[k].busy) return (int)k;
    return -1;
}

/* The next chunk for the decoder, in a slot of its own, or NO_CHUNK when none may start
 * (the end, a failure, or its slots all taken). Every chunk in flight holds a slot, so there
 * are never more than nslots of them. Under a->sig.mutex. */
static uint64_t claim(ahead *a, unsigned decoder) {
    int k = free_slot(a, decoder);
    if (a->stop || a->next_claim > a->last || k < 0) return NO_CHUNK;
    uint64_t i = a->next_claim++;
    a->slot_of[i % a->nslots] = (unsigned)k;
    a->slots[k].busy = 1;
    a->slots[k].done = 0;
    return i;
}

/* Decodes chunk i into its slot (outside the lock), then marks it done. */
static void decode_chunk(ahead *a, uint64_t i, cmz__worker *w) {
    cmz_frame_reader *r = a->r;
    ahead_slot *s = slot_of(a, i);
    const cmz__index_entry *entry = &r->fi.entries[i];
    cmz_error_clear(&s->err);
    if (cmz__hbuf_grow(&s->raw, entry->raw_size ? entry->raw_size : 1, 0))
        s->status = cmz__fail(&s->err, CMZ_ERR_NOMEM, i,
                              r->fi.frame_start + entry->record_offset,
                              "no memory to decode chunk %llu", (unsigned long long)i);
    else
        s->status = cmz__reader_decode_chunk(r, w, i, s->raw.p, &s->err);
    pthread_mutex_lock(&a->sig.mutex);
    s->done = 1;
    if (a->caller_waits) pthread_cond_signal(&a->sig.cond);
    pthread_mutex_unlock(&a->sig.mutex);
}

/* A pool worker decodes chunks until none may start, then stops (the caller queues it again
 * when slots free up). */
static void worker_job(cmz__job *job, unsigned worker) {
    ahead_worker *aw = (ahead_worker *)job;
    ahead *a = aw->a;
    pthread_mutex_lock(&a->sig.mutex);
    for (uint64_t i; (i = claim(a, aw->decoder)) != NO_CHUNK;) {
        pthread_mutex_unlock(&a->sig.mutex);
        decode_chunk(a, i, &a->r->dctx->workers[worker]);
        pthread_mutex_lock(&a->sig.mutex);
    }
    aw->running = 0;
    if (a->caller_waits) pthread_cond_signal(&a->sig.cond);
    pthread_mutex_unlock(&a->sig.mutex);
}

/* Queues each stopped worker that could start a chunk now: one is left and a slot of its own
 * is free. Under the mutex (the pool's own lock is taken inside it, never the other way
 * round). */
static void wake_workers(ahead *a) {
    if (a->stop || a->next_claim > a->last) return;
    for (unsigned k = 0; k < a->nworkers; k++) {
        if (a->workers[k].running || free_slot(a, a->workers[k].decoder) < 0) continue;
        a->workers[k].running = 1;
        /* Always on pool thread k: read buffers are per thread, and any thread taking the
         * job would leave one behind in each of them (over the memory limit). */
        cmz__pool_submit_to(a->r->dctx->pool, &a->workers[k].job, k);
    }
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

/* Writes chunk i's part of [offset, end) from its slot; reports progress. */
static cmz_status write_chunk(ahead *a, uint64_t i, uint64_t offset, uint64_t end,
                              const cmz_output *out, uint64_t *written, cmz_error *err) {
    cmz_frame_reader *r = a->r;
    const cmz__index_entry *e = &r->fi.entries[i];
    uint64_t chunk_start = i * (uint64_t)r->fi.params.chunk_size;
    uint64_t from = offset > chunk_start ? offset : chunk_start;
    uint64_t to = end < chunk_start + e->raw_size ? end : chunk_start + e->raw_size;
    if (out->write(out->opaque, slot_of(a, i)->raw.p + (from - chunk_start),
                   (size_t)(to - from)))
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

/* The caller's part: writes chunks in order, decoding one itself whenever the next to write
 * is not ready and a chunk may start (with two threads or more). */
static cmz_status run(ahead *a, uint64_t offset, uint64_t end, const cmz_output *out,
                      int caller_decodes, cmz_error *err) {
    /* The caller is decoder 0 when it decodes; the workers are the others. */
    cmz__worker *own = &a->r->dctx->workers[a->r->dctx->threads];
    const cmz_dparams *p = &a->r->dctx->params;
    cmz_status st = CMZ_OK;
    uint64_t written = 0;
    pthread_mutex_lock(&a->sig.mutex);
    while (a->next_write <= a->last) {
        /* Only this thread reads the interrupt flag (a signal handler's, or the caller's own):
         * chunks already started finish, nothing more is written or started. */
        if (cmz__interrupted(p->interrupt)) {
            st = cmz__fail(err, CMZ_ERR_INTERRUPTED, CMZ_NO_POSITION, CMZ_NO_POSITION,
                           "interrupted");
            break;
        }
        wake_workers(a);
        uint64_t i = a->next_write;
        ahead_slot *s = slot_of(a, i);
        if (i < a->next_claim && s->done) {
            pthread_mutex_unlock(&a->sig.mutex);
            if (s->status != CMZ_OK) {
                st = s->status;
                if (err) *err = s->err;
            } else {
                st = write_chunk(a, i, offset, end, out, &written, err);
            }
            pthread_mutex_lock(&a->sig.mutex);
            if (st != CMZ_OK) break;
            s->busy = 0;
            a->next_write++;
            continue;
        }
        uint64_t mine = caller_decodes ? claim(a, 0) : NO_CHUNK;
        if (mine != NO_CHUNK) {
            pthread_mutex_unlock(&a->sig.mutex);
            decode_chunk(a, mine, own);
            pthread_mutex_lock(&a->sig.mutex);
            continue;
        }
        a->caller_waits = 1;
        pthread_cond_wait(&a->sig.cond, &a->sig.mutex);
        a->caller_waits = 0;
    }
    /* Workers still decoding own their slots until they stop. */
    a->stop = 1;
    for (;;) {
        unsigned busy = 0;
        for (unsigned k = 0; k < a->nworkers; k++) busy += a->workers[k].running != 0;
        if (!busy) break;
        a->caller_waits = 1;
        pthread_cond_wait(&a->sig.cond, &a->sig.mutex);
        a->caller_waits = 0;
    }
    pthread_mutex_unlock(&a->sig.mutex);
    return st;
}

cmz_status cmz_frame_reader_write(cmz_frame_reader *r, uint64_t offset, uint64_t length,
                                  const cmz_output *out, cmz_error *err) {
    if (!r || !out || !out->write)
        return cmz__fail(err, CMZ_ERR_INVALID_ARG, CMZ_NO_POSITION, CMZ_NO_POSITION,
                         "cmz_frame_reader_write: NULL argument");
    cmz_status st = cmz__reader_check_range(r, offset, length, err);
    if (st != CMZ_OK) return st;
    if (length == 0) return CMZ_OK;
    uint32_t cs = r->fi.params.chunk_size;
    uint64_t end = offset + length;
    ahead a;
    memset(&a, 0, sizeof a);
    a.r = r;
    a.next_claim = a.next_write = offset / cs;
    a.last = (end - 1) / cs;
    a.nslots = slots_for(r, a.last - a.next_write + 1);
    if (a.nslots == 0) return cmz__reader_over_limit(r, err);
    /* Decoding threads, the caller's included from two threads: no more than slots, whose
     * charge covers their read buffers. */
    int caller_decodes = r->dctx->threads >= 2;
    unsigned decoders = r->dctx->threads < a.nslots ? r->dctx->threads : a.nslots;
    a.nworkers = caller_decodes ? decoders - 1 : 1;
    if (cmz__signal_init(&a.sig) != 0)
        return cmz__fail(err, CMZ_ERR_THREAD, CMZ_NO_POSITION, CMZ_NO_POSITION,
                         "could not create a lock");
    a.ndecoders = decoders;
    a.slots = cmz__calloc(a.nslots, sizeof *a.slots);
    a.slot_of = cmz__calloc(a.nslots, sizeof *a.slot_of);
    a.workers = cmz__calloc(a.nworkers, sizeof *a.workers);
    if (!a.slots || !a.slot_of || !a.workers) {
        st = cmz__fail(err, CMZ_ERR_NOMEM, CMZ_NO_POSITION, CMZ_NO_POSITION,
                       "no memory for %u chunk slots", a.nslots);
    } else {
        for (unsigned k = 0; k < a.nworkers; k++) {
            a.workers[k].job.fn = worker_job;
            a.workers[k].a = &a;
            a.workers[k].decoder = caller_decodes ? k + 1 : k;
        }
        st = run(&a, offset, end, out, caller_decodes, err);
    }
    for (unsigned k = 0; a.slots && k < a.nslots; k++) cmz__hbuf_free(&a.slots[k].raw);
    cmz__free(a.slots);
    cmz__free(a.slot_of);
    cmz__free(a.workers);
    cmz__signal_destroy(&a.sig);
    return st;
}
