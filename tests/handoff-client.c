/* SPDX-License-Identifier: MIT */
/*
 * handoff-client: a thread opens TCP sockets and hands each to another thread through memory,
 * no syscall between, while a third thread keeps signalling the first (tests/traced-count.sh).
 * The second thread calls shutdown() on each (-1 ENOTCONN: never connected), which the tracer
 * reports; so every socket handed over must show one shutdown. The gap it stresses: the
 * tracer adds a socket's filter by making the opening thread call seccomp() when its socket()
 * returns; a signal delivered first (SIGWINCH, ignored: no handler, so no call) let that thread
 * run on with the socket's number, the filter left to its next call, and the second thread's
 * shutdown passed unseen. The signals must all still arrive: the third thread also sends
 * SIGRTMIN (queued, never merged), counted by a handler; and the first thread's signal mask
 * must be its own after.
 *
 * ROUNDS rounds, each in a fresh process (the tracer adds at most 16 filters to a process, then
 * one for every fd: the gap is there only while filters are added), SOCKETS sockets each, never
 * closed (a reused number would need no new filter). Prints "handed N" (the shutdowns to
 * expect) and exits 0, or says what went wrong and exits 1.
 *   handoff-client [ROUNDS]
 */
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#define SOCKETS 12                /* fewer than the tracer's 16 filters a process */
#define SPIN_MAX 4000000000UL     /* a spin's bound: seconds, whatever the load */
#define RT_EVERY 4096             /* one SIGRTMIN among this many (its handler's return is a call) */

static atomic_int handed = -1, acked = -1, done, rt_got;
static pid_t opener;              /* the first thread's tid */

static void on_rt(int sig)
{
	(void) sig;
	atomic_fetch_add(&rt_got, 1);
}

/* The second thread: shutdown() on each socket handed over, then acknowledged. */
static void *taker(void *arg)
{
	int last = -1;

	(void) arg;
	while (!atomic_load(&done)) {
		int fd = atomic_load(&handed);
		if (fd == last) {
			sched_yield();
			continue;
		}
		(void) shutdown(fd, SHUT_RDWR);
		last = fd;
		atomic_store(&acked, fd);
	}
	return NULL;
}

/* The third thread: signals the first while it runs; how many SIGRTMIN it sent. */
static void *signaller(void *arg)
{
	long sent = 0;

	(void) arg;
	for (unsigned long i = 0; !atomic_load(&done); i++) {
		int sig = i % RT_EVERY ? SIGWINCH : SIGRTMIN;
		if (syscall(SYS_tgkill, getpid(), opener, sig) == 0 && sig == SIGRTMIN)
			sent++;
	}
	return (void *)sent;
}

static int round_once(void)
{
	struct sigaction sa = { .sa_handler = on_rt };
	sigset_t before, after;
	pthread_t tb, tc;
	void *sent = NULL;

	sigemptyset(&sa.sa_mask);
	if (sigaction(SIGRTMIN, &sa, NULL) < 0)
		return 1;
	opener = (pid_t)syscall(SYS_gettid);
	pthread_sigmask(SIG_BLOCK, NULL, &before);
	if (pthread_create(&tb, NULL, taker, NULL) || pthread_create(&tc, NULL, signaller, NULL))
		return 1;
	int bad = 0;
	for (int i = 0; i < SOCKETS && !bad; i++) {
		int fd = socket(AF_INET, SOCK_STREAM, 0);
		if (fd < 0) {
			perror("socket");
			bad = 1;
			break;
		}
		atomic_store(&handed, fd);
		/* no call until taken: the call would add the filter */
		unsigned long spin = 0;
		while (atomic_load(&acked) != fd && ++spin < SPIN_MAX)
			;
		if (spin == SPIN_MAX) {
			fprintf(stderr, "socket %d not taken within %lu spins\n", fd, SPIN_MAX);
			bad = 1;
		}
	}
	atomic_store(&done, 1);
	pthread_join(tb, NULL);
	pthread_join(tc, &sent);
	/* The signals sent to this thread are delivered as the join returns, all before this. */
	pthread_sigmask(SIG_BLOCK, NULL, &after);
	if (atomic_load(&rt_got) != (int)(long)sent) {
		fprintf(stderr, "SIGRTMIN sent %ld, received %d\n", (long)sent, atomic_load(&rt_got));
		bad = 1;
	}
	bool same = true;
	for (int sig = 1; sig < 65; sig++)
		same &= sigismember(&before, sig) == sigismember(&after, sig);
	if (!same) {
		fprintf(stderr, "the signal mask changed\n");
		bad = 1;
	}
	return bad;
}

int main(int argc, char **argv)
{
	int rounds = argc > 1 ? atoi(argv[1]) : 10, bad = 0;

	for (int r = 0; r < rounds && !bad; r++) {
		pid_t pid = fork();
		if (pid < 0) {
			perror("fork");
			return 1;
		}
		if (pid == 0)
			_exit(round_once());
		int status;
		if (waitpid(pid, &status, 0) < 0 || !WIFEXITED(status) || WEXITSTATUS(status))
			bad = 1;
	}
	if (bad)
		return 1;
	printf("handed %d\n", rounds * SOCKETS);
	return 0;
}
