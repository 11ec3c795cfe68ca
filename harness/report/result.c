/* SPDX-License-Identifier: MIT */
/*
 * The typed result of a run (result.h) and its JSON contract. The worker's runner and program
 * code fill it; result_to_json is what the worker sends and what --format json prints;
 * result_from_json is how the controller reads what a worker sent, so it trusts nothing: a
 * wrong type anywhere refuses the whole result (-EINVAL) rather than reading half of it.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "report.h"
#include "peer.h"

static const char *const verdicts[RESULT_VERDICTS] = { [RESULT_PASS] = "pass", [RESULT_FAIL] = "fail",
							[RESULT_ERROR] = "error", [RESULT_SKIPPED] = "skipped" };

const char *result_verdict_name(enum result_verdict v)
{
	return (unsigned)v < sizeof verdicts / sizeof verdicts[0] ? verdicts[v] : "error";
}

/* Times are kept to the microsecond, as they are measured. Applied once, when a time is added:
 * a time read back from JSON is kept as it is (rounding twice could take a microsecond off). */
static double ms(double t)
{
	return (double)(long long)(t * 1000.0) / 1000.0;
}

static int dup_str(char **dst, const char *s)
{
	*dst = strdup(s ? s : "");
	return *dst ? 0 : -ENOMEM;
}

/* A new zeroed slot at the end of an array; NULL when full or out of memory (*e says which). */
static void *push(void **v, size_t *n, size_t *cap, size_t size, int *e)
{
	if (*n == *cap) {
		size_t c = *cap ? 2 * *cap : 16;
		void *grown;
		if (*n >= RESULT_MAX_ITEMS) {
			*e = -E2BIG;
			return NULL;
		}
		if (c > RESULT_MAX_ITEMS)
			c = RESULT_MAX_ITEMS;
		if (!(grown = realloc(*v, c * size))) {
			*e = -ENOMEM;
			return NULL;
		}
		*v = grown;
		*cap = c;
	}
	char *slot = (char *)*v + (*n)++ * size;
	memset(slot, 0, size);
	return slot;
}

#define PUSH(arr, e) ((__typeof__((arr).v))push((void **)&(arr).v, &(arr).n, &(arr).cap, sizeof *(arr).v, (e)))

static void free_syscall(struct result_syscall *s) { free(s->peer); free(s->socket); free(s->call); free(s->args); }
static void free_packet(struct result_packet *p) { free(p->from); free(p->to); free(p->flags); free(p->reason); free(p->retransmit); }
static void free_transition(struct result_transition *t) { free(t->host); free(t->from); free(t->to); }
static void free_retransmit(struct result_retransmit *t) { free(t->host); free(t->state); free(t->ca_state); free(t->kind); }
static void free_drop(struct result_drop *d) { free(d->host); free(d->reason); }
static void free_state(struct result_state *s) { free(s->host); free(s->state); }
static void free_counter(struct result_counter *c) { free(c->host); free(c->name); }
static void free_event(struct result_event *e) { free(e->host); free(e->event); }
static void free_host(struct result_host *h) { free(h->name); free(h->inet); free(h->inet6); }
static void free_exit(struct result_exit *x) { free(x->peer); free(x->signal); }
static void free_string(char **s) { free(*s); }

static void free_program(struct result_program *p)
{
	free(p->name);
	for (size_t i = 0; p->argv && i < p->nargv; i++)
		free(p->argv[i]);
	free(p->argv);
	free(p->out[0]);
	free(p->out[1]);
	free(p->observer);
	free(p->unobserved_reason);
}

/* Ends an add: a failed copy undoes the slot it took. */
#define DONE(arr, slot, e, free_fn) ((e) < 0 ? (free_fn(slot), (arr).n--, (e)) : 0)

int result_new(const char *name, const char *mode, const char *family, const char *file, const char *summary,
	       struct result **ret)
{
	struct result *r = calloc(1, sizeof *r);

	if (!r)
		return -ENOMEM;
	if (dup_str(&r->name, name) < 0 || dup_str(&r->mode, mode) < 0 || dup_str(&r->family, family) < 0 ||
	    dup_str(&r->file, file) < 0 || dup_str(&r->summary, summary) < 0 || dup_str(&r->claim, "") < 0 ||
	    dup_str(&r->linux_says, "") < 0 || dup_str(&r->timers, "") < 0 || dup_str(&r->missing, "") < 0 || dup_str(&r->kernel, "") < 0) {
		result_free(r);
		return -ENOMEM;
	}
	r->verdict = RESULT_ERROR;
	*ret = r;
	return 0;
}

static int replace(char **field, const char *value)
{
	char *s = strdup(value ? value : "");

	if (!s)
		return -ENOMEM;
	free(*field);
	*field = s;
	return 0;
}

int result_describe(struct result *r, const char *claim, const char *linux_says, const char *timers)
{
	int e;

	if ((e = replace(&r->claim, claim)) < 0 || (e = replace(&r->linux_says, linux_says)) < 0)
		return e;
	return replace(&r->timers, timers);
}

void result_free(struct result *r)
{
	if (!r)
		return;
	char **strings[] = { &r->name, &r->mode, &r->family, &r->file, &r->summary, &r->claim, &r->linux_says,
			     &r->timers, &r->missing, &r->kernel };
	for (size_t i = 0; i < sizeof strings / sizeof strings[0]; i++)
		free(*strings[i]);
#define FREE_ALL(arr, fn) do { for (size_t i_ = 0; i_ < (arr).n; i_++) fn(&(arr).v[i_]); free((arr).v); } while (0)
	FREE_ALL(r->syscalls, free_syscall);
	FREE_ALL(r->packets, free_packet);
	FREE_ALL(r->states, free_state);
	FREE_ALL(r->counters, free_counter);
	FREE_ALL(r->events, free_event);
	FREE_ALL(r->exits, free_exit);
	FREE_ALL(r->failures, free_string);
	FREE_ALL(r->notes, free_string);
	FREE_ALL(r->programs, free_program);
	FREE_ALL(r->hosts, free_host);
	FREE_ALL(r->transitions, free_transition);
	FREE_ALL(r->retransmits, free_retransmit);
	FREE_ALL(r->drops, free_drop);
	FREE_ALL(r->counter_deltas, free_counter);
#undef FREE_ALL
	free(r);
}

