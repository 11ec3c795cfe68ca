/* SPDX-License-Identifier: MIT */
/*
 * Unit tests of the shim (peers/shim.c) and its report format: this program runs itself again
 * with the shim preloaded; the child makes socket calls that fail without any network
 * (read, readv, recvfrom, glibc's fortified __read_chk, __recv_chk, __recvfrom_chk, recvmmsg and
 * shutdown on an unconnected TCP socket: ENOTCONN; poll, ppoll, epoll_pwait2: POLLHUP; writev,
 * sendto, sendmmsg: EPIPE; preadv2, pwritev2 at offset 0: ESPIPE) and a read of a pipe, which must
 * not be reported; the parent parses the reports with program_shim_parse() and checks that
 * they name each call, its fd, its result and errno, and that the child's errno was left as
 * the real call set it. No privilege needed.
 *   test-shim PATH-TO-libtcpfault-shim.so
 */
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <sys/epoll.h>
#include <sys/wait.h>
#include <cmocka.h>

#include "lang.h"
#include "report.h"
#include "run.h"

static const char *self, *shim;

/* glibc's, declared by its headers only in a fortified build */
extern ssize_t __read_chk(int fd, void *buf, size_t n, size_t buflen);
extern ssize_t __recv_chk(int fd, void *buf, size_t n, size_t buflen, int flags);
extern ssize_t __recvfrom_chk(int fd, void *buf, size_t n, size_t buflen, int flags, struct sockaddr *addr,
			      socklen_t *len);
extern int __poll_chk(struct pollfd *fds, nfds_t n, int timeout, size_t fdslen);
extern int __ppoll_chk(struct pollfd *fds, nfds_t n, const struct timespec *t, const sigset_t *mask, size_t fdslen);
extern ssize_t __read(int fd, void *buf, size_t n);

/* The child, with the shim preloaded: exits 0 if every errno it saw is the real one. */
static int child_main(void)
{
	char c;
	int p[2], fd = socket(AF_INET, SOCK_STREAM, 0);

	if (fd < 0 || pipe(p) < 0)
		return 10;
	/* read first: a failed shutdown() still marks the socket shut, and read would return 0 */
	if (read(fd, &c, 1) != -1 || errno != ENOTCONN)
		return 11;
	/* the vector and multi-message calls, and the kernel's names of recv and send: each
	 * reported, recvfrom and sendto under the names the language matches (recv, send) */
	struct iovec iov = { .iov_base = &c, .iov_len = 1 };
	struct mmsghdr mm = { .msg_hdr = { .msg_iov = &iov, .msg_iovlen = 1 } };
	signal(SIGPIPE, SIG_IGN);
	if (readv(fd, &iov, 1) != -1 || errno != ENOTCONN)
		return 15;
	if (writev(fd, &iov, 1) != -1 || errno != EPIPE)
		return 16;
	/* preadv2, pwritev2 at offset -1 (the stream): reported as readv, writev */
	if (preadv2(fd, &iov, 1, -1, 0) != -1 || errno != ENOTCONN)
		return 21;
	if (pwritev2(fd, &iov, 1, -1, 0) != -1 || errno != EPIPE)
		return 22;
	/* at offset 0: ESPIPE on a socket, reported as the tracer reports it (review N6) */
	if (preadv2(fd, &iov, 1, 0, 0) != -1 || errno != ESPIPE)
		return 23;
	if (pwritev2(fd, &iov, 1, 0, 0) != -1 || errno != ESPIPE)
		return 24;
	if (recvfrom(fd, &c, 1, 0, NULL, NULL) != -1 || errno != ENOTCONN)
		return 17;
	/* glibc's fortified entry points and exported aliases (review H1): reported as read, recv */
	if (__read_chk(fd, &c, 1, 1) != -1 || errno != ENOTCONN)
		return 40;
	if (__recv_chk(fd, &c, 1, 1, 0) != -1 || errno != ENOTCONN)
		return 41;
	if (__recvfrom_chk(fd, &c, 1, 1, 0, NULL, NULL) != -1 || errno != ENOTCONN)
		return 42;
	if (__read(fd, &c, 1) != -1 || errno != ENOTCONN)
		return 43;
	if (sendto(fd, &c, 1, MSG_NOSIGNAL, NULL, 0) != -1 || errno != EPIPE)
		return 18;
	if (recvmmsg(fd, &mm, 1, 0, NULL) != -1 || errno != ENOTCONN)
		return 19;
	if (sendmmsg(fd, &mm, 1, MSG_NOSIGNAL) != -1 || errno != EPIPE)
		return 20;
	/* the waits, fortified or not: an unconnected socket is hung up (POLLHUP), reported */
	struct pollfd pfd = { .fd = fd, .events = POLLIN };
	struct epoll_event ev = { .events = EPOLLIN }, got;
	int ep = epoll_create1(0);
	if (__poll_chk(&pfd, 1, 0, sizeof pfd) != 1 || __ppoll_chk(&pfd, 1, &(struct timespec){ 0 }, NULL, sizeof pfd) != 1)
		return 44;
	if (ep < 0 || epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev) < 0 || epoll_pwait2(ep, &got, 1, &(struct timespec){ 0 }, NULL) != 1)
		return 45;
	close(ep);
	errno = 0;
	if (shutdown(fd, SHUT_RDWR) != -1 || errno != ENOTCONN)
		return 12;
	if (write(p[1], "x", 1) != 1 || read(p[0], &c, 1) != 1)
		return 13;
	errno = 1234; /* a successful call must leave errno alone */
	if (close(fd) != 0 || errno != 1234)
		return 14;
	return 0;
}

