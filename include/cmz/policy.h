/* libcmz — the compression policy: which algorithm, level, chunk size, automatic-compression
 * threshold, priority and filter each type of resource gets, read from and written to YAML
 * (configs/compression_layers.yaml documents the format in its header comment).
 *
 * A cmz_policy is an ordered list of entries, one per type, and always holds a `default`
 * entry (the fallback for types it does not list): every function that would leave it
 * without one refuses. A policy is a plain object without a lock: any number of threads may
 * read one at once (lookup, apply, format, save); a thread that modifies it (create, update,
 * put, delete) needs it to itself. Pointers to entries stay valid until the policy is
 * modified or freed.
 *
 * Errors in files or values are reported as diagnostics (cmz_diags below): every error is
 * reported, each with the file, line and column it was found at, so that a person can fix all
 * of them in one pass. The library never prints; callers print the diagnostics.
 *
 * A policy file is data that travels between machines: a codec it names that cmz knows but
 * this build was configured without (cmz codecs lists those compiled in) is kept in the entry
 * and reported as a warning, not an error, and such a type compresses with the build's
 * default codec (cmz_codec_default) at its default level (cmz_policy_apply). A codec chosen
 * now (create, update) must be compiled in; an unknown name is an error everywhere. */
#ifndef CMZ_POLICY_H
#define CMZ_POLICY_H

#include <stdbool.h>

#include "cmz/common.h"
#include "cmz/filter.h"
#include "cmz/frame.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- diagnostics ------------------------------------------------------------------------ */

#define CMZ_DIAG_MESSAGE_MAX 320
/* A container stores at most this many diagnostics; later ones are only counted
 * (cmz_diags_dropped). */
#define CMZ_DIAGS_MAX 100

/* What a diagnostic is: an error makes the call fail; a warning leaves it successful (a
 * codec the build lacks, see the top of this file). */
typedef enum {
    CMZ_DIAG_ERROR = 0,
    CMZ_DIAG_WARNING = 1,
} cmz_diag_severity;

/* One problem found in a policy file or in a value given to the API. */
typedef struct {
    const char *file; /* where: the file name, "<string>"-like name of a loaded string, or ""
                         for a value that comes from no file (cmz_policy_create settings).
                         Owned by the container, valid until it is cleared or freed. */
    unsigned line;    /* 1-based; 0 when the diagnostic has no position */
    unsigned column;  /* 1-based; 0 when the diagnostic has no position */
    char message[CMZ_DIAG_MESSAGE_MAX]; /* one sentence for a person, without the position */
    cmz_diag_severity severity;
    uint64_t reserved[CMZ_RESERVED_WORDS]; /* room to grow (common.h): zeros */
} cmz_diag;

/* An append-only list of diagnostics, filled by the functions below that take one. Passing
 * NULL where a cmz_diags* is asked for is allowed: the status alone then says whether the
 * call failed. A container is not thread-safe. */
typedef struct cmz_diags cmz_diags;

/* A new, empty container; NULL when out of memory. Free with cmz_diags_free. */
cmz_diags *cmz_diags_new(void);
void cmz_diags_free(cmz_diags *diags);
/* Forgets every diagnostic (the cmz_diag pointers and their file names become invalid). */
void cmz_diags_clear(cmz_diags *diags);
/* Number of diagnostics stored (at most CMZ_DIAGS_MAX). */
size_t cmz_diags_count(const cmz_diags *diags);
/* Diagnostics found but not stored: past CMZ_DIAGS_MAX, or when storing ran out of memory. */
size_t cmz_diags_dropped(const cmz_diags *diags);
/* The i-th diagnostic in the order found (file order for a file), or NULL when i >= count. */
const cmz_diag *cmz_diags_at(const cmz_diags *diags, size_t i);
/* Writes "file:line:column: message" (or "file: message" without a position, or just the
 * message without a file) into buf, NUL-terminated and truncated to cap bytes like snprintf;
 * a warning's message starts with "warning: ", as compilers write it. Returns the length the
 * full text has. */
size_t cmz_diag_format(const cmz_diag *diag, char *buf, size_t cap);

/* ---- entries ---------------------------------------------------------------------------- */

/* The speed/ratio trade-off of a type (the benchmark's recommendation uses it). */
typedef enum {
    CMZ_PRIORITY_HIGH = 0,   /* speed first */
    CMZ_PRIORITY_MEDIUM = 1, /* balanced */
    CMZ_PRIORITY_LOW = 2,    /* ratio first */
} cmz_priority;

/* "high", "medium", "low"; "unknown" for other values. Static storage. */
const char *cmz_priority_name(cmz_priority priority);

/* Type names: 1..CMZ_POLICY_TYPE_MAX characters, letters, digits, '_', '-' and '.', starting
 * with a letter or '_'. */
