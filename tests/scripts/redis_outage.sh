# Redis going away mid-run and coming back (the server shut down with its
# data saved, then started again on the same port): the stream source
# logs the lost connection once and reconnects, saveToRedis fails the
# batch it was writing (the engine retries it) and applies it once Redis
# is back, and nothing is lost or applied twice: the HINCRBY totals and the
# state are exact, no entry is left pending.
. "$(dirname "$0")/lib.sh"
. "$ROOT/tests/lib/peers.sh"
. "$ROOT/tests/lib/redis.sh"

start_redis R

cat > job.stream <<'EOS'
param redis = "127.0.0.1:1";
context c {
    batch = 100ms;
    block = 50ms;
    checkpoint = "ck";
}
source xs = redis(redis, stream = "ev", group = "g");
source s = stdin();
xs.map(l => (l, 1)).updateStateByKey(0, (a, v) => a + v).print();
xs.map(l => (l, 1)).reduceByKey((a, b) => a + b).saveToRedis(redis, c => ["HINCRBY", "totals", c._1, toString(c._2)]);
s.map(l => (l, 1)).reduceByKey((a, b) => a + b).saveToRedis(redis, c => ["HINCRBY", "lines", c._1, toString(c._2)]);
EOS
build job

hget() { cli HGET "$1" "$2" 2>/dev/null; }
wait_hash() {   # KEY FIELD VALUE: polls (bounded) until HGET KEY FIELD = VALUE
    for _ in $(seq 1 300); do [ "$(hget "$1" "$2")" = "$3" ] && return 0; sleep 0.05; done
    fail "HGET $1 $2 is '$(hget "$1" "$2")', not $3: $(tail -5 stderr)"
}

seq 1 100 | sed 's/.*/XADD ev * data k/' | cli >/dev/null
mkfifo in
./job --param redis="$R" <in >stdout 2>stderr &
pid=$!
exec 3>in
echo a >&3
wait_hash totals k 100
wait_hash lines a 1

# ---- Redis goes away (its data saved to dump.rdb) ----
redis_down R || fail "Redis still listening"
wait_for stderr "source 'xs': lost the connection to Redis at 127.0.0.1:$R_PORT"
echo a >&3
echo b >&3
wait_for stderr "output .*batch [0-9]* not written; retrying"

# ---- and comes back on the same port, with its data ----
redis_up R 3>&- || fail "Redis did not start again"
[ "$(hget totals k)" = 100 ] || fail "Redis came back without its data"
wait_hash lines a 2
wait_hash lines b 1
seq 1 50 | sed 's/.*/XADD ev * data k/' | cli >/dev/null
wait_hash totals k 150
wait_for stderr "source 'xs': connected to Redis at 127.0.0.1:$R_PORT again"
exec 3>&-
kill -TERM "$pid"
rc=0
wait "$pid" || rc=$?
[ "$rc" = 0 ] || fail "exit $rc: $(tail -5 stderr)"
[ "$(grep '^(k,' stdout | tail -1)" = "(k,150)" ] || fail "state: $(grep '^(k,' stdout | tail -1), not (k,150)"
[ "$(cli XPENDING ev g | head -1)" = 0 ] || fail "entries still pending"
[ "$(hget lines a)" = 2 ] && [ "$(hget lines b)" = 1 ] || fail "lines a=$(hget lines a) b=$(hget lines b)"
[ "$(grep -c "lost the connection to Redis" stderr)" = 1 ] || fail "the outage is not logged once: $(cat stderr)"
! grep -iE "sanitizer|runtime error|: error:" stderr || fail "errors in stderr"

# ---- a batch re-run after a crash that came after its transaction was
# applied (and before the batch was logged done) is not applied again:
# the job is stopped while Redis holds its EXEC (CLIENT PAUSE WRITE),
# the EXEC then runs, the job is killed; the restart runs the batch again
# with its outputs, and saveToRedis sees its marker ----
cat > once.stream <<'EOS'
param redis = "127.0.0.1:1";
context c {
    batch = 100ms;
    block = 50ms;
    checkpoint = "ck-once";
}
source s = stdin();
s.map(l => (l, 1)).reduceByKey((a, b) => a + b).saveToRedis(redis, c => ["HINCRBY", "once", c._1, toString(c._2)]);
EOS
build once
mkfifo in2
./once --param redis="$R" <in2 >o-once 2>e-once &
pid=$!
exec 4>in2
cli CLIENT PAUSE 20000 WRITE >/dev/null
echo a >&4
for _ in $(seq 1 200); do cli CLIENT LIST | grep -q 'flags=xb ' && break; sleep 0.05; done
cli CLIENT LIST | grep -q 'flags=xb ' || fail "the EXEC of saveToRedis never came"
kill -STOP "$pid"
cli CLIENT UNPAUSE >/dev/null
wait_hash once a 1
kill -9 "$pid"
wait "$pid" 2>/dev/null || true
exec 4>&-
./once --param redis="$R" <in2 >o-once 2>e-once &
pid=$!
exec 4>in2
# (the batch of 'a' is the oldest not done, so it is among those run
# again with their outputs; how many empty ones queued behind it while
# its EXEC waited depends on the machine's load)
wait_for e-once "recovered from ck-once/c: .*([1-9][0-9]* with outputs)"
echo b >&4
wait_hash once b 1
[ "$(hget once a)" = 1 ] || fail "a batch re-run after a crash was applied again: once a = $(hget once a)"
exec 4>&-
kill -TERM "$pid"
wait "$pid" || fail "once: exit $?: $(cat e-once)"
echo ok
