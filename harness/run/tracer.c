/* SPDX-License-Identifier: MIT */
/*
 * The tracer: sees the socket calls of a program the shim (peers/shim.c, LD_PRELOAD) cannot see
 * into: a statically linked binary, a Go program (its runtime makes its syscalls itself), raw
 * syscall(2), readv/writev. The program runs under a seccomp filter that stops it (SECCOMP_RET_TRACE)
 * on the socket and I/O syscalls only; the tracer looks at each stop, and for a call on a TCP
 * socket lets it run to its exit stop for the result. Each result is reported exactly as the
 * shim reports one, "CALL FD RET ERRNO T_US PID" on the program's SOCK_SEQPACKET report socket,
 * so program.c reads both alike and every expectation reads the same.
 *
 * The tracer is a process, a child of the run's worker, one for each traced program; it is
 * not a thread of the worker. The program must stay the worker's own unreaped child (program.c
 * signals its process group and reads its exit with waitid(WNOWAIT)), and a tracer in the
 * worker's thread group would break that: the kernel reports a tracee's ptrace stops to every
 * thread of its tracer's group (a waitid(WEXITED) in the event loop would return them), and a
 * tracer of that group reaping the program's zombie releases it for good (EXIT_DEAD). A
 * tracer in a process of its own is "reparented" in ptrace's terms (as gdb is): the worker never
 * sees its stops, and the program's zombie, once the tracer has read it, is handed back to the
 * worker (EXIT_TRACE) with the program's own exit status. The tracer waits on its own tracees
 * only (it has no children), so it can reap nothing of the worker's.
 *
 * Which fds are TCP sockets is tracked per process: socket() and accept() results, dups of them,
 * close, dup2/dup3/close_range and exec invalidate; an fd not yet known is looked at once through
 * pidfd_getfd() (its SO_DOMAIN and SO_PROTOCOL).
 *
 * Only calls on TCP sockets stop the program. The filter set at exec stops socket() (AF_INET,
 * AF_INET6, SOCK_STREAM), the waits, close_range and unshare; the calls on an fd (read, write, their
 * vectored and socket forms, sendfile, splice, connect, accept, shutdown, close, getsockopt,
 * dup*, fcntl) stop only where that fd has a filter of its own (splice's third fd, and
 * sendfile's and dup2/dup3's second, are looked at too). A filter cannot be removed or changed, but more
 * can be added (the strictest action wins: ALLOW loses to TRACE): when an fd becomes a TCP
 * socket (socket, accept or dup exit stop; handed over at exec, looked at then), the tracer
 * makes the stopped program call seccomp(SECCOMP_SET_MODE_FILTER, TSYNC) with a small filter
 * "this call on these fds: TRACE" (add_filter()): every thread of the process gets it, forks
 * inherit it, exec keeps it. It is in before the call that made the socket returns, the task's
 * signals blocked meanwhile (else a signal first let it run on with the socket's number, which
 * another thread could use unseen: only a SIGSTOP still can, said unobserved, deferred()). The
 * filter, some 450 bytes, is written to a page the tracer maps into the program (an mmap() it
 * makes the program call, once per address space, the way it makes it call seccomp(); it shows in the program's /proc/PID/maps), never to the program's
 * own memory: below its stack pointer it could overwrite what a Go goroutine's small stack or a
 * nearly full alternate signal stack holds. Where that page cannot be mapped, no filter can be
 * added (the error below). An fd that was a TCP socket and is now something else (closed,
 * then reused) still stops, and is not reported. Past MAX_ADDED
 * filters the last one added stops every fd's calls (as the exec filter did before: see below);
 * where a filter cannot be added, that one is tried and the result's notes say so; where not
 * even that can be added, an expectation on the program's calls is an error naming why. Where
 * no filter can be added (another architecture than x86_64), the exec filter stops every fd's
 * calls. A TCP socket received over an AF_UNIX socket (SCM_RIGHTS) gets a filter too: the exec
 * filter stops recvmsg and recvmmsg on every fd (a seccomp filter cannot look into the msghdr);
 * one with room for a control message on an AF_UNIX socket is let run to its exit stop, where
 * the fds it received are read from its control messages and looked at afresh (their numbers
 * may have been something else, closed unseen). The others cost that one stop: none in curl's
 * or socat's bulk transfer (strace -c: no recvmsg at all). A socket the program takes from
 * another process with pidfd_getfd() is looked at (its exit stop) as accept's is. Two processes
 * sharing one fd table (clone CLONE_FILES without CLONE_THREAD) each see the other's sockets
 * with no call of their own, and a filter is a thread group's: both get the filter for every fd
 * before the clone returns (on_new_task()), and their fds are looked at at every call.
 *
 * A call on a TCP socket costs two stops (its seccomp stop, its exit stop); a poll naming a TCP
 * socket, and every epoll wait, two: their result is read at the exit stop and reported only
 * where a TCP socket's revents carry an error (POLLERR, POLLHUP, POLLRDHUP), as the shim reports
 * a wait. A socket, accept or dup of a TCP socket costs two more where its filter is added
 * (and two more for the page, the first time in an address space).
 *
 * What a stop costs (measured on a shared 2-vCPU VM: dd's 100,000 one-byte reads and writes,
 * 200,000 stops, traced against untraced in turn): 17.5 to 25.6 us of wall time each, 17 us of
 * CPU, nearly all of it system time: the stop, two context switches and the tracer's three
 * syscalls (wait4, GET_SYSCALL_INFO, PTRACE_CONT: the least a stop can take; strace -c of the
 * tracer in a Go 100 MB receive, 25,849 stops: 51,685 ptrace, 25,849 wait4, 10,618 sendto (the
 * reports), 1,990 process_vm_readv (the epoll waits' events), no /proc read). So the cost is
 * stops on TCP sockets x about 20 us: curl downloading 100 MB to a file (16,600 stops when every
 * fd's calls stopped, 12,695 of them its writes to the file) now stops 3,950 times, socat
 * receiving 100 MB (its 12,200 reads of 8 KiB; its select() is not traced) 24,900 times, no
 * longer 110,000 (tests/bench-trace.sh). A Go program's netpoller waits in epoll_pwait: a Go
 * receiver of 100 MB (io.Copy to io.Discard) made 12,212 reads and 1,197 epoll waits (strace -c),
 * so its waits are some 9% of its 26,800 stops; traced 0.68 to 1.02 s against 0.14 to 0.22 s
 * untraced (three runs each in turn, load 4). A Go client idle for 3 s (go-blackhole) waited 5
 * times. Observing sendfile, splice and SCM_RIGHTS added no stop to curl's or socat's transfer
 * (they make none of those calls): bench-trace three times against main's tracer, curl 2.28x,
 * 1.87x, 1.25x (main 1.14x, 1.57x, 1.48x) and socat 2.27x, 1.98x, 2.26x (main 2.26x, 2.61x,
 * 2.68x) at load 2.5 to 8: the spread is the machine's.
 *
 * The program never outlives its tracer: PTRACE_O_EXITKILL kills the tracees when the tracer
 * ends, and the tracer ends with the worker (PR_SET_PDEATHSIG) or at the run's end (SIGKILL by
 * its pid, tracer_free()). It ends by itself once it has no tracee left.
 *
 * An interrupted call is reported as the program sees it: -1 EINTR where its signal's handler
 * returns it so, once with its final result where the kernel makes it again (intr_decide());
 * one interrupted inside the handler of another's signal too (INTR_DEPTH of them at once).
 *
 * Blind spots: io_uring (an io_uring_setup is reported, so the result shows the program used
 * one, and the program is unobserved from then on), the calls of another ABI (a 32-bit program
 * or int 0x80 on a 64-bit kernel, x32: the filter stops each, the program is unobserved naming
 * it, other_abi()), a thread with an fd table of its own (unobserved: made without CLONE_FILES,
 * or taken by unshare(CLONE_FILES) or close_range's CLOSE_RANGE_UNSHARE where its process has
 * other threads, own_table()). The tables are fixed (MAX_PROCS processes, MAX_TASKS
 * threads at once, EXEC_FDS fds looked at when handed over at exec or fork): past the first
 * two the program is unobserved (unobserved(): an expectation on its calls is an error naming
 * why). The calls the tracer needs (ptrace, process_vm_readv/writev, pidfd_open, pidfd_getfd,
 * seccomp) are tried first, in a child (probe()): refused, or killing the process that makes one
 * (a seccomp policy's kill or SIGSYS), the run lacks them, as where ptrace is.
 */
#include <dirent.h>
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <netinet/in.h>
#include <sys/prctl.h>
#include <sys/ptrace.h>
#include <sys/socket.h>
#include <sys/epoll.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/wait.h>

#include "peer.h"
#include "exe.h"
#include "tracer.h"

#if defined(__x86_64__)
#define NATIVE_ARCH AUDIT_ARCH_X86_64
#define X32_BIT 0x40000000        /* __X32_SYSCALL_BIT: an x32 call, its arch x86_64's */
#elif defined(__aarch64__)
#define NATIVE_ARCH AUDIT_ARCH_AARCH64
#endif

/* Where filters can be added to a running program (add_filter()); elsewhere every fd's calls stop. */
#if defined(__x86_64__)
#define CAN_INJECT 1
#else
#define CAN_INJECT 0
#endif

#ifndef PR_SET_PTRACER
#define PR_SET_PTRACER 0x59616d61
#endif
#ifndef CLOSE_RANGE_UNSHARE
#define CLOSE_RANGE_UNSHARE (1U << 1)
#endif
#ifndef IPPROTO_MPTCP
#define IPPROTO_MPTCP 262
#endif
#define GET_SYSCALL_INFO 0x420e   /* PTRACE_GET_SYSCALL_INFO (Linux 5.3) */
#define INFO_ENTRY 1
#define INFO_EXIT 2
#define INFO_SECCOMP 3

/* The kernel's struct ptrace_syscall_info (its glibc and linux/ names clash between versions). */
struct sc_info {
	uint8_t op, pad[3];
	uint32_t arch;
	uint64_t ip, sp;
	union {
		struct { uint64_t nr, args[6]; } entry;
		struct { int64_t rval; uint8_t is_error; } exit;
		struct { uint64_t nr, args[6]; uint32_t ret_data; } seccomp;
	};
};

#define MAX_FILTER 128

struct tracer {
	pid_t pid;                /* the tracer process; 0 once reaped */
	int ready_w, go_r;        /* the child's ends: "attach me" (its pid), the answer */
	int ans_r;                /* the worker's end: the answer to PTRACE_SEIZE */
	struct sock_fprog prog;   /* built before the fork: the child only installs it */
	struct sock_filter filter[MAX_FILTER];
};

/* ---- which syscalls stop the program ---- */

enum kind { K_NONE, K_SOCKET, K_ACCEPT, K_CLOSE, K_SOERROR, K_FDCALL, K_RECVMSG, K_SPLICE, K_DUP, K_CLOSE_RANGE, K_IO_URING,
	    K_POLL, K_EPOLL, K_GETFD, K_UNSHARE };

/* fd: a call on the fd of its first argument, stopped only where that fd has a filter of its
 * own (or the process's fallback filter, for every fd); the others stop wherever they are made. */
