/* SPDX-License-Identifier: MIT */
/*
 * Unit tests of the shim (peers/shim.c) and its report format: this program runs itself again
 * with the shim preloaded; the child makes socket calls that fail without any network
 * (read, readv, recvfrom, recvmmsg and shutdown on an unconnected TCP socket: ENOTCONN; writev,
 * sendto, sendmmsg: EPIPE; preadv2, pwritev2 at offset 0: ESPIPE) and a read of a pipe, which must
 * not be reported; the parent parses the reports with program_shim_parse() and checks that
 * they name each call, its fd, its result and errno, and that the child's errno was left as
 * the real call set it. No privilege needed.
 *   test-shim PATH-TO-libtcpfault-shim.so
 */
#include <errno.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <cmocka.h>

#include "lang.h"
#include "report.h"
#include "run.h"

static const char *self, *shim;

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
	if (sendto(fd, &c, 1, MSG_NOSIGNAL, NULL, 0) != -1 || errno != EPIPE)
		return 18;
	if (recvmmsg(fd, &mm, 1, 0, NULL) != -1 || errno != ENOTCONN)
		return 19;
	if (sendmmsg(fd, &mm, 1, MSG_NOSIGNAL) != -1 || errno != EPIPE)
		return 20;
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
		{ "send", -1, EPIPE }, { "recvmmsg", -1, ENOTCONN }, { "sendmmsg", -1, EPIPE },
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
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
