/* The exception classes and the map from cmz_status to them (ext.h lists the map). */
#include "ext.h"

#include <limits.h>

PyObject *cmzpy_Error, *cmzpy_ArgumentError, *cmzpy_UnknownCodecError, *cmzpy_CodecError,
    *cmzpy_CorruptError, *cmzpy_TruncatedError, *cmzpy_NotAFrameError, *cmzpy_UnsupportedError,
    *cmzpy_LimitError, *cmzpy_OutOfMemoryError, *cmzpy_FileError, *cmzpy_InterruptedError,
    *cmzpy_NotFoundError, *cmzpy_ExistsError, *cmzpy_BusyError, *cmzpy_PolicyError;

typedef struct {
    PyObject **slot;
    const char *name;      /* without the module prefix */
    PyObject **base;       /* the cmz base class */
    PyObject **extra_base; /* a builtin it also derives from, or NULL */
    const char *doc;
} class_def;

static PyObject *builtin_ValueError, *builtin_MemoryError, *builtin_OSError, *builtin_LookupError;

/* Bases come before the classes that derive from them. */
static const class_def classes[] = {
    {&cmzpy_Error, "Error", NULL, NULL,
     "Base class of every error libcmz reports.\n\n"
     "Attributes: status (the library's status name, e.g. 'CMZ_ERR_CORRUPT'), chunk and\n"
     "offset (the chunk number and byte offset where it failed, or None)."},
    {&cmzpy_ArgumentError, "ArgumentError", &cmzpy_Error, &builtin_ValueError,
     "An argument the library refused: a level out of range, a bad chunk size, filter or\n"
     "typesize, a range past the data, an output buffer too small."},
    {&cmzpy_UnknownCodecError, "UnknownCodecError", &cmzpy_Error, &builtin_ValueError,
     "A codec that cmz does not know, or that this build was compiled without."},
    {&cmzpy_CodecError, "CodecError", &cmzpy_Error, NULL,
     "The codec library failed on data that cmz handed it."},
    {&cmzpy_CorruptError, "CorruptError", &cmzpy_Error, NULL,
     "Damaged data: a checksum mismatch or a malformed frame.\n\n"
     ".chunk and .offset say where the damage is when it is known."},
    {&cmzpy_TruncatedError, "TruncatedError", &cmzpy_CorruptError, NULL,
     "The frame ends before its end: it was cut short."},
    {&cmzpy_NotAFrameError, "NotAFrameError", &cmzpy_CorruptError, NULL,
     "The input is not a .cmz frame (its magic number is wrong)."},
    {&cmzpy_UnsupportedError, "UnsupportedError", &cmzpy_Error, NULL,
     "A frame format version or feature that this library does not support."},
    {&cmzpy_LimitError, "LimitError", &cmzpy_Error, NULL,
     "The frame needs more memory to decode than the memory limit allows."},
    {&cmzpy_OutOfMemoryError, "OutOfMemoryError", &cmzpy_Error, &builtin_MemoryError,
     "libcmz ran out of memory."},
    {&cmzpy_FileError, "FileError", &cmzpy_Error, &builtin_OSError,
     "An I/O error reported by libcmz."},
    {&cmzpy_InterruptedError, "InterruptedError", &cmzpy_Error, NULL,
     "The call was stopped by its interrupt flag. A Ctrl-C during a call raises\n"
     "KeyboardInterrupt instead."},
    {&cmzpy_NotFoundError, "NotFoundError", &cmzpy_Error, &builtin_LookupError,
     "No such resource."},
    {&cmzpy_ExistsError, "ExistsError", &cmzpy_Error, NULL, "The resource already exists."},
    {&cmzpy_BusyError, "BusyError", &cmzpy_Error, NULL, "The resource is in use (pinned)."},
    {&cmzpy_PolicyError, "PolicyError", &cmzpy_Error, &builtin_ValueError,
     "A policy file or setting is invalid.\n\n"
     "Attributes: file, line, col (where the first problem is; None when unknown)."},
};

PyObject *cmzpy_error_class(cmz_status st) {
    switch (st) {
    case CMZ_ERR_INVALID_ARG:
    case CMZ_ERR_LEVEL_RANGE:
    case CMZ_ERR_RANGE:
    case CMZ_ERR_DST_TOO_SMALL: return cmzpy_ArgumentError;
    case CMZ_ERR_UNKNOWN_CODEC:
    case CMZ_ERR_CODEC_DISABLED: return cmzpy_UnknownCodecError;
    case CMZ_ERR_CODEC: return cmzpy_CodecError;
    case CMZ_ERR_CORRUPT:
    case CMZ_ERR_CHECKSUM: return cmzpy_CorruptError;
    case CMZ_ERR_TRUNCATED: return cmzpy_TruncatedError;
    case CMZ_ERR_BAD_MAGIC: return cmzpy_NotAFrameError;
    case CMZ_ERR_VERSION:
    case CMZ_ERR_UNSUPPORTED: return cmzpy_UnsupportedError;
    case CMZ_ERR_LIMIT: return cmzpy_LimitError;
    case CMZ_ERR_NOMEM: return cmzpy_OutOfMemoryError;
    case CMZ_ERR_IO: return cmzpy_FileError;
    case CMZ_ERR_INTERRUPTED: return cmzpy_InterruptedError;
    case CMZ_ERR_NOT_FOUND: return cmzpy_NotFoundError;
    case CMZ_ERR_EXISTS: return cmzpy_ExistsError;
    case CMZ_ERR_BUSY: return cmzpy_BusyError;
    default: return cmzpy_Error;
    }
}

static PyObject *position(uint64_t v) {
    if (v == CMZ_NO_POSITION) Py_RETURN_NONE;
    return PyLong_FromUnsignedLongLong(v);
}

