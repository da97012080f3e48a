/* Argument parsing shared by the core calls: codec and filter names. */
#include "ext.h"

static const char *str_arg(PyObject *obj, const char *what) {
    if (!PyUnicode_Check(obj)) {
        PyErr_Format(PyExc_TypeError, "%s must be a str or None, not %.100s", what,
                     Py_TYPE(obj)->tp_name);
        return NULL;
    }
    return PyUnicode_AsUTF8(obj);
}

int cmzpy_codec_arg(PyObject *obj, const cmz_codec **out) {
    if (!obj || obj == Py_None) {
        *out = cmz_codec_default();
        return 0;
    }
    const char *name = str_arg(obj, "algorithm");
    if (!name) return -1;
    cmz_error err;
    cmz_error_clear(&err);
    cmz_status st = cmz_codec_by_name(name, out, &err);
    if (st != CMZ_OK) {
        cmzpy_raise(st, &err);
        return -1;
    }
    return 0;
}

int cmzpy_filter_arg(PyObject *obj, int *out) {
    if (!obj || obj == Py_None) {
        *out = CMZ_FILTER_NONE;
        return 0;
    }
    const char *name = str_arg(obj, "filter");
    if (!name) return -1;
    if (PyOS_stricmp(name, "auto") == 0) {
        *out = CMZ_FILTER_AUTO;
        return 0;
    }
    cmz_error err;
    cmz_error_clear(&err);
    cmz_status st = cmz_filter_by_name(name, out, &err);
    if (st != CMZ_OK) {
        cmzpy_raise(st, &err);
        return -1;
    }
    return 0;
}

int cmzpy_u64_arg(PyObject *obj, const char *what, uint64_t *out) {
    /* any integer (__index__: NumPy's too), as the "K" format this replaces took */
    PyObject *index = PyLong_Check(obj) ? Py_NewRef(obj) : PyNumber_Index(obj);
    if (!index) {
        PyErr_Format(PyExc_TypeError, "%s must be an int, not %.100s", what, Py_TYPE(obj)->tp_name);
        return -1;
    }
    unsigned long long v = PyLong_AsUnsignedLongLong(index);
    Py_DECREF(index);
    if (v == (unsigned long long)-1 && PyErr_Occurred()) {
        if (PyErr_ExceptionMatches(PyExc_OverflowError)) {
            PyErr_Clear();
            PyErr_Format(PyExc_ValueError, "%s must be between 0 and 2**64-1, not %S", what, obj);
        }
        return -1;
    }
    *out = v;
    return 0;
}

int cmzpy_threads_arg(PyObject *obj, unsigned *out) {
    *out = 0;
    if (!obj || obj == Py_None) return 0;
    long v = PyLong_AsLong(obj);
    if (v == -1 && PyErr_Occurred()) return -1;
    if (v < 0 || v > 1024) {
        PyErr_Format(PyExc_ValueError, "threads must be between 0 and 1024, not %ld", v);
        return -1;
    }
    *out = (unsigned)v;
    return 0;
}

int cmzpy_limit_arg(PyObject *obj, uint64_t *out) {
    *out = 0;
    if (!obj || obj == Py_None) return 0;
    return cmzpy_u64_arg(obj, "memory_limit", out);
}
