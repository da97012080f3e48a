/* The snapshot manager: the index of snapshots, their limits and expiry, the sweeper thread,
 * configuration, listing and removal. Taking is in snapshot_take.c, rolling back in
 * snapshot_rollback.c.
 *
 * Snapshots live in a hash table by id and in a list in the order they were taken. Every
 * snapshot expires `ttl` after it was taken (one ttl for all), so that order is also the order
 * of expiry: expiring pops from the oldest end and stops at the first live one, O(expired),
 * and so does eviction over the limits (oldest first). A snapshot is unlinked from both when
 * it expires, is evicted, replaced or deleted; it is freed then, or by the last rollback still
 * reading it (refs). */
#include "snapshot_internal.h"

#include <errno.h>
#include <stdio.h>
#include <time.h>

#define TTL_MAX (365u * 24u * 3600u)
#define NS_PER_S 1000000000ull

cmz_snapshot_config cmz_snapshot_config_default(void) {
    cmz_snapshot_config c;
    memset(&c, 0, sizeof c);
    c.max_snapshots = 20;
    c.ttl = 600;
    c.priority_threshold = 3;
    c.max_bytes = 0;
    c.cleanup_interval = 120;
    c.codec = CMZ_CODEC_LZ4;
    c.level = CMZ_LEVEL_DEFAULT;
    c.on_release = true;
    return c;
}

const char *cmz_snapshot_outcome_name(cmz_snapshot_outcome outcome) {
    switch (outcome) {
    case CMZ_SNAPSHOT_TAKEN: return "taken";
    case CMZ_SNAPSHOT_NOT_ELIGIBLE: return "not eligible";
    case CMZ_SNAPSHOT_DISABLED: return "disabled";
    case CMZ_SNAPSHOT_TOO_LARGE: return "too large";
    }
    return "unknown";
}

cmz_snapshots *cmz_registry_snapshots(cmz_registry *reg) { return reg ? reg->snaps : NULL; }

/* ---- clock, limits ---- */

uint64_t cmz__snap_now(const cmz_snapshots *snaps) {
    return cmz__clock_read(snaps->clock, snaps->clock_opaque);
}

static uint64_t ttl_ns(const cmz_snapshots *snaps) {
    return (uint64_t)snaps->config.ttl * NS_PER_S;
}

static uint64_t max_bytes(const cmz_snapshots *snaps) {
    return snaps->config.max_bytes ? snaps->config.max_bytes : snaps->reg->budget / 4;
}

bool cmz__snap_eligible(cmz_snapshots *snaps, size_t type_slot, cmz_snapshot_outcome *outcome) {
    assert(cmz__mutex_held(&snaps->reg->mu));
    const cmz__type *t = snaps->reg->types[type_slot];
    if (snaps->config.max_snapshots == 0) *outcome = CMZ_SNAPSHOT_DISABLED;
    else if (!t->has_rule || t->rule.priority > snaps->config.priority_threshold)
        *outcome = CMZ_SNAPSHOT_NOT_ELIGIBLE;
    else return true;
    return false;
}

/* ---- records ---- */

cmz__snapshot *cmz__snap_alloc(const char *id, const char *metadata) {
    size_t id_len = strlen(id), meta_len = metadata ? strlen(metadata) : 0;
    cmz__snapshot *s = cmz__calloc(1, sizeof *s + id_len + 1 + meta_len + 1);
    if (!s) return NULL;
    memcpy(s->text, id, id_len + 1);
    if (meta_len) memcpy(s->text + id_len + 1, metadata, meta_len);
    s->meta_len = (uint16_t)meta_len;
    return s;
}

void cmz__snap_discard(cmz__snapshot *s) {
    if (!s) return;
    cmz__free(s->frame);
    cmz__free(s);
}

void cmz__snap_free(cmz_snapshots *snaps, cmz__snapshot *s) {
    snaps->reg->held -= cmz__snap_bytes(s);
    cmz__snap_discard(s);
}

cmz__snapshot *cmz__snap_find(cmz_snapshots *snaps, const char *id) {
    if (!id || !snaps->nbuckets) return NULL;
    for (cmz__snapshot *s = snaps->buckets[cmz__hash_id(id) % snaps->nbuckets]; s; s = s->hash_next)
        if (strcmp(cmz__snap_id(s), id) == 0) return s;
    return NULL;
}

