/* libcmz — replacing a file atomically, the way Redis saves: a temp file in the target's
 * folder, written, synced, renamed over the target, then the folder synced. A reader sees the
 * old file or the complete new one, never a part; a crash leaves at worst a stray temp file,
 * and every failure this library sees removes it. Used by cmz_policy_save,
 * cmz_frame_repair_file and the cmz program.
 *
 * A handle is used by one thread at a time. Signals are the caller's: a program that wants
 * the temp file gone when a signal ends it either blocks its signals around the replacement
 * (cmz_policy_save does) or removes cmz_atomic_file_temp_path() from its handler (the cmz
 * program copies that path to static storage first, so that the handler needs no malloc).
 *
 * Every failure returns a status, fills err (when not NULL) with a sentence that names the
 * file and the cause, and leaves errno set to the cause, for callers that report with
 * strerror(). */
#ifndef CMZ_FILE_H
#define CMZ_FILE_H

#include <sys/stat.h>
#include <sys/types.h>

#include "cmz/common.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct cmz_atomic_file cmz_atomic_file;

/* cmz_atomic_file_open flags. */
/* The temp file gets the permission bits of the file it replaces, when that is a regular
 * file, instead of `mode` (a rewrite keeps the file's permissions). */
#define CMZ_ATOMIC_FILE_KEEP_MODE 1u

/* cmz_atomic_file_commit flags. */
/* Refuse to replace a target that exists (CMZ_ERR_EXISTS, errno EEXIST), checked by the
 * rename itself where the file system can (renameat2's RENAME_NOREPLACE). */
#define CMZ_ATOMIC_FILE_NO_REPLACE 1u

/* Creates the temp file "TARGET.XXXXXX.tmp" beside target (a new name, never an existing
 * file), open for reading and writing, with permission bits `mode` less the umask (as
 * open(2) gives a new file), or those of the replaced file with CMZ_ATOMIC_FILE_KEEP_MODE.
 * A symbolic link at target is replaced by the file, not followed: pass its realpath() to
 * replace what it points to. *out gets the handle, to end with _commit or _abort.
 * Errors: CMZ_ERR_INVALID_ARG (NULL or empty target, NULL out, unknown flags), CMZ_ERR_NOMEM,
 * CMZ_ERR_IO (the temp file cannot be created or given its mode); nothing is left behind. */
cmz_status cmz_atomic_file_open(const char *target, mode_t mode, unsigned flags,
                                cmz_atomic_file **out, cmz_error *err);

/* The temp file's descriptor (write to it, or use cmz_atomic_file_write; it may be read back
 * to check what was written). Owned by the handle: not closed by the caller. */
int cmz_atomic_file_fd(const cmz_atomic_file *af);

/* The temp file's path while the handle is open (owned by the handle). */
const char *cmz_atomic_file_temp_path(const cmz_atomic_file *af);

/* Writes all n bytes at the file's current position (short writes and EINTR retried).
 * Errors: CMZ_ERR_IO. The handle stays open either way: _abort it on failure. */
cmz_status cmz_atomic_file_write(cmz_atomic_file *af, const void *data, size_t n, cmz_error *err);

/* Gives the temp file the owner (when allowed), permission bits and times of `like` (an
 * input file the output replaces or derives from). Best effort: failures are ignored, as
 * gzip and zstd do. */
void cmz_atomic_file_copy_attributes(cmz_atomic_file *af, const struct stat *like);

/* Syncs the temp file, renames it over the target and syncs the folder (a file system that
 * cannot sync a folder is not an error). Frees af, whatever the result. Errors:
 * CMZ_ERR_EXISTS (CMZ_ATOMIC_FILE_NO_REPLACE and the target exists), CMZ_ERR_INVALID_ARG
 * (unknown flags), CMZ_ERR_IO: before the rename, the temp file is removed and the target is
 * untouched; when only the folder's sync failed, the target has been replaced but the
 * replacement may not survive a crash. */
cmz_status cmz_atomic_file_commit(cmz_atomic_file *af, unsigned flags, cmz_error *err);

/* Closes and removes the temp file and frees af; the target is untouched. NULL is a no-op. */
void cmz_atomic_file_abort(cmz_atomic_file *af);

#ifdef __cplusplus
}
#endif

#endif