static int set_attr(PyObject *exc, const char *name, PyObject *value) {
    if (!value) return -1;
    int r = PyObject_SetAttrString(exc, name, value);
    Py_DECREF(value);
    return r;
}

/* Raises cls(message) with .status, .chunk and .offset set. */
static PyObject *raise_with(PyObject *cls, cmz_status st, const char *message, uint64_t chunk,
                            uint64_t offset) {
    PyObject *exc = PyObject_CallFunction(cls, "s", message);
    if (!exc) return NULL;
    if (set_attr(exc, "status", PyUnicode_FromString(cmz_status_name(st))) < 0 ||
        set_attr(exc, "chunk", position(chunk)) < 0 ||
        set_attr(exc, "offset", position(offset)) < 0) {
        Py_DECREF(exc);
        return NULL;
    }
    PyErr_SetObject(cls, exc);
    Py_DECREF(exc);
    return NULL;
}

PyObject *cmzpy_raise_ctx(cmz_status st, const cmz_error *err, const char *context) {
    assert(st != CMZ_OK);
    int detailed = err && err->status == st && err->message[0];
    const char *text = detailed ? err->message : cmz_strerror(st);
    uint64_t chunk = detailed ? err->chunk : CMZ_NO_POSITION;
    uint64_t offset = detailed ? err->offset : CMZ_NO_POSITION;
    PyObject *msg =
        context ? PyUnicode_FromFormat("%s: %s", context, text) : PyUnicode_FromString(text);
    if (!msg) return NULL;
    const char *utf8 = PyUnicode_AsUTF8(msg);
    PyObject *r = utf8 ? raise_with(cmzpy_error_class(st), st, utf8, chunk, offset) : NULL;
    Py_DECREF(msg);
    return r;
}

PyObject *cmzpy_raise(cmz_status st, const cmz_error *err) {
    return cmzpy_raise_ctx(st, err, NULL);
}

PyObject *cmzpy_raise_policy(cmz_status st, const char *message, const char *file, unsigned line,
                             unsigned col) {
    PyObject *exc = PyObject_CallFunction(cmzpy_PolicyError, "s", message);
    if (!exc) return NULL;
    /* Each value is made only when its set_attr is reached (which consumes it). A file name
     * is bytes: decoded as os.fsdecode does, so that any name can be reported. */
    if (set_attr(exc, "status", PyUnicode_FromString(cmz_status_name(st))) < 0 ||
        set_attr(exc, "chunk", Py_NewRef(Py_None)) < 0 ||
        set_attr(exc, "offset", Py_NewRef(Py_None)) < 0 ||
        set_attr(exc, "file", file ? PyUnicode_DecodeFSDefault(file) : Py_NewRef(Py_None)) < 0 ||
        set_attr(exc, "line", line ? PyLong_FromUnsignedLong(line) : Py_NewRef(Py_None)) < 0 ||
        set_attr(exc, "col", col ? PyLong_FromUnsignedLong(col) : Py_NewRef(Py_None)) < 0) {
        Py_DECREF(exc);
        return NULL;
    }
    PyErr_SetObject(cmzpy_PolicyError, exc);
    Py_DECREF(exc);
    return NULL;
}

/* Class-level defaults, so that an instance made by Python code (raise cmz.CorruptError("x"))
 * has the attributes too. */
static int class_defaults(PyObject *cls, int policy) {
    const char *names[] = {"status", "chunk", "offset", "file", "line", "col"};
    size_t n = policy ? 6 : 3;
    for (size_t i = 0; i < n; i++)
        if (PyObject_SetAttrString(cls, names[i], Py_None) < 0) return -1;
    return 0;
}

PyDoc_STRVAR(error_class_doc, "_error_class(status, /)\n--\n\n"
                              "The exception class a cmz_status value maps to (for tests).");

static PyObject *py_error_class(PyObject *self, PyObject *arg) {
    (void)self;
    long v = PyLong_AsLong(arg);
    if (v == -1 && PyErr_Occurred()) return NULL;
    if (v >= 0 || v < INT_MIN) return PyErr_Format(PyExc_ValueError, "not an error status: %ld", v);
    return Py_NewRef(cmzpy_error_class((cmz_status)v));
}

static PyMethodDef methods[] = {
    {"_error_class", py_error_class, METH_O, error_class_doc},
    {NULL, NULL, 0, NULL},
};

int cmzpy_part_errors(PyObject *module) {
    if (PyModule_AddFunctions(module, methods) < 0) return -1;
    builtin_ValueError = PyExc_ValueError;
    builtin_MemoryError = PyExc_MemoryError;
    builtin_OSError = PyExc_OSError;
    builtin_LookupError = PyExc_LookupError;
    for (size_t i = 0; i < sizeof classes / sizeof classes[0]; i++) {
        const class_def *c = &classes[i];
        char qualified[64];
        PyOS_snprintf(qualified, sizeof qualified, "cmz.%s", c->name);
        PyObject *base = c->base ? *c->base : PyExc_Exception;
        PyObject *bases = c->extra_base ? PyTuple_Pack(2, base, *c->extra_base) : Py_NewRef(base);
        if (!bases) return -1;
        PyObject *cls = PyErr_NewExceptionWithDoc(qualified, c->doc, bases, NULL);
        Py_DECREF(bases);
        if (!cls) return -1;
        if (class_defaults(cls, c->slot == &cmzpy_PolicyError) < 0 ||
            PyModule_AddObjectRef(module, c->name, cls) < 0) {
            Py_DECREF(cls);
            return -1;
        }
        *c->slot = cls; /* the module's reference keeps it; one module per process */
    }
    return 0;
}
