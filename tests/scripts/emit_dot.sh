#!/usr/bin/env bash
# streamc --emit-dot: golden dot for two examples (tests/dag/NAME.dot), and
# Graphviz's dot accepts the DAG of every example, spec and e2e program.
. "$(dirname "$0")/lib.sh"
for n in wordcount join; do
    (cd "$ROOT/examples" && "$STREAMC" --emit-dot - "$n.stream") >"$n.dot" || fail "emit-dot $n"
    diff -u "$ROOT/tests/dag/$n.dot" "$n.dot" || fail "$n.dot differs from tests/dag/$n.dot"
done
# to a file; a bad path is a usage error; an invalid program writes nothing
"$STREAMC" --emit-dot wc.dot "$ROOT/examples/wordcount.stream" || fail "emit-dot to a file"
cmp -s wc.dot wordcount.dot || fail "emit-dot to a file differs from stdout"
"$STREAMC" --emit-dot /nonexistent/x.dot "$ROOT/examples/wordcount.stream" 2>err && fail "bad path accepted"
grep -qx "streamc: error: cannot write the DAG '/nonexistent/x.dot': directory '/nonexistent': No such file or directory" err || fail "bad path message: $(cat err)"
printf 'context c { batch = 1s; }\nsource s = stdin();\ns.map(x => x - 1).print();\n' >bad.stream
rc=0
"$STREAMC" --emit-dot bad.dot bad.stream 2>/dev/null || rc=$?
[ "$rc" = 1 ] || fail "invalid program: exit $rc, not 1"
[ ! -e bad.dot ] || fail "invalid program wrote a dot file"
# a context's label has its initialRate when it sets one
printf 'context c { batch = 1s; initialRate = 600000; }\nsource s = stdin();\ns.print();\n' >irate.stream
"$STREAMC" --emit-dot - irate.stream >irate.dot || fail "emit-dot irate"
grep -qxF '    label="context c: batch 1s, block 200ms, initialRate 600000";' irate.dot ||
    fail "initialRate not in the context's label: $(grep -m1 label irate.dot)"
if ! command -v dot >/dev/null; then
    echo "SKIP: dot (graphviz) is not installed: the DAGs were not rendered" >&2
    exit 0
fi
n=0
for f in "$ROOT"/examples/*.stream "$ROOT"/tests/spec/*.stream "$ROOT"/tests/e2e/*/prog.stream; do
    "$STREAMC" --emit-dot g.dot "$f" 2>/dev/null || fail "emit-dot $f"
    dot -Tsvg g.dot >g.svg 2>dot.err || fail "dot rejects the DAG of $f: $(cat dot.err)"
    [ ! -s dot.err ] || fail "dot warns on the DAG of $f: $(cat dot.err)"
    grep -q '<svg' g.svg || fail "no SVG for $f"
    n=$((n + 1))
done
# a rendered node per operator: the wordcount picture has its 7 nodes
dot -Tsvg wordcount.dot | grep -c 'class="node"' | grep -qx 7 || fail "wordcount: not 7 nodes"
echo "ok: $n DAGs rendered"
