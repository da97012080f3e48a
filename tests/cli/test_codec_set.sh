#!/usr/bin/env bash
# What a build's set of codecs gives the cmz program, whichever codecs it has (make
# test-minimal builds one without zstd): the default codec is one compiled in, every frame
# of a compiled-in codec decodes (decoding takes no compression parameters), and a codec
# that is not compiled in is named as such, by -a and when a frame needs it.
# Needs CMZ_BIN (the cmz program).
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

: "${CMZ_BIN:?CMZ_BIN must name the cmz program}"
CMZ=$(cd "$(dirname "$CMZ_BIN")" && pwd)/$(basename "$CMZ_BIN")

work=$(mktemp -d "${TMPDIR:-/tmp}/cmz-codec-set.XXXXXX")
trap 'rm -rf "$work"' EXIT
cd "$work"

# shellcheck source=checks.bash
source "$here/checks.bash" # fail, ok, expect

seq 1 60000 >text

# --- the compiled-in codecs, and the default among them -------------------------------------
expect 0 "$CMZ" codecs
cp out codecs.txt
compiled=$(awk 'NR > 1 && $1 != "default:" { print $1 }' codecs.txt)
default=$(awk '$1 == "default:" { print $2 }' codecs.txt)
[[ -n $default ]] || fail "cmz codecs names no default codec: $(cat codecs.txt)"
grep -qx "$default" <<<"$compiled" || fail "default codec $default is not compiled in: $compiled"
if grep -qx zstd <<<"$compiled"; then
    [[ $default == zstd ]] || fail "zstd is compiled in but the default is $default"
fi
ok

# Compressing without -a uses that codec; the frame says so.
expect 0 "$CMZ" -q -k text
expect 0 "$CMZ" info text.cmz
grep -qE "codec: +$default," out || fail "info of a default frame: $(cat out)"
ok

# --- every compiled-in codec's frame decodes: -d, -t, cat, info ------------------------------
for c in $compiled; do
    [[ $c == planes ]] && opts=(--typesize 4) || opts=()
    expect 0 "$CMZ" -q -f -a "$c" "${opts[@]}" --chunk-size 16K -o "t.$c.cmz" text
    expect 0 "$CMZ" -q -d -f -T2 -o "t.$c.out" "t.$c.cmz"
    cmp -s text "t.$c.out" || fail "$c: -d gave other bytes"
    expect 0 "$CMZ" -q -t "t.$c.cmz"
    expect 0 "$CMZ" cat --range 1000:5000 "t.$c.cmz"
    cmp -s out <(tail -c +1001 text | head -c 5000) || fail "$c: cat --range gave other bytes"
    expect 0 "$CMZ" -q -d -c <"t.$c.cmz"
    cmp -s out text || fail "$c: -d from a pipe gave other bytes"
    ok
done

# The decoder's own parameters reach it: threads above, the memory limit here.
expect 1 "$CMZ" --memory-limit 4K -t "t.$default.cmz"
grep -q "memory limit" err || fail "--memory-limit 4K: $(cat err)"
ok

# --- a codec that is not compiled in ----------------------------------------------------------
for c in zstd lz4 gzip bzip2 lzma snappy brotli; do
    grep -qx "$c" <<<"$compiled" && continue
    expect 2 "$CMZ" -q -a "$c" -c text
    grep -q "not compiled into this build" err || fail "-a $c: $(cat err)"
    ok
done

echo "test_codec_set: $checks checks passed (codecs: $(echo $compiled); default $default)"
