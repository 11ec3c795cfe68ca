/* SPDX-License-Identifier: MIT */
/*
 * Runner: one scenario, one family, one sandbox. Runs in a worker process of its own (cli/
 * forks it), single-threaded: an event loop (loop.h) over the capture, the programs and the
 * peers. Steps run in order through the step table (runners[] below); each acts, then awaits
 * what it must observe with a bound; nothing is ordered by sleeping. The first failed
 * expectation ends the run (later steps would only measure the consequences of the first
 * surprise). Teardown runs on every path.
 *
 * The result is a struct result (report.h): what each step observed is added to it as it
 * happens, the verdict at the end.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/utsname.h>

#include "internal.h"
#include "ktrace.h"
#include "loop.h"
#include "netns.h"
#include "peer.h"

/* ---- the run's event sources (loop.h): the capture, the programs, the peers ---- */

static unsigned capture_fds(void *ctx, struct pollfd *fds, unsigned max)
{
	struct run *r = ctx;

	if (max == 0)
		return 0;
	fds[0] = (struct pollfd){ .fd = capture_fd(r->cap), .events = POLLIN };
	return 1;
}

static void capture_take(void *ctx, const struct pollfd *fds, unsigned n)
{
	struct run *r = ctx;

	capture_poll(r->cap, r->origin_us);
	run_record_packets(r);
}

static unsigned ktrace_fds(void *ctx, struct pollfd *fds, unsigned max)
{
	struct run *r = ctx;

	if (max == 0 || !r->kt)
		return 0;
	fds[0] = (struct pollfd){ .fd = ktrace_fd(r->kt), .events = POLLIN };
	return 1;
}

static void ktrace_take(void *ctx, const struct pollfd *fds, unsigned n)
{
	struct run *r = ctx;

	if (r->kt)
		ktrace_poll(r->kt);
}

void runner_prepare(void)
{
	ktrace_prepare();
}

void runner_worker(pid_t pid)
{
	ktrace_owner(pid);
}

void runner_worker_gone(pid_t pid)
{
	ktrace_forget(pid);
}

int run_ktrace_watch(struct run *r, int host)
{
	int e;

	if (r->kt && (e = ktrace_watch(r->kt, host, netns_fd(r->sb, host))) < 0)
		return run_errorf(r, "the kernel tracer cannot watch %s: %s", run_hostname(r, host), strerror(-e));
	return 0;
}

/* The captured RST a reset the kernel traced went out as: the first not yet given a reason from
 * that host with those ports, captured at or after the reset (1 ms of slack: the capture's
 * timestamps and the tracer's are two readings of the clock); -1 if none. */
static long reset_packet(const struct result *res, const char *host, const struct ktrace_record *k, const bool *given)
{
	for (size_t i = 0; i < res->packets.n; i++) {
		const struct result_packet *p = &res->packets.v[i];
		if (!given[i] && !p->icmp && strchr(p->flags, 'R') && p->sport == k->sport && p->dport == k->dport &&
		    p->t_ms >= k->t_ms - 1.0 && strcmp(p->from, host) == 0)
			return (long)i;
	}
	return -1;
}

/* What the capture alone tells of the packets sent again (the capture's packet i is the
 * result's): a SYN or SYN-ACK with the sequence number of an earlier one from the same side, and
 * the probes tcp_xmit_probe_skb() sends, a bare ACK of 0 or 1 byte whose seq is one below what
 * the peer last acknowledged (snd_una - 1: no other segment goes below snd_una): a zero-window
 * probe if the peer's last segment shut its window, else a keepalive probe. Data sent again is
 * left to the tracer: the capture cannot tell an RTO from a fast retransmission. */