/* Takes s out of the index and the age list; frees it unless a rollback reads it. */
static void unlink_snapshot(cmz_snapshots *snaps, cmz__snapshot *s) {
    size_t b = cmz__hash_id(cmz__snap_id(s)) % snaps->nbuckets;
    for (cmz__snapshot **pp = &snaps->buckets[b]; *pp; pp = &(*pp)->hash_next)
        if (*pp == s) {
            *pp = s->hash_next;
            break;
        }
    if (s->older) s->older->newer = s->newer;
    else snaps->oldest = s->newer;
    if (s->newer) s->newer->older = s->older;
    else snaps->newest = s->older;
    s->older = s->newer = s->hash_next = NULL;
    s->linked = false;
    snaps->count--;
    snaps->bytes -= cmz__snap_bytes(s);
    snaps->raw_bytes -= s->raw_size;
    if (s->refs == 0) cmz__snap_free(snaps, s);
}

void cmz__snap_unref(cmz_snapshots *snaps, cmz__snapshot *s) {
    if (--s->refs == 0 && !s->linked) cmz__snap_free(snaps, s);
}

size_t cmz__snap_expire(cmz_snapshots *snaps) {
    assert(cmz__mutex_held(&snaps->reg->mu));
    uint64_t now = cmz__snap_now(snaps), ttl = ttl_ns(snaps);
    size_t removed = 0;
    snaps->stats.sweeps++;
    /* the oldest first; the first one still alive ends the sweep */
    while (snaps->oldest) {
        snaps->stats.sweep_visits++;
        cmz__snapshot *s = snaps->oldest;
        if (now < s->taken_ns || now - s->taken_ns < ttl) break;
        unlink_snapshot(snaps, s);
        snaps->stats.expired++;
        removed++;
    }
    return removed;
}

/* The oldest snapshot no rollback is reading (a rollback keeps its snapshot), or NULL. */
static cmz__snapshot *oldest_unread(cmz_snapshots *snaps) {
    cmz__snapshot *s = snaps->oldest;
    while (s && s->refs) s = s->newer;
    return s;
}

bool cmz__snap_evict_oldest(cmz_registry *reg) {
    assert(cmz__mutex_held(&reg->mu));
    cmz__snapshot *s = oldest_unread(reg->snaps);
    if (!s) return false;
    unlink_snapshot(reg->snaps, s);
    reg->snaps->stats.evicted++;
    return true;
}

/* Oldest first until both limits hold (lock held). */
static void evict_over_limits(cmz_snapshots *snaps) {
    uint64_t limit = max_bytes(snaps);
    while (snaps->count > snaps->config.max_snapshots || snaps->bytes > limit)
        if (!cmz__snap_evict_oldest(snaps->reg)) break;
}

/* Room in the hash table for one more (lock held); false when out of memory. */
static bool grow_index(cmz_snapshots *snaps) {
    if (snaps->count < snaps->nbuckets) return true;
    size_t n = snaps->nbuckets ? 2 * snaps->nbuckets : 32;
    cmz__snapshot **buckets = cmz__calloc(n, sizeof *buckets);
    if (!buckets) return false;
    for (cmz__snapshot *s = snaps->oldest; s; s = s->newer) {
        size_t b = cmz__hash_id(cmz__snap_id(s)) % n;
        s->hash_next = buckets[b];
        buckets[b] = s;
    }
    cmz__free(snaps->buckets);
    snaps->buckets = buckets;
    snaps->nbuckets = n;
    return true;
}

/* ---- the sweeper thread ---- */

static void *sweeper_main(void *arg) {
    cmz_snapshots *snaps = arg;
    cmz_registry *reg = snaps->reg;
    pthread_mutex_lock(&reg->mu);
    uint32_t interval = 0;
    struct timespec due = {0, 0};
    while (!snaps->stopping) {
        /* a new interval (set_config wakes us) starts a new period; other wake-ups keep it */
        if (snaps->config.cleanup_interval != interval) {
            interval = snaps->config.cleanup_interval;
            clock_gettime(CLOCK_MONOTONIC, &due);
            due.tv_sec += (time_t)interval;
        }
        int rc = interval ? pthread_cond_timedwait(&snaps->wake, &reg->mu, &due)
                          : pthread_cond_wait(&snaps->wake, &reg->mu); /* 0: no sweeps */
        if (!snaps->stopping && rc == ETIMEDOUT) {
            cmz__snap_expire(snaps);
            due.tv_sec += (time_t)interval;
        }
    }
    pthread_mutex_unlock(&reg->mu);
    return NULL;
}

