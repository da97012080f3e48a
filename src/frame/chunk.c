/* Encoding and decoding one chunk record: the choice between zeros, compressed and stored,
 * the frame's filter on the way in and out, and both CRC32C checks. */
#include "internal.h"

#include <string.h>

static int is_all_zero(const uint8_t *p, size_t n) {
    /* p[0] == 0 and every byte equals its successor: one memcmp pass, early exit. */
    return n == 0 || (p[0] == 0 && memcmp(p, p + 1, n - 1) == 0);
}

/* The bytes the codec sees: raw itself, or raw filtered into the scratch buffer. */
static cmz_status filtered_input(const cmz__frame_params *p, cmz__scratch *scratch,
                                 const uint8_t *raw, uint32_t raw_size, const uint8_t **in,
                                 size_t *in_size) {
    if (p->filter == CMZ_FILTER_NONE) {
        *in = raw;
        *in_size = raw_size;
        return CMZ_OK;
    }
    size_t need = cmz_filter_bound(p->filter, p->typesize, raw_size);
    if (cmz__grow(&scratch->buf, &scratch->cap, need) != 0) return CMZ_ERR_NOMEM;
    *in = scratch->buf;
    return cmz_filter_forward(p->filter, p->typesize, raw, raw_size, scratch->buf, scratch->cap,
                              in_size);
}

cmz_status cmz__chunk_encode(cmz_codec_ctx *cctx, const cmz__frame_params *p, int level,
                             cmz__scratch *scratch, uint64_t number, const uint8_t *raw,
                             uint32_t raw_size, uint8_t *out, size_t out_capacity,
                             size_t *record_size, cmz__chunk_header *hdr_out) {
    const cmz_codec *codec = cmz_codec_ctx_codec(cctx);
    if (out_capacity < cmz__record_bound(p, raw_size)) return CMZ_ERR_DST_TOO_SMALL;
    cmz__chunk_header h = {.kind = 0, .number = number, .raw_size = raw_size};
    uint8_t *payload = out + CMZ_CHUNK_HEADER_SIZE;
    if (is_all_zero(raw, raw_size)) {
        h.encoding = CMZ_ENCODING_ZEROS;
        h.payload_size = 0;
        h.payload_crc = 0;
        h.raw_crc = cmz_crc32c(0, raw, raw_size);
    } else {
        size_t written = 0;
        cmz_status st = CMZ_ERR_DST_TOO_SMALL;
        if (cmz_codec_id_of(codec) != CMZ_CODEC_NONE) {
            const uint8_t *in;
            size_t in_size;
            st = filtered_input(p, scratch, raw, raw_size, &in, &in_size);
            /* A typed codec (planes) sees the elements when no filter has reordered them. */
            if (st == CMZ_OK)
                st = cmz_codec_ctx_set_typesize(cctx,
                                                p->filter == CMZ_FILTER_NONE ? p->typesize : 1);
            if (st == CMZ_OK)
                st = cmz_codec_compress(cctx, level, payload, out_capacity - CMZ_CHUNK_HEADER_SIZE,
                                        in, in_size, &written);
        }
        if (st == CMZ_OK && written < raw_size) {
            h.encoding = CMZ_ENCODING_COMPRESSED;
            h.payload_size = (uint32_t)written;
            h.payload_crc = cmz_crc32c(0, payload, written);
            h.raw_crc = cmz_crc32c(0, raw, raw_size);
        } else if (st == CMZ_OK || st == CMZ_ERR_DST_TOO_SMALL) {
            /* Did not shrink: keep the raw bytes as they are, unfiltered (and CRC them once). */
            h.encoding = CMZ_ENCODING_STORED;
            h.payload_size = raw_size;
            memcpy(payload, raw, raw_size);
            h.raw_crc = h.payload_crc = cmz_crc32c(0, raw, raw_size);
        } else {
            return st;
        }
    }
    cmz__chunk_header_write(out, &h);
    *record_size = CMZ_CHUNK_HEADER_SIZE + (size_t)h.payload_size;
    if (hdr_out) *hdr_out = h;
    return CMZ_OK;
}

