#!/usr/bin/env bash
# "Adding a kind is one file and one row": in a copy of the tree, a
# test-only kind countdown(N) (the Ints N, N-1, ..., 1) is added as rows
# of runtime/st_kinds.def and one new runtime/sources/countdown.c, and
# nothing else. The copy builds, compiles a program that uses the kind
# (checked, described by --help and --emit-dot from its row, run: every
# number exactly once, in order), a misspelt name suggests it, and git
# shows that no other file of the tree changed.
. "$(dirname "$0")/lib.sh"
command -v git >/dev/null || fail "git is needed"
mkdir tree
(cd "$ROOT" && git ls-files -co --exclude-standard -z | grep -zv '^build/' | xargs -0 tar cf -) | (cd tree && tar xf -)
cd tree
git init -q . && git add -A && git -c user.email=t@t -c user.name=t commit -qm base || fail "git in the copy"

# the rows: the kind, its one positional argument, how it is described
sed -i '/^ST_SOURCE(RECEIVER, /a ST_SOURCE(COUNTDOWN, "countdown", INT, false, true, countdown)' runtime/st_kinds.def
sed -i '/^ST_SOURCE_DESCRIBE(RECEIVER, /a ST_SOURCE_ARG(COUNTDOWN, "port", INT)\nST_SOURCE_DESCRIBE(COUNTDOWN, "countdown($port)")' runtime/st_kinds.def
# the file: a receiver of the public interface (st_receiver.h)
cat >runtime/sources/countdown.c <<'C'
/* sources/countdown.c: countdown(N): the Ints N, N-1, ..., 1 (a test kind). */
#include "../engine.h"

static int run(st_recv *h)
{
    for (int64_t i = st_recv_opt_int(h, "port"); i > 0; i--)
        if (!st_recv_store_int(h, i))
            break;
    return ST_RECV_DONE;
}

const st_receiver st_recv_countdown = { .run = run };
C
[ "$(git status --porcelain)" = " M runtime/st_kinds.def
?? runtime/sources/countdown.c" ] || fail "files changed besides the row and the file: $(git status --porcelain)"
[ "$(git diff --numstat | cut -f1,2)" = "3	0" ] || fail "the table's change is not 3 added lines: $(git diff --numstat)"

# a plain, quick build of its own (not the make or the build tree this
# test runs under: make check-san passes BUILD and SAN down); the parser
# and lexer first, serially (bison's two outputs are one rule)
mk() { env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL nice make BUILD=build SAN= OPT=-O0 CFLAGS= "$@"; }
mk build/obj/compiler/lexer.c >build.log 2>&1 || fail "bison/flex: $(tail -3 build.log)"
mk -j2 all >>build.log 2>&1 || fail "the copy does not build: $(grep -m5 error build.log)"
SC=$PWD/build/bin/streamc
cd "$W"
cat >cd.stream <<'S'
context c { batch = 200ms; }
source n = countdown(5);
n.map(x => x * 10).print();
S
"$SC" -o cd cd.stream || fail "compile with the new kind"
./cd --help | grep -qx '  n                    countdown(5)  \[context c\]' || fail "--help: $(./cd --help | tail -2)"
"$SC" --emit-dot - cd.stream | grep -q 'source n\\ncountdown(5)\\n' || fail "--emit-dot: $("$SC" --emit-dot - cd.stream | grep source)"
timeout 20 ./cd >out 2>err || fail "run: exit $?: $(cat err)"
[ "$(grep -E '^[0-9]+$' out | tr '\n' ' ')" = "50 40 30 20 10 " ] || fail "output: $(cat out)"
# checked from its rows: the arguments' count and type
printf 'context c { batch = 1s; }\nsource a = countdown("x");\nsource b = countdown();\nsource z = countdwn(3);\na.union(b).union(z).print();\n' >bad.stream
"$SC" --check bad.stream 2>bad.err && fail "bad arguments accepted"
grep -qx 'bad.stream:2:22: error: argument 1 of countdown() must be an integer' bad.err || fail "type: $(cat bad.err)"
grep -qx 'bad.stream:3:12: error: countdown() takes 1 argument, not 0' bad.err || fail "count: $(cat bad.err)"
grep -q "^bad.stream:4:12: error: unknown source kind 'countdwn' (expected socket, textFileStream, file, stdin, rate or countdown); did you mean 'countdown'?" bad.err || fail "did you mean: $(cat bad.err)"
cd tree
[ "$(git status --porcelain --untracked-files=no)" = " M runtime/st_kinds.def" ] || fail "the build changed tracked files: $(git status --porcelain)"
