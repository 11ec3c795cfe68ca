#!/bin/sh
# SPDX-License-Identifier: MIT
# netns suite: a netem blackhole passes where the kernel has netem; where it has not, the run
# is skipped naming netem and tcpfault exits 3 (never a silent pass, never a plain failure or
# error), in every format (missing.sh).
#   netem.sh TCPFAULT FILE
out=$("$1" run -j1 --family inet "$2" 2>&1)
rc=$?
printf '%s\n' "$out"
case $rc in
0) echo "ok: netem present and the scenario passed" ;;
3) printf '%s\n' "$out" | grep -q "^SKIP .*this machine lacks: .*no netem qdisc" ||
	{ echo "FAILED: exit 3 without a SKIP line naming netem"; exit 1; }
   sh "$(dirname "$0")/missing.sh" "$1" "$2" "no netem qdisc" || exit 1
   echo "ok: netem absent, the run skipped with exit 3" ;;
*) echo "FAILED: exit status $rc (want 0, or 3 where netem is missing)"; exit 1 ;;
esac
