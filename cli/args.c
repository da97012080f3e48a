/* Option parsing for the data commands, zstd-style: short flags combine (-dkf, -19, -T4),
 * long options take "--name=value" or "--name value", options and files may mix, "--" ends
 * the options and "-" is stdin. */
#include "args.h"

#include "cmz/policy.h"

#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

int cli_parse_size(const char *text, uint64_t *out) {
    if (!text || !isdigit((unsigned char)text[0])) return -1;
    errno = 0;
    char *end;
    unsigned long long v = strtoull(text, &end, 10);
    if (errno == ERANGE) return -1;
    unsigned shift = 0;
    if (*end) {
        switch (toupper((unsigned char)*end)) {
        case 'K': shift = 10; break;
        case 'M': shift = 20; break;
        case 'G': shift = 30; break;
        case 'T': shift = 40; break;
        case 'B': break;
        default: return -1;
        }
        if (shift) {
            end++;
            if (*end == 'i' || *end == 'I') { /* KiB: the B is then required */
                end++;
                if (*end != 'B' && *end != 'b') return -1;
            }
            if (*end == 'B' || *end == 'b') end++;
        } else {
            end++; /* a lone "B" */
        }
        if (*end) return -1;
    }
    if (shift && v > (UINT64_MAX >> shift)) return -1;
    *out = (uint64_t)v << shift;
    return 0;
}

int cli_parse_range(const char *text, cli_options *opts) {
    const char *colon = strchr(text, ':');
    char offset_text[64];
    size_t n = colon ? (size_t)(colon - text) : strlen(text);
    if (n == 0 || n >= sizeof offset_text) return -1;
    memcpy(offset_text, text, n);
    offset_text[n] = '\0';
    if (cli_parse_size(offset_text, &opts->range_offset) != 0) return -1;
    opts->range_set = true;
    opts->range_to_end = !colon || colon[1] == '\0';
    opts->range_length = 0;
    if (!opts->range_to_end && cli_parse_size(colon + 1, &opts->range_length) != 0) return -1;
    return 0;
}

void cli_print_usage(FILE *to) {
    fputs(
        "Usage: cmz [OPTIONS] [FILE...]            compress each FILE to FILE.cmz\n"
        "       cmz -d|decompress [OPTIONS] [FILE.cmz...]   (also: uncmz)\n"
        "       cmz -t|test [OPTIONS] [FILE.cmz...]          verify integrity\n"
        "       cmz -l|info [-v] FILE.cmz...                 show frame details\n"
        "       cmz cat [--range OFF:LEN] FILE.cmz...        write content bytes to stdout\n"
        "       cmz repair [-o OUT] FILE.cmz...              rebuild from parity, in place\n"
        "With no FILE, or when FILE is -, read stdin and write stdout.\n"
        "\n"
        "Options:\n"
        "  -#                 compression level (-1 .. -22 for zstd; each codec has its range)\n"
        "  --level=N          level, also negative ones (--level=-5)\n"
        "  -a, --algorithm=A  codec: zstd (default), lz4, gzip, bzip2, lzma, snappy, brotli,\n"
        "                     none (`cmz codecs` lists those compiled in)\n"
        "  -T#, --threads=#   worker threads; 0 (default) uses every core\n"
        "  --chunk-size=N     raw bytes per chunk (default: the codec's)\n"
        "  --filter=F         typed-data filter before the codec: none (default), shuffle,\n"
        "                     bitshuffle, delta, planes (float byte planes), or auto (tries\n"
        "                     them on a sample of the first chunk); recorded in the frame\n"
        "  --typesize=N       element size for the filter: 2 (fp16/bf16), 4 (fp32), 8\n"
        "  --type=TYPE        codec, level, chunk size and filter from the policy for this\n"
        "                     resource type (`cmz policy list`); explicit flags still win\n"
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
        "Sizes take binary units: K, M, G, T (KB, KiB, MB, MiB ... are the same: 1K = 1024).\n"
        "\n"
        "Exit status: 0 success, 1 error (I/O, corrupt input, existing output, ...),\n"
        "2 usage error, 130 interrupted by SIGINT, 143 terminated by SIGTERM.\n"
        "With several FILEs each is processed; the status is 1 if any failed.\n",
        to);
}

static int usage_error(const char *fmt, const char *what) {
    fputs("cmz: ", stderr);
    fprintf(stderr, fmt, what);
    fputs("\ncmz: try 'cmz --help'\n", stderr);
    return CLI_EXIT_USAGE;
}

static int parse_uint(const char *text, unsigned max, unsigned *out) {
    if (!text || !isdigit((unsigned char)text[0])) return -1;
    char *end;
    errno = 0;
    unsigned long long v = strtoull(text, &end, 10);
    if (errno || *end || v > max) return -1;
    *out = (unsigned)v;
    return 0;
}

static int parse_level(const char *text, int *out) {
    char *end;
    if (!text || !*text) return -1;
    errno = 0;
    long v = strtol(text, &end, 10);
    if (errno || *end || v < -1000 || v > 1000) return -1;
    *out = (int)v;
    return 0;
}

