/* Inputs of several frames (a .cmz file may be frames concatenated): where each frame starts
 * and ends, even when some are damaged, so that verify, salvage and repair read every frame
 * (include/cmz/salvage.h, docs/DAMAGE.md).
 *
 * A boundary is taken only where it is certain:
 * - from the front: a frame whose structure holds from its header to its index (header CRC,
 *   every record header's CRC and numbering, index CRC and count) ends where its footer would,
 *   and the next frame starts there (the footer itself may be damaged);
 * - from the end: a footer whose CRC holds gives its frame's size, so its frame's start, and
 *   the previous frame's footer ends there.
 * What lies between the two chains is read as one frame. A stretch that has no readable
 * header or footer (bytes after the last frame, a frame whose both ends are lost) is reported
 * as stray bytes, never silently skipped. */
#include "salvage_internal.h"

#include <assert.h>
#include <stdio.h>

typedef struct {
    uint64_t start, end;
} span;

typedef struct {
    span *at;
    size_t n, cap;
} spans;

static bool spans_push(spans *s, uint64_t start, uint64_t end) {
    if (s->n == s->cap) {
        size_t cap = s->cap ? 2 * s->cap : 8;
        span *grown = cmz__malloc(cap * sizeof *grown);
        if (!grown) return false;
        if (s->n) memcpy(grown, s->at, s->n * sizeof *grown);
        cmz__free(s->at);
        s->at = grown;
        s->cap = cap;
    }
    s->at[s->n++] = (span){start, end};
    return true;
}

/* ---- a window of the source: one frame, read as if it were the whole input --------------- */

typedef struct {
    cmz_source src; /* first: the pread callback gets a pointer to it */
    const cmz_source *parent;
    uint64_t start;
} window;

static int64_t window_pread(const cmz_source *src, void *buf, size_t n, uint64_t offset) {
    const window *w = (const window *)src;
    return w->parent->pread(w->parent, buf, n, w->start + offset);
}

static void window_open(window *w, const cmz_source *parent, span s) {
    memset(w, 0, sizeof *w);
    if (parent->data) {
        cmz_source_memory(&w->src, parent->data + s.start, (size_t)(s.end - s.start));
        return;
    }
    w->src.pread = window_pread;
    w->src.size = s.end - s.start;
    w->src.fd = -1;
    w->parent = parent;
    w->start = s.start;
}

/* ---- finding the boundaries ------------------------------------------------------------- */

/* The index record at `at` for n data chunks is intact: marker, count and CRC. */
static bool index_holds(const cmz_source *src, uint64_t at, uint64_t n) {
    uint8_t buf[4096];
    if (n > src->size / CMZ_INDEX_ENTRY_SIZE || !cmz__read_at(src, buf, 16, at) ||
        memcmp(buf, cmz__index_marker, 4) != 0 || cmz__get_le64(buf + 8) != n)
        return false;
    uint32_t crc = cmz_crc32c(0, buf, 16);
    uint64_t entries = n * CMZ_INDEX_ENTRY_SIZE;
    for (uint64_t done = 0; done < entries;) {
        size_t k = entries - done < sizeof buf ? (size_t)(entries - done) : sizeof buf;
        if (!cmz__read_at(src, buf, k, at + 16 + done)) return false;
        crc = cmz_crc32c(crc, buf, k);
        done += k;
    }
    return cmz__read_at(src, buf, 4, at + 16 + entries) && cmz__get_le32(buf) == crc;
}

/* The frame at `start`, walked from its header through every record header to its index:
 * true with *end (where its footer ends) when the whole structure holds. Payloads are
 * stepped over, never read, so a .cmz stored inside a chunk is not mistaken for a frame. */
