/* SPDX-License-Identifier: MIT */
/*
 * What the steps observe besides the actors: packets on the wire (await packet, expect no
 * packet), socket states through sock_diag (await state, expect|await no state) and the
 * kernel's counters (expect|await counter). Packets raise an event (the capture's fd); states
 * and counters do not, and are read again every RUN_STATE_POLL_MS. Runs in the run's worker
 * process, from runner.c's step table.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "internal.h"
#include "ktrace.h"
#include "netns.h"

struct packet_want {
	const struct step *st;
	unsigned found;                   /* how many such packets so far */
	size_t last;                      /* the last one's index */
	size_t next;                      /* where to look on */
};

static bool packet_seen(struct run *r, const void *arg)
{
	struct packet_want *w = (struct packet_want *)arg;
	unsigned want = w->st->packet.count ? w->st->packet.count : 1;

	r->pkts_checked = true;
	for (; w->next < capture_count(r->cap); w->next++)
		if (run_packet_fresh(r, w->next) && packet_matches(capture_packet(r->cap, w->next), w->st)) {
			w->last = w->next;
			if (++w->found == want) {
				r->pkt_cursor = w->next + 1;
				return true;
			}
		}
	return false;
}

/* The packet a step names, as written: "server > client S. len >0 port 5000". */
static void packet_words(const struct run *r, const struct step_packet *pk, char *buf, size_t len)
{
	int n = snprintf(buf, len, "%s > %s %s%s", run_hostname(r, pk->from), run_hostname(r, pk->to),
			 pk->icmp ? "icmp " : "", pk->flags);

	if (n >= 0 && pk->has_len)
		n += snprintf(buf + n, len - (size_t)n, " len %u", pk->len);
	if (n >= 0 && pk->len_some)
		n += snprintf(buf + n, len - (size_t)n, " len >0");
	if (n >= 0 && pk->has_seq)
		n += snprintf(buf + n, len - (size_t)n, " seq %u", pk->seq);
	if (n >= 0 && pk->has_ack)
		n += snprintf(buf + n, len - (size_t)n, " ack %u", pk->ack);
	if (n >= 0 && pk->port)
		snprintf(buf + n, len - (size_t)n, " port %d", pk->port);
}

/* The packets a step could look at, from index from on; with their seq, ack and length when
 * the step names any of those. */
static void packets_since(struct run *r, const struct step_packet *pk, size_t from, char *buf, size_t len)
{
	bool numbers = pk->has_len || pk->len_some || pk->has_seq || pk->has_ack;

	size_t n = 0;

	buf[0] = 0;
	for (size_t i = from; i < capture_count(r->cap) && n + 96 < len; i++) {
		const struct packet *p = capture_packet(r->cap, i);
		if (!run_packet_fresh(r, i))
			continue;
		n += (size_t)snprintf(buf + n, len - n, "%s%s > %s %s", n ? ", " : "",
				      run_hostname(r, p->from), run_hostname(r, p->to), p->flags);
		if (numbers && !p->icmp)
			n += (size_t)snprintf(buf + n, len - n, " seq %u ack %u len %u", p->seq, p->ack, p->len);
	}
	if (!buf[0])
		snprintf(buf, len, "no packets");
}

/* " since the fault at line 7 (at 12.3 ms)", or "" before any fault. */
static void since_fault(const struct run *r, char *buf, size_t len)
{
	buf[0] = 0;
	if (r->fault_line)
		snprintf(buf, len, " after the fault at line %u (%.1f ms)", r->fault_line, r->fault_ms);
}

int step_packet(struct run *r, const struct step *st)
{
	struct packet_want w = { .st = st, .next = r->pkt_cursor };
	size_t from = r->pkt_cursor;
	char seen[1024], want[256], since[96], count[32] = "";
	double base = run_floor_anchor(r);
	unsigned base_untimed = run_floor_anchor_untimed(r);

	if (run_await(r, packet_seen, &w, run_bound(r, st), 0) == 0) {
		const struct packet *p = capture_packet(r->cap, r->pkt_cursor - 1);
		if (st->mark[0]) {
			if (r->nmarks == RUN_MAX_MARKS)
				return run_errorf(r, "more than %d packets named with 'as'", RUN_MAX_MARKS);
			r->marks[r->nmarks].name = st->mark;
			r->marks[r->nmarks].line = st->line;
			r->marks[r->nmarks].untimed = p->untimed;
			r->marks[r->nmarks++].ms = p->t_ms;
		}
		return run_too_soon(r, st, base, p->t_ms, base_untimed | (p->untimed ? RUN_EVENT_UNTIMED : 0));
	}
	if (r->errored)
		return -1;
	packets_since(r, &st->packet, from, seen, sizeof seen);
	packet_words(r, &st->packet, want, sizeof want);
	since_fault(r, since, sizeof since);
	if (st->packet.count > 1)
		snprintf(count, sizeof count, "%u x ", st->packet.count);
	return run_failf(r, "no %s%s%s within %d ms\n  expected: %s%s\n  observed: %s%s", count, want, since,
			 run_bound(r, st), count, want, seen,
			 st->packet.count > 1 ? (w.found == 1 ? " (1 such packet)" : w.found ? " (fewer such packets)" : "") : "");
}

