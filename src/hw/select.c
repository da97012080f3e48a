/* Which backend runs a batch: the caller's wish, CMZ_BACKEND over it, and the CPU whenever the
 * wished one is absent, always with the reason in words. CMZ_BACKEND is read in one place,
 * cmz_backend_env, which programs call to refuse a bad value up front. */
#include "internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <strings.h>

static const char *const names[] = {"auto", "cpu", "cuda", "qat"};

const char *cmz_backend_name(cmz_backend backend) {
    return (unsigned)backend <= CMZ_BACKEND_COUNT ? names[backend] : "unknown";
}

cmz_status cmz_backend_by_name(const char *name, cmz_backend *out, cmz_error *err) {
    for (unsigned b = 0; name && out && b <= CMZ_BACKEND_COUNT; b++)
        if (strcasecmp(name, names[b]) == 0) {
            *out = (cmz_backend)b;
            return CMZ_OK;
        }
    if (!name || !out)
        return cmz__error(err, CMZ_ERR_INVALID_ARG,
                          name ? "cmz_backend_by_name: out is NULL" : "no backend name given");
    return cmz__error(err, CMZ_ERR_INVALID_ARG,
                      "unknown backend '%s' (valid: auto, cpu, cuda, qat)", name);
}

cmz_status cmz_backend_env(cmz_backend *out, int *set, cmz_error *err) {
    const char *env = getenv("CMZ_BACKEND");
    *set = env && *env;
    if (!*set) return CMZ_OK;
    if (cmz_backend_by_name(env, out, NULL) == CMZ_OK) return CMZ_OK;
    *set = 0;
    return cmz__error(err, CMZ_ERR_INVALID_ARG,
                      "CMZ_BACKEND='%.40s' is not a backend (valid: auto, cpu, cuda, qat)", env);
}

cmz_hw_choice cmz_hw_best(cmz_backend wanted, int codec, int level, uint64_t batch_bytes,
                          cmz_data_location where) {
    (void)level;
    cmz_hw_choice c = {.asked = wanted, .backend = CMZ_BACKEND_CPU};
    char from[64] = "by the caller";
    cmz_backend forced;
    int env_set;
    cmz_error err;
    cmz_error_clear(&err);
    if (cmz_backend_env(&forced, &env_set, &err) != CMZ_OK) {
        snprintf(c.reason, sizeof c.reason, "%s; using the cpu", err.message);
        return c;
    }
    if (env_set) {
        c.asked = wanted = forced;
        snprintf(from, sizeof from, "by CMZ_BACKEND=%s", cmz_backend_name(forced));
    }
    if ((unsigned)wanted > CMZ_BACKEND_COUNT) {
        snprintf(c.reason, sizeof c.reason, "backend %d is not a backend; using the cpu",
                 (int)wanted);
        return c;
    }
    const cmz_hw_info *hw = cmz__hw_probe();
    if (wanted == CMZ_BACKEND_CPU) {
        snprintf(c.reason, sizeof c.reason, "cpu asked for %s", from);
        return c;
    }
    if (wanted == CMZ_BACKEND_CUDA || wanted == CMZ_BACKEND_QAT) {
        const cmz_hw_info *h = &hw[wanted - 1];
        if (h->present) {
            c.backend = wanted;
            snprintf(c.reason, sizeof c.reason, "%s asked for %s", cmz_backend_name(wanted), from);
        } else {
            snprintf(c.reason, sizeof c.reason,
                     "%s was asked for %s but is absent: %s; using the cpu",
                     cmz_backend_name(wanted), from, h->detail);
        }
        return c;
    }
    /* auto */
    const cmz_hw_info *gpu = &hw[CMZ_BACKEND_CUDA - 1];
    if (where == CMZ_DATA_DEVICE && gpu->present && codec >= 0) {
        c.backend = CMZ_BACKEND_CUDA;
        snprintf(c.reason, sizeof c.reason, "auto: the data is on the GPU");
        return c;
    }
    (void)batch_bytes; /* a calibration would compare it with the GPU's break-even size */
    snprintf(c.reason, sizeof c.reason,
             "auto: no accelerator present for data on the %s "
             "(cuda %s, qat %s)",
             where == CMZ_DATA_DEVICE ? "GPU" : "host", gpu->present ? "present" : "absent",
             hw[CMZ_BACKEND_QAT - 1].present ? "present" : "absent");
    return c;
}
