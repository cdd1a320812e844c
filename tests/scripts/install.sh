# make install into a temporary DESTDIR with a temporary PREFIX: the
# installed streamc compiles and runs a program; streamrt.pc builds the
# generated C; the man pages render and the completion loads; moved to its
# PREFIX, a streamc copied anywhere finds the runtime through the PREFIX
# compiled into it; make uninstall leaves no file behind.
. "$(dirname "$0")/lib.sh"
BUILD=${BUILD:-build}
case $BUILD in /*) B=$BUILD ;; *) B=$ROOT/$BUILD ;; esac
# a copy of the build tree, so that only streamc is relinked (for PREFIX)
mkdir bt
cp -a "$B/obj" "$B/bin" "$B/lib" "$B/include" bt/
P=$W/prefix D=$W/dest
mk() { make -s -C "$ROOT" BUILD="$W/bt" SAN="${SAN:-}" PREFIX="$P" DESTDIR="$D" "$@"; }
mk install >make.out 2>&1 || fail "make install: $(tail -20 make.out)"
I=$D$P
for f in bin/streamc lib/streamc/libstreamrt.a include/streamc/streamrt.h include/streamc/st_map.h include/streamc/st_gen.h \
         lib/pkgconfig/streamrt.pc share/man/man1/streamc.1 share/man/man1/streamc-run.1 \
         share/bash-completion/completions/streamc; do
    [ -f "$I/$f" ] || fail "not installed: $f"
done
[ -x "$I/bin/streamc" ] || fail "streamc not executable"
[ ! -e "$P" ] || fail "installed outside DESTDIR"
# the PREFIX (not DESTDIR) is compiled in and written in streamrt.pc
grep -aq "$P" "$I/bin/streamc" || fail "PREFIX not in streamc"
grep -qx "prefix=$P" "$I/lib/pkgconfig/streamrt.pc" || fail "streamrt.pc: $(cat "$I/lib/pkgconfig/streamrt.pc")"
printf 'context c { batch = 1s; }\nsource s = stdin();\ns.map(l => (l, 1)).reduceByKey((a, b) => a + b).print();\n' > wc.stream
env -u STREAMC_RUNTIME "$I/bin/streamc" -o wc wc.stream || fail "installed streamc"
printf 'a\nb\na\n' | timeout 20 ./wc --batches 1 > wc.out || fail "run: exit $?"
grep -qx '(a,2)' wc.out && grep -qx '(b,1)' wc.out || fail "output: $(cat wc.out)"
# pkg-config: the generated C built with the flags streamrt.pc gives
if command -v pkg-config >/dev/null; then
    export PKG_CONFIG_PATH=$I/lib/pkgconfig PKG_CONFIG_SYSROOT_DIR=$D
    [ "$(pkg-config --modversion streamrt)" = "$("$I/bin/streamc" --version | cut -d' ' -f2)" ] || fail "pc version"
    "$I/bin/streamc" --emit-c wc.c wc.stream
    cc -std=gnu11 ${CFLAGS:-} $(pkg-config --cflags streamrt) -o wc2 wc.c $(pkg-config --libs streamrt) || fail "cc with pkg-config"
    printf 'a\nb\na\n' | timeout 20 ./wc2 --batches 1 > wc2.out && [ "$(grep "^(" wc.out)" = "$(grep "^(" wc2.out)" ] || fail "pkg-config build: $(cat wc2.out)"
    unset PKG_CONFIG_PATH PKG_CONFIG_SYSROOT_DIR
else
    fail "pkg-config not installed (Debian: pkgconf)"
fi
MANWIDTH=80 man -l "$I/share/man/man1/streamc.1" 2>/dev/null | grep -q 'compile a .stream pipeline' || fail "installed man page"
bash -c ". '$I/share/bash-completion/completions/streamc' && complete -p streamc" >/dev/null || fail "installed completion"
# at its PREFIX, a copy of streamc elsewhere finds the runtime there
mv "$I" "$P"
mkdir elsewhere && cp "$P/bin/streamc" elsewhere/
env -u STREAMC_RUNTIME ./elsewhere/streamc -o wc3 wc.stream || fail "streamc away from its prefix"
printf 'a\nb\na\n' | timeout 20 ./wc3 --batches 1 > wc3.out && [ "$(grep "^(" wc.out)" = "$(grep "^(" wc3.out)" ] || fail "wc3"
mv "$P" "$I"
mv "$I/lib/streamc" "$W/aside"
set +e; env -u STREAMC_RUNTIME ./elsewhere/streamc -o wc4 wc.stream 2>err; rc=$?; set -e
[ "$rc" = 2 ] && grep -q 'cannot find the runtime' err || fail "no runtime: exit $rc $(cat err)"
mv "$W/aside" "$I/lib/streamc"
mk uninstall >make.out 2>&1 || fail "make uninstall: $(tail -20 make.out)"
left=$(find "$D" ! -type d)
[ -z "$left" ] || fail "left after uninstall: $left"
[ ! -e "$I/lib/streamc" ] && [ ! -e "$I/include/streamc" ] || fail "streamc's directories left"
echo ok
