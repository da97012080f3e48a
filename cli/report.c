/* Error messages and summaries. */
#include "report.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

int cli_errorf(const char *name, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    if (name) fprintf(stderr, "cmz: %s: ", name);
    else fputs("cmz: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
    return CLI_EXIT_ERROR;
}

int cli_lib_error(const char *name, cmz_status status, const cmz_error *err) {
    const char *msg = err && err->message[0] ? err->message : cmz_strerror(status);
    return cli_errorf(name, "%s", msg);
}

const char *cli_display_name(const char *path) { return strcmp(path, "-") ? path : "stdin"; }

bool cli_summary_wanted(const cli_options *o) {
    return o->verbosity >= 2 || (o->verbosity == 1 && isatty(STDERR_FILENO));
}

const char *cli_human_size(uint64_t bytes, char buf[32]) {
    static const char *const units[] = {"B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"};
    double v = (double)bytes;
    size_t u = 0;
    while (v >= 1024.0 && u + 1 < sizeof units / sizeof *units) {
        v /= 1024.0;
        u++;
    }
    if (u == 0) snprintf(buf, 32, "%llu B", (unsigned long long)bytes);
    else snprintf(buf, 32, "%.2f %s", v, units[u]);
    return buf;
}

const char *cli_percent(uint64_t part, uint64_t whole, char buf[16]) {
    if (whole == 0) snprintf(buf, 16, "n/a");
    else snprintf(buf, 16, "%.2f%%", 100.0 * (double)part / (double)whole);
    return buf;
}
