/* Fuzz target: the streaming decoder (front to back, no index), fed in pieces whose sizes
 * come from the input's first byte, writing into a bounded sink. */
#include "fuzz_common.h"

typedef struct {
    const uint8_t *p;
    size_t left, piece;
} feed;

static int64_t feed_read(void *opaque, void *buf, size_t n) {
    feed *f = opaque;
    if (n > f->piece) n = f->piece;
    if (n > f->left) n = f->left;
    memcpy(buf, f->p, n);
    f->p += n;
    f->left -= n;
    return (int64_t)n;
}

static int sink_write(void *opaque, const void *buf, size_t n) {
    uint64_t *total = opaque;
    (void)buf;
    *total += n;
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (size < 1) return 0;
    feed f = {data + 1, size - 1, (size_t)(data[0] % 64) * 97 + 1};
    uint64_t total = 0;
    cmz_input in = {feed_read, &f};
    cmz_output out = {sink_write, &total};
    cmz_error err;
    cmz_frame_info info;
    cmz_status st = cmz_decompress_stream(fuzz_dctx(), &in, &out, &info, &err);
    fuzz_check_error(st, &err);
    /* verify-only mode (cmz -t) must agree on the verdict */
    feed g = {data + 1, size - 1, 4096};
    cmz_input in2 = {feed_read, &g};
    cmz_status st2 = cmz_decompress_stream(fuzz_dctx(), &in2, NULL, NULL, &err);
    fuzz_check_error(st2, &err);
    if ((st == CMZ_OK) != (st2 == CMZ_OK)) abort();
    return 0;
}