/* ---- the report socket moved while threads report (review: move_report's race) ---- */

static int race_fd;
static volatile int race_stop;

static void *race_reporter(void *arg)
{
	char c;

	while (!race_stop)
		(void) read(race_fd, &c, 1);   /* ENOTCONN, reported */
	return arg;
}

/* The child, with the shim preloaded: threads report without pause while the main thread
 * dup2()s the program's own socket (one end of a socketpair) onto the report socket's fd, again
 * and again (the shim moves it higher each time), keeping each fd so taken. Exits 30 if a
 * report reached the program's socket, 0 if none did in some 2 s (or 19,000 moves). Before the
 * shim waited for the sends in flight (move_report), 5 to 7 runs in 8 exited 30 (3 or 4 threads, 2
 * cores); since, none in 30 (two of them with the note that a send outlasted the wait). */
static int child_race(void)
{
	enum { THREADS = 4 };   /* twice the cores of a small CI machine: a sender is scheduled out mid-send */
	struct rlimit rl;
	pthread_t th[THREADS];
	int sp[2];
	char buf[256];

	if (getrlimit(RLIMIT_NOFILE, &rl) < 0)
		return 10;
	rl.rlim_cur = rl.rlim_max < 20000 ? rl.rlim_max : 20000;
	if (setrlimit(RLIMIT_NOFILE, &rl) < 0 || rl.rlim_cur < 1000)
		return 11;
	race_fd = socket(AF_INET, SOCK_STREAM, 0);
	if (race_fd < 0 || socketpair(AF_UNIX, SOCK_STREAM, 0, sp) < 0)
		return 12;
	for (int i = 0; i < THREADS; i++)
		if (pthread_create(&th[i], NULL, race_reporter, NULL))
			return 13;
	struct timespec t0, t;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	int moves = 0;
	for (;; moves++) {
		clock_gettime(CLOCK_MONOTONIC, &t);
		const char *v = getenv("TCPFAULT_SHIM_FD");
		int n = v ? atoi(v) : -1;
		if (t.tv_sec - t0.tv_sec >= 2 || n < 0 || (rlim_t)n + 10 >= rl.rlim_cur)
			break;
		if (dup2(sp[1], n) != n)
			return 14;
	}
	race_stop = 1;
	for (int i = 0; i < THREADS; i++)
		pthread_join(th[i], NULL);
	fprintf(stderr, "child: %d moves\n", moves);
	if (moves < 100)
		return 15;
	return recv(sp[0], buf, sizeof buf, MSG_DONTWAIT) > 0 ? 30 : 0;
}

