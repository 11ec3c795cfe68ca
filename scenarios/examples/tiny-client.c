/* SPDX-License-Identifier: MIT */
/*
 * tiny-client: a small TCP client, built statically (gcc -static) so that the shim cannot be
 * loaded into it; the examples observe its calls with the tracer. It connects to HOST PORT,
 * writes COUNT bytes (100 by default), then reads until end of file or an error, and says what
 * its last read returned:
 *
 *     tiny-client HOST PORT [COUNT]     ->  "read = 0" (exit 0) or "read = -1 ECONNRESET" (exit 1)
 */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>

int main(int argc, char **argv)
{
	struct sockaddr_in6 a6 = { .sin6_family = AF_INET6 };
	struct sockaddr_in a4 = { .sin_family = AF_INET };
	char buf[4096];
	ssize_t n;

	if (argc < 3) {
		fprintf(stderr, "usage: tiny-client ADDRESS PORT [COUNT]\n");
		return 2;
	}
	/* No getaddrinfo(): a static glibc would need its shared libraries for it. */
	bool v6 = strchr(argv[1], ':') != NULL;
	a4.sin_port = a6.sin6_port = htons((uint16_t)atoi(argv[2]));
	if (inet_pton(v6 ? AF_INET6 : AF_INET, argv[1], v6 ? (void *)&a6.sin6_addr : (void *)&a4.sin_addr) != 1) {
		fprintf(stderr, "tiny-client: %s is no numeric address\n", argv[1]);
		return 2;
	}
	int fd = socket(v6 ? AF_INET6 : AF_INET, SOCK_STREAM, 0);
	if (fd < 0 || connect(fd, v6 ? (struct sockaddr *)&a6 : (struct sockaddr *)&a4,
			      v6 ? sizeof a6 : sizeof a4) < 0) {
		printf("connect: %s\n", strerror(errno));
		return 1;
	}
	size_t count = argc > 3 ? strtoul(argv[3], NULL, 10) : 100;
	memset(buf, 'x', sizeof buf);
	while (count > 0 && (n = write(fd, buf, count < sizeof buf ? count : sizeof buf)) > 0)
		count -= (size_t)n;
	while ((n = read(fd, buf, sizeof buf)) > 0)
		;
	int err = errno;
	if (n == 0) {
		printf("read = 0\n");
		return 0;
	}
	printf("read = -1 %s\n", strerror(err));
	return 1;
}
