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
#include "internal.h"

#include <assert.h>
#include <stdio.h>

typedef struct {
    uint64_t start, end;
} span;

typedef struct {
    span *at;
    size_t n, cap;
    uint64_t budget; /* bytes the array may take (the memory limit) */
    bool over;       /* a push failed for the budget, not for memory */
} spans;

static uint64_t memory_limit(const cmz_dctx *dctx) {
    return dctx && dctx->params.memory_limit ? dctx->params.memory_limit : CMZ_DEFAULT_MEMORY_LIMIT;
}

/* False when out of memory or over the budget (a hostile input of countless tiny frames). */
static bool spans_push(spans *s, uint64_t start, uint64_t end) {
    if (s->n == s->cap) {
        size_t cap = s->cap ? 2 * s->cap : 8;
        if ((uint64_t)(cap + s->cap) * sizeof(span) > s->budget) {
            s->over = true;
            return false;
        }
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

typedef enum { WALK_FAILS, WALK_HOLDS, WALK_FOOTER_CUT } walk_result;

/* The frame at `start`, walked from its header through every record header to its index:
 * WALK_HOLDS with *end (where its footer ends) when the whole structure holds, WALK_FOOTER_CUT
 * when it holds but the input ends before its footer would. Payloads are stepped over, never
 * read, so a .cmz stored inside a chunk is not mistaken for a frame. One read per record: an
 * index record and its footer take more than a chunk header. */
static walk_result walk(const cmz_dctx *dctx, const cmz_source *src, uint64_t start,
                        uint64_t *end) {
    uint8_t head[CMZ_HEADER_SIZE > CMZ_CHUNK_HEADER_SIZE ? CMZ_HEADER_SIZE : CMZ_CHUNK_HEADER_SIZE];
    cmz__frame_params p;
    if (!cmz__read_at(src, head, CMZ_HEADER_SIZE, start) ||
        cmz__header_parse(head, start, &p, NULL) != CMZ_OK)
        return WALK_FAILS;
    uint64_t pos = start + CMZ_HEADER_SIZE, data = 0;
    for (;;) {
        if (cmz__salvage_interrupted(dctx)) return WALK_FAILS;
        if (!cmz__read_at(src, head, CMZ_CHUNK_HEADER_SIZE, pos)) {
            /* what is left may still be an index record */
            if (!cmz__read_at(src, head, 4, pos) || memcmp(head, cmz__index_marker, 4) != 0)
                return WALK_FAILS;
            break;
        }
        if (memcmp(head, cmz__index_marker, 4) == 0) break;
        cmz__chunk_header h;
        if (cmz__chunk_header_parse(head, &p, pos - start, &h, NULL) != CMZ_OK ||
            (h.kind == CMZ_KIND_DATA && h.number != data++))
            return WALK_FAILS;
        pos += CMZ_CHUNK_HEADER_SIZE + (uint64_t)h.payload_size;
    }
    if (!index_holds(src, pos, data)) return WALK_FAILS;
    *end = pos + CMZ_INDEX_FIXED_SIZE + data * CMZ_INDEX_ENTRY_SIZE + CMZ_FOOTER_SIZE;
    return *end > src->size ? WALK_FOOTER_CUT : WALK_HOLDS;
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
    uint64_t size = f.index_offset + CMZ_INDEX_FIXED_SIZE + f.chunk_count * CMZ_INDEX_ENTRY_SIZE +
                    CMZ_FOOTER_SIZE;
    if (f.index_offset < CMZ_HEADER_SIZE || size > end - floor) return false;
    *start = end - size;
    return true;
}

/* Frames inside [a, b), the stretch that neither chain explains (both ends of the input
 * damaged): a frame header at x is a frame's start when the structure walked from it ends
 * exactly where the next frame found starts (or at b; or, at the input's end, inside its
 * footer). Found from the right, so that each frame is tied to one after it: a .cmz stored
 * inside a chunk ends inside its chunk, where no frame starts, and is not taken. Pushes the
 * frames found onto *back (right to left) and returns the end of what is left. */
static uint64_t split_middle(const cmz_dctx *dctx, const cmz_source *src, uint64_t a, uint64_t b,
                             spans *back, bool *ok) {
    uint8_t buf[16384];
    const size_t magic = sizeof cmz__frame_magic;
    uint64_t right = b, hi = b;
    while (*ok && hi > a + 1 && !cmz__salvage_interrupted(dctx)) {
        uint64_t lo = hi - (a + 1) > sizeof buf - magic ? hi - (sizeof buf - magic) : a + 1;
        size_t n = (size_t)((hi + magic - 1 < b ? hi + magic - 1 : b) - lo);
        if (!cmz__read_at(src, buf, n, lo)) break; /* unreadable: the stretch stays whole */
        for (size_t i = (size_t)(hi - lo); i-- > 0;) {
            uint64_t e;
            if (i + magic > n || memcmp(buf + i, cmz__frame_magic, magic) != 0) continue;
            walk_result w = walk(dctx, src, lo + i, &e);
            if ((w == WALK_HOLDS && e == right) || (w == WALK_FOOTER_CUT && right == src->size)) {
                *ok = spans_push(back, lo + i, right);
                right = lo + i;
            }
        }
        hi = lo;
    }
    return right;
}

/* The input's stretches, in order: each one frame, or bytes that may be one (the caller
 * tells by reading it). */
static cmz_status find_spans(const cmz_dctx *dctx, const cmz_source *src, spans *out) {
    spans back = {NULL, 0, 0, out->budget, false};
    uint64_t a = 0, b = src->size, e, s;
    bool ok = true;
    while (ok && a < src->size && walk(dctx, src, a, &e) == WALK_HOLDS) {
        ok = spans_push(out, a, e);
        a = e;
    }
    while (ok && b > a && footer_start(src, a, b, &s)) {
        ok = spans_push(&back, s, b);
        b = s;
    }
    if (ok && b > a) b = split_middle(dctx, src, a, b, &back, &ok);
    if (ok && b > a) ok = spans_push(out, a, b);
    for (size_t i = back.n; ok && i > 0; i--)
        ok = spans_push(out, back.at[i - 1].start, back.at[i - 1].end);
    cmz__free(back.at);
    if (!ok) return out->over || back.over ? CMZ_ERR_LIMIT : CMZ_ERR_NOMEM;
    return cmz__salvage_interrupted(dctx) ? CMZ_ERR_INTERRUPTED : CMZ_OK;
}

/* ---- reading every frame ------------------------------------------------------------------ */

typedef enum { VERIFY, SALVAGE, REPAIR } job;

/* An offset in the frame at `start` as an offset in the input. */
static uint64_t in_input(uint64_t offset, uint64_t start) {
    return offset == CMZ_NO_POSITION ? offset : offset + start;
}

/* The input's report as frames are appended to it; its chunk array grows by doubling (a
 * copy per frame made many tiny frames quadratic) within `budget` bytes. */
typedef struct {
    cmz_frame_report *m;
    size_t cap;      /* chunk reports m->chunks has room for */
    uint64_t budget; /* bytes they may take: the memory limit less the spans */
} merged;

/* Bytes of a frame report with its chunk reports. */
static uint64_t report_bytes(const cmz_frame_report *r) {
    return sizeof *r + r->chunk_count * sizeof(cmz_chunk_report);
}

/* Room for `need` chunk reports while `beside` bytes are live too (the merged report, the
 * frame's own report): CMZ_OK, CMZ_ERR_NOMEM or CMZ_ERR_LIMIT. */
static cmz_status merged_reserve(merged *mg, uint64_t need, uint64_t beside) {
    if (need <= mg->cap) return CMZ_OK;
    const uint64_t item = sizeof(cmz_chunk_report);
    uint64_t have = mg->cap * item + beside, cap = 2 * (uint64_t)mg->cap;
    if (cap < need) cap = need;
    if (have + cap * item > mg->budget) cap = need; /* the old array is live during the copy */
    if (have + cap * item > mg->budget) return CMZ_ERR_LIMIT;
    cmz_chunk_report *chunks = cmz__malloc((size_t)cap * sizeof *chunks);
    if (!chunks) return CMZ_ERR_NOMEM;
    cmz_frame_report *m = mg->m;
    if (m->chunk_count) memcpy(chunks, m->chunks, (size_t)m->chunk_count * sizeof *chunks);
    cmz__free(m->chunks);
    m->chunks = chunks;
    mg->cap = (size_t)cap;
    return CMZ_OK;
}

/* Appends frame report r (of the frame at `start`) to the input's report. */
static cmz_status merge(merged *mg, const cmz_frame_report *r, uint64_t start) {
    cmz_frame_report *m = mg->m;
    /* one spare: the array exists even for frames of no chunks, as a one-frame report's does */
    cmz_status st =
        merged_reserve(mg, m->chunk_count + r->chunk_count + 1, sizeof *m + report_bytes(r));
    if (st != CMZ_OK) return st;
    uint64_t base = m->info.content_size;
    for (uint64_t i = 0; i < r->chunk_count; i++) {
        cmz_chunk_report *c = &m->chunks[m->chunk_count + i];
        *c = r->chunks[i];
        c->frame = m->frames;
        c->content_offset += base;
        c->record_offset = in_input(c->record_offset, start);
    }
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
    return CMZ_OK;
}

/* A whole repair fails when any frame's does, so verify calls a chunk repairable only when
 * every frame can be repaired. */
static void repair_verdict(cmz_frame_report *m) {
    if (m->damaged + m->missing == m->repairable && m->content_size_known && !m->stray_bytes)
        return;
    for (uint64_t i = 0; i < m->chunk_count; i++) m->chunks[i].repairable = false;
    m->repairable = 0;
}

static cmz_status run_frame(job j, cmz_dctx *dctx, const cmz_source *src, const cmz_output *out,
                            cmz_frame_report **rep, cmz_error *err) {
    if (j == REPAIR) return cmz__frame_repair_one(dctx, src, out, rep, err);
    return cmz__frame_run(dctx, src, j == SALVAGE ? out : NULL, rep, err);
}

/* Every stretch in turn: its report merged, its output written. A stretch without frame
 * parameters (CMZ_ERR_CORRUPT, _TRUNCATED) is stray. *first_err keeps the first frame's
 * repair failure. */
static cmz_status run_spans(job j, cmz_dctx *dctx, const cmz_source *src, const spans *sp,
                            const cmz_output *out, merged *mg, cmz_error *first_err,
                            cmz_error *err) {
    cmz_frame_report *m = mg->m;
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
            return cmz__fail(err, st, e.chunk, in_input(e.offset, sp->at[i].start),
                             "frame %llu (at offset %llu): %s", (unsigned long long)m->frames,
                             (unsigned long long)sp->at[i].start, e.message);
        }
        if (st != CMZ_OK && result == CMZ_OK) {
            result = st;
            cmz__fail(first_err, st, e.chunk, in_input(e.offset, sp->at[i].start),
                      "frame %llu (at offset %llu): %s", (unsigned long long)m->frames,
                      (unsigned long long)sp->at[i].start, e.message);
        }
        st = merge(mg, r, sp->at[i].start);
        cmz_frame_report_free(r);
        if (st != CMZ_OK)
            return cmz__fail(err, st, CMZ_NO_POSITION, sp->at[i].start, "%s",
                             st == CMZ_ERR_NOMEM ? "out of memory"
                                                 : "the report of every frame's chunks needs "
                                                   "more than the memory limit");
    }
    return result;
}

