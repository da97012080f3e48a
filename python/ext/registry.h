/* cmz._cmz registry part: declarations shared by registry.c (the _Registry type, its
 * lifetime and callbacks), registry_ops.c (resources) and registry_snap.c (snapshots). */
#ifndef CMZPY_REGISTRY_H
#define CMZPY_REGISTRY_H

#include "ext.h"

#include <stdatomic.h>

typedef struct {
    PyObject_HEAD cmz_registry *reg; /* NULL once freed */
    cmz_snapshots *snaps;
    PyObject *on_pressure, *on_release; /* callables or NULL: called with the GIL taken */
    unsigned long generation;           /* cmzpy_fork_generation when made */
    Py_ssize_t pins;                    /* live _Pin objects (each holds a reference) */
    Py_ssize_t calls;                   /* calls in flight with the GIL released */
    int closed;                         /* close() was called: no more calls */
    int freeing;                        /* free_registry began: no more callbacks */
    _Atomic uint64_t clock_ns;          /* the test clock's time, when installed */
    PyObject *weakrefs;
} cmzpy_registry;

extern PyTypeObject cmzpy_RegistryType, cmzpy_PinType;

/* The registry of self, or NULL with ValueError set when closed (or made before a fork). */
cmz_registry *cmzpy_registry_get(cmzpy_registry *self);

/* An id argument (str, at most CMZ_REGISTRY_ID_MAX UTF-8 bytes) copied into buf. 0 or -1. */
int cmzpy_registry_id(PyObject *obj, char buf[CMZ_REGISTRY_ID_MAX + 1]);

/* Raises the exception mapped from st with "what 'id': message" context. Returns NULL. */
PyObject *cmzpy_registry_raise(cmz_status st, const cmz_error *err, const char *what,
                               const char *id);

/* The methods of registry_ops.c and registry_snap.c, joined into the type by registry.c. */
extern PyMethodDef cmzpy_registry_ops_methods[], cmzpy_registry_snap_methods[];

/* Frees the registry when it was closed and its last pin and call are gone (GIL held). */
void cmzpy_registry_maybe_free(cmzpy_registry *self);

/* Runs stmt (a call on the registry or its snapshots) with the GIL released, counted in
 * self->calls: a close() from another thread meanwhile frees the registry only when the
 * last such call ends. The registry may be gone after it: look it up again
 * (cmzpy_registry_get) before another call. */
#define CMZPY_REGISTRY_CALL(self, stmt)      \
    do {                                     \
        (self)->calls++;                     \
        Py_BEGIN_ALLOW_THREADS stmt;         \
        Py_END_ALLOW_THREADS(self)->calls--; \
        cmzpy_registry_maybe_free(self);     \
    } while (0)

/* Raises PolicyError from a failed policy or rules load (policy.c). Returns NULL. */
PyObject *cmzpy_raise_diags(cmz_status st, const cmz_diags *diags, const char *context);

#endif
