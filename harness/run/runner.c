/* SPDX-License-Identifier: MIT */
/*
 * Runner: one scenario, one family, one sandbox. Runs in a worker process of its own (main.c
 * forks it), single-threaded: an event loop over the peers' control sockets, their pidfds and
 * the capture. Each step acts, then awaits what it must observe with a bound; nothing is
 * ordered by sleeping. The first failed expectation ends the run (later steps would only
 * measure the consequences of the first surprise). Teardown runs on every path.
 *
 * The result is a struct result (result.h): what each step observed is added to it as it
 * happens, the verdict at the end.
 */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/socket.h>
#include <sys/wait.h>

#include "internal.h"
#include "loop.h"
#include "netns.h"
#include "peer.h"

/* scenario.c refuses a file whose steps could need more than SCENARIO_MAX_CMDS; the rest is
 * room for the harness's own liveness probes (peer_answers()). */
#define MAX_CMDS (SCENARIO_MAX_CMDS + 64)
#define MAX_FLOORS 256             /* past this, floors met are not counted: never too many */
#define MAX_SOCKS 128
#define STATE_POLL_MS 2
#define PROBE_MS 1000

struct cmd {
	int host, id;
	char sock[32], op[24];
	bool done, awaited, has_result;
	long long ret;
	int err;
	int64_t t_us;                     /* CLOCK_MONOTONIC when the last syscall returned */
	int64_t sent_us;                  /* CLOCK_MONOTONIC when the command was sent */
	unsigned line;                    /* the step that sent it */
	char error[PEER_MSG_MAX];          /* the peer's 'E' text */
};

struct run {
	const struct scenario *s;
	const struct run_options *o;
	struct netns_sandbox *sb;
	struct capture *cap;
	struct programs *progs;           /* real programs run by 'exec' (program.c) */
	struct peer *peer[SCENARIO_MAX_HOSTS];
	bool dead[SCENARIO_MAX_HOSTS];
	int status[SCENARIO_MAX_HOSTS];
	double death_ms[SCENARIO_MAX_HOSTS];   /* run ms when each peer was reaped */
	bool doomed[SCENARIO_MAX_HOSTS];       /* sent a signal or a crash: it may be dying */
	struct {
		int host;
		char name[32];
	} socks[MAX_SOCKS];
	unsigned nsocks;
	struct cmd cmds[MAX_CMDS];
	unsigned ncmds;
	size_t pkt_cursor, pkt_reported;
	int64_t origin_us;                /* the run's start (loop.h clock) */
	struct loop loop;                 /* its deadline: the run's time limit */
	const struct step *step;
	int64_t step_start_us;            /* CLOCK_MONOTONIC when the current step began */
	struct floor floors[MAX_FLOORS];  /* the 'after' floors met, run ms */
	struct netns_sock *sockbuf;       /* run_sockets(): NETNS_MAX_SOCKS, allocated once */
	/* When the current step's awaited event happened (run ms): event_ms where it is known
	 * (a death, a program's call), cond_ms when an await's condition was seen to hold; -1
	 * while unknown. The 'after' floor of a state, counter, exit or program await uses it. */
	double event_ms, cond_ms;
	unsigned nfloors;
	bool failed, errored;
	bool steps_done;                  /* past the last step (teardown, final checks) */
	struct result *res;
	bool pkts_checked;                /* a step looked for a packet: the verdict needs every one */
};

/* Milliseconds from the run's start to t_us (the run's clock, loop.h). */
static double ms_since(const struct run *r, int64_t t_us)
{
	return (double)(t_us - r->origin_us) / 1000.0;
}

static double rel_ms(const struct run *r)
{
	return ms_since(r, clock_us());
}

static const char *hostname(const struct run *r, int host)
{
	if (host == HOST_ROUTER)
		return "router";
	return host >= 0 && (unsigned)host < r->s->nhosts ? r->s->hosts[host] : "?";
}

/* The netns host index of a step's host: the router is the wire namespace. */
static int ns_host(int host)
{
	return host == HOST_ROUTER ? NETNS_WIRE : host;
}

/* Adds "FILE:LINE: " (of the current step; "FILE: setting up: " or "FILE: at the end: " outside
 * one), then kind and the message, to the failures. Built on the heap: a scenario path may be
 * as long as PATH_MAX, and the message must not be cut or overrun a buffer for it. */
static void add_failure(struct run *r, const char *kind, const char *fmt, va_list ap)
{
	char *text = NULL, *msg = NULL;

	if (vasprintf(&text, fmt, ap) < 0)
		text = NULL;
	int n = r->step ? asprintf(&msg, "%s:%u: %s%s", r->s->path, r->step->line, kind, text ? text : "(out of memory)")
			: asprintf(&msg, "%s: %s: %s%s", r->s->path, r->steps_done ? "at the end" : "setting up", kind,
				   text ? text : "(out of memory)");
	result_failure(r->res, n < 0 ? "out of memory" : msg);
	if (n >= 0)
		free(msg);
	free(text);
}

/* A failed expectation: the kernel or the program did not do what the scenario says. */
static int failf(struct run *r, const char *fmt, ...)
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
static int errorf(struct run *r, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	add_failure(r, "error: ", fmt, ap);
	va_end(ap);
	r->errored = true;
	return -1;
}

