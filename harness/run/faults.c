/* SPDX-License-Identifier: MIT */
/*
 * The faults a scenario injects, and the ends of processes.
 *
 * Faults are one table (faults[] below): each names its statements (the one that applies it and,
 * where it has one, the one that undoes it), the netns/ primitive that does both, and the event
 * the ladder shows. A new fault is a primitive in netns/, an entry here and its statement in
 * lang/statements.c. A reboot is a fault of its own kind (the host's actors die with it).
 *
 * 'kill HOST[.NAME] SIGNAL' and 'await exit HOST[.NAME] ...' act on an actor: the host's
 * built-in peer or one of its programs alike. Runs in the run's worker process, from runner.c's
 * step table.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include "internal.h"
#include "netns.h"

struct fault {
	enum step_kind kind, undo_kind;   /* its statements (lang/'s table names them); undo_kind == kind: none */
	/* Applies (on) or undoes (off) it with a netns/ primitive; -errno (netns_last_error()). */
	int (*set)(struct run *r, const struct step *st, bool on);
	/* Its event in the ladder (NULL: none); noted before it is set if first (what a release
	 * sends leaves while it is being set, and shows after it). */
	void (*narrate)(const struct run *r, const struct step *st, bool on, char *buf, size_t len);
	/* What its statement says after the host, for a message ("add table inet t"); NULL: nothing. */
	void (*args)(const struct step *st, char *buf, size_t len);
	/* first: the fault counts from the step's start, not its end (its event told first): it may
	 * take effect while the step still runs, and packets are timed when sent (capture.c).
	 * started: counts from the start too, but its event is told at the end, when it is in place
	 * (a blackhole drops while nft returns; the sweep's clock starts at the event). */
	bool first, started, router;      /* router: the event is the router's */
	const char *path;                 /* between FROM and TO: what separates them (" ", " > ") */
	int missing;                      /* the errno by which the kernel says it lacks what it needs */
};

/* By nftables inside the host (ingress and output), or by netem on both ends of its link. */
static int set_blackhole(struct run *r, const struct step *st, bool on)
{
	return st->blackhole.netem ? netns_netem_blackhole(r->sb, st->host, on) : netns_blackhole(r->sb, st->host, on);
}

static void say_blackhole(const struct run *r, const struct step *st, bool on, char *buf, size_t len)
{
	snprintf(buf, len, on ? "blackhole: every packet in or out of this host dropped (%s)" : "blackhole (%s) lifted",
		 st->blackhole.netem ? "netem loss 100% on both ends of its link" : "nftables");
}

static int set_unreachable(struct run *r, const struct step *st, bool on)
{
	return netns_unreachable(r->sb, st->host, !on ? NETNS_REACHABLE : st->unreachable.net ? NETNS_UNREACH_NET :
				 NETNS_UNREACH_HOST);
}

static void say_unreachable(const struct run *r, const struct step *st, bool on, char *buf, size_t len)
{
	if (on)
		snprintf(buf, len, "the router answers what goes to %s with ICMP %s unreachable", run_hostname(r, st->host),
			 st->unreachable.net ? "net" : "host");
	else
		snprintf(buf, len, "the router forwards to %s again", run_hostname(r, st->host));
}

static int set_hold(struct run *r, const struct step *st, bool on)
{
	return netns_hold(r->sb, st->host, on);
}

static void say_hold(const struct run *r, const struct step *st, bool on, char *buf, size_t len)
{
	snprintf(buf, len, "%s", on ? "hold: what it sends waits" : "release: what waited leaves, in order");
}

static int set_quickack(struct run *r, const struct step *st, bool on)
{
	return netns_quickack(r->sb, st->host, st->quickack.on);
}

static void say_quickack(const struct run *r, const struct step *st, bool on, char *buf, size_t len)
{
	snprintf(buf, len, "%s", st->quickack.on ? "quickack on: its routes say ACK every segment at once" :
		 "quickack off: delayed ACKs again");
}

static int set_rto_min(struct run *r, const struct step *st, bool on)
{
	return netns_rto_min(r->sb, st->host, (unsigned)st->rto_min.ms);
}

