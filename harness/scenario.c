/* SPDX-License-Identifier: MIT */
/*
 * The scenario language: a line language in the spirit of packetdrill. One statement per line,
 * words separated by blanks, '#' starts a comment. Header lines (mode, summary, claim, linux,
 * timers, hosts, family, timeout, await-timeout) describe the scenario; every other line is a
 * step, run in order. tcpfault-scenario(5) and README.md describe the statements.
 *
 * Every error names FILE:LINE:COL and says what was expected. The parser never trusts its
 * input: lengths are checked, numbers range-checked, binary input refused.
 */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>

#include "harness.h"
#include "netns.h"
#include "peer.h"

#define MAX_TOKENS 24
#define MAX_STEPS 4096
#define MAX_FILE (1 << 20)

struct token {
	const char *s;
	unsigned col;
};

struct parser {
	const char *path;
	unsigned line;
	struct token tok[MAX_TOKENS];
	unsigned ntok;
	char *err;
	size_t errlen;
	struct scenario *s;
	unsigned eq_at, within_at, after_at;  /* the line's '=', 'within', 'after' (token index), if given */
};

static int fail_at(struct parser *p, unsigned col, const char *fmt, ...)
{
	va_list ap;
	int n = snprintf(p->err, p->errlen, "%s:%u:%u: ", p->path, p->line, col);

	va_start(ap, fmt);
	if (n >= 0 && (size_t)n < p->errlen)
		vsnprintf(p->err + n, p->errlen - n, fmt, ap);
	va_end(ap);
	return -EINVAL;
}