static void event(struct run *r, int host, const char *what)
{
	result_add_event(r->res, rel_ms(r), hostname(r, host), what);
}

static void note(struct run *r, const char *text)
{
	result_note(r->res, text);
}

static void record_packets(struct run *r)
{
	for (; r->pkt_reported < capture_count(r->cap); r->pkt_reported++) {
		const struct packet *p = capture_packet(r->cap, r->pkt_reported);
		result_add_packet(r->res, p->t_ms, hostname(r, p->from), hostname(r, p->to), p->sport, p->dport,
				  p->icmp, p->flags, p->seq, p->ack, p->len);
	}
}

static struct cmd *cmd_by_id(struct run *r, int host, int id)
{
	for (unsigned i = r->ncmds; i-- > 0;)
		if (r->cmds[i].host == host && r->cmds[i].id == id)
			return &r->cmds[i];
	return NULL;
}

static void handle_report(struct run *r, int host, const struct peer_report *rep)
{
	struct cmd *c = cmd_by_id(r, host, rep->id);

	if (rep->kind == 'R') {
		/* An errno the JSON cannot name is recorded as none, as it always was. */
		result_add_syscall(r->res, hostname(r, host), rep->sock, rep->call, rep->ret,
				   peer_errno_name(rep->err) ? rep->err : 0,
				   ms_since(r, (int64_t)rep->t_us), 0);
		if (c) {
			c->has_result = true;
			c->ret = rep->ret;
			c->err = rep->err;
			c->t_us = (int64_t)rep->t_us;
		}
	} else if (rep->kind == 'E' && c) {
		snprintf(c->error, sizeof c->error, "%s", rep->text);
	} else if (rep->kind == 'D' && c) {
		c->done = true;
	}
}

static void reap(struct run *r, int host)
{
	bool dead = false;
	int status = 0;

	if (r->dead[host] || peer_reap(r->peer[host], &dead, &status) < 0 || !dead)
		return;
	/* What the peer reported before it died is still in the socket: take it all in first. */
	struct peer_report rep;
	for (int k = 0; k < 100000 && peer_recv(r->peer[host], &rep) == 1; k++)
		handle_report(r, host, &rep);
	r->dead[host] = true;
	r->status[host] = status;
	r->death_ms[host] = rel_ms(r);
	result_add_exit(r->res, hostname(r, host), rel_ms(r), WIFSIGNALED(status) ? signal_name(WTERMSIG(status)) : NULL,
			WEXITSTATUS(status));
}

/* ---- the run's event sources (loop.h): the capture, the programs, the peers ---- */

static unsigned capture_fds(void *ctx, struct pollfd *fds, unsigned max)
{
	struct run *r = ctx;

	fds[0] = (struct pollfd){ .fd = capture_fd(r->cap), .events = POLLIN };
	return max ? 1 : 0;
}

static void capture_take(void *ctx, const struct pollfd *fds, unsigned n)
{
	struct run *r = ctx;

	capture_poll(r->cap, r->origin_us);
	record_packets(r);
}

static unsigned programs_fds(void *ctx, struct pollfd *fds, unsigned max)
{
	return programs_pollfds(((struct run *)ctx)->progs, fds, max);
}

static void programs_take_all(void *ctx, const struct pollfd *fds, unsigned n)
{
	programs_take(((struct run *)ctx)->progs);
}

/* Each live peer: its control socket, then its pidfd. */
static unsigned peers_fds(void *ctx, struct pollfd *fds, unsigned max)
{
	struct run *r = ctx;
	unsigned n = 0;

	for (unsigned h = 0; h < r->s->nhosts && n + 2 <= max; h++) {
		if (!r->peer[h] || r->dead[h])
			continue;
		fds[n++] = (struct pollfd){ .fd = peer_control_fd(r->peer[h]), .events = POLLIN };
		fds[n++] = (struct pollfd){ .fd = peer_pidfd(r->peer[h]), .events = POLLIN };
	}
	return n;
}

static void peers_take(void *ctx, const struct pollfd *fds, unsigned n)
{
	struct run *r = ctx;
	unsigned i = 0;

	/* The same hosts, in the same order, as peers_fds() stored them. */
	for (unsigned h = 0; h < r->s->nhosts && i + 2 <= n; h++) {
		if (!r->peer[h] || r->dead[h])
			continue;
		struct peer_report rep;
		if (fds[i].revents || fds[i + 1].revents)
			for (int k = 0; k < 1024 && peer_recv(r->peer[h], &rep) == 1; k++)
				handle_report(r, (int)h, &rep);
		if (fds[i + 1].revents)
			reap(r, (int)h);
		i += 2;
	}
}

static void pump(struct run *r, int timeout_ms)
{
	loop_pump(&r->loop, timeout_ms);
}

struct await_arg {
	struct run *r;
	bool (*cond)(struct run *, const void *);
	const void *arg;
};

static bool await_cond(void *arg)
{
	struct await_arg *a = arg;
	return a->cond(a->r, a->arg);
}

