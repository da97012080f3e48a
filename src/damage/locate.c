/* Steps 1 and 2 of verify, salvage and repair: a damaged frame's parameters (the header, or
 * the footer's copy when the header is damaged) and where its records are (the index when the
 * footer and the index are intact, otherwise a scan: salvage_scan.c). */
#include "internal.h"

#include <stdio.h>

/* A parity frame's parity records follow each group's last record (docs/FORMAT.md). */
static bool place_parity(const cmz__frame_params *p, const uint8_t *entries, uint64_t n,
                         layout *lay) {
    uint64_t groups = cmz__group_count(p, n);
    if (!groups) return true;
    if (!(lay->parity_at = cmz__malloc((size_t)(groups * p->parity_m) * sizeof(uint64_t))))
        return false;
    for (uint64_t g = 0; g < groups; g++) {
        uint32_t count = cmz__group_size(p, n, g);
        uint64_t longest = 0, end = 0;
        for (uint32_t r = 0; r < count; r++) {
            cmz__index_entry e;
            cmz__index_entry_read(entries + (g * p->parity_k + r) * CMZ_INDEX_ENTRY_SIZE, &e);
            uint64_t len = CMZ_CHUNK_HEADER_SIZE + (uint64_t)e.payload_size;
            if (len > longest) longest = len;
            end = e.record_offset + len;
        }
        for (unsigned j = 0; j < p->parity_m; j++)
            lay->parity_at[g * p->parity_m + j] = end + j * cmz__parity_record_size(count, longest);
    }
    return true;
}

/* Step 2 with the footer: reads and checks the index; false when it is damaged. */
static bool load_index(const cmz_source *src, const cmz__footer *f, layout *lay) {
    uint64_t n = f->chunk_count;
    if (n > src->size / (CMZ_CHUNK_HEADER_SIZE + CMZ_INDEX_ENTRY_SIZE)) return false;
    /* A 32-bit system's files can hold an index larger than its address space: then the
     * chunks are found by the scan, as with a damaged index. */
    if (n > (SIZE_MAX - CMZ_INDEX_FIXED_SIZE) / CMZ_INDEX_ENTRY_SIZE ||
        n > SIZE_MAX / sizeof(uint64_t))
        return false;
    size_t size = CMZ_INDEX_FIXED_SIZE + (size_t)n * CMZ_INDEX_ENTRY_SIZE;
    uint8_t *index = cmz__malloc(size);
    uint64_t *at = cmz__malloc((n ? (size_t)n : 1) * sizeof *at);
    bool ok = index && at && cmz__read_at(src, index, size, f->index_offset) &&
              memcmp(index, cmz__index_marker, 4) == 0 &&
              cmz__get_le32(index + size - 4) == cmz_crc32c(0, index, size - 4) &&
              cmz__get_le64(index + 8) == n;
    for (uint64_t i = 0; ok && i < n; i++) {
        cmz__index_entry e;
        cmz__index_entry_read(index + 16 + i * CMZ_INDEX_ENTRY_SIZE, &e);
        at[i] = e.record_offset;
        ok = e.record_offset < f->index_offset;
    }
    lay->at = at;
    lay->count = n;
    if (ok) ok = place_parity(&f->params, index + 16, n, lay);
    cmz__free(index);
    if (!ok) cmz__layout_free(lay);
    return ok;
}

/* Without the footer: an intact index for the n records the scan found, agreeing with the
 * scan and ending where the input ends or inside the 48 bytes that a footer takes (a footer
 * damaged in place or cut), makes the layout and the content size certain. Replaces *lay with
 * the index's. */
static bool index_at_end(const cmz_source *src, const cmz__frame_params *p, layout *lay,
                         uint64_t *content) {
    uint64_t n = lay->count;
    uint64_t size = CMZ_INDEX_FIXED_SIZE + n * CMZ_INDEX_ENTRY_SIZE;
    if (n == 0 || n > src->size / CMZ_INDEX_ENTRY_SIZE) return false;
    for (uint64_t cut = 0; cut <= CMZ_FOOTER_SIZE; cut++) {
        if (size + cut > src->size - CMZ_HEADER_SIZE) break;
        cmz__footer f = {.params = *p, .index_offset = src->size - cut - size, .chunk_count = n};
        uint8_t head[16];
        if (!cmz__read_at(src, head, sizeof head, f.index_offset) ||
            memcmp(head, cmz__index_marker, 4) != 0 || cmz__get_le64(head + 8) != n)
            continue;
        layout found = {.at = NULL};
        if (!load_index(src, &f, &found)) continue;
        uint8_t entry[CMZ_INDEX_ENTRY_SIZE];
        cmz__index_entry last = {0};
        bool ok =
            cmz__read_at(src, entry, sizeof entry, f.index_offset + 16 + (n - 1) * sizeof entry);
        if (ok) cmz__index_entry_read(entry, &last);
        ok = ok && last.raw_size >= 1 && last.raw_size <= p->chunk_size;
        for (uint64_t i = 0; ok && i < n; i++)
            ok = lay->at[i] == CMZ_NO_POSITION || lay->at[i] == found.at[i];
        if (!ok) {
            cmz__layout_free(&found);
            continue;
        }
        found.unreadable = lay->unreadable;
        cmz__layout_free(lay);
        *lay = found;
        *content = (n - 1) * p->chunk_size + last.raw_size;
        return true;
    }
    return false;
}

