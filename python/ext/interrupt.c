/* Ctrl-C during a call made without the GIL (ext.h says how it is used). Python's own C
 * handler only notes the signal for the main thread's next bytecode, which a call in libcmz
 * does not reach until it ends; so for the length of the call a handler of ours sits in
 * front of it: it raises the library's interrupt flag, then hands the signal on. */
#include "ext.h"

#include <errno.h>
#include <string.h>

/* Only the main thread arms, and not while it is already armed (a nested call from a
 * callback), so one flag and one saved handler suffice. */
static volatile sig_atomic_t *volatile armed_flag;
static struct sigaction python_handler;
static unsigned long main_thread;

static void on_sigint(int sig, siginfo_t *info, void *ctx) {
    int saved = errno;
    volatile sig_atomic_t *flag = armed_flag;
    if (flag) *flag = 1;
    if (python_handler.sa_flags & SA_SIGINFO) python_handler.sa_sigaction(sig, info, ctx);
    else python_handler.sa_handler(sig);
    errno = saved;
}

void cmzpy_interrupt_arm(cmzpy_interrupt *it, volatile sig_atomic_t *flag) {
    it->flag = flag;
    it->armed = 0;
    *flag = 0;
    if (armed_flag || PyThread_get_thread_ident() != main_thread) return;
    struct sigaction current;
    if (sigaction(SIGINT, NULL, &current) != 0) return;
    /* SIG_DFL (the program asked Ctrl-C to kill it) and SIG_IGN stay as they are. */
    if (!(current.sa_flags & SA_SIGINFO) &&
        (current.sa_handler == SIG_DFL || current.sa_handler == SIG_IGN))
        return;
    python_handler = current;
    armed_flag = flag;
    struct sigaction ours;
    memset(&ours, 0, sizeof ours);
    ours.sa_sigaction = on_sigint;
    ours.sa_flags = SA_SIGINFO | (current.sa_flags & (SA_ONSTACK | SA_RESTART));
    ours.sa_mask = current.sa_mask;
    if (sigaction(SIGINT, &ours, NULL) != 0) {
        armed_flag = NULL;
        return;
    }
    it->armed = 1;
}

int cmzpy_interrupt_disarm(cmzpy_interrupt *it, cmz_status st) {
    if (it->armed) {
        sigaction(SIGINT, &python_handler, NULL);
        armed_flag = NULL;
        it->armed = 0;
    }
    int tripped = *it->flag != 0;
    *it->flag = 0;
    if (st != CMZ_ERR_INTERRUPTED || !tripped) return 0;
    /* Python's handlers run now; the default one raises KeyboardInterrupt. One that does not
     * raise asks for the work to go on: the caller calls again. */
    if (PyErr_CheckSignals() < 0) return -1;
    return 1;
}

void cmzpy_interrupt_after_fork(void) {
    /* The child's one thread is the one that forked, Python's main thread from now on; a call
     * armed in the parent does not go on here. */
    main_thread = PyThread_get_thread_ident();
    if (armed_flag) {
        sigaction(SIGINT, &python_handler, NULL);
        armed_flag = NULL;
    }
}

int cmzpy_part_interrupt(PyObject *module) {
    (void)module;
    main_thread = PyThread_get_thread_ident();
    /* Imported from another thread: ask threading which thread is the main one. */
    PyObject *threading = PyImport_ImportModule("threading");
    if (!threading) return -1;
    PyObject *mt = PyObject_CallMethod(threading, "main_thread", NULL);
    Py_DECREF(threading);
    if (!mt) return -1;
    PyObject *ident = PyObject_GetAttrString(mt, "ident");
    Py_DECREF(mt);
    if (!ident) return -1;
    main_thread = PyLong_AsUnsignedLong(ident);
    Py_DECREF(ident);
    return PyErr_Occurred() ? -1 : 0;
}

cmz_status cmzpy_run(volatile sig_atomic_t *flag, cmzpy_job_fn job, void *arg, int *raised) {
    cmzpy_interrupt it;
    cmz_status st;
    int again;
    do {
        cmzpy_interrupt_arm(&it, flag);
        PyThreadState *ts = PyEval_SaveThread();
        st = job(arg);
        PyEval_RestoreThread(ts);
        again = cmzpy_interrupt_disarm(&it, st);
    } while (again > 0);
    *raised = again < 0 ? -1 : 0;
    return st;
}
