#!/usr/bin/env bash
# `cmz policy` against a hostile or unlucky user (issue 20): concurrent updates both survive,
# deeply nested YAML is refused at once with its position (verify, list, --type), every
# subcommand fails when its output cannot be written, and a level for a codec without levels
# says how to change the algorithm. Needs $CMZ_BIN (ctest sets it).
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
: "${CMZ_BIN:?CMZ_BIN must name the cmz program}"
: "${CMZ_SOURCE_DIR:=$(cd "$here/../.." && pwd)}"
CMZ=$(cd "$(dirname "$CMZ_BIN")" && pwd)/$(basename "$CMZ_BIN")
# The shipped policy names zstd and gzip: a build without them warns and uses its default
# codec for those types (test_policy_absent_codec.sh), and the tests below hold there too.
SHIPPED="$CMZ_SOURCE_DIR/configs/compression_layers.yaml"

work=$(mktemp -d "${TMPDIR:-/tmp}/cmz-policy-hardening.XXXXXX")
trap 'rm -rf "$work"' EXIT
cd "$work"
unset CMZ_CONFIG
export XDG_CONFIG_HOME="$work/xdg" HOME="$work/home"

# shellcheck source=../cli/checks.bash
source "$here/../cli/checks.bash" # fail, ok, expect
has() { grep -q -- "$1" "$2" || fail "'$1' not found in $2: $(head -c 600 "$2")"; ok; }

# ---- 4: concurrent updates of different types all survive -----------------------------------
# Without a lock each process read the file, changed its type and renamed its copy over the
# file: the last rename won and the other changes were lost while all said "updated".
for round in $(seq 1 20); do
    cp "$SHIPPED" p.yaml
    "$CMZ" policy update subtitle --level 5 --config p.yaml >o1 2>e1 &
    p1=$!
    "$CMZ" policy update log_data --level 9 --config p.yaml >o2 2>e2 &
    p2=$!
    "$CMZ" policy update file_cache --level 7 --config p.yaml >o3 2>e3 &
    p3=$!
    s1=0 s2=0 s3=0
    wait $p1 || s1=$?
    wait $p2 || s2=$?
    wait $p3 || s3=$?
    [[ $s1$s2$s3 == 000 ]] || fail "round $round: exit statuses $s1 $s2 $s3: $(cat e1 e2 e3)"
    expect 0 "$CMZ" policy list --verbose --config p.yaml
    grep -Eq '^subtitle +lz4 +5 ' out || fail "round $round: subtitle's change lost: $(cat out)"
    grep -Eq '^log_data +gzip +9 ' out || fail "round $round: log_data's change lost: $(cat out)"
    grep -Eq '^file_cache +zstd +7 ' out || fail "round $round: file_cache's change lost: $(cat out)"
    ok
done
[[ -z $(find . -name '*.tmp*') ]] || fail "temporary files left: $(find . -name '*.tmp*')"
ok

# ---- 4: the lock is the writers' only: readers take none, any writer can take it ----------
# A symbolic link in the lock's place is refused, not followed (nothing is created elsewhere);
# a link to the policy is locked beside its target.
mkdir real
cp "$SHIPPED" real/p.yaml
ln -s real/p.yaml link.yaml
expect 0 "$CMZ" policy update subtitle --level 4 --config link.yaml
[[ -e real/p.yaml.lock && ! -e link.yaml.lock ]] || fail "the lock is not beside the target"
ok
ln -s "$work/elsewhere" real/q.yaml.lock
cp "$SHIPPED" real/q.yaml
expect 1 "$CMZ" policy update subtitle --level 4 --config real/q.yaml
has "cannot lock 'real/q.yaml' (with 'real/q.yaml.lock')" err
[[ ! -e elsewhere ]] || fail "the lock followed a symbolic link"
ok
# Other users (needs root to be one): a lock file created by another user with umask 022
# (0644) must not keep them from changing a policy that they may write, and list, show and
# verify must work in a folder they cannot write (only writers lock).
as_nobody() { setpriv --reuid=nobody --regid=nogroup --clear-groups "$@"; }
if [[ $(id -u) == 0 ]] && command -v setpriv >/dev/null && as_nobody true 2>/dev/null &&
    as_nobody test -x "$CMZ"; then
    chmod 0755 "$work"
    mkdir -m 0777 shared
    cp "$SHIPPED" shared/p.yaml
    chmod 0666 shared/p.yaml
    (umask 022 && "$CMZ" policy update subtitle --level 5 --config shared/p.yaml >/dev/null)
    mode=$(stat -c %a shared/p.yaml.lock)
    [[ $mode == 644 ]] || fail "the lock file's mode is $mode"
    expect 0 as_nobody "$CMZ" policy update log_data --level 8 --config shared/p.yaml
    expect 0 "$CMZ" policy list --verbose --config shared/p.yaml
    grep -Eq '^log_data +gzip +8 ' out || fail "nobody's change is missing: $(cat out)"
    ok
    mkdir readonly
    cp "$SHIPPED" readonly/p.yaml
    chmod 0555 readonly
    for cmd in "list" "list --verbose" "show subtitle"; do
        # shellcheck disable=SC2086 # cmd is several words on purpose
        expect 0 as_nobody "$CMZ" policy $cmd --config readonly/p.yaml
    done
    expect 0 as_nobody "$CMZ" policy verify readonly/p.yaml
    expect 1 as_nobody "$CMZ" policy update subtitle --level 3 --config readonly/p.yaml
    has "cannot lock 'readonly/p.yaml'" err
    [[ -z $(ls -A readonly | grep -v '^p.yaml$') ]] || fail "left in readonly: $(ls -A readonly)"
    cmp -s readonly/p.yaml "$SHIPPED" || fail "a refused update changed the file"
    ok
