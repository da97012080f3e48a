/* cmz._cmz registry part: the resource calls of _Registry and the _Pin type. Every call
 * that takes the registry's lock runs with the GIL released (registry.c says why). */
#include "registry.h"

#include <stdlib.h>
#include <string.h>

/* Parses the single id argument of most calls. Returns the registry or NULL. */
static cmz_registry *id_call(cmzpy_registry *self, PyObject *arg,
                             char id[CMZ_REGISTRY_ID_MAX + 1]) {
    cmz_registry *reg = cmzpy_registry_get(self);
    if (!reg || cmzpy_registry_id(arg, id) < 0) return NULL;
    return reg;
}

/* The parts (a sequence of buffers) copied into one malloc'd block: one copy, which the
 * registry adopts. NULL with an exception set. */
static void *join_parts(PyObject *parts, size_t *size) {
    PyObject *seq = PySequence_Fast(parts, "parts must be a sequence of buffers");
    if (!seq) return NULL;
    Py_ssize_t n = PySequence_Fast_GET_SIZE(seq);
    Py_buffer *views = PyMem_Calloc((size_t)n + 1, sizeof *views);
    Py_ssize_t got = 0;
    size_t total = 0;
    unsigned char *block = NULL;
    if (!views) {
        PyErr_NoMemory();
        goto done;
    }
    for (; got < n; got++) {
        if (cmzpy_buffer_in(PySequence_Fast_GET_ITEM(seq, got), &views[got], "part") < 0) goto done;
        total += (size_t)views[got].len;
    }
    block = malloc(total ? total : 1);
    if (!block) {
        PyErr_NoMemory();
        goto done;
    }
    Py_BEGIN_ALLOW_THREADS size_t at = 0;
    for (Py_ssize_t i = 0; i < n; i++) {
        memcpy(block + at, views[i].buf, (size_t)views[i].len);
        at += (size_t)views[i].len;
    }
    Py_END_ALLOW_THREADS *size = total;
done:
    for (Py_ssize_t i = 0; i < got; i++) PyBuffer_Release(&views[i]);
    PyMem_Free(views);
    Py_DECREF(seq);
    return block;
}

static PyObject *put_parts(cmzpy_registry *self, PyObject *args, int replace) {
    PyObject *id_obj, *parts;
    char id[CMZ_REGISTRY_ID_MAX + 1];
    if (!PyArg_ParseTuple(args, "OO", &id_obj, &parts)) return NULL;
    if (!id_call(self, id_obj, id)) return NULL;
    size_t size = 0;
    void *block = join_parts(parts, &size);
    if (!block) return NULL;
    /* looked up again: joining the parts ran Python code (their exporters), which may have
     * closed the registry */
    cmz_registry *reg = cmzpy_registry_get(self);
    if (!reg) {
        free(block);
        return NULL;
    }
    cmz_error err;
    cmz_status st;
    CMZPY_REGISTRY_CALL(
        self, st = replace ? cmz_registry_replace(reg, id, block, size, CMZ_REGISTER_ADOPT, &err)
                           : cmz_registry_add(reg, id, block, size, CMZ_REGISTER_ADOPT, &err));
    if (st != CMZ_OK) {
        free(block); /* still ours on any error */
        return cmzpy_registry_raise(st, &err, replace ? "replace" : "add", id);
    }
    Py_RETURN_NONE;
}

PyDoc_STRVAR(add_doc, "add(id, parts)\n--\n\n"
                      "Registers the buffers in `parts`, joined (one copy), under id.");
static PyObject *reg_add(cmzpy_registry *self, PyObject *args) { return put_parts(self, args, 0); }

PyDoc_STRVAR(replace_doc, "replace(id, parts)\n--\n\nReplaces id's bytes by the joined parts.");
static PyObject *reg_replace(cmzpy_registry *self, PyObject *args) {
    return put_parts(self, args, 1);
}

typedef cmz_status (*id_fn)(cmz_registry *, const char *, cmz_error *);

