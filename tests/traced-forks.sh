#!/bin/sh
# SPDX-License-Identifier: MIT
# netns suite: every child of a program forking while another of its threads opens TCP sockets
# is observed by the tracer (tests/fork-race.c, tests/data/traced-forks.tcpf): the so_error
# reports in the JSON number the children that had a socket, as fork-race counts them. Measured
# with commit f45f466's logic taken out: 31 to 41 of some 580 children unobserved in each of 4
# runs of 20 rounds (54 of 711 in the meson test); with it, none in 6 runs, each run 2 to 5 s
# (3 to 9 s at load 4 to 5 beside a QEMU guest: now 12 rounds).
#   traced-forks.sh TCPFAULT FILE
tcpfault=$1 file=$2
. "$(dirname "$0")/reach.sh"
reach "$tcpfault" "$file"
out=$(mktemp) || exit 1
trap 'rm -f "$out"' EXIT
"$tcpfault" run -j1 --family inet $privileged --format json -o "$out" "$file"
rc=$?
[ "$rc" -eq 3 ] && { echo "skip: this machine lacks what the scenario needs (see above)"; exit 77; }
[ "$rc" -eq 0 ] || { echo "FAILED: exit status $rc"; jq -c '.results[].failures' "$out"; exit 1; }
want=$(jq -r '.results[0].programs[] | select(.name == "client.fr") | .stdout' "$out" | sed -n 's/.*with-socket \([0-9]*\).*/\1/p')
got=$(jq '[.results[0].syscalls[] | select(.peer == "client.fr" and .call == "so_error")] | length' "$out")
echo "children with a socket: $want; so_error reported: $got"
[ -n "$want" ] && [ "$want" -gt 100 ] || { echo "FAILED: too few children with a socket to tell"; exit 1; }
[ "$got" -eq "$want" ] || { echo "FAILED: $((want - got)) children unobserved"; exit 1; }
echo "ok: every child observed"
