/* SPDX-License-Identifier: MIT */
/*
 * The tracer's seccomp filters (harness/run/tracer.c), judged without a kernel: the filter set at
 * exec and one added for a TCP socket are run by a small classic-BPF interpreter over
 * seccomp_data as the kernel would fill it. This machine's kernel cannot make the calls of
 * another ABI (no i386 emulation here), so that is how a call of another ABI is shown to stop
 * the program (SECCOMP_RET_TRACE) rather than run unseen, and the tracer's words for it.
 * The tracer's source is compiled in, for its private functions.
 */
#include "../harness/run/tracer.c"

#include <setjmp.h>
#include <stdarg.h>
#include <cmocka.h>

/* The instructions the tracer's filters use; any other fails the test. */
static uint32_t run_filter(const struct sock_filter *f, unsigned len, const struct seccomp_data *d)
{
	uint32_t a = 0;

	for (unsigned pc = 0; pc < len; pc++) {
		const struct sock_filter *i = &f[pc];
		switch (i->code) {
		case BPF_LD | BPF_W | BPF_ABS:
			assert_true(i->k + sizeof a <= sizeof *d);
			memcpy(&a, (const char *)d + i->k, sizeof a);
			break;
		case BPF_ALU | BPF_AND | BPF_K:
			a &= i->k;
			break;
		case BPF_JMP | BPF_JEQ | BPF_K:
			pc += a == i->k ? i->jt : i->jf;
			break;
		case BPF_JMP | BPF_JGE | BPF_K:
			pc += a >= i->k ? i->jt : i->jf;
			break;
		case BPF_RET | BPF_K:
			return i->k;
		default:
			fail_msg("instruction %#x at %u not interpreted", i->code, pc);
		}
	}
	fail_msg("the filter ran past its end");
	return 0;
}

static struct tracer tr;

/* What the exec filter says of a call (arch, nr, its first arguments). */
static uint32_t exec_verdict(uint32_t arch, int nr, uint64_t a0, uint64_t a1)
{
	struct seccomp_data d = { .nr = nr, .arch = arch, .args = { a0, a1 } };

	return run_filter(tr.prog.filter, tr.prog.len, &d);
}

static void test_exec_filter(void **state)
{
	(void) state;
	build_filter(&tr, false);
	assert_int_equal(exec_verdict(AUDIT_ARCH_X86_64, SYS_socket, AF_INET, SOCK_STREAM | SOCK_CLOEXEC), SECCOMP_RET_TRACE);
	assert_int_equal(exec_verdict(AUDIT_ARCH_X86_64, SYS_socket, AF_UNIX, SOCK_STREAM), SECCOMP_RET_ALLOW);
	assert_int_equal(exec_verdict(AUDIT_ARCH_X86_64, SYS_getpid, 0, 0), SECCOMP_RET_ALLOW);
	/* calls on an fd: left to the filters added for each TCP socket */
	assert_int_equal(exec_verdict(AUDIT_ARCH_X86_64, SYS_read, 3, 0), SECCOMP_RET_ALLOW);
	assert_int_equal(exec_verdict(AUDIT_ARCH_X86_64, SYS_recvmsg, 3, 0), SECCOMP_RET_TRACE);
	/* a socket taken from another process: looked at */
	assert_int_equal(exec_verdict(AUDIT_ARCH_X86_64, SYS_pidfd_getfd, 3, 4), SECCOMP_RET_TRACE);
	/* an fd table of its own: looked at */
	assert_int_equal(exec_verdict(AUDIT_ARCH_X86_64, SYS_unshare, CLONE_FILES, 0), SECCOMP_RET_TRACE);
	/* another ABI: every call stops (i386: read, socketcall, getpid), x32's too */
	assert_int_equal(exec_verdict(AUDIT_ARCH_I386, 3, 3, 0), SECCOMP_RET_TRACE);
	assert_int_equal(exec_verdict(AUDIT_ARCH_I386, 102, 1, 0), SECCOMP_RET_TRACE);
	assert_int_equal(exec_verdict(AUDIT_ARCH_I386, 20, 0, 0), SECCOMP_RET_TRACE);
	assert_int_equal(exec_verdict(AUDIT_ARCH_X86_64, X32_BIT | SYS_read, 3, 0), SECCOMP_RET_TRACE);
	assert_int_equal(exec_verdict(AUDIT_ARCH_X86_64, X32_BIT | SYS_getpid, 0, 0), SECCOMP_RET_TRACE);
}

