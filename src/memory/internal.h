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
#include "../parallel/ctx_cache.h"
#include "cmz/parallel.h"
#include "cmz/registry.h"
#include "cmz/snapshot.h"

#include <assert.h>
#include <pthread.h>

/* An intrusive doubly linked list: a circular chain through a sentinel (lru.c). */
typedef struct cmz__link {
    struct cmz__link *prev, *next;
} cmz__link;

typedef struct {
    cmz__link head;
    size_t count;
} cmz__list;

/* The reaper's candidate classes (lru.c): which class list a resource is in. */
typedef enum {
    CMZ__CLASS_NONE = -1, /* pinned, or compressed only, or empty */
    CMZ__CLASS_DROP_RAW,  /* raw with its frame: the raw copy can go (step 1) */
    CMZ__CLASS_COMPRESS,  /* raw without a frame (step 2) */
    CMZ__NCLASSES
} cmz__class;

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
    uint64_t last_use_ns; /* monotonic; idle time */
    uint64_t use_seq;     /* order of last use (reg->use_seq): LRU order */
    uint64_t skip_pass;   /* the reaper's pass in which it failed: not retried */
    size_t index;         /* position in reg->all */
    /* lru.c: unpinned resources are in their type's list and in their class's list of their
     * rank, each in LRU order */
    cmz__link type_link, class_link;
    int cls;      /* cmz__class of class_link */
    bool in_type; /* type_link is in the type's list */
} cmz__resource;

/* A release priority in use, with the reaper's class lists of its resources (lru.c). */
typedef struct cmz__rank {
    unsigned priority; /* CMZ_RELEASE_PRIORITY_MAX + 1: the types without a rule */
    cmz__list classes[CMZ__NCLASSES];
    size_t *rule_types; /* slots of the types with a rule of this priority */
    size_t nrule_types, rule_types_cap;
} cmz__rank;

/* What the registry knows of a type: its policy and rule, resolved once, and its stats. */
typedef struct {
    cmz_registry_type_stats stats;
    cmz_policy_entry policy; /* the entry the type uses (cmz_policy_resolve) */
    bool has_rule;
    cmz_release_rule rule;
    cmz__rank *rank; /* lru.c; NULL until its first resource is registered */
    cmz__list lru;   /* its unpinned resources, LRU first (release and idle order) */
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
    size_t *type_cells; /* the types by name (types.c) */
    size_t type_ncells;
    cmz__rank **ranks; /* lru.c: ranks by priority, ascending */
    size_t nranks, ranks_cap;
    uint64_t use_seq;   /* uses so far: the LRU clock */
    uint64_t held;      /* bytes held: raw copies + frames (CMZ_USAGE_REGISTRY) */
    uint64_t untrimmed; /* bytes the reaper freed since it last gave the heap back */
    uint64_t peak_held; /* highest held + a frame built beside it, at its end (tests) */
    cmz_pressure level; /* last level seen (callbacks on change) */
    bool reaping;       /* one reaper at a time */
    pthread_t reaper;   /* the thread reaping, while reaping */
    uint64_t pass;      /* reaper passes so far */
    /* monitor thread */
    pthread_t monitor;
    bool monitor_running, stopping;
    pthread_cond_t wake;
    cmz_snapshots *snaps; /* the snapshot manager (snapshot*.c) */
    /* Compression and decompression contexts on one pool of `threads` (store.c), so that a
     * small resource is compressed and read on the calling thread with no thread started
     * and no context built; thread-safe, used with the lock released. */
    cmz__ctx_cache *codecs;
};

/* The files call one way, each only the ones listed before it (docs/REGISTRY.md, "Layers"):
 * clock, usage, lru, types, table; store; snapshot, snapshot_take; reaper; monitor; and the
 * public face: registry, access, stats, snapshot_rollback. */

/* Does r hold its raw bytes (a custom resource: its live object)? */
static inline bool cmz__res_resident(const cmz__resource *r) {
    return r->custom ? r->object != NULL : r->raw != NULL;
}

/* FNV-1a, for ids and type names (short strings); the tables resize to keep chains short. */
static inline size_t cmz__hash_id(const char *id) {
    uint64_t h = 1469598103934665603ull;
    for (const unsigned char *p = (const unsigned char *)id; *p; p++)
        h = (h ^ *p) * 1099511628211ull;
    return (size_t)h;
}

/* ---- clock.c ---- */
uint64_t cmz__now_ns(void);
/* clock(opaque), or cmz__now_ns() when clock is NULL (the tests' hook). */
uint64_t cmz__clock_read(cmz_clock_fn clock, void *opaque);

/* ---- usage.c ---- */
/* Resolves the budget, the usage source and the reserve from params. */
cmz_status cmz__usage_init(cmz_registry *reg, cmz_error *err);
/* Usage now (lock held for CMZ_USAGE_REGISTRY reads of reg->held). */
uint64_t cmz__usage_now(cmz_registry *reg);
cmz_pressure cmz__level_of(const cmz_registry *reg, uint64_t usage);

/* ---- lru.c: the reaper's candidates in LRU order ---- */
void cmz__list_init(cmz__list *l);
void cmz__list_push(cmz__list *l, cmz__link *k); /* at the tail (most recent) */
void cmz__list_remove(cmz__list *l, cmz__link *k);
cmz__link *cmz__list_first(const cmz__list *l);                    /* NULL when empty */
cmz__link *cmz__list_next(const cmz__list *l, const cmz__link *k); /* NULL after the last */
/* Gives reg->types[slot] its rank and list before its first resource; false: out of memory. */
bool cmz__lru_type_ready(cmz_registry *reg, size_t slot);
void cmz__lru_free(cmz_registry *reg);
/* Puts r in the lists its state calls for (lock held): a list it newly belongs to takes it at
 * the tail; one it stays in keeps its place. */
