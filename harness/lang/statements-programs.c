/* SPDX-License-Identifier: MIT */
/*
 * The statements about real programs (program.c runs them): HOST[.PROG] exec, await listen,
 * await|expect output, await|expect HOST.PROG CALL, and the HOST.PROG words that name a
 * program an earlier exec started. Their entries are in statements.c's table.
 */
#include <ctype.h>
#include <stddef.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
#include <sys/socket.h>
#include <sys/stat.h>
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

/* The calls the shim reports (peers/shim.c), by the C library's names; poll and epoll_wait only
 * where their revents on a TCP socket carry an error (POLLERR, POLLHUP, POLLRDHUP). */
static const char *const calls[] = { "connect", "accept", "read", "write", "recv", "send", "recvmsg", "sendmsg",
				     "readv", "writev", "recvmmsg", "sendmmsg", "sendfile", "splice", "shutdown", "close",
				     "so_error", "poll", "epoll_wait" };
/* The kernel's names (as strace shows them) of calls the shim reports under another: a program's
 * recv() is the recvfrom system call, and the shim reports recvfrom() as recv. */
static const struct {
	const char *kernel, *reported;
} call_aliases[] = { { "recvfrom", "recv" }, { "sendto", "send" }, { "accept4", "accept" }, { "ppoll", "poll" },
		    { "epoll_pwait", "epoll_wait" }, { "epoll_pwait2", "epoll_wait" }, { "preadv2", "readv" },
		    { "pwritev2", "writev" } };

const char *scenario_call_name(size_t i)
{
	return i < sizeof calls / sizeof calls[0] ? calls[i] : NULL;
}

const char *scenario_call_reported(const char *name)
{
	for (size_t k = 0; k < sizeof calls / sizeof calls[0]; k++)
		if (strcmp(calls[k], name) == 0)
			return calls[k];
	for (size_t k = 0; k < sizeof call_aliases / sizeof call_aliases[0]; k++)
		if (strcmp(call_aliases[k].kernel, name) == 0)
			return call_aliases[k].reported;
	return NULL;
}

/* (expect|await) HOST.PROG CALL: a call the shim reported (the tails are off already). */
/* The call at token i of an await or expect on a program: one tcpfault reports (a kernel name
 * such as recvfrom is taken as the call it reports, recv), into st->call.name. */
static int call_name(struct parser *p, unsigned i, struct step *st)
{
	const char *name = scenario_call_reported(p->tok[i].s);
	char known[256] = "";
	size_t len = 0;

	if (name) {
		snprintf(st->call.name, sizeof st->call.name, "%s", name);
		return 0;
	}
	/* The tracer reports it, but only as the mark of a program it cannot observe (tracer.c). */
	if (strcmp(p->tok[i].s, "io_uring_setup") == 0)
		return fail_tok(p, i, "io_uring_setup: the tracer reports it only to mark a program that uses io_uring, "
				"whose calls there neither observer sees: an expectation on that program's calls ends "
				"the run as an error. Expect its output, exit and packets instead");
	for (size_t k = 0; k < sizeof calls / sizeof calls[0]; k++)
		len += (size_t)snprintf(known + len, sizeof known - len, "%s%s", k ? ", " : "", calls[k]);
	return fail_tok(p, i, "unknown call '%s': tcpfault never reports it, so no run could match it. It reports "
			"%s; and recvfrom, sendto, accept4, ppoll, epoll_pwait, preadv2, pwritev2 (the kernel's names) as recv, "
			"send, accept, poll, epoll_wait, readv, writev",
			p->tok[i].s, known);
}

/* A wait (poll, epoll_wait) is reported only for a TCP socket its events flag with an error, so
 * with its return value above 0 (shim.c, tracer.c): a timeout (0) or a failure (-1 EINTR) names
 * no socket and is never reported. Reporting them instead would mean a report for each socket
 * the wait watched (an epoll set's thousands), on every turn of an event loop whose waits time
 * out as its timers (Go's netpoller waits with timeout 0 between its runs), and still nothing to
 * tell a socket by. So such an expectation is refused: it could only end at its bound as a
 * failure (await, expect) or never fail (expect no). */
static int wait_result(struct parser *p, const struct step *st)
{
	const struct expect_ret *w = &st->want;

	if (!w->set || (strcmp(st->call.name, "poll") && strcmp(st->call.name, "epoll_wait")))
		return 0;
	for (unsigned k = 0, i = p->eq_at + 1; k < w->n; k++) {
		if (w->alt[k].some || w->alt[k].ret > 0) {
			while (i < p->ntok && strcmp(p->tok[i].s, "|"))
				i++;
			i++;      /* the next alternative's first word */
			continue;
		}
		return fail_tok(p, i, "'%s = %lld' is never reported, so never matched: tcpfault reports a wait only "
				"for a TCP socket its events flag with an error (POLLERR, POLLHUP, POLLRDHUP), its return "
				"value above 0; a timeout (0) or a failure (-1 EINTR) names no socket%s. Expect what the "
				"program does next instead (its next call, output or exit)",
				st->call.name, w->alt[k].ret, st->kind == STEP_NO_CALL ? " ('expect no' of it could never fail)" : "");
	}
	return 0;
}