static void record_capture_kinds(struct run *r)
{
	size_t n = capture_count(r->cap), nsyn = 0, size = 1;

	if (n > r->res->packets.n)
		n = r->res->packets.n;
	/* The last SYN (or SYN-ACK) of each side and ports, by their hash: open addressing, at
	 * most half full; a SYN flood's 65,535 look-backs of 4,096 packets took 1.3-1.7 s. */
	for (size_t i = 0; i < n; i++)
		nsyn += !capture_packet(r->cap, i)->icmp && strchr(capture_packet(r->cap, i)->flags, 'S');
	while (size < 2 * nsyn)
		size *= 2;
	const struct packet **last = nsyn ? calloc(size, sizeof *last) : NULL;
	for (size_t i = 0; i < n; i++) {
		const struct packet *c = capture_packet(r->cap, i);
		bool syn = strchr(c->flags, 'S') != NULL;
		const char *kind = NULL;
		if (c->icmp || (!syn && (c->len > 1 || strcmp(c->flags, ".") != 0)))
			continue;
		if (syn && last) {
			uint64_t k = (uint64_t)(uint32_t)c->from << 33 ^ (uint64_t)(strchr(c->flags, '.') != NULL) << 32 ^
				     (uint64_t)c->sport << 16 ^ c->dport;
			size_t h = (size_t)((k * 0x9e3779b97f4a7c15ull) >> 32) & (size - 1);
			const struct packet *o;
			while ((o = last[h]) && !(o->from == c->from && o->sport == c->sport && o->dport == c->dport &&
						  strcmp(o->flags, c->flags) == 0))
				h = (h + 1) & (size - 1);
			if (o && o->abs_seq == c->abs_seq)
				kind = strchr(c->flags, '.') ? RESULT_RTX_SYNACK : RESULT_RTX_SYN;
			last[h] = c;
		}
		/* A bounded look back: a flood of bare ACKs cannot make this quadratic. */
		for (size_t j = i; !syn && j-- > 0 && i - j <= 4096;) {
			const struct packet *o = capture_packet(r->cap, j);
			if (!o->icmp && o->from == c->to && o->sport == c->dport && o->dport == c->sport &&
			    strchr(o->flags, '.')) {
				if (o->abs_ack - 1 == c->abs_seq)
					kind = o->win == 0 ? RESULT_RTX_ZWP : RESULT_RTX_KEEPALIVE;
				break;    /* the peer's last ACK: it says */
			}
		}
		if (kind)
			result_packet_retransmit(r->res, i, kind);
	}
	free(last);
}

/* The captured segment a retransmission the kernel traced went out as: the first from that host
 * with those ports and that sequence number (on the wire: the capture's own packet i is the
 * result's), captured at or after it (1 ms of slack, as above), not yet given a kind; -1 if
 * none (or no capture). */
static long retransmit_packet(const struct run *r, const char *host, const struct ktrace_record *k, const bool *given)
{
	size_t n = r->cap ? capture_count(r->cap) : 0;

	for (size_t i = 0; i < n && i < r->res->packets.n; i++) {
		const struct packet *c = capture_packet(r->cap, i);
		const struct result_packet *p = &r->res->packets.v[i];
		if (!given[i] && !p->icmp && c->abs_seq == k->seq && p->sport == k->sport && p->dport == k->dport &&
		    p->t_ms >= k->t_ms - 1.0 && strcmp(p->from, host) == 0)
			return (long)i;
	}
	return -1;
}

void run_record_ktrace(struct run *r)
{
	char note[160];

	if (!r->kt)
		return;
	ktrace_poll(r->kt);
	bool *given = calloc(r->res->packets.n + 1, sizeof *given);
	for (size_t i = 0; i < ktrace_count(r->kt); i++) {
		const struct ktrace_record *k = ktrace_get(r->kt, i);
		const char *host = run_hostname(r, k->host);
		long p;
		switch (k->what) {
		case KTRACE_TRANSITION:
			result_add_transition(r->res, k->t_ms, host, k->sport, k->dport, netns_state_name((uint8_t)k->from),
					      netns_state_name((uint8_t)k->to));
			break;
		case KTRACE_RETRANSMIT:
			result_add_retransmit(r->res, k->t_ms, host, k->sport, k->dport, netns_state_name((uint8_t)k->to),
					      k->reason ? k->reason : "", k->kind);
			if (k->kind && given && (p = retransmit_packet(r, host, k, given)) >= 0) {
				given[p] = true;
				result_packet_retransmit(r->res, (size_t)p, k->kind);
			}
			break;
		case KTRACE_DROP:
			result_add_drop(r->res, k->t_ms, host, k->reason ? k->reason : "UNKNOWN");
			break;
		case KTRACE_RESET:
			if (k->reason && given && (p = reset_packet(r->res, host, k, given)) >= 0) {
				given[p] = true;
				result_packet_reason(r->res, (size_t)p, k->reason);
			}
			break;
		case KTRACE_NONE:
		case KTRACE_RESET_RECEIVED:
			break;
		}
	}
	free(given);
	if (ktrace_lost(r->kt)) {
		snprintf(note, sizeof note, "the kernel tracer lost %llu records (its ring was full)", ktrace_lost(r->kt));
		result_note(r->res, note);
	}
	if (!ktrace_has_reset_reasons(r->kt))
		result_note(r->res, "kernel reasons: this kernel gives no reason for the resets it sends (Linux 6.10 on)");
	ktrace_unwatch(r->kt);           /* its namespaces may live on in a kept sandbox */
	if (r->o->keep && !r->o->keep->kt)
		r->o->keep->kt = r->kt;   /* for the slot's next run */
	else
		ktrace_free(r->kt);
	r->kt = NULL;
}

