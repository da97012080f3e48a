/* Built-in sample data for `cmz bench` with no files: the seed's data types plus the
 * application's own (JSON logs, fp16 attention caches, an image-like render cache), generated
 * in memory, the same bytes on every machine for the same seed. */
#include "benchkit.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static const struct {
    const char *name, *policy_type;
    unsigned typesize;
} samples[BK_SAMPLE_COUNT] = {
    [BK_TEXT] = {"text", "file_cache", 0},
    [BK_BINARY] = {"binary", "temp_buffers", 0},
    [BK_NUMERIC] = {"numeric", "intermediate_cache", 4},
    [BK_MODEL_WEIGHTS] = {"model_weights", "model_weights", 4},
    [BK_SUBTITLE] = {"subtitle", "subtitle", 0},
    [BK_JSON_LOGS] = {"json_logs", "log_data", 0},
    [BK_ATTENTION_F16] = {"attention_fp16", "attention_cache", 2},
    [BK_RENDER_CACHE] = {"render_cache", "intermediate_cache", 4},
    [BK_RANDOM] = {"random", "default", 0},
};

const char *bk_sample_name(bk_sample kind) {
    return kind < BK_SAMPLE_COUNT ? samples[kind].name : "?";
}
const char *bk_sample_policy_type(bk_sample kind) {
    return kind < BK_SAMPLE_COUNT ? samples[kind].policy_type : "default";
}
unsigned bk_sample_typesize(bk_sample kind) {
    return kind < BK_SAMPLE_COUNT ? samples[kind].typesize : 0;
}

typedef struct {
    uint64_t s;
} rng;

static uint64_t next(rng *r) { /* xorshift64* */
    r->s ^= r->s >> 12;
    r->s ^= r->s << 25;
    r->s ^= r->s >> 27;
    return r->s * 0x2545F4914F6CDD1Dull;
}
static double unit(rng *r) { return (double)(next(r) >> 11) * (1.0 / 9007199254740992.0); }
static double normal(rng *r) { /* Box-Muller */
    double u = unit(r), v = unit(r);
    return sqrt(-2.0 * log(u + 1e-300)) * cos(6.283185307179586 * v);
}

static const char *const words[] = {
    "the", "scene", "cut",    "camera", "night", "she",      "said", "city",   "lights",  "rain",
    "and", "frame", "render", "of",     "a",     "timeline", "clip", "he",     "looked",  "back",
    "at",  "light", "memory", "export", "audio", "slowly",   "door", "window", "morning", "voice"};
#define NWORDS (sizeof words / sizeof words[0])

/* Appends formatted text up to the end of the buffer. */
static size_t put(uint8_t *p, size_t at, size_t n, const char *s) {
    size_t k = strlen(s);
    if (k > n - at) k = n - at;
    memcpy(p + at, s, k);
    return at + k;
}

static void text(uint8_t *p, size_t n, rng *r) {
    size_t at = 0;
    unsigned in_sentence = 0;
    while (at < n) {
        const char *w = words[next(r) % NWORDS];
        char buf[32];
        bool end = ++in_sentence > 6 && next(r) % 8 == 0;
        snprintf(buf, sizeof buf, "%s%s", w, end ? ". " : " ");
        if (end) in_sentence = 0;
        at = put(p, at, n, buf);
        if (next(r) % 60 == 0) at = put(p, at, n, "\n");
    }
}

static void binary(uint8_t *p, size_t n, rng *r) {
    /* 32-byte records: id, flags, a pointer-like word, two small counters, padding */
    uint64_t id = 1000, base = 0x00007f3a12340000ull;
    for (size_t at = 0; at < n; at += 32) {
        uint8_t rec[32] = {0};
        id += 1 + next(r) % 3;
        uint64_t ptr = base + (next(r) % 4096) * 64;
        memcpy(rec, &id, 8);
        rec[8] = (uint8_t)(next(r) % 4);
        memcpy(rec + 16, &ptr, 8);
        uint32_t a = (uint32_t)(next(r) % 300), b = (uint32_t)(next(r) % 17);
        memcpy(rec + 24, &a, 4);
        memcpy(rec + 28, &b, 4);
        memcpy(p + at, rec, n - at < 32 ? n - at : 32);
    }
}

static void numeric(uint8_t *p, size_t n, rng *r) {
    double level = 20000;
    for (size_t at = 0; at < n; at += 4) {
        level += normal(r) * 3;
        int32_t v = (int32_t)(level + normal(r) * 8);
        memcpy(p + at, &v, n - at < 4 ? n - at : 4);
    }
}

static void weights(uint8_t *p, size_t n, rng *r) {
    for (size_t at = 0; at < n; at += 4) {
        float v = (float)(normal(r) * 0.02);
        memcpy(p + at, &v, n - at < 4 ? n - at : 4);
    }
}

