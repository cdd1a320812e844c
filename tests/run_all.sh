#!/usr/bin/env bash
# tests/run_all.sh: every test of the project against one build tree.
#
#   BUILD=build SAN= bash tests/run_all.sh UNIT_BINARIES...
#
# Runs, counting each check: the cmocka unit programs given as arguments;
# golden diagnostics (tests/diag/NAME.stream -> NAME.expected, the exact
# stderr of `streamc --check`; exit 1 iff it holds ": error: "); the spec's
# programs (tests/spec/*.stream must check clean); golden generated C
# (tests/golden/NAME.c for examples/NAME.stream); end-to-end programs
# (tests/e2e/NAME/); the truncation robustness test. Ends with the line
# "N passed, N failed" and exits non-zero when anything failed.
set -u
cd "$(dirname "$0")/.."
ROOT=$PWD
BUILD=${BUILD:-build}
SAN=${SAN:-}
export STREAMC="$ROOT/$BUILD/bin/streamc"
if [ "$SAN" = 1 ]; then
    export CFLAGS="-O1 -g -fsanitize=address,undefined -fno-sanitize-recover=undefined"
    export ASAN_OPTIONS=detect_leaks=1:abort_on_error=0
    export UBSAN_OPTIONS=print_stacktrace=1
else
    export CFLAGS="-O2"
fi
pass=0
fail=0
ok() { pass=$((pass + 1)); }
bad() { fail=$((fail + 1)); echo "FAIL: $*"; }
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT

# ---- unit tests (cmocka) ----
for t in "$@"; do
    if "$t" >"$TMP/unit.out" 2>&1; then ok; else bad "unit $t"; cat "$TMP/unit.out"; fi
done

