/* cmz._cmz registry part: the _Registry type over cmz_registry (include/cmz/registry.h), its
 * lifetime and its callbacks. The Python layer (cmz/registry.py) turns Python objects into
 * the bytes held here.
 *
 * Locking: every call that takes the registry's lock runs with the GIL released, and the
 * library calls on_pressure/on_release with its lock released, so a callback taking the GIL
 * never waits on a thread that waits on the registry. */
#include "registry.h"

#include <stdarg.h>
#include <stddef.h>
#include <string.h>

cmz_registry *cmzpy_registry_get(cmzpy_registry *self) {
    if (!self->reg || self->closed) {
        PyErr_SetString(PyExc_ValueError, "registry is closed");
        return NULL;
    }
    if (self->generation != cmzpy_fork_generation) {
        PyErr_SetString(PyExc_ValueError,
                        "registry was made before fork(): its monitor thread is not in this "
                        "process; make a new one");
        return NULL;
    }
    return self->reg;
}

int cmzpy_registry_id(PyObject *obj, char buf[CMZ_REGISTRY_ID_MAX + 1]) {
    Py_ssize_t n;
    const char *s = PyUnicode_Check(obj) ? PyUnicode_AsUTF8AndSize(obj, &n) : NULL;
    if (!s) {
        if (!PyErr_Occurred()) PyErr_SetString(PyExc_TypeError, "resource id must be a str");
        return -1;
    }
    if (n > CMZ_REGISTRY_ID_MAX || (Py_ssize_t)strlen(s) != n) {
        PyErr_Format(PyExc_ValueError, "resource id %R: at most %d bytes, no NUL", obj,
                     CMZ_REGISTRY_ID_MAX);
        return -1;
    }
    memcpy(buf, s, (size_t)n + 1);
    return 0;
}

PyObject *cmzpy_registry_raise(cmz_status st, const cmz_error *err, const char *what,
                               const char *id) {
    char context[CMZ_REGISTRY_ID_MAX + 64];
    PyOS_snprintf(context, sizeof context, "%s '%s'", what, id);
    return cmzpy_raise_ctx(st, err, id ? context : what);
}

/* ---- callbacks: from the monitor thread or a caller's thread (GIL released there) ---- */

static const char *pressure_name(cmz_pressure level) {
    switch (level) {
    case CMZ_PRESSURE_WARNING: return "warning";
    case CMZ_PRESSURE_EMERGENCY: return "emergency";
    default: return "none";
    }
}

static int deferred_decref(void *obj) {
    Py_DECREF((PyObject *)obj);
    return 0;
}

/* A registry closed during a callback on the monitor thread is freed on the main thread:
 * freeing it joins the monitor. */
static int deferred_free(void *obj) {
    cmzpy_registry_maybe_free((cmzpy_registry *)obj);
    Py_DECREF((PyObject *)obj);
    return 0;
}

/* Drops the reference a callback held. Freeing the registry joins the thread the callback
 * runs on, so a last reference is handed to the main thread (as a pending call). */
static void release_from_callback(cmzpy_registry *self) {
    if (Py_REFCNT(self) == 1 && Py_AddPendingCall(deferred_decref, self) == 0) return;
    Py_DECREF(self);
}

/* Calls fn(args) with the GIL taken; an exception goes to sys.unraisablehook, never lost. */
static void call_python(cmzpy_registry *self, PyObject *fn, const char *format, ...) {
    if (!fn || self->generation != cmzpy_fork_generation || !Py_IsInitialized()) return;
    PyGILState_STATE gil = PyGILState_Ensure();
    /* Freeing the registry (close, or the object's end: its count is then 0) released the
     * GIL to join this thread: the object must not be touched, let alone revived. */
    if (self->freeing) {
        PyGILState_Release(gil);
        return;
    }
    Py_INCREF(self); /* the callback may drop every other reference */
    Py_INCREF(fn);
    self->calls++; /* a close() or unpin in the callback does not free on this thread */
    va_list ap;
    va_start(ap, format);
    PyObject *args = Py_VaBuildValue(format, ap);
    va_end(ap);
    PyObject *r = args ? PyObject_Call(fn, args, NULL) : NULL;
    if (!r) PyErr_WriteUnraisable(fn);
    Py_XDECREF(r);
    Py_XDECREF(args);
    Py_DECREF(fn);
    self->calls--;
    if (self->closed && self->pins == 0 && self->calls == 0 && self->reg) {
        Py_INCREF(self);
        if (Py_AddPendingCall(deferred_free, self) != 0)
            Py_DECREF(self); /* freed with the object then */
    }
    release_from_callback(self);
    PyGILState_Release(gil);
}

