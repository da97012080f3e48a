/* Option parsing for the data commands, zstd-style: short flags combine (-dkf, -19, -T4),
 * long options take "--name=value" or "--name value", options and files may mix, "--" ends
 * the options and "-" is stdin. Every number goes through numbers.h. */
#include "args.h"

#include "cmz/policy.h"
#include "cmz/release.h"
#include "numbers.h"

#include <ctype.h>
#include <string.h>

/* "OFF:LEN", "OFF:" or "OFF" (sizes with units) into opts' range fields. */
static int parse_range(const char *text, cli_options *opts) {
    const char *colon = strchr(text, ':');
    char offset_text[64];
    size_t n = colon ? (size_t)(colon - text) : strlen(text);
    if (n >= sizeof offset_text) return -1;
    memcpy(offset_text, text, n);
    offset_text[n] = '\0';
    if (cli_parse_size(offset_text, 0, UINT64_MAX, &opts->range_offset) != 0) return -1;
    opts->range_set = true;
    opts->range_to_end = !colon || colon[1] == '\0';
    opts->range_length = 0;
    if (!opts->range_to_end && cli_parse_size(colon + 1, 0, UINT64_MAX, &opts->range_length) != 0)
        return -1;
    return 0;
}

/* "K:M" (each 1..254, K + M <= 255) or "none"/"0" (no parity) into *k and *m. */
static int parse_parity(const char *text, unsigned *k, unsigned *m) {
    if (!strcmp(text, "none") || !strcmp(text, "0")) {
        *k = *m = 0;
        return 0;
    }
    const char *colon = strchr(text, ':');
    char k_text[32];
    size_t n = colon ? (size_t)(colon - text) : 0;
    uint64_t kv, mv;
    if (!colon || n >= sizeof k_text) return -1;
    memcpy(k_text, text, n);
    k_text[n] = '\0';
    if (cli_parse_uint(k_text, 1, CMZ_PARITY_MAX - 1, &kv) != 0 ||
        cli_parse_uint(colon + 1, 1, CMZ_PARITY_MAX - 1, &mv) != 0 || kv + mv > CMZ_PARITY_MAX)
        return -1;
    *k = (unsigned)kv;
    *m = (unsigned)mv;
    return 0;
}

void cli_print_usage(FILE *to) {
    fputs("Usage: cmz [OPTIONS] [FILE...]            compress each FILE to FILE.cmz\n"
          "       cmz -d|decompress [OPTIONS] [FILE.cmz...]   (also: uncmz)\n"
          "       cmz -t|test [OPTIONS] [FILE.cmz...]          verify integrity\n"
          "       cmz -l|info [-v] FILE.cmz...                 show frame details\n"
          "       cmz cat [--range OFF:LEN] FILE.cmz...        write content bytes to stdout\n"
          "       cmz repair [-o OUT] FILE.cmz...              rebuild from parity, in place\n"
          "With no FILE, or when FILE is -, read stdin and write stdout.\n"
          "\n"
          "Options:\n"
          "  -#                 compression level (-1 .. -22 for zstd; each codec has its range)\n"
          "  --level=N          any level of the codec, zstd's negative ones included\n"
          "                     (--level=-5; `cmz codecs` lists the ranges)\n"
          "  --fast[=N]         zstd's fast levels: --level=-N (N from 1, default 1)\n"
          "  -a, --algorithm=A  codec: zstd (default), lz4, gzip, bzip2, lzma, snappy, brotli,\n"
          "                     rans (order-0 rANS), planes (the planes codec: byte-plane rANS\n"
          "                     of typed data, give --typesize), none (`cmz codecs` lists those\n"
          "                     compiled in and the default where zstd is not: lz4, else gzip,\n"
          "                     else none)\n"
          "  -T#, --threads=#   worker threads; 0 (default) uses every core\n"
          "  --chunk-size=N     raw bytes per chunk, 16 .. 1G (default: the codec's)\n"
          "  --filter=F         typed-data filter before the codec: none (default), shuffle,\n"
          "                     bitshuffle, delta, planes (the planes filter: float byte planes,\n"
          "                     for any codec), or auto (tries them on a sample of the first\n"
          "                     chunk); recorded in the frame\n"
          "  --typesize=N       element size for the filter: 2 (fp16/bf16), 4 (fp32), 8; for\n"
          "                     the planes codec (-a planes) without a filter also 1\n"
          "  --type=TYPE        codec, level, chunk size and filter from the policy for this\n"
          "                     resource type (`cmz policy list`), or for a type with only a\n"
          "                     release rule, from the entry the rule names; flags still win\n"
          "  --config=FILE      the policy file for --type (default: $CMZ_CONFIG, then\n"
          "                     ./configs/compression_layers.yaml, then the user's, built-in)\n"
          "  --parity=K:M       after every K chunks, M Reed-Solomon parity chunks: `cmz repair`\n"
          "                     rebuilds up to M damaged chunks per group (default: none;\n"
          "                     16:2 costs about 1/8 more size)\n"
          "  --hw=NAME          backend: auto (default), cpu, cuda, qat (`cmz hw` lists them;\n"
          "                     an absent one falls back to the CPU, saying why)\n"
          "  --memory-limit=N   decoding: bound on buffers in flight (default 512M)\n"
          "  --salvage          -d on a damaged FILE.cmz: write every intact chunk, zeros in\n"
          "                     place of damaged ones, list the lost byte ranges (exit 1)\n"
          "  -d, --decompress   decompress        -t, --test   verify      -l, --list  info\n"
          "  -c, --stdout       write to standard output\n"
          "  -o FILE            write to FILE (one input only)\n"
          "  -k, --keep         keep the input (default)\n"
          "  --rm               remove the input once the output is complete, synced and verified\n"
          "  -f, --force        overwrite outputs; write compressed data to a terminal\n"
          "  -q, --quiet        errors only     -v, --verbose  more details (repeatable)\n"
          "  --range=OFF:LEN    cat: content bytes [OFF, OFF+LEN); OFF: or OFF means to the end\n"
          "Sizes take binary units: K, M, G, T, alone or followed by B or iB (1K = 1KB = 1KiB =\n"
          "1024; lowercase is refused); a number alone, or followed by B, is bytes.\n"
          "A bad number is a usage error naming the option, the value and the valid range.\n"
          "\n"
          "Exit status: 0 success, 1 error (I/O, corrupt input, existing output, ...),\n"
          "2 usage error; 128 + the signal's number (130 SIGINT, 143 SIGTERM, 129 SIGHUP,\n"
          "131 SIGQUIT) when a signal left work undone: the file in progress is left as it\n"
          "was, no output; a signal after the last output was committed keeps the status.\n"
          "With several FILEs each is processed; the status is 1 if any failed.\n",
          to);
}

