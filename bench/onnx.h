/* A minimal ONNX reader for the benchmarks: walks the protobuf wire format of a ModelProto
 * and collects the values of its FLOAT tensors, tensor by tensor: graph initializers and
 * the values of Constant nodes (how paddle2onnx stores weights). Header-only.
 *
 * Only what is needed is decoded: ModelProto field 7 (graph: GraphProto), GraphProto field 5
 * (initializer: repeated TensorProto) and 1 (node) -> NodeProto 5 (attribute) ->
 * AttributeProto 5/11 (t/tensors) and 6/12 (subgraphs), TensorProto fields 1 (dims, varint, packed
 * or not), 2 (data_type, 1 = FLOAT), 9 (raw_data, little-endian), 4 (float_data, packed fixed32 or
 * one fixed32 per field). Every other field is skipped by its wire type; every length is checked
 * against the bytes that hold it, so a damaged file is rejected, never read out of bounds.
 * Initializers stored outside the file (external data) have no values here and are skipped. */
#ifndef CMZ_BENCH_ONNX_H
#define CMZ_BENCH_ONNX_H

#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    const uint8_t *p, *end;
} pb_reader;

static inline bool pb_varint(pb_reader *r, uint64_t *v) {
    uint64_t x = 0;
    for (unsigned shift = 0; shift < 64; shift += 7) {
        if (r->p >= r->end) return false;
        uint8_t b = *r->p++;
        x |= (uint64_t)(b & 0x7f) << shift;
        if (!(b & 0x80)) {
            *v = x;
            return true;
        }
    }
    return false; /* more than 10 bytes */
}

/* Reads one field's key; *len gets the length of a length-delimited field's body, which
 * *body then points at (the reader moves past it). Other wire types: the value is in *v
 * (fixed32/64 read little-endian). Returns false at the end or on malformed input
 * (*ok false then). */
typedef struct {
    uint32_t field, wire;
    uint64_t v;
    const uint8_t *body;
    size_t len;
} pb_field;

static inline bool pb_next(pb_reader *r, pb_field *f, bool *ok) {
    *ok = true;
    if (r->p >= r->end) return false;
    uint64_t key;
    *ok = false;
    if (!pb_varint(r, &key) || key >> 32) return false;
    f->field = (uint32_t)(key >> 3);
    f->wire = (uint32_t)(key & 7);
    f->body = NULL;
    f->len = 0;
    size_t left;
    switch (f->wire) {
    case 0:
        if (!pb_varint(r, &f->v)) return false;
        break;
    case 1:
    case 5: {
        size_t w = f->wire == 1 ? 8 : 4;
        if ((size_t)(r->end - r->p) < w) return false;
        f->v = 0;
        for (size_t i = 0; i < w; i++) f->v |= (uint64_t)r->p[i] << (8 * i);
        r->p += w;
        break;
    }
    case 2:
        if (!pb_varint(r, &f->v)) return false;
        left = (size_t)(r->end - r->p);
        if (f->v > left) return false;
        f->body = r->p;
        f->len = (size_t)f->v;
        r->p += f->len;
        break;
    default: /* groups (3, 4) are not used by ONNX; 6, 7 are invalid */ return false;
    }
    *ok = true;
    return true;
}

/* Collected float32 values (as their bit patterns) of every FLOAT initializer. */
typedef struct {
    uint32_t *bits;
    size_t count, cap;
    size_t tensors;                           /* FLOAT tensors with values */
    size_t skipped;                           /* tensors of other types or without values here */
    size_t from_initializers, from_constants; /* where the FLOAT tensors were found */
    size_t *ends;                             /* ends[i]: values before the end of tensor i */
    size_t ends_cap;
} onnx_floats;

static inline bool onnx_push(onnx_floats *o, uint32_t bits) {
    if (o->count == o->cap) {
        size_t cap = o->cap ? o->cap * 2 : 1 << 16;
        uint32_t *b = realloc(o->bits, cap * sizeof *b);
        if (!b) return false;
        o->bits = b;
        o->cap = cap;
    }
    o->bits[o->count++] = bits;
    return true;
}

