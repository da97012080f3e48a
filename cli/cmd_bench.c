/* `cmz bench [FILE...]`: every codec at a useful set of levels (or -a ALGO -l RANGE), with
 * and without the typed-data filters where the data suits them, on the files given or on the
 * built-in samples; an lzbench-like table, --csv, --json, --plot FILE.svg, --recommend and
 * --write-policy FILE. The measuring itself is in cli/bench/ (benchkit.h). */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "args.h"
#include "atomic_file.h"
#include "bench/benchkit.h"
#include "cmz/policy.h"
#include "commands.h"
#include "io_fd.h"
#include "messages.h"
#include "numbers.h"

typedef struct {
    const char *algo;
    int levels[64];
    int nlevels;
    bool csv, json, recommend, hw, filters, quiet;
    const char *plot, *write_policy, *config;
    double seconds;
    unsigned threads; /* the all-core figure's threads */
    uint64_t sizes[8];
    int nsizes;
    unsigned typesize; /* for files: the element size the filters use (0: no filters) */
    char **files;
    int nfiles;
} bench_opts;

typedef struct {
    char name[64];
    uint8_t *data;
    size_t size;
    unsigned typesize;       /* 0: filters do not suit it */
    const char *policy_type; /* NULL: stands for every type (a user's file) */
} input;

static volatile int stop_flag;
static void on_sigint(int sig) {
    (void)sig;
    stop_flag = 1;
}

static void bench_usage(FILE *to) {
    fputs("usage: cmz bench [OPTIONS] [FILE...]\n"
          "Measures every codec at a set of levels on FILEs, or on built-in samples (text,\n"
          "binary, numeric, model weights, SRT subtitles, JSON logs, an fp16 attention cache,\n"
          "a render cache, random data; 0.5 MB and 5 MB each): ratio, compression and\n"
          "decompression speed in MB/s of uncompressed data (median of timed runs after a\n"
          "warm-up, with the spread), peak memory, single-thread and all-core.\n"
          "  -a ALGO           one codec only        -l RANGE   its levels: 3, 1-9, 1,3,9\n"
          "                                          (zstd's fast levels: -5--1)\n"
          "  -T#, --threads=#  all-core threads, 0..256 (default 0: every core; 1: single only)\n"
          "  --size LIST       sample sizes (default 512K,5M), e.g. --size 1M,16M\n"
          "  --time SECONDS    time per figure (default 0.02; at least one run, at most 15)\n"
          "  --typesize N      element size of FILEs, to try the typed-data filters\n"
          "  --no-filters      no filter variants\n"
          "  --csv, --json     machine-readable output (docs/BENCH.md, docs/bench.schema.json)\n"
          "  --plot FILE.svg   ratio against compression speed, the Pareto front drawn\n"
          "  --recommend       per resource type of the policy: the configuration fitting its\n"
          "                    priority (high: speed first; low: ratio first)\n"
          "  --write-policy F  save the policy with those recommendations (implies --recommend)\n"
          "  --config FILE     the policy to recommend for (default: as for --type)\n"
          "  --hw              thread sweep of the CPU backend; says which others are absent\n"
          "  -q                no progress line\n"
          "Ctrl-C stops and prints what was measured so far (exit 130).\n",
          to);
}

static int usage(const char *what, const char *arg) {
    fprintf(stderr, "cmz bench: %s%s%s\ncmz: try 'cmz bench --help'\n", what, arg ? " " : "",
            arg ? arg : "");
    return CLI_EXIT_USAGE;
}

/* After a bad value has been reported (numbers.h). */
static int bad_value(void) {
    fputs("cmz: try 'cmz bench --help'\n", stderr);
    return CLI_EXIT_USAGE;
}