static int usage_error(const char *fmt, const char *what) {
    fputs("cmz: ", stderr);
    fprintf(stderr, fmt, what);
    fputs("\ncmz: try 'cmz --help'\n", stderr);
    return CLI_EXIT_USAGE;
}

/* After a bad value has been reported (numbers.h). */
static int bad_value(void) {
    fputs("cmz: try 'cmz --help'\n", stderr);
    return CLI_EXIT_USAGE;
}

/* A level, which only the codec's range bounds (checked once the codec is known); the bound
 * here keeps clear of CMZ_LEVEL_DEFAULT. */
#define CLI_LEVEL_BOUND 999

static int set_level(cli_options *o, const char *name, const char *text, bool fast) {
    int64_t v;
    if (fast ? cli_parse_int(text, 1, CLI_LEVEL_BOUND, &v) != 0
             : cli_parse_int(text, -CLI_LEVEL_BOUND, CLI_LEVEL_BOUND, &v) != 0) {
        cli_bad_value("cmz", name, text,
                      fast ? "N >= 1 for level -N, within the codec's levels: cmz codecs"
                           : "an integer within the codec's levels: cmz codecs");
        return bad_value();
    }
    o->params.level = (int)(fast ? -v : v);
    o->set_level = true;
    return -1;
}

/* The options whose value is a number. Returns -1 when applied, 0 when `name` is not one of
 * them, else the exit code. */
static int apply_number(cli_options *o, const char *name, const char *value) {
    uint64_t v;
    if (!strcmp(name, "-T") || !strcmp(name, "--threads")) {
        if (cli_uint_arg("cmz", name, value, 0, 4096, &v) != 0) return bad_value();
        o->params.threads = (unsigned)v;
    } else if (!strcmp(name, "--level")) {
        return set_level(o, name, value, false);
    } else if (!strcmp(name, "--chunk-size")) {
        if (cli_size_arg("cmz", name, value, CMZ_CHUNK_SIZE_MIN, CMZ_CHUNK_SIZE_MAX, &v) != 0)
            return bad_value();
        o->params.chunk_size = (uint32_t)v;
        o->set_chunk = true;
    } else if (!strcmp(name, "--typesize")) { /* which of 1..8 the filter takes: the library's */
        if (cli_uint_arg("cmz", name, value, 1, 8, &v) != 0) return bad_value();
        o->params.typesize = (unsigned)v;
        o->set_filter = true;
    } else if (!strcmp(name, "--memory-limit") || !strcmp(name, "--memory")) {
        if (cli_size_arg("cmz", name, value, 1, (uint64_t)1 << 50, &v) != 0) return bad_value();
        o->memory_limit = v;
    } else if (!strcmp(name, "--parity")) {
        if (parse_parity(value, &o->params.parity_k, &o->params.parity_m) != 0) {
            cli_bad_value("cmz", name, value,
                          "K:M, data and parity chunks per group, each at "
                          "least 1, K + M at most 255; or none");
            return bad_value();
        }
    } else if (!strcmp(name, "--range")) {
        if (parse_range(value, o) != 0) {
            cli_bad_value("cmz", name, value, "OFF:LEN, OFF: or OFF, sizes with units");
            return bad_value();
        }
    } else {
        return 0;
    }
    return -1;
}

