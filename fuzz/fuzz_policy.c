/* Fuzz target: the YAML loaders, the compression policy and the release rules. Any text: a
 * valid object or diagnostics (with positions inside the text); a valid policy formats to a
 * text that loads back to the same text. */
#include "fuzz_common.h"

/* A rejected text has at least one diagnostic, each with a message. */
static void check_diags(const cmz_diags *diags) {
    if (cmz_diags_count(diags) + cmz_diags_dropped(diags) == 0) abort();
    for (size_t i = 0; i < cmz_diags_count(diags); i++)
        if (cmz_diags_at(diags, i)->message[0] == '\0') abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    cmz_diags *diags = cmz_diags_new();
    if (!diags) return 0;
    cmz_policy *policy = NULL;
    cmz_status st = cmz_policy_load_string((const char *)data, size, "fuzz", &policy, diags);
    if (st == CMZ_OK) {
        if (!policy) abort();
        size_t n = 0;
        cmz_policy_format(policy, NULL, 0, &n);
        char *text = malloc(n + 1), *again = malloc(n + 1);
        if (text && again && cmz_policy_format(policy, text, n + 1, &n) == CMZ_OK) {
            cmz_policy *back = NULL;
            if (cmz_policy_load_string(text, n, "formatted", &back, NULL) != CMZ_OK) abort();
            size_t m = 0;
            if (cmz_policy_format(back, again, n + 1, &m) != CMZ_OK || m != n ||
                memcmp(text, again, n) != 0)
                abort();
            cmz_policy_free(back);
        }
        free(text);
        free(again);
        cmz_policy_free(policy);
    } else {
        if (policy) abort();
        check_diags(diags);
    }
    cmz_diags_clear(diags);
    cmz_release_rules *rules = NULL;
    st = cmz_release_rules_load_string((const char *)data, size, "fuzz", &rules, diags);
    if (st == CMZ_OK) {
        if (!rules) abort();
        cmz_release_rules_free(rules);
    } else {
        if (rules) abort();
        check_diags(diags);
    }
    cmz_diags_free(diags);
    return 0;
}
