/* SPDX-License-Identifier: MIT */
/*
 * netns: anonymous network namespaces wired to a bridge, as netns.h describes.
 *
 * Invariants: every namespace is held only by an fd in the sandbox; the calling thread leaves
 * each function in the namespace it entered it in (enter_ns() pairs with a cleanup handler that
 * switches back on every path); rtnetlink work is done through a netlink socket created inside
 * the namespace it configures, so most of it needs no switch at all; sysctls, nftables and
 * /proc/net reads do switch, because they act on the caller's current namespace.
 *
 * Errors: the kernel's errno is captured by an error callback on every netlink socket, so
 * libnl's lossy -NLE_* codes only matter where libnl fails by itself (nle_errno()).
 *
 * Runs in whichever single thread owns the sandbox.
 */
#include "netns.h"

#include <errno.h>
#include <stddef.h>
#include <fcntl.h>
#include <sched.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <linux/if.h>
#include <linux/genetlink.h>
#include <linux/inet_diag.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/nfnetlink_conntrack.h>
#include <linux/tcp_metrics.h>
#include <linux/sock_diag.h>
#include <linux/neighbour.h>
#include <linux/rtnetlink.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <time.h>

#include <netlink/netlink.h>
#include <netlink/msg.h>
#include <netlink/route/addr.h>
#include <netlink/route/link.h>
#include <netlink/route/link/bridge.h>
#include <netlink/route/link/veth.h>
#include <netlink/route/neighbour.h>
#include <netlink/route/qdisc.h>
#include <netlink/route/qdisc/netem.h>
#include <netlink/route/route.h>
#include <nftables/libnftables.h>

#include "internal.h"

#define MAX_SYSCTLS 32
/* A bound on the harness, no kernel timer: a loaded 6.1 guest under TCG took over 2 s once. */
#define LINK_WAIT_MS 10000
#define NS_SELF "/proc/thread-self/ns/net"

struct host {
	int fd;                 /* namespace */
	struct nl_sock *nl;     /* rtnetlink, bound to that namespace */
	unsigned nsysctl;
	/* replayed after reboot; orig: its value before the first set (netns_sandbox_reset()) */
	struct { char key[96], value[64], orig[64]; } sysctl[MAX_SYSCTLS];
	bool nft, netem;        /* nft tables or a netem qdisc were made here: reset undoes them */
	bool doubt;             /* reset cannot say what it was: it makes the host anew */
	char *mib;              /* its counters (/proc/net/netstat, snmp) at the last reset, or NULL */
	bool quickack;          /* RTAX_QUICKACK on its routes; set again after reboot */
	unsigned rto_min_ms;    /* RTAX_RTO_MIN (locked) on its routes, 0: none; likewise */
	bool held;              /* netns_hold(): its neighbour entries withdrawn; a reboot ends it */
};

struct netns_sandbox {
	unsigned nhosts;
	enum netns_topology topology;
	int wire_fd;
	struct nl_sock *wire_nl;
	int br_ifindex;
	int kerr;               /* errno from the last netlink error message, 0 if none */
	bool wire_nft, wire_sysctl;  /* the wire was changed: netns_sandbox_reset() refuses */
	struct host hosts[NETNS_MAX_HOSTS];
	char err[1200];                   /* nft's whole error text fits (its lines, the carets) */
};

/* ---- cleanup helpers ---- */

static void closep(int *fd) { if (*fd >= 0) close(*fd); }
#define _cleanup_close_ __attribute__((cleanup(closep)))
#define DEFINE_PUT(type, fn) \
	static void type##_putp(struct type **p) { if (*p) fn(*p); }
DEFINE_PUT(rtnl_link, rtnl_link_put)
static void veth_putp(struct rtnl_link **p) { if (*p) rtnl_link_veth_release(*p); }
DEFINE_PUT(rtnl_addr, rtnl_addr_put)
DEFINE_PUT(rtnl_neigh, rtnl_neigh_put)
DEFINE_PUT(rtnl_qdisc, rtnl_qdisc_put)
DEFINE_PUT(rtnl_route, rtnl_route_put)
DEFINE_PUT(nl_addr, nl_addr_put)
DEFINE_PUT(nl_sock, nl_socket_free)
DEFINE_PUT(nl_cache, nl_cache_free)
DEFINE_PUT(nft_ctx, nft_ctx_free)
#define _cleanup_(type) __attribute__((cleanup(type##_putp))) struct type

/* Switches back to the namespace saved by enter_ns(). A thread stranded in a sandbox namespace
 * would run the caller's later work in the wrong place and nothing could report it, so a failed
 * switch back is fatal (setns to an fd we hold fails only on ENOMEM). */
static void leavep(int *back)
{
	if (*back < 0)
		return;
	if (setns(*back, CLONE_NEWNET) < 0)
		abort();
	close(*back);
	*back = -1;
}
#define _cleanup_leave_ __attribute__((cleanup(leavep)))

/* ---- errors ---- */

static int netns_failv(struct netns_sandbox *sb, int err, const char *fmt, va_list ap)
{
	char what[1100], ebuf[64];

	if (!sb)
		return err;
	vsnprintf(what, sizeof(what), fmt, ap);
	/* A limit of the machine is named as such: the reader may raise it (ulimit -n). */
	const char *name = err == -EMFILE ? " (EMFILE: this process's open-file limit)" :
			   err == -ENFILE ? " (ENFILE: the system's open-file limit)" :
			   err == -EAGAIN ? " (EAGAIN)" : "";
	snprintf(sb->err, sizeof(sb->err), "%s: %s%s", what, strerror_r(-err, ebuf, sizeof(ebuf)), name);
	return err;
}

int netns_fail(struct netns_sandbox *sb, int err, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	err = netns_failv(sb, err, fmt, ap);
	va_end(ap);
	return err;
}

/* The one place libnl's codes become errno: the kernel's own errno when it sent one, else the
 * closest match for libnl's code. */
static int nle_errno(struct netns_sandbox *sb, int nle)
{
	static const int map[] = {
		[NLE_INTR] = EINTR, [NLE_BAD_SOCK] = EBADF, [NLE_AGAIN] = EAGAIN,
		[NLE_NOMEM] = ENOMEM, [NLE_EXIST] = EEXIST, [NLE_INVAL] = EINVAL,
		[NLE_RANGE] = ERANGE, [NLE_MSGSIZE] = EMSGSIZE, [NLE_OPNOTSUPP] = EOPNOTSUPP,
		[NLE_AF_NOSUPPORT] = EAFNOSUPPORT, [NLE_OBJ_NOTFOUND] = ENOENT,
		[NLE_NOADDR] = EADDRNOTAVAIL, [NLE_MSG_TOOSHORT] = EBADMSG,
		[NLE_MSGTYPE_NOSUPPORT] = EOPNOTSUPP, [NLE_BUSY] = EBUSY,
		[NLE_PROTO_MISMATCH] = EPROTONOSUPPORT, [NLE_NOACCESS] = EACCES,
		[NLE_PERM] = EPERM, [NLE_NODEV] = ENODEV, [NLE_DUMP_INTR] = EINTR,
	};
	int kerr = sb ? sb->kerr : 0, sys = errno;

	if (sb)
		sb->kerr = 0;
	if (kerr > 0)
		return -kerr;
	/* libnl turns a full fd table into NLE_FAILURE ("Input/output error"); the errno its
	 * socket() left says which limit. */
	if ((nle == NLE_FAILURE || nle == -NLE_FAILURE) && (sys == EMFILE || sys == ENFILE))
		return -sys;
	nle = nle < 0 ? -nle : nle;
	if (nle > 0 && nle < (int)(sizeof(map) / sizeof(map[0])) && map[nle])
		return -map[nle];
	return -EIO;
}

static int nl_err_cb(struct sockaddr_nl *nla, struct nlmsgerr *e, void *arg)
{
	struct netns_sandbox *sb = arg;

	sb->kerr = -e->error;
	return NL_STOP;
}

/* ---- namespaces ---- */

static int enter_ns(int fd, int *ret_back)
{
	int back = open(NS_SELF, O_RDONLY | O_CLOEXEC);

	if (back < 0)
		return -errno;
	if (setns(fd, CLONE_NEWNET) < 0) {
		int r = -errno;
		close(back);
		return r;
	}
	*ret_back = back;
	return 0;
}

/* A new anonymous namespace and a socket of protocol bound to it (if ret_nl), caller's
 * namespace unchanged. */
