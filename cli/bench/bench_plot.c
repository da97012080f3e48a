/* Pooling results per configuration, the Pareto front, and the SVG plot of ratio against
 * compression speed (log scale), written by cmz itself: no plotting dependency. */
#include "benchkit.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

size_t bk_pool(const bk_result *rows, size_t n, bk_point *points, size_t cap) {
    size_t np = 0;
    for (size_t i = 0; i < n; i++) {
        const bk_result *r = &rows[i];
        if (r->threads != 1 || r->cfg.codec < 0 || !r->out_bytes || r->c_mbps <= 0) continue;
        size_t k = 0;
        while (k < np && strcmp(points[k].config, r->config) != 0) k++;
        if (k == np) {
            if (np == cap) continue;
            memset(&points[np], 0, sizeof points[np]);
            snprintf(points[np].config, sizeof points[np].config, "%s", r->config);
            points[np].cfg = r->cfg;
            np++;
        }
    }
    /* totals: bytes in, bytes out, seconds each way */
    for (size_t k = 0; k < np; k++) {
        double in = 0, out = 0, tc = 0, td = 0;
        for (size_t i = 0; i < n; i++) {
            const bk_result *r = &rows[i];
            if (r->threads != 1 || strcmp(r->config, points[k].config) != 0 || r->c_mbps <= 0)
                continue;
            in += (double)r->in_bytes;
            out += (double)r->out_bytes;
            tc += (double)r->in_bytes / (r->c_mbps * 1e6);
            td += (double)r->in_bytes / (r->d_mbps * 1e6);
        }
        points[k].ratio = out > 0 ? in / out : 0;
        points[k].c_mbps = tc > 0 ? in / tc / 1e6 : 0;
        points[k].d_mbps = td > 0 ? in / td / 1e6 : 0;
    }
    return np;
}

bool bk_on_front(const bk_point *p, size_t n, size_t i) {
    for (size_t j = 0; j < n; j++)
        if (j != i && p[j].ratio >= p[i].ratio && p[j].c_mbps >= p[i].c_mbps &&
            (p[j].ratio > p[i].ratio || p[j].c_mbps > p[i].c_mbps))
            return false;
    return true;
}

static void xml_text(FILE *f, const char *s) {
    for (; *s; s++) {
        switch (*s) {
        case '<': fputs("&lt;", f); break;
        case '>': fputs("&gt;", f); break;
        case '&': fputs("&amp;", f); break;
        case '"': fputs("&quot;", f); break;
        default: fputc(*s, f);
        }
    }
}

static const char *codec_color(int codec) {
    static const char *const colors[] = {"#888888", "#1f77b4", "#ff7f0e", "#2ca02c", "#d62728",
                                         "#9467bd", "#8c564b", "#e377c2", "#17becf"};
    return codec >= 0 && codec < 9 ? colors[codec] : "#000000";
}

static int by_speed(const void *a, const void *b) {
    const bk_point *x = a, *y = b;
    return x->c_mbps < y->c_mbps ? -1 : x->c_mbps > y->c_mbps;
}

