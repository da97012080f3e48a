/* bzip2 adapter: one bzip2 stream per chunk, block size 100 kB * level.
 *
 * It drives libbz2's stream API with a single BZ_FINISH / decompress call, which is exactly
 * what BZ2_bzBuffToBuffCompress/Decompress do inside, because only the stream API takes an
 * allocator (bzalloc/bzfree): that lets cmz_set_allocator see bzip2's working memory (up to
 * ~7.6 MB to compress at level 9, ~3.7 MB to decompress) and lets the decoder reject bytes
 * after the end of the stream, which the buffer-to-buffer call silently ignores. */
#include "internal.h"

#include <bzlib.h>
#include <limits.h>
#include <pthread.h>
#include <string.h>

static void *bz_alloc(void *opaque, int items, int size) {
    (void)opaque;
    if (items < 0 || size < 0) return NULL;
    return cmz__malloc((size_t)items * (size_t)size);
}
static void bz_free(void *opaque, void *ptr) {
    (void)opaque;
    cmz__free(ptr);
}

static char version[32];
static pthread_once_t version_once = PTHREAD_ONCE_INIT;
static void version_init(void) {
    /* "1.0.8, 13-Jul-2019" -> "1.0.8" */
    const char *v = BZ2_bzlibVersion();
    size_t len = strcspn(v, ", ");
    if (len >= sizeof version) len = sizeof version - 1;
    memcpy(version, v, len);
    version[len] = '\0';
}
static const char *bzip2_version(void) {
    pthread_once(&version_once, version_init);
    return version;
}

/* The bound bzip2's documentation gives for its output: 1% more plus 600 bytes; 0 where that
 * does not fit a size_t (near UINT_MAX when size_t has 32 bits). */
static size_t bzip2_bound(size_t n) {
    size_t extra = n / 100 + 600;
    if (n > UINT_MAX || n > SIZE_MAX - extra) return 0;
    return n + extra;
}

static cmz_status bzip2_compress(void **state, int level, void *dst, size_t cap, const void *src,
                                 size_t n, size_t *written) {
    (void)state;
    /* libbz2 counts in unsigned int. */
    if (n > UINT_MAX) return CMZ_ERR_INVALID_ARG;
    bz_stream strm;
    memset(&strm, 0, sizeof strm);
    strm.bzalloc = bz_alloc;
    strm.bzfree = bz_free;
    int r = BZ2_bzCompressInit(&strm, level, 0, 0);
    if (r != BZ_OK) return r == BZ_MEM_ERROR ? CMZ_ERR_NOMEM : CMZ_ERR_CODEC;
    char dummy;
    strm.next_in = n ? (char *)src : &dummy;
    strm.avail_in = (unsigned)n;
    strm.next_out = cap ? dst : &dummy;
    strm.avail_out = cap > UINT_MAX ? UINT_MAX : (unsigned)cap;
    r = BZ2_bzCompress(&strm, BZ_FINISH);
    unsigned room_left = strm.avail_out;
    unsigned made = strm.total_out_lo32;
    BZ2_bzCompressEnd(&strm);
    if (r == BZ_STREAM_END) {
        *written = made;
        return CMZ_OK;
    }
    if (r == BZ_MEM_ERROR) return CMZ_ERR_NOMEM;
    /* BZ_FINISH_OK: stopped with output pending. With no room at all libbz2 can make no
     * progress and says BZ_SEQUENCE_ERROR instead; both mean the buffer is too small. */
    if (r == BZ_FINISH_OK || room_left == 0) return CMZ_ERR_DST_TOO_SMALL;
    return CMZ_ERR_CODEC;
}

static cmz_status bzip2_decompress(void **state, void *dst, size_t raw_size, const void *src,
                                   size_t n) {
    (void)state;
    if (n > UINT_MAX || raw_size > UINT_MAX) return CMZ_ERR_INVALID_ARG;
    if (n == 0) return CMZ_ERR_CORRUPT;
    bz_stream strm;
    memset(&strm, 0, sizeof strm);
    strm.bzalloc = bz_alloc;
    strm.bzfree = bz_free;
    int r = BZ2_bzDecompressInit(&strm, 0, 0);
    if (r != BZ_OK) return r == BZ_MEM_ERROR ? CMZ_ERR_NOMEM : CMZ_ERR_CODEC;
    char dummy;
    strm.next_in = (char *)src;
    strm.avail_in = (unsigned)n;
    strm.next_out = raw_size ? dst : &dummy;
    strm.avail_out = (unsigned)raw_size;
    /* One call runs until the stream ends, the input runs out or the output is full. */
    r = BZ2_bzDecompress(&strm);
    unsigned in_left = strm.avail_in, out_left = strm.avail_out;
    BZ2_bzDecompressEnd(&strm);
    if (r == BZ_MEM_ERROR) return CMZ_ERR_NOMEM;
    /* BZ_OK means it stopped early: input truncated, or more output than raw_size. */
    if (r != BZ_STREAM_END || in_left != 0 || out_left != 0) return CMZ_ERR_CORRUPT;
    return CMZ_OK;
}

const cmz_codec cmz__codec_bzip2 = {
    .name = "bzip2",
    .id = CMZ_CODEC_BZIP2,
    .min_level = 1,
    .max_level = 9,
    .default_level = 9,
    .default_chunk_size = 1u << 20, /* bzip2's own blocks are <= 900 kB anyway */
    .library_version = bzip2_version,
    .bound = bzip2_bound,
    .compress = bzip2_compress,
    .decompress = bzip2_decompress,
    .state_free = NULL,
};
