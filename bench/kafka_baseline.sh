#!/usr/bin/env bash
# bench/kafka_baseline.sh: the plain librdkafka consumer's records/s against
# the mock cluster (issue 13's throughput baseline). `make bench-kafka`.
#
#   N=2000000 SIZE=100 PARTS=64 REPEAT=3 bash bench/kafka_baseline.sh
#
# Starts tests/tools/kafka_mock (1 broker) with a topic of PARTS partitions,
# fills it with N records of SIZE bytes (bench/kafka_fill.c, round robin),
# then runs bench/base_kafka.c REPEAT times over the whole topic and prints
# each rate and the best. The mock keeps at most 5 MiB per partition and
# deletes older records, so N*SIZE must fit in PARTS*5 MiB with room for
# record overhead (2M x 100 B in 64 partitions: 3.4 MB each); base_kafka
# fails when a partition no longer starts at offset 0. A streamc pipeline
# reading the same topic is to run in the same run, against these figures.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
N=${N:-2000000}
SIZE=${SIZE:-100}
PARTS=${PARTS:-64}
REPEAT=${REPEAT:-3}
CC=${CC:-cc}
OUT=$ROOT/bench/out/kafka
mkdir -p "$OUT"
BCFLAGS="-O2 -g -Wall -Wextra -Werror -std=c11 -D_GNU_SOURCE"
$CC $BCFLAGS -o "$OUT/kafka_mock" "$ROOT/tests/tools/kafka_mock.c" -lrdkafka -lpthread
$CC $BCFLAGS -o "$OUT/kafka_fill" "$ROOT/bench/kafka_fill.c" -lrdkafka
$CC $BCFLAGS -o "$OUT/base_kafka" "$ROOT/bench/base_kafka.c" -lrdkafka

export KAFKA_MOCK=$OUT/kafka_mock
. "$ROOT/tests/lib/peers.sh"
start_kafka_mock K bench:"$PARTS"
echo "kafka bench: mock at $K, topic bench with $PARTS partitions"
"$OUT/kafka_fill" "$K" bench "$N" "$SIZE"
best=0
for r in $(seq "$REPEAT"); do
    line=$("$OUT/base_kafka" "$K" bench "$N")
    echo "$line"
    rate=$(echo "$line" | sed -n 's/.*: \([0-9]*\) records\/s.*/\1/p')
    [ "$rate" -gt "$best" ] && best=$rate
done
echo "kafka bench: baseline (plain librdkafka consumer loop), best of $REPEAT: $best records/s"
stop_peers
