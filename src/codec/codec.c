/* The codec table and the generic half of the codec API (range checks, contexts). */
#include "internal.h"
#include "known.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

/* Compiled-in codecs, in id order. CMZ_HAVE_<NAME> comes from CMake (a codec whose library is
 * missing is switched off at configure time with a message). */
static const cmz_codec *const table[] = {
    &cmz__codec_none,
#ifdef CMZ_HAVE_ZSTD
    &cmz__codec_zstd,
#endif
#ifdef CMZ_HAVE_LZ4
    &cmz__codec_lz4,
#endif
#ifdef CMZ_HAVE_GZIP
    &cmz__codec_gzip,
#endif
#ifdef CMZ_HAVE_BZIP2
    &cmz__codec_bzip2,
#endif
#ifdef CMZ_HAVE_LZMA
    &cmz__codec_lzma,
#endif
#ifdef CMZ_HAVE_SNAPPY
    &cmz__codec_snappy,
#endif
#ifdef CMZ_HAVE_BROTLI
    &cmz__codec_brotli,
#endif
    &cmz__codec_rans,   &cmz__codec_planes,
};
#define TABLE_SIZE (sizeof table / sizeof table[0])

static const struct {
    const char *alias, *name;
} aliases[] = {{"store", "none"}, {"xz", "lzma"},   {"gz", "gzip"},  {"zlib", "gzip"},
               {"bz2", "bzip2"},  {"lz4hc", "lz4"}, {"br", "brotli"}};

/* Every codec cmz knows, by id, compiled in or not: a policy file may name one whose library
 * was missing when this build was configured. */
static const char *const known[CMZ_CODEC_ID_MAX + 1] = {
    "none", "zstd", "lz4", "gzip", "bzip2", "lzma", "snappy", "brotli", "rans", "planes"};

static const char *canonical_name(const char *name) {
    for (size_t i = 0; i < sizeof aliases / sizeof aliases[0]; i++)
        if (strcasecmp(name, aliases[i].alias) == 0) return aliases[i].name;
    return name;
}

int cmz__codec_known_id(const char *name) {
    if (!name) return -1;
    const char *canonical = canonical_name(name);
    for (int id = 0; id <= CMZ_CODEC_ID_MAX; id++)
        if (strcasecmp(canonical, known[id]) == 0) return id;
    return -1;
}

const char *cmz__codec_known_name(int id) {
    return id >= 0 && id <= CMZ_CODEC_ID_MAX ? known[id] : NULL;
}

const cmz_codec *const *cmz_codec_list(size_t *count) {
    if (count) *count = TABLE_SIZE;
    return table;
}

const cmz_codec *cmz_codec_by_id(int id) {
    for (size_t i = 0; i < TABLE_SIZE; i++)
        if ((int)table[i]->id == id) return table[i];
    return NULL;
}

const cmz_codec *cmz_codec_default(void) {
    static const cmz_codec_id preferred[] = {CMZ_CODEC_ZSTD, CMZ_CODEC_LZ4, CMZ_CODEC_GZIP};
    for (size_t i = 0; i < sizeof preferred / sizeof preferred[0]; i++) {
        const cmz_codec *c = cmz_codec_by_id((int)preferred[i]);
        if (c) return c;
    }
    return &cmz__codec_none;
}

cmz_status cmz_codec_by_name(const char *name, const cmz_codec **codec, cmz_error *err) {
    if (!name || !codec)
        return cmz__error(err, CMZ_ERR_INVALID_ARG,
                          name ? "cmz_codec_by_name: codec is NULL" : "no codec name given");
    const char *canonical = canonical_name(name);
    for (size_t i = 0; i < TABLE_SIZE; i++)
        if (strcasecmp(canonical, table[i]->name) == 0) {
            *codec = table[i];
            return CMZ_OK;
        }
    char valid[160] = "";
    for (size_t i = 0; i < TABLE_SIZE; i++) {
        size_t used = strlen(valid);
        snprintf(valid + used, sizeof valid - used, "%s%s", i ? ", " : "", table[i]->name);
    }
    if (cmz__codec_known_id(name) >= 0)
        return cmz__error(err, CMZ_ERR_CODEC_DISABLED,
                          "codec '%s' is not compiled into this build; available: %s", name, valid);
    return cmz__error(err, CMZ_ERR_UNKNOWN_CODEC, "unknown codec '%s'; valid codecs: %s", name,
                      valid);
}

