/* `cmz repair FILE.cmz...`: rebuilds damaged chunks from the frame's parity and rewrites the
 * header, index and footer (cmz_frame_repair). The file is replaced atomically, and only by a
 * frame that was checked whole after writing: a repair never leaves a file worse than it was.
 * With -o OUT the repaired frame goes to OUT and FILE is left alone; an OUT that cannot be read
 * back (stdout, a device) gets the frame once it was checked in a scratch file. */
#include <errno.h>
#include <limits.h>
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

int cmz_cmd_repair(int argc, char **argv) { return cli_run(argc, argv, CLI_MODE_REPAIR); }

static bool nothing_to_repair(const cmz_frame_report *rep) {
    return rep->header_ok && rep->footer_ok && rep->index_ok && !rep->damaged && !rep->missing &&
           !rep->parity_damaged && !rep->stray_bytes && rep->content_size_known;
}

/* The frame written must pass every reader before it replaces anything: the per-chunk verify
 * (parity records included), the index check of random access, and the streaming decoder. */
static int check_written(const char *name, int fd, cmz_dctx *dctx) {
    cmz_source src;
    cmz_frame_report *rep = NULL;
    cmz_frame_info info;
    cmz_error err;
    cmz_error_clear(&err);
    cmz_status st = cmz_source_fd(&src, fd, &err);
    if (st == CMZ_OK) st = cmz_frame_verify(dctx, &src, &rep, &err);
    bool whole = st == CMZ_OK && nothing_to_repair(rep);
    cmz_frame_report_free(rep);
    if (whole) st = cmz_frame_info_read(&src, &info, &err);
    if (whole && st == CMZ_OK) {
        cli_reader reader = {.fd = fd};
        cmz_input in = cli_reader_input(&reader);
        if (lseek(fd, 0, SEEK_SET) != 0) return cli_errorf(name, "%s", strerror(errno));
        st = cmz_decompress_stream(dctx, &in, NULL, NULL, &err);
    }
    if (cli_interrupt_exit_code()) /* whatever the check found: nothing is replaced */
        return cli_errorf(name, "interrupted; the file is left as it was");
    if (st != CMZ_OK || !whole) {
        if (st != CMZ_OK) cli_lib_error(name, st, &err);
        return cli_errorf(name, "the repaired frame did not check out; the file is left as it was");
    }
    return 0;
}

static void say_done(const cli_options *o, const char *name, const cmz_frame_report *rep,
                     const char *to) {
    if (nothing_to_repair(rep)) { /* -o of an intact file: a copy, said as in place */
        if (cli_summary_wanted(o))
            fprintf(stderr, "cmz: %s: intact; nothing to repair, copied -> %s\n", name, to);
        return;
    }
    if (o->verbosity == 0) return;
    char what[160] = "";
    size_t n = 0;
    if (rep->repaired)
        n += (size_t)snprintf(what + n, sizeof what - n, ", %llu chunk%s rebuilt from parity",
                              (unsigned long long)rep->repaired, rep->repaired == 1 ? "" : "s");
    if (rep->parity_damaged)
        n += (size_t)snprintf(what + n, sizeof what - n, ", %llu parity record%s rewritten",
                              (unsigned long long)rep->parity_damaged,
                              rep->parity_damaged == 1 ? "" : "s");
    const char *parts[3];
    size_t nparts = 0;
    if (!rep->header_ok) parts[nparts++] = "header";
    if (!rep->index_ok) parts[nparts++] = "index";
    if (!rep->footer_ok) parts[nparts++] = "footer";
    for (size_t i = 0; i < nparts && n < sizeof what; i++)
        n += (size_t)snprintf(what + n, sizeof what - n, "%s%s",
                              i == 0            ? ", "
                              : i + 1 == nparts ? " and "
                                                : ", ",
                              parts[i]);
    if (nparts && n < sizeof what) snprintf(what + n, sizeof what - n, " rewritten");
    fprintf(stderr, "cmz: %s: repaired%s%s%s\n", name, what, to ? " -> " : "", to ? to : "");
}

