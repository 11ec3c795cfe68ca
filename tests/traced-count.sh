#!/bin/sh
# SPDX-License-Identifier: MIT
# netns suite: the tracer reports every call of one kind a test program made, as the program
# counts them on its stdout ("WORD N"): the reports of CALL by PROGRAM in the JSON number N, and N
# is at least MIN (fewer could not tell).
#   traced-count.sh TCPFAULT FILE PROGRAM CALL WORD MIN
# traced-forks: every child of a program forking while another of its threads opens TCP sockets
# (tests/fork-race.c: so_error, "with-socket N"; with commit f45f466's logic taken out 31 to 41
# of some 580 children were unobserved in each of 4 runs of 20 rounds, 54 of 711 in the meson
# test; with it none in 6 runs). traced-handoff: every shutdown on a socket a thread opened and
# handed to another through memory while being signalled (tests/handoff-client.c: "handed N").
tcpfault=$1 file=$2 program=$3 call=$4 word=$5 min=$6
. "$(dirname "$0")/reach.sh"
reach "$tcpfault" "$file"
out=$(mktemp) || exit 1
trap 'rm -f "$out"' EXIT
"$tcpfault" run -j1 --family inet $privileged --format json -o "$out" "$file"
rc=$?
[ "$rc" -eq 3 ] && { echo "skip: this machine lacks what the scenario needs (see above)"; exit 77; }
[ "$rc" -eq 0 ] || { echo "FAILED: exit status $rc"; jq -c '.results[].failures' "$out"; exit 1; }
want=$(jq -r --arg p "$program" '.results[0].programs[] | select(.name == $p) | .stdout' "$out" |
	sed -n "s/.*$word \([0-9]*\).*/\1/p")
got=$(jq --arg p "$program" --arg c "$call" '[.results[0].syscalls[] | select(.peer == $p and .call == $c)] | length' "$out")
echo "$program said $word ${want:-nothing}; $call reported: $got"
[ -n "$want" ] && [ "$want" -ge "$min" ] || { echo "FAILED: fewer than $min to tell"; exit 1; }
[ "$got" -eq "$want" ] || { echo "FAILED: $((want - got)) calls unobserved"; exit 1; }
echo "ok: every call observed"
