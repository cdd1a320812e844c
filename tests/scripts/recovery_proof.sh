# Recovery refuses what it cannot prove (issue 11). A stdin job, whose
# records exist only in the write-ahead log, keeps an updateStateByKey
# total: two clean runs (two snapshots), a third killed with SIGKILL after
# it printed its total. Then, each on a copy of that checkpoint: a plain
# restart restores the exact total; a flipped bit in a length field, a
# segment cut in half, a deleted segment, a deleted or damaged newest
# snapshot, and reuse by another program are each refused with exit 1 and
# the message that names the file, the offset and what is missing;
# --accept-loss goes on and reports exactly the batches and records lost.
. "$(dirname "$0")/lib.sh"
stdin_total_job
killed_third_run
snaps=$(cd orig/c && ls state-* | sed 's/state-0*//')
s1=$(echo "$snaps" | head -1)
s2=$(echo "$snaps" | tail -1)
[ "$s1" != "$s2" ] || fail "expected two snapshots, have: $snaps"
seg=$(cd orig/c && ls log-* | tail -1)
S2=$(printf 'state-%020d' "$s2")
fresh() { rm -rf ck; cp -r orig ck; }
# expect_refused WHAT MESSAGE [OPTIONS]: exit 1 and exactly that message
expect_refused() {
    set +e
    ./job </dev/null >out 2>err
    rc=$?
    set -e
    [ "$rc" = 1 ] || fail "$1: exit $rc, not 1: $(cat err)"
    [ "$(cat err)" = "$2" ] || fail "$1: stderr is
$(cat err)
not
$2"
    [ ! -s out ] || fail "$1: printed $(cat out)"
}
refuse_tail="; cannot recover without loss (remove the directory, or run with --accept-loss to go on with what is left)"

# a plain restart: exactly the total
fresh
./job </dev/null >out 2>err || fail "restart: exit $?: $(cat err)"
[ "$(grep '(n' out)" = "(n,3000)" ] || fail "restart prints $(grep '(n' out), not (n,3000)"

# one flipped bit in the length field of the first block entry (after
# the 48-byte header, the zero-time and loss entries: offset 128)
fresh
f=ck/c/$seg
len=$(od -An -tu4 -j128 -N4 "$f" | tr -d ' ')
size=$(stat -c %s "$f")
printf "\\x$(printf %02x $(( (len >> 16 & 255) ^ 64 )))" | dd of="$f" bs=1 seek=130 conv=notrunc 2>/dev/null
expect_refused "bit flip" "job: error: checkpoint ck/c: $seg is damaged at offset 128: the entry claims $(( len ^ (64 << 16) )) payload bytes, but only $(( size - 128 - 24 )) bytes follow; what follows it in the segment is not read$refuse_tail"

# the segment cut in half
fresh
synced=$(od -An -tu8 -j32 -N8 "$f" | tr -d ' ')
half=$(( size / 2 ))
truncate -s "$half" "$f"
expect_refused "truncation" "job: error: checkpoint ck/c: $seg is damaged at offset $half: its header says $synced bytes were synced, but the file has $half: it was truncated; what follows it in the segment is not read$refuse_tail"

# a deleted segment
fresh
rm "$f"
expect_refused "deleted segment" "job: error: checkpoint ck/c: $seg is missing (ck/c/manifest lists it): the batches and records it held are unknown$refuse_tail"

# ... and with --accept-loss: the snapshot's total, and what the segment
# held is reported as not known
./job --accept-loss </dev/null >out 2>err || fail "accept-loss, deleted segment: exit $?: $(cat err)"
grep -qxF "job: warning: context 'c': recovery accepted a loss (--accept-loss): what the damaged or missing log held is lost (not known)" err ||
    fail "accept-loss, deleted segment: no exact report in: $(cat err)"
[ "$(grep '(n' out | tail -1)" = "(n,2000)" ] || fail "accept-loss, deleted segment: $(grep '(n' out | tail -1)"

# the newest snapshot deleted
fresh
rm "ck/c/$S2"
expect_refused "deleted snapshot" "job: error: checkpoint ck/c: the newest snapshot ck/c/$S2 (named by ck/c/manifest) is missing$refuse_tail"

# the newest snapshot damaged: the log that bridged the older one to it
# was pruned, so the older one cannot stand in
fresh
printf '\377' | dd of="ck/c/$S2" bs=1 seek=40 conv=notrunc 2>/dev/null
expect_refused "damaged snapshot" "job: error: checkpoint ck/c: the newest snapshot ck/c/$S2 is damaged (bad checksum)$refuse_tail"

# ... and with --accept-loss: the older snapshot (1000) and the killed
# run's log (1000): the batches after the older snapshot up to the
# damaged one are lost, with the 1000 records of run 2
./job --accept-loss </dev/null >out 2>err || fail "accept-loss: exit $?: $(cat err)"
n=$(( (s2 - s1) / 200 ))
if [ "$n" = 1 ]; then at="1 batch lost (at $s2 ms)"; else at="$n batches lost (at $((s1 + 200))..$s2 ms)"; fi
grep -qxF "job: warning: context 'c': recovery accepted a loss (--accept-loss): $at, 1000 records lost" err ||
    fail "accept-loss: no exact loss report in: $(cat err)"
[ "$(grep '(n' out | tail -1)" = "(n,2000)" ] || fail "accept-loss ends at $(grep '(n' out | tail -1), not (n,2000)"
# the operator took the loss: the next start is clean
./job </dev/null >out 2>err || fail "after accept-loss: exit $?: $(cat err)"
[ "$(grep '(n' out | tail -1)" = "(n,2000)" ] || fail "after accept-loss: $(grep '(n' out | tail -1)"

# a checkpoint of another program (a rate source at the same index)
cat > rate.stream <<'EOS'
context c {
    batch = 200ms;
    checkpoint = "ck";
}
source s = rate(1000);
s.map(l => ("n", 1)).updateStateByKey(0, (a, v) => a + v).print();
EOS
build rate
rm -rf ck
./rate >rout 2>rerr &
pid=$!
wait_for rout '(n,'
kill -9 "$pid"
wait "$pid" 2>/dev/null || true
expect_refused "other program" "job: error: checkpoint ck/c was written by a different program; remove it or choose another directory"
echo ok
