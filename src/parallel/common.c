/* Parameters, fd-based input/output, and per-worker scratch. */
#include "internal.h"

#include <errno.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

cmz_params cmz_params_default(void) {
    cmz_params p;
    memset(&p, 0, sizeof p);
    p.codec = CMZ_CODEC_ZSTD;
    p.level = CMZ_LEVEL_DEFAULT;
    return p;
}

cmz_status cmz_params_resolve(const cmz_params *in, cmz_params *out, cmz_error *err) {
    if (!in || !out) return CMZ_ERR_INVALID_ARG;
    cmz_params p = *in;
    const cmz_codec *codec = cmz_codec_by_id(p.codec);
    if (!codec)
        return cmz__fail(err, CMZ_ERR_UNKNOWN_CODEC, CMZ_NO_POSITION, CMZ_NO_POSITION,
                         "codec id %d is unknown or not compiled into this build", p.codec);
    cmz_status st = cmz_codec_check_level(codec, p.level, &p.level, err);
    if (st != CMZ_OK) return st;
    if (p.chunk_size == 0) p.chunk_size = cmz_codec_default_chunk_size(codec);
    if (p.chunk_size < CMZ_CHUNK_SIZE_MIN || p.chunk_size > CMZ_CHUNK_SIZE_MAX)
        return cmz__fail(err, CMZ_ERR_INVALID_ARG, CMZ_NO_POSITION, CMZ_NO_POSITION,
                         "chunk size %u is outside %u..%u bytes", (unsigned)p.chunk_size,
                         CMZ_CHUNK_SIZE_MIN, CMZ_CHUNK_SIZE_MAX);
    if (p.threads == 0) p.threads = cmz_cpu_count();
    if (p.threads > 256) p.threads = 256;
    if (p.memory_limit == 0) p.memory_limit = CMZ_DEFAULT_MEMORY_LIMIT;
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

int64_t cmz__read_full(const cmz_input *in, void *buf, size_t n, const cmz_params *p) {
    size_t done = 0;
    while (done < n) {
        int64_t r = in->read(in->opaque, (uint8_t *)buf + done, n - done);
        if (r < 0 && errno == EINTR && !cmz__interrupted(p)) continue;
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

/* Chunk buffers are megabytes, touched once per chunk by a codec: in a VM each 4 KiB page
 * fault costs microseconds, so ask for transparent huge pages on the 2 MiB-aligned inside of
 * large buffers (a hint: ignored where THP is off). */
static void hint_huge_pages(uint8_t *p, size_t n) {
#ifdef MADV_HUGEPAGE
    const uintptr_t huge = (uintptr_t)2 << 20;
    uintptr_t start = ((uintptr_t)p + huge - 1) & ~(huge - 1);
    uintptr_t end = ((uintptr_t)p + n) & ~(huge - 1);
    if (end > start) madvise((void *)start, end - start, MADV_HUGEPAGE);
#else
    (void)p;
    (void)n;
#endif
}

int cmz__grow(uint8_t **buf, size_t *cap, size_t need) {
    if (*cap >= need) return 0;
    uint8_t *p = cmz__malloc(need);
    if (!p) return -1;
    if (need >= ((size_t)4 << 20)) hint_huge_pages(p, need);
    cmz__free(*buf);
    *buf = p;
    *cap = need;
    return 0;
}

void cmz__worker_release(cmz__worker *w) {
    for (int i = 0; i <= CMZ_CODEC_ID_MAX; i++) cmz_codec_ctx_free(w->codec[i]);
    cmz__free(w->record_buf);
    cmz__free(w->raw_buf);
    memset(w, 0, sizeof *w);
}
