/* The parts the module's init calls, in order: errors first, so that every later part can
 * raise the library's exceptions. A new C file of the extension adds its part here. */
#include "ext.h"

int cmzpy_part_errors(PyObject *module);
int cmzpy_part_interrupt(PyObject *module);
int cmzpy_part_options(PyObject *module);
int cmzpy_part_functions(PyObject *module);
int cmzpy_part_contexts(PyObject *module);
int cmzpy_part_frame(PyObject *module);
int cmzpy_part_policy(PyObject *module);
int cmzpy_part_damage(PyObject *module);
int cmzpy_part_hw(PyObject *module);
int cmzpy_part_stream(PyObject *module);
int cmzpy_part_registry(PyObject *module);

/* one part a line, in the order they are called */
/* clang-format off */
const cmzpy_part_fn cmzpy_parts[] = {
    cmzpy_part_errors,
    cmzpy_part_interrupt,
    cmzpy_part_options,
    cmzpy_part_functions,
    cmzpy_part_contexts,
    cmzpy_part_frame,
    cmzpy_part_policy,
    cmzpy_part_damage,
    cmzpy_part_hw,
    cmzpy_part_stream,
    cmzpy_part_registry,
    NULL,
};
/* clang-format on */
