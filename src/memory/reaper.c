/* The reaper: gives memory back in the release order (under pressure, on a call, and to
 * idle resources), and releasing one resource.
 *
 * Order, under pressure, one step at a time until usage is at or under the target:
 *   1. drop the raw copy of a resource that already has its compressed frame (cheapest);
 *   2. compress a resource still raw;
 *   3. evict release snapshots, oldest first (they hold resources already released; a live
 *      resource is worth more than the undo of an old release);
 *   4. release a resource (compress_before_release types still raw: compress it first);
 * within each step, types by release priority (1 first; types without a rule after all
 * others in steps 1-2, never in step 4), least recently used first. Pinned resources, and
 * those another thread is changing or reading, are skipped. After every step the usage is
 * read again, so the reaper stops as soon as it is back under the mark. The candidates of
 * each step are kept in order by lru.c, so a step costs O(1) in the number of resources; the
 * lock is released while compressing, so each step asks lru.c again. A frame is built beside
 * its raw bytes: where the budget would not hold both, the other steps make room first. */
#include "internal.h"

#include <stdio.h>
#ifdef __GLIBC__
#include <malloc.h>
#endif

enum { STEP_DROP_RAW, STEP_COMPRESS, STEP_EVICT_SNAPSHOTS, STEP_RELEASE };

/* The next resource a step works on (lru.c keeps the candidates in order). */
static cmz__resource *next_victim(cmz_registry *reg, int step, uint64_t pass) {
    switch (step) {
    case STEP_DROP_RAW: return cmz__lru_victim(reg, CMZ__CLASS_DROP_RAW, pass);
    case STEP_COMPRESS: return cmz__lru_victim(reg, CMZ__CLASS_COMPRESS, pass);
    default: return cmz__lru_release_victim(reg, pass);
    }
}

/* The adaptive level of the seed: low-priority (ratio first) types compress harder as the
 * usage rises: +1 at half the budget, +2 at 0.7, +3 at 0.85. */
static int level_boost(const cmz_registry *reg, const cmz__resource *r, uint64_t usage) {
    if (reg->types[r->type_slot]->policy.priority != CMZ_PRIORITY_LOW) return 0;
    double u = (double)usage / (double)reg->budget;
    return u >= 0.85 ? 3 : u >= 0.7 ? 2 : u >= 0.5 ? 1 : 0;
}

/* Calls on_release with the lock released. */
static void notify_release(cmz_registry *reg, const char *id, const char *type, uint64_t size) {
    if (!reg->params.on_release) return;
    pthread_mutex_unlock(&reg->mu);
    reg->params.on_release(reg->params.opaque, id, type, size);
    pthread_mutex_lock(&reg->mu);
}

cmz_status cmz__res_release(cmz_registry *reg, cmz__resource *r, bool pressure, cmz_error *err) {
    assert(cmz__mutex_held(&reg->mu));
    assert(!r->busy && r->pins == 0);
    cmz__type *t = reg->types[r->type_slot];
    /* compress_before_release: a raw resource is compressed first (the release stops there
     * when that was enough); one already compressed is released like any other. */
    if (t->has_rule && t->rule.compress_before_release && cmz__res_resident(r) && !r->frame) {
        cmz_status st = cmz__res_compress(reg, r, 0, err);
        if (st != CMZ_OK) return st;
        /* r may have been pinned or read meanwhile: its raw bytes then stay */
        if (!r->pins && !r->readers && r->frame) cmz__res_drop_raw(reg, r);
        return CMZ_OK;
    }
    /* an eligible resource leaves a snapshot behind (include/cmz/snapshot.h); the lock may
     * be released meanwhile, but r is busy then, so it is still here and unpinned after */
    cmz__snap_before_release(reg, r, pressure);
    char id[CMZ_REGISTRY_ID_MAX + 1], type[CMZ_POLICY_TYPE_MAX + 1];
    snprintf(id, sizeof id, "%s", r->id);
    snprintf(type, sizeof type, "%s", t->stats.type);
    uint64_t size = r->raw_size;
    t->stats.released++;
    cmz__reg_drop(reg, r);
    pthread_cond_broadcast(&reg->changed);
    notify_release(reg, id, type, size);
    return CMZ_OK;
}

/* glibc keeps freed heap memory (and raises its mmap threshold up to 32 MiB after large
 * frees, so chunk buffers come from the heap): it must be given back, or the resident set that
 * the budget is measured on would not shrink. But malloc_trim walks the whole heap, a cost that
 * grows with the number of resources, so it runs only once the reaper has freed a 64th of the
 * budget since the last trim: the resident set then overshoots by at most that much. */
static void trim_heap(cmz_registry *reg) {
    uint64_t enough = reg->budget / 64;
    if (reg->untrimmed < enough) return;
    reg->untrimmed = 0;
#ifdef __GLIBC__
    malloc_trim(0);
#endif
}

static void run_steps(cmz_registry *reg, uint64_t target, bool all_releasable, uint64_t pass,
                      bool making_room);

/* A frame is built beside its raw bytes, which go only once it is done: before compressing r,
 * the other steps (r left out: busy) bring usage down so that both fit in the budget. A frame
 * that could not fit even then is built anyway. */
static void room_for_frame(cmz_registry *reg, cmz__resource *r, uint64_t need, uint64_t pass) {
    if (need >= reg->budget || cmz__usage_now(reg) + need <= reg->budget) return;
    r->busy = true; /* not a victim, and not removed or pinned while the lock is released */
    run_steps(reg, reg->budget - need, false, pass, true);
    r->busy = false;
    pthread_cond_broadcast(&reg->changed);
}

