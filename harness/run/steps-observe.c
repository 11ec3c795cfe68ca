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
#include "netns.h"

static bool packet_seen(struct run *r, const void *arg)
{
	const struct step *st = arg;

	r->pkts_checked = true;
	for (size_t i = r->pkt_cursor; i < capture_count(r->cap); i++)
		if (packet_matches(capture_packet(r->cap, i), st)) {
			r->pkt_cursor = i + 1;
			return true;
		}
	return false;
}

static void packets_since(struct run *r, size_t from, char *buf, size_t len)
{
	size_t n = 0;

	buf[0] = 0;
	for (size_t i = from; i < capture_count(r->cap) && n + 64 < len; i++) {
		const struct packet *p = capture_packet(r->cap, i);
		n += (size_t)snprintf(buf + n, len - n, "%s%s > %s %s", n ? ", " : "",
				      run_hostname(r, p->from), run_hostname(r, p->to), p->flags);
	}
	if (!buf[0])
		snprintf(buf, len, "no packets");
}

int step_packet(struct run *r, const struct step *st)
{
	size_t from = r->pkt_cursor;
	char seen[1024];
	double base = run_floor_anchor(r);

	if (run_await(r, packet_seen, st, run_bound(r, st), 0) == 0)
		return run_too_soon(r, st, base, capture_packet(r->cap, r->pkt_cursor - 1)->t_ms);
	packets_since(r, from, seen, sizeof seen);
	return run_failf(r, "no %s > %s %s within %d ms\n  expected: %s > %s %s\n  observed: %s",
		     run_hostname(r, st->packet.from), run_hostname(r, st->packet.to), st->packet.flags, run_bound(r, st),
		     run_hostname(r, st->packet.from), run_hostname(r, st->packet.to), st->packet.flags, seen);
}

static bool never(struct run *r, const void *arg)
{
	return false;
}

/* None so far in the run; with 'within DUR', none either while watching for DUR. */
int step_no_packet(struct run *r, const struct step *st)
{
	r->pkts_checked = true;
	if (st->within_ms)
		run_await(r, never, NULL, st->within_ms, 0);
	/* Take in every frame the capture holds now (each call reads a bounded batch). */
	for (int i = 0; i < 64 && capture_poll(r->cap, r->origin_us) > 0; i++)
		;
	run_record_packets(r);
	for (size_t i = 0; i < capture_count(r->cap); i++) {
		const struct packet *p = capture_packet(r->cap, i);
		if (packet_matches(p, st))
			return run_failf(r, "a packet that must not be there\n  expected: no %s > %s %s\n  observed: %s > %s %s at %.3f ms",
				     run_hostname(r, st->packet.from), run_hostname(r, st->packet.to), st->packet.flags,
				     run_hostname(r, p->from), run_hostname(r, p->to), p->flags, p->t_ms);
	}
	return 0;
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
