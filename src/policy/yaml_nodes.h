/* libyaml node helpers shared by the two YAML loaders of the policy layer (parse.c: the
 * compression policy; release_parse.c: the release rules): positions, node kinds, scalars,
 * the top-level mapping and libyaml's own errors, all reported through a cmz__reporter. */
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
const char *cmz__yaml_scalar(cmz__reporter *r, const yaml_node_t *n, const char *what);
/* A plain empty scalar ("key:" with nothing after it). */
bool cmz__yaml_empty_scalar(const yaml_node_t *n);

/* An unknown key in type `type`'s mapping: a merge key ('<<') is named as unsupported, a near
 * miss of one of keys[0..nkeys) gets a did-you-mean, anything else the list `valid`. */
void cmz__yaml_report_unknown_key(cmz__reporter *r, const yaml_node_t *key_node, const char *key,
                                  const char *type, const char *const *keys, size_t nkeys,
                                  const char *valid);

/* What a file's top level must be: a mapping with one key, root_key, whose value
 * parse_value reads. file_kind ("a policy file") and maps_to ("the types and their
 * settings") word the messages. */
typedef struct {
    const char *root_key, *file_kind, *maps_to;
    void (*parse_value)(void *ctx, const yaml_node_t *key, const yaml_node_t *value);
    void *ctx;
} cmz__yaml_root;
void cmz__yaml_parse_root(yaml_document_t *doc, cmz__reporter *r, const yaml_node_t *root,
                          const cmz__yaml_root *spec);

/* libyaml's error as a located diagnostic; reader errors (bad UTF-8) only carry an offset. */
void cmz__yaml_report_error(const yaml_parser_t *p, const char *text, size_t size,
                            cmz__reporter *r);

#endif
