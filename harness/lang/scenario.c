/* SPDX-License-Identifier: MIT */
/*
 * The scenario language: a line language in the spirit of packetdrill. One statement per line,
 * words separated by blanks, '#' starts a comment. Header lines (headers[] below) describe the
 * scenario; every other line is a step, run in order, parsed by its entry in the statement
 * table (statements.c). This file reads the lines and the headers. tcpfault-scenario(5) and
 * README.md describe the statements.
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
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>

#include "parser.h"
#include "peer.h"

#define MAX_FILE (1 << 20)

/* Headers whose text is the rest of the line as written. */
static bool is_text_header(const char *w, size_t n)
{
	static const char *const keys[] = { "summary", "claim", "linux", "timers" };

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
		    !strchr("ABCDE", p->tok[1].s[0]) || !isdigit((unsigned char)p->tok[1].s[1]))
			return fail_tok(p, 1, "expected a mode id of the catalog such as B2 ('tcpfault list' shows them), "
					"or no 'mode' line at all in a scenario of your own");
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
	if (strcmp(key, "requires") == 0) {
		if (p->ntok != 3 || strcmp(p->tok[1].s, "sysctl") != 0)
			return fail_tok(p, p->ntok < 2 ? 1 : p->ntok == 2 ? 2 : 3,
					"expected 'requires sysctl net.KEY': what the run cannot do without");
		if (!sysctl_key_valid(p->tok[2].s, sizeof s->requires[0]))
			return fail_tok(p, 2, "expected a network sysctl such as net.ipv4.tcp_syn_linear_timeouts");
		if (s->nrequires == SCENARIO_MAX_REQUIRES)
			return fail_tok(p, 0, "too many 'requires' lines (at most %d)", SCENARIO_MAX_REQUIRES);
		snprintf(s->requires[s->nrequires++], sizeof s->requires[0], "%s", p->tok[2].s);
		return 0;
	}
	if (strcmp(key, "timeout") == 0 || strcmp(key, "await-timeout") == 0) {
		int *v = key[0] == 't' ? &s->timeout_ms : &s->await_ms;
		if (p->ntok != 2 || parse_duration(p->tok[1].s, v) < 0 || *v == 0)
			return fail_tok(p, 1, "expected a duration such as 500ms, 5s or 1m");
		return 0;
	}
	return 1; /* not a header line */
}
static void base_name(const char *path, char *out, size_t len)
{
	const char *b = strrchr(path, '/');
	b = b ? b + 1 : path;
	size_t n = strcspn(b, ".");
	snprintf(out, len, "%.*s", (int)(n < len ? n : len - 1), b);
}

/* {dir}: the folder of the file at path, made absolute (so a program started from it works
 * whatever the current directory); as written if it cannot be resolved. */
static void file_dir(const char *path, char *out, size_t len)
{
	const char *slash = strrchr(path, '/');
	char dir[4096];

	if (!slash)
		snprintf(dir, sizeof dir, ".");
	else
		snprintf(dir, sizeof dir, "%.*s", slash == path ? 1 : (int)(slash - path), path);
	char *real = realpath(dir, NULL);
	snprintf(out, len, "%s", real ? real : dir);
	free(real);
}

/* A step for some kernels only: 'if sysctl KEY: STEP' or 'unless sysctl KEY: STEP'. The prefix
 * is taken off line and raw (both blanked where it stood, so every column stays as written) into
 * *ret; 0 (none or taken), or -EINVAL. */
static int take_condition(struct parser *p, char *line, char *raw, struct step_cond *ret)
{
	size_t at = strspn(raw, " \t"), n = strcspn(raw + at, " \t");
	const char *const *w;

	memset(ret, 0, sizeof *ret);
	for (w = scenario_conditions(); *w && (strlen(*w) != n || strncmp(raw + at, *w, n)); w++)
		;
	if (!*w)
		return 0;
	size_t k = at + n + strspn(raw + at + n, " \t"), kn = strcspn(raw + k, " \t");
	if (kn != 6 || strncmp(raw + k, "sysctl", 6) != 0)
		return 0;                 /* not a condition: a host may be named 'if' */
	size_t key = k + kn + strspn(raw + k + kn, " \t"), keyn = strcspn(raw + key, " \t#");
	char name[sizeof ret->sysctl];
	if (keyn < 2 || raw[key + keyn - 1] != ':' || keyn > sizeof name)
		return fail_at(p, (unsigned)key + 1, "expected '%s sysctl net.KEY: STEP' (a colon after the name)", *w);
	snprintf(name, sizeof name, "%.*s", (int)keyn - 1, raw + key);
	if (!sysctl_key_valid(name, sizeof name))
		return fail_at(p, (unsigned)key + 1, "expected a network sysctl such as net.ipv4.tcp_syn_linear_timeouts");
	ret->when = strcmp(*w, "if") == 0 ? WHEN_SYSCTL : WHEN_NO_SYSCTL;
	snprintf(ret->sysctl, sizeof ret->sysctl, "%s", name);
	memset(raw + at, ' ', key + keyn - at);
	memset(line + at, ' ', key + keyn - at);
	if (!raw[strspn(raw, " \t")] || raw[strspn(raw, " \t")] == '#')
		return fail_at(p, (unsigned)(key + keyn) + 1, "expected a step after '%s sysctl %s:'", *w, name);
	return 0;
}

