/* cmz._cmz registry part: the release snapshots of a _Registry (include/cmz/snapshot.h). */
#include "registry.h"

#include <string.h>

static cmz_snapshots *snaps_of(cmzpy_registry *self) {
    return cmzpy_registry_get(self) ? self->snaps : NULL;
}

static cmz_snapshots *id_call(cmzpy_registry *self, PyObject *arg,
                              char id[CMZ_REGISTRY_ID_MAX + 1]) {
    cmz_snapshots *s = snaps_of(self);
    if (!s || cmzpy_registry_id(arg, id) < 0) return NULL;
    return s;
}

static PyObject *info_dict(const cmz_snapshot_info *i) {
    const cmz_codec *codec = cmz_codec_by_id(i->codec);
    return Py_BuildValue(
        "{s:s,s:s,s:s,s:I,s:O,s:O,s:K,s:K,s:K,s:s,s:d,s:d}", "id", i->id, "type", i->type,
        "metadata", i->metadata, "priority", i->priority, "custom", i->custom ? Py_True : Py_False,
        "automatic", i->automatic ? Py_True : Py_False, "raw_size", (unsigned long long)i->raw_size,
        "stored_size", (unsigned long long)i->stored_size, "overhead",
        (unsigned long long)i->overhead, "codec", codec ? cmz_codec_name(codec) : "unknown", "age",
        i->age, "expires_in", i->expires_in);
}

PyDoc_STRVAR(take_doc, "snap_take(id, metadata=None)\n--\n\n"
                       "Takes a snapshot of id; returns the outcome ('taken', 'not eligible',\n"
                       "'disabled', 'too large').");
static PyObject *snap_take(cmzpy_registry *self, PyObject *args) {
    PyObject *id_obj;
    const char *metadata = NULL;
    char id[CMZ_REGISTRY_ID_MAX + 1];
    if (!PyArg_ParseTuple(args, "O|z", &id_obj, &metadata)) return NULL;
    cmz_snapshots *s = id_call(self, id_obj, id);
    if (!s) return NULL;
    cmz_snapshot_outcome outcome = CMZ_SNAPSHOT_TAKEN;
    cmz_error err;
    cmz_status st;
    CMZPY_REGISTRY_CALL(self, st = cmz_snapshots_take(s, id, metadata, &outcome, &err));
    if (st != CMZ_OK) return cmzpy_registry_raise(st, &err, "snapshot", id);
    return PyUnicode_FromString(cmz_snapshot_outcome_name(outcome));
}

PyDoc_STRVAR(rollback_doc, "snap_rollback(id)\n--\n\nRestores id from its snapshot.");
static PyObject *snap_rollback(cmzpy_registry *self, PyObject *arg) {
    char id[CMZ_REGISTRY_ID_MAX + 1];
    cmz_snapshots *s = id_call(self, arg, id);
    if (!s) return NULL;
    cmz_error err;
    cmz_status st;
    CMZPY_REGISTRY_CALL(self, st = cmz_snapshots_rollback(s, id, &err));
    if (st != CMZ_OK) return cmzpy_registry_raise(st, &err, "rollback", id);
    Py_RETURN_NONE;
}

PyDoc_STRVAR(has_doc, "snap_has(id)\n--\n\nWhether id has a snapshot.");
static PyObject *snap_has(cmzpy_registry *self, PyObject *arg) {
    char id[CMZ_REGISTRY_ID_MAX + 1];
    cmz_snapshots *s = id_call(self, arg, id);
    if (!s) return NULL;
    bool has;
    CMZPY_REGISTRY_CALL(self, has = cmz_snapshots_has(s, id));
    return PyBool_FromLong(has);
}

PyDoc_STRVAR(info_doc, "snap_info(id)\n--\n\nA dict about id's snapshot, or None.");
static PyObject *snap_info(cmzpy_registry *self, PyObject *arg) {
    char id[CMZ_REGISTRY_ID_MAX + 1];
    cmz_snapshots *s = id_call(self, arg, id);
    if (!s) return NULL;
    cmz_snapshot_info info;
    cmz_error err;
    cmz_status st;
    CMZPY_REGISTRY_CALL(self, st = cmz_snapshots_info(s, id, &info, &err));
    if (st == CMZ_ERR_NOT_FOUND) Py_RETURN_NONE;
    if (st != CMZ_OK) return cmzpy_registry_raise(st, &err, "snapshot info", id);
    return info_dict(&info);
}

