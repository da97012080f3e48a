/* cmz_input / cmz_output callbacks over file descriptors, with checksums and windows. */
#include "io_fd.h"

#include <errno.h>
#include <unistd.h>

/* EINTR goes back to the library, which retries unless the interrupt flag is set. */
static int64_t reader_read(void *opaque, void *buf, size_t n) {
    cli_reader *r = opaque;
    ssize_t got = read(r->fd, buf, n);
    if (got > 0) {
        if (r->checksum) r->crc = cmz_crc32c(r->crc, buf, (size_t)got);
        r->bytes += (uint64_t)got;
    }
    return got;
}

int cli_write_all(int fd, const void *buf, size_t n) {
    cmz_output out = cmz_output_fd(fd); /* the library's: retries short writes and EINTR */
    return out.write(out.opaque, buf, n);
}

static int writer_write(void *opaque, const void *buf, size_t n) {
    cli_writer *w = opaque;
    const uint8_t *p = buf;
    uint64_t start = w->bytes;
    if (w->checksum) w->crc = cmz_crc32c(w->crc, buf, n);
    w->bytes += n;
    if (w->fd < 0) return 0;
    if (!w->window) return cli_write_all(w->fd, p, n);
    /* Intersect [start, start+n) with [skip, skip+limit). */
    uint64_t lo = start > w->skip ? start : w->skip;
    uint64_t end = w->skip + w->limit < w->skip ? UINT64_MAX : w->skip + w->limit;
    uint64_t hi = start + n < end ? start + n : end;
    if (lo >= hi) return 0;
    return cli_write_all(w->fd, p + (lo - start), (size_t)(hi - lo));
}

cmz_input cli_reader_input(cli_reader *r) {
    cmz_input in = {reader_read, r};
    return in;
}

cmz_output cli_writer_output(cli_writer *w) {
    cmz_output out = {writer_write, w};
    return out;
}
