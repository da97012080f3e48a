/* `cmz policy list|show|create|update|delete|verify`: a thin shell over include/cmz/policy.h.
 * Every check and every message about the policy comes from the library; this file parses
 * options, prints, and picks the file to save to. */
#include <assert.h>
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "cmz/codec.h"
#include "cmz/policy.h"
#include "commands.h"

enum { EXIT_OK = 0, EXIT_ERROR = 1, EXIT_USAGE = 2 };

/* Value options of create and update, and the policy key each one sets. */
static const struct {
    const char *option, *key;
} value_options[] = {
    {"algorithm", "algorithm"},    {"level", "level"},
    {"chunk-size", "chunk_size"},  {"auto-compress", "auto_compress"},
    {"threshold", "threshold_mb"}, {"threshold-mb", "threshold_mb"},
    {"priority", "priority"},      {"filter", "filter"},
    {"typesize", "typesize"},
};
#define VALUE_OPTIONS (sizeof value_options / sizeof value_options[0])
#define MAX_SETTINGS 32

typedef struct {
    const char *config;
    bool verbose;
    const char *operand;
    cmz_policy_setting settings[MAX_SETTINGS];
    size_t nsettings;
} options;

static void usage(FILE *to) {
    fputs("usage: cmz policy list [--verbose]\n"
          "       cmz policy show TYPE\n"
          "       cmz policy create TYPE [--algorithm NAME] [--level N] [--chunk-size SIZE]\n"
          "                              [--auto-compress true|false] [--threshold MB]\n"
          "                              [--priority high|medium|low]\n"
          "                              [--filter NAME|auto] [--typesize 1|2|4|8]\n"
          "       cmz policy update TYPE (one or more of the options of create)\n"
          "       cmz policy delete TYPE\n"
          "       cmz policy verify [FILE]\n"
          "Every command takes --config FILE. Without it the policy is $CMZ_CONFIG, else\n"
          "./configs/compression_layers.yaml, else ~/.config/cmz/compression_layers.yaml\n"
          "($XDG_CONFIG_HOME), else the built-in defaults. create starts from `default`'s\n"
          "values; create, update and delete rewrite the file atomically, holding a lock\n"
          "(FILE.lock beside it) from reading to saving so that concurrent changes all\n"
          "survive, and change nothing when a value is refused. Codecs without levels (none,\n"
          "snappy, rans, and planes, the planes codec: byte-plane rANS) take level 0. SIZE\n"
          "takes units (512KB, 4MB; 1KB = 1024 bytes); MB of --threshold are binary too.\n"
          "--filter: none, shuffle, bitshuffle, delta, planes (the planes filter: float byte\n"
          "planes) or auto; --typesize: the element size it works on (4 = float32,\n"
          "2 = float16), kept when --filter alone changes and the new filter takes it (none:\n"
          "1, or 1, 2, 4 or 8 for the planes codec; auto: tries 2 and 4). A codec this\n"
          "build lacks (cmz codecs lists those it has) is a warning in a file: the type then\n"
          "uses the build's default codec at its default level; --algorithm must name one\n"
          "the build has. Exit status: 0 ok, 1 error (a value refused, a file or stdout not\n"
          "written), 2 usage.\n",
          to);
}

