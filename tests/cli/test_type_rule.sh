#!/usr/bin/env bash
# `cmz --type TYPE` compresses as the registry would (docs/RELEASE.md): a type with only a
# release rule takes the compression entry its rule names (model_shards -> model_weights),
# a type with neither takes `default`, and explicit flags still win. Needs CMZ_BIN.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

: "${CMZ_BIN:?CMZ_BIN must name the cmz program}"
CMZ=$(cd "$(dirname "$CMZ_BIN")" && pwd)/$(basename "$CMZ_BIN")

work=$(mktemp -d "${TMPDIR:-/tmp}/cmz-type-rule.XXXXXX")
trap 'rm -rf "$work"' EXIT
cd "$work"

# shellcheck source=checks.bash
source "$here/checks.bash" # fail, ok, expect
has() { grep -q -- "$1" "$2" || fail "'$1' not found in $2: $(head -c 400 "$2")"; ok; }

# the built-in policy and rules: no $CMZ_CONFIG, no ./configs/ here, no user's config
unset CMZ_CONFIG
export HOME=$work XDG_CONFIG_HOME=$work/.config
seq 1 200000 >data

# what model_weights itself gives, and what --type model_shards gives: the same frame
expect 0 "$CMZ" -q -c --type model_weights data
cp out weights.cmz
expect 0 "$CMZ" -v -c --type model_shards data
has "using 'model_weights' (the entry its release rule names)" err
cmp -s out weights.cmz || fail "--type model_shards did not compress as model_weights"
ok

# a type with neither an entry nor a rule: default, and said so
expect 0 "$CMZ" -v -c --type no_such_type data
has "using 'default'" err
lacks_rule() { ! grep -q "release rule" err || fail "a rule named for no_such_type: $(cat err)"; ok; }
lacks_rule

# explicit flags still win over the rule's entry
expect 0 "$CMZ" -q -c --type model_shards -a lz4 data
cp out lz4.cmz
expect 0 "$CMZ" -l lz4.cmz
has "codec: *lz4" out

echo "test_type_rule: $checks checks passed"
