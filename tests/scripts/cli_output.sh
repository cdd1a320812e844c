# streamc -o, --emit-c and --emit-dot: an output path that cannot be written is
# refused by streamc itself (exit 2, one message), before the C compiler
# runs and without touching the input; the temporary C file goes to $TMPDIR.
. "$(dirname "$0")/lib.sh"
printf 'context c { batch = 1s; }\nsource s = stdin();\ns.print();\n' > p.stream
mkdir dir; touch plain
# a C compiler that must not be reached
printf '#!/bin/sh\necho reached >> "%s/cc.log"\nexit 1\n' "$W" > fakecc; chmod +x fakecc
expect() { # expect "MESSAGE" streamc-args...
    local want=$1; shift
    set +e; CC="$W/fakecc" "$STREAMC" "$@" >out 2>err; rc=$?; set -e
    [ "$rc" = 2 ] || fail "streamc $*: exit $rc, expected 2: $(cat err)"
    [ "$(cat err)" = "$want" ] || fail "streamc $*: got '$(cat err)', expected '$want'"
    [ ! -s out ] || fail "streamc $*: wrote to stdout"
}
expect "streamc: error: cannot write the executable 'dir': it is a directory" -o dir p.stream
expect "streamc: error: cannot write the executable 'dir/': it is a directory" -o dir/ p.stream
expect "streamc: error: cannot write the executable 'no/such/dir/x': directory 'no/such/dir': No such file or directory" -o no/such/dir/x p.stream
expect "streamc: error: cannot write the executable 'plain/x': directory 'plain': Not a directory" -o plain/x p.stream
expect "streamc: error: cannot write the executable 'p.stream': it is the input file" -o p.stream p.stream
expect "streamc: error: cannot write the executable './p.stream': it is the input file" -o ./p.stream p.stream
expect "streamc: error: -o needs a file name, not ''" -o '' p.stream
expect "streamc: error: cannot write the generated C 'p.stream': it is the input file" --emit-c p.stream p.stream
expect "streamc: error: cannot write the generated C 'dir': it is a directory" --emit-c dir p.stream
expect "streamc: error: cannot write the generated C 'no/x.c': directory 'no': No such file or directory" --emit-c no/x.c p.stream
expect "streamc: error: --emit-c needs a file name, not ''" --emit-c '' p.stream
expect "streamc: error: cannot write the DAG 'p.stream': it is the input file" --emit-dot p.stream p.stream
expect "streamc: error: cannot write the DAG 'no/x.dot': directory 'no': No such file or directory" --emit-dot no/x.dot p.stream
TMPDIR=$W/none expect "streamc: error: cannot create a temporary file in '$W/none': No such file or directory" -o x p.stream
[ ! -e cc.log ] || fail "the C compiler ran"
[ -d dir ] && [ -z "$(ls dir)" ] && [ -f p.stream ] && [ -f plain ] || fail "files changed"
# the checks let through what can be written: a new file, a file over an
# old one, an absolute path; the C file is made in $TMPDIR
mkdir tmp
TMPDIR=$W/tmp "$STREAMC" -o dir/prog p.stream || fail "dir/prog"
echo old > plain
"$STREAMC" -o "$W/plain" p.stream || fail "over plain"
printf 'a\nb\n' | timeout 20 ./dir/prog --batches 1 >o1 || fail "dir/prog run"
grep -qx a o1 || fail "dir/prog output: $(cat o1)"
printf '#!/bin/sh\nfor a; do case "$a" in *.c) echo "$a" > "%s/cfile";; esac; done\nexec cc "$@"\n' "$W" > logcc; chmod +x logcc
TMPDIR=$W/tmp CC="$W/logcc" "$STREAMC" -o x p.stream || fail "logcc"
case "$(cat cfile)" in "$W/tmp/streamc-"*.c) ;; *) fail "C file not in TMPDIR: $(cat cfile)" ;; esac
[ -z "$(ls tmp)" ] || fail "left in TMPDIR: $(ls tmp)"
echo ok
