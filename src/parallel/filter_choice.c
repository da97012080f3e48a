/* CMZ_FILTER_AUTO: the filter and type size for a frame, chosen on its first chunk before
 * the header (which records them) is written. */
#include "internal.h"

#include <stdint.h>
#include <string.h>

void cmz__choose_filter(const cmz_codec *codec, const cmz_params *p, cmz__worker *w,
                        const uint8_t *raw, size_t n, cmz__frame_params *fp) {
    cmz_codec_ctx *cc = cmz__worker_codec(w, codec);
    if (!raw || n == 0 || !cc || cmz_codec_id_of(codec) == CMZ_CODEC_NONE) return;
    const size_t slice = CMZ_FILTER_PLANES_BLOCK;
    size_t sample_size = n;
    const uint8_t *sample = raw;
    if (n > 4 * slice) {
        if (cmz__grow(&w->raw_buf, &w->raw_cap, 4 * slice) != 0) return;
        for (size_t k = 0; k < 4; k++) {
            size_t at = (n / 4 * k) / slice * slice; /* planes' blocks stay aligned */
            memcpy(w->raw_buf + k * slice, raw + at, slice);
        }
        sample = w->raw_buf;
        sample_size = 4 * slice;
    }
    size_t cap = cmz_codec_bound(codec, cmz_filter_bound(CMZ_FILTER_PLANES, 2, sample_size));
    if (cmz__hbuf_grow(&w->record, cap, 0) != 0 ||
        cmz__grow(&w->filter.buf, &w->filter.cap,
                  cmz_filter_bound(CMZ_FILTER_PLANES, 2, sample_size)) != 0)
        return;
    static const int filters[] = {CMZ_FILTER_SHUFFLE, CMZ_FILTER_BITSHUFFLE, CMZ_FILTER_PLANES,
                                  CMZ_FILTER_DELTA};
    static const unsigned default_sizes[] = {4, 2};
    unsigned sizes[2] = {p->typesize, 0};
    const unsigned *ts = p->typesize ? sizes : default_sizes;
    size_t nts = p->typesize ? 1 : 2;
    size_t best = SIZE_MAX, got;
    if (cmz_codec_compress(cc, p->level, w->record.p, cap, sample, sample_size, &got) == CMZ_OK)
        best = got;
    for (size_t t = 0; t < nts; t++)
        for (size_t f = 0; f < sizeof filters / sizeof filters[0]; f++) {
            size_t filtered;
            if (cmz_filter_forward(filters[f], ts[t], sample, sample_size, w->filter.buf,
                                   w->filter.cap, &filtered) != CMZ_OK ||
                cmz_codec_compress(cc, p->level, w->record.p, cap, w->filter.buf, filtered, &got) !=
                    CMZ_OK ||
                got >= best)
                continue;
            best = got;
            fp->filter = (uint8_t)filters[f];
            fp->typesize = (uint8_t)ts[t];
        }
}
