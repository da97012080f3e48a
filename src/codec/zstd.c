/* zstd adapter: one reusable compression and decompression context per cmz_codec_ctx.
 * Only zstd.h's stable API: libzstd is linked as a shared library, and its static-only part
 * (ZSTD_customMem, ZSTD_create*_advanced) may change between its versions, so the contexts
 * come from libzstd's own malloc, unseen by cmz_set_allocator (include/cmz/common.h). */
#include "internal.h"

#include <assert.h>
#include <zstd.h>
#include <zstd_errors.h>

#ifdef ZSTD_H_ZSTD_STATIC_LINKING_ONLY
#error "the zstd adapter uses zstd.h's stable API only: libzstd is linked as a shared library"
#endif

#define ZSTD_FAST_LEVEL_MIN (-100)

typedef struct {
    ZSTD_CCtx *cctx;
    ZSTD_DCtx *dctx;
} zstd_state;

static zstd_state *get_state(void **state) {
    if (!*state) *state = cmz__calloc(1, sizeof(zstd_state));
    return *state;
}

static const char *zstd_version(void) { return ZSTD_versionString(); }

static size_t zstd_bound(size_t n) {
    size_t b = ZSTD_compressBound(n);
    return ZSTD_isError(b) ? 0 : b;
}

static cmz_status zstd_compress(void **state, int level, void *dst, size_t cap, const void *src,
                                size_t n, size_t *written) {
    zstd_state *s = get_state(state);
    if (!s) return CMZ_ERR_NOMEM;
    if (!s->cctx && !(s->cctx = ZSTD_createCCtx())) return CMZ_ERR_NOMEM;
    assert(level >= ZSTD_minCLevel() && level != 0);
    size_t r = ZSTD_compressCCtx(s->cctx, dst, cap, src, n, level);
    if (ZSTD_isError(r)) {
        ZSTD_ErrorCode code = ZSTD_getErrorCode(r);
        if (code == ZSTD_error_dstSize_tooSmall) return CMZ_ERR_DST_TOO_SMALL;
        if (code == ZSTD_error_memory_allocation) return CMZ_ERR_NOMEM;
        return CMZ_ERR_CODEC;
    }
    *written = r;
    return CMZ_OK;
}

static cmz_status zstd_decompress(void **state, void *dst, size_t raw_size, const void *src,
                                  size_t n) {
    zstd_state *s = get_state(state);
    if (!s) return CMZ_ERR_NOMEM;
    if (!s->dctx && !(s->dctx = ZSTD_createDCtx())) return CMZ_ERR_NOMEM;
    size_t r = ZSTD_decompressDCtx(s->dctx, dst, raw_size, src, n);
    if (ZSTD_isError(r)) {
        if (ZSTD_getErrorCode(r) == ZSTD_error_memory_allocation) return CMZ_ERR_NOMEM;
        return CMZ_ERR_CORRUPT;
    }
    return r == raw_size ? CMZ_OK : CMZ_ERR_CORRUPT;
}

static void zstd_state_free(void *state) {
    zstd_state *s = state;
    ZSTD_freeCCtx(s->cctx);
    ZSTD_freeDCtx(s->dctx);
    cmz__free(s);
}

const cmz_codec cmz__codec_zstd = {
    .name = "zstd",
    .id = CMZ_CODEC_ZSTD,
    /* zstd's negative ("fast") levels down to -100: libzstd allows far lower ones, but the
     * frame records the level in a signed byte, and past -100 they only approach storing. */
    .min_level = ZSTD_FAST_LEVEL_MIN,
    .max_level = 22,
    .default_level = 3,
    .zero_is_default = true, /* as in libzstd */
    /* 2x the level-3 window: docs/FORMAT.md, "Defaults chosen by measurement" */
    .default_chunk_size = 4u << 20,
    .library_version = zstd_version,
    .bound = zstd_bound,
    .compress = zstd_compress,
    .decompress = zstd_decompress,
    .state_free = zstd_state_free,
};
