#include "testutil.h"

#include <ftw.h>
#include <math.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

uint64_t tu_rand(uint64_t *s) {
    uint64_t x = *s ? *s : 0x9E3779B97F4A7C15ull;
    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    *s = x;
    return x * 0x2545F4914F6CDD1Dull;
}

static uint8_t *alloc_buf(size_t n) {
    uint8_t *p = malloc(n ? n : 1);
    assert_non_null(p);
    return p;
}

uint8_t *tu_random(size_t n, uint64_t seed) {
    uint8_t *p = alloc_buf(n);
    uint64_t s = seed * 2654435761u + 1;
    for (size_t i = 0; i < n; i++) p[i] = (uint8_t)(tu_rand(&s) >> 56);
    return p;
}

uint8_t *tu_repetitive(size_t n) {
    static const char phrase[] = "the quick brown fox jumps over the lazy dog. ";
    uint8_t *p = alloc_buf(n);
    for (size_t i = 0; i < n; i++) p[i] = (uint8_t)phrase[i % (sizeof phrase - 1)];
    return p;
}

uint8_t *tu_text(size_t n, uint64_t seed) {
    static const char *const words[] = {
        "memory", "chunk", "frame", "weights",  "cache",   "render", "subtitle", "the",
        "a",      "of",    "model", "snapshot", "release", "budget", "and",      "to"};
    uint8_t *p = alloc_buf(n);
    uint64_t s = seed + 7;
    size_t i = 0;
    while (i < n) {
        const char *w = words[tu_rand(&s) % (sizeof words / sizeof words[0])];
        for (size_t k = 0; w[k] && i < n; k++) p[i++] = (uint8_t)w[k];
        if (i < n) p[i++] = (tu_rand(&s) % 11 == 0) ? '\n' : ' ';
    }
    return p;
}

uint8_t *tu_mixed(size_t n, uint64_t seed) {
    uint8_t *p = alloc_buf(n);
    uint64_t s = seed + 13;
    size_t i = 0;
    while (i < n) {
        size_t block = 1 + tu_rand(&s) % 65536;
        if (block > n - i) block = n - i;
        switch (tu_rand(&s) % 4) {
        case 0: {
            uint8_t *t = tu_text(block, tu_rand(&s));
            memcpy(p + i, t, block);
            free(t);
            break;
        }
        case 1: memset(p + i, 0, block); break;
        case 2:
            for (size_t k = 0; k < block; k++) p[i + k] = (uint8_t)(tu_rand(&s) >> 56);
            break;
        default:
            for (size_t k = 0; k < block; k++) {
                float f = (float)sin((double)(i + k) * 0.001) * 0.05f;
                uint8_t b[4];
                memcpy(b, &f, 4);
                p[i + k] = b[(i + k) % 4];
            }
        }
        i += block;
    }
    return p;
}

size_t tu_scale(void) {
    const char *s = getenv("CMZ_TEST_SCALE");
    char *end;
    unsigned long v = s ? strtoul(s, &end, 10) : 0;
    if (!s || !*s || *end || v < 1) return 1;
    return v > TU_SCALE_MAX ? TU_SCALE_MAX : (size_t)v;
}

bool tu_emulated(void) {
    const char *s = getenv("CMZ_TEST_EMULATED");
    return s && *s && strcmp(s, "0") != 0;
}

cmz_registry_params tu_registry_params(uint64_t budget, unsigned threads) {
    cmz_registry_params p = cmz_registry_params_default();
    p.budget = budget;
    p.usage = CMZ_USAGE_REGISTRY;
    p.check_interval_ms = 0;
    p.threads = threads;
    return p;
}

cmz_registry *tu_registry_new(const cmz_registry_params *params) {
    cmz_error err;
    cmz_registry *reg = cmz_registry_new(params, &err);
    if (!reg) fail_msg("cmz_registry_new: %s", err.message);
    return reg;
}

char *tu_tempdir(void) {
    const char *base = getenv("TMPDIR");
    char tmpl[4096];
    snprintf(tmpl, sizeof tmpl, "%s/cmztest.XXXXXX", base && *base ? base : "/tmp");
    char *d = mkdtemp(tmpl);
    assert_non_null(d);
    return strdup(d);
}

static int rm_one(const char *path, const struct stat *sb, int flag, struct FTW *ftw) {
    (void)sb;
    (void)flag;
    (void)ftw;
    return remove(path);
}

void tu_rmtree(const char *path) { nftw(path, rm_one, 16, FTW_DEPTH | FTW_PHYS); }

static int64_t memin_read(void *opaque, void *buf, size_t n) {
    tu_memin *m = opaque;
    m->calls++;
    size_t left = m->size - m->pos;
    size_t take = n < left ? n : left;
    if (m->max_read && take > 1) {
        size_t cap = 1 + (size_t)(tu_rand(&m->rng) % m->max_read);
        if (take > cap) take = cap;
    }
    if (take) memcpy(buf, m->data + m->pos, take);
    m->pos += take;
    return (int64_t)take;
}

cmz_input tu_memin_init(tu_memin *m, const void *data, size_t size, size_t max_read,
                        uint64_t seed) {
    memset(m, 0, sizeof *m);
    m->data = data;
    m->size = size;
    m->max_read = max_read;
    m->rng = seed + 1;
    cmz_input in = {memin_read, m};
    return in;
}

