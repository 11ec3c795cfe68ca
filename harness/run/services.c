/* SPDX-License-Identifier: MIT */
/*
 * What every step uses of the run it is part of (internal.h): the run's clock in ms, host
 * names, recording failures, errors and events, awaiting with a bound, 'after' floors, the
 * hosts' sockets, the actors. The steps (steps-*.c, faults.c) depend on this file and on
 * nothing else of the run; runner.c, which calls the steps, depends on them.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "netns.h"
#include "peer.h"

/* Milliseconds from the run's start to t_us (the run's clock, loop.h). */
double run_ms(const struct run *r, int64_t t_us)
{
	return (double)(t_us - r->origin_us) / 1000.0;
}

double run_now_ms(const struct run *r)
{
	return run_ms(r, clock_us());
}

const char *run_hostname(const struct run *r, int host)
{
	if (host == HOST_ROUTER)
		return "router";
	return host >= 0 && (unsigned)host < r->s->nhosts ? r->s->hosts[host] : "?";
}

/* The netns host index of a step's host: the router is the wire namespace. */
int run_ns_host(int host)
{
	return host == HOST_ROUTER ? NETNS_WIRE : host;
}

/* Adds "FILE:LINE: " (of the current step; "FILE: setting up: " or "FILE: at the end: " outside
 * one), then kind and the message, to the failures; in a step, the programs that ended with an
 * error no step asked for (a program that gave up at its start is why a later step times out). Built on the heap: a scenario path may be
 * as long as PATH_MAX, and the message must not be cut or overrun a buffer for it. */
static void add_failure(struct run *r, const char *kind, const char *fmt, va_list ap)
{
	char *text = NULL, *msg = NULL, ends[2048] = "";

	if (vasprintf(&text, fmt, ap) < 0)
		text = NULL;
	if (r->step && r->progs)
		programs_unasked_ends(r->progs, r->step->host, r->step->sock, (double)r->origin_us / 1000.0, ends, sizeof ends);
	int n = r->step ? asprintf(&msg, "%s:%u: %s%s%s", r->s->path, r->step->line, kind, text ? text : "(out of memory)", ends)
			: asprintf(&msg, "%s: %s: %s%s", r->s->path, r->steps_done ? "at the end" : "setting up", kind,
				   text ? text : "(out of memory)");
	result_failure(r->res, n < 0 ? "out of memory" : msg);
	if (n >= 0)
		free(msg);
	free(text);
}

/* A failed expectation: the kernel or the program did not do what the scenario says. */
int run_failf(struct run *r, const char *fmt, ...)
{
	va_list ap;

	if (r->errored)
		return -1;   /* the harness already gave up on this step: what follows is not the kernel's */
	va_start(ap, fmt);
	add_failure(r, "", fmt, ap);
	va_end(ap);
	r->failed = true;
	return -1;
}

/* The harness could not do its job. */
int run_errorf(struct run *r, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	add_failure(r, "error: ", fmt, ap);
	va_end(ap);
	r->errored = true;
	return -1;
}

/* This machine lacks what the step needs: the run ends, skipped, never a pass nor a fail. */
int run_missingf(struct run *r, const char *lacks, const char *fmt, ...)
{
	va_list ap;

	if (lacks)
		result_missing(r->res, lacks);
	va_start(ap, fmt);
	add_failure(r, "", fmt, ap);
	va_end(ap);
	r->errored = r->missed = true;
	return -1;
}

void run_event(struct run *r, int host, const char *what)
{
	result_add_event(r->res, run_now_ms(r), run_hostname(r, host), what);
}

void run_record_packets(struct run *r)
{
	for (; r->pkt_reported < capture_count(r->cap); r->pkt_reported++) {
		const struct packet *p = capture_packet(r->cap, r->pkt_reported);
		result_add_packet(r->res, p->t_ms, run_hostname(r, p->from), run_hostname(r, p->to), p->sport, p->dport,
				  p->icmp, p->flags, p->seq, p->ack, p->len);
	}
}

struct await_arg {
	struct run *r;
	bool (*cond)(struct run *, const void *);
	const void *arg;
	struct program *ended;            /* until_exit: the program that ended first */
};

