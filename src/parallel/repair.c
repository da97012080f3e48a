/* Repair: rebuilding damaged chunks from their group's parity, and writing the frame again
 * (include/cmz/salvage.h, docs/DAMAGE.md).
 *
 * One pass, group by group: the group's records are read and checked (chunk header CRC and
 * payload CRC: a record that passes both is what the writer wrote), up to M missing data
 * records are rebuilt from the intact parity records (Reed-Solomon, src/frame/parity.c) and
 * checked against the CRC32C that the parity table keeps of each record, and the group is
 * written out: its data records, then its parity records (as read when all are intact, else
 * computed again). The header, index and footer are written from the records. The writers are
 * deterministic, so the repaired frame is the original, byte for byte. */
#include "salvage_internal.h"
#include "../frame/parity.h"

#include <stdio.h>

typedef struct {
    uint8_t *buf; /* the whole record: header, then payload */
    size_t cap;
    uint32_t len;
    bool ok;
    cmz__chunk_header h;
    char why[160]; /* when not ok */
} record;

typedef struct {
    const cmz_source *src;
    const cmz__located *loc;
    record data[CMZ_PARITY_MAX];
    record parity[CMZ_PARITY_MAX];
    bool parity_ok[CMZ_PARITY_MAX]; /* parity record j is intact and agrees with the table */
    /* the group's table and shard size, from its first intact parity record */
    bool have_table;
    uint8_t table[CMZ_PARITY_MAX * CMZ_PARITY_ENTRY_SIZE];
    uint32_t shard_size;
    bool short_group; /* an intact parity record says its group has fewer than K records */
} group_io;

/* Grows r's buffer to need bytes, keeping its first r->len bytes (cmz__grow does not). */
static int grow_keep(record *r, size_t need) {
    if (r->cap >= need) return 0;
    uint8_t *p = cmz__malloc_large(need);
    if (!p) return -1;
    if (r->len) memcpy(p, r->buf, r->len);
    cmz__free(r->buf);
    r->buf = p;
    r->cap = need;
    return 0;
}

static void records_free(record *r, unsigned n) {
    for (unsigned i = 0; i < n; i++) cmz__free(r[i].buf);
}

/* Reads the record at `at` and checks it is the expected one (kind, number; for parity: j and
 * the group's size) with both CRCs intact. r->ok says whether it is; r->why says why not. */
