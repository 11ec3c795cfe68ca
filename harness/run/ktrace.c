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
 * follows into a move to the timewait socket's state, as ss shows it.
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

#if TCPFAULT_KTRACE

#include <bpf/btf.h>
#include <bpf/libbpf.h>
#include <linux/types.h>

#include "ktrace-event.h"
#include "ktrace.skel.h"

#define KTRACE_MAX_HOSTS 16
#define TCP_CLOSE_STATE 7                 /* TCP_CLOSE of include/net/tcp_states.h */
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
	int rst_args, drop_args;          /* tcp_send_reset's and kfree_skb's arguments */
	struct names rst, drop, ca;
} kernel;

struct ktrace {
	struct ktrace_bpf *skel;
	struct ring_buffer *rb;
	int64_t origin_us;
	__u32 inode[KTRACE_MAX_HOSTS];    /* the namespace watched for each host; 0: none */
	bool rst_reasons, drop_reasons;
	struct ktrace_record *v;
	size_t n, cap;
	struct tw {
		int host, state;
		__u16 sport, dport;
		bool pending;             /* its full socket's move to CLOSE has not come yet */
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
		} else {
			w->host = -1;     /* a new socket on the same ports: that timewait socket is gone */
		}
		break;
	}
	case KTRACE_EV_TIMEWAIT: {
		struct tw *w = tw_of(kt, e);
		if (!w) {
			/* A new one: remembered for its full socket's move that follows. */
			for (int i = 0; i < KTRACE_MAX_TW && !w; i++)
				if (kt->tw[i].host < 0)
					w = &kt->tw[i];
			if (!w)
				w = &kt->tw[e->sport % KTRACE_MAX_TW];   /* full: forget one */
			*w = (struct tw){ .host = (int)e->host, .sport = e->sport, .dport = e->dport, .state = e->a,
					  .pending = true };
			return 0;
		}
		if (w->state == e->a)
			return 0;         /* its timer restarted, in the same state */
		/* A FIN-WAIT-2 timewait socket got the peer's FIN: TIME-WAIT. */
		r->what = KTRACE_TRANSITION;
		r->from = w->state;
		r->to = w->state = e->a;
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
	read_enum(btf, "sk_rst_reason", "SK_RST_REASON_", false, &kernel.rst);
	read_enum(btf, "skb_drop_reason", "SKB_DROP_REASON_", false, &kernel.drop);
	read_enum(btf, "tcp_ca_state", "TCP_CA_", true, &kernel.ca);
	btf__free(btf);
}

void ktrace_prepare(void)
{
	if (!kernel.read && geteuid() == 0) {
		libbpf_set_print(quiet);
		read_kernel();
	}
}

int ktrace_new(int64_t origin_us, struct ktrace **ret, char *why, size_t len)
{
	struct ktrace *kt = calloc(1, sizeof *kt);
	int e;

	if (!kt)
		return -ENOMEM;
	kt->origin_us = origin_us;
	for (int i = 0; i < KTRACE_MAX_TW; i++)
		kt->tw[i].host = -1;
	libbpf_set_print(quiet);
	if (!kernel.read)
		read_kernel();
	if (kernel.err < 0) {
		e = kernel.err;
		snprintf(why, len, "kernel reasons unavailable: no kernel BTF (%s)", strerror(-e));
		goto fail;
	}
	kt->rst_reasons = kernel.rst_args >= 3;
	kt->drop_reasons = kernel.drop_args >= 3;
	if (!(kt->skel = ktrace_bpf__open())) {
		e = -errno;
		snprintf(why, len, "kernel reasons unavailable: opening the tracer: %s", strerror(-e));
		goto fail;
	}
	bpf_program__set_autoload(kt->skel->progs.ktrace_send_reset, kt->rst_reasons);
	bpf_program__set_autoload(kt->skel->progs.ktrace_send_reset_noreason, !kt->rst_reasons && kernel.rst_args >= 2);
	bpf_program__set_autoload(kt->skel->progs.ktrace_drop, kt->drop_reasons);

	if ((e = ktrace_bpf__load(kt->skel)) < 0) {
		if (e == -EPERM || e == -EACCES)
			snprintf(why, len, "kernel reasons unavailable: needs root (loading the BPF tracer: %s)", strerror(-e));
		else
			snprintf(why, len, "kernel reasons unavailable: loading the BPF tracer: %s", strerror(-e));
		goto fail;
	}
	if ((e = ktrace_bpf__attach(kt->skel)) < 0) {
		snprintf(why, len, "kernel reasons unavailable: attaching the BPF tracer: %s", strerror(-e));
		goto fail;
	}
	if (!(kt->rb = ring_buffer__new(bpf_map__fd(kt->skel->maps.events), take, kt, NULL))) {
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

int ktrace_watch(struct ktrace *kt, int host, int netns_fd)
{
	struct stat st;

	if (host < 0 || host >= KTRACE_MAX_HOSTS)
		return -EINVAL;
	if (fstat(netns_fd, &st) < 0)
		return -errno;
	/* The namespace it replaces is gone (a reboot): its inode may be given to another run's. */
	if (kt->inode[host])
		bpf_map__delete_elem(kt->skel->maps.netns_hosts, &kt->inode[host], sizeof kt->inode[host], 0);
	kt->inode[host] = (__u32)st.st_ino;
	__u32 h = (__u32)host;
	int e = bpf_map__update_elem(kt->skel->maps.netns_hosts, &kt->inode[host], sizeof kt->inode[host], &h, sizeof h, BPF_ANY);
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
	return kt->skel->bss->lost;
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

void ktrace_restart(struct ktrace *kt, int64_t origin_us)
{
	for (int h = 0; h < KTRACE_MAX_HOSTS; h++)
		if (kt->inode[h]) {
			bpf_map__delete_elem(kt->skel->maps.netns_hosts, &kt->inode[h], sizeof kt->inode[h], 0);
			kt->inode[h] = 0;
		}
	ring_buffer__consume(kt->rb);
	kt->n = 0;
	kt->err = 0;
	for (int i = 0; i < KTRACE_MAX_TW; i++)
		kt->tw[i].host = -1;
	kt->skel->bss->lost = 0;
	kt->origin_us = origin_us;
}

void ktrace_free(struct ktrace *kt)
{
	if (!kt)
		return;
	ring_buffer__free(kt->rb);
	ktrace_bpf__destroy(kt->skel);
	free(kt->v);
	free(kt);
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
void ktrace_restart(struct ktrace *kt, int64_t origin_us) { }
void ktrace_free(struct ktrace *kt) { }

#endif
