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

#include "connect-to.h"

int main(int argc, char **argv)
{
	struct io_uring_params params = { 0 };

	if (argc < 3)
		return 2;
	if (syscall(SYS_io_uring_setup, 4, &params) < 0) {
		printf("io_uring_setup: %s\n", strerror(errno));
		return 1;
	}
	int fd = connect_to(argv[1], argv[2]);
	if (write(fd, "hello", 5) != 5) {
		perror("write");
		return 1;
	}
	printf("done\n");
	return 0;
}
