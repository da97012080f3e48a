/* The context cache (ctx_cache.h): idle contexts in a small fixed array, searched whole on
 * every take and give. The array holds a handful of entries whatever the number of
 * resources, so a search costs a few comparisons and nothing is allocated to keep a context;
 * the recency ticks give least-recently-used eviction. */
#include "ctx_cache.h"
#include "internal.h"

#include <assert.h>
#include <stdbool.h>
#include <string.h>

typedef struct {
    cmz_cctx *cctx; /* one of the two is set */
    cmz_dctx *dctx;
    uint64_t used; /* the cache's tick when it was given back */
} entry;

struct cmz__ctx_cache {
    pthread_mutex_t mu;
    bool locked; /* mu initialised (cmz__ctx_cache_free of a cache built in part) */
    cmz__pool *pool;
    unsigned threads;
    unsigned capacity, per_key;
    entry *idle; /* idle[0..count): unordered */
    unsigned count;
    uint64_t tick;
};

cmz__ctx_cache *cmz__ctx_cache_new(unsigned threads, unsigned capacity, unsigned per_key,
                                   cmz_error *err) {
    assert(capacity >= 1 && per_key >= 1 && per_key <= capacity);
    /* Built in place; cmz__ctx_cache_free takes a cache built in part, the one cleanup path. */
    cmz__ctx_cache *c = cmz__calloc(1, sizeof *c);
    bool built = false;
    if (!c || !(c->idle = cmz__calloc(capacity, sizeof *c->idle)))
        cmz__error(err, CMZ_ERR_NOMEM, "no memory for a cache of %u contexts", capacity);
    else if (pthread_mutex_init(&c->mu, NULL) != 0)
        cmz__error(err, CMZ_ERR_THREAD, "could not create the context cache's lock");
    else {
        c->locked = true;
        built = (c->pool = cmz_pool_new(threads, err)) != NULL;
    }
    if (!built) {
        cmz__ctx_cache_free(c);
        return NULL;
    }
    c->threads = cmz__pool_threads(c->pool);
    c->capacity = capacity;
    c->per_key = per_key;
    return c;
}

static void entry_free(entry *e) {
    cmz_cctx_free(e->cctx);
    cmz_dctx_free(e->dctx);
}

void cmz__ctx_cache_free(cmz__ctx_cache *c) {
    if (!c) return;
    for (unsigned i = 0; i < c->count; i++) entry_free(&c->idle[i]);
    if (c->locked) pthread_mutex_destroy(&c->mu);
    cmz_pool_free(c->pool); /* after the contexts that referred to it */
    cmz__free(c->idle);
    cmz__free(c);
}

/* Whether two resolved parameter sets make the same context (every field: a context keeps
 * its callbacks too). */
static bool same_params(const cmz_params *a, const cmz_params *b) {
    return a->codec == b->codec && a->level == b->level && a->chunk_size == b->chunk_size &&
           a->threads == b->threads && a->filter == b->filter && a->typesize == b->typesize &&
           a->parity_k == b->parity_k && a->parity_m == b->parity_m && a->progress == b->progress &&
           a->progress_opaque == b->progress_opaque && a->interrupt == b->interrupt &&
           memcmp(a->reserved, b->reserved, sizeof a->reserved) == 0;
}

/* Whether idle entry e is of key: a cctx with these parameters, or (key NULL) a dctx. */
static bool has_key(const entry *e, const cmz_params *key) {
    if (!key) return e->dctx != NULL;
    return e->cctx && same_params(cmz_cctx_params(e->cctx), key);
}

/* The most (newest) or least (!newest) recently used idle entry of key (any: every entry),
 * or -1. Under mu. */