void run_counters_start(struct run *r, int host)
{
	if (r->kt || r->mib[host])
		return;
	/* A snapshot that cannot be read leaves the host without deltas (the run goes on). */
	if (netns_counters_snapshot(r->sb, host, &r->mib[host]) < 0)
		r->mib[host] = NULL;
	else
		r->res->counted = true;
}

static void add_delta(const char *name, long long delta, void *arg)
{
	struct run *r = ((void **)arg)[0];
	const char *host = ((void **)arg)[1];

	result_add_counter_delta(r->res, host, name, delta);
}

void run_counters_take(struct run *r, int host)
{
	void *arg[2] = { r, (void *)run_hostname(r, host) };

	if (!r->mib[host])
		return;
	netns_counters_changed(r->sb, host, r->mib[host], add_delta, arg);   /* unread: no deltas */
	free(r->mib[host]);
	r->mib[host] = NULL;
}

/* ---- the step table: which function runs each kind of step ---- */

/* Each kind of step: the function that runs it, and whether it checks its 'after' floor itself
 * (an operation against its own start, a packet on the wire); any other awaited observation (a
 * state, a counter, an exit, a program's output or call) is checked by run_step() against
 * run_floor_anchor(). Only awaits take 'after' (lang/). */
static const struct {
	int (*run)(struct run *, const struct step *);
	bool own_floor;
} runners[STEP_NKINDS] = {
	[STEP_OP] = { step_op, true },
	[STEP_AWAIT_OP] = { step_await_op, true },
	[STEP_PACKET] = { step_packet, true },
	[STEP_NO_PACKET] = { step_no_packet },
	[STEP_STATE] = { step_state },
	[STEP_NO_STATE] = { step_no_state },
	[STEP_COUNTER] = { step_counter },
	[STEP_KILL] = { step_kill },
	[STEP_EXIT] = { step_exit },
	[STEP_REBOOT] = { step_reboot },
	[STEP_EXEC] = { step_exec },
	[STEP_LISTEN] = { step_listen },
	[STEP_OUTPUT] = { step_output },
	[STEP_CALL] = { step_call },
	[STEP_BLACKHOLE] = { step_fault },
	[STEP_UNBLACKHOLE] = { step_fault },
	[STEP_UNREACHABLE] = { step_fault },
	[STEP_REACHABLE] = { step_fault },
	[STEP_NFT] = { step_fault },
	[STEP_SYSCTL] = { step_fault },
	[STEP_HOLD] = { step_fault },
	[STEP_RELEASE] = { step_fault },
	[STEP_QUICKACK] = { step_fault },
	[STEP_RTO_MIN] = { step_fault },
	[STEP_RUNNING] = { step_running },
	[STEP_NO_OUTPUT] = { step_no_output },
	[STEP_NO_CALL] = { step_no_call },
	[STEP_WAIT] = { step_wait },
	[STEP_QUIET] = { step_quiet },
	[STEP_IDLE_TIMEOUT] = { step_fault },
	[STEP_MTU] = { step_fault },
	[STEP_PORT_RANGE] = { step_fault },
	[STEP_SNAT] = { step_fault },
	[STEP_CONNTRACK_MAX] = { step_fault },
	[STEP_PARTITION] = { step_fault },
	[STEP_HEAL] = { step_fault },
	[STEP_DROP] = { step_fault },
	[STEP_STOP] = { step_stop },
	[STEP_CONT] = { step_stop },
	[STEP_INJECT] = { step_inject },
	[STEP_TRANSITION] = { step_transition },
	[STEP_RESET] = { step_reset },
};

