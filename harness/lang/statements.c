/* SPDX-License-Identifier: MIT */
/*
 * The scenario language's statements: one table (statements[] below, after packetdrill's
 * system_call_table[]) gives each statement its keywords, the step kind it makes, its parser,
 * its usage and what it takes at the end of its line ('within', 'after', '&', '= RET'). The
 * dispatch, the "unknown statement" list and the unit tests (tests/test_scenario.c: the fuzz
 * dictionary and the manual name every keyword) read the table; adding a statement is one
 * parser and one entry here, and its runner.
 */
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "parser.h"
#include "netns.h"
#include "peer.h"

/* ---- the words every statement may use ---- */

/* A host, or "router" in a 'topology router' scenario (HOST_ROUTER): for the steps that act
 * on or look at a namespace rather than a peer (packets, nft, sysctl, counters). */
static int host_or_router_tok(struct parser *p, unsigned i, int *ret)
{
	if (p->s->router && i < p->ntok && strcmp(p->tok[i].s, "router") == 0) {
		*ret = HOST_ROUTER;
		return 0;
	}
	return host_tok(p, i, ret);
}

/* HOST or HOST.SOCK */
static int target_tok(struct parser *p, unsigned i, struct step *st)
{
	char buf[64];
	const char *dot = strchr(p->tok[i].s, '.');

	snprintf(buf, sizeof buf, "%.*s", dot ? (int)(dot - p->tok[i].s) : 63, p->tok[i].s);
	int h = scenario_host(p->s, buf);
	if (h < 0)
		return host_tok(p, i, &st->host);
	st->host = h;
	if (dot) {
		if (!valid_name(dot + 1, sizeof st->sock))
			return fail_at(p, p->tok[i].col + (unsigned)(dot - p->tok[i].s) + 1,
				       "socket name must be 1-31 letters, digits, '_' or '-'");
		snprintf(st->sock, sizeof st->sock, "%s", dot + 1);
	}
	return 0;
}

/* One alternative of an expected result, tokens [i, end): RET, >0 (some bytes), or -1 ERRNO. */
static int expect_alt(struct parser *p, unsigned i, unsigned end, struct step *st)
{
	struct expect_ret *w = &st->want;
	unsigned left = end - i;

	if (w->n == EXPECT_MAX_ALTS)
		return fail_tok(p, i, "at most %d alternatives", EXPECT_MAX_ALTS);
	if (left < 1 || left > 2)
		return fail_tok(p, i ? i - 1 : 0, "expected '= RETURN' or '= -1 ERRNO' (for example '= -1 ECONNRESET'), "
				"alternatives separated by '|' ('= 0 | -1 ECONNRESET')");
	long long ret;
	int err = 0;
	if (left == 1 && strcmp(p->tok[i].s, ">0") == 0) {
		w->alt[w->n].ret = 1;
		w->alt[w->n].err = 0;
		w->alt[w->n++].some = true;
		return 0;
	}
	if (parse_num(p->tok[i].s, LLONG_MIN / 2, LLONG_MAX / 2, &ret) < 0)
		return fail_tok(p, i, "expected a return value (a whole number, or '>0'), got '%s'", p->tok[i].s);
	if (left == 2) {
		if ((err = peer_errno_from_name(p->tok[i + 1].s)) < 0)
			return fail_tok(p, i + 1, "unknown errno name '%s'", p->tok[i + 1].s);
		if (ret != -1)
			return fail_tok(p, i + 1, "an errno goes with a return value of -1");
	} else if (ret == -1) {
		return fail_tok(p, i, "'= -1' needs the errno name too, for example '= -1 ETIMEDOUT'");
	}
	w->alt[w->n].ret = ret;
	w->alt[w->n].err = err;
	w->alt[w->n++].some = false;
	return 0;
}

/* Optional trailing "= RET [ERRNO] [| RET [ERRNO]]..." (STMT_RESULT): consumed from *n, its
 * index in p->eq_at. */
static int expect_tail(struct parser *p, unsigned *n, struct step *st)
{
	unsigned eq = *n;
	int r;

	for (unsigned i = 0; i < *n; i++)
		if (strcmp(p->tok[i].s, "=") == 0) {
			eq = i;
			break;
		}
	if (eq == *n)
		return 0;
	for (unsigned i = eq + 1, j; i <= *n; i = j + 1) {
		for (j = i; j < *n && strcmp(p->tok[j].s, "|") != 0; j++)
			;
		if ((r = expect_alt(p, i, j, st)) < 0)
			return r;
	}
	st->want.set = true;
	p->eq_at = eq;
	*n = eq;
	return 0;
}

/* Socket operations: name, least and most arguments, whether they act on no socket, and the
 * most peer commands the runner sends for one (with the socket, and bind, that it makes first
 * on a socket it does not know yet; a run sends at most SCENARIO_MAX_CMDS). */
static const struct {
	const char *name;
	unsigned min, max;
	bool no_socket;
	const char *usage;
	unsigned cmds;
	bool no_return;                   /* the process dies of it: no result, no '&' */
} ops[] = {
	{ "socket", 0, 0, false, "socket", 1, false },
	{ "bind", 1, 1, false, "bind PORT", 2, false },
	{ "listen", 1, 2, false, "listen PORT [BACKLOG]", 3, false },
	{ "connect", 2, 2, false, "connect HOST PORT", 2, false },
	{ "await-connect", 1, 1, false, "await-connect MILLISECONDS", 1, false },
	{ "accept", 0, 1, false, "accept [LISTENER]", 1, false },
	{ "read", 1, 1, false, "read MAXBYTES", 1, false },
	{ "write", 1, 2, false, "write BYTES [nosignal]", 1, false },
	{ "shutdown", 1, 1, false, "shutdown rd|wr|rdwr", 1, false },
	{ "close", 0, 0, false, "close", 1, false },
	{ "nonblock", 0, 0, false, "nonblock", 2, false },
	{ "setsockopt", 2, 3, false, "setsockopt OPTION VALUE [VALUE]", 2, false },
	{ "interrupt", 0, 0, false, "interrupt", 1, false },
	{ "sigpipe", 1, 1, true, "sigpipe ignore|default", 1, false },
	{ "crash", 0, 0, true, "crash", 1, true },
	{ "synflood", 4, 4, true, "synflood HOST PORT COUNT SPORT", 1, false },
};

