/* cmz_atomic_file (include/cmz/file.h): the one atomic file replacement. A replacement either
 * completes or leaves the target as it was and no temp file behind, on every failure path;
 * those are reached by failing the system calls themselves (this program's definitions of
 * write, fsync, close, rename, renameat2 and fchmod take the place of libc's, and pass
 * through to it unless a test arms one). */
#include "testutil.h"

#include <dirent.h>
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cmz/file.h"

/* ---- failure injection ---- */

typedef enum { F_WRITE, F_FSYNC, F_CLOSE, F_RENAME, F_FCHMOD, F_COUNT } fn_id;
static int fail_fn = -1; /* the function to fail, or -1 */
static int fail_nth;     /* its nth call from now (1 = next) fails... */
static int fail_errno;   /* ...with this errno */
static int calls[F_COUNT];

static void arm(fn_id fn, int nth, int errnum) {
    memset(calls, 0, sizeof calls);
    fail_fn = (int)fn;
    fail_nth = nth;
    fail_errno = errnum;
}
static void disarm(void) { fail_fn = -1; }

static int inject(fn_id fn) {
    if (fail_fn != (int)fn || ++calls[fn] != fail_nth) return 0;
    errno = fail_errno;
    return 1;
}

#define REAL(name, type) ((type)dlsym(RTLD_NEXT, name))

ssize_t write(int fd, const void *buf, size_t n) {
    if (inject(F_WRITE)) return -1;
    return REAL("write", ssize_t(*)(int, const void *, size_t))(fd, buf, n);
}
int fsync(int fd) {
    if (inject(F_FSYNC)) return -1;
    return REAL("fsync", int (*)(int))(fd);
}
int close(int fd) {
    int rc = REAL("close", int (*)(int))(fd);
    if (inject(F_CLOSE)) return -1; /* as after a failed deferred write: the fd is gone */
    return rc;
}
int rename(const char *from, const char *to) {
    if (inject(F_RENAME)) return -1;
    return REAL("rename", int (*)(const char *, const char *))(from, to);
}
int renameat2(int fromfd, const char *from, int tofd, const char *to, unsigned flags) {
    if (inject(F_RENAME)) return -1;
    return REAL("renameat2", int (*)(int, const char *, int, const char *, unsigned))(
        fromfd, from, tofd, to, flags);
}
int fchmod(int fd, mode_t mode) {
    if (inject(F_FCHMOD)) return -1;
    return REAL("fchmod", int (*)(int, mode_t))(fd, mode);
}

/* ---- helpers ---- */

static char *dir;

static int setup(void **state) {
    (void)state;
    umask(022);
    dir = tu_tempdir();
    return 0;
}
static int teardown(void **state) {
    (void)state;
    disarm();
    tu_rmtree(dir);
    free(dir);
    return 0;
}

static char *path_in(const char *name) {
    char *p = malloc(strlen(dir) + strlen(name) + 2);
    sprintf(p, "%s/%s", dir, name);
    return p;
}

static int entries(void) {
    DIR *d = opendir(dir);
    int n = 0;
    for (struct dirent *e; (e = readdir(d));)
        if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..")) n++;
    closedir(d);
    return n;
}

static void put_file(const char *path, const char *text, mode_t mode) {
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, mode);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
    assert_int_equal(close(fd), 0);
    assert_int_equal(chmod(path, mode), 0);
}

static void assert_file(const char *path, const char *text) {
    char buf[256] = {0};
    int fd = open(path, O_RDONLY);
    assert_true(fd >= 0);
    ssize_t n = read(fd, buf, sizeof buf - 1);
    close(fd);
    assert_int_equal(n, (ssize_t)strlen(text));
    assert_string_equal(buf, text);
}

static mode_t mode_of(const char *path) {
    struct stat st;
    assert_int_equal(stat(path, &st), 0);
    return st.st_mode & 07777;
}

/* Opens a replacement of path and writes text into it. */
static cmz_atomic_file *start(const char *path, const char *text, unsigned flags) {
    cmz_atomic_file *af = NULL;
    cmz_error err;
    assert_int_equal(cmz_atomic_file_open(path, 0666, flags, &af, &err), CMZ_OK);
    assert_non_null(af);
    assert_int_equal(cmz_atomic_file_write(af, text, strlen(text), &err), CMZ_OK);
    return af;
}

/* ---- tests ---- */

