#!/bin/sh
# SPDX-License-Identifier: MIT
# unit suite (no privilege): a catalog folder (TCPFAULT_SCENARIOS) with more scenario files than
# tcpfault takes (512) is an error, exit status 2 naming the folder and the limit, for 'list'
# and for 'run' of the whole catalog; never a list silently cut at 512. 512 files are fine.
#   catalog-cap.sh TCPFAULT SCENARIO-FILE
tcpfault=$1 file=$2
dir=$(mktemp -d) || exit 1
trap 'rm -rf "$dir"' EXIT
i=1
while [ "$i" -le 512 ]; do
	cp "$file" "$dir/s$i.tcpf" || exit 1
	i=$((i + 1))
done
n=$(TCPFAULT_SCENARIOS=$dir "$tcpfault" list | wc -l)
[ "$n" -ge 512 ] || { echo "FAILED: 512 files: $n lines listed"; exit 1; }
echo "ok 1: 512 files listed"

cp "$file" "$dir/s513.tcpf" || exit 1
for cmd in list run; do
	out=$(TCPFAULT_SCENARIOS=$dir "$tcpfault" $cmd 2>&1)
	rc=$?
	printf '%s\n' "$out" | tail -n 3
	[ "$rc" -eq 2 ] || { echo "FAILED: 513 files: '$cmd' exit status $rc, want 2"; exit 1; }
	printf '%s\n' "$out" | grep -qF "the catalog folder $dir holds more than 512 scenario files" ||
		{ echo "FAILED: 513 files: '$cmd' does not say the catalog is too big"; exit 1; }
	echo "ok: 513 files: '$cmd' exits 2 saying why"
done
