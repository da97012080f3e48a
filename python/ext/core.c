/* The codec work behind the calls: compress into a new bytes object, decompress into a new
 * bytes object or the caller's buffer, read a range. Each runs without the GIL, straight from
 * the caller's buffer into the result's own memory. */
#include "ext.h"

cmz_cctx *cmzpy_cctx_new(cmz_params params, volatile sig_atomic_t *flag, const char *context) {
    params.interrupt = flag;
    cmz_error err;
    cmz_error_clear(&err);
    PyThreadState *ts = PyEval_SaveThread();
    cmz_cctx *cctx = cmz_cctx_new(&params, &err);
    PyEval_RestoreThread(ts);
    if (!cctx) cmzpy_raise_ctx(err.status != CMZ_OK ? err.status : CMZ_ERR_GENERIC, &err, context);
    return cctx;
}

cmz_dctx *cmzpy_dctx_new(cmz_dparams params, volatile sig_atomic_t *flag, const char *context) {
    params.interrupt = flag;
    cmz_error err;
    cmz_error_clear(&err);
    PyThreadState *ts = PyEval_SaveThread();
    cmz_dctx *dctx = cmz_dctx_new(&params, &err);
    PyEval_RestoreThread(ts);
    if (!dctx) cmzpy_raise_ctx(err.status != CMZ_OK ? err.status : CMZ_ERR_GENERIC, &err, context);
    return dctx;
}

void cmzpy_cctx_free(cmz_cctx *cctx) {
    PyThreadState *ts = PyEval_SaveThread();
    cmz_cctx_free(cctx);
    PyEval_RestoreThread(ts);
}

void cmzpy_dctx_free(cmz_dctx *dctx) {
    PyThreadState *ts = PyEval_SaveThread();
    cmz_dctx_free(dctx);
    PyEval_RestoreThread(ts);
}

typedef struct {
    cmz_cctx *cctx;
    void *dst;
    size_t cap, size;
    const void *src;
    size_t src_size;
    cmz_error err;
} compress_job;

static cmz_status run_compress(void *arg) {
    compress_job *j = arg;
    return cmz_compress(j->cctx, j->dst, j->cap, &j->size, j->src, j->src_size, &j->err);
}

/* The library's bound counts every chunk at the full chunk size: for an input of one short
 * chunk that is megabytes to map and unmap per call. A frame of that one chunk is bounded as
 * if the chunk size were the input's (the record's bound depends only on its raw size). */
static uint64_t tight_bound(const cmz_params *p, uint64_t n) {
    if (n >= p->chunk_size) return cmz_compress_bound(p, n);
    cmz_params one = *p;
    one.chunk_size = n > CMZ_CHUNK_SIZE_MIN ? (uint32_t)n : CMZ_CHUNK_SIZE_MIN;
    return cmz_compress_bound(&one, n);
}

/* Compresses into a new bytes object of `bound` bytes; NULL with *st = CMZ_ERR_DST_TOO_SMALL
 * and no exception when the frame did not fit. */
static PyObject *compress_within(cmz_cctx *cctx, const Py_buffer *in, uint64_t bound,
                                 volatile sig_atomic_t *flag, cmz_status *st) {
    *st = CMZ_OK;
    if (bound == 0 || bound > (uint64_t)PY_SSIZE_T_MAX)
        return PyErr_Format(PyExc_OverflowError, "compress: %zd bytes is too large", in->len);
    PyObject *out = cmzpy_bytes_new((Py_ssize_t)bound);
    if (!out) return NULL;
    compress_job j = {.cctx = cctx,
                      .dst = PyBytes_AS_STRING(out),
                      .cap = (size_t)bound,
                      .src = in->buf,
                      .src_size = (size_t)in->len};
    cmz_error_clear(&j.err);
    int raised;
    *st = cmzpy_run(flag, run_compress, &j, &raised);
    if (raised || *st != CMZ_OK) {
        Py_DECREF(out);
        if (raised || *st == CMZ_ERR_DST_TOO_SMALL) return NULL;
        return cmzpy_raise_ctx(*st, &j.err, "compress");
    }
    /* Shrinks in place (realloc): the frame is not copied. */
    if (_PyBytes_Resize(&out, (Py_ssize_t)j.size) < 0) return NULL;
    return out;
}

PyObject *cmzpy_compress_bytes(cmz_cctx *cctx, const Py_buffer *in, volatile sig_atomic_t *flag) {
    const cmz_params *p = cmz_cctx_params(cctx);
    uint64_t n = (uint64_t)in->len;
    cmz_status st;
    PyObject *res = compress_within(cctx, in, tight_bound(p, n), flag, &st);
    if (!res && st == CMZ_ERR_DST_TOO_SMALL && !PyErr_Occurred())
        res = compress_within(cctx, in, cmz_compress_bound(p, n), flag, &st);
    if (!res && st == CMZ_ERR_DST_TOO_SMALL && !PyErr_Occurred())
        cmzpy_raise_ctx(st, NULL, "compress"); /* the library's own bound did not hold */
    return res;
}