static void say_rto_min(const struct run *r, const struct step *st, bool on, char *buf, size_t len)
{
	if (st->rto_min.ms)
		snprintf(buf, len, "rto-min %d ms: its routes' minimum retransmission timeout", st->rto_min.ms);
	else
		snprintf(buf, len, "rto-min off: the kernel's own minimum retransmission timeout");
}

static int set_nft(struct run *r, const struct step *st, bool on)
{
	return netns_nft(r->sb, run_ns_host(st->host), st->nft.text);
}

static void say_nft(const struct run *r, const struct step *st, bool on, char *buf, size_t len)
{
	snprintf(buf, len, "nft %.280s", st->nft.text);
}

static int set_sysctl(struct run *r, const struct step *st, bool on)
{
	return netns_sysctl_set(r->sb, run_ns_host(st->host), st->sysctl.key, st->sysctl.value);
}

/* ---- the middlebox on the router, and the host settings that go with it ---- */

static int set_idle_timeout(struct run *r, const struct step *st, bool on)
{
	const struct step_middlebox *m = &st->middlebox;

	return netns_idle_timeout(r->sb, (unsigned)m->seconds, m->mode == MIDDLEBOX_DROP ? NETNS_IDLE_DROP :
				  m->mode == MIDDLEBOX_RESET ? NETNS_IDLE_RESET : NETNS_IDLE_OFF);
}

static void say_idle_timeout(const struct run *r, const struct step *st, bool on, char *buf, size_t len)
{
	const struct step_middlebox *m = &st->middlebox;

	if (m->mode == MIDDLEBOX_OFF)
		snprintf(buf, len, "idle-timeout off: the router forwards every packet again");
	else
		snprintf(buf, len, "idle-timeout %d s: the router forgets a connection idle that long and %s",
			 m->seconds, m->mode == MIDDLEBOX_DROP ? "drops its packets" : "answers its packets with RST");
}

static void args_idle_timeout(const struct step *st, char *buf, size_t len)
{
	const struct step_middlebox *m = &st->middlebox;

	if (m->mode == MIDDLEBOX_OFF)
		snprintf(buf, len, "off");
	else
		snprintf(buf, len, "%ds %s", m->seconds, m->mode == MIDDLEBOX_DROP ? "drop" : "reset");
}

static int set_mtu(struct run *r, const struct step *st, bool on)
{
	return netns_link_mtu(r->sb, st->host, st->middlebox.low, st->middlebox.silent);
}

static void say_mtu(const struct run *r, const struct step *st, bool on, char *buf, size_t len)
{
	snprintf(buf, len, "mtu %u on the router's link to %s%s", st->middlebox.low, run_hostname(r, st->host),
		 st->middlebox.silent ? ", its ICMP too-big errors dropped" : "");
}

static void args_mtu(const struct step *st, char *buf, size_t len)
{
	snprintf(buf, len, "%u%s", st->middlebox.low, st->middlebox.silent ? " silent" : "");
}

static int set_port_range(struct run *r, const struct step *st, bool on)
{
	return netns_port_range(r->sb, st->host, st->middlebox.low, st->middlebox.high);
}

static void say_port_range(const struct run *r, const struct step *st, bool on, char *buf, size_t len)
{
	snprintf(buf, len, "port-range %u-%u: its ephemeral ports", st->middlebox.low, st->middlebox.high);
}

static void args_range(const struct step *st, char *buf, size_t len)
{
	if (st->middlebox.low)
		snprintf(buf, len, "%u %u", st->middlebox.low, st->middlebox.high);
	else
		snprintf(buf, len, "off");
}

static int set_snat(struct run *r, const struct step *st, bool on)
{
	return netns_snat(r->sb, st->host, st->middlebox.low, st->middlebox.high);
}

static void say_snat(const struct run *r, const struct step *st, bool on, char *buf, size_t len)
{
	if (st->middlebox.low)
		snprintf(buf, len, "snat: the router rewrites %s's connections to its own address, ports %u-%u",
			 run_hostname(r, st->host), st->middlebox.low, st->middlebox.high);
	else
		snprintf(buf, len, "snat off for %s", run_hostname(r, st->host));
}

static int set_conntrack_max(struct run *r, const struct step *st, bool on)
{
	return netns_conntrack_max(r->sb, st->middlebox.max);
}

