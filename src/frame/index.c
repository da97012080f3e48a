/* Loading a frame's footer, index and header from a random-access source, and checking them
 * against each other before any chunk is read (docs/FORMAT.md, "consistency rules"). */
#include "internal.h"

#include <errno.h>
#include <string.h>

static cmz_status read_exact(const cmz_source *src, void *buf, size_t n, uint64_t offset,
                             const char *what, cmz_error *err) {
    int64_t r = src->pread(src, buf, n, offset);
    if (r < 0)
        return cmz__fail(err, CMZ_ERR_IO, CMZ_NO_POSITION, offset,
                         "reading the %s at offset %llu: %s", what, (unsigned long long)offset,
                         strerror(errno));
    if ((size_t)r != n)
        return cmz__fail(err, CMZ_ERR_TRUNCATED, CMZ_NO_POSITION, offset,
                         "the %s at offset %llu is cut short (%lld of %zu bytes)", what,
                         (unsigned long long)offset, (long long)r, n);
    return CMZ_OK;
}

void cmz__info_from_params(cmz_frame_info *info, const cmz__frame_params *p) {
    info->version = CMZ_FORMAT_VERSION;
    info->flags = p->flags;
    info->codec = (cmz_codec_id)p->codec;
    info->level = p->level;
    info->filter = p->filter;
    info->typesize = p->typesize;
    info->chunk_size = p->chunk_size;
    info->parity_k = p->parity_k;
    info->parity_m = p->parity_m;
}

/* Records are contiguous: each data record starts where the previous one ends, or, after the
 * last record of a parity group, after the group's M parity records (whose size follows
 * from the group's records: docs/FORMAT.md "Parity"). */
static cmz_status check_entries(cmz__frame_index *fi, const uint8_t *raw_entries,
                                uint64_t index_offset, cmz_error *err) {
    const cmz__frame_params *p = &fi->params;
    uint64_t expect_offset = CMZ_HEADER_SIZE;
    uint64_t longest = 0; /* of the open parity group */
    uint32_t in_group = 0;
    for (uint64_t i = 0; i < fi->chunk_count; i++) {
        cmz__index_entry *e = &fi->entries[i];
        cmz__index_entry_read(raw_entries + i * CMZ_INDEX_ENTRY_SIZE, e);
        uint64_t want_raw = i + 1 < fi->chunk_count
                                ? p->chunk_size
                                : fi->content_size - i * (uint64_t)p->chunk_size;
        const char *problem = NULL;
        if (e->record_offset != expect_offset)
            problem = "its chunk record is not where the previous one ends";
        else if (e->raw_size != want_raw)
            problem = "its raw size does not fit the chunk size and content size";
        else if (e->payload_size > cmz__payload_limit(p, e->raw_size))
            problem = "its payload size is larger than the codec can produce";
        if (problem)
            return cmz__fail(err, CMZ_ERR_CORRUPT, i, fi->frame_start + index_offset,
                             "index entry for chunk %llu is inconsistent: %s",
                             (unsigned long long)i, problem);
        fi->info.payload_bytes += e->payload_size;
        if (e->payload_size == 0) fi->info.zero_chunks++;
        else if (e->payload_size == e->raw_size) fi->info.stored_chunks++;
        uint64_t record = CMZ_CHUNK_HEADER_SIZE + (uint64_t)e->payload_size;
        expect_offset += record;
        if (cmz__has_parity(p)) {
            if (record > longest) longest = record;
            if (++in_group == p->parity_k || i + 1 == fi->chunk_count) {
                expect_offset += p->parity_m * cmz__parity_record_size(in_group, longest);
                longest = 0;
                in_group = 0;
            }
        }
    }
    if (expect_offset != index_offset)
        return cmz__fail(err, CMZ_ERR_CORRUPT, CMZ_NO_POSITION, fi->frame_start + index_offset,
                         "the index at offset %llu does not start where the last chunk ends "
                         "(offset %llu)",
                         (unsigned long long)(fi->frame_start + index_offset),
                         (unsigned long long)(fi->frame_start + expect_offset));
    return CMZ_OK;
}

