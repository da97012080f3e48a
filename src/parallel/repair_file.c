/* cmz_frame_repair_file: a repair in place, atomically (include/cmz/salvage.h). The repaired
 * frame goes to a temp file beside the target, is checked by every reader (verify, the index
 * check, the streaming decoder), synced, and renamed over the target; the folder is synced
 * last. On any failure the temp file is removed and the target is untouched. */
#include "salvage_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static int fd_write_all(void *opaque, const void *buf, size_t n) {
    int fd = *(int *)opaque;
    const uint8_t *p = buf;
    while (n) {
        ssize_t w = write(fd, p, n);
        if (w < 0 && errno == EINTR) continue;
        if (w < 0) return -1;
        p += w;
        n -= (size_t)w;
    }
    return 0;
}

static int64_t fd_read(void *opaque, void *buf, size_t n) {
    ssize_t r;
    do r = read(*(int *)opaque, buf, n);
    while (r < 0 && errno == EINTR);
    return r;
}

static bool whole(const cmz_frame_report *rep) {
    return rep->header_ok && rep->footer_ok && rep->index_ok && !rep->damaged &&
           !rep->missing && !rep->parity_damaged && !rep->stray_bytes && rep->content_size_known;
}

/* The temp file's frame passes every reader. */
static cmz_status check_written(cmz_dctx *dctx, int fd, cmz_error *err) {
    cmz_source src;
    cmz_frame_report *rep = NULL;
    cmz_frame_info info;
    cmz_status st = cmz_source_fd(&src, fd, err);
    if (st == CMZ_OK) st = cmz_frame_verify(dctx, &src, &rep, err);
    bool ok = st == CMZ_OK && whole(rep);
    cmz_frame_report_free(rep);
    if (ok) st = cmz_frame_info_read(&src, &info, err);
    if (ok && st == CMZ_OK) {
        cmz_input in = {fd_read, &fd};
        cmz_dparams one = cmz_dparams_default();
        one.threads = 1;
        cmz_dctx *own = dctx ? NULL : cmz_dctx_new(&one, err);
        if (!dctx && !own) return err ? err->status : CMZ_ERR_NOMEM;
        st = lseek(fd, 0, SEEK_SET) == 0
                 ? cmz_decompress_stream(dctx ? dctx : own, &in, NULL, NULL, err)
                 : CMZ_ERR_IO;
        cmz_dctx_free(own);
    }
    if (st == CMZ_OK && !ok) st = CMZ_ERR_CORRUPT;
    if (st != CMZ_OK)
        return cmz__fail(err, CMZ_ERR_CORRUPT, CMZ_NO_POSITION, CMZ_NO_POSITION,
                         "the repaired frame did not check out (%s); the file is untouched",
                         cmz_strerror(st));
    return CMZ_OK;
}

static int fsync_folder_of(const char *path) {
    char dir[PATH_MAX];
    const char *slash = strrchr(path, '/');
    if (!slash) snprintf(dir, sizeof dir, ".");
    else if (slash == path) snprintf(dir, sizeof dir, "/");
    else snprintf(dir, sizeof dir, "%.*s", (int)(slash - path), path);
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) return -1;
    int rc = fsync(fd);
    if (rc != 0 && (errno == EINVAL || errno == EROFS)) rc = 0;
    close(fd);
    return rc;
}

cmz_status cmz_frame_repair_file(cmz_dctx *dctx, const char *path, bool *rewritten,
                                 cmz_frame_report **report, cmz_error *err) {
    if (report) *report = NULL;
    if (rewritten) *rewritten = false;
    if (!path || !report)
        return cmz__fail(err, CMZ_ERR_INVALID_ARG, CMZ_NO_POSITION, CMZ_NO_POSITION,
                         "cmz_frame_repair_file: NULL path or report");
    char real[PATH_MAX], temp[PATH_MAX + 16];
    if (!realpath(path, real) || snprintf(temp, sizeof temp, "%s.XXXXXX", real) >= (int)sizeof temp)
        return cmz__fail(err, CMZ_ERR_IO, CMZ_NO_POSITION, CMZ_NO_POSITION, "%s: %s", path,
                         strerror(errno ? errno : ENAMETOOLONG));
    int in = open(real, O_RDONLY | O_CLOEXEC);
    struct stat st_in;
    if (in < 0 || fstat(in, &st_in) != 0) {
        int e = errno;
        if (in >= 0) close(in);
        return cmz__fail(err, CMZ_ERR_IO, CMZ_NO_POSITION, CMZ_NO_POSITION, "%s: %s", path,
                         strerror(e));
    }
    int out = mkstemp(temp);
    if (out < 0) {
        int e = errno;
        close(in);
        return cmz__fail(err, CMZ_ERR_IO, CMZ_NO_POSITION, CMZ_NO_POSITION,
                         "%s: cannot create a temp file beside it: %s", path, strerror(e));
    }
    cmz_source src;
    cmz_output o = {fd_write_all, &out};
    cmz_status st = cmz_source_fd(&src, in, err);
    if (st == CMZ_OK) st = cmz_frame_repair(dctx, &src, &o, report, err);
    bool replace = st == CMZ_OK && !whole(*report);
    if (replace) st = check_written(dctx, out, err);
    if (replace && st == CMZ_OK &&
        (fchmod(out, st_in.st_mode & 07777) != 0 || fsync(out) != 0 ||
         rename(temp, real) != 0 || fsync_folder_of(real) != 0))
        st = cmz__fail(err, CMZ_ERR_IO, CMZ_NO_POSITION, CMZ_NO_POSITION,
                       "%s: cannot replace it: %s", path, strerror(errno));
    else if (replace && st == CMZ_OK && rewritten)
        *rewritten = true;
    if (!(replace && st == CMZ_OK)) unlink(temp);
    close(out);
    close(in);
    return st;
}
