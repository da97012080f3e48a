/* The lock that makes `read, change, save` of a policy file one step for every process that
 * takes it (cmz policy create|update|delete). The file itself cannot carry the lock: a save
 * renames a new file over it, so a lock on the old inode would not keep out a process that
 * opens the new one. The lock is flock(2) on a sidecar, "FILE.lock", which is never replaced
 * nor removed (removing it would let two processes lock two different inodes of that name). */
#include "internal.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

struct cmz_policy_lock {
    int fd;
};

cmz_status cmz_policy_lock_file(const char *path, cmz_policy_lock **out, cmz_error *err) {
    if (out) *out = NULL;
    if (!path || !path[0] || !out)
        return cmz__error(err, CMZ_ERR_INVALID_ARG, "no policy file to lock");
    char resolved[PATH_MAX], lock_path[PATH_MAX + 8];
    const char *target;
    cmz_status st = cmz__policy_target(path, resolved, &target, err);
    if (st != CMZ_OK) return st;
    snprintf(lock_path, sizeof lock_path, "%s.lock", target);
    cmz_policy_lock *lock = cmz__calloc(1, sizeof *lock);
    if (!lock) return cmz__error(err, CMZ_ERR_NOMEM, "out of memory locking '%s'", path);
    /* Read-only: flock needs no write access, so every user who may change a shared policy
     * can lock it whoever created the lock file (0666 minus that user's umask). A symbolic
     * link in its place is refused rather than followed: creating the lock must not create a
     * file elsewhere. */
    lock->fd = open(lock_path, O_RDONLY | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0666);
    int e = lock->fd < 0 ? errno : 0;
    while (!e && flock(lock->fd, LOCK_EX) != 0)
        if (errno != EINTR) e = errno;
    if (e) {
        if (lock->fd >= 0) close(lock->fd);
        cmz__free(lock);
        return cmz__error(err, CMZ_ERR_IO, "cannot lock '%s' (with '%s'): %s", path, lock_path,
                          strerror(e));
    }
    *out = lock;
    return CMZ_OK;
}

void cmz_policy_unlock(cmz_policy_lock *lock) {
    if (!lock) return;
    close(lock->fd); /* releases the flock */
    cmz__free(lock);
}
