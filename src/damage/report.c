/* A damaged frame's report: names, the summary a person reads, and its release
 * (include/cmz/salvage.h). */
#include "internal.h"

#include <stdarg.h>
#include <stdio.h>

const char *cmz_chunk_state_name(cmz_chunk_state state) {
    switch (state) {
    case CMZ_CHUNK_INTACT: return "intact";
    case CMZ_CHUNK_DAMAGED: return "damaged";
    case CMZ_CHUNK_MISSING: return "missing";
    }
    return "unknown";
}

void cmz_frame_report_free(cmz_frame_report *report) {
    if (!report) return;
    cmz__free(report->chunks);
    cmz__free(report);
}

void cmz__frame_report_finish(cmz_frame_report *rep, const cmz__located *loc) {
    cmz__info_from_params(&rep->info, &loc->params);
    rep->info.content_size = loc->content;
    rep->info.chunk_count = rep->chunk_count;
    rep->info.frame_size = loc->frame_size;
    rep->frames = 1;
    rep->stray_offset = CMZ_NO_POSITION;
    rep->unreadable_bytes = loc->lay.unreadable;
    cmz__frame_report_summarize(rep);
}

/* Appends to a summary; a summary longer than its buffer is cut (it is for a person). */
static void append(char *buf, size_t cap, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void append(char *buf, size_t cap, const char *fmt, ...) {
    size_t len = strlen(buf);
    va_list ap;
    va_start(ap, fmt);
    if (len + 1 < cap) vsnprintf(buf + len, cap - len, fmt, ap);
    va_end(ap);
}

void cmz__frame_report_summarize(cmz_frame_report *rep) {
    char *s = rep->summary;
    size_t cap = sizeof rep->summary;
    s[0] = '\0';
    append(s, cap, "%llu of %llu chunks", (unsigned long long)rep->intact,
           (unsigned long long)rep->chunk_count);
    if (rep->frames > 1) append(s, cap, " in %llu frames", (unsigned long long)rep->frames);
    append(s, cap, " intact, %llu damaged, %llu missing; %llu content bytes lost",
           (unsigned long long)rep->damaged, (unsigned long long)rep->missing,
           (unsigned long long)rep->lost_bytes);
    if (!rep->header_ok) append(s, cap, "; header damaged");
    if (!rep->footer_ok) append(s, cap, "; footer damaged");
    if (!rep->index_ok) append(s, cap, "; index damaged");
    if (!rep->content_size_known) append(s, cap, "; content size unknown");
    if (rep->stray_bytes)
        append(s, cap, "; %llu bytes at offset %llu are not part of any frame",
               (unsigned long long)rep->stray_bytes, (unsigned long long)rep->stray_offset);
    if (rep->unreadable_bytes) append(s, cap, "; unreadable parts skipped (I/O errors)");
    if (rep->has_parity)
        append(s, cap, "; %llu repairable; %llu parity records damaged",
               (unsigned long long)rep->repairable, (unsigned long long)rep->parity_damaged);
}
