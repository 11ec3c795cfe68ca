/* SPDX-License-Identifier: MIT */
/*
 * The kernel tracer (ktrace.h): loads the BPF program (bpf/ktrace.bpf.c) through its skeleton,
 * tells it which namespaces to watch, and turns what it hands over into records on the run's
 * clock. Runs in the run's worker process, single-threaded.
 *
 * Names are the running kernel's own, read from its BTF when the tracer loads, never a table of
 * ours: a reset's reason from enum sk_rst_reason, a drop's from enum skb_drop_reason, a
 * congestion state from enum tcp_ca_state. Tracepoints whose arguments changed between kernels
 * (tcp_send_reset got its reason in 6.10, kfree_skb its reason in 5.17) have a program per
 * shape; the one matching this kernel's tracepoint (its btf_trace_* prototype) is loaded, and on
 * an older kernel the field is absent, never guessed.
 *
 * A socket handed to a timewait socket: the BPF side reports the timewait socket's timer start
 * (no tracepoint marks the handover), and take() turns the full socket's move to CLOSE that
 * follows into a move to the timewait socket's state, as ss shows it. Its end (its timer fired,
 * or was stopped: a new connection took its 4-tuple) is its move to CLOSE; a stop that a start
 * follows was a restart, and that move is taken back.
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config.h"
#include "ktrace.h"
#include "report.h"

#if TCPFAULT_KTRACE

#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>
#include <linux/types.h>

#include "ktrace-event.h"
#include "ktrace.skel.h"

#define KTRACE_MAX_HOSTS 16
#define TCP_CLOSE_STATE 7                 /* TCP_CLOSE of include/net/tcp_states.h */
#define TCP_SYN_SENT_STATE 2
#define TCP_SYN_RECV_STATE 3
#define TCP_CA_RECOVERY_STATE 3           /* enum tcp_ca_state: a uapi value, never renumbered */
#define TCP_CA_LOSS_STATE 4
#define KTRACE_MAX_TW 64
#define KTRACE_MAX_NAMES 512

/* An enum of the kernel's, by value: names without the enum's prefix. */
struct names {
	char *v[KTRACE_MAX_NAMES];
};

/* What the kernel's BTF says, read once per process (ktrace_prepare) and kept for its life (the
 * workers forked after inherit it). */
static struct {
	bool read;
	int err;                          /* -errno: no BTF */
	int rst_args, drop_args, rtx_args; /* tcp_send_reset's, kfree_skb's, tcp_retransmit_skb's arguments */
	struct names rst, drop, ca;
} kernel;

/* The tracer itself, loaded and attached once per process (ktrace_prepare, in the controller;
 * else by the first ktrace_new) and inherited by the workers forked after: loading parses the
 * kernel's BTF and runs the verifier, some 100 ms of CPU (2,959 page faults: most of it is the
 * first touch of the parser's memory, in a fresh process each time). Each run has a ring of its
 * own, in the shared map rings under the ring's map id, and its namespaces in netns_hosts name
 * that ring: runs at once never see each other's records. */
static struct {
	struct ktrace_bpf *skel;
	int err;                          /* -errno: it could not be loaded (why says why) */
	char why[200];
	int owners_fd;                    /* ring id -> the PID (the controller's) of the worker it is in */
	__u32 owner;                      /* this process's PID as the controller sees it; 0: getpid() */
} tracer = { .owners_fd = -1 };

struct ktrace {
	struct ring_buffer *rb;
	int ring_fd;
	__u32 ring_id;                    /* the ring's map id: its key in rings, the watch's ring */
	int64_t origin_us;
	__u32 inode[KTRACE_MAX_HOSTS];    /* the namespace watched for each host; 0: none */
	bool rst_reasons, drop_reasons;
	struct ktrace_record *v;
	size_t n, cap;
	struct tw {
		int host, state;
		__u16 sport, dport;
		bool pending;             /* its full socket's move to CLOSE has not come yet */
		bool replaced;            /* a new socket on its ports came while it lived */
		long end;                 /* its move to CLOSE (its timer stopped): that record; -1: none */
	} tw[KTRACE_MAX_TW];              /* timewait sockets seen (their timer started); host -1: free */
	int err;                          /* out of memory while taking records in */
};

static int quiet(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	/* libbpf's messages would go to the worker's stderr (ktrace_new says why it failed), unless
	 * asked for: TCPFAULT_KTRACE_DEBUG set shows the loader's log. */
	if (getenv("TCPFAULT_KTRACE_DEBUG"))
		vfprintf(stderr, fmt, ap);
	return 0;
}

