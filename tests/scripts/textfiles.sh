# textFileStream reads every file that appears in its directory once
# (files already there at the start are not new), nothing twice.
. "$(dirname "$0")/lib.sh"
mkdir in
echo "old file" > in/old.txt
cat > tf.stream <<'EOS'
context c {
    batch = 200ms;
}
source f = textFileStream("in");
f.count().print();
EOS
build tf
./tf --duration 3s >out 2>err &
pid=$!
sleep 0.7
for k in 1 2 3; do
    seq 1 $((k * 100)) > in/.tmp$k
    mv in/.tmp$k in/new$k.txt
    sleep 0.4
done
wait $pid || fail "exit $? $(cat err)"
total=$(grep -A3 '^Time:' out | grep -E '^[0-9]+$' | awk '{s+=$1} END {print s+0}')
[ "$total" = 600 ] || fail "counted $total lines, wrote 600"
echo ok
