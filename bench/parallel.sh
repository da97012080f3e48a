#!/usr/bin/env bash
# cmz's chunked parallel engine against the peers' own tools, on the same file in one run.
#   bench/parallel.sh [SIZE_MIB] [BUILD_DIR]      (defaults: 512, build)
# The input is ../shared/corpus (model weights + text) when present, then generated JSON logs
# and SRT subtitles up to SIZE_MIB (bench_gen_data). Every tool reads the file and writes to
# stdout (> /dev/null for timing), so no tool pays for fsync. Figures are medians of $REPS
# rounds (default 5), each round running every tool once; peak RSS is the largest of the runs;
# -T2 against -T1 is also given as the median of the ratios of single rounds, with the CPU time.
# Needs: scripts/bootstrap --bench.
set -euo pipefail
size=${1:-512}
build=${2:-build}
reps=${REPS:-5}
here=$(cd "$(dirname "$0")/.." && pwd)
cmz=$here/$build/cmz
gen=$here/$build/bench/bench_gen_data
usage=$here/$build/bench/bench_usage
corpus=$here/../shared/corpus
for t in zstd lz4 pigz; do command -v $t >/dev/null || { echo "missing $t: run scripts/bootstrap --bench" >&2; exit 1; }; done
[ -x "$cmz" ] && [ -x "$gen" ] && [ -x "$usage" ] || { echo "build first: make build" >&2; exit 1; }

work=$(mktemp -d "${TMPDIR:-/tmp}/cmzbench.XXXXXX")
trap 'rm -rf "$work"' EXIT
data=$work/data.bin
if [ -d "$corpus" ]; then "$gen" "$size" "$corpus" > "$data"; else
  echo "note: $corpus missing; generated text only" >&2; "$gen" "$size" > "$data"; fi
bytes=$(stat -c %s "$data")
cat "$data" > /dev/null # warm the page cache

# once NAME OUTFILE CMD...: one timed run of CMD (stdin: none); keeps its wall time, its CPU
# time (user + system), the largest peak RSS and the output size. bench_usage reads the clock in
# ns and the CPU in us (time's %e and %U count in 10 ms steps).
declare -A secs rss outsize runs cpus
once() {
  local name=$1 out=$2 wall user sys m; shift 2
  "$usage" "$work/t" "$@" > "$out"
  read -r wall user sys m < "$work/t"
  runs[$name]+="$wall "
  cpus[$name]+="$(awk -v u="$user" -v s="$sys" 'BEGIN{printf "%.6f", u+s}') "
  (( m > ${rss[$name]:-0} )) && rss[$name]=$m
  outsize[$name]=$(stat -c %s "$out")
}
# pair NAME CMD...: one timed run of two CMDs at once (what two cores give with no sharing).
pair() {
  local name=$1 t0 t1; shift
  t0=$(date +%s%N)
  "$@" > /dev/null & "$@" > /dev/null; wait
  t1=$(date +%s%N)
  runs[$name]+="$(awk -v a="$t0" -v b="$t1" 'BEGIN{printf "%.4f", (b-a)/1e9}') "
}

# Rounds of every tool once, so that a slow spell of the shared machine falls on all of them
# alike rather than on whichever tool ran then; each figure is the median of its rounds.
for ((round = 0; round < reps; round++)); do
  once "cmz -3 -T1"        $work/c1.cmz  "$cmz" -3 -T1 -c "$data"
  once "cmz -3 -T2"        $work/c2.cmz  "$cmz" -3 -T2 -c "$data"
  once "zstd -3 -T1"       $work/z1.zst  zstd -q -3 -T1 -c "$data"
  once "zstd -3 -T2"       $work/z2.zst  zstd -q -3 -T2 -c "$data"
  once "cmz lz4 -T1"       $work/l1.cmz  "$cmz" -a lz4 -1 -T1 -c "$data"
  once "cmz lz4 -T2"       $work/l2.cmz  "$cmz" -a lz4 -1 -T2 -c "$data"
  once "lz4 -1"            $work/l.lz4   lz4 -q -1 -c "$data"
  once "cmz gzip-6 -T2"    $work/g2.cmz  "$cmz" -a gzip -6 -T2 -c "$data"
  once "pigz -6 -p2"       $work/p.gz    pigz -6 -p 2 -c "$data"
  once "cmz -d -T1"        /dev/null     "$cmz" -d -T1 -c $work/c2.cmz
  once "cmz -d -T2"        /dev/null     "$cmz" -d -T2 -c $work/c2.cmz
  once "zstd -d"           /dev/null     zstd -q -d -c $work/z2.zst
  once "cmz lz4 -d -T1"    /dev/null     "$cmz" -d -T1 -c $work/l2.cmz
  once "cmz lz4 -d -T2"    /dev/null     "$cmz" -d -T2 -c $work/l2.cmz
  once "lz4 -d"            /dev/null     lz4 -q -d -c $work/l.lz4
  once "pigz -d"           /dev/null     pigz -d -c $work/p.gz
  pair "2 x cmz -3 -T1"    "$cmz" -3 -T1 -c "$data"
  pair "2 x cmz -d -T1"    "$cmz" -d -T1 -c $work/c2.cmz