/* The enum called name in btf, its values' names without prefix (and lowercased if asked). */
static void read_enum(const struct btf *btf, const char *name, const char *prefix, bool lower, struct names *ret)
{
	__s32 id = btf__find_by_name_kind(btf, name, BTF_KIND_ENUM);
	const struct btf_type *t = id > 0 ? btf__type_by_id(btf, id) : NULL;

	if (!t)
		return;
	const struct btf_enum *e = btf_enum(t);
	for (unsigned i = 0; i < btf_vlen(t); i++) {
		const char *s = btf__name_by_offset(btf, e[i].name_off);
		if (!s || e[i].val < 0 || e[i].val >= KTRACE_MAX_NAMES || ret->v[e[i].val])
			continue;
		if (strncmp(s, prefix, strlen(prefix)) == 0)
			s += strlen(prefix);
		if (!(ret->v[e[i].val] = strdup(s)))
			continue;
		for (char *c = ret->v[e[i].val]; lower && *c; c++)
			*c = (char)tolower((unsigned char)*c);
	}
}

/* How many arguments the tracepoint passes (its btf_trace_NAME prototype, less the context);
 * -1 if this kernel has no such tracepoint. */
static int tracepoint_args(const struct btf *btf, const char *tp)
{
	char name[96];

	snprintf(name, sizeof name, "btf_trace_%s", tp);
	__s32 id = btf__find_by_name_kind(btf, name, BTF_KIND_TYPEDEF);
	const struct btf_type *t = id > 0 ? btf__type_by_id(btf, id) : NULL;
	if (t)
		t = btf__type_by_id(btf, t->type);        /* a pointer */
	if (t && btf_is_ptr(t))
		t = btf__type_by_id(btf, t->type);        /* to the prototype */
	return t && btf_is_func_proto(t) ? (int)btf_vlen(t) - 1 : -1;
}

static const char *name_of(const struct names *n, int v)
{
	return v >= 0 && v < KTRACE_MAX_NAMES ? n->v[v] : NULL;
}

/* The timewait socket known on those ports of that host, or NULL. */
static struct tw *tw_of(struct ktrace *kt, const struct ktrace_event *e)
{
	for (int i = 0; i < KTRACE_MAX_TW; i++)
		if (kt->tw[i].host == (int)e->host && kt->tw[i].sport == e->sport && kt->tw[i].dport == e->dport)
			return &kt->tw[i];
	return NULL;
}

/* Which retransmission: a handshake's by the socket's state; after an RTO tcp_enter_loss() has
 * put the socket in Loss before it retransmits; a fast retransmission is sent in Recovery (a
 * duplicate ACK can bring it while the loss probe timer is still the pending one, so Recovery
 * is asked first); a tail loss probe runs with the loss probe timer still pending (the RTO path
 * clears it). Anything else (Open or Disorder without a probe pending) is not told. */
static const char *retransmit_kind(const struct ktrace_event *e)
{
	if (e->a == TCP_SYN_SENT_STATE)
		return RESULT_RTX_SYN;
	if (e->a == TCP_SYN_RECV_STATE)
		return RESULT_RTX_SYNACK;
	if (e->b == TCP_CA_LOSS_STATE)
		return RESULT_RTX_RTO;
	if (e->b == TCP_CA_RECOVERY_STATE)
		return RESULT_RTX_FAST;
	if (e->flags & KTRACE_LOSS_PROBE)
		return RESULT_RTX_TLP;
	return NULL;
}

