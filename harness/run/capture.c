/* SPDX-License-Identifier: MIT */
/*
 * Capture: libpcap in the wire namespace, where every host's link ends: on one interface (the
 * wire side of a host's link, both directions, as a tap on that cable), or on all of them at
 * once ("any", with a filter that takes each packet once, as it enters the wire from its
 * sender; runner.c). Either way it survives what happens to the hosts. Runs in the scenario's
 * worker process; the pcap handle is non-blocking and polled by the
 * runner's event loop. Sequence numbers are made relative per direction, as tcpdump shows them.
 * ICMP and ICMPv6 errors that quote a TCP segment (what a router sends back) are kept too, as
 * packets with icmp set, named by their type and code; other ICMP is only written to the pcap.
 *
 * Times are when a packet was sent, not when the wire took it. A host's veth hands what it sends
 * to the wire namespace's backlog, and the capture there stamps it only when that namespace's
 * softirq runs it: under emulation and load up to 352 ms later (a 6.1 guest; the receive side
 * cannot do better: 5.18+ keeps TCP's delivery time in skb->tstamp, so the tap takes "now", and
 * 5.10 clears it crossing namespaces). So each host also has a tap on its own eth0, in its own
 * namespace, taking what it sends (PACKET_OUTGOING): the kernel hands it the packet in the
 * sender's own context (dev_queue_xmit_nit(), veth has no qdisc), before veth_xmit() passes it
 * on, and stamps it then. Each wire packet takes the time of its copy at its sender (the same
 * bytes from the IP header on; the copy is always queued first). What the router sends is
 * captured leaving the wire namespace, in its sender's context already. A wire packet with no
 * copy (its sender's tap ring overflowed, or the window while a rebooted host's tap reopens)
 * keeps the wire's time and is marked untimed: a floor it would decide is an error, not a
 * verdict (run_too_soon()).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <net/ethernet.h>
#include <net/if.h>
#include <netinet/ip.h>
#include <netinet/ip6.h>
#include <netinet/tcp.h>
#include <pcap/pcap.h>
#include <poll.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <linux/filter.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>

#include "run.h"
#include "loop.h"
#include "netns.h"

#define MAX_FLOWS 4096

struct flow {
	int family;
	uint8_t src[16], dst[16];
	uint16_t sport, dport;
	uint32_t isn;
};

/* A copy of a packet as its sender sent it: the first TAP_KEY bytes from the IP header on. */
#define TAP_KEY 120
#define TAP_PENDING 4096
struct sent {
	int64_t real_us;                  /* CLOCK_REALTIME, as the wire's stamps */
	uint16_t len;                     /* bytes kept in key */
	uint8_t key[TAP_KEY];
};

/* One host's outbound tap: a TPACKET_V2 ring (stamped by the kernel as it copies, whatever
 * else wants timestamps), read into sent[] (oldest first) until wire packets claim them. */
#define TAP_FRAME 256
#define TAP_BLOCK 4096
#define TAP_BLOCKS 256                    /* 4096 frames, 1 MiB: half of what the wire's ring holds */
struct tap {
	int fd;                           /* -1: none */
	uint8_t *ring;
	unsigned next;                    /* the frame to read next */
	uint64_t ns;                      /* the host's namespace (its inode) the tap is in */
	struct sent *sent;                /* TAP_PENDING, a circle from head */
	size_t head, nsent;
};

struct capture {
	pcap_t *pcap;
	struct netns_sandbox *sb;         /* the wire's sandbox (capture_open_wire()), or NULL */
	struct tap taps[NETNS_MAX_HOSTS];
	unsigned untimed;                 /* wire packets of a host with no copy at their sender */
	int64_t lag_max_us;               /* the longest a packet took from its sender to the wire's stamp */
	size_t lag_pkt;                   /* which packet that was (its index) */
	int dlt;                          /* link type: Ethernet, or Linux cooked on "any" */
	pcap_dumper_t *dump;
	struct report_file file;          /* the capture's file: renamed into place when closed */
	pcap_t *dead;                     /* the file's link type, when it is not the capture's */
	u_char *v1;                       /* with dead: one frame converted, snaplen bytes */
	unsigned snaplen;
	struct packet *pkts;
	size_t npkts, cap;
	struct flow *flows;
	size_t nflows;
	int64_t real_minus_mono_us;       /* CLOCK_REALTIME - CLOCK_MONOTONIC when it opened */
	unsigned lost;                    /* frames read but not kept: no memory for them */
	unsigned base_recv, base_drop;    /* the kernel's counters when it (re)started */
};

void capture_flags(uint8_t f, char out[12])
{
	static const struct {
		uint8_t bit;
		char c;
	} order[] = { { TH_FIN, 'F' }, { TH_SYN, 'S' }, { TH_RST, 'R' }, { TH_PUSH, 'P' },
		      { TH_URG, 'U' }, { 0x40, 'E' }, { 0x80, 'W' }, { TH_ACK, '.' } };
	size_t n = 0;

	for (size_t i = 0; i < sizeof order / sizeof order[0]; i++)
		if (f & order[i].bit)
			out[n++] = order[i].c;
	if (n == 0)
		out[n++] = 'n';
	out[n] = 0;
}

/* The addresses of the last decoded packet, for host lookup and flow keys; for an ICMP error,
 * also those of the segment it quotes. */
struct addrs {
	uint8_t src[16], dst[16];
	uint8_t qsrc[16], qdst[16];
	bool outgoing;                    /* captured leaving an interface (cooked frames only) */
};

