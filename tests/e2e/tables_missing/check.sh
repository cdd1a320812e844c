# a directory, and a file that exists but cannot be read as one
set -e
mkdir -p adir
rc=0; ./prog --replay lines=lines.replay --param stops=adir >out.txt 2>err.txt || rc=$?
[ "$rc" = 1 ] || { echo "exit $rc"; exit 1; }
[ ! -s out.txt ]
[ "$(cat err.txt)" = "prog: error: table 'stop': cannot read adir: Is a directory" ] || { cat err.txt; exit 1; }
# with the file there, it runs
printf 'b\n' > ok.txt
./prog --replay lines=lines.replay --param stops=ok.txt >out.txt 2>err.txt
[ ! -s err.txt ]
[ "$(sed -n 4p out.txt)" = "a" ] || { cat out.txt; exit 1; }
