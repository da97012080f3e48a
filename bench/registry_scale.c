/* The registry's per-operation cost as the number of resources grows (issue 22's bars). For
 * each count, registers that many resources of 4 to 64 KiB (a deterministic mix: 70%
 * temp_buffers, lz4, released under pressure; 15% file_cache, zstd, and 15% thumbnails, a type
 * with no policy entry of its own (so the default entry), both only ever compressed: they have
 * no release rule) and a few 32 MiB model_shards among them, usage source CMZ_USAGE_REGISTRY,
 * no monitor thread, under a budget of a quarter of the small resources' raw size plus room
 * for the shards (the default rules never release two of them). Then, with the reaper at
 * work, times each operation on 16 KiB probes of each type against the bare codec on the same
 * bytes in the same run, and prints a table per count and, at the end, each cost at N over its
 * cost at the first count (flat: 1.00).
 *
 *   build/bench/bench_registry_scale [--counts 1000,10000,100000] [--ops N] [--shards N]
 *
 * --counts 1000,10000,100000,1000000 adds the million (about 9 GiB of memory). docs/BENCH.md
 * says what each figure means. Bytes: the shards are the corpus's ONNX weights tiled
 * (generated without the corpus); temp_buffers hold bench_gen_mixed data, file_cache JSON log
 * lines, thumbnails RGBA tiles, all generated. */
#include "registry_scale.h"

#ifdef __GLIBC__
#include <malloc.h>
#endif

/* 32 MiB of model weights: the corpus's recognition model tiled, else generated data. */
static uint8_t *make_shard_source(bool *from_corpus) {
    uint8_t *p = malloc(SHARD_SIZE);
    char where[4096];
    size_t n = 8 * MiB;
    uint8_t *w = bench_corpus_slice("ch_PP-OCRv4_rec_infer.onnx", 0, n, where, sizeof where);
    if (!p) scale_die("malloc", NULL);
    *from_corpus = w != NULL;
    if (!w) bench_gen_mixed(p, SHARD_SIZE, 7);
    for (size_t at = 0; w && at < SHARD_SIZE; at += n) memcpy(p + at, w, n);
    free(w);
    return p;
}

/* ---- the population: resource i's type and size, the same for every count ---- */

static int small_kind(size_t i) {
    uint64_t s = i * 0x51ED27ull;
    unsigned pct = (unsigned)(bench_rnd(&s) % 100);
    return pct < kind_share[0] ? K_LZ4 : pct < kind_share[0] + kind_share[1] ? K_ZSTD : K_DEFAULT;
}
static size_t small_size(size_t i, size_t max_kib) { /* 4 KiB .. max_kib KiB */
    uint64_t s = i * 0xA24BAEDull + 1;
    return (4 + (size_t)(bench_rnd(&s) % (max_kib - 3))) * KiB;
}

/* ---- memory: the process's resident set, its peak reset per count ---- */

static uint64_t status_kib(const char *key) {
    FILE *f = fopen("/proc/self/status", "r");
    char line[256];
    uint64_t v = 0;
    size_t klen = strlen(key);
    while (f && fgets(line, sizeof line, f))
        if (!strncmp(line, key, klen) && line[klen] == ':') v = strtoull(line + klen + 1, NULL, 10);
    if (f) fclose(f);
    return v;
}
static bool reset_peak_rss(void) { /* "5": reset VmHWM to the current RSS (Linux 4.0+) */
    FILE *f = fopen("/proc/self/clear_refs", "w");
    bool ok = f && fputs("5", f) >= 0;
    if (f && fclose(f) != 0) ok = false;
    return ok;
}
static uint64_t mem_available(void) {
    FILE *f = fopen("/proc/meminfo", "r");
    char line[256];
    uint64_t v = 0;
    while (f && fgets(line, sizeof line, f))
        if (!strncmp(line, "MemAvailable:", 13)) v = strtoull(line + 13, NULL, 10) * 1024;
    if (f) fclose(f);
    return v;
}

/* The registry's totals (one call, so that a change of its signature is one edit). */
static void registry_totals(cmz_registry *reg, cmz_registry_type_stats *t) {
    size_t ntypes;
    cmz_error err;
    if (cmz_registry_stats(reg, t, NULL, 0, &ntypes, &err) != CMZ_OK)
        scale_die("cmz_registry_stats", &err);
}

/* The raw bytes of the small resources of a count, with sizes up to max_kib. */
static uint64_t small_raw(size_t count, size_t max_kib) {
    uint64_t raw = 0;
    for (size_t i = 0; i < count; i++) raw += small_size(i, max_kib);
    return raw;
}

