/* Resource registry, memory monitor and reaper: the compression policy applied to live memory.
 *
 * An application hands the registry its large buffers ("resources"), each with an id of the
 * form "type:name" ("model_shards:layer1"). The type selects the compression policy
 * (include/cmz/policy.h: codec, level, chunk size, filter, auto_compress, threshold) and the
 * release rule (include/cmz/release.h: release order, idle time, min_required). The registry
 * keeps the process inside a memory budget the way zswap keeps a machine out of swap:
 *
 *   - a resource of an auto_compress type at or over its threshold is stored compressed (one
 *     cmz frame, chunked: compressed on all cores, readable in part);
 *   - a memory monitor checks the usage every check_interval_ms and on every registration;
 *     at the warning mark (0.75 of the budget) the reaper compresses what is still raw, then
 *     releases what is releasable, in release-priority order and least recently used first,
 *     until the usage is back under the warning mark (and the reserve is free); at the
 *     emergency mark (0.90) it releases everything releasable and calls on_pressure;
 *   - a resource idle longer than its type's max_retain_time is released even without
 *     pressure.
 *
 * Access: cmz_registry_get copies the bytes out (decompressing straight into the caller's
 * buffer); cmz_registry_pin gives a pointer to the raw bytes, valid and never released until
 * the matching cmz_registry_unpin; cmz_registry_read_range decompresses only the chunks asked
 * for. Every call is thread-safe. docs/REGISTRY.md has the details and the measurements.
 */
#ifndef CMZ_REGISTRY_H
#define CMZ_REGISTRY_H

#include "cmz/common.h"
#include "cmz/policy.h"
#include "cmz/release.h"
#include "cmz/snapshot.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Longest id: "type:name", the type by the policy's rules, the name any printable text. */
#define CMZ_REGISTRY_ID_MAX 255

typedef struct cmz_registry cmz_registry;

typedef enum {
    CMZ_PRESSURE_NONE = 0,
    CMZ_PRESSURE_WARNING = 1,   /* usage >= warning x budget: the reaper works */
    CMZ_PRESSURE_EMERGENCY = 2, /* usage >= emergency x budget, or less than the reserve free */
} cmz_pressure;

/* What "usage" means, the number compared with the budget. */
typedef enum {
    /* Chosen from the budget's source: PROCESS with a budget given, CGROUP with a budget
     * read from cgroup v2, SYSTEM with one read from /proc/meminfo. */
    CMZ_USAGE_AUTO = 0,
    CMZ_USAGE_PROCESS,  /* the process's resident set (/proc/self/statm) */
    CMZ_USAGE_CGROUP,   /* the cgroup's memory.current */
    CMZ_USAGE_SYSTEM,   /* MemTotal - MemAvailable of /proc/meminfo */
    CMZ_USAGE_REGISTRY, /* the bytes the registry itself holds (raw + compressed copies):
                           exact and deterministic, what the tests use */
} cmz_usage_source;

typedef enum {
    CMZ_RESOURCE_RAW = 0,        /* the raw bytes are held (and maybe a compressed copy) */
    CMZ_RESOURCE_COMPRESSED = 1, /* only the compressed frame is held */
} cmz_resource_state;

/* A resource that is not one buffer: the registry asks for its size, serializes it to
 * compress it (then frees the object), and restores it from the bytes when it is asked for
 * again. All four are required. serialize writes exactly size() bytes into dst and returns
 * 0, or non-zero on failure (the resource is then left as it was). restore builds a new object
 * from the bytes and returns it in *object (0), or fails (non-zero). */
typedef struct {
    size_t (*size)(void *object);
    int (*serialize)(void *object, void *dst, size_t size);
    int (*restore)(const void *bytes, size_t size, void **object);
    void (*free)(void *object);
} cmz_resource_ops;

typedef void (*cmz_pressure_fn)(void *opaque, cmz_pressure level, uint64_t usage, uint64_t budget);
/* Called when a resource is released (its bytes are gone), after it left the registry. A
 * compress_before_release type still raw is compressed instead (no call); released later.
 * Runs with the registry's lock released, and may call the registry: a call that would make
 * room (add, reap) does not wait for the reaper it is called from, which goes on after. */
