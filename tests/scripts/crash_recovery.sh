# Kill -9 a textFileStream job with a checkpoint and MEMORY_AND_DISK_SER_2
# at random moments, at least 20 times, restarting it each time, while
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
# what is there at the first start is not new (as Spark's newFilesOnly)
./job >>stdout 2>>stderr &
pid=$!
for _ in $(seq 1 100); do
    ls ck/c/log-* >/dev/null 2>&1 && break
    sleep 0.1
done
sleep 0.3

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

kills=0
while [ "$kills" -lt 20 ] || kill -0 "$writer" 2>/dev/null; do
    if [ "$kills" -gt 0 ]; then
        ./job >>stdout 2>>stderr &
        pid=$!
    fi
    sleep 0.$((RANDOM % 9 + 1))$((RANDOM % 10))
    kill -9 "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
    kills=$((kills + 1))
    [ "$kills" -lt 200 ] || fail "the writer never finished"
done
wait "$writer"
total=$(cat written)

sum_counts() { cat out/counts-*/part-* 2>/dev/null | awk '{s += $1} END {print s + 0}'; }
# the last run: until every file is in, then two more batches and a stop
./job >>stdout 2>>stderr &
pid=$!
for _ in $(seq 1 150); do
    [ "$(sum_counts)" -ge "$total" ] && break
    sleep 0.2
done
sleep 1.2
kill -TERM "$pid"
wait "$pid" || fail "the last run exited $?: $(tail -5 stderr)"

got=$(sum_counts)
[ "$got" = "$total" ] || fail "after $kills kills the saved counts add up to $got; $total lines were written"
last=$(ls -d out/total-* | sort -t- -k2 -n | tail -1)
state=$(cat "$last"/part-*)
[ "$state" = "(lines,$total)" ] || fail "updateStateByKey ends at '$state' in $last, not (lines,$total)"
recovered=$(grep -c "recovered from" stderr || true)
[ "$recovered" -ge 20 ] || fail "only $recovered of $kills restarts recovered"
! grep -iE "error|sanitizer" stderr || fail "errors in the runs' stderr"
echo "ok: $kills kills, $total lines, counted once each"
