/* Release rules: which resource types the reaper may release, in which order, and when.
 *
 * Loaded from configs/releasable_resources.yaml (docs/RELEASE.md), validated like the
 * compression policy (every mistake reported as file:line:column through cmz_diags, with a
 * did-you-mean for misspelt keys). A type with no rule is never released by the reaper (it may
 * still be compressed under pressure, by its compression policy).
 *
 *   releasable_resources:
 *     model_shards:
 *       priority: 1            # release order: 1 goes first (1..1000)
 *       max_retain_time: 300   # seconds idle after which it is released without pressure
 *       min_required: 2        # optional (default 0): keep at least this many of the type
 *       compress_before_release: false   # optional (default false): release = keep the
 *                                        # compressed form and drop the raw bytes
 *       compression: model_weights       # optional: the compression policy's entry the
 *                                        # type uses when the policy has none of its own
 *
 * The compression entry a type uses (cmz_policy_resolve): the policy's own entry for the type
 * when it has one; else the entry its rule names under `compression`; else `default`. A rule
 * naming an entry the policy does not have is an error where both meet: cmz_registry_new
 * refuses it (cmz_release_rules_check_policy says which rule and entry).
 */
#ifndef CMZ_RELEASE_H
#define CMZ_RELEASE_H

#include "cmz/common.h"
#include "cmz/policy.h"

#include <stdbool.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define CMZ_RELEASE_PRIORITY_MAX 1000u
#define CMZ_RELEASE_RETAIN_MAX (365u * 24u * 3600u) /* seconds: one year */

typedef struct {
    char type[CMZ_POLICY_TYPE_MAX + 1]; /* same naming rules as the compression policy */
    unsigned priority;                  /* 1..CMZ_RELEASE_PRIORITY_MAX, 1 released first */
    uint32_t max_retain_time;           /* seconds idle before release, 1..RETAIN_MAX */
    unsigned min_required;              /* resources of the type always kept, 0..1000000 */
    bool compress_before_release;
    /* [compression] the compression policy's entry the type uses when the policy has no
       entry of its own (same naming rules as a type); "" for none: `default` then. */
    char compression[CMZ_POLICY_TYPE_MAX + 1];
    uint64_t reserved[CMZ_RESERVED_WORDS]; /* room to grow (common.h): zeros in every rule
                                              returned; must be zero for put */
} cmz_release_rule;

typedef struct cmz_release_rules cmz_release_rules;

/* The built-in rules (docs/RELEASE.md), identical to configs/releasable_resources.yaml;
 * NULL when out of memory. A rules object has no lock: readers may share it, a writer (put)
 * needs it to itself. Pointers from at/get stay valid until the next put or free. */
cmz_release_rules *cmz_release_rules_new_default(void);
/* Loads and validates; *out is NULL unless the whole file is valid. Every problem goes to
 * diags (may be NULL), in file order. CMZ_ERR_IO when the file cannot be read,
 * CMZ_ERR_INVALID_ARG when invalid (or for NULL arguments), CMZ_ERR_NOMEM. load_string names
 * the text `name` in diagnostics (NULL: "<string>"); a text over 16 MiB is refused, as a
 * file is. Free *out with cmz_release_rules_free. */
cmz_status cmz_release_rules_load_file(const char *path, cmz_release_rules **out, cmz_diags *diags);
cmz_status cmz_release_rules_load_string(const char *text, size_t size, const char *name,
                                         cmz_release_rules **out, cmz_diags *diags);
void cmz_release_rules_free(cmz_release_rules *rules);
/* A deep copy (the same rules in the same order); NULL when out of memory or rules is NULL.
 * Free it with cmz_release_rules_free. */
cmz_release_rules *cmz_release_rules_clone(const cmz_release_rules *rules);
/* True when both hold the same rules in the same order (both NULL: true). */
bool cmz_release_rules_equal(const cmz_release_rules *a, const cmz_release_rules *b);

size_t cmz_release_rules_count(const cmz_release_rules *rules);
const cmz_release_rule *cmz_release_rules_at(const cmz_release_rules *rules, size_t i);
/* The rule of a type, or NULL: that type is not releasable. */
const cmz_release_rule *cmz_release_rules_get(const cmz_release_rules *rules, const char *type);
/* Adds a rule at the end, or replaces the rule of the same type in its place, after checking
 * it as a file's would be, and its reserved words zero (diags says why not:
 * CMZ_ERR_INVALID_ARG; unchanged on error). CMZ_ERR_NOMEM. */
cmz_status cmz_release_rules_put(cmz_release_rules *rules, const cmz_release_rule *rule,
                                 cmz_diags *diags);
/* The rules as YAML, in the shipped file's form. Like snprintf: *size gets the full length
 * without the NUL; buf may be NULL with cap 0 to ask for it; CMZ_ERR_DST_TOO_SMALL when
 * cap <= *size (buf then holds a truncated, NUL-terminated text when cap > 0). */
cmz_status cmz_release_rules_format(const cmz_release_rules *rules, char *buf, size_t cap,
                                    size_t *size);

/* ---- the compression entry of a type ---- */

/* The entry of `policy` that type `type` compresses with: the policy's own entry for the type;
 * else, when rules (may be NULL) have a rule for the type naming an entry under
 * `compression` that the policy has, that entry; else the policy's `default` (also when type
 * is NULL). NULL only when policy is NULL. A rule naming an entry the policy lacks falls to
 * `default` here: cmz_release_rules_check_policy reports it, and cmz_registry_new refuses it. */
const cmz_policy_entry *cmz_policy_resolve(const cmz_policy *policy, const cmz_release_rules *rules,
                                           const char *type);

/* Checks that every rule naming a compression entry names one `policy` has; each that does not
 * is an error in diags (may be NULL) naming the rule and the entry, with a did-you-mean among
 * the policy's types. CMZ_ERR_INVALID_ARG when one does not (or for NULL arguments). */
cmz_status cmz_release_rules_check_policy(const cmz_release_rules *rules, const cmz_policy *policy,
                                          cmz_diags *diags);

#ifdef __cplusplus
}
#endif

#endif