static void say_conntrack_max(const struct run *r, const struct step *st, bool on, char *buf, size_t len)
{
	if (st->middlebox.max)
		snprintf(buf, len, "conntrack-max %u: the router tracks no more connections than that", st->middlebox.max);
	else
		snprintf(buf, len, "conntrack-max off");
}

static void args_conntrack_max(const struct step *st, char *buf, size_t len)
{
	if (st->middlebox.max)
		snprintf(buf, len, "%u", st->middlebox.max);
	else
		snprintf(buf, len, "off");
}

static void args_blackhole(const struct step *st, char *buf, size_t len)
{
	snprintf(buf, len, "%s", st->blackhole.netem ? "netem" : "");
}

static void args_unreachable(const struct step *st, char *buf, size_t len)
{
	snprintf(buf, len, "%s", st->kind == STEP_UNREACHABLE ? st->unreachable.net ? "net" : "host" : "");
}

static void args_quickack(const struct step *st, char *buf, size_t len)
{
	snprintf(buf, len, "%s", st->quickack.on ? "on" : "off");
}

static void args_rto_min(const struct step *st, char *buf, size_t len)
{
	if (st->rto_min.ms)
		snprintf(buf, len, "%dms", st->rto_min.ms);
	else
		snprintf(buf, len, "off");
}

static void args_nft(const struct step *st, char *buf, size_t len)
{
	snprintf(buf, len, "%.300s", st->nft.text);
}

static void args_sysctl(const struct step *st, char *buf, size_t len)
{
	snprintf(buf, len, "%s %s", st->sysctl.key, st->sysctl.value);
}

/* partition A B [oneway] / heal A B: lost at the receiver's ingress, both ways unless oneway. */
static int set_partition(struct run *r, const struct step *st, bool on)
{
	int a = st->path.from, b = st->host, e;

	if (!on)
		return (e = netns_heal(r->sb, a, b)) < 0 ? e : netns_heal(r->sb, b, a);
	if ((e = netns_drop(r->sb, a, b, NULL, 0)) < 0 || st->path.oneway)
		return e;
	return netns_drop(r->sb, b, a, NULL, 0);
}

static void say_partition(const struct run *r, const struct step *st, bool on, char *buf, size_t len)
{
	const char *a = run_hostname(r, st->path.from), *b = run_hostname(r, st->host);

	if (!on)
		snprintf(buf, len, "heal: %s and %s reach each other again", a, b);
	else if (st->path.oneway)
		snprintf(buf, len, "partition: what %s sends %s is lost (the other way works)", a, b);
	else
		snprintf(buf, len, "partition: what %s and %s send each other is lost", a, b);
}

static void args_partition(const struct step *st, char *buf, size_t len)
{
	snprintf(buf, len, "%s", st->kind == STEP_PARTITION && st->path.oneway ? "oneway" : "");
}

static int set_drop(struct run *r, const struct step *st, bool on)
{
	return netns_drop(r->sb, st->path.from, st->host, st->path.flags, st->path.first);
}

static void say_drop(const struct run *r, const struct step *st, bool on, char *buf, size_t len)
{
	char n[32] = "every";

	if (st->path.first)
		snprintf(n, sizeof n, st->path.first == 1 ? "the first" : "the first %u", st->path.first);
	snprintf(buf, len, "drop: %s %s %s sends %s lost", n, st->path.flags, run_hostname(r, st->path.from),
		 st->path.first > 1 ? "are" : "is");   /* "every R ... is", "the first 3 R ... are" */
}

static void args_drop(const struct step *st, char *buf, size_t len)
{
	if (st->path.first)
		snprintf(buf, len, "%s first %u", st->path.flags, st->path.first);
	else
		snprintf(buf, len, "%s", st->path.flags);
}

