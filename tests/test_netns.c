/* SPDX-License-Identifier: MIT */
/*
 * The sandbox (netns/) against the real kernel: a two-host sandbox carries TCP over IPv4 and
 * IPv6 on the first SYN, sock_diag sees the sockets, sysctls stay inside, a blackhole stops a
 * handshake and lifting it lets one through, a reboot wipes the host's TCP state and brings
 * back the same addresses, counters read. Every test checks that the calling thread ends in
 * the namespace it started in. Sockets are made by switching into a host's namespace (a socket
 * belongs to the namespace it was created in) and used from anywhere. Every wait is a poll()
 * with a bound; nothing sleeps.
 *
 * Needs CAP_SYS_ADMIN and CAP_NET_ADMIN; exits 77 (skip) where namespaces cannot be made.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <cmocka.h>
#include <linux/rtnetlink.h>
#include <netlink/netlink.h>
#include <netlink/route/route.h>

#include "netns.h"
#include "../netns/internal.h"   /* netns_sysctl_dir */

/* Under the 1 s initial SYN retransmission timeout: a connect that completes within this
 * bound got through on its first SYN. */
#define FIRST_SYN_MS 500
#define PORT 5000

struct fixture {
	struct netns_sandbox *sb;
	char ns_before[64];
};

static void self_ns(char buf[64])
{
	ssize_t n = readlink("/proc/thread-self/ns/net", buf, 63);

	assert_true(n > 0);
	buf[n] = '\0';
}

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	int r;

	assert_non_null(f);
	self_ns(f->ns_before);
	r = netns_sandbox_new(2, &f->sb);
	if (r < 0)
		fprintf(stderr, "netns_sandbox_new: %s\n", netns_new_error());
	assert_int_equal(r, 0);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	char now[64];

	netns_sandbox_free(f->sb);
	self_ns(now);
	assert_string_equal(now, f->ns_before);
	free(f);
	return 0;
}

static void addr_of(struct netns_sandbox *sb, int host, int family, uint16_t port,
		    struct sockaddr_storage *ss, socklen_t *len)
{
	char text[64];

	memset(ss, 0, sizeof(*ss));
	assert_non_null(netns_addr(sb, host, family, text));
	if (family == AF_INET) {
		struct sockaddr_in *sin = (struct sockaddr_in *)ss;
		sin->sin_family = AF_INET;
		sin->sin_port = htons(port);
		assert_int_equal(inet_pton(AF_INET, text, &sin->sin_addr), 1);
		*len = sizeof(*sin);
	} else {
		struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)ss;
		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = htons(port);
		assert_int_equal(inet_pton(AF_INET6, text, &sin6->sin6_addr), 1);
		*len = sizeof(*sin6);
	}
}

/* A non-blocking TCP socket created inside host's namespace. */
static int tcp_socket_in(struct netns_sandbox *sb, int host, int family)
{
	int back, fd;

	assert_int_equal(netns_enter(sb, host, &back), 0);
	fd = socket(family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	assert_int_equal(netns_leave(back), 0);
	assert_true(fd >= 0);
	return fd;
}

static int listen_on(struct netns_sandbox *sb, int host, int family, int backlog)
{
	struct sockaddr_storage ss;
	socklen_t len;
	int fd = tcp_socket_in(sb, host, family), one = 1;

	addr_of(sb, host, family, PORT, &ss, &len);
	assert_int_equal(setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)), 0);
	assert_int_equal(bind(fd, (struct sockaddr *)&ss, len), 0);
	assert_int_equal(listen(fd, backlog), 0);
	return fd;
}

/* 0 once fd has one of events, -ETIMEDOUT after ms. */
static int wait_fd(int fd, short events, int ms)
{
	struct pollfd p = { .fd = fd, .events = events };
	int n = poll(&p, 1, ms);

	assert_true(n >= 0);
	return n == 1 ? 0 : -ETIMEDOUT;
}

/* Connects from host `from` to host `to`; returns 0 and the socket in *ret_fd, -ETIMEDOUT if
 * the handshake does not finish within ms (the socket is still returned), or -SO_ERROR. */