static bool never(struct run *r, const void *arg)
{
	return false;
}

/* None so far in the run (since the last fault, or the last packet awaited after it); with
 * 'within DUR', none either while watching for DUR. */
int step_no_packet(struct run *r, const struct step *st)
{
	char want[256], since[96];

	r->pkts_checked = true;
	if (st->within_ms && run_await(r, never, NULL, st->within_ms, 0) < 0 && r->errored)
		return -1;
	if (st->within_ms)
		run_waited(r, run_ms(r, r->step_start_us), run_now_ms(r));
	/* Take in every frame the capture holds now (each call reads a bounded batch). */
	for (int i = 0; i < 64 && capture_poll(r->cap, r->origin_us) > 0; i++)
		;
	run_record_packets(r);
	for (size_t i = r->fault_line ? r->pkt_cursor : 0; i < capture_count(r->cap); i++) {
		const struct packet *p = capture_packet(r->cap, i);
		if (p->t_ms >= r->fault_ms && packet_matches(p, st)) {
			packet_words(r, &st->packet, want, sizeof want);
			since_fault(r, since, sizeof since);
			return run_failf(r, "a packet that must not be there%s\n  expected: no %s\n  observed: %s > %s %s "
					 "seq %u ack %u len %u at %.3f ms", since, want, run_hostname(r, p->from),
					 run_hostname(r, p->to), p->flags, p->seq, p->ack, p->len, p->t_ms);
		}
	}
	return 0;
}

struct quiet_want {
	const struct step *st;
	double since;                     /* run ms: the step's start, or the last packet counted */
	size_t next;                      /* where to look on in the capture */
	unsigned seen;                    /* packets counted */
};

static bool quiet_reached(struct run *r, const void *arg)
{
	struct quiet_want *w = (struct quiet_want *)arg;

	for (; w->next < capture_count(r->cap); w->next++) {
		const struct packet *p = capture_packet(r->cap, w->next);
		if (p->t_ms > w->since && (!w->st->quiet.port || p->sport == w->st->quiet.port ||
					   p->dport == w->st->quiet.port)) {
			w->since = p->t_ms;
			w->seen++;
		}
	}
	return run_now_ms(r) - w->since >= w->st->quiet.ms;
}

/* A stretch of DUR in which no packet (of port N) passes: counted from the step's start, and
 * again from each packet. The capture raises an event per packet; the stretch's end raises
 * none, so the condition is read again every few milliseconds. */
int step_quiet(struct run *r, const struct step *st)
{
	struct quiet_want w = { .st = st, .since = run_ms(r, r->step_start_us) };
	char port[32] = "";

	if (run_await(r, quiet_reached, &w, run_bound(r, st), RUN_STATE_POLL_MS) == 0) {
		run_waited(r, run_ms(r, r->step_start_us), run_now_ms(r));
		return 0;
	}
	if (r->errored)
		return -1;
	if (st->quiet.port)
		snprintf(port, sizeof port, " on port %d", st->quiet.port);
	return run_failf(r, "never %d ms without a packet%s within %d ms\n  expected: a quiet stretch of %d ms\n"
			 "  observed: %u packets, %s %.1f ms", st->quiet.ms, port, run_bound(r, st), st->quiet.ms,
			 w.seen, w.seen ? "the last at" : "since the step's start at", w.since);
}

struct state_want {
	const struct step *st;
	int err;                          /* listing the sockets failed: stops the wait */
	char seen[1024];
};