static void test_move_race(void **state)
{
	int sv[2], status = -1;
	char env[64], preload[4200], msg[256];
	bool note = false;

	assert_int_equal(socketpair(AF_UNIX, SOCK_SEQPACKET, 0, sv), 0);
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		close(sv[0]);
		snprintf(env, sizeof env, "%05d", sv[1]);   /* room to move, as tcpfault pads it */
		snprintf(preload, sizeof preload, "LD_PRELOAD=%s", shim);
		setenv("TCPFAULT_SHIM_FD", env, 1);
		putenv(preload);
		execl(self, self, "--race", (char *)NULL);
		_exit(127);
	}
	close(sv[1]);
	/* The reports read as they come, to catch a note that a send outlasted the shim's wait. */
	struct timespec t0, t;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (t = t0; t.tv_sec - t0.tv_sec < 30; clock_gettime(CLOCK_MONOTONIC, &t)) {
		ssize_t n;
		while ((n = recv(sv[0], msg, sizeof msg - 1, MSG_DONTWAIT)) > 0) {
			msg[n] = 0;
			if (strncmp(msg, "note ", 5) == 0) {
				note = true;
				fprintf(stderr, "%s\n", msg);
			}
		}
		if (waitpid(pid, &status, WNOHANG) == pid)
			break;
		(void) poll(&(struct pollfd){ .fd = sv[0], .events = POLLIN }, 1, 100);
	}
	close(sv[0]);
	if (status == -1) {
		kill(pid, SIGKILL);
		waitpid(pid, &status, 0);
		fail_msg("the child did not end within 30 s");
	}
	assert_true(WIFEXITED(status));
	/* No report in the program's socket, or one the shim said may have gone there. */
	if (WEXITSTATUS(status) == 30 && !note)
		fail_msg("a report reached the program's own socket, unannounced");
	if (WEXITSTATUS(status) != 30)
		assert_int_equal(WEXITSTATUS(status), 0);
}

/* ---- dropped reports: every one counted, those just before the end too (review H3) ---- */

enum { DROP_CALLS = 2000 };

/* The child, with the shim preloaded and its report socket's send buffer made as small as the
 * kernel allows: DROP_CALLS reported calls, most of them dropped (nothing reads them yet), then
 * a byte on fd 'done' and the end, by _exit() or by returning from main (exit()). */
static int child_drops(int done, bool quick)
{
	char c;
	int fd = socket(AF_INET, SOCK_STREAM, 0), small = 1;
	const char *v = getenv("TCPFAULT_SHIM_FD");

	if (fd < 0 || !v || setsockopt(atoi(v), SOL_SOCKET, SO_SNDBUF, &small, sizeof small) < 0)
		return 10;
	for (int i = 0; i < DROP_CALLS; i++)
		(void) !read(fd, &c, 1);   /* ENOTCONN, reported */
	if (write(done, "x", 1) != 1)
		return 11;
	if (quick)
		_exit(0);
	return 0;
}

/* The reports and the drops said add up to the calls made: the drops just before the end are
 * said at the end. Before, they rode on the next report only, and there was none. */
static void drops_counted(const char *how)
{
	int sv[2], p[2], status;
	char env[64], preload[4200], msg[256], done[16];

	assert_int_equal(socketpair(AF_UNIX, SOCK_SEQPACKET, 0, sv), 0);
	assert_int_equal(pipe(p), 0);
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		close(sv[0]);
		close(p[0]);
		snprintf(env, sizeof env, "%05d", sv[1]);
		snprintf(preload, sizeof preload, "LD_PRELOAD=%s", shim);
		snprintf(done, sizeof done, "%d", p[1]);
		setenv("TCPFAULT_SHIM_FD", env, 1);
		putenv(preload);
		execl(self, self, how, done, (char *)NULL);
		_exit(127);
	}
	close(sv[1]);
	close(p[1]);
	/* Nothing read until the child has made its calls: its buffer full, most are dropped. */
	struct pollfd pfd = { .fd = p[0], .events = POLLIN };
	assert_int_equal(poll(&pfd, 1, 30000), 1);
	unsigned long reports = 0, said = 0;
	for (;;) {
		pfd = (struct pollfd){ .fd = sv[0], .events = POLLIN };
		assert_int_equal(poll(&pfd, 1, 10000), 1);   /* a report, or the end (within the shim's 1 s) */
		ssize_t n = recv(sv[0], msg, sizeof msg - 1, 0);
		if (n <= 0)
			break;
		msg[n] = 0;
		struct shim_report r;
		assert_int_equal(program_shim_parse(msg, &r), 0);
		if (r.dropped)
			said += r.dropped;
		else
			reports++;
	}
	close(sv[0]);
	close(p[0]);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
	fprintf(stderr, "%s: %lu reports, %lu dropped\n", how, reports, said);
	assert_true(said > 0);
	assert_int_equal(reports + said, DROP_CALLS);
}

static void test_drops_at_exit(void **state)
{
	drops_counted("--drops-exit");
	drops_counted("--drops-_exit");
}