/* Starts the sweeper if it should run and does not (lock held). */
static cmz_status start_sweeper(cmz_snapshots *snaps, cmz_error *err) {
    if (snaps->sweeper_running || !snaps->config.cleanup_interval) return CMZ_OK;
    if (pthread_create(&snaps->sweeper, NULL, sweeper_main, snaps) != 0)
        return cmz__error(err, CMZ_ERR_THREAD, "cannot start the snapshot sweeper thread");
    snaps->sweeper_running = true;
    return CMZ_OK;
}

cmz_status cmz__snaps_create(cmz_registry *reg, cmz_error *err) {
    cmz_snapshots *snaps = cmz__calloc(1, sizeof *snaps);
    if (!snaps) return cmz__error(err, CMZ_ERR_NOMEM, "out of memory");
    snaps->reg = reg;
    snaps->config = cmz_snapshot_config_default();
    pthread_condattr_t attr;
    pthread_condattr_init(&attr);
    pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
    pthread_cond_init(&snaps->wake, &attr);
    pthread_condattr_destroy(&attr);
    reg->snaps = snaps;
    return CMZ_OK;
}

void cmz__snaps_destroy(cmz_registry *reg) {
    cmz_snapshots *snaps = reg->snaps;
    if (!snaps) return;
    if (snaps->sweeper_running) {
        pthread_mutex_lock(&reg->mu);
        snaps->stopping = true;
        pthread_cond_broadcast(&snaps->wake);
        pthread_mutex_unlock(&reg->mu);
        pthread_join(snaps->sweeper, NULL);
    }
    while (snaps->oldest) unlink_snapshot(snaps, snaps->oldest);
    pthread_cond_destroy(&snaps->wake);
    cmz__free(snaps->buckets);
    cmz__free(snaps);
    reg->snaps = NULL;
}

/* ---- insertion ---- */

cmz_status cmz__snap_insert(cmz_snapshots *snaps, cmz__snapshot *s, cmz_snapshot_outcome *outcome,
                            cmz_error *err) {
    assert(cmz__mutex_held(&snaps->reg->mu));
    cmz__snap_expire(snaps);
    /* alone over the byte limit: refused (keeping it would evict every other snapshot and
     * still break the limit) */
    if (cmz__snap_bytes(s) > max_bytes(snaps)) {
        snaps->stats.refused++;
        *outcome = CMZ_SNAPSHOT_TOO_LARGE;
        cmz__snap_discard(s);
        return CMZ_OK;
    }
    cmz__snapshot *old = cmz__snap_find(snaps, cmz__snap_id(s));
    if (!old && !grow_index(snaps))
        return cmz__error(err, CMZ_ERR_NOMEM, "out of memory indexing the snapshot of '%s'",
                          cmz__snap_id(s));
    cmz_status st = start_sweeper(snaps, err);
    if (st != CMZ_OK) return st;
    /* nothing fails from here on */
    if (old) unlink_snapshot(snaps, old);
    size_t b = cmz__hash_id(cmz__snap_id(s)) % snaps->nbuckets;
    s->hash_next = snaps->buckets[b];
    snaps->buckets[b] = s;
    s->older = snaps->newest;
    s->newer = NULL;
    if (snaps->newest) snaps->newest->newer = s;
    else snaps->oldest = s;
    snaps->newest = s;
    s->linked = true;
    s->taken_ns = cmz__snap_now(snaps);
    snaps->count++;
    snaps->bytes += cmz__snap_bytes(s);
    snaps->raw_bytes += s->raw_size;
    snaps->reg->held += cmz__snap_bytes(s);
    snaps->stats.taken++;
    if (s->automatic) snaps->stats.automatic++;
    evict_over_limits(snaps);
    *outcome = CMZ_SNAPSHOT_TAKEN;
    return CMZ_OK;
}

/* ---- queries and removal ---- */

