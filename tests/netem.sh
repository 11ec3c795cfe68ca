#!/bin/sh
# SPDX-License-Identifier: MIT
# netns suite: a netem blackhole passes where the kernel has netem; where it has not, tcpfault
# exits 3 and names netem (never a silent pass, never a plain failure).
#   netem.sh TCPFAULT FILE
out=$("$1" run -j1 --family inet "$2" 2>&1)
rc=$?
printf '%s\n' "$out"
case $rc in
0) echo "ok: netem present and the scenario passed" ;;
3) printf '%s\n' "$out" | grep -q "no netem qdisc" || { echo "FAILED: exit 3 without naming netem"; exit 1; }
   echo "ok: netem absent, reported with exit 3" ;;
*) echo "FAILED: exit status $rc (want 0, or 3 where netem is missing)"; exit 1 ;;
esac
