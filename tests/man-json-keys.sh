#!/bin/sh
# SPDX-License-Identifier: MIT
# tcpfault(1) names every JSON key the program can write: the keys result_to_json writes
# (put_*() and json_object_object_add() calls and the key tables in result.c) and those
# recorded from real runs (json-keys.txt), each of them in bold (*key*) in the json paragraph
# of the manual, which says scripts may rely on that list.
#   man-json-keys.sh result.c json-keys.txt tcpfault.1.scd
set -u
result_c=$1 recorded=$2 page=$3
keys=$( {
	grep -oE '(put[a-z_]*|json_object_object_add)\([a-z]+, "[a-z][a-z0-9_]*"' "$result_c" | sed 's/.*"\(.*\)"/\1/'
	grep -E '_key\[\] = \{' "$result_c" | grep -oE '"[a-z][a-z0-9_]*"' | tr -d '"'
	awk '{ print $NF }' "$recorded"   # 'SECTION KEY' or 'top KEY'
} | sort -u)
n=$(printf '%s\n' "$keys" | wc -l)
# A change in how result.c writes keys must not leave this test checking next to nothing.
if [ "$n" -lt 50 ]; then
	echo "FAIL: only $n keys found in $result_c and $recorded: the extraction no longer matches the code" >&2
	exit 1
fi
section=$(sed -n '/^\t\*json\*:/,/^\t\*junit\*:/p' "$page")
[ -n "$section" ] || { echo "FAIL: no *json* paragraph in $page" >&2; exit 1; }
status=0
for k in $keys; do
	if ! printf '%s\n' "$section" | grep -qF "*$k*"; then
		echo "FAIL: the JSON key '$k' is not named in $page's json paragraph" >&2
		status=1
	fi
done
[ $status -eq 0 ] && echo "ok: $n JSON keys, each named in $page"
exit $status
