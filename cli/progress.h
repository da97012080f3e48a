/* A one-line progress display on stderr for long work on a terminal: MiB done and ratio,
 * redrawn with \r at most 10 times a second, cleared at the end. Silent when stderr is not a
 * terminal or with -q. */
#ifndef CMZ_CLI_PROGRESS_H
#define CMZ_CLI_PROGRESS_H

#include <stdbool.h>
#include <stdint.h>
#include <time.h>

typedef struct {
    bool enabled;
    bool compressing; /* bytes_in is raw (compress) or compressed (decompress) */
    bool drawn;       /* a line is on the screen */
    const char *name;
    struct timespec start, last;
} cli_progress;

/* verbosity 0 (-q) disables it; so does a stderr that is not a terminal. */
void cli_progress_start(cli_progress *p, const char *name, bool compressing, int verbosity);

/* A cmz_progress_fn: opaque is the cli_progress. */
void cli_progress_update(void *opaque, uint64_t bytes_in, uint64_t bytes_out);

/* Erases the line, if one was drawn. */
void cli_progress_end(cli_progress *p);

#endif
