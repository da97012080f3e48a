#!/usr/bin/env bash
# `cmz policy`: every command changes the file exactly as asked (diffed against the expected
# file), refuses bad values without touching it (byte-identical), and finds the policy in the
# documented order. Needs $CMZ_BIN (the cmz program) and $CMZ_SOURCE_DIR (ctest sets both).
set -u
: "${CMZ_BIN:?set CMZ_BIN to the cmz program}"
: "${CMZ_SOURCE_DIR:=$(cd "$(dirname "$0")/../.." && pwd)}"
SHIPPED="$CMZ_SOURCE_DIR/configs/compression_layers.yaml"
# The commands below choose zstd and gzip (--algorithm, which a build without them refuses)
# and compare whole files and messages made with them: a build without zstd skips this, and
# test_policy_absent_codec.sh covers the policy there.
if ! "$CMZ_BIN" codecs | grep -q '^zstd '; then
    echo "test_policy_cli: skipped: zstd is not compiled in"
    exit 77
fi

WORK=$(mktemp -d "${TMPDIR:-/tmp}/cmz-policy-cli.XXXXXX")
trap 'rm -rf "$WORK"' EXIT
cd "$WORK" || exit 1
unset CMZ_CONFIG
export XDG_CONFIG_HOME="$WORK/xdg"
export HOME="$WORK/home"

failures=0
fail() {
    echo "FAIL: $*" >&2
    failures=$((failures + 1))
}

# run EXPECTED_STATUS cmz-args...: runs cmz, keeps stdout/stderr in out/err.
run() {
    local want=$1
    shift
    "$CMZ_BIN" "$@" >out 2>err
    local got=$?
    # In a sanitizer build a report may come with the very status that was expected.
    if grep -Eq "Sanitizer|runtime error:" err; then
        fail "cmz $*: sanitizer report"
        cat err >&2
    fi
    if [ "$got" -ne "$want" ]; then
        fail "cmz $* exited $got, expected $want"
        sed 's/^/  stderr: /' err >&2
    fi
}

expect_same() { # FILE EXPECTED: the file's bytes are the expected ones
    if ! cmp -s "$1" "$2"; then
        fail "$1 differs from $2"
        diff -u "$2" "$1" | head -40 >&2
    fi
}

no_temp_files() {
    local extra
    extra=$(find . -name '*.tmp*' | head -1)
    [ -z "$extra" ] || fail "temporary file left behind: $extra"
}

# ---- verify ---------------------------------------------------------------------------------
run 0 policy verify "$SHIPPED"
[ "$(cat out)" = "$SHIPPED: OK" ] || fail "verify output: $(cat out)"
[ ! -s err ] || fail "verify of the shipped file printed: $(cat err)"

cat >bad.yaml <<'EOF'
compression_policy:
  default:
    algorithm: gzip
    level: 6
    chunk_size: 4MB
    auto_compress: false
    threshold_mb: 10
    priority: low
  subtitle:
    algorithm: lz5
    level: 0
    chunk_size: 512KB
    auto_compress: maybe
    threshold_mb: 1
    priority: high
  log_data:
    algorithm: gzip
    level: 15
    chunk_size: 10MB
    auto_compress: true
    threshold_mb: -2
    priority: low
    levle: 9
EOF
run 1 policy verify bad.yaml
[ ! -s out ] || fail "verify of a bad file printed on stdout: $(cat out)"
[ "$(wc -l <err)" -eq 5 ] || fail "expected 5 diagnostics, got: $(cat err)"
for where in bad.yaml:10:16 bad.yaml:13:20 bad.yaml:18:12 bad.yaml:21:19 bad.yaml:23:5; do
    grep -q "^$where: " err || fail "no diagnostic at $where"
done
grep -q "^bad.yaml:13:20: auto_compress must be true or false, got 'maybe'$" err ||
    fail "strict boolean message: $(cat err)"
run 1 policy verify missing.yaml
grep -q "^missing.yaml: cannot read: No such file or directory$" err || fail "$(cat err)"

# ---- list and show --------------------------------------------------------------------------
cp "$SHIPPED" p.yaml
run 0 policy list --config p.yaml
printf '%s\n' model_weights subtitle intermediate_cache attention_cache file_cache \
    temp_buffers log_data default >want
