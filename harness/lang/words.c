/* SPDX-License-Identifier: MIT */
/*
 * The words of the scenario language, which every part of the parser uses: tokens and their
 * errors (FILE:LINE:COL), numbers, durations, names, hosts, signals, the header names, and the
 * 'within'/'after' tail. Depends on nothing else of the language.
 */
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "netns.h"
#include "parser.h"

static const struct {
	const char *name;
	int sig;
} signals[] = {
	{ "KILL", SIGKILL }, { "TERM", SIGTERM }, { "SEGV", SIGSEGV }, { "ABRT", SIGABRT },
	{ "PIPE", SIGPIPE }, { "INT", SIGINT }, { "HUP", SIGHUP }, { "USR1", SIGUSR1 },
	{ "USR2", SIGUSR2 }, { "QUIT", SIGQUIT }, { "BUS", SIGBUS }, { "STOP", SIGSTOP },
	{ "CONT", SIGCONT },
};

int fail_at(struct parser *p, unsigned col, const char *fmt, ...)
{
	va_list ap;
	int n = snprintf(p->err, p->errlen, "%s:%u:%u: ", p->path, p->line, col);

	va_start(ap, fmt);
	if (n >= 0 && (size_t)n < p->errlen)
		vsnprintf(p->err + n, p->errlen - n, fmt, ap);
	va_end(ap);
	return -EINVAL;
}

int fail_tok(struct parser *p, unsigned i, const char *fmt, ...)
{
	char msg[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	return fail_at(p, i < p->ntok ? p->tok[i].col : (p->ntok ? p->tok[p->ntok - 1].col : 1), "%s", msg);
}

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

int parse_num(const char *s, long long min, long long max, long long *ret)
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
int parse_duration(const char *s, int *ret_ms)
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

int scenario_observe_mode(const char *text, enum exec_observe *ret)
{
	static const char *const modes[] = { [OBSERVE_AUTO] = "auto", [OBSERVE_SHIM] = "shim", [OBSERVE_TRACE] = "trace",
					     [OBSERVE_NONE] = "none" };

	for (int m = 0; m < 4; m++)
		if (strcmp(text, modes[m]) == 0)
			return *ret = (enum exec_observe)m, 0;
	return -EINVAL;
}

int scenario_duration(const char *text, int *ret_ms)
{
	return parse_duration(text, ret_ms);
}

int scenario_host(const struct scenario *s, const char *name)
{
	for (unsigned i = 0; i < s->nhosts; i++)
		if (strcmp(s->hosts[i], name) == 0)
			return (int)i;
	return -1;
}

const char *scenario_host_addr(const struct scenario *s, int host, int family, char buf[64])
{
	if (host < 0 || (unsigned)host >= s->nhosts)
		return NULL;
	return netns_topology_addr(s->router ? NETNS_ROUTER : NETNS_BRIDGE, host, family, buf);
}

bool valid_name(const char *s, size_t max)
{
	size_t n = strlen(s);

	if (n == 0 || n >= max)
		return false;
	for (; *s; s++)
		if (!isalnum((unsigned char)*s) && *s != '_' && *s != '-')
			return false;
	return true;
}

/* The header lines: they describe the scenario, they are no step. */
static const char *const headers[] = { "mode", "summary", "claim", "linux", "timers", "hosts", "family",
				       "topology", "timeout", "await-timeout", "requires", NULL };

const char *const *scenario_headers(void)
{
	return headers;
}

static const char *const conditions[] = { "if", "unless", NULL };

const char *const *scenario_conditions(void)
{
	return conditions;
}

bool sysctl_key_valid(const char *k, size_t max)
{
	return strncmp(k, "net.", 4) == 0 && strlen(k) < max && !strstr(k, "..") && k[strlen(k) - 1] != '.' &&
	       strspn(k, "abcdefghijklmnopqrstuvwxyz0123456789_.") == strlen(k);
}

int tokenize(struct parser *p, char *line)
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

int host_tok(struct parser *p, unsigned i, int *ret)
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

/* Optional trailing "within DUR" (the await's bound), "after DUR" (the awaited event must
 * not come sooner; runner.c says from when, or "after DUR from NAME": from the packet named NAME)
 * and "as NAME" (names the packet an await packet matches), in any order; consumes them from *n.
 * Called for the statements whose entry has STMT_WITHIN (take_tails(), or parse_output() on its
 * own tail); check_waits() refuses what a step still has no use for. */
int within_tail(struct parser *p, unsigned *n, struct step *st)
{
	while (*n >= 2) {
		const char *k = p->tok[*n - 2].s;
		if (strcmp(k, "as") == 0 || (strcmp(k, "from") == 0 && *n >= 4 && strcmp(p->tok[*n - 4].s, "after") == 0)) {
			char *dst = k[0] == 'a' ? st->mark : st->after_from;
			if (dst[0])
				return fail_tok(p, *n - 2, "'%s' twice on one line", k);
			if (!valid_name(p->tok[*n - 1].s, sizeof st->mark))
				return fail_tok(p, *n - 1, "expected a name (letters, digits, '_' or '-', at most %zu) after '%s'",
						sizeof st->mark - 1, k);
			snprintf(dst, sizeof st->mark, "%s", p->tok[*n - 1].s);
			if (k[0] == 'f')
				st->from_col = p->tok[*n - 2].col;
			*n -= 2;
			if (k[0] == 'a')
				p->as_at = *n;
			continue;
		}
		int *dst = strcmp(k, "within") == 0 ? &st->within_ms : strcmp(k, "after") == 0 ? &st->after_ms : NULL;
		if (!dst)
			break;
		*(dst == &st->within_ms ? &p->within_at : &p->after_at) = *n - 2;
		if (dst == &st->within_ms)
			st->within_col = p->tok[*n - 2].col;
		if (parse_duration(p->tok[*n - 1].s, dst) < 0 || *dst == 0)
			return fail_tok(p, *n - 1, "expected a duration such as 500ms, 5s or 1m");
		*n -= 2;
	}
	for (unsigned i = 0; i < *n; i++)
		if (strcmp(p->tok[i].s, "within") == 0 || strcmp(p->tok[i].s, "after") == 0)
			return fail_tok(p, i, "'%s' goes at the end of the line with one duration, such as '%s 5s'",
					p->tok[i].s, p->tok[i].s);
	/* 'after DUR from NAME' counts from an earlier packet, 'within' from the step: either may be longer. */
	if (st->after_ms && st->within_ms && !st->after_from[0] && st->after_ms >= st->within_ms)
		return fail_tok(p, *n, "'after' must be shorter than 'within'");
	return 0;
}
