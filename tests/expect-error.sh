#!/bin/sh
# SPDX-License-Identifier: MIT
# netns suite: a scenario the harness must not let pass ends as an ERROR (exit 1) whose message
# contains TEXT.
#   expect-error.sh TCPFAULT FILE TEXT
tcpfault=$1 file=$2 want=$3
out=$("$tcpfault" run -j1 --family inet "$file" 2>&1)
rc=$?
printf '%s\n' "$out"
[ "$rc" -eq 3 ] && exit 77
[ "$rc" -eq 1 ] || { echo "FAILED: exit status $rc, want 1"; exit 1; }
printf '%s\n' "$out" | grep -q '^ERROR ' || { echo "FAILED: no ERROR line"; exit 1; }
printf '%s\n' "$out" | grep -qF "$want" || { echo "FAILED: no '$want'"; exit 1; }
echo "ok: exit 1, an error naming it"