bool runner_runs(enum step_kind kind)
{
	return (unsigned)kind < STEP_NKINDS && runners[kind].run;
}

static int run_step(struct run *r, const struct step *st)
{
	r->step = st;
	r->step_start_us = clock_us();
	if (r->o->progress) {
		r->o->progress->line = st->line;
		r->o->progress->since_us = r->step_start_us;
		r->o->progress->phase = RUN_STEPS;
	}
	r->event_ms = r->cond_ms = -1;
	int e = runner_runs(st->kind) ? runners[st->kind].run(r, st) : run_errorf(r, "no runner for this step");
	if (e == 0 && st->after_ms && !runners[st->kind].own_floor)
		e = run_too_soon(r, st, run_floor_anchor(r), r->event_ms >= 0 ? r->event_ms : r->cond_ms >= 0 ? r->cond_ms : run_now_ms(r),
				 run_floor_anchor_untimed(r));
	return e;
}

/* ---- what differs by kernel: feature tests, in the hosts' namespaces, at run time ---- */

/* Whether this kernel has the network sysctl key as a namespace's own (looked at where the
 * scenario's hosts live): 0, -ENOENT absent, -EREMOTE the whole machine's (never written). */
static int kernel_sysctl(struct run *r, const char *key)
{
	char buf[64];
	int e = netns_sysctl_get(r->sb, 0, key, buf, sizeof buf);

	return e == -ENOENT ? e : netns_sysctl_own(r->sb, 0, key) == -EREMOTE ? -EREMOTE : 0;
}


/* 'requires sysctl KEY': 0, or -1 with the run ended skipped (exit status 3), never a pass. */
static int check_requires(struct run *r)
{
	char lacks[200];

	for (unsigned i = 0; i < r->s->nrequires; i++) {
		int e = kernel_sysctl(r, r->s->requires[i]);
		if (e == 0)
			continue;
		if (e == -EREMOTE)
			snprintf(lacks, sizeof lacks, "this kernel has %s only for the whole machine, not per namespace",
				 r->s->requires[i]);
		else
			snprintf(lacks, sizeof lacks, "this kernel has no sysctl %s", r->s->requires[i]);
		return run_missingf(r, lacks, "requires sysctl %s: %s", r->s->requires[i], lacks);
	}
	return 0;
}

/* Whether steps[i] applies on this kernel; the first step under each condition notes which
 * variant ran, so the result says it. */
static bool step_applies(struct run *r, size_t i)
{
	const struct step *st = &r->s->steps[i];
	char note[320];

	if (st->cond.when == WHEN_ALWAYS)
		return true;
	int e = kernel_sysctl(r, st->cond.sysctl);
	bool has = e == 0;
	for (size_t k = 0; k < i; k++)
		if (r->s->steps[k].cond.when != WHEN_ALWAYS && strcmp(r->s->steps[k].cond.sysctl, st->cond.sysctl) == 0)
			return has == (st->cond.when == WHEN_SYSCTL);
	snprintf(note, sizeof note, "kernel variant: sysctl %s %s: the '%s sysctl %s:' steps ran, the '%s' ones did not",
		 st->cond.sysctl, has ? "present" : e == -EREMOTE ? "the whole machine's only" : "absent", has ? "if" : "unless", st->cond.sysctl, has ? "unless" : "if");
	result_note(r->res, note);
	return has == (st->cond.when == WHEN_SYSCTL);
}

int run_result_hosts(struct result *res, const struct scenario *s)
{
	char inet[64], inet6[64];
	int e = 0;

	for (unsigned h = 0; h < s->nhosts && e == 0; h++)
		e = result_add_host(res, s->hosts[h], scenario_host_addr(s, (int)h, AF_INET, inet),
				    scenario_host_addr(s, (int)h, AF_INET6, inet6));
	return e;
}

static struct result *new_result(const struct scenario *s, const struct run_options *o)
{
	struct result *res;

