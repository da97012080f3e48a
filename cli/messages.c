/* Error messages and summaries. */
#include "messages.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

int cli_errorf(const char *name, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    if (name) fprintf(stderr, "cmz: %s: ", name);
    else fputs("cmz: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
    return CLI_EXIT_ERROR;
}

int cli_lib_error(const char *name, cmz_status status, const cmz_error *err) {
    const char *msg = err && err->message[0] ? err->message : cmz_strerror(status);
    return cli_errorf(name, "%s", msg);
}

const char *cli_display_name(const char *path) { return strcmp(path, "-") ? path : "stdin"; }

bool cli_summary_wanted(const cli_options *o) {
    return o->verbosity >= 2 || (o->verbosity == 1 && isatty(STDERR_FILENO));
}

const char *cli_human_size(uint64_t bytes, char buf[32]) {
    static const char *const units[] = {"B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"};
    double v = (double)bytes;
    size_t u = 0;
    while (v >= 1024.0 && u + 1 < sizeof units / sizeof *units) {
        v /= 1024.0;
        u++;
    }
    if (u == 0) snprintf(buf, 32, "%llu B", (unsigned long long)bytes);
    else snprintf(buf, 32, "%.2f %s", v, units[u]);
    return buf;
}

const char *cli_percent(uint64_t part, uint64_t whole, char buf[16]) {
    if (whole == 0) snprintf(buf, 16, "n/a");
    else snprintf(buf, 16, "%.2f%%", 100.0 * (double)part / (double)whole);
    return buf;
}

/* The chunks a report lists as damaged or missing, one line each (a run of missing chunks in
 * one line: a damaged frame without its index can lose thousands), and its summary. */
void cli_print_damage(const char *name, const cmz_frame_report *rep) {
    for (uint64_t i = 0; i < rep->chunk_count; i++) {
        const cmz_chunk_report *c = &rep->chunks[i];
        if (c->state == CMZ_CHUNK_INTACT) continue;
        uint64_t last = i;
        while (c->state == CMZ_CHUNK_MISSING && last + 1 < rep->chunk_count &&
               rep->chunks[last + 1].state == CMZ_CHUNK_MISSING &&
               rep->chunks[last + 1].frame == c->frame &&
               !strcmp(rep->chunks[last + 1].message, c->message))
            last++;
        const cmz_chunk_report *e = &rep->chunks[last];
        char frame[40] = "", which[96], where[48] = "";
        if (rep->frames > 1) /* chunks are numbered in each frame */
            snprintf(frame, sizeof frame, "frame %llu, ", (unsigned long long)c->frame);
        if (last > i)
            snprintf(which, sizeof which, "%schunks %llu..%llu", frame,
                     (unsigned long long)c->number, (unsigned long long)e->number);
        else snprintf(which, sizeof which, "%schunk %llu", frame, (unsigned long long)c->number);
        if (c->record_offset != CMZ_NO_POSITION && last == i)
            snprintf(where, sizeof where, ", record at offset %llu",
                     (unsigned long long)c->record_offset);
        fprintf(stderr, "cmz: %s: %s (content bytes %llu..%llu%s): %s%s: %s\n", name, which,
                (unsigned long long)c->content_offset,
                (unsigned long long)(e->content_offset + e->raw_size - 1), where,
                cmz_chunk_state_name(c->state),
                c->repaired     ? ", rebuilt from parity"
                : c->repairable ? ", repairable"
                                : "",
                c->message);
        i = last;
    }
    fprintf(stderr, "cmz: %s: %s\n", name, rep->summary);
}

/* What will work: a repair rebuilds the file only when every frame can be rebuilt whole
 * (verify's `repairable` says so chunk by chunk, and is 0 when any frame cannot be), the
 * content size is certain and no bytes lie outside the frames; otherwise salvage. */
void cli_print_advice(const char *name, const cmz_frame_report *rep) {
    uint64_t lost = rep->damaged + rep->missing;
    bool repair = lost == rep->repairable && rep->content_size_known && !rep->stray_bytes;
    if (repair && lost)
        fprintf(stderr, "cmz: %s: parity can rebuild %s: 'cmz repair %s'\n", name,
                lost == 1 ? "the damaged chunk" : "every damaged chunk", name);
    else if (repair)
        fprintf(stderr, "cmz: %s: every chunk is intact: 'cmz repair %s' rewrites the rest\n", name,
                name);
    else if (!lost && rep->content_size_known)
        fprintf(stderr,
                "cmz: %s: every chunk of the frames is intact, but %llu bytes at offset "
                "%llu are not part of any frame (appended, or what is left of a frame): "
                "'cmz -d --salvage' writes the content of every frame\n",
                name, (unsigned long long)rep->stray_bytes, (unsigned long long)rep->stray_offset);
    else
        fprintf(stderr, "cmz: %s: 'cmz -d --salvage' writes every intact chunk%s\n", name,
                rep->content_size_known ? ""
                                        : " (the end is lost: chunks or frames after the last "
                                          "one found cannot be known)");
}
