/* `cmz -d` / `cmz decompress` / `uncmz`: FILE.cmz -> FILE; `cmz -t` / `cmz test`: checks
 * every chunk and the index without writing anything. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cmz/salvage.h"
#include "commands.h"
#include "io_fd.h"
#include "messages.h"
#include "run.h"
#include "signals.h"
#include "target.h"

#define SUFFIX ".cmz"

int cmz_cmd_decompress(int argc, char **argv) { return cli_run(argc, argv, CLI_MODE_DECOMPRESS); }

int cmz_cmd_test(int argc, char **argv) { return cli_run(argc, argv, CLI_MODE_TEST); }

/* FILE.cmz -> FILE; NULL (after reporting) for a name without the suffix. */
static char *strip_suffix(const char *path, const char *name) {
    size_t n = strlen(path), k = strlen(SUFFIX);
    if (n <= k || strcmp(path + n - k, SUFFIX) != 0) {
        cli_errorf(name, "does not end in " SUFFIX "; name the output with -o FILE or use -c");
        return NULL;
    }
    char *out = strndup(path, n - k);
    if (!out) cli_errorf(name, "out of memory");
    return out;
}

static void summary(const cli_options *o, const char *name, uint64_t in, uint64_t out,
                    const char *out_name) {
    if (!cli_summary_wanted(o)) return;
    if (o->mode == CLI_MODE_TEST) {
        fprintf(stderr, "%s: OK\n", name);
        return;
    }
    fprintf(stderr, "%s: %llu -> %llu bytes", name, (unsigned long long)in,
            (unsigned long long)out);
    if (o->verbosity >= 2) fprintf(stderr, ", %s", out_name);
    fputc('\n', stderr);
}

/* After a failed test of a file: every chunk checked, the damaged ones listed (the streaming
 * decoder stops at the first). Nothing more to say for pipes, or when no report can be made. */
static void report_damage(const char *name, int fd, const struct stat *in_st, cmz_dctx *dctx) {
    if (!S_ISREG(in_st->st_mode)) return;
    cmz_source src;
    cmz_frame_report *rep = NULL;
    if (cmz_source_fd(&src, fd, NULL) != CMZ_OK ||
        cmz_frame_verify(dctx, &src, &rep, NULL) != CMZ_OK)
        return;
    if (rep->damaged || rep->missing || !rep->header_ok || !rep->footer_ok || !rep->index_ok ||
        rep->parity_damaged || rep->stray_bytes || !rep->content_size_known) {
        cli_print_damage(name, rep);
        cli_print_advice(name, rep);
    }
    cmz_frame_report_free(rep);
}

/* -d --salvage: every intact chunk to the output, zeros for the others; exit 1 when anything
 * was lost (the output is kept: it is what could be saved). */
static int salvage_fd(cli_session *s, const char *name, int fd, const struct stat *in_st,
                      cli_target *t, cmz_dctx *dctx) {
    if (!S_ISREG(in_st->st_mode)) {
        cli_target_abort(t);
        return cli_errorf(name, "--salvage needs a file (not a pipe): it reads the frame from "
                                "its end");
    }
    cmz_source src;
    cmz_error err;
    cmz_error_clear(&err);
    cmz_frame_report *rep = NULL;
    cli_writer writer = {.fd = t->fd};
    cmz_output out = cli_writer_output(&writer);
    cmz_status st = cmz_source_fd(&src, fd, &err);
    if (st == CMZ_OK) st = cmz_frame_salvage(dctx, &src, &out, &rep, &err);
    if (st == CMZ_OK && cli_interrupt_exit_code() && !t->is_stdout && !t->in_place)
        st = CMZ_ERR_INTERRUPTED; /* not committed yet: nothing is left */
    if (st != CMZ_OK) {
        cmz_frame_report_free(rep);
        if (st == CMZ_ERR_INTERRUPTED) return cli_target_fail(t, name, "interrupted");
        cli_target_abort(t);
        return cli_lib_error(name, st, &err);
    }
    int rc = cli_target_commit(t, in_st, s->o);
    s->committed = rc == 0;
    if (rc == 0) {
        bool lost = rep->damaged || rep->missing || !rep->content_size_known || rep->stray_bytes;
        if (lost) cli_print_damage(name, rep);
        else if (cli_summary_wanted(s->o)) fprintf(stderr, "cmz: %s: %s\n", name, rep->summary);
        if (lost) rc = CLI_EXIT_ERROR;
    }
    cmz_frame_report_free(rep);
    return rc;
}

/* A regular file that is exactly one frame without parity: the frame reader decodes (or
 * tests) it with every worker reading its own chunks (cmz_frame_reader_write), where the
 * streaming decoder needs one thread to read everything. Its checks cover every byte: header,
 * footer and index CRCs, records contiguous from the header to the index, each record against
 * its index entry, both CRCs of every chunk. Anything else, or a frame whose end does not
 * check out, goes through the streaming decoder: it checks parity records too and says what
 * is wrong, record by record. Not for stdin: it may not start at offset 0, and whoever gave
 * it may expect it to be read to its end. Returns the open reader, or NULL. */
