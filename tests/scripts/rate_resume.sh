# rate(N) with a logged level and a checkpoint goes on after a restart
# where the log says it left off: the integers stay consecutive from 0
# across restarts, none repeated, none skipped. A running (count, sum)
# kept by updateStateByKey through kill -9s at random moments must end
# with sum = count * (count - 1) / 2 (it was 0, 1, 2, ... again after
# every restart before).
. "$(dirname "$0")/lib.sh"
cat > rr.stream <<'EOS'
context c { batch = 200ms; block = 50ms; checkpoint = "ck"; }
source n = rate(400) storage MEMORY_ONLY_2;
n.map(x => ("n", (1, x))).updateStateByKey((0, 0), (s, v) => (s._1 + v._1, s._2 + v._2)).print();
EOS
build rr
# a clean stop and a restart: the second run starts after the first's last
./rr --batches 2 > o1 2> e1 || fail "first run: $(cat e1)"
./rr --batches 2 > o2 2> e2 || fail "second run: $(cat e2)"
check() {   # the last (n,(count,sum)) printed in $1
    local last; last=$(grep '^(n,' "$1" | tail -1)
    [ -n "$last" ] || fail "$1 printed no state: $(cat "$1")" >&2
    local c s; c=$(echo "$last" | sed 's/(n,(\(.*\),\(.*\)))/\1/'); s=$(echo "$last" | sed 's/(n,(\(.*\),\(.*\)))/\2/')
    [ "$s" = $((c * (c - 1) / 2)) ] || fail "$1: count $c, sum $s, expected $((c * (c - 1) / 2))" >&2
    echo "$c"
}
c1=$(check o1) && c2=$(check o2) || exit 1
[ "$c2" -gt "$c1" ] || fail "the second run did not add to the first: $c1, $c2"
# kill -9 at random moments, then a clean run
RANDOM=7
for k in $(seq 1 10); do
    ./rr >> ok 2>> ek &
    pid=$!
    sleep 0.$((RANDOM % 5 + 2))$((RANDOM % 10))
    kill -9 $pid 2>/dev/null || true
    wait $pid 2>/dev/null || true
done
./rr --batches 3 > o3 2> e3 || fail "last run: $(cat e3)"
c3=$(check o3) || exit 1
[ "$c3" -gt "$c2" ] || fail "the runs after the kills did not add: $c2, $c3"
! grep -q 'error' ek e3 || fail "errors: $(grep error ek e3 | head -3)"
echo "ok: $c3 integers, consecutive through 10 kills"