static bool walk(const cmz_dctx *dctx, const cmz_source *src, uint64_t start, uint64_t *end) {
    uint8_t head[CMZ_HEADER_SIZE > CMZ_CHUNK_HEADER_SIZE ? CMZ_HEADER_SIZE : CMZ_CHUNK_HEADER_SIZE];
    cmz__frame_params p;
    if (!cmz__read_at(src, head, CMZ_HEADER_SIZE, start) ||
        cmz__header_parse(head, start, &p, NULL) != CMZ_OK)
        return false;
    uint64_t pos = start + CMZ_HEADER_SIZE, data = 0;
    for (;;) {
        if (cmz__salvage_interrupted(dctx) || !cmz__read_at(src, head, 16, pos)) return false;
        if (memcmp(head, cmz__index_marker, 4) == 0) break;
        cmz__chunk_header h;
        if (!cmz__read_at(src, head, CMZ_CHUNK_HEADER_SIZE, pos) ||
            cmz__chunk_header_parse(head, &p, pos - start, &h, NULL) != CMZ_OK ||
            (h.kind == CMZ_KIND_DATA && h.number != data++))
            return false;
        pos += CMZ_CHUNK_HEADER_SIZE + (uint64_t)h.payload_size;
    }
    if (!index_holds(src, pos, data)) return false;
    uint64_t e = pos + CMZ_INDEX_FIXED_SIZE + data * CMZ_INDEX_ENTRY_SIZE + CMZ_FOOTER_SIZE;
    if (e > src->size) return false;
    *end = e;
    return true;
}

/* The start of the frame whose footer ends at `end`, if that footer is intact and its frame
 * fits after `floor`. */
static bool footer_start(const cmz_source *src, uint64_t floor, uint64_t end, uint64_t *start) {
    uint8_t buf[CMZ_FOOTER_SIZE];
    cmz__footer f;
    if (end - floor < CMZ_HEADER_SIZE + CMZ_INDEX_FIXED_SIZE + CMZ_FOOTER_SIZE ||
        !cmz__read_at(src, buf, sizeof buf, end - CMZ_FOOTER_SIZE) ||
        cmz__footer_parse(buf, end - CMZ_FOOTER_SIZE, &f, NULL) != CMZ_OK ||
        f.chunk_count > src->size / CMZ_INDEX_ENTRY_SIZE || f.index_offset > src->size)
        return false;
    uint64_t size = f.index_offset + CMZ_INDEX_FIXED_SIZE +
                    f.chunk_count * CMZ_INDEX_ENTRY_SIZE + CMZ_FOOTER_SIZE;
    if (f.index_offset < CMZ_HEADER_SIZE || size > end - floor) return false;
    *start = end - size;
    return true;
}

/* The input's stretches, in order: each one frame, or bytes that may be one (the caller
 * tells by reading it). */
static cmz_status find_spans(const cmz_dctx *dctx, const cmz_source *src, spans *out) {
    spans back = {NULL, 0, 0};
    uint64_t a = 0, b = src->size, e, s;
    bool ok = true;
    while (ok && a < src->size && walk(dctx, src, a, &e)) {
        ok = spans_push(out, a, e);
        a = e;
    }
    while (ok && b > a && footer_start(src, a, b, &s)) {
        ok = spans_push(&back, s, b);
        b = s;
    }
    if (ok && b > a) ok = spans_push(out, a, b);
    for (size_t i = back.n; ok && i > 0; i--) ok = spans_push(out, back.at[i - 1].start, back.at[i - 1].end);
    cmz__free(back.at);
    if (!ok) return CMZ_ERR_NOMEM;
    return cmz__salvage_interrupted(dctx) ? CMZ_ERR_INTERRUPTED : CMZ_OK;
}

/* ---- reading every frame ------------------------------------------------------------------ */

typedef enum { VERIFY, SALVAGE, REPAIR } job;

/* An offset in the frame at `start` as an offset in the input. */
static uint64_t in_input(uint64_t offset, uint64_t start) {
    return offset == CMZ_NO_POSITION ? offset : offset + start;
}

/* Appends frame report r (of the frame at `start`) to the input's report m. */
static bool merge(cmz_frame_report *m, const cmz_frame_report *r, uint64_t start) {
    cmz_chunk_report *chunks = cmz__malloc(((size_t)(m->chunk_count + r->chunk_count) + 1) *
                                           sizeof *chunks);
    if (!chunks) return false;
    if (m->chunk_count) memcpy(chunks, m->chunks, (size_t)m->chunk_count * sizeof *chunks);
    uint64_t base = m->info.content_size;
    for (uint64_t i = 0; i < r->chunk_count; i++) {
        cmz_chunk_report *c = &chunks[m->chunk_count + i];
        *c = r->chunks[i];
        c->frame = m->frames;
        c->content_offset += base;
        c->record_offset = in_input(c->record_offset, start);
    }
    cmz__free(m->chunks);
    m->chunks = chunks;
    if (m->frames == 0) m->info = r->info; /* the parameters shown are the first frame's */
    m->info.content_size = base + r->info.content_size;
    m->chunk_count += r->chunk_count;
    m->info.chunk_count = m->chunk_count;
    m->frames++;
    m->header_ok = m->header_ok && r->header_ok;
    m->footer_ok = m->footer_ok && r->footer_ok;
    m->index_ok = m->index_ok && r->index_ok;
    m->content_size_known = m->content_size_known && r->content_size_known;
    m->has_parity = m->has_parity || r->has_parity;
    m->intact += r->intact;
    m->damaged += r->damaged;
    m->missing += r->missing;
    m->lost_bytes += r->lost_bytes;
    m->repairable += r->repairable;
    m->parity_damaged += r->parity_damaged;
    m->repaired += r->repaired;
    m->unreadable_bytes += r->unreadable_bytes;
    return true;
}