static void test_new_file(void **state) {
    (void)state;
    char *p = path_in("new.txt");
    cmz_atomic_file *af = start(p, "hello", 0);
    const char *temp = cmz_atomic_file_temp_path(af);
    /* the temp file is beside the target and named after it */
    assert_true(strncmp(temp, p, strlen(p)) == 0);
    assert_string_equal(temp + strlen(temp) - 4, ".tmp");
    assert_int_equal(access(temp, F_OK), 0);
    assert_int_equal(access(p, F_OK), -1); /* nothing at the target before the commit */
    assert_int_equal(mode_of(temp), 0644); /* 0666 less the umask */
    cmz_error err;
    assert_int_equal(cmz_atomic_file_commit(af, 0, &err), CMZ_OK);
    assert_file(p, "hello");
    assert_int_equal(mode_of(p), 0644);
    assert_int_equal(entries(), 1);
    free(p);
}

static void test_replace_and_keep_mode(void **state) {
    (void)state;
    char *p = path_in("f.txt");
    put_file(p, "old", 0600);
    cmz_error err;
    assert_int_equal(cmz_atomic_file_commit(start(p, "new", 0), 0, &err), CMZ_OK);
    assert_file(p, "new");
    assert_int_equal(mode_of(p), 0644); /* mode given */
    assert_int_equal(chmod(p, 0600), 0);
    assert_int_equal(cmz_atomic_file_commit(start(p, "newer", CMZ_ATOMIC_FILE_KEEP_MODE), 0, &err),
                     CMZ_OK);
    assert_file(p, "newer");
    assert_int_equal(mode_of(p), 0600); /* the replaced file's */
    assert_int_equal(entries(), 1);
    free(p);
}

static void test_no_replace(void **state) {
    (void)state;
    char *p = path_in("f.txt");
    cmz_atomic_file *af = start(p, "mine", 0);
    put_file(p, "theirs", 0644); /* appeared meanwhile */
    cmz_error err;
    errno = 0;
    assert_int_equal(cmz_atomic_file_commit(af, CMZ_ATOMIC_FILE_NO_REPLACE, &err), CMZ_ERR_EXISTS);
    assert_int_equal(errno, EEXIST);
    assert_int_equal(err.status, CMZ_ERR_EXISTS);
    assert_non_null(strstr(err.message, p));
    assert_file(p, "theirs");
    assert_int_equal(entries(), 1);
    free(p);
}

static void test_abort(void **state) {
    (void)state;
    char *p = path_in("f.txt");
    put_file(p, "old", 0644);
    cmz_atomic_file_abort(start(p, "new", 0));
    cmz_atomic_file_abort(NULL);
    assert_file(p, "old");
    assert_int_equal(entries(), 1);
    free(p);
}

/* Each failing call before the rename: the status and errno say why, err names the file,
 * the target is as it was, no temp file is left. */
static void fail_before_rename(fn_id fn, int nth, int errnum, bool at_write) {
    char *p = path_in("f.txt");
    put_file(p, "old", 0644);
    cmz_atomic_file *af = at_write ? NULL : start(p, "new", 0);
    cmz_error err;
    cmz_error_clear(&err);
    arm(fn, nth, errnum);
    cmz_status st;
    if (at_write) {
        assert_int_equal(cmz_atomic_file_open(p, 0666, 0, &af, &err), CMZ_OK);
        st = cmz_atomic_file_write(af, "new", 3, &err);
        int saved = errno;
        cmz_atomic_file_abort(af);
        errno = saved;
    } else {
        st = cmz_atomic_file_commit(af, 0, &err);
    }
    int saved = errno;
    disarm();
    assert_int_equal(st, CMZ_ERR_IO);
    assert_int_equal(saved, errnum);
    assert_int_equal(err.status, CMZ_ERR_IO);
    assert_non_null(strstr(err.message, p));
    assert_non_null(strstr(err.message, strerror(errnum)));
    assert_file(p, "old");
    assert_int_equal(entries(), 1);
    free(p);
}

static void test_write_fails(void **state) {
    (void)state;
    fail_before_rename(F_WRITE, 1, ENOSPC, true);
}
static void test_fsync_fails(void **state) {
    (void)state;
    fail_before_rename(F_FSYNC, 1, EIO, false);
}
static void test_close_fails(void **state) {
    (void)state;
    fail_before_rename(F_CLOSE, 1, EIO, false);
}
static void test_rename_fails(void **state) {
    (void)state;
    fail_before_rename(F_RENAME, 1, EXDEV, false);
}

static void test_mode_fails(void **state) {
    (void)state;
    char *p = path_in("f.txt");
    put_file(p, "old", 0600);
    cmz_atomic_file *af = NULL;
    cmz_error err;
    arm(F_FCHMOD, 1, EPERM);
    cmz_status st = cmz_atomic_file_open(p, 0666, CMZ_ATOMIC_FILE_KEEP_MODE, &af, &err);
    disarm();
    assert_int_equal(st, CMZ_ERR_IO);
    assert_null(af);
    assert_non_null(strstr(err.message, p));
    assert_file(p, "old");
    assert_int_equal(entries(), 1);
    free(p);
}

