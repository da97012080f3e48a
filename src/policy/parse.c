/* YAML text -> policy, reporting every problem with its line and column. The layer's YAML
 * loader (yaml_load.c) builds the node tree (with the position of every node); this file
 * walks it and checks the shape:
 *
 *   compression_policy:
 *     TYPE:
 *       algorithm: ...   (and the other five keys, all required)
 *       filter: ...      (optional, with typesize)
 */
#include "yaml_nodes.h"

#include <stdio.h>
#include <string.h>

#define ROOT_KEY "compression_policy"
/* Bounds the duplicate search; far beyond any real policy. */
#define MAX_TYPES 4096

typedef struct {
    yaml_document_t *doc;
    cmz__diag_sink *r;
    cmz_policy *policy;
    bool nomem;
    bool have_default; /* a type named 'default' was read */
} walker;

/* One type's mapping -> *e. The type's key node is where missing keys are reported. */
static bool parse_entry(walker *w, const yaml_node_t *type_node, const yaml_node_t *n,
                        cmz_policy_entry *e) {
    size_t before = w->r->errors;
    unsigned tline = cmz__yaml_line(type_node->start_mark),
             tcol = cmz__yaml_column(type_node->start_mark);
    if (n->type != YAML_MAPPING_NODE) {
        if (cmz__yaml_empty_scalar(n))
            cmz__diag_error(w->r, tline, tcol,
                            "type '%s' has no settings; it needs algorithm, level, chunk_size, "
                            "auto_compress, threshold_mb and priority",
                            e->type);
        else
            cmz__diag_error(w->r, cmz__yaml_line(n->start_mark), cmz__yaml_column(n->start_mark),
                            "type '%s' must be a mapping of keys (algorithm, level, chunk_size, "
                            "auto_compress, threshold_mb, priority), got %s",
                            e->type, cmz__yaml_kind(n));
        return false;
    }
    const yaml_node_t *seen[CMZ__KEY_COUNT] = {NULL};
    bool valid[CMZ__KEY_COUNT] = {false};
    cmz__value values[CMZ__KEY_COUNT];
    e->filter = CMZ_FILTER_NONE;
    e->typesize = 1;
    for (yaml_node_pair_t *pair = n->data.mapping.pairs.start; pair < n->data.mapping.pairs.top;
         pair++) {
        const yaml_node_t *kn = yaml_document_get_node(w->doc, pair->key);
        const yaml_node_t *vn = yaml_document_get_node(w->doc, pair->value);
        const char *key = cmz__yaml_scalar(w->r, kn, "a key");
        if (!key) continue;
        int k = cmz__policy_key_index(key);
        if (k < 0) {
            cmz__yaml_report_unknown_key(w->r, kn, key, e->type, cmz__policy_keys, CMZ__KEY_COUNT,
                                         "algorithm, level, chunk_size, auto_compress, "
                                         "threshold_mb, priority, and optionally filter, "
                                         "typesize");
            continue;
        }
        if (seen[k]) {
            cmz__diag_error(w->r, cmz__yaml_line(kn->start_mark), cmz__yaml_column(kn->start_mark),
                            "duplicate key '%s' in type '%s' (first given at line %u)", key,
                            e->type, cmz__yaml_line(seen[k]->start_mark));
            continue;
        }
        seen[k] = vn;
        cmz__value v = cmz__yaml_value(w->r, vn, key);
        values[k] = v;
        if (v.text || v.kind) valid[k] = cmz__policy_set_key(e, k, &v, w->r);
    }
    char missing[160] = "";
    for (int k = 0; k < CMZ__KEY_REQUIRED; k++)
        if (!seen[k]) {
            size_t used = strlen(missing);
            snprintf(missing + used, sizeof missing - used, "%s'%s'", used ? ", " : "",
                     cmz__policy_keys[k]);
        }
    if (missing[0])
        cmz__diag_error(w->r, tline, tcol, "type '%s' is missing %s %s", e->type,
                        strchr(missing, ',') ? "keys" : "key", missing);
    if (valid[CMZ__KEY_ALGORITHM] && valid[CMZ__KEY_LEVEL]) {
        const yaml_node_t *ln = seen[CMZ__KEY_LEVEL];
        cmz__policy_check_level(e, cmz__yaml_line(ln->start_mark), cmz__yaml_column(ln->start_mark),
                                w->r);
    }
    if (valid[CMZ__KEY_ALGORITHM])
        cmz__policy_check_codec(e, values[CMZ__KEY_ALGORITHM].line,
                                values[CMZ__KEY_ALGORITHM].column, w->r);
    bool has_filter = seen[CMZ__KEY_FILTER] != NULL, has_typesize = seen[CMZ__KEY_TYPESIZE] != NULL;
    if ((has_filter || has_typesize) && (!has_filter || valid[CMZ__KEY_FILTER]) &&
        (!has_typesize || valid[CMZ__KEY_TYPESIZE]))
        cmz__policy_check_filter(e, has_filter ? &values[CMZ__KEY_FILTER] : NULL,
                                 has_typesize ? &values[CMZ__KEY_TYPESIZE] : NULL, w->r);
    return w->r->errors == before;
}

