/* Reading resources: size, get, read_range, pin/unpin, info. Large copies and decoding run
 * with the lock released; the resource counts the reader so its buffers stay. */
#include "internal.h"

#include <stdio.h>
#include <string.h>

cmz_status cmz_registry_size(cmz_registry *reg, const char *id, uint64_t *size, cmz_error *err) {
    if (!reg || !size)
        return cmz__error(err, CMZ_ERR_INVALID_ARG, "cmz_registry_size: %s is NULL",
                          reg ? "size" : "registry");
    pthread_mutex_lock(&reg->mu);
    cmz__resource *r = cmz__reg_find(reg, id);
    if (r) *size = r->raw_size;
    pthread_mutex_unlock(&reg->mu);
    return r ? CMZ_OK : cmz__not_found(err, id);
}

/* Finds id for reading (lock held): waits out a state change in flight. */
static cmz__resource *find_for_read(cmz_registry *reg, const char *id) {
    cmz__resource *r;
    while ((r = cmz__reg_find(reg, id)) && r->busy) pthread_cond_wait(&reg->changed, &reg->mu);
    return r;
}

static void end_read(cmz_registry *reg, cmz__resource *r) {
    r->readers--;
    pthread_cond_broadcast(&reg->changed);
}

/* Reads [offset, offset + length) of r's raw bytes into dst (lock held on entry and exit). */
static cmz_status read_locked(cmz_registry *reg, cmz__resource *r, uint64_t offset, size_t length,
                              void *dst, cmz_error *err) {
    cmz__type *t = reg->types[r->type_slot];
    cmz__reg_touch(reg, r);
    r->readers++;
    const uint8_t *raw = r->raw, *frame = r->frame;
    size_t frame_size = r->frame_size;
    pthread_mutex_unlock(&reg->mu);
    cmz_status st = CMZ_OK;
    uint64_t t0 = cmz__now_ns();
    if (raw) {
        if (length) memcpy(dst, raw + offset, length);
    } else {
        st = cmz__frame_read(reg, frame, frame_size, offset, length, dst, err);
    }
    uint64_t spent = cmz__now_ns() - t0;
    pthread_mutex_lock(&reg->mu);
    if (!raw) {
        t->stats.restored++;
        t->stats.decompress_ns += spent;
    }
    end_read(reg, r);
    return st;
}

cmz_status cmz_registry_get(cmz_registry *reg, const char *id, void *dst, size_t cap, size_t *size,
                            cmz_error *err) {
    if (!reg || (!dst && cap))
        return cmz__error(err, CMZ_ERR_INVALID_ARG,
                          "cmz_registry_get: NULL registry or destination");
    pthread_mutex_lock(&reg->mu);
    cmz__resource *r = find_for_read(reg, id);
    cmz_status st = CMZ_OK;
    if (!r) st = cmz__not_found(err, id);
    else if (r->custom)
        st = cmz__error(err, CMZ_ERR_INVALID_ARG,
                        "'%s' is a custom resource: use cmz_registry_pin for its object", id);
    else if (r->raw_size > cap)
        st = cmz__error(err, CMZ_ERR_DST_TOO_SMALL, "'%s' holds %llu bytes, the buffer %zu", id,
                        (unsigned long long)r->raw_size, cap);
    if (r && size) *size = (size_t)r->raw_size;
    if (st == CMZ_OK) st = read_locked(reg, r, 0, (size_t)r->raw_size, dst, err);
    pthread_mutex_unlock(&reg->mu);
    return st;
}

