#!/bin/bash
# SPDX-License-Identifier: MIT
# netns suite: a report survives. Interrupts catalog runs (-j64: all at once, so short runs end
# before the longest, which start first, and some are in flight at every moment; inet) with SIGINT and SIGTERM
# (and one SIGHUP) at pseudo-random moments (the same sequence every time) and requires of each:
# the exit status 128+signal; the -o report complete and valid (JSON through jq, JUnit through
# xmllint) with one result per run of the catalog, the finished ones as they ended and the
# rest "not run" (JUnit: skipped); no temporary file left beside it nor in --pcap-dir. Then an old -o file
# survives a run that fails before writing, and a symbolic link planted as -o or in --pcap-dir
# is refused with its target unchanged.
#   interrupt.sh TCPFAULT [TRIALS]
# TRIALS (default 3) of SIGINT and as many of SIGTERM; issue 14 measured 20 of each.
tcpfault=$1 trials=${2:-3}
dir=$(mktemp -d) || exit 1
trap 'rm -rf "$dir"' EXIT
fail() { echo "FAILED: $*"; exit 1; }

"$tcpfault" run -j1 --family inet refused >/dev/null 2>&1
[ $? -eq 3 ] && { echo "skip: this machine cannot make the namespaces"; exit 77; }
command -v jq >/dev/null && command -v xmllint >/dev/null || { echo "skip: needs jq and xmllint"; exit 77; }
runs=$("$tcpfault" list | grep -c '^  ')
[ "$runs" -gt 10 ] || fail "the catalog lists $runs scenarios"

RANDOM=14
finished_any=0 notrun_any=0
trial() {   # SIGNAL FORMAT STATUS
	sig=$1 format=$2 want=$3
	rm -rf "$dir"/r.* "$dir"/.r.* "$dir/p"
	echo '{"previous":1}' >"$dir/r.$format"
	# 0.3 to 4 s: before the first run ends, and after some have
	ms=$((300 + RANDOM % 3700))
	"$tcpfault" run -j64 --family inet -f "$format" -o "$dir/r.$format" --pcap-dir "$dir/p" 2>"$dir/err" &
	pid=$!
	sleep "$((ms / 1000)).$(printf %03d $((ms % 1000)))"
	kill "-$sig" "$pid"
	wait "$pid"
	rc=$?
	[ "$rc" -eq "$want" ] || fail "SIG$sig at $ms ms: exit status $rc, not $want ($(cat "$dir/err"))"
	ls -A "$dir" | grep -q '^\.r\.' && fail "SIG$sig at $ms ms: a temporary file is left: $(ls -A "$dir")"
	if [ "$format" = json ]; then
		total=$(jq '.results | length' "$dir/r.json") || fail "SIG$sig at $ms ms: the JSON does not parse"
		notrun=$(jq '[.results[] | select((.failures // [])[0] // "" | startswith("not run"))] | length' "$dir/r.json")
		jq -e '[.results[] | select(.verdict == "pass")] | length' "$dir/r.json" >/dev/null || fail "no verdicts"
	else
		xmllint --noout "$dir/r.junit" || fail "SIG$sig at $ms ms: the JUnit does not pass xmllint"
		total=$(grep -c '<testcase ' "$dir/r.junit")
		notrun=$(grep -c '<skipped message="not run' "$dir/r.junit")
		grep -q "skipped=\"$notrun\"" "$dir/r.junit" || fail "SIG$sig at $ms ms: the suite's skipped count is not $notrun"
	fi
	[ "$total" -eq "$runs" ] || fail "SIG$sig at $ms ms: $total results, not $runs"
	# the runs stopped leave no temporary capture (a run stopped just after its capture was
	# whole may leave that whole capture)
	ls -A "$dir/p" | grep -q '^\.' && fail "SIG$sig at $ms ms: a temporary capture is left: $(ls -A "$dir/p")"
	[ "$notrun" -gt 0 ] && notrun_any=1
	[ $((total - notrun)) -gt 0 ] && finished_any=1
	echo "ok: SIG$sig at $ms ms ($format): $((total - notrun)) finished, $notrun not run, exit $rc"
}
for i in $(seq "$trials"); do
	trial INT json 130
	trial TERM junit 143
done
trial TERM json 143
trial INT junit 130
trial HUP json 129
[ "$finished_any" -eq 1 ] || fail "no trial had a finished run: the moments are too early"
[ "$notrun_any" -eq 1 ] || fail "every trial's runs all finished: the moments are too late"

# An old report survives a run that fails before writing (an unknown scenario; an unwritable
# --pcap-dir), and one whose report cannot be written (a read-only folder is not testable as
# root: the temporary file is removed, the old one kept).
echo '{"previous":1}' >"$dir/keep.json"
"$tcpfault" run -f json -o "$dir/keep.json" no-such-scenario-here 2>/dev/null
[ $? -eq 2 ] || fail "an unknown scenario did not exit 2"
"$tcpfault" run -f json -o "$dir/keep.json" --pcap-dir /proc/1 refused 2>/dev/null
[ $? -eq 2 ] || fail "an unwritable --pcap-dir did not exit 2"
[ "$(cat "$dir/keep.json")" = '{"previous":1}' ] || fail "the old report did not survive: $(cat "$dir/keep.json")"
[ "$(ls -A "$dir" | grep -c '^\.keep')" -eq 0 ] || fail "a temporary file is left: $(ls -A "$dir")"
echo "ok: an old report survives a run that fails before writing"

# Planted links: -o and a capture's name are refused, their targets unchanged.
echo secret >"$dir/victim"
ln -s "$dir/victim" "$dir/link.json"
"$tcpfault" run --family inet -f json -o "$dir/link.json" refused 2>"$dir/err"
rc=$?
[ "$rc" -eq 2 ] || fail "-o through a link: exit status $rc, not 2"
grep -q "symbolic link" "$dir/err" || fail "-o through a link: the message does not say why: $(cat "$dir/err")"
mkdir "$dir/pcaps"
ln -s "$dir/victim" "$dir/pcaps/refused-inet.pcap"
"$tcpfault" run --family inet -f json -o "$dir/out.json" --pcap-dir "$dir/pcaps" refused 2>/dev/null
rc=$?
[ "$rc" -eq 1 ] || fail "a capture through a link: exit status $rc, not 1"
jq -r '.results[0].failures[0]' "$dir/out.json" | grep -q "symbolic link" ||
	fail "a capture through a link: the result does not say why: $(jq -c .results[0].failures "$dir/out.json")"
[ "$(cat "$dir/victim")" = secret ] || fail "the link's target was changed: $(cat "$dir/victim")"
[ -L "$dir/pcaps/refused-inet.pcap" ] || fail "the planted link was replaced"
[ "$(ls -A "$dir/pcaps" | wc -l)" -eq 1 ] || fail "files left in --pcap-dir: $(ls -A "$dir/pcaps")"
echo "ok: planted links are refused, their target unchanged"
