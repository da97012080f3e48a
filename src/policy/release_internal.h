/* Internals of the release rules (release.c, release_parse.c); cmz__ prefix: not public. */
#ifndef CMZ_RELEASE_INTERNAL_H
#define CMZ_RELEASE_INTERNAL_H

#include "cmz/release.h"
#include "internal.h"

/* Largest min_required: far above any real pool, low enough that a typo (an extra zero or
 * six) is caught instead of silently pinning every resource of the type. */
#define CMZ__RELEASE_MIN_REQUIRED_MAX 1000000u

struct cmz_release_rules {
    cmz_release_rule *rules; /* in insertion (file) order */
    size_t count, cap;
};

enum {
    CMZ__RKEY_PRIORITY,
    CMZ__RKEY_MAX_RETAIN_TIME,
    CMZ__RKEY_REQUIRED, /* the keys above are required in a file; the ones below optional */
    CMZ__RKEY_MIN_REQUIRED = CMZ__RKEY_REQUIRED,
    CMZ__RKEY_COMPRESS_BEFORE_RELEASE,
    CMZ__RKEY_COMPRESSION,
    CMZ__RKEY_COUNT
};
extern const char *const cmz__release_keys[CMZ__RKEY_COUNT];

cmz_release_rules *cmz__release_rules_new(size_t cap);
/* Appends a copy of *rule (no checks); false when out of memory. */
bool cmz__release_rules_append(cmz_release_rules *rules, const cmz_release_rule *rule);
/* Index of the rule of type, or SIZE_MAX. */
size_t cmz__release_rules_find(const cmz_release_rules *rules, const char *type);

/* Reports at (line, column) that `name` is not of a type name's form, for compression's
 * value (a file's and put's). */
void cmz__release_bad_compression(cmz__diag_sink *r, unsigned line, unsigned column,
                                  const char *name);

/* Every field of a rule as a file's would be checked (for put); reports without a position. */
bool cmz__release_check_rule(const cmz_release_rule *rule, cmz__diag_sink *r);

/* Parses YAML text into new rules, reporting every problem through r. *out is NULL unless
 * the text is valid. CMZ_ERR_NOMEM or CMZ_OK (check r->errors). */
cmz_status cmz__release_parse(const char *text, size_t size, cmz__diag_sink *r,
                              cmz_release_rules **out);

#endif
