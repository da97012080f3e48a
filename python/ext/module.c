/* cmz._cmz: the module object; its parts (parts.c) add the functions and types. */
#include "ext.h"

#include <pthread.h>

volatile unsigned long cmzpy_fork_generation;

static void after_fork_in_child(void) {
    cmzpy_fork_generation++;
    cmzpy_interrupt_after_fork();
}

PyDoc_STRVAR(module_doc, "cmz._cmz — the C extension over libcmz (use it through `import cmz`).");

static struct PyModuleDef module_def = {
    PyModuleDef_HEAD_INIT, .m_name = "cmz._cmz", .m_doc = module_doc,
    .m_size = -1, /* one instance per process: the parts keep process-wide state */
};

PyMODINIT_FUNC PyInit__cmz(void) {
    PyObject *module = PyModule_Create(&module_def);
    if (!module) return NULL;
    if (pthread_atfork(NULL, NULL, after_fork_in_child) != 0) {
        Py_DECREF(module);
        return PyErr_NoMemory();
    }
    for (const cmzpy_part_fn *part = cmzpy_parts; *part; part++) {
        if ((*part)(module) < 0) {
            Py_DECREF(module);
            return NULL;
        }
    }
    return module;
}