static bool state_reached(struct run *r, const void *arg)
{
	struct state_want *w = (struct state_want *)arg;
	const struct netns_sock *socks;
	int n = run_sockets(r, w->st->host, &socks);
	unsigned found = 0;
	size_t len = 0;

	w->seen[0] = 0;
	if ((w->err = n < 0 ? n : 0) < 0)
		return true;   /* stops the wait; the caller reports the error */
	for (int i = 0; i < n; i++) {
		const struct netns_sock *k = &socks[i];
		if (w->st->state.port && k->sport != w->st->state.port && k->dport != w->st->state.port)
			continue;
		if (len + 64 < sizeof w->seen)
			len += (size_t)snprintf(w->seen + len, sizeof w->seen - len, "%s%s :%u-:%u recvq %u sendq %u",
						len ? ", " : "", netns_state_name(k->state), k->sport, k->dport,
						k->rqueue, k->wqueue);
		if (k->state == w->st->state.state && (w->st->state.recvq < 0 || k->rqueue == w->st->state.recvq) &&
		    (w->st->state.sendq < 0 || k->wqueue == w->st->state.sendq) && ++found == w->st->state.count) {
			result_add_state(r->res, run_now_ms(r), run_hostname(r, w->st->host), netns_state_name(k->state),
					 k->sport, k->dport, k->rqueue, k->wqueue);
			return true;
		}
	}
	if (!w->seen[0])
		snprintf(w->seen, sizeof w->seen, "no TCP socket");
	return false;
}

int step_state(struct run *r, const struct step *st)
{
	struct state_want w = { .st = st };

	/* Socket states raise no event: sock_diag is read again every few milliseconds. */
	if (run_await(r, state_reached, &w, run_bound(r, st), RUN_STATE_POLL_MS) == 0)
		return w.err < 0 ? run_sockets_error(r, st->host, w.err) : 0;
	return run_failf(r, "fewer than %u sockets of %s in state %s within %d ms\n  expected: %u x %s\n  observed: %s",
		     st->state.count, run_hostname(r, st->host), netns_state_name((uint8_t)st->state.state), run_bound(r, st),
		     st->state.count, netns_state_name((uint8_t)st->state.state), w.seen);
}

struct no_state_want {
	const struct step *st;
	int err;
	struct netns_sock seen;           /* the socket in the state, if one is */
};

static bool state_gone(struct run *r, const void *arg)
{
	struct no_state_want *w = (struct no_state_want *)arg;
	const struct netns_sock *socks;
	int n = run_sockets(r, w->st->host, &socks);

	if ((w->err = n < 0 ? n : 0) < 0)
		return true;   /* stops the wait; the caller reports the error */
	for (int i = 0; i < n; i++) {
		const struct netns_sock *k = &socks[i];
		if (k->state == w->st->state.state && (!w->st->state.port || k->sport == w->st->state.port || k->dport == w->st->state.port)) {
			w->seen = *k;
			return false;
		}
	}
	return true;
}

/* No socket of the host in the step's state (on its port, if given): now, or awaited. */
int step_no_state(struct run *r, const struct step *st)
{
	struct no_state_want w = { .st = st };
	bool gone = st->state.waits ? run_await(r, state_gone, &w, run_bound(r, st), RUN_STATE_POLL_MS) == 0 : state_gone(r, &w);

	if (w.err < 0)
		return run_sockets_error(r, st->host, w.err);
	if (gone)
		return 0;
	return run_failf(r, "a socket that must not be there%s\n  expected: no %s socket of %s\n  observed: %s :%u-:%u",
		     st->state.waits ? " (still there at the bound)" : "", netns_state_name((uint8_t)st->state.state),
		     run_hostname(r, st->host), netns_state_name(w.seen.state), w.seen.sport, w.seen.dport);
}

struct counter_want {
	const struct step *st;
	long long value;
	int err;
};

static bool counter_reached(struct run *r, const void *arg)
{
	struct counter_want *w = (struct counter_want *)arg;

	w->err = netns_counter(r->sb, run_ns_host(w->st->host), w->st->counter.key, &w->value);
	return w->err < 0 || counter_matches(w->st->counter.cmp, w->value, w->st->counter.number);
}

int step_counter(struct run *r, const struct step *st)
{
	struct counter_want w = { .st = st };

	/* Counters raise no event either: an awaited one is read again every few milliseconds. */
	if (st->counter.waits)
		run_await(r, counter_reached, &w, run_bound(r, st), RUN_STATE_POLL_MS);
	else
		counter_reached(r, &w);
	long long v = w.value;
	int e = w.err;
	if (e < 0)
		return run_errorf(r, "counter %s of %s: %s", st->counter.key, run_hostname(r, st->host), strerror(-e));
	result_add_counter(r->res, run_hostname(r, st->host), st->counter.key, v);
	if (!counter_matches(st->counter.cmp, v, st->counter.number))
		return run_failf(r, "counter %s of %s\n  expected: %s %lld\n  observed: %lld",
			     st->counter.key, run_hostname(r, st->host), st->counter.cmp, st->counter.number, v);
	return 0;
}

/* wait DUR: time passes as part of the story (never to order events: awaits do that). It is a
 * wait no harness could shorten, so it counts in the run's timer floor. */
