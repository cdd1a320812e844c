# SIGINT and SIGTERM finish the running batch, flush, and exit 0.
. "$(dirname "$0")/lib.sh"
cat > sig.stream <<'EOS'
context c {
    batch = 400ms;
}
source n = rate(1000);
n.count().print();
EOS
build sig
for s in INT TERM; do
    ./sig >out.$s 2>err.$s &
    pid=$!
    sleep 1.5
    kill -$s $pid
    rc=0
    timeout 10 tail --pid=$pid -f /dev/null || fail "SIG$s: did not exit"
    wait $pid || rc=$?
    [ "$rc" = 0 ] || fail "SIG$s: exit $rc $(cat err.$s)"
    n=$(grep -c '^Time: ' out.$s)
    [ "$n" -ge 3 ] || fail "SIG$s: only $n batches printed"
    # the output ends with a complete batch: header, count, blank line
    [ "$(tail -n 1 out.$s)" = "" ] || fail "SIG$s: output cut short"
done
echo ok
