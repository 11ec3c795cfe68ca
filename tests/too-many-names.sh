#!/bin/sh
# SPDX-License-Identifier: MIT
# check refuses a host's socket name past what its peer holds (PEER_MAX_SOCKS), at that name's
# line, with exit 2; the names before it are accepted. The file is made here: LIMIT + 1 names.
#   too-many-names.sh TCPFAULT LIMIT
tcpfault=$1 limit=$2
dir=$(mktemp -d) || exit 1
trap 'rm -rf "$dir"' EXIT
f=$dir/too-many-names.tcpf
{
	echo "# check refuses socket name $((limit + 1)) on one host: the peer holds $limit."
	echo "summary $((limit + 1)) socket names on one host are refused"
	echo "timeout 10s"
	i=1
	while [ "$i" -le $((limit + 1)) ]; do
		echo "client.s$i socket"
		i=$((i + 1))
	done
} >"$f"
"$(dirname "$0")/check-refuses.sh" "$tcpfault" "$f" \
	":$((limit + 4)):1: 'client.s$((limit + 1))' is socket name $((limit + 1)) on client: a host's peer holds at most $limit" || exit 1
# One fewer is accepted.
sed -i '$d' "$f"
"$tcpfault" check "$f" || { echo "FAILED: $limit names refused"; exit 1; }
