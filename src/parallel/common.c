/* Parameters, fd-based input/output, and per-worker scratch. */
#include "internal.h"

#include <errno.h>
#include <string.h>
#include <unistd.h>

cmz_params cmz_params_default(void) {
    cmz_params p;
    memset(&p, 0, sizeof p);
    p.codec = (int)cmz_codec_id_of(cmz_codec_default());
    p.level = CMZ_LEVEL_DEFAULT;
    return p;
}

cmz_status cmz_params_resolve(const cmz_params *in, cmz_params *out, cmz_error *err) {
    if (!in || !out)
        return cmz__fail(err, CMZ_ERR_INVALID_ARG, CMZ_NO_POSITION, CMZ_NO_POSITION,
                         "cmz_params_resolve: %s is NULL", in ? "resolved" : "params");
    cmz_params p = *in;
    cmz_status st = CMZ__RESERVED_CHECK(&p, "cmz_params", err);
    if (st != CMZ_OK) return st;
    const cmz_codec *codec = cmz_codec_by_id(p.codec);
    if (!codec)
        return cmz__fail(err, CMZ_ERR_UNKNOWN_CODEC, CMZ_NO_POSITION, CMZ_NO_POSITION,
                         "codec id %d is unknown or not compiled into this build", p.codec);
    st = cmz_codec_check_level(codec, p.level, &p.level, err);
    if (st != CMZ_OK) return st;
    if (p.chunk_size == 0) p.chunk_size = cmz_codec_default_chunk_size(codec);
    if (p.chunk_size < CMZ_CHUNK_SIZE_MIN || p.chunk_size > CMZ_CHUNK_SIZE_MAX)
        return cmz__fail(err, CMZ_ERR_INVALID_ARG, CMZ_NO_POSITION, CMZ_NO_POSITION,
                         "chunk size %u is outside %u..%u bytes", (unsigned)p.chunk_size,
                         CMZ_CHUNK_SIZE_MIN, CMZ_CHUNK_SIZE_MAX);
    if (p.filter == CMZ_FILTER_NONE && p.typesize == 0) p.typesize = 1;
    if (p.filter == CMZ_FILTER_AUTO) {
        if (p.typesize != 0 && cmz_filter_check(CMZ_FILTER_SHUFFLE, p.typesize) != CMZ_OK)
            return cmz__fail(err, CMZ_ERR_INVALID_ARG, CMZ_NO_POSITION, CMZ_NO_POSITION,
                             "typesize %u: filters take 2, 4 or 8", p.typesize);
    } else if (cmz__typesize_check(p.codec, p.filter, p.typesize) != CMZ_OK) {
        if (cmz_filter_check(p.filter, 1) == CMZ_ERR_UNSUPPORTED)
            return cmz__fail(err, CMZ_ERR_INVALID_ARG, CMZ_NO_POSITION, CMZ_NO_POSITION,
                             "filter id %d is unknown", p.filter);
        return cmz__fail(err, CMZ_ERR_INVALID_ARG, CMZ_NO_POSITION, CMZ_NO_POSITION,
                         "typesize %u is not valid for filter %s (%s)", p.typesize,
                         cmz_filter_name(p.filter),
                         p.filter != CMZ_FILTER_NONE ? "it takes 2, 4 or 8"
                         : cmz_codec_takes_typesize(codec) ? "with codec planes: 1, 2, 4 or 8"
                                                           : "it takes 1");
    }
    if ((p.parity_k == 0) != (p.parity_m == 0) || p.parity_k >= CMZ_PARITY_MAX ||
        p.parity_m >= CMZ_PARITY_MAX || p.parity_k + p.parity_m > CMZ_PARITY_MAX)
        return cmz__fail(err, CMZ_ERR_INVALID_ARG, CMZ_NO_POSITION, CMZ_NO_POSITION,
                         "parity %u:%u: give both K (data chunks per group) and M (parity "
                         "chunks), each at least 1, with K + M at most %u",
                         p.parity_k, p.parity_m, CMZ_PARITY_MAX);
    if (p.threads == 0) p.threads = cmz_cpu_count();
    if (p.threads > CMZ__THREADS_MAX) p.threads = CMZ__THREADS_MAX;
    *out = p;
    return CMZ_OK;
}

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

uint64_t cmz__decode_cost(const cmz__frame_params *p) {
    return cmz__hbuf_footprint(cmz__record_bound(p, p->chunk_size)) +
           cmz__hbuf_footprint(p->chunk_size);
}