static int connect_from(struct netns_sandbox *sb, int from, int to, int family, int ms,
			int *ret_fd)
{
	struct sockaddr_storage ss;
	socklen_t len, elen = sizeof(int);
	int fd = tcp_socket_in(sb, from, family), err = 0, r;

	addr_of(sb, to, family, PORT, &ss, &len);
	r = connect(fd, (struct sockaddr *)&ss, len);
	assert_true(r == 0 || errno == EINPROGRESS);
	*ret_fd = fd;
	if (r == 0)
		return 0;
	r = wait_fd(fd, POLLOUT, ms);
	if (r < 0)
		return r;
	assert_int_equal(getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &elen), 0);
	return -err;
}

static int accept_within(int lfd, int ms)
{
	int fd;

	assert_int_equal(wait_fd(lfd, POLLIN, ms), 0);
	fd = accept4(lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
	assert_true(fd >= 0);
	return fd;
}

static uint16_t local_port(int fd)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);

	assert_int_equal(getsockname(fd, (struct sockaddr *)&ss, &len), 0);
	return ntohs(ss.ss_family == AF_INET ? ((struct sockaddr_in *)&ss)->sin_port
					      : ((struct sockaddr_in6 *)&ss)->sin6_port);
}

static const struct netns_sock *find_sock(const struct netns_sock *s, int n, int family,
					  uint8_t state, uint16_t sport, uint16_t dport)
{
	for (int i = 0; i < n; i++)
		if (s[i].family == family && s[i].state == state && s[i].sport == sport &&
		    s[i].dport == dport)
			return &s[i];
	return NULL;
}

static int count_family(const struct netns_sock *s, int n, int family)
{
	int c = 0;

	for (int i = 0; i < n; i++)
		c += s[i].family == family;
	return c;
}

/* 1. Both families: the first SYN gets through, accept works, sock_diag shows the pair and
 *    the listener with its backlog. */
static void test_connect_and_sockets(void **state)
{
	struct fixture *f = *state;
	static const int families[] = { AF_INET, AF_INET6 };

	for (int i = 0; i < 2; i++) {
		int family = families[i], lfd, cfd, afd, n;
		struct netns_sock socks[16];
		const struct netns_sock *s;
		char a0[64], a1[64];
		uint16_t cport;

		lfd = listen_on(f->sb, 1, family, 7);
		assert_int_equal(connect_from(f->sb, 0, 1, family, FIRST_SYN_MS, &cfd), 0);
		afd = accept_within(lfd, FIRST_SYN_MS);
		cport = local_port(cfd);
		netns_host_addr(0, family, a0);
		netns_host_addr(1, family, a1);

		/* Count per family: the IPv4 round leaves a TIME-WAIT behind. */
		n = netns_sockets(f->sb, 1, socks, 16);
		int all = n;
		assert_in_range(n, 0, 16);   /* more would not fit: the loops below read socks[0..n) */
		assert_int_equal(count_family(socks, n, family), 2);
		s = find_sock(socks, n, family, TCP_LISTEN, PORT, 0);
		assert_non_null(s);
		assert_int_equal(s->wqueue, 7);
		assert_int_equal(s->rqueue, 0);
		s = find_sock(socks, n, family, TCP_ESTABLISHED, PORT, cport);
		assert_non_null(s);
		assert_string_equal(s->src, a1);
		assert_string_equal(s->dst, a0);

		n = netns_sockets(f->sb, 0, socks, 16);
		assert_in_range(n, 0, 16);
		assert_int_equal(count_family(socks, n, family), 1);
		assert_non_null(find_sock(socks, n, family, TCP_ESTABLISHED, cport, PORT));
		/* A short array gets the first socket and the count of all (the caller knows its
		 * list was cut short), not an error. */
		memset(socks, 0, sizeof socks);
		assert_int_equal(netns_sockets(f->sb, 1, socks, 1), all);
		assert_int_not_equal(socks[0].state, 0);
		assert_int_equal(socks[1].state, 0);

		close(afd);
		close(cfd);
		close(lfd);
	}
}

/* 2. Sysctls: set/get round trip inside a host, the caller's own value untouched, only net.*
 *    accepted, and remembered across a reboot. */
