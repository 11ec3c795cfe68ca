#!/bin/sh
# SPDX-License-Identifier: MIT
# One leg of the kernel matrix (not yet in the whole suite: see tests/kernels/README): the whole
# catalog (both families), the examples and the netem blackhole inside a QEMU guest booting Debian 12's
# default kernel (the newest linux-image-6.1.*-amd64 of bookworm, found with the matrix's
# private apt state), and fails unless every run passed or was skipped with its reason.
#   kernel-leg.sh BUILD [PKG]
# Exit 77 (skipped) when not root: the guest shares the machine's / and tcpfault makes namespaces.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
build=$1 pkg=${2:-}
if [ "$(id -u)" -ne 0 ]; then
	echo "kernel-leg: needs root (the matrix shares / with the guest)" >&2
	exit 77
fi
cache=${XDG_CACHE_HOME:-/var/tmp}/tcpfault-kernels
if [ -z "$pkg" ]; then
	"$here/kernels/fetch.sh" "$cache" --lists >/dev/null || true
	apt=$cache/apt
	pkg=$(apt-cache -o Dir::Etc::SourceList="$apt/sources.list" -o Dir::Etc::SourceParts="$apt/sources.d" \
		-o Dir::State::Lists="$apt/lists" -o Dir::Cache="$apt" -o Debug::NoLocking=1 \
		show linux-image-amd64 2>/dev/null | grep -o 'linux-image-6\.1\.[0-9]*-[0-9]*-amd64' | sort -uV | tail -n1) || true
	if [ -z "$pkg" ]; then
		echo "kernel-leg: cannot find Debian 12's default kernel package (is deb.debian.org reachable?)" >&2
		exit 1
	fi
fi
# Under the cache, not /tmp: the guest mounts a tmpfs of its own on /tmp, which would hide the
# results share. Kept when the leg fails, for its consoles and reports.
mkdir -p "$cache/results"
out=$(mktemp -d "$cache/results/leg-XXXXXX")
rc=0
"$here/kernels/matrix.sh" -n -b "$build" -o "$out" "$pkg" || rc=$?
if [ "$rc" -ne 0 ]; then
	echo "kernel-leg: the matrix did not finish for $pkg (exit $rc)" >&2
	for f in "$out"/*/console.log; do [ -f "$f" ] && tail -n 20 "$f" >&2; done
	echo "kernel-leg: results kept in $out" >&2
	exit 1
fi
rel=$(head -n1 "$out/columns")
# The table's rows are "SCENARIO FAMILY VERDICT"; its last line is the kernel's summary.
bad=$(awk 'NR > 1 && NF == 3 && $3 != "pass" && $3 != "skipped"' "$out/table")
total=$(awk 'NR > 1 && NF == 3 && ($3 == "pass" || $3 == "skipped")' "$out/table" | wc -l)
if [ -n "$bad" ] || [ "$total" -lt 100 ]; then
	echo "kernel-leg: $rel: runs that did not pass (or too few results: $total):" >&2
	echo "$bad" >&2
	for leg in catalog examples; do
		jq -r '.results[] | select(.verdict != "pass" and .verdict != "skipped") |
			"\(.name) \(.family): \(.failures // [] | join("; "))"' \
			"$out/$rel/$leg.json" 2>/dev/null >&2 || true
	done
	echo "kernel-leg: results kept in $out" >&2
	exit 1
fi
tail -n1 "$out/table"
rm -rf "$out"
