/* Output targets of the data commands. */
#include "target.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "io_fd.h"
#include "messages.h"

int cli_target_open(cli_target *t, const char *path, const char *in_name, const struct stat *in_st,
                    bool compressed, const cli_options *o) {
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

int cli_target_readable(cli_target *t) {
    if (!t->is_stdout && !t->in_place) return 0;
    const char *dir = getenv("TMPDIR");
    char path[PATH_MAX];
    int n = snprintf(path, sizeof path, "%s/cmz-scratch.XXXXXX", dir && *dir ? dir : "/tmp");
    int fd = n > 0 && (size_t)n < sizeof path ? mkostemp(path, O_CLOEXEC) : -1;
    if (fd < 0)
        return cli_errorf(t->name,
                          "cannot create a scratch file to check the output "
                          "before writing it: %s",
                          strerror(errno));
    unlink(path); /* gone with its descriptor, whatever happens */
    t->deliver_fd = t->fd;
    t->fd = fd;
    t->scratch = true;
    return 0;
}

/* Copies the checked scratch file to the real output. */
static int deliver(cli_target *t) {
    char buf[1 << 16];
    ssize_t got = lseek(t->fd, 0, SEEK_SET) == 0 ? 0 : -1;
    while (got >= 0 && (got = read(t->fd, buf, sizeof buf)) > 0)
        if (cli_write_all(t->deliver_fd, buf, (size_t)got) != 0) got = -1;
    int rc = got == 0 ? 0 : cli_errorf(t->name, "cannot write: %s", strerror(errno));
    close(t->fd);
    t->fd = t->deliver_fd;
    t->scratch = false;
    return rc;
}

int cli_target_commit(cli_target *t, const struct stat *in_st, const cli_options *o) {
    if (t->scratch && deliver(t) != 0) {
        cli_target_abort(t);
        return CLI_EXIT_ERROR;
    }
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
    if (t->scratch) { /* the scratch file goes; the real output was not touched */
        close(t->fd);
        t->fd = t->deliver_fd;
        t->scratch = false;
    }
    if (t->is_stdout) return;
    if (t->in_place) {
        if (t->fd >= 0) close(t->fd);
    } else {
        atomic_file_abort(&t->af);
    }
    t->fd = -1;
}

int cli_target_fail(cli_target *t, const char *name, const char *why) {
    const char *left = t->is_stdout  ? "what went to stdout is incomplete"
                       : t->in_place ? "what went to the device is incomplete"
                                     : "no output left";
    cli_target_abort(t);
    return cli_errorf(name, "%s; %s", why, left);
}

int cli_remove_input(const char *path) {
    if (unlink(path) != 0) return cli_errorf(path, "cannot remove the input: %s", strerror(errno));
    return 0;
}