static void test_sysctl(void **state)
{
	struct fixture *f = *state;
	char before[32], buf[32], after[32];
	FILE *p;

	p = fopen("/proc/sys/net/ipv4/tcp_retries2", "r");
	assert_non_null(p);
	assert_non_null(fgets(before, sizeof(before), p));
	fclose(p);

	assert_int_equal(netns_sysctl_set(f->sb, 0, "net.ipv4.tcp_retries2", "5"), 0);
	assert_int_equal(netns_sysctl_get(f->sb, 0, "net.ipv4.tcp_retries2", buf, sizeof(buf)), 0);
	assert_string_equal(buf, "5");
	assert_int_equal(netns_sysctl_get(f->sb, 1, "net.ipv4.tcp_retries2", buf, sizeof(buf)), 0);
	assert_string_equal(buf, "15");

	p = fopen("/proc/sys/net/ipv4/tcp_retries2", "r");
	assert_non_null(p);
	assert_non_null(fgets(after, sizeof(after), p));
	fclose(p);
	assert_string_equal(before, after);

	assert_int_equal(netns_sysctl_set(f->sb, 0, "kernel.panic", "1"), -EINVAL);
	assert_string_not_equal(netns_last_error(f->sb), "");
	assert_int_equal(netns_sysctl_get(f->sb, 0, "net.ipv4.no_such_key", buf, sizeof(buf)),
			 -ENOENT);
	assert_int_equal(netns_sysctl_set(f->sb, 5, "net.ipv4.tcp_retries2", "5"), -EINVAL);
	assert_int_equal(netns_sysctl_get(f->sb, NETNS_WIRE, "net.ipv6.conf.br0.disable_ipv6",
					  buf, sizeof(buf)), 0);
	assert_string_equal(buf, "1");

	assert_int_equal(netns_sysctl_set(f->sb, 1, "net.ipv4.tcp_syn_retries", "2"), 0);
	assert_int_equal(netns_sysctl_set(f->sb, 1, "net.ipv4.tcp_syn_retries", "3"), 0);
	assert_int_equal(netns_host_reboot(f->sb, 1), 0);
	assert_int_equal(netns_sysctl_get(f->sb, 1, "net.ipv4.tcp_syn_retries", buf, sizeof(buf)),
			 0);
	assert_string_equal(buf, "3");

	/* Only a namespace's own value is written. A file the namespace shows read-only is refused,
	 * saying so; the kernel's own per-namespace keys are the namespace's own. */
	assert_int_equal(netns_sysctl_own(f->sb, 0, "net.ipv4.tcp_retries2"), 0);
	assert_int_equal(netns_sysctl_own(f->sb, NETNS_WIRE, "net.ipv4.ip_forward"), 0);
	assert_int_equal(netns_sysctl_set(f->sb, 0, "net.ipv4.tcp_available_congestion_control", "reno"),
			 -EROFS);
	assert_non_null(strstr(netns_last_error(f->sb), "net.ipv4.tcp_available_congestion_control is read-only"));
	/* A machine-wide file visible in every namespace (no net.* one is, on the kernels measured:
	 * kernel.* stands in for one; ostype is read-only, so a broken check could not write it
	 * either): refused before any write, in a host and in the caller's own namespace. */
	netns_sysctl_dir = "/proc/sys/kernel";
	assert_int_equal(netns_sysctl_own(f->sb, 0, "net.ostype"), -EREMOTE);
	assert_int_equal(netns_sysctl_set(f->sb, 1, "net.ostype", "Linux"), -EREMOTE);
	assert_non_null(strstr(netns_last_error(f->sb), "net.ostype is the whole machine's value"));
	int back;   /* from inside the host itself: a scratch namespace is the other one (a key
		     * not looked at before: each is looked at once per process) */
	assert_int_equal(netns_enter(f->sb, 0, &back), 0);
	assert_int_equal(netns_sysctl_own(f->sb, 0, "net.osrelease"), -EREMOTE);
	netns_sysctl_dir = "/proc/sys/net";
	assert_int_equal(netns_sysctl_own(f->sb, 0, "net.ipv4.tcp_retries2"), 0);
	assert_int_equal(netns_leave(back), 0);
	/* The backstop: a key each namespace shows as its own that sets one switch for the whole
	 * machine (measured on 6.1 and 6.12; absent without nf_conntrack). "0" so that even a broken
	 * check could change nothing: turning it off is a no-op, or EBUSY once it is on. */
	int e = netns_sysctl_set(f->sb, 0, "net.netfilter.nf_hooks_lwtunnel", "0");
	assert_true(e == -EREMOTE || e == -ENOENT);
	if (e == -EREMOTE)
		assert_non_null(strstr(netns_last_error(f->sb), "one switch for the whole machine"));
	netns_sysctl_dir = "/proc/sys/net";
}

