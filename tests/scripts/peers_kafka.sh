# The Kafka test peer (tests/tools/kafka_mock.c through tests/lib/peers.sh):
# kcat produces and consumes over TCP, exactly; a consumer group reads
# every record once; a broker taken down and up loses nothing; control
# commands answer; the mock stops by PID (ports closed) and dies with the
# shell that started it.
. "$(dirname "$0")/lib.sh"
. "$ROOT/tests/lib/peers.sh"
command -v kcat >/dev/null || fail "kcat missing (package kcat, see .ci/run)"
# fetch.wait.max.ms: an empty fetch returns at once, so -e ends in ms
# instead of 0.5 s per round; reconnect backoff short for the down/up part.
KP="-X reconnect.backoff.ms=20 -X reconnect.backoff.max.ms=100"
KC="$KP -X fetch.wait.max.ms=10"

wait_lines() {  # wait_lines FILE N: bounded poll until FILE has N lines
    local dl
    dl=$(peers_deadline 20)
    while [ "$(wc -l <"$1")" -lt "$2" ]; do
        peers_before "$dl" || fail "$1: $(wc -l <"$1") lines, waited for $2"
        sleep 0.01
    done
}

start_kafka_mock K -b 3 num:4 one:1
case $K in 127.0.0.1:*,127.0.0.1:*,127.0.0.1:*) ;; *) fail "bootstrap list: $K" ;; esac

# ---- 1,000 numbered records through 4 partitions, read back exactly ----
# (keyed: without a key librdkafka's sticky partitioner may put a quick
# burst in one partition; the key's hash spreads them, always the same way)
seq 1000 | sed 's/^/rec-/' >in
paste -d: <(seq 1000) in | kcat -b "$K" -P -t num -K: $KP || fail "kcat produce"
kcat -b "$K" -C -t num -o beginning -e -q -f '%p %s\n' $KC >got || fail "kcat consume"
[ "$(wc -l <got)" = 1000 ] || fail "consumed $(wc -l <got) records, expected 1000"
cut -d' ' -f2 got | sort | diff - <(sort in) >/dev/null || fail "records differ from those produced"
# one producer: within a partition the numbers ascend
for p in 0 1 2 3; do
    grep "^$p " got | cut -d- -f2 >part$p
    [ -s part$p ] || fail "partition $p received nothing"
    sort -n -c part$p || fail "partition $p out of order"
done

# ---- a consumer group reads each record once ----
kcat -b "$K" -G grp1 num -e -q -X auto.offset.reset=earliest -X session.timeout.ms=6000 $KC >ggot \
    || fail "kcat -G"
sort ggot | diff - <(sort in) >/dev/null || fail "group read $(wc -l <ggot) records, not the 1000"

# ---- control channel ----
kafka_ctl K "create extra 2" >/dev/null || fail "create"
kcat -b "$K" -L -t extra | grep -c '^    partition' >nparts
[ "$(cat nparts)" = 2 ] || fail "extra has $(cat nparts) partitions"
r=$(kafka_ctl K "create extra 3") && fail "re-create accepted: $r"
[ "$r" = "error create extra 3: Broker: Topic already exists" ] || fail "re-create: $r"
r=$(kafka_ctl K "add-partitions extra 4") && fail "add-partitions accepted"
case $r in "error add-partitions extra 4: not supported"*) ;; *) fail "add-partitions: $r" ;; esac
r=$(kafka_ctl K "down 9") && fail "down 9 accepted"
[ "$(kafka_ctl K bootstrap)" = "ok bootstrap $K" ] || fail "bootstrap command"

# ---- the partition's leader goes down and comes back: nothing lost ----
kafka_ctl K "leader one 0 2" >/dev/null || fail "leader"
kcat -b "$K" -C -u -t one -o beginning -q $KC >cons 2>cons.err &
cpid=$!
seq 1 100 | kcat -b "$K" -P -t one $KP || fail "produce 1..100"
wait_lines cons 100
kafka_ctl K "down 2" >/dev/null || fail "down 2"
seq 101 200 | kcat -b "$K" -P -t one $KP 2>prod.err &
ppid=$!
# the producer has met the refused connection: broker 2 is really down
dl=$(peers_deadline 20)
until grep -q 'Connection refused' prod.err; do
    peers_before "$dl" || fail "producer never saw broker 2 down: $(cat prod.err)"
    sleep 0.01
done
kill -0 "$ppid" 2>/dev/null || fail "producer ended while the leader was down"
[ "$(wc -l <cons)" = 100 ] || fail "consumer read $(wc -l <cons) records while the leader was down"
kafka_ctl K "up 2" >/dev/null || fail "up 2"
wait "$ppid" || fail "producer failed after the broker came back: $(tail -3 prod.err)"
wait_lines cons 200
kill "$cpid"; wait "$cpid" 2>/dev/null || true
[ "$(wc -l <cons)" = 200 ] || fail "consumer read $(wc -l <cons) records, expected 200"
diff cons <(seq 1 200) >/dev/null || fail "consumer records differ from 1..200"

# ---- SIGTERM: exit status 0 ----
start_kafka_mock K2 t:1
kill "$K2_PID"
rc=0; wait "$K2_PID" || rc=$?
[ "$rc" = 0 ] || fail "kafka_mock exited $rc on SIGTERM"

# ---- the parent dies (SIGKILL): the mock follows it ----
{ bash -c '"$1" --bootstrap-file orphan.bs </dev/null >/dev/null 2>&1 & echo $! >orphan.pid
         while [ ! -s orphan.bs ]; do sleep 0.01; done; kill -9 $$' _ "$KAFKA_MOCK"; } 2>/dev/null || true
opid=$(cat orphan.pid)
dl=$(peers_deadline 10)
while kill -0 "$opid" 2>/dev/null; do
    peers_before "$dl" || { kill -9 "$opid"; fail "kafka_mock outlived its parent"; }
    sleep 0.01
done

# ---- stopped by PID: the process is gone, its ports closed ----
pid=$K_PID
stop_peers
kill -0 "$pid" 2>/dev/null && fail "kafka_mock $pid still running"
for hp in ${K//,/ }; do
    port_closed "${hp#*:}" || fail "port ${hp#*:} still open"
done
echo ok