static int find(const cmz__ctx_cache *c, const cmz_params *key, bool any, bool newest) {
    int best = -1;
    for (unsigned i = 0; i < c->count; i++) {
        if (!any && !has_key(&c->idle[i], key)) continue;
        if (best < 0 ||
            (newest ? c->idle[i].used > c->idle[best].used : c->idle[i].used < c->idle[best].used))
            best = (int)i;
    }
    return best;
}

/* Takes entry i out (under mu). */
static entry take_out(cmz__ctx_cache *c, int i) {
    assert(i >= 0 && (unsigned)i < c->count);
    entry e = c->idle[i];
    c->idle[i] = c->idle[--c->count];
    return e;
}

/* Takes the newest idle context of key, if any. */
static entry take(cmz__ctx_cache *c, const cmz_params *key) {
    entry e = {0};
    pthread_mutex_lock(&c->mu);
    int i = find(c, key, false, true);
    if (i >= 0) e = take_out(c, i);
    pthread_mutex_unlock(&c->mu);
    return e;
}

/* Keeps e idle; what no longer fits (the key's oldest over per_key, else the cache's oldest
 * over capacity) is freed, outside the lock. */
static void give(cmz__ctx_cache *c, entry e, const cmz_params *key) {
    unsigned same = 0;
    entry evicted = {0};
    pthread_mutex_lock(&c->mu);
    for (unsigned i = 0; i < c->count; i++) same += has_key(&c->idle[i], key);
    if (same >= c->per_key) evicted = take_out(c, find(c, key, false, false));
    else if (c->count == c->capacity) evicted = take_out(c, find(c, NULL, true, false));
    assert(c->count < c->capacity);
    e.used = ++c->tick;
    c->idle[c->count++] = e;
    pthread_mutex_unlock(&c->mu);
    entry_free(&evicted);
}

cmz_cctx *cmz__ctx_cache_take_cctx(cmz__ctx_cache *c, const cmz_params *params, cmz_error *err) {
    cmz_params p;
    cmz_params want = params ? *params : cmz_params_default();
    want.threads = c->threads;
    if (cmz_params_resolve(&want, &p, err) != CMZ_OK) return NULL;
    entry e = take(c, &p);
    if (e.cctx) return e.cctx;
    cmz_cctx *cctx = cmz_cctx_new(&p, err);
    if (cctx && cmz_cctx_ref_pool(cctx, c->pool, err) != CMZ_OK) {
        cmz_cctx_free(cctx);
        return NULL;
    }
    return cctx;
}

void cmz__ctx_cache_give_cctx(cmz__ctx_cache *c, cmz_cctx *cctx) {
    if (!cctx) return;
    assert(cmz__cctx_pool(cctx) == c->pool); /* taken from this cache */
    cmz__cctx_trim(cctx);
    entry e = {.cctx = cctx};
    give(c, e, cmz_cctx_params(cctx));
}

cmz_dctx *cmz__ctx_cache_take_dctx(cmz__ctx_cache *c, cmz_error *err) {
    entry e = take(c, NULL);
    if (e.dctx) return e.dctx;
    cmz_dparams p = cmz_dparams_default();
    p.threads = c->threads;
    cmz_dctx *dctx = cmz_dctx_new(&p, err);
    if (dctx && cmz_dctx_ref_pool(dctx, c->pool, err) != CMZ_OK) {
        cmz_dctx_free(dctx);
        return NULL;
    }
    return dctx;
}

void cmz__ctx_cache_give_dctx(cmz__ctx_cache *c, cmz_dctx *dctx) {
    if (!dctx) return;
    assert(dctx->pool == c->pool);
    cmz__dctx_trim(dctx);
    entry e = {.dctx = dctx};
    give(c, e, NULL);
}

unsigned cmz__ctx_cache_idle(cmz__ctx_cache *c) {
    pthread_mutex_lock(&c->mu);
    unsigned n = c->count;
    pthread_mutex_unlock(&c->mu);
    return n;
}

cmz_pool *cmz__ctx_cache_pool(cmz__ctx_cache *c) { return c->pool; }
