# Shared by the scripted tests: a scratch directory, the compiler, and a
# way to build a program. Every test bounds its own run time.
set -eu
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
STREAMC=${STREAMC:-$ROOT/build/bin/streamc}
W=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$W"' EXIT
[ -n "${KEEP:-}" ] && trap "echo kept $W" EXIT
cd "$W"
fail() { echo "FAIL: $*"; exit 1; }
build() { "$STREAMC" -o "$1" "$1.stream" || fail "compile $1"; }
# wait_for FILE PATTERN: polls until FILE has a line matching PATTERN
# (the 10 s bound only stops a hang)
wait_for() {
    for _ in $(seq 1 200); do
        grep -q "$2" "$1" 2>/dev/null && return 0
        sleep 0.05
    done
    fail "no '$2' in $1: $(tail -3 "$1" 2>/dev/null)"
}
# The port a program started with --metrics HOST:0 logged on stderr file
# $2 (its name is $1), once it is there; fails if process $3 ends first.
metrics_port() {
    local port
    for _ in $(seq 1 1200); do
        port=$(sed -n "s|^$1: note: metrics on http://127.0.0.1:\([0-9]*\)/ .*|\1|p" "$2")
        [ -n "$port" ] && { echo "$port"; return 0; }
        kill -0 "$3" 2>/dev/null || fail "$1 ended: $(cat "$2")"
        sleep 0.05
    done
    fail "$1: no metrics address in: $(cat "$2")"
}
# stdin_total_job: writes and builds ./job, a stdin job that keeps an
# updateStateByKey total, printed as (n,TOTAL), in checkpoint ck/c
# (200 ms batches): the recovery tests' subject.
stdin_total_job() {
    cat > job.stream <<'EOS'
context c {
    batch = 200ms;
    checkpoint = "ck";
}
source s = stdin();
s.map(l => ("n", 1)).updateStateByKey(0, (a, v) => a + v).print();
EOS
    build job
}
# killed_third_run: with stdin_total_job's ./job, two clean runs of 1000
# lines (two snapshots), then a third killed with SIGKILL once it printed
# (n,3000); its checkpoint is moved to orig.
killed_third_run() {
    seq 1 1000 | ./job >o1 2>e1 || fail "run 1: exit $?: $(cat e1)"
    seq 1 1000 | ./job >o2 2>e2 || fail "run 2: exit $?: $(cat e2)"
    grep -q '(n,2000)' o2 || fail "run 2 did not reach 2000: $(cat o2)"
    mkfifo in3
    ./job <in3 >o3 2>e3 &
    local pid=$!
    exec 3>in3
    seq 1 1000 >&3
    wait_for o3 '(n,3000)'
    kill -9 "$pid"
    wait "$pid" 2>/dev/null || true
    exec 3>&-
    mv ck orig
}
