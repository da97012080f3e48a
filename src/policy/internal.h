/* Internals of the policy layer, shared between its files (cmz__ prefix: not public). */
#ifndef CMZ_POLICY_INTERNAL_H
#define CMZ_POLICY_INTERNAL_H

#include <limits.h>

#include "../codec/known.h"
#include "../common/internal.h"
#include "cmz/codec.h"
#include "cmz/policy.h"

struct cmz_policy {
    cmz_policy_entry *entries;
    size_t count, cap;
};

/* Where diagnostics go while one file or one set of values is checked: errors counts them
 * even when diags is NULL or full, so callers decide success from it alone. */
typedef struct {
    cmz_diags *diags;
    const char *file;
    size_t errors;
    unsigned absent_codecs; /* bit per codec id already warned about (cmz__policy_check_codec) */
} cmz__diag_sink;

void cmz__diag_sink_init(cmz__diag_sink *r, cmz_diags *diags, const char *file);
/* An error at (line, column); line 0: not in a file. Counted in r->errors. */
void cmz__diag_error(cmz__diag_sink *r, unsigned line, unsigned column, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
/* A diagnostic that does not make the call fail (not counted in r->errors). */
void cmz__diag_warn(cmz__diag_sink *r, unsigned line, unsigned column, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* A caller-filled struct's reserved tail (cmz__reserved_check, "room to grow" in
 * include/cmz/common.h), for functions that report through diagnostics: false, with an error
 * naming "owner.reserved[i]", when a word is not zero. */
bool cmz__diag_reserved(const uint64_t *reserved, size_t words, const char *owner,
                        cmz__diag_sink *r);

/* Sorts the diagnostics from index `start` on by line and column (stable), so that a file's
 * are listed in file order whatever order the checks found them in. */
void cmz__diags_sort_from(cmz_diags *diags, size_t start);

/* The closest of candidates[0..n) to word by edit distance (transpositions count 1), when
 * it is close enough to be a plausible typo; NULL otherwise. */
const char *cmz__suggest(const char *word, const char *const *candidates, size_t n);

/* Copies text into buf for quoting in a message: at most ~40 characters ("..." after),
 * non-printable bytes as '?'. */
const char *cmz__quote(const char *text, char *buf, size_t cap);

/* ---- keys and values (values.c) ---- */

enum {
    CMZ__KEY_ALGORITHM,
    CMZ__KEY_LEVEL,
    CMZ__KEY_CHUNK_SIZE,
    CMZ__KEY_AUTO_COMPRESS,
    CMZ__KEY_THRESHOLD_MB,
    CMZ__KEY_PRIORITY,
    CMZ__KEY_REQUIRED, /* the keys above are required in a file; the ones below optional */
    CMZ__KEY_FILTER = CMZ__KEY_REQUIRED,
    CMZ__KEY_TYPESIZE,
    CMZ__KEY_COUNT
};
extern const char *const cmz__policy_keys[CMZ__KEY_COUNT];

/* The key's index, or -1. */
int cmz__policy_key_index(const char *name);

/* What a scalar is as written: plain (untagged and unquoted: the key reads its text as it
 * wants, "3" as a number), a string (quoted or block style; or tagged !!str), or tagged with
 * another type of YAML's core schema. The loader refuses every other tag. */
typedef enum {
    CMZ__TAG_PLAIN,
    CMZ__TAG_QUOTED,
    CMZ__TAG_STR,
    CMZ__TAG_INT,
    CMZ__TAG_FLOAT,
    CMZ__TAG_BOOL,
    CMZ__TAG_NULL,
} cmz__tag;

/* A value as found: a scalar's text and tag, or what it is when not a scalar ("a mapping",
 * "a sequence"). Its position is where errors about it are reported. */
typedef struct {
    const char *text; /* NULL when not a scalar */
    cmz__tag tag;
    const char *kind; /* when text is NULL */
    unsigned line, column;
} cmz__value;

/* ---- a value's type and its number (scalar.c), for every key of both files ---- */

/* What a key takes, for cmz__value_check. */
enum { CMZ__TAKES_STR = 1, CMZ__TAKES_INT = 2, CMZ__TAKES_FLOAT = 4, CMZ__TAKES_BOOL = 8 };

/* Whether v may be the value of key `name`, which takes `takes` (`expected`: what it must be,
 * for messages): a scalar, not null, and plain or of a type the key takes. Reports and returns
 * false otherwise. */
bool cmz__value_check(const cmz__value *v, const char *name, const char *expected, unsigned takes,
                      cmz__diag_sink *r);

/* How a key's number is written and its range. */
typedef struct {
    const char *name, *expected; /* "KEY must be EXPECTED, got 'TEXT'" */
    int64_t min, max;            /* of the result; a negative min allows a '-' */
    unsigned shift;              /* the result is the number times 2^shift (threshold_mb: 20) */
    bool fraction;               /* decimals ("0.5"); only with min >= 0 */
    bool units;                  /* a binary unit after the digits ("4MB", "4 MiB") */
    /* "KEY TEXT BELOW" and "KEY TEXT ABOVE" ("is below the minimum of 16 bytes"); NULL:
     * "KEY must be EXPECTED, got 'TEXT'". */
    const char *below, *above;
} cmz__number_rule;

/* The one number reader of the policy layer: an optional sign, decimal digits, then what
 * the rule allows; no leading zero (octal to YAML 1.1 readers), no hex, '_', exponent or
 * other text; a value tagged !!int takes no fraction or unit. Overflow is out of range, never
 * wrapped. Reports at v's position and returns false when the text is not such a number. */
bool cmz__parse_number(const cmz__value *v, const cmz__number_rule *rule, cmz__diag_sink *r,
                       int64_t *out);

/* Parses v into the key's field of *e; reports and returns false when it is not valid on
 * its own (the level's range is checked later, against the entry's codec). */
bool cmz__policy_set_key(cmz_policy_entry *e, int key, const cmz__value *v, cmz__diag_sink *r);

/* ---- filter and typesize (filter_keys.c) ---- */

/* "none", ..., "planes", or "auto" for CMZ_FILTER_AUTO; NULL for an unknown id. */
const char *cmz__policy_filter_name(int filter);
/* Whether a policy may hold (filter, typesize): cmz_filter_check's pairs, and for auto 0
 * (try 2 and 4), 2, 4 or 8. */
bool cmz__policy_filter_pair_ok(int codec, int filter, unsigned typesize);
/* Parse one value (reported at v's position); the pair is checked later. */
bool cmz__policy_parse_filter(const char *s, const cmz__value *v, cmz__diag_sink *r, int *out);
bool cmz__policy_parse_typesize(const cmz__value *v, cmz__diag_sink *r, unsigned *out);

/* Completes and checks the entry's filter and typesize after the keys were set: `given`
 * says which of the two the file or the settings named (f and t: their values, for the
 * positions; NULL when not given). A typesize not given stays when it suits the filter,
 * else takes the filter's own (none 1, auto 0 = try 2 and 4); the other filters need one.
 * Reports at the value that is wrong. */
bool cmz__policy_check_filter(cmz_policy_entry *e, const cmz__value *f, const cmz__value *t,
                              cmz__diag_sink *r);

/* Checks the level against the entry's codec; reports at (line, column). A codec that cmz
 * knows but this build lacks passes: its range is unknown here (cmz__policy_check_codec). */
bool cmz__policy_check_level(const cmz_policy_entry *e, unsigned line, unsigned column,
                             cmz__diag_sink *r);

/* Warns at (line, column) when the entry's codec is not compiled into this build, naming
 * what the type compresses with instead (cmz_policy_apply); once per codec per sink, so
 * that a file's warnings stay few beside its errors. */
void cmz__policy_check_codec(const cmz_policy_entry *e, unsigned line, unsigned column,
                             cmz__diag_sink *r);

/* Whether name follows the type naming rules (policy.h). */
bool cmz__policy_type_name_ok(const char *name);
/* Checks a type name (rules in policy.h); reports at (line, column). */
bool cmz__policy_check_type(const char *name, unsigned line, unsigned column, cmz__diag_sink *r);

/* Every field of an entry as cmz__policy_set_key would accept it (for cmz_policy_put). */
bool cmz__policy_check_entry(const cmz_policy_entry *e, cmz__diag_sink *r);

/* ---- the policy object (policy.c) ---- */

cmz_policy *cmz__policy_new(size_t cap);
/* Appends a copy of *e (no checks); false when out of memory. */
bool cmz__policy_append(cmz_policy *p, const cmz_policy_entry *e);
/* Index of the entry named type, or SIZE_MAX. */
size_t cmz__policy_find(const cmz_policy *p, const char *type);

/* ---- loading (load.c) ---- */

/* The text parsers of the policy and the release rules (cmz__policy_parse,
 * cmz__release_parse), out being the cmz_policy ** or cmz_release_rules ** they fill. */
typedef cmz_status (*cmz__yaml_text_parser)(const char *text, size_t size, cmz__diag_sink *r,
                                            void *out);
/* Both files' loaders, written once: parse reads text (named `name` in diagnostics) into out,
 * its diagnostics sorted by position into diags; CMZ_ERR_INVALID_ARG when one is an error. */
cmz_status cmz__load_yaml_string(const char *text, size_t size, const char *name,
                                 cmz__yaml_text_parser parse, void *out, cmz_diags *diags);
/* The same from a file read whole (pipes too); an unreadable file or one over
 * CMZ__YAML_MAX_SIZE ("... not <not_what>") is reported. CMZ_ERR_IO, CMZ_ERR_NOMEM too. */
cmz_status cmz__load_yaml_file(const char *path, const char *not_what, cmz__yaml_text_parser parse,
                               void *out, cmz_diags *diags);

/* The largest policy or release rules text, from a file or a string: real ones are a few
 * kilobytes; the bound keeps a wrong path (a disk image, /dev/zero) from being read whole and
 * every length within libyaml's int. */
#define CMZ__YAML_MAX_SIZE ((size_t)16 << 20)

/* ---- saving (save.c) ---- */

/* The file a save to `path` replaces: path itself, or the target of the symbolic link it
 * names (realpath'd into resolved). CMZ_ERR_IO (cannot resolve) or CMZ_ERR_INVALID_ARG (too
 * long), with err's message naming path. */
cmz_status cmz__policy_target(const char *path, char resolved[PATH_MAX], const char **target,
                              cmz_error *err);

/* ---- parsing (parse.c) ---- */

/* Parses YAML text into a new policy; reports every problem through r. *out is NULL
 * unless the text is a valid policy. CMZ_ERR_NOMEM or CMZ_OK (check r->errors). */
cmz_status cmz__policy_parse(const char *text, size_t size, cmz__diag_sink *r, cmz_policy **out);

#endif