	if (result_new(s->name, s->mode, o->family == AF_INET6 ? "inet6" : "inet", s->path, s->summary, &res) < 0)
		return NULL;
	if (run_result_hosts(res, s) < 0) {
		result_free(res);
		return NULL;
	}
	struct utsname u;
	if (uname(&u) == 0 && result_set_kernel(res, u.release) < 0) {
		result_free(res);
		return NULL;
	}
	if (result_describe(res, s->claim, s->linux_says, s->timers) < 0) {
		result_free(res);
		return NULL;
	}
	return res;
}

/* Where a run's time goes, for the benchmark: r->parts[k] is when part k ended (the run's
 * start is part 0's start). With TCPFAULT_TIMINGS set, the run prints them on stderr as one
 * line, "tcpfault-timings NAME FAMILY new|kept part=MS ... waited=MS lag=MS@T:FROM>TO:FLAGS:LEN"
 * (kept: the slot's sandbox, reset; waited: how long, in all, the run waited on the kernel's
 * timers or the scenario's own stretches, r->waits; lag: the longest a packet took from its
 * sender to the wire's stamp, capture_lag_max_ms(), and that packet: its send time (run ms),
 * hosts, flags, length; a clock read per part: no cost to speak of). */
enum { MARK_SANDBOX, MARK_TRACER, MARK_CAPTURE_OPEN, MARK_PEERS, MARK_STEPS, MARK_CAPTURE_CLOSE,
       MARK_PEERS_REAP, MARK_SANDBOX_FREE, MARK_END };
static const char *const mark_names[RUN_MARKS] = { "sandbox", "tracer", "capture_open", "peers", "steps",
	"capture_close", "peers_reap", "sandbox_free", "result" };

static void mark(struct run *r, int k)
{
	r->parts[k] = clock_us();
}

static void print_marks(const struct run *r, double waited)
{
	char line[512];
	int n = snprintf(line, sizeof line, "tcpfault-timings %s %s %s", r->s->name, r->o->family == AF_INET6 ? "inet6" : "inet",
			 r->sb_reused ? "kept" : "new");
	int64_t t = r->origin_us;

	for (int k = 0; k < RUN_MARKS && n < (int)sizeof line; k++)
		if (r->parts[k]) {
			n += snprintf(line + n, sizeof line - (size_t)n, " %s=%.2f", mark_names[k], (double)(r->parts[k] - t) / 1000);
			t = r->parts[k];
		}
	fprintf(stderr, "%s waited=%.2f lag=%.2f%s\n", line, waited, r->lag_max_ms, r->lag_pkt);
}

bool runner_reusable(const struct scenario *s, const struct run_options *o)
{
	return !s->router && !o->privileged_programs;
}

/* The slot's kept peers go (killed, reaped). */
static void keep_free_peers(struct run_keep *k)
{
	for (unsigned h = 0; h < SCENARIO_MAX_HOSTS; h++) {
		peer_free(k->peers[h]);
		k->peers[h] = NULL;
	}
}

/* The slot's sandbox goes, its peers and its capture first (they are in its namespaces and on
 * its wire); not the tracer. */
static void keep_free(struct run_keep *k)
{
	keep_free_peers(k);
	capture_free(k->cap);
	netns_sandbox_free(k->sb);
	k->cap = NULL;
	k->sb = NULL;
}

bool run_keep_holds(const struct run_keep *k, int pid)
{
	for (unsigned h = 0; k && h < SCENARIO_MAX_HOSTS; h++)
		if (k->peers[h] && peer_pid(k->peers[h]) == pid)
			return true;
	return false;
}

/* Which namespace host's fd is (its inode), 0 if unknown. */
static uint64_t ns_id(struct netns_sandbox *sb, int host)
{
	struct stat st;

	return fstat(netns_fd(sb, host), &st) == 0 ? (uint64_t)st.st_ino : 0;
}

/* The slot's peer for host if it can serve this run (alive, and its host not made anew since),
 * else NULL (and it goes). */
static struct peer *kept_peer(struct run *r, int host)
{
	struct run_keep *k = r->o->keep;
	struct peer *p = k ? k->peers[host] : NULL;
	bool dead = true;

	if (!p)
		return NULL;
	k->peers[host] = NULL;
	if (peer_reap(p, &dead, NULL) < 0 || dead || !k->peer_ns[host] || k->peer_ns[host] != ns_id(r->sb, host)) {
		peer_free(p);
		return NULL;
	}
	return p;
}

