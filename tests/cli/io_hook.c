/* An LD_PRELOAD stand-in for tests/cli/test_safety.sh: it acts at an exact point of cmz's
 * I/O, where a signal or a change of the input sent from outside could only be timed by luck.
 * Driven by the environment:
 *   CMZ_HOOK_ON=EVENT:SUFFIX  EVENT is "read" (the first read or pread that returns data
 *                             from a file whose absolute path ends in SUFFIX) or "rename" (the
 *                             first rename that succeeds onto a path, as cmz names it, ending
 *                             in SUFFIX); it fires once.
 *   CMZ_HOOK_SIGNAL=N         then sends signal N to the process (as `kill` from a shell would).
 *   CMZ_HOOK_RESIZE=SIZE:PATH then truncates or extends PATH to SIZE bytes.
 * With CMZ_HOOK_ON unset every call goes straight through. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <unistd.h>

static int fired;

static bool ends_with(const char *s, const char *suffix) {
    size_t n = strlen(s), k = strlen(suffix);
    return n >= k && !strcmp(s + n - k, suffix);
}

/* The suffix watched for `event`, or NULL when the hook is off or watches another event. */
static const char *watched(const char *event) {
    const char *on = getenv("CMZ_HOOK_ON");
    size_t n = strlen(event);
    if (!on || strncmp(on, event, n) != 0 || on[n] != ':') return NULL;
    return on + n + 1;
}

static void fire(void) {
    if (__atomic_exchange_n(&fired, 1, __ATOMIC_SEQ_CST)) return;
    const char *resize = getenv("CMZ_HOOK_RESIZE");
    if (resize) {
        char *path;
        long long size = strtoll(resize, &path, 10);
        if (*path == ':' && truncate(path + 1, (off_t)size) != 0) perror("io_hook: truncate");
    }
    const char *sig = getenv("CMZ_HOOK_SIGNAL");
    if (sig) kill(getpid(), atoi(sig)); /* process-directed: a thread that takes it gets it */
}

static void after_read(int fd, ssize_t got) {
    const char *suffix = watched("read");
    if (!suffix || got <= 0 || __atomic_load_n(&fired, __ATOMIC_SEQ_CST)) return;
    char link[64], path[PATH_MAX];
    snprintf(link, sizeof link, "/proc/self/fd/%d", fd);
    ssize_t n = readlink(link, path, sizeof path - 1);
    if (n <= 0) return;
    path[n] = '\0';
    if (ends_with(path, suffix)) fire();
}

static void after_rename(const char *to, int rc) {
    const char *suffix = watched("rename");
    if (suffix && rc == 0 && ends_with(to, suffix)) fire();
}

#define REAL(name, type) ((type)dlsym(RTLD_NEXT, name))

ssize_t read(int fd, void *buf, size_t n) {
    ssize_t got = REAL("read", ssize_t(*)(int, void *, size_t))(fd, buf, n);
    after_read(fd, got);
    return got;
}

ssize_t pread(int fd, void *buf, size_t n, off_t at) {
    ssize_t got = REAL("pread", ssize_t(*)(int, void *, size_t, off_t))(fd, buf, n, at);
    after_read(fd, got);
    return got;
}

ssize_t pread64(int fd, void *buf, size_t n, off64_t at) {
    ssize_t got = REAL("pread64", ssize_t(*)(int, void *, size_t, off64_t))(fd, buf, n, at);
    after_read(fd, got);
    return got;
}

int rename(const char *from, const char *to) {
    int rc = REAL("rename", int (*)(const char *, const char *))(from, to);
    after_rename(to, rc);
    return rc;
}

int renameat2(int from_dir, const char *from, int to_dir, const char *to, unsigned flags) {
    int rc = REAL("renameat2", int (*)(int, const char *, int, const char *, unsigned))(
        from_dir, from, to_dir, to, flags);
    after_rename(to, rc);
    return rc;
}
