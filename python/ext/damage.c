/* cmz._cmz damage part: include/cmz/salvage.h over in-memory frames: compress with a check,
 * decompress with parity repair, verify, salvage and repair, each giving a report as a dict
 * (the chunks lost, as content byte ranges, so that a caller can say exactly what is gone). */
#include "ext.h"

#include <stdbool.h>
#include <string.h>

/* A growing output in raw memory (written without the GIL by the library's cmz_output). */
typedef struct {
    uint8_t *p;
    size_t len, cap;
} membuf;

static int membuf_write(void *opaque, const void *buf, size_t n) {
    membuf *m = opaque;
    if (n > m->cap - m->len) {
        size_t cap = m->cap ? m->cap : 1 << 16;
        while (cap - m->len < n) {
            if (cap > SIZE_MAX / 2) return -1;
            cap *= 2;
        }
        uint8_t *p = PyMem_RawRealloc(m->p, cap);
        if (!p) return -1;
        m->p = p;
        m->cap = cap;
    }
    memcpy(m->p + m->len, buf, n);
    m->len += n;
    return 0;
}

static PyObject *u64_or_none(uint64_t v) {
    if (v == CMZ_NO_POSITION) Py_RETURN_NONE;
    return PyLong_FromUnsignedLongLong(v);
}

static PyObject *chunk_dict(const cmz_chunk_report *c) {
    return Py_BuildValue(
        "{s:K,s:K,s:s,s:N,s:K,s:I,s:s,s:O,s:O,s:s}", "frame", (unsigned long long)c->frame,
        "number", (unsigned long long)c->number, "state", cmz_chunk_state_name(c->state),
        "record_offset", u64_or_none(c->record_offset), "content_offset",
        (unsigned long long)c->content_offset, "raw_size", (unsigned)c->raw_size, "status",
        cmz_status_name(c->status), "repairable", c->repairable ? Py_True : Py_False, "repaired",
        c->repaired ? Py_True : Py_False, "message", c->message);
}

static int append_range(PyObject *ranges, uint64_t start, uint64_t end) {
    PyObject *t = Py_BuildValue("(KK)", (unsigned long long)start, (unsigned long long)end);
    int r = t ? PyList_Append(ranges, t) : -1;
    Py_XDECREF(t);
    return r;
}

/* The damaged and missing chunks not repaired (as dicts) and the content ranges they
 * held, merged where they touch: [(start, end), ...]. */
static int lost_lists(const cmz_frame_report *r, PyObject **chunks, PyObject **ranges) {
    *chunks = PyList_New(0);
    *ranges = PyList_New(0);
    if (!*chunks || !*ranges) return -1;
    uint64_t start = 0, end = 0;
    int open = 0;
    for (uint64_t i = 0; i < r->chunk_count; i++) {
        const cmz_chunk_report *c = &r->chunks[i];
        if (c->state == CMZ_CHUNK_INTACT || c->repaired) continue;
        PyObject *d = chunk_dict(c);
        if (!d || PyList_Append(*chunks, d) < 0) {
            Py_XDECREF(d);
            return -1;
        }
        Py_DECREF(d);
        if (open && c->content_offset == end) {
            end += c->raw_size;
            continue;
        }
        if (open && append_range(*ranges, start, end) < 0) return -1;
        start = c->content_offset;
        end = start + c->raw_size;
        open = 1;
    }
    return open ? append_range(*ranges, start, end) : 0;
}

