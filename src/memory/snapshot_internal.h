/* Internals of the snapshot manager (snapshot*.c). Everything here is guarded by the
 * registry's lock (reg->mu); see include/cmz/snapshot.h for the behaviour. */
#ifndef CMZ_MEMORY_SNAPSHOT_INTERNAL_H
#define CMZ_MEMORY_SNAPSHOT_INTERNAL_H

#include "internal.h"
#include "cmz/snapshot.h"

typedef struct cmz__snapshot {
    struct cmz__snapshot *older, *newer; /* the age list (oldest = first to expire) */
    struct cmz__snapshot *hash_next;
    uint8_t *frame; /* a cmz frame of the raw bytes (owned) */
    size_t frame_size;
    uint64_t raw_size;
    uint64_t taken_ns; /* the manager's clock */
    size_t type_slot;  /* reg->types index */
    unsigned priority; /* the type's release priority when taken */
    unsigned refs;     /* rollbacks reading the frame */
    int codec;
    bool linked; /* in the index and the age list */
    bool custom, automatic;
    cmz_resource_ops ops; /* custom: to register it again */
    uint16_t meta_len;
    char text[]; /* id, NUL, metadata, NUL */
} cmz__snapshot;

struct cmz_snapshots {
    cmz_registry *reg;
    cmz_snapshot_config config;
    cmz__snapshot *oldest, *newest;
    cmz__snapshot **buckets;
    size_t nbuckets, count;
    uint64_t bytes; /* what max_bytes limits (linked snapshots) */
    uint64_t raw_bytes;
    cmz_snapshot_stats stats;
    cmz_clock_fn clock;
    void *clock_opaque;
    /* the sweeper thread, started with the first snapshot */
    pthread_t sweeper;
    bool sweeper_running, stopping;
    pthread_cond_t wake;
};

static inline const char *cmz__snap_id(const cmz__snapshot *s) { return s->text; }
static inline const char *cmz__snap_meta(const cmz__snapshot *s) {
    return s->text + strlen(s->text) + 1;
}
/* The bookkeeping bytes of s: the record and its text. */
static inline uint64_t cmz__snap_overhead(const cmz__snapshot *s) {
    return sizeof *s + strlen(s->text) + 1 + s->meta_len + 1;
}
static inline uint64_t cmz__snap_bytes(const cmz__snapshot *s) {
    return s->frame_size + cmz__snap_overhead(s);
}

/* ---- snapshot.c: the index, limits, expiry ---- */
uint64_t cmz__snap_now(const cmz_snapshots *snaps);
cmz__snapshot *cmz__snap_find(cmz_snapshots *snaps, const char *id);
/* CMZ_ERR_NOT_FOUND for id, said in err. */
cmz_status cmz__snap_not_found(cmz_error *err, const char *id);
/* Is a resource of this type eligible (lock held)? Sets *outcome to the refusal if not. */
bool cmz__snap_eligible(cmz_snapshots *snaps, size_t type_slot, cmz_snapshot_outcome *outcome);
/* A record for id with room for metadata; NULL when out of memory. */
cmz__snapshot *cmz__snap_alloc(const char *id, const char *metadata);
/* Frees a record that was never inserted, with its frame (nothing was counted for it). */
void cmz__snap_discard(cmz__snapshot *s);
/* Frees s and its frame, and takes its bytes out of the registry's count (lock held). */
void cmz__snap_free(cmz_snapshots *snaps, cmz__snapshot *s);
/* Adds s as the newest snapshot, replacing id's earlier one, and applies the limits (lock
 * held). Fails only with CMZ_ERR_NOMEM (growing the index) or CMZ_ERR_THREAD (starting the
 * sweeper): then nothing changed and s is still the caller's. *outcome: TAKEN, or TOO_LARGE
 * (s freed). */
cmz_status cmz__snap_insert(cmz_snapshots *snaps, cmz__snapshot *s, cmz_snapshot_outcome *outcome,
                            cmz_error *err);
/* Drops one reference; frees s when it was the last and s is no longer linked. */
void cmz__snap_unref(cmz_snapshots *snaps, cmz__snapshot *s);
/* Removes expired snapshots (lock held); returns how many. */
size_t cmz__snap_expire(cmz_snapshots *snaps);

/* ---- snapshot_take.c ---- */
/* The frame a snapshot of r gets when r is raw: params by the snapshot rule. */
cmz_params cmz__snap_params(cmz_snapshots *snaps, const cmz__resource *r);

#endif
