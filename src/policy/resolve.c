/* Where the compression policy and the release rules meet: the entry a type compresses with,
 * and the check that every entry a rule names exists. */
#include "release_internal.h"

#include <string.h>

/* The policy's own entry first: it is the file about compression, and an entry made for the
 * type (cmz policy create) must win over the rule's pointer to a shared one. */
const cmz_policy_entry *cmz_policy_resolve(const cmz_policy *policy, const cmz_release_rules *rules,
                                           const char *type) {
    if (!policy) return NULL;
    const cmz_policy_entry *own = cmz_policy_get(policy, type);
    if (own) return own;
    const cmz_release_rule *rule = cmz_release_rules_get(rules, type);
    const cmz_policy_entry *named =
        rule && rule->compression[0] ? cmz_policy_get(policy, rule->compression) : NULL;
    return named ? named : cmz_policy_lookup(policy, NULL);
}

/* The rule names an entry the policy lacks: said with the closest type as a suggestion. */
static void report_missing(const cmz_release_rule *rule, const cmz_policy *policy,
                           cmz__diag_sink *r) {
    size_t n = cmz_policy_count(policy);
    const char **types = cmz__malloc((n ? n : 1) * sizeof *types);
    const char *hint = NULL;
    if (types) {
        for (size_t i = 0; i < n; i++) types[i] = cmz_policy_at(policy, i)->type;
        hint = cmz__suggest(rule->compression, types, n);
    }
    if (hint)
        cmz__diag_error(r, 0, 0,
                        "release rule '%s' names compression entry '%s', which the compression "
                        "policy does not have; did you mean '%s'?",
                        rule->type, rule->compression, hint);
    else
        cmz__diag_error(r, 0, 0,
                        "release rule '%s' names compression entry '%s', which the compression "
                        "policy does not have (add it to the policy, or change the rule)",
                        rule->type, rule->compression);
    cmz__free(types);
}

cmz_status cmz_release_rules_check_policy(const cmz_release_rules *rules, const cmz_policy *policy,
                                          cmz_diags *diags) {
    cmz__diag_sink r;
    cmz__diag_sink_init(&r, diags, "");
    if (!rules || !policy) return CMZ_ERR_INVALID_ARG;
    /* Also where the type has an entry of its own, which makes the rule's unused: a name that
     * points nowhere is a mistake either way, and would bite once that entry is deleted. */
    for (size_t i = 0; i < rules->count; i++) {
        const cmz_release_rule *rule = &rules->rules[i];
        if (rule->compression[0] && !cmz_policy_get(policy, rule->compression))
            report_missing(rule, policy, &r);
    }
    return r.errors ? CMZ_ERR_INVALID_ARG : CMZ_OK;
}
