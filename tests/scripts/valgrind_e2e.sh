# A selection of the end-to-end programs under valgrind's memcheck: the
# same exact output, no invalid access, no definite leak (the runtime's
# threads, arenas, windows and keyed state included).
. "$(dirname "$0")/lib.sh"
if [ "${SAN:-}" = 1 ]; then
    echo "sanitizer build: valgrind runs on the plain build only; skipped"
    exit 0
fi
if ! command -v valgrind >/dev/null; then
    echo "valgrind not installed; skipped"
    exit 0
fi
for t in builtins save_foreach multi_context window_panes keywords spark_rbkawi_big \
         spark_fullOuterJoin spark_updateStateByKey spark_countByValueAndWindow spark_window_larger; do
    d="$ROOT/tests/e2e/$t"
    rm -rf "$W/$t"; cp -r "$d" "$W/$t"; cd "$W/$t"
    CFLAGS="-O1 -g" "$STREAMC" -o prog prog.stream || fail "$t: compile"
    eval "timeout 300 valgrind -q --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite ./prog $(cat args)" \
        </dev/null >.stdout 2>.stderr || fail "$t: valgrind exit $? $(head -30 .stderr)"
    diff -u expected .stdout >/dev/null || fail "$t: output differs under valgrind"
    cd "$W"
done

# real time with a write-ahead log: a run killed with SIGKILL leaves
# logged batches, and the next run (under valgrind) restores them from the
# log, runs them again without their outputs and then once more prints
# the state: 100 keys
cat > wal.stream <<'EOS'
context c {
    batch = 200ms;
    block = 50ms;
    checkpoint = "ck";
}
source s = stdin() storage MEMORY_AND_DISK_SER_2;
s.map(l => (l, 1)).updateStateByKey(0, (a, b) => a + b).count().print();
EOS
CFLAGS="-O1 -g" "$STREAMC" -o wal wal.stream || fail "wal: compile"
mkfifo feed
./wal <feed >wal1.out 2>&1 &
pid=$!
exec 3>feed
seq 1 100 >&3
sleep 1.5
kill -KILL "$pid" || fail "wal: the first run had ended"
wait "$pid" 2>/dev/null || true
exec 3>&-
ls ck/c/log-* >/dev/null || fail "wal: no log written"
timeout 300 valgrind -q --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite ./wal \
    </dev/null >wal2.out 2>wal2.err || fail "wal: valgrind exit $? $(head -30 wal2.err)"
grep -q "recovered from ck/c" wal2.err || fail "wal: no recovery: $(cat wal2.err)"
[ "$(grep -E '^[0-9]+$' wal2.out | tail -1)" = 100 ] || fail "wal: state after recovery: $(cat wal2.out)"
echo ok
