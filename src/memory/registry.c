/* The registry object: creation, the id table, registration and removal. */
#include "internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

uint64_t cmz__now_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

cmz_registry_params cmz_registry_params_default(void) {
    cmz_registry_params p;
    memset(&p, 0, sizeof p);
    p.warning = 0.75;
    p.emergency = 0.90;
    p.check_interval_ms = 5000;
    return p;
}

/* ---- ids ---- */

/* FNV-1a: ids are short strings; the table is resized to keep chains short. */
size_t cmz__hash_id(const char *id) {
    uint64_t h = 1469598103934665603ull;
    for (const unsigned char *p = (const unsigned char *)id; *p; p++)
        h = (h ^ *p) * 1099511628211ull;
    return (size_t)h;
}

cmz__resource *cmz__reg_find(cmz_registry *reg, const char *id) {
    if (!id) return NULL;
    for (cmz__resource *r = reg->buckets[cmz__hash_id(id) % reg->nbuckets]; r; r = r->hash_next)
        if (strcmp(r->id, id) == 0) return r;
    return NULL;
}

/* "type:name": the type by the policy's naming rules, a non-empty printable name. */
static cmz_status check_id(const char *id, char *type, cmz_error *err) {
    if (!id) return cmz__error(err, CMZ_ERR_INVALID_ARG, "resource id is NULL");
    size_t n = strlen(id);
    const char *colon = strchr(id, ':');
    if (n > CMZ_REGISTRY_ID_MAX)
        return cmz__error(err, CMZ_ERR_INVALID_ARG,
                          "resource id is %zu characters long, the limit is %d", n,
                          CMZ_REGISTRY_ID_MAX);
    if (!colon || colon == id || colon[1] == '\0')
        return cmz__error(err, CMZ_ERR_INVALID_ARG,
                          "resource id '%.64s' is not of the form type:name", id);
    size_t tlen = (size_t)(colon - id);
    if (tlen > CMZ_POLICY_TYPE_MAX)
        return cmz__error(err, CMZ_ERR_INVALID_ARG,
                          "resource id '%.64s': the type is longer than %d characters", id,
                          CMZ_POLICY_TYPE_MAX);
    for (size_t i = 0; i < tlen; i++) {
        char c = id[i];
        bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' ||
                  (i > 0 && ((c >= '0' && c <= '9') || c == '-' || c == '.'));
        if (!ok)
            return cmz__error(err, CMZ_ERR_INVALID_ARG,
                              "resource id '%.64s': character %zu of the type is not allowed "
                              "(letters, digits, '_', '-', '.'; a letter or '_' first)",
                              id, i + 1);
    }
    for (const char *p = colon + 1; *p; p++)
        if ((unsigned char)*p < 0x20 || *p == 0x7f)
            return cmz__error(err, CMZ_ERR_INVALID_ARG,
                              "resource id '%.64s': the name holds a control character", id);
    memcpy(type, id, tlen);
    type[tlen] = '\0';
    return CMZ_OK;
}

/* The slot of a type, created with its policy entry and rule on first use; SIZE_MAX when out
 * of memory. */
static size_t type_slot(cmz_registry *reg, const char *type) {
    for (size_t i = 0; i < reg->ntypes; i++)
        if (strcmp(reg->types[i]->stats.type, type) == 0) return i;
    void *types = reg->types;
    if (cmz__reserve(&types, &reg->types_cap, sizeof *reg->types, reg->ntypes, reg->ntypes + 1) !=
        0)
        return SIZE_MAX;
    reg->types = types;
    cmz__type *t = cmz__calloc(1, sizeof *t);
    if (!t) return SIZE_MAX;
    snprintf(t->stats.type, sizeof t->stats.type, "%s", type);
    t->policy = *cmz_policy_lookup(reg->policy, type);
    const cmz_release_rule *rule = cmz_release_rules_get(reg->rules, type);
    if (rule) {
        t->has_rule = true;
        t->rule = *rule;
    }
    reg->types[reg->ntypes] = t;
    return reg->ntypes++;
}

