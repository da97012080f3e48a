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
    unsigned threads; /* workers started */
    pthread_t *tids;
    int locks; /* mutex and wake initialised (cmz__pool_free of a pool built in part) */
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

static int init_locks(cmz__pool *pool) {
    if (pthread_mutex_init(&pool->mutex, NULL) != 0) return -1;
    if (pthread_cond_init(&pool->wake, NULL) != 0) {
        pthread_mutex_destroy(&pool->mutex);
        return -1;
    }
    pool->locks = 1;
    return 0;
}

/* Starts the workers, counting them in pool->threads, so that cmz__pool_free joins those
 * started when one fails. */
static cmz_status start_workers(cmz__pool *pool, unsigned threads, cmz_error *err) {
    /* Workers block every signal, so that a SIGINT always reaches the application's own
     * threads (a caller waiting in read() on a slow pipe is woken by it). */
    sigset_t all, saved;
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &saved);
    cmz_status st = CMZ_OK;
    for (unsigned i = 0; i < threads && st == CMZ_OK; i++) {
        worker_arg *arg = cmz__malloc(sizeof *arg);
        if (arg) {
            arg->pool = pool;
            arg->index = i;
        }
        if (arg && pthread_create(&pool->tids[i], NULL, worker_main, arg) == 0) {
            pool->threads++;
            continue;
        }
        cmz__free(arg);
        st = cmz__error(err, arg ? CMZ_ERR_THREAD : CMZ_ERR_NOMEM,
                        "could not start worker thread %u of %u", i + 1, threads);
    }
    pthread_sigmask(SIG_SETMASK, &saved, NULL);
    return st;
}

cmz__pool *cmz__pool_new(unsigned threads, cmz_error *err) {
    /* Built in place; cmz__pool_free takes a pool built in part, the one cleanup path. */
    cmz_status st = CMZ_OK;
    cmz__pool *pool = cmz__calloc(1, sizeof *pool);
    if (pool) pool->tids = cmz__calloc(threads, sizeof *pool->tids);
    if (!pool || !pool->tids)
        st = cmz__error(err, CMZ_ERR_NOMEM, "no memory for a pool of %u threads", threads);
    else if (init_locks(pool) != 0)
        st = cmz__error(err, CMZ_ERR_THREAD, "could not create the pool's locks");
    else st = start_workers(pool, threads, err);
    if (st != CMZ_OK) {
        cmz__pool_free(pool);
        return NULL;
    }
    return pool;
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
    if (pool->locks) {
        stop_and_join(pool, pool->threads);
        assert(!pool->head); /* every submitted job ran: workers leave only an empty queue */
        pthread_cond_destroy(&pool->wake);
        pthread_mutex_destroy(&pool->mutex);
    }
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

int cmz__monitor_held(cmz__monitor *m) { return cmz__mutex_held(&m->mutex); }

void cmz__monitor_destroy(cmz__monitor *m) {
    pthread_cond_destroy(&m->cond);
    pthread_mutex_destroy(&m->mutex);
}
