/* SPDX-License-Identifier: MIT */
/*
 * libtcpfault-shim.so: an LD_PRELOAD library that lets tcpfault see the results of a real
 * program's own socket calls. It wraps connect, accept, accept4, read, write, recv, send,
 * recvfrom, sendto, recvmsg, sendmsg, readv, writev (preadv2, pwritev2 under these names),
 * recvmmsg, sendmmsg, sendfile, splice, shutdown, close,
 * getsockopt(SO_ERROR), poll, ppoll, epoll_wait, epoll_pwait and epoll_pwait2 (and glibc's
 * fortified __read_chk, __recv_chk, __recvfrom_chk, __poll_chk, __ppoll_chk and its other
 * exported names __read, __write, __send, __connect, __close, __poll); each calls the
 * real function (dlsym(RTLD_NEXT)), saves errno on the next line, and, when the fd is an
 * AF_INET or AF_INET6 socket, sends one report to the fd named by TCPFAULT_SHIM_FD:
 *
 *     CALL FD RET ERRNO T_US PID
 *
 *   CALL   the function's name; one call under one name whichever function made it: "accept"
 *          for accept4, "recv" for recvfrom, "send" for sendto (the scenario language takes
 *          either name; lang/statements-programs.c); getsockopt(SO_ERROR) is "so_error",
 *          with ret 0, or ret -1 and the pending error as its errno, as tcpfault-peer says it)
 *   FD     the socket; RET the return value; ERRNO the errno's name (ECONNRESET) or "-"
 *   T_US   CLOCK_MONOTONIC microseconds when the call returned; PID the calling process
 *
 * A wait (poll, ppoll: "poll"; epoll_wait, epoll_pwait: "epoll_wait") is reported only where it
 * carries an error: one report for each TCP socket whose revents hold POLLERR, POLLHUP or
 * POLLRDHUP (EPOLL... alike), FD that socket, RET the call's return value, and a seventh field,
 * the socket's revents by name ("POLLIN|POLLERR|POLLHUP"). An epoll event names the fd through
 * the epoll fd's fdinfo (its data -> tfd). select(2) carries no error (a socket with one is just
 * readable and writable) and is not reported.
 *
 * one message per report (the fd is a SOCK_SEQPACKET socket). When the controller is slow and
 * the socket's buffer is three quarters full, reports are dropped, never waited for, and
 * counted: "dropped N" goes before the next report (none goes out before it), and at the
 * process's end (exit, _exit) or exec, into the quarter kept for it: tcpfault must learn of every
 * drop (an expectation that a call is absent cannot be judged without). Only a SIGKILLed
 * process's last drops go unsaid. The program's behaviour is unchanged: the real
 * function's result and errno are what it gets back. Without TCPFAULT_SHIM_FD nothing is sent.
 *
 * It also keeps its report socket from the program (close, close_range, closefrom, dup2, dup3:
 * below), and says "unobserved REASON" where it cannot see the calls: stdio on a socket (fdopen),
 * an exec of a static executable or a Go program (execve and its kin, posix_spawn: below).
 *
 * Runs inside the program under test, in any of its threads, maybe in a signal handler: the
 * wrappers use no locks, no stdio and no malloc.
 */
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <sys/epoll.h>
#include <netinet/in.h>
#include <linux/sock_diag.h>
#include <spawn.h>

#include "exe.h"
#include "peer.h"

#define EXPORT __attribute__((visibility("default")))
#define HIGH_FD 512   /* where the report socket moves, out of the program's way (< 1000) */

static int report_fd = -1;  /* the report socket, as the wrappers compare fds with it */
/* What send_msg sends on: the report socket's fd (low 32 bits) and a generation, counted up at
 * each move (move_report); report_users[g & 1] counts the sends on generation g's fd in flight. */
static uint64_t report_at = 0xffffffffu;
static int report_users[2];
static unsigned long dropped;
static char *env_fd;   /* TCPFAULT_SHIM_FD's value, rewritten in place when the socket moves */

/* A child of fork() has only the thread that forked: the others' sends in flight then are
 * none of its own, and move_report must not wait for them; the drops not yet said are the
 * parent's to say. */
static void forked(void)
{
	__atomic_store_n(&dropped, 0, __ATOMIC_SEQ_CST);
	__atomic_store_n(&report_users[0], 0, __ATOMIC_SEQ_CST);
	__atomic_store_n(&report_users[1], 0, __ATOMIC_SEQ_CST);
}

/* The report socket is now fd: a new generation (or -1: none). Returns the generation left. */
static uint32_t set_report(int fd)
{
	uint64_t was = __atomic_load_n(&report_at, __ATOMIC_SEQ_CST);
	__atomic_store_n(&report_fd, fd, __ATOMIC_SEQ_CST);
	__atomic_store_n(&report_at, (((was >> 32) + 1) << 32) | (uint32_t)fd, __ATOMIC_SEQ_CST);
	return (uint32_t)(was >> 32);
}