const char *scenario_op_name(size_t i)
{
	return i < sizeof ops / sizeof ops[0] ? ops[i].name : NULL;
}

static int op_index(const char *name)
{
	for (size_t i = 0; i < sizeof ops / sizeof ops[0]; i++)
		if (strcmp(ops[i].name, name) == 0)
			return (int)i;
	return -1;
}

unsigned statement_cmds(const struct step *st)
{
	return st->kind == STEP_OP ? ops[op_index(st->op.name)].cmds : 0;
}

/* ---- what a step takes at the end of its line ---- */

/* What a step waits for decides which of '= RET', 'within DUR' (the bound of a wait) and
 * 'after DUR' (a floor under what is awaited) it takes:
 *   - a socket operation without '&' waits for its result: all three;
 *   - one started with '&' waits for nothing: its result is checked, bounded and floored on
 *     its 'await HOST OP' line, so they go there;
 *   - 'crash' never returns: none (parse_op refuses '=');
 *   - 'expect no packet ... within DUR' watches the wire for DUR, but awaits no event: no floor;
 *   - every other 'await' step: within and after;
 *   - 'expect' steps (checked once, now) and the steps that act (kill, sysctl, nft, ...) wait
 *     for nothing: their entries lack STMT_WITHIN, so the words are left on the line and their
 *     parsers refuse them.
 * The table's flags say which; this says why a word is refused where it is not taken. */
static int check_waits(struct parser *p, const struct step *st)
{
	unsigned flags = p->stmt->flags;

	if (st->mark[0] && !(st->kind == STEP_PACKET && p->waits))
		return fail_tok(p, p->as_at, "'as NAME' names the packet an 'await packet' matches, for a later "
				"'after DUR from NAME'; this line awaits no packet");
	if (!st->want.set && !st->within_ms && !st->after_ms)
		return 0;
	/* The leftmost of the words given: '=' comes before within and after. */
	unsigned at = st->want.set ? p->eq_at :
		      st->within_ms && (!st->after_ms || p->within_at < p->after_at) ? p->within_at : p->after_at;
	const char *word = st->want.set ? "= RET" : p->tok[at].s;

	if (st->async)
		return fail_tok(p, at, "'%s' goes on the 'await %s %s' line: an operation started with '&' is "
				"checked when awaited", word, p->tok[0].s, st->op.name);
	if (st->kind == STEP_OP && ops[op_index(st->op.name)].no_return)
		return fail_tok(p, at, "'%s' does not return: nothing to wait for, so no '%s'", st->op.name, word);
	if (st->after_ms && !(flags & STMT_AFTER))
		return fail_tok(p, p->after_at, "'after' is a floor under an awaited event, and '%s' "
				"awaits none ('within DUR' keeps watching the wire that long)", p->stmt->keyword);
	return 0;
}


/* ---- socket operations: HOST[.SOCK] OP ARGS..., await HOST[.SOCK] OP ---- */

static int check_op_args(struct parser *p, struct step *st, unsigned first)
{
	const struct step_op *op = &st->op;
	const char *o = op->name;

	if (strcmp(o, "connect") == 0 || strcmp(o, "synflood") == 0) {
		if (scenario_host(p->s, op->args[0]) < 0)
			return host_tok(p, first, &(int){0});
	}
	if (strcmp(o, "synflood") == 0) {
		long long port, count, sport;
		if (parse_num(op->args[1], 1, 65535, &port) < 0)
			return fail_tok(p, first + 1, "expected a port from 1 to 65535");
		if (parse_num(op->args[2], 1, 100000, &count) < 0)
			return fail_tok(p, first + 2, "expected a count of SYNs from 1 to 100000");
		if (parse_num(op->args[3], 1, 65535, &sport) < 0 || sport + count - 1 > 65535)
			return fail_tok(p, first + 3, "expected the first source port: SPORT+COUNT-1 at most 65535");
		return 0;
	}
	for (unsigned a = 0; a < op->nargs; a++) {
		const char *v = op->args[a];
		long long n;
		bool numeric = (strcmp(o, "bind") == 0 || strcmp(o, "listen") == 0 ||
				strcmp(o, "read") == 0 || strcmp(o, "await-connect") == 0 ||
				(strcmp(o, "write") == 0 && a == 0) ||
				(strcmp(o, "connect") == 0 && a == 1));
		long long max = strcmp(o, "read") == 0 || strcmp(o, "write") == 0 ? 16 << 20 :
				strcmp(o, "await-connect") == 0 ? 600000 : 65535;
		if (numeric && parse_num(v, 0, max, &n) < 0)
			return fail_tok(p, first + a, "expected a number from 0 to %lld, got '%s'", max, v);
	}
	if (strcmp(o, "write") == 0 && op->nargs == 2 && strcmp(op->args[1], "nosignal") != 0)
		return fail_tok(p, first + 1, "expected 'nosignal' or nothing after the byte count");
	if (strcmp(o, "shutdown") == 0 && strcmp(op->args[0], "rd") && strcmp(op->args[0], "wr") &&
	    strcmp(op->args[0], "rdwr"))
		return fail_tok(p, first, "expected rd, wr or rdwr");
	if (strcmp(o, "sigpipe") == 0 && strcmp(op->args[0], "ignore") && strcmp(op->args[0], "default"))
		return fail_tok(p, first, "expected ignore or default");
	if (strcmp(o, "accept") == 0 && op->nargs == 1 && !valid_name(op->args[0], 32))
		return fail_tok(p, first, "expected a listener socket name");
	return 0;
}

