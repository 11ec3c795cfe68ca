/* SPDX-License-Identifier: MIT */
/*
 * scm-client: a TCP client whose socket comes over SCM_RIGHTS (tests/data/traced-scm.tcpf). A
 * forked child connects to HOST PORT, writes COUNT bytes and hands the socket to its parent
 * over an AF_UNIX socketpair (sendmsg, SCM_RIGHTS), then exits; the parent receives it
 * (recvmsg), says "received", and reads until end of file or an error:
 *
 *     scm-client HOST PORT [COUNT [mmsg]]  ->  "read = 0" (exit 0) or "read = -1 Connection reset by peer" (exit 1)
 *
 * With mmsg the parent receives it with recvmmsg instead of recvmsg.
 *
 * Before the recvmsg the parent polls /dev/null and closes it, so the received socket most likely
 * takes a number the tracer last saw as something other than a TCP socket.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/wait.h>

#include "connect-to.h"

int main(int argc, char **argv)
{
	union { struct cmsghdr h; char buf[CMSG_SPACE(sizeof(int))]; } ctl;
	char buf[4096], byte = 0;
	struct iovec iov = { &byte, 1 };
	struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = ctl.buf, .msg_controllen = sizeof ctl.buf };
	int sv[2], fd, status;
	ssize_t n;

	if (argc < 3) {
		fprintf(stderr, "usage: scm-client ADDRESS PORT [COUNT]\n");
		return 2;
	}
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0)
		return 2;
	pid_t pid = fork();
	if (pid < 0)
		return 2;
	if (pid == 0) {
		fd = connect_to(argv[1], argv[2]);
		size_t count = argc > 3 ? strtoul(argv[3], NULL, 10) : 100;
		memset(buf, 'x', sizeof buf);
		while (count > 0 && (n = write(fd, buf, count < sizeof buf ? count : sizeof buf)) > 0)
			count -= (size_t)n;
		struct cmsghdr *c = CMSG_FIRSTHDR(&m);
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN(sizeof(int));
		memcpy(CMSG_DATA(c), &fd, sizeof fd);
		_exit(sendmsg(sv[1], &m, 0) == 1 ? 0 : 1);
	}
	int other = open("/dev/null", O_RDONLY | O_CLOEXEC);
	struct pollfd p = { .fd = other, .events = POLLIN };
	(void) poll(&p, 1, 0);
	close(other);
	struct mmsghdr mm = { .msg_hdr = m };
	bool mmsg = argc > 4 && strcmp(argv[4], "mmsg") == 0;
	if (mmsg && recvmmsg(sv[0], &mm, 1, MSG_CMSG_CLOEXEC, NULL) == 1)
		m = mm.msg_hdr, n = 1;
	else
		n = mmsg ? -1 : recvmsg(sv[0], &m, MSG_CMSG_CLOEXEC);
	if (n != 1 || !CMSG_FIRSTHDR(&m) ||
	    CMSG_FIRSTHDR(&m)->cmsg_type != SCM_RIGHTS) {
		printf("recvmsg: no socket\n");
		return 2;
	}
	memcpy(&fd, CMSG_DATA(CMSG_FIRSTHDR(&m)), sizeof fd);
	(void) waitpid(pid, &status, 0);
	printf("received fd %d (/dev/null was %d)\n", fd, other);
	fflush(stdout);
	while ((n = read(fd, buf, sizeof buf)) > 0)
		;
	int err = errno;
	if (n == 0) {
		printf("read = 0\n");
		return 0;
	}
	printf("read = -1 %s\n", strerror(err));
	return 1;
}
