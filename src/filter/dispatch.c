/* Run-time choice of the filter kernels: the best the CPU has (CPUID via
 * __builtin_cpu_supports, which also checks that the OS saves the AVX registers), or the one
 * a test or benchmark forced. */
#include "internal.h"

#include <stdatomic.h>
#include <strings.h>

static const cmz__filter_kernels scalar_kernels = {
    "scalar",
    cmz__shuffle_scalar,
    cmz__unshuffle_scalar,
    cmz__bitrows_scalar,
    cmz__unbitrows_scalar,
    cmz__delta_scalar,
    cmz__undelta_scalar,
};

#if CMZ_FILTER_X86
static const cmz__filter_kernels sse2_kernels = {
    "sse2",          cmz__shuffle_sse2, cmz__unshuffle_sse2, cmz__bitrows_sse2, cmz__unbitrows_sse2,
    cmz__delta_sse2, cmz__undelta_sse2,
};

static const cmz__filter_kernels avx2_kernels = {
    "avx2",          cmz__shuffle_avx2, cmz__unshuffle_avx2, cmz__bitrows_avx2, cmz__unbitrows_avx2,
    cmz__delta_avx2, cmz__undelta_avx2,
};
#endif

static const cmz__filter_kernels *best_kernels(void) {
#if CMZ_FILTER_X86
    __builtin_cpu_init();
    if (__builtin_cpu_supports("avx2")) return &avx2_kernels;
    return &sse2_kernels;
#else
    return &scalar_kernels;
#endif
}

/* The forced table, or NULL for the CPU's best. Process-wide by design (tests, benchmarks);
 * atomic so that a filter running in another thread reads a whole pointer. */
static _Atomic(const cmz__filter_kernels *) forced;

const cmz__filter_kernels *cmz__filter_kernels_current(void) {
    const cmz__filter_kernels *k = atomic_load_explicit(&forced, memory_order_relaxed);
    return k ? k : best_kernels();
}

const char *cmz_filter_isa(void) { return cmz__filter_kernels_current()->name; }

cmz_status cmz_filter_force_isa(const char *isa) {
    const cmz__filter_kernels *k;
    if (!isa) {
        k = NULL;
    } else if (strcasecmp(isa, "scalar") == 0) {
        k = &scalar_kernels;
    } else if (strcasecmp(isa, "sse2") == 0 || strcasecmp(isa, "avx2") == 0) {
#if CMZ_FILTER_X86
        k = strcasecmp(isa, "sse2") == 0 ? &sse2_kernels : &avx2_kernels;
        if (k == &avx2_kernels && best_kernels() != &avx2_kernels) return CMZ_ERR_UNSUPPORTED;
#else
        return CMZ_ERR_UNSUPPORTED;
#endif
    } else {
        return CMZ_ERR_INVALID_ARG;
    }
    atomic_store_explicit(&forced, k, memory_order_relaxed);
    return CMZ_OK;
}
