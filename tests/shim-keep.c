/* SPDX-License-Identifier: MIT */
/* A dynamic client that takes away what the shim reports through (issue 16, H6):
 *   shim-keep HOST PORT closefrom   closefrom(3), close_range(3, ~0), dup2() onto fds 512-515,
 *                                    then connect, write 5 bytes, read until the end
 *   shim-keep HOST PORT stdio       connect, then fdopen() and fputs/fgets through stdio
 *   shim-keep HOST PORT cloexec     FD_CLOEXEC (fcntl) on fds 3-1023, then exec itself with
 *                                    "plain": connect, write 5 bytes, read until the end
 *   shim-keep HOST PORT orphan      fork and exit 0; the child, once its parent is gone (the
 *                                    end of a pipe), does as cloexec */
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	if (argc != 4)
		return 2;
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons((unsigned short)atoi(argv[2])) };
	inet_pton(AF_INET, argv[1], &a.sin_addr);
	if (!strcmp(argv[3], "orphan")) {
		int p[2];
		char c;
		if (pipe(p) < 0)
			return 1;
		pid_t pid = fork();
		if (pid < 0)
			return 1;
		if (pid > 0)
			return 0;   /* the leader exits; p[1] closes with it */
		close(p[1]);
		while (read(p[0], &c, 1) > 0)
			;
		close(p[0]);
		argv[3] = "cloexec";
	}
	if (!strcmp(argv[3], "cloexec")) {
		for (int fd = 3; fd < 1024; fd++)
			fcntl(fd, F_SETFD, FD_CLOEXEC);
		char *av[] = { argv[0], argv[1], argv[2], "plain", NULL };
		execv("/proc/self/exe", av);
		return 127;
	}
	if (!strcmp(argv[3], "closefrom")) {
		closefrom(3);
		close_range(3, ~0U, 0);
		for (int fd = 512; fd < 516; fd++)
			dup2(2, fd);
		for (int fd = 512; fd < 516; fd++)
			close(fd);
	}
	int s = socket(AF_INET, SOCK_STREAM, 0);
	if (connect(s, (struct sockaddr *)&a, sizeof a)) {
		perror("connect");
		return 2;
	}
	if (!strcmp(argv[3], "stdio")) {
		FILE *f = fdopen(s, "r+");
		char line[64];
		fputs("hello", f);
		fflush(f);
		return fgets(line, sizeof line, f) ? 0 : 1;
	}
	char b[64];
	if (write(s, "hello", 5) != 5)
		return 1;
	while (read(s, b, sizeof b) > 0)
		;
	return 0;
}
