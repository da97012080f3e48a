/* The resource table, the bottom of the registry: resources by id, what each holds and the
 * accounting of it (reg->held, the per-type stats), registration into the table and removal.
 * Every change of a resource's buffers ends in cmz__reg_account, which also keeps the
 * reaper's lists (lru.c) current. */
#include "internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

cmz__resource *cmz__reg_find(cmz_registry *reg, const char *id) {
    if (!id) return NULL;
    for (cmz__resource *r = reg->buckets[cmz__hash_id(id) % reg->nbuckets]; r; r = r->hash_next)
        if (strcmp(r->id, id) == 0) return r;
    return NULL;
}

bool cmz__table_reserve(cmz_registry *reg) {
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

void cmz__table_free(cmz_registry *reg) {
    for (size_t i = 0; i < reg->count; i++) cmz__res_free(reg->all[i]);
    cmz__free(reg->all);
    cmz__free(reg->buckets);
    cmz__lru_free(reg);
    for (size_t i = 0; i < reg->ntypes; i++) cmz__free(reg->types[i]);
    cmz__free(reg->types);
    cmz__free(reg->type_cells);
}

/* ---- one resource ---- */

cmz__resource *cmz__res_new(const char *id) {
    cmz__resource *r = cmz__calloc(1, sizeof *r);
    if (!r) return NULL;
    snprintf(r->id, sizeof r->id, "%s", id);
    r->cls = CMZ__CLASS_NONE;
    return r;
}

void cmz__free_raw(uint8_t *raw, bool from_malloc) {
    if (from_malloc) free(raw);
    else cmz__free(raw);
}

void cmz__res_free(cmz__resource *r) {
    cmz__free_raw(r->raw, r->raw_from_malloc);
    if (r->custom && r->object) r->ops.free(r->object);
    cmz__free(r->frame);
    cmz__free(r);
}

uint64_t cmz__res_held(const cmz__resource *r) {
    uint64_t raw = cmz__res_resident(r) ? r->raw_size : 0;
    return raw + (r->frame ? r->frame_size : 0);
}

void cmz__reg_touch(cmz_registry *reg, cmz__resource *r) {
    assert(cmz__mutex_held(&reg->mu));
    r->last_use_ns = cmz__now_ns();
    cmz__lru_touch(reg, r);
}

void cmz__reg_account(cmz_registry *reg, cmz__resource *r, uint64_t held_before) {
    assert(cmz__mutex_held(&reg->mu));
    uint64_t after = cmz__res_held(r);
    reg->held = reg->held - held_before + after;
    cmz__type *t = reg->types[r->type_slot];
    t->stats.stored_bytes = t->stats.stored_bytes - held_before + after;
    cmz__lru_place(reg, r);
}

void cmz__res_drop_raw(cmz_registry *reg, cmz__resource *r) {
    assert(cmz__mutex_held(&reg->mu));
    assert(r->pins == 0 && r->readers == 0 && r->frame);
    uint64_t before = cmz__res_held(r);
    if (r->custom) {
        if (r->object) r->ops.free(r->object);
        r->object = NULL;
    } else {
        cmz__free_raw(r->raw, r->raw_from_malloc);
        r->raw = NULL;
        r->raw_from_malloc = false;
    }
    cmz__reg_account(reg, r, before);
}

/* ---- registration and removal ---- */

cmz_status cmz__reg_insert(cmz_registry *reg, cmz__resource *r, const char *type, cmz_error *err) {
    assert(cmz__mutex_held(&reg->mu));
    if (cmz__reg_find(reg, r->id))
        return cmz__error(err, CMZ_ERR_EXISTS, "resource '%s' is already registered", r->id);
    size_t slot = cmz__type_slot(reg, type);
    if (slot == SIZE_MAX || !cmz__lru_type_ready(reg, slot) || !cmz__table_reserve(reg))
        return cmz__error(err, CMZ_ERR_NOMEM, "out of memory registering '%s'", r->id);
    r->type_slot = slot;
    r->index = reg->count;
    reg->all[reg->count++] = r;
    size_t b = cmz__hash_id(r->id) % reg->nbuckets;
    r->hash_next = reg->buckets[b];
    reg->buckets[b] = r;
    cmz__type *t = reg->types[slot];
    t->stats.raw_bytes += r->raw_size;
    t->stats.resources++;
    cmz__reg_account(reg, r, 0);
    cmz__reg_touch(reg, r);
    return CMZ_OK;
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
    cmz__lru_forget(reg, r);
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

cmz_status cmz__not_found(cmz_error *err, const char *id) {
    return cmz__error(err, CMZ_ERR_NOT_FOUND, "no resource '%.200s' in the registry",
                      id ? id : "(null)");
}

cmz_status cmz__pinned(cmz_error *err, const cmz__resource *r, const char *what) {
    return cmz__error(err, CMZ_ERR_BUSY, "cannot %s '%s': pinned %u time%s", what, r->id, r->pins,
                      r->pins == 1 ? "" : "s");
}
