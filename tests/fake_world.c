/* SPDX-License-Identifier: MIT */
/*
 * A fake sandbox, peers and capture for the runner's unit tests: a scripted world that replays
 * timelines (call results, packets, deaths, socket states, counters) with no privilege and no
 * kernel networking. The test links the real runner and wraps (ld --wrap) the functions through
 * which it touches the world: netns_* (the sandbox and its faults), peer_* (the built-in peers)
 * and capture_* (the wire). Everything happens on the run's clock: each scripted event is due
 * some milliseconds after what triggered it, and a timerfd makes the loop wake for it, so the
 * runner awaits exactly as it does against the kernel.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/timerfd.h>
#include <sys/wait.h>

#include "fake_world.h"
#include "loop.h"

#define MAX_DUE 512

/* What is due: a report to a host's controller, a packet on the wire, a death, a socket state,
 * a counter's value. */
struct due {
	int64_t at_us;
	struct fake_ev ev;
	int id;                           /* report: the command it answers */
	char call[32];                    /* report: the call's name (a copy: peer_send's is on its stack) */
	bool done;                        /* taken */
};

struct peer {
	int host;
	int ctl, pid;                     /* timerfds: a report due, the death due */
	int next_id;
	bool dead, reaped;
	int64_t death_at;
	int status;
};

struct capture {
	int fd;
	struct packet *pkts;
	size_t n, cap;
	unsigned untimed;
};

static struct {
	const struct fake_trigger *script;
	struct due due[MAX_DUE];
	unsigned ndue;
	struct peer *peers[8];
	struct capture *cap;
	unsigned drops;
	bool spent[64];                   /* script[i] fired and was 'once' */
} w;

static unsigned next_drops;

void fake_world_reset(const struct fake_trigger *script)
{
	memset(&w, 0, sizeof w);
	w.script = script;
	w.drops = next_drops;
	next_drops = 0;
}

static void arm(int fd, int64_t at_us)
{
	struct itimerspec its = { 0 };

	if (at_us > 0) {
		its.it_value.tv_sec = at_us / 1000000;
		its.it_value.tv_nsec = (at_us % 1000000) * 1000;
	}
	timerfd_settime(fd, TFD_TIMER_ABSTIME, &its, NULL);
}

/* Arms each fd for its soonest pending event. */
static void rearm(void)
{
	int64_t soonest[8] = { 0 }, pkt = 0;

	for (unsigned i = 0; i < w.ndue; i++) {
		const struct due *d = &w.due[i];
		if (d->done)
			continue;
		int64_t *slot = d->ev.kind == FAKE_REPORT ? &soonest[d->ev.host] :
				d->ev.kind == FAKE_PACKET ? &pkt : NULL;
		if (slot && (!*slot || d->at_us < *slot))
			*slot = d->at_us;
	}
	for (int h = 0; h < 8; h++)
		if (w.peers[h])
			arm(w.peers[h]->ctl, soonest[h]);
	if (w.cap)
		arm(w.cap->fd, pkt);
}

static void add_due(const struct fake_ev *ev, int64_t base, int id, const char *call)
{
	if (w.ndue == MAX_DUE)
		abort();
	struct due *d = &w.due[w.ndue++];
	*d = (struct due){ .at_us = base + (int64_t)ev->delay_ms * 1000, .ev = *ev, .id = id };
	snprintf(d->call, sizeof d->call, "%s", call ? call : "");
	if (ev->kind == FAKE_DEATH && w.peers[ev->host]) {
		struct peer *p = w.peers[ev->host];
		if (!p->death_at || d->at_us < p->death_at) {
			p->death_at = d->at_us;
			p->status = ev->sig ? ev->sig : SIGKILL;
			arm(p->pid, p->death_at);
		}
	}
}

/* Fires the script's trigger for (host, what); returns it, or NULL if the script has none. */
static const struct fake_trigger *trigger(int host, const char *what, int id, const char *call)
{
	for (unsigned i = 0; w.script && w.script[i].what && i < 64; i++) {
		const struct fake_trigger *t = &w.script[i];
		if (t->host != host || strcmp(t->what, what) != 0 || w.spent[i])
			continue;
		int64_t now = clock_us();
		for (const struct fake_ev *ev = t->evs; ev->kind; ev++) {
			struct fake_ev e = *ev;
			if (e.kind == FAKE_REPORT)
				e.host = host;
			add_due(&e, now, id, call);
		}
		/* A trigger with once set is spent (a second command of that name gets the default). */
		w.spent[i] = t->once;
		rearm();
		return t;
	}
	return NULL;
}

