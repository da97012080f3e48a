/* Taking snapshots: by a call (cmz_snapshots_take) and before a release (the registry's hook).
 *
 * The frame a snapshot holds: the resource's own frame when it has one (copied for a call,
 * moved when the resource is being released: no decompression, no recompression); otherwise
 * the raw bytes (a custom resource's serialized bytes) compressed with the type's policy when
 * the policy has an entry for the type, else with the configured codec (lz4 by default). The
 * compression runs with the lock released; the resource is counted as a reader (a call) or
 * marked busy (a release) meanwhile, so its buffers stay. */
#include "snapshot_internal.h"

#include <stdio.h>

cmz_params cmz__snap_params(cmz_snapshots *snaps, const cmz__resource *r) {
    cmz_registry *reg = snaps->reg;
    const cmz__type *t = reg->types[r->type_slot];
    if (strcmp(t->policy.type, t->stats.type) == 0) return cmz__policy_params(reg, r, 0);
    cmz_params p = cmz_params_default();
    p.codec = snaps->config.codec;
    p.level = snaps->config.level;
    p.threads = reg->params.threads;
    return p;
}

/* The codec named in a frame's header (the frame is ours: it was written by the registry). */
static int frame_codec(const uint8_t *frame, size_t size) {
    cmz_source src;
    cmz_frame_info info;
    cmz_source_memory(&src, frame, size);
    return cmz_frame_info_read(&src, &info, NULL) == CMZ_OK ? (int)info.codec : -1;
}

/* What a snapshot of r needs from r, captured under the lock. */
typedef struct {
    const uint8_t *frame, *raw;
    size_t frame_size, raw_size;
    bool custom;
    void *object;
    cmz_resource_ops ops;
    cmz_params params;
} source;

static source capture(cmz_snapshots *snaps, const cmz__resource *r) {
    source src = {r->frame,  r->raw,    r->frame_size, (size_t)r->raw_size,
                  r->custom, r->object, r->ops,        cmz__snap_params(snaps, r)};
    return src;
}

/* Fills s->frame from src (lock NOT held): a copy of the frame, or the bytes compressed. */
static cmz_status make_frame(cmz_registry *reg, const source *src, cmz__snapshot *s,
                             cmz_error *err) {
    const char *id = cmz__snap_id(s);
    s->raw_size = src->raw_size;
    if (src->frame) {
        s->frame = cmz__malloc_large(src->frame_size ? src->frame_size : 1);
        if (!s->frame)
            return cmz__error(err, CMZ_ERR_NOMEM, "out of memory copying the frame of '%s'", id);
        memcpy(s->frame, src->frame, src->frame_size);
        s->frame_size = src->frame_size;
        return CMZ_OK;
    }
    uint8_t *serial = NULL;
    size_t size = src->raw_size;
    cmz_status st = CMZ_OK;
    if (src->custom) st = cmz__serialize(&src->ops, src->object, id, &serial, &size, err);
    if (st == CMZ_OK)
        st = cmz__compress_to_frame(reg, &src->params, src->custom ? serial : src->raw, size, id,
                                    &s->frame, &s->frame_size, err);
    cmz__free(serial);
    s->raw_size = size;
    return st;
}

/* The fields of s that come from r's registration (lock held). */
static void describe(cmz_snapshots *snaps, cmz__snapshot *s, const cmz__resource *r) {
    const cmz__type *t = snaps->reg->types[r->type_slot];
    s->type_slot = r->type_slot;
    s->priority = t->has_rule ? t->rule.priority : 0;
    s->custom = r->custom;
    s->ops = r->ops;
    s->codec = frame_codec(s->frame, s->frame_size);
}

