# each bad --param: its exact message on stderr, exit 2, no output written
set -e
t() {
    want=$1; shift
    rc=0; ./prog "$@" >out.txt 2>err.txt || rc=$?
    [ "$rc" = 2 ] || { echo "exit $rc for $*"; exit 1; }
    [ ! -s out.txt ]
    [ "$(cat err.txt)" = "$want" ] || { echo "for $*:"; cat err.txt; exit 1; }
}
t "prog: error: --param: the program has no param 'prot' (its params: host port speed again out ext)" --param prot=1
t "prog: error: --param port (int): '80x' is not an integer" --param port=80x
t "prog: error: --param port (int): '' is not an integer" --param port=
t "prog: error: --param speed (int): 0 is out of range: the rate of file() must be >= 1" --param speed=0
t "prog: error: --param again (bool): 'yes' is not true or false" --param again=yes
t "prog: error: --param out (string): must not be empty (it is the prefix of saveAsTextFiles())" --param out=
t "prog: error: --param ext (string): 'a/b' cannot hold '/' (it is the suffix of saveAsTextFiles(), which ends the name of each batch's directory, PREFIX-TIME.SUFFIX)" --param ext=a/b
t "prog: error: --param: 'host' given twice" --param host=a --param host=b
t "prog: error: --param needs NAME=VALUE, not 'port'" --param port
t "prog: error: --param needs NAME=VALUE, not '=1'" --param =1
t "prog: error: option '--param' needs a value" --param
[ ! -e res ]
