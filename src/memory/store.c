/* Compressing and decompressing one resource, with the registry's lock released meanwhile.
 *
 * A state change marks the resource busy, drops the lock, does the work on buffers nobody
 * else may free (busy) or change (raw bytes are read-only to everyone), then takes the lock
 * back and commits: either fully, or not at all (the resource is as it was). */
#include "internal.h"

#include <stdlib.h>
#include <string.h>

/* A frame held in a buffer of the compression bound: below this the frame is moved to a
 * buffer of its own size (the heap would keep the slack); above, the bound buffer is kept
 * (glibc maps large blocks: untouched pages are never resident) and the pages past the frame
 * are given back (the huge page the frame ends in would otherwise stay whole). */
#define SHRINK_BELOW ((size_t)1 << 20)

static void commit_done(cmz_registry *reg, cmz__resource *r) {
    r->busy = false;
    pthread_cond_broadcast(&reg->changed);
}

cmz_status cmz__serialize(const cmz_resource_ops *ops, void *object, const char *id,
                          uint8_t **serial, size_t *size, cmz_error *err) {
    *size = ops->size(object);
    *serial = cmz__malloc(*size ? *size : 1);
    if (!*serial) return cmz__error(err, CMZ_ERR_NOMEM, "out of memory serializing '%s'", id);
    if (ops->serialize(object, *serial, *size) != 0) {
        cmz__free(*serial);
        *serial = NULL;
        return cmz__error(err, CMZ_ERR_GENERIC, "the serialize callback of '%s' failed", id);
    }
    return CMZ_OK;
}

cmz_status cmz__compress_to_frame(cmz_registry *reg, const cmz_params *p, const uint8_t *raw,
                                  size_t size, const char *id, uint8_t **out, size_t *out_size,
                                  cmz_error *err) {
    uint8_t *frame = NULL;
    size_t frame_size = 0;
    cmz_cctx *cctx = cmz__ctx_cache_take_cctx(reg->codecs, p, err);
    if (!cctx) return err ? err->status : CMZ_ERR_NOMEM;
    uint64_t bound = cmz_compress_bound(cmz_cctx_params(cctx), size);
    cmz_status st;
    frame = bound && bound <= SIZE_MAX ? cmz__malloc_large((size_t)bound) : NULL;
    if (!frame) st = cmz__error(err, CMZ_ERR_NOMEM, "out of memory compressing '%s'", id);
    else st = cmz_compress(cctx, frame, (size_t)bound, &frame_size, raw, size, err);
    cmz__ctx_cache_give_cctx(reg->codecs, cctx);
    if (st != CMZ_OK) {
        cmz__free(frame);
        return st;
    }
    if (frame_size < SHRINK_BELOW && frame_size < bound) {
        uint8_t *exact = cmz__malloc(frame_size);
        if (exact) {
            memcpy(exact, frame, frame_size);
            cmz__free(frame);
            frame = exact;
        }
    } else {
        cmz__release_tail(frame, frame_size, (size_t)bound);
    }
    *out = frame;
    *out_size = frame_size;
    return CMZ_OK;
}

/* The records' headers, index and footer of a frame come to far less than this; a policy
 * with parity adds its records on top, which the estimate leaves out. */
uint64_t cmz__building_size(uint64_t size, bool custom) {
    uint64_t frame = size + size / 32 + ((uint64_t)4 << 10);
    return custom ? frame + size : frame;
}

cmz_params cmz__policy_params(cmz_registry *reg, const cmz__resource *r, int boost) {
    const cmz__type *t = reg->types[r->type_slot];
    cmz_params p = cmz_params_default();
    /* The type's entry as resolved when the type was first seen (its own, its rule's, or
     * `default`): a copy of a checked entry, so applying it cannot fail. */
    cmz_status applied = cmz_policy_apply_entry(&t->policy, &p);
    assert(applied == CMZ_OK);
    (void)applied;
    p.threads = reg->params.threads;
    if (boost > 0) {
        /* From the applied level: a policy's codec this build lacks gives another codec. */
        const cmz_codec *codec = cmz_codec_by_id(p.codec);
        int max = codec ? cmz_codec_max_level(codec) : p.level;
        p.level = p.level + boost > max ? max : p.level + boost;
    }
    return p;
}

