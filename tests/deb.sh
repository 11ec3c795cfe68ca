#!/bin/sh
# SPDX-License-Identifier: MIT
# Manual test of the Debian package, as a new user meets it (not in 'meson test': it installs
# packages on the machine and takes minutes). Run it as root in a fresh Debian 12 root or
# container holding this tree (such as 'docker run --privileged -v $PWD:/src -w /src debian:12'):
#
#     tests/deb.sh --yes-install-on-this-machine
#
# It installs the build dependencies with apt (apt-get build-dep on debian/control), builds the
# .deb with dpkg-buildpackage in a copy of the tree, installs it with apt (which pulls its
# dependencies), then from / runs 'tcpfault run sigkill' and 'tcpfault list --all': the installed
# command must find its peer, shim, catalog and examples at the installed prefix. It prints each
# phase's time and exit status; its own exit status is 0 only if every phase exits 0.
set -u
[ "${1:-}" = --yes-install-on-this-machine ] || {
	echo "deb.sh: installs packages on this machine; run it in a fresh Debian 12 root with --yes-install-on-this-machine" >&2
	exit 2
}
[ "$(id -u)" -eq 0 ] || { echo "deb.sh: needs root (apt)" >&2; exit 3; }
src=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d /tmp/tcpfault-deb.XXXXXX)
export DEBIAN_FRONTEND=noninteractive
status=0

# phase NAME COMMAND: runs COMMAND with sh -c, prints "deb.sh: NAME: N s, exit S".
phase() {
	t0=$(date +%s.%N)
	sh -c "$2"
	rc=$?
	t1=$(date +%s.%N)
	printf 'deb.sh: %-28s %6.1f s, exit %d\n' "$1:" "$(echo "$t1 - $t0" | awk '{print $1 - $3}')" "$rc" | tee -a "$work/figures"
	[ "$rc" -eq 0 ] || status=1
	return "$rc"
}

mkdir "$work/tcpfault"
tar -C "$src" --exclude=./.git --exclude='./build*' --exclude='./obj-*' -cf - . | tar -C "$work/tcpfault" -xf -
phase "build dependencies" "apt-get update -qq && apt-get install -y -qq --no-install-recommends dpkg-dev >/dev/null && apt-get build-dep -y -qq '$work/tcpfault' >/dev/null" &&
phase "dpkg-buildpackage" "cd '$work/tcpfault' && dpkg-buildpackage -b -us -uc >'$work/build.log' 2>&1 || { tail -30 '$work/build.log'; exit 1; }" &&
phase "apt install ./tcpfault_*.deb" "cd '$work' && apt-get install -y -qq ./tcpfault_*_*.deb >/dev/null" &&
phase "tcpfault run sigkill" "cd / && tcpfault run sigkill" &&
phase "tcpfault list --all" "cd / && tcpfault list --all"
echo "deb.sh: figures"
cat "$work/figures"
ls -l "$work"/*.deb
rm -rf "$work"
exit "$status"
