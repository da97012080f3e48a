/* Reed-Solomon parity over a group of K data shards and M parity shards (ISA-L's erasure
 * code over GF(2^8), Cauchy matrix). A shard is a data record's bytes, zero-padded to the
 * group's longest record; the members missing from a short last group are zero shards, so the
 * coefficients never depend on the group's size (docs/FORMAT.md "Parity"). */
#ifndef CMZ_FRAME_PARITY_H
#define CMZ_FRAME_PARITY_H

#include "internal.h"

#include <stdbool.h>

typedef struct {
    unsigned k, m;
    uint8_t *matrix; /* (k + m) x k: identity on top, the Cauchy rows below */
    uint8_t *tables; /* ec_init_tables of the m Cauchy rows: 32 * k * m bytes */
} cmz__parity_code;

/* k >= 1, m >= 1, k + m <= CMZ_PARITY_MAX. CMZ_ERR_NOMEM or CMZ_ERR_INVALID_ARG. */
cmz_status cmz__parity_code_init(cmz__parity_code *code, unsigned k, unsigned m);
void cmz__parity_code_free(cmz__parity_code *code);

/* Folds data shard i (0..k-1), whose first len bytes are `data` and the rest zero, into the m
 * parity shards (each at least len bytes; they start zeroed). Shards may be folded in any
 * order, each once. */
void cmz__parity_fold(const cmz__parity_code *code, unsigned i, const uint8_t *data, size_t len,
                      uint8_t *const *parity);

/* Rebuilds the data shards that are not present. shards[0..k+m) each hold len bytes (data
 * shards first, then parity); present[i] says which hold valid bytes. The missing data shards
 * are written in place. Missing parity shards are left alone (fold them again from the data).
 * CMZ_ERR_CORRUPT when fewer than k shards are present, CMZ_ERR_NOMEM. */
cmz_status cmz__parity_rebuild(const cmz__parity_code *code, uint8_t *const *shards,
                               const bool *present, size_t len);

/* The parity records of one group as its data records are written (the frame writer and
 * repair): fold each record in order, then write the M parity records, then start the next
 * group. The shard buffers grow to the longest record met, up to `bound`. */
typedef struct {
    cmz__parity_code code;
    uint8_t *shard[CMZ_PARITY_MAX]; /* m parity shards, zero past `longest` */
    size_t cap, bound;
    size_t longest; /* L: the longest record of the group so far */
    uint32_t count; /* data records folded into the open group */
    uint64_t group;
    uint8_t table[CMZ_PARITY_MAX * CMZ_PARITY_ENTRY_SIZE];
} cmz__parity_group;

/* For the frame's K:M; bound is the largest record the frame can hold. */
cmz_status cmz__parity_group_init(cmz__parity_group *g, const cmz__frame_params *p, size_t bound);
void cmz__parity_group_free(cmz__parity_group *g);
/* Folds the next data record of the group. CMZ_ERR_NOMEM, or CMZ_ERR_CORRUPT when the group
 * is already full or the record is longer than the bound. */
cmz_status cmz__parity_group_add(cmz__parity_group *g, const uint8_t *record, size_t len);
static inline bool cmz__parity_group_full(const cmz__parity_group *g) {
    return g->count == g->code.k;
}
/* Parity record j of the group: its 40-byte header and the table into head (returns the bytes
 * written: 40 + 8 x count); the shard that follows is g->shard[j][0..g->longest). */
size_t cmz__parity_group_head(const cmz__parity_group *g, unsigned j, uint8_t *head);
/* Clears the shards for the next group. */
void cmz__parity_group_next(cmz__parity_group *g);

#endif