typedef void (*cmz_release_fn)(void *opaque, const char *id, const char *type, uint64_t raw_size);

typedef struct {
    uint64_t budget;            /* bytes; 0: cgroup v2 memory.max, else MemTotal */
    cmz_usage_source usage;     /* default CMZ_USAGE_AUTO */
    double warning;             /* fraction of the budget; default 0.75 */
    double emergency;           /* default 0.90 */
    uint64_t reserve;           /* bytes kept free; 0: min(512 MiB, budget / 8); UINT64_MAX: none */
    unsigned check_interval_ms; /* monitor period; default 5000; 0: no monitor thread (checks
                                   only on registration and cmz_registry_check) */
    unsigned threads;           /* compression threads per operation; 0: all cores */
    const cmz_policy *policy;   /* copied; NULL: built-in defaults */
    const cmz_release_rules *release; /* copied; NULL: built-in defaults */
    cmz_pressure_fn on_pressure;      /* called when the level changes (monitor or caller thread) */
    cmz_release_fn on_release;
    void *opaque;                          /* passed to both callbacks */
    uint64_t reserved[CMZ_RESERVED_WORDS]; /* room to grow (common.h): must be zero */
} cmz_registry_params;

cmz_registry_params cmz_registry_params_default(void);

/* NULL on error (err says why: a budget that cannot be read, bad fractions, a reserved word
 * set, a release rule naming a compression entry the policy lacks (release.h), no memory, no
 * thread). Starts the monitor thread unless check_interval_ms is 0. */
cmz_registry *cmz_registry_new(const cmz_registry_params *params, cmz_error *err);
/* Stops the monitor (promptly) and frees every resource (custom ones through their free). */
void cmz_registry_free(cmz_registry *reg);

/* ---- registration ---- */

#define CMZ_REGISTER_COPY 0u  /* the registry copies the bytes; the caller keeps its buffer */
#define CMZ_REGISTER_ADOPT 1u /* the registry takes the buffer (from malloc; freed with free) */

/* Registers size bytes under id. CMZ_ERR_INVALID_ARG for a malformed id, CMZ_ERR_EXISTS for
 * one already registered (err says which). On any error nothing is registered and, with ADOPT, the
 * buffer still belongs to the caller. */
cmz_status cmz_registry_add(cmz_registry *reg, const char *id, void *data, size_t size,
                            unsigned flags, cmz_error *err);
cmz_status cmz_registry_add_custom(cmz_registry *reg, const char *id, const cmz_resource_ops *ops,
                                   void *object, cmz_error *err);
/* Replaces a byte resource's content (same flags as add); CMZ_ERR_BUSY while it is pinned. */
cmz_status cmz_registry_replace(cmz_registry *reg, const char *id, void *data, size_t size,
                                unsigned flags, cmz_error *err);
/* Forgets a resource and frees its memory (waits for readers in flight); CMZ_ERR_BUSY while
 * pinned. */
cmz_status cmz_registry_remove(cmz_registry *reg, const char *id, cmz_error *err);
bool cmz_registry_contains(cmz_registry *reg, const char *id);

/* ---- access ---- */

/* Raw size of a resource (CMZ_ERR_NOT_FOUND for an unknown id, as for every call below; err,
 * which may be NULL, names it). */
cmz_status cmz_registry_size(cmz_registry *reg, const char *id, uint64_t *size, cmz_error *err);
/* Copies the raw bytes into dst (decompressing when stored compressed; the registry keeps the
 * compressed form only). CMZ_ERR_DST_TOO_SMALL when cap < size. Not for custom resources. */
cmz_status cmz_registry_get(cmz_registry *reg, const char *id, void *dst, size_t cap, size_t *size,
                            cmz_error *err);
/* Raw bytes [offset, offset + length) into dst, decoding only the chunks that hold them. */
cmz_status cmz_registry_read_range(cmz_registry *reg, const char *id, uint64_t offset,
                                   size_t length, void *dst, cmz_error *err);
