#!/usr/bin/python3
"""Probes a running executable's --metrics endpoint (tests/scripts/metrics.sh).

    metrics_probe.py PORT wait-records CONTEXT SOURCE N   poll until SOURCE has N records
    metrics_probe.py PORT wait-value NAME CONTEXT N       poll until NAME{context} >= N
    metrics_probe.py PORT check EXPECT_JSON               one scrape, exact values
    metrics_probe.py PORT hostile                         bad requests, slow client, flood
    metrics_probe.py PORT wait-lag CONTEXT SOURCE PARTS gt|eq N
                                  poll until streamc_source_lag of every partition in PARTS
                                  (comma-separated) is > N (gt: any of them) or == N (eq: all)

Every wait is bounded (a hang fails, timing never decides a pass).
/metrics is parsed with prometheus_client's text parser."""
import json
import socket
import sys
import time

from prometheus_client.parser import text_string_to_metric_families

HOST = "127.0.0.1"
PORT = int(sys.argv[1])
BOUND = 60.0  # seconds: only bounds a hang


def fail(msg):
    print("FAIL: " + msg)
    sys.exit(1)


def read_all(s):
    """Everything the server sends on s until it closes; closes s."""
    data = b""
    while True:
        chunk = s.recv(65536)
        if not chunk:
            break
        data += chunk
    s.close()
    return data


def raw(request, timeout=BOUND):
    """Sends request bytes, returns everything the server sends until it closes."""
    s = socket.create_connection((HOST, PORT), timeout=timeout)
    s.sendall(request)
    return read_all(s)


def get(path):
    resp = raw(("GET %s HTTP/1.1\r\nHost: x\r\n\r\n" % path).encode())
    head, _, body = resp.partition(b"\r\n\r\n")
    lines = head.decode().split("\r\n")
    status = int(lines[0].split()[1])
    headers = {}
    for h in lines[1:]:
        k, _, v = h.partition(":")
        headers[k.strip().lower()] = v.strip()
    if "content-length" not in headers or int(headers["content-length"]) != len(body):
        fail("%s: Content-Length %s, body %d bytes" % (path, headers.get("content-length"), len(body)))
    if headers.get("connection") != "close":
        fail("%s: no Connection: close" % path)
    return status, headers, body


def scrape():
    status, headers, body = get("/metrics")
    if status != 200:
        fail("/metrics: status %d" % status)
    if not headers["content-type"].startswith("text/plain; version=0.0.4"):
        fail("/metrics content type " + headers["content-type"])
    samples = {}
    types = {}
    for fam in text_string_to_metric_families(body.decode()):
        types[fam.name] = fam.type
        for s in fam.samples:
            key = (s.name, tuple(sorted(s.labels.items())))
            if key in samples:
                fail("sample given twice: %r" % (key,))
            samples[key] = s.value
    return samples, types


def val(samples, name, **labels):
    key = (name, tuple(sorted(labels.items())))
    if key not in samples:
        fail("no sample %s%r" % (name, labels))
    return samples[key]


def wait_records(ctx, src, n):
    end = time.time() + BOUND
    while time.time() < end:
        samples, _ = scrape()
        got = val(samples, "streamc_records_total", context=ctx, source=src)
        if got == n:
            return
        if got > n:
            fail("%s has %d records, more than %d" % (src, got, n))
        time.sleep(0.05)
    fail("%s never reached %d records" % (src, n))


def check(expect):
    samples, types = scrape()
    ctx = expect["context"]
    for src, n in expect["records"].items():
        if val(samples, "streamc_records_total", context=ctx, source=src) != n:
            fail("records of %s: %r, expected %d" % (src, val(samples, "streamc_records_total",
                                                               context=ctx, source=src), n))
    for name, v in expect["exact"].items():
        got = val(samples, name, context=ctx)
        if got != v:
            fail("%s = %r, expected %r" % (name, got, v))
    for name in expect.get("positive", []):
        if not val(samples, name, context=ctx) > 0:
            fail("%s is %r, expected > 0" % (name, val(samples, name, context=ctx)))
    if val(samples, "streamc_info", program=expect["program"], version=expect["version"]) != 1:
        fail("streamc_info")
    for fam, typ in [("streamc_batches", "counter"), ("streamc_state_keys", "gauge"), ("streamc_records", "counter"),
                     ("streamc_processing_seconds", "histogram"),
                     ("streamc_scheduling_delay_seconds", "histogram"),
                     ("streamc_last_total_delay_seconds", "gauge")]:
        if types.get(fam) != typ:
            fail("family %s has type %r, expected %s" % (fam, types.get(fam), typ))
    # one scrape is one consistent state: every histogram counts every batch
    batches = val(samples, "streamc_batches_total", context=ctx)
    if batches < 1:
        fail("no batch counted")
    for h in ("streamc_processing_seconds", "streamc_scheduling_delay_seconds"):
        if val(samples, h + "_count", context=ctx) != batches:
            fail("%s_count differs from streamc_batches_total %r" % (h, batches))
        prev = 0
        bounds = sorted((float(k[1][1][1]), v) for k, v in samples.items()
                        if k[0] == h + "_bucket" and dict(k[1]).get("context") == ctx)
        if len(bounds) != 14 or bounds[-1][0] != float("inf") or bounds[-1][1] != batches:
            fail("%s buckets: %r" % (h, bounds))
        for _, v in bounds:
            if v < prev:
                fail("%s buckets not cumulative: %r" % (h, bounds))
            prev = v
    # the live page's data agrees with /metrics
    status, headers, body = get("/api/batches")
    if status != 200 or headers["content-type"] != "application/json":
        fail("/api/batches: %d %s" % (status, headers["content-type"]))
    j = json.loads(body)
    c = [x for x in j["contexts"] if x["name"] == ctx][0]
    if c["records"] != sum(expect["records"].values()) or c["batches"] < batches:
        fail("/api/batches: %r" % {k: c[k] for k in ("records", "batches")})
    if sum(b[1] for b in c["recent"]) != c["records"] or len(c["recent"]) != min(c["batches"], 300):
        fail("/api/batches recent: %d entries, %d records" % (len(c["recent"]),
                                                               sum(b[1] for b in c["recent"])))
    print("ok: /metrics exact after %d batches" % batches)


