/* The ordered job queue (src/parallel/ordered_queue.c): jobs come back in submission order
 * whatever order they finish in, no more than its capacity are in flight, a failed job's
 * status comes back in its place, cancellation wakes jobs that wait, and a failed
 * allocation leaves nothing behind. */
#include "testutil.h"

#include <stdatomic.h>
#include <string.h>
#include <time.h>

#include "parallel/internal.h"

typedef struct {
    cmz__ordered_job oj; /* first member */
    unsigned value;
    unsigned delay_us; /* slow jobs finish after later ones */
    int fail;
    int wait_for_cancel; /* blocks on the monitor until the queue is cancelled */
    cmz_status status;
    int ran;
} test_job;

static atomic_int running, most_running;

static void sleep_us(unsigned us) {
    struct timespec ts = {0, (long)us * 1000};
    nanosleep(&ts, NULL);
}

static void run(cmz__ordered_job *job, unsigned worker) {
    (void)worker;
    test_job *j = (test_job *)job;
    int now = atomic_fetch_add(&running, 1) + 1;
    for (int m = atomic_load(&most_running); now > m;)
        if (atomic_compare_exchange_weak(&most_running, &m, now)) break;
    if (j->delay_us) sleep_us(j->delay_us);
    j->status = j->fail ? CMZ_ERR_CORRUPT : CMZ_OK;
    if (j->wait_for_cancel) {
        cmz__monitor *m = &j->oj.queue->monitor;
        pthread_mutex_lock(&m->mutex);
        while (!cmz__oq_cancelled(j->oj.queue)) pthread_cond_wait(&m->cond, &m->mutex);
        pthread_mutex_unlock(&m->mutex);
        j->status = CMZ_ERR_INTERRUPTED;
    }
    j->ran = 1;
    atomic_fetch_sub(&running, 1);
}

static cmz__pool *pool_of(unsigned threads) {
    cmz__pool *pool = cmz__pool_new(threads, NULL);
    if (pool) assert_int_equal(cmz__pool_start(pool, NULL), CMZ_OK);
    assert_non_null(pool);
    return pool;
}

/* A pool, a queue on it and jobs that run run(). */
typedef struct {
    cmz__pool *pool;
    cmz__ordered_queue q;
    test_job jobs[8];
} fixture;

static void start(fixture *f, unsigned threads, unsigned capacity) {
    memset(f, 0, sizeof *f);
    atomic_store(&running, 0);
    atomic_store(&most_running, 0);
    f->pool = pool_of(threads);
    assert_int_equal(cmz__oq_init(&f->q, f->pool, capacity, NULL), CMZ_OK);
    for (unsigned k = 0; k < 8; k++) f->jobs[k].oj.run = run;
}

static void finish(fixture *f) {
    cmz__oq_destroy(&f->q);
    cmz__pool_free(f->pool);
}

/* Later jobs finish first; the submitter still gets 0, 1, 2, ... */
static void test_order(void **state) {
    (void)state;
    enum { CAP = 4, TOTAL = 40 };
    fixture f;
    start(&f, 4, CAP);
    cmz__ordered_queue *q = &f.q;
    unsigned submitted = 0, taken = 0;
    while (taken < TOTAL) {
        while (submitted < TOTAL && !cmz__oq_full(q)) {
            test_job *j = &f.jobs[cmz__oq_next_seq(q) % CAP];
            j->value = submitted;
            j->delay_us = (CAP - submitted % CAP) * 300; /* the oldest is the slowest */
            cmz__oq_submit(q, &j->oj, -1);
            submitted++;
        }
        test_job *j = (test_job *)cmz__oq_wait_oldest(q);
        assert_non_null(j);
        assert_int_equal(j->value, taken);
        assert_int_equal(j->status, CMZ_OK);
        cmz__oq_pop(q);
        taken++;
    }
    assert_null(cmz__oq_wait_oldest(q));
    cmz__oq_drain(q);
    finish(&f);
}

/* Jobs done by the caller itself take their place among pooled ones; pinned jobs too. */
static void test_inline_and_pinned(void **state) {
    (void)state;
    fixture f;
    start(&f, 3, 6);
    cmz__ordered_queue *q = &f.q;
    test_job *jobs = f.jobs;
    for (unsigned k = 0; k < 6; k++) {
        jobs[k].value = k;
        jobs[k].delay_us = k == 0 ? 2000 : 0;
        if (k % 3 == 2) {
            run(&jobs[k].oj, 0);
            cmz__oq_add_done(q, &jobs[k].oj);
        } else {
            cmz__oq_submit(q, &jobs[k].oj, (int)k);
        }
    }
    assert_true(cmz__oq_full(q));
    for (unsigned k = 0; k < 6; k++) {
        test_job *j = (test_job *)cmz__oq_wait_oldest(q);
        assert_ptr_equal(j, &jobs[k]);
        cmz__oq_pop(q);
    }
    finish(&f);
}