static const struct {
	long nr;
	enum kind kind;
	const char *call;         /* as the shim names it; NULL: looked at, never reported */
	bool fd;
} traced[] = {
	{ SYS_socket, K_SOCKET, NULL, false },
	{ SYS_connect, K_FDCALL, "connect", true },
	{ SYS_accept, K_ACCEPT, "accept", true },
	{ SYS_accept4, K_ACCEPT, "accept", true },
	{ SYS_read, K_FDCALL, "read", true },
	{ SYS_readv, K_FDCALL, "readv", true },
	{ SYS_recvfrom, K_FDCALL, "recv", true },      /* as the shim: recv(), recvfrom() are one call */
	/* Stopped on every fd (build_filter()): on an AF_UNIX socket they may receive fds (SCM_RIGHTS). */
	{ SYS_recvmsg, K_RECVMSG, "recvmsg", true },
	{ SYS_recvmmsg, K_RECVMSG, "recvmmsg", true },
	{ SYS_write, K_FDCALL, "write", true },
	{ SYS_writev, K_FDCALL, "writev", true },
	/* With offset -1 they are readv and writev (the shim names them so); another offset on a
	 * socket fails ESPIPE. */
	{ SYS_preadv2, K_FDCALL, "readv", true },
	{ SYS_pwritev2, K_FDCALL, "writev", true },
	{ SYS_sendto, K_FDCALL, "send", true },
	{ SYS_sendmsg, K_FDCALL, "sendmsg", true },
	{ SYS_sendmmsg, K_FDCALL, "sendmmsg", true },
	/* Data moved without passing through the program (Go's net/http: sendfile from a file,
	 * splice from a TCP socket to another through a pipe). sendfile's socket is its first fd
	 * or its second (read from: the kernel splices it into a pipe, EINVAL into a file);
	 * splice's its first or its third (the filter's, see fd_filter()). copy_file_range
	 * refuses sockets (EINVAL): not looked at. */
	{ SYS_sendfile, K_SPLICE, "sendfile", true },
	{ SYS_splice, K_SPLICE, "splice", true },
	{ SYS_shutdown, K_FDCALL, "shutdown", true },
	{ SYS_close, K_CLOSE, "close", true },
	{ SYS_getsockopt, K_SOERROR, "so_error", true },
	/* A copy of a TCP socket is one too (dup2/dup3 over a TCP socket: its filter's fd is the
	 * second argument's, see fd_filter()). */
	{ SYS_dup, K_DUP, NULL, true },
#ifdef SYS_dup2
	{ SYS_dup2, K_DUP, NULL, true },
#endif
	{ SYS_dup3, K_DUP, NULL, true },
	{ SYS_fcntl, K_DUP, NULL, true },            /* F_DUPFD, F_DUPFD_CLOEXEC */
	/* The waits: reported where their revents on a TCP socket carry an error (shim.c). */
#ifdef SYS_poll
	{ SYS_poll, K_POLL, "poll", false },
#endif
	{ SYS_ppoll, K_POLL, "poll", false },
#ifdef SYS_epoll_wait
	{ SYS_epoll_wait, K_EPOLL, "epoll_wait", false },
#endif
	{ SYS_epoll_pwait, K_EPOLL, "epoll_wait", false },
#ifdef SYS_epoll_pwait2
	{ SYS_epoll_pwait2, K_EPOLL, "epoll_wait", false },
#endif
#ifdef SYS_close_range
	{ SYS_close_range, K_CLOSE_RANGE, NULL, false },
#endif
	/* unshare(CLONE_FILES) gives a thread an fd table of its own (close_range's
	 * CLOSE_RANGE_UNSHARE too): every unshare stops (rare), looked at (own_table()). */
	{ SYS_unshare, K_UNSHARE, NULL, false },
	/* A copy of another process's fd (its first argument a pidfd): the new fd looked at as accept's. */
	{ SYS_pidfd_getfd, K_GETFD, NULL, false },
#ifdef SYS_io_uring_setup
	/* The blind spot, said in the result: its socket calls would go unseen. */
	{ SYS_io_uring_setup, K_IO_URING, "io_uring_setup", false },
#endif
};
#define NTRACED (sizeof traced / sizeof traced[0])

static int traced_index(long nr)
{
	for (size_t i = 0; i < NTRACED; i++)
		if (traced[i].nr == nr)
			return (int)i;
	return -1;
}

#define ARG_LO(k) (offsetof(struct seccomp_data, args) + 8 * (k))   /* little-endian: its low half */

/* The filter set at exec. A call of another ABI (a 32-bit program on a 64-bit kernel, int 0x80,
 * x32) stops the program, every one: its numbers mean other calls, and the filters added for the
 * TCP sockets (fd_filter()) let it run, so the tracer says the program unobserved naming it
 * (other_abi()). A call that can never concern a TCP socket runs without a stop: socket() of
 * another family or type, getsockopt() of another option than SO_ERROR. The calls on an fd are
 * left to the filters added for each TCP socket (fd_filter()), where they can be: all_fds
 * (where none can be added) stops them on every fd. */
static void build_filter(struct tracer *t, bool all_fds)
{
	struct sock_filter *f = t->filter;
	unsigned n = 0;
	/* After the call's number matched: the block that decides by its arguments. */
	const struct sock_filter socket_args[] = {
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, ARG_LO(0)),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, AF_INET, 1, 0),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, AF_INET6, 0, 3),
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, ARG_LO(1)),
		BPF_STMT(BPF_ALU | BPF_AND | BPF_K, 0xf),            /* the type, without its flags */
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SOCK_STREAM, 1, 0),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_TRACE),
	};
	const struct sock_filter getsockopt_args[] = {
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, ARG_LO(1)),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SOL_SOCKET, 0, 2),
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, ARG_LO(2)),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SO_ERROR, 1, 0),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_TRACE),
	};

	_Static_assert(2 * NTRACED + 7 + sizeof socket_args / sizeof *socket_args +
		       sizeof getsockopt_args / sizeof *getsockopt_args <= MAX_FILTER, "the filter fits");
#ifdef NATIVE_ARCH
	f[n++] = (struct sock_filter)BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, arch));
	f[n++] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, NATIVE_ARCH, 1, 0);
	f[n++] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_TRACE);
	f[n++] = (struct sock_filter)BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr));
#ifdef X32_BIT
	f[n++] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JGE | BPF_K, X32_BIT, 0, 1);
	f[n++] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_TRACE);
#endif
	for (size_t i = 0; i < NTRACED; i++) {
		if (traced[i].fd && traced[i].kind != K_RECVMSG && !all_fds)
			continue;
		const struct sock_filter *block = traced[i].kind == K_SOCKET ? socket_args :
						  traced[i].kind == K_SOERROR ? getsockopt_args : NULL;
		size_t len = traced[i].kind == K_SOCKET ? sizeof socket_args / sizeof *block :
			     traced[i].kind == K_SOERROR ? sizeof getsockopt_args / sizeof *block : 0;
		f[n++] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, (uint32_t)traced[i].nr, 0,
						      block ? (uint8_t)len : 1);
		if (block) {
			memcpy(f + n, block, len * sizeof *block);
			n += (unsigned)len;
		} else {
			f[n++] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_TRACE);
		}
	}
#endif
	f[n++] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW);
	t->prog = (struct sock_fprog){ .len = (unsigned short)n, .filter = t->filter };
}

#define FILTER_FDS 4              /* the fds one added filter names */
#define FD_FILTER_MAX (15 + 3 * FILTER_FDS + NTRACED)

#if defined(__x86_64__)   /* where filters are added (add_filter()) */
/* A filter added to a running program's set: its calls on fds[] (n 0: on any fd) stop it, a
 * dup2/dup3 over one of them (their second argument), a sendfile from one (its second) and a
 * splice to one (its third). Its length (at most FD_FILTER_MAX). */
static unsigned fd_filter(const int *fds, size_t n, struct sock_filter *f)
{
	unsigned k = 0, nfd = 0;

	for (size_t i = 0; i < NTRACED; i++)
		nfd += traced[i].fd;
	/* where each part begins: the checks of dup2/dup3's and sendfile's second argument and
	 * splice's third, the calls, the ends */
	unsigned chk1 = n ? 3 + (unsigned)n + 5 : 0, chk2 = chk1 + 1 + (unsigned)n;
	unsigned set = n ? chk2 + 1 + (unsigned)n : 2, allow = set + 1 + nfd, trace = allow + 1;
#define JUMP_TO(to) ((uint8_t)((to) - (k + 1)))
	f[k] = (struct sock_filter)BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, arch)), k++;
	f[k] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, NATIVE_ARCH, 0, JUMP_TO(allow)), k++;
	if (n) {
		f[k] = (struct sock_filter)BPF_STMT(BPF_LD | BPF_W | BPF_ABS, ARG_LO(0)), k++;
		for (size_t i = 0; i < n; i++)
			f[k] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, (uint32_t)fds[i], JUMP_TO(set), 0), k++;
		f[k] = (struct sock_filter)BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)), k++;
#ifdef SYS_dup2
		f[k] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_dup2, JUMP_TO(chk1), 0), k++;
#else
		f[k] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_dup3, JUMP_TO(chk1), 0), k++;
#endif
		f[k] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_dup3, JUMP_TO(chk1), 0), k++;
		f[k] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_sendfile, JUMP_TO(chk1), 0), k++;
		f[k] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_splice, JUMP_TO(chk2), JUMP_TO(allow)), k++;
		for (unsigned arg = 1; arg <= 2; arg++) {
			f[k] = (struct sock_filter)BPF_STMT(BPF_LD | BPF_W | BPF_ABS, ARG_LO(arg)), k++;
			for (size_t i = 0; i < n; i++)
				f[k] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, (uint32_t)fds[i], JUMP_TO(trace),
								    i + 1 < n ? 0 : JUMP_TO(allow)), k++;
		}
	}
	f[k] = (struct sock_filter)BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)), k++;
	for (size_t i = 0; i < NTRACED; i++)
		if (traced[i].fd)
			f[k] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, (uint32_t)traced[i].nr,
							    JUMP_TO(trace), 0), k++;
#undef JUMP_TO
	f[k++] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW);
	f[k++] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_TRACE);
	return k;
}
#endif

bool tracer_wanted(const char *path, char *const argv[])
{
	if (exe_kind(path) > 0)
		return true;
	/* A word of the command line naming a static or Go executable as execvp would find it (with
	 * a slash as it is, else on PATH): what a shell's command line runs, as the shim's
	 * scan_command() would find it, too late. */
	for (size_t i = 1; argv[0] && argv[i]; i++)
		for (const char *w = argv[i]; *w;) {
			w += strspn(w, " \t\n;&|()<>'\"`");
			size_t n = strcspn(w, " \t\n;&|()<>'\"`");
			char word[1024], found[4096];
			if (n && n < sizeof word) {
				memcpy(word, w, n);
				word[n] = 0;
				if (exe_find(word, found, sizeof found) == 0 && exe_kind(found) > 0)
					return true;
			}
			w += n;
		}
	return false;
}

/* ---- the tracer process ---- */

enum { FD_UNKNOWN, FD_TCP, FD_OTHER };
#define FD_CACHE_MAX 65536        /* fds past this are looked at every time */
#define MAX_TASKS 1024
#define MAX_PROCS 256
#define STR_(x) #x
#define STR(x) STR_(x)

