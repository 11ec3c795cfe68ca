#!/bin/sh
# SPDX-License-Identifier: MIT
# netns suite: an exec'd server that never becomes ready must fail the run (exit 1) within its
# readiness bound, with a message that names the readiness condition.
#   exec-never-ready.sh TCPFAULT FILE
tcpfault=$1 file=$2
command -v socat >/dev/null || { echo "skip: socat is not installed (tests/setup-debian.sh installs it)"; exit 77; }
start=$(date +%s%N)
. "$(dirname "$0")/reach.sh"
reach "$tcpfault" "$file"
out=$("$tcpfault" run -j1 --family inet $privileged "$file" 2>&1)
rc=$?
ms=$(( ($(date +%s%N) - start) / 1000000 ))
printf '%s\n' "$out"
[ "$rc" -eq 3 ] && exit 77
[ "$rc" -eq 1 ] || { echo "FAILED: exit status $rc, want 1"; exit 1; }
want='server.web not ready: no LISTEN socket on port 8080 within 1000 ms (readiness: await listen)'
printf '%s\n' "$out" | grep -qF "$want" || { echo "FAILED: no '$want'"; exit 1; }
printf '%s\n' "$out" | grep -qF "observed: LISTEN :8081; server.web is still running" || { echo "FAILED: no observed line"; exit 1; }
# The bound is 1 s; the sandbox takes a fraction of a second: far less than the file's 10 s timeout.
[ "$ms" -lt 5000 ] || { echo "FAILED: took $ms ms, want under 5000"; exit 1; }
echo "ok: exit 1 after $ms ms, naming the readiness condition"
