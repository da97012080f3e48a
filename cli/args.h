/* Options of the data commands (compress, decompress, test, info, cat, repair). */
#ifndef CMZ_CLI_ARGS_H
#define CMZ_CLI_ARGS_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "cmz/hw.h"
#include "cmz/parallel.h"

/* Exit codes (documented in `cmz --help` and docs/CLI.md). */
enum {
    CLI_EXIT_OK = 0,
    CLI_EXIT_ERROR = 1,
    CLI_EXIT_USAGE = 2,
    CLI_EXIT_SIGINT = 130,
    CLI_EXIT_SIGTERM = 143,
};

typedef enum {
    CLI_MODE_COMPRESS,
    CLI_MODE_DECOMPRESS,
    CLI_MODE_TEST,
    CLI_MODE_INFO,
    CLI_MODE_CAT,
    CLI_MODE_REPAIR,
} cli_mode;

typedef struct {
    cli_mode mode;
    cmz_params params;     /* codec, level, chunk size, threads */
    uint64_t memory_limit; /* --memory-limit, decoding's bound; 0: the library's default */
    bool remove_input;     /* --rm (-k, the default, clears it) */
    bool salvage;          /* -d --salvage: write every intact chunk, zeros for the rest */
    bool force;            /* -f */
    bool to_stdout;        /* -c */
    const char *output;    /* -o OUT, or NULL */
    int verbosity;         /* 0 with -q, 1 by default, 2+ with -v */
    bool range_set;        /* cat --range OFF:LEN */
    uint64_t range_offset;
    uint64_t range_length;
    bool range_to_end;  /* "OFF:" or "OFF" */
    const char *type;   /* --type TYPE: codec, level and chunk size from the policy */
    const char *config; /* --config FILE: the policy file (else the usual search) */
    bool set_codec, set_level, set_chunk, set_filter; /* given explicitly: they beat --type */
    cmz_backend backend;                              /* --hw NAME (auto by default) */
    bool set_backend;
    char **files; /* operands; none means stdin */
    int nfiles;
} cli_options;

/* Parses argv[first..argc) for a command that starts in `mode` (-d, -t and -l switch it).
 * Returns -1 when the options are good, otherwise the exit code to return right away
 * (0 after --help, 2 after a usage error, which has been reported on stderr). `files`
 * points into argv, which must outlive opts. */
int cli_parse(int argc, char **argv, int first, cli_mode mode, cli_options *opts);

/* CMZ_BACKEND, when set, must name a backend, as --hw must. Returns -1 when it does (or is
 * unset), else the usage exit status after saying why on stderr. */
int cli_check_backend_env(void);

/* The usage text of the data commands (also used by `cmz --help`). */
void cli_print_usage(FILE *to);

#endif
