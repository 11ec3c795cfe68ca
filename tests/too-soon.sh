#!/bin/sh
# SPDX-License-Identifier: MIT
# netns suite: a scenario whose 'after N' floor is not met fails "too soon" with the figures:
# exit 1, "expected: after N ms", and an observed figure that is below N.
# With NAME, the floor counts from the packet so named ('after N from NAME'), and says so.
#   too-soon.sh TCPFAULT FILE N [NAME]
tcpfault=$1 file=$2 floor=$3 from=${4:-}
out=$("$tcpfault" run -j1 --family inet "$file" 2>&1)
rc=$?
printf '%s\n' "$out"
[ "$rc" -eq 3 ] && exit 77
[ "$rc" -eq 1 ] || { echo "FAILED: exit status $rc, want 1"; exit 1; }
printf '%s\n' "$out" | grep -q ': too soon$' || { echo "FAILED: no 'too soon'"; exit 1; }
printf '%s\n' "$out" | grep -qE "^ *expected: after $floor ms${from:+ from $from \\(the packet line [0-9]+ awaited\\)}$" ||
	{ echo "FAILED: no 'expected: after $floor ms${from:+ from $from (the packet line N awaited)}'"; exit 1; }
seen=$(printf '%s\n' "$out" | sed -n 's/^ *observed: after \([0-9][0-9.]*\) ms$/\1/p')
[ -n "$seen" ] || { echo "FAILED: no 'observed: after X ms'"; exit 1; }
awk -v x="$seen" -v n="$floor" 'BEGIN { exit !(x + 0 < n + 0) }' ||
	{ echo "FAILED: observed $seen ms is not below the floor of $floor ms"; exit 1; }
echo "ok: too soon, observed $seen ms against a floor of $floor ms"
