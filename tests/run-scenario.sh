#!/bin/sh
# SPDX-License-Identifier: MIT
# netns suite: runs scenarios in real namespaces with the built tcpfault. Exit 77 (skip) only
# where this machine cannot make the namespaces (tcpfault's exit 3 says what is missing).
#   run-scenario.sh TCPFAULT [run options] NAME|FILE...
tcpfault=$1; shift
. "$(dirname "$0")/reach.sh"
reach "$tcpfault" "$@"
"$tcpfault" run -j1 $privileged "$@"
rc=$?
[ "$rc" -eq 3 ] && { echo "skip: this machine lacks what the scenario needs (see above)"; exit 77; }
exit "$rc"
