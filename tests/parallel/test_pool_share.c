/* A shared pool (cmz_pool): contexts that refer to one pool, used from several threads at
 * once, give the same bytes as contexts with threads of their own; pools of any size fit
 * contexts of any thread count; and a context starts no thread for work that fits one chunk
 * or runs on one thread (the threads start with the first call that needs them). */
#include "testutil.h"

#include "parallel/internal.h"

#include <dirent.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#define CHUNK 4096u
#define SIZE (CHUNK * 24 + 123) /* many chunks, the last short */

/* Threads of this process now (/proc/self/task). */
static unsigned task_count(void) {
    DIR *d = opendir("/proc/self/task");
    if (!d) return 0;
    unsigned n = 0;
    struct dirent *e;
    while ((e = readdir(d)))
        if (e->d_name[0] != '.') n++;
    closedir(d);
    return n;
}

/* The frame a context of its own makes: what every shared-pool context must match. */
static uint8_t *reference(const cmz_params *p, const uint8_t *src, size_t n, size_t *size) {
    return tu_compress(p, src, n, size);
}

/* Compresses and decodes src on contexts that refer to pool (NULL: their own threads), by
 * every entry point, and checks the bytes against the reference frame. */
static void round_trip(cmz_pool *pool, const cmz_params *p, const uint8_t *src, size_t n,
                       const uint8_t *ref, size_t ref_size) {
    cmz_error err;
    cmz_cctx *c = cmz_cctx_new(p, &err);
    assert_non_null(c);
    assert_int_equal(cmz_cctx_ref_pool(c, pool, &err), CMZ_OK);
    size_t cap = (size_t)cmz_compress_bound(p, n), size = 0;
    uint8_t *frame = malloc(cap);
    assert_int_equal(cmz_compress(c, frame, cap, &size, src, n, &err), CMZ_OK);
    assert_int_equal(size, ref_size);
    assert_memory_equal(frame, ref, size);
    tu_memin in;
    tu_memout out;
    cmz_input input = tu_memin_init(&in, src, n, 1000, 7);
    cmz_output output = tu_memout_init(&out);
    assert_int_equal(cmz_compress_stream(c, &input, &output, NULL, &err), CMZ_OK);
    assert_int_equal(out.size, ref_size);
    assert_memory_equal(out.data, ref, ref_size);
    tu_memout_free(&out);
    cmz_cctx_free(c);

    cmz_dctx *d = tu_dctx_new(p, &err);
    assert_non_null(d);
    assert_int_equal(cmz_dctx_ref_pool(d, pool, &err), CMZ_OK);
    uint8_t *back = malloc(n);
    size_t got = 0;
    assert_int_equal(cmz_decompress(d, back, n, &got, frame, size, &err), CMZ_OK);
    assert_int_equal(got, n);
    assert_memory_equal(back, src, n);
    cmz_input fin = tu_memin_init(&in, frame, size, 777, 3);
    output = tu_memout_init(&out);
    assert_int_equal(cmz_decompress_stream(d, &fin, &output, NULL, &err), CMZ_OK);
    assert_int_equal(out.size, n);
    assert_memory_equal(out.data, src, n);
    tu_memout_free(&out);
    cmz_source s;
    tu_source_nodata(&s, frame, size);
    cmz_frame_reader *r;
    assert_int_equal(cmz_frame_reader_open(d, &s, &r, &err), CMZ_OK);
    output = tu_memout_init(&out);
    assert_int_equal(cmz_frame_reader_write(r, 100, n - 200, &output, &err), CMZ_OK);
    assert_int_equal(out.size, n - 200);
    assert_memory_equal(out.data, src + 100, n - 200);
    tu_memout_free(&out);
    cmz_frame_reader_close(r);
    cmz_dctx_free(d);
    free(back);
    free(frame);
}

