/* lz4 adapter: LZ4 block format. Levels 0..2 use the fast compressor, 3..12 LZ4HC (same block
 * format, so one decoder). The compressor states live in the cmz_codec_ctx, allocated through
 * cmz's allocator on first use, so compressing many chunks allocates nothing per call. */
#include "internal.h"

#include <limits.h>
#include <lz4.h>
#include <lz4hc.h>

#define LZ4_LEVEL_MIN_HC 3
/* Level 0: acceleration 8 trades ratio for speed; level 1 (acceleration 1) is `lz4 -1`. */
#define LZ4_ACCEL_LEVEL0 8

typedef struct {
    void *fast; /* LZ4_sizeofState() bytes, or NULL until a level < 3 is used */
    void *hc;   /* LZ4_sizeofStateHC() bytes, or NULL until a level >= 3 is used */
} lz4_state;

static const char *lz4_version(void) { return LZ4_versionString(); }

static size_t lz4_bound(size_t n) {
    if (n > LZ4_MAX_INPUT_SIZE) return 0;
    return (size_t)LZ4_compressBound((int)n);
}

static cmz_status lz4_compress(void **state, int level, void *dst, size_t cap, const void *src,
                               size_t n, size_t *written) {
    if (n > LZ4_MAX_INPUT_SIZE) return CMZ_ERR_INVALID_ARG;
    if (!*state && !(*state = cmz__calloc(1, sizeof(lz4_state)))) return CMZ_ERR_NOMEM;
    lz4_state *s = *state;
    /* LZ4 counts in int: a larger buffer is simply used up to INT_MAX. */
    int icap = cap > INT_MAX ? INT_MAX : (int)cap;
    if (!src) src = ""; /* LZ4HC dereferences src even when n == 0 */
    int r;
    if (level < LZ4_LEVEL_MIN_HC) {
        if (!s->fast && !(s->fast = cmz__malloc((size_t)LZ4_sizeofState()))) return CMZ_ERR_NOMEM;
        r = LZ4_compress_fast_extState(s->fast, src, dst, (int)n, icap,
                                       level == 0 ? LZ4_ACCEL_LEVEL0 : 1);
    } else {
        if (!s->hc && !(s->hc = cmz__malloc((size_t)LZ4_sizeofStateHC()))) return CMZ_ERR_NOMEM;
        r = LZ4_compress_HC_extStateHC(s->hc, src, dst, (int)n, icap, level);
    }
    /* With valid arguments the only failure left is an output buffer that is too small. */
    if (r <= 0) return CMZ_ERR_DST_TOO_SMALL;
    *written = (size_t)r;
    return CMZ_OK;
}

static cmz_status lz4_decompress(void **state, void *dst, size_t raw_size, const void *src,
                                 size_t n) {
    (void)state;
    /* Every block (even of zero bytes) has at least a token; LZ4 never makes larger ones. */
    if (n == 0 || n > INT_MAX || raw_size > LZ4_MAX_INPUT_SIZE) return CMZ_ERR_CORRUPT;
    char dummy;
    int r = LZ4_decompress_safe(src, dst ? dst : &dummy, (int)n, (int)raw_size);
    return r >= 0 && (size_t)r == raw_size ? CMZ_OK : CMZ_ERR_CORRUPT;
}

static void lz4_state_free(void *state) {
    lz4_state *s = state;
    cmz__free(s->fast);
    cmz__free(s->hc);
    cmz__free(s);
}

const cmz_codec cmz__codec_lz4 = {
    .name = "lz4",
    .id = CMZ_CODEC_LZ4,
    .min_level = 0,
    .max_level = LZ4HC_CLEVEL_MAX,
    .default_level = 1,
    .default_chunk_size = 1u << 20,
    .library_version = lz4_version,
    .bound = lz4_bound,
    .compress = lz4_compress,
    .decompress = lz4_decompress,
    .state_free = lz4_state_free,
};
