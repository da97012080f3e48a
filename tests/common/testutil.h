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
uint8_t *tu_random(size_t n, uint64_t seed);      /* incompressible */
uint8_t *tu_repetitive(size_t n);                 /* one short phrase repeated */
uint8_t *tu_text(size_t n, uint64_t seed);        /* word salad: compresses like prose */
uint8_t *tu_mixed(size_t n, uint64_t seed);       /* text, zeros, random and floats in blocks */

/* A fresh empty directory under $TMPDIR; malloc'd path. */
char *tu_tempdir(void);
/* rm -rf of a directory made by tu_tempdir. */
void tu_rmtree(const char *path);

#endif
