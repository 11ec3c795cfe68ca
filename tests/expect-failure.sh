#!/bin/sh
# SPDX-License-Identifier: MIT
# netns suite: a scenario with a wrong expectation must exit 1 and print expected vs observed.
#   expect-failure.sh TCPFAULT FILE EXPECTED-LINE OBSERVED-LINE
tcpfault=$1 file=$2 want_expected=$3 want_observed=$4
out=$("$tcpfault" run -j1 --family inet "$file" 2>&1)
rc=$?
printf '%s\n' "$out"
[ "$rc" -eq 3 ] && exit 77
[ "$rc" -eq 1 ] || { echo "FAILED: exit status $rc, want 1"; exit 1; }
printf '%s\n' "$out" | grep -qF "expected: $want_expected" || { echo "FAILED: no 'expected: $want_expected'"; exit 1; }
printf '%s\n' "$out" | grep -qF "observed: $want_observed" || { echo "FAILED: no 'observed: $want_observed'"; exit 1; }
echo "ok: exit 1 with expected vs observed"
