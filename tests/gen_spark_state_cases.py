#!/usr/bin/env python3
"""Writes tests/e2e/spark_state_*/ from Spark Streaming's cases of state
with removal and timeouts (spec section 9): BasicOperationsSuite's
"updateStateByKey - object lifecycle" and MapWithStateSuite's mapping,
state removal, timeout and snapshot cases, in the way gen_spark_cases.py
ports the other suites (inputs and expected values are Spark's; batch i
of the input at offset i*1000 ms, batch = 1s; elements of a batch in the
order streamc emits them, one of the orders Spark's set comparison
accepts).

A mapWithState case prints, per batch, the mapped stream and then its
stateSnapshots() (Spark's test collects both). Spark flattens a mapping
function's Option result; here the function's mapped value is emitted
as it is, so the port maps to an Option and keeps the defined ones
(.filter(isDefined).map(getOrElse)).

Not ported (inexpressible):
- updateStateByKey "testing time stamps as input" and mapWithState's
  "advanced API" batch-time argument: streamc's functions do not get the
  batch time (the advanced case is ported without it: it does not use it);
- "initial states" / updateStateByKey with an initial RDD: no initial
  state RDD in the language;
- "state - get, exists, update, remove", "type inferencing and class
  tags", "checkpoint durations": Spark API internals;
- "driver failure recovery": covered by tests/scripts/mapstate_recovery.sh.

Run: python3 tests/gen_spark_state_cases.py   (rewrites the spark_state_* directories)
"""
import os
import shutil

HERE = os.path.dirname(os.path.abspath(__file__))
E2E = os.path.join(HERE, "e2e")


def fmt(x):
    if isinstance(x, tuple):
        return "(" + ",".join(fmt(v) for v in x) + ")"
    return str(x)


def header(f, t):
    f.write("-------------------------------------------\n")
    f.write("Time: %d ms\n" % t)
    f.write("-------------------------------------------\n")


def write_case(name, body, inp, outs):
    """outs[k] is a list of the printed blocks of batch k+1 (one per
    print statement, in program order)."""
    d = os.path.join(E2E, "spark_state_" + name)
    shutil.rmtree(d, ignore_errors=True)
    os.makedirs(d)
    with open(os.path.join(d, "prog.stream"), "w") as f:
        f.write("# Ported from Spark Streaming's test suites: %s\n" % name)
        f.write("context t {\n    batch = 1s;\n}\n\nsource in = stdin();\n\n")
        f.write(body)
    with open(os.path.join(d, "input.replay"), "w") as f:
        for i, batch in enumerate(inp):
            for x in batch or []:
                f.write("%d\t%s\n" % (i * 1000, x))
    with open(os.path.join(d, "args"), "w") as f:
        f.write("--replay in=input.replay --batches %d\n" % len(outs))
    with open(os.path.join(d, "expected"), "w") as f:
        for k, blocks in enumerate(outs):
            for b in blocks:
                header(f, (k + 1) * 1000)
                for x in b:
                    f.write(fmt(x) + "\n")
                f.write("\n")


def mws(name, fn, inp, out, states, mapped=""):
    body = ("stream m = in.map(x => (x, 1)).mapWithState(%s);\n"
            "m%s.print(100);\nm.stateSnapshots().print(100);\n" % (fn, mapped))
    write_case(name, body, inp, [[o, s] for o, s in zip(out, states)])


KEEP = '.filter(o => isDefined(o)).map(o => getOrElse(o, ""))'

# BasicOperationsSuite: updateStateByKey - object lifecycle. The state
# object is (counter, expireCounter); None after two batches without
# values removes the key.
write_case("update_lifecycle",
           "in.map(x => (x, 1)).updateStateByKey((values, state) => {\n"
           "    val o = getOrElse(state, (0, 0));\n"
           "    val n = sum(values);\n"
           "    val c = if (n == 0) (o._1, o._2 + 1) else (o._1 + n, 0);\n"
           "    if (c._2 == 2) None else Some(c)\n"
           "}).mapValues(s => s._1).print(100);\n",
           [["a", "b"], None, ["a", "c", "a"], ["c"], None, None],
           [[x] for x in [[("a", 1), ("b", 1)], [("a", 1), ("b", 1)], [("a", 3), ("c", 1)],
                          [("a", 3), ("c", 2)], [("c", 2)], []]])

