/* SPDX-License-Identifier: MIT */
/*
 * The steps about real programs: exec (start one in a host's namespace), await listen (its
 * readiness: a LISTEN socket), expect|await output (a text on its stdout or stderr), and
 * expect|await HOST.PROG CALL (the result of one of its own socket calls, as the shim saw it).
 * Killing a program and awaiting its end are the actors' steps (faults.c). Runs in the run's
 * worker process, from runner.c's step table.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "netns.h"
#include "peer.h"

#define MAX_ARGV 128

static bool running(struct program *p)
{
	struct actor *a = program_actor(p);
	int status;
	int64_t when;

	return !a->ops->ended(a, &status, &when);
}

/* The program a step names; NULL (with the error recorded) if none was started. */
static struct program *named(struct run *r, const struct step *st)
{
	struct program *p = programs_find(r->progs, st->host, st->sock);

	if (!p)
		run_errorf(r, "no program '%s' was started on %s", st->sock, run_hostname(r, st->host));
	return p;
}

int step_exec(struct run *r, const struct step *st)
{
	char *argv[MAX_ARGV], buf[4096], err[512], msg[1024], full[64];
	size_t at;
	struct program *p = programs_find(r->progs, st->host, st->sock);

	if (p && running(p))
		return run_errorf(r, "%s is running already: a second one needs another name (HOST.NAME exec ...)",
				  program_actor(p)->full);
	if (command_split(st->exec.command, r->s, r->o->family, st->exec.port, argv, MAX_ARGV, buf, sizeof buf, err,
			  sizeof err, &at) < 0)
		return run_errorf(r, "%s", err);
	int n = snprintf(msg, sizeof msg, "exec %s:", st->sock);
	for (char **a = argv; *a; a++)
		if (n >= 0 && (size_t)n < sizeof msg)
			n += snprintf(msg + n, sizeof msg - (size_t)n, " %s", *a);
	run_event(r, st->host, msg);
	snprintf(full, sizeof full, "%s.%s", run_hostname(r, st->host), st->sock);
	msg[0] = 0;
	programs_observe(r->progs, st->exec.observe_named ? st->exec.observe : r->o->observe);
	int e = programs_start(r->progs, st->host, full, st->sock, netns_fd(r->sb, st->host), argv, st->exec.stdin_mode,
			       st->exec.stdin_path, &p, msg, sizeof msg);
	if (e < 0 && *r->res->missing)   /* the program code recorded what this machine lacks */
		return run_missingf(r, NULL, "starting %s in the %s namespace: %s", full, run_hostname(r, st->host),
				    msg[0] ? msg : strerror(-e));
	if (e < 0)
		return run_errorf(r, "starting %s in the %s namespace: %s", full, run_hostname(r, st->host),
				  msg[0] ? msg : strerror(-e));
	return 0;
}

struct listen_want {
	struct program *p;        /* NULL: any process of the host */
	const struct step *st;
	bool found;
	int err;                  /* listing the sockets failed */
	char seen[1024];
};

static bool listening(struct run *r, const void *arg)
{
	struct listen_want *w = (struct listen_want *)arg;
	const struct netns_sock *socks;
	int n = run_sockets(r, w->st->host, &socks);
	size_t len = 0;

	w->seen[0] = 0;
	if ((w->err = n < 0 ? n : 0) < 0)
		return true;   /* stops the wait: step_listen reports it as an error */
	for (int i = 0; i < n; i++) {
		if (socks[i].state == 10 /* TCP_LISTEN */ && socks[i].sport == w->st->listen.port)
			return (w->found = true);
		if (len + 40 < sizeof w->seen)
			len += (size_t)snprintf(w->seen + len, sizeof w->seen - len, "%s%s :%u", len ? ", " : "",
						netns_state_name(socks[i].state), socks[i].sport);
	}
	if (!w->seen[0])
		snprintf(w->seen, sizeof w->seen, "no TCP socket");
	/* A program that has died will never listen: no need to wait out the bound. */
	return w->p && program_finished(w->p);
}