/* 3. Blackhole on: a handshake to the host does not finish. Off: it does, at once. Both are
 *    idempotent. */
static void test_blackhole(void **state)
{
	struct fixture *f = *state;
	int lfd = listen_on(f->sb, 1, AF_INET, 4), cfd, afd;

	assert_int_equal(netns_blackhole(f->sb, 1, true), 0);
	assert_int_equal(netns_blackhole(f->sb, 1, true), 0);
	assert_int_equal(connect_from(f->sb, 0, 1, AF_INET, 300, &cfd), -ETIMEDOUT);
	close(cfd);
	assert_int_equal(connect_from(f->sb, 0, 1, AF_INET6, 300, &cfd), -ETIMEDOUT);
	close(cfd);
	/* Nothing reached the listener. */
	assert_int_equal(wait_fd(lfd, POLLIN, 0), -ETIMEDOUT);

	assert_int_equal(netns_blackhole(f->sb, 1, false), 0);
	assert_int_equal(netns_blackhole(f->sb, 1, false), 0);
	assert_int_equal(connect_from(f->sb, 0, 1, AF_INET, FIRST_SYN_MS, &cfd), 0);
	afd = accept_within(lfd, FIRST_SYN_MS);
	close(afd);
	close(cfd);
	close(lfd);

	assert_int_equal(netns_blackhole(f->sb, NETNS_WIRE, true), -EINVAL);
}

/* 3b. Arbitrary nft commands land in the host: a reject rule answers a SYN with a RST at once;
 *     a syntax error is -EINVAL with a sentence, a kernel refusal keeps its errno. */
static void test_nft(void **state)
{
	struct fixture *f = *state;
	int cfd;

	assert_int_equal(netns_nft(f->sb, 1,
				   "add table inet t\n"
				   "add chain inet t in { type filter hook input priority 0; }\n"
				   "add rule inet t in tcp dport 5000 reject with tcp reset\n"), 0);
	assert_int_equal(connect_from(f->sb, 0, 1, AF_INET, FIRST_SYN_MS, &cfd), -ECONNREFUSED);
	close(cfd);
	assert_int_equal(netns_nft(f->sb, 1, "this is not nft"), -EINVAL);
	assert_non_null(strstr(netns_last_error(f->sb), "syntax error"));
	assert_int_equal(netns_nft(f->sb, 1, "delete table inet no_such_table"), -ENOENT);
	/* Host 0 has no such table: the rule was not put in the caller's namespace or another
	 * host's. */
	assert_int_equal(netns_nft(f->sb, 0, "delete table inet t"), -ENOENT);
	assert_int_equal(netns_nft(f->sb, 1, "delete table inet t"), 0);
}

/* 4. Reboot: the host's TCP state is gone (the peer's next segment draws a RST from the new
 *    host), and a listener in the new host is reachable at the same addresses. Twice. */
static void test_reboot(void **state)
{
	struct fixture *f = *state;
	struct netns_sock socks[8];
	int lfd, cfd, afd, err = 0;
	socklen_t elen = sizeof(err);
	char buf[4];

	lfd = listen_on(f->sb, 1, AF_INET, 4);
	assert_int_equal(connect_from(f->sb, 0, 1, AF_INET, FIRST_SYN_MS, &cfd), 0);
	afd = accept_within(lfd, FIRST_SYN_MS);
	assert_int_equal(netns_sockets(f->sb, 1, socks, 8), 2);

	/* The old sockets stay open across the reboot: they sit in the cut-off namespace, so
	 * closing them afterwards sends nothing anyone can see. */
	assert_int_equal(netns_host_reboot(f->sb, 1), 0);
	assert_int_equal(netns_sockets(f->sb, 1, socks, 8), 0);
	close(afd);
	close(lfd);

	assert_int_equal(send(cfd, "x", 1, 0), 1);
	assert_int_equal(wait_fd(cfd, POLLIN, FIRST_SYN_MS), 0);
	assert_int_equal(recv(cfd, buf, sizeof(buf), 0), -1);
	assert_int_equal(errno, ECONNRESET);
	assert_int_equal(getsockopt(cfd, SOL_SOCKET, SO_ERROR, &err, &elen), 0);
	close(cfd);

	for (int round = 0; round < 2; round++) {
		if (round)
			assert_int_equal(netns_host_reboot(f->sb, 1), 0);
		for (int family = AF_INET; family != -1;
		     family = family == AF_INET ? AF_INET6 : -1) {
			lfd = listen_on(f->sb, 1, family, 4);
			assert_int_equal(connect_from(f->sb, 0, 1, family, FIRST_SYN_MS, &cfd), 0);
			afd = accept_within(lfd, FIRST_SYN_MS);
			close(afd);
			close(cfd);
			close(lfd);
		}
	}
	assert_int_equal(netns_host_reboot(f->sb, 2), -EINVAL);
}

