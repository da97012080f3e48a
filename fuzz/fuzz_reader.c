/* Fuzz target: random access. The first 8 bytes choose a range (offset, length); the rest is
 * the frame, opened with cmz_frame_reader_open and read with cmz_frame_reader_read. A range read
 * must equal the same bytes of the one-shot decode when both succeed. */
#include "fuzz_common.h"

#define FUZZ_COMPARE_MAX ((uint64_t)256 << 10)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (size < 8) return 0;
    uint32_t a, b;
    memcpy(&a, data, 4);
    memcpy(&b, data + 4, 4);
    data += 8;
    size -= 8;
    cmz_error err;
    cmz_source src;
    cmz_source_memory(&src, data, size);
    cmz_frame_reader *reader = NULL;
    cmz_status st = cmz_frame_reader_open(fuzz_dctx(), &src, &reader, &err);
    fuzz_check_error(st, &err);
    if (st != CMZ_OK) return 0;
    uint64_t content = cmz_frame_reader_info(reader)->content_size;
    uint64_t offset = content ? a % (content + 1) : 0;
    size_t length = (size_t)(b % 65536);
    if (offset + length > content) length = (size_t)(content - offset);
    uint8_t *part = malloc(length ? length : 1);
    st = cmz_frame_reader_read(reader, offset, length, part, &err);
    fuzz_check_error(st, &err);
    cmz_frame_reader_close(reader);
    /* compare with the one-shot decoder (small contents only: a fresh buffer of megabytes per
     * input would cost more than the decoding) */
    if (st == CMZ_OK && content <= FUZZ_COMPARE_MAX) {
        uint8_t *whole = malloc(content ? (size_t)content : 1);
        size_t got = 0;
        if (cmz_decompress(fuzz_dctx(), whole, (size_t)content, &got, data, size, &err) == CMZ_OK &&
            (got != content || memcmp(whole + offset, part, length) != 0))
            abort();
        free(whole);
    }
    free(part);
    return 0;
}
