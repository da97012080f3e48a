#!/usr/bin/env bash
# bench_registry_scale (docs/BENCH.md) at a tiny size, so that it cannot rot: it runs, checks
# its own round trips, prints a table per count with every operation measured for the lz4
# type, and the flatness lines; usage errors exit 2. Skipped (77) where the benchmarks are not
# built (CMZ_BUILD_BENCH=OFF, or a build without zstd or lz4).
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
: "${CMZ_BUILD_DIR:?CMZ_BUILD_DIR must name the build folder}"
BENCH=$CMZ_BUILD_DIR/bench/bench_registry_scale
[[ -x $BENCH ]] || { echo "bench_registry_scale not built: skipped"; exit 77; }
work=$(mktemp -d "${TMPDIR:-/tmp}/cmz-scale.XXXXXX")
trap 'rm -rf "$work"' EXIT
cd "$work"
# shellcheck source-path=SCRIPTDIR source=../cli/checks.bash
source "$here/../cli/checks.bash" # fail, ok, expect
has() { grep -q -- "$1" "$2" || fail "'$1' not found in $2: $(head -c 600 "$2")"; ok; }

expect 0 "$BENCH" --counts 120,240 --ops 20 --shards 1
has '^== 120 resources of 4\.\.64 KiB' out
has '^== 240 resources of 4\.\.64 KiB' out
has 'peak RSS .* x budget (bar <= 1.10)' out
has 'reaper [0-9]* steps' out
# Every operation has a row, and the lz4 type (temp_buffers, first column) a figure in each
# of them at both counts: a probe the reaper always takes first would show as '-'.
for op in 'add' 'get \(raw\)' 'get \(compressed\)' 'replace' 'pin\+unpin' 'release' 'rollback'; do
    n=$(grep -cE "^  $op +[0-9]+ \([0-9.]+x [cd]\)" out || true)
    [[ $n == 2 ]] || fail "row '$op': $n of 2 tables have a temp_buffers figure"
    ok
done
# The flatness section compares the second count with the first.
has '^flatness: median at N / median at 120' out
has '^  add, temp_buffers  *240: [0-9.]*$' out
has '^  release, thumbnails  *240: [0-9.]*$' out

expect 2 "$BENCH" --counts 5
expect 2 "$BENCH" --counts 100,x
expect 2 "$BENCH" --ops 0
expect 2 "$BENCH" --frobnicate
echo "ok: $checks checks"