static PyObject *simple_call(cmzpy_registry *self, PyObject *arg, id_fn fn, const char *what) {
    char id[CMZ_REGISTRY_ID_MAX + 1];
    cmz_registry *reg = id_call(self, arg, id);
    if (!reg) return NULL;
    cmz_error err;
    cmz_status st;
    CMZPY_REGISTRY_CALL(self, st = fn(reg, id, &err));
    if (st != CMZ_OK) return cmzpy_registry_raise(st, &err, what, id);
    Py_RETURN_NONE;
}

PyDoc_STRVAR(remove_doc, "remove(id)\n--\n\nForgets id and frees its memory.");
static PyObject *reg_remove(cmzpy_registry *self, PyObject *arg) {
    return simple_call(self, arg, cmz_registry_remove, "remove");
}
PyDoc_STRVAR(release_doc, "release(id)\n--\n\nReleases id now, as the reaper would.");
static PyObject *reg_release(cmzpy_registry *self, PyObject *arg) {
    return simple_call(self, arg, cmz_registry_release, "release");
}
PyDoc_STRVAR(compress_doc, "compress(id)\n--\n\nCompresses id now by its type's policy.");
static PyObject *reg_compress(cmzpy_registry *self, PyObject *arg) {
    return simple_call(self, arg, cmz_registry_compress, "compress");
}

PyDoc_STRVAR(contains_doc, "contains(id)\n--\n\nWhether id is registered.");
static PyObject *reg_contains(cmzpy_registry *self, PyObject *arg) {
    char id[CMZ_REGISTRY_ID_MAX + 1];
    cmz_registry *reg = id_call(self, arg, id);
    if (!reg) return NULL;
    bool has;
    CMZPY_REGISTRY_CALL(self, has = cmz_registry_contains(reg, id));
    return PyBool_FromLong(has);
}

PyDoc_STRVAR(size_doc, "size(id)\n--\n\nThe raw size of id in bytes.");
static PyObject *reg_size(cmzpy_registry *self, PyObject *arg) {
    char id[CMZ_REGISTRY_ID_MAX + 1];
    cmz_registry *reg = id_call(self, arg, id);
    if (!reg) return NULL;
    uint64_t size;
    cmz_error err;
    cmz_status st;
    CMZPY_REGISTRY_CALL(self, st = cmz_registry_size(reg, id, &size, &err));
    if (st != CMZ_OK) return cmzpy_registry_raise(st, &err, "size", id);
    return PyLong_FromUnsignedLongLong(size);
}

PyDoc_STRVAR(get_into_doc, "get_into(id, out)\n--\n\n"
                           "Copies id's raw bytes into the writable buffer out (decoding\n"
                           "straight into it when stored compressed); returns their size.");
static PyObject *reg_get_into(cmzpy_registry *self, PyObject *args) {
    PyObject *id_obj, *out;
    char id[CMZ_REGISTRY_ID_MAX + 1];
    if (!PyArg_ParseTuple(args, "OO", &id_obj, &out)) return NULL;
    Py_buffer view; /* first: its exporter runs Python code, which may close the registry */
    if (cmzpy_buffer_out(out, &view, "out") < 0) return NULL;
    cmz_registry *reg = id_call(self, id_obj, id);
    if (!reg) {
        PyBuffer_Release(&view);
        return NULL;
    }
    size_t size = 0;
    cmz_error err;
    cmz_status st;
    CMZPY_REGISTRY_CALL(self,
                        st = cmz_registry_get(reg, id, view.buf, (size_t)view.len, &size, &err));
    PyBuffer_Release(&view);
    if (st != CMZ_OK) return cmzpy_registry_raise(st, &err, "get", id);
    return PyLong_FromSize_t(size);
}

PyDoc_STRVAR(read_into_doc, "read_into(id, offset, out)\n--\n\n"
                            "Raw bytes [offset, offset+len(out)) of id into the writable buffer\n"
                            "out, decoding only their chunks.");
