# Checkpoints in replay: every end-to-end case with an expected stdout and a
# replay input is run in two processes sharing a --checkpoint directory,
# the first stopping after k batches, the second resuming from its
# snapshot; stdout of the two together must be the case's expected output,
# byte for byte, for every k from 1 to N-1 (N: the case's batches). This
# saves and loads the state of every window and state operator the cases
# use at every batch boundary. A case with check.sh (files it writes) runs
# it on the files of both processes.
. "$(dirname "$0")/lib.sh"
E2E=$ROOT/tests/e2e
ran=0
skipped=0
skip() { echo "skip $1: $2"; skipped=$((skipped + 1)); }
for d in "$E2E"/*/; do
    name=$(basename "$d")
    [ -f "$d/prog.stream" ] && [ -f "$d/expected" ] || continue
    ls "$d"/input*.replay >/dev/null 2>&1 || continue
    if [ -f "$d/stdin" ]; then skip "$name" "reads stdin, which cannot be split"; continue; fi
    if [ "$(grep -c '^context ' "$d/prog.stream")" -gt 1 ]; then
        # --batches counts per context: two runs' outputs would not be
        # cut at one time, so their concatenation interleaves differently
        skip "$name" "several contexts: a --batches split does not cut the output at one time"
        continue
    fi
    if [ "$(cat "$d/expected.exit" 2>/dev/null || echo 0)" != 0 ]; then
        skip "$name" "fails by design"; continue
    fi
    mkdir "case-$name"
    cp -r "$d"/. "case-$name/"
    # run_all.sh passes the binaries its e2e pass built (E2E_BUILT)
    if [ -n "${E2E_BUILT:-}" ] && [ -x "$E2E_BUILT/e2e-$name/prog" ]; then
        cp "$E2E_BUILT/e2e-$name/prog" "case-$name/prog"
    else
        (cd "case-$name" && "$STREAMC" -o prog prog.stream 2>/dev/null) || fail "$name: compile"
    fi
    args=$(cat "$d/args" 2>/dev/null || true)
    # N: the case's --batches, or the batches a whole run makes (the fewest
    # of any context: more would run batches past a context's input)
    n=$(printf '%s\n' "$args" | sed -n 's/.*--batches[ =]\([0-9][0-9]*\).*/\1/p')
    base=$(printf '%s\n' "$args" | sed 's/--batches[ =][0-9][0-9]*//')
    if [ -z "$n" ]; then
        n=$(cd "case-$name" && eval "timeout 60 ./prog $args --stats" </dev/null 2>&1 >/dev/null |
            sed -n 's/^\[stats\] .* total batches=\([0-9]*\) .*/\1/p' | sort -n | head -1)
        [ -n "$n" ] || fail "$name: no batch count"
    fi
    if [ "$n" = 1 ]; then
        ks=1        # the second run resumes after the last batch: runs none
    else
        ks=$(seq 1 $((n - 1)))
    fi
    for k in $ks; do
        w="run-$name-$k"
        cp -r "case-$name" "$w"
        if [ "$n" = 1 ]; then rest="--duration 1ms"
        elif printf '%s\n' "$args" | grep -q -- '--batches'; then rest="--batches $((n - k))"
        else rest=""; fi
        (cd "$w" && eval "timeout 60 ./prog $base --batches $k --checkpoint ck" </dev/null >out1 2>err1) ||
            fail "$name k=$k: first run exit $? $(head -5 "$w/err1")"
        (cd "$w" && eval "timeout 60 ./prog $base $rest --checkpoint ck" </dev/null >out2 2>err2) ||
            fail "$name k=$k: second run exit $? $(head -5 "$w/err2")"
        grep -q "resuming from checkpoint" "$w/err2" || fail "$name k=$k: the second run did not resume"
        cat "$w/out1" "$w/out2" >"$w/both"
        if ! cmp -s "$d/expected" "$w/both"; then
            diff -u "$d/expected" "$w/both" | head -30
            fail "$name k=$k: the two runs' stdout differs from expected"
        fi
        if grep -q 'Sanitizer' "$w/err1" "$w/err2"; then
            cat "$w/err1" "$w/err2" | head -30; fail "$name k=$k: sanitizer report"
        fi
        if [ -f "$d/check.sh" ]; then
            (cd "$w" && bash check.sh) || fail "$name k=$k: check.sh on the files of both runs"
        fi
        ran=$((ran + 1))
        rm -rf "$w"
    done
done
[ "$ran" -ge 100 ] || fail "only $ran restarts ran"
echo "ok: $ran restarts, $skipped cases skipped"
