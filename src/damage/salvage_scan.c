/* Finding a damaged frame's data records without its index.
 *
 * 1. Collect every candidate: a chunk marker followed by a chunk header whose CRC holds. Not
 *    only the records a front-to-back walk would meet: a payload may hold a whole .cmz stored
 *    uncompressed, whose records are valid too, and a walk that stepped into one after a
 *    damaged header would take them for the frame's own and step over the real ones.
 * 2. Choose by the frame's own structure: records are contiguous, numbered 0, 1, 2, ... from
 *    the end of the header (offset 48), and the last one ends at the index. The chain from the
 *    header and, when the footer gives the index offset, the chain back from the index are
 *    certain. A chunk between chosen ones must fit exactly: it starts where chunk k-1 ends
 *    when that one is chosen, and ends where chunk k+1 starts when that one is.
 * 3. A chunk none fits is missing; when its neighbour before is chosen its record offset is
 *    still known (where that one ends), so it is reported damaged at that offset.
 * Known limit: without the index offset, a chunk after a damaged one is the first candidate
 * that fits, which may be a record of a frame stored inside the damaged chunk's payload. */
#include "internal.h"

#include <stdlib.h>

bool cmz__read_at(const cmz_source *src, void *buf, size_t n, uint64_t offset) {
    if (offset > src->size || n > src->size - offset) return false;
    return src->pread(src, buf, n, offset) == (int64_t)n;
}

void cmz__layout_free(layout *lay) {
    cmz__free(lay->at);
    cmz__free(lay->parity_at);
    lay->at = lay->parity_at = NULL;
}

/* A record found: `number` is its sequence number in the frame (data and parity records in
 * file order: src/frame/internal.h), so that one chain rule covers both kinds; `data` is the
 * count of data chunks a frame has when this record is its last (a parity record says how many
 * its group holds), kept from the header parsed here so that it is never read again. */
typedef struct {
    uint64_t pos, end, number, data;
} candidate;

#define SCAN_BLOCK ((size_t)4 << 20)
#define SCAN_PIECE ((size_t)512) /* a sector: the unit skipped after an I/O error */

/* Step 1. At most `limit` candidates are kept (memory); *unreadable counts skipped bytes. */
static cmz_status collect(const cmz_source *src, const cmz__frame_params *p, uint64_t from,
                          uint64_t to, uint64_t max_chunks, size_t limit, const cmz_dctx *dctx,
                          candidate **out, size_t *count, uint64_t *unreadable) {
    size_t block_size = to - from < SCAN_BLOCK + CMZ_CHUNK_HEADER_SIZE
                            ? (size_t)(to - from)
                            : SCAN_BLOCK + CMZ_CHUNK_HEADER_SIZE;
    uint8_t *block = cmz__malloc(block_size ? block_size : 1);
    size_t n_cand = 0, cap = 64;
    candidate *cand = cmz__malloc(cap * sizeof *cand);
    cmz_status st = block && cand ? CMZ_OK : CMZ_ERR_NOMEM;
    uint64_t pos = from, small_until = 0;
    while (st == CMZ_OK && pos + CMZ_CHUNK_HEADER_SIZE <= to && n_cand < limit) {
        if (cmz__salvage_interrupted(dctx)) {
            st = CMZ_ERR_INTERRUPTED;
            break;
        }
        bool small = pos < small_until;
        size_t want = (small ? SCAN_PIECE : SCAN_BLOCK) + CMZ_CHUNK_HEADER_SIZE;
        size_t n = (size_t)(to - pos < want ? to - pos : want);
        if (!cmz__read_at(src, block, n, pos)) {
            if (!small) small_until = pos + SCAN_BLOCK; /* find the unreadable part */
            else {
                *unreadable += SCAN_PIECE;
                pos += SCAN_PIECE;
            }
            continue;
        }
        size_t last = n - CMZ_CHUNK_HEADER_SIZE; /* candidates start at 0..last */
        for (size_t i = 0; i <= last && n_cand < limit;) {
            const uint8_t *hit = memchr(block + i, cmz__chunk_marker[0], last + 1 - i);
            if (!hit) break;
            i = (size_t)(hit - block);
            cmz__chunk_header h;
            uint64_t at = pos + i;
            i++;
            if (memcmp(hit, cmz__chunk_marker, 4) != 0 ||
                cmz__chunk_header_parse(hit, p, at, &h, NULL) != CMZ_OK)
                continue;
            /* (a parity record's group number is checked before it is multiplied) */
            if (h.kind == CMZ_KIND_DATA ? h.number >= max_chunks
                                        : h.number >= max_chunks / p->parity_k + 1 ||
                                              h.number * p->parity_k >= max_chunks)
                continue;
            uint64_t seq = h.kind == CMZ_KIND_DATA
                               ? cmz__data_seq(p, h.number)
                               : cmz__parity_seq(p, h.number, h.group_count, h.parity_index);
            if (at < CMZ_HEADER_SIZE + seq * CMZ_CHUNK_HEADER_SIZE) continue; /* no room before */
            if (n_cand == cap) {
                candidate *grown = cmz__malloc(2 * cap * sizeof *grown);
                if (!grown) {
                    st = CMZ_ERR_NOMEM;
                    break;
                }
                memcpy(grown, cand, n_cand * sizeof *cand);
                cmz__free(cand);
                cand = grown;
                cap *= 2;
            }
            uint64_t data =
                h.kind == CMZ_KIND_DATA ? h.number + 1 : h.number * p->parity_k + h.group_count;
            cand[n_cand++] =
                (candidate){at, at + CMZ_CHUNK_HEADER_SIZE + h.payload_size, seq, data};
        }
        if (n < want) break; /* the last window */
        pos += last + 1;
    }
    cmz__free(block);
    if (st != CMZ_OK) {
        cmz__free(cand);
        return st;
    }
    *out = cand;
    *count = n_cand;
    return CMZ_OK;
}

