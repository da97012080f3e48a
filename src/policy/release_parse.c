/* YAML text -> release rules, reporting every problem with its line and column. Mirrors
 * parse.c (the compression policy): the layer's YAML loader builds the node tree, this file
 * walks it:
 *
 *   releasable_resources:
 *     TYPE:
 *       priority: 1                      (required)
 *       max_retain_time: 300             (required)
 *       min_required: 2                  (optional, default 0)
 *       compress_before_release: false   (optional, default false)
 *       compression: model_weights       (optional, default none)
 *
 * The node helpers, the top level and libyaml's errors are shared with parse.c
 * (yaml_nodes.c). */
#include "release_internal.h"
#include "yaml_nodes.h"

#include <stdio.h>
#include <string.h>

#define ROOT_KEY "releasable_resources"
/* Bounds the duplicate search; far beyond any real file. */
#define MAX_TYPES 4096

const char *const cmz__release_keys[CMZ__RKEY_COUNT] = {
    "priority", "max_retain_time", "min_required", "compress_before_release", "compression",
};

/* What each key wants, for "must be ..." messages. */
static const char *const expected[CMZ__RKEY_COUNT] = {
    "an integer from 1 (released first) to 1000",
    "a whole number of seconds from 1 to 31536000 (one year)",
    "an integer from 0 to 1000000",
    "true or false",
    "the name of a compression policy entry",
};

typedef struct {
    yaml_document_t *doc;
    cmz__diag_sink *r;
    cmz_release_rules *rules;
    bool nomem;
} walker;

/* ---- values ---- */

/* Every number is an integer in plain decimal (cmz__parse_number: an optional sign, digits;
 * no fraction, unit, leading zero, hex or '_'), so that a file means the same to every reader. */
static bool parse_uint(int key, const cmz__value *v, unsigned min, unsigned max, cmz__diag_sink *r,
                       unsigned *out) {
    static const char *const range_note[CMZ__RKEY_COUNT] = {" (1 is released first)",
                                                            " seconds (one year)", "", "", ""};
    char range[80];
    snprintf(range, sizeof range, "is out of range %u..%u%s", min, max, range_note[key]);
    const cmz__number_rule rule = {
        cmz__release_keys[key], expected[key], min, max, 0, false, false, range, range};
    int64_t n;
    if (!cmz__parse_number(v, &rule, r, &n)) return false;
    *out = (unsigned)n;
    return true;
}

/* Parses v into the key's field of *rule; reports and returns false when it is not valid. */
static bool set_key(cmz_release_rule *rule, int key, const cmz__value *v, cmz__diag_sink *r) {
    const char *name = cmz__release_keys[key];
    char q[48];
    unsigned takes = key == CMZ__RKEY_COMPRESS_BEFORE_RELEASE ? CMZ__TAKES_BOOL
                     : key == CMZ__RKEY_COMPRESSION           ? CMZ__TAKES_STR
                                                              : CMZ__TAKES_INT;
    if (!cmz__value_check(v, name, expected[key], takes, r)) return false;
    unsigned n = 0;
    switch (key) {
    case CMZ__RKEY_PRIORITY:
        if (!parse_uint(key, v, 1, CMZ_RELEASE_PRIORITY_MAX, r, &n)) return false;
        rule->priority = n;
        return true;
    case CMZ__RKEY_MAX_RETAIN_TIME:
        if (!parse_uint(key, v, 1, CMZ_RELEASE_RETAIN_MAX, r, &n)) return false;
        rule->max_retain_time = n;
        return true;
    case CMZ__RKEY_MIN_REQUIRED:
        if (!parse_uint(key, v, 0, CMZ__RELEASE_MIN_REQUIRED_MAX, r, &n)) return false;
        rule->min_required = n;
        return true;
    case CMZ__RKEY_COMPRESS_BEFORE_RELEASE:
        /* Strict like the policy's auto_compress: yes/no/on/off/1/0 are YAML 1.1 booleans in
         * some readers and strings in others; only true and false mean the same everywhere. */
        if (strcmp(v->text, "true") == 0 || strcmp(v->text, "false") == 0) {
            rule->compress_before_release = v->text[0] == 't';
            return true;
        }
        cmz__diag_error(r, v->line, v->column, "%s must be true or false, got '%s'", name,
                        cmz__quote(v->text, q, sizeof q));
        return false;
    case CMZ__RKEY_COMPRESSION:
        /* Only the name's form here: whether the policy has the entry is known where the two
         * meet (cmz_release_rules_check_policy). */
        if (cmz__policy_type_name_ok(v->text)) {
            snprintf(rule->compression, sizeof rule->compression, "%s", v->text);
            return true;
        }
        cmz__release_bad_compression(r, v->line, v->column, v->text);
        return false;
    }
    return false;
}

static int key_index(const char *name) {
    for (int k = 0; k < CMZ__RKEY_COUNT; k++)
        if (strcmp(name, cmz__release_keys[k]) == 0) return k;
    return -1;
}

/* ---- the tree ---- */

