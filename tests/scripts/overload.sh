# Overload: a socket producer, a rate source and a 30 MB file far faster
# than the pipeline. Each context holds at most its limit of bytes of records
# received and not processed (2 x --memory, at least 4 MiB; flow.h), by one
# record at most, whatever the producers do: the socket receiver stops
# reading (the producer blocks on the TCP window), the file is read no
# further, the rate source falls behind. Asserted on the runtime's own accounting (--stats held_max, an
# exact bound, not a timing) and, loosely, on the peak RSS (without a
# bound the receivers take the whole 60 MB and 30 MB at once). Every line
# sent and every line of the file is counted exactly once; the rate source's integers are all there, each
# once (count and sum), none skipped.
. "$(dirname "$0")/lib.sh"
cc -O1 -o floodserver "$ROOT/tests/tools/floodserver.c"
N=600000
WIDTH=100
./floodserver port "$N" "$WIDTH" > sent &
for _ in $(seq 100); do [ -s port ] && break; sleep 0.1; done
[ -s port ] || fail "server did not start"
F=300000
seq 1 "$F" | awk '{ printf "%d %s\n", $1, "yyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyy" }' > big.txt
cat > ov.stream <<EOS
%{
static int64_t slow(int64_t x)
{
    volatile uint64_t a = (uint64_t)x;
    for (int i = 0; i < 200; i++)
        a = a * 31 + (uint64_t)i;
    return (int64_t)(a >> 1);
}
%}
extern slow(int) : int;
context sc {
    batch = 200ms;
    block = 50ms;
    workers = 1;
}
context rc {
    batch = 200ms;
    block = 50ms;
    workers = 1;
}
context fc {
    batch = 200ms;
    block = 50ms;
    workers = 1;
}
source lines = socket("127.0.0.1", $(cat port)) in sc storage MEMORY_ONLY;
source n = rate(100000000) in rc storage MEMORY_ONLY;
source f = file("big.txt") in fc storage MEMORY_ONLY;
stream s = lines.map(l => toInt(field(l, " ", 0))).filter(x => slow(x) != 7);
s.map(x => ("sock_n", 1)).reduceByKey((a, b) => a + b).print();
s.map(x => ("sock_sum", x)).reduceByKey((a, b) => a + b).print();
stream r = n.filter(x => slow(x) != 7);
r.map(x => ("rate_n", 1)).reduceByKey((a, b) => a + b).print();
r.map(x => ("rate_sum", x)).reduceByKey((a, b) => a + b).print();
stream g = f.map(l => toInt(field(l, " ", 0))).filter(x => slow(x) != 7);
g.map(x => ("file_n", 1)).reduceByKey((a, b) => a + b).print();
g.map(x => ("file_sum", x)).reduceByKey((a, b) => a + b).print();
EOS
build ov
./ov --stats --memory 2M >out 2>err &
pid=$!
total() { sed -n "s/^($1,\\([0-9]*\\))\$/\\1/p" out | awk '{ s += $1 } END { printf "%.0f\n", s }'; }
hwm=0
# wait (bounded) until every line sent has been counted, sampling the RSS
for _ in $(seq 1200); do
    h=$(awk '/^VmHWM/ { print $2 }' /proc/$pid/status 2>/dev/null || echo 0)
    [ -n "$h" ] && [ "$h" -gt "$hwm" ] && hwm=$h
    [ "$(total sock_n)" -ge "$N" ] && [ "$(total file_n)" -ge "$F" ] && break
    kill -0 $pid 2>/dev/null || break
    sleep 0.1
done
kill -TERM $pid 2>/dev/null || true
wait $pid || fail "exit $? $(tail -3 err)"
wait
echo "server: $(cat sent); peak RSS ${hwm} kB"
grep -q "^sent $N lines" sent || fail "the server did not send everything: $(cat sent)"
# RSS: far below the 90 MB of the producer and the file (sanitizers add their own)
if [ "${SAN:-}" != 1 ]; then
    [ "$hwm" -lt 60000 ] || fail "peak RSS $hwm kB"
fi
# the socket: every line exactly once
[ "$(total sock_n)" = "$N" ] || fail "socket: counted $(total sock_n) lines of $N"
[ "$(total sock_sum)" = "$((N * (N + 1) / 2))" ] || fail "socket: sum $(total sock_sum)"
# the file: every line exactly once
[ "$(total file_n)" = "$F" ] || fail "file: counted $(total file_n) lines of $F"
[ "$(total file_sum)" = "$((F * (F + 1) / 2))" ] || fail "file: sum $(total file_sum)"
# the rate source: 0 .. R-1, each once
R=$(total rate_n)
[ "$R" -gt 0 ] || fail "rate: nothing counted"
[ "$(total rate_sum)" = "$((R * (R - 1) / 2))" ] || fail "rate: $R records but sum $(total rate_sum)"
recs=$(sed -n 's/^\[stats\] rc time=.* records=\([0-9]*\) .*/\1/p' err | awk '{ s += $1 } END { print s + 0 }')
[ "$recs" = "$R" ] || fail "rate: --stats says $recs records, the output $R"
grep -q "^ov: note: source 'n': held back [0-9]* ms by backpressure; it generated $R records" err \
    || fail "rate: no note on falling behind: $(grep note err)"
# the bound: 2 x 2 MiB, passed by one record at most (a line: WIDTH + 32)
for c in sc rc fc; do
    line=$(grep "^\[stats\] $c total " err) || fail "no total line for $c"
    max=$(echo "$line" | sed -n 's/.* held_max=\([0-9]*\) held_limit=\([0-9]*\)$/\1/p')
    lim=$(echo "$line" | sed -n 's/.* held_limit=\([0-9]*\)$/\1/p')
    [ "$lim" = $((4 << 20)) ] || fail "$c: limit $lim, not 4 MiB: $line"
    [ "$max" -le $((lim + WIDTH + 32)) ] || fail "$c: held $max bytes, over the limit $lim"
    [ "$max" -gt $((lim / 2)) ] || fail "$c: held only $max bytes: not overloaded"
done
# each batch line's peak stays under the bound as well
bad=$(sed -n 's/^\[stats\] .* held=\([0-9]*\)$/\1/p' err | awk -v m=$(((4 << 20) + WIDTH + 32)) '$1 > m' | head -1)
[ -z "$bad" ] || fail "a batch line shows held=$bad"
echo ok
