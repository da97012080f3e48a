/* cmz._cmz — declarations shared between the extension's C files.
 *
 * The extension is built over the PUBLIC libcmz headers only (include/cmz/). Each C file
 * is a "part" that adds its functions and types to the module from a cmzpy_part_fn listed in
 * parts.c; module.c creates the module and calls the parts in order (errors first, so every
 * later part can raise the library's exceptions). */
#ifndef CMZPY_EXT_H
#define CMZPY_EXT_H

#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <signal.h>

#include <cmz/cmz.h>

/* Adds a part's functions, types and constants to the module; 0 on success, -1 with a
 * Python exception set. */
typedef int (*cmzpy_part_fn)(PyObject *module);

/* The parts table (parts.c): NULL-terminated, called in order by the module's init. */
extern const cmzpy_part_fn cmzpy_parts[];

/* ---- errors.c ---------------------------------------------------------------------------
 * The exception classes, one per family of cmz_status (see errors.c for the map):
 *   cmz.Error(Exception)                 .status ("CMZ_ERR_..."), .chunk, .offset (None when
 *                                        the error has no position), str() = the message
 *   ArgumentError(Error, ValueError)     INVALID_ARG, LEVEL_RANGE, RANGE, DST_TOO_SMALL
 *   UnknownCodecError(Error, ValueError) UNKNOWN_CODEC, CODEC_DISABLED
 *   CodecError(Error)                    CODEC
 *   CorruptError(Error)                  CORRUPT, CHECKSUM
 *   TruncatedError(CorruptError)         TRUNCATED
 *   NotAFrameError(CorruptError)         BAD_MAGIC
 *   UnsupportedError(Error)              VERSION, UNSUPPORTED
 *   LimitError(Error)                    LIMIT
 *   OutOfMemoryError(Error, MemoryError) NOMEM
 *   FileError(Error, OSError)            IO
 *   InterruptedError(Error)              INTERRUPTED (KeyboardInterrupt instead when a signal
 *                                        caused it: see cmzpy_interrupt_*)
 *   NotFoundError(Error, LookupError)    NOT_FOUND
 *   ExistsError(Error)                   EXISTS
 *   BusyError(Error)                     BUSY
 *   PolicyError(Error, ValueError)       raised by the policy part: .file .line .col
 *                                        (None when unknown) — use cmzpy_raise_policy
 *   Error itself                         GENERIC, THREAD and unknown values */
extern PyObject *cmzpy_Error, *cmzpy_ArgumentError, *cmzpy_UnknownCodecError, *cmzpy_CodecError,
    *cmzpy_CorruptError, *cmzpy_TruncatedError, *cmzpy_NotAFrameError, *cmzpy_UnsupportedError,
    *cmzpy_LimitError, *cmzpy_OutOfMemoryError, *cmzpy_FileError, *cmzpy_InterruptedError,
    *cmzpy_NotFoundError, *cmzpy_ExistsError, *cmzpy_BusyError, *cmzpy_PolicyError;

/* The class a status maps to (borrowed reference); cmzpy_Error for unknown values. */
PyObject *cmzpy_error_class(cmz_status st);

/* Sets the exception mapped from st, with err's message and position when err is not NULL
 * and err->status == st (otherwise cmz_strerror(st)), and returns NULL so that a caller can
 * `return cmzpy_raise(st, &err);`. st must not be CMZ_OK. */
PyObject *cmzpy_raise(cmz_status st, const cmz_error *err);

/* As cmzpy_raise, with a context prefix ("decompress: ...") before the message. */
PyObject *cmzpy_raise_ctx(cmz_status st, const cmz_error *err, const char *context);

/* Raises PolicyError(message) with .file, .line, .col set (file may be NULL, line/col 0 mean
 * "no position": the attributes are then None) and .status set to cmz_status_name(st).
 * Returns NULL. */
PyObject *cmzpy_raise_policy(cmz_status st, const char *message, const char *file, unsigned line,
                             unsigned col);

/* ---- buffers.c --------------------------------------------------------------------------
 * Buffer protocol, no copy: a C-contiguous view of any object that exports one (bytes,
 * bytearray, memoryview, mmap, array.array, NumPy arrays). `what` names the argument in the
 * TypeError ("data", "out"). Returns 0, or -1 with TypeError/BufferError set. Release the
 * view with PyBuffer_Release. */