static const struct fault faults[] = {
	{ .kind = STEP_PARTITION, .undo_kind = STEP_HEAL, .set = set_partition, .narrate = say_partition,
	  .args = args_partition, .path = " " },
	{ .kind = STEP_DROP, .undo_kind = STEP_DROP, .set = set_drop, .narrate = say_drop, .args = args_drop,
	  .path = " > " },
	{ .kind = STEP_BLACKHOLE, .undo_kind = STEP_UNBLACKHOLE, .set = set_blackhole, .narrate = say_blackhole,
	  .args = args_blackhole, .started = true, .missing = EOPNOTSUPP },
	{ .kind = STEP_UNREACHABLE, .undo_kind = STEP_REACHABLE, .set = set_unreachable, .narrate = say_unreachable,
	  .args = args_unreachable, .router = true },
	{ .kind = STEP_HOLD, .undo_kind = STEP_RELEASE, .set = set_hold, .narrate = say_hold, .first = true },
	{ .kind = STEP_QUICKACK, .undo_kind = STEP_QUICKACK, .set = set_quickack, .narrate = say_quickack,
	  .args = args_quickack },
	{ .kind = STEP_RTO_MIN, .undo_kind = STEP_RTO_MIN, .set = set_rto_min, .narrate = say_rto_min,
	  .args = args_rto_min },
	{ .kind = STEP_NFT, .undo_kind = STEP_NFT, .set = set_nft, .narrate = say_nft, .args = args_nft },
	{ .kind = STEP_SYSCTL, .undo_kind = STEP_SYSCTL, .set = set_sysctl, .args = args_sysctl, .missing = ENOENT },
	{ .kind = STEP_IDLE_TIMEOUT, .undo_kind = STEP_IDLE_TIMEOUT, .set = set_idle_timeout, .narrate = say_idle_timeout,
	  .args = args_idle_timeout, .router = true, .missing = ENOENT },
	{ .kind = STEP_MTU, .undo_kind = STEP_MTU, .set = set_mtu, .narrate = say_mtu, .args = args_mtu, .router = true },
	{ .kind = STEP_PORT_RANGE, .undo_kind = STEP_PORT_RANGE, .set = set_port_range, .narrate = say_port_range,
	  .args = args_range },
	{ .kind = STEP_SNAT, .undo_kind = STEP_SNAT, .set = set_snat, .narrate = say_snat, .args = args_range,
	  .router = true, .missing = ENOENT },
	{ .kind = STEP_CONNTRACK_MAX, .undo_kind = STEP_CONNTRACK_MAX, .set = set_conntrack_max,
	  .narrate = say_conntrack_max, .args = args_conntrack_max, .router = true, .missing = ENOENT },
};

/* The statement as written, for a message: "blackhole server", "nft router add table ...". */
static void words(const struct run *r, const struct fault *f, const struct step *st, char *buf, size_t len)
{
	const struct statement *table;
	size_t n;
	const char *keyword = "?";
	char args[400] = "";

	table = scenario_statements(&n);
	for (size_t i = 0; i < n; i++)
		if (table[i].kind == st->kind)
			keyword = table[i].keyword;
	if (f->args)
		f->args(st, args, sizeof args);
	if (f->path)
		snprintf(buf, len, "%s %s%s%s%s%s", keyword, run_hostname(r, st->path.from), f->path,
			 run_hostname(r, st->host), args[0] ? " " : "", args);
	else
		snprintf(buf, len, "%s %s%s%s", keyword, run_hostname(r, st->host), args[0] ? " " : "", args);
}

