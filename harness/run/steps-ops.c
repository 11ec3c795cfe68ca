/* SPDX-License-Identifier: MIT */
/*
 * The built-in peers: each host's tcpfault-peer, an actor (internal.h), and the socket
 * operations the steps send it ("client connect server 5000", "await client read = 0"). A
 * command goes out, the peer reports each syscall's result and the command's end; a step
 * awaits that end with a bound and checks the last result. A peer that answers neither a
 * command nor a liveness probe is killed and the run ends in error. Runs in the run's worker
 * process, from runner.c's step table and event loop.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>

#include "internal.h"
#include "netns.h"
#include "peer.h"

#define PROBE_MS 1000
#define PEER_START_MS 5000

static struct cmd *cmd_by_id(struct run *r, int host, int id)
{
	for (unsigned i = r->ncmds; i-- > 0;)
		if (run_cmd(r, i)->host == host && run_cmd(r, i)->id == id)
			return run_cmd(r, i);
	return NULL;
}

/* A syscall the peer reported, kept as its actor's call (for 'expect no HOST CALL'). */
static void keep_call(struct peer_actor *pa, const struct peer_report *rep)
{
	if (pa->ncalls == pa->cap) {
		size_t cap = pa->cap ? 2 * pa->cap : 64;
		struct actor_call *grown = cap <= 1000000 ? realloc(pa->calls, cap * sizeof *grown) : NULL;
		if (!grown)
			return;   /* the result still has it; only 'expect no' would miss it */
		pa->calls = grown;
		pa->cap = cap;
	}
	struct actor_call *c = &pa->calls[pa->ncalls++];
	*c = (struct actor_call){ .fd = -1, .err = rep->err, .ret = rep->ret, .t_us = (int64_t)rep->t_us };
	snprintf(c->call, sizeof c->call, "%s", rep->call);
	snprintf(c->socket, sizeof c->socket, "%s", rep->sock);
}

