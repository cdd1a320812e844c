# examples/ysb (the Yahoo Streaming Benchmark as YSB runs it, `make ysb`):
# a short run of the newcomer's one command. run.sh itself starts the mock
# cluster and Redis, and fails unless every (campaign, window) count that
# the job wrote to Redis equals what the producer made.
. "$(dirname "$0")/lib.sh"
. "$ROOT/tests/lib/kafka_test.sh"
command -v redis-cli >/dev/null || { echo "SKIP ysb_example.sh: redis-tools missing"; exit 0; }
RATE=4000 DURATION=4 YSB_DIR="$W/ysb" BUILD=${BUILD:-build} bash "$ROOT/examples/ysb/run.sh" >out 2>err ||
    fail "run.sh: $(tail -5 err) $(tail -3 out)"
grep -Eq '^ysb: 4000 ev/s for 4 s: [1-9][0-9]* views in [1-9][0-9]* campaign windows, all exact; windows [0-9]+ latency_ms' out ||
    fail "run.sh said: $(tail -3 out)"
# the counts really are in Redis as YSB writes them (run.sh removes its
# files, so ask for the views it counted against what it printed)
views=$(sed -n 's/^ysb: .*: \([0-9]*\) views in.*/\1/p' out)
[ "$views" -gt 4000 ] && [ "$views" -lt 8000 ] || fail "views $views: a third of 16000 events expected"
echo "ysb_example: ok ($views views)"
