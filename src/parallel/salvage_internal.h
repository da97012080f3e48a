/* Internals of the salvage code (salvage.c, salvage_scan.c). */
#ifndef CMZ_PARALLEL_SALVAGE_INTERNAL_H
#define CMZ_PARALLEL_SALVAGE_INTERNAL_H

#include "internal.h"
#include "cmz/salvage.h"

#include <stdbool.h>

/* Where each chunk's record starts (CMZ_NO_POSITION: not found). */
typedef struct {
    uint64_t *at;
    uint64_t count;
    uint64_t unreadable; /* bytes the scan could not read (I/O errors) */
} layout;

/* n bytes at offset, all of them, or false (past the end, or an I/O error). */
bool cmz__read_at(const cmz_source *src, void *buf, size_t n, uint64_t offset);

static inline bool cmz__salvage_interrupted(const cmz_dctx *dctx) {
    return dctx && cmz__interrupted(&dctx->params);
}

/* Finds the data records of [from, to) without an index (salvage_scan.c). max_chunks bounds
 * the chunk numbers (memory); known is the chunk count when the footer gives it (0 if not);
 * ends_at_to: the last record ends exactly at `to` (the footer's index offset). */
cmz_status cmz__salvage_scan(const cmz_source *src, const cmz__frame_params *p, uint64_t from,
                             uint64_t to, uint64_t max_chunks, uint64_t known, bool ends_at_to,
                             const cmz_dctx *dctx, layout *lay);

#endif
