/* SPDX-License-Identifier: MIT */
/*
 * fork-race: forks in a loop while another thread opens TCP sockets (tests/traced-count.sh).
 * Each child calls getsockopt(SO_ERROR) on the newest TCP socket it inherited, which the tracer
 * reports as "so_error"; so every child that had one must show exactly one so_error. The race
 * it stresses: a socket made by the other thread just before a fork, whose seccomp filter the
 * tracer adds to the parent after the fork but before it hears of the fork: the child has the
 * socket but not its filter, and a tracer that took the parent's filters for the child's would
 * never see the child's call (commit f45f466).
 *
 * ROUNDS rounds, each in a fresh process (the tracer adds at most 16 filters to a process, then
 * one for every fd: the race is there only while filters are added): its thread opens SOCKETS
 * sockets, one after each few forks of its main thread, never closed (a reused number would
 * need no new filter). Prints "children C with-socket N" (N: the children that had a socket, so
 * the so_error reports to expect) and exits 0.
 *   fork-race [ROUNDS]
 */
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>

#define SOCKETS 12                /* a round's sockets: fewer than the tracer's 16 filters */
#define FORKS_PER_SOCKET 2
#define CHILDREN_MAX 400          /* a round's bound, whatever happens */
#define BURST 8

static atomic_int forks, done;

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void *opener(void *arg)
{
	(void) arg;
	for (int i = 0; i < SOCKETS; i++) {
		int seen = atomic_load(&forks);
		double end = now() + 2;   /* the forks may have stopped (CHILDREN_MAX): bounded */
		while (atomic_load(&forks) < seen + FORKS_PER_SOCKET && now() < end)
			sched_yield();
		if (socket(AF_INET, SOCK_STREAM, 0) < 0)
			break;
	}
	atomic_store(&done, 1);
	return NULL;
}

/* The child: so_error on its newest TCP socket (the round's only sockets: found with fstat,
 * which the tracer never stops); exit 1 if it had one. */
static _Noreturn void child(void)
{
	int newest = -1;
	struct stat st;

	for (int fd = 3; fd < 64; fd++)
		if (fstat(fd, &st) == 0 && S_ISSOCK(st.st_mode))
			newest = fd;
	if (newest >= 0) {
		int err = 0;
		socklen_t len = sizeof err;
		(void) getsockopt(newest, SOL_SOCKET, SO_ERROR, &err, &len);
	}
	_exit(newest >= 0);
}

/* One round, in its own process: writes its counts to out. Its main thread forks BURST
 * children at a time, then reaps them: forking most of the time, as the other thread opens
 * its sockets. */
static _Noreturn void round_main(int out)
{
	pthread_t th;
	pid_t pids[BURST];
	int counts[2] = { 0, 0 }, status;

	if (pthread_create(&th, NULL, opener, NULL) != 0)
		_exit(2);
	while (!atomic_load(&done) && counts[0] < CHILDREN_MAX) {
		int n = 0;
		for (; n < BURST; n++) {
			if ((pids[n] = fork()) < 0)
				break;
			if (pids[n] == 0)
				child();
			atomic_fetch_add(&forks, 1);
		}
		for (int i = 0; i < n; i++)
			if (waitpid(pids[i], &status, 0) == pids[i] && WIFEXITED(status)) {
				counts[0]++;
				counts[1] += WEXITSTATUS(status) == 1;
			}
	}
	pthread_join(th, NULL);
	_exit(write(out, counts, sizeof counts) == (ssize_t)sizeof counts ? 0 : 2);
}

int main(int argc, char **argv)
{
	int rounds = argc > 1 ? atoi(argv[1]) : 20, children = 0, with = 0, p[2], status;

	for (int r = 0; r < rounds; r++) {
		int counts[2];
		if (pipe(p) < 0)
			return 2;
		pid_t pid = fork();
		if (pid < 0)
			return 2;
		if (pid == 0)
			round_main(p[1]);
		close(p[1]);
		if (read(p[0], counts, sizeof counts) != (ssize_t)sizeof counts)
			return 2;
		close(p[0]);
		(void) waitpid(pid, &status, 0);
		children += counts[0];
		with += counts[1];
	}
	printf("children %d with-socket %d\n", children, with);
	return 0;
}