/* Decompresses a compressed chunk's payload into dst, through the scratch buffer when the
 * frame has a filter (whose output size is exactly known from the raw size). */
static cmz_status decode_compressed(cmz_codec_ctx *dctx, const cmz__frame_params *p,
                                    cmz__scratch *scratch, const cmz__chunk_header *h,
                                    const uint8_t *payload, uint8_t *dst, const char **stage) {
    *stage = cmz_codec_name(cmz_codec_ctx_codec(dctx));
    if (p->filter == CMZ_FILTER_NONE)
        return cmz_codec_decompress(dctx, dst, h->raw_size, payload, h->payload_size);
    size_t filtered = cmz_filter_bound(p->filter, p->typesize, h->raw_size);
    if (cmz__grow(&scratch->buf, &scratch->cap, filtered) != 0) return CMZ_ERR_NOMEM;
    cmz_status st = cmz_codec_decompress(dctx, scratch->buf, filtered, payload, h->payload_size);
    if (st != CMZ_OK) return st;
    *stage = cmz_filter_name(p->filter);
    return cmz_filter_backward(p->filter, p->typesize, scratch->buf, filtered, dst, h->raw_size);
}

static cmz_status payload_damaged(const cmz__chunk_header *h, uint32_t crc, uint64_t offset,
                                  cmz_error *err) {
    return cmz__fail(err, CMZ_ERR_CHECKSUM, h->number, offset,
                     "chunk %llu at offset %llu is damaged: CRC32C of its %u compressed bytes "
                     "is %08x, expected %08x",
                     (unsigned long long)h->number, (unsigned long long)offset,
                     (unsigned)h->payload_size, crc, h->payload_crc);
}

/* Decoding comes before the payload check: the codec then reads the payload from memory and
 * both CRCs find their bytes in cache, where checking first reads the payload from memory
 * twice, which costs a fast codec's decoding a visible share (see docs/BENCH.md, "Figures
 * behind constants in the code").
 * Every codec decodes arbitrary bytes safely (fuzz/fuzz_codec.c), and nothing decoded leaves
 * this function unless both CRCs match; a damaged payload is still reported as such, whatever
 * the codec made of it. */
cmz_status cmz__chunk_decode(cmz_codec_ctx *dctx, const cmz__frame_params *p, cmz__scratch *scratch,
                             const cmz__chunk_header *h, const uint8_t *payload, uint8_t *dst,
                             uint64_t offset, cmz_error *err) {
    unsigned long long n = (unsigned long long)h->number, off = (unsigned long long)offset;
    cmz_status decoded = CMZ_OK;
    const char *stage = "";
    uint32_t crc;
    switch (h->encoding) {
    case CMZ_ENCODING_ZEROS: memset(dst, 0, h->raw_size); break;
    case CMZ_ENCODING_STORED:
        memcpy(dst, payload, h->raw_size);
        /* The copy is the payload, and in cache: one CRC checks both when the header's agree. */
        crc = cmz_crc32c(0, dst, h->raw_size);
        if (crc != h->payload_crc) return payload_damaged(h, crc, offset, err);
        if (h->raw_crc == h->payload_crc) return CMZ_OK;
        break; /* a header whose two CRCs disagree: the end-to-end check below reports it */
    default:
        decoded = decode_compressed(dctx, p, scratch, h, payload, dst, &stage);
        crc = cmz_crc32c(0, payload, h->payload_size);
        if (crc != h->payload_crc) return payload_damaged(h, crc, offset, err);
        if (decoded != CMZ_OK)
            return cmz__fail(err, decoded, h->number, offset,
                             "chunk %llu at offset %llu: %s could not decode it (%s)", n, off,
                             stage, cmz_strerror(decoded));
    }
    crc = cmz_crc32c(0, dst, h->raw_size);
    if (crc != h->raw_crc)
        return cmz__fail(err, CMZ_ERR_CHECKSUM, h->number, offset,
                         "chunk %llu at offset %llu: CRC32C of its %u decoded bytes is %08x, "
                         "expected %08x",
                         n, off, (unsigned)h->raw_size, crc, h->raw_crc);
    return CMZ_OK;
}
