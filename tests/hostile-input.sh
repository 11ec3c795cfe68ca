#!/bin/sh
# SPDX-License-Identifier: MIT
# unit suite: hostile files are refused cleanly by `tcpfault check`: exit status 2 and an error
# that names FILE:LINE:COL, never a crash or a hang (each check is bounded by timeout(1)).
# Huge (over 1 MiB), binary (NUL, control bytes), not a regular file (a FIFO, a directory, a
# device), an overlong line, too many words on a line, too many steps.
#   hostile-input.sh TCPFAULT
tcpfault=$1
dir=$(mktemp -d) || exit 1
trap 'rm -rf "$dir"' EXIT

head -c 2000000 /dev/zero | tr '\0' 'a' >"$dir/huge.tcpf"
printf 'mode B2\nsummary x\0client socket\n' >"$dir/nul.tcpf"
printf 'mode B2\nsummary x\nclient \001\002 socket\n' >"$dir/control.tcpf"
head -c 4096 /dev/urandom >"$dir/random.tcpf"
mkfifo "$dir/fifo.tcpf"
mkdir "$dir/dir.tcpf"
awk 'BEGIN { printf "mode B2\nsummary x\nclient write "; for (i = 0; i < 5000; i++) printf "9"; print "" }' >"$dir/long-line.tcpf"
awk 'BEGIN { printf "mode B2\nsummary x\nclient"; for (i = 0; i < 100; i++) printf " socket"; print "" }' >"$dir/many-words.tcpf"
awk 'BEGIN { print "mode B2\nsummary x"; for (i = 0; i < 5000; i++) print "client socket" }' >"$dir/many-steps.tcpf"
awk 'BEGIN { print "mode B2"; for (i = 0; i < 100; i++) print "summary xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx" }' >"$dir/long-header.tcpf"

bad=0
for f in "$dir"/*.tcpf /dev/zero; do
	timeout 10 "$tcpfault" check "$f" >"$dir/out" 2>"$dir/err"
	rc=$?
	first=$(head -n 1 "$dir/err")
	case $rc:$first in
	2:"$f":[0-9]*:[0-9]*:\ *) echo "ok: $(basename "$f"): $first" ;;
	*) echo "FAILED: $f: exit status $rc, stderr '$first' (want 2 and $f:LINE:COL: ...)"; bad=1 ;;
	esac
done
exit $bad
