/* SPDX-License-Identifier: MIT */
/*
 * Unit tests for peers/: errno names, report parsing, and real conversations with
 * tcpfault-peer (path in $TCPFAULT_PEER) spawned in the current network namespace, so no
 * privilege is needed. Sockets use loopback only. Every wait is a poll() with a 5 s bound.
 */
#include <dirent.h>
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>
#include <setjmp.h>
#include <cmocka.h>

#include "peer.h"

#define WAIT_MS 5000
#define BACKLOG 32

/* One spawned peer and the reports that arrived while a test waited for another one. */
struct ctx {
	struct peer *p;
	struct peer_report backlog[BACKLOG];
	int n;
};

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t) ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Waits (bounded) for report kind/id; others that arrive first are kept for later. */
static void await_report(struct ctx *t, char kind, int id, struct peer_report *ret)
{
	int64_t deadline = now_ms() + WAIT_MS;
	struct peer_report r;

	for (int i = 0; i < t->n; i++)
		if (t->backlog[i].kind == kind && t->backlog[i].id == id) {
			*ret = t->backlog[i];
			memmove(&t->backlog[i], &t->backlog[i + 1], (size_t) (t->n - i - 1) * sizeof(r));
			t->n--;
			return;
		}
	for (;;) {
		int left = (int) (deadline - now_ms());
		struct pollfd pfd = { .fd = peer_control_fd(t->p), .events = POLLIN };
		if (left <= 0 || poll(&pfd, 1, left) == 0)
			fail_msg("no '%c %d' report within %d ms", kind, id, WAIT_MS);
		int rc = peer_recv(t->p, &r);
		if (rc < 0)
			fail_msg("peer_recv while waiting for '%c %d': %s", kind, id, strerror(-rc));
		if (rc == 0)
			continue;
		if (r.kind == kind && r.id == id) {
			*ret = r;
			return;
		}
		assert_true(t->n < BACKLOG);
		t->backlog[t->n++] = r;
	}
}

static __attribute__((format(printf, 3, 4))) int cmd(struct ctx *t, const char *sock,
						      const char *fmt, ...)
{
	char op[PEER_MSG_MAX];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(op, sizeof(op), fmt, ap);
	va_end(ap);
	int id = peer_send(t->p, sock, op);
	assert_true(id > 0);
	return id;
}

/* A one-syscall command: asserts its call name and errno, waits for D, returns ret. */
static long long call(struct ctx *t, const char *sock, const char *name, int err, const char *op)
{
	struct peer_report r, d;
	int id = cmd(t, sock, "%s", op);

	await_report(t, 'R', id, &r);
	assert_string_equal(r.sock, sock);
	assert_string_equal(r.call, name);
	if (r.err != err)
		fail_msg("%s %s: errno %s, expected %s", sock, op, peer_errno_name(r.err),
			 peer_errno_name(err));
	assert_true(err ? r.ret == -1 : r.ret >= 0);
	await_report(t, 'D', id, &d);
	return r.ret;
}

static int wait_death(struct ctx *t)
{
	struct pollfd pfd = { .fd = peer_pidfd(t->p), .events = POLLIN };
	bool dead = false;
	int status = 0;

	assert_int_equal(poll(&pfd, 1, WAIT_MS), 1);
	assert_int_equal(peer_reap(t->p, &dead, &status), 0);
	assert_true(dead);
	return status;
}

/* A loopback port nobody listens on right now. */
static int free_port(void)
{
	struct sockaddr_in sin = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t len = sizeof(sin);
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	assert_true(fd >= 0);
	assert_int_equal(bind(fd, (struct sockaddr *) &sin, sizeof(sin)), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *) &sin, &len), 0);
	close(fd);
	return ntohs(sin.sin_port);
}