/* Awaits cond(r, arg) for at most bound_ms (and never past the scenario's deadline). */
static int await(struct run *r, bool (*cond)(struct run *, const void *), const void *arg,
		 int bound_ms, int poll_ms)
{
	struct await_arg a = { r, cond, arg };
	int64_t held;
	int e = loop_await(&r->loop, await_cond, &a, bound_ms, poll_ms, &held);

	if (e == 0)
		r->cond_ms = ms_since(r, held);
	else if (e == -ETIME)
		/* Not the step's bound: the whole run's. What the kernel would have done is
		 * unknown, so this is no failure of the kernel's but the harness giving up. */
		return errorf(r, "the run's time limit (%lld ms) ran out during this step",
			      (long long)(r->loop.deadline_us - r->origin_us) / 1000), -ETIMEDOUT;
	return e;
}

static int bound(const struct run *r, const struct step *st)
{
	return st->within_ms ? st->within_ms : r->s->await_ms;
}

/* ---- socket operations ---- */

static bool sock_known(const struct run *r, int host, const char *name)
{
	for (unsigned i = 0; i < r->nsocks; i++)
		if (r->socks[i].host == host && strcmp(r->socks[i].name, name) == 0)
			return true;
	return false;
}

static void sock_set(struct run *r, int host, const char *name, bool exists)
{
	for (unsigned i = 0; i < r->nsocks; i++)
		if (r->socks[i].host == host && strcmp(r->socks[i].name, name) == 0) {
			if (!exists)
				r->socks[i] = r->socks[--r->nsocks];
			return;
		}
	if (exists && r->nsocks < MAX_SOCKS) {
		r->socks[r->nsocks].host = host;
		snprintf(r->socks[r->nsocks++].name, sizeof r->socks[0].name, "%s", name);
	}
}

static struct cmd *send_cmd(struct run *r, int host, const char *sock, const char *op, const char *line)
{
	if (r->ncmds == MAX_CMDS) {
		errorf(r, "more than %d commands in one run", MAX_CMDS);
		return NULL;
	}
	if (r->dead[host]) {
		failf(r, "%s %s: the %s peer is no longer running", hostname(r, host), op, hostname(r, host));
		return NULL;
	}
	int id = peer_send(r->peer[host], sock, line);
	if (id < 0) {
		errorf(r, "sending '%s' to the %s peer: %s", line, hostname(r, host), strerror(-id));
		return NULL;
	}
	struct cmd *c = &r->cmds[r->ncmds++];
	*c = (struct cmd){ .host = host, .id = id, .sent_us = clock_us(),
			   .line = r->step ? r->step->line : 0 };
	snprintf(c->sock, sizeof c->sock, "%s", sock);
	snprintf(c->op, sizeof c->op, "%s", op);
	return c;
}

static bool cmd_finished(struct run *r, const void *arg)
{
	const struct cmd *c = arg;
	return c->done || r->dead[c->host];
}

static void describe(char *buf, size_t len, bool has, long long ret, int err)
{
	const char *en = peer_errno_name(err);

	if (!has)
		snprintf(buf, len, "(no result)");
	else if (ret < 0 && en)
		snprintf(buf, len, "%lld %s", ret, en);
	else
		snprintf(buf, len, "%lld", ret);
}

/* An awaited event that came before the step's "after" floor is a failure: the kernel was
 * faster than the scenario says it must be (a timer shorter than claimed). A floor met is a
 * wait no harness could have shortened: from its anchor (run ms) on for after_ms. */
static int too_soon(struct run *r, const struct step *st, double anchor_ms, double event_ms)
{
	if (!st->after_ms)
		return 0;
	if (event_ms - anchor_ms < st->after_ms)
		return failf(r, "too soon\n  expected: after %d ms\n  observed: after %.1f ms",
			     st->after_ms, event_ms - anchor_ms);
	if (r->nfloors < MAX_FLOORS) {
		r->floors[r->nfloors].from = anchor_ms;
		r->floors[r->nfloors++].to = anchor_ms + st->after_ms;
	}
	return 0;
}


/* Whether host's peer still answers: an op it does not know comes back at once (E, then D) from
 * its main loop, even while a socket's worker is blocked in a call. One that does not answer
 * within PROBE_MS hangs or ignores its commands, and is killed. */
static bool peer_answers(struct run *r, int host)
{
	struct cmd *probe = send_cmd(r, host, "-", "probe", "probe");

	if (!probe)
		return true;   /* the peer died meanwhile, or the send broke: send_cmd said which */
	probe->awaited = true;
	if (await(r, cmd_finished, probe, PROBE_MS, 0) == 0 && probe->done)
		return true;
	peer_signal(r->peer[host], SIGKILL);
	return false;
}

/* Awaits the command's end and checks its last syscall against want (or, without want,
 * that it succeeded). */
