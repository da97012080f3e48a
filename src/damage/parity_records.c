/* A parity group's records: reading and checking them (for repair.c and assess.c), and the
 * check that a frame's parity records are the parity of their groups (cmz_safe_compress). */
#include "internal.h"

#include <stdio.h>

int cmz__record_grow_keep(cmz__record *r, size_t need) {
    if (r->cap >= need) return 0;
    uint8_t *p = cmz__malloc_large(need);
    if (!p) return -1;
    if (r->len) memcpy(p, r->buf, r->len);
    cmz__free(r->buf);
    r->buf = p;
    r->cap = need;
    return 0;
}

void cmz__records_free(cmz__record *r, unsigned n) {
    for (unsigned i = 0; i < n; i++) cmz__free(r[i].buf);
}

/* Reads the record at `at` and checks it is the expected one (kind, number; for parity: j and
 * the group's size) with both CRCs intact. r->ok says whether it is; r->why says why not. */
cmz_status cmz__record_load(cmz__group_io *io, cmz__record *r, uint64_t at, int kind,
                            uint64_t number, unsigned j, uint32_t count) {
    const cmz__frame_params *p = &io->loc->params;
    cmz_error e;
    r->ok = false;
    r->len = 0;
    if (at == CMZ_NO_POSITION) {
        snprintf(r->why, sizeof r->why, "no intact record was found for it");
        return CMZ_OK;
    }
    uint8_t head[CMZ_CHUNK_HEADER_SIZE];
    if (!cmz__read_at(io->src, head, sizeof head, at) ||
        cmz__chunk_header_parse(head, p, at, &r->h, &e) != CMZ_OK) {
        snprintf(r->why, sizeof r->why, "%s",
                 at + sizeof head > io->src->size ? "the frame ends before its record"
                                                  : "its record header is damaged or unreadable");
        return CMZ_OK;
    }
    if (r->h.kind != kind || r->h.number != number ||
        (kind == CMZ_KIND_PARITY && (r->h.parity_index != j || r->h.group_count != count))) {
        snprintf(r->why, sizeof r->why, "the record at offset %llu is another one",
                 (unsigned long long)at);
        return CMZ_OK;
    }
    size_t len = CMZ_CHUNK_HEADER_SIZE + (size_t)r->h.payload_size;
    if (at > io->src->size || len > io->src->size - at) { /* before allocating for it */
        snprintf(r->why, sizeof r->why, "its payload is cut short");
        return CMZ_OK;
    }
    if (cmz__grow(&r->buf, &r->cap, len) != 0) return CMZ_ERR_NOMEM;
    memcpy(r->buf, head, sizeof head);
    if (!cmz__read_at(io->src, r->buf + sizeof head, r->h.payload_size, at + sizeof head)) {
        snprintf(r->why, sizeof r->why, "its payload is cut short or unreadable");
        return CMZ_OK;
    }
    uint32_t crc = cmz_crc32c(0, r->buf + sizeof head, r->h.payload_size);
    if (r->h.encoding != CMZ_ENCODING_ZEROS && crc != r->h.payload_crc) {
        snprintf(r->why, sizeof r->why, "its payload CRC32C is %08x, expected %08x", crc,
                 r->h.payload_crc);
        return CMZ_OK;
    }
    r->len = (uint32_t)len;
    r->ok = true;
    return CMZ_OK;
}

/* A parity record's table must be what the writer makes: every length at least a chunk
 * header and at most L, the longest exactly L. */
static bool table_valid(const cmz__record *r, uint32_t count) {
    const uint8_t *t = r->buf + CMZ_CHUNK_HEADER_SIZE;
    uint32_t longest = 0;
    for (uint32_t i = 0; i < count; i++) {
        uint32_t len = cmz__get_le32(t + (size_t)i * CMZ_PARITY_ENTRY_SIZE);
        if (len < CMZ_CHUNK_HEADER_SIZE || len > r->h.raw_size) return false;
        if (len > longest) longest = len;
    }
    return longest == r->h.raw_size;
}

/* A later parity record whose table or shard size disagrees with the first intact one's is not
 * trusted. */
