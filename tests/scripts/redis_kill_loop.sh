# A Redis stream source read with a consumer group, and saveToRedis,
# under kill -9 at random moments (at least 20 times) while a producer
# keeps XADDing numbered entries: at the end the updateStateByKey totals
# (in the checkpoint's state) and the HINCRBY totals saveToRedis applied
# are exactly the entries produced per key (nothing lost, nothing twice),
# no entry is left pending in the group, and entries without the field are
# skipped and logged. The job runs with a _2 storage level; a second,
# shorter loop runs a MEMORY_ONLY one, whose recovered blocks are read
# again from the stream (XRANGE of their positions).
. "$(dirname "$0")/lib.sh"
. "$ROOT/tests/lib/peers.sh"
. "$ROOT/tests/lib/redis.sh"

start_redis R

job_src() {   # $1 storage level, $2 stream, $3 checkpoint
    cat <<EOS
param redis = "127.0.0.1:1";
context c {
    batch = 200ms;
    block = 50ms;
    checkpoint = "$3";
}
source xs = redis(redis, stream = "$2", group = "g") storage $1;
xs.map(l => (l, 1)).updateStateByKey(0, (a, v) => a + v).saveAsTextFiles("out-$2/total");
xs.map(l => (l, 1)).reduceByKey((a, b) => a + b)
  .saveToRedis(redis, c => ["HINCRBY", "totals-$2", c._1, toString(c._2)]);
EOS
}
job_src MEMORY_AND_DISK_SER_2 ev ck > job.stream
build job
job_src MEMORY_ONLY ev2 ck2 > job2.stream
build job2

# produce N entries into stream $1: data "kI" for i mod 5, every 97th without
# the field; then write the expected totals to expected-$1
produce() {
    local n=$1 s=$2 i
    for ((i = 1; i <= n; i++)); do
        if ((i % 97 == 0)); then echo "XADD $s * other $i"; else echo "XADD $s * data k$((i % 5))"; fi
        if ((i % 10 == 0)); then sleep 0.01; fi
    done | cli >/dev/null
    awk -v n="$n" 'BEGIN { for (i = 1; i <= n; i++) if (i % 97) c[i % 5]++
                           for (k = 0; k < 5; k++) print "k" k " " c[k] }' > "expected-$s"
    echo "$n" > "produced-$s"
}

# kill loop: $1 program, $2 stream, $3 entries, $4 kills at least
kill_loop() {
    local prog=$1 s=$2 n=$3 min=$4 kills=0 pid
    produce "$n" "$s" &
    local producer=$!
    while [ "$kills" -lt "$min" ] || kill -0 "$producer" 2>/dev/null; do
        ./"$prog" --param redis="$R" >>"stdout-$s" 2>>"stderr-$s" &
        pid=$!
        sleep 0.$((RANDOM % 7 + 1))$((RANDOM % 10))
        kill -9 "$pid" 2>/dev/null || true
        wait "$pid" 2>/dev/null || true
        kills=$((kills + 1))
        [ "$kills" -lt 200 ] || fail "the producer never finished"
    done
    wait "$producer"
    # the last run: until saveToRedis has applied every entry, then a stop
    local want
    want=$(awk '{ s += $2 } END { print s }' "expected-$s")
    local before
    before=$(grep -c "recovered from" "stderr-$s" || true)
    ./"$prog" --param redis="$R" >>"stdout-$s" 2>>"stderr-$s" &
    pid=$!
    # started (its signal handling in place) once it has recovered
    for _ in $(seq 1 300); do
        [ "$(grep -c "recovered from" "stderr-$s" || true)" -gt "$before" ] && break
        sleep 0.05
    done
    for _ in $(seq 1 300); do
        [ "$(cli HVALS "totals-$s" | awk '{ s += $1 } END { print s + 0 }')" -ge "$want" ] && break
        sleep 0.1
    done
    kill -TERM "$pid"
    wait "$pid" || fail "$prog: the last run exited $?: $(tail -5 "stderr-$s")"

    # saveToRedis: HINCRBY totals exact
    for ((i = 0; i < 5; i++)); do
        echo "k$i $(cli HGET "totals-$s" "k$i")"
    done > "redis-$s"
    diff "expected-$s" "redis-$s" >/dev/null ||
        fail "$prog after $kills kills: HINCRBY totals $(tr '\n' ' ' <"redis-$s"), expected $(tr '\n' ' ' <"expected-$s")"
    # the state: the last saved total per key
    local last
    last=$(ls -d out-"$s"/total-* | sort -t- -k3 -n | tail -1)
    sed 's/^(\(.*\),\(.*\))$/\1 \2/' "$last"/part-* | sort > "state-$s"
    diff "expected-$s" "state-$s" >/dev/null ||
        fail "$prog after $kills kills: state $(tr '\n' ' ' <"state-$s") in $last, expected $(tr '\n' ' ' <"expected-$s")"
    # nothing pending in the group, every entry delivered
    [ "$(cli XPENDING "$s" g | head -1)" = 0 ] || fail "$prog: entries still pending: $(cli XPENDING "$s" g | tr '\n' ' ')"
    [ "$(cli XINFO GROUPS "$s" | sed -n '/^last-delivered-id$/{n;p}')" = "$(cli XREVRANGE "$s" + - COUNT 1 | head -1)" ] ||
        fail "$prog: the group has not read the whole stream"
    local skips
    skips=$(grep -c "stream entry without field 'data'" "stderr-$s" || true)
    [ "$skips" -ge 1 ] || fail "$prog: no entry without the field logged ($((n / 97)) produced)"
    local rec
    rec=$(grep -c "recovered from" "stderr-$s" || true)
    [ "$rec" -ge $((kills - 2)) ] || fail "$prog: only $rec of $kills restarts recovered"
    ! grep -iE "sanitizer|runtime error|: error:" "stderr-$s" || fail "$prog: errors in stderr"
    echo "$prog: $kills kills, $n entries, totals exact"
}

RANDOM=16
kill_loop job ev 2400 20
kill_loop job2 ev2 600 6
# the per-output marker saveToRedis keeps: the time of the last batch applied
cli --scan --pattern 'streamc:saveToRedis:job:*' | grep -q . || fail "no saveToRedis marker"
echo ok