/* Applies an option that takes a value. Returns -1 when fine, else an exit code. */
static int apply_value(cli_options *o, const char *name, const char *value) {
    if (!value) return usage_error("option %s needs a value", name);
    int rc = apply_number(o, name, value);
    if (rc != 0) return rc;
    if (!strcmp(name, "-a") || !strcmp(name, "--algorithm") || !strcmp(name, "--codec")) {
        cmz_error err;
        cmz_error_clear(&err);
        const cmz_codec *codec = NULL;
        if (cmz_codec_by_name(value, &codec, &err) != CMZ_OK) {
            fprintf(stderr, "cmz: %s\n", err.message[0] ? err.message : "unknown codec");
            return CLI_EXIT_USAGE;
        }
        o->params.codec = (int)cmz_codec_id_of(codec);
        o->set_codec = true;
    } else if (!strcmp(name, "--filter")) {
        int id = CMZ_FILTER_AUTO;
        if (strcmp(value, "auto") != 0 && cmz_filter_by_name(value, &id, NULL) != CMZ_OK)
            return usage_error("unknown filter '%s' (none, shuffle, bitshuffle, delta, planes, "
                               "auto)",
                               value);
        o->params.filter = id;
        o->set_filter = true;
    } else if (!strcmp(name, "--type")) {
        o->type = value;
    } else if (!strcmp(name, "--config")) {
        o->config = value;
    } else if (!strcmp(name, "--hw")) {
        if (cmz_backend_by_name(value, &o->backend, NULL) != CMZ_OK)
            return usage_error("unknown backend '%s' for --hw (valid: auto, cpu, cuda, qat)",
                               value);
        o->set_backend = true;
    } else if (!strcmp(name, "-o") || !strcmp(name, "--output")) {
        if (!*value) return usage_error("option %s needs a file name (or - for stdout)", name);
        o->output = value;
    } else {
        return usage_error("unknown option %s", name);
    }
    return -1;
}

static const char *const valued_long[] = {"--threads",    "--algorithm",    "--codec",  "--level",
                                          "--chunk-size", "--memory-limit", "--memory", "--output",
                                          "--range",      "--type",         "--config", "--filter",
                                          "--typesize",   "--parity",       "--hw"};

/* A long option; *i may advance past its value. Returns -1 when fine, else an exit code. */
static int parse_long(cli_options *o, int argc, char **argv, int *i) {
    const char *arg = argv[*i];
    const char *eq = strchr(arg, '=');
    char name[32];
    size_t n = eq ? (size_t)(eq - arg) : strlen(arg);
    if (n >= sizeof name) return usage_error("unknown option %s", arg);
    memcpy(name, arg, n);
    name[n] = '\0';
    for (size_t k = 0; k < sizeof valued_long / sizeof *valued_long; k++) {
        if (strcmp(name, valued_long[k]) != 0) continue;
        const char *value = eq ? eq + 1 : (*i + 1 < argc ? argv[++*i] : NULL);
        return apply_value(o, name, value);
    }
    if (!strcmp(name, "--fast")) /* zstd's spelling of its negative levels */
        return set_level(o, name, eq ? eq + 1 : "1", true);
    if (eq) return usage_error("option %s takes no value", name);
    if (!strcmp(arg, "--decompress") || !strcmp(arg, "--uncompress")) o->mode = CLI_MODE_DECOMPRESS;
    else if (!strcmp(arg, "--test")) o->mode = CLI_MODE_TEST;
    else if (!strcmp(arg, "--list")) o->mode = CLI_MODE_INFO;
    else if (!strcmp(arg, "--stdout") || !strcmp(arg, "--to-stdout")) o->to_stdout = true;
    else if (!strcmp(arg, "--keep")) o->remove_input = false;
    else if (!strcmp(arg, "--rm")) o->remove_input = true;
    else if (!strcmp(arg, "--salvage")) o->salvage = true;
    else if (!strcmp(arg, "--force")) o->force = true;
    else if (!strcmp(arg, "--quiet")) o->verbosity = 0;
    else if (!strcmp(arg, "--verbose")) o->verbosity++;
    else if (!strcmp(arg, "--help")) {
        cli_print_usage(stdout);
        return CLI_EXIT_OK;
    } else return usage_error("unknown option %s", arg);
    return -1;
}

