/* `cmz bench` results as an aligned table (lzbench's layout), CSV and JSON
 * (docs/bench.schema.json). Speeds are MB/s (10^6 bytes) of uncompressed bytes. */
#include "benchkit.h"

#include <string.h>

static double ratio(const bk_result *r) {
    return r->out_bytes ? (double)r->in_bytes / (double)r->out_bytes : 0;
}

static char *mib(uint64_t bytes, char *buf, size_t cap) {
    snprintf(buf, cap, "%.1f", (double)bytes / 1048576.0);
    return buf;
}

void bk_print_table(FILE *to, const bk_result *rows, size_t n) {
    fprintf(to, "%-24s %-18s %3s %11s %7s %20s %20s %8s %8s\n", "config", "input", "T", "size",
            "ratio", "compress MB/s", "decompress MB/s", "c MiB", "d MiB");
    for (size_t i = 0; i < n; i++) {
        const bk_result *r = &rows[i];
        char c[48], d[48], cm[16], dm[16];
        snprintf(c, sizeof c, "%.1f (%.0f-%.0f)", r->c_mbps, r->c_lo, r->c_hi);
        snprintf(d, sizeof d, "%.1f (%.0f-%.0f)", r->d_mbps, r->d_lo, r->d_hi);
        fprintf(to, "%-24s %-18s %3u %11llu %7.3f %20s %20s %8s %8s%s\n", r->config, r->input,
                r->threads, (unsigned long long)r->out_bytes, ratio(r), c, d,
                mib(r->c_mem, cm, sizeof cm), mib(r->d_mem, dm, sizeof dm),
                r->roundtrip_ok ? "" : "  ROUND TRIP FAILED");
    }
}

/* A CSV field: quoted when it holds a comma or a quote. Config and input names come from cmz
 * or from file names, which may hold anything. */
static void csv_field(FILE *to, const char *s) {
    if (!strpbrk(s, ",\"\n")) {
        fputs(s, to);
        return;
    }
    fputc('"', to);
    for (; *s; s++) {
        if (*s == '"') fputc('"', to);
        fputc(*s, to);
    }
    fputc('"', to);
}

void bk_print_csv(FILE *to, const bk_result *rows, size_t n) {
    fputs("config,codec,level,filter,typesize,input,threads,input_bytes,output_bytes,ratio,"
          "compress_mbps,compress_min,compress_max,decompress_mbps,decompress_min,"
          "decompress_max,runs,compress_peak_bytes,decompress_peak_bytes,roundtrip_ok\n",
          to);
    for (size_t i = 0; i < n; i++) {
        const bk_result *r = &rows[i];
        csv_field(to, r->config);
        fprintf(to, ",%s,%d,%s,%u,",
                r->cfg.codec < 0 ? "memcpy" : cmz_codec_name(cmz_codec_by_id(r->cfg.codec)),
                r->cfg.level, cmz_filter_name(r->cfg.filter), r->cfg.typesize);
        csv_field(to, r->input);
        fprintf(to, ",%u,%llu,%llu,%.4f,%.2f,%.2f,%.2f,%.2f,%.2f,%.2f,%u,%llu,%llu,%s\n",
                r->threads, (unsigned long long)r->in_bytes, (unsigned long long)r->out_bytes,
                ratio(r), r->c_mbps, r->c_lo, r->c_hi, r->d_mbps, r->d_lo, r->d_hi, r->runs,
                (unsigned long long)r->c_mem, (unsigned long long)r->d_mem,
                r->roundtrip_ok ? "true" : "false");
    }
}

static void json_string(FILE *to, const char *s) {
    fputc('"', to);
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == '"' || c == '\\') fprintf(to, "\\%c", c);
        else if (c < 0x20) fprintf(to, "\\u%04x", c);
        else fputc(c, to);
    }
    fputc('"', to);
}

void bk_print_json(FILE *to, const bk_result *rows, size_t n) {
    fprintf(to, "{\n  \"schema\": \"cmz-bench/1\",\n  \"cmz\": ");
    json_string(to, cmz_version());
    fprintf(to, ",\n  \"cores\": %u,\n  \"results\": [", cmz_cpu_count());
    for (size_t i = 0; i < n; i++) {
        const bk_result *r = &rows[i];
        fprintf(to, "%s\n    {\"config\": ", i ? "," : "");
        json_string(to, r->config);
        fprintf(to, ", \"codec\": ");
        json_string(to,
                    r->cfg.codec < 0 ? "memcpy" : cmz_codec_name(cmz_codec_by_id(r->cfg.codec)));
        fprintf(to, ", \"level\": %d, \"filter\": ", r->cfg.level);
        json_string(to, cmz_filter_name(r->cfg.filter));
        fprintf(to, ", \"typesize\": %u, \"input\": ", r->cfg.typesize);
        json_string(to, r->input);
        fprintf(to,
                ", \"threads\": %u, \"input_bytes\": %llu, \"output_bytes\": %llu, "
                "\"ratio\": %.4f, \"runs\": %u,\n     \"compress\": {\"mbps\": %.2f, \"min\": "
                "%.2f, \"max\": %.2f, \"peak_bytes\": %llu}, \"decompress\": {\"mbps\": %.2f, "
                "\"min\": %.2f, \"max\": %.2f, \"peak_bytes\": %llu}, \"roundtrip_ok\": %s}",
                r->threads, (unsigned long long)r->in_bytes, (unsigned long long)r->out_bytes,
                ratio(r), r->runs, r->c_mbps, r->c_lo, r->c_hi, (unsigned long long)r->c_mem,
                r->d_mbps, r->d_lo, r->d_hi, (unsigned long long)r->d_mem,
                r->roundtrip_ok ? "true" : "false");
    }
    fputs("\n  ]\n}\n", to);
}
