/* SPDX-License-Identifier: MIT */
/*
 * The benchmark: `meson test -C build --benchmark -v` (or build/tests/bench TCPFAULT PEER).
 * Prints figures, never a verdict: the machine is shared and noisy, so each line is a median
 * or a ratio measured in this one run.
 *
 *   1. a sandbox as a scenario gets it (two hosts, veth pairs, addresses, capture open, two
 *      peers started) created and torn down, median over many;
 *   2. the bare sandbox (libnl) against the iproute2-shell way (ip netns add, ip link add ...
 *      type veth, ip addr, ip netns del), measured interleaved (A B A B: load hits both
 *      alike), medians and their ratio; and a job slot's kept sandbox reset (a TIME-WAIT
 *      destroyed) with its capture restarted against the iproute2 way, interleaved too;
 *   3. how cost grows: 1, 10 and 100 sandboxes in a row;
 *   4. capture fidelity at 1000 concurrent connections: packets captured against the veth's
 *      own counters, and the kernel's capture drops; and the 65,535-SYN flood scenario
 *      (tests/data/flood-capture.tcpf): its packets kept, 0 dropped (a drop makes it an error);
 *   5. 1,000 connections in one run (tests/thousand.sh): verdicts and wall time;
 *   6. job slots' reuse on against TCPFAULT_REUSE=0 in turn (A B A B), at -j1 and -j16: short
 *      runs' median time beyond their floor (the runs that made their slot's sandbox apart from
 *      those that had it kept), and the wall of each whole command;
 *   7. the whole catalog at -j1, -j4, -j16 and the default -j: wall time, timer floor (the sum
 *      of the runs' floor_ms: how long the 'after' floors they met were running; divided by the
 *      jobs, or the longest run's if that is more), where a run's time goes (TCPFAULT_TIMINGS:
 *      sandbox, tracer, capture open, peers, steps, capture close, peers reaped, sandbox freed;
 *      medians, new sandboxes apart from kept ones), and two medians beyond the floor: raw
 *      (duration less floor) and the harness's own (less where the run waited on the kernel's
 *      timers or the scenario's own stretches: 'waited'), on which the targets are judged; at
 *      the default -j, the wall against the longest run.
 * TCPFAULT_BENCH=reuse,catalog (say) measures only those parts (sandboxes, fidelity, flood,
 * thousand, reuse, catalog).
 * Each figure with an issue-20 target prints it beside, with "met" or "NOT met".
 * Runs in a network namespace of its own, as tcpfault run does. Exits 77 where namespaces
 * cannot be made.
 */
#include <errno.h>
#include <stdbool.h>
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

static const char *met(bool ok)
{
	return ok ? "met" : "NOT met";
}

/* A connection made and closed in sb (client 0 to server 1, port 5000), the client's end left
 * in TIME-WAIT: what a run leaves for the reset to destroy. */
static void leave_time_wait(struct netns_sandbox *sb)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(5000) };
	int back, l = -1, c = -1, s = -1, one = 1;

	inet_pton(AF_INET, "198.18.0.2", &a.sin_addr);
	if (netns_enter(sb, 1, &back) == 0) {
		l = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
		setsockopt(l, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
		if (bind(l, (struct sockaddr *)&a, sizeof a) < 0 || listen(l, 1) < 0) {
			close(l);
			l = -1;
		}
		netns_leave(back);
	}
	if (l >= 0 && netns_enter(sb, 0, &back) == 0) {
		c = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
		netns_leave(back);
		if (connect(c, (struct sockaddr *)&a, sizeof a) == 0 && (s = accept(l, NULL, NULL)) >= 0) {
			char b;
			close(c);               /* the client closes first: its end goes to TIME-WAIT */
			(void) !read(s, &b, 1);   /* its FIN */
			close(s);
			c = s = -1;
		}
	}
	if (c >= 0)
		close(c);
	if (l >= 0)
		close(l);
}

/* A job slot's way (TCPFAULT_REUSE): the kept sandbox reset and its capture restarted, against
 * the iproute2 way of making a new one, interleaved (A B A B); each reset after a TIME-WAIT
 * was left in it. */
