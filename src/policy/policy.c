/* The policy object: built-in defaults, lookup, and the checked edits (create, update, put,
 * delete). Every edit validates a copy first, so a failed edit changes nothing. */
#include "internal.h"

#include <assert.h>
#include <stdio.h>
#include <string.h>

#define MB(n) ((uint32_t)(n) << 20)
#define KB(n) ((uint32_t)(n) << 10)
#define THRESHOLD_MB(n) ((uint64_t)(n) << 20)

#define NO_FILTER CMZ_FILTER_NONE, 1

/* Designated, so that the reserved tail (room to grow) is zero without being spelt out. */
#define ENTRY(t, c, l, cs, ac, th, pr, f, ts)                                                      \
    {                                                                                              \
        .type = t, .codec = c, .level = l, .chunk_size = cs, .auto_compress = ac, .threshold = th, \
        .priority = pr, .filter = f, .typesize = ts                                                \
    }
#define ENTRY_(...) ENTRY(__VA_ARGS__) /* expands NO_FILTER into its two arguments first */

/* The specification's table; configs/compression_layers.yaml holds the same (tested). The
 * filters of the two float types, and model_weights' codec (rans, not the table's zstd-3),
 * are the measured best (the file's header says why). */
static const cmz_policy_entry builtin[] = {
    ENTRY_("model_weights", CMZ_CODEC_RANS, 0, MB(1), false, THRESHOLD_MB(50), CMZ_PRIORITY_LOW,
           CMZ_FILTER_PLANES, 4),
    ENTRY_("subtitle", CMZ_CODEC_LZ4, 0, KB(512), true, THRESHOLD_MB(1), CMZ_PRIORITY_HIGH,
           NO_FILTER),
    ENTRY_("intermediate_cache", CMZ_CODEC_LZ4, 1, MB(4), true, THRESHOLD_MB(5),
           CMZ_PRIORITY_MEDIUM, NO_FILTER),
    ENTRY_("attention_cache", CMZ_CODEC_ZSTD, 1, MB(2), true, THRESHOLD_MB(10), CMZ_PRIORITY_MEDIUM,
           CMZ_FILTER_PLANES, 2),
    ENTRY_("file_cache", CMZ_CODEC_ZSTD, 3, MB(8), true, THRESHOLD_MB(20), CMZ_PRIORITY_LOW,
           NO_FILTER),
    ENTRY_("temp_buffers", CMZ_CODEC_LZ4, 0, MB(1), true, THRESHOLD_MB(5), CMZ_PRIORITY_HIGH,
           NO_FILTER),
    ENTRY_("log_data", CMZ_CODEC_GZIP, 6, MB(10), true, THRESHOLD_MB(2), CMZ_PRIORITY_LOW,
           NO_FILTER),
    ENTRY_("default", CMZ_CODEC_GZIP, 6, MB(4), false, THRESHOLD_MB(10), CMZ_PRIORITY_LOW,
           NO_FILTER),
};
#define BUILTIN_COUNT (sizeof builtin / sizeof builtin[0])

cmz_policy *cmz__policy_new(size_t cap) {
    cmz_policy *p = cmz__calloc(1, sizeof *p);
    if (!p) return NULL;
    p->cap = cap ? cap : 8;
    p->entries = cmz__calloc(p->cap, sizeof *p->entries);
    if (!p->entries) {
        cmz_policy_free(p); /* takes a policy built in part */
        return NULL;
    }
    return p;
}

static bool reserve(cmz_policy *p, size_t need) {
    if (need <= p->cap) return true;
    size_t cap = p->cap * 2 > need ? p->cap * 2 : need;
    cmz_policy_entry *grown = cmz__calloc(cap, sizeof *grown);
    if (!grown) return false;
    memcpy(grown, p->entries, p->count * sizeof *grown);
    cmz__free(p->entries);
    p->entries = grown;
    p->cap = cap;
    return true;
}

bool cmz__policy_append(cmz_policy *p, const cmz_policy_entry *e) {
    if (!reserve(p, p->count + 1)) return false;
    p->entries[p->count++] = *e;
    return true;
}

size_t cmz__policy_find(const cmz_policy *p, const char *type) {
    for (size_t i = 0; i < p->count; i++)
        if (strcmp(p->entries[i].type, type) == 0) return i;
    return SIZE_MAX;
}

cmz_policy *cmz_policy_new_default(void) {
    cmz_policy *p = cmz__policy_new(BUILTIN_COUNT);
    if (!p) return NULL;
    memcpy(p->entries, builtin, sizeof builtin);
    p->count = BUILTIN_COUNT;
    return p;
}

cmz_policy *cmz_policy_clone(const cmz_policy *src) {
    if (!src) return NULL;
    cmz_policy *p = cmz__policy_new(src->count);
    if (!p) return NULL;
    memcpy(p->entries, src->entries, src->count * sizeof *p->entries);
    p->count = src->count;
    return p;
}