expect_same out want
run 0 policy list --verbose --config p.yaml
head -1 out | grep -q "^# policy: p.yaml (--config)$" || fail "list --verbose source: $(head -1 out)"
grep -Eq '^subtitle +lz4 +0 +512KB +true +1 +high +none$' out || fail "list --verbose row: $(cat out)"
grep -Eq '^model_weights +rans +0 +1MB +false +50 +low +planes/4$' out ||
    fail "list --verbose filter: $(cat out)"

run 0 policy show subtitle --config=p.yaml
cat >want <<'EOF'
# policy: p.yaml (--config)
subtitle:
  algorithm: lz4
  level: 0
  chunk_size: 512KB
  auto_compress: true
  threshold_mb: 1
  priority: high
  filter: none
  typesize: 1
EOF
expect_same out want
run 0 policy show attention_cache --config=p.yaml
grep -q "^  filter: planes$" out && grep -q "^  typesize: 2$" out || fail "show filter: $(cat out)"
run 0 policy show no_such_type --config p.yaml
grep -q "^# 'no_such_type' is not in the policy: it uses 'default'$" out || fail "$(cat out)"
grep -q "^default:$" out || fail "show of an unknown type: $(cat out)"
expect_same p.yaml "$SHIPPED"

# ---- create ---------------------------------------------------------------------------------
run 0 policy create render_cache --algorithm zstd --level 2 --threshold 5 --config p.yaml
# Expected: the shipped file with one block before `default`, unset keys from `default`.
awk '/^  default:$/ { print "  render_cache:\n    algorithm: zstd\n    level: 2\n    chunk_size: 4MB\n    auto_compress: false\n    threshold_mb: 5\n    priority: low\n" } { print }' \
    "$SHIPPED" >want_created
expect_same p.yaml want_created
no_temp_files

run 0 policy create tiny --chunk-size 65537 --threshold 0.5 --auto-compress true \
    --priority high --algorithm none --level 0 --config p.yaml
awk '/^  default:$/ { print "  tiny:\n    algorithm: none\n    level: 0\n    chunk_size: 65537\n    auto_compress: true\n    threshold_mb: 0.5\n    priority: high\n" } { print }' \
    want_created >want_tiny
expect_same p.yaml want_tiny
run 0 policy delete tiny --config p.yaml
expect_same p.yaml want_created

# ---- update ---------------------------------------------------------------------------------
run 0 policy update subtitle --level 2 --auto-compress false --config p.yaml
sed '/^  subtitle:$/,/^$/ { s/^    level: 0$/    level: 2/; s/^    auto_compress: true$/    auto_compress: false/ }' \
    want_created >want_updated
expect_same p.yaml want_updated
run 0 policy update log_data --chunk-size 512KB --config p.yaml
sed -i '/^  log_data:$/,/^$/ s/^    chunk_size: 10MB$/    chunk_size: 512KB/' want_updated
expect_same p.yaml want_updated

# ---- delete ---------------------------------------------------------------------------------
run 0 policy delete render_cache --config p.yaml
sed '/^  render_cache:$/,/^$/d' want_updated >want_deleted
expect_same p.yaml want_deleted
no_temp_files

# ---- refusals: bad values leave the file byte-identical -------------------------------------
cp p.yaml before.yaml
refuse() { # STATUS MESSAGE-REGEX cmz-args...: fails with that status and message, file intact
    local status=$1 message=$2
    shift 2
    run "$status" "$@"
    grep -Eq "$message" err || fail "cmz $*: expected /$message/ in: $(cat err)"
    expect_same p.yaml before.yaml
}
refuse 1 "level 99 is out of range for lz4 \(valid: 0\.\.12\)" \
    policy update subtitle --level 99 --config p.yaml
refuse 1 "auto_compress must be true or false, got 'maybe'" \
    policy update subtitle --auto-compress maybe --config p.yaml
refuse 1 "chunk_size 2GB is above the maximum of 1GB" \
    policy update subtitle --chunk-size 2GB --config p.yaml
refuse 1 "chunk_size 8 is below the minimum of 16 bytes" \
    policy create x --chunk-size 8 --config p.yaml
refuse 1 "unknown codec 'zstdd'; valid codecs: .*; did you mean 'zstd'\?" \
    policy create x --algorithm zstdd --config p.yaml
refuse 1 "threshold_mb must not be negative, got -1" \
    policy create x --threshold -1 --config p.yaml
refuse 1 "threshold_mb .* is above the maximum of 1048576 \(1 TiB\)" \
    policy create x --threshold 2000000 --config p.yaml
refuse 1 "priority must be high, medium or low, got 'urgent'" \
    policy create x --priority urgent --config p.yaml