done
median() { sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
for name in "${!runs[@]}"; do secs[$name]=$(printf '%s\n' ${runs[$name]} | median); done

printf 'input: %s bytes (%s MiB), %s rounds, %s cores\n' "$bytes" "$size" "$reps" "$(nproc)"
printf '%-16s %9s %10s %10s %12s\n' tool seconds MB/s ratio "peak RSS MiB"
for name in "cmz -3 -T1" "cmz -3 -T2" "zstd -3 -T1" "zstd -3 -T2" "cmz lz4 -T1" "cmz lz4 -T2" \
            "lz4 -1" "cmz gzip-6 -T2" "pigz -6 -p2" "cmz -d -T1" "cmz -d -T2" "zstd -d" \
            "cmz lz4 -d -T1" "cmz lz4 -d -T2" "lz4 -d" "pigz -d"; do
  s=${secs[$name]}
  ratio=-
  [ "${outsize[$name]}" -gt 0 ] && ratio=$(awk -v b="$bytes" -v o="${outsize[$name]}" 'BEGIN{printf "%.4f", b/o}')
  printf '%-16s %9.4f %10.1f %10s %12.1f\n' "$name" "$s" "$(awk -v b="$bytes" -v s="$s" 'BEGIN{print b/s/1e6}')" \
    "$ratio" "$(awk -v k="${rss[$name]}" 'BEGIN{print k/1024}')"
done

r() { awk -v a="${secs[$1]}" -v b="${secs[$2]}" 'BEGIN{printf "%.2fx", b/a}'; }
echo
echo "speed ratios (higher = first is faster):"
echo "  cmz -3 -T2 vs cmz -3 -T1:        $(r "cmz -3 -T2" "cmz -3 -T1")   (bar >= 1.8x)"
echo "  cmz -3 -T2 vs zstd -3 -T2:       $(r "cmz -3 -T2" "zstd -3 -T2")   (bar >= 1.0x)"
echo "  cmz lz4 -T2 vs lz4 -1:           $(r "cmz lz4 -T2" "lz4 -1")   (bar >= 1.7x)"
echo "  cmz gzip-6 -T2 vs pigz -6 -p2:   $(r "cmz gzip-6 -T2" "pigz -6 -p2")"
echo "  cmz -d -T2 vs cmz -d -T1:        $(r "cmz -d -T2" "cmz -d -T1")   (bar >= 1.7x)"
echo "  cmz -d -T2 vs zstd -d:           $(r "cmz -d -T2" "zstd -d")   (bar > 1.0x)"
echo "  cmz lz4 -d -T2 vs lz4 -d:        $(r "cmz lz4 -d -T2" "lz4 -d")"
# What two cores give this work at all: two independent runs on one thread at once against one
# (medians of the rounds). T2/T1 cannot beat it by much: it is the same work, with reads,
# writes and page faults, on the same two cores (docs/BENCH.md, "Scaling on two cores").
two() { awk -v p="${secs[$1]}" -v o="${secs[$2]}" 'BEGIN{printf "%.2fx", 2*o/p}'; }
echo "  2 x cmz -3 -T1 at once vs one:   $(two "2 x cmz -3 -T1" "cmz -3 -T1")   (the machine's own scaling of this work)"
echo "  2 x cmz -d -T1 at once vs one:   $(two "2 x cmz -d -T1" "cmz -d -T1")   (the same for decompression)"
# T2 against T1 round by round: both run back to back in each round, so the ratio of each
# round is the least touched by the VM's slow and fast spells (which last seconds to minutes).
# The CPU figures split the time of -T2: its CPU against -T1's (what each chunk costs more on
# two busy cores), and its wall time beyond half its CPU (what two cores did not overlap:
# starting up, the last chunk, waiting).
paired() {
  local t2=$1 t1=$2 bar=$3
  paste <(printf '%s\n' ${runs[$t1]}) <(printf '%s\n' ${runs[$t2]}) \
        <(printf '%s\n' ${cpus[$t1]}) <(printf '%s\n' ${cpus[$t2]}) > "$work/paired"
  local ratios ratio lo hi cpu idle
  ratios=$(awk '{printf "%.4f\n", $1/$2}' "$work/paired" | sort -g)
  ratio=$(median <<< "$ratios") lo=$(head -1 <<< "$ratios") hi=$(tail -1 <<< "$ratios")
  cpu=$(awk '{printf "%.4f\n", $4/$3}' "$work/paired" | median)
  idle=$(awk '{printf "%.4f\n", 1000*($2-$4/2)}' "$work/paired" | median)
  printf '  %-35s %.2fx (rounds %.2f-%.2f, %s); -T2 CPU %.2fx of -T1; -T2 wall - CPU/2: %.0f ms\n' \
    "$t2 vs $t1:" "$ratio" "$lo" "$hi" "$bar" "$cpu" "$idle"
}
echo
echo "-T2 against -T1, median of the rounds' own ratios:"
paired "cmz -3 -T2" "cmz -3 -T1" "bar >= 1.8x"
paired "cmz -d -T2" "cmz -d -T1" "bar >= 1.7x"
paired "cmz lz4 -T2" "cmz lz4 -T1" "no bar"
paired "cmz lz4 -d -T2" "cmz lz4 -d -T1" "no bar"
awk -v a="${outsize["cmz -3 -T2"]}" -v b="${outsize["zstd -3 -T1"]}" \
  'BEGIN{printf "size: cmz -3 frame is %+.2f%% against whole-file zstd -3 (bar within 3%%)\n", 100*(a/b-1)}'

if [ "${PIPE_GIB:-2}" != 0 ]; then
  gib=${PIPE_GIB:-2}
  echo
  echo "pipe: ${gib} GiB of generated data through 'cmz -3 -T2' from a pipe:"
  "$gen" $((gib * 1024)) | "$usage" "$work/t" "$cmz" -3 -T2 -c > /dev/null
  read -r s _ _ m < "$work/t"
  printf '  %.2f s, peak RSS %.1f MiB (bar <= 64 MiB)\n' "$s" "$(awk -v k="$m" 'BEGIN{print k/1024}')"
fi
