/* Bit shuffle (filter id 2): the layout of Kiyoshi Masui's bitshuffle library
 * (bshuf_bitshuffle with its default block size), the scalar bit-transpose kernels, and the
 * filter.
 *
 * Layout (docs/FILTERS.md). With m = n / ts whole elements and B = 8192 / ts elements per
 * block (4096, 2048, 1024 for ts = 2, 4, 8):
 *   1. each full block of B elements, in order, is bit-transposed (below);
 *   2. the remaining r = m % B elements: the first r - r % 8 of them are bit-transposed as
 *      one shorter block (skipped when r < 8);
 *   3. the last r % 8 elements are copied unchanged, then the trailing n % ts bytes.
 * Bit transpose of a block of s elements (s a multiple of 8), written at the block's own
 * offset: output bit row R = 8 j + b (j = byte of the element, 0 = least significant;
 * b = bit of that byte, 0 = least significant) is s / 8 bytes at out[R * s / 8 ..], and
 * holds bit b of byte j of element i at bit i % 8 of its byte i / 8.
 * This equals bshuf_bitshuffle(in, out, m, ts, 0) followed by the trailing bytes.
 *
 * A block is done in two passes through an 8 KiB buffer on the stack: byte shuffle (byte
 * planes of s bytes), then each plane's bits into its 8 rows. */
#include "internal.h"

#define BITSHUFFLE_BLOCK_BYTES 8192

void cmz__bitrows_scalar(uint8_t *rows, size_t row_stride, const uint8_t *in, size_t nbytes) {
    for (size_t c = 0; c < nbytes / 8; c++) {
        uint64_t x = cmz__transpose_bits8x8(cmz__load64le(in + 8 * c));
        for (unsigned b = 0; b < 8; b++) rows[b * row_stride + c] = (uint8_t)(x >> (8 * b));
    }
}

void cmz__unbitrows_scalar(uint8_t *out, const uint8_t *rows, size_t row_stride, size_t nbytes) {
    for (size_t c = 0; c < nbytes / 8; c++) {
        uint64_t x = 0;
        for (unsigned b = 0; b < 8; b++) x |= (uint64_t)rows[b * row_stride + c] << (8 * b);
        cmz__store64le(out + 8 * c, cmz__transpose_bits8x8(x));
    }
}

static void block_forward(const cmz__filter_kernels *k, unsigned ts, const uint8_t *src, size_t s,
                          uint8_t *dst) {
    uint8_t planes[BITSHUFFLE_BLOCK_BYTES];
    k->shuffle(planes, (ptrdiff_t)s, src, s, ts);
    for (unsigned j = 0; j < ts; j++) k->bitrows(dst + j * s, s / 8, planes + j * s, s);
}

static void block_backward(const cmz__filter_kernels *k, unsigned ts, const uint8_t *src, size_t s,
                           uint8_t *dst) {
    uint8_t planes[BITSHUFFLE_BLOCK_BYTES];
    for (unsigned j = 0; j < ts; j++) k->unbitrows(planes + j * s, src + j * s, s / 8, s);
    k->unshuffle(dst, planes, (ptrdiff_t)s, s, ts);
}

typedef void (*block_fn)(const cmz__filter_kernels *, unsigned, const uint8_t *, size_t, uint8_t *);

/* Runs fn over the blocks of steps 1 and 2; copies the bytes of step 3. */
static void run_blocks(block_fn fn, const cmz__filter_kernels *k, unsigned ts, const uint8_t *src,
                       size_t n, uint8_t *dst) {
    size_t m = n / ts, per_block = BITSHUFFLE_BLOCK_BYTES / ts, done = 0;
    for (; done + per_block <= m; done += per_block)
        fn(k, ts, src + done * ts, per_block, dst + done * ts);
    size_t last = (m - done) & ~(size_t)7;
    if (last) {
        fn(k, ts, src + done * ts, last, dst + done * ts);
        done += last;
    }
    size_t copied = done * ts;
    if (n > copied) memcpy(dst + copied, src + copied, n - copied);
}

void cmz__bitshuffle_forward(const cmz__filter_kernels *k, unsigned ts, const uint8_t *src,
                             size_t n, uint8_t *dst) {
    run_blocks(block_forward, k, ts, src, n, dst);
}

void cmz__bitshuffle_backward(const cmz__filter_kernels *k, unsigned ts, const uint8_t *src,
                              size_t n, uint8_t *dst) {
    run_blocks(block_backward, k, ts, src, n, dst);
}
