/* The one YAML loader of the policy layer (the compression policy and the release rules).
 * It builds libyaml's document from libyaml's events instead of calling yaml_parser_load, so
 * that what that loader would spend minutes on or let pass is refused first, at its position:
 * - nesting deeper than MAX_DEPTH: libyaml's scanner and loader take time quadratic in the
 *   depth (400 KB of '[' took minutes), and a file of ours needs 3 levels;
 * - tags other than the core schema's, which would otherwise be dropped silently: a scalar's
 *   tag is kept (as the node's tag; cmz__yaml_value reads it) so that it decides the type;
 * - more than MAX_ANCHORS anchors: aliases are found by a linear search, as in libyaml;
 * - aliases that stand for more than MAX_ALIASED nodes in all: the walkers read an alias's
 *   subtree again at each alias, so 250 KB of aliases to one large mapping (or "billion
 *   laughs", aliases to aliases) cost minutes; an alias inside the collection it names
 *   (recursive data) is refused too. */
#include "yaml_nodes.h"

#include <assert.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#define MAX_DEPTH 64
#define MAX_ANCHORS 256
/* Far above what sharing one rule among all of a file's 4096 types needs (5 nodes each). */
#define MAX_ALIASED 100000

typedef struct {
    char *name; /* libyaml's, freed with the event it came from: copied here */
    int node;
    size_t nodes; /* in its subtree, aliases counted as what they stand for; 0 while open */
    yaml_mark_t mark;
} anchor;

typedef struct {
    yaml_parser_t parser;
    yaml_document_t doc;
    cmz__diag_sink *r;
    const cmz__yaml_root *spec;
    const char *text;
    size_t size;
    int open[MAX_DEPTH];      /* node ids of the collections being built, outermost first */
    int key[MAX_DEPTH];       /* per open mapping: its key waiting for a value, 0 for none */
    size_t nodes[MAX_DEPTH];  /* per open collection: its subtree's nodes so far */
    anchor *named[MAX_DEPTH]; /* per open collection: its anchor, or NULL */
    int depth;
    anchor anchors[MAX_ANCHORS];
    size_t nanchors;
    size_t aliased; /* nodes that the aliases read so far stand for */
    bool nomem, failed;
} builder;

static const char core_prefix[] = "tag:yaml.org,2002:";

/* "!!int" for the core schema's tags, the tag itself for others. */
static const char *tag_display(const char *tag, char *buf, size_t cap) {
    size_t n = sizeof core_prefix - 1;
    char q[48];
    if (strncmp(tag, core_prefix, n) == 0)
        snprintf(buf, cap, "!!%s", cmz__quote(tag + n, q, sizeof q));
    else snprintf(buf, cap, "%s", cmz__quote(tag, q, sizeof q));
    return buf;
}

