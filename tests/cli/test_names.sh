#!/usr/bin/env bash
# "planes" names two things that users type: a filter (--filter planes: float byte planes) and
# a codec (-a planes: byte-plane rANS). Every text that shows them tells which one it means:
# cmz --help, cmz codecs, cmz policy --help and the errors about typesize.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
: "${CMZ_BIN:?CMZ_BIN must name the cmz program}"
CMZ=$(cd "$(dirname "$CMZ_BIN")" && pwd)/$(basename "$CMZ_BIN")
work=$(mktemp -d "${TMPDIR:-/tmp}/cmz-names.XXXXXX")
trap 'rm -rf "$work"' EXIT
cd "$work"
# shellcheck source=checks.bash
source "$here/checks.bash" # fail, ok, expect
unset CMZ_BACKEND CMZ_CONFIG
has() { grep -q -- "$1" "$2" || fail "'$1' not found in $2: $(head -c 600 "$2")"; ok; }

# --- cmz --help: both, each named for what it is; -a lists every codec -------------------------
expect 0 "$CMZ" --help
has "the planes codec" out
has "the planes filter" out
has "rans" out

# --- cmz policy --help ------------------------------------------------------------------------
expect 0 "$CMZ" policy --help
has "the planes codec" out
has "the planes filter" out

# --- cmz codecs: a line that says what each codec is -------------------------------------------
expect 0 "$CMZ" codecs
grep -E '^planes ' out >planes_row || fail "cmz codecs lists no planes codec: $(cat out)"
has "byte-plane rANS" planes_row
grep -E '^rans ' out >rans_row || fail "cmz codecs lists no rans codec: $(cat out)"
has "rANS" rans_row
awk '$1 == "default:" { found = 1 } END { exit !found }' out || fail "no default line: $(cat out)"
ok

# --- errors about typesize name the codec, not a bare "planes" ---------------------------------
head -c 4096 /dev/zero >data
expect 2 "$CMZ" -q -c --typesize 3 -a planes data
has "the planes codec" err
expect 2 "$CMZ" -q -c --typesize 3 --filter planes data
has "the planes filter" err

# a policy type with a typesize and no filter: the message offers the filter or the codec
cat >bad.yaml <<'YAML'
compression_policy:
  default:
    algorithm: zstd
    level: 3
    chunk_size: 1MB
    auto_compress: false
    threshold_mb: 0
    priority: medium
  weights:
    algorithm: zstd
    level: 3
    chunk_size: 1MB
    auto_compress: false
    threshold_mb: 0
    priority: medium
    typesize: 4
YAML
expect 1 "$CMZ" policy verify bad.yaml
has "the planes codec" err

echo "test_names: $checks checks passed"