/* One family-neutral name for an ICMP(v6) error, so one scenario serves both families. */
static void icmp_name(int family, uint8_t type, uint8_t code, char out[24])
{
	const char *n = NULL;

	if (family == AF_INET && type == 3)
		n = code == 0 ? "net-unreachable" : code == 1 ? "host-unreachable" :
		    code == 2 ? "prot-unreachable" : code == 3 ? "port-unreachable" :
		    code == 4 ? "frag-needed" : code == 9 || code == 10 || code == 13 ? "admin-prohibited" : NULL;
	else if (family == AF_INET && type == 11)
		n = "ttl-exceeded";
	else if (family == AF_INET6 && type == 1)
		n = code == 0 ? "net-unreachable" : code == 1 ? "admin-prohibited" :
		    code == 3 ? "host-unreachable" : code == 4 ? "port-unreachable" : NULL;
	else if (family == AF_INET6 && type == 2)
		n = "frag-needed";
	else if (family == AF_INET6 && type == 3)
		n = "ttl-exceeded";
	if (n)
		snprintf(out, 24, "%s", n);
	else
		snprintf(out, 24, "icmp%s-%u-%u", family == AF_INET6 ? "6" : "", type, code);
}

/* The TCP segment an ICMP(v6) error at icmp (left bytes) quotes: its ports, seq and payload
 * length into p, its addresses into a. -EINVAL if it is not an error quoting TCP. */
static int decode_icmp(const uint8_t *icmp, size_t left, int family, struct packet *p, struct addrs *a)
{
	const uint8_t *q = icmp + 8;
	size_t qhl, qlen;

	if (left < 8)
		return -EINVAL;
	if (family == AF_INET ? icmp[0] != 3 && icmp[0] != 11 : icmp[0] < 1 || icmp[0] > 3)
		return -EINVAL;
	left -= 8;
	if (family == AF_INET) {
		/* Copied out, as in decode(): the quoted header is not aligned for struct ip. */
		struct ip ip_copy;
		const struct ip *ip = &ip_copy;
		if (left < sizeof(struct ip))
			return -EINVAL;
		memcpy(&ip_copy, q, sizeof ip_copy);
		if (ip->ip_v != 4 || ip->ip_p != IPPROTO_TCP)
			return -EINVAL;
		qhl = (size_t)ip->ip_hl * 4;
		qlen = ntohs(ip->ip_len);
		memcpy(a->qsrc, &ip->ip_src, 4);
		memcpy(a->qdst, &ip->ip_dst, 4);
	} else {
		struct ip6_hdr ip6_copy;
		const struct ip6_hdr *ip6 = &ip6_copy;
		if (left < sizeof(struct ip6_hdr))
			return -EINVAL;
		memcpy(&ip6_copy, q, sizeof ip6_copy);
		if (ip6->ip6_nxt != IPPROTO_TCP)
			return -EINVAL;
		qhl = sizeof *ip6;
		qlen = qhl + ntohs(ip6->ip6_plen);
		memcpy(a->qsrc, &ip6->ip6_src, 16);
		memcpy(a->qdst, &ip6->ip6_dst, 16);
	}
	/* RFC 792 promises only the first 8 bytes of TCP: ports and sequence number. */
	if (qhl < 20 || left < qhl + 8)
		return -EINVAL;
	const uint8_t *th = q + qhl;
	p->sport = (uint16_t)(th[0] << 8 | th[1]);
	p->dport = (uint16_t)(th[2] << 8 | th[3]);
	p->seq = (uint32_t)th[4] << 24 | (uint32_t)th[5] << 16 | (uint32_t)th[6] << 8 | th[7];
	if (left >= qhl + 13 && qlen >= qhl + (size_t)(th[12] >> 4) * 4)
		p->len = (uint32_t)(qlen - qhl - (size_t)(th[12] >> 4) * 4);
	p->icmp = true;
	icmp_name(family, icmp[0], icmp[1], p->flags);
	return 0;
}

/* A frame of link type dlt: Ethernet (EtherType at 12, 14 bytes), Linux cooked v1 (protocol
 * at 14, 16 bytes) or v2 (protocol at 0, 20 bytes). */
