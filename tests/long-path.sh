#!/bin/sh
# SPDX-License-Identifier: MIT
# netns suite: a scenario at a path of some 3,000 characters (nested directories under a temp
# dir) that does not pass still exits 1 with its whole message: the "FILE:LINE: " in front of
# a failure or an error once overran a 2 KiB buffer (ASan: stack-buffer-overflow).
#   long-path.sh TCPFAULT FILE TEXT...     (TEXT... as tests/expect-failure.sh takes them)
tcpfault=$1 file=$2
shift 2
top=$(mktemp -d) || exit 1
trap 'rm -rf "$top"' EXIT
dir=$top
seg=$(printf '%0250d' 0 | tr 0 d)
for i in 1 2 3 4 5 6 7 8 9 10 11 12; do
	dir=$dir/$seg$i
done
mkdir -p "$dir" || exit 1
deep=$dir/$(basename "$file")
cp "$file" "$deep" || exit 1
echo "path: ${#deep} characters"
[ "${#deep}" -ge 3000 ] || { echo "FAILED: the path is only ${#deep} characters"; exit 1; }
"$(dirname "$0")/expect-failure.sh" "$tcpfault" "$deep" "$@" || exit $?
# The message names the file by its whole path.
"$tcpfault" run -j1 --family inet "$deep" 2>&1 | grep -qF "$deep:" ||
	{ echo "FAILED: no message starts with the whole path"; exit 1; }
echo "ok: the whole path in the message"
