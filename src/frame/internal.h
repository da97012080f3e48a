/* The frame layer's internals: parsing and writing the records of docs/FORMAT.md, and
 * encoding/decoding one chunk. Everything here is pure (no threads, no I/O). */
#ifndef CMZ_FRAME_INTERNAL_H
#define CMZ_FRAME_INTERNAL_H

#include "../common/internal.h"
#include "cmz/filter.h"
#include "cmz/frame.h"

extern const uint8_t cmz__frame_magic[8];
extern const uint8_t cmz__chunk_marker[4];
extern const uint8_t cmz__index_marker[4];
extern const uint8_t cmz__end_magic[4];

/* The fields shared by header and footer. */
typedef struct {
    uint32_t flags;
    uint8_t codec;
    int8_t level;
    uint8_t filter;
    uint8_t typesize;
    uint32_t chunk_size;
    uint8_t parity_k, parity_m;
} cmz__frame_params;

/* A chunk record's header. Data records (kind 0) use the first seven fields. Parity records
 * (kind 1, frames with the parity flag) reuse them: number is the group, raw_size the shard
 * size L, raw_crc is 0; parity_index is j (0..M-1) and group_count the group's data records. */
typedef struct {
    uint8_t kind;
    uint8_t encoding;
    uint64_t number;
    uint32_t payload_size;
    uint32_t raw_size;
    uint32_t payload_crc;
    uint32_t raw_crc;
    uint16_t parity_index;
    uint32_t group_count;
} cmz__chunk_header;

#define CMZ_KIND_DATA 0
#define CMZ_KIND_PARITY 1
#define CMZ_FLAG_PARITY 1u
/* One parity table entry: a data record's length and the CRC32C of the whole record. */
#define CMZ_PARITY_ENTRY_SIZE 8

typedef struct {
    cmz__frame_params params;
    uint64_t index_offset;
    uint64_t content_size;
    uint64_t chunk_count;
} cmz__footer;

/* Header: write always succeeds; parse checks magic, version, size, CRC, reserved bits, ids
 * and the chunk size, and reports problems at `offset` (the frame's start in the input). */
void cmz__header_write(uint8_t out[CMZ_HEADER_SIZE], const cmz__frame_params *p);
cmz_status cmz__header_parse(const uint8_t in[CMZ_HEADER_SIZE], uint64_t offset,
                             cmz__frame_params *p, cmz_error *err);
/* Whether typesize suits the filter, and with no filter the codec: 1, or 1/2/4/8 for a codec
 * that codes typed data itself (planes). CMZ_OK or CMZ_ERR_INVALID_ARG. */
cmz_status cmz__typesize_check(int codec, int filter, unsigned typesize);
/* Worker threads a context starts at most, whatever was asked (cmz_params_resolve caps
 * cmz_params.threads; the parallel layer sizes its pools by it). */
#define CMZ__THREADS_MAX 256u
/* Whether two parameter blocks are equal, field by field (memcmp would compare padding). */
int cmz__params_equal(const cmz__frame_params *a, const cmz__frame_params *b);
/* Checks the parts of the parameters that both header and footer carry. */
cmz_status cmz__params_check(const cmz__frame_params *p, const char *where, uint64_t offset,
                             cmz_error *err);

void cmz__chunk_header_write(uint8_t out[CMZ_CHUNK_HEADER_SIZE], const cmz__chunk_header *h);
/* Checks marker, header CRC, reserved fields, encoding rules and sizes against the frame's
 * chunk size and codec bound (so no later step trusts an unchecked length). A parity record
 * is accepted only in a frame with parity; callers that want a data chunk check h->kind. */
cmz_status cmz__chunk_header_parse(const uint8_t in[CMZ_CHUNK_HEADER_SIZE],
                                   const cmz__frame_params *p, uint64_t offset,
                                   cmz__chunk_header *h, cmz_error *err);

/* Index record: the fixed part and entries. */
void cmz__index_head_write(uint8_t out[16], uint64_t count);
void cmz__index_entry_write(uint8_t out[CMZ_INDEX_ENTRY_SIZE], uint64_t record_offset,
                            uint32_t payload_size, uint32_t raw_size);
typedef struct {
    uint64_t record_offset;
    uint32_t payload_size;
    uint32_t raw_size;
} cmz__index_entry;
void cmz__index_entry_read(const uint8_t in[CMZ_INDEX_ENTRY_SIZE], cmz__index_entry *e);