cmz_status cmz__res_compress(cmz_registry *reg, cmz__resource *r, int boost, cmz_error *err) {
    assert(cmz__mutex_held(&reg->mu));
    assert(!r->busy);
    cmz__type *t = reg->types[r->type_slot];
    if (r->frame) return CMZ_OK;
    cmz_params p = cmz__policy_params(reg, r, boost);
    r->busy = true;
    const uint8_t *raw = r->raw;
    void *object = r->object;
    bool custom = r->custom;
    cmz_resource_ops ops = r->ops;
    pthread_mutex_unlock(&reg->mu);

    cmz_status st = CMZ_OK;
    uint8_t *serial = NULL, *frame = NULL;
    size_t size = (size_t)r->raw_size, frame_size = 0;
    uint64_t t0 = cmz__now_ns();
    /* custom resources are read by their own callbacks: size may have changed */
    if (custom) st = cmz__serialize(&ops, object, r->id, &serial, &size, err);
    if (custom) raw = serial;
    if (st == CMZ_OK)
        st = cmz__compress_to_frame(reg, &p, raw, size, r->id, &frame, &frame_size, err);
    cmz__free(serial);
    uint64_t spent = cmz__now_ns() - t0;

    pthread_mutex_lock(&reg->mu);
    if (st != CMZ_OK) {
        commit_done(reg, r);
        return st;
    }
    if (reg->held + frame_size > reg->peak_held) reg->peak_held = reg->held + frame_size;
    uint64_t before = cmz__res_held(r);
    r->frame = frame;
    r->frame_size = frame_size;
    if (custom) {
        t->stats.raw_bytes = t->stats.raw_bytes - r->raw_size + size;
        r->raw_size = size;
    }
    cmz__reg_account(reg, r, before);
    t->stats.compressed++;
    t->stats.compress_ns += spent;
    /* Raw bytes stay while pinned (the pointer was handed out) or read; the reaper drops
     * them later, cheaply, since the frame is there. */
    if (!r->pins && !r->readers) cmz__res_drop_raw(reg, r);
    commit_done(reg, r);
    return CMZ_OK;
}

cmz_status cmz__frame_read(cmz_registry *reg, const uint8_t *frame, size_t frame_size,
                           uint64_t offset, size_t length, void *dst, cmz_error *err) {
    cmz_dctx *dctx = cmz__ctx_cache_take_dctx(reg->codecs, err);
    if (!dctx) return err ? err->status : CMZ_ERR_NOMEM;
    cmz_status st;
    cmz_source src;
    cmz_source_memory(&src, frame, frame_size);
    cmz_frame_info info;
    st = cmz_frame_info_read(&src, &info, err);
    if (st == CMZ_OK && offset == 0 && length == info.content_size) {
        size_t got = 0; /* the whole content: the one-shot decoder, all chunks in parallel */
        st = cmz_decompress(dctx, dst, length, &got, frame, frame_size, err);
    } else if (st == CMZ_OK) {
        cmz_frame_reader *reader = NULL;
        st = cmz_frame_reader_open(dctx, &src, &reader, err);
        if (st == CMZ_OK) st = cmz_frame_reader_read(reader, offset, length, dst, err);
        cmz_frame_reader_close(reader);
    }
    cmz__ctx_cache_give_dctx(reg->codecs, dctx);
    return st;
}

cmz_status cmz__res_restore(cmz_registry *reg, cmz__resource *r, cmz_error *err) {
    assert(cmz__mutex_held(&reg->mu));
    cmz__type *t = reg->types[r->type_slot];
    if (cmz__res_resident(r)) return CMZ_OK;
    r->busy = true;
    const uint8_t *frame = r->frame;
    size_t frame_size = r->frame_size, size = (size_t)r->raw_size;
    cmz_resource_ops ops = r->ops;
    bool custom = r->custom;
    pthread_mutex_unlock(&reg->mu);

    uint64_t t0 = cmz__now_ns();
    cmz_status st = CMZ_OK;
    void *object = NULL;
    uint8_t *raw = cmz__malloc_large(size);
    if (!raw)
        st = cmz__error(err, CMZ_ERR_NOMEM, "out of memory decompressing '%s' (%zu bytes)", r->id,
                        size);
    else st = cmz__frame_read(reg, frame, frame_size, 0, size, raw, err);
    if (st == CMZ_OK && custom) {
        if (ops.restore(raw, size, &object) != 0 || !object)
            st = cmz__error(err, CMZ_ERR_GENERIC, "the restore callback of '%s' failed", r->id);
        cmz__free(raw);
        raw = NULL;
    }
    uint64_t spent = cmz__now_ns() - t0;

    pthread_mutex_lock(&reg->mu);
    if (st != CMZ_OK) {
        cmz__free(raw);
        commit_done(reg, r);
        return st;
    }
    uint64_t before = cmz__res_held(r);
    if (custom) r->object = object;
    else {
        r->raw = raw;
        r->raw_from_malloc = false;
    }
    cmz__reg_account(reg, r, before);
    t->stats.restored++;
    t->stats.decompress_ns += spent;
    commit_done(reg, r);
    return CMZ_OK;
}
