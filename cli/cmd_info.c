/* `cmz -l` / `cmz info`: what a frame says about itself; `cmz cat [--range OFF:LEN]`: content
 * bytes to stdout, decoding only the chunks that hold them. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "commands.h"
#include "io_fd.h"
#include "messages.h"
#include "run.h"
#include "signals.h"

int cmz_cmd_info(int argc, char **argv) { return cli_run(argc, argv, CLI_MODE_INFO); }

int cmz_cmd_cat(int argc, char **argv) { return cli_run(argc, argv, CLI_MODE_CAT); }

/* Opens path ("-": stdin); fills *src when it allows random access. Returns the fd, or -1
 * after reporting. */
static int open_input(const char *path, cmz_source *src, bool *seekable, bool force) {
    const char *name = cli_display_name(path);
    if (!strcmp(path, "-") && isatty(STDIN_FILENO) && !force) {
        cli_errorf(NULL, "stdin is a terminal: compressed data is not read from one (use -f "
                         "to force, or give a FILE)");
        return -1;
    }
    int fd = strcmp(path, "-") ? open(path, O_RDONLY | O_CLOEXEC) : STDIN_FILENO;
    if (fd < 0) {
        cli_errorf(name, "%s", strerror(errno));
        return -1;
    }
    struct stat st;
    if (fstat(fd, &st) != 0 || S_ISDIR(st.st_mode)) {
        if (S_ISDIR(st.st_mode)) cli_errorf(name, "is a directory; ignored");
        else cli_errorf(name, "%s", strerror(errno));
        if (fd != STDIN_FILENO) close(fd);
        return -1;
    }
    *seekable =
        (S_ISREG(st.st_mode) || S_ISBLK(st.st_mode)) && cmz_source_fd(src, fd, NULL) == CMZ_OK;
    return fd;
}

static void close_input(int fd) {
    if (fd != STDIN_FILENO) close(fd);
}

static void print_info(const cli_options *o, const char *name, const cmz_frame_info *fi) {
    const cmz_codec *codec = cmz_codec_by_id((int)fi->codec);
    char a[32], b[32], pct[16];
    printf("%s\n", name);
    if (codec) printf("  codec:        %s, level %d\n", cmz_codec_name(codec), fi->level);
    else printf("  codec:        id %d (not in this build), level %d\n", (int)fi->codec, fi->level);
    if (fi->filter != CMZ_FILTER_NONE)
        printf("  filter:       %s, typesize %u\n", cmz_filter_name(fi->filter),
               (unsigned)fi->typesize);
    printf("  chunk size:   %u bytes (%s)\n", (unsigned)fi->chunk_size,
           cli_human_size(fi->chunk_size, a));
    printf("  chunks:       %llu (%llu stored, %llu all-zero)\n",
           (unsigned long long)fi->chunk_count, (unsigned long long)fi->stored_chunks,
           (unsigned long long)fi->zero_chunks);
    printf("  content size: %llu bytes (%s)\n", (unsigned long long)fi->content_size,
           cli_human_size(fi->content_size, a));
    printf("  frame size:   %llu bytes (%s)\n", (unsigned long long)fi->frame_size,
           cli_human_size(fi->frame_size, b));
    if (fi->frame_size && fi->content_size)
        printf("  ratio:        %.3f (%s of the content)\n",
               (double)fi->content_size / (double)fi->frame_size,
               cli_percent(fi->frame_size, fi->content_size, pct));
    else printf("  ratio:        n/a\n");
    if (o->verbosity < 2) return;
    printf("  format:       version %u, flags 0x%08x\n", (unsigned)fi->version,
           (unsigned)fi->flags);
    printf("  filter:       %u (typesize %u)\n", (unsigned)fi->filter, (unsigned)fi->typesize);
    if (fi->parity_k || fi->parity_m)
        printf("  parity:       %u parity chunks per %u data chunks\n", (unsigned)fi->parity_m,
               (unsigned)fi->parity_k);
    else printf("  parity:       none\n");
    printf("  payload:      %llu bytes; %sheaders, index and footer %llu bytes\n",
           (unsigned long long)fi->payload_bytes, fi->parity_k ? "parity records, " : "",
           (unsigned long long)(fi->frame_size - fi->payload_bytes));
    if (codec)
        printf("  library:      %s %s\n", cmz_codec_name(codec), cmz_codec_library_version(codec));
}