static bool await_cond(void *arg)
{
	struct await_arg *a = arg;
	struct run *r = a->r;

	if (a->cond(r, a->arg))
		return true;
	/* An exit awaited is judged by its step. */
	if (!r->o->until_exit || !r->progs || (r->step && r->step->kind == STEP_EXIT) ||
	    !(a->ended = programs_ended(r->progs)))
		return false;
	/* What it sent before it ended may still wait in the capture, and its last calls' reports
	 * and output in their fds: taken in, then judged (bounded: a child of it may hold its
	 * fds open). */
	for (int i = 0; i < 64 && capture_poll(r->cap, r->origin_us) > 0; i++)
		;
	for (int i = 0; i < 64 && !program_finished(a->ended); i++)
		programs_take(r->progs, NULL, 0);
	if (a->cond(r, a->arg)) {
		a->ended = NULL;
		return true;
	}
	return true;
}

/* Awaits cond(r, arg) for at most bound_ms (and never past the scenario's deadline). */
int run_await(struct run *r, bool (*cond)(struct run *, const void *), const void *arg,
		 int bound_ms, int poll_ms)
{
	struct await_arg a = { .r = r, .cond = cond, .arg = arg };
	int64_t held;
	int e = loop_await(&r->loop, await_cond, &a, bound_ms, poll_ms, &held);

	if (e == 0 && a.ended) {
		char state[160];
		return run_errorf(r, "%s while this step waited",
				  program_state(a.ended, state, sizeof state));
	}
	if (e == 0)
		r->cond_ms = run_ms(r, held);
	else if (e == -ETIME)
		/* Not the step's bound: the whole run's. What the kernel would have done is
		 * unknown, so this is no failure of the kernel's but the harness giving up. */
		return run_errorf(r, "the run's time limit (%lld ms) ran out during this step",
			      (long long)(r->loop.deadline_us - r->origin_us) / 1000), -ETIMEDOUT;
	return e;
}

int run_bound(const struct run *r, const struct step *st)
{
	return st->within_ms ? st->within_ms : r->s->await_ms;
}

/* An awaited event that came before the step's "after" floor is a failure: the kernel was
 * faster than the scenario says it must be (a timer shorter than claimed). A floor met is a
 * wait no harness could have shortened: from its anchor (run ms) on for after_ms. */
int run_too_soon(struct run *r, const struct step *st, double anchor_ms, double event_ms, unsigned untimed)
{
	char from[80] = "";

	if (!st->after_ms)
		return 0;
	if (st->after_from[0]) {
		unsigned i = r->nmarks;
		while (i > 0 && strcmp(r->marks[i - 1].name, st->after_from))
			i--;
		/* check refuses a name not given earlier on a line that always runs before this one */
		if (i == 0)
			return run_errorf(r, "'after %d ms from %s': no packet named %s was awaited in this run",
					  st->after_ms, st->after_from, st->after_from);
		anchor_ms = r->marks[i - 1].ms;
		untimed = (untimed & ~(unsigned)RUN_ANCHOR_UNTIMED) | (r->marks[i - 1].untimed ? RUN_ANCHOR_UNTIMED : 0);
		snprintf(from, sizeof from, " from %s (the packet line %u awaited)", st->after_from, r->marks[i - 1].line);
	}
	/* A packet with no send time has the wire's, which may be late: a late anchor can make an
	 * event look too soon, a late event can make it look in time. Neither is the kernel's. */
	bool soon = event_ms - anchor_ms < st->after_ms;
	if (untimed & (soon ? RUN_ANCHOR_UNTIMED : RUN_EVENT_UNTIMED))
		return run_errorf(r, "'after %d ms%s' cannot be judged: %.1f ms as the wire saw it, but the %s is a packet "
				  "whose send time is unknown (no copy of it at its sender's tap)",
				  st->after_ms, from, event_ms - anchor_ms, soon ? "packet it counts from" : "packet awaited");
	if (soon)
		return run_failf(r, "too soon\n  expected: after %d ms%s\n  observed: after %.1f ms",
			     st->after_ms, from, event_ms - anchor_ms);
	if (r->nfloors < RUN_MAX_FLOORS) {
		r->floors[r->nfloors].from = anchor_ms;
		r->floors[r->nfloors++].to = anchor_ms + st->after_ms;
	}
	run_waited(r, anchor_ms, event_ms);
	return 0;
}

