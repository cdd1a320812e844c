#!/usr/bin/env bash
# truncate.sh: streamc must survive every prefix of every example and spec
# program: `streamc --check` on each truncated file exits 0 or 1 (never 2,
# a signal, a sanitizer report or a timeout). Run by tests/run_all.sh with
# $STREAMC set; the prefixes are checked in parallel, one job per core.
set -u
export LC_ALL=C # ${s:0:n} counts bytes
here=$(cd "$(dirname "$0")/.." && pwd)
STREAMC=${STREAMC:-$here/bin/streamc}
case "$STREAMC" in /*) ;; *) STREAMC="$PWD/$STREAMC" ;; esac
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
mkdir "$tmp/cut"
for f in "$here"/examples/*.stream "$here"/tests/spec/*.stream; do
    [ -f "$f" ] || continue
    base=$(basename "$f" .stream)
    case "$f" in */tests/spec/*) base="spec-$base" ;; esac
    text=$(cat "$f"; printf x) # keep trailing newlines
    text=${text%x}
    for ((n = 0; n <= ${#text}; n++)); do
        printf '%s' "${text:0:n}" >"$tmp/cut/$base-$n.stream"
    done
done
runs=$(ls "$tmp/cut" | wc -l)
export STREAMC
# prints "FAIL name exit" for every run that did not exit 0 or 1
(cd "$tmp/cut" && ls | xargs -P "$(nproc 2>/dev/null || echo 4)" -n 16 sh -c '
    for t in "$@"; do
        timeout 5 "$STREAMC" --check "$t" >/dev/null 2>&1
        rc=$?
        if [ "$rc" -ne 0 ] && [ "$rc" -ne 1 ]; then echo "FAIL $t: exit $rc"; fi
    done' sh) >"$tmp/fails"
fail=$(wc -l <"$tmp/fails")
head -20 "$tmp/fails" >&2
echo "truncate: $runs runs, $fail failures"
[ "$fail" -eq 0 ]