static int finish_cmd(struct run *r, struct cmd *c, const struct step *st, const struct expect_ret *want)
{
	char exp[64], obs[64];
	const char *who = hostname(r, c->host);

	if (await(r, cmd_finished, c, bound(r, st), 0) < 0 && !r->errored && !peer_answers(r, c->host))
		return errorf(r, "%s %s: the %s peer answered neither the command nor a probe (it hangs or "
			      "ignores its commands); it was killed", who, c->op, who);
	if (!cmd_finished(r, c))
		return failf(r, "%s %s did not return within %d ms\n  expected: %s\n  observed: still blocked",
			     who, c->op, bound(r, st), want && want->set ? (describe(exp, sizeof exp, true, want->ret, want->err), exp) : "a result");
	c->awaited = true;
	if (!c->done) {
		int s = r->status[c->host];
		return failf(r, "%s %s never returned: the %s peer died (%s)", who, c->op, who,
			     WIFSIGNALED(s) ? signal_name(WTERMSIG(s)) : "exited");
	}
	if (c->error[0])
		return errorf(r, "%s %s: the peer refused the command: %s", who, c->op, c->error);
	if (c->has_result && expect_matches(want, c->ret, c->err))
		return too_soon(r, st, ms_since(r, c->sent_us), ms_since(r, c->t_us));
	describe(obs, sizeof obs, c->has_result, c->ret, c->err);
	if (want && want->set)
		describe(exp, sizeof exp, true, want->ret, want->err);
	else
		snprintf(exp, sizeof exp, "success");
	return failf(r, "%s %s\n  expected: %s\n  observed: %s", who, c->op, exp, obs);
}

/* Runs one peer command to its end (a preparatory syscall of a compound step). */
/* A call a step makes before its own (the socket() of 'connect' on a new socket, the bind() of
 * 'listen'): it must succeed, and the step's 'after' is not its. With first_failure, a failure
 * the step expects is this call's if it fails ('listen 5000 = -1 EADDRINUSE' is bind's):
 * then 1, the step done. */
static int run_sync(struct run *r, const struct step *st, const char *sock, const char *op, const char *line,
		    bool first_failure)
{
	struct step helper = *st;
	struct cmd *c = send_cmd(r, st->host, sock, op, line);

	helper.after_ms = 0;
	if (!c)
		return -1;
	if (first_failure && st->want.set && st->want.ret < 0 && await(r, cmd_finished, c, bound(r, st), 0) == 0 &&
	    c->done && c->has_result && c->ret < 0)
		return finish_cmd(r, c, st, &st->want) < 0 ? -1 : 1;
	return finish_cmd(r, c, &helper, NULL);
}

static int ensure_socket(struct run *r, const struct step *st)
{
	if (sock_known(r, st->host, st->sock))
		return 0;
	const char *line = r->o->family == AF_INET6 ? "socket inet6" : "socket inet";
	if (run_sync(r, st, st->sock, "socket", line, false) < 0)
		return -1;
	sock_set(r, st->host, st->sock, true);
	return 0;
}

static int step_op(struct run *r, const struct step *st)
{
	char line[PEER_MSG_MAX], addr[64];
	const char *op = st->op.name;

	if (strcmp(op, "socket") == 0) {
		if (sock_known(r, st->host, st->sock))
			return errorf(r, "socket '%s' of %s exists already", st->sock, hostname(r, st->host));
		snprintf(line, sizeof line, "socket %s", r->o->family == AF_INET6 ? "inet6" : "inet");
	} else if (strcmp(op, "listen") == 0 || strcmp(op, "bind") == 0) {
		if (ensure_socket(r, st) < 0)
			return -1;
		netns_addr(r->sb, st->host, r->o->family, addr);
		snprintf(line, sizeof line, "bind %s %s", addr, st->op.args[0]);
		if (strcmp(op, "listen") == 0) {
			int e = run_sync(r, st, st->sock, "bind", line, true);
			if (e != 0)
				return e < 0 ? -1 : 0;
			snprintf(line, sizeof line, "listen %s", st->op.nargs > 1 ? st->op.args[1] : "16");
		}
	} else if (strcmp(op, "connect") == 0) {
		if (ensure_socket(r, st) < 0)
			return -1;
		netns_addr(r->sb, scenario_host(r->s, st->op.args[0]), r->o->family, addr);
		snprintf(line, sizeof line, "connect %s %s", addr, st->op.args[1]);
	} else if (strcmp(op, "synflood") == 0) {
		netns_addr(r->sb, scenario_host(r->s, st->op.args[0]), r->o->family, addr);
		snprintf(line, sizeof line, "synflood %s %s %s %s", addr, st->op.args[1], st->op.args[2], st->op.args[3]);
	} else if (strcmp(op, "accept") == 0) {
		snprintf(line, sizeof line, "accept %s", st->op.nargs ? st->op.args[0] : "listener");
	} else {
		if ((strcmp(op, "setsockopt") == 0 || strcmp(op, "nonblock") == 0) && ensure_socket(r, st) < 0)
			return -1;
		int n = snprintf(line, sizeof line, "%s", op);
		for (unsigned a = 0; a < st->op.nargs; a++)
			n += snprintf(line + n, sizeof line - (size_t)n, " %s", st->op.args[a]);
	}
	if (strcmp(op, "crash") == 0)
		event(r, st->host, "crash (invalid memory access)"), r->doomed[st->host] = true;
	struct cmd *c = send_cmd(r, st->host, st->sock, op, line);
	if (!c)
		return -1;
	if (strcmp(op, "socket") == 0 || strcmp(op, "accept") == 0)
		sock_set(r, st->host, st->sock, true);
	else if (strcmp(op, "close") == 0)
		sock_set(r, st->host, st->sock, false);
	if (st->async || strcmp(op, "crash") == 0)
		return 0;
	return finish_cmd(r, c, st, &st->want);
}

