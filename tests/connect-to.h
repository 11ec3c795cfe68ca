/* SPDX-License-Identifier: MIT */
/* The test clients' connection to ADDRESS PORT as their command lines give them (a numeric
 * IPv4 or IPv6 address). */
#ifndef TCPFAULT_TESTS_CONNECT_TO_H
#define TCPFAULT_TESTS_CONNECT_TO_H

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

/* The connected socket. Exits the program when it cannot be had: 2 when ADDRESS is not one, 1
 * when socket() or connect() failed, after saying why ("connect: REASON") on standard output,
 * where the scenarios read a client's words. */
static inline int connect_to(const char *address, const char *port)
{
	struct sockaddr_in6 a6 = { .sin6_family = AF_INET6 };
	struct sockaddr_in a4 = { .sin_family = AF_INET };
	bool v6 = strchr(address, ':') != NULL;

	a4.sin_port = a6.sin6_port = htons((uint16_t)atoi(port));
	if (inet_pton(v6 ? AF_INET6 : AF_INET, address, v6 ? (void *)&a6.sin6_addr : (void *)&a4.sin_addr) != 1)
		exit(2);
	int fd = socket(v6 ? AF_INET6 : AF_INET, SOCK_STREAM, 0);
	if (fd < 0 || connect(fd, v6 ? (struct sockaddr *)&a6 : (struct sockaddr *)&a4, v6 ? sizeof a6 : sizeof a4) < 0) {
		printf("connect: %s\n", strerror(errno));
		exit(1);
	}
	return fd;
}

#endif