/* HOST[.SOCK] OP ARGS..., or after "await": HOST[.SOCK] OP (the tails are off already). */
static int parse_op(struct parser *p, struct step *st)
{
	unsigned i = p->at, n = p->n;
	bool awaiting = st->kind == STEP_AWAIT_OP;
	int r;

	snprintf(st->sock, sizeof st->sock, "main");
	if ((r = target_tok(p, i, st)) < 0)
		return r;
	if (i + 1 >= n) {
		return fail_tok(p, i + 1, "expected an operation after '%s'", p->tok[i].s);
	}
	int k = op_index(p->tok[i + 1].s);
	if (k < 0) {
		char known[256] = "";
		for (size_t o = 0; o < sizeof ops / sizeof ops[0]; o++)
			snprintf(known + strlen(known), sizeof known - strlen(known), "%s%s", o ? ", " : "", ops[o].name);
		return fail_tok(p, i + 1, "unknown operation '%s' (%s)", p->tok[i + 1].s, known);
	}
	snprintf(st->op.name, sizeof st->op.name, "%s", ops[k].name);
	if (!strchr(p->tok[i].s, '.') && strcmp(st->op.name, "listen") == 0)
		snprintf(st->sock, sizeof st->sock, "listener");
	if (ops[k].no_socket)
		snprintf(st->sock, sizeof st->sock, "-");
	if (awaiting)
		return n == i + 2 ? 0 : fail_tok(p, i + 2, "'await' takes HOST[.SOCKET] OPERATION [= RESULT]");
	unsigned nargs = n - i - 2;
	if (nargs < ops[k].min || nargs > ops[k].max)
		return fail_tok(p, nargs < ops[k].min ? n : i + 2 + ops[k].max,
				"'%s' takes: %s", ops[k].name, ops[k].usage);
	for (unsigned a = 0; a < nargs; a++) {
		if (strlen(p->tok[i + 2 + a].s) >= sizeof st->op.args[a])
			return fail_tok(p, i + 2 + a, "argument too long");
		snprintf(st->op.args[a], sizeof st->op.args[a], "%s", p->tok[i + 2 + a].s);
	}
	st->op.nargs = nargs;
	if (st->async && strcmp(st->op.name, "synflood") == 0)
		return fail_tok(p, n, "'synflood' runs to its end: no '&'");
	if (st->async && ops[k].no_return)
		return fail_tok(p, n, "'%s' does not return: no '&' needed", st->op.name);
	if (st->want.set && ops[k].no_return)
		return fail_tok(p, n, "'%s' does not return: nothing to expect", st->op.name);
	return check_op_args(p, st, i + 2);
}

/* ---- the wire: await packet, expect no packet ---- */

/* Trailing "port N" and (if allowed) "count N", "recvq N", "sendq N", in any order. */
static int option_tail(struct parser *p, unsigned *n, int *port, struct step_state *state)
{
	long long v;

	while (*n >= 2) {
		const char *k = p->tok[*n - 2].s;
		if (strcmp(k, "port") == 0) {
			if (parse_num(p->tok[*n - 1].s, 1, 65535, &v) < 0)
				return fail_tok(p, *n - 1, "expected a port from 1 to 65535");
			*port = (int)v;
		} else if (state && strcmp(k, "count") == 0) {
			if (parse_num(p->tok[*n - 1].s, 1, NETNS_MAX_SOCKS, &v) < 0)
				return fail_tok(p, *n - 1, "expected a count from 1 to %d (a run lists at most %d sockets "
						"of a host)", NETNS_MAX_SOCKS, NETNS_MAX_SOCKS);
			state->count = (unsigned)v;
		} else if (state && (strcmp(k, "recvq") == 0 || strcmp(k, "sendq") == 0)) {
			if (parse_num(p->tok[*n - 1].s, 0, UINT32_MAX, &v) < 0)
				return fail_tok(p, *n - 1, "expected a queue size, a whole number");
			*(k[0] == 'r' ? &state->recvq : &state->sendq) = v;
		} else {
			break;
		}
		*n -= 2;
	}
	return 0;
}

/* A packet's trailing qualifiers, in any order: port N, len N, len >0, seq N, ack N and (await
 * packet only) count N. */
static int packet_tail(struct parser *p, unsigned *n, struct step *st)
{
	struct step_packet *pk = &st->packet;
	long long v;

	while (*n >= 2) {
		const char *k = p->tok[*n - 2].s, *a = p->tok[*n - 1].s;
		if (strcmp(k, "port") == 0) {
			if (parse_num(a, 1, 65535, &v) < 0)
				return fail_tok(p, *n - 1, "expected a port from 1 to 65535");
			pk->port = (int)v;
		} else if (strcmp(k, "len") == 0 && strcmp(a, ">0") == 0) {
			pk->len_some = true;
		} else if (strcmp(k, "len") == 0 || strcmp(k, "seq") == 0 || strcmp(k, "ack") == 0) {
			if (parse_num(a, 0, UINT32_MAX, &v) < 0)
				return fail_tok(p, *n - 1, "expected a whole number from 0 to %u%s", UINT32_MAX,
						k[0] == 'l' ? ", or '>0' (some payload)" : " (relative, as the ladder prints it)");
			*(k[0] == 'l' ? &pk->len : k[0] == 's' ? &pk->seq : &pk->ack) = (uint32_t)v;
			*(k[0] == 'l' ? &pk->has_len : k[0] == 's' ? &pk->has_seq : &pk->has_ack) = true;
		} else if (strcmp(k, "count") == 0 && st->kind == STEP_PACKET) {
			if (parse_num(a, 1, 100000, &v) < 0)
				return fail_tok(p, *n - 1, "expected a count of packets from 1 to 100000");
			pk->count = (unsigned)v;
		} else {
			break;
		}
		*n -= 2;
	}
	return 0;
}

