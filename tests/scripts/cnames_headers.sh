# Every function, object and type that the generated C's headers declare
# (read from this machine's headers with cc -E) is refused as the name of
# a foreachRDD or extern function, each with its own error; names next to
# the refused ones compile and run.
. "$(dirname "$0")/lib.sh"
INC=$(dirname "$STREAMC")/../include/streamc
printf '#include <math.h>\n#include <stdbool.h>\n#include <stdint.h>\n#include <stdlib.h>\n#include <string.h>\n#include "streamrt.h"\n#include "st_map.h"\n#include "st_gen.h"\n' |
    cc -std=gnu11 -E -P -I"$INC" - | tr '\n' ' ' | sed 's/[;{}]/&\n/g' > decls
# a file-scope declaration's name: the word before its first '(', or the
# last word of a declaration without one (typedefs, objects)
awk '{ line = $0; sub(/^ +/, "", line)
       closes = gsub(/}/, "}", line); depth -= closes
       if (depth == 0 && line !~ /^}/ && match(line, /^[^(]*[^A-Za-z0-9_][A-Za-z_][A-Za-z0-9_]* *\(/)) {
           w = substr(line, 1, RLENGTH); sub(/ *\($/, "", w); sub(/.*[^A-Za-z0-9_]/, "", w); print w
       } else if (depth == 0 && match(line, /[A-Za-z_][A-Za-z0-9_]* *;$/) && line !~ /\(/) {
           w = substr(line, RSTART, RLENGTH); sub(/ *;$/, "", w); print w
       }
       depth += gsub(/{/, "{", line) }' decls |
    grep -vx 'if\|while\|for\|switch\|return\|sizeof\|__attribute__\|do\|__extension__\|int\|char\|long\|double\|float\|void\|short\|unsigned\|signed\|const' | sort -u > names
n=$(wc -l < names)
[ "$n" -gt 400 ] || fail "only $n names read from the headers"
grep -qx strlen names && grep -qx exit names && grep -qx sqrt names && grep -qx st_save names || fail "names: $(head names)"
{ echo 'context c { batch = 1s; }'; echo 'source s = stdin();'
  sed 's/.*/s.foreachRDD(&);/' names; } > fe.stream
set +e; "$STREAMC" --check fe.stream >/dev/null 2>fe.err; rc=$?; set -e
[ "$rc" = 1 ] || fail "foreachRDD: exit $rc"
got=$(grep -c ': error: the C function of foreachRDD cannot be named ' fe.err || true)
[ "$got" = "$n" ] || fail "foreachRDD: $got of $n names refused: $(grep -v 'cannot be named' fe.err | grep error | head -3)"
{ sed 's/.*/extern &(int) : int;/' names; echo 'context c { batch = 1s; }'; echo 'source s = stdin();'; echo 's.print();'; } > ex.stream
set +e; "$STREAMC" --check ex.stream >/dev/null 2>ex.err; rc=$?; set -e
got=$(grep -c ': error: extern function .* cannot have this name in C: ' ex.err || true)
[ "$rc" = 1 ] && [ "$got" = "$n" ] || fail "extern: exit $rc, $got of $n names refused"
# accepted: names that only resemble reserved ones, called from C and stream code
cat > near.stream <<'EOS'
%{
#include <stdio.h>
static int64_t strlen2(st_str s) { return (int64_t)s.n; }
static int64_t mainly(int64_t x) { return x + 1; }
void exit_batch(const sc_rdd_string *rdd) { printf("batch of %lld\n", (long long)rdd->count); }
static void st(const sc_rdd_string *rdd) { (void)rdd; }
%}
extern strlen2(string) : int;
extern mainly(int) : int;
context c { batch = 1s; }
source s = stdin();
s.map(x => mainly(strlen2(x))).print();
s.foreachRDD(exit_batch);
s.foreachRDD(st);
EOS
build near
printf 'abc\n' | timeout 20 ./near --batches 1 > near.out 2>near.err || fail "near: exit $? $(cat near.err)"
grep -qx 4 near.out && grep -qx 'batch of 1' near.out || fail "near: $(cat near.out)"
echo ok
