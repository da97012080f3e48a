/* Messages of the data commands: "cmz: NAME: what" on stderr, summaries, sizes for people. */
#ifndef CMZ_CLI_MESSAGES_H
#define CMZ_CLI_MESSAGES_H

#include <stdbool.h>
#include <stdint.h>

#include "args.h"
#include "cmz/salvage.h"

/* "cmz: NAME: <formatted>" (no NAME when it is NULL). Returns CLI_EXIT_ERROR. */
int cli_errorf(const char *name, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* "cmz: NAME: <err's message>" (the library's sentence names chunk and offset), or the
 * status text when the library left no message. Returns CLI_EXIT_ERROR. */
int cli_lib_error(const char *name, cmz_status status, const cmz_error *err);

/* "stdin" for "-", else the path itself. */
const char *cli_display_name(const char *path);

/* Summaries ("FILE: 123 -> 45 bytes (36.59%)", "FILE: OK") are printed with -v, and by
 * default when stderr is a terminal (zstd's habit); never with -q. */
bool cli_summary_wanted(const cli_options *o);

/* "1.50 MiB"-style text for a byte count; returns buf. */
const char *cli_human_size(uint64_t bytes, char buf[32]);

/* "36.59%" of part/whole, or "n/a" when whole is 0; returns buf. */
const char *cli_percent(uint64_t part, uint64_t whole, char buf[16]);

/* The chunks a verify/salvage/repair report lists as damaged or missing, one line each (a run
 * of missing chunks in one line: a frame without its index can lose thousands), whether parity
 * can rebuild them, and the report's summary. */
void cli_print_damage(const char *name, const cmz_frame_report *rep);

/* After a verify report: the command that will work on the file ('cmz repair' only when it
 * would rebuild it whole, else 'cmz -d --salvage'). */
void cli_print_advice(const char *name, const cmz_frame_report *rep);

#endif