/* A whole repair fails when any frame's does, so verify calls a chunk repairable only when
 * every frame can be repaired. */
static void repair_verdict(cmz_frame_report *m) {
    if (m->damaged + m->missing == m->repairable && m->content_size_known && !m->stray_bytes)
        return;
    for (uint64_t i = 0; i < m->chunk_count; i++) m->chunks[i].repairable = false;
    m->repairable = 0;
}

static cmz_status run_frame(job j, cmz_dctx *dctx, const cmz_source *src,
                            const cmz_output *out, cmz_frame_report **rep, cmz_error *err) {
    if (j == REPAIR) return cmz__frame_repair_one(dctx, src, out, rep, err);
    return cmz__frame_run(dctx, src, j == SALVAGE ? out : NULL, rep, err);
}

/* Every stretch in turn: its report merged, its output written. A stretch without frame
 * parameters (CMZ_ERR_CORRUPT, _TRUNCATED) is stray. *first_err keeps the first frame's
 * repair failure. */
static cmz_status run_spans(job j, cmz_dctx *dctx, const cmz_source *src, const spans *sp,
                            const cmz_output *out, cmz_frame_report *m, cmz_error *first_err,
                            cmz_error *err) {
    cmz_status result = CMZ_OK;
    for (size_t i = 0; i < sp->n; i++) {
        window w;
        window_open(&w, src, sp->at[i]);
        cmz_frame_report *r = NULL;
        cmz_error e;
        cmz_error_clear(&e);
        cmz_status st = run_frame(j, dctx, &w.src, out, &r, &e);
        if (!r && (st == CMZ_ERR_CORRUPT || st == CMZ_ERR_TRUNCATED)) {
            if (!m->stray_bytes) m->stray_offset = sp->at[i].start;
            m->stray_bytes += sp->at[i].end - sp->at[i].start;
            continue;
        }
        if (st != CMZ_OK && !(j == REPAIR && st == CMZ_ERR_CORRUPT && r)) {
            cmz_frame_report_free(r);
            return cmz__fail(err, st, e.chunk, in_input(e.offset, sp->at[i].start), "frame %llu (at offset %llu): %s",
                             (unsigned long long)m->frames,
                             (unsigned long long)sp->at[i].start, e.message);
        }
        if (st != CMZ_OK && result == CMZ_OK) {
            result = st;
            cmz__fail(first_err, st, e.chunk, in_input(e.offset, sp->at[i].start), "frame %llu (at offset %llu): %s",
                      (unsigned long long)m->frames, (unsigned long long)sp->at[i].start,
                      e.message);
        }
        bool merged = merge(m, r, sp->at[i].start);
        cmz_frame_report_free(r);
        if (!merged)
            return cmz__fail(err, CMZ_ERR_NOMEM, CMZ_NO_POSITION, CMZ_NO_POSITION, "out of memory");
    }
    return result;
}

