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
grep -q "^bad.stream:4:12: error: unknown source kind 'countdwn' (expected socket, textFileStream, file, stdin, rate, countdown, kafka or redis); did you mean 'countdown'?" bad.err || fail "did you mean: $(cat bad.err)"
cd tree
[ "$(git status --porcelain --untracked-files=no)" = " M runtime/st_kinds.def" ] || fail "the build changed tracked files: $(git status --porcelain)"

# ---- the rest of the interface, in the same copy (tracked changes above
# are checked already): a keyed kind that needs a library, and a sink.
#  pairs(count, tag = "v", keyed = false, pace = 0): (k<i%3>, TAG<i>) for
#    i = 1..count when keyed (else the String "k<i%3>=TAG<i>"), position
#    "i" after each, pace ms apart; it needs libz (ST_SOURCE_LIB), whose
#    zlibVersion() its open calls
#  saveToTest("dir" [, f]): writes each batch's rows to dir/BATCH_MS, one
#    line a row, its strings joined by '|'; fails its first
#    $TESTSINK_FAIL writes (per output)
cd "$W/tree"
sed -i '/^ST_SOURCE(COUNTDOWN, /a ST_SOURCE(PAIRS, "pairs", STR, false, true, pairs)' runtime/st_kinds.def
sed -i '/^ST_SOURCE_DESCRIBE(COUNTDOWN, /a ST_SOURCE_ARG(PAIRS, "count", INT)\nST_SOURCE_OPT(PAIRS, "tag", STRING, "v")\nST_SOURCE_OPT(PAIRS, "keyed", BOOL, false)\nST_SOURCE_OPT(PAIRS, "pace", INT, 0)\nST_SOURCE_KEYED(PAIRS, "keyed")\nST_SOURCE_LIB(PAIRS, "z")\nST_SOURCE_DESCRIBE(PAIRS, "pairs($count, tag = \\"$tag\\")")' runtime/st_kinds.def
sed -i '/^ST_SINK(FOREACHRDD, /a ST_SINK(SAVETEST, "saveToTest", 1, 2, STRLIST_FN, "saveToTest(\\"dir\\" [, x => [...]])")\nST_SINK_IMPL(SAVETEST, testfiles)' runtime/st_kinds.def
cat >runtime/sources/pairs.c <<'C'
/* sources/pairs.c: pairs(count, tag, keyed, pace) (a test kind). */
#include "../engine.h"

extern const char *zlibVersion(void);   /* the library the kind needs */

static int open_(st_recv *h)
{
    return zlibVersion() ? 0 : st_recv_fatal(h, "no zlib");
}

static int run(st_recv *h)
{
    const char *tag = st_recv_opt_str(h, "tag");
    int64_t n = st_recv_opt_int(h, "count"), pace = st_recv_opt_int(h, "pace");
    bool keyed = st_recv_opt_int(h, "keyed") != 0;
    for (int64_t i = 1; i <= n; i++) {
        char pos[24], k[24], v[256];
        int pn = snprintf(pos, sizeof pos, "%lld", (long long)i);
        if (st_recv_position_logged(h, pos, (size_t)pn))
            continue;   /* received before a crash: in the log */
        int kn = snprintf(k, sizeof k, "k%lld", (long long)(i % 3));
        int vn = snprintf(v, sizeof v, "%s%lld", tag, (long long)i);
        if (keyed ? !st_recv_store_pair(h, k, (size_t)kn, v, (size_t)vn) : !st_recv_store_int(h, i))
            break;
        st_recv_position(h, pos, (size_t)pn);
        if (pace > 0 && !st_recv_sleep(h, pace))
            break;
    }
    return ST_RECV_DONE;
}

const st_receiver st_recv_pairs = { .open = open_, .run = run };
C
mkdir -p runtime/sinks
cat >runtime/sinks/testfiles.c <<'C'
/* sinks/testfiles.c: saveToTest("dir" [, f]) (a test sink). */
#include "../rt_internal.h"

#include <errno.h>
#include <sys/stat.h>

typedef struct tstate {
    long fails;   /* writes still to fail */
} tstate;

static int open_(st_sink_h *h)
{
    const char *dir = st_sink_arg(h, 0);
    if (mkdir(dir, 0777) != 0 && errno != EEXIST) {
        st_sink_error(h, "cannot make %s: %s", dir, strerror(errno));
        return -1;
    }
    tstate *t = calloc(1, sizeof *t);
    const char *f = getenv("TESTSINK_FAIL");
    t->fails = f ? atol(f) : 0;
    st_sink_set_state(h, t);
    return 0;
}

