/* `cmz [FILE...]`: compresses each FILE to FILE.cmz (the default command). */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <linux/magic.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>

#include "commands.h"
#include "io_fd.h"
#include "messages.h"
#include "run.h"
#include "signals.h"
#include "target.h"

#define SUFFIX ".cmz"

int cmz_cmd_compress(int argc, char **argv) { return cli_run(argc, argv, CLI_MODE_COMPRESS); }

static bool has_suffix(const char *name, const char *suffix) {
    size_t n = strlen(name), k = strlen(suffix);
    return n > k && !strcmp(name + n - k, suffix);
}

/* --rm: decodes the finished temp file and checks that it gives back the bytes read (their
 * CRC32C and count), before the input may go. */
static int verify_output(cli_session *s, const char *name, int fd, const cli_reader *read) {
    cmz_dctx *dctx = cli_session_dctx(s);
    if (!dctx) return CLI_EXIT_ERROR;
    if (lseek(fd, 0, SEEK_SET) != 0)
        return cli_errorf(name, "cannot re-read the output to verify it: %s", strerror(errno));
    cli_reader again = {.fd = fd};
    cli_writer decoded = {.fd = -1, .checksum = true};
    cmz_input in = cli_reader_input(&again);
    cmz_output out = cli_writer_output(&decoded);
    cmz_error err;
    cmz_error_clear(&err);
    cli_progress_start(&s->progress, name, false, 0); /* verification draws no progress */
    cmz_status st = cmz_decompress_stream(dctx, &in, &out, NULL, &err);
    if (st != CMZ_OK) {
        if (st == CMZ_ERR_INTERRUPTED) return CLI_EXIT_ERROR;
        fprintf(stderr, "cmz: %s: the output does not decode; the input is kept\n", name);
        return cli_lib_error(name, st, &err);
    }
    if (decoded.bytes != read->bytes || decoded.crc != read->crc)
        return cli_errorf(name,
                          "verification failed: the output decodes to %llu bytes with CRC32C "
                          "%08x, the input had %llu bytes with CRC32C %08x; the input is kept",
                          (unsigned long long)decoded.bytes, (unsigned)decoded.crc,
                          (unsigned long long)read->bytes, (unsigned)read->crc);
    return 0;
}

static void summary(const cli_options *o, const char *name, uint64_t in, uint64_t out,
                    const char *out_name) {
    if (!cli_summary_wanted(o)) return;
    char pct[16];
    fprintf(stderr, "%s: %llu -> %llu bytes (%s)", name, (unsigned long long)in,
            (unsigned long long)out, cli_percent(out, in, pct));
    if (o->verbosity >= 2) fprintf(stderr, ", %s", out_name);
    fputc('\n', stderr);
}

/* Whether a file's size is its content: not in the kernel's pseudo-filesystems, whose files
 * say 0 (/proc) or a page (/sys) whatever they hold. */
static bool size_is_content(int fd) {
    struct statfs fs;
    if (fstatfs(fd, &fs) != 0) return false;
    switch ((unsigned long)fs.f_type) {
    case PROC_SUPER_MAGIC:
    case SYSFS_MAGIC:
    case DEBUGFS_MAGIC:
    case TRACEFS_MAGIC:
    case SECURITYFS_MAGIC:
    case CGROUP_SUPER_MAGIC:
    case CGROUP2_SUPER_MAGIC: return false;
    default: return true;
    }
}

/* Whether to compress the input as a random-access source, each worker reading its own
 * chunks (the calling thread then only writes): for a named regular file of two chunks and
 * 1 MiB or more whose size is its content. Not for --rm, whose check needs the bytes as read;
 * not for smaller files, which have little to share out; not for stdin, which may not start
 * at offset 0. */
static bool use_source(cmz_cctx *cctx, bool from_stdin, bool remove, int fd,
                       const struct stat *in_st, cmz_source *src) {
    uint64_t chunk = cmz_cctx_params(cctx)->chunk_size;
    uint64_t least = 2 * chunk > ((uint64_t)1 << 20) ? 2 * chunk : (uint64_t)1 << 20;
    return !from_stdin && !remove && S_ISREG(in_st->st_mode) && in_st->st_size > 0 &&
           (uint64_t)in_st->st_size >= least && size_is_content(fd) &&
           cmz_source_fd(src, fd, NULL) == CMZ_OK;
}

/* The bytes a regular file holds from fd's offset on, when its size says (size_is_content);
 * -1 when nothing tells how much there is to read (pipes, devices, /proc). */
static int64_t bytes_expected(int fd, const struct stat *st) {
    if (!S_ISREG(st->st_mode) || !size_is_content(fd)) return -1;
    off_t at = lseek(fd, 0, SEEK_CUR);
    if (at < 0 || at > st->st_size) return -1;
    return (int64_t)(st->st_size - at);
}

