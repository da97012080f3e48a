/* What a frame says about itself (info), and what this build has (codecs, filters,
 * versions). */
#include "ext.h"

/* Not PyDict_SetItemString: it interns the key, and keys that die with the dict leave
 * dead slots in the interpreter's interned table, which a hot call grows again and again. */
static int put(PyObject *d, const char *key, PyObject *value) {
    if (!value) return -1;
    PyObject *k = PyUnicode_FromString(key);
    int r = k ? PyDict_SetItem(d, k, value) : -1;
    Py_XDECREF(k);
    Py_DECREF(value);
    return r;
}

static PyObject *info_dict(const cmz_frame_info *fi) {
    PyObject *d = PyDict_New();
    if (!d) return NULL;
    const cmz_codec *codec = cmz_codec_by_id(fi->codec);
    PyObject *parity = fi->parity_k
                           ? Py_BuildValue("(II)", (unsigned)fi->parity_k, (unsigned)fi->parity_m)
                           : Py_NewRef(Py_None);
    /* put() consumes its value only when it is reached: parity's own reference is dropped
     * below, whichever put failed */
    if (put(d, "version", PyLong_FromUnsignedLong(fi->version)) < 0 ||
        put(d, "algorithm", PyUnicode_FromString(codec ? cmz_codec_name(codec) : "unknown")) < 0 ||
        put(d, "codec_id", PyLong_FromLong((long)fi->codec)) < 0 ||
        put(d, "level", PyLong_FromLong(fi->level)) < 0 ||
        put(d, "filter", PyUnicode_FromString(cmz_filter_name(fi->filter))) < 0 ||
        put(d, "typesize", PyLong_FromUnsignedLong(fi->typesize)) < 0 ||
        put(d, "chunk_size", PyLong_FromUnsignedLong(fi->chunk_size)) < 0 ||
        put(d, "parity", parity ? Py_NewRef(parity) : NULL) < 0 ||
        put(d, "content_size", PyLong_FromUnsignedLongLong(fi->content_size)) < 0 ||
        put(d, "chunk_count", PyLong_FromUnsignedLongLong(fi->chunk_count)) < 0 ||
        put(d, "frame_size", PyLong_FromUnsignedLongLong(fi->frame_size)) < 0 ||
        put(d, "payload_bytes", PyLong_FromUnsignedLongLong(fi->payload_bytes)) < 0 ||
        put(d, "stored_chunks", PyLong_FromUnsignedLongLong(fi->stored_chunks)) < 0 ||
        put(d, "zero_chunks", PyLong_FromUnsignedLongLong(fi->zero_chunks)) < 0 ||
        put(d, "flags", PyLong_FromUnsignedLong(fi->flags)) < 0) {
        Py_XDECREF(parity);
        Py_DECREF(d);
        return NULL;
    }
    Py_DECREF(parity);
    return d;
}

PyDoc_STRVAR(
    info_doc,
    "info(frame, /)\n"
    "--\n\n"
    "What a .cmz frame says about itself, from its header, index and footer (no chunk is\n"
    "decoded): version, algorithm, codec_id, level, filter, typesize, chunk_size, parity\n"
    "((k, m) or None), content_size, chunk_count, frame_size, payload_bytes, stored_chunks,\n"
    "zero_chunks, flags. Raises NotAFrameError, TruncatedError, CorruptError as decompress.");

static PyObject *py_info(PyObject *self, PyObject *frame) {
    (void)self;
    Py_buffer in;
    if (cmzpy_buffer_in(frame, &in, "frame") < 0) return NULL;
    cmz_frame_info fi;
    int r = cmzpy_frame_info(&in, &fi, "info");
    PyBuffer_Release(&in);
    if (r < 0) return NULL;
    return info_dict(&fi);
}

PyDoc_STRVAR(codecs_doc,
             "codecs()\n"
             "--\n\n"
             "The codecs compiled into this build, in id order (names for algorithm=).");

static PyObject *py_codecs(PyObject *self, PyObject *unused) {
    (void)self;
    (void)unused;
    size_t n;
    const cmz_codec *const *list = cmz_codec_list(&n);
    PyObject *res = PyList_New((Py_ssize_t)n);
    if (!res) return NULL;
    for (size_t i = 0; i < n; i++) {
        PyObject *name = PyUnicode_FromString(cmz_codec_name(list[i]));
        if (!name) {
            Py_DECREF(res);
            return NULL;
        }
        PyList_SET_ITEM(res, (Py_ssize_t)i, name);
    }
    return res;
}

PyDoc_STRVAR(default_codec_doc,
             "default_codec()\n"
             "--\n\n"
             "The codec used when none is named (algorithm=None): zstd where this build has it,\n"
             "else the build's first of lz4, gzip, 'none' (cmz_codec_default).");

static PyObject *py_default_codec(PyObject *self, PyObject *unused) {
    (void)self;
    (void)unused;
    return PyUnicode_FromString(cmz_codec_name(cmz_codec_default()));
}

PyDoc_STRVAR(filters_doc,
             "filters()\n"
             "--\n\n"
             "The filter names for filter= ('none', 'shuffle', ...); 'auto' also works there.");

static PyObject *py_filters(PyObject *self, PyObject *unused) {
    (void)self;
    (void)unused;
    PyObject *res = PyList_New(CMZ_FILTER_ID_MAX + 1);
    if (!res) return NULL;
    for (int i = 0; i <= CMZ_FILTER_ID_MAX; i++) {
        PyObject *name = PyUnicode_FromString(cmz_filter_name(i));
        if (!name) {
            Py_DECREF(res);
            return NULL;
        }
        PyList_SET_ITEM(res, i, name);
    }
    return res;
}

static PyMethodDef methods[] = {
    {"info", py_info, METH_O, info_doc},
    {"codecs", py_codecs, METH_NOARGS, codecs_doc},
    {"default_codec", py_default_codec, METH_NOARGS, default_codec_doc},
    {"filters", py_filters, METH_NOARGS, filters_doc},
    {NULL, NULL, 0, NULL},
};

int cmzpy_part_frame(PyObject *module) {
    if (PyModule_AddFunctions(module, methods) < 0) return -1;
    if (PyModule_AddStringConstant(module, "library_version", cmz_version()) < 0) return -1;
    return PyModule_AddIntConstant(module, "CHUNK_SIZE_MAX", CMZ_CHUNK_SIZE_MAX);
}