static int ns_new(struct netns_sandbox *sb, int protocol, int *ret_fd, struct nl_sock **ret_nl)
{
	_cleanup_leave_ int back = open(NS_SELF, O_RDONLY | O_CLOEXEC);
	_cleanup_close_ int fd = -1;
	_cleanup_(nl_sock) *nl = NULL;
	int r;

	if (back < 0)
		return netns_fail(sb, -errno, "opening %s", NS_SELF);
	if (unshare(CLONE_NEWNET) < 0) {
		r = -errno;
		close(back);    /* still where we started: nothing to switch back to */
		back = -1;
		return netns_fail(sb, r, "creating a network namespace");
	}
	fd = open(NS_SELF, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return netns_fail(sb, -errno, "opening the new namespace");
	if (ret_nl) {
		nl = nl_socket_alloc();
		if (!nl)
			return netns_fail(sb, -ENOMEM, "allocating a netlink socket");
		if (sb)
			nl_socket_modify_err_cb(nl, NL_CB_CUSTOM, nl_err_cb, sb);
		errno = 0;
		r = nl_connect(nl, protocol);
		if (r < 0)
			return netns_fail(sb, nle_errno(sb, r), "opening a netlink socket");
		*ret_nl = nl;
		nl = NULL;
	}
	*ret_fd = fd;
	fd = -1;
	return 0;
}

/* ---- sysctls ---- */

const char *netns_sysctl_dir = "/proc/sys/net";

static int sysctl_path(const char *key, char *path, size_t len)
{
	/* Only net.* can be per namespace; anything else would change the whole machine. */
	if (strncmp(key, "net.", 4) || strstr(key, "..") || strchr(key, '/'))
		return -EINVAL;
	size_t dir = strlen(netns_sysctl_dir);
	if ((size_t)snprintf(path, len, "%s/%s", netns_sysctl_dir, key + 4) >= len)
		return -ENAMETOOLONG;
	for (char *p = path + dir; *p; p++)
		if (*p == '.')
			*p = '/';
	return 0;
}

/* A scratch namespace's fd (nothing in it), the calling thread left where it was. */
static int scratch_ns(void)
{
	_cleanup_leave_ int back = open(NS_SELF, O_RDONLY | O_CLOEXEC);
	int fd;

	if (back < 0)
		return -errno;
	if (unshare(CLONE_NEWNET) < 0) {
		int r = -errno;
		close(back);    /* still where we started */
		back = -1;
		return r;
	}
	fd = open(NS_SELF, O_RDONLY | O_CLOEXEC);
	return fd < 0 ? -errno : fd;
}

static bool same_file(int fd1, int fd2)
{
	struct stat a, b;

	return fstat(fd1, &a) == 0 && fstat(fd2, &b) == 0 && a.st_dev == b.st_dev && a.st_ino == b.st_ino;
}

/*
 * Whether the sysctl file open as fd in the namespace nsfd (the thread is in it) is the
 * machine's rather than that namespace's own: 0 its own, -EREMOTE the machine's, -errno when
 * it cannot tell. Nothing is written to find out. /proc/sys shows every namespace the same
 * file (one dentry, one inode) for a table registered outside any network namespace, while a
 * namespace's own table has its own files: a lookup from another namespace never reuses them
 * (proc_sys_compare() matches a dentry only where its table "is seen", and a network
 * namespace's table is seen only from that namespace). So the path is looked up from a second
 * namespace while fd holds the first one's file: the same inode is the machine's value. other
 * is the caller's namespace, or a scratch one when the caller is in nsfd itself, but for
 * net.ipv4.tcp_child_ehash_entries, which netns_own_hashes() sets there and which Linux has
 * only as a namespace's own (since 6.1, in ipv4_net_table): that scratch namespace would share
 * the machine's TCP hash table, and its teardown purges all of it (see netns_own_hashes()),
 * holding up the namespaces created meanwhile (an unshare took 0.65 s once after it). Tables a
 * namespace registers whose data is global anyway are read-only there since Linux 5.8
 * (ensure_safe_net_sysctl()), so the kernel refuses those writes itself.
 */
static int sysctl_shared(int fd, const char *key, const char *path, int nsfd, int other)
{
	_cleanup_close_ int scratch = -1, there = -1;
	int r;

	if (same_file(nsfd, other)) {
		if (strcmp(key, "net.ipv4.tcp_child_ehash_entries") == 0)
			return 0;
		scratch = scratch_ns();
		if (scratch < 0)
			return scratch;
		other = scratch;
	}
	if (setns(other, CLONE_NEWNET) < 0)
		return -errno;
	there = open(path, O_PATH | O_CLOEXEC);
	r = there < 0 ? -errno : 0;
	if (setns(nsfd, CLONE_NEWNET) < 0)
		abort();        /* the caller's cleanup would switch back to the wrong place */
	if (r == -ENOENT)
		return 0;       /* not visible elsewhere: not the machine's */
	if (r < 0)
		return r;
	return same_file(fd, there) ? -EREMOTE : 0;
}

/*
 * The backstop: keys a namespace registers as its own (so sysctl_shared() sees its own file)
 * whose handler nevertheless acts on the whole machine, with no data pointer for Linux 5.8's
 * ensure_safe_net_sysctl() to catch. Found by tests/kernels/netns-sysctls.py, which changes
 * every writable integer key seen in a fresh namespace inside a throwaway guest and reads the
 * initial namespace's value back: nf_hooks_lwtunnel (a static key; once on, it cannot be turned
 * off: EBUSY) on 6.1.0-57 and 6.12.117, and no other key on those or on 5.10.0-46.
 */
static const char *const machine_wide[] = { "net.netfilter.nf_hooks_lwtunnel" };

static bool known_machine_wide(const char *key)
{
	for (size_t i = 0; i < sizeof machine_wide / sizeof machine_wide[0]; i++)
		if (strcmp(key, machine_wide[i]) == 0)
			return true;
	return false;
}

/* sysctl_shared(), its answer kept per key: whether a key is a namespace's own is a property
 * of the table the kernel registered it in, the same for every namespace but the initial one
 * (never a sandbox's), so each process looks once (the lookups cost a run's setup time). */
static int shared_cached(int fd, const char *key, const char *path, int nsfd, int other)
{
	static struct { char key[96]; int r; } seen[64];
	static unsigned nseen;
	unsigned i;

	for (i = 0; i < nseen && strcmp(seen[i].key, key); i++)
		;
	if (i < nseen)
		return seen[i].r;
	int r = sysctl_shared(fd, key, path, nsfd, other);
	if ((r == 0 || r == -EREMOTE) && nseen < 64 && strlen(key) < sizeof seen[0].key) {
		strcpy(seen[nseen].key, key);
		seen[nseen++].r = r;
	}
	return r;
}

/* Reads (buf != NULL) or writes value (value != NULL) in the namespace fd, or with neither
 * only tells whether the key is the namespace's own (0) or the machine's (-EREMOTE). A write to
 * a key that is the machine's is refused with -EREMOTE before anything is written; one to a key
 * the namespace shows read-only fails -EROFS. */
static int sysctl_io(int nsfd, const char *key, const char *value, char *buf, size_t len)
{
	_cleanup_leave_ int back = -1;
	_cleanup_close_ int fd = -1, wfd = -1;
	char path[160];
	ssize_t n;
	int r;

	r = sysctl_path(key, path, sizeof(path));
	if (r < 0)
		return r;
	r = enter_ns(nsfd, &back);
	if (r < 0)
		return r;
	/* O_PATH for a write: it holds the file (and its inode) without needing read permission. */
	fd = open(path, (buf ? O_RDONLY : O_PATH) | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (!buf) {
		r = known_machine_wide(key) ? -EREMOTE : shared_cached(fd, key, path, nsfd, back);
		if (r < 0 || !value)
			return r;
		wfd = open(path, O_WRONLY | O_CLOEXEC);
		if (wfd < 0) {
			struct stat st;
			r = -errno;
			/* Not writable by anyone here: a value the kernel keeps for the machine (or fixed). */
			if (r == -EACCES && fstat(fd, &st) == 0 && !(st.st_mode & 0222))
				r = -EROFS;
			return r;
		}
		n = write(wfd, value, strlen(value));
		return n < 0 ? -errno : 0;
	}
	if (len == 0)
		return -ENOBUFS;
	n = read(fd, buf, len - 1);
	if (n < 0)
		return -errno;
	while (n > 0 && buf[n - 1] == '\n')
		n--;
	buf[n] = '\0';
	return 0;
}

/* The defaults that follow from the TCP hash table's size, as a namespace sharing the host's
 * table has them; set by netns_own_hashes(), written into every host. */
static char hash_defaults[2][2][32] = { { "net.ipv4.tcp_max_syn_backlog" }, { "net.ipv4.tcp_max_tw_buckets" } };

int netns_own_hashes(unsigned entries)
{
	_cleanup_close_ int self = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
	char value[16];
	int r = 0;

	if (self < 0)
		return -errno;
	for (int i = 0; i < 2 && r == 0; i++)
		r = sysctl_io(self, hash_defaults[i][0], NULL, hash_defaults[i][1], sizeof hash_defaults[i][1]);
	snprintf(value, sizeof value, "%u", entries);
	if (r == 0)
		r = sysctl_io(self, "net.ipv4.tcp_child_ehash_entries", value, NULL, 0);
	if (r < 0)
		hash_defaults[0][1][0] = 0;   /* nothing to keep: the namespaces share the table */
	return r;
}

/* Records why setting key=value failed; host < -1 names no host. Returns r. */
static int sysctl_fail(struct netns_sandbox *sb, int r, const char *key, const char *value, int host)
{
	char where[32] = "";

	if (host >= -1)
		snprintf(where, sizeof where, " on %s", host == NETNS_WIRE ? "the wire" : "host");
	if (host >= 0)
		snprintf(where + strlen(where), sizeof where - strlen(where), " %d", host);
	/* The host left out: the caller names it as its scenario does (one of the machine's
	 * values is no host's in particular). */
	if (sb && (r == -EREMOTE || r == -EROFS)) {
		snprintf(sb->err, sizeof sb->err, "%s is %s: tcpfault does not write it (%s)", key,
			 r == -EREMOTE ? "the whole machine's value on this kernel, not the namespace's own" :
					 "read-only inside a namespace on this kernel",
			 r == -EROFS ? "the kernel keeps it for the whole machine, or fixed" :
			 known_machine_wide(key) ? "each namespace shows a file of its own, but it sets one switch for the whole machine" :
						   "every namespace sees the same /proc/sys file");
		return r;
	}
	return netns_fail(sb, r, "setting %s=%s%s", key, value, where);
}

static int sysctls_write(struct netns_sandbox *sb, int nsfd, const char *const kv[][2], size_t n)
{
	for (size_t i = 0; i < n; i++) {
		int r = sysctl_io(nsfd, kv[i][0], kv[i][1], NULL, 0);
		if (r < 0)
			return sysctl_fail(sb, r, kv[i][0], kv[i][1], -2);
	}
	return 0;
}

static int ns_of(const struct netns_sandbox *sb, int host)
{
	if (!sb)
		return -1;
	if (host == NETNS_WIRE)
		return sb->wire_fd;
	if (host < 0 || (unsigned)host >= sb->nhosts)
		return -1;
	return sb->hosts[host].fd;
}

int netns_sysctl_set(struct netns_sandbox *sb, int host, const char *key, const char *value)
{
	int fd = ns_of(sb, host), r;
	struct host *h;
	unsigned i;

	if (fd < 0 || !key || !value)
		return netns_fail(sb, -EINVAL, "setting sysctl on host %d", host);
	if (host != NETNS_WIRE) {
		h = &sb->hosts[host];
		for (i = 0; i < h->nsysctl && strcmp(h->sysctl[i].key, key); i++)
			;
		if (i == MAX_SYSCTLS || strlen(key) >= sizeof(h->sysctl[i].key) ||
		    strlen(value) >= sizeof(h->sysctl[i].value))
			return netns_fail(sb, -ENOSPC, "remembering sysctl %s on host %d", key, host);
	}
	if (host != NETNS_WIRE && i == h->nsysctl &&
	    sysctl_io(fd, key, NULL, h->sysctl[i].orig, sizeof h->sysctl[i].orig) < 0)
		h->doubt = true;   /* a value reset could not put back: the host is made anew */
	if (host == NETNS_WIRE)
		sb->wire_sysctl = true;
	r = sysctl_io(fd, key, value, NULL, 0);
	if (r < 0)
		return sysctl_fail(sb, r, key, value, host);
	if (host != NETNS_WIRE) {
		strcpy(h->sysctl[i].key, key);
		strcpy(h->sysctl[i].value, value);
		if (i == h->nsysctl)
			h->nsysctl++;
	}
	return 0;
}

int netns_sysctl_own(struct netns_sandbox *sb, int host, const char *key)
{
	int fd = ns_of(sb, host), r;

	if (fd < 0 || !key)
		return netns_fail(sb, -EINVAL, "reading sysctl on host %d", host);
	r = sysctl_io(fd, key, NULL, NULL, 0);
	if (r < 0 && r != -EREMOTE)
		return netns_fail(sb, r, "looking at %s on host %d", key, host);
	return r;
}

int netns_sysctl_get(struct netns_sandbox *sb, int host, const char *key, char *buf, size_t len)
{
	int fd = ns_of(sb, host), r;

	if (fd < 0 || !key || !buf)
		return netns_fail(sb, -EINVAL, "reading sysctl on host %d", host);
	r = sysctl_io(fd, key, NULL, buf, len);
	if (r < 0)
		return netns_fail(sb, r, "reading %s on host %d", key, host);
	return 0;
}

/* ---- links ---- */

static void host_mac(int host, uint8_t mac[6])
{
	memcpy(mac, (uint8_t[6]){ 0x02, 0, 0, 0, 0, (uint8_t)(host + 1) }, 6);
}

/* Sets link name up, and (if master > 0) enslaves it to master. */
static int link_up(struct netns_sandbox *sb, struct nl_sock *nl, const char *name, int master)
{
	_cleanup_(rtnl_link) *old = NULL, *chg = NULL;
	int r;

	r = rtnl_link_get_kernel(nl, 0, name, &old);
	if (r < 0)
		return netns_fail(sb, nle_errno(sb, r), "looking up %s", name);
	chg = rtnl_link_alloc();
	if (!chg)
		return netns_fail(sb, -ENOMEM, "allocating a link");
	if (master > 0)
		rtnl_link_set_master(chg, master);
	rtnl_link_set_flags(chg, IFF_UP);
	r = rtnl_link_change(nl, old, chg, 0);
	if (r < 0)
		return netns_fail(sb, nle_errno(sb, r), "bringing up %s", name);
	return 0;
}

static int add_addr(struct netns_sandbox *sb, struct nl_sock *nl, int ifindex, const char *cidr)
{
	_cleanup_(rtnl_addr) *a = rtnl_addr_alloc();
	_cleanup_(nl_addr) *local = NULL;
	int r;

	if (!a)
		return netns_fail(sb, -ENOMEM, "allocating an address");
	r = nl_addr_parse(cidr, AF_UNSPEC, &local);
	if (r < 0)
		return netns_fail(sb, nle_errno(sb, r), "parsing %s", cidr);
	rtnl_addr_set_ifindex(a, ifindex);
	rtnl_addr_set_local(a, local);
	if (nl_addr_get_family(local) == AF_INET6)
		rtnl_addr_set_flags(a, IFA_F_NODAD);
	r = rtnl_addr_add(nl, a, 0);
	if (r < 0)
		return netns_fail(sb, nle_errno(sb, r), "adding address %s", cidr);
	return 0;
}

/* A permanent neighbour entry text -> mac on ifindex, through nl; with mac NULL, the entry
 * deleted (if it is there). */
static int set_neigh(struct netns_sandbox *sb, struct nl_sock *nl, int ifindex, const char *text,
		     int family, const uint8_t *mac)
{
	_cleanup_(rtnl_neigh) *n = rtnl_neigh_alloc();
	_cleanup_(nl_addr) *dst = NULL, *ll = NULL;
	int r;

	if (!n)
		return netns_fail(sb, -ENOMEM, "allocating a neighbour");
	r = nl_addr_parse(text, family, &dst);
	if (r < 0)
		return netns_fail(sb, nle_errno(sb, r), "parsing %s", text);
	rtnl_neigh_set_ifindex(n, ifindex);
	rtnl_neigh_set_dst(n, dst);
	if (!mac) {
		r = rtnl_neigh_delete(nl, n, 0);
		if (r < 0 && r != -NLE_OBJ_NOTFOUND)
			return netns_fail(sb, nle_errno(sb, r), "deleting neighbour %s", text);
		return 0;
	}
	ll = nl_addr_build(AF_LLC, mac, 6);
	if (!ll)
		return netns_fail(sb, -ENOMEM, "allocating a MAC address");
	rtnl_neigh_set_lladdr(n, ll);
	rtnl_neigh_set_state(n, NUD_PERMANENT);
	r = rtnl_neigh_add(nl, n, NLM_F_CREATE | NLM_F_REPLACE);
	if (r < 0)
		return netns_fail(sb, nle_errno(sb, r), "adding neighbour %s", text);
	return 0;
}

/* The router's MAC on host i's link (router topology). */
static void router_mac(int host, uint8_t mac[6])
{
	memcpy(mac, (uint8_t[6]){ 0x02, 0, 0, 0, 1, (uint8_t)(host + 1) }, 6);
}

/* Host i's permanent neighbour entries on its eth0 (ifindex), added or deleted: every other
 * host in the bridge topology, its gateway in the router's. */
static int host_neighbours(struct netns_sandbox *sb, int i, int ifindex, bool add)
{
	bool routed = sb->topology == NETNS_ROUTER;
	struct nl_sock *nl = sb->hosts[i].nl;
	char text[64];
	uint8_t mac[6];
	int r = 0;

	for (int j = 0; j < (int)sb->nhosts && r >= 0; j++) {
		if (routed ? j != i : j == i)
			continue;
		if (routed)
			router_mac(i, mac);
		else
			host_mac(j, mac);
		for (int f = 0; f < 2 && r >= 0; f++) {
			int family = f ? AF_INET6 : AF_INET;
			const char *dst = routed ? netns_router_addr(i, family, text) : netns_host_addr(j, family, text);
			r = set_neigh(sb, nl, ifindex, dst, family, add ? mac : NULL);
		}
	}
	return r;
}

/* A route to dst (CIDR text) via gateway (text) on ifindex, through nl. */
static int add_route(struct netns_sandbox *sb, struct nl_sock *nl, int ifindex, const char *dst,
		     const char *gateway)
{
	_cleanup_(rtnl_route) *rt = rtnl_route_alloc();
	_cleanup_(nl_addr) *d = NULL, *gw = NULL;
	struct rtnl_nexthop *nh;
	int r;

	if (!rt)
		return netns_fail(sb, -ENOMEM, "allocating a route");
	r = nl_addr_parse(dst, AF_UNSPEC, &d);
	if (r >= 0)
		r = nl_addr_parse(gateway, AF_UNSPEC, &gw);
	if (r < 0)
		return netns_fail(sb, nle_errno(sb, r), "parsing route %s via %s", dst, gateway);
	nh = rtnl_route_nh_alloc();
	if (!nh)
		return netns_fail(sb, -ENOMEM, "allocating a next hop");
	rtnl_route_nh_set_ifindex(nh, ifindex);
	rtnl_route_nh_set_gateway(nh, gw);
	rtnl_route_add_nexthop(rt, nh);   /* the route owns nh from here */
	rtnl_route_set_family(rt, nl_addr_get_family(d));
	rtnl_route_set_dst(rt, d);
	r = rtnl_route_add(nl, rt, NLM_F_CREATE | NLM_F_EXCL);
	if (r < 0)
		return netns_fail(sb, nle_errno(sb, r), "adding route %s via %s", dst, gateway);
	return 0;
}

/* Sets the metrics the host's state asks for (quickack, and rto_min with its lock, as "ip route
 * ... rto_min" sets it: the kernel uses a route's rto_min only when it is locked) on every
 * unicast route of host's main table that leaves by eth0: the subnet routes the kernel made
 * for its addresses (and fe80::/64), and in the router topology the routes via the gateway.
 * Each route is read back from the kernel and replaced whole with only the metrics changed,
 * so its protocol, scope, source and priority stay as they were. -ENOENT if the host has no
 * such route. what names the change for errors. */
static int routes_metrics(struct netns_sandbox *sb, int host, const char *what)
{
	struct host *h = &sb->hosts[host];
	_cleanup_(nl_cache) *cache = NULL;
	_cleanup_(rtnl_link) *eth0 = NULL;
	unsigned n = 0;
	int r, ifindex;

	r = rtnl_link_get_kernel(h->nl, 0, "eth0", &eth0);
	if (r < 0)
		return netns_fail(sb, nle_errno(sb, r), "%s: looking up eth0 of host %d", what, host);
	ifindex = rtnl_link_get_ifindex(eth0);
	r = rtnl_route_alloc_cache(h->nl, AF_UNSPEC, 0, &cache);
	if (r < 0)
		return netns_fail(sb, nle_errno(sb, r), "%s: listing the routes of host %d", what, host);
	for (struct nl_object *o = nl_cache_get_first(cache); o; o = nl_cache_get_next(o)) {
		struct rtnl_route *rt = (struct rtnl_route *)o;

		if (rtnl_route_get_table(rt) != RT_TABLE_MAIN || rtnl_route_get_type(rt) != RTN_UNICAST ||
		    rtnl_route_get_nnexthops(rt) != 1 ||
		    rtnl_route_nh_get_ifindex(rtnl_route_nexthop_n(rt, 0)) != ifindex)
			continue;
		r = h->quickack ? rtnl_route_set_metric(rt, RTAX_QUICKACK, 1) : rtnl_route_unset_metric(rt, RTAX_QUICKACK);
		if (r >= 0 && h->rto_min_ms) {
			r = rtnl_route_set_metric(rt, RTAX_RTO_MIN, h->rto_min_ms);
			if (r >= 0)
				r = rtnl_route_set_metric(rt, RTAX_LOCK, 1u << RTAX_RTO_MIN);
		} else if (r >= 0) {
			r = rtnl_route_unset_metric(rt, RTAX_RTO_MIN);
			if (r >= 0)
				r = rtnl_route_unset_metric(rt, RTAX_LOCK);
		}
		if (r >= 0)
			r = rtnl_route_add(h->nl, rt, NLM_F_REPLACE);
		if (r < 0)
			return netns_fail(sb, nle_errno(sb, r), "%s on a route of host %d", what, host);
		n++;
	}
	if (n == 0)
		return netns_fail(sb, -ENOENT, "%s: host %d has no route out of eth0", what, host);
	return 0;
}

int netns_quickack(struct netns_sandbox *sb, int host, bool on)
{
	if (ns_of(sb, host) < 0 || host == NETNS_WIRE)
		return netns_fail(sb, -EINVAL, "quickack on host %d", host);
	bool was = sb->hosts[host].quickack;
	sb->hosts[host].quickack = on;
	int r = routes_metrics(sb, host, on ? "quickack on" : "quickack off");
	if (r < 0)
		sb->hosts[host].quickack = was;
	return r;
}

int netns_rto_min(struct netns_sandbox *sb, int host, unsigned ms)
{
	if (ns_of(sb, host) < 0 || host == NETNS_WIRE)
		return netns_fail(sb, -EINVAL, "rto-min on host %d", host);
	unsigned was = sb->hosts[host].rto_min_ms;
	sb->hosts[host].rto_min_ms = ms;
	int r = routes_metrics(sb, host, "rto-min");
	if (r < 0)
		sb->hosts[host].rto_min_ms = was;
	return r;
}

/* A socket in namespace nsfd that hears link and IPv6 route changes; opened before the
 * change it is to see, so the notification cannot be missed. */
static int monitor_new(struct netns_sandbox *sb, int nsfd, struct nl_sock **ret)
{
	_cleanup_leave_ int back = -1;
	_cleanup_(nl_sock) *nl = nl_socket_alloc();
	int r;

	if (!nl)
		return netns_fail(sb, -ENOMEM, "allocating a netlink socket");
	r = enter_ns(nsfd, &back);
	if (r < 0)
		return netns_fail(sb, r, "entering a namespace");
	nl_socket_disable_seq_check(nl);
	r = nl_connect(nl, NETLINK_ROUTE);
	if (r >= 0)
		r = nl_socket_add_memberships(nl, RTNLGRP_LINK, RTNLGRP_IPV6_ROUTE, 0);
	if (r < 0)
		return netns_fail(sb, nle_errno(sb, r), "listening for link changes");
	*ret = nl;
	nl = NULL;
	return 0;
}

/* What a monitor waits for: ifname operationally up and/or a local route for addr6. */
struct awaited {
	const char *ifname;
	const struct in6_addr *addr6;
	bool link_up, route_up;
};

static int awaited_cb(struct nl_msg *msg, void *arg)
{
	struct awaited *w = arg;
	struct nlmsghdr *nlh = nlmsg_hdr(msg);
	struct nlattr *a, *b;

	if (nlh->nlmsg_type == RTM_NEWLINK && w->ifname) {
		a = nlmsg_find_attr(nlh, sizeof(struct ifinfomsg), IFLA_IFNAME);
		b = nlmsg_find_attr(nlh, sizeof(struct ifinfomsg), IFLA_OPERSTATE);
		if (a && b && !strcmp(nla_get_string(a), w->ifname) && nla_get_u8(b) == IF_OPER_UP)
			w->link_up = true;
	} else if (nlh->nlmsg_type == RTM_NEWROUTE && w->addr6) {
		const struct rtmsg *rt = nlmsg_data(nlh);
		a = nlmsg_find_attr(nlh, sizeof(*rt), RTA_DST);
		if (rt->rtm_type == RTN_LOCAL && rt->rtm_dst_len == 128 && a &&
		    nla_len(a) == 16 && !memcmp(nla_data(a), w->addr6, 16))
			w->route_up = true;
	}
	return NL_OK;
}

/* Waits at most ms for what w names. Two things finish after the request that caused them:
 * the link watcher's carrier-on for a veth end (until then its transmit queue silently drops,
 * and a bridge port does not forward; the notification is sent after both), and the local
 * route of an IPv6 address (added by addrconf's work queue even without DAD; until then the
 * address drops what arrives for it). */
static int wait_for(struct netns_sandbox *sb, struct nl_sock *mon, struct awaited *w, int ms)
{
	struct pollfd p = { .fd = nl_socket_get_fd(mon), .events = POLLIN };
	struct timespec t0, t;
	int r, left = ms;

	nl_socket_modify_cb(mon, NL_CB_VALID, NL_CB_CUSTOM, awaited_cb, w);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	while ((w->ifname && !w->link_up) || (w->addr6 && !w->route_up)) {
		r = poll(&p, 1, left);
		if (r < 0)
			return -errno;
		if (r == 0)
			return -ETIMEDOUT;
		r = nl_recvmsgs_default(mon);
		if (r < 0)
			return nle_errno(sb, r);
		clock_gettime(CLOCK_MONOTONIC, &t);
		left = ms - (int)((t.tv_sec - t0.tv_sec) * 1000 + (t.tv_nsec - t0.tv_nsec) / 1000000);
		if (left < 0)
			left = 0;
	}
	return 0;
}

static void host_close(struct host *h)
{
	free(h->mib);
	h->mib = NULL;
	nl_socket_free(h->nl);
	h->nl = NULL;
	if (h->fd >= 0)
		close(h->fd);
	h->fd = -1;
}

/* Builds host i from nothing: namespace, veth plugged into br0 (or, in the router topology,
 * the router's addressed h<i>), addresses, neighbours, routes and the remembered sysctls. On
 * failure the host is left closed (its namespace, and with it the veth pair, goes away). */
static int host_up(struct netns_sandbox *sb, int i)
{
	static const char *const host_sysctls[][2] = {
		/* Default first, so eth0 is born without DAD and router solicitations. */
		{ "net.ipv6.conf.default.accept_dad", "0" },
		{ "net.ipv6.conf.default.dad_transmits", "0" },
		{ "net.ipv6.conf.default.router_solicitations", "0" },
		/* Automatic (ephemeral) ports above every port a scenario names (the catalog binds
		 * 40000-40007, listens on 5000, 6000, 8080...): a connect's automatic port could
		 * otherwise take one a later bind names (bind 40004 failed EADDRINUSE, 1 run in
		 * 180 at -j16). 49152-60999: IANA's dynamic ports, inside the kernel's default. */
		{ "net.ipv4.ip_local_port_range", "49152\t60999" },
		/* Any port to anyone: an exec'd program is confined (no capability over this
		 * namespace) and may still listen on port 80, as on its own machine. */
		{ "net.ipv4.ip_unprivileged_port_start", "0" },
	};
	struct host *h = &sb->hosts[i];
	__attribute__((cleanup(veth_putp))) struct rtnl_link *veth = NULL;
	_cleanup_(rtnl_link) *peer = NULL, *eth0 = NULL;
	_cleanup_(nl_sock) *mon_host = NULL, *mon_wire = NULL;
	_cleanup_(nl_addr) *mac = NULL;
	char ifname[16], text[64], cidr[80];
	struct in6_addr addr6, router6;
	struct awaited wire_wait = { .ifname = netns_wire_ifname(i, ifname) };
	struct awaited host_wait = { .ifname = "eth0", .addr6 = &addr6 };
	bool routed = sb->topology == NETNS_ROUTER;
	uint8_t hw[6], rhw[6];
	int r, ifindex, wire_ifindex = 0;
	_cleanup_(nl_addr) *rmac = NULL;
	_cleanup_(rtnl_link) *wire_link = NULL;

	h->held = false;   /* a new namespace: its neighbour entries are permanent again */
	h->nft = h->netem = h->doubt = false;
	r = ns_new(sb, NETLINK_ROUTE, &h->fd, &h->nl);
	if (r < 0)
		return r;
	r = sysctls_write(sb, h->fd, host_sysctls, sizeof(host_sysctls) / sizeof(host_sysctls[0]));
	for (int k = 0; r == 0 && hash_defaults[0][1][0] && k < 2; k++)
		if ((r = sysctl_io(h->fd, hash_defaults[k][0], hash_defaults[k][1], NULL, 0)) < 0)
			sysctl_fail(sb, r, hash_defaults[k][0], hash_defaults[k][1], i);
	if (r < 0)
		goto fail;
	r = link_up(sb, h->nl, "lo", 0);
	if (r < 0)
		goto fail;
	r = monitor_new(sb, h->fd, &mon_host);
	if (r >= 0)
		r = monitor_new(sb, sb->wire_fd, &mon_wire);
	if (r < 0)
		goto fail;

	veth = rtnl_link_veth_alloc();
	host_mac(i, hw);
	mac = nl_addr_build(AF_LLC, hw, sizeof(hw));
	if (!veth || !mac) {
		r = netns_fail(sb, -ENOMEM, "allocating veth for host %d", i);
		goto fail;
	}
	rtnl_link_set_name(veth, "eth0");
	rtnl_link_set_addr(veth, mac);
	peer = rtnl_link_veth_get_peer(veth);   /* a new reference */
	rtnl_link_set_name(peer, ifname);
	if (routed) {
		router_mac(i, rhw);
		rmac = nl_addr_build(AF_LLC, rhw, sizeof(rhw));
		if (!rmac) {
			r = netns_fail(sb, -ENOMEM, "allocating a MAC address");
			goto fail;
		}
		rtnl_link_set_addr(peer, rmac);
	}
	rtnl_link_set_ns_fd(peer, sb->wire_fd);
	r = rtnl_link_add(h->nl, veth, NLM_F_CREATE | NLM_F_EXCL);
	if (r < 0) {
		r = netns_fail(sb, nle_errno(sb, r), "creating veth %s", ifname);
		goto fail;
	}
	r = rtnl_link_get_kernel(h->nl, 0, "eth0", &eth0);
	if (r < 0) {
		r = netns_fail(sb, nle_errno(sb, r), "looking up eth0 of host %d", i);
		goto fail;
	}
	ifindex = rtnl_link_get_ifindex(eth0);

	netns_addr(sb, i, AF_INET, text);
	snprintf(cidr, sizeof(cidr), "%s/24", text);
	r = add_addr(sb, h->nl, ifindex, cidr);
	if (r < 0)
		goto fail;
	netns_addr(sb, i, AF_INET6, text);
	inet_pton(AF_INET6, text, &addr6);
	snprintf(cidr, sizeof(cidr), "%s/64", text);
	r = add_addr(sb, h->nl, ifindex, cidr);
	if (r < 0)
		goto fail;
	r = host_neighbours(sb, i, ifindex, true);
	if (r < 0)
		goto fail;
	if (routed) {
		/* Each side knows the other's MAC for good: no ARP or NDP on the link. */
		r = rtnl_link_get_kernel(sb->wire_nl, 0, ifname, &wire_link);
		if (r < 0) {
			r = netns_fail(sb, nle_errno(sb, r), "looking up %s", ifname);
			goto fail;
		}
		wire_ifindex = rtnl_link_get_ifindex(wire_link);
		host_mac(i, hw);
		for (int f = 0; f < 2 && r >= 0; f++) {
			int family = f ? AF_INET6 : AF_INET;
			snprintf(cidr, sizeof(cidr), "%s/%d", netns_router_addr(i, family, text), f ? 64 : 24);
			r = add_addr(sb, sb->wire_nl, wire_ifindex, cidr);
			if (r >= 0)
				r = set_neigh(sb, sb->wire_nl, wire_ifindex, netns_addr(sb, i, family, text),
					      family, hw);
		}
		if (r < 0)
			goto fail;
		netns_router_addr(i, AF_INET6, text);
		inet_pton(AF_INET6, text, &router6);
		wire_wait.addr6 = &router6;
	}
	/* Both ends stay down until here; the monitors listen before anything can happen. */
	r = link_up(sb, sb->wire_nl, ifname, routed ? 0 : sb->br_ifindex);
	if (r >= 0)
		r = link_up(sb, h->nl, "eth0", 0);
	if (r < 0)
		goto fail;
	r = wait_for(sb, mon_wire, &wire_wait, LINK_WAIT_MS);
	if (r >= 0)
		r = wait_for(sb, mon_host, &host_wait, LINK_WAIT_MS);
	if (r < 0) {
		r = netns_fail(sb, r, "waiting for host %d's link and addresses", i);
		goto fail;
	}
	/* Routes via the gateway need the link up; the rest of 198.18.0.0/15 is behind it. */
	for (int f = 0; f < 2 && routed && r >= 0; f++) {
		int family = f ? AF_INET6 : AF_INET;
		r = add_route(sb, h->nl, ifindex, f ? "2001:2::/48" : "198.18.0.0/15",
			      netns_router_addr(i, family, text));
	}
	if (r < 0)
		goto fail;
	for (unsigned k = 0; k < h->nsysctl; k++) {
		r = sysctl_io(h->fd, h->sysctl[k].key, h->sysctl[k].value, NULL, 0);
		if (r < 0) {
			sysctl_fail(sb, r, h->sysctl[k].key, h->sysctl[k].value, i);
			goto fail;
		}
	}
	/* After every route exists, the IPv6 subnet route included (added with the address). */
	if ((h->quickack || h->rto_min_ms) && (r = routes_metrics(sb, i, "restoring route metrics")) < 0)
		goto fail;
	return 0;
fail:
	host_close(h);
	return r;
}

/* ---- sandbox ---- */

static __thread char new_error[1200];

int netns_sandbox_new(unsigned nhosts, struct netns_sandbox **ret)
{
	return netns_sandbox_new_topology(nhosts, NETNS_BRIDGE, ret);
}

int netns_sandbox_new_topology(unsigned nhosts, enum netns_topology topology,
			       struct netns_sandbox **ret)
{
	static const char *const wire_sysctls[][2] = {
		/* The wire is layer 2 only: no router solicitations or MLD from its ports. */
		{ "net.ipv6.conf.all.disable_ipv6", "1" },
		{ "net.ipv6.conf.default.disable_ipv6", "1" },
	};
	static const char *const router_sysctls[][2] = {
		/* Set before any link exists, so every h<i> is born with them. */
		{ "net.ipv6.conf.default.accept_dad", "0" },
		{ "net.ipv6.conf.default.dad_transmits", "0" },
		{ "net.ipv6.conf.default.router_solicitations", "0" },
		{ "net.ipv4.ip_forward", "1" },
		{ "net.ipv6.conf.all.forwarding", "1" },
		/* Every error a scenario provokes is sent: rate limits would make runs differ. */
		{ "net.ipv4.icmp_ratelimit", "0" },
		{ "net.ipv6.icmp.ratelimit", "0" },
	};
	_cleanup_(rtnl_link) *br = NULL;
	struct netns_sandbox *sb;
	int r;

	new_error[0] = '\0';
	if (nhosts < 1 || nhosts > NETNS_MAX_HOSTS || !ret ||
	    (topology != NETNS_BRIDGE && topology != NETNS_ROUTER)) {
		snprintf(new_error, sizeof(new_error), "%u hosts: must be 1 to %d", nhosts,
			 NETNS_MAX_HOSTS);
		return -EINVAL;
	}
	sb = calloc(1, sizeof(*sb));
	if (!sb) {
		snprintf(new_error, sizeof(new_error), "allocating a sandbox: out of memory");
		return -ENOMEM;
	}
	sb->wire_fd = -1;
	sb->topology = topology;
	for (unsigned i = 0; i < NETNS_MAX_HOSTS; i++)
		sb->hosts[i].fd = -1;

	r = ns_new(sb, NETLINK_ROUTE, &sb->wire_fd, &sb->wire_nl);
	if (r < 0)
		goto fail;
	if (topology == NETNS_ROUTER)
		r = sysctls_write(sb, sb->wire_fd, router_sysctls,
				  sizeof(router_sysctls) / sizeof(router_sysctls[0]));
	else
		r = sysctls_write(sb, sb->wire_fd, wire_sysctls, 2);
	if (r < 0)
		goto fail;
	/* A new bridge has STP off, so its ports forward the moment they are up. libnl cannot
	 * set IFLA_BR_FORWARD_DELAY, and with STP off it is not consulted. The router topology
	 * makes it too, with no ports: it takes ifindex 2, so no h<i> shares its index with its
	 * host's eth0 (ifindex 2). The link watcher thinks a veth whose ifindex equals its peer's
	 * is not a stacked device and delays its carrier-on by up to a second. */
	br = rtnl_link_bridge_alloc();
	if (!br) {
		r = netns_fail(sb, -ENOMEM, "allocating bridge");
		goto fail;
	}
	rtnl_link_set_name(br, "br0");
	rtnl_link_set_flags(br, IFF_UP);
	r = rtnl_link_add(sb->wire_nl, br, NLM_F_CREATE | NLM_F_EXCL);
	if (r < 0) {
		r = netns_fail(sb, nle_errno(sb, r), "creating bridge br0");
		goto fail;
	}
	rtnl_link_put(br);
	br = NULL;
	r = rtnl_link_get_kernel(sb->wire_nl, 0, "br0", &br);
	if (r < 0) {
		r = netns_fail(sb, nle_errno(sb, r), "looking up br0");
		goto fail;
	}
	sb->br_ifindex = rtnl_link_get_ifindex(br);
	sb->nhosts = nhosts;
	for (unsigned i = 0; i < nhosts; i++) {
		r = host_up(sb, (int)i);
		if (r < 0)
			goto fail;
	}
	*ret = sb;
	return 0;
fail:
	snprintf(new_error, sizeof(new_error), "%s", sb->err);
	netns_sandbox_free(sb);
	return r;
}

const char *netns_new_error(void)
{
	return new_error;
}

void netns_sandbox_free(struct netns_sandbox *sb)
{
	if (!sb)
		return;
	/* Closing the last fd destroys a namespace and every link and nft table in it. */
	for (unsigned i = 0; i < NETNS_MAX_HOSTS; i++)
		host_close(&sb->hosts[i]);
	nl_socket_free(sb->wire_nl);
	if (sb->wire_fd >= 0)
		close(sb->wire_fd);
	free(sb);
}

const char *netns_last_error(const struct netns_sandbox *sb)
{
	return sb ? sb->err : "";
}

enum netns_topology netns_topology(const struct netns_sandbox *sb)
{
	return sb ? sb->topology : NETNS_BRIDGE;
}

unsigned netns_host_count(const struct netns_sandbox *sb)
{
	return sb ? sb->nhosts : 0;
}

int netns_fd(const struct netns_sandbox *sb, int host)
{
	int fd = ns_of(sb, host);

	return fd < 0 ? -EINVAL : fd;
}

const char *netns_wire_ifname(int host, char buf[16])
{
	snprintf(buf, 16, "h%d", host);
	return buf;
}

/* Bridge: every host on one subnet, host i at .i+1. Router: host i alone on subnet i+1, the
 * router at .1 and the host at .2. */
static const char *format_addr(unsigned subnet, unsigned last, int family, char buf[64])
{
	if (family == AF_INET)
		snprintf(buf, 64, "198.18.%u.%u", subnet, last);
	else if (family == AF_INET6 && subnet)
		snprintf(buf, 64, "2001:2:0:%x::%x", subnet, last);
	else if (family == AF_INET6)
		snprintf(buf, 64, "2001:2::%x", last);
	else
		return NULL;
	return buf;
}

const char *netns_topology_addr(enum netns_topology topology, int host, int family, char buf[64])
{
	if (host < 0 || host >= NETNS_MAX_HOSTS)
		return NULL;
	if (topology == NETNS_BRIDGE)
		return format_addr(0, (unsigned)host + 1, family, buf);
	return format_addr((unsigned)host + 1, 2, family, buf);
}

const char *netns_host_addr(int host, int family, char buf[64])
{
	return netns_topology_addr(NETNS_BRIDGE, host, family, buf);
}

const char *netns_router_addr(int host, int family, char buf[64])
{
	if (host < 0 || host >= NETNS_MAX_HOSTS)
		return NULL;
	return format_addr((unsigned)host + 1, 1, family, buf);
}

const char *netns_addr(const struct netns_sandbox *sb, int host, int family, char buf[64])
{
	if (!sb || host < 0 || (unsigned)host >= sb->nhosts)
		return NULL;
	return netns_topology_addr(sb->topology, host, family, buf);
}

/* Splits a sandbox address into (subnet, last): bridge hosts are subnet 0, last i+1; the router
 * topology's link i is subnet i+1, its router last 1 and its host last 2. -1 if not ours. */
static int addr_parts(int family, const void *addr, unsigned *ret_subnet, unsigned *ret_last)
{
	static const uint8_t net6[6] = { 0x20, 0x01, 0x00, 0x02, 0x00, 0x00 };
	static const uint8_t zero[7] = { 0 };
	static const uint8_t mapped[12] = { [10] = 0xff, [11] = 0xff };
	const uint8_t *a = addr;

	if (!a)
		return -1;
	if (family == AF_INET6 && !memcmp(a, mapped, 12)) {
		family = AF_INET;
		a += 12;
	}
	if (family == AF_INET) {
		if (a[0] != 198 || a[1] != 18)
			return -1;
		*ret_subnet = a[2];
		*ret_last = a[3];
	} else if (family == AF_INET6) {
		/* 2001:2:0:S::L, S and L below 256 */
		if (memcmp(a, net6, 6) || a[6] != 0 || memcmp(a + 8, zero, 7))
			return -1;
		*ret_subnet = a[7];
		*ret_last = a[15];
	} else {
		return -1;
	}
	return 0;
}

int netns_host_by_addr(int family, const void *addr)
{
	unsigned subnet, last;

	if (addr_parts(family, addr, &subnet, &last) < 0)
		return -1;
	if (subnet == 0)
		return last >= 1 && last <= NETNS_MAX_HOSTS ? (int)last - 1 : -1;
	return subnet <= NETNS_MAX_HOSTS && last == 2 ? (int)subnet - 1 : -1;
}

bool netns_router_owns(int family, const void *addr)
{
	unsigned subnet, last;

	return addr_parts(family, addr, &subnet, &last) == 0 && subnet >= 1 &&
	       subnet <= NETNS_MAX_HOSTS && last == 1;
}

int netns_enter(const struct netns_sandbox *sb, int host, int *ret_back)
{
	int fd = ns_of(sb, host);

	if (fd < 0 || !ret_back)
		return -EINVAL;
	return enter_ns(fd, ret_back);
}

int netns_leave(int back)
{
	int r = setns(back, CLONE_NEWNET) < 0 ? -errno : 0;

	close(back);
	return r;
}

/* ---- faults ---- */

/* Notes that the namespace fd was changed in a way netns_sandbox_reset() must undo: the bool
 * at offset in its struct host, or *wire. */
static void mark(struct netns_sandbox *sb, int fd, size_t offset, bool *wire)
{
	if (fd == sb->wire_fd)
		*wire = true;
	for (unsigned i = 0; i < sb->nhosts; i++)
		if (sb->hosts[i].fd == fd)
			*(bool *)((char *)&sb->hosts[i] + offset) = true;
}

/* Runs an nft batch in the namespace fd; what is about says what for in the error sentence. */
static int nft_run(struct netns_sandbox *sb, int fd, const char *cmd, const char *about)
{
	_cleanup_leave_ int back = -1;
	_cleanup_(nft_ctx) *nft = NULL;
	const char *msg;
	int r;

	r = enter_ns(fd, &back);
	if (r < 0)
		return netns_fail(sb, r, "%s: entering the namespace", about);
	mark(sb, fd, offsetof(struct host, nft), &sb->wire_nft);
	/* libnftables opens its netlink socket while in here, so the rules land here too. */
	nft = nft_ctx_new(NFT_CTX_DEFAULT);
	if (!nft)
		return netns_fail(sb, -ENOMEM, "%s: creating an nftables context", about);
	nft_ctx_buffer_output(nft);
	nft_ctx_buffer_error(nft);
	errno = 0;
	if (nft_run_cmd_from_buffer(nft, cmd) == 0)
		return 0;
	/* libnftables reports text, not codes. A refusal by the kernel leaves its errno (libmnl
	 * sets it from the netlink error); a parse or evaluation error leaves 0 or the EAGAIN of
	 * an internal non-blocking read, which the kernel never reports for a batch. */
	r = errno > 0 && errno != EAGAIN ? -errno : -EINVAL;
	msg = nft_ctx_get_error_buffer(nft);
	if (!strncmp(msg, "Error: ", 7))
		msg += 7;
	/* The whole text: its first line may only say where ("In file included from ..."), and
	 * the lines after it show the command with carets under the fault. */
	size_t len = strlen(msg);
	while (len && (msg[len - 1] == '\n' || msg[len - 1] == ' '))
		len--;
	return netns_fail(sb, r, "%s: %.*s", about, (int)len, msg);
}

int netns_nft(struct netns_sandbox *sb, int host, const char *commands)
{
	int fd = ns_of(sb, host);

	if (fd < 0 || !commands)
		return netns_fail(sb, -EINVAL, "nft on host %d", host);
	return nft_run(sb, fd, commands, "nft");
}

int netns_blackhole(struct netns_sandbox *sb, int host, bool on)
{
	/* "add" then "delete" makes removal idempotent; the batch is atomic. */
	static const char off_cmd[] =
		"add table inet tcpfault_blackhole\n"
		"delete table inet tcpfault_blackhole\n";
	static const char on_cmd[] =
		"table inet tcpfault_blackhole {\n"
		"  chain in { type filter hook ingress device \"eth0\" priority -500; policy drop; }\n"
		"  chain out { type filter hook output priority -500; oifname \"eth0\" drop; }\n"
		"}\n";
	char cmd[sizeof(off_cmd) + sizeof(on_cmd)];
	int fd = ns_of(sb, host);

	if (fd < 0 || host == NETNS_WIRE)
		return netns_fail(sb, -EINVAL, "blackhole on host %d", host);
	snprintf(cmd, sizeof(cmd), "%s%s", off_cmd, on ? on_cmd : "");
	return nft_run(sb, fd, cmd, on ? "blackhole on" : "blackhole off");
}

int netns_hold(struct netns_sandbox *sb, int host, bool on)
{
	/* "add" then "delete" makes removal idempotent; the batch is atomic. */
	static const char off_cmd[] =
		"add table arp tcpfault_hold\n"
		"delete table arp tcpfault_hold\n"
		"add table ip6 tcpfault_hold\n"
		"delete table ip6 tcpfault_hold\n";
	static const char on_cmd[] =
		"table arp tcpfault_hold {\n"
		"  chain out { type filter hook output priority 0; policy drop; }\n"
		"}\n"
		"table ip6 tcpfault_hold {\n"
		"  chain out { type filter hook output priority -500; icmpv6 type nd-neighbor-solicit drop; }\n"
		"}\n";
	/* Solicitations (one a second) before an unresolved entry fails and drops what waits:
	 * 100 while held (measured: 5 gave 5 to 6 s), the default 3 again after. */
	const char *probes = on ? "100" : "3";
	_cleanup_(rtnl_link) *eth0 = NULL;
	char cmd[sizeof(off_cmd) + sizeof(on_cmd)];
	int fd = ns_of(sb, host), r;

	if (fd < 0 || host == NETNS_WIRE)
		return netns_fail(sb, -EINVAL, "hold on host %d", host);
	/* Held already: the unresolved entries hold the queue; deleting them would drop it. */
	if (on && sb->hosts[host].held)
		return 0;
	r = rtnl_link_get_kernel(sb->hosts[host].nl, 0, "eth0", &eth0);
	if (r < 0)
		return netns_fail(sb, nle_errno(sb, r), "looking up eth0 of host %d", host);
	snprintf(cmd, sizeof(cmd), "%s%s", off_cmd, on ? on_cmd : "");
	/* On: solicitations cannot leave, then the entries go: what the host sends next waits in
	 * the kernel's queue of packets for an unresolved neighbour. Off: the entries come back,
	 * which sends the queue, in order; then solicitations may leave again. */
	if (!on && (r = host_neighbours(sb, host, rtnl_link_get_ifindex(eth0), true)) < 0)
		return r;
	if ((r = nft_run(sb, fd, cmd, on ? "hold on" : "hold off")) < 0)
		return r;
	for (int f = 0; f < 2; f++) {
		char key[64];
		snprintf(key, sizeof key, "net.%s.neigh.eth0.mcast_solicit", f ? "ipv6" : "ipv4");
		if ((r = sysctl_io(fd, key, probes, NULL, 0)) < 0)
			return sysctl_fail(sb, r, key, probes, host);
	}
	if (on && (r = host_neighbours(sb, host, rtnl_link_get_ifindex(eth0), false)) < 0)
		return r;
	sb->hosts[host].held = on;
	return 0;
}

int netns_unreachable(struct netns_sandbox *sb, int host, enum netns_unreach how)
{
	char cmd[512], ifname[16];
	int n;

	if (!sb || sb->topology != NETNS_ROUTER || host < 0 || (unsigned)host >= sb->nhosts)
		return netns_fail(sb, -EINVAL, "unreachable: host %d has no router in front of it", host);
	netns_wire_ifname(host, ifname);
	/* One table per host; "add" then "delete" makes it idempotent; the batch is atomic. nft
	 * 1.0 wants a newline, not "; }", after a reject statement. */
	n = snprintf(cmd, sizeof(cmd), "add table inet tcpfault_unreach_%s\n"
		     "delete table inet tcpfault_unreach_%s\n", ifname, ifname);
	if (how != NETNS_REACHABLE)
		snprintf(cmd + n, sizeof(cmd) - (size_t)n,
			 "table inet tcpfault_unreach_%s {\n"
			 "  chain toward {\n"
			 "    type filter hook forward priority 0;\n"
			 "    oifname \"%s\" reject with icmpx type %s\n"
			 "  }\n"
			 "}\n", ifname, ifname, how == NETNS_UNREACH_NET ? "no-route" : "host-unreachable");
	return nft_run(sb, sb->wire_fd, cmd, how == NETNS_REACHABLE ? "reachable" : "unreachable");
}

bool netns_netem_available(void)
{
	static int cached = -1;
	_cleanup_(rtnl_qdisc) *q = NULL;
	_cleanup_(nl_sock) *nl = NULL;
	_cleanup_close_ int fd = -1;

	if (cached >= 0)
		return cached;
	/* A scratch namespace: the qdisc, if added, dies with it when fd closes. */
	if (ns_new(NULL, NETLINK_ROUTE, &fd, &nl) < 0)
		return false;   /* not cached: the probe itself failed, not netem */
	q = rtnl_qdisc_alloc();
	if (!q)
		return false;
	rtnl_tc_set_ifindex(TC_CAST(q), 1);   /* lo is always ifindex 1 in a new namespace */
	rtnl_tc_set_parent(TC_CAST(q), TC_H_ROOT);
	if (rtnl_tc_set_kind(TC_CAST(q), "netem") < 0) {
		cached = 0;
		return false;
	}
	rtnl_netem_set_loss(q, 1);
	cached = rtnl_qdisc_add(nl, q, NLM_F_CREATE) == 0;
	return cached;
}

/* Puts (or removes) a root netem qdisc dropping every packet on ifname, through nl. */
static int netem_loss(struct netns_sandbox *sb, struct nl_sock *nl, const char *ifname, bool on)
{
	_cleanup_(rtnl_link) *link = NULL;
	_cleanup_(rtnl_qdisc) *q = NULL;
	int r = rtnl_link_get_kernel(nl, 0, ifname, &link);

	if (r < 0)
		return netns_fail(sb, nle_errno(sb, r), "netem: no link %s", ifname);
	q = rtnl_qdisc_alloc();
	if (!q)
		return netns_fail(sb, -ENOMEM, "netem: allocating a qdisc");
	rtnl_tc_set_ifindex(TC_CAST(q), rtnl_link_get_ifindex(link));
	rtnl_tc_set_parent(TC_CAST(q), TC_H_ROOT);
	if (!on) {
		r = rtnl_qdisc_delete(nl, q);
		/* Removing a qdisc that is not there leaves the default one: what "off" means. */
		if (r < 0 && (r = nle_errno(sb, r)) != -ENOENT && r != -EINVAL)
			return netns_fail(sb, r, "netem: removing the qdisc on %s", ifname);
		return 0;
	}
	if ((r = rtnl_tc_set_kind(TC_CAST(q), "netem")) < 0)
		return netns_fail(sb, -EOPNOTSUPP, "netem: libnl does not know the netem qdisc");
	rtnl_netem_set_loss(q, (int)UINT32_MAX);   /* a probability scaled to 2^32-1: 100% */
	r = rtnl_qdisc_add(nl, q, NLM_F_CREATE | NLM_F_REPLACE);
	if (r < 0)
		return netns_fail(sb, nle_errno(sb, r), "netem: adding loss 100%% on %s", ifname);
	return 0;
}

int netns_link_stats(struct netns_sandbox *sb, int host, uint64_t *ret_rx, uint64_t *ret_tx)
{
	_cleanup_(rtnl_link) *link = NULL;
	char ifname[16];
	int r;

	if (host < 0 || (unsigned)host >= sb->nhosts)
		return netns_fail(sb, -EINVAL, "link stats of host %d", host);
	r = rtnl_link_get_kernel(sb->wire_nl, 0, netns_wire_ifname(host, ifname), &link);
	if (r < 0)
		return netns_fail(sb, nle_errno(sb, r), "link stats: no link %s", ifname);
	*ret_rx = rtnl_link_get_stat(link, RTNL_LINK_RX_PACKETS);
	*ret_tx = rtnl_link_get_stat(link, RTNL_LINK_TX_PACKETS);
	return 0;
}

int netns_netem_blackhole(struct netns_sandbox *sb, int host, bool on)
{
	char ifname[16];
	int r;

	if (host < 0 || (unsigned)host >= sb->nhosts)
		return netns_fail(sb, -EINVAL, "netem blackhole on host %d", host);
	if (on && !netns_netem_available())
		return netns_fail(sb, -EOPNOTSUPP, "this kernel has no netem qdisc (sch_netem is not built or "
			    "not loadable); 'blackhole HOST' without 'netem' uses nftables instead");
	sb->hosts[host].netem = true;   /* both ends: host_reset() removes them */
	/* Both directions on the wire: toward the host (wire side) and from it (host side). */
	r = netem_loss(sb, sb->wire_nl, netns_wire_ifname(host, ifname), on);
	if (r < 0)
		return r;
	return netem_loss(sb, sb->hosts[host].nl, "eth0", on);
}

int netns_host_reboot(struct netns_sandbox *sb, int host)
{
	_cleanup_(rtnl_link) *l = NULL;
	char ifname[16];
	int r;

	if (ns_of(sb, host) < 0 || host == NETNS_WIRE)
		return netns_fail(sb, -EINVAL, "rebooting host %d", host);
	/* Cut the cable first, so nothing the dying namespace sends reaches the wire; deleting
	 * one end of a veth deletes both, freeing the name h<i> now rather than when the old
	 * namespace is finally torn down. */
	l = rtnl_link_alloc();
	if (!l)
		return netns_fail(sb, -ENOMEM, "allocating a link");
	rtnl_link_set_name(l, netns_wire_ifname(host, ifname));
	r = rtnl_link_delete(sb->wire_nl, l);
	if (r < 0)
		return netns_fail(sb, nle_errno(sb, r), "deleting veth %s", ifname);
	host_close(&sb->hosts[host]);
	return host_up(sb, host);
}

/* ---- observation ---- */

struct dump {
	struct netns_sock *out;
	unsigned max, n;
};

static int diag_cb(struct nl_msg *msg, void *arg)
{
	struct dump *d = arg;
	struct nlmsghdr *nlh = nlmsg_hdr(msg);
	const struct inet_diag_msg *m = nlmsg_data(nlh);
	struct netns_sock *s;

	if (nlh->nlmsg_type != SOCK_DIAG_BY_FAMILY || nlmsg_datalen(nlh) < (int)sizeof(*m))
		return NL_SKIP;
	if (d->n++ >= d->max)
		return NL_SKIP;   /* counted, not stored; the dump is read to its end */
	s = &d->out[d->n - 1];
	memset(s, 0, sizeof(*s));
	s->family = m->idiag_family;
	s->state = m->idiag_state;
	inet_ntop(m->idiag_family, m->id.idiag_src, s->src, sizeof(s->src));
	inet_ntop(m->idiag_family, m->id.idiag_dst, s->dst, sizeof(s->dst));
	s->sport = ntohs(m->id.idiag_sport);
	s->dport = ntohs(m->id.idiag_dport);
	s->rqueue = m->idiag_rqueue;
	s->wqueue = m->idiag_wqueue;
	return NL_OK;
}

/* Raw SOCK_DIAG_BY_FAMILY rather than libnl-idiag: libnl-idiag sends the old TCPDIAG_GETSOCK
 * request, which the kernel answers for both families whatever family is asked, so two calls
 * would list every socket twice. */
int netns_sockets(struct netns_sandbox *sb, int host, struct netns_sock *out, unsigned max)
{
	static const int families[] = { AF_INET, AF_INET6 };
	_cleanup_leave_ int back = -1;
	_cleanup_(nl_sock) *nl = NULL;
	struct dump d = { out, max, 0 };
	struct timeval tv = { .tv_sec = 5 };
	int fd = ns_of(sb, host), r;

	if (fd < 0 || (!out && max))
		return netns_fail(sb, -EINVAL, "listing sockets of host %d", host);
	r = enter_ns(fd, &back);
	if (r < 0)
		return netns_fail(sb, r, "entering host %d", host);
	nl = nl_socket_alloc();
	if (!nl)
		return netns_fail(sb, -ENOMEM, "allocating a netlink socket");
	nl_socket_modify_err_cb(nl, NL_CB_CUSTOM, nl_err_cb, sb);
	nl_socket_modify_cb(nl, NL_CB_VALID, NL_CB_CUSTOM, diag_cb, &d);
	r = nl_connect(nl, NETLINK_SOCK_DIAG);
	if (r < 0)
		return netns_fail(sb, nle_errno(sb, r), "opening sock_diag in host %d", host);
	/* Bounds the wait should the kernel never finish the dump. */
	setsockopt(nl_socket_get_fd(nl), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	for (size_t i = 0; i < 2; i++) {
		struct inet_diag_req_v2 req = {
			.sdiag_family = families[i],
			.sdiag_protocol = IPPROTO_TCP,
			.idiag_states = ~0U,
		};
		r = nl_send_simple(nl, SOCK_DIAG_BY_FAMILY, NLM_F_DUMP, &req, sizeof(req));
		if (r >= 0)
			r = nl_recvmsgs_default(nl);
		if (r < 0)
			return netns_fail(sb, nle_errno(sb, r), "listing sockets of host %d", host);
	}
	return (int)d.n;
}

static const char *const state_names[] = {
	[1] = "ESTABLISHED", "SYN-SENT", "SYN-RECV", "FIN-WAIT-1", "FIN-WAIT-2", "TIME-WAIT",
	"CLOSE", "CLOSE-WAIT", "LAST-ACK", "LISTEN", "CLOSING", "NEW-SYN-RECV",
};
#define NSTATES (sizeof(state_names) / sizeof(state_names[0]))

const char *netns_state_name(uint8_t state)
{
	return state < NSTATES && state_names[state] ? state_names[state] : "UNKNOWN";
}

int netns_state_from_name(const char *name)
{
	for (unsigned s = 1; name && s < NSTATES; s++) {
		const char *a = state_names[s], *b = name;
		while (*a && (*b == *a || (*a == '-' && *b == '_')))
			a++, b++;
		if (!*a && !*b)
			return (int)s;
	}
	return -EINVAL;
}

/* Finds prefix.field in f, text of "Prefix: names..." / "Prefix: values..." pairs as in a
 * /proc/net file. */
static int counter_in(FILE *f, const char *prefix, const char *field, long long *ret)
{
	char *names = NULL, *values = NULL, *sn, *sv, *n, *v;
	size_t nlen = 0, vlen = 0, plen = strlen(prefix);
	int r = -ENOENT;

	while (r == -ENOENT && getline(&names, &nlen, f) > 0 && getline(&values, &vlen, f) > 0) {
		if (strncmp(names, prefix, plen) || names[plen] != ':')
			continue;
		n = strtok_r(names, " \n", &sn);
		v = strtok_r(values, " \n", &sv);
		while (n && v) {
			n = strtok_r(NULL, " \n", &sn);
			v = strtok_r(NULL, " \n", &sv);
			if (n && v && !strcmp(n, field)) {
				*ret = strtoll(v, NULL, 10);
				r = 0;
				break;
			}
		}
	}
	free(names);
	free(values);
	return r;
}

static const char *const mib_files[] = { "/proc/thread-self/net/netstat", "/proc/thread-self/net/snmp" };

/* prefix.field in the namespace the thread is in: netstat, then snmp. */
static int counter_read(const char *prefix, const char *field, long long *ret)
{
	int r = -ENOENT;

	for (int i = 0; i < 2 && r == -ENOENT; i++) {
		FILE *f = fopen(mib_files[i], "re");
		if (!f)
			return -errno;
		r = counter_in(f, prefix, field, ret);
		fclose(f);
	}
	return r;
}

/* The counters of the namespace the thread is in, as text (netstat's, then snmp's). */
static char *mib_snapshot(void)
{
	char *text = NULL, buf[4096];
	size_t len = 0;
	FILE *m = open_memstream(&text, &len);

	for (int i = 0; m && i < 2; i++) {
		FILE *f = fopen(mib_files[i], "re");
		size_t n;
		while (f && (n = fread(buf, 1, sizeof buf, f)) > 0)
			fwrite(buf, 1, n, m);
		if (f)
			fclose(f);
	}
	if (m && fclose(m) == 0)
		return text;
	free(text);
	return NULL;
}

/* Not counts but values (a constant, a gauge): a reset sandbox's reads are not made relative. */
static bool mib_is_value(const char *prefix, const char *field)
{
	static const char *const values[] = { "Ip.Forwarding", "Ip.DefaultTTL", "Tcp.RtoAlgorithm", "Tcp.RtoMin",
					      "Tcp.RtoMax", "Tcp.MaxConn", "Tcp.CurrEstab" };
	char name[128];

	snprintf(name, sizeof name, "%s.%s", prefix, field);
	for (size_t i = 0; i < sizeof values / sizeof values[0]; i++)
		if (!strcmp(name, values[i]))
			return true;
	return false;
}

int netns_counter(struct netns_sandbox *sb, int host, const char *name, long long *ret)
{
	_cleanup_leave_ int back = -1;
	char prefix[32];
	const char *dot = name ? strchr(name, '.') : NULL;
	int fd = ns_of(sb, host), r;

	if (fd < 0 || !dot || !ret || (size_t)(dot - name) >= sizeof(prefix))
		return netns_fail(sb, -EINVAL, "reading counter %s on host %d", name ? name : "(null)", host);
	memcpy(prefix, name, dot - name);
	prefix[dot - name] = '\0';
	if (!strcmp(prefix, "Nft"))
		return netns_nft_counter(sb, host, dot + 1, ret);
	r = enter_ns(fd, &back);
	if (r < 0)
		return netns_fail(sb, r, "entering host %d", host);
	r = counter_read(prefix, dot + 1, ret);
	if (r < 0)
		return netns_fail(sb, r, "reading counter %s on host %d", name, host);
	/* In a reset sandbox: what this run counted, as in a new namespace. */
	const char *mib = host != NETNS_WIRE ? sb->hosts[host].mib : NULL;
	long long before = 0;
	FILE *f = mib && !mib_is_value(prefix, dot + 1) ? fmemopen((void *)mib, strlen(mib), "r") : NULL;
	if (f) {
		if (counter_in(f, prefix, dot + 1, &before) == 0)
			*ret -= before;
		fclose(f);
	}
	return 0;
}

int netns_counters_snapshot(struct netns_sandbox *sb, int host, char **ret)
{
	_cleanup_leave_ int back = -1;
	int fd = ns_of(sb, host), r;

	if (fd < 0 || !ret)
		return netns_fail(sb, -EINVAL, "reading the counters of host %d", host);
	if ((r = enter_ns(fd, &back)) < 0)
		return netns_fail(sb, r, "entering host %d", host);
	if (!(*ret = mib_snapshot()))
		return netns_fail(sb, -ENOMEM, "reading the counters of host %d", host);
	return 0;
}

int netns_counters_changed(struct netns_sandbox *sb, int host, const char *before,
			   void (*fn)(const char *name, long long delta, void *arg), void *arg)
{
	char *now = NULL, *names = NULL, *values = NULL, *sn, *sv, name[160];
	size_t nlen = 0, vlen = 0;
	int r = netns_counters_snapshot(sb, host, &now);
	FILE *f;

	if (r < 0)
		return r;
	if (!(f = fmemopen(now, strlen(now), "r"))) {
		free(now);
		return netns_fail(sb, -errno, "reading the counters of host %d", host);
	}
	/* "Prefix: names..." then "Prefix: values...", for the TCP prefixes only. */
	while (getline(&names, &nlen, f) > 0 && getline(&values, &vlen, f) > 0) {
		char *prefix = strtok_r(names, " \n", &sn);
		strtok_r(values, " \n", &sv);
		if (!prefix || (strcmp(prefix, "Tcp:") && strcmp(prefix, "TcpExt:")))
			continue;
		prefix[strlen(prefix) - 1] = '\0';
		for (char *n, *v; (n = strtok_r(NULL, " \n", &sn)) && (v = strtok_r(NULL, " \n", &sv));) {
			long long was = 0, is = strtoll(v, NULL, 10);
			FILE *b = before && !mib_is_value(prefix, n) ? fmemopen((void *)before, strlen(before), "r") : NULL;
			if (!b)
				continue;
			counter_in(b, prefix, n, &was);      /* none before: 0 (a counter this kernel added) */
			fclose(b);
			if (is != was) {
				snprintf(name, sizeof name, "%s.%s", prefix, n);
				fn(name, is - was, arg);
			}
		}
	}
	fclose(f);
	free(names);
	free(values);
	free(now);
	return 0;
}

/* ---- reset: the sandbox as it was made, for the next run (netns.h) ---- */

/* A raw netlink socket of protocol in namespace nsfd; -errno. */
static int nl_open(int nsfd, int protocol)
{
	_cleanup_leave_ int back = -1;
	struct timeval tv = { .tv_sec = 2 };
	int r = enter_ns(nsfd, &back), fd;

	if (r < 0)
		return r;
	fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, protocol);
	if (fd < 0)
		return -errno;
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
	return fd;
}

/* A raw netlink exchange on fd (nl_open()): req sent, replies read until the kernel's ack or
 * the dump's end, each given to on_msg (if any). 0, or -errno: the kernel's, or -ETIMEDOUT
 * after 2 s of silence. */
static int nl_talk(int fd, struct nlmsghdr *req, void (*on_msg)(const struct nlmsghdr *, void *), void *arg)
{
	static char buf[32768] __attribute__((aligned(NLMSG_ALIGNTO)));

	req->nlmsg_seq++;
	if (send(fd, req, req->nlmsg_len, 0) < 0)
		return -errno;
	for (int rounds = 0; rounds < 100000; rounds++) {
		ssize_t n = recv(fd, buf, sizeof buf, 0);
		if (n < 0)
			return errno == EAGAIN ? -ETIMEDOUT : -errno;
		for (struct nlmsghdr *h = (struct nlmsghdr *)buf; NLMSG_OK(h, (size_t)n); h = NLMSG_NEXT(h, n)) {
			if (h->nlmsg_type == NLMSG_DONE)
				return 0;
			if (h->nlmsg_type == NLMSG_ERROR)
				return ((struct nlmsgerr *)NLMSG_DATA(h))->error;
			if (on_msg)
				on_msg(h, arg);
		}
	}
	return -ETIMEDOUT;
}

/* nl_talk() on a socket of its own in nsfd. */
static int nl_talk_in(int nsfd, int protocol, struct nlmsghdr *req,
		      void (*on_msg)(const struct nlmsghdr *, void *), void *arg)
{
	_cleanup_close_ int fd = nl_open(nsfd, protocol);

	return fd < 0 ? fd : nl_talk(fd, req, on_msg, arg);
}

struct socks { struct inet_diag_sockid *id; int *family; unsigned n, max; };

static void sock_cb(const struct nlmsghdr *h, void *arg)
{
	struct socks *s = arg;
	const struct inet_diag_msg *m = NLMSG_DATA(h);

	if (h->nlmsg_type != SOCK_DIAG_BY_FAMILY || h->nlmsg_len < NLMSG_LENGTH(sizeof *m) || s->n >= s->max)
		return;
	s->id[s->n] = m->id;
	s->family[s->n++] = m->idiag_family;
}

/* Destroys (SOCK_DESTROY) every TCP socket left in host; returns how many remain, dumped again
 * after (it cannot destroy: a kernel without CONFIG_INET_DIAG_DESTROY, one whose TIME-WAIT it
 * refuses; and 5.10.0-46 under TCG kept a socket on port 5000 the destroy did not count as
 * refused, so the next run's bind failed EADDRINUSE), or -errno. Every state but
 * TCP_BOUND_INACTIVE (Linux 6.5 on: a socket bound, neither listening nor connected), whose
 * dump walks the machine's whole bind hash, not the namespace's (0.38 ms a family here,
 * against 0.03 for every other state): such a socket lives only while a process holds it, and
 * none outlives a run (the slot's worker ends every other process, its kept peers close every
 * socket), nor can SOCK_DESTROY unbind it. No socket at the first dump: none to count again. */
static int sockets_destroy(struct netns_sandbox *sb, int host)
{
	struct { struct nlmsghdr h; struct inet_diag_req_v2 r; } req;
	struct socks s = { .max = NETNS_MAX_SOCKS };
	int r = 0;

	_cleanup_close_ int fd = nl_open(sb->hosts[host].fd, NETLINK_SOCK_DIAG);

	if (fd < 0)
		return fd;
	s.id = calloc(s.max, sizeof *s.id);
	s.family = calloc(s.max, sizeof *s.family);
	if (!s.id || !s.family) {
		r = -ENOMEM;
		goto out;
	}
	for (int pass = 0; pass < 2 && r >= 0; pass++) {
		s.n = 0;
		for (int f = 0; f < 2 && r >= 0; f++) {
			req = (typeof(req)){ .h = { .nlmsg_len = sizeof req, .nlmsg_type = SOCK_DIAG_BY_FAMILY,
						  .nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP },
					     .r = { .sdiag_family = f ? AF_INET6 : AF_INET, .sdiag_protocol = IPPROTO_TCP,
						    .idiag_states = ~0U & ~(1U << 13) } };
			r = nl_talk(fd, &req.h, sock_cb, &s);
		}
		if (s.n == 0)
			break;
		/* A socket gone meanwhile (ENOENT) is what was wanted; the second dump counts what is left. */
		for (unsigned i = 0; pass == 0 && i < s.n && r >= 0; i++) {
			req = (typeof(req)){ .h = { .nlmsg_len = sizeof req, .nlmsg_type = SOCK_DESTROY,
						  .nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK },
					     .r = { .sdiag_family = (uint8_t)s.family[i], .sdiag_protocol = IPPROTO_TCP,
						    .idiag_states = ~0U, .id = s.id[i] } };
			(void)nl_talk(fd, &req.h, NULL, NULL);
		}
	}
out:
	free(s.id);
	free(s.family);
	return r < 0 ? r : (int)s.n;
}

/* Forgets the namespace's connections (conntrack): an nft rule matching "ct" made them. A
 * namespace where conntrack never ran has none (ENOENT, EOPNOTSUPP: nothing to forget). */
static int conntrack_flush(int nsfd)
{
	struct { struct nlmsghdr h; struct nfgenmsg g; } req = {
		.h = { .nlmsg_len = sizeof req, .nlmsg_type = (NFNL_SUBSYS_CTNETLINK << 8) | IPCTNL_MSG_CT_DELETE,
		       .nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK },
		.g = { .nfgen_family = AF_UNSPEC, .version = NFNETLINK_V0 },
	};
	int r = nl_talk_in(nsfd, NETLINK_NETFILTER, &req.h, NULL, NULL);

	return r == -ENOENT || r == -EOPNOTSUPP || r == -EPROTONOSUPPORT ? 0 : r;
}

static void family_cb(const struct nlmsghdr *h, void *arg)
{
	int len = (int)h->nlmsg_len - NLMSG_LENGTH(GENL_HDRLEN);

	for (struct nlattr *a = (struct nlattr *)((char *)NLMSG_DATA(h) + GENL_HDRLEN);
	     len >= (int)sizeof *a && a->nla_len >= sizeof *a && a->nla_len <= len;
	     len -= NLA_ALIGN(a->nla_len), a = (struct nlattr *)((char *)a + NLA_ALIGN(a->nla_len)))
		if ((a->nla_type & NLA_TYPE_MASK) == CTRL_ATTR_FAMILY_ID)
			*(int *)arg = *(uint16_t *)((char *)a + NLA_HDRLEN);
}

static void count_cb(const struct nlmsghdr *h, void *arg)
{
	(*(int *)arg)++;
}

/* The TCP metrics cache (RTT, ssthresh, Fast Open cookies per destination, saved when a
 * connection closes), which a next connection to that address starts from: emptied. Returns
 * 0, or -errno where it is not empty and cannot be emptied (its flush needs CAP_NET_ADMIN in
 * the initial namespace: not so without root). */
static int tcp_metrics_flush(int nsfd)
{
	static int family;   /* generic netlink families are the machine's, not a namespace's */
	struct { struct nlmsghdr h; struct genlmsghdr g; char attr[NLA_HDRLEN + 16]; } req;
	_cleanup_close_ int fd = nl_open(nsfd, NETLINK_GENERIC);
	int r, n = 0;

	if (fd < 0)
		return fd;
	if (!family) {
		req = (typeof(req)){ .h = { .nlmsg_len = sizeof req, .nlmsg_type = GENL_ID_CTRL,
					  .nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK },
				     .g = { .cmd = CTRL_CMD_GETFAMILY, .version = 1 } };
		struct nlattr *a = (struct nlattr *)req.attr;
		a->nla_type = CTRL_ATTR_FAMILY_NAME;
		a->nla_len = NLA_HDRLEN + sizeof TCP_METRICS_GENL_NAME;
		memcpy(req.attr + NLA_HDRLEN, TCP_METRICS_GENL_NAME, sizeof TCP_METRICS_GENL_NAME);
		r = nl_talk(fd, &req.h, family_cb, &family);
		if (r < 0 || !family)
			return r < 0 ? r : -ENOENT;
	}
	req = (typeof(req)){ .h = { .nlmsg_len = NLMSG_LENGTH(GENL_HDRLEN), .nlmsg_type = (uint16_t)family,
				  .nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP },
			     .g = { .cmd = TCP_METRICS_CMD_GET, .version = TCP_METRICS_GENL_VERSION } };
	if ((r = nl_talk(fd, &req.h, count_cb, &n)) < 0 || n == 0)
		return r;
	req.h.nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK;
	req.g.cmd = TCP_METRICS_CMD_DEL;   /* without an address: every entry */
	return nl_talk(fd, &req.h, NULL, NULL);
}

static void neigh_cb(const struct nlmsghdr *h, void *arg)
{
	const struct ndmsg *m = NLMSG_DATA(h);
	int *counts = arg;   /* [0] permanent, [1] anything else */

	if (h->nlmsg_type == RTM_NEWNEIGH && h->nlmsg_len >= NLMSG_LENGTH(sizeof *m) && !(m->ndm_state & NUD_NOARP))
		counts[!(m->ndm_state & NUD_PERMANENT)]++;
}

/* Whether host's neighbour table is as made: its permanent entries, nothing learned (an
 * address a scenario tried that answers no one leaves a FAILED entry, which would fail the
 * next run's attempt at once). */
static bool neighbours_as_made(struct netns_sandbox *sb, int host)
{
	struct { struct nlmsghdr h; struct ndmsg m; } req = {
		.h = { .nlmsg_len = sizeof req, .nlmsg_type = RTM_GETNEIGH, .nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP },
	};
	int counts[2] = { 0, 0 };

	return nl_talk_in(sb->hosts[host].fd, NETLINK_ROUTE, &req.h, neigh_cb, counts) == 0 &&
	       counts[0] == 2 * ((int)sb->nhosts - 1) && counts[1] == 0;
}

/* Puts back what the harness changed in host; 1 if it must be made anew instead, 0, -errno. */
static int host_reset(struct netns_sandbox *sb, int i)
{
	struct host *h = &sb->hosts[i];
	char ifname[16];

	if (h->doubt)
		return 1;
	if (h->held && netns_hold(sb, i, false) < 0)
		return 1;
	if (h->nft && (nft_run(sb, h->fd, "flush ruleset\n", "reset") < 0 || conntrack_flush(h->fd) < 0))
		return 1;
	if (h->netem && (netem_loss(sb, sb->wire_nl, netns_wire_ifname(i, ifname), false) < 0 ||
			 netem_loss(sb, h->nl, "eth0", false) < 0))
		return 1;
	while (h->nsysctl > 0) {
		h->nsysctl--;
		if (sysctl_io(h->fd, h->sysctl[h->nsysctl].key, h->sysctl[h->nsysctl].orig, NULL, 0) < 0)
			return 1;
	}
	if (h->quickack || h->rto_min_ms) {
		h->quickack = false;
		h->rto_min_ms = 0;
		if (routes_metrics(sb, i, "reset") < 0)
			return 1;
	}
	h->nft = h->netem = false;
	if (sockets_destroy(sb, i) != 0 || tcp_metrics_flush(h->fd) < 0 || !neighbours_as_made(sb, i))
		return 1;
	return 0;
}

int netns_sandbox_reset(struct netns_sandbox *sb, unsigned *ret_remade)
{
	unsigned remade = 0;
	int r;

	if (!sb || sb->topology != NETNS_BRIDGE || sb->wire_nft || sb->wire_sysctl)
		return netns_fail(sb, -EOPNOTSUPP, "reset: only a bridge sandbox whose wire is untouched");
	for (unsigned i = 0; i < sb->nhosts; i++) {
		r = host_reset(sb, (int)i);
		if (r < 0)
			return r;
		if (r == 0)
			continue;
		/* Made anew, as a reboot makes it, but with nothing of the run's remembered. */
		struct host *h = &sb->hosts[i];
		h->nsysctl = 0;
		h->quickack = false;
		h->rto_min_ms = 0;
		if ((r = netns_host_reboot(sb, (int)i)) < 0)
			return r;
		remade++;
	}
	/* Last, once no host has a socket left to send anything: the counters' baseline
	 * (netns_counter()); a host made anew counts from zero. */
	for (unsigned i = 0; i < sb->nhosts; i++) {
		_cleanup_leave_ int back = -1;
		struct host *h = &sb->hosts[i];
		free(h->mib);
		h->mib = NULL;
		if ((r = enter_ns(h->fd, &back)) < 0)
			return netns_fail(sb, r, "reset: entering host %u", i);
		if (!(h->mib = mib_snapshot()))
			return netns_fail(sb, -ENOMEM, "reset: reading host %u's counters", i);
	}
	if (ret_remade)
		*ret_remade = remade;
	return 0;
}
