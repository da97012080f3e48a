/* cmz: the command-line program. main() only finds the command word and the global flags
 * (--version, --help) and hands everything else to the command's function (commands.h);
 * commands parse their own options. A new command is one line in `commands` below. Global
 * options (-q, -v, -T, --memory-limit, --config) may come before the command word: git's rule,
 * the first word that is no option nor an option's value is the command. main() also checks,
 * once for every command, that what went to stdout was written. */
#include <assert.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "args.h" /* exit codes, the data commands' usage text */
#include "cmz/common.h"
#include "commands.h"

typedef struct {
    const char *name;
    int (*run)(int argc, char **argv); /* argv[0] is the command word */
    const char *summary;               /* one line for --help */
    bool subcommand;                   /* a second word comes before the options (policy) */
} command;

static const command commands[] = {
    {"compress", cmz_cmd_compress, "FILE -> FILE.cmz (the default command)", false},
    {"decompress", cmz_cmd_decompress, "FILE.cmz -> FILE (same as -d; also: uncmz)", false},
    {"test", cmz_cmd_test, "decode and check every chunk, write nothing (same as -t)", false},
    {"info", cmz_cmd_info, "frame details: codec, level, chunks, sizes, ratio (same as -l)", false},
    {"cat", cmz_cmd_cat, "content bytes to stdout; --range OFF:LEN decodes only those", false},
    {"repair", cmz_cmd_repair, "rebuild damaged chunks from parity, rewrite header/index/footer",
     false},
    {"bench", cmz_cmd_bench, "measure every codec on your files or built-in samples", false},
    {"codecs", cmz_cmd_codecs, "codecs compiled in: ids, levels, chunk sizes, libraries", false},
    {"policy", cmz_cmd_policy, "compression policy per resource type (cmz policy --help)", true},
    {"hw", cmz_cmd_hw, "hardware backends (cpu, cuda, qat): present, or why not", false},
};
#define NCOMMANDS (sizeof commands / sizeof commands[0])

static const command *find_command(const char *word) {
    for (size_t i = 0; i < NCOMMANDS; i++)
        if (!strcmp(word, commands[i].name)) return &commands[i];
    return NULL;
}

static void print_help(FILE *to) {
    fprintf(to, "cmz %s: compresses data into checksummed, seekable .cmz frames on every core.\n",
            cmz_version());
    cli_print_usage(to);
    fputs("\nCommands (a command word comes first, after any global options; anything else is\n"
          "compression):\n",
          to);
    for (size_t i = 0; i < NCOMMANDS; i++)
        fprintf(to, "  %-11s %s\n", commands[i].name, commands[i].summary);
    fputs("  --version   cmz's and the codec libraries' versions (-q: number only, -v: more)\n"
          "  -h, --help  this text\n"
          "-q, -v, -T#, --memory-limit=N and --config=FILE may also come before the command\n"
          "word: the first word that is no option is the command. A file named like a\n"
          "command is compressed with 'cmz -- NAME' or 'cmz ./NAME'.\n",
          to);
}

/* Arguments made only of --version/-V or --help/-h, with -v/-q around them ("cmz -vV",
 * "cmz --version -q"), are answered here. Returns the exit code, or -1 for anything else. */
static int global_flags(int argc, char **argv) {
    bool version = false, help = false;
    int verbosity = 1;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "--version")) version = true;
        else if (!strcmp(a, "--help")) help = true;
        else if (!strcmp(a, "--verbose")) verbosity++;
        else if (!strcmp(a, "--quiet")) verbosity = 0;
        else if (a[0] == '-' && a[1] && a[1] != '-') {
            for (const char *p = a + 1; *p; p++) {
                switch (*p) {
                case 'V': version = true; break;
                case 'h':
                case 'H': help = true; break;
                case 'v': verbosity++; break;
                case 'q': verbosity = 0; break;
                default: return -1;
                }
            }
        } else return -1;
    }
    if (help) {
        print_help(stdout);
    } else if (version) {
        cmz_print_version(stdout, verbosity);
    } else {
        return -1;
    }
    return CLI_EXIT_OK; /* main checks that stdout was written */
}

/* How many arguments from argv[i] make one global option (2 when its value is the next one),
 * or 0 when argv[i] is none, or lacks its value (the command then says so). */