static inline bool onnx_tensor(onnx_floats *o, const uint8_t *p, size_t n) {
    pb_reader r = {p, p + n};
    pb_field f;
    bool ok;
    uint64_t type = 0, elems = 1;
    bool have_dims = false, overflow = false;
    const uint8_t *raw = NULL, *packed = NULL;
    size_t raw_len = 0, packed_len = 0, loose = 0;
    size_t start = o->count;
    while (pb_next(&r, &f, &ok)) {
        if (f.field == 1 && f.wire == 0) {
            have_dims = true;
            if (f.v && elems > UINT64_MAX / f.v) overflow = true;
            elems *= f.v;
        } else if (f.field == 1 && f.wire == 2) {
            pb_reader d = {f.body, f.body + f.len};
            uint64_t dim;
            while (d.p < d.end) {
                if (!pb_varint(&d, &dim)) return false;
                have_dims = true;
                if (dim && elems > UINT64_MAX / dim) overflow = true;
                elems *= dim;
            }
        } else if (f.field == 2 && f.wire == 0) {
            type = f.v;
        } else if (f.field == 9 && f.wire == 2) {
            raw = f.body;
            raw_len = f.len;
        } else if (f.field == 4 && f.wire == 2) {
            if (f.len % 4) return false;
            packed = f.body;
            packed_len = f.len;
        } else if (f.field == 4 && f.wire == 5) {
            /* unpacked float_data: values come one field each, kept in order */
            if (!onnx_push(o, (uint32_t)f.v)) return false;
            loose++;
        }
    }
    if (!ok || overflow) return false;
    if (type != 1) {
        o->count = start; /* not FLOAT: drop anything pushed */
        o->skipped++;
        return true;
    }
    const uint8_t *src = raw ? raw : packed;
    size_t len = raw ? raw_len : packed_len;
    if (src) {
        if (len % 4 || (have_dims && elems != len / 4)) return false;
        o->count = start;
        for (size_t i = 0; i < len; i += 4)
            if (!onnx_push(o, (uint32_t)src[i] | (uint32_t)src[i + 1] << 8 |
                                  (uint32_t)src[i + 2] << 16 | (uint32_t)src[i + 3] << 24))
                return false;
    } else if (!loose) {
        o->skipped++; /* external data or empty */
        return true;
    }
    if (o->tensors == o->ends_cap) {
        size_t cap = o->ends_cap ? o->ends_cap * 2 : 256;
        size_t *e = realloc(o->ends, cap * sizeof *e);
        if (!e) return false;
        o->ends = e;
        o->ends_cap = cap;
    }
    o->ends[o->tensors++] = o->count;
    return true;
}

static inline bool onnx_graph(onnx_floats *o, const uint8_t *p, size_t n, int depth);

/* AttributeProto: field 5 t (TensorProto), 11 tensors, 6 g (GraphProto), 12 graphs. */
static inline bool onnx_attribute(onnx_floats *o, const uint8_t *p, size_t n, int depth) {
    pb_reader r = {p, p + n};
    pb_field f;
    bool ok;
    while (pb_next(&r, &f, &ok)) {
        if (f.wire != 2) continue;
        if (f.field == 5 || f.field == 11) {
            size_t before = o->tensors;
            if (!onnx_tensor(o, f.body, f.len)) return false;
            o->from_constants += o->tensors - before;
        } else if ((f.field == 6 || f.field == 12) && !onnx_graph(o, f.body, f.len, depth + 1)) {
            return false;
        }
    }
    return ok;
}

/* GraphProto: field 5 initializer (TensorProto); field 1 node (NodeProto), whose field 5
 * attributes hold the tensors of Constant nodes (paddle2onnx stores weights that way) and
 * the subgraphs of control-flow nodes. */
static inline bool onnx_graph(onnx_floats *o, const uint8_t *p, size_t n, int depth) {
    if (depth > 16) return false;
    pb_reader g = {p, p + n};
    pb_field t;
    bool ok;
    while (pb_next(&g, &t, &ok)) {
        if (t.wire != 2) continue;
        if (t.field == 5) {
            size_t before = o->tensors;
            if (!onnx_tensor(o, t.body, t.len)) return false;
            o->from_initializers += o->tensors - before;
        } else if (t.field == 1) {
            pb_reader nr = {t.body, t.body + t.len};
            pb_field a;
            bool nok;
            while (pb_next(&nr, &a, &nok))
                if (a.field == 5 && a.wire == 2 && !onnx_attribute(o, a.body, a.len, depth))
                    return false;
            if (!nok) return false;
        }
    }
    return ok;
}

/* Appends the FLOAT tensors (initializers and Constant nodes' values) of the ModelProto in
 * model[0..n) to *o, in file order. Returns false on malformed input or allocation failure
 * (*o keeps what was collected before). */
static inline bool onnx_collect_floats(onnx_floats *o, const uint8_t *model, size_t n) {
    pb_reader r = {model, model + n};
    pb_field f;
    bool ok;
    while (pb_next(&r, &f, &ok))
        if (f.field == 7 && f.wire == 2 && !onnx_graph(o, f.body, f.len, 0)) return false;
    return ok;
}

static inline void onnx_floats_free(onnx_floats *o) {
    free(o->bits);
    free(o->ends);
    memset(o, 0, sizeof *o);
}

#endif
