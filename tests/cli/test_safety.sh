#!/usr/bin/env bash
# Safety of cmz's files (docs/CLI.md "Safety of outputs and inputs", "Exit status"): an input
# that changes while it is compressed, signals before and after a file's output is committed,
# inputs that are not regular files, outputs that cannot be read back, an empty -o.
# Events are timed exactly by an LD_PRELOAD hook (tests/cli/io_hook.c): it sends the signal or
# resizes the input at the first read of a file, or right after the rename that commits one.
# Needs CMZ_BIN (the cmz program) and the hook beside it in the build (CMZ_BUILD_DIR).
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

: "${CMZ_BIN:?CMZ_BIN must name the cmz program}"
CMZ=$(cd "$(dirname "$CMZ_BIN")" && pwd)/$(basename "$CMZ_BIN")
HOOK=${CMZ_BUILD_DIR:-$(dirname "$CMZ")}/tests/libcmz_io_hook.so
[[ -f $HOOK ]] || { echo "the I/O hook $HOOK is not built" >&2; exit 1; }
# A sanitized cmz wants its runtime first among the libraries; the hook comes before it.
export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0"

work=$(mktemp -d "${TMPDIR:-/tmp}/cmz-safety.XXXXXX")
trap 'rm -rf "$work"' EXIT
cd "$work"

# shellcheck source=checks.bash
source "$here/checks.bash" # fail, ok, expect
has() { grep -qi -- "$1" "$2" || fail "'$1' not found in $2: $(head -c 400 "$2")"; ok; }
lacks() { ! grep -qi -- "$1" "$2" || fail "'$1' found in $2: $(head -c 400 "$2")"; ok; }
absent() { [[ ! -e $1 ]] || fail "$1 should not exist"; ok; }
same() { cmp -s "$1" "$2" || fail "$1 and $2 differ"; ok; }
no_temp_files() {
    local left
    left=$(find . -name '*.tmp' | head -n 5)
    [[ -z $left ]] || fail "temp files left behind: $left"
    ok
}
# hooked EVENT:SUFFIX SIGNAL RESIZE CMD...: CMD with the hook armed (SIGNAL, RESIZE may be "").
hooked() {
    local on=$1 sig=$2 resize=$3
    shift 3
    env LD_PRELOAD="$HOOK" CMZ_HOOK_ON="$on" ${sig:+CMZ_HOOK_SIGNAL=$(kill -l "$sig")} \
        ${resize:+CMZ_HOOK_RESIZE=$resize} "$@"
}

seq 1 200000 >orig # 1.2 MB of text
fresh() { rm -f "$1" "$1.cmz" "$1.out" && cp orig "$1"; }

# --- an input that shrinks while it is read: exit 1, no output, the input kept -----------------
# 64K chunks: a file of many chunks, read by the workers (without --rm); 1M: read front to back.
for rm in "" --rm; do
    for chunk in 64K 1M; do
        for t in 1 2; do
            for out in beside -o -c; do
                fresh big
                args=(-q $rm --chunk-size "$chunk" -T"$t")
                [[ $out == -o ]] && args+=(-o big.out)
                [[ $out == -c ]] && args+=(-c)
                expect 1 hooked read:/big "" "100000:$work/big" "$CMZ" "${args[@]}" big
                has "shrank" err
                [[ $(stat -c %s big) == 100000 ]] || fail "the input is gone or changed"
                absent big.cmz
                absent big.out
                no_temp_files
            done
        done
    done
done

# --rm: an input that changes after it was read to its end (here: while the output is checked)
# is kept, and so is no output.
fresh big
expect 1 hooked read:.tmp "" "2000000:$work/big" "$CMZ" -q --rm big
has "changed" err
[[ $(stat -c %s big) == 2000000 ]] || fail "the changed input is gone"
absent big.cmz
no_temp_files

# --- a signal before a file's output is committed: no output, input kept, 128+N -----------------
for sig in INT TERM HUP QUIT; do
    for chunk in 64K 1M; do
        fresh big
        want=$((128 + $(kill -l "$sig")))
        expect "$want" hooked read:/big "$sig" "" "$CMZ" -q --rm --chunk-size "$chunk" big
        same orig big
        absent big.cmz
        no_temp_files
    done
done

# --- a signal after the output was committed: the file's job is finished ------------------------
# One file: it is done (its --rm too), so the status is 0 and a line says so.
fresh a
expect 0 hooked rename:a.cmz INT "" "$CMZ" --rm a
has "interrupted after the work was complete" err
absent a
expect 0 "$CMZ" -q -d -c a.cmz
same out orig
no_temp_files
# -q: no line, the same status.
fresh a
expect 0 hooked rename:a.cmz TERM "" "$CMZ" -q --rm a
[[ ! -s err ]] || fail "-q printed: $(cat err)"
absent a
# Files left: 130, and a line names the first one not processed; it is untouched.
fresh a && fresh b
expect 130 hooked rename:a.cmz INT "" "$CMZ" --rm a b
has "not processed: b" err
absent a
same orig b
absent b.cmz
no_temp_files
# Decompression the same.
expect 0 hooked rename:a INT "" "$CMZ" -d --rm a.cmz
same orig a
absent a.cmz

# --- repair: replaced means repaired (0); interrupted before, the file is left as it was ----------
"$CMZ" -q --parity 4:1 --chunk-size 16K -o good.cmz orig
size=$(stat -c %s good.cmz)
cp good.cmz damaged.cmz
printf 'X' | dd of=damaged.cmz bs=1 seek=$((size / 2)) conv=notrunc status=none
cp damaged.cmz r.cmz
expect 0 hooked rename:r.cmz INT "" "$CMZ" repair r.cmz
has "repaired" err
expect 0 "$CMZ" -q -t r.cmz
no_temp_files
# A signal while the written frame is checked: no "did not check out", the file unchanged.
cp damaged.cmz r.cmz
expect 130 hooked read:.tmp INT "" "$CMZ" repair r.cmz
has "left as it was" err
lacks "did not check out" err
same damaged.cmz r.cmz
no_temp_files

# --- outputs that cannot be read back are checked before they are written ----------------------
expect 0 "$CMZ" repair -o /dev/null good.cmz
lacks "did not check out" err
expect 0 "$CMZ" repair -o - damaged.cmz
mv out piped.cmz
expect 0 "$CMZ" -q -d -c piped.cmz
same out orig

# --- an empty output name is a usage error for every command that takes -o --------------------
fresh e
for cmd in "" -d repair; do
    expect 2 "$CMZ" $cmd --output= e
    has "output" err
    expect 2 "$CMZ" $cmd -o '' e
done
absent e.cmz

# --- inputs that are not regular files: refused unless -c or -o says where the output goes -------
mkfifo fifo
expect 1 timeout 10 "$CMZ" fifo # no writer: must not wait for one
has "not a regular file" err
expect 1 timeout 10 "$CMZ" -d fifo
has "not a regular file" err
ln -s /dev/null devnull
expect 1 "$CMZ" devnull
has "not a regular file" err
absent devnull.cmz
{ head -c 300000 orig >fifo & } 2>/dev/null
expect 0 timeout 10 "$CMZ" -c fifo
"$CMZ" -q -d -c <out >fifo.back
same fifo.back <(head -c 300000 orig)
{ head -c 300000 orig >fifo & } 2>/dev/null
expect 0 timeout 10 "$CMZ" -o fifo.cmz fifo
expect 0 "$CMZ" -q -t fifo.cmz
no_temp_files

echo "test_safety: $checks checks passed"
