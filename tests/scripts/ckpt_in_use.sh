# A checkpoint directory in use (issue 11): while one process of a job
# runs on DIR/CONTEXT, a second start on it is refused (exit 1, naming
# the directory and the process that holds it) and touches nothing: the
# first goes on, and its records are all recovered after it is killed.
. "$(dirname "$0")/lib.sh"
stdin_total_job
mkfifo in1
./job <in1 >o1 2>e1 &
pid=$!
exec 3>in1
seq 1 100 >&3
wait_for o1 '(n,100)'
set +e
seq 1 50 | ./job >o2 2>e2
rc=$?
set -e
[ "$rc" = 1 ] || fail "second start: exit $rc, not 1: $(cat e2)"
[ "$(cat e2)" = "job: error: checkpoint ck/c is in use by another process (pid $pid); stop it, or choose another directory" ] ||
    fail "second start: stderr is $(cat e2)"
[ ! -s o2 ] || fail "second start printed $(cat o2)"
seq 1 100 >&3
wait_for o1 '(n,200)'
kill -9 "$pid"
wait "$pid" 2>/dev/null || true
exec 3>&-
./job </dev/null >o3 2>e3 || fail "restart: exit $?: $(cat e3)"
[ "$(grep '(n' o3 | tail -1)" = "(n,200)" ] || fail "restart: $(grep '(n' o3 | tail -1), not (n,200)"
echo ok