static void test_format(void **state)
{
	struct shim_report r;

	assert_int_equal(program_shim_parse("recv 5 -1 ECONNRESET 123456 42", &r), 0);
	assert_string_equal(r.call, "recv");
	assert_int_equal(r.fd, 5);
	assert_int_equal(r.ret, -1);
	assert_int_equal(r.err, ECONNRESET);
	assert_int_equal(r.t_us, 123456);
	assert_int_equal(r.pid, 42);
	assert_int_equal(program_shim_parse("connect 3 0 - 1 7", &r), 0);
	assert_int_equal(r.err, 0);
	/* A connect says the port it connects to; no other call does. */
	assert_int_equal(program_shim_parse("connect 3 -1 ECONNREFUSED 1 7 port 9", &r), 0);
	assert_string_equal(r.args, "port 9");
	assert_int_equal(program_shim_parse("recv 3 -1 ECONNREFUSED 1 7 port 9", &r), -EINVAL);
	assert_int_equal(program_shim_parse("connect 3 -1 ECONNREFUSED 1 7 port x", &r), -EINVAL);
	assert_int_equal(program_shim_parse("dropped 12", &r), 0);
	assert_int_equal(r.dropped, 12);
	assert_int_equal(program_shim_parse("recv 5 -1 ENOTANERRNO 1 1", &r), -EINVAL);
	assert_int_equal(program_shim_parse("recv 5 -1", &r), -EINVAL);
	assert_int_equal(program_shim_parse("recv 5 -1 - 1 1 extra", &r), -EINVAL);
	assert_int_equal(program_shim_parse("recv -5 0 - 1 1", &r), -EINVAL);
}

static void test_preloaded(void **state)
{
	int sv[2], status;
	char env[64], preload[4200];

	assert_int_equal(socketpair(AF_UNIX, SOCK_SEQPACKET, 0, sv), 0);
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		close(sv[0]);
		snprintf(env, sizeof env, "%d", sv[1]);
		snprintf(preload, sizeof preload, "LD_PRELOAD=%s", shim);
		setenv("TCPFAULT_SHIM_FD", env, 1);
		putenv(preload);
		execl(self, self, "--child", (char *)NULL);
		_exit(127);
	}
	close(sv[1]);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);

	static const struct { const char *call; long long ret; int err; } want[] = {
		{ "read", -1, ENOTCONN }, { "readv", -1, ENOTCONN }, { "writev", -1, EPIPE },
		{ "readv", -1, ENOTCONN }, { "writev", -1, EPIPE }, { "readv", -1, ESPIPE },
		{ "writev", -1, ESPIPE }, { "recv", -1, ENOTCONN },
		{ "read", -1, ENOTCONN }, { "recv", -1, ENOTCONN }, { "recv", -1, ENOTCONN }, { "read", -1, ENOTCONN },
		{ "send", -1, EPIPE }, { "recvmmsg", -1, ENOTCONN }, { "sendmmsg", -1, EPIPE },
		{ "poll", 1, 0 }, { "poll", 1, 0 }, { "epoll_wait", 1, 0 },
		{ "shutdown", -1, ENOTCONN }, { "close", 0, 0 },
	};
	char msg[256];
	int fd = -1;
	for (size_t i = 0; i < sizeof want / sizeof want[0]; i++) {
		struct shim_report r;
		ssize_t n = recv(sv[0], msg, sizeof msg - 1, MSG_DONTWAIT);
		assert_true(n > 0);
		msg[n] = 0;
		assert_int_equal(program_shim_parse(msg, &r), 0);
		assert_string_equal(r.call, want[i].call);
		assert_int_equal(r.ret, want[i].ret);
		assert_int_equal(r.err, want[i].err);
		assert_int_equal(r.pid, pid);
		assert_true(r.t_us > 0);
		if (fd < 0)
			fd = r.fd;
		assert_int_equal(r.fd, fd); /* one socket; the pipe's reads and writes are not reported */
	}
	assert_true(recv(sv[0], msg, sizeof msg, MSG_DONTWAIT) <= 0);
	close(sv[0]);
}

int main(int argc, char **argv)
{
	if (argc == 2 && strcmp(argv[1], "--child") == 0)
		return child_main();
	if (argc == 2 && strcmp(argv[1], "--race") == 0)
		return child_race();
	if (argc == 3 && strncmp(argv[1], "--drops", 7) == 0)
		return child_drops(atoi(argv[2]), strcmp(argv[1], "--drops-_exit") == 0);
	if (argc != 2) {
		fprintf(stderr, "usage: test-shim PATH-TO-libtcpfault-shim.so\n");
		return 2;
	}
	self = "/proc/self/exe";
	shim = argv[1];
	static char exe[4096];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
	if (n > 0) {
		exe[n] = 0;
		self = exe;
	}
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_format),
		cmocka_unit_test(test_preloaded),
		cmocka_unit_test(test_move_race),
		cmocka_unit_test(test_drops_at_exit),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