int bk_write_svg(const char *path, const bk_point *points, size_t n, const char *title) {
    const double W = 900, H = 560, L = 80, R = 30, T = 50, B = 60;
    double smin = 1e300, smax = 0, rmax = 1;
    for (size_t i = 0; i < n; i++) {
        if (points[i].c_mbps < smin) smin = points[i].c_mbps;
        if (points[i].c_mbps > smax) smax = points[i].c_mbps;
        if (points[i].ratio > rmax) rmax = points[i].ratio;
    }
    if (n == 0) smin = 1, smax = 1000;
    double lo = floor(log10(smin > 0 ? smin : 1)), hi = ceil(log10(smax > 0 ? smax : 10));
    if (hi <= lo) hi = lo + 1;
    double rtop = ceil(rmax * 1.1 * 2) / 2, rbot = 0;
    FILE *f = fopen(path, "w");
    if (!f) return -1;
#define X(s) (L + (log10(s) - lo) / (hi - lo) * (W - L - R))
#define Y(r) (H - B - ((r)-rbot) / (rtop - rbot) * (H - T - B))
    fprintf(f,
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
            "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%.0f\" height=\"%.0f\" "
            "viewBox=\"0 0 %.0f %.0f\" font-family=\"sans-serif\" font-size=\"12\">\n"
            "<rect width=\"100%%\" height=\"100%%\" fill=\"white\"/>\n",
            W, H, W, H);
    fprintf(f, "<text x=\"%.0f\" y=\"28\" font-size=\"16\" text-anchor=\"middle\">", W / 2);
    xml_text(f, title);
    fputs("</text>\n", f);
    /* axes, decade ticks on x, half-unit ticks on y */
    fprintf(f,
            "<g stroke=\"#444\"><line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\"/>"
            "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\"/></g>\n",
            L, H - B, W - R, H - B, L, H - B, L, T);
    for (double e = lo; e <= hi + 1e-9; e++) {
        double x = X(pow(10, e));
        fprintf(f,
                "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#ddd\"/>"
                "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\">%g</text>\n",
                x, T, x, H - B, x, H - B + 18, pow(10, e));
    }
    double step = rtop - rbot > 8 ? 2 : rtop - rbot > 3 ? 1 : 0.5;
    for (double r = rbot; r <= rtop + 1e-9; r += step)
        fprintf(f,
                "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#ddd\"/>"
                "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"end\">%g</text>\n",
                L, Y(r), W - R, Y(r), L - 6, Y(r) + 4, r);
    fprintf(f,
            "<text x=\"%.0f\" y=\"%.0f\" text-anchor=\"middle\">compression speed, MB/s "
            "of uncompressed data, one thread (log scale)</text>\n",
            (L + W - R) / 2, H - 18);
    fprintf(f,
            "<text x=\"20\" y=\"%.0f\" text-anchor=\"middle\" transform=\"rotate(-90 20 %.0f)\">"
            "compression ratio</text>\n",
            (T + H - B) / 2, (T + H - B) / 2);
    /* the Pareto front, left to right */
    bk_point *front = malloc((n ? n : 1) * sizeof *front);
    size_t nf = 0;
    for (size_t i = 0; front && i < n; i++)
        if (bk_on_front(points, n, i)) front[nf++] = points[i];
    if (front) qsort(front, nf, sizeof *front, by_speed);
    if (nf > 1) {
        fputs("<polyline class=\"front\" fill=\"none\" stroke=\"#d62728\" stroke-width=\"2\" "
              "stroke-dasharray=\"6 3\" points=\"",
              f);
        for (size_t i = 0; i < nf; i++)
            fprintf(f, "%s%.1f,%.1f", i ? " " : "", X(front[i].c_mbps), Y(front[i].ratio));
        fputs("\"/>\n", f);
    }
    free(front);
    for (size_t i = 0; i < n; i++) {
        const bk_point *p = &points[i];
        bool on = bk_on_front(points, n, i);
        fprintf(f,
                "<circle class=\"point%s\" cx=\"%.1f\" cy=\"%.1f\" r=\"%d\" fill=\"%s\">"
                "<title>",
                on ? " front" : "", X(p->c_mbps), Y(p->ratio), on ? 6 : 4,
                codec_color(p->cfg.codec));
        xml_text(f, p->config);
        fprintf(f, ": ratio %.3f, %.1f MB/s compress, %.1f MB/s decompress</title></circle>\n",
                p->ratio, p->c_mbps, p->d_mbps);
        fprintf(f, "<text x=\"%.1f\" y=\"%.1f\" font-size=\"10\" fill=\"#333\">", X(p->c_mbps) + 7,
                Y(p->ratio) - 5);
        xml_text(f, p->config);
        fputs("</text>\n", f);
    }
    fprintf(f,
            "<text x=\"%.0f\" y=\"%.0f\" text-anchor=\"end\" fill=\"#d62728\">dashed: the "
            "Pareto front (nothing is both faster and smaller)</text>\n</svg>\n",
            W - R, T + 14);
#undef X
#undef Y
    int rc = ferror(f) ? -1 : 0;
    if (fclose(f) != 0) rc = -1;
    return rc;
}