int cmzpy_buffer_in(PyObject *obj, Py_buffer *view, const char *what);
int cmzpy_buffer_out(PyObject *obj, Py_buffer *view, const char *what);

/* The default typesize of a buffer: its itemsize when it is 2..255 bytes (NumPy's dtype),
 * else 0 (no typed filter). */
unsigned cmzpy_buffer_typesize(const Py_buffer *view);

/* A new bytes object of n bytes to be written by the library (its contents undefined), as
 * PyBytes_FromStringAndSize(NULL, n); one of 4 MiB and more asks for transparent huge pages,
 * as libcmz's own large buffers do: a fresh buffer written once is bound by its page faults
 * otherwise (docs/BENCH.md). NULL with MemoryError. */
PyObject *cmzpy_bytes_new(Py_ssize_t n);

/* ---- module.c: fork ---------------------------------------------------------------------
 * A child made by fork() has none of its parent's threads, so a context (or pool) whose
 * threads had started cannot be used or even freed there (freeing joins them). Each is
 * tagged with the generation it was made in; in a child (a new generation) it is abandoned
 * (its memory left as it is) and a new one made. */
extern volatile unsigned long cmzpy_fork_generation;

/* ---- interrupt.c ------------------------------------------------------------------------
 * KeyboardInterrupt during a long call made with the GIL released. Every cctx/dctx the
 * extension makes points its params' `interrupt` at a flag of its own (a sig_atomic_t with a
 * stable address, e.g. a field of the Python object). Around a call from the main thread,
 * cmzpy_interrupt_arm puts a C SIGINT handler in front of Python's: it sets the armed flag
 * (the library stops between chunks with CMZ_ERR_INTERRUPTED) and chains to Python's handler,
 * so the KeyboardInterrupt (or whatever the Python handler raises) is pending when the call
 * returns. No GIL is taken during the call. Calls from other threads are never armed (Python
 * runs signal handlers in the main thread only); SIG_DFL/SIG_IGN are left alone.
 *
 *     cmzpy_interrupt it;
 *     cmzpy_interrupt_arm(&it, &self->flag);          // GIL held
 *     Py_BEGIN_ALLOW_THREADS st = cmz_compress(...); Py_END_ALLOW_THREADS
 *     int r = cmzpy_interrupt_disarm(&it, st);        // GIL held
 *     if (r < 0) return NULL;   // the handler raised (KeyboardInterrupt)
 *     if (r > 0) goto again;    // interrupted, but the handler did not raise: call again */
typedef struct {
    volatile sig_atomic_t *flag;
    int armed; /* this call put the handler in (main thread, not nested) */
} cmzpy_interrupt;

void cmzpy_interrupt_arm(cmzpy_interrupt *it, volatile sig_atomic_t *flag);
/* In a child of fork() (module.c): its main thread is the one that forked. */
void cmzpy_interrupt_after_fork(void);
int cmzpy_interrupt_disarm(cmzpy_interrupt *it, cmz_status st);

/* The pattern above as one call: runs job(arg) with the GIL released (call it with the GIL
 * held), armed for Ctrl-C with flag (the context's params.interrupt), again while a handler
 * that did not raise stopped it. Returns the job's status; -1 in *raised when a signal
 * handler raised (an exception is set: return NULL), else 0. */
typedef cmz_status (*cmzpy_job_fn)(void *arg);
cmz_status cmzpy_run(volatile sig_atomic_t *flag, cmzpy_job_fn job, void *arg, int *raised);

/* ---- args.c --------------------------------------------------------------
 * Parses a codec argument: a str name ("zstd", case-insensitive) or None (the build's default
 * codec). Raises UnknownCodecError (unknown or not compiled in) or TypeError. 0 or -1. */
int cmzpy_codec_arg(PyObject *obj, const cmz_codec **out);
/* Parses a filter argument: a str name ("shuffle", "auto") or None (none). 0 or -1
 * (ValueError/TypeError). Writes a cmz_filter_id or CMZ_FILTER_AUTO. */
int cmzpy_filter_arg(PyObject *obj, int *out);

/* A non-negative integer (an int or any __index__ object), at most 2**64-1: ValueError or
 * TypeError naming `what` otherwise. 0 or -1. */
