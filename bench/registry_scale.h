/* bench/registry_scale's pieces shared between its files (registry_scale.c: the population,
 * memory and the output; registry_scale_ops.c: the types' data, the bare codecs and the timed
 * operations). */
#ifndef CMZ_BENCH_REGISTRY_SCALE_H
#define CMZ_BENCH_REGISTRY_SCALE_H

#include "bench_util.h"
#include "cmz/codec.h"
#include "cmz/policy.h"
#include "cmz/registry.h"

#include <zstd.h>

#define KiB ((size_t)1 << 10)
#define MiB ((size_t)1 << 20)
#define SHARD_SIZE (32 * MiB)
#define PROBE_SIZE (16 * KiB)
#define POOL_SIZE (4 * MiB)
#define MAX_COUNTS 8

enum { K_LZ4, K_ZSTD, K_DEFAULT, NKINDS };
extern const char *const kind_type[NKINDS];
extern const unsigned kind_share[NKINDS]; /* percent of the small resources */

/* Operations timed on the probes; each is compared with the bare codec one way. */
enum { OP_ADD, OP_GET_RAW, OP_GET_COMP, OP_REPLACE, OP_PIN, OP_RELEASE, OP_ROLLBACK, NOPS };
extern const char *const op_name[NOPS];
extern const bool op_vs_compress[NOPS];

/* The bare codec of a type's policy entry, its contexts made once: lz4 (fast levels) and zstd
 * called directly, as the registry's adapter calls them; other codecs through cmz's adapter
 * (one block, no frame). */
typedef struct {
    const char *type;
    const cmz_codec *codec;
    int codec_id, level;
    bool own_entry; /* the policy has an entry for the type (else: the default entry) */
    uint8_t *pool;  /* POOL_SIZE bytes of the type's data */
    void *lz4;
    ZSTD_CCtx *zc;
    ZSTD_DCtx *zd;
    cmz_codec_ctx *cx;
    uint8_t *cbuf;
    size_t cap;
} kind;

typedef struct {
    size_t count, max_kib;
    double med[NOPS][NKINDS], bare_c[NKINDS], bare_d[NKINDS], bare_ratio[NKINDS];
    double add_steps[NKINDS]; /* reaper steps per probe add (compressions + releases) */
    unsigned n[NOPS][NKINDS];
    double pop_add, steps_per_add, codec_per_comp, other_per_step, peak_ratio;
} result;

/* Prints what failed (and err's message) and exits 1. */
void scale_die(const char *what, const cmz_error *err);
/* The type `which` of the policy: its data pool, its codec and the bare codec's contexts. */
void scale_kind_init(kind *k, const cmz_policy *policy, int which);
void scale_kind_free(kind *k);
/* Where resource i's n bytes start in its type's pool. */
size_t scale_pool_offset(size_t i, size_t n);
/* A malloc'd copy of n bytes of k's pool from off. */
uint8_t *scale_take_copy(const kind *k, size_t off, size_t n);
/* The timed operations on 16 KiB probes of type `which` (registry_scale_ops.c); t[op] holds
 * room for `ops` timings, r gets the medians. */
void scale_time_adds(cmz_registry *reg, kind *k, int which, unsigned ops, double **t, result *r);
void scale_time_ops(cmz_registry *reg, kind *k, int which, unsigned ops, double **t, result *r);

#endif
