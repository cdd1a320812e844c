#!/usr/bin/env bash
# examples/ysb/run.sh: the Yahoo Streaming Benchmark end to end, on this
# machine, with one command (`make ysb` builds what it needs and runs it):
#
#   starts a Kafka cluster (librdkafka's mock, tests/tools/kafka_mock.c) and
#   a Redis server on free loopback ports; loads YSB's ad -> campaign table
#   into Redis; compiles examples/ysb/ysb.stream; runs it while
#   ysb_produce writes RATE events a second for DURATION seconds in YSB's
#   JSON format; waits until the job has counted every view; stops
#   everything; compares the counts in Redis with what the producer made
#   (exact) and prints YSB's latency (time_updated - window end).
#
#   RATE=50000 DURATION=30 PARTITIONS=4 bash examples/ysb/run.sh
#   PREFILL=1 RATE=500000 DURATION=4 bash examples/ysb/run.sh   # throughput
#
# Exit 0 when every (campaign, window) count is exact; 1 otherwise. Prints
# one line `ysb: RATE ev/s for DURATION s: ... p50 ... p99 ...` at the end.
# The working files are in $YSB_DIR (default a fresh temporary directory,
# removed unless KEEP=1).
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
BUILD=${BUILD:-build}
RATE=${RATE:-20000}
DURATION=${DURATION:-25}
PARTITIONS=${PARTITIONS:-4}
BIN=$ROOT/$BUILD/bin
STREAMC=${STREAMC:-$BIN/streamc}
PRODUCE=$ROOT/$BUILD/bench/ysb_produce
YSB_DIR=${YSB_DIR:-$(mktemp -d "${TMPDIR:-/tmp}/ysb.XXXXXX")}
mkdir -p "$YSB_DIR"
# every run starts a Kafka cluster and a Redis of its own: the checkpoint
# of an earlier run in the same YSB_DIR names the offsets of another
# cluster (the job would refuse it)
rm -rf "$YSB_DIR/ysb.ckpt"

for f in "$STREAMC" "$PRODUCE" "$ROOT/$BUILD/tests/kafka_mock"; do
    [ -x "$f" ] || { echo "ysb: $f missing: run 'make ysb'" >&2; exit 2; }
done

cleanup() {
    if [ -n "${JOB:-}" ] && kill -0 "$JOB" 2>/dev/null; then kill -TERM "$JOB"; wait "$JOB" || true; fi
    [ "${KEEP:-0}" = 1 ] || rm -rf "$YSB_DIR"
}
trap cleanup EXIT
. "$ROOT/tests/lib/peers.sh"

start_kafka_mock K "ad-events:$PARTITIONS"
start_redis R
echo "ysb: Kafka at $K, Redis at $R, files in $YSB_DIR"
"$PRODUCE" ads | redis-cli -p "$R_PORT" >/dev/null
[ "$(redis-cli -p "$R_PORT" DBSIZE)" = 1000 ] || { echo "ysb: the ad table did not load" >&2; exit 1; }

"$STREAMC" "$ROOT/examples/ysb/ysb.stream" -o "$YSB_DIR/ysb"
cd "$YSB_DIR"
start_job() {
    ./ysb --param brokers="$K" --param redis="$R" --workers "${WORKERS:-1}" --stats >job.out 2>job.err &
    JOB=$!
}
# PREFILL=1 (throughput): the topic is filled first, then the job reads it
# all from the earliest offset; otherwise (latency) the job runs while the
# producer writes at RATE
if [ "${PREFILL:-0}" = 1 ]; then
    "$PRODUCE" "$K" ad-events "$RATE" "$DURATION" expected.txt
    t0=${EPOCHREALTIME/./}
    start_job
else
    start_job
    # produce once the job has joined its group and holds the partitions
    # (the first join takes about 3 s), so the figures measure the job, not
    # its start
    deadline=$((SECONDS + 30))
    until grep -q "group 'ysb' assigned partitions" job.err; do
        if [ $SECONDS -ge $deadline ] || ! kill -0 "$JOB" 2>/dev/null; then
            echo "ysb: the job did not join its group" >&2; tail -5 job.err >&2; exit 1
        fi
        sleep 0.1
    done
    "$PRODUCE" "$K" ad-events "$RATE" "$DURATION" expected.txt
fi
end_ms=$(( ${EPOCHREALTIME/./} / 1000 ))   # every event made by now
total=$(awk '{ s += $3 } END { print s + 0 }' expected.txt)

# wait until Redis holds every view (the job reads behind the producer by
# at most a few batches); bounded so a broken job fails instead of hanging
deadline=$((SECONDS + 60))
while :; do
    python3 "$ROOT/bench/ysb/ysb_results.py" "$R_PORT" counts.txt "$end_ms" >latency.txt
    seen=$(awk '$1 != "unknown" { s += $3 } END { print s + 0 }' counts.txt)
    [ "$seen" -ge "$total" ] && break
    if [ $SECONDS -ge $deadline ] || ! kill -0 "$JOB" 2>/dev/null; then
        echo "ysb: the job counted $seen of $total views" >&2
        tail -5 job.err >&2
        exit 1
    fi
    sleep 0.5
done
t1=${EPOCHREALTIME/./}
kill -TERM "$JOB"
wait "$JOB" || { echo "ysb: the job failed" >&2; tail -5 job.err >&2; exit 1; }
JOB=

if ! diff -q expected.txt counts.txt >/dev/null; then
    echo "ysb: counts differ from what was produced:" >&2
    diff expected.txt counts.txt | head -10 >&2
    exit 1
fi
if [ "${PREFILL:-0}" = 1 ]; then
    # events (all types: the job reads and parses every one) per second of
    # the job's run, from its start to the last count in Redis
    echo "ysb: $((RATE * DURATION)) events prefilled, $total views in $(wc -l <counts.txt) campaign windows, all exact; read in $(( (t1 - t0) / 1000 )) ms: $(( RATE * DURATION * 1000000 / (t1 - t0) )) events/s (workers ${WORKERS:-1})"
else
    echo "ysb: $RATE ev/s for $DURATION s: $total views in $(wc -l <counts.txt) campaign windows, all exact; $(cat latency.txt)"
fi
