/* CRC32C from ISA-L (SSE4.2/PCLMUL/AVX-512 dispatched at run time), over any size. */
#include "internal.h"

#include <isa-l/crc.h>
#include <limits.h>

uint32_t cmz_crc32c(uint32_t crc, const void *data, size_t n) {
    /* ISA-L's crc32_iscsi works on the unreflected running value and takes an int length. */
    uint32_t state = ~crc;
    const unsigned char *p = data;
    while (n) {
        size_t step = n > (size_t)(INT_MAX & ~4095) ? (size_t)(INT_MAX & ~4095) : n;
        state = crc32_iscsi((unsigned char *)p, (int)step, state);
        p += step;
        n -= step;
    }
    return ~state;
}
