/* libcmz — compressing and decompressing .cmz frames on every core, in bounded memory.
 *
 * A cmz_cctx / cmz_dctx owns a pool of worker threads (started by the first call that needs
 * them, reused by every later call) and one codec context per worker; or it shares a
 * cmz_pool with other contexts (cmz_cctx_ref_pool, cmz_dctx_ref_pool). A one-shot call
 * (cmz_compress, cmz_decompress, cmz_frame_reader_read) of one chunk, or on a context of one
 * thread, works on the calling thread and starts no thread; streams use a worker even then,
 * so that input and output overlap the codec.
 * A context is used by one thread at a time; different contexts may be used from different
 * threads at once, shared pool or not. Output never depends on the thread count: the same
 * parameters give the same bytes. Worker threads block all signals, so a signal handler
 * always runs in one of the application's threads. */
#ifndef CMZ_PARALLEL_H
#define CMZ_PARALLEL_H

#include <signal.h>

#include "cmz/filter.h"
#include "cmz/frame.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Default bound on the decoder's in-flight buffers (CMZ_ERR_LIMIT beyond it). */
#define CMZ_DEFAULT_MEMORY_LIMIT ((uint64_t)512 << 20)

/* cmz_params, cmz_params_default and cmz_params_resolve are in frame.h (every layer uses
 * them). */

/* Sequential input and output for the streaming calls (files, pipes, sockets, memory).
 * read returns bytes read (0 at end of input) or -1 with errno set; it may return fewer than
 * asked. write writes all n bytes and returns 0, or -1 with errno set. */
typedef struct {
    int64_t (*read)(void *opaque, void *buf, size_t n);
    void *opaque;
} cmz_input;
typedef struct {
    int (*write)(void *opaque, const void *buf, size_t n);
    void *opaque;
} cmz_output;

/* Input/output over a file descriptor (not closed by cmz). The fd is stored in the opaque
 * pointer's place, so these need no allocation. */
cmz_input cmz_input_fd(int fd);
cmz_output cmz_output_fd(int fd);

/* ---- shared thread pool ------------------------------------------------------------------ */

/* A set of worker threads that many contexts share (like zstd's ZSTD_threadPool), so that
 * an application with many contexts runs one long-lived set of threads instead of one per
 * context. The threads start when a call first needs them. Contexts that share a pool may be
 * used from several threads at once: each call queues its own chunks and takes them back in
 * order, so the output is the same bytes as with a private pool. */
typedef struct cmz_pool cmz_pool;

/* threads: 0 for one per core; at most 256. NULL on error (err: CMZ_ERR_NOMEM,
 * CMZ_ERR_THREAD). */
cmz_pool *cmz_pool_new(unsigned threads, cmz_error *err);
/* Joins the threads. Every context that refers to the pool must be freed, or given another
 * pool, first. NULL: nothing. */
void cmz_pool_free(cmz_pool *pool);

/* ---- compression ------------------------------------------------------------------------ */

typedef struct cmz_cctx cmz_cctx;

/* NULL on error (err says why: bad parameters, CMZ_ERR_NOMEM). The context keeps its chunk
 * buffers between calls (a stream: 2 x threads x (chunk + bound); a source: threads x
 * (chunk + 2 x bound)), so that repeated calls do not allocate; cmz_cctx_free releases them.
 * Its threads start on the first call that needs them: a call that cannot start them fails
 * with CMZ_ERR_THREAD and the next call tries again. */
cmz_cctx *cmz_cctx_new(const cmz_params *params, cmz_error *err);
void cmz_cctx_free(cmz_cctx *cctx);
/* Runs the context's work on `pool` (which must outlive that use) instead of threads of its
 * own; NULL goes back to its own. params.threads still sets how many chunks a call keeps in
 * flight; the pool's threads do the work, and each keeps its own buffers for this context
 * between calls, so on a pool larger than params.threads the context may hold up to the
 * pool's thread count of them. Not during a call. CMZ_ERR_NOMEM (scratch for the pool's
 * threads) leaves the context as it was. */
cmz_status cmz_cctx_ref_pool(cmz_cctx *cctx, cmz_pool *pool, cmz_error *err);
/* The parameters in force, defaults resolved. */
const cmz_params *cmz_cctx_params(const cmz_cctx *cctx);

/* Largest frame for src_size bytes with these (resolved) parameters; 0 if it overflows. */
uint64_t cmz_compress_bound(const cmz_params *params, uint64_t src_size);

/* One-shot: compresses src[0..src_size) into one frame at dst; *dst_size gets the frame size.
 * dst_capacity >= cmz_compress_bound() always suffices; a smaller capacity works when the frame
 * fits and gives CMZ_ERR_DST_TOO_SMALL when it does not (nothing is written past
 * dst_capacity). */
cmz_status cmz_compress(cmz_cctx *cctx, void *dst, size_t dst_capacity, size_t *dst_size,
                        const void *src, size_t src_size, cmz_error *err);

/* Streaming: reads `in` to its end and writes one frame to `out`, holding at most about
 * 2 x threads chunks in memory whatever the input size. *info (may be NULL) describes the
 * frame written. */
cmz_status cmz_compress_stream(cmz_cctx *cctx, const cmz_input *in, const cmz_output *out,
                               cmz_frame_info *info, cmz_error *err);

