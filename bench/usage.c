/* Runs one command and reports what it took: wall seconds, user and system CPU seconds and
 * peak RSS (KiB), on one line of REPORT. /usr/bin/time counts CPU in 10 ms steps, too coarse
 * for runs of 100 ms; wait4's rusage has microseconds.
 * Usage: bench_usage REPORT CMD [ARG...]   (stdin, stdout and stderr are CMD's; the exit
 * status is CMD's, or 127 when it could not be started). */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bench_util.h"

static double seconds(struct timeval t) { return (double)t.tv_sec + (double)t.tv_usec * 1e-6; }

int main(int argc, char **argv) {
    if (argc < 3) {
        fprintf(stderr, "usage: %s REPORT CMD [ARG...]\n", argv[0]);
        return 2;
    }
    FILE *report = fopen(argv[1], "we"); /* e: not inherited by CMD */
    if (!report) {
        fprintf(stderr, "%s: %s\n", argv[1], strerror(errno));
        return 2;
    }
    double t0 = bench_now_ns();
    pid_t pid = fork();
    if (pid < 0) {
        fprintf(stderr, "fork: %s\n", strerror(errno));
        return 2;
    }
    if (pid == 0) {
        execvp(argv[2], argv + 2);
        fprintf(stderr, "%s: %s\n", argv[2], strerror(errno));
        _exit(127);
    }
    int status;
    struct rusage use;
    if (wait4(pid, &status, 0, &use) < 0) {
        fprintf(stderr, "wait4: %s\n", strerror(errno));
        return 2;
    }
    double wall = (bench_now_ns() - t0) * 1e-9;
    fprintf(report, "%.6f %.6f %.6f %ld\n", wall, seconds(use.ru_utime), seconds(use.ru_stime),
            use.ru_maxrss);
    if (fclose(report) != 0) return 2;
    if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
    return WEXITSTATUS(status);
}
