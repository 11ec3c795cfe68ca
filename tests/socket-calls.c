/* SPDX-License-Identifier: MIT */
/*
 * A program for the runner's unit tests: makes socket calls whose results need no network (an
 * unconnected TCP socket: read fails ENOTCONN, send EPIPE), says "ready", then waits for its
 * with "wait", stays until a signal ends it; else exits with status 3. Sends no packet.
 * With "thread" the calls are made in a second thread, with "fork" in a child process (the
 * tracer follows both); with "uring" it also sets up an io_uring (the tracer says so); with
 * "waits" it also waits on the socket, unconnected (POLLOUT|POLLHUP: a hangup to report), and a
 * pipe (never reported), with poll (ret 2) and with epoll (ret 2; the socket's epoll data is not
 * its fd: the observers find the fd through the epoll fd's fdinfo). With "dropped" it says on the
 * shim's report socket itself what the shim says when reports were lost ("dropped 2"), as if two
 * calls had gone unreported.
 */
#include <poll.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <netinet/in.h>

static bool waits;

static int wait_on(int fd)
{
	int p[2], ep;
	struct epoll_event ev[4], in = { .events = EPOLLIN | EPOLLOUT | EPOLLRDHUP, .data.u64 = 0xabcdef };

	if (pipe(p) < 0 || (ep = epoll_create1(0)) < 0)
		return -1;
	struct pollfd fds[2] = { { .fd = fd, .events = POLLIN | POLLOUT }, { .fd = p[1], .events = POLLOUT } };
	if (poll(fds, 2, 0) != 2 || epoll_ctl(ep, EPOLL_CTL_ADD, fd, &in) < 0)
		return -1;
	in.data.u64 = 7;
	if (epoll_ctl(ep, EPOLL_CTL_ADD, p[1], &in) < 0 || epoll_wait(ep, ev, 4, 0) != 2)
		return -1;
	close(ep);
	close(p[0]);
	close(p[1]);
	return 0;
}

static void *calls(void *arg)
{
	char c;
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	if (fd < 0)
		return (void *)1;
	(void) !read(fd, &c, 1);
	(void) !send(fd, "x", 1, MSG_NOSIGNAL);
	if (waits && wait_on(fd) < 0)
		return (void *)1;
	close(fd);
	return NULL;
}

int main(int argc, char **argv)
{
	const char *how = argc > 1 ? argv[1] : "";
	void *r = NULL;

	waits = strcmp(how, "waits") == 0;

	if (strcmp(how, "thread") == 0) {
		pthread_t t;
		if (pthread_create(&t, NULL, calls, NULL) != 0 || pthread_join(t, &r) != 0)
			return 2;
	} else if (strcmp(how, "fork") == 0) {
		int status;
		pid_t pid = fork();
		if (pid == 0)
			_exit(calls(NULL) ? 2 : 0);
		if (pid < 0 || waitpid(pid, &status, 0) != pid || status != 0)
			return 2;
	} else {
		r = calls(NULL);
	}
	if (strcmp(how, "uring") == 0) {
		char params[120] = { 0 };   /* struct io_uring_params; the call may fail: reported alike */
		long fd = syscall(425 /* io_uring_setup, on every architecture */, 1, params);
		if (fd >= 0)
			close((int)fd);
	}
	const char *fd = getenv("TCPFAULT_SHIM_FD");
	if (strcmp(how, "dropped") == 0 && (!fd || send(atoi(fd), "dropped 2", 9, MSG_NOSIGNAL) != 9))
		return 2;
	if (r)
		return 2;
	printf("ready\n");
	fflush(stdout);
	if (strcmp(how, "wait") == 0)
		pause();
	return 3;
}
