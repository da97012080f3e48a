/* Internals of the resource registry (src/memory), shared between its files.
 *
 * Locking: one mutex per registry guards every field below. Work that takes long (compressing,
 * decompressing, copying megabytes) runs with the mutex released; the resource is then marked
 * `busy` (a state change in flight: nobody else may change its buffers) or counted in
 * `readers` (its buffers are read: nobody may free them). Threads that need a resource in
 * neither condition wait on `changed`, which is broadcast whenever busy or readers drop. */
#ifndef CMZ_MEMORY_INTERNAL_H
#define CMZ_MEMORY_INTERNAL_H

#include "../common/internal.h"
#include "cmz/parallel.h"
#include "cmz/registry.h"

#include <assert.h>
#include <pthread.h>

typedef struct cmz__resource {
    char id[CMZ_REGISTRY_ID_MAX + 1];
    size_t type_slot;                /* index into reg->types (stats, rules, policy) */
    struct cmz__resource *hash_next; /* bucket chain */
    uint8_t *raw;                    /* raw bytes or NULL */
    bool raw_from_malloc;            /* adopted: free() it, not cmz__free */
    uint64_t raw_size;
    uint8_t *frame; /* compressed frame or NULL */
    size_t frame_size;
    bool custom;
    cmz_resource_ops ops;
    void *object; /* custom: the live object, or NULL when compressed */
    unsigned pins, readers;
    bool busy;
    uint64_t last_use_ns; /* monotonic; LRU order and idle time */
    uint64_t skip_pass;   /* the reaper's pass in which it failed: not retried */
    size_t index;         /* position in reg->all */
} cmz__resource;

/* What the registry knows of a type: its policy and rule, resolved once, and its stats. */
typedef struct {
    cmz_registry_type_stats stats;
    cmz_policy_entry policy; /* the policy's entry (or `default`'s) */
    bool has_rule;
    cmz_release_rule rule;
    uint64_t live; /* resources of the type registered and not released */
} cmz__type;

struct cmz_registry {
    cmz_registry_params params; /* policy/release pointers replaced by our copies */
    cmz_policy *policy;
    cmz_release_rules *rules;
    uint64_t budget, reserve;
    cmz_usage_source usage;
    pthread_mutex_t mu;
    pthread_cond_t changed;
    cmz__resource **all;
    size_t count, cap;
    cmz__resource **buckets;
    size_t nbuckets;
    cmz__type **types; /* records never move: pointers to them stay valid
                          while the lock is released and a type is added */
    size_t ntypes, types_cap;
    uint64_t held;      /* bytes held: raw copies + frames (CMZ_USAGE_REGISTRY) */
    cmz_pressure level; /* last level seen (callbacks on change) */
    bool reaping;       /* one reaper at a time */
    uint64_t pass;      /* reaper passes so far */
    /* monitor thread */
    pthread_t monitor;
    bool monitor_running, stopping;
    pthread_cond_t wake;
    cmz_snapshots *snaps; /* the snapshot manager (snapshot*.c) */
};

uint64_t cmz__now_ns(void);

/* ---- registry.c ---- */
size_t cmz__hash_id(const char *id);
cmz__resource *cmz__reg_find(cmz_registry *reg, const char *id);
/* A new resource record for id (zeroed otherwise); NULL when out of memory. */
cmz__resource *cmz__res_new(const char *id);
/* Frees a resource record that is not (or no longer) registered, with its buffers. */
void cmz__res_free(cmz__resource *r);
/* Registers r under its id, of type `type` (lock held): CMZ_ERR_EXISTS, CMZ_ERR_NOMEM; on
 * error r is still the caller's. No compression and no check: callers do that after. */
cmz_status cmz__reg_insert(cmz_registry *reg, cmz__resource *r, const char *type, cmz_error *err);
/* Before registering `size` bytes (lock held): the reaper makes room under the warning mark. */
void cmz__reg_make_room(cmz_registry *reg, uint64_t size);
/* Takes r out of the registry (lock held, r not busy, no readers) and frees its memory. */
void cmz__reg_drop(cmz_registry *reg, cmz__resource *r);
void cmz__reg_touch(cmz__resource *r);
/* Waits (lock held) until r is neither busy nor read; r may be gone afterwards: returns the
 * resource found again under id, or NULL. */
cmz__resource *cmz__reg_wait_idle(cmz_registry *reg, const char *id);
/* Bytes r holds now. */
uint64_t cmz__res_held(const cmz__resource *r);
/* After a change of r's buffers (lock held): brings reg->held and the type's stored_bytes from
 * held_before (cmz__res_held before the change) to what r holds now. */
