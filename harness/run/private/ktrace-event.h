/* SPDX-License-Identifier: MIT OR GPL-2.0 */
/*
 * What the kernel tracer's BPF program (bpf/ktrace.bpf.c) hands the worker (ktrace.c) through
 * its ring buffer: one record per tracepoint hit in a watched network namespace. Included by
 * both sides: the BPF side after vmlinux.h, the worker after <linux/types.h>.
 */
#pragma once

enum ktrace_kind {
	KTRACE_EV_STATE = 1,     /* sock:inet_sock_set_state: a = from, b = to (TCP_* numbers) */
	KTRACE_EV_SEND_RST,      /* tcp:tcp_send_reset: a = reason (enum sk_rst_reason) if KTRACE_HAS_REASON */
	KTRACE_EV_RECV_RST,      /* tcp:tcp_receive_reset */
	KTRACE_EV_RETRANS,       /* tcp:tcp_retransmit_skb: a = the socket's state, b = its icsk_ca_state,
				  * seq = the segment's; KTRACE_LOSS_PROBE if the loss probe timer fired */
	KTRACE_EV_DROP,          /* skb:kfree_skb: a = reason (enum skb_drop_reason), b = IP protocol */
	KTRACE_EV_TIMEWAIT,      /* timer:timer_start of a timewait socket: a = its state */
	KTRACE_EV_TIMEWAIT_END,  /* timer:timer_expire_entry or timer_cancel of a timewait socket: a = its state */
	KTRACE_EV_RETRANS_SYNACK, /* tcp:tcp_retransmit_synack: seq = the SYN-ACK's (the request's ISN) */
};

/* What the worker put beside a namespace's inode: its ring (the ring map's id) and the host. */
struct ktrace_watch {
	__u32 ring;
	__u32 host;
};

#define KTRACE_RING_BYTES (1u << 20)

#define KTRACE_HAS_REASON 1u
/* A retransmission sent while the socket's pending timer event was the tail loss probe's
 * (icsk_pending ICSK_TIME_LOSS_PROBE): tcp_write_timer_handler() leaves it set while
 * tcp_send_loss_probe() runs, and clears it before an RTO's tcp_retransmit_timer(). */
#define KTRACE_LOSS_PROBE 2u

struct ktrace_event {
	__u64 t_ns;           /* bpf_ktime_get_ns(): CLOCK_MONOTONIC, the run's clock */
	__u32 host;           /* the value the worker put beside the namespace's inode */
	__u32 kind;
	__s32 a, b;
	__u16 sport, dport;   /* host order; 0 where unknown (a drop) */
	__u32 flags;
	__u32 seq;            /* a retransmission: the segment's first sequence number, as on the wire */
};
