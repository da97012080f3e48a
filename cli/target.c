/* Output targets of the data commands. */
#include "target.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include "report.h"

int cli_target_open(cli_target *t, const char *path, const char *in_name,
                    const struct stat *in_st, bool compressed, const cli_options *o) {
    memset(t, 0, sizeof *t);
    t->fd = -1;
    t->af.fd = -1;
    if (!path || !strcmp(path, "-")) {
        t->name = "stdout";
        t->is_stdout = true;
        t->fd = STDOUT_FILENO;
        if (compressed && !o->force && isatty(STDOUT_FILENO))
            return cli_errorf(NULL, "stdout is a terminal: compressed data is not written to "
                                    "one (use -f to force, or -o FILE)");
        return 0;
    }
    t->name = path;
    struct stat st;
    if (stat(path, &st) == 0) {
        if (in_st && st.st_dev == in_st->st_dev && st.st_ino == in_st->st_ino)
            return cli_errorf(in_name, "the output %s is the input itself", path);
        if (S_ISCHR(st.st_mode)) { /* /dev/null and the like: no replacing, no -f needed */
            t->fd = open(path, O_WRONLY | O_CLOEXEC);
            if (t->fd < 0) return cli_errorf(path, "%s", strerror(errno));
            t->in_place = true;
            return 0;
        }
        if (!o->force) return cli_errorf(path, "already exists; not overwritten (use -f)");
        if (S_ISDIR(st.st_mode)) return cli_errorf(path, "is a directory");
    }
    mode_t mode = in_st && S_ISREG(in_st->st_mode) ? (in_st->st_mode & 0777) : 0666;
    if (atomic_file_open(&t->af, path, mode) != 0)
        return cli_errorf(path, "cannot create a temp file beside it: %s", strerror(errno));
    t->fd = t->af.fd;
    return 0;
}

int cli_target_commit(cli_target *t, const struct stat *in_st, const cli_options *o) {
    if (t->is_stdout) return 0;
    if (t->in_place) {
        int rc = close(t->fd);
        t->fd = -1;
        return rc == 0 ? 0 : cli_errorf(t->name, "%s", strerror(errno));
    }
    if (in_st && S_ISREG(in_st->st_mode)) atomic_file_copy_attributes(&t->af, in_st);
    t->fd = -1;
    if (atomic_file_commit(&t->af, o->force) != 0) {
        if (errno == EEXIST) return cli_errorf(t->name, "appeared meanwhile; not overwritten");
        return cli_errorf(t->name, "cannot write: %s", strerror(errno));
    }
    return 0;
}

void cli_target_abort(cli_target *t) {
    if (t->is_stdout) return;
    if (t->in_place) {
        if (t->fd >= 0) close(t->fd);
    } else {
        atomic_file_abort(&t->af);
    }
    t->fd = -1;
}

int cli_remove_input(const char *path) {
    if (unlink(path) != 0) return cli_errorf(path, "cannot remove the input: %s", strerror(errno));
    return 0;
}
