#!/bin/bash
# SPDX-License-Identifier: MIT
# netns suite: a limit of the machine is named as such. Under 'ulimit -n 10' a run cannot make
# its sandbox; the error must say EMFILE (libnl's own code once made it "Input/output error").
#   fd-limit.sh TCPFAULT FILE
tcpfault=$1 file=$2
# Only 0, 1 and 2 open, so that the limit means the same under any parent (bash: sh takes no
# fd above 9 in a redirection).
for fd in $(ls "/proc/$$/fd/"); do
	[ "$fd" -gt 2 ] && exec {fd}>&-
done
"$tcpfault" run -j1 --family inet "$file" >/dev/null 2>&1
[ $? -eq 3 ] && { echo "skip: this machine cannot make the namespaces"; exit 77; }
out=$(ulimit -n 10 && "$tcpfault" run -j1 --family inet "$file" 2>&1)
rc=$?
printf '%s\n' "$out"
[ "$rc" -eq 1 ] || { echo "FAILED: exit status $rc, not 1"; exit 1; }
printf '%s\n' "$out" | grep -q "Too many open files (EMFILE" || { echo "FAILED: EMFILE is not named"; exit 1; }
printf '%s\n' "$out" | grep -q "Input/output error" && { echo "FAILED: an Input/output error"; exit 1; }
echo "ok: EMFILE named"