cmz_status cmz__group_load_parity(cmz__group_io *io, uint64_t g, uint32_t count, bool keep,
                                  unsigned *intact) {
    const cmz__located *loc = io->loc;
    unsigned m = loc->params.parity_m;
    size_t table = (size_t)count * CMZ_PARITY_ENTRY_SIZE;
    *intact = 0;
    io->have_table = false;
    for (unsigned j = 0; j < m; j++) {
        cmz__record *r = &io->parity[keep ? j : 0];
        io->parity_ok[j] = false;
        cmz_status st =
            cmz__record_load(io, r, loc->lay.parity_at[g * m + j], CMZ_KIND_PARITY, g, j, count);
        if (st != CMZ_OK) return st;
        if (!r->ok) continue;
        const uint8_t *t = r->buf + CMZ_CHUNK_HEADER_SIZE;
        if (!table_valid(r, count) || (io->have_table && (r->h.raw_size != io->shard_size ||
                                                          memcmp(t, io->table, table) != 0))) {
            r->ok = false;
            continue;
        }
        if (!io->have_table) {
            memcpy(io->table, t, table);
            io->shard_size = r->h.raw_size;
            io->have_table = true;
            if (count < loc->params.parity_k) io->short_group = true;
        }
        io->parity_ok[j] = true;
        ++*intact;
    }
    return CMZ_OK;
}

/* ---- checking the parity a writer produced --------------------------------------------- */

cmz_status cmz__parity_verify(const cmz_dctx *dctx, const cmz_source *src, cmz_error *err) {
    cmz__located loc;
    cmz_status st = cmz__frame_locate(dctx, src, &loc, err);
    if (st != CMZ_OK) return st;
    const cmz__frame_params *p = &loc.params;
    cmz__group_io io = {.src = src, .loc = &loc};
    cmz__parity_group regen;
    bool have_regen = false;
    uint8_t head[CMZ_CHUNK_HEADER_SIZE + CMZ_PARITY_MAX * CMZ_PARITY_ENTRY_SIZE];
    const char *problem = NULL;
    uint64_t at = CMZ_NO_POSITION;
    if (!cmz__has_parity(p) || !loc.report->index_ok || !loc.report->header_ok) {
        if (cmz__has_parity(p)) problem = "its header or index is damaged";
    } else if ((st = cmz__parity_group_init(&regen, p, cmz__record_bound(p, p->chunk_size))) ==
               CMZ_OK) {
        have_regen = true;
        uint64_t n = loc.report->chunk_count;
        for (uint64_t g = 0; st == CMZ_OK && !problem && g < cmz__group_count(p, n); g++) {
            uint32_t count = cmz__group_size(p, n, g);
            for (uint32_t r = 0; st == CMZ_OK && !problem && r < count; r++) {
                uint64_t k = g * p->parity_k + r;
                st = cmz__record_load(&io, &io.data[0], loc.lay.at[k], CMZ_KIND_DATA, k, 0, 0);
                if (st != CMZ_OK) break;
                if (!io.data[0].ok) problem = "a data record is damaged", at = loc.lay.at[k];
                else st = cmz__parity_group_add(&regen, io.data[0].buf, io.data[0].len);
            }
            for (unsigned j = 0; st == CMZ_OK && !problem && j < p->parity_m; j++) {
                uint64_t pat = loc.lay.parity_at[g * p->parity_m + j];
                st = cmz__record_load(&io, &io.parity[0], pat, CMZ_KIND_PARITY, g, j, count);
                if (st != CMZ_OK) break;
                size_t hn = cmz__parity_group_head(&regen, j, head);
                const cmz__record *q = &io.parity[0];
                if (!q->ok || q->len != hn + regen.longest || memcmp(q->buf, head, hn) != 0 ||
                    memcmp(q->buf + hn, regen.shard[j], regen.longest) != 0)
                    problem = "a parity record differs from the parity of its group", at = pat;
            }
            cmz__parity_group_next(&regen);
        }
    }
    if (have_regen) cmz__parity_group_free(&regen);
    cmz__records_free(io.data, 1);
    cmz__records_free(io.parity, 1);
    cmz__layout_free(&loc.lay);
    cmz_frame_report_free(loc.report);
    if (st != CMZ_OK) return cmz__error(err, st, "checking the parity: %s", cmz_strerror(st));
    if (problem)
        return cmz__fail(err, CMZ_ERR_CORRUPT, CMZ_NO_POSITION, at,
                         "the frame's parity does not check out: %s", problem);
    return CMZ_OK;
}
