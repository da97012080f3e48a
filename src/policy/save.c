/* Policy -> YAML text (the header comment is the format's documentation, so that every saved
 * file explains itself), saved with the library's atomic file replacement (include/cmz/file.h). */
#include "internal.h"

#include "cmz/file.h"

#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/* configs/compression_layers.yaml is exactly cmz_policy_format(built-in defaults): a test
 * compares them byte for byte, so change this text and the file together. */
static const char header[] =
    "# cmz compression policy: how each type of resource is compressed.\n"
    "#\n"
    "# Read by libcmz (include/cmz/policy.h) and by `cmz compress --type TYPE`; managed with\n"
    "# `cmz policy list|show|create|update|delete|verify`. Those commands rewrite this file\n"
    "# atomically and keep only this header: other comments are not kept.\n"
    "# Where cmz looks for it: --config FILE, then $CMZ_CONFIG, then\n"
    "# ./configs/compression_layers.yaml, then $XDG_CONFIG_HOME/cmz/compression_layers.yaml\n"
    "# (~/.config/cmz/...), then built-in defaults identical to the file shipped with cmz.\n"
    "#\n"
    "# Each type is a mapping with the six keys below, and optionally filter and typesize.\n"
    "# A type that is not listed uses `default`, which every policy must have, or in the\n"
    "# registry the entry its release rule names (releasable_resources.yaml, compression).\n"
    "#\n"
    "#   algorithm      codec: zstd, lz4, gzip, bzip2, lzma (alias xz), snappy, brotli, rans\n"
    "#                  (cmz's entropy coder for byte planes), or none (stored as is);\n"
    "#                  `cmz codecs` lists those compiled into this build.\n"
    "#   level          an integer in the codec's range (`cmz codecs` shows it). Notably:\n"
    "#                    lz4   0 = its fastest setting (acceleration 8), 1-2 = lz4 -1,\n"
    "#                          3..12 = LZ4HC (same block format, slower, smaller);\n"
    "#                    gzip  1..12, libdeflate's levels (12 = smallest);\n"
    "#                    zstd  -100..22: -100..-1 its fast levels, 0 its default (3).\n"
    "#   chunk_size     raw bytes per independent chunk (chunks compress and decompress in\n"
    "#                  parallel and can be read alone): a number of bytes (65536) or a\n"
    "#                  number with a unit, B, KB, MB or GB, all binary: 1KB = 1KiB = 1024\n"
    "#                  bytes (KiB, MiB, GiB are accepted too). 16 bytes..1GB.\n"
    "#   auto_compress  true or false, nothing else: compress a resource of this type\n"
    "#                  automatically once it reaches threshold_mb.\n"
    "#   threshold_mb   size in MB (binary: 1MB = 1048576 bytes) from which auto_compress\n"
    "#                  applies; decimals allowed (0.5), 0..1048576 (1 TiB).\n"
    "#   priority       the speed/ratio trade-off, which the benchmark's recommendation\n"
    "#                  follows: high = speed first, medium = balanced, low = ratio first.\n"
    "#   filter         optional: a reversible transform of typed data, applied to each chunk\n"
    "#                  before the codec and recorded in the frame (decompression needs no\n"
    "#                  flag): shuffle (byte k of every element together), bitshuffle,\n"
    "#                  delta (differences of neighbouring integers), planes (the byte\n"
    "#                  planes of floats, alignment found per 64 KiB block), or auto (tries\n"
    "#                  them on a sample of the first chunk and keeps the smallest). Absent:\n"
    "#                  none. docs/FILTERS.md describes each one.\n"
    "#   typesize       with filter: the element size in bytes, 2, 4 or 8 (4 = float32,\n"
    "#                  2 = float16/bfloat16); with auto it may be left out (tries 2 and 4).\n"
    "#                  Absent without filter: 1. Both keys are written only when set.\n"
    "#\n"
    "# The values are the specification's table. Chunk sizes are per type here; a codec's\n"
    "# own default (`cmz codecs`, measured by bench/parallel) only applies where no policy is\n"
    "# used. Larger chunks keep more ratio for codecs with long windows (zstd, lzma); smaller\n"
    "# ones hold less memory in flight and let small resources use every core.\n"
    "# model_weights (float32) and attention_cache (float16) use filter planes: in a float\n"
    "# the sign and exponent byte takes few values while the low mantissa bytes are noise;\n"
    "# split into planes, the codec compresses the exponent plane well instead of seeing one\n"
    "# mixed stream. model_weights differs from the specification's zstd level 3: on the\n"
    "# corpus fp32 weights planes+rans (cmz's entropy coder) gives ratio 1.181 and compresses\n"
    "# as fast as plain zstd-3 (1.085), where planes+zstd-3 gives 1.168 at about 1/3 of that\n"
    "# speed and Blosc's best 1.154 (bench/typed). attention_cache keeps zstd level 1: with\n"
    "# planes 1.382 on a generated fp16 KV cache, Blosc's best 1.270 at half the speed.\n"
    "# The other types hold text or mixed data with no element size, so they get no filter\n"
    "# (auto can try one).\n"
    "\n"
    "compression_policy:\n";

