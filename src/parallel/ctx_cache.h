/* A bounded cache of compression and decompression contexts that all run on one shared pool:
 * the parallel layer's one internal interface for the layers above it (the registry takes a
 * context per resource it compresses or reads, instead of building one with its own threads
 * every time).
 *
 * Thread-safe: any thread takes a context, uses it alone, and gives it back. A taken context
 * is the taker's until given back; the cache keeps at most `capacity` idle ones, at most
 * `per_key` with the same parameters (decompression contexts share one key), and evicts the
 * least recently used. A context given back keeps the calling thread's codec context and
 * buffers (what a one-chunk call uses) and frees its workers' (what a large call used), so
 * that idle contexts hold little memory. */
#ifndef CMZ_PARALLEL_CTX_CACHE_H
#define CMZ_PARALLEL_CTX_CACHE_H

#include "cmz/parallel.h"

typedef struct cmz__ctx_cache cmz__ctx_cache;

/* threads: the shared pool's (0: one per core), also every context's params.threads; the
 * pool's threads start only when a call needs them. capacity >= 1, 1 <= per_key <= capacity.
 * NULL on error (err: CMZ_ERR_NOMEM, CMZ_ERR_THREAD). */
cmz__ctx_cache *cmz__ctx_cache_new(unsigned threads, unsigned capacity, unsigned per_key,
                                   cmz_error *err);
/* Frees the idle contexts and the pool: every taken context must have been given back. */
void cmz__ctx_cache_free(cmz__ctx_cache *cache);

/* A compression context for params (resolved here; params->threads is replaced by the
 * cache's): an idle one with the same parameters, else a new one on the shared pool. NULL on
 * error (err says why: bad parameters, CMZ_ERR_NOMEM). */
cmz_cctx *cmz__ctx_cache_take_cctx(cmz__ctx_cache *cache, const cmz_params *params, cmz_error *err);
/* Gives back a context taken from this cache (NULL: nothing); it may be freed at once. */
void cmz__ctx_cache_give_cctx(cmz__ctx_cache *cache, cmz_cctx *cctx);

/* A decompression context with the default parameters and the cache's threads. */
cmz_dctx *cmz__ctx_cache_take_dctx(cmz__ctx_cache *cache, cmz_error *err);
void cmz__ctx_cache_give_dctx(cmz__ctx_cache *cache, cmz_dctx *dctx);

/* Idle contexts kept now (tests). */
unsigned cmz__ctx_cache_idle(cmz__ctx_cache *cache);
/* The shared pool (tests: whether its threads started). */
cmz_pool *cmz__ctx_cache_pool(cmz__ctx_cache *cache);

#endif
