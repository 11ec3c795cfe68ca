#!/bin/sh
# SPDX-License-Identifier: MIT
# The kernel matrix: tcpfault's catalog (both families), its examples and the netem test, run on
# this machine's kernel and inside a QEMU guest booting each Debian kernel package named, then
# one table (scenario x kernel) and a summary line per kernel.
#   tests/kernels/matrix.sh [-b BUILD] [-o OUT] [-t SECONDS] [-a auto|kvm|tcg] [-s FILE] [-x PROGRAM] [-n] PKG...
# Guests get no network device (-nic none): the host's / is shared read-only over virtio-9p under
# a tmpfs overlay (so the guest runs the host's build and programs), OUT/RELEASE is shared
# writable for the results. Packages are downloaded and unpacked into a cache (fetch.sh), never
# installed: /boot and /etc/apt are not touched. One guest at a time; each QEMU is killed by its
# PID at the bound (-t, whole boot and suite). Needs root (tcpfault on the host, and QEMU reading
# all of / for the guest). Exit status: 0 every kernel ran its legs (whatever the verdicts),
# 1 a package could not be fetched or a guest did not finish, 2 bad usage, 3 a tool is missing.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
src=$(cd "$here/../.." && pwd)
cache=${XDG_CACHE_HOME:-/var/tmp}/tcpfault-kernels
build=$src/build out='' bound=900 accel=auto host=1 bad=0 only= exec=

usage() {
	echo "usage: $0 [-b BUILD] [-o OUT] [-t SECONDS] [-a auto|kvm|tcg] [-s FILE] [-x PROGRAM] [-n] PKG..." >&2
	echo "  PKG: a Debian kernel package such as linux-image-6.1.0-57-amd64; -n: not this machine's kernel" >&2
	echo "  -s FILE: run only this scenario file (a path under the source tree), as the catalog leg" >&2
	echo "  -x PROGRAM: in each guest run PROGRAM OUTDIR (an absolute path) in place of the suite" >&2
	exit 2
}
while getopts b:o:t:a:s:x:nh o; do
	case $o in
	b) build=$(cd "$OPTARG" && pwd) ;;
	o) out=$OPTARG ;;
	t) bound=$OPTARG ;;
	a) accel=$OPTARG ;;
	n) host= ;;
	s) only=$OPTARG ;;
	x) exec=$OPTARG host= ;;
	*) usage ;;
	esac
done
shift $((OPTIND - 1))
case $accel in auto|kvm|tcg) ;; *) usage ;; esac
case $bound in ''|*[!0-9]*) usage ;; esac
[ $# -gt 0 ] || [ -n "$host" ] || usage

if [ "$(id -u)" -ne 0 ]; then
	echo "matrix.sh: needs root (tcpfault makes namespaces; QEMU shares all of / with the guest)" >&2
	exit 3
fi
lack=
for t in qemu-system-x86_64 jq dpkg-deb apt-get depmod modinfo gzip xz zstd timeout; do
	command -v "$t" >/dev/null 2>&1 || lack="$lack $t"
done
# The guest's initramfs needs a static busybox; Debian's busybox package is dynamic.
dpkg-query -W -f '${Status}' busybox-static 2>/dev/null | grep -q 'ok installed' || lack="$lack busybox-static"
if [ -n "$lack" ]; then
	echo "matrix.sh: missing:$lack" >&2
	echo "  apt-get install --no-install-recommends qemu-system-x86 busybox-static jq kmod xz-utils zstd" >&2
	exit 3
fi
if [ ! -x "$build/harness/tcpfault" ]; then
	echo "matrix.sh: no $build/harness/tcpfault: build it first (meson compile -C $build)" >&2
	exit 2
fi
case "$src$build$cache$only$exec" in *[[:space:]]*)
	echo "matrix.sh: the paths go on a kernel command line: no spaces in $src, $build, $cache" >&2
	exit 2 ;;
esac
[ -n "$out" ] || out=$cache/results/$(date +%Y%m%d-%H%M%S)
mkdir -p "$out"
out=$(cd "$out" && pwd)
: > "$out/columns"

qpid=
trap 'if [ -n "$qpid" ]; then kill "$qpid" 2>/dev/null; fi; exit 130' INT TERM

