/* A value's type and its number, the same way for every key of the compression policy and of
 * the release rules: what a value is (untagged plain text, a string, or a tagged scalar) is
 * checked against what the key takes, and every number is read here, strictly. */
#include "internal.h"

#include <assert.h>
#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

static const char *const tag_names[] = {
    [CMZ__TAG_INT] = "!!int", [CMZ__TAG_FLOAT] = "!!float", [CMZ__TAG_BOOL] = "!!bool"};

static bool is_null(const cmz__value *v) {
    const char *s = v->text;
    if (v->tag == CMZ__TAG_NULL) return true;
    return v->tag == CMZ__TAG_PLAIN && (!s[0] || strcmp(s, "~") == 0 || strcmp(s, "null") == 0 ||
                                        strcmp(s, "Null") == 0 || strcmp(s, "NULL") == 0);
}

bool cmz__value_check(const cmz__value *v, const char *name, const char *expected, unsigned takes,
                      cmz__diag_sink *r) {
    char q[48];
    if (!v->text) {
        cmz__diag_error(r, v->line, v->column, "%s must be %s, got %s", name, expected, v->kind);
        return false;
    }
    if (is_null(v)) {
        cmz__diag_error(r, v->line, v->column, "%s has no value; it must be %s", name, expected);
        return false;
    }
    switch (v->tag) {
    case CMZ__TAG_PLAIN: return true; /* read as the key wants it */
    case CMZ__TAG_QUOTED:
    case CMZ__TAG_STR:
        if (takes & CMZ__TAKES_STR) return true;
        /* A number or a boolean written as a string: "3" and !!str 3 are not 3. */
        cmz__diag_error(r, v->line, v->column, "%s must be %s, got the string \"%s\" (%s)", name,
                        expected, cmz__quote(v->text, q, sizeof q),
                        v->tag == CMZ__TAG_QUOTED ? "remove the quotes" : "tagged !!str");
        return false;
    case CMZ__TAG_INT:
    case CMZ__TAG_FLOAT:
    case CMZ__TAG_BOOL: {
        unsigned bit = v->tag == CMZ__TAG_INT     ? CMZ__TAKES_INT
                       : v->tag == CMZ__TAG_FLOAT ? CMZ__TAKES_FLOAT
                                                  : CMZ__TAKES_BOOL;
        if (takes & bit) return true;
        cmz__diag_error(r, v->line, v->column, "%s must be %s, got a value tagged %s", name,
                        expected, tag_names[v->tag]);
        return false;
    }
    case CMZ__TAG_NULL: break;
    }
    assert(0 && "cannot happen: null values were refused above");
    return false;
}

/* ---- numbers ---- */

/* Binary units, as the CLI's (docs/CLI.md): K, M, G, T alone or with B or iB,
 * case-insensitive. */
static const struct {
    const char *unit;
    unsigned shift;
} units[] = {{"B", 0},  {"K", 10},  {"KB", 10},  {"KiB", 10}, {"M", 20},  {"MB", 20}, {"MiB", 20},
             {"G", 30}, {"GB", 30}, {"GiB", 30}, {"T", 40},   {"TB", 40}, {"TiB", 40}};

/* Far above every range here; a longer number saturates at it, so it cannot wrap. */
#define SATURATED ((uint64_t)1 << 62)

/* round(0.DIGITS * 2^shift), exactly and whatever the locale (strtod's decimal point is the
 * locale's): the digits are doubled shift times, each carry out being the next bit. Past 30
 * digits none can change the rounding of a number of 2^-62ths. */
static uint64_t scaled_fraction(const char *digits, size_t count, unsigned shift) {
    unsigned char d[30];
    size_t k = count < sizeof d ? count : sizeof d;
    for (size_t i = 0; i < k; i++) d[i] = (unsigned char)(digits[i] - '0');
    uint64_t bits = 0;
    for (unsigned b = 0; b < shift; b++) {
        unsigned carry = 0;
        for (size_t i = k; i-- > 0;) {
            unsigned x = d[i] * 2u + carry;
            d[i] = (unsigned char)(x % 10);
            carry = x / 10;
        }
        bits = bits * 2 + carry;
    }
    return bits + (k && d[0] >= 5); /* half up */
}

