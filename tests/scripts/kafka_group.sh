# kafka(group = ...): two processes of one program in one consumer group
# over a 4-partition topic split the partitions, each record processed by
# exactly one of them; kill -9 one, the other takes its partitions over
# from the committed offsets and nothing is lost.
. "$(dirname "$0")/lib.sh"
. "$ROOT/tests/lib/kafka_test.sh"

start_kafka_mock K -b 1 ev:4
cat > job.stream <<'EOS'
param brokers = "127.0.0.1:9092";
param out = "out";
context c {
    batch = 200ms;
}
source ev = kafka(brokers, "ev", group = "g1", startingOffsets = "earliest",
                  properties = "session.timeout.ms=4000;heartbeat.interval.ms=500");
ev.saveAsTextFiles(out);
EOS
build job
./job --param brokers="$K" --param out=a/o >oa 2>ea &
pa=$!
./job --param brokers="$K" --param out=b/o >ob 2>eb &
pb=$!
# both members hold partitions (the first join takes 3 s on the mock)
wait_grep ea "group 'g1' assigned partitions [0-9]" 30
wait_grep eb "group 'g1' assigned partitions [0-9]" 30

collect() { cat "$1"/o-*/part-* 2>/dev/null || true; }
seq 400 | awk '{ print $1 ":r" $1 }' | kcat -b "$K" -P -t ev -K: $KP || fail "produce 1"
dl=$(peers_deadline 20)
while [ "$( (collect a; collect b) | wc -l)" -lt 400 ]; do
    peers_before "$dl" || fail "read $( (collect a; collect b) | wc -l) of 400"
    sleep 0.05
done
(collect a; collect b) | sort >got1
seq 400 | sed 's/^/r/' | sort | diff - got1 >/dev/null || fail "phase 1: not each record exactly once ($(wc -l <got1) lines, $(sort got1 | uniq -d | wc -l) twice)"
# the members split the partitions: each read some (unless a rebalance --
# a later assignment or a revocation in the logs -- moved them all to one
# meanwhile: a loaded machine
# can delay a member's heartbeats past session.timeout.ms)
if [ "$(collect a | wc -l)" = 0 ] || [ "$(collect b | wc -l)" = 0 ]; then
    [ "$(cat ea eb | grep -c 'assigned partitions')" -gt 2 ] || grep -q "group 'g1' revoked" ea eb \
        || fail "one member read nothing: $(cat ea eb)"
    echo "note: a rebalance gave one member every partition before the records came"
fi

# kill -9 b: a takes its partitions over
kill -9 $pb
wait $pb 2>/dev/null || true
seq 401 800 | awk '{ print $1 ":r" $1 }' | kcat -b "$K" -P -t ev -K: $KP || fail "produce 2"
dl=$(peers_deadline 40)
new_in_a() { collect a | awk '{ sub("r", "") } $1 > 400' | sort -u | wc -l; }
while [ "$(new_in_a)" -lt 400 ]; do
    peers_before "$dl" || fail "after the kill a read $(new_in_a) of 400"
    sleep 0.1
done
collect a | awk '{ sub("r", "") } $1 > 400' | sort -n >got2
seq 401 800 | diff - got2 >/dev/null || fail "phase 2: not each new record exactly once"
# on the revocation a finished its batch and committed its own partitions:
# it read none of its own records twice (b's uncommitted last batch it may)
[ -z "$(collect a | sort | uniq -d)" ] || fail "a read records of its own twice: $(collect a | sort | uniq -d | head -3)"
grep -q "group 'g1' revoked 2 partitions of 'ev'" ea || fail "no revocation in a: $(cat ea)"
kill -TERM $pa
wait $pa || fail "a: exit $?: $(cat ea)"
echo "kafka_group: 800 of 800, $(collect a | awk '{ sub("r", "") } $1 <= 400' | sort | uniq | comm -12 - <(collect b | sed 's/^r//' | sort) | wc -l) records b had processed read again by a"
