/* The context cache (src/parallel/ctx_cache.h): contexts are reused by parameters, the cache
 * stays within its bounds and evicts the least recently used, one-chunk work starts no
 * thread, and many threads taking and giving back at once get correct bytes. */
#include "testutil.h"

#include "memory/internal.h" /* the registry's cache: reg->codecs */
#include "parallel/ctx_cache.h"
#include "parallel/internal.h"
#include "cmz/registry.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CHUNK 4096u

static cmz_params params_at(int level) {
    cmz_params p = tu_params(TU_CODEC, CHUNK, 0);
    p.level = level;
    return p;
}

/* A level of the default codec for key k (0, 1, 2, ...): distinct keys while the codec has
 * distinct levels, else distinct chunk sizes. */
static cmz_params key(unsigned k) {
    cmz_params p = params_at(CMZ_LEVEL_DEFAULT);
    p.chunk_size = CHUNK << k;
    return p;
}

static void test_reuse(void **state) {
    (void)state;
    cmz_error err;
    cmz__ctx_cache *c = cmz__ctx_cache_new(2, 4, 2, &err);
    assert_non_null(c);
    cmz_params a = key(0), b = key(1);
    cmz_cctx *x = cmz__ctx_cache_take_cctx(c, &a, &err);
    assert_non_null(x);
    assert_int_equal(cmz_cctx_params(x)->threads, 2); /* the cache's threads */
    cmz__ctx_cache_give_cctx(c, x);
    assert_int_equal(cmz__ctx_cache_idle(c), 1);
    /* the same parameters: the same context; others: another */
    cmz_cctx *y = cmz__ctx_cache_take_cctx(c, &a, &err);
    assert_ptr_equal(x, y);
    assert_int_equal(cmz__ctx_cache_idle(c), 0);
    cmz_cctx *z = cmz__ctx_cache_take_cctx(c, &b, &err);
    assert_non_null(z);
    assert_true(z != y);
    assert_int_equal(cmz_cctx_params(z)->chunk_size, b.chunk_size);
    cmz__ctx_cache_give_cctx(c, y);
    cmz__ctx_cache_give_cctx(c, z);
    /* decompression contexts have a key of their own */
    cmz_dctx *d = cmz__ctx_cache_take_dctx(c, &err);
    assert_non_null(d);
    assert_int_equal(cmz__ctx_cache_idle(c), 2);
    cmz__ctx_cache_give_dctx(c, d);
    assert_ptr_equal(cmz__ctx_cache_take_dctx(c, &err), d);
    cmz__ctx_cache_give_dctx(c, d);
    /* bad parameters: an error, nothing taken */
    cmz_params bad = a;
    bad.chunk_size = 1;
    assert_null(cmz__ctx_cache_take_cctx(c, &bad, &err));
    assert_int_equal(err.status, CMZ_ERR_INVALID_ARG);
    assert_int_equal(cmz__ctx_cache_idle(c), 3);
    cmz__ctx_cache_free(c);
}

/* Whether an idle context of key k is kept: taking it shrinks the idle count (it is given
 * back at once, as the newest). */
static int kept(cmz__ctx_cache *c, unsigned k) {
    cmz_params p = key(k);
    unsigned before = cmz__ctx_cache_idle(c);
    cmz_cctx *x = cmz__ctx_cache_take_cctx(c, &p, NULL);
    assert_non_null(x);
    int found = cmz__ctx_cache_idle(c) < before;
    cmz__ctx_cache_give_cctx(c, x);
    return found;
}

