# The window state of the grouping operators through kill -9 (spec
# section 10): a stdin job (its records exist only in the write-ahead log)
# keeps a groupByKeyAndWindow over 10 minutes and an inverse
# reduceByKeyAndWindow with filter = f. The first run is killed with
# SIGKILL once it printed the buffers of 1000 records; the restart must
# go on from exactly those: 500 more records give the buffer of all 1500
# (count and sum), and a key the filter dropped before the kill comes
# back with its new value only (it left the window's state, and the
# state that was recovered does not hold it).
. "$(dirname "$0")/lib.sh"
cat > job.stream <<'EOS'
context c {
    batch = 200ms;
    checkpoint = "ck";
}
source s = stdin();
stream kv = s.map(l => (field(l, " ", 0), toInt(field(l, " ", 1))));
kv.groupByKeyAndWindow(10min).mapValues(vs => (len(vs), sum(vs), vs[0])).print();
kv.reduceByKeyAndWindow((a, b) => a + b, (a, b) => a - b, 10min, filter = p => p._2 < 2500000)
  .map(p => ("sum", p._1, p._2)).print();
EOS
build job
# start N FIRST LAST BIG: run N of ./job on a fifo (fd 3), fed "big BIG"
# and "k FIRST" .. "k LAST"; its pid in $pid, its output in oN, eN
start() {
    mkfifo "in$1"
    ./job <"in$1" >"o$1" 2>"e$1" &
    pid=$!
    exec 3>"in$1"
    { echo "big $4"; seq "$2" "$3" | sed 's/^/k /'; } >&3
}

start 1 1 1000 3000000
wait_for o1 '^(k,(1000,500500,1))$'
wait_for o1 '^(sum,k,500500)$'
kill -9 "$pid"
wait "$pid" 2>/dev/null || true
exec 3>&-
grep -q '(sum,big' o1 && fail "the filter let big through: $(grep big o1)"
grep -q '^(big,(1,3000000,3000000))$' o1 || fail "run 1 has no buffer of big: $(grep big o1 | head -3)"

start 2 1001 1500 1
wait_for o2 '^(k,(1500,1125750,1))$'
wait_for o2 '^(sum,k,1125750)$'
wait_for o2 '^(sum,big,1)$'
wait_for o2 '^(big,(2,3000001,3000000))$'
exec 3>&-
kill -TERM "$pid" 2>/dev/null || true
wait "$pid" || true
grep -q "recovered from\|resuming from" e2 || fail "the restart did not recover: $(head -5 e2)"
! grep -iE "error|sanitizer" e1 e2 || fail "errors in the runs' stderr"
echo "ok: the buffers and the filtered window state survived kill -9"