const char *cmz_codec_name(const cmz_codec *c) { return c ? c->name : "unknown"; }
cmz_codec_id cmz_codec_id_of(const cmz_codec *c) { return c->id; }
int cmz_codec_min_level(const cmz_codec *c) { return c->min_level; }
int cmz_codec_max_level(const cmz_codec *c) { return c->max_level; }
int cmz_codec_default_level(const cmz_codec *c) { return c->default_level; }
uint32_t cmz_codec_default_chunk_size(const cmz_codec *c) { return c->default_chunk_size; }
const char *cmz_codec_library_version(const cmz_codec *c) { return c->library_version(); }

cmz_status cmz_codec_check_level(const cmz_codec *c, int level, int *resolved, cmz_error *err) {
    if (level == CMZ_LEVEL_DEFAULT || (level == 0 && c->zero_is_default)) level = c->default_level;
    if (level < c->min_level || level > c->max_level)
        return cmz__error(err, CMZ_ERR_LEVEL_RANGE,
                          "level %d is out of range for %s (valid: %d..%d)", level, c->name,
                          c->min_level, c->max_level);
    if (resolved) *resolved = level;
    return CMZ_OK;
}

size_t cmz_codec_bound(const cmz_codec *c, size_t src_size) { return c->bound(src_size); }

struct cmz_codec_ctx {
    const cmz_codec *codec;
    void *state;
    unsigned typesize;
};

cmz_codec_ctx *cmz_codec_ctx_new(const cmz_codec *codec) {
    if (!codec) return NULL;
    cmz_codec_ctx *ctx = cmz__calloc(1, sizeof *ctx);
    if (ctx) ctx->codec = codec, ctx->typesize = 1;
    return ctx;
}

cmz_status cmz_codec_ctx_set_typesize(cmz_codec_ctx *ctx, unsigned typesize) {
    if (!ctx || !cmz__element_size_ok(typesize)) return CMZ_ERR_INVALID_ARG;
    ctx->typesize = typesize;
    return CMZ_OK;
}

int cmz_codec_takes_typesize(const cmz_codec *codec) {
    return codec && codec->compress_typed != NULL;
}

void cmz_codec_ctx_free(cmz_codec_ctx *ctx) {
    if (!ctx) return;
    if (ctx->state && ctx->codec->state_free) ctx->codec->state_free(ctx->state);
    cmz__free(ctx);
}

const cmz_codec *cmz_codec_ctx_codec(const cmz_codec_ctx *ctx) { return ctx->codec; }

cmz_status cmz_codec_compress(cmz_codec_ctx *ctx, int level, void *dst, size_t dst_capacity,
                              const void *src, size_t src_size, size_t *dst_size) {
    if (!ctx || !dst_size || (!src && src_size) || (!dst && dst_capacity))
        return CMZ_ERR_INVALID_ARG;
    int resolved = 0;
    cmz_status st = cmz_codec_check_level(ctx->codec, level, &resolved, NULL);
    if (st != CMZ_OK) return st;
    if (ctx->codec->compress_typed)
        return ctx->codec->compress_typed(&ctx->state, resolved, ctx->typesize, dst, dst_capacity,
                                          src, src_size, dst_size);
    return ctx->codec->compress(&ctx->state, resolved, dst, dst_capacity, src, src_size, dst_size);
}

cmz_status cmz_codec_decompress(cmz_codec_ctx *ctx, void *dst, size_t raw_size, const void *src,
                                size_t src_size) {
    if (!ctx || (!src && src_size) || (!dst && raw_size)) return CMZ_ERR_INVALID_ARG;
    return ctx->codec->decompress(&ctx->state, dst, raw_size, src, src_size);
}

cmz_status cmz_codec_compress_once(const cmz_codec *codec, int level, void *dst,
                                   size_t dst_capacity, const void *src, size_t src_size,
                                   size_t *dst_size) {
    cmz_codec_ctx *ctx = cmz_codec_ctx_new(codec);
    if (!ctx) return codec ? CMZ_ERR_NOMEM : CMZ_ERR_INVALID_ARG;
    cmz_status st = cmz_codec_compress(ctx, level, dst, dst_capacity, src, src_size, dst_size);
    cmz_codec_ctx_free(ctx);
    return st;
}

cmz_status cmz_codec_decompress_once(const cmz_codec *codec, void *dst, size_t raw_size,
                                     const void *src, size_t src_size) {
    cmz_codec_ctx *ctx = cmz_codec_ctx_new(codec);
    if (!ctx) return codec ? CMZ_ERR_NOMEM : CMZ_ERR_INVALID_ARG;
    cmz_status st = cmz_codec_decompress(ctx, dst, raw_size, src, src_size);
    cmz_codec_ctx_free(ctx);
    return st;
}
