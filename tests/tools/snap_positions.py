#!/usr/bin/python3
"""Counts the logged positions a snapshot file carries, per source
(tests/scripts/redis_positions.sh).

    snap_positions.py STATE_FILE        one line per source: INDEX COUNT
    snap_positions.py -v STATE_FILE     and each position, indented

The format (runtime/snapshot.c, rt_bs_blob in runtime/blockstore.c):
"STSNAP", u16 version, u64 identity, i64 zero_ms, i64 time_ms, i64 length
and the runtime blob: i64 sources, then per source i64 next, cum,
lost_upto, positions, and per position i64 length and its bytes; integers
little endian. A file that does not parse is an error (exit 1)."""
import struct
import sys


def main():
    args = sys.argv[1:]
    verbose = bool(args) and args[0] == "-v"
    if verbose:
        args = args[1:]
    if len(args) != 1:
        sys.exit("usage: snap_positions.py [-v] STATE_FILE")
    data = open(args[0], "rb").read()
    if data[:6] != b"STSNAP":
        sys.exit("%s: not a snapshot" % args[0])
    at = 8 + 8 + 8 + 8

    def i64():
        nonlocal at
        if at + 8 > len(data):
            sys.exit("%s: short at byte %d" % (args[0], at))
        (v,) = struct.unpack_from("<q", data, at)
        at += 8
        return v

    blob_len = i64()
    end = at + blob_len
    nsrc = i64()
    for i in range(nsrc):
        i64(), i64(), i64()
        n = i64()
        print("%d %d" % (i, n))
        for _ in range(n):
            ln = i64()
            pos = data[at:at + ln]
            at += ln
            if verbose:
                print("  " + pos.decode("utf-8", "replace"))
    if at != end:
        sys.exit("%s: the runtime blob ends at byte %d, not %d" % (args[0], at, end))


main()
