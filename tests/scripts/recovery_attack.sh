# Recovery attacked where recovery_proof.sh does not look (issue 11). A
# stdin job with an updateStateByKey total, killed after its third run
# printed it; then, each on a copy of the checkpoint: the newest segment,
# which the manifest lists, emptied or cut inside its header is refused
# (its header was synced before the manifest named it, so this is not a
# segment started as the process died); a newer segment the manifest does
# not list yet, empty or cut in its header, is such a start and is
# removed, the total exact.
. "$(dirname "$0")/lib.sh"
stdin_total_job
killed_third_run
seg=$(cd orig/c && ls log-* | tail -1)
n=$(( 10#${seg#log-} ))
next=$(printf 'log-%010d' $((n + 1)))
fresh() { rm -rf ck; cp -r orig ck; }
refuse_tail="; cannot recover without loss (remove the directory, or run with --accept-loss to go on with what is left)"
for size in 0 6 47; do
    fresh
    truncate -s "$size" "ck/c/$seg"
    set +e
    ./job </dev/null >out 2>err
    rc=$?
    set -e
    [ "$rc" = 1 ] || fail "newest listed segment cut to $size: exit $rc, not 1: $(cat err) $(cat out)"
    [ "$(cat err)" = "job: error: checkpoint ck/c: $seg is damaged at offset 0: it is $size bytes, shorter than its 48-byte header; what follows it in the segment is not read$refuse_tail" ] ||
        fail "newest listed segment cut to $size: stderr is $(cat err)"
    [ ! -s out ] || fail "cut to $size: printed $(cat out)"
done
for size in 0 6; do
    fresh
    head -c "$size" "ck/c/$seg" >"ck/c/$next"
    ./job </dev/null >out 2>err || fail "unlisted $next of $size bytes: exit $?: $(cat err)"
    [ "$(grep '(n' out | tail -1)" = "(n,3000)" ] || fail "unlisted $next of $size bytes: $(grep '(n' out | tail -1)"
    [ ! -e "ck/c/$next" ] || fail "unlisted $next of $size bytes was not removed"
done
echo ok
