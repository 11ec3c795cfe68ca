/* SPDX-License-Identifier: MIT */
/*
 * unshare-client: a TCP client (static, so traced) whose socket is read by a thread that took an
 * fd table of its own (tests/data/traced-unshare*.tcpf, issue 16, review rev16e N1):
 *
 *     unshare-client HOST PORT COUNT unshare|closerange|single
 *
 *   unshare     a second thread takes its table with unshare(CLONE_FILES); then the main thread
 *               closes the socket in its own table and opens /dev/null under that number, and
 *               the second thread reads its copy of the socket
 *   closerange  the same, the table taken with close_range(~0U, ~0U, CLOSE_RANGE_UNSHARE)
 *   single      the only thread takes a table of its own (unshare(CLONE_FILES)), then connects
 *               and reads itself: nothing the tracer cannot follow
 *
 * It connects, writes COUNT bytes, says "reading", and the reader reads until end of file or an
 * error: "read = 0" (exit 0) or "read = -1 REASON" (exit 1).
 */
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <unistd.h>
#include <sys/syscall.h>

#include "connect-to.h"

#ifndef CLOSE_RANGE_UNSHARE
#define CLOSE_RANGE_UNSHARE (1U << 1)
#endif

static int sock, taken[2], replaced[2], use_close_range;

static int reads(void)
{
	char buf[4096];
	ssize_t n;

	printf("reading\n");
	fflush(stdout);
	while ((n = read(sock, buf, sizeof buf)) > 0)
		;
	printf("read = %zd%s%s\n", n, n < 0 ? " " : "", n < 0 ? strerror(errno) : "");
	return n < 0;
}

static void *reader(void *arg)
{
	char c = 0;

	(void) arg;
	if ((use_close_range ? syscall(SYS_close_range, ~0U, ~0U, CLOSE_RANGE_UNSHARE) : unshare(CLONE_FILES)) < 0 ||
	    write(taken[1], &c, 1) != 1 || read(replaced[0], &c, 1) != 1)
		return (void *)3;
	return (void *)(intptr_t)reads();
}

int main(int argc, char **argv)
{
	char buf[4096] = { 0 }, c = 0;
	int count;

	if (argc != 5 || (count = atoi(argv[3])) < 0 || count > (int)sizeof buf)
		return 2;
	bool single = !strcmp(argv[4], "single");
	use_close_range = !strcmp(argv[4], "closerange");
	if (!single && !use_close_range && strcmp(argv[4], "unshare"))
		return 2;
	if (single && unshare(CLONE_FILES) < 0)
		return 3;
	sock = connect_to(argv[1], argv[2]);
	if (write(sock, buf, (size_t)count) != count)
		return 3;
	if (single)
		return reads();
	pthread_t th;
	void *r;
	if (pipe(taken) < 0 || pipe(replaced) < 0 || pthread_create(&th, NULL, reader, NULL) != 0 ||
	    read(taken[0], &c, 1) != 1)
		return 3;
	close(sock);   /* in the main thread's table only */
	if (open("/dev/null", O_RDONLY) != sock || write(replaced[1], &c, 1) != 1 || pthread_join(th, &r) != 0)
		return 3;
	return (int)(intptr_t)r;
}
