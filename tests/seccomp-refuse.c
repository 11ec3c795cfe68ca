/* SPDX-License-Identifier: MIT */
/*
 * seccomp-refuse: runs a command under a seccomp policy that refuses (EPERM) either ptrace, or
 * the calls a tracer needs besides it (process_vm_readv, process_vm_writev, pidfd_getfd), as
 * Docker's default profile does without CAP_SYS_PTRACE, or seccomp(2) itself, or only the
 * installing of a filter (seccomp(SECCOMP_SET_MODE_FILTER), its questions allowed)
 * (tests/traced-refused.sh). With kill first, the process making one is killed instead
 * (SECCOMP_RET_KILL_PROCESS: systemd's SystemCallFilter= default); with trap, sent SIGSYS
 * (SECCOMP_RET_TRAP). pidfd: pidfd_open fails ENOSYS, as before Linux 5.3:
 *
 *     seccomp-refuse [kill|trap] ptrace|vm|seccomp|install|pidfd COMMAND [ARG...]
 */
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <sys/prctl.h>
#include <sys/syscall.h>

int main(int argc, char **argv)
{
	unsigned action = SECCOMP_RET_ERRNO | EPERM;
	if (argc > 1 && (!strcmp(argv[1], "kill") || !strcmp(argv[1], "trap"))) {
		action = argv[1][0] == 'k' ? SECCOMP_RET_KILL_PROCESS : SECCOMP_RET_TRAP;
		argc--, argv++;
	}
	struct sock_filter vm[] = {
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_process_vm_readv, 2, 0),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_process_vm_writev, 1, 0),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_pidfd_getfd, 0, 1),
		BPF_STMT(BPF_RET | BPF_K, action),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
	};
	struct sock_filter pt[] = {
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_ptrace, 0, 1),
		BPF_STMT(BPF_RET | BPF_K, action),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
	};
	struct sock_filter sc[] = {
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_seccomp, 0, 1),
		BPF_STMT(BPF_RET | BPF_K, action),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
	};
	struct sock_filter pf[] = {
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_pidfd_open, 0, 1),
		BPF_STMT(BPF_RET | BPF_K, action == (SECCOMP_RET_ERRNO | EPERM) ? SECCOMP_RET_ERRNO | ENOSYS : action),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
	};
	struct sock_filter in[] = {
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_seccomp, 0, 3),
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, args)),   /* its low half */
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SECCOMP_SET_MODE_FILTER, 0, 1),
		BPF_STMT(BPF_RET | BPF_K, action),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
	};
	if (argc < 3 || (strcmp(argv[1], "ptrace") && strcmp(argv[1], "vm") && strcmp(argv[1], "seccomp") &&
			 strcmp(argv[1], "install") && strcmp(argv[1], "pidfd"))) {
		fprintf(stderr, "usage: seccomp-refuse [kill|trap] ptrace|vm|seccomp|install|pidfd COMMAND [ARG...]\n");
		return 125;
	}
	struct sock_fprog p = !strcmp(argv[1], "ptrace") ? (struct sock_fprog){ sizeof pt / sizeof *pt, pt } :
			      !strcmp(argv[1], "pidfd") ? (struct sock_fprog){ sizeof pf / sizeof *pf, pf } :
			      argv[1][0] == 's' ? (struct sock_fprog){ sizeof sc / sizeof *sc, sc } :
			      argv[1][0] == 'i' ? (struct sock_fprog){ sizeof in / sizeof *in, in } :
						  (struct sock_fprog){ sizeof vm / sizeof *vm, vm };
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) || syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &p)) {
		perror("seccomp-refuse");
		return 125;
	}
	execvp(argv[2], argv + 2);
	perror(argv[2]);
	return 127;
}
