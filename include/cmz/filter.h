/* libcmz — filters: reversible transforms of typed data that make it compress better.
 *
 * A filter rearranges the bytes of a buffer of fixed-size elements (typesize bytes each) so
 * that similar bytes sit together: byte k of every element in one plane (shuffle), bit planes
 * (bitshuffle), differences of neighbours (delta), or the byte planes of floating-point
 * numbers whose alignment is found per block (planes). The exact byte layout of each filter
 * is specified in docs/FILTERS.md; it is part of the .cmz format.
 *
 * Every function here is pure (no state but the process-wide ISA override below) and safe to
 * call from several threads at once. Nothing here allocates. */
#ifndef CMZ_FILTER_H
#define CMZ_FILTER_H

#include "cmz/common.h"

#ifdef __cplusplus
extern "C" {
#endif

/* On-disk filter ids: never change meaning; a changed algorithm gets a new id. */
typedef enum {
    CMZ_FILTER_NONE = 0,       /* bytes unchanged; typesize 1 */
    CMZ_FILTER_SHUFFLE = 1,    /* byte shuffle (Blosc's); typesize 2, 4, 8 */
    CMZ_FILTER_BITSHUFFLE = 2, /* bit shuffle (the bitshuffle library's layout); 2, 4, 8 */
    CMZ_FILTER_DELTA = 3,      /* difference of neighbouring little-endian integers; 2, 4, 8 */
    CMZ_FILTER_PLANES = 4      /* float byte planes with per-block alignment; 2, 4, 8 */
} cmz_filter_id;
#define CMZ_FILTER_ID_MAX 4

/* Block size of the planes filter (part of its format): alignment is chosen per block. */
#define CMZ_FILTER_PLANES_BLOCK 65536

/* The filter's name ("none", "shuffle", "bitshuffle", "delta", "planes"); "unknown" for any
 * other id (never NULL; cmz_filter_check tells a known id). Static storage. */
const char *cmz_filter_name(int id);

/* The id of the filter named `name`, case-insensitively, into *id (lookups answer as codec.h
 * says). Errors: CMZ_ERR_INVALID_ARG for an unknown name (err lists the valid ones) or a
 * NULL name or id. */
cmz_status cmz_filter_by_name(const char *name, int *id, cmz_error *err);

/* Whether (id, typesize) is a valid pair: shuffle, bitshuffle, delta and planes take typesize
 * 2, 4 or 8 (planes: 2 = fp16/bf16, 4 = fp32, 8 = fp64); none takes 1.
 * Returns CMZ_OK, CMZ_ERR_UNSUPPORTED for an unknown id (e.g. one from a newer library) or
 * CMZ_ERR_INVALID_ARG for a typesize the filter does not take. */
cmz_status cmz_filter_check(int id, unsigned typesize);

/* Bytes of filtered output for n input bytes: n, or for planes n + ceil(n / 65536) (one
 * header byte per block). 0 if (id, typesize) is invalid or the bound overflows size_t. */
size_t cmz_filter_bound(int id, unsigned typesize, size_t n);

/* Forward: filters src[0..n) into dst; *dst_size gets the filtered size (always
 * cmz_filter_bound(id, typesize, n)). Lengths need not be multiples of typesize: the trailing
 * n % typesize bytes are carried unchanged (docs/FILTERS.md says where). src and dst must not
 * overlap; either may be NULL when n is 0.
 * Errors: the cmz_filter_check errors; CMZ_ERR_INVALID_ARG for NULL buffers or dst_size;
 * CMZ_ERR_DST_TOO_SMALL if dst_capacity < cmz_filter_bound(). */
cmz_status cmz_filter_forward(int id, unsigned typesize, const void *src, size_t n, void *dst,
                              size_t dst_capacity, size_t *dst_size);

/* Backward: restores exactly n bytes at dst from the filtered src[0..src_size). The input is
 * treated as untrusted: a src_size other than cmz_filter_bound(id, typesize, n) or an invalid
 * planes header gives CMZ_ERR_CORRUPT, and nothing is read or written outside the two
 * buffers (dst may have been partly written on error). src and dst must not overlap.
 * Errors: the cmz_filter_check errors; CMZ_ERR_INVALID_ARG for NULL buffers; CMZ_ERR_CORRUPT. */
cmz_status cmz_filter_backward(int id, unsigned typesize, const void *src, size_t src_size,
                               void *dst, size_t n);

/* Which implementation the filters run: "avx2", "sse2" or "scalar". Chosen at run time from
 * the CPU (CPUID), unless forced. All implementations give identical bytes. */
const char *cmz_filter_isa(void);

/* Forces an implementation ("scalar", "sse2" or "avx2"), or with NULL returns to the CPU's
 * best. Process-wide and not meant for production code: for tests and benchmarks only.
 * Returns CMZ_ERR_UNSUPPORTED if this CPU or build lacks it (nothing changes then),
 * CMZ_ERR_INVALID_ARG for an unknown name. */
cmz_status cmz_filter_force_isa(const char *isa);

#ifdef __cplusplus
}
#endif
#endif
