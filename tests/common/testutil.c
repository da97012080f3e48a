#include "testutil.h"

#include <ftw.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

uint64_t tu_rand(uint64_t *s) {
    uint64_t x = *s ? *s : 0x9E3779B97F4A7C15ull;
    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    *s = x;
    return x * 0x2545F4914F6CDD1Dull;
}

static uint8_t *alloc_buf(size_t n) {
    uint8_t *p = malloc(n ? n : 1);
    assert_non_null(p);
    return p;
}

uint8_t *tu_random(size_t n, uint64_t seed) {
    uint8_t *p = alloc_buf(n);
    uint64_t s = seed * 2654435761u + 1;
    for (size_t i = 0; i < n; i++) p[i] = (uint8_t)(tu_rand(&s) >> 56);
    return p;
}

uint8_t *tu_repetitive(size_t n) {
    static const char phrase[] = "the quick brown fox jumps over the lazy dog. ";
    uint8_t *p = alloc_buf(n);
    for (size_t i = 0; i < n; i++) p[i] = (uint8_t)phrase[i % (sizeof phrase - 1)];
    return p;
}

uint8_t *tu_text(size_t n, uint64_t seed) {
    static const char *const words[] = {"memory", "chunk", "frame", "weights", "cache",
                                        "render", "subtitle", "the", "a", "of", "model",
                                        "snapshot", "release", "budget", "and", "to"};
    uint8_t *p = alloc_buf(n);
    uint64_t s = seed + 7;
    size_t i = 0;
    while (i < n) {
        const char *w = words[tu_rand(&s) % (sizeof words / sizeof words[0])];
        for (size_t k = 0; w[k] && i < n; k++) p[i++] = (uint8_t)w[k];
        if (i < n) p[i++] = (tu_rand(&s) % 11 == 0) ? '\n' : ' ';
    }
    return p;
}

uint8_t *tu_mixed(size_t n, uint64_t seed) {
    uint8_t *p = alloc_buf(n);
    uint64_t s = seed + 13;
    size_t i = 0;
    while (i < n) {
        size_t block = 1 + tu_rand(&s) % 65536;
        if (block > n - i) block = n - i;
        switch (tu_rand(&s) % 4) {
        case 0: {
            uint8_t *t = tu_text(block, tu_rand(&s));
            memcpy(p + i, t, block);
            free(t);
            break;
        }
        case 1: memset(p + i, 0, block); break;
        case 2:
            for (size_t k = 0; k < block; k++) p[i + k] = (uint8_t)(tu_rand(&s) >> 56);
            break;
        default:
            for (size_t k = 0; k < block; k++) {
                float f = (float)sin((double)(i + k) * 0.001) * 0.05f;
                uint8_t b[4];
                memcpy(b, &f, 4);
                p[i + k] = b[(i + k) % 4];
            }
        }
        i += block;
    }
    return p;
}

char *tu_tempdir(void) {
    const char *base = getenv("TMPDIR");
    char tmpl[4096];
    snprintf(tmpl, sizeof tmpl, "%s/cmztest.XXXXXX", base && *base ? base : "/tmp");
    char *d = mkdtemp(tmpl);
    assert_non_null(d);
    return strdup(d);
}

static int rm_one(const char *path, const struct stat *sb, int flag, struct FTW *ftw) {
    (void)sb;
    (void)flag;
    (void)ftw;
    return remove(path);
}

void tu_rmtree(const char *path) { nftw(path, rm_one, 16, FTW_DEPTH | FTW_PHYS); }