/* Pools smaller and larger than the contexts' thread counts, and none (own threads). */
static void test_pool_sizes(void **state) {
    (void)state;
    uint8_t *src = tu_mixed(SIZE, 1);
    static const unsigned ctx_threads[] = {1, 2, 4};
    static const unsigned pool_threads[] = {1, 3, 8};
    for (size_t i = 0; i < 3; i++) {
        cmz_params p = tu_params(TU_CODEC, CHUNK, ctx_threads[i]);
        size_t ref_size;
        uint8_t *ref = reference(&p, src, SIZE, &ref_size);
        round_trip(NULL, &p, src, SIZE, ref, ref_size);
        for (size_t j = 0; j < 3; j++) {
            cmz_pool *pool = cmz_pool_new(pool_threads[j], NULL);
            assert_non_null(pool);
            round_trip(pool, &p, src, SIZE, ref, ref_size);
            cmz_pool_free(pool);
        }
        free(ref);
    }
    free(src);
}

/* Several threads, each with contexts of its own on one pool, at once. */
typedef struct {
    cmz_pool *pool;
    unsigned seed;
    const uint8_t *src, *ref;
    size_t ref_size;
    cmz_params p;
} sharer;

static void *sharer_main(void *arg) {
    sharer *s = arg;
    for (int k = 0; k < 4; k++) round_trip(s->pool, &s->p, s->src, SIZE, s->ref, s->ref_size);
    return NULL;
}

static void test_shared_by_threads(void **state) {
    (void)state;
    enum { N = 4 };
    cmz_pool *pool = cmz_pool_new(3, NULL);
    assert_non_null(pool);
    sharer s[N];
    pthread_t tid[N];
    for (unsigned i = 0; i < N; i++) {
        s[i].pool = pool;
        s[i].seed = i;
        s[i].src = tu_mixed(SIZE, 10 + i);
        /* different levels and thread counts: contexts of all kinds share the threads */
        s[i].p = tu_params(TU_CODEC, CHUNK, 1 + i);
        s[i].p.level = i % 2 ? CMZ_LEVEL_DEFAULT : 1;
        s[i].ref = reference(&s[i].p, s[i].src, SIZE, &s[i].ref_size);
    }
    for (unsigned i = 0; i < N; i++)
        assert_int_equal(pthread_create(&tid[i], NULL, sharer_main, &s[i]), 0);
    for (unsigned i = 0; i < N; i++) pthread_join(tid[i], NULL);
    cmz_pool_free(pool);
    for (unsigned i = 0; i < N; i++) {
        free((void *)s[i].src);
        free((void *)s[i].ref);
    }
}

/* One chunk, or one thread: the calling thread does the work and no thread starts. */
static void test_lazy_start(void **state) {
    (void)state;
    unsigned before = task_count();
    assert_true(before >= 1);
    uint8_t *src = tu_mixed(SIZE, 2);
    cmz_error err;
    cmz_params p = tu_params(TU_CODEC, CHUNK, 4);
    cmz_cctx *c = cmz_cctx_new(&p, &err);
    cmz_dctx *d = tu_dctx_new(&p, &err);
    assert_non_null(c);
    assert_non_null(d);
    size_t cap = (size_t)cmz_compress_bound(&p, SIZE), size = 0, got = 0;
    uint8_t *frame = malloc(cap), *back = malloc(SIZE);
    /* one chunk, in memory */
    assert_int_equal(cmz_compress(c, frame, cap, &size, src, CHUNK, &err), CMZ_OK);
    assert_int_equal(cmz_decompress(d, back, SIZE, &got, frame, size, &err), CMZ_OK);
    assert_int_equal(got, CHUNK);
    assert_memory_equal(back, src, CHUNK);
    assert_int_equal(cmz__pool_started(cmz__cctx_pool(c)), 0);
    assert_int_equal(cmz__pool_started(d->pool), 0);
    assert_int_equal(task_count(), before);
    /* many chunks: the workers start, all of them */
    assert_int_equal(cmz_compress(c, frame, cap, &size, src, SIZE, &err), CMZ_OK);
    assert_int_equal(cmz_decompress(d, back, SIZE, &got, frame, size, &err), CMZ_OK);
    assert_memory_equal(back, src, SIZE);
    assert_int_equal(cmz__pool_started(cmz__cctx_pool(c)), 4);
    assert_int_equal(cmz__pool_started(d->pool), 4);
    /* (a sanitizer may add a thread of its own once threads exist) */
    assert_true(task_count() >= before + 8);
    cmz_cctx_free(c);
    cmz_dctx_free(d);

    /* one thread, many chunks in memory: all on the calling thread */
    p.threads = 1;
    before = task_count();
    c = cmz_cctx_new(&p, &err);
    d = tu_dctx_new(&p, &err);
    assert_int_equal(cmz_compress(c, frame, cap, &size, src, SIZE, &err), CMZ_OK);
    assert_int_equal(cmz_decompress(d, back, SIZE, &got, frame, size, &err), CMZ_OK);
    assert_memory_equal(back, src, SIZE);
    assert_int_equal(cmz__pool_started(cmz__cctx_pool(c)), 0);
    assert_int_equal(cmz__pool_started(d->pool), 0);
    assert_int_equal(task_count(), before);
    cmz_cctx_free(c);
    cmz_dctx_free(d);

    /* a shared pool starts with its first many-chunk call, once */
    cmz_pool *pool = cmz_pool_new(2, &err);
    p.threads = 2;
    c = cmz_cctx_new(&p, &err);
    assert_int_equal(cmz_cctx_ref_pool(c, pool, &err), CMZ_OK);
    assert_ptr_equal(cmz__cctx_pool(c), pool);
    assert_int_equal(cmz_compress(c, frame, cap, &size, src, CHUNK, &err), CMZ_OK);
    assert_int_equal(cmz__pool_started(pool), 0);
    assert_int_equal(cmz_compress(c, frame, cap, &size, src, SIZE, &err), CMZ_OK);
    assert_int_equal(cmz__pool_started(pool), 2);
    /* back to its own threads, which never started */
    assert_int_equal(cmz_cctx_ref_pool(c, NULL, &err), CMZ_OK);
    assert_true(cmz__cctx_pool(c) != pool);
    assert_int_equal(cmz__pool_started(cmz__cctx_pool(c)), 0);
    cmz_cctx_free(c);
    cmz_pool_free(pool);
    free(frame);
    free(back);
    free(src);
}