static bool grow_table(cmz_registry *reg) {
    if (reg->count < reg->cap) return true;
    size_t cap = reg->cap ? 2 * reg->cap : 64;
    cmz__resource **all = cmz__calloc(cap, sizeof *all);
    cmz__resource **buckets = cmz__calloc(cap, sizeof *buckets);
    if (!all || !buckets) {
        cmz__free(all);
        cmz__free(buckets);
        return false;
    }
    if (reg->count) memcpy(all, reg->all, reg->count * sizeof *all);
    for (size_t i = 0; i < reg->count; i++) {
        cmz__resource *r = all[i];
        size_t b = cmz__hash_id(r->id) % cap;
        r->hash_next = buckets[b];
        buckets[b] = r;
    }
    cmz__free(reg->all);
    cmz__free(reg->buckets);
    reg->all = all;
    reg->buckets = buckets;
    reg->cap = reg->nbuckets = cap;
    return true;
}

/* ---- lifecycle ---- */

/* A private copy of the rules (the caller may change or free theirs), through their YAML
 * form: the release API has no clone, and the round trip is exact (tested there). */
static cmz_release_rules *clone_rules(const cmz_release_rules *rules) {
    if (!rules) return cmz_release_rules_new_default();
    size_t size = 0;
    cmz_release_rules_format(rules, NULL, 0, &size);
    char *text = cmz__malloc(size + 1);
    cmz_release_rules *copy = NULL;
    if (text && cmz_release_rules_format(rules, text, size + 1, &size) == CMZ_OK)
        cmz_release_rules_load_string(text, size, "(rules)", &copy, NULL);
    cmz__free(text);
    return copy;
}

cmz_registry *cmz_registry_new(const cmz_registry_params *params, cmz_error *err) {
    cmz_registry_params p = params ? *params : cmz_registry_params_default();
    if (CMZ__RESERVED_CHECK(&p, "cmz_registry_params", err) != CMZ_OK) return NULL;
    if (!(p.warning > 0 && p.warning < p.emergency && p.emergency <= 1.0)) {
        cmz__error(err, CMZ_ERR_INVALID_ARG,
                   "watermarks must satisfy 0 < warning (%g) < emergency (%g) <= 1", p.warning,
                   p.emergency);
        return NULL;
    }
    cmz_registry *reg = cmz__calloc(1, sizeof *reg);
    if (!reg) {
        cmz__error(err, CMZ_ERR_NOMEM, "out of memory");
        return NULL;
    }
    /* The locks first, so that cmz_registry_free takes a registry built only in part: it is
     * the one cleanup path for every failure below. */
    pthread_mutex_init(&reg->mu, NULL);
    pthread_cond_init(&reg->changed, NULL);
    pthread_cond_init(&reg->wake, NULL);
    reg->params = p;
    reg->policy = p.policy ? cmz_policy_clone(p.policy) : cmz_policy_new_default();
    reg->rules = clone_rules(p.release);
    reg->params.policy = reg->policy;
    reg->params.release = reg->rules;
    bool built = reg->policy && reg->rules && grow_table(reg);
    if (!built) cmz__error(err, CMZ_ERR_NOMEM, "out of memory");
    if (!built || cmz__usage_init(reg, err) != CMZ_OK || cmz__snaps_create(reg, err) != CMZ_OK ||
        (p.check_interval_ms && cmz__monitor_start(reg, err) != CMZ_OK)) {
        cmz_registry_free(reg);
        return NULL;
    }
    return reg;
}

void cmz__res_free(cmz__resource *r) {
    if (r->raw) {
        if (r->raw_from_malloc) free(r->raw);
        else cmz__free(r->raw);
    }
    if (r->custom && r->object) r->ops.free(r->object);
    cmz__free(r->frame);
    cmz__free(r);
}

