# A Redis source's checkpoint stays bounded: the set of logged positions
# (one "FIRST LAST" per read) drops every position Redis has acknowledged
# when a snapshot is written, and keeps every one it has not.
#  1. A stream source and a list source read one record per read (the
#     next is added once Redis has acknowledged the last), many reads,
#     until the first periodic snapshot: it holds at most one position per
#     source (the read not yet acknowledged; unpruned: one per read), and
#     so does the snapshot written at the stop.
#  2. A restart; reads acknowledged, then Redis comes back without XACK
#     and LTRIM (acknowledgements fail, reads work) and 4 more reads: the
#     snapshot at the stop holds exactly those 4 per source.
#  3. Redis whole again, a restart: the 4 held records of each are matched
#     against that snapshot's positions (not stored twice), then a burst
#     read and SIGKILL, a restart: every record counted exactly once,
#     nothing left held.
. "$(dirname "$0")/lib.sh"
. "$ROOT/tests/lib/peers.sh"
. "$ROOT/tests/lib/redis.sh"

start_redis R
POS="python3 $ROOT/tests/tools/snap_positions.py"

cat > job.stream <<'EOS'
param redis = "127.0.0.1:1";
context c {
    batch = 100ms;
    block = 50ms;
    checkpoint = "ck";
}
source xs = redis(redis, stream = "ev", group = "g") storage MEMORY_AND_DISK_SER_2;
source q = redis(redis, list = "queue") storage MEMORY_AND_DISK_SER_2;
xs.map(l => ("s", 1)).updateStateByKey(0, (a, v) => a + v).print();
q.map(l => ("l", 1)).updateStateByKey(0, (a, v) => a + v).print();
EOS
build job

