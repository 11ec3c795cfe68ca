/* SPDX-License-Identifier: MIT */
/*
 * uring-client: a program that sets up an io_uring (tests/data/traced-uring-exited.tcpf), then
 * connects to HOST PORT, writes 5 bytes with write(2) and exits:
 *
 *     uring-client HOST PORT  ->  "done" (exit 0); "io_uring_setup: ..." (exit 1) where refused
 */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <linux/io_uring.h>

int main(int argc, char **argv)
{
	struct sockaddr_in6 a6 = { .sin6_family = AF_INET6 };
	struct sockaddr_in a4 = { .sin_family = AF_INET };
	struct io_uring_params params = { 0 };

	if (argc < 3)
		return 2;
	if (syscall(SYS_io_uring_setup, 4, &params) < 0) {
		printf("io_uring_setup: %s\n", strerror(errno));
		return 1;
	}
	bool v6 = strchr(argv[1], ':') != NULL;
	a4.sin_port = a6.sin6_port = htons((uint16_t)atoi(argv[2]));
	if (inet_pton(v6 ? AF_INET6 : AF_INET, argv[1], v6 ? (void *)&a6.sin6_addr : (void *)&a4.sin_addr) != 1)
		return 2;
	int fd = socket(v6 ? AF_INET6 : AF_INET, SOCK_STREAM, 0);
	if (fd < 0 || connect(fd, v6 ? (struct sockaddr *)&a6 : (struct sockaddr *)&a4, v6 ? sizeof a6 : sizeof a4) < 0 ||
	    write(fd, "hello", 5) != 5) {
		perror("connect");
		return 1;
	}
	printf("done\n");
	return 0;
}