static int decode(int dlt, const uint8_t *frame, size_t caplen, struct packet *p, struct addrs *a)
{
	size_t hdr = dlt == DLT_LINUX_SLL2 ? 20 : dlt == DLT_LINUX_SLL ? 16 : 14;
	size_t at = dlt == DLT_LINUX_SLL2 ? 0 : dlt == DLT_LINUX_SLL ? 14 : 12;

	if (caplen < hdr)
		return -EINVAL;
	uint16_t type = (uint16_t)(frame[at] << 8 | frame[at + 1]);
	const uint8_t *l3 = frame + hdr;
	size_t left = caplen - hdr;
	const uint8_t *l4;
	size_t iplen;

	memset(p, 0, sizeof *p);
	memset(a, 0, sizeof *a);
	p->from = p->to = -1;
	/* The cooked header's packet type: 4 is PACKET_OUTGOING. */
	a->outgoing = dlt == DLT_LINUX_SLL ? (frame[0] << 8 | frame[1]) == 4 : dlt == DLT_LINUX_SLL2 && frame[10] == 4;
	if (type == ETHERTYPE_IP) {
		if (left < sizeof(struct ip))
			return -EINVAL;
		/* Copied out: a frame's IP header sits 14 bytes in, not aligned for struct ip. */
		struct ip ip_copy;
		memcpy(&ip_copy, l3, sizeof ip_copy);
		const struct ip *ip = &ip_copy;
		size_t hl = (size_t)ip->ip_hl * 4;
		if (ip->ip_v != 4 || hl < 20 || left < hl ||
		    (ip->ip_p != IPPROTO_TCP && ip->ip_p != IPPROTO_ICMP))
			return -EINVAL;
		iplen = ntohs(ip->ip_len);
		if (iplen < hl)
			return -EINVAL;
		p->family = AF_INET;
		memcpy(a->src, &ip->ip_src, 4);
		memcpy(a->dst, &ip->ip_dst, 4);
		l4 = l3 + hl;
		iplen -= hl;
		left -= hl;
		if (ip->ip_p == IPPROTO_ICMP)
			return decode_icmp(l4, left, AF_INET, p, a);
	} else if (type == ETHERTYPE_IPV6) {
		if (left < sizeof(struct ip6_hdr))
			return -EINVAL;
		struct ip6_hdr ip6_copy;
		memcpy(&ip6_copy, l3, sizeof ip6_copy);
		const struct ip6_hdr *ip6 = &ip6_copy;
		if (ip6->ip6_nxt != IPPROTO_TCP && ip6->ip6_nxt != IPPROTO_ICMPV6)
			return -EINVAL;
		p->family = AF_INET6;
		memcpy(a->src, &ip6->ip6_src, 16);
		memcpy(a->dst, &ip6->ip6_dst, 16);
		l4 = l3 + sizeof *ip6;
		iplen = ntohs(ip6->ip6_plen);
		left -= sizeof *ip6;
		if (ip6->ip6_nxt == IPPROTO_ICMPV6)
			return decode_icmp(l4, left, AF_INET6, p, a);
	} else {
		return -EINVAL;
	}
	if (left < sizeof(struct tcphdr))
		return -EINVAL;
	struct tcphdr th_copy;
	memcpy(&th_copy, l4, sizeof th_copy);
	const struct tcphdr *th = &th_copy;
	size_t thl = (size_t)th->th_off * 4;
	if (thl < 20 || iplen < thl)
		return -EINVAL;
	p->sport = ntohs(th->th_sport);
	p->dport = ntohs(th->th_dport);
	p->seq = ntohl(th->th_seq);
	p->ack = ntohl(th->th_ack);
	p->len = (uint32_t)(iplen - thl);
	p->win = ntohs(th->th_win);
	capture_flags(th->th_flags, p->flags);
	if (!(th->th_flags & TH_ACK))
		p->ack = 0;
	return 0;
}

int capture_decode(const uint8_t *frame, size_t caplen, struct packet *ret)
{
	struct addrs a;
	return decode(DLT_EN10MB, frame, caplen, ret, &a);
}

static struct flow *flow_find(struct capture *c, int family, const uint8_t *src, const uint8_t *dst,
			      uint16_t sport, uint16_t dport)
{
	size_t alen = family == AF_INET ? 4 : 16;

	for (size_t i = c->nflows; i-- > 0;) {
		struct flow *f = &c->flows[i];
		if (f->family == family && f->sport == sport && f->dport == dport &&
		    memcmp(f->src, src, alen) == 0 && memcmp(f->dst, dst, alen) == 0)
			return f;
	}
	return NULL;
}

/* Makes seq/ack relative. A SYN starts (or restarts) a direction's numbering. An ICMP error's
 * seq is the quoted segment's, relative to that segment's direction. */
static void relativize(struct capture *c, struct packet *p, const struct addrs *a)
{
	if (p->icmp) {
		struct flow *q = flow_find(c, p->family, a->qsrc, a->qdst, p->sport, p->dport);
		if (q)
			p->seq -= q->isn;
		return;
	}
	struct flow *f = flow_find(c, p->family, a->src, a->dst, p->sport, p->dport);

	p->abs_seq = p->seq;
	p->abs_ack = p->ack;
	if (!f || strchr(p->flags, 'S')) {
		if (!f && c->nflows < MAX_FLOWS) {
			f = &c->flows[c->nflows++];
			f->family = p->family;
			memcpy(f->src, a->src, 16);
			memcpy(f->dst, a->dst, 16);
			f->sport = p->sport;
			f->dport = p->dport;
		}
		if (f)
			f->isn = p->seq;
	}
	struct flow *rev = flow_find(c, p->family, a->dst, a->src, p->dport, p->sport);
	if (f)
		p->seq -= f->isn;
	if (rev && p->ack)
		p->ack -= rev->isn;
}

/* The file gets cooked v1 frames: v2's interface index means nothing outside the wire
 * namespace (tcpdump would name the reader's own interfaces). -EIO with err[] set. */
static int open_file(struct capture *c, const char *pcap_path, char *err, size_t errlen)
{
	if (c->dlt == DLT_LINUX_SLL2 && !c->dead && (!(c->dead = pcap_open_dead(DLT_LINUX_SLL, (int)c->snaplen)) ||
					 !(c->v1 = malloc(c->snaplen)))) {
		snprintf(err, errlen, "writing %s: out of memory", pcap_path);
		return -ENOMEM;
	}
	/* A temporary file beside the final one, never through a link (outfile.c); close-on-exec. */
	char why[600];
	int fd = report_file_open(pcap_path, &c->file, why, sizeof why);
	FILE *fp = fd >= 0 ? fdopen(fd, "we") : NULL;
	if (fd < 0 || !fp) {
		int r = fd < 0 ? fd : -errno;
		if (fd >= 0) {
			close(fd);
			snprintf(why, sizeof why, "%s: %s", pcap_path, strerror(-r));
		}
		report_file_abandon(&c->file);
		snprintf(err, errlen, "writing %s", why);
		return r;
	}
	if (!(c->dump = pcap_dump_fopen(c->dead ? c->dead : c->pcap, fp))) {
		snprintf(err, errlen, "writing %s: %s", pcap_path, pcap_geterr(c->dead ? c->dead : c->pcap));
		fclose(fp);
		report_file_abandon(&c->file);
		return -EIO;
	}
	return 0;
}

