/* Internals of the salvage code (salvage.c, salvage_scan.c). */
#ifndef CMZ_PARALLEL_SALVAGE_INTERNAL_H
#define CMZ_PARALLEL_SALVAGE_INTERNAL_H

#include "internal.h"
#include "cmz/salvage.h"

#include <stdbool.h>

/* Where each record starts (CMZ_NO_POSITION: not found). */
typedef struct {
    uint64_t *at;        /* data chunk k's record */
    uint64_t count;      /* data chunks */
    uint64_t *parity_at; /* parity frames: group g's parity record j at [g * M + j]; else NULL */
    uint64_t unreadable; /* bytes the scan could not read (I/O errors) */
} layout;

/* Parity groups of a frame of n data chunks (0 without parity). */
static inline uint64_t cmz__group_count(const cmz__frame_params *p, uint64_t n) {
    return cmz__has_parity(p) ? (n + p->parity_k - 1) / p->parity_k : 0;
}
/* Data records in group g of a frame of n data chunks. */
static inline uint32_t cmz__group_size(const cmz__frame_params *p, uint64_t n, uint64_t g) {
    uint64_t first = g * p->parity_k, left = n - first;
    return (uint32_t)(left < p->parity_k ? left : p->parity_k);
}
void cmz__layout_free(layout *lay);

/* n bytes at offset, all of them, or false (past the end, or an I/O error). */
bool cmz__read_at(const cmz_source *src, void *buf, size_t n, uint64_t offset);

static inline bool cmz__salvage_interrupted(const cmz_dctx *dctx) {
    return dctx && cmz__interrupted(dctx->params.interrupt);
}

/* Finds the records of [from, to) without an index (salvage_scan.c). max_chunks bounds
 * the chunk numbers (memory); known is the chunk count when the footer gives it (0 if not);
 * ends_at_to: the last record ends exactly at `to` (the footer's index offset). */
cmz_status cmz__salvage_scan(const cmz_source *src, const cmz__frame_params *p, uint64_t from,
                             uint64_t to, uint64_t max_chunks, uint64_t known, bool ends_at_to,
                             const cmz_dctx *dctx, layout *lay);

/* A damaged frame's parameters and records, found (salvage.c): steps 1 and 2 shared by
 * verify, salvage and repair. The report has one entry per data chunk, numbered and placed,
 * state not yet set. */
typedef struct {
    cmz__frame_params params;
    layout lay;
    uint64_t content;      /* content size (from the footer, or guessed from the last chunk) */
    uint64_t frame_size;
    uint64_t memory_limit;
    cmz_frame_report *report;
} cmz__located;

/* On success the caller owns loc->report and loc->lay (cmz__layout_free). */
cmz_status cmz__frame_locate(const cmz_dctx *dctx, const cmz_source *src, cmz__located *loc,
                             cmz_error *err);
/* Fills report->info and the frame fields of a one-frame report, then its summary. */
void cmz__report_summary(cmz_frame_report *rep, const cmz__located *loc);
/* report->summary from the report's counts and flags. */
void cmz__report_format(cmz_frame_report *rep);
/* Verify on a parity frame: counts the damaged parity records (CRCs, or not the parity of
 * their group) and marks the damaged chunks that a repair would rebuild: those a trial repair
 * rebuilt when it succeeded (parity_records.c). */
cmz_status cmz__parity_assess(cmz_dctx *dctx, const cmz_source *src, cmz__located *loc,
                              cmz_error *err);

/* One frame that starts at offset 0 of src and ends at its end: verify (out NULL) or salvage
 * (salvage.c), and repair (repair.c). The public calls split an input into frames first
 * (salvage_frames.c). */
cmz_status cmz__frame_run(cmz_dctx *dctx, const cmz_source *src, const cmz_output *out,
                          cmz_frame_report **report, cmz_error *err);
cmz_status cmz__frame_repair_one(cmz_dctx *dctx, const cmz_source *src, const cmz_output *out,
                                 cmz_frame_report **report, cmz_error *err);

/* Recomputes each group's parity records from its data records and compares them byte for
 * byte with the frame's (cmz_safe_compress): CMZ_ERR_CORRUPT when one differs. CMZ_OK for a
 * frame without parity. */
cmz_status cmz__parity_verify(const cmz_dctx *dctx, const cmz_source *src, cmz_error *err);

#endif