__attribute__((constructor)) static void shim_init(void)
{
	const char *v = getenv("TCPFAULT_SHIM_FD");
	char *end;

	if (!v || !*v)
		return;
	(void) pthread_atfork(NULL, NULL, forked);   /* fails only out of memory: a move then waits its bound */
	long fd = strtol(v, &end, 10);
	if (*end || fd < 0 || fd > 1 << 20)
		return;
	/* tcpfault hands the socket over as fd 3, which a program may take for itself (bash's
	 * 'exec 3<>/dev/tcp/...' dup2()s onto it): the reports would then go into its own
	 * connection. So it moves out of the way, once, and fd 3 is the program's. An exec'd
	 * child finds it again through TCPFAULT_SHIM_FD, rewritten in place (tcpfault pads it,
	 * "00003"): not setenv(), as bash defines its own, which does nothing before its main()
	 * (bash's 'exec cat' handed cat the old fd, and cat reported nothing). Where
	 * no fd that high is allowed, or no room, it stays. */
	size_t width = strlen(v);
	env_fd = (char *)v;
	if (fd < HIGH_FD && width >= 3) {
		long high = syscall(SYS_fcntl, (int)fd, F_DUPFD, HIGH_FD);
		if (high >= 0 && high < 1000) {
			char *digit = (char *)v + width;
			for (long n = high; digit > v; n /= 10)
				*--digit = (char)('0' + n % 10);
			syscall(SYS_close, (int)fd);
			fd = high;
		} else if (high >= 0) {
			syscall(SYS_close, (int)high);
		}
	}
	set_report((int)fd);
}

static void *real(const char *name, void **slot)
{
	void *f = __atomic_load_n(slot, __ATOMIC_ACQUIRE);

	if (!f) {
		f = dlsym(RTLD_NEXT, name);
		__atomic_store_n(slot, f, __ATOMIC_RELEASE);
	}
	return f;
}

/* Whether fd is a TCP/IP socket (the only kind reported). Raw syscalls: no wrapper recursion. */
static int is_inet(int fd)
{
	struct stat st;
	int domain = 0;
	socklen_t len = sizeof domain;

	if (report_fd < 0 || fd < 0 || fd == report_fd)
		return 0;
	if (syscall(SYS_fstat, fd, &st) < 0 || !S_ISSOCK(st.st_mode))
		return 0;
	if (syscall(SYS_getsockopt, fd, SOL_SOCKET, SO_DOMAIN, &domain, &len) < 0)
		return 0;
	return domain == AF_INET || domain == AF_INET6;
}

static char *put_str(char *p, char *end, const char *s)
{
	while (*s && p < end)
		*p++ = *s++;
	return p;
}

static char *put_num(char *p, char *end, long long v)
{
	char tmp[24];
	int n = 0;
	unsigned long long u = v < 0 ? 0ULL - (unsigned long long)v : (unsigned long long)v;

	do
		tmp[n++] = (char)('0' + u % 10);
	while ((u /= 10) && n < 23);
	if (v < 0)
		tmp[n++] = '-';
	while (n && p < end)
		*p++ = tmp[--n];
	return p;
}

/* The quarter of the report socket's buffer kept for what must not be lost: "dropped N" and
 * "unobserved ..." go there when reports have filled the rest (a report is dropped at three
 * quarters), so the count goes out at once, at the process's end too: waiting there for room
 * would let the program's other threads run on (a thread that _exit()s on an error while others
 * spin would end the process later, and otherwise). */
static bool room_for_report(int fd)
{
	uint32_t mem[SK_MEMINFO_VARS];
	socklen_t len = sizeof mem;

	if (syscall(SYS_getsockopt, fd, SOL_SOCKET, SO_MEMINFO, mem, &len) < 0 || len < sizeof mem)
		return true;   /* cannot tell: the kernel's own limit stays */
	return mem[SK_MEMINFO_WMEM_ALLOC] < mem[SK_MEMINFO_SNDBUF] / 4 * 3;
}

/* Counted in report_users from before it reads the fd until the send returns: move_report waits
 * for the sends that may hold the old number. The generation read again once counted: either the
 * move (sequentially consistent) sees this send counted, or this send sees the new generation and
 * takes its fd instead (a few times at most: then it is not sent). A report (not a note) is not
 * sent into the last quarter of the buffer. Whether it was sent. */
static bool send_msg(const char *msg, size_t len, bool is_report)
{
	long r = -1;

	for (int tries = 0; tries < 4; tries++) {
		uint64_t st = __atomic_load_n(&report_at, __ATOMIC_SEQ_CST);
		int *users = &report_users[(st >> 32) & 1];
		__atomic_add_fetch(users, 1, __ATOMIC_SEQ_CST);
		if (__atomic_load_n(&report_at, __ATOMIC_SEQ_CST) == st) {
			if (!is_report || room_for_report((int)(uint32_t)st))
				r = syscall(SYS_sendto, (int)(uint32_t)st, msg, len, MSG_DONTWAIT | MSG_NOSIGNAL, NULL, 0);
			tries = 4;
		}
		__atomic_sub_fetch(users, 1, __ATOMIC_SEQ_CST);
	}
	return r >= 0;
}

