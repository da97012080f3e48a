/* Running a data command over its files. */
#include "run.h"

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <string.h>
#include <unistd.h>

#include "report.h"
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
    s->dctx = cmz_dctx_new(&s->params, &err);
    if (!s->dctx) cli_lib_error(NULL, err.status, &err);
    return s->dctx;
}

int cli_with_input(cli_session *s, const char *path, const char *tty_refusal, cli_fd_command fn) {
    const char *name = cli_display_name(path);
    bool from_stdin = !strcmp(path, "-");
    if (from_stdin && isatty(STDIN_FILENO) && !s->o->force)
        return cli_errorf(NULL, "%s", tty_refusal);
    int fd = from_stdin ? STDIN_FILENO : open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return cli_errorf(name, "%s", strerror(errno));
    struct stat st;
    int rc;
    if (fstat(fd, &st) != 0) rc = cli_errorf(name, "%s", strerror(errno));
    else if (S_ISDIR(st.st_mode)) rc = cli_errorf(name, "is a directory; ignored");
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
    cli_signals_install();

    static char *const stdin_only[] = {"-"};
    char *const *files = o.nfiles ? o.files : stdin_only;
    int nfiles = o.nfiles ? o.nfiles : 1;
    int status = CLI_EXIT_OK;
    for (int i = 0; i < nfiles; i++) {
        if (run_one(&s, files[i]) != 0) status = CLI_EXIT_ERROR;
        if (cli_interrupt_exit_code()) break;
    }
    cmz_cctx_free(s.cctx);
    cmz_dctx_free(s.dctx);
    int signalled = cli_interrupt_exit_code();
    return signalled ? signalled : status;
}