/* 5. Counters from /proc/net/netstat and /proc/net/snmp of the host. */
static void test_counter(void **state)
{
	struct fixture *f = *state;
	long long v = -2;

	assert_int_equal(netns_counter(f->sb, 1, "TcpExt.ListenOverflows", &v), 0);
	assert_true(v >= 0);
	assert_int_equal(netns_counter(f->sb, 1, "Tcp.ActiveOpens", &v), 0);
	assert_int_equal(v, 0);
	assert_int_equal(netns_counter(f->sb, 1, "TcpExt.NoSuchCounter", &v), -ENOENT);
	assert_int_equal(netns_counter(f->sb, 1, "NoSuchPrefix.ListenOverflows", &v), -ENOENT);
	assert_int_equal(netns_counter(f->sb, 1, "nodot", &v), -EINVAL);
}

/* 6. The pure helpers, and the calls that need no sandbox. */
static void test_helpers(void **state)
{
	char buf[64];
	uint8_t a4[4] = { 198, 18, 0, 2 }, a6[16] = { 0x20, 0x01, 0, 2, [15] = 3 };
	uint8_t other[4] = { 10, 0, 0, 1 };
	struct netns_sandbox *sb = (void *)1;
	bool netem;

	assert_string_equal(netns_host_addr(0, AF_INET, buf), "198.18.0.1");
	assert_string_equal(netns_host_addr(1, AF_INET6, buf), "2001:2::2");
	assert_null(netns_host_addr(NETNS_MAX_HOSTS, AF_INET, buf));
	assert_int_equal(netns_host_by_addr(AF_INET, a4), 1);
	assert_int_equal(netns_host_by_addr(AF_INET6, a6), 2);
	assert_int_equal(netns_host_by_addr(AF_INET, other), -1);
	assert_string_equal(netns_wire_ifname(3, buf), "h3");
	/* The router topology's addresses: host i on subnet i+1 (.2), its gateway .1. */
	uint8_t r4[4] = { 198, 18, 2, 2 }, g4[4] = { 198, 18, 2, 1 }, x4[4] = { 198, 18, 2, 3 };
	uint8_t r6[16] = { 0x20, 0x01, 0, 2, 0, 0, 0, 3, [15] = 2 }, g6[16] = { 0x20, 0x01, 0, 2, 0, 0, 0, 3, [15] = 1 };
	assert_string_equal(netns_router_addr(0, AF_INET, buf), "198.18.1.1");
	assert_string_equal(netns_router_addr(1, AF_INET6, buf), "2001:2:0:2::1");
	assert_null(netns_router_addr(NETNS_MAX_HOSTS, AF_INET6, buf));
	assert_int_equal(netns_host_by_addr(AF_INET, r4), 1);
	assert_int_equal(netns_host_by_addr(AF_INET6, r6), 2);
	assert_int_equal(netns_host_by_addr(AF_INET, g4), -1);
	assert_int_equal(netns_host_by_addr(AF_INET, x4), -1);
	assert_int_equal(netns_host_by_addr(AF_INET6, g6), -1);
	assert_true(netns_router_owns(AF_INET, g4));
	assert_true(netns_router_owns(AF_INET6, g6));
	assert_false(netns_router_owns(AF_INET, r4));
	assert_false(netns_router_owns(AF_INET, a4));
	assert_false(netns_router_owns(AF_INET6, a6));
	assert_null(netns_addr(NULL, 0, AF_INET, buf));

	assert_string_equal(netns_state_name(TCP_ESTABLISHED), "ESTABLISHED");
	assert_string_equal(netns_state_name(TCP_FIN_WAIT1), "FIN-WAIT-1");
	assert_string_equal(netns_state_name(12), "NEW-SYN-RECV");
	assert_string_equal(netns_state_name(200), "UNKNOWN");
	for (int s = 1; s <= 12; s++)
		assert_int_equal(netns_state_from_name(netns_state_name(s)), s);
	assert_int_equal(netns_state_from_name("CLOSE_WAIT"), TCP_CLOSE_WAIT);
	assert_int_equal(netns_state_from_name("CLOSE-"), -EINVAL);
	assert_int_equal(netns_state_from_name("BOGUS"), -EINVAL);

	assert_int_equal(netns_sandbox_new(0, &sb), -EINVAL);
	assert_int_equal(netns_sandbox_new(NETNS_MAX_HOSTS + 1, &sb), -EINVAL);
	assert_ptr_equal(sb, (void *)1);
	assert_string_not_equal(netns_new_error(), "");
	netns_sandbox_free(NULL);

	/* Probed once; the answer is stable and the caller's namespace is untouched. */
	netem = netns_netem_available();
	assert_int_equal(netns_netem_available(), netem);
}

