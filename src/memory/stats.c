/* Statistics per type and in total, and the printable report. */
#include "internal.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static void add_stats(cmz_registry_type_stats *sum, const cmz_registry_type_stats *s) {
    sum->resources += s->resources;
    sum->raw_bytes += s->raw_bytes;
    sum->stored_bytes += s->stored_bytes;
    sum->compressed += s->compressed;
    sum->released += s->released;
    sum->restored += s->restored;
    sum->compress_ns += s->compress_ns;
    sum->decompress_ns += s->decompress_ns;
}

cmz_status cmz_registry_stats(cmz_registry *reg, cmz_registry_type_stats *total,
                              cmz_registry_type_stats *per_type, size_t cap, size_t *count,
                              cmz_error *err) {
    if (!reg || (!per_type && cap))
        return cmz__error(err, CMZ_ERR_INVALID_ARG, "cmz_registry_stats: %s is NULL",
                          reg ? "per_type (with cap > 0)" : "registry");
    pthread_mutex_lock(&reg->mu);
    cmz_registry_type_stats sum;
    memset(&sum, 0, sizeof sum);
    for (size_t i = 0; i < reg->ntypes; i++) {
        add_stats(&sum, &reg->types[i]->stats);
        if (i < cap) per_type[i] = reg->types[i]->stats;
    }
    if (count) *count = reg->ntypes;
    pthread_mutex_unlock(&reg->mu);
    if (total) *total = sum;
    return CMZ_OK;
}

typedef struct {
    char *buf;
    size_t cap, len;
} out_text;

static void put(out_text *o, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void put(out_text *o, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    char *at = o->len < o->cap ? o->buf + o->len : NULL;
    int n = vsnprintf(at, at ? o->cap - o->len : 0, fmt, ap);
    va_end(ap);
    if (n > 0) o->len += (size_t)n;
}

static void row(out_text *o, const cmz_registry_type_stats *s, const char *name) {
    double ratio = s->stored_bytes ? (double)s->raw_bytes / (double)s->stored_bytes : 0.0;
    put(o, "%-22s %6llu %12llu %12llu %7.3f %6llu %6llu %6llu %9.1f\n", name,
        (unsigned long long)s->resources, (unsigned long long)s->raw_bytes,
        (unsigned long long)s->stored_bytes, ratio, (unsigned long long)s->compressed,
        (unsigned long long)s->released, (unsigned long long)s->restored,
        (double)s->compress_ns / 1e6);
}

cmz_status cmz_registry_report(cmz_registry *reg, char *buf, size_t cap, size_t *size,
                               cmz_error *err) {
    if (!reg || (!buf && cap))
        return cmz__error(err, CMZ_ERR_INVALID_ARG, "cmz_registry_report: %s is NULL",
                          reg ? "buf (with cap > 0)" : "registry");
    size_t n = 0;
    cmz_registry_stats(reg, NULL, NULL, 0, &n, NULL);
    cmz_registry_type_stats *per = n ? cmz__calloc(n, sizeof *per) : NULL;
    if (n && !per) return cmz__error(err, CMZ_ERR_NOMEM, "out of memory reporting %zu types", n);
    cmz_registry_type_stats total;
    size_t got = 0;
    cmz_registry_stats(reg, &total, per, n, &got, NULL);
    if (got > n) got = n; /* types added in between are left for the next report */
    out_text o = {buf, cap, 0};
    if (cap) buf[0] = '\0';
    put(&o, "budget %llu bytes, usage %llu bytes\n", (unsigned long long)cmz_registry_budget(reg),
        (unsigned long long)cmz_registry_usage(reg));
    put(&o, "%-22s %6s %12s %12s %7s %6s %6s %6s %9s\n", "type", "count", "raw bytes", "stored",
        "ratio", "compr", "releas", "restor", "compr ms");
    for (size_t i = 0; i < got; i++) row(&o, &per[i], per[i].type);
    row(&o, &total, "total");
    cmz__free(per);
    if (size) *size = o.len;
    if (o.len < cap) return CMZ_OK;
    return cmz__error(err, CMZ_ERR_DST_TOO_SMALL,
                      "the registry report is %zu bytes long, the buffer holds %zu with its NUL",
                      o.len, cap);
}
