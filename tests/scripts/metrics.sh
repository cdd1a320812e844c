#!/usr/bin/env bash
# The executable's --version, --stats=json and --metrics: /metrics parsed by
# prometheus_client's parser with exact values after a known input, hostile
# HTTP clients (bad methods, garbage, oversized, a slow client, a flood)
# answered or dropped while the batches' output stays exact.
. "$(dirname "$0")/lib.sh"
PY=/usr/bin/python3
PROBE="$ROOT/tests/tools/metrics_probe.py"
$PY -c 'import prometheus_client' || fail "python3-prometheus-client is not installed (apt-get install python3-prometheus-client)"
cat > m.stream <<'EOS'
context c { batch = 200ms; block = 50ms; }
source lines = stdin();
source extra = file("data.txt");
lines.map(l => toInt(l)).count().map(n => ("lines", n)).print();
extra.count().map(n => ("extra", n)).print();
EOS
build m
printf 'a\nb\nc\nd\ne\n' > data.txt

# --version
[ "$(./m --version)" = "m (streamc 0.1.0)" ] || fail "--version: $(./m --version)"
rc=0; ./m --stats=xml 2>err || rc=$?
[ "$rc" = 2 ] && grep -q "error: --stats takes no value or =json, not 'xml'" err || fail "--stats=xml: $rc $(cat err)"
rc=0; ./m --metrics nohostport 2>err || rc=$?
[ "$rc" = 2 ] && grep -q "error: --metrics needs HOST:PORT" err || fail "--metrics without port: $rc $(cat err)"

# --stats=json: one object per batch, the per-source inputs add up
seq 1 500 | timeout 30 ./m --stats=json >out 2>err || fail "stats=json run: exit $? $(tail -3 err)"
$PY - err <<'EOS' || fail "--stats=json"
import json, sys
objs = [json.loads(l) for l in open(sys.argv[1]) if l.startswith("{")]
batches = [o for o in objs if "time" in o]
total = [o for o in objs if "total" in o]
keys = {"context", "time", "records", "processing_ms", "delay_ms", "total_delay_ms", "skipped",
        "throttled_ms", "spilled", "receiver_errors", "state_keys", "held", "sources", "outputs"}
assert batches and all(set(o) == keys for o in batches), objs[:2]
assert sum(o["sources"]["lines"] for o in batches) == 500
assert sum(o["sources"]["extra"] for o in batches) == 5
assert all(o["records"] == o["sources"]["lines"] + o["sources"]["extra"] for o in batches)
assert all(o["total_delay_ms"] == o["delay_ms"] + o["processing_ms"] for o in batches)
assert all(o["state_keys"] == 0 for o in batches)
assert all([x["op"] for x in o["outputs"]] == ["print", "print"] for o in batches), batches[0]
# real time: the hold-off accounting (flow.h) is in every batch and the total
assert all(0 < o["held"] <= total[0]["total"]["held_max"] for o in batches if o["records"]), batches
assert total == [{"context": "c", "total": {"batches": len(batches), "records": 505, "skipped": 0,
                  "held_max": max(o["held"] for o in batches), "held_limit": 512 << 20}}], total
EOS

# start NAME: ./NAME --metrics on a free port, its stdin a fifo held open
# on fd 3 (the job stays alive while scraped); sets pid and port
start() {
    mkfifo "$1.fifo"
    ./"$1" --metrics 127.0.0.1:0 <"$1.fifo" >"$1.out" 2>"$1.err" &
    pid=$!
    exec 3>"$1.fifo"
    port=$(metrics_port "$1" "$1.err" $pid) || fail "$port"
}

# --metrics: a known input
start m
{ seq 1 1000; printf 'x\ny\nz\n'; } >&3
$PY "$PROBE" "$port" wait-records c lines 1003 || fail "waiting for the records"
$PY "$PROBE" "$port" wait-records c extra 5 || fail "waiting for the file's records"
$PY "$PROBE" "$port" check '{"context": "c", "program": "m", "version": "0.1.0",
    "records": {"lines": 1003, "extra": 5},
    "exact": {"streamc_skipped_records_total": 3, "streamc_receiver_errors_total": 0,
              "streamc_spilled_blocks_total": 0, "streamc_wal_bytes_total": 0,
              "streamc_throttled_seconds_total": 0}}' || fail "exact values"
# hostile clients, with records still flowing
seq 1001 2000 >&3 &
$PY "$PROBE" "$port" hostile || fail "hostile requests"
wait $! || true
$PY "$PROBE" "$port" wait-records c lines 2003 || fail "records after the hostile clients"
exec 3>&-
wait $pid || fail "the job failed: $(tail -5 m.err)"
# every record counted once: 2000 numbers (3 lines skipped), 5 file lines
sum() { grep "^($1," m.out | sed 's/.*,\(.*\))/\1/' | awk '{ s += $1 } END { print s + 0 }'; }
[ "$(sum lines)" = 2000 ] && [ "$(sum extra)" = 5 ] || fail "output: lines $(sum lines) extra $(sum extra)"
[ "$(grep -c 'skipped a record: toInt' m.err)" = 3 ] || fail "skips: $(cat m.err)"

# receiver errors, write-ahead-log bytes and state keys: a socket source
# nobody serves (one outage: one error) beside a logged (_2) stdin source
# whose 100 distinct lines are the keys of an updateStateByKey
cat > m2.stream <<'EOS'
context c { batch = 200ms; block = 50ms; checkpoint = "ck"; }
source lines = stdin() storage MEMORY_ONLY_2;
source net = socket("127.0.0.1", 1);
lines.union(net).count().print();
lines.map(l => (l, 1)).updateStateByKey(0, (st, v) => st + v).count().print();
EOS
build m2
start m2
seq 1 100 >&3
$PY "$PROBE" "$port" wait-records c lines 100 || fail "m2: waiting for the records"
$PY "$PROBE" "$port" wait-value streamc_receiver_errors_total c 1 || fail "m2: waiting for the error"
$PY "$PROBE" "$port" check '{"context": "c", "program": "m2", "version": "0.1.0",
    "records": {"lines": 100, "net": 0},
    "exact": {"streamc_receiver_errors_total": 1, "streamc_skipped_records_total": 0,
              "streamc_state_keys": 100},
    "positive": ["streamc_wal_bytes_total"]}' || fail "m2: exact values"
exec 3>&-
kill -TERM $pid
wait $pid || fail "m2 failed: $(tail -3 m2.err)"
echo ok