static void test_bounds_and_eviction(void **state) {
    (void)state;
    cmz__ctx_cache *c = cmz__ctx_cache_new(1, 4, 2, NULL);
    assert_non_null(c);
    /* per key: three taken at once, two kept */
    cmz_params p = key(0);
    cmz_cctx *x[3];
    for (int i = 0; i < 3; i++) assert_non_null(x[i] = cmz__ctx_cache_take_cctx(c, &p, NULL));
    for (int i = 0; i < 3; i++) cmz__ctx_cache_give_cctx(c, x[i]);
    assert_int_equal(cmz__ctx_cache_idle(c), 2);
    /* in all: four kept, the least recently used evicted */
    for (unsigned k = 1; k <= 3; k++) {
        cmz_params q = key(k);
        cmz__ctx_cache_give_cctx(c, cmz__ctx_cache_take_cctx(c, &q, NULL));
    }
    assert_int_equal(cmz__ctx_cache_idle(c), 4); /* one of key 0's went */
    assert_true(kept(c, 0));                     /* key 0 is now the newest */
    cmz_params q = key(4);
    cmz__ctx_cache_give_cctx(c, cmz__ctx_cache_take_cctx(c, &q, NULL));
    assert_int_equal(cmz__ctx_cache_idle(c), 4);
    assert_false(kept(c, 1)); /* the oldest: evicted by key 4 */
    /* kept(c, 1) made one of key 1 and gave it back, evicting the oldest again: key 2 */
    assert_false(kept(c, 2));
    assert_int_equal(cmz__ctx_cache_idle(c), 4);
    cmz__ctx_cache_free(c);
}

/* One chunk: compressed and decoded on the calling thread, the pool never started; a large
 * input starts the pool's threads and gives the same bytes as a private context. */
static void test_small_on_calling_thread(void **state) {
    (void)state;
    cmz_error err;
    cmz__ctx_cache *c = cmz__ctx_cache_new(3, 4, 2, &err);
    assert_non_null(c);
    size_t n = 40 * CHUNK + 17;
    uint8_t *src = tu_mixed(n, 5), *back = malloc(n);
    cmz_params p = params_at(CMZ_LEVEL_DEFAULT);
    size_t cap = (size_t)cmz_compress_bound(&p, n), size = 0, got = 0;
    uint8_t *frame = malloc(cap);
    for (int round = 0; round < 3; round++) {
        cmz_cctx *x = cmz__ctx_cache_take_cctx(c, &p, &err);
        assert_int_equal(cmz_compress(x, frame, cap, &size, src, CHUNK, &err), CMZ_OK);
        cmz__ctx_cache_give_cctx(c, x);
        cmz_dctx *d = cmz__ctx_cache_take_dctx(c, &err);
        assert_int_equal(cmz_decompress(d, back, n, &got, frame, size, &err), CMZ_OK);
        cmz__ctx_cache_give_dctx(c, d);
        assert_int_equal(got, CHUNK);
        assert_memory_equal(back, src, CHUNK);
    }
    assert_int_equal(cmz__pool_started(cmz__ctx_cache_pool(c)), 0);
    assert_int_equal(cmz__ctx_cache_idle(c), 2);

    cmz_cctx *x = cmz__ctx_cache_take_cctx(c, &p, &err);
    assert_int_equal(cmz_compress(x, frame, cap, &size, src, n, &err), CMZ_OK);
    cmz__ctx_cache_give_cctx(c, x);
    assert_int_equal(cmz__pool_started(cmz__ctx_cache_pool(c)), 3);
    cmz_params own = p;
    own.threads = 3;
    size_t ref_size;
    uint8_t *ref = tu_compress(&own, src, n, &ref_size);
    assert_int_equal(size, ref_size);
    assert_memory_equal(frame, ref, size);
    cmz_dctx *d = cmz__ctx_cache_take_dctx(c, &err);
    assert_int_equal(cmz_decompress(d, back, n, &got, frame, size, &err), CMZ_OK);
    cmz__ctx_cache_give_dctx(c, d);
    assert_memory_equal(back, src, n);
    free(ref);
    free(frame);
    free(back);
    free(src);
    cmz__ctx_cache_free(c);
}