static int fault(int host, const char *what)
{
	const struct fake_trigger *t = trigger(host, what, 0, NULL);
	return t ? -t->fail : 0;
}

/* ---- the sandbox ---- */

struct netns_sandbox {
	int unused;
};

int __wrap_netns_sandbox_new_topology(unsigned nhosts, int topology, struct netns_sandbox **ret)
{
	static struct netns_sandbox sb;

	*ret = &sb;
	return 0;
}

void __wrap_netns_sandbox_free(struct netns_sandbox *sb) {}
const char *__wrap_netns_new_error(void) { return "fake"; }
const char *__wrap_netns_last_error(const struct netns_sandbox *sb) { return "fake failure"; }
int __wrap_netns_fd(const struct netns_sandbox *sb, int host) { return -1; }

struct ktrace;

/* The fake world has no kernel to trace (as a build without the tracer). */
int __wrap_ktrace_new(int64_t origin_us, struct ktrace **ret, char *why, size_t len)
{
	snprintf(why, len, "kernel reasons unavailable: the fake world has no kernel");
	return -EOPNOTSUPP;
}
bool __wrap_netns_netem_available(void) { return false; }

const char *__wrap_netns_addr(const struct netns_sandbox *sb, int host, int family, char buf[64])
{
	snprintf(buf, 64, "198.18.0.%d", host + 2);
	return buf;
}

int __wrap_netns_blackhole(struct netns_sandbox *sb, int host, bool on)
{
	return fault(host, on ? "blackhole" : "unblackhole");
}

int __wrap_netns_netem_blackhole(struct netns_sandbox *sb, int host, bool on)
{
	return -EOPNOTSUPP;
}

int __wrap_netns_hold(struct netns_sandbox *sb, int host, bool on) { return fault(host, on ? "hold" : "release"); }
int __wrap_netns_unreachable(struct netns_sandbox *sb, int host, int how) { return fault(host, "unreachable"); }
int __wrap_netns_nft(struct netns_sandbox *sb, int host, const char *cmd) { return fault(host, "nft"); }
int __wrap_netns_quickack(struct netns_sandbox *sb, int host, bool on) { return fault(host, "quickack"); }
int __wrap_netns_rto_min(struct netns_sandbox *sb, int host, unsigned ms) { return fault(host, "rto-min"); }

int __wrap_netns_sysctl_set(struct netns_sandbox *sb, int host, const char *key, const char *value)
{
	return fault(host, "sysctl");
}

int __wrap_netns_host_reboot(struct netns_sandbox *sb, int host)
{
	return fault(host, "reboot");
}

/* The latest state of each scripted socket of host that is due. */
int __wrap_netns_sockets(struct netns_sandbox *sb, int host, struct netns_sock *out, unsigned max)
{
	int64_t now = clock_us();
	unsigned n = 0;

	if (fault(host, "sockets") < 0)
		return (int)(NETNS_MAX_SOCKS + 1);
	for (unsigned i = 0; i < w.ndue; i++) {
		const struct due *d = &w.due[i];
		if (d->ev.kind != FAKE_STATE || d->ev.host != host || d->at_us > now)
			continue;
		unsigned k;
		for (k = 0; k < n && !(out[k].sport == d->ev.sport && out[k].dport == d->ev.dport); k++)
			;
		if (k == n && n < max)
			n++;
		if (k < max)
			out[k] = (struct netns_sock){ .family = 2, .state = (uint8_t)d->ev.state,
						      .sport = d->ev.sport, .dport = d->ev.dport };
	}
	/* A state of 0 removes the socket. */
	unsigned k = 0;
	for (unsigned i = 0; i < n; i++)
		if (out[i].state)
			out[k++] = out[i];
	return (int)k;
}

int __wrap_netns_counter(struct netns_sandbox *sb, int host, const char *name, long long *ret)
{
	int64_t now = clock_us();

	*ret = 0;
	for (unsigned i = 0; i < w.ndue; i++) {
		const struct due *d = &w.due[i];
		if (d->ev.kind == FAKE_COUNTER && d->ev.host == host && d->at_us <= now && strcmp(d->ev.name, name) == 0)
			*ret = d->ev.value;
	}
	return strcmp(name, "Tcp.Missing") == 0 ? -ENOENT : 0;
}

