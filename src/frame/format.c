/* Writing and parsing the fixed records of docs/FORMAT.md: header, chunk header, index,
 * footer. Every field is read byte by byte and checked before anything trusts it. */
#include "internal.h"

#include <string.h>

const uint8_t cmz__frame_magic[8] = {0x89, 'C', 'M', 'Z', 0x0D, 0x0A, 0x1A, 0x0A};
const uint8_t cmz__chunk_marker[4] = {'C', 'M', 'Z', 'c'};
const uint8_t cmz__index_marker[4] = {'C', 'M', 'Z', 'x'};
const uint8_t cmz__end_magic[4] = {0x8A, 'c', 'm', 'z'};

static int all_zero(const uint8_t *p, size_t n) {
    for (size_t i = 0; i < n; i++)
        if (p[i]) return 0;
    return 1;
}

/* Header and footer carry the same parameter block, at different offsets. */
static void params_write(uint8_t *flags4, uint8_t *ids4, uint8_t *chunk4, uint8_t *km2,
                         const cmz__frame_params *p) {
    cmz__put_le32(flags4, p->flags);
    ids4[0] = p->codec;
    ids4[1] = (uint8_t)p->level;
    ids4[2] = p->filter;
    ids4[3] = p->typesize;
    cmz__put_le32(chunk4, p->chunk_size);
    km2[0] = p->parity_k;
    km2[1] = p->parity_m;
}

void cmz__header_write(uint8_t out[CMZ_HEADER_SIZE], const cmz__frame_params *p) {
    memset(out, 0, CMZ_HEADER_SIZE);
    memcpy(out, cmz__frame_magic, 8);
    cmz__put_le16(out + 8, CMZ_FORMAT_VERSION);
    cmz__put_le16(out + 10, CMZ_HEADER_SIZE);
    params_write(out + 12, out + 16, out + 20, out + 24, p);
    cmz__put_le32(out + 44, cmz_crc32c(0, out, 44));
}

int cmz__params_equal(const cmz__frame_params *a, const cmz__frame_params *b) {
    return a->flags == b->flags && a->codec == b->codec && a->level == b->level &&
           a->filter == b->filter && a->typesize == b->typesize && a->chunk_size == b->chunk_size &&
           a->parity_k == b->parity_k && a->parity_m == b->parity_m;
}

cmz_status cmz__params_check(const cmz__frame_params *p, const char *where, uint64_t offset,
                             cmz_error *err) {
    if (p->flags & ~CMZ_FLAG_PARITY)
        return cmz__fail(err, CMZ_ERR_UNSUPPORTED, CMZ_NO_POSITION, offset,
                         "%s at offset %llu: flags 0x%08x name features this version of cmz "
                         "does not know",
                         where, (unsigned long long)offset, (unsigned)p->flags);
    if (!cmz__has_parity(p) && (p->parity_k || p->parity_m))
        return cmz__fail(err, CMZ_ERR_CORRUPT, CMZ_NO_POSITION, offset,
                         "%s at offset %llu: parity group sizes set without the parity flag", where,
                         (unsigned long long)offset);
    if (cmz__has_parity(p) &&
        (!p->parity_k || !p->parity_m || (unsigned)p->parity_k + p->parity_m > CMZ_PARITY_MAX))
        return cmz__fail(err, CMZ_ERR_CORRUPT, CMZ_NO_POSITION, offset,
                         "%s at offset %llu: parity groups of %u data and %u parity chunks are "
                         "not valid (each at least 1, together at most %u)",
                         where, (unsigned long long)offset, p->parity_k, p->parity_m,
                         CMZ_PARITY_MAX);
    if (!cmz_codec_by_id(p->codec))
        return cmz__fail(
            err, p->codec <= CMZ_CODEC_ID_MAX ? CMZ_ERR_CODEC_DISABLED : CMZ_ERR_UNSUPPORTED,
            CMZ_NO_POSITION, offset, "%s at offset %llu: codec id %u is %s", where,
            (unsigned long long)offset, p->codec,
            p->codec <= CMZ_CODEC_ID_MAX ? "not compiled into this build"
                                         : "unknown to this version of cmz");
    if (p->filter > CMZ_FILTER_ID_MAX)
        return cmz__fail(err, CMZ_ERR_UNSUPPORTED, CMZ_NO_POSITION, offset,
                         "%s at offset %llu: filter id %u is unknown to this version of cmz", where,
                         (unsigned long long)offset, p->filter);
    if (cmz__typesize_check(p->codec, p->filter, p->typesize) != CMZ_OK)
        return cmz__fail(err, CMZ_ERR_CORRUPT, CMZ_NO_POSITION, offset,
                         "%s at offset %llu: typesize %u is not valid for filter %s", where,
                         (unsigned long long)offset, p->typesize, cmz_filter_name(p->filter));
    if (p->chunk_size < CMZ_CHUNK_SIZE_MIN || p->chunk_size > CMZ_CHUNK_SIZE_MAX)
        return cmz__fail(err, CMZ_ERR_CORRUPT, CMZ_NO_POSITION, offset,
                         "%s at offset %llu: chunk size %u is outside %u..%u", where,
                         (unsigned long long)offset, (unsigned)p->chunk_size, CMZ_CHUNK_SIZE_MIN,
                         CMZ_CHUNK_SIZE_MAX);
    return CMZ_OK;
}

