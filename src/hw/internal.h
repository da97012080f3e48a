/* The hw layer's internals: the probes (detect.c) that cmz_hw_list and cmz_hw_best share. */
#ifndef CMZ_HW_INTERNAL_H
#define CMZ_HW_INTERNAL_H

#include "../common/internal.h"
#include "cmz/hw.h"

/* The probe result of every backend, indexed by backend - 1; probed once per process. */
const cmz_hw_info *cmz__hw_probe(void);

#endif
