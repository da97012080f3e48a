/* The frequency table format of the rans codec, shared by its encoder and decoder (rans.c)
 * and written in rans_table.c. A table gives each present byte value a frequency f >= 1; the
 * frequencies sum to exactly TOTAL. */
#ifndef CMZ_CODEC_RANS_TABLE_H
#define CMZ_CODEC_RANS_TABLE_H

#include <stddef.h>
#include <stdint.h>

#define SCALE_BITS 12u
#define TOTAL (1u << SCALE_BITS)

/* The raw size at the start of a rans or planes stream: LEB128 (7 bits a byte, low group
 * first, bit 7 = more), shortest form, < 2^64; at most RANS_SIZE_FIELD_MAX bytes. */
#define RANS_SIZE_FIELD_MAX 10u
/* Writes v at out; returns the bytes written. */
size_t cmz__rans_size_write(uint64_t v, uint8_t *out);
/* Reads the field at in[*at..n) into *v and moves *at past it; -1 when it runs past n, is
 * longer than the shortest form or does not fit 64 bits. */
int cmz__rans_size_read(const uint8_t *in, size_t n, size_t *at, uint64_t *v);

/* log2(f) in 2^-16 units for 1 <= f <= TOTAL, integer only (encoders decide on it, so every
 * implementation must compute exactly this). */
uint32_t cmz__rans_log2_q16(uint32_t f);
/* Scales counts c[0..256) (summing to n > 0) to freq[0..256) summing to TOTAL, every present
 * symbol >= 1; integer only, ties broken by the lowest symbol (docs/RANS.md, step 4). */
void cmz__rans_normalise(const uint32_t *c, uint32_t n, uint32_t *freq);
/* Size in bytes of the table of f[0..256) as cmz__rans_write_table writes it. */
size_t cmz__rans_table_size(const uint32_t *f);
/* Writes the table of f at out (cmz__rans_table_size(f) bytes); returns its size. */
size_t cmz__rans_write_table(const uint32_t *f, uint8_t *out);
/* Reads a table from p[0..n) into freq[0..256); returns its size, or 0 when it is invalid. */
size_t cmz__rans_read_table(const uint8_t *p, size_t n, uint32_t *freq);

#endif
