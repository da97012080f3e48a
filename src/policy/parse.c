/* YAML text -> policy, reporting every problem with its line and column. libyaml builds the
 * node tree (with the position of every node); this file walks it and checks the shape:
 *
 *   compression_policy:
 *     TYPE:
 *       algorithm: ...   (and the other five keys, all required)
 *       filter: ...      (optional, with typesize)
 */
#include "internal.h"

#include <stdio.h>
#include <string.h>
#include <yaml.h>

#define ROOT_KEY "compression_policy"
/* Bounds the duplicate search; far beyond any real policy. */
#define MAX_TYPES 4096

typedef struct {
    yaml_document_t *doc;
    cmz__reporter *r;
    cmz_policy *policy;
    bool nomem;
} walker;

static unsigned line_of(yaml_mark_t m) { return (unsigned)m.line + 1; }
static unsigned column_of(yaml_mark_t m) { return (unsigned)m.column + 1; }

static const char *kind_of(const yaml_node_t *n) {
    switch (n->type) {
    case YAML_MAPPING_NODE:
        return "a mapping";
    case YAML_SEQUENCE_NODE:
        return "a sequence";
    default:
        return "a scalar";
    }
}

/* A scalar's text, or NULL (reported) when the node is not a scalar or holds a NUL. */
static const char *scalar_text(walker *w, const yaml_node_t *n, const char *what) {
    if (n->type != YAML_SCALAR_NODE) {
        cmz__report(w->r, line_of(n->start_mark), column_of(n->start_mark),
                    "%s must be a string, got %s", what, kind_of(n));
        return NULL;
    }
    const char *text = (const char *)n->data.scalar.value;
    if (strlen(text) != n->data.scalar.length) {
        cmz__report(w->r, line_of(n->start_mark), column_of(n->start_mark),
                    "%s contains a NUL character", what);
        return NULL;
    }
    return text;
}

static bool empty_scalar(const yaml_node_t *n) {
    return n->type == YAML_SCALAR_NODE && n->data.scalar.style == YAML_PLAIN_SCALAR_STYLE &&
           n->data.scalar.length == 0;
}

static cmz__value value_of(walker *w, const yaml_node_t *n, const char *key) {
    cmz__value v = {NULL, false, kind_of(n), line_of(n->start_mark), column_of(n->start_mark)};
    if (n->type == YAML_SCALAR_NODE) {
        v.text = scalar_text(w, n, key);
        v.plain = n->data.scalar.style == YAML_PLAIN_SCALAR_STYLE;
        if (!v.text) v.kind = NULL; /* reported already */
    }
    return v;
}

static void report_unknown_key(walker *w, const yaml_node_t *key_node, const char *key,
                               const char *type) {
    char q[48];
    unsigned line = line_of(key_node->start_mark), col = column_of(key_node->start_mark);
    if (strcmp(key, "<<") == 0) {
        cmz__report(w->r, line, col,
                    "YAML merge keys ('<<') are not supported: give every key of type '%s'",
                    type);
        return;
    }
    const char *hint = cmz__suggest(key, cmz__policy_keys, CMZ__KEY_COUNT);
    if (hint)
        cmz__report(w->r, line, col, "unknown key '%s' in type '%s'; did you mean '%s'?",
                    cmz__quote(key, q, sizeof q), type, hint);
    else
        cmz__report(w->r, line, col,
                    "unknown key '%s' in type '%s'; valid keys: algorithm, level, chunk_size, "
                    "auto_compress, threshold_mb, priority, and optionally filter, typesize",
                    cmz__quote(key, q, sizeof q), type);
}