/* The slot's kept sandbox, reset, if this run can use it (else it is freed); NULL if none.
 * The result notes it: a run that fails in a reused sandbox can be run again without
 * (TCPFAULT_REUSE=0) to tell. */
static struct netns_sandbox *kept_sandbox(struct run *r)
{
	struct run_keep *k = r->o->keep;
	unsigned remade = 0;
	char note[160];

	/* A run that cannot use it leaves it for the next that can. */
	if (!k || !k->sb || !r->reusable)
		return NULL;
	if (netns_host_count(k->sb) != r->s->nhosts || netns_sandbox_reset(k->sb, &remade) < 0) {
		keep_free(k);
		return NULL;
	}
	snprintf(note, sizeof note, "sandbox: the job slot's, reset after its previous run%s (TCPFAULT_REUSE=0: a new one)",
		 remade == 0 ? "" : remade == 1 ? ", one host made anew" : ", hosts made anew");
	result_note(r->res, note);
	struct netns_sandbox *sb = k->sb;
	k->sb = NULL;
	return sb;
}

/* The slot's capture for this run, if it kept one of this ring and snaplen (else it goes); 0,
 * 1 if the run must open its own, -1 with the error recorded. */
static int kept_capture(struct run *r, const char *path, size_t ring, unsigned snaplen)
{
	struct run_keep *k = r->o->keep;
	char err[512];

	if (!k || !k->cap)
		return 1;
	if (k->ring != ring || k->snaplen != snaplen) {
		capture_free(k->cap);
		k->cap = NULL;
		return 1;
	}
	r->cap = k->cap;
	k->cap = NULL;
	if (capture_restart(r->cap, path, err, sizeof err) < 0)
		return run_errorf(r, "%s", err);
	return 0;
}

/* The sandbox, the capture, the programs' set, the loop's sources and a peer on each host; 0,
 * or -1 with the error recorded. */