void cmz__footer_write(uint8_t out[CMZ_FOOTER_SIZE], const cmz__footer *f);
cmz_status cmz__footer_parse(const uint8_t in[CMZ_FOOTER_SIZE], uint64_t offset, cmz__footer *f,
                             cmz_error *err);

/* Parity layout (docs/FORMAT.md "Parity"). Records are numbered in file order ("sequence
 * numbers"): data chunk k is record k + M*(k/K); group g's parity record j follows the
 * group's `count` data records. Without parity (K = 0) the sequence number is k. */
static inline int cmz__has_parity(const cmz__frame_params *p) {
    return (p->flags & CMZ_FLAG_PARITY) != 0;
}
static inline uint64_t cmz__data_seq(const cmz__frame_params *p, uint64_t k) {
    return cmz__has_parity(p) ? k + (uint64_t)p->parity_m * (k / p->parity_k) : k;
}
static inline uint64_t cmz__parity_seq(const cmz__frame_params *p, uint64_t group, uint32_t count,
                                       unsigned j) {
    return group * ((uint64_t)p->parity_k + p->parity_m) + count + j;
}
/* Records (data and parity) in a frame of n data chunks. */
static inline uint64_t cmz__record_count(const cmz__frame_params *p, uint64_t n) {
    if (!cmz__has_parity(p)) return n;
    return n + (uint64_t)p->parity_m * ((n + p->parity_k - 1) / p->parity_k);
}
/* Size of a parity record of a group of `count` data records whose longest is L bytes. */
static inline uint64_t cmz__parity_record_size(uint32_t count, uint64_t L) {
    return CMZ_CHUNK_HEADER_SIZE + (uint64_t)count * CMZ_PARITY_ENTRY_SIZE + L;
}

/* Number of data chunks for content of this size. */
uint64_t cmz__chunk_count(uint64_t content_size, uint32_t chunk_size);
/* Largest payload a valid chunk of raw_size bytes may have with the frame's codec and filter
 * (the codec's bound of the filtered size, or raw_size for a stored chunk). */
uint64_t cmz__payload_limit(const cmz__frame_params *p, uint32_t raw_size);
/* Largest record (header + payload) for a chunk of raw_size bytes. */
size_t cmz__record_bound(const cmz__frame_params *p, uint32_t raw_size);

/* A worker's reusable buffer for filtered bytes (grown on demand, freed by its owner). */
typedef struct {
    uint8_t *buf;
    size_t cap;
} cmz__scratch;

/* Encodes raw[0..raw_size) as chunk `number` into out (capacity >= cmz__record_bound): picks
 * zeros, compressed (filtered first when the frame has a filter) or stored, fills the CRCs.
 * *record_size gets header + payload size. cctx must be a context of p's codec. */
cmz_status cmz__chunk_encode(cmz_codec_ctx *cctx, const cmz__frame_params *p, int level,
                             cmz__scratch *scratch, uint64_t number, const uint8_t *raw,
                             uint32_t raw_size, uint8_t *out, size_t out_capacity,
                             size_t *record_size, cmz__chunk_header *hdr_out);

/* Decodes a chunk whose header was parsed (cmz__chunk_header_parse) from its payload into
 * dst (exactly h->raw_size bytes), undoing the frame's filter and checking both CRCs.
 * `offset` is the record's position in the input, for messages. */
cmz_status cmz__chunk_decode(cmz_codec_ctx *dctx, const cmz__frame_params *p, cmz__scratch *scratch,
                             const cmz__chunk_header *h, const uint8_t *payload, uint8_t *dst,
                             uint64_t offset, cmz_error *err);

/* A frame's footer, header and index, loaded and cross-checked (index.c). Offsets in entries
 * are relative to frame_start, the frame's position in its source. */
typedef struct {
    cmz__frame_params params;
    uint64_t frame_start;
    uint64_t content_size;
    uint64_t chunk_count;
    cmz__index_entry *entries;
    cmz_frame_info info;
} cmz__frame_index;

/* Loads the frame that ends at the end of src. memory_limit bounds the index allocation
 * (0 = no bound beyond the source size). Free with cmz__frame_index_free. */
cmz_status cmz__frame_index_load(const cmz_source *src, uint64_t memory_limit,
                                 cmz__frame_index *out, cmz_error *err);
void cmz__frame_index_free(cmz__frame_index *fi);

/* Fills the parts of *info that the parameters give. */
void cmz__info_from_params(cmz_frame_info *info, const cmz__frame_params *p);

#endif
