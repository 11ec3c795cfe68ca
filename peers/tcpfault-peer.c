/* SPDX-License-Identifier: MIT */
/*
 * tcpfault-peer: runs socket operations on command from the controller and reports every
 * syscall it makes (the protocol is in peer.h).
 *
 * Threads: the main thread reads commands from the control fd, validates them, runs the "-"
 * commands and `interrupt` itself, and queues the rest to the worker thread of their socket
 * name. Each name has one worker (made on first use, never ended), so one name's commands run
 * in order and a call blocked on one name never delays another. `lock` guards the name table,
 * the queues and the counters; `send_lock` keeps reports whole on the control fd.
 *
 * There is no SIGSEGV handler: `crash` must kill the process the way a real bug does.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/ip.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "peer.h"

#define MAX_SOCKS PEER_MAX_SOCKS
#define QUEUE_LEN 8
#define MAX_ARGS 6
#define IO_MAX (16 << 20)
#define WORKER_STACK (256 << 10)
#define INTERRUPT_TRIES 100  /* x 10 ms: how long `interrupt` keeps signalling a busy worker */

struct slot {
	char name[32];            /* "" while unused */
	int fd;                   /* -1 while no socket has this name */
	int family;
	bool has_thread;
	pthread_t thread;
	pthread_cond_t wake;      /* the queue is not empty */
	char queue[QUEUE_LEN][PEER_MSG_MAX + 1];
	unsigned head, count;
	bool busy;                /* running a command */
	unsigned long returns;    /* syscalls that have returned on this worker */
};

struct cmd {
	int id;
	char *sock, *op, *arg[MAX_ARGS];
	int nargs;
	char buf[PEER_MSG_MAX + 1];
};

enum where { ON_SOCK, ON_DASH, ON_MAIN };
static const struct op {
	const char *name;
	int min, max;
	enum where where;
} ops[] = {
	{ "socket", 1, 1, ON_SOCK },   { "bind", 2, 2, ON_SOCK },       { "listen", 1, 1, ON_SOCK },
	{ "connect", 2, 2, ON_SOCK },  { "await-connect", 1, 1, ON_SOCK },
	{ "accept", 1, 1, ON_SOCK },   { "read", 1, 1, ON_SOCK },       { "write", 1, 2, ON_SOCK },
	{ "shutdown", 1, 1, ON_SOCK }, { "close", 0, 0, ON_SOCK },      { "nonblock", 0, 0, ON_SOCK },
	{ "setsockopt", 2, 3, ON_SOCK }, { "interrupt", 0, 0, ON_MAIN },
	{ "sigpipe", 1, 1, ON_DASH },  { "crash", 0, 0, ON_DASH },
	{ "synflood", 4, 4, ON_DASH }, { "reset", 0, 0, ON_DASH },
};

enum optkind { OPT_INT, OPT_LINGER, OPT_MS_TIMEVAL };
static const struct sockopt {
	const char *name;
	int level, opt;
	enum optkind kind;
} sockopts[] = {
	{ "linger", SOL_SOCKET, SO_LINGER, OPT_LINGER },
	{ "reuseaddr", SOL_SOCKET, SO_REUSEADDR, OPT_INT },
	{ "reuseport", SOL_SOCKET, SO_REUSEPORT, OPT_INT },
	{ "keepalive", SOL_SOCKET, SO_KEEPALIVE, OPT_INT },
	{ "keepidle", IPPROTO_TCP, TCP_KEEPIDLE, OPT_INT },
	{ "keepintvl", IPPROTO_TCP, TCP_KEEPINTVL, OPT_INT },
	{ "keepcnt", IPPROTO_TCP, TCP_KEEPCNT, OPT_INT },
	{ "user_timeout", IPPROTO_TCP, TCP_USER_TIMEOUT, OPT_INT },
	{ "rcvtimeo", SOL_SOCKET, SO_RCVTIMEO, OPT_MS_TIMEVAL },
	{ "sndtimeo", SOL_SOCKET, SO_SNDTIMEO, OPT_MS_TIMEVAL },
	{ "nodelay", IPPROTO_TCP, TCP_NODELAY, OPT_INT },
	{ "rcvbuf", SOL_SOCKET, SO_RCVBUF, OPT_INT },
	{ "sndbuf", SOL_SOCKET, SO_SNDBUF, OPT_INT },
};