static int step_await_op(struct run *r, const struct step *st)
{
	for (unsigned i = 0; i < r->ncmds; i++) {
		struct cmd *c = &r->cmds[i];
		if (c->host == st->host && !c->awaited && strcmp(c->op, st->op.name) == 0 &&
		    strcmp(c->sock, st->sock) == 0)
			return finish_cmd(r, c, st, &st->want);
	}
	return errorf(r, "nothing to await: no '%s.%s %s ... &' is pending", hostname(r, st->host), st->sock, st->op.name);
}

/* ---- the wire ---- */

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
				      hostname(r, p->from), hostname(r, p->to), p->flags);
	}
	if (!buf[0])
		snprintf(buf, len, "no packets");
}

/* Where an awaited packet's or state's floor counts from: on the wire, the packet the previous
 * packet await matched (a retransmission interval, a timer started by a packet, whatever the
 * harness's own scheduling), or this step's start if there was none. Run ms. */
static double floor_anchor(const struct run *r)
{
	return r->pkt_cursor ? capture_packet(r->cap, r->pkt_cursor - 1)->t_ms :
	       ms_since(r, r->step_start_us);
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
static int sockets_error(struct run *r, int host, int err)
{
	if (err == -E2BIG)
		return errorf(r, "%s has more than %d TCP sockets: the harness lists no more", hostname(r, host),
			      NETNS_MAX_SOCKS);
	return errorf(r, "listing the sockets of %s: %s", hostname(r, host),
		      err == -ENOMEM ? strerror(ENOMEM) : netns_last_error(r->sb));
}

static int step_packet(struct run *r, const struct step *st)
{
	size_t from = r->pkt_cursor;
	char seen[1024];
	double base = floor_anchor(r);

	if (await(r, packet_seen, st, bound(r, st), 0) == 0)
		return too_soon(r, st, base, capture_packet(r->cap, r->pkt_cursor - 1)->t_ms);
	packets_since(r, from, seen, sizeof seen);
	return failf(r, "no %s > %s %s within %d ms\n  expected: %s > %s %s\n  observed: %s",
		     hostname(r, st->packet.from), hostname(r, st->packet.to), st->packet.flags, bound(r, st),
		     hostname(r, st->packet.from), hostname(r, st->packet.to), st->packet.flags, seen);
}

static bool never(struct run *r, const void *arg)
{
	return false;
}

/* None so far in the run; with 'within DUR', none either while watching for DUR. */
static int step_no_packet(struct run *r, const struct step *st)
{
	r->pkts_checked = true;
	if (st->within_ms)
		await(r, never, NULL, st->within_ms, 0);
	/* Take in every frame the capture holds now (each call reads a bounded batch). */
	for (int i = 0; i < 64 && capture_poll(r->cap, r->origin_us) > 0; i++)
		;
	record_packets(r);
	for (size_t i = 0; i < capture_count(r->cap); i++) {
		const struct packet *p = capture_packet(r->cap, i);
		if (packet_matches(p, st))
			return failf(r, "a packet that must not be there\n  expected: no %s > %s %s\n  observed: %s > %s %s at %.3f ms",
				     hostname(r, st->packet.from), hostname(r, st->packet.to), st->packet.flags,
				     hostname(r, p->from), hostname(r, p->to), p->flags, p->t_ms);
	}
	return 0;
}

/* ---- hosts ---- */

static bool peer_dead(struct run *r, const void *arg)
{
	return r->dead[*(const int *)arg];
}

static int step_exit(struct run *r, const struct step *st)
{
	char exp[64], obs[64];

	if (st->exit.by_signal)
		snprintf(exp, sizeof exp, "killed by %s", signal_name(st->exit.sig));
	else
		snprintf(exp, sizeof exp, "exit status %d", st->exit.status);
	if (await(r, peer_dead, &st->host, bound(r, st), 0) < 0)
		return failf(r, "%s did not end within %d ms\n  expected: %s\n  observed: still running",
			     hostname(r, st->host), bound(r, st), exp);
	int s = r->status[st->host];
	if (WIFSIGNALED(s))
		snprintf(obs, sizeof obs, "killed by %s", signal_name(WTERMSIG(s)));
	else
		snprintf(obs, sizeof obs, "exit status %d", WEXITSTATUS(s));
	if (strcmp(exp, obs) != 0)
		return failf(r, "%s ended otherwise\n  expected: %s\n  observed: %s", hostname(r, st->host), exp, obs);
	r->event_ms = r->death_ms[st->host];
	return 0;
}

static int spawn_peer(struct run *r, int host)
{
	int e = peer_spawn(r->o->peer_path, netns_fd(r->sb, host), hostname(r, host), &r->peer[host]);
	if (e < 0)
		return errorf(r, "starting %s in the %s namespace: %s", r->o->peer_path, hostname(r, host), strerror(-e));
	r->dead[host] = false;
	return 0;
}

static int step_reboot(struct run *r, const struct step *st)
{
	int h = st->host, e;

	/* Power loss: the host falls silent first, so its dying process sends nothing. */
	if ((e = netns_blackhole(r->sb, h, true)) < 0)
		return errorf(r, "reboot %s: %s", hostname(r, h), netns_last_error(r->sb));
	if (!r->dead[h]) {
		peer_signal(r->peer[h], SIGKILL);
		if (await(r, peer_dead, &h, 5000, 0) < 0)
			return errorf(r, "reboot %s: its peer did not die of SIGKILL within 5 s", hostname(r, h));
	}
	if (programs_host_down(r, h) < 0)
		return -1;
	peer_free(r->peer[h]);
	r->peer[h] = NULL;
	for (unsigned i = r->nsocks; i-- > 0;)
		if (r->socks[i].host == h)
			r->socks[i] = r->socks[--r->nsocks];
	for (unsigned i = 0; i < r->ncmds; i++)
		if (r->cmds[i].host == h)
			r->cmds[i].awaited = true;
	if ((e = netns_host_reboot(r->sb, h)) < 0)
		return errorf(r, "reboot %s: %s", hostname(r, h), netns_last_error(r->sb));
	event(r, h, "reboot: namespace destroyed and created anew, same addresses");
	return spawn_peer(r, h);
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
			result_add_state(r->res, rel_ms(r), hostname(r, w->st->host), netns_state_name(k->state),
					 k->sport, k->dport, k->rqueue, k->wqueue);
			return true;
		}
	}
	if (!w->seen[0])
		snprintf(w->seen, sizeof w->seen, "no TCP socket");
	return false;
}

