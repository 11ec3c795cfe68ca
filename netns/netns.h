/* SPDX-License-Identifier: MIT */
/*
 * netns: the sandbox a scenario runs in.
 *
 * A sandbox is a middle "wire" namespace holding a bridge, and N hosts (index 0..N-1, by
 * convention 0 = client, 1 = server), each its own anonymous network namespace linked to the
 * wire by a veth pair. All namespaces are anonymous: they are held only by the file descriptors
 * in the sandbox object and vanish when it is freed or the process dies. Nothing is ever done
 * in the namespace the caller started in.
 *
 * Host i:   interface "eth0", MAC 02:00:00:00:00:(i+1), 198.18.0.(i+1)/24 and 2001:2::(i+1)/64
 *           (no DAD), loopback up, permanent neighbour entries for every other host (so no ARP
 *           or NDP traffic and no neighbour timers shape a run), no default route.
 * Wire:     bridge "br0", ports "h0", "h1", ... (the wire side of host i's veth is "h<i>").
 *
 * Every function returns 0 (or a count) on success and -errno on failure; libnl's and
 * libnftables' own error codes are converted here and nowhere else. Library code: no logging;
 * netns_last_error() gives a human sentence about the last failure in this sandbox.
 *
 * Threads: a sandbox is used by one thread. Functions that act inside a host switch the calling
 * thread into that namespace and back before they return.
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <netinet/in.h>

#define NETNS_MAX_HOSTS 8
#define NETNS_WIRE (-1)

struct netns_sandbox;

/* Creates the wire and nhosts hosts (1..NETNS_MAX_HOSTS). On failure nothing is left behind
 * and netns_new_error() says what went wrong. */
int netns_sandbox_new(unsigned nhosts, struct netns_sandbox **ret);

/*
 * The wire's two shapes. NETNS_BRIDGE (the default) is the layout described above. In
 * NETNS_ROUTER the wire namespace routes instead of bridging, so a scenario has a hop that can
 * answer with ICMP errors:
 *
 * Host i:   eth0, MAC 02:00:00:00:00:(i+1), 198.18.(i+1).2/24 and 2001:2:0:(i+1)::2/64 (no
 *           DAD), a permanent neighbour entry for its gateway, and routes for 198.18.0.0/15 and
 *           2001:2::/48 via the gateway (still no default route: nothing can leave).
 * Router:   the wire namespace; h<i> has MAC 02:00:00:00:01:(i+1), 198.18.(i+1).1/24 and
 *           2001:2:0:(i+1)::1/64 (the hosts' gateway), a permanent neighbour entry for host i,
 *           forwarding on (in this namespace only) and no ICMP rate limits
 *           (net.ipv4.icmp_ratelimit and net.ipv6.icmp.ratelimit 0), so every error the
 *           scenario provokes is sent.
 */
enum netns_topology { NETNS_BRIDGE, NETNS_ROUTER };
int netns_sandbox_new_topology(unsigned nhosts, enum netns_topology topology,
			       struct netns_sandbox **ret);
enum netns_topology netns_topology(const struct netns_sandbox *sb);
/* A sentence about the last failed netns_sandbox_new() in this thread ("" if none). */
const char *netns_new_error(void);
/* Destroys everything; accepts NULL. */
void netns_sandbox_free(struct netns_sandbox *sb);
/*
 * Puts a bridge sandbox back as netns_sandbox_new() made it, for another run: call it once
 * every process that ran in it has died. In each host: a hold released, nft tables flushed
 * (and conntrack forgotten), netem removed, sysctls set through netns_sysctl_set() given back
 * the values they had before, route metrics (quickack, rto_min) removed, every TCP socket left
 * (TIME-WAIT, orphans) destroyed through sock_diag's SOCK_DESTROY, the TCP metrics cache
 * emptied; then its neighbour table is checked to hold only its permanent entries. Last, its
 * counters are read: netns_counter() then gives what was counted since (as in a new
 * namespace), but for the values that are not counts (Tcp.CurrEstab, Tcp.RtoMin...). A host
 * where any of that cannot be done or checked (a sysctl whose value was not read, a socket the
 * kernel will not destroy, a metrics cache that needs privilege to flush) is made anew, as
 * netns_host_reboot() makes it, with nothing of the run remembered; *ret_remade (if not NULL)
 * counts them. The wire is kept, and with it the capture's view. -EOPNOTSUPP for the router
 * topology or a wire that was changed (nft, sysctls): the caller frees it and makes a new one,
 * as it must on any error.
 */