static int take(void *ctx, void *data, size_t size)
{
	struct ktrace *kt = ctx;
	const struct ktrace_event *e = data;

	if (size < sizeof *e)
		return 0;
	if (kt->n == kt->cap) {
		size_t c = kt->cap ? 2 * kt->cap : 256;
		struct ktrace_record *grown = realloc(kt->v, c * sizeof *grown);
		if (!grown) {
			kt->err = -ENOMEM;
			return 0;
		}
		kt->v = grown;
		kt->cap = c;
	}
	struct ktrace_record *r = &kt->v[kt->n];
	*r = (struct ktrace_record){ .host = (int)e->host, .sport = e->sport, .dport = e->dport,
				     .t_ms = ((double)(int64_t)(e->t_ns / 1000) - (double)kt->origin_us) / 1000.0 };
	switch (e->kind) {
	case KTRACE_EV_STATE: {
		r->what = KTRACE_TRANSITION;
		r->from = e->a;
		r->to = e->b;
		struct tw *w = tw_of(kt, e);
		if (!w)
			break;
		if (e->b == TCP_CLOSE_STATE && w->pending) {
			/* Handed to a timewait socket a moment ago (its timer started): the socket goes
			 * on in that one's state, as ss shows it, rather than to CLOSE; from FIN-WAIT-2
			 * to a FIN-WAIT-2 timewait socket nothing changes that ss would show. */
			w->pending = false;
			if (e->a == w->state)
				return 0;
			r->to = w->state;
		} else if (w->end >= 0) {
			w->host = -1;     /* a new socket on the same ports: that timewait socket is gone */
		} else {
			/* A new socket on the same ports, the timewait socket not gone yet: a connect()
			 * taking it over moves to SYN-SENT before it stops the timer. */
			w->replaced = true;
		}
		break;
	}
	case KTRACE_EV_TIMEWAIT: {
		struct tw *w = tw_of(kt, e);
		if (w && w->replaced) {
			/* A new timewait socket on the ports of one a new socket replaced. */
			*w = (struct tw){ .host = (int)e->host, .sport = e->sport, .dport = e->dport, .state = e->a,
					  .pending = true, .end = -1 };
			return 0;
		}
		if (!w) {
			/* A new one: remembered for its full socket's move that follows. */
			for (int i = 0; i < KTRACE_MAX_TW && !w; i++)
				if (kt->tw[i].host < 0)
					w = &kt->tw[i];
			if (!w)
				w = &kt->tw[e->sport % KTRACE_MAX_TW];   /* full: forget one */
			*w = (struct tw){ .host = (int)e->host, .sport = e->sport, .dport = e->dport, .state = e->a,
					  .pending = true, .end = -1 };
			return 0;
		}
		if (w->end >= 0) {
			kt->v[w->end].what = KTRACE_NONE;   /* stopped to be restarted: not its end */
			w->end = -1;
		}
		if (w->state == e->a)
			return 0;         /* its timer restarted, in the same state */
		/* A FIN-WAIT-2 timewait socket got the peer's FIN: TIME-WAIT. */
		r->what = KTRACE_TRANSITION;
		r->from = w->state;
		r->to = w->state = e->a;
		break;
	}
	case KTRACE_EV_TIMEWAIT_END: {
		struct tw *w = tw_of(kt, e);
		if (!w || w->end >= 0)
			return 0;         /* not one we know; or already ended (an expiry: stopped, then run) */
		/* From the state it has now: a FIN-WAIT-2 timewait socket's move to TIME-WAIT may have
		 * come unseen (its timer's new expiry in the same wheel bucket: no restart). */
		r->what = KTRACE_TRANSITION;
		r->from = e->a;
		r->to = TCP_CLOSE_STATE;
		w->state = e->a;
		if (w->replaced)
			w->host = -1;     /* no restart can follow: it is gone */
		else
			w->end = (long)kt->n;
		break;
	}
	case KTRACE_EV_SEND_RST:
		r->what = KTRACE_RESET;
		if (e->flags & KTRACE_HAS_REASON)
			r->reason = name_of(&kernel.rst, e->a);
		break;
	case KTRACE_EV_RECV_RST:
		r->what = KTRACE_RESET_RECEIVED;
		break;
	case KTRACE_EV_RETRANS:
		r->what = KTRACE_RETRANSMIT;
		r->to = e->a;
		r->reason = name_of(&kernel.ca, e->b);
		r->seq = e->seq;
		r->kind = retransmit_kind(e);
		break;
	case KTRACE_EV_RETRANS_SYNACK:
		r->what = KTRACE_RETRANSMIT;
		r->to = TCP_SYN_RECV_STATE;
		r->seq = e->seq;
		r->kind = RESULT_RTX_SYNACK;
		break;
	case KTRACE_EV_DROP:
		r->what = KTRACE_DROP;
		r->reason = name_of(&kernel.drop, e->a);
		break;
	default:
		return 0;
	}
	kt->n++;
	return 0;
}

