#!/usr/bin/env bash
# bench/kafka_bench.sh: the kafka() source against the plain librdkafka
# consumer (bench/base_kafka.c), in the same run, on the same mock cluster
# and topic; then the end-to-end latency from produce to print().
# `make bench-kafka`. Figures: bench/README.md.
#
#   N=2000000 SIZE=100 PARTS=64 REPEAT=3 RATE=100000 SECS=10 WARM=4 bash bench/kafka_bench.sh
#
#
# Throughput: rounds of (baseline, pipeline), interleaved, best of REPEAT
# each. The pipeline counts the topic from the earliest offsets in 100 ms
# batches; its records/s is N over the span of its batches with records
# (first to last, plus one batch interval), from --stats.
# Latency: bench/kafka_pace.c produces RATE records/s for SECS s, each
# record's value the epoch ms it was produced (after WARM s more, which
# are not measured: the engine's slow start, flow.h, holds the first
# batches to 10,000 records and the backlog takes a few batches to clear); the pipeline (batch = 1s)
# prints per batch the count and the oldest and newest value; the script
# stamps each printed line as it arrives. A record's latency is the time
# its batch's line arrived minus its value: the max per batch is exact
# (arrival - oldest), the median is taken over every record assuming the
# records of a batch are spread evenly between its oldest and newest.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
N=${N:-2000000}
SIZE=${SIZE:-100}
PARTS=${PARTS:-64}
REPEAT=${REPEAT:-3}
RATE=${RATE:-100000}
SECS=${SECS:-10}
WARM=${WARM:-4}
CC=${CC:-cc}
OUT=$ROOT/bench/out/kafka
mkdir -p "$OUT"
BCFLAGS="-O2 -g -Wall -Wextra -Werror -std=c11 -D_GNU_SOURCE"
$CC $BCFLAGS -o "$OUT/kafka_mock" "$ROOT/tests/tools/kafka_mock.c" -lrdkafka -lpthread
$CC $BCFLAGS -o "$OUT/kafka_fill" "$ROOT/bench/kafka_fill.c" -lrdkafka
$CC $BCFLAGS -o "$OUT/base_kafka" "$ROOT/bench/base_kafka.c" -lrdkafka
$CC $BCFLAGS -o "$OUT/kafka_pace" "$ROOT/bench/kafka_pace.c" -lrdkafka
STREAMC=$ROOT/bin/streamc
cat >"$OUT/kcount.stream" <<'EOS'
param brokers = "127.0.0.1:9092";
context c {
    batch = 100ms;
    block = 50ms;
}
source ev = kafka(brokers, "bench", startingOffsets = "earliest");
ev.count().print();
EOS
cat >"$OUT/klat.stream" <<'EOS'
param brokers = "127.0.0.1:9092";
context c {
    batch = 1s;
}
source ev = kafka(brokers, "lat");
ev.map(v => ("b", (1, toInt(v), toInt(v)))).reduceByKey((a, b) => (a._1 + b._1, if (a._2 < b._2) a._2 else b._2, if (a._3 > b._3) a._3 else b._3)).print();
EOS
"$STREAMC" -o "$OUT/kcount" "$OUT/kcount.stream"
"$STREAMC" -o "$OUT/klat" "$OUT/klat.stream"

export KAFKA_MOCK=$OUT/kafka_mock
. "$ROOT/tests/lib/peers.sh"
start_kafka_mock K bench:"$PARTS" lat:4
echo "kafka bench: mock at $K, topic bench with $PARTS partitions"
"$OUT/kafka_fill" "$K" bench "$N" "$SIZE"

# the pipeline's records/s: from its --stats lines
pipeline() {
    "$OUT/kcount" --param brokers="$K" --stats >"$OUT/kcount.out" 2>"$OUT/kcount.err" &
    local pid=$! dl
    dl=$(peers_deadline 120)
    while [ "$(awk '/^\[stats\] c time=/ { sub("records=", "", $4); s += $4 } END { print s + 0 }' "$OUT/kcount.err")" -lt "$N" ]; do
        peers_before "$dl" || { kill $pid; echo "kcount: did not read $N records" >&2; return 1; }
        sleep 0.05
    done
    kill -TERM $pid
    wait $pid
    awk -v n="$N" '/^\[stats\] c time=/ { sub("time=", "", $3); sub("records=", "", $4);
          if ($4 > 0) { if (!f) f = $3; l = $3; s += $4 } }
          END { if (s != n) { print "kcount: counted " s " of " n > "/dev/stderr"; exit 1 }
                printf "kcount: %d records in %.2f s: %d records/s\n", s, (l - f + 100) / 1000, s * 1000 / (l - f + 100) }' \
        "$OUT/kcount.err"
}

best=0 pbest=0
for r in $(seq "$REPEAT"); do
    line=$("$OUT/base_kafka" "$K" bench "$N")
    echo "$line"
    rate=$(echo "$line" | sed -n 's/.*: \([0-9]*\) records\/s.*/\1/p')
    [ "$rate" -gt "$best" ] && best=$rate
    line=$(pipeline)
    echo "$line"
    rate=$(echo "$line" | sed -n 's/.*: \([0-9]*\) records\/s.*/\1/p')
    [ "$rate" -gt "$pbest" ] && pbest=$rate
done
echo "kafka bench: baseline best of $REPEAT: $best records/s; kafka() pipeline best of $REPEAT: $pbest records/s ($(echo "scale=2; $pbest / $best" | bc)x)"

# ---- latency ----
rm -f "$OUT/klat.fifo"
mkfifo "$OUT/klat.fifo"
# stamp every printed line with its arrival time (epoch ms)
(while IFS= read -r line; do t=${EPOCHREALTIME/./}; echo "${t:0:13} $line"; done <"$OUT/klat.fifo") >"$OUT/klat.stamped" &
spid=$!
"$OUT/klat" --param brokers="$K" >"$OUT/klat.fifo" 2>"$OUT/klat.err" &
lpid=$!
dl=$(peers_deadline 20)
until grep -q 'reading partitions' "$OUT/klat.err"; do peers_before "$dl" || exit 1; sleep 0.02; done
t0=${EPOCHREALTIME/./}; t0=${t0:0:13}
"$OUT/kafka_pace" "$K" lat "$RATE" $((WARM + SECS))
# the last records' batch is printed within the next 2 batch intervals
sleep 2.5
kill -TERM $lpid
wait $lpid || true
wait $spid || true
# lines "ARRIVAL (b,(COUNT,OLDEST,NEWEST))"
sed -n 's/^\([0-9]*\) (b,(\([0-9]*\),\([0-9]*\),\([0-9]*\)))$/\1 \2 \3 \4/p' "$OUT/klat.stamped" >"$OUT/klat.batches"
awk -v from=$((t0 + WARM * 1000 + 1000)) '$1 < from { next } { nb++; max = $1 - $3; if (max > m) m = max; n += $2
       # records spread evenly between oldest and newest: one sample per 100
       for (i = 0; i < $2; i += 100) print $1 - ($3 + ($4 - $3) * i / ($2 > 1 ? $2 - 1 : 1)) > "'"$OUT/klat.samples"'" }
     END { printf "klat: %d records in %d batches measured, max latency %d ms\n", n, nb, m }' "$OUT/klat.batches"
sort -n "$OUT/klat.samples" | awk '{ a[NR] = $1 } END { printf "klat: median latency %d ms (batch interval 1000 ms)\n", a[int((NR + 1) / 2)] }'
stop_peers
