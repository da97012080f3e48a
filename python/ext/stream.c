/* cmz._cmz stream part, what cmz.open (cmz/_file.py) stands on:
 *   - FrameReader: random access into one frame (cmz_frame_reader) over a file descriptor or
 *     a buffer, reading and decoding only the chunks a range needs;
 *   - compress_stream: cmz_compress_stream between two Python callables (readinto, write),
 *     so that a writer thread compresses chunks as they fill, in bounded memory.
 * The callables run with the GIL taken from the library's calling thread. */
#include "ext.h"

#include <errno.h>
#include <limits.h>
#include <string.h>

#include "pythread.h"

static PyObject *frame_info_dict(const cmz_frame_info *i) {
    const cmz_codec *codec = cmz_codec_by_id(i->codec);
    return Py_BuildValue("{s:s,s:i,s:s,s:I,s:I,s:(II),s:K,s:K,s:K}", "algorithm",
                         codec ? cmz_codec_name(codec) : "unknown", "level", i->level, "filter",
                         cmz_filter_name(i->filter), "typesize", (unsigned)i->typesize,
                         "chunk_size", (unsigned)i->chunk_size, "parity", (unsigned)i->parity_k,
                         (unsigned)i->parity_m, "content_size", (unsigned long long)i->content_size,
                         "chunk_count", (unsigned long long)i->chunk_count, "frame_size",
                         (unsigned long long)i->frame_size);
}

/* ---- FrameReader ------------------------------------------------------------------------ */

typedef struct {
    PyObject_HEAD cmz_dctx *dctx;
    cmz_frame_reader *reader;
    cmz_source src;
    Py_buffer view;                /* held for a buffer source (view.obj NULL for a descriptor) */
    PyThread_type_lock lock;       /* one call at a time: a reader is not thread-safe */
    unsigned long lock_generation; /* see cmzpy_lock_take */
    volatile sig_atomic_t interrupt;
} FrameReader;

/* Under the lock: a read in progress in another thread (the GIL released) ends first. */
static void reader_release(FrameReader *self) {
    if (self->lock) cmzpy_lock_take(self->lock, &self->lock_generation);
    if (self->reader) cmz_frame_reader_close(self->reader);
    self->reader = NULL;
    if (self->dctx) cmzpy_dctx_free(self->dctx); /* joins its threads, the GIL released */
    self->dctx = NULL;
    if (self->view.obj) PyBuffer_Release(&self->view);
    if (self->lock) PyThread_release_lock(self->lock);
}

static void reader_dealloc(FrameReader *self) {
    reader_release(self);
    if (self->lock) PyThread_free_lock(self->lock);
    Py_TYPE(self)->tp_free((PyObject *)self);
}

static int reader_init(FrameReader *self, PyObject *args, PyObject *kwargs) {
    static char *kwlist[] = {"source", "threads", "end", NULL};
    PyObject *source, *threads_obj = Py_None, *end_obj = Py_None;
    cmz_dparams dp = cmz_dparams_default();
    if (!PyArg_ParseTupleAndKeywords(args, kwargs, "O|$OO:FrameReader", kwlist, &source,
                                     &threads_obj, &end_obj) ||
        cmzpy_threads_arg(threads_obj, &dp.threads) < 0)
        return -1;
    if (self->reader || self->view.obj) {
        PyErr_SetString(PyExc_RuntimeError, "FrameReader is already open");
        return -1;
    }
    if (!self->lock && cmzpy_lock_new(&self->lock, &self->lock_generation) < 0) return -1;
    cmz_error err;
    cmz_error_clear(&err);
    if (PyLong_Check(source)) {
        long fd = PyLong_AsLong(source);
        if (fd == -1 && PyErr_Occurred()) return -1;
        if (fd < 0 || fd > INT_MAX) {
            PyErr_SetString(PyExc_ValueError, "source: not a file descriptor");
            return -1;
        }
        cmz_status st = cmz_source_fd(&self->src, (int)fd, &err);
        if (st != CMZ_OK) return cmzpy_raise_ctx(st, &err, "FrameReader"), -1;
    } else {
        if (cmzpy_buffer_in(source, &self->view, "source") < 0) return -1;
        cmz_source_memory(&self->src, self->view.buf, (size_t)self->view.len);
    }
    if (end_obj != Py_None) {
        unsigned long long end = PyLong_AsUnsignedLongLong(end_obj);
        if (end == (unsigned long long)-1 && PyErr_Occurred()) return -1;
        if (end > self->src.size) {
            PyErr_SetString(PyExc_ValueError, "end is past the end of the source");
            return -1;
        }
        self->src.size = end; /* the frame that ends there (concatenated frames) */
    }
    self->dctx = cmzpy_dctx_new(dp, &self->interrupt, "FrameReader");
    if (!self->dctx) {
        reader_release(self);
        return -1;
    }
    cmz_status st;
    Py_BEGIN_ALLOW_THREADS st = cmz_frame_reader_open(self->dctx, &self->src, &self->reader, &err);
    Py_END_ALLOW_THREADS if (st != CMZ_OK) {
        self->reader = NULL;
        reader_release(self);
        cmzpy_raise_ctx(st, &err, "open");
        return -1;
    }
    return 0;
}

