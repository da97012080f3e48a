#include "internal.h"

#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

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

/* Chunk buffers and resources are megabytes, written once into fresh memory: in a VM each 4 KiB
 * page fault costs microseconds, many times the cost of filling the page (see docs/BENCH.md,
 * "Figures behind constants in the code"), so ask for transparent huge pages on the
 * 2 MiB-aligned inside of large buffers (a hint: ignored where THP is off). */
static void hint_huge_pages(uint8_t *p, size_t n) {
#ifdef MADV_HUGEPAGE
    const uintptr_t huge = (uintptr_t)2 << 20;
    uintptr_t start = ((uintptr_t)p + huge - 1) & ~(huge - 1);
    uintptr_t end = ((uintptr_t)p + n) & ~(huge - 1);
    if (end > start) madvise((void *)start, end - start, MADV_HUGEPAGE);
#else
    (void)p;
    (void)n;
#endif
}

void *cmz__malloc_large(size_t size) {
    uint8_t *p = cmz__malloc(size);
    if (p && size >= ((size_t)4 << 20)) hint_huge_pages(p, size);
    return p;
}

#define HUGE_PAGE ((size_t)2 << 20)

/* One allocation of exactly `size` usable bytes at b->p: rounded up to whole huge pages and
 * placed on a huge-page boundary from HUGE_PAGE on, plain below. */
static int hbuf_alloc(cmz__hbuf *b, size_t size) {
    if (size < HUGE_PAGE) {
        uint8_t *p = cmz__malloc(size);
        if (!p) return -1;
        b->block = b->p = p;
        b->cap = size;
        return 0;
    }
    if (size > SIZE_MAX - 2 * HUGE_PAGE) return -1;
    size_t whole = (size_t)cmz__hbuf_footprint(size);
    uint8_t *block = cmz__malloc(whole + HUGE_PAGE);
    if (!block) return -1;
    uint8_t *p = (uint8_t *)(((uintptr_t)block + HUGE_PAGE - 1) & ~(uintptr_t)(HUGE_PAGE - 1));
#ifdef MADV_HUGEPAGE
    madvise(p, whole, MADV_HUGEPAGE); /* a hint: ignored where THP is off */
#endif
    b->block = block;
    b->p = p;
    b->cap = size;
    return 0;
}

int cmz__hbuf_grow(cmz__hbuf *b, size_t need, size_t most) {
    if (b->cap >= need) return 0;
    size_t twice = b->cap > SIZE_MAX / 2 ? SIZE_MAX : 2 * b->cap;
    size_t want = twice < most ? twice : most;
    cmz__hbuf grown;
    /* Extra room is a convenience: when it cannot be had, the exact size will do. */
    if ((want <= need || hbuf_alloc(&grown, want) != 0) && hbuf_alloc(&grown, need) != 0) return -1;
    cmz__hbuf_free(b);
    *b = grown;
    return 0;
}

uint64_t cmz__hbuf_footprint(uint64_t n) {
    return n < HUGE_PAGE ? n : (n + HUGE_PAGE - 1) & ~(uint64_t)(HUGE_PAGE - 1);
}

void cmz__hbuf_free(cmz__hbuf *b) {
    cmz__free(b->block);
    b->block = b->p = NULL;
    b->cap = 0;
}

void cmz__release_tail(void *buf, size_t used, size_t cap) {
#ifdef MADV_DONTNEED
    if (cap < ((size_t)4 << 20)) return;
    /* whole pages of the system's size strictly inside the buffer: madvise rounds a length up
     * to a page, which must never reach past buf + cap (the next heap block) */
    long size = sysconf(_SC_PAGESIZE);
    if (size <= 0) return;
    const uintptr_t page = (uintptr_t)size;
    uintptr_t start = ((uintptr_t)buf + used + page - 1) & ~(page - 1);
    uintptr_t end = ((uintptr_t)buf + cap) & ~(page - 1);
    if (end > start) madvise((void *)start, end - start, MADV_DONTNEED);
#else
    (void)buf, (void)used, (void)cap;
#endif
}
