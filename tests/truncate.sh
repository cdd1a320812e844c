#!/usr/bin/env bash
# truncate.sh: streamc must survive every prefix of every example and spec
# program: each `streamc --check` on a truncated file exits 0 or 1 (never
# 2, a signal or a timeout). Run by tests/run_all.sh with $STREAMC set.
set -u
STREAMC=${STREAMC:-bin/streamc}
here=$(cd "$(dirname "$0")/.." && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail=0 runs=0
for f in "$here"/examples/*.stream "$here"/tests/spec/*.stream; do
    [ -f "$f" ] || continue
    size=$(wc -c <"$f")
    for ((n = 0; n <= size; n++)); do
        head -c "$n" "$f" >"$tmp/t.stream"
        timeout 5 "$STREAMC" --check "$tmp/t.stream" >/dev/null 2>"$tmp/err"
        rc=$?
        runs=$((runs + 1))
        if [ "$rc" -ne 0 ] && [ "$rc" -ne 1 ]; then
            echo "FAIL: $(basename "$f") cut at $n bytes: exit $rc" >&2
            head -5 "$tmp/err" >&2
            cp "$tmp/t.stream" "$tmp/../truncate-fail-$(basename "$f")-$n" 2>/dev/null
            fail=$((fail + 1))
        fi
    done
done
echo "truncate: $runs runs, $fail failures"
[ "$fail" -eq 0 ]
