#!/usr/bin/env bash
# bench/state.sh: state with removal and timeouts (make bench-state; spec
# section 9, bench/README.md "State"). Not part of make test.
#
# 1. Memory: rate(RATE) on the virtual clock, every record a new key
#    (KEYS distinct keys over KEYS/RATE one-second batches). mapWithState
#    with timeout = 60s keeps 60 batches' keys; updateStateByKey (the fold
#    form, no removal) keeps every key. RSS (VmRSS, sampled every 0.2 s)
#    against the batch each has reached, both in this run.
# 2. Speed: 1M keys (all in the first batch), then BATCHES batches of 10k
#    records on distinct random keys (1% active). Spark's updateStateByKey
#    ((values, state) => Option) calls its function for every key of the
#    state each batch; mapWithState only for the batch's records (and the
#    keys timing out, none here). Median processing time per batch from
#    --stats after the first batch; the fold form alongside.
#
# Environment: KEYS (10000000), RATE (20000), BATCHES (400; mapWithState),
# SLOW (40; the updateStateByKey forms, ~0.1-0.2 s a batch); SKIP_MEM=1 runs
# the speed part only.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
OUT=$ROOT/bench/out/state
STREAMC=${STREAMC:-$ROOT/build/bin/streamc}
KEYS=${KEYS:-10000000}
RATE=${RATE:-20000}
BATCHES=${BATCHES:-400}
SLOW=${SLOW:-40}   # batches after the first for the two updateStateByKey forms
NB=$((KEYS / RATE))
die() { echo "bench-state: FAIL: $*" >&2; exit 1; }
log() { echo "bench-state: $*" >&2; }
[ -x "$STREAMC" ] || die "$STREAMC missing: run make first"
mkdir -p "$OUT"
cd "$OUT"
: > empty.replay

# ---- 1. memory -------------------------------------------------------------
cat > mem_mws.stream <<EOS
context c { batch = 1s; }
source r = rate($RATE);
source d = stdin();
# mapped: 1 for a key timing out; printed: the timeouts of the batch
r.map(x => (x, 1)).mapWithState((k, v, s) => (Some(getOrElse(s, 0) + 1), if (isDefined(v)) 0 else 1),
                                timeout = 60s).reduce((a, b) => a + b).print();
d.print();
EOS
cat > mem_usk.stream <<EOS
context c { batch = 1s; }
source r = rate($RATE);
source d = stdin();
r.map(x => (x, 1)).updateStateByKey(0, (s, v) => s + v).count().print();
d.print();
EOS
"$STREAMC" -o mem_mws mem_mws.stream
"$STREAMC" -o mem_usk mem_usk.stream

# sample NAME: runs ./NAME for NB batches, writing NAME.rss (batch, RSS kB)
sample() {
    ./"$1" --replay d=empty.replay --batches "$NB" --stats >"$1.out" 2>"$1.stats" &
    local pid=$! b rss
    : > "$1.rss"
    while kill -0 "$pid" 2>/dev/null; do
        rss=$(awk '/^VmRSS:/ { print $2 }' /proc/"$pid"/status 2>/dev/null || true)
        b=$(tail -n 1 "$1.stats" 2>/dev/null | sed -n 's/.* time=\([0-9]*\) .*/\1/p')
        [ -n "$rss" ] && [ -n "$b" ] && echo "$((b / 1000)) $rss" >> "$1.rss"
        sleep 0.2
    done
    wait "$pid" || die "$1 exited $?"
}
T0=$(date +%s)
if [ -z "${SKIP_MEM:-}" ]; then
log "memory: $KEYS keys over $NB batches, mapWithState (timeout 60s) then updateStateByKey"
sample mem_mws
sample mem_usk
# mapWithState's timeouts: none before batch 62, then RATE per batch
got=$(awk '/^Time: /{ t = $2 / 1000 } /^[0-9]+$/ { if ($1 != (t >= 62 ? '"$RATE"' : 0)) bad++ } END { print bad + 0 }' mem_mws.out)
[ "$got" = 0 ] || die "mapWithState timed out other counts than expected in $got batches"
last=$(awk '/^[0-9]+$/ { n = $1 } END { print n }' mem_usk.out)
[ "$last" = "$KEYS" ] || die "updateStateByKey ends with $last keys, not $KEYS"

{
    echo "### RSS while $KEYS distinct keys arrive ($RATE a batch, 1 s batches, virtual clock)"
    echo
    echo "| batch | keys seen | mapWithState, timeout = 60s: RSS | updateStateByKey (no removal): RSS |"
    echo "|---:|---:|---:|---:|"
    step=$((NB / 10))
    for b in $(seq "$step" "$step" "$NB"); do
        # the first sample at or past batch b (the last one for the end)
        m=$(awk -v b="$b" '$1 >= b { print int($2 / 1024); f = 1; exit } { l = int($2 / 1024) } END { if (!f) print l }' mem_mws.rss)
        u=$(awk -v b="$b" '$1 >= b { print int($2 / 1024); f = 1; exit } { l = int($2 / 1024) } END { if (!f) print l }' mem_usk.rss)
        echo "| $b | $((b * RATE)) | ${m:-?} MB | ${u:-?} MB |"
    done
    pm=$(sort -k2 -n mem_mws.rss | tail -1 | awk '{ print int($2 / 1024) }')
    pu=$(sort -k2 -n mem_usk.rss | tail -1 | awk '{ print int($2 / 1024) }')
    echo
    echo "peak RSS: mapWithState $pm MB, updateStateByKey $pu MB"
    echo
} > results.md