/* Says how many reports were dropped since last said: whether it was said (or none were). The
 * count is taken back if it could not be sent, never lost: tcpfault must learn of every drop, as
 * an expectation that a call is absent (or comes in order) cannot be judged without them. Before
 * a report (last false) it is a report as to room: the kept quarter is for the last word. */
static bool send_dropped(bool last)
{
	char msg[40];
	unsigned long d = __atomic_exchange_n(&dropped, 0, __ATOMIC_SEQ_CST);

	if (!d)
		return true;
	char *p = put_num(put_str(msg, msg + sizeof msg, "dropped "), msg + sizeof msg, (long long)d);
	if (send_msg(msg, (size_t)(p - msg), !last))
		return true;
	__atomic_add_fetch(&dropped, d, __ATOMIC_SEQ_CST);
	return false;
}

/* Before the process ends or execs (its count would go with it): the drops not yet said. */
static void send_dropped_last(void)
{
	if (report_fd >= 0)
		(void) send_dropped(true);
}

/* A report goes out only once the drops before it are said: a report tcpfault has read tells it
 * of every drop before it (in the thread that made it). */
static void report_args(const char *call, int fd, long long ret, int err, const char *args)
{
	char msg[160], *p = msg, *end = msg + sizeof msg;
	struct timespec ts;
	const char *en = ret < 0 ? peer_errno_name(err) : NULL;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	if (!send_dropped(false)) {
		__atomic_add_fetch(&dropped, 1, __ATOMIC_SEQ_CST);
		return;
	}
	p = put_str(p, end, call);
	p = put_num(put_str(p, end, " "), end, fd);
	p = put_num(put_str(p, end, " "), end, ret);
	p = put_str(put_str(p, end, " "), end, en ? en : "-");
	p = put_num(put_str(p, end, " "), end, (long long)ts.tv_sec * 1000000 + ts.tv_nsec / 1000);
	p = put_num(put_str(p, end, " "), end, (long long)syscall(SYS_getpid));
	if (args)
		p = put_str(put_str(p, end, " "), end, args);
	if (!send_msg(msg, (size_t)(p - msg), true))
		__atomic_add_fetch(&dropped, 1, __ATOMIC_SEQ_CST);
}

static void report(const char *call, int fd, long long ret, int err)
{
	report_args(call, fd, ret, err, NULL);
}

/* The end of the process: exit() runs this; _exit() and _Exit() are wrapped below. */
__attribute__((destructor)) static void shim_fini(void)
{
	send_dropped_last();
}

/* exit() says the drops not yet said in shim_fini(); a program that ends with _exit() (a busy
 * loop's thread that got its answer, a child after fork) says them here. */
EXPORT _Noreturn void _exit(int status)
{
	static void *slot;
	void (*f)(int) = (void (*)(int))real("_exit", &slot);

	send_dropped_last();
	if (f)
		f(status);
	syscall(SYS_exit_group, status);
	__builtin_unreachable();
}
EXPORT _Noreturn void _Exit(int status) __attribute__((alias("_exit")));

/* The body of every wrapper: errno as the program left it while we look at fd, the real
 * call, errno saved at once, the report, errno restored. */