/* 7. More hosts: every pair talks, and host indexes, fds and names are consistent. */
static void test_four_hosts(void **state)
{
	char before[64], now[64];
	struct netns_sandbox *sb;
	int lfd, cfd, afd;

	self_ns(before);
	assert_int_equal(netns_sandbox_new(4, &sb), 0);
	assert_int_equal(netns_host_count(sb), 4);
	assert_true(netns_fd(sb, NETNS_WIRE) >= 0);
	assert_int_equal(netns_fd(sb, 4), -EINVAL);
	lfd = listen_on(sb, 3, AF_INET6, 4);
	for (int from = 0; from < 3; from++) {
		assert_int_equal(connect_from(sb, from, 3, AF_INET6, FIRST_SYN_MS, &cfd), 0);
		afd = accept_within(lfd, FIRST_SYN_MS);
		close(afd);
		close(cfd);
	}
	close(lfd);
	netns_sandbox_free(sb);
	self_ns(now);
	assert_string_equal(before, now);
}

/* 8. The router topology: hosts on their own subnets reach each other through the wire
 *    namespace (the server sees the client's own address), and a reject rule on the router
 *    makes a connect fail with the ICMP error's errno, at once. */
static void test_router(void **state)
{
	static const int families[] = { AF_INET, AF_INET6 };
	char before[64], now[64], text[64], peer[64];
	struct netns_sandbox *sb;
	struct netns_sock socks[8];
	int lfd, cfd, afd, n;

	self_ns(before);
	assert_int_equal(netns_sandbox_new_topology(2, NETNS_ROUTER, &sb), 0);
	assert_int_equal(netns_topology(sb), NETNS_ROUTER);
	assert_string_equal(netns_addr(sb, 0, AF_INET, text), "198.18.1.2");
	assert_string_equal(netns_addr(sb, 1, AF_INET6, text), "2001:2:0:2::2");
	assert_null(netns_addr(sb, 2, AF_INET, text));
	for (int i = 0; i < 2; i++) {
		int family = families[i];
		lfd = listen_on(sb, 1, family, 4);
		assert_int_equal(connect_from(sb, 0, 1, family, FIRST_SYN_MS, &cfd), 0);
		afd = accept_within(lfd, FIRST_SYN_MS);
		n = netns_sockets(sb, 1, socks, 8);
		assert_in_range(n, 0, 8);
		netns_addr(sb, 0, family, text);
		bool seen = false;
		for (int k = 0; k < n; k++) {
			snprintf(peer, sizeof(peer), "%s", socks[k].dst);
			seen |= socks[k].state == TCP_ESTABLISHED && strcmp(peer, text) == 0;
		}
		assert_true(seen);
		close(afd);
		close(cfd);
		close(lfd);
	}
	/* The router answers SYNs toward host 1 with ICMP: connect fails with its errno. */
	assert_int_equal(netns_nft(sb, NETNS_WIRE,
		"table inet t { chain f { type filter hook forward priority 0;\n"
		"oifname \"h1\" reject with icmpx type host-unreachable\n}\n}"), 0);
	lfd = listen_on(sb, 1, AF_INET, 4);
	assert_int_equal(connect_from(sb, 0, 1, AF_INET, FIRST_SYN_MS, &cfd), -EHOSTUNREACH);
	close(cfd);
	close(lfd);
	/* A reboot brings back the router's side of the link too. */
	assert_int_equal(netns_nft(sb, NETNS_WIRE, "delete table inet t"), 0);
	assert_int_equal(netns_host_reboot(sb, 1), 0);
	lfd = listen_on(sb, 1, AF_INET6, 4);
	assert_int_equal(connect_from(sb, 0, 1, AF_INET6, FIRST_SYN_MS, &cfd), 0);
	close(accept_within(lfd, FIRST_SYN_MS));
	close(cfd);
	close(lfd);
	netns_sandbox_free(sb);
	self_ns(now);
	assert_string_equal(before, now);
}

