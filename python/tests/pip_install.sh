#!/usr/bin/env bash
# `pip install --no-build-isolation ./python` works offline against this build's libcmz:
# installs a copy of python/ (so that the source tree stays clean) into a temporary target
# and imports it from there, with no PYTHONPATH to the build tree.
# Needs CMZ_BUILD_DIR (a CMake build of this repository, with libcmz.so).
set -euo pipefail
: "${CMZ_BUILD_DIR:?CMZ_BUILD_DIR must name the build folder}"
here=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
work=$(mktemp -d "${TMPDIR:-/tmp}/cmz-pip.XXXXXX")
trap 'rm -rf "$work"' EXIT
cp -r "$here" "$work/src"
rm -rf "$work/src/build" "$work/src"/*.egg-info
export CMZ_BUILD_DIR PIP_NO_INDEX=1 PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_ROOT_USER_ACTION=ignore
/usr/bin/python3 -m pip install -q --no-build-isolation --target "$work/site" "$work/src"
cd "$work"
env -u PYTHONPATH PYTHONPATH="$work/site" /usr/bin/python3 -c '
import cmz, sys
assert cmz.__file__.startswith(sys.argv[1]), cmz.__file__
assert cmz.decompress(cmz.compress(b"x" * 10**6)) == b"x" * 10**6
print("ok: pip-installed cmz", cmz.__version__, "from", cmz.__file__)
' "$work/site"
