/* SPDX-License-Identifier: MIT */
/*
 * The middlebox: what the router of the router topology does to the connections it forwards
 * (a NAT or firewall that forgets idle connections, a smaller MTU whose ICMP is filtered, SNAT,
 * a connection table with a limit), and the host setting that goes with port exhaustion. Each
 * is an nftables table (or a sysctl, an MTU) inside the sandbox's own namespaces, so it dies
 * with them. Tables: "add" then "delete" first makes each batch idempotent and atomic.
 *
 * Uses only netns.h's public functions, plus netns_fail() for its error sentences. Runs in
 * the thread that owns the sandbox.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <net/if.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <nftables/libnftables.h>

#include "internal.h"

static int need_router(struct netns_sandbox *sb, const char *what)
{
	if (!sb || netns_topology(sb) != NETNS_ROUTER)
		return netns_fail(sb, -EINVAL, "%s: there is no router between the hosts", what);
	return 0;
}

/* netns_nft() in the router, with a refusal for lack of a kernel part (libnftables leaves the
 * kernel's ENOENT or EOPNOTSUPP: no such expression, nf_conntrack or NAT not built) turned into
 * -ENOENT with a sentence naming what is missing. */
static int router_nft(struct netns_sandbox *sb, const char *cmd, const char *what, const char *needs)
{
	char why[sizeof "nft: " + 1200];
	int r = netns_nft(sb, NETNS_WIRE, cmd);

	if (r != -ENOENT && r != -EOPNOTSUPP)
		return r;
	snprintf(why, sizeof why, "%s", netns_last_error(sb));
	return netns_fail(sb, -ENOENT, "%s: this kernel lacks %s (%s)", what, needs, why);
}

/* The established timeout of conntrack's TCP: Linux's default, five days. */
#define CT_ESTABLISHED_DEFAULT "432000"

int netns_idle_timeout(struct netns_sandbox *sb, unsigned seconds, enum netns_idle how)
{
	char cmd[1024], secs[16];
	int r;

	if ((r = need_router(sb, "idle-timeout")) < 0)
		return r;
	snprintf(secs, sizeof secs, "%u", seconds);
	/* Only tracked connections and SYNs pass: conntrack alone would pick a forgotten
	 * connection up again from its next segment (nf_conntrack_tcp_loose, 1 by default). nft
	 * 1.0 wants a newline, not "; }", after a reject statement. */
	snprintf(cmd, sizeof cmd, "add table inet tcpfault_idle\n"
		 "delete table inet tcpfault_idle\n"
		 "table inet tcpfault_idle {\n"
		 "  counter forgotten { }\n"
		 "  chain forward {\n"
		 "    type filter hook forward priority 0;\n"
		 "    meta l4proto != tcp accept\n"
		 "    ct state established,related accept\n"
		 "    tcp flags & (syn | ack | fin | rst) == syn ct state new accept\n"
		 "    counter name forgotten %s\n"
		 "  }\n"
		 "}\n", how == NETNS_IDLE_RESET ? "reject with tcp reset" : "drop");
	if (how == NETNS_IDLE_OFF)
		cmd[strlen("add table inet tcpfault_idle\ndelete table inet tcpfault_idle\n")] = '\0';
	/* The table first: its ct expressions load nf_conntrack where it is a module, and with it
	 * the sysctl. */
	if ((r = router_nft(sb, cmd, "idle-timeout", "connection tracking in nftables (nf_conntrack, nft_ct)")) < 0)
		return r;
	r = netns_sysctl_set(sb, NETNS_WIRE, "net.netfilter.nf_conntrack_tcp_timeout_established",
			     how == NETNS_IDLE_OFF ? CT_ESTABLISHED_DEFAULT : secs);
	if (r == -ENOENT)
		return netns_fail(sb, r, "idle-timeout: this kernel lacks the sysctl "
			    "net.netfilter.nf_conntrack_tcp_timeout_established");
	return r;
}

int netns_link_mtu(struct netns_sandbox *sb, int host, unsigned mtu, bool silent)
{
	struct ifreq ifr = { 0 };
	int back, fd, r;

	if ((r = need_router(sb, "mtu")) < 0)
		return r;
	if (host < 0 || (unsigned)host >= netns_host_count(sb))
		return netns_fail(sb, -EINVAL, "mtu: no host %d", host);
	netns_wire_ifname(host, ifr.ifr_name);
	ifr.ifr_mtu = (int)mtu;
	if ((r = netns_enter(sb, NETNS_WIRE, &back)) < 0)
		return netns_fail(sb, r, "mtu: entering the router's namespace");
	fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	r = fd < 0 || ioctl(fd, SIOCSIFMTU, &ifr) < 0 ? -errno : 0;
	if (fd >= 0)
		close(fd);
	netns_leave(back);
	if (r < 0)
		return netns_fail(sb, r, "mtu: setting the MTU of %s to %u", ifr.ifr_name, mtu);
	/* Every "too big" the router sends, whichever link it is about: one table. */
	return netns_nft(sb, NETNS_WIRE, silent ?
			 "add table inet tcpfault_toobig\n"
			 "delete table inet tcpfault_toobig\n"
			 "table inet tcpfault_toobig {\n"
			 "  counter toobig { }\n"
			 "  chain out {\n"
			 "    type filter hook output priority 0;\n"
			 "    icmp type destination-unreachable icmp code frag-needed counter name toobig drop\n"
			 "    icmpv6 type packet-too-big counter name toobig drop\n"
			 "  }\n"
			 "}\n" :
			 "add table inet tcpfault_toobig\n"
			 "delete table inet tcpfault_toobig\n");
}