static cmz_status spans_fail(cmz_status st, cmz_error *err) {
    return cmz__error(err, st, "%s",
                      st == CMZ_ERR_NOMEM ? "out of memory"
                      : st == CMZ_ERR_LIMIT
                          ? "the input's frames are too many to list within the memory limit"
                          : "interrupted");
}

static cmz_status run_all(job j, cmz_dctx *dctx, const cmz_source *src, const cmz_output *out,
                          cmz_frame_report **report, cmz_error *err) {
    *report = NULL;
    spans sp = {NULL, 0, 0, memory_limit(dctx), false};
    cmz_status st = find_spans(dctx, src, &sp);
    if (st != CMZ_OK) {
        cmz__free(sp.at);
        return spans_fail(st, err);
    }
    /* one frame (or one stretch that is not a frame): read as it always was */
    if (sp.n <= 1) {
        cmz__free(sp.at);
        return run_frame(j, dctx, src, out, report, err);
    }
    cmz_frame_report *m = cmz__calloc(1, sizeof *m);
    if (!m) {
        cmz__free(sp.at);
        return cmz__error(err, CMZ_ERR_NOMEM, "out of memory");
    }
    m->header_ok = m->footer_ok = m->index_ok = m->content_size_known = true;
    m->stray_offset = CMZ_NO_POSITION;
    cmz_error first;
    cmz_error_clear(&first);
    merged mg = {m, 0, sp.budget - sp.cap * sizeof(span)};
    st = run_spans(j, dctx, src, &sp, out, &mg, &first, err);
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
    cmz__frame_report_summarize(m);
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
        return cmz__error(err, CMZ_ERR_INVALID_ARG, "cmz_frame_verify: NULL source or report");
    return run_all(VERIFY, dctx, src, NULL, report, err);
}

