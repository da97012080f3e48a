/* The optional keys `filter` and `typesize`: parsing each, and checking the pair, which only
 * makes sense together (a filter works on elements of typesize bytes). Absent, they mean no
 * filter and typesize 1, and the file does not write them. */
#include "internal.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

/* Every name a policy accepts, in the order messages list them. */
static const char *const filter_names[] = {"none",  "shuffle", "bitshuffle",
                                           "delta", "planes",  "auto"};
#define FILTER_NAMES (sizeof filter_names / sizeof filter_names[0])

const char *cmz__policy_filter_name(int filter) {
    if (filter == CMZ_FILTER_AUTO) return "auto";
    /* NULL for an id cmz_filter_name would call "unknown": callers print the number */
    return cmz_filter_check(filter, 1) == CMZ_ERR_UNSUPPORTED ? NULL : cmz_filter_name(filter);
}

bool cmz__policy_filter_pair_ok(int codec, int filter, unsigned typesize) {
    if (filter == CMZ_FILTER_NONE && cmz_codec_takes_typesize(cmz_codec_by_id(codec)))
        return cmz__element_size_ok(typesize); /* planes */
    if (filter == CMZ_FILTER_AUTO)
        return typesize == 0 || cmz_filter_check(CMZ_FILTER_SHUFFLE, typesize) == CMZ_OK;
    return cmz_filter_check(filter, typesize) == CMZ_OK;
}

bool cmz__policy_parse_filter(const char *s, const cmz__value *v, cmz__diag_sink *r, int *out) {
    if (strcasecmp(s, "auto") == 0) {
        *out = CMZ_FILTER_AUTO;
        return true;
    }
    int id;
    if (cmz_filter_by_name(s, &id, NULL) == CMZ_OK) {
        *out = id;
        return true;
    }
    char q[48];
    const char *hint = cmz__suggest(s, filter_names, FILTER_NAMES);
    cmz__diag_error(r, v->line, v->column,
                    "unknown filter '%s'; valid filters: none, shuffle, bitshuffle, delta, planes, "
                    "auto%s%s%s",
                    cmz__quote(s, q, sizeof q), hint ? "; did you mean '" : "", hint ? hint : "",
                    hint ? "'?" : "");
    return false;
}

bool cmz__policy_parse_typesize(const cmz__value *v, cmz__diag_sink *r, unsigned *out) {
    const cmz__number_rule rule = {
        "typesize", "1, 2, 4 or 8 (0 with filter auto)", 0, 8, 0, false, false, NULL, NULL};
    int64_t n;
    if (!cmz__parse_number(v, &rule, r, &n)) return false;
    if (n != 0 && !cmz__element_size_ok((unsigned)n)) {
        char q[48];
        cmz__diag_error(r, v->line, v->column, "typesize must be %s, got '%s'", rule.expected,
                        cmz__quote(v->text, q, sizeof q));
        return false;
    }
    *out = (unsigned)n;
    return true;
}

static unsigned line_of(const cmz__value *v) { return v ? v->line : 0; }
static unsigned column_of(const cmz__value *v) { return v ? v->column : 0; }

bool cmz__policy_check_filter(cmz_policy_entry *e, const cmz__value *f, const cmz__value *t,
                              cmz__diag_sink *r) {
    if (cmz__policy_filter_pair_ok(e->codec, e->filter, e->typesize)) return true;
    const char *name = cmz__policy_filter_name(e->filter);
    if (!t) {
        /* A new filter without a typesize: keep one that suits it, else its own. */
        if (e->filter == CMZ_FILTER_NONE || e->filter == CMZ_FILTER_AUTO) {
            e->typesize = e->filter == CMZ_FILTER_NONE ? 1 : 0;
            return true;
        }
        cmz__diag_error(r, line_of(f), column_of(f),
                        "filter %s needs a typesize: 2, 4 or 8 (the size of one element, e.g. 4 "
                        "for float32, 2 for float16)",
                        name);
        return false;
    }
    unsigned line = line_of(t), column = column_of(t);
    if (e->typesize == 0)
        cmz__diag_error(r, line, column,
                        "typesize 0 is only valid with filter auto (it tries 2 and 4)");
    else if (e->filter == CMZ_FILTER_NONE && !f)
        cmz__diag_error(r, line, column,
                        "typesize %u needs a filter (shuffle, bitshuffle, delta, planes or "
                        "auto) or the planes codec (algorithm planes): otherwise, typesize is 1",
                        e->typesize);
    else
        cmz__diag_error(r, line, column, "typesize %u is not valid for filter %s: it takes %s",
                        e->typesize, name,
                        e->filter == CMZ_FILTER_NONE   ? "1"
                        : e->filter == CMZ_FILTER_AUTO ? "2, 4 or 8 (leave it out to try 2 and 4)"
                                                       : "2, 4 or 8");
    return false;
}
