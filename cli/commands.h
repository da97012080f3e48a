/* The commands of the cmz program, dispatched by main.c from its table.
 *
 * Each command gets the arguments from its command word on: argv[0] is the word ("codecs"),
 * or the program name for the default command (compression, and decompression when the
 * program is called as uncmz), and its options start at argv[1]. It returns the exit status:
 * 0 success, 1 error, 2 usage error (for the data commands, 128 + the signal's number when
 * SIGINT, SIGTERM, SIGHUP or SIGQUIT left work undone: docs/CLI.md, "Exit status"). */
#ifndef CMZ_CLI_COMMANDS_H
#define CMZ_CLI_COMMANDS_H

#include <stdio.h>

int cmz_cmd_compress(int argc, char **argv);   /* cmd_compress.c: the default command */
int cmz_cmd_decompress(int argc, char **argv); /* cmd_decompress.c (also uncmz) */
int cmz_cmd_test(int argc, char **argv);       /* cmd_decompress.c */
int cmz_cmd_info(int argc, char **argv);       /* cmd_info.c */
int cmz_cmd_cat(int argc, char **argv);        /* cmd_info.c */
int cmz_cmd_repair(int argc, char **argv);     /* cmd_repair.c */
int cmz_cmd_bench(int argc, char **argv);      /* cmd_bench.c */
int cmz_cmd_codecs(int argc, char **argv);     /* cmd_codecs.c */
int cmz_cmd_policy(int argc, char **argv);     /* cmd_policy.c */
int cmz_cmd_hw(int argc, char **argv);         /* cmd_hw.c */

/* `cmz --version`: verbosity 0 (-q) prints the bare version number, 1 one line with the
 * codec libraries' versions (zstd's habit), 2+ (-v) one line per codec and the build. */
void cmz_print_version(FILE *to, int verbosity);

#endif
