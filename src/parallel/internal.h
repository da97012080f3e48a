/* The parallel layer's internals: a fixed thread pool and the per-worker scratch shared by
 * compression, streaming decompression and random access. */
#ifndef CMZ_PARALLEL_INTERNAL_H
#define CMZ_PARALLEL_INTERNAL_H

#include <pthread.h>

#include "../frame/internal.h"
#include "cmz/parallel.h"

/* A job is owned by its submitter (no allocation in the pool); `fn` gets the index of the
 * worker running it (0..threads-1), which selects that worker's scratch. */
typedef struct cmz__job {
    void (*fn)(struct cmz__job *job, unsigned worker);
    struct cmz__job *next;
    int worker; /* the worker that must run it, or -1 for any (set by cmz__pool_submit*) */
} cmz__job;

typedef struct cmz__pool cmz__pool;

cmz__pool *cmz__pool_new(unsigned threads, cmz_error *err);
/* Queues a job (FIFO) for any worker. Never fails. */
void cmz__pool_submit(cmz__pool *pool, cmz__job *job);
/* Queues a job for one worker (worker % threads). Pipelines give each chunk slot to the same
 * worker every time, so that its buffers stay in that core's cache instead of moving between
 * cores with every chunk. Never fails. */
void cmz__pool_submit_to(cmz__pool *pool, cmz__job *job, unsigned worker);
/* Joins the workers; every submitted job must have finished. */
void cmz__pool_free(cmz__pool *pool);

/* Completion tracking for a batch of jobs: the submitter waits, workers signal. */
typedef struct {
    pthread_mutex_t mutex;
    pthread_cond_t cond;
} cmz__signal;
int cmz__signal_init(cmz__signal *s);
void cmz__signal_destroy(cmz__signal *s);

/* One codec context per worker per codec id, created on first use. */
typedef struct {
    cmz_codec_ctx *codec[CMZ_CODEC_ID_MAX + 1];
    cmz__hbuf record; /* random access: a chunk record read from a non-memory source */
    uint8_t *raw_buf;    /* random access: a chunk decoded only partly into the caller's range */
    size_t raw_cap;
    cmz__scratch filter; /* filtered bytes on their way into or out of the codec */
} cmz__worker;

cmz_codec_ctx *cmz__worker_codec(cmz__worker *w, const cmz_codec *codec);
void cmz__worker_release(cmz__worker *w);

/* Worker threads a context starts at most, whatever was asked. */
#define CMZ__THREADS_MAX 256u

/* A caller's interrupt flag (cmz_params.interrupt, cmz_dparams.interrupt; may be NULL). */
static inline int cmz__interrupted(const volatile sig_atomic_t *flag) { return flag && *flag; }

/* Reads exactly n bytes unless the input ends; returns bytes read or -1 (errno). A read
 * interrupted by a signal is retried unless the interrupt flag is set (then -1, EINTR). */
int64_t cmz__read_full(const cmz_input *in, void *buf, size_t n,
                       const volatile sig_atomic_t *interrupt);

/* The decompression context (shared by decompress_stream.c and reader.c). */
struct cmz_dctx {
    cmz_dparams params; /* defaults resolved: threads >= 1, memory_limit > 0 */
    cmz__pool *pool;
    unsigned threads;
    cmz__worker *workers; /* threads + 1: the last one is the calling thread's */
};

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
cmz_status cmz__reader_decode_chunk(cmz_frame_reader *r, cmz__worker *w, uint64_t i,
                                    uint8_t *dst, cmz_error *e);
/* CMZ_ERR_RANGE unless [offset, offset+length) lies inside the content. */
cmz_status cmz__reader_check_range(const cmz_frame_reader *r, uint64_t offset,
                                   uint64_t length, cmz_error *err);
/* The CMZ_ERR_LIMIT failure when not even one chunk fits the memory limit. */
cmz_status cmz__reader_over_limit(const cmz_frame_reader *r, cmz_error *err);


#endif