/* ---- the add functions ---- */

int result_add_syscall(struct result *r, const char *peer, const char *socket, const char *call, long long ret,
		       int err, double t_ms, int pid)
{
	int e = 0;
	struct result_syscall *s = PUSH(r->syscalls, &e);

	if (!s)
		return e;
	*s = (struct result_syscall){ .ret = ret, .err = err, .t_ms = ms(t_ms), .pid = pid };
	if ((e = dup_str(&s->peer, peer)) == 0 && (e = dup_str(&s->socket, socket)) == 0 && (e = dup_str(&s->call, call)) == 0)
		e = dup_str(&s->args, "");
	return DONE(r->syscalls, s, e, free_syscall);
}

int result_syscall_args(struct result *r, const char *args)
{
	return r->syscalls.n ? replace(&r->syscalls.v[r->syscalls.n - 1].args, args) : -EINVAL;
}

int result_add_packet(struct result *r, double t_ms, const char *from, const char *to, int sport, int dport,
		      bool icmp, const char *flags, long long seq, long long ack, long long len)
{
	int e = 0;
	struct result_packet *p = PUSH(r->packets, &e);

	if (!p)
		return e;
	*p = (struct result_packet){ .t_ms = ms(t_ms), .sport = sport, .dport = dport, .icmp = icmp,
				     .seq = seq, .ack = ack, .len = len };
	if ((e = dup_str(&p->from, from)) == 0 && (e = dup_str(&p->to, to)) == 0 && (e = dup_str(&p->flags, flags)) == 0 &&
	    (e = dup_str(&p->reason, "")) == 0)
		e = dup_str(&p->retransmit, "");
	return DONE(r->packets, p, e, free_packet);
}

int result_packet_reason(struct result *r, size_t i, const char *reason)
{
	return i < r->packets.n ? replace(&r->packets.v[i].reason, reason) : -EINVAL;
}

const char *result_retransmit_words(const char *kind)
{
	static const char *const words[][2] = {
		{ RESULT_RTX_RTO, "RTO retransmission" }, { RESULT_RTX_TLP, "tail loss probe" },
		{ RESULT_RTX_FAST, "fast retransmission" }, { RESULT_RTX_SYN, "SYN retransmission" },
		{ RESULT_RTX_SYNACK, "SYN-ACK retransmission" }, { RESULT_RTX_KEEPALIVE, "keepalive probe" },
		{ RESULT_RTX_ZWP, "zero-window probe" },
	};
	for (size_t i = 0; i < sizeof words / sizeof words[0]; i++)
		if (strcmp(kind, words[i][0]) == 0)
			return words[i][1];
	return kind;
}

int result_packet_retransmit(struct result *r, size_t i, const char *kind)
{
	return i < r->packets.n ? replace(&r->packets.v[i].retransmit, kind) : -EINVAL;
}

int result_add_transition(struct result *r, double t_ms, const char *host, int sport, int dport, const char *from,
			  const char *to)
{
	int e = 0;
	struct result_transition *t = PUSH(r->transitions, &e);

	if (!t)
		return e;
	r->traced = true;
	*t = (struct result_transition){ .t_ms = ms(t_ms), .sport = sport, .dport = dport };
	if ((e = dup_str(&t->host, host)) == 0 && (e = dup_str(&t->from, from)) == 0)
		e = dup_str(&t->to, to);
	return DONE(r->transitions, t, e, free_transition);
}

int result_add_retransmit(struct result *r, double t_ms, const char *host, int sport, int dport, const char *state,
			  const char *ca_state, const char *kind)
{
	int e = 0;
	struct result_retransmit *t = PUSH(r->retransmits, &e);

	if (!t)
		return e;
	r->traced = true;
	*t = (struct result_retransmit){ .t_ms = ms(t_ms), .sport = sport, .dport = dport };
	if ((e = dup_str(&t->host, host)) == 0 && (e = dup_str(&t->state, state)) == 0 &&
	    (e = dup_str(&t->ca_state, ca_state)) == 0)
		e = dup_str(&t->kind, kind ? kind : "");
	return DONE(r->retransmits, t, e, free_retransmit);
}

int result_add_drop(struct result *r, double t_ms, const char *host, const char *reason)
{
	int e = 0;
	struct result_drop *d = PUSH(r->drops, &e);

	if (!d)
		return e;
	r->traced = true;
	*d = (struct result_drop){ .t_ms = ms(t_ms) };
	if ((e = dup_str(&d->host, host)) == 0)
		e = dup_str(&d->reason, reason);
	return DONE(r->drops, d, e, free_drop);
}

int result_add_state(struct result *r, double t_ms, const char *host, const char *state, int local_port,
		     int remote_port, long long recv_q, long long send_q)
{
	int e = 0;
	struct result_state *s = PUSH(r->states, &e);

	if (!s)
		return e;
	*s = (struct result_state){ .t_ms = ms(t_ms), .local_port = local_port, .remote_port = remote_port,
				    .recv_q = recv_q, .send_q = send_q };
	if ((e = dup_str(&s->host, host)) == 0)
		e = dup_str(&s->state, state);
	return DONE(r->states, s, e, free_state);
}