void cmz__lru_place(cmz_registry *reg, cmz__resource *r);
/* A use of r: the most recent in its lists. */
void cmz__lru_touch(cmz_registry *reg, cmz__resource *r);
/* Takes r out of every list (it leaves the registry). */
void cmz__lru_forget(cmz_registry *reg, cmz__resource *r);
/* The reaper's next victim of class cls (steps 1 and 2): the lowest rank first, least
 * recently used first, not busy, read or failed in this pass; NULL when none. */
cmz__resource *cmz__lru_victim(cmz_registry *reg, int cls, uint64_t pass);
/* Step 4's: the same order among the resources of types with a rule that have more than
 * min_required. */
cmz__resource *cmz__lru_release_victim(cmz_registry *reg, uint64_t pass);
/* A resource idle past its type's max_retain_time at `now` that may be released; NULL when
 * none. Visits the expired ones only. */
cmz__resource *cmz__lru_idle_victim(cmz_registry *reg, uint64_t now, uint64_t pass);
/* Checks every list against the resources (lock held; O(n), for tests): NULL, or what is
 * wrong. */
const char *cmz__lru_check(cmz_registry *reg);

/* ---- types.c ---- */
/* The slot of a type, created with its policy entry and rule on first use; SIZE_MAX when out
 * of memory. */
size_t cmz__type_slot(cmz_registry *reg, const char *type);

/* ---- table.c: resources by id, what they hold, registration and removal ---- */
cmz__resource *cmz__reg_find(cmz_registry *reg, const char *id);
/* Room for one more resource in the table; false when out of memory. */
bool cmz__table_reserve(cmz_registry *reg);
/* Frees every resource, the table, the types and the lists. */
void cmz__table_free(cmz_registry *reg);
/* A new resource record for id (zeroed otherwise); NULL when out of memory. */
cmz__resource *cmz__res_new(const char *id);
/* Frees raw bytes by how they were registered: adopted ones with free(), ours with cmz__free.
 * NULL is fine. */
void cmz__free_raw(uint8_t *raw, bool from_malloc);
/* Frees a resource record that is not (or no longer) registered, with its buffers. */
void cmz__res_free(cmz__resource *r);
/* Registers r under its id, of type `type` (lock held): CMZ_ERR_EXISTS, CMZ_ERR_NOMEM; on
 * error r is still the caller's. No compression and no check: callers do that after. */
cmz_status cmz__reg_insert(cmz_registry *reg, cmz__resource *r, const char *type, cmz_error *err);
/* Takes r out of the registry (lock held, r not busy, no readers) and frees its memory. */
void cmz__reg_drop(cmz_registry *reg, cmz__resource *r);
/* A use of r (lock held): its idle time restarts and it becomes the most recently used. */
void cmz__reg_touch(cmz_registry *reg, cmz__resource *r);
/* Waits (lock held) until r is neither busy nor read; r may be gone afterwards: returns the
 * resource found again under id, or NULL. */
cmz__resource *cmz__reg_wait_idle(cmz_registry *reg, const char *id);
/* Bytes r holds now. */
uint64_t cmz__res_held(const cmz__resource *r);
/* After a change of r's buffers or pins (lock held): brings reg->held and the type's
 * stored_bytes from held_before (cmz__res_held before the change) to what r holds now, and r's
 * place in the reaper's lists to its state. */
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
cmz_status cmz__compress_to_frame(cmz_registry *reg, const cmz_params *params, const uint8_t *raw,
                                  size_t size, const char *id, uint8_t **out, size_t *out_size,
                                  cmz_error *err);
/* What compressing size raw bytes holds beside them while it runs, at most: a frame of bytes
 * that do not compress (a serialized copy too for a custom resource). */
uint64_t cmz__building_size(uint64_t size, bool custom);
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

/* ---- reaper.c ---- */
/* Brings usage down to target (lock held; released while working): compress, then release,
 * in the reaper's order. all_releasable: release every releasable resource (emergency). */
void cmz__reap(cmz_registry *reg, uint64_t target, bool all_releasable);
/* Releases resources idle past their type's max_retain_time. */
void cmz__reap_idle(cmz_registry *reg);
/* Releases r as the reaper does (lock held, r not busy/pinned). pressure: the reaper frees
 * memory (an automatic snapshot is kept only where it saves memory). */
cmz_status cmz__res_release(cmz_registry *reg, cmz__resource *r, bool pressure, cmz_error *err);
/* Before registering `size` bytes (lock held): the reaper makes room under the warning mark;
 * false when it could not. */
bool cmz__reg_make_room(cmz_registry *reg, uint64_t size);

/* ---- monitor.c ---- */
/* Measures memory pressure and answers it (lock held; released around the callback and while
 * reaping): the level, on_pressure when it changed, reaping down under the warning mark, then
 * idle releases. Returns the level measured first. */
cmz_pressure cmz__pressure_check(cmz_registry *reg);
cmz_status cmz__monitor_start(cmz_registry *reg, cmz_error *err);
void cmz__monitor_stop(cmz_registry *reg);

#endif
