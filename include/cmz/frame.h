/* libcmz — the .cmz container (docs/FORMAT.md): constants, frame information, the byte
 * sources frames are read from, and the compression parameters (cmz_params) that every layer
 * fills. Encoding and decoding with threads is in parallel.h. */
#ifndef CMZ_FRAME_H
#define CMZ_FRAME_H

#include <signal.h>

#include "cmz/codec.h"
#include "cmz/common.h"
#include "cmz/filter.h"

#ifdef __cplusplus
extern "C" {
#endif

#define CMZ_FORMAT_VERSION 1
#define CMZ_HEADER_SIZE 48
#define CMZ_CHUNK_HEADER_SIZE 40
#define CMZ_FOOTER_SIZE 48
#define CMZ_INDEX_FIXED_SIZE 20 /* index record size = 20 + 16 * chunk count */
#define CMZ_INDEX_ENTRY_SIZE 16
#define CMZ_CHUNK_SIZE_MIN 16u
#define CMZ_CHUNK_SIZE_MAX (1u << 30)
/* Parity groups: K data + M parity chunks, K >= 1, M >= 1, K + M <= CMZ_PARITY_MAX
 * (Reed-Solomon over GF(2^8)). */
#define CMZ_PARITY_MAX 255u

/* Chunk encodings (chunk header byte 5). */
typedef enum {
    CMZ_ENCODING_COMPRESSED = 0,
    CMZ_ENCODING_STORED = 1,
    CMZ_ENCODING_ZEROS = 2,
} cmz_chunk_encoding;

/* What a frame says about itself (from its header, index and footer). */
typedef struct {
    uint16_t version;
    uint32_t flags;
    cmz_codec_id codec;
    int level;
    uint8_t filter;
    uint8_t typesize;
    uint32_t chunk_size;
    uint8_t parity_k, parity_m;
    uint64_t content_size;  /* raw bytes */
    uint64_t chunk_count;   /* data chunks */
    uint64_t frame_size;    /* bytes of the whole frame */
    uint64_t payload_bytes; /* sum of chunk payload sizes */
    uint64_t stored_chunks; /* chunks kept raw because compression did not shrink them */
    uint64_t zero_chunks;   /* all-zero chunks (no payload) */
    uint64_t reserved[CMZ_RESERVED_WORDS]; /* room to grow (common.h): zeros */
} cmz_frame_info;

/* Random-access byte source. pread must be safe to call from several threads at once.
 * It returns the number of bytes read (fewer than n only at the end of the source) or -1 with
 * errno set. `data`, when not NULL, is the whole source in memory: readers then use it
 * directly instead of copying. */
typedef struct cmz_source {
    int64_t (*pread)(const struct cmz_source *src, void *buf, size_t n, uint64_t offset);
    uint64_t size;
    const uint8_t *data;
    void *opaque;
    int fd;
} cmz_source;

/* A source over size bytes at data (not copied: must outlive the source's use). */
void cmz_source_memory(cmz_source *src, const void *data, size_t size);
/* A source over an open file descriptor (not closed by cmz); its size is taken with fstat.
 * Errors: CMZ_ERR_IO (fstat failed or not a regular file/block device). */
cmz_status cmz_source_fd(cmz_source *src, int fd, cmz_error *err);

/* Reads the header, footer and index of the frame that ends at the end of src, checks them
 * against each other (FORMAT.md "consistency rules") and fills *info. Does not read chunk
 * payloads. Errors name what failed and where, in err (may be NULL): CMZ_ERR_BAD_MAGIC,
 * CMZ_ERR_VERSION, CMZ_ERR_TRUNCATED, CMZ_ERR_CHECKSUM, CMZ_ERR_CORRUPT, CMZ_ERR_UNSUPPORTED,
 * CMZ_ERR_IO, CMZ_ERR_INVALID_ARG (src or info NULL). */
cmz_status cmz_frame_info_read(const cmz_source *src, cmz_frame_info *info, cmz_error *err);

/* Name of an encoding ("compressed", "stored", "zeros"), for reports. */
const char *cmz_chunk_encoding_name(int encoding);

/* CRC32C (Castagnoli) of n bytes, continuing from crc (start with 0); hardware-accelerated
 * (ISA-L). cmz_crc32c(0, "123456789", 9) == 0xE3069283. */
uint32_t cmz_crc32c(uint32_t crc, const void *data, size_t n);

/* ---- Compression parameters: how a frame is written (parallel.h writes it; policy,
 * memory, hw and bench fill them) ---- */

/* cmz_params.filter: try the candidate filters (none, shuffle, bitshuffle, planes) on a
 * sample of the first chunk (4 x 64 KiB) with the frame's codec and level, and keep the one
 * that compresses it smallest. The choice is recorded in the frame like any filter. */
#define CMZ_FILTER_AUTO (-1)

/* Progress report, called from the thread that called the stream function, after each chunk
 * is written: bytes consumed from the input and produced to the output so far. Counts never
 * decrease; a last report at the end of each frame gives the totals (index and footer
 * included), so a progress bar ends at 100%. */
typedef void (*cmz_progress_fn)(void *opaque, uint64_t bytes_in, uint64_t bytes_out);

typedef struct {
    int codec;           /* cmz_codec_id; default CMZ_CODEC_ZSTD */
    int level;           /* CMZ_LEVEL_DEFAULT: the codec's default */
    uint32_t chunk_size; /* raw bytes per chunk; 0: the codec's default */
    unsigned threads;    /* worker threads; 0: one per core */
    int filter;          /* cmz_filter_id applied before the codec, or CMZ_FILTER_AUTO;
                            default CMZ_FILTER_NONE. Recorded in the frame. */
    unsigned typesize;   /* element size for the filter (2, 4, 8); 0: 1 for none; with
                            CMZ_FILTER_AUTO, 0 lets it try typesizes 2 and 4. With no
                            filter, the planes codec's element size (1, 2, 4, 8) */
    unsigned parity_k;   /* parity groups: after every parity_k data chunks, parity_m */
    unsigned parity_m;   /* Reed-Solomon parity chunks that rebuild up to parity_m damaged
                            chunks of the group (cmz_frame_repair). 0/0: no parity (default);
                            both set: 1 <= each, sum <= CMZ_PARITY_MAX. */
    cmz_progress_fn progress;
    void *progress_opaque;
    /* When not NULL, polled between chunks: non-zero stops the call with
     * CMZ_ERR_INTERRUPTED (a signal handler may set it). */
    const volatile sig_atomic_t *interrupt;
    uint64_t reserved[CMZ_RESERVED_WORDS]; /* room to grow (common.h): must be zero */
} cmz_params;

/* The defaults: the build's default codec (zstd; in a build without it lz4, else gzip, else
 * none: `cmz codecs` marks it) at its default level and chunk size, all cores. */
cmz_params cmz_params_default(void);

/* Checks params (codec present, level in range, chunk size within
 * CMZ_CHUNK_SIZE_MIN..CMZ_CHUNK_SIZE_MAX, filter and typesize, parity, reserved space zero)
 * and resolves defaults into *resolved. On error err (may be NULL) says which field. */
cmz_status cmz_params_resolve(const cmz_params *params, cmz_params *resolved, cmz_error *err);

#ifdef __cplusplus
}
#endif
#endif