int step_fault(struct run *r, const struct step *st)
{
	char what[400], event[400];

	for (size_t i = 0; i < sizeof faults / sizeof faults[0]; i++) {
		const struct fault *f = &faults[i];
		if (st->kind != f->kind && st->kind != f->undo_kind)
			continue;
		bool on = st->kind == f->kind;
		if (f->narrate)
			f->narrate(r, st, on, event, sizeof event);
		int host = f->router ? HOST_ROUTER : st->host;
		if (f->narrate && f->first)
			run_event(r, host, event);
		double began = run_now_ms(r);
		int e = f->set(r, st, on);
		words(r, f, st, what, sizeof what);
		/* A sysctl this kernel keeps for the whole machine (or read-only) in a namespace:
		 * no namespace's own value to set, so missing like an absent one; never written. */
		bool not_own = st->kind == STEP_SYSCTL && (e == -EREMOTE || e == -EROFS);
		if ((f->missing && e == -f->missing) || not_own) {
			/* The kernel lacks what the fault needs (netem, a sysctl it does not have): a
			 * missing capability, exit status 3, never a verdict on the kernel's behaviour. */
			char lacks[300];
			const char *m = netns_last_error(r->sb);
			size_t k = not_own ? strlen(st->sysctl.key) : 0;
			if (st->kind == STEP_SYSCTL && !not_own)
				snprintf(lacks, sizeof lacks, "this kernel has no sysctl %s", st->sysctl.key);
			else if (not_own && strncmp(m, st->sysctl.key, k) == 0)   /* "KEY is ..." */
				snprintf(lacks, sizeof lacks, "%s on %s%s", st->sysctl.key, run_hostname(r, st->host), m + k);
			else
				snprintf(lacks, sizeof lacks, "%s", m);
			return run_missingf(r, lacks, "%s: %s", what, lacks);
		}
		if (e < 0)
			return run_errorf(r, "%s: %s", what, netns_last_error(r->sb));
		/* What a release lets go leaves while it is being set: those packets count. So do
		 * those a blackhole drops while its step is still returning (nft takes up to seconds
		 * under emulation: go-blackhole's first keepalive probe, dropped 1.16 s after the ACK
		 * while the 1.7 s step ran, was not looked at by the awaits after it). */
		run_fault_mark(r, f->first ? began : run_now_ms(r));
		if (f->narrate && !f->first)
			run_event(r, host, event);
		return 0;
	}
	return run_errorf(r, "no fault runs this step");
}

/* ---- the ends of processes: kill, await exit, reboot ---- */

static bool actor_ended(struct run *r, const void *arg)
{
	struct actor *a = (struct actor *)arg;
	int status;
	int64_t when;

	return a->ops->ended(a, &status, &when);
}

/* The actor a kill or exit step names; NULL (with the error recorded) if there is none. */
static struct actor *named(struct run *r, const struct step *st)
{
	struct actor *a = run_actor(r, st->host, st->sock);

	if (!a)
		run_errorf(r, "no program '%s' was started on %s", st->sock, run_hostname(r, st->host));
	return a;
}

static void describe_end(int status, char *buf, size_t len)
{
	if (WIFSIGNALED(status))
		snprintf(buf, len, "killed by %s", signal_name(WTERMSIG(status)));
	else
		snprintf(buf, len, "exit status %d", WEXITSTATUS(status));
}

int step_kill(struct run *r, const struct step *st)
{
	struct actor *a = named(r, st);
	char buf[160];
	int status, e;
	int64_t when;

	if (!a)
		return -1;
	if (a->ops->ended(a, &status, &when)) {
		if (!a->name[0])
			return run_failf(r, "kill %s: its peer is not running", a->full);
		if (WIFSIGNALED(status))
			return run_failf(r, "kill %s: %s was killed by %s", a->full, a->full, signal_name(WTERMSIG(status)));
		return run_failf(r, "kill %s: %s exited with status %d", a->full, a->full, WEXITSTATUS(status));
	}
	snprintf(buf, sizeof buf, "kill %s%s%s", a->name, a->name[0] ? " " : "", signal_name(st->kill.sig));
	run_event(r, st->host, buf);
	/* It may die (and its sockets send) before the signal's call returns. */
	double began = run_now_ms(r);
	a->sent_sig = st->kill.sig;
	a->sent_us = clock_us();
	if ((e = a->ops->signal(a, st->kill.sig)) < 0)
		return run_errorf(r, "kill %s: %s", a->full, strerror(-e));
	a->doomed = true;
	run_fault_mark(r, began);
	return 0;
}

