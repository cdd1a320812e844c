# A replay file of a MiB or more is read and laid out in pieces on the
# context's workers. Whatever the number of workers, the batches must hold
# the same records in the same blocks: the saved part files (one per
# block), the keyed output and the warnings are compared with --workers 1,
# for a clean file (laid out in pieces) and for files the pieces hand back
# to the one-pass layout (a malformed line, a record out of order).
. "$(dirname "$0")/lib.sh"
cat > p.stream <<'EOS'
context c {
    batch = 1s;
    block = 100ms;
}
source lines = stdin();
lines.saveAsTextFiles("saved/s");
lines.flatMap(l => split(l, " ")).countByValue().filter(p => p._2 > 400).print(100000);
EOS
build p
# 60,000 lines over 6 s (about 3 MiB): offsets ascend, 10 lines share each
# millisecond, every 97th line is blank, every 89th ends in \r\n.
awk 'BEGIN {
    srand(7);
    for (i = 0; i < 60000; i++) {
        if (i % 97 == 0) print "";
        line = int(i / 10) "\t";
        for (j = 0; j < 8; j++) line = line sprintf("w%d ", int(rand() * rand() * 2000));
        line = line sprintf("n%d", i);
        if (i % 89 == 0) line = line "\r";
        print line;
    }
}' > clean.replay
[ "$(wc -c < clean.replay)" -gt 2097152 ] || fail "the replay file is smaller than 2 MiB"
# the same with a malformed line near the end, and with one record moved
# back in time
awk 'NR == 50000 { print "not a replay line" } { print }' clean.replay > bad.replay
awk 'NR == 40000 { print "10\tlate w1 w2" } { print }' clean.replay > late.replay

for f in clean bad late; do
    for w in 1 2 5; do
        rm -rf saved
        ./p --replay lines=$f.replay --workers $w > out.$f.$w 2> err.$f.$w \
            || fail "$f --workers $w: exit $? $(cat err.$f.$w)"
        ls saved | wc -l | grep -qx 6 || fail "$f --workers $w: $(ls saved | wc -l) saved batches, not 6"
        (cd saved && find . -type f | sort | xargs cat | cksum) > saved.$f.$w
        (cd saved && find . -type f -name 'part-*' | sort) > parts.$f.$w
    done
    for w in 2 5; do
        cmp -s out.$f.1 out.$f.$w || fail "$f: printed output of --workers $w differs from --workers 1"
        cmp -s err.$f.1 err.$f.$w || fail "$f: warnings of --workers $w differ: $(diff err.$f.1 err.$f.$w | head -5)"
        cmp -s parts.$f.1 parts.$f.$w || fail "$f: --workers $w saved other part files (blocks)"
        cmp -s saved.$f.1 saved.$f.$w || fail "$f: --workers $w saved other records"
    done
done
# 100 ms blocks over 6 s: 60 blocks, one part file each
[ "$(wc -l < parts.clean.1)" = 60 ] || fail "$(wc -l < parts.clean.1) blocks, not 60"
# every record is saved (the blank lines hold none)
n=$(cd saved && find . -name 'part-*' | xargs cat | wc -l)
[ "$n" = 60001 ] || fail "late: $n records saved, not 60001"
grep -q 'bad.replay:50[0-9][0-9][0-9]: replay line without a tab' err.bad.1 || fail "no warning for the malformed line: $(cat err.bad.1)"
[ ! -s err.clean.1 ] || fail "warnings for a clean file: $(cat err.clean.1)"
echo ok
