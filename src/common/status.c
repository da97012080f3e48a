#include "internal.h"

#include <stdio.h>
#include <string.h>
#include <unistd.h>

const char *cmz_version(void) { return CMZ_VERSION_STRING; }
unsigned cmz_version_number(void) { return CMZ_VERSION_NUMBER; }

const char *cmz_strerror(cmz_status status) {
    switch (status) {
#define CMZ_STATUS_TEXT_(name, value, msg) \
    case CMZ_##name: return msg;
        CMZ_STATUS_MAP(CMZ_STATUS_TEXT_)
#undef CMZ_STATUS_TEXT_
    }
    return "unknown status";
}

const char *cmz_status_name(cmz_status status) {
    switch (status) {
#define CMZ_STATUS_NAME_(name, value, msg) \
    case CMZ_##name: return "CMZ_" #name;
        CMZ_STATUS_MAP(CMZ_STATUS_NAME_)
#undef CMZ_STATUS_NAME_
    }
    return "unknown";
}

void cmz_error_clear(cmz_error *err) {
    if (!err) return;
    err->status = CMZ_OK;
    err->chunk = CMZ_NO_POSITION;
    err->offset = CMZ_NO_POSITION;
    err->message[0] = '\0';
    memset(err->reserved, 0, sizeof err->reserved);
}

static cmz_status fail_v(cmz_error *err, cmz_status status, uint64_t chunk, uint64_t offset,
                         const char *fmt, va_list ap) {
    if (!err) return status;
    err->status = status;
    err->chunk = chunk;
    err->offset = offset;
    vsnprintf(err->message, sizeof err->message, fmt, ap);
    memset(err->reserved, 0, sizeof err->reserved);
    return status;
}

cmz_status cmz__fail(cmz_error *err, cmz_status status, uint64_t chunk, uint64_t offset,
                     const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    fail_v(err, status, chunk, offset, fmt, ap);
    va_end(ap);
    return status;
}

cmz_status cmz__error(cmz_error *err, cmz_status status, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    fail_v(err, status, CMZ_NO_POSITION, CMZ_NO_POSITION, fmt, ap);
    va_end(ap);
    return status;
}

unsigned cmz_cpu_count(void) {
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    return n > 0 ? (unsigned)n : 1u;
}

cmz_status cmz__reserved_check(const uint64_t *reserved, size_t words, const char *owner,
                               cmz_error *err) {
    for (size_t i = 0; i < words; i++)
        if (reserved[i] != 0)
            return cmz__error(err, CMZ_ERR_INVALID_ARG,
                              "%s.reserved[%zu] is not zero: a field of a newer cmz than this "
                              "library (%s)",
                              owner, i, cmz_version());
    return CMZ_OK;
}
