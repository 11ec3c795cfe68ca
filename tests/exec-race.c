/* SPDX-License-Identifier: MIT */
/*
 * exec-race: a thread other than the main one execs while the main thread opens TCP sockets
 * (tests/traced-exec.sh). Under the tracer each new socket has a seccomp filter added by
 * making the main thread (the process's leader) call seccomp(2); an exec by another thread
 * kills the leader and takes its thread id, and its exec stop is what the tracer's wait on
 * the leader then returns: a tracer that put the leader's saved registers back would put them
 * into the new program, which would crash. ROUNDS rounds, each a fresh process whose thread
 * execs this program again ("exec-race done": exits 0) after a few of the main thread's
 * sockets. Prints "rounds R crashed C" and exits 0 when no round crashed.
 * With "exit", the thread ends the process instead (_exit: exit_group) while the leader is in
 * an injection: the leader's end is reported to the tracer only after the thread's, so a
 * tracer waiting on the leader alone waited for ever.
 *   exec-race [ROUNDS [exit]]
 */
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/wait.h>

#define SOCKETS 14                /* fewer than the tracer's 16 filters of one process */

static atomic_int made;
static int after;
static int just_exit;
static char *self;

static void *execer(void *arg)
{
	(void) arg;
	while (atomic_load(&made) < after)
		sched_yield();
	if (just_exit)
		_exit(0);
	execl("/proc/self/exe", self, "done", (char *)NULL);
	_exit(3);
}

int main(int argc, char **argv)
{
	int rounds = argc > 1 ? atoi(argv[1]) : 30, crashed = 0, status;

	if (argc > 1 && strcmp(argv[1], "done") == 0)
		return 0;
	self = argv[0];
	just_exit = argc > 2 && strcmp(argv[2], "exit") == 0;
	for (int r = 0; r < rounds; r++) {
		pid_t pid = fork();
		if (pid < 0)
			return 2;
		if (pid == 0) {
			pthread_t th;
			after = 1 + r % (SOCKETS - 2);
			if (pthread_create(&th, NULL, execer, NULL) != 0)
				_exit(2);
			for (int i = 0; i < SOCKETS; i++) {
				if (socket(AF_INET, SOCK_STREAM, 0) < 0)
					_exit(2);
				atomic_fetch_add(&made, 1);
			}
			pthread_join(th, NULL);   /* the exec ends this process's threads */
			_exit(4);
		}
		if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
			crashed++;
			printf("round %d: %s %d\n", r, WIFSIGNALED(status) ? "signal" : "status",
			       WIFSIGNALED(status) ? WTERMSIG(status) : WEXITSTATUS(status));
		}
	}
	printf("rounds %d crashed %d\n", rounds, crashed);
	return crashed != 0;
}