static void fill_info(cmz_snapshots *snaps, const cmz__snapshot *s, uint64_t now,
                      cmz_snapshot_info *info) {
    memset(info, 0, sizeof *info);
    snprintf(info->id, sizeof info->id, "%s", cmz__snap_id(s));
    snprintf(info->type, sizeof info->type, "%s", snaps->reg->types[s->type_slot]->stats.type);
    snprintf(info->metadata, sizeof info->metadata, "%s", cmz__snap_meta(s));
    info->priority = s->priority;
    info->custom = s->custom;
    info->automatic = s->automatic;
    info->raw_size = s->raw_size;
    info->stored_size = s->frame_size;
    info->overhead = cmz__snap_overhead(s);
    info->codec = s->codec;
    uint64_t age = now > s->taken_ns ? now - s->taken_ns : 0, ttl = ttl_ns(snaps);
    info->age = (double)age / 1e9;
    info->expires_in = age < ttl ? (double)(ttl - age) / 1e9 : 0.0;
}

bool cmz_snapshots_has(cmz_snapshots *snaps, const char *id) {
    if (!snaps) return false;
    pthread_mutex_lock(&snaps->reg->mu);
    cmz__snap_expire(snaps);
    bool found = cmz__snap_find(snaps, id) != NULL;
    pthread_mutex_unlock(&snaps->reg->mu);
    return found;
}

cmz_status cmz__snap_not_found(cmz_error *err, const char *id) {
    return cmz__error(err, CMZ_ERR_NOT_FOUND,
                      "no snapshot of '%.200s' (never taken, or deleted, evicted or expired)", id);
}

cmz_status cmz_snapshots_info(cmz_snapshots *snaps, const char *id, cmz_snapshot_info *info,
                              cmz_error *err) {
    if (!snaps || !id || !info)
        return cmz__error(err, CMZ_ERR_INVALID_ARG, "cmz_snapshots_info: NULL manager, id or info");
    pthread_mutex_lock(&snaps->reg->mu);
    cmz__snap_expire(snaps);
    cmz__snapshot *s = cmz__snap_find(snaps, id);
    if (s) fill_info(snaps, s, cmz__snap_now(snaps), info);
    pthread_mutex_unlock(&snaps->reg->mu);
    return s ? CMZ_OK : cmz__snap_not_found(err, id);
}

cmz_status cmz_snapshots_list(cmz_snapshots *snaps, cmz_snapshot_info *infos, size_t cap,
                              size_t *count, cmz_error *err) {
    if (!snaps || (!infos && cap))
        return cmz__error(err, CMZ_ERR_INVALID_ARG, "cmz_snapshots_list: %s is NULL",
                          snaps ? "infos (with cap > 0)" : "the manager");
    pthread_mutex_lock(&snaps->reg->mu);
    cmz__snap_expire(snaps);
    uint64_t now = cmz__snap_now(snaps);
    size_t i = 0;
    for (cmz__snapshot *s = snaps->oldest; s && i < cap; s = s->newer)
        fill_info(snaps, s, now, &infos[i++]);
    if (count) *count = snaps->count;
    pthread_mutex_unlock(&snaps->reg->mu);
    return CMZ_OK;
}

cmz_status cmz_snapshots_delete(cmz_snapshots *snaps, const char *id, cmz_error *err) {
    if (!snaps || !id)
        return cmz__error(err, CMZ_ERR_INVALID_ARG, "cmz_snapshots_delete: NULL manager or id");
    pthread_mutex_lock(&snaps->reg->mu);
    cmz__snapshot *s = cmz__snap_find(snaps, id);
    if (s) unlink_snapshot(snaps, s);
    pthread_mutex_unlock(&snaps->reg->mu);
    return s ? CMZ_OK : cmz__snap_not_found(err, id);
}

void cmz_snapshots_clear(cmz_snapshots *snaps) {
    if (!snaps) return;
    pthread_mutex_lock(&snaps->reg->mu);
    while (snaps->oldest) unlink_snapshot(snaps, snaps->oldest);
    pthread_mutex_unlock(&snaps->reg->mu);
}

cmz_status cmz_snapshots_cleanup(cmz_snapshots *snaps, size_t *removed, cmz_error *err) {
    if (!snaps) return cmz__error(err, CMZ_ERR_INVALID_ARG, "cmz_snapshots_cleanup: NULL manager");
    pthread_mutex_lock(&snaps->reg->mu);
    size_t n = cmz__snap_expire(snaps);
    pthread_mutex_unlock(&snaps->reg->mu);
    if (removed) *removed = n;
    return CMZ_OK;
}