static bool junk(const cmz__value *v, const cmz__number_rule *rule, cmz__diag_sink *r) {
    char q[48];
    cmz__diag_error(r, v->line, v->column, "%s must be %s, got '%s'", rule->name, rule->expected,
                    cmz__quote(v->text, q, sizeof q));
    return false;
}

static bool out_of_range(const cmz__value *v, const cmz__number_rule *rule, const char *how,
                         cmz__diag_sink *r) {
    char q[48];
    if (!how) return junk(v, rule, r);
    cmz__diag_error(r, v->line, v->column, "%s %s %s", rule->name, cmz__quote(v->text, q, sizeof q),
                    how);
    return false;
}

bool cmz__parse_number(const cmz__value *v, const cmz__number_rule *rule, cmz__diag_sink *r,
                       int64_t *out) {
    assert(v->text && rule->max >= 0 && (rule->min >= 0 || (!rule->shift && !rule->units)));
    char q[48];
    const char *s = v->text, *p = s + (*s == '-' || *s == '+');
    bool negative = *s == '-';
    size_t digits = strspn(p, "0123456789");
    if (!digits) return junk(v, rule, r);
    uint64_t n = 0;
    for (size_t i = 0; i < digits; i++)
        n = n < SATURATED / 10 ? n * 10 + (uint64_t)(p[i] - '0') : SATURATED;
    const char *end = p + digits;
    /* A !!int tag means what it says: no fraction, no unit. */
    bool integer_only = v->tag == CMZ__TAG_INT;
    const char *fraction = end;
    size_t frac_digits = 0;
    if (*end == '.' && rule->fraction && !integer_only) {
        frac_digits = strspn(++fraction, "0123456789");
        if (!frac_digits) return junk(v, rule, r);
        end = fraction + frac_digits;
    }
    unsigned shift = rule->shift;
    if (rule->units && !integer_only) {
        const char *unit = end + strspn(end, " ");
        if (isalpha((unsigned char)*unit)) {
            size_t i = 0, count = sizeof units / sizeof units[0];
            while (i < count && strcasecmp(unit, units[i].unit) != 0) i++;
            if (i == count) {
                char qu[48];
                cmz__diag_error(r, v->line, v->column,
                                "%s '%s' has an unknown unit '%s'; use B, KB, MB or GB (1KB = 1024 "
                                "bytes) or a plain number of bytes",
                                rule->name, cmz__quote(s, q, sizeof q),
                                cmz__quote(unit, qu, sizeof qu));
                return false;
            }
            shift += units[i].shift;
            end = unit + strlen(unit);
        }
    }
    if (*end) return junk(v, rule, r);
    bool zero = !n && strspn(fraction, "0") >= frac_digits;
    if (negative && !zero && rule->min >= 0) {
        cmz__diag_error(r, v->line, v->column, "%s must not be negative, got %s", rule->name,
                        cmz__quote(s, q, sizeof q));
        return false;
    }
    /* 010 is octal to YAML 1.1 readers and decimal to others: a file that means the same to
     * every reader writes 10. */
    if (digits > 1 && p[0] == '0') {
        cmz__diag_error(r, v->line, v->column,
                        "%s %s has a leading zero, which some YAML readers take as octal; write "
                        "it without",
                        rule->name, cmz__quote(s, q, sizeof q));
        return false;
    }
    if (negative && rule->min < 0) {
        if (n > (uint64_t)-rule->min) return out_of_range(v, rule, rule->below, r);
        *out = -(int64_t)n;
        return true;
    }
    if (shift > 62 || n > ((uint64_t)rule->max >> shift))
        return out_of_range(v, rule, rule->above, r);
    uint64_t value = (n << shift) + scaled_fraction(fraction, frac_digits, shift);
    if (value > (uint64_t)rule->max) return out_of_range(v, rule, rule->above, r);
    if ((int64_t)value < rule->min) return out_of_range(v, rule, rule->below, r);
    *out = (int64_t)value;
    return true;
}
