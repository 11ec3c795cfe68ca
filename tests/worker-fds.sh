#!/bin/sh
# SPDX-License-Identifier: MIT
# netns suite: a worker holds no other job's pipe. During a catalog run at -j8, each worker
# (a child of the controller) shares exactly one pipe with the controller, its own; a worker that
# inherited the read ends of the jobs started before it shares more. Pipes this script already
# held are left out (inherited by all). Looked at a few times while the run goes on; the
# controller is then stopped with SIGINT (by its PID).
#   worker-fds.sh TCPFAULT
tcpfault=$1
"$tcpfault" run -j1 --family inet refused >/dev/null 2>&1
[ $? -eq 3 ] && { echo "skip: this machine cannot make the namespaces"; exit 77; }

"$tcpfault" run -j8 --family inet -f json >/dev/null 2>/dev/null &
ctl=$!
pipes() { ls -l /proc/"$1"/fd/ 2>/dev/null | sed -n 's/.* -> \(pipe:.*\)/\1/p' | sort -u; }   # one process a look: the machine is busy
children() { cat /proc/"$1"/task/*/children 2>/dev/null; }   # the kernel's list: no scan of /proc
ours=$(pipes $$)
looked=0 bad=0
for round in 1 2 3 4 5; do
	sleep 0.5
	workers=$(children "$ctl")
	mine=$(pipes "$ctl" | grep -vxF "${ours:-none}")   # after the list: every listed worker's pipe
	for w in $workers; do
		p=$(pipes "$w")
		[ -n "$p" ] || continue    # gone meanwhile
		shared=$(printf '%s\n' "$p" | grep -cxF "$mine")
		looked=$((looked + 1))
		[ "$shared" -gt 1 ] && { echo "worker $w shares $shared pipes with the controller"; bad=1; }
	done
done
kill -INT "$ctl" 2>/dev/null   # ended already: nothing to stop
wait "$ctl"
[ "$looked" -gt 0 ] || { echo "FAILED: no worker seen"; exit 1; }
[ "$bad" -eq 0 ] || { echo "FAILED: a worker holds other jobs' pipes"; exit 1; }
echo "ok: $looked looks at workers, each sharing only its own pipe with the controller"