static int setup(struct run *r)
{
	const struct scenario *s = r->s;
	const struct run_options *o = r->o;
	char err[512], path[4096];
	int e;

	r->reusable = o->keep && runner_reusable(s, o);
	r->sb_reused = (r->sb = kept_sandbox(r)) != NULL;
	if (!r->sb &&
	    (e = netns_sandbox_new_topology(s->nhosts, s->router ? NETNS_ROUTER : NETNS_BRIDGE, &r->sb)) < 0)
		return run_errorf(r, "creating the sandbox: %s", netns_new_error());
	mark(r, MARK_SANDBOX);
	/* The kernel tracer, watching the hosts before anything happens on them; without it (not
	 * root, a build without libbpf) the run goes on, and its result says so. */
	bool flood = capture_ring_for(s) > CAPTURE_RING, needs = false;
	for (size_t i = 0; i < s->nsteps; i++)
		needs |= s->steps[i].kind == STEP_TRANSITION || s->steps[i].kind == STEP_RESET;
	if (flood && !needs) {
		/* Tens of thousands of flooding packets would swamp it (a 65,535-SYN flood's run
		 * passed its 60 s limit traced, 12-21 s untraced): not where nothing asks for it. */
		snprintf(r->kt_why, sizeof r->kt_why, "kernel reasons not traced: a run with a SYN flood");
		result_note(r->res, r->kt_why);
	} else if (o->keep && o->keep->kt) {
		r->kt = o->keep->kt;      /* the slot's, loaded once */
		o->keep->kt = NULL;
		ktrace_restart(r->kt, r->origin_us);
		r->res->traced = true;
	} else if (ktrace_new(r->origin_us, &r->kt, r->kt_why, sizeof r->kt_why) < 0) {
		result_note(r->res, r->kt_why);
	} else {
		r->res->traced = true;
	}
	for (unsigned h = 0; h < s->nhosts; h++) {
		if (run_ktrace_watch(r, (int)h) < 0)
			return -1;
		run_counters_start(r, (int)h);     /* without the tracer: counters before and after */
	}
	mark(r, MARK_TRACER);
	/* The capture sees every host's link from the wire side and outlives a reboot of any. */
	if (o->pcap_dir) {
		char run[24] = "";
		if (o->runs > 1)
			snprintf(run, sizeof run, "-run%u", o->run);
		snprintf(path, sizeof path, "%s/%s-%s%s.pcap", o->pcap_dir, s->name,
			 o->family == AF_INET6 ? "inet6" : "inet", run);
	}
	/* Whole segments by default; in a run with a SYN flood, whose ring holds a frame of that
	 * size per flooding packet, the headers only (256 bytes), unless --snaplen said. */
	size_t ring = capture_ring_for(s);
	unsigned snaplen = o->snaplen ? o->snaplen : ring > CAPTURE_RING ? CAPTURE_RING_SNAPLEN : CAPTURE_SNAPLEN;
	if ((e = r->sb_reused ? kept_capture(r, o->pcap_dir ? path : NULL, ring, snaplen) : 1) < 0)
		return -1;
	if (e > 0 && capture_open_wire(r->sb, o->pcap_dir ? path : NULL, ring, snaplen, &r->cap, err, sizeof err) < 0)
		return run_errorf(r, "%s", err);
	r->ring = ring;
	r->snaplen = snaplen;
	mark(r, MARK_CAPTURE_OPEN);
	/* Said where it matters: a blackhole, which would use netem where asked and present. */
	bool blackholes = false;
	for (size_t i = 0; i < s->nsteps; i++)
		blackholes |= s->steps[i].kind == STEP_BLACKHOLE;
	if (blackholes && !netns_netem_available())
		result_note(r->res, "netem: this kernel has no netem qdisc; faults on the wire use nftables");
	if (o->privileged_programs)
		result_note(r->res, "--privileged-programs: exec'd programs were not confined (as root: every "
			    "capability, the host's files and namespaces)");
	if ((e = programs_new(r->res, r->origin_us, o->peer_path, o->privileged_programs, &r->progs)) < 0)
		return run_errorf(r, "%s", strerror(-e));
	const struct loop_source sources[] = {
		{ capture_fds, capture_take, r }, { ktrace_fds, ktrace_take, r }, { programs_fds, programs_take, r->progs }, { peers_fds, peers_take, r },
	};
	for (size_t i = 0; i < sizeof sources / sizeof sources[0]; i++)
		if (loop_add(&r->loop, &sources[i]) < 0)
			return run_errorf(r, "the event loop takes no more sources");
	unsigned kept = 0, fresh = 0;
	for (unsigned h = 0; h < s->nhosts; h++) {
		struct peer *p = r->sb_reused ? kept_peer(r, (int)h) : NULL;
		kept += p != NULL;
		fresh |= p ? 0 : 1u << h;
		if (peers_start(r, (int)h, p) < 0)
			return -1;
	}
	if (peers_await_start(r, fresh) < 0)
		return -1;
	if (r->sb_reused)
		keep_free_peers(o->keep);   /* any left: not for this run's hosts */
	if (kept) {
		snprintf(err, sizeof err, "peers: %u of the job slot's, reset after its previous run (TCPFAULT_REUSE=0: new ones)", kept);
		result_note(r->res, err);
	}
	mark(r, MARK_PEERS);
	return 0;
}

/* The capture closes first (what the peers' teardown sends is not the run's), and a verdict
 * that looked at packets on an incomplete capture becomes an error; then the rest goes. */
