# Hostile input to a generated program: invalid UTF-8, NUL bytes, a 100 MB
# line, numbers that do not parse, JSON that is not JSON. Every record is
# processed or skipped and counted; nothing crashes, hangs or is lost.
. "$(dirname "$0")/lib.sh"
cat > h.stream <<'EOS'
context c {
    batch = 1s;
}
source in = stdin();
in.count().print();
in.map(l => len(l)).reduce((a, b) => a > b ? a : b).print();
in.map(l => toInt(l)).reduce((a, b) => a + b).print();
in.map(l => json(l, "k")).print(20);
EOS
build h
{
    printf '0\t12\n'
    printf '0\t\xff\xfe\xc3(bad utf8\n'
    printf '0\tnul\0inside\n'
    printf '0\t{"k": "v\\u0000w"}\n'
    printf '0\t{"k": \n'
    printf '0\t99999999999999999999\n'
    printf '0\t-7\n'
    printf '0\t'; head -c 100000000 /dev/zero | tr '\0' 'x'; printf '\n'
    printf 'garbage line without a tab\n'
    printf '1000\t{"k": 5, "other": [1, {"k": 2}]}\n'
} > in.replay
timeout 120 ./h --replay in=in.replay --stats >out 2>err || fail "exit $? $(tail -5 err)"
# batch 1: 8 records (the malformed replay line is skipped and counted)
sed -n '4p' out | grep -qx 8 || fail "count: $(sed -n 4p out)"
grep -qx 100000000 out || fail "the 100 MB line's length"
grep -qx 5 out || fail "sum of the ints 12 and -7"
grep -q 'skipped' err || fail "no skips reported"
grep -q 'replay line without a tab' err || fail "malformed replay line not reported"
# the JSON that parses: v\0w (3 bytes) and 5; the nested "k" is not top-level
grep -c '^5$' out | grep -qx 2 || fail "json of batch 2"
echo ok