cmz_status cmz__typesize_check(int codec, int filter, unsigned typesize) {
    if (filter == CMZ_FILTER_NONE && cmz_codec_takes_typesize(cmz_codec_by_id(codec)))
        return cmz__element_size_ok(typesize) ? CMZ_OK : CMZ_ERR_INVALID_ARG;
    return cmz_filter_check(filter, typesize);
}

static void params_read(const uint8_t *flags4, const uint8_t *ids4, const uint8_t *chunk4,
                        const uint8_t *km2, cmz__frame_params *p) {
    p->flags = cmz__get_le32(flags4);
    p->codec = ids4[0];
    p->level = (int8_t)ids4[1];
    p->filter = ids4[2];
    p->typesize = ids4[3];
    p->chunk_size = cmz__get_le32(chunk4);
    p->parity_k = km2[0];
    p->parity_m = km2[1];
}

cmz_status cmz__header_parse(const uint8_t in[CMZ_HEADER_SIZE], uint64_t offset,
                             cmz__frame_params *p, cmz_error *err) {
    unsigned long long off = (unsigned long long)offset;
    if (memcmp(in, cmz__frame_magic, 8) != 0)
        return cmz__fail(err, CMZ_ERR_BAD_MAGIC, CMZ_NO_POSITION, offset,
                         "not a cmz frame: bad magic at offset %llu", off);
    uint32_t stored = cmz__get_le32(in + 44), actual = cmz_crc32c(0, in, 44);
    uint16_t version = cmz__get_le16(in + 8);
    if (stored != actual) {
        /* A version from the future may have another layout: say so rather than "damaged". */
        if (version != CMZ_FORMAT_VERSION)
            return cmz__fail(err, CMZ_ERR_VERSION, CMZ_NO_POSITION, offset,
                             "frame at offset %llu has format version %u; this cmz reads "
                             "version %u",
                             off, version, CMZ_FORMAT_VERSION);
        return cmz__fail(err, CMZ_ERR_CHECKSUM, CMZ_NO_POSITION, offset,
                         "frame header at offset %llu is damaged: CRC32C is %08x, expected "
                         "%08x",
                         off, actual, stored);
    }
    if (version != CMZ_FORMAT_VERSION)
        return cmz__fail(err, CMZ_ERR_VERSION, CMZ_NO_POSITION, offset,
                         "frame at offset %llu has format version %u; this cmz reads version "
                         "%u",
                         off, version, CMZ_FORMAT_VERSION);
    if (cmz__get_le16(in + 10) != CMZ_HEADER_SIZE)
        return cmz__fail(err, CMZ_ERR_CORRUPT, CMZ_NO_POSITION, offset,
                         "frame header at offset %llu declares size %u, expected %u", off,
                         cmz__get_le16(in + 10), CMZ_HEADER_SIZE);
    if (!all_zero(in + 26, 18))
        return cmz__fail(err, CMZ_ERR_UNSUPPORTED, CMZ_NO_POSITION, offset,
                         "frame header at offset %llu has reserved bytes set", off);
    params_read(in + 12, in + 16, in + 20, in + 24, p);
    return cmz__params_check(p, "frame header", offset, err);
}