delivered() { cli XINFO GROUPS ev | sed -n '/^last-delivered-id$/{n;p}'; }
# acked ID N: polls (bounded: a hang fails) until Redis has acknowledged
# stream entry ID (the group delivered it, nothing pending) and list
# record N (the processing list's counter is N)
acked() {
    for _ in $(seq 1 2000); do
        [ "$(cli GET queue:streamc:q:acked)" = "$2" ] && [ "$(cli XPENDING ev g | head -1)" = 0 ] &&
            [ "$(delivered)" = "$1" ] && return 0
        sleep 0.01
    done
    fail "entry $1 / record $2 not acknowledged: acked $(cli GET queue:streamc:q:acked), pending $(cli XPENDING ev g | head -1): $(tail -3 "$out.err")"
}
# counted N: polls (bounded) until the job's last totals are N each
counted() {
    for _ in $(seq 1 2000); do
        [ "$(grep '^(s,' "$out" | tail -1)" = "(s,$1)" ] && [ "$(grep '^(l,' "$out" | tail -1)" = "(l,$1)" ] && return 0
        sleep 0.01
    done
    fail "not counted $1 each: $(grep '^(s,' "$out" | tail -1) $(grep '^(l,' "$out" | tail -1): $(tail -3 "$out.err")"
}
# one N: adds record N to the stream and the list; prints the entry's ID
one() {
    cli XADD ev '*' data "s$1"
    cli RPUSH queue "l$1" >/dev/null
}
# start OUT: the job in the background, stdout into OUT, stderr OUT.err
start() {
    out=$1
    ./job --param redis="$R" >"$out" 2>"$out.err" &
    pid=$!
}
stop() {
    kill -TERM "$pid"
    wait "$pid" || fail "$out: exit $?: $(tail -5 "$out.err")"
}
# settled: waits (bounded) for the job to print one more batch: a batch
# after the commit whose acknowledgement the caller saw in Redis, so that
# the snapshot of any batch from now on is written after it (a snapshot
# comes before its own batch's commit)
settled() {
    local k
    k=$(grep -c '^Time: ' "$out" || true)
    for _ in $(seq 1 2000); do
        [ "$(grep -c '^Time: ' "$out" || true)" -gt "$k" ] && return 0
        sleep 0.01
    done
    fail "no batch after $k: $(tail -3 "$out.err")"
}
# positions FILE: "STREAM LIST", the positions snapshot FILE carries per source
positions() { $POS "$1" | awk '{ n[$1] = $2 } END { print n[0] " " n[1] }'; }
newest() { ls ck/c/state-* | sort | tail -1; }
# holds FILE MAX WHAT [exactly]: snapshot FILE has at most (exactly) MAX
# positions per source
holds() {
    local p s l
    p=$(positions "$1") || fail "$1 does not parse"
    s=${p% *}
    l=${p#* }
    if [ -n "${4:-}" ]; then [ "$s" = "$2" ] && [ "$l" = "$2" ]; else [ "$s" -le "$2" ] && [ "$l" -le "$2" ]; fi ||
        fail "$3: $(basename "$1") holds $s stream and $l list positions after $n reads each, not ${4:-at most} $2: $($POS -v "$1" 2>&1 | awk 'NR <= 8' | tr '\n' ' ')"
}

# ---- 1. one record per read, each acknowledged before the next ----
start o1
n=0
while [ "$n" -lt 30 ] || ! ls ck/c/state-* >/dev/null 2>&1; do
    n=$((n + 1))
    [ "$n" -le 400 ] || fail "no snapshot after $n reads"
    acked "$(one "$n")" "$n"
done
snap=$(newest)
holds "$snap" 1 "the periodic snapshot"
settled
stop
counted "$n"
[ "$(newest)" != "$snap" ] || fail "no snapshot at the stop"
holds "$(newest)" 1 "the snapshot at the stop"
[ ! -s o1.err ] || fail "stderr: $(cat o1.err)"

# ---- 2. acknowledged reads, then 4 that Redis cannot acknowledge ----
start o2
for ((i = 0; i < 5; i++)); do n=$((n + 1)); acked "$(one "$n")" "$n"; done
redis_down R || fail "Redis still listening"
wait_for o2.err "source 'q': lost the connection to Redis"
wait_for o2.err "source 'xs': lost the connection to Redis"
redis_up R --rename-command XACK '' --rename-command LTRIM '' || fail "Redis did not start again"
wait_for o2.err "source 'q': connected to Redis at .* again"
wait_for o2.err "source 'xs': connected to Redis at .* again"
for ((i = 0; i < 4; i++)); do n=$((n + 1)); one "$n" >/dev/null; counted "$n"; done
stop
holds "$(newest)" 4 "the snapshot with 4 reads not acknowledged" exactly
[ "$(cli XPENDING ev g | head -1)" = 4 ] && [ "$(cli LLEN queue:streamc:q)" = 4 ] ||
    fail "not 4 held: $(cli XPENDING ev g | head -1) pending, $(cli LLEN queue:streamc:q) in the processing list"

# ---- 3. the held ones matched; a burst, SIGKILL, a restart ----
redis_down R || fail "Redis still listening"
redis_up R || fail "Redis did not start again"
start o3
wait_for o3.err "source 'xs': 4 held records of 'ev' already in the checkpoint's log, not read again"
wait_for o3.err "source 'q': 4 held records of 'queue' already in the checkpoint's log, not read again"
total=$((n + 500))
for ((i = n + 1; i <= total; i++)); do echo "XADD ev * data s$i"; echo "RPUSH queue l$i"; done | cli >/dev/null
last=$(cli XREVRANGE ev + - COUNT 1 | head -1)
for i in $(seq 1 1000); do   # until the burst is taken from Redis (read, maybe not yet acknowledged)
    [ "$(cli LLEN queue)" = 0 ] && [ "$(delivered)" = "$last" ] && break
    [ "$i" -lt 1000 ] || fail "the burst was not read: $(tail -3 o3.err)"
    sleep 0.01
done
kill -9 "$pid"
{ wait "$pid"; } 2>/dev/null || true
start o4
wait_for o4.err "recovered from"
counted "$total"
acked "$last" "$total"
settled
stop
[ "$(cli XPENDING ev g | head -1)" = 0 ] || fail "entries still pending: $(cli XPENDING ev g | tr '\n' ' ')"
[ "$(cli LLEN queue)" = 0 ] && [ "$(cli LLEN queue:streamc:q)" = 0 ] || fail "records left in the lists"
[ "$(cli GET queue:streamc:q:acked)" = "$total" ] || fail "list acknowledged: $(cli GET queue:streamc:q:acked), not $total"
n=$total
holds "$(newest)" 1 "the snapshot at the last stop"
! grep -E "taken before the start" o3.err || fail "held records stored again: $(cat o3.err)"
! grep -E "sanitizer|runtime error|: error:|lost" o3.err o4.err || fail "errors in stderr"
echo ok
