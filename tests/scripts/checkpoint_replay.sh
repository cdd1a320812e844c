# Checkpoints in replay, beyond replay_restart.sh: a snapshot written by a
# program with another state layout is refused (exit 1, the message); a
# damaged newest snapshot falls back to the older one; the program's own
# `checkpoint =` is not used in replay; periodic snapshots every 10 s of
# batches, the newest two kept.
. "$(dirname "$0")/lib.sh"
cat > a.stream <<'EOS'
context c { batch = 1s; checkpoint = "own"; }
source s = stdin();
s.map(w => (w, 1)).reduceByKeyAndWindow((a, b) => a + b, 3s, 1s).print();
EOS
cat > b.stream <<'EOS'
context c { batch = 1s; }
source s = stdin();
s.map(w => (w, 1)).updateStateByKey(0, (st, v) => st + v).print();
EOS
build a
build b
for i in $(seq 0 29); do printf '%d\tw%d\n' $((i * 1000)) $((i % 3)); done > in.replay

# the program's own checkpoint = is for real time only
./a --replay s=in.replay --batches 2 >/dev/null 2>err || fail "a: exit $? $(cat err)"
[ ! -e own ] || fail "replay used the program's checkpoint directory"

# periodic snapshots (every 10 batches of 1 s) and the newest two kept
./a --replay s=in.replay --batches 25 --checkpoint ck >full1 2>err || fail "a: exit $? $(cat err)"
[ "$(ls ck/c)" = "$(printf 'state-00000000000000020000\nstate-00000000000000025000')" ] ||
    fail "snapshots: $(ls ck/c | tr '\n' ' ')"

# another program's snapshot: refused
./b --replay s=in.replay --checkpoint ck >out 2>err && fail "b accepted a's checkpoint"
[ $? = 1 ] || fail "b: exit status $?, expected 1"
grep -q "^b: error: checkpoint ck/c was written by a different program; remove it or choose another directory$" err ||
    fail "b: message: $(cat err)"
[ ! -s out ] || fail "b ran batches: $(head -3 out)"

# a damaged newest snapshot: a warning, then the older one (20 s) is used
printf 'X' | dd of=ck/c/state-00000000000000025000 bs=1 seek=40 conv=notrunc 2>/dev/null
./a --replay s=in.replay --checkpoint ck >rest 2>err || fail "a: exit $? $(cat err)"
grep -q "checkpoint ck/c/state-00000000000000025000 is damaged (bad checksum); skipped" err ||
    fail "no warning: $(cat err)"
grep -q "resuming from checkpoint ck/c after the batch at 20000 ms" err || fail "did not resume at 20 s: $(cat err)"
./a --replay s=in.replay >whole 2>/dev/null || fail "a: whole run"
# the whole run's output from 21 s on is what the resumed run printed
awk '/^Time: /{on = ($2 > 20000)} on' whole >tail
awk '/^Time: /{on = 1} on' rest | sed '/^-*$/d' >r2
sed '/^-*$/d' tail >t2
[ "$(grep -c . r2)" -gt 10 ] || fail "resumed run printed little: $(cat r2)"
cmp -s t2 r2 || fail "resumed output differs: $(diff t2 r2 | head)"
echo ok