static struct slot slots[MAX_SOCKS];
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t returned;   /* some worker's syscall returned; CLOCK_MONOTONIC */
static pthread_mutex_t send_lock = PTHREAD_MUTEX_INITIALIZER;
static int control = -1;

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

static uint64_t now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t) ts.tv_sec * 1000000 + (uint64_t) ts.tv_nsec / 1000;
}

static __attribute__((format(printf, 1, 2))) void send_msg(const char *fmt, ...)
{
	char msg[PEER_MSG_MAX + 1];
	va_list ap;
	int len;

	va_start(ap, fmt);
	len = vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (len > PEER_MSG_MAX)
		len = PEER_MSG_MAX;
	pthread_mutex_lock(&send_lock);
	/* A failed send means the controller is gone; PDEATHSIG or EOF on recv ends us. */
	for (int i = 0; i < 10; i++)
		if (send(control, msg, (size_t) len, MSG_NOSIGNAL) >= 0 || errno != EINTR)
			break;
	pthread_mutex_unlock(&send_lock);
}

static void report(const struct cmd *c, struct slot *s, const char *call, long long ret, int err,
		   uint64_t t_us)
{
	const char *name = err ? peer_errno_name(err) : "-";

	send_msg("R %d %s %s %lld %s %llu", c->id, c->sock, call, ret, name ? name : "EUNKNOWN",
		 (unsigned long long) t_us);
	if (s) {
		pthread_mutex_lock(&lock);
		s->returns++;
		pthread_cond_broadcast(&returned);
		pthread_mutex_unlock(&lock);
	}
}

/* Makes one syscall and reports it; errno is read on the very next statement. */
#define CALL(c, s, call, expr)                                                   \
	({                                                                       \
		long long r_ = (expr);                                           \
		int e_ = errno;                                                  \
		uint64_t t_ = now_us();                                          \
		report((c), (s), (call), r_, r_ < 0 ? e_ : 0, t_);               \
		r_;                                                              \
	})


static bool valid_name(const char *s)
{
	size_t n = strspn(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-");
	return n >= 1 && n <= 31 && s[n] == '\0' && strcmp(s, "-") != 0;
}

static int parse_cmd(const char *msg, struct cmd *c)
{
	char *w[MAX_ARGS + 3], *save = NULL;
	long long id;
	int n = 0;

	c->id = 0;
	snprintf(c->buf, sizeof(c->buf), "%s", msg);
	for (char *t = strtok_r(c->buf, " ", &save); t; t = strtok_r(NULL, " ", &save)) {
		if (n == (int) ARRAY_SIZE(w))
			return -E2BIG;
		w[n++] = t;
	}
	if (n == 0 || peer_parse_number(w[0], 1, INT32_MAX, &id) < 0)
		return -EINVAL;
	c->id = (int) id;   /* so that an E about the rest can name the command */
	if (n < 3)
		return -EINVAL;
	c->sock = w[1];
	c->op = w[2];
	c->nargs = n - 3;
	for (int i = 0; i < c->nargs; i++)
		c->arg[i] = w[i + 3];
	return 0;
}

/* The slot of name, or ("" as name) the first unused one; NULL if none. Slots are used in order
 * and never freed, so the search ends at the first unused one: a scan of all PEER_MAX_SOCKS
 * would touch a page of each (a slot is 4 KiB) on every new name, tens of ms a first command. */
static struct slot *find_slot(const char *name)   /* with lock held */
{
	for (int i = 0; i < MAX_SOCKS; i++)
		if (strcmp(slots[i].name, name) == 0 || !slots[i].name[0])
			return strcmp(slots[i].name, name) == 0 ? &slots[i] : NULL;
	return NULL;
}

static int slot_fd(const char *name)
{
	pthread_mutex_lock(&lock);
	struct slot *s = find_slot(name);
	int fd = s ? s->fd : -1;
	pthread_mutex_unlock(&lock);
	return fd;
}

static void set_fd(struct slot *s, int fd, int family)
{
	pthread_mutex_lock(&lock);
	s->fd = fd;
	s->family = family;
	pthread_mutex_unlock(&lock);
}

/* ADDR PORT in the socket's family; false if they don't parse. */
static bool make_addr(int family, const char *addr, const char *port, struct sockaddr_storage *ss,
		      socklen_t *len)
{
	long long p;

	memset(ss, 0, sizeof(*ss));
	if (peer_parse_number(port, 0, 65535, &p) < 0)
		return false;
	if (family == AF_INET) {
		struct sockaddr_in *sin = (struct sockaddr_in *) ss;
		sin->sin_family = AF_INET;
		sin->sin_port = htons((uint16_t) p);
		*len = sizeof(*sin);
		return inet_pton(AF_INET, addr, &sin->sin_addr) == 1;
	}
	struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *) ss;
	sin6->sin6_family = AF_INET6;
	sin6->sin6_port = htons((uint16_t) p);
	*len = sizeof(*sin6);
	return inet_pton(AF_INET6, addr, &sin6->sin6_addr) == 1;
}

