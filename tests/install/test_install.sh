#!/usr/bin/env bash
# `cmake --install` into a temporary prefix, then build a separate project against it with
# find_package(cmz) (shared and static targets) and with pkg-config, and run both.
set -euo pipefail
: "${CMZ_BUILD_DIR:?}" "${CMZ_SOURCE_DIR:?}"
if [ -n "${CMZ_SANITIZE:-}" ]; then
  echo "skipped: the install check runs in the plain build only"; exit 0
fi
work=$(mktemp -d "${TMPDIR:-/tmp}/cmzinstall.XXXXXX")
trap 'rm -rf "$work"' EXIT
cmake --install "$CMZ_BUILD_DIR" --prefix "$work/prefix" > /dev/null
test -x "$work/prefix/bin/cmz" && test -L "$work/prefix/bin/uncmz"
test -f "$work/prefix/include/cmz/cmz.h"

cmake -S "$CMZ_SOURCE_DIR/tests/install/consumer" -B "$work/build" \
  -DCMAKE_PREFIX_PATH="$work/prefix" -Wno-dev > /dev/null
cmake --build "$work/build" > /dev/null
LD_LIBRARY_PATH="$work/prefix/lib:$work/prefix/lib64:${LD_LIBRARY_PATH:-}" "$work/build/consumer_shared"
"$work/build/consumer_static"

libdir=$(dirname "$(find "$work/prefix" -name cmz.pc | head -n 1)")
export PKG_CONFIG_PATH="$libdir"
# shellcheck disable=SC2046
cc -o "$work/consumer_pc" "$CMZ_SOURCE_DIR/tests/install/consumer/consumer.c" \
  $(pkg-config --cflags cmz) $(pkg-config --libs cmz)
LD_LIBRARY_PATH="$work/prefix/lib:$work/prefix/lib64" "$work/consumer_pc"
# shellcheck disable=SC2046
cc -o "$work/consumer_pc_static" "$CMZ_SOURCE_DIR/tests/install/consumer/consumer.c" \
  $(pkg-config --cflags cmz) "$libdir/../libcmz.a" $(pkg-config --libs --static cmz | sed 's/-lcmz//')
"$work/consumer_pc_static"
echo "install: find_package and pkg-config consumers OK"
