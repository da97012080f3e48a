/* cmz.Compressor and cmz.Decompressor: contexts (and their thread pools) kept between calls,
 * so that a small call costs what the codec costs. A lock makes one object safe to share
 * between threads: calls on it take turns (waiting without the GIL). */
#include "ext.h"

typedef struct {
    PyObject_HEAD cmzpy_options opts;
    cmz_cctx *cctx;           /* made on first use, with typesize */
    unsigned typesize;        /* the typesize cctx was made with */
    unsigned long generation; /* the fork generation cctx was made in */
    PyThread_type_lock lock;
    unsigned long lock_generation; /* see cmzpy_lock_take */
    volatile sig_atomic_t flag;    /* cctx's interrupt flag */
} Compressor;

typedef struct {
    PyObject_HEAD cmz_dparams dparams;
    cmz_dctx *dctx; /* made on first use */
    unsigned long generation;
    PyThread_type_lock lock;
    unsigned long lock_generation;
    volatile sig_atomic_t flag;
} Decompressor;

/* In a child of fork() a context made before it is left alone (ext.h, "fork"). */
static void drop_cctx(Compressor *self) {
    if (self->cctx && self->generation == cmzpy_fork_generation) cmzpy_cctx_free(self->cctx);
    self->cctx = NULL;
}

static void drop_dctx(Decompressor *self) {
    if (self->dctx && self->generation == cmzpy_fork_generation) cmzpy_dctx_free(self->dctx);
    self->dctx = NULL;
}

int cmzpy_lock_new(PyThread_type_lock *lock, unsigned long *generation) {
    *generation = cmzpy_fork_generation;
    if ((*lock = PyThread_allocate_lock())) return 0;
    PyErr_NoMemory();
    return -1;
}

void cmzpy_lock_take(PyThread_type_lock lock, unsigned long *generation) {
    if (*generation != cmzpy_fork_generation) {
        /* The first take in a child of fork(): a thread of the parent that held the lock is
         * not here, and no thread here took it yet (a take sets *generation, the GIL held).
         * Held or free, the lock is ours now. */
        PyThread_acquire_lock(lock, NOWAIT_LOCK);
        *generation = cmzpy_fork_generation;
        return;
    }
    if (PyThread_acquire_lock(lock, NOWAIT_LOCK)) return;
    PyThreadState *ts = PyEval_SaveThread();
    PyThread_acquire_lock(lock, WAIT_LOCK);
    PyEval_RestoreThread(ts);
}

/* ---- Compressor -------------------------------------------------------------------------- */

static PyObject *Compressor_new(PyTypeObject *type, PyObject *args, PyObject *kw) {
    static char *kwlist[] = {"algorithm", "level",  "threads", "chunk_size", "filter",
                             "typesize",  "parity", "type",    NULL};
    PyObject *algorithm = NULL, *level = NULL, *threads = NULL, *chunk_size = NULL, *filter = NULL,
             *typesize = NULL, *parity = NULL, *ptype = NULL;
    if (!PyArg_ParseTupleAndKeywords(args, kw, "|$OOOOOOOO:Compressor", kwlist, &algorithm, &level,
                                     &threads, &chunk_size, &filter, &typesize, &parity, &ptype))
        return NULL;
    Compressor *self = (Compressor *)type->tp_alloc(type, 0);
    if (!self) return NULL;
    if (cmzpy_options_parse(&self->opts, algorithm, level, threads, chunk_size, filter, typesize,
                            parity, ptype) < 0) {
        Py_DECREF(self);
        return NULL;
    }
    if (cmzpy_lock_new(&self->lock, &self->lock_generation) < 0) {
        Py_DECREF(self);
        return NULL;
    }
    return (PyObject *)self;
}

static void Compressor_dealloc(Compressor *self) {
    drop_cctx(self);
    if (self->lock) PyThread_free_lock(self->lock);
    Py_TYPE(self)->tp_free((PyObject *)self);
}

/* The context for data of this typesize (the lock held). */
static int compressor_ready(Compressor *self, unsigned typesize) {
    if (self->cctx && self->typesize == typesize && self->generation == cmzpy_fork_generation)
        return 0;
    drop_cctx(self);
    cmz_params p = self->opts.params;
    p.typesize = typesize;
    self->cctx = cmzpy_cctx_new(p, &self->flag, "Compressor.compress");
    self->typesize = typesize;
    self->generation = cmzpy_fork_generation;
    return self->cctx ? 0 : -1;
}

PyDoc_STRVAR(Compressor_compress_doc,
             "compress($self, data, /)\n"
             "--\n\n"
             "Compress data (any C-contiguous buffer) into one .cmz frame with this compressor's\n"
             "settings, reusing its context and threads.");