static PyObject *reg_read_into(cmzpy_registry *self, PyObject *args) {
    PyObject *id_obj, *out;
    unsigned long long offset;
    char id[CMZ_REGISTRY_ID_MAX + 1];
    if (!PyArg_ParseTuple(args, "OKO", &id_obj, &offset, &out)) return NULL;
    Py_buffer view; /* first, as in get_into */
    if (cmzpy_buffer_out(out, &view, "out") < 0) return NULL;
    cmz_registry *reg = id_call(self, id_obj, id);
    if (!reg) {
        PyBuffer_Release(&view);
        return NULL;
    }
    cmz_error err;
    cmz_status st;
    CMZPY_REGISTRY_CALL(
        self, st = cmz_registry_read_range(reg, id, offset, (size_t)view.len, view.buf, &err));
    PyBuffer_Release(&view);
    if (st != CMZ_OK) return cmzpy_registry_raise(st, &err, "read", id);
    Py_RETURN_NONE;
}

PyDoc_STRVAR(read_range_doc, "read_range(id, offset, length)\n--\n\n"
                             "Raw bytes [offset, offset+length) of id, decoding only their "
                             "chunks.");
static PyObject *reg_read_range(cmzpy_registry *self, PyObject *args) {
    PyObject *id_obj;
    unsigned long long offset;
    Py_ssize_t length;
    char id[CMZ_REGISTRY_ID_MAX + 1];
    if (!PyArg_ParseTuple(args, "OKn", &id_obj, &offset, &length)) return NULL;
    if (length < 0) return PyErr_Format(PyExc_ValueError, "length must be >= 0");
    PyObject *out = cmzpy_bytes_new(length);
    if (!out) return NULL;
    /* after the allocation, which may run the gc and so any finalizer (even a close) */
    cmz_registry *reg = id_call(self, id_obj, id);
    if (!reg) {
        Py_DECREF(out);
        return NULL;
    }
    cmz_error err;
    cmz_status st;
    char *dst = PyBytes_AS_STRING(out);
    CMZPY_REGISTRY_CALL(self,
                        st = cmz_registry_read_range(reg, id, offset, (size_t)length, dst, &err));
    if (st != CMZ_OK) {
        Py_DECREF(out);
        return cmzpy_registry_raise(st, &err, "read_range", id);
    }
    return out;
}

PyDoc_STRVAR(check_doc, "check()\n--\n\n"
                        "Checks the usage now and lets the reaper act; returns the level found\n"
                        "('none', 'warning' or 'emergency').");
static PyObject *reg_check(cmzpy_registry *self, PyObject *unused) {
    (void)unused;
    static const char *const names[] = {"none", "warning", "emergency"};
    cmz_registry *reg = cmzpy_registry_get(self);
    if (!reg) return NULL;
    cmz_pressure level = CMZ_PRESSURE_NONE;
    cmz_error err;
    cmz_status st;
    CMZPY_REGISTRY_CALL(self, st = cmz_registry_check(reg, &level, &err));
    if (st != CMZ_OK) return cmzpy_raise_ctx(st, &err, "check");
    assert(level <= CMZ_PRESSURE_EMERGENCY);
    return PyUnicode_FromString(names[level]);
}

PyDoc_STRVAR(reap_doc, "reap(nbytes)\n--\n\n"
                       "Asks the reaper for nbytes: compresses, then releases; returns the\n"
                       "bytes given back.");
static PyObject *reg_reap(cmzpy_registry *self, PyObject *arg) {
    cmz_registry *reg = cmzpy_registry_get(self);
    uint64_t want, freed = 0;
    if (!reg || cmzpy_u64_arg(arg, "nbytes", &want) < 0) return NULL;
    cmz_error err;
    cmz_status st;
    CMZPY_REGISTRY_CALL(self, st = cmz_registry_reap(reg, want, &freed, &err));
    if (st != CMZ_OK) return cmzpy_raise_ctx(st, &err, "reap");
    return PyLong_FromUnsignedLongLong(freed);
}

