/* SPDX-License-Identifier: MIT */
/*
 * Capture: libpcap on one interface of the wire namespace (the wire side of a host's link), so
 * it sees both directions as a tap on the cable would and survives what happens to the hosts.
 * Runs in the scenario's worker process; the pcap handle is non-blocking and polled by the
 * runner's event loop. Sequence numbers are made relative per direction, as tcpdump shows them.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <net/ethernet.h>
#include <netinet/ip.h>
#include <netinet/ip6.h>
#include <netinet/tcp.h>
#include <pcap/pcap.h>
#include <sys/socket.h>

#include "harness.h"
#include "netns.h"

#define MAX_FLOWS 4096

struct flow {
	int family;
	uint8_t src[16], dst[16];
	uint16_t sport, dport;
	uint32_t isn;
};

struct capture {
	pcap_t *pcap;
	pcap_dumper_t *dump;
	struct packet *pkts;
	size_t npkts, cap;
	struct flow *flows;
	size_t nflows;
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

/* The addresses of the last decoded packet, for host lookup and flow keys. */
struct addrs {
	uint8_t src[16], dst[16];
};

static int decode(const uint8_t *frame, size_t caplen, struct packet *p, struct addrs *a)
{
	if (caplen < sizeof(struct ether_header))
		return -EINVAL;
	uint16_t type = (uint16_t)(frame[12] << 8 | frame[13]);
	const uint8_t *l3 = frame + sizeof(struct ether_header);
	size_t left = caplen - sizeof(struct ether_header);
	const uint8_t *l4;
	size_t iplen;

	memset(p, 0, sizeof *p);
	memset(a, 0, sizeof *a);
	p->from = p->to = -1;
	if (type == ETHERTYPE_IP) {
		if (left < sizeof(struct ip))
			return -EINVAL;
		const struct ip *ip = (const struct ip *)l3;
		size_t hl = (size_t)ip->ip_hl * 4;
		if (ip->ip_v != 4 || hl < 20 || left < hl || ip->ip_p != IPPROTO_TCP)
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
	} else if (type == ETHERTYPE_IPV6) {
		if (left < sizeof(struct ip6_hdr))
			return -EINVAL;
		const struct ip6_hdr *ip6 = (const struct ip6_hdr *)l3;
		if (ip6->ip6_nxt != IPPROTO_TCP)
			return -EINVAL;
		p->family = AF_INET6;
		memcpy(a->src, &ip6->ip6_src, 16);
		memcpy(a->dst, &ip6->ip6_dst, 16);
		l4 = l3 + sizeof *ip6;
		iplen = ntohs(ip6->ip6_plen);
		left -= sizeof *ip6;
	} else {
		return -EINVAL;
	}
	if (left < sizeof(struct tcphdr))
		return -EINVAL;
	const struct tcphdr *th = (const struct tcphdr *)l4;
	size_t thl = (size_t)th->th_off * 4;
	if (thl < 20 || iplen < thl)
		return -EINVAL;
	p->sport = ntohs(th->th_sport);
	p->dport = ntohs(th->th_dport);
	p->seq = ntohl(th->th_seq);
	p->ack = ntohl(th->th_ack);
	p->len = (uint32_t)(iplen - thl);
	capture_flags(th->th_flags, p->flags);
	if (!(th->th_flags & TH_ACK))
		p->ack = 0;
	return 0;
}

int capture_decode(const uint8_t *frame, size_t caplen, struct packet *ret)
{
	struct addrs a;
	return decode(frame, caplen, ret, &a);
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

/* Makes seq/ack relative. A SYN starts (or restarts) a direction's numbering. */
static void relativize(struct capture *c, struct packet *p, const struct addrs *a)
{
	struct flow *f = flow_find(c, p->family, a->src, a->dst, p->sport, p->dport);

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

int capture_open(const char *ifname, const char *pcap_path, struct capture **ret, char *err, size_t errlen)
{
	char perr[PCAP_ERRBUF_SIZE] = "";
	struct bpf_program prog;
	struct capture *c = calloc(1, sizeof *c);
	int r;

	if (!c)
		return -ENOMEM;
	c->flows = calloc(MAX_FLOWS, sizeof *c->flows);
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
	if (pcap_set_snaplen(c->pcap, 256) || pcap_set_immediate_mode(c->pcap, 1) ||
	    pcap_set_buffer_size(c->pcap, 8 << 20) || pcap_set_timeout(c->pcap, 1)) {
		snprintf(err, errlen, "configuring the capture on %s", ifname);
		goto fail;
	}
	int a = pcap_activate(c->pcap);
	if (a < 0) {
		snprintf(err, errlen, "capturing on %s: %s", ifname, pcap_geterr(c->pcap));
		r = a == PCAP_ERROR_PERM_DENIED ? -EPERM : -EIO;
		goto fail;
	}
	if (pcap_compile(c->pcap, &prog, "tcp", 1, PCAP_NETMASK_UNKNOWN) < 0 ||
	    pcap_setfilter(c->pcap, &prog) < 0) {
		snprintf(err, errlen, "capture filter: %s", pcap_geterr(c->pcap));
		goto fail;
	}
	pcap_freecode(&prog);
	if (pcap_setnonblock(c->pcap, 1, perr) < 0) {
		snprintf(err, errlen, "capture: %s", perr);
		goto fail;
	}
	if (pcap_path && !(c->dump = pcap_dump_open(c->pcap, pcap_path))) {
		snprintf(err, errlen, "writing %s: %s", pcap_path, pcap_geterr(c->pcap));
		goto fail;
	}
	*ret = c;
	return 0;
fail:
	capture_free(c);
	return r;
}

void capture_free(struct capture *c)
{
	if (!c)
		return;
	if (c->dump)
		pcap_dump_close(c->dump);
	if (c->pcap)
		pcap_close(c->pcap);
	free(c->pkts);
	free(c->flows);
	free(c);
}

int capture_fd(const struct capture *c)
{
	return pcap_get_selectable_fd(c->pcap);
}

int capture_poll(struct capture *c, int64_t origin_us)
{
	struct pcap_pkthdr *h;
	const u_char *data;
	int added = 0;

	/* Bounded: at most this many frames per call; the caller polls again. */
	for (int i = 0; i < 4096; i++) {
		int r = pcap_next_ex(c->pcap, &h, &data);
		if (r <= 0)
			break;
		if (c->dump)
			pcap_dump((u_char *)c->dump, h, data);
		struct packet p;
		struct addrs a;
		if (decode(data, h->caplen, &p, &a) < 0)
			continue;
		int64_t t = (int64_t)h->ts.tv_sec * 1000000 + h->ts.tv_usec - origin_us;
		p.t_ms = (double)t / 1000.0;
		p.from = netns_host_by_addr(p.family, a.src);
		p.to = netns_host_by_addr(p.family, a.dst);
		relativize(c, &p, &a);
		if (c->npkts == c->cap) {
			size_t ncap = c->cap ? c->cap * 2 : 256;
			struct packet *g = realloc(c->pkts, ncap * sizeof *g);
			if (!g)
				return -ENOMEM;
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
	*ret_recv = st.ps_recv;
	*ret_drop = st.ps_drop + st.ps_ifdrop;
}
