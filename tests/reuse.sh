#!/bin/sh
# SPDX-License-Identifier: MIT
# netns suite: a job slot's sandbox, kept between runs (TCPFAULT_REUSE, on by default), carries
# nothing of one run into the next. In one 'tcpfault run -j1' (one slot: every run after the
# first gets the sandbox the one before left), the reuse-leave-*.tcpf scenarios leave a
# TIME-WAIT, a changed sysctl, nft rules with conntrack entries, a blackhole, netem qdiscs, a
# hold (neighbour entries withdrawn), a daemon listening, and peers (kept too) holding sockets
# under reuse-check's names with SIGPIPE deadly; then reuse-check.tcpf, which fails if any of
# them survived. Each run after the first must say it got the slot's sandbox (its note), and
# reuse-check that it got the slot's two peers, so the check cannot pass on fresh ones alone. With TCPFAULT_REUSE=0 the same
# runs pass and none says so. The netem leaver is skipped where the kernel has no netem.
#   reuse.sh TCPFAULT DATA-DIR
tcpfault=$1 data=$2
dir=$(mktemp -d) || exit 1
trap 'rm -rf "$dir"' EXIT
files=""
for f in timewait sysctl nft blackhole netem hold listener peer; do
	files="$files $data/reuse-leave-$f.tcpf"
done
files="$files $data/reuse-check.tcpf"

# $1: output file; the rest: the environment. Exit status 0, or 3 with only netem skipped.
run() {
	out=$1
	shift
	# shellcheck disable=SC2086
	env "$@" "$tcpfault" run -j1 -v $files >"$out" 2>&1
	rc=$?
	grep -E '^(PASS|FAIL|ERROR|SKIP) ' "$out"
	grep -q '^PASS  reuse-check ' "$out" || { echo "FAILED: reuse-check did not pass"; grep -A12 '^[A-Z]*  reuse-check ' "$out"; exit 1; }
	bad=$(grep -E '^(FAIL|ERROR|SKIP) ' "$out" | grep -v '^SKIP  reuse-leave-netem ')
	[ -z "$bad" ] || { echo "FAILED: $bad"; exit 1; }
	[ "$rc" -eq 0 ] || [ "$rc" -eq 3 ] || { echo "FAILED: exit status $rc"; exit 1; }
}
# The runs whose result notes they got the slot's sandbox.
reused() {
	awk '/^(PASS|FAIL|ERROR|SKIP) / { run = $2 } /note: sandbox: the job slot.s/ { print run }' "$1"
}

run "$dir/reuse"
n=$(reused "$dir/reuse" | wc -l)
reused "$dir/reuse" | grep -qx 'reuse-check' || { echo "FAILED: reuse-check did not get the slot's sandbox"; exit 1; }
[ "$n" -eq 8 ] || { echo "FAILED: $n runs of 9 after the first got the slot's sandbox, want 8"; reused "$dir/reuse"; exit 1; }
awk '/^(PASS|FAIL|ERROR|SKIP) / { run = $2 } /note: peers: 2 of the job slot.s/ { print run }' "$dir/reuse" | grep -qx 'reuse-check' ||
	{ echo "FAILED: reuse-check did not get the slot's two peers"; exit 1; }
echo "ok 1: with reuse, the 8 runs after the first got the slot's sandbox, reuse-check its peers too, and it passed"

run "$dir/fresh" TCPFAULT_REUSE=0
[ -z "$(reused "$dir/fresh")" ] || { echo "FAILED: TCPFAULT_REUSE=0 and a run got a kept sandbox"; exit 1; }
! grep -q 'note: peers: ' "$dir/fresh" || { echo "FAILED: TCPFAULT_REUSE=0 and a run got kept peers"; exit 1; }
echo "ok 2: with TCPFAULT_REUSE=0, every run had a new sandbox, and reuse-check passed"
