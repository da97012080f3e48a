/* Strict number parsing for every numeric option of the cmz program (numbers.h). */
#include "numbers.h"

#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Leading decimal digits of text into *out; returns the first non-digit, or NULL when there
 * is no digit or the value passes UINT64_MAX. */
static const char *digits(const char *text, uint64_t *out) {
    const char *p = text;
    uint64_t v = 0;
    for (; *p >= '0' && *p <= '9'; p++) {
        unsigned d = (unsigned)(*p - '0');
        if (v > (UINT64_MAX - d) / 10) return NULL;
        v = v * 10 + d;
    }
    if (p == text) return NULL;
    *out = v;
    return p;
}

int cli_parse_uint(const char *text, uint64_t min, uint64_t max, uint64_t *out) {
    uint64_t v;
    const char *end = text ? digits(text, &v) : NULL;
    if (!end || *end || v < min || v > max) return -1;
    *out = v;
    return 0;
}

int cli_parse_int(const char *text, int64_t min, int64_t max, int64_t *out) {
    if (!text) return -1;
    bool negative = text[0] == '-';
    uint64_t magnitude;
    if (cli_parse_uint(text + negative, 0, (uint64_t)INT64_MAX, &magnitude) != 0) return -1;
    int64_t v = negative ? -(int64_t)magnitude : (int64_t)magnitude;
    if (v < min || v > max) return -1;
    *out = v;
    return 0;
}

int cli_parse_decimal(const char *text, double min, double max, double *out) {
    uint64_t whole;
    const char *end = text ? digits(text, &whole) : NULL;
    if (end && *end == '.') end = digits(end + 1, &whole);
    if (!end || *end) return -1;
    double v = strtod(text, NULL); /* cmz keeps the C locale, whose decimal point is '.' */
    if (!(v >= min && v <= max)) return -1;
    *out = v;
    return 0;
}

/* The shift of a unit suffix ("K", "KB", "KiB", ..., "B", ""), or -1 for anything else. */
static int unit_shift(const char *unit) {
    static const char letters[] = "KMGT";
    if (!*unit || !strcmp(unit, "B")) return 0;
    const char *at = strchr(letters, unit[0]);
    if (!at || (unit[1] && strcmp(unit + 1, "B") && strcmp(unit + 1, "iB"))) return -1;
    return 10 * (int)(at - letters + 1);
}

int cli_parse_size(const char *text, uint64_t min, uint64_t max, uint64_t *out) {
    uint64_t v;
    const char *unit = text ? digits(text, &v) : NULL;
    int shift = unit ? unit_shift(unit) : -1;
    if (shift < 0 || v > (UINT64_MAX >> shift)) return -1;
    v <<= shift;
    if (v < min || v > max) return -1;
    *out = v;
    return 0;
}

int cli_bad_value(const char *prog, const char *option, const char *text, const char *valid) {
    fprintf(stderr, "%s: bad value '%s' for %s (valid: %s)\n", prog, text ? text : "", option,
            valid);
    return -1;
}

int cli_uint_arg(const char *prog, const char *option, const char *text, uint64_t min, uint64_t max,
                 uint64_t *out) {
    if (cli_parse_uint(text, min, max, out) == 0) return 0;
    char valid[64];
    snprintf(valid, sizeof valid, "%" PRIu64 "..%" PRIu64, min, max);
    return cli_bad_value(prog, option, text, valid);
}

int cli_int_arg(const char *prog, const char *option, const char *text, int64_t min, int64_t max,
                int64_t *out) {
    if (cli_parse_int(text, min, max, out) == 0) return 0;
    char valid[64];
    snprintf(valid, sizeof valid, "%" PRId64 "..%" PRId64, min, max);
    return cli_bad_value(prog, option, text, valid);
}

/* A bound in the largest unit that divides it: 16, 64K, 1G. */
static void size_text(uint64_t v, char *buf, size_t cap) {
    static const char units[] = "KMGT";
    int u = -1;
    while (u < 3 && v && v % 1024 == 0) v /= 1024, u++;
    if (u < 0) snprintf(buf, cap, "%" PRIu64, v);
    else snprintf(buf, cap, "%" PRIu64 "%c", v, units[u]);
}

int cli_size_arg(const char *prog, const char *option, const char *text, uint64_t min, uint64_t max,
                 uint64_t *out) {
    if (cli_parse_size(text, min, max, out) == 0) return 0;
    char lo[32], hi[32], valid[128];
    size_text(min, lo, sizeof lo);
    size_text(max, hi, sizeof hi);
    snprintf(valid, sizeof valid, "%s..%s; units K, M, G, T, also as KB or KiB", lo, hi);
    return cli_bad_value(prog, option, text, valid);
}