static cmz_status run_all(job j, cmz_dctx *dctx, const cmz_source *src, const cmz_output *out,
                          cmz_frame_report **report, cmz_error *err) {
    *report = NULL;
    spans sp = {NULL, 0, 0};
    cmz_status st = find_spans(dctx, src, &sp);
    if (st != CMZ_OK) {
        cmz__free(sp.at);
        return cmz__fail(err, st, CMZ_NO_POSITION, CMZ_NO_POSITION, "%s",
                         st == CMZ_ERR_NOMEM ? "out of memory" : "interrupted");
    }
    /* one frame (or one stretch that is not a frame): read as it always was */
    if (sp.n <= 1) {
        cmz__free(sp.at);
        return run_frame(j, dctx, src, out, report, err);
    }
    cmz_frame_report *m = cmz__calloc(1, sizeof *m);
    if (!m) {
        cmz__free(sp.at);
        return cmz__fail(err, CMZ_ERR_NOMEM, CMZ_NO_POSITION, CMZ_NO_POSITION, "out of memory");
    }
    m->header_ok = m->footer_ok = m->index_ok = m->content_size_known = true;
    m->stray_offset = CMZ_NO_POSITION;
    cmz_error first;
    cmz_error_clear(&first);
    st = run_spans(j, dctx, src, &sp, out, m, &first, err);
    cmz__free(sp.at);
    if (st != CMZ_OK && st != CMZ_ERR_CORRUPT) {
        cmz_frame_report_free(m);
        return st;
    }
    if (m->frames == 0) { /* no stretch was a frame: the first one's error says why */
        cmz_frame_report_free(m);
        return run_frame(j, dctx, src, out, report, err);
    }
    m->info.frame_size = src->size;
    if (j != REPAIR) repair_verdict(m);
    else m->repairable = m->repaired;
    cmz__report_format(m);
    *report = m;
    if (st == CMZ_OK && j == REPAIR && m->stray_bytes)
        return cmz__fail(err, CMZ_ERR_CORRUPT, CMZ_NO_POSITION, m->stray_offset,
                         "%llu bytes at offset %llu are not part of any frame (a frame whose "
                         "header and footer are lost, or bytes appended): a repair would drop "
                         "them ('cmz -d --salvage' writes the content of every frame)",
                         (unsigned long long)m->stray_bytes, (unsigned long long)m->stray_offset);
    if (st != CMZ_OK && err) *err = first;
    return st;
}

cmz_status cmz_frame_verify(cmz_dctx *dctx, const cmz_source *src, cmz_frame_report **report,
                            cmz_error *err) {
    if (!src || !report)
        return cmz__fail(err, CMZ_ERR_INVALID_ARG, CMZ_NO_POSITION, CMZ_NO_POSITION,
                         "cmz_frame_verify: NULL source or report");
    return run_all(VERIFY, dctx, src, NULL, report, err);
}

cmz_status cmz_frame_salvage(cmz_dctx *dctx, const cmz_source *src, const cmz_output *out,
                             cmz_frame_report **report, cmz_error *err) {
    if (!src || !report || !out || !out->write)
        return cmz__fail(err, CMZ_ERR_INVALID_ARG, CMZ_NO_POSITION, CMZ_NO_POSITION,
                         "cmz_frame_salvage: NULL source, output or report");
    return run_all(SALVAGE, dctx, src, out, report, err);
}

cmz_status cmz_frame_repair(cmz_dctx *dctx, const cmz_source *src, const cmz_output *out,
                            cmz_frame_report **report, cmz_error *err) {
    if (report) *report = NULL;
    if (!src || !report || !out || !out->write)
        return cmz__fail(err, CMZ_ERR_INVALID_ARG, CMZ_NO_POSITION, CMZ_NO_POSITION,
                         "cmz_frame_repair: NULL source, output or report");
    return run_all(REPAIR, dctx, src, out, report, err);
}

cmz_status cmz_frame_check_parity(cmz_dctx *dctx, const cmz_source *src, cmz_error *err) {
    if (!src)
        return cmz__fail(err, CMZ_ERR_INVALID_ARG, CMZ_NO_POSITION, CMZ_NO_POSITION,
                         "cmz_frame_check_parity: NULL source");
    spans sp = {NULL, 0, 0};
    cmz_status st = find_spans(dctx, src, &sp);
    if (st != CMZ_OK)
        cmz__fail(err, st, CMZ_NO_POSITION, CMZ_NO_POSITION, "%s",
                  st == CMZ_ERR_NOMEM ? "out of memory" : "interrupted");
    for (size_t i = 0; st == CMZ_OK && i < sp.n; i++) {
        window w;
        window_open(&w, src, sp.at[i]);
        cmz_error e;
        cmz_error_clear(&e);
        if ((st = cmz__parity_verify(dctx, &w.src, &e)) != CMZ_OK && sp.n == 1)
            cmz__fail(err, st, e.chunk, e.offset, "%s", e.message);
        else if (st != CMZ_OK)
            cmz__fail(err, st, e.chunk, in_input(e.offset, sp.at[i].start),
                      "frame %llu (at offset %llu): %s", (unsigned long long)i,
                      (unsigned long long)sp.at[i].start, e.message);
    }
    cmz__free(sp.at);
    return st;
}
