/* "none": stores bytes as they are. Useful as a baseline and for incompressible data. */
#include "internal.h"

#include <string.h>

static const char *none_version(void) { return CMZ_VERSION_STRING; }

static size_t none_bound(size_t n) { return n; }

static cmz_status none_compress(void **state, int level, void *dst, size_t cap, const void *src,
                                size_t n, size_t *written) {
    (void)state;
    (void)level;
    if (cap < n) return CMZ_ERR_DST_TOO_SMALL;
    if (n) memcpy(dst, src, n);
    *written = n;
    return CMZ_OK;
}

static cmz_status none_decompress(void **state, void *dst, size_t raw_size, const void *src,
                                  size_t n) {
    (void)state;
    if (n != raw_size) return CMZ_ERR_CORRUPT;
    if (n) memcpy(dst, src, n);
    return CMZ_OK;
}

const cmz_codec cmz__codec_none = {
    .name = "none",
    .id = CMZ_CODEC_NONE,
    .min_level = 0,
    .max_level = 0,
    .default_level = 0,
    .default_chunk_size = 1u << 20,
    .library_version = none_version,
    .bound = none_bound,
    .compress = none_compress,
    .decompress = none_decompress,
    .state_free = NULL,
};
