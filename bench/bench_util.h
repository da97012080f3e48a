/* Helpers shared by the benchmark programs (each bench/NAME.c is one program): a monotonic clock,
 * medians, deterministic generated data and the optional real corpus. Header-only, so that a
 * program takes what it uses. */
#ifndef CMZ_BENCH_UTIL_H
#define CMZ_BENCH_UTIL_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static inline double bench_now_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

static inline int bench_cmp_double(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* Median of v[0..n) (n >= 1); sorts v. */
static inline double bench_median(double *v, unsigned n) {
    qsort(v, n, sizeof *v, bench_cmp_double);
    return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

/* splitmix64: the same sequence on every machine. */
static inline uint64_t bench_rnd(uint64_t *state) {
    uint64_t z = (*state += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}
static inline double bench_unit(uint64_t *state) { /* [0, 1) */
    return (double)(bench_rnd(state) >> 11) * (1.0 / 9007199254740992.0);
}

/* Realistic mixed data, deterministic for a seed: text lines of words and numbers (45% of
 * the pieces), float32 values like trained weights, little-endian, their scale drifting per
 * piece (40%), and zero runs such as padding or sparse tensors (15%), in 0.5..16 KiB pieces. */
static inline void bench_gen_mixed(uint8_t *p, size_t n, uint64_t seed) {
    static const char *const words[] = {
        "the",     "frame",    "render",     "cache",    "model",    "weights", "subtitle",
        "memory",  "released", "compressed", "snapshot", "timeline", "clip",    "export",
        "decoder", "of",       "to",         "and",      "scene",    "cut",     "transition",
        "effect",  "layer",    "budget",     "pressure", "a",        "is",      "was"};
    const size_t nwords = sizeof words / sizeof words[0];
    uint64_t s = seed;
    size_t at = 0;
    while (at < n) {
        unsigned kind = (unsigned)(bench_rnd(&s) % 100);
        size_t len = kind < 45   ? 1024 + bench_rnd(&s) % 7168
                     : kind < 85 ? 2048 + bench_rnd(&s) % 14336
                                 : 512 + bench_rnd(&s) % 3584;
        if (len > n - at) len = n - at;
        size_t end = at + len;
        if (kind < 45) {
            while (at < end) {
                char line[160];
                int k = snprintf(line, sizeof line, "%llu ",
                                 (unsigned long long)(bench_rnd(&s) % 5000));
                int nw = 4 + (int)(bench_rnd(&s) % 10);
                for (int w = 0; w < nw && k < 140; w++)
                    k += snprintf(line + k, sizeof line - (size_t)k, "%s%s",
                                  words[bench_rnd(&s) % nwords], w + 1 < nw ? " " : ".\n");
                size_t take = (size_t)k < end - at ? (size_t)k : end - at;
                memcpy(p + at, line, take);
                at += take;
            }
        } else if (kind < 85) {
            double scale = 0.01 + 0.2 * bench_unit(&s);
            for (; at + 4 <= end; at += 4) {
                double sum = -2.0; /* four uniforms, added in a fixed order */
                for (int u = 0; u < 4; u++) sum += bench_unit(&s);
                float v = (float)(sum * scale);
                uint32_t bits;
                memcpy(&bits, &v, 4);
                for (int b = 0; b < 4; b++) p[at + (size_t)b] = (uint8_t)(bits >> (8 * b));
            }
            memset(p + at, 0, end - at);
            at = end;
        } else {
            memset(p + at, 0, len);
            at = end;
        }
    }
}

/* Bytes [offset, offset+n) of the corpus file `name` (../shared/corpus/README.md), looked for
 * in $CMZ_CORPUS when it is set, else in ../shared/corpus, ../../shared/corpus (from the
 * project or a build folder in it) and /work/shared/corpus. Returns a malloc'd copy and the
 * path found in `where`, or NULL when no such file holds those bytes. */
static inline uint8_t *bench_corpus_slice(const char *name, size_t offset, size_t n, char *where,
                                          size_t where_size) {
    const char *env = getenv("CMZ_CORPUS");
    const char *const dirs[] = {env, "../shared/corpus", "../../shared/corpus",
                                "/work/shared/corpus"};
    size_t ndirs = env && *env ? 1 : sizeof dirs / sizeof dirs[0];
    for (size_t i = 0; i < ndirs; i++) {
        if (!dirs[i] || !*dirs[i]) continue;
        char path[4096];
        snprintf(path, sizeof path, "%s/%s", dirs[i], name);
        FILE *f = fopen(path, "rb");
        if (!f) continue;
        uint8_t *p = malloc(n ? n : 1);
        bool ok = p && fseek(f, (long)offset, SEEK_SET) == 0 && fread(p, 1, n, f) == n;
        fclose(f);
        if (ok) {
            snprintf(where, where_size, "%s", path);
            return p;
        }
        free(p);
    }
    return NULL;
}

#endif