void cmz_registry_free(cmz_registry *reg) {
    if (!reg) return;
    cmz__monitor_stop(reg);
    cmz__snaps_destroy(reg);
    for (size_t i = 0; i < reg->count; i++) cmz__res_free(reg->all[i]);
    pthread_cond_destroy(&reg->wake);
    pthread_cond_destroy(&reg->changed);
    pthread_mutex_destroy(&reg->mu);
    cmz_policy_free(reg->policy);
    cmz_release_rules_free(reg->rules);
    cmz__free(reg->all);
    cmz__free(reg->buckets);
    for (size_t i = 0; i < reg->ntypes; i++) cmz__free(reg->types[i]);
    cmz__free(reg->types);
    cmz__free(reg);
}

/* ---- bookkeeping ---- */

uint64_t cmz__res_held(const cmz__resource *r) {
    uint64_t raw = r->custom ? (r->object ? r->raw_size : 0) : (r->raw ? r->raw_size : 0);
    return raw + (r->frame ? r->frame_size : 0);
}

void cmz__reg_touch(cmz__resource *r) { r->last_use_ns = cmz__now_ns(); }

void cmz__reg_account(cmz_registry *reg, cmz__resource *r, uint64_t held_before) {
    assert(cmz__mutex_held(&reg->mu));
    uint64_t after = cmz__res_held(r);
    reg->held = reg->held - held_before + after;
    cmz__type *t = reg->types[r->type_slot];
    t->stats.stored_bytes = t->stats.stored_bytes - held_before + after;
}

void cmz__res_drop_raw(cmz_registry *reg, cmz__resource *r) {
    assert(cmz__mutex_held(&reg->mu));
    assert(r->pins == 0 && r->readers == 0 && r->frame);
    uint64_t before = cmz__res_held(r);
    if (r->custom) {
        if (r->object) r->ops.free(r->object);
        r->object = NULL;
    } else if (r->raw) {
        if (r->raw_from_malloc) free(r->raw);
        else cmz__free(r->raw);
        r->raw = NULL;
        r->raw_from_malloc = false;
    }
    cmz__reg_account(reg, r, before);
}

void cmz__reg_drop(cmz_registry *reg, cmz__resource *r) {
    assert(cmz__mutex_held(&reg->mu));
    assert(!r->busy && r->readers == 0);
    size_t b = cmz__hash_id(r->id) % reg->nbuckets;
    for (cmz__resource **pp = &reg->buckets[b]; *pp; pp = &(*pp)->hash_next)
        if (*pp == r) {
            *pp = r->hash_next;
            break;
        }
    reg->all[r->index] = reg->all[--reg->count];
    reg->all[r->index]->index = r->index;
    cmz__type *t = reg->types[r->type_slot];
    uint64_t held = cmz__res_held(r);
    reg->held -= held;
    t->stats.stored_bytes -= held;
    t->stats.raw_bytes -= r->raw_size;
    t->stats.resources--;
    cmz__res_free(r);
}

cmz__resource *cmz__reg_wait_idle(cmz_registry *reg, const char *id) {
    assert(cmz__mutex_held(&reg->mu));
    cmz__resource *r;
    while ((r = cmz__reg_find(reg, id)) && (r->busy || r->readers))
        pthread_cond_wait(&reg->changed, &reg->mu);
    return r;
}

/* ---- registration ---- */

cmz_status cmz__reg_insert(cmz_registry *reg, cmz__resource *r, const char *type, cmz_error *err) {
    assert(cmz__mutex_held(&reg->mu));
    if (cmz__reg_find(reg, r->id))
        return cmz__error(err, CMZ_ERR_EXISTS, "resource '%s' is already registered", r->id);
    size_t slot = type_slot(reg, type);
    if (slot == SIZE_MAX || !grow_table(reg))
        return cmz__error(err, CMZ_ERR_NOMEM, "out of memory registering '%s'", r->id);
    r->type_slot = slot;
    r->index = reg->count;
    reg->all[reg->count++] = r;
    size_t b = cmz__hash_id(r->id) % reg->nbuckets;
    r->hash_next = reg->buckets[b];
    reg->buckets[b] = r;
    cmz__reg_touch(r);
    cmz__type *t = reg->types[slot];
    cmz__reg_account(reg, r, 0);
    t->stats.raw_bytes += r->raw_size;
    t->stats.resources++;
    return CMZ_OK;
}

