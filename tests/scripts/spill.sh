# DISK storage levels: DISK_ONLY blocks go to disk as soon as they are
# sealed and come back when their batch runs; every record must come back
# unchanged (the per-batch sums of the numbers add up to the sum written,
# and the per-batch sums of the line lengths too), and no spill file may
# be left behind. Without a checkpoint a private directory under TMPDIR
# holds the spill; with DISK_ONLY_2 and a checkpoint the log does.
. "$(dirname "$0")/lib.sh"
mkdir tmp
cat > sp.stream <<'EOS'
context c {
    batch = 200ms;
    block = 50ms;
}
source lines = stdin() storage DISK_ONLY;
lines.map(l => toInt(field(l, " ", 0))).reduce((a, b) => a + b).print();
lines.map(l => ("len", len(l))).reduceByKey((a, b) => a + b).print();
EOS
sed -e 's/storage DISK_ONLY/storage DISK_ONLY_2/' -e 's/block = 50ms;/&\n    checkpoint = "ck";/' sp.stream > sp2.stream
sed -e 's/storage DISK_ONLY/storage MEMORY_AND_DISK_SER/' sp.stream > sp3.stream
sed -e 's/storage DISK_ONLY/storage MEMORY_ONLY/' sp.stream > sp4.stream
build sp
build sp2
build sp3
build sp4
N=20000
# lines of different lengths, some empty-ish, one with a NUL-free odd byte
seq 1 "$N" | awk '{ printf "%d %s\n", $1, substr("abcdefghijklmnopqrstuvwxyz", 1, $1 % 27) }' > input
want_sum=$((N * (N + 1) / 2))
want_len=$(awk '{ s += length($0) } END { print s }' input)
check() {   # $1: output file
    got_sum=$(grep -E '^[0-9]+$' "$1" | awk '{ s += $1 } END { print s + 0 }')
    got_len=$(sed -n 's/^(len,\([0-9]*\))$/\1/p' "$1" | awk '{ s += $1 } END { print s + 0 }')
    [ "$got_sum" = "$want_sum" ] || fail "$1: numbers add up to $got_sum, not $want_sum"
    [ "$got_len" = "$want_len" ] || fail "$1: lengths add up to $got_len, not $want_len"
}
TMPDIR="$W/tmp" timeout 30 ./sp --stats <input >out 2>err || fail "exit $? $(tail -3 err)"
check out
spilled() { sed -n 's/.*spilled=\([0-9]*\).*/\1/p' "$1" | awk '{ s += $1 } END { print s + 0 }'; }
[ "$(spilled err)" -gt 0 ] || fail "--stats shows no spilled block"
[ -z "$(ls -A tmp)" ] || fail "spill files left behind: $(ls -A tmp | head -3)"

timeout 30 ./sp2 --stats <input >out2 2>err2 || fail "exit $? $(tail -3 err2)"
check out2
[ -z "$(ls ck/c | grep spill || true)" ] || fail "DISK_ONLY_2 wrote spill files next to its log"
# MEMORY_AND_DISK spills once the blocks in memory pass --memory;
# MEMORY_ONLY never does
TMPDIR="$W/tmp" timeout 30 ./sp3 --stats --memory 1k <input >out3 2>err3 || fail "exit $? $(tail -3 err3)"
check out3
[ "$(spilled err3)" -gt 0 ] || fail "MEMORY_AND_DISK_SER over --memory 1k spilled nothing"
TMPDIR="$W/tmp" timeout 30 ./sp3 --stats <input >out3b 2>err3b || fail "exit $? $(tail -3 err3b)"
[ "$(spilled err3b)" = 0 ] || fail "MEMORY_AND_DISK_SER under the default budget spilled"
TMPDIR="$W/tmp" timeout 30 ./sp4 --stats --memory 1k <input >out4 2>err4 || fail "exit $? $(tail -3 err4)"
check out4
[ "$(spilled err4)" = 0 ] || fail "MEMORY_ONLY spilled"
[ -z "$(ls -A tmp)" ] || fail "spill files left behind: $(ls -A tmp | head -3)"
echo ok
