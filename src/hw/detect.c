/* What hardware is there: each backend probed once per process, without side effects a user
 * would notice. The CUDA probe loads the NVIDIA driver library with dlopen and asks it for the
 * first device (cuInit creates no context); QAT is looked for as libqatzip. Neither library is
 * linked: a machine without them runs the same libcmz. */
#include "internal.h"

#include <dlfcn.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static cmz_hw_info probed[CMZ_BACKEND_COUNT];
static pthread_once_t probe_once = PTHREAD_ONCE_INIT;

static void probe_cpu(cmz_hw_info *hw) {
    hw->backend = CMZ_BACKEND_CPU;
    hw->present = 1;
    snprintf(hw->name, sizeof hw->name, "CPU");
    FILE *f = fopen("/proc/cpuinfo", "r");
    if (f) {
        char line[256];
        while (fgets(line, sizeof line, f)) {
            char *colon = strchr(line, ':');
            if (strncmp(line, "model name", 10) != 0 || !colon) continue;
            colon += 1 + (colon[1] == ' ');
            colon[strcspn(colon, "\n")] = 0;
            snprintf(hw->name, sizeof hw->name, "%s", colon);
            break;
        }
        fclose(f);
    }
    long pages = sysconf(_SC_PHYS_PAGES), page = sysconf(_SC_PAGESIZE);
    hw->memory = pages > 0 && page > 0 ? (uint64_t)pages * (uint64_t)page : 0;
    hw->units = cmz_cpu_count();
    snprintf(hw->detail, sizeof hw->detail, "every codec compiled in; %u threads", hw->units);
}

/* The driver API's entry points used by the probe (cuda.h is not needed: CUresult and
 * CUdevice are ints, sizes are size_t). */
typedef int (*cu_init_fn)(unsigned);
typedef int (*cu_count_fn)(int *);
typedef int (*cu_get_fn)(int *, int);
typedef int (*cu_name_fn)(char *, int, int);
typedef int (*cu_mem_fn)(size_t *, int);
typedef int (*cu_attr_fn)(int *, int, int);
#define CU_ATTRIBUTE_MULTIPROCESSOR_COUNT 16

static void probe_cuda(cmz_hw_info *hw) {
    hw->backend = CMZ_BACKEND_CUDA;
    snprintf(hw->name, sizeof hw->name, "NVIDIA GPU");
    /* The kernels live in a plugin built by nvcc (docs/HW.md); this build has none. */
    const char *plugin = "this build has no CUDA plugin (nvcc was not found when it was "
                         "configured)";
    void *lib = dlopen("libcuda.so.1", RTLD_NOW | RTLD_LOCAL);
    if (!lib) {
        const char *why = dlerror();
        snprintf(hw->detail, sizeof hw->detail, "no NVIDIA driver (%s); %s",
                 why ? why : "libcuda.so.1 not found", plugin);
        return;
    }
    cu_init_fn cu_init = (cu_init_fn)dlsym(lib, "cuInit");
    cu_count_fn cu_count = (cu_count_fn)dlsym(lib, "cuDeviceGetCount");
    cu_get_fn cu_get = (cu_get_fn)dlsym(lib, "cuDeviceGet");
    cu_name_fn cu_name = (cu_name_fn)dlsym(lib, "cuDeviceGetName");
    cu_mem_fn cu_mem = (cu_mem_fn)dlsym(lib, "cuDeviceTotalMem_v2");
    cu_attr_fn cu_attr = (cu_attr_fn)dlsym(lib, "cuDeviceGetAttribute");
    int rc = -1, count = 0, dev = 0, initialised = 0;
    if (!cu_init || !cu_count || !cu_get || !cu_name || !cu_mem || !cu_attr) {
        snprintf(hw->detail, sizeof hw->detail,
                 "the NVIDIA driver lacks the probe's entry "
                 "points; %s",
                 plugin);
    } else if ((rc = cu_init(0)) != 0) {
        snprintf(hw->detail, sizeof hw->detail,
                 "cuInit failed (CUDA error %d: no usable "
                 "device or driver); %s",
                 rc, plugin);
    } else if ((initialised = 1, rc = cu_count(&count)) != 0 || count == 0) {
        if (rc)
            snprintf(hw->detail, sizeof hw->detail,
                     "cuDeviceGetCount failed (CUDA error "
                     "%d); %s",
                     rc, plugin);
        else snprintf(hw->detail, sizeof hw->detail, "no CUDA device; %s", plugin);
    } else if ((rc = cu_get(&dev, 0)) != 0) {
        snprintf(hw->detail, sizeof hw->detail, "cuDeviceGet(0) failed (CUDA error %d); %s", rc,
                 plugin);
    } else {
        size_t mem = 0;
        int sms = 0;
        if (cu_name(hw->name, (int)sizeof hw->name, dev) != 0)
            snprintf(hw->name, sizeof hw->name, "NVIDIA GPU");
        if (cu_mem(&mem, dev) == 0) hw->memory = mem;
        if (cu_attr(&sms, CU_ATTRIBUTE_MULTIPROCESSOR_COUNT, dev) == 0 && sms > 0)
            hw->units = (unsigned)sms;
        snprintf(hw->detail, sizeof hw->detail, "%d device(s) found, but %s", count, plugin);
    }
    /* Once cuInit has run, the driver stays loaded: unloading an initialised driver is known
     * to crash at exit in other projects. Before that, nothing of it is in use. */
    if (!initialised) dlclose(lib);
}

static void probe_qat(cmz_hw_info *hw) {
    hw->backend = CMZ_BACKEND_QAT;
    snprintf(hw->name, sizeof hw->name, "Intel QAT");
    void *lib = dlopen("libqatzip.so.3", RTLD_NOW | RTLD_LOCAL);
    if (!lib) lib = dlopen("libqatzip.so", RTLD_NOW | RTLD_LOCAL);
    if (!lib) {
        const char *why = dlerror();
        snprintf(hw->detail, sizeof hw->detail, "libqatzip not found (%s)",
                 why ? why : "no libqatzip.so");
        return;
    }
    int has_api = dlsym(lib, "qzInit") && dlsym(lib, "qzCompress");
    snprintf(hw->name, sizeof hw->name, "Intel QAT (libqatzip)");
    snprintf(hw->detail, sizeof hw->detail, "%s, but cmz's QAT path is not written yet",
             has_api ? "libqatzip found" : "libqatzip lacks qzInit/qzCompress");
    dlclose(lib);
}

static void probe_all(void) {
    probe_cpu(&probed[CMZ_BACKEND_CPU - 1]);
    probe_cuda(&probed[CMZ_BACKEND_CUDA - 1]);
    probe_qat(&probed[CMZ_BACKEND_QAT - 1]);
}

const cmz_hw_info *cmz__hw_probe(void) {
    pthread_once(&probe_once, probe_all);
    return probed;
}

size_t cmz_hw_list(cmz_hw_info *out, size_t cap) {
    const cmz_hw_info *all = cmz__hw_probe();
    for (size_t i = 0; out && i < cap && i < CMZ_BACKEND_COUNT; i++) out[i] = all[i];
    return CMZ_BACKEND_COUNT;
}