def status_of(request):
    resp = raw(request)
    if not resp.startswith(b"HTTP/1.1 "):
        fail("no HTTP reply to %r: %r" % (request[:40], resp[:80]))
    return int(resp.split()[1]), resp


def hostile():
    cases = [
        (b"POST /metrics HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\nabc", 405),
        (b"PUT / HTTP/1.1\r\n\r\n", 405),
        (b"DELETE /metrics HTTP/1.0\r\n\r\n", 405),
        (b"hello\r\n\r\n", 400),
        (b"\x00\x01\x02\xff garbage \r\n\r\n", 400),
        (b"GET metrics HTTP/1.1\r\n\r\n", 400),
        (b"GET /metrics HTTP/2.0\r\n\r\n", 400),
        (b"get /metrics HTTP/1.1\r\n\r\n", 400),
        (b"GET /nope HTTP/1.1\r\n\r\n", 404),
        (b"GET /metrics?x=1 HTTP/1.0\n\n", 200),
        (b"GET /metrics HTTP/1.1\r\nX: " + b"a" * 9000 + b"\r\n\r\n", 431),
    ]
    for req, want in cases:
        got, resp = status_of(req)
        if got != want:
            fail("%r: status %d, expected %d" % (req[:40], got, want))
        if want == 405 and b"\r\nAllow: GET\r\n" not in resp:
            fail("405 without Allow: GET")
    # a slow client that never ends its request: 408 after the timeout,
    # while another client is served at once
    slow = socket.create_connection((HOST, PORT), timeout=BOUND)
    slow.sendall(b"GET /metrics HTTP/1.1\r\nHost: x\r\n")
    t0 = time.time()
    if get("/metrics")[0] != 200:
        fail("not served beside a slow client")
    served = time.time() - t0
    data = read_all(slow)
    if not data.startswith(b"HTTP/1.1 408 "):
        fail("slow client got %r" % data[:60])
    # a flood: 32 connections take every slot and send nothing; 8 more are
    # closed at once without a byte; the 32 get 408 at their timeout
    socks = [socket.create_connection((HOST, PORT), timeout=BOUND) for _ in range(40)]
    replies = [read_all(s) for s in socks]
    n408 = sum(1 for d in replies if d.startswith(b"HTTP/1.1 408 "))
    nempty = sum(1 for d in replies if d == b"")
    if n408 != 32 or nempty != 8:
        fail("flood: %d got 408, %d closed at once (expected 32 and 8)" % (n408, nempty))
    samples, _ = scrape()
    if val(samples, "streamc_http_dropped_connections_total") != 8:
        fail("dropped connections %r, expected 8" % val(samples, "streamc_http_dropped_connections_total"))
    print("ok: hostile requests answered (a request beside a slow client took %.3f s)" % served)


def wait_value(name, ctx, n):
    end = time.time() + BOUND
    while time.time() < end:
        samples, _ = scrape()
        if val(samples, name, context=ctx) >= n:
            return
        time.sleep(0.05)
    fail("%s never reached %d" % (name, n))


def wait_lag(ctx, src, parts, op, n):
    end = time.time() + BOUND
    got = None
    while time.time() < end:
        samples, types = scrape()
        if "streamc_source_lag" in types and types["streamc_source_lag"] != "gauge":
            fail("streamc_source_lag is a %s" % types["streamc_source_lag"])
        got = {p: samples.get(("streamc_source_lag", tuple(sorted(
            {"context": ctx, "source": src, "partition": p}.items())))) for p in parts.split(",")}
        have = [v for v in got.values() if v is not None]
        if op == "gt" and any(v > n for v in have):
            return
        if op == "eq" and len(have) == len(got) and all(v == n for v in have):
            return
        time.sleep(0.05)
    fail("streamc_source_lag of %s never %s %d: %r" % (src, op, n, got))


if sys.argv[2] == "wait-lag":
    wait_lag(sys.argv[3], sys.argv[4], sys.argv[5], sys.argv[6], int(sys.argv[7]))
elif sys.argv[2] == "wait-value":
    wait_value(sys.argv[3], sys.argv[4], int(sys.argv[5]))
elif sys.argv[2] == "wait-records":
    wait_records(sys.argv[3], sys.argv[4], int(sys.argv[5]))
elif sys.argv[2] == "check":
    check(json.loads(sys.argv[3]))
elif sys.argv[2] == "hostile":
    hostile()
else:
    fail("unknown command " + sys.argv[2])