PyDoc_STRVAR(list_doc, "snap_list()\n--\n\nThe snapshots' dicts, oldest first.");
static PyObject *snap_list(cmzpy_registry *self, PyObject *unused) {
    (void)unused;
    cmz_snapshots *s = snaps_of(self);
    if (!s) return NULL;
    cmz_snapshot_info *infos = NULL;
    size_t cap = 0, count = 0;
    cmz_error err;
    cmz_status st;
    for (;;) { /* snapshots may come and go between the calls: retry until they fit */
        if (!(s = snaps_of(self))) {
            PyMem_Free(infos);
            return NULL;
        }
        CMZPY_REGISTRY_CALL(self, st = cmz_snapshots_list(s, infos, cap, &count, &err));
        if (st != CMZ_OK || count <= cap) break;
        PyMem_Free(infos);
        cap = count + 8;
        infos = PyMem_Calloc(cap, sizeof *infos);
        if (!infos) return PyErr_NoMemory();
    }
    PyObject *list = st == CMZ_OK ? PyList_New(0) : NULL;
    for (size_t i = 0; list && i < count; i++) {
        PyObject *d = info_dict(&infos[i]);
        if (!d || PyList_Append(list, d) < 0) Py_CLEAR(list);
        Py_XDECREF(d);
    }
    PyMem_Free(infos);
    if (st != CMZ_OK) return cmzpy_raise_ctx(st, &err, "list snapshots");
    return list;
}

PyDoc_STRVAR(delete_doc, "snap_delete(id)\n--\n\nRemoves id's snapshot; False when none.");
static PyObject *snap_delete(cmzpy_registry *self, PyObject *arg) {
    char id[CMZ_REGISTRY_ID_MAX + 1];
    cmz_snapshots *s = id_call(self, arg, id);
    if (!s) return NULL;
    cmz_error err;
    cmz_status st;
    CMZPY_REGISTRY_CALL(self, st = cmz_snapshots_delete(s, id, &err));
    if (st == CMZ_ERR_NOT_FOUND) Py_RETURN_FALSE;
    if (st != CMZ_OK) return cmzpy_registry_raise(st, &err, "delete snapshot", id);
    Py_RETURN_TRUE;
}

PyDoc_STRVAR(clear_doc, "snap_clear()\n--\n\nRemoves every snapshot.");
static PyObject *snap_clear(cmzpy_registry *self, PyObject *unused) {
    (void)unused;
    cmz_snapshots *s = snaps_of(self);
    if (!s) return NULL;
    CMZPY_REGISTRY_CALL(self, cmz_snapshots_clear(s));
    Py_RETURN_NONE;
}

PyDoc_STRVAR(cleanup_doc, "snap_cleanup()\n--\n\nRemoves expired snapshots; returns how many.");
static PyObject *snap_cleanup(cmzpy_registry *self, PyObject *unused) {
    (void)unused;
    cmz_snapshots *s = snaps_of(self);
    if (!s) return NULL;
    size_t removed = 0;
    cmz_error err;
    cmz_status st;
    CMZPY_REGISTRY_CALL(self, st = cmz_snapshots_cleanup(s, &removed, &err));
    if (st != CMZ_OK) return cmzpy_raise_ctx(st, &err, "cleanup");
    return PyLong_FromSize_t(removed);
}

static PyObject *config_dict(const cmz_snapshot_config *c) {
    const cmz_codec *codec = cmz_codec_by_id(c->codec);
    return Py_BuildValue("{s:I,s:I,s:I,s:K,s:I,s:s,s:i,s:O}", "max_snapshots", c->max_snapshots,
                         "snapshot_ttl", (unsigned)c->ttl, "snapshot_priority_threshold",
                         c->priority_threshold, "max_bytes", (unsigned long long)c->max_bytes,
                         "cleanup_interval", (unsigned)c->cleanup_interval, "codec",
                         codec ? cmz_codec_name(codec) : "unknown", "level", c->level, "on_release",
                         c->on_release ? Py_True : Py_False);
}

PyDoc_STRVAR(config_doc, "snap_config()\n--\n\nThe configuration in force, as a dict.");
static PyObject *snap_config(cmzpy_registry *self, PyObject *unused) {
    (void)unused;
    cmz_snapshots *s = snaps_of(self);
    if (!s) return NULL;
    cmz_snapshot_config c;
    CMZPY_REGISTRY_CALL(self, cmz_snapshots_get_config(s, &c));
    return config_dict(&c);
}

/* An unsigned value of a config key into *out, at most max. 0 or -1. */
static int uint_key(PyObject *value, const char *key, uint64_t max, uint64_t *out) {
    if (cmzpy_u64_arg(value, key, out) < 0) return -1;
    if (*out > max) {
        PyErr_Format(PyExc_ValueError, "update_config: %s is too large", key);
        return -1;
    }
    return 0;
}

