/* cmz._cmz policy part: include/cmz/policy.h as `cmz policy` uses it (cli/cmd_policy.c):
 * read a type's entry, list the types, create/update/delete a type in the file under its
 * lock, verify a file. Every check and message comes from the library; errors become
 * PolicyError carrying the first error's file, line and column, with every diagnostic in
 * its text and in .diagnostics. */
#include "ext.h"

#include <errno.h>
#include <string.h>
#include <sys/stat.h>

/* "file:line:column: message", as cmz_diag_format writes it. */
static PyObject *diag_text(const cmz_diag *d) {
    char text[CMZ_POLICY_PATH_MAX + CMZ_DIAG_MESSAGE_MAX + 32];
    cmz_diag_format(d, text, sizeof text);
    return PyUnicode_DecodeUTF8(text, (Py_ssize_t)strlen(text), "replace");
}

/* The diagnostics of one severity as a list of str. */
static PyObject *diag_list(const cmz_diags *diags, cmz_diag_severity severity) {
    PyObject *list = PyList_New(0);
    for (size_t i = 0; list && i < cmz_diags_count(diags); i++) {
        const cmz_diag *d = cmz_diags_at(diags, i);
        if (d->severity != severity) continue;
        PyObject *t = diag_text(d);
        if (!t || PyList_Append(list, t) < 0) Py_CLEAR(list);
        Py_XDECREF(t);
    }
    return list;
}

/* PolicyError for a failed call: the errors' texts joined by newlines, the first error's
 * position, and .diagnostics (every error, as str). Returns NULL. */
static PyObject *raise_diags(cmz_status st, const cmz_diags *diags, const char *context) {
    const cmz_diag *first = NULL;
    for (size_t i = 0; !first && i < cmz_diags_count(diags); i++)
        if (cmz_diags_at(diags, i)->severity == CMZ_DIAG_ERROR) first = cmz_diags_at(diags, i);
    if (!first) {
        char msg[256];
        snprintf(msg, sizeof msg, "%s: %s", context, cmz_strerror(st));
        return cmzpy_raise_policy(st, msg, NULL, 0, 0);
    }
    PyObject *errors = diag_list(diags, CMZ_DIAG_ERROR);
    if (!errors) return NULL;
    PyObject *sep = PyUnicode_FromString("\n");
    PyObject *joined = sep ? PyUnicode_Join(sep, errors) : NULL;
    Py_XDECREF(sep);
    const char *text = joined ? PyUnicode_AsUTF8(joined) : NULL;
    if (!text) {
        Py_DECREF(errors);
        Py_XDECREF(joined);
        return NULL;
    }
    if (cmz_diags_dropped(diags)) {
        PyObject *more =
            PyUnicode_FromFormat("%s\n... and %zu more errors", text, cmz_diags_dropped(diags));
        Py_SETREF(joined, more);
        text = more ? PyUnicode_AsUTF8(more) : NULL;
    }
    if (text)
        cmzpy_raise_policy(st, text, first->file[0] ? first->file : NULL, first->line,
                           first->column);
    Py_XDECREF(joined);
    if (text) {
        PyObject *type, *value, *tb;
        PyErr_Fetch(&type, &value, &tb);
        PyErr_NormalizeException(&type, &value, &tb);
        if (value && PyObject_SetAttrString(value, "diagnostics", errors) < 0) PyErr_Clear();
        PyErr_Restore(type, value, tb);
    }
    Py_DECREF(errors);
    return NULL;
}

static const char *optional_path(PyObject *obj, PyObject **bytes) {
    *bytes = NULL;
    if (obj == Py_None) return NULL;
    if (!PyUnicode_FSConverter(obj, bytes)) return NULL;
    return PyBytes_AS_STRING(*bytes);
}

/* config= (a path or None) and the diagnostics of one call: 0, or -1 with an exception set
 * (nothing held). The caller frees *diags and drops *config_bytes. */
static int config_begin(PyObject *config_obj, PyObject **config_bytes, const char **config,
                        cmz_diags **diags) {
    *config = optional_path(config_obj, config_bytes);
    if (PyErr_Occurred()) return -1;
    if ((*diags = cmz_diags_new())) return 0;
    Py_XDECREF(*config_bytes);
    PyErr_NoMemory();
    return -1;
}