static void handle_report(struct run *r, int host, const struct peer_report *rep)
{
	struct cmd *c = cmd_by_id(r, host, rep->id);

	if (rep->kind == 'R') {
		keep_call(&r->peers[host], rep);
		/* An errno the JSON cannot name is recorded as none, as it always was. */
		result_add_syscall(r->res, run_hostname(r, host), rep->sock, rep->call, rep->ret,
				   peer_errno_name(rep->err) ? rep->err : 0,
				   run_ms(r, (int64_t)rep->t_us), 0);
		if (c && *c->args)
			(void) result_syscall_args(r->res, c->args);
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
	struct peer_actor *pa = &r->peers[host];
	bool dead = false;
	int status = 0;

	if (pa->dead || !pa->p || peer_reap(pa->p, &dead, &status) < 0 || !dead)
		return;
	/* What the peer reported before it died is still in the socket: take it all in first. */
	struct peer_report rep;
	for (int k = 0; k < 100000 && peer_recv(pa->p, &rep) == 1; k++)
		handle_report(r, host, &rep);
	pa->dead = true;
	pa->status = status;
	pa->death_us = clock_us();
	/* Killed by the signal a 'kill' sent (the peer catches none that kill): it died then, before
	 * anything its death sent. Else only the reap's time is known, some ms after the death. */
	bool sent = WIFSIGNALED(status) && WTERMSIG(status) == pa->a.sent_sig;
	result_add_exit(r->res, run_hostname(r, host), run_ms(r, sent ? pa->a.sent_us : pa->death_us),
			WIFSIGNALED(status) ? signal_name(WTERMSIG(status)) : NULL, WEXITSTATUS(status), sent);
}

/* ---- the peer actor ---- */

static int peer_actor_signal(struct actor *a, int sig)
{
	((struct peer_actor *)a)->signalled = true;
	return peer_signal(((struct peer_actor *)a)->p, sig);
}

/* Its death is seen through its pidfd (the event loop reaps it); nothing to take in here. */
static bool peer_actor_ended(struct actor *a, int *ret_status, int64_t *ret_when_us)
{
	struct peer_actor *pa = (struct peer_actor *)a;

	*ret_status = pa->status;
	*ret_when_us = pa->death_us;
	return pa->dead;
}

static void peer_actor_last_words(const struct actor *a, char *buf, size_t len)
{
	buf[0] = 0;
}

static const struct actor_call *peer_actor_calls(struct actor *a, size_t *ret_n)
{
	struct peer_actor *pa = (struct peer_actor *)a;

	*ret_n = pa->ncalls;
	return pa->calls;
}

/* The peer reports every syscall it makes. */
static const char *peer_actor_unobserved(struct actor *a)
{
	return NULL;
}

static unsigned long peer_actor_dropped(struct actor *a)
{
	return 0;
}

static int peer_actor_pidfd(const struct actor *a)
{
	const struct peer_actor *pa = (const struct peer_actor *)a;

	return pa->p && !pa->dead ? peer_pidfd(pa->p) : -1;
}

static const struct actor_ops peer_actor_ops = {
	.signal = peer_actor_signal, .ended = peer_actor_ended, .last_words = peer_actor_last_words,
	.calls = peer_actor_calls, .unobserved = peer_actor_unobserved, .dropped = peer_actor_dropped,
	.pidfd = peer_actor_pidfd,
};

int peers_start(struct run *r, int host, struct peer *kept)
{
	struct peer_actor *pa = &r->peers[host];
	int e;

	/* A host's peer after a reboot is a new process, but its calls are the host's history. */
	*pa = (struct peer_actor){ .a = { .ops = &peer_actor_ops, .host = host, .call_cursor = pa->a.call_cursor },
				   .calls = pa->calls, .ncalls = pa->ncalls, .cap = pa->cap, .p = kept };
	snprintf(pa->a.full, sizeof pa->a.full, "%s", run_hostname(r, host));
	if (!kept && (e = peer_spawn(r->o->peer_path, netns_fd(r->sb, host), run_hostname(r, host), &pa->p)) < 0) {
		pa->dead = true;
		return run_errorf(r, "starting %s in the %s namespace: %s", r->o->peer_path, run_hostname(r, host),
				  strerror(-e));
	}
	return 0;
}

/* A new peer's start-up (its exec, the loader, main's set-up) is the harness's own time, not a
 * step's: under emulation on a loaded machine a new peer ran its first command over 5 s after
 * it was sent, and the step's bound ran out (kernel matrix, a TCG guest at host load 6). So
 * before any step each new peer (hosts in mask) is sent 'hello' (an op it does not know: E,
 * then D, from its main loop; not 'probe', which the unit tests' fake peers script), and its
 * answer awaited up to PEER_START_MS. One that has not answered by then is left to the first
 * step's bound and probe, which kill a peer that answers nothing and name the step. */
static struct cmd *send_cmd(struct run *r, int host, const char *sock, const char *op, const char *line);
static bool cmd_finished(struct run *r, const void *arg);

int peers_await_start(struct run *r, unsigned mask)
{
	struct cmd *hello[SCENARIO_MAX_HOSTS] = { 0 };

	for (unsigned h = 0; h < r->s->nhosts && h < SCENARIO_MAX_HOSTS; h++)
		if ((mask & 1u << h) && r->peers[h].p && !r->peers[h].dead) {
			if (!(hello[h] = send_cmd(r, (int)h, "-", "hello", "hello")))
				return -1;
			hello[h]->awaited = true;
		}
	int64_t until = clock_us() + PEER_START_MS * 1000LL;
	for (unsigned h = 0; h < SCENARIO_MAX_HOSTS; h++) {
		int64_t left = (until - clock_us()) / 1000;
		if (hello[h] && left > 0)
			(void) run_await(r, cmd_finished, hello[h], (int)left, 0);
		if (r->errored)
			return -1;
	}
	return 0;
}

/* The peer is gone (a reboot): so are its sockets and whatever its commands would return. */
void peers_free(struct run *r, int host)
{
	peer_free(r->peers[host].p);
	r->peers[host].p = NULL;
	r->peers[host].dead = true;
	for (unsigned i = r->nsocks; i-- > 0;)
		if (r->socks[i].host == host)
			r->socks[i] = r->socks[--r->nsocks];
	for (unsigned i = 0; i < r->ncmds; i++)
		if (run_cmd(r, i)->host == host)
			run_cmd(r, i)->awaited = true;
}

/* Each live peer: its control socket, then its pidfd. */
unsigned peers_fds(void *ctx, struct pollfd *fds, unsigned max)
{
	struct run *r = ctx;
	unsigned n = 0;

	for (unsigned h = 0; h < r->s->nhosts && n + 2 <= max; h++) {
		if (!r->peers[h].p || r->peers[h].dead)
			continue;
		fds[n++] = (struct pollfd){ .fd = peer_control_fd(r->peers[h].p), .events = POLLIN };
		fds[n++] = (struct pollfd){ .fd = peer_pidfd(r->peers[h].p), .events = POLLIN };
	}
	return n;
}

void peers_take(void *ctx, const struct pollfd *fds, unsigned n)
{
	struct run *r = ctx;
	unsigned i = 0;

	/* The same hosts, in the same order, as peers_fds() stored them. */
	for (unsigned h = 0; h < r->s->nhosts && i + 2 <= n; h++) {
		if (!r->peers[h].p || r->peers[h].dead)
			continue;
		struct peer_report rep;
		if (fds[i].revents || fds[i + 1].revents)
			for (int k = 0; k < 1024 && peer_recv(r->peers[h].p, &rep) == 1; k++)
				handle_report(r, (int)h, &rep);
		if (fds[i + 1].revents)
			reap(r, (int)h);
		i += 2;
	}
}

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
	if (exists && r->nsocks < RUN_MAX_SOCKS) {
		r->socks[r->nsocks].host = host;
		snprintf(r->socks[r->nsocks++].name, sizeof r->socks[0].name, "%s", name);
	}
}

