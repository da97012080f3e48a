/* Reading and checking a parity group's records (parity_records.c), shared by repair
 * (repair.c), verify's parity verdict and the parity check behind cmz_safe_compress. */
#ifndef CMZ_PARALLEL_REPAIR_INTERNAL_H
#define CMZ_PARALLEL_REPAIR_INTERNAL_H

#include "salvage_internal.h"
#include "../frame/parity.h"

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
