/* The data commands (compress, decompress, test, info, cat): one session per run holds the
 * options, the library contexts (made on first use, reused for every file) and the progress
 * display; each command processes one file at a time. */
#ifndef CMZ_CLI_RUN_H
#define CMZ_CLI_RUN_H

#include <stdbool.h>
#include <sys/stat.h>

#include "args.h"
#include "progress.h"

typedef struct {
    const cli_options *o;
    cmz_params params;   /* the options' parameters plus progress and interrupt hooks */
    cmz_dparams dparams; /* decoding's: threads, memory limit and the same hooks */
    cli_progress progress;
    cmz_cctx *cctx;
    cmz_dctx *dctx;
    bool committed; /* the file in progress has its output committed (set by its command) */
} cli_session;

/* Parses argv[1..] for a command starting in `mode`, runs it over every FILE (stdin when
 * none) and returns the exit code: 0, 1 if any file failed, 2 usage, 128 + the signal's
 * number when a signal left work undone (docs/CLI.md, "Exit status"). */
int cli_run(int argc, char **argv, cli_mode mode);

/* The session's contexts, made on first use (NULL after reporting why). */
cmz_cctx *cli_session_cctx(cli_session *s);
cmz_dctx *cli_session_dctx(cli_session *s);

/* One file each ("-" is stdin); 0 on success, 1 after reporting an error. */
/* Opens path ("-" = stdin; refused when it is a terminal, unless -f, with `tty_refusal` as the
 * message), checks it is no directory (and a regular file where the command needs one: an
 * output beside it, repair, --salvage), and runs fn on the open descriptor; closes it after. */
typedef int (*cli_fd_command)(cli_session *s, const char *path, int fd, const struct stat *st);
int cli_with_input(cli_session *s, const char *path, const char *tty_refusal, cli_fd_command fn);

int cli_compress_file(cli_session *s, const char *path);
int cli_decompress_file(cli_session *s, const char *path); /* decompress, or test (-t) */
int cli_info_file(cli_session *s, const char *path);
int cli_cat_file(cli_session *s, const char *path);
int cli_repair_file(cli_session *s, const char *path);

#endif
