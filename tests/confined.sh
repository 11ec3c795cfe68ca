#!/bin/sh
# SPDX-License-Identifier: MIT
# netns suite: exec'd programs are confined when tcpfault runs as root (README "Safety"):
# confined.tcpf tries nsenter, /etc, /etc/shadow and a mode-700 folder of root's, and must be
# refused each; privileged.tcpf (reads /etc/shadow) fails confined and passes with
# --privileged-programs, whose report warns; a command naming a file out of the confined user's
# reach, and a stdin file it cannot read, are errors naming them.
#   confined.sh TCPFAULT DATA-DIR
tcpfault=$1 data=$2
[ "$(id -u)" -eq 0 ] || { echo "skip: confinement as root is what this tests"; exit 77; }
# A chroot whose / is mode 700 (a root made by mktemp -d): the confined user could reach
# nothing, so programs stay root without any capability and a note says so (README "Safety").
if ! setpriv --reuid="${SUDO_UID:-$(id -u nobody)}" --regid="${SUDO_GID:-$(id -g nobody)}" --clear-groups \
	/bin/true 2>/dev/null; then
	echo "skip: the confined user cannot enter / here (mode $(stat -c %a /)): programs run as root without capabilities"
	exit 77
fi
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
out=$("$tcpfault" run -j1 --family inet --privileged-programs --format json "$data/privileged.tcpf" 2>"$private/err")
rc=$?
[ "$rc" -eq 0 ] || { printf '%s\n' "$out"; fail "privileged.tcpf with --privileged-programs: exit $rc"; }
printf '%s\n' "$out" | jq -e '.results[0].notes | any(startswith("--privileged-programs: "))' >/dev/null ||
	{ printf '%s\n' "$out"; fail "no --privileged-programs warning in the report"; }
grep -q '^tcpfault: warning: --privileged-programs: ' "$private/err" ||
	{ cat "$private/err"; fail "no --privileged-programs warning on stderr"; }
rm -f "$private/err"

out=$("$tcpfault" run -j1 --family inet "$data/stdin-secret.tcpf" 2>&1)
rc=$?
printf '%s\n' "$out"
[ "$rc" -eq 1 ] && printf '%s\n' "$out" | grep -q '^ERROR ' || fail "stdin-secret.tcpf: exit $rc, want an ERROR"
printf '%s\n' "$out" | grep -qF "/etc/shadow is out of reach" || fail "the error does not name /etc/shadow"
printf '%s\n' "$out" | grep -q 'root:' && fail "the program read /etc/shadow"

echo secret >"$private/secret.txt"
cp "$data/out-of-reach.tcpf" "$private/"
out=$("$tcpfault" run -j1 --family inet "$private/out-of-reach.tcpf" 2>&1)
rc=$?
printf '%s\n' "$out"
[ "$rc" -eq 1 ] && printf '%s\n' "$out" | grep -q '^ERROR ' || fail "out-of-reach.tcpf: exit $rc, want an ERROR"
printf '%s\n' "$out" | grep -qF "$private/secret.txt is out of reach" || fail "the error does not name $private/secret.txt"
echo "ok: confined by default; --privileged-programs lifts it with a warning; a path out of reach named"
