/* cmz._cmz hardware part: the stable half of include/cmz/hw.h (which backends are present,
 * which one a batch would use). The batched codec calls are experimental and not bound. */
#include "ext.h"

#include <cmz/hw.h>
#include <limits.h>

static PyObject *info_dict(const cmz_hw_info *hi) {
    return Py_BuildValue("{s:s,s:O,s:s,s:K,s:I,s:s}", "backend", cmz_backend_name(hi->backend),
                         "present", hi->present ? Py_True : Py_False, "name", hi->name, "memory",
                         (unsigned long long)hi->memory, "units", hi->units, "detail", hi->detail);
}

static PyObject *hw_list(PyObject *self, PyObject *unused) {
    (void)self;
    (void)unused;
    cmz_hw_info infos[CMZ_BACKEND_COUNT];
    size_t n;
    Py_BEGIN_ALLOW_THREADS n = cmz_hw_list(infos, CMZ_BACKEND_COUNT);
    Py_END_ALLOW_THREADS assert(n == CMZ_BACKEND_COUNT);
    PyObject *list = PyList_New(0);
    for (size_t i = 0; list && i < n; i++) {
        PyObject *d = info_dict(&infos[i]);
        if (!d || PyList_Append(list, d) < 0) Py_CLEAR(list);
        Py_XDECREF(d);
    }
    return list;
}

static int backend_arg(PyObject *obj, cmz_backend *out) {
    if (obj == Py_None) {
        *out = CMZ_BACKEND_AUTO;
        return 0;
    }
    const char *name = PyUnicode_Check(obj) ? PyUnicode_AsUTF8(obj) : NULL;
    if (!name) {
        if (!PyErr_Occurred()) PyErr_SetString(PyExc_TypeError, "backend must be a str or None");
        return -1;
    }
    cmz_error err;
    cmz_error_clear(&err);
    cmz_status st = cmz_backend_by_name(name, out, &err);
    if (st != CMZ_OK) {
        cmzpy_raise(st, &err);
        return -1;
    }
    return 0;
}

static PyObject *hw_best(PyObject *self, PyObject *args, PyObject *kwargs) {
    (void)self;
    static char *kwlist[] = {"algorithm", "level", "size", "backend", "on_device", NULL};
    PyObject *alg = Py_None, *level_obj = Py_None, *backend_obj = Py_None;
    unsigned long long size = 0;
    int on_device = 0;
    if (!PyArg_ParseTupleAndKeywords(args, kwargs, "|OOKOp:hw_best", kwlist, &alg, &level_obj,
                                     &size, &backend_obj, &on_device))
        return NULL;
    const cmz_codec *codec;
    cmz_backend wanted;
    if (cmzpy_codec_arg(alg, &codec) < 0 || backend_arg(backend_obj, &wanted) < 0) return NULL;
    int level = CMZ_LEVEL_DEFAULT;
    if (level_obj != Py_None) {
        long v = PyLong_AsLong(level_obj);
        if (v == -1 && PyErr_Occurred()) return NULL;
        if (v < INT_MIN || v > INT_MAX)
            return PyErr_Format(PyExc_ValueError, "level %ld is out of range", v);
        level = (int)v;
    }
    cmz_error err;
    cmz_error_clear(&err);
    int resolved;
    cmz_status st = cmz_codec_check_level(codec, level, &resolved, &err);
    if (st != CMZ_OK) return cmzpy_raise(st, &err);
    cmz_hw_choice c;
    Py_BEGIN_ALLOW_THREADS c = cmz_hw_best(wanted, (int)cmz_codec_id_of(codec), resolved, size,
                                           on_device ? CMZ_DATA_DEVICE : CMZ_DATA_HOST);
    Py_END_ALLOW_THREADS return Py_BuildValue(
        "{s:s,s:s,s:s,s:s,s:i}", "asked", cmz_backend_name(c.asked), "backend",
        cmz_backend_name(c.backend), "reason", c.reason, "algorithm", cmz_codec_name(codec),
        "level", resolved);
}

static PyMethodDef hw_methods[] = {
    {"hw_list", hw_list, METH_NOARGS,
     "hw_list() -> list[dict]\n\nThe backends (cpu, cuda, qat) in that order, each a dict with\n"
     "backend, present (usable now), name (the device), memory (bytes, 0 unknown), units\n"
     "(cores or multiprocessors, 0 unknown) and detail (what it offers, or why it is absent)."},
    {"hw_best", (PyCFunction)(void (*)(void))hw_best, METH_VARARGS | METH_KEYWORDS,
     "hw_best(algorithm=None, level=None, size=0, backend=None, on_device=False) -> dict\n\n"
     "The backend that would code a batch of `size` bytes with this codec and level:\n"
     "a dict with asked, backend (what runs: never 'auto'), reason (why), algorithm and level\n"
     "(resolved). backend None or 'auto' lets cmz choose; CMZ_BACKEND in the environment\n"
     "overrides the wish. A backend that is absent or cannot run the codec gives 'cpu'."},
    {NULL, NULL, 0, NULL},
};

int cmzpy_part_hw(PyObject *module) { return PyModule_AddFunctions(module, hw_methods); }
