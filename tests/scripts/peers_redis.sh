# The Redis test peer (tests/lib/peers.sh: redis-check-rdb run under the
# name redis-server): strings, lists and a stream with a consumer group
# through redis-cli; two servers at once on their own ports; stopped by
# PID (port closed); dies with the shell that started it.
. "$(dirname "$0")/lib.sh"
. "$ROOT/tests/lib/peers.sh"

start_redis R
start_redis R2
[ "$R_PORT" != "$R2_PORT" ] || fail "two servers on one port"
cli() { redis-cli -p "$R_PORT" "$@"; }
[ "$(cli INFO server | tr -d '\r' | grep '^redis_mode:')" = "redis_mode:standalone" ] || fail "not a Redis server"

# ---- strings; the second server is another database ----
[ "$(cli SET k v1)" = OK ] || fail "SET"
[ "$(cli GET k)" = v1 ] || fail "GET"
[ "$(redis-cli -p "$R2_PORT" GET k)" = "" ] || fail "R2 shares R's data"
[ "$(cli INCRBY n 5)" = 5 ] && [ "$(cli INCRBY n 2)" = 7 ] || fail "INCRBY"

# ---- a list: LPUSH then LPOP with a count (newest first) ----
[ "$(cli RPUSH l a b c d)" = 4 ] || fail "RPUSH"
[ "$(cli LPUSH l z)" = 5 ] || fail "LPUSH"
[ "$(cli LPOP l 3 | tr '\n' ' ')" = "z a b " ] || fail "LPOP 3"
[ "$(cli LLEN l)" = 2 ] || fail "LLEN"

# ---- a stream read by a consumer group: XADD, XREADGROUP, XACK, claim ----
for i in 1 2 3; do cli XADD s "$i-0" n "$i" >/dev/null || fail "XADD $i"; done
[ "$(cli XGROUP CREATE s g 0)" = OK ] || fail "XGROUP CREATE"
cli XREADGROUP GROUP g c1 COUNT 10 STREAMS s '>' >xr
[ "$(grep -c -- '-0$' xr)" = 3 ] || fail "XREADGROUP: $(cat xr)"
[ "$(cli XPENDING s g | head -1)" = 3 ] || fail "3 pending"
[ "$(cli XACK s g 1-0 2-0)" = 2 ] || fail "XACK"
[ "$(cli XPENDING s g | head -1)" = 1 ] || fail "1 pending after XACK"
# a restarted consumer c2 claims what c1 left unacknowledged
cli XAUTOCLAIM s g c2 0 0-0 >xc
grep -qx 3-0 xc || fail "XAUTOCLAIM: $(cat xc)"
[ "$(cli XPENDING s g - + 10 c2 | head -1)" = 3-0 ] || fail "3-0 not pending for c2"

# ---- SIGTERM stops it with status 0 ----
pid2=$R2_PID
kill "$pid2"
rc=0; wait "$pid2" || rc=$?
[ "$rc" = 0 ] || fail "redis exited $rc on SIGTERM"
port_closed "$R2_PORT" || fail "port $R2_PORT open after SIGTERM"

# ---- the starting shell is killed: Redis follows it ----
{ TMPDIR=$W bash -c '. "$1"; start_redis X; echo "$X_PID $X_PORT" >orphan; kill -9 $$' _ "$ROOT/tests/lib/peers.sh"; } \
    2>/dev/null || true
read -r opid oport <orphan
dl=$(peers_deadline 10)
while kill -0 "$opid" 2>/dev/null; do
    peers_before "$dl" || { kill -9 "$opid"; fail "redis outlived the shell that started it"; }
    sleep 0.01
done
port_closed "$oport" || fail "port $oport still open"

# ---- stopped by PID: gone, port closed, no answer ----
pid=$R_PID
stop_peers
kill -0 "$pid" 2>/dev/null && fail "redis $pid still running"
port_closed "$R_PORT" || fail "port $R_PORT still open"
[ "$(redis-cli -p "$R_PORT" ping 2>/dev/null)" != PONG ] || fail "still answering"
echo ok
