/* Verify's verdict on a parity frame: which damaged chunks a repair would rebuild, and how
 * many parity records are damaged. */
#include "internal.h"

#include <assert.h>

static int discard(void *opaque, const void *data, size_t n) {
    (void)opaque, (void)data, (void)n;
    return 0;
}

/* The CRC verdict on the parity records alone, when a trial repair does not fit the memory
 * limit: damaged parity records are counted, and no chunk is called repairable (unchecked). */
static cmz_status parity_count(const cmz_source *src, cmz__located *loc, cmz_error *err) {
    cmz_frame_report *rep = loc->report;
    const cmz__frame_params *p = &loc->params;
    cmz__group_io io = {.src = src, .loc = loc};
    cmz_status st = CMZ_OK;
    uint64_t groups = cmz__group_count(p, rep->chunk_count);
    for (uint64_t g = 0; g < groups && st == CMZ_OK; g++) {
        unsigned intact;
        st =
            cmz__group_load_parity(&io, g, cmz__group_size(p, rep->chunk_count, g), false, &intact);
        rep->parity_damaged += p->parity_m - intact;
    }
    cmz__records_free(io.parity, 1);
    if (st != CMZ_OK) return cmz__error(err, st, "out of memory");
    return CMZ_OK;
}

/* A chunk is repairable only when `cmz repair` would rebuild it, so the verdict is a repair
 * whose output is thrown away: it also finds parity records whose CRCs hold but whose bytes
 * are not the parity of their group, and every other reason a repair refuses. */
cmz_status cmz__parity_assess(cmz_dctx *dctx, const cmz_source *src, cmz__located *loc,
                              cmz_error *err) {
    cmz_frame_report *rep = loc->report, *trial = NULL;
    cmz_output none = {discard, NULL};
    cmz_error terr;
    cmz_status st = cmz__frame_repair_one(dctx, src, &none, &trial, &terr);
    if (st == CMZ_ERR_LIMIT) return parity_count(src, loc, err);
    if (st != CMZ_OK && st != CMZ_ERR_CORRUPT) {
        if (err) *err = terr;
        return st;
    }
    assert(trial && trial->chunk_count == rep->chunk_count); /* CORRUPT comes with a report */
    rep->parity_damaged = trial->parity_damaged;
    for (uint64_t i = 0; st == CMZ_OK && i < rep->chunk_count; i++)
        if (rep->chunks[i].state != CMZ_CHUNK_INTACT && trial->chunks[i].repaired) {
            rep->chunks[i].repairable = true;
            rep->repairable++;
        }
    cmz_frame_report_free(trial);
    return CMZ_OK;
}