int netns_sandbox_reset(struct netns_sandbox *sb, unsigned *ret_remade);

/* Gives the namespaces created from now on TCP hash tables of their own, of entries buckets
 * (net.ipv4.tcp_child_ehash_entries, set in the caller's namespace: call it only in a
 * namespace of your own, never the host's). Without it they share the host's table, sized for
 * the whole machine (262144 buckets here): each sock_diag dump walks all of it (2.6 ms against
 * 0.6 ms with 1024) and each namespace's teardown purges it. The defaults that follow from the
 * table's size (tcp_max_syn_backlog, tcp_max_tw_buckets) are read here and set in every host,
 * so scenarios see the values they would have seen. Returns 0 or -errno (then nothing
 * changed). */
int netns_own_hashes(unsigned entries);

/* A sentence about the last failure in this sandbox ("" if none). */
const char *netns_last_error(const struct netns_sandbox *sb);

unsigned netns_host_count(const struct netns_sandbox *sb);
/* The namespace fd of host (or NETNS_WIRE). The sandbox keeps ownership. */
int netns_fd(const struct netns_sandbox *sb, int host);
/* The wire-side interface name of host's link ("h0", ...). */
const char *netns_wire_ifname(int host, char buf[16]);
/* Host's address for family AF_INET or AF_INET6 in a topology, as text; needs no sandbox
 * (a scenario's placeholders are checked before any exists). NULL for a bad host or family. */
const char *netns_topology_addr(enum netns_topology topology, int host, int family, char buf[64]);
/* The same in the bridge topology. */
const char *netns_host_addr(int host, int family, char buf[64]);
/* Host's address in this sandbox, whatever its topology; NULL for a bad host or family. */
const char *netns_addr(const struct netns_sandbox *sb, int host, int family, char buf[64]);
/* The router's address on host's link (its gateway) in the router topology. */
const char *netns_router_addr(int host, int family, char buf[64]);
/* Which host owns an address (4 or 16 bytes), in either topology, or -1. The two topologies'
 * host addresses do not overlap, so no sandbox is needed to tell. */
int netns_host_by_addr(int family, const void *addr);
/* Whether an address is one of the router's (198.18.(i+1).1, 2001:2:0:(i+1)::1). */
bool netns_router_owns(int family, const void *addr);

/* Switches the calling thread into host's namespace; *ret_back is an fd to return with
 * netns_leave(). */
int netns_enter(const struct netns_sandbox *sb, int host, int *ret_back);
int netns_leave(int back);

/* Per-namespace sysctl, key as in sysctl(8): "net.ipv4.tcp_retries2". Values set on a host are
 * remembered and set again after netns_host_reboot(). Only a namespace's own value is ever
 * written: -EREMOTE (nothing written) where the key, though visible in the namespace, is the
 * whole machine's on this kernel (the namespace shows the same /proc/sys file as every other;
 * told without writing), -EROFS where the namespace shows it read-only, -ENOENT where the
 * kernel has no such key. Every sysctl this module sets is checked the same way. */
int netns_sysctl_set(struct netns_sandbox *sb, int host, const char *key, const char *value);
int netns_sysctl_get(struct netns_sandbox *sb, int host, const char *key, char *buf, size_t len);
/* 0 if key is the namespace's own, -EREMOTE if it is the machine's, -ENOENT if absent. */
int netns_sysctl_own(struct netns_sandbox *sb, int host, const char *key);

/* Turns delayed ACKs off (on = true) or back on for host: the quickack metric (RTAX_QUICKACK,
 * "ip route ... quickack 1") on every unicast route of its main table out of eth0, both
 * families and either topology (its subnet routes, and the routes via the gateway). TCP then
 * ACKs every segment at once, a FIN too, even where it would wait for the application's reply.
 * A connected socket may go on using the route it looked up before, so set it before
 * connecting. Remembered and set again after netns_host_reboot(), like sysctls. -EINVAL for
 * NETNS_WIRE (the router has no TCP of its own to speak of). */