static cmz_status load(group_io *io, record *r, uint64_t at, int kind, uint64_t number,
                       unsigned j, uint32_t count) {
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
static bool table_valid(const record *r, uint32_t count) {
    const uint8_t *t = r->buf + CMZ_CHUNK_HEADER_SIZE;
    uint32_t longest = 0;
    for (uint32_t i = 0; i < count; i++) {
        uint32_t len = cmz__get_le32(t + (size_t)i * CMZ_PARITY_ENTRY_SIZE);
        if (len < CMZ_CHUNK_HEADER_SIZE || len > r->h.raw_size) return false;
        if (len > longest) longest = len;
    }
    return longest == r->h.raw_size;
}

/* Loads group g's parity records (each into its own buffer when `keep`, else all through the
 * first, for a verdict without the shards). io->parity_ok[j] says which are intact; the first
 * intact one's table becomes the group's, and a later one that disagrees with it is not
 * trusted. *intact counts the trusted ones. */
static cmz_status load_parity(group_io *io, uint64_t g, uint32_t count, bool keep,
                              unsigned *intact) {
    const cmz__located *loc = io->loc;
    unsigned m = loc->params.parity_m;
    size_t table = (size_t)count * CMZ_PARITY_ENTRY_SIZE;
    *intact = 0;
    io->have_table = false;
    for (unsigned j = 0; j < m; j++) {
        record *r = &io->parity[keep ? j : 0];
        io->parity_ok[j] = false;
        cmz_status st = load(io, r, loc->lay.parity_at[g * m + j], CMZ_KIND_PARITY, g, j, count);
        if (st != CMZ_OK) return st;
        if (!r->ok) continue;
        const uint8_t *t = r->buf + CMZ_CHUNK_HEADER_SIZE;
        if (!table_valid(r, count) ||
            (io->have_table &&
             (r->h.raw_size != io->shard_size || memcmp(t, io->table, table) != 0))) {
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

cmz_status cmz__parity_assess(const cmz_source *src, cmz__located *loc, cmz_error *err) {
    cmz_frame_report *rep = loc->report;
    const cmz__frame_params *p = &loc->params;
    group_io io = {.src = src, .loc = loc};
    cmz_status st = CMZ_OK;
    uint64_t groups = cmz__group_count(p, rep->chunk_count);
    for (uint64_t g = 0; g < groups && st == CMZ_OK; g++) {
        uint32_t count = cmz__group_size(p, rep->chunk_count, g);
        unsigned intact, damaged = 0;
        if ((st = load_parity(&io, g, count, false, &intact)) != CMZ_OK) break;
        rep->parity_damaged += p->parity_m - intact;
        cmz_chunk_report *c = &rep->chunks[g * p->parity_k];
        for (uint32_t r = 0; r < count; r++) damaged += c[r].state != CMZ_CHUNK_INTACT;
        if (damaged == 0 || damaged > intact) continue;
        for (uint32_t r = 0; r < count; r++)
            if (c[r].state != CMZ_CHUNK_INTACT) {
                c[r].repairable = true;
                rep->repairable++;
            }
    }
    records_free(io.parity, 1);
    if (st != CMZ_OK)
        return cmz__fail(err, st, CMZ_NO_POSITION, CMZ_NO_POSITION, "out of memory");
    return CMZ_OK;
}

/* ---- the repair ------------------------------------------------------------------------- */

typedef struct {
    group_io io;
    const cmz_output *out;
    uint64_t out_pos;
    bool failed;        /* a chunk is lost: nothing more is written */
    uint8_t *index;     /* entries of the records written */
    uint64_t content;   /* raw bytes of the records written */
    uint32_t last_raw;  /* the previous record's raw size (only the last may be short) */
    cmz__parity_code code;
    cmz__parity_group regen; /* parity computed again for a group whose parity is damaged */
    uint8_t *zero;      /* a zero shard for the members a short group lacks */
    size_t zero_cap;
    /* every record written is decoded and its raw CRC checked: intact CRCs do not prove that
     * the header's codec and filter are the ones the chunks were written with */
    cmz_codec_ctx *codec;
    cmz__scratch filter, raw;
    cmz_error *err;
} repairer;

static cmz_status emit(repairer *rp, const void *data, size_t n) {
    if (rp->failed || n == 0) return CMZ_OK;
    if (rp->out->write(rp->out->opaque, data, n) != 0)
        return cmz__fail(rp->err, CMZ_ERR_IO, CMZ_NO_POSITION, rp->out_pos,
                         "writing the repaired frame at offset %llu failed",
                         (unsigned long long)rp->out_pos);
    rp->out_pos += n;
    return CMZ_OK;
}

static void lose(repairer *rp, cmz_chunk_report *c, const char *why) {
    cmz_frame_report *rep = rp->io.loc->report;
    if (c->state == CMZ_CHUNK_INTACT && !c->repaired) { /* intact CRCs, but unusable */
        rep->intact--;
        rep->damaged++;
    }
    if (c->repaired) { /* rebuilt, but unusable */
        c->repaired = false;
        rep->repaired--;
    }
    c->state = c->record_offset == CMZ_NO_POSITION ? CMZ_CHUNK_MISSING : CMZ_CHUNK_DAMAGED;
    c->status = CMZ_ERR_CORRUPT;
    snprintf(c->message, sizeof c->message, "%.159s", why);
    rp->failed = true;
    rep->lost_bytes += c->raw_size;
}

/* Decodes data record k and checks its raw CRC; marks it lost when it does not decode (intact
 * CRCs do not prove that the header's codec and filter are the ones it was written with). */
static cmz_status check_decodes(repairer *rp, uint64_t k, const record *r) {
    const cmz__frame_params *p = &rp->io.loc->params;
    cmz_error e;
    if (cmz__grow(&rp->raw.buf, &rp->raw.cap, r->h.raw_size) != 0) return CMZ_ERR_NOMEM;
    cmz_status st = cmz__chunk_decode(rp->codec, p, &rp->filter, &r->h,
                                      r->buf + CMZ_CHUNK_HEADER_SIZE, rp->raw.buf,
                                      rp->io.loc->report->chunks[k].record_offset, &e);
    if (st == CMZ_ERR_NOMEM) return st;
    if (st != CMZ_OK) {
        char msg[160];
        snprintf(msg, sizeof msg, "its record is intact but does not decode (%.100s)", e.message);
        lose(rp, &rp->io.loc->report->chunks[k], msg);
    }
    return CMZ_OK;
}

/* Writes data record k (checked) and its index entry. */
static cmz_status write_data(repairer *rp, uint64_t k, const record *r) {
    const cmz__frame_params *p = &rp->io.loc->params;
    if (k && rp->last_raw != p->chunk_size) {
        lose(rp, &rp->io.loc->report->chunks[k], "it follows a short chunk: the frame is not "
                                                 "one cmz wrote");
        return CMZ_OK;
    }
    cmz__index_entry_write(rp->index + k * CMZ_INDEX_ENTRY_SIZE, rp->out_pos, r->h.payload_size,
                           r->h.raw_size);
    rp->content += r->h.raw_size;
    rp->last_raw = r->h.raw_size;
    return emit(rp, r->buf, r->len);
}

/* Rebuilds the group's missing data records from its parity (in io.data, lengths from the
 * table of `first`). Returns CMZ_OK with the rebuilt records checked, or marks them lost. */
static cmz_status rebuild(repairer *rp, uint64_t g, uint32_t count) {
    const cmz__located *loc = rp->io.loc;
    const cmz__frame_params *p = &loc->params;
    unsigned k = p->parity_k, m = p->parity_m;
    size_t L = rp->io.shard_size;
    const uint8_t *table = rp->io.table;
    uint8_t *shards[2 * CMZ_PARITY_MAX];
    bool present[2 * CMZ_PARITY_MAX];
    if (cmz__grow(&rp->zero, &rp->zero_cap, L) != 0) return CMZ_ERR_NOMEM;
    memset(rp->zero, 0, L);
    for (unsigned r = 0; r < k; r++) {
        record *d = &rp->io.data[r];
        if (r >= count) { /* a short group's absent member: a zero shard */
            shards[r] = rp->zero;
            present[r] = true;
            continue;
        }
        if (!d->ok) d->len = 0; /* its bytes are rebuilt whole */
        if (grow_keep(d, L) != 0) return CMZ_ERR_NOMEM;
        memset(d->buf + d->len, 0, L - d->len); /* intact records are <= L: table_valid */
        shards[r] = d->buf;
        present[r] = d->ok;
    }
    for (unsigned j = 0; j < m; j++) {
        record *q = &rp->io.parity[j];
        present[k + j] = rp->io.parity_ok[j];
        shards[k + j] = present[k + j] ? q->buf + CMZ_CHUNK_HEADER_SIZE +
                                             (size_t)count * CMZ_PARITY_ENTRY_SIZE
                                       : NULL;
    }
    /* the parity shards of damaged records are never read: point them at scratch */
    for (unsigned j = 0; j < m; j++)
        if (!present[k + j]) shards[k + j] = rp->zero;
    cmz_status st = cmz__parity_rebuild(&rp->code, shards, present, L);
    if (st == CMZ_ERR_NOMEM) return st;
    for (uint32_t r = 0; r < count; r++) {
        record *d = &rp->io.data[r];
        if (d->ok) continue;
        uint64_t number = g * k + r;
        cmz_chunk_report *c = &loc->report->chunks[number];
        uint32_t len = cmz__get_le32(table + (size_t)r * CMZ_PARITY_ENTRY_SIZE);
        uint32_t crc = cmz__get_le32(table + (size_t)r * CMZ_PARITY_ENTRY_SIZE + 4);
        cmz_error e;
        if (st != CMZ_OK || len < CMZ_CHUNK_HEADER_SIZE || len > L ||
            cmz_crc32c(0, d->buf, len) != crc ||
            cmz__chunk_header_parse(d->buf, p, CMZ_NO_POSITION, &d->h, &e) != CMZ_OK ||
            d->h.kind != CMZ_KIND_DATA || d->h.number != number ||
            CMZ_CHUNK_HEADER_SIZE + (uint64_t)d->h.payload_size != len) {
            lose(rp, c, "rebuilding it from parity did not give a record with its CRC32C");
            continue;
        }
        d->len = len;
        d->ok = true;
        c->repaired = true;
        loc->report->repaired++;
    }
    return CMZ_OK;
}

/* Writes the group's parity records: as read when all are intact, else computed again. */
static cmz_status write_parity(repairer *rp, uint32_t count) {
    const cmz__frame_params *p = &rp->io.loc->params;
    bool all = true;
    for (unsigned j = 0; j < p->parity_m; j++) all = all && rp->io.parity_ok[j];
    cmz_status st = CMZ_OK;
    if (all) {
        for (unsigned j = 0; j < p->parity_m && st == CMZ_OK; j++)
            st = emit(rp, rp->io.parity[j].buf, rp->io.parity[j].len);
        rp->regen.group++;
        return st;
    }
    for (uint32_t r = 0; r < count && st == CMZ_OK; r++)
        st = cmz__parity_group_add(&rp->regen, rp->io.data[r].buf, rp->io.data[r].len);
    if (st != CMZ_OK) return st;
    uint8_t head[CMZ_CHUNK_HEADER_SIZE + CMZ_PARITY_MAX * CMZ_PARITY_ENTRY_SIZE];
    for (unsigned j = 0; j < p->parity_m && st == CMZ_OK; j++) {
        size_t n = cmz__parity_group_head(&rp->regen, j, head);
        if ((st = emit(rp, head, n)) == CMZ_OK)
            st = emit(rp, rp->regen.shard[j], rp->regen.longest);
    }
    cmz__parity_group_next(&rp->regen);
    return st;
}

/* One group (a parity group, or a single chunk in a frame without parity). */
static cmz_status repair_group(repairer *rp, uint64_t g) {
    const cmz__located *loc = rp->io.loc;
    const cmz__frame_params *p = &loc->params;
    cmz_frame_report *rep = loc->report;
    bool parity = cmz__has_parity(p);
    uint64_t first_chunk = parity ? g * p->parity_k : g;
    uint32_t count = parity ? cmz__group_size(p, rep->chunk_count, g) : 1;
    unsigned missing = 0, intact = 0;
    cmz_status st;
    if (parity && (st = load_parity(&rp->io, g, count, true, &intact)) != CMZ_OK) return st;
    const uint8_t *table = parity && rp->io.have_table ? rp->io.table : NULL;
    if (parity) rep->parity_damaged += p->parity_m - intact;
    for (uint32_t r = 0; r < count; r++) {
        uint64_t k = first_chunk + r;
        cmz_chunk_report *c = &rep->chunks[k];
        record *d = &rp->io.data[r];
        if ((st = load(&rp->io, d, loc->lay.at[k], CMZ_KIND_DATA, k, 0, 0)) != CMZ_OK) return st;
        /* a record that is not the one the parity table describes is not trusted */
        if (d->ok && table &&
            (d->len != cmz__get_le32(table + (size_t)r * CMZ_PARITY_ENTRY_SIZE) ||
             cmz_crc32c(0, d->buf, d->len) !=
                 cmz__get_le32(table + (size_t)r * CMZ_PARITY_ENTRY_SIZE + 4))) {
            d->ok = false;
            d->len = 0;
            snprintf(d->why, sizeof d->why, "its record differs from the one its parity "
                                            "table describes");
        }
        if (d->ok) {
            c->state = CMZ_CHUNK_INTACT;
            rep->intact++;
            continue;
        }
        missing++;
        c->state = loc->lay.at[k] == CMZ_NO_POSITION ? CMZ_CHUNK_MISSING : CMZ_CHUNK_DAMAGED;
        c->status = CMZ_ERR_CORRUPT;
        snprintf(c->message, sizeof c->message, "%.159s", d->why);
        if (c->state == CMZ_CHUNK_DAMAGED) rep->damaged++;
        else rep->missing++;
    }
    if (missing && (!parity || missing > intact)) {
        for (uint32_t r = 0; r < count; r++)
            if (!rp->io.data[r].ok) {
                cmz_chunk_report *c = &rep->chunks[first_chunk + r];
                char msg[160];
                snprintf(msg, sizeof msg, "%.90s (%.60s)", rp->io.data[r].why,
                         parity ? "more damaged chunks in its group than intact parity records"
                                : "no parity to rebuild it from");
                lose(rp, c, msg);
            }
        return CMZ_OK;
    }
    if (missing && (st = rebuild(rp, g, count)) != CMZ_OK) return st;
    for (uint32_t r = 0; r < count; r++)
        if (rp->io.data[r].ok && (st = check_decodes(rp, first_chunk + r, &rp->io.data[r])) != CMZ_OK)
            return st;
    if (rp->failed) return CMZ_OK;
    for (uint32_t r = 0; r < count && st == CMZ_OK; r++)
        st = write_data(rp, first_chunk + r, &rp->io.data[r]);
    if (st == CMZ_OK && parity && !rp->failed) st = write_parity(rp, count);
    return st;
}

/* The index and footer of the records written. */
static cmz_status write_tail(repairer *rp, uint64_t n) {
    uint8_t head[16], crc_le[4], foot[CMZ_FOOTER_SIZE];
    cmz__index_head_write(head, n);
    size_t entries = (size_t)n * CMZ_INDEX_ENTRY_SIZE;
    cmz__put_le32(crc_le, cmz_crc32c(cmz_crc32c(0, head, 16), rp->index, entries));
    cmz__footer f = {.params = rp->io.loc->params,
                     .index_offset = rp->out_pos,
                     .content_size = rp->content,
                     .chunk_count = n};
    cmz__footer_write(foot, &f);
    cmz_status st;
    if ((st = emit(rp, head, 16)) || (st = emit(rp, rp->index, entries)) ||
        (st = emit(rp, crc_le, 4)) || (st = emit(rp, foot, sizeof foot)))
        return st;
    return CMZ_OK;
}

/* Without the footer, the chunk count is known for certain only when the last chunk is short,
 * or an intact index for n chunks follows the last record, or the source ends where the index
 * and footer of n chunks would (a footer damaged in place). */
static bool end_is_certain(const cmz_source *src, const repairer *rp, uint64_t n) {
    const cmz__frame_params *p = &rp->io.loc->params;
    if (n && rp->last_raw < p->chunk_size) return true;
    if (rp->io.short_group) return true; /* only the last group is short */
    uint64_t end = rp->out_pos; /* the output is the original: its offsets are the input's */
    uint64_t index_size = CMZ_INDEX_FIXED_SIZE + n * CMZ_INDEX_ENTRY_SIZE;
    if (src->size == end + index_size + CMZ_FOOTER_SIZE) return true;
    uint8_t head[16];
    if (!cmz__read_at(src, head, sizeof head, end) || memcmp(head, cmz__index_marker, 4) != 0 ||
        cmz__get_le64(head + 8) != n)
        return false;
    /* the index as the repaired frame has it: the input's must be the same bytes */
    uint8_t buf[4096];
    uint32_t crc = cmz_crc32c(0, head, sizeof head);
    for (uint64_t at = 0; at < n * CMZ_INDEX_ENTRY_SIZE;) {
        size_t k = n * CMZ_INDEX_ENTRY_SIZE - at < sizeof buf ? (size_t)(n * CMZ_INDEX_ENTRY_SIZE - at)
                                                              : sizeof buf;
        if (!cmz__read_at(src, buf, k, end + 16 + at) || memcmp(buf, rp->index + at, k) != 0)
            return false;
        crc = cmz_crc32c(crc, buf, k);
        at += k;
    }
    return cmz__read_at(src, buf, 4, end + index_size - 4) && cmz__get_le32(buf) == crc;
}

static cmz_status repair(cmz_dctx *dctx, const cmz_source *src, const cmz_output *out,
                         cmz_frame_report **report_out, cmz_error *err) {
    cmz__located loc;
    cmz_status st = cmz__frame_locate(dctx, src, &loc, err);
    if (st != CMZ_OK) return st;
    cmz_frame_report *rep = loc.report;
    const cmz__frame_params *p = &loc.params;
    bool parity = cmz__has_parity(p);
    uint64_t n = rep->chunk_count;
    repairer rp;
    memset(&rp, 0, sizeof rp);
    rp.io.src = src;
    rp.io.loc = &loc;
    rp.out = out;
    rp.err = err;
    /* memory: a group's records and parity records, a zero shard, and the index */
    uint64_t bound = cmz__record_bound(p, p->chunk_size);
    unsigned members = parity ? (unsigned)p->parity_k + 2u * p->parity_m + 1 : 1;
    members += 3; /* decoding: the raw bytes and the filter's scratch */
    uint64_t need = members * (bound + CMZ_PARITY_MAX * CMZ_PARITY_ENTRY_SIZE) +
                    n * CMZ_INDEX_ENTRY_SIZE;
    if (need > loc.memory_limit)
        st = cmz__fail(err, CMZ_ERR_LIMIT, CMZ_NO_POSITION, CMZ_NO_POSITION,
                       "repairing groups of %u chunks of %u bytes needs %llu bytes, over the "
                       "memory limit of %llu",
                       parity ? (unsigned)p->parity_k : 1u, (unsigned)p->chunk_size,
                       (unsigned long long)need, (unsigned long long)loc.memory_limit);
    if (st == CMZ_OK && !(rp.index = cmz__malloc(n ? (size_t)n * CMZ_INDEX_ENTRY_SIZE : 1)))
        st = CMZ_ERR_NOMEM;
    if (st == CMZ_OK && !(rp.codec = cmz_codec_ctx_new(cmz_codec_by_id(p->codec))))
        st = CMZ_ERR_NOMEM;
    if (st == CMZ_OK && parity &&
        ((st = cmz__parity_code_init(&rp.code, p->parity_k, p->parity_m)) != CMZ_OK ||
         (st = cmz__parity_group_init(&rp.regen, p, (size_t)bound)) != CMZ_OK))
        st = CMZ_ERR_NOMEM;
    if (st == CMZ_ERR_NOMEM)
        cmz__fail(err, st, CMZ_NO_POSITION, CMZ_NO_POSITION, "out of memory");
    uint8_t header[CMZ_HEADER_SIZE];
    cmz__header_write(header, p);
    if (st == CMZ_OK) st = emit(&rp, header, sizeof header);
    uint64_t groups = parity ? cmz__group_count(p, n) : n;
    for (uint64_t g = 0; g < groups && st == CMZ_OK; g++) {
        if (cmz__salvage_interrupted(dctx))
            st = cmz__fail(err, CMZ_ERR_INTERRUPTED, CMZ_NO_POSITION, CMZ_NO_POSITION,
                           "interrupted");
        else if ((st = repair_group(&rp, g)) == CMZ_ERR_NOMEM)
            cmz__fail(err, st, CMZ_NO_POSITION, CMZ_NO_POSITION, "out of memory");
    }
    bool end_unknown = st == CMZ_OK && !rp.failed && !rep->footer_ok &&
                       !end_is_certain(src, &rp, n);
    if (end_unknown) rp.failed = true;
    if (st == CMZ_OK && !rp.failed) {
        /* the records, all intact now, say the content size (the footer may be lost) */
        if (n && rep->chunks[n - 1].raw_size != rp.last_raw) rep->chunks[n - 1].raw_size = rp.last_raw;
        loc.content = rp.content;
        rep->content_size_known = true;
        st = write_tail(&rp, n);
    }
    records_free(rp.io.data, parity ? p->parity_k : 1);
    records_free(rp.io.parity, parity ? p->parity_m : 0);
    cmz__free(rp.zero);
    cmz__free(rp.index);
    cmz__free(rp.filter.buf);
    cmz__free(rp.raw.buf);
    cmz_codec_ctx_free(rp.codec);
    if (parity) {
        cmz__parity_group_free(&rp.regen);
        cmz__parity_code_free(&rp.code);
    }
    cmz__layout_free(&loc.lay);
    if (st != CMZ_OK) {
        cmz_frame_report_free(rep);
        return st;
    }
    rep->repairable = rep->repaired;
    cmz__report_summary(rep, &loc);
    *report_out = rep;
    if (!rp.failed) return CMZ_OK;
    if (end_unknown)
        return cmz__fail(err, CMZ_ERR_CORRUPT, CMZ_NO_POSITION, CMZ_NO_POSITION,
                         "the frame's footer is lost and its last chunk (%llu) is a full one: "
                         "chunks after it may be missing, so the frame cannot be rebuilt for "
                         "certain ('cmz -d --salvage' saves the chunks found)",
                         (unsigned long long)(n ? n - 1 : 0));
    uint64_t lost = rep->damaged + rep->missing - rep->repaired, at = 0;
    if (lost == 0) lost = 1; /* cannot happen: every failure marks a chunk */
    while (at < n && (rep->chunks[at].state == CMZ_CHUNK_INTACT || rep->chunks[at].repaired)) at++;
    return cmz__fail(err, CMZ_ERR_CORRUPT, at, rep->chunks[at < n ? at : 0].record_offset,
                     "%llu chunk%s cannot be rebuilt (the first is chunk %llu: %s)",
                     (unsigned long long)lost, lost == 1 ? "" : "s", (unsigned long long)at,
                     at < n ? rep->chunks[at].message : "");
}

cmz_status cmz_frame_repair(cmz_dctx *dctx, const cmz_source *src, const cmz_output *out,
                            cmz_frame_report **report, cmz_error *err) {
    if (report) *report = NULL;
    if (!src || !report || !out || !out->write)
        return cmz__fail(err, CMZ_ERR_INVALID_ARG, CMZ_NO_POSITION, CMZ_NO_POSITION,
                         "cmz_frame_repair: NULL source, output or report");
    return repair(dctx, src, out, report, err);
}

/* ---- checking the parity a writer produced --------------------------------------------- */

cmz_status cmz__parity_verify(const cmz_dctx *dctx, const cmz_source *src, cmz_error *err) {
    cmz__located loc;
    cmz_status st = cmz__frame_locate(dctx, src, &loc, err);
    if (st != CMZ_OK) return st;
    const cmz__frame_params *p = &loc.params;
    group_io io = {.src = src, .loc = &loc};
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
                if ((st = load(&io, &io.data[0], loc.lay.at[k], CMZ_KIND_DATA, k, 0, 0)) != CMZ_OK)
                    break;
                if (!io.data[0].ok) problem = "a data record is damaged", at = loc.lay.at[k];
                else st = cmz__parity_group_add(&regen, io.data[0].buf, io.data[0].len);
            }
            for (unsigned j = 0; st == CMZ_OK && !problem && j < p->parity_m; j++) {
                uint64_t pat = loc.lay.parity_at[g * p->parity_m + j];
                if ((st = load(&io, &io.parity[0], pat, CMZ_KIND_PARITY, g, j, count)) != CMZ_OK)
                    break;
                size_t hn = cmz__parity_group_head(&regen, j, head);
                const record *q = &io.parity[0];
                if (!q->ok || q->len != hn + regen.longest || memcmp(q->buf, head, hn) != 0 ||
                    memcmp(q->buf + hn, regen.shard[j], regen.longest) != 0)
                    problem = "a parity record differs from the parity of its group", at = pat;
            }
            cmz__parity_group_next(&regen);
        }
    }
    if (have_regen) cmz__parity_group_free(&regen);
    records_free(io.data, 1);
    records_free(io.parity, 1);
    cmz__layout_free(&loc.lay);
    cmz_frame_report_free(loc.report);
    if (st != CMZ_OK)
        return cmz__fail(err, st, CMZ_NO_POSITION, CMZ_NO_POSITION, "checking the parity: %s",
                         cmz_strerror(st));
    if (problem)
        return cmz__fail(err, CMZ_ERR_CORRUPT, CMZ_NO_POSITION, at,
                         "the frame's parity does not check out: %s", problem);
    return CMZ_OK;
}
