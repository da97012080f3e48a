/* The diagnostics container, and the helpers that make messages actionable (did-you-mean,
 * safe quoting of the user's text). */
#include "internal.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>

/* File names are copied once per distinct name (a file's diagnostics share one copy). */
typedef struct name_node {
    struct name_node *next;
    char text[];
} name_node;

struct cmz_diags {
    cmz_diag items[CMZ_DIAGS_MAX];
    size_t count, dropped;
    name_node *names;
};

cmz_diags *cmz_diags_new(void) { return cmz__calloc(1, sizeof(cmz_diags)); }

void cmz_diags_clear(cmz_diags *d) {
    if (!d) return;
    while (d->names) {
        name_node *next = d->names->next;
        cmz__free(d->names);
        d->names = next;
    }
    d->count = 0;
    d->dropped = 0;
}

void cmz_diags_free(cmz_diags *d) {
    cmz_diags_clear(d);
    cmz__free(d);
}

size_t cmz_diags_count(const cmz_diags *d) { return d ? d->count : 0; }
size_t cmz_diags_dropped(const cmz_diags *d) { return d ? d->dropped : 0; }

const cmz_diag *cmz_diags_at(const cmz_diags *d, size_t i) {
    return d && i < d->count ? &d->items[i] : NULL;
}

size_t cmz_diag_format(const cmz_diag *diag, char *buf, size_t cap) {
    if (!diag) return 0;
    const char *file = diag->file ? diag->file : "";
    const char *kind = diag->severity == CMZ_DIAG_WARNING ? "warning: " : "";
    int n;
    if (!file[0]) n = snprintf(buf, cap, "%s%s", kind, diag->message);
    else if (diag->line == 0) n = snprintf(buf, cap, "%s: %s%s", file, kind, diag->message);
    else
        n = snprintf(buf, cap, "%s:%u:%u: %s%s", file, diag->line, diag->column, kind,
                     diag->message);
    return n < 0 ? 0 : (size_t)n;
}

static const char *intern(cmz_diags *d, const char *file) {
    if (!file) file = "";
    for (name_node *n = d->names; n; n = n->next)
        if (strcmp(n->text, file) == 0) return n->text;
    size_t len = strlen(file);
    name_node *n = cmz__malloc(sizeof *n + len + 1);
    if (!n) return NULL;
    memcpy(n->text, file, len + 1);
    n->next = d->names;
    d->names = n;
    return n->text;
}

void cmz__diag_sink_init(cmz__diag_sink *r, cmz_diags *diags, const char *file) {
    r->diags = diags;
    r->file = file ? file : "";
    r->errors = 0;
    r->absent_codecs = 0;
}

static void store(cmz__diag_sink *r, cmz_diag_severity severity, unsigned line, unsigned column,
                  const char *fmt, va_list ap) {
    cmz_diags *d = r->diags;
    if (!d) return;
    const char *file = d->count < CMZ_DIAGS_MAX ? intern(d, r->file) : NULL;
    if (!file) {
        d->dropped++;
        return;
    }
    cmz_diag *diag = &d->items[d->count++];
    memset(diag, 0, sizeof *diag); /* the reserved tail, also in a container reused */
    diag->file = file;
    diag->line = line;
    diag->column = line ? column : 0;
    diag->severity = severity;
    vsnprintf(diag->message, sizeof diag->message, fmt, ap);
}

void cmz__diag_error(cmz__diag_sink *r, unsigned line, unsigned column, const char *fmt, ...) {
    r->errors++;
    va_list ap;
    va_start(ap, fmt);
    store(r, CMZ_DIAG_ERROR, line, column, fmt, ap);
    va_end(ap);
}

void cmz__diag_warn(cmz__diag_sink *r, unsigned line, unsigned column, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    store(r, CMZ_DIAG_WARNING, line, column, fmt, ap);
    va_end(ap);
}

bool cmz__diag_reserved(const uint64_t *reserved, size_t words, const char *owner,
                        cmz__diag_sink *r) {
    cmz_error err;
    cmz_error_clear(&err);
    if (cmz__reserved_check(reserved, words, owner, &err) == CMZ_OK) return true;
    cmz__diag_error(r, 0, 0, "%s", err.message);
    return false;
}

void cmz__diags_sort_from(cmz_diags *d, size_t start) {
    if (!d) return;
    /* Insertion sort: stable, and at most CMZ_DIAGS_MAX items. Unlocated ones stay first. */
    for (size_t i = start + 1; i < d->count; i++) {
        cmz_diag item = d->items[i];
        size_t j = i;
        while (j > start &&
               (d->items[j - 1].line > item.line ||
                (d->items[j - 1].line == item.line && d->items[j - 1].column > item.column))) {
            d->items[j] = d->items[j - 1];
            j--;
        }
        d->items[j] = item;
    }
}

/* Optimal string alignment distance (Levenshtein plus adjacent transpositions), case-
 * insensitive; words longer than 63 characters are never suggested for. */
static size_t edit_distance(const char *a, const char *b) {
    size_t la = strlen(a), lb = strlen(b);
    if (la > 63 || lb > 63) return SIZE_MAX;
    size_t d[64][64];
    for (size_t i = 0; i <= la; i++) d[i][0] = i;
    for (size_t j = 0; j <= lb; j++) d[0][j] = j;
    for (size_t i = 1; i <= la; i++) {
        for (size_t j = 1; j <= lb; j++) {
            int ca = tolower((unsigned char)a[i - 1]), cb = tolower((unsigned char)b[j - 1]);
            size_t cost = ca != cb;
            size_t best = d[i - 1][j] + 1;
            if (d[i][j - 1] + 1 < best) best = d[i][j - 1] + 1;
            if (d[i - 1][j - 1] + cost < best) best = d[i - 1][j - 1] + cost;
            if (i > 1 && j > 1 && ca == tolower((unsigned char)b[j - 2]) &&
                tolower((unsigned char)a[i - 2]) == cb && d[i - 2][j - 2] + 1 < best)
                best = d[i - 2][j - 2] + 1;
            d[i][j] = best;
        }
    }
    return d[la][lb];
}

const char *cmz__suggest(const char *word, const char *const *candidates, size_t n) {
    const char *best = NULL;
    size_t best_distance = SIZE_MAX;
    for (size_t i = 0; i < n; i++) {
        size_t dist = edit_distance(word, candidates[i]);
        /* A third of the candidate's length (at least 2) catches typos, missing underscores
         * and dropped suffixes ("threshold" for "threshold_mb") without wild guesses; a
         * distance as long as the word itself is no resemblance at all. */
        size_t limit = strlen(candidates[i]) / 3;
        if (limit < 2) limit = 2;
        if (dist <= limit && dist < best_distance && dist < strlen(word)) {
            best = candidates[i];
            best_distance = dist;
        }
    }
    return best;
}

const char *cmz__quote(const char *text, char *buf, size_t cap) {
    if (cap == 0) return "";
    size_t max = cap - 1 < 40 ? cap - 1 : 40, i = 0;
    for (; text[i] && i < max; i++) {
        unsigned char c = (unsigned char)text[i];
        buf[i] = (c < 0x20 || c == 0x7f) ? '?' : (char)c;
    }
    buf[i] = '\0';
    if (text[i] && cap > i + 3) memcpy(buf + (i > 3 ? i - 3 : i), "...", 4);
    return buf;
}
