#!/bin/sh
# SPDX-License-Identifier: MIT
# netns suite: a real run (one passing, one failing scenario) written as JUnit and TAP. The
# JUnit must satisfy xmllint and count its cases right; the TAP must have its plan and one
# test point per run. Both name the failing run's hosts with their addresses (IPv4, bridge).
# Skips (77) where namespaces cannot be made or xmllint is missing.
#   report-formats.sh TCPFAULT PASSING FAILING
tcpfault=$1 pass=$2 fail=$3
dir=$(mktemp -d) || exit 1
trap 'rm -rf "$dir"' EXIT
command -v xmllint >/dev/null || { echo "skip: no xmllint (apt-get install libxml2-utils)"; exit 77; }

"$tcpfault" run -j1 --family inet --format junit -o "$dir/r.xml" "$pass" "$fail"
rc=$?
[ "$rc" -eq 3 ] && exit 77
[ "$rc" -eq 1 ] || { echo "FAILED: junit run: exit status $rc, want 1"; exit 1; }
xmllint --noout "$dir/r.xml" || { echo "FAILED: xmllint refuses the JUnit report"; cat "$dir/r.xml"; exit 1; }
[ "$(xmllint --xpath 'count(//testsuite/testcase)' "$dir/r.xml")" = 2 ] || { echo "FAILED: want 2 testcases"; exit 1; }
[ "$(xmllint --xpath 'count(//testcase/failure)' "$dir/r.xml")" = 1 ] || { echo "FAILED: want 1 failure"; exit 1; }
[ "$(xmllint --xpath 'string(//testsuite/@failures)' "$dir/r.xml")" = 1 ] || { echo "FAILED: failures= is not 1"; exit 1; }
xmllint --xpath 'string(//testcase[failure]/system-out)' "$dir/r.xml" | grep -q -- '->|' ||
	{ echo "FAILED: no ladder in system-out"; exit 1; }
xmllint --xpath 'string(//testcase[failure]/system-out)' "$dir/r.xml" | grep -qx '      hosts: client 198.18.0.1, server 198.18.0.2' ||
	{ echo "FAILED: no hosts line in system-out"; exit 1; }

"$tcpfault" run -j1 --family inet --format tap "$pass" "$fail" >"$dir/r.tap"
[ $? -eq 1 ] || { echo "FAILED: tap run: want exit status 1"; exit 1; }
[ "$(sed -n 1,2p "$dir/r.tap")" = "TAP version 14
1..2" ] || { echo "FAILED: TAP header"; cat "$dir/r.tap"; exit 1; }
grep -q '^ok 1 - ' "$dir/r.tap" && grep -q '^not ok 2 - ' "$dir/r.tap" && grep -q '^  verdict: fail$' "$dir/r.tap" &&
	grep -qx '  hosts: "client 198.18.0.1, server 198.18.0.2"' "$dir/r.tap" ||
	{ echo "FAILED: TAP test points"; cat "$dir/r.tap"; exit 1; }
echo "ok: JUnit valid (xmllint), TAP has its plan and test points"
