#!/usr/bin/env bash
# `cmz bench` (docs/BENCH.md): the JSON validates against docs/bench.schema.json, the SVG is
# well-formed with one point per measured configuration, CSV and table agree, the policy
# written loads, usage errors, and Ctrl-C prints what was measured. Small sizes: fast.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
: "${CMZ_BIN:?CMZ_BIN must name the cmz program}"
: "${CMZ_SOURCE_DIR:?CMZ_SOURCE_DIR must name the source tree}"
CMZ=$(cd "$(dirname "$CMZ_BIN")" && pwd)/$(basename "$CMZ_BIN")
work=$(mktemp -d "${TMPDIR:-/tmp}/cmz-bench.XXXXXX")
trap 'rm -rf "$work"' EXIT
cd "$work"
# shellcheck source=checks.bash
source "$here/checks.bash" # fail, ok, expect
# The build's default codec (zstd where compiled in): the runs below need one, not zstd.
def=$("$CMZ" codecs | awk '$1 == "default:" { print $2 }')

# JSON: valid against the schema; a memcpy row per input; every round trip checked.
expect 0 "$CMZ" bench -q --size 64K,200K -a lz4 -l 1,9 --json --plot plot.svg
cp out bench.json
python3 - "$CMZ_SOURCE_DIR/docs/bench.schema.json" bench.json plot.svg <<'PY' || fail "JSON or SVG check"
import json, sys, jsonschema, xml.etree.ElementTree as ET
schema, doc = json.load(open(sys.argv[1])), json.load(open(sys.argv[2]))
jsonschema.validate(doc, schema)
rows = doc["results"]
inputs = {r["input"] for r in rows}
assert len(inputs) == 18, inputs                      # 9 samples x 2 sizes
assert sum(r["codec"] == "memcpy" for r in rows) == 18
assert all(r["roundtrip_ok"] for r in rows)
for r in rows:
    assert abs(r["ratio"] - r["input_bytes"] / r["output_bytes"]) < 1e-3 * r["ratio"]
    assert r["compress"]["min"] <= r["compress"]["mbps"] * 1.0001 <= r["compress"]["max"] * 1.0002
configs = {r["config"] for r in rows if r["threads"] == 1 and r["codec"] != "memcpy"}
assert {"lz4 -1", "lz4 -9"} <= configs, configs         # and the filter variants on typed data
svg = ET.parse(sys.argv[3]).getroot()                  # well-formed
ns = "{http://www.w3.org/2000/svg}"
points = [c for c in svg.iter(ns + "circle") if c.get("class", "").startswith("point")]
assert len(points) == len(configs), (len(points), len(configs))
titles = {c.find(ns + "title").text.split(":")[0] for c in points}
assert titles == configs, (titles, configs)
assert any("front" in c.get("class") for c in points)
PY
ok

# CSV: one line per JSON row, plus the header; the table has the same rows.
expect 0 "$CMZ" bench -q --size 64K,200K -a lz4 -l 1,9 --csv
rows=$(python3 -c 'import json,sys; print(len(json.load(open("bench.json"))["results"]))')
[[ $(wc -l <out) == $((rows + 1)) ]] || fail "CSV has $(wc -l <out) lines for $rows rows"; ok
head -1 out | grep -q '^config,codec,level' || fail "CSV header"; ok
expect 0 "$CMZ" bench -q --size 64K -a "$def" -l 3
grep -q "memcpy" out && grep -q "$def -3" out && grep -q "compress MB/s" out || fail "table"; ok

# Files, with the filters for a given element size; a missing file is an error.
head -c 300000 /dev/urandom >rnd
python3 -c 'import struct,math; open("f32","wb").write(b"".join(struct.pack("<f", math.sin(i/50)) for i in range(60000)))'
expect 0 "$CMZ" bench -q -a "$def" -l 1,3 --typesize 4 rnd f32
grep -q "$def -3 +planes/4 *f32" out || fail "filter variant on a file"; ok
expect 1 "$CMZ" bench -q -a "$def" nosuchfile
grep -q "nosuchfile" err || fail "names the missing file"; ok

# --recommend and --write-policy: one line per policy type; the policy written is valid.
# The shipped policy names zstd and gzip: a build without them warns and loads it anyway.
expect 0 "$CMZ" bench -q --size 64K --write-policy pol.yaml --config "$CMZ_SOURCE_DIR/configs/compression_layers.yaml"
grep -q "Recommendation" out && grep -q "model_weights" out && grep -q "policy written" out || fail "recommendation"; ok
expect 0 "$CMZ" policy verify pol.yaml
expect 0 "$CMZ" policy show model_weights --config pol.yaml
[[ $(ls -A | grep -c 'pol.yaml.*tmp') == 0 ]] || fail "temp file left"; ok

# --hw: the thread sweep and the absent backends said plainly.
expect 0 "$CMZ" bench -q --hw --size 64K -a lz4
grep -q "cuda: absent" out || fail "--hw names the absent backends"; ok

# Usage errors.
expect 2 "$CMZ" bench -l 1
expect 2 "$CMZ" bench -a nosuchcodec
expect 2 "$CMZ" bench -a "$def" -l 99
expect 2 "$CMZ" bench --csv --json
expect 2 "$CMZ" bench --size 0
expect 2 "$CMZ" bench --bogus
expect 0 "$CMZ" bench --help

# Ctrl-C: what was measured so far, exit 130. A small file, not the built-in samples, so
# that memcpy's baseline (measured first, for --time) is done when the signal comes however
# loaded the machine is; every config takes --time too, so the bench is far from its end.
seq 1 1000000 >int.txt
"$CMZ" bench -q --time 0.5 int.txt >int.out 2>int.err &
pid=$!
sleep 2
kill -INT $pid
rc=0
wait $pid || rc=$?
[[ $rc == 130 ]] || fail "interrupted bench exited $rc"; ok
grep -q "interrupted" int.err && grep -q "memcpy" int.out || fail "no partial results"; ok

echo "test_bench: $checks checks passed"
