/* The damage layer's internals: finding a damaged frame's records, checking them, salvage,
 * repair from parity (include/cmz/salvage.h, docs/DAMAGE.md). It sits on the parallel layer
 * (contexts, interrupt flag) and the frame layer; nothing below calls into it.
 *
 * Calls between its files point one way (a file calls only files listed before it):
 *   salvage_scan.c  records without an index; cmz__read_at, the layout
 *   report.c        the report's names, summary and free
 *   locate.c        a frame's parameters and records (index or scan)
 *   parity_records.c  a group's records read and checked; the writer's parity check
 *   repair.c        one frame rebuilt from parity
 *   assess.c        verify's parity verdict (a trial repair)
 *   salvage.c       one frame verified or salvaged
 *   salvage_frames.c  inputs of several frames: the public verify, salvage, repair
 *   repair_file.c, safe.c  the calls built on those */
#ifndef CMZ_DAMAGE_INTERNAL_H
#define CMZ_DAMAGE_INTERNAL_H

#include "../parallel/internal.h"
#include "../frame/parity.h"
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

/* A damaged frame's parameters and records, found (locate.c): steps 1 and 2 shared by
 * verify, salvage and repair. The report has one entry per data chunk, numbered and placed,
 * state not yet set. */
typedef struct {
    cmz__frame_params params;
    layout lay;
    uint64_t content; /* content size (from the footer, or guessed from the last chunk) */
    uint64_t frame_size;
    uint64_t memory_limit;
    cmz_frame_report *report;
} cmz__located;

/* On success the caller owns loc->report and loc->lay (cmz__layout_free). */
cmz_status cmz__frame_locate(const cmz_dctx *dctx, const cmz_source *src, cmz__located *loc,
                             cmz_error *err);
/* Fills report->info and the frame fields of a one-frame report, then its summary (report.c). */
void cmz__frame_report_finish(cmz_frame_report *rep, const cmz__located *loc);
/* report->summary from the report's counts and flags. */
void cmz__frame_report_summarize(cmz_frame_report *rep);
/* Verify on a parity frame: counts the damaged parity records (CRCs, or not the parity of
 * their group) and marks the damaged chunks that a repair would rebuild: those a trial repair
 * rebuilt when it succeeded (assess.c). */
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

/* ---- a parity group's records (parity_records.c) ---- */

typedef struct {
    uint8_t *buf; /* the whole record: header, then payload */
    size_t cap;
    uint32_t len;
    bool ok;
    cmz__chunk_header h;
    char why[160]; /* when not ok */
} cmz__record;

typedef struct {
    const cmz_source *src;
    const cmz__located *loc;
    cmz__record data[CMZ_PARITY_MAX];
    cmz__record parity[CMZ_PARITY_MAX];
    bool parity_ok[CMZ_PARITY_MAX]; /* parity record j is intact and agrees with the table */
    /* the group's table and shard size, from its first intact parity record */
    bool have_table;
    uint8_t table[CMZ_PARITY_MAX * CMZ_PARITY_ENTRY_SIZE];
    uint32_t shard_size;
    bool short_group; /* an intact parity record says its group has fewer than K records */
} cmz__group_io;

/* Grows r's buffer to need bytes, keeping its first r->len bytes (cmz__grow does not). */
int cmz__record_grow_keep(cmz__record *r, size_t need);
void cmz__records_free(cmz__record *r, unsigned n);
/* Reads the record at `at` and checks it is the expected one (kind, number; for parity: j and
 * the group's size) with both CRCs intact. r->ok says whether it is; r->why says why not.
 * Returns CMZ_OK or CMZ_ERR_NOMEM (damage is a verdict in r, not an error). */
cmz_status cmz__record_load(cmz__group_io *io, cmz__record *r, uint64_t at, int kind,
                            uint64_t number, unsigned j, uint32_t count);
/* Loads group g's parity records (each into its own buffer when `keep`, else all through the
 * first, for a verdict without the shards); io->parity_ok[j] says which are intact and the
 * first intact one's table becomes the group's. *intact counts the trusted ones. */
cmz_status cmz__group_load_parity(cmz__group_io *io, uint64_t g, uint32_t count, bool keep,
                                  unsigned *intact);

#endif
