#!/usr/bin/env python3
"""Writes tests/e2e/spark_*/ from cases ported from Spark Streaming's own
WindowOperationsSuite and BasicOperationsSuite: the inputs per batch and
the expected output per batch are Spark's, so these tests check our
semantics against Spark's, not against our own output.

Each case becomes a directory with prog.stream, input.replay (batch i of
the input at offset i*1000 ms, batch = 1s), args, and expected (what
print(100) writes for every output batch, in Spark's format). Within a
batch, elements are listed in the order streamc emits them (first
appearance), which is one of the orders Spark's set comparison accepts.

Run: python3 tests/gen_spark_cases.py   (rewrites the spark_* directories)
"""
import os
import shutil

HERE = os.path.dirname(os.path.abspath(__file__))
E2E = os.path.join(HERE, "e2e")

PAIRS = 'stream s = in.map(l => (field(l, " ", 0), toInt(field(l, " ", 1))));\n'
INTS = 'stream s = in.map(l => toInt(l));\n'
STRS = 'stream s = in;\n'


def fmt(x):
    if isinstance(x, tuple):
        return "(" + ",".join(fmt(v) for v in x) + ")"
    return str(x)


def rec(x):
    if isinstance(x, tuple):
        return "%s %s" % x
    return str(x)


def case(name, kind, op, inp, out, slide_s=1, nbatches=None, inp2=None):
    """out[k] is the output at time (k+1)*slide_s seconds; with inp2, a
    second source in2 is declared and replayed too."""
    d = os.path.join(E2E, "spark_" + name)
    shutil.rmtree(d, ignore_errors=True)
    os.makedirs(d)
    with open(os.path.join(d, "prog.stream"), "w") as f:
        f.write("# Ported from Spark Streaming's test suites: %s\n" % name)
        f.write("context t {\n    batch = 1s;\n}\n\nsource in = stdin();\n")
        if inp2 is not None:
            f.write("source in2 = socket(\"localhost\", 9);\n")
        f.write("\n")
        f.write(kind)
        f.write("s.%s.print(100);\n" % op)
    with open(os.path.join(d, "input.replay"), "w") as f:
        for i, batch in enumerate(inp):
            for x in batch:
                f.write("%d\t%s\n" % (i * 1000, rec(x)))
    if inp2 is not None:
        with open(os.path.join(d, "input2.replay"), "w") as f:
            for i, batch in enumerate(inp2):
                for x in batch:
                    f.write("%d\t%s\n" % (i * 1000, rec(x)))
    n = nbatches if nbatches is not None else len(out) * slide_s
    with open(os.path.join(d, "args"), "w") as f:
        f.write("--replay in=input.replay%s --batches %d\n" % (
            " --replay in2=input2.replay" if inp2 is not None else "", n))
    with open(os.path.join(d, "expected"), "w") as f:
        for k, batch in enumerate(out):
            f.write("-------------------------------------------\n")
            f.write("Time: %d ms\n" % ((k + 1) * slide_s * 1000))
            f.write("-------------------------------------------\n")
            for x in batch:
                f.write(fmt(x) + "\n")
            f.write("\n")


largerSlideInput = [[("a", 1)], [("a", 2)], [("a", 3)], [("a", 4)], [("a", 5)], [("a", 6)], [], []]
largerSlideReduceOutput = [[("a", 3)], [("a", 10)], [("a", 18)], [("a", 11)]]
bigInput = [[("a", 1)], [("a", 1), ("b", 1)], [("a", 1), ("b", 1), ("c", 1)], [("a", 1), ("b", 1)],
            [("a", 1)], [], [("a", 1)], [("a", 1), ("b", 1)], [("a", 1), ("b", 1), ("c", 1)],
            [("a", 1), ("b", 1)], [("a", 1)], []]
bigReduceOutput = [[("a", 1)], [("a", 2), ("b", 1)], [("a", 2), ("b", 2), ("c", 1)],
                   [("a", 2), ("b", 2), ("c", 1)], [("a", 2), ("b", 1)], [("a", 1)], [("a", 1)],
                   [("a", 2), ("b", 1)], [("a", 2), ("b", 2), ("c", 1)], [("a", 2), ("b", 2), ("c", 1)],
                   [("a", 2), ("b", 1)], [("a", 1)]]
bigReduceInvOutput = [[("a", 1)], [("a", 2), ("b", 1)], [("a", 2), ("b", 2), ("c", 1)],
                      [("a", 2), ("b", 2), ("c", 1)], [("a", 2), ("b", 1), ("c", 0)],
                      [("a", 1), ("b", 0), ("c", 0)], [("a", 1), ("b", 0), ("c", 0)],
                      [("a", 2), ("b", 1), ("c", 0)], [("a", 2), ("b", 2), ("c", 1)],
                      [("a", 2), ("b", 2), ("c", 1)], [("a", 2), ("b", 1), ("c", 0)],
                      [("a", 1), ("b", 0), ("c", 0)]]
six = [[0], [1], [2], [3], [4], [5]]