/* FILE.cmz for FILE, o->output, or NULL for stdout; *out_path NULL and 1 after reporting. */
static int output_path(const cli_options *o, const char *path, bool from_stdin, char **out_path) {
    const char *name = cli_display_name(path);
    *out_path = NULL;
    if (o->output) {
        *out_path = strdup(o->output);
    } else if (!o->to_stdout && !from_stdin) {
        if (has_suffix(path, SUFFIX))
            return cli_errorf(name, "already has the " SUFFIX " suffix; ignored");
        *out_path = malloc(strlen(path) + sizeof SUFFIX);
        if (*out_path) strcat(strcpy(*out_path, path), SUFFIX);
    } else {
        return 0;
    }
    return *out_path ? 0 : cli_errorf(name, "out of memory");
}

/* --rm: the input must still be what was read, neither resized nor written since it was
 * opened; removing it otherwise would lose what changed. */
static bool unchanged(int fd, const struct stat *in_st, uint64_t bytes_read) {
    struct stat now;
    return fstat(fd, &now) == 0 && (uint64_t)now.st_size == bytes_read &&
           now.st_mtim.tv_sec == in_st->st_mtim.tv_sec &&
           now.st_mtim.tv_nsec == in_st->st_mtim.tv_nsec;
}

/* After the frame is written, before it is committed: every byte the input had when it was
 * opened was compressed, --rm's checks hold, and no signal came (an output already delivered
 * to stdout or a device is complete, whatever came after). 0, or 1 after reporting. */
static int check_before_commit(cli_session *s, const char *name, cli_target *t,
                               const cli_reader *reader, const cmz_frame_info *info,
                               int64_t expected, bool remove, const struct stat *in_st) {
    char why[160];
    if (expected >= 0 && info->content_size < (uint64_t)expected) {
        snprintf(why, sizeof why,
                 "shrank while it was read: it had %lld bytes when opened, "
                 "%llu could be read",
                 (long long)expected, (unsigned long long)info->content_size);
        return cli_target_fail(t, name, why);
    }
    if (remove) {
        int rc = verify_output(s, name, t->fd, reader);
        if (rc != 0 && cli_interrupt_exit_code()) return cli_target_fail(t, name, "interrupted");
        if (rc != 0) {
            cli_target_abort(t);
            return rc;
        }
        if (!unchanged(reader->fd, in_st, reader->bytes))
            return cli_target_fail(t, name, "changed while it was compressed; the input is kept");
    }
    if (cli_interrupt_exit_code() && !t->is_stdout && !t->in_place)
        return cli_target_fail(t, name, "interrupted");
    return 0;
}

/* Everything after the input is open: output, compression, verification, commit, --rm. */
static int compress_fd(cli_session *s, const char *path, int fd, const struct stat *in_st) {
    const cli_options *o = s->o;
    bool from_stdin = !strcmp(path, "-");
    const char *name = cli_display_name(path);
    char *out_path;
    if (output_path(o, path, from_stdin, &out_path) != 0) return CLI_EXIT_ERROR;
    cmz_cctx *cctx = cli_session_cctx(s);
    cli_target t;
    if (!cctx || cli_target_open(&t, out_path, name, from_stdin ? NULL : in_st, true, o) != 0) {
        free(out_path);
        return CLI_EXIT_ERROR;
    }
    /* --rm needs a file to remove and an output that can be synced and re-read. */
    bool remove =
        o->remove_input && !from_stdin && S_ISREG(in_st->st_mode) && !t.is_stdout && !t.in_place;
    int64_t expected = bytes_expected(fd, in_st);
    cli_reader reader = {.fd = fd, .checksum = remove};
    cmz_input in = cli_reader_input(&reader);
    cmz_output out = cmz_output_fd(t.fd);
    cmz_frame_info info;
    cmz_error err;
    cmz_error_clear(&err);
    cli_progress_start(&s->progress, name, true, o->verbosity);
    cmz_source src;
    bool by_workers = use_source(cctx, from_stdin, remove, fd, in_st, &src);
    if (o->verbosity >= 2)
        fprintf(stderr, "cmz: %s: %s\n", name,
                by_workers ? "each worker reads its own chunks" : "read front to back");
    cmz_status st = by_workers ? cmz_compress_source(cctx, &src, &out, &info, &err)
                               : cmz_compress_stream(cctx, &in, &out, &info, &err);
    cli_progress_end(&s->progress);
    int rc;
    if (st == CMZ_ERR_INTERRUPTED) rc = cli_target_fail(&t, name, "interrupted");
    else if (st != CMZ_OK) {
        rc = cli_lib_error(name, st, &err);
        cli_target_abort(&t);
    } else {
        rc = check_before_commit(s, name, &t, &reader, &info, expected, remove, in_st);
    }
    if (rc == 0) rc = cli_target_commit(&t, from_stdin ? NULL : in_st, o);
    s->committed = rc == 0;
    if (rc == 0) {
        summary(o, name, info.content_size, info.frame_size, t.name);
        if (remove) rc = cli_remove_input(path);
    }
    free(out_path);
    return rc;
}

int cli_compress_file(cli_session *s, const char *path) {
    return cli_with_input(s, path,
                          "stdin is a terminal: type-ahead is not compressed (use -f to force, "
                          "or give a FILE)",
                          compress_fd);
}
