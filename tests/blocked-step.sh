#!/bin/sh
# SPDX-License-Identifier: MIT
# netns suite: a step that blocks in the harness (here: its worker stopped with SIGSTOP during
# the file's 'wait', as a worker stuck in a syscall would be) is stopped at the run's limit
# (10 s) + 1 s, not at the controller's backstop (limit + 15 s), and the error names the step's
# line and how long it blocked. Signals only the worker of the run it started, by PID, once the
# run's mark file shows it is past its setup (no sleep to order it: setup took 4 s under load).
# (The worker may still be in the await of line 10 when stopped: either line is named.)
#   blocked-step.sh TCPFAULT FILE
tcpfault=$1 file=$2
dir=$(mktemp -d) || exit 1
trap 'rm -rf "$dir"' EXIT
chmod 1777 "$dir"                 # the confined program writes its mark there
export TCPFAULT_TEST_MARK="$dir/mark"
"$tcpfault" run -j1 --family inet refused >/dev/null 2>&1
[ $? -eq 3 ] && { echo "skip: this machine cannot make the namespaces"; exit 77; }

start=$(date +%s%N)
"$tcpfault" run -j1 --family inet -f json -o "$dir/r.json" "$file" 2>/dev/null &
ctl=$!
worker=
for i in $(seq 100); do     # at most 5 s for the worker to appear
	worker=$(cat /proc/"$ctl"/task/*/children 2>/dev/null | awk '{ print $1 }')
	[ -n "$worker" ] && break
	sleep 0.05
done
[ -n "$worker" ] || { echo "FAILED: no worker seen"; kill "$ctl"; exit 1; }
for i in $(seq 400); do     # at most 20 s for the run to reach its 'wait' (line 11)
	[ -e "$dir/mark" ] && break
	sleep 0.05
done
[ -e "$dir/mark" ] || { echo "FAILED: the run never reached its wait"; kill "$ctl"; exit 1; }
kill -STOP "$worker"
wait "$ctl"
rc=$?
ms=$(( ($(date +%s%N) - start) / 1000000 ))
why=$(jq -r '.results[0].failures[0]' "$dir/r.json")
echo "exit $rc after $ms ms: $why"
[ "$rc" -eq 1 ] || { echo "FAILED: exit status $rc, not 1"; exit 1; }
echo "$why" | grep -q "blocked-step.tcpf:1[01]: this step blocked for [0-9]* ms and was stopped: the run's time limit (10000 ms)" ||
	{ echo "FAILED: the error does not name the step"; exit 1; }
[ "$ms" -lt 16000 ] || { echo "FAILED: stopped after $ms ms, not near the limit + 1 s"; exit 1; }
echo "ok: stopped after $ms ms, naming the step"