int result_add_counter(struct result *r, const char *host, const char *name, long long value)
{
	int e = 0;
	struct result_counter *c = PUSH(r->counters, &e);

	if (!c)
		return e;
	c->value = value;
	if ((e = dup_str(&c->host, host)) == 0)
		e = dup_str(&c->name, name);
	return DONE(r->counters, c, e, free_counter);
}

int result_add_counter_delta(struct result *r, const char *host, const char *name, long long delta)
{
	int e = 0;

	r->counted = true;
	for (size_t i = 0; i < r->counter_deltas.n; i++) {
		struct result_counter *c = &r->counter_deltas.v[i];
		if (strcmp(c->host, host) == 0 && strcmp(c->name, name) == 0) {
			c->value += delta;
			return 0;
		}
	}
	struct result_counter *c = PUSH(r->counter_deltas, &e);
	if (!c)
		return e;
	c->value = delta;
	if ((e = dup_str(&c->host, host)) == 0)
		e = dup_str(&c->name, name);
	return DONE(r->counter_deltas, c, e, free_counter);
}

int result_add_event(struct result *r, double t_ms, const char *host, const char *event)
{
	int e = 0;
	struct result_event *v = PUSH(r->events, &e);

	if (!v)
		return e;
	v->t_ms = ms(t_ms);
	if ((e = dup_str(&v->host, host)) == 0)
		e = dup_str(&v->event, event);
	return DONE(r->events, v, e, free_event);
}

int result_add_exit(struct result *r, const char *peer, double t_ms, const char *signal, int status, bool at_kill)
{
	int e = 0;
	struct result_exit *x = PUSH(r->exits, &e);

	if (!x)
		return e;
	*x = (struct result_exit){ .t_ms = ms(t_ms), .status = signal ? 0 : status, .at_kill = at_kill };
	if ((e = dup_str(&x->peer, peer)) == 0)
		e = dup_str(&x->signal, signal);
	return DONE(r->exits, x, e, free_exit);
}

int result_add_program(struct result *r, const char *name, char *const *argv, int pid, bool syscalls_observed,
		       const char *observer, const char *unobserved, const char *out, long long lost_out, const char *err, long long lost_err,
		       long long syscalls_dropped)
{
	int e = 0;
	size_t n = 0;
	struct result_program *p = PUSH(r->programs, &e);

	if (!p)
		return e;
	while (argv && argv[n])
		n++;
	*p = (struct result_program){ .pid = pid, .syscalls_observed = syscalls_observed, .lost = { lost_out, lost_err },
				      .syscalls_dropped = syscalls_dropped };
	if (!(p->argv = calloc(n ? n : 1, sizeof *p->argv)))
		e = -ENOMEM;
	for (size_t i = 0; e == 0 && i < n; i++, p->nargv++)
		e = dup_str(&p->argv[i], argv[i]);
	if (e == 0 && (e = dup_str(&p->name, name)) == 0 && (e = dup_str(&p->out[0], out)) == 0 &&
	    (e = dup_str(&p->out[1], err)) == 0 && (e = dup_str(&p->observer, observer ? observer : "none")) == 0)
		e = dup_str(&p->unobserved_reason, unobserved ? unobserved : "");
	return DONE(r->programs, p, e, free_program);
}

static int add_string(char ***v, size_t *n, size_t *cap, const char *s)
{
	int e = 0;
	char **slot = push((void **)v, n, cap, sizeof *slot, &e);

	if (!slot)
		return e;
	if ((e = dup_str(slot, s)) < 0)
		(*n)--;
	return e;
}

int result_failure(struct result *r, const char *msg)
{
	return add_string(&r->failures.v, &r->failures.n, &r->failures.cap, msg);
}

int result_add_host(struct result *r, const char *name, const char *inet, const char *inet6)
{
	int e = 0;
	struct result_host *h = PUSH(r->hosts, &e);

	if (!h)
		return e;
	if ((e = dup_str(&h->name, name)) == 0 && (e = dup_str(&h->inet, inet)) == 0)
		e = dup_str(&h->inet6, inet6);
	return DONE(r->hosts, h, e, free_host);
}

const char *result_host_addr(const struct result *r, size_t i)
{
	if (i >= r->hosts.n)
		return "";
	return strcmp(r->family, "inet6") == 0 ? r->hosts.v[i].inet6 : r->hosts.v[i].inet;
}

int result_note(struct result *r, const char *text)
{
	return add_string(&r->notes.v, &r->notes.n, &r->notes.cap, text);
}

int result_missing(struct result *r, const char *what)
{
	return replace(&r->missing, what);
}

int result_set_kernel(struct result *r, const char *release)
{
	return replace(&r->kernel, release);
}

void result_finish(struct result *r, enum result_verdict verdict, double duration_ms, double floor_ms)
{
	r->verdict = verdict;
	r->duration_ms = ms(duration_ms);
	r->floor_ms = ms(floor_ms);
}

/* ---- to JSON ---- */

/* Each adds one field; a failed allocation marks *ok false (checked once, at the end). */
static void put(json_object *o, const char *key, json_object *v, bool *ok)
{
	if (!v || json_object_object_add(o, key, v) < 0) {
		json_object_put(v);
		*ok = false;
	}
}

static void put_str(json_object *o, const char *key, const char *s, bool *ok)
{
	put(o, key, json_object_new_string(s), ok);
}

static void put_int(json_object *o, const char *key, long long v, bool *ok)
{
	put(o, key, json_object_new_int64(v), ok);
}

static void put_ms(json_object *o, const char *key, double v, bool *ok)
{
	put(o, key, json_object_new_double(v), ok);
}

/* Adds a new array under key and returns it, or NULL. */
static json_object *put_array(json_object *o, const char *key, bool *ok)
{
	json_object *a = json_object_new_array();

	put(o, key, a, ok);
	return *ok ? a : NULL;
}