int cli_info_file(cli_session *s, const char *path) {
    const char *name = cli_display_name(path);
    cmz_source src;
    bool seekable;
    int fd = open_input(path, &src, &seekable, s->o->force);
    if (fd < 0) return CLI_EXIT_ERROR;
    cmz_frame_info fi;
    cmz_error err;
    cmz_error_clear(&err);
    cmz_status st;
    if (seekable) {
        st = cmz_frame_info_read(&src, &fi, &err);
    } else { /* a pipe has no end to read the index from: decode it front to back */
        cmz_dctx *dctx = cli_session_dctx(s);
        cli_reader reader = {.fd = fd};
        cmz_input in = cli_reader_input(&reader);
        cli_progress_start(&s->progress, name, false, s->o->verbosity);
        st = dctx ? cmz_decompress_stream(dctx, &in, NULL, &fi, &err) : CMZ_ERR_NOMEM;
        cli_progress_end(&s->progress);
        if (!dctx) {
            close_input(fd);
            return CLI_EXIT_ERROR;
        }
    }
    close_input(fd);
    if (st != CMZ_OK) return cli_lib_error(name, st, &err);
    print_info(s->o, name, &fi); /* main checks that stdout was written */
    return 0;
}

/* Writes [offset, offset+length) to stdout with the frame reader: only the chunks that hold
 * the range are read, and they are decoded ahead while earlier ones are written. */
static int cat_random_access(cli_session *s, const char *name, const cmz_source *src) {
    cmz_dctx *dctx = cli_session_dctx(s);
    if (!dctx) return CLI_EXIT_ERROR;
    cmz_frame_reader *reader = NULL;
    cmz_error err;
    cmz_error_clear(&err);
    cmz_status st = cmz_frame_reader_open(dctx, src, &reader, &err);
    if (st != CMZ_OK) return cli_lib_error(name, st, &err);
    const cmz_frame_info *fi = cmz_frame_reader_info(reader);
    const cli_options *o = s->o;
    uint64_t offset = o->range_set ? o->range_offset : 0;
    uint64_t length = offset <= fi->content_size ? fi->content_size - offset : 0;
    int rc = 0;
    if (offset > fi->content_size)
        rc = cli_errorf(name, "the range starts at %llu, past the content's %llu bytes",
                        (unsigned long long)offset, (unsigned long long)fi->content_size);
    else if (o->range_set && !o->range_to_end) {
        if (o->range_length > fi->content_size - offset)
            rc = cli_errorf(name, "the range %llu:%llu ends past the content's %llu bytes",
                            (unsigned long long)offset, (unsigned long long)o->range_length,
                            (unsigned long long)fi->content_size);
        length = o->range_length;
    }
    if (rc == 0) {
        cli_writer writer = {.fd = STDOUT_FILENO};
        cmz_output out = cli_writer_output(&writer);
        st = cmz_frame_reader_write(reader, offset, length, &out, &err);
        if (st != CMZ_OK) rc = cli_lib_error(name, st, &err);
    }
    cmz_frame_reader_close(reader);
    return rc;
}

/* A pipe: decode front to back, keeping only the range. */
static int cat_stream(cli_session *s, const char *name, int fd) {
    cmz_dctx *dctx = cli_session_dctx(s);
    if (!dctx) return CLI_EXIT_ERROR;
    const cli_options *o = s->o;
    cli_reader reader = {.fd = fd};
    cli_writer writer = {.fd = STDOUT_FILENO};
    if (o->range_set) {
        writer.window = true;
        writer.skip = o->range_offset;
        writer.limit = o->range_to_end ? UINT64_MAX : o->range_length;
    }
    cmz_input in = cli_reader_input(&reader);
    cmz_output out = cli_writer_output(&writer);
    cmz_error err;
    cmz_error_clear(&err);
    cmz_status st = cmz_decompress_stream(dctx, &in, &out, NULL, &err);
    if (st != CMZ_OK) return cli_lib_error(name, st, &err);
    uint64_t want_end = o->range_set && !o->range_to_end ? o->range_offset + o->range_length : 0;
    if (o->range_set && (writer.bytes < o->range_offset || writer.bytes < want_end))
        return cli_errorf(name, "the range goes past the content's %llu bytes",
                          (unsigned long long)writer.bytes);
    return 0;
}

int cli_cat_file(cli_session *s, const char *path) {
    const char *name = cli_display_name(path);
    cmz_source src;
    bool seekable;
    int fd = open_input(path, &src, &seekable, s->o->force);
    if (fd < 0) return CLI_EXIT_ERROR;
    int rc = seekable ? cat_random_access(s, name, &src) : cat_stream(s, name, fd);
    close_input(fd);
    return rc;
}