/* Listener `name` on 127.0.0.1; returns its port. Another process may take a free port first. */
static int listen_loopback(struct ctx *t, const char *name)
{
	struct peer_report r;

	call(t, name, "socket", 0, "socket inet");
	call(t, name, "setsockopt", 0, "setsockopt reuseaddr 1");
	for (int i = 0; i < 5; i++) {
		int port = free_port();
		int id = cmd(t, name, "bind 127.0.0.1 %d", port);
		await_report(t, 'R', id, &r);
		if (r.err == EADDRINUSE) {
			await_report(t, 'D', id, &r);
			continue;
		}
		assert_int_equal(r.ret, 0);
		await_report(t, 'D', id, &r);
		call(t, name, "listen", 0, "listen 8");
		return port;
	}
	fail_msg("no free loopback port in 5 tries");
	return -1;
}

/* A connected pair: client c, server side s (accepted on a listener that is then closed). */
static void connect_pair(struct ctx *t, const char *c, const char *s)
{
	char op[64];
	int port = listen_loopback(t, "l");

	call(t, c, "socket", 0, "socket inet");
	snprintf(op, sizeof(op), "connect 127.0.0.1 %d", port);
	call(t, c, "connect", 0, op);
	call(t, s, "accept", 0, "accept l");
	call(t, "l", "close", 0, "close");
}

static int setup(void **state)
{
	const char *path = getenv("TCPFAULT_PEER");
	struct ctx *t;

	if (!path) {
		fprintf(stderr, "TCPFAULT_PEER is not set\n");
		return -1;
	}
	t = test_calloc(1, sizeof(*t));
	if (peer_spawn(path, -1, "test", &t->p) < 0) {
		test_free(t);
		return -1;
	}
	*state = t;
	return 0;
}

static int teardown(void **state)
{
	struct ctx *t = *state;

	peer_free(t->p);
	test_free(t);
	return 0;
}

static void test_errno_names(void **state)
{
	assert_string_equal(peer_errno_name(ECONNRESET), "ECONNRESET");
	assert_int_equal(peer_errno_from_name("ECONNRESET"), ECONNRESET);
	/* Aliases share a value and one name. */
	assert_string_equal(peer_errno_name(EWOULDBLOCK), "EAGAIN");
	assert_int_equal(peer_errno_from_name("EAGAIN"), EAGAIN);
	assert_string_equal(peer_errno_name(ENOTSUP), "EOPNOTSUPP");
	assert_null(peer_errno_name(0));
	assert_null(peer_errno_name(-1));
	assert_null(peer_errno_name(4096));
	assert_int_equal(peer_errno_from_name("EBOGUS"), -EINVAL);
	assert_int_equal(peer_errno_from_name("-"), -EINVAL);
	assert_int_equal(peer_errno_from_name(NULL), -EINVAL);
	/* Every name maps back to its value. */
	for (int e = 1; e < 200; e++)
		if (peer_errno_name(e))
			assert_int_equal(peer_errno_from_name(peer_errno_name(e)), e);
	assert_non_null(peer_errno_name(EHWPOISON));
}