fi

# ---- 5: deep nesting is refused at once, with its position ----------------------------------
head -c 400000 /dev/zero | tr '\0' '[' >deep.yaml
expect 1 timeout 20 "$CMZ" policy verify deep.yaml
has "^deep.yaml:1:65: YAML nesting deeper than 64 levels" err
expect 1 timeout 20 "$CMZ" policy list --config deep.yaml
has "^deep.yaml:1:65: YAML nesting deeper than 64 levels" err
printf 'some text\n' >text
status=0
timeout 20 "$CMZ" --config deep.yaml --type subtitle -o text.cmz text >out 2>err || status=$?
[[ $status == 1 || $status == 2 ]] || fail "--type with a deep policy exited $status"
has "deep.yaml:1:65: YAML nesting deeper than 64 levels" err

# ---- 9: a tag decides the type, as quotes do -------------------------------------------------
sed 's/^    level: 6$/    level: !!str 6/' "$SHIPPED" >tagged.yaml
expect 1 "$CMZ" policy verify tagged.yaml
has "^tagged.yaml:[0-9]*:12: level must be an integer, got the string \"6\" (tagged !!str)$" err
sed 's/^    level: 6$/    level: !!int 6/' "$SHIPPED" >tagged.yaml
expect 0 "$CMZ" policy verify tagged.yaml

# ---- 8: output that cannot be written is an error -------------------------------------------
if [[ -w /dev/full ]]; then
    cp "$SHIPPED" p.yaml
    for cmd in "list" "list --verbose" "show subtitle" "show nosuch" "verify p.yaml" \
        "verify" "--help" "update subtitle --priority low" "create newtype" \
        "delete newtype"; do
        status=0
        # shellcheck disable=SC2086 # cmd is several words on purpose
        "$CMZ" policy $cmd --config p.yaml >/dev/full 2>err || status=$?
        [[ $cmd == "--help" ]] && { "$CMZ" policy --help >/dev/full 2>err || status=$?; }
        [[ $status == 1 ]] || fail "cmz policy $cmd >/dev/full exited $status"
        has "cannot write to stdout: No space left on device" err
    done
fi

# ---- 14: a codec without levels says so, and how to change the algorithm --------------------
cp "$SHIPPED" p.yaml
cp p.yaml before.yaml
expect 1 "$CMZ" policy update model_weights --level 2 --config p.yaml
has "^cmz policy: rans has no levels: its level is 0 (for level 2, choose an algorithm that has levels)$" err
# zstd first; lz4 (the first compiled in that has levels) in a build without it
suggested=zstd
"$CMZ" codecs | grep -q '^zstd ' || suggested=lz4
has "^cmz policy: to change the algorithm: cmz policy update model_weights --algorithm $suggested --level 2$" err
cmp -s p.yaml before.yaml || fail "a refused update changed the file"
ok
# The command it gives works.
expect 0 "$CMZ" policy update model_weights --algorithm "$suggested" --level 2 --config p.yaml
expect 0 "$CMZ" policy show model_weights --config p.yaml
has "^  algorithm: $suggested$" out
has "^  level: 2$" out
# A level no codec has gets no command; a level only some have names one of them.
expect 1 "$CMZ" policy update model_weights --algorithm none --level 99 --config p.yaml
has "none has no levels" err
grep -q -- "--algorithm" err && fail "a command was offered for level 99: $(cat err)"
ok
expect 1 "$CMZ" policy update log_data --algorithm rans --level 11 --config p.yaml
has "rans has no levels" err
has "cmz policy update log_data --algorithm $suggested --level 11$" err

echo "test_policy_hardening: $checks checks passed"
