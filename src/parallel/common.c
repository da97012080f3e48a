/* fd-based input/output, and per-worker scratch. */
#include "internal.h"

#include <errno.h>
#include <string.h>
#include <unistd.h>

/* EINTR is passed up (not retried here) so that a signal can stop a read that waits on a
 * slow pipe: cmz__read_full retries unless the interrupt flag is set. */
static int64_t fd_read(void *opaque, void *buf, size_t n) {
    return read((int)(intptr_t)opaque, buf, n);
}

static int fd_write(void *opaque, const void *buf, size_t n) {
    int fd = (int)(intptr_t)opaque;
    const uint8_t *p = buf;
    while (n) {
        ssize_t w = write(fd, p, n);
        if (w < 0) {
            if (errno == EINTR) continue;
            return -1;
        }
        p += w;
        n -= (size_t)w;
    }
    return 0;
}

cmz_input cmz_input_fd(int fd) {
    cmz_input in = {fd_read, (void *)(intptr_t)fd};
    return in;
}

cmz_output cmz_output_fd(int fd) {
    cmz_output out = {fd_write, (void *)(intptr_t)fd};
    return out;
}

int64_t cmz__read_full(const cmz_input *in, void *buf, size_t n,
                       const volatile sig_atomic_t *interrupt) {
    size_t done = 0;
    while (done < n) {
        int64_t r = in->read(in->opaque, (uint8_t *)buf + done, n - done);
        if (r < 0 && errno == EINTR && !cmz__interrupted(interrupt)) continue;
        if (r < 0) return -1;
        if (r == 0) break;
        done += (size_t)r;
    }
    return (int64_t)done;
}

cmz_codec_ctx *cmz__worker_codec(cmz__worker *w, const cmz_codec *codec) {
    cmz_codec_id id = cmz_codec_id_of(codec);
    if (!w->codec[id]) w->codec[id] = cmz_codec_ctx_new(codec);
    return w->codec[id];
}

void cmz__worker_release(cmz__worker *w) {
    for (int i = 0; i <= CMZ_CODEC_ID_MAX; i++) cmz_codec_ctx_free(w->codec[i]);
    cmz__hbuf_free(&w->record);
    cmz__free(w->raw_buf);
    cmz__free(w->filter.buf);
    memset(w, 0, sizeof *w);
}

cmz_status cmz__workers_fit(cmz__worker **workers, unsigned *nworkers, unsigned threads,
                            cmz_error *err) {
    if (*workers && *nworkers == threads) return CMZ_OK;
    cmz__worker *w = cmz__calloc((size_t)threads + 1, sizeof *w);
    if (!w)
        return cmz__error(err, CMZ_ERR_NOMEM, "no memory for the scratch of %u threads", threads);
    cmz__workers_free(*workers, *nworkers);
    *workers = w;
    *nworkers = threads;
    return CMZ_OK;
}

void cmz__workers_free(cmz__worker *workers, unsigned nworkers) {
    for (unsigned i = 0; workers && i <= nworkers; i++) cmz__worker_release(&workers[i]);
    cmz__free(workers);
}

uint64_t cmz__decode_cost(const cmz__frame_params *p) {
    return cmz__hbuf_footprint(cmz__record_bound(p, p->chunk_size)) +
           cmz__hbuf_footprint(p->chunk_size);
}