/* Makes the raw bytes resident and keeps them so until unpin: *data (may be NULL) points to
 * them (read-only; use replace to change them), *size gets their size. Pins count. For a
 * custom resource *data is the object (restored first if it was compressed). */
cmz_status cmz_registry_pin(cmz_registry *reg, const char *id, const void **data, size_t *size,
                            cmz_error *err);
/* CMZ_ERR_INVALID_ARG when id is not pinned. */
cmz_status cmz_registry_unpin(cmz_registry *reg, const char *id, cmz_error *err);

/* ---- memory ---- */

/* Checks the usage now and lets the reaper act as the monitor would. *level (may be NULL)
 * gets the level found before acting. */
cmz_status cmz_registry_check(cmz_registry *reg, cmz_pressure *level, cmz_error *err);
/* Asks the reaper for `bytes` of memory: compresses, then releases, in the reaper's order,
 * until the registry holds `bytes` less than before or nothing more can be done. *freed (may
 * be NULL) gets what was given back. */
cmz_status cmz_registry_reap(cmz_registry *reg, uint64_t bytes, uint64_t *freed, cmz_error *err);
/* Compresses one resource now with its policy's settings (no-op if it already is). */
cmz_status cmz_registry_compress(cmz_registry *reg, const char *id, cmz_error *err);
/* Releases one resource now, as the reaper would (its rule's compress_before_release
 * applies; a type with no rule is released too: the caller asked). CMZ_ERR_BUSY while
 * pinned. */
cmz_status cmz_registry_release(cmz_registry *reg, const char *id, cmz_error *err);
/* The budget in force and the usage now (from the usage source). */
uint64_t cmz_registry_budget(const cmz_registry *reg);
uint64_t cmz_registry_usage(cmz_registry *reg);

/* ---- statistics ---- */

typedef struct {
    char type[CMZ_POLICY_TYPE_MAX + 1]; /* "" for the totals */
    uint64_t resources;                 /* registered now */
    uint64_t raw_bytes;                 /* raw size of those resources */
    uint64_t stored_bytes;              /* memory they hold now: raw copies + compressed frames */
    uint64_t compressed;                /* times a resource was compressed */
    uint64_t released;                  /* resources released (dropped) */
    uint64_t restored;                  /* times compressed bytes were decompressed for a get/pin */
    uint64_t compress_ns;               /* time spent compressing */
    uint64_t decompress_ns;             /* time spent decompressing */
    uint64_t reserved[CMZ_RESERVED_WORDS]; /* room to grow (common.h): zeros */
} cmz_registry_type_stats;

/* Per type (in first-registration order, types seen so far) and the totals. *count gets the
 * number of types; up to cap entries are written to per_type (may be NULL with cap 0).
 * CMZ_ERR_INVALID_ARG for a NULL registry, or per_type NULL with cap > 0 (err, which may be
 * NULL, says which). */
cmz_status cmz_registry_stats(cmz_registry *reg, cmz_registry_type_stats *total,
                              cmz_registry_type_stats *per_type, size_t cap, size_t *count,
                              cmz_error *err);
/* A printable report (a table per type and the totals), like snprintf: *size gets the full
 * length; CMZ_ERR_DST_TOO_SMALL when it did not fit (err says both lengths),
 * CMZ_ERR_INVALID_ARG, CMZ_ERR_NOMEM. */
cmz_status cmz_registry_report(cmz_registry *reg, char *buf, size_t cap, size_t *size,
                               cmz_error *err);

/* Information about one resource. */
typedef struct {
    char id[CMZ_REGISTRY_ID_MAX + 1];
    char type[CMZ_POLICY_TYPE_MAX + 1];
    cmz_resource_state state;
    bool custom;
    uint64_t raw_size, stored_size;
    unsigned pins;
    double idle_seconds;
    uint64_t reserved[CMZ_RESERVED_WORDS]; /* room to grow (common.h): zeros */
} cmz_resource_info;
cmz_status cmz_registry_info(cmz_registry *reg, const char *id, cmz_resource_info *info,
                             cmz_error *err);

#ifdef __cplusplus
}
#endif

#endif