log "memory part: $(( $(date +%s) - T0 )) s"
else
    : > results.md
fi
# ---- 2. speed --------------------------------------------------------------
awk -v nb="$BATCHES" 'BEGIN {
    for (k = 0; k < 1000000; k++) printf "0\t%d\n", k
    for (i = 1; i <= nb; i++) for (j = 0; j < 10000; j++)
        printf "%d\t%d\n", i * 1000, (i * 10000 + j) * 7919 % 1000000 }' > speed.replay
cat > sp_spark.stream <<'EOS'
context c { batch = 1s; }
source in = stdin();
in.map(l => (toInt(l), 1)).updateStateByKey((vs, st) => Some(getOrElse(st, 0) + sum(vs))).count().print();
EOS
cat > sp_fold.stream <<'EOS'
context c { batch = 1s; }
source in = stdin();
in.map(l => (toInt(l), 1)).updateStateByKey(0, (s, v) => s + v).count().print();
EOS
cat > sp_mws.stream <<'EOS'
context c { batch = 1s; }
source in = stdin();
in.map(l => (toInt(l), 1)).mapWithState((k, v, st) => {
    val n = getOrElse(st, 0) + getOrElse(v, 0);
    (Some(n), n)
}).count().print();
EOS
for p in sp_spark sp_fold sp_mws; do "$STREAMC" -o $p $p.stream; done
# per contender, fastest of 3 rounds: the median --stats processing of
# batches 2.. (whole ms), and the wall time of the whole run less that of
# a run of the first batch only, per batch after the first
median() { sed -n 's/.* time=\([0-9]*\) .*processing=\([0-9]*\)ms.*/\1 \2/p' "$1" | awk '$1 > 1000 { print $2 }' | sort -n |
           awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }'; }
now() { date +%s%N; }
declare -A best wall nb
for round in 1 2 3; do
    for p in sp_spark sp_fold sp_mws; do
        n=$BATCHES
        [ $p = sp_mws ] || n=$SLOW
        nb[$p]=$n
        t0=$(now)
        ./$p --replay in=speed.replay --batches 1 >/dev/null 2>&1 || die "$p exited $?"
        t1=$(now)
        ./$p --replay in=speed.replay --batches $((n + 1)) --stats >$p.out 2>$p.stats || die "$p exited $?"
        t2=$(now)
        m=$(median $p.stats)
        w=$(( ((t2 - t1) - (t1 - t0)) / n ))   # ns per batch
        if [ -z "${best[$p]:-}" ] || [ "$m" -lt "${best[$p]}" ]; then best[$p]=$m; fi
        if [ -z "${wall[$p]:-}" ] || [ "$w" -lt "${wall[$p]}" ]; then wall[$p]=$w; fi
    done
done
[ "$(awk '/^[0-9]+$/' sp_spark.out | sort -u)" = 1000000 ] || die "updateStateByKey: not 1000000 keys a batch"
[ "$(awk '/^[0-9]+$/' sp_mws.out | sed 1d | sort -u)" = 10000 ] || die "mapWithState: not 10000 records a batch"
ms() { awk -v w="$1" 'BEGIN { printf "%.2f", w / 1e6 }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1fx", a / b }'; }
{
    echo "### 1M keys, 1% (10,000) active per batch: time per batch"
    echo
    echo "| contender | wall ms / batch | vs mapWithState | median --stats ms |"
    echo "|---|---:|---:|---:|"
    echo "| updateStateByKey((values, state) => Option) (Spark's form) | $(ms "${wall[sp_spark]}") | $(ratio "${wall[sp_spark]}" "${wall[sp_mws]}") | ${best[sp_spark]} |"
    echo "| updateStateByKey(init, (s, v) => ...) (fold form, no removal) | $(ms "${wall[sp_fold]}") | $(ratio "${wall[sp_fold]}" "${wall[sp_mws]}") | ${best[sp_fold]} |"
    echo "| mapWithState | $(ms "${wall[sp_mws]}") | 1.0x | ${best[sp_mws]} |"
    echo
    echo "($(nproc) cores; wall: a run of the first batch (the 1M keys) and N more, less a run of the"
    echo "first batch only, over N (N = ${nb[sp_mws]} for mapWithState, ${nb[sp_spark]} for the others), fastest"
    echo "of 3 rounds; median: --stats processing of batches 2.., whole ms)"
} >> results.md
cat results.md