/* One level or a range of them, "3", "1-9", "-5--1" (zstd's fast levels), into o. */
static int parse_level_range(char *tok, bench_opts *o) {
    enum { BOUND = 999 };
    char *dash = strchr(tok + 1, '-');
    int64_t a, b;
    if (dash) *dash = '\0';
    if (cli_parse_int(tok, -BOUND, BOUND, &a) != 0) return -1;
    if (!dash) b = a;
    else if (cli_parse_int(dash + 1, -BOUND, BOUND, &b) != 0) return -1;
    if (a > b || b - a > 63) return -1;
    for (int64_t l = a; l <= b && o->nlevels < 64; l++) o->levels[o->nlevels++] = (int)l;
    return 0;
}

/* "3", "1-9", "1,3,9" (ranges and lists mixed). */
static int parse_levels(const char *text, bench_opts *o) {
    char *copy = strdup(text), *save = NULL;
    if (!copy) return -1;
    int rc = 0;
    for (char *tok = strtok_r(copy, ",", &save); tok && rc == 0; tok = strtok_r(NULL, ",", &save))
        rc = parse_level_range(tok, o);
    free(copy);
    return rc == 0 && o->nlevels ? 0 : -1;
}

static int parse_sizes(const char *text, bench_opts *o) {
    o->nsizes = 0;
    char *copy = strdup(text), *save = NULL;
    if (!copy) return -1;
    int rc = 0;
    for (char *tok = strtok_r(copy, ",", &save); tok && rc == 0; tok = strtok_r(NULL, ",", &save)) {
        uint64_t v;
        if (o->nsizes == 8 || cli_parse_size(tok, 1, (uint64_t)1 << 32, &v) != 0) rc = -1;
        else o->sizes[o->nsizes++] = v;
    }
    free(copy);
    return rc == 0 && o->nsizes ? 0 : -1;
}

/* The options whose value is a number, at argv[*i] (the value in it or next). Returns -1 when
 * applied, 0 when it is none of them, else the exit code. */
static int parse_number(int argc, char **argv, int *i, bench_opts *o) {
    const char *a = argv[*i];
    const char *next = *i + 1 < argc ? argv[*i + 1] : NULL;
    uint64_t n;
    if (!strncmp(a, "-T", 2) || !strncmp(a, "--threads", 9)) {
        bool short_form = a[1] == 'T';
        const char *v = short_form ? a + 2 : a + 9;
        if (!short_form && *v && *v != '=') return 0; /* --threadsX */
        if (*v == '=' && !short_form) v++;
        else if (!*v) v = next, ++*i;
        if (cli_uint_arg("cmz bench", short_form ? "-T" : "--threads", v, 0, 256, &n) != 0)
            return bad_value();
        o->threads = (unsigned)n;
    } else if (!strcmp(a, "--size")) {
        ++*i;
        if (!next || parse_sizes(next, o) != 0) {
            cli_bad_value("cmz bench", a, next, "up to 8 sizes, each 1..4G; units K, M, G");
            return bad_value();
        }
    } else if (!strcmp(a, "--time")) {
        ++*i;
        if (cli_parse_decimal(next, 0, 60, &o->seconds) != 0) {
            cli_bad_value("cmz bench", a, next, "0..60 seconds, such as 0.5");
            return bad_value();
        }
    } else if (!strcmp(a, "--typesize")) {
        ++*i;
        if (cli_parse_uint(next, 2, 8, &n) != 0 || (n & (n - 1)) != 0) {
            cli_bad_value("cmz bench", a, next, "2, 4 or 8");
            return bad_value();
        }
        o->typesize = (unsigned)n;
    } else {
        return 0;
    }
    return -1;
}

/* The codec -a named; NULL without -a or for a name this build lacks. */
static const cmz_codec *algo_codec(const bench_opts *o) {
    const cmz_codec *c = NULL;
    if (o->algo) cmz_codec_by_name(o->algo, &c, NULL);
    return c;
}

