/* Streams over file descriptors for the library's cmz_input/cmz_output, with the extras the
 * commands need: a CRC32C and a byte count of what passes (compress --rm verification), and
 * an output window that keeps only bytes [skip, skip+limit) (cat --range on a pipe). */
#ifndef CMZ_CLI_IO_FD_H
#define CMZ_CLI_IO_FD_H

#include <stdbool.h>
#include <stdint.h>

#include "cmz/parallel.h"

typedef struct {
    int fd;
    bool checksum; /* keep crc up to date */
    uint32_t crc;
    uint64_t bytes;
} cli_reader;

typedef struct {
    int fd; /* -1: discard (only count and checksum) */
    bool checksum;
    uint32_t crc;
    uint64_t bytes; /* bytes offered by the library */
    bool window;    /* keep only [skip, skip+limit) of them */
    uint64_t skip, limit;
} cli_writer;

/* The returned structs point at r / w, which must outlive their use. */
cmz_input cli_reader_input(cli_reader *r);
cmz_output cli_writer_output(cli_writer *w);

/* Writes all n bytes (retrying short writes and EINTR); 0 or -1 with errno. */
int cli_write_all(int fd, const void *buf, size_t n);

#endif
