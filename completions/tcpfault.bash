# SPDX-License-Identifier: MIT
# Bash completion for tcpfault: its commands; each command's options, read from
# 'tcpfault COMMAND --help' so they follow the program; the values of --format, --family and --observe;
# catalog and example names (from 'tcpfault list --all') and scenario files for run, explain
# and check; sweep's faults and moments (from 'tcpfault sweep --help'). Installed to share/bash-completion/completions/tcpfault (loaded on demand).

_tcpfault()
{
	local cur=${COMP_WORDS[COMP_CWORD]} prev=${COMP_WORDS[COMP_CWORD-1]}
	local prog=${COMP_WORDS[0]} cmd="" i
	for ((i = 1; i < COMP_CWORD; i++)); do
		case ${COMP_WORDS[i]} in
		list|run|explain|check|sweep) cmd=${COMP_WORDS[i]}; break ;;
		esac
	done
	COMPREPLY=()
	if [[ -z $cmd ]]; then
		COMPREPLY=($(compgen -W 'list run explain check sweep --help --version' -- "$cur"))
		return
	fi
	case $prev in
	-f|--format)
		if [[ $cmd == sweep ]]; then
			COMPREPLY=($(compgen -W 'text json junit html' -- "$cur"))
		else
			COMPREPLY=($(compgen -W 'text json junit tap html mermaid' -- "$cur"))
		fi
		return ;;
	--faults|--moments)
		# The names 'sweep --help' lists after the option, comma separated: complete the last.
		local names
		names=$("$prog" sweep --help 2>/dev/null | awk -v o="$prev" '$1 == o { p = 1; print; next } p && /^ +[^ -]/ { print; next } { p = 0 }' |
			grep -oE '[a-z][a-z-]+[a-z]' | grep -vxE "${prev#--}|all|default|comma|separated")
		local head=${cur%,*} tail=${cur##*,}
		[[ $cur == *,* ]] && head="$head," || head=""
		COMPREPLY=($(compgen -P "$head" -W "$names all" -- "$tail"))
		return ;;
	--server|--client|--port|--ready|--deadline) return ;;
	--emit) compopt -o filenames 2>/dev/null; COMPREPLY=($(compgen -d -- "$cur")); return ;;
	--family) COMPREPLY=($(compgen -W 'inet inet6 both' -- "$cur")); return ;;
	--expect) COMPREPLY=($(compgen -W 'detected' -- "$cur")); return ;;
	--observe) COMPREPLY=($(compgen -W 'auto shim trace none' -- "$cur")); return ;;
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
	[[ $cmd == list || $cmd == sweep ]] && return
	local names=""
	[[ $cmd != check ]] && names=$("$prog" list --all 2>/dev/null | awk '/^  [a-z0-9]/ { print $1 }')
	compopt -o filenames 2>/dev/null
	COMPREPLY=($(compgen -W "$names" -- "$cur") $(compgen -f -X '!*.tcpf' -- "$cur") $(compgen -d -- "$cur"))
}
complete -F _tcpfault tcpfault
