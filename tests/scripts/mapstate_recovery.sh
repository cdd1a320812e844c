# mapWithState with a timeout and Spark's updateStateByKey with removal
# survive kill -9 (spec section 9): a replay job keeps both states (keys
# that come and go, time out, are removed by None) in --checkpoint ck; it
# is killed with SIGKILL four times once it has printed past a batch, and
# restarted each time. Every run's stdout must be exactly the
# uninterrupted run's from the batch it resumed after (a killed run: a
# prefix of it, up to its last whole line), so the states, the keys' last
# batch times and the timeouts due are all restored from the snapshots.
. "$(dirname "$0")/lib.sh"
cat > job.stream <<'EOS'
context c { batch = 1s; }
source s = stdin();
stream p = s.map(l => (field(l, " ", 0), toInt(field(l, " ", 1))));
stream m = p.mapWithState((k, v, st) => {
    val n = getOrElse(st, 0) + getOrElse(v, 0);
    (if (isDefined(v) && n % 7 != 0) Some(n) else None, (k, n, isDefined(v)))
}, timeout = 3s);
m.filter(x => !x._3 || x._2 % 7 == 0).print(1000);
m.stateSnapshots().reduce((a, b) => (a._1, a._2 + b._2)).print();
p.updateStateByKey((vs, st) => {
    val n = getOrElse(st, 0) + sum(vs);
    if (len(vs) == 0 && n % 2 == 0) None else Some(n)
}).count().print();
EOS
build job
# 2500 batches; in batch i, keys k(i*7+j) % 400 for j < 40: every key
# comes back now and then, most time out in between
awk 'BEGIN { for (i = 0; i < 2500; i++) for (j = 0; j < 40; j++)
        printf "%d\tk%d %d\n", i * 1000, (i * 7 + j * 13 + (i % 5) * j) % 400, (i + j) % 5 + 1 }' > in.replay
./job --replay s=in.replay >whole 2>err || fail "whole run: exit $? $(cat err)"
[ "$(grep -c '^Time: ' whole)" = 7500 ] || fail "whole run printed $(grep -c '^Time: ' whole) batches"
grep -q ',false)$' whole || fail "no key timed out in the whole run"
# suffix T: the whole run's output after the batch at T ms
suffix() {
    awk -v t="$1" '/^-+$/ && !hdr { d = $0; getline; if ($1 == "Time:") { on = ($2 > t); hdr = 1 }
                                     if (on) print d; if (on) print; next }
                   /^-+$/ { hdr = 0 } on' whole
}
resumed_at() { sed -n 's/.*resuming from checkpoint ck\/c after the batch at \([0-9]*\) ms.*/\1/p' "$1"; }
from=0
for r in 1 2 3 4; do
    ./job --replay s=in.replay --checkpoint ck >out$r 2>err$r &
    pid=$!
    # past the next periodic snapshot (every 10 batches) before the kill
    wait_for out$r "^Time: $(( (from / 1000 + 25 + r * 150) * 1000 )) ms"
    kill -9 "$pid"
    wait "$pid" 2>/dev/null || true
    if [ "$r" -gt 1 ]; then
        at=$(resumed_at err$r)
        [ "$at" = "$from" ] || fail "run $r resumed after ${at:-nothing}, expected $from: $(head -3 err$r)"
    fi
    n=$(( $(wc -l < out$r) - 1 ))
    head -n "$n" out$r > got
    suffix "$from" | head -n "$n" > want
    cmp -s want got || fail "run $r (killed) printed other lines than the whole run after $from: $(diff want got | head -5)"
    ls ck/c/state-* >/dev/null 2>&1 || fail "run $r left no snapshot"
    # the next run resumes after the newest snapshot
    from=$(ls ck/c | sed -n 's/^state-0*\([0-9][0-9]*\)$/\1/p' | sort -n | tail -1)
done
./job --replay s=in.replay --checkpoint ck >last 2>errl || fail "last run: exit $? $(cat errl)"
[ "$(resumed_at errl)" = "$from" ] || fail "the last run did not resume after $from: $(head -3 errl)"
suffix "$from" > want
cmp -s want last || fail "the last run's output differs from the whole run's after $from: $(diff want last | head -5)"
grep -q 'Sanitizer' err1 err2 err3 err4 errl && fail "sanitizer: $(cat err* | head -20)"
echo ok