static void do_setsockopt(struct cmd *c, struct slot *s, int fd)
{
	const struct sockopt *o = NULL;
	long long v, v2 = 0;

	for (size_t i = 0; i < ARRAY_SIZE(sockopts); i++)
		if (strcmp(sockopts[i].name, c->arg[0]) == 0)
			o = &sockopts[i];
	if (!o || peer_parse_number(c->arg[1], 0, INT32_MAX, &v) < 0 || (c->nargs == 3) != (o->kind == OPT_LINGER) ||
	    (c->nargs == 3 && peer_parse_number(c->arg[2], 0, INT32_MAX, &v2) < 0)) {
		send_msg("E %d bad setsockopt arguments", c->id);
		return;
	}
	if (o->kind == OPT_LINGER) {
		struct linger l = { .l_onoff = (int) v, .l_linger = (int) v2 };
		CALL(c, s, "setsockopt", setsockopt(fd, o->level, o->opt, &l, sizeof(l)));
	} else if (o->kind == OPT_MS_TIMEVAL) {
		struct timeval tv = { .tv_sec = v / 1000, .tv_usec = (v % 1000) * 1000 };
		CALL(c, s, "setsockopt", setsockopt(fd, o->level, o->opt, &tv, sizeof(tv)));
	} else {
		int iv = (int) v;
		CALL(c, s, "setsockopt", setsockopt(fd, o->level, o->opt, &iv, sizeof(iv)));
	}
}

static void do_await_connect(struct cmd *c, struct slot *s, int fd, long long ms)
{
	struct pollfd pfd = { .fd = fd, .events = POLLOUT };
	int soerr = 0;
	socklen_t len = sizeof(soerr);

	if (CALL(c, s, "poll", poll(&pfd, 1, (int) ms)) <= 0)
		return;
	/* Report the pending error as if it were the call's errno: that is what connect() gives. */
	int r = getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &len);
	int err = errno;
	uint64_t t = now_us();
	if (r < 0)
		report(c, s, "so_error", -1, err, t);
	else
		report(c, s, "so_error", soerr ? -1 : 0, soerr, t);
}