int step_listen(struct run *r, const struct step *st)
{
	struct listen_want w = { .st = st };
	char state[160] = "", tail[400] = "", who[64];
	int b = run_bound(r, st);

	if (st->sock[0] && !(w.p = named(r, st)))
		return -1;
	int e = run_await(r, listening, &w, b, RUN_STATE_POLL_MS);
	if (w.found)
		return 0;
	if (w.err < 0)
		return run_sockets_error(r, st->host, w.err);
	snprintf(who, sizeof who, "%s", run_hostname(r, st->host));
	if (w.p) {
		struct actor *a = program_actor(w.p);
		snprintf(who, sizeof who, "%s", a->full);
		snprintf(state, sizeof state, "; ");
		program_state(w.p, state + 2, sizeof state - 2);
		a->ops->last_words(a, tail, sizeof tail);
	}
	if (e == 0) /* it ended first: no bound to speak of */
		return run_failf(r, "%s not ready: it ended before a LISTEN socket on port %d appeared "
				 "(readiness: await listen)\n  expected: a LISTEN socket on port %d\n  observed: %s%s%s",
				 who, st->listen.port, st->listen.port, w.seen, state, tail);
	return run_failf(r, "%s not ready: no LISTEN socket on port %d within %d ms "
			 "(readiness: await listen)\n  expected: a LISTEN socket on port %d\n  observed: %s%s%s",
			 who, st->listen.port, b, st->listen.port, w.seen, state, tail);
}

struct program_want {
	struct program *p;
	const struct step *st;
	size_t found;             /* call: the index matched */
	const char *text;         /* output: the step's text for this run (placeholders replaced) */
};

static bool output_seen(struct run *r, const void *arg)
{
	const struct program_want *w = arg;

	return program_output_has(w->p, w->text) || program_finished(w->p);
}

/* The text an output step looks for in this run: {server}, {port}... replaced. */
static int output_text(struct run *r, const struct step *st, char *buf, size_t len)
{
	if (scenario_output_text(r->s, st, r->o->family, buf, len) < 0)
		return run_errorf(r, "the output text \"%s\" does not fit %zu bytes once its placeholders are replaced",
				  st->output.text, len);
	return 0;
}

int step_output(struct run *r, const struct step *st)
{
	struct program_want w = { .st = st };
	char state[160], tail[400], bound[64], text[2 * SCENARIO_TEXT];

	if (!(w.p = named(r, st)) || output_text(r, st, text, sizeof text) < 0)
		return -1;
	w.text = text;
	run_await(r, output_seen, &w, st->output.waits ? run_bound(r, st) : 0, 0);
	if (program_output_has(w.p, text))
		return 0;
	struct actor *a = program_actor(w.p);
	a->ops->last_words(a, tail, sizeof tail);
	if (st->output.waits)
		snprintf(bound, sizeof bound, " within %d ms (readiness: await output)", run_bound(r, st));
	else
		snprintf(bound, sizeof bound, " so far");
	return run_failf(r, "%s: no output containing \"%s\"%s\n  expected: output containing \"%s\"\n  observed: %s%s",
			 a->full, text, bound, text, program_state(w.p, state, sizeof state),
			 tail[0] ? tail : "; no output");
}

/* An expectation on an actor's calls needs every call seen: else the run is an error saying
 * why (a static binary in its exec chain, io_uring), never a failure blamed on the program. */
static int unobserved(struct run *r, struct actor *a, bool none_seen, const char *call)
{
	const char *why = a->ops->unobserved(a);

	if (!why)
		return 0;
	if (none_seen)
		return run_errorf(r, "%s %s: this program's own socket calls cannot be observed: %s", a->full, call, why);
	return run_errorf(r, "%s %s: not all of this program's own socket calls can be observed: %s", a->full, call,
			  why);
}

/* An expectation that a call is absent (a call awaited not found, after the calls earlier
 * awaits matched; 'expect no') cannot be judged on an incomplete record: with reports dropped,
 * an error naming them. A call found was made, and stays a pass (or a 'no' a failure). */
