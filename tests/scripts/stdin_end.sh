# In real time, a stdin source ends the program after the batch holding
# its last records, with every record counted.
. "$(dirname "$0")/lib.sh"
cat > in.stream <<'EOS'
context c {
    batch = 200ms;
}
source lines = stdin();
lines.flatMap(l => split(l, " ")).map(w => (w, 1)).reduceByKey((a, b) => a + b).print();
EOS
build in
seq 1 3000 | sed 's/.*/x y/' | timeout 20 ./in >out 2>err || fail "exit $? $(cat err)"
x=$(grep '^(x,' out | sed 's/(x,\(.*\))/\1/' | awk '{s+=$1} END {print s+0}')
y=$(grep '^(y,' out | sed 's/(y,\(.*\))/\1/' | awk '{s+=$1} END {print s+0}')
[ "$x" = 3000 ] && [ "$y" = 3000 ] || fail "counted x=$x y=$y"

# A context ends with its own sources: the stdin context stops after the
# batch with its last records while the rate context runs on to --duration.
cat > two.stream <<'EOS'
context a { batch = 200ms; }
context b { batch = 200ms; }
source lines = stdin() in a;
source ticks = rate(50) in b;
lines.count().print();
ticks.count().print();
EOS
build two
seq 1 10 | timeout 20 ./two --stats --duration 4s >two.out 2>two.err || fail "two contexts: exit $? $(cat two.err)"
na=$(grep -c '^\[stats\] a time=' two.err || true)
nb=$(grep -c '^\[stats\] b time=' two.err || true)
[ "$nb" = 20 ] || fail "the rate context ran $nb batches, not 20"
[ "$na" -ge 1 ] && [ "$na" -le 5 ] || fail "the stdin context ran $na batches after its input ended"
grep -q '^\[stats\] a total batches=.* records=10 ' two.err || fail "the stdin context lost records: $(grep total two.err)"
echo ok
