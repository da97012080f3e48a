#!/usr/bin/env bash
# Damage in files of several frames and around them (docs/DAMAGE.md): `cmz -t` says what is
# wrong and advises the command that works, `cmz repair` writes every frame back or refuses,
# `cmz -d --salvage` writes the content of every frame; bytes after the frames are named as
# such; parity whose CRCs hold but whose bytes are wrong fails `-t`.
# Needs CMZ_BIN (the cmz program).
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

: "${CMZ_BIN:?CMZ_BIN must name the cmz program}"
CMZ=$(cd "$(dirname "$CMZ_BIN")" && pwd)/$(basename "$CMZ_BIN")

work=$(mktemp -d "${TMPDIR:-/tmp}/cmz-damage.XXXXXX")
trap 'rm -rf "$work"' EXIT
cd "$work"

# shellcheck source=checks.bash
source "$here/checks.bash" # fail, ok, expect
same() { cmp -s "$1" "$2" || fail "$1 and $2 differ"; ok; }
has() { grep -qi -- "$1" "$2" || fail "'$1' not found in $2: $(head -c 600 "$2")"; ok; }
lacks() { ! grep -qi -- "$1" "$2" || fail "'$1' found in $2: $(head -c 600 "$2")"; ok; }
size_of() { stat -c %s "$1"; }
xor_byte() { # xor_byte FILE OFFSET: inverts one byte in place
    local b
    b=$(od -An -tu1 -j "$2" -N1 "$1" | tr -d ' ')
    printf "$(printf '\\%03o' $((b ^ 255)))" | dd of="$1" bs=1 seek="$2" conv=notrunc 2>/dev/null
}
text() { # text SEED BYTES: word salad
    perl -e 'srand($ARGV[0]); my @w=qw(cut scene night camera she said the city lights rain);
             my $s=""; $s .= $w[int(rand(@w))]." " while length($s) < $ARGV[1];
             print substr($s, 0, $ARGV[1])' "$1" "$2"
}

text 1 100000 >a.txt
text 2 100000 >b.txt
cat a.txt b.txt >ab.txt
"$CMZ" -q --chunk-size 8K -c a.txt b.txt >ab.cmz

# The last frame's end magic changed: every chunk of both frames is intact; the advice is a
# repair, and the repair writes both frames back as they were.
cp ab.cmz end.cmz
xor_byte end.cmz $(($(size_of end.cmz) - 1))
expect 1 "$CMZ" -t end.cmz
has "in 2 frames intact" err
has "'cmz repair end.cmz'" err
expect 0 "$CMZ" -d --salvage -o end.txt end.cmz
same end.txt ab.txt
expect 0 "$CMZ" repair end.cmz
same end.cmz ab.cmz

# Cut inside the second frame: the first frame and the second's whole chunks are salvaged,
# the loss is reported, the advice is salvage, and repair refuses (it would drop data).
head -c $(($(size_of ab.cmz) - 3000)) ab.cmz >cut.cmz
cp cut.cmz cut.orig
expect 1 "$CMZ" -t cut.cmz
has "frame 1, chunk" err
has "cmz -d --salvage" err
lacks "cmz repair" err
expect 1 "$CMZ" repair cut.cmz
same cut.cmz cut.orig
expect 1 "$CMZ" -d --salvage -o cut.txt cut.cmz
has "content bytes lost" err
lacks " 0 content bytes lost" err
[[ $(size_of cut.txt) -gt 100000 ]] || fail "the second frame's chunks were not salvaged"; ok
cmp -s <(head -c 100000 cut.txt) a.txt || fail "the first frame was not salvaged whole"; ok

# A whole frame with 8 bytes after it: named as such, not as a damaged footer or index.
cp ab.cmz tail.cmz && printf 'garbage!' >>tail.cmz
expect 1 "$CMZ" -t tail.cmz
has "8 bytes at offset $(size_of ab.cmz) are not part of any frame" err
lacks "footer damaged" err
lacks "index damaged" err
expect 1 "$CMZ" repair tail.cmz
has "would drop them" err
expect 1 "$CMZ" -d --salvage -o tail.txt tail.cmz
same tail.txt ab.txt

# Parity whose CRCs hold but whose bytes are wrong: -t fails and names it, repair rewrites it.
"$CMZ" -q --chunk-size 4K --parity 2:1 -c a.txt >par.cmz
python3 - par.cmz <<'EOF'
import struct, sys
def crc32c(data, crc=0):
    crc ^= 0xFFFFFFFF
    for b in data:
        crc ^= b
        for _ in range(8):
            crc = (crc >> 1) ^ (0x82F63B78 & -(crc & 1))
    return crc ^ 0xFFFFFFFF
path = sys.argv[1]
f = bytearray(open(path, 'rb').read())
pos = 48
while f[pos:pos + 4] == b'CMZc':
    kind = f[pos + 4]
    payload = struct.unpack_from('<I', f, pos + 16)[0]
    if kind == 1:  # the first parity record: change its shard's last byte, fix both CRCs
        end = pos + 40 + payload
        f[end - 1] ^= 0x40
        struct.pack_into('<I', f, pos + 24, crc32c(f[pos + 40:end]))
        struct.pack_into('<I', f, pos + 36, crc32c(f[pos:pos + 36]))
        break
    pos += 40 + payload
else:
    sys.exit('no parity record found')
open(path, 'wb').write(f)
EOF
cp par.cmz par.bad
expect 1 "$CMZ" -t par.cmz
has "parity" err
has "1 parity records damaged" err
has "'cmz repair par.cmz'" err
expect 0 "$CMZ" repair par.cmz
expect 0 "$CMZ" -t par.cmz
expect 0 "$CMZ" -d -c par.cmz && same out a.txt
# damage a data chunk of the group whose parity is wrong: not called repairable
xor_byte par.bad 200
expect 1 "$CMZ" -t par.bad
lacks ", repairable" err
lacks "cmz repair" err
expect 1 "$CMZ" repair par.bad

echo "test_damage_cli: $checks checks passed"