#define INTR_STOPS 256            /* syscall stops an interrupted call's fate is awaited */
#define INTR_DEPTH 8              /* interrupted calls awaited at once, each in a handler of the one before */
#define MAX_ADDED 16              /* filters added to a process before the one for every fd */
#define SCRATCH_SIZE 4096         /* the page the tracer maps into a process for the filters it adds */

struct proc {
	pid_t tgid;               /* 0: a free slot */
	int pidfd;
	uint8_t *cls;             /* FD_* of each fd below ncls */
	size_t ncls;
	/* Its seccomp filters, kept across exec and inherited by a fork: the fds the added ones
	 * name, or all_fds (every fd's calls stop: the fallback, or the filter set at exec). */
	int filtered[MAX_ADDED * FILTER_FDS];
	unsigned nfiltered, added;
	bool all_fds;
	int want[FILTER_FDS];     /* TCP sockets without a filter yet, added at the next chance */
	unsigned nwant;
	bool want_all;            /* more of them than want[] holds, or the filter for them failed */
	int want_all_err;         /* that failure's -errno (said once the filter for every fd is in) */
	/* Its scratch page (0: none yet): kept by its threads (a CLONE_VM clone shares it); a
	 * fork's child maps its own (whether its creator's was mapped before the fork is not
	 * known); gone at exec. */
	uint64_t scratch;
	/* Its fd table is another process's too (clone CLONE_FILES, not a thread): what the other
	 * does to it is not seen here, so nothing is remembered of its fds (fd_is_tcp() looks each
	 * time), and both have the filter for every fd (on_new_task()). */
	bool shared;
};

struct task {
	pid_t tid;                /* 0: a free slot */
	bool defer;               /* resumed with PTRACE_SYSCALL: a filter is added at its next call */
	bool masked;              /* its signals blocked while a filter is added (add_filter()), */
	uint64_t mask;            /* its own mask, put back after */
	struct proc *proc;        /* its process: NULL until its creator's event says which */
	bool known;               /* that event came (proc may still be NULL: no room) */
	bool held;                /* at a seccomp stop before that: left stopped until then */
	bool held_start;          /* at its first stop before that: left stopped until then */
	int pending;              /* index in traced[] of the call awaiting its exit stop, or -1 */
	int fd;
	uint64_t val;             /* getsockopt: where the value goes; a wait: its array */
	uint64_t n;               /* a wait: how many entries its array has */
	unsigned port;            /* connect: the port it connects to (0: not known) */
	bool scm;                 /* a recvmsg on an AF_UNIX socket: the fds it receives are looked at */
	/* The calls interrupted (ERESTART*, see on_exit_stop()) whose fate (restarted or -1 EINTR)
	 * is not seen yet, the innermost last: a signal handler may make a call that is
	 * interrupted in turn, the outer one still awaited. Each: its index in traced[], fd, port,
	 * where it was (the instruction and stack pointers at its exit stop), and left: the syscall
	 * stops left to see its fate. */
	struct intr { int i, fd; unsigned port, left; uint64_t ip, sp; } intr[INTR_DEPTH];
	unsigned nintr;
};

struct world {
	int report_fd;
	unsigned long dropped;
	bool noted;               /* a note on a filter that could not be added was sent */
	bool unobserved;          /* an "unobserved" report was made (the first says why) */
	char why[256];            /* that report, until sent (flush()) */
	struct proc procs[MAX_PROCS];
	struct task tasks[MAX_TASKS];
	/* Stops of other tasks that came while the tracer waited on one (wait_task()): each is
	 * still stopped, and is taken by the main loop before it waits again, in that order. */
	struct { pid_t tid; int status; } queued[2 * MAX_TASKS];
	size_t nqueued;
};

static struct proc *proc_get(struct world *w, pid_t tgid)
{
	struct proc *free_slot = NULL;

	for (size_t i = 0; i < MAX_PROCS; i++) {
		if (w->procs[i].tgid == tgid)
			return &w->procs[i];
		if (!w->procs[i].tgid && !free_slot)
			free_slot = &w->procs[i];
	}
	if (!free_slot)
		return NULL;
	*free_slot = (struct proc){ .tgid = tgid, .pidfd = (int)syscall(SYS_pidfd_open, tgid, 0), .all_fds = !CAN_INJECT };
	return free_slot;
}

static void proc_forget_fds(struct proc *p)
{
	free(p->cls);
	p->cls = NULL;
	p->ncls = 0;
}

static void proc_drop(struct proc *p)
{
	proc_forget_fds(p);
	if (p->pidfd >= 0)
		close(p->pidfd);
	*p = (struct proc){ 0 };
}

static void fd_set_class(struct proc *p, long fd, uint8_t c)
{
	if (fd < 0 || fd >= FD_CACHE_MAX)
		return;
	if ((size_t)fd >= p->ncls) {
		if (c == FD_UNKNOWN)
			return;
		size_t n = ((size_t)fd / 1024 + 1) * 1024;
		uint8_t *grown = realloc(p->cls, n);
		if (!grown)
			return;
		memset(grown + p->ncls, FD_UNKNOWN, n - p->ncls);
		p->cls = grown;
		p->ncls = n;
	}
	p->cls[fd] = c;
}

/* fd, a TCP socket of the process: its calls must stop the process (a filter added for it). */
static void want_filter(struct proc *p, long fd)
{
	if (!p || p->all_fds || fd < 0 || fd > INT32_MAX)
		return;
	for (unsigned i = 0; i < p->nfiltered; i++)
		if (p->filtered[i] == fd)
			return;
	for (unsigned i = 0; i < p->nwant; i++)
		if (p->want[i] == fd)
			return;
	if (p->nwant < FILTER_FDS)
		p->want[p->nwant++] = (int)fd;
	else
		p->want_all = true;
}

static bool wants_filter(const struct proc *p)
{
	return p && !p->all_fds && (p->nwant || p->want_all);
}

/* Whether fd of the process is a TCP socket: known, or looked at through a copy of it. */
static bool fd_is_tcp(struct proc *p, long fd)
{
	if (fd < 0 || fd > INT32_MAX)
		return false;
	if (!p->shared && (size_t)fd < p->ncls && p->cls[fd] != FD_UNKNOWN)
		return p->cls[fd] == FD_TCP;
	int copy = p->pidfd < 0 ? -1 : (int)syscall(SYS_pidfd_getfd, p->pidfd, (int)fd, 0);
	if (copy < 0)
		return false;     /* not open (the call fails EBADF): nothing to remember */
	int domain = 0, proto = 0;
	socklen_t dlen = sizeof domain, plen = sizeof proto;
	bool tcp = getsockopt(copy, SOL_SOCKET, SO_DOMAIN, &domain, &dlen) == 0 &&
		   (domain == AF_INET || domain == AF_INET6) &&
		   getsockopt(copy, SOL_SOCKET, SO_PROTOCOL, &proto, &plen) == 0 &&
		   (proto == IPPROTO_TCP || proto == IPPROTO_MPTCP);
	close(copy);
	fd_set_class(p, fd, tcp ? FD_TCP : FD_OTHER);
	if (tcp)
		want_filter(p, fd);
	return tcp;
}

static bool flush(struct world *w);

/* What the tracer cannot follow: the program's calls are then not all seen, and an expectation
 * on them is an error saying why (program.c), not a pass on calls lost. Said once. */
static void unobserved(struct world *w, const char *why)
{
	if (w->unobserved)
		return;
	w->unobserved = true;
	snprintf(w->why, sizeof w->why, "unobserved %s", why);
	(void) flush(w);
}

static struct task *task_find(struct world *w, pid_t tid)
{
	static struct task *last;   /* a bulk transfer's stops are mostly one task's, in turn */

	if (last && last->tid == tid)
		return last;
	for (size_t i = 0; i < MAX_TASKS; i++)
		if (w->tasks[i].tid == tid)
			return last = &w->tasks[i];
	return NULL;
}

/* The task, known or new, of process tgid (0: not known yet; /proc cannot say: it shows
 * another PID namespace's numbers). NULL when the table is full: its calls go unreported. */
static struct task *task_get(struct world *w, pid_t tid, pid_t tgid)
{
	struct task *t = task_find(w, tid);
	if (!t && (t = task_find(w, 0)))
		*t = (struct task){ .tid = tid, .pending = -1 };
	if (!t)
		unobserved(w, "more than " STR(MAX_TASKS) " threads at once: the tracer's table is full, the calls of "
			   "those past it go unseen");
	if (t && !t->known && tgid) {
		t->proc = proc_get(w, tgid);
		t->known = true;
		if (!t->proc)
			unobserved(w, "more than " STR(MAX_PROCS) " processes at once: the tracer's table is full, the "
				   "calls of those past it go unseen");
	}
	return t;
}

static void task_drop(struct world *w, struct task *t)
{
	struct proc *p = t->proc;
	t->tid = 0;
	for (size_t i = 0; p && i < MAX_TASKS; i++)
		if (w->tasks[i].tid && w->tasks[i].proc == p)
			return;
	if (p)
		proc_drop(p);
}

static void send_msg(struct world *w, const char *msg, size_t len)
{
	if (send(w->report_fd, msg, len, MSG_DONTWAIT | MSG_NOSIGNAL) < 0)
		w->dropped++;
}

/* Sends what could not be sent before (the report socket full): the "unobserved" report, then
 * how many reports were dropped. Whether all of it was sent. */
static bool flush(struct world *w)
{
	char msg[64];

	if (w->why[0]) {
		if (send(w->report_fd, w->why, strlen(w->why), MSG_DONTWAIT | MSG_NOSIGNAL) < 0)
			return false;
		w->why[0] = 0;
	}
	if (w->dropped) {
		int n = snprintf(msg, sizeof msg, "dropped %lu", w->dropped);
		if (send(w->report_fd, msg, (size_t)n, MSG_DONTWAIT | MSG_NOSIGNAL) < 0)
			return false;
		w->dropped = 0;
	}
	return true;
}

/* At the tracer's end: what is still unsent, given a second for room in the socket. */
static void flush_last(struct world *w)
{
	struct pollfd pfd = { .fd = w->report_fd, .events = POLLOUT };

	for (int i = 0; i < 10 && !flush(w); i++)
		(void) poll(&pfd, 1, 100);
}

/* One report, exactly as the shim writes it (args: a wait's revents, or NULL). */
static void report(struct world *w, const char *call, int fd, long long ret, int err, pid_t pid, const char *args)
{
	char msg[256];
	struct timespec ts;
	const char *en = ret < 0 ? peer_errno_name(err) : NULL;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	if (!flush(w)) {
		w->dropped++;     /* after those, never before them */
		return;
	}
	int n = snprintf(msg, sizeof msg, "%s %d %lld %s %lld %d%s%s", call, fd, ret, en ? en : "-",
			 (long long)ts.tv_sec * 1000000 + ts.tv_nsec / 1000, (int)pid, args ? " " : "", args ? args : "");
	send_msg(w, msg, (size_t)n);
}

/* ---- the waits ---- */

#define WAIT_MAX 256              /* entries of a wait's array read at once: all are, in turn */