static PyObject *entry_dict(const cmz_policy_entry *e) {
    char alg[64], filter[32];
    cmz_policy_format_value(e, "algorithm", alg, sizeof alg);
    cmz_policy_format_value(e, "filter", filter, sizeof filter);
    return Py_BuildValue("{s:s,s:s,s:i,s:I,s:O,s:d,s:s,s:s,s:I}", "type", e->type, "algorithm", alg,
                         "level", e->level, "chunk_size", (unsigned)e->chunk_size, "auto_compress",
                         e->auto_compress ? Py_True : Py_False, "threshold_mb",
                         (double)e->threshold / (1024.0 * 1024.0), "priority",
                         cmz_priority_name(e->priority), "filter", filter, "typesize", e->typesize);
}

/* Opens the policy (cmz_policy_open) or raises PolicyError. */
static cmz_policy *open_policy(const char *config, bool missing_is_default,
                               cmz_policy_location *loc, cmz_diags *diags) {
    cmz_policy *p = NULL;
    cmz_status st;
    Py_BEGIN_ALLOW_THREADS st = cmz_policy_open(config, missing_is_default, &p, loc, diags);
    Py_END_ALLOW_THREADS if (st != CMZ_OK) raise_diags(st, diags, "policy");
    return p;
}

static PyObject *policy_entry(PyObject *self, PyObject *args, PyObject *kwargs) {
    (void)self;
    static char *kwlist[] = {"type", "config", NULL};
    const char *type;
    PyObject *config_obj = Py_None, *config_bytes;
    if (!PyArg_ParseTupleAndKeywords(args, kwargs, "s|O:policy_entry", kwlist, &type, &config_obj))
        return NULL;
    const char *config;
    cmz_diags *diags;
    if (config_begin(config_obj, &config_bytes, &config, &diags) < 0) return NULL;
    cmz_policy_location loc;
    cmz_policy *p = open_policy(config, false, &loc, diags);
    PyObject *d = NULL;
    if (p) {
        d = entry_dict(cmz_policy_lookup(p, type));
        PyObject *listed = PyBool_FromLong(cmz_policy_get(p, type) != NULL);
        PyObject *src = loc.source == CMZ_POLICY_SOURCE_BUILTIN
                            ? PyUnicode_FromString("built-in")
                            : PyUnicode_DecodeFSDefault(loc.path);
        if (!d || !listed || !src || PyDict_SetItemString(d, "listed", listed) < 0 ||
            PyDict_SetItemString(d, "source", src) < 0)
            Py_CLEAR(d);
        Py_XDECREF(listed);
        Py_XDECREF(src);
    }
    cmz_policy_free(p);
    cmz_diags_free(diags);
    Py_XDECREF(config_bytes);
    return d;
}

static PyObject *policy_types(PyObject *self, PyObject *args, PyObject *kwargs) {
    (void)self;
    static char *kwlist[] = {"config", NULL};
    PyObject *config_obj = Py_None, *config_bytes;
    if (!PyArg_ParseTupleAndKeywords(args, kwargs, "|O:policy_types", kwlist, &config_obj))
        return NULL;
    const char *config;
    cmz_diags *diags;
    if (config_begin(config_obj, &config_bytes, &config, &diags) < 0) return NULL;
    cmz_policy_location loc;
    cmz_policy *p = open_policy(config, false, &loc, diags);
    PyObject *list = p ? PyList_New(0) : NULL;
    for (size_t i = 0; list && i < cmz_policy_count(p); i++) {
        PyObject *t = PyUnicode_FromString(cmz_policy_at(p, i)->type);
        if (!t || PyList_Append(list, t) < 0) Py_CLEAR(list);
        Py_XDECREF(t);
    }
    cmz_policy_free(p);
    cmz_diags_free(diags);
    Py_XDECREF(config_bytes);
    return list;
}

/* mkdir -p of path's folder: the user's config folder may not exist yet. */
static int make_parents(const char *path) {
    char dir[CMZ_POLICY_PATH_MAX];
    snprintf(dir, sizeof dir, "%s", path);
    for (char *c = dir + 1; *c; c++) {
        if (*c != '/') continue;
        *c = '\0';
        if (mkdir(dir, 0777) != 0 && errno != EEXIST) return -1;
        *c = '/';
    }
    return 0;
}

#define MAX_SETTINGS 32

/* settings: a dict {key: str value}, as a file writes the values. The pointers borrow from
 * the str objects of *held, a copy of the dict (the caller drops it after the call): the
 * caller's dict may change meanwhile (Python code, other threads while the GIL is out). */
