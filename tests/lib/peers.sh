# tests/lib/peers.sh: real peers for the tests (a Kafka mock cluster, a
# Redis server), started on loopback ports, stopped by their PID.
# Source it (after tests/scripts/lib.sh if you use that):
#
#   . "$ROOT/tests/lib/peers.sh"
#   start_kafka_mock K [-b BROKERS] TOPIC:PARTITIONS...
#                         # K=bootstrap list, K_PID, K_CTL (control FIFO),
#                         # K_OUT (its replies), K_ERR (its stderr)
#   kafka_ctl K "down 1"  # one control command; prints the reply, fails
#                         # unless it is "ok ..." (tests/tools/kafka_mock.c)
#   start_redis R         # R=127.0.0.1:PORT, R_PORT, R_PID, R_LOG
#   free_port             # prints a loopback port nobody listens on
#   port_closed PORT      # true when nothing accepts on 127.0.0.1:PORT
#   stop_peers            # stop every peer (also run by the EXIT trap)
#
# Call start_* in the test's own shell, not in $(...): the peers must be
# children of the shell that stops them (kill, then wait, by PID). The EXIT
# trap is composed with the caller's: stop_peers runs first, then the
# trap that was there before. Every wait is a poll of a real condition,
# bounded by PEERS_TIMEOUT seconds (default 20) so a broken peer fails the
# test instead of hanging it. Files go to $PEERS_DIR (removed at exit).
#
# The Kafka helper is $KAFKA_MOCK, by default $ROOT/$BUILD/tests/kafka_mock
# (the Makefile builds it when librdkafka is installed); Redis is
# /usr/bin/redis-check-rdb run under the name redis-server (same binary,
# it picks its role from argv[0]; the redis-server package would start a
# system service, so it is not used). Both die with the shell that started
# them (kafka_mock by its own PR_SET_PDEATHSIG, Redis through setpriv).

PEERS_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
KAFKA_MOCK=${KAFKA_MOCK:-$PEERS_ROOT/${BUILD:-build}/tests/kafka_mock}
REDIS_BIN=${REDIS_BIN:-/usr/bin/redis-check-rdb}
PEERS_TIMEOUT=${PEERS_TIMEOUT:-20}
PEERS_DIR=$(mktemp -d "${TMPDIR:-/tmp}/peers.XXXXXX")
PEERS_PIDS=""
PEERS_SEQ=0

peers_fail() {
    echo "peers: $*" >&2
    return 1
}

# Re-installs the EXIT trap as "stop_peers; <the caller's trap>", once.
peers_trap() {
    local prev
    prev=$(trap -p EXIT)
    case $prev in *peers_exit*) return 0 ;; esac
    if [ -n "$prev" ]; then
        eval "set -- $prev"     # trap -- 'CMD' EXIT
        prev=$3
    fi
    PEERS_PREV_TRAP=$prev
    trap 'peers_exit' EXIT
}
peers_exit() {
    local rc=$?
    stop_peers
    rm -rf "$PEERS_DIR"
    if [ -n "${PEERS_PREV_TRAP:-}" ]; then eval "$PEERS_PREV_TRAP"; fi
    exit $rc
}

# Deadlines in microseconds of the wall clock (bash 5's EPOCHREALTIME).
peers_deadline() { echo $((${EPOCHREALTIME/./} + $1 * 1000000)); }
peers_before() { [ "${EPOCHREALTIME/./}" -lt "$1" ]; }

