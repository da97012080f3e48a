#!/usr/bin/env bash
# The CUDA probe (src/hw/detect.c) against a stand-in driver (tests/hw/fake_cuda.c, built as
# libcuda.so.1 in the build tree): a device is named with its memory and multiprocessors, and
# still absent (no plugin in this build), and every failure of the driver gives a reason.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")/../cli" && pwd)
: "${CMZ_BIN:?CMZ_BIN must name the cmz program}"
: "${CMZ_FAKE_CUDA_DIR:?CMZ_FAKE_CUDA_DIR must name the folder of the stand-in libcuda.so.1}"
work=$(mktemp -d "${TMPDIR:-/tmp}/cmz-probe.XXXXXX")
trap 'rm -rf "$work"' EXIT
cd "$work"
# shellcheck source=../cli/checks.bash
source "$here/checks.bash" # fail, ok, expect
unset CMZ_BACKEND
cuda_row() { grep -E '^cuda ' out; }
probe() { FAKE_CUDA=$1 LD_LIBRARY_PATH="$CMZ_FAKE_CUDA_DIR" expect 0 "$CMZ_BIN" hw; }

probe ok
cuda_row | grep -q 'absent   Fake H100 80GB HBM3' || fail "device named: $(cuda_row)"; ok
# the fake says 80 GiB, or 3 GiB where size_t is 32-bit (the API reports memory in a size_t)
mem=80.0
"$CMZ_BIN" --version | grep -q '(32-bit)' && mem=3.0
cuda_row | grep -q "$mem GiB *132 " || fail "memory and SMs: $(cuda_row)"; ok
cuda_row | grep -q '1 device(s) found, but this build has no CUDA plugin' || fail "reason"; ok
probe noinit
cuda_row | grep -q 'cuInit failed (CUDA error 100' || fail "cuInit: $(cuda_row)"; ok
probe nodevice
cuda_row | grep -q 'no CUDA device' || fail "no device: $(cuda_row)"; ok
probe getfail
cuda_row | grep -q 'cuDeviceGet(0) failed (CUDA error 101)' || fail "cuDeviceGet: $(cuda_row)"; ok
# the fallback names the probe's reason
FAKE_CUDA=ok LD_LIBRARY_PATH="$CMZ_FAKE_CUDA_DIR" CMZ_BACKEND=cuda expect 0 "$CMZ_BIN" hw
grep -q '^chosen: cpu (cuda was asked for by CMZ_BACKEND=cuda but is absent: 1 device(s) found' out ||
    fail "fallback reason: $(grep chosen out)"; ok
echo "test_probe: $checks checks passed"