/* The candidate at position pos with number `number` (candidates are in position order). */
static const candidate *at_pos(const candidate *c, size_t n, uint64_t pos, uint64_t number) {
    size_t lo = 0, hi = n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (c[mid].pos < pos) lo = mid + 1;
        else hi = mid;
    }
    for (; lo < n && c[lo].pos == pos; lo++)
        if (c[lo].number == number) return &c[lo];
    return NULL;
}

static int by_end(const void *a, const void *b) {
    const candidate *x = *(const candidate *const *)a, *y = *(const candidate *const *)b;
    return x->end < y->end ? -1 : x->end > y->end;
}

/* The candidate ending at `end` with number `number` (ends: pointers sorted by end). */
static const candidate *at_end(const candidate **ends, size_t n, uint64_t end, uint64_t number) {
    size_t lo = 0, hi = n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (ends[mid]->end < end) lo = mid + 1;
        else hi = mid;
    }
    for (; lo < n && ends[lo]->end == end; lo++)
        if (ends[lo]->number == number) return ends[lo];
    return NULL;
}

/* Record offsets by sequence number -> data offsets and parity offsets. */
static cmz_status split(const cmz__frame_params *p, const uint64_t *seq_at, uint64_t records,
                        uint64_t data, layout *lay) {
    uint64_t groups = cmz__group_count(p, data);
    lay->at = cmz__malloc((data ? (size_t)data : 1) * sizeof *lay->at);
    lay->parity_at = groups ? cmz__malloc((size_t)(groups * p->parity_m) * sizeof(uint64_t)) : NULL;
    if (!lay->at || (groups && !lay->parity_at)) {
        cmz__layout_free(lay);
        return CMZ_ERR_NOMEM;
    }
    for (uint64_t k = 0; k < data; k++) {
        uint64_t seq = cmz__data_seq(p, k);
        lay->at[k] = seq < records ? seq_at[seq] : CMZ_NO_POSITION;
    }
    for (uint64_t g = 0; g < groups; g++)
        for (unsigned j = 0; j < p->parity_m; j++) {
            uint64_t seq = cmz__parity_seq(p, g, cmz__group_size(p, data, g), j);
            lay->parity_at[g * p->parity_m + j] = seq < records ? seq_at[seq] : CMZ_NO_POSITION;
        }
    lay->count = data;
    return CMZ_OK;
}