static int dropped(struct run *r, struct actor *a, const char *call, const char *what)
{
	unsigned long n = a->ops->dropped(a);

	if (!n)
		return 0;
	return run_errorf(r, "%s %s: %lu reports of this program's own socket calls were dropped (tcpfault read them "
			  "more slowly than the program made calls), so whether it made %s cannot be told", a->full, call,
			  n, what);
}

static bool call_seen(struct run *r, const void *arg)
{
	struct program_want *w = (struct program_want *)arg;
	struct actor *a = program_actor(w->p);
	size_t n;
	const struct actor_call *calls = a->ops->calls(a, &n);

	for (size_t i = a->call_cursor; i < n; i++)
		if (strcmp(calls[i].call, w->st->call.name) == 0 && expect_matches(&w->st->want, calls[i].ret, calls[i].err)) {
			w->found = i;
			return true;
		}
	return program_finished(w->p);
}

static void describe_call(char *buf, size_t len, const char *call, bool set, long long ret, int err)
{
	const char *en = peer_errno_name(err);

	if (!set)
		snprintf(buf, len, "%s succeeding", call);
	else if (ret < 0 && en)
		snprintf(buf, len, "%s = %lld %s", call, ret, en);
	else
		snprintf(buf, len, "%s = %lld", call, ret);
}

static void describe_want(char *buf, size_t len, const char *call, const struct expect_ret *want)
{
	char alts[160];

	if (!want->set) {
		snprintf(buf, len, "%s succeeding", call);
		return;
	}
	expect_describe(want, alts, sizeof alts);
	snprintf(buf, len, "%s = %s", call, alts);
}

int step_call(struct run *r, const struct step *st)
{
	struct program_want w = { .st = st, .found = (size_t)-1 };
	char exp[240], obs[1024], state[160], within[32] = "";
	size_t n;

	if (!(w.p = named(r, st)))
		return -1;
	struct actor *a = program_actor(w.p);
	if (unobserved(r, a, !program_observed(w.p), st->call.name) < 0)
		return -1;
	run_await(r, call_seen, &w, st->call.waits ? run_bound(r, st) : 0, 0);
	unsigned long lost = a->ops->dropped(a);   /* what waits in its socket is taken in */
	if (lost && w.found == (size_t)-1)
		(void) call_seen(r, &w);
	const struct actor_call *calls = a->ops->calls(a, &n);
	if (w.found < n) {
		a->call_cursor = w.found + 1;
		r->event_ms = run_ms(r, calls[w.found].t_us);
		run_alternative(r, a->full, st->call.name, &st->want, calls[w.found].ret, calls[w.found].err);
		return 0;
	}
	/* What was not seen may be what the program did (an exec of a static binary since). */
	if (unobserved(r, a, !program_observed(w.p), st->call.name) < 0)
		return -1;
	describe_want(exp, sizeof exp, st->call.name, &st->want);
	if (dropped(r, a, st->call.name, exp) < 0)
		return -1;
	size_t len = 0;
	obs[0] = 0;
	for (size_t i = a->call_cursor; i < n && len + 48 < sizeof obs; i++)
		if (strcmp(calls[i].call, st->call.name) == 0) {
			describe_call(obs + len + (len ? 2 : 0), sizeof obs - len - 2, st->call.name, true, calls[i].ret,
				      calls[i].err);
			if (len)
				memcpy(obs + len, ", ", 2);
			len += strlen(obs + len);
		}
	/* None since the call an earlier line matched: say so where that one, or some before it,
	 * had this name (the lines' order, not the program, may be what is wrong). */
	size_t cur = a->call_cursor < n ? a->call_cursor : n, earlier = n, count = 0;
	for (size_t i = 0; !obs[0] && i + 1 < cur; i++)
		if (strcmp(calls[i].call, st->call.name) == 0)
			earlier = i, count++;
	if (!obs[0] && cur && (earlier < n || strcmp(calls[cur - 1].call, st->call.name) == 0)) {
		char matched[96], last[96];
		describe_call(matched, sizeof matched, calls[cur - 1].call, true, calls[cur - 1].ret, calls[cur - 1].err);
		len = (size_t)snprintf(obs, sizeof obs, "no such call after the one an earlier line matched (%s at %.1f ms)",
				       matched, run_ms(r, calls[cur - 1].t_us));
		if (earlier < n) {
			describe_call(last, sizeof last, st->call.name, true, calls[earlier].ret, calls[earlier].err);
			snprintf(obs + len, sizeof obs - len, "; %zu before it, the last %s at %.1f ms", count, last,
				 run_ms(r, calls[earlier].t_us));
		}
	}
	if (st->call.waits)
		snprintf(within, sizeof within, " within %d ms", run_bound(r, st));
	return run_failf(r, "%s: no %s%s\n  expected: %s\n  observed: %s (%s)", a->full, exp,
			 st->call.waits ? within : " so far", exp, obs[0] ? obs : "no such call",
			 program_state(w.p, state, sizeof state));
}

