/* SPDX-License-Identifier: MIT */
/*
 * A program for the runner's unit tests: makes socket calls whose results need no network (an
 * unconnected TCP socket: read fails ENOTCONN, send EPIPE), says "ready", then waits for its
 * with "wait", stays until a signal ends it; else exits with status 3. Sends no packet.
 */
#include <stdio.h>
#include <unistd.h>
#include <sys/socket.h>
#include <netinet/in.h>

int main(int argc, char **argv)
{
	char c;
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	if (fd < 0)
		return 2;
	(void) !read(fd, &c, 1);
	(void) !send(fd, "x", 1, MSG_NOSIGNAL);
	close(fd);
	printf("ready\n");
	fflush(stdout);
	if (argc > 1)
		pause();
	return 3;
}
