/* The filter API: ids, names, argument checks, and the switch to each filter. */
#include "internal.h"

#include "../common/internal.h"

#include <strings.h>

static const char *const names[CMZ_FILTER_ID_MAX + 1] = {"none", "shuffle", "bitshuffle", "delta",
                                                         "planes"};

const char *cmz_filter_name(int id) {
    return id >= 0 && id <= CMZ_FILTER_ID_MAX ? names[id] : "unknown";
}

cmz_status cmz_filter_by_name(const char *name, int *id, cmz_error *err) {
    if (!name || !id)
        return cmz__error(err, CMZ_ERR_INVALID_ARG,
                          name ? "cmz_filter_by_name: id is NULL" : "no filter name given");
    for (int i = 0; i <= CMZ_FILTER_ID_MAX; i++)
        if (strcasecmp(name, names[i]) == 0) {
            *id = i;
            return CMZ_OK;
        }
    return cmz__error(err, CMZ_ERR_INVALID_ARG,
                      "unknown filter '%s'; valid filters: none, shuffle, bitshuffle, delta, "
                      "planes",
                      name);
}

cmz_status cmz_filter_check(int id, unsigned typesize) {
    if (id < 0 || id > CMZ_FILTER_ID_MAX) return CMZ_ERR_UNSUPPORTED;
    if (id == CMZ_FILTER_NONE) return typesize == 1 ? CMZ_OK : CMZ_ERR_INVALID_ARG;
    return typesize == 2 || typesize == 4 || typesize == 8 ? CMZ_OK : CMZ_ERR_INVALID_ARG;
}

size_t cmz_filter_bound(int id, unsigned typesize, size_t n) {
    if (cmz_filter_check(id, typesize) != CMZ_OK) return 0;
    return id == CMZ_FILTER_PLANES ? cmz__planes_bound(n) : n;
}

cmz_status cmz_filter_forward(int id, unsigned typesize, const void *src, size_t n, void *dst,
                              size_t dst_capacity, size_t *dst_size) {
    cmz_status st = cmz_filter_check(id, typesize);
    if (st != CMZ_OK) return st;
    if (!dst_size || (n && (!src || !dst))) return CMZ_ERR_INVALID_ARG;
    size_t need = cmz_filter_bound(id, typesize, n);
    if (n && need == 0) return CMZ_ERR_INVALID_ARG; /* n so large that the bound overflows */
    if (dst_capacity < need) return CMZ_ERR_DST_TOO_SMALL;
    *dst_size = need;
    if (n == 0) return CMZ_OK;

    const cmz__filter_kernels *k = cmz__filter_kernels_current();
    switch (id) {
    case CMZ_FILTER_NONE: memcpy(dst, src, n); break;
    case CMZ_FILTER_SHUFFLE: cmz__shuffle_forward(k, typesize, src, n, dst); break;
    case CMZ_FILTER_BITSHUFFLE: cmz__bitshuffle_forward(k, typesize, src, n, dst); break;
    case CMZ_FILTER_DELTA: cmz__delta_forward(k, typesize, src, n, dst); break;
    default: cmz__planes_forward(k, typesize, src, n, dst); break;
    }
    return CMZ_OK;
}

cmz_status cmz_filter_backward(int id, unsigned typesize, const void *src, size_t src_size,
                               void *dst, size_t n) {
    cmz_status st = cmz_filter_check(id, typesize);
    if (st != CMZ_OK) return st;
    if ((src_size && !src) || (n && !dst)) return CMZ_ERR_INVALID_ARG;
    if (id == CMZ_FILTER_PLANES) {
        if (n == 0) return src_size == 0 ? CMZ_OK : CMZ_ERR_CORRUPT;
        return cmz__planes_backward(cmz__filter_kernels_current(), typesize, src, src_size, dst, n);
    }
    if (src_size != n) return CMZ_ERR_CORRUPT;
    if (n == 0) return CMZ_OK;

    const cmz__filter_kernels *k = cmz__filter_kernels_current();
    switch (id) {
    case CMZ_FILTER_NONE: memcpy(dst, src, n); break;
    case CMZ_FILTER_SHUFFLE: cmz__shuffle_backward(k, typesize, src, n, dst); break;
    case CMZ_FILTER_BITSHUFFLE: cmz__bitshuffle_backward(k, typesize, src, n, dst); break;
    default: cmz__delta_backward(k, typesize, src, n, dst); break;
    }
    return CMZ_OK;
}