static void test_report_parse(void **state)
{
	struct peer_report r;

	assert_int_equal(peer_report_parse("R 7 srv read -1 ECONNRESET 123456789012", &r), 0);
	assert_int_equal(r.kind, 'R');
	assert_int_equal(r.id, 7);
	assert_string_equal(r.sock, "srv");
	assert_string_equal(r.call, "read");
	assert_int_equal(r.ret, -1);
	assert_int_equal(r.err, ECONNRESET);
	assert_int_equal(r.t_us, 123456789012ULL);

	assert_int_equal(peer_report_parse("R 8 c send 5 - 1", &r), 0);
	assert_int_equal(r.ret, 5);
	assert_int_equal(r.err, 0);
	assert_int_equal(peer_report_parse("D 8", &r), 0);
	assert_int_equal(r.kind, 'D');
	assert_int_equal(r.id, 8);
	assert_int_equal(peer_report_parse("E 9 unknown op", &r), 0);
	assert_int_equal(r.kind, 'E');
	assert_string_equal(r.text, "unknown op");

	/* Malformed: each is rejected and leaves *ret alone. */
	static const char *const bad[] = {
		"", " ", "D", "D x", "D 8 9", "D -1", "D 8 ", " D 8", "X 8", "DD 8", "E 9",
		"E 9 ", "R 7 srv read -1 ECONNRESET", "R 7 srv read -1 ECONNRESET 1 2",
		"R 7 srv read -1 EBOGUS 1", "R 7 srv read 5x - 1", "R 7 srv read 5 - -1",
		"R 7  read 5 - 1", "R x srv read 5 - 1", "R 7 srv read 5 - 99999999999999999999",
		"R 7 a-name-that-is-far-too-long-for-32 read 5 - 1",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		r.id = 4242;
		if (peer_report_parse(bad[i], &r) != -EINVAL)
			fail_msg("accepted malformed report \"%s\"", bad[i]);
		assert_int_equal(r.id, 4242);
	}
}

static void test_spawn_missing_binary(void **state)
{
	struct peer *p = NULL;

	assert_int_equal(peer_spawn("/nonexistent/tcpfault-peer", -1, "x", &p), -ENOENT);
	assert_null(p);
	peer_free(NULL);
}

static void test_conversation(void **state)
{
	struct ctx *t = *state;

	connect_pair(t, "c", "s");
	assert_int_equal(call(t, "c", "send", 0, "write 5"), 5);
	assert_int_equal(call(t, "s", "read", 0, "read 100"), 5);
	call(t, "c", "close", 0, "close");
	/* The FIN reads as end of file. */
	assert_int_equal(call(t, "s", "read", 0, "read 100"), 0);
	call(t, "s", "shutdown", 0, "shutdown wr");
	call(t, "s", "close", 0, "close");
	/* The name is free again. */
	call(t, "c", "socket", 0, "socket inet6");
	call(t, "c", "close", 0, "close");
}

static void test_exits_on_eof(void **state)
{
	struct ctx *t = *state;

	assert_int_equal(shutdown(peer_control_fd(t->p), SHUT_WR), 0);
	int status = wait_death(t);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
}

static void test_crash(void **state)
{
	struct ctx *t = *state;
	struct peer_report r;

	cmd(t, "-", "crash");
	int status = wait_death(t);
	assert_true(WIFSIGNALED(status));
	assert_int_equal(WTERMSIG(status), SIGSEGV);
	/* Nothing was reported, and the channel reads as closed. */
	assert_int_equal(peer_recv(t->p, &r), -EPIPE);
}

static void expect_error(struct ctx *t, const char *sock, const char *op)
{
	struct peer_report r;
	int id = cmd(t, sock, "%s", op);

	await_report(t, 'E', id, &r);
	assert_true(strlen(r.text) > 0);
	await_report(t, 'D', id, &r);
}

static void test_errors(void **state)
{
	struct ctx *t = *state;
	struct peer_report r;

	expect_error(t, "a", "frobnicate");
	expect_error(t, "nosuch", "read 5");
	expect_error(t, "-", "read 5");
	expect_error(t, "a", "crash");
	expect_error(t, "a.b", "socket inet");
	expect_error(t, "a", "socket bogus");
	expect_error(t, "a", "socket");
	call(t, "a", "socket", 0, "socket inet");
	expect_error(t, "a", "socket inet");
	expect_error(t, "a", "read 16777217");
	expect_error(t, "a", "write 5 loudly");
	expect_error(t, "a", "connect 10.0.0.500 80");
	expect_error(t, "a", "connect ::1 80");
	expect_error(t, "a", "setsockopt linger 1");
	expect_error(t, "a", "setsockopt frob 1");
	expect_error(t, "b", "accept nosuch");
	expect_error(t, "-", "sigpipe maybe");
	/* A command without an id is answered with id 0. */
	assert_int_equal(send(peer_control_fd(t->p), "garbage", 7, 0), 7);
	await_report(t, 'E', 0, &r);
	await_report(t, 'D', 0, &r);
	/* And the peer still works. */
	call(t, "a", "close", 0, "close");
	assert_int_equal(t->n, 0);
}