#define CMZ_POLICY_TYPE_MAX 63
/* Largest threshold: 1 TiB. */
#define CMZ_POLICY_THRESHOLD_MAX ((uint64_t)1 << 40)

/* One type's compression settings; the YAML key of each field is in brackets. A policy only
 * holds entries that passed validation. filter and typesize are optional in a file: absent,
 * they are CMZ_FILTER_NONE and 1, and a saved file leaves them out. */
typedef struct {
    char type[CMZ_POLICY_TYPE_MAX + 1]; /* the type's name (the mapping key) */
    int codec;                          /* cmz_codec_id [algorithm]; may be one not compiled in
                                           (see the top of this file) */
    int level;                          /* within the codec's range [level] (not checked for a codec
                                           not compiled in: this build does not know its range) */
    uint32_t chunk_size;   /* bytes, CMZ_CHUNK_SIZE_MIN..CMZ_CHUNK_SIZE_MAX [chunk_size] */
    bool auto_compress;    /* compress automatically from the threshold on [auto_compress] */
    uint64_t threshold;    /* bytes, 0..CMZ_POLICY_THRESHOLD_MAX [threshold_mb] */
    cmz_priority priority; /* [priority] */
    int filter;            /* cmz_filter_id or CMZ_FILTER_AUTO [filter]: "none", "shuffle",
                              "bitshuffle", "delta", "planes" or "auto" */
    unsigned typesize;     /* [typesize]: 1 with CMZ_FILTER_NONE (1, 2, 4 or 8 when the
                              codec is planes, which cuts the planes itself); 2, 4 or 8
                              with a filter (cmz_filter_check); with CMZ_FILTER_AUTO also
                              0, its "try 2 and 4" (what a file without typesize gives) */
    uint64_t reserved[CMZ_RESERVED_WORDS]; /* room to grow (common.h): zeros in every entry a
                                              policy returns; must be zero for cmz_policy_put */
} cmz_policy_entry;

/* A key and its text, as a file would write it, for create and update: key is one of
 * "algorithm", "level", "chunk_size", "auto_compress", "threshold_mb", "priority", "filter",
 * "typesize"; value is parsed with the file's rules ("4MB", "true", "0.5", "planes", ...).
 * Filter and typesize are checked together: a filter set without a typesize keeps the
 * entry's typesize when the new filter takes it, else none takes 1 and auto 0 (try 2 and 4);
 * the other filters then need a typesize. A setting grows by new keys, never by new fields,
 * so it has no reserved space (arrays of it stay as callers wrote them). */
typedef struct {
    const char *key;
    const char *value;
} cmz_policy_setting;

/* ---- policies --------------------------------------------------------------------------- */

typedef struct cmz_policy cmz_policy;

/* The built-in defaults: the same entries as the shipped configs/compression_layers.yaml
 * (a test asserts it). NULL when out of memory. */
cmz_policy *cmz_policy_new_default(void);

/* Reads and validates a policy file. On success *out gets a new policy (free it with
 * cmz_policy_free). On failure *out is set to NULL and every problem found is appended to
 * diags as "path:line:column: message": YAML syntax errors, unknown keys (with a suggestion),
 * values of the wrong type, unknown algorithms or filters (with a suggestion), levels outside
 * the codec's range, typesizes the filter does not take, sizes out of range, duplicate types
 * or keys, a missing `default`. A codec that cmz knows but this build lacks is a warning
 * (CMZ_DIAG_WARNING, at the algorithm's value), and the load succeeds.
 * Errors: CMZ_ERR_INVALID_ARG (the file is not a valid policy; see diags; also for NULL
 * arguments), CMZ_ERR_IO (the file cannot be read; a diagnostic says why), CMZ_ERR_NOMEM. */
cmz_status cmz_policy_load_file(const char *path, cmz_policy **out, cmz_diags *diags);

/* As cmz_policy_load_file, from text[0..size); `name` is used as the file name in the
 * diagnostics (NULL: "<string>"). A text over 16 MiB is refused, as a file is. */
cmz_status cmz_policy_load_string(const char *text, size_t size, const char *name, cmz_policy **out,
                                  cmz_diags *diags);

/* A deep copy; NULL when out of memory or policy is NULL. */
cmz_policy *cmz_policy_clone(const cmz_policy *policy);
void cmz_policy_free(cmz_policy *policy);

/* True when both hold the same entries in the same order. */
bool cmz_policy_equal(const cmz_policy *a, const cmz_policy *b);

/* Number of entries, and the i-th in file order (NULL when i >= count). */
size_t cmz_policy_count(const cmz_policy *policy);
const cmz_policy_entry *cmz_policy_at(const cmz_policy *policy, size_t i);