static int step_state(struct run *r, const struct step *st)
{
	struct state_want w = { .st = st };

	/* Socket states raise no event: sock_diag is read again every few milliseconds. */
	if (await(r, state_reached, &w, bound(r, st), STATE_POLL_MS) == 0)
		return w.err < 0 ? sockets_error(r, st->host, w.err) : 0;
	return failf(r, "fewer than %u sockets of %s in state %s within %d ms\n  expected: %u x %s\n  observed: %s",
		     st->state.count, hostname(r, st->host), netns_state_name((uint8_t)st->state.state), bound(r, st),
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
static int step_no_state(struct run *r, const struct step *st)
{
	struct no_state_want w = { .st = st };
	bool gone = st->state.waits ? await(r, state_gone, &w, bound(r, st), STATE_POLL_MS) == 0 : state_gone(r, &w);

	if (w.err < 0)
		return sockets_error(r, st->host, w.err);
	if (gone)
		return 0;
	return failf(r, "a socket that must not be there%s\n  expected: no %s socket of %s\n  observed: %s :%u-:%u",
		     st->state.waits ? " (still there at the bound)" : "", netns_state_name((uint8_t)st->state.state),
		     hostname(r, st->host), netns_state_name(w.seen.state), w.seen.sport, w.seen.dport);
}

struct counter_want {
	const struct step *st;
	long long value;
	int err;
};

static bool counter_reached(struct run *r, const void *arg)
{
	struct counter_want *w = (struct counter_want *)arg;

	w->err = netns_counter(r->sb, ns_host(w->st->host), w->st->counter.key, &w->value);
	return w->err < 0 || counter_matches(w->st->counter.cmp, w->value, w->st->counter.number);
}

static int step_counter(struct run *r, const struct step *st)
{
	struct counter_want w = { .st = st };

	/* Counters raise no event either: an awaited one is read again every few milliseconds. */
	if (st->counter.waits)
		await(r, counter_reached, &w, bound(r, st), STATE_POLL_MS);
	else
		counter_reached(r, &w);
	long long v = w.value;
	int e = w.err;
	if (e < 0)
		return errorf(r, "counter %s of %s: %s", st->counter.key, hostname(r, st->host), strerror(-e));
	result_add_counter(r->res, hostname(r, st->host), st->counter.key, v);
	if (!counter_matches(st->counter.cmp, v, st->counter.number))
		return failf(r, "counter %s of %s\n  expected: %s %lld\n  observed: %lld",
			     st->counter.key, hostname(r, st->host), st->counter.cmp, st->counter.number, v);
	return 0;
}

/* A blackhole by nftables inside the host (ingress and output), or by netem on both ends of
 * its link where the kernel has netem. A missing netem is a missing capability, not a fail. */
static int step_blackhole(struct run *r, const struct step *st)
{
	bool on = st->kind == STEP_BLACKHOLE, netem = st->blackhole.netem;
	char buf[160];
	int e;

	if (netem)
		e = netns_netem_blackhole(r->sb, st->host, on);
	else
		e = netns_blackhole(r->sb, st->host, on);
	if (e == -EOPNOTSUPP && netem) {
		result_missing(r->res, netns_last_error(r->sb));
		return errorf(r, "blackhole %s netem: %s", hostname(r, st->host), netns_last_error(r->sb));
	}
	if (e < 0)
		return errorf(r, "%s: %s", on ? "blackhole" : "unblackhole", netns_last_error(r->sb));
	snprintf(buf, sizeof buf, on ? "blackhole: every packet in or out of this host dropped (%s)" :
		 "blackhole (%s) lifted", netem ? "netem loss 100% on both ends of its link" : "nftables");
	event(r, st->host, buf);
	return 0;
}

static int step_kind(struct run *r, const struct step *st)
{
	char buf[300];
	int e;

	switch (st->kind) {
	case STEP_OP:
		return step_op(r, st);
	case STEP_AWAIT_OP:
		return step_await_op(r, st);
	case STEP_PACKET:
		return step_packet(r, st);
	case STEP_NO_PACKET:
		return step_no_packet(r, st);
	case STEP_STATE:
		return step_state(r, st);
	case STEP_NO_STATE:
		return step_no_state(r, st);
	case STEP_EXIT:
		if (st->sock[0])
			return program_step(r, st);
		return step_exit(r, st);
	case STEP_EXEC:
	case STEP_LISTEN:
	case STEP_OUTPUT:
	case STEP_CALL:
		return program_step(r, st);
	case STEP_COUNTER:
		return step_counter(r, st);
	case STEP_REBOOT:
		return step_reboot(r, st);
	case STEP_KILL:
		if (st->sock[0])
			return program_step(r, st);
		if (r->dead[st->host])
			return failf(r, "kill %s: its peer is not running", hostname(r, st->host));
		snprintf(buf, sizeof buf, "kill %s", signal_name(st->kill.sig));
		event(r, st->host, buf);
		if ((e = peer_signal(r->peer[st->host], st->kill.sig)) < 0)
			return errorf(r, "kill %s: %s", hostname(r, st->host), strerror(-e));
		r->doomed[st->host] = true;
		return 0;
	case STEP_BLACKHOLE:
	case STEP_UNBLACKHOLE:
		return step_blackhole(r, st);
	case STEP_UNREACHABLE:
	case STEP_REACHABLE:
		e = netns_unreachable(r->sb, st->host, st->kind == STEP_REACHABLE ? NETNS_REACHABLE :
				      st->unreachable.net ? NETNS_UNREACH_NET : NETNS_UNREACH_HOST);
		if (e < 0)
			return errorf(r, "%s: %s", st->kind == STEP_REACHABLE ? "reachable" : "unreachable",
				      netns_last_error(r->sb));
		snprintf(buf, sizeof buf, st->kind == STEP_REACHABLE ? "the router forwards to %s again" :
			 "the router answers what goes to %s with ICMP %s unreachable", hostname(r, st->host), st->unreachable.net ? "net" : "host");
		event(r, HOST_ROUTER, buf);
		return 0;
	case STEP_NFT:
		if ((e = netns_nft(r->sb, ns_host(st->host), st->nft.text)) < 0)
			return errorf(r, "nft %s: %s", st->nft.text, netns_last_error(r->sb));
		snprintf(buf, sizeof buf, "nft %.280s", st->nft.text);
		event(r, st->host, buf);
		return 0;
	case STEP_SYSCTL:
		if ((e = netns_sysctl_set(r->sb, ns_host(st->host), st->sysctl.key, st->sysctl.value)) < 0)
			return errorf(r, "sysctl %s=%s in %s: %s", st->sysctl.key, st->sysctl.value, hostname(r, st->host),
				      netns_last_error(r->sb));
		return 0;
	case STEP_HOLD:
	case STEP_RELEASE:
		/* Noted first: what a release sends leaves while netns_hold() runs, and the ladder
		 * shows it after the release, not before. */
		event(r, st->host, st->kind == STEP_HOLD ? "hold: what it sends waits" :
		      "release: what waited leaves, in order");
		if ((e = netns_hold(r->sb, st->host, st->kind == STEP_HOLD)) < 0)
			return errorf(r, "%s %s: %s", st->kind == STEP_HOLD ? "hold" : "release",
				      hostname(r, st->host), netns_last_error(r->sb));
		return 0;
	case STEP_QUICKACK:
		if ((e = netns_quickack(r->sb, st->host, st->quickack.on)) < 0)
			return errorf(r, "quickack %s %s: %s", hostname(r, st->host), st->quickack.on ? "on" : "off",
				      netns_last_error(r->sb));
		event(r, st->host, st->quickack.on ? "quickack on: its routes say ACK every segment at once" :
		      "quickack off: delayed ACKs again");
		return 0;
	}
	return errorf(r, "unknown step");
}

static int run_step(struct run *r, const struct step *st)
{
	r->step = st;
	r->step_start_us = clock_us();
	r->event_ms = r->cond_ms = -1;
	int e = step_kind(r, st);
	/* An op's result and a packet check their own floors; any other awaited observation (a
	 * state, a counter, an exit, a program's output or call) counts from floor_anchor(). Only
	 * awaits take 'after' (scenario.c). */
	if (e == 0 && st->after_ms && st->kind != STEP_OP && st->kind != STEP_AWAIT_OP && st->kind != STEP_PACKET)
		e = too_soon(r, st, floor_anchor(r), r->event_ms >= 0 ? r->event_ms : r->cond_ms >= 0 ? r->cond_ms : rel_ms(r));
	return e;
}

static struct result *new_result(const struct scenario *s, const struct run_options *o)
{
	struct result *res;

	if (result_new(s->name, s->mode, o->family == AF_INET6 ? "inet6" : "inet", s->path, s->summary, &res) < 0)
		return NULL;
	if (result_describe(res, s->claim, s->linux_says, s->timers) < 0) {
		result_free(res);
		return NULL;
	}
	return res;
}

struct result *runner_run(const struct scenario *s, const struct run_options *o)
{
	struct run *r = calloc(1, sizeof *r);
	struct result *res = new_result(s, o);
	char err[512], path[4096];
	int e;

	if (!r || !res) {
		free(r);
		result_free(res);
		return NULL;
	}
	r->s = s;
	r->o = o;
	r->res = res;
	r->origin_us = clock_us();
	r->loop.deadline_us = r->origin_us + (int64_t)(o->timeout_ms ? o->timeout_ms : s->timeout_ms) * 1000;

	if ((e = netns_sandbox_new_topology(s->nhosts, s->router ? NETNS_ROUTER : NETNS_BRIDGE, &r->sb)) < 0) {
		errorf(r, "creating the sandbox: %s", netns_new_error());
		goto out;
	}
	/* The capture sees every host's link from the wire side and outlives a reboot of any. */
	if (o->pcap_dir) {
		char run[24] = "";
		if (o->runs > 1)
			snprintf(run, sizeof run, "-run%u", o->run);
		snprintf(path, sizeof path, "%s/%s-%s%s.pcap", o->pcap_dir, s->name,
			 o->family == AF_INET6 ? "inet6" : "inet", run);
	}
	e = capture_open_wire(r->sb, o->pcap_dir ? path : NULL, &r->cap, err, sizeof err);
	if (e < 0) {
		errorf(r, "%s", err);
		goto out;
	}
	if (!netns_netem_available())
		note(r, "netem: this kernel has no netem qdisc; faults on the wire use nftables");
	if ((e = programs_new(res, r->origin_us, o->peer_path, &r->progs)) < 0) {
		errorf(r, "%s", strerror(-e));
		goto out;
	}
	static const struct { unsigned (*fds)(void *, struct pollfd *, unsigned);
			      void (*take)(void *, const struct pollfd *, unsigned); } sources[] = {
		{ capture_fds, capture_take }, { programs_fds, programs_take_all }, { peers_fds, peers_take },
	};
	for (size_t i = 0; i < sizeof sources / sizeof sources[0]; i++)
		loop_add(&r->loop, &(struct loop_source){ sources[i].fds, sources[i].take, r });
	for (unsigned h = 0; h < s->nhosts; h++)
		if (spawn_peer(r, (int)h) < 0)
			goto out;
	for (size_t i = 0; i < s->nsteps && !r->failed && !r->errored; i++)
		run_step(r, &s->steps[i]);
	r->step = NULL;
	r->steps_done = true;
	pump(r, 0);
	/* An operation started with '&' whose result no step awaited would pass unchecked. Not
	 * one that never returned because its process died (a write that SIGPIPE killed: 'await
	 * exit' checks that); a death a last 'kill' or 'crash' causes is awaited first. */
	for (unsigned i = 0; i < r->ncmds && !r->failed && !r->errored; i++) {
		const struct cmd *c = &r->cmds[i];
		char who[64];
		snprintf(who, sizeof who, "%s%s%s", hostname(r, c->host), strcmp(c->sock, "main") ? "." : "",
			 strcmp(c->sock, "main") ? c->sock : "");
		if (c->awaited || strcmp(c->op, "crash") == 0)
			continue;
		if (!c->done && r->doomed[c->host] && !r->dead[c->host])
			await(r, peer_dead, &c->host, r->s->await_ms, 0);
		if (c->done || !r->dead[c->host])
			errorf(r, "'%s %s' (line %u) was started with '&' and never awaited: its result is "
			       "unchecked; add 'await %s %s ...'", who, c->op, c->line, who, c->op);
	}
out:
	/* The capture closes before the peers die: what their teardown sends is not the run's. */
	if (r->cap) {
		unsigned recv, drop;
		capture_poll(r->cap, r->origin_us);
		record_packets(r);
		capture_stats(r->cap, &recv, &drop);
		switch (capture_judge_loss(recv, drop, capture_lost(r->cap), r->pkts_checked, err, sizeof err)) {
		case CAPTURE_LOSS_ERROR:
			r->step = NULL;
			r->steps_done = true;
			errorf(r, "%s", err);
			break;
		case CAPTURE_LOSS_NOTE:
			note(r, err);
			break;
		case CAPTURE_COMPLETE:
			break;
		}
		capture_free(r->cap);
	}
	for (unsigned h = 0; h < s->nhosts; h++)
		peer_free(r->peer[h]);
	free(r->sockbuf);
	programs_free(r->progs);
	netns_sandbox_free(r->sb);
	result_finish(res, r->errored ? RESULT_ERROR : r->failed ? RESULT_FAIL : RESULT_PASS, rel_ms(r), floor_union(r->floors, r->nfloors));
	free(r);
	return res;
}

/* ---- what program.c needs of a run (harness.h) ---- */

const struct scenario *run_scenario(const struct run *r) { return r->s; }
struct programs *run_programs(struct run *r) { return r->progs; }
struct netns_sandbox *run_sandbox(struct run *r) { return r->sb; }
int run_family(const struct run *r) { return r->o->family; }
int run_bound(const struct run *r, const struct step *st) { return bound(r, st); }
void run_event(struct run *r, int host, const char *what) { event(r, host, what); }
void run_event_at(struct run *r, int64_t mono_us) { r->event_ms = ms_since(r, mono_us); }

int run_await(struct run *r, bool (*cond)(struct run *, const void *), const void *arg, int bound_ms, int poll_ms)
{
	return await(r, cond, arg, bound_ms, poll_ms);
}

int run_fail(struct run *r, bool error, const char *msg)
{
	return error ? errorf(r, "%s", msg) : failf(r, "%s", msg);
}
