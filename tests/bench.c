/* SPDX-License-Identifier: MIT */
/*
 * The benchmark: `meson test -C build --benchmark -v` (or build/tests/bench TCPFAULT PEER).
 * Prints figures, never a verdict: the machine is shared and noisy, so each line is a median
 * or a ratio measured in this one run.
 *
 *   1. a sandbox as a scenario gets it (two hosts, veth pairs, addresses, capture open, two
 *      peers started) created and torn down, median over many; the bare sandbox too;
 *   2. the bare sandbox the iproute2-shell way (ip netns add, ip link add ... type veth,
 *      ip addr, ip netns del), median, and the ratio;
 *   3. how cost grows: 1, 10 and 100 sandboxes in a row;
 *   4. capture fidelity at 1000 concurrent connections: packets captured against the veth's
 *      own counters, and the kernel's capture drops;
 *   5. the whole catalog's wall time at -j1, -jN (N = CPUs, the default) and -j4N, its timer
 *      floor (the sum of the runs' floor_ms: how long the 'after' floors they met were
 *      running, which the runs check, so no kernel timer is claimed longer than it was;
 *      divided by the jobs, or the longest run's if that is more) and wall / floor; and the
 *      median time a run spends beyond its floor (sandbox, peers, capture, steps).
 * Runs in a network namespace of its own, as tcpfault run does. Exits 77 where namespaces
 * cannot be made.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/resource.h>
#include <sys/socket.h>

#include "lang.h"
#include "report.h"
#include "run.h"
#include "netns.h"
#include "peer.h"

static double now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1000.0 + (double)ts.tv_nsec / 1e6;
}

static int cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

static double median(double *v, int n)
{
	qsort(v, (size_t)n, sizeof *v, cmp);
	return v[n / 2];
}

/* One sandbox as a scenario run gets it; full: with capture and peers. */
static int sandbox_once(const char *peer_path, bool full)
{
	struct netns_sandbox *sb;
	struct capture *cap = NULL;
	struct peer *p[2] = { 0 };
	char err[256];
	int r = netns_sandbox_new(2, &sb);

	if (r < 0)
		return r;
	if (full) {
		r = capture_open_wire(sb, NULL, 0, 0, &cap, err, sizeof err);
		for (int h = 0; r == 0 && h < 2; h++)
			r = peer_spawn(peer_path, netns_fd(sb, h), h ? "server" : "client", &p[h]);
	}
	peer_free(p[0]);
	peer_free(p[1]);
	capture_free(cap);
	netns_sandbox_free(sb);
	return r;
}

/* The bare sandbox with ip(8): named namespaces (removed again), never the host's own. */
static int iproute2_once(int i)
{
	char cmd[2048];
	snprintf(cmd, sizeof cmd,
		 "set -e; w=tfb$$-%d-w; c=tfb$$-%d-c; s=tfb$$-%d-s;"
		 "trap 'ip netns del $w 2>/dev/null; ip netns del $c 2>/dev/null; ip netns del $s 2>/dev/null' EXIT;"
		 "ip netns add $w; ip netns add $c; ip netns add $s;"
		 "ip -n $w link add br0 type bridge; ip -n $w link set br0 up;"
		 "ip -n $w link add h0 type veth peer name eth0 netns $c;"
		 "ip -n $w link add h1 type veth peer name eth0 netns $s;"
		 "ip -n $w link set h0 master br0 up; ip -n $w link set h1 master br0 up;"
		 "ip -n $c link set lo up; ip -n $s link set lo up;"
		 "ip -n $c addr add 198.18.0.1/24 dev eth0; ip -n $s addr add 198.18.0.2/24 dev eth0;"
		 "ip -n $c addr add 2001:2::1/64 dev eth0 nodad; ip -n $s addr add 2001:2::2/64 dev eth0 nodad;"
		 "ip -n $c link set eth0 up; ip -n $s link set eth0 up",
		 i, i, i);
	return system(cmd) == 0 ? 0 : -1;
}

