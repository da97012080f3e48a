/* Numbers on the command line, parsed in one place and strictly: decimal digits only (no sign,
 * no space, no junk, not empty), never wrapped, always within the caller's range. */
#ifndef CMZ_CLI_NUMBERS_H
#define CMZ_CLI_NUMBERS_H

#include <stdint.h>

/* An unsigned decimal integer in [min, max]. Returns 0 and *out, or -1 (*out untouched). */
int cli_parse_uint(const char *text, uint64_t min, uint64_t max, uint64_t *out);

/* The same with an optional leading '-' (levels). */
int cli_parse_int(const char *text, int64_t min, int64_t max, int64_t *out);

/* A decimal number in [min, max]: digits, optionally a '.' and more digits ("0.02", "5"). */
int cli_parse_decimal(const char *text, double min, double max, double *out);

/* A size in [min, max]: digits, then optionally K, M, G or T alone or followed by B or iB
 * (binary: 1K = 1KB = 1KiB = 1024), or B alone. Returns 0 and *out, or -1. */
int cli_parse_size(const char *text, uint64_t min, uint64_t max, uint64_t *out);

/* The parsers above for an option's value: on failure they print "PROG: bad value 'TEXT' for
 * OPTION (valid: RANGE)" on stderr (prog is "cmz" or "cmz bench"; RANGE is min..max, sizes
 * with their units) and return -1; the caller then returns the usage exit status. */
int cli_uint_arg(const char *prog, const char *option, const char *text, uint64_t min, uint64_t max,
                 uint64_t *out);
int cli_int_arg(const char *prog, const char *option, const char *text, int64_t min, int64_t max,
                int64_t *out);
int cli_size_arg(const char *prog, const char *option, const char *text, uint64_t min, uint64_t max,
                 uint64_t *out);

/* The same message with a valid set or range described in words ("2, 4 or 8"); returns -1. */
int cli_bad_value(const char *prog, const char *option, const char *text, const char *valid);

#endif
