# completion/streamc.bash: sourced in bash, it registers _streamc for
# streamc and completes options, their values and .stream files.
. "$(dirname "$0")/lib.sh"
. "$ROOT/completion/streamc.bash"
[ "$(complete -p streamc)" = "complete -F _streamc streamc" ] || fail "not registered: $(complete -p streamc 2>&1)"
# comp WORD... : the completions of the last word, sorted, one line
comp() {
    COMP_WORDS=("$@")
    COMP_CWORD=$(($# - 1))
    COMPREPLY=()
    _streamc
    printf '%s\n' "${COMPREPLY[@]}" | LC_ALL=C sort | tr '\n' ' ' | sed 's/ $//'
}
check() { # check "EXPECTED" WORD...
    local want=$1; shift
    local got; got=$(comp "$@")
    [ "$got" = "$want" ] || fail "completing '$*': got '$got', expected '$want'"
}
mkdir -p apps/sub
touch apps/wordcount.stream apps/words.txt apps/web.stream top.stream notes.md
check "--check --color=" streamc --c
check "-Wno-dead-stream -Wno-error= -Wno-unused -Wno-unused-param -Wno-unused-source -Wno-unused-stream -Wno-unused-table -Wno-unused-val -Wno-unused-window -Wno-window-gap" streamc -Wno
check "-fdiagnostics-color= -fdiagnostics-format=" streamc -fd
check "always auto" streamc --color = a
check "always auto never" streamc --color =
check "json" streamc -fdiagnostics-format = j
check "unused-source unused-stream" streamc -Werror = unused-s
check "--color=always --color=auto" streamc --color=a
check "-Wno-error=window-gap" streamc -Wno-error=w
check "apps/web.stream apps/wordcount.stream" streamc apps/w
check "apps/sub apps/web.stream apps/wordcount.stream" streamc apps/
check "top.stream" streamc t
# after -o any file name
check "apps/web.stream apps/wordcount.stream apps/words.txt" streamc -o apps/w
# the same through compgen, as bash's own machinery calls it
COMP_WORDS=(streamc --dump); COMP_CWORD=1
[ "$(compgen -F _streamc 2>/dev/null)" = "--dump-ast" ] || fail "compgen -F: '$(compgen -F _streamc 2>&1)'"
echo ok