static void test_concurrency(void **state)
{
	struct ctx *t = *state;
	struct peer_report r, b;

	connect_pair(t, "c", "s");
	int rd = cmd(t, "s", "read 100");
	/* While s is blocked in read(), b runs. */
	int id = cmd(t, "b", "socket inet");
	await_report(t, 'R', id, &b);
	assert_int_equal(b.err, 0);
	await_report(t, 'D', id, &r);
	assert_int_equal(t->n, 0);
	assert_int_equal(peer_recv(t->p, &r), 0);
	/* Now unblock s. */
	assert_int_equal(call(t, "c", "send", 0, "write 3"), 3);
	await_report(t, 'R', rd, &r);
	assert_string_equal(r.call, "read");
	assert_int_equal(r.ret, 3);
	assert_true(r.t_us > b.t_us);
	await_report(t, 'D', rd, &r);
}

static void test_interrupt(void **state)
{
	struct ctx *t = *state;
	struct peer_report r;

	connect_pair(t, "c", "s");
	int rd = cmd(t, "s", "read 100");
	int id = cmd(t, "s", "interrupt");
	await_report(t, 'R', id, &r);
	assert_string_equal(r.call, "signal");
	assert_int_equal(r.ret, 0);
	await_report(t, 'D', id, &r);
	await_report(t, 'R', rd, &r);
	assert_string_equal(r.call, "read");
	assert_int_equal(r.ret, -1);
	assert_int_equal(r.err, EINTR);
	await_report(t, 'D', rd, &r);
	/* An idle worker takes the signal harmlessly. */
	call(t, "s", "signal", 0, "interrupt");
	expect_error(t, "nosuch", "interrupt");
}

/* s aborts the connection (SO_LINGER 0, close: an RST); c sees it in its next calls. */
static void reset_pair(struct ctx *t)
{
	connect_pair(t, "c", "s");
	call(t, "s", "setsockopt", 0, "setsockopt linger 1 0");
	call(t, "s", "close", 0, "close");
	/* The blocking read waits for the RST, so no race with its arrival. */
	call(t, "c", "read", ECONNRESET, "read 100");
}

static void test_write_after_rst(void **state)
{
	struct ctx *t = *state;

	reset_pair(t);
	/* read() consumed the pending ECONNRESET; the socket is now closed for sending. */
	call(t, "c", "send", EPIPE, "write 5");
	call(t, "c", "send", EPIPE, "write 5 nosignal");
}

static void test_sigpipe_kills(void **state)
{
	struct ctx *t = *state;

	call(t, "-", "sigaction", 0, "sigpipe default");
	reset_pair(t);
	call(t, "c", "send", EPIPE, "write 5 nosignal");
	cmd(t, "c", "write 5");
	int status = wait_death(t);
	assert_true(WIFSIGNALED(status));
	assert_int_equal(WTERMSIG(status), SIGPIPE);
}

/* The peer's open fds. */
static int count_fds(struct ctx *t)
{
	char path[64];
	int n = 0;

	snprintf(path, sizeof(path), "/proc/%d/fd", (int) peer_pid(t->p));
	DIR *d = opendir(path);
	assert_non_null(d);
	for (struct dirent *e; (e = readdir(d));)
		n += e->d_name[0] != '.';
	closedir(d);
	return n;
}

/* reset (a job slot's next run): refused while a call is blocked; then every socket closed,
 * every name free again, SIGPIPE ignored again. */
