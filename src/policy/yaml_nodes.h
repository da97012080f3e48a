/* The YAML loader of the policy layer (yaml_load.c) and the libyaml node helpers that the
 * walkers of its two files use (parse.c: the compression policy; release_parse.c: the release
 * rules): positions, node kinds, scalars and their tags, the top-level mapping and libyaml's
 * own errors, all reported through a cmz__diag_sink. */
#ifndef CMZ_POLICY_YAML_NODES_H
#define CMZ_POLICY_YAML_NODES_H

#include "internal.h"

#include <yaml.h>

static inline unsigned cmz__yaml_line(yaml_mark_t m) { return (unsigned)m.line + 1; }
static inline unsigned cmz__yaml_column(yaml_mark_t m) { return (unsigned)m.column + 1; }

/* "a mapping", "a sequence" or "a scalar". */
const char *cmz__yaml_kind(const yaml_node_t *n);
/* A scalar's text, or NULL (reported, as `what`) when the node is not a scalar or holds a
 * NUL. */
const char *cmz__yaml_scalar(cmz__diag_sink *r, const yaml_node_t *n, const char *what);
/* A plain empty scalar ("key:" with nothing after it). */
bool cmz__yaml_empty_scalar(const yaml_node_t *n);
/* The value of key `key` as found at node n (a scalar's text and tag, or what it is): see
 * cmz__value. A scalar holding a NUL is reported and gives text and kind NULL. */
cmz__value cmz__yaml_value(cmz__diag_sink *r, const yaml_node_t *n, const char *key);

/* An unknown key in type `type`'s mapping: a merge key ('<<') is named as unsupported, a near
 * miss of one of keys[0..nkeys) gets a did-you-mean, anything else the list `valid`. */
void cmz__yaml_report_unknown_key(cmz__diag_sink *r, const yaml_node_t *key_node, const char *key,
                                  const char *type, const char *const *keys, size_t nkeys,
                                  const char *valid);

/* The type names of mapping n (a file's root value), each checked once: a key that is no
 * valid type name, a duplicate (named with the line of the first) and keys past max_types
 * (counted over all keys, duplicates too, since each is compared with every type seen: the
 * cap bounds that work) are reported, where holder ("a policy") words the last. each_type
 * gets every other key with its value; it returns false to stop (out of memory). Returns
 * false when it stopped or could not allocate. */
typedef bool (*cmz__yaml_type_fn)(void *ctx, const yaml_node_t *key, const yaml_node_t *value,
                                  const char *name, unsigned line);
bool cmz__yaml_each_type(yaml_document_t *doc, cmz__diag_sink *r, const yaml_node_t *n,
                         size_t max_types, const char *holder, cmz__yaml_type_fn each_type,
                         void *ctx);

/* What a file's top level must be: a mapping with one key, root_key, whose value
 * parse_value reads. file_kind ("a policy file") and maps_to ("the types and their
 * settings") word the messages; empty is the message for a file without a document, needs
 * ("a policy needs 3") completes the one for nesting too deep. */
typedef struct {
    const char *root_key, *file_kind, *maps_to, *empty, *needs;
    void (*parse_value)(void *ctx, yaml_document_t *doc, const yaml_node_t *key,
                        const yaml_node_t *value);
    void *ctx;
} cmz__yaml_root;
void cmz__yaml_parse_root(yaml_document_t *doc, cmz__diag_sink *r, const yaml_node_t *root,
                          const cmz__yaml_root *spec);

/* Loads YAML text holding one document and reads it with spec (cmz__yaml_parse_root). Every
 * problem goes to r: a text longer than CMZ__YAML_MAX_SIZE; libyaml's syntax errors; nesting
 * deeper than 64 levels (refused as soon as it is met: libyaml takes quadratic time over
 * deep nesting); tags other than !!str, !!int, !!float, !!bool, !!null on scalars, !!map and
 * !!seq on collections; undefined or duplicate anchors, more than 256 of them, aliases that
 * stand for more than 100000 nodes in all, an alias inside the collection it names; an empty
 * text; a second document. CMZ_ERR_NOMEM or CMZ_OK (check r->errors). */
cmz_status cmz__yaml_load(const char *text, size_t size, cmz__diag_sink *r,
                          const cmz__yaml_root *spec);

/* libyaml's error as a located diagnostic; reader errors (bad UTF-8) only carry an offset. */
void cmz__yaml_report_error(const yaml_parser_t *p, const char *text, size_t size,
                            cmz__diag_sink *r);

#endif
