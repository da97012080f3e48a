/* Byte sources: memory and file descriptors (pread is safe from several threads). */
#include "internal.h"

#include <errno.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static int64_t memory_pread(const cmz_source *src, void *buf, size_t n, uint64_t offset) {
    if (offset >= src->size) return 0;
    uint64_t avail = src->size - offset;
    size_t take = n < avail ? n : (size_t)avail;
    memcpy(buf, src->data + offset, take);
    return (int64_t)take;
}

void cmz_source_memory(cmz_source *src, const void *data, size_t size) {
    memset(src, 0, sizeof *src);
    src->pread = memory_pread;
    src->data = data;
    src->size = size;
    src->fd = -1;
}

static int64_t fd_pread(const cmz_source *src, void *buf, size_t n, uint64_t offset) {
    size_t done = 0;
    while (done < n) {
        ssize_t r = pread(src->fd, (uint8_t *)buf + done, n - done, (off_t)(offset + done));
        if (r < 0) {
            if (errno == EINTR) continue;
            return -1;
        }
        if (r == 0) break;
        done += (size_t)r;
    }
    return (int64_t)done;
}

cmz_status cmz_source_fd(cmz_source *src, int fd, cmz_error *err) {
    struct stat st;
    if (fstat(fd, &st) != 0) return cmz__error(err, CMZ_ERR_IO, "fstat: %s", strerror(errno));
    if (!S_ISREG(st.st_mode) && !S_ISBLK(st.st_mode))
        return cmz__error(err, CMZ_ERR_IO,
                          "random access needs a regular file, not a pipe or terminal");
    memset(src, 0, sizeof *src);
    src->pread = fd_pread;
    src->fd = fd;
    src->size = (uint64_t)st.st_size;
    if (S_ISBLK(st.st_mode)) {
        off_t end = lseek(fd, 0, SEEK_END);
        if (end < 0) return cmz__error(err, CMZ_ERR_IO, "lseek: %s", strerror(errno));
        src->size = (uint64_t)end;
    }
    return CMZ_OK;
}
