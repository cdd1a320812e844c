# make install and make uninstall with spaces in PREFIX and DESTDIR
# (issue 17): every file lands under "DESTDIR""PREFIX", the installed
# streamc compiles and runs a program, and uninstall leaves no file.
. "$(dirname "$0")/lib.sh"
BUILD=${BUILD:-build}
case $BUILD in /*) B=$BUILD ;; *) B=$ROOT/$BUILD ;; esac
mkdir bt
cp -a "$B/obj" "$B/bin" "$B/lib" "$B/include" bt/
P="$W/pre fix" D="$W/dest dir"
mk() { make -s -C "$ROOT" BUILD="$W/bt" SAN="${SAN:-}" PREFIX="$P" DESTDIR="$D" "$@"; }
mk install >make.out 2>&1 || fail "make install: $(tail -20 make.out)"
I=$D$P
for f in bin/streamc lib/streamc/libstreamrt.a include/streamc/streamrt.h lib/pkgconfig/streamrt.pc \
         share/man/man1/streamc.1 share/man/man1/streamc-run.1 share/bash-completion/completions/streamc; do
    [ -f "$I/$f" ] || fail "not installed: $f ($(find "$W" -name "$(basename "$f")"))"
done
[ ! -e "$P" ] || fail "installed outside DESTDIR"
[ -z "$(find "$W" -maxdepth 1 -name 'pre' -o -maxdepth 1 -name 'dest' -o -maxdepth 1 -name 'fix*')" ] ||
    fail "a path was split at its space: $(ls "$W")"
printf 'context c { batch = 1s; }\nsource s = stdin();\ns.map(l => (l, 1)).reduceByKey((a, b) => a + b).print();\n' > wc.stream
env -u STREAMC_RUNTIME "$I/bin/streamc" -o "w c" wc.stream || fail "installed streamc"
printf 'a\nb\na\n' | timeout 20 "./w c" --batches 1 > wc.out || fail "run: exit $?"
grep -qx '(a,2)' wc.out && grep -qx '(b,1)' wc.out || fail "output: $(cat wc.out)"
mk uninstall >make.out 2>&1 || fail "make uninstall: $(tail -20 make.out)"
left=$(find "$D" ! -type d)
[ -z "$left" ] || fail "left after uninstall: $left"
[ ! -e "$I/lib/streamc" ] && [ ! -e "$I/include/streamc" ] || fail "streamc's directories left"
echo ok
