/* The parallel layer's internals: a fixed thread pool and the per-worker scratch shared by
 * compression, streaming decompression and random access. */
#ifndef CMZ_PARALLEL_INTERNAL_H
#define CMZ_PARALLEL_INTERNAL_H

#include <pthread.h>
#include <stdatomic.h>

#include "../frame/internal.h"
#include "cmz/parallel.h"

/* A job is owned by its submitter (no allocation in the pool); `fn` gets the index of the
 * worker running it (0..threads-1), which selects that worker's scratch. */
typedef struct cmz__job {
    void (*fn)(struct cmz__job *job, unsigned worker);
    struct cmz__job *next;
    int worker; /* the worker that must run it, or -1 for any (set by cmz__pool_submit*) */
} cmz__job;

/* The public cmz_pool (parallel.h) is this pool. */
typedef struct cmz_pool cmz__pool;

/* A pool of `threads` workers (1..CMZ__THREADS_MAX), none started yet. */
cmz__pool *cmz__pool_new(unsigned threads, cmz_error *err);
/* Starts the workers unless they run already; every submitter calls it before its first
 * submit, so that work done on the calling thread alone never starts a thread. Thread-safe
 * (contexts that share a pool start it from their own threads); allocates nothing, here or
 * on the workers, which outlive the call that started them. In a child of fork(), which has
 * none of the parent's workers, it starts the child's own. CMZ_ERR_THREAD when a worker
 * cannot start: then none runs, and a later call tries again. */
cmz_status cmz__pool_start(cmz__pool *pool, cmz_error *err);
/* The workers the pool runs once started: a job's worker index is below it. */
unsigned cmz__pool_threads(const cmz__pool *pool);
/* The workers running now (tests: a pool that had no work started none). */
unsigned cmz__pool_started(cmz__pool *pool);
/* Queues a job (FIFO) for any worker; the pool is started. Never fails. */
void cmz__pool_submit(cmz__pool *pool, cmz__job *job);
/* Queues a job for one worker (worker % threads). Pipelines give each chunk slot to the same
 * worker every time, so that its buffers stay in that core's cache instead of moving between
 * cores with every chunk. Never fails. */
void cmz__pool_submit_to(cmz__pool *pool, cmz__job *job, unsigned worker);
/* Joins the workers; every submitted job must have finished. */
void cmz__pool_free(cmz__pool *pool);

/* A mutex and the condition variable that goes with it (a monitor): the submitter of a batch
 * of jobs waits on it, the workers broadcast on it. */
typedef struct {
    pthread_mutex_t mutex;
    pthread_cond_t cond;
} cmz__monitor;
int cmz__monitor_init(cmz__monitor *m);
void cmz__monitor_destroy(cmz__monitor *m);
/* For asserts: whether some thread holds m's mutex (a function stated to run under the
 * monitor is not called without it). */
int cmz__monitor_held(cmz__monitor *m);

/* The ordered job queue: jobs run on the pool in any order and are taken back in the order
 * they were submitted, at most `capacity` in flight (backpressure: a full queue takes no
 * more until its oldest job is taken back). Compression, streaming decompression and random
 * access all submit chunks through it and write them in order.
 *
 * A job embeds cmz__ordered_job as its first member. The queue's monitor also guards what
 * the caller's jobs share with the submitter (buffers, failures): jobs may lock it and wait
 * on its condition, which the queue broadcasts whenever a job finishes or the queue is
 * cancelled. Only the submitting thread calls the cmz__oq_* functions below, except
 * cmz__oq_cancelled (any thread). */
typedef struct cmz__ordered_job {
    cmz__job job; /* first member: the pool hands back this pointer */
    void (*run)(struct cmz__ordered_job *job, unsigned worker); /* set by the caller */
    struct cmz__ordered_queue *queue;
    int done;   /* under queue->monitor */
    int pooled; /* handed to the pool (else the submitter runs it: cmz__oq_run_here) */
} cmz__ordered_job;