static int reader_check(FrameReader *self) {
    if (self->reader) return 0;
    PyErr_SetString(PyExc_ValueError, "I/O operation on a closed FrameReader");
    return -1;
}

/* content [offset, offset + length) into dst, the GIL released and the reader locked (a
 * close() from another thread waits for the read, or comes before it). */
static int reader_read_at(FrameReader *self, uint64_t offset, size_t length, void *dst) {
    cmzpy_lock_take(self->lock, &self->lock_generation);
    if (!self->reader) {
        PyThread_release_lock(self->lock);
        return reader_check(self);
    }
    int r = cmzpy_reader_read(self->reader, offset, length, dst, &self->interrupt, "read");
    PyThread_release_lock(self->lock);
    return r;
}

/* The length that fits from offset, at most `want`. */
static size_t clamp_length(FrameReader *self, uint64_t offset, uint64_t want) {
    uint64_t size = cmz_frame_reader_info(self->reader)->content_size;
    uint64_t left = offset < size ? size - offset : 0;
    return (size_t)(want < left ? want : left);
}

/* Not "K", which takes a negative int modulo 2**64. */
static PyObject *reader_read(FrameReader *self, PyObject *args) {
    PyObject *offset_obj, *length_obj;
    uint64_t offset, length;
    if (!PyArg_ParseTuple(args, "OO:read", &offset_obj, &length_obj) ||
        cmzpy_u64_arg(offset_obj, "offset", &offset) < 0 ||
        cmzpy_u64_arg(length_obj, "length", &length) < 0 || reader_check(self) < 0)
        return NULL;
    size_t n = clamp_length(self, offset, length);
    if (n > PY_SSIZE_T_MAX) return PyErr_NoMemory();
    PyObject *out = cmzpy_bytes_new((Py_ssize_t)n);
    if (out && n && reader_read_at(self, offset, n, PyBytes_AS_STRING(out)) < 0) Py_CLEAR(out);
    return out;
}

static PyObject *reader_readinto(FrameReader *self, PyObject *args) {
    PyObject *offset_obj, *buf;
    uint64_t offset;
    if (!PyArg_ParseTuple(args, "OO:readinto", &offset_obj, &buf) ||
        cmzpy_u64_arg(offset_obj, "offset", &offset) < 0 || reader_check(self) < 0)
        return NULL;
    Py_buffer view;
    if (cmzpy_buffer_out(buf, &view, "buffer") < 0) return NULL;
    size_t n = clamp_length(self, offset, (uint64_t)view.len);
    int rc = n ? reader_read_at(self, offset, n, view.buf) : 0;
    PyBuffer_Release(&view);
    return rc < 0 ? NULL : PyLong_FromSize_t(n);
}

static PyObject *reader_close(FrameReader *self, PyObject *unused) {
    (void)unused;
    reader_release(self);
    Py_RETURN_NONE;
}

static PyObject *reader_info(FrameReader *self, void *closure) {
    (void)closure;
    if (reader_check(self) < 0) return NULL;
    return frame_info_dict(cmz_frame_reader_info(self->reader));
}

static PyObject *reader_content_size(FrameReader *self, void *closure) {
    (void)closure;
    if (reader_check(self) < 0) return NULL;
    return PyLong_FromUnsignedLongLong(cmz_frame_reader_info(self->reader)->content_size);
}

static PyObject *reader_frame_size(FrameReader *self, void *closure) {
    (void)closure;
    if (reader_check(self) < 0) return NULL;
    return PyLong_FromUnsignedLongLong(cmz_frame_reader_info(self->reader)->frame_size);
}

