# A Redis list source: every record pushed is output exactly once (those
# there before the start and those pushed while it runs), nothing is left
# in the list or in its processing list, and the acknowledged counter says
# how many were taken. Redis unreachable at the start: a clear message
# and exit 1. Option mistakes: a start-up error. Only programs that use a
# Redis kind carry hiredis, linked statically: ldd shows no libhiredis.
. "$(dirname "$0")/lib.sh"
. "$ROOT/tests/lib/peers.sh"

. "$ROOT/tests/lib/redis.sh"
start_redis R

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

# start_error PROG ADDR LINE: PROG --param redis=ADDR exits 1 before any
# output, and its stderr has LINE
start_error() {
    local rc=0
    ./"$1" --param redis="$2" </dev/null >"$1.out" 2>"$1.err" || rc=$?
    [ "$rc" = 1 ] && [ ! -s "$1.out" ] && grep -qxF "$3" "$1.err" || fail "$1 with $2: exit $rc: $(cat "$1.err")"
}

# ---- Redis unreachable at the start: exit 1, the address and the reason ----
port=$(free_port)
grep -v saveToRedis job.stream >src.stream
build src
start_error src "127.0.0.1:$port" "src: error: source 'q': cannot connect to Redis at 127.0.0.1:$port: Connection refused"
start_error src 127.0.0.1:99999 "src: error: source 'q': malformed Redis address '127.0.0.1:99999' (expected HOST:PORT)"
# saveToRedis: before the first batch
start_error job "127.0.0.1:$port" "job: warning: output saveToRedis: cannot connect to Redis at 127.0.0.1:$port: Connection refused"
grep -qx "job: error: output saveToRedis: cannot start" job.err || fail "saveToRedis: $(cat job.err)"

# ---- option mistakes the compiler cannot see: a start-up error ----
sed 's/list = "queue"/list = "queue", stream = "s"/' job.stream >both.stream
build both
start_error both "$R" "both: error: source 'q': redis() needs exactly one of list = \"KEY\" or stream = \"KEY\""
sed 's/list = "queue"/stream = "s"/' job.stream >nogroup.stream
build nogroup
start_error nogroup "$R" "nogroup: error: source 'q': a Redis stream source needs group = \"NAME\" (its consumer group)"

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
