#!/bin/sh
# SPDX-License-Identifier: MIT
# netns suite: a scenario that needs what this kernel lacks exits 3 with 'missing' naming it.
#   missing.sh TCPFAULT FILE TEXT
out=$("$1" run -j1 --format json "$2" 2>&1)
rc=$?
printf '%s\n' "$out"
[ "$rc" -eq 3 ] || { echo "FAILED: exit status $rc, want 3"; exit 1; }
printf '%s\n' "$out" | grep -q "\"missing\":\"[^\"]*$3" || { echo "FAILED: no 'missing' naming $3"; exit 1; }
echo "ok: exit 3, missing names $3"