static struct cmd *send_cmd(struct run *r, int host, const char *sock, const char *op, const char *line)
{
	if (r->ncmds == RUN_MAX_CMDS) {
		run_errorf(r, "more than %d commands in one run", RUN_MAX_CMDS);
		return NULL;
	}
	if (r->peers[host].dead) {
		run_failf(r, "%s %s: the %s peer is no longer running", run_hostname(r, host), op, run_hostname(r, host));
		return NULL;
	}
	/* Taken before the send: the peer may run the call (a connect's SYN on the wire) before
	 * peer_send() returns to us, and a floor counts from the call's start at the latest. */
	int64_t sent_us = clock_us();
	int id = peer_send(r->peers[host].p, sock, line);
	if (id < 0) {
		run_errorf(r, "sending '%s' to the %s peer: %s", line, run_hostname(r, host), strerror(-id));
		return NULL;
	}
	struct cmd **chunk = &r->cmd_chunks[r->ncmds / RUN_CMD_CHUNK];
	if (!*chunk && !(*chunk = malloc(RUN_CMD_CHUNK * sizeof **chunk))) {
		run_errorf(r, "%s %s: %s", run_hostname(r, host), op, strerror(ENOMEM));
		return NULL;
	}
	struct cmd *c = run_cmd(r, r->ncmds++);
	*c = (struct cmd){ .host = host, .id = id, .sent_us = sent_us,
			   .line = r->step ? r->step->line : 0 };
	snprintf(c->sock, sizeof c->sock, "%s", sock);
	snprintf(c->op, sizeof c->op, "%s", op);
	/* The ladder says which option, which half, which signal (the call's name alone does not). */
	const char *rest = line + strcspn(line, " ");
	if (!strcmp(op, "setsockopt") || !strcmp(op, "shutdown") || !strcmp(op, "sigpipe"))
		snprintf(c->args, sizeof c->args, "%s", rest + strspn(rest, " "));
	else if (!strcmp(op, "interrupt"))
		snprintf(c->args, sizeof c->args, "SIGUSR1 (interrupt)");
	return c;
}

