#!/bin/sh
# SPDX-License-Identifier: MIT
# netns suite: where a seccomp policy refuses ptrace, or allows it but refuses the calls the
# tracer needs besides (process_vm_readv/writev, pidfd_getfd: Docker's default profile without
# CAP_SYS_PTRACE), or seccomp(2) itself, or only its installing of a filter (its questions
# allowed: it exited 1), a traced program's run ends with exit 3 naming the
# call refused: never a pass with calls lost, nor a timeout blamed on the program (issue 16).
# So too where the policy kills the process making the call, or sends it SIGSYS, rather than
# refuse it (systemd's SystemCallFilter= kills by default): it once killed the tracer, exit 1.
# pidfd_open failing ENOSYS (before Linux 5.3) or EPERM: exit 3 naming it (it was exit 1, 'starting
# a worker: Function not implemented').
#   traced-refused.sh TCPFAULT SECCOMP-REFUSE STATIC-SIGKILL-FILE
tcpfault=$1 refuse=$2 file=$3
. "$(dirname "$0")/reach.sh"
reach "$tcpfault" "$file"
rc_all=0
killed="(a seccomp policy kills the process making it: SIGSYS)"
for case in "ptrace ptrace" "vm process_vm_readv" "seccomp seccomp" "install seccomp" "kill:ptrace ptrace" \
	"kill:vm process_vm_readv" "kill:seccomp seccomp" "trap:ptrace ptrace" "trap:vm process_vm_readv" \
	"pidfd pidfd_open"; do
	set -- $case
	want="lacks: $2, to observe the calls of"
	[ "$1" = pidfd ] && want="lacks: pidfd_open (Linux 5.3, not refused by a seccomp policy), to start a run's worker"
	case $1 in
	*:*) action=${1%%:*} mode=${1#*:} want="lacks: $2 $killed, to observe the calls of" ;;
	*) action= mode=$1 ;;
	esac
	out=$("$refuse" $action "$mode" "$tcpfault" run -j1 --family inet $privileged "$file" 2>&1)
	rc=$?
	printf '%s\n' "$out"
	if [ "$rc" -ne 3 ]; then
		echo "FAILED ($1): exit status $rc, want 3"; rc_all=1
	elif ! printf '%s\n' "$out" | grep -qF "$want"; then
		echo "FAILED ($1): no '$want'"; rc_all=1
	else
		echo "ok ($1): exit 3 naming $2"
	fi
done
exit $rc_all
