#!/usr/bin/env bash
# Behaviour of the cmz program: compress/decompress/test/info/cat, names, pipes, overwrite
# rules, --rm, damage reports, usage errors, exit codes and interruption (docs/CLI.md).
# Needs CMZ_BIN (the cmz program); uncmz is the symlink beside it.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

: "${CMZ_BIN:?CMZ_BIN must name the cmz program}"
CMZ=$(cd "$(dirname "$CMZ_BIN")" && pwd)/$(basename "$CMZ_BIN")
UNCMZ=$(dirname "$CMZ")/uncmz

work=$(mktemp -d "${TMPDIR:-/tmp}/cmz-cli.XXXXXX")
bg_pids=()
cleanup() {
    for p in "${bg_pids[@]}"; do kill "$p" 2>/dev/null || true; done
    rm -rf "$work"
}
trap cleanup EXIT
cd "$work"
if [[ ! -x $UNCMZ ]]; then # the build makes it; make one if this build did not
    ln -s "$CMZ" "$work/uncmz"
    UNCMZ=$work/uncmz
fi

# shellcheck source=checks.bash
source "$here/checks.bash" # fail, ok, expect
# same_as FILE1 FILE2: byte-identical.
same() { cmp -s "$1" "$2" || fail "$1 and $2 differ"; ok; }
has() { grep -qi -- "$1" "$2" || fail "'$1' not found in $2: $(head -c 400 "$2")"; ok; }
absent() { [[ ! -e $1 ]] || fail "$1 should not exist"; ok; }
no_temp_files() { # no "NAME.XXXXXX.tmp" left in the folder $1
    local left
    left=$(find "$1" -maxdepth 1 -name '*.tmp' | head -n 5)
    [[ -z $left ]] || fail "temp files left behind: $left"
    ok
}
# Inverts the byte at offset $2 of file $1.
flip_byte() {
    local b
    b=$(od -An -tu1 -j "$2" -N1 "$1" | tr -d ' ')
    # shellcheck disable=SC2059 # the format is the octal escape of the new byte
    printf "\\$(printf %03o $((255 - b)))" | dd of="$1" bs=1 seek="$2" conv=notrunc status=none
}
size_of() { stat -c %s "$1"; }
# slice FILE OFF [LEN]: bytes [OFF, OFF+LEN) of FILE, or from OFF to the end (no SIGPIPE).
slice() {
    if [[ $# == 3 ]]; then
        dd if="$1" bs=64K iflag=skip_bytes,count_bytes skip="$2" count="$3" status=none
    else
        dd if="$1" bs=64K iflag=skip_bytes skip="$2" status=none
    fi
}

# --- data: empty, 1 byte, text, high-entropy, zeros, and a mix of them ------------------------
: >empty
printf 'x' >one
seq 1 400000 >text                           # 2.6 MB, compressible
seq 7 3 900000 | gzip -n -1 -c >noise        # ~0.9 MB, hardly compressible
head -c 300000 /dev/zero >zeros
{ slice text 0 200000; slice noise 0 200000; cat zeros; slice text 1000000 100001; } >mixed

# --- codecs: none always; every other one when compiled in ---------------------------------
codecs=()
for c in zstd lz4 gzip bzip2 lzma snappy brotli none; do
    if "$CMZ" -q -a "$c" -c one >/dev/null 2>&1; then codecs+=("$c"); fi
done
[[ " ${codecs[*]} " == *" none "* ]] || fail "none must be compiled in (have: ${codecs[*]})"
echo "codecs: ${codecs[*]}"
# The build's default codec (zstd, or lz4 without it: make test-minimal). What needs zstd's
# levels checks for it (need_codec); everything else runs in every build.
default_codec=$("$CMZ" codecs | sed -n 's/^default: //p')

# Round trips through files: every codec, small chunks (several per file), 1 and 2 threads.
for c in "${codecs[@]}"; do
    for f in empty one mixed; do
        expect 0 "$CMZ" -q -a "$c" -T2 --chunk-size 64K -o "$f.$c.cmz" "$f"
        expect 0 "$CMZ" -q -d -T2 -o "$f.$c.out" "$f.$c.cmz"
        same "$f" "$f.$c.out"
    done
    # Output does not depend on the thread count; one thread decodes too.
    expect 0 "$CMZ" -q -a "$c" -T1 --chunk-size=64KiB -c mixed
    same out "mixed.$c.cmz"
    expect 0 "$CMZ" -q -d -T1 -c "mixed.$c.cmz"
    same out mixed
done
# zstd at a fast and a slow level, default chunk size.
if need_codec "zstd levels 1 and 19" zstd; then
    for level in 1 19; do
        expect 0 "$CMZ" -q "-$level" -T2 -c mixed
        mv out "mixed.$level.cmz"
        expect 0 "$CMZ" -q -dc "mixed.$level.cmz"
        same out mixed
    done
fi
expect 0 "$CMZ" -q --level=3 --chunk-size 1MB -T0 -o text.1m.cmz text
expect 0 "$CMZ" -q -d -c text.1m.cmz
same out text
if [[ " ${codecs[*]} " == *" lz4 "* ]]; then
    expect 0 "$CMZ" -q -a lz4 --chunk-size 1MiB -T2 -o text.lz4.cmz text
    expect 0 "$CMZ" -q -d -c <text.lz4.cmz
    same out text
fi

# --- default names, -k, overwrite refusal and -f --------------------------------------------
cp text t && expect 0 "$CMZ" -q t
[[ -e t && -e t.cmz ]] || fail "compressing t should keep t and make t.cmz"; ok
cp t.cmz t.cmz.saved
printf 'changed' >>t
expect 1 "$CMZ" -q t                        # t.cmz exists: refused, untouched
has "already exists" err
same t.cmz t.cmz.saved
expect 0 "$CMZ" -q -f t                     # -f overwrites
expect 0 "$CMZ" -q -dc t.cmz
same out t
expect 1 "$CMZ" -q -d t.cmz                 # t exists
has "already exists" err
cp text t
expect 0 "$CMZ" -q -d -f t.cmz              # -f: t now holds the appended version
slice t $(($(size_of t) - 7)) | grep -q changed || fail "decompress -f did not overwrite"; ok
expect 1 "$CMZ" -q -d -f text               # no .cmz suffix and no -o/-c: refused
has "-o" err
expect 1 "$CMZ" -q t.cmz                    # compressing a .cmz again is refused
absent t.cmz.cmz
no_temp_files .
# Permissions follow the input.
cp text perm && chmod 640 perm && expect 0 "$CMZ" -q perm
[[ $(stat -c %a perm.cmz) == 640 ]] || fail "perm.cmz has mode $(stat -c %a perm.cmz)"; ok

# --- pipes, stdin/stdout, -c, -o, uncmz, several files -----------------------------------------
# shellcheck disable=SC2002 # a real pipe, not a file on stdin
cat text | "$CMZ" -q -T2 | "$CMZ" -q -d -T2 >piped || fail "pipe round trip failed"
same piped text
# A file of two chunks and 1 MiB or more is read by the workers themselves (pread); a pipe by
# the main thread. Same frame either way, at every thread count.
cat mixed mixed >big
cat big | "$CMZ" -q -c --chunk-size 64K -T1 >big.piped.cmz
for t in 1 2 3; do
  expect 0 "$CMZ" -vv -f --chunk-size 64K -T$t -o "big.T$t.cmz" big
  has "each worker reads" err
  same "big.T$t.cmz" big.piped.cmz
done
expect 0 "$CMZ" -q -f --chunk-size 64K --filter auto -T2 -o big.auto.cmz big
cat big | "$CMZ" -q -c --chunk-size 64K --filter auto -T2 >big.auto.piped.cmz
same big.auto.cmz big.auto.piped.cmz
expect 0 "$CMZ" -vv -f --chunk-size 64K -o mixed.x.cmz mixed && has "front to back" err # < 1 MiB
expect 0 "$CMZ" -vv -f -o one.x.cmz one && has "front to back" err      # under two chunks
cp big big.rm && expect 0 "$CMZ" -vv --rm --chunk-size 64K big.rm      # --rm checks what it read
has "front to back" err
expect 0 "$CMZ" -q -d -c big.rm.cmz && same out big
if [[ -r /proc/self/status ]]; then # the kernel's files say sizes that are not their content
  expect 0 "$CMZ" -vv -c --chunk-size 16 /proc/self/status && has "front to back" err
fi
"$CMZ" -q -c - <mixed | "$UNCMZ" -q -c >piped2 || fail "- and uncmz -c failed"
same piped2 mixed
cp mixed u && "$CMZ" -q u && rm u
expect 0 "$UNCMZ" -q u.cmz                  # uncmz FILE.cmz -> FILE
same u mixed
expect 0 "$CMZ" -q -o "with space.cmz" one
expect 0 "$CMZ" decompress -q -o "with space.out" "with space.cmz"
same "with space.out" one
cp one one2 && expect 0 "$CMZ" -q one one2   # several files
[[ -e one.cmz && -e one2.cmz ]] || fail "several files: outputs missing"; ok
expect 0 "$CMZ" -q -c one mixed              # -c: frames concatenated on stdout
mv out both.cmz
expect 0 "$CMZ" -q -d -c <both.cmz
cat one mixed >both && same out both
expect 2 "$CMZ" -q -o x.cmz one mixed        # -o names one output
expect 1 "$CMZ" -q missing-file
has "missing-file" err
cp one one3 && expect 1 "$CMZ" -q missing-file one3 # continues after a failure
[[ -e one3.cmz ]] || fail "the file after a missing one was not compressed"; ok

# --- -t and damage ------------------------------------------------------------------------------
expect 0 "$CMZ" -q --chunk-size 64K -o t64.cmz text
expect 0 "$CMZ" -t t64.cmz
expect 0 "$CMZ" -t -v t64.cmz
has "t64.cmz: OK" err
expect 0 "$CMZ" test -v t64.cmz
has "OK" err
cp t64.cmz bad.cmz
flip_byte bad.cmz $(($(size_of bad.cmz) / 2))
expect 1 "$CMZ" -t bad.cmz
has "bad.cmz" err
has "chunk" err
expect 1 "$CMZ" -t -v bad.cmz t64.cmz        # the next file is still checked
has "t64.cmz: OK" err
# -t lists every damaged chunk with its content range (the decoder stops at the first).
cp t64.cmz bad2.cmz
flip_byte bad2.cmz 200
flip_byte bad2.cmz $(($(size_of bad2.cmz) / 2))
expect 1 "$CMZ" -t bad2.cmz
has "chunk 0 (content bytes 0..65535" err
has "2 damaged" err
has "salvage" err
# -d --salvage: every intact chunk at its offset, zeros for the damaged ones, exit 1.
expect 1 "$CMZ" -d --salvage -o salvaged bad2.cmz
has "content bytes lost" err
[[ $(size_of salvaged) == $(size_of text) ]] || fail "salvaged output has the wrong size"; ok
slice salvaged 65536 >salv.tail && slice text 65536 >text.tail
[[ $(cmp -l salv.tail text.tail | wc -l) -gt 0 ]] || fail "the damaged middle chunk was not zeroed"; ok
slice salvaged 0 100 | od -An -tu1 | tr -s ' \n' ' ' | grep -qv '[1-9]' || fail "chunk 0 not zeroed"; ok
expect 0 "$CMZ" -q -d --salvage -o salvaged_ok t64.cmz   # intact: exit 0, same bytes
same salvaged_ok text
expect 2 "$CMZ" -q -t --salvage t64.cmz                  # an option of -d only
expect 2 "$CMZ" -q -d --salvage --rm -o x t64.cmz         # never removes the input
expect 1 "$CMZ" -q -d --salvage -c < <(cat bad2.cmz)     # needs a file, not a pipe
has "needs a file" err
expect 1 "$CMZ" -d --salvage -c <bad2.cmz                # stdin from a file is a file
has "2 damaged" err
cat t64.cmz t64.cmz >two.cmz                             # every frame, in order
expect 0 "$CMZ" -q -d --salvage -o x two.cmz
cat text text >text2 && same x text2
# -d --rm on damaged input: error, input kept, no output, no temp file.
expect 1 "$CMZ" -q -d --rm bad.cmz
[[ -e bad.cmz ]] || fail "--rm removed a damaged input"; ok
absent bad
no_temp_files .
# -d of a file that is one frame reads it through the index, each thread reading its own
# chunks; anything else goes front to back. Both check everything and give the same bytes.
for t in 1 2 3; do
  expect 0 "$CMZ" -q -d -T$t -o "t64.T$t" t64.cmz && same "t64.T$t" text
done
expect 0 "$CMZ" -vv -d -c t64.cmz && has "through the frame index" err
expect 0 "$CMZ" -vv -t t64.cmz && has "through the frame index" err
expect 0 "$CMZ" -vv -d -c <t64.cmz && has "front to back" err      # stdin: as it comes
expect 0 "$CMZ" -vv -d -c both.cmz && has "front to back" err      # two frames
cp t64.cmz idx_bad.cmz                       # the index: the front-to-back decoder reports it
flip_byte idx_bad.cmz $(($(size_of idx_bad.cmz) - 60))
expect 1 "$CMZ" -q -d -o idx_bad idx_bad.cmz
has "index" err
absent idx_bad
cp t64.cmz tail_bad.cmz && printf 'junk' >>tail_bad.cmz  # bytes after the frame
expect 1 "$CMZ" -q -d -o tail_bad tail_bad.cmz
has "after the frame" err
absent tail_bad
expect 1 "$CMZ" -q -d -T2 -o bad_mid bad.cmz  # a damaged chunk: named, nothing left behind
has "chunk" err
absent bad_mid
no_temp_files .
# A truncated frame is reported too.
slice t64.cmz 0 $(($(size_of t64.cmz) - 10)) >trunc.cmz
expect 1 "$CMZ" -t trunc.cmz
expect 1 "$CMZ" -t text                      # not a cmz frame at all

# --- parity and repair ---------------------------------------------------------------------------
expect 0 "$CMZ" -q --chunk-size 64K --parity 4:1 -o par.cmz text
expect 0 "$CMZ" -q -d -c par.cmz && same out text
expect 0 "$CMZ" -vv -d -c par.cmz && has "front to back" err  # parity records are checked too
expect 0 "$CMZ" repair -v par.cmz               # intact: left alone
has "nothing to repair" err
cp par.cmz par_bad.cmz
flip_byte par_bad.cmz 300                       # chunk 0 (group 0)
flip_byte par_bad.cmz $(($(size_of par.cmz) - 100)) # the index
expect 1 "$CMZ" -t par_bad.cmz
has "repairable" err
has "cmz repair" err
expect 0 "$CMZ" repair -o fixed.cmz par_bad.cmz # to another file; the input stays
same fixed.cmz par.cmz
expect 0 "$CMZ" repair par_bad.cmz              # in place: the frame as written
has "1 chunk rebuilt" err
has "index" err
same par_bad.cmz par.cmz
no_temp_files .
# Whole groups zeroed cannot be rebuilt: the file is left as it was.
cp par.cmz par_bad2.cmz
dd if=/dev/zero of=par_bad2.cmz bs=1 seek=100 count=$(($(size_of par.cmz) / 2)) conv=notrunc status=none
cp par_bad2.cmz par_bad2.orig
expect 1 "$CMZ" repair par_bad2.cmz
has "cannot be rebuilt" err
has "left as it was" err
same par_bad2.cmz par_bad2.orig
no_temp_files .
# Through a symlink the target is repaired (the link stays a link); a file with other hard
# links is refused in place (they would keep the damaged copy), unless -f.
mkdir -p linkdir && cp par.cmz linkdir/real.cmz && flip_byte linkdir/real.cmz 300
ln -sf linkdir/real.cmz link.cmz
expect 0 "$CMZ" repair -q link.cmz
[[ -L link.cmz ]] || fail "repair replaced the symlink"; ok
same linkdir/real.cmz par.cmz
cp par.cmz hard1.cmz && flip_byte hard1.cmz 300 && ln -f hard1.cmz hard2.cmz
expect 1 "$CMZ" repair hard1.cmz
has "hard links" err
expect 0 "$CMZ" repair -q -f hard1.cmz
same hard1.cmz par.cmz
expect 2 "$CMZ" repair -q -c par.cmz            # repair writes a file
expect 2 "$CMZ" -q -d --parity 4:1 par.cmz      # --parity is for compression
expect 2 "$CMZ" -q --parity 4 text              # K:M
expect 2 "$CMZ" -q --parity 200:56 text         # K + M <= 255
expect 1 "$CMZ" repair -q - <par.cmz            # not from stdin
expect 1 "$CMZ" repair -q text                  # not a frame
absent text.cmz.tmp
no_temp_files .

# --- --rm -----------------------------------------------------------------------------------------
cp mixed r && expect 0 "$CMZ" -q --rm r
absent r
expect 0 "$CMZ" -q -d --rm r.cmz             # decompression removes the .cmz once complete
absent r.cmz
same r mixed
mkdir ro_case && cp mixed ro_case/r2
expect 1 "$CMZ" -q --rm ro_case/r2 -o no/such/dir/r2.cmz # output cannot be created
[[ -e ro_case/r2 ]] || fail "--rm removed the input of a failed compression"; ok
same ro_case/r2 mixed
no_temp_files ro_case

# --- info / -l --------------------------------------------------------------------------------------
expect 0 "$CMZ" -l t64.cmz
has "$default_codec" out
chunks=$((($(size_of text) + 65535) / 65536))
grep -Eq "chunks: +$chunks\b" out || fail "info should count $chunks chunks: $(cat out)"; ok
has "content size: *$(size_of text) " out
expect 0 "$CMZ" info -v t64.cmz mixed.none.cmz
has "none" out
has "format" out
expect 0 "$CMZ" -q --chunk-size 64K -o z.cmz zeros
expect 0 "$CMZ" -l z.cmz
has "5 all-zero" out
expect 1 "$CMZ" -l bad-name.cmz
has "bad-name.cmz" err

# --- cat --range --------------------------------------------------------------------------------------
range_check() { # FILE.cmz RAW OFF [LEN]
    if [[ $# == 4 ]]; then
        expect 0 "$CMZ" cat "$1" --range "$3:$4"
        slice "$2" "$3" "$4" >want
    else
        expect 0 "$CMZ" cat --range="$3:" "$1"
        slice "$2" "$3" >want
    fi
    same out want
}
range_check t64.cmz text 0 10
range_check t64.cmz text 65530 20           # across a chunk boundary
range_check t64.cmz text 100000 500000      # several chunks
range_check t64.cmz text 2000000
range_check t64.cmz text "$(size_of text)" 0
expect 0 "$CMZ" cat t64.cmz --range 1K:2K   # units
slice text 1024 2048 >want && same out want
expect 0 "$CMZ" cat t64.cmz                  # the whole content
same out text
expect 0 "$CMZ" cat --range 65530:20 <t64.cmz # a pipe: decoded front to back
slice text 65530 20 >want && same out want
expect 1 "$CMZ" cat t64.cmz --range "$(size_of text):1"
expect 1 "$CMZ" cat bad.cmz                   # damage found by random access too
has "chunk" err

# --- help and usage errors ---------------------------------------------------------------------------
expect 0 "$CMZ" --help
has "130" out                                # exit codes are documented
has "143" out
expect 0 "$CMZ" decompress --help
expect 2 "$CMZ" -a nosuch one
has "$default_codec" err                    # the valid names are listed
has "none" err
expect 2 "$CMZ" --chunk-size 12X one
expect 2 "$CMZ" --chunk-size 1Q one
expect 2 "$CMZ" --memory-limit 5ZB -d t64.cmz
expect 2 "$CMZ" --no-such-option one
expect 2 "$CMZ" -Z one
expect 2 "$CMZ" -d --range 1:2 t64.cmz
expect 2 "$CMZ" cat --range x:1 t64.cmz
absent one.cmz.cmz

# --- compressed data is not written to a terminal ------------------------------------------------
if script -qec true /dev/null >/dev/null 2>&1; then
    got=0
    script -qec "'$CMZ' -c one" /dev/null >out 2>&1 || got=$?
    [[ $got == 1 ]] || fail "compressing to a terminal exited $got, expected 1"
    has "terminal" out
fi

# --- interruption leaves nothing behind ------------------------------------------------------------
interrupt_check() { # SIGNAL STATUS FEED [cmz options]: FEED is "zeros" or a file to send part of
    local sig=$1 want=$2 feed=$3 got=0 start dir="int_$1_$3"
    shift 3
    mkdir -p "$dir"
    mkfifo "$dir/feed"
    if [[ $feed == zeros ]]; then
        { head -c 1M /dev/zero; exec sleep 20; } >"$dir/feed" &
    else
        { slice "$feed" 0 100000; exec sleep 20; } >"$dir/feed" &
    fi
    local producer=$!
    bg_pids+=("$producer")
    "$CMZ" -q "$@" -o "$dir/out" <"$dir/feed" &
    local pid=$!
    sleep 1
    start=$SECONDS
    kill "-$sig" "$pid"
    wait "$pid" || got=$?
    kill "$producer" 2>/dev/null || true
    [[ $got == "$want" ]] || fail "cmz $* after SIG$sig exited $got, expected $want"
    ((SECONDS - start <= 5)) || fail "cmz took $((SECONDS - start)) s to stop after SIG$sig"
    rm -f "$dir/feed"
    absent "$dir/out"
    no_temp_files "$dir"
}
# --type takes codec, level and chunk size from the policy; explicit flags win. The codecs are
# ones every build has (lz4, lzma, bzip2: make test-minimal).
cat >policy.yaml <<'YAML'
compression_policy:
  default:
    algorithm: lzma
    level: 1
    chunk_size: 4MB
    auto_compress: false
    threshold_mb: 10
    priority: low
  subtitle:
    algorithm: lz4
    level: 0
    chunk_size: 512KB
    auto_compress: true
    threshold_mb: 1
    priority: high
YAML
expect 0 "$CMZ" -q --config policy.yaml --type subtitle -o typed.cmz text
expect 0 "$CMZ" -l typed.cmz
has "lz4, level 0" out
has "524288" out
expect 0 "$CMZ" -q --config=policy.yaml --type=subtitle -a bzip2 -o typed2.cmz text
expect 0 "$CMZ" -l typed2.cmz
has "bzip2, level 9" out
has "524288" out
expect 0 "$CMZ" --config policy.yaml --type nosuch -o typed3.cmz text
has "using 'default'" err
expect 0 "$CMZ" -l typed3.cmz
has "lzma, level 1" out
expect 2 "$CMZ" -q --config missing.yaml --type subtitle -o typed4.cmz text
has "missing.yaml" err
absent typed4.cmz
expect 2 "$CMZ" -d --type subtitle typed.cmz
# a type whose policy is the planes codec with a typesize: -a another codec drops the typesize
cat >>policy.yaml <<'YAML'
  weights:
    algorithm: planes
    level: 0
    chunk_size: 1MB
    auto_compress: true
    threshold_mb: 1
    priority: low
    typesize: 2
YAML
expect 0 "$CMZ" -q -f --config policy.yaml --type weights -o typed5.cmz text
expect 0 "$CMZ" -l -v typed5.cmz
has "planes, level 0" out
has "typesize 2" out
expect 0 "$CMZ" -q -f --config policy.yaml --type weights -a bzip2 -o typed6.cmz text
expect 0 "$CMZ" -l -v typed6.cmz
has "bzip2, level 9" out
has "typesize 1" out

# Typed-data filters: recorded in the frame, so decompression needs no flags.
for f in shuffle bitshuffle delta planes; do
    expect 0 "$CMZ" -q -f --filter $f --typesize 4 -o filtered.cmz text
    expect 0 "$CMZ" -l filtered.cmz
    has "filter:       $f, typesize 4" out
    expect 0 "$CMZ" -q -d -f -o filtered.out filtered.cmz
    same filtered.out text
done
expect 0 "$CMZ" -q -f --filter auto -o filtered.cmz text
expect 0 "$CMZ" -q -d -c filtered.cmz
same out text
expect 2 "$CMZ" -q --filter planes --typesize 3 -o badfilter.cmz text
has "typesize 3" err
expect 2 "$CMZ" -q --filter plane -o badfilter.cmz text
has "unknown filter" err
absent badfilter.cmz

interrupt_check INT 130 zeros -T2
interrupt_check TERM 143 zeros -T1
interrupt_check INT 130 t64.cmz -d -T2
# An interrupted overwrite leaves the old output as it was.
mkdir -p int_keep && printf 'old' >int_keep/out.cmz && mkfifo int_keep/feed
{ head -c 1M /dev/zero; exec sleep 20; } >int_keep/feed &
producer=$!
bg_pids+=("$producer")
"$CMZ" -q -f -o int_keep/out.cmz <int_keep/feed &
pid=$!
sleep 1
kill -INT "$pid"
got=0 && wait "$pid" || got=$?
kill "$producer" 2>/dev/null || true
[[ $got == 130 ]] || fail "interrupted overwrite exited $got"
[[ $(cat int_keep/out.cmz) == old ]] || fail "interrupted overwrite changed the old output"; ok
rm -f int_keep/feed
no_temp_files int_keep

echo "test_cli: $checks checks passed"
