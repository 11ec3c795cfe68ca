# SPDX-License-Identifier: MIT
# Bash completion for tcpfault: its commands; each command's options, read from
# 'tcpfault COMMAND --help' so they follow the program; the values of --format and --family;
# catalog and example names (from 'tcpfault list --all') and scenario files for run, explain
# and check. Installed to share/bash-completion/completions/tcpfault (loaded on demand).

_tcpfault()
{
	local cur=${COMP_WORDS[COMP_CWORD]} prev=${COMP_WORDS[COMP_CWORD-1]}
	local prog=${COMP_WORDS[0]} cmd="" i
	for ((i = 1; i < COMP_CWORD; i++)); do
		case ${COMP_WORDS[i]} in
		list|run|explain|check) cmd=${COMP_WORDS[i]}; break ;;
		esac
	done
	COMPREPLY=()
	if [[ -z $cmd ]]; then
		COMPREPLY=($(compgen -W 'list run explain check --help --version' -- "$cur"))
		return
	fi
	case $prev in
	-f|--format) COMPREPLY=($(compgen -W 'text json junit tap html mermaid' -- "$cur")); return ;;
	--family) COMPREPLY=($(compgen -W 'inet inet6 both' -- "$cur")); return ;;
	-o|--output|--pcap-dir)
		compopt -o filenames 2>/dev/null
		if [[ $prev == --pcap-dir ]]; then
			COMPREPLY=($(compgen -d -- "$cur"))
		else
			COMPREPLY=($(compgen -f -- "$cur"))
		fi
		return ;;
	-j|--jobs|--repeat|--shard|--timeout|--snaplen) return ;;
	esac
	if [[ $cur == -* ]]; then
		local opts
		opts=$("$prog" "$cmd" --help 2>/dev/null | grep -oE '(^|[ ,])--?[a-z][a-z-]*' | tr -d ' ,' | sort -u)
		COMPREPLY=($(compgen -W "$opts" -- "$cur"))
		return
	fi
	[[ $cmd == list ]] && return
	local names=""
	[[ $cmd != check ]] && names=$("$prog" list --all 2>/dev/null | awk '/^  [a-z0-9]/ { print $1 }')
	compopt -o filenames 2>/dev/null
	COMPREPLY=($(compgen -W "$names" -- "$cur") $(compgen -f -X '!*.tcpf' -- "$cur") $(compgen -d -- "$cur"))
}
complete -F _tcpfault tcpfault
