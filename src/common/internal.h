/* Internal helpers shared by every layer of libcmz (cmz__ prefix: not public). */
#ifndef CMZ_COMMON_INTERNAL_H
#define CMZ_COMMON_INTERNAL_H

#include "cmz/common.h"

#include <pthread.h>
#include <stdarg.h>
#include <stdint.h>
#include <string.h>

void *cmz__malloc(size_t size);
void *cmz__calloc(size_t count, size_t size);
void cmz__free(void *ptr);
/* cmz__malloc for buffers of megabytes written once (chunk buffers, resources, frames): from
 * 4 MiB on, transparent huge pages are asked for on its 2 MiB-aligned inside. */
void *cmz__malloc_large(size_t size);
/* Gives the pages of buf[used..cap) back to the system (their content is lost; the buffer stays
 * valid): a cmz__malloc_large buffer filled only in part would otherwise keep the rest of the
 * huge page it ends in resident. Nothing below 4 MiB. */
void cmz__release_tail(void *buf, size_t used, size_t cap);
/* The growable buffer (buffer.c), in its two uses; both return 0, or -1 when out of memory
 * or when the size does not fit a size_t (then *buf / *items and *cap are unchanged).
 * Scratch: grows *buf (cmz__malloc'd, *cap bytes) to exactly `need` bytes when it has fewer;
 * contents not kept (chunk-sized buffers, refilled on every use). */
int cmz__grow(uint8_t **buf, size_t *cap, size_t need);
/* Array: makes room in *items (*cap elements of `size` bytes, the first `used` in use) for at
 * least `need` elements, at least doubling (from 8), so that appending one at a time costs
 * O(1) amortised; the elements in use are kept, the new ones are zero. */
int cmz__reserve(void **items, size_t *cap, size_t size, size_t used, size_t need);

/* A chunk buffer (megabytes, reused): from 2 MiB on it lies on a 2 MiB boundary and asks for
 * transparent huge pages over all of it, where cmz__malloc_large can only cover the aligned
 * inside of what malloc gives. On a VM a 4 KiB page costs a fault and a two-level walk on
 * every TLB miss: decoding 256 MiB (zstd, 4 MiB chunks, cmz -d) took 236-241 ms of CPU at
 * -T1 and 272-312 ms at -T2 with chunk buffers half in 4 KiB pages, 197-200 and 199-230 ms
 * with them all in huge pages (perf stat, runs alternated; page faults 2200/4200 -> 230/260). */
typedef struct {
    uint8_t *p; /* cap usable bytes */
    size_t cap;
    void *block; /* the allocation p lies in */
} cmz__hbuf;
/* Grows b to at least `need` bytes (contents not kept). With most > need, a growth at least
 * doubles the capacity, up to most (buffers that take records of varying sizes). Returns 0,
 * or -1 when out of memory (b unchanged). */
int cmz__hbuf_grow(cmz__hbuf *b, size_t need, size_t most);
void cmz__hbuf_free(cmz__hbuf *b);
/* The memory an hbuf of n bytes may hold resident once filled: from 2 MiB on, whole huge
 * pages (what memory limits must charge). */
uint64_t cmz__hbuf_footprint(uint64_t n);

/* An element size the typed-data code takes (typesize): 1, 2, 4 or 8 bytes. */
static inline int cmz__element_size_ok(unsigned n) { return n == 1 || n == 2 || n == 4 || n == 8; }

/* Whether mu is locked, for asserting a "lock held" precondition. pthread cannot say by which
 * thread, so this catches a caller that forgot the lock, not one that holds another. */
static inline int cmz__mutex_held(pthread_mutex_t *mu) {
    if (pthread_mutex_trylock(mu) != 0) return 1;
    pthread_mutex_unlock(mu);
    return 0;
}

/* Fills err (when not NULL) and returns status, so that error paths read
 * `return cmz__fail(err, CMZ_ERR_CORRUPT, chunk, offset, "...", ...);` */
cmz_status cmz__fail(cmz_error *err, cmz_status status, uint64_t chunk, uint64_t offset,
                     const char *fmt, ...) __attribute__((format(printf, 5, 6)));
/* cmz__fail for an error that belongs to no chunk or offset (both CMZ_NO_POSITION). */
cmz_status cmz__error(cmz_error *err, cmz_status status, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* A caller-filled struct's reserved tail (include/cmz/common.h, "room to grow"): CMZ_OK when
 * every word is zero, else CMZ_ERR_INVALID_ARG naming "owner.reserved[i]". */
cmz_status cmz__reserved_check(const uint64_t *reserved, size_t words, const char *owner,
                               cmz_error *err);
#define CMZ__RESERVED_CHECK(s, owner, err) \
    cmz__reserved_check((s)->reserved, sizeof(s)->reserved / sizeof(s)->reserved[0], owner, err)

/* Little-endian fixed-width fields at any alignment. On a little-endian host a memcpy, which
 * compiles to one (unaligned) load or store: GCC does not merge the byte loops below into
 * one, which made hot loops several times slower (see docs/BENCH.md, "Figures behind
 * constants in the code").
 * Elsewhere byte by byte. */
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
#define CMZ__LE_ACCESSORS(BITS)                                          \
    static inline void cmz__put_le##BITS(uint8_t *p, uint##BITS##_t v) { \
        memcpy(p, &v, sizeof v);                                         \
    }                                                                    \
    static inline uint##BITS##_t cmz__get_le##BITS(const uint8_t *p) {   \
        uint##BITS##_t v;                                                \
        memcpy(&v, p, sizeof v);                                         \
        return v;                                                        \
    }
#else
#define CMZ__LE_ACCESSORS(BITS)                                                    \
    static inline void cmz__put_le##BITS(uint8_t *p, uint##BITS##_t v) {           \
        for (unsigned i = 0; i < sizeof v; i++) p[i] = (uint8_t)(v >> (8 * i));    \
    }                                                                              \
    static inline uint##BITS##_t cmz__get_le##BITS(const uint8_t *p) {             \
        uint##BITS##_t v = 0;                                                      \
        for (unsigned i = sizeof v; i-- > 0;) v = (uint##BITS##_t)(v << 8 | p[i]); \
        return v;                                                                  \
    }
#endif
CMZ__LE_ACCESSORS(16)
CMZ__LE_ACCESSORS(32)
CMZ__LE_ACCESSORS(64)
#undef CMZ__LE_ACCESSORS

#endif
