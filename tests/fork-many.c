/* SPDX-License-Identifier: MIT */
/*
 * fork-many: N children alive at once (tests/data/traced-fork-many.tcpf). It forks N children
 * that each wait for end of file on a pipe, then connects to HOST PORT, writes 5 bytes, says
 * "done", closes the pipe (the children exit) and reaps them:
 *
 *     fork-many HOST PORT N  ->  "done" (exit 0)
 */
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
	int p[2], n = argc > 3 ? atoi(argv[3]) : 0, forked = 0;
	char c;

	if (argc < 4 || n < 0 || n > 4096 || pipe(p) < 0)
		return 2;
	for (; forked < n; forked++) {
		pid_t pid = fork();
		if (pid < 0)
			break;
		if (pid == 0) {
			close(p[1]);
			_exit(read(p[0], &c, 1) == 0 ? 0 : 1);
		}
	}
	close(p[0]);
	int fd = connect_to(argv[1], argv[2]);
	if (write(fd, "hello", 5) != 5) {
		perror("write");
		return 1;
	}
	printf("done: %d children\n", forked);
	fflush(stdout);
	close(p[1]);
	while (forked-- > 0)
		(void) wait(NULL);
	close(fd);
	return 0;
}