/* One type's mapping -> *e. The type's key node is where missing keys are reported. */
static bool parse_entry(walker *w, const yaml_node_t *type_node, const yaml_node_t *n,
                        cmz_policy_entry *e) {
    size_t before = w->r->errors;
    unsigned tline = line_of(type_node->start_mark), tcol = column_of(type_node->start_mark);
    if (n->type != YAML_MAPPING_NODE) {
        if (empty_scalar(n))
            cmz__report(w->r, tline, tcol,
                        "type '%s' has no settings; it needs algorithm, level, chunk_size, "
                        "auto_compress, threshold_mb and priority",
                        e->type);
        else
            cmz__report(w->r, line_of(n->start_mark), column_of(n->start_mark),
                        "type '%s' must be a mapping of keys (algorithm, level, chunk_size, "
                        "auto_compress, threshold_mb, priority), got %s",
                        e->type, kind_of(n));
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
        const char *key = scalar_text(w, kn, "a key");
        if (!key) continue;
        int k = cmz__policy_key_index(key);
        if (k < 0) {
            report_unknown_key(w, kn, key, e->type);
            continue;
        }
        if (seen[k]) {
            cmz__report(w->r, line_of(kn->start_mark), column_of(kn->start_mark),
                        "duplicate key '%s' in type '%s' (first given at line %u)", key,
                        e->type, line_of(seen[k]->start_mark));
            continue;
        }
        seen[k] = vn;
        cmz__value v = value_of(w, vn, key);
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
        cmz__report(w->r, tline, tcol, "type '%s' is missing %s %s", e->type,
                    strchr(missing, ',') ? "keys" : "key", missing);
    if (valid[CMZ__KEY_ALGORITHM] && valid[CMZ__KEY_LEVEL]) {
        const yaml_node_t *ln = seen[CMZ__KEY_LEVEL];
        cmz__policy_check_level(e, line_of(ln->start_mark), column_of(ln->start_mark), w->r);
    }
    bool has_filter = seen[CMZ__KEY_FILTER] != NULL,
         has_typesize = seen[CMZ__KEY_TYPESIZE] != NULL;
    if ((has_filter || has_typesize) && (!has_filter || valid[CMZ__KEY_FILTER]) &&
        (!has_typesize || valid[CMZ__KEY_TYPESIZE]))
        cmz__policy_check_filter(e, has_filter ? &values[CMZ__KEY_FILTER] : NULL,
                                 has_typesize ? &values[CMZ__KEY_TYPESIZE] : NULL, w->r);
    return w->r->errors == before;
}

typedef struct {
    char name[CMZ_POLICY_TYPE_MAX + 1];
    unsigned line;
} seen_type;

static void parse_types(walker *w, const yaml_node_t *root_key, const yaml_node_t *n) {
    if (n->type != YAML_MAPPING_NODE) {
        const char *how = empty_scalar(n) ? "is empty" : "is not a mapping";
        cmz__report(w->r, line_of(root_key->start_mark), column_of(root_key->start_mark),
                    ROOT_KEY " %s: it must map type names (at least 'default') to their "
                    "settings",
                    how);
        return;
    }
    size_t pairs = (size_t)(n->data.mapping.pairs.top - n->data.mapping.pairs.start);
    seen_type *seen = cmz__calloc(pairs < MAX_TYPES ? pairs + 1 : MAX_TYPES, sizeof *seen);
    if (!seen) {
        w->nomem = true;
        return;
    }
    size_t nseen = 0;
    bool have_default = false;
    for (yaml_node_pair_t *pair = n->data.mapping.pairs.start; pair < n->data.mapping.pairs.top;
         pair++) {
        const yaml_node_t *kn = yaml_document_get_node(w->doc, pair->key);
        const yaml_node_t *vn = yaml_document_get_node(w->doc, pair->value);
        unsigned line = line_of(kn->start_mark), col = column_of(kn->start_mark);
        const char *name = scalar_text(w, kn, "a type name");
        if (!name) continue;
        if (!cmz__policy_check_type(name, line, col, w->r)) continue;
        if (strcmp(name, "default") == 0) have_default = true;
        bool duplicate = false;
        for (size_t i = 0; i < nseen && !duplicate; i++)
            if (strcmp(seen[i].name, name) == 0) {
                cmz__report(w->r, line, col, "duplicate type '%s' (first defined at line %u)",
                            name, seen[i].line);
                duplicate = true;
            }
        if (duplicate) continue;
        if (nseen == MAX_TYPES) {
            cmz__report(w->r, line, col, "too many types: a policy holds at most %d",
                        MAX_TYPES);
            break;
        }
        snprintf(seen[nseen].name, sizeof seen[nseen].name, "%s", name);
        seen[nseen++].line = line;
        cmz_policy_entry e;
        memset(&e, 0, sizeof e);
        snprintf(e.type, sizeof e.type, "%s", name);
        if (parse_entry(w, kn, vn, &e) && w->r->errors == 0 && !cmz__policy_append(w->policy, &e))
            w->nomem = true;
    }
    cmz__free(seen);
    if (!have_default)
        cmz__report(w->r, line_of(root_key->start_mark), column_of(root_key->start_mark),
                    "no 'default' type: every policy needs one, it applies to the types the "
                    "policy does not list");
}

static void parse_root(walker *w, const yaml_node_t *root) {
    unsigned line = line_of(root->start_mark), col = column_of(root->start_mark);
    if (root->type != YAML_MAPPING_NODE) {
        cmz__report(w->r, line, col,
                    "a policy file must be a mapping with the key '" ROOT_KEY ":', got %s",
                    kind_of(root));
        return;
    }
    const yaml_node_t *found = NULL;
    for (yaml_node_pair_t *pair = root->data.mapping.pairs.start;
         pair < root->data.mapping.pairs.top; pair++) {
        const yaml_node_t *kn = yaml_document_get_node(w->doc, pair->key);
        const char *key = scalar_text(w, kn, "a key");
        if (!key) continue;
        unsigned kline = line_of(kn->start_mark), kcol = column_of(kn->start_mark);
        if (strcmp(key, ROOT_KEY) == 0) {
            if (found)
                cmz__report(w->r, kline, kcol, "duplicate key '" ROOT_KEY
                            "' (first given at line %u)", line_of(found->start_mark));
            else
                parse_types(w, found = kn, yaml_document_get_node(w->doc, pair->value));
            continue;
        }
        static const char *const roots[] = {ROOT_KEY};
        char q[48];
        const char *hint = cmz__suggest(key, roots, 1);
        cmz__report(w->r, kline, kcol, "unknown key '%s' at the top level; %s '" ROOT_KEY "'%s",
                    cmz__quote(key, q, sizeof q), hint ? "did you mean" : "the only key is",
                    hint ? "?" : "");
    }
    if (!found)
        cmz__report(w->r, line, col, "no '" ROOT_KEY ":' key: a policy file maps it to the "
                                     "types and their settings");
}

/* libyaml's error as a located diagnostic; reader errors (bad UTF-8) only carry an offset. */
static void report_yaml_error(const yaml_parser_t *p, const char *text, size_t size,
                              cmz__reporter *r) {
    if (p->error == YAML_READER_ERROR) {
        unsigned line = 1, col = 1;
        for (size_t i = 0; i < p->problem_offset && i < size; i++) {
            if (text[i] == '\n') line++, col = 1;
            else if (((unsigned char)text[i] & 0xC0) != 0x80) col++;
        }
        cmz__report(r, line, col, "not readable as YAML text: %s",
                    p->problem ? p->problem : "invalid input");
        return;
    }
    const char *problem = p->problem ? p->problem : "malformed YAML";
    /* The most common cause of "cannot start any token" in a hand-edited file. */
    size_t at = p->problem_mark.index;
    const char *hint = at < size && text[at] == '\t' ? "; indent with spaces, not tabs" : "";
    if (p->context)
        cmz__report(r, line_of(p->problem_mark), column_of(p->problem_mark),
                    "YAML syntax error: %s (%s at line %u, column %u)%s", problem, p->context,
                    line_of(p->context_mark), column_of(p->context_mark), hint);
    else
        cmz__report(r, line_of(p->problem_mark), column_of(p->problem_mark),
                    "YAML syntax error: %s%s", problem, hint);
}

cmz_status cmz__policy_parse(const char *text, size_t size, cmz__reporter *r, cmz_policy **out) {
    *out = NULL;
    yaml_parser_t parser;
    if (!yaml_parser_initialize(&parser)) return CMZ_ERR_NOMEM;
    yaml_parser_set_input_string(&parser, (const unsigned char *)text, size);
    yaml_document_t doc;
    if (!yaml_parser_load(&parser, &doc)) {
        cmz_status st = parser.error == YAML_MEMORY_ERROR ? CMZ_ERR_NOMEM : CMZ_OK;
        if (st == CMZ_OK) report_yaml_error(&parser, text, size, r);
        yaml_parser_delete(&parser);
        return st;
    }
    walker w = {&doc, r, cmz__policy_new(0), false};
    yaml_node_t *root = yaml_document_get_root_node(&doc);
    if (!w.policy)
        w.nomem = true;
    else if (!root)
        cmz__report(r, 1, 1, "the policy is empty: it must start with '" ROOT_KEY ":'");
    else
        parse_root(&w, root);
    yaml_document_delete(&doc);
    /* A second document would be ignored silently by a one-document reader: refuse it. */
    if (root && !w.nomem) {
        yaml_document_t next;
        if (!yaml_parser_load(&parser, &next)) {
            if (parser.error == YAML_MEMORY_ERROR) w.nomem = true;
            else report_yaml_error(&parser, text, size, r);
        } else {
            yaml_node_t *extra = yaml_document_get_root_node(&next);
            if (extra)
                cmz__report(r, line_of(extra->start_mark), column_of(extra->start_mark),
                            "a second YAML document: a policy file holds one");
            yaml_document_delete(&next);
        }
    }
    yaml_parser_delete(&parser);
    if (w.nomem || r->errors) {
        cmz_policy_free(w.policy);
        return w.nomem ? CMZ_ERR_NOMEM : CMZ_OK;
    }
    *out = w.policy;
    return CMZ_OK;
}