static void do_io(struct cmd *c, struct slot *s, int fd, bool is_read)
{
	long long n;
	bool nosignal = c->nargs == 2 && strcmp(c->arg[1], "nosignal") == 0;

	if (peer_parse_number(c->arg[0], 0, IO_MAX, &n) < 0 || (c->nargs == 2 && !nosignal)) {
		send_msg("E %d bad byte count or flag (at most %d bytes)", c->id, IO_MAX);
		return;
	}
	char *buf = malloc((size_t) n + 1);
	if (!buf) {
		send_msg("E %d out of memory", c->id);
		return;
	}
	if (is_read) {
		CALL(c, s, "read", read(fd, buf, (size_t) n));
	} else {
		for (long long i = 0; i < n; i++)
			buf[i] = (char) ('a' + i % 26);
		CALL(c, s, "send", send(fd, buf, (size_t) n, nosignal ? MSG_NOSIGNAL : 0));
	}
	free(buf);
}

/* The Internet checksum (RFC 1071) over an IPv4 pseudo-header and a TCP segment. */
static uint16_t tcp4_checksum(const struct in_addr *src, const struct in_addr *dst, const uint8_t *seg,
			      size_t len)
{
	uint8_t pseudo[12];
	uint32_t sum = 0;

	memcpy(pseudo, src, 4);
	memcpy(pseudo + 4, dst, 4);
	pseudo[8] = 0;
	pseudo[9] = IPPROTO_TCP;
	pseudo[10] = (uint8_t) (len >> 8);
	pseudo[11] = (uint8_t) len;
	for (size_t i = 0; i < sizeof(pseudo); i += 2)
		sum += (uint32_t) (pseudo[i] << 8 | pseudo[i + 1]);
	for (size_t i = 0; i < len; i += 2)
		sum += (uint32_t) (seg[i] << 8 | (i + 1 < len ? seg[i + 1] : 0));
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return htons((uint16_t) ~sum);
}

/*
 * synflood ADDR PORT COUNT SPORT: COUNT bare SYNs to ADDR:PORT from this host's own address,
 * source ports SPORT, SPORT+1, ..., through one raw socket. This kernel holds no socket for
 * them, so they stay half-open at the other end (unless this kernel answers the SYN-ACKs with
 * RST: the scenario drops those). The source address is the one the kernel would pick, read
 * from a connected UDP socket (which sends nothing). Reported as one call "synflood" whose ret
 * is the number sent, or -1 with the errno of the first call that failed.
 */
