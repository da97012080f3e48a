#!/usr/bin/env bash
# `cmz hw` and `--hw` (docs/HW.md): the listing has every backend with a reason when absent;
# an absent backend asked for falls back to the CPU with a message and the work is done; a
# bad backend name is a usage error; the planes codec with --typesize round-trips.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
: "${CMZ_BIN:?CMZ_BIN must name the cmz program}"
CMZ=$(cd "$(dirname "$CMZ_BIN")" && pwd)/$(basename "$CMZ_BIN")
work=$(mktemp -d "${TMPDIR:-/tmp}/cmz-hw.XXXXXX")
trap 'rm -rf "$work"' EXIT
cd "$work"
# shellcheck source=checks.bash
source "$here/checks.bash" # fail, ok, expect
unset CMZ_BACKEND

expect 0 "$CMZ" hw
[[ $(grep -c -E '^(cpu|cuda|qat) +(present|absent) ' out) == 3 ]] || fail "three backends"; ok
grep -q -E '^cpu +present ' out || fail "the CPU is always present"; ok
grep -q '^chosen: ' out || fail "the automatic choice is shown"; ok
while read -r name state _; do # every absent backend says why
    [[ $state == absent ]] || continue
    grep -E "^$name " out | grep -q -E 'not found|no |cannot|lacks|failed' || fail "$name: no reason"
    ok
done < <(grep -E '^(cuda|qat) ' out)
expect 0 "$CMZ" hw --help
expect 2 "$CMZ" hw extra

head -c 300000 /dev/urandom >data
seq 1 40000 >>data
for b in cuda qat; do
    state=$("$CMZ" hw | awk -v b="$b" '$1 == b {print $2}')
    expect 0 "$CMZ" --hw "$b" -f -k data
    if [[ $state == absent ]]; then
        grep -q "backend cpu: $b was asked for .* but is absent" err || fail "--hw $b: fallback said"; ok
    fi
    expect 0 "$CMZ" -d -c data.cmz
    cmp -s out data || fail "--hw $b: round trip"; ok
    CMZ_BACKEND=$b expect 0 "$CMZ" -q -f -k data
    [[ ! -s err ]] || fail "-q keeps the fallback quiet"; ok
done
expect 0 "$CMZ" --hw=cpu -f -k data
[[ ! -s err ]] || fail "--hw cpu: nothing to say"; ok
expect 2 "$CMZ" --hw gpu data
grep -q "unknown backend 'gpu'" err || fail "bad backend named"; ok

# planes codec: typesize 2 recorded with no filter, round trip; typesize 3 refused
python3 -c "
import struct, random
random.seed(3)
open('w.bin','wb').write(b''.join(struct.pack('<f', random.gauss(0, 0.05))[2:] for _ in range(200000)))"
expect 0 "$CMZ" -a planes --typesize 2 -f -k w.bin
expect 0 "$CMZ" -l -v w.bin.cmz
grep -q 'typesize 2' out || fail "typesize recorded"; ok
expect 0 "$CMZ" -d -c w.bin.cmz
cmp -s out w.bin || fail "planes round trip"; ok
[[ $(stat -c %s w.bin.cmz) -lt $(( $(stat -c %s w.bin) * 70 / 100 )) ]] || fail "planes on bf16 <= 0.70"; ok
expect 2 "$CMZ" -a planes --typesize 3 -f w.bin
echo "test_hw: $checks checks passed"