static PyMethodDef reader_methods[] = {
    {"read", (PyCFunction)reader_read, METH_VARARGS,
     "read(offset, length) -> bytes\n\nContent bytes [offset, offset + length), shorter at "
     "the end of the content;\nonly the chunks that hold them are read and decoded."},
    {"readinto", (PyCFunction)reader_readinto, METH_VARARGS,
     "readinto(offset, buffer) -> int\n\nFills the writable buffer from content offset "
     "`offset`; returns the bytes written\n(fewer than its size at the end of the content)."},
    {"close", (PyCFunction)reader_close, METH_NOARGS,
     "close()\n\nFrees the reader and its threads (a descriptor source is not closed)."},
    {NULL, NULL, 0, NULL},
};

static PyGetSetDef reader_getset[] = {
    {"info", (getter)reader_info, NULL, "The frame's parameters and sizes, as a dict.", NULL},
    {"content_size", (getter)reader_content_size, NULL, "Decoded size in bytes.", NULL},
    {"frame_size", (getter)reader_frame_size, NULL, "The frame's size in bytes.", NULL},
    {NULL, NULL, NULL, NULL, NULL},
};

static PyTypeObject FrameReaderType = {
    PyVarObject_HEAD_INIT(NULL, 0).tp_name = "cmz._cmz.FrameReader",
    .tp_basicsize = sizeof(FrameReader),
    .tp_flags = Py_TPFLAGS_DEFAULT,
    .tp_doc = "FrameReader(source, *, threads=0, end=None)\n\n"
              "Random access into the frame that ends at the end of `source` (or at byte\n"
              "`end`, for concatenated frames): source is an open file descriptor (int; pread,\n"
              "not closed by the reader, which must not outlive it) or a buffer (held until\n"
              "close). Reads the footer, index and header only; read/readinto decode just the\n"
              "chunks a range needs, on `threads` threads (0: one per core). One call at a\n"
              "time runs; calls from several threads wait their turn.",
    .tp_new = PyType_GenericNew,
    .tp_init = (initproc)reader_init,
    .tp_dealloc = (destructor)reader_dealloc,
    .tp_methods = reader_methods,
    .tp_getset = reader_getset,
};

/* ---- compress_stream -------------------------------------------------------------------- */

typedef struct {
    PyObject *readinto, *write;
    PyObject *exc_type, *exc_value, *exc_tb; /* the first exception a callable raised */
} stream_io;

static void keep_exception(stream_io *io) {
    if (io->exc_type) {
        PyErr_Clear();
        return;
    }
    PyErr_Fetch(&io->exc_type, &io->exc_value, &io->exc_tb);
}

/* The memory behind a callback's memoryview is the library's: once the call returns no
 * Python object may reach it. 0, or -1 with an exception (something still exports it). */
static int release_view(PyObject *mv) {
    PyObject *rel = PyObject_CallMethod(mv, "release", NULL);
    Py_XDECREF(rel);
    return rel ? 0 : -1;
}

static int64_t stream_read(void *opaque, void *buf, size_t n) {
    stream_io *io = opaque;
    PyGILState_STATE g = PyGILState_Ensure();
    int64_t got = -1;
    if (n > PY_SSIZE_T_MAX) n = PY_SSIZE_T_MAX;
    PyObject *mv = io->exc_type ? NULL : PyMemoryView_FromMemory(buf, (Py_ssize_t)n, PyBUF_WRITE);
    PyObject *r = mv ? PyObject_CallOneArg(io->readinto, mv) : NULL;
    if (r) {
        long long v = r == Py_None ? 0 : PyLong_AsLongLong(r);
        if (v < 0 || (uint64_t)v > n) {
            if (!PyErr_Occurred())
                PyErr_Format(PyExc_ValueError, "readinto returned %lld for a %zu-byte buffer", v,
                             n);
        } else {
            got = v;
        }
    }
    if (got < 0 && PyErr_Occurred()) keep_exception(io);
    if (mv && release_view(mv) < 0) {
        keep_exception(io);
        got = -1;
    }
    Py_XDECREF(r);
    Py_XDECREF(mv);
    PyGILState_Release(g);
    if (got < 0) errno = EIO;
    return got;
}

