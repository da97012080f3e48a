/* The one atomic file replacement (include/cmz/file.h): temp file beside the target, write,
 * fsync, rename, fsync the folder; on any failure the temp file is removed. */
#include "internal.h"

#include "cmz/file.h"

#include <assert.h>
#include <stdbool.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <time.h>
#include <unistd.h>

struct cmz_atomic_file {
    char *target;
    char *temp; /* target + ".XXXXXX.tmp" */
    int fd;
};

static const char suffix[] = ".XXXXXX.tmp";

/* A failed system call: err names what and the file, errno stays the cause. */
static cmz_status sys_fail(cmz_error *err, cmz_status status, const char *what, const char *path) {
    int saved = errno;
    cmz__error(err, status, "cannot %s '%s': %s", what, path, strerror(saved));
    errno = saved;
    return status;
}

static char *copy_of(const char *s, size_t extra) {
    size_t n = strlen(s);
    char *c = cmz__malloc(n + extra + 1);
    if (c) memcpy(c, s, n + 1);
    return c;
}

static void release(cmz_atomic_file *af) {
    cmz__free(af->temp);
    cmz__free(af->target);
    cmz__free(af);
}

/* Creates af->temp with O_EXCL, so that an existing file (stale or planted) is never reused;
 * open(2) applies the umask, which the process-wide umask(2) dance could not do safely from a
 * library with other threads. */
static int create_temp(cmz_atomic_file *af, mode_t mode) {
    static const char digits[] = "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ";
    struct timespec now;
    clock_gettime(CLOCK_REALTIME, &now);
    uint64_t seed = (uint64_t)getpid() * 0x9e3779b97f4a7c15u ^ (uint64_t)now.tv_nsec ^
                    (uint64_t)now.tv_sec ^ (uint64_t)(uintptr_t)af;
    char *x = af->temp + strlen(af->temp) - (sizeof suffix - 1) + 1;
    for (int attempt = 0; attempt < 100; attempt++) {
        seed = seed * 6364136223846793005u + 1442695040888963407u;
        for (int i = 0; i < 6; i++) x[i] = digits[(seed >> (10 + 6 * i)) % (sizeof digits - 1)];
        int fd = open(af->temp, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, mode & 07777);
        if (fd >= 0 || errno != EEXIST) return fd;
    }
    return -1;
}

cmz_status cmz_atomic_file_open(const char *target, mode_t mode, unsigned flags,
                                cmz_atomic_file **out, cmz_error *err) {
    if (out) *out = NULL;
    if (!target || !target[0] || !out || (flags & ~CMZ_ATOMIC_FILE_KEEP_MODE))
        return cmz__error(err, CMZ_ERR_INVALID_ARG,
                          "cmz_atomic_file_open: NULL or empty target, NULL out or unknown flags");
    cmz_atomic_file *af = cmz__calloc(1, sizeof *af);
    if (af) af->target = copy_of(target, 0);
    if (af && af->target) af->temp = copy_of(target, sizeof suffix - 1);
    if (!af || !af->temp) {
        if (af) release(af);
        errno = ENOMEM;
        return cmz__error(err, CMZ_ERR_NOMEM, "out of memory replacing '%s'", target);
    }
    strcat(af->temp, suffix);
    struct stat st;
    bool keep =
        (flags & CMZ_ATOMIC_FILE_KEEP_MODE) && stat(target, &st) == 0 && S_ISREG(st.st_mode);
    af->fd = create_temp(af, mode);
    cmz_status status = CMZ_OK;
    if (af->fd < 0) status = sys_fail(err, CMZ_ERR_IO, "create a temporary file beside", target);
    else if (keep && fchmod(af->fd, st.st_mode & 07777) != 0)
        status =
            sys_fail(err, CMZ_ERR_IO, "set the permissions of a temporary file beside", target);
    if (status != CMZ_OK) {
        int saved = errno;
        if (af->fd >= 0) cmz_atomic_file_abort(af);
        else release(af);
        errno = saved;
        return status;
    }
    *out = af;
    return CMZ_OK;
}