static void read_kernel(void)
{
	struct btf *btf = btf__load_vmlinux_btf();

	kernel.read = true;
	if (!btf) {
		kernel.err = -errno;
		return;
	}
	kernel.rst_args = tracepoint_args(btf, "tcp_send_reset");
	kernel.drop_args = tracepoint_args(btf, "kfree_skb");
	kernel.rtx_args = tracepoint_args(btf, "tcp_retransmit_skb");
	read_enum(btf, "sk_rst_reason", "SK_RST_REASON_", false, &kernel.rst);
	read_enum(btf, "skb_drop_reason", "SKB_DROP_REASON_", false, &kernel.drop);
	read_enum(btf, "tcp_ca_state", "TCP_CA_", true, &kernel.ca);
	btf__free(btf);
}

/* Loads and attaches the tracer for this process and its workers; 0 or -errno (tracer.why). */
static int tracer_load(void)
{
	int e;

	if (tracer.skel || tracer.err)
		return tracer.err;
	if (kernel.err < 0) {
		e = kernel.err;
		snprintf(tracer.why, sizeof tracer.why, "kernel reasons unavailable: no kernel BTF (%s)", strerror(-e));
		goto fail;
	}
	if (!(tracer.skel = ktrace_bpf__open())) {
		e = -errno;
		snprintf(tracer.why, sizeof tracer.why, "kernel reasons unavailable: opening the tracer: %s", strerror(-e));
		goto fail;
	}
	bpf_program__set_autoload(tracer.skel->progs.ktrace_send_reset, kernel.rst_args >= 3);
	bpf_program__set_autoload(tracer.skel->progs.ktrace_send_reset_noreason, kernel.rst_args == 2);
	bpf_program__set_autoload(tracer.skel->progs.ktrace_drop, kernel.drop_args >= 3);
	bpf_program__set_autoload(tracer.skel->progs.ktrace_retransmit_err, kernel.rtx_args >= 3);
	bpf_program__set_autoload(tracer.skel->progs.ktrace_retransmit, kernel.rtx_args == 2);
	if ((e = ktrace_bpf__load(tracer.skel)) < 0) {
		if (e == -EPERM || e == -EACCES)
			snprintf(tracer.why, sizeof tracer.why, "kernel reasons unavailable: needs root (loading the BPF tracer: %s)",
				 strerror(-e));
		else
			snprintf(tracer.why, sizeof tracer.why, "kernel reasons unavailable: loading the BPF tracer: %s", strerror(-e));
		goto fail;
	}
	if ((e = ktrace_bpf__attach(tracer.skel)) < 0) {
		snprintf(tracer.why, sizeof tracer.why, "kernel reasons unavailable: attaching the BPF tracer: %s", strerror(-e));
		goto fail;
	}
	/* A map of userspace's alone (no BPF program reads it): whose each ring is, so that the
	 * controller can take a killed worker's rings out (ktrace_forget). Without it, nothing
	 * is remembered, and nothing else changes. */
	tracer.owners_fd = bpf_map_create(BPF_MAP_TYPE_HASH, "ktrace_owners", sizeof(__u32), sizeof(__u32), 1024, NULL);
	return 0;
fail:
	ktrace_bpf__destroy(tracer.skel);
	tracer.skel = NULL;
	return tracer.err = e < 0 ? e : -EIO;
}

void ktrace_prepare(void)
{
	if (!kernel.read && geteuid() == 0) {
		libbpf_set_print(quiet);
		read_kernel();
		tracer_load();
	}
}

