#!/bin/sh
# SPDX-License-Identifier: MIT
# netns suite: a worker killed (here: stopped with SIGSTOP in its 'wait', then killed at its
# run's limit + 1 s, as in blocked-step.sh) leaves no ring in the kernel tracer's shared map
# (rings, 1024 entries, kept as long as the controller): while the next run goes on, that map
# holds its ring alone. Read with bpftool through the controller's own fd of the map (the one
# of type hash-of-maps, 13), so other tcpfault processes on the machine are not counted.
#   ktrace-killed.sh TCPFAULT BLOCKED-STEP-FILE NEXT-FILE
tcpfault=$1 blocked=$2 next=$3
command -v bpftool >/dev/null || { echo "skip: no bpftool"; exit 77; }
"$tcpfault" run -j1 --family inet refused >/dev/null 2>&1
[ $? -eq 3 ] && { echo "skip: this machine cannot make the namespaces"; exit 77; }
dir=$(mktemp -d) || exit 1
trap 'rm -rf "$dir"' EXIT
chmod 1777 "$dir"                 # the confined program writes its mark there
export TCPFAULT_TEST_MARK="$dir/mark"

"$tcpfault" run -j1 --family inet "$blocked" "$next" >"$dir/out" 2>&1 &
ctl=$!
for i in $(seq 400); do     # at most 20 s for the run to reach its 'wait'
	[ -e "$dir/mark" ] && break
	sleep 0.05
done
[ -e "$dir/mark" ] || { echo "FAILED: the run never reached its wait"; kill "$ctl"; exit 1; }
worker=$(cat /proc/"$ctl"/task/*/children 2>/dev/null | awk '{ print $1 }')
id=
for f in /proc/"$ctl"/fdinfo/*; do
	grep -q '^map_type:[[:space:]]*13$' "$f" 2>/dev/null && id=$(sed -n 's/^map_id:[[:space:]]*//p' "$f")
done
[ -n "$id" ] || { kill "$ctl"; wait "$ctl"; echo "skip: no kernel tracer in this build or on this kernel"; exit 77; }
kill -STOP "$worker"
max=0 looked=0
for i in $(seq 400); do     # at most 40 s: the kill comes at 11 s
	kill -0 "$ctl" 2>/dev/null || break
	n=$(bpftool map dump id "$id" 2>/dev/null | grep -c '"key"\|^key')
	looked=$((looked + 1))
	[ "$n" -gt "$max" ] && max=$n
	sleep 0.1
done
wait "$ctl"
cat "$dir/out"
grep -q '^PASS ' "$dir/out" || { echo "FAILED: the run after the killed one did not pass"; exit 1; }
[ "$max" -le 1 ] || { echo "FAILED: the tracer's rings map held $max rings (a killed worker's left in it)"; exit 1; }
echo "ok: $looked looks at the rings map, never more than one ring in it"