/* Without the footer, in a parity frame: the last group is short (fewer than K records) and
 * an intact parity record of it says so, which proves that no chunk follows (as repair takes
 * it: repair.c). */
static bool short_group_proven(const cmz_source *src, const cmz__frame_params *p,
                               const layout *lay) {
    uint64_t n = lay->count;
    if (!cmz__has_parity(p) || !lay->parity_at || n % p->parity_k == 0) return false;
    uint64_t g = n / p->parity_k;
    for (unsigned j = 0; j < p->parity_m; j++) {
        uint64_t at = lay->parity_at[g * p->parity_m + j];
        uint8_t buf[4096];
        cmz__chunk_header h;
        if (at == CMZ_NO_POSITION || !cmz__read_at(src, buf, CMZ_CHUNK_HEADER_SIZE, at) ||
            cmz__chunk_header_parse(buf, p, at, &h, NULL) != CMZ_OK || h.kind != CMZ_KIND_PARITY ||
            h.number != g || h.parity_index != j || h.group_count != n - g * p->parity_k)
            continue;
        uint32_t crc = 0;
        bool ok = true;
        for (uint64_t done = 0; ok && done < h.payload_size;) {
            size_t k =
                h.payload_size - done < sizeof buf ? (size_t)(h.payload_size - done) : sizeof buf;
            ok = cmz__read_at(src, buf, k, at + CMZ_CHUNK_HEADER_SIZE + done);
            if (ok) crc = cmz_crc32c(crc, buf, k);
            done += k;
        }
        if (ok && crc == h.payload_crc) return true;
    }
    return false;
}

