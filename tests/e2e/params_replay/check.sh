# the prefix given with --param, not the default
set -e
[ ! -e none ]
[ "$(ls res)" = "$(printf 'counts-1000.txt\ncounts-2000.txt')" ]
[ "$(cat res/counts-1000.txt/part-*)" = "$(printf '(a,3)\n(b,1)\n(extra,1)')" ]
[ "$(cat res/counts-2000.txt/part-*)" = "$(printf '(b,1)\n(c,1)')" ]
[ -f res/counts-2000.txt/_SUCCESS ]
# --help lists the params with their defaults, and the sources as bound
./prog --param input=extra.txt --help | sed -n '/^params/,$p' > help.out
cat > help.want <<'WANT'
params (--param NAME=VALUE):
  input                string, default "missing.txt"  [the path of file()]
  out                  string, default "none/counts"  [the prefix of saveAsTextFiles()]
  port                 int, default 9999  [the port of socket()]

sources:
  lines                socket("localhost", 9999)  [context t]
  extra                file("extra.txt")  [context t]
WANT
diff help.want help.out
