/* Atomic file replacement: temp file, fsync, rename, fsync of the folder. */
#include "atomic_file.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
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

/* Splits "dir/name" into its folder ("." when none). Caller frees. */
static char *folder_of(const char *path) {
    const char *slash = strrchr(path, '/');
    if (!slash) return strdup(".");
    if (slash == path) return strdup("/");
    return strndup(path, (size_t)(slash - path));
}

static int fsync_folder(const char *path) {
    char *dir = folder_of(path);
    if (!dir) return -1;
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    free(dir);
    if (fd < 0) return -1;
    int rc = fsync(fd);
    /* Some file systems cannot sync a folder; the data itself is synced already. */
    if (rc != 0 && (errno == EINVAL || errno == EROFS)) rc = 0;
    int saved = errno;
    close(fd);
    errno = saved;
    return rc;
}

int atomic_file_open(atomic_file *af, const char *target, mode_t mode) {
    af->fd = -1;
    af->temp = NULL;
    af->target = strdup(target);
    size_t n = strlen(target);
    if (af->target) af->temp = malloc(n + sizeof ".XXXXXX.tmp");
    if (!af->target || !af->temp) {
        atomic_file_abort(af);
        errno = ENOMEM;
        return -1;
    }
    memcpy(af->temp, target, n);
    memcpy(af->temp + n, ".XXXXXX.tmp", sizeof ".XXXXXX.tmp");
    af->fd = mkostemps(af->temp, 4, O_CLOEXEC);
    if (af->fd < 0) {
        int saved = errno;
        free(af->temp);
        af->temp = NULL;
        atomic_file_abort(af);
        errno = saved;
        return -1;
    }
    set_pending(af->temp);
    mode_t mask = umask(0);
    umask(mask);
    if (fchmod(af->fd, mode & ~mask & 07777) != 0) { /* mkstemp made it 0600 */
        int saved = errno;
        atomic_file_abort(af);
        errno = saved;
        return -1;
    }
    return 0;
}

void atomic_file_copy_attributes(atomic_file *af, const struct stat *like) {
    if (af->fd < 0) return;
    /* Owner first: chown clears set-id bits, chmod then restores what may be kept. */
    if (fchown(af->fd, like->st_uid, like->st_gid) != 0 && errno == EPERM)
        (void)!fchown(af->fd, (uid_t)-1, like->st_gid);
    (void)!fchmod(af->fd, like->st_mode & 07777);
    struct timespec times[2] = {like->st_atim, like->st_mtim};
    (void)!futimens(af->fd, times);
}

static int publish(const char *temp, const char *target, bool overwrite) {
    if (overwrite) return rename(temp, target);
    if (renameat2(AT_FDCWD, temp, AT_FDCWD, target, RENAME_NOREPLACE) == 0) return 0;
    if (errno != EINVAL && errno != ENOSYS) return -1;
    /* The file system cannot refuse a replacement itself: check, then rename. */
    struct stat st;
    if (lstat(target, &st) == 0) {
        errno = EEXIST;
        return -1;
    }
    return rename(temp, target);
}

int atomic_file_commit(atomic_file *af, bool overwrite) {
    int rc = fsync(af->fd);
    if (rc == 0) {
        rc = close(af->fd);
        af->fd = -1;
    }
    if (rc == 0) rc = publish(af->temp, af->target, overwrite);
    if (rc != 0) {
        int saved = errno;
        atomic_file_abort(af);
        errno = saved;
        return -1;
    }
    pending_set = 0;
    free(af->temp);
    af->temp = NULL;
    rc = fsync_folder(af->target);
    int saved = errno;
    free(af->target);
    af->target = NULL;
    errno = saved;
    return rc;
}

void atomic_file_abort(atomic_file *af) {
    int saved = errno;
    if (af->fd >= 0) close(af->fd);
    af->fd = -1;
    if (af->temp) {
        pending_set = 0;
        unlink(af->temp);
        free(af->temp);
        af->temp = NULL;
    }
    free(af->target);
    af->target = NULL;
    errno = saved;
}