# initrd PKGDIR RELEASE: the initramfs with /init, busybox and the modules (decompressed, in
# load order) the guest needs to mount its root.
initrd() {
	d=$1/initrd mdir=$1/root/lib/modules/$2
	rm -rf "$d"
	mkdir -p "$d/bin" "$d/mods" "$d/proc" "$d/sys" "$d/dev"
	cp /bin/busybox "$d/bin/busybox"
	cp "$here/init.sh" "$d/init"
	: > "$d/modules"
	for m in virtio_pci 9pnet_virtio 9p overlay; do
		line=$(grep -E "(^|/)$m\.ko(\.[a-z]+)?:" "$mdir/modules.dep" || true)
		if [ -z "$line" ]; then
			grep -qE "/$m\.ko$" "$mdir/modules.builtin" && continue
			echo "matrix.sh: $2 has no module $m" >&2
			return 1
		fi
		# modules.dep lists dependencies so that the last must load first.
		for f in $(echo "${line#*:}" | tr ' ' '\n' | sed '/^$/d' | tac) "${line%%:*}"; do
			b=$(basename "$f")
			b=${b%.xz} b=${b%.zst} b=${b%.gz}
			grep -qx "$b" "$d/modules" && continue
			case $f in
			*.xz) xz -dc "$mdir/$f" > "$d/mods/$b" ;;
			*.zst) zstd -qdc "$mdir/$f" > "$d/mods/$b" ;;
			*.gz) gzip -dc "$mdir/$f" > "$d/mods/$b" ;;
			*) cp "$mdir/$f" "$d/mods/$b" ;;
			esac
			echo "$b" >> "$d/modules"
		done
	done
	(cd "$d" && find . | busybox cpio -o -H newc 2>/dev/null) | gzip -1 > "$1/initrd.gz"
}

# boot PKGDIR RELEASE DIR ACCEL PROBE BOUND: one QEMU run, killed by its PID at BOUND seconds;
# its console goes to DIR/console.log (DIR/probe.log for a probe).
boot() {
	log=$3/console.log
	[ "$5" = 1 ] && log=$3/probe.log
	set -- "$@" "$1/root/boot/vmlinuz-$2"
	acc=$4
	[ "$4" = tcg ] && acc=tcg,thread=multi
	timeout -k 10 "$6" qemu-system-x86_64 -nodefaults -no-user-config -nic none \
		-display none -monitor none -serial "file:$log" -no-reboot \
		-m 4G -smp 2 -accel "$acc" -cpu max \
		-kernel "$7" -initrd "$1/initrd.gz" \
		-append "console=ttyS0 panic=-1 loglevel=4 tcpfault.src=$src tcpfault.build=$build tcpfault.out=$3 tcpfault.modules=$1/root/lib/modules/$2 tcpfault.probe=$5${only:+ tcpfault.only=$only}${exec:+ tcpfault.exec=$exec}" \
		-virtfs local,path=/,mount_tag=hostroot,security_model=none,readonly=on,multidevs=remap \
		-virtfs "local,path=$3,mount_tag=out,security_model=none,multidevs=remap" \
		</dev/null >"$3/qemu.log" 2>&1 &
	qpid=$!
	rc=0
	wait "$qpid" || rc=$?
	qpid=
	return "$rc"
}

if [ -n "$host" ]; then
	rel=$(uname -r)
	mkdir -p "$out/$rel"
	echo "matrix.sh: $rel (this machine)" >&2
	start=$(date +%s)
	sh "$here/suite.sh" "$src" "$build" "$out/$rel" "" "$only" || true
	echo $(( $(date +%s) - start )) > "$out/$rel/wall"
	echo "host" > "$out/$rel/how"
	echo "$rel" >> "$out/columns"
fi

for pkg in "$@"; do
	pdir=$cache/$pkg
	if ! "$here/fetch.sh" "$cache" "$pkg" >/dev/null || [ ! -f "$pdir/ok" ]; then
		echo "matrix.sh: cannot fetch $pkg" >&2
		bad=1
		continue
	fi
	rel=$(basename "$(find "$pdir/root/lib/modules" -mindepth 1 -maxdepth 1)")
	dir=$out/$rel
	mkdir -p "$dir"
	echo "$rel" >> "$out/columns"
	initrd "$pdir" "$rel" || { bad=1; continue; }
	a=tcg
	if [ "$accel" = kvm ] || { [ "$accel" = auto ] && [ -w /dev/kvm ]; }; then
		# Some KVMs cannot boot a stock kernel (it stops early): a short probe boot decides.
		boot "$pdir" "$rel" "$dir" kvm 1 60 || true
		if grep -q '^tcpfault-guest: up' "$dir/probe.log" 2>/dev/null; then
			a=kvm
		else
			echo "matrix.sh: $rel does not boot under KVM here, using TCG" >&2
		fi
	fi
	echo "matrix.sh: $rel ($pkg, $a, at most $bound s)" >&2
	echo "$a" > "$dir/how"
	start=$(date +%s)
	rc=0
	boot "$pdir" "$rel" "$dir" "$a" 0 "$bound" || rc=$?
	echo $(( $(date +%s) - start )) > "$dir/wall"
	[ "$rc" = 124 ] && echo "matrix.sh: $rel reached the bound of $bound s: killed" >&2
	if ! grep -q '^tcpfault-guest: done' "$dir/console.log" 2>/dev/null; then
		echo "matrix.sh: $rel did not finish; see $dir/console.log" >&2
		bad=1
	fi
done

"$here/table.sh" "$out" | tee "$out/table"
echo "results: $out" >&2
# The verdicts are in the table; the exit status says whether every kernel gave its results.
exit "$bad"