PyDoc_STRVAR(memory_doc, "memory()\n--\n\nThe pair (usage, budget) in bytes.");
static PyObject *reg_memory(cmzpy_registry *self, PyObject *unused) {
    (void)unused;
    cmz_registry *reg = cmzpy_registry_get(self);
    if (!reg) return NULL;
    uint64_t usage, budget;
    CMZPY_REGISTRY_CALL(self, usage = cmz_registry_usage(reg); budget = cmz_registry_budget(reg));
    return Py_BuildValue("KK", (unsigned long long)usage, (unsigned long long)budget);
}

static PyObject *type_stats(const cmz_registry_type_stats *s) {
    return Py_BuildValue(
        "{s:s,s:K,s:K,s:K,s:K,s:K,s:K,s:d,s:d}", "type", s->type, "resources",
        (unsigned long long)s->resources, "raw_bytes", (unsigned long long)s->raw_bytes,
        "stored_bytes", (unsigned long long)s->stored_bytes, "compressed",
        (unsigned long long)s->compressed, "released", (unsigned long long)s->released, "restored",
        (unsigned long long)s->restored, "compress_seconds", (double)s->compress_ns / 1e9,
        "decompress_seconds", (double)s->decompress_ns / 1e9);
}

PyDoc_STRVAR(stats_doc, "stats()\n--\n\n"
                        "{'total': {...}, 'types': {type: {...}}}: resources, raw_bytes,\n"
                        "stored_bytes, compressed, released, restored and the time spent.");
static PyObject *reg_stats(cmzpy_registry *self, PyObject *unused) {
    (void)unused;
    cmz_registry *reg; /* looked up at each try: a close() may come between them */
    cmz_registry_type_stats total, *per = NULL;
    size_t count = 0, cap = 0;
    cmz_error err;
    cmz_status st;
    for (;;) { /* types only grow: retry until they fit */
        if (!(reg = cmzpy_registry_get(self))) {
            PyMem_Free(per);
            return NULL;
        }
        CMZPY_REGISTRY_CALL(self, st = cmz_registry_stats(reg, &total, per, cap, &count, &err));
        if (st != CMZ_OK || count <= cap) break;
        PyMem_Free(per);
        cap = count + 4;
        per = PyMem_Calloc(cap, sizeof *per);
        if (!per) return PyErr_NoMemory();
    }
    PyObject *types = st == CMZ_OK ? PyDict_New() : NULL;
    for (size_t i = 0; types && i < count; i++) {
        PyObject *d = type_stats(&per[i]);
        if (!d || PyDict_SetItemString(types, per[i].type, d) < 0) Py_CLEAR(types);
        Py_XDECREF(d);
    }
    PyMem_Free(per);
    if (st != CMZ_OK) return cmzpy_raise_ctx(st, &err, "stats");
    if (!types) return NULL;
    PyObject *t = type_stats(&total);
    PyObject *r = t ? Py_BuildValue("{s:O,s:O}", "total", t, "types", types) : NULL;
    Py_XDECREF(t);
    Py_DECREF(types);
    return r;
}

PyDoc_STRVAR(report_doc, "report()\n--\n\nThe registry's printable report (a str).");
static PyObject *reg_report(cmzpy_registry *self, PyObject *unused) {
    (void)unused;
    cmz_registry *reg; /* looked up at each try: a close() may come between them */
    size_t cap = 4096, size = 0;
    for (;;) {
        if (!(reg = cmzpy_registry_get(self))) return NULL;
        char *buf = PyMem_Malloc(cap);
        if (!buf) return PyErr_NoMemory();
        cmz_error err;
        cmz_status st;
        CMZPY_REGISTRY_CALL(self, st = cmz_registry_report(reg, buf, cap, &size, &err));
        if (st == CMZ_OK) {
            PyObject *r = PyUnicode_DecodeUTF8(buf, (Py_ssize_t)size, "replace");
            PyMem_Free(buf);
            return r;
        }
        PyMem_Free(buf);
        if (st != CMZ_ERR_DST_TOO_SMALL) return cmzpy_raise_ctx(st, &err, "report");
        cap = size + 1;
    }
}