# WindowOperationsSuite: window
case("window_basic", INTS, "window(2s, 1s)", six, [[0], [0, 1], [1, 2], [2, 3], [3, 4], [4, 5]])
case("window_tumbling", INTS, "window(2s, 2s)", six, [[0, 1], [2, 3], [4, 5]], slide_s=2)
case("window_larger", INTS, "window(4s, 2s)", six, [[0, 1], [0, 1, 2, 3], [2, 3, 4, 5], [4, 5]], slide_s=2)
case("window_nonoverlapping", INTS, "window(2s, 3s)", six, [[1, 2], [4, 5]], slide_s=3)

# reduceByKeyAndWindow without an inverse
R = "reduceByKeyAndWindow((x, y) => x + y, 2s, 1s)"
case("rbkaw_basic", PAIRS, R, [[("a", 1), ("a", 3)]], [[("a", 4)]])
case("rbkaw_key_in_window", PAIRS, R, [[("a", 1)], [("a", 1)]], [[("a", 1)], [("a", 2)]])
case("rbkaw_new_key", PAIRS, R, [[("a", 1)], [("a", 1), ("b", 1)]], [[("a", 1)], [("a", 2), ("b", 1)]])
case("rbkaw_key_removed", PAIRS, R, [[("a", 1)], [("a", 1)], [], []], [[("a", 1)], [("a", 2)], [("a", 1)], []])
case("rbkaw_larger_slide", PAIRS, "reduceByKeyAndWindow((x, y) => x + y, 4s, 2s)", largerSlideInput,
     largerSlideReduceOutput, slide_s=2)
case("rbkaw_big", PAIRS, R, bigInput, bigReduceOutput)

# reduceByKeyAndWindow with an inverse
RI = "reduceByKeyAndWindow((x, y) => x + y, (x, y) => x - y, 2s, 1s)"
case("rbkawi_basic", PAIRS, RI, [[("a", 1), ("a", 3)]], [[("a", 4)]])
case("rbkawi_key_in_window", PAIRS, RI, [[("a", 1)], [("a", 1)]], [[("a", 1)], [("a", 2)]])
case("rbkawi_new_key", PAIRS, RI, [[("a", 1)], [("a", 1), ("b", 1)]], [[("a", 1)], [("a", 2), ("b", 1)]])
case("rbkawi_key_removed", PAIRS, RI, [[("a", 1)], [("a", 1)], [], []],
     [[("a", 1)], [("a", 2)], [("a", 1)], [("a", 0)]])
case("rbkawi_larger_slide", PAIRS, "reduceByKeyAndWindow((x, y) => x + y, (x, y) => x - y, 4s, 2s)",
     largerSlideInput, largerSlideReduceOutput, slide_s=2)
case("rbkawi_big", PAIRS, RI, bigInput, bigReduceInvOutput)
# with Spark's filter function p._2 != 0: a .filter after the window
case("rbkawi_big_filtered", PAIRS, RI + ".filter(p => p._2 != 0)", bigInput, bigReduceOutput)

case("countByWindow", INTS, "countByWindow(2s, 1s)", [[1], [1], [1, 2], [0], [], []],
     [[1], [2], [3], [3], [1], [0]])
case("countByValueAndWindow", STRS, "countByValueAndWindow(2s, 1s)", [["a"], ["b", "b"], ["a", "b"]],
     [[("a", 1)], [("a", 1), ("b", 2)], [("a", 1), ("b", 3)]])

# BasicOperationsSuite
r1_12 = [[1, 2, 3, 4], [5, 6, 7, 8], [9, 10, 11, 12]]
case("map", INTS, "map(x => toString(x))", r1_12, r1_12)
case("flatMap", INTS, 'flatMap(x => split(toString(x) + " " + toString(x * 2), " "))', r1_12,
     [[y for x in b for y in (x, x * 2)] for b in r1_12])
case("filter", INTS, "filter(x => x % 2 == 0)", r1_12, [[x for x in b if x % 2 == 0] for b in r1_12])
abc = [["a", "a", "b"], ["", ""], []]
case("reduceByKey", STRS, "map(x => (x, 1)).reduceByKey((a, b) => a + b)", abc, [[("a", 2), ("b", 1)], [("", 2)], []])
case("reduce", INTS, "reduce((a, b) => a + b)", r1_12, [[10], [26], [42]])
case("count", INTS, "count()", [[], [1], [1, 2], [1, 2, 3], [1, 2, 3, 4]], [[0], [1], [2], [3], [4]])
case("countByValue", INTS, "countByValue()", [[1], [1, 1, 1], [1, 2], [1, 1, 2, 2]],
     [[(1, 1)], [(1, 3)], [(1, 1), (2, 1)], [(1, 2), (2, 2)]])
case("mapValues", STRS, "map(x => (x, 1)).reduceByKey((a, b) => a + b).mapValues(v => v + 10)", abc,
     [[("a", 12), ("b", 11)], [("", 12)], []])