/* The line in p is a step: appended to the scenario. steps_cap: the room in s->steps; cmds: the
 * most peer commands the steps so far may send. */
static int add_step(struct parser *p, size_t *steps_cap, unsigned *cmds)
{
	struct scenario *s = p->s;
	int r;

	if (s->nsteps == SCENARIO_MAX_STEPS)
		return fail_at(p, 1, "too many steps (at most %d)", SCENARIO_MAX_STEPS);
	/* Doubling: growing by one step a time copied the array on every line (quadratic in
	 * a long file; seconds for SCENARIO_MAX_STEPS steps under ASan). */
	if (s->nsteps == *steps_cap) {
		size_t cap = *steps_cap ? 2 * *steps_cap : 16;
		struct step *grown = realloc(s->steps, cap * sizeof *grown);
		if (!grown)
			return -ENOMEM;
		s->steps = grown;
		*steps_cap = cap;
	}
	struct step *st = &s->steps[s->nsteps];
	memset(st, 0, sizeof *st);
	st->line = p->line;
	st->col = p->tok[0].col;
	st->host = -1;
	if ((r = statement_parse(p, st)) < 0)
		return r;
	if (st->kind == STEP_OP && (*cmds += statement_cmds(st)) > SCENARIO_MAX_CMDS)
		return fail_tok(p, 0, "too many socket operations: a run sends at most %d commands to its peers, "
				"and the operations up to here may need %u (1 each, or with the socket and bind "
				"made first: listen 3; bind, connect, nonblock, setsockopt 2)",
				SCENARIO_MAX_CMDS, *cmds);
	/* Saturating: a floor past the run's timeout is refused below anyway. */
	int floor = st->kind == STEP_WAIT ? st->wait.ms : st->after_ms;   /* a wait is a floor too */
	s->floor_ms = s->floor_ms <= INT_MAX - floor ? s->floor_ms + floor : INT_MAX;
	s->nsteps++;
	return 0;
}

/* Whether a later step than steps[i], an operation started with '&', ends its peer (kill,
 * reboot, crash) or awaits its death: then its result may never come, and the run does not
 * ask for an await (runner.c, at the end of a run). */
static bool peer_ends_after(const struct scenario *s, size_t i)
{
	int h = s->steps[i].host;

	for (size_t k = i + 1; k < s->nsteps; k++) {
		const struct step *e = &s->steps[k];
		if (e->host != h)
			continue;
		if (e->kind == STEP_REBOOT || ((e->kind == STEP_KILL || e->kind == STEP_EXIT) && !e->sock[0]) ||
		    (e->kind == STEP_OP && strcmp(e->op.name, "crash") == 0))
			return true;
	}
	return false;
}

/* An operation started with '&' is checked on its 'await HOST[.SOCK] OP' line; the run pairs
 * each await with the earliest pending operation of the same host, socket and name. One that
 * no later line awaits would go unchecked: refused here rather than at the end of a run. */
static int check_awaited(struct parser *p)
{
	const struct scenario *s = p->s;
	bool *taken = calloc(s->nsteps ? s->nsteps : 1, sizeof *taken);

	if (!taken)
		return -ENOMEM;
	for (size_t i = 0; i < s->nsteps; i++) {
		const struct step *a = &s->steps[i];
		if (a->kind != STEP_OP || !a->async)
			continue;
		size_t k = i + 1;
		for (; k < s->nsteps; k++) {
			const struct step *w = &s->steps[k];
			if (!taken[k] && w->kind == STEP_AWAIT_OP && w->host == a->host &&
			    strcmp(w->sock, a->sock) == 0 && strcmp(w->op.name, a->op.name) == 0)
				break;
		}
		if (k < s->nsteps) {
			taken[k] = true;
		} else if (!peer_ends_after(s, i)) {
			char who[64];
			snprintf(who, sizeof who, "%s%s%s", s->hosts[a->host], strcmp(a->sock, "main") ? "." : "",
				 strcmp(a->sock, "main") ? a->sock : "");
			free(taken);
			p->line = a->line;
			return fail_at(p, a->col, "'%s %s' is started with '&' and no later line awaits it: its result "
				       "would go unchecked; add 'await %s %s [= RESULT]' where it should have returned",
				       who, a->op.name, who, a->op.name);
		}
	}
	free(taken);
	return 0;
}

