/* rans codec on planes-filtered model weights: ratio, and encode/decode speed on one core,
 * against zstd-3 on the same filtered chunks (and plain zstd-3 on the raw chunks).
 *
 *   bench_rans_speed [FILE] [--reps N]
 *
 * FILE holds float32 weights (default: /tmp/models.bin if it exists, else the corpus's three
 * .onnx files concatenated, looked for as bench_util.h's corpus helper does). ONNX files are
 * taken whole (headers and all), as `cat *.onnx` gives them. Data sets:
 *   fp32      the bytes as they are, planes typesize 4;
 *   bf16-rne  each float32 (aligned 4-byte word) to bfloat16 by its top 16 bits, rounded to
 *             nearest even (NaN kept quiet), planes typesize 2;
 *   bf16-trunc the top 16 bits as they are, planes typesize 2.
 * Each data set is cut into 1 MiB chunks; each chunk is filtered (cmz_filter_forward, planes)
 * and compressed on its own. Ratio = raw bytes / compressed bytes, where a chunk counts at
 * most its raw size (a frame would store it). Speeds are MB/s (10^6 bytes of raw data per
 * second, thread CPU time), the codec alone (filter time excluded, listed apart); each is the
 * median of --reps passes over all chunks. Every chunk is decoded and compared. */
#include "bench_util.h"
#include "cmz/codec.h"
#include "cmz/filter.h"

#include <math.h>

#define CHUNK ((size_t)1 << 20)