port_closed() {
    ! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

# A port below the kernel's ephemeral range (so no client socket holds it)
# that nobody listens on. Another process may still take it before the
# caller binds it: start_redis retries on a bind failure.
free_port() {
    local lo=20000 hi=32767 p i
    read -r i _ </proc/sys/net/ipv4/ip_local_port_range 2>/dev/null && [ "$i" -gt 21000 ] && hi=$((i - 1))
    for i in $(seq 200); do
        p=$((lo + (RANDOM * 32768 + RANDOM) % (hi - lo)))
        if port_closed "$p" && ! grep -qi ":$(printf %04X "$p") 00000000:0000 0A" /proc/net/tcp 2>/dev/null; then
            echo "$p"
            return 0
        fi
    done
    peers_fail "no free port found"
}

peers_add() { PEERS_PIDS="$PEERS_PIDS $1"; }

# Stops one peer: SIGTERM, a bounded wait, SIGKILL if it is still there,
# then reaps it (a zombie still answers kill -0).
peers_stop_pid() {
    local pid=$1 dl
    kill -TERM "$pid" 2>/dev/null || { wait "$pid" 2>/dev/null || true; return 0; }
    dl=$(peers_deadline 5)
    while kill -0 "$pid" 2>/dev/null && [ "$(ps -o stat= -p "$pid" 2>/dev/null | cut -c1)" != Z ] \
          && peers_before "$dl"; do
        sleep 0.02
    done
    if [ "$(ps -o stat= -p "$pid" 2>/dev/null | cut -c1)" != Z ] && kill -0 "$pid" 2>/dev/null; then
        echo "peers: $pid ignored SIGTERM for 5 s, killing it" >&2
        kill -KILL "$pid" 2>/dev/null
    fi
    wait "$pid" 2>/dev/null || true
    return 0
}

stop_peers() {
    local pid
    for pid in $PEERS_PIDS; do peers_stop_pid "$pid"; done
    PEERS_PIDS=""
}

# start_kafka_mock VAR [-b BROKERS] TOPIC:PARTITIONS...
start_kafka_mock() {
    local var=$1 brokers=1 dir args=() t dl
    shift
    if [ "${1:-}" = -b ]; then brokers=$2; shift 2; fi
    [ -x "$KAFKA_MOCK" ] || peers_fail "$KAFKA_MOCK missing (needs librdkafka-dev; make builds it)" || return 1
    PEERS_SEQ=$((PEERS_SEQ + 1))
    dir=$PEERS_DIR/kafka$PEERS_SEQ
    mkdir -p "$dir"
    for t in "$@"; do args+=(--topic "$t"); done
    peers_trap
    "$KAFKA_MOCK" --brokers "$brokers" "${args[@]}" --bootstrap-file "$dir/bootstrap" \
        --control "$dir/ctl" >"$dir/out" 2>"$dir/err" </dev/null &
    local pid=$!
    peers_add "$pid"
    dl=$(peers_deadline "$PEERS_TIMEOUT")
    while [ ! -s "$dir/bootstrap" ]; do
        if ! kill -0 "$pid" 2>/dev/null; then
            local rc=0
            wait "$pid" || rc=$?
            peers_fail "kafka_mock exited $rc: $(cat "$dir/err")"
            return 1
        fi
        peers_before "$dl" || { peers_fail "kafka_mock: no bootstrap file after ${PEERS_TIMEOUT}s"; return 1; }
        sleep 0.02
    done
    printf -v "$var" %s "$(cat "$dir/bootstrap")"
    printf -v "${var}_PID" %s "$pid"
    printf -v "${var}_CTL" %s "$dir/ctl"
    printf -v "${var}_OUT" %s "$dir/out"
    printf -v "${var}_ERR" %s "$dir/err"
    export "${var?}" "${var}_PID" "${var}_CTL" "${var}_OUT" "${var}_ERR"
}

# kafka_ctl VAR COMMAND: sends one command, waits for its reply line.
kafka_ctl() {
    local ctl out n dl line fd
    eval "ctl=\$${1}_CTL out=\$${1}_OUT"
    [ -p "$ctl" ] || peers_fail "kafka_ctl: $1 has no control FIFO" || return 1
    n=$(wc -l <"$out")
    # read-write open: never blocks, even if the mock is gone
    exec {fd}<>"$ctl"
    printf '%s\n' "$2" >&"$fd"
    exec {fd}>&-
    dl=$(peers_deadline "$PEERS_TIMEOUT")
    while [ "$(wc -l <"$out")" -le "$n" ]; do
        peers_before "$dl" || { peers_fail "kafka_mock: no reply to '$2'"; return 1; }
        sleep 0.01
    done
    line=$(sed -n "$((n + 1))p" "$out")
    echo "$line"
    case $line in ok*) return 0 ;; *) return 1 ;; esac
}

# start_redis VAR: a Redis server on a free loopback port, no persistence.
start_redis() {
    local var=$1 dir port pid try dl
    [ -x "$REDIS_BIN" ] || peers_fail "$REDIS_BIN missing (package redis-tools)" || return 1
    command -v redis-cli >/dev/null || peers_fail "redis-cli missing (package redis-tools)" || return 1
    PEERS_SEQ=$((PEERS_SEQ + 1))
    dir=$PEERS_DIR/redis$PEERS_SEQ
    mkdir -p "$dir"
    ln -sf "$REDIS_BIN" "$dir/redis-server"
    peers_trap
    for try in 1 2 3 4 5; do
        port=$(free_port) || return 1
        # setpriv: SIGTERM to Redis when this shell dies, even by SIGKILL
        setpriv --pdeathsig TERM "$dir/redis-server" --port "$port" --bind 127.0.0.1 --save '' --appendonly no \
            --dir "$dir" --daemonize no --logfile "$dir/redis.log" </dev/null >/dev/null 2>&1 &
        pid=$!
        peers_add "$pid"
        dl=$(peers_deadline "$PEERS_TIMEOUT")
        while [ "$(redis-cli -p "$port" ping 2>/dev/null)" != PONG ]; do
            kill -0 "$pid" 2>/dev/null || break
            peers_before "$dl" || { peers_fail "redis: no PONG on port $port after ${PEERS_TIMEOUT}s"; return 1; }
            sleep 0.02
        done
        if kill -0 "$pid" 2>/dev/null; then
            printf -v "$var" %s "127.0.0.1:$port"
            printf -v "${var}_PORT" %s "$port"
            printf -v "${var}_PID" %s "$pid"
            printf -v "${var}_LOG" %s "$dir/redis.log"
            export "${var?}" "${var}_PORT" "${var}_PID" "${var}_LOG"
            return 0
        fi
        wait "$pid" || true
        # lost the port to someone else: try another one
        grep -q 'Address already in use' "$dir/redis.log" 2>/dev/null || break
    done
    peers_fail "redis-server did not start: $(tail -5 "$dir/redis.log" 2>/dev/null)"
}