# BasicOperationsSuite: updateStateByKey, in Spark's form
write_case("update_spark_form",
           "in.map(x => (x, 1)).updateStateByKey((values, state) => Some(sum(values) + getOrElse(state, 0)))"
           ".print(100);\n",
           [["a"], ["a", "b"], ["a", "b", "c"], ["a", "b"], ["a"], []],
           [[x] for x in [[("a", 1)], [("a", 2), ("b", 1)], [("a", 3), ("b", 2), ("c", 1)],
                          [("a", 4), ("b", 3), ("c", 1)], [("a", 5), ("b", 3), ("c", 1)],
                          [("a", 5), ("b", 3), ("c", 1)]]])

abc = [[], ["a"], ["a", "b"], ["a", "b", "c"], ["a", "b"], ["a"], []]
abc_states = [[], [("a", 1)], [("a", 2), ("b", 1)], [("a", 3), ("b", 2), ("c", 1)],
              [("a", 4), ("b", 3), ("c", 1)], [("a", 5), ("b", 3), ("c", 1)], [("a", 5), ("b", 3), ("c", 1)]]
SUM = "val sum = getOrElse(v, 0) + getOrElse(st, 0); "

# MapWithStateSuite: basic operations with simple API
mws("basic", "(k, v, st) => { %s(Some(sum), sum) }" % SUM, abc,
    [[], [1], [2, 1], [3, 2, 1], [4, 3], [5], []], abc_states)
# basic operations with advanced API (without the unused batch time)
mws("advanced", "(k, v, st) => { %s(Some(sum), k + k) }" % SUM, abc,
    [[], ["aa"], ["aa", "bb"], ["aa", "bb", "cc"], ["aa", "bb"], ["aa"], []], abc_states)
# states as mapped data
mws("mapped_states", "(k, v, st) => { %s(Some(sum), (k, sum)) }" % SUM, abc,
    [[], [("a", 1)], [("a", 2), ("b", 1)], [("a", 3), ("b", 2), ("c", 1)], [("a", 4), ("b", 3)], [("a", 5)], []],
    abc_states)
# state removing: a key with a state is removed (and emitted), else it
# gets the value as its state
mws("removing", "(k, v, st) => if (isDefined(st)) (None, Some(k)) else (Some(getOrElse(v, 0)), None)",
    [[], ["a"], ["a", "b"], ["a", "b", "c"], ["a", "b", "c"], ["a", "b"], ["a"], []],
    [[], [], ["a"], ["b"], ["a", "c"], ["b"], ["a"], []],
    [[], [("a", 1)], [("b", 1)], [("a", 1), ("c", 1)], [("b", 1)], [("a", 1)], [], []], mapped=KEEP)
# state timing out, timeout = 3s, 20 batches. Spark's test asserts: b
# and c are emitted once each, a snapshot holds a, b and c, the last
# holds a only. streamc checks every batch, so the batches are exact:
# c (last record at 1000 ms) times out at 5000 ms (1000 < 5000 - 3000),
# b (2000 ms) at 6000 ms; a has records in every batch from 6000 ms on.
to_in = [["a", "b", "c"], ["a", "b"], ["a"], [], [], ["a"]] + [["a"]] * 20
to_out = [[] for _ in range(20)]
to_out[4] = ["c"]
to_out[5] = ["b"]
to_states = [[("a", 1), ("b", 1), ("c", 1)]] * 4 + [[("a", 1), ("b", 1)]] + [[("a", 1)]] * 15
mws("timeout",
    "(k, v, st) => (if (isDefined(v)) Some(1) else st, if (isDefined(v)) None else Some(k)), timeout = 3s",
    to_in, to_out, to_states, mapped=KEEP)