static int settings_arg(PyObject *obj, cmz_policy_setting *out, size_t *count, PyObject **held) {
    *count = 0;
    *held = NULL;
    if (obj == Py_None) return 0;
    if (!PyDict_Check(obj)) {
        PyErr_SetString(PyExc_TypeError, "settings must be a dict of str to str");
        return -1;
    }
    if (!(*held = obj = PyDict_Copy(obj))) return -1;
    Py_ssize_t pos = 0;
    PyObject *k, *v;
    while (PyDict_Next(obj, &pos, &k, &v)) {
        if (*count == MAX_SETTINGS) {
            PyErr_SetString(PyExc_ValueError, "too many settings");
            return -1;
        }
        if (!PyUnicode_Check(k) || !PyUnicode_Check(v)) {
            PyErr_SetString(PyExc_TypeError, "settings must be a dict of str to str");
            return -1;
        }
        out[*count].key = PyUnicode_AsUTF8(k);
        out[*count].value = PyUnicode_AsUTF8(v);
        if (!out[*count].key || !out[*count].value) return -1;
        (*count)++;
    }
    return 0;
}

/* The lock, the load, the change and the save of create/update/delete, as `cmz policy`
 * does them; returns the dict of the result or NULL with an exception. */
static PyObject *change(const char *op, const char *type, const cmz_policy_setting *settings,
                        size_t count, const char *config, cmz_diags *diags) {
    cmz_policy_location loc;
    if (cmz_policy_locate(config, &loc) != CMZ_OK)
        return cmzpy_raise_policy(CMZ_ERR_INVALID_ARG, "the policy file's path is too long", NULL,
                                  0, 0);
    if (!loc.path[0])
        return cmzpy_raise_policy(CMZ_ERR_INVALID_ARG,
                                  "no policy file to save to: pass config= or set CMZ_CONFIG", NULL,
                                  0, 0);
    if (loc.source == CMZ_POLICY_SOURCE_BUILTIN && make_parents(loc.path) != 0)
        return PyErr_SetFromErrnoWithFilename(PyExc_OSError, loc.path);
    cmz_policy_lock *lock = NULL;
    cmz_error err;
    cmz_error_clear(&err);
    cmz_status st;
    Py_BEGIN_ALLOW_THREADS st = cmz_policy_lock_file(loc.path, &lock, &err);
    Py_END_ALLOW_THREADS if (st != CMZ_OK) return cmzpy_raise_ctx(st, &err, "policy lock");
    PyObject *result = NULL;
    cmz_policy *p = open_policy(config, true, &loc, diags);
    if (!p) goto done;
    if (!strcmp(op, "create")) st = cmz_policy_create(p, type, settings, count, diags);
    else if (!strcmp(op, "update")) st = cmz_policy_update(p, type, settings, count, diags);
    else st = cmz_policy_delete(p, type, diags);
    if (st != CMZ_OK) {
        raise_diags(st, diags, op);
        goto done;
    }
    Py_BEGIN_ALLOW_THREADS st = cmz_policy_save(p, loc.path, &err);
    Py_END_ALLOW_THREADS if (st != CMZ_OK) {
        cmzpy_raise_ctx(st, &err, "policy save");
        goto done;
    }
    PyObject *warnings = diag_list(diags, CMZ_DIAG_WARNING);
    if (warnings)
        result = Py_BuildValue("{s:N,s:O,s:N}", "path", PyUnicode_DecodeFSDefault(loc.path),
                               "new_file", loc.exists ? Py_False : Py_True, "warnings", warnings);
done:
    cmz_policy_free(p);
    cmz_policy_unlock(lock);
    return result;
}

static PyObject *policy_change(PyObject *self, PyObject *args, PyObject *kwargs) {
    (void)self;
    static char *kwlist[] = {"op", "type", "settings", "config", NULL};
    const char *op, *type;
    PyObject *settings_obj = Py_None, *config_obj = Py_None, *config_bytes;
    if (!PyArg_ParseTupleAndKeywords(args, kwargs, "ss|OO:policy_change", kwlist, &op, &type,
                                     &settings_obj, &config_obj))
        return NULL;
    if (strcmp(op, "create") && strcmp(op, "update") && strcmp(op, "delete"))
        return PyErr_Format(PyExc_ValueError, "op must be 'create', 'update' or 'delete', not '%s'",
                            op);
    cmz_policy_setting settings[MAX_SETTINGS];
    size_t count;
    PyObject *held;
    if (settings_arg(settings_obj, settings, &count, &held) < 0) {
        Py_XDECREF(held);
        return NULL;
    }
    const char *config;
    cmz_diags *diags;
    PyObject *result = NULL;
    if (config_begin(config_obj, &config_bytes, &config, &diags) == 0) {
        result = change(op, type, settings, count, config, diags);
        cmz_diags_free(diags);
        Py_XDECREF(config_bytes);
    }
    Py_XDECREF(held);
    return result;
}