typedef struct cmz__ordered_queue {
    cmz__monitor monitor;
    cmz__pool *pool;
    cmz__ordered_job **ring; /* jobs in flight: ring[head % capacity .. tail % capacity) */
    unsigned capacity;
    uint64_t head, tail;  /* sequence numbers: the oldest job in flight, the next to submit */
    atomic_int cancelled; /* written under the monitor: jobs not yet started do not run */
} cmz__ordered_queue;

/* capacity >= 1. Fails (CMZ_ERR_NOMEM, CMZ_ERR_THREAD) with nothing to destroy. */
cmz_status cmz__oq_init(cmz__ordered_queue *q, cmz__pool *pool, unsigned capacity, cmz_error *err);
/* Nothing may be in flight (cmz__oq_drain first). */
void cmz__oq_destroy(cmz__ordered_queue *q);
static inline unsigned cmz__oq_in_flight(const cmz__ordered_queue *q) {
    return (unsigned)(q->tail - q->head);
}
static inline int cmz__oq_full(const cmz__ordered_queue *q) {
    return cmz__oq_in_flight(q) >= q->capacity;
}
/* The sequence number the next submitted job gets (0, 1, ... since init or the last drain):
 * callers with a ring of `capacity` slots use slot tail % capacity. */
static inline uint64_t cmz__oq_next_seq(const cmz__ordered_queue *q) { return q->tail; }
/* Queues job j (the queue must not be full) on any worker (worker < 0) or on pool thread
 * worker % threads. */
void cmz__oq_submit(cmz__ordered_queue *q, cmz__ordered_job *j, int worker);
/* Adds job j, already finished by the caller itself, in its place in the order. */
void cmz__oq_add_done(cmz__ordered_queue *q, cmz__ordered_job *j);
/* Adds job j in its place in the order, to be run by the submitter (cmz__oq_run_here) when
 * it has nothing else to do; drain never waits for it. */
void cmz__oq_add_pending(cmz__ordered_queue *q, cmz__ordered_job *j);
/* Runs pending job j on the calling thread (worker: whose scratch) and marks it done. */
void cmz__oq_run_here(cmz__ordered_queue *q, cmz__ordered_job *j, unsigned worker);
/* The oldest job in flight when it has finished, else NULL (does not wait). */
cmz__ordered_job *cmz__oq_poll_oldest(cmz__ordered_queue *q);
/* Waits for the oldest job in flight to finish and returns it, still in flight (its slot
 * stays the caller's until cmz__oq_pop); NULL when none is in flight. */
cmz__ordered_job *cmz__oq_wait_oldest(cmz__ordered_queue *q);
/* Takes the oldest job (finished: cmz__oq_wait_oldest returned it) out of the queue. */
void cmz__oq_pop(cmz__ordered_queue *q);
/* Marks the queue cancelled and wakes every waiter: jobs not yet started are skipped (their
 * results are whatever the caller left in them), jobs that wait on the monitor for something
 * only the submitter frees see cmz__oq_cancelled and give up. */
void cmz__oq_cancel(cmz__ordered_queue *q);
static inline int cmz__oq_cancelled(cmz__ordered_queue *q) {
    return atomic_load_explicit(&q->cancelled, memory_order_relaxed);
}
/* After a failure or at the end: cancels, waits for every pooled job in flight to finish or
 * be skipped, and empties the queue, which can then be used again (sequence numbers from 0,
 * not cancelled). */
void cmz__oq_drain(cmz__ordered_queue *q);

/* One codec context per worker per codec id, created on first use. */
typedef struct {
    cmz_codec_ctx *codec[CMZ_CODEC_ID_MAX + 1];
    cmz__hbuf record; /* random access: a chunk record read from a non-memory source */
    uint8_t *raw_buf; /* random access: a chunk decoded only partly into the caller's range */
    size_t raw_cap;
    cmz__scratch filter; /* filtered bytes on their way into or out of the codec */
} cmz__worker;

