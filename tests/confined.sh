#!/bin/sh
# SPDX-License-Identifier: MIT
# netns suite: exec'd programs are confined when tcpfault runs as root (README "Safety"):
# confined.tcpf tries nsenter, /etc, /etc/shadow and a mode-700 folder of root's, and must be
# refused each; privileged.tcpf (reads /etc/shadow) fails confined and passes with
# --privileged-programs, whose report warns; a command naming a file out of the confined user's
# reach is an error naming it.
#   confined.sh TCPFAULT DATA-DIR
tcpfault=$1 data=$2
[ "$(id -u)" -eq 0 ] || { echo "skip: confinement as root is what this tests"; exit 77; }
private=$(mktemp -d) || exit 1   # mode 700, root's
trap 'rm -rf "$private"' EXIT
export TCPFAULT_TEST_PRIVATE="$private"
fail() { echo "FAILED: $*"; exit 1; }

"$tcpfault" run -j1 --family inet "$data/confined.tcpf"
rc=$?
[ "$rc" -eq 3 ] && { echo "skip: this machine lacks what the scenario needs (see above)"; exit 77; }
[ "$rc" -eq 0 ] || fail "confined.tcpf: exit status $rc"
[ -e /etc/tcpfault-confined ] && { rm -f /etc/tcpfault-confined; fail "a confined program wrote /etc"; }
[ -z "$(ls -A "$private")" ] || fail "a confined program wrote into $private"

out=$("$tcpfault" run -j1 --family inet "$data/privileged.tcpf" 2>&1)
rc=$?
printf '%s\n' "$out"
[ "$rc" -eq 1 ] && printf '%s\n' "$out" | grep -q '^FAIL ' || fail "privileged.tcpf confined: exit $rc, want a FAIL"
out=$("$tcpfault" run -j1 --family inet --privileged-programs --format json "$data/privileged.tcpf" 2>&1)
rc=$?
[ "$rc" -eq 0 ] || { printf '%s\n' "$out"; fail "privileged.tcpf with --privileged-programs: exit $rc"; }
printf '%s\n' "$out" | jq -e '.results[0].notes | any(startswith("--privileged-programs: "))' >/dev/null ||
	{ printf '%s\n' "$out"; fail "no --privileged-programs warning in the report"; }

echo secret >"$private/secret.txt"
cp "$data/out-of-reach.tcpf" "$private/"
out=$("$tcpfault" run -j1 --family inet "$private/out-of-reach.tcpf" 2>&1)
rc=$?
printf '%s\n' "$out"
[ "$rc" -eq 1 ] && printf '%s\n' "$out" | grep -q '^ERROR ' || fail "out-of-reach.tcpf: exit $rc, want an ERROR"
printf '%s\n' "$out" | grep -qF "$private/secret.txt is out of reach" || fail "the error does not name $private/secret.txt"
echo "ok: confined by default; --privileged-programs lifts it with a warning; a path out of reach named"