static int parse(int argc, char **argv, bench_opts *o) {
    memset(o, 0, sizeof *o);
    o->filters = true;
    o->seconds = 0.02;
    o->sizes[0] = 512 * 1024;
    o->sizes[1] = 5 * 1024 * 1024;
    o->nsizes = 2;
    o->files = argv + 1;
    const char *levels = NULL;
    int rc;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
            bench_usage(stdout);
            return CLI_EXIT_OK;
        } else if (!strcmp(a, "-a") || !strcmp(a, "--algorithm")) {
            if (!v) return usage("-a needs a codec", NULL);
            o->algo = v, i++;
        } else if (!strcmp(a, "-l") || !strcmp(a, "--levels")) {
            if (!v) return usage("-l needs a range", NULL);
            levels = v, i++;
        } else if ((rc = parse_number(argc, argv, &i, o)) != 0) {
            if (rc >= 0) return rc;
        } else if (!strcmp(a, "--no-filters")) o->filters = false;
        else if (!strcmp(a, "--csv")) o->csv = true;
        else if (!strcmp(a, "--json")) o->json = true;
        else if (!strcmp(a, "--recommend")) o->recommend = true;
        else if (!strcmp(a, "--hw")) o->hw = true;
        else if (!strcmp(a, "-q") || !strcmp(a, "--quiet")) o->quiet = true;
        else if (!strcmp(a, "--plot") || !strcmp(a, "--write-policy") || !strcmp(a, "--config")) {
            if (!v) return usage("option needs a file:", a);
            if (!strcmp(a, "--plot")) o->plot = v;
            else if (!strcmp(a, "--config")) o->config = v;
            else o->write_policy = v, o->recommend = true;
            i++;
        } else if (a[0] == '-' && a[1]) return usage("unknown option", a);
        else o->files[o->nfiles++] = argv[i];
    }
    if (o->csv && o->json) return usage("--csv and --json exclude each other", NULL);
    if (levels && !o->algo) return usage("-l needs -a ALGO", NULL);
    const cmz_codec *c = algo_codec(o);
    if (o->algo && !c) return usage("unknown or absent codec", o->algo);
    bool levels_ok = !levels || parse_levels(levels, o) == 0;
    for (int i = 0; levels_ok && i < o->nlevels; i++)
        levels_ok = cmz_codec_check_level(c, o->levels[i], NULL, NULL) == CMZ_OK;
    if (!levels_ok) {
        char valid[96];
        snprintf(valid, sizeof valid, "3, 1-9 or 1,3,9 within %s's levels %d..%d", o->algo,
                 cmz_codec_min_level(c), cmz_codec_max_level(c));
        cli_bad_value("cmz bench", "-l", levels, valid);
        return bad_value();
    }
    if (o->threads == 0) o->threads = cmz_cpu_count();
    return -1;
}

/* ---- what to measure ------------------------------------------------------------------- */

static size_t add(bk_config *cfgs, size_t n, size_t cap, int codec, int level, int filter,
                  unsigned typesize) {
    if (n == cap || !cmz_codec_by_id(codec)) return n;
    cfgs[n] = (bk_config){codec, level, filter, typesize ? typesize : 1};
    return n + 1;
}

/* The default set: each codec at levels from fast to strong, chosen so that the whole run on
 * the built-in samples stays within a minute on two cores. */
static size_t default_configs(bk_config *c, size_t cap) {
    static const struct {
        int codec, level;
    } set[] = {{CMZ_CODEC_LZ4, 1},    {CMZ_CODEC_LZ4, 9},   {CMZ_CODEC_SNAPPY, 0},
               {CMZ_CODEC_ZSTD, 1},   {CMZ_CODEC_ZSTD, 3},  {CMZ_CODEC_ZSTD, 9},
               {CMZ_CODEC_GZIP, 1},   {CMZ_CODEC_GZIP, 6},  {CMZ_CODEC_BROTLI, 1},
               {CMZ_CODEC_BROTLI, 5}, {CMZ_CODEC_BZIP2, 9}, {CMZ_CODEC_LZMA, 0},
               {CMZ_CODEC_RANS, 0}};
    size_t n = 0;
    for (size_t i = 0; i < sizeof set / sizeof *set; i++)
        n = add(c, n, cap, set[i].codec, set[i].level, CMZ_FILTER_NONE, 1);
    return n;
}