/* From a random-access source: compresses its first src->size bytes (its size when called)
 * into one frame written to `out`, the same bytes as the other entry points give. Each worker
 * reads its own chunks (pread), so the calling thread only writes; at most about 2 x threads
 * chunks are in memory. A source that ends before src->size bytes is an error
 * (CMZ_ERR_TRUNCATED). A memory source is encoded where it lies. */
cmz_status cmz_compress_source(cmz_cctx *cctx, const cmz_source *src, const cmz_output *out,
                               cmz_frame_info *info, cmz_error *err);

/* ---- decompression ---------------------------------------------------------------------- */

typedef struct cmz_dctx cmz_dctx;

/* Decompression parameters. A frame records how it was compressed, so decoding takes none of
 * cmz_params: a decoder works whichever codecs the build has and reports a frame whose codec
 * is missing when it meets one. Zero in any field means its default: a zeroed struct equals
 * cmz_dparams_default(). */
typedef struct {
    unsigned threads;      /* worker threads; 0: one per core (at most 256) */
    uint64_t memory_limit; /* bound on buffers in flight; 0: CMZ_DEFAULT_MEMORY_LIMIT */
    cmz_progress_fn progress;
    void *progress_opaque;
    /* When not NULL, polled between chunks: non-zero stops the call with
     * CMZ_ERR_INTERRUPTED (a signal handler may set it). */
    const volatile sig_atomic_t *interrupt;
    /* Room to grow (common.h): fields added by later versions take this space, so the struct
     * keeps its size (cmz_dparams_default returns it by value) and zero keeps today's
     * behaviour. Must be zero: a library older than the caller's header refuses a field it
     * does not know (CMZ_ERR_INVALID_ARG) instead of ignoring it. */
    uint64_t reserved[CMZ_RESERVED_WORDS];
} cmz_dparams;

cmz_dparams cmz_dparams_default(void);

/* NULL params: the defaults. NULL on error (err says why: a reserved field set,
 * CMZ_ERR_NOMEM). Its threads start as a cmz_cctx's do (CMZ_ERR_THREAD from that call). */
cmz_dctx *cmz_dctx_new(const cmz_dparams *params, cmz_error *err);
void cmz_dctx_free(cmz_dctx *dctx);
/* As cmz_cctx_ref_pool: params.threads bounds the chunks in flight, the pool does the work;
 * NULL goes back to the context's own threads. Not while a reader opened on it is in use. */
cmz_status cmz_dctx_ref_pool(cmz_dctx *dctx, cmz_pool *pool, cmz_error *err);

/* One-shot: decompresses the frame src[0..src_size) into dst (decoding chunks in parallel,
 * straight into dst). *dst_size gets the content size. CMZ_ERR_DST_TOO_SMALL when the content
 * does not fit. Use cmz_frame_info_read to learn the content size first. On error, dst's
 * contents are unspecified (chunks are decoded in place, then checked). */
cmz_status cmz_decompress(cmz_dctx *dctx, void *dst, size_t dst_capacity, size_t *dst_size,
                          const void *src, size_t src_size, cmz_error *err);

/* Streaming, front to back, without needing the index (pipes): every chunk is checked as it
 * arrives, then the index and footer against what was seen. Concatenated frames are decoded
 * in turn. `out` may be NULL to only verify (cmz -t). *info (may be NULL) describes the
 * (last) frame; on error it holds what was learnt before the error. */
cmz_status cmz_decompress_stream(cmz_dctx *dctx, const cmz_input *in, const cmz_output *out,
                                 cmz_frame_info *info, cmz_error *err);

/* ---- random access ---------------------------------------------------------------------- */

typedef struct cmz_frame_reader cmz_frame_reader;

/* Opens the frame at the end of src for random access: reads its footer, index and header
 * (not the chunks). src must stay valid until the reader is closed. The reader uses dctx's
 * threads; use one reader per dctx at a time. */
cmz_status cmz_frame_reader_open(cmz_dctx *dctx, const cmz_source *src, cmz_frame_reader **reader,
                                 cmz_error *err);
const cmz_frame_info *cmz_frame_reader_info(const cmz_frame_reader *reader);
/* Decompresses content bytes [offset, offset+length) into dst, reading and decoding only the
 * chunks that hold them. CMZ_ERR_RANGE when the range goes past the content. On error, dst's
 * contents are unspecified. */
cmz_status cmz_frame_reader_read(cmz_frame_reader *reader, uint64_t offset, size_t length,
                                 void *dst, cmz_error *err);
/* Writes content bytes [offset, offset+length) to out, in order, while the chunks ahead are
 * read and decoded (at most two chunks per thread in memory, within the memory limit): a
 * range of any size without a buffer for it. Each decoding thread reads its own chunks from
 * the source; from two threads the calling thread is one of them and writes between chunks.
 * This is how cmz -d decodes a file. Calls the progress callback after each chunk (input:
 * the frame up to that chunk's record; the whole frame after its last chunk). On error, what
 * was written before it stays written. */
cmz_status cmz_frame_reader_write(cmz_frame_reader *reader, uint64_t offset, uint64_t length,
                                  const cmz_output *out, cmz_error *err);
void cmz_frame_reader_close(cmz_frame_reader *reader);

#ifdef __cplusplus
}
#endif
#endif
