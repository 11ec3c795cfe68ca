#!/bin/sh
# SPDX-License-Identifier: MIT
# A file that could only fail when run is refused before any run: 'check' and 'run' exit 2 with
# FILE:LINE:COL and the reason (no privilege needed: nothing runs).
#   check-refuses.sh TCPFAULT FILE TEXT     (TEXT: what follows FILE in the message)
tcpfault=$1 file=$2 want=$3
for cmd in check run; do
	out=$("$tcpfault" $cmd "$file" 2>&1)
	rc=$?
	printf '%s: %s\n' "$cmd" "$out"
	[ "$rc" -eq 2 ] || { echo "FAILED: $cmd: exit status $rc, want 2"; exit 1; }
	printf '%s\n' "$out" | grep -qF "$file$want" || { echo "FAILED: $cmd: no '$file$want'"; exit 1; }
done
echo "ok: refused by check and run, exit 2"
