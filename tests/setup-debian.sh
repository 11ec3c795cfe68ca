#!/bin/sh
# SPDX-License-Identifier: MIT
# Installs what tcpfault needs on Debian 12 (from Debian's packages) and builds it in ./build
# (and ./build-asan, with ASan + UBSan).
# Safe to run again: packages already present are kept, an existing build is reused.
set -eu
cd "$(dirname "$0")/.."
if [ "$(id -u)" -ne 0 ]; then
	echo "setup-debian.sh: installing packages needs root (run it with sudo)" >&2
	exit 3
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends \
	gcc libc6-dev meson ninja-build pkg-config \
	libnl-3-dev libnl-route-3-dev libnl-idiag-3-dev libpcap-dev libjson-c-dev \
	libnftables-dev libcmocka-dev scdoc groff-base libxml2-utils python3-yaml \
	libbpf-dev clang bpftool \
	iproute2 nftables tcpdump procps socat curl chromium jq \
	qemu-system-x86 busybox-static kmod xz-utils zstd >/dev/null
[ -f build/build.ninja ] || meson setup build >/dev/null
meson compile -C build
# A second build under ASan + UBSan (gcc brings their runtimes): the README's test command runs
# its unit suite too.
[ -f build-asan/build.ninja ] || meson setup build-asan -Db_sanitize=address,undefined -Db_lundef=false >/dev/null
meson compile -C build-asan