static PyObject *report_dict(const cmz_frame_report *r) {
    PyObject *chunks = NULL, *ranges = NULL;
    if (lost_lists(r, &chunks, &ranges) < 0) {
        Py_XDECREF(chunks);
        Py_XDECREF(ranges);
        return NULL;
    }
    int whole = r->damaged == 0 && r->missing == 0 && r->stray_bytes == 0 && r->header_ok &&
                r->footer_ok && r->index_ok;
    return Py_BuildValue(
        "{s:O,s:O,s:O,s:O,s:O,s:K,s:K,s:K,s:K,s:K,s:K,s:O,s:K,s:K,s:K,s:N,s:K,s:s,s:N,s:N}",
        "intact", whole ? Py_True : Py_False, "header_ok", r->header_ok ? Py_True : Py_False,
        "footer_ok", r->footer_ok ? Py_True : Py_False, "index_ok",
        r->index_ok ? Py_True : Py_False, "content_size_known",
        r->content_size_known ? Py_True : Py_False, "content_size",
        (unsigned long long)r->info.content_size, "chunk_count", (unsigned long long)r->chunk_count,
        "chunks_intact", (unsigned long long)r->intact, "damaged", (unsigned long long)r->damaged,
        "missing", (unsigned long long)r->missing, "lost_bytes", (unsigned long long)r->lost_bytes,
        "has_parity", r->has_parity ? Py_True : Py_False, "repairable",
        (unsigned long long)r->repairable, "repaired", (unsigned long long)r->repaired, "frames",
        (unsigned long long)r->frames, "stray_offset", u64_or_none(r->stray_offset), "stray_bytes",
        (unsigned long long)r->stray_bytes, "summary", r->summary, "lost_chunks", chunks,
        "lost_ranges", ranges);
}

/* A decoder for `threads` (an int or None) whose interrupt flag is *flag; NULL with an
 * exception set. */
static cmz_dctx *new_dctx(PyObject *threads_obj, volatile sig_atomic_t *flag, const char *context) {
    cmz_dparams dp = cmz_dparams_default();
    if (cmzpy_threads_arg(threads_obj, &dp.threads) < 0) return NULL;
    return cmzpy_dctx_new(dp, flag, context);
}

/* The (frame, threads) arguments of the calls over frame bytes: the frame's view held and a
 * decoder made. 0, or -1 with an exception set (nothing held); else frame_args_end. */
typedef struct {
    Py_buffer view;
    cmz_dctx *dctx;
} frame_args;

static int frame_args_begin(frame_args *a, PyObject *args, PyObject *kwargs, const char *fmt,
                            volatile sig_atomic_t *flag, const char *context) {
    static char *kwlist[] = {"frame", "threads", NULL};
    PyObject *frame_obj, *threads_obj = Py_None;
    if (!PyArg_ParseTupleAndKeywords(args, kwargs, fmt, kwlist, &frame_obj, &threads_obj))
        return -1;
    if (cmzpy_buffer_in(frame_obj, &a->view, "frame") < 0) return -1;
    a->dctx = new_dctx(threads_obj, flag, context);
    if (a->dctx) return 0;
    PyBuffer_Release(&a->view);
    return -1;
}

static void frame_args_end(frame_args *a) {
    cmzpy_dctx_free(a->dctx);
    PyBuffer_Release(&a->view);
}

enum { OP_VERIFY, OP_SALVAGE, OP_REPAIR };

typedef struct {
    int op;
    cmz_dctx *dctx;
    cmz_source src;
    cmz_output out;
    cmz_frame_report *report;
    cmz_error err;
} report_job;

static cmz_status report_run(void *arg) {
    report_job *j = arg;
    switch (j->op) {
    case OP_VERIFY: return cmz_frame_verify(j->dctx, &j->src, &j->report, &j->err);
    case OP_SALVAGE: return cmz_frame_salvage(j->dctx, &j->src, &j->out, &j->report, &j->err);
    default: return cmz_frame_repair(j->dctx, &j->src, &j->out, &j->report, &j->err);
    }
}