static int fail_tok(struct parser *p, unsigned i, const char *fmt, ...)
{
	char msg[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	return fail_at(p, i < p->ntok ? p->tok[i].col : (p->ntok ? p->tok[p->ntok - 1].col : 1), "%s", msg);
}

static const struct {
	const char *name;
	int sig;
} signals[] = {
	{ "KILL", SIGKILL }, { "TERM", SIGTERM }, { "SEGV", SIGSEGV }, { "ABRT", SIGABRT },
	{ "PIPE", SIGPIPE }, { "INT", SIGINT }, { "HUP", SIGHUP }, { "USR1", SIGUSR1 },
	{ "USR2", SIGUSR2 }, { "QUIT", SIGQUIT }, { "BUS", SIGBUS }, { "STOP", SIGSTOP },
	{ "CONT", SIGCONT },
};

int signal_from_name(const char *name)
{
	if (strncmp(name, "SIG", 3) == 0)
		name += 3;
	for (size_t i = 0; i < sizeof signals / sizeof signals[0]; i++)
		if (strcmp(signals[i].name, name) == 0)
			return signals[i].sig;
	return -EINVAL;
}

const char *signal_name(int sig)
{
	static const char *const full[] = {
		[SIGKILL] = "SIGKILL", [SIGTERM] = "SIGTERM", [SIGSEGV] = "SIGSEGV",
		[SIGABRT] = "SIGABRT", [SIGPIPE] = "SIGPIPE", [SIGINT] = "SIGINT",
		[SIGHUP] = "SIGHUP", [SIGUSR1] = "SIGUSR1", [SIGUSR2] = "SIGUSR2",
		[SIGQUIT] = "SIGQUIT", [SIGBUS] = "SIGBUS", [SIGSTOP] = "SIGSTOP", [SIGCONT] = "SIGCONT",
	};
	if (sig > 0 && (size_t)sig < sizeof full / sizeof full[0] && full[sig])
		return full[sig];
	return "signal?";
}

/* Parses a whole number in [min, max]. */
static int parse_num(const char *s, long long min, long long max, long long *ret)
{
	char *end;

	errno = 0;
	long long v = strtoll(s, &end, 10);
	if (errno || end == s || *end || v < min || v > max)
		return -EINVAL;
	*ret = v;
	return 0;
}

/* "5s", "250ms", "2m" -> milliseconds. */
static int parse_duration(const char *s, int *ret_ms)
{
	char *end;

	errno = 0;
	long long v = strtoll(s, &end, 10);
	if (errno || end == s || v < 0)
		return -EINVAL;
	long long mult = strcmp(end, "ms") == 0 ? 1 : strcmp(end, "s") == 0 ? 1000 :
			 strcmp(end, "m") == 0 ? 60000 : -1;
	if (mult < 0 || v > 3600000 / mult)
		return -EINVAL;
	*ret_ms = (int)(v * mult);
	return 0;
}

int scenario_duration(const char *text, int *ret_ms)
{
	return parse_duration(text, ret_ms);
}

bool expect_matches(const struct expect_ret *want, long long ret, int err)
{
	if (!want || !want->set)
		return ret >= 0;
	return ret == want->ret && (!want->err || err == want->err);
}

bool counter_matches(const char *cmp, long long v, long long n)
{
	if (strcmp(cmp, "=") == 0)
		return v == n;
	if (strcmp(cmp, ">=") == 0)
		return v >= n;
	if (strcmp(cmp, "<=") == 0)
		return v <= n;
	if (strcmp(cmp, ">") == 0)
		return v > n;
	return strcmp(cmp, "<") == 0 && v < n;
}

int scenario_host(const struct scenario *s, const char *name)
{
	for (unsigned i = 0; i < s->nhosts; i++)
		if (strcmp(s->hosts[i], name) == 0)
			return (int)i;
	return -1;
}

static bool valid_name(const char *s, size_t max)
{
	size_t n = strlen(s);

	if (n == 0 || n >= max)
		return false;
	for (; *s; s++)
		if (!isalnum((unsigned char)*s) && *s != '_' && *s != '-')
			return false;
	return true;
}

static int host_tok(struct parser *p, unsigned i, int *ret)
{
	if (i >= p->ntok)
		return fail_tok(p, i, "expected a host name (%s%s)", p->s->hosts[0],
				p->s->nhosts > 1 ? ", ..." : "");
	int h = scenario_host(p->s, p->tok[i].s);
	if (h < 0) {
		char known[128] = "";
		for (unsigned k = 0; k < p->s->nhosts; k++)
			snprintf(known + strlen(known), sizeof known - strlen(known), "%s%s",
				 k ? ", " : "", p->s->hosts[k]);
		return fail_tok(p, i, "unknown host '%s' (hosts: %s)", p->tok[i].s, known);
	}
	*ret = h;
	return 0;
}

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

/* Optional trailing "within DUR" (the await's bound) and "after DUR" (the awaited event must
 * not come sooner; runner.c says from when), in either order; consumes them from ntok. Only the
 * parsers of steps that wait call it; check_waits() refuses what a step still has no use for. */
static int within_tail(struct parser *p, unsigned *n, struct step *st)
{
	while (*n >= 2) {
		const char *k = p->tok[*n - 2].s;
		int *dst = strcmp(k, "within") == 0 ? &st->within_ms : strcmp(k, "after") == 0 ? &st->after_ms : NULL;
		if (!dst)
			break;
		*(dst == &st->within_ms ? &p->within_at : &p->after_at) = *n - 2;
		if (parse_duration(p->tok[*n - 1].s, dst) < 0 || *dst == 0)
			return fail_tok(p, *n - 1, "expected a duration such as 500ms, 5s or 1m");
		*n -= 2;
	}
	for (unsigned i = 0; i < *n; i++)
		if (strcmp(p->tok[i].s, "within") == 0 || strcmp(p->tok[i].s, "after") == 0)
			return fail_tok(p, i, "'%s' goes at the end of the line with one duration, such as '%s 5s'",
					p->tok[i].s, p->tok[i].s);
	if (st->after_ms && st->within_ms && st->after_ms >= st->within_ms)
		return fail_tok(p, *n, "'after' must be shorter than 'within'");
	return 0;
}

/* Optional trailing "= RET [ERRNO]" starting at token i; returns index where it started. */
static int expect_tail(struct parser *p, unsigned *n, struct step *st)
{
	unsigned eq = *n;

	for (unsigned i = 0; i < *n; i++)
		if (strcmp(p->tok[i].s, "=") == 0) {
			eq = i;
			break;
		}
	if (eq == *n)
		return 0;
	unsigned left = *n - eq - 1;
	if (left < 1 || left > 2)
		return fail_tok(p, eq, "expected '= RETURN' or '= -1 ERRNO' (for example '= -1 ECONNRESET')");
	if (parse_num(p->tok[eq + 1].s, LLONG_MIN / 2, LLONG_MAX / 2, &st->want.ret) < 0)
		return fail_tok(p, eq + 1, "expected a return value (a whole number), got '%s'", p->tok[eq + 1].s);
	if (left == 2) {
		int e = peer_errno_from_name(p->tok[eq + 2].s);
		if (e < 0)
			return fail_tok(p, eq + 2, "unknown errno name '%s'", p->tok[eq + 2].s);
		if (st->want.ret != -1)
			return fail_tok(p, eq + 2, "an errno goes with a return value of -1");
		st->want.err = e;
	} else if (st->want.ret == -1) {
		return fail_tok(p, eq + 1, "'= -1' needs the errno name too, for example '= -1 ETIMEDOUT'");
	}
	st->want.set = true;
	p->eq_at = eq;
	*n = eq;
	return 0;
}

/* What a step waits for decides which of '= RET', 'within DUR' (the bound of a wait) and
 * 'after DUR' (a floor under what is awaited) it takes:
 *   - a socket operation without '&' waits for its result: all three;
 *   - one started with '&' waits for nothing: its result is checked, bounded and floored on
 *     its 'await HOST OP' line, so they go there;
 *   - 'crash' never returns: none (parse_op refuses '=');
 *   - 'expect no packet ... within DUR' watches the wire for DUR, but awaits no event: no floor;
 *   - every other 'await' step: within and after;
 *   - 'expect' steps (checked once, now) and the steps that act (kill, sysctl, nft, ...) wait
 *     for nothing: their parsers do not call within_tail(), so the words are refused there. */
static int check_waits(struct parser *p, const struct step *st)
{
	if (!st->want.set && !st->within_ms && !st->after_ms)
		return 0;
	/* The leftmost of the words given: '=' comes before within and after. */
	unsigned at = st->want.set ? p->eq_at :
		      st->within_ms && (!st->after_ms || p->within_at < p->after_at) ? p->within_at : p->after_at;
	const char *word = st->want.set ? "= RET" : p->tok[at].s;

	if (st->kind == STEP_OP && st->async)
		return fail_tok(p, at, "'%s' goes on the 'await %s %s' line: an operation started with '&' is "
				"checked when awaited", word, p->tok[0].s, st->op);
	if (st->kind == STEP_OP && strcmp(st->op, "crash") == 0)
		return fail_tok(p, at, "'crash' does not return: nothing to wait for, so no '%s'", word);
	if (st->kind == STEP_NO_PACKET && st->after_ms)
		return fail_tok(p, p->after_at, "'after' is a floor under an awaited event, and 'expect no packet' "
				"awaits none ('within DUR' keeps watching the wire that long)");
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
} ops[] = {
	{ "socket", 0, 0, false, "socket", 1 },
	{ "bind", 1, 1, false, "bind PORT", 2 },
	{ "listen", 1, 2, false, "listen PORT [BACKLOG]", 3 },
	{ "connect", 2, 2, false, "connect HOST PORT", 2 },
	{ "await-connect", 1, 1, false, "await-connect MILLISECONDS", 1 },
	{ "accept", 0, 1, false, "accept [LISTENER]", 1 },
	{ "read", 1, 1, false, "read MAXBYTES", 1 },
	{ "write", 1, 2, false, "write BYTES [nosignal]", 1 },
	{ "shutdown", 1, 1, false, "shutdown rd|wr|rdwr", 1 },
	{ "close", 0, 0, false, "close", 1 },
	{ "nonblock", 0, 0, false, "nonblock", 2 },
	{ "setsockopt", 2, 3, false, "setsockopt OPTION VALUE [VALUE]", 2 },
	{ "interrupt", 0, 0, false, "interrupt", 1 },
	{ "sigpipe", 1, 1, true, "sigpipe ignore|default", 1 },
	{ "crash", 0, 0, true, "crash", 1 },
	{ "synflood", 4, 4, true, "synflood HOST PORT COUNT SPORT", 1 },
};

static int op_index(const char *name)
{
	for (size_t i = 0; i < sizeof ops / sizeof ops[0]; i++)
		if (strcmp(ops[i].name, name) == 0)
			return (int)i;
	return -1;
}

static int check_op_args(struct parser *p, struct step *st, unsigned first)
{
	const char *o = st->op;

	if (strcmp(o, "connect") == 0 || strcmp(o, "synflood") == 0) {
		if (scenario_host(p->s, st->args[0]) < 0)
			return host_tok(p, first, &(int){0});
	}
	if (strcmp(o, "synflood") == 0) {
		long long port, count, sport;
		if (parse_num(st->args[1], 1, 65535, &port) < 0)
			return fail_tok(p, first + 1, "expected a port from 1 to 65535");
		if (parse_num(st->args[2], 1, 100000, &count) < 0)
			return fail_tok(p, first + 2, "expected a count of SYNs from 1 to 100000");
		if (parse_num(st->args[3], 1, 65535, &sport) < 0 || sport + count - 1 > 65535)
			return fail_tok(p, first + 3, "expected the first source port: SPORT+COUNT-1 at most 65535");
		return 0;
	}
	for (unsigned a = 0; a < st->nargs; a++) {
		const char *v = st->args[a];
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
	if (strcmp(o, "write") == 0 && st->nargs == 2 && strcmp(st->args[1], "nosignal") != 0)
		return fail_tok(p, first + 1, "expected 'nosignal' or nothing after the byte count");
	if (strcmp(o, "shutdown") == 0 && strcmp(st->args[0], "rd") && strcmp(st->args[0], "wr") &&
	    strcmp(st->args[0], "rdwr"))
		return fail_tok(p, first, "expected rd, wr or rdwr");
	if (strcmp(o, "sigpipe") == 0 && strcmp(st->args[0], "ignore") && strcmp(st->args[0], "default"))
		return fail_tok(p, first, "expected ignore or default");
	if (strcmp(o, "accept") == 0 && st->nargs == 1 && !valid_name(st->args[0], 32))
		return fail_tok(p, first, "expected a listener socket name");
	return 0;
}

/* HOST[.SOCK] OP ARGS... [&] [= ...] [within DUR], or after "await": HOST[.SOCK] OP [= ...] */
static int parse_op(struct parser *p, unsigned i, struct step *st, bool awaiting)
{
	unsigned n = p->ntok;
	int r;

	snprintf(st->sock, sizeof st->sock, "main");
	if ((r = within_tail(p, &n, st)) < 0 || (r = expect_tail(p, &n, st)) < 0)
		return r;
	if (!awaiting && n > i && strcmp(p->tok[n - 1].s, "&") == 0) {
		st->async = true;
		n--;
	}
	if ((r = target_tok(p, i, st)) < 0)
		return r;
	if (i + 1 >= n)
		return fail_tok(p, i + 1, "expected an operation after '%s'", p->tok[i].s);
	int k = op_index(p->tok[i + 1].s);
	if (k < 0)
		return fail_tok(p, i + 1, "unknown operation '%s' (socket, bind, listen, connect, "
				"await-connect, accept, read, write, shutdown, close, nonblock, "
				"setsockopt, interrupt, sigpipe, crash, synflood)", p->tok[i + 1].s);
	snprintf(st->op, sizeof st->op, "%s", ops[k].name);
	if (!strchr(p->tok[i].s, '.') && strcmp(st->op, "listen") == 0)
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
		if (strlen(p->tok[i + 2 + a].s) >= sizeof st->args[a])
			return fail_tok(p, i + 2 + a, "argument too long");
		snprintf(st->args[a], sizeof st->args[a], "%s", p->tok[i + 2 + a].s);
	}
	st->nargs = nargs;
	if (st->async && strcmp(st->op, "synflood") == 0)
		return fail_tok(p, n, "'synflood' runs to its end: no '&'");
	if (st->async && strcmp(st->op, "crash") == 0)
		return fail_tok(p, n, "'crash' does not return: no '&' needed");
	if (st->want.set && strcmp(st->op, "crash") == 0)
		return fail_tok(p, n, "'crash' does not return: nothing to expect");
	return check_op_args(p, st, i + 2);
}

/* Trailing "port N" and (if allowed) "count N", in any order, before "within". */
static int option_tail(struct parser *p, unsigned *n, struct step *st, bool count_ok)
{
	long long v;

	while (*n >= 2) {
		const char *k = p->tok[*n - 2].s;
		if (strcmp(k, "port") == 0) {
			if (parse_num(p->tok[*n - 1].s, 1, 65535, &v) < 0)
				return fail_tok(p, *n - 1, "expected a port from 1 to 65535");
			st->port = (int)v;
		} else if (count_ok && strcmp(k, "count") == 0) {
			if (parse_num(p->tok[*n - 1].s, 1, NETNS_MAX_SOCKS, &v) < 0)
				return fail_tok(p, *n - 1, "expected a count from 1 to %d (a run lists at most %d sockets "
						"of a host)", NETNS_MAX_SOCKS, NETNS_MAX_SOCKS);
			st->count = (unsigned)v;
		} else if (count_ok && (strcmp(k, "recvq") == 0 || strcmp(k, "sendq") == 0)) {
			if (parse_num(p->tok[*n - 1].s, 0, UINT32_MAX, &v) < 0)
				return fail_tok(p, *n - 1, "expected a queue size, a whole number");
			*(k[0] == 'r' ? &st->recvq : &st->sendq) = v;
		} else {
			break;
		}
		*n -= 2;
	}
	return 0;
}

/* FROM > TO FLAGS [port N] */
static int parse_packet(struct parser *p, unsigned i, struct step *st)
{
	unsigned n = p->ntok;
	int r;

	if ((r = within_tail(p, &n, st)) < 0 || (r = option_tail(p, &n, st, false)) < 0)
		return r;
	/* FROM > TO icmp NAME: an ICMP(v6) error quoting a TCP segment, named as capture.c does */
	st->icmp = n == i + 5 && strcmp(p->tok[i + 3].s, "icmp") == 0;
	if (n != i + 4 + st->icmp)
		return fail_tok(p, n > i + 4 ? i + 4 : n, "expected FROM > TO FLAGS, for example 'server > client F.', "
				"or FROM > TO icmp NAME");
	if ((r = host_or_router_tok(p, i, &st->from)) < 0)
		return r;
	if (strcmp(p->tok[i + 1].s, ">") != 0)
		return fail_tok(p, i + 1, "expected '>' between the two hosts");
	if ((r = host_or_router_tok(p, i + 2, &st->to)) < 0)
		return r;
	if (st->icmp) {
		static const char *const names[] = { "net-unreachable", "host-unreachable", "prot-unreachable",
						      "port-unreachable", "frag-needed", "admin-prohibited",
						      "ttl-exceeded" };
		for (size_t k = 0; k < sizeof names / sizeof names[0]; k++)
			if (strcmp(names[k], p->tok[i + 4].s) == 0) {
				snprintf(st->flags, sizeof st->flags, "%s", names[k]);
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
	if (strlen(f) >= sizeof st->flags || strspn(f, order) != strlen(f))
		return fail_tok(p, i + 3, "expected TCP flags in tcpdump letters (S, S., ., P., F., R, R.), got '%s'", f);
	for (const char *c = order; *c; c++) {
		const char *at = strchr(f, *c);
		if (at && strchr(at + 1, *c))
			return fail_tok(p, i + 3, "flag '%c' given twice in '%s'", *c, f);
		if (at)
			st->flags[nf++] = *c;
	}
	st->flags[nf] = 0;
	return 0;
}

static int tokenize(struct parser *p, char *line);

/* ---- real programs: HOST[.PROG] exec ..., and the steps that name HOST.PROG ---- */

/* Whether w is HOST.PROG for a program an earlier exec step started; if so, st->host and
 * st->sock are set. */
static bool prog_word(struct parser *p, const char *w, struct step *st)
{
	const char *dot = strchr(w, '.');

	if (!dot)
		return false;
	for (size_t i = 0; i < p->s->nsteps; i++) {
		const struct step *e = &p->s->steps[i];
		if (e->kind == STEP_EXEC && strcmp(e->sock, dot + 1) == 0 &&
		    strlen(p->s->hosts[e->host]) == (size_t)(dot - w) &&
		    strncmp(p->s->hosts[e->host], w, (size_t)(dot - w)) == 0) {
			st->host = e->host;
			snprintf(st->sock, sizeof st->sock, "%s", e->sock);
			return true;
		}
	}
	return false;
}

/* Lines whose rest is taken as written (a command line, a quoted text), not split in words:
 * "HOST[.PROG] exec ..." and "await|expect output ...". */
static bool is_raw_step(const char *line)
{
	const char *w2 = line + strcspn(line, " \t");
	size_t n1 = (size_t)(w2 - line);
	w2 += strspn(w2, " \t");
	size_t n2 = strcspn(w2, " \t");

	if (n2 == 4 && strncmp(w2, "exec", 4) == 0)
		return true;
	return n2 == 6 && strncmp(w2, "output", 6) == 0 &&
	       ((n1 == 5 && strncmp(line, "await", 5) == 0) || (n1 == 6 && strncmp(line, "expect", 6) == 0));
}

/* (expect|await) HOST.PROG CALL [= RET [ERRNO]] [within DUR]: a call the shim reported. */
static int parse_call(struct parser *p, unsigned i, struct step *st)
{
	static const char *const calls[] = { "connect", "accept", "read", "write", "recv", "send", "recvfrom",
					     "sendto", "recvmsg", "sendmsg", "shutdown", "close", "so_error" };
	unsigned n = p->ntok;
	int r;

	st->kind = STEP_CALL;
	if ((st->waits && (r = within_tail(p, &n, st)) < 0) || (r = expect_tail(p, &n, st)) < 0)
		return r;
	if (n != i + 2)
		return fail_tok(p, n < i + 2 ? n : i + 2, "expected '%s HOST.PROGRAM CALL [= RESULT]', for example "
				"'%s client.curl recv = -1 ECONNRESET'", p->tok[0].s, p->tok[0].s);
	for (size_t k = 0; k < sizeof calls / sizeof calls[0]; k++)
		if (strcmp(calls[k], p->tok[i + 1].s) == 0) {
			snprintf(st->op, sizeof st->op, "%s", calls[k]);
			return 0;
		}
	return fail_tok(p, i + 1, "unknown call '%s' (connect, accept, read, write, recv, send, recvfrom, sendto, "
			"recvmsg, sendmsg, shutdown, close, so_error)", p->tok[i + 1].s);
}

/* await listen HOST[.PROG] PORT [within DUR] */
static int parse_listen(struct parser *p, struct step *st)
{
	unsigned n = p->ntok;
	long long v;
	int r;

	st->kind = STEP_LISTEN;
	if ((r = within_tail(p, &n, st)) < 0)
		return r;
	if (n != 4)
		return fail_tok(p, n < 4 ? n : 4, "expected 'await listen HOST[.PROGRAM] PORT'");
	if (!prog_word(p, p->tok[2].s, st) && (r = host_tok(p, 2, &st->host)) < 0)
		return r;
	if (parse_num(p->tok[3].s, 1, 65535, &v) < 0)
		return fail_tok(p, 3, "expected a port from 1 to 65535");
	st->port = (int)v;
	return 0;
}

/* HOST[.PROG] exec [port N] COMMAND...: the program's name is PROG, or the command's base name;
 * {port} is N, or the port of the last exec that gave one. */
static int parse_exec(struct parser *p, struct step *st, const char *raw, const char *rest)
{
	const char *w = p->tok[0].s, *dot = strchr(w, '.');
	char host[32], err[256];
	long long v;
	size_t at;

	st->kind = STEP_EXEC;
	snprintf(host, sizeof host, "%.*s", dot ? (int)(dot - w) : 31, w);
	if ((st->host = scenario_host(p->s, host)) < 0)
		return host_tok(p, 0, &st->host);
	const char *c = rest + 4;           /* after "exec" */
	c += strspn(c, " \t");
	if (strncmp(c, "port", 4) == 0 && (c[4] == ' ' || c[4] == '\t')) {
		const char *num = c + 4 + strspn(c + 4, " \t");
		char buf[16];
		size_t k = strcspn(num, " \t");
		snprintf(buf, sizeof buf, "%.*s", (int)(k < 15 ? k : 15), num);
		if (k >= 15 || parse_num(buf, 1, 65535, &v) < 0)
			return fail_at(p, (unsigned)(num - raw) + 1, "expected a port from 1 to 65535 after 'port'");
		st->port = (int)v;
		c = num + k + strspn(num + k, " \t");
	}
	/* Without 'port', {port} is the port the last exec named. */
	for (size_t i = p->s->nsteps; !st->port && i-- > 0;)
		if (p->s->steps[i].kind == STEP_EXEC)
			st->port = p->s->steps[i].port;
	if (!st->port && strstr(c, "{port}"))
		return fail_at(p, (unsigned)(strstr(c, "{port}") - raw) + 1,
			       "{port} has no value: give one with 'exec port N ...' here or on an earlier exec");
	if (program_check_command(p->s, c, err, sizeof err, &at) < 0)
		return fail_at(p, (unsigned)(c - raw + (ptrdiff_t)at) + 1, "%s", err);
	snprintf(st->text, sizeof st->text, "%s", c);
	if (dot) {
		if (!valid_name(dot + 1, sizeof st->sock))
			return fail_at(p, p->tok[0].col + (unsigned)(dot - w) + 1,
				       "a program's name is 1-31 letters, digits, '_' or '-'");
		snprintf(st->sock, sizeof st->sock, "%s", dot + 1);
		return 0;
	}
	/* No name: the command's base name ("curl" for /usr/bin/curl), as far as it is a name. */
	size_t n = strcspn(c, " \t");
	const char *base = c;
	for (size_t k = 0; k < n; k++)
		if (c[k] == '/')
			base = c + k + 1;
	size_t len = 0;
	while (base + len < c + n && len + 1 < sizeof st->sock &&
	       (isalnum((unsigned char)base[len]) || base[len] == '_' || base[len] == '-'))
		len++;
	if (!len)
		return fail_at(p, (unsigned)(c - raw) + 1, "name the program: '%s.NAME exec ...'", host);
	snprintf(st->sock, sizeof st->sock, "%.*s", (int)len, base);
	return 0;
}

/* (await|expect) output HOST.PROG [contains] "TEXT" [within DUR] */
static int parse_output(struct parser *p, struct step *st, const char *raw, const char *rest)
{
	char word[64], tail[256];
	const char *c = rest + 6;           /* after "output" */
	int r;

	st->kind = STEP_OUTPUT;
	st->waits = strcmp(p->tok[0].s, "await") == 0;
	c += strspn(c, " \t");
	size_t n = strcspn(c, " \t");
	snprintf(word, sizeof word, "%.*s", (int)(n < 63 ? n : 63), c);
	if (!prog_word(p, word, st))
		return fail_at(p, (unsigned)(c - raw) + 1, "expected HOST.PROGRAM, a program started by an earlier "
			       "'exec' step, got '%s'", word);
	c += n + strspn(c + n, " \t");
	if (strncmp(c, "contains", 8) == 0 && (c[8] == ' ' || c[8] == '\t'))
		c += 8 + strspn(c + 8, " \t");
	if (*c != '"')
		return fail_at(p, (unsigned)(c - raw) + 1, "expected the text in double quotes, for example "
			       "'%s output %s \"Connection refused\"'", p->tok[0].s, word);
	size_t len = 0;
	for (c++; *c && *c != '"'; c++) {
		if (*c == '\\' && (c[1] == '"' || c[1] == '\\'))
			c++;
		if (len + 1 >= sizeof st->text)
			return fail_at(p, (unsigned)(c - raw) + 1, "text too long");
		st->text[len++] = *c;
	}
	st->text[len] = 0;
	if (*c != '"')
		return fail_at(p, (unsigned)(c - raw) + 1, "unterminated double quote");
	if (!len)
		return fail_at(p, (unsigned)(c - raw) + 1, "expected some text between the quotes");
	/* The rest: within/after, in words. */
	snprintf(tail, sizeof tail, "%s", c + 1);
	unsigned base = (unsigned)(c + 1 - raw);
	if ((r = tokenize(p, tail)) < 0)
		return r;
	for (unsigned k = 0; k < p->ntok; k++)
		p->tok[k].col += base;
	unsigned nt = p->ntok;
	if (st->waits && (r = within_tail(p, &nt, st)) < 0)
		return r;
	if (nt)
		return fail_tok(p, 0, "unexpected '%s' after the text", p->tok[0].s);
	return 0;
}

static int parse_raw_step(struct parser *p, struct step *st, const char *raw, const char *rest)
{
	if (strncmp(rest, "exec", 4) == 0)
		return parse_exec(p, st, raw, rest);
	return parse_output(p, st, raw, rest);
}

static int parse_counter(struct parser *p, struct step *st);

/* (expect|await) no state HOST STATE [port N] [within DUR]: no such socket, now or awaited. */
static int parse_no_state(struct parser *p, struct step *st)
{
	unsigned n = p->ntok;
	int r;

	st->kind = STEP_NO_STATE;
	if (st->waits && (r = within_tail(p, &n, st)) < 0)
		return r;
	if ((r = option_tail(p, &n, st, false)) < 0)
		return r;
	if (n != 5)
		return fail_tok(p, n < 5 ? n : 5, "expected '%s no state HOST STATE [port N]'", p->tok[0].s);
	if ((r = host_tok(p, 3, &st->host)) < 0)
		return r;
	if ((st->state = netns_state_from_name(p->tok[4].s)) < 0)
		return fail_tok(p, 4, "unknown TCP state '%s' (ESTABLISHED, SYN-SENT, FIN-WAIT-1, TIME-WAIT, CLOSE-WAIT, LISTEN, ...)", p->tok[4].s);
	return 0;
}

static int parse_await(struct parser *p, struct step *st)
{
	unsigned n = p->ntok;
	int r;

	if (n < 2)
		return fail_tok(p, 1, "expected 'packet', 'exit', 'state', 'counter' or HOST[.SOCKET] after 'await'");
	const char *what = p->tok[1].s;
	if (strcmp(what, "listen") == 0)
		return parse_listen(p, st);
	if (prog_word(p, what, st)) {
		st->waits = true;
		return parse_call(p, 1, st);
	}
	if (strcmp(what, "packet") == 0) {
		st->kind = STEP_PACKET;
		return parse_packet(p, 2, st);
	}
	if (strcmp(what, "exit") == 0) {
		st->kind = STEP_EXIT;
		if ((r = within_tail(p, &n, st)) < 0)
			return r;
		if (n != 5 || (strcmp(p->tok[3].s, "signal") && strcmp(p->tok[3].s, "status")))
			return fail_tok(p, n < 4 ? n : 3, "expected 'await exit HOST signal SIGNAME' or 'await exit HOST status N'");
		if (!prog_word(p, p->tok[2].s, st) && (r = host_tok(p, 2, &st->host)) < 0)
			return r;
		st->by_signal = strcmp(p->tok[3].s, "signal") == 0;
		long long v;
		if (st->by_signal) {
			if ((st->sig = signal_from_name(p->tok[4].s)) < 0)
				return fail_tok(p, 4, "unknown signal '%s'", p->tok[4].s);
		} else if (parse_num(p->tok[4].s, 0, 255, &v) < 0) {
			return fail_tok(p, 4, "expected an exit status from 0 to 255");
		} else {
			st->status = (int)v;
		}
		return 0;
	}
	if (strcmp(what, "state") == 0) {
		st->kind = STEP_STATE;
		st->count = 1;
		st->recvq = st->sendq = -1;
		if ((r = within_tail(p, &n, st)) < 0 || (r = option_tail(p, &n, st, true)) < 0)
			return r;
		if (n != 4)
			return fail_tok(p, n < 4 ? n : 4, "expected 'await state HOST STATE [port N] [count N] [recvq N] [sendq N]'");
		if ((r = host_tok(p, 2, &st->host)) < 0)
			return r;
		if ((st->state = netns_state_from_name(p->tok[3].s)) < 0)
			return fail_tok(p, 3, "unknown TCP state '%s' (ESTABLISHED, SYN-SENT, FIN-WAIT-1, TIME-WAIT, CLOSE-WAIT, LISTEN, ...)", p->tok[3].s);
		return 0;
	}
	if (strcmp(what, "counter") == 0) {
		st->waits = true;
		return parse_counter(p, st);
	}
	if (strcmp(what, "no") == 0 && n >= 3 && strcmp(p->tok[2].s, "state") == 0) {
		st->waits = true;
		return parse_no_state(p, st);
	}
	st->kind = STEP_AWAIT_OP;
	return parse_op(p, 1, st, true);
}

static int parse_expect(struct parser *p, struct step *st)
{
	unsigned n = p->ntok;

	if (n >= 3 && strcmp(p->tok[1].s, "no") == 0 && strcmp(p->tok[2].s, "packet") == 0) {
		st->kind = STEP_NO_PACKET;
		return parse_packet(p, 3, st);
	}
	if (n >= 3 && strcmp(p->tok[1].s, "no") == 0 && strcmp(p->tok[2].s, "state") == 0)
		return parse_no_state(p, st);
	if (n >= 2 && strcmp(p->tok[1].s, "counter") == 0)
		return parse_counter(p, st);
	if (n >= 2 && prog_word(p, p->tok[1].s, st))
		return parse_call(p, 1, st);
	return fail_tok(p, 1, "expected 'expect no packet ...', 'expect no state ...' or 'expect counter ...'");
}

/* (expect|await) counter HOST NAME OP VALUE [within DUR] */
static int parse_counter(struct parser *p, struct step *st)
{
	unsigned n = p->ntok;
	int r;

	st->kind = STEP_COUNTER;
	if (st->waits && (r = within_tail(p, &n, st)) < 0)
		return r;
	if (n != 6)
		return fail_tok(p, n < 6 ? n : 6, "expected '%s counter HOST TcpExt.NAME OP VALUE'", p->tok[0].s);
	if ((r = host_or_router_tok(p, 2, &st->host)) < 0)
		return r;
	if (!strchr(p->tok[3].s, '.') || strlen(p->tok[3].s) >= sizeof st->key)
		return fail_tok(p, 3, "expected a counter such as TcpExt.ListenOverflows or Tcp.RetransSegs");
	snprintf(st->key, sizeof st->key, "%s", p->tok[3].s);
	const char *c = p->tok[4].s;
	if (strcmp(c, "=") && strcmp(c, ">=") && strcmp(c, "<=") && strcmp(c, ">") && strcmp(c, "<"))
		return fail_tok(p, 4, "expected one of = >= <= > <");
	snprintf(st->cmp, sizeof st->cmp, "%s", c);
	if (parse_num(p->tok[5].s, 0, LLONG_MAX / 2, &st->number) < 0)
		return fail_tok(p, 5, "expected a whole number");
	return 0;
}

static bool is_text_header(const char *w, size_t n)
{
	static const char *const keys[] = { "summary", "claim", "linux", "timers", "nft" };

	for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++)
		if (strlen(keys[i]) == n && strncmp(w, keys[i], n) == 0)
			return true;
	return false;
}

static int parse_header(struct parser *p, const char *line, const char *key, const char *rest)
{
	struct scenario *s = p->s;
	unsigned col = (unsigned)(rest - line) + 1;
	char *dst = NULL;
	size_t cap = 0;

	if (strcmp(key, "claim") == 0)
		dst = s->claim, cap = sizeof s->claim;
	else if (strcmp(key, "linux") == 0)
		dst = s->linux_says, cap = sizeof s->linux_says;
	else if (strcmp(key, "timers") == 0)
		dst = s->timers, cap = sizeof s->timers;
	else if (strcmp(key, "summary") == 0)
		dst = s->summary, cap = sizeof s->summary;
	if (dst) {
		if (!*rest)
			return fail_at(p, col, "'%s' needs text", key);
		if (strlen(dst) + strlen(rest) + 2 > cap)
			return fail_at(p, col, "'%s' is too long (at most %zu characters)", key, cap - 1);
		if (*dst)
			strcat(dst, " ");
		strcat(dst, rest);
		return 0;
	}
	if (strcmp(key, "mode") == 0) {
		if (p->ntok != 2 || strlen(p->tok[1].s) >= sizeof s->mode ||
		    !strchr("ABCD", p->tok[1].s[0]) || !isdigit((unsigned char)p->tok[1].s[1]))
			return fail_tok(p, 1, "expected a mode id such as B2 (see failure-modes.md)");
		snprintf(s->mode, sizeof s->mode, "%s", p->tok[1].s);
		return 0;
	}
	if (strcmp(key, "hosts") == 0) {
		if (p->ntok < 3 || p->ntok > SCENARIO_MAX_HOSTS + 1)
			return fail_tok(p, p->ntok, "expected 2 to %d host names", SCENARIO_MAX_HOSTS);
		for (unsigned i = 1; i < p->ntok; i++) {
			if (!valid_name(p->tok[i].s, sizeof s->hosts[0]) || strchr(p->tok[i].s, '.'))
				return fail_tok(p, i, "a host name is 1-15 letters, digits, '_' or '-'");
			for (unsigned k = 1; k < i; k++)
				if (strcmp(p->tok[k].s, p->tok[i].s) == 0)
					return fail_tok(p, i, "host '%s' named twice", p->tok[i].s);
			if (s->router && strcmp(p->tok[i].s, "router") == 0)
				return fail_tok(p, i, "with 'topology router', 'router' is the router's name");
			snprintf(s->hosts[i - 1], sizeof s->hosts[0], "%s", p->tok[i].s);
		}
		s->nhosts = p->ntok - 1;
		return 0;
	}
	if (strcmp(key, "topology") == 0) {
		const char *t = p->ntok == 2 ? p->tok[1].s : "";
		if (strcmp(t, "bridge") && strcmp(t, "router"))
			return fail_tok(p, 1, "expected bridge (the default) or router");
		s->router = strcmp(t, "router") == 0;
		for (unsigned i = 0; i < s->nhosts && s->router; i++)
			if (strcmp(s->hosts[i], "router") == 0)
				return fail_tok(p, 1, "a host is named 'router': with 'topology router' that name is the router's");
		return 0;
	}
	if (strcmp(key, "family") == 0) {
		const char *f = p->ntok == 2 ? p->tok[1].s : "";
		s->families = strcmp(f, "inet") == 0 ? FAMILY_INET : strcmp(f, "inet6") == 0 ? FAMILY_INET6 :
			      strcmp(f, "both") == 0 ? FAMILY_INET | FAMILY_INET6 : 0;
		return s->families ? 0 : fail_tok(p, 1, "expected inet, inet6 or both");
	}
	if (strcmp(key, "timeout") == 0 || strcmp(key, "await-timeout") == 0) {
		int *v = key[0] == 't' ? &s->timeout_ms : &s->await_ms;
		if (p->ntok != 2 || parse_duration(p->tok[1].s, v) < 0 || *v == 0)
			return fail_tok(p, 1, "expected a duration such as 500ms, 5s or 1m");
		return 0;
	}
	return 1; /* not a header line */
}

static int parse_step(struct parser *p, struct step *st)
{
	const char *w = p->tok[0].s;
	int r;

	if (strcmp(w, "await") == 0)
		return parse_await(p, st);
	if (strcmp(w, "expect") == 0)
		return parse_expect(p, st);
	if (strcmp(w, "sysctl") == 0) {
		st->kind = STEP_SYSCTL;
		if (p->ntok != 4)
			return fail_tok(p, p->ntok < 4 ? p->ntok : 4, "expected 'sysctl HOST net.ipv4.KEY VALUE'");
		if ((r = host_or_router_tok(p, 1, &st->host)) < 0)
			return r;
		const char *k = p->tok[2].s;
		if (strncmp(k, "net.", 4) != 0 || strlen(k) >= sizeof st->key || strstr(k, "..") ||
		    strspn(k, "abcdefghijklmnopqrstuvwxyz0123456789_.") != strlen(k))
			return fail_tok(p, 2, "expected a network sysctl such as net.ipv4.tcp_retries2");
		if (strlen(p->tok[3].s) >= sizeof st->value)
			return fail_tok(p, 3, "value too long");
		snprintf(st->key, sizeof st->key, "%s", k);
		snprintf(st->value, sizeof st->value, "%s", p->tok[3].s);
		return 0;
	}
	if (strcmp(w, "kill") == 0) {
		st->kind = STEP_KILL;
		if (p->ntok < 2 || p->ntok > 3)
			return fail_tok(p, p->ntok, "expected 'kill HOST[.PROGRAM] [SIGNAL]'");
		if (!prog_word(p, p->tok[1].s, st) && (r = host_tok(p, 1, &st->host)) < 0)
			return r;
		st->sig = SIGKILL;
		if (p->ntok == 3 && (st->sig = signal_from_name(p->tok[2].s)) < 0)
			return fail_tok(p, 2, "unknown signal '%s'", p->tok[2].s);
		return 0;
	}
	static const struct {
		const char *w;
		enum step_kind k;
	} host_steps[] = {
		{ "blackhole", STEP_BLACKHOLE }, { "unblackhole", STEP_UNBLACKHOLE }, { "reboot", STEP_REBOOT },
	};
	for (size_t i = 0; i < sizeof host_steps / sizeof host_steps[0]; i++)
		if (strcmp(w, host_steps[i].w) == 0) {
			st->kind = host_steps[i].k;
			/* blackhole HOST [nftables|netem]: the mechanism; nftables by default. */
			bool mech = st->kind != STEP_REBOOT && p->ntok == 3;
			if (p->ntok != 2 && !mech)
				return fail_tok(p, p->ntok < 2 ? 1 : 2, st->kind == STEP_REBOOT ?
						"expected 'reboot HOST'" : "expected '%s HOST [nftables|netem]'", w);
			if (mech && strcmp(p->tok[2].s, "nftables") && strcmp(p->tok[2].s, "netem"))
				return fail_tok(p, 2, "expected nftables or netem");
			snprintf(st->op, sizeof st->op, "%s", mech ? p->tok[2].s : "nftables");
			return host_tok(p, 1, &st->host);
		}
	/* unreachable HOST host|net, reachable HOST: the router's ICMP errors toward HOST */
	if (strcmp(w, "unreachable") == 0 || strcmp(w, "reachable") == 0) {
		bool on = w[0] == 'u';
		st->kind = on ? STEP_UNREACHABLE : STEP_REACHABLE;
		if (p->ntok != (on ? 3u : 2u))
			return fail_tok(p, p->ntok < 2 ? 1 : 2, on ? "expected 'unreachable HOST host|net'" :
					"expected 'reachable HOST'");
		if (!p->s->router)
			return fail_tok(p, 0, "'%s' needs a router between the hosts: add 'topology router'", w);
		if (on && strcmp(p->tok[2].s, "host") && strcmp(p->tok[2].s, "net"))
			return fail_tok(p, 2, "expected host (ICMP host unreachable) or net (net unreachable)");
		snprintf(st->op, sizeof st->op, "%s", on ? p->tok[2].s : "");
		return host_tok(p, 1, &st->host);
	}
	/* hold HOST, release HOST: what HOST sends waits, then leaves in order */
	if (strcmp(w, "hold") == 0 || strcmp(w, "release") == 0) {
		st->kind = w[0] == 'h' ? STEP_HOLD : STEP_RELEASE;
		if (p->ntok != 2)
			return fail_tok(p, p->ntok < 2 ? 1 : 2, "expected '%s HOST'", w);
		return host_tok(p, 1, &st->host);
	}
	/* quickack HOST on|off: the route metric that turns HOST's delayed ACKs off */
	if (strcmp(w, "quickack") == 0) {
		st->kind = STEP_QUICKACK;
		if (p->ntok != 3)
			return fail_tok(p, p->ntok < 3 ? p->ntok : 3, "expected 'quickack HOST on|off'");
		if (strcmp(p->tok[2].s, "on") && strcmp(p->tok[2].s, "off"))
			return fail_tok(p, 2, "expected on (ACK every segment at once) or off (delayed ACKs, the default)");
		snprintf(st->op, sizeof st->op, "%s", p->tok[2].s);
		return host_tok(p, 1, &st->host);
	}
	char host[64];
	snprintf(host, sizeof host, "%.*s", (int)strcspn(w, "."), w);
	if (scenario_host(p->s, host) >= 0) {
		st->kind = STEP_OP;
		return parse_op(p, 0, st, false);
	}
	return fail_tok(p, 0, "unknown statement '%s' (a host name, await, expect, sysctl, kill, "
			"blackhole, unblackhole, hold, release, reboot, unreachable, reachable, quickack, or a header: mode, summary, "
			"claim, linux, timers, hosts, family, topology, timeout, await-timeout)", w);
}

/* nft HOST COMMAND: the command is the rest of the line, as nft(8) would take it. */
static int parse_nft(struct parser *p, struct step *st, const char *raw, const char *rest)
{
	char host[32];
	size_t n = strcspn(rest, " \t");
	unsigned col = (unsigned)(rest - raw) + 1;

	st->kind = STEP_NFT;
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
	if (strlen(cmd) >= sizeof st->text)
		return fail_at(p, (unsigned)(cmd - raw) + 1, "nftables command too long (at most %zu characters)",
			       sizeof st->text - 1);
	snprintf(st->text, sizeof st->text, "%s", cmd);
	return 0;
}

/* Splits line (modified in place) into tokens; '#' ends it. */
static int tokenize(struct parser *p, char *line)
{
	p->ntok = 0;
	for (char *c = line; *c && *c != '#';) {
		if (*c == ' ' || *c == '\t') {
			*c++ = 0;
			continue;
		}
		if (p->ntok == MAX_TOKENS)
			return fail_at(p, (unsigned)(c - line) + 1, "too many words on one line (at most %d)", MAX_TOKENS);
		p->tok[p->ntok].s = c;
		p->tok[p->ntok++].col = (unsigned)(c - line) + 1;
		while (*c && *c != ' ' && *c != '\t' && *c != '#')
			c++;
		if (*c == '#')
			*c = 0;
	}
	return 0;
}

static void base_name(const char *path, char *out, size_t len)
{
	const char *b = strrchr(path, '/');
	b = b ? b + 1 : path;
	size_t n = strcspn(b, ".");
	snprintf(out, len, "%.*s", (int)(n < len ? n : len - 1), b);
}

int scenario_parse(const char *path, const char *text, struct scenario **ret, char *err, size_t errlen)
{
	struct parser p = { .path = path, .err = err, .errlen = errlen };
	struct scenario *s = calloc(1, sizeof *s);
	char line[1024], raw[1024];
	size_t steps_cap = 0;             /* room in s->steps */
	unsigned cmds = 0;                /* the most peer commands the steps so far may send */
	int r = 0;

	if (!s) {
		snprintf(err, errlen, "%s: %s", path, strerror(ENOMEM));
		return -ENOMEM;
	}
	p.s = s;
	snprintf(s->path, sizeof s->path, "%s", path);
	base_name(path, s->name, sizeof s->name);
	snprintf(s->hosts[0], sizeof s->hosts[0], "client");
	snprintf(s->hosts[1], sizeof s->hosts[1], "server");
	s->nhosts = 2;
	s->families = FAMILY_INET | FAMILY_INET6;
	s->timeout_ms = 30000;
	s->await_ms = 5000;

	const char *c = text;
	bool steps_started = false;
	while (*c) {
		size_t len = strcspn(c, "\n");
		p.line++;
		if (len >= sizeof line) {
			r = fail_at(&p, sizeof line, "line too long (at most %zu characters)", sizeof line - 1);
			goto out;
		}
		memcpy(line, c, len);
		line[len] = 0;
		if (len && line[len - 1] == '\r')
			line[len - 1] = 0;
		c += len + (c[len] == '\n');
		for (char *q = line; *q; q++)
			if ((unsigned char)*q < 0x20 && *q != '\t') {
				r = fail_at(&p, (unsigned)(q - line) + 1, "control character 0x%02x: not a scenario file", *q);
				goto out;
			}
		memcpy(raw, line, len + 1);
		/* Text headers take the rest of the line as it is, however many words. */
		size_t lead = strspn(raw, " \t"), klen = strcspn(raw + lead, " \t");
		if (is_text_header(raw + lead, klen) || is_raw_step(raw + lead)) {
			line[lead + klen] = 0;
			p.tok[0] = (struct token){ .s = line + lead, .col = (unsigned)lead + 1 };
			p.ntok = 1;
		} else if ((r = tokenize(&p, line)) < 0) {
			goto out;
		}
		if (p.ntok == 0)
			continue;
		/* header text is the rest of the raw line after the key, comments included */
		const char *rest = raw + p.tok[0].col - 1 + strlen(p.tok[0].s);
		rest += strspn(rest, " \t");
		r = strcmp(p.tok[0].s, "nft") == 0 ? 1 : parse_header(&p, raw, p.tok[0].s, rest);
		if (r < 0)
			goto out;
		if (r == 0) {
			if (steps_started && (strcmp(p.tok[0].s, "hosts") == 0 || strcmp(p.tok[0].s, "topology") == 0)) {
				r = fail_at(&p, 1, "'%s' must come before the first step", p.tok[0].s);
				goto out;
			}
			continue;
		}
		if (s->nsteps == MAX_STEPS) {
			r = fail_at(&p, 1, "too many steps (at most %d)", MAX_STEPS);
			goto out;
		}
		/* Doubling: growing by one step a time copied the array on every line (quadratic in
		 * a long file; seconds for MAX_STEPS steps under ASan). */
		if (s->nsteps == steps_cap) {
			size_t cap = steps_cap ? 2 * steps_cap : 16;
			struct step *grown = realloc(s->steps, cap * sizeof *grown);
			if (!grown) {
				snprintf(err, errlen, "%s: %s", path, strerror(ENOMEM));
				r = -ENOMEM;
				goto out;
			}
			s->steps = grown;
			steps_cap = cap;
		}
		struct step *st = &s->steps[s->nsteps];
		memset(st, 0, sizeof *st);
		st->line = p.line;
		st->host = -1;
		if (strcmp(p.tok[0].s, "nft") == 0)
			r = parse_nft(&p, st, raw, rest);
		else if (is_raw_step(raw + p.tok[0].col - 1))
			r = parse_raw_step(&p, st, raw, rest);
		else
			r = parse_step(&p, st);
		if (r == 0)
			r = check_waits(&p, st);
		if (r < 0)
			goto out;
		if (st->kind == STEP_OP && (cmds += ops[op_index(st->op)].cmds) > SCENARIO_MAX_CMDS) {
			r = fail_tok(&p, 0, "too many socket operations: a run sends at most %d commands to its peers, "
				     "and the operations up to here may need %u (1 each, or with the socket and bind "
				     "made first: listen 3; bind, connect, nonblock, setsockopt 2)",
				     SCENARIO_MAX_CMDS, cmds);
			goto out;
		}
		/* Saturating: a floor past the run's timeout is refused below anyway. */
		s->floor_ms = s->floor_ms <= INT_MAX - st->after_ms ? s->floor_ms + st->after_ms : INT_MAX;
		s->nsteps++;
		steps_started = true;
	}
	r = 0;
	if (r == 0 && s->floor_ms >= s->timeout_ms) {
		p.line = 1;
		r = fail_at(&p, 1, "the 'after' floors add up to %d ms, more than the run's timeout (%d ms)",
			    s->floor_ms, s->timeout_ms);
	} else if (!s->mode[0]) {
		p.line = 1;
		r = fail_at(&p, 1, "no 'mode' line: every scenario names the failure mode it shows (for example 'mode B2')");
	} else if (!s->summary[0]) {
		p.line = 1;
		r = fail_at(&p, 1, "no 'summary' line: say in one line what this scenario shows");
	} else if (s->nsteps == 0) {
		p.line = 1;
		r = fail_at(&p, 1, "no steps: nothing to run");
	}
out:
	if (r < 0) {
		scenario_free(s);
		return r;
	}
	*ret = s;
	return 0;
}

int scenario_load(const char *path, struct scenario **ret, char *err, size_t errlen)
{
	/* O_NONBLOCK: a FIFO named as a scenario must not block the open; it is refused below. */
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
	struct stat st;
	int r;

	if (fd < 0) {
		r = -errno;
		snprintf(err, errlen, "%s: %s", path, strerror(-r));
		return r;
	}
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || st.st_size > MAX_FILE) {
		snprintf(err, errlen, "%s:1:1: not a regular file of at most 1 MiB", path);
		close(fd);
		return -EINVAL;
	}
	char *text = malloc((size_t)st.st_size + 1);
	if (!text) {
		snprintf(err, errlen, "%s: %s", path, strerror(ENOMEM));
		close(fd);
		return -ENOMEM;
	}
	/* A read that fails part-way is an error: what came before it is not the whole file. */
	size_t got = 0;
	while (got < (size_t)st.st_size) {
		ssize_t n = read(fd, text + got, (size_t)st.st_size - got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			r = -errno;
			snprintf(err, errlen, "%s: reading: %s", path, strerror(-r));
			close(fd);
			free(text);
			return r;
		}
		if (n == 0)
			break;   /* shorter than fstat said: it shrank since; parse what it holds now */
		got += (size_t)n;
	}
	close(fd);
	text[got] = 0;
	if (memchr(text, 0, got)) {
		snprintf(err, errlen, "%s:1:1: binary content (a NUL byte): not a scenario file", path);
		free(text);
		return -EINVAL;
	}
	r = scenario_parse(path, text, ret, err, errlen);
	free(text);
	return r;
}

void scenario_free(struct scenario *s)
{
	if (!s)
		return;
	free(s->steps);
	free(s);
}