static int write_(st_sink_h *h, int64_t batch_ms, const st_row *rows, size_t n)
{
    tstate *t = st_sink_state(h);
    if (t->fails > 0) {
        t->fails--;
        st_sink_error(h, "failing on purpose (%ld more)", t->fails);
        return -1;
    }
    char path[4096];
    snprintf(path, sizeof path, "%s/%lld", st_sink_arg(h, 0), (long long)batch_ms);
    FILE *f = fopen(path, "w");
    if (!f) {
        st_sink_error(h, "cannot write %s", path);
        return -1;
    }
    for (size_t i = 0; i < n; i++)
        for (int c = 0; c < rows[i].n; c++)
            fprintf(f, "%.*s%c", (int)rows[i].len[c], rows[i].s[c], c + 1 < rows[i].n ? '|' : '\n');
    return fclose(f) == 0 ? 0 : -1;
}

static void close_(st_sink_h *h)
{
    free(st_sink_state(h));
}

const st_sink st_sink_testfiles = { .open = open_, .write = write_, .close = close_ };
C
[ "$(git status --porcelain --untracked-files=all | grep -v ' build.log$' | sort | tr '\n' ' ')" = " M runtime/st_kinds.def ?? runtime/sinks/testfiles.c ?? runtime/sources/countdown.c ?? runtime/sources/pairs.c " ] ||
    fail "files changed besides the rows and the files: $(git status --porcelain)"
mk -j2 all >>build.log 2>&1 || fail "the copy does not build with pairs and saveToTest: $(grep -m5 error build.log)"
[ -f build/lib/streamc/libstreamrt_z.a ] || fail "no libstreamrt_z.a"
ar t build/lib/streamc/libstreamrt.a | grep -q pairs && fail "pairs.o is in the core runtime"
[ "$(ar t build/lib/streamc/libstreamrt_z.a)" = "pairs.o" ] || fail "libstreamrt_z.a: $(ar t build/lib/streamc/libstreamrt_z.a)"
mk install PREFIX=/usr DESTDIR="$W/inst" >>build.log 2>&1 || fail "install: $(tail -3 build.log)"
[ -f "$W/inst/usr/lib/streamc/libstreamrt_z.a" ] || fail "libstreamrt_z.a not installed"
grep -qx 'kindlibs=-lstreamrt_hiredis -lhiredis -lstreamrt_rdkafka -lrdkafka -lstreamrt_z -lz' "$W/inst/usr/lib/pkgconfig/streamrt.pc" || fail "streamrt.pc: $(cat "$W/inst/usr/lib/pkgconfig/streamrt.pc")"
cd "$W"

# linking: a plain program (countdown) links neither libz nor the pairs
# receiver, nor rdkafka or hiredis; one that uses pairs links both
"$SC" -o cd cd.stream || fail "compile countdown again"
nm cd | grep -q st_recv_pairs && fail "a program without pairs holds its receiver"
ldd cd | grep -E 'libz\.|rdkafka|hiredis' && fail "a plain program links $(ldd cd | grep -E 'libz|rdkafka|hiredis')"
cat >rt.stream <<'S'
context c { batch = 200ms; checkpoint = "ck"; }
param tagp = "v";
source p = pairs(150, tag = tagp, keyed = true, pace = 4);
p.saveToTest("outA");
p.saveToTest("outB", kv => [kv._2, kv._1, "x"]);
S
"$SC" -o rt rt.stream || fail "compile pairs"
ldd rt | grep -q 'libz\.so' || fail "pairs does not link libz: $(ldd rt)"
nm rt | grep -q ' [TtDdRr] st_recv_pairs$' || fail "no pairs receiver in the program"
./rt --help | grep -qx '  p                    pairs(150, tag = "v")  \[context c\]' || fail "--help: $(./rt --help | tail -2)"

# what the outputs must hold at the end: every pair exactly once
for i in $(seq 1 150); do echo "k$((i % 3))|w$i"; done | sort >wantA
for i in $(seq 1 150); do echo "w$i|k$((i % 3))|x"; done | sort >wantB
# run 1: every write fails; SIGTERM while it retries: exit 1, the batch
# not done
TESTSINK_FAIL=1000000 ./rt --param tagp=w >r1.out 2>r1.err &
pid=$!
wait_for r1.err 'retrying in 400 ms'
kill -TERM $pid
rc=0; wait $pid || rc=$?
[ $rc = 1 ] || fail "SIGTERM while retrying: exit $rc: $(tail -3 r1.err)"
grep -q 'rt: error: output saveToTest: stopped before batch [0-9]* was written; it is not done' r1.err ||
    fail "run 1: $(tail -3 r1.err)"
