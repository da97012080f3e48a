/* Shared by the fuzz harnesses (fuzz/fuzz_*.c): each defines LLVMFuzzerTestOneInput. Built
 * with clang's libFuzzer by `make fuzz`; built with fuzz/replay.c's main() in the normal build,
 * where ctest replays the committed corpus and every past crash input (fuzz/CMakeLists.txt).
 *
 * The decoders run with one thread (a fuzz input is small; a pool per input would dominate)
 * and a 64 MiB memory limit: a frame declaring more must be refused before any allocation. */
#ifndef CMZ_FUZZ_COMMON_H
#define CMZ_FUZZ_COMMON_H

#include "cmz/cmz.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define FUZZ_MEMORY_LIMIT ((uint64_t)64 << 20)
/* Content larger than this is not decoded in full (the harness reads part of it). */
#define FUZZ_CONTENT_MAX ((size_t)4 << 20)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* One decompression context for the whole run (created on first use; never freed: the
 * process ends). */
static inline cmz_dctx *fuzz_dctx(void) {
    static cmz_dctx *dctx;
    if (!dctx) {
        cmz_dparams p = cmz_dparams_default();
        p.threads = 1;
        p.memory_limit = FUZZ_MEMORY_LIMIT;
        dctx = cmz_dctx_new(&p, NULL);
        if (!dctx) abort();
    }
    return dctx;
}

/* A failed call must say why: a status that is an error, and a message. */
static inline void fuzz_check_error(cmz_status st, const cmz_error *err) {
    if (st == CMZ_OK) return;
    if (st > 0 || err->message[0] == '\0') abort();
}

/* A growing in-memory output (a cmz_output's write: {fuzz_buffer_write, &buffer}); the
 * caller frees data. */
typedef struct {
    uint8_t *data;
    size_t size, cap;
} fuzz_buffer;

static inline int fuzz_buffer_write(void *opaque, const void *data, size_t n) {
    fuzz_buffer *b = opaque;
    if (n > b->cap - b->size) {
        size_t cap = b->cap ? b->cap : 1024;
        while (cap - b->size < n) cap *= 2;
        uint8_t *p = realloc(b->data, cap);
        if (!p) abort();
        b->data = p;
        b->cap = cap;
    }
    memcpy(b->data + b->size, data, n);
    b->size += n;
    return 0;
}

#endif