/* Entries from 'from' of a poll's array, read from the task: how many were read (0: none). */
static size_t read_pollfds(struct task *t, uint64_t from, struct pollfd *fds)
{
	size_t n = t->n - from < WAIT_MAX ? (size_t)(t->n - from) : WAIT_MAX;
	struct iovec local = { fds, n * sizeof *fds }, remote = { (void *)(uintptr_t)(t->val + from * sizeof *fds), n * sizeof *fds };
	ssize_t got = n ? process_vm_readv(t->tid, &local, 1, &remote, 1, 0) : 0;

	return got > 0 ? (size_t)got / sizeof *fds : 0;
}

/* Whether a poll names a TCP socket: else its result needs no exit stop. */
static bool poll_has_tcp(struct task *t)
{
	struct pollfd fds[WAIT_MAX];
	size_t n;

	for (uint64_t from = 0; from < t->n && (n = read_pollfds(t, from, fds)); from += n)
		for (size_t i = 0; i < n; i++)
			if (fds[i].fd >= 0 && fd_is_tcp(t->proc, fds[i].fd))
				return true;
	return false;
}

static void report_wait(struct world *w, struct task *t, const char *call, int fd, long long ret, unsigned revents,
			bool epoll)
{
	char names[96];

	if (!(revents & PEER_WAIT_ERRORS) || fd < 0 || !fd_is_tcp(t->proc, fd))
		return;
	peer_wait_events_name(revents, epoll, names, sizeof names);
	report(w, call, fd, ret, 0, t->proc->tgid, names);
}

#define EPOLL_INFO_MAX (64 << 20) /* an epoll set's fdinfo read: some 700,000 fds (a line each) */

/* The fdinfo of the task's epoll fd (through a copy of it: /proc's numbers may be another PID
 * namespace's), whole, into *info (grown as needed); "" if it cannot be read, NULL (said
 * unobserved) if it is larger than EPOLL_INFO_MAX. */
static const char *read_epoll_info(struct world *w, struct task *t, char **info, size_t *size)
{
	int copy = t->proc->pidfd < 0 ? -1 : (int)syscall(SYS_pidfd_getfd, t->proc->pidfd, t->fd, 0);
	char path[64];
	size_t n = 0;
	ssize_t got = 0;

	if (!*info && !(*info = malloc(*size = 16384)))
		return NULL;
	(*info)[0] = 0;
	if (copy < 0)
		return *info;
	snprintf(path, sizeof path, "/proc/self/fdinfo/%d", copy);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	while (fd >= 0 && (got = read(fd, *info + n, *size - 1 - n)) > 0) {
		n += (size_t)got;
		if (n == *size - 1) {
			char *grown = *size < EPOLL_INFO_MAX ? realloc(*info, 2 * *size) : NULL;
			if (!grown)
				break;
			*info = grown;
			*size *= 2;
		}
	}
	(*info)[n] = 0;
	if (fd >= 0)
		close(fd);
	close(copy);
	if (got > 0) {
		unobserved(w, "an epoll set too large for the tracer to read (its fdinfo past 64 MiB): its "
			   "errors go unseen");
		return NULL;
	}
	return *info;
}

/* A wait returned ret > 0: one report for each TCP socket whose revents carry an error. */
static void on_wait_exit(struct world *w, struct task *t, const char *call, enum kind kind, long long ret)
{
	if (kind == K_POLL) {
		struct pollfd fds[WAIT_MAX];
		size_t n;
		for (uint64_t from = 0; from < t->n && (n = read_pollfds(t, from, fds)); from += n)
			for (size_t i = 0; i < n; i++)
				report_wait(w, t, call, fds[i].fd, ret, (unsigned)fds[i].revents, false);
		return;
	}
	struct epoll_event ev[WAIT_MAX];
	static char *info;        /* the epoll set's fdinfo, read once a wait, where an event carries an error */
	static size_t size;
	const char *have = NULL;
	bool read_info = false;

	for (size_t from = 0; from < (size_t)ret; from += WAIT_MAX) {
		size_t n = (size_t)ret - from < WAIT_MAX ? (size_t)ret - from : WAIT_MAX;
		struct iovec local = { ev, n * sizeof *ev }, remote = { (void *)(uintptr_t)(t->val + from * sizeof *ev), n * sizeof *ev };
		ssize_t got = process_vm_readv(t->tid, &local, 1, &remote, 1, 0);
		for (size_t i = 0; got > 0 && i < (size_t)got / sizeof *ev; i++) {
			if (!(ev[i].events & PEER_WAIT_ERRORS))
				continue;
			if (!read_info) {
				have = read_epoll_info(w, t, &info, &size);
				read_info = true;
			}
			if (have)
				report_wait(w, t, call, peer_epoll_fd(have, ev[i].data.u64), ret, ev[i].events, true);
		}
		if (got != (ssize_t)(n * sizeof *ev))
			break;
	}
}

/* ---- fds received over an AF_UNIX socket (SCM_RIGHTS) ---- */

#define MMSG_MAX 64               /* messages of a recvmmsg looked at: the first ones */

/* Whether fd of the process is an AF_UNIX socket, looked at now (a number cached as something
 * else may have been closed and reused unseen). */
static bool fd_is_unix(struct proc *p, long fd)
{
	int copy = p->pidfd < 0 || fd < 0 || fd > INT32_MAX ? -1 : (int)syscall(SYS_pidfd_getfd, p->pidfd, (int)fd, 0);
	int domain = 0;
	socklen_t len = sizeof domain;
	bool unix_socket = copy >= 0 && getsockopt(copy, SOL_SOCKET, SO_DOMAIN, &domain, &len) == 0 && domain == AF_UNIX;

	if (copy >= 0)
		close(copy);
	return unix_socket;
}

/* The headers of the task's recvmsg (t->n 0) or recvmmsg (t->n messages) at t->val, at most
 * nmsg of them: how many were read. */
static size_t read_msghdrs(struct task *t, size_t nmsg, struct mmsghdr *mm)
{
	size_t n = nmsg < MMSG_MAX ? nmsg : MMSG_MAX;
	size_t size = t->n ? n * sizeof *mm : sizeof mm->msg_hdr;
	struct iovec local = { mm, size }, remote = { (void *)(uintptr_t)t->val, size };
	ssize_t got = n ? process_vm_readv(t->tid, &local, 1, &remote, 1, 0) : 0;

	if (got != (ssize_t)size)
		return 0;
	return t->n ? n : 1;
}

/* At a recvmsg's seccomp stop: whether any of its messages has room for a control message. */
static bool has_control(struct task *t)
{
	struct mmsghdr mm[MMSG_MAX];
	size_t n = read_msghdrs(t, t->n ? t->n : 1, mm);

	for (size_t i = 0; i < n; i++)
		if (mm[i].msg_hdr.msg_control && mm[i].msg_hdr.msg_controllen >= CMSG_LEN(sizeof(int)))
			return true;
	return false;
}

/* At its exit stop (nmsg messages received): the fds it received are looked at afresh, and a
 * TCP socket among them gets a filter (want_filter()). */
static void take_fds(struct world *w, struct task *t, size_t nmsg)
{
	struct mmsghdr mm[MMSG_MAX];
	size_t n = read_msghdrs(t, nmsg, mm);
	/* some 1,000 fds a message (the kernel passes at most SCM_MAX_FD, 253) */
	static union { struct cmsghdr h; char buf[4096]; } control;

	if (nmsg > MMSG_MAX)
		unobserved(w, "a recvmmsg of more than " STR(MMSG_MAX) " messages on an AF_UNIX socket: the fds "
			   "received past them are not looked at");
	for (size_t i = 0; i < n; i++) {
		size_t len = mm[i].msg_hdr.msg_controllen;
		if (!mm[i].msg_hdr.msg_control || len < sizeof(struct cmsghdr))
			continue;
		len = len < sizeof control ? len : sizeof control;
		struct iovec local = { control.buf, len }, remote = { mm[i].msg_hdr.msg_control, len };
		ssize_t got = process_vm_readv(t->tid, &local, 1, &remote, 1, 0);
		struct msghdr h = { .msg_control = control.buf, .msg_controllen = got > 0 ? (size_t)got : 0 };
		for (struct cmsghdr *c = CMSG_FIRSTHDR(&h); c; c = CMSG_NXTHDR(&h, c)) {
			if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS || c->cmsg_len < CMSG_LEN(0))
				continue;
			const char *fds = (const char *)CMSG_DATA(c), *end = control.buf + h.msg_controllen;
			size_t nfd = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
			for (size_t k = 0; k < nfd && fds + (k + 1) * sizeof(int) <= end; k++) {
				int fd;
				memcpy(&fd, fds + k * sizeof fd, sizeof fd);
				fd_set_class(t->proc, fd, FD_UNKNOWN);
				(void) fd_is_tcp(t->proc, fd);
			}
		}
	}
}

/* The port of the task's sockaddr at addr (len bytes), 0 if none: connect's, as the shim reports it. */
static unsigned sockaddr_port(struct task *t, uint64_t addr, uint64_t len)
{
	struct sockaddr_in6 sa = { 0 };   /* sin_port and sin6_port: the same place */
	struct iovec local = { &sa, len < sizeof sa ? (size_t)len : sizeof sa }, remote = { (void *)(uintptr_t)addr, local.iov_len };

	if (!addr || local.iov_len < sizeof(struct sockaddr_in) ||
	    process_vm_readv(t->tid, &local, 1, &remote, 1, 0) != (ssize_t)local.iov_len ||
	    (sa.sin6_family != AF_INET && sa.sin6_family != AF_INET6))
		return 0;
	return ntohs(sa.sin6_port);
}

/* Whether the call at a seccomp stop is of another ABI than the tracer's (build_filter() stops
 * every one): the program is then unobserved, named so; the call runs. */
static bool other_abi(struct world *w, struct task *t, const struct sc_info *si)
{
	const char *abi = si->arch == AUDIT_ARCH_I386 ? "a 32-bit (i386) system call (int 0x80, or an i386 program)" :
#ifdef X32_BIT
			  si->arch == NATIVE_ARCH && (si->seccomp.nr & X32_BIT) ? "an x32 system call" :
#endif
			  si->arch != NATIVE_ARCH ? "a system call of another architecture's ABI" : NULL;
	char why[200];

#ifndef NATIVE_ARCH
	abi = NULL;
#endif
	if (!abi)
		return false;
	snprintf(why, sizeof why, "process %d made %s (number %llu): the tracer follows only its own ABI's calls, so "
		 "its calls on TCP sockets may go unseen", t->proc ? (int)t->proc->tgid : (int)t->tid, abi,
		 (unsigned long long)si->seccomp.nr);
	unobserved(w, why);
	return true;
}

/* A thread of a process with other threads takes an fd table of its own (call: the call that
 * does): its fds are then not the ones looked at (the process's, the leader's table), so the
 * program is unobserved naming it, as a thread made without CLONE_FILES (on_new_task()). The only
 * thread of its process may: later threads share its new table. Said before the call runs,
 * whether it then succeeds or not. */