/* Reports an error that stops the loading; returns false. */
static bool fail_at(builder *b, yaml_mark_t at, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static bool fail_at(builder *b, yaml_mark_t at, const char *fmt, ...) {
    char message[CMZ_DIAG_MESSAGE_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(message, sizeof message, fmt, ap);
    va_end(ap);
    cmz__diag_error(b->r, cmz__yaml_line(at), cmz__yaml_column(at), "%s", message);
    b->failed = true;
    return false;
}

/* The tag a scalar node gets: its own when it is one of the core schema's scalar tags, "!"
 * (a string: quoted, block style, or tagged "!") or "?" (plain: the key decides) without one. */
static bool scalar_tag(builder *b, const yaml_event_t *e, const char **tag) {
    static const char *const known[] = {"str", "int", "float", "bool", "null"};
    const char *t = (const char *)e->data.scalar.tag;
    if (!t || strcmp(t, "!") == 0) {
        *tag = t || e->data.scalar.style != YAML_PLAIN_SCALAR_STYLE ? "!" : "?";
        return true;
    }
    size_t n = sizeof core_prefix - 1;
    for (size_t i = 0; i < sizeof known / sizeof known[0]; i++)
        if (strncmp(t, core_prefix, n) == 0 && strcmp(t + n, known[i]) == 0) {
            *tag = t;
            return true;
        }
    char shown[64];
    return fail_at(b, e->start_mark,
                   "unsupported YAML tag '%s': values are untagged, or tagged !!str, !!int, "
                   "!!float, !!bool or !!null",
                   tag_display(t, shown, sizeof shown));
}

/* A collection's tag may only repeat what it is. */
static bool collection_tag(builder *b, const yaml_event_t *e, const char *tag, const char *own) {
    if (!tag || strcmp(tag, "!") == 0) return true;
    if (strncmp(tag, core_prefix, sizeof core_prefix - 1) == 0 &&
        strcmp(tag + sizeof core_prefix - 1, own) == 0)
        return true;
    char shown[64];
    return fail_at(b, e->start_mark, "unsupported YAML tag '%s' on a %s: it can only be !!%s",
                   tag_display(tag, shown, sizeof shown),
                   strcmp(own, "map") == 0 ? "mapping" : "sequence", own);
}

static anchor *find_anchor(builder *b, const char *name) {
    for (size_t i = 0; i < b->nanchors; i++)
        if (strcmp(b->anchors[i].name, name) == 0) return &b->anchors[i];
    return NULL;
}

/* Records the anchor of node `node` (nodes: its subtree's size, 0 for a collection still
 * open); *added (when asked for) is the record, or NULL without a name. */
static bool add_anchor(builder *b, const yaml_char_t *name, int node, size_t nodes,
                       yaml_mark_t mark, anchor **added) {
    if (added) *added = NULL;
    if (!name) return true;
    for (size_t i = 0; i < b->nanchors; i++)
        if (strcmp(b->anchors[i].name, (const char *)name) == 0) {
            char q[48];
            return fail_at(b, mark,
                           "YAML syntax error: found duplicate anchor '%s' (first at line %u, "
                           "column %u)",
                           cmz__quote((const char *)name, q, sizeof q),
                           cmz__yaml_line(b->anchors[i].mark),
                           cmz__yaml_column(b->anchors[i].mark));
        }
    if (b->nanchors == MAX_ANCHORS)
        return fail_at(b, mark, "more than %d YAML anchors: write the values out", MAX_ANCHORS);
    size_t len = strlen((const char *)name);
    char *copy = cmz__malloc(len + 1);
    if (!copy) return !(b->nomem = true);
    memcpy(copy, name, len + 1);
    if (added) *added = &b->anchors[b->nanchors];
    b->anchors[b->nanchors++] = (anchor){copy, node, nodes, mark};
    return true;
}

/* Counts a finished subtree of `nodes` nodes into the collection that holds it. */
static void count_nodes(builder *b, size_t nodes) {
    if (b->depth > 0) b->nodes[b->depth - 1] += nodes;
}

/* Puts node `id` where it goes: the root, an item of the open sequence, or a key or a value of
 * the open mapping. */
static bool attach(builder *b, int id) {
    if (b->depth == 0) return true; /* the root: the document's first node */
    int parent = b->open[b->depth - 1], *key = &b->key[b->depth - 1];
    int ok;
    if (yaml_document_get_node(&b->doc, parent)->type == YAML_SEQUENCE_NODE) {
        ok = yaml_document_append_sequence_item(&b->doc, parent, id);
    } else if (!*key) {
        *key = id;
        ok = 1;
    } else {
        ok = yaml_document_append_mapping_pair(&b->doc, parent, *key, id);
        *key = 0;
    }
    if (!ok) b->nomem = true;
    return ok;
}

/* A new node made by yaml_document_add_*: its position, anchor and place. A scalar is one
 * node; a collection's count is known when it ends (nodes 0). */
static bool placed(builder *b, int id, const yaml_event_t *e, const yaml_char_t *anchor_name,
                   size_t nodes, anchor **added) {
    if (!id) return !(b->nomem = true);
    yaml_node_t *node = yaml_document_get_node(&b->doc, id);
    node->start_mark = e->start_mark;
    node->end_mark = e->end_mark;
    return add_anchor(b, anchor_name, id, nodes, e->start_mark, added) && attach(b, id);
}

/* An alias: the anchor's node once more, counted as the nodes it stands for. */
static bool alias(builder *b, const yaml_event_t *e) {
    const char *name = (const char *)e->data.alias.anchor;
    const anchor *a = find_anchor(b, name);
    char q[48];
    if (!a) return fail_at(b, e->start_mark, "YAML syntax error: found undefined alias");
    if (!a->nodes)
        return fail_at(b, e->start_mark,
                       "YAML alias '*%s' is inside the collection it names: recursive data is "
                       "not supported",
                       cmz__quote(name, q, sizeof q));
    if (a->nodes > MAX_ALIASED - b->aliased)
        return fail_at(b, e->start_mark,
                       "YAML aliases stand for more than %d nodes in all: write the values out",
                       MAX_ALIASED);
    b->aliased += a->nodes;
    count_nodes(b, a->nodes);
    return attach(b, a->node);
}

static bool open_collection(builder *b, const yaml_event_t *e) {
    bool mapping = e->type == YAML_MAPPING_START_EVENT;
    if (b->depth == MAX_DEPTH)
        return fail_at(b, e->start_mark, "YAML nesting deeper than %d levels: %s", MAX_DEPTH,
                       b->spec->needs);
    const yaml_char_t *tag = mapping ? e->data.mapping_start.tag : e->data.sequence_start.tag;
    if (!collection_tag(b, e, (const char *)tag, mapping ? "map" : "seq")) return false;
    int id = mapping ? yaml_document_add_mapping(&b->doc, NULL, e->data.mapping_start.style)
                     : yaml_document_add_sequence(&b->doc, NULL, e->data.sequence_start.style);
    anchor *named;
    if (!placed(b, id, e, mapping ? e->data.mapping_start.anchor : e->data.sequence_start.anchor, 0,
                &named))
        return false;
    b->key[b->depth] = 0;
    b->nodes[b->depth] = 1;
    b->named[b->depth] = named;
    b->open[b->depth++] = id;
    return true;
}

static void close_collection(builder *b, const yaml_event_t *e) {
    assert(b->depth > 0);
    b->depth--;
    yaml_document_get_node(&b->doc, b->open[b->depth])->end_mark = e->end_mark;
    size_t nodes = b->nodes[b->depth];
    assert(nodes > 0);
    if (b->named[b->depth]) b->named[b->depth]->nodes = nodes;
    count_nodes(b, nodes);
}

/* One event of the document's content. */
static bool build(builder *b, const yaml_event_t *e) {
    switch (e->type) {
    case YAML_SCALAR_EVENT: {
        const char *tag = NULL;
        if (!scalar_tag(b, e, &tag)) return false;
        assert(e->data.scalar.length <= CMZ__YAML_MAX_SIZE); /* cmz__yaml_load checked */
        int id = yaml_document_add_scalar(&b->doc, (const yaml_char_t *)tag, e->data.scalar.value,
                                          (int)e->data.scalar.length, e->data.scalar.style);
        count_nodes(b, 1);
        return placed(b, id, e, e->data.scalar.anchor, 1, NULL);
    }
    case YAML_SEQUENCE_START_EVENT:
    case YAML_MAPPING_START_EVENT: return open_collection(b, e);
    case YAML_SEQUENCE_END_EVENT:
    case YAML_MAPPING_END_EVENT: close_collection(b, e); return true;
    case YAML_ALIAS_EVENT: return alias(b, e);
    default:
        assert(0 && "cannot happen: libyaml's parser checks the order of events");
        return false;
    }
}

/* The next event; false (reported) on a syntax error or when out of memory. */
static bool next_event(builder *b, yaml_event_t *e) {
    if (yaml_parser_parse(&b->parser, e)) return true;
    if (b->parser.error == YAML_MEMORY_ERROR) b->nomem = true;
    else cmz__yaml_report_error(&b->parser, b->text, b->size, b->r);
    b->failed = true;
    return false;
}

/* Builds the first document (false when the text holds none); stops at the first error. */
static bool load_document(builder *b) {
    yaml_event_t e;
    bool have = false, done = false;
    while (!done && next_event(b, &e)) {
        if (e.type == YAML_DOCUMENT_START_EVENT) {
            if (!yaml_document_initialize(&b->doc, NULL, NULL, NULL, 1, 1)) b->nomem = true;
            else have = true;
        } else if (e.type == YAML_DOCUMENT_END_EVENT || e.type == YAML_STREAM_END_EVENT) {
            done = true;
        } else if (e.type != YAML_STREAM_START_EVENT && !build(b, &e)) {
            done = true;
        }
        yaml_event_delete(&e);
        if (b->nomem) done = true;
    }
    return have;
}

/* A second document would be ignored silently by a one-document reader: refuse one that
 * holds anything (its first node is where it is reported). */
static void refuse_second_document(builder *b) {
    yaml_event_t e;
    bool done = false;
    while (!done && next_event(b, &e)) {
        switch (e.type) {
        case YAML_STREAM_END_EVENT: done = true; break;
        case YAML_DOCUMENT_START_EVENT:
        case YAML_DOCUMENT_END_EVENT: break;
        default:
            fail_at(b, e.start_mark, "a second YAML document: %s holds one", b->spec->file_kind);
            done = true;
        }
        yaml_event_delete(&e);
    }
}

cmz_status cmz__yaml_load(const char *text, size_t size, cmz__diag_sink *r,
                          const cmz__yaml_root *spec) {
    if (size > CMZ__YAML_MAX_SIZE) {
        cmz__diag_error(r, 0, 0, "larger than %zu MiB: not %s", CMZ__YAML_MAX_SIZE >> 20,
                        spec->file_kind);
        return CMZ_OK;
    }
    builder *b = cmz__calloc(1, sizeof *b);
    if (!b) return CMZ_ERR_NOMEM;
    b->r = r;
    b->spec = spec;
    b->text = text;
    b->size = size;
    if (!yaml_parser_initialize(&b->parser)) {
        cmz__free(b);
        return CMZ_ERR_NOMEM;
    }
    yaml_parser_set_input_string(&b->parser, (const unsigned char *)text, size);
    bool have = load_document(b);
    if (!b->failed && !b->nomem) {
        yaml_node_t *root = have ? yaml_document_get_root_node(&b->doc) : NULL;
        if (!root) cmz__diag_error(r, 1, 1, "%s", spec->empty);
        else cmz__yaml_parse_root(&b->doc, r, root, spec);
        if (root) refuse_second_document(b);
    }
    if (have) yaml_document_delete(&b->doc);
    for (size_t i = 0; i < b->nanchors; i++) cmz__free(b->anchors[i].name);
    yaml_parser_delete(&b->parser);
    bool nomem = b->nomem;
    cmz__free(b);
    return nomem ? CMZ_ERR_NOMEM : CMZ_OK;
}
