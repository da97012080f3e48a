/* Helpers shared by the tests: deterministic data, temp paths. Tests never need the corpus. */
#ifndef CMZ_TESTUTIL_H
#define CMZ_TESTUTIL_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "cmz/cmz.h"

/* xorshift64*: the same bytes on every machine for the same seed. */
uint64_t tu_rand(uint64_t *state);

/* Fillers; each returns a cmz-independent malloc'd buffer of n bytes (n may be 0). */
uint8_t *tu_random(size_t n, uint64_t seed); /* incompressible */
uint8_t *tu_repetitive(size_t n);            /* one short phrase repeated */
uint8_t *tu_text(size_t n, uint64_t seed);   /* word salad: compresses like prose */
uint8_t *tu_mixed(size_t n, uint64_t seed);  /* text, zeros, random and floats in blocks */

/* The divisor of the biggest workloads (inputs, exhaustive sweeps): CMZ_TEST_SCALE, set where
 * tests run under emulation (cross builds, tests/CMakeLists.txt); 1 when unset or not a number
 * >= 1, so a native run checks everything; at most TU_SCALE_MAX, so that a scaled input still
 * holds what a test takes from it at a fixed size. */
#define TU_SCALE_MAX 16
size_t tu_scale(void);
/* Whether the tests run under an emulator (qemu-user: CMZ_TEST_EMULATED set by
 * tests/CMakeLists.txt in a cross build), which does not support everything a kernel does
 * (threads after fork()). */
bool tu_emulated(void);
/* Registry parameters for tests: `budget` bytes, usage measured as the registry's own bytes
 * (exact: CMZ_USAGE_REGISTRY), no monitor thread, `threads` workers (0: one per core). */
cmz_registry_params tu_registry_params(uint64_t budget, unsigned threads);
/* cmz_registry_new that fails the test with the library's message when it fails. */
cmz_registry *tu_registry_new(const cmz_registry_params *params);

/* A fresh empty directory under $TMPDIR; malloc'd path. */
char *tu_tempdir(void);
/* rm -rf of a directory made by tu_tempdir. */
void tu_rmtree(const char *path);

/* Streaming input over memory for cmz_compress_stream / cmz_decompress_stream. With
 * max_read > 0 every read returns a pseudo-random length in 1..max_read (partial reads, as
 * pipes give); with 0 it returns all that is asked. */
typedef struct {
    const uint8_t *data;
    size_t size, pos, max_read;
    uint64_t rng;
    size_t calls;
} tu_memin;
cmz_input tu_memin_init(tu_memin *m, const void *data, size_t size, size_t max_read, uint64_t seed);

/* Streaming output that appends to a growing malloc'd buffer (free with tu_memout_free). */
typedef struct {
    uint8_t *data;
    size_t size, cap;
} tu_memout;
cmz_output tu_memout_init(tu_memout *m);
void tu_memout_free(tu_memout *m);

/* One-shot compression into a malloc'd buffer of cmz_compress_bound bytes; asserts success.
 * *size gets the frame size. */
uint8_t *tu_compress(const cmz_params *params, const void *src, size_t n, size_t *size);

/* The build's default codec (zstd where it is compiled in): tests that need a codec, not zstd
 * itself, use it so that they run in every build (make test-minimal). */
#define TU_CODEC ((int)cmz_codec_id_of(cmz_codec_default()))

/* A params struct for tests: codec, chunk size and threads set, everything else default. */
cmz_params tu_params(int codec, uint32_t chunk_size, unsigned threads);
/* Decoding parameters that go with p: its threads and hooks (progress, interrupt). */
cmz_dparams tu_dparams(const cmz_params *p);
/* cmz_dctx_new(tu_dparams(p)). */
cmz_dctx *tu_dctx_new(const cmz_params *p, cmz_error *err);
/* Skips the calling test (cmocka skip()) when codec id is not compiled into this build. */
void tu_need_codec(int codec);
/* For a main() whose every test needs codec id: returns 0 when it is compiled in; otherwise
 * says why the program is skipped and returns 77, which ctest reports as skipped. */
int tu_skip_unless_codec(int codec, const char *why);

/* Recompute the CRC32C fields of a frame after a test patched it (docs/FORMAT.md). */
void tu_fix_header_crc(uint8_t *frame_start);
void tu_fix_chunk_header_crc(uint8_t *record);
void tu_fix_footer_crc(uint8_t *frame, size_t frame_size);
/* The index record: located through the footer, its size from the footer's chunk count.
 * `frame` is the frame's first byte. */
void tu_fix_index_crc(uint8_t *frame, size_t frame_size);
/* A source over memory that, like a file, has no `data` pointer: readers must pread every
 * record (the path files take) instead of using the bytes in place. */
void tu_source_nodata(cmz_source *src, const void *data, size_t size);
/* Little-endian field access for patching frames. */
uint64_t tu_get_le(const uint8_t *p, int bytes);
void tu_put_le(uint8_t *p, uint64_t v, int bytes);

/* Allocation-failure injection through cmz_set_allocator: tu_alloc_install() counts live
 * allocations from 0; tu_alloc_fail_after(n) makes the nth allocation from now fail (0:
 * none); sizes over 1 GiB fail too, as a system would refuse them (sanitizers abort
 * instead). Install it while no library thread runs; tu_alloc_restore() puts malloc back. */
void tu_alloc_install(void);
void tu_alloc_fail_after(long n);
long tu_alloc_live(void);
void tu_alloc_restore(void);

#endif
