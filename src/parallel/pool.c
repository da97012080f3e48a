/* A fixed pool of worker threads with a FIFO of caller-owned jobs. The threads start on the
 * first call that needs them (cmz__pool_start), so that a context whose work all runs on the
 * calling thread (one chunk, or one thread) never starts one. */
#include "internal.h"

#include <assert.h>
#include <signal.h>
#include <stdbool.h>
#include <string.h>
#include <unistd.h>

struct cmz_pool {
    pthread_mutex_t mutex;
    pthread_cond_t wake;
    cmz__job *head, *tail;
    int stopping;
    unsigned size;            /* workers it runs once started */
    unsigned started;         /* workers running; under start_mu */
    atomic_int ready;         /* all `size` workers run: jobs may be submitted */
    pthread_mutex_t start_mu; /* one cmz__pool_start at a time (contexts share a pool) */
    pthread_t *tids;
    struct worker_arg *args; /* one per worker, the pool's: a worker frees nothing of its own */
    atomic_int pid; /* the process the workers run in (a child of fork() has none of them) */
    int locks;      /* the mutexes and wake initialised (cmz__pool_free of a pool built in part) */
};

typedef struct worker_arg {
    cmz__pool *pool;
    unsigned index;
} worker_arg;

static void *worker_main(void *p) {
    const worker_arg *arg = p;
    cmz__pool *pool = arg->pool;
    unsigned index = arg->index;
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

/* Stops and joins the workers started (under start_mu, or alone at the end); the pool can be
 * started again. */
static void stop_and_join(cmz__pool *pool) {
    pthread_mutex_lock(&pool->mutex);
    pool->stopping = 1;
    pthread_cond_broadcast(&pool->wake);
    pthread_mutex_unlock(&pool->mutex);
    for (unsigned i = 0; i < pool->started; i++) pthread_join(pool->tids[i], NULL);
    pool->started = 0;
    pool->stopping = 0;
}

static int init_locks(cmz__pool *pool) {
    if (pthread_mutex_init(&pool->mutex, NULL) != 0) return -1;
    if (pthread_mutex_init(&pool->start_mu, NULL) != 0) {
        pthread_mutex_destroy(&pool->mutex);
        return -1;
    }
    if (pthread_cond_init(&pool->wake, NULL) != 0) {
        pthread_mutex_destroy(&pool->start_mu);
        pthread_mutex_destroy(&pool->mutex);
        return -1;
    }
    pool->locks = 1;
    return 0;
}

/* Starts the workers, counting them in pool->started; when one fails, those started are
 * joined again (nothing was submitted yet), so that the next call may try anew. */
static cmz_status start_workers(cmz__pool *pool, cmz_error *err) {
    unsigned threads = pool->size;
    /* Workers block every signal, so that a SIGINT always reaches the application's own
     * threads (a caller waiting in read() on a slow pipe is woken by it). */
    sigset_t all, saved;
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &saved);
    cmz_status st = CMZ_OK;
    for (unsigned i = 0; i < threads && st == CMZ_OK; i++) {
        pool->args[i] = (worker_arg){pool, i};
        if (pthread_create(&pool->tids[i], NULL, worker_main, &pool->args[i]) == 0) {
            pool->started++;
            continue;
        }
        st = cmz__error(err, CMZ_ERR_THREAD, "could not start worker thread %u of %u", i + 1,
                        threads);
    }
    pthread_sigmask(SIG_SETMASK, &saved, NULL);
    if (st != CMZ_OK) stop_and_join(pool);
    return st;
}