static void do_synflood(struct cmd *c)
{
	struct sockaddr_storage dst, src;
	socklen_t len, slen = sizeof(src);
	long long count, sport, sent = 0;
	int family = strchr(c->arg[0], ':') ? AF_INET6 : AF_INET;
	uint8_t seg[24], dport[2];
	int fd, r, err;

	if (!make_addr(family, c->arg[0], c->arg[1], &dst, &len) || peer_parse_number(c->arg[2], 1, 100000, &count) < 0 ||
	    peer_parse_number(c->arg[3], 1, 65535, &sport) < 0 || sport + count - 1 > 65535) {
		send_msg("E %d synflood takes ADDR PORT COUNT (1-100000) SPORT (SPORT+COUNT-1 <= 65535)", c->id);
		return;
	}
	memcpy(dport, family == AF_INET ? (void *) &((struct sockaddr_in *) &dst)->sin_port
					: (void *) &((struct sockaddr_in6 *) &dst)->sin6_port, 2);
	fd = socket(family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	r = fd < 0 ? -1 : connect(fd, (struct sockaddr *) &dst, len);
	if (r == 0)
		r = getsockname(fd, (struct sockaddr *) &src, &slen);
	err = errno;
	if (fd >= 0)
		close(fd);
	if (r < 0) {
		report(c, NULL, "synflood", -1, err, now_us());
		return;
	}
	fd = socket(family, SOCK_RAW | SOCK_CLOEXEC, IPPROTO_TCP);
	err = errno;
	if (fd < 0) {
		report(c, NULL, "synflood", -1, err, now_us());
		return;
	}
	if (family == AF_INET6) {
		int off = 16;   /* the kernel fills in the TCP checksum, at byte 16 of the segment */
		/* A raw IPv6 socket's port field names the protocol: it must be 0 or IPPROTO_TCP. */
		((struct sockaddr_in6 *) &dst)->sin6_port = 0;
		if (setsockopt(fd, IPPROTO_IPV6, IPV6_CHECKSUM, &off, sizeof(off)) < 0) {
			err = errno;
			close(fd);
			report(c, NULL, "synflood", -1, err, now_us());
			return;
		}
	} else {
		((struct sockaddr_in *) &dst)->sin_port = 0;
	}
	/* A 24-byte SYN: the header and one MSS option (1460), as a minimal real client sends. */
	for (long long i = 0; i < count; i++) {
		uint16_t p = (uint16_t) (sport + i);
		uint32_t seq = 0x10000000u + (uint32_t) i * 0x10000u;
		memset(seg, 0, sizeof(seg));
		seg[0] = (uint8_t) (p >> 8);
		seg[1] = (uint8_t) p;
		memcpy(seg + 2, dport, 2);
		seg[4] = (uint8_t) (seq >> 24);
		seg[5] = (uint8_t) (seq >> 16);
		seg[6] = (uint8_t) (seq >> 8);
		seg[7] = (uint8_t) seq;
		seg[12] = 6 << 4;           /* data offset: 6 words */
		seg[13] = TH_SYN;
		seg[14] = 0xff;             /* window 65535 */
		seg[15] = 0xff;
		seg[20] = TCPOPT_MAXSEG;
		seg[21] = TCPOLEN_MAXSEG;
		seg[22] = 1460 >> 8;
		seg[23] = 1460 & 0xff;
		if (family == AF_INET) {
			uint16_t sum = tcp4_checksum(&((struct sockaddr_in *) &src)->sin_addr,
						     &((struct sockaddr_in *) &dst)->sin_addr, seg, sizeof(seg));
			memcpy(seg + 16, &sum, 2);
		}
		r = (int) sendto(fd, seg, sizeof(seg), 0, (struct sockaddr *) &dst, len);
		err = errno;
		if (r < 0)
			break;
		sent++;
	}
	close(fd);
	report(c, NULL, "synflood", sent == count ? sent : -1, sent == count ? 0 : err, now_us());
}

/* Runs one command on its socket's worker thread (its caller sends D). */
static void run(struct cmd *c, struct slot *s)
{
	const char *op = c->op, *a0 = c->arg[0];
	int fd = slot_fd(c->sock), new_fd;
	struct sockaddr_storage ss;
	socklen_t len;
	long long v;

	if (strcmp(op, "socket") == 0 || strcmp(op, "accept") == 0) {
		int family = strcmp(a0, "inet") == 0 ? AF_INET : strcmp(a0, "inet6") == 0 ? AF_INET6 : -1;
		if (fd >= 0) {
			send_msg("E %d socket name %s is busy", c->id, c->sock);
		} else if (op[0] == 's' && family < 0) {
			send_msg("E %d socket family must be inet or inet6", c->id);
		} else if (op[0] == 's') {
			new_fd = (int) CALL(c, s, "socket", socket(family, SOCK_STREAM, 0));
			if (new_fd >= 0)
				set_fd(s, new_fd, family);
		} else if ((fd = slot_fd(a0)) < 0) {
			send_msg("E %d unknown socket %s", c->id, a0);
		} else {
			pthread_mutex_lock(&lock);
			family = find_slot(a0)->family;
			pthread_mutex_unlock(&lock);
			new_fd = (int) CALL(c, s, "accept", accept(fd, NULL, NULL));
			if (new_fd >= 0)
				set_fd(s, new_fd, family);
		}
	} else if (fd < 0) {
		send_msg("E %d unknown socket %s", c->id, c->sock);
	} else if (strcmp(op, "bind") == 0 || strcmp(op, "connect") == 0) {
		if (!make_addr(s->family, a0, c->arg[1], &ss, &len))
			send_msg("E %d bad address or port for this socket's family", c->id);
		else if (op[0] == 'b')
			CALL(c, s, "bind", bind(fd, (struct sockaddr *) &ss, len));
		else
			CALL(c, s, "connect", connect(fd, (struct sockaddr *) &ss, len));
	} else if (strcmp(op, "listen") == 0) {
		if (peer_parse_number(a0, 0, INT32_MAX, &v) < 0)
			send_msg("E %d bad backlog", c->id);
		else
			CALL(c, s, "listen", listen(fd, (int) v));
	} else if (strcmp(op, "await-connect") == 0) {
		if (peer_parse_number(a0, 0, INT32_MAX, &v) < 0)
			send_msg("E %d bad timeout", c->id);
		else
			do_await_connect(c, s, fd, v);
	} else if (strcmp(op, "read") == 0 || strcmp(op, "write") == 0) {
		do_io(c, s, fd, op[0] == 'r');
	} else if (strcmp(op, "shutdown") == 0) {
		int how = strcmp(a0, "rd") == 0 ? SHUT_RD : strcmp(a0, "wr") == 0 ? SHUT_WR :
			  strcmp(a0, "rdwr") == 0 ? SHUT_RDWR : -1;
		if (how < 0)
			send_msg("E %d shutdown takes rd, wr or rdwr", c->id);
		else
			CALL(c, s, "shutdown", shutdown(fd, how));
	} else if (strcmp(op, "close") == 0) {
		/* Linux frees the fd even when close() fails, so the name is free either way. */
		CALL(c, s, "close", close(fd));
		set_fd(s, -1, 0);
	} else if (strcmp(op, "nonblock") == 0) {
		/* A socket has no other F_SETFL flags set, so no F_GETFL is needed. */
		CALL(c, s, "fcntl", fcntl(fd, F_SETFL, O_NONBLOCK));
	} else if (strcmp(op, "setsockopt") == 0) {
		do_setsockopt(c, s, fd);
	}
}

/* A worker's command loop; it lasts as long as the process. */
static void *worker(void *arg)
{
	struct slot *s = arg;
	char msg[PEER_MSG_MAX + 1];
	struct cmd c;

	for (;;) {
		pthread_mutex_lock(&lock);
		while (s->count == 0)
			pthread_cond_wait(&s->wake, &lock);
		memcpy(msg, s->queue[s->head], sizeof(msg));
		s->head = (s->head + 1) % QUEUE_LEN;
		s->count--;
		s->busy = true;
		pthread_mutex_unlock(&lock);

		bool parsed = parse_cmd(msg, &c) == 0;   /* parsed once already by main */
		if (parsed)
			run(&c, s);

		pthread_mutex_lock(&lock);
		s->busy = false;
		pthread_cond_broadcast(&returned);
		pthread_mutex_unlock(&lock);
		/* D once idle again: a reset the controller sends on it finds the name not busy. */
		if (parsed)
			send_msg("D %d", c.id);
	}
	return NULL;
}

/* Queues a command to its name's worker, making both on first use; NULL or an error text. */
static const char *enqueue(const char *name, const char *msg)
{
	const char *err = NULL;
	struct slot *s;

	pthread_mutex_lock(&lock);
	s = find_slot(name);
	if (!s && (s = find_slot(""))) {
		snprintf(s->name, sizeof(s->name), "%s", name);
		s->fd = -1;
		if (!s->has_thread)   /* else a name forgotten by reset: its worker waits on it */
			pthread_cond_init(&s->wake, NULL);
	}
	if (!s)
		err = "too many socket names";
	else if (s->count == QUEUE_LEN)
		err = "queue full";
	if (!err && !s->has_thread) {
		pthread_attr_t attr;
		pthread_attr_init(&attr);
		pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
		/* A worker holds a few small buffers: PEER_MAX_SOCKS of them at the default 8 MiB
		 * would reserve 16 GiB of address space. */
		pthread_attr_setstacksize(&attr, WORKER_STACK);
		if (pthread_create(&s->thread, &attr, worker, s) != 0)
			err = "cannot start a worker thread";
		else
			s->has_thread = true;
		pthread_attr_destroy(&attr);
	}
	if (!err) {
		snprintf(s->queue[(s->head + s->count) % QUEUE_LEN], PEER_MSG_MAX + 1, "%.*s",
			 PEER_MSG_MAX, msg);
		s->count++;
		pthread_cond_signal(&s->wake);
	}
	pthread_mutex_unlock(&lock);
	return err;
}

/*
 * Signals the name's worker. A signal that lands before the worker enters its blocking call
 * is lost, so while the worker has work (queued or running) the signal is repeated every 10 ms,
 * for at most a second, until one of its syscalls returns. Reports the first signal.
 */
static void do_interrupt(struct cmd *c)
{
	struct timespec until;
	uint64_t t = 0;
	int rc = ESRCH;

	pthread_mutex_lock(&lock);
	struct slot *s = find_slot(c->sock);
	if (s && s->has_thread) {
		unsigned long seen = s->returns;
		for (int i = 0; i < INTERRUPT_TRIES; i++) {
			uint64_t before = now_us();   /* before: the EINTR may return before pthread_kill does */
			int r = pthread_kill(s->thread, SIGUSR1);
			if (i == 0) {
				rc = r;
				t = before;
			}
			if (r != 0 || !(s->busy || s->count) || s->returns != seen)
				break;
			clock_gettime(CLOCK_MONOTONIC, &until);
			until.tv_nsec += 10 * 1000 * 1000;
			if (until.tv_nsec >= 1000000000) {
				until.tv_sec++;
				until.tv_nsec -= 1000000000;
			}
			pthread_cond_timedwait(&returned, &lock, &until);
			if (!(s->busy || s->count) || s->returns != seen)
				break;
		}
	}
	pthread_mutex_unlock(&lock);
	if (!s || !t)
		send_msg("E %d unknown socket %s", c->id, c->sock);
	else
		report(c, NULL, "signal", rc ? -1 : 0, rc, t);
}

/* The crash: a real invalid write. UBSan would call it undefined behaviour and stop the process
 * itself (SIGABRT, not SIGSEGV) in a sanitizer build; it is the point, so it is left alone. */
__attribute__((noinline, no_sanitize("undefined")))
static void invalid_write(void)
{
	volatile int *volatile nowhere = NULL;
	*nowhere = 1;
}

/*
 * reset: the process as a new one would be, for the next run of a job slot (peer.h): every
 * socket closed, every name forgotten (its idle worker thread kept for the next name to take),
 * SIGPIPE ignored. Refused while any worker has a command queued or running: a call blocked
 * in the kernel cannot be taken back, so such a peer must be killed instead.
 */
static void do_reset(struct cmd *c)
{
	struct sigaction sa = { .sa_handler = SIG_IGN };
	bool busy = false;

	pthread_mutex_lock(&lock);
	for (int i = 0; i < MAX_SOCKS && slots[i].name[0] && !busy; i++)
		busy = slots[i].busy || slots[i].count;
	for (int i = 0; i < MAX_SOCKS && slots[i].name[0] && !busy; i++) {
		if (slots[i].fd >= 0)
			close(slots[i].fd);
		slots[i].fd = -1;
		slots[i].name[0] = '\0';
	}
	pthread_mutex_unlock(&lock);
	if (busy) {
		send_msg("E %d busy: a command is queued or running", c->id);
		return;
	}
	sigaction(SIGPIPE, &sa, NULL);
}

static void dispatch(const char *msg)
{
	const struct op *op = NULL;
	const char *err = NULL;
	struct cmd c;

	if (parse_cmd(msg, &c) < 0) {
		send_msg("E %d malformed command", c.id);
		send_msg("D %d", c.id);
		return;
	}
	for (size_t i = 0; i < ARRAY_SIZE(ops); i++)
		if (strcmp(ops[i].name, c.op) == 0)
			op = &ops[i];
	if (!op)
		err = "unknown op";
	else if (c.nargs < op->min || c.nargs > op->max)
		err = "wrong number of arguments";
	else if (op->where == ON_DASH && strcmp(c.sock, "-") != 0)
		err = "this op takes socket name -";
	else if (op->where != ON_DASH && !valid_name(c.sock))
		err = "bad socket name";
	else if (op->where == ON_SOCK && !(err = enqueue(c.sock, msg)))
		return;   /* the worker reports and sends D */

	if (err) {
		send_msg("E %d %s", c.id, err);
	} else if (op->where == ON_MAIN) {
		do_interrupt(&c);
	} else if (strcmp(c.op, "synflood") == 0) {
		do_synflood(&c);
	} else if (strcmp(c.op, "reset") == 0) {
		do_reset(&c);
	} else if (strcmp(c.op, "crash") == 0) {
		invalid_write();
		send_msg("E %d the invalid write did not fault", c.id);
	} else {
		bool dfl = strcmp(c.arg[0], "default") == 0;
		if (!dfl && strcmp(c.arg[0], "ignore") != 0) {
			send_msg("E %d sigpipe takes ignore or default", c.id);
		} else {
			struct sigaction sa = { .sa_handler = dfl ? SIG_DFL : SIG_IGN };
			CALL(&c, NULL, "sigaction", sigaction(SIGPIPE, &sa, NULL));
		}
	}
	send_msg("D %d", c.id);
}

static void on_sigusr1(int sig)
{
	/* Empty: its only job is to make a blocked call return EINTR. */
}

int main(int argc, char **argv)
{
	char msg[PEER_MSG_MAX + 2];
	struct sigaction sa = { .sa_handler = SIG_IGN };
	struct rlimit no_core = { 0, 0 };
	pthread_condattr_t ca;
	sigset_t none;
	long long v;

	for (int i = 1; i < argc; i++) {
		if (strncmp(argv[i], "--control-fd=", 13) == 0 && peer_parse_number(argv[i] + 13, 0, INT32_MAX, &v) == 0)
			control = (int) v;
		else if (strncmp(argv[i], "--name=", 7) != 0) {   /* the name is only for ps(1) */
			control = -1;
			break;
		}
	}
	if (control < 0) {
		fprintf(stderr, "usage: tcpfault-peer --control-fd=FD [--name=NAME]\n");
		return 2;
	}
	if (prctl(PR_SET_PDEATHSIG, SIGKILL) < 0)
		return 1;
	/* A crash must not leave core files behind (core_pattern may name the cwd). */
	setrlimit(RLIMIT_CORE, &no_core);
	/* One fd for each socket name, beside the few the process has (a soft limit of 1024 is
	 * common): raised as far as the hard limit allows; past it, socket() says EMFILE. */
	struct rlimit nofile;
	if (getrlimit(RLIMIT_NOFILE, &nofile) == 0 && nofile.rlim_cur < PEER_MAX_SOCKS + 64) {
		nofile.rlim_cur = nofile.rlim_max < PEER_MAX_SOCKS + 64 ? nofile.rlim_max : PEER_MAX_SOCKS + 64;
		setrlimit(RLIMIT_NOFILE, &nofile);   /* ignored: the old limit holds, and EMFILE says so */
	}
	/* A blocked mask is inherited through exec; interrupt needs SIGUSR1 deliverable. */
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	sigaction(SIGPIPE, &sa, NULL);
	sa.sa_handler = on_sigusr1;   /* sa_flags 0: no SA_RESTART, so blocked calls get EINTR */
	sigaction(SIGUSR1, &sa, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&returned, &ca);

	/* The command loop: ends when the controller closes the channel. */
	for (;;) {
		ssize_t n = recv(control, msg, PEER_MSG_MAX + 1, 0);
		if (n == 0)
			return 0;
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return 1;
		if (n > PEER_MSG_MAX) {
			send_msg("E 0 command longer than %d bytes", PEER_MSG_MAX);
			send_msg("D 0");
			continue;
		}
		msg[n] = '\0';
		dispatch(msg);
	}
}
