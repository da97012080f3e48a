#!/usr/bin/env bash
# A policy file naming a codec that cmz knows but this build lacks (docs/POLICY.md): `cmz
# policy verify` warns at the algorithm and passes, `show` says what the type uses instead,
# `--type` compresses with the build's default codec at its default level keeping the chunk
# size, saving keeps the name, and choosing such a codec now is refused. Runs where a codec
# is missing (`make test-minimal`); skipped where every one is compiled in. Needs $CMZ_BIN.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
: "${CMZ_BIN:?CMZ_BIN must name the cmz program}"
CMZ=$(cd "$(dirname "$CMZ_BIN")" && pwd)/$(basename "$CMZ_BIN")

absent=
for c in zstd gzip brotli snappy bzip2 lzma lz4; do
    if ! "$CMZ" codecs | grep -q "^$c "; then absent=$c; break; fi
done
if [[ -z $absent ]]; then
    echo "test_policy_absent_codec: skipped: every codec is compiled into this build"
    exit 77
fi
fallback=$("$CMZ" codecs | sed -n 's/^default: //p')
fallback_level=$("$CMZ" codecs | awk -v c="$fallback" '$1 == c { print $4 }')

work=$(mktemp -d "${TMPDIR:-/tmp}/cmz-policy-absent.XXXXXX")
trap 'rm -rf "$work"' EXIT
cd "$work"
unset CMZ_CONFIG
export XDG_CONFIG_HOME="$work/xdg" HOME="$work/home"

# shellcheck source=../cli/checks.bash
source "$here/../cli/checks.bash" # fail, ok, expect
has() { grep -q -- "$1" "$2" || fail "'$1' not found in $2: $(head -c 600 "$2")"; ok; }

# `blob` names the absent codec (algorithm's value at line 10, column 16).
cat >p.yaml <<EOF
compression_policy:
  default:
    algorithm: none
    level: 0
    chunk_size: 4MB
    auto_compress: false
    threshold_mb: 10
    priority: low
  blob:
    algorithm: $absent
    level: 5
    chunk_size: 64KB
    auto_compress: true
    threshold_mb: 1
    priority: medium
EOF
warning="p.yaml:10:16: warning: $absent is not compiled into this build: type 'blob' (and any other type naming it) uses $fallback (the build's default codec) at its default level"

# ---- verify: a located warning, and the file passes ----------------------------------------
expect 0 "$CMZ" policy verify p.yaml
has "^p.yaml: OK$" out
[[ $(cat err) == "$warning" ]] || fail "verify's stderr: $(cat err)"
ok
# The other commands that read it pass and warn the same way.
expect 0 "$CMZ" policy show blob --config p.yaml
has "^  algorithm: $absent  # not in this build: uses $fallback level $fallback_level$" out
has "^$warning$" err
expect 0 "$CMZ" policy list --config p.yaml
has "^blob$" out

# ---- --type: the build's default codec at its default level, the entry's chunk size ------------
seq 1 100000 >text
expect 0 "$CMZ" -q --type blob --config p.yaml -o text.cmz text
expect 0 "$CMZ" info text.cmz
has "codec: *$fallback, level $fallback_level$" out
has "chunk size: *65536 bytes" out
expect 0 "$CMZ" -q -d -o text.out text.cmz
cmp -s text text.out || fail "the round trip changed the data"
ok

# ---- choosing the codec now is refused; other changes keep the file's name -----------------
cp p.yaml before.yaml
expect 1 "$CMZ" policy update default --algorithm "$absent" --config p.yaml
has "^cmz policy: codec '$absent' is not compiled into this build; available: " err
expect 1 "$CMZ" policy create other --algorithm "$absent" --config p.yaml
has "^cmz policy: codec '$absent' is not compiled into this build; available: " err
cmp -s p.yaml before.yaml || fail "a refused change touched the file"
ok
expect 0 "$CMZ" policy update blob --priority high --config p.yaml
has "^updated 'blob'" out
has "^$warning$" err
grep -A1 '^  blob:' p.yaml | grep -q "^    algorithm: $absent$" || fail "saving lost the name: $(cat p.yaml)"
ok

# ---- a name cmz does not know is an error, as before ---------------------------------------
sed "s/algorithm: $absent/algorithm: ${absent}x/" before.yaml >typo.yaml
expect 1 "$CMZ" policy verify typo.yaml
has "^typo.yaml:10:16: unknown codec '${absent}x'; valid codecs: .*; did you mean '$absent'?$" err
expect 2 "$CMZ" -q --type blob --config typo.yaml -o typo.cmz text
has "unknown codec '${absent}x'" err

echo "test_policy_absent_codec: $checks checks passed"
