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

# need_codec WHAT NAME...: true when every codec NAME is compiled into $CMZ_BIN; otherwise says
# that WHAT is skipped and why, and is false. A script checks what needs a codec that a build
# may lack (make test-minimal) in `if need_codec ...; then ... fi` and runs the rest.
need_codec() {
    local what=$1 c
    shift
    [[ -n ${_cmz_codecs:-} ]] || _cmz_codecs=$("$CMZ_BIN" codecs | awk 'NR > 1 { print $1 }')
    for c; do
        if ! grep -qx -- "$c" <<<"$_cmz_codecs"; then
            echo "skipped: $what (needs $c, not compiled in)"
            return 1
        fi
    done
}
