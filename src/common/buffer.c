/* The growable buffer: one allocation replaced by a larger one, as scratch (contents not
 * kept, exact size) or as an array (contents kept, doubling). cmz__hbuf (alloc.c) is apart:
 * it places huge-page-aligned blocks and charges whole huge pages to memory limits. */
#include "internal.h"

#include <assert.h>

/* Replaces *items with room for count elements of `size` bytes, the first keep kept and,
 * when zero is set, the rest zeroed. */
static int replace(void **items, size_t *cap, size_t size, size_t count, size_t keep, int zero) {
    assert(size > 0 && keep <= *cap && keep <= count);
    if (count > SIZE_MAX / size) return -1;
    uint8_t *p = cmz__malloc_large(count * size);
    if (!p) return -1;
    if (keep) memcpy(p, *items, keep * size);
    if (zero) memset(p + keep * size, 0, (count - keep) * size);
    cmz__free(*items);
    *items = p;
    *cap = count;
    return 0;
}

int cmz__grow(uint8_t **buf, size_t *cap, size_t need) {
    if (*cap >= need) return 0;
    void *items = *buf;
    if (replace(&items, cap, 1, need, 0, 0) != 0) return -1;
    *buf = items;
    return 0;
}

int cmz__reserve(void **items, size_t *cap, size_t size, size_t used, size_t need) {
    assert(size > 0 && used <= *cap);
    if (*cap >= need) return 0;
    size_t most = SIZE_MAX / size; /* elements whose bytes a size_t can count */
    if (need > most) return -1;
    size_t count = *cap > most / 2 ? most : 2 * *cap;
    if (count < need) count = need;
    if (count < 8 && most >= 8) count = 8;
    return replace(items, cap, size, count, used, 1);
}
