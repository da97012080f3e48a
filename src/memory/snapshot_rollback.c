/* Rolling back: a resource rebuilt from its snapshot.
 *
 *   released (not registered): registered again, raw, or compressed (a copy of the snapshot's
 *     frame) when its type's policy would compress it at that size; custom resources through
 *     their restore callback (or compressed, likewise);
 *   registered: its content replaced in the state it is in (raw stays raw, compressed gets the
 *     frame; a custom object is replaced by a restored one).
 *
 * The new content is built with the lock released (the snapshot referenced, a registered
 * resource marked busy), then committed under the lock by steps that cannot fail; any failure
 * before leaves the resource and the snapshot as they were. */
#include "snapshot_internal.h"

/* The form the restored content takes. */
typedef enum { AS_RAW, AS_OBJECT, AS_FRAME } form;

typedef struct {
    form form;
    uint8_t *raw;   /* AS_RAW */
    void *object;   /* AS_OBJECT */
    uint8_t *frame; /* AS_FRAME */
    size_t frame_size;
} content;

/* The form a released resource comes back in: what the registry would keep. */
static form form_when_released(cmz_registry *reg, const cmz__snapshot *s) {
    const cmz_policy_entry *pe = &reg->types[s->type_slot]->policy;
    if (pe->auto_compress && s->raw_size >= pe->threshold && s->raw_size > 0) return AS_FRAME;
    return s->custom ? AS_OBJECT : AS_RAW;
}

/* Builds the content (lock NOT held; s is referenced). */
static cmz_status build(cmz_registry *reg, const cmz__snapshot *s, const cmz_resource_ops *ops,
                        content *c, cmz_error *err) {
    const char *id = cmz__snap_id(s);
    if (c->form == AS_FRAME) {
        c->frame = cmz__malloc_large(s->frame_size ? s->frame_size : 1);
        if (!c->frame)
            return cmz__error(err, CMZ_ERR_NOMEM, "out of memory copying the snapshot of '%s'", id);
        memcpy(c->frame, s->frame, s->frame_size);
        c->frame_size = s->frame_size;
        return CMZ_OK;
    }
    size_t size = (size_t)s->raw_size;
    uint8_t *raw = cmz__malloc_large(size ? size : 1);
    if (!raw)
        return cmz__error(err, CMZ_ERR_NOMEM, "out of memory restoring '%s' (%zu bytes)", id, size);
    cmz_status st = cmz__frame_read(reg, s->frame, s->frame_size, 0, size, raw, err);
    if (st == CMZ_OK && c->form == AS_OBJECT) {
        void *object = NULL;
        if (ops->restore(raw, size, &object) != 0 || !object)
            st = cmz__error(err, CMZ_ERR_GENERIC, "the restore callback of '%s' failed", id);
        cmz__free(raw);
        raw = NULL;
        c->object = object;
    }
    if (st != CMZ_OK) {
        cmz__free(raw);
        return st;
    }
    c->raw = raw;
    return CMZ_OK;
}

static void discard(const cmz_resource_ops *ops, content *c) {
    cmz__free(c->raw);
    cmz__free(c->frame);
    if (c->object) ops->free(c->object);
}

/* Puts the content into r, dropping what r held (lock held; cannot fail). */
static void commit_in_place(cmz_registry *reg, cmz__resource *r, const cmz__snapshot *s,
                            content *c) {
    cmz__type *t = reg->types[r->type_slot];
    uint64_t before = cmz__res_held(r);
    cmz__free_raw(r->raw, r->raw_from_malloc);
    if (r->custom && r->object) r->ops.free(r->object);
    cmz__free(r->frame);
    r->raw = c->raw;
    r->raw_from_malloc = false;
    r->object = c->object;
    r->frame = c->frame;
    r->frame_size = c->frame_size;
    t->stats.raw_bytes = t->stats.raw_bytes - r->raw_size + s->raw_size;
    r->raw_size = s->raw_size;
    cmz__reg_account(reg, r, before);
    cmz__reg_touch(reg, r);
}