/* FROM > TO FLAGS [QUALIFIERS], or FROM > TO icmp NAME [QUALIFIERS] */
static int parse_packet(struct parser *p, struct step *st)
{
	struct step_packet *pk = &st->packet;
	unsigned i = p->at, n = p->n;
	int r;

	if ((r = packet_tail(p, &n, st)) < 0)
		return r;
	/* FROM > TO icmp NAME: an ICMP(v6) error quoting a TCP segment, named as capture.c does */
	pk->icmp = n == i + 5 && strcmp(p->tok[i + 3].s, "icmp") == 0;
	if (n != i + 4 + pk->icmp)
		return fail_tok(p, n > i + 4 ? i + 4 : n, "expected FROM > TO FLAGS, for example 'server > client F.', "
				"or FROM > TO icmp NAME");
	if ((r = host_or_router_tok(p, i, &pk->from)) < 0)
		return r;
	if (strcmp(p->tok[i + 1].s, ">") != 0)
		return fail_tok(p, i + 1, "expected '>' between the two hosts");
	if ((r = host_or_router_tok(p, i + 2, &pk->to)) < 0)
		return r;
	if (pk->icmp) {
		static const char *const names[] = { "net-unreachable", "host-unreachable", "prot-unreachable",
						      "port-unreachable", "frag-needed", "admin-prohibited",
						      "ttl-exceeded" };
		for (size_t k = 0; k < sizeof names / sizeof names[0]; k++)
			if (strcmp(names[k], p->tok[i + 4].s) == 0) {
				snprintf(pk->flags, sizeof pk->flags, "%s", names[k]);
				return 0;
			}
		return fail_tok(p, i + 4, "unknown ICMP error '%s' (net-unreachable, host-unreachable, "
				"prot-unreachable, port-unreachable, frag-needed, admin-prohibited, ttl-exceeded)",
				p->tok[i + 4].s);
	}
	/* Flags are matched in tcpdump's order (F S R P U E W .): written in any order, each
	 * letter once, they are put in that order here. */
	static const char order[] = "FSRPUEW.";
	const char *f = p->tok[i + 3].s;
	size_t nf = 0;
	if (strlen(f) >= sizeof pk->flags || strspn(f, order) != strlen(f))
		return fail_tok(p, i + 3, "expected TCP flags in tcpdump letters (S, S., ., P., F., R, R.), got '%s'", f);
	for (const char *c = order; *c; c++) {
		const char *at = strchr(f, *c);
		if (at && strchr(at + 1, *c))
			return fail_tok(p, i + 3, "flag '%c' given twice in '%s'", *c, f);
		if (at)
			pk->flags[nf++] = *c;
	}
	pk->flags[nf] = 0;
	return 0;
}

/* ---- sockets of a host: await state, await|expect no state ---- */

static int state_tok(struct parser *p, unsigned i, int *ret)
{
	if ((*ret = netns_state_from_name(p->tok[i].s)) < 0)
		return fail_tok(p, i, "unknown TCP state '%s' (ESTABLISHED, SYN-SENT, FIN-WAIT-1, TIME-WAIT, CLOSE-WAIT, LISTEN, ...)", p->tok[i].s);
	return 0;
}

/* await state HOST STATE [port N] [count N] [recvq N] [sendq N] */
static int parse_state(struct parser *p, struct step *st)
{
	struct step_state *s = &st->state;
	unsigned n = p->n;
	int r;

	s->count = 1;
	s->recvq = s->sendq = -1;
	if ((r = option_tail(p, &n, &s->port, s)) < 0)
		return r;
	if (n != 4)
		return fail_tok(p, n < 4 ? n : 4, "expected 'await state HOST STATE [port N] [count N] [recvq N] [sendq N]'");
	if ((r = host_tok(p, 2, &st->host)) < 0)
		return r;
	return state_tok(p, 3, &s->state);
}

/* (expect|await) no state HOST STATE [port N]: no such socket, now or awaited. */
static int parse_no_state(struct parser *p, struct step *st)
{
	unsigned n = p->n;
	int r;

	st->state.waits = p->waits;
	if ((r = option_tail(p, &n, &st->state.port, NULL)) < 0)
		return r;
	if (n != 5)
		return fail_tok(p, n < 5 ? n : 5, "expected '%s no state HOST STATE [port N]'", p->tok[0].s);
	if ((r = host_tok(p, 3, &st->host)) < 0)
		return r;
	return state_tok(p, 4, &st->state.state);
}

/* await transition HOST FROM > TO [port N]: what the kernel tracer saw a socket do, however
 * briefly it stayed (CLOSING lasts microseconds). */
static int parse_transition(struct parser *p, struct step *st)
{
	unsigned n = p->n;
	int r;

	if ((r = option_tail(p, &n, &st->transition.port, NULL)) < 0)
		return r;
	if (n != 6 || strcmp(p->tok[4].s, ">"))
		return fail_tok(p, n < 6 ? n : n > 6 ? 6 : 4, "expected 'await transition HOST FROM > TO [port N]'");
	if ((r = host_tok(p, 2, &st->host)) < 0 || (r = state_tok(p, 3, &st->transition.from)) < 0)
		return r;
	return state_tok(p, 5, &st->transition.to);
}

/* expect reset HOST reason NAME: NAME as the running kernel calls it (enum sk_rst_reason without
 * its SK_RST_REASON_ prefix); names change between kernels, so the run checks it, not the parser. */
static int parse_reset(struct parser *p, struct step *st)
{
	const char *name;
	int r;

	if (p->n != 5 || strcmp(p->tok[3].s, "reason"))
		return fail_tok(p, p->n < 5 ? p->n : p->n > 5 ? 5 : 3, "expected 'expect reset HOST reason NAME', such as 'expect reset server reason NO_SOCKET'");
	if ((r = host_tok(p, 2, &st->host)) < 0)
		return r;
	name = p->tok[4].s;
	if (strlen(name) >= sizeof st->reset.reason || strspn(name, "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_") != strlen(name))
		return fail_tok(p, 4, "expected the kernel's name of a reset reason, such as NO_SOCKET or TCP_ABORT_ON_CLOSE");
	snprintf(st->reset.reason, sizeof st->reset.reason, "%s", name);
	return 0;
}

/* (expect|await) counter HOST NAME OP VALUE */
static int parse_counter(struct parser *p, struct step *st)
{
	struct step_counter *c = &st->counter;
	unsigned n = p->n;
	int r;

	c->waits = p->waits;
	if (n != 6)
		return fail_tok(p, n < 6 ? n : 6, "expected '%s counter HOST TcpExt.NAME OP VALUE'", p->tok[0].s);
	if ((r = host_or_router_tok(p, 2, &st->host)) < 0)
		return r;
	if (!strchr(p->tok[3].s, '.') || strlen(p->tok[3].s) >= sizeof c->key)
		return fail_tok(p, 3, "expected a counter such as TcpExt.ListenOverflows or Tcp.RetransSegs");
	snprintf(c->key, sizeof c->key, "%s", p->tok[3].s);
	const char *cmp = p->tok[4].s;
	if (strcmp(cmp, "=") && strcmp(cmp, ">=") && strcmp(cmp, "<=") && strcmp(cmp, ">") && strcmp(cmp, "<"))
		return fail_tok(p, 4, "expected one of = >= <= > <");
	snprintf(c->cmp, sizeof c->cmp, "%s", cmp);
	if (parse_num(p->tok[5].s, 0, LLONG_MAX / 2, &c->number) < 0)
		return fail_tok(p, 5, "expected a whole number");
	return 0;
}

