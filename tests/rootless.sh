#!/bin/sh
# SPDX-License-Identifier: MIT
# netns suite: tcpfault needs no root where unprivileged user namespaces are allowed.
#  1. As nobody (setpriv --reuid=nobody --regid=nogroup --clear-groups), the sigkill scenario
#     passes and its capture is written (--pcap-dir): tcpfault made its own user + network
#     namespaces. The kernel tracer cannot run: the text says the kernel's reasons are
#     unavailable, and the JSON has the TCP counters that changed (counter_deltas). Skips (77) without setpriv or a nobody user, when the build is not readable
#     by nobody, or when this machine forbids unprivileged user namespaces (tcpfault's exit 3).
#  2. Where they are forbidden, tcpfault exits 3 and says what is missing and how to allow it.
#     Shown without touching the machine: inside a user namespace of this test's own (uids
#     mapped 1:1), user.max_user_namespaces is set to 0 (it is per user namespace) and
#     tcpfault runs there as nobody. Skips (77) where that cannot be arranged (no unshare, no
#     map, the limit cannot be set): part 1 alone does not show the message.
#   rootless.sh TCPFAULT SIGKILL-FILE
tcpfault=$1 file=$2
[ "$(id -u)" -eq 0 ] || { echo "skip: needs root to become nobody"; exit 77; }
command -v setpriv >/dev/null || { echo "skip: no setpriv (util-linux)"; exit 77; }
nobody=$(id -u nobody 2>/dev/null) || { echo "skip: no user nobody"; exit 77; }
group=$(getent group nogroup >/dev/null && echo nogroup || echo nobody)
as_nobody() { setpriv --reuid="$nobody" --regid="$group" --clear-groups "$@"; }
as_nobody test -x "$tcpfault" -a -r "$file" ||
	{ echo "skip: nobody cannot reach $tcpfault or $file (build in a world-readable place)"; exit 77; }
dir=$(mktemp -d) || exit 1
trap 'rm -rf "$dir"' EXIT
chmod 755 "$dir"
mkdir "$dir/pcap" && chown "$nobody" "$dir/pcap"

# 1. As nobody.
as_nobody "$tcpfault" run -j1 --family inet --pcap-dir "$dir/pcap" "$file" >"$dir/out" 2>&1
rc=$?
cat "$dir/out"
if [ "$rc" -eq 3 ]; then
	echo "skip: this machine forbids unprivileged user namespaces (see above)"
	exit 77
fi
[ "$rc" -eq 0 ] || { echo "FAILED: as nobody: exit status $rc, want 0"; exit 1; }
grep -q '^PASS ' "$dir/out" || { echo "FAILED: as nobody: no PASS line"; exit 1; }
[ -s "$dir/pcap/$(basename "$file" .tcpf)-inet.pcap" ] || { echo "FAILED: as nobody: no capture written"; exit 1; }
echo "ok 1: as nobody, the scenario passed and its capture was written"
# Without root the kernel tracer cannot run: the text says so, and the result has the TCP
# counters that changed in its place (the JSON's counter_deltas; every run sends segments).
grep -q '^note: kernel reasons unavailable: .* (1 of 1 runs)$' "$dir/out" ||
	{ echo "FAILED: as nobody: the text does not say the kernel's reasons are unavailable"; exit 1; }
as_nobody "$tcpfault" run -j1 --family inet --format json "$file" >"$dir/json" 2>&1 ||
	{ cat "$dir/json"; echo "FAILED: as nobody: the json run"; exit 1; }
grep -q '"kernel reasons unavailable' "$dir/json" && grep -q '"counter_deltas"' "$dir/json" &&
	grep -q '"name": *"Tcp.OutSegs"' "$dir/json" ||
	{ cat "$dir/json"; echo "FAILED: as nobody: no note or no counter deltas (Tcp.OutSegs) in the JSON"; exit 1; }
echo "ok 1b: as nobody, 'kernel reasons unavailable' in the text and the JSON, with the counters' deltas"

# 2. Forbidden: a user namespace of ours with user.max_user_namespaces = 0. Its maps are
# written from here (root) before its shell execs again, so that shell holds the namespace's
# capabilities and may set the limit.
command -v unshare >/dev/null || { echo "skip: part 2 cannot run: no unshare (util-linux)"; exit 77; }
mkfifo "$dir/go"
unshare --user sh -c 'read x <"$0"; exec sh -c "echo 0 >/proc/sys/user/max_user_namespaces || exit 9
	exec setpriv --reuid=$3 --regid=$3 --clear-groups \"\$0\" run -j1 --family inet \"\$1\"" "$1" "$2"' \
	"$dir/go" "$tcpfault" "$file" "$nobody" >"$dir/out" 2>&1 &
pid=$!
i=0
while [ "$(readlink "/proc/$pid/ns/user")" = "$(readlink /proc/self/ns/user)" ]; do
	i=$((i + 1))
	[ "$i" -le 250 ] || { echo "FAILED: unshare --user did not start within 5 s"; kill "$pid"; exit 1; }
	sleep 0.02
done
echo "0 0 65536" >"/proc/$pid/uid_map" && echo "0 0 65536" >"/proc/$pid/gid_map" ||
	{ echo "skip: part 2 cannot run: cannot map a user namespace here"; kill "$pid"; wait "$pid"; exit 77; }
echo go >"$dir/go"
wait "$pid"
rc=$?
cat "$dir/out"
[ "$rc" -ne 9 ] || { echo "skip: part 2 cannot run: cannot set user.max_user_namespaces in a user namespace"; exit 77; }
[ "$rc" -eq 3 ] || { echo "FAILED: user namespaces forbidden: exit status $rc, want 3"; exit 1; }
grep -q 'user.max_user_namespaces = 0' "$dir/out" && grep -q 'Allow them: sysctl -w user.max_user_namespaces=' "$dir/out" ||
	{ echo "FAILED: the message does not say what is missing and how to allow it"; exit 1; }
echo "ok 2: with user namespaces forbidden, exit 3 naming user.max_user_namespaces and how to allow it"