/* Variants for typed data: the planes codec at the data's element size, and the shuffle and
 * planes filters before the fast and the default codecs. */
static size_t filter_configs(bk_config *c, size_t n, size_t cap, const bench_opts *o,
                             unsigned typesize) {
    if (!o->filters || !typesize) return n;
    /* the typed codec, told the element size (it cuts the planes itself) */
    if (!o->algo || cmz_codec_id_of(algo_codec(o)) == CMZ_CODEC_PLANES)
        n = add(c, n, cap, CMZ_CODEC_PLANES, 0, CMZ_FILTER_NONE, typesize);
    static const int filters[] = {CMZ_FILTER_SHUFFLE, CMZ_FILTER_PLANES};
    for (size_t f = 0; f < 2; f++) {
        if (cmz_filter_check(filters[f], typesize) != CMZ_OK) continue;
        if (o->algo) {
            int id = (int)cmz_codec_id_of(algo_codec(o));
            for (int i = 0; i < o->nlevels; i++)
                n = add(c, n, cap, id, o->levels[i], filters[f], typesize);
            if (!o->nlevels)
                n = add(c, n, cap, id, cmz_codec_default_level(cmz_codec_by_id(id)), filters[f],
                        typesize);
        } else {
            n = add(c, n, cap, CMZ_CODEC_LZ4, 1, filters[f], typesize);
            n = add(c, n, cap, CMZ_CODEC_ZSTD, 3, filters[f], typesize);
            if (filters[f] == CMZ_FILTER_PLANES)
                n = add(c, n, cap, CMZ_CODEC_RANS, 0, filters[f], typesize);
        }
    }
    return n;
}

static size_t base_configs(const bench_opts *o, bk_config *c, size_t cap) {
    if (!o->algo) return default_configs(c, cap);
    const cmz_codec *codec = algo_codec(o);
    int id = (int)cmz_codec_id_of(codec);
    size_t n = 0;
    if (!o->nlevels) return add(c, 0, cap, id, cmz_codec_default_level(codec), CMZ_FILTER_NONE, 1);
    for (int i = 0; i < o->nlevels; i++) n = add(c, n, cap, id, o->levels[i], CMZ_FILTER_NONE, 1);
    return n;
}

/* ---- inputs ---------------------------------------------------------------------------- */

static int load_file(const char *path, input *in) {
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    struct stat st;
    if (fd < 0 || fstat(fd, &st) != 0) {
        int e = errno;
        if (fd >= 0) close(fd);
        return cli_errorf(path, "%s", strerror(e));
    }
    if (!S_ISREG(st.st_mode) || st.st_size > ((off_t)1 << 32)) {
        close(fd);
        return cli_errorf(path, "%s",
                          S_ISREG(st.st_mode) ? "larger than 4 GiB: give a part of it"
                                              : "not a regular file");
    }
    in->size = (size_t)st.st_size;
    in->data = malloc(in->size ? in->size : 1);
    size_t got = 0;
    while (in->data && got < in->size) {
        ssize_t r = read(fd, in->data + got, in->size - got);
        if (r <= 0) break;
        got += (size_t)r;
    }
    close(fd);
    if (!in->data || got != in->size) {
        free(in->data);
        in->data = NULL;
        return cli_errorf(path, "cannot read it whole");
    }
    const char *base = strrchr(path, '/');
    snprintf(in->name, sizeof in->name, "%s", base ? base + 1 : path);
    return 0;
}

