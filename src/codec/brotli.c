/* brotli adapter: one RFC 7932 stream per chunk, window 2^22 (BROTLI_DEFAULT_WINDOW).
 *
 * Compression uses the one-shot BrotliEncoderCompress: it takes no allocator, but it is the
 * only call that keeps to BrotliEncoderMaxCompressedSize at every quality (for qualities 0
 * and 1 the streaming encoder may exceed it; the one-shot then falls back to uncompressed
 * meta-blocks). Decompression makes a decoder instance with cmz's allocator, so its ring
 * buffer and tables are seen by cmz_set_allocator, and it can reject bytes after the end of
 * the stream (the one-shot BrotliDecoderDecompress ignores them). */
#include "internal.h"

#include <brotli/decode.h>
#include <brotli/encode.h>
#include <pthread.h>
#include <stdio.h>

static void *br_alloc(void *opaque, size_t size) {
    (void)opaque;
    return cmz__malloc(size);
}
static void br_free(void *opaque, void *ptr) {
    (void)opaque;
    cmz__free(ptr);
}

static char version[32];
static pthread_once_t version_once = PTHREAD_ONCE_INIT;
static void version_init(void) {
    /* BrotliEncoderVersion() packs the version as MAJOR << 24 | MINOR << 12 | PATCH. */
    uint32_t v = BrotliEncoderVersion();
    snprintf(version, sizeof version, "%u.%u.%u", (unsigned)(v >> 24),
             (unsigned)((v >> 12) & 0xFFF), (unsigned)(v & 0xFFF));
}
static const char *brotli_version(void) {
    pthread_once(&version_once, version_init);
    return version;
}

/* 0 when the bound does not fit a size_t, as cmz_codec_bound wants. */
static size_t brotli_bound(size_t n) { return BrotliEncoderMaxCompressedSize(n); }

static cmz_status brotli_compress(void **state, int level, void *dst, size_t cap, const void *src,
                                  size_t n, size_t *written) {
    (void)state;
    size_t bound = BrotliEncoderMaxCompressedSize(n);
    if (bound == 0) return CMZ_ERR_INVALID_ARG;
    if (cap == 0) return CMZ_ERR_DST_TOO_SMALL;
    size_t len = cap;
    if (!BrotliEncoderCompress(level, BROTLI_DEFAULT_WINDOW, BROTLI_MODE_GENERIC, n,
                               n ? src : (const void *)"", &len, dst)) {
        /* It does not say why. With a buffer of at least the bound it cannot run out of
         * room (it falls back to storing), so the failure was an allocation. */
        return cap >= bound ? CMZ_ERR_NOMEM : CMZ_ERR_DST_TOO_SMALL;
    }
    *written = len;
    return CMZ_OK;
}

static cmz_status brotli_decompress(void **state, void *dst, size_t raw_size, const void *src,
                                    size_t n) {
    (void)state;
    if (n == 0) return CMZ_ERR_CORRUPT; /* even an empty stream is one byte */
    BrotliDecoderState *d = BrotliDecoderCreateInstance(br_alloc, br_free, NULL);
    if (!d) return CMZ_ERR_NOMEM;
    uint8_t dummy;
    size_t in_left = n, out_left = raw_size;
    const uint8_t *next_in = src;
    uint8_t *next_out = raw_size ? dst : &dummy;
    BrotliDecoderResult r =
        BrotliDecoderDecompressStream(d, &in_left, &next_in, &out_left, &next_out, NULL);
    BrotliDecoderErrorCode code = BrotliDecoderGetErrorCode(d);
    BrotliDecoderDestroyInstance(d);
    if (r == BROTLI_DECODER_RESULT_SUCCESS) {
        /* Bytes after the stream, or fewer output bytes than raw_size, are damage. */
        return in_left == 0 && out_left == 0 ? CMZ_OK : CMZ_ERR_CORRUPT;
    }
    if (r == BROTLI_DECODER_RESULT_ERROR && code <= BROTLI_DECODER_ERROR_ALLOC_CONTEXT_MODES &&
        code >= BROTLI_DECODER_ERROR_ALLOC_BLOCK_TYPE_TREES)
        return CMZ_ERR_NOMEM;
    /* ERROR (malformed), NEEDS_MORE_INPUT (truncated), NEEDS_MORE_OUTPUT (longer than
     * raw_size). */
    return CMZ_ERR_CORRUPT;
}

const cmz_codec cmz__codec_brotli = {
    .name = "brotli",
    .id = CMZ_CODEC_BROTLI,
    .min_level = BROTLI_MIN_QUALITY,
    .max_level = BROTLI_MAX_QUALITY,
    .default_level = 5,
    .default_chunk_size = 4u << 20,
    .library_version = brotli_version,
    .bound = brotli_bound,
    .compress = brotli_compress,
    .decompress = brotli_decompress,
    .state_free = NULL,
};