/* The link type and the filter, once the handle is active. */
static int set_filter(struct capture *c, const char *ifname, const char *filter, char *err, size_t errlen)
{
	struct bpf_program prog;

	/* On "any", cooked v2 frames: they carry the interface, which a filter can name. */
	if (strcmp(ifname, "any") == 0 && pcap_set_datalink(c->pcap, DLT_LINUX_SLL2) < 0) {
		snprintf(err, errlen, "capturing on %s: %s", ifname, pcap_geterr(c->pcap));
		return -EIO;
	}
	c->dlt = pcap_datalink(c->pcap);
	if (c->dlt != DLT_EN10MB && c->dlt != DLT_LINUX_SLL && c->dlt != DLT_LINUX_SLL2) {
		snprintf(err, errlen, "capturing on %s: link type %d, neither Ethernet nor Linux cooked", ifname, c->dlt);
		return -EIO;
	}
	if (pcap_compile(c->pcap, &prog, filter ? filter : "tcp or icmp or icmp6", 1, PCAP_NETMASK_UNKNOWN) < 0) {
		snprintf(err, errlen, "capture filter: %s", pcap_geterr(c->pcap));
		return -EIO;
	}
	int set = pcap_setfilter(c->pcap, &prog);
	pcap_freecode(&prog);   /* the handle keeps its own copy, if any */
	if (set < 0) {
		snprintf(err, errlen, "capture filter: %s", pcap_geterr(c->pcap));
		return -EIO;
	}
	return 0;
}

int capture_open(const char *ifname, const char *filter, const char *pcap_path, size_t ring, unsigned snaplen,
		 struct capture **ret, char *err, size_t errlen)
{
	char perr[PCAP_ERRBUF_SIZE] = "";
	struct capture *c = calloc(1, sizeof *c);
	int r;

	if (!c)
		return -ENOMEM;
	c->file = (struct report_file){ .fd = -1, .dirfd = -1 };
	for (int h = 0; h < NETNS_MAX_HOSTS; h++)
		c->taps[h].fd = -1;
	c->flows = calloc(MAX_FLOWS, sizeof *c->flows);
	struct timespec real;
	clock_gettime(CLOCK_REALTIME, &real);
	c->real_minus_mono_us = (int64_t)real.tv_sec * 1000000 + real.tv_nsec / 1000 - clock_us();
	if (!c->flows) {
		free(c);
		return -ENOMEM;
	}
	c->pcap = pcap_create(ifname, perr);
	r = -EIO;
	if (!c->pcap) {
		snprintf(err, errlen, "pcap_create %s: %s", ifname, perr);
		goto fail;
	}
	/* CAPTURE_RING, 2 MiB: some 6000 frames of 256 bytes (CAPTURE_RING_SNAPLEN; as many
	 * frames of a larger snaplen take more) between two reads (a run reads at
	 * every turn of its loop); the benchmark's 1000 concurrent connections lose none. 8 MiB
	 * cost 4 ms more per run to set up (page allocation, and libpcap's drain when the filter is
	 * set), so a larger ring is for floods only (capture_ring_for()). TCPFAULT_CAPTURE_BUFFER
	 * (bytes) makes it smaller, so that a test can make it lose. */
	c->snaplen = snaplen ? snaplen : CAPTURE_SNAPLEN;
	size_t want = (ring ? ring : CAPTURE_RING) / CAPTURE_RING_SNAPLEN * c->snaplen;   /* as many frames */
	int bufsize = (int)(want < (256u << 20) ? want : 256u << 20);
	const char *env = getenv("TCPFAULT_CAPTURE_BUFFER");
	if (env && atoi(env) > 0)
		bufsize = atoi(env);
	if (pcap_set_snaplen(c->pcap, (int)c->snaplen) || pcap_set_immediate_mode(c->pcap, 1) ||
	    pcap_set_buffer_size(c->pcap, bufsize) || pcap_set_timeout(c->pcap, 1)) {
		snprintf(err, errlen, "configuring the capture on %s", ifname);
		goto fail;
	}
	int a = pcap_activate(c->pcap);
	if (a < 0) {
		snprintf(err, errlen, "capturing on %s: %s", ifname, pcap_geterr(c->pcap));
		r = a == PCAP_ERROR_PERM_DENIED ? -EPERM : -EIO;
		goto fail;
	}
	/* libpcap's packet socket has no close-on-exec: every peer and exec'd program would hold it. */
	int fd = pcap_get_selectable_fd(c->pcap);
	if (fd < 0 || fcntl(fd, F_SETFD, FD_CLOEXEC) < 0) {
		r = fd < 0 ? -EBADF : -errno;
		snprintf(err, errlen, "capturing on %s: close-on-exec: %s", ifname, strerror(-r));
		goto fail;
	}
	if ((r = set_filter(c, ifname, filter, err, errlen)) < 0)
		goto fail;
	r = -EIO;
	if (pcap_setnonblock(c->pcap, 1, perr) < 0) {
		snprintf(err, errlen, "capture: %s", perr);
		goto fail;
	}
	if (pcap_path && (r = open_file(c, pcap_path, err, errlen)) < 0)
		goto fail;
	*ret = c;
	return 0;
fail:
	capture_free(c);
	return r;
}