void cmz__reg_account(cmz_registry *reg, cmz__resource *r, uint64_t held_before);
/* Frees r's raw bytes or object (lock held, no pins/readers, frame present; r not busy but with
 * the caller's own work). */
void cmz__res_drop_raw(cmz_registry *reg, cmz__resource *r);

/* The errors for an unknown id and a pinned resource (what: "remove", "release", ...). */
cmz_status cmz__not_found(cmz_error *err, const char *id);
cmz_status cmz__pinned(cmz_error *err, const cmz__resource *r, const char *what);

/* ---- store.c: compress and decompress one resource ---- */
/* The compression parameters of r's type by the policy, the level raised by boost. */
cmz_params cmz__policy_params(cmz_registry *reg, const cmz__resource *r, int boost);
/* Compresses raw[0..size) into a new frame *out (cmz__malloc'd; *out_size bytes). id names
 * the resource in errors. */
cmz_status cmz__compress_to_frame(const cmz_params *params, const uint8_t *raw, size_t size,
                                  const char *id, uint8_t **out, size_t *out_size, cmz_error *err);
/* A custom object's bytes through its callbacks, into a new buffer *serial of *size bytes. */
cmz_status cmz__serialize(const cmz_resource_ops *ops, void *object, const char *id,
                          uint8_t **serial, size_t *size, cmz_error *err);
/* Compresses r (lock held on entry and exit; released meanwhile; r must be raw, not busy).
 * boost raises the policy's level (pressure). Keeps the raw bytes when pinned, else frees
 * them. On failure r is unchanged. */
cmz_status cmz__res_compress(cmz_registry *reg, cmz__resource *r, int boost, cmz_error *err);
/* Makes r raw again from its frame (lock held; released meanwhile); the frame is kept. */
cmz_status cmz__res_restore(cmz_registry *reg, cmz__resource *r, cmz_error *err);
/* Decodes r's frame into dst (lock NOT held; the caller counted itself in r->readers). */
cmz_status cmz__frame_read(cmz_registry *reg, const uint8_t *frame, size_t frame_size,
                           uint64_t offset, size_t length, void *dst, cmz_error *err);

/* ---- usage.c ---- */
/* Resolves the budget, the usage source and the reserve from params. */
cmz_status cmz__usage_init(cmz_registry *reg, cmz_error *err);
/* Usage now (lock held for CMZ_USAGE_REGISTRY reads of reg->held). */
uint64_t cmz__usage_now(cmz_registry *reg);
cmz_pressure cmz__level_of(const cmz_registry *reg, uint64_t usage);

/* ---- reaper.c ---- */
/* Brings usage down to target (lock held; released while working): compress, then release,
 * in the reaper's order. all_releasable: release every releasable resource (emergency). */
void cmz__reap(cmz_registry *reg, uint64_t target, bool all_releasable);
/* Releases resources idle past their type's max_retain_time. */
void cmz__reap_idle(cmz_registry *reg);
/* Releases r as the reaper does (lock held, r not busy/pinned). pressure: the reaper frees
 * memory (an automatic snapshot is kept only where it saves memory). */
cmz_status cmz__res_release(cmz_registry *reg, cmz__resource *r, bool pressure, cmz_error *err);
/* Measures memory pressure and answers it (lock held; released around the callback and while
 * reaping): the level, on_pressure when it changed, reaping down under the warning mark, then
 * idle releases. Returns the level measured first. */
cmz_pressure cmz__pressure_check(cmz_registry *reg);

/* ---- snapshot.c / snapshot_take.c: the hooks the registry calls ---- */
/* Creates and frees reg->snaps (free: stops the sweeper promptly, frees every snapshot). */
cmz_status cmz__snaps_create(cmz_registry *reg, cmz_error *err);
void cmz__snaps_destroy(cmz_registry *reg);
/* Before r is released (lock held, r neither busy nor pinned nor read): snapshots r when its
 * type is eligible and the configuration says so. May release the lock while compressing
 * (r is busy meanwhile). Moves r's frame into the snapshot when it has one. A failure only
 * means no snapshot: the release goes on. Under pressure a snapshot must save memory: none for
 * a resource holding only its frame (moving it would free nothing), and none when the
 * compressed form is over 3/4 of what the release frees. */
void cmz__snap_before_release(cmz_registry *reg, cmz__resource *r, bool pressure);
/* Evicts the oldest snapshot no rollback is reading (lock held); false when there is none. */
bool cmz__snap_evict_oldest(cmz_registry *reg);

/* ---- monitor.c ---- */
cmz_status cmz__monitor_start(cmz_registry *reg, cmz_error *err);
void cmz__monitor_stop(cmz_registry *reg);

#endif
