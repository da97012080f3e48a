/* libcmz — umbrella header: include this to get the whole public API. */
#ifndef CMZ_CMZ_H
#define CMZ_CMZ_H

#include "cmz/common.h"
#include "cmz/file.h"
#include "cmz/codec.h"
#include "cmz/frame.h"
#include "cmz/parallel.h"
#include "cmz/policy.h"
#include "cmz/registry.h"
#include "cmz/salvage.h"
#include "cmz/release.h"
#include "cmz/snapshot.h"
#include "cmz/hw.h"

#endif