/* The entry named exactly `type`, or NULL when the policy does not list it. */
const cmz_policy_entry *cmz_policy_get(const cmz_policy *policy, const char *type);

/* The entry that applies to `type`: its own, or `default` when the policy does not list it
 * (also when type is NULL). NULL only when policy is NULL. A release rule may name another
 * entry for its type: cmz_policy_resolve (release.h) takes that into account, and the
 * registry uses it. */
const cmz_policy_entry *cmz_policy_lookup(const cmz_policy *policy, const char *type);

/* Sets params->codec, level, chunk_size, filter and typesize from the entry that applies to
 * `type` (as cmz_policy_lookup); the other fields of *params are left as they are, so a
 * caller applies the policy first and its explicit options after. An entry whose codec is
 * not compiled into this build gives the build's default codec (cmz_codec_default) at that
 * codec's default level, with the entry's chunk size, filter and typesize.
 * Errors: CMZ_ERR_INVALID_ARG (NULL). */
cmz_status cmz_policy_apply(const cmz_policy *policy, const char *type, cmz_params *params);

/* As cmz_policy_apply, from an entry already chosen (cmz_policy_lookup, cmz_policy_resolve).
 * Errors: CMZ_ERR_INVALID_ARG (NULL). */
cmz_status cmz_policy_apply_entry(const cmz_policy_entry *entry, cmz_params *params);

/* Adds type `type` with `default`'s values overridden by settings[0..count). Every bad
 * setting is reported (file "" and no position; the message names the key); on any error the
 * policy is left unchanged. An algorithm given must be compiled into this build (one that is
 * not is refused); one inherited from `default` that is not gives a warning. New types are
 * inserted just before `default`.
 * Errors: CMZ_ERR_INVALID_ARG (bad name or settings, the type exists already, NULL),
 * CMZ_ERR_NOMEM. */
cmz_status cmz_policy_create(cmz_policy *policy, const char *type,
                             const cmz_policy_setting *settings, size_t count, cmz_diags *diags);

/* Changes the given keys of the existing type `type` (the other keys keep their values).
 * Same reporting as create (an algorithm given must be compiled in; the type's own codec,
 * when this build lacks it, gives a warning); the policy is unchanged on error. Changing the
 * algorithm alone keeps the level, which must then be valid for the new codec.
 * Errors: CMZ_ERR_INVALID_ARG (bad settings, no such type, NULL), CMZ_ERR_NOMEM. */
cmz_status cmz_policy_update(cmz_policy *policy, const char *type,
                             const cmz_policy_setting *settings, size_t count, cmz_diags *diags);

/* Inserts *entry (as create does) or replaces the entry of the same type, after checking
 * every field as a file's would be (a codec this build lacks is a warning, as in a file); a
 * reserved word that is not zero is an error naming it ("cmz_policy_entry.reserved[0]").
 * Errors: CMZ_ERR_INVALID_ARG, CMZ_ERR_NOMEM. */
cmz_status cmz_policy_put(cmz_policy *policy, const cmz_policy_entry *entry, cmz_diags *diags);

/* Removes type `type`. Errors: CMZ_ERR_INVALID_ARG (no such type, `default` — a policy always
 * keeps it — or NULL). */
cmz_status cmz_policy_delete(cmz_policy *policy, const char *type, cmz_diags *diags);

/* Writes the policy as YAML, exactly what cmz_policy_save puts in a file: a header comment
 * that explains the keys, then `compression_policy:` with one mapping per type in order.
 * Loading the text gives an equal policy. *size (required) gets the text's length without
 * the NUL; buf may be NULL with cap 0 to ask for the size.
 * Errors: CMZ_ERR_DST_TOO_SMALL (cap <= *size; buf holds a truncated, NUL-terminated text
 * when cap > 0), CMZ_ERR_INVALID_ARG. */
cmz_status cmz_policy_format(const cmz_policy *policy, char *buf, size_t cap, size_t *size);

/* The text of one key of an entry as the file writes it ("zstd", "4MB", "true", "0.5",
 * "low", "planes", "4"), into buf like snprintf; returns the full length, 0 for an unknown
 * key. The optional keys give their value even where the file leaves them out ("none", "1";
 * "0" for auto's "try 2 and 4"). */
size_t cmz_policy_format_value(const cmz_policy_entry *entry, const char *key, char *buf,
                               size_t cap);

/* Replaces the file at `path` with the policy (cmz_policy_format's text), atomically: a
 * temporary file in the same folder is written, fsync'ed and renamed over `path`, then the
 * folder is fsync'ed; a reader sees the old file or the new one, never a mix. An existing
 * file's permissions are kept; a symbolic link is followed (its target is replaced). SIGINT,
 * SIGTERM and SIGHUP are held back in the calling thread while the temporary file exists, so
 * an interrupt cannot leave it behind; on error it is removed and `path` is untouched.
 * Errors: CMZ_ERR_IO (err->message names the file and the system's reason),
 * CMZ_ERR_NOMEM, CMZ_ERR_INVALID_ARG. */
