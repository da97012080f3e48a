#!/usr/bin/env bash
# The README's C example, as a new user meets it: the README shows examples/readme_example.c
# verbatim; installed into a prefix, it builds with the README's own pkg-config command and runs
# once the loader is told where libcmz lies, by the one line that the install prints for a prefix
# off the loader's path. A staged install (DESTDIR) touches no loader and prints no advice.
# Needs no root and touches no system folder.
set -euo pipefail
: "${CMZ_BUILD_DIR:?}" "${CMZ_SOURCE_DIR:?}"
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
work=$(mktemp -d "${TMPDIR:-/tmp}/cmzreadme.XXXXXX")
trap 'rm -rf "$work"' EXIT
cd "$work"
# shellcheck source=../cli/checks.bash
source "$here/../cli/checks.bash"
readme=$CMZ_SOURCE_DIR/README.md
example=$CMZ_SOURCE_DIR/examples/readme_example.c

# block LANG MARK: the README's fenced LANG block that holds the line MARK, verbatim.
block() {
    awk -v lang="$1" -v mark="$2" '
        $0 == "```" lang { inside = 1; text = ""; next }
        inside && $0 == "```" { inside = 0; if (index(text, mark)) printf "%s", text; next }
        inside { text = text $0 "\n" }' "$readme"
}

# One copy of the example: the README's C block is the file.
block c "int main(void)" > readme_block.c
[[ -s readme_block.c ]] || fail "README.md has no C block with a main()"
diff -u "$example" readme_block.c > block.diff ||
    fail "README.md's C block differs from examples/readme_example.c: $(head -n 8 block.diff)"
ok

if [ -n "${CMZ_SANITIZE:-}" ]; then
    echo "README block checked; the install and build run in the plain build only"; exit 0
fi

# The README's commands: the line that builds the example and the line that runs it.
commands=$(block sh "pkg-config --cflags --libs cmz")
build_line=$(grep -m1 '^cc .*pkg-config --cflags --libs cmz' <<< "$commands") ||
    fail "README.md shows no 'cc ... pkg-config --cflags --libs cmz' line"
run_line=$(grep -m1 '^\./' <<< "$commands") || fail "README.md shows no line that runs the example"
ok

# An install into a prefix off the loader's path says how to reach it, and runs no ldconfig.
expect 0 cmake --install "$CMZ_BUILD_DIR" --prefix "$work/prefix"
cat out err > install.log
hint=$(grep -o 'export LD_LIBRARY_PATH=.*' install.log) ||
    fail "the install into $work/prefix printed no LD_LIBRARY_PATH line: $(tail -n 3 install.log)"
grep -q "$work/prefix/lib" <<< "$hint" || fail "the hint names another folder: $hint"
! grep -qi 'ran ldconfig' install.log || fail "ldconfig ran for a private prefix"
ok

# Built exactly as the README says, from a tree laid out as the README assumes, then run with
# the hint followed.
mkdir -p tree/examples && cp "$example" tree/examples/
pc=$(find "$work/prefix" -name cmz.pc | head -n 1)
cd tree
export PKG_CONFIG_PATH
PKG_CONFIG_PATH=$(dirname "$pc")
expect 0 eval "$build_line"
unset LD_LIBRARY_PATH
eval "$hint"
expect 0 eval "$run_line"
grep -q identical out || fail "the example did not get its data back: $(cat out)"
cd "$work"

# A staged install (a package build) leaves the loader's cache to the package manager.
expect 0 env DESTDIR="$work/stage" cmake --install "$CMZ_BUILD_DIR" --prefix /usr/local
! grep -qiE 'ldconfig|LD_LIBRARY_PATH' out err ||
    fail "a DESTDIR install gave loader advice: $(cat out err | tail -n 2)"
test -f "$work/stage/usr/local/include/cmz/cmz.h" || fail "the staged install is not under DESTDIR"
ok

echo "readme example: $checks checks OK"
