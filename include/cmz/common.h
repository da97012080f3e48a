/* libcmz — common definitions: status codes, error details, allocator hook, version.
 *
 * Every fallible libcmz function returns a cmz_status (0 = ok, negative = error).
 * Functions that can say *where* something failed (which chunk, which byte) also take an
 * optional cmz_error* that they fill in; pass NULL when the status is enough. */
#ifndef CMZ_COMMON_H
#define CMZ_COMMON_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define CMZ_VERSION_MAJOR 0
#define CMZ_VERSION_MINOR 1
#define CMZ_VERSION_PATCH 0
#define CMZ_VERSION_STRING "0.1.0"
/* MAJOR * 10000 + MINOR * 100 + PATCH, as ZSTD_VERSION_NUMBER: 0.1.0 is 100. */
#define CMZ_VERSION_NUMBER (CMZ_VERSION_MAJOR * 10000 + CMZ_VERSION_MINOR * 100 + CMZ_VERSION_PATCH)

/* Returns the library's version string ("MAJOR.MINOR.PATCH"); static storage. */
const char *cmz_version(void);
/* The version of the library running (CMZ_VERSION_NUMBER as it was built), to compare with
 * the CMZ_VERSION_NUMBER a program was compiled against. */
unsigned cmz_version_number(void);

/* The one status table. Values once published never change; add new ones at the end.
 * X(NAME, value, message) */
#define CMZ_STATUS_MAP(X)                                            \
    X(OK, 0, "success")                                              \
    X(ERR_GENERIC, -1, "unspecified error")                          \
    X(ERR_NOMEM, -2, "out of memory")                                \
    X(ERR_INVALID_ARG, -3, "invalid argument")                       \
    X(ERR_UNKNOWN_CODEC, -4, "unknown codec")                        \
    X(ERR_LEVEL_RANGE, -5, "compression level out of range")         \
    X(ERR_DST_TOO_SMALL, -6, "destination buffer too small")         \
    X(ERR_CORRUPT, -7, "corrupt data")                               \
    X(ERR_CODEC, -8, "codec library failure")                        \
    X(ERR_BAD_MAGIC, -9, "not a cmz frame (bad magic)")              \
    X(ERR_VERSION, -10, "unsupported frame format version")          \
    X(ERR_CHECKSUM, -11, "checksum mismatch")                        \
    X(ERR_TRUNCATED, -12, "truncated input")                         \
    X(ERR_LIMIT, -13, "declared size exceeds the memory limit")      \
    X(ERR_IO, -14, "I/O error")                                      \
    X(ERR_UNSUPPORTED, -15, "unsupported feature")                   \
    X(ERR_RANGE, -16, "range outside the data")                      \
    X(ERR_THREAD, -17, "thread creation failed")                     \
    X(ERR_INTERRUPTED, -18, "interrupted")                           \
    X(ERR_CODEC_DISABLED, -19, "codec not compiled into this build") \
    X(ERR_NOT_FOUND, -20, "no such resource")                        \
    X(ERR_EXISTS, -21, "resource already exists")                    \
    X(ERR_BUSY, -22, "resource in use (pinned)")

#define CMZ_STATUS_ENUM_(name, value, msg) CMZ_##name = value,
typedef enum { CMZ_STATUS_MAP(CMZ_STATUS_ENUM_) } cmz_status;
#undef CMZ_STATUS_ENUM_

/* Human-readable text for a status; never NULL, static storage. Unknown values give
 * "unknown status". */
const char *cmz_strerror(cmz_status status);

/* The symbolic name of a status ("CMZ_ERR_CORRUPT"); "unknown" for other values, as every
 * *_name() function answers (never NULL). */
const char *cmz_status_name(cmz_status status);

/* Room to grow. Public structs keep their size from one version to the next, so that a
 * program built against one version's headers runs with a later library:
 *   - A struct the caller fills (cmz_params, cmz_dparams, cmz_registry_params,
 *     cmz_snapshot_config) ends with `uint64_t reserved[CMZ_RESERVED_WORDS]`. Start from its
 *     _default() function (or zero it). A later version gives new fields this space, zero
 *     meaning the behaviour of today. The library refuses a reserved word that is not zero
 *     with CMZ_ERR_INVALID_ARG naming it ("cmz_params.reserved[2]"): it is a field of a newer
 *     version that this library would otherwise silently ignore.
 *   - A struct the library fills (cmz_error, cmz_frame_info, cmz_hw_info, cmz_hw_choice,
 *     cmz_resource_info, cmz_registry_type_stats, cmz_snapshot_info, cmz_snapshot_stats) ends
 *     with the same reserved tail, which the library writes as zeros. A later version puts its
 *     new fields there, so the struct, and arrays of it, keep their size: a newer library
 *     never writes past the end of an older caller's struct. Callers do not read it.
 * Fields are only ever added in the reserved space, never inserted or resized. */
#define CMZ_RESERVED_WORDS 8

#define CMZ_NO_POSITION UINT64_MAX

/* Where and why an operation failed. Filled by functions that take one, on error only
 * (status != CMZ_OK); left untouched on success. */
typedef struct {
    cmz_status status;
    uint64_t chunk;    /* chunk number, or CMZ_NO_POSITION */
    uint64_t offset;   /* byte offset in the frame/input, or CMZ_NO_POSITION */
    char message[256]; /* complete sentence for a person, e.g. "chunk 3 at offset 4194400:
                          CRC32C of compressed bytes is 1a2b3c4d, expected 5e6f7a8b" */
    uint64_t reserved[CMZ_RESERVED_WORDS]; /* room to grow (above): zeros */
} cmz_error;

/* Resets *err to "no error". */
void cmz_error_clear(cmz_error *err);

/* Allocator hook, like ZSTD_customMem. Applies to every allocation libcmz makes itself and,
 * where the codec library takes an allocator through its stable API, to the codec's working
 * memory: lz4's states, bzip2, lzma and brotli's decoder, and cmz's own rans and planes.
 * zstd's contexts are not seen (libzstd is linked as a shared library, and ZSTD_customMem
 * belongs to the static-linking-only part of zstd.h, which may change between its versions),
 * nor libdeflate's (gzip), snappy's or brotli's encoder: they come from the C library's
 * malloc. Set it before any other call: it is process-wide and not synchronised with
 * allocations in flight. Passing NULL functions restores malloc/free. */
typedef struct {
    void *(*alloc)(void *opaque, size_t size);
    void (*free)(void *opaque, void *ptr);
    void *opaque;
} cmz_allocator;

void cmz_set_allocator(const cmz_allocator *allocator);

/* Number of online CPU cores (>= 1). */
unsigned cmz_cpu_count(void);

#ifdef __cplusplus
}
#endif
#endif
