# cs-tip(1) completion                                     -*- shell-script -*-
# Options come from `cs-tip --help`, so they follow the command; see cs(7).

_comp_cmd_cs_tip()
{
    local cur prev words cword comp_args split=false was_split="" opts
    if declare -F _comp_initialize >/dev/null; then
        _comp_initialize -s -- "$@" || return    # bash-completion >= 2.12
    else
        _init_completion -s || return            # bash-completion 2.11
    fi

    case $prev in
        -h | --help | -V | --version | -w | --wait)
            return
            ;;
        --invalidate | --reconsider)
            # a block hash (display hex): nothing to offer
            return
            ;;
        -s | --store)
            _filedir -d
            return
            ;;
        -f | --format)
            COMPREPLY=($(compgen -W 'cbor json text hex raw' -- "$cur"))
            return
            ;;
    esac

    [[ $split == true || $was_split ]] && return

    # No operands: always offer the options, from --help's option list if it
    # has one, else from its usage.
    opts=$(_parse_help "$1")
    [[ $opts ]] || opts=$(_parse_usage "$1" --help)
    COMPREPLY=($(compgen -W "$opts" -- "$cur"))
    [[ ${COMPREPLY-} == *= ]] && compopt -o nospace
} &&
    complete -F _comp_cmd_cs_tip cs-tip

# ex: filetype=sh
