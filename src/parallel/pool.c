/* A fixed pool of worker threads with a FIFO of caller-owned jobs. */
#include "internal.h"

#include <assert.h>
#include <signal.h>
#include <string.h>

struct cmz__pool {
    pthread_mutex_t mutex;
    pthread_cond_t wake;
    cmz__job *head, *tail;
    int stopping;
    unsigned threads;
    pthread_t *tids;
};

typedef struct {
    cmz__pool *pool;
    unsigned index;
} worker_arg;

static void *worker_main(void *p) {
    worker_arg *arg = p;
    cmz__pool *pool = arg->pool;
    unsigned index = arg->index;
    cmz__free(arg);
    pthread_mutex_lock(&pool->mutex);
    for (;;) {
        /* The first job this worker may run (the queue holds a few jobs: a short scan). */
        cmz__job *job, *prev;
        for (;;) {
            for (prev = NULL, job = pool->head; job; prev = job, job = job->next)
                if (job->worker < 0 || (unsigned)job->worker == index) break;
            if (job || pool->stopping) break;
            pthread_cond_wait(&pool->wake, &pool->mutex);
        }
        if (!job) break; /* stopping and nothing left for this worker */
        if (prev) prev->next = job->next;
        else pool->head = job->next;
        if (pool->tail == job) pool->tail = prev;
        pthread_mutex_unlock(&pool->mutex);
        job->fn(job, index);
        pthread_mutex_lock(&pool->mutex);
    }
    pthread_mutex_unlock(&pool->mutex);
    return NULL;
}

static void stop_and_join(cmz__pool *pool, unsigned started) {
    pthread_mutex_lock(&pool->mutex);
    pool->stopping = 1;
    pthread_cond_broadcast(&pool->wake);
    pthread_mutex_unlock(&pool->mutex);
    for (unsigned i = 0; i < started; i++) pthread_join(pool->tids[i], NULL);
}

cmz__pool *cmz__pool_new(unsigned threads, cmz_error *err) {
    cmz__pool *pool = cmz__calloc(1, sizeof *pool);
    if (pool) pool->tids = cmz__calloc(threads, sizeof *pool->tids);
    if (!pool || !pool->tids) {
        cmz__free(pool);
        cmz__fail(err, CMZ_ERR_NOMEM, CMZ_NO_POSITION, CMZ_NO_POSITION,
                  "no memory for a pool of %u threads", threads);
        return NULL;
    }
    if (pthread_mutex_init(&pool->mutex, NULL) != 0) goto fail_mutex;
    if (pthread_cond_init(&pool->wake, NULL) != 0) goto fail_cond;
    pool->threads = threads;
    /* Workers block every signal, so that a SIGINT always reaches the application's own
     * threads (a caller waiting in read() on a slow pipe is woken by it). */
    sigset_t all, saved;
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &saved);
    for (unsigned i = 0; i < threads; i++) {
        worker_arg *arg = cmz__malloc(sizeof *arg);
        if (arg) {
            arg->pool = pool;
            arg->index = i;
        }
        if (!arg || pthread_create(&pool->tids[i], NULL, worker_main, arg) != 0) {
            pthread_sigmask(SIG_SETMASK, &saved, NULL);
            cmz__free(arg);
            stop_and_join(pool, i);
            pthread_cond_destroy(&pool->wake);
            pthread_mutex_destroy(&pool->mutex);
            cmz__free(pool->tids);
            cmz__free(pool);
            cmz__fail(err, arg ? CMZ_ERR_THREAD : CMZ_ERR_NOMEM, CMZ_NO_POSITION,
                      CMZ_NO_POSITION, "could not start worker thread %u of %u", i + 1,
                      threads);
            return NULL;
        }
    }
    pthread_sigmask(SIG_SETMASK, &saved, NULL);
    return pool;
fail_cond:
    pthread_mutex_destroy(&pool->mutex);
fail_mutex:
    cmz__free(pool->tids);
    cmz__free(pool);
    cmz__fail(err, CMZ_ERR_THREAD, CMZ_NO_POSITION, CMZ_NO_POSITION,
              "could not create the pool's locks");
    return NULL;
}

static void enqueue(cmz__pool *pool, cmz__job *job, int worker) {
    assert(job->fn && worker < (int)pool->threads);
    job->next = NULL;
    job->worker = worker;
    pthread_mutex_lock(&pool->mutex);
    if (pool->tail) pool->tail->next = job;
    else pool->head = job;
    pool->tail = job;
    /* A job for one worker must wake that one: wake all (there are few). */
    if (worker < 0) pthread_cond_signal(&pool->wake);
    else pthread_cond_broadcast(&pool->wake);
    pthread_mutex_unlock(&pool->mutex);
}

void cmz__pool_submit(cmz__pool *pool, cmz__job *job) { enqueue(pool, job, -1); }

void cmz__pool_submit_to(cmz__pool *pool, cmz__job *job, unsigned worker) {
    enqueue(pool, job, (int)(worker % pool->threads));
}

void cmz__pool_free(cmz__pool *pool) {
    if (!pool) return;
    stop_and_join(pool, pool->threads);
    assert(!pool->head); /* every submitted job ran: workers leave only an empty queue */
    pthread_cond_destroy(&pool->wake);
    pthread_mutex_destroy(&pool->mutex);
    cmz__free(pool->tids);
    cmz__free(pool);
}

int cmz__monitor_init(cmz__monitor *m) {
    if (pthread_mutex_init(&m->mutex, NULL) != 0) return -1;
    if (pthread_cond_init(&m->cond, NULL) != 0) {
        pthread_mutex_destroy(&m->mutex);
        return -1;
    }
    return 0;
}

int cmz__monitor_held(cmz__monitor *m) {
    if (pthread_mutex_trylock(&m->mutex) != 0) return 1;
    pthread_mutex_unlock(&m->mutex);
    return 0;
}

void cmz__monitor_destroy(cmz__monitor *m) {
    pthread_cond_destroy(&m->cond);
    pthread_mutex_destroy(&m->mutex);
}