static void teardown(struct run *r)
{
	char msg[512];

	if (r->cap) {
		unsigned recv, drop;
		capture_poll(r->cap, r->origin_us);
		run_record_packets(r);
		record_capture_kinds(r);
		capture_stats(r->cap, &recv, &drop);
		switch (capture_judge_loss(recv, drop, capture_lost(r->cap), r->pkts_checked, msg, sizeof msg)) {
		case CAPTURE_LOSS_ERROR:
			r->step = NULL;
			r->steps_done = true;
			r->failed = false;        /* a fail judged on it is no better than a pass */
			run_errorf(r, "%s", msg);
			break;
		case CAPTURE_LOSS_NOTE:
			result_note(r->res, msg);
			break;
		case CAPTURE_COMPLETE:
			break;
		}
		if (capture_untimed(r->cap)) {
			snprintf(msg, sizeof msg, "capture: %u packets with no copy at their sender's tap: timed as the wire "
				 "took them, maybe late (a floor they would decide is an error)", capture_untimed(r->cap));
			result_note(r->res, msg);
		}
		size_t at;
		r->lag_max_ms = capture_lag_max_ms(r->cap, &at);
		const struct packet *p = capture_packet(r->cap, at);
		if (p && r->lag_max_ms > 0)
			snprintf(r->lag_pkt, sizeof r->lag_pkt, "@%.1f:%s>%s:%s:%u", p->t_ms, run_hostname(r, p->from),
				 run_hostname(r, p->to), p->flags, p->len);
	}
	run_record_ktrace(r);            /* matched to the capture's packets, before it goes */
	for (unsigned h = 0; h < r->s->nhosts && r->sb; h++)
		run_counters_take(r, (int)h);
	if (r->cap && r->reusable && r->sb) {
		capture_end_file(r->cap);        /* kept for the slot's next run */
	} else {
		capture_free(r->cap);
		r->cap = NULL;
	}
	mark(r, MARK_CAPTURE_CLOSE);
	/* Each peer kept for the slot's next run if it can be made as new (peer_reset()): not one a
	 * step signalled (stopped, killed), nor one with a command still queued or running. */
	bool keep = r->reusable && r->sb;
	struct peer *kept[SCENARIO_MAX_HOSTS] = { 0 };
	uint64_t kept_ns[SCENARIO_MAX_HOSTS] = { 0 };
	for (unsigned h = 0; h < r->s->nhosts; h++) {
		struct peer_actor *pa = &r->peers[h];
		if (keep && !r->o->keep->no_peers && pa->p && !pa->dead && !pa->signalled && peer_reset(pa->p, 500) == 0) {
			kept[h] = pa->p;
			kept_ns[h] = ns_id(r->sb, (int)h);
		} else {
			peer_free(pa->p);
		}
		free(pa->calls);
	}
	mark(r, MARK_PEERS_REAP);
	free(r->sockbuf);
	programs_free(r->progs);
	if (keep) {
		struct run_keep *k = r->o->keep;
		if (k->cap)
			capture_free(k->cap);   /* kept, but the run ended before it took it */
		keep_free_peers(k);
		k->sb = r->sb;
		k->cap = r->cap;
		k->ring = r->ring;
		k->snaplen = r->snaplen;
		memcpy(k->peers, kept, sizeof kept);
		memcpy(k->peer_ns, kept_ns, sizeof kept_ns);
	}
	else
		netns_sandbox_free(r->sb);
	mark(r, MARK_SANDBOX_FREE);
}

struct result *runner_run(const struct scenario *s, const struct run_options *o)
{
	struct run *r = calloc(1, sizeof *r);
	struct result *res = new_result(s, o);

	if (!r || !res) {
		free(r);
		result_free(res);
		return NULL;
	}
	r->s = s;
	r->o = o;
	r->res = res;
	r->origin_us = clock_us();
	r->fault_ms = -1e300;
	r->loop.deadline_us = r->origin_us + (int64_t)(o->timeout_ms ? o->timeout_ms : s->timeout_ms) * 1000;
	if (o->progress) {
		o->progress->since_us = r->origin_us;
		o->progress->phase = RUN_SETUP;
	}
	if (setup(r) == 0 && check_requires(r) == 0) {
		for (size_t i = 0; i < s->nsteps && !r->failed && !r->errored; i++)
			if (step_applies(r, i))
				run_step(r, &s->steps[i]);
		r->step = NULL;
		r->steps_done = true;
		loop_pump(&r->loop, 0);
		peers_check_awaited(r);
		mark(r, MARK_STEPS);
	}
	if (o->progress) {
		o->progress->since_us = clock_us();
		o->progress->phase = RUN_TEARDOWN;
	}
	teardown(r);
	/* A run ends at its first failure, error or missing capability: a fail stays a fail, and
	 * what went wrong after a missing capability (the capture's teardown) is its consequence. */
	enum result_verdict v = r->failed ? RESULT_FAIL : r->missed ? RESULT_SKIPPED : r->errored ? RESULT_ERROR : RESULT_PASS;
	result_finish(res, v, run_now_ms(r),
		      floor_union(r->floors, r->nfloors));
	mark(r, MARK_END);
	if (getenv("TCPFAULT_TIMINGS"))
		print_marks(r, floor_union(r->waits, r->nwaits));
	for (size_t i = 0; i < sizeof r->cmd_chunks / sizeof r->cmd_chunks[0]; i++)
		free(r->cmd_chunks[i]);
	free(r);
	return res;
}