/* ---- the hosts' outbound taps ---- */

#define TAP_FRAMES (TAP_BLOCK / TAP_FRAME * TAP_BLOCKS)

/* The socket and its ring go; the copies read from it stay (packets still on their way to the
 * wire claim them). */
static void tap_close_ring(struct tap *t)
{
	if (t->ring)
		munmap(t->ring, (size_t)TAP_BLOCK * TAP_BLOCKS);
	if (t->fd >= 0)
		close(t->fd);
	t->ring = NULL;
	t->fd = -1;
	t->next = 0;
	t->ns = 0;
}

static void tap_close(struct tap *t)
{
	tap_close_ring(t);
	free(t->sent);
	*t = (struct tap){ .fd = -1 };
}

/* Host's tap, in its namespace: what eth0 sends, IPv4 and IPv6, a frame's worth of each. The
 * filter is attached before the socket is bound, so nothing else ever reaches the ring (and
 * there is nothing to drain, unlike libpcap's pcap_setfilter()). */
static int tap_open(struct capture *c, int host, char *err, size_t errlen)
{
	static struct sock_filter code[] = {
		BPF_STMT(BPF_LD | BPF_B | BPF_ABS, SKF_AD_OFF + SKF_AD_PKTTYPE),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, PACKET_OUTGOING, 0, 4),
		BPF_STMT(BPF_LD | BPF_H | BPF_ABS, 12),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, ETH_P_IP, 1, 0),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, ETH_P_IPV6, 0, 1),
		BPF_STMT(BPF_RET | BPF_K, TAP_FRAME),
		BPF_STMT(BPF_RET | BPF_K, 0),
	};
	struct sock_fprog prog = { sizeof code / sizeof code[0], code };
	struct tpacket_req req = { .tp_block_size = TAP_BLOCK, .tp_block_nr = TAP_BLOCKS, .tp_frame_size = TAP_FRAME,
				   .tp_frame_nr = TAP_FRAMES };
	struct tap *t = &c->taps[host];
	int version = TPACKET_V2, back, r;
	struct stat st;

	tap_close_ring(t);
	if (!t->sent && !(t->sent = malloc(TAP_PENDING * sizeof *t->sent)))
		return -ENOMEM;
	if ((r = netns_enter(c->sb, host, &back)) < 0) {
		snprintf(err, errlen, "the tap on host %d's link: entering its namespace: %s", host, strerror(-r));
		return r;
	}
	struct sockaddr_ll sll = { .sll_family = AF_PACKET, .sll_protocol = htons(ETH_P_ALL),
				   .sll_ifindex = (int)if_nametoindex("eth0") };
	const char *what = "socket";
	t->fd = socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	r = t->fd < 0 ? -errno : 0;
	if (!r && setsockopt(t->fd, SOL_SOCKET, SO_ATTACH_FILTER, &prog, sizeof prog) < 0)
		r = -errno, what = "its filter";
	if (!r && setsockopt(t->fd, SOL_PACKET, PACKET_VERSION, &version, sizeof version) < 0)
		r = -errno, what = "TPACKET_V2";
	if (!r && setsockopt(t->fd, SOL_PACKET, PACKET_RX_RING, &req, sizeof req) < 0)
		r = -errno, what = "its ring";
	if (!r && (t->ring = mmap(NULL, (size_t)TAP_BLOCK * TAP_BLOCKS, PROT_READ | PROT_WRITE, MAP_SHARED, t->fd, 0)) ==
		  MAP_FAILED) {
		r = -errno, what = "mapping its ring";
		t->ring = NULL;
	}
	if (!r && !sll.sll_ifindex)
		r = -ENODEV, what = "eth0";
	if (!r && bind(t->fd, (struct sockaddr *)&sll, sizeof sll) < 0)
		r = -errno, what = "bind";
	if (netns_leave(back) < 0)
		abort(); /* running on in the host's namespace would put every later step in the wrong place */
	if (!r)
		t->ns = fstat(netns_fd(c->sb, host), &st) == 0 ? (uint64_t)st.st_ino : 0;
	if (r < 0) {
		snprintf(err, errlen, "the tap on host %d's link: %s: %s", host, what, strerror(-r));
		tap_close_ring(t);
	}
	return r;
}

/* Moves what t's ring holds into t->sent (a full one loses its oldest: that packet will be
 * untimed). Bounded by the ring's size. */
static void tap_read(struct tap *t)
{
	for (unsigned n = 0; t->ring && n < TAP_FRAMES; n++) {
		struct tpacket2_hdr *h = (struct tpacket2_hdr *)(t->ring + (size_t)t->next * TAP_FRAME);
		if (!(__atomic_load_n(&h->tp_status, __ATOMIC_ACQUIRE) & TP_STATUS_USER))
			break;
		size_t l2 = h->tp_net - h->tp_mac, len = h->tp_net >= h->tp_mac && h->tp_snaplen > l2 ? h->tp_snaplen - l2 : 0;
		if (t->nsent == TAP_PENDING) {
			t->head = (t->head + 1) % TAP_PENDING;
			t->nsent--;
		}
		struct sent *s = &t->sent[(t->head + t->nsent++) % TAP_PENDING];
		s->real_us = (int64_t)h->tp_sec * 1000000 + h->tp_nsec / 1000;
		s->len = (uint16_t)(len < TAP_KEY ? len : TAP_KEY);
		memcpy(s->key, (const uint8_t *)h + h->tp_net, s->len);
		__atomic_store_n(&h->tp_status, TP_STATUS_KERNEL, __ATOMIC_RELEASE);
		t->next = (t->next + 1) % TAP_FRAMES;
	}
}