int step_exit(struct run *r, const struct step *st)
{
	const struct step_exit *x = &st->exit;
	struct actor *a = named(r, st);
	char exp[160], obs[64], tail[400];
	int status, which = -1;
	size_t n = 0;
	int64_t when;

	if (!a)
		return -1;
	n += (size_t)snprintf(exp, sizeof exp, x->by_signal ? "killed by " : "exit status ");
	for (unsigned i = 0; i < x->n && n < sizeof exp; i++) {
		if (x->by_signal)
			n += (size_t)snprintf(exp + n, sizeof exp - n, "%s%s", i ? " | " : "", signal_name(x->sig[i]));
		else
			n += (size_t)snprintf(exp + n, sizeof exp - n, "%s%d", i ? " | " : "", x->status[i]);
	}
	if (run_await(r, actor_ended, a, run_bound(r, st), 0) < 0)
		return run_failf(r, "%s did not end within %d ms\n  expected: %s\n  observed: still running", a->full,
				 run_bound(r, st), exp);
	a->ops->ended(a, &status, &when);
	describe_end(status, obs, sizeof obs);
	for (unsigned i = 0; i < x->n && which < 0; i++)
		if (x->by_signal ? WIFSIGNALED(status) && WTERMSIG(status) == x->sig[i] :
		    WIFEXITED(status) && WEXITSTATUS(status) == x->status[i])
			which = (int)i;
	if (which < 0) {
		a->ops->last_words(a, tail, sizeof tail);
		return run_failf(r, "%s ended otherwise\n  expected: %s\n  observed: %s%s", a->full, exp, obs, tail);
	}
	if (x->n > 1) {
		char *note = NULL;
		if (asprintf(&note, "%s:%u: %s %s: alternative %d of %u (%s)", r->s->path, st->line, a->full, obs,
			     which + 1, x->n, exp) >= 0) {
			result_note(r->res, note);
			free(note);
		}
	}
	r->event_ms = run_ms(r, when);
	a->end_awaited = true;
	return 0;
}

static bool host_programs_dead(struct run *r, const void *arg)
{
	return programs_host_dead(r->progs, *(const int *)arg);
}

/* The host's power goes: it falls silent first, so its dying processes send nothing; its peer
 * and programs die; its namespace is destroyed and made anew with the same addresses; a fresh
 * peer starts in it. */
int step_reboot(struct run *r, const struct step *st)
{
	struct actor *peer = run_actor(r, st->host, "");
	int h = st->host;
	double began = run_now_ms(r);

	if (netns_blackhole(r->sb, h, true) < 0)
		return run_errorf(r, "reboot %s: %s", run_hostname(r, h), netns_last_error(r->sb));
	if (peer && !actor_ended(r, peer)) {
		peer->sent_sig = SIGKILL;
		peer->sent_us = clock_us();
		peer->ops->signal(peer, SIGKILL);
		if (run_await(r, actor_ended, peer, 5000, 0) < 0)
			return run_errorf(r, "reboot %s: its peer did not die of SIGKILL within 5 s", run_hostname(r, h));
	}
	if (programs_host_down(r->progs, h) && run_await(r, host_programs_dead, &h, 5000, 0) < 0)
		return run_errorf(r, "reboot %s: a program did not die of SIGKILL within 5 s", run_hostname(r, h));
	peers_free(r, h);
	run_counters_take(r, h);          /* the namespace's counters go with it */
	/* Its tap too (it would keep the namespace alive); the new one's opens as soon as it is
	 * up: what the new host sends before that is untimed. Nothing leaves the old one now. */
	capture_untap(r->cap, h);
	if (netns_host_reboot(r->sb, h) < 0)
		return run_errorf(r, "reboot %s: %s", run_hostname(r, h), netns_last_error(r->sb));
	char err[512];
	if (capture_tap(r->cap, h, err, sizeof err) < 0)
		return run_errorf(r, "reboot %s: %s", run_hostname(r, h), err);
	if (run_ktrace_watch(r, h) < 0)
		return -1;
	run_counters_start(r, h);
	run_event(r, h, "reboot: namespace destroyed and created anew, same addresses");
	run_fault_mark(r, began);
	if (peers_start(r, h, NULL) < 0)
		return -1;
	return peers_await_start(r, 1u << h);
}

/* ---- stop, cont: SIGSTOP and SIGCONT, the process frozen but alive ---- */

#ifndef P_PIDFD
#define P_PIDFD 3
#endif

/* Whether the actor's process is stopped (its group stop complete: the parent's wait says so,
 * a tracer's too), or gone (nothing left to stop). */
