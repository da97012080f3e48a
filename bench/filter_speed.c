/* Filter speed: every filter x typesize x ISA on one core, forward and backward, on a buffer
 * of weights-like float data (default 1 MiB). Each figure is the median of --reps runs; a run
 * times enough calls to last at least 2 ms. MB/s = 10^6 bytes of unfiltered data per second.
 * Time is the thread's CPU time (CLOCK_THREAD_CPUTIME_ID), so that a busy machine that
 * takes the core away now and then does not count against the filter (cache pollution from
 * other processes still does: medians, and run it on a quiet machine when you can).
 *
 *   bench_filter_speed [--size BYTES] [--reps N] [--csv]
 *
 * The data: float32 values 0.02 sin(i/100) + 0.003 sin(1.7 i), the shape of model weights
 * (speed hardly depends on it; planes' alignment search looks at it). */
#include "cmz/filter.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static double now(void) {
    struct timespec t;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
    return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

static int cmp_double(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

typedef struct {
    int id;
    unsigned ts;
    int forward;
    const void *src;
    size_t n, src_size;
    void *dst;
    size_t cap;
} job;

static void run_once(const job *j) {
    size_t size;
    cmz_status st = j->forward
                        ? cmz_filter_forward(j->id, j->ts, j->src, j->n, j->dst, j->cap, &size)
                        : cmz_filter_backward(j->id, j->ts, j->src, j->src_size, j->dst, j->n);
    if (st != CMZ_OK) {
        fprintf(stderr, "filter %s failed: %s\n", cmz_filter_name(j->id), cmz_strerror(st));
        exit(1);
    }
}

/* Median MB/s over reps runs. */
static double speed(const job *j, int reps) {
    double *mbs = malloc(sizeof(double) * (size_t)reps);
    run_once(j); /* warm up caches and pages */
    int calls = 1;
    for (;;) { /* calls per run: enough for 2 ms */
        double t0 = now();
        for (int c = 0; c < calls; c++) run_once(j);
        if (now() - t0 >= 0.002 || calls >= 1 << 20) break;
        calls *= 2;
    }
    for (int r = 0; r < reps; r++) {
        double t0 = now();
        for (int c = 0; c < calls; c++) run_once(j);
        double dt = now() - t0;
        mbs[r] = (double)j->n * calls / dt / 1e6;
    }
    qsort(mbs, (size_t)reps, sizeof(double), cmp_double);
    double median = mbs[reps / 2];
    free(mbs);
    return median;
}

int main(int argc, char **argv) {
    size_t n = 1 << 20;
    int reps = 15, csv = 0;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--size") == 0 && i + 1 < argc) {
            n = strtoull(argv[++i], NULL, 10);
        } else if (strcmp(argv[i], "--reps") == 0 && i + 1 < argc) {
            reps = atoi(argv[++i]);
        } else if (strcmp(argv[i], "--csv") == 0) {
            csv = 1;
        } else {
            fprintf(stderr, "usage: %s [--size BYTES] [--reps N] [--csv]\n", argv[0]);
            return 2;
        }
    }
    if (reps < 1 || n == 0) {
        fprintf(stderr, "--size and --reps must be positive\n");
        return 2;
    }

    unsigned char *data = malloc(n), *filtered = malloc(n + n / 1024 + 64), *back = malloc(n);
    if (!data || !filtered || !back) {
        fprintf(stderr, "out of memory\n");
        return 1;
    }
    for (size_t i = 0; i + 4 <= n; i += 4) {
        float v = (float)(0.02 * sin((double)i / 400) + 0.003 * sin((double)i * 0.425));
        memcpy(data + i, &v, 4);
    }
    memset(data + n - n % 4, 0, n % 4);

    const char *isas[] = {"scalar", "sse2", "avx2"};
    cmz_filter_force_isa(NULL);
    if (csv) {
        printf("# best ISA here: %s; %zu bytes, median of %d runs\n", cmz_filter_isa(), n, reps);
        printf("filter,typesize,isa,forward_MBps,backward_MBps\n");
    } else {
        printf("best ISA here: %s; buffer %zu bytes, median of %d runs, one core, thread CPU "
               "time\n\n%-11s %3s %-7s %12s %12s\n",
               cmz_filter_isa(), n, reps, "filter", "ts", "isa", "fwd MB/s", "bwd MB/s");
    }

    for (int id = CMZ_FILTER_SHUFFLE; id <= CMZ_FILTER_ID_MAX; id++) {
        for (unsigned ts = 2; ts <= 8; ts *= 2) {
            for (int k = 0; k < 3; k++) {
                if (cmz_filter_force_isa(isas[k]) != CMZ_OK) continue;
                size_t cap = cmz_filter_bound(id, ts, n), size = 0;
                if (cmz_filter_forward(id, ts, data, n, filtered, cap, &size) != CMZ_OK) return 1;
                job fwd = {id, ts, 1, data, n, n, filtered, cap};
                job bwd = {id, ts, 0, filtered, n, size, back, n};
                double f = speed(&fwd, reps), b = speed(&bwd, reps);
                if (memcmp(back, data, n) != 0) {
                    fprintf(stderr, "%s ts=%u %s: round trip differs\n", cmz_filter_name(id), ts,
                            isas[k]);
                    return 1;
                }
                if (csv) printf("%s,%u,%s,%.0f,%.0f\n", cmz_filter_name(id), ts, isas[k], f, b);
                else
                    printf("%-11s %3u %-7s %12.0f %12.0f\n", cmz_filter_name(id), ts, isas[k], f,
                           b);
                fflush(stdout);
            }
        }
    }
    cmz_filter_force_isa(NULL);
    free(data);
    free(filtered);
    free(back);
    return 0;
}