static int usage_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int usage_error(const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    fputs("cmz policy: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputs("\n(see cmz policy --help)\n", stderr);
    va_end(ap);
    return EXIT_USAGE;
}

/* "file:line:column: message" as compilers print, so editors can jump to it; a diagnostic
 * about a command-line value has no file and gets the command's prefix instead. */
static void print_diags(const cmz_diags *diags) {
    for (size_t i = 0; i < cmz_diags_count(diags); i++) {
        const cmz_diag *d = cmz_diags_at(diags, i);
        char text[CMZ_POLICY_PATH_MAX + CMZ_DIAG_MESSAGE_MAX + 32];
        cmz_diag_format(d, text, sizeof text);
        fprintf(stderr, "%s%s\n", d->file[0] ? "" : "cmz policy: ", text);
    }
    if (cmz_diags_dropped(diags))
        fprintf(stderr, "cmz policy: ... and %zu more errors\n", cmz_diags_dropped(diags));
}

static int parse(int argc, char **argv, options *o) {
    memset(o, 0, sizeof *o);
    bool options_done = false;
    for (int i = 2; i < argc; i++) {
        const char *arg = argv[i];
        if (options_done || arg[0] != '-' || arg[1] == '\0') {
            if (o->operand) return usage_error("unexpected operand '%s'", arg);
            o->operand = arg;
            continue;
        }
        if (strcmp(arg, "--") == 0) {
            options_done = true;
            continue;
        }
        if (strcmp(arg, "-h") == 0 || strcmp(arg, "--help") == 0) {
            usage(stdout);
            return EXIT_OK;
        }
        if (strcmp(arg, "-v") == 0 || strcmp(arg, "--verbose") == 0) {
            o->verbose = true;
            continue;
        }
        if (arg[1] != '-') return usage_error("unknown option '%s'", arg);
        const char *name = arg + 2, *eq = strchr(name, '=');
        size_t len = eq ? (size_t)(eq - name) : strlen(name);
        const char *value = eq ? eq + 1 : (i + 1 < argc ? argv[i + 1] : NULL);
        const char *key = NULL;
        bool is_config = len == 6 && strncmp(name, "config", 6) == 0;
        for (size_t k = 0; k < VALUE_OPTIONS && !is_config; k++)
            if (strlen(value_options[k].option) == len &&
                strncmp(name, value_options[k].option, len) == 0)
                key = value_options[k].key;
        if (!is_config && !key) return usage_error("unknown option '%s'", arg);
        if (!value) return usage_error("option '%s' needs a value", arg);
        if (!eq) i++;
        if (is_config) {
            o->config = value;
        } else {
            if (o->nsettings == MAX_SETTINGS) return usage_error("too many options");
            o->settings[o->nsettings].key = key;
            o->settings[o->nsettings++].value = value;
        }
    }
    return -1;
}

static void describe_source(FILE *to, const cmz_policy_location *loc) {
    if (loc->source == CMZ_POLICY_SOURCE_BUILTIN)
        fprintf(to, "# policy: built-in defaults (no policy file found)\n");
    else fprintf(to, "# policy: %s (%s)\n", loc->path, cmz_policy_source_name(loc->source));
}

/* "none", "planes/4", "auto" (tries 2 and 4), "auto/4": the filter column of list. */
static void filter_text(const cmz_policy_entry *e, char *buf, size_t cap) {
    char filter[32];
    cmz_policy_format_value(e, "filter", filter, sizeof filter);
    if (e->filter == CMZ_FILTER_NONE || e->typesize == 0) snprintf(buf, cap, "%s", filter);
    else snprintf(buf, cap, "%s/%u", filter, e->typesize);
}

/* show's note on a codec this build lacks: what the type compresses with instead. */
static const char *stand_in(const cmz_policy *p, const cmz_policy_entry *e, char *buf, size_t cap) {
    cmz_params params = cmz_params_default();
    if (cmz_policy_apply(p, e->type, &params) != CMZ_OK || params.codec == e->codec) return "";
    const cmz_codec *codec = cmz_codec_by_id(params.codec);
    snprintf(buf, cap, "  # not in this build: uses %s level %d",
             codec ? cmz_codec_name(codec) : "?", params.level);
    return buf;
}

static void print_entry(const cmz_policy *p, const cmz_policy_entry *e) {
    static const char *const keys[] = {"algorithm",    "level",    "chunk_size", "auto_compress",
                                       "threshold_mb", "priority", "filter",     "typesize"};
    printf("%s:\n", e->type);
    for (size_t k = 0; k < sizeof keys / sizeof keys[0]; k++) {
        char value[64];
        cmz_policy_format_value(e, keys[k], value, sizeof value);
        bool tries =
            !strcmp(keys[k], "typesize") && e->filter == CMZ_FILTER_AUTO && e->typesize == 0;
        char note[96];
        printf("  %s: %s%s\n", keys[k], value,
               tries                           ? "  # auto tries 2 and 4"
               : !strcmp(keys[k], "algorithm") ? stand_in(p, e, note, sizeof note)
                                               : "");
    }
}

static int cmd_list(const cmz_policy *p, const cmz_policy_location *loc, bool verbose) {
    if (!verbose) {
        for (size_t i = 0; i < cmz_policy_count(p); i++) puts(cmz_policy_at(p, i)->type);
        return EXIT_OK;
    }
    describe_source(stdout, loc);
    printf("%-24s %-9s %5s %10s %5s %12s %-8s %s\n", "TYPE", "ALGORITHM", "LEVEL", "CHUNK_SIZE",
           "AUTO", "THRESHOLD_MB", "PRIORITY", "FILTER");
    for (size_t i = 0; i < cmz_policy_count(p); i++) {
        const cmz_policy_entry *e = cmz_policy_at(p, i);
        char alg[32], chunk[32], mb[32], filter[48];
        cmz_policy_format_value(e, "algorithm", alg, sizeof alg);
        cmz_policy_format_value(e, "chunk_size", chunk, sizeof chunk);
        cmz_policy_format_value(e, "threshold_mb", mb, sizeof mb);
        filter_text(e, filter, sizeof filter);
        printf("%-24s %-9s %5d %10s %5s %12s %-8s %s\n", e->type, alg, e->level, chunk,
               e->auto_compress ? "true" : "false", mb, cmz_priority_name(e->priority), filter);
    }
    return EXIT_OK;
}

static int cmd_show(const cmz_policy *p, const cmz_policy_location *loc, const char *type) {
    describe_source(stdout, loc);
    if (!cmz_policy_get(p, type)) printf("# '%s' is not in the policy: it uses 'default'\n", type);
    print_entry(p, cmz_policy_lookup(p, type));
    return EXIT_OK;
}

/* mkdir -p of path's folder (for the user's config folder, which may not exist yet). */
static int make_parents(const char *path) {
    char dir[CMZ_POLICY_PATH_MAX];
    snprintf(dir, sizeof dir, "%s", path);
    for (char *p = dir + 1; *p; p++) {
        if (*p != '/') continue;
        *p = '\0';
        if (mkdir(dir, 0777) != 0 && errno != EEXIST) return -1;
        *p = '/';
    }
    return 0;
}

/* create, update and delete hold the policy file's lock from before it is read to after it
 * is saved, so that concurrent changes of other types all survive (cmz_policy_lock_file). */
static int lock_policy(const options *o, cmz_policy_lock **lock) {
    cmz_policy_location loc;
    if (cmz_policy_locate(o->config, &loc) != CMZ_OK) {
        fprintf(stderr, "cmz policy: the policy file's path is longer than %d bytes\n",
                CMZ_POLICY_PATH_MAX - 1);
        return EXIT_ERROR;
    }
    if (!loc.path[0]) {
        fprintf(stderr, "cmz policy: no policy file to save to: pass --config FILE or set "
                        "CMZ_CONFIG\n");
        return EXIT_ERROR;
    }
    if (loc.source == CMZ_POLICY_SOURCE_BUILTIN && make_parents(loc.path) != 0) {
        fprintf(stderr, "cmz policy: cannot create the folder of '%s': %s\n", loc.path,
                strerror(errno));
        return EXIT_ERROR;
    }
    cmz_error err;
    cmz_error_clear(&err);
    if (cmz_policy_lock_file(loc.path, lock, &err) != CMZ_OK) {
        fprintf(stderr, "cmz policy: %s\n", err.message);
        return EXIT_ERROR;
    }
    return EXIT_OK;
}

static int save(const cmz_policy *p, const cmz_policy_location *loc, const char *done,
                const char *type) {
    assert(loc->path[0]); /* lock_policy refused an empty one */
    cmz_error err;
    cmz_error_clear(&err);
    if (cmz_policy_save(p, loc->path, &err) != CMZ_OK) {
        fprintf(stderr, "cmz policy: %s\n", err.message);
        return EXIT_ERROR;
    }
    printf("%s '%s' in %s%s\n", done, type, loc->path, loc->exists ? "" : " (new file)");
    return EXIT_OK;
}

/* After a refused update that gave a level the type's codec does not have (a codec without
 * levels, such as rans): the command that changes the algorithm along with it, naming the
 * first codec, zstd first, that takes the level. Nothing when none does. */
static void suggest_algorithm(const cmz_policy *p, const options *o) {
    const char *level = NULL, *algorithm = NULL;
    for (size_t i = 0; i < o->nsettings; i++) {
        if (!strcmp(o->settings[i].key, "level")) level = o->settings[i].value;
        if (!strcmp(o->settings[i].key, "algorithm")) algorithm = o->settings[i].value;
    }
    const cmz_policy_entry *e = cmz_policy_get(p, o->operand);
    if (!level || !e) return;
    const cmz_codec *codec = NULL;
    if (algorithm) cmz_codec_by_name(algorithm, &codec, NULL);
    else codec = cmz_codec_by_id(e->codec);
    if (!codec || cmz_codec_min_level(codec) != cmz_codec_max_level(codec)) return;
    size_t n = 0;
    const cmz_codec *const *list = cmz_codec_list(&n);
    const char *first = cmz_codec_by_id(CMZ_CODEC_ZSTD) ? "zstd" : NULL;
    for (size_t i = 0; i <= n; i++) {
        const char *name = i == 0 ? first : cmz_codec_name(list[i - 1]);
        if (!name) continue;
        cmz_policy *trial = cmz_policy_clone(p);
        cmz_policy_setting both[] = {{"algorithm", name}, {"level", level}};
        bool fits = trial && cmz_policy_update(trial, o->operand, both, 2, NULL) == CMZ_OK;
        cmz_policy_free(trial);
        if (fits) {
            fprintf(stderr,
                    "cmz policy: to change the algorithm: cmz policy update %s "
                    "--algorithm %s --level %s\n",
                    o->operand, name, level);
            return;
        }
    }
}

static int cmd_verify(const options *o, cmz_diags *diags) {
    cmz_policy *p = NULL;
    cmz_policy_location loc;
    cmz_status st;
    const char *name;
    if (o->operand) {
        st = cmz_policy_load_file(o->operand, &p, diags);
        name = o->operand;
    } else {
        st = cmz_policy_open(o->config, false, &p, &loc, diags);
        name = loc.source == CMZ_POLICY_SOURCE_BUILTIN ? "built-in defaults" : loc.path;
    }
    cmz_policy_free(p);
    print_diags(diags);
    if (st != CMZ_OK) {
        if (!cmz_diags_count(diags)) fprintf(stderr, "cmz policy: %s\n", cmz_strerror(st));
        return EXIT_ERROR;
    }
    printf("%s: OK\n", name);
    return EXIT_OK;
}

static int run(const char *cmd, const options *o, cmz_diags *diags) {
    bool modifies = !strcmp(cmd, "create") || !strcmp(cmd, "update") || !strcmp(cmd, "delete");
    bool takes_type = modifies || !strcmp(cmd, "show");
    if (!takes_type && strcmp(cmd, "list") && strcmp(cmd, "verify"))
        return usage_error("unknown command '%s'", cmd);
    if (takes_type && !o->operand) return usage_error("%s needs a TYPE", cmd);
    if (!takes_type && strcmp(cmd, "verify") && o->operand)
        return usage_error("unexpected operand '%s'", o->operand);
    bool takes_values = !strcmp(cmd, "create") || !strcmp(cmd, "update");
    if (o->nsettings && !takes_values)
        return usage_error("%s takes no --algorithm, --level, ... options", cmd);
    if (!strcmp(cmd, "update") && !o->nsettings)
        return usage_error("update needs at least one of --algorithm, --level, --chunk-size, "
                           "--auto-compress, --threshold, --priority, --filter, --typesize");
    if (o->verbose && strcmp(cmd, "list")) return usage_error("--verbose applies to list only");
    if (!strcmp(cmd, "verify")) return cmd_verify(o, diags);

    cmz_policy_lock *lock = NULL;
    if (modifies && lock_policy(o, &lock) != EXIT_OK) return EXIT_ERROR;
    cmz_policy *p = NULL;
    cmz_policy_location loc;
    cmz_status st = cmz_policy_open(o->config, modifies, &p, &loc, diags);
    print_diags(diags); /* the errors, or the warnings of a policy that loaded */
    if (st != CMZ_OK) {
        if (!cmz_diags_count(diags)) fprintf(stderr, "cmz policy: %s\n", cmz_strerror(st));
        cmz_policy_unlock(lock);
        return EXIT_ERROR;
    }
    cmz_diags_clear(diags);
    int rc;
    if (!strcmp(cmd, "list")) {
        rc = cmd_list(p, &loc, o->verbose);
    } else if (!strcmp(cmd, "show")) {
        rc = cmd_show(p, &loc, o->operand);
    } else {
        if (!strcmp(cmd, "create"))
            st = cmz_policy_create(p, o->operand, o->settings, o->nsettings, diags);
        else if (!strcmp(cmd, "update"))
            st = cmz_policy_update(p, o->operand, o->settings, o->nsettings, diags);
        else st = cmz_policy_delete(p, o->operand, diags);
        print_diags(diags);
        if (st != CMZ_OK) {
            if (!cmz_diags_count(diags)) fprintf(stderr, "cmz policy: %s\n", cmz_strerror(st));
            if (!strcmp(cmd, "update")) suggest_algorithm(p, o);
            rc = EXIT_ERROR;
        } else {
            const char *done = !strcmp(cmd, "create")   ? "created"
                               : !strcmp(cmd, "update") ? "updated"
                                                        : "deleted";
            rc = save(p, &loc, done, o->operand);
        }
    }
    cmz_policy_free(p);
    cmz_policy_unlock(lock);
    return rc;
}

int cmz_cmd_policy(int argc, char **argv) {
    if (argc < 2) {
        usage(stderr);
        return EXIT_USAGE;
    }
    const char *cmd = argv[1];
    if (!strcmp(cmd, "-h") || !strcmp(cmd, "--help") || !strcmp(cmd, "help")) {
        usage(stdout);
        return EXIT_OK;
    }
    options o;
    int rc = parse(argc, argv, &o);
    if (rc >= 0) return rc;
    cmz_diags *diags = cmz_diags_new();
    if (!diags) {
        fprintf(stderr, "cmz policy: out of memory\n");
        return EXIT_ERROR;
    }
    rc = run(cmd, &o, diags);
    cmz_diags_free(diags);
    return rc;
}