PyDoc_STRVAR(info_doc, "info(id)\n--\n\n"
                       "{'id', 'type', 'state' ('raw' or 'compressed'), 'raw_size',\n"
                       "'stored_size', 'pins', 'idle_seconds'}.");
static PyObject *reg_info(cmzpy_registry *self, PyObject *arg) {
    char id[CMZ_REGISTRY_ID_MAX + 1];
    cmz_registry *reg = id_call(self, arg, id);
    if (!reg) return NULL;
    cmz_resource_info ri;
    cmz_error err;
    cmz_status st;
    CMZPY_REGISTRY_CALL(self, st = cmz_registry_info(reg, id, &ri, &err));
    if (st != CMZ_OK) return cmzpy_registry_raise(st, &err, "info", id);
    return Py_BuildValue("{s:s,s:s,s:s,s:K,s:K,s:I,s:d}", "id", ri.id, "type", ri.type, "state",
                         ri.state == CMZ_RESOURCE_COMPRESSED ? "compressed" : "raw", "raw_size",
                         (unsigned long long)ri.raw_size, "stored_size",
                         (unsigned long long)ri.stored_size, "pins", ri.pins, "idle_seconds",
                         ri.idle_seconds);
}

/* ---- _Pin: the raw bytes kept resident while the object (or a view of it) lives ---- */

typedef struct {
    PyObject_HEAD cmzpy_registry *owner; /* NULL once unpinned */
    char id[CMZ_REGISTRY_ID_MAX + 1];
    const void *data;
    size_t size;
    Py_ssize_t exports;
} cmzpy_pin;

PyDoc_STRVAR(pin_doc, "pin(id)\n--\n\n"
                      "Pins id's raw bytes: a _Pin exporting them read-only (buffer\n"
                      "protocol) until its release() or its end.");
static PyObject *reg_pin(cmzpy_registry *self, PyObject *arg) {
    char id[CMZ_REGISTRY_ID_MAX + 1];
    cmzpy_pin *pin = PyObject_New(cmzpy_pin, &cmzpy_PinType);
    if (!pin) return NULL;
    pin->owner = NULL;
    pin->exports = 0;
    cmz_registry *reg = id_call(self, arg, id); /* after the allocation (see read_range) */
    if (!reg) {
        Py_DECREF(pin);
        return NULL;
    }
    memcpy(pin->id, id, sizeof id);
    cmz_error err;
    cmz_status st;
    /* As CMZPY_REGISTRY_CALL, but the pin is counted before a close() meanwhile can free */
    self->calls++;
    Py_BEGIN_ALLOW_THREADS st = cmz_registry_pin(reg, id, &pin->data, &pin->size, &err);
    Py_END_ALLOW_THREADS self->calls--;
    if (st == CMZ_OK) {
        pin->owner = (cmzpy_registry *)Py_NewRef(self);
        self->pins++;
    }
    cmzpy_registry_maybe_free(self);
    if (st != CMZ_OK) {
        Py_DECREF(pin);
        return cmzpy_registry_raise(st, &err, "pin", id);
    }
    return (PyObject *)pin;
}

static void unpin(cmzpy_pin *pin) {
    cmzpy_registry *owner = pin->owner;
    if (!owner) return;
    pin->owner = NULL;
    assert(owner->reg && owner->pins > 0); /* a pin keeps the registry alive */
    if (owner->generation == cmzpy_fork_generation) {
        cmz_status st;
        Py_BEGIN_ALLOW_THREADS st = cmz_registry_unpin(owner->reg, pin->id, NULL);
        Py_END_ALLOW_THREADS assert(st == CMZ_OK);
        (void)st;
    }
    owner->pins--;
    cmzpy_registry_maybe_free(owner);
    Py_DECREF(owner);
}

