#!/bin/sh
# SPDX-License-Identifier: MIT
# netns suite: --snaplen sets how much of each packet the capture keeps. The same 1200-byte
# segment is kept whole by default (1600) and cut to 256 bytes with --snaplen 256 (the pcap's
# record header: captured length against length on the wire); the file's own snaplen says the
# same.
#   snaplen.sh TCPFAULT FILE
tcpfault=$1 f=$2
dir=$(mktemp -d) || exit 1
trap 'rm -rf "$dir"' EXIT
command -v python3 >/dev/null || { echo "skip: no python3"; exit 77; }
# The largest record in a pcap: "snaplen caplen len" (the file's header snaplen, then the record
# with the longest length on the wire).
biggest() {
	python3 - "$1" <<'PY'
import struct, sys
d = open(sys.argv[1], "rb").read()
snap = struct.unpack_from("<I", d, 16)[0]
off, best = 24, (0, 0)
while off + 16 <= len(d):
    _, _, incl, orig = struct.unpack_from("<IIII", d, off)
    best = max(best, (orig, incl))
    off += 16 + incl
print(snap, best[1], best[0])
PY
}
status=0
for snap in default 256; do
	mkdir -p "$dir/$snap"
	opt=""
	[ $snap = default ] || opt="--snaplen $snap"
	"$tcpfault" run -j1 $opt --pcap-dir "$dir/$snap" "$f" >"$dir/out" 2>&1
	rc=$?
	[ $rc -eq 3 ] && { cat "$dir/out"; exit 77; }
	[ $rc -eq 0 ] || { echo "FAILED: the run ($snap) exited $rc"; cat "$dir/out"; exit 1; }
	set -- $(biggest "$dir/$snap/snaplen-inet.pcap")
	echo "$snap: file snaplen $1, biggest packet $2 of $3 bytes kept"
	case $snap in
	default) [ "$1" -eq 1600 ] && [ "$2" -eq "$3" ] && [ "$3" -gt 1200 ] || { echo "FAILED: the default did not keep it whole"; status=1; } ;;
	*) [ "$1" -eq "$snap" ] && [ "$2" -le "$snap" ] && [ "$3" -gt 1200 ] || { echo "FAILED: --snaplen $snap did not cut it"; status=1; } ;;
	esac
done
"$tcpfault" run --snaplen 95 "$f" >/dev/null 2>&1
[ $? -eq 2 ] || { echo "FAILED: --snaplen 95 not refused with exit status 2"; status=1; }
exit $status
