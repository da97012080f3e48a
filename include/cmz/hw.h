/* libcmz — hardware backends: what is present, which to use, and (experimental, below) a
 * batched codec interface shaped like nvCOMP's low-level API (arrays of chunk pointers and
 * sizes, caller-sized scratch, a status per chunk so that a corrupt chunk reports an error
 * instead of faulting).
 *
 * Backends: the CPU (always present), CUDA (a plugin library loaded with dlopen on first use;
 * no CUDA context exists until a GPU path is asked for) and Intel QAT (libqatzip through
 * dlopen). A backend that is absent, or that fails mid-way, falls back to the CPU path and says
 * why. CMZ_BACKEND=cpu|cuda|qat|auto in the environment overrides the automatic choice.
 * docs/HW.md says what each backend does in this version. */
#ifndef CMZ_HW_H
#define CMZ_HW_H

#include <stddef.h>
#include <stdint.h>

#include "cmz/common.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum {
    CMZ_BACKEND_AUTO = 0, /* let cmz_hw_best choose */
    CMZ_BACKEND_CPU = 1,
    CMZ_BACKEND_CUDA = 2,
    CMZ_BACKEND_QAT = 3,
} cmz_backend;
#define CMZ_BACKEND_COUNT 3 /* cpu, cuda, qat */

/* Where a batch's buffers live: host memory, or the GPU's (device pointers). */
typedef enum { CMZ_DATA_HOST = 0, CMZ_DATA_DEVICE = 1 } cmz_data_location;

typedef struct {
    cmz_backend backend;
    int present;      /* usable for compression now */
    char name[128];   /* the device: CPU model, GPU name, QAT library */
    uint64_t memory;  /* bytes: system memory for the CPU, device memory for a GPU; 0 unknown */
    unsigned units;   /* cores (CPU), multiprocessors (GPU), 0 unknown */
    char detail[192]; /* present: what it offers; absent: why, e.g. "no NVIDIA driver
                         (libcuda.so.1: cannot open shared object file)" */
    uint64_t reserved[CMZ_RESERVED_WORDS]; /* room to grow (common.h): zeros */
} cmz_hw_info;

/* Fills out[0..cap) with the backends in order cpu, cuda, qat, probing each on first use (the
 * probe result is kept for the process). Returns CMZ_BACKEND_COUNT. Thread-safe. */
size_t cmz_hw_list(cmz_hw_info *out, size_t cap);

/* "auto", "cpu", "cuda", "qat"; "unknown" for other values. Static storage. */
const char *cmz_backend_name(cmz_backend backend);
/* The backend named `name` (case-insensitive) into *out (lookups answer as codec.h says);
 * CMZ_ERR_INVALID_ARG with the valid names in err for anything else. */
cmz_status cmz_backend_by_name(const char *name, cmz_backend *out, cmz_error *err);

/* CMZ_BACKEND in the environment: *set is 0 when it is unset or empty, else 1 with *out the
 * backend it names. Any other value gives CMZ_ERR_INVALID_ARG (*set 0) with a message naming
 * the variable, its value and the valid names: a program refuses it as it refuses a bad
 * --hw. cmz_hw_best reads the variable the same way and, given a bad value, uses the CPU and
 * says why in its reason. */
cmz_status cmz_backend_env(cmz_backend *out, int *set, cmz_error *err);

typedef struct {
    cmz_backend asked;   /* what was asked for: the caller's wish, or CMZ_BACKEND's over it */
    cmz_backend backend; /* what runs: never AUTO */
    char reason[384];    /* why this one, e.g. "cuda was asked for by CMZ_BACKEND=cuda but is
                            absent: no NVIDIA driver (...); using the cpu" */
    uint64_t reserved[CMZ_RESERVED_WORDS]; /* room to grow (common.h): zeros */
} cmz_hw_choice;

/* The backend for a batch of `batch_bytes` bytes coded with codec/level whose buffers live at
 * `where`. `wanted` is the caller's request (AUTO to choose); CMZ_BACKEND in the
 * environment, when set, replaces it. A wanted backend that is absent or cannot run the
 * codec gives the CPU, with the reason. AUTO picks the GPU for data already on it; host data
 * stays on the CPU (this version has no calibration of the GPU's end-to-end
 * break-even size yet, and no GPU path to calibrate: docs/HW.md). */
cmz_hw_choice cmz_hw_best(cmz_backend wanted, int codec, int level, uint64_t batch_bytes,
                          cmz_data_location where);

/* ---- batched codec calls (experimental) ---------------------------------------------------
 * No hardware backend runs these yet (every batch takes the CPU path, docs/HW.md), so their
 * shape may still change with the first one that does: they are not part of the stable API.
 * A program that accepts that defines CMZ_EXPERIMENTAL_API before including this header, as
 * with zstd's ZSTD_STATIC_LINKING_ONLY, and rebuilds against each new version.
 *
 * count chunks: chunk i is src[i][0..src_sizes[i]) into dst[i][0..dst_capacities[i]), its size
 * in dst_sizes[i] and its outcome in statuses[i] (CMZ_OK, CMZ_ERR_CORRUPT for a chunk that
 * does not decode, CMZ_ERR_DST_TOO_SMALL, ...). The call returns CMZ_OK when every chunk
 * succeeded, else the status of the first chunk that failed; a failed chunk never stops the
 * others. The streams are the codec's own (cmz_codec_compress's), so a batch compressed on
 * one backend decodes on any other and with the codec's library (LZ4 blocks with liblz4).
 * `scratch` is caller memory of at least cmz_hw_scratch_size bytes (0 on the CPU backend);
 * `used` (may be NULL) gets the backend that ran and why. */
#ifdef CMZ_EXPERIMENTAL_API
size_t cmz_hw_scratch_size(cmz_backend backend, int codec, size_t count, size_t max_chunk);

/* typesize: the element size a typed codec (planes) codes (1, 2, 4, 8); others ignore it. */
cmz_status cmz_hw_compress_batch(cmz_backend wanted, int codec, int level, unsigned typesize,
                                 const void *const *src, const size_t *src_sizes, size_t count,
                                 void *const *dst, const size_t *dst_capacities, size_t *dst_sizes,
                                 cmz_status *statuses, void *scratch, size_t scratch_size,
                                 cmz_hw_choice *used);

/* raw_sizes[i] is chunk i's decoded size (as the frame's index records it). */
cmz_status cmz_hw_decompress_batch(cmz_backend wanted, int codec, const void *const *src,
                                   const size_t *src_sizes, size_t count, void *const *dst,
                                   const size_t *raw_sizes, cmz_status *statuses, void *scratch,
                                   size_t scratch_size, cmz_hw_choice *used);
#endif /* CMZ_EXPERIMENTAL_API */

#ifdef __cplusplus
}
#endif
#endif