static int make_inputs(const bench_opts *o, input **out, size_t *count) {
    size_t n = o->nfiles ? (size_t)o->nfiles : (size_t)BK_SAMPLE_COUNT * (size_t)o->nsizes;
    input *in = calloc(n, sizeof *in);
    if (!in) return cli_errorf(NULL, "out of memory");
    *out = in;
    *count = 0;
    for (int f = 0; f < o->nfiles; f++) {
        if (load_file(o->files[f], &in[f]) != 0) return CLI_EXIT_ERROR;
        in[f].typesize = o->typesize;
        *count = (size_t)f + 1;
    }
    if (o->nfiles) return 0;
    for (int s = 0; s < o->nsizes; s++)
        for (int k = 0; k < BK_SAMPLE_COUNT; k++) {
            input *i = &in[*count];
            char size[32];
            uint64_t b = o->sizes[s];
            if (b % (1024 * 1024) == 0)
                snprintf(size, sizeof size, "%lluM", (unsigned long long)(b >> 20));
            else if (b % 1024 == 0)
                snprintf(size, sizeof size, "%lluK", (unsigned long long)(b >> 10));
            else snprintf(size, sizeof size, "%llu", (unsigned long long)b);
            snprintf(i->name, sizeof i->name, "%s-%s", bk_sample_name((bk_sample)k), size);
            i->size = (size_t)b;
            i->data = bk_sample_make((bk_sample)k, i->size, (uint64_t)s + 1);
            i->typesize = bk_sample_typesize((bk_sample)k);
            i->policy_type = bk_sample_policy_type((bk_sample)k);
            if (!i->data) return cli_errorf(NULL, "out of memory for the samples");
            ++*count;
        }
    return 0;
}

/* The all-core figure only where the input spans several chunks of the configuration. */
static bool wanted(const bk_config *cfg, unsigned threads, size_t size) {
    if (threads == 1) return true;
    cmz_params p = cmz_params_default(), r;
    p.codec = cfg->codec;
    return cmz_params_resolve(&p, &r, NULL) == CMZ_OK && size >= 2 * (size_t)r.chunk_size;
}

/* ---- progress ------------------------------------------------------------------------- */

static void progress(const bench_opts *o, size_t done, size_t total, const char *what) {
    if (o->quiet || !isatty(STDERR_FILENO)) return;
    fprintf(stderr, "\r\033[K[%zu/%zu] %s", done, total, what);
    fflush(stderr);
}

static void progress_end(const bench_opts *o) {
    if (!o->quiet && isatty(STDERR_FILENO)) fputs("\r\033[K", stderr);
}

/* ---- recommendation ------------------------------------------------------------------- */

