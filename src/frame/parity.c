/* Reed-Solomon encoding and erasure decoding of parity groups, on ISA-L's erasure code (the
 * method of its ec_simple_example: a Cauchy generator, whose every k x k submatrix is
 * invertible, so any k surviving shards give back the rest). */
#include "parity.h"

#include <assert.h>
#include <isa-l/erasure_code.h>
#include <string.h>

cmz_status cmz__parity_code_init(cmz__parity_code *code, unsigned k, unsigned m) {
    memset(code, 0, sizeof *code);
    if (k == 0 || m == 0 || k + m > CMZ_PARITY_MAX) return CMZ_ERR_INVALID_ARG;
    code->k = k;
    code->m = m;
    code->matrix = cmz__malloc((size_t)(k + m) * k);
    code->tables = cmz__malloc((size_t)32 * k * m);
    if (!code->matrix || !code->tables) {
        cmz__parity_code_free(code);
        return CMZ_ERR_NOMEM;
    }
    gf_gen_cauchy1_matrix(code->matrix, (int)(k + m), (int)k);
    ec_init_tables((int)k, (int)m, code->matrix + (size_t)k * k, code->tables);
    return CMZ_OK;
}

void cmz__parity_code_free(cmz__parity_code *code) {
    cmz__free(code->matrix);
    cmz__free(code->tables);
    code->matrix = code->tables = NULL;
}

void cmz__parity_fold(const cmz__parity_code *code, unsigned i, const uint8_t *data, size_t len,
                      uint8_t *const *parity) {
    /* ISA-L takes an int length: fold pieces of at most 1 GiB (records are smaller anyway). */
    const size_t piece = (size_t)1 << 30;
    uint8_t *out[CMZ_PARITY_MAX];
    for (size_t at = 0; at < len; at += piece) {
        size_t n = len - at < piece ? len - at : piece;
        for (unsigned j = 0; j < code->m; j++) out[j] = parity[j] + at;
        ec_encode_data_update((int)n, (int)code->k, (int)code->m, (int)i, code->tables,
                              (unsigned char *)data + at, out);
    }
}

cmz_status cmz__parity_rebuild(const cmz__parity_code *code, uint8_t *const *shards,
                               const bool *present, size_t len) {
    const unsigned k = code->k, m = code->m;
    unsigned survivors[CMZ_PARITY_MAX], missing[CMZ_PARITY_MAX];
    unsigned nsurv = 0, nmiss = 0;
    for (unsigned i = 0; i < k + m && nsurv < k; i++)
        if (present[i]) survivors[nsurv++] = i;
    for (unsigned i = 0; i < k; i++)
        if (!present[i]) missing[nmiss++] = i;
    if (nmiss == 0) return CMZ_OK;
    if (nsurv < k) return CMZ_ERR_CORRUPT;
    /* b: the generator's rows of the survivors; its inverse maps survivors to data. */
    uint8_t *b = cmz__malloc((size_t)k * k), *inv = cmz__malloc((size_t)k * k);
    uint8_t *rows = cmz__malloc((size_t)k * nmiss), *tables = cmz__malloc((size_t)32 * k * nmiss);
    cmz_status st = b && inv && rows && tables ? CMZ_OK : CMZ_ERR_NOMEM;
    if (st == CMZ_OK) {
        for (unsigned r = 0; r < k; r++)
            memcpy(b + (size_t)r * k, code->matrix + (size_t)survivors[r] * k, k);
        int singular = gf_invert_matrix(b, inv, (int)k);
        assert(!singular && "every k x k submatrix of a Cauchy generator is invertible");
        if (singular) st = CMZ_ERR_CORRUPT;
    }
    if (st == CMZ_OK) {
        for (unsigned e = 0; e < nmiss; e++)
            memcpy(rows + (size_t)e * k, inv + (size_t)missing[e] * k, k);
        ec_init_tables((int)k, (int)nmiss, rows, tables);
        uint8_t *in[CMZ_PARITY_MAX], *out[CMZ_PARITY_MAX];
        const size_t piece = (size_t)1 << 30;
        for (size_t at = 0; at < len; at += piece) {
            size_t n = len - at < piece ? len - at : piece;
            for (unsigned r = 0; r < k; r++) in[r] = shards[survivors[r]] + at;
            for (unsigned e = 0; e < nmiss; e++) out[e] = shards[missing[e]] + at;
            ec_encode_data((int)n, (int)k, (int)nmiss, tables, in, out);
        }
    }
    cmz__free(b);
    cmz__free(inv);
    cmz__free(rows);
    cmz__free(tables);
    return st;
}

