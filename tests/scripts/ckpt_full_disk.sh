# A checkpoint write that fails for want of space (issue 11): a stdin job
# with an updateStateByKey total logs its records until its log segment
# reaches the file-size limit (ulimit -f, SIGXFSZ ignored: each write then
# fails with EFBIG, as on a full disk). The job fails (exit 1) and the log
# stays a prefix of what happened: no batch entry names a block whose
# write failed, so a restart with room recovers without a refusal, to
# exactly the last total printed, and goes on from there.
. "$(dirname "$0")/lib.sh"
stdin_total_job
# 1000 lines at a time, each chunk printed before the next is written,
# until the log cannot grow (about 7 bytes a record: a few chunks)
mkfifo in1
( trap '' XFSZ; ulimit -f 40; exec ./job <in1 >o1 2>e1 ) &
pid=$!
trap '' PIPE
exec 3>in1
k=0
while kill -0 "$pid" 2>/dev/null && [ "$k" -lt 100 ]; do
    seq 1 1000 >&3 2>/dev/null || break
    k=$((k + 1))
    for _ in $(seq 1 200); do
        grep -q "(n,$((k * 1000)))" o1 2>/dev/null && break
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.05
    done
done
exec 3>&-
set +e
wait "$pid"
rc=$?
set -e
[ "$rc" = 1 ] || fail "full: exit $rc, not 1 (after $k chunks): $(cat e1)"
printed=$(grep '(n' o1 | tail -1)
[ -n "$printed" ] || fail "full: nothing printed before the log filled"
./job </dev/null >o2 2>e2 || fail "restart: exit $?: $(cat e2)"
grep -q 'error\|warning' e2 && fail "restart: $(cat e2)"
[ "$(grep '(n' o2 | tail -1)" = "$printed" ] || fail "restart: $(grep '(n' o2 | tail -1), not $printed"
n=${printed#(n,}
n=${n%)}
seq 1 100 | ./job >o3 2>e3 || fail "run 3: exit $?: $(cat e3)"
[ "$(grep '(n' o3 | tail -1)" = "(n,$((n + 100)))" ] || fail "run 3: $(grep '(n' o3 | tail -1), not (n,$((n + 100)))"
echo ok
