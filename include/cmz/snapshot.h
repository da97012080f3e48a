/* Release snapshots: undo a release of a registry's resource.
 *
 * Before a resource of an eligible type is released (by the reaper, for idle time or under
 * pressure, or by cmz_registry_release), the registry keeps a snapshot of it: its bytes in
 * compressed form. Under pressure a snapshot must save memory: the reaper evicts snapshots
 * (oldest first) before it releases live resources, and a resource that holds only its
 * compressed frame is released without one (moving the frame would free nothing; the reaper
 * compresses before it releases, so this is the usual case under pressure). cmz_snapshots_rollback
 * brings the resource back from the snapshot instead of the application rebuilding it. Snapshots
 * may also be taken by hand (before changing a resource, say) and rolled back to.
 *
 *   - Eligible: the type has a release rule (include/cmz/release.h) whose priority number is
 *     at most priority_threshold (default 3: model_shards 1, render_cache 2, temp_buffers 3,
 *     the types released first). Other resources are refused with an outcome, not an error.
 *   - One snapshot per resource id: taking another replaces it.
 *   - Stored compressed, never raw. A resource already compressed gives its frame (copied, or
 *     moved when it is being released: no decompression, no recompression). A raw one is
 *     compressed with its type's own compression policy when the policy has an entry for the
 *     type, else with the configured codec (lz4 by default).
 *   - Expiry: a snapshot expires ttl seconds after it was taken (the ttl in force: changing it
 *     applies to every snapshot). Expired snapshots are removed when the manager is next used
 *     and by a sweeper thread every cleanup_interval seconds; both cost O(expired): snapshots
 *     are kept in the order taken, which is also the order they expire in.
 *   - Limits: over max_snapshots or max_bytes the oldest snapshots are removed (not one that a
 *     rollback is reading: a rollback keeps its snapshot).
 *   - A rollback keeps the snapshot (a second rollback works) until it expires or is deleted.
 *     It either fully succeeds or leaves the resource and the snapshot as they were.
 *
 * Restore strategies (cmz_snapshots_rollback):
 *   - the resource is no longer registered: it is registered again (the monitor counts it
 *     again), holding its bytes in the form the registry would keep them: compressed (the
 *     snapshot's frame, copied) when its type's policy compresses it automatically at its
 *     size, raw otherwise; a custom resource through its restore callback;
 *   - the resource is registered: its content is replaced in place, in the state it is in
 *     (raw bytes stay raw, a compressed one gets the snapshot's frame); CMZ_ERR_BUSY while it is
 *     pinned; a custom resource gets a new object from its restore callback (the old one goes
 *     to its free callback).
 *
 * Locking: the manager shares its registry's lock; every call is thread-safe. Compressing and
 * decompressing run with the lock released; a snapshot being read (rolled back) is reference
 * counted, so an expiry, eviction, delete or clear meanwhile never frees it under the reader.
 * Memory: a snapshot holds its compressed frame plus its bookkeeping (cmz_snapshot_info.
 * overhead: a fixed part of about 150 bytes, the id and the metadata). With the registry's usage
 * source CMZ_USAGE_REGISTRY, snapshot bytes count in the usage. docs/SNAPSHOTS.md has the
 * details and the measurements. */
#ifndef CMZ_SNAPSHOT_H
#define CMZ_SNAPSHOT_H

#include "cmz/common.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct cmz_registry cmz_registry;
typedef struct cmz_snapshots cmz_snapshots;

/* Longest metadata text kept with a snapshot (bytes, without the NUL). */
#define CMZ_SNAPSHOT_METADATA_MAX 255

