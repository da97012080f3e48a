/* cmz: the command-line program. main() only finds the command word and the global flags
 * (--version, --help) and hands everything else to the command's function (commands.h);
 * commands parse their own options. A new command is one line in `commands` below. */
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
} command;

static const command commands[] = {
    {"compress", cmz_cmd_compress, "FILE -> FILE.cmz (the default command)"},
    {"decompress", cmz_cmd_decompress, "FILE.cmz -> FILE (same as -d; also: uncmz)"},
    {"test", cmz_cmd_test, "decode and check every chunk, write nothing (same as -t)"},
    {"info", cmz_cmd_info, "frame details: codec, level, chunks, sizes, ratio (same as -l)"},
    {"cat", cmz_cmd_cat, "content bytes to stdout; --range OFF:LEN decodes only those"},
    {"repair", cmz_cmd_repair, "rebuild damaged chunks from parity, rewrite header/index/footer"},
    {"bench", cmz_cmd_bench, "measure every codec on your files or built-in samples"},
    {"codecs", cmz_cmd_codecs, "codecs compiled in: ids, levels, chunk sizes, libraries"},
    {"policy", cmz_cmd_policy, "compression policy per resource type (cmz policy --help)"},
    {"hw", cmz_cmd_hw, "hardware backends (cpu, cuda, qat): present, or why not"},
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
    fputs("\nCommands (a command word comes first; anything else is compression):\n", to);
    for (size_t i = 0; i < NCOMMANDS; i++)
        fprintf(to, "  %-11s %s\n", commands[i].name, commands[i].summary);
    fputs("  --version   cmz's and the codec libraries' versions (-q: number only, -v: more)\n"
          "  -h, --help  this text\n"
          "A file named like a command is compressed with 'cmz -- NAME' or 'cmz ./NAME'.\n",
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
    return fflush(stdout) == 0 ? CLI_EXIT_OK : CLI_EXIT_ERROR;
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

int main(int argc, char **argv) {
    if (argc < 1) return CLI_EXIT_USAGE;
    int rc = global_flags(argc, argv);
    if (rc >= 0) return rc;
    /* uncmz is cmz -d: every argument is an option or a file, no command words. */
    if (called_as(argv[0], "uncmz")) return cmz_cmd_decompress(argc, argv);
    if (argc > 1) {
        const command *cmd = find_command(argv[1]);
        if (cmd) return cmd->run(argc - 1, argv + 1);
        if (mistyped_command(argv[1])) {
            fprintf(stderr, "cmz: unknown command '%s' (and no file of that name); commands:",
                    argv[1]);
            for (size_t i = 0; i < NCOMMANDS; i++)
                fprintf(stderr, "%s %s", i ? "," : "", commands[i].name);
            fputs("\ncmz: try 'cmz --help'\n", stderr);
            return CLI_EXIT_ERROR;
        }
    }
    /* ---- the default command: compression, with the options and files as given ---------- */
    return cmz_cmd_compress(argc, argv);
}
