/* The registry object, its public face: creation, registration, replacement and removal. */
#include "internal.h"

#include <string.h>

/* Contexts kept idle in reg->codecs: the few codec and level pairs in use at once (levels
 * raised under pressure among them), two of each, so that two threads at once reuse theirs;
 * each keeps its codec's scratch for one chunk, so more would hold memory for little. */
#define CODECS_KEPT 8
#define CODECS_PER_KEY 2

cmz_registry_params cmz_registry_params_default(void) {
    cmz_registry_params p;
    memset(&p, 0, sizeof p);
    p.warning = 0.75;
    p.emergency = 0.90;
    p.check_interval_ms = 5000;
    return p;
}

/* ---- ids ---- */

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

/* ---- lifecycle ---- */

/* A private copy of the rules (the caller may change or free theirs), checked against the
 * policy: a rule naming a compression entry the policy lacks is refused where the two first
 * meet, rather than its type silently compressing with `default`. */
static cmz_status clone_rules(cmz_registry *reg, const cmz_release_rules *rules, cmz_error *err) {
    reg->rules = rules ? cmz_release_rules_clone(rules) : cmz_release_rules_new_default();
    cmz_diags *diags = cmz_diags_new();
    cmz_status st = CMZ_ERR_NOMEM;
    if (reg->policy && reg->rules && diags)
        st = cmz_release_rules_check_policy(reg->rules, reg->policy, diags);
    const cmz_diag *first = cmz_diags_at(diags, 0);
    if (st == CMZ_ERR_INVALID_ARG && first) {
        size_t more = cmz_diags_count(diags) + cmz_diags_dropped(diags) - 1;
        if (more)
            cmz__error(err, st, "%s (and %zu more such rule%s)", first->message, more,
                       more > 1 ? "s" : "");
        else cmz__error(err, st, "%s", first->message);
    } else if (st == CMZ_ERR_INVALID_ARG) {
        cmz__error(err, st, "a release rule names a compression entry the policy does not have");
    } else if (st != CMZ_OK) {
        cmz__error(err, st, "out of memory");
    }
    cmz_diags_free(diags);
    return st;
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
    bool built = clone_rules(reg, p.release, err) == CMZ_OK;
    reg->params.policy = reg->policy;
    reg->params.release = reg->rules;
    if (built && !cmz__table_reserve(reg)) {
        cmz__error(err, CMZ_ERR_NOMEM, "out of memory");
        built = false;
    }
    if (built) reg->codecs = cmz__ctx_cache_new(p.threads, CODECS_KEPT, CODECS_PER_KEY, err);
    if (!built || !reg->codecs || cmz__usage_init(reg, err) != CMZ_OK ||
        cmz__snaps_create(reg, err) != CMZ_OK ||
        (p.check_interval_ms && cmz__monitor_start(reg, err) != CMZ_OK)) {
        cmz_registry_free(reg);
        return NULL;
    }
    return reg;
}

void cmz_registry_free(cmz_registry *reg) {
    if (!reg) return;
    cmz__monitor_stop(reg);
    cmz__snaps_destroy(reg);
    cmz__ctx_cache_free(reg->codecs); /* after all that compresses: monitor, snapshots */
    cmz__table_free(reg);
    pthread_cond_destroy(&reg->wake);
    pthread_cond_destroy(&reg->changed);
    pthread_mutex_destroy(&reg->mu);
    cmz_policy_free(reg->policy);
    cmz_release_rules_free(reg->rules);
    cmz__free(reg);
}

/* ---- registration ---- */

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

/* A copy that did not fit under the warning mark (the reaper made what room it could) is
 * compressed straight from the caller's bytes when the copy and its frame would not fit in the
 * budget together, as they would when the reaper compresses it next (lock held). *p gets the
 * type's parameters. */
static bool compress_on_add(cmz_registry *reg, cmz__resource *r, const char *type, size_t size,
                            cmz_params *p) {
    if (!size || cmz__usage_now(reg) + size + cmz__building_size(size, false) <= reg->budget)
        return false;
    size_t slot = cmz__type_slot(reg, type);
    if (slot == SIZE_MAX) return false;
    r->type_slot = slot;
    *p = cmz__policy_params(reg, r, 0);
    return true;
}

/* The bytes of a new resource into r: its frame (compressed: true), else a copy or the
 * caller's buffer (adopt). */
static cmz_status take_bytes(cmz_registry *reg, cmz__resource *r, void *data, size_t size,
                             unsigned flags, const cmz_params *compress, uint64_t *spent,
                             cmz_error *err) {
    if (compress) {
        uint64_t t0 = cmz__now_ns();
        if (cmz__compress_to_frame(reg, compress, data, size, r->id, &r->frame, &r->frame_size,
                                   NULL) == CMZ_OK) {
            *spent = cmz__now_ns() - t0;
            return CMZ_OK;
        }
        r->frame = NULL; /* kept raw, as a failed compression leaves a resource */
    }
    if (flags == CMZ_REGISTER_ADOPT) {
        r->raw = data;
        r->raw_from_malloc = true;
        return CMZ_OK;
    }
    r->raw = cmz__malloc_large(size);
    if (!r->raw)
        return cmz__error(err, CMZ_ERR_NOMEM, "out of memory copying %zu bytes of '%s'", size,
                          r->id);
    if (size) memcpy(r->raw, data, size);
    return CMZ_OK;
}

cmz_status cmz_registry_add(cmz_registry *reg, const char *id, void *data, size_t size,
                            unsigned flags, cmz_error *err) {
    char type[CMZ_POLICY_TYPE_MAX + 1];
    if (!reg || (!data && size) || flags > CMZ_REGISTER_ADOPT)
        return cmz__error(err, CMZ_ERR_INVALID_ARG,
                          "cmz_registry_add: NULL registry, NULL data or unknown flags");
    cmz_status st = check_id(id, type, err);
    if (st != CMZ_OK) return st;
    cmz__resource *r = cmz__res_new(id);
    if (!r) return cmz__error(err, CMZ_ERR_NOMEM, "out of memory");
    r->raw_size = size;
    cmz_params p;
    pthread_mutex_lock(&reg->mu);
    bool exists = cmz__reg_find(reg, id) != NULL, straight = false;
    if (!exists && !cmz__reg_make_room(reg, size) && flags == CMZ_REGISTER_COPY)
        straight = compress_on_add(reg, r, type, size, &p);
    pthread_mutex_unlock(&reg->mu);
    uint64_t spent = 0;
    if (!exists) st = take_bytes(reg, r, data, size, flags, straight ? &p : NULL, &spent, err);
    if (exists || st != CMZ_OK) {
        cmz__free(r);
        return exists ? cmz__error(err, CMZ_ERR_EXISTS, "resource '%s' is already registered", id)
                      : st;
    }
    pthread_mutex_lock(&reg->mu);
    if (r->frame && reg->held + r->frame_size > reg->peak_held)
        reg->peak_held = reg->held + r->frame_size;
    st = cmz__reg_insert(reg, r, type, err);
    if (st == CMZ_OK && r->frame) {
        cmz__type *t = reg->types[r->type_slot];
        t->stats.compressed++;
        t->stats.compress_ns += spent;
    }
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
        cmz__free_raw(r->raw, r->raw_from_malloc);
        cmz__free(r->frame);
        r->frame = NULL;
        r->frame_size = 0;
        r->raw = copy ? copy : data;
        r->raw_from_malloc = copy == NULL;
        t->stats.raw_bytes = t->stats.raw_bytes - r->raw_size + size;
        r->raw_size = size;
        cmz__reg_account(reg, r, before);
        cmz__reg_touch(reg, r);
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