cmz_status cmz_snapshots_take(cmz_snapshots *snaps, const char *id, const char *metadata,
                              cmz_snapshot_outcome *outcome, cmz_error *err) {
    cmz_snapshot_outcome dummy;
    if (!outcome) outcome = &dummy;
    if (!snaps || !id)
        return cmz__error(err, CMZ_ERR_INVALID_ARG, "cmz_snapshots_take: NULL manager or id");
    if (metadata && strlen(metadata) > CMZ_SNAPSHOT_METADATA_MAX)
        return cmz__error(err, CMZ_ERR_INVALID_ARG,
                          "snapshot metadata of '%.200s' is %zu bytes long, the limit is %d", id,
                          strlen(metadata), CMZ_SNAPSHOT_METADATA_MAX);
    cmz_registry *reg = snaps->reg;
    pthread_mutex_lock(&reg->mu);
    cmz__snap_expire(snaps);
    cmz__resource *r;
    while ((r = cmz__reg_find(reg, id)) && r->busy) pthread_cond_wait(&reg->changed, &reg->mu);
    if (!r) {
        pthread_mutex_unlock(&reg->mu);
        return cmz__not_found(err, id);
    }
    if (!cmz__snap_eligible(snaps, r->type_slot, outcome)) {
        snaps->stats.refused++;
        pthread_mutex_unlock(&reg->mu);
        return CMZ_OK;
    }
    r->readers++;
    source src = capture(snaps, r);
    pthread_mutex_unlock(&reg->mu);

    cmz_status st = CMZ_OK;
    cmz__snapshot *s = cmz__snap_alloc(id, metadata);
    if (!s) st = cmz__error(err, CMZ_ERR_NOMEM, "out of memory taking a snapshot of '%s'", id);
    else st = make_frame(reg, &src, s, err);

    pthread_mutex_lock(&reg->mu);
    r->readers--;
    pthread_cond_broadcast(&reg->changed);
    if (st == CMZ_OK && !cmz__snap_eligible(snaps, r->type_slot, outcome)) {
        snaps->stats.refused++; /* the configuration changed meanwhile */
        cmz__snap_discard(s);
        s = NULL;
    } else if (st == CMZ_OK) {
        describe(snaps, s, r);
        st = cmz__snap_insert(snaps, s, outcome, err);
    }
    pthread_mutex_unlock(&reg->mu);
    if (st != CMZ_OK) cmz__snap_discard(s);
    return st;
}

void cmz__snap_before_release(cmz_registry *reg, cmz__resource *r, bool pressure) {
    assert(cmz__mutex_held(&reg->mu));
    assert(!r->busy && r->pins == 0 && r->readers == 0);
    cmz_snapshots *snaps = reg->snaps;
    cmz_snapshot_outcome outcome;
    if (!snaps->config.on_release || !cmz__snap_eligible(snaps, r->type_slot, &outcome)) return;
    bool resident = cmz__res_resident(r);
    if (pressure && !resident) return; /* moving the frame would free nothing */
    uint64_t freed = cmz__res_held(r);
    cmz__snapshot *s = cmz__snap_alloc(r->id, "taken before release");
    if (!s) return; /* no snapshot: the release goes on, as without the manager */
    s->automatic = true;
    if (r->frame) { /* the released resource's frame becomes the snapshot's */
        uint64_t before = cmz__res_held(r);
        s->frame = r->frame;
        s->frame_size = r->frame_size;
        s->raw_size = r->raw_size;
        r->frame = NULL;
        r->frame_size = 0;
        cmz__reg_account(reg, r, before);
    } else {
        r->busy = true;
        source src = capture(snaps, r);
        pthread_mutex_unlock(&reg->mu);
        cmz_status st = make_frame(reg, &src, s, NULL);
        pthread_mutex_lock(&reg->mu);
        r->busy = false;
        pthread_cond_broadcast(&reg->changed);
        if (st != CMZ_OK) {
            cmz__snap_discard(s);
            return;
        }
    }
    /* kept unless under pressure it would not save enough, or the configuration changed
     * meanwhile, or it cannot be indexed */
    bool keep = !(pressure && cmz__snap_bytes(s) > freed / 4 * 3) &&
                cmz__snap_eligible(snaps, r->type_slot, &outcome);
    if (keep) describe(snaps, s, r);
    if (!keep || cmz__snap_insert(snaps, s, &outcome, NULL) != CMZ_OK) cmz__snap_discard(s);
}