void cmz__chunk_header_write(uint8_t out[CMZ_CHUNK_HEADER_SIZE], const cmz__chunk_header *h) {
    memset(out, 0, CMZ_CHUNK_HEADER_SIZE);
    memcpy(out, cmz__chunk_marker, 4);
    out[4] = h->kind;
    out[5] = h->encoding;
    cmz__put_le16(out + 6, h->parity_index); /* 0 in data records */
    cmz__put_le64(out + 8, h->number);
    cmz__put_le32(out + 16, h->payload_size);
    cmz__put_le32(out + 20, h->raw_size);
    cmz__put_le32(out + 24, h->payload_crc);
    cmz__put_le32(out + 28, h->raw_crc);
    cmz__put_le32(out + 32, h->group_count); /* 0 in data records */
    cmz__put_le32(out + 36, cmz_crc32c(0, out, 36));
}

uint64_t cmz__payload_limit(const cmz__frame_params *p, uint32_t raw_size) {
    size_t filtered = p->filter == CMZ_FILTER_NONE
                          ? raw_size /* typesize may be a typed codec's (planes) */
                          : cmz_filter_bound(p->filter, p->typesize, raw_size);
    size_t bound = cmz_codec_bound(cmz_codec_by_id(p->codec), filtered);
    return bound > raw_size ? bound : raw_size;
}

size_t cmz__record_bound(const cmz__frame_params *p, uint32_t raw_size) {
    return CMZ_CHUNK_HEADER_SIZE + (size_t)cmz__payload_limit(p, raw_size);
}

/* A parity record's fields: j < M, 1 <= count <= K, the shard at least a chunk header and at
 * most the largest record, the payload exactly the table plus the shard. */
static cmz_status parity_header_check(const cmz__chunk_header *h, const cmz__frame_params *p,
                                      uint64_t offset, cmz_error *err) {
    const char *problem = NULL;
    if (h->encoding != 0 || h->raw_crc != 0) problem = "reserved fields are set";
    else if (h->parity_index >= p->parity_m) problem = "its parity index is not below M";
    else if (h->group_count == 0 || h->group_count > p->parity_k)
        problem = "its group size is not within 1..K";
    else if (h->raw_size < CMZ_CHUNK_HEADER_SIZE ||
             h->raw_size > cmz__record_bound(p, p->chunk_size))
        problem = "its shard size cannot be a chunk record's";
    else if (h->payload_size != (uint64_t)h->group_count * CMZ_PARITY_ENTRY_SIZE + h->raw_size)
        problem = "its payload size is not its table plus its shard";
    if (!problem) return CMZ_OK;
    return cmz__fail(err, CMZ_ERR_CORRUPT, CMZ_NO_POSITION, offset,
                     "parity record %u of group %llu at offset %llu is invalid: %s",
                     (unsigned)h->parity_index, (unsigned long long)h->number,
                     (unsigned long long)offset, problem);
}