/* Appends a new object to a, or returns NULL. */
static json_object *new_elem(json_object *a, bool *ok)
{
	json_object *j = json_object_new_object();

	if (!j || json_object_array_add(a, j) < 0) {
		json_object_put(j);
		*ok = false;
		return NULL;
	}
	return j;
}

static void put_strings(json_object *o, const char *key, char *const *v, size_t n, bool *ok)
{
	json_object *a = put_array(o, key, ok);

	for (size_t i = 0; a && i < n; i++)
		if (json_object_array_add(a, json_object_new_string(v[i])) < 0)
			*ok = false;
}

static void syscalls_to_json(const struct result *r, json_object *o, bool *ok)
{
	json_object *a = put_array(o, "syscalls", ok), *j;

	for (size_t i = 0; a && i < r->syscalls.n && (j = new_elem(a, ok)); i++) {
		const struct result_syscall *s = &r->syscalls.v[i];
		const char *en = peer_errno_name(s->err);
		put_str(j, "peer", s->peer, ok);
		put_str(j, "socket", s->socket, ok);
		put_str(j, "call", s->call, ok);
		if (*s->args)
			put_str(j, "args", s->args, ok);
		put_int(j, "ret", s->ret, ok);
		if (en)
			put_str(j, "errno", en, ok);
		else
			json_object_object_add(j, "errno", NULL);
		put_ms(j, "t_ms", s->t_ms, ok);
		if (s->pid)
			put_int(j, "pid", s->pid, ok);
	}
}

static void packets_to_json(const struct result *r, json_object *o, bool *ok)
{
	json_object *a = put_array(o, "packets", ok), *j;

	for (size_t i = 0; a && i < r->packets.n && (j = new_elem(a, ok)); i++) {
		const struct result_packet *p = &r->packets.v[i];
		put_ms(j, "t_ms", p->t_ms, ok);
		put_str(j, "from", p->from, ok);
		put_str(j, "to", p->to, ok);
		put_int(j, "sport", p->sport, ok);
		put_int(j, "dport", p->dport, ok);
		put_str(j, "kind", p->icmp ? "icmp" : "tcp", ok);
		put_str(j, "flags", p->flags, ok);
		put_int(j, "seq", p->seq, ok);
		put_int(j, "ack", p->ack, ok);
		put_int(j, "len", p->len, ok);
		if (*p->reason)
			put_str(j, "reason", p->reason, ok);
		if (*p->retransmit)
			put_str(j, "retransmit", p->retransmit, ok);
	}
}

/* The kernel tracer's lists: only where it ran (an empty list then says it saw nothing). */
static void traced_to_json(const struct result *r, json_object *o, bool *ok)
{
	json_object *a, *j;

	if (!r->traced)
		return;
	a = put_array(o, "transitions", ok);
	for (size_t i = 0; a && i < r->transitions.n && (j = new_elem(a, ok)); i++) {
		const struct result_transition *t = &r->transitions.v[i];
		put_ms(j, "t_ms", t->t_ms, ok);
		put_str(j, "host", t->host, ok);
		put_int(j, "sport", t->sport, ok);
		put_int(j, "dport", t->dport, ok);
		put_str(j, "from", t->from, ok);
		put_str(j, "to", t->to, ok);
	}
	a = put_array(o, "retransmits", ok);
	for (size_t i = 0; a && i < r->retransmits.n && (j = new_elem(a, ok)); i++) {
		const struct result_retransmit *t = &r->retransmits.v[i];
		put_ms(j, "t_ms", t->t_ms, ok);
		put_str(j, "host", t->host, ok);
		put_int(j, "sport", t->sport, ok);
		put_int(j, "dport", t->dport, ok);
		put_str(j, "state", t->state, ok);
		if (*t->ca_state)
			put_str(j, "ca_state", t->ca_state, ok);
		if (*t->kind)
			put_str(j, "kind", t->kind, ok);
	}
	a = put_array(o, "drops", ok);
	for (size_t i = 0; a && i < r->drops.n && (j = new_elem(a, ok)); i++) {
		put_ms(j, "t_ms", r->drops.v[i].t_ms, ok);
		put_str(j, "host", r->drops.v[i].host, ok);
		put_str(j, "reason", r->drops.v[i].reason, ok);
	}
}

/* Where the tracer did not run: the counters that changed, each by how much. */
static void deltas_to_json(const struct result *r, json_object *o, bool *ok)
{
	json_object *a, *j;

	if (!r->counted)
		return;
	a = put_array(o, "counter_deltas", ok);
	for (size_t i = 0; a && i < r->counter_deltas.n && (j = new_elem(a, ok)); i++) {
		put_str(j, "host", r->counter_deltas.v[i].host, ok);
		put_str(j, "name", r->counter_deltas.v[i].name, ok);
		put_int(j, "delta", r->counter_deltas.v[i].value, ok);
	}
}

static void observations_to_json(const struct result *r, json_object *o, bool *ok)
{
	json_object *a = put_array(o, "states", ok), *j;

	for (size_t i = 0; a && i < r->states.n && (j = new_elem(a, ok)); i++) {
		const struct result_state *s = &r->states.v[i];
		put_ms(j, "t_ms", s->t_ms, ok);
		put_str(j, "host", s->host, ok);
		put_str(j, "state", s->state, ok);
		put_int(j, "local_port", s->local_port, ok);
		put_int(j, "remote_port", s->remote_port, ok);
		put_int(j, "recv_q", s->recv_q, ok);
		put_int(j, "send_q", s->send_q, ok);
	}
	a = put_array(o, "counters", ok);
	for (size_t i = 0; a && i < r->counters.n && (j = new_elem(a, ok)); i++) {
		put_str(j, "host", r->counters.v[i].host, ok);
		put_str(j, "name", r->counters.v[i].name, ok);
		put_int(j, "value", r->counters.v[i].value, ok);
	}
	a = put_array(o, "events", ok);
	for (size_t i = 0; a && i < r->events.n && (j = new_elem(a, ok)); i++) {
		put_ms(j, "t_ms", r->events.v[i].t_ms, ok);
		put_str(j, "host", r->events.v[i].host, ok);
		put_str(j, "event", r->events.v[i].event, ok);
	}
	a = put_array(o, "exits", ok);
	for (size_t i = 0; a && i < r->exits.n && (j = new_elem(a, ok)); i++) {
		const struct result_exit *x = &r->exits.v[i];
		put_str(j, "peer", x->peer, ok);
		put_ms(j, "t_ms", x->t_ms, ok);
		if (*x->signal)
			put_str(j, "signal", x->signal, ok);
		else
			put_int(j, "status", x->status, ok);
		if (x->at_kill)   /* absent: the reap's time, as in results recorded before it */
			put(j, "at_kill", json_object_new_boolean(true), ok);
	}
}