static void subtitle(uint8_t *p, size_t n, rng *r) {
    size_t at = 0;
    unsigned cue = 1;
    double t = 1.0;
    while (at < n) {
        double len = 1.5 + unit(r) * 3;
        unsigned a = (unsigned)(t * 1000), b = (unsigned)((t + len) * 1000);
        char buf[160];
        snprintf(buf, sizeof buf, "%u\n%02u:%02u:%02u,%03u --> %02u:%02u:%02u,%03u\n", cue++,
                 a / 3600000, a / 60000 % 60, a / 1000 % 60, a % 1000, b / 3600000, b / 60000 % 60,
                 b / 1000 % 60, b % 1000);
        at = put(p, at, n, buf);
        unsigned nwords = 3 + (unsigned)(next(r) % 8);
        for (unsigned w = 0; w < nwords; w++) {
            at = put(p, at, n, words[next(r) % NWORDS]);
            at = put(p, at, n, w + 1 < nwords ? " " : ".\n\n");
        }
        t += len + unit(r);
    }
}

static void json_logs(uint8_t *p, size_t n, rng *r) {
    static const char *const levels[] = {"DEBUG", "INFO", "INFO", "INFO", "WARN", "ERROR"};
    static const char *const mods[] = {"memory.reaper",   "codec.zstd",   "ui.timeline",
                                       "render.pipeline", "model.loader", "snapshot"};
    size_t at = 0;
    uint64_t ms = 0;
    while (at < n) {
        ms += next(r) % 900;
        char buf[256];
        snprintf(buf, sizeof buf,
                 "{\"ts\":\"2026-11-23T%02u:%02u:%02u.%03uZ\",\"level\":\"%s\",\"module\":\"%s\","
                 "\"msg\":\"%s %s %s\",\"bytes\":%u}\n",
                 (unsigned)(ms / 3600000 % 24), (unsigned)(ms / 60000 % 60),
                 (unsigned)(ms / 1000 % 60), (unsigned)(ms % 1000), levels[next(r) % 6],
                 mods[next(r) % 6], words[next(r) % NWORDS], words[next(r) % NWORDS],
                 words[next(r) % NWORDS], (unsigned)(next(r) % 1000000));
        at = put(p, at, n, buf);
    }
}

/* fp16 bit patterns of values of magnitude 1/8..4 (exponents 12..17, mostly 14 and 15), random
 * sign and mantissa: what an attention layer's keys and values look like byte by byte. */
static void attention(uint8_t *p, size_t n, rng *r) {
    for (size_t at = 0; at < n; at += 2) {
        double v = normal(r);
        int e = 15 + (int)floor(log2(fabs(v) + 1e-9));
        if (e < 12) e = 12;
        if (e > 17) e = 17;
        uint16_t h = (uint16_t)((v < 0 ? 0x8000u : 0) | (unsigned)e << 10 | (next(r) & 0x3ff));
        memcpy(p + at, &h, n - at < 2 ? n - at : 2);
    }
}

static void render(uint8_t *p, size_t n, rng *r) {
    const unsigned width = 512;
    for (size_t px = 0; px * 4 < n; px++) {
        unsigned x = (unsigned)(px % width), y = (unsigned)(px / width % 512);
        uint8_t rgba[4];
        bool flat = (x / 64 + y / 64) % 3 == 0;
        rgba[0] = (uint8_t)(flat ? 40 : x / 2 + (next(r) % 3));
        rgba[1] = (uint8_t)(flat ? 40 : y / 2 + (next(r) % 3));
        rgba[2] = (uint8_t)(flat ? 48 : (x + y) / 4);
        rgba[3] = 255;
        size_t at = px * 4;
        memcpy(p + at, rgba, n - at < 4 ? n - at : 4);
    }
}

static void random_bytes(uint8_t *p, size_t n, rng *r) {
    for (size_t at = 0; at < n; at += 8) {
        uint64_t v = next(r);
        memcpy(p + at, &v, n - at < 8 ? n - at : 8);
    }
}

uint8_t *bk_sample_make(bk_sample kind, size_t size, uint64_t seed) {
    uint8_t *p = malloc(size ? size : 1);
    if (!p) return NULL;
    rng r = {seed * 0x9E3779B97F4A7C15ull + kind + 1};
    switch (kind) {
    case BK_TEXT: text(p, size, &r); break;
    case BK_BINARY: binary(p, size, &r); break;
    case BK_NUMERIC: numeric(p, size, &r); break;
    case BK_MODEL_WEIGHTS: weights(p, size, &r); break;
    case BK_SUBTITLE: subtitle(p, size, &r); break;
    case BK_JSON_LOGS: json_logs(p, size, &r); break;
    case BK_ATTENTION_F16: attention(p, size, &r); break;
    case BK_RENDER_CACHE: render(p, size, &r); break;
    default: random_bytes(p, size, &r); break;
    }
    return p;
}
