# A replay file is mapped, not copied: when it is truncated while the
# program runs, the program must stop with exit 1 and a message naming the
# file, not die of SIGBUS. Here the program truncates its own input while
# its first batch runs (an extern called by the first output), then the
# second output of that batch reads the records.
. "$(dirname "$0")/lib.sh"
cat > t.stream <<'EOS'
%{
#include <unistd.h>
static int64_t cut(int64_t n)
{
    return truncate("big.replay", 0) == 0 ? n : -1;
}
%}
extern cut(int) : int;
context c { batch = 1s; }
source lines = stdin();
lines.count().map(n => cut(n)).print();
lines.map(l => len(l)).reduce((a, b) => a + b).print();
EOS
build t
for w in 1 2; do
    seq 1 20000 | awk '{ print int($1 / 10000) * 100 "\tline " $1 }' > big.replay
    rc=0
    ./t --replay lines=big.replay --workers $w > out.$w 2> err.$w || rc=$?
    [ "$rc" = 1 ] || fail "--workers $w: exit $rc, not 1: $(cat err.$w)"
    grep -qx 't: error: big.replay was truncated while the program was reading it' err.$w \
        || fail "--workers $w: no message naming the file: $(cat err.$w)"
    grep -q '^20000$' out.$w || fail "--workers $w: the first output did not run: $(cat out.$w)"
done
# the message names the program as its other messages do (by its .stream
# name, whatever the executable is called)
cp t renamed
seq 1 20000 | awk '{ print int($1 / 10000) * 100 "\tline " $1 }' > big.replay
rc=0
./renamed --replay lines=big.replay > out.r 2> err.r || rc=$?
[ "$rc" = 1 ] || fail "renamed: exit $rc, not 1: $(cat err.r)"
grep -qx 't: error: big.replay was truncated while the program was reading it' err.r \
    || fail "renamed: $(cat err.r)"
# a file left alone is read to the end (cut truncates big.replay, not it)
seq 1 20000 | awk '{ print int($1 / 10000) * 100 "\tline " $1 }' > keep.replay
./t --replay lines=keep.replay > out.keep 2> err.keep || fail "exit $? $(cat err.keep)"
grep -q '^188894$' out.keep || fail "sum of lengths: $(cat out.keep)"
echo ok
