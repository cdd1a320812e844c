#!/usr/bin/env bash
# The live page of --metrics in headless Chromium: its four charts render
# from /api/batches and grow as batches complete, and the DAG streamc
# embedded is on the page. Leaves a screenshot in $BUILD/live_page.png.
. "$(dirname "$0")/lib.sh"
CHROME=$(command -v chromium || command -v chromium-browser || true)
if [ -z "$CHROME" ]; then
    echo "SKIP: chromium is not installed: the live page was NOT tested (apt-get install chromium)" >&2
    exit 0
fi
PY=/usr/bin/python3
SHOT="$ROOT/${BUILD:-build}/live_page.png"
cat > lp.stream <<'EOS'
context c { batch = 200ms; block = 50ms; }
source nums = rate(500);
stream small = nums.map(n => n % 5);
small.countByValue().print(2);
small.window(1s).count().print();
EOS
build lp
./lp --metrics 127.0.0.1:0 --duration 120s >lp.out 2>lp.err &
pid=$!
port=$(metrics_port lp lp.err $pid) || fail "$port"
batches() { $PY -c 'import json, sys, urllib.request
print(json.load(urllib.request.urlopen("http://127.0.0.1:'"$port"'/api/batches"))["contexts"][0]["batches"])'; }
# at least 3 batches before the first look
until [ "$(batches)" -ge 3 ]; do kill -0 $pid || fail "the job ended"; sleep 0.05; done
chrome() {
    "$CHROME" --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
        --disable-background-networking --disable-component-update --disable-sync \
        --user-data-dir="$(mktemp -d -p "$W")" --window-size=1300,1250 --virtual-time-budget=3000 \
        "$@" "http://127.0.0.1:$port/" 2>>chrome.err
}
# points of each chart in a DOM dump; fails unless all four rendered
points() {
    $PY - "$1" <<'EOS'
import re, sys
dom = open(sys.argv[1]).read()
n = {}
for kind in ("rate", "delay", "proc", "total"):
    m = re.search(r'id="chart-0-%s".*?<polyline[^>]*data-points="(\d+)"[^>]*points="([^"]*)"' % kind, dom, re.S)
    if not m:
        sys.exit("chart %s did not render" % kind)
    pts = m.group(2).split()
    if len(pts) != int(m.group(1)) or not all(re.fullmatch(r"[\d.]+,[\d.]+", p) for p in pts):
        sys.exit("chart %s: %s points, polyline %r" % (kind, m.group(1), m.group(2)[:80]))
    n[kind] = int(m.group(1))
if len(set(n.values())) != 1:
    sys.exit("charts disagree: %r" % n)
if not re.search(r'batches completed', dom):
    sys.exit("no summary")
rows = re.findall(r'<tr>(<td>.*?)</tr>', dom)
if len(rows) != min(10, n["rate"]):
    sys.exit("recent batches table: %d rows" % len(rows))
# the DAG: the context, the source and the six operators of lp.stream
dag = dom[dom.index('id="dag"'):]
labels = re.findall(r'font-weight="bold">([^<]*)</text>', dag)
want = ["context c: batch 200ms, block 50ms", "source nums", "map", "countByValue", "print(2)",
        "window", "count", "print(10)"]
if labels != want or len(re.findall(r'class="edge"', dag)) != 6 or "window 1s, slide 200ms" not in dag:
    sys.exit("DAG: labels %r" % labels)
print(n["rate"])
EOS
}
chrome --dump-dom >dom1.html || fail "chromium: $(tail -3 chrome.err)"
n1=$(points dom1.html) || fail "first look: $n1"
[ "$n1" -ge 3 ] || fail "first look: $n1 points"
# more batches, then the page again: its charts have more points
until [ "$(batches)" -ge $((n1 + 3)) ]; do kill -0 $pid || fail "the job ended"; sleep 0.05; done
chrome --dump-dom >dom2.html || fail "chromium: $(tail -3 chrome.err)"
n2=$(points dom2.html) || fail "second look: $n2"
[ "$n2" -gt "$n1" ] || fail "the charts did not grow: $n1 then $n2 points"
rm -f "$SHOT"
chrome --screenshot="$SHOT" >/dev/null || fail "screenshot: $(tail -3 chrome.err)"
[ "$(head -c 8 "$SHOT" | od -An -tx1 | tr -d ' \n')" = 89504e470d0a1a0a ] || fail "no PNG screenshot"
[ "$(stat -c %s "$SHOT")" -gt 20000 ] || fail "screenshot too small to hold the charts"
kill -TERM $pid
wait $pid || fail "the job failed after SIGTERM: $(tail -3 lp.err)"
echo "ok: charts grew from $n1 to $n2 points; screenshot $SHOT"