static int memout_write(void *opaque, const void *buf, size_t n) {
    tu_memout *m = opaque;
    if (n > m->cap - m->size) {
        size_t cap = m->cap ? m->cap : 4096;
        while (cap - m->size < n) cap *= 2;
        uint8_t *p = realloc(m->data, cap);
        assert_non_null(p);
        m->data = p;
        m->cap = cap;
    }
    if (n) memcpy(m->data + m->size, buf, n);
    m->size += n;
    return 0;
}

cmz_output tu_memout_init(tu_memout *m) {
    memset(m, 0, sizeof *m);
    cmz_output out = {memout_write, m};
    return out;
}

void tu_memout_free(tu_memout *m) {
    free(m->data);
    memset(m, 0, sizeof *m);
}

cmz_params tu_params(int codec, uint32_t chunk_size, unsigned threads) {
    cmz_params p = cmz_params_default();
    p.codec = codec;
    p.chunk_size = chunk_size;
    p.threads = threads;
    return p;
}

cmz_dparams tu_dparams(const cmz_params *p) {
    cmz_dparams d = cmz_dparams_default();
    d.threads = p->threads;
    d.progress = p->progress;
    d.progress_opaque = p->progress_opaque;
    d.interrupt = p->interrupt;
    return d;
}

cmz_dctx *tu_dctx_new(const cmz_params *p, cmz_error *err) {
    cmz_dparams d = tu_dparams(p);
    return cmz_dctx_new(&d, err);
}

int tu_skip_unless_codec(int codec, const char *why) {
    if (cmz_codec_by_id(codec)) return 0;
    print_message("codec id %d is not compiled into this build (%s): skipped\n", codec, why);
    return 77;
}

void tu_need_codec(int codec) {
    if (!cmz_codec_by_id(codec)) {
        print_message("codec id %d is not compiled into this build: skipped\n", codec);
        skip();
    }
}

uint8_t *tu_compress(const cmz_params *params, const void *src, size_t n, size_t *size) {
    uint64_t bound = cmz_compress_bound(params, n);
    assert_true(bound > 0);
    uint8_t *dst = malloc((size_t)bound);
    assert_non_null(dst);
    cmz_error err;
    cmz_cctx *cctx = cmz_cctx_new(params, &err);
    assert_non_null(cctx);
    cmz_status st = cmz_compress(cctx, dst, (size_t)bound, size, src, n, &err);
    if (st != CMZ_OK) fail_msg("cmz_compress: %s", err.message);
    cmz_cctx_free(cctx);
    return dst;
}

uint64_t tu_get_le(const uint8_t *p, int bytes) {
    uint64_t v = 0;
    for (int i = bytes - 1; i >= 0; i--) v = (v << 8) | p[i];
    return v;
}

void tu_put_le(uint8_t *p, uint64_t v, int bytes) {
    for (int i = 0; i < bytes; i++) p[i] = (uint8_t)(v >> (8 * i));
}

void tu_fix_header_crc(uint8_t *h) { tu_put_le(h + 44, cmz_crc32c(0, h, 44), 4); }

void tu_fix_chunk_header_crc(uint8_t *r) { tu_put_le(r + 36, cmz_crc32c(0, r, 36), 4); }

void tu_fix_footer_crc(uint8_t *frame, size_t size) {
    uint8_t *f = frame + size - CMZ_FOOTER_SIZE;
    tu_put_le(f + 40, cmz_crc32c(0, f, 40), 4);
}

void tu_fix_index_crc(uint8_t *frame, size_t size) {
    const uint8_t *f = frame + size - CMZ_FOOTER_SIZE;
    uint64_t index_offset = tu_get_le(f, 8);
    uint8_t *x = frame + index_offset;
    size_t body = 16 + 16 * (size_t)tu_get_le(f + 16, 8);
    tu_put_le(x + body, cmz_crc32c(0, x, body), 4);
}

static int64_t nodata_pread(const cmz_source *src, void *buf, size_t n, uint64_t offset) {
    if (offset >= src->size) return 0;
    size_t take = n < src->size - offset ? n : (size_t)(src->size - offset);
    memcpy(buf, (const uint8_t *)src->opaque + offset, take);
    return (int64_t)take;
}

void tu_source_nodata(cmz_source *src, const void *data, size_t size) {
    memset(src, 0, sizeof *src);
    src->pread = nodata_pread;
    src->size = size;
    src->opaque = (void *)(uintptr_t)data;
    src->fd = -1;
}

/* atomic: library threads allocate and free too */
static atomic_long tu_fail_countdown; /* 0: never */
static atomic_long tu_live;

static void *tu_counting_alloc(void *opaque, size_t size) {
    (void)opaque;
    if (atomic_load(&tu_fail_countdown) && atomic_fetch_sub(&tu_fail_countdown, 1) == 1)
        return NULL;
    if (size > ((size_t)1 << 30)) return NULL;
    void *p = malloc(size);
    if (p) atomic_fetch_add(&tu_live, 1);
    return p;
}

static void tu_counting_free(void *opaque, void *ptr) {
    (void)opaque;
    atomic_fetch_sub(&tu_live, 1);
    free(ptr);
}

void tu_alloc_install(void) {
    atomic_store(&tu_fail_countdown, 0);
    atomic_store(&tu_live, 0);
    cmz_allocator a = {tu_counting_alloc, tu_counting_free, NULL};
    cmz_set_allocator(&a);
}

void tu_alloc_fail_after(long n) { atomic_store(&tu_fail_countdown, n); }
long tu_alloc_live(void) { return atomic_load(&tu_live); }
void tu_alloc_restore(void) { cmz_set_allocator(NULL); }
