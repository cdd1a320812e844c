# kafka(): a checkpoint whose offsets are past the end of the partition
# (the topic was made again, or the brokers are another cluster) is
# refused at recovery with a message saying so, never read from a guess
# (the range of a logged batch that recovery runs again past the end:
# tests/scripts/kafka_recovery_stop.sh).
. "$(dirname "$0")/lib.sh"
. "$ROOT/tests/lib/kafka_test.sh"

cat > job.stream <<'EOS'
param brokers = "127.0.0.1:9092";
context c {
    batch = 200ms;
    checkpoint = "ck";
}
source ev = kafka(brokers, "t", startingOffsets = "earliest");
ev.map(w => ("n", 1)).updateStateByKey(0, (a, v) => a + v).print();
EOS
build job
start_kafka_mock K t:1
seq 10 | kcat -b "$K" -P -t t $KP || fail "produce"
./job --param brokers="$K" >o1 2>e1 &
p1=$!
echo '(n,10)' >want
wait_state o1 want
kill -TERM $p1
wait $p1 || fail "first run: exit $?: $(cat e1)"
stop_peers

# another cluster: the same topic with 3 records
start_kafka_mock K2 t:1
seq 3 | kcat -b "$K2" -P -t t $KP || fail "produce 2"
rc=0; ./job --param brokers="$K2" >o2 2>e2 || rc=$?
[ $rc = 1 ] || fail "past the end: exit $rc: $(cat e2)"
grep -qx "job: error: source 'ev': partition t\[0\]: offset 10 is past the end of the partition (it holds offsets 0 to 2): the topic was deleted and made again, or this checkpoint belongs to another cluster" e2 ||
    fail "message: $(cat e2)"
grep -q '(n,' o2 && fail "printed a result from a checkpoint it refused: $(cat o2)"
echo "kafka_past_end: ok"