/* The send time (real us) of the oldest copy in t of the packet l3 (len bytes from its IP
 * header; the wire took it at wire_us), which it claims; 0 if there is none. Claimed copies
 * at the head go, and so do copies sent over 10 s before the wire took it: a packet waits in a
 * backlog far less (0.8 s seen), so their own wire packets were lost or filtered. Only the
 * oldest TAP_SCAN are looked at: a copy is claimed in about the order the copies came (two
 * CPUs' backlogs can swap a few), and a miss (its sender's tap lost it: a flood) must not cost
 * a scan of thousands for each of its packets. */
#define TAP_SCAN 256
static int64_t tap_claim(struct tap *t, const uint8_t *l3, size_t len, int64_t wire_us)
{
	int64_t at = 0;

	while (t->nsent && (!t->sent[t->head].len || t->sent[t->head].real_us < wire_us - 10000000)) {
		t->head = (t->head + 1) % TAP_PENDING;
		t->nsent--;
	}
	for (size_t i = 0; i < t->nsent && i < TAP_SCAN && !at; i++) {
		struct sent *s = &t->sent[(t->head + i) % TAP_PENDING];
		size_t n = len < s->len ? len : s->len;
		if (s->len && n >= 20 && memcmp(s->key, l3, n) == 0) {
			at = s->real_us;
			s->len = 0;
		}
	}
	while (t->nsent && !t->sent[t->head].len) {
		t->head = (t->head + 1) % TAP_PENDING;
		t->nsent--;
	}
	return at;
}

/* When a wire packet from host (l3, len bytes from its IP header, taken at wire_us) was sent,
 * real us: its sender's copy (what its ring holds read first: a look at one frame's status
 * when empty); with an address no host owns (-1), any host's. 0 if none has it. */
static int64_t sent_time(struct capture *c, int host, const uint8_t *l3, size_t len, int64_t wire_us)
{
	int64_t at = 0;

	for (int h = 0; h < NETNS_MAX_HOSTS && !at; h++)
		if ((host < 0 || h == host) && c->taps[h].sent) {
			tap_read(&c->taps[h]);
			at = tap_claim(&c->taps[h], l3, len, wire_us);
		}
	return at;
}

int capture_tap(struct capture *c, int host, char *err, size_t errlen)
{
	if (!c->sb || host < 0 || host >= NETNS_MAX_HOSTS)
		return 0;
	return tap_open(c, host, err, errlen);
}

void capture_untap(struct capture *c, int host)
{
	if (c && host >= 0 && host < NETNS_MAX_HOSTS) {
		tap_read(&c->taps[host]);
		tap_close_ring(&c->taps[host]);
	}
}

int capture_open_wire(struct netns_sandbox *sb, const char *pcap_path, size_t ring, unsigned snaplen,
		      struct capture **ret, char *err, size_t errlen)
{
	/* Each packet once, as it enters the wire from its sender's link; in the router topology
	 * also what the router itself sends (its ICMP errors), which only ever leaves. Not what
	 * the bridge passes up to br0 itself (a broadcast or multicast frame, again). */
	char filter[1024] = "(tcp or icmp or icmp6) and (inbound", addr[64];
	size_t n = strlen(filter);
	int back, r;

	for (unsigned h = 0; netns_topology(sb) == NETNS_ROUTER && h < netns_host_count(sb); h++)
		for (int f = 0; f < 2; f++)
			n += (size_t)snprintf(filter + n, sizeof filter - n, "%s src host %s",
					      h || f ? " or" : " or (outbound and (",
					      netns_router_addr((int)h, f ? AF_INET6 : AF_INET, addr));
	/* And the TCP segments the router makes itself with a host's address (an idle timeout's
	 * RST): the hop limit it gives them is 64, what it forwards left a host with 64 and leaves
	 * it with 63. capture_poll() shows them as the router's. */
	snprintf(filter + n, sizeof filter - n, "%s)", netns_topology(sb) == NETNS_ROUTER ?
		 ")) or (outbound and tcp and ((ip and ip[8] = 64) or (ip6 and ip6[7] = 64)))" : "");
	if ((r = netns_enter(sb, NETNS_WIRE, &back)) < 0) {
		snprintf(err, errlen, "entering the wire namespace: %s", strerror(-r));
		return r;
	}
	unsigned br0 = if_nametoindex("br0");
	if (br0) {
		n = strlen(filter);
		snprintf(filter + n, sizeof filter - n, " and not ifindex %u", br0);
	}
	r = capture_open("any", filter, pcap_path, ring, snaplen, ret, err, errlen);
	if (netns_leave(back) < 0)
		abort(); /* running on in the wire namespace would put every later step in the wrong place */
	if (r < 0)
		return r;
	(*ret)->sb = sb;
	for (unsigned h = 0; h < netns_host_count(sb); h++)
		if ((r = tap_open(*ret, (int)h, err, errlen)) < 0) {
			capture_free(*ret);
			*ret = NULL;
			return r;
		}
	return 0;
}

