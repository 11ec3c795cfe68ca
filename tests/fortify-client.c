/* SPDX-License-Identifier: MIT */
/*
 * fortify-client: a dynamic TCP client built as Ubuntu's gcc builds by default (-O2
 * -D_FORTIFY_SOURCE=2): its read() and recv() into a stack buffer with a length known only at
 * run time are compiled to glibc's __read_chk and __recv_chk, which reach the kernel without
 * going through the read and recv symbols an LD_PRELOAD wrapper replaces (review rev16d, H1).
 *   fortify-client HOST PORT COUNT read|recv
 * writes COUNT bytes, then reads COUNT at a time until EOF or an error; prints the last result
 * ("read = -1 Connection reset by peer") and exits 1 on an error, 0 on EOF.
 */
#include "connect-to.h"
#include <unistd.h>

int main(int argc, char **argv)
{
	char buf[4096];
	if (argc < 5)
		return 2;
	int fd = connect_to(argv[1], argv[2]);
	size_t want = (size_t)atoi(argv[3]), room = (size_t)atoi(argv[3]); /* unknown at compile time */
	memset(buf, 'x', sizeof buf);
	if (write(fd, buf, want < sizeof buf ? want : sizeof buf) < 0)
		return 1;
	ssize_t n;
	bool use_recv = strcmp(argv[4], "recv") == 0;
	do
		n = use_recv ? recv(fd, buf, room, 0) : read(fd, buf, room);
	while (n > 0);
	printf("%s = %zd %s\n", argv[4], n, n < 0 ? strerror(errno) : "");
	return n < 0;
}