/* Applies an option that takes a value. Returns -1 when fine, else an exit code. */
static int apply_value(cli_options *o, const char *name, const char *value) {
    uint64_t size;
    if (!value) return usage_error("option %s needs a value", name);
    if (!strcmp(name, "-T") || !strcmp(name, "--threads")) {
        if (parse_uint(value, 4096, &o->params.threads) != 0)
            return usage_error("bad thread count '%s'", value);
    } else if (!strcmp(name, "-a") || !strcmp(name, "--algorithm") || !strcmp(name, "--codec")) {
        cmz_error err;
        cmz_error_clear(&err);
        const cmz_codec *codec = cmz_codec_by_name(value, &err);
        if (!codec) {
            fprintf(stderr, "cmz: %s\n", err.message[0] ? err.message : "unknown codec");
            return CLI_EXIT_USAGE;
        }
        o->params.codec = (int)cmz_codec_id_of(codec);
        o->set_codec = true;
    } else if (!strcmp(name, "--level")) {
        if (parse_level(value, &o->params.level) != 0)
            return usage_error("bad level '%s'", value);
        o->set_level = true;
    } else if (!strcmp(name, "--chunk-size")) {
        if (cli_parse_size(value, &size) != 0 || size > UINT32_MAX)
            return usage_error("bad chunk size '%s' (a size such as 256K or 4MiB)", value);
        if (size == 0) return usage_error("bad chunk size '%s'", value);
        o->params.chunk_size = (uint32_t)size;
        o->set_chunk = true;
    } else if (!strcmp(name, "--filter")) {
        int id = strcmp(value, "auto") == 0 ? CMZ_FILTER_AUTO : cmz_filter_by_name(value);
        if (id == -1 && strcmp(value, "auto") != 0)
            return usage_error("unknown filter '%s' (none, shuffle, bitshuffle, delta, planes, "
                               "auto)",
                               value);
        o->params.filter = id;
        o->set_filter = true;
    } else if (!strcmp(name, "--typesize")) {
        if (parse_uint(value, 255, &o->params.typesize) != 0)
            return usage_error("bad typesize '%s' (2, 4 or 8)", value);
        o->set_filter = true;
    } else if (!strcmp(name, "--type")) {
        o->type = value;
    } else if (!strcmp(name, "--config")) {
        o->config = value;
    } else if (!strcmp(name, "--memory-limit") || !strcmp(name, "--memory")) {
        if (cli_parse_size(value, &size) != 0 || size == 0)
            return usage_error("bad memory limit '%s' (a size such as 64M or 1GiB)", value);
        o->params.memory_limit = size;
    } else if (!strcmp(name, "--hw")) {
        if (cmz_backend_parse(value, &o->backend, NULL) != CMZ_OK)
            return usage_error("unknown backend '%s' (auto, cpu, cuda, qat)", value ? value : "");
        o->set_backend = true;
    } else if (!strcmp(name, "--parity")) {
        unsigned k, m;
        char extra;
        if (strcmp(value, "none") == 0 || strcmp(value, "0") == 0) {
            k = m = 0;
        } else if (sscanf(value, "%u:%u%c", &k, &m, &extra) != 2 || k == 0 || m == 0 ||
                   k >= CMZ_PARITY_MAX || m >= CMZ_PARITY_MAX || k + m > CMZ_PARITY_MAX) {
            return usage_error("bad parity '%s' (K:M, data and parity chunks per group, each "
                               "at least 1, K + M at most 255; or none)",
                               value);
        }
        o->params.parity_k = k;
        o->params.parity_m = m;
    } else if (!strcmp(name, "-o") || !strcmp(name, "--output")) {
        o->output = value;
    } else if (!strcmp(name, "--range")) {
        if (cli_parse_range(value, o) != 0)
            return usage_error("bad range '%s' (OFF:LEN, OFF: or OFF, with size units)", value);
    } else {
        return usage_error("unknown option %s", name);
    }
    return -1;
}

static const char *const valued_long[] = {"--threads", "--algorithm", "--codec", "--level",
                                          "--chunk-size", "--memory-limit", "--memory",
                                          "--output", "--range", "--type", "--config",
                                          "--filter", "--typesize", "--parity", "--hw"};

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
            if (n >= sizeof digits) return usage_error("bad level in '%s'", argv[*i]);
            memcpy(digits, start, n);
            digits[n] = '\0';
            o->params.level = atoi(digits);
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
    cmz_status st = diags ? cmz_policy_open(o->config, false, &policy, &loc, diags)
                          : CMZ_ERR_NOMEM;
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
    if (!cmz_policy_get(policy, o->type) && o->verbosity > 0)
        fprintf(stderr, "cmz: no policy for type '%s' in %s; using 'default'\n", o->type,
                loc.source == CMZ_POLICY_SOURCE_BUILTIN ? "the built-in policy" : loc.path);
    cmz_params from_policy = o->params;
    cmz_policy_apply(policy, o->type, &from_policy);
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

/* --hw (or CMZ_BACKEND): the backend chosen for the codec, and why. A backend asked for that is
 * absent falls back to the CPU: said on stderr (not an error, the work is done the same). The
 * hardware is probed only when asked about. */
static void report_backend(const cli_options *o) {
    const char *env = getenv("CMZ_BACKEND");
    if (!o->set_backend && !(env && *env)) return;
    cmz_hw_choice c = cmz_hw_best(o->backend, o->params.codec, o->params.level, 0,
                                  CMZ_DATA_HOST);
    if ((c.asked != CMZ_BACKEND_AUTO && c.backend != c.asked && o->verbosity > 0) ||
        o->verbosity >= 2)
        fprintf(stderr, "cmz: backend %s: %s\n", cmz_backend_name(c.backend), c.reason);
}

/* Cross-option rules, and codec/level/chunk-size checks by the library before any work. */
static int check(cli_options *o) {
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
