/* Progress line on a terminal. */
#include "progress.h"

#include <stdio.h>
#include <string.h>
#include <unistd.h>

#define FIRST_DRAW_NS 300000000LL /* work shorter than this shows nothing */
#define REDRAW_NS 100000000LL     /* at most 10 redraws a second */
#define LINE_WIDTH 79

static long long elapsed_ns(const struct timespec *from, const struct timespec *to) {
    return (long long)(to->tv_sec - from->tv_sec) * 1000000000LL + (to->tv_nsec - from->tv_nsec);
}

void cli_progress_start(cli_progress *p, const char *name, bool compressing, int verbosity) {
    memset(p, 0, sizeof *p);
    p->enabled = verbosity > 0 && isatty(STDERR_FILENO);
    p->compressing = compressing;
    p->name = name;
    clock_gettime(CLOCK_MONOTONIC, &p->start);
    p->last = p->start;
}

void cli_progress_update(void *opaque, uint64_t bytes_in, uint64_t bytes_out) {
    cli_progress *p = opaque;
    if (!p || !p->enabled) return;
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    if (elapsed_ns(&p->start, &now) < FIRST_DRAW_NS) return;
    if (p->drawn && elapsed_ns(&p->last, &now) < REDRAW_NS) return;
    p->last = now;
    uint64_t raw = p->compressing ? bytes_in : bytes_out;
    uint64_t packed = p->compressing ? bytes_out : bytes_in;
    double ratio = raw ? 100.0 * (double)packed / (double)raw : 0.0;
    double seconds = (double)elapsed_ns(&p->start, &now) / 1e9;
    double mib = (double)raw / (1024.0 * 1024.0);
    char line[256];
    int n = snprintf(line, sizeof line, "%.40s: %.1f MiB %s, %.2f%%, %.1f MiB/s", p->name, mib,
                     p->compressing ? "read" : "written", ratio, seconds > 0 ? mib / seconds : 0);
    if (n < 0) return;
    fprintf(stderr, "\r%-*.*s", LINE_WIDTH, LINE_WIDTH, line);
    fflush(stderr);
    p->drawn = true;
}

void cli_progress_end(cli_progress *p) {
    if (!p->drawn) return;
    fprintf(stderr, "\r%*s\r", LINE_WIDTH, "");
    fflush(stderr);
    p->drawn = false;
}
