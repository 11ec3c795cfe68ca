#!/bin/sh
# SPDX-License-Identifier: MIT
# netns suite: each result's "hosts" gives every host the addresses the sandbox gave it. The
# scenarios run in both families with captures; in each capture, every TCP segment, in order,
# must have gone between the addresses the JSON gives its sender and receiver in the run's
# family (what was on the wire, not a table copied from netns.c), and every host must have
# both addresses, none twice. Then the text report's hosts line with -v (and explain's) names
# the same addresses. Skips (77) where namespaces cannot be made or jq or tcpdump is missing.
#   host-addresses.sh TCPFAULT FILE...
tcpfault=$1; shift
command -v jq >/dev/null || { echo "skip: no jq (apt-get install jq)"; exit 77; }
command -v tcpdump >/dev/null || { echo "skip: no tcpdump (apt-get install tcpdump)"; exit 77; }
dir=$(mktemp -d) || exit 1
trap 'rm -rf "$dir"' EXIT

"$tcpfault" run -j2 --format json --pcap-dir "$dir" -o "$dir/r.json" "$@"
rc=$?
[ "$rc" -eq 3 ] && { echo "skip: this machine lacks what the scenarios need"; exit 77; }
[ "$rc" -eq 0 ] || { echo "FAILED: exit status $rc"; exit 1; }

# Both families' addresses for every host, each address once in the run.
bad=$(jq -r '.results[] | select((.hosts | length) < 2
	or any(.hosts[]; (.inet | type) != "string" or (.inet6 | type) != "string")
	or ([.hosts[] | .inet, .inet6] | length) != ([.hosts[] | .inet, .inet6] | unique | length))
	| "\(.name) (\(.family)): \(.hosts)"' "$dir/r.json") || exit 1
[ -z "$bad" ] || { echo "FAILED: hosts without both addresses, or sharing one:"; echo "$bad"; exit 1; }

runs=0
for run in $(jq -r '.results[] | "\(.name):\(.family)"' "$dir/r.json"); do
	name=${run%:*} fam=${run#*:}
	# From the JSON: "SRC DST FLAGS" of each TCP segment in order, its sender's and receiver's
	# names turned into their addresses.
	jq -r --arg n "$name" --arg f "$fam" '.results[] | select(.name == $n and .family == $f) |
		(.hosts | map({ (.name): .[$f] }) | add) as $a |
		.packets[] | select(.kind == "tcp") | "\($a[.from]) \($a[.to]) \(.flags)"' "$dir/r.json" >"$dir/want"
	# From the capture, in its order: "IP 198.18.0.1.40000 > 198.18.0.2.5000: Flags [S], ...".
	tcpdump -nn -r "$dir/$name-$fam.pcap" tcp 2>/dev/null |
		awk '($2 == "IP" || $2 == "IP6") && $6 == "Flags" {
			sub(/\.[0-9]+$/, "", $3); sub(/\.[0-9]+:$/, "", $5); gsub(/[][,]/, "", $7); print $3, $5, $7 }' >"$dir/got"
	[ -s "$dir/got" ] || { echo "FAILED: $name ($fam): no TCP segment in its capture"; exit 1; }
	if ! diff -u "$dir/want" "$dir/got"; then
		echo "FAILED: $name ($fam): the JSON's host addresses (-) are not those on the wire (+)"
		exit 1
	fi
	runs=$((runs + 1))
	echo "ok: $name ($fam): $(wc -l <"$dir/got") segments; $(cut -d' ' -f1,2 "$dir/got" | sort -u | tr '\n' ';')"
done
[ "$runs" -ge 4 ] || { echo "FAILED: only $runs runs"; exit 1; }

# The text report names the same addresses: -v for the first file in IPv4, explain in IPv6.
for fam in inet inet6; do
	line=$(jq -r --arg f "$fam" '[.results[] | select(.family == $f)][0] |
		"      hosts: " + (.hosts | map("\(.name) \(.[$f])") | join(", "))' "$dir/r.json")
	if [ $fam = inet ]; then
		"$tcpfault" run -v --family $fam "$1" >"$dir/text"
	else
		"$tcpfault" explain --family $fam "$1" >"$dir/text"
	fi
	grep -qxF "$line" "$dir/text" || { echo "FAILED: no line '$line' in the text report:"; cat "$dir/text"; exit 1; }
	echo "ok: text ($fam):$line"
done
