# A Redis list source: every record pushed is output exactly once (those
# there before the start and those pushed while it runs), nothing is left
# in the list or in its processing list, and the acknowledged counter says
# how many were taken. Redis unreachable at the start: a clear message
# and exit 1. Option mistakes: a start-up error. Only programs that use a
# Redis kind carry hiredis, linked statically: ldd shows no libhiredis.
. "$(dirname "$0")/lib.sh"
. "$ROOT/tests/lib/peers.sh"

start_redis R
cli() { redis-cli -p "$R_PORT" "$@"; }

cat > job.stream <<'EOS'
param redis = "127.0.0.1:1";
context c {
    batch = 100ms;
    block = 50ms;
}
source q = redis(redis, list = "queue");
q.saveAsTextFiles("out/q");
q.saveToRedis(redis, l => ["RPUSH", "copy1", l]);
q.filter(l => l != "line-7").saveToRedis(redis, l => ["RPUSH", "copy2", l + "!"]);
q.map(l => ("n", 1)).updateStateByKey(0, (a, v) => a + v).print();
EOS
build job

seq 1 300 | sed 's/^/RPUSH queue line-/' | cli >/dev/null
./job --param redis="$R" >stdout 2>stderr &
pid=$!
for _ in $(seq 1 200); do [ "$(cli LLEN queue)" = 0 ] && break; sleep 0.05; done
seq 301 500 | sed 's/^/RPUSH queue line-/' | cli >/dev/null
wait_for stdout '^(n,500)$'
kill -TERM "$pid"
wait "$pid" || fail "exit $?: $(cat stderr)"
seq 1 500 | sed 's/^/line-/' | sort >want
cat out/q-*/part-* | sort >got
diff want got >/dev/null || fail "records out: $(wc -l <got), not each of the 500 once: $(diff want got | head -5)"
[ "$(cli LLEN queue)" = 0 ] || fail "records left in the list"
[ "$(cli LLEN queue:streamc:q)" = 0 ] || fail "records left in the processing list: $(cli LRANGE queue:streamc:q 0 5)"
[ "$(cli GET queue:streamc:q:acked)" = 500 ] || fail "acknowledged: $(cli GET queue:streamc:q:acked), not 500"
[ ! -s stderr ] || fail "stderr: $(cat stderr)"
# two saveToRedis outputs, each applied once, in the list's order
seq 1 500 | sed 's/^/line-/' >want1
[ "$(cli LRANGE copy1 0 -1)" = "$(cat want1)" ] || fail "copy1: $(cli LLEN copy1) records, not the 500 in order"
[ "$(cli LRANGE copy2 0 -1)" = "$(grep -vx line-7 want1 | sed 's/$/!/')" ] || fail "copy2: $(cli LLEN copy2) records, not the 499 in order"
[ "$(cli --scan --pattern 'streamc:saveToRedis:job:*' | wc -l)" = 2 ] || fail "not one marker per output"

# ---- Redis unreachable at the start: exit 1, the address and the reason ----
port=$(free_port)
grep -v saveToRedis job.stream >src.stream
build src
rc=0
./src --param redis="127.0.0.1:$port" >o2 2>e2 || rc=$?
[ "$rc" = 1 ] || fail "unreachable Redis: exit $rc, not 1: $(cat e2)"
grep -qx "src: error: source 'q': cannot connect to Redis at 127.0.0.1:$port: Connection refused" e2 ||
    fail "unreachable Redis: $(cat e2)"
rc=0
./src --param redis="127.0.0.1:99999" >o3 2>e3 || rc=$?
[ "$rc" = 1 ] && grep -qx "src: error: source 'q': malformed Redis address '127.0.0.1:99999' (expected HOST:PORT)" e3 ||
    fail "bad address: exit $rc: $(cat e3)"
# saveToRedis: before the first batch
rc=0
./job --param redis="127.0.0.1:$port" >o2 2>e2 || rc=$?
[ "$rc" = 1 ] && [ ! -s o2 ] || fail "unreachable Redis for saveToRedis: exit $rc: $(cat e2)"
[ "$(head -2 e2)" = "job: warning: output saveToRedis: cannot connect to Redis at 127.0.0.1:$port: Connection refused
job: error: output saveToRedis: cannot start" ] || fail "unreachable Redis for saveToRedis: $(cat e2)"

# ---- option mistakes the compiler cannot see: a start-up error ----
sed 's/list = "queue"/list = "queue", stream = "s"/' job.stream >both.stream
build both
rc=0
./both --param redis="$R" >o4 2>e4 || rc=$?
[ "$rc" = 1 ] && grep -qx "both: error: source 'q': redis() needs exactly one of list = \"KEY\" or stream = \"KEY\"" e4 ||
    fail "list and stream: exit $rc: $(cat e4)"
sed 's/list = "queue"/stream = "s"/' job.stream >nogroup.stream
build nogroup
rc=0
./nogroup --param redis="$R" >o5 2>e5 || rc=$?
[ "$rc" = 1 ] && grep -qx "nogroup: error: source 'q': a Redis stream source needs group = \"NAME\" (its consumer group)" e5 ||
    fail "stream without group: exit $rc: $(cat e5)"

# ---- hiredis only where Redis is used, and statically ----
printf 'context c { batch = 1s; }\nsource s = stdin();\ns.print();\n' >plain.stream
build plain
nm plain | grep -qi redis && fail "a program without Redis carries Redis code"
if [ "${SAN:-}" != 1 ]; then   # (a sanitizer build links without --as-needed)
    ldd job | grep -q hiredis && fail "job links libhiredis dynamically: $(ldd job)"
    [ "$(ldd job | grep -cvE 'linux-vdso|libc\.so|ld-linux|libm\.so|libpthread')" = 0 ] ||
        fail "job needs more than libc: $(ldd job)"
fi
nm job | grep -q ' T redisConnectWithTimeout' || fail "hiredis is not in the executable"
echo ok