static void sandboxes(const char *peer_path)
{
	enum { N = 100, M = 20 };
	double full[N], bare[N], ip[M];

	for (int i = 0; i < N; i++) {
		double t = now_ms();
		if (sandbox_once(peer_path, true) < 0) {
			printf("sandbox with capture and peers: failed: %s\n", netns_new_error());
			return;
		}
		full[i] = now_ms() - t;
		t = now_ms();
		sandbox_once(peer_path, false);
		bare[i] = now_ms() - t;
	}
	double mf = median(full, N), mb = median(bare, N);
	printf("sandbox + capture + 2 peers, create+teardown: median %7.2f ms over %d\n", mf, N);
	printf("bare sandbox (libnl), create+teardown:         median %7.2f ms over %d\n", mb, N);
	int ok = system("command -v ip >/dev/null") == 0;
	for (int i = 0; ok && i < M; i++) {
		double t = now_ms();
		ok = iproute2_once(i) == 0;
		ip[i] = now_ms() - t;
	}
	if (!ok) {
		printf("bare sandbox with iproute2 commands: not measured (no ip(8), or it failed)\n");
		return;
	}
	double mi = median(ip, M);
	printf("bare sandbox with iproute2 commands:           median %7.2f ms over %d\n", mi, M);
	printf("iproute2 / libnl: %.1fx (target: at least 10x)\n", mi / mb);

	printf("growth (sandbox + capture + peers, in a row):\n");
	for (int n = 1; n <= 100; n *= 10) {
		double t = now_ms(), block = t, each[4] = { 0 };
		for (int i = 0; i < n; i++) {
			sandbox_once(peer_path, true);
			if (n == 100 && i % 25 == 24) {
				each[i / 25] = (now_ms() - block) / 25;
				block = now_ms();
			}
		}
		double total = now_ms() - t;
		printf("  %3d sandboxes: %8.1f ms, %6.2f ms each", n, total, total / n);
		/* The kernel tears namespaces down in the background: the first ones of a series
		 * meet no backlog yet. Per quarter, the 100 show whether the cost per sandbox
		 * keeps rising (growth worse than linear) or levels off. */
		if (n == 100)
			printf(" (by 25: %.1f, %.1f, %.1f, %.1f ms each)", each[0], each[1], each[2], each[3]);
		printf("\n");
	}
}

/* Makes a socket inside host's namespace. */
static int socket_in(struct netns_sandbox *sb, int host)
{
	int back, fd;

	if (netns_enter(sb, host, &back) < 0)
		return -1;
	fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	netns_leave(back);
	return fd;
}

static void capture_fidelity(void)
{
	enum { CONNS = 1000 };
	static int cfd[CONNS], sfd[CONNS];
	struct netns_sandbox *sb;
	struct capture *cap;
	char err[256], buf[1024] = { 0 };
	struct rlimit rl;

	getrlimit(RLIMIT_NOFILE, &rl);
	if (rl.rlim_cur < 2 * CONNS + 64) {
		rl.rlim_cur = rl.rlim_max < 2 * CONNS + 64 ? rl.rlim_max : 2 * CONNS + 64;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
	if (netns_sandbox_new(2, &sb) < 0) {
		printf("capture fidelity: no sandbox: %s\n", netns_new_error());
		return;
	}
	int r = capture_open_wire(sb, NULL, 0, 0, &cap, err, sizeof err);
	if (r < 0) {
		printf("capture fidelity: %s\n", err);
		netns_sandbox_free(sb);
		return;
	}
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(5000) };
	inet_pton(AF_INET, "198.18.0.2", &a.sin_addr);
	int lfd = socket_in(sb, 1), one = 1, n = 0;
	setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
	if (bind(lfd, (struct sockaddr *)&a, sizeof a) < 0 || listen(lfd, CONNS) < 0) {
		printf("capture fidelity: listener: %s\n", strerror(errno));
		goto out;
	}
	/* 1000 connections open at once, each carrying 1 KiB each way, then closed. */
	for (; n < CONNS; n++) {
		cfd[n] = socket_in(sb, 0);
		if (cfd[n] < 0 || connect(cfd[n], (struct sockaddr *)&a, sizeof a) < 0 ||
		    (sfd[n] = accept(lfd, NULL, NULL)) < 0)
			break;
		if (n % 64 == 0)
			capture_poll(cap, 0);
	}
	for (int i = 0; i < n; i++) {
		if (write(cfd[i], buf, sizeof buf) < 0 || write(sfd[i], buf, sizeof buf) < 0 ||
		    read(sfd[i], buf, sizeof buf) < 0 || read(cfd[i], buf, sizeof buf) < 0)
			break;
		if (i % 64 == 0)
			capture_poll(cap, 0);
	}
	for (int i = 0; i < n; i++) {
		close(cfd[i]);
		close(sfd[i]);
	}
	/* Drain: until the capture is quiet for 200 ms (bounded to 5 s). */
	double end = now_ms() + 5000;
	struct pollfd pfd = { .fd = capture_fd(cap), .events = POLLIN };
	while (now_ms() < end && poll(&pfd, 1, 200) > 0)
		capture_poll(cap, 0);
	capture_poll(cap, 0);
	uint64_t rx = 0, tx = 0;
	unsigned recv, drop;
	netns_link_stats(sb, 0, &rx, &tx);
	capture_stats(cap, &recv, &drop);
	printf("capture at %d concurrent connections: %zu TCP packets captured; the veth counted %llu "
	       "(rx %llu + tx %llu, every protocol); pcap saw %u, dropped %u (target 0)\n", n,
	       capture_count(cap), (unsigned long long)(rx + tx), (unsigned long long)rx,
	       (unsigned long long)tx, recv, drop);
out:
	close(lfd);
	capture_free(cap);
	netns_sandbox_free(sb);
}