/* Applies one key of update_config's dict to *c. 0 or -1 (KeyError for unknown keys). */
static int config_key(cmz_snapshot_config *c, const char *key, PyObject *value) {
    uint64_t v;
    if (strcmp(key, "max_snapshots") == 0) {
        if (uint_key(value, key, UINT32_MAX, &v) < 0) return -1;
        c->max_snapshots = (unsigned)v;
    } else if (strcmp(key, "snapshot_ttl") == 0 || strcmp(key, "ttl") == 0) {
        if (uint_key(value, key, UINT32_MAX, &v) < 0) return -1;
        c->ttl = (uint32_t)v;
    } else if (strcmp(key, "snapshot_priority_threshold") == 0 ||
               strcmp(key, "priority_threshold") == 0) {
        if (uint_key(value, key, UINT32_MAX, &v) < 0) return -1;
        c->priority_threshold = (unsigned)v;
    } else if (strcmp(key, "max_bytes") == 0) {
        if (value == Py_None) c->max_bytes = UINT64_MAX; /* no limit */
        else if (uint_key(value, key, UINT64_MAX, &c->max_bytes) < 0) return -1;
    } else if (strcmp(key, "cleanup_interval") == 0) {
        if (uint_key(value, key, UINT32_MAX, &v) < 0) return -1;
        c->cleanup_interval = (uint32_t)v;
    } else if (strcmp(key, "codec") == 0) {
        const cmz_codec *codec;
        if (cmzpy_codec_arg(value, &codec) < 0) return -1;
        c->codec = (int)cmz_codec_id_of(codec);
    } else if (strcmp(key, "level") == 0) {
        long level = PyLong_AsLong(value);
        if (level == -1 && PyErr_Occurred()) return -1;
        if (level < -1000 || level > 1000) {
            PyErr_Format(PyExc_ValueError, "update_config: level %ld is out of range", level);
            return -1;
        }
        c->level = (int)level;
    } else if (strcmp(key, "on_release") == 0) {
        int b = PyObject_IsTrue(value);
        if (b < 0) return -1;
        c->on_release = b;
    } else {
        PyErr_Format(PyExc_KeyError, "update_config: unknown key '%s'", key);
        return -1;
    }
    return 0;
}

PyDoc_STRVAR(set_config_doc, "snap_set_config(config)\n--\n\n"
                             "Validates and applies the keys of the dict config (others keep\n"
                             "their values); nothing changes on an error.");
static PyObject *snap_set_config(cmzpy_registry *self, PyObject *config) {
    cmz_snapshots *s = snaps_of(self);
    if (!s) return NULL;
    if (!PyDict_Check(config)) return PyErr_Format(PyExc_TypeError, "config must be a dict");
    cmz_snapshot_config c;
    CMZPY_REGISTRY_CALL(self, cmz_snapshots_get_config(s, &c));
    PyObject *key, *value;
    Py_ssize_t pos = 0;
    while (PyDict_Next(config, &pos, &key, &value)) {
        const char *k = PyUnicode_Check(key) ? PyUnicode_AsUTF8(key) : NULL;
        if (!k) return PyErr_Occurred() ? NULL : PyErr_Format(PyExc_TypeError, "keys are str");
        if (config_key(&c, k, value) < 0) return NULL;
    }
    if (!(s = snaps_of(self))) return NULL; /* the values' conversions ran Python code */
    cmz_error err;
    cmz_status st;
    CMZPY_REGISTRY_CALL(self, st = cmz_snapshots_set_config(s, &c, &err));
    if (st != CMZ_OK) return cmzpy_raise_ctx(st, &err, "update_config");
    Py_RETURN_NONE;
}

PyDoc_STRVAR(stats_doc, "snap_stats()\n--\n\nThe snapshot counters, as a dict.");
static PyObject *snap_stats(cmzpy_registry *self, PyObject *unused) {
    (void)unused;
    cmz_snapshots *s = snaps_of(self);
    if (!s) return NULL;
    cmz_snapshot_stats t;
    cmz_error err;
    cmz_status st;
    CMZPY_REGISTRY_CALL(self, st = cmz_snapshots_stats(s, &t, &err));
    if (st != CMZ_OK) return cmzpy_raise_ctx(st, &err, "snapshot stats");
    return Py_BuildValue(
        "{s:K,s:K,s:K,s:K,s:K,s:K,s:K,s:K,s:K}", "count", (unsigned long long)t.count, "bytes",
        (unsigned long long)t.bytes, "raw_bytes", (unsigned long long)t.raw_bytes, "taken",
        (unsigned long long)t.taken, "automatic", (unsigned long long)t.automatic, "refused",
        (unsigned long long)t.refused, "rollbacks", (unsigned long long)t.rollbacks, "expired",
        (unsigned long long)t.expired, "evicted", (unsigned long long)t.evicted);
}

PyMethodDef cmzpy_registry_snap_methods[] = {
    {"snap_take", (PyCFunction)snap_take, METH_VARARGS, take_doc},
    {"snap_rollback", (PyCFunction)snap_rollback, METH_O, rollback_doc},
    {"snap_has", (PyCFunction)snap_has, METH_O, has_doc},
    {"snap_info", (PyCFunction)snap_info, METH_O, info_doc},
    {"snap_list", (PyCFunction)snap_list, METH_NOARGS, list_doc},
    {"snap_delete", (PyCFunction)snap_delete, METH_O, delete_doc},
    {"snap_clear", (PyCFunction)snap_clear, METH_NOARGS, clear_doc},
    {"snap_cleanup", (PyCFunction)snap_cleanup, METH_NOARGS, cleanup_doc},
    {"snap_config", (PyCFunction)snap_config, METH_NOARGS, config_doc},
    {"snap_set_config", (PyCFunction)snap_set_config, METH_O, set_config_doc},
    {"snap_stats", (PyCFunction)snap_stats, METH_NOARGS, stats_doc},
    {NULL, NULL, 0, NULL},
};