cmz_status cmz__chunk_header_parse(const uint8_t in[CMZ_CHUNK_HEADER_SIZE],
                                   const cmz__frame_params *p, uint64_t offset,
                                   cmz__chunk_header *h, cmz_error *err) {
    unsigned long long off = (unsigned long long)offset;
    if (memcmp(in, cmz__chunk_marker, 4) != 0)
        return cmz__fail(err, CMZ_ERR_CORRUPT, CMZ_NO_POSITION, offset,
                         "no chunk record at offset %llu (bad marker)", off);
    uint32_t stored = cmz__get_le32(in + 36), actual = cmz_crc32c(0, in, 36);
    uint64_t number = cmz__get_le64(in + 8);
    if (stored != actual)
        return cmz__fail(err, CMZ_ERR_CHECKSUM, CMZ_NO_POSITION, offset,
                         "chunk header at offset %llu is damaged: CRC32C is %08x, expected "
                         "%08x",
                         off, actual, stored);
    h->kind = in[4];
    h->encoding = in[5];
    h->number = number;
    h->payload_size = cmz__get_le32(in + 16);
    h->raw_size = cmz__get_le32(in + 20);
    h->payload_crc = cmz__get_le32(in + 24);
    h->raw_crc = cmz__get_le32(in + 28);
    h->parity_index = cmz__get_le16(in + 6);
    h->group_count = cmz__get_le32(in + 32);
    unsigned long long n = (unsigned long long)number;
    if (h->kind == CMZ_KIND_PARITY && cmz__has_parity(p))
        return parity_header_check(h, p, offset, err);
    if (in[6] || in[7] || !all_zero(in + 32, 4))
        return cmz__fail(err, CMZ_ERR_UNSUPPORTED, number, offset,
                         "chunk %llu at offset %llu has reserved bytes set", n, off);
    if (h->kind != CMZ_KIND_DATA)
        return cmz__fail(err, CMZ_ERR_UNSUPPORTED, number, offset,
                         "chunk %llu at offset %llu is of kind %u, unknown to this cmz", n, off,
                         h->kind);
    if (h->raw_size == 0 || h->raw_size > p->chunk_size)
        return cmz__fail(err, CMZ_ERR_CORRUPT, number, offset,
                         "chunk %llu at offset %llu declares %u raw bytes (chunk size is %u)", n,
                         off, (unsigned)h->raw_size, (unsigned)p->chunk_size);
    const cmz_codec *codec = cmz_codec_by_id(p->codec);
    switch (h->encoding) {
    case CMZ_ENCODING_COMPRESSED:
        if (h->payload_size == 0 || h->payload_size > cmz__payload_limit(p, h->raw_size))
            return cmz__fail(err, CMZ_ERR_CORRUPT, number, offset,
                             "chunk %llu at offset %llu declares a %u-byte payload for %u raw "
                             "bytes, impossible for %s",
                             n, off, (unsigned)h->payload_size, (unsigned)h->raw_size,
                             cmz_codec_name(codec));
        break;
    case CMZ_ENCODING_STORED:
        if (h->payload_size != h->raw_size)
            return cmz__fail(err, CMZ_ERR_CORRUPT, number, offset,
                             "stored chunk %llu at offset %llu has payload %u != raw size %u", n,
                             off, (unsigned)h->payload_size, (unsigned)h->raw_size);
        break;
    case CMZ_ENCODING_ZEROS:
        if (h->payload_size != 0 || h->payload_crc != 0)
            return cmz__fail(err, CMZ_ERR_CORRUPT, number, offset,
                             "zero chunk %llu at offset %llu has a payload", n, off);
        break;
    default:
        return cmz__fail(err, CMZ_ERR_UNSUPPORTED, number, offset,
                         "chunk %llu at offset %llu has encoding %u, unknown to this cmz", n, off,
                         h->encoding);
    }
    return CMZ_OK;
}

void cmz__index_head_write(uint8_t out[16], uint64_t count) {
    memcpy(out, cmz__index_marker, 4);
    memset(out + 4, 0, 4);
    cmz__put_le64(out + 8, count);
}

void cmz__index_entry_write(uint8_t out[CMZ_INDEX_ENTRY_SIZE], uint64_t record_offset,
                            uint32_t payload_size, uint32_t raw_size) {
    cmz__put_le64(out, record_offset);
    cmz__put_le32(out + 8, payload_size);
    cmz__put_le32(out + 12, raw_size);
}