static void own_table(struct world *w, struct task *t, const char *call)
{
	char why[200];

	for (size_t i = 0; i < MAX_TASKS; i++)
		if (w->tasks[i].tid && w->tasks[i].tid != t->tid && w->tasks[i].proc == t->proc) {
			snprintf(why, sizeof why, "process %d: a thread with an fd table of its own (%s): its fds are "
				 "looked at in its process's table", (int)t->proc->tgid, call);
			unobserved(w, why);
			return;
		}
}

/* A seccomp stop, before the call runs: 1 if its exit stop is wanted (a call on a TCP socket),
 * 0 if it may just run. */
static int on_seccomp(struct world *w, struct task *t)
{
	struct sc_info si;

	if (ptrace((enum __ptrace_request)GET_SYSCALL_INFO, t->tid, (void *)sizeof si, &si) <= 0 ||
	    si.op != INFO_SECCOMP)
		return 0;
	if (other_abi(w, t, &si))
		return 0;
	int i = traced_index((long)si.seccomp.nr);
	const uint64_t *a = si.seccomp.args;
	struct proc *p = t->proc;
	if (i < 0 || !p)
		return 0;
	t->fd = (int)a[0];
	t->scm = false;
	switch (traced[i].kind) {
	case K_SOCKET:
		if ((a[0] != AF_INET && a[0] != AF_INET6) || (a[1] & 0xf) != SOCK_STREAM ||
		    (a[2] != 0 && a[2] != IPPROTO_TCP && a[2] != IPPROTO_MPTCP))
			return 0;
		break;
	case K_DUP:
		if (traced[i].nr != SYS_dup && traced[i].nr != SYS_fcntl)
			fd_set_class(p, (long)a[1], FD_UNKNOWN);   /* dup2/dup3: what it was is gone */
		if (traced[i].nr == SYS_fcntl && a[1] != F_DUPFD && a[1] != F_DUPFD_CLOEXEC)
			return 0;
		if (!fd_is_tcp(p, (long)a[0]))
			return 0;
		break;
	case K_CLOSE_RANGE:
		if (a[2] & CLOSE_RANGE_UNSHARE)
			own_table(w, t, "close_range with CLOSE_RANGE_UNSHARE");
		for (uint64_t fd = a[0]; fd <= a[1] && fd < p->ncls; fd++)
			p->cls[fd] = FD_UNKNOWN;
		return 0;
	case K_UNSHARE:
		if (a[0] & CLONE_FILES)
			own_table(w, t, "unshare with CLONE_FILES");
		return 0;
	case K_CLOSE: {
		bool tcp = fd_is_tcp(p, (long)a[0]);
		fd_set_class(p, (long)a[0], FD_UNKNOWN);
		if (!tcp)
			return 0;
		break;
	}
	case K_IO_URING:
	case K_GETFD:
		break;
	case K_POLL:
		t->val = a[0], t->n = a[1];
		if (!poll_has_tcp(t))
			return 0;
		break;
	case K_RECVMSG:
		if (fd_is_tcp(p, (long)a[0]))
			break;            /* reported as any call on a TCP socket */
		/* Else stopped only for the fds it may receive: with a control buffer, on AF_UNIX. */
		t->val = a[1], t->n = traced[i].nr == SYS_recvmmsg ? (a[2] ? a[2] : 1) : 0;
		if (!has_control(t) || !fd_is_unix(p, (long)a[0]))
			return 0;
		t->scm = true;
		break;
	case K_EPOLL:
		/* Which fds its set holds is not known here (its fdinfo, read at each call, would
		 * cost about what the exit stop does): the result is looked at. */
		t->val = a[1];
		break;
	case K_SOERROR:
		if (a[1] != SOL_SOCKET || a[2] != SO_ERROR || !fd_is_tcp(p, (long)a[0]))
			return 0;
		t->val = a[3];
		break;
	case K_SPLICE: {
		/* Its socket is its first fd or its other one (splice's third, sendfile's second),
		 * named by the first where both are. */
		long other = (long)a[traced[i].nr == SYS_sendfile ? 1 : 2];
		if (fd_is_tcp(p, (long)a[0]))
			break;
		if (!fd_is_tcp(p, other))
			return 0;
		t->fd = (int)other;
		break;
	}
	default:
		if (!fd_is_tcp(p, (long)a[0]))
			return 0;
		if (traced[i].nr == SYS_connect)
			t->port = sockaddr_port(t, a[1], a[2]);
		break;
	}
	t->pending = i;
	return 1;
}

/* The exit stop of a pending call (si: what GET_SYSCALL_INFO said of it): its result. */
static void on_exit_stop(struct world *w, struct task *t, const struct sc_info *si)
{
	int i = t->pending;

	t->pending = -1;
	if (i < 0 || si->op != INFO_EXIT)
		return;
	long long ret = si->exit.rval;
	int err = 0;
	if (si->exit.is_error) {
		err = (int)-ret;
		ret = -1;
		/* ERESTART*: the kernel restarts the call (reported then) or turns it into EINTR
		 * after a handler; which one is not known here: seen at the task's next syscall
		 * stops where it was (intr_decide()). */
		if (err >= 512 && err <= 516) {
			if (t->nintr < INTR_DEPTH)
				t->intr[t->nintr++] = (struct intr){ i, t->fd, t->port, INTR_STOPS, si->ip, si->sp };
			else
				unobserved(w, "more than " STR(INTR_DEPTH) " interrupted calls at once, each in a signal "
					   "handler of the one before: the tracer's table is full, the result of those past "
					   "it goes unseen");
			return;
		}
	}
	struct proc *p = t->proc;
	const char *call = traced[i].call;
	switch (traced[i].kind) {
	case K_SOCKET:
	case K_DUP:
		if (ret >= 0) {
			fd_set_class(p, (long)ret, FD_TCP);
			want_filter(p, (long)ret);
		}
		return;
	case K_ACCEPT:
		if (ret >= 0) {
			fd_set_class(p, (long)ret, FD_TCP);
			want_filter(p, (long)ret);
		}
		break;
	case K_GETFD:
		/* Its number may have been another fd's, closed unseen (by a process sharing the table). */
		if (ret >= 0) {
			fd_set_class(p, (long)ret, FD_UNKNOWN);
			(void) fd_is_tcp(p, (long)ret);
		}
		return;
	case K_IO_URING:
		t->fd = ret >= 0 ? (int)ret : 0;   /* the ring's fd */
		if (ret >= 0) {
			/* A blind spot, whether the ring is still there when an expectation is
			 * looked at or not (the process may have ended). */
			char why[160];
			snprintf(why, sizeof why, "process %d uses io_uring: its calls there bypass the tracer", (int)p->tgid);
			unobserved(w, why);
		}
		break;
	case K_RECVMSG:
		if (!t->scm)
			break;
		if (ret >= 0)
			take_fds(w, t, traced[i].nr == SYS_recvmmsg ? (size_t)ret : 1);
		return;
	case K_POLL:
	case K_EPOLL:
		if (ret > 0)
			on_wait_exit(w, t, call, traced[i].kind, ret);
		return;
	case K_SOERROR: {
		int pending = 0;
		struct iovec local = { &pending, sizeof pending }, remote = { (void *)(uintptr_t)t->val, sizeof pending };
		if (ret != 0 || process_vm_readv(t->tid, &local, 1, &remote, 1, 0) != (ssize_t)sizeof pending)
			return;
		ret = pending ? -1 : 0;
		err = pending;
		break;
	}
	default:
		break;
	}
	char port[16];
	snprintf(port, sizeof port, "port %u", t->port);
	report(w, call, t->fd, ret, err, p->tgid, traced[i].nr == SYS_connect && t->port ? port : NULL);
}

/* A syscall stop (si) of a task whose call was interrupted (t->intr[]): whether the call restarts
 * or returns EINTR to the program. The kernel decides when it delivers the signal: no handler
 * (or SA_RESTART, ERESTARTNOINTR): the call is made again, its syscall instruction at the same
 * place, the same stack (its entry stop there; restart_syscall for some calls, not stopped by
 * the filter: its exit is this call's); a handler: it runs on a stack of its own, and its
 * rt_sigreturn's exit brings the program back where the call was, with -EINTR (reported here,
 * as the shim reports it) or with the call rewound to be made again. Its handler's own calls
 * stop elsewhere, and one of them interrupted in turn is awaited above it (decided first: a
 * handler returns before the one it interrupted). A handler that never returns (siglongjmp: a
 * stop where an outer call was, an inner one still awaited) or makes more than INTR_STOPS
 * syscalls: the call is given up, and the program unobserved (its result is not known).
 * Returns the call to take the exit of (a restart_syscall), or -1. */
static int intr_decide(struct world *w, struct task *t, const struct sc_info *si)
{
	unsigned k = t->nintr;
	char why[200];

	while (k && (si->ip != t->intr[k - 1].ip || si->sp != t->intr[k - 1].sp))
		k--;
	if (!k) {
		struct intr *top = &t->intr[t->nintr - 1];
		if (!--top->left) {
			snprintf(why, sizeof why, "process %d: an interrupted %s's result (restarted or -1 EINTR) not seen "
				"within " STR(INTR_STOPS) " syscall stops (a signal handler making many calls, or left by "
				"siglongjmp)", (int)t->proc->tgid, traced[top->i].call);
			unobserved(w, why);
			t->nintr--;
		}
		return -1;
	}
	struct intr c = t->intr[k - 1];
	if (k < t->nintr) {
		snprintf(why, sizeof why, "process %d: an interrupted %s's result (restarted or -1 EINTR) not seen (its "
			 "signal handler left by siglongjmp)", (int)t->proc->tgid, traced[t->intr[k].i].call);
		unobserved(w, why);
	}
	t->nintr = k - 1;
	if (si->op == INFO_EXIT && si->exit.is_error && si->exit.rval == -EINTR) {
		t->pending = c.i, t->fd = c.fd, t->port = c.port;
		on_exit_stop(w, t, si);
	} else if (si->op == INFO_ENTRY && si->entry.nr == SYS_restart_syscall) {
		t->fd = c.fd, t->port = c.port;
		return c.i;
	}
	return -1;
}

/* ---- filters added to a running program ---- */

#define INJ_DEFERRED 1            /* a stop came first: added at the task's next call */
#define INJ_GONE 2                /* the task ended (dropped) */
#define INJ_NONE 3                /* nothing done: not now, the task as it was */

#if defined(__x86_64__)
#include <sys/user.h>

static void on_exec(struct world *w, struct task *t, pid_t tid);

/* A task ended: a stop of it still queued is gone with it. */
static void unqueue(struct world *w, pid_t tid)
{
	size_t k = 0;

	for (size_t i = 0; i < w->nqueued; i++)
		if (w->queued[i].tid != tid)
			w->queued[k++] = w->queued[i];
	w->nqueued = k;
}

/* Waits for the task's next stop: 0 (its status in *status), or INJ_GONE: it ended (dropped),
 * or another thread of its process exec'd (that thread took its tid, its exec stop is reported
 * here: the registers saved are the old program's, never put back; the new one runs on).
 * It waits on every tracee, not on this one alone: when another thread ends the process
 * (exit_group), the leader's end is reported only once the other threads' are, which only a
 * wait on them reads (a wait on the leader alone waited for ever). Their ends are taken here,
 * their stops queued for the main loop. */
