/* SPDX-License-Identifier: MIT */
/*
 * The statements about real programs (program.c runs them): HOST[.PROG] exec, await listen,
 * await|expect output, await|expect HOST.PROG CALL, and the HOST.PROG words that name a
 * program an earlier exec started. Their entries are in statements.c's table.
 */
#include <ctype.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "parser.h"


/* Whether w is HOST.PROG for a program an earlier exec step started; if so, st->host and
 * st->sock are set. */
bool prog_word(struct parser *p, const char *w, struct step *st)
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

/* HOST or HOST.PROG (a program started earlier) */
int host_or_prog_tok(struct parser *p, unsigned i, struct step *st)
{
	return prog_word(p, p->tok[i].s, st) ? 0 : host_tok(p, i, &st->host);
}

static const char *const calls[] = { "connect", "accept", "read", "write", "recv", "send", "recvfrom",
				     "sendto", "recvmsg", "sendmsg", "shutdown", "close", "so_error" };

const char *scenario_call_name(size_t i)
{
	return i < sizeof calls / sizeof calls[0] ? calls[i] : NULL;
}

/* (expect|await) HOST.PROG CALL: a call the shim reported (the tails are off already). */
int parse_call(struct parser *p, struct step *st)
{
	unsigned i = p->at, n = p->n;

	st->call.waits = p->waits;
	if (n != i + 2)
		return fail_tok(p, n < i + 2 ? n : i + 2, "expected '%s HOST.PROGRAM CALL [= RESULT]', for example "
				"'%s client.curl recv = -1 ECONNRESET'", p->tok[0].s, p->tok[0].s);
	for (size_t k = 0; k < sizeof calls / sizeof calls[0]; k++)
		if (strcmp(calls[k], p->tok[i + 1].s) == 0) {
			snprintf(st->call.name, sizeof st->call.name, "%s", calls[k]);
			return 0;
		}
	return fail_tok(p, i + 1, "unknown call '%s' (connect, accept, read, write, recv, send, recvfrom, sendto, "
			"recvmsg, sendmsg, shutdown, close, so_error)", p->tok[i + 1].s);
}

/* await listen HOST[.PROG] PORT */
int parse_listen(struct parser *p, struct step *st)
{
	long long v;
	int r;

	if (p->n != 4)
		return fail_tok(p, p->n < 4 ? p->n : 4, "expected 'await listen HOST[.PROGRAM] PORT'");
	if ((r = host_or_prog_tok(p, 2, st)) < 0)
		return r;
	if (parse_num(p->tok[3].s, 1, 65535, &v) < 0)
		return fail_tok(p, 3, "expected a port from 1 to 65535");
	st->listen.port = (int)v;
	return 0;
}

/* HOST[.PROG] exec [port N] [observe MODE] COMMAND...: the program's name is PROG, or the command's
 * base name; {port} is N, or the port of the last exec that gave one; MODE says who sees its own
 * socket calls (auto: the tracer where the shim cannot see, else the shim). */
int parse_exec(struct parser *p, struct step *st)
{
	const char *raw = p->raw, *rest = p->rest;
	const char *w = p->tok[0].s, *dot = strchr(w, '.');
	char host[32], err[256];
	long long v;
	size_t at;

	snprintf(host, sizeof host, "%.*s", dot ? (int)(dot - w) : 31, w);
	if ((st->host = scenario_host(p->s, host)) < 0)
		return host_tok(p, 0, &st->host);
	const char *c = rest + 4;           /* after "exec" */
	c += strspn(c, " \t");
	/* Its options, in any order: port N, observe MODE. */
	for (bool more = true; more;) {
		size_t kw = strcspn(c, " \t");
		const char *arg = c + kw + strspn(c + kw, " \t");
		size_t k = strcspn(arg, " \t");
		char buf[16];
		snprintf(buf, sizeof buf, "%.*s", (int)(k < 15 ? k : 15), arg);
		more = false;
		if (kw == 4 && strncmp(c, "port", 4) == 0 && c[4]) {
			if (k >= 15 || parse_num(buf, 1, 65535, &v) < 0)
				return fail_at(p, (unsigned)(arg - raw) + 1, "expected a port from 1 to 65535 after 'port'");
			st->exec.port = (int)v;
			more = true;
		} else if (kw == 7 && strncmp(c, "observe", 7) == 0 && c[7]) {
			static const char *const modes[] = { [OBSERVE_AUTO] = "auto", [OBSERVE_SHIM] = "shim",
							     [OBSERVE_TRACE] = "trace", [OBSERVE_NONE] = "none" };
			int m = 0;
			while (m < 4 && strcmp(buf, modes[m]) != 0)
				m++;
			if (m == 4 || k >= 15)
				return fail_at(p, (unsigned)(arg - raw) + 1, "expected auto, shim, trace or none after "
					       "'observe' (who sees the program's own socket calls)");
			st->exec.observe = (enum exec_observe)m;
			more = true;
		}
		if (more)
			c = arg + k + strspn(arg + k, " \t");
	}
	/* Without 'port', {port} is the port the last exec named. */
	for (size_t i = p->s->nsteps; !st->exec.port && i-- > 0;)
		if (p->s->steps[i].kind == STEP_EXEC)
			st->exec.port = p->s->steps[i].exec.port;
	if (!st->exec.port && strstr(c, "{port}"))
		return fail_at(p, (unsigned)(strstr(c, "{port}") - raw) + 1,
			       "{port} has no value: give one with 'exec port N ...' here or on an earlier exec");
	if (program_check_command(p->s, c, err, sizeof err, &at) < 0)
		return fail_at(p, (unsigned)(c - raw + (ptrdiff_t)at) + 1, "%s", err);
	snprintf(st->exec.command, sizeof st->exec.command, "%s", c);
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
int parse_output(struct parser *p, struct step *st)
{
	const char *raw = p->raw, *rest = p->rest;
	char word[64], tail[256];
	const char *c = rest + 6;           /* after "output" */
	int r;

	st->output.waits = p->waits;
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
		if (len + 1 >= sizeof st->output.text)
			return fail_at(p, (unsigned)(c - raw) + 1, "text too long");
		st->output.text[len++] = *c;
	}
	st->output.text[len] = 0;
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
	if (p->waits && (r = within_tail(p, &nt, st)) < 0)
		return r;
	if (nt)
		return fail_tok(p, 0, "unexpected '%s' after the text", p->tok[0].s);
	return 0;
}

/* await exit HOST[.PROG] signal SIG | status N */