int netns_port_range(struct netns_sandbox *sb, int host, unsigned low, unsigned high)
{
	char range[32];

	if (!sb || host < 0 || low > high)
		return netns_fail(sb, -EINVAL, "port-range on host %d", host);
	snprintf(range, sizeof range, "%u %u", low, high);
	return netns_sysctl_set(sb, host, "net.ipv4.ip_local_port_range", range);
}

int netns_snat(struct netns_sandbox *sb, int host, unsigned low, unsigned high)
{
	char cmd[1024], ifname[16], a4[64], a6[64];
	int r, n;

	if ((r = need_router(sb, "snat")) < 0)
		return r;
	if (host < 0 || (unsigned)host >= netns_host_count(sb) || !netns_addr(sb, host, AF_INET, a4) ||
	    !netns_addr(sb, host, AF_INET6, a6) || low > high)
		return netns_fail(sb, -EINVAL, "snat: no host %d", host);
	netns_wire_ifname(host, ifname);
	n = snprintf(cmd, sizeof cmd, "add table inet tcpfault_snat_%s\n"
		     "delete table inet tcpfault_snat_%s\n", ifname, ifname);
	if (low)
		snprintf(cmd + n, sizeof cmd - (size_t)n,
			 "table inet tcpfault_snat_%s {\n"
			 "  chain post {\n"
			 "    type nat hook postrouting priority 100;\n"
			 "    ip saddr %s meta l4proto tcp masquerade to :%u-%u\n"
			 "    ip6 saddr %s meta l4proto tcp masquerade to :%u-%u\n"
			 "  }\n"
			 "}\n", ifname, a4, low, high, a6, low, high);
	return router_nft(sb, cmd, "snat", "NAT in nftables (nf_nat, nft_masq) for both families");
}

int netns_conntrack_max(struct netns_sandbox *sb, unsigned max)
{
	char cmd[1024];
	int r, n;

	if ((r = need_router(sb, "conntrack-max")) < 0)
		return r;
	n = snprintf(cmd, sizeof cmd, "add table inet tcpfault_ctmax\ndelete table inet tcpfault_ctmax\n");
	if (max)
		snprintf(cmd + n, sizeof cmd - (size_t)n,
			 "table inet tcpfault_ctmax {\n"
			 "  counter ctfull { }\n"
			 "  chain forward {\n"
			 "    type filter hook forward priority -10;\n"
			 "    ct state new ct count over %u counter name ctfull drop\n"
			 "  }\n"
			 "}\n", max);
	return router_nft(sb, cmd, "conntrack-max", "connection counting in nftables (nf_conntrack, nft_connlimit)");
}

/* "counter NAME {" then "packets N" in 'list counters' output. */
static int counter_packets(const char *text, const char *name, long long *ret)
{
	char head[128];
	const char *at;

	snprintf(head, sizeof head, "counter %s {", name);
	for (at = strstr(text, head); at; at = strstr(at + 1, head)) {
		if (at != text && at[-1] != ' ' && at[-1] != '\t')
			continue;
		const char *p = strstr(at, "packets ");
		if (!p)
			break;
		*ret = strtoll(p + 8, NULL, 10);
		return 0;
	}
	return -ENOENT;
}

int netns_nft_counter(struct netns_sandbox *sb, int host, const char *name, long long *ret)
{
	struct nft_ctx *nft = NULL;
	int back, r;

	if ((r = netns_enter(sb, host, &back)) < 0)
		return netns_fail(sb, r, "reading counter Nft.%s: entering the namespace", name);
	nft = nft_ctx_new(NFT_CTX_DEFAULT);
	if (!nft) {
		netns_leave(back);
		return netns_fail(sb, -ENOMEM, "reading counter Nft.%s", name);
	}
	nft_ctx_buffer_output(nft);
	nft_ctx_buffer_error(nft);
	r = nft_run_cmd_from_buffer(nft, "list counters") == 0 ?
	    counter_packets(nft_ctx_get_output_buffer(nft), name, ret) : -EIO;
	nft_ctx_free(nft);
	netns_leave(back);
	if (r < 0)
		return netns_fail(sb, r, "reading counter Nft.%s (an nftables counter of that name)", name);
	return 0;
}