int cmzpy_u64_arg(PyObject *obj, const char *what, uint64_t *out);

/* threads= (0..1024; None: 0) and memory_limit= (None: 0, the default) of the decoders. 0 or -1. */
int cmzpy_threads_arg(PyObject *obj, unsigned *out);
int cmzpy_limit_arg(PyObject *obj, uint64_t *out);

/* ---- options.c: the compression keywords shared by compress() and Compressor() ----------
 * algorithm, level, threads, chunk_size, filter, typesize, parity, type (see the docstrings).
 * The policy's settings for `type` come first, explicit keywords over them. */
typedef struct {
    cmz_params params;   /* policy applied, explicit keywords over it; interrupt not set */
    int typesize_given;  /* typesize= was passed: a buffer's itemsize does not replace it */
    cmz_params resolved; /* params with the defaults resolved (what Compressor.params shows) */
} cmzpy_options;

/* Fills *o from the keyword values (NULL or None: not given). 0, or -1 with ValueError,
 * TypeError, UnknownCodecError set. The params are checked (cmz_params_resolve). */
int cmzpy_options_parse(cmzpy_options *o, PyObject *algorithm, PyObject *level, PyObject *threads,
                        PyObject *chunk_size, PyObject *filter, PyObject *typesize,
                        PyObject *parity, PyObject *type);

/* The typesize to compress `view` with: the explicit one; else the buffer's itemsize when a
 * filter or a typed codec uses it; else the policy's (or 0). */
unsigned cmzpy_options_typesize(const cmzpy_options *o, const Py_buffer *view);

/* ---- contexts.c -------------------------------------------------------------------------
 * Takes an object's lock (GIL held): waits for it with the GIL released, so that its holder,
 * which may need the GIL to finish, can. *generation is the fork generation the lock was
 * last taken in (cmzpy_fork_generation when it was made): in a child of fork() the lock may
 * be held by a thread that is not there, and the first take there takes it over. */
void cmzpy_lock_take(PyThread_type_lock lock, unsigned long *generation);
/* Makes such a lock: 0, or -1 with MemoryError. */
int cmzpy_lock_new(PyThread_type_lock *lock, unsigned long *generation);

/* ---- core.c: the calls the reusable objects share ----------------------------------------
 * Compresses in->buf into a new bytes object (no copy of the input, the GIL released, the
 * result shrunk in place). flag is the cctx's params.interrupt. */
PyObject *cmzpy_compress_bytes(cmz_cctx *cctx, const Py_buffer *in, volatile sig_atomic_t *flag);
/* Decompresses the frame in `in` into a new bytes object of its content size, or into `out`
 * (a writable view; returns out_obj, new reference) when out_obj is not NULL. */
PyObject *cmzpy_decompress_to(cmz_dctx *dctx, const Py_buffer *in, PyObject *out_obj,
                              volatile sig_atomic_t *flag);
/* Reads the header, index and footer of the frame in `in` (the GIL released). 0, or -1 with
 * the mapped exception set ("context: message"). */
int cmzpy_frame_info(const Py_buffer *in, cmz_frame_info *info, const char *context);
/* Contexts made and freed with the GIL released (starting and joining threads). params'
 * interrupt is set to flag. NULL with the mapped exception set ("context: message"). */
cmz_cctx *cmzpy_cctx_new(cmz_params params, volatile sig_atomic_t *flag, const char *context);
cmz_dctx *cmzpy_dctx_new(cmz_dparams params, volatile sig_atomic_t *flag, const char *context);
void cmzpy_cctx_free(cmz_cctx *cctx);
void cmzpy_dctx_free(cmz_dctx *dctx);
/* Content bytes [offset, offset+length) of the frame in `in`, decoding only their chunks. */
PyObject *cmzpy_read_range(cmz_dctx *dctx, const Py_buffer *in, uint64_t offset, uint64_t length,
                           volatile sig_atomic_t *flag);
/* reader's content [offset, offset+length) into dst, the GIL released (cmzpy_run). 0, or -1
 * with an exception set ("context: message"). */
int cmzpy_reader_read(cmz_frame_reader *reader, uint64_t offset, size_t length, void *dst,
                      volatile sig_atomic_t *flag, const char *context);

#endif