static void on_pressure(void *opaque, cmz_pressure level, uint64_t usage, uint64_t budget) {
    cmzpy_registry *self = opaque;
    call_python(self, self->on_pressure, "(sKK)", pressure_name(level), (unsigned long long)usage,
                (unsigned long long)budget);
}

static void on_release(void *opaque, const char *id, const char *type, uint64_t raw_size) {
    cmzpy_registry *self = opaque;
    call_python(self, self->on_release, "(ssK)", id, type, (unsigned long long)raw_size);
}

static uint64_t test_clock(void *opaque) {
    return atomic_load(&((cmzpy_registry *)opaque)->clock_ns);
}

/* ---- construction ---- */

static int usage_arg(PyObject *obj, cmz_usage_source *out) {
    static const char *const names[] = {"auto", "process", "cgroup", "system", "registry"};
    const char *s = PyUnicode_Check(obj) ? PyUnicode_AsUTF8(obj) : NULL;
    for (int i = 0; s && i < 5; i++)
        if (strcmp(s, names[i]) == 0) {
            *out = (cmz_usage_source)i;
            return 0;
        }
    if (!PyErr_Occurred())
        PyErr_Format(PyExc_ValueError,
                     "usage must be 'auto', 'process', 'cgroup', 'system' or 'registry', not %R",
                     obj);
    return -1;
}

/* Replaces *slot: an __init__ that failed after this may be run again. */
static int callable_arg(PyObject *obj, const char *what, PyObject **slot) {
    if (obj != Py_None && !PyCallable_Check(obj)) {
        PyErr_Format(PyExc_TypeError, "%s must be callable or None", what);
        return -1;
    }
    Py_XSETREF(*slot, obj == Py_None ? NULL : Py_NewRef(obj));
    return 0;
}

/* Loads the policy and rules files (None: the built-in defaults). 0 or -1 (PolicyError). */
static int load_configs(PyObject *policy_path, PyObject *rules_path, cmz_policy **policy,
                        cmz_release_rules **rules) {
    PyObject *pb = NULL, *rb = NULL;
    if ((policy_path != Py_None && !PyUnicode_FSConverter(policy_path, &pb)) ||
        (rules_path != Py_None && !PyUnicode_FSConverter(rules_path, &rb))) {
        Py_XDECREF(pb);
        return -1;
    }
    cmz_diags *diags = cmz_diags_new();
    cmz_status st = diags ? CMZ_OK : CMZ_ERR_NOMEM;
    const char *what = "policy";
    Py_BEGIN_ALLOW_THREADS if (st == CMZ_OK && pb) st =
        cmz_policy_load_file(PyBytes_AS_STRING(pb), policy, diags);
    if (st == CMZ_OK && rb) {
        what = "release rules";
        st = cmz_release_rules_load_file(PyBytes_AS_STRING(rb), rules, diags);
    }
    Py_END_ALLOW_THREADS Py_XDECREF(pb);
    Py_XDECREF(rb);
    if (st != CMZ_OK) {
        if (diags) cmzpy_raise_diags(st, diags, what);
        else PyErr_NoMemory();
        cmz_policy_free(*policy); /* the policy loaded before the rules failed */
        *policy = NULL;
    }
    cmz_diags_free(diags);
    return st == CMZ_OK ? 0 : -1;
}

