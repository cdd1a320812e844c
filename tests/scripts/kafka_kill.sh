# kafka(): kill -9 at random moments (>= 20 times) while a producer keeps
# writing numbered records; the checkpoint keeps offset ranges, recovery
# reads them again: the updateStateByKey totals come out exact (0 lost,
# 0 counted twice).
. "$(dirname "$0")/lib.sh"
. "$ROOT/tests/lib/kafka_test.sh"
KILLS=${KAFKA_KILLS:-20}
N=3000

start_kafka_mock K -b 1 num:4
cat > job.stream <<'EOS'
param brokers = "127.0.0.1:9092";
context c {
    batch = 200ms;
    checkpoint = "ck";
}
source ev = kafka(brokers, "num", startingOffsets = "earliest");
stream n = ev.map(v => toInt(v));
n.map(i => (if (i % 2 == 0) "even" else "odd", i)).updateStateByKey(0, (a, v) => a + v).print();
n.map(i => ("count", 1)).updateStateByKey(0, (a, v) => a + v).print();
EOS
build job

# the producer: N numbered records in 30 bursts, keyed by their number
# (spread over the 4 partitions), while the job is killed again and again
mkfifo feed
kcat -b "$K" -P -t num -K: $KP -X linger.ms=5 <feed 2>kcat.err &
kp=$!
(
    for b in $(seq 0 29); do
        seq $((b * N / 30 + 1)) $(((b + 1) * N / 30)) | awk '{ print $1 ":" $1 }'
        sleep 0.15
    done
) >feed &
feeder=$!

for i in $(seq "$KILLS"); do
    ./job --param brokers="$K" >>out.all 2>>err.all &
    pid=$!
    # a random moment: during the start, recovery, a batch or its output
    sleep "0.$(printf %03d $((RANDOM % 600 + 50)))"
    kill -9 $pid
    wait $pid 2>/dev/null || true
done
wait $feeder
wait $kp || fail "kcat producer: $(cat kcat.err)"

# the last run: every record, each counted once
./job --param brokers="$K" >out 2>err &
pid=$!
even=$(seq $N | awk '$1 % 2 == 0 { s += $1 } END { print s }')
odd=$(seq $N | awk '$1 % 2 == 1 { s += $1 } END { print s }')
printf '(even,%s)\n(odd,%s)\n(count,%s)\n' "$even" "$odd" $N | sort >want
dl=$(peers_deadline 30)
while ! tail -n 12 out | grep -v -e '^-' -e '^Time' -e '^$' | sort | cmp -s - want; do
    peers_before "$dl" || fail "totals $(tail -n 12 out | tr '\n' ' '), want $(tr '\n' ' ' <want)"
    sleep 0.05
done
kill -TERM $pid
wait $pid || fail "last run: exit $?: $(cat err)"
# a total never went past the truth (nothing counted twice on the way)
awk -F'[(,)]' -v n=$N -v e="$even" -v o="$odd" \
    '($2 == "count" && $3 > n) || ($2 == "even" && $3 > e) || ($2 == "odd" && $3 > o) { print; bad = 1 } END { exit bad }' \
    out.all out || fail "a total passed the number of records"
grep -h 'recovered from' err.all err | head -1 >/dev/null || fail "no run recovered"
grep -h -e 'error' err.all err | grep -v 'Killed' && fail "errors: $(grep -h error err.all err | head)"
echo "kafka_kill: $KILLS kills, $(grep -ch 'recovered from' err.all | paste -sd+ | bc) recoveries, totals exact"
