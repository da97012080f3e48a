/* Writes the benchmark input to stdout: the corpus files (model weights and text) when
 * present, then generated JSON log lines and SRT subtitles, repeated up to the requested size.
 * Deterministic: the same arguments give the same bytes.
 * Usage: bench_gen_data SIZE_MIB [CORPUS_DIR] > data.bin */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static uint64_t state = 0x9E3779B97F4A7C15ull;
static uint64_t rnd(void) {
    state ^= state >> 12;
    state ^= state << 25;
    state ^= state >> 27;
    return state * 0x2545F4914F6CDD1Dull;
}

static const char *const words[] = {"frame",    "render", "cache",    "model",      "weights",
                                    "subtitle", "memory", "released", "compressed", "snapshot",
                                    "timeline", "clip",   "export",   "decoder",    "encoder",
                                    "audio",    "video",  "scene",    "cut",        "transition",
                                    "effect",   "layer",  "budget",   "pressure"};
#define NWORDS (sizeof words / sizeof words[0])

static size_t log_line(char *out, size_t cap, uint64_t i) {
    static const char *const levels[] = {"DEBUG", "INFO", "INFO", "INFO", "WARN", "ERROR"};
    static const char *const mods[] = {"memory.reaper",   "codec.zstd",   "ui.timeline",
                                       "render.pipeline", "model.loader", "snapshot"};
    int n = snprintf(out, cap,
                     "{\"ts\":\"2026-11-%02u T%02u:%02u:%02u.%03uZ\",\"level\":\"%s\",\"module\":"
                     "\"%s\",\"msg\":\"%s %s %s\",\"bytes\":%u,\"resource\":\"%s:%u\"}\n",
                     (unsigned)(1 + i / 86400000 % 28), (unsigned)(i / 3600000 % 24),
                     (unsigned)(i / 60000 % 60), (unsigned)(i / 1000 % 60), (unsigned)(i % 1000),
                     levels[rnd() % 6], mods[rnd() % 6], words[rnd() % NWORDS],
                     words[rnd() % NWORDS], words[rnd() % NWORDS], (unsigned)(rnd() % 100000000),
                     words[rnd() % NWORDS], (unsigned)(rnd() % 64));
    return (size_t)n;
}

static size_t srt_cue(char *out, size_t cap, uint64_t i) {
    unsigned s = (unsigned)(i * 3);
    int n = snprintf(out, cap, "%llu\n%02u:%02u:%02u,%03u --> %02u:%02u:%02u,%03u\n",
                     (unsigned long long)i + 1, s / 3600, s / 60 % 60, s % 60, 0u, (s + 2) / 3600,
                     (s + 2) / 60 % 60, (s + 2) % 60, 500u);
    for (int w = 0; w < 6 + (int)(rnd() % 8); w++)
        n += snprintf(out + n, cap - (size_t)n, "%s%s", w ? " " : "", words[rnd() % NWORDS]);
    n += snprintf(out + n, cap - (size_t)n, "\n\n");
    return (size_t)n;
}

static uint64_t emit_file(const char *path, uint64_t left) {
    FILE *f = fopen(path, "rb");
    if (!f) return 0;
    char buf[1 << 16];
    uint64_t done = 0;
    size_t r;
    while (done < left && (r = fread(buf, 1, sizeof buf, f)) > 0) {
        if (r > left - done) r = (size_t)(left - done);
        fwrite(buf, 1, r, stdout);
        done += r;
    }
    fclose(f);
    return done;
}

int main(int argc, char **argv) {
    if (argc < 2) {
        fprintf(stderr, "usage: %s SIZE_MIB [CORPUS_DIR]\n", argv[0]);
        return 2;
    }
    uint64_t total = (uint64_t)strtoull(argv[1], NULL, 10) << 20, done = 0;
    static const char *const corpus[] = {"ch_PP-OCRv4_det_infer.onnx", "ch_PP-OCRv4_rec_infer.onnx",
                                         "ch_ppocr_mobile_v2.0_cls_infer.onnx",
                                         "ppocr_keys_v1.txt"};
    if (argc > 2) {
        int found = 0;
        for (size_t k = 0; k < 4 && done < total; k++) {
            char path[4096];
            snprintf(path, sizeof path, "%s/%s", argv[2], corpus[k]);
            uint64_t n = emit_file(path, total - done);
            found += n > 0;
            done += n;
        }
        fprintf(stderr, "gen_data: %d corpus files from %s (%llu bytes)\n", found, argv[2],
                (unsigned long long)done);
    }
    /* Generated text in blocks of 1 MiB: logs and subtitles alternate. */
    char *block = malloc(1 << 20);
    uint64_t line = 0;
    while (block && done < total) {
        size_t n = 0;
        int srt = (done >> 20) % 3 == 2;
        while (n < (1 << 20) - 512)
            n += srt ? srt_cue(block + n, (1 << 20) - n, line++)
                     : log_line(block + n, (1 << 20) - n, line++ * 37);
        if (n > total - done) n = (size_t)(total - done);
        fwrite(block, 1, n, stdout);
        done += n;
    }
    free(block);
    return 0;
}
