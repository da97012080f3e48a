/* cmz_frame_repair_file: a repair in place, atomically (include/cmz/salvage.h). The repaired
 * frame goes to a temp file beside the target (include/cmz/file.h), is checked by every
 * reader (verify, the index check, the streaming decoder), and replaces the target. On any
 * failure the temp file is removed and the target is untouched. */
#include "internal.h"

#include "cmz/file.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static int af_write(void *opaque, const void *buf, size_t n) {
    return cmz_atomic_file_write(opaque, buf, n, NULL) == CMZ_OK ? 0 : -1;
}

static int64_t fd_read(void *opaque, void *buf, size_t n) {
    ssize_t r;
    do r = read(*(int *)opaque, buf, n);
    while (r < 0 && errno == EINTR);
    return r;
}

static bool whole(const cmz_frame_report *rep) {
    return rep->header_ok && rep->footer_ok && rep->index_ok && !rep->damaged && !rep->missing &&
           !rep->parity_damaged && !rep->stray_bytes && rep->content_size_known;
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
        return cmz__error(err, CMZ_ERR_CORRUPT,
                          "the repaired frame did not check out (%s); the file is untouched",
                          cmz_strerror(st));
    return CMZ_OK;
}

cmz_status cmz_frame_repair_file(cmz_dctx *dctx, const char *path, bool *rewritten,
                                 cmz_frame_report **report, cmz_error *err) {
    if (report) *report = NULL;
    if (rewritten) *rewritten = false;
    if (!path || !report)
        return cmz__error(err, CMZ_ERR_INVALID_ARG, "cmz_frame_repair_file: NULL path or report");
    char real[PATH_MAX];
    int in = realpath(path, real) ? open(real, O_RDONLY | O_CLOEXEC) : -1;
    if (in < 0) return cmz__error(err, CMZ_ERR_IO, "%s: %s", path, strerror(errno));
    cmz_atomic_file *af;
    cmz_status st = cmz_atomic_file_open(real, 0666, CMZ_ATOMIC_FILE_KEEP_MODE, &af, err);
    if (st != CMZ_OK) {
        close(in);
        return st;
    }
    cmz_source src;
    cmz_output o = {af_write, af};
    st = cmz_source_fd(&src, in, err);
    if (st == CMZ_OK) st = cmz_frame_repair(dctx, &src, &o, report, err);
    bool replace = st == CMZ_OK && !whole(*report);
    if (replace) st = check_written(dctx, cmz_atomic_file_fd(af), err);
    if (replace && st == CMZ_OK) {
        st = cmz_atomic_file_commit(af, 0, err);
        if (rewritten) *rewritten = st == CMZ_OK;
    } else {
        cmz_atomic_file_abort(af);
    }
    close(in);
    return st;
}
