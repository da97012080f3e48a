/* The module's one-shot functions. Each makes a context for the call, keeping no more chunks
 * in flight than the data has (the output never depends on the thread count); the work of
 * calls with several chunks runs on one pool of threads that the module keeps for the
 * process (threads are never started per call). Compressor and Decompressor keep their own
 * contexts and threads between calls. */
#include "ext.h"

/* Made on first use with the GIL held; its threads start on the first call that needs them
 * and live as long as the process. */
static cmz_pool *shared_pool;
static unsigned long shared_pool_generation;

/* Puts a context of several threads on the shared pool. 0, or -1 with an exception set. */
static int use_shared_pool(cmz_cctx *cctx, cmz_dctx *dctx, unsigned threads, const char *ctx) {
    if (threads <= 1) return 0; /* works on the calling thread */
    cmz_error err;
    cmz_error_clear(&err);
    if (shared_pool_generation != cmzpy_fork_generation) shared_pool = NULL; /* abandoned */
    if (!shared_pool) {
        if (!(shared_pool = cmz_pool_new(0, &err))) {
            cmzpy_raise_ctx(err.status, &err, ctx);
            return -1;
        }
        shared_pool_generation = cmzpy_fork_generation;
    }
    cmz_status st = cctx ? cmz_cctx_ref_pool(cctx, shared_pool, &err)
                         : cmz_dctx_ref_pool(dctx, shared_pool, &err);
    if (st == CMZ_OK) return 0;
    cmzpy_raise_ctx(st, &err, ctx);
    return -1;
}

static unsigned clamp_threads(unsigned threads, uint64_t chunks) {
    if (threads == 0) threads = cmz_cpu_count();
    if (chunks < threads) threads = chunks ? (unsigned)chunks : 1;
    return threads;
}

PyDoc_STRVAR(
    compress_doc,
    "compress(data, *, algorithm='zstd', level=None, threads=0, chunk_size=None, filter=None,\n"
    "         typesize=None, parity=None, type=None)\n"
    "--\n\n"
    "Compress data (any C-contiguous buffer: bytes, bytearray, memoryview, mmap, a NumPy\n"
    "array) into one .cmz frame, without copying it; the GIL is released meanwhile.\n\n"
    "algorithm: a codec name (cmz.codecs()); level: the codec's level (None: its default);\n"
    "threads: worker threads (0: one per core); chunk_size: raw bytes per independent chunk\n"
    "(None: the codec's default); filter: 'shuffle', 'bitshuffle', 'delta', 'planes', 'auto'\n"
    "or None; typesize: element size for the filter (default: a NumPy array's itemsize);\n"
    "parity: (k, m) adds m Reed-Solomon parity chunks after every k data chunks; type: a\n"
    "resource type of the built-in policy (e.g. 'model_weights') whose settings come first,\n"
    "the explicit keywords over them (a type the policy does not list takes its 'default').\n\n"
    "Raises ArgumentError / UnknownCodecError (both ValueError) for bad settings.");

static PyObject *py_compress(PyObject *self, PyObject *args, PyObject *kw) {
    (void)self;
    static char *kwlist[] = {"data",   "algorithm", "level",  "threads", "chunk_size",
                             "filter", "typesize",  "parity", "type",    NULL};
    PyObject *data, *algorithm = NULL, *level = NULL, *threads = NULL, *chunk_size = NULL,
                    *filter = NULL, *typesize = NULL, *parity = NULL, *type = NULL;
    if (!PyArg_ParseTupleAndKeywords(args, kw, "O|$OOOOOOOO:compress", kwlist, &data, &algorithm,
                                     &level, &threads, &chunk_size, &filter, &typesize, &parity,
                                     &type))
        return NULL;
    cmzpy_options o;
    if (cmzpy_options_parse(&o, algorithm, level, threads, chunk_size, filter, typesize, parity,
                            type) < 0)
        return NULL;
    Py_buffer in;
    if (cmzpy_buffer_in(data, &in, "data") < 0) return NULL;
    PyObject *res = NULL;
    cmz_params p = o.params;
    p.typesize = cmzpy_options_typesize(&o, &in);
    cmz_params resolved;
    cmz_error err;
    cmz_error_clear(&err);
    cmz_status st = cmz_params_resolve(&p, &resolved, &err);
    if (st != CMZ_OK) {
        cmzpy_raise_ctx(st, &err, "compress");
    } else {
        uint64_t chunks = ((uint64_t)in.len + resolved.chunk_size - 1) / resolved.chunk_size;
        p.threads = clamp_threads(resolved.threads, chunks);
        volatile sig_atomic_t flag = 0;
        cmz_cctx *cctx = cmzpy_cctx_new(p, &flag, "compress");
        if (cctx && use_shared_pool(cctx, NULL, p.threads, "compress") == 0)
            res = cmzpy_compress_bytes(cctx, &in, &flag);
        if (cctx) cmzpy_cctx_free(cctx);
    }
    PyBuffer_Release(&in);
    return res;
}

/* ---- decompression ---------------------------------------------------------------------- */

