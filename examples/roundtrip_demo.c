/* A tour of libcmz on built-in data: a deterministic ~2 MiB sample of the resources cmz is
 * for (SRT subtitles, JSON log lines, float32 model weights) is compressed into a .cmz frame
 * with every codec compiled in (default level and chunk size, every core), decompressed again
 * and compared byte for byte.
 *
 * Usage: cmz_roundtrip_demo [-T THREADS]   (exit status 0 when every round trip matched)
 *        cmz_roundtrip_demo --write-sample FILE   (writes the sample, nothing else) */
#define _POSIX_C_SOURCE 200809L /* clock_gettime */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cmz/cmz.h"

/* ---- the sample ----------------------------------------------------------------------- */

static uint64_t rng = 42;
static uint64_t next(void) { /* splitmix64: the same bytes on every machine */
    uint64_t z = (rng += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}
static double unit(void) { return (double)(next() >> 11) * (1.0 / 9007199254740992.0); }

static const char *const words[] = {
    "the",   "camera",   "slowly", "turns",    "to",      "city",   "lights",   "she",
    "said",  "we",       "never",  "should",   "have",    "come",   "back",     "here",
    "night", "after",    "rain",   "a",        "quiet",   "street", "remember", "what",
    "you",   "promised", "me",     "tomorrow", "morning", "is",     "too",      "late"};
#define NWORDS (sizeof words / sizeof words[0])

typedef struct {
    unsigned char *p;
    size_t len, cap;
} buffer;

static void put(buffer *b, const char *text, size_t n) {
    if (n > b->cap - b->len) n = b->cap - b->len;
    memcpy(b->p + b->len, text, n);
    b->len += n;
}

/* Subtitle cues: numbered, timed, one or two lines of dialogue. */
static void gen_srt(buffer *b, size_t end) {
    unsigned cue = 1, ms = 1000;
    char line[512];
    while (b->len < end) {
        unsigned dur = 1200 + (unsigned)(next() % 3800);
        int n =
            snprintf(line, sizeof line, "%u\n%02u:%02u:%02u,%03u --> %02u:%02u:%02u,%03u\n", cue++,
                     ms / 3600000, ms / 60000 % 60, ms / 1000 % 60, ms % 1000, (ms + dur) / 3600000,
                     (ms + dur) / 60000 % 60, (ms + dur) / 1000 % 60, (ms + dur) % 1000);
        for (unsigned l = 0, lines = 1 + (unsigned)(next() % 2); l < lines; l++) {
            for (unsigned w = 0, nw = 3 + (unsigned)(next() % 7); w < nw; w++) {
                const char *word = words[next() % NWORDS];
                const char *after = w + 1 < nw ? " " : next() % 3 ? ".\n" : "?\n";
                n += snprintf(line + n, sizeof line - (size_t)n, "%s%s", word, after);
            }
        }
        n += snprintf(line + n, sizeof line - (size_t)n, "\n");
        ms += dur + (unsigned)(next() % 900);
        put(b, line, (size_t)n < end - b->len ? (size_t)n : end - b->len);
    }
}

/* Structured log lines, as an application writes them. */
static void gen_logs(buffer *b, size_t end) {
    static const char *const levels[] = {"DEBUG", "INFO", "INFO", "INFO", "WARN", "ERROR"};
    static const char *const modules[] = {"memory.reaper",   "codec.zstd",   "ui.timeline",
                                          "render.pipeline", "model.loader", "snapshot"};
    static const char *const events[] = {"resource released", "chunk compressed", "snapshot taken",
                                         "cache hit",         "pressure high",    "model loaded"};
    uint64_t t = 1700000000000ull;
    char line[512];
    while (b->len < end) {
        /* One draw per statement: the order of a call's arguments is unspecified. */
        t += next() % 250;
        const char *level = levels[next() % 6];
        const char *module = modules[next() % 6];
        const char *event = events[next() % 6];
        unsigned clip = (unsigned)(next() % 500);
        unsigned long long bytes = next() % 64000000;
        double rss = 1500.0 + unit() * 2000.0;
        int n = snprintf(line, sizeof line,
                         "{\"ts\":%llu,\"level\":\"%s\",\"module\":\"%s\",\"event\":\"%s\","
                         "\"resource\":\"clip_%03u\",\"bytes\":%llu,\"rss_mb\":%.1f}\n",
                         (unsigned long long)t, level, module, event, clip, bytes, rss);
        put(b, line, (size_t)n < end - b->len ? (size_t)n : end - b->len);
    }
}

/* float32 weights, little-endian: near-normal values, a scale per 4 KiB "tensor". */
static void gen_weights(buffer *b, size_t end) {
    double scale = 0.05;
    while (b->len + 4 <= end) {
        if (b->len % 4096 == 0) scale = 0.01 + 0.1 * unit();
        double sum = -2.0; /* four uniforms, added in a fixed order */
        for (int u = 0; u < 4; u++) sum += unit();
        float v = (float)(sum * scale);
        uint32_t bits;
        memcpy(&bits, &v, 4);
        for (int k = 0; k < 4; k++) b->p[b->len++] = (unsigned char)(bits >> (8 * k));
    }
    while (b->len < end) b->p[b->len++] = 0;
}

#define SAMPLE_SIZE ((size_t)2 << 20)
#define SRT_END ((size_t)704 << 10)
#define LOGS_END ((size_t)1408 << 10)

/* ---- the tour ------------------------------------------------------------------------- */

static double now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* Compresses and decompresses the sample with one codec; prints a row. 0 when it matched. */
static int tour(const cmz_codec *codec, unsigned threads, const unsigned char *sample, size_t n) {
    cmz_params p = cmz_params_default();
    p.codec = (int)cmz_codec_id_of(codec);
    p.threads = threads;
    cmz_error err;
    cmz_error_clear(&err);
    int rc = 1;
    unsigned char *frame = NULL, *back = NULL;
    size_t frame_size = 0, back_size = 0;
    cmz_cctx *cctx = cmz_cctx_new(&p, &err);
    cmz_dparams dp = cmz_dparams_default(); /* a frame says how it was compressed */
    dp.threads = threads;
    cmz_dctx *dctx = cmz_dctx_new(&dp, &err);
    if (!cctx || !dctx) goto fail;
    size_t cap = (size_t)cmz_compress_bound(cmz_cctx_params(cctx), n);
    frame = malloc(cap);
    back = malloc(n);
    if (!frame || !back) {
        err.status = CMZ_ERR_NOMEM;
        snprintf(err.message, sizeof err.message, "out of memory");
        goto fail;
    }
    /* Best of up to 3 runs (fewer for slow codecs): a context's first call also pays for
     * its allocations and the page faults of fresh buffers. */
    double ct = 1e30, dt = 1e30, spent = 0;
    for (int run = 0; run < 3 && spent < 1.0; run++) {
        double t0 = now();
        if (cmz_compress(cctx, frame, cap, &frame_size, sample, n, &err) != CMZ_OK) goto fail;
        double t1 = now();
        memset(back, 0, n);
        if (cmz_decompress(dctx, back, n, &back_size, frame, frame_size, &err) != CMZ_OK) goto fail;
        double t2 = now();
        ct = t1 - t0 < ct ? t1 - t0 : ct;
        dt = t2 - t1 < dt ? t2 - t1 : dt;
        spent += t2 - t0;
    }
    int same = back_size == n && memcmp(back, sample, n) == 0;
    const cmz_params *used = cmz_cctx_params(cctx);
    printf("%-7s %5d %9u %9zu %10zu %7.3f %9.1f %9.1f   %s\n", cmz_codec_name(codec), used->level,
           used->chunk_size, n, frame_size, (double)n / (double)frame_size, (double)n / 1e6 / ct,
           (double)n / 1e6 / dt, same ? "ok" : "MISMATCH");
    rc = same ? 0 : 1;
    goto done;
fail:
    printf("%-7s failed: %s\n", cmz_codec_name(codec),
           err.message[0] ? err.message : cmz_strerror(err.status));
done:
    cmz_cctx_free(cctx);
    cmz_dctx_free(dctx);
    free(frame);
    free(back);
    return rc;
}

int main(int argc, char **argv) {
    unsigned threads = 0;
    const char *write_to = NULL;
    if (argc == 3 && !strcmp(argv[1], "-T")) {
        threads = (unsigned)strtoul(argv[2], NULL, 10);
    } else if (argc == 3 && !strcmp(argv[1], "--write-sample")) {
        write_to = argv[2];
    } else if (argc != 1) {
        fprintf(stderr, "usage: %s [-T THREADS | --write-sample FILE]\n", argv[0]);
        return 2;
    }
    buffer b = {malloc(SAMPLE_SIZE), 0, SAMPLE_SIZE};
    if (!b.p) return 1;
    gen_srt(&b, SRT_END);
    gen_logs(&b, LOGS_END);
    gen_weights(&b, SAMPLE_SIZE);
    if (write_to) { /* the sample alone, for the command-line part of scripts/demo */
        FILE *f = fopen(write_to, "wb");
        int bad = !f || fwrite(b.p, 1, b.len, f) != b.len;
        if (f && fclose(f) != 0) bad = 1;
        if (bad) perror(write_to);
        free(b.p);
        return bad;
    }
    printf("sample: %zu bytes, built in: SRT subtitles %zu, JSON log lines %zu, float32 "
           "weights %zu; CRC32C %08x\n",
           b.len, SRT_END, LOGS_END - SRT_END, SAMPLE_SIZE - LOGS_END,
           (unsigned)cmz_crc32c(0, b.p, b.len));
    printf("libcmz %s, %u thread(s), each codec at its default level and chunk size\n\n",
           cmz_version(), threads ? threads : cmz_cpu_count());
    printf("%-7s %5s %9s %9s %10s %7s %9s %9s   %s\n", "codec", "level", "chunk", "raw",
           "compressed", "ratio", "comp MB/s", "dec MB/s", "round trip");
    size_t count;
    const cmz_codec *const *list = cmz_codec_list(&count);
    int failures = 0;
    for (size_t i = 0; i < count; i++) failures += tour(list[i], threads, b.p, b.len);
    printf("\n%s\n", failures ? "FAILED: a round trip did not give the sample back"
                              : "every round trip gave the sample back byte for byte");
    free(b.p);
    return failures ? 1 : 0;
}