int netns_quickack(struct netns_sandbox *sb, int host, bool on);
/* Sets the minimum retransmission timeout of host's connections to ms (0: the kernel's own):
 * the rto_min metric, locked, on the same routes as quickack ("ip route ... rto_min MS"). A
 * route metric, unlike net.ipv4.tcp_rto_min_us (6.x only), works on every kernel. Kept across
 * a reboot. */
int netns_rto_min(struct netns_sandbox *sb, int host, unsigned ms);

/* Drops every IPv4 and IPv6 packet entering or leaving host (an nftables table inside the
 * host's namespace, hooked at ingress of eth0 and at output), or lifts that. */
int netns_blackhole(struct netns_sandbox *sb, int host, bool on);

/* Holds what host sends on eth0 (on), or lets it go, in order (off): netem-free delay. The
 * host's neighbour entries go and its ARP requests and IPv6 neighbour solicitations are dropped
 * (nftables, inside the host), so the kernel queues every packet for an unresolved neighbour
 * (per neighbour up to net.ipv4.neigh.eth0.unres_qlen_bytes, 208 KiB by default; with
 * mcast_solicit raised to 100, for about 100 s, after which the entry fails and the kernel
 * drops them; a retransmission then waits anew). Off puts the permanent entries back, which sends the queue. A reboot ends a
 * hold. -EINVAL for NETNS_WIRE. */
int netns_hold(struct netns_sandbox *sb, int host, bool on);

/* In the router topology: the router answers every packet it would forward to host with an
 * ICMP error (ICMP host unreachable / ICMPv6 address unreachable for NETNS_UNREACH_HOST, ICMP
 * net unreachable / ICMPv6 no route for NETNS_UNREACH_NET), by an nftables reject rule in the
 * wire namespace; NETNS_REACHABLE lifts it. -EINVAL in the bridge topology. */
enum netns_unreach { NETNS_REACHABLE, NETNS_UNREACH_HOST, NETNS_UNREACH_NET };
int netns_unreachable(struct netns_sandbox *sb, int host, enum netns_unreach how);

/* Runs nftables commands (nft(8) syntax, one or more lines, applied as one batch) inside
 * host's namespace; what they create dies with the namespace. */
int netns_nft(struct netns_sandbox *sb, int host, const char *commands);

/*
 * The middlebox (middlebox.c): what the router of NETNS_ROUTER does to the connections it
 * forwards, each an nftables table in the wire namespace (and dies with it). -EINVAL in the
 * bridge topology.
 *
 * netns_idle_timeout: the router tracks connections (conntrack) and forgets one idle for
 * seconds (net.netfilter.nf_conntrack_tcp_timeout_established, in the wire namespace only).
 * It forwards only what it knows: packets of tracked connections, and SYNs, which start one;
 * anything else (a forgotten connection's segments) is dropped (NETNS_IDLE_DROP) or answered
 * with an RST to its sender (NETNS_IDLE_RESET), counted in the nftables counter "forgotten".
 * Connections made before it are unknown to it. NETNS_IDLE_OFF lifts it.
 */
enum netns_idle { NETNS_IDLE_OFF, NETNS_IDLE_DROP, NETNS_IDLE_RESET };
int netns_idle_timeout(struct netns_sandbox *sb, unsigned seconds, enum netns_idle how);
/* The MTU of the router's end of host's link (the host's own end stays 1500, so it still
 * announces an MSS of 1460). What the router would forward to host and is larger draws ICMP
 * "fragmentation needed" / ICMPv6 "packet too big"; with silent those are dropped on their way
 * out of the router (counter "toobig"): a PMTU blackhole. A frame from host larger than mtu is
 * dropped where it enters the router. */
int netns_link_mtu(struct netns_sandbox *sb, int host, unsigned mtu, bool silent);
/* host's ephemeral ports (net.ipv4.ip_local_port_range, both families); kept across a reboot. */
int netns_port_range(struct netns_sandbox *sb, int host, unsigned low, unsigned high);
/* The router masquerades host's connections: their source becomes the router's address on the
 * way out, with a source port from low-high (low 0: off). */