/* "hosts": absent when the result has none (results recorded before it read back the same). */
static void hosts_to_json(const struct result *r, json_object *o, bool *ok)
{
	json_object *a = r->hosts.n ? put_array(o, "hosts", ok) : NULL, *j;

	for (size_t i = 0; a && i < r->hosts.n && (j = new_elem(a, ok)); i++) {
		const struct result_host *h = &r->hosts.v[i];
		put_str(j, "name", h->name, ok);
		if (*h->inet)
			put_str(j, "inet", h->inet, ok);
		if (*h->inet6)
			put_str(j, "inet6", h->inet6, ok);
	}
}

static void programs_to_json(const struct result *r, json_object *o, bool *ok)
{
	static const char *const lost_key[] = { "stdout_lost_bytes", "stderr_lost_bytes" };
	static const char *const out_key[] = { "stdout", "stderr" };
	json_object *a = r->programs.n ? put_array(o, "programs", ok) : NULL, *j;

	for (size_t i = 0; a && i < r->programs.n && (j = new_elem(a, ok)); i++) {
		const struct result_program *p = &r->programs.v[i];
		put_str(j, "name", p->name, ok);
		put_strings(j, "argv", p->argv, p->nargv, ok);
		put_int(j, "pid", p->pid, ok);
		put(j, "syscalls_observed", json_object_new_boolean(p->syscalls_observed), ok);
		if (p->observer[0])      /* results recorded before it have none */
			put_str(j, "observer", p->observer, ok);
		if (p->unobserved_reason[0])
			put_str(j, "unobserved_reason", p->unobserved_reason, ok);
		for (int k = 0; k < 2; k++) {
			put_str(j, out_key[k], p->out[k], ok);
			if (p->lost[k])
				put_int(j, lost_key[k], p->lost[k], ok);
		}
		if (p->syscalls_dropped)
			put_int(j, "syscalls_dropped", p->syscalls_dropped, ok);
	}
}

int result_to_json(const struct result *r, json_object **ret)
{
	json_object *o = json_object_new_object();
	bool ok = o != NULL;

	if (!ok)
		return -ENOMEM;
	put_str(o, "name", r->name, &ok);
	put_str(o, "mode", r->mode, &ok);
	put_str(o, "family", r->family, &ok);
	if (r->partial) {
		put_str(o, "summary", r->summary, &ok);
		hosts_to_json(r, o, &ok);
		put_str(o, "verdict", result_verdict_name(r->verdict), &ok);
		put_ms(o, "duration_ms", r->duration_ms, &ok);
		put_strings(o, "failures", r->failures.v, r->failures.n, &ok);
	} else {
		put_str(o, "file", r->file, &ok);
		put_str(o, "summary", r->summary, &ok);
		if (*r->claim)
			put_str(o, "claim", r->claim, &ok);
		if (*r->linux_says)
			put_str(o, "linux", r->linux_says, &ok);
		if (*r->timers)
			put_str(o, "timers", r->timers, &ok);
		hosts_to_json(r, o, &ok);
		syscalls_to_json(r, o, &ok);
		packets_to_json(r, o, &ok);
		observations_to_json(r, o, &ok);
		traced_to_json(r, o, &ok);
		deltas_to_json(r, o, &ok);
		put_strings(o, "failures", r->failures.v, r->failures.n, &ok);
		put_strings(o, "notes", r->notes.v, r->notes.n, &ok);
		if (*r->missing)
			put_str(o, "missing", r->missing, &ok);
		if (*r->kernel)
			put_str(o, "kernel", r->kernel, &ok);
		programs_to_json(r, o, &ok);
		put_str(o, "verdict", result_verdict_name(r->verdict), &ok);
		put_ms(o, "duration_ms", r->duration_ms, &ok);
		put_ms(o, "floor_ms", r->floor_ms, &ok);
	}
	if (r->run)
		put_int(o, "run", r->run, &ok);
	if (!ok) {
		json_object_put(o);
		return -ENOMEM;
	}
	*ret = o;
	return 0;
}

/* ---- from JSON ---- */

/* The field under key, NULL if absent or null. */
static json_object *field(json_object *o, const char *key)
{
	json_object *v = NULL;

	json_object_object_get_ex(o, key, &v);
	return v;
}

/* A string field; absent: "" (or -EINVAL if needed). A string holding NUL is refused: what
 * comes out of it would not be what went in. */
static int get_str(json_object *o, const char *key, bool need, char **ret)
{
	json_object *v = field(o, key);

	if (!v)
		return need ? -EINVAL : replace(ret, "");
	if (!json_object_is_type(v, json_type_string) ||
	    strlen(json_object_get_string(v)) != (size_t)json_object_get_string_len(v))
		return -EINVAL;
	return replace(ret, json_object_get_string(v));
}

