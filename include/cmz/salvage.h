/* libcmz — damaged frames: a per-chunk verdict (cmz_frame_verify) and salvage of every intact
 * chunk (cmz_frame_salvage), where the ordinary decoders stop at the first error.
 *
 * Both read every frame of the source (a .cmz file may be frames concatenated; each is found
 * from the front or, when damaged, from the end: docs/DAMAGE.md). A frame's parameters come
 * from its header, or from the footer's copy when the header is damaged; its chunks are found
 * through the index, or, when the footer or the index is damaged, by scanning for chunk markers
 * whose header CRC holds (docs/FORMAT.md). Every chunk found is checked like the decoders do
 * (header CRC, sizes, payload CRC, decoding, raw CRC). Chunks are independent, so damage costs only
 * the content of the chunks it hits. An unreadable part of the source (I/O error) is skipped in
 * 512-byte pieces. Memory stays within dctx's memory limit (chunk buffers, and about 280 bytes
 * of report per chunk). dctx's interrupt flag stops the work (CMZ_ERR_INTERRUPTED).
 * Without the index, records are chosen by the chain they form from the header to the index
 * (src/damage/salvage_scan.c), so a .cmz stored inside a chunk does not pass for the
 * frame's own records. Known limit: when the footer is damaged too (the index offset is
 * unknown), a chunk after a damaged one is the first record that fits. Bytes that belong to
 * no readable frame are reported (stray_bytes), never skipped silently. */
#ifndef CMZ_SALVAGE_H
#define CMZ_SALVAGE_H

#include "cmz/frame.h"
#include "cmz/parallel.h"

#include <stdbool.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef enum {
    CMZ_CHUNK_INTACT = 0,
    CMZ_CHUNK_DAMAGED = 1, /* found, but a check failed (status and message say which) */
    CMZ_CHUNK_MISSING = 2, /* not found: its record is gone or unrecognisable */
} cmz_chunk_state;

/* "intact", "damaged", "missing"; "unknown" for other values. */
const char *cmz_chunk_state_name(cmz_chunk_state state);

/* The reports below are filled by the library: their reserved tails come back as zeros and
 * are where a later version adds fields (room to grow, include/cmz/common.h). */
typedef struct {
    uint64_t frame;          /* which frame of the input holds it (0 = the first) */
    uint64_t number;         /* data chunk number within its frame */
    uint64_t record_offset;  /* where its record is (or should be) in the input;
                              * CMZ_NO_POSITION unknown */
    uint64_t content_offset; /* its content bytes in the content of all frames, in order:
                              * [content_offset, content_offset + raw_size) */
    uint32_t raw_size;
    cmz_chunk_state state;
    cmz_status status; /* CMZ_OK when intact */
    bool repairable;   /* damaged or missing, and cmz_frame_repair of the whole input
                        * would rebuild it from its group's parity */
    bool repaired;     /* cmz_frame_repair rebuilt it from parity */
    char message[160]; /* why it is damaged or missing; "" when intact */
    uint64_t reserved[CMZ_RESERVED_WORDS]; /* room to grow (common.h): zeros */
} cmz_chunk_report;

typedef struct {
    cmz_frame_info info;      /* parameters (header, or footer), content size, chunk count */
    uint64_t frames;          /* frames found in the input (concatenated frames are read in turn) */
    uint64_t chunk_count;     /* entries in chunks */
    cmz_chunk_report *chunks; /* one per data chunk, frame by frame, in order */
    /* chunks by verdict */
    uint64_t intact, damaged, missing;
    uint64_t repairable;     /* damaged or missing chunks that a repair would rebuild */
    uint64_t repaired;       /* cmz_frame_repair: chunks rebuilt from parity */
    uint64_t parity_damaged; /* parity records damaged, missing, or not the parity of their
                              * group (found by a trial repair) */
    /* bytes */
    uint64_t lost_bytes;       /* content bytes in damaged and missing chunks */
    uint64_t stray_bytes;      /* bytes in no frame that could be read (garbage after the last
                                * frame, or a frame whose header and footer are both lost) */
    uint64_t stray_offset;     /* where the first such stretch starts; CMZ_NO_POSITION if none */
    uint64_t unreadable_bytes; /* bytes skipped because reading them failed (I/O errors) */
    /* the frame's own records */
    bool header_ok, footer_ok, index_ok; /* each intact (CRC and rules) */
    bool content_size_known; /* every frame's end is proven (its footer, an intact index at
                              * the end, a short last chunk or group); else the content size is
                              * guessed from the chunks found and the loss is a lower bound */
    bool has_parity;         /* the frame carries parity records (info.parity_k:parity_m) */
    char summary[256];       /* one line for a person: "3 of 8 chunks damaged ..." */
    uint64_t reserved[CMZ_RESERVED_WORDS]; /* room to grow (common.h): zeros */
} cmz_frame_report;