static cmz_status compress_step(cmz_registry *reg, cmz__resource *r, uint64_t usage, uint64_t pass,
                                bool making_room) {
    if (!making_room) {
        room_for_frame(reg, r, cmz__building_size(r->raw_size, r->custom), pass);
        usage = cmz__usage_now(reg);
    }
    return cmz__res_compress(reg, r, level_boost(reg, r, usage), NULL);
}

/* The steps in order until usage is at or under target; making_room: on behalf of a frame
 * about to be built (which then makes no room for others). */
static void run_steps(cmz_registry *reg, uint64_t target, bool all_releasable, uint64_t pass,
                      bool making_room) {
    for (int step = STEP_DROP_RAW; step <= STEP_RELEASE; step++) {
        for (;;) {
            uint64_t usage = cmz__usage_now(reg);
            if (usage <= target && !(all_releasable && step == STEP_RELEASE)) break;
            if (step == STEP_EVICT_SNAPSHOTS) {
                if (!cmz__snap_evict_oldest(reg)) break;
                continue;
            }
            cmz__resource *r = next_victim(reg, step, pass);
            if (!r) break;
            cmz_status st = CMZ_OK;
            if (step == STEP_DROP_RAW) cmz__res_drop_raw(reg, r);
            else if (step == STEP_COMPRESS) st = compress_step(reg, r, usage, pass, making_room);
            else st = cmz__res_release(reg, r, true, NULL);
            /* A resource that failed (out of memory, codec error) is left as it was and not
             * tried again in this pass. r is still registered: only release drops it. */
            if (st != CMZ_OK) r->skip_pass = pass;
        }
    }
}

void cmz__reap(cmz_registry *reg, uint64_t target, bool all_releasable) {
    assert(cmz__mutex_held(&reg->mu));
    /* A call from the reaper's own on_release (the lock is released around it) must not wait
     * for the reaper it runs inside: that reaper goes on with its steps when it returns. */
    if (reg->reaping && pthread_equal(reg->reaper, pthread_self())) return;
    while (reg->reaping) pthread_cond_wait(&reg->changed, &reg->mu);
    reg->reaping = true;
    reg->reaper = pthread_self();
    uint64_t held_before = reg->held;
    run_steps(reg, target, all_releasable, ++reg->pass, false);
    reg->reaping = false;
    pthread_cond_broadcast(&reg->changed);
    if (held_before > reg->held) reg->untrimmed += held_before - reg->held;
    trim_heap(reg);
}

void cmz__reap_idle(cmz_registry *reg) {
    assert(cmz__mutex_held(&reg->mu));
    uint64_t now = cmz__now_ns(), pass = ++reg->pass;
    cmz__resource *victim;
    while ((victim = cmz__lru_idle_victim(reg, now, pass)))
        if (cmz__res_release(reg, victim, false, NULL) != CMZ_OK) victim->skip_pass = pass;
}

/* Room for `size` more bytes before they arrive: the reaper brings usage down so that the
 * new resource lands under the warning mark (lock held). False when it could not. */
bool cmz__reg_make_room(cmz_registry *reg, uint64_t size) {
    assert(cmz__mutex_held(&reg->mu));
    uint64_t mark = (uint64_t)((double)reg->budget * reg->params.warning);
    uint64_t usage = cmz__usage_now(reg);
    if (usage + size <= mark) return true;
    cmz__reap(reg, mark > size ? mark - size : 0, false);
    return cmz__usage_now(reg) + size <= mark;
}

cmz_status cmz_registry_reap(cmz_registry *reg, uint64_t bytes, uint64_t *freed, cmz_error *err) {
    if (!reg) return cmz__error(err, CMZ_ERR_INVALID_ARG, "cmz_registry_reap: NULL registry");
    pthread_mutex_lock(&reg->mu);
    uint64_t before = cmz__usage_now(reg);
    cmz__reap(reg, before > bytes ? before - bytes : 0, false);
    uint64_t after = cmz__usage_now(reg);
    pthread_mutex_unlock(&reg->mu);
    if (freed) *freed = before > after ? before - after : 0;
    return CMZ_OK;
}

cmz_status cmz_registry_compress(cmz_registry *reg, const char *id, cmz_error *err) {
    if (!reg) return cmz__error(err, CMZ_ERR_INVALID_ARG, "cmz_registry_compress: NULL registry");
    pthread_mutex_lock(&reg->mu);
    cmz__resource *r = cmz__reg_wait_idle(reg, id);
    cmz_status st = CMZ_OK;
    if (!r) st = cmz__not_found(err, id);
    else if (!r->frame) st = cmz__res_compress(reg, r, 0, err);
    pthread_mutex_unlock(&reg->mu);
    return st;
}

cmz_status cmz_registry_release(cmz_registry *reg, const char *id, cmz_error *err) {
    if (!reg) return cmz__error(err, CMZ_ERR_INVALID_ARG, "cmz_registry_release: NULL registry");
    pthread_mutex_lock(&reg->mu);
    cmz__resource *r = cmz__reg_wait_idle(reg, id);
    cmz_status st = !r        ? cmz__not_found(err, id)
                    : r->pins ? cmz__pinned(err, r, "release")
                              : cmz__res_release(reg, r, false, err);
    pthread_mutex_unlock(&reg->mu);
    return st;
}
