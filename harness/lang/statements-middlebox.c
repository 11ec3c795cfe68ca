/* SPDX-License-Identifier: MIT */
/*
 * The statements of the middlebox between the hosts (the router of 'topology router') and of
 * the host settings that go with it: idle-timeout, mtu, port-range, snat, conntrack-max. Their
 * entries are in statements.c's table; netns/middlebox.c does what they say.
 */
#include <stdio.h>
#include <string.h>

#include "parser.h"

/* The router must exist for every statement here but port-range. */
static int need_router(struct parser *p)
{
	if (!p->s->router)
		return fail_tok(p, 0, "'%s' needs a router between the hosts: add 'topology router'", p->tok[0].s);
	return 0;
}

/* The word "router" at token i. */
static int router_tok(struct parser *p, unsigned i)
{
	if (i >= p->ntok || strcmp(p->tok[i].s, "router"))
		return fail_tok(p, i, "expected router (the middlebox is the router between the hosts)");
	return 0;
}

/* idle-timeout router DUR drop|reset|off, idle-timeout router off */
int parse_idle_timeout(struct parser *p, struct step *st)
{
	struct step_middlebox *m = &st->middlebox;
	int r, ms;

	if ((r = need_router(p)) < 0 || (r = router_tok(p, 1)) < 0)
		return r;
	st->host = HOST_ROUTER;
	if (p->ntok == 3 && strcmp(p->tok[2].s, "off") == 0) {
		m->mode = MIDDLEBOX_OFF;
		return 0;
	}
	if (p->ntok != 4)
		return fail_tok(p, p->ntok < 4 ? p->ntok : 4, "expected 'idle-timeout router DUR drop|reset' or "
				"'idle-timeout router off'");
	/* conntrack's timeouts are whole seconds */
	if (parse_duration(p->tok[2].s, &ms) < 0 || ms < 1000 || ms % 1000)
		return fail_tok(p, 2, "expected whole seconds such as 2s or 350s (conntrack's timeouts are seconds)");
	m->seconds = ms / 1000;
	if (strcmp(p->tok[3].s, "drop") == 0)
		m->mode = MIDDLEBOX_DROP;
	else if (strcmp(p->tok[3].s, "reset") == 0)
		m->mode = MIDDLEBOX_RESET;
	else
		return fail_tok(p, 3, "expected drop (a forgotten flow's packets vanish) or reset (answered with RST)");
	return 0;
}

/* mtu HOST BYTES [silent] */
int parse_mtu(struct parser *p, struct step *st)
{
	long long n;
	int r;

	if ((r = need_router(p)) < 0)
		return r;
	if (p->ntok != 3 && p->ntok != 4)
		return fail_tok(p, p->ntok < 3 ? p->ntok : 4, "expected 'mtu HOST BYTES [silent]'");
	if (parse_num(p->tok[2].s, 1280, 1500, &n) < 0)
		return fail_tok(p, 2, "expected an MTU from 1280 (IPv6's least) to 1500 bytes");
	st->middlebox.low = (unsigned)n;
	if (p->ntok == 4 && strcmp(p->tok[3].s, "silent"))
		return fail_tok(p, 3, "expected silent (the router's ICMP 'fragmentation needed' and 'packet too big' "
				"are dropped) or nothing");
	st->middlebox.silent = p->ntok == 4;
	return host_tok(p, 1, &st->host);
}

/* LOW HIGH at tokens i, i + 1: a port range */
static int range_toks(struct parser *p, unsigned i, struct step_middlebox *m)
{
	long long lo, hi;

	if (parse_num(p->tok[i].s, 1024, 65535, &lo) < 0)
		return fail_tok(p, i, "expected the lowest port (1024-65535)");
	if (parse_num(p->tok[i + 1].s, lo, 65535, &hi) < 0)
		return fail_tok(p, i + 1, "expected the highest port (%lld-65535)", lo);
	m->low = (unsigned)lo;
	m->high = (unsigned)hi;
	return 0;
}

/* port-range HOST LOW HIGH */
int parse_port_range(struct parser *p, struct step *st)
{
	int r;

	if (p->ntok != 4)
		return fail_tok(p, p->ntok < 4 ? p->ntok : 4, "expected 'port-range HOST LOW HIGH'");
	if ((r = host_tok(p, 1, &st->host)) < 0)
		return r;
	return range_toks(p, 2, &st->middlebox);
}

/* snat HOST LOW HIGH, snat HOST off */
int parse_snat(struct parser *p, struct step *st)
{
	int r;

	if ((r = need_router(p)) < 0)
		return r;
	if (p->ntok == 3 && strcmp(p->tok[2].s, "off") == 0)
		return host_tok(p, 1, &st->host);
	if (p->ntok != 4)
		return fail_tok(p, p->ntok < 4 ? p->ntok : 4, "expected 'snat HOST LOW HIGH' or 'snat HOST off'");
	if ((r = host_tok(p, 1, &st->host)) < 0)
		return r;
	return range_toks(p, 2, &st->middlebox);
}

/* conntrack-max router N|off */
int parse_conntrack_max(struct parser *p, struct step *st)
{
	long long n;
	int r;

	if ((r = need_router(p)) < 0 || (r = router_tok(p, 1)) < 0)
		return r;
	st->host = HOST_ROUTER;
	if (p->ntok != 3)
		return fail_tok(p, p->ntok < 3 ? p->ntok : 3, "expected 'conntrack-max router N|off'");
	if (strcmp(p->tok[2].s, "off") == 0)
		return 0;
	if (parse_num(p->tok[2].s, 1, 1000000, &n) < 0)
		return fail_tok(p, 2, "expected how many connections the router tracks (1-1000000), or off");
	st->middlebox.max = (unsigned)n;
	return 0;
}
