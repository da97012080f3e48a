/* File sources past 4 GiB on every target. On a 32-bit system a library built without 64-bit
 * file offsets (_FILE_OFFSET_BITS=64) cannot fstat such a file (EOVERFLOW), and its pread
 * offsets wrap at 2^32: a read past 4 GiB returns the bytes from near the start. The file is
 * sparse, so it costs no disk space. The test's own calls use the explicitly 64-bit forms, so
 * that only the library's build decides the outcome. */
#include "testutil.h"

#include "frame/internal.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define FOUR_GIB ((uint64_t)1 << 32)

/* A new sparse file of `size` bytes in dir: its descriptor. */
static int sparse_file(const char *dir, uint64_t size) {
    char path[4200];
    snprintf(path, sizeof path, "%s/big", dir);
    int fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_LARGEFILE, 0600);
    assert_true(fd >= 0);
    assert_int_equal(ftruncate64(fd, (off64_t)size), 0);
    return fd;
}

static void put(int fd, const void *buf, size_t n, uint64_t at) {
    assert_int_equal(pwrite64(fd, buf, n, (off64_t)at), (ssize_t)n);
}

static void test_fd_source_past_4gib(void **state) {
    (void)state;
    char *dir = tu_tempdir();
    const uint64_t size = FOUR_GIB + 8192, at = FOUR_GIB + 4096 + 5;
    int fd = sparse_file(dir, size);
    const char marker[] = "past four GiB";
    put(fd, marker, sizeof marker, at);

    cmz_source src;
    cmz_error err;
    cmz_error_clear(&err);
    cmz_status st = cmz_source_fd(&src, fd, &err);
    if (st != CMZ_OK) print_error("cmz_source_fd: %s\n", err.message);
    assert_int_equal(st, CMZ_OK);
    assert_true(src.size == size);

    char got[sizeof marker];
    memset(got, 'x', sizeof got);
    assert_true(src.pread(&src, got, sizeof got, at) == (int64_t)sizeof got);
    assert_memory_equal(got, marker, sizeof marker);
    /* The same offset modulo 2^32 holds zeros: a wrapped offset would read those. */
    assert_true(src.pread(&src, got, sizeof got, at - FOUR_GIB) == (int64_t)sizeof got);
    for (size_t i = 0; i < sizeof got; i++) assert_int_equal(got[i], 0);
    /* Reads stop at the end of the file, not at the end modulo 2^32. */
    assert_true(src.pread(&src, got, sizeof got, size - 3) == 3);

    close(fd);
    tu_rmtree(dir);
    free(dir);
}

/* A footer that declares 2^32 + 1 chunks, in a sparse file of 64 GiB that has room for their
 * index. On a 32-bit system that index does not fit a size_t: cut to 32 bits it looked like
 * the index of one chunk, and 2^32 + 1 entries were written into room for one. It is refused
 * as larger than the memory this system can address. (Elsewhere the 64 GiB index would be
 * read: the case is for 32-bit systems only.) */
static void test_index_past_the_address_space(void **state) {
    (void)state;
    if (SIZE_MAX > UINT32_MAX) skip();
    const uint32_t chunk_size = 4096;
    const uint64_t count = FOUR_GIB + 1;
    const uint64_t frame_size =
        CMZ_HEADER_SIZE + CMZ_INDEX_FIXED_SIZE + count * CMZ_INDEX_ENTRY_SIZE + CMZ_FOOTER_SIZE;
    size_t small_size;
    cmz_params p = tu_params(TU_CODEC, chunk_size, 1);
    uint8_t *small = tu_compress(&p, "x", 1, &small_size);
    cmz__footer footer;
    assert_int_equal(cmz__footer_parse(small + small_size - CMZ_FOOTER_SIZE, 0, &footer, NULL),
                     CMZ_OK);
    footer.index_offset = CMZ_HEADER_SIZE;
    footer.chunk_count = count;
    footer.content_size = count * chunk_size;
    uint8_t end[CMZ_FOOTER_SIZE];
    cmz__footer_write(end, &footer);
    /* What the index looks like cut to 32 bits: a head and one entry, with a good CRC. */
    uint8_t index[CMZ_INDEX_FIXED_SIZE + CMZ_INDEX_ENTRY_SIZE];
    cmz__index_head_write(index, count);
    cmz__index_entry_write(index + 16, CMZ_HEADER_SIZE, 0, chunk_size);
    cmz__put_le32(index + 32, cmz_crc32c(0, index, 32));

    char *dir = tu_tempdir();
    int fd = sparse_file(dir, frame_size);
    put(fd, small, CMZ_HEADER_SIZE, 0);
    put(fd, index, sizeof index, CMZ_HEADER_SIZE);
    put(fd, end, sizeof end, frame_size - CMZ_FOOTER_SIZE);
    cmz_source src;
    assert_int_equal(cmz_source_fd(&src, fd, NULL), CMZ_OK);
    cmz_frame_info info;
    cmz_error err;
    cmz_error_clear(&err);
    assert_int_equal(cmz_frame_info_read(&src, &info, &err), CMZ_ERR_LIMIT);
    assert_non_null(strstr(err.message, "4294967297 chunks"));

    close(fd);
    tu_rmtree(dir);
    free(dir);
    free(small);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fd_source_past_4gib),
        cmocka_unit_test(test_index_past_the_address_space),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
