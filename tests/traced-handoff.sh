#!/bin/sh
# SPDX-License-Identifier: MIT
# netns suite: every call on a TCP socket that a thread opened and handed to another through
# memory while being signalled is observed by the tracer (tests/handoff-client.c,
# tests/data/traced-handoff.tcpf): the shutdown reports in the JSON number the sockets handed
# over, as handoff-client counts them, and the program's signals all arrived (it checks).
#   traced-handoff.sh TCPFAULT FILE
tcpfault=$1 file=$2
. "$(dirname "$0")/reach.sh"
reach "$tcpfault" "$file"
out=$(mktemp) || exit 1
trap 'rm -f "$out"' EXIT
"$tcpfault" run -j1 --family inet $privileged --format json -o "$out" "$file"
rc=$?
[ "$rc" -eq 3 ] && { echo "skip: this machine lacks what the scenario needs (see above)"; exit 77; }
[ "$rc" -eq 0 ] || { echo "FAILED: exit status $rc"; jq -c '.results[].failures' "$out"; exit 1; }
want=$(jq -r '.results[0].programs[] | select(.name == "client.ho") | .stdout' "$out" | sed -n 's/.*handed \([0-9]*\).*/\1/p')
got=$(jq '[.results[0].syscalls[] | select(.peer == "client.ho" and .call == "shutdown")] | length' "$out")
echo "sockets handed over: $want; shutdown reported: $got"
[ -n "$want" ] && [ "$want" -gt 0 ] || { echo "FAILED: no socket handed over"; exit 1; }
[ "$got" -eq "$want" ] || { echo "FAILED: $((want - got)) calls unobserved"; exit 1; }
echo "ok: every call observed"