/* expect running HOST.PROG: a hang stated as such. */
int step_running(struct run *r, const struct step *st)
{
	struct program *p = named(r, st);
	char state[160], tail[400];

	if (!p)
		return -1;
	loop_pump(&r->loop, 0);   /* a death already announced is taken in */
	if (running(p))
		return 0;
	struct actor *a = program_actor(p);
	a->ops->last_words(a, tail, sizeof tail);
	return run_failf(r, "%s is not running\n  expected: still running\n  observed: %s%s", a->full,
			 program_state(p, state, sizeof state), tail);
}

/* expect no output HOST.PROG "TEXT": not in what it wrote so far. */
int step_no_output(struct run *r, const struct step *st)
{
	struct program *p = named(r, st);
	char state[160], text[2 * SCENARIO_TEXT];

	if (!p || output_text(r, st, text, sizeof text) < 0)
		return -1;
	loop_pump(&r->loop, 0);
	if (!program_output_has(p, text))
		return 0;
	return run_failf(r, "%s: output that must not be there\n  expected: no output containing \"%s\"\n  observed: "
			 "it is there (%s)", program_actor(p)->full, text, program_state(p, state, sizeof state));
}

/* Whether a result meets a 'no' expectation: the call at all (no '='), or one of its results. */
static bool forbidden(const struct step *st, const char *call, long long ret, int err)
{
	return strcmp(call, st->call.name) == 0 && (!st->want.set || expect_matches(&st->want, ret, err));
}

/* expect no HOST[.PROG] CALL [= ...]: none so far; a program's own calls (every one must have
 * been observable), or the built-in peer's operations as it reported them. */
int step_no_call(struct run *r, const struct step *st)
{
	char exp[240], obs[160], pid[32] = "";
	struct program *p = NULL;
	struct actor *a;
	size_t n;

	if (st->sock[0] && !(p = named(r, st)))
		return -1;
	a = p ? program_actor(p) : run_actor(r, st->host, "");
	loop_pump(&r->loop, 0);
	describe_want(exp, sizeof exp, st->call.name, &st->want);
	if (!st->want.set)
		snprintf(exp, sizeof exp, "%s", st->call.name);
	if (unobserved(r, a, p && !program_observed(p), st->call.name) < 0)
		return -1;
	unsigned long lost = a->ops->dropped(a);   /* what waits in its socket is taken in */
	const struct actor_call *calls = a->ops->calls(a, &n);
	for (size_t i = 0; i < n; i++) {
		const struct actor_call *c = &calls[i];
		if (!forbidden(st, c->call, c->ret, c->err))
			continue;
		describe_call(obs, sizeof obs, c->call, true, c->ret, c->err);
		if (c->pid)
			snprintf(pid, sizeof pid, "pid %d, ", c->pid);
		return run_failf(r, "%s: a call that must not be there\n  expected: no %s\n  observed: %s (%ssocket %s) "
				 "at %.1f ms", a->full, exp, obs, pid, c->socket, run_ms(r, c->t_us));
	}
	return lost ? dropped(r, a, st->call.name, exp) : 0;
}
