/* The recommendation per priority (benchkit.h bk_recommend; docs/BENCH.md). */
#include "benchkit.h"

/* Seconds per MB through compression and decompression: the cost a resource pays each time it
 * is packed and unpacked. */
static double cost(const bk_point *p) { return 1.0 / p->c_mbps + 1.0 / p->d_mbps; }

size_t bk_recommend(const bk_point *p, size_t n, cmz_priority priority) {
    const double shrinks = 1.02;
    size_t fastest = SIZE_MAX;
    for (size_t i = 0; i < n; i++)
        if (p[i].ratio > shrinks && p[i].c_mbps > 0 && p[i].d_mbps > 0 &&
            (fastest == SIZE_MAX || cost(&p[i]) < cost(&p[fastest]) ||
             (cost(&p[i]) == cost(&p[fastest]) && p[i].ratio > p[fastest].ratio)))
            fastest = i;
    if (fastest == SIZE_MAX || priority == CMZ_PRIORITY_HIGH) return fastest;
    size_t best = SIZE_MAX;
    for (size_t i = 0; i < n; i++) {
        if (p[i].ratio <= shrinks || p[i].c_mbps <= 0 || p[i].d_mbps <= 0) continue;
        bool fits = priority == CMZ_PRIORITY_LOW ? p[i].c_mbps >= 1.0
                                                 : cost(&p[i]) <= 4 * cost(&p[fastest]);
        if (fits && (best == SIZE_MAX || p[i].ratio > p[best].ratio ||
                     (p[i].ratio == p[best].ratio && cost(&p[i]) < cost(&p[best]))))
            best = i;
    }
    return best == SIZE_MAX ? fastest : best;
}
