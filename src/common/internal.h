/* Internal helpers shared by every layer of libcmz (cmz__ prefix: not public). */
#ifndef CMZ_COMMON_INTERNAL_H
#define CMZ_COMMON_INTERNAL_H

#include "cmz/common.h"

#include <stdarg.h>
#include <stdint.h>

void *cmz__malloc(size_t size);
void *cmz__calloc(size_t count, size_t size);
void cmz__free(void *ptr);
/* Grows *buf (cmz__malloc'd, *cap bytes) to at least `need` bytes; contents not kept.
 * Returns 0, or -1 when out of memory (then *buf and *cap are unchanged). */
int cmz__grow(uint8_t **buf, size_t *cap, size_t need);

/* Fills err (when not NULL) and returns status, so that error paths read
 * `return cmz__fail(err, CMZ_ERR_CORRUPT, chunk, offset, "...", ...);` */
cmz_status cmz__fail(cmz_error *err, cmz_status status, uint64_t chunk, uint64_t offset,
                     const char *fmt, ...) __attribute__((format(printf, 5, 6)));

/* Little-endian fixed-width fields, byte by byte (no unaligned loads, any host order). */
static inline void cmz__put_le16(uint8_t *p, uint16_t v) {
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
}
static inline void cmz__put_le32(uint8_t *p, uint32_t v) {
    for (int i = 0; i < 4; i++) p[i] = (uint8_t)(v >> (8 * i));
}
static inline void cmz__put_le64(uint8_t *p, uint64_t v) {
    for (int i = 0; i < 8; i++) p[i] = (uint8_t)(v >> (8 * i));
}
static inline uint16_t cmz__get_le16(const uint8_t *p) {
    return (uint16_t)(p[0] | (p[1] << 8));
}
static inline uint32_t cmz__get_le32(const uint8_t *p) {
    uint32_t v = 0;
    for (int i = 3; i >= 0; i--) v = (v << 8) | p[i];
    return v;
}
static inline uint64_t cmz__get_le64(const uint8_t *p) {
    uint64_t v = 0;
    for (int i = 7; i >= 0; i--) v = (v << 8) | p[i];
    return v;
}

#endif