/* A group of short flags ("-dkf", "-19", "-T4", "-o out"). */
static int parse_short(cli_options *o, int argc, char **argv, int *i) {
    const char *p = argv[*i] + 1;
    while (*p) {
        char c = *p++;
        if (isdigit((unsigned char)c)) {
            const char *start = p - 1;
            while (isdigit((unsigned char)*p)) p++;
            char digits[8];
            size_t n = (size_t)(p - start);
            uint64_t level;
            if (n >= sizeof digits) n = sizeof digits - 1; /* too long: refused below */
            memcpy(digits, start, n);
            digits[n] = '\0';
            if (n != (size_t)(p - start) || cli_parse_uint(digits, 0, CLI_LEVEL_BOUND, &level)) {
                cli_bad_value("cmz", "-#", argv[*i], "-0 .. -999 within the codec's levels");
                return bad_value();
            }
            o->params.level = (int)level;
            o->set_level = true;
            continue;
        }
        switch (c) {
        case 'd': o->mode = CLI_MODE_DECOMPRESS; break;
        case 't': o->mode = CLI_MODE_TEST; break;
        case 'l': o->mode = CLI_MODE_INFO; break;
        case 'c': o->to_stdout = true; break;
        case 'k': o->remove_input = false; break;
        case 'f': o->force = true; break;
        case 'q': o->verbosity = 0; break;
        case 'v': o->verbosity++; break;
        case 'h':
        case 'H': cli_print_usage(stdout); return CLI_EXIT_OK;
        case 'T':
        case 'a':
        case 'o': {
            char name[3] = {'-', c, '\0'};
            const char *value = *p ? p : (*i + 1 < argc ? argv[++*i] : NULL);
            return apply_value(o, name, value); /* the value ends the group */
        }
        default: {
            char bad[3] = {'-', c, '\0'};
            return usage_error("unknown option %s", bad);
        }
        }
    }
    return -1;
}

/* --type: the policy's codec, level and chunk size for that resource type, under the flags
 * given explicitly. A codec given without a level takes that codec's default level (the
 * policy's level belongs to the policy's codec). Returns 0, or -1 after reporting. */
static int apply_type(cli_options *o) {
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
        if (!diags || !cmz_diags_count(diags))
            fprintf(stderr, "cmz: cannot load the policy: %s\n", cmz_strerror(st));
        cmz_diags_free(diags);
        return -1;
    }
    cmz_diags_free(diags);
    /* the entry the registry would use: a type with only a release rule (model_shards)
     * compresses with the entry its rule names (model_weights), as in the registry */
    cmz_release_rules *rules = cmz_release_rules_new_default();
    const cmz_policy_entry *entry = cmz_policy_resolve(policy, rules, o->type);
    if (!cmz_policy_get(policy, o->type) && o->verbosity > 0)
        fprintf(stderr, "cmz: no policy for type '%s' in %s; using '%s'%s\n", o->type,
                loc.source == CMZ_POLICY_SOURCE_BUILTIN ? "the built-in policy" : loc.path,
                entry->type,
                strcmp(entry->type, "default") ? " (the entry its release rule names)" : "");
    cmz_params from_policy = o->params;
    cmz_policy_apply_entry(entry, &from_policy);
    cmz_release_rules_free(rules);
    cmz_policy_free(policy);
    if (!o->set_codec) o->params.codec = from_policy.codec;
    if (!o->set_level) o->params.level = o->set_codec ? CMZ_LEVEL_DEFAULT : from_policy.level;
    if (!o->set_chunk) o->params.chunk_size = from_policy.chunk_size;
    if (!o->set_filter) {
        o->params.filter = from_policy.filter;
        o->params.typesize = from_policy.typesize;
        /* the policy's typesize without a filter is its planes codec's: not for another -a */
        if (o->params.filter == CMZ_FILTER_NONE &&
            !cmz_codec_takes_typesize(cmz_codec_by_id(o->params.codec)))
            o->params.typesize = 1;
    }
    return 0;
}

