# kafka(): a checkpoint whose offsets are past the end of the partition
# (the topic was made again, or the brokers are another cluster) is
# refused at recovery with a message saying so, never read from a guess:
# the offset to resume from, and the range of a logged batch that recovery
# runs again (its records read again from Kafka: before, it waited for
# them for ever).
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
stop_peers

# ---- a logged batch's range past the end: the job is killed while its
# batch runs (foreachRDD holds it until the kill), so the restart must
# read the batch's records (offsets 0 to 9) again; the other cluster has
# 3 ----
cat > hold.stream <<'EOS'
%{
#include <stdio.h>
#include <unistd.h>
/* the first batch with records: say so, then hold it until killed */
static void hold(const sc_rdd_string *rdd)
{
    if (rdd->count == 0)
        return;
    FILE *f = fopen("in-batch", "w");
    if (f)
        fclose(f);
    for (;;)
        pause();
}
%}
param brokers = "127.0.0.1:9092";
context c {
    batch = 200ms;
    checkpoint = "ck2";
}
source ev = kafka(brokers, "t", startingOffsets = "earliest");
ev.foreachRDD(hold);
EOS
build hold
start_kafka_mock K3 t:1
seq 10 | kcat -b "$K3" -P -t t $KP || fail "produce 3"
./hold --param brokers="$K3" >o3 2>e3 &
p3=$!
for _ in $(seq 1 600); do [ -e in-batch ] && break; kill -0 $p3 2>/dev/null || break; sleep 0.05; done
[ -e in-batch ] || fail "the batch never ran: $(cat e3)"
kill -9 $p3
wait $p3 2>/dev/null || true
stop_peers
start_kafka_mock K4 t:1
seq 3 | kcat -b "$K4" -P -t t $KP || fail "produce 4"
rm in-batch
# (the timeout only stops a hang: before, recovery waited for ever)
rc=0; timeout 60 ./hold --param brokers="$K4" >o4 2>e4 || rc=$?
[ $rc = 1 ] || fail "replay past the end: exit $rc: $(cat e4)"
grep -qx "hold: error: source 'ev': partition t\[0\]: offsets 0 to 9 of a recovered batch are past the end of the partition (it holds offsets 0 to 2): the topic was deleted and made again, or this checkpoint belongs to another cluster" e4 ||
    fail "replay message: $(cat e4)"
[ ! -e in-batch ] || fail "the refused batch ran"
echo "kafka_past_end: ok"