/* Threads taking, using and giving back contexts of several keys at once. */
typedef struct {
    cmz__ctx_cache *cache;
    unsigned seed;
    uint8_t *src;
    size_t n;
    uint8_t *ref[3];
    size_t ref_size[3];
    int passed; /* every round gave the right bytes */
} user;

static void *user_main(void *arg) {
    user *u = arg;
    uint8_t *frame = malloc(u->ref_size[0] + u->ref_size[1] + u->ref_size[2] + (1u << 16));
    uint8_t *back = malloc(u->n);
    size_t cap = u->ref_size[0] + u->ref_size[1] + u->ref_size[2] + (1u << 16);
    for (unsigned i = 0; i < 60; i++) {
        unsigned k = (i + u->seed) % 3;
        /* small (one chunk) and large alternate */
        size_t n = (i % 4 == 0) ? u->n : CHUNK;
        cmz_params p = key(k);
        cmz_cctx *x = cmz__ctx_cache_take_cctx(u->cache, &p, NULL);
        size_t size = 0, got = 0;
        cmz_status st = x ? cmz_compress(x, frame, cap, &size, u->src, n, NULL) : CMZ_ERR_NOMEM;
        cmz__ctx_cache_give_cctx(u->cache, x);
        if (st != CMZ_OK) break;
        if (n == u->n && (size != u->ref_size[k] || memcmp(frame, u->ref[k], size) != 0)) break;
        cmz_dctx *d = cmz__ctx_cache_take_dctx(u->cache, NULL);
        st = d ? cmz_decompress(d, back, u->n, &got, frame, size, NULL) : CMZ_ERR_NOMEM;
        cmz__ctx_cache_give_dctx(u->cache, d);
        if (st != CMZ_OK || got != n || memcmp(back, u->src, n) != 0) break;
        if (i == 59) u->passed = 1;
    }
    free(frame);
    free(back);
    return NULL;
}

static void test_threads(void **state) {
    (void)state;
    enum { N = 4 };
    cmz__ctx_cache *c = cmz__ctx_cache_new(2, 4, 2, NULL);
    assert_non_null(c);
    user u[N];
    pthread_t tid[N];
    for (unsigned i = 0; i < N; i++) {
        u[i].cache = c;
        u[i].seed = i;
        u[i].passed = 0;
        u[i].n = 9 * CHUNK + 5;
        u[i].src = tu_mixed(u[i].n, 20 + i);
        for (unsigned k = 0; k < 3; k++) {
            cmz_params p = key(k);
            p.threads = 1;
            u[i].ref[k] = tu_compress(&p, u[i].src, u[i].n, &u[i].ref_size[k]);
        }
    }
    for (unsigned i = 0; i < N; i++)
        assert_int_equal(pthread_create(&tid[i], NULL, user_main, &u[i]), 0);
    for (unsigned i = 0; i < N; i++) pthread_join(tid[i], NULL);
    for (unsigned i = 0; i < N; i++) {
        assert_true(u[i].passed);
        free(u[i].src);
        for (unsigned k = 0; k < 3; k++) free(u[i].ref[k]);
    }
    assert_true(cmz__ctx_cache_idle(c) <= 4);
    cmz__ctx_cache_free(c);
}

/* The registry compresses and reads small resources on the calling thread, on contexts it
 * keeps, and a large one on its pool's threads. */