static int stream_write(void *opaque, const void *buf, size_t n) {
    stream_io *io = opaque;
    PyGILState_STATE g = PyGILState_Ensure();
    int rc = io->exc_type ? -1 : 0;
    const char *p = buf;
    while (rc == 0 && n > 0) {
        Py_ssize_t len = n > PY_SSIZE_T_MAX ? PY_SSIZE_T_MAX : (Py_ssize_t)n;
        PyObject *mv = PyMemoryView_FromMemory((char *)p, len, PyBUF_READ);
        PyObject *r = mv ? PyObject_CallOneArg(io->write, mv) : NULL;
        long long w = !r ? -1 : r == Py_None ? len : PyLong_AsLongLong(r);
        Py_XDECREF(r);
        if ((w <= 0 || w > len) && !PyErr_Occurred())
            PyErr_Format(PyExc_OSError, "write returned %lld for %zd bytes", w, len);
        if (PyErr_Occurred()) keep_exception(io);
        if (mv && release_view(mv) < 0) {
            keep_exception(io);
            w = -1;
        }
        Py_XDECREF(mv);
        if (w <= 0 || w > len) {
            rc = -1;
            break;
        }
        p += w;
        n -= (size_t)w;
    }
    PyGILState_Release(g);
    if (rc < 0) errno = EIO;
    return rc;
}

static PyObject *compress_stream(PyObject *self, PyObject *args, PyObject *kwargs) {
    (void)self;
    static char *kwlist[] = {"readinto", "write",    "algorithm", "level", "threads", "chunk_size",
                             "filter",   "typesize", "parity",    "type",  NULL};
    stream_io io = {0};
    PyObject *kw[8] = {NULL};
    if (!PyArg_ParseTupleAndKeywords(args, kwargs, "OO|$OOOOOOOO:compress_stream", kwlist,
                                     &io.readinto, &io.write, &kw[0], &kw[1], &kw[2], &kw[3],
                                     &kw[4], &kw[5], &kw[6], &kw[7]))
        return NULL;
    cmzpy_options o;
    if (cmzpy_options_parse(&o, kw[0], kw[1], kw[2], kw[3], kw[4], kw[5], kw[6], kw[7]) < 0)
        return NULL;
    volatile sig_atomic_t interrupt = 0;
    cmz_cctx *cctx = cmzpy_cctx_new(o.params, &interrupt, "compress_stream");
    if (!cctx) return NULL;
    cmz_error err;
    cmz_error_clear(&err);
    cmz_input in = {stream_read, &io};
    cmz_output out = {stream_write, &io};
    cmz_frame_info info;
    cmz_status st;
    /* Not cmzpy_run: a call stopped part-way cannot start again, its input is consumed.
     * A Ctrl-C reaches the callables' Python code instead, whose exception ends it. */
    Py_BEGIN_ALLOW_THREADS st = cmz_compress_stream(cctx, &in, &out, &info, &err);
    Py_END_ALLOW_THREADS cmzpy_cctx_free(cctx);
    if (io.exc_type) {
        PyErr_Restore(io.exc_type, io.exc_value, io.exc_tb);
        return NULL;
    }
    if (st != CMZ_OK) return cmzpy_raise_ctx(st, &err, "compress_stream");
    return frame_info_dict(&info);
}

static PyMethodDef stream_methods[] = {
    {"compress_stream", (PyCFunction)(void (*)(void))compress_stream, METH_VARARGS | METH_KEYWORDS,
     "compress_stream(readinto, write, *, algorithm=None, level=None, threads=0,\n"
     "                chunk_size=None, filter=None, typesize=None, parity=None, type=None)\n"
     "                -> dict\n\n"
     "The keywords are cmz.compress's. "
     "One frame from everything readinto(memoryview) -> int gives (0 at the end) to\n"
     "write(memoryview), chunk by chunk in bounded memory (cmz_compress_stream). The\n"
     "memoryviews are valid only during the call. Returns the frame's info as a dict; an\n"
     "exception raised by either callable is raised again."},
    {NULL, NULL, 0, NULL},
};

int cmzpy_part_stream(PyObject *module) {
    if (PyType_Ready(&FrameReaderType) < 0) return -1;
    if (PyModule_AddObjectRef(module, "FrameReader", (PyObject *)&FrameReaderType) < 0) return -1;
    return PyModule_AddFunctions(module, stream_methods);
}