cmz_status cmz__frame_locate(const cmz_dctx *dctx, const cmz_source *src, cmz__located *loc,
                             cmz_error *err) {
    memset(loc, 0, sizeof *loc);
    uint64_t limit =
        dctx && dctx->params.memory_limit ? dctx->params.memory_limit : CMZ_DEFAULT_MEMORY_LIMIT;
    if (src->size < CMZ_HEADER_SIZE)
        return cmz__fail(err, CMZ_ERR_TRUNCATED, CMZ_NO_POSITION, 0,
                         "%llu bytes: too short for a frame header", (unsigned long long)src->size);
    cmz_frame_report *rep = cmz__calloc(1, sizeof *rep);
    if (!rep) return cmz__error(err, CMZ_ERR_NOMEM, "out of memory");

    /* 1. parameters */
    uint8_t buf[CMZ_HEADER_SIZE > CMZ_FOOTER_SIZE ? CMZ_HEADER_SIZE : CMZ_FOOTER_SIZE];
    cmz__frame_params hp, params;
    cmz__footer footer;
    cmz_error header_err;
    cmz_error_clear(&header_err);
    rep->header_ok = cmz__read_at(src, buf, CMZ_HEADER_SIZE, 0) &&
                     cmz__header_parse(buf, 0, &hp, &header_err) == CMZ_OK;
    rep->footer_ok =
        src->size >= CMZ_HEADER_SIZE + CMZ_FOOTER_SIZE &&
        cmz__read_at(src, buf, CMZ_FOOTER_SIZE, src->size - CMZ_FOOTER_SIZE) &&
        cmz__footer_parse(buf, src->size - CMZ_FOOTER_SIZE, &footer, NULL) == CMZ_OK &&
        footer.index_offset >= CMZ_HEADER_SIZE &&
        footer.index_offset <= src->size - CMZ_FOOTER_SIZE &&
        footer.chunk_count <= src->size / (CMZ_CHUNK_HEADER_SIZE + CMZ_INDEX_ENTRY_SIZE);
    /* one frame only: the footer's frame must end where the source ends */
    if (rep->footer_ok && footer.index_offset + CMZ_INDEX_FIXED_SIZE +
                                  footer.chunk_count * CMZ_INDEX_ENTRY_SIZE + CMZ_FOOTER_SIZE !=
                              src->size) {
        cmz_frame_report_free(rep);
        return cmz__fail(err, CMZ_ERR_UNSUPPORTED, CMZ_NO_POSITION, 0,
                         "the input holds more than one frame (the last one's footer describes "
                         "a frame shorter than the input): salvage and verify read one frame");
    }
    if (rep->header_ok) params = hp;
    else if (rep->footer_ok) params = footer.params;
    else {
        cmz_frame_report_free(rep);
        if (header_err.status == CMZ_ERR_VERSION || header_err.status == CMZ_ERR_UNSUPPORTED)
            return cmz__fail(err, header_err.status, CMZ_NO_POSITION, 0, "%s", header_err.message);
        return cmz__fail(err, CMZ_ERR_CORRUPT, CMZ_NO_POSITION, 0,
                         "neither the frame header (offset 0) nor the footer (offset %llu) is "
                         "intact: the frame's codec and chunk size are lost",
                         (unsigned long long)(src->size - CMZ_FOOTER_SIZE));
    }
    if (rep->header_ok && rep->footer_ok && !cmz__params_equal(&hp, &footer.params))
        rep->footer_ok = false; /* the header wins; the footer's sizes are not trusted */
    /* memory: a chunk's record, its raw bytes and filter scratch; then the report and the
     * layout, one entry per chunk, within what is left */
    uint64_t chunk_memory = 3 * (uint64_t)cmz__record_bound(&params, params.chunk_size);
    const uint64_t per_chunk = sizeof(cmz_chunk_report) + sizeof(uint64_t);
    uint64_t max_chunks = chunk_memory < limit ? (limit - chunk_memory) / per_chunk : 0;
    if (max_chunks > src->size / CMZ_CHUNK_HEADER_SIZE)
        max_chunks = src->size / CMZ_CHUNK_HEADER_SIZE;
    if (chunk_memory > limit || (rep->footer_ok && footer.chunk_count > max_chunks)) {
        bool report_too = chunk_memory <= limit;
        cmz_frame_report_free(rep);
        return cmz__fail(err, CMZ_ERR_LIMIT, CMZ_NO_POSITION, 0,
                         "checking chunks of %u bytes%s needs more than the memory limit of %llu",
                         (unsigned)params.chunk_size, report_too ? " (and the report)" : "",
                         (unsigned long long)limit);
    }

    /* 2. where the chunks are */
    layout lay = {.at = NULL};
    rep->index_ok = rep->footer_ok && load_index(src, &footer, &lay);
    cmz_status st = CMZ_OK;
    if (!rep->index_ok) {
        uint64_t end = rep->footer_ok ? footer.index_offset : src->size;
        uint64_t max = rep->footer_ok ? footer.chunk_count : max_chunks;
        st = cmz__salvage_scan(src, &params, CMZ_HEADER_SIZE, end, max,
                               rep->footer_ok ? footer.chunk_count : 0, rep->footer_ok, dctx, &lay);
        if (st == CMZ_OK && rep->footer_ok) lay.count = footer.chunk_count;
    }
    uint64_t n = lay.count, content = 0;
    rep->content_size_known = rep->footer_ok;
    if (rep->footer_ok) content = footer.content_size;
    else content = n * params.chunk_size; /* the last chunk's size is read from it below */
    if (st == CMZ_OK && !rep->footer_ok && index_at_end(src, &params, &lay, &content))
        rep->index_ok = rep->content_size_known = true;
    if (st == CMZ_OK && rep->footer_ok && (n != cmz__chunk_count(content, params.chunk_size)))
        st = CMZ_ERR_CORRUPT; /* a valid footer never says this: treat as unknown layout */
    if (st == CMZ_OK) {
        rep->chunks = cmz__calloc(n ? (size_t)n : 1, sizeof *rep->chunks);
        if (!rep->chunks) st = CMZ_ERR_NOMEM;
    }
    if (st != CMZ_OK) {
        cmz__layout_free(&lay);
        cmz_frame_report_free(rep);
        return cmz__error(err, st, "%s",
                          st == CMZ_ERR_NOMEM         ? "out of memory"
                          : st == CMZ_ERR_INTERRUPTED ? "interrupted"
                                                      : "the footer's sizes disagree");
    }
    /* without the footer: the last chunk found gives its own size, and when it is shorter
     * than a chunk it is surely the frame's last (a full one may have had successors) */
    if (!rep->content_size_known && n && lay.at[n - 1] != CMZ_NO_POSITION) {
        uint8_t head[CMZ_CHUNK_HEADER_SIZE];
        cmz__chunk_header h;
        if (cmz__read_at(src, head, sizeof head, lay.at[n - 1]) &&
            cmz__chunk_header_parse(head, &params, lay.at[n - 1], &h, NULL) == CMZ_OK &&
            h.kind == CMZ_KIND_DATA) {
            content = (n - 1) * params.chunk_size + h.raw_size;
            rep->content_size_known =
                h.raw_size < params.chunk_size || short_group_proven(src, &params, &lay);
        }
    }
    rep->chunk_count = n;
    rep->has_parity = cmz__has_parity(&params);
    loc->params = params;
    loc->lay = lay;
    loc->content = content;
    loc->report = rep;
    loc->memory_limit = limit;
    loc->frame_size = src->size;
    for (uint64_t i = 0; i < n; i++) {
        cmz_chunk_report *c = &rep->chunks[i];
        c->number = i;
        c->record_offset = lay.at[i];
        c->content_offset = i * params.chunk_size;
        c->raw_size = i + 1 < n ? params.chunk_size : (uint32_t)(content - c->content_offset);
    }
    return CMZ_OK;
}
