#!/usr/bin/env bash
# kafka() in --stats, --stats=json and --metrics: each batch's offset
# ranges per partition (merged over its blocks) cover exactly the records
# produced, no gap, no overlap; the lag per partition is > 0 while
# maxRatePerPartition holds the reader back and 0 once all is read; the
# gauge streamc_source_lag{context,source,partition} on /metrics.
. "$(dirname "$0")/lib.sh"
. "$ROOT/tests/lib/kafka_test.sh"
PY=/usr/bin/python3
PROBE="$ROOT/tests/tools/metrics_probe.py"
$PY -c 'import prometheus_client' || fail "python3-prometheus-client is not installed"

start_kafka_mock K st:2

cat > rd.stream <<'EOS'
param brokers = "127.0.0.1:9092";
param rate = 0;
context c {
    batch = 200ms;
    block = 50ms;      # four blocks a batch: their ranges are merged
}
source ev = kafka(brokers, "st", startingOffsets = "earliest", maxRatePerPartition = rate);
ev.count().print();
EOS
build rd
# 300 records into partition 0, 200 into partition 1
seq 300 | kcat -b "$K" -P -t st -p 0 $KP || fail "kcat produce 0"
seq 200 | kcat -b "$K" -P -t st -p 1 $KP || fail "kcat produce 1"

# the exact ranges of the [stats] source lines of FILE, summed: every
# partition's ranges, in batch order, join end to start from 0, one range
# per partition and batch
check_ranges() {
    $PY - "$1" <<'EOP' || fail "ranges of $1: $(grep 'source=ev' "$1" | head -20)"
import re, sys
want = {"0": 300, "1": 200}
nxt = {"0": 0, "1": 0}
for line in open(sys.argv[1]):
    m = re.match(r"\[stats\] c source=ev time=\d+ ranges=(\S+) lag=(\S+)$", line)
    if not m:
        if "source=" in line:
            sys.exit("bad line: " + line)
        continue
    if m.group(1) == "-":
        continue
    seen = set()
    for item in m.group(1).split(","):
        p, r = item.split(":")
        if p in seen:
            sys.exit("partition %s twice (not merged): %s" % (p, line))
        seen.add(p)
        a, b = map(int, r.split("-"))
        if a != nxt[p] or b <= a:
            sys.exit("partition %s: range %d-%d after %d" % (p, a, b, nxt[p]))
        nxt[p] = b
if nxt != want:
    sys.exit("read %r, want %r" % (nxt, want))
EOP
}

# ---- --stats with maxRatePerPartition = 100 and --metrics: lag > 0 while
# held back (a second's records, 100, of each partition come at once,
# the rest at 100/s: 3 s), then 0 ----
./rd --param brokers="$K" --param rate=100 --stats --metrics 127.0.0.1:0 >o1 2>e1 &
p1=$!
port=$(metrics_port rd e1 $p1) || fail "$port"
$PY "$PROBE" "$port" wait-lag c ev 0,1 gt 0 || fail "no lag > 0 on /metrics"
wait_grep e1 '^\[stats\] c source=ev time=[0-9]* ranges=[^ ]* lag=0:0,1:0$'
# a batch that read part of partition 0 and left some of it
grep -q '^\[stats\] c source=ev time=[0-9]* ranges=0:[0-9]*-[0-9]*[, ].*lag=0:[1-9]' e1 \
    || fail "no lag > 0 after a batch's ranges: $(grep source= e1 | head)"
$PY "$PROBE" "$port" wait-lag c ev 0,1 eq 0 || fail "lag not 0 on /metrics"
kill -TERM $p1
wait $p1 || fail "rd exited $?: $(tail -5 e1)"
check_ranges e1
# the batch line before each source line is its batch's
awk '/^\[stats\] c time=/ { t = $3 } /^\[stats\] c source=ev/ { if ($4 != t) { print "line " NR ": " $4 " after " t; bad = 1 } }
     END { exit bad }' e1 || fail "source lines out of place"
# the records of the batches are those of the ranges
recs=$(sed -n 's/^\[stats\] c time=[0-9]* records=\([0-9]*\) .*/\1/p' e1 | awk '{ s += $1 } END { print s }')
[ "$recs" = 500 ] || fail "records $recs, want 500"

# ---- --stats=json: the same figures, as fields of the batch object ----
./rd --param brokers="$K" --stats=json >o2 2>e2 &
p2=$!
wait_grep e2 '"lag":{"0":0,"1":0}'
kill -TERM $p2
wait $p2 || fail "rd json exited $?: $(tail -5 e2)"
$PY - e2 <<'EOP' || fail "--stats=json: $(head -5 e2)"
import json, sys
nxt = {"0": 0, "1": 0}
batches = 0
last = None
for line in open(sys.argv[1]):
    if not line.startswith("{"):
        continue
    o = json.loads(line)
    if "total" in o:
        continue
    batches += 1
    ev = o["positions"]["ev"]
    for p, rs in ev["ranges"].items():
        for a, b in rs:
            assert a == nxt[p] and b > a, (p, a, b, nxt[p])
            nxt[p] = b
    last = ev["lag"]
assert batches > 0
assert nxt == {"0": 300, "1": 200}, nxt
assert last == {"0": 0, "1": 0}, last
EOP
