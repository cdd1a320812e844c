# tests/lib/kafka_test.sh: shared by tests/scripts/kafka_*.sh (after
# tests/scripts/lib.sh): skips the test (a SKIP line, exit 0) when
# librdkafka or kcat is absent, starts nothing itself.
#   KP / KC           kcat producer / consumer settings (short backoffs;
#                     an empty fetch returns at once)
#   last_batch FILE   the records of FILE's last complete print() batch
#   wait_state FILE WANT   polls until FILE's last batch, sorted, is the
#                     content of file WANT (the bound only stops a hang)
#   wait_grep FILE RE [S]  polls until FILE has a line matching RE
if [ ! -f /usr/include/librdkafka/rdkafka.h ] || ! command -v kcat >/dev/null; then
    echo "SKIP $(basename "$0"): librdkafka-dev or kcat missing (.ci/run installs them)"
    exit 0
fi
. "$ROOT/tests/lib/peers.sh"
KP="-X reconnect.backoff.ms=20 -X reconnect.backoff.max.ms=100"
KC="$KP -X fetch.wait.max.ms=10"

# the lines of the last batch that print() finished (a batch ends with
# an empty line)
last_batch() {
    awk '/^-+$/ { d++; next } /^Time: / { next } d >= 2 && /^$/ { last = cur; cur = ""; d = 0; next }
         d >= 2 { cur = cur $0 "\n" } END { printf "%s", last }' "$1"
}
wait_state() {
    local dl
    dl=$(peers_deadline "${3:-30}")
    while ! last_batch "$1" | sort | cmp -s - "$2"; do
        peers_before "$dl" || fail "$1: last batch $(last_batch "$1" | sort | tr '\n' ' '), want $(tr '\n' ' ' <"$2")"
        sleep 0.05
    done
}
wait_grep() {
    local dl
    dl=$(peers_deadline "${3:-20}")
    while ! grep -q -- "$2" "$1" 2>/dev/null; do
        peers_before "$dl" || fail "no '$2' in $1: $(tail -5 "$1" 2>/dev/null)"
        sleep 0.02
    done
}
