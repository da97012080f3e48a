/* Where a command's output goes: stdout, a character device such as /dev/null (written in
 * place), or a regular file replaced atomically (atomic_file.h). Also the --rm step. */
#ifndef CMZ_CLI_TARGET_H
#define CMZ_CLI_TARGET_H

#include <stdbool.h>
#include <sys/stat.h>

#include "args.h"
#include "atomic_file.h"

typedef struct {
    const char *name; /* for messages */
    int fd;
    bool is_stdout;
    bool in_place;  /* an existing device written directly */
    atomic_file af; /* regular files */
    bool scratch;   /* fd is a scratch file (cli_target_readable) ... */
    int deliver_fd; /* ... to be copied to this, the real output */
} cli_target;

/* Opens the output `path` (NULL: stdout) for the input `in_name` whose stat is `in_st`
 * (NULL for stdin). Refuses, with a message: compressed data to a terminal without -f, an
 * existing output without -f, the input itself. `compressed` tells whether the data written
 * is compressed. Returns 0, or 1 after reporting. */
int cli_target_open(cli_target *t, const char *path, const char *in_name, const struct stat *in_st,
                    bool compressed, const cli_options *o);

/* Makes the output final: for a file, copies the input's attributes (when in_st is not NULL),
 * fsyncs, renames into place and fsyncs the folder. Returns 0, or 1 after reporting (the
 * temp file is then gone). */
int cli_target_commit(cli_target *t, const struct stat *in_st, const cli_options *o);

/* Discards a target that will not be committed (removes the temp file). */
void cli_target_abort(cli_target *t);

/* Discards the target and reports "cmz: NAME: WHY; no output left" (or, for stdout or a
 * device, that what went there is incomplete). Returns CLI_EXIT_ERROR. */
int cli_target_fail(cli_target *t, const char *name, const char *why);

/* For a command that reads back what it wrote before delivering it: when the target cannot be
 * read back (stdout, a device), t->fd becomes an unlinked scratch file in $TMPDIR (or /tmp),
 * copied to the real output by cli_target_commit. Returns 0, or 1 after reporting. */
int cli_target_readable(cli_target *t);

/* --rm: removes the input file `path` once its output is committed. 0, or 1 after reporting. */
int cli_remove_input(const char *path);

#endif
