# --help lists the params and the table as bound
set -e
./prog --param rates=rates.txt --param sep== --help | sed -n '/^params/,$p' > help.out
cat > help.want <<'WANT'
params (--param NAME=VALUE):
  rates                string, default "missing.tsv"  [the path of file()]
  sep                  string, default ";"  [the sep of file()]

sources:
  orders               socket("localhost", 9999)  [context t]

tables:
  rate                 file(path = "rates.txt", sep = "=")
WANT
diff help.want help.out
# an empty separator is a usage error
rc=0; ./prog --param sep= --help >out.txt 2>err.txt || rc=$?
[ "$rc" = 2 ]
[ "$(cat err.txt)" = "prog: error: --param sep (string): must not be empty (it is the sep of file())" ] || { cat err.txt; exit 1; }
