#!/usr/bin/env bash
# Arguments of the cmz program (docs/CLI.md): numbers parsed strictly (no wrap, sign, junk or
# empty value; each bad value a usage error naming the option, the value and the valid range),
# size units, CMZ_BACKEND, zstd's negative levels (--level=-N, --fast[=N]), global options
# before the command word, and every command's writes to stdout checked (> /dev/full).
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
: "${CMZ_BIN:?CMZ_BIN must name the cmz program}"
CMZ=$(cd "$(dirname "$CMZ_BIN")" && pwd)/$(basename "$CMZ_BIN")
work=$(mktemp -d "${TMPDIR:-/tmp}/cmz-args.XXXXXX")
trap 'rm -rf "$work"' EXIT
cd "$work"
# shellcheck source=checks.bash
source "$here/checks.bash" # fail, ok, expect
unset CMZ_BACKEND CMZ_CONFIG
has() { grep -qi -- "$1" "$2" || fail "'$1' not found in $2: $(head -c 400 "$2")"; ok; }
absent() { [[ ! -e $1 ]] || fail "$1 should not exist"; ok; }

seq 1 60000 >text
expect 0 "$CMZ" -q -k text
expect 0 "$CMZ" -q --chunk-size 64K --parity 4:1 -o par.cmz text

# --- every command's writes to stdout are checked ---------------------------------------------
full() { # full CMD...: with stdout on /dev/full, exits 1 and says why
    local got=0
    "$@" >/dev/full 2>err || got=$?
    [[ $got == 1 ]] || fail "'$*' > /dev/full exited $got, expected 1"
    grep -qi "stdout\|standard output\|no space" err || fail "'$*' > /dev/full: no message"
    ok
}
if [[ -w /dev/full ]]; then
    full "$CMZ" --help
    full "$CMZ" -h
    full "$CMZ" --version
    full "$CMZ" -qV
    full "$CMZ" -vV
    full "$CMZ" codecs
    full "$CMZ" codecs --help
    full "$CMZ" hw
    full "$CMZ" hw --help
    full "$CMZ" info text.cmz
    full "$CMZ" -l -v text.cmz
    full "$CMZ" cat text.cmz
    full "$CMZ" cat --range 10:20 text.cmz
    full "$CMZ" -c text
    full "$CMZ" -d -c text.cmz
    full "$CMZ" -d -o - text.cmz
    full "$CMZ" compress --help
    full "$CMZ" decompress --help
    full "$CMZ" bench --help
    for fmt in "" --csv --json; do
        # shellcheck disable=SC2086 # $fmt is empty or one word
        full "$CMZ" bench -q -a lz4 --size 4K --time 0 --no-filters -T1 $fmt
    done
    absent text.cmz.cmz
fi

# --- numbers: strict, in range, each bad value named with its option and range --------------
bad_value() { # bad_value OPTION VALUE CMD...: exit 2, the message names option and value
    local opt=$1 value=$2
    shift 2
    expect 2 "$@"
    has "$opt" err
    has "'$value'" err
    grep -q "valid" err || fail "'$*': the valid range is not given: $(cat err)"
    ok
    [[ ! -s out ]] || fail "'$*' wrote to stdout"
    ok
}
bad_value --parity 4294967300:2 "$CMZ" -q --parity 4294967300:2 -c text
bad_value --parity 2:4294967297 "$CMZ" -q --parity 2:4294967297 -c text
bad_value --parity -1:2 "$CMZ" -q --parity=-1:2 -c text
bad_value --parity 4:+1 "$CMZ" -q --parity 4:+1 -c text
bad_value --parity 4:1x "$CMZ" -q --parity 4:1x -c text
bad_value --parity 4: "$CMZ" -q --parity 4: -c text
bad_value --parity 200:56 "$CMZ" -q --parity 200:56 -c text
bad_value --typesize 0 "$CMZ" -q --typesize 0 -c text
bad_value --typesize 0 "$CMZ" -q --filter shuffle --typesize 0 -c text
expect 2 "$CMZ" -q --filter shuffle --typesize 3 -c text # in range: the filter's rule says no
has "typesize 3" err
has "2, 4 or 8" err
bad_value --typesize 4294967298 "$CMZ" -q --filter shuffle --typesize 4294967298 -c text
bad_value --threads 4294967297 "$CMZ" -q --threads 4294967297 -c text
bad_value -T -1 "$CMZ" -q -T -1 -c text
bad_value -T 2x "$CMZ" -q -T2x -c text
bad_value -T '' "$CMZ" -q -T '' -c text
bad_value --chunk-size 4k "$CMZ" -q --chunk-size 4k -c text
bad_value --chunk-size 4kb "$CMZ" -q --chunk-size 4kb -c text
bad_value --chunk-size 4Ki "$CMZ" -q --chunk-size 4Ki -c text
bad_value --chunk-size 8 "$CMZ" -q --chunk-size 8 -c text
bad_value --chunk-size 2G "$CMZ" -q --chunk-size 2G -c text
bad_value --chunk-size 18446744073709551617 "$CMZ" -q --chunk-size 18446744073709551617 -c text
bad_value --chunk-size ' 64K' "$CMZ" -q --chunk-size ' 64K' -c text
bad_value --memory-limit 0 "$CMZ" -q -d --memory-limit 0 -c text.cmz
bad_value --memory-limit 16E "$CMZ" -q -d --memory-limit 16E -c text.cmz
bad_value --range 1:-2 "$CMZ" cat --range 1:-2 text.cmz
bad_value --range 99999999999999999999 "$CMZ" cat --range 99999999999999999999 text.cmz
bad_value --level 3x "$CMZ" -q --level 3x -c text
bad_value --level '' "$CMZ" -q --level= -c text
bad_value --level 99999999999 "$CMZ" -q --level=99999999999 -c text
bad_value --fast 0 "$CMZ" -q --fast=0 -c text
bad_value --fast x "$CMZ" -q --fast=x -c text
bad_value -T 999 "$CMZ" bench -T999 -a lz4
bad_value -T x "$CMZ" bench -Tx -a lz4
bad_value --size 4k "$CMZ" bench --size 4k -a lz4
bad_value --time nan "$CMZ" bench --time nan -a lz4
for t in 0x1 +1 ' 1' 1e-2 .5 1. -0; do # decimal digits only, as every number
    bad_value --time "$t" "$CMZ" bench --time "$t" -a lz4
