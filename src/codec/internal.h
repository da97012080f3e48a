/* The adapter interface every codec implements (one file per algorithm, src/codec/<name>.c). */
#ifndef CMZ_CODEC_INTERNAL_H
#define CMZ_CODEC_INTERNAL_H

#include <stdbool.h>

#include "../common/internal.h"
#include "cmz/codec.h"

/* An adapter keeps whatever reusable state it wants behind *state: it allocates it on
 * first use (cmz__malloc or the library's own constructor) and frees it in state_free.
 * Compress/decompress get a level already range-checked and resolved. */
struct cmz_codec {
    const char *name;
    cmz_codec_id id;
    int min_level, max_level, default_level;
    bool zero_is_default; /* level 0 inside [min_level, max_level] means default_level */
    uint32_t default_chunk_size;
    const char *(*library_version)(void);
    size_t (*bound)(size_t src_size); /* 0 when not boundable */
    cmz_status (*compress)(void **state, int level, void *dst, size_t dst_capacity, const void *src,
                           size_t src_size, size_t *dst_size);
    /* Optional: the same for codecs that code typed data (cmz_codec_ctx_set_typesize); when
     * present it is called instead of compress. */
    cmz_status (*compress_typed)(void **state, int level, unsigned typesize, void *dst,
                                 size_t dst_capacity, const void *src, size_t src_size,
                                 size_t *dst_size);
    cmz_status (*decompress)(void **state, void *dst, size_t raw_size, const void *src,
                             size_t src_size);
    void (*state_free)(void *state); /* may be NULL when the adapter keeps no state */
};

extern const cmz_codec cmz__codec_none;
extern const cmz_codec cmz__codec_zstd;
extern const cmz_codec cmz__codec_lz4;
extern const cmz_codec cmz__codec_gzip;
extern const cmz_codec cmz__codec_bzip2;
extern const cmz_codec cmz__codec_lzma;
extern const cmz_codec cmz__codec_snappy;
extern const cmz_codec cmz__codec_brotli;
extern const cmz_codec cmz__codec_rans;
extern const cmz_codec cmz__codec_planes;

#endif