/* Never more jobs running than the capacity, even with more threads than that. */
static void test_bounded(void **state) {
    (void)state;
    enum { CAP = 2, TOTAL = 24 };
    fixture f;
    start(&f, 6, CAP);
    cmz__ordered_queue *q = &f.q;
    unsigned submitted = 0;
    for (;;) {
        while (submitted < TOTAL && !cmz__oq_full(q)) {
            test_job *j = &f.jobs[cmz__oq_next_seq(q) % CAP];
            j->delay_us = 500;
            cmz__oq_submit(q, &j->oj, -1);
            submitted++;
        }
        assert_true(cmz__oq_in_flight(q) <= CAP);
        if (!cmz__oq_wait_oldest(q)) break;
        cmz__oq_pop(q);
    }
    assert_int_equal(submitted, TOTAL);
    assert_true(atomic_load(&most_running) >= 1);
    assert_true(atomic_load(&most_running) <= CAP);
    finish(&f);
}

/* A failed job's status comes back in its place; after it, drain waits for the rest and the
 * queue starts again from sequence 0. */
static void test_failure(void **state) {
    (void)state;
    fixture f;
    start(&f, 2, 4);
    cmz__ordered_queue *q = &f.q;
    test_job *jobs = f.jobs;
    for (unsigned k = 0; k < 4; k++) {
        jobs[k].fail = k == 1;
        jobs[k].delay_us = k >= 2 ? 1000 : 0;
        cmz__oq_submit(q, &jobs[k].oj, -1);
    }
    test_job *j = (test_job *)cmz__oq_wait_oldest(q);
    assert_int_equal(j->status, CMZ_OK);
    cmz__oq_pop(q);
    j = (test_job *)cmz__oq_wait_oldest(q);
    assert_ptr_equal(j, &jobs[1]);
    assert_int_equal(j->status, CMZ_ERR_CORRUPT);
    cmz__oq_drain(q); /* jobs 2 and 3 finish or are skipped: none runs after it */
    assert_int_equal(atomic_load(&running), 0);
    assert_int_equal(cmz__oq_in_flight(q), 0);
    assert_int_equal(cmz__oq_next_seq(q), 0);
    assert_false(cmz__oq_cancelled(q));
    jobs[0].fail = 0;
    cmz__oq_submit(q, &jobs[0].oj, -1);
    assert_ptr_equal(cmz__oq_wait_oldest(q), &jobs[0].oj);
    cmz__oq_pop(q);
    finish(&f);
}

/* Jobs that wait on the monitor for what only the submitter frees give up on cancellation,
 * and jobs that have not started do not run: drain returns instead of hanging. Jobs left to
 * the submitter are dropped. */
static void test_cancel(void **state) {
    (void)state;
    fixture f;
    start(&f, 2, 4);
    cmz__ordered_queue *q = &f.q;
    test_job *jobs = f.jobs;
    for (unsigned k = 0; k < 4; k++) {
        jobs[k].wait_for_cancel = k < 2; /* they hold both threads until the cancel */
        if (k < 3) cmz__oq_submit(q, &jobs[k].oj, (int)k % 2);
        else cmz__oq_add_pending(q, &jobs[k].oj);
    }
    assert_null(cmz__oq_poll_oldest(q));
    while (atomic_load(&running) < 2) sleep_us(100); /* both threads are in jobs 0 and 1 */
    cmz__oq_drain(q);
    assert_int_equal(jobs[0].status, CMZ_ERR_INTERRUPTED);
    assert_int_equal(jobs[1].status, CMZ_ERR_INTERRUPTED);
    assert_false(jobs[2].ran); /* queued behind them when the queue was cancelled */
    assert_false(jobs[3].ran);
    assert_int_equal(cmz__oq_in_flight(q), 0);
    finish(&f);
}

/* A job left to the submitter runs when it says, on its thread, in its place in the order. */
static void test_run_here(void **state) {
    (void)state;
    fixture f;
    start(&f, 1, 2);
    cmz__ordered_queue *q = &f.q;
    test_job *jobs = f.jobs;
    cmz__oq_add_pending(q, &jobs[0].oj);
    cmz__oq_submit(q, &jobs[1].oj, 0);
    assert_null(cmz__oq_poll_oldest(q));
    assert_false(jobs[0].ran);
    cmz__oq_run_here(q, &jobs[0].oj, 1);
    assert_ptr_equal(cmz__oq_poll_oldest(q), &jobs[0].oj);
    cmz__oq_pop(q);
    assert_ptr_equal(cmz__oq_wait_oldest(q), &jobs[1].oj);
    cmz__oq_pop(q);
    finish(&f);
}

/* A failed init says what failed and needs no destroy (destroy of it is harmless). */
static void test_alloc_failure(void **state) {
    (void)state;
    tu_alloc_install(); /* process-wide: set while no thread of the library runs */
    cmz__pool *pool = pool_of(1);
    tu_alloc_fail_after(1); /* the next allocation: the queue's */
    cmz__ordered_queue q;
    cmz_error err;
    cmz_error_clear(&err);
    cmz_status st = cmz__oq_init(&q, pool, 8, &err);
    assert_int_equal(st, CMZ_ERR_NOMEM);
    assert_non_null(strstr(err.message, "queue of 8 jobs"));
    cmz__oq_destroy(&q);
    cmz__pool_free(pool);
    assert_int_equal(tu_alloc_live(), 0);
    tu_alloc_restore();
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_order),         cmocka_unit_test(test_inline_and_pinned),
        cmocka_unit_test(test_bounded),       cmocka_unit_test(test_failure),
        cmocka_unit_test(test_cancel),        cmocka_unit_test(test_run_here),
        cmocka_unit_test(test_alloc_failure),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