static int wait_task(struct world *w, struct task *t, int *status)
{
	pid_t got;

	for (;;) {
		got = waitpid(-1, status, __WALL);
		if (got < 0 && errno == EINTR)
			continue;
		if (got < 0 || got == t->tid)
			break;
		struct task *other = task_find(w, got);
		if (WIFEXITED(*status) || WIFSIGNALED(*status)) {
			if (other)
				task_drop(w, other);
			unqueue(w, got);
		} else if (w->nqueued < sizeof w->queued / sizeof w->queued[0]) {
			w->queued[w->nqueued].tid = got;
			w->queued[w->nqueued++].status = *status;
		} else {
			(void) ptrace(PTRACE_CONT, got, 0, 0);   /* no room (never: a stopped task is queued once) */
		}
	}
	if (got < 0 || WIFEXITED(*status) || WIFSIGNALED(*status)) {
		task_drop(w, t);
		return INJ_GONE;
	}
	if (WIFSTOPPED(*status) && *status >> 16 == PTRACE_EVENT_EXEC) {
		t->masked = false;   /* the mask blocked was the ended thread's */
		on_exec(w, t, t->tid);
		t->defer = wants_filter(t->proc);   /* its handed-over TCP sockets: at its first call */
		(void) ptrace(t->defer ? PTRACE_SYSCALL : PTRACE_CONT, t->tid, 0, 0);
		return INJ_GONE;
	}
	return 0;
}

static void note(struct world *w, const char *what, struct proc *p, long err)
{
	char msg[256];
	int n = snprintf(msg, sizeof msg, "%s of process %d: a seccomp filter could not be added to it (%s)", what,
			 (int)p->tgid, peer_errno_name((int)-err) ? peer_errno_name((int)-err) : "?");
	send_msg(w, msg, (size_t)n);
}


/* The signals of a task a filter is being added to are blocked (add_filter()): its own mask back. */
static void unmask(struct task *t)
{
	if (t->masked)
		(void) ptrace(PTRACE_SETSIGMASK, t->tid, (void *)sizeof t->mask, &t->mask);
	t->masked = false;
}

/* The filter for the new TCP sockets of the task's process is left to its next call (a stop
 * came before the syscall instruction made for it: SIGSTOP, which cannot be blocked, or a
 * signal where none could be blocked). Its signals' mask is put back. The task runs its own
 * code first, the new fds' numbers known to it: that same task's next call adds the filter
 * before it runs, but another thread of the process handed a number through memory, with no
 * call, could use it unseen: said unobserved where the process has another thread. */
static void deferred(struct world *w, struct task *t)
{
	char why[200];

	unmask(t);
	for (size_t i = 0; i < MAX_TASKS; i++)
		if (w->tasks[i].tid && w->tasks[i].tid != t->tid && w->tasks[i].proc == t->proc) {
			snprintf(why, sizeof why, "process %d: a filter for its new TCP sockets left to its thread's next call "
				 "(stopped, or signalled, as it was added): its other threads' calls on them may go unseen "
				 "until then", (int)t->proc->tgid);
			unobserved(w, why);
			return;
		}
}

/* Makes the task, stopped in a syscall (its registers saved), call nr(a[0..5]); its result in
 * *ret. *entry: the task is at a call's entry (a seccomp or syscall-entry stop), and that call
 * becomes this one; else the syscall instruction before saved.rip runs once more (a stop may
 * come before it, a signal's where its signals could not be blocked (add_filter()), a group
 * stop's: the registers are put back to back, the task resumed with its signal and
 * PTRACE_SYSCALL, its call made again later: INJ_DEFERRED, deferred()). Either way, the next
 * call injected reruns the instruction (*entry becomes false). 0, -errno, INJ_GONE or INJ_DEFERRED; the
 * caller puts back's registers back. */
static int inject(struct world *w, struct task *t, const struct user_regs_struct *saved,
		  const struct user_regs_struct *back, bool *entry, long nr, const uint64_t a[6], long *ret)
{
	struct user_regs_struct r = *saved;
	int status;

	r.rdi = a[0], r.rsi = a[1], r.rdx = a[2], r.r10 = a[3], r.r8 = a[4], r.r9 = a[5];
	if (*entry) {
		r.orig_rax = (unsigned long long)nr;
	} else {
		r.rax = (unsigned long long)nr;
		r.orig_rax = (unsigned long long)-1;
		r.rip = saved->rip - 2;
	}
	if (ptrace(PTRACE_SETREGS, t->tid, 0, &r) < 0 || ptrace(PTRACE_SYSCALL, t->tid, 0, 0) < 0)
		return -errno;
	if (wait_task(w, t, &status))
		return INJ_GONE;
	if (!*entry) {
		if (WSTOPSIG(status) != (SIGTRAP | 0x80)) {
			/* Its signal, before the syscall instruction ran: delivered, the call later. A
			 * group stop (its process stopped by SIGSTOP, SIGTSTP...) is kept as the main
			 * loop keeps one (PTRACE_LISTEN): its SIGCONT brings a stop where it is resumed
			 * with PTRACE_SYSCALL, for the call then. */
			int sig = WSTOPSIG(status);
			bool group_stop = status >> 16 == PTRACE_EVENT_STOP &&
					  (sig == SIGSTOP || sig == SIGTSTP || sig == SIGTTIN || sig == SIGTTOU);
			deferred(w, t);
			(void) ptrace(PTRACE_SETREGS, t->tid, 0, back);
			if (group_stop)
				(void) ptrace(PTRACE_LISTEN, t->tid, 0, 0);
			else
				(void) ptrace(PTRACE_SYSCALL, t->tid, 0, (void *)(long)((status >> 16) ? 0 : sig));
			t->defer = true;
			return INJ_DEFERRED;
		}
		/* the entry of the call: on to its exit */
		if (ptrace(PTRACE_SYSCALL, t->tid, 0, 0) < 0)
			return -errno;
		if (wait_task(w, t, &status))
			return INJ_GONE;
	}
	*entry = false;
	if (WSTOPSIG(status) != (SIGTRAP | 0x80) || ptrace(PTRACE_GETREGS, t->tid, 0, &r) < 0)
		return -EPROTO;
	*ret = (long)r.rax;
	return 0;
}

/* Adds the filter for the process's wanted fds to its set, all its threads at once (TSYNC), by
 * making the task, stopped in a syscall, call seccomp(2) (inject(); at_entry: it is at a call's
 * entry, that call is made again afterwards). The filter is written to the process's scratch
 * page: a page of its address space the tracer mapped there (an mmap() it made the task call,
 * the first time a filter is added to this address space), the program's own memory never
 * touched. Where the filter for some fds cannot be added, the one for every fd is tried; where
 * no page can be mapped, neither. Ends with the task stopped as it was: 0, -errno, or INJ_GONE,
 * INJ_DEFERRED (a signal came first: added at its next call), INJ_NONE. */
static int add_filter(struct world *w, struct task *t, bool at_entry)
{
	struct proc *p = t->proc;
	struct user_regs_struct saved, back;
	uint8_t insn[2];
	struct iovec local = { insn, 2 }, remote;
	struct { struct sock_fprog prog; struct sock_filter f[FD_FILTER_MAX]; } buf;
	bool entry = at_entry, remapped = false;
	long ret = 0;
	int e = 0, first = p->want_all_err;   /* why the filter for some fds could not be added */

	_Static_assert(sizeof buf <= SCRATCH_SIZE, "the filter fits the scratch page");
	if (ptrace(PTRACE_GETREGS, t->tid, 0, &saved) < 0)
		return INJ_NONE;
	remote = (struct iovec){ (void *)(uintptr_t)(saved.rip - 2), 2 };
	if (process_vm_readv(t->tid, &local, 1, &remote, 1, 0) != 2 || insn[0] != 0x0f || insn[1] != 0x05)
		return INJ_NONE;   /* not after a syscall instruction (int 0x80: another ABI) */
	back = saved;
	if (at_entry) {
		back.rip -= 2;
		back.rax = saved.orig_rax;
	}
	/* Its signals blocked while the calls made for the filter run: a signal delivered before
	 * one would run the program's own code first (its handler; or none: a signal ignored, the
	 * program on, the new fds' numbers in hand), the filter left to its next call (deferred()).
	 * Blocked, they stay pending and come with their own siginfo once the mask is put back.
	 * Not after an interrupted call (-EINTR, -ERESTART*): a ppoll's or an epoll_pwait's
	 * temporary mask is then the task's, the kernel to put its own back after the signal, and
	 * PTRACE_SETSIGMASK would cancel that. */
	long long rv = (long long)saved.rax;
	uint64_t block = ~0ULL;
	t->masked = (at_entry || (rv != -EINTR && (rv < -516 || rv > -512))) &&
		    ptrace(PTRACE_GETSIGMASK, t->tid, (void *)sizeof t->mask, &t->mask) == 0 &&
		    ptrace(PTRACE_SETSIGMASK, t->tid, (void *)sizeof block, &block) == 0;
	for (int attempt = 0; attempt < 2; attempt++) {
		bool all = attempt || p->want_all || p->added + 1 >= MAX_ADDED;
		if (!p->scratch) {
			const uint64_t a[6] = { 0, SCRATCH_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
						(uint64_t)-1, 0 };
			e = inject(w, t, &saved, &back, &entry, SYS_mmap, a, &ret);
			if (e == INJ_GONE || e == INJ_DEFERRED)
				return e;
			if (!e && ret < 0)
				e = (int)ret;
			if (e)
				break;     /* nowhere to write a filter: neither can be added */
			p->scratch = (uint64_t)ret;
		}
		unsigned len = fd_filter(p->want, all ? 0 : p->nwant, buf.f);
		size_t size = offsetof(__typeof__(buf), f) + len * sizeof *buf.f;
		buf.prog = (struct sock_fprog){ .len = (unsigned short)len,
						.filter = (void *)(uintptr_t)(p->scratch + offsetof(__typeof__(buf), f)) };
		struct iovec from = { &buf, size }, to = { (void *)(uintptr_t)p->scratch, size };
		if (process_vm_writev(t->tid, &from, 1, &to, 1, 0) != (ssize_t)size) {
			e = -errno;
			p->scratch = 0;    /* unmapped by the program? mapped again, once, for the same filter */
			if (!remapped) {
				remapped = true;
				attempt--;
				continue;
			}
			if (all)
				break;
			first = e;
			continue;
		}
		const uint64_t a[6] = { SECCOMP_SET_MODE_FILTER, SECCOMP_FILTER_FLAG_TSYNC, p->scratch };
		e = inject(w, t, &saved, &back, &entry, SYS_seccomp, a, &ret);
		if (e == INJ_DEFERRED && attempt) {
			p->want_all = true;
			p->want_all_err = first;
		}
		if (e == INJ_GONE || e == INJ_DEFERRED)
			return e;
		if (e)
			break;
		e = ret > 0 ? -ESRCH : (int)ret;   /* TSYNC: a thread that could not take it */
		if (!e) {
			for (unsigned i = 0; !all && i < p->nwant; i++)
				p->filtered[p->nfiltered++] = p->want[i];
			p->all_fds = all;
			p->added++;
			p->nwant = 0;
			p->want_all = false;
			p->want_all_err = 0;
			if (first && !w->noted) {
				/* said once the filter for every fd is in, not before */
				note(w, "note every call on an fd stops the program", p, first);
				w->noted = true;
			}
			break;
		}
		if (!all)
			first = e;
	}
	unmask(t);
	if (ptrace(PTRACE_SETREGS, t->tid, 0, &back) < 0)
		return -errno;
	if (e) {
		/* Nothing more can be added: the calls on its new TCP sockets go unseen. */
		note(w, "unobserved some calls on TCP sockets", p, e);
		p->all_fds = true;
	}
	return e;
}