/* A peer stopped ('stop HOST') runs no operation until 'cont HOST': one given it meanwhile
 * without '&' could only wait out the run's limit. Refused here, saying how to write it. */
static int check_stopped(struct parser *p)
{
	const struct scenario *s = p->s;
	unsigned stopped_at[SCENARIO_MAX_HOSTS] = { 0 };   /* the 'stop' line; 0: running */

	for (size_t i = 0; i < s->nsteps; i++) {
		const struct step *a = &s->steps[i];
		if (a->host < 0 || a->host >= SCENARIO_MAX_HOSTS || (a->sock[0] && a->kind != STEP_OP))
			continue;   /* a program's stop, or no host */
		if (a->kind == STEP_STOP)
			stopped_at[a->host] = a->line;
		else if (a->kind == STEP_CONT || a->kind == STEP_REBOOT || a->kind == STEP_KILL)
			stopped_at[a->host] = 0;
		else if (a->kind == STEP_OP && !a->async && stopped_at[a->host] && a->cond.when == WHEN_ALWAYS) {
			p->line = a->line;
			return fail_at(p, a->col, "'%s %s': the %s peer is stopped (line %u) and runs no operation until "
				       "'cont %s': start it with '&' and await it after the 'cont'", s->hosts[a->host],
				       a->op.name, s->hosts[a->host], stopped_at[a->host], s->hosts[a->host]);
		}
	}
	return 0;
}

/* Each host's peer holds PEER_MAX_SOCKS socket names: a file that names more on one host is
 * refused at the first name past the limit, not when the run reaches it. The operations are
 * sorted by host and name (then line) to find each name's first use: a file may name thousands. */
static const struct step *const *sorted_ops;
static int by_host_name(const void *a, const void *b)
{
	const struct step *x = sorted_ops[*(const size_t *)a], *y = sorted_ops[*(const size_t *)b];
	int c = x->host != y->host ? (x->host < y->host ? -1 : 1) : strcmp(x->sock, y->sock);
	return c ? c : (x < y ? -1 : x > y);
}
static int by_index(const void *a, const void *b)
{
	size_t x = *(const size_t *)a, y = *(const size_t *)b;
	return (x > y) - (x < y);
}

static int check_socket_names(struct parser *p)
{
	const struct scenario *s = p->s;
	const struct step **ops = calloc(s->nsteps ? s->nsteps : 1, sizeof *ops);
	size_t *idx = calloc(s->nsteps ? s->nsteps : 1, sizeof *idx), n = 0, nfirst = 0;
	size_t count[SCENARIO_MAX_HOSTS] = { 0 };
	int r = 0;

	if (!ops || !idx)
		r = -ENOMEM;
	for (size_t i = 0; !r && i < s->nsteps; i++)
		if (s->steps[i].kind == STEP_OP && s->steps[i].host >= 0) {
			ops[n] = &s->steps[i];
			idx[n] = n;
			n++;
		}
	sorted_ops = ops;
	qsort(idx, n, sizeof *idx, by_host_name);
	/* Each name's first use, kept in file order. */
	for (size_t i = 0; !r && i < n; i++)
		if (i == 0 || ops[idx[i - 1]]->host != ops[idx[i]]->host || strcmp(ops[idx[i - 1]]->sock, ops[idx[i]]->sock))
			idx[nfirst++] = idx[i];
	qsort(idx, nfirst, sizeof *idx, by_index);
	for (size_t i = 0; !r && i < nfirst; i++) {
		const struct step *a = ops[idx[i]];
		if (++count[a->host] > PEER_MAX_SOCKS) {
			p->line = a->line;
			r = fail_at(p, a->col, "'%s.%s' is socket name %zu on %s: a host's peer holds at most %d",
				    s->hosts[a->host], a->sock, count[a->host], s->hosts[a->host], PEER_MAX_SOCKS);
		}
	}
	free(ops);
	free(idx);
	return r;
}

/* 'after DUR from NAME' counts from the packet an earlier 'await packet ... as NAME' matched:
 * each name given once, each used after it is given, and never where the naming step may not
 * have run (under an 'if'/'unless' the using step is not under too). */
