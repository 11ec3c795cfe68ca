#!/bin/sh
# SPDX-License-Identifier: MIT
# netns suite: a scenario that needs what this kernel lacks is skipped, never a pass, a failure
# or an error: exit status 3, and in every format the run is skipped naming what is missing.
# FILE runs one family (its 'family' line, or --family inet here).
#   missing.sh TCPFAULT FILE TEXT
tcpfault=$1 file=$2 text=$3
fail() { echo "FAILED: $*"; exit 1; }
run() {
	out=$("$tcpfault" run -j1 --family inet --format "$1" "$file" 2>&1)
	rc=$?
	printf '%s\n' "$out"
	[ "$rc" -eq 3 ] || fail "--format $1: exit status $rc, want 3"
}
run json
printf '%s\n' "$out" | grep -q "\"missing\":\"[^\"]*$text" || fail "no 'missing' naming $text"
printf '%s\n' "$out" | grep -q '"verdict":"skipped"' || fail "the JSON verdict is not skipped"
run text
printf '%s\n' "$out" | grep -q "^SKIP .*this machine lacks: [^\"]*$text" || fail "no SKIP line saying this machine lacks $text"
printf '%s\n' "$out" | grep -qx '0 passed, 0 failed, 0 errors, 1 skipped' || fail "the totals do not count it skipped"
printf '%s\n' "$out" | grep -q -e '^ERROR' -e 'error:' && fail "the text calls it an error"
run junit
printf '%s\n' "$out" | grep -q "<skipped message=\"this machine lacks: [^\"]*$text" || fail "no JUnit <skipped> naming $text"
printf '%s\n' "$out" | grep -q '<testsuite .*errors="0" skipped="1"' || fail "the JUnit suite does not count it skipped"
run tap
printf '%s\n' "$out" | grep -q "^ok 1 - .* # SKIP this machine lacks: .*$text" || fail "no TAP '# SKIP' naming $text"
echo "ok: exit 3, skipped naming $text in json, text, junit and tap"