/* await exit HOST[.PROG] signal SIG[|SIG...] | status N[|N...] */
static int parse_exit(struct parser *p, struct step *st)
{
	struct step_exit *x = &st->exit;
	unsigned n = p->n;
	long long v;
	int r;

	if (n != 5 || (strcmp(p->tok[3].s, "signal") && strcmp(p->tok[3].s, "status")))
		return fail_tok(p, n < 4 ? n : 3, "expected 'await exit HOST signal SIGNAME' or 'await exit HOST status N' "
				"(alternatives: 'status 28|56', 'signal TERM|KILL')");
	if ((r = host_or_prog_tok(p, 2, st)) < 0)
		return r;
	x->by_signal = strcmp(p->tok[3].s, "signal") == 0;
	for (const char *w = p->tok[4].s;; w++) {
		char one[32];
		size_t len = strcspn(w, "|");
		if (x->n == EXIT_MAX_ALTS)
			return fail_tok(p, 4, "at most %d alternatives", EXIT_MAX_ALTS);
		snprintf(one, sizeof one, "%.*s", (int)(len < 31 ? len : 31), w);
		if (x->by_signal) {
			if ((x->sig[x->n++] = signal_from_name(one)) < 0)
				return fail_tok(p, 4, "unknown signal '%s'", one);
		} else if (parse_num(one, 0, 255, &v) < 0) {
			return fail_tok(p, 4, "expected an exit status from 0 to 255, got '%s'", one);
		} else {
			x->status[x->n++] = (int)v;
		}
		w += len;
		if (!*w)
			break;
	}
	return 0;
}

/* ---- faults and settings ---- */

/* kill HOST[.PROGRAM] [SIGNAL] */
static int parse_kill(struct parser *p, struct step *st)
{
	int r;

	if (p->ntok < 2 || p->ntok > 3)
		return fail_tok(p, p->ntok, "expected 'kill HOST[.PROGRAM] [SIGNAL]'");
	if ((r = host_or_prog_tok(p, 1, st)) < 0)
		return r;
	st->kill.sig = SIGKILL;
	if (p->ntok == 3 && (st->kill.sig = signal_from_name(p->tok[2].s)) < 0)
		return fail_tok(p, 2, "unknown signal '%s'", p->tok[2].s);
	return 0;
}

/* sysctl HOST net.KEY VALUE */
static int parse_sysctl(struct parser *p, struct step *st)
{
	struct step_sysctl *sc = &st->sysctl;
	int r;

	if (p->ntok != 4)
		return fail_tok(p, p->ntok < 4 ? p->ntok : 4, "expected 'sysctl HOST net.ipv4.KEY VALUE'");
	if ((r = host_or_router_tok(p, 1, &st->host)) < 0)
		return r;
	const char *k = p->tok[2].s;
	if (!sysctl_key_valid(k, sizeof sc->key))
		return fail_tok(p, 2, "expected a network sysctl such as net.ipv4.tcp_retries2");
	if (strlen(p->tok[3].s) >= sizeof sc->value)
		return fail_tok(p, 3, "value too long");
	snprintf(sc->key, sizeof sc->key, "%s", k);
	snprintf(sc->value, sizeof sc->value, "%s", p->tok[3].s);
	return 0;
}

/* blackhole|unblackhole HOST [nftables|netem]: the mechanism; nftables by default. */
static int parse_blackhole(struct parser *p, struct step *st)
{
	const char *w = p->tok[0].s;
	bool mech = p->ntok == 3;

	if (p->ntok != 2 && !mech)
		return fail_tok(p, p->ntok < 2 ? 1 : 2, "expected '%s HOST [nftables|netem]'", w);
	if (mech && strcmp(p->tok[2].s, "nftables") && strcmp(p->tok[2].s, "netem"))
		return fail_tok(p, 2, "expected nftables or netem");
	st->blackhole.netem = mech && strcmp(p->tok[2].s, "netem") == 0;
	return host_tok(p, 1, &st->host);
}

/* One word, a host: reboot, hold, release, reachable. */
static int parse_host_only(struct parser *p, struct step *st)
{
	if (p->ntok != 2)
		return fail_tok(p, p->ntok < 2 ? 1 : 2, "expected '%s HOST'", p->tok[0].s);
	return host_tok(p, 1, &st->host);
}

/* unreachable HOST host|net, reachable HOST: the router's ICMP errors toward HOST */
static int parse_unreachable(struct parser *p, struct step *st)
{
	bool on = st->kind == STEP_UNREACHABLE;

	if (p->ntok != (on ? 3u : 2u))
		return fail_tok(p, p->ntok < 2 ? 1 : 2, on ? "expected 'unreachable HOST host|net'" :
				"expected 'reachable HOST'");
	if (!p->s->router)
		return fail_tok(p, 0, "'%s' needs a router between the hosts: add 'topology router'", p->tok[0].s);
	if (on && strcmp(p->tok[2].s, "host") && strcmp(p->tok[2].s, "net"))
		return fail_tok(p, 2, "expected host (ICMP host unreachable) or net (net unreachable)");
	st->unreachable.net = on && strcmp(p->tok[2].s, "net") == 0;
	return host_tok(p, 1, &st->host);
}

/* quickack HOST on|off: the route metric that turns HOST's delayed ACKs off */
static int parse_quickack(struct parser *p, struct step *st)
{
	if (p->ntok != 3)
		return fail_tok(p, p->ntok < 3 ? p->ntok : 3, "expected 'quickack HOST on|off'");
	if (strcmp(p->tok[2].s, "on") && strcmp(p->tok[2].s, "off"))
		return fail_tok(p, 2, "expected on (ACK every segment at once) or off (delayed ACKs, the default)");
	st->quickack.on = strcmp(p->tok[2].s, "on") == 0;
	return host_tok(p, 1, &st->host);
}

