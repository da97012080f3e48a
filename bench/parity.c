/* Parity: what it costs and what it repairs (issue 8's bars).
 *
 *   bench_parity cost [FILE] [--reps N] [--codec NAME] [--parity K:M]
 *     Compresses FILE (default: 256 MiB of bench_gen_mixed data) with and without parity
 *     (default 16:2), default chunk size, 2 threads, alternating runs; prints the median times
 *     and the size and time overheads.
 *   bench_parity repair [--size MiB] [--dir DIR]
 *     Writes a frame of SIZE MiB (default 1024) of generated data with lz4 and parity 16:2 to
 *     DIR (default /tmp), damages it in scattered places (two chunk records in every fourth
 *     group, a parity record, the index), repairs it file to file in one pass, and checks that
 *     the result is the frame as written (CRC32C of both). Prints time, speed and peak RSS. */
#include "bench_util.h"
#include "cmz/cmz.h"
#include "cmz/salvage.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

static uint8_t *read_file(const char *path, size_t *n) {
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    fseek(f, 0, SEEK_END);
    long size = ftell(f);
    rewind(f);
    uint8_t *p = malloc(size > 0 ? (size_t)size : 1);
    if (p && fread(p, 1, (size_t)size, f) != (size_t)size) {
        free(p);
        p = NULL;
    }
    fclose(f);
    *n = (size_t)size;
    return p;
}

static double compress_once(const cmz_params *p, const uint8_t *src, size_t n, uint8_t *dst,
                            size_t cap, size_t *size) {
    cmz_cctx *c = cmz_cctx_new(p, NULL);
    /* one untimed call: the context's buffers are made and faulted in */
    if (!c || cmz_compress(c, dst, cap, size, src, n, NULL) != CMZ_OK) exit(1);
    double t0 = bench_now_ns();
    if (cmz_compress(c, dst, cap, size, src, n, NULL) != CMZ_OK) exit(1);
    double t = bench_now_ns() - t0;
    cmz_cctx_free(c);
    return t;
}

static int cost(int argc, char **argv) {
    const char *path = NULL;
    unsigned reps = 5, k = 16, m = 2;
    int codec = CMZ_CODEC_ZSTD;
    for (int i = 2; i < argc; i++) {
        if (!strcmp(argv[i], "--reps") && i + 1 < argc) reps = (unsigned)atoi(argv[++i]);
        else if (!strcmp(argv[i], "--codec") && i + 1 < argc) {
            const cmz_codec *c = NULL;
            if (cmz_codec_by_name(argv[++i], &c, NULL) != CMZ_OK)
                return fprintf(stderr, "unknown codec\n"), 2;
            codec = (int)cmz_codec_id_of(c);
        } else if (!strcmp(argv[i], "--parity") && i + 1 < argc) {
            if (sscanf(argv[++i], "%u:%u", &k, &m) != 2) return 2;
        } else path = argv[i];
    }
    size_t n;
    uint8_t *src;
    if (path) {
        if (!(src = read_file(path, &n))) return fprintf(stderr, "cannot read %s\n", path), 1;
    } else {
        n = (size_t)256 << 20;
        src = malloc(n);
        bench_gen_mixed(src, n, 42);
    }
    cmz_params p = cmz_params_default();
    p.codec = codec;
    p.threads = 2;
    cmz_params q = p;
    q.parity_k = k;
    q.parity_m = m;
    size_t cap = cmz_compress_bound(&q, n);
    uint8_t *dst = malloc(cap);
    double *plain = calloc(reps, sizeof *plain), *with = calloc(reps, sizeof *with);
    size_t plain_size = 0, with_size = 0;
    for (unsigned r = 0; r < reps; r++) {
        plain[r] = compress_once(&p, src, n, dst, cap, &plain_size);
        with[r] = compress_once(&q, src, n, dst, cap, &with_size);
    }
    double tp = bench_median(plain, reps), tw = bench_median(with, reps);
    printf("input: %s, %zu bytes; codec %s, default chunk size, 2 threads, %u runs (median)\n",
           path ? path : "generated mixed data", n, cmz_codec_name(cmz_codec_by_id(codec)), reps);
    printf("no parity : %12zu bytes  %8.1f MB/s\n", plain_size, (double)n / tp * 1e3);
    printf("parity %u:%u: %12zu bytes  %8.1f MB/s\n", k, m, with_size, (double)n / tw * 1e3);
    printf("size +%.2f%%   time +%.2f%%\n", 100.0 * ((double)with_size / (double)plain_size - 1),
           100.0 * (tw / tp - 1));
    free(plain);
    free(with);
    free(dst);
    free(src);
    return 0;
}

/* ---- repair of a large frame ------------------------------------------------------------ */

typedef struct {
    uint64_t left, seed;
} generator;

static int64_t gen_read(void *opaque, void *buf, size_t n) {
    generator *g = opaque;
    if (n > g->left) n = (size_t)g->left;
    bench_gen_mixed(buf, n, g->seed++);
    g->left -= n;
    return (int64_t)n;
}

typedef struct {
    int fd;
    uint32_t crc;
    uint64_t bytes;
} crc_writer;

static int crc_write(void *opaque, const void *buf, size_t n) {
    crc_writer *w = opaque;
    w->crc = cmz_crc32c(w->crc, buf, n);
    w->bytes += n;
    const uint8_t *p = buf;
    while (n) {
        ssize_t k = write(w->fd, p, n);
        if (k < 0) return -1;
        p += k;
        n -= (size_t)k;
    }
    return 0;
}

