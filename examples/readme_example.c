/* One buffer compressed into a .cmz frame and back. README.md shows this file verbatim, and
 * tests/install/test_readme_example.sh builds it as the README says and runs it. */
#include <cmz/cmz.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int failed(const char *why) {
    fprintf(stderr, "%s\n", why);
    return 1;
}

int main(void) {
    size_t src_size = 4u << 20; /* 4 MiB of repetitive text */
    char *src = malloc(src_size), *back = malloc(src_size);
    if (!src || !back) return failed("out of memory");
    for (size_t i = 0; i < src_size; i++) src[i] = "cmz keeps large resources small. "[i % 33];

    cmz_error err;
    cmz_params p = cmz_params_default(); /* the build's default codec and level, all cores */
    cmz_cctx *cctx = cmz_cctx_new(&p, &err);
    if (!cctx) return failed(err.message);
    size_t cap = (size_t)cmz_compress_bound(&p, src_size);
    char *frame = malloc(cap);
    size_t frame_size;
    if (!frame || cmz_compress(cctx, frame, cap, &frame_size, src, src_size, &err) != CMZ_OK)
        return failed(frame ? err.message : "out of memory");
    cmz_cctx_free(cctx);

    cmz_dparams dp = cmz_dparams_default(); /* no codec: the frame names its own */
    cmz_dctx *dctx = cmz_dctx_new(&dp, &err);
    size_t back_size;
    if (!dctx ||
        cmz_decompress(dctx, back, src_size, &back_size, frame, frame_size, &err) != CMZ_OK)
        return failed(err.message);
    cmz_dctx_free(dctx);

    int same = back_size == src_size && memcmp(src, back, src_size) == 0;
    printf("%zu bytes -> %zu-byte frame -> %zu bytes, %s\n", src_size, frame_size, back_size,
           same ? "identical" : "different");
    free(src);
    free(back);
    free(frame);
    return same ? 0 : 1;
}
