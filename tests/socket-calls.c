/* SPDX-License-Identifier: MIT */
/*
 * A program for the runner's unit tests: makes socket calls whose results need no network (an
 * unconnected TCP socket: read fails ENOTCONN, send EPIPE), says "ready", then waits for its
 * with "wait", stays until a signal ends it; else exits with status 3. Sends no packet.
 * With "thread" the calls are made in a second thread, with "fork" in a child process (the
 * tracer follows both); with "uring" it also sets up an io_uring (the tracer says so).
 */
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <netinet/in.h>

static void *calls(void *arg)
{
	char c;
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	if (fd < 0)
		return (void *)1;
	(void) !read(fd, &c, 1);
	(void) !send(fd, "x", 1, MSG_NOSIGNAL);
	close(fd);
	return NULL;
}

int main(int argc, char **argv)
{
	const char *how = argc > 1 ? argv[1] : "";
	void *r = NULL;

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
	if (r)
		return 2;
	printf("ready\n");
	fflush(stdout);
	if (strcmp(how, "wait") == 0)
		pause();
	return 3;
}
