/* SPDX-License-Identifier: MIT OR GPL-2.0 */
/*
 * The kernel tracer's BPF side: BTF-typed tracepoints (tp_btf, so no tracefs is needed) whose
 * hits in the watched network namespaces (map netns_hosts: namespace inode -> host) go to the
 * worker through a ring buffer. Compiled once, with CO-RE: field offsets are relocated against
 * the running kernel's BTF at load time. Tracepoints whose arguments changed between kernels
 * have one program per shape; the worker loads the one the kernel has (ktrace.c).
 *
 * Everything is read with BPF_CORE_READ (bpf_probe_read_kernel): a NULL socket (a reset for a
 * segment that found none) or a timewait socket (only its sock_common is there) reads safely.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_endian.h>

#include "ktrace-event.h"

#define AF_INET 2
#define AF_INET6 10

char LICENSE[] SEC("license") = "Dual MIT/GPL";

/* The namespaces watched, by inode: which worker's ring, which host. Loaded once by the
 * controller and shared by its workers (ktrace.c): each run puts its own namespaces here, and
 * its own ring in rings under the ring's map id. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 4096);
	__type(key, __u32);
	__type(value, struct ktrace_watch);
} netns_hosts SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH_OF_MAPS);
	__uint(max_entries, 1024);
	__type(key, __u32);
	__array(values, struct {
		__uint(type, BPF_MAP_TYPE_RINGBUF);
		__uint(max_entries, KTRACE_RING_BYTES);
	});
} rings SEC(".maps");

/* Records dropped because a ring was full, by ring: the worker says so in the result. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 1024);
	__type(key, __u32);
	__type(value, __u64);
} lost SEC(".maps");

static __always_inline struct ktrace_watch *host_of_net(const struct net *net)
{
	__u32 inum = BPF_CORE_READ(net, ns.inum);

	return bpf_map_lookup_elem(&netns_hosts, &inum);
}

static __always_inline struct ktrace_watch *host_of_sk(const struct sock *sk)
{
	return sk ? host_of_net(BPF_CORE_READ(sk, __sk_common.skc_net.net)) : NULL;
}

static __always_inline struct ktrace_watch *host_of_skb(const struct sk_buff *skb)
{
	const struct sock *sk = BPF_CORE_READ(skb, sk);
	struct ktrace_watch *h = host_of_sk(sk);

	if (h)
		return h;
	const struct net_device *dev = BPF_CORE_READ(skb, dev);
	return dev ? host_of_net(BPF_CORE_READ(dev, nd_net.net)) : NULL;
}

static __always_inline void emit_seq(const struct ktrace_watch *w, __u32 kind, __s32 a, __s32 b, __u16 sport, __u16 dport,
				     __u32 flags, __u32 seq)
{
	__u32 ring = w->ring;
	void *rb = bpf_map_lookup_elem(&rings, &ring);
	struct ktrace_event *e = rb ? bpf_ringbuf_reserve(rb, sizeof *e, 0) : NULL;

	if (!e) {
		__u64 *n = bpf_map_lookup_elem(&lost, &ring);
		if (n)
			__sync_fetch_and_add(n, 1);
		return;
	}
	__u32 host = w->host;
	e->t_ns = bpf_ktime_get_ns();
	e->host = host;
	e->kind = kind;
	e->a = a;
	e->b = b;
	e->sport = sport;
	e->dport = dport;
	e->flags = flags;
	e->seq = seq;
	bpf_ringbuf_submit(e, 0);
}

static __always_inline void emit(const struct ktrace_watch *host, __u32 kind, __s32 a, __s32 b, __u16 sport, __u16 dport, __u32 flags)
{
	emit_seq(host, kind, a, b, sport, dport, flags, 0);
}

/* The ports of a full socket: local, remote. inet_sport, as the tracepoints' own records have
 * it: skc_num is zeroed when a closing socket gives its port back, before it is marked CLOSE. */
static __always_inline void sk_ports(const struct sock *sk, __u16 *sport, __u16 *dport)
{
	*sport = bpf_ntohs(BPF_CORE_READ((const struct inet_sock *)sk, inet_sport));
	*dport = bpf_ntohs(BPF_CORE_READ(sk, __sk_common.skc_dport));
}

SEC("tp_btf/inet_sock_set_state")
int BPF_PROG(ktrace_state, const struct sock *sk, int oldstate, int newstate)
{
	struct ktrace_watch *h = host_of_sk(sk);
	__u16 sport, dport;

	if (!h)
		return 0;
	sk_ports(sk, &sport, &dport);
	emit(h, KTRACE_EV_STATE, oldstate, newstate, sport, dport, 0);
	return 0;
}

