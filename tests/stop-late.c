/* SPDX-License-Identifier: MIT */
/*
 * stop-late: a process that cannot stop at once (tests/data/stop-late.tcpf). It vfork()s; the
 * child says "ready", waits MS milliseconds, says "child done" and exits. Meanwhile the parent
 * waits in vfork(), where SIGSTOP cannot stop it (the wait is only killable): it stops once the
 * child has exited, as it returns to its own code. Then it says "parent on" and exits 0:
 *
 *     stop-late MS
 *
 * The child uses only write, nanosleep and _exit (a vfork child shares its parent's memory).
 */
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

static void say(const char *s, size_t n)
{
	if (write(1, s, n) != (ssize_t)n)
		_exit(3);
}

int main(int argc, char **argv)
{
	long ms = argc == 2 ? atol(argv[1]) : -1;

	if (ms < 0)
		return 2;
	struct timespec ts = { ms / 1000, ms % 1000 * 1000000L };
	pid_t pid = vfork();
	if (pid == 0) {
		say("ready\n", 6);
		while (nanosleep(&ts, &ts) < 0)
			;
		say("child done\n", 11);
		_exit(0);
	}
	if (pid < 0)
		return 3;
	say("parent on\n", 10);
	return 0;
}