static bool actor_stopped(struct run *r, const void *arg)
{
	struct actor *a = (struct actor *)arg;
	int fd = a->ops->pidfd ? a->ops->pidfd(a) : -1, status;
	int64_t when;
	siginfo_t si = { 0 };

	(void) r;
	if (fd < 0 || a->ops->ended(a, &status, &when))
		return true;
	if (waitid((idtype_t)P_PIDFD, (id_t)fd, &si, WSTOPPED | WNOWAIT | WNOHANG) < 0)
		return errno != EINTR;   /* not its child (never here): not to be awaited */
	return si.si_pid != 0;
}

int step_stop(struct run *r, const struct step *st)
{
	struct actor *a = named(r, st);
	int sig = st->kind == STEP_STOP ? SIGSTOP : SIGCONT, e, status;
	int64_t when;
	char buf[160];

	if (!a)
		return -1;
	if (a->ops->ended(a, &status, &when))
		return run_failf(r, "%s %s: it is not running", st->kind == STEP_STOP ? "stop" : "cont", a->full);
	snprintf(buf, sizeof buf, "%s%s%s: %s", a->name, a->name[0] ? " " : "", signal_name(sig),
		 sig == SIGSTOP ? "the process stops (its sockets live on in the kernel)" : "the process runs again");
	run_event(r, st->host, buf);
	if ((e = a->ops->signal(a, sig)) < 0)
		return run_errorf(r, "%s %s: %s", st->kind == STEP_STOP ? "stop" : "cont", a->full, strerror(-e));
	/* The next step comes once it is stopped, as SIGSTOP stops a process at once: a traced
	 * program's call held in a seccomp stop as the signal came would otherwise run first, and
	 * complete (a read of the FIN a later step makes) before the process stops. */
	if (sig == SIGSTOP && run_await(r, actor_stopped, a, 5000, 1) < 0)
		return run_errorf(r, "stop %s: not stopped within 5000 ms of its SIGSTOP", a->full);
	run_fault_mark(r, run_now_ms(r));
	return 0;
}

/* ---- inject rst: a forged RST, its sequence number taken from the capture ---- */

/* The receiver expects next the sequence number after the last segment FROM sent it (the
 * scenario awaits that segment's ACK first): exact is that; in-window 1000 bytes past it (a
 * receive window is larger); out-of-window 1 GiB past it (a window never is). */
int step_inject(struct run *r, const struct step *st)
{
	const struct packet *last = NULL;
	static const uint32_t offset[] = { [INJECT_EXACT] = 0, [INJECT_IN_WINDOW] = 1000,
					   [INJECT_OUT_OF_WINDOW] = 1u << 30 };
	static const char *const where[] = { "exact", "in-window", "out-of-window" };
	char buf[200];
	int e;

	for (int i = 0; i < 64 && capture_poll(r->cap, r->origin_us) > 0; i++)
		;
	run_record_packets(r);
	for (size_t i = capture_count(r->cap); i-- > 0 && !last;) {
		const struct packet *p = capture_packet(r->cap, i);
		/* not an RST: an injected one (out of window, perhaps) tells nothing */
		if (!p->icmp && !strchr(p->flags, 'R') && p->from == st->path.from && p->to == st->host &&
		    (!st->path.port || p->sport == st->path.port || p->dport == st->path.port))
			last = p;
	}
	if (!last)
		return run_errorf(r, "inject rst: no segment from %s to %s captured yet: nothing to take its "
				  "sequence number from", run_hostname(r, st->path.from), run_hostname(r, st->host));
	uint32_t next = last->abs_seq + last->len + (strchr(last->flags, 'S') != NULL) + (strchr(last->flags, 'F') != NULL);
	uint32_t seq = next + offset[st->path.where];
	snprintf(buf, sizeof buf, "inject rst (%s): an RST as if from %s, seq %u (the next expected%s%.0u)",
		 where[st->path.where], run_hostname(r, st->path.from), seq - (last->abs_seq - last->seq),
		 offset[st->path.where] ? " + " : "", offset[st->path.where]);
	run_event(r, st->path.from, buf);
	double began = run_now_ms(r);
	if ((e = netns_inject_rst(r->sb, st->path.from, st->host, last->family, last->sport, last->dport, seq)) < 0)
		return run_errorf(r, "inject rst: %s", strerror(-e));
	run_fault_mark(r, began);
	return 0;
}
