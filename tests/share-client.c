/* SPDX-License-Identifier: MIT */
/*
 * share-client: a TCP client whose socket reaches the process that reads it without a socket(),
 * accept(), dup() or SCM_RIGHTS of that process (tests/data/traced-share.tcpf, issue 16):
 *
 *     share-client HOST PORT COUNT clonefiles|clone0|getfd
 *
 *   clonefiles  a child made by clone(CLONE_FILES | SIGCHLD), sharing the fd table, connects and
 *               writes COUNT bytes, then exits with the socket's number as its status
 *   clone0      the same, made by a clone with no exit signal (a process, which ptrace reports
 *               as it reports a thread)
 *   getfd       a fork()ed child connects and writes, says the socket's number over a pipe and
 *               waits; the parent takes the socket with pidfd_getfd(), then kills the child
 *   ownfiles    a thread made without CLONE_FILES (an fd table of its own) ends at once; the
 *               parent connects and writes itself (the tracer cannot follow such a thread)
 *
 * Then the parent says "reading" and reads until end of file or an error: "read = 0" (exit 0)
 * or "read = -1 REASON" (exit 1).
 */
#include <sched.h>
#include <signal.h>
#include <unistd.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#include "connect-to.h"

static const char *host, *port;
static int count, pipefd[2];
static char stack[256 * 1024] __attribute__((aligned(16)));

static volatile int thread_done;

static int thread(void *arg)
{
	(void) arg;
	thread_done = 1;
	syscall(SYS_exit, 0);   /* this thread only */
	return 0;
}

static int child(void *getfd)
{
	char buf[4096] = { 0 };
	int sock = connect_to(host, port);

	if (sock > 255 || write(sock, buf, (size_t)count) != count)
		_exit(255);
	if (getfd) {
		if (write(pipefd[1], &sock, sizeof sock) != sizeof sock)
			_exit(255);
		pause();
	}
	_exit(sock);
}

int main(int argc, char **argv)
{
	char buf[4096];
	int fd = -1, status;

	if (argc != 5 || (count = atoi(argv[3])) < 0 || count > (int)sizeof buf)
		return 2;
	host = argv[1], port = argv[2];
	if (!strcmp(argv[4], "clonefiles") || !strcmp(argv[4], "clone0")) {
		int flags = CLONE_FILES | (!strcmp(argv[4], "clonefiles") ? SIGCHLD : 0);
		pid_t pid = clone(child, stack + sizeof stack, flags, NULL);
		if (pid < 0 || waitpid(pid, &status, flags & SIGCHLD ? 0 : __WCLONE) != pid || !WIFEXITED(status) ||
		    WEXITSTATUS(status) == 255)
			return 3;
		fd = WEXITSTATUS(status);
	} else if (!strcmp(argv[4], "getfd")) {
		int remote;
		if (pipe(pipefd) < 0)
			return 3;
		pid_t pid = fork();
		if (pid == 0)
			child(argv);
		if (pid < 0 || read(pipefd[0], &remote, sizeof remote) != sizeof remote)
			return 3;
		int pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
		fd = pidfd < 0 ? -1 : (int)syscall(SYS_pidfd_getfd, pidfd, remote, 0);
		kill(pid, SIGKILL);
		waitpid(pid, NULL, 0);
		if (fd < 0)
			return 3;
	} else if (!strcmp(argv[4], "ownfiles")) {
		if (clone(thread, stack + sizeof stack, CLONE_THREAD | CLONE_SIGHAND | CLONE_VM, NULL) < 0)
			return 3;
		while (!thread_done)
			;
		fd = connect_to(host, port);
		memset(buf, 0, sizeof buf);
		if (write(fd, buf, (size_t)count) != count)
			return 3;
	} else {
		return 2;
	}
	printf("reading\n");
	fflush(stdout);
	ssize_t n;
	while ((n = read(fd, buf, sizeof buf)) > 0)
		;
	printf("read = %zd%s%s\n", n, n < 0 ? " " : "", n < 0 ? strerror(errno) : "");
	return n < 0;
}
