/* The buffer protocol without copies: every input and output is a C-contiguous view of the
 * caller's own memory (bytes, bytearray, memoryview, mmap, array.array, NumPy arrays). */
#include "ext.h"

#include <stdint.h>
#include <sys/mman.h>

static int get_view(PyObject *obj, Py_buffer *view, int flags, const char *what, const char *kind) {
    if (!PyObject_CheckBuffer(obj)) {
        PyErr_Format(PyExc_TypeError,
                     "%s must be a %s object supporting the buffer protocol "
                     "(bytes, bytearray, memoryview, a NumPy array...), not %.100s",
                     what, kind, Py_TYPE(obj)->tp_name);
        return -1;
    }
    if (PyObject_GetBuffer(obj, view, flags) < 0) {
        /* The exporter's own message (e.g. "ndarray is not C-contiguous") names the cause;
         * say which argument it was about. */
        PyObject *type, *value, *tb;
        PyErr_Fetch(&type, &value, &tb);
        PyErr_Format(PyExc_TypeError, "%s must be a C-contiguous %s buffer: %S", what, kind,
                     value ? value : Py_None);
        Py_XDECREF(type);
        Py_XDECREF(value);
        Py_XDECREF(tb);
        return -1;
    }
    return 0;
}

int cmzpy_buffer_in(PyObject *obj, Py_buffer *view, const char *what) {
    /* PyBUF_FORMAT|PyBUF_ND: itemsize and shape come along (the default typesize). */
    return get_view(obj, view, PyBUF_C_CONTIGUOUS | PyBUF_FORMAT, what, "bytes-like");
}

int cmzpy_buffer_out(PyObject *obj, Py_buffer *view, const char *what) {
    return get_view(obj, view, PyBUF_C_CONTIGUOUS | PyBUF_FORMAT | PyBUF_WRITABLE, what,
                    "writable bytes-like");
}

unsigned cmzpy_buffer_typesize(const Py_buffer *view) {
    if (view->itemsize >= 2 && view->itemsize <= 255) return (unsigned)view->itemsize;
    return 0;
}

PyObject *cmzpy_bytes_new(Py_ssize_t n) {
    PyObject *b = PyBytes_FromStringAndSize(NULL, n);
#ifdef MADV_HUGEPAGE
    const uintptr_t huge = (uintptr_t)2 << 20;
    if (b && n >= ((Py_ssize_t)4 << 20)) {
        uintptr_t p = (uintptr_t)PyBytes_AS_STRING(b);
        uintptr_t start = (p + huge - 1) & ~(huge - 1), end = (p + (uintptr_t)n) & ~(huge - 1);
        if (end > start) madvise((void *)start, end - start, MADV_HUGEPAGE); /* a hint */
    }
#endif
    return b;
}