/* verify / salvage / repair of frame bytes: (bytes or None, report dict). */
static PyObject *run_report(PyObject *args, PyObject *kwargs, int op, const char *fmt) {
    static const char *const names[] = {"verify", "salvage", "repair"};
    volatile sig_atomic_t flag = 0;
    frame_args a;
    if (frame_args_begin(&a, args, kwargs, fmt, &flag, names[op]) < 0) return NULL;
    membuf m = {0};
    report_job j = {.op = op, .dctx = a.dctx, .out = {membuf_write, &m}};
    cmz_error_clear(&j.err);
    cmz_source_memory(&j.src, a.view.buf, (size_t)a.view.len);
    int raised;
    cmz_status st = cmzpy_run(&flag, report_run, &j, &raised);
    frame_args_end(&a);
    PyObject *result = NULL;
    /* A repair that cannot rebuild everything still reports which chunks: the report is
     * the answer then, and the incomplete output is dropped. */
    if (raised) {
        /* the signal handler's exception is set */
    } else if (j.report && (st == CMZ_OK || (op == OP_REPAIR && st == CMZ_ERR_CORRUPT))) {
        PyObject *rd = report_dict(j.report);
        PyObject *data = NULL;
        if (op == OP_VERIFY || st != CMZ_OK) data = Py_NewRef(Py_None);
        else data = PyBytes_FromStringAndSize(m.len ? (const char *)m.p : "", (Py_ssize_t)m.len);
        if (rd && data) result = PyTuple_Pack(2, data, rd);
        Py_XDECREF(rd);
        Py_XDECREF(data);
    } else {
        cmzpy_raise(st != CMZ_OK ? st : CMZ_ERR_GENERIC, &j.err);
    }
    cmz_frame_report_free(j.report);
    PyMem_RawFree(m.p);
    return result;
}

static PyObject *frame_verify(PyObject *self, PyObject *args, PyObject *kwargs) {
    (void)self;
    return run_report(args, kwargs, OP_VERIFY, "O|O:verify");
}
static PyObject *frame_salvage(PyObject *self, PyObject *args, PyObject *kwargs) {
    (void)self;
    return run_report(args, kwargs, OP_SALVAGE, "O|O:salvage");
}
static PyObject *frame_repair(PyObject *self, PyObject *args, PyObject *kwargs) {
    (void)self;
    return run_report(args, kwargs, OP_REPAIR, "O|O:repair");
}

/* One library call with the GIL released and Ctrl-C armed (cmzpy_run). */
typedef struct {
    cmz_status (*fn)(void *job);
    cmz_cctx *cctx;
    cmz_dctx *dctx;
    const void *src;
    size_t src_size;
    void *dst;
    size_t dst_capacity, dst_size;
    cmz_source source;
    uint64_t size, repaired;
    const char *path;
    bool rewritten;
    cmz_frame_report *report;
    cmz_error err;
} call_job;

static cmz_status run_safe_compress(void *arg) {
    call_job *j = arg;
    return cmz_safe_compress(j->cctx, j->dst, j->dst_capacity, &j->dst_size, j->src, j->src_size,
                             &j->err);
}

