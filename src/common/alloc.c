#include "internal.h"

#include <stdlib.h>
#include <string.h>

static void *default_alloc(void *opaque, size_t size) {
    (void)opaque;
    return malloc(size);
}
static void default_free(void *opaque, void *ptr) {
    (void)opaque;
    free(ptr);
}

/* Process-wide by design (see cmz_set_allocator): set before use, read-only afterwards. */
static cmz_allocator current = {default_alloc, default_free, NULL};

void cmz_set_allocator(const cmz_allocator *allocator) {
    if (allocator && allocator->alloc && allocator->free) {
        current = *allocator;
    } else {
        current.alloc = default_alloc;
        current.free = default_free;
        current.opaque = NULL;
    }
}

void *cmz__malloc(size_t size) { return current.alloc(current.opaque, size ? size : 1); }

void *cmz__calloc(size_t count, size_t size) {
    if (size && count > SIZE_MAX / size) return NULL;
    void *p = cmz__malloc(count * size);
    if (p) memset(p, 0, count * size);
    return p;
}

void cmz__free(void *ptr) {
    if (ptr) current.free(current.opaque, ptr);
}