/* The quickack metric of host's route to dst ("198.18.0.0/24"), read back from the kernel
 * through a netlink socket made inside the host (0: the metric is absent). */
static uint32_t route_quickack(struct netns_sandbox *sb, int host, const char *dst)
{
	struct nl_sock *nl = nl_socket_alloc();
	struct nl_cache *cache = NULL;
	struct nl_object *o;
	uint32_t v = 0;
	char text[80];
	int back;
	bool found = false;

	assert_non_null(nl);
	assert_int_equal(netns_enter(sb, host, &back), 0);
	assert_int_equal(nl_connect(nl, NETLINK_ROUTE), 0);
	assert_int_equal(netns_leave(back), 0);
	assert_int_equal(rtnl_route_alloc_cache(nl, AF_UNSPEC, 0, &cache), 0);
	for (o = nl_cache_get_first(cache); o && !found; o = nl_cache_get_next(o)) {
		struct rtnl_route *rt = (struct rtnl_route *)o;
		if (rtnl_route_get_table(rt) != RT_TABLE_MAIN ||
		    strcmp(nl_addr2str(rtnl_route_get_dst(rt), text, sizeof(text)), dst))
			continue;
		found = true;
		if (rtnl_route_get_metric(rt, RTAX_QUICKACK, &v) < 0)
			v = 0;
	}
	nl_cache_free(cache);
	nl_socket_free(nl);
	if (!found)
		fail_msg("host %d has no route to %s", host, dst);
	return v;
}

/* How many delayed ACKs host `from` sends for a FIN: from connects to `to`, whose side shuts
 * down (a FIN); once the server's socket is in FIN-WAIT-2 (the FIN is ACKed), the growth of
 * from's TcpExt.DelayedACKs. The client program does nothing, so without quickack that ACK
 * waits for the delayed-ACK timer (1); with it, it goes at once (0). */
static long long fin_delayed_acks(struct netns_sandbox *sb, int from, int to, int family)
{
	struct netns_sock socks[8];
	long long before, after;
	int lfd = listen_on(sb, to, family, 4), cfd, afd, n, tries = 0;

	assert_int_equal(connect_from(sb, from, to, family, FIRST_SYN_MS, &cfd), 0);
	afd = accept_within(lfd, FIRST_SYN_MS);
	assert_int_equal(netns_counter(sb, from, "TcpExt.DelayedACKs", &before), 0);
	assert_int_equal(shutdown(afd, SHUT_WR), 0);
	/* Awaits the state sock_diag shows, every millisecond, for at most 1 s (the delayed-ACK
	 * timer fires after 40 ms or so). */
	for (;;) {
		n = netns_sockets(sb, to, socks, 8);
		assert_in_range(n, 0, 8);
		assert_true(n >= 0);
		if (find_sock(socks, n, family, TCP_FIN_WAIT2, PORT, local_port(cfd)))
			break;
		assert_true(++tries < 1000);
		poll(NULL, 0, 1);
	}
	assert_int_equal(netns_counter(sb, from, "TcpExt.DelayedACKs", &after), 0);
	close(afd);
	close(cfd);
	close(lfd);
	return after - before;
}

/* 9. quickack: the metric lands on the host's subnet routes (both families) and nowhere else,
 *    a FIN is then ACKed at once rather than by the delayed-ACK timer, it comes back after a
 *    reboot, and "off" takes it away. In the router topology it lands on the routes via the
 *    gateway, which are the ones a connection to another host uses. */