done
bad_value --typesize 3 "$CMZ" bench --typesize 3 -a lz4 text
bad_value -l 1x "$CMZ" bench -a lz4 -l 1x
# the units that are sizes: K, M, G, T alone or with B or iB, and B alone
for s in 64K 64KB 64KiB 1M 1MB 1MiB 65536 65536B; do
    expect 0 "$CMZ" -q --chunk-size "$s" -c text
done
expect 0 "$CMZ" -q -d --memory-limit 1G -c text.cmz
expect 0 "$CMZ" cat --range 0:1K text.cmz
[[ $(wc -c <out) == 1024 ]] || fail "--range 0:1K"; ok
expect 0 "$CMZ" -q --filter shuffle --typesize 4 -o ts.cmz text
expect 0 "$CMZ" -l -v ts.cmz
has "typesize 4" out

# --- CMZ_BACKEND: an invalid value is a usage error, as --hw=gpu is --------------------------
for cmd in "-q -k -f text" "-q -d -c text.cmz" "hw"; do
    # shellcheck disable=SC2086 # $cmd is several words
    CMZ_BACKEND=nonsense expect 2 "$CMZ" $cmd
    has "CMZ_BACKEND" err
    has "nonsense" err
done
expect 2 "$CMZ" --hw=gpu -q -c text
has "gpu" err
CMZ_BACKEND=cpu expect 0 "$CMZ" -q -c text
CMZ_BACKEND='' expect 0 "$CMZ" -q -c text

# --- zstd's negative levels: --level=-N, --fast[=N]; recorded in the frame ------------------
if "$CMZ" codecs | grep -q '^zstd '; then # a build without zstd has none of this
    expect 0 "$CMZ" codecs
    grep -qE '^zstd +1 +-[0-9]+\.\.22 ' out || fail "cmz codecs shows zstd's negative levels: $(cat out)"
    ok
    for args in "--level=-5:-5" "--level -1:-1" "--fast:-1" "--fast=3:-3" "--level=-100:-100"; do
        flag=${args%:*} want=${args##*:}
        # shellcheck disable=SC2086 # $flag is one or two words
        expect 0 "$CMZ" -q $flag --chunk-size 64K -o neg.cmz -f text
        expect 0 "$CMZ" -l neg.cmz
        has "zstd, level $want\$" out
        expect 0 "$CMZ" -q -d -c neg.cmz
        cmp -s out text || fail "$flag: round trip"
        ok
    done
    expect 0 "$CMZ" -q --level=0 -o zero.cmz -f text # zstd's 0 is its default level, as in libzstd
    expect 0 "$CMZ" -l zero.cmz
    has "zstd, level 3\$" out
    expect 2 "$CMZ" -q --level=-101 -c text
    has "valid: -100..22" err
else
    echo "zstd is not compiled in: its levels are not tested"
fi
expect 2 "$CMZ" -q -a lz4 --level=-1 -c text
has "lz4" err
expect 2 "$CMZ" -q -a lz4 --fast -c text
expect 0 "$CMZ" --help
has "--fast" out

# --- global options before the command word ------------------------------------------------
cp par.cmz repair
expect 0 "$CMZ" -q repair par.cmz                 # the command, not a file named "repair"
absent repair.cmz
[[ ! -s err ]] || fail "-q: repair said something"; ok
expect 0 "$CMZ" -v test par.cmz
has "OK" err
expect 0 "$CMZ" -T 2 --memory-limit 64M -v -q test par.cmz
[[ ! -s err ]] || fail "-q after -v"; ok
expect 0 "$CMZ" --threads=1 -vv info par.cmz
has "parity" out                                  # -vv reached info
expect 0 "$CMZ" -qT2 cat --range 0:5 par.cmz
[[ $(cat out) == "$(head -c 5 text)" ]] || fail "cat after -qT2"; ok
expect 0 "$CMZ" -q -- repair                      # "--": the file named repair is compressed
[[ -e repair.cmz ]] || fail "cmz -q -- repair compresses the file"; ok
printf 'level: [1\n' >conf.yaml
expect 1 "$CMZ" --config conf.yaml policy list     # --config reached the policy command
has "conf.yaml:2" err
expect 0 "$CMZ" -v policy list
expect 2 "$CMZ" -T 2 codecs                        # as 'cmz codecs -T 2': not its option
expect 1 "$CMZ" decompres                          # a typo of a command, first
has "unknown command" err
expect 1 "$CMZ" -q missing-file                    # after options, a word no command is a file
has "missing-file: No such file" err
expect 2 "$CMZ" -T                                 # a global option without its value
echo "test_args: $checks checks passed"
