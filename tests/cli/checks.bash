# Shared by the CLI test scripts (sourced; not a test itself: ctest runs tests/*/*.sh).
# Each check that passes counts in $checks; the first that fails prints where and exits 1.
checks=0
fail() {
    local n=${#BASH_LINENO[@]}
    echo "FAIL (line ${BASH_LINENO[n - 2]}): $*" >&2
    [[ -s err ]] && { echo "--- stderr of the last command:" >&2; cat err >&2; }
    exit 1
}
ok() { checks=$((checks + 1)); }

# expect STATUS CMD...: runs CMD with stdout in ./out and stderr in ./err, checks the status.
expect() {
    local want=$1 got=0
    shift
    "$@" >out 2>err || got=$?
    [[ $got == "$want" ]] || fail "'$*' exited $got, expected $want"
    ok
}