static int get_int(json_object *o, const char *key, long long min, long long max, long long *ret)
{
	json_object *v = field(o, key);

	*ret = 0;
	if (!v)
		return 0;
	if (!json_object_is_type(v, json_type_int))
		return -EINVAL;
	errno = 0;
	int64_t x = json_object_get_int64(v);
	if (errno || x < min || x > max)
		return -EINVAL;
	*ret = x;
	return 0;
}

static int get_i(json_object *o, const char *key, int *ret)
{
	long long v;
	int e = get_int(o, key, INT32_MIN, INT32_MAX, &v);

	*ret = (int)v;
	return e;
}

static int get_ms(json_object *o, const char *key, double *ret)
{
	json_object *v = field(o, key);

	*ret = 0;
	if (!v)
		return 0;
	if (!json_object_is_type(v, json_type_double) && !json_object_is_type(v, json_type_int))
		return -EINVAL;
	*ret = json_object_get_double(v);
	return 0;
}

/* The array under key (NULL: absent), or -EINVAL in *e if it is something else or too long. */
static json_object *get_array(json_object *o, const char *key, int *e)
{
	json_object *a = field(o, key);

	if (a && (!json_object_is_type(a, json_type_array) || json_object_array_length(a) > RESULT_MAX_ITEMS)) {
		*e = -EINVAL;
		return NULL;
	}
	return a;
}

/* Element i of a, which must be an object. */
static json_object *elem(json_object *a, size_t i, int *e)
{
	json_object *j = json_object_array_get_idx(a, i);

	if (!json_object_is_type(j, json_type_object)) {
		*e = -EINVAL;
		return NULL;
	}
	return j;
}

static int read_strings(json_object *o, const char *key, char ***v, size_t *n, size_t *cap)
{
	int e = 0;
	json_object *a = get_array(o, key, &e);

	for (size_t i = 0; a && e == 0 && i < json_object_array_length(a); i++) {
		json_object *s = json_object_array_get_idx(a, i);
		if (!json_object_is_type(s, json_type_string))
			return -EINVAL;
		e = add_string(v, n, cap, json_object_get_string(s));
	}
	return e;
}

static int read_syscall(json_object *j, struct result_syscall *s)
{
	json_object *en = field(j, "errno");
	int e;

	if ((e = get_str(j, "peer", false, &s->peer)) < 0 || (e = get_str(j, "socket", false, &s->socket)) < 0 ||
	    (e = get_str(j, "call", false, &s->call)) < 0 || (e = get_str(j, "args", false, &s->args)) < 0 ||
	    (e = get_int(j, "ret", INT64_MIN, INT64_MAX, &s->ret)) < 0 ||
	    (e = get_ms(j, "t_ms", &s->t_ms)) < 0 || (e = get_i(j, "pid", &s->pid)) < 0)
		return e;
	if (en && (!json_object_is_type(en, json_type_string) ||
		   (s->err = peer_errno_from_name(json_object_get_string(en))) < 0))
		return -EINVAL;
	return 0;
}

static int read_packet(json_object *j, struct result_packet *p)
{
	json_object *kind = field(j, "kind");
	int e;

	if ((e = get_ms(j, "t_ms", &p->t_ms)) < 0 || (e = get_str(j, "from", false, &p->from)) < 0 ||
	    (e = get_str(j, "to", false, &p->to)) < 0 || (e = get_i(j, "sport", &p->sport)) < 0 ||
	    (e = get_i(j, "dport", &p->dport)) < 0 || (e = get_str(j, "flags", false, &p->flags)) < 0 ||
	    (e = get_int(j, "seq", 0, UINT32_MAX, &p->seq)) < 0 || (e = get_int(j, "ack", 0, UINT32_MAX, &p->ack)) < 0 ||
	    (e = get_int(j, "len", 0, UINT32_MAX, &p->len)) < 0 || (e = get_str(j, "reason", false, &p->reason)) < 0 ||
	    (e = get_str(j, "retransmit", false, &p->retransmit)) < 0)
		return e;
	if (kind && (!json_object_is_type(kind, json_type_string) ||
		     (strcmp(json_object_get_string(kind), "tcp") && strcmp(json_object_get_string(kind), "icmp"))))
		return -EINVAL;
	p->icmp = kind && strcmp(json_object_get_string(kind), "icmp") == 0;
	return 0;
}

static int read_state(json_object *j, struct result_state *s)
{
	int e;

	if ((e = get_ms(j, "t_ms", &s->t_ms)) < 0 || (e = get_str(j, "host", false, &s->host)) < 0 ||
	    (e = get_str(j, "state", false, &s->state)) < 0 || (e = get_i(j, "local_port", &s->local_port)) < 0 ||
	    (e = get_i(j, "remote_port", &s->remote_port)) < 0 ||
	    (e = get_int(j, "recv_q", INT64_MIN, INT64_MAX, &s->recv_q)) < 0)
		return e;
	return get_int(j, "send_q", INT64_MIN, INT64_MAX, &s->send_q);
}

static int read_transition(json_object *j, struct result_transition *t)
{
	int e;

	if ((e = get_ms(j, "t_ms", &t->t_ms)) < 0 || (e = get_str(j, "host", false, &t->host)) < 0 ||
	    (e = get_i(j, "sport", &t->sport)) < 0 || (e = get_i(j, "dport", &t->dport)) < 0 ||
	    (e = get_str(j, "from", false, &t->from)) < 0)
		return e;
	return get_str(j, "to", false, &t->to);
}

static int read_retransmit(json_object *j, struct result_retransmit *t)
{
	int e;

	if ((e = get_ms(j, "t_ms", &t->t_ms)) < 0 || (e = get_str(j, "host", false, &t->host)) < 0 ||
	    (e = get_i(j, "sport", &t->sport)) < 0 || (e = get_i(j, "dport", &t->dport)) < 0 ||
	    (e = get_str(j, "state", false, &t->state)) < 0)
		return e;
	if ((e = get_str(j, "ca_state", false, &t->ca_state)) < 0)
		return e;
	return get_str(j, "kind", false, &t->kind);
}

