#!/bin/sh
# SPDX-License-Identifier: MIT
# unit suite: hostile files are refused cleanly by `tcpfault check`: exit status 2 and an error
# that names FILE:LINE:COL, never a crash or a hang (each check is bounded by timeout(1)).
# Huge (over 1 MiB), binary (NUL, control bytes), not a regular file (a FIFO, a directory, a
# device), an overlong line, too many words on a line, too many steps, socket operations that
# need more peer commands than a run sends. Then `tcpfault run` refuses, before any namespace is
# made, what would give no run or unusable captures (exit status 2), and notes an empty shard
# (exit status 0).
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
awk 'BEGIN { print "mode B2\nsummary x"; for (i = 0; i < 17000; i++) print "hold client" }' >"$dir/many-steps.tcpf"
awk 'BEGIN { print "mode B2\nsummary x"; for (i = 0; i < 8200; i++) print "client connect server 1" }' >"$dir/many-commands.tcpf"
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

# run: each case is the exit status wanted, a text its stderr must hold, and the arguments.
# --shard 3/3 keeps even a regression from running anything (at most 2 jobs below).
mkdir "$dir/a" "$dir/b"
printf 'mode B2\nsummary x\nfamily inet\nclient read 1\n' >"$dir/a/same.tcpf"
cp "$dir/a/same.tcpf" "$dir/b/same.tcpf"
touch "$dir/afile"
while IFS='|' read -r want text args; do
	# shellcheck disable=SC2086 # the arguments are words
	timeout 10 "$tcpfault" run $args >"$dir/out" 2>"$dir/err"
	rc=$?
	if [ "$rc" = "$want" ] && grep -qF -- "$text" "$dir/err"; then
		echo "ok: run $args: $(head -n 1 "$dir/err")"
	else
		echo "FAILED: run $args: exit status $rc, stderr '$(head -n 1 "$dir/err")' (want $want and '$text')"
		bad=1
	fi
done <<EOF
2|nothing to run: --family inet6 leaves no run|--family inet6 $dir/a/same.tcpf
0|note: --shard 3/3: nothing to run in this shard (1 job in all)|--shard 3/3 $dir/a/same.tcpf
2|afile: not a directory|--shard 3/3 --pcap-dir $dir/afile $dir/a/same.tcpf
2|/a/same.tcpf and $dir/b/same.tcpf are both named 'same'|--shard 3/3 --pcap-dir $dir/caps $dir/a/same.tcpf $dir/b/same.tcpf
2|/a/same.tcpf is given twice|--shard 3/3 --pcap-dir $dir/caps $dir/a/same.tcpf $dir/a/same.tcpf
EOF
exit $bad
