/* The compression parameters every layer fills (include/cmz/frame.h): defaults, and the
 * check that resolves them before a frame is written. */
#include "internal.h"

#include <string.h>

cmz_params cmz_params_default(void) {
    cmz_params p;
    memset(&p, 0, sizeof p);
    p.codec = (int)cmz_codec_id_of(cmz_codec_default());
    p.level = CMZ_LEVEL_DEFAULT;
    return p;
}

/* Which filter or codec refused the typesize. "planes" names both a filter and a codec: the
 * message says which one it means. */
static cmz_status typesize_error(const cmz_params *p, const cmz_codec *codec, cmz_error *err) {
    if (cmz_filter_check(p->filter, 1) == CMZ_ERR_UNSUPPORTED)
        return cmz__error(err, CMZ_ERR_INVALID_ARG, "filter id %d is unknown", p->filter);
    if (p->filter != CMZ_FILTER_NONE)
        return cmz__error(err, CMZ_ERR_INVALID_ARG,
                          "typesize %u is not valid for the %s filter (it takes 2, 4 or 8)",
                          p->typesize, cmz_filter_name(p->filter));
    if (cmz_codec_takes_typesize(codec))
        return cmz__error(err, CMZ_ERR_INVALID_ARG,
                          "typesize %u is not valid for the %s codec without a filter (it "
                          "takes 1, 2, 4 or 8)",
                          p->typesize, cmz_codec_name(codec));
    return cmz__error(err, CMZ_ERR_INVALID_ARG,
                      "typesize %u is not valid without a filter (it takes 1; a filter "
                      "takes 2, 4 or 8, the planes codec 1, 2, 4 or 8)",
                      p->typesize);
}

cmz_status cmz_params_resolve(const cmz_params *in, cmz_params *out, cmz_error *err) {
    if (!in || !out)
        return cmz__error(err, CMZ_ERR_INVALID_ARG, "cmz_params_resolve: %s is NULL",
                          in ? "resolved" : "params");
    cmz_params p = *in;
    cmz_status st = CMZ__RESERVED_CHECK(&p, "cmz_params", err);
    if (st != CMZ_OK) return st;
    const cmz_codec *codec = cmz_codec_by_id(p.codec);
    if (!codec)
        return cmz__error(err, CMZ_ERR_UNKNOWN_CODEC,
                          "codec id %d is unknown or not compiled into this build", p.codec);
    st = cmz_codec_check_level(codec, p.level, &p.level, err);
    if (st != CMZ_OK) return st;
    if (p.chunk_size == 0) p.chunk_size = cmz_codec_default_chunk_size(codec);
    if (p.chunk_size < CMZ_CHUNK_SIZE_MIN || p.chunk_size > CMZ_CHUNK_SIZE_MAX)
        return cmz__error(err, CMZ_ERR_INVALID_ARG, "chunk size %u is outside %u..%u bytes",
                          (unsigned)p.chunk_size, CMZ_CHUNK_SIZE_MIN, CMZ_CHUNK_SIZE_MAX);
    if (p.filter == CMZ_FILTER_NONE && p.typesize == 0) p.typesize = 1;
    if (p.filter == CMZ_FILTER_AUTO) {
        if (p.typesize != 0 && cmz_filter_check(CMZ_FILTER_SHUFFLE, p.typesize) != CMZ_OK)
            return cmz__error(err, CMZ_ERR_INVALID_ARG, "typesize %u: filters take 2, 4 or 8",
                              p.typesize);
    } else if (cmz__typesize_check(p.codec, p.filter, p.typesize) != CMZ_OK) {
        return typesize_error(&p, codec, err);
    }
    if ((p.parity_k == 0) != (p.parity_m == 0) || p.parity_k >= CMZ_PARITY_MAX ||
        p.parity_m >= CMZ_PARITY_MAX || p.parity_k + p.parity_m > CMZ_PARITY_MAX)
        return cmz__error(err, CMZ_ERR_INVALID_ARG,
                          "parity %u:%u: give both K (data chunks per group) and M (parity "
                          "chunks), each at least 1, with K + M at most %u",
                          p.parity_k, p.parity_m, CMZ_PARITY_MAX);
    if (p.threads == 0) p.threads = cmz_cpu_count();
    if (p.threads > CMZ__THREADS_MAX) p.threads = CMZ__THREADS_MAX;
    *out = p;
    return CMZ_OK;
}