cmz_status cmz__salvage_scan(const cmz_source *src, const cmz__frame_params *p, uint64_t from,
                             uint64_t to, uint64_t max_chunks, uint64_t known, bool ends_at_to,
                             const cmz_dctx *dctx, layout *lay) {
    candidate *cand = NULL;
    size_t n = 0;
    /* candidates: the chunks, and as many again for records stored inside payloads */
    size_t limit = max_chunks > SIZE_MAX / 4 / sizeof(candidate) ? SIZE_MAX / 4 / sizeof(candidate)
                                                                 : (size_t)max_chunks * 2 + 64;
    size_t limit_records = limit > SIZE_MAX / 2 ? SIZE_MAX / 2 : limit;
    if (cmz__has_parity(p))
        limit_records += limit_records / p->parity_k * p->parity_m + p->parity_m;
    cmz_status st =
        collect(src, p, from, to, max_chunks, limit_records, dctx, &cand, &n, &lay->unreadable);
    if (st != CMZ_OK) return st;
    uint64_t count = cmz__record_count(p, known); /* records, in sequence numbers */
    for (size_t i = 0; !ends_at_to && i < n; i++)
        if (cand[i].number + 1 > count) count = cand[i].number + 1;
    const candidate **chosen = cmz__calloc(count ? (size_t)count : 1, sizeof *chosen);
    const candidate **ends = cmz__malloc((n ? n : 1) * sizeof *ends);
    uint64_t *at = cmz__malloc((count ? (size_t)count : 1) * sizeof *at);
    if (!chosen || !ends || !at) {
        cmz__free(cand);
        cmz__free(chosen);
        cmz__free(ends);
        cmz__free(at);
        return CMZ_ERR_NOMEM;
    }
    for (size_t i = 0; i < n; i++) ends[i] = &cand[i];
    qsort(ends, n, sizeof *ends, by_end);
    /* 2a. the chain from the header */
    const candidate *c = at_pos(cand, n, from, 0);
    for (uint64_t k = 0; c && k < count; k++) {
        chosen[k] = c;
        c = k + 1 < count ? at_pos(cand, n, c->end, k + 1) : NULL;
    }
    /* 2b. the chain back from the index */
    if (ends_at_to && count) {
        c = at_end(ends, n, to, count - 1);
        for (uint64_t k = count - 1; c; k--) {
            chosen[k] = c;
            if (k == 0) break;
            c = at_end(ends, n, c->pos, k - 1);
        }
    }
    /* 2c. the chunks between: in order, each fitting its chosen neighbours */
    for (uint64_t k = 0; k < count; k++) {
        if (chosen[k]) continue;
        uint64_t lo = from, hi = to;
        uint64_t j = k;
        while (j > 0 && !chosen[j - 1]) j--;
        if (j > 0) lo = chosen[j - 1]->end;
        uint64_t l = k + 1;
        while (l < count && !chosen[l]) l++;
        if (l < count) hi = chosen[l]->pos;
        for (size_t i = 0; i < n; i++) {
            const candidate *d = &cand[i];
            if (d->number != k || d->pos < lo || d->end > hi) continue;
            if (k > 0 && chosen[k - 1] && d->pos != chosen[k - 1]->end) continue;
            if (k + 1 < count && chosen[k + 1] && d->end != chosen[k + 1]->pos) continue;
            chosen[k] = d;
            break;
        }
    }
    /* 3. offsets, known ones for unchosen chunks after a chosen one */
    for (uint64_t k = 0; k < count; k++)
        at[k] = chosen[k]       ? chosen[k]->pos
                : k == 0        ? from
                : chosen[k - 1] ? chosen[k - 1]->end
                                : CMZ_NO_POSITION;
    /* without the footer, records past the last one chosen are unknown: the count ends there */
    uint64_t data = known;
    if (!known) {
        while (count && !chosen[count - 1]) count--;
        data = count ? chosen[count - 1]->data : 0;
    }
    cmz__free(cand);
    cmz__free(chosen);
    cmz__free(ends);
    st = split(p, at, count, data, lay);
    cmz__free(at);
    return st;
}