cmz_status cmz_policy_save(const cmz_policy *policy, const char *path, cmz_error *err);

/* ---- changing a file that other processes may change too ---------------------------------- */

/* A lock held on a policy file while it is read, changed and saved. */
typedef struct cmz_policy_lock cmz_policy_lock;

/* Waits until no other holder of the lock on the policy file at `path` remains, and takes it:
 * two processes that each load, change and save the file under the lock both keep their
 * change (without it, the second save replaces the first one's file and its change is lost).
 * The lock is an exclusive flock(2) on "PATH.lock" beside the file (beside a symbolic link's
 * target), created when missing (mode 0666 minus the umask) and left in place afterwards:
 * the file itself is replaced by every save, so it cannot hold the lock. It is advisory: it
 * keeps out only those who take it (cmz policy create, update and delete do). Take it before
 * loading, release it after saving. The lock's folder must exist. The lock file is opened
 * read-only, so that any user who may change a shared policy can lock it whoever created
 * it, and never through a symbolic link (one in its place is refused). Readers need no lock.
 * Errors: CMZ_ERR_IO (the lock file cannot be created or locked, or is a symbolic link; err
 * names it and the system's reason), CMZ_ERR_INVALID_ARG (NULL or empty path),
 * CMZ_ERR_NOMEM. */
cmz_status cmz_policy_lock_file(const char *path, cmz_policy_lock **out, cmz_error *err);

/* Releases the lock and frees it; NULL is allowed. */
void cmz_policy_unlock(cmz_policy_lock *lock);

/* ---- finding the policy ----------------------------------------------------------------- */

#define CMZ_POLICY_PATH_MAX 4096
/* The project's file, relative to the working directory, and the user's, relative to
 * $XDG_CONFIG_HOME (or ~/.config). */
#define CMZ_POLICY_PROJECT_PATH "configs/compression_layers.yaml"
#define CMZ_POLICY_USER_PATH "cmz/compression_layers.yaml"

typedef enum {
    CMZ_POLICY_SOURCE_ARGUMENT = 0, /* the path the caller gave (cmz --config FILE) */
    CMZ_POLICY_SOURCE_ENV = 1,      /* $CMZ_CONFIG */
    CMZ_POLICY_SOURCE_PROJECT = 2,  /* ./configs/compression_layers.yaml */
    CMZ_POLICY_SOURCE_USER = 3,     /* $XDG_CONFIG_HOME/cmz/... or ~/.config/cmz/... */
    CMZ_POLICY_SOURCE_BUILTIN = 4,  /* cmz_policy_new_default() */
} cmz_policy_source;

/* "--config", "CMZ_CONFIG", "project", "user", "built-in"; "unknown" otherwise. */
const char *cmz_policy_source_name(cmz_policy_source source);

/* Where a policy comes from. */
typedef struct {
    cmz_policy_source source;
    /* The file read. For CMZ_POLICY_SOURCE_BUILTIN, the user's file, where a save that must
     * not touch the project would go ("" when neither $XDG_CONFIG_HOME nor $HOME is set). */
    char path[CMZ_POLICY_PATH_MAX];
    /* Whether path named an existing file when it was located. An explicit path (argument,
     * environment) that does not exist is still the one chosen. */
    bool exists;
    uint64_t reserved[CMZ_RESERVED_WORDS]; /* room to grow (common.h): zeros */
} cmz_policy_location;

/* Finds the policy file: `config_path` when not NULL, then $CMZ_CONFIG when set and not
 * empty, then ./configs/compression_layers.yaml, then the user's file, each only when it
 * exists (the first two are chosen even when missing: a path given on purpose is never
 * skipped silently); otherwise the built-in defaults. Reads the environment (getenv).
 * Errors: CMZ_ERR_INVALID_ARG (loc is NULL, or a path does not fit CMZ_POLICY_PATH_MAX). */
cmz_status cmz_policy_locate(const char *config_path, cmz_policy_location *loc);

/* cmz_policy_locate, then loads what it found: the file, or the built-in defaults. A chosen
 * file that does not exist is an error (CMZ_ERR_IO, with a diagnostic) unless
 * `missing_is_default` is true, when the built-in defaults are loaded instead (for commands
 * that create the file by saving). *loc (may be NULL) says where the policy came from.
 * Errors: those of cmz_policy_locate and cmz_policy_load_file. */
cmz_status cmz_policy_open(const char *config_path, bool missing_is_default, cmz_policy **out,
                           cmz_policy_location *loc, cmz_diags *diags);

#ifdef __cplusplus
}
#endif
#endif
