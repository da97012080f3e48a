/* The compression keywords: policy first, then explicit values over it, then checked. */
#include "ext.h"

#include <limits.h>

/* The built-in policy, made once: `type=` reads it (read-only, so shared by every thread). */
static cmz_policy *builtin_policy;

static int int_arg(PyObject *obj, const char *what, long min, long max, long *out) {
    if (!PyLong_Check(obj)) {
        PyErr_Format(PyExc_TypeError, "%s must be an int or None, not %.100s", what,
                     Py_TYPE(obj)->tp_name);
        return -1;
    }
    int overflow;
    long v = PyLong_AsLongAndOverflow(obj, &overflow);
    if (v == -1 && PyErr_Occurred()) return -1;
    if (overflow || v < min || v > max) {
        PyErr_Format(PyExc_ValueError, "%s must be between %ld and %ld, not %S", what, min, max,
                     obj);
        return -1;
    }
    *out = v;
    return 0;
}

static int given(PyObject *obj) { return obj && obj != Py_None; }

/* parity=(k, m): after every k data chunks, m Reed-Solomon parity chunks. */
static int parity_arg(PyObject *obj, cmz_params *p) {
    long k, m;
    if (!PyTuple_Check(obj) || PyTuple_GET_SIZE(obj) != 2) {
        PyErr_SetString(PyExc_TypeError,
                        "parity must be a (data_chunks, parity_chunks) tuple or None");
        return -1;
    }
    if (int_arg(PyTuple_GET_ITEM(obj, 0), "parity data chunks", 1, CMZ_PARITY_MAX, &k) < 0 ||
        int_arg(PyTuple_GET_ITEM(obj, 1), "parity chunks", 1, CMZ_PARITY_MAX, &m) < 0)
        return -1;
    p->parity_k = (unsigned)k;
    p->parity_m = (unsigned)m;
    return 0;
}

static int type_arg(PyObject *obj, cmz_params *p) {
    if (!PyUnicode_Check(obj)) {
        PyErr_Format(PyExc_TypeError, "type must be a str or None, not %.100s",
                     Py_TYPE(obj)->tp_name);
        return -1;
    }
    const char *name = PyUnicode_AsUTF8(obj);
    if (!name) return -1;
    cmz_status st = cmz_policy_apply(builtin_policy, name, p);
    if (st != CMZ_OK) {
        cmzpy_raise_ctx(st, NULL, "type");
        return -1;
    }
    return 0;
}

int cmzpy_options_parse(cmzpy_options *o, PyObject *algorithm, PyObject *level, PyObject *threads,
                        PyObject *chunk_size, PyObject *filter, PyObject *typesize,
                        PyObject *parity, PyObject *type) {
    cmz_params *p = &o->params;
    *p = cmz_params_default();
    o->typesize_given = 0;
    long v;
    if (given(type) && type_arg(type, p) < 0) return -1;
    if (given(algorithm)) {
        const cmz_codec *codec;
        if (cmzpy_codec_arg(algorithm, &codec) < 0) return -1;
        p->codec = cmz_codec_id_of(codec);
        /* A level chosen by the policy belongs to its codec. */
        if (!given(level)) p->level = CMZ_LEVEL_DEFAULT;
    }
    if (given(level)) {
        if (int_arg(level, "level", -999, 999, &v) < 0) return -1;
        p->level = (int)v;
    }
    if (given(threads)) {
        if (int_arg(threads, "threads", 0, 1024, &v) < 0) return -1;
        p->threads = (unsigned)v;
    }
    if (given(chunk_size)) {
        if (int_arg(chunk_size, "chunk_size", CMZ_CHUNK_SIZE_MIN, CMZ_CHUNK_SIZE_MAX, &v) < 0)
            return -1;
        p->chunk_size = (uint32_t)v;
    }
    if (given(filter) && cmzpy_filter_arg(filter, &p->filter) < 0) return -1;
    if (given(typesize)) {
        if (int_arg(typesize, "typesize", 1, 255, &v) < 0) return -1;
        p->typesize = (unsigned)v;
        o->typesize_given = 1;
    }
    if (given(parity) && parity_arg(parity, p) < 0) return -1;
    /* A filter without a typesize takes the data's itemsize at each call: check the rest
     * now, the typesize then. */
    cmz_params check = *p;
    if (check.typesize == 0 && check.filter != CMZ_FILTER_NONE && check.filter != CMZ_FILTER_AUTO)
        check.typesize = 4;
    cmz_error err;
    cmz_error_clear(&err);
    cmz_status st = cmz_params_resolve(&check, &o->resolved, &err);
    if (st != CMZ_OK) {
        cmzpy_raise(st, &err);
        return -1;
    }
    o->resolved.typesize = p->typesize; /* 0: the data's itemsize, at each call */
    return 0;
}

unsigned cmzpy_options_typesize(const cmzpy_options *o, const Py_buffer *view) {
    const cmz_params *p = &o->params;
    if (o->typesize_given) return p->typesize;
    unsigned item = cmzpy_buffer_typesize(view);
    if (item != 2 && item != 4 && item != 8) return p->typesize;
    if (p->filter != CMZ_FILTER_NONE) return item;
    if (cmz_codec_takes_typesize(cmz_codec_by_id(p->codec))) return item;
    return p->typesize;
}

int cmzpy_part_options(PyObject *module) {
    (void)module;
    builtin_policy = cmz_policy_new_default();
    if (!builtin_policy) {
        PyErr_NoMemory();
        return -1;
    }
    return 0;
}