int ktrace_new(int64_t origin_us, struct ktrace **ret, char *why, size_t len)
{
	struct ktrace *kt = calloc(1, sizeof *kt);
	struct bpf_map_info info = { 0 };
	__u32 info_len = sizeof info;
	__u64 zero = 0;
	int e;

	if (!kt)
		return -ENOMEM;
	kt->origin_us = origin_us;
	kt->ring_fd = -1;
	for (int i = 0; i < KTRACE_MAX_TW; i++)
		kt->tw[i].host = -1;
	libbpf_set_print(quiet);
	if (!kernel.read)
		read_kernel();
	if ((e = tracer_load()) < 0) {
		snprintf(why, len, "%s", tracer.why);
		goto fail;
	}
	kt->rst_reasons = kernel.rst_args >= 3;
	kt->drop_reasons = kernel.drop_args >= 3;
	if ((kt->ring_fd = bpf_map_create(BPF_MAP_TYPE_RINGBUF, "ktrace_ring", 0, 0, KTRACE_RING_BYTES, NULL)) < 0 ||
	    bpf_obj_get_info_by_fd(kt->ring_fd, &info, &info_len) < 0) {
		e = -errno;
		snprintf(why, len, "kernel reasons unavailable: the tracer's ring: %s", strerror(-e));
		goto fail;
	}
	kt->ring_id = info.id;
	__u32 owner = tracer.owner ? tracer.owner : (__u32)getpid();
	if (tracer.owners_fd >= 0)
		bpf_map_update_elem(tracer.owners_fd, &kt->ring_id, &owner, BPF_ANY);   /* else not forgotten if killed */
	if ((e = bpf_map__update_elem(tracer.skel->maps.lost, &kt->ring_id, sizeof kt->ring_id, &zero, sizeof zero, BPF_ANY)) < 0 ||
	    (e = bpf_map__update_elem(tracer.skel->maps.rings, &kt->ring_id, sizeof kt->ring_id, &kt->ring_fd,
				      sizeof kt->ring_fd, BPF_ANY)) < 0) {
		snprintf(why, len, "kernel reasons unavailable: the tracer's ring: %s", strerror(-e));
		goto fail;
	}
	if (!(kt->rb = ring_buffer__new(kt->ring_fd, take, kt, NULL))) {
		e = -errno;
		snprintf(why, len, "kernel reasons unavailable: the tracer's ring: %s", strerror(-e));
		goto fail;
	}
	*ret = kt;
	return 0;
fail:
	ktrace_free(kt);
	return e < 0 ? e : -EIO;
}

/* Host's namespace out of netns_hosts, if the entry there is still this ring's: once that
 * namespace is gone its inode may be another run's (the kernel hands out the lowest free). */
static void unwatch(struct ktrace *kt, int host)
{
	struct ktrace_watch w;

	if (kt->inode[host] && tracer.skel &&
	    bpf_map__lookup_elem(tracer.skel->maps.netns_hosts, &kt->inode[host], sizeof kt->inode[host], &w, sizeof w, 0) == 0 &&
	    w.ring == kt->ring_id)
		bpf_map__delete_elem(tracer.skel->maps.netns_hosts, &kt->inode[host], sizeof kt->inode[host], 0);
	kt->inode[host] = 0;
}

int ktrace_watch(struct ktrace *kt, int host, int netns_fd)
{
	struct stat st;

	if (host < 0 || host >= KTRACE_MAX_HOSTS)
		return -EINVAL;
	if (fstat(netns_fd, &st) < 0)
		return -errno;
	unwatch(kt, host);                /* the namespace it replaces (a reboot) */
	kt->inode[host] = (__u32)st.st_ino;
	struct ktrace_watch w = { .ring = kt->ring_id, .host = (__u32)host };
	int e = bpf_map__update_elem(tracer.skel->maps.netns_hosts, &kt->inode[host], sizeof kt->inode[host], &w, sizeof w, BPF_ANY);
	return e < 0 ? e : 0;
}

int ktrace_fd(const struct ktrace *kt)
{
	return ring_buffer__epoll_fd(kt->rb);
}

int ktrace_poll(struct ktrace *kt)
{
	size_t before = kt->n;
	int e = ring_buffer__consume(kt->rb);

	if (e < 0)
		return e;
	if (kt->err)
		return kt->err;
	return (int)(kt->n - before);
}

size_t ktrace_count(const struct ktrace *kt)
{
	return kt->n;
}

const struct ktrace_record *ktrace_get(const struct ktrace *kt, size_t i)
{
	return i < kt->n ? &kt->v[i] : NULL;
}

unsigned long long ktrace_lost(const struct ktrace *kt)
{
	__u64 n = 0;

	bpf_map__lookup_elem(tracer.skel->maps.lost, &kt->ring_id, sizeof kt->ring_id, &n, sizeof n, 0);
	return n;
}

bool ktrace_has_reset_reasons(const struct ktrace *kt)
{
	return kt->rst_reasons;
}

bool ktrace_knows_reset_reason(const struct ktrace *kt, const char *name)
{
	for (int i = 0; i < KTRACE_MAX_NAMES; i++)
		if (kernel.rst.v[i] && strcmp(kernel.rst.v[i], name) == 0)
			return true;
	return false;
}

void ktrace_unwatch(struct ktrace *kt)
{
	for (int h = 0; h < KTRACE_MAX_HOSTS; h++)
		unwatch(kt, h);
}