/* The clone flags of the call that made a task, read from its creator at its fork, vfork or
 * clone event stop (the call not returned yet): clone's first argument, clone3's struct
 * clone_args's first field. -1 if not known. */
static long long clone_flags(pid_t creator)
{
	struct user_regs_struct r;
	uint64_t flags = 0;

	if (ptrace(PTRACE_GETREGS, creator, 0, &r) < 0)
		return -1;
	switch (r.orig_rax) {
	case SYS_fork:
		return SIGCHLD;
	case SYS_vfork:
		return CLONE_VM | CLONE_VFORK | SIGCHLD;
	case SYS_clone:
		return (long long)r.rdi;
#ifdef SYS_clone3
	case SYS_clone3: {
		struct iovec local = { &flags, sizeof flags }, remote = { (void *)(uintptr_t)r.rdi, sizeof flags };
		if (process_vm_readv(creator, &local, 1, &remote, 1, 0) != (ssize_t)sizeof flags)
			return -1;
		return (long long)(flags & INT64_MAX);
	}
#endif
	default:
		return -1;
	}
}

/* The filter the task's process wants, added before the clone it is stopped in (at its event
 * stop) returns: the task is let run to that call's exit stop, and it is added there. 0 (the
 * task stopped there), or INJ_GONE, INJ_DEFERRED (resumed: not to be resumed again). */
static int add_filter_now(struct world *w, struct task *t)
{
	int status;

	if (ptrace(PTRACE_SYSCALL, t->tid, 0, 0) < 0)
		return INJ_GONE;   /* gone (killed) meanwhile */
	if (wait_task(w, t, &status))
		return INJ_GONE;
	if (WSTOPSIG(status) != (SIGTRAP | 0x80)) {
		/* never seen: a clone's exit stop comes before any signal; taken by the main loop,
		 * the filter left to the task's next call */
		if (w->nqueued < sizeof w->queued / sizeof w->queued[0]) {
			w->queued[w->nqueued].tid = t->tid;
			w->queued[w->nqueued++].status = status;
		}
		t->defer = true;
		deferred(w, t);
		return INJ_DEFERRED;
	}
	int e = add_filter(w, t, false);
	return e == INJ_GONE || e == INJ_DEFERRED ? e : 0;
}
#else
static int add_filter(struct world *w, struct task *t, bool at_entry)
{
	(void) w, (void) t, (void) at_entry;
	return INJ_NONE;
}

static long long clone_flags(pid_t creator)
{
	(void) creator;
	return -1;
}

static int add_filter_now(struct world *w, struct task *t)
{
	(void) w, (void) t;
	return 0;
}
#endif

/* Keeps only the fds in keep[] (and 0-2) open. */
static void close_others(const int *keep, size_t nkeep)
{
	DIR *d = opendir("/proc/self/fd");
	int self = d ? dirfd(d) : -1;
	struct dirent *de;

	while (d && (de = readdir(d))) {
		int fd = atoi(de->d_name);
		bool kept = fd <= 2 || fd == self;
		for (size_t i = 0; i < nkeep; i++)
			kept |= fd == keep[i];
		if (!kept)
			close(fd);
	}
	if (d)
		closedir(d);
}

#define EXEC_FDS 1024

/* An exec: the process's other threads are gone, and the fds closed on exec with them, and its
 * address space with the scratch page. Its filters stay. */
static void on_exec(struct world *w, struct task *t, pid_t tid)
{
	unsigned long former = 0;

	(void) ptrace(PTRACE_GETEVENTMSG, tid, 0, &former);
	for (size_t i = 0; t && i < MAX_TASKS; i++)
		if (w->tasks[i].tid && w->tasks[i].proc == t->proc && w->tasks[i].tid != tid)
			w->tasks[i].tid = 0;
	if (t) {
		t->pending = -1;
		t->nintr = 0;
		t->defer = false;
	}
	if (!t || !t->proc)
		return;
	proc_forget_fds(t->proc);
	t->proc->scratch = 0;     /* its address space is a new one */
	/* The TCP sockets it was handed (inetd-style, socket activation) need filters: looked at
	 * through copies (/proc's numbers may be another PID namespace's), up to EXEC_FDS. */
	for (long fd = 0; fd < EXEC_FDS && !t->proc->all_fds; fd++)
		(void) fd_is_tcp(t->proc, fd);
}

/* A fork, vfork or clone makes a process, or a thread of this one (CLONE_THREAD: ptrace's clone
 * event is any clone without SIGCHLD as its exit signal, a process too). A process that shares
 * its creator's fd table (CLONE_FILES without CLONE_THREAD) could use the TCP sockets the other
 * makes, and a seccomp filter is a thread group's: both get the filter for every fd, the
 * creator's added here, before its clone returns and before the new one runs (its own at its
 * first call). A new task held at its first call is let go now that its process is known.
 * 0, or INJ_GONE, INJ_DEFERRED: the creator is not to be resumed (add_filter_now()). */
static int on_new_task(struct world *w, struct task *t, pid_t tid, int event)
{
	unsigned long child = 0;
	struct task *c = NULL;
	int e = 0;

	if (ptrace(PTRACE_GETEVENTMSG, tid, 0, &child) == 0) {
		long long flags = clone_flags(tid);
		bool thread = flags < 0 ? event == PTRACE_EVENT_CLONE : (flags & CLONE_THREAD) != 0;
		pid_t owner = !thread ? (pid_t)child : t && t->proc ? t->proc->tgid : 0;
		char why[200];
		if (thread && flags >= 0 && !(flags & CLONE_FILES)) {
			snprintf(why, sizeof why, "process %d: a thread with an fd table of its own (clone with CLONE_THREAD, "
				 "without CLONE_FILES): its fds are looked at in its process's table", (int)owner);
			unobserved(w, why);
		}
		if ((c = task_get(w, (pid_t)child, owner)))
			c->known = true;   /* owner 0 (its creator's unknown): unreported */
		/* A new process has the filters its creator had at the fork, but which those were
		 * is not known here: another thread of the creator may have added one (or mapped
		 * its scratch page) between the fork and this event. So none is taken as there: its
		 * TCP sockets get filters again (twice is harmless), at its first call, before any
		 * call on them can pass unseen; a page of its own. Only the count is kept. */
		struct proc *cp = c ? c->proc : NULL, *pp = t ? t->proc : NULL;
		if (cp && pp && cp != pp) {
			cp->added = pp->added;
			if (flags >= 0 && (flags & CLONE_FILES)) {
				cp->shared = pp->shared = true;
				cp->want_all = !cp->all_fds;
				pp->want_all = !pp->all_fds;
				if (wants_filter(pp))
					e = add_filter_now(w, t);
			}
			for (long fd = 0; fd < EXEC_FDS && !cp->all_fds && !cp->want_all; fd++)
				(void) fd_is_tcp(cp, fd);
			c->defer = wants_filter(cp);
		} else if (!cp && pp && !thread && flags >= 0 && (flags & CLONE_FILES)) {
			unobserved(w, "a process sharing its fd table with another (clone with CLONE_FILES) past the tracer's "
				   "table: the calls of either on the other's TCP sockets may go unseen");
		}
	}
	if (c && c->held) {
		/* at a seccomp stop: as the main loop would take it */
		c->held = false;
		enum __ptrace_request how = on_seccomp(w, c) ? PTRACE_SYSCALL : PTRACE_CONT;
		int added = wants_filter(c->proc) ? add_filter(w, c, true) : INJ_NONE;
		if (added != INJ_NONE) {
			c->pending = -1;
			how = PTRACE_CONT;
		}
		if (added != INJ_GONE && added != INJ_DEFERRED)
			(void) ptrace(how, c->tid, 0, 0);
	} else if (c && c->held_start) {
		c->held_start = false;
		(void) ptrace(c->defer ? PTRACE_SYSCALL : PTRACE_CONT, c->tid, 0, 0);
	}
	return e;
}

/* The calls the tracer needs besides ptrace (tracer_refused()'s names, 0 is ptrace's). */
static const char *const needed[] = { "ptrace", "process_vm_readv", "process_vm_writev", "pidfd_open", "pidfd_getfd",
				       "seccomp" };
/* the same, where a seccomp policy kills the process that makes it (probe()) */
static const char *const needed_killed[] = {
	"ptrace (a seccomp policy kills the process making it: SIGSYS)",
	"process_vm_readv (a seccomp policy kills the process making it: SIGSYS)",
	"process_vm_writev (a seccomp policy kills the process making it: SIGSYS)",
	"pidfd_open (a seccomp policy kills the process making it: SIGSYS)",
	"pidfd_getfd (a seccomp policy kills the process making it: SIGSYS)",
	"seccomp (a seccomp policy kills the process making it: SIGSYS)",
};

/* Installs the seccomp filter prog on the calling process, with flags; as the program does
 * (tracer_child()): without CAP_SYS_ADMIN, a filter needs no_new_privs (setuid programs then run
 * unprivileged). 0 or -1 (errno). */
static int install(const struct sock_fprog *prog, unsigned flags)
{
	if (syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, flags, prog) == 0)
		return 0;
	if (errno != EACCES || prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		return -1;
	return syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, flags, prog) < 0 ? -1 : 0;
}

/* Whether the tracer may make the calls it needs besides ptrace: each is tried, ptrace's request
 * too (PTRACE_SEIZE of pid 0, which does not exist: its refusal, EPERM, is the real one's, read
 * then), in a child of the tracer (fork), never in the tracer itself: a seccomp policy may kill
 * the process making one (SECCOMP_RET_KILL_PROCESS, systemd's SystemCallFilter= default) or
 * send it SIGSYS (SECCOMP_RET_TRAP), and the child's death by SIGSYS says so. Last, an allow-all
 * filter is installed as the program installs its own (flags 0) and as the filters added to it
 * are (TSYNC): a policy may allow seccomp's questions (GET_ACTION_AVAIL) and refuse this.
 * 0, or the errno of the first call refused (EPERM for one that kills), its index in needed[]
 * in *which, and in *killed whether it killed. Without them its reads of the program's memory
 * and fds fail, and calls would go unseen. */
