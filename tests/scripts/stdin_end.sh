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
echo ok
