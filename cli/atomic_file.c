/* Atomic file replacement for the commands: the library's (include/cmz/file.h), with the
 * pending temp file's path kept where a signal handler can remove it. */
#include "atomic_file.h"

#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>

/* The temp file a signal handler should remove: a copy of the path in static storage, so
 * that the handler needs neither malloc nor locks. */
static char pending_path[PATH_MAX];
static volatile sig_atomic_t pending_set;

void atomic_file_remove_pending(void) {
    if (pending_set) {
        unlink(pending_path);
        pending_set = 0;
    }
}

static void set_pending(const char *path) {
    pending_set = 0;
    size_t n = strlen(path);
    if (n >= sizeof pending_path) return;
    memcpy(pending_path, path, n + 1);
    pending_set = 1;
}

int atomic_file_open(atomic_file *af, const char *target, mode_t mode) {
    af->fd = -1;
    if (cmz_atomic_file_open(target, mode, 0, &af->file, NULL) != CMZ_OK) return -1;
    set_pending(cmz_atomic_file_temp_path(af->file));
    af->fd = cmz_atomic_file_fd(af->file);
    return 0;
}

void atomic_file_copy_attributes(atomic_file *af, const struct stat *like) {
    if (af->file) cmz_atomic_file_copy_attributes(af->file, like);
}

int atomic_file_commit(atomic_file *af, bool overwrite) {
    cmz_atomic_file *f = af->file;
    af->file = NULL;
    af->fd = -1;
    /* pending stays set through the rename: a second signal before it still removes the
     * temp file; after it, the unlink finds nothing (the name is the target's now) */
    cmz_status st = cmz_atomic_file_commit(f, overwrite ? 0 : CMZ_ATOMIC_FILE_NO_REPLACE, NULL);
    int saved = errno;
    pending_set = 0;
    errno = saved;
    return st == CMZ_OK ? 0 : -1;
}

void atomic_file_abort(atomic_file *af) {
    pending_set = 0;
    cmz_atomic_file_abort(af->file);
    af->file = NULL;
    af->fd = -1;
}