/* Registers the content as a new resource (lock held). On error c is untouched. */
static cmz_status register_again(cmz_registry *reg, const cmz__snapshot *s, content *c,
                                 cmz_error *err) {
    const char *id = cmz__snap_id(s);
    cmz__resource *r = cmz__res_new(id);
    if (!r) return cmz__error(err, CMZ_ERR_NOMEM, "out of memory registering '%s' again", id);
    r->raw = c->raw;
    r->object = c->object;
    r->frame = c->frame;
    r->frame_size = c->frame_size;
    r->raw_size = s->raw_size;
    r->custom = s->custom;
    r->ops = s->ops;
    cmz_status st = cmz__reg_insert(reg, r, reg->types[s->type_slot]->stats.type, err);
    if (st != CMZ_OK) {
        if (st == CMZ_ERR_EXISTS) /* registered by another thread while we decoded */
            st = cmz__error(err, CMZ_ERR_BUSY,
                            "'%s' was registered again during its rollback; try again", id);
        r->raw = NULL;
        r->object = NULL;
        r->frame = NULL;
        cmz__res_free(r);
        return st;
    }
    c->raw = NULL;
    c->object = NULL;
    c->frame = NULL;
    return CMZ_OK;
}

cmz_status cmz_snapshots_rollback(cmz_snapshots *snaps, const char *id, cmz_error *err) {
    if (!snaps || !id)
        return cmz__error(err, CMZ_ERR_INVALID_ARG, "cmz_snapshots_rollback: NULL manager or id");
    cmz_registry *reg = snaps->reg;
    pthread_mutex_lock(&reg->mu);
    cmz__snap_expire(snaps);
    cmz__snapshot *s = cmz__snap_find(snaps, id);
    if (!s) {
        pthread_mutex_unlock(&reg->mu);
        return cmz__snap_not_found(err, id);
    }
    s->refs++;
    cmz__resource *r;
    /* Waiting for the resource releases the lock: a release in flight may replace the
     * snapshot meanwhile (or it may be deleted or expire). Roll back to the one in force. */
    for (;;) {
        r = cmz__reg_wait_idle(reg, id);
        cmz__snapshot *now = cmz__snap_find(snaps, id);
        if (now == s) break;
        cmz__snap_unref(snaps, s);
        if (!now) {
            pthread_mutex_unlock(&reg->mu);
            return cmz__error(err, CMZ_ERR_NOT_FOUND,
                              "the snapshot of '%.200s' was deleted or expired during the rollback",
                              id);
        }
        s = now;
        s->refs++;
    }
    cmz_status st = CMZ_OK;
    if (r && r->custom && s->custom && r->ops.restore != s->ops.restore)
        st = cmz__error(err, CMZ_ERR_INVALID_ARG,
                        "'%s' is registered with other callbacks than its snapshot's", id);
    else if (r && r->custom != s->custom)
        st = cmz__error(err, CMZ_ERR_INVALID_ARG,
                        "'%s' is registered as a %s resource, its snapshot is of a %s one", id,
                        r->custom ? "custom" : "byte", s->custom ? "custom" : "byte");
    else if (r && r->pins) st = cmz__pinned(err, r, "roll back");
    if (st != CMZ_OK) {
        cmz__snap_unref(snaps, s);
        pthread_mutex_unlock(&reg->mu);
        return st;
    }
    content c = {0};
    cmz_resource_ops ops = r ? r->ops : s->ops;
    if (r) {
        bool resident = cmz__res_resident(r);
        c.form = resident ? (r->custom ? AS_OBJECT : AS_RAW) : AS_FRAME;
        r->busy = true;
    } else {
        c.form = form_when_released(reg, s);
    }
    pthread_mutex_unlock(&reg->mu);

    st = build(reg, s, &ops, &c, err);

    pthread_mutex_lock(&reg->mu);
    if (r) { /* busy kept r registered and unchanged */
        if (st == CMZ_OK) commit_in_place(reg, r, s, &c);
        r->busy = false;
        pthread_cond_broadcast(&reg->changed);
    } else if (st == CMZ_OK) {
        st = register_again(reg, s, &c, err);
    }
    if (st == CMZ_OK) snaps->stats.rollbacks++;
    else discard(&ops, &c);
    cmz__snap_unref(snaps, s);
    /* the monitor counts the resource again: pressure is looked at now, as after a
     * registration (unless the reaper is at work: this is then its on_release callback, and
     * it checks again when it is done) */
    if (st == CMZ_OK && !reg->reaping) cmz__pressure_check(reg);
    pthread_mutex_unlock(&reg->mu);
    return st;
}