static PyObject *Compressor_compress(Compressor *self, PyObject *data) {
    Py_buffer in;
    if (cmzpy_buffer_in(data, &in, "data") < 0) return NULL;
    PyObject *res = NULL;
    cmzpy_lock_take(self->lock, &self->lock_generation);
    if (compressor_ready(self, cmzpy_options_typesize(&self->opts, &in)) == 0)
        res = cmzpy_compress_bytes(self->cctx, &in, &self->flag);
    PyThread_release_lock(self->lock);
    PyBuffer_Release(&in);
    return res;
}

PyDoc_STRVAR(close_doc, "close($self, /)\n"
                        "--\n\n"
                        "Free the context and its threads now (the next call makes new ones).");

static PyObject *Compressor_close(Compressor *self, PyObject *unused) {
    (void)unused;
    cmzpy_lock_take(self->lock, &self->lock_generation);
    drop_cctx(self);
    PyThread_release_lock(self->lock);
    Py_RETURN_NONE;
}

static PyObject *self_enter(PyObject *self, PyObject *unused) {
    (void)unused;
    return Py_NewRef(self);
}

static PyObject *Compressor_exit(Compressor *self, PyObject *args) {
    (void)args;
    return Compressor_close(self, NULL);
}

static PyObject *Compressor_params(Compressor *self, void *closure) {
    (void)closure;
    const cmz_params r = self->opts.resolved;
    const cmz_codec *codec = cmz_codec_by_id(r.codec);
    PyObject *parity =
        r.parity_k ? Py_BuildValue("(II)", r.parity_k, r.parity_m) : Py_NewRef(Py_None);
    if (!parity) return NULL;
    return Py_BuildValue("{s:s,s:i,s:I,s:k,s:s,s:I,s:N}", "algorithm", cmz_codec_name(codec),
                         "level", r.level, "threads", r.threads, "chunk_size",
                         (unsigned long)r.chunk_size, "filter",
                         r.filter == CMZ_FILTER_AUTO ? "auto" : cmz_filter_name(r.filter),
                         "typesize", r.typesize, "parity", parity);
}

static PyMethodDef Compressor_methods[] = {
    {"compress", (PyCFunction)Compressor_compress, METH_O, Compressor_compress_doc},
    {"close", (PyCFunction)Compressor_close, METH_NOARGS, close_doc},
    {"__enter__", self_enter, METH_NOARGS, NULL},
    {"__exit__", (PyCFunction)Compressor_exit, METH_VARARGS, NULL},
    {NULL, NULL, 0, NULL},
};

static PyGetSetDef Compressor_getset[] = {
    {"params", (getter)Compressor_params, NULL,
     "The settings in force (defaults resolved), as a dict.", NULL},
    {NULL, NULL, NULL, NULL, NULL},
};

PyDoc_STRVAR(
    Compressor_doc,
    "Compressor(*, algorithm='zstd', level=None, threads=0, chunk_size=None, filter=None,\n"
    "           typesize=None, parity=None, type=None)\n"
    "--\n\n"
    "A reusable compressor: keeps its context and thread pool between calls, so that small\n"
    "calls cost what the codec costs. The keywords are those of cmz.compress. Safe to share\n"
    "between threads (calls on one object take turns; use one per thread to run in\n"
    "parallel). Usable with `with` (close() frees the threads).");

static PyTypeObject Compressor_type = {
    PyVarObject_HEAD_INIT(NULL, 0).tp_name = "cmz.Compressor",
    .tp_basicsize = sizeof(Compressor),
    .tp_dealloc = (destructor)Compressor_dealloc,
    .tp_flags = Py_TPFLAGS_DEFAULT,
    .tp_doc = Compressor_doc,
    .tp_methods = Compressor_methods,
    .tp_getset = Compressor_getset,
    .tp_new = Compressor_new,
};

/* ---- Decompressor ------------------------------------------------------------------------ */

static PyObject *Decompressor_new(PyTypeObject *type, PyObject *args, PyObject *kw) {
    static char *kwlist[] = {"threads", "memory_limit", NULL};
    PyObject *threads_obj = NULL, *limit_obj = NULL;
    if (!PyArg_ParseTupleAndKeywords(args, kw, "|$OO:Decompressor", kwlist, &threads_obj,
                                     &limit_obj))
        return NULL;
    cmz_dparams dp = cmz_dparams_default();
    if (cmzpy_threads_arg(threads_obj, &dp.threads) < 0 ||
        cmzpy_limit_arg(limit_obj, &dp.memory_limit) < 0)
        return NULL;
    Decompressor *self = (Decompressor *)type->tp_alloc(type, 0);
    if (!self) return NULL;
    self->dparams = dp;
    if (cmzpy_lock_new(&self->lock, &self->lock_generation) < 0) {
        Py_DECREF(self);
        return NULL;
    }
    return (PyObject *)self;
}

static void Decompressor_dealloc(Decompressor *self) {
    drop_dctx(self);
    if (self->lock) PyThread_free_lock(self->lock);
    Py_TYPE(self)->tp_free((PyObject *)self);
}