static bool cmd_finished(struct run *r, const void *arg)
{
	const struct cmd *c = arg;
	return c->done || r->peers[c->host].dead;
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

/* Whether host's peer still answers: an op it does not know comes back at once (E, then D) from
 * its main loop, even while a socket's worker is blocked in a call. One that does not answer
 * within PROBE_MS hangs or ignores its commands, and is killed. */
static bool peer_answers(struct run *r, int host)
{
	struct cmd *probe = send_cmd(r, host, "-", "probe", "probe");

	if (!probe)
		return true;   /* the peer died meanwhile, or the send broke: send_cmd said which */
	probe->awaited = true;
	if (run_await(r, cmd_finished, probe, PROBE_MS, 0) == 0 && probe->done)
		return true;
	peer_signal(r->peers[host].p, SIGKILL);
	return false;
}

/* Awaits the command's end and checks its last syscall against want (or, without want,
 * that it succeeded). */
static int finish_cmd(struct run *r, struct cmd *c, const struct step *st, const struct expect_ret *want)
{
	char exp[160], obs[64];
	const char *who = run_hostname(r, c->host);

	if (run_await(r, cmd_finished, c, run_bound(r, st), 0) < 0 && !r->errored && !peer_answers(r, c->host))
		return run_errorf(r, "%s %s: the %s peer answered neither the command nor a probe (it hangs or "
			      "ignores its commands); it was killed", who, c->op, who);
	if (!cmd_finished(r, c))
		return run_failf(r, "%s %s did not return within %d ms\n  expected: %s\n  observed: still blocked",
			     who, c->op, run_bound(r, st), want && want->set ? (expect_describe(want, exp, sizeof exp), exp) : "a result");
	c->awaited = true;
	if (!c->done) {
		int s = r->peers[c->host].status;
		return run_failf(r, "%s %s never returned: the %s peer died (%s)", who, c->op, who,
			     WIFSIGNALED(s) ? signal_name(WTERMSIG(s)) : "exited");
	}
	if (c->error[0])
		return run_errorf(r, "%s %s: the peer refused the command: %s", who, c->op, c->error);
	if (c->has_result && expect_matches(want, c->ret, c->err)) {
		run_alternative(r, who, c->op, want, c->ret, c->err);
		return run_too_soon(r, st, run_ms(r, c->sent_us), run_ms(r, c->t_us), 0);
	}
	describe(obs, sizeof obs, c->has_result, c->ret, c->err);
	expect_describe(want, exp, sizeof exp);
	return run_failf(r, "%s %s\n  expected: %s\n  observed: %s", who, c->op, exp, obs);
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
	if (first_failure && st->want.set && st->want.alt[0].ret < 0 && run_await(r, cmd_finished, c, run_bound(r, st), 0) == 0 &&
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

int step_op(struct run *r, const struct step *st)
{
	char line[PEER_MSG_MAX], addr[64];
	const char *op = st->op.name;

	if (strcmp(op, "socket") == 0) {
		if (sock_known(r, st->host, st->sock))
			return run_errorf(r, "socket '%s' of %s exists already", st->sock, run_hostname(r, st->host));
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
	if (strcmp(op, "crash") == 0) {
		run_event(r, st->host, "crash (invalid memory access)");
		r->peers[st->host].a.doomed = true;
		run_fault_mark(r, run_now_ms(r));   /* before it dies: what its death sends counts */
	}
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

int step_await_op(struct run *r, const struct step *st)
{
	for (unsigned i = 0; i < r->ncmds; i++) {
		struct cmd *c = run_cmd(r, i);
		if (c->host == st->host && !c->awaited && strcmp(c->op, st->op.name) == 0 &&
		    strcmp(c->sock, st->sock) == 0)
			return finish_cmd(r, c, st, &st->want);
	}
	return run_errorf(r, "nothing to await: no '%s.%s %s ... &' is pending", run_hostname(r, st->host), st->sock, st->op.name);
}


static bool peer_gone(struct run *r, const void *arg)
{
	return r->peers[*(const int *)arg].dead;
}

/* An operation started with '&' whose result no step awaited would pass unchecked. Not one
 * that never returned because its process died (a write that SIGPIPE killed: 'await exit'
 * checks that); a death a last 'kill' or 'crash' causes is awaited first. */
void peers_check_awaited(struct run *r)
{
	for (unsigned i = 0; i < r->ncmds && !r->failed && !r->errored; i++) {
		const struct cmd *c = run_cmd(r, i);
		const struct peer_actor *pa = &r->peers[c->host];
		bool named = strcmp(c->sock, "main") != 0;
		char who[64];
		snprintf(who, sizeof who, "%s%s%s", run_hostname(r, c->host), named ? "." : "", named ? c->sock : "");
		if (c->awaited || strcmp(c->op, "crash") == 0)
			continue;
		if (!c->done && pa->a.doomed && !pa->dead)
			run_await(r, peer_gone, &c->host, r->s->await_ms, 0);
		if (c->done || !pa->dead)
			run_errorf(r, "'%s %s' (line %u) was started with '&' and never awaited: its result is "
				   "unchecked; add 'await %s %s ...'", who, c->op, c->line, who, c->op);
	}
}
