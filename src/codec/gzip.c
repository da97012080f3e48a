/* gzip adapter: one RFC 1952 gzip member per chunk, made and read by libdeflate.
 *
 * Why libdeflate and not zlib: cmz compresses whole chunks held in memory, which is exactly
 * libdeflate's whole-buffer API, and it is about twice as fast for the same format and ratio
 * (see docs/BENCH.md, "Figures behind constants in the code").
 *
 * libdeflate 1.14 allocates its (de)compressors with malloc (a per-compressor allocator only
 * arrived in 1.19, and the global libdeflate_set_memory_allocator may not be called while any
 * exists), so they are not seen by cmz_set_allocator; the adapter state itself is. */
#include "internal.h"

#include <libdeflate.h>

typedef struct {
    struct libdeflate_compressor *comp; /* for comp_level; replaced when the level changes */
    int comp_level;
    struct libdeflate_decompressor *decomp;
} gzip_state;

static gzip_state *get_state(void **state) {
    if (!*state) *state = cmz__calloc(1, sizeof(gzip_state));
    return *state;
}

static const char *gzip_version(void) { return LIBDEFLATE_VERSION_STRING; }

static size_t gzip_bound(size_t n) {
    /* libdeflate's bound is n plus ~0.1% and a few bytes; it wraps for sizes near SIZE_MAX. */
    if (n > SIZE_MAX / 2) return 0;
    /* NULL: the bound over every compressor this libdeflate can make, so no allocation here. */
    return libdeflate_gzip_compress_bound(NULL, n);
}

static cmz_status gzip_compress(void **state, int level, void *dst, size_t cap, const void *src,
                                size_t n, size_t *written) {
    gzip_state *s = get_state(state);
    if (!s) return CMZ_ERR_NOMEM;
    if (s->comp && s->comp_level != level) {
        libdeflate_free_compressor(s->comp);
        s->comp = NULL;
    }
    if (!s->comp) {
        /* With the level already range-checked, a NULL here means out of memory. */
        if (!(s->comp = libdeflate_alloc_compressor(level))) return CMZ_ERR_NOMEM;
        s->comp_level = level;
    }
    /* libdeflate returns 0 only when the output does not fit (any gzip member is >= 18 bytes). */
    size_t r = libdeflate_gzip_compress(s->comp, src ? src : "", n, dst, cap);
    if (r == 0) return CMZ_ERR_DST_TOO_SMALL;
    *written = r;
    return CMZ_OK;
}

static cmz_status gzip_decompress(void **state, void *dst, size_t raw_size, const void *src,
                                  size_t n) {
    gzip_state *s = get_state(state);
    if (!s) return CMZ_ERR_NOMEM;
    if (!s->decomp && !(s->decomp = libdeflate_alloc_decompressor())) return CMZ_ERR_NOMEM;
    if (n == 0) return CMZ_ERR_CORRUPT;
    unsigned char dummy;
    size_t in_used = 0, out_made = 0;
    enum libdeflate_result r = libdeflate_gzip_decompress_ex(s->decomp, src, n, dst ? dst : &dummy,
                                                             raw_size, &in_used, &out_made);
    /* Bytes after the member would be ignored by libdeflate; they are damage here. */
    if (r != LIBDEFLATE_SUCCESS || in_used != n || out_made != raw_size) return CMZ_ERR_CORRUPT;
    return CMZ_OK;
}

static void gzip_state_free(void *state) {
    gzip_state *s = state;
    libdeflate_free_compressor(s->comp);
    libdeflate_free_decompressor(s->decomp);
    cmz__free(s);
}

const cmz_codec cmz__codec_gzip = {
    .name = "gzip",
    .id = CMZ_CODEC_GZIP,
    .min_level = 1,
    .max_level = 12,
    .default_level = 6,
    .default_chunk_size = 1u << 20,
    .library_version = gzip_version,
    .bound = gzip_bound,
    .compress = gzip_compress,
    .decompress = gzip_decompress,
    .state_free = gzip_state_free,
};