void cmz_policy_free(cmz_policy *p) {
    if (!p) return;
    cmz__free(p->entries);
    cmz__free(p);
}

static bool entry_equal(const cmz_policy_entry *a, const cmz_policy_entry *b) {
    return strcmp(a->type, b->type) == 0 && a->codec == b->codec && a->level == b->level &&
           a->chunk_size == b->chunk_size && a->auto_compress == b->auto_compress &&
           a->threshold == b->threshold && a->priority == b->priority && a->filter == b->filter &&
           a->typesize == b->typesize;
}

bool cmz_policy_equal(const cmz_policy *a, const cmz_policy *b) {
    if (!a || !b) return a == b;
    if (a->count != b->count) return false;
    for (size_t i = 0; i < a->count; i++)
        if (!entry_equal(&a->entries[i], &b->entries[i])) return false;
    return true;
}

size_t cmz_policy_count(const cmz_policy *p) { return p ? p->count : 0; }

const cmz_policy_entry *cmz_policy_at(const cmz_policy *p, size_t i) {
    return p && i < p->count ? &p->entries[i] : NULL;
}

const cmz_policy_entry *cmz_policy_get(const cmz_policy *p, const char *type) {
    if (!p || !type) return NULL;
    size_t i = cmz__policy_find(p, type);
    return i == SIZE_MAX ? NULL : &p->entries[i];
}

const cmz_policy_entry *cmz_policy_lookup(const cmz_policy *p, const char *type) {
    if (!p) return NULL;
    const cmz_policy_entry *e = type ? cmz_policy_get(p, type) : NULL;
    return e ? e : cmz_policy_get(p, "default");
}

cmz_status cmz_policy_apply(const cmz_policy *p, const char *type, cmz_params *params) {
    return cmz_policy_apply_entry(cmz_policy_lookup(p, type), params);
}

cmz_status cmz_policy_apply_entry(const cmz_policy_entry *e, cmz_params *params) {
    if (!e || !params) return CMZ_ERR_INVALID_ARG;
    params->codec = e->codec;
    params->level = e->level;
    if (!cmz_codec_by_id(e->codec)) {
        /* The file named a codec this build lacks (a warning when it was loaded): the entry's
         * level belongs to that codec, so the stand-in takes its own default. */
        const cmz_codec *fallback = cmz_codec_default();
        params->codec = (int)cmz_codec_id_of(fallback);
        params->level = cmz_codec_default_level(fallback);
    }
    params->chunk_size = e->chunk_size;
    params->filter = e->filter;
    params->typesize = e->typesize;
    return CMZ_OK;
}

/* ---- edits ---- */

/* Applies settings to *e, reporting every bad one; then checks the level against the
 * (possibly new) codec, and the filter and typesize together when either was given. */
static bool apply_settings(cmz_policy_entry *e, const cmz_policy_setting *settings, size_t count,
                           cmz__diag_sink *r) {
    size_t before = r->errors;
    bool level_checkable = true, filter_checkable = true;
    cmz__value given[CMZ__KEY_COUNT];
    bool seen[CMZ__KEY_COUNT] = {false};
    for (size_t i = 0; i < count; i++) {
        const char *key = settings[i].key ? settings[i].key : "";
        int k = cmz__policy_key_index(key);
        if (k < 0) {
            char q[48];
            const char *hint = cmz__suggest(key, cmz__policy_keys, CMZ__KEY_COUNT);
            cmz__diag_error(r, 0, 0, "unknown key '%s'%s%s%s", cmz__quote(key, q, sizeof q),
                            hint ? "; did you mean '" : "", hint ? hint : "", hint ? "'?" : "");
            continue;
        }
        cmz__value v = {settings[i].value ? settings[i].value : "", CMZ__TAG_PLAIN, NULL, 0, 0};
        given[k] = v;
        seen[k] = true;
        if (cmz__policy_set_key(e, k, &v, r)) continue;
        if (k == CMZ__KEY_ALGORITHM || k == CMZ__KEY_LEVEL) level_checkable = false;
        if (k == CMZ__KEY_FILTER || k == CMZ__KEY_TYPESIZE) filter_checkable = false;
    }
    if (level_checkable && seen[CMZ__KEY_ALGORITHM] && !cmz_codec_by_id(e->codec)) {
        /* A codec chosen now must work in this build (a file's may name one it lacks). */
        cmz_error err;
        cmz_error_clear(&err);
        const cmz_codec *codec;
        cmz_codec_by_name(given[CMZ__KEY_ALGORITHM].text, &codec, &err);
        cmz__diag_error(r, 0, 0, "%s", err.message);
        level_checkable = filter_checkable = false;
    }
    if (level_checkable && cmz__policy_check_level(e, 0, 0, r)) cmz__policy_check_codec(e, 0, 0, r);
    /* A new algorithm is checked with the pair too: the planes codec's typesize (with no
     * filter) goes back to 1 when the codec changes to one that takes none. */
    if (filter_checkable &&
        (seen[CMZ__KEY_FILTER] || seen[CMZ__KEY_TYPESIZE] || seen[CMZ__KEY_ALGORITHM]))
        cmz__policy_check_filter(e, seen[CMZ__KEY_FILTER] ? &given[CMZ__KEY_FILTER] : NULL,
                                 seen[CMZ__KEY_TYPESIZE] ? &given[CMZ__KEY_TYPESIZE] : NULL, r);
    return r->errors == before;
}