/* Stored size of one shard once compressed by its type's policy (a registry of its own). */
static uint64_t shard_stored_size(const uint8_t *src) {
    cmz_registry_params p = cmz_registry_params_default();
    p.budget = (uint64_t)1 << 40;
    p.usage = CMZ_USAGE_REGISTRY;
    p.check_interval_ms = 0;
    cmz_error err;
    cmz_resource_info info;
    cmz_registry *reg = cmz_registry_new(&p, &err);
    if (!reg ||
        cmz_registry_add(reg, "model_shards:probe", (void *)src, SHARD_SIZE, CMZ_REGISTER_COPY,
                         &err) != CMZ_OK ||
        cmz_registry_compress(reg, "model_shards:probe", &err) != CMZ_OK ||
        cmz_registry_info(reg, "model_shards:probe", &info, &err) != CMZ_OK)
        scale_die("compressing a model shard", &err);
    cmz_registry_free(reg);
    return info.stored_size;
}

/* Registers count small resources and `shards` model shards (evenly among them) with the
 * reaper at work; adds[] gets the time of each small add. */
static cmz_registry *populate(kind *kinds, const uint8_t *shard_src, size_t count, unsigned shards,
                              uint64_t budget, result *r, double *adds) {
    cmz_registry_params p = cmz_registry_params_default();
    p.budget = budget;
    p.usage = CMZ_USAGE_REGISTRY;
    p.check_interval_ms = 0;
    cmz_error err;
    cmz_registry *reg = cmz_registry_new(&p, &err);
    if (!reg) scale_die("cmz_registry_new", &err);
    cmz_registry_type_stats before, after;
    registry_totals(reg, &before);
    unsigned next_shard = 0;
    double start = bench_now_ns(), total_adds = 0;
    for (size_t i = 0; i < count; i++) {
        char id[96];
        if (next_shard < shards && i == count * (next_shard + 1) / (shards + 1)) {
            /* Copied from the source, which is in the start: a buffer made here and adopted
             * would be 32 MiB of the bench's in the peak while the add makes room for it. The
             * copy is not the reaper's work: where the shard is held raw after its add (the
             * registry copied it, rather than compress it straight from the source), the time
             * of a copy like it (a fresh buffer filled from the source) is left out. */
            double t0 = bench_now_ns();
            uint8_t *s = malloc(SHARD_SIZE);
            if (!s) scale_die("malloc", NULL);
            memcpy(s, shard_src, SHARD_SIZE);
            free(s);
            double copy_ns = bench_now_ns() - t0;
            snprintf(id, sizeof id, "model_shards:layer%u", next_shard++);
            t0 = bench_now_ns();
            if (cmz_registry_add(reg, id, (void *)shard_src, SHARD_SIZE, CMZ_REGISTER_COPY, &err) !=
                CMZ_OK)
                scale_die("adding a shard", &err);
            double spent = bench_now_ns() - t0;
            cmz_resource_info info;
            if (cmz_registry_info(reg, id, &info, &err) != CMZ_OK)
                scale_die("a shard's info", &err);
            if (info.state == CMZ_RESOURCE_RAW) spent = spent > copy_ns ? spent - copy_ns : 0;
            total_adds += spent;
        }
        kind *k = &kinds[small_kind(i)];
        size_t n = small_size(i, r->max_kib);
        uint8_t *buf = scale_take_copy(k, scale_pool_offset(i, n), n);
        snprintf(id, sizeof id, "%s:r%zu", k->type, i);
        double t0 = bench_now_ns();
        if (cmz_registry_add(reg, id, buf, n, CMZ_REGISTER_ADOPT, &err) != CMZ_OK)
            scale_die("cmz_registry_add", &err);
        adds[i] = bench_now_ns() - t0;
        total_adds += adds[i];
    }
    registry_totals(reg, &after);
    uint64_t comps = after.compressed - before.compressed;
    uint64_t steps = comps + after.released - before.released;
    double codec_ns = (double)(after.compress_ns - before.compress_ns);
    printf("populated in %.1f s: ", (bench_now_ns() - start) / 1e9);
    r->pop_add = bench_median(adds + count - count / 4, (unsigned)(count / 4)); /* steady */
    r->steps_per_add = (double)steps / (double)count;
    r->codec_per_comp = comps ? codec_ns / (double)comps : 0;
    r->other_per_step = steps ? (total_adds - codec_ns) / (double)steps : 0;
    printf(
        "add median (last quarter) %.1f us; reaper %llu steps (%llu compressions, %llu releases), "
        "%.2f a step per add;\n  %.1f us of codec a compression, %.2f us of other work a "
        "step (adds' time less codec time and shards' copies, over steps)\n",
        r->pop_add / 1e3, (unsigned long long)steps, (unsigned long long)comps,
        (unsigned long long)(after.released - before.released), r->steps_per_add,
        r->codec_per_comp / 1e3, r->other_per_step / 1e3);
    return reg;
}