int cmzpy_frame_info(const Py_buffer *in, cmz_frame_info *info, const char *context) {
    cmz_source src;
    cmz_source_memory(&src, in->buf, (size_t)in->len);
    cmz_error err;
    cmz_error_clear(&err);
    PyThreadState *ts = PyEval_SaveThread();
    cmz_status st = cmz_frame_info_read(&src, info, &err);
    PyEval_RestoreThread(ts);
    if (st == CMZ_OK) return 0;
    cmzpy_raise_ctx(st, &err, context);
    return -1;
}

typedef struct {
    cmz_dctx *dctx;
    void *dst;
    size_t cap, size;
    const void *src;
    size_t src_size;
    cmz_error err;
} decompress_job;

static cmz_status run_decompress(void *arg) {
    decompress_job *j = arg;
    return cmz_decompress(j->dctx, j->dst, j->cap, &j->size, j->src, j->src_size, &j->err);
}

/* 0, or -1 with an exception set. */
static int decompress_into(cmz_dctx *dctx, const Py_buffer *in, void *dst, size_t cap,
                           volatile sig_atomic_t *flag) {
    decompress_job j = {
        .dctx = dctx, .dst = dst, .cap = cap, .src = in->buf, .src_size = (size_t)in->len};
    cmz_error_clear(&j.err);
    int raised;
    cmz_status st = cmzpy_run(flag, run_decompress, &j, &raised);
    if (raised) return -1;
    if (st != CMZ_OK) {
        cmzpy_raise_ctx(st, &j.err, "decompress");
        return -1;
    }
    return 0;
}

PyObject *cmzpy_decompress_to(cmz_dctx *dctx, const Py_buffer *in, PyObject *out_obj,
                              volatile sig_atomic_t *flag) {
    if (out_obj) {
        Py_buffer out;
        if (cmzpy_buffer_out(out_obj, &out, "out") < 0) return NULL;
        int r = decompress_into(dctx, in, out.buf, (size_t)out.len, flag);
        PyBuffer_Release(&out);
        return r < 0 ? NULL : Py_NewRef(out_obj);
    }
    cmz_frame_info info;
    if (cmzpy_frame_info(in, &info, "decompress") < 0) return NULL;
    uint64_t n = info.content_size;
    if (n > (uint64_t)PY_SSIZE_T_MAX) return PyErr_NoMemory();
    /* Decoded straight into the result: the chunks land in the bytes object's own memory. */
    PyObject *res = cmzpy_bytes_new((Py_ssize_t)n);
    if (!res) return NULL;
    if (decompress_into(dctx, in, PyBytes_AS_STRING(res), (size_t)n, flag) < 0) {
        Py_DECREF(res);
        return NULL;
    }
    return res;
}

typedef struct {
    cmz_frame_reader *reader;
    uint64_t offset;
    size_t length;
    void *dst;
    cmz_error err;
} range_job;

static cmz_status run_range(void *arg) {
    range_job *j = arg;
    return cmz_frame_reader_read(j->reader, j->offset, j->length, j->dst, &j->err);
}

int cmzpy_reader_read(cmz_frame_reader *reader, uint64_t offset, size_t length, void *dst,
                      volatile sig_atomic_t *flag, const char *context) {
    range_job j = {.reader = reader, .offset = offset, .length = length, .dst = dst};
    cmz_error_clear(&j.err);
    int raised;
    cmz_status st = cmzpy_run(flag, run_range, &j, &raised);
    if (raised) return -1;
    if (st != CMZ_OK) return cmzpy_raise_ctx(st, &j.err, context), -1;
    return 0;
}

PyObject *cmzpy_read_range(cmz_dctx *dctx, const Py_buffer *in, uint64_t offset, uint64_t length,
                           volatile sig_atomic_t *flag) {
    if (length > (uint64_t)PY_SSIZE_T_MAX)
        return PyErr_Format(PyExc_ValueError, "read_range: length %llu is too large",
                            (unsigned long long)length);
    cmz_source src;
    cmz_source_memory(&src, in->buf, (size_t)in->len);
    cmz_frame_reader *reader;
    cmz_error err;
    cmz_error_clear(&err);
    PyThreadState *ts = PyEval_SaveThread();
    cmz_status st = cmz_frame_reader_open(dctx, &src, &reader, &err);
    PyEval_RestoreThread(ts);
    if (st != CMZ_OK) return cmzpy_raise_ctx(st, &err, "read_range");
    PyObject *res = cmzpy_bytes_new((Py_ssize_t)length);
    if (res && cmzpy_reader_read(reader, offset, (size_t)length, PyBytes_AS_STRING(res), flag,
                                 "read_range") < 0)
        Py_CLEAR(res);
    cmz_frame_reader_close(reader);
    return res;
}
