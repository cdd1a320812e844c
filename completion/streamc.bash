# bash completion for streamc: options, their values, .stream files.
# Installed by `make install` as PREFIX/share/bash-completion/completions/streamc.

_streamc()
{
    local cur prev words
    cur=${COMP_WORDS[COMP_CWORD]}
    prev=
    [ "$COMP_CWORD" -gt 0 ] && prev=${COMP_WORDS[COMP_CWORD - 1]}
    local warnings="unused-source unused-stream unused-window dead-stream unused-param unused-val unused-table window-gap unused"

    # OPTION=VALUE: bash splits at '=' (COMP_WORDBREAKS), so the option is
    # before a '=' word
    # (or, without '=' in COMP_WORDBREAKS, one word OPTION=VALUE)
    local opt= pre=
    if [ "$cur" = "=" ]; then
        opt=$prev
        cur=
    elif [ "$prev" = "=" ] && [ "$COMP_CWORD" -gt 1 ]; then
        opt=${COMP_WORDS[COMP_CWORD - 2]}
    elif [[ $cur == -*=* ]]; then
        opt=${cur%%=*}
        pre=$opt=
        cur=${cur#*=}
    fi
    local values=
    case $opt in
    --color | -fdiagnostics-color) values="auto always never" ;;
    -fdiagnostics-format) values="text json" ;;
    -Werror | -Wno-error) values=$warnings ;;
    esac
    if [ -n "$values" ]; then
        COMPREPLY=($(compgen -P "$pre" -W "$values" -- "$cur"))
        return
    fi

    case $prev in
    -o | --emit-c)
        COMPREPLY=($(compgen -f -- "$cur"))
        return ;;
    esac

    if [[ $cur == -* ]]; then
        local w opts="-o --check --emit-c --no-line --dump-ast -w -Werror -Werror= -Wno-error= -Wall -Wextra
                      -fdiagnostics-format= -fdiagnostics-color= --color= --version --help"
        for w in $warnings; do
            opts="$opts -W$w -Wno-$w"
        done
        COMPREPLY=($(compgen -W "$opts" -- "$cur"))
        # no space after an option that takes =VALUE
        if [ "${#COMPREPLY[@]}" = 1 ] && [[ ${COMPREPLY[0]} == *= ]]; then
            compopt -o nospace 2>/dev/null
        fi
        return
    fi
    # input files: .stream files and directories to descend into
    local IFS=$'\n'
    COMPREPLY=($(compgen -f -X '!*.stream' -- "$cur") $(compgen -d -- "$cur"))
    compopt -o filenames 2>/dev/null
}
complete -F _streamc streamc