case("flatMapValues", STRS,
     'map(x => (x, 1)).reduceByKey((a, b) => a + b).flatMapValues(v => split(toString(v) + "," + toString(v + 10), ","))',
     abc, [[("a", 2), ("a", 12), ("b", 1), ("b", 11)], [("", 2), ("", 12)], []])
case("union", INTS, "union(s.map(x => x + 4))", [[1, 2, 3, 4], [101, 102, 103, 104], [201, 202, 203, 204]],
     [list(range(1, 9)), list(range(101, 109)), list(range(201, 209))])
j1 = [["a", "b"], ["a", ""], [""], []]
j2 = [["a", "b"], ["b", ""], [], [""]]
J = 'stream s = in.map(x => (x, 1));\nstream r = in2.map(x => (x, "x"));\n'
case("join", J, "join(r)", j1, [[("a", (1, "x")), ("b", (1, "x"))], [("", (1, "x"))], [], []], inp2=j2)
case("leftOuterJoin", J, "leftOuterJoin(r)", j1,
     [[("a", (1, "Some(x)")), ("b", (1, "Some(x)"))], [("a", (1, "None")), ("", (1, "Some(x)"))], [("", (1, "None"))], []],
     inp2=j2)
case("rightOuterJoin", J, "rightOuterJoin(r)", j1,
     [[("a", ("Some(1)", "x")), ("b", ("Some(1)", "x"))], [("", ("Some(1)", "x")), ("b", ("None", "x"))], [],
      [("", ("None", "x"))]], inp2=j2)
case("fullOuterJoin", J, "fullOuterJoin(r)", j1,
     [[("a", ("Some(1)", "Some(x)")), ("b", ("Some(1)", "Some(x)"))],
      [("a", ("Some(1)", "None")), ("", ("Some(1)", "Some(x)")), ("b", ("None", "Some(x)"))],
      [("", ("Some(1)", "None"))], [("", ("None", "Some(x)"))]], inp2=j2)
case("updateStateByKey", STRS, "map(x => (x, 1)).updateStateByKey(0, (st, v) => st + v)",
     [["a"], ["a", "b"], ["a", "b", "c"], ["a", "b"], ["a"], []],
     [[("a", 1)], [("a", 2), ("b", 1)], [("a", 3), ("b", 2), ("c", 1)], [("a", 4), ("b", 3), ("c", 1)],
      [("a", 5), ("b", 3), ("c", 1)], [("a", 5), ("b", 3), ("c", 1)]])

# ---- grouping (spec section 10). Spark's suites compare buffers as Seqs
# (mapValues(_.toSeq), toSet); streamc prints them as Spark's print() does:
# groupByKey and cogroup make CompactBuffers, groupByKeyAndWindow
# ArrayBuffers (values in arrival order, older batches first).
def cb(*xs, kind="CompactBuffer"):
    return "%s(%s)" % (kind, ", ".join(str(x) for x in xs))


# BasicOperationsSuite "groupByKey"
case("groupByKey", STRS, "map(x => (x, 1)).groupByKey()", abc,
     [[("a", cb(1, 1)), ("b", cb(1))], [("", cb(1, 1))], []])
# BasicOperationsSuite "cogroup" (keys: the left side's in order of first
# appearance, then the right side's others)
C = 'stream s = in.map(x => (x, 1));\nstream r = in2.map(x => (x, "x"));\n'
case("cogroup", C, "cogroup(r)", [["a", "a", "b"], ["a", ""], [""], []],
     [[("a", (cb(1, 1), cb("x", "x"))), ("b", (cb(1), cb("x")))],
      [("a", (cb(1), cb())), ("", (cb(1), cb("x"))), ("b", (cb(), cb("x")))],
      [("", (cb(1), cb()))], []],
     inp2=[["a", "a", "b"], ["b", ""], [], []])
# WindowOperationsSuite "groupByKeyAndWindow" (bigGroupByOutput)
ab = lambda *xs: cb(*xs, kind="ArrayBuffer")
case("groupByKeyAndWindow", PAIRS, "groupByKeyAndWindow(2s, 1s)", bigInput,
     [[("a", ab(1))], [("a", ab(1, 1)), ("b", ab(1))], [("a", ab(1, 1)), ("b", ab(1, 1)), ("c", ab(1))],
      [("a", ab(1, 1)), ("b", ab(1, 1)), ("c", ab(1))], [("a", ab(1, 1)), ("b", ab(1))], [("a", ab(1))],
      [("a", ab(1))], [("a", ab(1, 1)), ("b", ab(1))], [("a", ab(1, 1)), ("b", ab(1, 1)), ("c", ab(1))],
      [("a", ab(1, 1)), ("b", ab(1, 1)), ("c", ab(1))], [("a", ab(1, 1)), ("b", ab(1))], [("a", ab(1))]])
# WindowOperationsSuite "reduceByKeyAndWindow with inverse and filter
# functions - big test": Spark's filterFunc as filter = f
case("rbkawi_big_filterFunc", PAIRS, RI[:-1] + ", filter = p => p._2 != 0)", bigInput, bigReduceOutput)