static void print_table(const kind *kinds, const result *r) {
    printf("  %-18s", "median ns (x bare)");
    for (int k = 0; k < NKINDS; k++) {
        char h[64];
        snprintf(h, sizeof h, "%s %s-%d%s", kinds[k].type, cmz_codec_name(kinds[k].codec),
                 kinds[k].level, kinds[k].own_entry ? "" : " (default)");
        printf(" %30s", h);
    }
    printf("\n  %-18s", "bare ratio");
    for (int k = 0; k < NKINDS; k++) printf(" %30.2f", r->bare_ratio[k]);
    printf("\n  %-18s", "bare compress");
    for (int k = 0; k < NKINDS; k++) printf(" %30.0f", r->bare_c[k]);
    printf("\n  %-18s", "bare decompress");
    for (int k = 0; k < NKINDS; k++) printf(" %30.0f", r->bare_d[k]);
    printf("\n  %-18s", "reaper steps/add");
    for (int k = 0; k < NKINDS; k++) printf(" %30.2f", r->add_steps[k]);
    for (int op = 0; op < NOPS; op++) {
        printf("\n  %-18s", op_name[op]);
        for (int k = 0; k < NKINDS; k++) {
            char c[64];
            double bare = op_vs_compress[op] ? r->bare_c[k] : r->bare_d[k];
            if (r->n[op][k])
                snprintf(c, sizeof c, "%.0f (%.2fx %s)", r->med[op][k], r->med[op][k] / bare,
                         op_vs_compress[op] ? "c" : "d");
            else snprintf(c, sizeof c, "-");
            printf(" %30s", c);
        }
    }
    unsigned least = UINT32_MAX;
    for (int op = 0; op < NOPS; op++)
        for (int k = 0; k < NKINDS; k++)
            if (r->n[op][k] && r->n[op][k] < least) least = r->n[op][k];
    printf("\n  (x bare: against the bare codec's compression, c, or decompression, d, of the "
           "same bytes; at least %u probes a median, '-': none measured)\n",
           least);
}

static void print_flatness(const kind *kinds, const result *res, size_t nres) {
    printf("\nflatness: median at N / median at %zu (1.00 = flat; bar at 1,000,000: <= 1.3 for "
           "add, get and release)\n",
           res[0].count);
    for (int op = -2; op < NOPS; op++)
        for (int k = 0; k < (op < 0 ? 1 : NKINDS); k++) {
            char name[96];
            if (op == -2) snprintf(name, sizeof name, "add (population)");
            else if (op == -1) snprintf(name, sizeof name, "reaper work/step");
            else snprintf(name, sizeof name, "%s, %s", op_name[op], kinds[k].type);
            printf("  %-32s", name);
            for (size_t i = 1; i < nres; i++) {
                double a = op == -2   ? res[i].pop_add
                           : op == -1 ? res[i].other_per_step
                                      : res[i].med[op][k];
                double b = op == -2   ? res[0].pop_add
                           : op == -1 ? res[0].other_per_step
                                      : res[0].med[op][k];
                if (a > 0 && b > 0) printf("  %zu: %.2f", res[i].count, a / b);
                else printf("  %zu: -", res[i].count);
            }
            printf("\n");
        }
}

static void usage(const char *argv0) {
    fprintf(stderr, "usage: %s [--counts N,N,...] [--ops N] [--shards N]\n", argv0);
    exit(2);
}