typedef struct {
    unsigned max_snapshots;      /* default 20; 0: no snapshots are taken */
    uint32_t ttl;                /* seconds a snapshot lives; default 600; 1..one year */
    unsigned priority_threshold; /* release priority numbers <= this are eligible; default 3 */
    uint64_t max_bytes;          /* bytes all snapshots may hold (frames and bookkeeping);
                                    0 (default): a quarter of the registry's budget;
                                    UINT64_MAX: no limit */
    uint32_t cleanup_interval;   /* seconds between sweeps; default 120; 0: no periodic
                                    sweep (expiry then happens on use and
                                    cmz_snapshots_cleanup) */
    int codec;                   /* cmz_codec_id for raw resources whose type has no policy
                                    entry of its own; default CMZ_CODEC_LZ4 */
    int level;                   /* default CMZ_LEVEL_DEFAULT (the codec's default) */
    bool on_release;             /* snapshot eligible resources before releasing them;
                                    default true */
    uint64_t reserved[CMZ_RESERVED_WORDS]; /* room to grow (common.h): must be zero */
} cmz_snapshot_config;

cmz_snapshot_config cmz_snapshot_config_default(void);

/* The registry's snapshot manager (one per registry, created with it, freed with it, starting
 * with cmz_snapshot_config_default()). Never NULL for a valid registry. */
cmz_snapshots *cmz_registry_snapshots(cmz_registry *reg);

/* What cmz_snapshots_take did. Every outcome but TAKEN leaves the snapshots as they were. */
typedef enum {
    CMZ_SNAPSHOT_TAKEN = 0,
    CMZ_SNAPSHOT_NOT_ELIGIBLE = 1, /* the type has no release rule, or its priority number is
                                      above priority_threshold */
    CMZ_SNAPSHOT_DISABLED = 2,     /* max_snapshots is 0 */
    CMZ_SNAPSHOT_TOO_LARGE = 3,    /* the snapshot alone would exceed max_bytes */
} cmz_snapshot_outcome;

/* "taken", "not eligible", "disabled", "too large"; "unknown" for other values. */
const char *cmz_snapshot_outcome_name(cmz_snapshot_outcome outcome);

/* Takes a snapshot of the registered resource id, replacing any earlier one of it. metadata
 * (may be NULL; at most CMZ_SNAPSHOT_METADATA_MAX bytes, else CMZ_ERR_INVALID_ARG) is kept
 * with it. *outcome (may be NULL) says whether it was taken; a refusal returns CMZ_OK.
 * Errors: CMZ_ERR_NOT_FOUND (no such resource), CMZ_ERR_NOMEM, codec errors, a failing
 * serialize callback; the snapshots are then as they were. */
cmz_status cmz_snapshots_take(cmz_snapshots *snaps, const char *id, const char *metadata,
                              cmz_snapshot_outcome *outcome, cmz_error *err);
/* Restores id from its snapshot (see the strategies above); when a release replaces the
 * snapshot while the rollback waits for the resource, the newer snapshot is used.
 * CMZ_ERR_NOT_FOUND when there is none (never taken, deleted, evicted or expired),
 * CMZ_ERR_BUSY while the resource is pinned or when another thread registered id while it was
 * being restored, CMZ_ERR_INVALID_ARG when the resource registered under id is of the other
 * kind (custom against bytes) or has other callbacks, CMZ_ERR_NOMEM, CMZ_ERR_CORRUPT,
 * CMZ_ERR_GENERIC for a failing restore callback. Callable from on_release. */
cmz_status cmz_snapshots_rollback(cmz_snapshots *snaps, const char *id, cmz_error *err);
bool cmz_snapshots_has(cmz_snapshots *snaps, const char *id);

typedef struct {
    char id[256];  /* the resource id (CMZ_REGISTRY_ID_MAX + 1) */
    char type[64]; /* its type (CMZ_POLICY_TYPE_MAX + 1) */
    char metadata[CMZ_SNAPSHOT_METADATA_MAX + 1];
    unsigned priority;    /* the type's release priority when taken */
    bool custom;          /* a custom resource (restored through its restore callback) */
    bool automatic;       /* taken by the registry before a release, not by a call */
    uint64_t raw_size;    /* bytes of the resource */
    uint64_t stored_size; /* bytes of the compressed frame */
    uint64_t overhead;    /* bookkeeping bytes: the record, the id and the metadata */
    int codec;            /* the frame's codec (cmz_codec_id) */
    double age;           /* seconds since it was taken */
    double expires_in;    /* seconds until it expires */
    uint64_t reserved[CMZ_RESERVED_WORDS]; /* room to grow (common.h): zeros */
} cmz_snapshot_info;

