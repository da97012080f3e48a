/* The CLI's use of the library's atomic file replacement (include/cmz/file.h), plus what only
 * a program can do: remember the pending temp file for its signal handler. */
#ifndef CMZ_CLI_ATOMIC_FILE_H
#define CMZ_CLI_ATOMIC_FILE_H

#include <stdbool.h>
#include <sys/stat.h>

#include "cmz/file.h"

typedef struct {
    cmz_atomic_file *file; /* NULL when closed */
    int fd;                /* the temp file's descriptor while open, -1 when closed */
} atomic_file;

/* Creates the temp file beside `target` with permissions `mode` (umask applied).
 * Returns 0, or -1 with errno set (nothing left behind). */
int atomic_file_open(atomic_file *af, const char *target, mode_t mode);

/* Gives the temp file the owner (when allowed), permission bits and times of `like`
 * (the input file). Best effort: failures are ignored, as zstd and gzip do. */
void atomic_file_copy_attributes(atomic_file *af, const struct stat *like);

/* fsync, rename over the target (refused with EEXIST when `overwrite` is false and the
 * target appeared meanwhile), fsync the folder. Returns 0, or -1 with errno set and the
 * temp file removed. Either way af is closed. */
int atomic_file_commit(atomic_file *af, bool overwrite);

/* Closes and removes the temp file; safe on a closed or zeroed atomic_file. */
void atomic_file_abort(atomic_file *af);

/* For a signal handler: removes the temp file currently open, if any (only
 * async-signal-safe calls). */
void atomic_file_remove_pending(void);

#endif
