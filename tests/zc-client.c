/* SPDX-License-Identifier: MIT */
/*
 * zc-client: a TCP client that moves its data with sendfile(2), splice(2) and copy_file_range(2)
 * instead of write and read, as Go's net/http does (tests/data/traced-zerocopy.tcpf). It
 * connects to HOST PORT and, each result printed as "CALL = RET [ERRNO]":
 *
 *   1. sendfile(socket, file): 100 bytes of a file to the server
 *   2. splice(socket -> pipe): the server's 5 bytes (the socket splice's first fd)
 *   3. splice(pipe -> socket): the same 5 bytes back (the socket its third)
 *   4. copy_file_range(file -> socket) and sendfile(file <- socket): sockets refused or not
 *   5. sendfile(socket, file): 100 bytes more, then splice(socket -> pipe) until end of file or
 *      an error: "splice = -1 ECONNRESET" (exit 1) or "splice = 0" (exit 0); with a third
 *      argument "in", sendfile(pipe <- socket) instead (the socket sendfile's second fd, its
 *      in_fd: the kernel splices it): "sendfile = -1 ECONNRESET" or "sendfile = 0"
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE   /* splice, copy_file_range, memfd_create */
#endif
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/mman.h>
#include <sys/sendfile.h>
#include <sys/socket.h>

#include "connect-to.h"

static void say(const char *call, long long ret, int err)
{
	/* the names this test meets (strerrorname_np() is newer than Debian 11's glibc) */
	const char *name = err == ECONNRESET ? "ECONNRESET" : err == EINVAL ? "EINVAL" : err == EPIPE ? "EPIPE" :
			   err == ESPIPE ? "ESPIPE" : "another errno";

	if (ret < 0)
		printf("%s = -1 %s (%d)\n", call, name, err);
	else
		printf("%s = %lld\n", call, ret);
	fflush(stdout);
}

int main(int argc, char **argv)
{
	char buf[4096];
	int pipefd[2];
	ssize_t n;

	if (argc < 3) {
		fprintf(stderr, "usage: zc-client ADDRESS PORT [in]\n");
		return 2;
	}
	int fd = connect_to(argv[1], argv[2]);
	int file = memfd_create("zc-client", MFD_CLOEXEC);
	memset(buf, 'x', sizeof buf);
	if (file < 0 || write(file, buf, sizeof buf) != (ssize_t)sizeof buf || pipe(pipefd) < 0)
		return 2;

	off_t off = 0;
	n = sendfile(fd, file, &off, 100);
	say("sendfile", n, errno);
	n = splice(fd, NULL, pipefd[1], NULL, 5, 0);
	say("splice", n, errno);
	n = splice(pipefd[0], NULL, fd, NULL, 5, 0);
	say("splice", n, errno);
	loff_t in = 0;
	n = copy_file_range(file, &in, fd, NULL, 10, 0);
	say("copy_file_range", n, errno);
	off = 0;
	n = sendfile(file, fd, NULL, 10);
	say("sendfile from the socket", n, errno);
	off = 0;
	n = sendfile(fd, file, &off, 100);
	say("sendfile", n, errno);
	bool in_fd = argc > 3 && strcmp(argv[3], "in") == 0;
	while ((n = in_fd ? sendfile(pipefd[1], fd, NULL, sizeof buf) : splice(fd, NULL, pipefd[1], NULL, sizeof buf, 0)) > 0)
		(void) !read(pipefd[0], buf, sizeof buf);
	say(in_fd ? "sendfile" : "splice", n, errno);
	return n < 0;
}