/* ---- the peers ---- */

int __wrap_peer_spawn(const char *path, int netns_fd, const char *name, struct peer **ret)
{
	static const char *const names[] = { "client", "server", "proxy", "other" };
	int host = 0;
	struct peer *p;

	while (host < 3 && strcmp(names[host], name) != 0)
		host++;
	if (fault(host, "spawn") < 0)
		return -ENOENT;
	if (!(p = calloc(1, sizeof *p)))
		return -ENOMEM;
	p->host = host;
	p->ctl = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
	p->pid = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
	w.peers[host] = p;
	*ret = p;
	return 0;
}

void __wrap_peer_free(struct peer *p)
{
	if (!p)
		return;
	if (w.peers[p->host] == p)
		w.peers[p->host] = NULL;
	/* What was due to it will never be taken. */
	for (unsigned i = 0; i < w.ndue; i++)
		if (w.due[i].ev.kind == FAKE_REPORT && w.due[i].ev.host == p->host)
			w.due[i].done = true;
	close(p->ctl);
	close(p->pid);
	free(p);
}

int __wrap_peer_control_fd(const struct peer *p) { return p->ctl; }
int __wrap_peer_pidfd(const struct peer *p) { return p->pid; }

/* A command: the script's reports for it, else success at once (a 'probe', and the 'hello' each
 * new peer is sent before the steps, are refused at once, as the real peer refuses an op it does
 * not know, unless the script makes the peer hang). */
int __wrap_peer_send(struct peer *p, const char *sock, const char *line)
{
	char op[32];
	int id = ++p->next_id;

	if (p->death_at && clock_us() >= p->death_at)
		return -EPIPE;
	snprintf(op, sizeof op, "%.*s", (int)strcspn(line, " "), line);
	const struct fake_trigger *t = trigger(p->host, op, id, NULL);
	if (t) {
		/* Names the call in its reports; a hang has none. */
		for (unsigned i = 0; i < w.ndue; i++)
			if (w.due[i].id == id && w.due[i].ev.kind == FAKE_REPORT && w.due[i].ev.host == p->host && !w.due[i].call[0])
				snprintf(w.due[i].call, sizeof w.due[i].call, "%s", t->call ? t->call : t->what);
		return id;
	}
	struct fake_ev ev = { .kind = FAKE_REPORT, .host = p->host };
	if (strcmp(op, "crash") == 0) {
		/* A real invalid memory access: no report, a death by SIGSEGV. */
		ev = (struct fake_ev){ .kind = FAKE_DEATH, .host = p->host, .sig = SIGSEGV };
		add_due(&ev, clock_us(), 0, NULL);
		return id;
	}
	if (strcmp(op, "probe") == 0 || strcmp(op, "hello") == 0)
		ev.refuse = true;
	add_due(&ev, clock_us(), id, strcmp(op, "listen") == 0 ? "listen" : op);
	rearm();
	return id;
}

int __wrap_peer_recv(struct peer *p, struct peer_report *ret)
{
	int64_t now = clock_us();
	uint64_t ticks;

	(void) !read(p->ctl, &ticks, sizeof ticks);
	if (p->reaped)
		return -EPIPE;
	/* A report, then the command's end: an 'R' and a 'D' (or an 'E' and a 'D'). */
	for (unsigned i = 0; i < w.ndue; i++) {
		struct due *d = &w.due[i];
		if (d->done || d->ev.kind != FAKE_REPORT || d->ev.host != p->host || d->at_us > now)
			continue;
		if (d->ev.hang) {
			d->done = true;
			continue;
		}
		memset(ret, 0, sizeof *ret);
		ret->id = d->id;
		snprintf(ret->sock, sizeof ret->sock, "main");
		if (d->ev.refuse && d->ev.kind == FAKE_REPORT && !d->done) {
			ret->kind = 'E';
			snprintf(ret->text, sizeof ret->text, "unknown operation");
		} else {
			ret->kind = 'R';
			snprintf(ret->call, sizeof ret->call, "%s", d->call[0] ? d->call : "call");
			ret->ret = d->ev.ret;
			ret->err = d->ev.err;
			ret->t_us = (uint64_t)d->at_us;
		}
		/* The 'D' follows at once: the same entry, turned into a done marker. */
		d->ev.refuse = false;
		d->ev.hang = false;
		d->ev.kind = FAKE_DONE;
		return 1;
	}
	for (unsigned i = 0; i < w.ndue; i++) {
		struct due *d = &w.due[i];
		if (d->done || d->ev.kind != FAKE_DONE || d->ev.host != p->host || d->at_us > now)
			continue;
		memset(ret, 0, sizeof *ret);
		ret->kind = 'D';
		ret->id = d->id;
		d->done = true;
		rearm();
		return 1;
	}
	rearm();
	return 0;
}