static void slot_resets(int m)
{
	struct netns_sandbox *sb;
	struct capture *cap = NULL;
	char err[256];
	double reset[64], ip[64], ratio[64];
	int n = 0, ok = system("command -v ip >/dev/null") == 0;

	if (m > 64)
		m = 64;
	if (netns_sandbox_new(2, &sb) < 0 || capture_open_wire(sb, NULL, 0, 0, &cap, err, sizeof err) < 0) {
		printf("slot reset: no sandbox or capture: %s\n", netns_new_error());
		netns_sandbox_free(sb);
		return;
	}
	for (int i = 0; i < m && ok; i++) {
		unsigned remade = 0;
		leave_time_wait(sb);
		capture_end_file(cap);
		double t = now_ms();
		if (netns_sandbox_reset(sb, &remade) < 0 || capture_restart(cap, NULL, err, sizeof err) < 0) {
			printf("slot reset: failed: %s\n", netns_last_error(sb));
			ok = 0;
			break;
		}
		reset[n] = now_ms() - t;
		t = now_ms();
		ok = iproute2_once(100 + i) == 0;
		ip[n] = now_ms() - t;
		ratio[n] = ip[n] / reset[n];
		n++;
	}
	capture_free(cap);
	netns_sandbox_free(sb);
	if (!ok || n == 0) {
		printf("slot reset against iproute2: not measured (no ip(8), or it failed)\n");
		return;
	}
	double mr = median(reset, n), mi = median(ip, n), q = median(ratio, n);
	printf("slot sandbox reset (TIME-WAIT destroyed) + capture restart: median %6.2f ms over %d (interleaved)\n", mr, n);
	printf("bare sandbox with iproute2 commands:                  median %6.2f ms over %d (interleaved)\n", mi, n);
	printf("iproute2 / slot reset: %.1fx (medians), %.1fx (median of the %d pairs' ratios); target >= 30x: %s\n",
	       mi / mr, q, n, met(q >= 30));
}

