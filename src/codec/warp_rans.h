/* The segment coder of the planes codec: rANS with 32 interleaved states, one per lane of a GPU
 * warp, emulated here lane by lane so that the CPU code is the reference a GPU kernel must match
 * byte for byte (docs/PLANES.md, "Segment"). Integer arithmetic only.
 *
 * A segment of n symbols (n <= WR_SEGMENT_MAX) is coded in steps of 32: symbol i belongs to
 * lane i % 32, step i / 32. A state is normalised to [2^15, 2^31) and moves 16 bits at a
 * time; with a 12-bit table a symbol moves at most one 16-bit word. (States below 2^31 let
 * the encoder divide by a 64-bit multiply, as the rans codec does.) The decoder reads the
 * words in step order, lanes in increasing order within a step, so a warp finds each lane's
 * word with one ballot and a prefix count. */
#ifndef CMZ_CODEC_WARP_RANS_H
#define CMZ_CODEC_WARP_RANS_H

#include <stddef.h>
#include <stdint.h>

#include "cmz/common.h"
#include "rans_table.h"

#define WR_LANES 32u
#define WR_STATE_LOW (1u << 15)                         /* a normalised state is >= this */
#define WR_STATE_HIGH (1u << 31)                        /* ... and below this */
#define WR_STATES_SIZE (4u * WR_LANES)                  /* the 32 final states, u32 each */
#define WR_SEGMENT_MAX 32768u                           /* symbols; keeps a word count in a u16 */
#define WR_SEGMENT_BOUND(n) (WR_STATES_SIZE + 2u * (n)) /* at most one word a symbol */

typedef struct {
    uint32_t x_max; /* emit a word when x >= x_max (2^19 f) */
    uint32_t rcp;   /* ceil(2^shift / f): x / f == (x * rcp) >> shift for x < 2^31 */
    uint32_t shift;
    uint32_t bias; /* cum(s) */
    uint32_t cmpl; /* TOTAL - f */
} wr_symbol;

typedef struct {
    wr_symbol sym[256];
} wr_encoder;

typedef struct {
    uint32_t entry[TOTAL]; /* f | (slot - cum) << 12 | symbol << 24 */
} wr_decoder;

/* Builds the coding tables of a frequency table summing to TOTAL with at least two symbols
 * (a single symbol would have f = TOTAL, which the state bound cannot carry). */
void cmz__wr_encoder_init(wr_encoder *e, const uint32_t *freq);
/* The same for decoding a table read from a stream; CMZ_ERR_CORRUPT for a one-symbol table. */
cmz_status cmz__wr_decoder_init(wr_decoder *d, const uint32_t *freq);

/* Codes seg[0..n), every symbol present in the table, into out: the 32 final states (u32,
 * lane order), then the words (u16). words[] is scratch of n entries. Returns the number of
 * words; the segment takes WR_STATES_SIZE + 2 * words bytes at out. */
size_t cmz__wr_encode(const wr_encoder *e, const uint8_t *seg, size_t n, uint8_t *out,
                      uint16_t *words);

/* Decodes a segment of n symbols whose states and `words` words are at in into seg[0..n).
 * CMZ_ERR_CORRUPT unless every state starts normalised, the words are used up exactly and
 * every lane ends at WR_STATE_LOW (the encoder's start), which catches nearly any change. */
cmz_status cmz__wr_decode(const wr_decoder *d, const uint8_t *in, size_t words, uint8_t *seg,
                          size_t n);

#endif
