#!/bin/sh
# SPDX-License-Identifier: MIT
# PID 1 of a matrix guest, once the initramfs has switched to the host's root (read-only under a
# tmpfs overlay): loads what the catalog uses that this kernel builds as modules, runs suite.sh
# into the results share, and powers the guest off. Its output is the guest's console.
# Arguments come from the kernel command line: tcpfault.src, tcpfault.build, tcpfault.out, and
# tcpfault.only=FILE (matrix.sh -s: that scenario file only), tcpfault.exec=PROGRAM (matrix.sh -x:
# that program, given the results folder, in place of the suite) and tcpfault.probe=1 for a boot
# that only says it came up (the KVM probe in matrix.sh).
PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
export PATH
src='' build='' out='' probe='' only='' exec=''
for a in $(cat /proc/cmdline); do
	case $a in
	tcpfault.src=*) src=${a#*=} ;;
	tcpfault.build=*) build=${a#*=} ;;
	tcpfault.out=*) out=${a#*=} ;;
	tcpfault.probe=*) probe=${a#*=} ;;
	tcpfault.only=*) only=${a#*=} ;;
	tcpfault.exec=*) exec=${a#*=} ;;
	esac
done
echo "tcpfault-guest: up $(uname -r)"
if [ "$probe" != 1 ]; then
	# Autoloading would find most of these too; loading them first makes a missing one visible.
	for m in veth bridge nf_tables nft_reject_inet nft_ct nft_limit sch_netem inet_diag tcp_diag; do
		modprobe -q "$m" || echo "tcpfault-guest: no module $m"
	done
	start=$(date +%s)
	if [ -n "$exec" ]; then
		"$exec" "$out" > "$out/exec.log" 2>&1
		echo "tcpfault-guest: $exec exited $?"
	else
	# Each run's limit is 180 s here, not its file's 10-120 s: under TCG emulation on a loaded
	# host the harness itself is slow (setting up a run's namespaces took 11 s, an nft command
	# up to 0.9 s, a snat step 7 s), and a run that reaches its limit ends in error whatever
	# the kernel did. The limit bounds the harness, no kernel timer; awaits keep their bounds.
	sh "$src/tests/kernels/suite.sh" "$src" "$build" "$out" 180s "$only"
	fi
	echo "tcpfault-guest: suite took $(( $(date +%s) - start )) s"
fi
sync
echo "tcpfault-guest: done"
# busybox (the static one matrix.sh requires) powers off at once, without an init system; if it
# cannot, PID 1 exiting panics the kernel, and panic=-1 with QEMU's -no-reboot ends the VM.
busybox poweroff -f