refuse 1 "level 0 is out of range for gzip" \
    policy update temp_buffers --algorithm gzip --config p.yaml
refuse 1 "type 'subtitle' already exists" policy create subtitle --level 1 --config p.yaml
refuse 1 "no type 'nope' in the policy" policy update nope --level 1 --config p.yaml
refuse 1 "no type 'nope' in the policy" policy delete nope --config p.yaml
refuse 1 "type 'default' cannot be deleted" policy delete default --config p.yaml
refuse 1 "type name 'a b' is not valid" policy create "a b" --config p.yaml
# All the bad values of one command are reported together.
run 1 policy create x --level 99 --auto-compress maybe --priority urgent --config p.yaml
[ "$(wc -l <err)" -eq 3 ] || fail "expected 3 errors: $(cat err)"
expect_same p.yaml before.yaml
# A file that does not validate is reported and left alone.
cp bad.yaml bad_copy.yaml
run 1 policy update subtitle --level 1 --config bad_copy.yaml
grep -q "^bad_copy.yaml:13:20: " err || fail "invalid file: $(cat err)"
expect_same bad_copy.yaml bad.yaml

# ---- filter and typesize ------------------------------------------------------------------
cp "$SHIPPED" f.yaml
# create with both: written after priority.
run 0 policy create pcm --filter shuffle --typesize 2 --config f.yaml
awk '/^  default:$/ { print "  pcm:\n    algorithm: gzip\n    level: 6\n    chunk_size: 4MB\n    auto_compress: false\n    threshold_mb: 10\n    priority: low\n    filter: shuffle\n    typesize: 2\n" } { print }' \
    "$SHIPPED" >want_f
expect_same f.yaml want_f
# auto without a typesize writes no typesize ("try 2 and 4").
run 0 policy create tensors --filter auto --config f.yaml
awk '/^  default:$/ { print "  tensors:\n    algorithm: gzip\n    level: 6\n    chunk_size: 4MB\n    auto_compress: false\n    threshold_mb: 10\n    priority: low\n    filter: auto\n" } { print }' \
    want_f >want_f2
expect_same f.yaml want_f2
run 0 policy show tensors --config f.yaml
grep -q "^  typesize: 0  # auto tries 2 and 4$" out || fail "show auto: $(cat out)"
# update: a new filter keeps the typesize that suits it; a typesize alone keeps the filter.
run 0 policy update model_weights --filter bitshuffle --config f.yaml
sed -i '/^  model_weights:$/,/^$/ s/^    filter: planes$/    filter: bitshuffle/' want_f2
expect_same f.yaml want_f2
run 0 policy update model_weights --typesize 8 --config f.yaml
sed -i '/^  model_weights:$/,/^$/ s/^    typesize: 4$/    typesize: 8/' want_f2
expect_same f.yaml want_f2
# update to none removes both lines; a filter added to a type without one adds them.
run 0 policy update attention_cache --filter none --config f.yaml
sed -i '/^  attention_cache:$/,/^$/ { /^    filter: /d; /^    typesize: /d }' want_f2
expect_same f.yaml want_f2
run 0 policy update log_data --filter=delta --typesize=4 --config f.yaml
sed -i '/^  log_data:$/,/^$/ s/^    priority: low$/    priority: low\n    filter: delta\n    typesize: 4/' want_f2
expect_same f.yaml want_f2
run 0 policy list --verbose --config f.yaml
grep -Eq '^tensors +gzip +6 +4MB +false +10 +low +auto$' out || fail "list auto: $(cat out)"
grep -Eq '^log_data +gzip .* +delta/4$' out || fail "list delta: $(cat out)"
# Refusals leave the file byte-identical.
cp f.yaml p.yaml
cp f.yaml before.yaml
refuse 1 "^cmz policy: unknown filter 'plane'; valid filters: none, shuffle, bitshuffle, delta, planes, auto; did you mean 'planes'\?$" \
    policy update subtitle --filter plane --typesize 4 --config p.yaml
refuse 1 "^cmz policy: typesize must be 1, 2, 4 or 8 \(0 with filter auto\), got '3'$" \
    policy update model_weights --typesize 3 --config p.yaml
refuse 1 "^cmz policy: typesize 4 needs a filter \(shuffle, bitshuffle, delta, planes or auto\) or the planes codec \(algorithm planes\): otherwise, typesize is 1$" \
    policy update subtitle --typesize 4 --config p.yaml