static int probe(int *which, bool *killed)
{
	struct sock_filter allow_all = BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW);
	const struct sock_fprog allow = { 1, &allow_all };
	/* where the child is: the call it tries, and its errno */
	volatile int *at = mmap(NULL, sizeof(int[2]), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	int status = 0;

	*killed = false;
	*which = 0;
	if (at == MAP_FAILED)
		return errno;
	at[0] = 0, at[1] = 0;
	pid_t pid = fork();
	if (pid == 0) {
		char a = 1, b = 0;
		struct iovec here = { &b, 1 }, there = { &a, 1 };
		pid_t me = getpid();
		int pidfd = -1;
		(void) prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);   /* no core file when SIGSYS kills it */
		if ((at[0] = 0, ptrace(PTRACE_SEIZE, 0, 0, 0) < 0 && errno != ESRCH && errno != EPERM) ||
		    (at[0] = 1, process_vm_readv(me, &here, 1, &there, 1, 0) != 1) ||
		    (at[0] = 2, process_vm_writev(me, &there, 1, &here, 1, 0) != 1) ||
		    (at[0] = 3, (pidfd = (int)syscall(SYS_pidfd_open, me, 0)) < 0) ||
		    (at[0] = 4, syscall(SYS_pidfd_getfd, pidfd, pidfd, 0) < 0) ||
		    (at[0] = 5, syscall(SYS_seccomp, SECCOMP_GET_ACTION_AVAIL, 0, &(uint32_t){ SECCOMP_RET_TRACE }) < 0) ||
		    install(&allow, 0) < 0 || install(&allow, SECCOMP_FILTER_FLAG_TSYNC) < 0)
			at[1] = errno ? errno : EPERM;
		_exit(0);
	}
	int e = pid < 0 ? errno : 0;
	while (pid > 0 && waitpid(pid, &status, 0) < 0)
		if (errno != EINTR) {
			e = errno;
			break;
		}
	if (!e && WIFSIGNALED(status)) {
		*killed = WTERMSIG(status) == SIGSYS;
		e = EPERM;
	}
	if (!e)
		e = at[1];
	*which = at[0];
	munmap((void *)at, sizeof(int[2]));
	return e;
}

static _Noreturn void tracer_main(int report_fd, int ready_r, int go_w, int ans_w)
{
	static struct world w;
	pid_t pid;
	int e = 0, which = 0, status;

	w.report_fd = report_fd;
	if (read(ready_r, &pid, sizeof pid) != (ssize_t)sizeof pid)
		_exit(0);   /* the program was never started */
	long opts = PTRACE_O_TRACESECCOMP | PTRACE_O_TRACESYSGOOD | PTRACE_O_TRACEFORK | PTRACE_O_TRACEVFORK |
		    PTRACE_O_TRACECLONE | PTRACE_O_TRACEEXEC | PTRACE_O_EXITKILL;
	bool killed = false;
	if ((e = probe(&which, &killed)) == 0 && ptrace(PTRACE_SEIZE, pid, 0, (void *)opts) < 0)
		e = errno, which = 0;
	int ans[3] = { e, which, killed };
	(void) !write(ans_w, ans, sizeof ans);
	(void) !write(go_w, &e, sizeof e);
	close(ans_w);
	close(go_w);
	close(ready_r);
	if (e)
		_exit(1);
	task_get(&w, pid, pid);
	for (;;) {
		pid_t tid;
		if (w.nqueued) {
			tid = w.queued[0].tid;
			status = w.queued[0].status;
			memmove(w.queued, w.queued + 1, --w.nqueued * sizeof w.queued[0]);
		} else {
			tid = waitpid(-1, &status, __WALL);
		}
		if (tid < 0) {
			if (errno == EINTR)
				continue;
			flush_last(&w);
			_exit(0);    /* ECHILD: no tracee left */
		}
		if (WIFEXITED(status) || WIFSIGNALED(status)) {
			struct task *gone = task_find(&w, tid);
			if (gone)
				task_drop(&w, gone);
			unqueue(&w, tid);
			continue;
		}
		if (!WIFSTOPPED(status))
			continue;
		struct task *t = task_get(&w, tid, 0);
		int sig = WSTOPSIG(status), event = status >> 16;
		if (t && !t->known && event == PTRACE_EVENT_SECCOMP) {
			t->held = true;   /* until its creator's event: whose fds is it using? */
			continue;
		}
		if (t && !t->known && event == PTRACE_EVENT_STOP && sig == SIGTRAP) {
			t->held_start = true;   /* a new task's first stop: not run before that event */
			continue;
		}
		enum __ptrace_request how = t && (t->pending >= 0 || t->defer || t->nintr) ? PTRACE_SYSCALL : PTRACE_CONT;
		int inject = 0, added = 0;
		if (sig == (SIGTRAP | 0x80)) {
			/* A syscall stop: the exit of a pending call, or the entry of the call where a
			 * deferred filter is added (an entry stop also follows a signal stop resumed with
			 * PTRACE_SYSCALL for a pending call: that call then was lost). */
			struct sc_info si;
			bool got = t && ptrace((enum __ptrace_request)GET_SYSCALL_INFO, tid, (void *)sizeof si, &si) > 0;
			int restarted = got && t->nintr ? intr_decide(&w, t, &si) : -1;
			if (got && si.op == INFO_ENTRY) {
				t->pending = restarted;
				if (t->defer && wants_filter(t->proc) && restarted < 0) {
					t->defer = false;
					if ((added = add_filter(&w, t, true)) == INJ_NONE)
						t->defer = true;   /* another ABI's call: the next one */
				} else if (!wants_filter(t->proc)) {
					t->defer = false;
				}
			} else if (got && t->pending >= 0) {
				on_exit_stop(&w, t, &si);
				if (wants_filter(t->proc) && (added = add_filter(&w, t, false)) == INJ_NONE)
					t->defer = true;
			} else if (t) {
				t->pending = -1;
				t->defer = t->defer && wants_filter(t->proc);
			}
			how = t && (t->defer || t->pending >= 0 || t->nintr) ? PTRACE_SYSCALL : PTRACE_CONT;
		} else if (event == PTRACE_EVENT_SECCOMP) {
			how = t && on_seccomp(&w, t) ? PTRACE_SYSCALL : PTRACE_CONT;
			if (t && wants_filter(t->proc)) {
				/* The call is made again once the filter is in: its stop comes again. */
				if ((added = add_filter(&w, t, true)) != INJ_NONE) {
					t->pending = -1;
					how = PTRACE_CONT;
				}
			}
		} else if (event == PTRACE_EVENT_EXEC) {
			on_exec(&w, t, tid);
			t = task_find(&w, tid);
			if (t && wants_filter(t->proc))
				t->defer = true;   /* at its first call */
			how = t && t->defer ? PTRACE_SYSCALL : PTRACE_CONT;
		} else if (event == PTRACE_EVENT_FORK || event == PTRACE_EVENT_VFORK || event == PTRACE_EVENT_CLONE) {
			added = on_new_task(&w, t, tid, event);
		} else if (event == PTRACE_EVENT_STOP) {
			/* A group stop is kept (and left by SIGCONT); the first stop of a new tracee,
			 * and an interrupt, are not. */
			if (sig == SIGSTOP || sig == SIGTSTP || sig == SIGTTIN || sig == SIGTTOU) {
				(void) ptrace(PTRACE_LISTEN, tid, 0, 0);
				continue;
			}
		} else if (event == 0) {
			inject = sig;     /* a signal for the program: delivered */
		}
		if (added == INJ_GONE || added == INJ_DEFERRED)
			continue;     /* dropped, or resumed already */
		(void) ptrace(how, tid, 0, (void *)(long)inject);
	}
}

int tracer_new(int report_fd, struct tracer **ret)
{
#ifndef NATIVE_ARCH
	return -EOPNOTSUPP;
#endif
	struct tracer *t = calloc(1, sizeof *t);
	int ready[2] = { -1, -1 }, go[2] = { -1, -1 }, ans[2] = { -1, -1 }, e = 0;

	if (!t)
		return -ENOMEM;
	t->ready_w = t->go_r = t->ans_r = -1;
	build_filter(t, !CAN_INJECT);
	if (pipe2(ready, O_CLOEXEC) < 0 || pipe2(go, O_CLOEXEC) < 0 || pipe2(ans, O_CLOEXEC) < 0) {
		e = -errno;
		goto fail;
	}
	/* The child's ends above 9: its dup2()s onto 0-3 must not overwrite them. */
	if ((t->ready_w = fcntl(ready[1], F_DUPFD_CLOEXEC, 10)) < 0 || (t->go_r = fcntl(go[0], F_DUPFD_CLOEXEC, 10)) < 0) {
		e = -errno;
		goto fail;
	}
	pid_t parent = getpid();
	pid_t pid = fork();
	if (pid < 0) {
		e = -errno;
		goto fail;
	}
	if (pid == 0) {
		int keep[] = { report_fd, ready[0], go[1], ans[1] };
		close_others(keep, sizeof keep / sizeof keep[0]);
		if (prctl(PR_SET_PDEATHSIG, SIGKILL) < 0 || getppid() != parent)
			_exit(1);
		sigset_t none;
		sigemptyset(&none);
		sigprocmask(SIG_SETMASK, &none, NULL);
		signal(SIGPIPE, SIG_IGN);
		tracer_main(report_fd, ready[0], go[1], ans[1]);
	}
	t->pid = pid;
	t->ans_r = ans[0], ans[0] = -1;
fail:
	for (int i = 0; i < 2; i++) {
		if (ready[i] >= 0)
			close(ready[i]);
		if (go[i] >= 0)
			close(go[i]);
		if (ans[i] >= 0)
			close(ans[i]);
	}
	if (e < 0) {
		tracer_free(t);
		return e;
	}
	*ret = t;
	return 0;
}

int tracer_child(const struct tracer *t)
{
	pid_t me = (pid_t)syscall(SYS_getpid);
	int e = 0;

	/* Under Yama's ptrace_scope 1 the tracer, not our ancestor, needs leave; EINVAL without Yama. */
	(void) prctl(PR_SET_PTRACER, t->pid, 0, 0, 0);
	if (write(t->ready_w, &me, sizeof me) != (ssize_t)sizeof me)
		return -errno;
	ssize_t n;
	do
		n = read(t->go_r, &e, sizeof e);
	while (n < 0 && errno == EINTR);
	if (n != (ssize_t)sizeof e)
		return -ECHILD;   /* the tracer died */
	if (e)
		return -e;
	return install(&t->prog, 0) < 0 ? -errno : 0;
}

void tracer_forked(struct tracer *t)
{
	if (t->ready_w >= 0)
		close(t->ready_w);
	if (t->go_r >= 0)
		close(t->go_r);
	t->ready_w = t->go_r = -1;
}

int tracer_refused(struct tracer *t, const char **call)
{
	struct pollfd pfd = { .fd = t->ans_r, .events = POLLIN };
	int ans[3] = { 0, 0, 0 };

	if (t->ans_r < 0 || poll(&pfd, 1, 1000) <= 0 || read(t->ans_r, ans, sizeof ans) != (ssize_t)sizeof ans)
		return 0;
	size_t i = ans[1] >= 0 && (size_t)ans[1] < sizeof needed / sizeof *needed ? (size_t)ans[1] : 0;
	*call = ans[2] ? needed_killed[i] : needed[i];
	return ans[0];
}

void tracer_free(struct tracer *t)
{
	if (!t)
		return;
	tracer_forked(t);
	if (t->ans_r >= 0)
		close(t->ans_r);
	if (t->pid > 0) {
		int status;
		kill(t->pid, SIGKILL);
		while (waitpid(t->pid, &status, 0) < 0 && errno == EINTR)
			;
	}
	free(t);
}
