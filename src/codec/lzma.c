/* lzma adapter: a raw LZMA2 stream per chunk (liblzma's raw encoder/decoder, one
 * LZMA_FILTER_LZMA2 filter), levels 0..9 = lzma_lzma_preset.
 *
 * Why raw LZMA2 and not the .xz container: a cmz frame already records every chunk's sizes and
 * CRC32C of its compressed and raw bytes, and the codec and level in the header. The xz
 * container would add its stream header and footer, a block header, an index and a CRC64 to
 * every chunk (~60 bytes), all of them pure overhead and extra work here. LZMA2 itself ends
 * with an end marker, so a stream is still self-delimiting and truncation is detected.
 *
 * All of liblzma's memory goes through cmz's allocator (lzma_allocator). */
#include "internal.h"

#include <lzma.h>

/* The largest dictionary an LZMA2 encoder accepts (1.5 GiB): no valid stream refers further. */
#define LZMA2_DICT_MAX ((UINT32_C(1) << 30) + (UINT32_C(1) << 29))

static void *lz_alloc(void *opaque, size_t nmemb, size_t size) {
    (void)opaque;
    if (size && nmemb > SIZE_MAX / size) return NULL;
    return cmz__malloc(nmemb * size);
}
static void lz_free(void *opaque, void *ptr) {
    (void)opaque;
    cmz__free(ptr);
}
static const lzma_allocator allocator = {lz_alloc, lz_free, NULL};

static const char *lzma_version(void) { return lzma_version_string(); }

/* LZMA2 never stores a chunk compressed unless it got smaller; otherwise it stores it as an
 * uncompressed chunk (<= 64 KiB of data after a 3-byte header). A chunk ends only when ~64 KiB
 * of output are written (or 2 MiB read, or the input ends), and no byte costs LZMA more than a
 * few dozen bits, so every chunk covers well over 768 input bytes: n/256 covers the 3..6
 * bytes of every chunk header with a wide margin, and 128 the last chunk, the end marker and
 * tiny inputs. (liblzma's own bound for the xz block layer is n + 3*ceil(n/64 KiB) + 1.) */
static size_t lzma_bound(size_t n) {
    size_t extra = n / 256 + 128;
    return n > SIZE_MAX - extra ? 0 : n + extra;
}

static cmz_status lzma_compress(void **state, int level, void *dst, size_t cap, const void *src,
                                size_t n, size_t *written) {
    (void)state;
    lzma_options_lzma opt;
    if (lzma_lzma_preset(&opt, (uint32_t)level)) return CMZ_ERR_CODEC;
    /* A dictionary larger than the input is allocated (64 MiB at level 9) but never used: clamp
     * it to the input. Every match stays reachable, so the ratio is practically the same
     * (only the match finder's hash table shrinks with it); memory drops to what the chunk
     * needs. */
    if (opt.dict_size > n)
        opt.dict_size = n < LZMA_DICT_SIZE_MIN ? LZMA_DICT_SIZE_MIN : (uint32_t)n;
    const lzma_filter filters[] = {{LZMA_FILTER_LZMA2, &opt}, {LZMA_VLI_UNKNOWN, NULL}};
    uint8_t dummy;
    size_t out_pos = 0;
    lzma_ret r =
        lzma_raw_buffer_encode(filters, &allocator, src, n, dst ? dst : &dummy, &out_pos, cap);
    switch (r) {
    case LZMA_OK: *written = out_pos; return CMZ_OK;
    case LZMA_BUF_ERROR: return CMZ_ERR_DST_TOO_SMALL;
    case LZMA_MEM_ERROR: return CMZ_ERR_NOMEM;
    default: return CMZ_ERR_CODEC;
    }
}

static cmz_status lzma_decompress(void **state, void *dst, size_t raw_size, const void *src,
                                  size_t n) {
    (void)state;
    if (n == 0) return CMZ_ERR_CORRUPT; /* even an empty stream has its end marker */
    /* A dictionary as large as the whole output holds every byte a match can refer to, so
     * the decoder needs no more, whatever dictionary the encoder had (level 9: 64 MiB). */
    lzma_options_lzma opt;
    if (lzma_lzma_preset(&opt, LZMA_PRESET_DEFAULT)) return CMZ_ERR_CODEC;
    opt.dict_size = raw_size < LZMA_DICT_SIZE_MIN ? LZMA_DICT_SIZE_MIN
                    : raw_size > LZMA2_DICT_MAX   ? LZMA2_DICT_MAX
                                                  : (uint32_t)raw_size;
    const lzma_filter filters[] = {{LZMA_FILTER_LZMA2, &opt}, {LZMA_VLI_UNKNOWN, NULL}};
    uint8_t dummy;
    size_t in_pos = 0, out_pos = 0;
    lzma_ret r = lzma_raw_buffer_decode(filters, &allocator, src, &in_pos, n, dst ? dst : &dummy,
                                        &out_pos, raw_size);
    switch (r) {
    case LZMA_OK:
        /* Bytes after the end marker, or fewer output bytes than raw_size, are damage. */
        return in_pos == n && out_pos == raw_size ? CMZ_OK : CMZ_ERR_CORRUPT;
    case LZMA_MEM_ERROR: return CMZ_ERR_NOMEM;
    case LZMA_OPTIONS_ERROR:
    case LZMA_PROG_ERROR: return CMZ_ERR_CODEC;
    default: return CMZ_ERR_CORRUPT; /* DATA_ERROR, BUF_ERROR (truncated or too long) */
    }
}

const cmz_codec cmz__codec_lzma = {
    .name = "lzma",
    .id = CMZ_CODEC_LZMA,
    .min_level = 0,
    .max_level = 9,
    .default_level = 6,
    .default_chunk_size = 8u << 20,
    .library_version = lzma_version,
    .bound = lzma_bound,
    .compress = lzma_compress,
    .decompress = lzma_decompress,
    .state_free = NULL,
};