int main(int argc, char **argv) {
    setvbuf(stdout, NULL, _IOLBF, 0); /* a long run shows its progress */
    size_t counts[MAX_COUNTS] = {1000, 10000, 100000}, ncounts = 3;
    unsigned ops = 1000, shards = 2;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--counts") && i + 1 < argc) {
            char *s = argv[++i], *end;
            for (ncounts = 0; *s && ncounts < MAX_COUNTS; s = *end ? end + 1 : end) {
                counts[ncounts] = strtoul(s, &end, 10);
                if (end == s || counts[ncounts] < 10 || (*end && *end != ',')) usage(argv[0]);
                ncounts++;
            }
            if (!ncounts || *s) usage(argv[0]);
        } else if (!strcmp(argv[i], "--ops") && i + 1 < argc) ops = (unsigned)atoi(argv[++i]);
        else if (!strcmp(argv[i], "--shards") && i + 1 < argc) shards = (unsigned)atoi(argv[++i]);
        else usage(argv[0]);
    }
    if (ops < 1 || ops > 1000000 || shards > 64) usage(argv[0]);
    cmz_policy *policy = cmz_policy_new_default();
    if (!policy) scale_die("cmz_policy_new_default", NULL);
    kind kinds[NKINDS];
    for (int k = 0; k < NKINDS; k++) scale_kind_init(&kinds[k], policy, k);
    cmz_policy_free(policy);
    bool corpus;
    uint8_t *shard_src = make_shard_source(&corpus);
    uint64_t shard_stored = shards ? shard_stored_size(shard_src) : 0;
    cmz_registry_params defaults = cmz_registry_params_default();
    printf("registry_scale: small resources 4..64 KiB (%u%% %s, %u%% %s, %u%% %s), %u model "
           "shards of 32 MiB (%s; %.1f MiB each compressed);\nusage source registry, no "
           "monitor thread, up to %u probes of 16 KiB per type and operation (a quarter of the "
           "count at most); %u cores\n",
           kind_share[0], kind_type[0], kind_share[1], kind_type[1], kind_share[2], kind_type[2],
           shards, corpus ? "corpus ONNX weights, tiled" : "generated: no corpus",
           (double)shard_stored / (double)MiB, ops, cmz_cpu_count());
    printf("budget: a quarter of the small resources' raw bytes, plus the compressed shards / "
           "the warning mark (%.2f): the default release rules keep 2 model_shards "
           "(min_required), which cannot fit in a quarter of their size\n",
           defaults.warning);
    result *res = calloc(ncounts, sizeof *res);
    double *t[NOPS];
    if (!res) scale_die("malloc", NULL);
    for (int op = 0; op < NOPS; op++)
        if (!(t[op] = malloc(ops * sizeof(double)))) scale_die("malloc", NULL);
    for (size_t c = 0; c < ncounts; c++) {
        result *r = &res[c];
        r->count = counts[c];
        r->max_kib = 64;
        uint64_t room = (uint64_t)((double)(shards * shard_stored) / defaults.warning), budget;
        /* Memory the count needs: the budget and ~10% over it, plus bookkeeping. */
        uint64_t avail = mem_available(); /* 0: unknown, no cap */
        while ((budget = small_raw(r->count, r->max_kib) / 4 + room) / 10 * 12 +
                       (uint64_t)r->count * 512 >
                   avail &&
               avail && r->max_kib > 8)
            r->max_kib /= 2;
        double *adds = malloc(r->count * sizeof *adds);
        if (!adds) scale_die("malloc", NULL);
#ifdef __GLIBC__
        malloc_trim(0); /* the previous count's freed heap, so that it is not in the start */
#endif
        uint64_t base_kib = status_kib("VmRSS");
        bool peak_reset = reset_peak_rss();
        printf("\n== %zu resources of 4..%zu KiB%s (%.1f MiB raw) + %u shards: budget %.1f MiB\n",
               r->count, r->max_kib,
               r->max_kib < 64 ? ", sizes capped: 64 KiB would not fit in MemAvailable" : "",
               (double)small_raw(r->count, r->max_kib) / (double)MiB, shards,
               (double)budget / (double)MiB);
        cmz_registry *reg = populate(kinds, shard_src, r->count, shards, budget, r, adds);
        unsigned n_ops = ops < r->count / 4 ? ops : (unsigned)(r->count / 4);
        for (int k = 0; k < NKINDS; k++) {
            cmz_registry_type_stats a, b;
            registry_totals(reg, &a);
            scale_time_adds(reg, &kinds[k], k, n_ops, t, r);
            registry_totals(reg, &b);
            r->add_steps[k] =
                (double)(b.compressed - a.compressed + b.released - a.released) / (double)n_ops;
        }
        for (int k = 0; k < NKINDS; k++) scale_time_ops(reg, &kinds[k], k, n_ops, t, r);
        uint64_t peak_kib = status_kib("VmHWM"), usage = cmz_registry_usage(reg);
        cmz_registry_type_stats tot;
        registry_totals(reg, &tot);
        r->peak_ratio = (double)(peak_kib - base_kib) * 1024.0 / (double)budget;
        printf("  held at the end: %llu resources, usage %.1f MiB = %.2f x budget; peak RSS "
               "%.1f MiB over the start%s = %.2f x budget (bar <= 1.10)\n",
               (unsigned long long)tot.resources, (double)usage / (double)MiB,
               (double)usage / (double)budget, (double)(peak_kib - base_kib) / 1024.0,
               peak_reset ? "" : " (peak not resettable: the process's)", r->peak_ratio);
        print_table(kinds, r);
        cmz_registry_free(reg);
        free(adds);
    }
    if (ncounts > 1) print_flatness(kinds, res, ncounts);
    for (int op = 0; op < NOPS; op++) free(t[op]);
    for (int k = 0; k < NKINDS; k++) scale_kind_free(&kinds[k]);
    free(res);
    free(shard_src);
    return 0;
}