static int recommend(const bench_opts *o, const input *in, size_t nin, const bk_result *rows,
                     size_t nrows, FILE *to) {
    cmz_diags *diags = cmz_diags_new();
    cmz_policy *policy = NULL;
    cmz_policy_location loc;
    cmz_status st = diags ? cmz_policy_open(o->config, false, &policy, &loc, diags) : CMZ_ERR_NOMEM;
    if (st != CMZ_OK) {
        for (size_t i = 0; diags && i < cmz_diags_count(diags); i++) {
            char line[512];
            cmz_diag_format(cmz_diags_at(diags, i), line, sizeof line);
            fprintf(stderr, "cmz: %s\n", line);
        }
        cmz_diags_free(diags);
        return cli_errorf(NULL, "cannot load the policy: %s", cmz_strerror(st));
    }
    bk_result *subset = malloc((nrows ? nrows : 1) * sizeof *subset);
    bk_point *points = malloc((nrows ? nrows : 1) * sizeof *points);
    int rc = subset && points ? 0 : cli_errorf(NULL, "out of memory");
    fprintf(to, "\nRecommendation (policy: %s):\n",
            loc.source == CMZ_POLICY_SOURCE_BUILTIN ? "built-in" : loc.path);
    for (size_t t = 0; rc == 0 && t < cmz_policy_count(policy); t++) {
        const cmz_policy_entry *e = cmz_policy_at(policy, t);
        /* the inputs that stand for this type: its samples, else every input */
        bool any = false;
        for (size_t i = 0; i < nin; i++)
            any = any || (in[i].policy_type && !strcmp(in[i].policy_type, e->type));
        size_t ns = 0;
        for (size_t r = 0; r < nrows; r++) {
            bool mine = !any;
            for (size_t i = 0; !mine && i < nin; i++)
                mine = !strcmp(rows[r].input, in[i].name) && in[i].policy_type &&
                       !strcmp(in[i].policy_type, e->type);
            if (mine) subset[ns++] = rows[r];
        }
        size_t np = bk_pool(subset, ns, points, nrows);
        size_t best = bk_recommend(points, np, e->priority);
        if (best == SIZE_MAX) {
            fprintf(to, "  %-20s %-6s  (no configuration shrinks its data)\n", e->type,
                    cmz_priority_name(e->priority));
            continue;
        }
        const bk_point *p = &points[best];
        fprintf(to,
                "  %-20s %-6s  %-24s ratio %.3f, %.1f MB/s compress, %.1f MB/s "
                "decompress%s\n",
                e->type, cmz_priority_name(e->priority), p->config, p->ratio, p->c_mbps, p->d_mbps,
                any ? "" : " (on all inputs)");
        if (o->write_policy) {
            char level[16], ts[16];
            snprintf(level, sizeof level, "%d", p->cfg.level);
            snprintf(ts, sizeof ts, "%u", p->cfg.typesize);
            cmz_policy_setting s[] = {{"algorithm", cmz_codec_name(cmz_codec_by_id(p->cfg.codec))},
                                      {"level", level},
                                      {"filter", cmz_filter_name(p->cfg.filter)},
                                      {"typesize", ts}};
            if (cmz_policy_update(policy, e->type, s, 4, diags) != CMZ_OK)
                rc = cli_errorf(o->write_policy, "cannot set type %s", e->type);
        }
    }
    if (rc == 0 && o->write_policy) {
        size_t size = 0;
        cmz_policy_format(policy, NULL, 0, &size);
        char *text = malloc(size + 1);
        atomic_file af;
        if (!text || cmz_policy_format(policy, text, size + 1, &size) != CMZ_OK)
            rc = cli_errorf(o->write_policy, "cannot format the policy");
        else if (atomic_file_open(&af, o->write_policy, 0644) != 0)
            rc = cli_errorf(o->write_policy, "%s", strerror(errno));
        else if (cli_write_all(af.fd, text, size) != 0) {
            rc = cli_errorf(o->write_policy, "%s", strerror(errno));
            atomic_file_abort(&af);
        } else if (atomic_file_commit(&af, true) != 0)
            rc = cli_errorf(o->write_policy, "%s", strerror(errno));
        else fprintf(to, "policy written to %s\n", o->write_policy);
        free(text);
    }
    free(subset);
    free(points);
    cmz_policy_free(policy);
    cmz_diags_free(diags);
    return rc;
}

/* ---- the command ---------------------------------------------------------------------- */