/* Checks every chunk of the frame in src and returns a report (free it with
 * cmz_frame_report_free). CMZ_OK whenever a report could be made, even if it lists damage:
 * look at report->damaged and ->missing. Errors: CMZ_ERR_CORRUPT (neither the header nor the
 * footer is intact: the frame's parameters are lost), CMZ_ERR_TRUNCATED (shorter than a
 * header), CMZ_ERR_UNSUPPORTED (a frame from a newer cmz), CMZ_ERR_LIMIT (a chunk's buffers,
 * or the report of every chunk of every frame, would pass the memory limit), CMZ_ERR_NOMEM,
 * CMZ_ERR_INTERRUPTED. dctx gives the memory limit and the interrupt flag, and may be NULL
 * (defaults). */
cmz_status cmz_frame_verify(cmz_dctx *dctx, const cmz_source *src, cmz_frame_report **report,
                            cmz_error *err);
/* Like verify, and writes the content to out: intact chunks decoded, damaged and missing ones
 * as zeros of their size (so every byte that survives is at its offset). When the content
 * size is not known (footer damaged), what follows the last chunk found is not written.
 * Returns CMZ_OK when the report could be made and out accepted every write. */
cmz_status cmz_frame_salvage(cmz_dctx *dctx, const cmz_source *src, const cmz_output *out,
                             cmz_frame_report **report, cmz_error *err);
void cmz_frame_report_free(cmz_frame_report *report);

/* Writes the frames in src to out, repaired, in order (each frame on its own): each damaged or
 * missing chunk rebuilt from its group's parity (up to M per group of K), parity records
 * computed again, and the header, index and footer written afresh from the records. The result
 * is the input as it was written, byte for byte. Works on frames without parity too, when only the
 * header, index or footer is damaged. One pass over src, group by group; memory about (K + 2M)
 * records plus 16 bytes per chunk, within dctx's memory limit. Returns CMZ_OK when out received
 * every frame whole and intact; CMZ_ERR_CORRUPT when some chunk cannot be rebuilt (*report says
 * which: state damaged/missing and not repaired), a frame's end is not proven, or bytes lie outside
 * every frame (they would be dropped): then out received an incomplete input, to be thrown away;
 * the other errors of cmz_frame_verify. *report is set whenever the frame could be read (CMZ_OK or
 * CMZ_ERR_CORRUPT from the rebuild). */
cmz_status cmz_frame_repair(cmz_dctx *dctx, const cmz_source *src, const cmz_output *out,
                            cmz_frame_report **report, cmz_error *err);

/* cmz_frame_repair in place on the file at path (through a symlink: its target): the repaired
 * frame is written to a temp file beside it, checked by every reader, synced and renamed over
 * it, so the file is the old frame or the whole repaired one, never a part. An intact frame,
 * or one that cannot be rebuilt (CMZ_ERR_CORRUPT, *report says which chunks), leaves the file
 * untouched. *rewritten (may be NULL) says whether the file was replaced. Other hard links to
 * the file keep the old content (rename replaces one name). */
cmz_status cmz_frame_repair_file(cmz_dctx *dctx, const char *path, bool *rewritten,
                                 cmz_frame_report **report, cmz_error *err);

/* Recomputes the parity of every group of every frame in src from its data records and
 * compares it byte for byte with the frame's parity records (which the decoders only check
 * by their CRCs): CMZ_OK when they agree, or when no frame has parity; CMZ_ERR_CORRUPT naming
 * the first record that differs, or a damaged record; the errors of cmz_frame_verify. Reads
 * the records and encodes parity; decodes nothing. */
cmz_status cmz_frame_check_parity(cmz_dctx *dctx, const cmz_source *src, cmz_error *err);

/* cmz_compress, then a check that the frame decodes to src (decoded a few chunks at a time
 * and compared), and that its parity records, when it has them, are the parity of their
 * groups (computed again and compared): an error anywhere on the way (memory, codec) is caught
 * before the frame is trusted. CMZ_ERR_CORRUPT (and *dst_size = 0) when the check fails. */
cmz_status cmz_safe_compress(cmz_cctx *cctx, void *dst, size_t dst_capacity, size_t *dst_size,
                             const void *src, size_t src_size, cmz_error *err);
/* cmz_decompress; when it finds damage (CMZ_ERR_CHECKSUM, _CORRUPT, _TRUNCATED, _BAD_MAGIC),
 * the frame is repaired in memory from its parity (cmz_frame_repair) and decoded again.
 * *repaired (may be NULL) gets the number of chunks rebuilt. When the repair cannot undo the
 * damage, the decoder's error is returned with the repair's reason appended. */
cmz_status cmz_safe_decompress(cmz_dctx *dctx, void *dst, size_t dst_capacity, size_t *dst_size,
                               const void *src, size_t src_size, uint64_t *repaired,
                               cmz_error *err);

#ifdef __cplusplus
}
#endif
#endif