static void test_fd_filter(void **state)
{
	struct sock_filter f[FD_FILTER_MAX];
	const int fds[] = { 5 };
	unsigned len = fd_filter(fds, 1, f);
	struct seccomp_data on5 = { .nr = SYS_read, .arch = AUDIT_ARCH_X86_64, .args = { 5 } };
	struct seccomp_data on6 = { .nr = SYS_read, .arch = AUDIT_ARCH_X86_64, .args = { 6 } };
	struct seccomp_data over5 = { .nr = SYS_dup2, .arch = AUDIT_ARCH_X86_64, .args = { 3, 5 } };
	/* sendfile from 5 into a pipe (its second fd; review rev16e N2), splice to 5 (its third) */
	struct seccomp_data from5 = { .nr = SYS_sendfile, .arch = AUDIT_ARCH_X86_64, .args = { 3, 5 } };
	struct seccomp_data from6 = { .nr = SYS_sendfile, .arch = AUDIT_ARCH_X86_64, .args = { 3, 6, 5 } };
	struct seccomp_data to5 = { .nr = SYS_splice, .arch = AUDIT_ARCH_X86_64, .args = { 3, 0, 5 } };
	struct seccomp_data read2nd = { .nr = SYS_read, .arch = AUDIT_ARCH_X86_64, .args = { 3, 5 } };
	struct seccomp_data i386 = { .nr = 3, .arch = AUDIT_ARCH_I386, .args = { 5 } };

	(void) state;
	assert_true(len <= FD_FILTER_MAX);
	assert_int_equal(run_filter(f, len, &on5), SECCOMP_RET_TRACE);
	assert_int_equal(run_filter(f, len, &on6), SECCOMP_RET_ALLOW);
	assert_int_equal(run_filter(f, len, &over5), SECCOMP_RET_TRACE);
	assert_int_equal(run_filter(f, len, &from5), SECCOMP_RET_TRACE);
	assert_int_equal(run_filter(f, len, &from6), SECCOMP_RET_ALLOW);
	assert_int_equal(run_filter(f, len, &to5), SECCOMP_RET_TRACE);
	assert_int_equal(run_filter(f, len, &read2nd), SECCOMP_RET_ALLOW);
	/* This one lets another ABI's call run: the exec filter, always there, stops it (the
	 * strictest action of all a process's filters wins). */
	assert_int_equal(run_filter(f, len, &i386), SECCOMP_RET_ALLOW);
}

/* At that stop the program is said unobserved, naming the ABI. */
static void test_other_abi(void **state)
{
	static struct world w;
	struct task t = { .tid = 42, .pending = -1 };
	struct sc_info si = { .op = INFO_SECCOMP, .arch = AUDIT_ARCH_I386, .seccomp = { .nr = 3 } };
	int sv[2];
	char msg[256] = "";

	(void) state;
	assert_int_equal(socketpair(AF_UNIX, SOCK_SEQPACKET, 0, sv), 0);
	w.report_fd = sv[0];
	si.arch = AUDIT_ARCH_X86_64;
	assert_false(other_abi(&w, &t, &si));
	si.arch = AUDIT_ARCH_I386;
	assert_true(other_abi(&w, &t, &si));
	assert_true(recv(sv[1], msg, sizeof msg - 1, MSG_DONTWAIT) > 0);
	assert_non_null(strstr(msg, "unobserved process 42 made a 32-bit (i386) system call"));
	close(sv[0]);
	close(sv[1]);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_exec_filter),
		cmocka_unit_test(test_fd_filter),
		cmocka_unit_test(test_other_abi),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