struct catalog_figures {
	double floor, max_floor, beyond[256];   /* beyond: each run's duration - floor */
	int runs, pass;
};

/* Runs the whole catalog once with -jN; returns the wall time and sums the floors. */
static double catalog(const char *tcpfault, int jobs, struct catalog_figures *c)
{
	char cmd[4096];
	snprintf(cmd, sizeof cmd, "'%s' run --format json -j%d", tcpfault, jobs);
	double t = now_ms();
	FILE *f = popen(cmd, "r");
	if (!f)
		return -1;
	size_t len = 0, cap = 1 << 20;
	char *out = malloc(cap);
	size_t got;
	while (out && (got = fread(out + len, 1, cap - len - 1, f)) > 0) {
		len += got;
		if (len + 1 == cap) {
			char *g = realloc(out, cap *= 2);
			if (!g)
				break;
			out = g;
		}
	}
	pclose(f);
	double wall = now_ms() - t;
	if (!out)
		return -1;
	out[len] = 0;
	json_object *top = json_tokener_parse(out), *res = json_object_object_get(top, "results");
	*c = (struct catalog_figures){ 0 };
	for (size_t i = 0; i < json_object_array_length(res) && i < 256; i++) {
		json_object *r = json_object_array_get_idx(res, i);
		double fl = json_object_get_double(json_object_object_get(r, "floor_ms"));
		c->floor += fl;
		if (fl > c->max_floor)
			c->max_floor = fl;
		c->beyond[c->runs++] = json_object_get_double(json_object_object_get(r, "duration_ms")) - fl;
		c->pass += strcmp(json_object_get_string(json_object_object_get(r, "verdict")), "pass") == 0;
	}
	json_object_put(top);
	free(out);
	return wall;
}

static void catalog_times(const char *tcpfault)
{
	int ncpu = (int)sysconf(_SC_NPROCESSORS_ONLN), jobs[] = { 1, ncpu, 4 * ncpu };
	struct catalog_figures c;

	for (int k = 0; k < 3; k++) {
		int j = jobs[k];
		double wall = catalog(tcpfault, j, &c);
		if (wall < 0 || c.runs == 0) {
			printf("catalog -j%d: could not run %s\n", j, tcpfault);
			return;
		}
		/* With j jobs the unavoidable waits overlap at best j at a time. */
		double fl = c.floor / j > c.max_floor ? c.floor / j : c.max_floor;
		printf("catalog -j%-2d: %d runs (%d passed), wall %7.0f ms, timer floor %7.0f ms (sum %7.0f), "
		       "wall/floor %.2f%s; a run's time beyond its floor: median %.0f ms\n",
		       j, c.runs, c.pass, wall, fl, c.floor, wall / (fl > 0 ? fl : 1),
		       j == ncpu ? " (target: 1.25)" : "", median(c.beyond, c.runs));
	}
}

int main(int argc, char **argv)
{
	if (argc < 3) {
		fprintf(stderr, "usage: bench TCPFAULT PEER\n");
		return 2;
	}
	struct netns_sandbox *sb;
	/* As tcpfault run does: sandboxes made from a namespace of our own, with their own small
	 * TCP hash tables (the iproute2 way below gets the same). */
	if (unshare(CLONE_NEWNET) == 0 && netns_own_hashes(1024) < 0)
		printf("note: no net.ipv4.tcp_child_ehash_entries: namespaces share the host's TCP table\n");
	if (netns_sandbox_new(2, &sb) < 0) {
		fprintf(stderr, "skip: cannot make namespaces: %s\n", netns_new_error());
		return 77;
	}
	netns_sandbox_free(sb);
	setvbuf(stdout, NULL, _IOLBF, 0);
	sandboxes(argv[2]);
	capture_fidelity();
	catalog_times(argv[1]);
	return 0;
}