static void test_quickack(void **state)
{
	static const int families[] = { AF_INET, AF_INET6 };
	char before[64], now[64];
	struct netns_sandbox *sb;

	self_ns(before);
	assert_int_equal(netns_sandbox_new(2, &sb), 0);
	assert_int_equal(route_quickack(sb, 0, "198.18.0.0/24"), 0);
	for (int i = 0; i < 2; i++)
		assert_int_equal(fin_delayed_acks(sb, 0, 1, families[i]), 1);

	assert_int_equal(netns_quickack(sb, 0, true), 0);
	assert_int_equal(route_quickack(sb, 0, "198.18.0.0/24"), 1);
	assert_int_equal(route_quickack(sb, 0, "2001:2::/64"), 1);
	assert_int_equal(route_quickack(sb, 1, "198.18.0.0/24"), 0);
	for (int i = 0; i < 2; i++)
		assert_int_equal(fin_delayed_acks(sb, 0, 1, families[i]), 0);
	/* Both ways on the same host: the server's own FINs still wait on host 1. */
	assert_int_equal(fin_delayed_acks(sb, 1, 0, AF_INET), 1);

	/* Remembered across a reboot, like a sysctl. */
	assert_int_equal(netns_quickack(sb, 1, true), 0);
	assert_int_equal(netns_host_reboot(sb, 1), 0);
	assert_int_equal(route_quickack(sb, 1, "198.18.0.0/24"), 1);
	assert_int_equal(route_quickack(sb, 1, "2001:2::/64"), 1);
	assert_int_equal(fin_delayed_acks(sb, 1, 0, AF_INET6), 0);

	assert_int_equal(netns_quickack(sb, 0, false), 0);
	assert_int_equal(route_quickack(sb, 0, "198.18.0.0/24"), 0);
	assert_int_equal(route_quickack(sb, 0, "2001:2::/64"), 0);
	assert_int_equal(fin_delayed_acks(sb, 0, 1, AF_INET), 1);
	assert_int_equal(netns_quickack(sb, NETNS_WIRE, true), -EINVAL);
	assert_int_equal(netns_quickack(sb, 2, true), -EINVAL);
	netns_sandbox_free(sb);

	assert_int_equal(netns_sandbox_new_topology(2, NETNS_ROUTER, &sb), 0);
	assert_int_equal(netns_quickack(sb, 0, true), 0);
	assert_int_equal(route_quickack(sb, 0, "198.18.0.0/15"), 1);
	assert_int_equal(route_quickack(sb, 0, "2001:2::/48"), 1);
	assert_int_equal(route_quickack(sb, 0, "198.18.1.0/24"), 1);
	for (int i = 0; i < 2; i++) {
		assert_int_equal(fin_delayed_acks(sb, 0, 1, families[i]), 0);
		assert_int_equal(fin_delayed_acks(sb, 1, 0, families[i]), 1);
	}
	assert_int_equal(netns_host_reboot(sb, 0), 0);
	assert_int_equal(route_quickack(sb, 0, "198.18.0.0/15"), 1);
	assert_int_equal(route_quickack(sb, 0, "2001:2::/48"), 1);
	assert_int_equal(fin_delayed_acks(sb, 0, 1, AF_INET), 0);
	netns_sandbox_free(sb);
	self_ns(now);
	assert_string_equal(before, now);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_connect_and_sockets, setup, teardown),
		cmocka_unit_test_setup_teardown(test_sysctl, setup, teardown),
		cmocka_unit_test_setup_teardown(test_blackhole, setup, teardown),
		cmocka_unit_test_setup_teardown(test_nft, setup, teardown),
		cmocka_unit_test_setup_teardown(test_reboot, setup, teardown),
		cmocka_unit_test_setup_teardown(test_counter, setup, teardown),
		cmocka_unit_test(test_helpers),
		cmocka_unit_test(test_four_hosts),
		cmocka_unit_test(test_router),
		cmocka_unit_test(test_quickack),
	};
	struct netns_sandbox *sb;
	int r = netns_sandbox_new(1, &sb);

	if (r == -EPERM || r == -EACCES) {
		fprintf(stderr, "skipped: cannot create network namespaces (%s); "
			"needs root or CAP_SYS_ADMIN+CAP_NET_ADMIN\n", netns_new_error());
		return 77;
	}
	if (r < 0) {
		fprintf(stderr, "error: cannot create a sandbox: %s\n", netns_new_error());
		return 1;
	}
	netns_sandbox_free(sb);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