static void test_reset(void **state)
{
	struct ctx *t = *state;
	struct peer_report r;
	int fds = count_fds(t);

	call(t, "-", "sigaction", 0, "sigpipe default");
	connect_pair(t, "c", "s");
	int rd = cmd(t, "s", "read 100");
	int id = cmd(t, "-", "reset");
	await_report(t, 'E', id, &r);
	await_report(t, 'D', id, &r);
	assert_int_equal(call(t, "c", "send", 0, "write 3"), 3);
	await_report(t, 'R', rd, &r);
	assert_int_equal(r.ret, 3);
	await_report(t, 'D', rd, &r);
	assert_true(count_fds(t) > fds);
	assert_int_equal(peer_reset(t->p, WAIT_MS), 0);
	assert_int_equal(count_fds(t), fds);
	/* The names are free (socket on a busy name is an error), SIGPIPE ignored: EPIPE, alive. */
	reset_pair(t);
	call(t, "c", "send", EPIPE, "write 5");
	assert_int_equal(peer_reset(t->p, WAIT_MS), 0);
	assert_int_equal(count_fds(t), fds);
	assert_int_equal(t->n, 0);
}

static void test_await_connect_refused(void **state)
{
	struct ctx *t = *state;
	struct peer_report r;
	char op[64];

	call(t, "c", "socket", 0, "socket inet");
	call(t, "c", "fcntl", 0, "nonblock");
	snprintf(op, sizeof(op), "connect 127.0.0.1 %d", free_port());
	call(t, "c", "connect", EINPROGRESS, op);
	int id = cmd(t, "c", "await-connect 2000");
	await_report(t, 'R', id, &r);
	assert_string_equal(r.call, "poll");
	assert_int_equal(r.ret, 1);
	await_report(t, 'R', id, &r);
	assert_string_equal(r.call, "so_error");
	assert_int_equal(r.ret, -1);
	assert_int_equal(r.err, ECONNREFUSED);
	await_report(t, 'D', id, &r);
}

static void test_await_connect_ok(void **state)
{
	struct ctx *t = *state;
	struct peer_report r;
	char op[64];
	int port = listen_loopback(t, "l");

	call(t, "c", "socket", 0, "socket inet");
	call(t, "c", "fcntl", 0, "nonblock");
	snprintf(op, sizeof(op), "connect 127.0.0.1 %d", port);
	int id = cmd(t, "c", "%s", op);
	await_report(t, 'R', id, &r);
	/* On loopback the handshake may finish inside connect(). */
	assert_true(r.ret == 0 || r.err == EINPROGRESS);
	await_report(t, 'D', id, &r);
	id = cmd(t, "c", "await-connect 2000");
	await_report(t, 'R', id, &r);
	assert_int_equal(r.ret, 1);
	await_report(t, 'R', id, &r);
	assert_string_equal(r.call, "so_error");
	assert_int_equal(r.ret, 0);
	assert_int_equal(r.err, 0);
	await_report(t, 'D', id, &r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_errno_names),
		cmocka_unit_test(test_report_parse),
		cmocka_unit_test(test_spawn_missing_binary),
		cmocka_unit_test_setup_teardown(test_conversation, setup, teardown),
		cmocka_unit_test_setup_teardown(test_exits_on_eof, setup, teardown),
		cmocka_unit_test_setup_teardown(test_crash, setup, teardown),
		cmocka_unit_test_setup_teardown(test_errors, setup, teardown),
		cmocka_unit_test_setup_teardown(test_concurrency, setup, teardown),
		cmocka_unit_test_setup_teardown(test_interrupt, setup, teardown),
		cmocka_unit_test_setup_teardown(test_write_after_rst, setup, teardown),
		cmocka_unit_test_setup_teardown(test_sigpipe_kills, setup, teardown),
		cmocka_unit_test_setup_teardown(test_reset, setup, teardown),
		cmocka_unit_test_setup_teardown(test_await_connect_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_await_connect_ok, setup, teardown),
	};
	return cmocka_run_group_tests_name("peer", tests, NULL, NULL);
}
