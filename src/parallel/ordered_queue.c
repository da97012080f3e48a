/* The ordered job queue (internal.h): jobs run on the pool in any order, the submitter takes
 * them back in the order it submitted them. */
#include "internal.h"

#include <assert.h>

cmz_status cmz__oq_init(cmz__ordered_queue *q, cmz__pool *pool, unsigned capacity, cmz_error *err) {
    assert(pool && capacity >= 1);
    memset(q, 0, sizeof *q);
    atomic_init(&q->cancelled, 0);
    q->ring = cmz__calloc(capacity, sizeof *q->ring);
    if (!q->ring)
        return cmz__error(err, CMZ_ERR_NOMEM, "no memory for a queue of %u jobs", capacity);
    if (cmz__monitor_init(&q->monitor) != 0) {
        cmz__free(q->ring);
        q->ring = NULL;
        return cmz__error(err, CMZ_ERR_THREAD, "could not create a lock");
    }
    q->pool = pool;
    q->capacity = capacity;
    return CMZ_OK;
}

void cmz__oq_destroy(cmz__ordered_queue *q) {
    if (!q->ring) return; /* its init failed, or destroyed already */
    assert(cmz__oq_in_flight(q) == 0);
    cmz__monitor_destroy(&q->monitor);
    cmz__free(q->ring);
    q->ring = NULL;
}

/* The pool runs this for every submitted job: the caller's work (unless the queue was
 * cancelled before it started), then the job is done. */
static void run_job(cmz__job *job, unsigned worker) {
    cmz__ordered_job *j = (cmz__ordered_job *)job;
    cmz__ordered_queue *q = j->queue;
    if (!cmz__oq_cancelled(q)) j->run(j, worker);
    pthread_mutex_lock(&q->monitor.mutex);
    assert(!j->done);
    j->done = 1;
    pthread_cond_broadcast(&q->monitor.cond);
    pthread_mutex_unlock(&q->monitor.mutex);
}

static void place(cmz__ordered_queue *q, cmz__ordered_job *j, int done, int pooled) {
    assert(!cmz__oq_full(q) && j->run);
    j->queue = q;
    j->done = done; /* not yet visible to any worker: no lock needed */
    j->pooled = pooled;
    q->ring[q->tail++ % q->capacity] = j;
}

void cmz__oq_submit(cmz__ordered_queue *q, cmz__ordered_job *j, int worker) {
    place(q, j, 0, 1);
    j->job.fn = run_job;
    if (worker < 0) cmz__pool_submit(q->pool, &j->job);
    else cmz__pool_submit_to(q->pool, &j->job, (unsigned)worker);
}

void cmz__oq_add_done(cmz__ordered_queue *q, cmz__ordered_job *j) { place(q, j, 1, 0); }

void cmz__oq_add_pending(cmz__ordered_queue *q, cmz__ordered_job *j) { place(q, j, 0, 0); }

void cmz__oq_run_here(cmz__ordered_queue *q, cmz__ordered_job *j, unsigned worker) {
    assert(!j->pooled && j->queue == q);
    j->run(j, worker);
    pthread_mutex_lock(&q->monitor.mutex);
    assert(!j->done);
    j->done = 1;
    pthread_mutex_unlock(&q->monitor.mutex);
}

cmz__ordered_job *cmz__oq_poll_oldest(cmz__ordered_queue *q) {
    if (q->head == q->tail) return NULL;
    cmz__ordered_job *j = q->ring[q->head % q->capacity];
    pthread_mutex_lock(&q->monitor.mutex);
    int done = j->done;
    pthread_mutex_unlock(&q->monitor.mutex);
    return done ? j : NULL;
}

cmz__ordered_job *cmz__oq_wait_oldest(cmz__ordered_queue *q) {
    if (q->head == q->tail) return NULL;
    cmz__ordered_job *j = q->ring[q->head % q->capacity];
    assert(j->pooled || j->done); /* a pending job would never finish: run it first */
    pthread_mutex_lock(&q->monitor.mutex);
    while (!j->done) pthread_cond_wait(&q->monitor.cond, &q->monitor.mutex);
    pthread_mutex_unlock(&q->monitor.mutex);
    return j;
}

void cmz__oq_pop(cmz__ordered_queue *q) {
    assert(q->head < q->tail);
    /* done is only read here: the job's worker wrote it under the monitor before the wait
     * that returned it, and nothing writes it again until it is submitted anew */
    assert(q->ring[q->head % q->capacity]->done);
    q->ring[q->head++ % q->capacity] = NULL;
}

void cmz__oq_cancel(cmz__ordered_queue *q) {
    pthread_mutex_lock(&q->monitor.mutex);
    atomic_store(&q->cancelled, 1);
    pthread_cond_broadcast(&q->monitor.cond);
    pthread_mutex_unlock(&q->monitor.mutex);
}

void cmz__oq_drain(cmz__ordered_queue *q) {
    if (q->head == q->tail && !cmz__oq_cancelled(q)) {
        q->head = q->tail = 0;
        return;
    }
    cmz__oq_cancel(q);
    pthread_mutex_lock(&q->monitor.mutex);
    for (uint64_t i = q->head; i < q->tail; i++) {
        cmz__ordered_job *j = q->ring[i % q->capacity];
        while (j->pooled && !j->done) pthread_cond_wait(&q->monitor.cond, &q->monitor.mutex);
        q->ring[i % q->capacity] = NULL;
    }
    q->head = q->tail = 0;
    atomic_store(&q->cancelled, 0);
    pthread_mutex_unlock(&q->monitor.mutex);
}
