# man/streamc.1 and man/streamc-run.1: groff and mandoc find nothing to
# warn about, man -l renders them, and they name every option that
# `streamc --help` and a generated program's --help list (and every
# warning name), so that the pages follow the options.
. "$(dirname "$0")/lib.sh"
M=$ROOT/man
command -v groff >/dev/null || fail "groff not installed (Debian: groff-base)"
command -v mandoc >/dev/null || fail "mandoc not installed (Debian: mandoc)"
for p in "$M/streamc.1" "$M/streamc-run.1"; do
    groff -man -z -ww "$p" 2>g.err || fail "groff $p"
    [ ! -s g.err ] || fail "groff warns on $p: $(cat g.err)"
    mandoc -T lint -W warning "$p" >m.err 2>&1 || fail "mandoc $p: $(cat m.err)"
    [ ! -s m.err ] || fail "mandoc warns on $p: $(cat m.err)"
    MANWIDTH=80 man -l "$p" 2>r.err | col -b > "$(basename "$p").txt" || fail "man -l $p"
    [ ! -s r.err ] || fail "man -l $p: $(cat r.err)"
done
grep -q '^NAME$' streamc.1.txt && grep -q 'streamc - compile a .stream pipeline' streamc.1.txt || fail "streamc.1 NAME"
grep -q 'streamc-run - options of the executables' streamc-run.1.txt || fail "streamc-run.1 NAME"
# every option of the usage texts is in its page
"$STREAMC" --help | grep '^  -' | grep -o -- '-[-a-zA-Z][-a-zA-Z]*' | sort -u > opts
[ "$(wc -l < opts)" -gt 10 ] || fail "streamc --help: $(cat opts)"
while read -r o; do grep -q -- "$o" streamc.1.txt || fail "streamc.1 lacks $o"; done < opts
for w in $("$STREAMC" --help | sed -n '/^ *NAME: /,/window-gap/p' | sed 's/NAME://; s/(these [a-z]*: unused)//' | tr -s ' ' '\n' | grep -- '-' ); do
    grep -q "^ *$w\$" streamc.1.txt || fail "streamc.1 lacks warning $w"
done
printf 'param out = "o";\ncontext c { batch = 1s; }\nsource s = stdin();\ns.saveAsTextFiles(out);\n' > p.stream
build p
./p --help | grep '^  -' | grep -o -- '--[a-z][a-z-]*' | sort -u > ropts
[ "$(wc -l < ropts)" -gt 5 ] || fail "./p --help: $(cat ropts)"
while read -r o; do grep -q -- "$o" streamc-run.1.txt || fail "streamc-run.1 lacks $o"; done < ropts
echo ok
