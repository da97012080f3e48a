/* snappy adapter: raw snappy format (varint length + tags) through snappy's C API. It has no
 * levels and no allocator hook (snappy allocates its scratch with new/malloc). */
#include "internal.h"

#include <snappy-c.h>

/* snappy's version macros live in a C++ header (snappy-stubs-public.h includes <cstddef>), so
 * the build passes the version pkg-config found as CMZ_SNAPPY_VERSION. */
#ifndef CMZ_SNAPPY_VERSION
#define CMZ_SNAPPY_VERSION "unknown"
#endif

static const char *snappy_version(void) { return CMZ_SNAPPY_VERSION; }

static size_t snappy_bound(size_t n) {
    /* The format records the decoded length as a 32-bit varint. snappy's bound is
     * 32 + n + n / 6, which wraps near UINT32_MAX when size_t has 32 bits. */
    if (n > UINT32_MAX || n > SIZE_MAX - (32 + n / 6)) return 0;
    return snappy_max_compressed_length(n);
}

static cmz_status snappy_compress_(void **state, int level, void *dst, size_t cap, const void *src,
                                   size_t n, size_t *written) {
    (void)state;
    (void)level;
    /* snappy refuses any buffer below its bound, even when the output would fit. */
    size_t bound = snappy_bound(n);
    if (bound == 0) return CMZ_ERR_INVALID_ARG;
    if (cap < bound) return CMZ_ERR_DST_TOO_SMALL;
    size_t len = cap;
    snappy_status r = snappy_compress(n ? src : "", n, dst, &len);
    if (r == SNAPPY_BUFFER_TOO_SMALL) return CMZ_ERR_DST_TOO_SMALL;
    if (r != SNAPPY_OK) return CMZ_ERR_CODEC;
    *written = len;
    return CMZ_OK;
}

static cmz_status snappy_decompress(void **state, void *dst, size_t raw_size, const void *src,
                                    size_t n) {
    (void)state;
    /* The stream starts with its decoded length: check it before decoding anything. */
    size_t declared = 0;
    if (n == 0 || snappy_uncompressed_length(src, n, &declared) != SNAPPY_OK ||
        declared != raw_size)
        return CMZ_ERR_CORRUPT;
    char dummy;
    size_t len = raw_size;
    snappy_status r = snappy_uncompress(src, n, raw_size ? dst : &dummy, &len);
    return r == SNAPPY_OK && len == raw_size ? CMZ_OK : CMZ_ERR_CORRUPT;
}

const cmz_codec cmz__codec_snappy = {
    .name = "snappy",
    .id = CMZ_CODEC_SNAPPY,
    .min_level = 0,
    .max_level = 0,
    .default_level = 0,
    .default_chunk_size = 1u << 20,
    .library_version = snappy_version,
    .bound = snappy_bound,
    .compress = snappy_compress_,
    .decompress = snappy_decompress,
    .state_free = NULL,
};
