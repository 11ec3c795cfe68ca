#!/bin/busybox sh
# SPDX-License-Identifier: MIT
# /init of a matrix guest's initramfs (made by matrix.sh with a static busybox and the few
# modules listed in /modules): mounts the host's root read-only over virtio-9p with a tmpfs
# overlay on it, binds the kernel package's unpacked modules at /lib/modules/RELEASE, mounts the
# writable results share at the same path as on the host, and hands over to guest.sh as PID 1.
/bin/busybox --install -s /bin
export PATH=/bin
mount -t proc proc /proc
mount -t sysfs sys /sys
mount -t devtmpfs dev /dev
for m in $(cat /modules); do
	insmod "/mods/$m" || echo "tcpfault-init: insmod $m failed"
done
src='' mods='' out=''
for a in $(cat /proc/cmdline); do
	case $a in
	tcpfault.src=*) src=${a#*=} ;;
	tcpfault.modules=*) mods=${a#*=} ;;
	tcpfault.out=*) out=${a#*=} ;;
	esac
done
fail() {
	echo "tcpfault-init: $*"
	poweroff -f
	exit 1
}
mkdir -p /lower /rw /newroot
mount -t 9p -o trans=virtio,version=9p2000.L,msize=512000,ro hostroot /lower || fail "no host root"
mount -t tmpfs -o size=2G tmpfs /rw
mkdir -p /rw/upper /rw/work
mount -t overlay overlay -o lowerdir=/lower,upperdir=/rw/upper,workdir=/rw/work /newroot ||
	fail "no overlay"
kver=$(uname -r)
mkdir -p "/newroot/lib/modules/$kver" "/newroot$out"
mount --bind "/lower$mods" "/newroot/lib/modules/$kver" || fail "no modules at $mods"
mount -t 9p -o trans=virtio,version=9p2000.L,msize=512000 out "/newroot$out" || fail "no results share"
mount -t proc proc /newroot/proc
mount -t sysfs sys /newroot/sys
mount -t devtmpfs dev /newroot/dev
mkdir -p /newroot/dev/pts /newroot/dev/shm
mount -t devpts devpts /newroot/dev/pts
mount -t tmpfs tmpfs /newroot/dev/shm
# /tmp stays the overlay's (writable): a tmpfs would hide a source tree or build under the host's /tmp.
mount -t tmpfs tmpfs /newroot/run
exec switch_root /newroot /bin/sh "$src/tests/kernels/guest.sh"