static void damage(int fd, uint64_t at, size_t n) {
    uint8_t junk[64];
    memset(junk, 0xA5, sizeof junk);
    if (pwrite(fd, junk, n < sizeof junk ? n : sizeof junk, (off_t)at) < 0) exit(1);
}

static int repair_bench(int argc, char **argv) {
    uint64_t mib = 1024;
    const char *dir = "/tmp";
    for (int i = 2; i + 1 < argc; i += 2) {
        if (!strcmp(argv[i], "--size")) mib = strtoull(argv[i + 1], NULL, 10);
        else if (!strcmp(argv[i], "--dir")) dir = argv[i + 1];
    }
    char frame_path[512], out_path[512];
    snprintf(frame_path, sizeof frame_path, "%s/bench_parity_frame.cmz", dir);
    snprintf(out_path, sizeof out_path, "%s/bench_parity_repaired.cmz", dir);
    cmz_params p = cmz_params_default();
    p.codec = CMZ_CODEC_LZ4;
    p.threads = 2;
    p.parity_k = 16;
    p.parity_m = 2;
    cmz_cctx *c = cmz_cctx_new(&p, NULL);
    generator g = {mib << 20, 1};
    cmz_input in = {gen_read, &g};
    crc_writer w = {open(frame_path, O_RDWR | O_CREAT | O_TRUNC, 0644), 0, 0};
    cmz_output out = {crc_write, &w};
    cmz_frame_info info;
    if (w.fd < 0 || cmz_compress_stream(c, &in, &out, &info, NULL) != CMZ_OK) return 1;
    cmz_cctx_free(c);
    fsync(w.fd);

    /* scattered damage: read the record offsets from the index, then hit two records in
     * every fourth group, one parity record, and the index */
    cmz_source src;
    if (cmz_source_fd(&src, w.fd, NULL) != CMZ_OK) return 1;
    uint8_t foot[CMZ_FOOTER_SIZE];
    src.pread(&src, foot, sizeof foot, src.size - sizeof foot);
    uint64_t index_at = 0;
    for (int b = 7; b >= 0; b--) index_at = index_at << 8 | foot[b];
    unsigned hit = 0;
    for (uint64_t chunk = 0; chunk < info.chunk_count; chunk++) {
        uint64_t group = chunk / 16, r = chunk % 16;
        if (group % 4 || (r != 3 && r != 11)) continue;
        uint8_t e[8];
        src.pread(&src, e, 8, index_at + 16 + 16 * chunk);
        uint64_t at = 0;
        for (int b = 7; b >= 0; b--) at = at << 8 | e[b];
        damage(w.fd, at + 100 + 7 * chunk, 16);
        hit++;
    }
    damage(w.fd, index_at + 40, 8);
    fsync(w.fd);

    int out_fd = open(out_path, O_RDWR | O_CREAT | O_TRUNC, 0644);
    crc_writer rw = {out_fd, 0, 0};
    cmz_output rout = {crc_write, &rw};
    cmz_dparams dp = cmz_dparams_default();
    dp.threads = 1;
    cmz_dctx *d = cmz_dctx_new(&dp, NULL);
    cmz_frame_report *rep = NULL;
    cmz_error err;
    double t0 = bench_now_ns();
    cmz_status st = cmz_frame_repair(d, &src, &rout, &rep, &err);
    double t = bench_now_ns() - t0;
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    printf("frame: %llu bytes of content in %llu chunks (lz4, 1 MiB chunks, parity 16:2), "
           "%llu bytes\n",
           (unsigned long long)info.content_size, (unsigned long long)info.chunk_count,
           (unsigned long long)w.bytes);
    printf("damage: %u chunk records in %u groups, and the index\n", hit, hit / 2);
    if (st != CMZ_OK) {
        printf("repair FAILED: %s\n", err.message);
        return 1;
    }
    printf("repair: %.2f s (%.0f MB/s of frame), %llu chunks rebuilt, index %s; peak RSS %ld "
           "MiB\n",
           t / 1e9, (double)w.bytes / t * 1e3, (unsigned long long)rep->repaired,
           rep->index_ok ? "intact" : "rewritten", ru.ru_maxrss / 1024);
    printf("repaired frame %s the frame as written (CRC32C %08x vs %08x, %llu vs %llu bytes)\n",
           rw.crc == w.crc && rw.bytes == w.bytes ? "IS" : "IS NOT", rw.crc, w.crc,
           (unsigned long long)rw.bytes, (unsigned long long)w.bytes);
    cmz_frame_report_free(rep);
    cmz_dctx_free(d);
    close(w.fd);
    close(out_fd);
    unlink(frame_path);
    unlink(out_path);
    return rw.crc == w.crc && rw.bytes == w.bytes ? 0 : 1;
}

int main(int argc, char **argv) {
    if (argc >= 2 && !strcmp(argv[1], "cost")) return cost(argc, argv);
    if (argc >= 2 && !strcmp(argv[1], "repair")) return repair_bench(argc, argv);
    fputs("usage: bench_parity cost [FILE] [--reps N] [--codec NAME] [--parity K:M]\n"
          "       bench_parity repair [--size MiB] [--dir DIR]\n",
          stderr);
    return 2;
}
