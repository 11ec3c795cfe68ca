#!/bin/sh
# SPDX-License-Identifier: MIT
# netns suite: every wait is bounded.
#  1. A peer that ignores its commands (a stand-in that never answers) is killed and the run
#     ends as an error naming the step (FILE:LINE and the operation), not as a fail.
#  2. --timeout caps a run: a read awaited 'within 50s' under --timeout 1s ends as an error
#     at the time limit within seconds, and the next scenario of the same run still passes.
#   bounded-waits.sh TCPFAULT SIGKILL-FILE READ-FOREVER-FILE
tcpfault=$1 sigkill=$2 forever=$3
dir=$(mktemp -d) || exit 1
trap 'rm -rf "$dir"' EXIT

# 1. The stand-in peer notes that it ran and sleeps without reading fd 3. The worker runs in a
#    PID namespace of its own with its own /proc, so the peer's PID means nothing here: it is
#    found afterwards by its command line, which names this test's own folder.
printf '#!/bin/sh\ntouch "%s/ran.$$"\nsleep 600\n' "$dir" >"$dir/peer"
chmod +x "$dir/peer"
start=$(date +%s)
TCPFAULT_PEER=$dir/peer "$tcpfault" run -j1 --family inet --format json "$sigkill" >"$dir/r.json" 2>"$dir/err"
rc=$?
cat "$dir/r.json" "$dir/err"
[ "$rc" -eq 3 ] && { echo "skip: this machine cannot make the namespaces"; exit 77; }
[ "$rc" -eq 1 ] || { echo "FAILED: a hung peer: exit status $rc, want 1"; exit 1; }
grep -q '"verdict":"error"' "$dir/r.json" || { echo "FAILED: a hung peer must give verdict error"; exit 1; }
grep -q 'sigkill.tcpf:[0-9]*: error: server socket: the server peer answered neither' "$dir/r.json" ||
	{ echo "FAILED: the error does not name the step (FILE:LINE: error: server socket: ...)"; exit 1; }
[ $(($(date +%s) - start)) -le 15 ] || { echo "FAILED: a hung peer took more than 15 s"; exit 1; }
ls "$dir"/ran.* >/dev/null 2>&1 || { echo "FAILED: the stand-in peer never ran"; exit 1; }
for p in /proc/[0-9]*; do
	cmd=$(tr '\0' ' ' <"$p/cmdline" 2>/dev/null)
	case $cmd in *"$dir/peer"*) ;; *) continue ;; esac
	# A zombie is dead; only a live process counts (its reaper may be PID 1).
	st=$(sed -n 's/^State:[[:space:]]*\(.\).*/\1/p' "$p/status" 2>/dev/null)
	[ -z "$st" ] || [ "$st" = Z ] || { echo "FAILED: the hung peer ${p#/proc/} is still alive ($st)"; exit 1; }
done
echo "ok 1: a hung peer was killed and reported as an error naming the step"

# 2. --timeout: the long read ends at 1 s as an error; sigkill, next in the run, passes.
start=$(date +%s)
"$tcpfault" run -j1 --family inet --timeout 1s "$forever" "$sigkill" >"$dir/t.txt"
rc=$?
cat "$dir/t.txt"
[ "$rc" -eq 1 ] || { echo "FAILED: --timeout: exit status $rc, want 1"; exit 1; }
[ $(($(date +%s) - start)) -le 10 ] || { echo "FAILED: --timeout 1s: the run took more than 10 s"; exit 1; }
grep -q "read-forever.tcpf:[0-9]*: error: the run's time limit (1000 ms) ran out" "$dir/t.txt" ||
	{ echo "FAILED: no error naming the time limit and the step"; exit 1; }
grep -q '^ERROR read-forever (inet)' "$dir/t.txt" || { echo "FAILED: read-forever is not an error"; exit 1; }
grep -q '^PASS  sigkill (inet)' "$dir/t.txt" || { echo "FAILED: sigkill after it did not pass"; exit 1; }
"$tcpfault" run --timeout 0s "$sigkill" >/dev/null 2>&1
[ $? -eq 2 ] || { echo "FAILED: --timeout 0s must be refused (exit 2)"; exit 1; }
echo "ok 2: --timeout ended the run at its limit as an error; the next scenario ran"