int cmz_atomic_file_fd(const cmz_atomic_file *af) { return af ? af->fd : -1; }

const char *cmz_atomic_file_temp_path(const cmz_atomic_file *af) { return af ? af->temp : NULL; }

cmz_status cmz_atomic_file_write(cmz_atomic_file *af, const void *data, size_t n, cmz_error *err) {
    assert(af && af->fd >= 0);
    const uint8_t *p = data;
    while (n) {
        ssize_t w = write(af->fd, p, n);
        if (w < 0 && errno == EINTR) continue;
        if (w < 0) return sys_fail(err, CMZ_ERR_IO, "write a temporary file beside", af->target);
        p += w;
        n -= (size_t)w;
    }
    return CMZ_OK;
}

void cmz_atomic_file_copy_attributes(cmz_atomic_file *af, const struct stat *like) {
    assert(af && af->fd >= 0 && like);
    /* Owner first: chown clears set-id bits, chmod then restores what may be kept. */
    if (fchown(af->fd, like->st_uid, like->st_gid) != 0 && errno == EPERM)
        (void)!fchown(af->fd, (uid_t)-1, like->st_gid);
    (void)!fchmod(af->fd, like->st_mode & 07777);
    struct timespec times[2] = {like->st_atim, like->st_mtim};
    (void)!futimens(af->fd, times);
}

static int publish(const char *temp, const char *target, bool replace) {
    if (replace) return rename(temp, target);
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

/* The rename is durable once the folder's entry is on disk. Cuts path at its last slash (the
 * caller's copy, no longer needed): no allocation can fail after the rename. */
static int sync_folder(char *path) {
    char *slash = strrchr(path, '/');
    const char *dir = ".";
    if (slash) {
        slash[slash == path ? 1 : 0] = '\0';
        dir = path;
    }
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) return -1;
    int rc = fsync(fd);
    /* Some file systems cannot sync a folder; the file itself is synced already. */
    if (rc != 0 && (errno == EINVAL || errno == EROFS)) rc = 0;
    int saved = errno;
    close(fd);
    errno = saved;
    return rc;
}

cmz_status cmz_atomic_file_commit(cmz_atomic_file *af, unsigned flags, cmz_error *err) {
    assert(af && af->fd >= 0);
    if (flags & ~CMZ_ATOMIC_FILE_NO_REPLACE) {
        cmz_atomic_file_abort(af);
        return cmz__error(err, CMZ_ERR_INVALID_ARG, "cmz_atomic_file_commit: unknown flags %#x",
                          flags);
    }
    const char *what = "sync a temporary file beside";
    int rc = fsync(af->fd);
    if (rc == 0) {
        what = "close a temporary file beside";
        rc = close(af->fd);
        af->fd = -1; /* closed even when close fails: never close it twice */
    }
    if (rc == 0) {
        what = "replace";
        rc = publish(af->temp, af->target, !(flags & CMZ_ATOMIC_FILE_NO_REPLACE));
    }
    if (rc != 0) {
        cmz_status status =
            errno == EEXIST && (flags & CMZ_ATOMIC_FILE_NO_REPLACE) ? CMZ_ERR_EXISTS : CMZ_ERR_IO;
        sys_fail(err, status, what, af->target);
        int saved = errno;
        cmz_atomic_file_abort(af);
        errno = saved;
        return status;
    }
    cmz_status status = CMZ_OK;
    if (sync_folder(af->temp /* same folder */) != 0)
        status = sys_fail(err, CMZ_ERR_IO, "sync the folder after replacing", af->target);
    int saved = errno;
    release(af);
    errno = saved;
    return status;
}

void cmz_atomic_file_abort(cmz_atomic_file *af) {
    if (!af) return;
    int saved = errno;
    if (af->fd >= 0) close(af->fd);
    unlink(af->temp);
    release(af);
    errno = saved;
}