cmz_status cmz__frame_index_load(const cmz_source *src, uint64_t memory_limit, cmz__frame_index *fi,
                                 cmz_error *err) {
    memset(fi, 0, sizeof *fi);
    uint8_t buf[CMZ_HEADER_SIZE > CMZ_FOOTER_SIZE ? CMZ_HEADER_SIZE : CMZ_FOOTER_SIZE];
    if (src->size < CMZ_HEADER_SIZE + CMZ_INDEX_FIXED_SIZE + CMZ_FOOTER_SIZE) {
        /* Too short to be a frame: a bad magic is the more useful message when it is one. */
        if (src->size >= 8 && read_exact(src, buf, 8, 0, "frame header", NULL) == CMZ_OK &&
            memcmp(buf, cmz__frame_magic, 8) != 0)
            return cmz__fail(err, CMZ_ERR_BAD_MAGIC, CMZ_NO_POSITION, 0,
                             "not a cmz frame: bad magic at offset 0");
        return cmz__fail(err, CMZ_ERR_TRUNCATED, CMZ_NO_POSITION, src->size,
                         "input of %llu bytes is too short to be a cmz frame",
                         (unsigned long long)src->size);
    }
    uint64_t footer_at = src->size - CMZ_FOOTER_SIZE;
    cmz_status st = read_exact(src, buf, CMZ_FOOTER_SIZE, footer_at, "frame footer", err);
    if (st != CMZ_OK) return st;
    cmz__footer footer;
    if ((st = cmz__footer_parse(buf, footer_at, &footer, err)) != CMZ_OK) {
        /* Say "not a cmz file" rather than "damaged footer" when the start is not ours. */
        uint8_t magic[8];
        if (read_exact(src, magic, 8, 0, "frame header", NULL) == CMZ_OK &&
            memcmp(magic, cmz__frame_magic, 8) != 0)
            return cmz__fail(err, CMZ_ERR_BAD_MAGIC, CMZ_NO_POSITION, 0,
                             "not a cmz frame: bad magic at offset 0");
        return st;
    }
    fi->params = footer.params;
    fi->content_size = footer.content_size;
    fi->chunk_count = footer.chunk_count;
    /* The index must fit between the header and the footer. */
    uint64_t max_entries =
        (footer_at - CMZ_HEADER_SIZE - CMZ_INDEX_FIXED_SIZE) / CMZ_INDEX_ENTRY_SIZE;
    if (footer.chunk_count > max_entries ||
        footer.index_offset >
            footer_at - CMZ_INDEX_FIXED_SIZE - footer.chunk_count * CMZ_INDEX_ENTRY_SIZE)
        return cmz__fail(err, CMZ_ERR_CORRUPT, CMZ_NO_POSITION, footer_at,
                         "frame footer at offset %llu declares %llu chunks and an index at "
                         "%llu, which do not fit in %llu bytes",
                         (unsigned long long)footer_at, (unsigned long long)footer.chunk_count,
                         (unsigned long long)footer.index_offset, (unsigned long long)src->size);
    uint64_t index_size = CMZ_INDEX_FIXED_SIZE + footer.chunk_count * CMZ_INDEX_ENTRY_SIZE;
    uint64_t frame_size = footer.index_offset + index_size + CMZ_FOOTER_SIZE;
    if (frame_size > src->size || footer.index_offset < CMZ_HEADER_SIZE)
        return cmz__fail(err, CMZ_ERR_CORRUPT, CMZ_NO_POSITION, footer_at,
                         "frame footer at offset %llu declares an index offset of %llu that "
                         "cannot be right",
                         (unsigned long long)footer_at, (unsigned long long)footer.index_offset);
    fi->frame_start = src->size - frame_size;
    /* A 32-bit system's files can hold an index larger than its address space. */
    if (index_size > SIZE_MAX || footer.chunk_count > SIZE_MAX / sizeof *fi->entries)
        return cmz__fail(err, CMZ_ERR_LIMIT, CMZ_NO_POSITION, footer_at,
                         "the index of %llu chunks needs %llu bytes, more than this system "
                         "can address",
                         (unsigned long long)footer.chunk_count, (unsigned long long)index_size);
    if (memory_limit && index_size > memory_limit)
        return cmz__fail(err, CMZ_ERR_LIMIT, CMZ_NO_POSITION, footer_at,
                         "the index of %llu chunks needs %llu bytes, over the memory limit of "
                         "%llu",
                         (unsigned long long)footer.chunk_count, (unsigned long long)index_size,
                         (unsigned long long)memory_limit);

    /* Header: must be intact and agree with the footer. */
    if ((st = read_exact(src, buf, CMZ_HEADER_SIZE, fi->frame_start, "frame header", err)))
        return st;
    cmz__frame_params hp;
    if ((st = cmz__header_parse(buf, fi->frame_start, &hp, err)) != CMZ_OK) return st;
    if (!cmz__params_equal(&hp, &footer.params))
        return cmz__fail(err, CMZ_ERR_CORRUPT, CMZ_NO_POSITION, fi->frame_start,
                         "frame header at offset %llu and footer at offset %llu disagree",
                         (unsigned long long)fi->frame_start, (unsigned long long)footer_at);

    uint8_t *index = cmz__malloc((size_t)index_size);
    fi->entries = cmz__calloc(fi->chunk_count ? (size_t)fi->chunk_count : 1, sizeof *fi->entries);
    if (!index || !fi->entries) {
        cmz__free(index);
        cmz__frame_index_free(fi);
        return cmz__error(err, CMZ_ERR_NOMEM, "no memory for an index of %llu chunks",
                          (unsigned long long)fi->chunk_count);
    }
    uint64_t index_at = fi->frame_start + footer.index_offset;
    st = read_exact(src, index, (size_t)index_size, index_at, "frame index", err);
    if (st == CMZ_OK) {
        uint32_t stored = cmz__get_le32(index + index_size - 4);
        uint32_t actual = cmz_crc32c(0, index, (size_t)index_size - 4);
        if (memcmp(index, cmz__index_marker, 4) != 0)
            st = cmz__fail(err, CMZ_ERR_CORRUPT, CMZ_NO_POSITION, index_at,
                           "no frame index at offset %llu (bad marker)",
                           (unsigned long long)index_at);
        else if (stored != actual)
            st = cmz__fail(err, CMZ_ERR_CHECKSUM, CMZ_NO_POSITION, index_at,
                           "frame index at offset %llu is damaged: CRC32C is %08x, expected "
                           "%08x",
                           (unsigned long long)index_at, actual, stored);
        else if (cmz__get_le32(index + 4) != 0)
            st = cmz__fail(err, CMZ_ERR_UNSUPPORTED, CMZ_NO_POSITION, index_at,
                           "frame index at offset %llu has reserved bytes set",
                           (unsigned long long)index_at);
        else if (cmz__get_le64(index + 8) != fi->chunk_count)
            st = cmz__fail(err, CMZ_ERR_CORRUPT, CMZ_NO_POSITION, index_at,
                           "frame index at offset %llu lists %llu chunks, the footer %llu",
                           (unsigned long long)index_at,
                           (unsigned long long)cmz__get_le64(index + 8),
                           (unsigned long long)fi->chunk_count);
        else st = check_entries(fi, index + 16, footer.index_offset, err);
    }
    cmz__free(index);
    if (st != CMZ_OK) {
        cmz__frame_index_free(fi);
        return st;
    }
    cmz__info_from_params(&fi->info, &fi->params);
    fi->info.content_size = fi->content_size;
    fi->info.chunk_count = fi->chunk_count;
    fi->info.frame_size = frame_size;
    return CMZ_OK;
}

void cmz__frame_index_free(cmz__frame_index *fi) {
    cmz__free(fi->entries);
    fi->entries = NULL;
}

cmz_status cmz_frame_info_read(const cmz_source *src, cmz_frame_info *info, cmz_error *err) {
    if (!src || !info)
        return cmz__error(err, CMZ_ERR_INVALID_ARG, "cmz_frame_info_read: %s is NULL",
                          src ? "info" : "src");
    cmz__frame_index fi;
    cmz_status st = cmz__frame_index_load(src, 0, &fi, err);
    if (st != CMZ_OK) return st;
    *info = fi.info;
    cmz__frame_index_free(&fi);
    return CMZ_OK;
}