static PyObject *policy_verify(PyObject *self, PyObject *args, PyObject *kwargs) {
    (void)self;
    static char *kwlist[] = {"path", "config", NULL};
    PyObject *path_obj = Py_None, *config_obj = Py_None, *path_bytes, *config_bytes = NULL;
    if (!PyArg_ParseTupleAndKeywords(args, kwargs, "|OO:policy_verify", kwlist, &path_obj,
                                     &config_obj))
        return NULL;
    const char *path = optional_path(path_obj, &path_bytes);
    const char *config = PyErr_Occurred() ? NULL : optional_path(config_obj, &config_bytes);
    cmz_diags *diags = PyErr_Occurred() ? NULL : cmz_diags_new();
    PyObject *result = NULL;
    if (!diags) {
        if (!PyErr_Occurred()) PyErr_NoMemory();
        goto done;
    }
    cmz_policy *p = NULL;
    cmz_policy_location loc;
    cmz_status st;
    Py_BEGIN_ALLOW_THREADS st = path ? cmz_policy_load_file(path, &p, diags)
                                     : cmz_policy_open(config, false, &p, &loc, diags);
    Py_END_ALLOW_THREADS cmz_policy_free(p);
    if (st != CMZ_OK) {
        raise_diags(st, diags, "verify");
        goto done;
    }
    const char *name = path                                      ? path
                       : loc.source == CMZ_POLICY_SOURCE_BUILTIN ? "built-in"
                                                                 : loc.path;
    PyObject *warnings = diag_list(diags, CMZ_DIAG_WARNING);
    if (warnings)
        result = Py_BuildValue("{s:N,s:N}", "path", PyUnicode_DecodeFSDefault(name), "warnings",
                               warnings);
done:
    cmz_diags_free(diags);
    Py_XDECREF(path_bytes);
    Py_XDECREF(config_bytes);
    return result;
}

static PyMethodDef policy_methods[] = {
    {"policy_entry", (PyCFunction)(void (*)(void))policy_entry, METH_VARARGS | METH_KEYWORDS,
     "policy_entry(type, config=None) -> dict\n\nThe settings that apply to resource type "
     "`type`\n(its own entry, or `default`'s): type, algorithm, level, chunk_size (bytes),\n"
     "auto_compress, threshold_mb, priority, filter, typesize, listed (whether the policy\n"
     "names the type) and source (the file read, or 'built-in'). The policy is found as\n"
     "`cmz policy` finds it: config, $CMZ_CONFIG, ./configs/compression_layers.yaml, the\n"
     "user's file, the built-in defaults. Raises PolicyError for a bad file."},
    {"policy_types", (PyCFunction)(void (*)(void))policy_types, METH_VARARGS | METH_KEYWORDS,
     "policy_types(config=None) -> list[str]\n\nThe types the policy lists, in file order."},
    {"policy_change", (PyCFunction)(void (*)(void))policy_change, METH_VARARGS | METH_KEYWORDS,
     "policy_change(op, type, settings=None, config=None) -> dict\n\n"
     "op 'create', 'update' or 'delete' on the policy file, holding its lock (FILE.lock)\n"
     "from load to save, and saving atomically. settings: {key: value text} with the\n"
     "file's keys and syntax. Returns {'path', 'new_file', 'warnings'}. Raises PolicyError\n"
     "(every problem in its text and .diagnostics; the file unchanged)."},
    {"policy_verify", (PyCFunction)(void (*)(void))policy_verify, METH_VARARGS | METH_KEYWORDS,
     "policy_verify(path=None, config=None) -> dict\n\nLoads and validates the policy file "
     "`path` (or the one found from config):\n{'path', 'warnings'}; PolicyError with every "
     "problem when it is not valid."},
    {NULL, NULL, 0, NULL},
};

int cmzpy_part_policy(PyObject *module) { return PyModule_AddFunctions(module, policy_methods); }

/* For the registry part (registry.h): a failed policy or rules load as PolicyError. */
PyObject *cmzpy_raise_diags(cmz_status st, const cmz_diags *diags, const char *context) {
    return raise_diags(st, diags, context);
}