cmz_status cmz_snapshots_stats(cmz_snapshots *snaps, cmz_snapshot_stats *stats, cmz_error *err) {
    if (!snaps || !stats)
        return cmz__error(err, CMZ_ERR_INVALID_ARG, "cmz_snapshots_stats: %s is NULL",
                          snaps ? "stats" : "the manager");
    pthread_mutex_lock(&snaps->reg->mu);
    cmz__snap_expire(snaps);
    *stats = snaps->stats;
    stats->count = snaps->count;
    stats->bytes = snaps->bytes;
    stats->raw_bytes = snaps->raw_bytes;
    pthread_mutex_unlock(&snaps->reg->mu);
    return CMZ_OK;
}

void cmz_snapshots_set_clock(cmz_snapshots *snaps, cmz_clock_fn clock, void *opaque) {
    if (!snaps) return;
    pthread_mutex_lock(&snaps->reg->mu);
    /* the clocks' origins differ: ages carry over, times taken move to the new origin */
    uint64_t before = cmz__snap_now(snaps);
    snaps->clock = clock;
    snaps->clock_opaque = clock ? opaque : NULL;
    uint64_t after = cmz__snap_now(snaps);
    for (cmz__snapshot *s = snaps->oldest; s; s = s->newer) {
        uint64_t age = before > s->taken_ns ? before - s->taken_ns : 0;
        s->taken_ns = after > age ? after - age : 0;
    }
    pthread_mutex_unlock(&snaps->reg->mu);
}

/* ---- configuration ---- */

static cmz_status check_config(const cmz_snapshot_config *c, cmz_error *err) {
    const cmz_codec *codec = cmz_codec_by_id(c->codec);
    int level;
    cmz_status st = CMZ__RESERVED_CHECK(c, "cmz_snapshot_config", err);
    if (st != CMZ_OK) return st;
    if (c->ttl < 1 || c->ttl > TTL_MAX)
        return cmz__error(err, CMZ_ERR_INVALID_ARG, "snapshot ttl %u s is out of range (1..%u)",
                          c->ttl, TTL_MAX);
    if (c->cleanup_interval > TTL_MAX)
        return cmz__error(err, CMZ_ERR_INVALID_ARG,
                          "snapshot cleanup_interval %u s is out of range (0..%u)",
                          c->cleanup_interval, TTL_MAX);
    if (c->priority_threshold > CMZ_RELEASE_PRIORITY_MAX)
        return cmz__error(err, CMZ_ERR_INVALID_ARG,
                          "snapshot priority_threshold %u is out of range (0..%u)",
                          c->priority_threshold, CMZ_RELEASE_PRIORITY_MAX);
    if (!codec)
        return cmz__error(err, CMZ_ERR_UNKNOWN_CODEC,
                          "snapshot codec %d is unknown or not in this build", c->codec);
    return cmz_codec_check_level(codec, c->level, &level, err);
}

cmz_status cmz_snapshots_set_config(cmz_snapshots *snaps, const cmz_snapshot_config *config,
                                    cmz_error *err) {
    if (!snaps || !config)
        return cmz__error(err, CMZ_ERR_INVALID_ARG,
                          "cmz_snapshots_set_config: NULL manager or configuration");
    cmz_status st = check_config(config, err);
    if (st != CMZ_OK) return st;
    pthread_mutex_lock(&snaps->reg->mu);
    /* a sweeper is needed now that was not: start it before changing anything */
    cmz_snapshot_config old = snaps->config;
    snaps->config = *config;
    if (snaps->count) st = start_sweeper(snaps, err);
    if (st != CMZ_OK) snaps->config = old;
    else {
        pthread_cond_broadcast(&snaps->wake); /* the sweeper re-reads its interval */
        cmz__snap_expire(snaps);
        evict_over_limits(snaps);
    }
    pthread_mutex_unlock(&snaps->reg->mu);
    return st;
}

void cmz_snapshots_get_config(cmz_snapshots *snaps, cmz_snapshot_config *config) {
    if (!snaps || !config) return;
    pthread_mutex_lock(&snaps->reg->mu);
    *config = snaps->config;
    pthread_mutex_unlock(&snaps->reg->mu);
}
