/* Compresses and decompresses a buffer through the installed library. */
#include <cmz/cmz.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int main(void) {
    static char src[100000];
    for (size_t i = 0; i < sizeof src; i++) src[i] = (char)("consumer "[i % 9]);
    cmz_params p = cmz_params_default();
    cmz_error err;
    cmz_cctx *c = cmz_cctx_new(&p, &err);
    cmz_dparams dp = cmz_dparams_default();
    cmz_dctx *d = cmz_dctx_new(&dp, &err);
    size_t cap = (size_t)cmz_compress_bound(&p, sizeof src), n = 0, m = 0;
    char *frame = malloc(cap), *back = malloc(sizeof src);
    if (!c || !d || !frame || !back ||
        cmz_compress(c, frame, cap, &n, src, sizeof src, &err) != CMZ_OK ||
        cmz_decompress(d, back, sizeof src, &m, frame, n, &err) != CMZ_OK || m != sizeof src ||
        memcmp(src, back, m) != 0) {
        fprintf(stderr, "consumer: round trip failed\n");
        return 1;
    }
    printf("consumer: cmz %s, %zu -> %zu bytes\n", cmz_version(), sizeof src, n);
    cmz_cctx_free(c);
    cmz_dctx_free(d);
    free(frame);
    free(back);
    return 0;
}