/* Room for `size` more bytes before they arrive: the reaper brings usage down so that the
 * new resource lands under the warning mark (lock held). */
void cmz__reg_make_room(cmz_registry *reg, uint64_t size) {
    assert(cmz__mutex_held(&reg->mu));
    uint64_t mark = (uint64_t)((double)reg->budget * reg->params.warning);
    uint64_t usage = cmz__usage_now(reg);
    if (usage + size > mark) cmz__reap(reg, mark > size ? mark - size : 0, false);
}

/* After a registration (lock held): auto compression by the policy, then the monitor's
 * check. Neither failing undoes the registration: the resource is kept raw. */
static void after_add(cmz_registry *reg, const char *id) {
    cmz__resource *r = cmz__reg_find(reg, id);
    if (r && !r->busy) {
        const cmz_policy_entry *pe = &reg->types[r->type_slot]->policy;
        if (pe->auto_compress && r->raw_size >= pe->threshold && !r->frame)
            cmz__res_compress(reg, r, 0, NULL);
    }
    cmz__pressure_check(reg);
}

cmz__resource *cmz__res_new(const char *id) {
    cmz__resource *r = cmz__calloc(1, sizeof *r);
    if (r) snprintf(r->id, sizeof r->id, "%s", id);
    return r;
}

cmz_status cmz_registry_add(cmz_registry *reg, const char *id, void *data, size_t size,
                            unsigned flags, cmz_error *err) {
    char type[CMZ_POLICY_TYPE_MAX + 1];
    if (!reg || (!data && size) || flags > CMZ_REGISTER_ADOPT)
        return cmz__error(err, CMZ_ERR_INVALID_ARG,
                          "cmz_registry_add: NULL registry, NULL data or unknown flags");
    cmz_status st = check_id(id, type, err);
    if (st != CMZ_OK) return st;
    pthread_mutex_lock(&reg->mu);
    bool exists = cmz__reg_find(reg, id) != NULL;
    if (!exists) cmz__reg_make_room(reg, size);
    pthread_mutex_unlock(&reg->mu);
    if (exists) return cmz__error(err, CMZ_ERR_EXISTS, "resource '%s' is already registered", id);
    cmz__resource *r = cmz__res_new(id);
    if (!r) return cmz__error(err, CMZ_ERR_NOMEM, "out of memory");
    r->raw_size = size;
    if (flags == CMZ_REGISTER_ADOPT) {
        r->raw = data;
        r->raw_from_malloc = true;
    } else {
        r->raw = cmz__malloc_large(size);
        if (!r->raw) {
            cmz__free(r);
            return cmz__error(err, CMZ_ERR_NOMEM, "out of memory copying %zu bytes of '%s'", size,
                              id);
        }
        if (size) memcpy(r->raw, data, size);
    }
    pthread_mutex_lock(&reg->mu);
    st = cmz__reg_insert(reg, r, type, err);
    if (st == CMZ_OK) after_add(reg, id);
    pthread_mutex_unlock(&reg->mu);
    if (st != CMZ_OK) {
        if (flags == CMZ_REGISTER_ADOPT) r->raw = NULL; /* still the caller's */
        cmz__res_free(r);
    }
    return st;
}

cmz_status cmz_registry_add_custom(cmz_registry *reg, const char *id, const cmz_resource_ops *ops,
                                   void *object, cmz_error *err) {
    char type[CMZ_POLICY_TYPE_MAX + 1];
    if (!reg || !ops || !ops->size || !ops->serialize || !ops->restore || !ops->free || !object)
        return cmz__error(err, CMZ_ERR_INVALID_ARG,
                          "cmz_registry_add_custom: NULL registry or object, or a callback "
                          "missing (size, serialize, restore and free are all required)");
    cmz_status st = check_id(id, type, err);
    if (st != CMZ_OK) return st;
    cmz__resource *r = cmz__res_new(id);
    if (!r) return cmz__error(err, CMZ_ERR_NOMEM, "out of memory");
    r->custom = true;
    r->ops = *ops;
    r->object = object;
    r->raw_size = ops->size(object);
    pthread_mutex_lock(&reg->mu);
    cmz__reg_make_room(reg, 0);
    st = cmz__reg_insert(reg, r, type, err);
    if (st == CMZ_OK) after_add(reg, id);
    pthread_mutex_unlock(&reg->mu);
    if (st != CMZ_OK) {
        r->object = NULL; /* still the caller's */
        cmz__res_free(r);
    }
    return st;
}

