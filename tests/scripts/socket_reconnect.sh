# The socket source reads a server's lines, survives the server closing
# the connection, reconnects, and loses nothing of either connection.
. "$(dirname "$0")/lib.sh"
cc -O1 -o lineserver "$ROOT/tests/tools/lineserver.c"
./lineserver port 2 50 &
for _ in $(seq 50); do [ -s port ] && break; sleep 0.1; done
[ -s port ] || fail "server did not start"
cat > sock.stream <<EOS
context c {
    batch = 200ms;
    block = 100ms;
}
source s = socket("127.0.0.1", $(cat port));
s.print(1000);
EOS
build sock
timeout 20 ./sock --duration 3s >out 2>err || fail "exit $? $(cat err)"
for r in 1 2; do
    for i in $(seq 50); do
        n=$(grep -cx "r$r-$i" out || true)
        [ "$n" = 1 ] || fail "record r$r-$i seen $n times"
    done
done
[ "$(grep -c '^r' out)" = 100 ] || fail "expected 100 records"
grep -q "reconnect" err || fail "no reconnect logged: $(cat err)"
echo ok