void capture_end_file(struct capture *c)
{
	/* The capture is complete: it takes the final name (a worker killed before this leaves
	 * only its temporary file, never a half-written NAME.pcap). */
	if (c->dump) {
		FILE *fp = pcap_dump_file(c->dump);
		bool ok = fflush(fp) == 0 && !ferror(fp);
		pcap_dump_close(c->dump);
		c->dump = NULL;
		if (ok)
			report_file_commit(&c->file);
	}
	report_file_abandon(&c->file);
	c->file = (struct report_file){ .fd = -1, .dirfd = -1 };
}

/* Whether no CPU has a received packet queued (its backlog: /proc/net/softnet_stat's 12th
 * column, every CPU's input and process queues; the machine's, not a namespace's). A frame a
 * host's veth sent waits there until the tap on the wire's side has seen it. */
static bool backlogs_empty(void)
{
	char line[256];
	bool empty = true;
	FILE *f = fopen("/proc/net/softnet_stat", "re");

	if (!f)
		return false;
	while (empty && fgets(line, sizeof line, f)) {
		unsigned v[12];
		empty = sscanf(line, "%x %x %x %x %x %x %x %x %x %x %x %x", &v[0], &v[1], &v[2], &v[3], &v[4], &v[5],
			       &v[6], &v[7], &v[8], &v[9], &v[10], &v[11]) == 12 && v[11] == 0;
	}
	fclose(f);
	return empty;
}

int capture_restart(struct capture *c, const char *pcap_path, char *err, size_t errlen)
{
	struct pcap_pkthdr *h;
	const u_char *data;
	struct timespec real;

	capture_end_file(c);
	/* The sandbox was reset, but a frame of the last run (or the RST of a socket the reset
	 * destroyed) may still be on its way to the ring: until no CPU's backlog holds a packet
	 * with the ring read empty, else until quiet (no frame for 2 ms: other traffic of the
	 * machine's keeps a backlog busy), at most 50 ms. Bounded: a ring holds far fewer
	 * frames; nothing runs in the sandbox any more. The wait for quiet cost 2 ms a run. */
	int64_t until = clock_us() + 50000;
	int drained = 0;
	for (bool more = true; more && drained < 1 << 20;) {
		while (drained < 1 << 20 && pcap_next_ex(c->pcap, &h, &data) > 0)
			drained++;
		if (backlogs_empty()) {
			while (drained < 1 << 20 && pcap_next_ex(c->pcap, &h, &data) > 0)
				drained++;   /* a frame that left the backlog as we read it */
			break;
		}
		struct pollfd p = { .fd = pcap_get_selectable_fd(c->pcap), .events = POLLIN };
		int64_t left = until - clock_us();
		more = left > 0 && poll(&p, 1, left < 2000 ? 1 : 2) > 0 && (p.revents & POLLIN);
	}
	/* The taps: a host made anew (netns_sandbox_reset()) gets a new one; the others are read
	 * empty, like the ring. */
	for (unsigned i = 0; c->sb && i < netns_host_count(c->sb); i++) {
		struct stat st;
		struct tap *t = &c->taps[i];
		if (!t->ring || fstat(netns_fd(c->sb, (int)i), &st) < 0 || (uint64_t)st.st_ino != t->ns) {
			int r = tap_open(c, (int)i, err, errlen);
			if (r < 0)
				return r;
		}
		tap_read(t);
		t->head = t->nsent = 0;
	}
	c->untimed = 0;
	c->lag_max_us = 0;
	c->npkts = c->nflows = 0;
	c->lost = 0;
	c->base_recv = c->base_drop = 0;
	capture_stats(c, &c->base_recv, &c->base_drop);
	clock_gettime(CLOCK_REALTIME, &real);
	c->real_minus_mono_us = (int64_t)real.tv_sec * 1000000 + real.tv_nsec / 1000 - clock_us();
	return pcap_path ? open_file(c, pcap_path, err, errlen) : 0;
}

void capture_free(struct capture *c)
{
	if (!c)
		return;
	capture_end_file(c);
	if (c->dead)
		pcap_close(c->dead);
	free(c->v1);
	if (c->pcap)
		pcap_close(c->pcap);
	for (int h = 0; h < NETNS_MAX_HOSTS; h++)
		tap_close(&c->taps[h]);
	free(c->pkts);
	free(c->flows);
	free(c);
}

int capture_fd(const struct capture *c)
{
	return pcap_get_selectable_fd(c->pcap);
}

/* Writes a frame to the file; a cooked v2 frame as v1 (packet type, ARPHRD type, address
 * length, 8 address bytes, protocol; then the same payload). */
static void dump_frame(struct capture *c, const struct pcap_pkthdr *h, const u_char *data)
{
	if (!c->dead) {
		pcap_dump((u_char *)c->dump, h, data);
		return;
	}
	if (h->caplen < 20)
		return;   /* shorter than a cooked v2 header: nothing to convert */
	/* v1's header is 4 bytes shorter than v2's: the frame fits in snaplen. */
	u_char *v1 = c->v1;
	struct pcap_pkthdr h1 = *h;
	size_t body = h->caplen - 20 < c->snaplen - 16 ? h->caplen - 20 : c->snaplen - 16;
	memset(v1, 0, 16);
	v1[1] = data[10];                 /* packet type */
	memcpy(v1 + 2, data + 8, 2);      /* ARPHRD type */
	v1[5] = data[11];                 /* address length */
	memcpy(v1 + 6, data + 12, 8);     /* address */
	memcpy(v1 + 14, data, 2);         /* protocol */
	memcpy(v1 + 16, data + 20, body);
	h1.caplen = (bpf_u_int32)(16 + body);
	h1.len = h->len >= 4 ? h->len - 4 : h->len;
	pcap_dump((u_char *)c->dump, &h1, v1);
}

