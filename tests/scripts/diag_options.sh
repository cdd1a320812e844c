# Warning options (-Wno-NAME, -WNAME, -Werror, -Werror=NAME, -Wno-error=NAME,
# -w, unknown names) and --color=auto|always|never with NO_COLOR: exact
# stderr and exit status.
. "$(dirname "$0")/lib.sh"
cp "$ROOT/tests/diag/warnings.stream" w.stream
run() { # run WANT_EXIT streamc-args... (stderr in err)
    local want=$1; shift
    set +e; NO_COLOR=1 "$STREAMC" "$@" --check w.stream >out 2>err; rc=$?; set -e
    [ "$rc" = "$want" ] || fail "streamc $*: exit $rc, expected $want: $(cat err)"
}
heads() { grep -E '^(w\.stream|streamc):|generated\.$' err || true; }
run 0
[ "$(heads)" = "w.stream:4:24: warning: window slide 4s is longer than the window 2s: records between windows are left out [-Wwindow-gap]
w.stream:3:8: warning: source 'spare' is never used [-Wunused-source]
w.stream:5:8: warning: stream 'dead' is never used [-Wunused-stream]
3 warnings generated." ] || fail "default: $(cat err)"
run 1 -Werror
[ "$(heads)" = "w.stream:4:24: error: window slide 4s is longer than the window 2s: records between windows are left out [-Werror=window-gap]
w.stream:3:8: error: source 'spare' is never used [-Werror=unused-source]
w.stream:5:8: error: stream 'dead' is never used [-Werror=unused-stream]
streamc: all warnings being treated as errors
3 errors generated." ] || fail "-Werror: $(cat err)"
run 1 -Werror=unused-stream -Wno-window-gap
[ "$(heads)" = "w.stream:3:8: warning: source 'spare' is never used [-Wunused-source]
w.stream:5:8: error: stream 'dead' is never used [-Werror=unused-stream]
streamc: some warnings being treated as errors
1 warning and 1 error generated." ] || fail "-Werror=NAME: $(cat err)"
run 0 -Werror -Wno-error=unused-source -Wno-error=unused-stream -Wno-error=window-gap
grep -q '^3 warnings generated\.$' err || fail "-Wno-error=: $(cat err)"
run 0 -Wno-unused
[ "$(heads)" = "w.stream:4:24: warning: window slide 4s is longer than the window 2s: records between windows are left out [-Wwindow-gap]
1 warning generated." ] || fail "-Wno-unused: $(cat err)"
run 0 -Wno-unused -Wunused-stream
[ "$(heads)" = "w.stream:4:24: warning: window slide 4s is longer than the window 2s: records between windows are left out [-Wwindow-gap]
w.stream:5:8: warning: stream 'dead' is never used [-Wunused-stream]
2 warnings generated." ] || fail "-WNAME: $(cat err)"
run 0 -w -Werror
[ ! -s err ] || fail "-w: $(cat err)"
run 0 -Wall -Wextra
grep -q '^3 warnings generated\.$' err || fail "-Wall: $(cat err)"
run 0 -Wno-unused -Wall
grep -q '^1 warning generated\.$' err || fail "-Wno-unused -Wall: $(cat err)"
for bad in -Wfoo -Wno-foo -Werror=foo -W -Wno-error=; do
    run 2 "$bad"
    [ "$(cat err)" = "streamc: error: unknown warning option '$bad' (see --help)" ] || fail "$bad: $(cat err)"
done
# -Werror stops the build: no executable
set +e; "$STREAMC" -Werror -o prog w.stream 2>/dev/null; rc=$?; set -e
[ "$rc" = 1 ] && [ ! -e prog ] || fail "-Werror compile: exit $rc"
# colour: always/never whatever the terminal; auto on a terminal unless NO_COLOR
esc=$(printf '\033')
"$STREAMC" --color=always --check w.stream 2>err; grep -q "$esc\[" err || fail "--color=always"
grep -q "\[$esc\[1;35m-Wwindow-gap$esc\[0m\]" err || fail "--color=always option: $(cat -v err | head -1)"
"$STREAMC" --color=never --check w.stream 2>err; ! grep -q "$esc" err || fail "--color=never"
"$STREAMC" --color=auto --check w.stream 2>err; ! grep -q "$esc" err || fail "--color=auto, not a terminal"
NO_COLOR=1 "$STREAMC" --color=always --check w.stream 2>err; grep -q "$esc" err || fail "always beats NO_COLOR"
script -qec "env -u NO_COLOR $STREAMC --color=auto --check w.stream" /dev/null > tty.out </dev/null
grep -q "$esc\[1;35mwarning" tty.out || fail "auto on a terminal: $(cat -v tty.out | head -2)"
script -qec "env NO_COLOR=1 $STREAMC --check w.stream" /dev/null > tty.out </dev/null
grep -q 'warning' tty.out && ! grep -q "$esc" tty.out || fail "NO_COLOR on a terminal: $(cat -v tty.out | head -2)"
script -qec "env NO_COLOR= $STREAMC --check w.stream" /dev/null > tty.out </dev/null
grep -q "$esc" tty.out || fail "empty NO_COLOR on a terminal"
for bad in --color=sometimes --color= -fdiagnostics-format=xml; do
    set +e; "$STREAMC" "$bad" --check w.stream 2>err; rc=$?; set -e
    [ "$rc" = 2 ] || fail "$bad: exit $rc"
done
echo ok
