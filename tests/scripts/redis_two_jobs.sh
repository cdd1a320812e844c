# Two processes of one program writing one Redis (a consumer group spread
# over processes, or one job run on two inputs) each apply every batch of
# their own: saveToRedis' marker names the run (st_sink_instance), not the
# program. Before, both used streamc:saveToRedis:job:saveToRedis:0, and
# the batch times of the two coincide, so each skipped the batches the
# other had written first: 281 of 600 counted. Without a checkpoint each
# process has its own marker, which expires a day after its last batch;
# with one, the id is kept in DIR/CONTEXT/instance: a restart uses the same
# marker (no third key), kept for ever. A damaged instance file is refused
# (--accept-loss replaces it, with a warning).
. "$(dirname "$0")/lib.sh"
. "$ROOT/tests/lib/peers.sh"
. "$ROOT/tests/lib/redis.sh"
start_redis R

cat > job.stream <<'EOS'
param redis = "127.0.0.1:1";
param list = "queue";
context c {
    batch = 100ms;
    block = 50ms;
}
source q = redis(redis, list = list);
q.saveToRedis(redis, l => ["INCRBY", "total", "1"]);
q.saveToRedis(redis, l => ["RPUSH", "seen", l]);
EOS
build job

# push N records x1..xN to each of qa and qb, 10 at a time, while the jobs run
push() {
    local i
    for i in $(seq 1 "$1"); do
        cli RPUSH qa "a$i" >/dev/null
        cli RPUSH qb "b$i" >/dev/null
    done
}
# total_is N: polls until total is N (the bound only stops a hang)
total_is() {
    for _ in $(seq 1 400); do
        [ "$(cli GET total)" = "$1" ] && [ "$(cli LLEN qa)$(cli LLEN qb)" = 00 ] && return 0
        sleep 0.05
    done
    fail "total $(cli GET total), not $1 (lists left: $(cli LLEN qa) $(cli LLEN qb))"
}
stop() {
    kill -TERM "$@"
    for p in "$@"; do wait "$p" || fail "exit $?: $(cat a.err b.err)"; done
}

# ---- without a checkpoint ----
./job --param redis="$R" --param list=qa >a.out 2>a.err &
pa=$!
./job --param redis="$R" --param list=qb >b.out 2>b.err &
pb=$!
push 300
total_is 600
stop "$pa" "$pb"
[ "$(cli LLEN seen)" = 600 ] || fail "seen: $(cli LLEN seen) records, not 600"
[ "$(cli LRANGE seen 0 -1 | sort | uniq -d | wc -l)" = 0 ] || fail "a record applied twice"
markers=$(cli --scan --pattern 'streamc:saveToRedis:job:*' | sort)
[ "$(echo "$markers" | wc -l)" = 4 ] || fail "markers: $markers (want one per process and output)"
[ "$(echo "$markers" | sed 's/^streamc:saveToRedis:job:\([0-9a-f]\{32\}\):saveToRedis:[01]$/\1/' | sort -u | wc -l)" = 2 ] \
    || fail "markers not named by two 32-digit instance ids: $markers"
for m in $markers; do
    ttl=$(cli TTL "$m")
    [ "$ttl" -gt 86000 ] && [ "$ttl" -le 86400 ] || fail "marker $m: TTL $ttl, not about a day"
done
[ ! -s a.err ] && [ ! -s b.err ] || fail "stderr: $(cat a.err b.err)"

# ---- with a checkpoint each ----
cli DEL total seen $markers >/dev/null
./job --param redis="$R" --param list=qa --checkpoint ck1 >a.out 2>a.err &
pa=$!
./job --param redis="$R" --param list=qb --checkpoint ck2 >b.out 2>b.err &
pb=$!
push 200
total_is 400
stop "$pa" "$pb"
id1=$(sed -n 2p ck1/c/instance)
id2=$(sed -n 2p ck2/c/instance)
[ "$(head -1 ck1/c/instance)" = "streamc instance 1" ] && [ "${#id1}" = 32 ] && [ "$id1" != "$id2" ] \
    || fail "instance files: $(cat ck1/c/instance ck2/c/instance)"
want=$(printf 'streamc:saveToRedis:job:%s:saveToRedis:%s\n' "$id1" 0 "$id1" 1 "$id2" 0 "$id2" 1 | sort)
[ "$(cli --scan --pattern 'streamc:saveToRedis:job:*' | sort)" = "$want" ] || fail "markers: $(cli --scan --pattern 'streamc:*')"
[ "$(cli TTL "streamc:saveToRedis:job:$id1:saveToRedis:0")" = -1 ] || fail "a checkpointed marker expires"
# a restart from ck1 writes through the same marker
./job --param redis="$R" --param list=qa --checkpoint ck1 >a.out 2>a.err &
pa=$!
for i in $(seq 1 50); do cli RPUSH qa "c$i" >/dev/null; done
total_is 450
stop "$pa"
[ "$(sed -n 2p ck1/c/instance)" = "$id1" ] || fail "the instance id changed at a restart"
[ "$(cli --scan --pattern 'streamc:saveToRedis:job:*' | sort)" = "$want" ] || fail "a restart made another marker"
[ "$(cli LLEN seen)" = 450 ] || fail "seen: $(cli LLEN seen), not 450"

# ---- a damaged instance file: refused before any batch ----
printf 'streamc instance 1\n0123\n' >ck1/c/instance
rc=0
./job --param redis="$R" --param list=qa --checkpoint ck1 </dev/null >a.out 2>a.err || rc=$?
[ "$rc" = 1 ] || fail "damaged instance file: exit $rc"
grep -qxF "job: error: context 'c': ck1/c/instance is damaged (not \"streamc instance 1\" and 32 hex digits): the outputs that apply a batch once (saveToRedis) name their state by it, and with another id the batches recovery runs again would be applied twice; cannot recover without loss (restore the file, remove the directory, or run with --accept-loss to go on with a new id)" a.err \
    || fail "damaged instance file: $(cat a.err)"
[ "$(cli GET total)" = 450 ] || fail "a job with a damaged instance file wrote"
# --accept-loss: a new id, with a warning, and the job runs
./job --param redis="$R" --param list=qa --checkpoint ck1 --accept-loss >a.out 2>a.err &
pa=$!
for i in $(seq 1 10); do cli RPUSH qa "d$i" >/dev/null; done
total_is 460
stop "$pa"
grep -qF "job: warning: context 'c': ck1/c/instance is damaged" a.err && grep -qF "going on with a new id (--accept-loss)" a.err \
    || fail "--accept-loss: $(cat a.err)"
id3=$(sed -n 2p ck1/c/instance)
[ "${#id3}" = 32 ] && [ "$id3" != "$id1" ] || fail "--accept-loss: instance $(cat ck1/c/instance)"
echo "ok: redis two jobs"
