# kafka(): records read exactly (values, keyed pairs), startingOffsets,
# properties, a missing topic, an unreachable broker, a broker down and up,
# an offset Kafka no longer holds at recovery, --replay without a broker,
# saveToKafka read back with kcat, and only Kafka programs link librdkafka.
. "$(dirname "$0")/lib.sh"
. "$ROOT/tests/lib/kafka_test.sh"

start_kafka_mock K -b 2 words:4 late:4 one:1 big:1 out:2 outp:1

cat > count.stream <<'EOS'
param brokers = "127.0.0.1:9092";
param topic = "words";
context c {
    batch = 200ms;
}
source ev = kafka(brokers, topic, startingOffsets = "earliest", properties = "fetch.wait.max.ms=10");
ev.map(w => (w, 1)).updateStateByKey(0, (a, v) => a + v).print(100);
EOS
build count
cat > keyed.stream <<'EOS'
param brokers = "127.0.0.1:9092";
context c {
    batch = 200ms;
}
source kv = kafka(brokers, "words", startingOffsets = "earliest", keyed = true);
kv.map(p => (p._2, toInt(p._1))).updateStateByKey(0, (a, v) => a + v).print(100);
EOS
build keyed

# ---- 1,000 keyed records over 4 partitions, then 500 more: counts exact ----
seq 1000 | awk '{ print $1 ":w" $1 % 5 }' | kcat -b "$K" -P -t words -K: $KP || fail "kcat produce"
./count --param brokers="$K" >o1 2>e1 &
p1=$!
./keyed --param brokers="$K" >o2 2>e2 &
p2=$!
printf '(w%d,200)\n' 0 1 2 3 4 | sort >want1
wait_state o1 want1
seq 1001 1500 | awk '{ print $1 ":w" $1 % 5 }' | kcat -b "$K" -P -t words -K: $KP || fail "kcat produce 2"
printf '(w%d,300)\n' 0 1 2 3 4 | sort >want2
wait_state o1 want2
# keyed: the sum of the keys (the record numbers) per value
for r in 0 1 2 3 4; do
    echo "(w$r,$(seq 1500 | awk -v r=$r '$1 % 5 == r { s += $1 } END { print s }'))"
done | sort >want3
wait_state o2 want3
kill -TERM $p1 $p2
wait $p1 || fail "count exited $?: $(cat e1)"
wait $p2 || fail "keyed exited $?: $(cat e2)"
grep -v '^count: note: source .ev.: reading partitions' e1 | grep . && fail "count's stderr: $(cat e1)"
grep -q "^count: note: source 'ev': reading partitions 0@0, 1@0, 2@0, 3@0 of 'words'" e1 \
    || fail "no start note: $(cat e1)"

# ---- startingOffsets latest (the default): what is there is not read ----
cat > latest.stream <<'EOS'
param brokers = "127.0.0.1:9092";
context c {
    batch = 200ms;
}
source ev = kafka(brokers, "late");
ev.map(w => (w, 1)).updateStateByKey(0, (a, v) => a + v).print(100);
EOS
build latest
seq 100 | awk '{ print $1 ":old" }' | kcat -b "$K" -P -t late -K: $KP || fail "kcat produce late"
./latest --param brokers="$K" >o3 2>e3 &
p3=$!
wait_grep e3 "reading partitions"
seq 7 | awk '{ print $1 ":new" }' | kcat -b "$K" -P -t late -K: $KP || fail "kcat produce late 2"
echo '(new,7)' >want4
wait_state o3 want4
grep -q old o3 && fail "latest read old records"
kill -TERM $p3
wait $p3 || fail "latest exited $?"

# ---- properties: a property librdkafka does not know is refused ----
cat > props.stream <<'EOS'
context c {
    batch = 200ms;
}
source ev = kafka("127.0.0.1:1", "words", properties = "fetch.wait.max.ms=10;no.such.prop=1");
ev.print();
EOS
build props
rc=0; ./props >o4 2>e4 || rc=$?
[ $rc = 1 ] || fail "bad property: exit $rc"
diff e4 - <<'EOE' || fail "bad property message"
props: error: source 'ev': properties: No such configuration property: "no.such.prop"
EOE

# ---- a missing topic: a clear error, exit 1 ----
kafka_ctl K "topic-error gone 3" >/dev/null
rc=0; ./count --param brokers="$K" --param topic=gone >o5 2>e5 || rc=$?
[ $rc = 1 ] || fail "missing topic: exit $rc: $(cat e5)"
diff e5 - <<EOE || fail "missing topic message"
count: error: source 'ev': topic 'gone' does not exist on $K
EOE

# ---- an unreachable broker: logged once, retried, stops cleanly ----
port=$(free_port)
./count --param brokers=127.0.0.1:$port >o6 2>e6 &
p6=$!
wait_grep e6 "cannot reach the Kafka brokers 127.0.0.1:$port"
kill -0 $p6 || fail "gave up on an unreachable broker: $(cat e6)"
kill -TERM $p6
wait $p6 || fail "unreachable: exit $?: $(cat e6)"
[ "$(grep -c 'cannot reach' e6)" = 1 ] || fail "the outage is logged more than once: $(cat e6)"

