#!/usr/bin/env bash
# bench/ysb/run.sh: the Yahoo Streaming Benchmark's figures as YSB takes
# them (examples/ysb/run.sh at several rates: Kafka mock cluster, Redis,
# YSB's JSON events, counts checked exactly), one line per rate:
#   RATE ev/s, views, windows, latency p50 / p99 / max (time_updated minus
#   the window's end, over the windows that closed while the producer ran)
# RATES="100000 300000 600000" DURATION=20 PARTITIONS=16 bash bench/ysb/run.sh
# Needs `make all build/bench/ysb_produce build/tests/kafka_mock` (make ysb).
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
RATES=${RATES:-100000 300000 600000}
echo "| rate (ev/s) | duration | partitions | views counted (exact) | windows | latency p50 | p99 | max |"
echo "|---:|---:|---:|---:|---:|---:|---:|---:|"
for r in $RATES; do
    line=$(RATE=$r DURATION=${DURATION:-20} PARTITIONS=${PARTITIONS:-16} bash "$ROOT/examples/ysb/run.sh" 2>&1 | tail -1)
    case $line in
    "ysb: $r ev/s"*"all exact"*) ;;
    *) echo "| $r | failed: $line |"; continue ;;
    esac
    set -- $(echo "$line" | sed 's/.*: \([0-9]*\) views in \([0-9]*\) campaign windows.*windows \([0-9]*\) latency_ms p50 \(-*[0-9]*\) p99 \(-*[0-9]*\) max \(-*[0-9]*\)/\1 \2 \3 \4 \5 \6/')
    echo "| $r | ${DURATION:-20} s | ${PARTITIONS:-16} | $1 | $3 of $2 | $4 ms | $5 ms | $6 ms |"
done