cmz_status cmz_frame_salvage(cmz_dctx *dctx, const cmz_source *src, const cmz_output *out,
                             cmz_frame_report **report, cmz_error *err) {
    if (!src || !report || !out || !out->write)
        return cmz__error(err, CMZ_ERR_INVALID_ARG,
                          "cmz_frame_salvage: NULL source, output or report");
    return run_all(SALVAGE, dctx, src, out, report, err);
}

cmz_status cmz_frame_repair(cmz_dctx *dctx, const cmz_source *src, const cmz_output *out,
                            cmz_frame_report **report, cmz_error *err) {
    if (report) *report = NULL;
    if (!src || !report || !out || !out->write)
        return cmz__error(err, CMZ_ERR_INVALID_ARG,
                          "cmz_frame_repair: NULL source, output or report");
    return run_all(REPAIR, dctx, src, out, report, err);
}

/* Whether the frame in span s may carry parity: its header says, else its footer; true when
 * neither can be read (cmz__parity_verify then says what is wrong). */
static bool may_have_parity(const cmz_source *src, span s) {
    uint8_t buf[CMZ_HEADER_SIZE > CMZ_FOOTER_SIZE ? CMZ_HEADER_SIZE : CMZ_FOOTER_SIZE];
    cmz__frame_params p;
    cmz__footer f;
    if (cmz__read_at(src, buf, CMZ_HEADER_SIZE, s.start) &&
        cmz__header_parse(buf, s.start, &p, NULL) == CMZ_OK)
        return cmz__has_parity(&p);
    if (s.end - s.start >= CMZ_FOOTER_SIZE &&
        cmz__read_at(src, buf, CMZ_FOOTER_SIZE, s.end - CMZ_FOOTER_SIZE) &&
        cmz__footer_parse(buf, s.end - CMZ_FOOTER_SIZE, &f, NULL) == CMZ_OK)
        return cmz__has_parity(&f.params);
    return true;
}

