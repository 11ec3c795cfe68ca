#!/bin/sh
# SPDX-License-Identifier: MIT
# Downloads a Debian kernel package and unpacks it into the cache, with its modules indexed:
#   fetch.sh CACHE PKG      prints the unpacked tree's path (CACHE/PKG/root) on its last line
#   fetch.sh CACHE --lists  only refreshes the private package lists (for apt-cache queries)
# apt runs with a private state under CACHE (its own sources list, lists and archives): the host's
# /etc/apt, its package lists and /boot are never touched, and Debian 11's kernels are found
# beside Debian 12's. Already unpacked packages are reused.
set -eu
cache=$1 pkg=$2
tree=$cache/$pkg/root
if [ "$pkg" != --lists ] && [ -f "$cache/$pkg/ok" ]; then
	echo "$tree"
	exit 0
fi
apt=$cache/apt
mkdir -p "$apt/lists/partial" "$apt/archives/partial" "$apt/sources.d" "$apt/debs"
cat > "$apt/sources.list" <<SRC
deb http://deb.debian.org/debian bookworm main
deb http://deb.debian.org/debian bookworm-updates main
deb http://deb.debian.org/debian bookworm-backports main
deb http://deb.debian.org/debian-security bookworm-security main
deb http://deb.debian.org/debian bullseye main
deb http://deb.debian.org/debian bullseye-updates main
deb http://deb.debian.org/debian-security bullseye-security main
SRC
set -- -o Dir::Etc::SourceList="$apt/sources.list" -o Dir::Etc::SourceParts="$apt/sources.d" \
	-o Dir::State::Lists="$apt/lists" -o Dir::Cache="$apt" -o Dir::Cache::Archives="$apt/archives" \
	-o Debug::NoLocking=1 -o APT::Sandbox::User=root
# The lists are refreshed once a day: kernel ABI names change with each point release.
if [ -z "$(find "$apt/lists" -maxdepth 1 -name '*Packages*' -mtime -1 2>/dev/null | head -n1)" ]; then
	apt-get "$@" -qq update >&2
fi
[ "$pkg" = --lists ] && exit 0
(cd "$apt/debs" && apt-get "$@" -qq download "$pkg" >&2)
deb=$(find "$apt/debs" -name "${pkg}_*.deb" | sort -V | tail -n1)
rm -rf "${cache:?}/$pkg"
mkdir -p "$tree"
dpkg-deb -x "$deb" "$tree"
kver=$(basename "$(find "$tree/lib/modules" -mindepth 1 -maxdepth 1)")
depmod -b "$tree" "$kver"
touch "$cache/$pkg/ok"
echo "$tree"
