# streamc killed while the C compiler runs (SIGINT, SIGTERM, SIGHUP): its
# temporary C file is removed, the compiler gets the signal too, and
# streamc ends by that signal.
. "$(dirname "$0")/lib.sh"
printf 'context c { batch = 1s; }\nsource s = stdin();\ns.print();\n' > p.stream
# a C compiler that reports its C file and pid, then hangs until killed
printf '#!/bin/sh\nfor a; do case "$a" in *.c) c=$a;; esac; done\necho "$$ $c" > "%s/cc.info.tmp"\nmv "%s/cc.info.tmp" "%s/cc.info"\nexec sleep 120\n' "$W" "$W" "$W" > slowcc
chmod +x slowcc
mkdir tmp
wait_for() { # wait_for TEST... : polls until true, 20 s at most
    for _ in $(seq 1 400); do "$@" && return 0; sleep 0.05; done
    return 1
}
gone() { ! kill -0 "$1" 2>/dev/null; }
for sig in INT TERM HUP; do
    rm -f cc.info
    # background jobs of a script ignore SIGINT: give streamc the default
    env --default-signal=INT TMPDIR="$W/tmp" CC="$W/slowcc" "$STREAMC" -o prog p.stream 2>err &
    pid=$!
    wait_for test -f cc.info || fail "$sig: the C compiler did not start"
    read -r ccpid cfile < cc.info
    case "$cfile" in "$W/tmp/streamc-"*.c) ;; *) fail "$sig: C file '$cfile' not in TMPDIR" ;; esac
    [ -f "$cfile" ] || fail "$sig: no C file while compiling"
    kill -s "$sig" "$pid"
    set +e; wait "$pid"; rc=$?; set -e
    want=$((128 + $(kill -l "$sig")))
    [ "$rc" = "$want" ] || fail "$sig: streamc exit $rc, expected $want ($(cat err))"
    [ ! -e "$cfile" ] || fail "$sig: $cfile left behind"
    [ -z "$(ls tmp)" ] || fail "$sig: left in TMPDIR: $(ls tmp)"
    wait_for gone "$ccpid" || { kill "$ccpid"; fail "$sig: the C compiler was not stopped"; }
done
echo ok
