# The redis table kind: GET on a miss, found values cached (a value
# changed in Redis later is not seen), missing keys not cached (a key
# added later is found); Redis going away mid-run: the lookups wait, the
# records are held and come out once it is back (nothing dropped);
# unreachable at the start: exit 1 with the address; the address a param.
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
table ads = redis(redis);
source s = stdin();
s.map(l => l + " " + getOrElse(lookup(ads, l), "none") + " " + toString(contains(ads, l))).print();
EOS
build job

cli MSET ad:1 c1 ad:2 c2 ad:3 c3 >/dev/null
mkfifo in
./job --param redis="$R" <in >stdout 2>stderr &
pid=$!
exec 3>in
printf 'ad:1\nad:2\nad:9\n' >&3
wait_for stdout '^ad:9 none false$'
# found values are cached; a missing key is asked again
cli MSET ad:1 changed ad:9 c9 >/dev/null
printf 'ad:1\nad:9\n' >&3
wait_for stdout '^ad:9 c9 true$'

# ---- Redis goes away: the lookups wait, the records are held ----
redis_down R || fail "Redis still listening"
printf 'ad:3\nad:2\n' >&3
wait_for stderr "table 'ads' is unavailable"
grep -q '^ad:3' stdout && fail "a record was output without its lookup"
redis_up R 3>&- || fail "Redis did not start again"
wait_for stdout '^ad:3 c3 true$'
wait_for stderr "table 'ads' is available again"
exec 3>&-
wait "$pid" || fail "exit $?: $(cat stderr)"
grep -v -e '^---' -e '^Time:' -e '^$' stdout >got
printf '%s\n' 'ad:1 c1 true' 'ad:2 c2 true' 'ad:9 none false' 'ad:1 c1 true' 'ad:9 c9 true' 'ad:3 c3 true' \
    'ad:2 c2 true' >want
diff want got >/dev/null || fail "output: $(diff want got)"
[ "$(grep -c "Redis at 127.0.0.1:$R_PORT is unreachable" stderr)" = 1 ] || fail "the outage is not logged once: $(cat stderr)"
! grep -iE "sanitizer|runtime error|: error:" stderr || fail "errors in stderr"

# ---- unreachable at the start ----
port=$(free_port)
rc=0
./job --param redis="127.0.0.1:$port" </dev/null >o2 2>e2 || rc=$?
[ "$rc" = 1 ] || fail "unreachable: exit $rc: $(cat e2)"
grep -qx "job: error: table 'ads': cannot connect to Redis at 127.0.0.1:$port: Connection refused" e2 ||
    fail "unreachable: $(cat e2)"
echo ok
