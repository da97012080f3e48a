/* libyaml node helpers shared by the policy and release-rules loaders (yaml_nodes.h). */
#include "yaml_nodes.h"

#include <assert.h>
#include <stdio.h>
#include <string.h>

const char *cmz__yaml_kind(const yaml_node_t *n) {
    switch (n->type) {
    case YAML_MAPPING_NODE: return "a mapping";
    case YAML_SEQUENCE_NODE: return "a sequence";
    default: return "a scalar";
    }
}

const char *cmz__yaml_scalar(cmz__diag_sink *r, const yaml_node_t *n, const char *what) {
    if (n->type != YAML_SCALAR_NODE) {
        cmz__diag_error(r, cmz__yaml_line(n->start_mark), cmz__yaml_column(n->start_mark),
                        "%s must be a string, got %s", what, cmz__yaml_kind(n));
        return NULL;
    }
    const char *text = (const char *)n->data.scalar.value;
    if (strlen(text) != n->data.scalar.length) {
        cmz__diag_error(r, cmz__yaml_line(n->start_mark), cmz__yaml_column(n->start_mark),
                        "%s contains a NUL character", what);
        return NULL;
    }
    return text;
}

bool cmz__yaml_empty_scalar(const yaml_node_t *n) {
    return n->type == YAML_SCALAR_NODE && n->data.scalar.style == YAML_PLAIN_SCALAR_STYLE &&
           n->data.scalar.length == 0;
}

/* The tags yaml_load.c gives scalars: "?" plain, "!" a string without a tag of its own. */
static cmz__tag tag_of(const yaml_node_t *n) {
    static const struct {
        const char *tag;
        cmz__tag is;
    } tags[] = {{"?", CMZ__TAG_PLAIN},
                {"!", CMZ__TAG_QUOTED},
                {YAML_STR_TAG, CMZ__TAG_STR},
                {YAML_INT_TAG, CMZ__TAG_INT},
                {YAML_FLOAT_TAG, CMZ__TAG_FLOAT},
                {YAML_BOOL_TAG, CMZ__TAG_BOOL},
                {YAML_NULL_TAG, CMZ__TAG_NULL}};
    for (size_t i = 0; i < sizeof tags / sizeof tags[0]; i++)
        if (n->tag && strcmp((const char *)n->tag, tags[i].tag) == 0) return tags[i].is;
    assert(0 && "cannot happen: the loader refuses other tags");
    return CMZ__TAG_STR;
}

cmz__value cmz__yaml_value(cmz__diag_sink *r, const yaml_node_t *n, const char *key) {
    cmz__value v = {NULL, CMZ__TAG_PLAIN, cmz__yaml_kind(n), cmz__yaml_line(n->start_mark),
                    cmz__yaml_column(n->start_mark)};
    if (n->type == YAML_SCALAR_NODE) {
        v.text = cmz__yaml_scalar(r, n, key);
        v.tag = tag_of(n);
        if (!v.text) v.kind = NULL; /* reported already */
    }
    return v;
}

void cmz__yaml_parse_root(yaml_document_t *doc, cmz__diag_sink *r, const yaml_node_t *root,
                          const cmz__yaml_root *spec) {
    unsigned line = cmz__yaml_line(root->start_mark), col = cmz__yaml_column(root->start_mark);
    if (root->type != YAML_MAPPING_NODE) {
        cmz__diag_error(r, line, col, "%s must be a mapping with the key '%s:', got %s",
                        spec->file_kind, spec->root_key, cmz__yaml_kind(root));
        return;
    }
    const yaml_node_t *found = NULL;
    for (yaml_node_pair_t *pair = root->data.mapping.pairs.start;
         pair < root->data.mapping.pairs.top; pair++) {
        const yaml_node_t *kn = yaml_document_get_node(doc, pair->key);
        const char *key = cmz__yaml_scalar(r, kn, "a key");
        if (!key) continue;
        unsigned kline = cmz__yaml_line(kn->start_mark), kcol = cmz__yaml_column(kn->start_mark);
        if (strcmp(key, spec->root_key) == 0) {
            if (found)
                cmz__diag_error(r, kline, kcol, "duplicate key '%s' (first given at line %u)",
                                spec->root_key, cmz__yaml_line(found->start_mark));
            else
                spec->parse_value(spec->ctx, doc, found = kn,
                                  yaml_document_get_node(doc, pair->value));
            continue;
        }
        char q[48];
        const char *hint = cmz__suggest(key, &spec->root_key, 1);
        cmz__diag_error(r, kline, kcol, "unknown key '%s' at the top level; %s '%s'%s",
                        cmz__quote(key, q, sizeof q), hint ? "did you mean" : "the only key is",
                        spec->root_key, hint ? "?" : "");
    }
    if (!found)
        cmz__diag_error(r, line, col, "no '%s:' key: %s maps it to %s", spec->root_key,
                        spec->file_kind, spec->maps_to);
}

