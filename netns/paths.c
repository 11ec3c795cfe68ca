/* SPDX-License-Identifier: MIT */
/*
 * The path between two hosts: packets from one host lost on their way to another (a partition,
 * one way or both; or only some TCP flags, only the first N), and an RST injected as if the
 * one host had sent it. Built on netns.h's own primitives: nftables rules inside the receiving
 * host (hooked at ingress of its eth0, so the sender's stack learns nothing, as with a
 * blackhole) and a raw socket inside the sending host. Called by the run's worker thread.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include "netns.h"

/* "add" before "delete" makes the delete idempotent; each source has its own chain, so healing
 * one path leaves the others. */
static int chain_cmd(char *buf, size_t len, int from, bool make)
{
	int n = snprintf(buf, len, "add table inet tcpfault_paths\n"
			 "add chain inet tcpfault_paths from%d { type filter hook ingress device \"eth0\" priority -400; }\n",
			 from);
	if (!make)
		n += snprintf(buf + n, len - (size_t)n, "delete chain inet tcpfault_paths from%d\n", from);
	return n;
}

/* tcpdump letters -> "syn|ack" */
static void nft_flags(const char *letters, char out[64])
{
	static const struct { char c; const char *name; } names[] = {
		{ 'F', "fin" }, { 'S', "syn" }, { 'R', "rst" }, { 'P', "psh" }, { '.', "ack" } };
	size_t n = 0;

	out[0] = 0;
	for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
		if (strchr(letters, names[i].c))
			n += (size_t)snprintf(out + n, 64 - n, "%s%s", n ? "|" : "", names[i].name);
}

int netns_drop(struct netns_sandbox *sb, int from, int to, const char *flags, unsigned first)
{
	char cmd[1024], a4[64], a6[64], match[160] = "", fl[64];
	int n;

	if (!netns_addr(sb, from, AF_INET, a4) || !netns_addr(sb, from, AF_INET6, a6) || from == to ||
	    !netns_addr(sb, to, AF_INET, fl))
		return -EINVAL;
	if (flags) {
		nft_flags(flags, fl);
		/* numgen inc counts the packets that got this far in the rule: the first N are 0..N-1. */
		snprintf(match, sizeof match, " tcp flags & (fin|syn|rst|psh|ack) == %s%s", fl[0] ? fl : "0",
			 first ? " numgen inc mod 4294967295 < " : "");
		if (first)
			snprintf(match + strlen(match), sizeof match - strlen(match), "%u", first);
	}
	n = chain_cmd(cmd, sizeof cmd, from, true);
	snprintf(cmd + n, sizeof cmd - (size_t)n,
		 "add rule inet tcpfault_paths from%d ip saddr %s%s drop\n"
		 "add rule inet tcpfault_paths from%d ip6 saddr %s%s drop\n", from, a4, match, from, a6, match);
	return netns_nft(sb, to, cmd);
}

int netns_heal(struct netns_sandbox *sb, int from, int to)
{
	char cmd[512];

	if (from == to || from < 0 || to < 0)
		return -EINVAL;
	chain_cmd(cmd, sizeof cmd, from, false);
	return netns_nft(sb, to, cmd);
}

static uint32_t sum16(const void *data, size_t len, uint32_t sum)
{
	const uint8_t *b = data;

	for (size_t i = 0; i + 1 < len; i += 2)
		sum += (uint32_t)(b[i] << 8 | b[i + 1]);
	if (len & 1)
		sum += (uint32_t)(b[len - 1] << 8);
	return sum;
}

int netns_inject_rst(struct netns_sandbox *sb, int from, int to, int family, uint16_t sport, uint16_t dport,
		     uint32_t seq)
{
	char src[64], dst[64];
	uint8_t s[16], d[16], tcp[20] = { 0 };
	size_t alen = family == AF_INET ? 4 : 16;
	int back, fd, r = 0;

	if (!netns_addr(sb, from, family, src) || !netns_addr(sb, to, family, dst) ||
	    inet_pton(family, src, s) != 1 || inet_pton(family, dst, d) != 1)
		return -EINVAL;
	tcp[0] = (uint8_t)(sport >> 8), tcp[1] = (uint8_t)sport;
	tcp[2] = (uint8_t)(dport >> 8), tcp[3] = (uint8_t)dport;
	tcp[4] = (uint8_t)(seq >> 24), tcp[5] = (uint8_t)(seq >> 16), tcp[6] = (uint8_t)(seq >> 8), tcp[7] = (uint8_t)seq;
	tcp[12] = 5 << 4;                 /* 20 bytes, no options */
	tcp[13] = 0x04;                   /* RST alone, as an injector that knows no ACK sends it */
	/* The checksum over the pseudo header (addresses, protocol, length) and the segment: the
	 * kernel computes none for a raw TCP socket. */
	uint32_t sum = sum16(s, alen, 0);
	sum = sum16(d, alen, sum);
	sum += IPPROTO_TCP + sizeof tcp;
	sum = sum16(tcp, sizeof tcp, sum);
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	uint16_t ck = (uint16_t)~sum;
	tcp[16] = (uint8_t)(ck >> 8), tcp[17] = (uint8_t)ck;

	if ((r = netns_enter(sb, from, &back)) < 0)
		return r;
	fd = socket(family, SOCK_RAW | SOCK_CLOEXEC, IPPROTO_TCP);
	if (fd < 0) {
		r = -errno;
	} else {
		struct sockaddr_in a4 = { .sin_family = AF_INET };
		struct sockaddr_in6 a6 = { .sin6_family = AF_INET6 };
		memcpy(&a4.sin_addr, d, 4);
		memcpy(&a6.sin6_addr, d, 16);
		if (sendto(fd, tcp, sizeof tcp, 0, family == AF_INET ? (struct sockaddr *)&a4 : (struct sockaddr *)&a6,
			   family == AF_INET ? sizeof a4 : sizeof a6) < 0)
			r = -errno;
		close(fd);
	}
	netns_leave(back);
	return r;
}
