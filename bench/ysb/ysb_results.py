#!/usr/bin/env python3
"""ysb_results.py: reads the Yahoo Streaming Benchmark's results from Redis
as YSB writes them, and computes YSB's latency figure.

    ysb_results.py PORT COUNTS_OUT [END_MS]

YSB's layout: for every campaign, a hash CAMPAIGN whose field WINDOW_MS
holds the window's id; the window's id is a hash with `seen_count` (views
counted in the window) and `time_updated` (wall-clock ms of the last
write). The campaigns are the values of the ad table (`SET ad campaign`).

Writes `CAMPAIGN WINDOW_MS SEEN` lines, sorted, to COUNTS_OUT (to compare
with ysb_produce's EXPECTED), and prints YSB's latency per window,
time_updated - (WINDOW_MS + 10000): how long after the window closed its
last count was written, over the windows that closed by END_MS (the
wall-clock ms when the producer stopped; a window still open then has
no final count). Prints `windows N latency_ms p50 P p99 Q max M`.
A small RESP client: the Python standard library only.
"""
import socket
import sys


class Redis:
    def __init__(self, port):
        self.s = socket.create_connection(("127.0.0.1", port))
        self.f = self.s.makefile("rb")

    def cmd(self, *args):
        out = b"*%d\r\n" % len(args)
        for a in args:
            a = a if isinstance(a, bytes) else str(a).encode()
            out += b"$%d\r\n%s\r\n" % (len(a), a)
        self.s.sendall(out)
        return self.reply()

    def reply(self):
        line = self.f.readline()
        if not line:
            raise SystemExit("ysb_results: Redis closed the connection")
        t, rest = line[:1], line[1:-2]
        if t == b"+":
            return rest.decode()
        if t == b"-":
            raise SystemExit("ysb_results: Redis: " + rest.decode())
        if t == b":":
            return int(rest)
        if t == b"$":
            n = int(rest)
            if n < 0:
                return None
            data = self.f.read(n + 2)[:-2]
            return data.decode()
        if t == b"*":
            n = int(rest)
            return None if n < 0 else [self.reply() for _ in range(n)]
        raise SystemExit("ysb_results: bad reply %r" % line)


def percentile(xs, p):
    if not xs:
        return 0
    k = max(0, min(len(xs) - 1, int(round(p / 100.0 * len(xs) + 0.5)) - 1))
    return xs[k]


def main():
    if len(sys.argv) not in (3, 4):
        raise SystemExit("usage: ysb_results.py PORT COUNTS_OUT [END_MS]")
    end_ms = int(sys.argv[3]) if len(sys.argv) == 4 else None
    r = Redis(int(sys.argv[1]))
    campaigns = set()
    cursor = "0"
    while True:
        cursor, keys = r.cmd("SCAN", cursor, "COUNT", "1000", "TYPE", "string")
        for k in keys:
            campaigns.add(r.cmd("GET", k))
        if cursor == "0":
            break
    rows, lat = [], []
    for c in sorted(x for x in campaigns if x):
        h = r.cmd("HGETALL", c) or []
        for i in range(0, len(h), 2):
            wts, wid = h[i], h[i + 1]
            if not wts.isdigit():
                continue
            seen = r.cmd("HGET", wid, "seen_count")
            upd = r.cmd("HGET", wid, "time_updated")
            rows.append("%s %s %s" % (c, wts, seen))
            if upd is not None and (end_ms is None or int(wts) + 10000 <= end_ms):
                lat.append(int(upd) - (int(wts) + 10000))
    with open(sys.argv[2], "w") as f:
        for row in sorted(rows):
            f.write(row + "\n")
    lat.sort()
    print("windows %d latency_ms p50 %d p99 %d max %d" %
          (len(lat), percentile(lat, 50), percentile(lat, 99), lat[-1] if lat else 0))


main()
