/* libcmz — the codec layer: one table of compression algorithms behind one API.
 *
 * A codec is a static descriptor (never freed). Compression and decompression are one-shot
 * over caller buffers; a cmz_codec_ctx holds reusable scratch (zstd contexts, lz4 state, ...)
 * so that compressing many chunks does not allocate per call. A context is not thread-safe:
 * use one per thread. Codec descriptors are immutable and safe to share. */
#ifndef CMZ_CODEC_H
#define CMZ_CODEC_H

#include "cmz/common.h"

#ifdef __cplusplus
extern "C" {
#endif

/* On-disk codec ids: recorded in every frame, so a value once published never changes
 * meaning. A changed algorithm gets a new id. */
typedef enum {
    CMZ_CODEC_NONE = 0, /* store: bytes copied as they are */
    CMZ_CODEC_ZSTD = 1,
    CMZ_CODEC_LZ4 = 2,  /* LZ4 block format; levels >= 3 use LZ4HC (same format) */
    CMZ_CODEC_GZIP = 3, /* RFC 1952 gzip member (libdeflate) */
    CMZ_CODEC_BZIP2 = 4,
    CMZ_CODEC_LZMA = 5, /* raw LZMA2 stream (no xz container: cmz frames carry sizes+CRCs) */
    CMZ_CODEC_SNAPPY = 6,
    CMZ_CODEC_BROTLI = 7,
    CMZ_CODEC_RANS = 8,   /* order-0 rANS entropy coder per 64 KiB block (cmz's own, no library):
                             for byte planes of typed data, e.g. after the planes filter */
    CMZ_CODEC_PLANES = 9, /* byte-plane rANS of typed data, shaped for a GPU (docs/PLANES.md):
                             elements of the context's typesize cut into planes, each coded
                             with 32 interleaved states; cmz's own, no library */
} cmz_codec_id;

#define CMZ_CODEC_ID_MAX 9

/* "Use the codec's default level" wherever a level is asked for. */
#define CMZ_LEVEL_DEFAULT (-1000)

typedef struct cmz_codec cmz_codec;

/* Codecs compiled into this build, in id order: *count gets how many. Never NULL. */
const cmz_codec *const *cmz_codec_list(size_t *count);

/* The codec with this id, or NULL when the id is unknown or not compiled in. */
const cmz_codec *cmz_codec_by_id(int id);

/* The codec cmz_params_default() picks: zstd; in a build without it, the first compiled in
 * of lz4, gzip; else none (stored). Never NULL. */
const cmz_codec *cmz_codec_default(void);

/* Name lookups (cmz_codec_by_name, cmz_filter_by_name, cmz_backend_by_name) all answer the
 * same way: CMZ_OK with the result in the out-parameter, or an error status with err (may be
 * NULL) naming the valid names; the out-parameter is left as it was then. Name functions
 * (cmz_codec_name, cmz_filter_name, ...) return static text, "unknown" for a value they do
 * not know: never NULL. */

/* The codec named `name`, case-insensitively ("zstd", "LZ4"; "xz" and "gz" are aliases of
 * lzma and gzip) into *codec. Errors: CMZ_ERR_UNKNOWN_CODEC, CMZ_ERR_CODEC_DISABLED (a codec
 * cmz knows that this build was configured without), CMZ_ERR_INVALID_ARG (name or codec
 * NULL). */
cmz_status cmz_codec_by_name(const char *name, const cmz_codec **codec, cmz_error *err);

/* "zstd", "lz4", ...; "unknown" for NULL. */
const char *cmz_codec_name(const cmz_codec *codec);
cmz_codec_id cmz_codec_id_of(const cmz_codec *codec);
/* The level range. Only zstd goes below 0: its negative ("fast") levels, -100..-1, trade
 * ratio for speed, and its level 0 means its default level (3), as in libzstd. A frame
 * records the level in a signed byte (docs/FORMAT.md), so a negative level round-trips. */
int cmz_codec_min_level(const cmz_codec *codec);
int cmz_codec_max_level(const cmz_codec *codec);
int cmz_codec_default_level(const cmz_codec *codec);
/* The chunk size (bytes) cmz uses for this codec when none is given: measured so that
 * independent chunks cost little ratio against whole-file compression (docs/FORMAT.md). */
uint32_t cmz_codec_default_chunk_size(const cmz_codec *codec);
/* Version string of the underlying library ("1.5.4"); static storage. */
const char *cmz_codec_library_version(const cmz_codec *codec);

/* Resolves CMZ_LEVEL_DEFAULT (and zstd's 0) to the default level and checks the range.
 * Returns CMZ_ERR_LEVEL_RANGE (with the valid range in err) when out of range. */
cmz_status cmz_codec_check_level(const cmz_codec *codec, int level, int *resolved, cmz_error *err);

/* Largest compressed size of `src_size` bytes; 0 when src_size is too large to bound. */
size_t cmz_codec_bound(const cmz_codec *codec, size_t src_size);

typedef struct cmz_codec_ctx cmz_codec_ctx;

/* Scratch for one codec, reused across calls; NULL on allocation failure. */
cmz_codec_ctx *cmz_codec_ctx_new(const cmz_codec *codec);
void cmz_codec_ctx_free(cmz_codec_ctx *ctx);
const cmz_codec *cmz_codec_ctx_codec(const cmz_codec_ctx *ctx);
/* Element size of the data the next compressions see: 1 (bytes, the default), 2, 4 or 8.
 * Codecs that code typed data (planes) use it and record it in their output; the others ignore
 * it. CMZ_ERR_INVALID_ARG for any other value. */
cmz_status cmz_codec_ctx_set_typesize(cmz_codec_ctx *ctx, unsigned typesize);
/* Whether the codec uses the typesize above (the frame records it with no filter then). */
int cmz_codec_takes_typesize(const cmz_codec *codec);

/* Compresses src[0..src_size) into dst[0..dst_capacity) at `level` (CMZ_LEVEL_DEFAULT
 * allowed); *dst_size gets the compressed size. dst_capacity >= cmz_codec_bound() always
 * suffices; a smaller buffer may give CMZ_ERR_DST_TOO_SMALL, never an overflow.
 * Errors: CMZ_ERR_LEVEL_RANGE, CMZ_ERR_DST_TOO_SMALL, CMZ_ERR_NOMEM, CMZ_ERR_CODEC. */
cmz_status cmz_codec_compress(cmz_codec_ctx *ctx, int level, void *dst, size_t dst_capacity,
                              const void *src, size_t src_size, size_t *dst_size);

/* Decompresses src[0..src_size) into exactly raw_size bytes at dst. Input that is
 * truncated, malformed, or that does not decode to exactly raw_size bytes gives
 * CMZ_ERR_CORRUPT; never reads or writes outside the buffers. */
cmz_status cmz_codec_decompress(cmz_codec_ctx *ctx, void *dst, size_t raw_size, const void *src,
                                size_t src_size);

/* Convenience forms that make and free a context per call (slower for many small calls). */
cmz_status cmz_codec_compress_once(const cmz_codec *codec, int level, void *dst,
                                   size_t dst_capacity, const void *src, size_t src_size,
                                   size_t *dst_size);
cmz_status cmz_codec_decompress_once(const cmz_codec *codec, void *dst, size_t raw_size,
                                     const void *src, size_t src_size);

#ifdef __cplusplus
}
#endif
#endif