static int repair_fd(cli_session *s, const char *path, int fd, const struct stat *in_st) {
    const cli_options *o = s->o;
    const char *name = cli_display_name(path);
    if (!strcmp(path, "-") || !S_ISREG(in_st->st_mode))
        return cli_errorf(name, "repair needs a file (not a pipe): it reads the frame from its "
                                "end and rewrites it");
    cmz_dctx *dctx = cli_session_dctx(s);
    if (!dctx) return CLI_EXIT_ERROR;
    cli_target t;
    memset(&t, 0, sizeof t);
    bool in_place = !o->output;
    char real[PATH_MAX];
    if (in_place) {
        /* the file itself is replaced: through a symlink, its target (not the link); a file
         * with other hard links would be split from them (they keep the damaged copy) */
        if (!realpath(path, real)) return cli_errorf(name, "%s", strerror(errno));
        if (in_st->st_nlink > 1 && !o->force)
            return cli_errorf(name,
                              "has %lu hard links: repairing it in place would leave the "
                              "others damaged (use -o OUT, or -f to repair this name only)",
                              (unsigned long)in_st->st_nlink);
        t.name = path;
        t.af.fd = -1;
        if (atomic_file_open(&t.af, real, in_st->st_mode & 0777) != 0)
            return cli_errorf(name, "cannot create a temp file beside it: %s", strerror(errno));
        t.fd = t.af.fd;
    } else if (cli_target_open(&t, o->output, name, in_st, true, o) != 0 ||
               cli_target_readable(&t) != 0) { /* the frame is checked before it goes out */
        cli_target_abort(&t);
        return CLI_EXIT_ERROR;
    }
    cmz_source src;
    cmz_frame_report *rep = NULL;
    cmz_error err;
    cmz_error_clear(&err);
    cli_writer writer = {.fd = t.fd};
    cmz_output out = cli_writer_output(&writer);
    cmz_status st = cmz_source_fd(&src, fd, &err);
    if (st == CMZ_OK) st = cmz_frame_repair(dctx, &src, &out, &rep, &err);
    if (st == CMZ_OK && cli_interrupt_exit_code()) st = CMZ_ERR_INTERRUPTED;
    int rc = 0;
    if (st == CMZ_ERR_INTERRUPTED) {
        rc = cli_errorf(name, "interrupted; the file is left as it was");
    } else if (st != CMZ_OK) {
        rc = cli_lib_error(name, st, &err);
        if (rep) cli_print_damage(name, rep);
        if (rep && st == CMZ_ERR_CORRUPT)
            fprintf(stderr,
                    "cmz: %s: left as it was; 'cmz -d --salvage' writes every intact "
                    "chunk\n",
                    name);
    } else if (in_place && nothing_to_repair(rep)) {
        if (cli_summary_wanted(o)) fprintf(stderr, "cmz: %s: intact; nothing to repair\n", name);
        cli_target_abort(&t);
        cmz_frame_report_free(rep);
        return 0;
    } else if ((rc = check_written(name, t.fd, dctx)) == 0) {
        if (in_place) {
            atomic_file_copy_attributes(&t.af, in_st);
            t.fd = -1;
            if (atomic_file_commit(&t.af, true) != 0)
                rc = cli_errorf(name, "cannot replace it: %s", strerror(errno));
        } else {
            rc = cli_target_commit(&t, in_st, o);
        }
        s->committed = rc == 0;
        if (rc == 0) say_done(o, name, rep, in_place ? NULL : t.name);
        cmz_frame_report_free(rep);
        return rc;
    }
    cli_target_abort(&t);
    cmz_frame_report_free(rep);
    return rc ? rc : CLI_EXIT_ERROR;
}

int cli_repair_file(cli_session *s, const char *path) {
    return cli_with_input(s, path, "repair needs a file", repair_fd);
}