static int registry_init(cmzpy_registry *self, PyObject *args, PyObject *kw) {
    static char *kwlist[] = {"budget",  "usage",       "warning",    "emergency",
                             "reserve", "policy",      "rules",      "check_interval_ms",
                             "threads", "on_pressure", "on_release", NULL};
    cmz_registry_params p = cmz_registry_params_default();
    PyObject *budget = Py_None, *usage = Py_None, *reserve = Py_None, *policy = Py_None,
             *rules = Py_None, *interval = Py_None, *threads = Py_None, *pressure_fn = Py_None,
             *release_fn = Py_None;
    if (self->reg) {
        PyErr_SetString(PyExc_RuntimeError, "registry already initialized");
        return -1;
    }
    if (!PyArg_ParseTupleAndKeywords(args, kw, "|O$OddOOOOOOO", kwlist, &budget, &usage, &p.warning,
                                     &p.emergency, &reserve, &policy, &rules, &interval, &threads,
                                     &pressure_fn, &release_fn))
        return -1;
    uint64_t v;
    if (budget != Py_None && cmzpy_u64_arg(budget, "budget", &p.budget) < 0) return -1;
    if (usage != Py_None && usage_arg(usage, &p.usage) < 0) return -1;
    if (reserve != Py_None && cmzpy_u64_arg(reserve, "reserve", &p.reserve) < 0) return -1;
    if (interval != Py_None) {
        if (cmzpy_u64_arg(interval, "check_interval_ms", &v) < 0) return -1;
        if (v > UINT32_MAX) {
            PyErr_SetString(PyExc_ValueError, "check_interval_ms is too large");
            return -1;
        }
        p.check_interval_ms = (unsigned)v;
    }
    if (cmzpy_threads_arg(threads, &p.threads) < 0 ||
        callable_arg(pressure_fn, "on_pressure", &self->on_pressure) < 0 ||
        callable_arg(release_fn, "on_release", &self->on_release) < 0)
        return -1;
    cmz_policy *pol = NULL;
    cmz_release_rules *rul = NULL;
    if (load_configs(policy, rules, &pol, &rul) < 0) return -1;
    p.policy = pol;
    p.release = rul;
    p.on_pressure = on_pressure;
    p.on_release = on_release;
    p.opaque = self;
    self->generation = cmzpy_fork_generation;
    cmz_error err = {0};
    cmz_registry *reg;
    /* the monitor may call back at once: the GIL is released */
    Py_BEGIN_ALLOW_THREADS reg = cmz_registry_new(&p, &err);
    cmz_policy_free(pol); /* copied by the registry */
    cmz_release_rules_free(rul);
    Py_END_ALLOW_THREADS if (!reg) {
        cmzpy_raise_ctx(err.status ? err.status : CMZ_ERR_GENERIC, &err, "Registry");
        return -1;
    }
    self->reg = reg;
    self->snaps = cmz_registry_snapshots(reg);
    return 0;
}

/* Frees the registry (joining the monitor, which may be waiting for the GIL). */
static void free_registry(cmzpy_registry *self) {
    cmz_registry *reg = self->reg;
    self->reg = NULL;
    self->snaps = NULL;
    if (!reg) return;
    self->freeing = 1;
    if (self->generation != cmzpy_fork_generation) return; /* its threads are not here */
    Py_BEGIN_ALLOW_THREADS cmz_registry_free(reg);
    Py_END_ALLOW_THREADS
}

void cmzpy_registry_maybe_free(cmzpy_registry *self) {
    if (self->closed && self->pins == 0 && self->calls == 0) free_registry(self);
}

static void registry_dealloc(cmzpy_registry *self) {
    assert(self->pins == 0); /* each pin holds a reference */
    if (self->weakrefs) PyObject_ClearWeakRefs((PyObject *)self);
    free_registry(self);
    Py_CLEAR(self->on_pressure);
    Py_CLEAR(self->on_release);
    Py_TYPE(self)->tp_free((PyObject *)self);
}

PyDoc_STRVAR(close_doc, "close()\n--\n\n"
                        "Stops the monitor and frees every resource and snapshot. With pins\n"
                        "still held, the memory stays valid until the last one is released;\n"
                        "calls in progress in other threads end first.");

static PyObject *registry_close(cmzpy_registry *self, PyObject *unused) {
    (void)unused;
    self->closed = 1;
    cmzpy_registry_maybe_free(self);
    Py_RETURN_NONE;
}

static PyObject *registry_closed(cmzpy_registry *self, void *unused) {
    (void)unused;
    return PyBool_FromLong(self->closed || !self->reg);
}