/* The nth allocation failing, for n = 1, 2, ... until a round trip on a shared pool runs
 * through: every call fails with CMZ_ERR_NOMEM or gives the right bytes, and nothing stays
 * allocated once all is freed. */
static void test_alloc_failures(void **state) {
    (void)state;
    uint8_t *src = tu_mixed(SIZE, 3), *back = malloc(SIZE);
    cmz_params p = tu_params(TU_CODEC, CHUNK, 2);
    size_t cap = (size_t)cmz_compress_bound(&p, SIZE);
    uint8_t *frame = malloc(cap);
    tu_alloc_install();
    long n = 1;
    for (;; n++) {
        tu_alloc_fail_after(n);
        cmz_error err;
        cmz_error_clear(&err);
        cmz_status st = CMZ_OK;
        cmz_pool *pool = cmz_pool_new(3, &err);
        cmz_cctx *c = pool ? cmz_cctx_new(&p, &err) : NULL;
        cmz_dctx *d = c ? cmz_dctx_new(NULL, &err) : NULL;
        if (!d) st = err.status;
        if (st == CMZ_OK) st = cmz_cctx_ref_pool(c, pool, &err);
        if (st == CMZ_OK) st = cmz_dctx_ref_pool(d, pool, &err);
        size_t size = 0, got = 0;
        if (st == CMZ_OK) st = cmz_compress(c, frame, cap, &size, src, SIZE, &err);
        if (st == CMZ_OK) st = cmz_decompress(d, back, SIZE, &got, frame, size, &err);
        cmz_cctx_free(c);
        cmz_dctx_free(d);
        cmz_pool_free(pool);
        assert_int_equal(tu_alloc_live(), 0);
        if (st == CMZ_OK) break;
        assert_int_equal(st, CMZ_ERR_NOMEM);
    }
    tu_alloc_fail_after(0);
    tu_alloc_restore();
    assert_true(n > 10); /* the failures went through pool, contexts, scratch and workers */
    assert_memory_equal(back, src, SIZE);
    free(frame);
    free(back);
    free(src);
}

/* Allocator calls made off the test's thread (test_workers_allocate_nothing). */
static pthread_t test_thread;
static atomic_int foreign_calls;

static void *note_alloc(void *opaque, size_t size) {
    (void)opaque;
    if (!pthread_equal(pthread_self(), test_thread)) atomic_fetch_add(&foreign_calls, 1);
    return malloc(size);
}

static void note_free(void *opaque, void *ptr) {
    (void)opaque;
    if (!pthread_equal(pthread_self(), test_thread)) atomic_fetch_add(&foreign_calls, 1);
    free(ptr);
}