static int decompressor_ready(Decompressor *self, const char *context) {
    if (self->dctx && self->generation == cmzpy_fork_generation) return 0;
    drop_dctx(self);
    self->dctx = cmzpy_dctx_new(self->dparams, &self->flag, context);
    self->generation = cmzpy_fork_generation;
    return self->dctx ? 0 : -1;
}

PyDoc_STRVAR(Decompressor_decompress_doc,
             "decompress($self, /, frame, *, out=None)\n"
             "--\n\n"
             "As cmz.decompress, reusing this decompressor's context and threads.");

static PyObject *Decompressor_decompress(Decompressor *self, PyObject *args, PyObject *kw) {
    static char *kwlist[] = {"frame", "out", NULL};
    PyObject *frame, *out = NULL;
    if (!PyArg_ParseTupleAndKeywords(args, kw, "O|$O:decompress", kwlist, &frame, &out))
        return NULL;
    if (out == Py_None) out = NULL;
    Py_buffer in;
    if (cmzpy_buffer_in(frame, &in, "frame") < 0) return NULL;
    PyObject *res = NULL;
    cmzpy_lock_take(self->lock, &self->lock_generation);
    if (decompressor_ready(self, "Decompressor.decompress") == 0)
        res = cmzpy_decompress_to(self->dctx, &in, out, &self->flag);
    PyThread_release_lock(self->lock);
    PyBuffer_Release(&in);
    return res;
}

PyDoc_STRVAR(Decompressor_read_range_doc,
             "read_range($self, /, frame, offset, length)\n"
             "--\n\n"
             "As cmz.read_range, reusing this decompressor's context and threads.");

static PyObject *Decompressor_read_range(Decompressor *self, PyObject *args, PyObject *kw) {
    static char *kwlist[] = {"frame", "offset", "length", NULL};
    PyObject *frame, *offset_obj, *length_obj;
    if (!PyArg_ParseTupleAndKeywords(args, kw, "OOO:read_range", kwlist, &frame, &offset_obj,
                                     &length_obj))
        return NULL;
    uint64_t offset, length;
    if (cmzpy_u64_arg(offset_obj, "offset", &offset) < 0 ||
        cmzpy_u64_arg(length_obj, "length", &length) < 0)
        return NULL;
    Py_buffer in;
    if (cmzpy_buffer_in(frame, &in, "frame") < 0) return NULL;
    PyObject *res = NULL;
    cmzpy_lock_take(self->lock, &self->lock_generation);
    if (decompressor_ready(self, "Decompressor.read_range") == 0)
        res = cmzpy_read_range(self->dctx, &in, offset, length, &self->flag);
    PyThread_release_lock(self->lock);
    PyBuffer_Release(&in);
    return res;
}

static PyObject *Decompressor_close(Decompressor *self, PyObject *unused) {
    (void)unused;
    cmzpy_lock_take(self->lock, &self->lock_generation);
    drop_dctx(self);
    PyThread_release_lock(self->lock);
    Py_RETURN_NONE;
}

static PyObject *Decompressor_exit(Decompressor *self, PyObject *args) {
    (void)args;
    return Decompressor_close(self, NULL);
}

static PyMethodDef Decompressor_methods[] = {
    {"decompress", (PyCFunction)(void (*)(void))Decompressor_decompress,
     METH_VARARGS | METH_KEYWORDS, Decompressor_decompress_doc},
    {"read_range", (PyCFunction)(void (*)(void))Decompressor_read_range,
     METH_VARARGS | METH_KEYWORDS, Decompressor_read_range_doc},
    {"close", (PyCFunction)Decompressor_close, METH_NOARGS, close_doc},
    {"__enter__", self_enter, METH_NOARGS, NULL},
    {"__exit__", (PyCFunction)Decompressor_exit, METH_VARARGS, NULL},
    {NULL, NULL, 0, NULL},
};

PyDoc_STRVAR(
    Decompressor_doc,
    "Decompressor(*, threads=0, memory_limit=None)\n"
    "--\n\n"
    "A reusable decompressor: keeps its context and thread pool between calls. Safe to share\n"
    "between threads (calls on one object take turns). Usable with `with`.");

static PyTypeObject Decompressor_type = {
    PyVarObject_HEAD_INIT(NULL, 0).tp_name = "cmz.Decompressor",
    .tp_basicsize = sizeof(Decompressor),
    .tp_dealloc = (destructor)Decompressor_dealloc,
    .tp_flags = Py_TPFLAGS_DEFAULT,
    .tp_doc = Decompressor_doc,
    .tp_methods = Decompressor_methods,
    .tp_new = Decompressor_new,
};

int cmzpy_part_contexts(PyObject *module) {
    if (PyType_Ready(&Compressor_type) < 0 || PyType_Ready(&Decompressor_type) < 0) return -1;
    if (PyModule_AddObjectRef(module, "Compressor", (PyObject *)&Compressor_type) < 0) return -1;
    return PyModule_AddObjectRef(module, "Decompressor", (PyObject *)&Decompressor_type);
}
