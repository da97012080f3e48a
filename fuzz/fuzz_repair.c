/* Fuzz target: repair (cmz_frame_repair) on any input. Either an error with a message, or a
 * frame that is whole: it verifies intact, decodes front to back, and repairing it again gives
 * the same bytes (a repair is the frame as written, so it is a fixed point). A CMZ_ERR_CORRUPT
 * repair comes with a report whose counts add up. */
#include "fuzz_common.h"

#include "cmz/salvage.h"

static int discard(void *opaque, const void *data, size_t n) {
    (void)opaque, (void)data, (void)n;
    return 0;
}

typedef struct {
    const uint8_t *data;
    size_t size, pos;
} reader;

static int64_t read_mem(void *opaque, void *buf, size_t n) {
    reader *r = opaque;
    size_t k = r->size - r->pos < n ? r->size - r->pos : n;
    memcpy(buf, r->data + r->pos, k);
    r->pos += k;
    return (int64_t)k;
}

static cmz_status repair(const uint8_t *data, size_t size, fuzz_buffer *out, cmz_frame_report **rep,
                         cmz_error *err) {
    cmz_source src;
    cmz_source_memory(&src, data, size);
    cmz_output o = {fuzz_buffer_write, out};
    return cmz_frame_repair(fuzz_dctx(), &src, &o, rep, err);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    fuzz_buffer out = {NULL, 0, 0};
    cmz_frame_report *rep = NULL;
    cmz_error err;
    cmz_status st = repair(data, size, &out, &rep, &err);
    fuzz_check_error(st, &err);
    if (st == CMZ_ERR_CORRUPT && rep) {
        if (rep->intact + rep->damaged + rep->missing != rep->chunk_count) abort();
        if (rep->repaired > rep->damaged + rep->missing) abort();
    } else if (st != CMZ_OK && rep) {
        abort(); /* other errors come without a report */
    }
    if (st == CMZ_OK) {
        if (rep->repaired != rep->damaged + rep->missing) abort();
        /* the repaired frame is whole */
        cmz_source src;
        cmz_source_memory(&src, out.data, out.size);
        cmz_frame_report *v = NULL;
        if (cmz_frame_verify(fuzz_dctx(), &src, &v, &err) != CMZ_OK) abort();
        if (v->intact != v->chunk_count || !v->header_ok || !v->footer_ok || !v->index_ok ||
            v->parity_damaged)
            abort();
        cmz_frame_report_free(v);
        reader r = {out.data, out.size, 0};
        cmz_input in = {read_mem, &r};
        cmz_output none = {discard, NULL};
        if (cmz_decompress_stream(fuzz_dctx(), &in, &none, NULL, &err) != CMZ_OK) abort();
        /* and a fixed point */
        fuzz_buffer again = {NULL, 0, 0};
        cmz_frame_report *rep2 = NULL;
        if (repair(out.data, out.size, &again, &rep2, &err) != CMZ_OK) abort();
        if (again.size != out.size || memcmp(again.data, out.data, out.size) != 0) abort();
        if (rep2->repaired != 0) abort();
        cmz_frame_report_free(rep2);
        free(again.data);
    }
    cmz_frame_report_free(rep);
    free(out.data);
    return 0;
}
