/* The budget and the usage the monitor compares with it: given by the application, or read
 * from cgroup v2 (memory.max / memory.current) or /proc/meminfo; usage may also be the
 * registry's own bytes (exact, for tests and for applications that count only what they
 * register). */
#include "internal.h"

#include <stdio.h>
#include <string.h>
#include <unistd.h>

/* The cgroup v2 directory of this process ("0::/path" in /proc/self/cgroup), into buf. */
static bool cgroup_dir(char *buf, size_t cap) {
    FILE *f = fopen("/proc/self/cgroup", "r");
    if (!f) return false;
    char line[512];
    bool found = false;
    while (fgets(line, sizeof line, f)) {
        if (strncmp(line, "0::", 3) != 0) continue;
        line[strcspn(line, "\n")] = '\0';
        found = snprintf(buf, cap, "/sys/fs/cgroup%s", line + 3) < (int)cap;
        break;
    }
    fclose(f);
    return found;
}

/* A number from a one-line file; false for "max" or anything unreadable. */
static bool read_u64_file(const char *path, uint64_t *v) {
    FILE *f = fopen(path, "r");
    if (!f) return false;
    unsigned long long x;
    bool ok = fscanf(f, "%llu", &x) == 1;
    fclose(f);
    if (ok) *v = x;
    return ok;
}

static bool cgroup_value(const char *name, uint64_t *v) {
    char dir[400], path[512];
    if (!cgroup_dir(dir, sizeof dir)) return false;
    snprintf(path, sizeof path, "%s/%s", dir, name);
    return read_u64_file(path, v);
}

/* A "Key:  N kB" line of /proc/meminfo, in bytes. */
static bool meminfo(const char *key, uint64_t *v) {
    FILE *f = fopen("/proc/meminfo", "r");
    if (!f) return false;
    char line[256];
    size_t klen = strlen(key);
    bool ok = false;
    while (fgets(line, sizeof line, f)) {
        unsigned long long kb;
        if (strncmp(line, key, klen) == 0 && line[klen] == ':' &&
            sscanf(line + klen + 1, "%llu", &kb) == 1) {
            *v = (uint64_t)kb * 1024;
            ok = true;
            break;
        }
    }
    fclose(f);
    return ok;
}

static uint64_t process_rss(void) {
    FILE *f = fopen("/proc/self/statm", "r");
    if (!f) return 0;
    unsigned long long size, resident;
    int n = fscanf(f, "%llu %llu", &size, &resident);
    fclose(f);
    return n == 2 ? (uint64_t)resident * (uint64_t)sysconf(_SC_PAGESIZE) : 0;
}

cmz_status cmz__usage_init(cmz_registry *reg, cmz_error *err) {
    const cmz_registry_params *p = &reg->params;
    cmz_usage_source source = p->usage;
    uint64_t budget = p->budget, v;
    if (budget == 0) {
        if (cgroup_value("memory.max", &v) && v > 0) {
            budget = v;
            if (source == CMZ_USAGE_AUTO) source = CMZ_USAGE_CGROUP;
        } else if (meminfo("MemTotal", &v)) {
            budget = v;
            if (source == CMZ_USAGE_AUTO) source = CMZ_USAGE_SYSTEM;
        } else {
            return cmz__error(err, CMZ_ERR_IO,
                              "no memory budget given, and neither cgroup v2 memory.max nor "
                              "/proc/meminfo could be read");
        }
    }
    if (source == CMZ_USAGE_AUTO) source = CMZ_USAGE_PROCESS;
    if (source > CMZ_USAGE_REGISTRY)
        return cmz__error(err, CMZ_ERR_INVALID_ARG, "unknown usage source %d", (int)source);
    if (source == CMZ_USAGE_CGROUP && !cgroup_value("memory.current", &v))
        return cmz__error(err, CMZ_ERR_IO,
                          "usage source cgroup: memory.current of this process's cgroup "
                          "cannot be read (cgroup v2 not mounted?)");
    if (source == CMZ_USAGE_SYSTEM && !meminfo("MemAvailable", &v))
        return cmz__error(err, CMZ_ERR_IO,
                          "usage source system: /proc/meminfo has no MemAvailable");
    reg->budget = budget;
    reg->usage = source;
    /* The seed's 512 MB reserve is a quarter of a 2 GB budget: scaled to budget / 8 below
     * 4 GiB, so that small budgets keep a working range between the marks. */
    if (p->reserve == UINT64_MAX) reg->reserve = 0;
    else if (p->reserve) reg->reserve = p->reserve;
    else reg->reserve = budget / 8 < ((uint64_t)512 << 20) ? budget / 8 : (uint64_t)512 << 20;
    return CMZ_OK;
}

uint64_t cmz__usage_now(cmz_registry *reg) {
    uint64_t v = 0, total = 0;
    switch (reg->usage) {
    case CMZ_USAGE_REGISTRY: return reg->held;
    case CMZ_USAGE_CGROUP: return cgroup_value("memory.current", &v) ? v : reg->held;
    case CMZ_USAGE_SYSTEM:
        if (meminfo("MemTotal", &total) && meminfo("MemAvailable", &v) && v <= total)
            return total - v;
        return reg->held;
    default: {
        uint64_t rss = process_rss();
        return rss ? rss : reg->held;
    }
    }
}

cmz_pressure cmz__level_of(const cmz_registry *reg, uint64_t usage) {
    double b = (double)reg->budget;
    if ((double)usage >= b * reg->params.emergency ||
        (reg->reserve && usage + reg->reserve > reg->budget &&
         (double)usage >= b * reg->params.warning))
        return CMZ_PRESSURE_EMERGENCY;
    if ((double)usage >= b * reg->params.warning) return CMZ_PRESSURE_WARNING;
    return CMZ_PRESSURE_NONE;
}

uint64_t cmz_registry_budget(const cmz_registry *reg) { return reg ? reg->budget : 0; }

uint64_t cmz_registry_usage(cmz_registry *reg) {
    if (!reg) return 0;
    pthread_mutex_lock(&reg->mu);
    uint64_t u = cmz__usage_now(reg);
    pthread_mutex_unlock(&reg->mu);
    return u;
}
