/* Fuzz target: damage to inputs of several frames (include/cmz/salvage.h, docs/DAMAGE.md).
 * The input is 6 bytes of damage, then a file: byte 0 picks a cut (odd) or a changed byte
 * (even), bytes 1..4 the offset (modulo the file's size), byte 5 what the byte is xored with.
 * When the file is whole (every frame intact, its parity right, nothing stray), the damaged
 * copy must keep every chunk whose record the damage did not touch: salvaged intact, at its
 * offset, with its bytes; the loss of a changed byte is never understated; a repair that
 * succeeds gives back the file as written (a cut: a prefix of it at least as long as the cut
 * input). Any other file is just salvaged and repaired (no crash, errors with messages). */
#include "fuzz_common.h"

#include "cmz/salvage.h"

static cmz_status salvage(const uint8_t *data, size_t size, fuzz_buffer *out,
                          cmz_frame_report **rep) {
    cmz_source src;
    cmz_source_memory(&src, data, size);
    cmz_output o = {fuzz_buffer_write, out};
    cmz_error err;
    cmz_status st = cmz_frame_salvage(fuzz_dctx(), &src, &o, rep, &err);
    fuzz_check_error(st, &err);
    return st;
}

static cmz_status repair(const uint8_t *data, size_t size, fuzz_buffer *out) {
    cmz_source src;
    cmz_source_memory(&src, data, size);
    cmz_output o = {fuzz_buffer_write, out};
    cmz_frame_report *rep = NULL;
    cmz_error err;
    cmz_status st = cmz_frame_repair(fuzz_dctx(), &src, &o, &rep, &err);
    fuzz_check_error(st, &err);
    cmz_frame_report_free(rep);
    return st;
}

/* The end of chunk c's record in the whole file (its header gives the payload size). */
static uint64_t record_end(const uint8_t *file, const cmz_chunk_report *c) {
    const uint8_t *h = file + c->record_offset;
    uint32_t payload =
        (uint32_t)h[16] | (uint32_t)h[17] << 8 | (uint32_t)h[18] << 16 | (uint32_t)h[19] << 24;
    return c->record_offset + CMZ_CHUNK_HEADER_SIZE + payload;
}

/* Every chunk of `whole` untouched by the damage is intact in `got`, with the same bytes. */
static void check_kept(const uint8_t *file, const cmz_frame_report *whole,
                       const fuzz_buffer *content, const cmz_frame_report *got,
                       const fuzz_buffer *salvaged, bool cut, uint64_t at) {
    for (uint64_t i = 0; i < whole->chunk_count; i++) {
        const cmz_chunk_report *c = &whole->chunks[i];
        uint64_t end = record_end(file, c);
        bool untouched = cut ? end <= at : at < c->record_offset || at >= end;
        if (!untouched) continue;
        if (!got) abort();
        bool found = false;
        for (uint64_t j = 0; j < got->chunk_count && !found; j++) {
            const cmz_chunk_report *d = &got->chunks[j];
            found = d->frame == c->frame && d->number == c->number &&
                    d->state == CMZ_CHUNK_INTACT && d->content_offset == c->content_offset &&
                    d->raw_size == c->raw_size;
        }
        if (!found || c->content_offset + c->raw_size > salvaged->size ||
            memcmp(salvaged->data + c->content_offset, content->data + c->content_offset,
                   c->raw_size) != 0)
            abort();
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (size < 7) return 0;
    bool cut = data[0] & 1;
    uint64_t at = (uint64_t)data[1] | (uint64_t)data[2] << 8 | (uint64_t)data[3] << 16 |
                  (uint64_t)data[4] << 24;
    uint8_t x = data[5] ? data[5] : 1;
    const uint8_t *file = data + 6;
    size_t n = size - 6;
    at %= n;
    fuzz_buffer content = {NULL, 0, 0}, salvaged = {NULL, 0, 0}, fixed = {NULL, 0, 0};
    cmz_frame_report *whole = NULL, *got = NULL;
    bool intact = salvage(file, n, &content, &whole) == CMZ_OK &&
                  whole->intact == whole->chunk_count && whole->content_size_known &&
                  !whole->stray_bytes && whole->header_ok && whole->footer_ok && whole->index_ok &&
                  !whole->parity_damaged && content.size <= FUZZ_CONTENT_MAX;
    uint8_t *copy = malloc(n);
    if (!copy) abort();
    memcpy(copy, file, n);
    size_t len = cut ? (size_t)at : n;
    if (!cut) copy[at] ^= x;
    cmz_status st = salvage(copy, len, &salvaged, &got);
    if (st != CMZ_OK) got = NULL;
    if (intact) {
        check_kept(file, whole, &content, got, &salvaged, cut, at);
        uint64_t recovered = 0;
        for (uint64_t j = 0; got && j < got->chunk_count; j++)
            if (got->chunks[j].state == CMZ_CHUNK_INTACT) recovered += got->chunks[j].raw_size;
        if (!cut && got && got->content_size_known && !got->stray_bytes &&
            recovered < content.size && got->lost_bytes < content.size - recovered)
            abort();
    }
    if (repair(copy, len, &fixed) == CMZ_OK && intact) {
        bool right = cut ? fixed.size >= len && fixed.size <= n : fixed.size == n;
        if (!right || memcmp(fixed.data, file, fixed.size) != 0) abort();
    }
    cmz_frame_report_free(whole);
    cmz_frame_report_free(got);
    free(copy);
    free(content.data);
    free(salvaged.data);
    free(fixed.data);
    return 0;
}