static int global_option(int argc, char **argv, int i) {
    static const char *const flags[] = {"--quiet", "--verbose"};
    static const char *const valued[] = {"--threads", "--memory-limit", "--memory", "--config"};
    const char *a = argv[i];
    bool has_next = i + 1 < argc;
    if (a[0] != '-' || !a[1]) return 0;
    if (a[1] != '-') { /* -q, -v, -T# and groups of them: -qv, -vT4 */
        for (const char *p = a + 1; *p; p++) {
            if (*p == 'T') return p[1] ? 1 : has_next ? 2 : 0;
            if (*p != 'q' && *p != 'v') return 0;
        }
        return 1;
    }
    for (size_t k = 0; k < sizeof flags / sizeof *flags; k++)
        if (!strcmp(a, flags[k])) return 1;
    for (size_t k = 0; k < sizeof valued / sizeof *valued; k++) {
        size_t n = strlen(valued[k]);
        if (strncmp(a, valued[k], n) != 0) continue;
        if (a[n] == '=') return 1;
        if (!a[n]) return has_next ? 2 : 0;
    }
    return 0;
}

/* Moves argv[at..at+words) to argv[1..], before the global options found in argv[1..at),
 * so that the command gets those options as if they followed its words. */
static void hoist(char **argv, int at, int words) {
    char *moved[2];
    assert(words >= 1 && words <= 2);
    memcpy(moved, argv + at, (size_t)words * sizeof *argv);
    memmove(argv + 1 + words, argv + 1, (size_t)(at - 1) * sizeof *argv);
    memcpy(argv + 1, moved, (size_t)words * sizeof *argv);
}

/* Every command's output goes through stdout's buffer or its descriptor; a write that failed
 * (a full disk, /dev/full, a closed stdout) turns a success into exit 1 with the reason,
 * once, here, as coreutils' close_stdout does. */
static int close_stdout(int rc) {
    errno = 0;
    bool failed = fflush(stdout) != 0 || ferror(stdout);
    int error = errno;
    if (fclose(stdout) != 0 && !failed && errno != EBADF) {
        failed = true;
        error = errno;
    }
    if (!failed) return rc;
    fprintf(stderr, "cmz: cannot write to stdout%s%s\n", error ? ": " : "",
            error ? strerror(error) : "");
    return rc == CLI_EXIT_OK ? CLI_EXIT_ERROR : rc;
}

/* A first argument that reads like a command word ("decompres") and is no file: a typo of a
 * command far more likely than a file to compress, so say so instead of "no such file". */
static bool mistyped_command(const char *word) {
    if (word[0] < 'a' || word[0] > 'z') return false;
    for (const char *p = word; *p; p++)
        if (!((*p >= 'a' && *p <= 'z') || *p == '-')) return false;
    struct stat st;
    return stat(word, &st) != 0 && errno == ENOENT;
}

static bool called_as(const char *argv0, const char *name) {
    const char *base = strrchr(argv0, '/');
    return !strcmp(base ? base + 1 : argv0, name);
}

static int run(int argc, char **argv) {
    int rc = global_flags(argc, argv);
    if (rc >= 0) return rc;
    /* uncmz is cmz -d: every argument is an option or a file, no command words. */
    if (called_as(argv[0], "uncmz")) return cmz_cmd_decompress(argc, argv);
    int first = 1, n;
    while (first < argc && (n = global_option(argc, argv, first)) > 0) first += n;
    if (first < argc) {
        const command *cmd = find_command(argv[first]);
        if (cmd) {
            int words = cmd->subcommand && first + 1 < argc ? 2 : 1;
            hoist(argv, first, words);
            return cmd->run(argc - 1, argv + 1);
        }
        /* after options, a word no command is a file: "cmz -q missing-file other" */
        if (first == 1 && mistyped_command(argv[first])) {
            fprintf(stderr,
                    "cmz: unknown command '%s' (and no file of that name); commands:", argv[first]);
            for (size_t i = 0; i < NCOMMANDS; i++)
                fprintf(stderr, "%s %s", i ? "," : "", commands[i].name);
            fputs("\ncmz: try 'cmz --help'\n", stderr);
            return CLI_EXIT_ERROR;
        }
    }
    /* ---- the default command: compression, with the options and files as given ---------- */
    return cmz_cmd_compress(argc, argv);
}

int main(int argc, char **argv) {
    if (argc < 1) return CLI_EXIT_USAGE;
    return close_stdout(run(argc, argv));
}
