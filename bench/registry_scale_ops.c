/* bench/registry_scale (registry_scale.c says what it measures): the types' data, the bare
 * codecs and the timed operations on probes. */
#include "registry_scale.h"

#include "cmz/snapshot.h"

#include <lz4.h>

const char *const kind_type[NKINDS] = {"temp_buffers", "file_cache", "thumbnails"};
const unsigned kind_share[NKINDS] = {70, 15, 15};
const char *const op_name[NOPS] = {"add",       "get (raw)", "get (compressed)", "replace",
                                   "pin+unpin", "release",   "rollback"};
const bool op_vs_compress[NOPS] = {true, false, false, true, false, true, false};

void scale_die(const char *what, const cmz_error *err) {
    fprintf(stderr, "bench_registry_scale: %s: %s\n", what, err ? err->message : "failed");
    exit(1);
}

static size_t bare_compress(kind *k, const uint8_t *src, size_t n) {
    if (k->codec_id == CMZ_CODEC_LZ4 && k->level < 3) {
        int r = LZ4_compress_fast_extState(k->lz4, (const char *)src, (char *)k->cbuf, (int)n,
                                           (int)k->cap, k->level == 0 ? 8 : 1);
        if (r <= 0) scale_die("LZ4_compress_fast_extState", NULL);
        return (size_t)r;
    }
    if (k->codec_id == CMZ_CODEC_ZSTD) {
        size_t r = ZSTD_compressCCtx(k->zc, k->cbuf, k->cap, src, n, k->level);
        if (ZSTD_isError(r)) scale_die("ZSTD_compressCCtx", NULL);
        return r;
    }
    size_t out;
    cmz_status s = cmz_codec_compress(k->cx, k->level, k->cbuf, k->cap, src, n, &out);
    if (s != CMZ_OK) scale_die("cmz_codec_compress", NULL);
    return out;
}

static void bare_decompress(kind *k, uint8_t *dst, size_t n, size_t csize) {
    bool ok;
    if (k->codec_id == CMZ_CODEC_LZ4 && k->level < 3)
        ok = LZ4_decompress_safe((const char *)k->cbuf, (char *)dst, (int)csize, (int)n) == (int)n;
    else if (k->codec_id == CMZ_CODEC_ZSTD)
        ok = ZSTD_decompressDCtx(k->zd, dst, n, k->cbuf, csize) == n;
    else ok = cmz_codec_decompress(k->cx, dst, n, k->cbuf, csize) == CMZ_OK;
    if (!ok) scale_die("bare decompression", NULL);
}

/* ---- data ---- */

static void fill_logs(uint8_t *p, size_t n, uint64_t seed) { /* file_cache: JSON log lines */
    static const char *const lv[] = {"DEBUG", "INFO", "INFO", "INFO", "WARN", "ERROR"};
    static const char *const mod[] = {"memory.reaper",   "codec.zstd",   "ui.timeline",
                                      "render.pipeline", "model.loader", "snapshot"};
    uint64_t s = seed;
    size_t at = 0;
    for (unsigned i = 0; at < n; i++) {
        char line[256];
        int k = snprintf(line, sizeof line,
                         "{\"ts\":\"2026-12-06T%02u:%02u:%02u.%03uZ\",\"level\":\"%s\",\"module\":"
                         "\"%s\",\"bytes\":%llu,\"resource\":\"clip:%llu\"}\n",
                         i / 3600000 % 24, i / 60000 % 60, i / 1000 % 60, i % 1000,
                         lv[bench_rnd(&s) % 6], mod[bench_rnd(&s) % 6],
                         (unsigned long long)(bench_rnd(&s) % 100000000),
                         (unsigned long long)(bench_rnd(&s) % 512));
        size_t take = (size_t)k < n - at ? (size_t)k : n - at;
        memcpy(p + at, line, take);
        at += take;
    }
}

static void fill_tiles(uint8_t *p, size_t n, uint64_t seed) { /* thumbnails: RGBA, some noise */
    uint64_t s = seed;
    for (size_t i = 0; i < n; i++) {
        size_t px = i / 4, x = px % 256, y = px / 256;
        p[i] = i % 4 == 3 ? 255 : (uint8_t)((x * (i % 4 + 1) + y * 3) / 4 + (bench_rnd(&s) & 1));
    }
}