# ---- golden diagnostics ----
for f in tests/diag/*.stream; do
    [ -e "$f" ] || continue
    name=$(basename "$f" .stream)
    exp="tests/diag/$name.expected"
    (cd tests/diag && NO_COLOR=1 "$STREAMC" --check "$name.stream" >"$TMP/diag.out" 2>"$TMP/diag.err")
    rc=$?
    want=0
    grep -q ': error: ' "$exp" 2>/dev/null && want=1
    if [ ! -f "$exp" ]; then
        bad "diag $name: no $exp"
    elif [ "$rc" != "$want" ]; then
        bad "diag $name: exit $rc, expected $want"; cat "$TMP/diag.err"
    elif ! diff -u "$exp" "$TMP/diag.err" >"$TMP/diag.diff"; then
        bad "diag $name: stderr differs"; cat "$TMP/diag.diff"
    else ok; fi
done

# ---- the spec's programs ----
for f in tests/spec/*.stream; do
    [ -e "$f" ] || continue
    if "$STREAMC" --check "$f" >"$TMP/spec.out" 2>&1; then ok; else bad "spec $f"; cat "$TMP/spec.out"; fi
    if "$STREAMC" -o "$TMP/spec.bin" "$f" >"$TMP/spec.out" 2>&1; then ok; else bad "spec compile $f"; cat "$TMP/spec.out"; fi
done

# ---- golden generated C ----
for g in tests/golden/*.c; do
    [ -e "$g" ] || continue
    name=$(basename "$g" .c)
    if ! (cd examples && "$STREAMC" --no-line --emit-c - "$name.stream") >"$TMP/gen.c" 2>"$TMP/gen.err"; then
        bad "golden $name: streamc failed"; cat "$TMP/gen.err"
    elif ! diff -u "$g" "$TMP/gen.c" >"$TMP/gen.diff"; then
        bad "golden $name: generated C differs"; head -50 "$TMP/gen.diff"
    else ok; fi
    # the generated C compiles cleanly with every warning an error
    if cc -std=c11 -D_POSIX_C_SOURCE=200809L -Wall -Wextra -Werror -I"$BUILD/include/streamc" -c "$TMP/gen.c" -o "$TMP/gen.o" 2>"$TMP/gen.err"; then ok; else bad "golden $name: -Werror"; head -30 "$TMP/gen.err"; fi
done

# ---- end to end ----
for d in tests/e2e/*/; do
    [ -f "$d/prog.stream" ] || continue
    name=$(basename "$d")
    w="$TMP/e2e-$name"
    rm -rf "$w"; cp -r "$d" "$w"
    if ! (cd "$w" && "$STREAMC" -o prog prog.stream) >"$TMP/e2e.err" 2>&1; then
        bad "e2e $name: compile"; cat "$TMP/e2e.err"; continue
    fi
    # its generated C is warning-free too
    if ! (cd "$w" && "$STREAMC" --emit-c prog.c prog.stream && cc -std=c11 -D_POSIX_C_SOURCE=200809L -Wall -Wextra -Wshadow -Werror -fsyntax-only -I"$ROOT/$BUILD/include/streamc" prog.c) >"$TMP/e2e.err" 2>&1; then
        bad "e2e $name: generated C has warnings"; head -20 "$TMP/e2e.err"; continue
    fi
    args=$(cat "$d/args" 2>/dev/null || true)
    want_exit=$(cat "$d/expected.exit" 2>/dev/null || echo 0)
    if [ -f "$d/stdin" ]; then
        (cd "$w" && eval "timeout 60 ./prog $args" <stdin >.stdout 2>.stderr); rc=$?
    else
        (cd "$w" && eval "timeout 60 ./prog $args" </dev/null >.stdout 2>.stderr); rc=$?
    fi
    if [ "$rc" != "$want_exit" ]; then
        bad "e2e $name: exit $rc, expected $want_exit"; head -20 "$w/.stderr"; continue
    fi
    if [ -f "$d/expected" ] && ! diff -u "$d/expected" "$w/.stdout" >"$TMP/e2e.diff"; then
        bad "e2e $name: stdout differs"; head -40 "$TMP/e2e.diff"; continue
    fi
    if [ -f "$d/expected.err" ] && ! diff -u "$d/expected.err" "$w/.stderr" >"$TMP/e2e.diff"; then
        bad "e2e $name: stderr differs"; head -40 "$TMP/e2e.diff"; continue
    fi
    if [ "$SAN" = 1 ] && grep -q 'Sanitizer' "$w/.stderr"; then
        bad "e2e $name: sanitizer report"; head -40 "$w/.stderr"; continue
    fi
    if [ -f "$d/check.sh" ] && ! (cd "$w" && bash check.sh) >"$TMP/e2e.chk" 2>&1; then
        bad "e2e $name: check.sh"; cat "$TMP/e2e.chk"; continue
    fi
    ok
done

# ---- scripted tests (sockets, signals, real time) ----
# (replay_restart.sh reuses the e2e binaries built above)
export E2E_BUILT="$TMP"
for s in tests/scripts/*.sh; do
    [ -e "$s" ] || continue
    if bash "$s" >"$TMP/script.out" 2>&1; then ok; grep '^SKIP' "$TMP/script.out" || true; else bad "script $s"; tail -30 "$TMP/script.out"; fi
done

# ---- robustness: every prefix of every program, through the CLI ----
# (under sanitizers the in-process sweep, unit test_truncate, covers every
# prefix in seconds; a process per prefix would take most of an hour)
if [ -f tests/truncate.sh ] && [ "$SAN" != 1 ]; then
    if bash tests/truncate.sh >"$TMP/trunc.out" 2>&1; then ok; else bad "truncate"; tail -20 "$TMP/trunc.out"; fi
fi

# ---- a short fuzz run of the front end and code generator (clang) ----
if [ "$SAN" != 1 ] && [ -z "${NO_FUZZ:-}" ]; then
    if bash tests/fuzz/run.sh short >"$TMP/fuzz.out" 2>&1; then ok; tail -1 "$TMP/fuzz.out"; else bad "fuzz"; tail -30 "$TMP/fuzz.out"; fi
fi

echo "$pass passed, $fail failed"
[ "$fail" = 0 ]