int netns_snat(struct netns_sandbox *sb, int host, unsigned low, unsigned high);
/* The router tracks at most max connections: a packet that would start one more is dropped
 * (an nftables "ct count over max" on new connections, counter "ctfull": the per-namespace
 * emulation of a full nf_conntrack table, whose limit is the whole machine's). 0: off. */
int netns_conntrack_max(struct netns_sandbox *sb, unsigned max);
/* paths.c: what one host sends another is lost at the receiver's ingress (an nftables chain
 * per source in table inet tcpfault_paths inside host to): every packet (flags NULL), or TCP
 * segments whose flags are exactly flags (tcpdump letters, "S."), only the first first of them
 * (0: all). netns_heal() lifts every such drop from -> to. Both families. */
int netns_drop(struct netns_sandbox *sb, int from, int to, const char *flags, unsigned first);
int netns_heal(struct netns_sandbox *sb, int from, int to);
/* Sends, from host from's namespace (a raw socket: its address as the source), a bare RST to
 * host to's address: ports sport -> dport, sequence number seq (absolute). */
int netns_inject_rst(struct netns_sandbox *sb, int from, int to, int family, uint16_t sport, uint16_t dport,
		     uint32_t seq);

/* The same with netem ("loss 100%") on both ends of host's link, where the kernel has netem;
 * -EOPNOTSUPP where it has not (netns_last_error() says so). */
int netns_netem_blackhole(struct netns_sandbox *sb, int host, bool on);

/* Packets the wire side of host's link received and sent (its own counters). */
int netns_link_stats(struct netns_sandbox *sb, int host, uint64_t *ret_rx, uint64_t *ret_tx);

/* Whether this kernel has the netem qdisc (probed once, in a scratch namespace). */
bool netns_netem_available(void);

/* A host reboot: its namespace and veth pair are destroyed (all its sockets and TCP state die
 * with it) and a new namespace is plugged into the wire with the same interface name, MAC,
 * addresses, neighbours and remembered sysctls (not a blackhole or nft rules: they died with
 * it). The link is cut first, so a process still running in the old namespace can no longer
 * reach the wire; the caller ends such processes, and ending them afterwards is what a power
 * cut looks like (their sockets' dying FIN or RST goes nowhere). The wire and other hosts are
 * untouched; returns once the new host is reachable. */
int netns_host_reboot(struct netns_sandbox *sb, int host);

/* One TCP socket as sock_diag reports it. */
struct netns_sock {
	int family;
	uint8_t state;            /* TCP_ESTABLISHED ... from <netinet/tcp.h> */
	char src[64], dst[64];
	uint16_t sport, dport;
	uint32_t rqueue, wqueue;  /* for LISTEN: accept queue fill and its limit */
};
/* The TCP sockets of host (both families); returns how many there are, of which the first max
 * are stored (a caller that finds more than max knows its list is cut short). */
#define NETNS_MAX_SOCKS 4096
int netns_sockets(struct netns_sandbox *sb, int host, struct netns_sock *out, unsigned max);
/* "ESTABLISHED", "SYN-SENT", ... as ss(8) names them. */
const char *netns_state_name(uint8_t state);
/* Parses a name as netns_state_name() gives it (also accepts '_' for '-'); -EINVAL if unknown. */
int netns_state_from_name(const char *name);

/* A counter of host's namespace from /proc/net/netstat or /proc/net/snmp, named
 * "TcpExt.ListenOverflows" or "Tcp.RetransSegs"; "Nft.NAME" is the packets of the nftables
 * counter NAME (in any table of the namespace). */
int netns_counter(struct netns_sandbox *sb, int host, const char *name, long long *ret);
/* The TCP counters (Tcp. and TcpExt.) of host's namespace now, as text for
 * netns_counters_changed(); *ret is the caller's to free. 0 or -errno. */
int netns_counters_snapshot(struct netns_sandbox *sb, int host, char **ret);
/* Calls fn, in the kernel's order, for each TCP counter of host's namespace that differs from
 * what before (a snapshot of that same namespace) says, with the difference; values that are
 * not counts (Tcp.CurrEstab, Tcp.RtoMin...) are left out. 0 or -errno. */
int netns_counters_changed(struct netns_sandbox *sb, int host, const char *before,
			   void (*fn)(const char *name, long long delta, void *arg), void *arg);