/* rto-min HOST DUR|off: the locked rto_min metric on HOST's routes */
static int parse_rto_min(struct parser *p, struct step *st)
{
	if (p->ntok != 3)
		return fail_tok(p, p->ntok < 3 ? p->ntok : 3, "expected 'rto-min HOST DUR|off'");
	if (strcmp(p->tok[2].s, "off") && (parse_duration(p->tok[2].s, &st->rto_min.ms) < 0 || st->rto_min.ms == 0))
		return fail_tok(p, 2, "expected a duration such as 1s (the minimum RTO), or off (the kernel's own)");
	return host_tok(p, 1, &st->host);
}

/* nft HOST COMMAND: the command is the rest of the line, as nft(8) would take it. */
static int parse_nft(struct parser *p, struct step *st)
{
	const char *raw = p->raw, *rest = p->rest;
	char host[32];
	size_t n = strcspn(rest, " \t");
	unsigned col = (unsigned)(rest - raw) + 1;

	if (n == 0 || n >= sizeof host)
		return fail_at(p, col, "expected 'nft HOST COMMAND', for example 'nft server add table inet t'");
	snprintf(host, sizeof host, "%.*s", (int)n, rest);
	if (p->s->router && strcmp(host, "router") == 0)
		st->host = HOST_ROUTER;
	else if ((st->host = scenario_host(p->s, host)) < 0)
		return fail_at(p, col, "unknown host '%s'", host);
	const char *cmd = rest + n + strspn(rest + n, " \t");
	if (!*cmd)
		return fail_at(p, col + (unsigned)n, "expected an nftables command after the host");
	if (strlen(cmd) >= sizeof st->nft.text)
		return fail_at(p, (unsigned)(cmd - raw) + 1, "nftables command too long (at most %zu characters)",
			       sizeof st->nft.text - 1);
	/* nft reads files with 'include' (/etc/shadow as root, /dev/zero forever): a scenario's
	 * commands may not; only an unquoted word is nft's keyword. */
	bool quoted = false;
	for (const char *c = cmd; *c; c++) {
		if (*c == '"')
			quoted = !quoted;
		else if (!quoted && strncasecmp(c, "include", 7) == 0 && (c == cmd || strchr(" \t;{", c[-1])) &&
			 (!c[7] || strchr(" \t\"", c[7])))
			return fail_at(p, (unsigned)(c - raw) + 1, "nft 'include' is refused: a scenario's nftables "
				       "commands may not read files");
	}
	snprintf(st->nft.text, sizeof st->nft.text, "%s", cmd);
	return 0;
}

/* wait DUR: time passes as part of the story (a host down 30 s, a client left hanging). */
static int parse_wait(struct parser *p, struct step *st)
{
	if (p->ntok != 2)
		return fail_tok(p, p->ntok < 2 ? 1 : 2, "expected 'wait DURATION', for example 'wait 10s'");
	if (parse_duration(p->tok[1].s, &st->wait.ms) < 0 || st->wait.ms == 0)
		return fail_tok(p, 1, "expected a duration such as 500ms, 5s or 1m");
	return 0;
}

/* await quiet DUR [port N]: no packet on the wire (of a connection with port N) for DUR. */
static int parse_quiet(struct parser *p, struct step *st)
{
	long long v;

	if (p->n != 3 && !(p->n == 5 && !strcmp(p->tok[3].s, "port")))
		return fail_tok(p, p->n < 3 ? p->n : 3, "expected 'await quiet DURATION [port N]', for example "
				"'await quiet 300ms port 8000'");
	if (parse_duration(p->tok[2].s, &st->quiet.ms) < 0 || st->quiet.ms == 0)
		return fail_tok(p, 2, "expected a duration such as 300ms or 1s");
	if (p->n == 5) {
		if (parse_num(p->tok[4].s, 1, 65535, &v) < 0)
			return fail_tok(p, 4, "expected a port from 1 to 65535");
		st->quiet.port = (int)v;
	}
	if (st->within_ms && st->quiet.ms >= st->within_ms)
		return fail_tok(p, p->within_at, "a quiet stretch of %d ms cannot fit within %d ms: make 'within' longer",
				st->quiet.ms, st->within_ms);
	return 0;
}

/* ---- the table ---- */

#define WAITS (STMT_WITHIN | STMT_AFTER)

/* Lines are matched in this order: the first entry that fits parses the line. "await HOST OP"
 * comes after every other 'await' form, as any word may follow 'await'. */