/* A dctx for one call over the frame in `in`, or NULL with an exception set. */
static cmz_dctx *dctx_for(const Py_buffer *in, unsigned threads, uint64_t memory_limit,
                          volatile sig_atomic_t *flag, const char *context) {
    cmz_frame_info info;
    if (cmzpy_frame_info(in, &info, context) < 0) return NULL;
    cmz_dparams dp = cmz_dparams_default();
    dp.memory_limit = memory_limit;
    dp.threads = clamp_threads(threads, info.chunk_count);
    cmz_dctx *dctx = cmzpy_dctx_new(dp, flag, context);
    if (dctx && use_shared_pool(NULL, dctx, dp.threads, context) < 0) {
        cmzpy_dctx_free(dctx);
        return NULL;
    }
    return dctx;
}

PyDoc_STRVAR(
    decompress_doc,
    "decompress(frame, *, out=None, threads=0, memory_limit=None)\n"
    "--\n\n"
    "Decompress one .cmz frame (any buffer). With out (any writable C-contiguous buffer, e.g.\n"
    "a preallocated NumPy array) the content is decoded straight into its first bytes\n"
    "(cmz.info(frame)['content_size'] of them) and out is returned; else a new bytes object\n"
    "of the content size. Chunks are decoded on `threads` threads (0: one per core) with\n"
    "the GIL released; memory_limit bounds the decoder's buffers (None: 512 MiB).\n\n"
    "Raises NotAFrameError (not a frame), TruncatedError (cut short), CorruptError (damaged:\n"
    ".chunk and .offset say where), UnsupportedError, LimitError, and ArgumentError when out\n"
    "is too small.");

static PyObject *py_decompress(PyObject *self, PyObject *args, PyObject *kw) {
    (void)self;
    static char *kwlist[] = {"frame", "out", "threads", "memory_limit", NULL};
    PyObject *frame, *out = NULL, *threads_obj = NULL, *limit_obj = NULL;
    if (!PyArg_ParseTupleAndKeywords(args, kw, "O|$OOO:decompress", kwlist, &frame, &out,
                                     &threads_obj, &limit_obj))
        return NULL;
    unsigned threads;
    uint64_t limit;
    if (cmzpy_threads_arg(threads_obj, &threads) < 0 || cmzpy_limit_arg(limit_obj, &limit) < 0)
        return NULL;
    if (out == Py_None) out = NULL;
    Py_buffer in;
    if (cmzpy_buffer_in(frame, &in, "frame") < 0) return NULL;
    volatile sig_atomic_t flag = 0;
    PyObject *res = NULL;
    cmz_dctx *dctx = dctx_for(&in, threads, limit, &flag, "decompress");
    if (dctx) {
        res = cmzpy_decompress_to(dctx, &in, out, &flag);
        cmzpy_dctx_free(dctx);
    }
    PyBuffer_Release(&in);
    return res;
}

PyDoc_STRVAR(
    read_range_doc,
    "read_range(frame, offset, length, *, threads=0)\n"
    "--\n\n"
    "Content bytes [offset, offset + length) of a .cmz frame, decoding only the chunks that\n"
    "hold them (the frame's index says where they are). ArgumentError when the range goes\n"
    "past the content.");

static PyObject *py_read_range(PyObject *self, PyObject *args, PyObject *kw) {
    (void)self;
    static char *kwlist[] = {"frame", "offset", "length", "threads", NULL};
    PyObject *frame, *offset_obj, *length_obj, *threads_obj = NULL;
    if (!PyArg_ParseTupleAndKeywords(args, kw, "OOO|$O:read_range", kwlist, &frame, &offset_obj,
                                     &length_obj, &threads_obj))
        return NULL;
    unsigned threads;
    uint64_t offset, length;
    if (cmzpy_threads_arg(threads_obj, &threads) < 0 ||
        cmzpy_u64_arg(offset_obj, "offset", &offset) < 0 ||
        cmzpy_u64_arg(length_obj, "length", &length) < 0)
        return NULL;
    Py_buffer in;
    if (cmzpy_buffer_in(frame, &in, "frame") < 0) return NULL;
    volatile sig_atomic_t flag = 0;
    PyObject *res = NULL;
    cmz_dctx *dctx = dctx_for(&in, threads, 0, &flag, "read_range");
    if (dctx) {
        res = cmzpy_read_range(dctx, &in, offset, length, &flag);
        cmzpy_dctx_free(dctx);
    }
    PyBuffer_Release(&in);
    return res;
}

static PyMethodDef methods[] = {
    {"compress", (PyCFunction)(void (*)(void))py_compress, METH_VARARGS | METH_KEYWORDS,
     compress_doc},
    {"decompress", (PyCFunction)(void (*)(void))py_decompress, METH_VARARGS | METH_KEYWORDS,
     decompress_doc},
    {"read_range", (PyCFunction)(void (*)(void))py_read_range, METH_VARARGS | METH_KEYWORDS,
     read_range_doc},
    {NULL, NULL, 0, NULL},
};

int cmzpy_part_functions(PyObject *module) { return PyModule_AddFunctions(module, methods); }
