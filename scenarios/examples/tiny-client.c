/* SPDX-License-Identifier: MIT */
/*
 * tiny-client: a small TCP client, built statically (gcc -static) so that the shim cannot be
 * loaded into it; the examples observe its calls with the tracer. It connects to HOST PORT,
 * writes COUNT bytes (100 by default), then reads until end of file or an error, and says what
 * its last read returned:
 *
 *     tiny-client HOST PORT [COUNT [poll|epoll]]  ->  "read = 0" (exit 0) or "read = -1 ECONNRESET" (exit 1)
 *
 * With poll or epoll it waits before each read, as an event loop does: poll(POLLIN), or epoll_wait
 * on EPOLLIN|EPOLLRDHUP (as Go's netpoller registers a socket), and says what the wait saw.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <poll.h>
#include <sys/epoll.h>
#include <sys/socket.h>

/* Waits until fd is readable (or in error): the revents, or -1. */
static int wait_readable(int fd, const char *how)
{
	if (strcmp(how, "poll") == 0) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		return poll(&p, 1, -1) == 1 ? p.revents : -1;
	}
	struct epoll_event ev = { .events = EPOLLIN | EPOLLRDHUP, .data.u64 = 42 };
	int ep = epoll_create1(0), n;
	if (ep < 0 || epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev) < 0)
		return -1;
	while ((n = epoll_wait(ep, &ev, 1, -1)) == 0)
		;
	close(ep);
	return n == 1 ? (int)ev.events : -1;
}

int main(int argc, char **argv)
{
	struct sockaddr_in6 a6 = { .sin6_family = AF_INET6 };
	struct sockaddr_in a4 = { .sin_family = AF_INET };
	char buf[4096];
	ssize_t n;

	if (argc < 3) {
		fprintf(stderr, "usage: tiny-client ADDRESS PORT [COUNT]\n");
		return 2;
	}
	/* No getaddrinfo(): a static glibc would need its shared libraries for it. */
	bool v6 = strchr(argv[1], ':') != NULL;
	a4.sin_port = a6.sin6_port = htons((uint16_t)atoi(argv[2]));
	if (inet_pton(v6 ? AF_INET6 : AF_INET, argv[1], v6 ? (void *)&a6.sin6_addr : (void *)&a4.sin_addr) != 1) {
		fprintf(stderr, "tiny-client: %s is no numeric address\n", argv[1]);
		return 2;
	}
	int fd = socket(v6 ? AF_INET6 : AF_INET, SOCK_STREAM, 0);
	if (fd < 0 || connect(fd, v6 ? (struct sockaddr *)&a6 : (struct sockaddr *)&a4,
			      v6 ? sizeof a6 : sizeof a4) < 0) {
		printf("connect: %s\n", strerror(errno));
		return 1;
	}
	size_t count = argc > 3 ? strtoul(argv[3], NULL, 10) : 100;
	memset(buf, 'x', sizeof buf);
	while (count > 0 && (n = write(fd, buf, count < sizeof buf ? count : sizeof buf)) > 0)
		count -= (size_t)n;
	const char *how = argc > 4 ? argv[4] : NULL;
	int revents;
	do {
		if (how && (revents = wait_readable(fd, how)) >= 0)
			printf("%s: revents 0x%x\n", how, revents);
	} while ((n = read(fd, buf, sizeof buf)) > 0);
	int err = errno;
	if (n == 0) {
		printf("read = 0\n");
		return 0;
	}
	printf("read = -1 %s\n", strerror(err));
	return 1;
}