/* A socket goes on as a timewait socket (state TIME-WAIT, or FIN-WAIT-2 after a close), and no
 * tracepoint says so: the full socket's own moves to CLOSE as the kernel frees it. The timewait
 * socket's timer is started first (in tcp_time_wait(), only once it exists): timer:timer_start
 * of a timer that is a timewait socket's tw_timer, in a watched namespace, says which state it
 * took; ktrace.c puts the two together. kprobes and fentry would name the function, but not
 * every kernel allows them (a kernel without CONFIG_KPROBES; fentry refused). A timer that is
 * not a timewait socket's reads as one in no watched namespace, or not in TIME-WAIT. */
static __always_inline void timewait_timer(struct timer_list *timer, __u32 kind)
{
	const struct inet_timewait_sock *tw = (const void *)((const char *)timer - bpf_core_field_offset(struct inet_timewait_sock, tw_timer));
	struct ktrace_watch *h;

	if (BPF_CORE_READ(tw, __tw_common.skc_state) != TCP_TIME_WAIT)
		return;
	__u16 family = BPF_CORE_READ(tw, __tw_common.skc_family);
	if ((family != AF_INET && family != AF_INET6) || !(h = host_of_net(BPF_CORE_READ(tw, __tw_common.skc_net.net))))
		return;
	emit(h, kind, BPF_CORE_READ(tw, tw_substate), 0, BPF_CORE_READ(tw, __tw_common.skc_num),
	     bpf_ntohs(BPF_CORE_READ(tw, __tw_common.skc_dport)), 0);
}

SEC("tp_btf/timer_start")
int BPF_PROG(ktrace_timer, struct timer_list *timer)
{
	timewait_timer(timer, KTRACE_EV_TIMEWAIT);
	return 0;
}

/* The end of a timewait socket: its timer fires (TIME-WAIT is over: inet_twsk_kill() follows)
 * or is stopped (a new connection takes the 4-tuple over, inet_twsk_deschedule_put(); the
 * namespace goes). A timer restarted (a FIN-WAIT-2 one getting the peer's FIN, a FIN sent
 * again) is stopped and started at once: ktrace.c takes the start that follows as undoing it. */
SEC("tp_btf/timer_expire_entry")
int BPF_PROG(ktrace_timer_expire, struct timer_list *timer)
{
	timewait_timer(timer, KTRACE_EV_TIMEWAIT_END);
	return 0;
}

SEC("tp_btf/timer_cancel")
int BPF_PROG(ktrace_timer_cancel, struct timer_list *timer)
{
	timewait_timer(timer, KTRACE_EV_TIMEWAIT_END);
	return 0;
}

/* A reset's host and ports: those of the segment it answers (skb, whose source it goes to), or
 * of the socket it aborts (skb NULL: an active reset). */
static __always_inline void reset(const struct sock *sk, const struct sk_buff *skb, __s32 reason, __u32 flags)
{
	__u16 sport = 0, dport = 0;
	struct ktrace_watch *h;

	if (skb) {
		struct tcphdr th;
		unsigned char *head = BPF_CORE_READ(skb, head);
		__u16 off = BPF_CORE_READ(skb, transport_header);

		h = sk ? host_of_sk(sk) : host_of_skb(skb);
		if (!h)
			return;
		if (bpf_probe_read_kernel(&th, sizeof th, head + off) == 0) {
			sport = bpf_ntohs(th.dest);
			dport = bpf_ntohs(th.source);
		}
	} else {
		h = host_of_sk(sk);
		if (!h)
			return;
		sk_ports(sk, &sport, &dport);
	}
	emit(h, KTRACE_EV_SEND_RST, reason, 0, sport, dport, flags);
}

/* Linux 6.10 on: the reason is the third argument. */
SEC("tp_btf/tcp_send_reset")
int BPF_PROG(ktrace_send_reset, const struct sock *sk, const struct sk_buff *skb, int reason)
{
	reset(sk, skb, reason, KTRACE_HAS_REASON);
	return 0;
}

/* Before 6.10: no reason. */
SEC("tp_btf/tcp_send_reset")
int BPF_PROG(ktrace_send_reset_noreason, const struct sock *sk, const struct sk_buff *skb)
{
	reset(sk, skb, 0, 0);
	return 0;
}