void scale_kind_init(kind *k, const cmz_policy *policy, int which) {
    static void (*const fill[NKINDS])(uint8_t *, size_t, uint64_t) = {bench_gen_mixed, fill_logs,
                                                                      fill_tiles};
    const cmz_policy_entry *e = cmz_policy_lookup(policy, kind_type[which]);
    memset(k, 0, sizeof *k);
    k->type = kind_type[which];
    k->own_entry = cmz_policy_get(policy, kind_type[which]) != NULL;
    k->codec_id = e->codec;
    k->level = e->level;
    k->codec = cmz_codec_by_id(e->codec);
    if (!k->codec) scale_die("the policy names a codec this build lacks", NULL);
    k->pool = malloc(POOL_SIZE);
    k->cap = cmz_codec_bound(k->codec, 64 * KiB);
    k->cbuf = malloc(k->cap);
    k->lz4 = malloc((size_t)LZ4_sizeofState());
    k->zc = ZSTD_createCCtx();
    k->zd = ZSTD_createDCtx();
    k->cx = cmz_codec_ctx_new(k->codec);
    if (!k->pool || !k->cbuf || !k->lz4 || !k->zc || !k->zd || !k->cx)
        scale_die("out of memory", NULL);
    fill[which](k->pool, POOL_SIZE, 1000u + (unsigned)which);
}

void scale_kind_free(kind *k) {
    free(k->pool);
    free(k->cbuf);
    free(k->lz4);
    ZSTD_freeCCtx(k->zc);
    ZSTD_freeDCtx(k->zd);
    cmz_codec_ctx_free(k->cx);
}

size_t scale_pool_offset(size_t i, size_t n) { /* where resource i's bytes start in its pool */
    uint64_t s = i * 0x9FB21C65ull + 2;
    return (size_t)(bench_rnd(&s) % (POOL_SIZE - n)) & ~(size_t)3;
}

uint8_t *scale_take_copy(const kind *k, size_t off, size_t n) {
    uint8_t *p = malloc(n);
    if (!p) scale_die("malloc", NULL);
    memcpy(p, k->pool + off, n);
    return p;
}

static bool has_state(cmz_registry *reg, const char *id, cmz_resource_state state) {
    cmz_resource_info info;
    return cmz_registry_info(reg, id, &info, NULL) == CMZ_OK && info.state == state;
}