void cmz__yaml_report_error(const yaml_parser_t *p, const char *text, size_t size,
                            cmz__diag_sink *r) {
    if (p->error == YAML_READER_ERROR) {
        unsigned line = 1, col = 1;
        for (size_t i = 0; i < p->problem_offset && i < size; i++) {
            if (text[i] == '\n') line++, col = 1;
            else if (((unsigned char)text[i] & 0xC0) != 0x80) col++;
        }
        cmz__diag_error(r, line, col, "not readable as YAML text: %s",
                        p->problem ? p->problem : "invalid input");
        return;
    }
    const char *problem = p->problem ? p->problem : "malformed YAML";
    /* The most common cause of "cannot start any token" in a hand-edited file. */
    size_t at = p->problem_mark.index;
    const char *hint = at < size && text[at] == '\t' ? "; indent with spaces, not tabs" : "";
    unsigned line = cmz__yaml_line(p->problem_mark), col = cmz__yaml_column(p->problem_mark);
    if (p->context)
        cmz__diag_error(r, line, col, "YAML syntax error: %s (%s at line %u, column %u)%s", problem,
                        p->context, cmz__yaml_line(p->context_mark),
                        cmz__yaml_column(p->context_mark), hint);
    else cmz__diag_error(r, line, col, "YAML syntax error: %s%s", problem, hint);
}

void cmz__yaml_report_unknown_key(cmz__diag_sink *r, const yaml_node_t *key_node, const char *key,
                                  const char *type, const char *const *keys, size_t nkeys,
                                  const char *valid) {
    char q[48];
    unsigned line = cmz__yaml_line(key_node->start_mark),
             col = cmz__yaml_column(key_node->start_mark);
    if (strcmp(key, "<<") == 0) {
        cmz__diag_error(r, line, col,
                        "YAML merge keys ('<<') are not supported: give every key of type '%s'",
                        type);
        return;
    }
    const char *hint = cmz__suggest(key, keys, nkeys);
    if (hint)
        cmz__diag_error(r, line, col, "unknown key '%s' in type '%s'; did you mean '%s'?",
                        cmz__quote(key, q, sizeof q), type, hint);
    else
        cmz__diag_error(r, line, col, "unknown key '%s' in type '%s'; valid keys: %s",
                        cmz__quote(key, q, sizeof q), type, valid);
}

typedef struct {
    char name[CMZ_POLICY_TYPE_MAX + 1];
    unsigned line;
} seen_type;

bool cmz__yaml_each_type(yaml_document_t *doc, cmz__diag_sink *r, const yaml_node_t *n,
                         size_t max_types, const char *holder, cmz__yaml_type_fn each_type,
                         void *ctx) {
    assert(n->type == YAML_MAPPING_NODE);
    size_t pairs = (size_t)(n->data.mapping.pairs.top - n->data.mapping.pairs.start);
    seen_type *seen = cmz__calloc(pairs < max_types ? pairs + 1 : max_types, sizeof *seen);
    if (!seen) return false;
    size_t nseen = 0;
    bool go_on = true;
    for (yaml_node_pair_t *pair = n->data.mapping.pairs.start;
         pair < n->data.mapping.pairs.top && go_on; pair++) {
        const yaml_node_t *kn = yaml_document_get_node(doc, pair->key);
        const yaml_node_t *vn = yaml_document_get_node(doc, pair->value);
        unsigned line = cmz__yaml_line(kn->start_mark), col = cmz__yaml_column(kn->start_mark);
        if ((size_t)(pair - n->data.mapping.pairs.start) == max_types) {
            cmz__diag_error(r, line, col, "too many types: %s holds at most %zu", holder,
                            max_types);
            break;
        }
        const char *name = cmz__yaml_scalar(r, kn, "a type name");
        if (!name || !cmz__policy_check_type(name, line, col, r)) continue;
        bool duplicate = false;
        for (size_t i = 0; i < nseen && !duplicate; i++)
            if (strcmp(seen[i].name, name) == 0) {
                cmz__diag_error(r, line, col, "duplicate type '%s' (first defined at line %u)",
                                name, seen[i].line);
                duplicate = true;
            }
        if (duplicate) continue;
        assert(nseen < max_types);
        snprintf(seen[nseen].name, sizeof seen[nseen].name, "%s", name);
        seen[nseen++].line = line;
        go_on = each_type(ctx, kn, vn, name, line);
    }
    cmz__free(seen);
    return go_on;
}