cmz_status cmz_registry_read_range(cmz_registry *reg, const char *id, uint64_t offset,
                                   size_t length, void *dst, cmz_error *err) {
    if (!reg || (!dst && length))
        return cmz__error(err, CMZ_ERR_INVALID_ARG,
                          "cmz_registry_read_range: NULL registry or destination");
    pthread_mutex_lock(&reg->mu);
    cmz__resource *r = find_for_read(reg, id);
    cmz_status st = CMZ_OK;
    if (!r) st = cmz__not_found(err, id);
    else if (r->custom)
        st = cmz__error(err, CMZ_ERR_INVALID_ARG,
                        "'%s' is a custom resource: use cmz_registry_pin for its object", id);
    else if (offset > r->raw_size || length > r->raw_size - offset)
        st = cmz__fail(err, CMZ_ERR_RANGE, CMZ_NO_POSITION, offset,
                       "range %llu+%zu is outside '%s' (%llu bytes)", (unsigned long long)offset,
                       length, id, (unsigned long long)r->raw_size);
    if (st == CMZ_OK) st = read_locked(reg, r, offset, length, dst, err);
    pthread_mutex_unlock(&reg->mu);
    return st;
}

cmz_status cmz_registry_pin(cmz_registry *reg, const char *id, const void **data, size_t *size,
                            cmz_error *err) {
    if (!reg) return cmz__error(err, CMZ_ERR_INVALID_ARG, "cmz_registry_pin: NULL registry");
    pthread_mutex_lock(&reg->mu);
    cmz__resource *r = find_for_read(reg, id);
    cmz_status st = r ? CMZ_OK : cmz__not_found(err, id);
    /* The pin is taken before restoring so that nothing drops the bytes once they are back;
     * a failed restore gives it back. */
    if (st == CMZ_OK) {
        r->pins++;
        cmz__reg_touch(reg, r);
        st = cmz__res_restore(reg, r, err);
        if (st != CMZ_OK) {
            r->pins--;
            cmz__reg_touch(reg, r); /* unpinned: back in the reaper's lists */
            pthread_cond_broadcast(&reg->changed);
        } else {
            if (data) *data = r->custom ? r->object : r->raw;
            if (size) *size = (size_t)r->raw_size;
        }
    }
    pthread_mutex_unlock(&reg->mu);
    return st;
}

cmz_status cmz_registry_unpin(cmz_registry *reg, const char *id, cmz_error *err) {
    if (!reg) return cmz__error(err, CMZ_ERR_INVALID_ARG, "cmz_registry_unpin: NULL registry");
    pthread_mutex_lock(&reg->mu);
    cmz__resource *r = cmz__reg_find(reg, id);
    cmz_status st = !r ? cmz__not_found(err, id)
                    : r->pins == 0
                        ? cmz__error(err, CMZ_ERR_INVALID_ARG, "'%s' is not pinned", r->id)
                        : CMZ_OK;
    if (st == CMZ_OK) {
        r->pins--;
        cmz__reg_touch(reg, r);
        pthread_cond_broadcast(&reg->changed);
    }
    pthread_mutex_unlock(&reg->mu);
    return st;
}

cmz_status cmz_registry_info(cmz_registry *reg, const char *id, cmz_resource_info *info,
                             cmz_error *err) {
    if (!reg || !info)
        return cmz__error(err, CMZ_ERR_INVALID_ARG, "cmz_registry_info: %s is NULL",
                          reg ? "info" : "registry");
    pthread_mutex_lock(&reg->mu);
    cmz__resource *r = cmz__reg_find(reg, id);
    if (r) {
        memset(info, 0, sizeof *info);
        snprintf(info->id, sizeof info->id, "%s", r->id);
        snprintf(info->type, sizeof info->type, "%s", reg->types[r->type_slot]->stats.type);
        bool raw = cmz__res_resident(r);
        info->state = raw ? CMZ_RESOURCE_RAW : CMZ_RESOURCE_COMPRESSED;
        info->custom = r->custom;
        info->raw_size = r->raw_size;
        info->stored_size = cmz__res_held(r);
        info->pins = r->pins;
        info->idle_seconds = (double)(cmz__now_ns() - r->last_use_ns) / 1e9;
    }
    pthread_mutex_unlock(&reg->mu);
    return r ? CMZ_OK : cmz__not_found(err, id);
}