SEC("tp_btf/tcp_receive_reset")
int BPF_PROG(ktrace_receive_reset, struct sock *sk)
{
	struct ktrace_watch *h = host_of_sk(sk);
	__u16 sport, dport;

	if (!h)
		return 0;
	sk_ports(sk, &sport, &dport);
	emit(h, KTRACE_EV_RECV_RST, 0, 0, sport, dport, 0);
	return 0;
}

#define ICSK_TIME_LOSS_PROBE 5           /* include/net/inet_connection_sock.h: a macro, not in BTF */

/* A retransmission: the socket's state, congestion state, whether the loss probe timer is the
 * one firing (ktrace-event.h), and the segment's first sequence number (TCP_SKB_CB(skb)->seq,
 * the first word of skb->cb), by which the worker finds it in the capture. */
static __always_inline void retransmit(const struct sock *sk, const struct sk_buff *skb)
{
	const struct inet_connection_sock *icsk = (const void *)sk;
	struct ktrace_watch *h = host_of_sk(sk);
	__u16 sport, dport;
	__u32 seq = 0;

	if (!h)
		return;
	sk_ports(sk, &sport, &dport);
	__u8 ca_state = BPF_CORE_READ_BITFIELD_PROBED(icsk, icsk_ca_state);
	__u8 pending = BPF_CORE_READ(icsk, icsk_pending);
	bpf_probe_read_kernel(&seq, sizeof seq, (const char *)skb + bpf_core_field_offset(struct sk_buff, cb));
	emit_seq(h, KTRACE_EV_RETRANS, BPF_CORE_READ(sk, __sk_common.skc_state), ca_state, sport, dport,
		 pending == ICSK_TIME_LOSS_PROBE ? KTRACE_LOSS_PROBE : 0, seq);
}

/* Linux 6.18 on (or so): err is the third argument, and the tracepoint fires on failures too:
 * those never reached the wire. */
SEC("tp_btf/tcp_retransmit_skb")
int BPF_PROG(ktrace_retransmit_err, const struct sock *sk, const struct sk_buff *skb, int err)
{
	if (err == 0)
		retransmit(sk, skb);
	return 0;
}

SEC("tp_btf/tcp_retransmit_skb")
int BPF_PROG(ktrace_retransmit, const struct sock *sk, const struct sk_buff *skb)
{
	retransmit(sk, skb);
	return 0;
}

/* A listener's request socket sent its SYN-ACK again (inet_rtx_syn_ack(): not through
 * tcp_retransmit_skb). */
SEC("tp_btf/tcp_retransmit_synack")
int BPF_PROG(ktrace_retransmit_synack, const struct sock *sk, const struct request_sock *req)
{
	struct ktrace_watch *h = host_of_net(BPF_CORE_READ(req, __req_common.skc_net.net));

	if (!h)
		return 0;
	emit_seq(h, KTRACE_EV_RETRANS_SYNACK, 0, 0, BPF_CORE_READ(req, __req_common.skc_num),
		 bpf_ntohs(BPF_CORE_READ(req, __req_common.skc_dport)), 0,
		 BPF_CORE_READ((const struct tcp_request_sock *)req, snt_isn));
	return 0;
}

/* The IP protocol of a packet (its network header's), or 0. */
static __always_inline __u8 ip_protocol(const struct sk_buff *skb)
{
	unsigned char *nh = BPF_CORE_READ(skb, head) + BPF_CORE_READ(skb, network_header);
	__u8 first = 0, proto = 0;

	if (bpf_probe_read_kernel(&first, 1, nh) < 0)
		return 0;
	if (first >> 4 == 4)
		bpf_probe_read_kernel(&proto, 1, nh + 9);
	else if (first >> 4 == 6)
		bpf_probe_read_kernel(&proto, 1, nh + 6);     /* the first next header: TCP has no others here */
	return proto;
}

/* Linux 5.17 on: the drop reason is the third argument. Only TCP segments and ICMP errors: the
 * run's traffic (not the hosts' own IPv6 neighbour discovery and the like). */
SEC("tp_btf/kfree_skb")
int BPF_PROG(ktrace_drop, struct sk_buff *skb, void *location, int reason)
{
	struct ktrace_watch *h = host_of_skb(skb);
	__u8 proto;

	if (!h)
		return 0;
	proto = ip_protocol(skb);
	if (proto == 6 || proto == 1 || proto == 58)
		emit(h, KTRACE_EV_DROP, reason, proto, 0, 0, KTRACE_HAS_REASON);
	return 0;
}