int cmz_cmd_bench(int argc, char **argv) {
    bench_opts o;
    int rc = parse(argc, argv, &o);
    if (rc >= 0) return rc;
    bk_count_allocations(); /* before any other libcmz call */
    /* Before the samples are made: a background job inherits SIGINT ignored, so a Ctrl-C or
     * `kill -INT` that came before the handler would be lost and the bench would run on. */
    struct sigaction sa, old;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_sigint;
    sigaction(SIGINT, &sa, &old);
    input *in = NULL;
    size_t nin = 0;
    if ((rc = make_inputs(&o, &in, &nin)) != 0) goto done_inputs;

    bk_config base[64], cfgs[96];
    size_t nbase = base_configs(&o, base, 64);
    /* thread counts: 1, and all cores (--hw: every power of two up to all cores) */
    unsigned threads[16], nthreads = 0;
    threads[nthreads++] = 1;
    for (unsigned t = 2; o.hw && t < o.threads && nthreads < 15; t *= 2) threads[nthreads++] = t;
    if (o.threads > 1) threads[nthreads++] = o.threads;
    size_t total = 0;
    for (size_t i = 0; i < nin; i++) {
        memcpy(cfgs, base, nbase * sizeof *base);
        size_t ncfg = filter_configs(cfgs, nbase, 96, &o, in[i].typesize);
        total++;
        for (size_t c = 0; c < ncfg; c++)
            for (unsigned t = 0; t < nthreads; t++)
                total += wanted(&cfgs[c], threads[t], in[i].size);
    }
    bk_result *rows = calloc(total ? total : 1, sizeof *rows);
    if (!rows) {
        rc = cli_errorf(NULL, "out of memory");
        goto done_inputs;
    }
    bk_timing timing = {o.seconds, 15, &stop_flag};
    size_t nrows = 0, done = 0;
    for (size_t i = 0; i < nin && !stop_flag; i++) {
        memcpy(cfgs, base, nbase * sizeof *base);
        size_t ncfg = filter_configs(cfgs, nbase, 96, &o, in[i].typesize);
        bk_config copy = {-1, 0, CMZ_FILTER_NONE, 1};
        cmz_error err;
        bk_measure(&copy, 1, in[i].data, in[i].size, in[i].name, &timing, &rows[nrows++], &err);
        done++;
        for (size_t c = 0; c < ncfg && !stop_flag; c++)
            for (unsigned t = 0; t < nthreads && !stop_flag; t++) {
                if (!wanted(&cfgs[c], threads[t], in[i].size)) continue;
                bk_config_name(&cfgs[c], rows[nrows].config, sizeof rows[nrows].config);
                char what[160];
                snprintf(what, sizeof what, "%s on %s, %u thread%s", rows[nrows].config, in[i].name,
                         threads[t], threads[t] > 1 ? "s" : "");
                progress(&o, ++done, total, what);
                cmz_error_clear(&err);
                cmz_status st = bk_measure(&cfgs[c], threads[t], in[i].data, in[i].size, in[i].name,
                                           &timing, &rows[nrows], &err);
                if (st != CMZ_OK) {
                    progress_end(&o);
                    cli_errorf(in[i].name, "%s: %s", rows[nrows].config,
                               err.message[0] ? err.message : cmz_strerror(st));
                    rc = CLI_EXIT_ERROR;
                    continue;
                }
                if (!rows[nrows].roundtrip_ok) rc = CLI_EXIT_ERROR;
                nrows++;
            }
    }
    progress_end(&o);
    if (stop_flag) fprintf(stderr, "cmz bench: interrupted; what was measured so far:\n");
    if (o.csv) bk_print_csv(stdout, rows, nrows);
    else if (o.json) bk_print_json(stdout, rows, nrows);
    else bk_print_table(stdout, rows, nrows);
    if (o.hw && !o.csv && !o.json) { /* the others, as cmz hw probes them */
        cmz_hw_info hw[CMZ_BACKEND_COUNT];
        size_t nhw = cmz_hw_list(hw, CMZ_BACKEND_COUNT);
        printf("\nbackends: cpu (the thread counts above)\n");
        for (size_t i = 1; i < nhw; i++)
            printf("  %s: %s (%s)\n", cmz_backend_name(hw[i].backend),
                   hw[i].present ? "present, not measured by this version" : "absent",
                   hw[i].detail);
    }
    if (o.plot || o.recommend) {
        bk_point *points = malloc((nrows ? nrows : 1) * sizeof *points);
        size_t np = points ? bk_pool(rows, nrows, points, nrows) : 0;
        if (o.plot && bk_write_svg(o.plot, points, np,
                                   "cmz bench: ratio against compression speed "
                                   "(filter variants: typed inputs only)") != 0)
            rc = cli_errorf(o.plot, "cannot write the plot: %s", strerror(errno));
        free(points);
        if (o.recommend && recommend(&o, in, nin, rows, nrows, o.csv || o.json ? stderr : stdout))
            rc = CLI_EXIT_ERROR;
    }
    free(rows);
    if (stop_flag) rc = CLI_EXIT_SIGINT;
done_inputs:
    sigaction(SIGINT, &old, NULL);
    for (size_t i = 0; i < nin; i++) free(in[i].data);
    free(in);
    return rc;
}
