/* SPDX-License-Identifier: MIT */
/*
 * eintr-client: a TCP client blocked in read when a SIGALRM comes (tests/data/traced-eintr.tcpf).
 * It connects to HOST PORT, sets a SIGALRM handler (with SA_RESTART if "restart" is given) that
 * writes "alarm" to stdout, calls alarm(1) and reads up to 5 bytes:
 *
 *     eintr-client HOST PORT [restart|busy|nested]  ->  "read = N" or "read = -1 Interrupted system call" (exit 0)
 *
 * Without SA_RESTART the read fails EINTR when the handler returns; with it, the kernel makes
 * the read again and it returns what the server then sends. "busy": no SA_RESTART, and the
 * handler makes 260 getppid() calls first (more syscall stops than the tracer awaits).
 * "nested": no SA_RESTART, and SA_NODEFER: the handler calls alarm(1) and reads too, and that
 * read is interrupted by the second SIGALRM (whose handler only writes "alarm"): it writes
 * "inner read = -1 Interrupted system call", then the outer read fails EINTR in turn.
 */
#include <errno.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <sys/syscall.h>

#include "connect-to.h"

static bool busy, nested;
static int sock;

static void on_alarm(int sig)
{
	static int depth;
	char buf[5], line[64];

	(void) sig;
	for (int i = 0; busy && i < 260; i++)
		syscall(SYS_getppid);
	(void) !write(1, "alarm\n", 6);
	if (nested && !depth++) {
		int saved = errno;
		alarm(1);
		ssize_t n = read(sock, buf, sizeof buf);
		int len = n < 0 ? snprintf(line, sizeof line, "inner read = -1 %s\n", strerror(errno)) :
				  snprintf(line, sizeof line, "inner read = %zd\n", n);
		(void) !write(1, line, (size_t)len);
		errno = saved;
	}
}

int main(int argc, char **argv)
{
	char buf[5];

	if (argc < 3)
		return 2;
	int fd = connect_to(argv[1], argv[2]);
	sock = fd;
	busy = argc > 3 && !strcmp(argv[3], "busy");
	nested = argc > 3 && !strcmp(argv[3], "nested");
	struct sigaction sa = { .sa_handler = on_alarm, .sa_flags = argc > 3 && !strcmp(argv[3], "restart") ? SA_RESTART :
								 nested ? SA_NODEFER : 0 };
	sigemptyset(&sa.sa_mask);
	sigaction(SIGALRM, &sa, NULL);
	alarm(1);
	ssize_t n = read(fd, buf, sizeof buf);
	if (n < 0)
		printf("read = -1 %s\n", strerror(errno));
	else
		printf("read = %zd\n", n);
	fflush(stdout);
	close(fd);
	return 0;
}
