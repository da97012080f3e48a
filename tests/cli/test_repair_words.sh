#!/usr/bin/env bash
# What `cmz repair` says (docs/CLI.md): an intact file is called intact, in place or with -o
# (which still writes the copy, byte for byte), on a terminal or with -v; a damaged one is
# called repaired. Exit 0 in each case. Needs CMZ_BIN (the cmz program).
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

: "${CMZ_BIN:?CMZ_BIN must name the cmz program}"
CMZ=$(cd "$(dirname "$CMZ_BIN")" && pwd)/$(basename "$CMZ_BIN")

work=$(mktemp -d "${TMPDIR:-/tmp}/cmz-repair-words.XXXXXX")
trap 'rm -rf "$work"' EXIT
cd "$work"

# shellcheck source=checks.bash
source "$here/checks.bash" # fail, ok, expect
has() { grep -q -- "$1" "$2" || fail "'$1' not found in $2: $(head -c 400 "$2")"; ok; }
lacks() { ! grep -q -- "$1" "$2" || fail "'$1' found in $2: $(head -c 400 "$2")"; ok; }
same() { cmp -s "$1" "$2" || fail "$1 and $2 differ"; ok; }

seq 1 60000 >text
expect 0 "$CMZ" -q --parity 4:1 --chunk-size 64K -o a.cmz text
cp a.cmz a.saved

# intact, -o OUT: the copy is written, and the words say intact, not repaired; as in place,
# said on a terminal or with -v (stderr is a file here)
expect 0 "$CMZ" repair -o b.cmz a.cmz
lacks "repaired" err
same b.cmz a.saved
same a.cmz a.saved
expect 0 "$CMZ" repair -v -f -o b.cmz a.cmz
has "a.cmz: intact; nothing to repair, copied -> b.cmz" err
lacks "repaired" err
same b.cmz a.saved

# intact, in place: untouched, said intact
expect 0 "$CMZ" repair a.cmz
lacks "repaired" err
expect 0 "$CMZ" repair -v a.cmz
has "a.cmz: intact; nothing to repair" err
lacks "repaired" err
same a.cmz a.saved

# -q: nothing said
expect 0 "$CMZ" repair -q -f -o b.cmz a.cmz
[[ ! -s err ]] || fail "-q printed: $(cat err)"
ok

# damaged: repaired, in place and with -o
size=$(stat -c %s a.cmz)
printf 'X' | dd of=a.cmz bs=1 seek=$((size / 3)) conv=notrunc status=none
cp a.cmz d.cmz
expect 0 "$CMZ" repair -o e.cmz d.cmz
has "d.cmz: repaired" err
has "e.cmz" err
same e.cmz a.saved
expect 0 "$CMZ" repair a.cmz
has "a.cmz: repaired" err
same a.cmz a.saved
echo "repair words: $checks checks passed"