typedef struct {
    cmz__ordered_job oj;
} noop_job;

static void noop_run(cmz__ordered_job *job, unsigned worker) {
    (void)job;
    (void)worker;
}

/* The pool's own machinery allocates and frees nothing on its workers: a lazily started
 * worker outlives the call that started it, so anything it freed on its own would be freed
 * after that call returned, racing with the caller (cmz_set_allocator between calls, the
 * allocation-failure tests) and counted live when the call is over. */
static void test_workers_allocate_nothing(void **state) {
    (void)state;
    cmz_error err;
    cmz_pool *pool = cmz_pool_new(3, &err);
    assert_non_null(pool);
    cmz__ordered_queue q;
    assert_int_equal(cmz__oq_init(&q, pool, 3, &err), CMZ_OK);
    test_thread = pthread_self();
    atomic_store(&foreign_calls, 0);
    cmz_allocator noting = {note_alloc, note_free, NULL};
    cmz_set_allocator(&noting);
    assert_int_equal(cmz__pool_start(pool, &err), CMZ_OK);
    noop_job jobs[3];
    for (int k = 0; k < 3; k++) {
        jobs[k].oj.run = noop_run;
        cmz__oq_submit(&q, &jobs[k].oj, k); /* one on each worker: every worker has run */
    }
    while (cmz__oq_wait_oldest(&q)) cmz__oq_pop(&q);
    assert_int_equal(atomic_load(&foreign_calls), 0);
    cmz_set_allocator(NULL);
    cmz__oq_destroy(&q);
    cmz_pool_free(pool);
}

/* A child of fork() has none of its parent's threads: a pool the parent started starts anew
 * in the child (rather than queueing jobs no thread runs), and is freed there without
 * waiting for the parent's workers; the parent's pool goes on working. */
static void test_fork_child(void **state) {
    (void)state;
#if defined(__SANITIZE_THREAD__)
    skip(); /* TSan does not support threads started after a multi-threaded fork */
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
    skip();
#endif
#endif
    if (tu_emulated()) skip(); /* qemu-user aborts on threads started in a fork child */
    uint8_t *src = tu_mixed(SIZE, 5);
    cmz_error err;
    cmz_params p = tu_params(TU_CODEC, CHUNK, 2);
    cmz_pool *pool = cmz_pool_new(2, &err);
    cmz_cctx *c = cmz_cctx_new(&p, &err);
    assert_non_null(pool);
    assert_non_null(c);
    assert_int_equal(cmz_cctx_ref_pool(c, pool, &err), CMZ_OK);
    size_t cap = (size_t)cmz_compress_bound(&p, SIZE), size = 0, again = 0;
    uint8_t *frame = malloc(cap), *frame2 = malloc(cap);
    assert_int_equal(cmz_compress(c, frame, cap, &size, src, SIZE, &err), CMZ_OK);
    assert_int_equal(cmz__pool_started(pool), 2);
    fflush(NULL);
    pid_t child = fork();
    assert_true(child >= 0);
    if (child == 0) {
        alarm(5); /* a hang is a failure, not a stuck test */
        int ok = cmz_compress(c, frame2, cap, &again, src, SIZE, &err) == CMZ_OK && again == size &&
                 memcmp(frame, frame2, size) == 0;
        cmz_cctx_free(c);
        cmz_pool_free(pool);
        _exit(ok ? 0 : 1);
    }
    int status = 0;
    assert_int_equal(waitpid(child, &status, 0), child);
    assert_true(WIFEXITED(status));
    assert_int_equal(WEXITSTATUS(status), 0);
    assert_int_equal(cmz_compress(c, frame2, cap, &again, src, SIZE, &err), CMZ_OK);
    assert_int_equal(again, size);
    assert_memory_equal(frame, frame2, size);
    cmz_cctx_free(c);
    cmz_pool_free(pool);
    free(frame);
    free(frame2);
    free(src);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_lazy_start),        cmocka_unit_test(test_workers_allocate_nothing),
        cmocka_unit_test(test_fork_child),        cmocka_unit_test(test_pool_sizes),
        cmocka_unit_test(test_shared_by_threads), cmocka_unit_test(test_alloc_failures),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