#define TIME(var, call)                           \
    do {                                          \
        double t0_ = bench_now_ns();              \
        cmz_status s_ = (call);                   \
        var = bench_now_ns() - t0_;               \
        if (s_ != CMZ_OK) scale_die(#call, &err); \
    } while (0)
#define KEEP(op, v) t[op][r->n[op][which]++] = (v)

/* Adds `ops` probes of kind k (16 KiB) in a row, timed, with the registry at its warning mark:
 * each add makes the reaper compress or release about one probe's worth (the raw resources it
 * compresses are the earlier probes: the population is compressed by then). They stay. */
void scale_time_adds(cmz_registry *reg, kind *k, int which, unsigned ops, double **t, result *r) {
    cmz_error err;
    double ns;
    r->n[OP_ADD][which] = 0;
    for (unsigned j = 0; j < ops; j++) {
        char id[96];
        snprintf(id, sizeof id, "%s:add%u", k->type, j);
        size_t off = scale_pool_offset(2000000011u + j * 7u + (unsigned)which, PROBE_SIZE);
        uint8_t *buf = scale_take_copy(k, off, PROBE_SIZE);
        TIME(ns, cmz_registry_add(reg, id, buf, PROBE_SIZE, CMZ_REGISTER_ADOPT, &err));
        KEEP(OP_ADD, ns);
    }
    r->med[OP_ADD][which] = bench_median(t[OP_ADD], ops);
}

/* Times the other operations on `ops` fresh probes of kind k, each in turn: get while raw,
 * pin+unpin, replace, get once compressed, release, rollback (where the release took a
 * snapshot); then removes it. A probe the reaper took meanwhile is skipped (counts show). */
void scale_time_ops(cmz_registry *reg, kind *k, int which, unsigned ops, double **t, result *r) {
    cmz_snapshots *snaps = cmz_registry_snapshots(reg);
    double *bc = malloc(ops * sizeof *bc), *bd = malloc(ops * sizeof *bd), ns;
    uint8_t out[PROBE_SIZE];
    cmz_error err;
    size_t got, compressed = 0;
    if (!bc || !bd) scale_die("malloc", NULL);
    for (unsigned op = OP_ADD + 1; op < NOPS; op++) r->n[op][which] = 0;
    for (unsigned j = 0; j < ops; j++) {
        char id[96];
        size_t off = scale_pool_offset(1000000007u + j * 7u + (unsigned)which, PROBE_SIZE);
        const uint8_t *bytes = k->pool + off;
        snprintf(id, sizeof id, "%s:probe%u", k->type, j);
        double t0 = bench_now_ns();
        size_t csize = bare_compress(k, bytes, PROBE_SIZE);
        compressed += csize;
        double t1 = bench_now_ns();
        bare_decompress(k, out, PROBE_SIZE, csize);
        bd[j] = bench_now_ns() - t1;
        bc[j] = t1 - t0;
        if (memcmp(out, bytes, PROBE_SIZE)) scale_die("bare round trip differs", NULL);
        if (cmz_registry_add(reg, id, scale_take_copy(k, off, PROBE_SIZE), PROBE_SIZE,
                             CMZ_REGISTER_ADOPT, &err) != CMZ_OK)
            scale_die("cmz_registry_add", &err);
        if (has_state(reg, id, CMZ_RESOURCE_COMPRESSED)) { /* the reaper took it: raw again */
            if (cmz_registry_pin(reg, id, NULL, &got, &err) != CMZ_OK ||
                cmz_registry_unpin(reg, id, &err) != CMZ_OK)
                scale_die("pin/unpin", &err);
        }
        if (!has_state(reg, id, CMZ_RESOURCE_RAW)) continue;
        TIME(ns, cmz_registry_get(reg, id, out, sizeof out, &got, &err));
        KEEP(OP_GET_RAW, ns);
        t0 = bench_now_ns();
        if (cmz_registry_pin(reg, id, NULL, &got, &err) != CMZ_OK ||
            cmz_registry_unpin(reg, id, &err) != CMZ_OK)
            scale_die("pin/unpin", &err);
        KEEP(OP_PIN, bench_now_ns() - t0);
        TIME(ns, cmz_registry_replace(reg, id, scale_take_copy(k, off, PROBE_SIZE), PROBE_SIZE,
                                      CMZ_REGISTER_ADOPT, &err));
        KEEP(OP_REPLACE, ns);
        if (!cmz_registry_contains(reg, id)) continue;
        if (cmz_registry_compress(reg, id, &err) != CMZ_OK)
            scale_die("cmz_registry_compress", &err);
        if (!has_state(reg, id, CMZ_RESOURCE_COMPRESSED)) continue;
        memset(out, 0, sizeof out);
        TIME(ns, cmz_registry_get(reg, id, out, sizeof out, &got, &err));
        KEEP(OP_GET_COMP, ns);
        if (memcmp(out, bytes, PROBE_SIZE)) scale_die("get returned other bytes", NULL);
        TIME(ns, cmz_registry_release(reg, id, &err));
        KEEP(OP_RELEASE, ns);
        if (!cmz_snapshots_has(snaps, id)) continue; /* not eligible: released for good */
        TIME(ns, cmz_snapshots_rollback(snaps, id, &err));
        KEEP(OP_ROLLBACK, ns);
        if (cmz_registry_get(reg, id, out, sizeof out, &got, &err) != CMZ_OK ||
            memcmp(out, bytes, PROBE_SIZE))
            scale_die("rolled back bytes differ", &err);
        cmz_snapshots_delete(snaps, id, NULL);
        if (cmz_registry_remove(reg, id, &err) != CMZ_OK) scale_die("cmz_registry_remove", &err);
    }
    for (unsigned op = OP_ADD + 1; op < NOPS; op++)
        r->med[op][which] = r->n[op][which] ? bench_median(t[op], r->n[op][which]) : 0;
    r->bare_c[which] = bench_median(bc, ops);
    r->bare_d[which] = bench_median(bd, ops);
    r->bare_ratio[which] = (double)ops * (double)PROBE_SIZE / (double)compressed;
    free(bc);
    free(bd);
}
#undef KEEP