static void test_registry_uses_cache(void **state) {
    (void)state;
    cmz_registry_params rp = cmz_registry_params_default();
    rp.budget = (uint64_t)1 << 32;
    rp.usage = CMZ_USAGE_REGISTRY;
    rp.check_interval_ms = 0; /* no monitor thread */
    rp.threads = 2;
    cmz_error err;
    cmz_registry *reg = cmz_registry_new(&rp, &err);
    assert_non_null(reg);
    size_t small = 16384, large = (size_t)3 << 20; /* lz4's chunks are 1 MiB */
    uint8_t *src = tu_mixed(large, 9), *back = malloc(large);
    char id[32];
    for (int i = 0; i < 4; i++) {
        snprintf(id, sizeof id, "temp_buffers:s%d", i);
        assert_int_equal(cmz_registry_add(reg, id, src + i, small, CMZ_REGISTER_COPY, &err),
                         CMZ_OK);
        assert_int_equal(cmz_registry_compress(reg, id, &err), CMZ_OK);
        size_t got = 0;
        assert_int_equal(cmz_registry_get(reg, id, back, small, &got, &err), CMZ_OK);
        assert_memory_equal(back, src + i, small);
    }
    cmz_pool *pool = cmz__ctx_cache_pool(reg->codecs);
    assert_int_equal(cmz__pool_started(pool), 0);
    assert_int_equal(cmz__ctx_cache_idle(reg->codecs), 2); /* one of each, reused */
    assert_int_equal(cmz_registry_add(reg, "temp_buffers:big", src, large, CMZ_REGISTER_COPY, &err),
                     CMZ_OK);
    assert_int_equal(cmz_registry_compress(reg, "temp_buffers:big", &err), CMZ_OK);
    assert_int_equal(cmz__pool_started(pool), 2);
    size_t got = 0;
    assert_int_equal(cmz_registry_get(reg, "temp_buffers:big", back, large, &got, &err), CMZ_OK);
    assert_int_equal(got, large);
    assert_memory_equal(back, src, large);
    cmz_registry_free(reg);
    free(src);
    free(back);
}

/* The nth allocation failing, for n = 1, 2, ...: taking, using and giving back contexts fails
 * with CMZ_ERR_NOMEM or works, and nothing stays allocated once the cache is freed. */
static void test_alloc_failures(void **state) {
    (void)state;
    size_t n = 6 * CHUNK + 3;
    uint8_t *src = tu_mixed(n, 4), *back = malloc(n);
    cmz_params p = params_at(CMZ_LEVEL_DEFAULT);
    size_t cap = (size_t)cmz_compress_bound(&p, n);
    uint8_t *frame = malloc(cap);
    tu_alloc_install();
    long k = 1;
    for (;; k++) {
        tu_alloc_fail_after(k);
        cmz_error err;
        cmz_error_clear(&err);
        cmz_status st = CMZ_OK;
        cmz__ctx_cache *c = cmz__ctx_cache_new(2, 4, 2, &err);
        if (!c) st = err.status;
        for (int round = 0; round < 2 && st == CMZ_OK; round++) {
            size_t len = round ? n : CHUNK, size = 0, got = 0;
            cmz_cctx *x = cmz__ctx_cache_take_cctx(c, &p, &err);
            st = x ? cmz_compress(x, frame, cap, &size, src, len, &err) : err.status;
            cmz__ctx_cache_give_cctx(c, x);
            cmz_dctx *d = st == CMZ_OK ? cmz__ctx_cache_take_dctx(c, &err) : NULL;
            if (st == CMZ_OK)
                st = d ? cmz_decompress(d, back, n, &got, frame, size, &err) : err.status;
            cmz__ctx_cache_give_dctx(c, d);
            if (st == CMZ_OK) assert_memory_equal(back, src, len);
        }
        cmz__ctx_cache_free(c);
        assert_int_equal(tu_alloc_live(), 0);
        if (st == CMZ_OK) break;
        assert_int_equal(st, CMZ_ERR_NOMEM);
    }
    tu_alloc_fail_after(0);
    tu_alloc_restore();
    assert_true(k > 10);
    free(frame);
    free(back);
    free(src);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_reuse),
        cmocka_unit_test(test_bounds_and_eviction),
        cmocka_unit_test(test_small_on_calling_thread),
        cmocka_unit_test(test_threads),
        cmocka_unit_test(test_registry_uses_cache),
        cmocka_unit_test(test_alloc_failures),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