cmz_codec_ctx *cmz__worker_codec(cmz__worker *w, const cmz_codec *codec);
void cmz__worker_release(cmz__worker *w);
/* A context's scratch for a pool of `threads` workers and the calling thread: *workers
 * (*nworkers + 1 entries, or NULL) becomes threads + 1 entries, the old ones released, unless
 * it has that size already. CMZ_ERR_NOMEM leaves it as it was. */
cmz_status cmz__workers_fit(cmz__worker **workers, unsigned *nworkers, unsigned threads,
                            cmz_error *err);
/* Frees what cmz__workers_fit made (NULL: nothing). */
void cmz__workers_free(cmz__worker *workers, unsigned nworkers);

/* A caller's interrupt flag (cmz_params.interrupt, cmz_dparams.interrupt; may be NULL). */
static inline int cmz__interrupted(const volatile sig_atomic_t *flag) { return flag && *flag; }

/* Reads exactly n bytes unless the input ends; returns bytes read or -1 (errno). A read
 * interrupted by a signal is retried unless the interrupt flag is set (then -1, EINTR). */
int64_t cmz__read_full(const cmz_input *in, void *buf, size_t n,
                       const volatile sig_atomic_t *interrupt);

/* The decompression context (shared by decompress_stream.c and reader.c). */
struct cmz_dctx {
    cmz_dparams params;   /* defaults resolved: threads >= 1, memory_limit > 0 */
    cmz__pool *own;       /* its own pool (threads), started only if used */
    cmz__pool *pool;      /* the pool in use: own, or one shared (cmz_dctx_ref_pool) */
    unsigned threads;     /* chunks decoded at once (params.threads) */
    unsigned nworkers;    /* the pool's threads */
    cmz__worker *workers; /* nworkers + 1: workers[nworkers] is the calling thread's */
};

/* Frees what the pool's workers hold for the context (codec contexts, chunk and record
 * buffers: what a call of many chunks used); keeps the calling thread's scratch, which a
 * one-chunk call uses. Between calls. */
void cmz__cctx_trim(cmz_cctx *cctx);
void cmz__dctx_trim(cmz_dctx *dctx);
/* The pool a context works on (its own, or the one it refers to). */
cmz__pool *cmz__cctx_pool(const cmz_cctx *cctx);

/* CMZ_FILTER_AUTO (filter_choice.c): compresses a sample of the first chunk raw[0..n) (up
 * to 4 slices of 64 KiB spread over it) with each candidate filter and type size and sets
 * fp->filter and fp->typesize to the smallest result's; ties keep the simpler. Runs on w's
 * scratch (the calling thread's). Any failure (memory) leaves fp as it was: never an error. */
void cmz__choose_filter(const cmz_codec *codec, const cmz_params *p, cmz__worker *w,
                        const uint8_t *raw, size_t n, cmz__frame_params *fp);

/* What one chunk in flight costs a decoder, charged against the memory limit: a record (or
 * payload) buffer and a chunk buffer, each as the huge pages it may fill (common.c). */
uint64_t cmz__decode_cost(const cmz__frame_params *p);

/* Random access (reader.c, reader_write.c). */
struct cmz_frame_reader {
    cmz_dctx *dctx;
    cmz_source src;
    cmz__frame_index fi;
    const cmz_codec *codec;
};

/* Reads chunk i's record (from memory or with pread into w's record buffer), checks it
 * against its index entry and decodes the whole chunk (entries[i].raw_size bytes) into dst. */
cmz_status cmz__reader_decode_chunk(cmz_frame_reader *r, cmz__worker *w, uint64_t i, uint8_t *dst,
                                    cmz_error *e);
/* CMZ_ERR_RANGE unless [offset, offset+length) lies inside the content. */
cmz_status cmz__reader_check_range(const cmz_frame_reader *r, uint64_t offset, uint64_t length,
                                   cmz_error *err);
/* The CMZ_ERR_LIMIT failure when not even one chunk fits the memory limit. */
cmz_status cmz__reader_over_limit(const cmz_frame_reader *r, cmz_error *err);

#endif