cmz_status cmz__parity_group_init(cmz__parity_group *g, const cmz__frame_params *p, size_t bound) {
    memset(g, 0, sizeof *g);
    g->bound = bound;
    return cmz__parity_code_init(&g->code, p->parity_k, p->parity_m);
}

void cmz__parity_group_free(cmz__parity_group *g) {
    for (unsigned j = 0; j < g->code.m; j++) cmz__free(g->shard[j]);
    cmz__parity_code_free(&g->code);
    memset(g, 0, sizeof *g);
}

/* Grows every shard to hold len bytes, the new part zero (a shard is zero past its data). */
static cmz_status reserve(cmz__parity_group *g, size_t len) {
    if (len <= g->cap) return CMZ_OK;
    size_t cap = g->cap ? g->cap : 4096;
    while (cap < len) cap = cap > g->bound / 2 ? g->bound : cap * 2;
    for (unsigned j = 0; j < g->code.m; j++) {
        uint8_t *grown = cmz__malloc(cap);
        if (!grown) return CMZ_ERR_NOMEM;
        if (g->cap) memcpy(grown, g->shard[j], g->cap);
        memset(grown + g->cap, 0, cap - g->cap);
        cmz__free(g->shard[j]);
        g->shard[j] = grown;
    }
    g->cap = cap;
    return CMZ_OK;
}

cmz_status cmz__parity_group_add(cmz__parity_group *g, const uint8_t *record, size_t len) {
    if (cmz__parity_group_full(g) || len > g->bound || len > UINT32_MAX) return CMZ_ERR_CORRUPT;
    cmz_status st = reserve(g, len);
    if (st != CMZ_OK) return st;
    cmz__parity_fold(&g->code, g->count, record, len, g->shard);
    uint8_t *entry = g->table + (size_t)g->count * CMZ_PARITY_ENTRY_SIZE;
    cmz__put_le32(entry, (uint32_t)len);
    cmz__put_le32(entry + 4, cmz_crc32c(0, record, len));
    if (len > g->longest) g->longest = len;
    g->count++;
    return CMZ_OK;
}

size_t cmz__parity_group_head(const cmz__parity_group *g, unsigned j, uint8_t *head) {
    size_t table = (size_t)g->count * CMZ_PARITY_ENTRY_SIZE;
    uint32_t crc = cmz_crc32c(cmz_crc32c(0, g->table, table), g->shard[j], g->longest);
    cmz__chunk_header h = {.kind = CMZ_KIND_PARITY,
                           .number = g->group,
                           .payload_size = (uint32_t)(table + g->longest),
                           .raw_size = (uint32_t)g->longest,
                           .payload_crc = crc,
                           .parity_index = (uint16_t)j,
                           .group_count = g->count};
    cmz__chunk_header_write(head, &h);
    memcpy(head + CMZ_CHUNK_HEADER_SIZE, g->table, table);
    return CMZ_CHUNK_HEADER_SIZE + table;
}

void cmz__parity_group_next(cmz__parity_group *g) {
    for (unsigned j = 0; j < g->code.m; j++)
        if (g->longest) memset(g->shard[j], 0, g->longest);
    g->longest = 0;
    g->count = 0;
    g->group++;
}