static PyObject *safe_compress(PyObject *self, PyObject *args, PyObject *kwargs) {
    (void)self;
    static char *kwlist[] = {"data",   "algorithm", "level",  "threads", "chunk_size",
                             "filter", "typesize",  "parity", "type",    NULL};
    PyObject *data_obj, *kw[8] = {NULL};
    if (!PyArg_ParseTupleAndKeywords(args, kwargs, "O|$OOOOOOOO:safe_compress", kwlist, &data_obj,
                                     &kw[0], &kw[1], &kw[2], &kw[3], &kw[4], &kw[5], &kw[6],
                                     &kw[7]))
        return NULL;
    cmzpy_options o;
    if (cmzpy_options_parse(&o, kw[0], kw[1], kw[2], kw[3], kw[4], kw[5], kw[6], kw[7]) < 0)
        return NULL;
    Py_buffer view;
    if (cmzpy_buffer_in(data_obj, &view, "data") < 0) return NULL;
    o.params.typesize = cmzpy_options_typesize(&o, &view);
    volatile sig_atomic_t flag = 0;
    call_job j = {.src = view.buf, .src_size = (size_t)view.len};
    cmz_error_clear(&j.err);
    j.cctx = cmzpy_cctx_new(o.params, &flag, "safe_compress");
    PyObject *out = NULL;
    if (j.cctx) {
        uint64_t bound = cmz_compress_bound(cmz_cctx_params(j.cctx), (uint64_t)view.len);
        out = bound && bound <= PY_SSIZE_T_MAX ? cmzpy_bytes_new((Py_ssize_t)bound)
                                               : PyErr_NoMemory();
        if (out) {
            j.dst = PyBytes_AS_STRING(out);
            j.dst_capacity = (size_t)bound;
            int raised;
            cmz_status st = cmzpy_run(&flag, run_safe_compress, &j, &raised);
            if (raised || st != CMZ_OK) {
                Py_CLEAR(out);
                if (!raised) cmzpy_raise_ctx(st, &j.err, "safe_compress");
            } else if (_PyBytes_Resize(&out, (Py_ssize_t)j.dst_size) < 0) {
                out = NULL;
            }
        }
        cmzpy_cctx_free(j.cctx);
    }
    PyBuffer_Release(&view);
    return out;
}

/* The content size to decode into: the frame's (header, footer and index agree), or, for
 * a frame damaged there, what verification learns from the header or the footer's copy. */
static cmz_status run_content_size(void *arg) {
    call_job *j = arg;
    cmz_frame_info info;
    if (cmz_frame_info_read(&j->source, &info, NULL) == CMZ_OK) {
        j->size = info.content_size;
        return CMZ_OK;
    }
    cmz_frame_report *report = NULL;
    cmz_status st = cmz_frame_verify(j->dctx, &j->source, &report, &j->err);
    if (st == CMZ_OK) j->size = report->info.content_size;
    cmz_frame_report_free(report);
    return st;
}

static cmz_status run_safe_decompress(void *arg) {
    call_job *j = arg;
    return cmz_safe_decompress(j->dctx, j->dst, j->dst_capacity, &j->dst_size, j->src, j->src_size,
                               &j->repaired, &j->err);
}

static PyObject *safe_decompress(PyObject *self, PyObject *args, PyObject *kwargs) {
    (void)self;
    volatile sig_atomic_t flag = 0;
    frame_args a;
    if (frame_args_begin(&a, args, kwargs, "O|$O:safe_decompress", &flag, "safe_decompress") < 0)
        return NULL;
    call_job j = {.dctx = a.dctx, .src = a.view.buf, .src_size = (size_t)a.view.len};
    cmz_error_clear(&j.err);
    cmz_source_memory(&j.source, a.view.buf, (size_t)a.view.len);
    PyObject *out = NULL;
    int raised = 0;
    cmz_status st = cmzpy_run(&flag, run_content_size, &j, &raised);
    if (raised) {
        /* the exception is set */
    } else if (st != CMZ_OK) {
        cmzpy_raise_ctx(st, &j.err, "safe_decompress");
    } else if (j.size > PY_SSIZE_T_MAX) {
        PyErr_NoMemory();
    } else if ((out = cmzpy_bytes_new((Py_ssize_t)j.size))) {
        j.dst = PyBytes_AS_STRING(out);
        j.dst_capacity = (size_t)j.size;
        st = cmzpy_run(&flag, run_safe_decompress, &j, &raised);
        if (raised || st != CMZ_OK) {
            Py_CLEAR(out);
            if (!raised) cmzpy_raise_ctx(st, &j.err, "safe_decompress");
        } else if (j.dst_size != j.size && _PyBytes_Resize(&out, (Py_ssize_t)j.dst_size) < 0) {
            out = NULL;
        }
    }
    frame_args_end(&a);
    return out ? Py_BuildValue("(NK)", out, (unsigned long long)j.repaired) : NULL;
}