int cli_check_backend_env(void) {
    cmz_backend b;
    int set;
    cmz_error err;
    cmz_error_clear(&err);
    if (cmz_backend_env(&b, &set, &err) == CMZ_OK) return -1;
    fprintf(stderr, "cmz: %s\ncmz: try 'cmz --help'\n", err.message);
    return CLI_EXIT_USAGE;
}

/* --hw (or CMZ_BACKEND): the backend chosen for the codec, and why. A backend asked for that is
 * absent falls back to the CPU: said on stderr (not an error, the work is done the same). The
 * hardware is probed only when asked about. */
static void report_backend(const cli_options *o) {
    cmz_backend from_env;
    int env_set;
    if (cmz_backend_env(&from_env, &env_set, NULL) != CMZ_OK) return; /* refused before */
    if (!o->set_backend && !env_set) return;
    cmz_hw_choice c = cmz_hw_best(o->backend, o->params.codec, o->params.level, 0, CMZ_DATA_HOST);
    if ((c.asked != CMZ_BACKEND_AUTO && c.backend != c.asked && o->verbosity > 0) ||
        o->verbosity >= 2)
        fprintf(stderr, "cmz: backend %s: %s\n", cmz_backend_name(c.backend), c.reason);
}

/* Cross-option rules, and codec/level/chunk-size checks by the library before any work. */
static int check(cli_options *o) {
    int rc = cli_check_backend_env();
    if (rc >= 0) return rc;
    if (o->output && o->to_stdout) return usage_error("%s", "-o and -c exclude each other");
    if (o->output && o->nfiles > 1)
        return usage_error("%s", "-o names one output: give one input file");
    if (o->salvage && o->mode != CLI_MODE_DECOMPRESS)
        return usage_error("%s", "--salvage is an option of decompression (-d)");
    if (o->salvage && o->remove_input)
        return usage_error("%s", "--salvage keeps the input: a salvaged output is incomplete");
    if (o->params.parity_k && o->mode != CLI_MODE_COMPRESS)
        return usage_error("%s", "--parity is an option of compression (decoding and repair "
                                 "read it from the frame)");
    if (o->mode == CLI_MODE_REPAIR && (o->to_stdout || o->remove_input))
        return usage_error("%s", "repair writes a file: -c and --rm are not options of repair");
    if (o->range_set && o->mode != CLI_MODE_CAT)
        return usage_error("%s", "--range is an option of 'cmz cat'");
    if ((o->mode == CLI_MODE_INFO || o->mode == CLI_MODE_CAT) && o->output)
        return usage_error("%s", "-o is not an option of info and cat");
    if (o->remove_input && (o->to_stdout || (o->output && !strcmp(o->output, "-"))) &&
        (o->mode == CLI_MODE_COMPRESS || o->mode == CLI_MODE_DECOMPRESS) && o->verbosity > 0)
        fputs("cmz: --rm has no effect when writing to stdout; inputs are kept\n", stderr);
    if (o->type && o->mode != CLI_MODE_COMPRESS)
        return usage_error("%s", "--type is an option of compression");
    if (o->type && apply_type(o) != 0) return CLI_EXIT_USAGE;
    if (o->mode == CLI_MODE_COMPRESS) {
        cmz_params resolved;
        cmz_error err;
        cmz_error_clear(&err);
        if (cmz_params_resolve(&o->params, &resolved, &err) != CMZ_OK) {
            fprintf(stderr, "cmz: %s\n", err.message[0] ? err.message : cmz_strerror(err.status));
            return CLI_EXIT_USAGE;
        }
    }
    report_backend(o);
    return -1;
}

int cli_parse(int argc, char **argv, int first, cli_mode mode, cli_options *o) {
    memset(o, 0, sizeof *o);
    o->mode = mode;
    o->params = cmz_params_default();
    o->verbosity = 1;
    /* Operands are gathered in place at the front of argv[first..]: argv outlives opts. */
    char **files = argv + first;
    int nfiles = 0;
    bool options_done = false;
    for (int i = first; i < argc; i++) {
        char *arg = argv[i];
        int rc = -1;
        if (options_done || arg[0] != '-' || arg[1] == '\0') files[nfiles++] = arg;
        else if (!strcmp(arg, "--")) options_done = true;
        else if (arg[1] == '-') rc = parse_long(o, argc, argv, &i);
        else rc = parse_short(o, argc, argv, &i);
        if (rc >= 0) return rc;
    }
    o->files = files;
    o->nfiles = nfiles;
    return check(o);
}
