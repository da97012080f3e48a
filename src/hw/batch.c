/* The batched codec calls (hw.h). The CPU backend runs the chunks one after another through
 * the codec's own adapter on the calling thread (the frame engine is what spreads chunks over
 * cores); each chunk gets its own status. The GPU and QAT backends are reached through the
 * choice that cmz_hw_best makes: absent here, they fall back to this path with the reason. */
#define CMZ_EXPERIMENTAL_API /* the batch calls are declared only for who asks (hw.h) */
#include "internal.h"

#include "cmz/codec.h"

#include <string.h>

size_t cmz_hw_scratch_size(cmz_backend backend, int codec, size_t count, size_t max_chunk) {
    (void)backend, (void)codec, (void)count, (void)max_chunk;
    return 0; /* the CPU path keeps its codec state itself; so do the fallbacks */
}

static uint64_t batch_bytes(const size_t *sizes, size_t count) {
    uint64_t total = 0;
    for (size_t i = 0; i < count; i++) total += sizes[i];
    return total;
}

/* The checks both directions share; fills *codec_out. */
static cmz_status check_batch(int codec, const void *const *src, const size_t *src_sizes,
                              size_t count, void *const *dst, const size_t *dst_sizes,
                              cmz_status *statuses, const cmz_codec **codec_out) {
    if (count && (!src || !src_sizes || !dst || !dst_sizes || !statuses))
        return CMZ_ERR_INVALID_ARG;
    *codec_out = cmz_codec_by_id(codec);
    return *codec_out ? CMZ_OK : CMZ_ERR_UNKNOWN_CODEC;
}

cmz_status cmz_hw_compress_batch(cmz_backend wanted, int codec, int level, unsigned typesize,
                                 const void *const *src, const size_t *src_sizes, size_t count,
                                 void *const *dst, const size_t *dst_capacities, size_t *dst_sizes,
                                 cmz_status *statuses, void *scratch, size_t scratch_size,
                                 cmz_hw_choice *used) {
    (void)scratch, (void)scratch_size;
    const cmz_codec *c;
    cmz_status st = check_batch(codec, src, src_sizes, count, dst, dst_capacities, statuses, &c);
    if (st == CMZ_OK && count && !dst_sizes) st = CMZ_ERR_INVALID_ARG;
    if (st == CMZ_OK) st = cmz_codec_check_level(c, level, &level, NULL);
    if (st != CMZ_OK) return st;
    cmz_hw_choice choice =
        cmz_hw_best(wanted, codec, level, batch_bytes(src_sizes, count), CMZ_DATA_HOST);
    if (used) *used = choice;
    cmz_codec_ctx *ctx = cmz_codec_ctx_new(c);
    if (!ctx) return CMZ_ERR_NOMEM;
    if (cmz_codec_ctx_set_typesize(ctx, typesize) != CMZ_OK) {
        cmz_codec_ctx_free(ctx);
        return CMZ_ERR_INVALID_ARG;
    }
    cmz_status first = CMZ_OK;
    for (size_t i = 0; i < count; i++) {
        dst_sizes[i] = 0;
        statuses[i] = src[i] || !src_sizes[i]
                          ? cmz_codec_compress(ctx, level, dst[i], dst_capacities[i], src[i],
                                               src_sizes[i], &dst_sizes[i])
                          : CMZ_ERR_INVALID_ARG;
        if (statuses[i] != CMZ_OK && first == CMZ_OK) first = statuses[i];
    }
    cmz_codec_ctx_free(ctx);
    return first;
}

cmz_status cmz_hw_decompress_batch(cmz_backend wanted, int codec, const void *const *src,
                                   const size_t *src_sizes, size_t count, void *const *dst,
                                   const size_t *raw_sizes, cmz_status *statuses, void *scratch,
                                   size_t scratch_size, cmz_hw_choice *used) {
    (void)scratch, (void)scratch_size;
    const cmz_codec *c;
    cmz_status st = check_batch(codec, src, src_sizes, count, dst, raw_sizes, statuses, &c);
    if (st != CMZ_OK) return st;
    cmz_hw_choice choice =
        cmz_hw_best(wanted, codec, 0, batch_bytes(raw_sizes, count), CMZ_DATA_HOST);
    if (used) *used = choice;
    cmz_codec_ctx *ctx = cmz_codec_ctx_new(c);
    if (!ctx) return CMZ_ERR_NOMEM;
    cmz_status first = CMZ_OK;
    for (size_t i = 0; i < count; i++) {
        statuses[i] = (src[i] || !src_sizes[i]) && (dst[i] || !raw_sizes[i])
                          ? cmz_codec_decompress(ctx, dst[i], raw_sizes[i], src[i], src_sizes[i])
                          : CMZ_ERR_INVALID_ARG;
        if (statuses[i] != CMZ_OK && first == CMZ_OK) first = statuses[i];
    }
    cmz_codec_ctx_free(ctx);
    return first;
}