static int read_drop(json_object *j, struct result_drop *d)
{
	int e;

	if ((e = get_ms(j, "t_ms", &d->t_ms)) < 0 || (e = get_str(j, "host", false, &d->host)) < 0)
		return e;
	return get_str(j, "reason", false, &d->reason);
}

static int read_counter(json_object *j, struct result_counter *c)
{
	int e;

	if ((e = get_str(j, "host", false, &c->host)) < 0 || (e = get_str(j, "name", false, &c->name)) < 0)
		return e;
	return get_int(j, "value", INT64_MIN, INT64_MAX, &c->value);
}

static int read_delta(json_object *j, struct result_counter *c)
{
	int e;

	if ((e = get_str(j, "host", false, &c->host)) < 0 || (e = get_str(j, "name", false, &c->name)) < 0)
		return e;
	return get_int(j, "delta", INT64_MIN, INT64_MAX, &c->value);
}

static int read_event(json_object *j, struct result_event *v)
{
	int e;

	if ((e = get_ms(j, "t_ms", &v->t_ms)) < 0 || (e = get_str(j, "host", false, &v->host)) < 0)
		return e;
	return get_str(j, "event", false, &v->event);
}

static int read_exit(json_object *j, struct result_exit *x)
{
	json_object *at_kill = field(j, "at_kill");
	int e;

	if (at_kill && !json_object_is_type(at_kill, json_type_boolean))
		return -EINVAL;
	x->at_kill = at_kill && json_object_get_boolean(at_kill);
	if ((e = get_str(j, "peer", false, &x->peer)) < 0 || (e = get_ms(j, "t_ms", &x->t_ms)) < 0 ||
	    (e = get_str(j, "signal", false, &x->signal)) < 0)
		return e;
	return get_i(j, "status", &x->status);
}

static int read_host(json_object *j, struct result_host *h)
{
	int e;

	if ((e = get_str(j, "name", false, &h->name)) < 0 || (e = get_str(j, "inet", false, &h->inet)) < 0)
		return e;
	return get_str(j, "inet6", false, &h->inet6);
}

static int read_program(json_object *j, struct result_program *p)
{
	json_object *obs = field(j, "syscalls_observed");
	int e = 0;
	json_object *argv = get_array(j, "argv", &e);
	size_t n = argv ? json_object_array_length(argv) : 0;

	if (e < 0 || (obs && !json_object_is_type(obs, json_type_boolean)))
		return -EINVAL;
	p->syscalls_observed = obs && json_object_get_boolean(obs);
	if (!(p->argv = calloc(n ? n : 1, sizeof *p->argv)))
		return -ENOMEM;
	for (; p->nargv < n; p->nargv++) {
		json_object *w = json_object_array_get_idx(argv, p->nargv);
		if (!json_object_is_type(w, json_type_string))
			return -EINVAL;
		if ((e = dup_str(&p->argv[p->nargv], json_object_get_string(w))) < 0)
			return e;
	}
	if ((e = get_str(j, "name", false, &p->name)) < 0 || (e = get_i(j, "pid", &p->pid)) < 0 ||
	    (e = get_str(j, "stdout", false, &p->out[0])) < 0 || (e = get_str(j, "stderr", false, &p->out[1])) < 0 ||
	    (e = get_str(j, "observer", false, &p->observer)) < 0 ||
	    (e = get_str(j, "unobserved_reason", false, &p->unobserved_reason)) < 0 ||
	    (e = get_int(j, "stdout_lost_bytes", 0, INT64_MAX, &p->lost[0])) < 0 ||
	    (e = get_int(j, "stderr_lost_bytes", 0, INT64_MAX, &p->lost[1])) < 0)
		return e;
	return get_int(j, "syscalls_dropped", 0, INT64_MAX, &p->syscalls_dropped);
}

/* Reads the array under key, each element by read into a new slot; a failed element is kept
 * (result_free frees what it holds) since the whole result is refused anyway. */
#define READ_ARRAY(o, key, arr, read, e)                                                         \
	do {                                                                                     \
		json_object *a_ = get_array(o, key, &(e));                                       \
		for (size_t i_ = 0; a_ && (e) == 0 && i_ < json_object_array_length(a_); i_++) { \
			json_object *j_ = elem(a_, i_, &(e));                                    \
			__typeof__((arr).v) s_ = j_ ? PUSH(arr, &(e)) : NULL;                    \
			if (s_)                                                                  \
				(e) = read(j_, s_);                                              \
		}                                                                                \
	} while (0)

static int read_verdict(json_object *o, enum result_verdict *ret)
{
	json_object *v = field(o, "verdict");

	if (!v || !json_object_is_type(v, json_type_string))
		return -EINVAL;
	for (size_t i = 0; i < sizeof verdicts / sizeof verdicts[0]; i++)
		if (strcmp(json_object_get_string(v), verdicts[i]) == 0) {
			*ret = (enum result_verdict)i;
			return 0;
		}
	return -EINVAL;
}

