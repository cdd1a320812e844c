#!/usr/bin/env bash
# bench/group.sh: groupByKey word count beside reduceByKey word count, in
# the same run (spec section 10 asks groupByKey >= 0.5x reduceByKey).
# Not part of make test or make bench's tables: bash bench/group.sh
#
# Both pipelines (pipelines/wordcount.stream, pipelines/wordcount_group.stream)
# read the same generated words (gen words, as run.sh), print the same
# figures (checked: exit 1 if they differ), and run REPEAT rounds
# interleaved (reduce, group, reduce, group, ...), each measured run after
# an unmeasured one of the same command; the fastest run of each counts.
# Figures: wall time of the whole run (replay load included) and the sum
# of the batches' processing times from --stats (the operators' work).
# Environment: REPEAT (default 5), WC_LINES (1000000), WC_SECS (10),
# WORKERS (default: the machine's cores).
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
B=$ROOT/bench
OUT=$B/out
REPEAT=${REPEAT:-5}
WC_LINES=${WC_LINES:-1000000}; WC_SECS=${WC_SECS:-10}
WORKERS=${WORKERS:-}
STREAMC=$ROOT/bin/streamc
CC=${CC:-cc}
mkdir -p "$OUT/bin" "$OUT/data" "$OUT/run"
[ -x "$STREAMC" ] || { echo "group.sh: $STREAMC missing: run make first" >&2; exit 1; }
$CC -O2 -Wall -Wextra -Werror -std=c11 -D_GNU_SOURCE -o "$OUT/bin/gen" "$B/gen.c" -lm
DATA=$OUT/data/group-words-$WC_LINES-$WC_SECS.replay
[ -f "$DATA" ] || "$OUT/bin/gen" words "$WC_LINES" "$WC_SECS" "$DATA"
for p in wordcount wordcount_group; do
    "$STREAMC" -o "$OUT/run/$p" "$B/pipelines/$p.stream"
done
wflag=${WORKERS:+--workers $WORKERS}
# run NAME: one measured run; prints "WALL_MS PROC_MS"
run() {
    local t0 t1
    "$OUT/run/$1" --replay lines="$DATA" $wflag >/dev/null 2>&1
    t0=$(date +%s%N)
    "$OUT/run/$1" --replay lines="$DATA" $wflag --stats >"$OUT/run/$1.out" 2>"$OUT/run/$1.stats"
    t1=$(date +%s%N)
    echo "$(( (t1 - t0) / 1000000 )) $(grep -o 'processing=[0-9]*' "$OUT/run/$1.stats" | sed 's/processing=//' |
        awk '{s += $1} END {print s + 0}')"
}
best_w_r=; best_p_r=; best_w_g=; best_p_g=
for i in $(seq 1 "$REPEAT"); do
    read -r w p < <(run wordcount)
    [ -z "$best_w_r" ] || [ "$w" -lt "$best_w_r" ] && best_w_r=$w
    [ -z "$best_p_r" ] || [ "$p" -lt "$best_p_r" ] && best_p_r=$p
    read -r w p < <(run wordcount_group)
    [ -z "$best_w_g" ] || [ "$w" -lt "$best_w_g" ] && best_w_g=$w
    [ -z "$best_p_g" ] || [ "$p" -lt "$best_p_g" ] && best_p_g=$p
done
cmp -s "$OUT/run/wordcount.out" "$OUT/run/wordcount_group.out" ||
    { echo "group.sh: FAIL: groupByKey and reduceByKey word counts print different results" >&2; exit 1; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2fx", a / b }'; }
echo "| word count ($WC_LINES lines, $WC_SECS batches, best of $REPEAT) | wall ms | processing ms | speed vs reduceByKey (processing) |"
echo "|---|---|---|---|"
echo "| reduceByKey | $best_w_r | $best_p_r | 1.00x |"
echo "| groupByKey + mapValues(len) | $best_w_g | $best_p_g | $(ratio "$best_p_r" "$best_p_g") |"
