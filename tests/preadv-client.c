/* SPDX-License-Identifier: MIT */
/*
 * preadv-client: a TCP client that writes and reads with pwritev2/preadv2 at offset -1 (the
 * current position: on a socket, as writev/readv) (tests/data/traced-preadv.tcpf). It connects
 * to HOST PORT, writes "hello", reads up to 5 bytes, and says what each returned:
 *
 *     preadv-client HOST PORT  ->  "pwritev2 = 5" "preadv2 = N" (exit 0)
 *
 * With "at0" after PORT it first writes and reads at offset 0, which a socket refuses (-1
 * ESPIPE, "pwritev2 at 0 = -1 ESPIPE"), then as above (tests/data/preadv-espipe.tcpf).
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
#include <sys/uio.h>

#include "connect-to.h"

int main(int argc, char **argv)
{
	char out[] = "hello", in[5];
	struct iovec wv = { out, 5 }, rv = { in, sizeof in };

	if (argc < 3)
		return 2;
	int fd = connect_to(argv[1], argv[2]);
	if (argc > 3 && strcmp(argv[3], "at0") == 0) {
		ssize_t w = pwritev2(fd, &wv, 1, 0, 0);
		int werr = errno;
		ssize_t r = preadv2(fd, &rv, 1, 0, 0);
		printf("pwritev2 at 0 = %zd%s, preadv2 at 0 = %zd%s\n", w, w < 0 && werr == ESPIPE ? " ESPIPE" : "", r,
		       r < 0 && errno == ESPIPE ? " ESPIPE" : "");
	}
	printf("pwritev2 = %zd\n", pwritev2(fd, &wv, 1, -1, 0));
	fflush(stdout);
	ssize_t n = preadv2(fd, &rv, 1, -1, 0);
	printf("preadv2 = %zd%s%s\n", n, n < 0 ? " " : "", n < 0 ? strerror(errno) : "");
	close(fd);
	return 0;
}