int parse_call(struct parser *p, struct step *st)
{
	unsigned i = p->at, n = p->n;
	int r;

	st->call.waits = p->waits;
	if (n != i + 2)
		return fail_tok(p, n < i + 2 ? n : i + 2, "expected '%s HOST.PROGRAM CALL [= RESULT]', for example "
				"'%s client.curl recv = -1 ECONNRESET'", p->tok[0].s, p->tok[0].s);
	if ((r = call_name(p, i + 1, st)) < 0)
		return r;
	return wait_result(p, st);
}

/* expect running HOST.PROG: it has not exited (checked now). */
int parse_running(struct parser *p, struct step *st)
{
	if (p->ntok != 3)
		return fail_tok(p, p->ntok < 3 ? p->ntok : 3, "expected 'expect running HOST.PROGRAM'");
	if (!prog_word(p, p->tok[2].s, st))
		return fail_tok(p, 2, "expected HOST.PROGRAM, a program started by an earlier 'exec' step, got '%s'",
				p->tok[2].s);
	return 0;
}

/* expect no HOST[.PROG] CALL: no such call (with '= ...', no such result) so far; a program's
 * own call, or an operation of the host's built-in peer (the tails are off already). */
int parse_no_call(struct parser *p, struct step *st)
{
	unsigned i = p->at, n = p->n;
	int r;

	if (n != i + 2)
		return fail_tok(p, n < i + 2 ? n : i + 2, "expected 'expect no HOST[.PROGRAM] CALL [= RESULT]', for "
				"example 'expect no client.curl recv = -1 ECONNRESET'");
	if (!prog_word(p, p->tok[i].s, st)) {
		if ((r = host_tok(p, i, &st->host)) < 0)
			return r;
		for (size_t k = 0; scenario_op_name(k); k++)
			if (strcmp(scenario_op_name(k), p->tok[i + 1].s) == 0) {
				snprintf(st->call.name, sizeof st->call.name, "%s", p->tok[i + 1].s);
				return 0;
			}
		return fail_tok(p, i + 1, "unknown operation '%s' of the built-in peer", p->tok[i + 1].s);
	}
	if ((r = call_name(p, i + 1, st)) < 0)
		return r;
	return wait_result(p, st);
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

/* Whether the command of the exec line cmd cannot exist now: a name without a slash found
 * nowhere on PATH (as execvp() looks: a regular, executable file), or an absolute path ({dir}/x
 * is one) to nothing; then err says so. A relative path with a slash is not judged (the
 * directory tcpfault runs in decides it), nor what an earlier step might make: a
 * program that cannot be found ends a run with exit status 3 still. */
static bool program_missing(const struct scenario *s, const char *cmd, char *err, size_t len)
{
	char *argv[128], buf[4096], why[256], path[4096];
	size_t at;
	struct stat st;

	if (command_split(cmd, s, AF_INET, 65535, argv, 128, buf, sizeof buf, why, sizeof why, &at) < 1)
		return false;           /* program_check_command() judged the line */
	const char *name = argv[0];
	if (name[0] == '/') {
		if (stat(name, &st) == 0)
			return false;
		snprintf(err, len, "no program %s: it does not exist ('tcpfault check' refuses a program that "
			 "cannot be found)", name);
		return true;
	}
	if (strchr(name, '/'))
		return false;
	const char *dirs = getenv("PATH");
	if (!dirs || !*dirs)
		dirs = "/usr/local/bin:/usr/bin:/bin:/usr/local/sbin:/usr/sbin:/sbin";
	for (const char *d = dirs; *d;) {
		size_t n = strcspn(d, ":");
		snprintf(path, sizeof path, "%.*s/%s", (int)n, n ? d : ".", name);
		if (stat(path, &st) == 0 && S_ISREG(st.st_mode) && access(path, X_OK) == 0)
			return false;
		d += n + (d[n] == ':');
	}
	snprintf(err, len, "no program '%s' on PATH (%.120s%s): install it, or give its path ({dir}/%s for one "
		 "beside the scenario file)", name, dirs, strlen(dirs) > 120 ? "..." : "", name);
	return true;
}

/* HOST[.PROG] exec [port N] [stdin open|FILE] [observe MODE] COMMAND...: the program's name is
 * PROG, or the command's base name; {port} is N, or the port of the last exec that gave one;
 * MODE says who sees its own socket calls (auto: the tracer where the shim cannot see, else the
 * shim). */
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
	/* Its options, in any order: port N, stdin open|FILE, observe MODE. */
	for (;;) {
		bool port = strncmp(c, "port", 4) == 0 && (c[4] == ' ' || c[4] == '\t');
		bool in = strncmp(c, "stdin", 5) == 0 && (c[5] == ' ' || c[5] == '\t');
		bool obs = strncmp(c, "observe", 7) == 0 && (c[7] == ' ' || c[7] == '\t');
		if (!port && !in && !obs)
			break;
		const char *arg = c + (port ? 4 : in ? 5 : 7);
		arg += strspn(arg, " \t");
		size_t k = strcspn(arg, " \t");
		char buf[16];
		snprintf(buf, sizeof buf, "%.*s", (int)(k < 15 ? k : 15), arg);
		if (port) {
			if (k >= 15 || parse_num(buf, 1, 65535, &v) < 0)
				return fail_at(p, (unsigned)(arg - raw) + 1, "expected a port from 1 to 65535 after 'port'");
			st->exec.port = (int)v;
		} else if (obs) {
			if (k >= 15 || scenario_observe_mode(buf, &st->exec.observe) < 0)
				return fail_at(p, (unsigned)(arg - raw) + 1, "expected auto, shim, trace or none after "
					       "'observe' (who sees the program's own socket calls)");
			st->exec.observe_named = true;
		} else if (k == 4 && strncmp(arg, "open", 4) == 0) {
			st->exec.stdin_mode = EXEC_STDIN_OPEN;     /* a pipe held open: never an end of file */
		} else {
			if (!k || k >= sizeof st->exec.stdin_path)
				return fail_at(p, (unsigned)(arg - raw) + 1, "expected 'stdin open' (kept open, never an end "
					       "of file) or 'stdin FILE' (a file to read; /dev/null without either)");
			st->exec.stdin_mode = EXEC_STDIN_FILE;
			/* {dir}/FILE: a file beside the scenario, wherever tcpfault runs. */
			bool in_dir = k > 6 && strncmp(arg, "{dir}/", 6) == 0;
			int wr = snprintf(st->exec.stdin_path, sizeof st->exec.stdin_path, "%s%.*s", in_dir ? p->s->dir : "",
					 (int)(in_dir ? k - 5 : k), in_dir ? arg + 5 : arg);
			if (wr < 0 || (size_t)wr >= sizeof st->exec.stdin_path)
				return fail_at(p, (unsigned)(arg - raw) + 1, "the stdin file's path is too long");
		}
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
	st->exec.command_col = (unsigned)(c - raw) + 1;
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
	const char *c = rest;
	int r;

	st->output.waits = p->waits;
	if (st->kind == STEP_NO_OUTPUT)
		c += 2 + strspn(c + 2, " \t");   /* after "no" */
	c += 6;                             /* after "output" */
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
	unsigned text_col = (unsigned)(c - raw) + 1;
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
	/* Placeholders are replaced per run (scenario_output_text); checked here, {port} being the
	 * port of the last exec. The column: that of the text's start (escapes shift the rest). */
	char expanded[SCENARIO_TEXT], err[256];
	size_t at;
	for (size_t i = p->s->nsteps; !st->output.port && i-- > 0;)
		if (p->s->steps[i].kind == STEP_EXEC)
			st->output.port = p->s->steps[i].exec.port;
	if (!st->output.port && strstr(st->output.text, "{port}"))
		return fail_at(p, text_col, "{port} has no value: no earlier exec gave one ('exec port N ...')");
	if (scenario_expand_text(p->s, st->output.text, AF_INET6, st->output.port, expanded, sizeof expanded,
				 err, sizeof err, &at) < 0)
		return fail_at(p, text_col, "%s", err);
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

int scenario_check_programs(const struct scenario *s, char *err, size_t len)
{
	char why[512];
	struct stat in;

	for (size_t i = 0; i < s->nsteps; i++) {
		const struct step *st = &s->steps[i];
		if (st->kind == STEP_EXEC && program_missing(s, st->exec.command, why, sizeof why)) {
			snprintf(err, len, "%s:%u:%u: %s", s->path, st->line, st->exec.command_col, why);
			return -ENOENT;
		}
		/* An absolute stdin file ({dir}/FILE is one) must be there; a relative one depends on
		 * the directory tcpfault runs in. */
		if (st->kind == STEP_EXEC && st->exec.stdin_mode == EXEC_STDIN_FILE && st->exec.stdin_path[0] == '/' &&
		    stat(st->exec.stdin_path, &in) < 0) {
			snprintf(err, len, "%s:%u: no file %s for the program's stdin", s->path, st->line, st->exec.stdin_path);
			return -ENOENT;
		}
	}
	return 0;
}
