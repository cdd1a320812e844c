# Kill -9 a textFileStream job with a checkpoint and MEMORY_AND_DISK_SER_2
# at random moments, restarting it each time, until it was killed at least
# 20 times while running (each restart after its recovery), while
# files keep arriving; at the end the per-batch counts of all saved
# outputs must add up to exactly the lines written (nothing lost, nothing
# twice), and so must the running total kept by updateStateByKey, which
# has to survive every crash through the snapshots and the log.
. "$(dirname "$0")/lib.sh"
mkdir in out
cat > job.stream <<'EOS'
context c {
    batch = 500ms;
    block = 100ms;
    checkpoint = "ck";
}
source f = textFileStream("in") storage MEMORY_AND_DISK_SER_2;
f.count().saveAsTextFiles("out/counts");
f.map(l => ("lines", 1)).updateStateByKey(0, (s, v) => s + v).saveAsTextFiles("out/total");
f.countByWindow(2s, 500ms).print();
EOS
build job
echo "a file that is there before the first start is not new" > in/before.txt

# the first run must have looked at the directory before files arrive:
# what is there at the first start is not new (as Spark's newFilesOnly),
# and is logged as "/before.txt" once that first look is done
./job >>stdout 2>run.err &
pid=$!
for _ in $(seq 1 600); do
    grep -qa /before.txt ck/c/log-* ck/c/state-* 2>/dev/null && break
    kill -0 "$pid" 2>/dev/null || fail "the first run ended: $(cat run.err)"
    sleep 0.05
done
grep -qa /before.txt ck/c/log-* ck/c/state-* 2>/dev/null ||
    fail "the first run logged no first look at in/ in 30 s: $(cat run.err)"

NFILES=${NFILES:-120}
RANDOM=42
# the writer: files of 1..300 lines, moved in whole, every 0..150 ms
(
    total=0
    for i in $(seq 1 "$NFILES"); do
        n=$((RANDOM % 300 + 1))
        seq 1 "$n" | sed "s/^/file $i line /" > in/.w$i
        mv in/.w$i in/f$i.txt
        total=$((total + n))
        sleep 0.0$((RANDOM % 10))
    done
    echo "$total" > written
) &
writer=$!

# wait_recovered RUN.ERR PID: waits until the restart PID has logged the end of
# its recovery ("recovered from", rt_recover's last word, before its
# receivers start); fails if it ends first (the 30 s bound only stops a
# hang)
wait_recovered() {
    for _ in $(seq 1 600); do
        grep -q "recovered from" "$1" && return 0
        kill -0 "$2" 2>/dev/null || fail "a restart ended before it recovered: $(tail -5 "$1")"
        sleep 0.05
    done
    fail "a restart did not recover in 30 s: $(tail -5 "$1")"
}

# Each kill comes at a random moment of a run. It counts as a crash of a
# running job ("ran") when that run had got through its start: the first
# run, which the test waited for; a restart, once its stderr has the end
# of its recovery. A kill can also come earlier, during a restart's
# recovery (more often under load): a crash too, but not of a running
# job, so the loop goes on until 20 running jobs were killed; the restart
# after such a kill waits for its recovery before its random moment (so
# that the loop ends, and a restart that cannot recover fails here).
kills=0 ran=0 early=0 wait_recovery=false
while [ "$ran" -lt 20 ] || kill -0 "$writer" 2>/dev/null; do
    if [ "$kills" -gt 0 ]; then
        ./job >>stdout 2>run.err &
        pid=$!
        if $wait_recovery; then wait_recovered run.err "$pid"; fi
    fi
    sleep 0.$((RANDOM % 9 + 1))$((RANDOM % 10))
    kill -9 "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
    kills=$((kills + 1))
    if [ "$kills" = 1 ] || grep -q "recovered from" run.err; then
        ran=$((ran + 1)) wait_recovery=false
    else
        early=$((early + 1)) wait_recovery=true
    fi
    cat run.err >>stderr
    [ "$kills" -lt 200 ] || fail "the writer never finished"
done
wait "$writer"
total=$(cat written)

sum_counts() { cat out/counts-*/part-* 2>/dev/null | awk '{s += $1} END {print s + 0}'; }
# the last run: until every file is in, then two more batches and a stop
./job >>stdout 2>run.err &
pid=$!
for _ in $(seq 1 150); do
    [ "$(sum_counts)" -ge "$total" ] && break
    sleep 0.2
done
sleep 1.2
kill -TERM "$pid"
wait "$pid" || fail "the last run exited $?: $(tail -5 run.err)"
cat run.err >>stderr
grep -q "recovered from" run.err || fail "the last run did not recover: $(tail -5 run.err)"

got=$(sum_counts)
[ "$got" = "$total" ] || fail "after $kills kills the saved counts add up to $got; $total lines were written"
last=$(ls -d out/total-* | sort -t- -k2 -n | tail -1)
state=$(cat "$last"/part-*)
[ "$state" = "(lines,$total)" ] || fail "updateStateByKey ends at '$state' in $last, not (lines,$total)"
recovered=$(grep -c "recovered from" stderr || true)
[ "$recovered" -ge 20 ] || fail "only $recovered of $kills restarts recovered"
! grep -iE "error|sanitizer" stderr || fail "errors in the runs' stderr"
echo "ok: $kills kills ($ran of running jobs, $early during a restart's recovery), $total lines, counted once each"