void run_waited(struct run *r, double from_ms, double to_ms)
{
	if (r->nwaits < RUN_MAX_FLOORS && to_ms > from_ms) {
		r->waits[r->nwaits].from = from_ms;
		r->waits[r->nwaits++].to = to_ms;
	}
}

/* Where an awaited packet's or state's floor counts from: on the wire, the packet the previous
 * packet await matched (a retransmission interval, a timer started by a packet, whatever the
 * harness's own scheduling), or this step's start if there was none. Run ms. */
double run_floor_anchor(const struct run *r)
{
	return r->pkt_cursor ? capture_packet(r->cap, r->pkt_cursor - 1)->t_ms :
	       run_ms(r, r->step_start_us);
}

unsigned run_floor_anchor_untimed(const struct run *r)
{
	return r->pkt_cursor && capture_packet(r->cap, r->pkt_cursor - 1)->untimed ? RUN_ANCHOR_UNTIMED : 0;
}

int run_sockets(struct run *r, int host, const struct netns_sock **ret)
{
	if (!r->sockbuf && !(r->sockbuf = malloc(NETNS_MAX_SOCKS * sizeof *r->sockbuf)))
		return -ENOMEM;
	int n = netns_sockets(r->sb, host, r->sockbuf, NETNS_MAX_SOCKS);
	if (n > NETNS_MAX_SOCKS)
		return -E2BIG;
	*ret = r->sockbuf;
	return n;
}

/* A failure to list a host's sockets: the harness's, not the kernel's. */
int run_sockets_error(struct run *r, int host, int err)
{
	if (err == -E2BIG)
		return run_errorf(r, "%s has more than %d TCP sockets: the harness lists no more", run_hostname(r, host),
			      NETNS_MAX_SOCKS);
	return run_errorf(r, "listing the sockets of %s: %s", run_hostname(r, host),
		      err == -ENOMEM ? strerror(ENOMEM) : netns_last_error(r->sb));
}

/* The actor a step names: the host's peer (name ""), or its latest program of that name. */
struct actor *run_actor(struct run *r, int host, const char *name)
{
	if (host < 0 || (unsigned)host >= r->s->nhosts)
		return NULL;
	if (!name[0])
		return &r->peers[host].a;
	struct program *p = programs_find(r->progs, host, name);
	return p ? program_actor(p) : NULL;
}

/* Which alternative of '= A | B' happened, as a note naming the line: a race the scenario
 * allows is still told apart in the result. Nothing with one alternative. */
void run_alternative(struct run *r, const char *who, const char *what, const struct expect_ret *want,
		     long long ret, int err)
{
	char all[200], *text = NULL;
	int k = expect_which(want, ret, err);
	const char *en = peer_errno_name(err);

	if (!want || want->n < 2 || k < 0)
		return;
	expect_describe(want, all, sizeof all);
	if (asprintf(&text, "%s:%u: %s %s = %lld%s%s: alternative %d of %u (%s)", r->s->path, r->step ? r->step->line : 0,
		     who, what, ret, ret < 0 && en ? " " : "", ret < 0 && en ? en : "", k + 1, want->n, all) >= 0) {
		result_note(r->res, text);
		free(text);
	}
}

/* A fault took effect at at_ms (run ms): packet awaits look at what the capture holds from then
 * on. Its packets are taken in first, so none sent before it waits unread in the capture. */
void run_fault_mark(struct run *r, double at_ms)
{
	for (int i = 0; i < 64 && capture_poll(r->cap, r->origin_us) > 0; i++)
		;
	run_record_packets(r);
	r->fault_ms = at_ms;
	r->fault_line = r->step ? r->step->line : 0;
}

/* Whether packet i is one a packet step may look at: past the last one awaited, and since the
 * last fault. */
bool run_packet_fresh(const struct run *r, size_t i)
{
	return i >= r->pkt_cursor && capture_packet(r->cap, i)->t_ms >= r->fault_ms;
}
