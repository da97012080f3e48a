/* Repair: rebuilding damaged chunks from their group's parity, and writing the frame again
 * (include/cmz/salvage.h, docs/DAMAGE.md).
 *
 * One pass, group by group: the group's records are read and checked (chunk header CRC and
 * payload CRC: a record that passes both is what the writer wrote), up to M missing data
 * records are rebuilt from the intact parity records (Reed-Solomon, src/frame/parity.c) and
 * checked against the CRC32C that the parity table keeps of each record, and the group is
 * written out: its data records, then its parity records, computed again (a record read with
 * intact CRCs that differs from them is counted damaged). The header, index and footer are written
 * from the records. The writers are deterministic, so the repaired frame is the original, byte for
 * byte. */
#include "internal.h"

#include <assert.h>
#include <stdio.h>

/* ---- the repair ------------------------------------------------------------------------- */

typedef struct {
    cmz__group_io io;
    const cmz_output *out;
    uint64_t out_pos;
    bool failed;       /* a chunk is lost: nothing more is written */
    uint8_t *index;    /* entries of the records written */
    uint64_t content;  /* raw bytes of the records written */
    uint32_t last_raw; /* the previous record's raw size (only the last may be short) */
    cmz__parity_code code;
    cmz__parity_group regen; /* parity computed again for a group whose parity is damaged */
    uint8_t *zero;           /* a zero shard for the members a short group lacks */
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
static cmz_status check_decodes(repairer *rp, uint64_t k, const cmz__record *r) {
    const cmz__frame_params *p = &rp->io.loc->params;
    cmz_error e;
    if (cmz__grow(&rp->raw.buf, &rp->raw.cap, r->h.raw_size) != 0) return CMZ_ERR_NOMEM;
    cmz_status st =
        cmz__chunk_decode(rp->codec, p, &rp->filter, &r->h, r->buf + CMZ_CHUNK_HEADER_SIZE,
                          rp->raw.buf, rp->io.loc->report->chunks[k].record_offset, &e);
    if (st == CMZ_ERR_NOMEM) return st;
    if (st != CMZ_OK) {
        char msg[160];
        snprintf(msg, sizeof msg, "its record is intact but does not decode (%.100s)", e.message);
        lose(rp, &rp->io.loc->report->chunks[k], msg);
    }
    return CMZ_OK;
}

/* Writes data record k (checked) and its index entry. */
static cmz_status write_data(repairer *rp, uint64_t k, const cmz__record *r) {
    const cmz__frame_params *p = &rp->io.loc->params;
    if (k && rp->last_raw != p->chunk_size) {
        lose(rp, &rp->io.loc->report->chunks[k],
             "it follows a short chunk: the frame is not "
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
        cmz__record *d = &rp->io.data[r];
        if (r >= count) { /* a short group's absent member: a zero shard */
            shards[r] = rp->zero;
            present[r] = true;
            continue;
        }
        if (!d->ok) d->len = 0; /* its bytes are rebuilt whole */
        if (cmz__record_grow_keep(d, L) != 0) return CMZ_ERR_NOMEM;
        memset(d->buf + d->len, 0, L - d->len); /* intact records are <= L: table_valid */
        shards[r] = d->buf;
        present[r] = d->ok;
    }
    for (unsigned j = 0; j < m; j++) {
        cmz__record *q = &rp->io.parity[j];
        present[k + j] = rp->io.parity_ok[j];
        shards[k + j] = present[k + j]
                            ? q->buf + CMZ_CHUNK_HEADER_SIZE + (size_t)count * CMZ_PARITY_ENTRY_SIZE
                            : NULL;
    }
    /* the parity shards of damaged records are never read: point them at scratch */
    for (unsigned j = 0; j < m; j++)
        if (!present[k + j]) shards[k + j] = rp->zero;
    cmz_status st = cmz__parity_rebuild(&rp->code, shards, present, L);
    if (st == CMZ_ERR_NOMEM) return st;
    for (uint32_t r = 0; r < count; r++) {
        cmz__record *d = &rp->io.data[r];
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

/* Computes the group's parity again from its data records (all intact now) and compares it
 * with the parity records read: one whose CRCs hold but whose bytes differ (a faulty writer or
 * memory) is counted damaged. The group's parity is then written as computed, which is the
 * original wherever the original was right (the writer is deterministic). */
static cmz_status write_parity(repairer *rp, uint32_t count) {
    const cmz__frame_params *p = &rp->io.loc->params;
    cmz_status st = CMZ_OK;
    for (uint32_t r = 0; r < count && st == CMZ_OK; r++)
        st = cmz__parity_group_add(&rp->regen, rp->io.data[r].buf, rp->io.data[r].len);
    if (st != CMZ_OK) return st;
    uint8_t head[CMZ_CHUNK_HEADER_SIZE + CMZ_PARITY_MAX * CMZ_PARITY_ENTRY_SIZE];
    for (unsigned j = 0; j < p->parity_m && st == CMZ_OK; j++) {
        size_t n = cmz__parity_group_head(&rp->regen, j, head);
        const cmz__record *q = &rp->io.parity[j];
        if (rp->io.parity_ok[j] &&
            (q->len != n + rp->regen.longest || memcmp(q->buf, head, n) != 0 ||
             memcmp(q->buf + n, rp->regen.shard[j], rp->regen.longest) != 0)) {
            rp->io.parity_ok[j] = false;
            rp->io.loc->report->parity_damaged++;
        }
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
    if (parity && (st = cmz__group_load_parity(&rp->io, g, count, true, &intact)) != CMZ_OK)
        return st;
    const uint8_t *table = parity && rp->io.have_table ? rp->io.table : NULL;
    if (parity) rep->parity_damaged += p->parity_m - intact;
    for (uint32_t r = 0; r < count; r++) {
        uint64_t k = first_chunk + r;
        cmz_chunk_report *c = &rep->chunks[k];
        cmz__record *d = &rp->io.data[r];
        if ((st = cmz__record_load(&rp->io, d, loc->lay.at[k], CMZ_KIND_DATA, k, 0, 0)) != CMZ_OK)
            return st;
        /* a record that is not the one the parity table describes is not trusted */
        if (d->ok && table &&
            (d->len != cmz__get_le32(table + (size_t)r * CMZ_PARITY_ENTRY_SIZE) ||
             cmz_crc32c(0, d->buf, d->len) !=
                 cmz__get_le32(table + (size_t)r * CMZ_PARITY_ENTRY_SIZE + 4))) {
            d->ok = false;
            d->len = 0;
            snprintf(d->why, sizeof d->why,
                     "its record differs from the one its parity "
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
        if (rp->io.data[r].ok &&
            (st = check_decodes(rp, first_chunk + r, &rp->io.data[r])) != CMZ_OK)
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
        uint64_t left = n * CMZ_INDEX_ENTRY_SIZE - at;
        size_t k = left < sizeof buf ? (size_t)left : sizeof buf;
        if (!cmz__read_at(src, buf, k, end + 16 + at) || memcmp(buf, rp->index + at, k) != 0)
            return false;
        crc = cmz_crc32c(crc, buf, k);
        at += k;
    }
    return cmz__read_at(src, buf, 4, end + index_size - 4) && cmz__get_le32(buf) == crc;
}

cmz_status cmz__frame_repair_one(cmz_dctx *dctx, const cmz_source *src, const cmz_output *out,
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
    uint64_t need =
        members * (bound + CMZ_PARITY_MAX * CMZ_PARITY_ENTRY_SIZE) + n * CMZ_INDEX_ENTRY_SIZE;
    if (need > loc.memory_limit)
        st = cmz__error(err, CMZ_ERR_LIMIT,
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
    if (st == CMZ_ERR_NOMEM) cmz__error(err, st, "out of memory");
    uint8_t header[CMZ_HEADER_SIZE];
    cmz__header_write(header, p);
    if (st == CMZ_OK) st = emit(&rp, header, sizeof header);
    uint64_t groups = parity ? cmz__group_count(p, n) : n;
    for (uint64_t g = 0; g < groups && st == CMZ_OK; g++) {
        if (cmz__salvage_interrupted(dctx))
            st = cmz__error(err, CMZ_ERR_INTERRUPTED, "interrupted");
        else if ((st = repair_group(&rp, g)) == CMZ_ERR_NOMEM) cmz__error(err, st, "out of memory");
    }
    bool end_unknown =
        st == CMZ_OK && !rp.failed && !rep->footer_ok && !end_is_certain(src, &rp, n);
    if (end_unknown) rp.failed = true;
    if (st == CMZ_OK && !rp.failed) {
        /* the records, all intact now, say the content size (the footer may be lost) */
        if (n) rep->chunks[n - 1].raw_size = rp.last_raw;
        loc.content = rp.content;
        rep->content_size_known = true;
        st = write_tail(&rp, n);
    }
    cmz__records_free(rp.io.data, parity ? p->parity_k : 1);
    cmz__records_free(rp.io.parity, parity ? p->parity_m : 0);
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
    cmz__frame_report_finish(rep, &loc);
    *report_out = rep;
    if (!rp.failed) return CMZ_OK;
    if (end_unknown)
        return cmz__error(err, CMZ_ERR_CORRUPT,
                          "the frame's footer is lost and its last chunk (%llu) is a full one: "
                          "chunks after it may be missing, so the frame cannot be rebuilt for "
                          "certain ('cmz -d --salvage' saves the chunks found)",
                          (unsigned long long)(n ? n - 1 : 0));
    uint64_t lost = rep->damaged + rep->missing - rep->repaired, at = 0;
    assert(lost > 0 && "every failure marks a chunk");
    while (at < n && (rep->chunks[at].state == CMZ_CHUNK_INTACT || rep->chunks[at].repaired)) at++;
    assert(at < n && "a chunk that failed is damaged or missing and not repaired");
    return cmz__fail(err, CMZ_ERR_CORRUPT, at, rep->chunks[at < n ? at : 0].record_offset,
                     "%llu chunk%s cannot be rebuilt (the first is chunk %llu: %s)",
                     (unsigned long long)lost, lost == 1 ? "" : "s", (unsigned long long)at,
                     at < n ? rep->chunks[at].message : "");
}