/* The folder's sync fails after the rename: the target is replaced, the error says so. A file
 * system that cannot sync a folder (EINVAL) is no error. */
static void test_folder_sync(void **state) {
    (void)state;
    char *p = path_in("f.txt");
    cmz_error err;
    arm(F_FSYNC, 2, EIO);
    cmz_status st = cmz_atomic_file_commit(start(p, "one", 0), 0, &err);
    disarm();
    assert_int_equal(st, CMZ_ERR_IO);
    assert_non_null(strstr(err.message, "folder"));
    assert_file(p, "one");
    arm(F_FSYNC, 2, EINVAL);
    st = cmz_atomic_file_commit(start(p, "two", 0), 0, &err);
    disarm();
    assert_int_equal(st, CMZ_OK);
    assert_file(p, "two");
    assert_int_equal(entries(), 1);
    free(p);
}

static void test_no_folder(void **state) {
    (void)state;
    char *p = path_in("missing/f.txt");
    cmz_atomic_file *af = (cmz_atomic_file *)&af; /* overwritten with NULL on failure */
    cmz_error err;
    assert_int_equal(cmz_atomic_file_open(p, 0666, 0, &af, &err), CMZ_ERR_IO);
    assert_int_equal(errno, ENOENT);
    assert_null(af);
    assert_non_null(strstr(err.message, p));
    assert_int_equal(entries(), 0);
    free(p);
}

static void test_invalid(void **state) {
    (void)state;
    cmz_atomic_file *af = NULL;
    char *p = path_in("f.txt");
    assert_int_equal(cmz_atomic_file_open(NULL, 0666, 0, &af, NULL), CMZ_ERR_INVALID_ARG);
    assert_int_equal(cmz_atomic_file_open("", 0666, 0, &af, NULL), CMZ_ERR_INVALID_ARG);
    assert_int_equal(cmz_atomic_file_open(p, 0666, 0, NULL, NULL), CMZ_ERR_INVALID_ARG);
    assert_int_equal(cmz_atomic_file_open(p, 0666, 0x80, &af, NULL), CMZ_ERR_INVALID_ARG);
    assert_int_equal(cmz_atomic_file_commit(start(p, "x", 0), 0x80, NULL), CMZ_ERR_INVALID_ARG);
    assert_int_equal(entries(), 0); /* the refused commit removed its temp file */
    free(p);
}

/* Every allocation failure: CMZ_ERR_NOMEM, nothing left, nothing leaked. */
static long alloc_calls, alloc_fail_at, alloc_live;
static void *t_malloc(void *o, size_t n) {
    (void)o;
    if (++alloc_calls == alloc_fail_at) return NULL;
    void *p = malloc(n);
    if (p) alloc_live++;
    return p;
}
static void t_free(void *o, void *p) {
    (void)o;
    if (p) alloc_live--;
    free(p);
}

static void test_nomem(void **state) {
    (void)state;
    char *p = path_in("f.txt");
    cmz_allocator a = {t_malloc, t_free, NULL};
    bool done = false;
    for (long k = 1; !done && k < 10; k++) {
        alloc_calls = alloc_live = 0;
        alloc_fail_at = k;
        cmz_set_allocator(&a);
        cmz_atomic_file *af = NULL;
        cmz_status st = cmz_atomic_file_open(p, 0666, 0, &af, NULL);
        if (st == CMZ_OK) {
            done = true;
            st = cmz_atomic_file_commit(af, 0, NULL);
        }
        cmz_set_allocator(NULL);
        assert_int_equal(st, done ? CMZ_OK : CMZ_ERR_NOMEM);
        assert_int_equal(alloc_live, 0);
        assert_int_equal(entries(), done ? 1 : 0);
    }
    assert_true(done);
    free(p);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_new_file, setup, teardown),
        cmocka_unit_test_setup_teardown(test_replace_and_keep_mode, setup, teardown),
        cmocka_unit_test_setup_teardown(test_no_replace, setup, teardown),
        cmocka_unit_test_setup_teardown(test_abort, setup, teardown),
        cmocka_unit_test_setup_teardown(test_write_fails, setup, teardown),
        cmocka_unit_test_setup_teardown(test_fsync_fails, setup, teardown),
        cmocka_unit_test_setup_teardown(test_close_fails, setup, teardown),
        cmocka_unit_test_setup_teardown(test_rename_fails, setup, teardown),
        cmocka_unit_test_setup_teardown(test_mode_fails, setup, teardown),
        cmocka_unit_test_setup_teardown(test_folder_sync, setup, teardown),
        cmocka_unit_test_setup_teardown(test_no_folder, setup, teardown),
        cmocka_unit_test_setup_teardown(test_invalid, setup, teardown),
        cmocka_unit_test_setup_teardown(test_nomem, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
