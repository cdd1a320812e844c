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
echo ok