static cmz_status run_repair_file(void *arg) {
    call_job *j = arg;
    return cmz_frame_repair_file(j->dctx, j->path, &j->rewritten, &j->report, &j->err);
}

static PyObject *repair_file(PyObject *self, PyObject *args, PyObject *kwargs) {
    (void)self;
    static char *kwlist[] = {"path", "threads", NULL};
    PyObject *path_bytes = NULL, *threads_obj = Py_None;
    if (!PyArg_ParseTupleAndKeywords(args, kwargs, "O&|O:repair_file", kwlist,
                                     PyUnicode_FSConverter, &path_bytes, &threads_obj))
        return NULL;
    volatile sig_atomic_t flag = 0;
    call_job j = {.path = PyBytes_AS_STRING(path_bytes)};
    cmz_error_clear(&j.err);
    j.dctx = new_dctx(threads_obj, &flag, "repair_file");
    PyObject *result = NULL;
    int raised = 0;
    cmz_status st = j.dctx ? cmzpy_run(&flag, run_repair_file, &j, &raised) : CMZ_OK;
    if (!j.dctx || raised) {
        /* the exception is set */
    } else if (j.report && (st == CMZ_OK || st == CMZ_ERR_CORRUPT)) {
        PyObject *rd = report_dict(j.report);
        if (rd) result = Py_BuildValue("(ON)", j.rewritten ? Py_True : Py_False, rd);
    } else {
        cmzpy_raise_ctx(st != CMZ_OK ? st : CMZ_ERR_GENERIC, &j.err, "repair_file");
    }
    cmzpy_dctx_free(j.dctx);
    cmz_frame_report_free(j.report);
    Py_DECREF(path_bytes);
    return result;
}

static cmz_status run_check_parity(void *arg) {
    call_job *j = arg;
    return cmz_frame_check_parity(j->dctx, &j->source, &j->err);
}

static PyObject *check_parity(PyObject *self, PyObject *args, PyObject *kwargs) {
    (void)self;
    volatile sig_atomic_t flag = 0;
    frame_args a;
    if (frame_args_begin(&a, args, kwargs, "O|O:check_parity", &flag, "check_parity") < 0)
        return NULL;
    call_job j = {.dctx = a.dctx};
    cmz_error_clear(&j.err);
    cmz_source_memory(&j.source, a.view.buf, (size_t)a.view.len);
    int raised = 0;
    cmz_status st = cmzpy_run(&flag, run_check_parity, &j, &raised);
    frame_args_end(&a);
    if (raised) return NULL;
    if (st != CMZ_OK) return cmzpy_raise_ctx(st, &j.err, "check_parity");
    Py_RETURN_NONE;
}

/* Large inputs release the GIL; a small one costs less than the switch. */
#define CRC_GIL_FREE_BYTES (64 * 1024)

static PyObject *crc32c(PyObject *self, PyObject *args) {
    (void)self;
    PyObject *data_obj, *crc_obj = NULL;
    uint64_t crc = 0;
    if (!PyArg_ParseTuple(args, "O|O:crc32c", &data_obj, &crc_obj)) return NULL;
    /* not "I", which takes any int modulo 2**32 */
    if (crc_obj && cmzpy_u64_arg(crc_obj, "crc", &crc) < 0) return NULL;
    if (crc > UINT32_MAX) return PyErr_Format(PyExc_ValueError, "crc %S is past 32 bits", crc_obj);
    Py_buffer view;
    if (cmzpy_buffer_in(data_obj, &view, "data") < 0) return NULL;
    uint32_t v = (uint32_t)crc;
    if (view.len >= CRC_GIL_FREE_BYTES) {
        Py_BEGIN_ALLOW_THREADS v = cmz_crc32c(v, view.buf, (size_t)view.len);
        Py_END_ALLOW_THREADS
    } else {
        v = cmz_crc32c(v, view.buf, (size_t)view.len);
    }
    PyBuffer_Release(&view);
    return PyLong_FromUnsignedLong(v);
}