/* Appends to buf while it has room, and counts the full length regardless (snprintf-like). */
typedef struct {
    char *buf;
    size_t cap, len;
} sink;

static void put(sink *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void put(sink *s, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    char *at = s->len < s->cap ? s->buf + s->len : NULL;
    int n = vsnprintf(at, at ? s->cap - s->len : 0, fmt, ap);
    va_end(ap);
    if (n > 0) s->len += (size_t)n;
}

cmz_status cmz_policy_format(const cmz_policy *p, char *buf, size_t cap, size_t *size) {
    if (!p || !size || (!buf && cap)) return CMZ_ERR_INVALID_ARG;
    sink s = {buf, cap, 0};
    put(&s, "%s", header);
    for (size_t i = 0; i < p->count; i++) {
        const cmz_policy_entry *e = &p->entries[i];
        put(&s, "%s  %s:\n", i ? "\n" : "", e->type);
        for (int k = 0; k < CMZ__KEY_COUNT; k++) {
            /* The optional keys only when set, so files without filters keep their bytes;
             * typesize 0 (auto's "try 2 and 4") is written by leaving it out. */
            if (k == CMZ__KEY_FILTER && e->filter == CMZ_FILTER_NONE) continue;
            if (k == CMZ__KEY_TYPESIZE &&
                (e->filter == CMZ_FILTER_NONE ? e->typesize == 1 : e->typesize == 0))
                continue; /* with no filter, typesize > 1 is the planes codec's */
            char value[64];
            cmz_policy_format_value(e, cmz__policy_keys[k], value, sizeof value);
            put(&s, "    %s: %s\n", cmz__policy_keys[k], value);
        }
    }
    *size = s.len;
    if (s.len >= cap) {
        if (cap) buf[cap - 1] = '\0';
        return CMZ_ERR_DST_TOO_SMALL;
    }
    return CMZ_OK;
}

/* ---- atomic save ---- */

static cmz_status io_fail(cmz_error *err, const char *what, const char *path, int errnum) {
    return cmz__error(err, CMZ_ERR_IO, "cannot %s '%s': %s", what, path, strerror(errnum));
}

/* The temp file keeps the replaced file's permissions; a new file gets 0666 less the umask. */
static cmz_status save_text(const char *target, const char *text, size_t size, cmz_error *err) {
    cmz_atomic_file *af;
    cmz_status st = cmz_atomic_file_open(target, 0666, CMZ_ATOMIC_FILE_KEEP_MODE, &af, err);
    if (st != CMZ_OK) return st;
    st = cmz_atomic_file_write(af, text, size, err);
    if (st != CMZ_OK) {
        cmz_atomic_file_abort(af);
        return st;
    }
    return cmz_atomic_file_commit(af, 0, err);
}

cmz_status cmz__policy_target(const char *path, char resolved[PATH_MAX], const char **target,
                              cmz_error *err) {
    /* Replace a symbolic link's target, not the link. */
    struct stat st;
    *target = path;
    if (lstat(path, &st) == 0 && S_ISLNK(st.st_mode)) {
        if (!realpath(path, resolved)) return io_fail(err, "resolve the link", path, errno);
        *target = resolved;
    }
    if (strlen(*target) >= PATH_MAX)
        return cmz__error(err, CMZ_ERR_INVALID_ARG, "path too long: '%s'", path);
    return CMZ_OK;
}

cmz_status cmz_policy_save(const cmz_policy *p, const char *path, cmz_error *err) {
    if (!p || !path || !path[0])
        return cmz__error(err, CMZ_ERR_INVALID_ARG, "no policy or no path to save it to");
    char resolved[PATH_MAX];
    const char *target;
    cmz_status st = cmz__policy_target(path, resolved, &target, err);
    if (st != CMZ_OK) return st;

    size_t size = 0;
    cmz_policy_format(p, NULL, 0, &size);
    char *text = cmz__malloc(size + 1);
    if (!text) return cmz__error(err, CMZ_ERR_NOMEM, "out of memory formatting the policy");
    cmz_policy_format(p, text, size + 1, &size);

    /* Hold back the usual interrupts while the temp file exists: they are delivered after,
     * when there is nothing left to clean up. */
    sigset_t block, old;
    sigemptyset(&block);
    sigaddset(&block, SIGINT);
    sigaddset(&block, SIGTERM);
    sigaddset(&block, SIGHUP);
    int masked = pthread_sigmask(SIG_BLOCK, &block, &old) == 0;
    st = save_text(target, text, size, err);
    if (masked) pthread_sigmask(SIG_SETMASK, &old, NULL);
    cmz__free(text);
    return st;
}
