/* The clock of the memory layer: idle times, ages of snapshots, and the hook tests use to
 * move time without sleeping (cmz_snapshots_set_clock). */
#include "internal.h"

#include <time.h>

uint64_t cmz__now_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

uint64_t cmz__clock_read(cmz_clock_fn clock, void *opaque) {
    return clock ? clock(opaque) : cmz__now_ns();
}