cmz__pool *cmz__pool_new(unsigned threads, cmz_error *err) {
    assert(threads >= 1 && threads <= CMZ__THREADS_MAX);
    /* Built in place; cmz__pool_free takes a pool built in part, the one cleanup path. */
    cmz_status st = CMZ_OK;
    cmz__pool *pool = cmz__calloc(1, sizeof *pool);
    if (pool) {
        pool->tids = cmz__calloc(threads, sizeof *pool->tids);
        pool->args = cmz__calloc(threads, sizeof *pool->args);
    }
    if (!pool || !pool->tids || !pool->args)
        st = cmz__error(err, CMZ_ERR_NOMEM, "no memory for a pool of %u threads", threads);
    else if (init_locks(pool) != 0)
        st = cmz__error(err, CMZ_ERR_THREAD, "could not create the pool's locks");
    if (st != CMZ_OK) {
        cmz__pool_free(pool);
        return NULL;
    }
    pool->size = threads;
    atomic_init(&pool->ready, 0);
    atomic_init(&pool->pid, 0);
    return pool;
}

/* In a child of fork() the workers the parent started are not there (fork copies only the
 * calling thread): the pool is as never started, its lock and condition made anew (a worker
 * may have held or waited on them at the fork) and the parent's queued jobs dropped. */
static void forget_parent_workers(cmz__pool *pool) {
    pthread_mutex_init(&pool->mutex, NULL);
    pthread_cond_init(&pool->wake, NULL);
    pool->head = pool->tail = NULL;
    pool->stopping = 0;
    pool->started = 0;
    atomic_store_explicit(&pool->ready, 0, memory_order_relaxed);
}

static bool workers_elsewhere(const cmz__pool *pool) {
    return pool->started && atomic_load_explicit(&pool->pid, memory_order_relaxed) != getpid();
}

cmz_status cmz__pool_start(cmz__pool *pool, cmz_error *err) {
    if (atomic_load_explicit(&pool->ready, memory_order_acquire) &&
        atomic_load_explicit(&pool->pid, memory_order_relaxed) == getpid())
        return CMZ_OK;
    pthread_mutex_lock(&pool->start_mu);
    cmz_status st = CMZ_OK;
    if (workers_elsewhere(pool)) forget_parent_workers(pool);
    if (!atomic_load_explicit(&pool->ready, memory_order_relaxed)) {
        assert(pool->started == 0);
        atomic_store_explicit(&pool->pid, (int)getpid(), memory_order_relaxed);
        if ((st = start_workers(pool, err)) == CMZ_OK)
            atomic_store_explicit(&pool->ready, 1, memory_order_release);
    }
    pthread_mutex_unlock(&pool->start_mu);
    return st;
}

unsigned cmz__pool_threads(const cmz__pool *pool) { return pool->size; }

unsigned cmz__pool_started(cmz__pool *pool) {
    pthread_mutex_lock(&pool->start_mu);
    unsigned n = pool->started;
    pthread_mutex_unlock(&pool->start_mu);
    return n;
}

static void enqueue(cmz__pool *pool, cmz__job *job, int worker) {
    assert(atomic_load_explicit(&pool->ready, memory_order_relaxed)); /* cmz__pool_start */
    assert(job->fn && worker < (int)pool->size);
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
    enqueue(pool, job, (int)(worker % pool->size));
}

void cmz__pool_free(cmz__pool *pool) {
    if (!pool) return;
    if (pool->locks) {
        if (workers_elsewhere(pool)) forget_parent_workers(pool);
        stop_and_join(pool);
        assert(!pool->head); /* every submitted job ran: workers leave only an empty queue */
        pthread_cond_destroy(&pool->wake);
        pthread_mutex_destroy(&pool->start_mu);
        pthread_mutex_destroy(&pool->mutex);
    }
    cmz__free(pool->tids);
    cmz__free(pool->args);
    cmz__free(pool);
}

cmz_pool *cmz_pool_new(unsigned threads, cmz_error *err) {
    if (threads == 0) threads = cmz_cpu_count();
    if (threads > CMZ__THREADS_MAX) threads = CMZ__THREADS_MAX;
    return cmz__pool_new(threads, err);
}

void cmz_pool_free(cmz_pool *pool) { cmz__pool_free(pool); }

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