static double cpu_now(void) {
    struct timespec t;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
    return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

static uint8_t *read_file(const char *path, size_t *size) {
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    uint8_t *buf = NULL;
    size_t n = 0, cap = 0;
    for (;;) {
        if (n == cap) {
            cap = cap ? 2 * cap : (size_t)1 << 24;
            uint8_t *nb = realloc(buf, cap);
            if (!nb) {
                free(buf);
                fclose(f);
                return NULL;
            }
            buf = nb;
        }
        size_t r = fread(buf + n, 1, cap - n, f);
        if (!r) break;
        n += r;
    }
    fclose(f);
    *size = n;
    return buf;
}

static uint8_t *load_corpus(size_t *size) {
    static const char *const names[] = {"ch_PP-OCRv4_det_infer.onnx", "ch_PP-OCRv4_rec_infer.onnx",
                                        "ch_ppocr_mobile_v2.0_cls_infer.onnx"};
    const char *env = getenv("CMZ_CORPUS");
    const char *const dirs[] = {env, "../shared/corpus", "../../shared/corpus",
                                "/work/shared/corpus"};
    uint8_t *all = NULL;
    size_t total = 0;
    for (size_t i = 0; i < 3; i++) {
        uint8_t *part = NULL;
        size_t n = 0;
        for (size_t d = 0; d < 4 && !part; d++) {
            if (!dirs[d]) continue;
            char path[4096];
            snprintf(path, sizeof path, "%s/%s", dirs[d], names[i]);
            part = read_file(path, &n);
        }
        if (!part) {
            free(all);
            return NULL;
        }
        all = realloc(all, total + n);
        if (!all) exit(1);
        memcpy(all + total, part, n);
        total += n;
        free(part);
    }
    *size = total;
    return all;
}

static uint16_t to_bf16(uint32_t u, int rne) {
    if (!rne) return (uint16_t)(u >> 16);
    if ((u & 0x7f800000u) == 0x7f800000u && (u & 0x7fffffu)) return (uint16_t)((u >> 16) | 0x40);
    return (uint16_t)((u + 0x7fffu + ((u >> 16) & 1)) >> 16);
}

/* Order-0 entropy of p[0..n) in 64 KiB blocks, in bytes (each block at most its size):
 * what an ideal order-0 coder with free tables would reach on the codec's blocks. */
static double entropy_bytes(const uint8_t *p, size_t n) {
    double total = 0;
    for (size_t start = 0; start < n; start += 65536) {
        size_t len = n - start < 65536 ? n - start : 65536;
        size_t count[256] = {0};
        for (size_t i = 0; i < len; i++) count[p[start + i]]++;
        double bits = 0;
        for (int c = 0; c < 256; c++)
            if (count[c]) bits += (double)count[c] * log2((double)len / (double)count[c]);
        total += bits / 8 < (double)len ? bits / 8 : (double)len;
    }
    return total;
}

typedef struct {
    double entropy; /* order-0 bound of the filtered chunks, bytes */
    size_t raw, comp;
    double enc, dec; /* MB/s */
} result;

/* Filters every chunk of data (planes, ts) once, then times `codec` over all of them. */
static result run(const cmz_codec *codec, int level, const uint8_t *data, size_t n, unsigned ts,
                  int reps, double *filter_mbs) {
    size_t nchunks = (n + CHUNK - 1) / CHUNK;
    size_t fcap = ts == 1 ? CHUNK : cmz_filter_bound(CMZ_FILTER_PLANES, ts, CHUNK);
    size_t ccap = cmz_codec_bound(codec, fcap);
    uint8_t *filt = malloc(nchunks * fcap), *comp = malloc(nchunks * ccap), *back = malloc(fcap);
    size_t *fsize = calloc(nchunks, sizeof *fsize), *csize = calloc(nchunks, sizeof *csize);
    cmz_codec_ctx *ctx = cmz_codec_ctx_new(codec);
    if (!filt || !comp || !back || !fsize || !csize || !ctx) exit(1);
    double t0 = cpu_now();
    for (size_t c = 0; c < nchunks; c++) {
        size_t len = n - c * CHUNK < CHUNK ? n - c * CHUNK : CHUNK;
        if (ts == 1) {
            memcpy(filt + c * fcap, data + c * CHUNK, len);
            fsize[c] = len;
        } else if (cmz_filter_forward(CMZ_FILTER_PLANES, ts, data + c * CHUNK, len, filt + c * fcap,
                                      fcap, &fsize[c]) != CMZ_OK) {
            exit(1);
        }
    }
    if (filter_mbs) *filter_mbs = (double)n / (cpu_now() - t0) / 1e6;
    double enc[64], dec[64];
    result r = {0, n, 0, 0, 0};
    for (size_t c = 0; c < nchunks; c++) r.entropy += entropy_bytes(filt + c * fcap, fsize[c]);
    for (int rep = 0; rep < reps; rep++) {
        t0 = cpu_now();
        for (size_t c = 0; c < nchunks; c++)
            if (cmz_codec_compress(ctx, level, comp + c * ccap, ccap, filt + c * fcap, fsize[c],
                                   &csize[c]) != CMZ_OK) {
                fprintf(stderr, "compress failed\n");
                exit(1);
            }
        enc[rep] = (double)n / (cpu_now() - t0) / 1e6;
        t0 = cpu_now();
        for (size_t c = 0; c < nchunks; c++)
            if (cmz_codec_decompress(ctx, back, fsize[c], comp + c * ccap, csize[c]) != CMZ_OK) {
                fprintf(stderr, "decompress failed\n");
                exit(1);
            }
        dec[rep] = (double)n / (cpu_now() - t0) / 1e6;
    }
    for (size_t c = 0; c < nchunks; c++) { /* check every chunk, outside the timing */
        size_t len = n - c * CHUNK < CHUNK ? n - c * CHUNK : CHUNK;
        if (cmz_codec_decompress(ctx, back, fsize[c], comp + c * ccap, csize[c]) != CMZ_OK ||
            memcmp(back, filt + c * fcap, fsize[c]) != 0) {
            fprintf(stderr, "%s: chunk %zu does not round-trip\n", cmz_codec_name(codec), c);
            exit(1);
        }
        r.comp += csize[c] < len ? csize[c] : len;
    }
    r.enc = bench_median(enc, (unsigned)reps);
    r.dec = bench_median(dec, (unsigned)reps);
    cmz_codec_ctx_free(ctx);
    free(filt), free(comp), free(back), free(fsize), free(csize);
    return r;
}

int main(int argc, char **argv) {
    const char *path = NULL;
    int reps = 5;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--reps") && i + 1 < argc) reps = atoi(argv[++i]);
        else path = argv[i];
    }
    if (reps < 1) reps = 1;
    if (reps > 64) reps = 64;
    size_t n = 0;
    uint8_t *fp32 = NULL;
    if (path) fp32 = read_file(path, &n);
    else if (!(fp32 = read_file("/tmp/models.bin", &n))) fp32 = load_corpus(&n);
    if (!fp32 || n < 4) {
        fprintf(stderr, "bench_rans_speed: no input (give a file, or see ../shared/corpus)\n");
        return 1;
    }
    size_t nw = n / 4, nb = nw * 2;
    uint8_t *bf_rne = malloc(nb), *bf_tr = malloc(nb);
    if (!bf_rne || !bf_tr) return 1;
    for (size_t i = 0; i < nw; i++) {
        uint32_t u = (uint32_t)fp32[4 * i] | (uint32_t)fp32[4 * i + 1] << 8 |
                     (uint32_t)fp32[4 * i + 2] << 16 | (uint32_t)fp32[4 * i + 3] << 24;
        uint16_t a = to_bf16(u, 1), b = to_bf16(u, 0);
        bf_rne[2 * i] = (uint8_t)a, bf_rne[2 * i + 1] = (uint8_t)(a >> 8);
        bf_tr[2 * i] = (uint8_t)b, bf_tr[2 * i + 1] = (uint8_t)(b >> 8);
    }
    const cmz_codec *rans = cmz_codec_by_id(CMZ_CODEC_RANS);
    const cmz_codec *zstd = cmz_codec_by_id(CMZ_CODEC_ZSTD);
    printf("input: %s, %zu bytes; 1 MiB chunks; %d reps (median); one core\n",
           path ? path : "/tmp/models.bin or the corpus .onnx files", n, reps);
    printf("%-11s %-16s %8s %10s %10s %10s\n", "data", "method", "ratio", "enc MB/s", "dec MB/s",
           "filt MB/s");
    const struct {
        const char *name;
        const uint8_t *p;
        size_t n;
        unsigned ts;
    } sets[] = {{"fp32", fp32, n, 4}, {"bf16-rne", bf_rne, nb, 2}, {"bf16-trunc", bf_tr, nb, 2}};
    for (size_t s = 0; s < 3; s++) {
        double fmbs = 0;
        result r = run(rans, 0, sets[s].p, sets[s].n, sets[s].ts, reps, &fmbs);
        printf("%-11s %-16s %8.4f %10.0f %10.0f %10.0f\n", sets[s].name, "planes+rans",
               (double)r.raw / (double)r.comp, r.enc, r.dec, fmbs);
        printf("%-11s %-16s %8.4f %10s %10s %10s\n", sets[s].name, "order-0 @64KiB",
               (double)r.raw / r.entropy, "-", "-", "-");
        if (zstd) {
            r = run(zstd, 3, sets[s].p, sets[s].n, sets[s].ts, reps, &fmbs);
            printf("%-11s %-16s %8.4f %10.0f %10.0f %10.0f\n", sets[s].name, "planes+zstd-3",
                   (double)r.raw / (double)r.comp, r.enc, r.dec, fmbs);
            r = run(zstd, 3, sets[s].p, sets[s].n, 1, reps, NULL);
            printf("%-11s %-16s %8.4f %10.0f %10.0f %10s\n", sets[s].name, "zstd-3",
                   (double)r.raw / (double)r.comp, r.enc, r.dec, "-");
        }
    }
    free(fp32), free(bf_rne), free(bf_tr);
    return 0;
}
