#!/bin/sh
# SPDX-License-Identifier: MIT
# netns suite: --pcap-dir writes one capture per scenario and family, and tcpdump reads in it
# the same packets, in the same order with the same TCP flags, as the JSON report lists.
#   pcap.sh TCPFAULT FILE...
tcpfault=$1; shift
dir=$(mktemp -d) || exit 1
trap 'rm -rf "$dir"' EXIT
command -v tcpdump >/dev/null || { echo "skip: no tcpdump (apt-get install tcpdump)"; exit 77; }
for f in "$@"; do
	name=$(basename "$f" .tcpf)
	for fam in inet inet6; do
		"$tcpfault" run -j1 --family $fam --format json --pcap-dir "$dir" "$f" >"$dir/r.json"
		rc=$?
		[ "$rc" -eq 3 ] && exit 77
		[ "$rc" -eq 0 ] || { echo "FAILED: $name ($fam) did not pass"; exit 1; }
		pcap="$dir/$name-$fam.pcap"
		[ -s "$pcap" ] || { echo "FAILED: no capture $pcap"; exit 1; }
		want=$(grep -o '"flags":"[^"]*"' "$dir/r.json" | sed 's/"flags":"\(.*\)"/\1/' | tr '\n' ' ')
		got=$(tcpdump -nr "$pcap" 2>/dev/null | sed -n 's/.*Flags \[\([^]]*\)\].*/\1/p' | tr '\n' ' ')
		[ -n "$want" ] && [ "$want" = "$got" ] ||
			{ printf 'FAILED: %s (%s)\n  json:    %s\n  tcpdump: %s\n' "$name" $fam "$want" "$got"; exit 1; }
		echo "ok: $name ($fam): $(echo $got | wc -w) packets, the same in the pcap and the JSON"
	done
done