static void sandboxes(const char *peer_path)
{
	enum { N = 50, M = 20 };
	double full[N], bare[M], ip[M], ratio[M];

	for (int i = 0; i < N; i++) {
		double t = now_ms();
		if (sandbox_once(peer_path, true) < 0) {
			printf("sandbox with capture and peers: failed: %s\n", netns_new_error());
			return;
		}
		full[i] = now_ms() - t;
	}
	printf("sandbox + capture + 2 peers, create+teardown: median %7.2f ms over %d\n", median(full, N), N);
	int ok = system("command -v ip >/dev/null") == 0;
	/* Interleaved, A B A B: a burst of load on this shared machine hits both ways alike. */
	for (int i = 0; i < M; i++) {
		double t = now_ms();
		sandbox_once(peer_path, false);
		bare[i] = now_ms() - t;
		t = now_ms();
		ok = ok && iproute2_once(i) == 0;
		ip[i] = now_ms() - t;
		ratio[i] = ip[i] / bare[i];
	}
	double mb = median(bare, M);
	printf("bare sandbox (libnl), create+teardown:         median %7.2f ms over %d (interleaved)\n", mb, M);
	if (!ok) {
		printf("bare sandbox with iproute2 commands: not measured (no ip(8), or it failed)\n");
		return;
	}
	double mi = median(ip, M), mr = median(ratio, M);
	printf("bare sandbox with iproute2 commands:           median %7.2f ms over %d (interleaved)\n", mi, M);
	printf("iproute2 / libnl: %.1fx (medians), %.1fx (median of the %d pairs' ratios); target >= 30x: %s\n",
	       mi / mb, mr, M, met(mr >= 30));

	slot_resets(M);
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

/* Runs a shell command that prints tcpfault's JSON; its parsed top, its wall time in *ret_wall.
 * With timings set, the runs print where their time went there (TCPFAULT_TIMINGS). */
static json_object *run_json(const char *cmd, const char *timings, double *ret_wall)
{
	char full[8192];
	snprintf(full, sizeof full, "%s%s%s%s", timings ? "TCPFAULT_TIMINGS=1 " : "", cmd, timings ? " 2>" : "",
		 timings ? timings : "");
	double t = now_ms();
	FILE *f = popen(full, "r");
	if (!f)
		return NULL;
	size_t len = 0, cap = 1 << 20, got;
	char *out = malloc(cap);
	while (out && (got = fread(out + len, 1, cap - len - 1, f)) > 0) {
		len += got;
		if (len + 1 == cap) {
			char *g = realloc(out, cap *= 2);
			if (!g) {
				free(out);
				out = NULL;
				break;
			}
			out = g;
		}
	}
	pclose(f);
	*ret_wall = now_ms() - t;
	if (!out)
		return NULL;
	out[len] = 0;
	json_object *top = json_tokener_parse(out);
	free(out);
	return top;
}

static double get_double(json_object *o, const char *key)
{
	return json_object_get_double(json_object_object_get(o, key));
}

static const char *get_string(json_object *o, const char *key)
{
	const char *v = json_object_get_string(json_object_object_get(o, key));
	return v ? v : "";
}

/* The runs' verdicts counted: "N of M passed" into buf, with the others named (a loaded
 * machine can fail a run, and which one says why); returns the passed. */
static int verdicts(json_object *res, char *buf, size_t len)
{
	int pass = 0, n = (int)json_object_array_length(res);
	size_t at;
	for (int i = 0; i < n; i++)
		pass += strcmp(get_string(json_object_array_get_idx(res, i), "verdict"), "pass") == 0;
	at = (size_t)snprintf(buf, len, "%d of %d passed", pass, n);
	for (int i = 0; i < n && at < len; i++) {
		json_object *r = json_object_array_get_idx(res, i);
		if (strcmp(get_string(r, "verdict"), "pass") != 0)
			at += (size_t)snprintf(buf + at, len - at, " (%s: %s %s)", get_string(r, "verdict"),
					       get_string(r, "name"), get_string(r, "family"));
	}
	return pass;
}

static void flood_capture(const char *tcpfault, const char *file)
{
	char cmd[4096], line[1024];
	double t = now_ms(), ms = 0;
	int pass = 0, runs = 0;

	/* Text, not JSON: the JSON of 196,605 packets is 53 MB, tens of seconds to write and read. */
	snprintf(cmd, sizeof cmd, "'%s' run -j1 '%s' 2>&1", tcpfault, file);
	FILE *f = popen(cmd, "r");
	if (!f)
		return;
	while (fgets(line, sizeof line, f)) {
		char verdict[16], *at;
		if (sscanf(line, "%15s", verdict) == 1 && strstr(line, "flood-capture") && (at = strstr(line, " ms "))) {
			while (at > line && at[-1] != ' ')   /* "PASS  flood-capture (inet)  A8  5339 ms  ..." */
				at--;
			runs++;
			pass += strcmp(verdict, "PASS") == 0;
			ms = atof(at);
		}
	}
	pclose(f);
	/* A drop makes the run an error (and the flood-capture test asserts the 196,605 packets,
	 * 3 x 65,535: each SYN, the SYN-ACK, the flooding host's RST), so a pass is 0 drops. */
	printf("flood capture (65,535 SYNs, 196,605 packets): %d of %d passed, run %.0f ms (whole command %.0f ms); "
	       "target 0 drops: %s\n", pass, runs, ms, now_ms() - t, met(runs > 0 && pass == runs));
}

static void thousand(const char *tcpfault, const char *script)
{
	char cmd[8192], file[] = "/tmp/tcpfault-bench-XXXXXX", v[512];
	double wall;
	int fd = mkstemp(file);

	if (fd < 0)
		return;
	close(fd);
	snprintf(cmd, sizeof cmd, "'%s' - >'%s' && '%s' run --format json -j1 '%s'", script, file, tcpfault, file);
	json_object *top = run_json(cmd, NULL, &wall), *res = json_object_object_get(top, "results");
	unlink(file);
	if (!res || json_object_array_length(res) == 0) {
		printf("1,000 connections: could not run %s\n", script);
		json_object_put(top);
		return;
	}
	int pass = verdicts(res, v, sizeof v), n = (int)json_object_array_length(res);
	printf("1,000 connections in one run: %s (", v);
	for (int i = 0; i < n; i++) {
		json_object *r = json_object_array_get_idx(res, i);
		printf("%s%s %.0f ms, %zu packets", i ? "; " : "", get_string(r, "family"), get_double(r, "duration_ms"),
		       json_object_array_length(json_object_object_get(r, "packets")));
	}
	printf("), whole command %.0f ms; target pass: %s\n", wall, met(pass == n));
	json_object_put(top);
}

enum { MAX_RUNS = 256, PARTS = 9 };
static const char *const parts[PARTS] = { "sandbox", "tracer", "capture_open", "peers", "steps",
	"capture_close", "peers_reap", "sandbox_free", "result" };

/* The timer floor of the run named "NAME FAMILY" in res, or 0. */
static double floor_of(json_object *res, const char *name_family)
{
	char key[256];
	for (size_t i = 0; i < json_object_array_length(res); i++) {
		json_object *r = json_object_array_get_idx(res, i);
		snprintf(key, sizeof key, "%s %s", get_string(r, "name"), get_string(r, "family"));
		if (strcmp(key, name_family) == 0)
			return get_double(r, "floor_ms");
	}
	return 0;
}

/* Whether the run r had its job slot's sandbox, reset (its note says so), not a new one. */
static bool kept(json_object *r)
{
	json_object *notes = json_object_object_get(r, "notes");
	for (size_t i = 0; notes && i < json_object_array_length(notes); i++)
		if (strncmp(json_object_get_string(json_object_array_get_idx(notes, i)), "sandbox: the job slot's", 23) == 0)
			return true;
	return false;
}

/* The runs' time beyond their floor (duration_ms less floor_ms: the raw figure), medians of
 * all, of those with a new sandbox and of those with their slot's, into ret[3] (-1: none). */
static void beyond(json_object *res, double ret[3])
{
	static double v[3][MAX_RUNS];
	int n[3] = { 0 };

	for (size_t i = 0; res && i < json_object_array_length(res) && n[0] < MAX_RUNS; i++) {
		json_object *r = json_object_array_get_idx(res, i);
		double b = get_double(r, "duration_ms") - get_double(r, "floor_ms");
		v[0][n[0]++] = b;
		int k = kept(r) ? 2 : 1;
		v[k][n[k]++] = b;
	}
	for (int k = 0; k < 3; k++)
		ret[k] = n[k] ? median(v[k], n[k]) : -1;
}

/* From the runs' TCPFAULT_TIMINGS lines in path: the medians of each part (the steps less the
 * run's timer floor) for the runs with a new sandbox and those with their slot's, one line
 * each; and, into ret[3] as beyond() gives, the harness's own time: a run's whole time less
 * where it waited on the kernel's timers (each 'after' floor from its anchor to the event
 * that met it: the floor and how late the kernel's timer came) and the scenario's own
 * stretches (wait, await quiet, expect no packet within): its 'waited'. */
static void print_parts(const char *path, json_object *res, double ret[3])
{
	static double v[2][PARTS][MAX_RUNS], own[3][MAX_RUNS];
	int n[2][PARTS] = { { 0 } }, nown[3] = { 0 }, runs[2] = { 0 };
	char line[1024];
	FILE *f = fopen(path, "r");

	ret[0] = ret[1] = ret[2] = -1;
	if (!f)
		return;
	while (fgets(line, sizeof line, f))
		if (strncmp(line, "tcpfault-timings ", 17) == 0) {
			char run[128] = "", family[16] = "", sandbox[8] = "", name[160], *at;
			double total = 0;
			sscanf(line + 17, "%127s %15s %7s", run, family, sandbox);
			snprintf(name, sizeof name, "%s %s", run, family);
			int s = strcmp(sandbox, "kept") == 0;
			runs[s]++;
			for (int k = 0; k < PARTS; k++) {
				char key[40];
				snprintf(key, sizeof key, " %s=", parts[k]);
				if (!(at = strstr(line, key)))
					continue;
				total += atof(at + strlen(key));
				if (n[s][k] < MAX_RUNS)
					v[s][k][n[s][k]++] = atof(at + strlen(key)) - (k == 4 ? floor_of(res, name) : 0);
			}
			if ((at = strstr(line, " waited=")) && nown[0] < MAX_RUNS) {
				own[0][nown[0]++] = total - atof(at + 8);
				own[1 + s][nown[1 + s]++] = total - atof(at + 8);
			}
		}
	fclose(f);
	for (int s = 0; s < 2; s++) {
		if (!runs[s])
			continue;
		printf("    a run's parts, medians (ms), %d runs with a %s:", runs[s], s ? "kept sandbox (reset)" : "new sandbox");
		for (int k = 0; k < PARTS; k++)
			if (n[s][k])
				printf(" %s%s %.1f", parts[k], k == 4 ? " (less the floor)" : "", median(v[s][k], n[s][k]));
		printf("\n");
	}
	for (int k = 0; k < 3; k++)
		ret[k] = nown[k] ? median(own[k], nown[k]) : -1;
}

/* "all X ms (new Y, kept Z)" from beyond()'s or print_parts()'s medians. */
static const char *split(const double m[3], char *buf, size_t len)
{
	char a[32] = "none", b[32] = "none";
	if (m[1] >= 0)
		snprintf(a, sizeof a, "%.0f", m[1]);
	if (m[2] >= 0)
		snprintf(b, sizeof b, "%.0f", m[2]);
	snprintf(buf, len, "%.0f ms (new sandbox %s, kept %s)", m[0], a, b);
	return buf;
}

/* The catalog once with -jN (0: the default) and what else args says; prints its figures. The
 * target is judged on the harness's own time: the raw figure also holds how late the kernel's
 * timers fire after the floors the scenarios state (20-40 ms a run here), the kernel's time. */
static void catalog(const char *tcpfault, int jobs, const char *args)
{
	char cmd[4096], j[16] = "", timings[] = "/tmp/tcpfault-bench-XXXXXX", v[512], b1[96], b2[96];
	double wall, floor = 0, max_floor = 0, longest = 0, raw[3], own[3];
	int fd = mkstemp(timings);

	if (fd < 0)
		return;
	close(fd);
	if (jobs)
		snprintf(j, sizeof j, "-j%d", jobs);
	snprintf(cmd, sizeof cmd, "'%s' run --format json %s %s", tcpfault, j, args);
	json_object *top = run_json(cmd, timings, &wall), *res = json_object_object_get(top, "results");
	if (!res || json_object_array_length(res) == 0) {
		printf("catalog %s: could not run %s\n", jobs ? j : "(default -j)", tcpfault);
		goto out;
	}
	verdicts(res, v, sizeof v);
	for (size_t i = 0; i < json_object_array_length(res); i++) {
		json_object *r = json_object_array_get_idx(res, i);
		double fl = get_double(r, "floor_ms"), d = get_double(r, "duration_ms");
		floor += fl;
		max_floor = fl > max_floor ? fl : max_floor;
		longest = d > longest ? d : longest;
	}
	beyond(res, raw);
	if (jobs) {
		/* With j jobs the unavoidable waits overlap at best j at a time. */
		double fl = floor / jobs > max_floor ? floor / jobs : max_floor;
		printf("catalog%s -j%-2d: %s, wall %6.0f ms (the whole command), timer floor %6.0f ms, wall/floor %.2f\n",
		       *args ? " (a third, inet)" : "", jobs, v, wall, fl, wall / (fl > 0 ? fl : 1));
	} else {
		printf("catalog, default -j: %s, wall %6.0f ms (the whole command), its longest run %6.0f ms: %.2fx; "
		       "target <= 1.25x: %s\n", v, wall, longest, wall / longest, met(wall <= 1.25 * longest));
	}
	print_parts(timings, res, own);
	printf("    beyond its floor (raw: a run's time less its stated timer floors, so with the kernel's timers "
	       "firing after them), median: %s\n", split(raw, b1, sizeof b1));
	printf("    the harness's own (a run's time less where it waited on the kernel's timers, each floor to the "
	       "event that met it, and on the scenario's own stretches), median: %s", split(own, b2, sizeof b2));
	if (jobs == 1 || jobs == 16)
		printf("; target <= %d ms: %s", jobs == 1 ? 15 : 40, met(own[0] >= 0 && own[0] <= (jobs == 1 ? 15 : 40)));
	printf("\n");
out:
	unlink(timings);
	json_object_put(top);
}

/* Job slots' reuse on (the default) against TCPFAULT_REUSE=0, in turn (A B A B: load hits both
 * alike), at -j1 and -j16: short runs (refused, sigkill: their floors are 0, so the time beyond
 * the floor is all the harness's), wall and the median time beyond the floor, each pair's
 * ratio; with reuse on, the runs that made a new sandbox (each slot's first: a cost once per
 * slot and command) apart from those that had their slot's. */
static void reuse_ab(const char *tcpfault)
{
	enum { PAIRS = 3 };
	char cmd[4096];

	for (int j = 1; j <= 16; j += 15) {
		double on[PAIRS], off[PAIRS], won[PAIRS], woff[PAIRS], ratio[PAIRS], cold[PAIRS], warm[PAIRS];
		int ncold = 0, nwarm = 0;
		for (int i = 0; i < PAIRS; i++) {
			for (int k = 0; k < 2; k++) {
				double wall, b[3];
				snprintf(cmd, sizeof cmd, "%s'%s' run --format json -j%d --repeat 20 --family inet refused sigkill",
					 k ? "TCPFAULT_REUSE=0 " : "", tcpfault, j);
				json_object *top = run_json(cmd, NULL, &wall);
				beyond(json_object_object_get(top, "results"), b);
				json_object_put(top);
				*(k ? &off[i] : &on[i]) = b[0];
				*(k ? &woff[i] : &won[i]) = wall;
				if (!k && b[1] >= 0)
					cold[ncold++] = b[1];
				if (!k && b[2] >= 0)
					warm[nwarm++] = b[2];
			}
			ratio[i] = on[i] > 0 ? off[i] / on[i] : 0;
		}
		printf("reuse on vs TCPFAULT_REUSE=0, -j%-2d (refused+sigkill inet x20, %d pairs in turn): beyond the floor "
		       "%.1f/%.1f/%.1f ms vs %.1f/%.1f/%.1f ms (%.1fx median of pairs); wall of the whole command "
		       "%.0f/%.0f/%.0f vs %.0f/%.0f/%.0f ms; target <= %d ms: %s\n", j, PAIRS, on[0], on[1], on[2], off[0],
		       off[1], off[2], median(ratio, PAIRS), won[0], won[1], won[2], woff[0], woff[1], woff[2],
		       j == 1 ? 15 : 40, met(median(on, PAIRS) <= (j == 1 ? 15 : 40)));
		printf("    reuse on, medians of the %d commands: runs with a new sandbox (each slot's first) %.1f ms, "
		       "with their slot's kept one %.1f ms\n", PAIRS, ncold ? median(cold, ncold) : -1,
		       nwarm ? median(warm, nwarm) : -1);
	}
}

static void catalog_times(const char *tcpfault)
{
	/* -j1 on a third of the catalog, one family: the median per run needs no more, and the
	 * whole would take its timer floor, minutes. */
	catalog(tcpfault, 1, "--shard 1/3 --family inet");
	catalog(tcpfault, 4, "");
	catalog(tcpfault, 16, "");
	catalog(tcpfault, 0, "");
}

/* Whether the figures named part are wanted: all, unless TCPFAULT_BENCH names some (sandboxes,
 * fidelity, flood, thousand, reuse, catalog: "reuse,catalog"), to measure one thing again. */
static bool part(const char *name)
{
	const char *only = getenv("TCPFAULT_BENCH");
	const char *at = only ? strstr(only, name) : NULL;
	size_t len = strlen(name);

	return !only || (at && (at == only || at[-1] == ',') && (at[len] == 0 || at[len] == ','));
}

int main(int argc, char **argv)
{
	if (argc < 3) {
		fprintf(stderr, "usage: bench TCPFAULT PEER [FLOOD.tcpf [THOUSAND.sh]]\n");
		return 2;
	}
	struct netns_sandbox *sb;
	/* tcpfault runs from the namespace the bench started in: from ours, whose small child
	 * TCP tables it would copy (tcp_max_tw_buckets is half the table: 512 TIME-WAIT sockets,
	 * and 1,000 connections fail). */
	int start_ns = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
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
	if (part("sandboxes"))
		sandboxes(argv[2]);
	if (part("fidelity"))
		capture_fidelity();
	if (start_ns < 0 || setns(start_ns, CLONE_NEWNET) < 0)
		printf("note: tcpfault runs in the bench's own namespace (%s)\n", strerror(errno));
	if (argc > 3 && part("flood"))
		flood_capture(argv[1], argv[3]);
	if (argc > 4 && part("thousand"))
		thousand(argv[1], argv[4]);
	if (part("reuse"))
		reuse_ab(argv[1]);
	if (part("catalog"))
		catalog_times(argv[1]);
	return 0;
}