grep -q 'rt: note: output saveToTest: batch [0-9]* not written; retrying in 100 ms' r1.err || fail "run 1 retries: $(head -5 r1.err)"
grep -q 'rt: warning: output saveToTest: failing on purpose' r1.err || fail "run 1 errors: $(head -5 r1.err)"
[ -z "$(ls -A outA)$(ls -A outB)" ] || fail "run 1 wrote $(ls outA outB)"
# run 2: it fails again, kill -9 during the retries
TESTSINK_FAIL=1000000 ./rt --param tagp=w >r2.out 2>r2.err &
pid=$!
wait_for r2.err 'retrying in 200 ms'
kill -9 $pid
wait $pid 2>/dev/null || true
# run 3: the first 2 writes of each output fail: exactly 4 retries; then
# kill -9 once both have written a batch of records
TESTSINK_FAIL=2 ./rt --param tagp=w --stats=json >r3.out 2>r3.err &
pid=$!
for _ in $(seq 1 400); do [ -n "$(cat outB/* 2>/dev/null)" ] && break; sleep 0.05; done
[ -n "$(cat outB/* 2>/dev/null)" ] || fail "run 3 wrote nothing: $(tail -3 r3.err)"
kill -9 $pid
wait $pid 2>/dev/null || true
[ "$(grep -c 'output saveToTest: batch [0-9]* not written; retrying in ' r3.err)" = 4 ] || fail "run 3: $(grep retrying r3.err)"
[ "$(grep -o '"output_retries":[0-9]*' r3.err | awk -F: '{ n += $2 } END { print n }')" = 4 ] || fail "run 3 stats: $(grep -o '"output_retries":[0-9]*' r3.err | sort | uniq -c)"
# run 4: recovers and runs to the end
timeout 60 ./rt --param tagp=w --stats >r4.out 2>r4.err || fail "run 4: exit $?: $(tail -5 r4.err)"
grep -q '^\[stats\] c total .* retries=0$' r4.err || fail "run 4 stats: $(grep total r4.err)"
cat outA/* | sort >gotA
cat outB/* | sort >gotB
cmp -s gotA wantA || fail "outA after the crashes: $(diff wantA gotA | head -5)"
cmp -s gotB wantB || fail "outB after the crashes: $(diff wantB gotB | head -5)"

# replay: KEY<TAB>VALUE lines; one without the second TAB is a counted skip
cat >rp.stream <<'S'
context c { batch = 200ms; }
source p = pairs(1, keyed = true);
p.saveToTest("outR");
p.map(kv => kv._2 + "@" + kv._1).print();
S
"$SC" -o rp rp.stream || fail "compile replay"
printf '0\tk1\ta\n10\tk2\tb b\n250\tnotab\n300\tk1\t\n' >p.txt
./rp --replay p=p.txt >rp.out 2>rp.err || fail "replay: exit $?: $(cat rp.err)"
[ "$(for f in outR/*; do printf '%s: %s;' "${f#outR/}" "$(tr '\n' ' ' <"$f")"; done)" = "200: k1|a k2|b b ;400: k1| ;" ] ||
    fail "replay rows: $(head outR/*)"
[ "$(grep -v '^-\|^Time\|^$' rp.out | tr '\n' ' ')" = "a@k1 b b@k2 @k1 " ] || fail "replay print: $(cat rp.out)"
grep -q "p.txt:3: replay line of a keyed source without a TAB between key and value" rp.err || fail "replay skip: $(cat rp.err)"
grep -q "warning: context 'c' skipped 1 record" rp.err || fail "replay skip count: $(cat rp.err)"

# sema: the rows' types, the keyed option is no param, f returns strings
printf 'context c { batch = 1s; }\nparam k = true;\nparam n = "x";\nsource a = pairs(3, keyed = k);\nsource b = pairs(n, tag = 5);\nsource d = pairs(2, keyed = true);\na.print();\nb.print();\nd.saveToTest("o", kv => [kv._1, 1]);\nd.saveToTest("o", kv => 1);\nd.saveToTest(7);\n' >bad2.stream
"$SC" --check bad2.stream 2>bad2.err && fail "bad pairs accepted"
grep -qx "bad2.stream:4:29: error: param 'k' cannot be option 'keyed' of pairs(): it decides the element type when the program is compiled" bad2.err || fail "keyed param: $(cat bad2.err)"
grep -qx "bad2.stream:5:18: error: param 'n' is a string, but argument 1 of pairs() must be an integer" bad2.err || fail "param type: $(cat bad2.err)"
grep -qx "bad2.stream:5:27: error: option 'tag' of pairs() must be a string" bad2.err || fail "option type: $(cat bad2.err)"
grep -qx "bad2.stream:9:33: error: list element 2 is int, but the elements before it are string" bad2.err || fail "a list of mixed types: $(cat bad2.err)"
[ "$(grep -c error: bad2.err)" = 6 ] || fail "follow-on errors: $(cat bad2.err)"
grep -qx "bad2.stream:10:25: error: the function of 'saveToTest' must return a list of strings, not int" bad2.err || fail "f: $(cat bad2.err)"
grep -qx "bad2.stream:11:14: error: argument 1 of saveToTest() must be a string literal" bad2.err || fail "sink arg: $(cat bad2.err)"
