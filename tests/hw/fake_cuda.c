/* A stand-in for the NVIDIA driver (libcuda.so.1) with the entry points cmz's probe uses, so
 * that the probe's paths run on machines without a GPU (tests/hw/test_probe.sh). FAKE_CUDA
 * picks the behaviour: "ok" (one H100-like device), "noinit" (cuInit fails), "nodevice" (no
 * device), "getfail" (cuDeviceGet fails). Not a CUDA implementation: nothing else exists. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static int mode(const char *m) {
    const char *v = getenv("FAKE_CUDA");
    return v && strcmp(v, m) == 0;
}

int cuInit(unsigned flags) {
    (void)flags;
    return mode("noinit") ? 100 : 0; /* CUDA_ERROR_NO_DEVICE */
}
int cuDeviceGetCount(int *count) {
    *count = mode("nodevice") ? 0 : 1;
    return 0;
}
int cuDeviceGet(int *dev, int ordinal) {
    *dev = ordinal;
    return mode("getfail") ? 101 : 0; /* CUDA_ERROR_INVALID_DEVICE */
}
int cuDeviceGetName(char *name, int len, int dev) {
    (void)dev;
    strncpy(name, "Fake H100 80GB HBM3", (size_t)len - 1);
    name[len - 1] = 0;
    return 0;
}
int cuDeviceTotalMem_v2(size_t *bytes, int dev) {
    (void)dev;
#if SIZE_MAX > 0xFFFFFFFFu
    *bytes = (size_t)80 << 30;
#else /* a 32-bit driver's size_t cannot hold 80 GiB (tests/hw/test_probe.sh) */
    *bytes = (size_t)3 << 30;
#endif
    return 0;
}
int cuDeviceGetAttribute(int *value, int attribute, int dev) {
    (void)dev;
    *value = attribute == 16 ? 132 : 0; /* CU_DEVICE_ATTRIBUTE_MULTIPROCESSOR_COUNT */
    return 0;
}
