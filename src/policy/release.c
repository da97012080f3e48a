/* The release rules object: built-in defaults, lookup, the checked put, loading, and the
 * YAML text (the parsing itself is release_parse.c). */
#include "release_internal.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

/* The application's table, each type naming the compression entry that fits its data
 * (docs/RELEASE.md says why); configs/releasable_resources.yaml is exactly its
 * cmz_release_rules_format (tested), so change the two together. Designated, so that the
 * reserved tail is zero without being spelt out. */
#define RULE(t, p, m, n, c, e)                                             \
    {                                                                      \
        .type = t, .priority = p, .max_retain_time = m, .min_required = n, \
        .compress_before_release = c, .compression = e                     \
    }
static const cmz_release_rule builtin[] = {
    RULE("model_shards", 1, 300, 2, false, "model_weights"),
    RULE("render_cache", 2, 180, 0, true, "intermediate_cache"),
    RULE("temp_buffers", 3, 30, 0, false, ""),
    RULE("audio_cache", 4, 120, 0, true, "file_cache"),
    RULE("model_weights_cache", 5, 600, 0, false, "model_weights"),
    RULE("subtitle_index", 6, 900, 0, false, "subtitle"),
};
#define BUILTIN_COUNT (sizeof builtin / sizeof builtin[0])

cmz_release_rules *cmz__release_rules_new(size_t cap) {
    cmz_release_rules *rules = cmz__calloc(1, sizeof *rules);
    if (!rules) return NULL;
    rules->cap = cap ? cap : 8;
    rules->rules = cmz__calloc(rules->cap, sizeof *rules->rules);
    if (!rules->rules) {
        cmz_release_rules_free(rules); /* takes rules built in part */
        return NULL;
    }
    return rules;
}

bool cmz__release_rules_append(cmz_release_rules *rules, const cmz_release_rule *rule) {
    if (rules->count == rules->cap) {
        size_t cap = rules->cap * 2;
        cmz_release_rule *grown = cmz__calloc(cap, sizeof *grown);
        if (!grown) return false;
        memcpy(grown, rules->rules, rules->count * sizeof *grown);
        cmz__free(rules->rules);
        rules->rules = grown;
        rules->cap = cap;
    }
    rules->rules[rules->count++] = *rule;
    return true;
}

size_t cmz__release_rules_find(const cmz_release_rules *rules, const char *type) {
    for (size_t i = 0; i < rules->count; i++)
        if (strcmp(rules->rules[i].type, type) == 0) return i;
    return SIZE_MAX;
}

cmz_release_rules *cmz_release_rules_new_default(void) {
    cmz_release_rules *rules = cmz__release_rules_new(BUILTIN_COUNT);
    if (!rules) return NULL;
    memcpy(rules->rules, builtin, sizeof builtin);
    rules->count = BUILTIN_COUNT;
    return rules;
}

cmz_release_rules *cmz_release_rules_clone(const cmz_release_rules *src) {
    if (!src) return NULL;
    cmz_release_rules *rules = cmz__release_rules_new(src->count);
    if (!rules) return NULL;
    if (src->count) memcpy(rules->rules, src->rules, src->count * sizeof *rules->rules);
    rules->count = src->count;
    return rules;
}

static bool rule_equal(const cmz_release_rule *a, const cmz_release_rule *b) {
    return strcmp(a->type, b->type) == 0 && a->priority == b->priority &&
           a->max_retain_time == b->max_retain_time && a->min_required == b->min_required &&
           a->compress_before_release == b->compress_before_release &&
           strcmp(a->compression, b->compression) == 0;
}

bool cmz_release_rules_equal(const cmz_release_rules *a, const cmz_release_rules *b) {
    if (!a || !b) return a == b;
    if (a->count != b->count) return false;
    for (size_t i = 0; i < a->count; i++)
        if (!rule_equal(&a->rules[i], &b->rules[i])) return false;
    return true;
}

void cmz_release_rules_free(cmz_release_rules *rules) {
    if (!rules) return;
    cmz__free(rules->rules);
    cmz__free(rules);
}

