#!/bin/sh
# SPDX-License-Identifier: MIT
# netns suite: a real run (one passing, one failing scenario, one skipped: it requires a sysctl
# no kernel has) written as JUnit, TAP and text. The JUnit must satisfy xmllint and count its
# cases right (the skipped one apart from the errors); the TAP must have its plan and one test
# point per run, the skipped one '# SKIP' with the reason; a failure with a skipped run is
# exit status 1. JUnit and TAP name the failing run's hosts with their addresses (IPv4, bridge).
# Skips (77) where namespaces cannot be made or xmllint is missing.
#   report-formats.sh TCPFAULT PASSING FAILING SKIPPED
tcpfault=$1 pass=$2 fail=$3 skip=$4
dir=$(mktemp -d) || exit 1
trap 'rm -rf "$dir"' EXIT
command -v xmllint >/dev/null || { echo "skip: no xmllint (apt-get install libxml2-utils)"; exit 77; }

"$tcpfault" run -j1 --family inet --format junit -o "$dir/r.xml" "$pass" "$fail" "$skip"
rc=$?
[ "$rc" -eq 3 ] && exit 77
[ "$rc" -eq 1 ] || { echo "FAILED: junit run: exit status $rc, want 1"; exit 1; }
xmllint --noout "$dir/r.xml" || { echo "FAILED: xmllint refuses the JUnit report"; cat "$dir/r.xml"; exit 1; }
[ "$(xmllint --xpath 'count(//testsuite/testcase)' "$dir/r.xml")" = 3 ] || { echo "FAILED: want 3 testcases"; exit 1; }
[ "$(xmllint --xpath 'count(//testcase/failure)' "$dir/r.xml")" = 1 ] || { echo "FAILED: want 1 failure"; exit 1; }
[ "$(xmllint --xpath 'string(//testsuite/@failures)' "$dir/r.xml")" = 1 ] || { echo "FAILED: failures= is not 1"; exit 1; }
[ "$(xmllint --xpath 'count(//testcase/error)' "$dir/r.xml")" = 0 ] || { echo "FAILED: want no error"; exit 1; }
[ "$(xmllint --xpath 'string(//testsuite/@errors)' "$dir/r.xml")" = 0 ] || { echo "FAILED: errors= is not 0"; exit 1; }
[ "$(xmllint --xpath 'string(//testsuite/@skipped)' "$dir/r.xml")" = 1 ] || { echo "FAILED: skipped= is not 1"; exit 1; }
xmllint --xpath 'string(//testcase[3]/skipped/@message)' "$dir/r.xml" |
	grep -q '^this machine lacks: this kernel has no sysctl net.ipv4.tcp_no_such_sysctl$' ||
	{ echo "FAILED: the third testcase is not skipped naming the sysctl"; exit 1; }
xmllint --xpath 'string(//testcase[failure]/system-out)' "$dir/r.xml" | grep -q -- '->|' ||
	{ echo "FAILED: no ladder in system-out"; exit 1; }
xmllint --xpath 'string(//testcase[failure]/system-out)' "$dir/r.xml" | grep -qx '      hosts: client 198.18.0.1, server 198.18.0.2' ||
	{ echo "FAILED: no hosts line in system-out"; exit 1; }

"$tcpfault" run -j1 --family inet --format tap "$pass" "$fail" "$skip" >"$dir/r.tap"
[ $? -eq 1 ] || { echo "FAILED: tap run: want exit status 1"; exit 1; }
[ "$(sed -n 1,2p "$dir/r.tap")" = "TAP version 14
1..3" ] || { echo "FAILED: TAP header"; cat "$dir/r.tap"; exit 1; }
grep -q '^ok 1 - ' "$dir/r.tap" && grep -q '^not ok 2 - ' "$dir/r.tap" && grep -q '^  verdict: fail$' "$dir/r.tap" &&
	grep -qx '  hosts: "client 198.18.0.1, server 198.18.0.2"' "$dir/r.tap" &&
	grep -qx 'ok 3 - requires-sysctl (inet) # SKIP this machine lacks: this kernel has no sysctl net.ipv4.tcp_no_such_sysctl' "$dir/r.tap" ||
	{ echo "FAILED: TAP test points"; cat "$dir/r.tap"; exit 1; }

"$tcpfault" run -j1 --family inet "$pass" "$fail" "$skip" >"$dir/r.txt"
[ $? -eq 1 ] || { echo "FAILED: text run: want exit status 1"; exit 1; }
grep -q '^SKIP  requires-sysctl (inet) .* this machine lacks: this kernel has no sysctl net.ipv4.tcp_no_such_sysctl$' "$dir/r.txt" &&
	grep -qx '1 passed, 1 failed, 0 errors, 1 skipped' "$dir/r.txt" || { echo "FAILED: text"; cat "$dir/r.txt"; exit 1; }
echo "ok: JUnit valid (xmllint), TAP has its plan and test points, the skipped run apart in each"
