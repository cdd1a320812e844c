# tests/lib/redis.sh (after tests/lib/peers.sh): Redis going away and
# coming back with its data, for the Redis connectors' outage tests.
#   cli ARGS...    redis-cli on $R_PORT (the test's server R)
#   redis_down R   SHUTDOWN SAVE (its data into dump.rdb), wait for the
#                  process and the port to close
#   redis_up R [OPTIONS...]
#                  a server again on R's port and directory (it loads
#                  dump.rdb), with the extra redis-server OPTIONS (e.g.
#                  --rename-command XACK ''); sets R_PID; returns once it
#                  answers PONG
redis_down() {
    local port pid
    port=$(eval echo "\$${1}_PORT")
    pid=$(eval echo "\$${1}_PID")
    redis-cli -p "$port" SHUTDOWN SAVE >/dev/null 2>&1 || true
    wait "$pid" 2>/dev/null || true
    port_closed "$port" || peers_fail "redis on $port still listening"
}
redis_up() {
    local port dir dl pid
    port=$(eval echo "\$${1}_PORT")
    dir=$(dirname "$(eval echo "\$${1}_LOG")")
    setpriv --pdeathsig TERM "$dir/redis-server" --port "$port" --bind 127.0.0.1 --save '' --appendonly no \
        --dir "$dir" --daemonize no --logfile "$dir/redis-again.log" "${@:2}" </dev/null >/dev/null 2>&1 &
    pid=$!
    peers_add "$pid"
    printf -v "${1}_PID" %s "$pid"
    dl=$(peers_deadline "$PEERS_TIMEOUT")
    while [ "$(redis-cli -p "$port" ping 2>/dev/null)" != PONG ]; do
        peers_before "$dl" || { peers_fail "redis: no PONG on port $port"; return 1; }
        sleep 0.02
    done
}
cli() { redis-cli -p "$R_PORT" "$@"; }
