# Backpressure: a rate source 10x faster than the pipeline can process for
# 30 s. Receivers hold off while two batches wait behind the running one,
# so peak memory stays bounded (without it the backlog would grow by about
# 80 MB a second), --stats reports the time they were held back, and what
# was received is processed, none of it lost.
. "$(dirname "$0")/lib.sh"
if [ "${SAN:-}" = 1 ]; then
    echo "sanitizer build: skipped (the timing ratio is the point)"
    exit 0
fi
cat > bp.stream <<'EOS'
%{
static int64_t slow(int64_t x)
{
    volatile int64_t a = x;
    for (int i = 0; i < 2000; i++)
        a = a * 31 + i;
    return a;
}
%}
extern slow(int) : int;
context c {
    batch = 200ms;
}
source n = rate(10000000);
n.map(x => slow(x) % 2 == 0).countByValue().print();
EOS
build bp
./bp --stats >out 2>err &
pid=$!
peak=0
for _ in $(seq 30); do
    sleep 1
    rss=$(awk '/^VmRSS/ {print $2}' /proc/$pid/status 2>/dev/null || echo 0)
    [ "$rss" -gt "$peak" ] && peak=$rss
done
kill -TERM $pid
timeout 60 tail --pid=$pid -f /dev/null || fail "did not stop after SIGTERM"
wait $pid || fail "exit $?"
echo "peak RSS ${peak} kB"
[ "$peak" -lt 300000 ] || fail "peak RSS $peak kB: memory not bounded"
throttled=$(grep -o 'throttled=[0-9]*' err | cut -d= -f2 | awk '{s+=$1} END {print s+0}')
[ "$throttled" -gt 10000 ] || fail "receivers held back only ${throttled} ms"
# every record received was counted: the counts add up to the records
recs=$(grep -o ' records=[0-9]*' err | head -n -1 | cut -d= -f2 | awk '{s+=$1} END {print s+0}')
counted=$(grep -E '^\((true|false),' out | sed 's/.*,\(.*\))/\1/' | awk '{s+=$1} END {print s+0}')
[ "$recs" = "$counted" ] && [ "$recs" -gt 0 ] || fail "received $recs, counted $counted"
echo ok
