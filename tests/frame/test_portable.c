/* The same input gives the same frame, byte for byte, on every host: big- and little-endian,
 * 32- and 64-bit (docs/BUILDS.md: make test-bigendian, make test-32bit). Frames of cmz's own
 * codecs (rans, planes) through each filter are compared by their CRC32C with what an x86-64
 * build writes. The libraries' codecs are left out: their output may change with their
 * version, and liblz4's changes with the host's byte order. The input is made with integer
 * arithmetic only and written little-endian, so that it too is the same everywhere. */
#include "testutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define TEXT_SIZE 65536u
#define N32 20000u /* float-like elements of 4 bytes */
#define N16 20000u /* of 2 bytes */
#define N64 5000u  /* counters of 8 bytes */
#define INPUT_SIZE (TEXT_SIZE + 4 * N32 + 2 * N16 + 8 * N64)

/* Text, then fp32-like values of slowly varying size, fp16-like ones, and 64-bit counters. */
static uint8_t *portable_input(void) {
    uint8_t *in = malloc(INPUT_SIZE), *p = in;
    assert_non_null(in);
    uint8_t *text = tu_text(TEXT_SIZE, 5);
    memcpy(p, text, TEXT_SIZE);
    free(text);
    p += TEXT_SIZE;
    uint64_t rng = 11;
    for (uint32_t i = 0; i < N32; i++, p += 4) {
        uint64_t r = tu_rand(&rng);
        uint32_t exponent = 120 + (i / 997) % 6, mantissa = (uint32_t)(r & 0x7fffff);
        tu_put_le(p, (uint64_t)((r >> 40) & 1) << 31 | exponent << 23 | mantissa, 4);
    }
    for (uint32_t i = 0; i < N16; i++, p += 2) {
        uint64_t r = tu_rand(&rng);
        tu_put_le(p, (r >> 20 & 1) << 15 | (uint64_t)(12 + i % 3) << 10 | (r & 0x3ff), 2);
    }
    for (uint32_t i = 0; i < N64; i++, p += 8)
        tu_put_le(p, 1000000007ull * 3 + (uint64_t)i * 48 + (tu_rand(&rng) & 7), 8);
    assert_true(p == in + INPUT_SIZE);
    return in;
}

typedef struct {
    const char *what;
    int codec, filter;
    unsigned typesize, parity_k, parity_m;
    uint32_t crc; /* of the frame, as an x86-64 build writes it */
} portable_case;

static const portable_case cases[] = {
    {"none", CMZ_CODEC_NONE, CMZ_FILTER_NONE, 0, 0, 0, 0x6daf7e98u},
    {"rans", CMZ_CODEC_RANS, CMZ_FILTER_NONE, 0, 0, 0, 0x4a3b4f3bu},
    {"rans + shuffle 4", CMZ_CODEC_RANS, CMZ_FILTER_SHUFFLE, 4, 0, 0, 0x5e28092bu},
    {"rans + bitshuffle 4", CMZ_CODEC_RANS, CMZ_FILTER_BITSHUFFLE, 4, 0, 0, 0xe3649c00u},
    {"rans + bitshuffle 2", CMZ_CODEC_RANS, CMZ_FILTER_BITSHUFFLE, 2, 0, 0, 0x6c080628u},
    {"rans + delta 8", CMZ_CODEC_RANS, CMZ_FILTER_DELTA, 8, 0, 0, 0x0c4ca6c2u},
    {"rans + planes 4", CMZ_CODEC_RANS, CMZ_FILTER_PLANES, 4, 0, 0, 0x5df1bde7u},
    {"rans + planes 2", CMZ_CODEC_RANS, CMZ_FILTER_PLANES, 2, 0, 0, 0x8570c03cu},
    {"planes codec 4", CMZ_CODEC_PLANES, CMZ_FILTER_NONE, 4, 0, 0, 0xdb917304u},
    {"planes codec 2", CMZ_CODEC_PLANES, CMZ_FILTER_NONE, 2, 0, 0, 0x7efeb0c7u},
    {"rans + shuffle 2, parity 2:1", CMZ_CODEC_RANS, CMZ_FILTER_SHUFFLE, 2, 2, 1, 0xc49eecffu},
};

static void test_same_frame_everywhere(void **state) {
    (void)state;
    uint8_t *in = portable_input();
    bool all_same = true;
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const portable_case *c = &cases[i];
        cmz_params p = tu_params(c->codec, 65536, 2);
        p.level = CMZ_LEVEL_DEFAULT;
        p.filter = c->filter;
        p.typesize = c->typesize;
        p.parity_k = c->parity_k;
        p.parity_m = c->parity_m;
        size_t size;
        uint8_t *frame = tu_compress(&p, in, INPUT_SIZE, &size);
        uint32_t crc = cmz_crc32c(0, frame, size);
        if (crc != c->crc) {
            print_error("%s: frame of %zu bytes has CRC32C 0x%08x, an x86-64 build's 0x%08x\n",
                        c->what, size, crc, c->crc);
            all_same = false;
        }
        free(frame);
    }
    free(in);
    assert_true(all_same);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_same_frame_everywhere),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
