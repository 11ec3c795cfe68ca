#!/bin/sh
# SPDX-License-Identifier: MIT
# netns suite: a peer (tcpfault-peer) inherits no fd that whoever started tcpfault left open
# without close-on-exec: started here with fd 9 open on a file of this test's, no peer seen
# while the run goes on holds that file (fd 9 or another: the peer's own sockets are not
# looked at).
#   peer-fds.sh TCPFAULT FILE
tcpfault=$1 file=$2
"$tcpfault" run -j1 --family inet refused >/dev/null 2>&1
[ $? -eq 3 ] && { echo "skip: this machine cannot make the namespaces"; exit 77; }

mark=$(mktemp)
trap 'rm -f "$mark"' EXIT
exec 9<"$mark"
"$tcpfault" run -j1 --family inet "$file" >/dev/null 2>&1 &
ctl=$!
exec 9<&-
below() {   # every descendant of $1 (the kernel's children lists: no scan of /proc)
	for c in $(cat /proc/"$1"/task/*/children 2>/dev/null); do
		echo "$c"
		below "$c"
	done
}
looked=0 bad=0
for round in 1 2 3 4 5 6; do
	sleep 0.3
	for p in $(below "$ctl"); do
		[ "$(cat /proc/"$p"/comm 2>/dev/null)" = tcpfault-peer ] || continue
		fds=$(ls -l /proc/"$p"/fd/ 2>/dev/null)
		[ -n "$fds" ] || continue    # gone meanwhile
		looked=$((looked + 1))
		printf '%s\n' "$fds" | grep -qF -- "-> $mark" && { echo "peer $p holds $mark:"; echo "$fds"; bad=1; }
	done
done
wait "$ctl"
[ "$looked" -gt 0 ] || { echo "FAILED: no peer seen"; exit 1; }
[ "$bad" -eq 0 ] || { echo "FAILED: a peer holds an fd it was not given"; exit 1; }
echo "ok: $looked looks at peers, none holding the fd this script left open"
