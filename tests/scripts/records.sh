# Records across the C boundary and through checkpoints: an extern or
# foreachRDD C function whose signature does not match its types fails to
# compile with the C compiler's error naming it; tuple, list and option
# state and windows survive a snapshot and a restart.
. "$(dirname "$0")/lib.sh"
cat > ext.stream <<'EOS'
%{
static int64_t pairsum(sc_pair_int_string p) { return p._1; }
%}
extern pairsum((string, int)) : int;
context c { batch = 1s; }
source s = stdin();
s.map(w => (len(w), w)).print();
s.map(w => pairsum((w, 1))).print();
EOS
"$STREAMC" -o ext ext.stream >out 2>err && fail "a mismatched extern compiled"
grep -q "conflicting types for .pairsum." err || fail "extern: $(cat err)"
cat > fe.stream <<'EOS'
%{
static void show(const st_rdd *rdd) { (void)rdd; }
%}
context c { batch = 1s; }
source s = stdin();
s.map(w => (w, [1])).foreachRDD(show);
EOS
"$STREAMC" -o fe fe.stream >out 2>err && fail "a mismatched foreachRDD compiled"
grep -q "conflicting types for .show." err || fail "foreachRDD: $(cat err)"

cat > a.stream <<'EOS'
context c { batch = 1s; }
source s = stdin();
stream p = s.map(l => (field(l, " ", 0), (toInt(field(l, " ", 1)), [field(l, " ", 1)])));
p.updateStateByKey((0, [""], None), (st, v) => (st._1 + v._1, sorted([st._2[0], v._2[0]]), if (v._1 > 2) Some(v._1) else st._3)).print();
p.mapValues(v => (v._2, Some(v._1))).window(3s, 1s).print();
p.mapValues(v => v._2).reduceByKeyAndWindow((a, b) => [a[0], b[len(b) - 1]], 2s, 1s).print();
EOS
build a
for i in $(seq 0 19); do printf '%d\tk%d %d\n' $((i * 1000)) $((i % 3)) $((i % 5)); done > in.replay
./a --replay s=in.replay >whole 2>err || fail "a: whole run: $(cat err)"
./a --replay s=in.replay --batches 12 --checkpoint ck >first 2>err || fail "a: exit $? $(cat err)"
./a --replay s=in.replay --checkpoint ck >rest 2>err || fail "a: resume: $(cat err)"
grep -q "resuming from checkpoint ck/c after the batch at 12000 ms" err || fail "did not resume at 12 s: $(cat err)"
awk '/^Time: /{on = ($2 > 12000)} on' whole | sed '/^-*$/d' >t2
awk '/^Time: /{on = 1} on' rest | sed '/^-*$/d' >r2
grep -q "Some(" r2 || fail "no options in the resumed output: $(head r2)"
grep -q "List(" r2 || fail "no lists in the resumed output: $(head r2)"
cmp -s t2 r2 || fail "resumed output differs: $(diff t2 r2 | head)"
echo ok