size_t cmz_release_rules_count(const cmz_release_rules *rules) { return rules ? rules->count : 0; }

const cmz_release_rule *cmz_release_rules_at(const cmz_release_rules *rules, size_t i) {
    return rules && i < rules->count ? &rules->rules[i] : NULL;
}

const cmz_release_rule *cmz_release_rules_get(const cmz_release_rules *rules, const char *type) {
    if (!rules || !type) return NULL;
    size_t i = cmz__release_rules_find(rules, type);
    return i == SIZE_MAX ? NULL : &rules->rules[i];
}

/* The same ranges as a file's values (release_parse.c), for rules built in code. */
bool cmz__release_check_rule(const cmz_release_rule *rule, cmz__diag_sink *r) {
    size_t before = r->errors;
    if (memchr(rule->type, '\0', sizeof rule->type) == NULL)
        cmz__diag_error(r, 0, 0, "type name is not NUL-terminated");
    else cmz__policy_check_type(rule->type, 0, 0, r);
    if (rule->priority < 1 || rule->priority > CMZ_RELEASE_PRIORITY_MAX)
        cmz__diag_error(r, 0, 0, "priority %u is out of range 1..%u (1 is released first)",
                        rule->priority, CMZ_RELEASE_PRIORITY_MAX);
    if (rule->max_retain_time < 1 || rule->max_retain_time > CMZ_RELEASE_RETAIN_MAX)
        cmz__diag_error(r, 0, 0,
                        "max_retain_time %" PRIu32 " is out of range 1..%u seconds (one year)",
                        rule->max_retain_time, CMZ_RELEASE_RETAIN_MAX);
    if (rule->min_required > CMZ__RELEASE_MIN_REQUIRED_MAX)
        cmz__diag_error(r, 0, 0, "min_required %u is out of range 0..%u", rule->min_required,
                        CMZ__RELEASE_MIN_REQUIRED_MAX);
    if (memchr(rule->compression, '\0', sizeof rule->compression) == NULL)
        cmz__diag_error(r, 0, 0, "compression is not NUL-terminated");
    else if (rule->compression[0] && !cmz__policy_type_name_ok(rule->compression))
        cmz__release_bad_compression(r, 0, 0, rule->compression);
    return r->errors == before;
}

void cmz__release_bad_compression(cmz__diag_sink *r, unsigned line, unsigned column,
                                  const char *name) {
    char q[48];
    cmz__diag_error(r, line, column,
                    "compression must name an entry of the compression policy (up to %d "
                    "letters, digits, '_', '-' and '.', starting with a letter or '_'), got '%s'",
                    CMZ_POLICY_TYPE_MAX, cmz__quote(name, q, sizeof q));
}

cmz_status cmz_release_rules_put(cmz_release_rules *rules, const cmz_release_rule *rule,
                                 cmz_diags *diags) {
    cmz__diag_sink r;
    cmz__diag_sink_init(&r, diags, "");
    if (!rules || !rule) return CMZ_ERR_INVALID_ARG;
    if (!cmz__diag_reserved(rule->reserved, CMZ_RESERVED_WORDS, "cmz_release_rule", &r) ||
        !cmz__release_check_rule(rule, &r))
        return CMZ_ERR_INVALID_ARG;
    size_t i = cmz__release_rules_find(rules, rule->type);
    if (i != SIZE_MAX) {
        rules->rules[i] = *rule; /* keeps its place in the order */
        return CMZ_OK;
    }
    return cmz__release_rules_append(rules, rule) ? CMZ_OK : CMZ_ERR_NOMEM;
}

/* ---- loading ---- */

static cmz_status parse_rules(const char *text, size_t size, cmz__diag_sink *r, void *out) {
    return cmz__release_parse(text, size, r, out);
}

cmz_status cmz_release_rules_load_string(const char *text, size_t size, const char *name,
                                         cmz_release_rules **out, cmz_diags *diags) {
    if (out) *out = NULL;
    if (!out || (!text && size)) return CMZ_ERR_INVALID_ARG;
    return cmz__load_yaml_string(text, size, name, parse_rules, out, diags);
}

