#!/bin/sh
# SPDX-License-Identifier: MIT
# netns suite: the host is never touched. Snapshots this (the host's) network namespace, only
# reading it: links, addresses, routes (IPv4 and IPv6), the nft ruleset, and the sysctls the
# harness uses (net.ipv4.tcp_*, net.core.somaxconn, net.ipv6.conf.all.*); runs the whole
# catalog; snapshots again and requires both identical. Counters and lifetimes that move on
# their own (addresses' valid_lft, routes' expires) are left out.
#   host-untouched.sh TCPFAULT
tcpfault=$1
dir=$(mktemp -d) || exit 1
trap 'rm -rf "$dir"' EXIT
for tool in ip nft sysctl; do
	command -v "$tool" >/dev/null || { echo "skip: no $tool to read the host with"; exit 77; }
done

snapshot() {
	echo "== links"; ip -d link show | sed 's/^[0-9]*: //'
	echo "== addresses"; ip addr show | grep -v 'valid_lft'
	echo "== routes v4"; ip -4 route show table all
	echo "== routes v6"; ip -6 route show table all | sed 's/ expires [0-9]*sec//'
	echo "== nft"; nft list ruleset 2>&1
	echo "== sysctls"
	sysctl -a 2>/dev/null | grep -E '^net\.(ipv4\.tcp_|core\.somaxconn|ipv6\.conf\.all\.)' | sort
}

snapshot >"$dir/before"
grep -q '^net.ipv4.tcp_retries2' "$dir/before" || { echo "FAILED: the snapshot read no sysctl"; exit 1; }
"$tcpfault" run >"$dir/run" 2>&1
rc=$?
tail -n 3 "$dir/run"
[ "$rc" -eq 3 ] && { echo "skip: this machine cannot make the namespaces"; exit 77; }
snapshot >"$dir/after"
diff -u "$dir/before" "$dir/after" || { echo "FAILED: the host's network configuration changed during the run"; exit 1; }
# A failing scenario is its own test's business; here the catalog must only have run.
[ "$rc" -le 1 ] || { echo "FAILED: the catalog did not run (status $rc)"; cat "$dir/run"; exit 1; }
echo "ok: the catalog ran ($(grep -c '^PASS' "$dir/run") runs passed); the host's links, addresses, routes, nft ruleset and sysctls are unchanged"