PyDoc_STRVAR(set_clock_doc, "_set_clock(seconds)\n--\n\n"
                            "For tests: the snapshots' clock reads `seconds` (a float) from now\n"
                            "on; None restores the real clock.");

static PyObject *registry_set_clock(cmzpy_registry *self, PyObject *arg) {
    double s = 0;
    if (arg != Py_None) { /* first: float(arg) may run Python code */
        s = PyFloat_AsDouble(arg);
        if (s == -1.0 && PyErr_Occurred()) return NULL;
        if (!(s >= 0 && s < 1e9)) return PyErr_Format(PyExc_ValueError, "clock: bad time %R", arg);
    }
    if (!cmzpy_registry_get(self)) return NULL;
    cmz_snapshots *snaps = self->snaps;
    if (arg == Py_None) {
        CMZPY_REGISTRY_CALL(self, cmz_snapshots_set_clock(snaps, NULL, NULL));
        Py_RETURN_NONE;
    }
    atomic_store(&self->clock_ns, (uint64_t)(s * 1e9));
    CMZPY_REGISTRY_CALL(self, cmz_snapshots_set_clock(snaps, test_clock, self));
    Py_RETURN_NONE;
}

static PyMethodDef lifetime_methods[] = {
    {"close", (PyCFunction)registry_close, METH_NOARGS, close_doc},
    {"_set_clock", (PyCFunction)registry_set_clock, METH_O, set_clock_doc},
    {NULL, NULL, 0, NULL},
};

static PyGetSetDef registry_getset[] = {
    {"closed", (getter)registry_closed, NULL, "True once close() was called.", NULL},
    {NULL, NULL, NULL, NULL, NULL},
};

PyDoc_STRVAR(registry_doc,
             "_Registry(budget=None, *, usage=None, warning=0.75, emergency=0.9, reserve=None,\n"
             "          policy=None, rules=None, check_interval_ms=None, threads=None,\n"
             "          on_pressure=None, on_release=None)\n--\n\n"
             "The byte-level registry (include/cmz/registry.h); use cmz.Registry.");

PyTypeObject cmzpy_RegistryType = {
    PyVarObject_HEAD_INIT(NULL, 0).tp_name = "cmz._cmz._Registry",
    .tp_basicsize = sizeof(cmzpy_registry),
    .tp_flags = Py_TPFLAGS_DEFAULT,
    .tp_doc = registry_doc,
    .tp_new = PyType_GenericNew,
    .tp_init = (initproc)registry_init,
    .tp_dealloc = (destructor)registry_dealloc,
    .tp_getset = registry_getset,
    .tp_weaklistoffset = offsetof(cmzpy_registry, weakrefs),
};

/* The type's methods: this file's, then registry_ops.c's and registry_snap.c's. */
static PyMethodDef *join_methods(void) {
    const PyMethodDef *tables[] = {lifetime_methods, cmzpy_registry_ops_methods,
                                   cmzpy_registry_snap_methods};
    size_t n = 1;
    for (size_t t = 0; t < 3; t++)
        for (const PyMethodDef *m = tables[t]; m->ml_name; m++) n++;
    PyMethodDef *all = PyMem_Calloc(n, sizeof *all);
    if (!all) return NULL;
    size_t i = 0;
    for (size_t t = 0; t < 3; t++)
        for (const PyMethodDef *m = tables[t]; m->ml_name; m++) all[i++] = *m;
    return all; /* kept for the process's life, as the type is */
}

int cmzpy_part_registry(PyObject *module) {
    if (!cmzpy_RegistryType.tp_methods) {
        cmzpy_RegistryType.tp_methods = join_methods();
        if (!cmzpy_RegistryType.tp_methods) return PyErr_NoMemory(), -1;
    }
    if (PyType_Ready(&cmzpy_RegistryType) < 0 || PyType_Ready(&cmzpy_PinType) < 0) return -1;
    if (PyModule_AddObjectRef(module, "_Registry", (PyObject *)&cmzpy_RegistryType) < 0 ||
        PyModule_AddObjectRef(module, "_Pin", (PyObject *)&cmzpy_PinType) < 0)
        return -1;
    return 0;
}
