#!/bin/bash
# SPDX-License-Identifier: MIT
# netns suite: runs tests/data/exec-fds.tcpf (an exec'd program lists its open fds: only 0, 1, 2
# and the shim's socket, moved to 512) with nothing but 0, 1 and 2 open, so that what the program sees
# beyond them is what the harness leaked, not what this test's own parent left open. With
# 'files', the run also writes a capture file (--pcap-dir) and its report to a file (-o),
# whose fds must not leak either.
#   exec-fds.sh TCPFAULT FILE [files]
tcpfault=$1 file=$2
# bash: sh (dash) takes no fd above 9 in a redirection.
for fd in $(ls "/proc/$$/fd/"); do
	[ "$fd" -gt 2 ] && exec {fd}>&-
done
# ...then one that tcpfault itself inherits (a root shell's 'exec 7<FILE'): not the program's.
exec 7</dev/null
files=$3
set -- "$file"
if [ "$files" = files ]; then
	dir=$(mktemp -d) || exit 1
	trap 'rm -rf "$dir"' EXIT
	set -- --pcap-dir "$dir" -o "$dir/report" "$file"
fi
. "$(dirname "$0")/reach.sh"
reach "$tcpfault" "$file"
"$tcpfault" run -j1 $privileged "$@"
rc=$?
[ "$files" = files ] && cat "$dir/report"
[ "$rc" -eq 3 ] && { echo "skip: this machine lacks what the scenario needs (see above)"; exit 77; }
exit "$rc"