static const struct statement statements[] = {
	{ "await packet", MATCH_WORDS, STEP_PACKET, parse_packet,
	  "await packet FROM > TO FLAGS|icmp NAME [port N] [len N|>0] [seq N] [ack N] [count N]", WAITS },
	{ "await exit", MATCH_WORDS, STEP_EXIT, parse_exit,
	  "await exit HOST[.PROGRAM] signal SIGNAL[|SIGNAL...]|status N[|N...]", WAITS },
	{ "await state", MATCH_WORDS, STEP_STATE, parse_state,
	  "await state HOST STATE [port N] [count N] [recvq N] [sendq N]", WAITS },
	{ "await counter", MATCH_WORDS, STEP_COUNTER, parse_counter,
	  "await counter HOST NAME OP VALUE", WAITS },
	{ "await no state", MATCH_WORDS, STEP_NO_STATE, parse_no_state,
	  "await no state HOST STATE [port N]", WAITS },
	{ "await transition", MATCH_WORDS, STEP_TRANSITION, parse_transition,
	  "await transition HOST FROM > TO [port N]", WAITS },
	{ "await quiet", MATCH_WORDS, STEP_QUIET, parse_quiet, "await quiet DURATION [port N]", STMT_WITHIN },
	{ "await listen", MATCH_WORDS, STEP_LISTEN, parse_listen,
	  "await listen HOST[.PROGRAM] PORT", WAITS },
	{ "await output", MATCH_WORDS, STEP_OUTPUT, parse_output,
	  "await output HOST.PROGRAM [contains] \"TEXT\"", WAITS | STMT_RAW },
	{ "await", MATCH_PROGRAM, STEP_CALL, parse_call,
	  "await HOST.PROGRAM CALL [= RET [ERRNO] [| RET [ERRNO]]...]", WAITS | STMT_RESULT },
	{ "await", MATCH_ANY, STEP_AWAIT_OP, parse_op,
	  "await HOST[.SOCKET] OPERATION [= RET [ERRNO]]", WAITS | STMT_RESULT },
	{ "expect no packet", MATCH_WORDS, STEP_NO_PACKET, parse_packet,
	  "expect no packet FROM > TO FLAGS|icmp NAME [port N] [len N|>0] [seq N] [ack N]", STMT_WITHIN },
	{ "expect no state", MATCH_WORDS, STEP_NO_STATE, parse_no_state,
	  "expect no state HOST STATE [port N]", 0 },
	{ "expect counter", MATCH_WORDS, STEP_COUNTER, parse_counter,
	  "expect counter HOST NAME OP VALUE", 0 },
	{ "expect output", MATCH_WORDS, STEP_OUTPUT, parse_output,
	  "expect output HOST.PROGRAM [contains] \"TEXT\"", STMT_RAW },
	{ "expect no output", MATCH_WORDS, STEP_NO_OUTPUT, parse_output,
	  "expect no output HOST.PROGRAM [contains] \"TEXT\"", STMT_RAW },
	{ "expect reset", MATCH_WORDS, STEP_RESET, parse_reset, "expect reset HOST reason NAME", 0 },
	{ "expect running", MATCH_WORDS, STEP_RUNNING, parse_running, "expect running HOST.PROGRAM", 0 },
	{ "expect no", MATCH_ANY, STEP_NO_CALL, parse_no_call,
	  "expect no HOST[.PROGRAM] CALL [= RET [ERRNO] [| RET [ERRNO]]...]", STMT_RESULT },
	{ "expect", MATCH_PROGRAM, STEP_CALL, parse_call,
	  "expect HOST.PROGRAM CALL [= RET [ERRNO] [| RET [ERRNO]]...]", STMT_RESULT },
	{ "wait", MATCH_WORDS, STEP_WAIT, parse_wait, "wait DURATION", 0 },
	{ "sysctl", MATCH_WORDS, STEP_SYSCTL, parse_sysctl, "sysctl HOST|router net.KEY VALUE", 0 },
	{ "kill", MATCH_WORDS, STEP_KILL, parse_kill, "kill HOST[.PROGRAM] [SIGNAL]", 0 },
	{ "blackhole", MATCH_WORDS, STEP_BLACKHOLE, parse_blackhole, "blackhole HOST [nftables|netem]", 0 },
	{ "unblackhole", MATCH_WORDS, STEP_UNBLACKHOLE, parse_blackhole, "unblackhole HOST [nftables|netem]", 0 },
	{ "hold", MATCH_WORDS, STEP_HOLD, parse_host_only, "hold HOST", 0 },
	{ "release", MATCH_WORDS, STEP_RELEASE, parse_host_only, "release HOST", 0 },
	{ "reboot", MATCH_WORDS, STEP_REBOOT, parse_host_only, "reboot HOST", 0 },
	{ "unreachable", MATCH_WORDS, STEP_UNREACHABLE, parse_unreachable, "unreachable HOST host|net", 0 },
	{ "reachable", MATCH_WORDS, STEP_REACHABLE, parse_unreachable, "reachable HOST", 0 },
	{ "quickack", MATCH_WORDS, STEP_QUICKACK, parse_quickack, "quickack HOST on|off", 0 },
	{ "rto-min", MATCH_WORDS, STEP_RTO_MIN, parse_rto_min, "rto-min HOST DUR|off", 0 },
	{ "partition", MATCH_WORDS, STEP_PARTITION, parse_partition, "partition HOST HOST [oneway]", 0 },
	{ "heal", MATCH_WORDS, STEP_HEAL, parse_partition, "heal HOST HOST", 0 },
	{ "drop", MATCH_WORDS, STEP_DROP, parse_drop, "drop FROM > TO FLAGS [first N]", 0 },
	{ "inject rst", MATCH_WORDS, STEP_INJECT, parse_inject,
	  "inject rst FROM > TO [exact|in-window|out-of-window] [port N]", 0 },
	{ "stop", MATCH_WORDS, STEP_STOP, parse_stop, "stop HOST[.PROGRAM]", 0 },
	{ "cont", MATCH_WORDS, STEP_CONT, parse_stop, "cont HOST[.PROGRAM]", 0 },
	{ "nft", MATCH_WORDS, STEP_NFT, parse_nft, "nft HOST|router COMMAND...", STMT_RAW },
	{ "idle-timeout", MATCH_WORDS, STEP_IDLE_TIMEOUT, parse_idle_timeout, "idle-timeout router DUR drop|reset|off", 0 },
	{ "mtu", MATCH_WORDS, STEP_MTU, parse_mtu, "mtu HOST BYTES [silent]", 0 },
	{ "port-range", MATCH_WORDS, STEP_PORT_RANGE, parse_port_range, "port-range HOST LOW HIGH", 0 },
	{ "snat", MATCH_WORDS, STEP_SNAT, parse_snat, "snat HOST LOW HIGH|off", 0 },
	{ "conntrack-max", MATCH_WORDS, STEP_CONNTRACK_MAX, parse_conntrack_max, "conntrack-max router N|off", 0 },
	{ "exec", MATCH_HOST, STEP_EXEC, parse_exec,
	  "HOST[.PROGRAM] exec [port N] [stdin open|FILE] [observe auto|shim|trace|none] COMMAND...", STMT_RAW },
	{ NULL, MATCH_HOST, STEP_OP, parse_op,
	  "HOST[.SOCKET] OPERATION ARGS... [&] [= RET [ERRNO]]", WAITS | STMT_ASYNC | STMT_RESULT },
};

#define NSTATEMENTS (sizeof statements / sizeof statements[0])

const struct statement *scenario_statements(size_t *ret_n)
{
	*ret_n = NSTATEMENTS;
	return statements;
}

/* How many of kw's words (separated by one blank) start the line's tokens; 0 if they do not. */
static unsigned tok_words(const struct parser *p, const char *kw)
{
	unsigned i = 0;

	for (const char *w = kw; *w; i++) {
		size_t len = strcspn(w, " ");
		if (i >= p->ntok || strlen(p->tok[i].s) != len || strncmp(p->tok[i].s, w, len) != 0)
			return 0;
		w += len + (w[len] == ' ');
	}
	return i;
}

