#!/bin/sh
# SPDX-License-Identifier: MIT
# One kernel's leg of the matrix, run on the host or as part of a guest's PID 1 (guest.sh):
# the whole catalog (both families), the examples and the netem blackhole, each as
# `tcpfault run --format json`, with its exit status and messages beside it.
#   suite.sh SRC BUILD OUT [TIMEOUT [FILE]]   (OUT gets uname, {catalog,examples,netem}.{json,rc,log})
# FILE (matrix.sh -s): run only that scenario file, as the catalog leg, and no other leg.
# TIMEOUT (guest.sh gives one) is each run's time limit in place of the files' own (--timeout):
# it bounds how long the harness may take, no kernel timer.
set -u
src=$1 build=$2 out=$3 limit=${4:-} only=${5:-}
cd "$src" || exit 1
uname -r > "$out/uname"
# TCPFAULT_TIMINGS: each run's line of timings in the log, with the capture's lag (runner.c).
leg() {
	name=$1
	shift
	TCPFAULT_TIMINGS=1 "$build/harness/tcpfault" run --format json -o "$out/$name.json" ${limit:+--timeout "$limit"} "$@" > "$out/$name.log" 2>&1
	echo $? > "$out/$name.rc"
}
if [ -n "$only" ]; then
	leg catalog "$only"
	exit 0
fi
leg catalog
# The examples' own programs (tiny-client, goclient, goserver) are found on PATH, in the build's
# scenarios folder, as meson's example tests find them. The Go examples only where the build has
# the Go programs (without the go tool, meson's example tests skip them too).
examples=
for f in scenarios/examples/*.tcpf; do
	case $f in
	*/go-*) [ -x "$build/scenarios/goclient" ] || continue ;;
	esac
	examples="$examples $f"
done
PATH="$build/scenarios:$PATH" leg examples $examples
# The netem test (tests/netem.sh) on the same file: skipped (exit 3, `missing`) where netem is absent.
leg netem --family inet tests/data/blackhole-netem.tcpf