/* CMZ_ERR_NOT_FOUND when id has no snapshot (err, which may be NULL, names it). */
cmz_status cmz_snapshots_info(cmz_snapshots *snaps, const char *id, cmz_snapshot_info *info,
                              cmz_error *err);
/* The snapshots, oldest first: *count gets how many there are, up to cap are written to infos
 * (may be NULL with cap 0). CMZ_ERR_INVALID_ARG for a NULL manager, or infos NULL with
 * cap > 0 (err, which may be NULL, says which). */
cmz_status cmz_snapshots_list(cmz_snapshots *snaps, cmz_snapshot_info *infos, size_t cap,
                              size_t *count, cmz_error *err);
/* Removes id's snapshot (freed once no rollback reads it). CMZ_ERR_NOT_FOUND when none (err
 * names it). */
cmz_status cmz_snapshots_delete(cmz_snapshots *snaps, const char *id, cmz_error *err);
/* Removes every snapshot. */
void cmz_snapshots_clear(cmz_snapshots *snaps);
/* Removes the expired snapshots now; *removed (may be NULL) gets how many.
 * CMZ_ERR_INVALID_ARG for a NULL manager. */
cmz_status cmz_snapshots_cleanup(cmz_snapshots *snaps, size_t *removed, cmz_error *err);

/* Validates and applies a configuration (CMZ_ERR_INVALID_ARG with err saying which field, a
 * reserved word set included; nothing changes then). New limits and a new ttl apply at once to the
 * snapshots held. */
cmz_status cmz_snapshots_set_config(cmz_snapshots *snaps, const cmz_snapshot_config *config,
                                    cmz_error *err);
void cmz_snapshots_get_config(cmz_snapshots *snaps, cmz_snapshot_config *config);

typedef struct {
    uint64_t count;        /* snapshots held */
    uint64_t bytes;        /* their memory: frames and bookkeeping (what max_bytes limits) */
    uint64_t raw_bytes;    /* raw size of what they hold */
    uint64_t taken;        /* snapshots taken so far (by calls and before releases) */
    uint64_t automatic;    /* of those, taken before a release */
    uint64_t refused;      /* takes refused (not eligible, disabled, too large) */
    uint64_t rollbacks;    /* successful rollbacks */
    uint64_t expired;      /* removed by expiry */
    uint64_t evicted;      /* removed over max_snapshots or max_bytes */
    uint64_t sweeps;       /* sweeps run (sweeper thread, cleanup calls, lazy on use) */
    uint64_t sweep_visits; /* snapshots examined by sweeps: the sweep cost */
    uint64_t reserved[CMZ_RESERVED_WORDS]; /* room to grow (common.h): zeros */
} cmz_snapshot_stats;

/* CMZ_ERR_INVALID_ARG for a NULL manager or stats (err, which may be NULL, says which). */
cmz_status cmz_snapshots_stats(cmz_snapshots *snaps, cmz_snapshot_stats *stats, cmz_error *err);

/* The clock deciding ages and expiry: nanoseconds from any fixed origin, never going back.
 * NULL restores the default (CLOCK_MONOTONIC). For tests: expiry without sleeping. The
 * sweeper thread's period stays in real time. */
typedef uint64_t (*cmz_clock_fn)(void *opaque);
void cmz_snapshots_set_clock(cmz_snapshots *snaps, cmz_clock_fn clock, void *opaque);

#ifdef __cplusplus
}
#endif

#endif
