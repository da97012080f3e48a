/* Fuzz target: one-shot decompression (cmz_frame_info_read, then cmz_decompress into a buffer
 * of the declared content size, or a smaller one). Any input: an error with a message, or the
 * content; never a crash, a read out of bounds or an allocation past the memory limit. */
#include "fuzz_common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    cmz_error err;
    cmz_source src;
    cmz_frame_info info;
    cmz_source_memory(&src, data, size);
    cmz_status st = cmz_frame_info_read(&src, &info, &err);
    fuzz_check_error(st, &err);
    /* the declared size, when it is small; else a small buffer (DST_TOO_SMALL is the answer) */
    size_t cap =
        st == CMZ_OK && info.content_size <= FUZZ_CONTENT_MAX ? (size_t)info.content_size : 4096;
    uint8_t *dst = malloc(cap ? cap : 1);
    if (!dst) return 0;
    size_t got = 0;
    st = cmz_decompress(fuzz_dctx(), dst, cap, &got, data, size, &err);
    fuzz_check_error(st, &err);
    if (st == CMZ_OK && got > cap) abort();
    free(dst);
    return 0;
}