/* The input is one frame from offset 0 to its end, by its intact footer: `cmz -t` of an intact
 * file needs no walk over its records to learn that. */
static bool one_whole_frame(const cmz_source *src) {
    uint8_t buf[CMZ_FOOTER_SIZE];
    cmz__footer f;
    return src->size >= CMZ_HEADER_SIZE + CMZ_INDEX_FIXED_SIZE + CMZ_FOOTER_SIZE &&
           cmz__read_at(src, buf, CMZ_FOOTER_SIZE, src->size - CMZ_FOOTER_SIZE) &&
           cmz__footer_parse(buf, src->size - CMZ_FOOTER_SIZE, &f, NULL) == CMZ_OK &&
           f.chunk_count <= src->size / CMZ_INDEX_ENTRY_SIZE && f.index_offset <= src->size &&
           f.index_offset + CMZ_INDEX_FIXED_SIZE + f.chunk_count * CMZ_INDEX_ENTRY_SIZE +
                   CMZ_FOOTER_SIZE ==
               src->size;
}

cmz_status cmz_frame_check_parity(cmz_dctx *dctx, const cmz_source *src, cmz_error *err) {
    if (!src) return cmz__error(err, CMZ_ERR_INVALID_ARG, "cmz_frame_check_parity: NULL source");
    spans sp = {NULL, 0, 0, memory_limit(dctx), false};
    cmz_status st = CMZ_OK;
    if (one_whole_frame(src)) {
        if (!may_have_parity(src, (span){0, src->size})) return CMZ_OK;
        if (!spans_push(&sp, 0, src->size)) st = CMZ_ERR_NOMEM;
    } else {
        st = find_spans(dctx, src, &sp);
    }
    if (st != CMZ_OK) spans_fail(st, err);
    for (size_t i = 0; st == CMZ_OK && i < sp.n; i++) {
        if (!may_have_parity(src, sp.at[i])) continue;
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