#define WRAP(rtype, name, call, fd, args, ...)                                         \
	EXPORT rtype name(__VA_ARGS__)                                                 \
	{                                                                              \
		static void *slot;                                                     \
		rtype (*f)(__VA_ARGS__) = (rtype (*)(__VA_ARGS__))real(#name, &slot);  \
		int saved = errno;                                                     \
		int watch = is_inet(fd);                                               \
		errno = saved;                                                         \
		rtype ret = f args;                                                    \
		int err = errno;                                                       \
		if (watch)                                                             \
			report(call, fd, (long long)ret, err);                         \
		errno = err;                                                           \
		return ret;                                                            \
	}

/* connect, as WRAP, with the port it connects to ("port 8000"): a program's connections told
 * apart (tcpfault sweep counts only the failures of those to the server's port). */
EXPORT int connect(int fd, const struct sockaddr *addr, socklen_t len)
{
	static void *slot;
	int (*f)(int, const struct sockaddr *, socklen_t) =
		(int (*)(int, const struct sockaddr *, socklen_t))real("connect", &slot);
	int saved = errno;
	int watch = is_inet(fd);
	errno = saved;
	int ret = f(fd, addr, len);
	int err = errno;
	if (watch) {
		char args[16], *p = args;
		long long port = 0;
		if (addr && addr->sa_family == AF_INET && len >= (socklen_t)sizeof(struct sockaddr_in))
			port = ntohs(((const struct sockaddr_in *)addr)->sin_port);
		else if (addr && addr->sa_family == AF_INET6 && len >= (socklen_t)sizeof(struct sockaddr_in6))
			port = ntohs(((const struct sockaddr_in6 *)addr)->sin6_port);
		p = put_num(put_str(p, args + sizeof args - 1, "port "), args + sizeof args - 1, port);
		*p = 0;
		report_args("connect", fd, ret, err, port ? args : NULL);
	}
	errno = err;
	return ret;
}
WRAP(int, accept, "accept", fd, (fd, addr, len), int fd, struct sockaddr *addr, socklen_t *len)
WRAP(int, accept4, "accept", fd, (fd, addr, len, flags), int fd, struct sockaddr *addr, socklen_t *len, int flags)
WRAP(ssize_t, read, "read", fd, (fd, buf, n), int fd, void *buf, size_t n)
WRAP(ssize_t, write, "write", fd, (fd, buf, n), int fd, const void *buf, size_t n)
WRAP(ssize_t, recv, "recv", fd, (fd, buf, n, flags), int fd, void *buf, size_t n, int flags)
WRAP(ssize_t, send, "send", fd, (fd, buf, n, flags), int fd, const void *buf, size_t n, int flags)
WRAP(ssize_t, recvfrom, "recv", fd, (fd, buf, n, flags, addr, len), int fd, void *buf, size_t n, int flags,
     struct sockaddr *addr, socklen_t *len)
WRAP(ssize_t, sendto, "send", fd, (fd, buf, n, flags, addr, len), int fd, const void *buf, size_t n, int flags,
     const struct sockaddr *addr, socklen_t len)
/* glibc's fortified entry points (-D_FORTIFY_SOURCE, on by default in Ubuntu's gcc: a read into
 * a buffer whose size the compiler knows, with a length it does not, calls __read_chk), which
 * reach the kernel without going through read, recv or recvfrom: reported under those names. */
WRAP(ssize_t, __read_chk, "read", fd, (fd, buf, n, buflen), int fd, void *buf, size_t n, size_t buflen)
WRAP(ssize_t, __recv_chk, "recv", fd, (fd, buf, n, buflen, flags), int fd, void *buf, size_t n, size_t buflen,
     int flags)
WRAP(ssize_t, __recvfrom_chk, "recv", fd, (fd, buf, n, buflen, flags, addr, len), int fd, void *buf, size_t n,
     size_t buflen, int flags, struct sockaddr *addr, socklen_t *len)
WRAP(ssize_t, recvmsg, "recvmsg", fd, (fd, msg, flags), int fd, struct msghdr *msg, int flags)
WRAP(ssize_t, sendmsg, "sendmsg", fd, (fd, msg, flags), int fd, const struct msghdr *msg, int flags)
WRAP(ssize_t, readv, "readv", fd, (fd, iov, n), int fd, const struct iovec *iov, int n)
WRAP(ssize_t, writev, "writev", fd, (fd, iov, n), int fd, const struct iovec *iov, int n)
/* preadv2 and pwritev2, as readv and writev: at offset -1 the socket's stream, at another the
 * kernel's -1 ESPIPE (EINVAL below -1), reported too, as the tracer reports them. Both
 * symbols of each (<sys/uio.h> redirects preadv2 to preadv64v2 under _FILE_OFFSET_BITS=64). */
#define WRAP_V2(cname, sym, call)                                                                 \
	EXPORT ssize_t cname(int fd, const struct iovec *iov, int n, off_t off, int flags) __asm__(sym); \
	EXPORT ssize_t cname(int fd, const struct iovec *iov, int n, off_t off, int flags)           \
	{                                                                                          \
		static void *slot;                                                                 \
		ssize_t (*f)(int, const struct iovec *, int, off_t, int) =                         \
			(ssize_t (*)(int, const struct iovec *, int, off_t, int))real(sym, &slot); \
		int saved = errno;                                                                 \
		int watch = is_inet(fd);                                                           \
		errno = saved;                                                                     \
		ssize_t ret = f(fd, iov, n, off, flags);                                           \
		int err = errno;                                                                   \
		if (watch)                                                                         \
			report(call, fd, (long long)ret, err);                                     \
		errno = err;                                                                       \
		return ret;                                                                        \
	}
WRAP_V2(shim_preadv2, "preadv2", "readv")
WRAP_V2(shim_pwritev2, "pwritev2", "writev")
WRAP_V2(shim_preadv64v2, "preadv64v2", "readv")
WRAP_V2(shim_pwritev64v2, "pwritev64v2", "writev")
WRAP(int, recvmmsg, "recvmmsg", fd, (fd, v, n, flags, timeout), int fd, struct mmsghdr *v, unsigned int n, int flags,
     struct timespec *timeout)
WRAP(int, sendmmsg, "sendmmsg", fd, (fd, v, n, flags), int fd, struct mmsghdr *v, unsigned int n, int flags)
/* sendfile: its socket is the fd it writes to, or the one it reads from (into a pipe the kernel
 * splices it; into a file it refuses, EINVAL); reported with the socket's fd, out where both are. */
#define WRAP_SENDFILE(name, off_type)                                                     \
	EXPORT ssize_t name(int out, int in, off_type *off, size_t n)                       \
	{                                                                                   \
		static void *slot;                                                          \
		ssize_t (*f)(int, int, off_type *, size_t) =                                \
			(ssize_t (*)(int, int, off_type *, size_t))real(#name, &slot);      \
		int saved = errno;                                                          \
		int fd = is_inet(out) ? out : is_inet(in) ? in : -1;                        \
		errno = saved;                                                              \
		ssize_t ret = f(out, in, off, n);                                           \
		int err = errno;                                                            \
		if (fd >= 0)                                                                \
			report("sendfile", fd, (long long)ret, err);                        \
		errno = err;                                                                \
		return ret;                                                                 \
	}
WRAP_SENDFILE(sendfile, off_t)
WRAP_SENDFILE(sendfile64, off64_t)
/* splice: its socket is either end (the other a pipe); reported with the socket's fd. */
EXPORT ssize_t splice(int in, loff_t *in_off, int out, loff_t *out_off, size_t n, unsigned int flags)
{
	static void *slot;
	ssize_t (*f)(int, loff_t *, int, loff_t *, size_t, unsigned int) =
		(ssize_t (*)(int, loff_t *, int, loff_t *, size_t, unsigned int))real("splice", &slot);
	int saved = errno;
	int fd = is_inet(in) ? in : is_inet(out) ? out : -1;
	errno = saved;
	ssize_t ret = f(in, in_off, out, out_off, n, flags);
	int err = errno;
	if (fd >= 0)
		report("splice", fd, (long long)ret, err);
	errno = err;
	return ret;
}
WRAP(int, shutdown, "shutdown", fd, (fd, how), int fd, int how)

/* ---- the report socket kept: a program that closes every fd (ssh's closefrom(3)) or dup2()s
 * onto it would leave the shim blind, every call unreported. close() of it succeeds but keeps
 * it; close_range() and closefrom() close the rest; dup2() and dup3() onto it move it first
 * (to another fd from HIGH_FD, TCPFAULT_SHIM_FD rewritten), once the reports other threads were
 * sending on the old number have gone (at most 100 ms, else a note says one may have gone into
 * the program's file). Where it cannot be kept, the shim says so ("unobserved ..."), and
 * tcpfault ends an expectation on the program's calls as an error. Raw syscalls escape this,
 * as they escape every wrapper. ---- */

static void unobserved(const char *why)
{
	if (report_fd >= 0 && !send_msg(why, strlen(why), false))
		__atomic_add_fetch(&dropped, 1, __ATOMIC_SEQ_CST);   /* an error all the same (program.c) */
}

#define MOVE_WAIT_NS 100000000L   /* 100 ms: a send preempted, or a thread stopped, outlasts it */

/* Waits for the sends that may have read the report socket's old number (send_msg) to return,
 * before the program's dup2() puts its own file there: else such a send, scheduled out between
 * reading the number and entering the kernel, would write a report into the program's
 * connection. Bounded (a thread stopped mid-send, or this very thread interrupted by the signal
 * handler that dup2()s: it would wait for itself); past the bound the harness is told. */
static void await_senders(uint32_t gen, int old)
{
	struct timespec t0, t;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	while (__atomic_load_n(&report_users[gen & 1], __ATOMIC_SEQ_CST)) {
		clock_gettime(CLOCK_MONOTONIC, &t);
		if ((t.tv_sec - t0.tv_sec) * 1000000000L + t.tv_nsec - t0.tv_nsec > MOVE_WAIT_NS) {
			char msg[200], *p = msg, *end = msg + sizeof msg;
			p = put_num(put_str(p, end, "note a report being sent when the shim moved its report socket off fd "), end, old);
			p = put_str(p, end, " (the program's dup2) outlasted 100 ms: it may have gone into the program's "
				    "own file there");
			if (!send_msg(msg, (size_t)(p - msg), false))
				__atomic_add_fetch(&dropped, 1, __ATOMIC_SEQ_CST);
			return;
		}
		syscall(SYS_sched_yield);
	}
}

/* Moves the report socket off its fd, which the program is about to dup2() onto: returns the
 * old number, which that dup2() replaces (the caller closes it if the dup2() fails). It stays
 * open until then: another thread's open() cannot take it in between. Where there is no room to
 * move, the shim stops reporting (said): the number becomes the program's. */
static int move_report(void)
{
	size_t width = env_fd ? strlen(env_fd) : 0;
	int old = report_fd;
	long high = syscall(SYS_fcntl, old, F_DUPFD, old < HIGH_FD ? HIGH_FD : old + 1);
	long room = 1;
	for (size_t i = 0; i < width && room < 1000000; i++)
		room *= 10;
	if (high < 0 || high >= room) {
		if (high >= 0)
			syscall(SYS_close, (int)high);
		unobserved("unobserved the program took the shim's report socket's fd for itself (dup2): its "
			   "calls after that cannot be observed");
		await_senders(set_report(-1), old);
		return old;
	}
	char *digit = env_fd + width;
	for (long n = high; digit > env_fd; n /= 10)
		*--digit = (char)('0' + n % 10);
	await_senders(set_report((int)high), old);
	return old;
}

EXPORT int close(int fd)
{
	static void *slot;
	int (*f)(int) = (int (*)(int))real("close", &slot);
	if (fd >= 0 && fd == report_fd)
		return 0;   /* kept: the program's other fds are its own */
	int saved = errno;
	int watch = is_inet(fd);
	errno = saved;
	int ret = f(fd);
	int err = errno;
	if (watch)
		report("close", fd, (long long)ret, err);
	errno = err;
	return ret;
}

/* close_range(lo, hi, flags) around the report socket: the two ranges either side of it. */
static int close_around(unsigned lo, unsigned hi, int flags)
{
	unsigned r = (unsigned)report_fd;
	long ret = 0;

	if (report_fd < 0 || r < lo || r > hi)
		return (int)syscall(SYS_close_range, lo, hi, flags);
	if (r > lo)
		ret = syscall(SYS_close_range, lo, r - 1, flags);
	if (ret == 0 && r < hi)
		ret = syscall(SYS_close_range, r + 1, hi, flags);
	return (int)ret;
}

EXPORT int close_range(unsigned int lo, unsigned int hi, int flags)
{
	return close_around(lo, hi, flags);
}

EXPORT void closefrom(int lo)
{
	static void *slot;
	void (*f)(int) = (void (*)(int))real("closefrom", &slot);
	int saved = errno;

	if (lo < 0)
		lo = 0;
	if (close_around((unsigned)lo, ~0U, 0) == 0) {
		errno = saved;
		return;
	}
	if (report_fd >= lo)
		unobserved("unobserved the program closed the shim's report socket (closefrom, without "
			   "close_range): its calls after that cannot be observed");
	errno = saved;
	if (f)
		f(lo);
}

/* dup2 and dup3 onto the report socket: it moves first; if the call fails, its old number,
 * left open for it to replace, is closed, as the program expects its number free. */
static int moved_off(int old, int fd)
{
	if (fd < 0 || old == fd || fd != __atomic_load_n(&report_fd, __ATOMIC_SEQ_CST))
		return -1;
	int saved = errno;
	int was = move_report();
	errno = saved;
	return was;
}

static int dup_done(int ret, int was)
{
	int err = errno;
	if (ret < 0 && was >= 0)
		syscall(SYS_close, was);
	errno = err;
	return ret;
}

EXPORT int dup2(int old, int fd)
{
	static void *slot;
	int (*f)(int, int) = (int (*)(int, int))real("dup2", &slot);
	int was = moved_off(old, fd);
	return dup_done(f(old, fd), was);
}

EXPORT int dup3(int old, int fd, int flags)
{
	static void *slot;
	int (*f)(int, int, int) = (int (*)(int, int, int))real("dup3", &slot);
	int was = moved_off(old, fd);
	return dup_done(f(old, fd, flags), was);
}

/* stdio on a socket (fdopen, then fgets, fputs, fread...) reads and writes through glibc's own
 * read and write, which no LD_PRELOAD wrapper sees: the program's calls on it are said to be
 * unobserved, at the fdopen, used or not (deliberate). Flagging at the first use instead would
 * mean wrapping every way into stdio (getc, fscanf, printf, their _unlocked and _chk kin, and
 * __uflow and __overflow behind the getc/putc macros): one missed is a pass on unseen calls, for
 * the rare program that opens stdio on a socket and never uses it. Nor can fdopen hand back a
 * FILE whose reads come through our wrappers (fopencookie): fileno() of it is -1. */
EXPORT FILE *fdopen(int fd, const char *mode)
{
	static void *slot;
	FILE *(*f)(int, const char *) = (FILE * (*)(int, const char *)) real("fdopen", &slot);
	int saved = errno;
	if (is_inet(fd))
		unobserved("unobserved the program opened stdio on a TCP/IP socket (fdopen): stdio's own reads "
			   "and writes bypass the shim");
	errno = saved;
	return f(fd, mode);
}

/* getsockopt(SO_ERROR) is how a program learns a non-blocking connect's outcome: reported as
 * "so_error", ret -1 with the pending error as errno (or ret 0), as tcpfault-peer reports it. */
EXPORT int getsockopt(int fd, int level, int name, void *val, socklen_t *len)
{
	static void *slot;
	int (*f)(int, int, int, void *, socklen_t *) = (int (*)(int, int, int, void *, socklen_t *))real("getsockopt", &slot);
	int saved = errno;
	int watch = level == SOL_SOCKET && name == SO_ERROR && is_inet(fd);
	errno = saved;
	int ret = f(fd, level, name, val, len);
	int err = errno;
	if (watch && ret == 0 && val && len && *len >= (socklen_t)sizeof(int)) {
		int pending = *(int *)val;
		report("so_error", fd, pending ? -1 : 0, pending);
	}
	errno = err;
	return ret;
}

/* ---- the waits: reported only where they carry an error on a TCP socket ---- */

static int is_tcp(int fd)
{
	int type = 0;
	socklen_t len = sizeof type;

	return is_inet(fd) && syscall(SYS_getsockopt, fd, SOL_SOCKET, SO_TYPE, &type, &len) == 0 && type == SOCK_STREAM;
}

static void report_wait(const char *call, int fd, long long ret, unsigned revents, bool epoll)
{
	char names[96];

	if (!(revents & PEER_WAIT_ERRORS) || !is_tcp(fd))
		return;
	peer_wait_events_name(revents, epoll, names, sizeof names);
	report_args(call, fd, ret, 0, names);
}

static void report_poll(const struct pollfd *fds, nfds_t n, int ret)
{
	for (nfds_t i = 0; ret > 0 && i < n; i++)
		report_wait("poll", fds[i].fd, ret, (unsigned)fds[i].revents, false);
}

/* Each event's fd, from the epoll fd's fdinfo (read with raw syscalls, at most 16 KiB of it:
 * some 180 fds; an event past that goes unreported). */
static void report_epoll(int epfd, const struct epoll_event *ev, int ret)
{
	char path[40] = "/proc/self/fdinfo/", *p = path + strlen(path), info[16384];
	long n = 0, got;
	int fd = -1;

	for (int i = 0; i < ret; i++) {
		if (!(ev[i].events & PEER_WAIT_ERRORS))
			continue;
		if (fd < 0) {
			p = put_num(p, path + sizeof path - 1, epfd);
			*p = 0;
			if ((fd = (int)syscall(SYS_openat, AT_FDCWD, path, O_RDONLY | O_CLOEXEC)) < 0)
				return;
			while (n < (long)sizeof info - 1 && (got = syscall(SYS_read, fd, info + n, sizeof info - 1 - (size_t)n)) > 0)
				n += got;
			info[n] = 0;
			syscall(SYS_close, fd);
		}
		int tfd = peer_epoll_fd(info, ev[i].data.u64);
		if (tfd >= 0)
			report_wait("epoll_wait", tfd, ret, ev[i].events, true);
	}
}

/* A wait, as WRAP: the real call, errno saved at once, the reports, errno restored. */
#define WAIT(name, reporter, args, ...)                                                \
	EXPORT int name(__VA_ARGS__)                                                   \
	{                                                                              \
		static void *slot;                                                     \
		int (*f)(__VA_ARGS__) = (int (*)(__VA_ARGS__))real(#name, &slot);      \
		int ret = f args;                                                      \
		int err = errno;                                                       \
		if (report_fd >= 0 && ret > 0)                                         \
			reporter;                                                      \
		errno = err;                                                           \
		return ret;                                                            \
	}

WAIT(poll, report_poll(fds, n, ret), (fds, n, timeout), struct pollfd *fds, nfds_t n, int timeout)
WAIT(__poll_chk, report_poll(fds, n, ret), (fds, n, timeout, fdslen), struct pollfd *fds, nfds_t n, int timeout,
     size_t fdslen)
WAIT(ppoll, report_poll(fds, n, ret), (fds, n, t, mask), struct pollfd *fds, nfds_t n, const struct timespec *t,
     const sigset_t *mask)
WAIT(__ppoll_chk, report_poll(fds, n, ret), (fds, n, t, mask, fdslen), struct pollfd *fds, nfds_t n,
     const struct timespec *t, const sigset_t *mask, size_t fdslen)
WAIT(epoll_wait, report_epoll(epfd, ev, ret), (epfd, ev, max, timeout), int epfd, struct epoll_event *ev, int max,
     int timeout)
WAIT(epoll_pwait, report_epoll(epfd, ev, ret), (epfd, ev, max, timeout, mask), int epfd, struct epoll_event *ev,
     int max, int timeout, const sigset_t *mask)

/* epoll_pwait2 (glibc 2.35 on): a program that looks it up (dlsym) on an older glibc finds this
 * one, and gets what the real lookup would have said: no such call. */
EXPORT int epoll_pwait2(int epfd, struct epoll_event *ev, int max, const struct timespec *t, const sigset_t *mask)
{
	static void *slot;
	int (*f)(int, struct epoll_event *, int, const struct timespec *, const sigset_t *) =
		(int (*)(int, struct epoll_event *, int, const struct timespec *, const sigset_t *))real("epoll_pwait2", &slot);
	if (!f) {
		errno = ENOSYS;
		return -1;
	}
	int ret = f(epfd, ev, max, t, mask);
	int err = errno;
	if (report_fd >= 0 && ret > 0)
		report_epoll(epfd, ev, ret);
	errno = err;
	return ret;
}

/* The other names glibc exports for calls wrapped above (GLIBC_2.2.5, not private: a program
 * may link to them): the same wrappers. */
EXPORT ssize_t __read(int fd, void *buf, size_t n) __attribute__((alias("read")));
EXPORT ssize_t __write(int fd, const void *buf, size_t n) __attribute__((alias("write")));
EXPORT ssize_t __send(int fd, const void *buf, size_t n, int flags) __attribute__((alias("send")));
EXPORT int __connect(int fd, const struct sockaddr *addr, socklen_t len) __attribute__((alias("connect")));
EXPORT int __close(int fd) __attribute__((alias("close")));
EXPORT int __poll(struct pollfd *fds, nfds_t n, int timeout) __attribute__((alias("poll")));

/* ---- an exec the shim cannot follow: a static executable (no PT_INTERP: LD_PRELOAD cannot load
 * the shim into it) or a Go program (its runtime makes its syscalls itself), run by the program
 * (a child a script starts, say): its calls would be missed, so the shim says so before the
 * exec. Not when the process is traced (tcpfault's tracer follows the exec itself). ---- */

static bool traced(void)
{
	char buf[4096];
	int fd = (int)syscall(SYS_openat, AT_FDCWD, "/proc/self/status", O_RDONLY | O_CLOEXEC);
	long n = fd >= 0 ? syscall(SYS_read, fd, buf, sizeof buf - 1) : -1;
	if (fd >= 0)
		syscall(SYS_close, fd);
	if (n <= 0)
		return false;
	buf[n] = 0;
	const char *t = strstr(buf, "TracerPid:");
	return t && atoi(t + 10) != 0;
}

static void exec_check(const char *path)
{
	send_dropped_last();   /* the exec would take the count with it */
	if (report_fd < 0 || !path)
		return;
	int saved = errno;
	int kind = exe_kind(path);
	const char *blind = kind == EXE_STATIC ? "statically linked: the shim cannot be loaded into it"
			    : kind == EXE_GO   ? "a Go program: its calls bypass the shim"
					       : NULL;
	if (blind && !traced()) {
		char msg[400];
		snprintf(msg, sizeof msg, "unobserved process %.200s (pid %d, run by the program) is %s", path, (int)getpid(), blind);
		unobserved(msg);
	}
	errno = saved;
}

/* A name execvp() looks up on PATH. */
static void exec_check_p(const char *file)
{
	char path[4096];
	int saved = errno;

	send_dropped_last();
	if (report_fd >= 0 && file && exe_find(file, path, sizeof path) == 0)
		exec_check(path);
	errno = saved;
}

/* An fd-relative exec (fexecve, execveat): through /proc/self/fd. */
static void exec_check_at(int dirfd, const char *path, int flags)
{
	char p[4096];

	if (path && (path[0] == '/' || dirfd == AT_FDCWD)) {
		exec_check(path);
		return;
	}
	if (flags & AT_EMPTY_PATH && (!path || !*path))
		snprintf(p, sizeof p, "/proc/self/fd/%d", dirfd);
	else
		snprintf(p, sizeof p, "/proc/self/fd/%d/%.3000s", dirfd, path ? path : "");
	exec_check(p);
}

EXPORT int execve(const char *path, char *const argv[], char *const envp[])
{
	static void *slot;
	int (*f)(const char *, char *const[], char *const[]) = (int (*)(const char *, char *const[], char *const[]))real("execve", &slot);
	exec_check(path);
	return f(path, argv, envp);
}

EXPORT int execv(const char *path, char *const argv[])
{
	static void *slot;
	int (*f)(const char *, char *const[]) = (int (*)(const char *, char *const[]))real("execv", &slot);
	exec_check(path);
	return f(path, argv);
}

EXPORT int execvp(const char *file, char *const argv[])
{
	static void *slot;
	int (*f)(const char *, char *const[]) = (int (*)(const char *, char *const[]))real("execvp", &slot);
	exec_check_p(file);
	return f(file, argv);
}

EXPORT int execvpe(const char *file, char *const argv[], char *const envp[])
{
	static void *slot;
	int (*f)(const char *, char *const[], char *const[]) = (int (*)(const char *, char *const[], char *const[]))real("execvpe", &slot);
	exec_check_p(file);
	return f(file, argv, envp);
}

EXPORT int execveat(int dirfd, const char *path, char *const argv[], char *const envp[], int flags)
{
	static void *slot;
	int (*f)(int, const char *, char *const[], char *const[], int) =
		(int (*)(int, const char *, char *const[], char *const[], int))real("execveat", &slot);
	exec_check_at(dirfd, path, flags);
	return f(dirfd, path, argv, envp, flags);
}

EXPORT int fexecve(int fd, char *const argv[], char *const envp[])
{
	static void *slot;
	int (*f)(int, char *const[], char *const[]) = (int (*)(int, char *const[], char *const[]))real("fexecve", &slot);
	exec_check_at(fd, "", AT_EMPTY_PATH);
	return f(fd, argv, envp);
}

EXPORT int posix_spawn(pid_t *pid, const char *path, const posix_spawn_file_actions_t *fa, const posix_spawnattr_t *attr,
		       char *const argv[], char *const envp[])
{
	static void *slot;
	int (*f)(pid_t *, const char *, const posix_spawn_file_actions_t *, const posix_spawnattr_t *, char *const[],
		 char *const[]) = (int (*)(pid_t *, const char *, const posix_spawn_file_actions_t *,
					   const posix_spawnattr_t *, char *const[], char *const[]))real("posix_spawn", &slot);
	exec_check(path);
	return f(pid, path, fa, attr, argv, envp);
}

EXPORT int posix_spawnp(pid_t *pid, const char *file, const posix_spawn_file_actions_t *fa, const posix_spawnattr_t *attr,
			char *const argv[], char *const envp[])
{
	static void *slot;
	int (*f)(pid_t *, const char *, const posix_spawn_file_actions_t *, const posix_spawnattr_t *, char *const[],
		 char *const[]) = (int (*)(pid_t *, const char *, const posix_spawn_file_actions_t *,
					   const posix_spawnattr_t *, char *const[], char *const[]))real("posix_spawnp", &slot);
	exec_check_p(file);
	return f(pid, file, fa, attr, argv, envp);
}
