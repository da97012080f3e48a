/* Running a data command over its files. */
#include "run.h"

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <string.h>
#include <unistd.h>

#include "messages.h"
#include "signals.h"

cmz_cctx *cli_session_cctx(cli_session *s) {
    if (s->cctx) return s->cctx;
    cmz_error err;
    cmz_error_clear(&err);
    s->cctx = cmz_cctx_new(&s->params, &err); /* its workers block signals themselves */
    if (!s->cctx) cli_lib_error(NULL, err.status, &err);
    return s->cctx;
}

cmz_dctx *cli_session_dctx(cli_session *s) {
    if (s->dctx) return s->dctx;
    cmz_error err;
    cmz_error_clear(&err);
    s->dctx = cmz_dctx_new(&s->dparams, &err);
    if (!s->dctx) cli_lib_error(NULL, err.status, &err);
    return s->dctx;
}

/* Whether the output is named after the input and written beside it (FILE.cmz, or FILE
 * from FILE.cmz), or the command reads the frame from its end (repair, --salvage): then only
 * a regular file will do. A pipe, device or socket is read only when -c or -o says where its
 * output goes; nothing is ever created beside one (in /dev, say). */
static bool needs_regular_file(const cli_options *o) {
    bool beside = (o->mode == CLI_MODE_COMPRESS || o->mode == CLI_MODE_DECOMPRESS) && !o->output &&
                  !o->to_stdout;
    return beside || o->mode == CLI_MODE_REPAIR || o->salvage;
}

static int not_regular(const cli_session *s, const char *name) {
    return cli_errorf(name, "is not a regular file; ignored%s",
                      s->o->mode == CLI_MODE_REPAIR || s->o->salvage
                          ? " (the frame is read from its end)"
                          : " (-c or -o OUT reads it)");
}

int cli_with_input(cli_session *s, const char *path, const char *tty_refusal, cli_fd_command fn) {
    const char *name = cli_display_name(path);
    bool from_stdin = !strcmp(path, "-");
    if (from_stdin && isatty(STDIN_FILENO) && !s->o->force)
        return cli_errorf(NULL, "%s", tty_refusal);
    bool regular_only = !from_stdin && needs_regular_file(s->o);
    struct stat st;
    /* before open(), which waits for a writer on a FIFO */
    if (regular_only && stat(path, &st) == 0 && !S_ISREG(st.st_mode) && !S_ISDIR(st.st_mode))
        return not_regular(s, name);
    int fd = from_stdin ? STDIN_FILENO : open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return cli_errorf(name, "%s", strerror(errno));
    int rc;
    if (fstat(fd, &st) != 0) rc = cli_errorf(name, "%s", strerror(errno));
    else if (S_ISDIR(st.st_mode)) rc = cli_errorf(name, "is a directory; ignored");
    else if (regular_only && !S_ISREG(st.st_mode)) rc = not_regular(s, name);
    else rc = fn(s, path, fd, &st);
    if (!from_stdin) close(fd);
    return rc;
}

static int run_one(cli_session *s, const char *path) {
    switch (s->o->mode) {
    case CLI_MODE_COMPRESS: return cli_compress_file(s, path);
    case CLI_MODE_DECOMPRESS:
    case CLI_MODE_TEST: return cli_decompress_file(s, path);
    case CLI_MODE_INFO: return cli_info_file(s, path);
    case CLI_MODE_CAT: return cli_cat_file(s, path);
    case CLI_MODE_REPAIR: return cli_repair_file(s, path);
    }
    return CLI_EXIT_ERROR;
}

/* A signal came while files[i] was processed; no further file is started. A file whose
 * command succeeded, or whose output was committed, is complete: when it was the last,
 * the run's status is the normal one. Otherwise the status is 128 + the signal's number: the
 * file in progress left nothing behind (its command said so), and the first file not started
 * is named. Returns that status, or 0 to keep the normal one. */
static int after_signal(const cli_session *s, int rc, char *const *files, int i, int nfiles) {
    bool complete = rc == 0 || s->committed; /* committed, then an error: --rm, --salvage */
    int left = nfiles - i - 1;
    if (complete && left == 0) {
        if (s->o->verbosity >= 1) fputs("cmz: interrupted after the work was complete\n", stderr);
        return 0;
    }
    if (left > 0)
        fprintf(stderr, "cmz: interrupted; not processed: %s%s\n", cli_display_name(files[i + 1]),
                left > 1 ? " and the files after it" : "");
    return cli_interrupt_exit_code();
}

int cli_run(int argc, char **argv, cli_mode mode) {
    cli_options o;
    int rc = cli_parse(argc, argv, 1, mode, &o);
    if (rc >= 0) return rc;
    cli_session s = {0};
    s.o = &o;
    s.params = o.params;
    s.params.progress = cli_progress_update;
    s.params.progress_opaque = &s.progress;
    s.params.interrupt = cli_interrupt_flag();
    s.dparams = cmz_dparams_default();
    s.dparams.threads = o.params.threads;
    s.dparams.memory_limit = o.memory_limit;
    s.dparams.progress = s.params.progress;
    s.dparams.progress_opaque = s.params.progress_opaque;
    s.dparams.interrupt = s.params.interrupt;
    cli_signals_install();

    static char *const stdin_only[] = {"-"};
    char *const *files = o.nfiles ? o.files : stdin_only;
    int nfiles = o.nfiles ? o.nfiles : 1;
    int status = CLI_EXIT_OK, signalled = 0;
    for (int i = 0; i < nfiles && !signalled; i++) {
        s.committed = false;
        int file_rc = run_one(&s, files[i]);
        if (file_rc != 0) status = CLI_EXIT_ERROR;
        if (cli_interrupt_exit_code()) signalled = after_signal(&s, file_rc, files, i, nfiles);
    }
    cmz_cctx_free(s.cctx);
    cmz_dctx_free(s.dctx);
    return signalled ? signalled : status;
}
