/* `cmz codecs`: the codecs compiled into this build and their parameters; `cmz --version`. */
#include <stdio.h>
#include <string.h>

#include "cmz/codec.h"
#include "commands.h"

/* The library behind each codec id and what the codec is, for people (the adapters only
 * report the library's version). "planes" is also a filter's name: its line says which. */
typedef struct {
    const char *library, *what;
} codec_text;

static codec_text text_of(cmz_codec_id id) {
    switch (id) {
    case CMZ_CODEC_NONE: return (codec_text){"built-in", "stored as is"};
    case CMZ_CODEC_ZSTD: return (codec_text){"libzstd", "Zstandard"};
    case CMZ_CODEC_LZ4: return (codec_text){"liblz4", "LZ4, LZ4HC from level 3"};
    case CMZ_CODEC_GZIP: return (codec_text){"libdeflate", "deflate in gzip members"};
    case CMZ_CODEC_BZIP2: return (codec_text){"libbz2", "bzip2 (Burrows-Wheeler)"};
    case CMZ_CODEC_LZMA: return (codec_text){"liblzma", "raw LZMA2 (xz's coder)"};
    case CMZ_CODEC_SNAPPY: return (codec_text){"snappy", "Snappy"};
    case CMZ_CODEC_BROTLI: return (codec_text){"libbrotli", "Brotli"};
    case CMZ_CODEC_RANS: return (codec_text){"built-in", "order-0 rANS"};
    case CMZ_CODEC_PLANES:
        return (codec_text){"built-in", "the planes codec: byte-plane rANS (not --filter planes)"};
    }
    return (codec_text){"?", "?"};
}

/* "4 MiB", "64 KiB", or bytes when not a whole number of KiB. */
static const char *chunk_text(uint32_t size, char buf[32]) {
    if (size >= (1u << 20) && size % (1u << 20) == 0)
        snprintf(buf, 32, "%u MiB", (unsigned)(size >> 20));
    else if (size >= 1024 && size % 1024 == 0) snprintf(buf, 32, "%u KiB", (unsigned)(size >> 10));
    else snprintf(buf, 32, "%u B", (unsigned)size);
    return buf;
}

static void codecs_usage(FILE *to) {
    fputs("usage: cmz codecs\n"
          "Lists the codecs compiled into this build: name (for -a), id (recorded in frames),\n"
          "level range (-#; negative levels are zstd's fast ones, --fast=N), default level,\n"
          "default chunk size, the library and its version, and what the codec is; then the\n"
          "codec used when -a is not given (zstd; in a build without it lz4, else gzip, else\n"
          "none).\n"
          "Exit status: 0 ok, 1 stdout not written, 2 usage.\n",
          to);
}

int cmz_cmd_codecs(int argc, char **argv) {
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
            codecs_usage(stdout);
            return 0;
        }
        fprintf(stderr, "cmz codecs: unexpected argument '%s'\ncmz: try 'cmz codecs --help'\n",
                argv[i]);
        return 2;
    }
    size_t n;
    const cmz_codec *const *list = cmz_codec_list(&n);
    printf("%-8s %3s  %-8s %7s  %-7s  %-17s  %s\n", "codec", "id", "levels", "default", "chunk",
           "library", "what");
    for (size_t i = 0; i < n; i++) {
        const cmz_codec *c = list[i];
        char levels[24], chunk[32];
        snprintf(levels, sizeof levels, "%d..%d", cmz_codec_min_level(c), cmz_codec_max_level(c));
        codec_text text = text_of(cmz_codec_id_of(c));
        char library[64];
        snprintf(library, sizeof library, "%s %s", text.library, cmz_codec_library_version(c));
        printf("%-8s %3d  %-8s %7d  %-7s  %-17s  %s\n", cmz_codec_name(c), (int)cmz_codec_id_of(c),
               levels, cmz_codec_default_level(c),
               chunk_text(cmz_codec_default_chunk_size(c), chunk), library, text.what);
    }
    printf("default: %s\n", cmz_codec_name(cmz_codec_default()));
    return 0; /* main checks that stdout was written */
}

void cmz_print_version(FILE *to, int verbosity) {
    if (verbosity <= 0) {
        fprintf(to, "%s\n", cmz_version());
        return;
    }
    size_t n;
    const cmz_codec *const *list = cmz_codec_list(&n);
    if (verbosity == 1) {
        fprintf(to, "cmz %s (%d-bit):", cmz_version(), (int)(sizeof(void *) * 8));
        const char *sep = " ";
        for (size_t i = 0; i < n; i++) {
            if (cmz_codec_id_of(list[i]) == CMZ_CODEC_NONE) continue;
            fprintf(to, "%s%s %s", sep, cmz_codec_name(list[i]),
                    cmz_codec_library_version(list[i]));
            sep = ", ";
        }
        fputc('\n', to);
        return;
    }
    fprintf(to, "cmz %s (libcmz %s), %d-bit", CMZ_VERSION_STRING, cmz_version(),
            (int)(sizeof(void *) * 8));
#if defined(__clang__)
    fprintf(to, ", built with %s", __VERSION__); /* "Clang 14.0.6 ..." */
#elif defined(__GNUC__)
    fprintf(to, ", built with GCC %s", __VERSION__); /* "12.2.0" */
#endif
    fprintf(to, "\ncodecs compiled in (cmz codecs shows them as a table):\n");
    for (size_t i = 0; i < n; i++) {
        const cmz_codec *c = list[i];
        char chunk[32];
        fprintf(to, "  %-7s id %d  %-10s %-8s levels %d..%d, default %d, chunk %s\n",
                cmz_codec_name(c), (int)cmz_codec_id_of(c), text_of(cmz_codec_id_of(c)).library,
                cmz_codec_library_version(c), cmz_codec_min_level(c), cmz_codec_max_level(c),
                cmz_codec_default_level(c), chunk_text(cmz_codec_default_chunk_size(c), chunk));
    }
    fprintf(to, "cores online: %u\n", cmz_cpu_count());
}