void cmz__index_entry_read(const uint8_t in[CMZ_INDEX_ENTRY_SIZE], cmz__index_entry *e) {
    e->record_offset = cmz__get_le64(in);
    e->payload_size = cmz__get_le32(in + 8);
    e->raw_size = cmz__get_le32(in + 12);
}

void cmz__footer_write(uint8_t out[CMZ_FOOTER_SIZE], const cmz__footer *f) {
    memset(out, 0, CMZ_FOOTER_SIZE);
    cmz__put_le64(out, f->index_offset);
    cmz__put_le64(out + 8, f->content_size);
    cmz__put_le64(out + 16, f->chunk_count);
    /* Same block as the header, laid out: chunk size, ids, flags, K/M. */
    cmz__put_le32(out + 24, f->params.chunk_size);
    out[28] = f->params.codec;
    out[29] = f->params.filter;
    out[30] = f->params.typesize;
    out[31] = (uint8_t)f->params.level;
    cmz__put_le32(out + 32, f->params.flags);
    out[36] = f->params.parity_k;
    out[37] = f->params.parity_m;
    cmz__put_le32(out + 40, cmz_crc32c(0, out, 40));
    memcpy(out + 44, cmz__end_magic, 4);
}

cmz_status cmz__footer_parse(const uint8_t in[CMZ_FOOTER_SIZE], uint64_t offset, cmz__footer *f,
                             cmz_error *err) {
    unsigned long long off = (unsigned long long)offset;
    if (memcmp(in + 44, cmz__end_magic, 4) != 0)
        return cmz__fail(err, CMZ_ERR_CORRUPT, CMZ_NO_POSITION, offset,
                         "no frame footer at offset %llu (bad end magic): the frame is "
                         "truncated or damaged at its end",
                         off);
    uint32_t stored = cmz__get_le32(in + 40), actual = cmz_crc32c(0, in, 40);
    if (stored != actual)
        return cmz__fail(err, CMZ_ERR_CHECKSUM, CMZ_NO_POSITION, offset,
                         "frame footer at offset %llu is damaged: CRC32C is %08x, expected "
                         "%08x",
                         off, actual, stored);
    if (in[38] || in[39])
        return cmz__fail(err, CMZ_ERR_UNSUPPORTED, CMZ_NO_POSITION, offset,
                         "frame footer at offset %llu has reserved bytes set", off);
    f->index_offset = cmz__get_le64(in);
    f->content_size = cmz__get_le64(in + 8);
    f->chunk_count = cmz__get_le64(in + 16);
    f->params.chunk_size = cmz__get_le32(in + 24);
    f->params.codec = in[28];
    f->params.filter = in[29];
    f->params.typesize = in[30];
    f->params.level = (int8_t)in[31];
    f->params.flags = cmz__get_le32(in + 32);
    f->params.parity_k = in[36];
    f->params.parity_m = in[37];
    cmz_status st = cmz__params_check(&f->params, "frame footer", offset, err);
    if (st != CMZ_OK) return st;
    if (f->chunk_count != cmz__chunk_count(f->content_size, f->params.chunk_size))
        return cmz__fail(err, CMZ_ERR_CORRUPT, CMZ_NO_POSITION, offset,
                         "frame footer at offset %llu: %llu chunks cannot hold %llu bytes in "
                         "chunks of %u",
                         off, (unsigned long long)f->chunk_count,
                         (unsigned long long)f->content_size, (unsigned)f->params.chunk_size);
    return CMZ_OK;
}

uint64_t cmz__chunk_count(uint64_t content_size, uint32_t chunk_size) {
    return content_size / chunk_size + (content_size % chunk_size != 0);
}

const char *cmz_chunk_encoding_name(int encoding) {
    switch (encoding) {
    case CMZ_ENCODING_COMPRESSED: return "compressed";
    case CMZ_ENCODING_STORED: return "stored";
    case CMZ_ENCODING_ZEROS: return "zeros";
    default: return "unknown";
    }
}
