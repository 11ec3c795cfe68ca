#!/bin/sh
# SPDX-License-Identifier: MIT
# netns suite: the JSON contract holds. A few catalog scenarios run with --format json; the keys
# of every result (top level) and of each array's elements (per array) must be exactly those
# recorded in KEYS (tests/data/json-keys.txt, recorded from the build before the result became
# a typed struct). A key that appears or disappears fails. Skips (77) where namespaces cannot be
# made or jq is missing.
#   json-keys.sh TCPFAULT KEYS SCENARIO...
tcpfault=$1 keys=$2; shift 2
dir=$(mktemp -d) || exit 1
trap 'rm -rf "$dir"' EXIT
command -v jq >/dev/null || { echo "skip: no jq (apt-get install jq)"; exit 77; }

"$tcpfault" run -j2 --format json -o "$dir/r.json" "$@"
rc=$?
[ "$rc" -eq 3 ] && { echo "skip: this machine lacks what the scenarios need"; exit 77; }
[ "$rc" -eq 0 ] || { echo "FAILED: exit status $rc"; cat "$dir/r.json"; exit 1; }
# "top KEY" for each result's keys; "ARRAY KEY" for the keys of each object in ARRAY.
jq -r '.results[] | (keys[] | "top \(.)"),
	(to_entries[] | select(.value | type == "array") | .key as $a | .value[] | select(type == "object") |
	 keys[] | "\($a) \(.)")' "$dir/r.json" | LC_ALL=C sort -u >"$dir/keys" || exit 1
# The kernel tracer's keys are there only where it ran (root, a build with libbpf); the counter
# deltas only where it did not.
if ! jq -e '[.results[] | has("transitions")] | any' "$dir/r.json" >/dev/null; then
	echo "note: the kernel tracer did not run ($(jq -r '[.results[].notes[]? | select(startswith("kernel reasons"))][0]' "$dir/r.json")): its keys not expected"
	grep -vE '^(top (transitions|retransmits|drops)|(transitions|retransmits|drops) |packets reason)' "$keys" >"$dir/expected"
else
	grep -vE '^(top counter_deltas|counter_deltas )' "$keys" >"$dir/expected"
fi
keys=$dir/expected
if ! diff -u "$keys" "$dir/keys"; then
	echo "FAILED: the JSON keys differ from $keys (- recorded, + now)"
	exit 1
fi
echo "ok: $(wc -l <"$keys") keys as recorded"