/* One type's mapping -> *rule. The type's key node is where missing keys are reported. */
static bool parse_rule(walker *w, const yaml_node_t *type_node, const yaml_node_t *n,
                       cmz_release_rule *rule) {
    size_t before = w->r->errors;
    unsigned tline = cmz__yaml_line(type_node->start_mark),
             tcol = cmz__yaml_column(type_node->start_mark);
    if (n->type != YAML_MAPPING_NODE) {
        /* A rule key at the type level is a rule indented one level too little. */
        const char *indent =
            key_index(rule->type) >= 0 ? " (is a key indented one level too little?)" : "";
        if (cmz__yaml_empty_scalar(n))
            cmz__diag_error(w->r, tline, tcol,
                            "type '%s' has no rule; it needs priority and max_retain_time%s",
                            rule->type, indent);
        else
            cmz__diag_error(w->r, cmz__yaml_line(n->start_mark), cmz__yaml_column(n->start_mark),
                            "type '%s' must be a mapping of keys (priority, max_retain_time), got "
                            "%s%s",
                            rule->type, cmz__yaml_kind(n), indent);
        return false;
    }
    const yaml_node_t *seen[CMZ__RKEY_COUNT] = {NULL};
    for (yaml_node_pair_t *pair = n->data.mapping.pairs.start; pair < n->data.mapping.pairs.top;
         pair++) {
        const yaml_node_t *kn = yaml_document_get_node(w->doc, pair->key);
        const yaml_node_t *vn = yaml_document_get_node(w->doc, pair->value);
        const char *key = cmz__yaml_scalar(w->r, kn, "a key");
        if (!key) continue;
        int k = key_index(key);
        if (k < 0) {
            cmz__yaml_report_unknown_key(w->r, kn, key, rule->type, cmz__release_keys,
                                         CMZ__RKEY_COUNT,
                                         "priority, max_retain_time, and optionally "
                                         "min_required, compress_before_release, compression");
            continue;
        }
        if (seen[k]) {
            cmz__diag_error(w->r, cmz__yaml_line(kn->start_mark), cmz__yaml_column(kn->start_mark),
                            "duplicate key '%s' in type '%s' (first given at line %u)", key,
                            rule->type, cmz__yaml_line(seen[k]->start_mark));
            continue;
        }
        seen[k] = vn;
        cmz__value v = cmz__yaml_value(w->r, vn, key);
        if (v.text || v.kind) set_key(rule, k, &v, w->r);
    }
    char missing[80] = "";
    for (int k = 0; k < CMZ__RKEY_REQUIRED; k++)
        if (!seen[k]) {
            size_t used = strlen(missing);
            snprintf(missing + used, sizeof missing - used, "%s'%s'", used ? ", " : "",
                     cmz__release_keys[k]);
        }
    if (missing[0])
        cmz__diag_error(w->r, tline, tcol, "type '%s' is missing %s %s", rule->type,
                        strchr(missing, ',') ? "keys" : "key", missing);
    return w->r->errors == before;
}

/* One type's rule: rules are only kept while the file is still valid (an invalid one is
 * freed anyway). */
static bool parse_type(void *ctx, const yaml_node_t *kn, const yaml_node_t *vn, const char *name,
                       unsigned line) {
    (void)line;
    walker *w = ctx;
    cmz_release_rule rule;
    memset(&rule, 0, sizeof rule);
    snprintf(rule.type, sizeof rule.type, "%s", name);
    if (parse_rule(w, kn, vn, &rule) && w->r->errors == 0 &&
        !cmz__release_rules_append(w->rules, &rule))
        w->nomem = true;
    return !w->nomem;
}

static void parse_types(walker *w, const yaml_node_t *root_key, const yaml_node_t *n) {
    if (n->type != YAML_MAPPING_NODE) {
        unsigned line = cmz__yaml_line(root_key->start_mark),
                 col = cmz__yaml_column(root_key->start_mark);
        if (cmz__yaml_empty_scalar(n))
            cmz__diag_error(w->r, line, col,
                            ROOT_KEY " is empty: it must map type names to their rules (write "
                                     "'" ROOT_KEY ": {}' to release nothing)");
        else
            cmz__diag_error(w->r, line, col,
                            ROOT_KEY " must be a mapping of type names to their rules, got %s",
                            cmz__yaml_kind(n));
        return;
    }
    if (!cmz__yaml_each_type(w->doc, w->r, n, MAX_TYPES, "a file", parse_type, w)) w->nomem = true;
}

static void parse_types_cb(void *ctx, yaml_document_t *doc, const yaml_node_t *root_key,
                           const yaml_node_t *n) {
    walker *w = ctx;
    w->doc = doc;
    parse_types(w, root_key, n);
}

cmz_status cmz__release_parse(const char *text, size_t size, cmz__diag_sink *r,
                              cmz_release_rules **out) {
    *out = NULL;
    walker w = {.r = r, .rules = cmz__release_rules_new(0)};
    if (!w.rules) return CMZ_ERR_NOMEM;
    const cmz__yaml_root spec = {ROOT_KEY,
                                 "a release rules file",
                                 "the releasable types and their rules",
                                 "the release rules are empty: the file must start with '" ROOT_KEY
                                 ":'",
                                 "release rules need 3",
                                 parse_types_cb,
                                 &w};
    if (cmz__yaml_load(text, size, r, &spec) != CMZ_OK) w.nomem = true;
    if (w.nomem || r->errors) {
        cmz_release_rules_free(w.rules);
        return w.nomem ? CMZ_ERR_NOMEM : CMZ_OK;
    }
    *out = w.rules;
    return CMZ_OK;
}