static PyMethodDef damage_methods[] = {
    {"crc32c", crc32c, METH_VARARGS,
     "crc32c(data, crc=0) -> int\n\nCRC32C (Castagnoli) of a buffer, continuing from crc "
     "(0..2**32-1): "
     "the checksum the frame\nformat uses, hardware-accelerated (cmz_crc32c)."},
    {"verify", (PyCFunction)(void (*)(void))frame_verify, METH_VARARGS | METH_KEYWORDS,
     "verify(frame, threads=0) -> (None, report)\n\nChecks every chunk of the frame bytes "
     "(cmz_frame_verify). The report is a dict:\nintact (bool), header_ok, footer_ok, "
     "index_ok, content_size, content_size_known,\nchunk_count, chunks_intact, damaged, "
     "missing, lost_bytes, has_parity, repairable,\nrepaired, frames, stray_offset, "
     "stray_bytes, summary (one line for a person),\nlost_chunks (a dict per damaged or "
     "missing chunk) and lost_ranges ([(start, end)]\ncontent byte ranges lost, merged). "
     "Raises CorruptError when neither header nor\nfooter is intact."},
    {"salvage", (PyCFunction)(void (*)(void))frame_salvage, METH_VARARGS | METH_KEYWORDS,
     "salvage(frame, threads=0) -> (bytes, report)\n\nThe content with every intact chunk "
     "decoded and damaged or missing ones as zeros\nof their size (cmz_frame_salvage); the "
     "report as verify's."},
    {"repair", (PyCFunction)(void (*)(void))frame_repair, METH_VARARGS | METH_KEYWORDS,
     "repair(frame, threads=0) -> (bytes | None, report)\n\nThe frame rebuilt from its parity, "
     "byte for byte as written (cmz_frame_repair);\nNone with the report when some chunk "
     "cannot be rebuilt (report['lost_chunks'])."},
    {"repair_file", (PyCFunction)(void (*)(void))repair_file, METH_VARARGS | METH_KEYWORDS,
     "repair_file(path, threads=0) -> (rewritten, report)\n\nRepairs the .cmz file at path "
     "in place (cmz_frame_repair_file): the repaired\nframes are written beside it, checked, "
     "synced and renamed over it. An intact file,\nor one that cannot be rebuilt whole, is "
     "left untouched (rewritten False; the report\nsays which chunks are lost)."},
    {"check_parity", (PyCFunction)(void (*)(void))check_parity, METH_VARARGS | METH_KEYWORDS,
     "check_parity(frame, threads=0) -> None\n\nRecomputes every group's parity and compares "
     "it with the frame's parity records\n(cmz_frame_check_parity); CorruptError naming the "
     "first that differs."},
    {"safe_compress", (PyCFunction)(void (*)(void))safe_compress, METH_VARARGS | METH_KEYWORDS,
     "safe_compress(data, *, algorithm=None, level=None, threads=0, chunk_size=None,\n"
     "              filter=None, typesize=None, parity=None, type=None) -> bytes\n\n"
     "The keywords are cmz.compress's. "
     "A frame, checked before it is returned: decoded again and compared with data, and its\n"
     "parity recomputed (cmz_safe_compress). CorruptError when the check fails."},
    {"safe_decompress", (PyCFunction)(void (*)(void))safe_decompress, METH_VARARGS | METH_KEYWORDS,
     "safe_decompress(frame, *, threads=0) -> (bytes, repaired)\n\nDecompresses; on damage "
     "repairs the frame in memory from its parity and decodes\nagain "
     "(cmz_safe_decompress). repaired: chunks rebuilt. The decoder's error,\nwith the "
     "repair's reason, when the damage cannot be undone."},
    {NULL, NULL, 0, NULL},
};

int cmzpy_part_damage(PyObject *module) { return PyModule_AddFunctions(module, damage_methods); }