refuse 1 "^cmz policy: filter planes needs a typesize: 2, 4 or 8" \
    policy create x --filter planes --config p.yaml
refuse 1 "^cmz policy: typesize 1 is not valid for filter delta: it takes 2, 4 or 8$" \
    policy create x --filter delta --typesize 1 --config p.yaml
refuse 1 "^cmz policy: typesize 8 is not valid for filter none: it takes 1$" \
    policy update log_data --filter none --typesize 8 --config p.yaml
refuse 2 "option '--filter' needs a value" policy update subtitle --config p.yaml --filter
# A file with a bad filter is reported at its line and column, and left alone.
sed '/^  subtitle:$/,/^$/ s/^    priority: high$/    priority: high\n    filter: shufle\n    typesize: 2/' \
    "$SHIPPED" >bad_filter.yaml
cp bad_filter.yaml bad_filter_before.yaml
line=$(grep -n "^    filter: shufle$" bad_filter.yaml | cut -d: -f1)
run 1 policy update subtitle --level 1 --config bad_filter.yaml
grep -q "^bad_filter.yaml:$line:13: unknown filter 'shufle'; .*did you mean 'shuffle'?$" err ||
    fail "bad filter in a file: $(cat err)"
expect_same bad_filter.yaml bad_filter_before.yaml
cp want_deleted p.yaml
cp want_deleted before.yaml
no_temp_files

# ---- usage errors: status 2, nothing touched ------------------------------------------------
refuse 2 "usage: cmz policy" policy
refuse 2 "unknown command 'frobnicate'" policy frobnicate --config p.yaml
refuse 2 "create needs a TYPE" policy create --level 2 --config p.yaml
refuse 2 "unknown option '--colour'" policy update subtitle --colour red --config p.yaml
refuse 2 "option '--level' needs a value" policy update subtitle --config p.yaml --level
refuse 2 "update needs at least one of" policy update subtitle --config p.yaml
refuse 2 "delete takes no --algorithm" policy delete subtitle --level 1 --config p.yaml
refuse 2 "unexpected operand 'extra'" policy show subtitle extra --config p.yaml
run 0 policy --help
grep -q "^usage: cmz policy list" out || fail "--help: $(cat out)"
no_temp_files

# ---- where the policy comes from ------------------------------------------------------------
# Nothing found: the built-in defaults; a change goes to the user's file, created from them.
run 0 policy list --verbose
head -1 out | grep -q "^# policy: built-in defaults" || fail "built-in: $(head -1 out)"
run 0 policy update subtitle --level 3
USER_FILE="$XDG_CONFIG_HOME/cmz/compression_layers.yaml"
sed '/^  subtitle:$/,/^$/ s/^    level: 0$/    level: 3/' "$SHIPPED" >want_user
expect_same "$USER_FILE" want_user
run 0 policy show subtitle
grep -q "^# policy: $USER_FILE (user)$" out || fail "user file: $(cat out)"
grep -q "^  level: 3$" out || fail "user file's level: $(cat out)"
# The project's configs/ comes before the user's file.
mkdir configs && cp "$SHIPPED" configs/compression_layers.yaml
run 0 policy show subtitle
grep -q "^# policy: configs/compression_layers.yaml (project)$" out || fail "project: $(cat out)"
# $CMZ_CONFIG before the project's; a missing one is an error for reading ...
CMZ_CONFIG=p.yaml run 0 policy show subtitle
grep -q "^# policy: p.yaml (CMZ_CONFIG)$" out || fail "CMZ_CONFIG: $(cat out)"
CMZ_CONFIG=gone.yaml run 1 policy list
grep -q "^gone.yaml: cannot read" err || fail "missing CMZ_CONFIG: $(cat err)"
# ... and --config before everything; a change to a missing --config file creates it.
CMZ_CONFIG=p.yaml run 0 policy create extra --level 1 --config new.yaml
awk '/^  default:$/ { print "  extra:\n    algorithm: gzip\n    level: 1\n    chunk_size: 4MB\n    auto_compress: false\n    threshold_mb: 10\n    priority: low\n" } { print }' \
    "$SHIPPED" >want_new
expect_same new.yaml want_new
expect_same p.yaml before.yaml
expect_same configs/compression_layers.yaml "$SHIPPED"
no_temp_files

if [ "$failures" -ne 0 ]; then
    echo "$failures failure(s)" >&2
    exit 1
fi
echo "policy CLI: all checks passed"