/* One type of the policy: its entry is kept while the file is still valid. */
static bool parse_type(void *ctx, const yaml_node_t *kn, const yaml_node_t *vn, const char *name,
                       unsigned line) {
    (void)line;
    walker *w = ctx;
    if (strcmp(name, "default") == 0) w->have_default = true;
    cmz_policy_entry e;
    memset(&e, 0, sizeof e);
    snprintf(e.type, sizeof e.type, "%s", name);
    if (parse_entry(w, kn, vn, &e) && w->r->errors == 0 && !cmz__policy_append(w->policy, &e))
        w->nomem = true;
    return !w->nomem;
}

static void parse_types(walker *w, const yaml_node_t *root_key, const yaml_node_t *n) {
    unsigned line = cmz__yaml_line(root_key->start_mark);
    unsigned col = cmz__yaml_column(root_key->start_mark);
    if (n->type != YAML_MAPPING_NODE) {
        const char *how = cmz__yaml_empty_scalar(n) ? "is empty" : "is not a mapping";
        cmz__diag_error(w->r, line, col,
                        ROOT_KEY " %s: it must map type names (at least 'default') to their "
                                 "settings",
                        how);
        return;
    }
    if (!cmz__yaml_each_type(w->doc, w->r, n, MAX_TYPES, "a policy", parse_type, w))
        w->nomem = true;
    if (!w->have_default && !w->nomem)
        cmz__diag_error(w->r, line, col,
                        "no 'default' type: every policy needs one, it applies to the types the "
                        "policy does not list");
}

static void parse_types_cb(void *ctx, yaml_document_t *doc, const yaml_node_t *root_key,
                           const yaml_node_t *n) {
    walker *w = ctx;
    w->doc = doc;
    parse_types(w, root_key, n);
}

cmz_status cmz__policy_parse(const char *text, size_t size, cmz__diag_sink *r, cmz_policy **out) {
    *out = NULL;
    walker w = {.r = r, .policy = cmz__policy_new(0)};
    if (!w.policy) return CMZ_ERR_NOMEM;
    const cmz__yaml_root spec = {ROOT_KEY,
                                 "a policy file",
                                 "the types and their settings",
                                 "the policy is empty: it must start with '" ROOT_KEY ":'",
                                 "a policy needs 3",
                                 parse_types_cb,
                                 &w};
    if (cmz__yaml_load(text, size, r, &spec) != CMZ_OK) w.nomem = true;
    if (w.nomem || r->errors) {
        cmz_policy_free(w.policy);
        return w.nomem ? CMZ_ERR_NOMEM : CMZ_OK;
    }
    *out = w.policy;
    return CMZ_OK;
}