static PyObject *pin_release(cmzpy_pin *pin, PyObject *unused) {
    (void)unused;
    if (pin->exports > 0)
        return PyErr_Format(PyExc_BufferError, "pin '%s': %zd views of it are still alive", pin->id,
                            pin->exports);
    unpin(pin);
    Py_RETURN_NONE;
}

static void pin_dealloc(cmzpy_pin *pin) {
    unpin(pin);
    PyObject_Free(pin);
}

static int pin_getbuffer(cmzpy_pin *pin, Py_buffer *view, int flags) {
    if (!pin->owner) {
        PyErr_Format(PyExc_ValueError, "pin '%s' was released", pin->id);
        return -1;
    }
    if (PyBuffer_FillInfo(view, (PyObject *)pin, (void *)pin->data, (Py_ssize_t)pin->size, 1,
                          flags) < 0)
        return -1;
    pin->exports++;
    return 0;
}

static void pin_releasebuffer(cmzpy_pin *pin, Py_buffer *view) {
    (void)view;
    pin->exports--;
}

static PyObject *pin_size(cmzpy_pin *pin, void *unused) {
    (void)unused;
    return PyLong_FromSize_t(pin->size);
}

static PyBufferProcs pin_buffer = {(getbufferproc)pin_getbuffer,
                                   (releasebufferproc)pin_releasebuffer};

static PyMethodDef pin_methods[] = {
    {"release", (PyCFunction)pin_release, METH_NOARGS,
     "release()\n--\n\nUnpins (BufferError while views of it are alive)."},
    {NULL, NULL, 0, NULL},
};

static PyGetSetDef pin_getset[] = {
    {"size", (getter)pin_size, NULL, "The pinned bytes' size.", NULL},
    {NULL, NULL, NULL, NULL, NULL},
};

PyTypeObject cmzpy_PinType = {
    PyVarObject_HEAD_INIT(NULL, 0).tp_name = "cmz._cmz._Pin",
    .tp_basicsize = sizeof(cmzpy_pin),
    .tp_flags = Py_TPFLAGS_DEFAULT,
    .tp_doc = "A pinned resource's raw bytes, read-only (made by _Registry.pin).",
    .tp_dealloc = (destructor)pin_dealloc,
    .tp_as_buffer = &pin_buffer,
    .tp_methods = pin_methods,
    .tp_getset = pin_getset,
};

PyMethodDef cmzpy_registry_ops_methods[] = {
    {"add", (PyCFunction)reg_add, METH_VARARGS, add_doc},
    {"replace", (PyCFunction)reg_replace, METH_VARARGS, replace_doc},
    {"remove", (PyCFunction)reg_remove, METH_O, remove_doc},
    {"release", (PyCFunction)reg_release, METH_O, release_doc},
    {"compress", (PyCFunction)reg_compress, METH_O, compress_doc},
    {"contains", (PyCFunction)reg_contains, METH_O, contains_doc},
    {"size", (PyCFunction)reg_size, METH_O, size_doc},
    {"get_into", (PyCFunction)reg_get_into, METH_VARARGS, get_into_doc},
    {"read_into", (PyCFunction)reg_read_into, METH_VARARGS, read_into_doc},
    {"read_range", (PyCFunction)reg_read_range, METH_VARARGS, read_range_doc},
    {"pin", (PyCFunction)reg_pin, METH_O, pin_doc},
    {"check", (PyCFunction)reg_check, METH_NOARGS, check_doc},
    {"reap", (PyCFunction)reg_reap, METH_O, reap_doc},
    {"memory", (PyCFunction)reg_memory, METH_NOARGS, memory_doc},
    {"stats", (PyCFunction)reg_stats, METH_NOARGS, stats_doc},
    {"report", (PyCFunction)reg_report, METH_NOARGS, report_doc},
    {"info", (PyCFunction)reg_info, METH_O, info_doc},
    {NULL, NULL, 0, NULL},
};
