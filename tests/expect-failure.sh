#!/bin/sh
# SPDX-License-Identifier: MIT
# netns suite: a scenario that must not pass exits 1 and says why.
#   expect-failure.sh TCPFAULT FILE EXPECTED-LINE OBSERVED-LINE [TEXT...]
#       a FAIL: the kernel did not do what the file says; expected vs observed side by side,
#       and each TEXT in the output
#   expect-failure.sh TCPFAULT FILE TEXT
#       an ERROR (the harness would not let it pass) whose message contains TEXT
tcpfault=$1 file=$2
. "$(dirname "$0")/reach.sh"
reach "$tcpfault" "$file"
out=$("$tcpfault" run -j1 --family inet $privileged "$file" 2>&1)
rc=$?
printf '%s\n' "$out"
[ "$rc" -eq 3 ] && exit 77
[ "$rc" -eq 1 ] || { echo "FAILED: exit status $rc, want 1"; exit 1; }
if [ $# -eq 3 ]; then
	printf '%s\n' "$out" | grep -q '^ERROR ' || { echo "FAILED: no ERROR line"; exit 1; }
	printf '%s\n' "$out" | grep -qF "$3" || { echo "FAILED: no '$3'"; exit 1; }
	echo "ok: exit 1, an error naming it"
	exit 0
fi
printf '%s\n' "$out" | grep -qF "expected: $3" || { echo "FAILED: no 'expected: $3'"; exit 1; }
printf '%s\n' "$out" | grep -qF "observed: $4" || { echo "FAILED: no 'observed: $4'"; exit 1; }
shift 4
for text; do
	printf '%s\n' "$out" | grep -qF "$text" || { echo "FAILED: no '$text'"; exit 1; }
done
echo "ok: exit 1 with expected vs observed"