cmz_status cmz_release_rules_load_file(const char *path, cmz_release_rules **out,
                                       cmz_diags *diags) {
    if (out) *out = NULL;
    if (!path || !out) return CMZ_ERR_INVALID_ARG;
    return cmz__load_yaml_file(path, "a release rules file", parse_rules, out, diags);
}

/* ---- text ---- */

/* The format's documentation travels with every file written. configs/releasable_resources.yaml
 * is this header followed by the defaults (tested byte for byte). */
static const char header[] =
    "# cmz release rules: which resource types the reaper may release, in which order, and\n"
    "# when. Read by libcmz (include/cmz/release.h); docs/RELEASE.md describes the format.\n"
    "# The file is checked as a whole: every mistake is reported as file:line:column, and a\n"
    "# file with any mistake is not used.\n"
    "#\n"
    "# Each type under releasable_resources is a mapping with these keys:\n"
    "#\n"
    "#   priority                 required, 1..1000: the release order under memory\n"
    "#                            pressure. Priority 1 is released first, then 2, and so on;\n"
    "#                            equal priorities: least recently used first, any type.\n"
    "#   max_retain_time          required, seconds, 1..31536000 (one year): a resource of\n"
    "#                            the type idle longer than this is released even without\n"
    "#                            memory pressure.\n"
    "#   min_required             optional, 0..1000000, default 0: that many resources of the\n"
    "#                            type are always kept, whatever the pressure or idle time.\n"
    "#   compress_before_release  optional, true or false (nothing else), default false:\n"
    "#                            true = releasing keeps the compressed form (made with the\n"
    "#                            type's compression policy) and drops the raw bytes;\n"
    "#                            false = releasing drops the resource.\n"
    "#   compression              optional: the entry of the compression policy\n"
    "#                            (compression_layers.yaml) the type compresses with when\n"
    "#                            the policy has no entry of its own for it; it must name\n"
    "#                            one the policy has. Without either: the policy's default.\n"
    "#\n"
    "# A type with no rule here is never released (it may still be compressed under\n"
    "# pressure, by its compression policy). Numbers are plain decimal integers: no quotes,\n"
    "# units, fractions or leading zeros. The optional keys are written only when they\n"
    "# differ from their defaults. `releasable_resources: {}` releases nothing.\n"
    "\n"
    "releasable_resources:";

typedef struct {
    char *buf;
    size_t cap, len;
} sink;

/* Appends to buf while it has room, and counts the full length regardless (snprintf-like). */
static void put(sink *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void put(sink *s, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    char *at = s->len < s->cap ? s->buf + s->len : NULL;
    int n = vsnprintf(at, at ? s->cap - s->len : 0, fmt, ap);
    va_end(ap);
    if (n > 0) s->len += (size_t)n;
}

cmz_status cmz_release_rules_format(const cmz_release_rules *rules, char *buf, size_t cap,
                                    size_t *size) {
    if (!rules || !size || (!buf && cap)) return CMZ_ERR_INVALID_ARG;
    sink s = {buf, cap, 0};
    /* No rules is an empty mapping, not a null value, so that the text loads back. */
    put(&s, "%s%s\n", header, rules->count ? "" : " {}");
    for (size_t i = 0; i < rules->count; i++) {
        const cmz_release_rule *rule = &rules->rules[i];
        put(&s, "%s  %s:\n", i ? "\n" : "", rule->type);
        put(&s, "    priority: %u\n", rule->priority);
        put(&s, "    max_retain_time: %" PRIu32 "\n", rule->max_retain_time);
        if (rule->min_required) put(&s, "    min_required: %u\n", rule->min_required);
        if (rule->compress_before_release) put(&s, "    compress_before_release: true\n");
        if (rule->compression[0]) put(&s, "    compression: %s\n", rule->compression);
    }
    *size = s.len;
    if (s.len >= cap) {
        if (cap) buf[cap - 1] = '\0';
        return CMZ_ERR_DST_TOO_SMALL;
    }
    return CMZ_OK;
}