static cmz_frame_reader *whole_frame_reader(cmz_dctx *dctx, int fd, const struct stat *in_st,
                                            bool from_stdin) {
    cmz_source src;
    cmz_frame_reader *reader = NULL;
    if (from_stdin || !S_ISREG(in_st->st_mode) || cmz_source_fd(&src, fd, NULL) != CMZ_OK ||
        cmz_frame_reader_open(dctx, &src, &reader, NULL) != CMZ_OK)
        return NULL;
    const cmz_frame_info *fi = cmz_frame_reader_info(reader);
    if (fi->frame_size != src.size || fi->parity_k != 0) {
        cmz_frame_reader_close(reader);
        return NULL;
    }
    return reader;
}

/* -t of a file: the decoders check parity records by their CRCs only; their bytes must also be
 * the parity of their groups, or a repair that needs them would fail. */
static cmz_status check_parity(cmz_dctx *dctx, int fd, const struct stat *in_st, bool from_stdin,
                               cmz_error *err) {
    cmz_source src;
    if (from_stdin || !S_ISREG(in_st->st_mode) || cmz_source_fd(&src, fd, NULL) != CMZ_OK)
        return CMZ_OK;
    return cmz_frame_check_parity(dctx, &src, err);
}

/* Decodes the input front to back (pipes, and files the frame reader does not take). */
static cmz_status decode_stream(cmz_dctx *dctx, int fd, const cmz_output *out, uint64_t *in_bytes,
                                cmz_error *err) {
    cli_reader reader = {.fd = fd};
    cmz_input in = cli_reader_input(&reader);
    cmz_status st = cmz_decompress_stream(dctx, &in, out, NULL, err);
    *in_bytes = reader.bytes;
    return st;
}

static int decompress_fd(cli_session *s, const char *path, int fd, const struct stat *in_st) {
    const cli_options *o = s->o;
    bool testing = o->mode == CLI_MODE_TEST;
    bool from_stdin = !strcmp(path, "-");
    const char *name = cli_display_name(path);
    char *out_path = NULL;
    if (!testing) {
        if (o->output) out_path = strdup(o->output);
        else if (!o->to_stdout && !from_stdin && !(out_path = strip_suffix(path, name)))
            return CLI_EXIT_ERROR;
        if (o->output && !out_path) return cli_errorf(name, "out of memory");
    }
    cmz_dctx *dctx = cli_session_dctx(s);
    cli_target t;
    memset(&t, 0, sizeof t);
    t.is_stdout = true; /* nothing to commit or abort when testing */
    if (!dctx || (!testing &&
                  cli_target_open(&t, out_path, name, from_stdin ? NULL : in_st, false, o) != 0)) {
        free(out_path);
        return CLI_EXIT_ERROR;
    }
    if (o->salvage) {
        int rc = salvage_fd(s, name, fd, in_st, &t, dctx);
        free(out_path);
        return rc;
    }
    /* counts: concatenated frames add up; -t discards what it decodes */
    cli_writer writer = {.fd = testing ? -1 : t.fd};
    cmz_output out = cli_writer_output(&writer);
    cmz_error err;
    cmz_error_clear(&err);
    uint64_t in_bytes = 0;
    cli_progress_start(&s->progress, name, false, o->verbosity);
    cmz_frame_reader *whole = whole_frame_reader(dctx, fd, in_st, from_stdin);
    if (o->verbosity >= 2)
        fprintf(stderr, "cmz: %s: %s\n", name,
                whole ? "read through the frame index, each thread reading its own chunks"
                      : "read front to back");
    cmz_status st;
    if (whole) {
        const cmz_frame_info *fi = cmz_frame_reader_info(whole);
        in_bytes = fi->frame_size;
        st = cmz_frame_reader_write(whole, 0, fi->content_size, &out, &err);
        cmz_frame_reader_close(whole);
    } else {
        st = decode_stream(dctx, fd, testing ? NULL : &out, &in_bytes, &err);
    }
    if (st == CMZ_OK && testing) st = check_parity(dctx, fd, in_st, from_stdin, &err);
    cli_progress_end(&s->progress);
    int rc = 0;
    /* a signal after the last byte matters only to an output not yet committed */
    if (st == CMZ_OK && cli_interrupt_exit_code() && !t.is_stdout && !t.in_place)
        st = CMZ_ERR_INTERRUPTED;
    if (st == CMZ_ERR_INTERRUPTED)
        rc = testing ? cli_errorf(name, "interrupted") : cli_target_fail(&t, name, "interrupted");
    else if (st != CMZ_OK) {
        rc = cli_lib_error(name, st, &err);
        /* damage (not I/O, memory or usage trouble): list every damaged chunk */
        if (st == CMZ_ERR_CORRUPT || st == CMZ_ERR_CHECKSUM || st == CMZ_ERR_TRUNCATED)
            report_damage(name, fd, in_st, dctx);
    }
    if (rc != 0) {
        cli_target_abort(&t);
        free(out_path);
        return rc;
    }
    if (!testing) rc = cli_target_commit(&t, from_stdin ? NULL : in_st, o);
    s->committed = rc == 0;
    if (rc == 0) {
        summary(o, name, in_bytes, writer.bytes, t.name);
        /* Every chunk's CRC32C was checked on the way: the output is known good. */
        if (!testing && o->remove_input && !from_stdin && S_ISREG(in_st->st_mode) && !t.is_stdout &&
            !t.in_place)
            rc = cli_remove_input(path);
    }
    free(out_path);
    return rc;
}

int cli_decompress_file(cli_session *s, const char *path) {
    return cli_with_input(s, path,
                          "stdin is a terminal: compressed data is not read from one (use -f to "
                          "force, or give a FILE)",
                          decompress_fd);
}