# ---- the partition's leader down and up while records come: none lost ----
kafka_ctl K "leader one 0 2" >/dev/null
./count --param brokers="$K" --param topic=one >o7 2>e7 &
p7=$!
wait_grep e7 "reading partitions"
seq 100 | awk '{ print "a" }' | kcat -b "$K" -P -t one $KP || fail "produce one"
echo '(a,100)' >want7
wait_state o7 want7
kafka_ctl K "down 2" >/dev/null
seq 50 | awk '{ print "a" }' | kcat -b "$K" -P -t one $KP -X message.timeout.ms=20000 2>kcat7.err &
kp=$!
kafka_ctl K "up 2" >/dev/null
wait $kp || fail "producer while down"
echo '(a,150)' >want7
wait_state o7 want7
kill -TERM $p7
wait $p7 || fail "down/up: exit $?: $(cat e7)"

# ---- an offset no longer in Kafka at recovery: an error naming it ----
cat > big.stream <<'EOS'
param brokers = "127.0.0.1:9092";
context c {
    batch = 200ms;
    checkpoint = "ck";
}
source ev = kafka(brokers, "big", startingOffsets = "earliest");
ev.map(w => ("n", 1)).updateStateByKey(0, (a, v) => a + v).print();
EOS
build big
seq 10 | kcat -b "$K" -P -t big $KP || fail "produce big"
./big --param brokers="$K" >o8 2>e8 &
p8=$!
echo '(n,10)' >want8
wait_state o8 want8
kill -TERM $p8
wait $p8 || fail "big: exit $?: $(cat e8)"
# 700 records of 10,000 bytes one per message set: the mock keeps 5 MiB,
# the oldest sets (offsets 0 to 179 or so) are deleted
head -c 7000000 /dev/zero | tr '\0' x | fold -w 10000 | kcat -b "$K" -P -t big $KP -X linger.ms=0 \
    -X batch.num.messages=1 || fail "produce big 2"
rc=0; ./big --param brokers="$K" >o9 2>e9 || rc=$?
[ $rc = 1 ] || fail "out of range: exit $rc: $(cat e9)"
grep -Eq "^big: error: source 'ev': partition big\[0\]: offset 10 is no longer in Kafka \(it holds offsets [1-9][0-9]+ to 709\): the records from 10 to [0-9]+ are lost$" e9 \
    || fail "out of range message: $(cat e9)"

# ---- --replay: no broker needed ----
printf '0\tw1\n0\tw2\n250\tw1\n' >rep
./count --replay ev=rep --param brokers=127.0.0.1:1 >o10 2>e10 || fail "replay: exit $?: $(cat e10)"
[ -s e10 ] && fail "replay stderr: $(cat e10)"
last_batch o10 | sort | diff - <(printf '(w1,2)\n(w2,1)\n') || fail "replay output: $(cat o10)"

# ---- saveToKafka: strings as values, pairs as key and value ----
cat > save.stream <<'EOS'
param brokers = "127.0.0.1:9092";
context c {
    batch = 200ms;
}
source s = stdin();
s.map(w => (w, 1)).reduceByKey((a, b) => a + b).saveToKafka(brokers, "out");
s.filter(w => startsWith(w, "x")).saveToKafka(brokers, "outp");
EOS
build save
printf 'a\nb\na\nxy\nxz\n' | ./save --param brokers="$K" >o11 2>e11 || fail "save: exit $?: $(cat e11)"
kcat -b "$K" -C -t out -o beginning -e -q -f '%k=%s\n' $KC | sort >got11
printf 'a=2\nb=1\nxy=1\nxz=1\n' | diff - got11 || fail "saveToKafka pairs"
kcat -b "$K" -C -t outp -o beginning -e -q -f '%k|%s\n' $KC >got12
printf '|xy\n|xz\n' | diff - got12 || fail "saveToKafka strings"

# ---- a delivery error fails the batch's write, which is retried ----
kafka_ctl K "create outr 1" >/dev/null
sed 's/"outp"/"outr"/; /"out")/d' save.stream >saver.stream
build saver
kafka_ctl K "errors 0 10 10" >/dev/null   # the next two Produce requests fail
printf 'xa\nxb\nxc\n' | ./saver --param brokers="$K" --stats >o13 2>e13 || fail "saver: exit $?: $(cat e13)"
grep -v '^\[stats\]' e13 | sed -E 's/batch [0-9]+/batch T/' >e13.msgs
diff e13.msgs - <<'EOE' || fail "retry messages: $(cat e13)"
saver: warning: output saveToKafka: 3 of 3 records were not delivered to topic 'outr': Broker: Message size too large
saver: note: output saveToKafka: batch T not written; retrying in 100 ms
saver: warning: output saveToKafka: 3 of 3 records were not delivered to topic 'outr': Broker: Message size too large
saver: note: output saveToKafka: batch T not written; retrying in 200 ms
EOE
grep -q 'retries=2$' e13 || fail "retries not counted: $(cat e13)"
kcat -b "$K" -C -t outr -o beginning -e -q $KC >got13
printf 'xa\nxb\nxc\n' | diff - got13 || fail "after the retries"

# ---- link discipline: only programs with a Kafka kind link librdkafka ----
cat > plain.stream <<'EOS'
context c {
    batch = 200ms;
}
source s = stdin();
s.print();
EOS
build plain
ldd ./plain | grep -q rdkafka && fail "a plain program links librdkafka: $(ldd ./plain)"
ldd ./count | grep -q librdkafka || fail "count does not link librdkafka"
ldd ./save | grep -q librdkafka || fail "save does not link librdkafka"
echo "kafka_source: ok"