cmz_status cmz__not_found(cmz_error *err, const char *id) {
    return cmz__error(err, CMZ_ERR_NOT_FOUND, "no resource '%.200s' in the registry",
                      id ? id : "(null)");
}

cmz_status cmz__pinned(cmz_error *err, const cmz__resource *r, const char *what) {
    return cmz__error(err, CMZ_ERR_BUSY, "cannot %s '%s': pinned %u time%s", what, r->id, r->pins,
                      r->pins == 1 ? "" : "s");
}

cmz_status cmz_registry_replace(cmz_registry *reg, const char *id, void *data, size_t size,
                                unsigned flags, cmz_error *err) {
    if (!reg || (!data && size) || flags > CMZ_REGISTER_ADOPT)
        return cmz__error(err, CMZ_ERR_INVALID_ARG,
                          "cmz_registry_replace: NULL registry, NULL data or unknown flags");
    uint8_t *copy = NULL;
    if (flags == CMZ_REGISTER_COPY) { /* before the lock: it may be large */
        copy = cmz__malloc_large(size);
        if (!copy) return cmz__error(err, CMZ_ERR_NOMEM, "out of memory copying %zu bytes", size);
        if (size) memcpy(copy, data, size);
    }
    pthread_mutex_lock(&reg->mu);
    cmz__resource *r = cmz__reg_wait_idle(reg, id);
    cmz_status st = CMZ_OK;
    if (!r) st = cmz__not_found(err, id);
    else if (r->custom)
        st = cmz__error(err, CMZ_ERR_INVALID_ARG,
                        "'%s' is a custom resource: replace works on byte resources", id);
    else if (r->pins) st = cmz__pinned(err, r, "replace");
    if (st == CMZ_OK) {
        uint64_t before = cmz__res_held(r);
        cmz__type *t = reg->types[r->type_slot];
        if (r->raw) {
            if (r->raw_from_malloc) free(r->raw);
            else cmz__free(r->raw);
        }
        cmz__free(r->frame);
        r->frame = NULL;
        r->frame_size = 0;
        r->raw = copy ? copy : data;
        r->raw_from_malloc = copy == NULL;
        t->stats.raw_bytes = t->stats.raw_bytes - r->raw_size + size;
        r->raw_size = size;
        cmz__reg_account(reg, r, before);
        cmz__reg_touch(r);
        after_add(reg, id);
    }
    pthread_mutex_unlock(&reg->mu);
    if (st != CMZ_OK) cmz__free(copy);
    return st;
}

cmz_status cmz_registry_remove(cmz_registry *reg, const char *id, cmz_error *err) {
    if (!reg) return cmz__error(err, CMZ_ERR_INVALID_ARG, "cmz_registry_remove: NULL registry");
    pthread_mutex_lock(&reg->mu);
    cmz__resource *r = cmz__reg_wait_idle(reg, id);
    cmz_status st = !r ? cmz__not_found(err, id) : r->pins ? cmz__pinned(err, r, "remove") : CMZ_OK;
    if (st == CMZ_OK) cmz__reg_drop(reg, r);
    pthread_cond_broadcast(&reg->changed);
    pthread_mutex_unlock(&reg->mu);
    return st;
}

bool cmz_registry_contains(cmz_registry *reg, const char *id) {
    if (!reg) return false;
    pthread_mutex_lock(&reg->mu);
    bool found = cmz__reg_find(reg, id) != NULL;
    pthread_mutex_unlock(&reg->mu);
    return found;
}
