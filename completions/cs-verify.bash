# cs-verify(1) completion                                     -*- shell-script -*-
# Options come from `cs-verify --help`, so they follow the command; see cs(7).

_comp_cmd_cs_verify()
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
        -s | --store)
            _filedir -d
            return
            ;;
        -f | --format)
            COMPREPLY=($(compgen -W 'cbor json text' -- "$cur"))
            return
            ;;
        --input)
            COMPREPLY=($(compgen -W 'hex json cbor raw' -- "$cur"))
            return
            ;;
    esac

    [[ $split == true || $was_split ]] && return

    if [[ $cur == -* ]]; then
        # An option list if --help has one, else the options of its usage.
        opts=$(_parse_help "$1")
        [[ $opts ]] || opts=$(_parse_usage "$1" --help)
        COMPREPLY=($(compgen -W "$opts" -- "$cur"))
        [[ ${COMPREPLY-} == *= ]] && compopt -o nospace
        return
    fi

    _filedir
} &&
    complete -F _comp_cmd_cs_verify cs-verify

# ex: filetype=sh
