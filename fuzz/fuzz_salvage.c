/* Fuzz target: damaged frames (include/cmz/salvage.h). cmz_frame_salvage on any input: an error
 * with a message, or a report whose counts add up and whose output is exactly the chunks'
 * sizes, in order (chunks numbered from 0 in each frame); cmz_frame_verify must give the same
 * verdicts. */
#include "fuzz_common.h"

#include "cmz/salvage.h"

static int count_write(void *opaque, const void *buf, size_t n) {
    uint64_t *total = opaque;
    (void)buf;
    *total += n;
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    cmz_source src;
    cmz_source_memory(&src, data, size);
    uint64_t written = 0;
    cmz_output out = {count_write, &written};
    cmz_frame_report *rep = NULL, *again = NULL;
    cmz_error err;
    cmz_status st = cmz_frame_salvage(fuzz_dctx(), &src, &out, &rep, &err);
    fuzz_check_error(st, &err);
    cmz_status st2 = cmz_frame_verify(fuzz_dctx(), &src, &again, &err);
    fuzz_check_error(st2, &err);
    if ((st == CMZ_OK) != (st2 == CMZ_OK)) abort();
    if (st != CMZ_OK) {
        if (rep || again) abort();
        return 0;
    }
    if (rep->intact + rep->damaged + rep->missing != rep->chunk_count) abort();
    if (again->intact != rep->intact || again->chunk_count != rep->chunk_count) abort();
    uint64_t total = 0, lost = 0, frame = 0, first = 0; /* numbers restart in each frame */
    for (uint64_t i = 0; i < rep->chunk_count; i++) {
        const cmz_chunk_report *c = &rep->chunks[i];
        if (c->frame != frame) {
            if (c->frame < frame) abort(); /* (an empty frame has no chunks) */
            frame = c->frame;
            first = i;
        }
        if (c->number != i - first || c->content_offset != total) abort();
        total += c->raw_size;
        if (c->state != CMZ_CHUNK_INTACT) lost += c->raw_size;
    }
    if (total != written || lost != rep->lost_bytes) abort();
    if (rep->frames == 0 || frame >= rep->frames) abort();
    cmz_frame_report_free(rep);
    cmz_frame_report_free(again);
    return 0;
}