int capture_poll(struct capture *c, int64_t origin_us)
{
	struct pcap_pkthdr *h;
	const u_char *data;
	int added = 0;
	size_t l2 = c->dlt == DLT_LINUX_SLL2 ? 20 : c->dlt == DLT_LINUX_SLL ? 16 : 14;

	/* Bounded: at most this many frames per call; the caller polls again. */
	for (int i = 0; i < 4096; i++) {
		int r = pcap_next_ex(c->pcap, &h, &data);
		if (r <= 0)
			break;
		struct packet p;
		struct addrs a;
		if (decode(c->dlt, data, h->caplen, &p, &a) < 0) {
			if (c->dump)
				dump_frame(c, h, data);
			continue;
		}
		p.from = netns_router_owns(p.family, a.src) ? HOST_ROUTER : netns_host_by_addr(p.family, a.src);
		/* A TCP segment leaving the wire is one the router made itself with a host's
		 * address (the filter lets nothing else out): the router sent it. */
		if (a.outgoing && !p.icmp)
			p.from = HOST_ROUTER;
		p.to = netns_router_owns(p.family, a.dst) ? HOST_ROUTER : netns_host_by_addr(p.family, a.dst);
		/* What leaves the wire namespace was stamped as its router sent it; what a host sent,
		 * by its own tap. */
		int64_t wire = (int64_t)h->ts.tv_sec * 1000000 + h->ts.tv_usec, real = wire;
		if (c->sb && !a.outgoing && h->caplen > l2) {
			int64_t at = sent_time(c, p.from, data + l2, h->caplen - l2, wire);
			if (at && at <= wire) {
				real = at;
				if (wire - at > c->lag_max_us) {
					c->lag_max_us = wire - at;
					c->lag_pkt = c->npkts;
				}
			} else if (!at) {
				p.untimed = true;
				c->untimed++;
			}
		}
		if (c->dump) {
			struct pcap_pkthdr sent = *h;
			sent.ts.tv_sec = (time_t)(real / 1000000);
			sent.ts.tv_usec = (suseconds_t)(real % 1000000);
			dump_frame(c, &sent, data);
		}
		/* The kernel stamps packets on CLOCK_REALTIME: onto the run's clock, once, here. */
		p.t_ms = (double)(real - c->real_minus_mono_us - origin_us) / 1000.0;
		relativize(c, &p, &a);
		if (c->npkts == c->cap) {
			size_t ncap = c->cap ? c->cap * 2 : 256;
			struct packet *g = realloc(c->pkts, ncap * sizeof *g);
			if (!g) {
				c->lost++;   /* gone from the ring: counted, so the run knows its capture is incomplete */
				return -ENOMEM;
			}
			c->pkts = g;
			c->cap = ncap;
		}
		c->pkts[c->npkts++] = p;
		added++;
	}
	if (c->dump)
		pcap_dump_flush(c->dump);
	return added;
}

size_t capture_count(const struct capture *c)
{
	return c->npkts;
}

const struct packet *capture_packet(const struct capture *c, size_t i)
{
	return i < c->npkts ? &c->pkts[i] : NULL;
}

void capture_stats(struct capture *c, unsigned *ret_recv, unsigned *ret_drop)
{
	struct pcap_stat st = { 0 };

	pcap_stats(c->pcap, &st);
	*ret_recv = st.ps_recv - c->base_recv;
	*ret_drop = st.ps_drop + st.ps_ifdrop - c->base_drop;
}

unsigned capture_lost(const struct capture *c)
{
	return c->lost;
}

unsigned capture_untimed(const struct capture *c)
{
	return c->untimed;
}

double capture_lag_max_ms(const struct capture *c, size_t *ret_index)
{
	*ret_index = c->lag_pkt;
	return (double)c->lag_max_us / 1000.0;
}

enum capture_loss capture_judge_loss(unsigned recv, unsigned drop, unsigned lost, bool packets_checked,
				     char *msg, size_t len)
{
	char kernel[64] = "", ours[64] = "";

	if (!drop && !lost)
		return CAPTURE_COMPLETE;
	if (drop)
		snprintf(kernel, sizeof kernel, "the kernel dropped %u of %u packets", drop, recv);
	if (lost)
		snprintf(ours, sizeof ours, "%u packets could not be kept (out of memory)", lost);
	snprintf(msg, len, "%s: %s%s%s%s", packets_checked ? "capture incomplete" : "capture", kernel,
		 drop && lost ? "; " : "", ours, packets_checked ? "; the packet checks cannot be trusted" : "");
	return packets_checked ? CAPTURE_LOSS_ERROR : CAPTURE_LOSS_NOTE;
}

/* Measured: a flood of 65,535 SYNs makes 196,605 packets on the wire (SYN, SYN-ACK, the
 * sender's RST) in well under a second; a 16 MiB ring lost 21,936 of them while the run read
 * them, 32 MiB none. 256 bytes a packet leaves room for a slower machine. */
size_t capture_ring_for(const struct scenario *s)
{
	size_t ring = CAPTURE_RING;

	for (size_t i = 0; i < s->nsteps; i++) {
		const struct step *st = &s->steps[i];
		if (st->kind == STEP_OP && strcmp(st->op.name, "synflood") == 0)
			ring += (size_t)strtoul(st->op.args[2], NULL, 10) * 3 * 256;
	}
	return ring < (256u << 20) ? ring : 256u << 20;
}