void ktrace_restart(struct ktrace *kt, int64_t origin_us)
{
	__u64 zero = 0;

	ktrace_unwatch(kt);
	ring_buffer__consume(kt->rb);
	kt->n = 0;
	kt->err = 0;
	for (int i = 0; i < KTRACE_MAX_TW; i++)
		kt->tw[i].host = -1;
	bpf_map__update_elem(tracer.skel->maps.lost, &kt->ring_id, sizeof kt->ring_id, &zero, sizeof zero, BPF_ANY);
	kt->origin_us = origin_us;
}

void ktrace_free(struct ktrace *kt)
{
	if (!kt)
		return;
	/* Its namespaces and its ring out of the shared maps (the tracer stays for other runs). */
	ktrace_unwatch(kt);
	if (tracer.skel && kt->ring_id) {
		bpf_map__delete_elem(tracer.skel->maps.rings, &kt->ring_id, sizeof kt->ring_id, 0);
		bpf_map__delete_elem(tracer.skel->maps.lost, &kt->ring_id, sizeof kt->ring_id, 0);
		if (tracer.owners_fd >= 0)
			bpf_map_delete_elem(tracer.owners_fd, &kt->ring_id);
	}
	ring_buffer__free(kt->rb);
	if (kt->ring_fd >= 0)
		close(kt->ring_fd);
	free(kt->v);
	free(kt);
}

void ktrace_owner(pid_t pid)
{
	tracer.owner = (__u32)pid;
}

void ktrace_forget(pid_t pid)
{
	__u32 key, next, owner, gone[64];
	unsigned n = 0;
	struct ktrace_watch w;

	if (!tracer.skel || tracer.owners_fd < 0)
		return;
	/* Bounded: the map holds at most 1024 rings, a worker a few. */
	for (int i = 0; i < 1024 && n < 64 && bpf_map_get_next_key(tracer.owners_fd, i ? &key : NULL, &next) == 0; i++) {
		key = next;
		if (bpf_map_lookup_elem(tracer.owners_fd, &key, &owner) == 0 && owner == (__u32)pid)
			gone[n++] = key;
	}
	for (unsigned k = 0; k < n; k++) {
		bpf_map__delete_elem(tracer.skel->maps.rings, &gone[k], sizeof gone[k], 0);
		bpf_map__delete_elem(tracer.skel->maps.lost, &gone[k], sizeof gone[k], 0);
		bpf_map_delete_elem(tracer.owners_fd, &gone[k]);
	}
	/* Its namespaces are gone with it (its sandbox): entries naming its rings. Deleting the
	 * current key would restart the walk, so each is deleted once the walk has passed it. */
	bool have = false, drop = false;
	int hosts = bpf_map__fd(tracer.skel->maps.netns_hosts);
	for (int i = 0; n && i < 4096 && bpf_map_get_next_key(hosts, have ? &key : NULL, &next) == 0; i++) {
		if (drop)
			bpf_map_delete_elem(hosts, &key);
		key = next;
		have = true;
		drop = false;
		for (unsigned k = 0; k < n && bpf_map_lookup_elem(hosts, &key, &w) == 0; k++)
			drop |= w.ring == gone[k];
	}
	if (drop)
		bpf_map_delete_elem(hosts, &key);
}

#else /* built without libbpf, clang or bpftool */

void ktrace_prepare(void) { }

int ktrace_new(int64_t origin_us, struct ktrace **ret, char *why, size_t len)
{
	snprintf(why, len, "kernel reasons unavailable: tcpfault was built without its kernel tracer (libbpf, clang, bpftool)");
	return -EOPNOTSUPP;
}

int ktrace_watch(struct ktrace *kt, int host, int netns_fd) { return -EOPNOTSUPP; }
int ktrace_fd(const struct ktrace *kt) { return -1; }
int ktrace_poll(struct ktrace *kt) { return 0; }
size_t ktrace_count(const struct ktrace *kt) { return 0; }
const struct ktrace_record *ktrace_get(const struct ktrace *kt, size_t i) { return NULL; }
unsigned long long ktrace_lost(const struct ktrace *kt) { return 0; }
bool ktrace_has_reset_reasons(const struct ktrace *kt) { return false; }
bool ktrace_knows_reset_reason(const struct ktrace *kt, const char *name) { return false; }
void ktrace_unwatch(struct ktrace *kt) { }
void ktrace_owner(pid_t pid) { }
void ktrace_forget(pid_t pid) { }
void ktrace_restart(struct ktrace *kt, int64_t origin_us) { }
void ktrace_free(struct ktrace *kt) { }

#endif
