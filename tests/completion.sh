#!/bin/bash
# SPDX-License-Identifier: MIT
# The bash completion against the built tcpfault: commands, options read from each command's
# --help, --format's values, catalog and example names.
#   completion.sh COMPLETION_FILE TCPFAULT
set -u
source "$1" || exit 1
tcpfault=$2
status=0
# expect "WORDS" INCLUDED...: completing the last of WORDS offers each INCLUDED word.
expect() {
	local line=$1; shift
	read -ra COMP_WORDS <<<"$line"
	[[ $line == *' ' ]] && COMP_WORDS+=("")
	COMP_WORDS[0]=$tcpfault
	COMP_CWORD=$((${#COMP_WORDS[@]} - 1))
	_tcpfault
	for want in "$@"; do
		if [[ " ${COMPREPLY[*]} " != *" $want "* ]]; then
			echo "FAIL '$line': '$want' not offered (offered: ${COMPREPLY[*]:-nothing})" >&2
			status=1
		fi
	done
}
expect "tcpfault " list run explain check sweep
expect "tcpfault r" run
expect "tcpfault run --pc" --pcap-dir
expect "tcpfault run --" --format --jobs --family --repeat --shard --timeout --output --verbose
expect "tcpfault explain --fam" --family
expect "tcpfault list -" --all
expect "tcpfault run --format " text json junit tap html mermaid
expect "tcpfault run --family in" inet inet6
expect "tcpfault run sig" sigkill sigterm
expect "tcpfault explain -v curl-socat-bl" curl-socat-blackhole
expect "tcpfault sweep --" --server --client --port --faults --moments --deadline --emit --format --jobs --expect
expect "tcpfault sweep --faults " sigkill blackhole reboot-rst accept-overflow-drop accept-overflow-reset unreachable all \
	idle-timeout-drop idle-timeout-reset pmtu-blackhole zero-window syn-loss rst-injection
expect "tcpfault sweep --expect " detected
expect "tcpfault run --obs" --observe
expect "tcpfault run --observe " auto shim trace none
expect "tcpfault sweep --observe t" trace
expect "tcpfault sweep --faults sigkill,bl" sigkill,blackhole
expect "tcpfault sweep --moments " before-connect handshake mid-transfer idle
expect "tcpfault sweep --format " text json junit html
# Nothing but the matching names: 'sig' offers no 'refused'.
expect "tcpfault run sig"
[[ " ${COMPREPLY[*]} " == *" refused "* ]] && { echo "FAIL 'run sig' offers refused" >&2; status=1; }
[ $status -eq 0 ] && echo "ok: completion"
exit $status