int __wrap_peer_signal(struct peer *p, int sig)
{
	if (p->reaped)
		return -ESRCH;
	/* Unscripted, a signal kills at once (a reboot's SIGKILL, a liveness probe's). */
	if (!trigger(p->host, "kill", 0, NULL)) {
		struct fake_ev ev = { .kind = FAKE_DEATH, .host = p->host, .sig = sig };
		add_due(&ev, clock_us(), 0, NULL);
	}
	return 0;
}

int __wrap_peer_reap(struct peer *p, bool *ret_dead, int *ret_status)
{
	if (!p->reaped && p->death_at && clock_us() >= p->death_at)
		p->reaped = true;
	*ret_dead = p->reaped;
	if (p->reaped && ret_status)
		*ret_status = p->status & 0x7f;
	return 0;
}

/* ---- the wire ---- */

int __wrap_capture_open_wire(struct netns_sandbox *sb, const char *pcap_path, size_t ring, unsigned snaplen,
			     struct capture **ret, char *err, size_t errlen)
{
	struct capture *c = calloc(1, sizeof *c);

	if (!c)
		return -ENOMEM;
	c->fd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
	w.cap = c;
	*ret = c;
	trigger(0, "start", 0, NULL);
	return 0;
}

void __wrap_capture_free(struct capture *c)
{
	if (!c)
		return;
	w.cap = NULL;
	close(c->fd);
	free(c->pkts);
	free(c);
}

int __wrap_capture_fd(const struct capture *c) { return c->fd; }

int __wrap_capture_poll(struct capture *c, int64_t origin_us)
{
	int64_t now = clock_us();
	uint64_t ticks;
	int added = 0;

	(void) !read(c->fd, &ticks, sizeof ticks);
	for (unsigned i = 0; i < w.ndue; i++) {
		struct due *d = &w.due[i];
		if (d->done || d->ev.kind != FAKE_PACKET || d->at_us > now)
			continue;
		d->done = true;
		if (c->n == c->cap) {
			c->cap = c->cap ? 2 * c->cap : 16;
			c->pkts = realloc(c->pkts, c->cap * sizeof *c->pkts);
		}
		struct packet *p = &c->pkts[c->n++];
		*p = (struct packet){ .t_ms = (double)(d->at_us - origin_us) / 1000.0, .family = 2,
				      .from = d->ev.from, .to = d->ev.to, .sport = d->ev.sport, .dport = d->ev.dport,
				      .len = (uint32_t)d->ev.value, .seq = d->ev.seq, .ack = d->ev.ack,
				      .untimed = d->ev.untimed };
		c->untimed += d->ev.untimed;
		snprintf(p->flags, sizeof p->flags, "%s", d->ev.flags);
		added++;
	}
	rearm();
	return added;
}

size_t __wrap_capture_count(const struct capture *c) { return c->n; }
const struct packet *__wrap_capture_packet(const struct capture *c, size_t i) { return i < c->n ? &c->pkts[i] : NULL; }

void __wrap_capture_stats(struct capture *c, unsigned *ret_recv, unsigned *ret_drop)
{
	*ret_recv = (unsigned)c->n + w.drops;
	*ret_drop = w.drops;
}

unsigned __wrap_capture_lost(const struct capture *c)
{
	return 0;
}

unsigned __wrap_capture_untimed(const struct capture *c)
{
	return c->untimed;
}

double __wrap_capture_lag_max_ms(const struct capture *c, size_t *ret_index)
{
	*ret_index = 0;
	return 0;
}

/* A reboot reopens its host's tap on the wire capture: nothing to do in this world. */
int __wrap_capture_tap(struct capture *c, int host, char *err, size_t errlen)
{
	return 0;
}

void __wrap_capture_untap(struct capture *c, int host)
{
}

void fake_world_drops(unsigned n)
{
	next_drops = n;
}