int result_from_json(json_object *o, struct result **ret)
{
	struct result *r = NULL;
	long long run;
	int e;

	if (!json_object_is_type(o, json_type_object))
		return -EINVAL;
	if ((e = result_new("", "", "", "", "", &r)) < 0)
		return e;
	r->partial = !field(o, "file");
	if ((e = get_str(o, "name", true, &r->name)) < 0 || (e = get_str(o, "mode", false, &r->mode)) < 0 ||
	    (e = get_str(o, "family", false, &r->family)) < 0 || (e = get_str(o, "file", false, &r->file)) < 0 ||
	    (e = get_str(o, "summary", false, &r->summary)) < 0 || (e = get_str(o, "claim", false, &r->claim)) < 0 ||
	    (e = get_str(o, "linux", false, &r->linux_says)) < 0 || (e = get_str(o, "timers", false, &r->timers)) < 0 ||
	    (e = get_str(o, "missing", false, &r->missing)) < 0 || (e = get_str(o, "kernel", false, &r->kernel)) < 0 ||
	    (e = read_verdict(o, &r->verdict)) < 0 ||
	    (e = get_ms(o, "duration_ms", &r->duration_ms)) < 0 || (e = get_ms(o, "floor_ms", &r->floor_ms)) < 0 ||
	    (e = get_int(o, "run", 0, UINT32_MAX, &run)) < 0)
		goto fail;
	r->run = (unsigned)run;
	READ_ARRAY(o, "hosts", r->hosts, read_host, e);
	READ_ARRAY(o, "syscalls", r->syscalls, read_syscall, e);
	READ_ARRAY(o, "packets", r->packets, read_packet, e);
	READ_ARRAY(o, "states", r->states, read_state, e);
	READ_ARRAY(o, "counters", r->counters, read_counter, e);
	READ_ARRAY(o, "events", r->events, read_event, e);
	READ_ARRAY(o, "exits", r->exits, read_exit, e);
	READ_ARRAY(o, "programs", r->programs, read_program, e);
	r->traced = field(o, "transitions") != NULL;
	READ_ARRAY(o, "transitions", r->transitions, read_transition, e);
	READ_ARRAY(o, "retransmits", r->retransmits, read_retransmit, e);
	READ_ARRAY(o, "drops", r->drops, read_drop, e);
	r->counted = field(o, "counter_deltas") != NULL;
	READ_ARRAY(o, "counter_deltas", r->counter_deltas, read_delta, e);
	if (e < 0 || (e = read_strings(o, "failures", &r->failures.v, &r->failures.n, &r->failures.cap)) < 0 ||
	    (e = read_strings(o, "notes", &r->notes.v, &r->notes.n, &r->notes.cap)) < 0)
		goto fail;
	*ret = r;
	return 0;
fail:
	result_free(r);
	return e == -ENOMEM ? e : -EINVAL;
}

int result_dup(const struct result *r, struct result **ret)
{
	json_object *j;
	int e = result_to_json(r, &j);

	if (e < 0)
		return e;
	e = result_from_json(j, ret);
	json_object_put(j);
	return e;
}

void result_each_string(struct result *r, void (*fn)(char **s, void *arg), void *arg)
{
	char **strings[] = { &r->name, &r->mode, &r->family, &r->file, &r->summary, &r->claim, &r->linux_says,
			     &r->timers, &r->missing, &r->kernel };
	for (size_t i = 0; i < sizeof strings / sizeof strings[0]; i++)
		fn(strings[i], arg);
	for (size_t i = 0; i < r->hosts.n; i++) {
		fn(&r->hosts.v[i].name, arg);
		fn(&r->hosts.v[i].inet, arg);
		fn(&r->hosts.v[i].inet6, arg);
	}
	for (size_t i = 0; i < r->syscalls.n; i++) {
		fn(&r->syscalls.v[i].peer, arg);
		fn(&r->syscalls.v[i].socket, arg);
		fn(&r->syscalls.v[i].call, arg);
		fn(&r->syscalls.v[i].args, arg);
	}
	for (size_t i = 0; i < r->packets.n; i++) {
		fn(&r->packets.v[i].from, arg);
		fn(&r->packets.v[i].to, arg);
		fn(&r->packets.v[i].flags, arg);
		fn(&r->packets.v[i].reason, arg);
		fn(&r->packets.v[i].retransmit, arg);
	}
	for (size_t i = 0; i < r->transitions.n; i++) {
		fn(&r->transitions.v[i].host, arg);
		fn(&r->transitions.v[i].from, arg);
		fn(&r->transitions.v[i].to, arg);
	}
	for (size_t i = 0; i < r->retransmits.n; i++) {
		fn(&r->retransmits.v[i].host, arg);
		fn(&r->retransmits.v[i].state, arg);
		fn(&r->retransmits.v[i].ca_state, arg);
		fn(&r->retransmits.v[i].kind, arg);
	}
	for (size_t i = 0; i < r->drops.n; i++) {
		fn(&r->drops.v[i].host, arg);
		fn(&r->drops.v[i].reason, arg);
	}
	for (size_t i = 0; i < r->states.n; i++) {
		fn(&r->states.v[i].host, arg);
		fn(&r->states.v[i].state, arg);
	}
	for (size_t i = 0; i < r->counters.n; i++) {
		fn(&r->counters.v[i].host, arg);
		fn(&r->counters.v[i].name, arg);
	}
	for (size_t i = 0; i < r->counter_deltas.n; i++) {
		fn(&r->counter_deltas.v[i].host, arg);
		fn(&r->counter_deltas.v[i].name, arg);
	}
	for (size_t i = 0; i < r->events.n; i++) {
		fn(&r->events.v[i].host, arg);
		fn(&r->events.v[i].event, arg);
	}
	for (size_t i = 0; i < r->exits.n; i++) {
		fn(&r->exits.v[i].peer, arg);
		fn(&r->exits.v[i].signal, arg);
	}
	for (size_t i = 0; i < r->failures.n; i++)
		fn(&r->failures.v[i], arg);
	for (size_t i = 0; i < r->notes.n; i++)
		fn(&r->notes.v[i], arg);
	for (size_t i = 0; i < r->programs.n; i++) {
		struct result_program *p = &r->programs.v[i];
		fn(&p->name, arg);
		for (size_t k = 0; k < p->nargv; k++)
			fn(&p->argv[k], arg);
		fn(&p->out[0], arg);
		fn(&p->out[1], arg);
		fn(&p->observer, arg);
		fn(&p->unobserved_reason, arg);
	}
}