/* Where a new type goes: just before `default`, so that files keep it last. */
static size_t insert_position(const cmz_policy *p) {
    size_t d = cmz__policy_find(p, "default");
    return d == SIZE_MAX ? p->count : d;
}

static cmz_status insert(cmz_policy *p, const cmz_policy_entry *e) {
    if (!reserve(p, p->count + 1)) return CMZ_ERR_NOMEM;
    size_t at = insert_position(p);
    memmove(&p->entries[at + 1], &p->entries[at], (p->count - at) * sizeof *p->entries);
    p->entries[at] = *e;
    p->count++;
    return CMZ_OK;
}

cmz_status cmz_policy_create(cmz_policy *p, const char *type, const cmz_policy_setting *settings,
                             size_t count, cmz_diags *diags) {
    cmz__diag_sink r;
    cmz__diag_sink_init(&r, diags, "");
    if (!p || !type || (count && !settings)) return CMZ_ERR_INVALID_ARG;
    if (!cmz__policy_check_type(type, 0, 0, &r)) return CMZ_ERR_INVALID_ARG;
    if (cmz__policy_find(p, type) != SIZE_MAX) {
        cmz__diag_error(&r, 0, 0, "type '%s' already exists", type);
        return CMZ_ERR_INVALID_ARG;
    }
    const cmz_policy_entry *def = cmz_policy_lookup(p, NULL);
    assert(def && "every policy keeps `default`");
    if (!def) return CMZ_ERR_INVALID_ARG;
    cmz_policy_entry e = *def;
    snprintf(e.type, sizeof e.type, "%s", type);
    if (!apply_settings(&e, settings, count, &r)) return CMZ_ERR_INVALID_ARG;
    return insert(p, &e);
}

cmz_status cmz_policy_update(cmz_policy *p, const char *type, const cmz_policy_setting *settings,
                             size_t count, cmz_diags *diags) {
    cmz__diag_sink r;
    cmz__diag_sink_init(&r, diags, "");
    if (!p || !type || (count && !settings)) return CMZ_ERR_INVALID_ARG;
    size_t i = cmz__policy_find(p, type);
    if (i == SIZE_MAX) {
        char q[48];
        cmz__diag_error(&r, 0, 0, "no type '%s' in the policy", cmz__quote(type, q, sizeof q));
        return CMZ_ERR_INVALID_ARG;
    }
    cmz_policy_entry e = p->entries[i];
    if (!apply_settings(&e, settings, count, &r)) return CMZ_ERR_INVALID_ARG;
    p->entries[i] = e;
    return CMZ_OK;
}

cmz_status cmz_policy_put(cmz_policy *p, const cmz_policy_entry *e, cmz_diags *diags) {
    cmz__diag_sink r;
    cmz__diag_sink_init(&r, diags, "");
    if (!p || !e) return CMZ_ERR_INVALID_ARG;
    if (!cmz__diag_reserved(e->reserved, CMZ_RESERVED_WORDS, "cmz_policy_entry", &r) ||
        !cmz__policy_check_entry(e, &r))
        return CMZ_ERR_INVALID_ARG;
    size_t i = cmz__policy_find(p, e->type);
    if (i == SIZE_MAX) return insert(p, e);
    p->entries[i] = *e;
    return CMZ_OK;
}

cmz_status cmz_policy_delete(cmz_policy *p, const char *type, cmz_diags *diags) {
    cmz__diag_sink r;
    cmz__diag_sink_init(&r, diags, "");
    if (!p || !type) return CMZ_ERR_INVALID_ARG;
    char q[48];
    if (strcmp(type, "default") == 0) {
        cmz__diag_error(&r, 0, 0,
                        "type 'default' cannot be deleted: it is the fallback for "
                        "every type the policy does not list");
        return CMZ_ERR_INVALID_ARG;
    }
    size_t i = cmz__policy_find(p, type);
    if (i == SIZE_MAX) {
        cmz__diag_error(&r, 0, 0, "no type '%s' in the policy", cmz__quote(type, q, sizeof q));
        return CMZ_ERR_INVALID_ARG;
    }
    memmove(&p->entries[i], &p->entries[i + 1], (p->count - i - 1) * sizeof *p->entries);
    p->count--;
    return CMZ_OK;
}