static int check_marks(struct parser *p)
{
	const struct scenario *s = p->s;
	unsigned nmarks = 0;

	for (size_t i = 0; i < s->nsteps; i++) {
		const struct step *a = &s->steps[i];
		size_t k = 0;
		if (a->mark[0] && ++nmarks > SCENARIO_MAX_MARKS) {
			p->line = a->line;
			return fail_at(p, a->col, "more than %d packets named with 'as'", SCENARIO_MAX_MARKS);
		}
		if (a->mark[0]) {
			while (k < i && strcmp(s->steps[k].mark, a->mark))
				k++;
			if (k < i) {
				p->line = a->line;
				return fail_at(p, a->col, "the name '%s' is given twice (line %u first): a floor could not "
					       "tell which packet it counts from", a->mark, s->steps[k].line);
			}
		}
		if (!a->after_from[0])
			continue;
		for (k = 0; k < i && strcmp(s->steps[k].mark, a->after_from); k++)
			;
		p->line = a->line;
		if (k == i)
			return fail_at(p, a->from_col, "no earlier 'await packet ... as %s': 'from' names a packet awaited "
				       "before this line", a->after_from);
		const struct step_cond *c = &s->steps[k].cond;
		if (c->when != WHEN_ALWAYS && (a->cond.when != c->when || strcmp(a->cond.sysctl, c->sysctl)))
			return fail_at(p, a->from_col, "the packet named '%s' is awaited only %s sysctl %s (line %u): this "
				       "line runs where it may not have been", a->after_from,
				       c->when == WHEN_SYSCTL ? "if" : "unless", c->sysctl, s->steps[k].line);
	}
	return 0;
}

/* What the whole file must have, once read. */
static int check_whole(struct parser *p)
{
	const struct scenario *s = p->s;
	int r;

	for (size_t i = 0; i < s->nsteps; i++)
		if (s->steps[i].within_ms >= s->timeout_ms) {
			p->line = s->steps[i].line;
			return fail_at(p, s->steps[i].within_col, "'within %d ms' is as long as the whole run's timeout "
				       "(%d ms) or longer: the run would end first; raise 'timeout' or shorten it",
				       s->steps[i].within_ms, s->timeout_ms);
		}
	if ((r = check_awaited(p)) < 0 || (r = check_stopped(p)) < 0 || (r = check_socket_names(p)) < 0 ||
	    (r = check_marks(p)) < 0)
		return r;
	p->line = 1;
	if (s->floor_ms >= s->timeout_ms)
		return fail_at(p, 1, "the 'after' floors and 'wait' steps add up to %d ms, more than the run's timeout (%d ms)",
			       s->floor_ms, s->timeout_ms);
	if (!s->summary[0])
		return fail_at(p, 1, "no 'summary' line: say in one line what this scenario shows");
	if (s->nsteps == 0)
		return fail_at(p, 1, "no steps: nothing to run");
	return 0;
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
	file_dir(path, s->dir, sizeof s->dir);
	base_name(path, s->name, sizeof s->name);
	snprintf(s->hosts[0], sizeof s->hosts[0], "client");
	snprintf(s->hosts[1], sizeof s->hosts[1], "server");
	s->nhosts = 2;
	s->families = FAMILY_INET | FAMILY_INET6;
	s->timeout_ms = 30000;
	s->await_ms = 5000;
	/* The name (for reports, captures, --repeat) is the file's, up to its first dot. */
	if (!*s->name) {
		p.line = 1;
		r = fail_at(&p, 1, "the file's name gives the scenario no name (it starts with a dot): name it NAME.tcpf");
		goto out;
	}

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
		struct step_cond cond;
		if ((r = take_condition(&p, line, raw, &cond)) < 0)
			goto out;
		/* Text headers take the rest of the line as it is, however many words. */
		size_t lead = strspn(raw, " \t"), klen = strcspn(raw + lead, " \t");
		if (is_text_header(raw + lead, klen) || statement_is_raw(raw + lead)) {
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
		if (r == 0 && cond.when != WHEN_ALWAYS) {
			r = fail_at(&p, p.tok[0].col, "'%s' is a header: only a step can depend on the kernel",
				    p.tok[0].s);
			goto out;
		}
		if (r == 0) {
			if (steps_started && (strcmp(p.tok[0].s, "hosts") == 0 || strcmp(p.tok[0].s, "topology") == 0)) {
				r = fail_at(&p, 1, "'%s' must come before the first step", p.tok[0].s);
				goto out;
			}
			continue;
		}
		p.raw = raw;
		p.rest = rest;
		if ((r = add_step(&p, &steps_cap, &cmds)) < 0) {
			if (r == -ENOMEM)
				snprintf(err, errlen, "%s: %s", path, strerror(ENOMEM));
			goto out;
		}
		s->steps[s->nsteps - 1].cond = cond;
		steps_started = true;
	}
	if ((r = check_whole(&p)) == -ENOMEM)
		snprintf(err, errlen, "%s: %s", path, strerror(ENOMEM));
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

int scenario_check_catalog(const struct scenario *s, char *err, size_t errlen)
{
	if (s->mode[0])
		return 0;
	snprintf(err, errlen, "%s:1:1: no 'mode' line: every scenario of the catalog names the failure mode it "
		 "shows (for example 'mode B2')", s->path);
	return -EINVAL;
}