int step_wait(struct run *r, const struct step *st)
{
	char what[64];
	double from = run_now_ms(r);

	/* In the first host's column: the ladder has none for the scenario itself. */
	snprintf(what, sizeof what, "wait %d ms: time passes", st->wait.ms);
	run_event(r, 0, what);
	if (run_await(r, never, NULL, st->wait.ms, 0) < 0 && r->errored)
		return -1;
	if (r->nfloors < RUN_MAX_FLOORS) {
		r->floors[r->nfloors].from = from;
		r->floors[r->nfloors++].to = from + st->wait.ms;
	}
	run_waited(r, from, run_now_ms(r));
	return 0;
}

/* ---- what the kernel tracer saw (ktrace.h) ---- */

/* Without the tracer, a step that reads it cannot be judged: this machine lacks it (exit 3). */
static int no_tracer(struct run *r, const char *what)
{
	return run_missingf(r, "the kernel tracer (root, a build with libbpf)", "%s: %s", what, r->kt_why);
}

static bool transition_seen(struct run *r, const void *arg)
{
	const struct step *st = arg;

	ktrace_poll(r->kt);
	for (size_t i = r->kt_cursor[st->host]; i < ktrace_count(r->kt); i++) {
		const struct ktrace_record *k = ktrace_get(r->kt, i);
		if (k->what == KTRACE_TRANSITION && k->host == st->host && k->from == st->transition.from &&
		    k->to == st->transition.to &&
		    (!st->transition.port || k->sport == st->transition.port || k->dport == st->transition.port)) {
			r->kt_cursor[st->host] = i + 1;
			r->event_ms = k->t_ms;
			return true;
		}
	}
	return false;
}

/* await transition HOST FROM > TO [port N]: the next such change of HOST after the one the
 * last 'await transition' of HOST matched (hosts change in an order of the kernel's: each is
 * awaited on its own). */
int step_transition(struct run *r, const struct step *st)
{
	const char *from = netns_state_name((uint8_t)st->transition.from), *to = netns_state_name((uint8_t)st->transition.to);
	char seen[512] = "";
	size_t len = 0;

	if (!r->kt)
		return no_tracer(r, "await transition");
	if (run_await(r, transition_seen, st, run_bound(r, st), 0) == 0)
		return 0;
	for (size_t i = r->kt_cursor[st->host]; i < ktrace_count(r->kt) && len + 64 < sizeof seen; i++) {
		const struct ktrace_record *k = ktrace_get(r->kt, i);
		if (k->what == KTRACE_TRANSITION && k->host == st->host)
			len += (size_t)snprintf(seen + len, sizeof seen - len, "%s%s > %s :%d-:%d", len ? ", " : "",
						netns_state_name((uint8_t)k->from), netns_state_name((uint8_t)k->to), k->sport, k->dport);
	}
	return run_failf(r, "no socket of %s went %s > %s within %d ms\n  expected: %s > %s\n  observed: %s",
			 run_hostname(r, st->host), from, to, run_bound(r, st), from, to, len ? seen : "no such change");
}

/* expect reset HOST reason NAME: an RST HOST's kernel sent so far gave that reason. */
int step_reset(struct run *r, const struct step *st)
{
	char seen[512] = "";
	size_t len = 0;

	if (!r->kt)
		return no_tracer(r, "expect reset");
	if (!ktrace_has_reset_reasons(r->kt))
		return run_missingf(r, "reset reasons (Linux 6.10 on)", "expect reset: this kernel gives no reason for the resets it sends");
	if (!ktrace_knows_reset_reason(r->kt, st->reset.reason)) {
		char lacks[96];
		snprintf(lacks, sizeof lacks, "the reset reason %s", st->reset.reason);
		return run_missingf(r, lacks, "expect reset: this kernel has no reset reason %s", st->reset.reason);
	}
	ktrace_poll(r->kt);
	for (size_t i = 0; i < ktrace_count(r->kt); i++) {
		const struct ktrace_record *k = ktrace_get(r->kt, i);
		if (k->what != KTRACE_RESET || k->host != st->host)
			continue;
		if (k->reason && strcmp(k->reason, st->reset.reason) == 0) {
			r->event_ms = k->t_ms;
			return 0;
		}
		if (len + 64 < sizeof seen)
			len += (size_t)snprintf(seen + len, sizeof seen - len, "%s%s :%d-:%d", len ? ", " : "",
						k->reason ? k->reason : "(no reason)", k->sport, k->dport);
	}
	return run_failf(r, "%s sent no RST for the reason %s\n  expected: %s\n  observed: %s", run_hostname(r, st->host),
			 st->reset.reason, st->reset.reason, len ? seen : "no RST sent");
}