/* The same on a line as written (blanks and tabs between words), for STMT_RAW statements. */
static bool line_words(const char *line, const char *kw)
{
	for (const char *w = kw; *w;) {
		size_t len = strcspn(w, " ");
		line += strspn(line, " \t");
		if (strncmp(line, w, len) != 0 || (line[len] && line[len] != ' ' && line[len] != '\t'))
			return false;
		line += len;
		w += len + (w[len] == ' ');
	}
	return true;
}

/* The STMT_RAW statement line (blanks skipped) is, if any: the keyword's words first, or for
 * MATCH_HOST its second word (whatever the first: parse_exec names an unknown host). */
static const struct statement *raw_statement(const char *line)
{
	if (*line == '#') /* a comment, whatever its words ('# exec the client') */
		return NULL;
	for (size_t i = 0; i < NSTATEMENTS; i++) {
		const struct statement *e = &statements[i];
		if (!(e->flags & STMT_RAW))
			continue;
		if (e->match == MATCH_HOST ? line_words(line + strcspn(line, " \t"), e->keyword) :
		    line_words(line, e->keyword))
			return e;
	}
	return NULL;
}

bool statement_is_raw(const char *line)
{
	return raw_statement(line) != NULL;
}

/* Whether word's HOST part (before a '.') is one of the scenario's hosts. */
static bool host_word(const struct parser *p, const char *word)
{
	char host[64];

	snprintf(host, sizeof host, "%.*s", (int)strcspn(word, "."), word);
	return scenario_host(p->s, host) >= 0;
}

/* The entry the line's tokens fit, with p->at set; NULL if none. */
static const struct statement *find_statement(struct parser *p, struct step *st)
{
	for (size_t i = 0; i < NSTATEMENTS; i++) {
		const struct statement *e = &statements[i];
		unsigned w = e->keyword && e->match != MATCH_HOST ? tok_words(p, e->keyword) : 0;
		if (e->flags & STMT_RAW || (e->keyword && e->match != MATCH_HOST && !w))
			continue;
		p->at = w;
		if (e->match == MATCH_WORDS ||
		    (e->match == MATCH_PROGRAM && w < p->ntok && prog_word(p, p->tok[w].s, st)) ||
		    (e->match == MATCH_ANY && w < p->ntok) ||
		    (e->match == MATCH_HOST && host_word(p, p->tok[0].s)))
			return e;
	}
	return NULL;
}

/* Nothing fits: for a line starting with a word of the table ('await', 'expect'), what may
 * follow it; else every statement's first word and the headers. */
static int unknown_statement(struct parser *p)
{
	const char *w = p->tok[0].s;
	char list[600] = "";
	size_t len = 0, n = 0;

	for (size_t i = 0; i < NSTATEMENTS; i++) {
		const struct statement *e = &statements[i];
		size_t wl = strlen(w);
		if (e->keyword && e->match != MATCH_HOST && strncmp(e->keyword, w, wl) == 0 && e->keyword[wl] == ' ')
			len += (size_t)snprintf(list + len, sizeof list - len, "%s'%s'", n++ ? ", " : "", e->keyword + wl + 1);
		else if (e->keyword && strcmp(e->keyword, w) == 0 && (e->match == MATCH_PROGRAM || e->match == MATCH_ANY))
			len += (size_t)snprintf(list + len, sizeof list - len, "%s%s", n++ ? ", " : "",
						e->match == MATCH_PROGRAM ? "HOST.PROGRAM" : "HOST[.SOCKET]");
	}
	if (n) {
		char *last = n > 1 ? strrchr(list, ',') : NULL;
		if (last)
			return fail_tok(p, 1, "expected %.*s or%s after '%s'", (int)(last - list), list, last + 1, w);
		return fail_tok(p, 1, "expected %s after '%s'", list, w);
	}
	len = (size_t)snprintf(list, sizeof list, "a host name");
	for (size_t i = 0; i < NSTATEMENTS; i++) {
		const char *k = statements[i].keyword;
		size_t kl = k ? strcspn(k, " ") : 0;
		bool seen = !k || statements[i].match == MATCH_HOST;
		for (size_t j = 0; j < i && !seen; j++)
			seen = statements[j].keyword && strncmp(statements[j].keyword, k, kl) == 0 &&
			       strcspn(statements[j].keyword, " ") == kl;
		if (!seen)
			len += (size_t)snprintf(list + len, sizeof list - len, ", %.*s", (int)kl, k);
	}
	len += (size_t)snprintf(list + len, sizeof list - len, ", or a header: ");
	for (const char *const *h = scenario_headers(); *h; h++)
		len += (size_t)snprintf(list + len, sizeof list - len, "%s%s", h == scenario_headers() ? "" : ", ", *h);
	return fail_at(p, p->tok[0].col, "unknown statement '%s' (%s)", w, list);
}

/* The tails the entry takes, off the end of the line: 'within'/'after', '= RET', '&'. */
static int take_tails(struct parser *p, struct step *st)
{
	int r;

	p->n = p->ntok;
	if (p->stmt->flags & STMT_RAW)
		return 0;                 /* the parser reads its own line */
	if ((p->stmt->flags & STMT_WITHIN) && (r = within_tail(p, &p->n, st)) < 0)
		return r;
	if ((p->stmt->flags & STMT_RESULT) && (r = expect_tail(p, &p->n, st)) < 0)
		return r;
	if ((p->stmt->flags & STMT_ASYNC) && p->n > p->at && strcmp(p->tok[p->n - 1].s, "&") == 0) {
		st->async = true;
		p->n--;
	}
	return 0;
}

int statement_parse(struct parser *p, struct step *st)
{
	int r;

	p->waits = strcmp(p->tok[0].s, "await") == 0;
	p->stmt = raw_statement(p->raw + p->tok[0].col - 1);
	if (!p->stmt && !(p->stmt = find_statement(p, st)))
		return unknown_statement(p);
	st->kind = p->stmt->kind;
	if ((r = take_tails(p, st)) < 0 || (r = p->stmt->parse(p, st)) < 0)
		return r;
	return check_waits(p, st);
}
