/* SPDX-License-Identifier: MIT */
/*
 * tcpfault sweep: the user's own client and server through every fault of a table, at every
 * moment that makes sense for it, and per cell what the client did: detected (it exited, or a
 * call of its failed, after the fault), hung (still running at the deadline, nothing seen),
 * unaffected (it finished successfully, or, after a transient fault, still worked at the
 * deadline) or error (the cell could not be run, with why).
 *
 * Each cell is a scenario in the scenario language (cell_text), loaded as any file is and run by
 * the same job runner as 'tcpfault run'; the cell's outcome is read from its result (the
 * client's exit, its calls as the shim or tracer reported them, the packets), not from its
 * verdict: a cell's last step awaits the client's exit with status 0 for at most the deadline,
 * which ends the run as soon as the client ends, whatever its status. --emit writes each cell
 * again with what was observed as its expectations: a scenario that passes under 'tcpfault run'.
 *
 * No timer is compressed: a cell shows what the program does with the kernel's own timers.
 * Runs in the controller (the cells' runs in the workers of jobs.c).
 */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include "cli.h"
#include "peer.h"

enum moment { M_BEFORE, M_HANDSHAKE, M_MID, M_IDLE, NMOMENTS };
static const char *const moment_names[NMOMENTS] = { "before-connect", "handshake", "mid-transfer", "idle" };
#define AT(m) (1u << (m))

/* How long the wire must be quiet (no segment on the port) before an 'idle' fault, after the
 * first data both ways: a snapshot of the queues alone can fall between two segments of a
 * transfer. Then the connection must still be open with empty queues, checked within
 * IDLE_CHECK_S: one that closed has no idle moment. */
#define IDLE_MS 300
#define IDLE_CHECK_S 2
/* The ports of the connections that fill accept-overflow-reset's queue ({F1}, {F2}): above the
 * kernel's ephemeral range (32768-60999), so never the client's, and above --port's range. */
#define FILL_PORT 61001
/* Bounds of the steps before the fault: a program's start and its first packets. */
#define READY_S 30
/* The built-in client: bash's /dev/tcp connects, cat sends a request in one write (HTTP/1.1, so
 * that an HTTP server keeps the connection; bash's own printf writes line by line), head reads
 * the built-in server's answer, $3 bytes (fewer, a cut answer: status 1; 0 against a program:
 * no length known), then cat reads until the end of the stream (status 0). On fd 7: fd 3 is
 * the shim's (a program's own fd 3 would take the shim's reports into the connection). */
#define BUILTIN_CLIENT "bash -c 'exec 7<>/dev/tcp/$1/$2 && cat <<<\"$(printf \"GET / HTTP/1.1\\r\\nHost: %s\\r\\n\\r\" " \
	"\"$1\")\" >&7 && { [ $3 = 0 ] || [ $(head -c $3 <&7 | wc -c) = $3 ]; } && exec cat <&7 >/dev/null 7<&-' " \
	"client {server} {port}"
/* What the built-in server answers a request with: bytes of data (not HTTP). Before the connect,
 * 64 KiB; mid-transfer and idle, 16 MiB (the most one write takes), written while the steps go
 * on, so that a server killed mid-transfer leaves the answer cut. */
#define BUILTIN_ANSWER 65536
#define BUILTIN_ANSWER_LONG (16 << 20)

/*
 * The faults, named as in the catalog. A fault is what its steps say, in the scenario
 * language, with {S} the server's actor (server.s) and {P} the port; 'before' lines run before
 * the server starts. The fault acts at the moments its bit set names: before-connect and
 * handshake faults are in place before the client starts (the clock of detection then starts
 * at its first SYN), mid-transfer and idle ones once the connection reached that point.
 *
 * Section E of the failure modes: a middlebox that forgets the idle connection is the router's
 * idle-timeout put in place at the idle moment (it knows no connection made before it, so the
 * next segment meets a forgotten flow); a PMTU black hole is the router's link to the client
 * made 1280 bytes with its "fragmentation needed" dropped; a zero window is the server stopped
 * (SIGSTOP: its kernel still answers); SYN loss drops the first two SYNs at the server.
 *
 * A full accept queue resets (tcp_abort_on_overflow) only a handshake whose SYN found room and
 * whose final ACK meets the full queue; a SYN that meets it is dropped whatever the setting
 * (accept-overflow-drop). So accept-overflow-reset holds back the client's ACKs at the server
 * (nftables: its segments other than SYNs) until two other connections of the client host have
 * filled the stopped server's queue (somaxconn 1: two fit, sk_acceptq_is_full() compares with
 * '>'), then lets them through: its next segment (its request if it comes only then, its request
 * again after the 200 ms RTO, or its answer to the SYN-ACK resent 1 s on) draws the RST. Its
 * connect had already succeeded.
 */
struct sweep_fault {
	const char *name, *what;
	unsigned moments;
	const char *before;               /* lines before the server starts; NULL: none */
	const char *apply;                /* the fault's lines */
	const char *then;                 /* an early fault's lines after the client's first SYN; NULL: none */
	const char *event;                /* the start of the event the fault notes; NULL: the client's start */
	bool router, no_server;
	bool connects;                    /* early: the connection is made (the built-in server serves) */
	bool transient;                   /* a client still working at the deadline is unaffected */
};

static const struct sweep_fault sweep_faults[] = {
	{ .name = "sigkill", .what = "server process killed with SIGKILL", .moments = AT(M_MID) | AT(M_IDLE),
	  .apply = "kill {S} KILL", .event = "kill " },
	{ .name = "crash", .what = "server process crashes (SIGSEGV)", .moments = AT(M_MID) | AT(M_IDLE),
	  .apply = "kill {S} SEGV", .event = "kill " },
	{ .name = "sigterm", .what = "server process sent SIGTERM", .moments = AT(M_MID) | AT(M_IDLE),
	  .apply = "kill {S} TERM", .event = "kill " },
	{ .name = "blackhole", .what = "server host vanishes: every packet in or out dropped",
	  .moments = AT(M_MID) | AT(M_IDLE), .apply = "blackhole server", .event = "blackhole:" },
	{ .name = "blackhole-in", .what = "one-way loss: the server host drops what it receives",
	  .moments = AT(M_MID) | AT(M_IDLE), .apply = "nft server add table inet sweep\n"
	  "nft server add chain inet sweep in { type filter hook input priority -300 ; policy drop ; }",
	  .event = "nft add chain" },
	{ .name = "blackhole-out", .what = "one-way loss: the server host drops what it sends",
	  .moments = AT(M_MID) | AT(M_IDLE), .apply = "nft server add table inet sweep\n"
	  "nft server add chain inet sweep out { type filter hook output priority -300 ; policy drop ; }",
	  .event = "nft add chain" },
	{ .name = "reboot-rst", .what = "server host reboots: no state, answers with RST",
	  .moments = AT(M_MID) | AT(M_IDLE), .apply = "reboot server", .event = "reboot:" },
	{ .name = "refused", .what = "nothing listening on the port: RST to the SYN", .moments = AT(M_BEFORE),
	  .apply = "", .no_server = true },
	{ .name = "syn-blackhole", .what = "server host silent before the connect: SYNs unanswered",
	  .moments = AT(M_HANDSHAKE), .apply = "blackhole server" },
	{ .name = "accept-overflow-drop", .what = "server's accept queue full (server stopped, somaxconn 0): SYNs dropped",
	  .moments = AT(M_HANDSHAKE), .before = "sysctl server net.core.somaxconn 0",
	  .apply = "{STOP}client.fill connect server {P}\nawait packet client > server S port {P}\n"
		   "await state server LISTEN port {P} recvq 1" },
	{ .name = "accept-overflow-reset", .what = "server's accept queue fills between the client's SYN and its "
	  "final ACK (server stopped, somaxconn 1, tcp_abort_on_overflow 1): RST",
	  .moments = AT(M_HANDSHAKE), .before = "sysctl server net.core.somaxconn 1\n"
	  "sysctl server net.ipv4.tcp_abort_on_overflow 1",
	  .apply = "{STOP}nft server add table inet sweep\n"
		   "nft server add chain inet sweep in { type filter hook input priority -300 ; }\n"
		   "nft server add rule inet sweep in tcp dport {P} tcp sport != { {F1}, {F2} } tcp flags & (syn|ack) == ack drop",
	  .then = "await packet server > client S. port {P}   # the SYN found room: SYN-RECV, its ACKs held back\n"
		  "client.f1 bind {F1}\nclient.f1 connect server {P}\nclient.f2 bind {F2}\nclient.f2 connect server {P}\n"
		  "await state server LISTEN port {P} recvq 2   # two wait for accept(): the queue is full\n"
		  "nft server delete table inet sweep   # the client's next segment completes its handshake" },
	{ .name = "unreachable", .what = "a router answers for the server with ICMP host unreachable",
	  .moments = AT(M_BEFORE) | AT(M_MID) | AT(M_IDLE), .apply = "unreachable server host",
	  .event = "the router answers", .router = true },
	{ .name = "idle-timeout-drop", .what = "a middlebox (the router) forgets the idle connection and drops its packets",
	  .moments = AT(M_IDLE), .apply = "idle-timeout router 350s drop   # the AWS NLB's timeout, reached",
	  .event = "idle-timeout ", .router = true },
	{ .name = "idle-timeout-reset", .what = "a middlebox (the router) forgets the idle connection and answers with RST",
	  .moments = AT(M_IDLE), .apply = "idle-timeout router 350s reset  # the AWS NAT gateway's timeout, reached",
	  .event = "idle-timeout ", .router = true },
	{ .name = "pmtu-blackhole", .what = "the path to the client has an MTU of 1280 and its ICMP frag-needed is dropped",
	  .moments = AT(M_BEFORE), .apply = "mtu client 1280 silent", .router = true, .connects = true },
	{ .name = "zero-window", .what = "the server process stops (SIGSTOP): its kernel answers, it reads nothing",
	  .moments = AT(M_MID) | AT(M_IDLE), .apply = "stop {S}", .event = "SIGSTOP:" },
	{ .name = "syn-loss", .what = "the client's first two SYNs are lost",
	  .moments = AT(M_HANDSHAKE), .apply = "drop client > server S first 2", .connects = true, .transient = true },
	{ .name = "rst-injection", .what = "a middlebox injects an RST into the client at the exact sequence number",
	  .moments = AT(M_IDLE), .apply = "inject rst server > client exact port {P}", .event = "inject rst" },
};
#define NFAULTS (sizeof sweep_faults / sizeof sweep_faults[0])

enum outcome { O_DETECTED, O_HUNG, O_UNAFFECTED, O_ERROR };
static const char *const outcome_names[] = { "detected", "hung", "unaffected", "error" };

struct cell {
	const struct sweep_fault *f;
	enum moment m;
	int family;
	/* What was seen. */
	enum outcome outcome;
	double detect_ms;                 /* < 0: none */
	double stall_ms;                  /* a transient fault: its first SYN to the SYN-ACK; < 0: none */
	bool exited, eof, in_flight, retried_syn, answered;
	char exit_how[32];                /* "status 1", "signal SIGKILL" */
	char *signal;                     /* the exit's signal name (a copy); NULL: a status */
	int status;
	char errnos[8][24];               /* distinct, in order */
	int nerr;
	char first_call[24], first_errno[24];
	char wire[12][48];
	int nwire;
	char why[512];                    /* error: why */
	double duration_ms;
};

struct sweep {
	const char *server, *client, *ready_text;
	int port;
	int deadline_ms;
	unsigned faults, moments, families;
	long njobs;
	int format;                       /* 0 text, 1 json, 2 junit, 3 html */
	const char *output, *emit;
	bool privileged;                  /* --privileged-programs */
	const char *observe;              /* --observe MODE, written on each exec line; NULL: none */
	bool expect_detected;             /* --expect detected: any other outcome fails */
	char cwd[PATH_MAX];
	char tmpdir[PATH_MAX];
};

static volatile sig_atomic_t stop_signal;

static void on_stop(int signo)
{
	stop_signal = signo;
}

static const char sweep_help[] =
	"Usage: tcpfault sweep [--server CMD] --port N [--client CMD] [OPTIONS]\n"
	"\n"
	"Runs your client and server through every fault of a table (each at the moments that make\n"
	"sense for it: before-connect, handshake, mid-transfer, idle) and reports per cell what the\n"
	"client did: detected (it exited, or a call of its failed, after the fault), hung (still\n"
	"running at the deadline, nothing seen), unaffected (it finished successfully; syn-loss: still\n"
	"answered at the deadline, the connect's stall noted) or error (the cell could not run, with\n"
	"why); the time to detect, the exit, the errnos of its calls, the control packets on the\n"
	"wire; for hung cells, what would have ended the wait. No timer is compressed: the kernel's\n"
	"own timers run. CMD takes the placeholders of scenario files: {server}, {[server]}, {port},\n"
	"{ipv}, {family}; {dir} is the current directory. CMD is split into words (quotes group\n"
	"them) and run without a shell: '|', '>', '&&' are passed as words; for a pipeline, give\n"
	"sh -c '...'.\n"
	"\n"
	"Options:\n"
	"      --server CMD          the server program (started first, awaited ready); without\n"
	"                            it, a built-in server that accepts, reads the request and\n"
	"                            answers with bytes, not HTTP (16 MiB, 64 KiB before the\n"
	"                            connect), and keeps the connection\n"
	"      --port N              the port the server listens on (1 to 49151)\n"
	"      --ready listen|output TEXT\n"
	"                            readiness: its LISTEN socket on the port (default), or TEXT\n"
	"                            in its output\n"
	"      --client CMD          the client program (started after); without it, a built-in\n"
	"                            client: bash's /dev/tcp sends an HTTP/1.1 GET, head reads\n"
	"                            the built-in answer's length (status 1 if cut short), cat\n"
	"                            then reads until the end of the stream\n"
	"      --deadline DUR        how long a client may take after the fault (default 10s)\n"
	"      --faults LIST|all     faults, comma separated (default all): sigkill, crash, sigterm,\n"
	"                            blackhole, blackhole-in, blackhole-out, reboot-rst, refused,\n"
	"                            syn-blackhole, accept-overflow-drop, accept-overflow-reset,\n"
	"                            unreachable, idle-timeout-drop, idle-timeout-reset,\n"
	"                            pmtu-blackhole, zero-window, syn-loss, rst-injection\n"
	"      --moments LIST|all    before-connect, handshake, mid-transfer, idle (default all)\n"
	"      --family inet|inet6|both\n"
	"                            address families (default inet)\n"
	"  -j, --jobs N              cells run in parallel, 1 to 64 (default: 4 per CPU; cells\n"
	"                            wait on timers and programs, not on the CPU)\n"
	"  -f, --format text|json|junit|html\n"
	"                            report format (default text); html is one page\n"
	"  -o, --output FILE         write the report to FILE instead of standard output\n"
	"      --emit DIR            write one scenario file per cell into DIR, with what was\n"
	"                            observed as its expectations (for tcpfault run)\n"
	"      --expect detected     exit status 1 unless every cell is detected (syn-loss, in\n"
	"                            the default faults, is unaffected by design: a healthy\n"
	"                            client then exits 1 too; leave it out of --faults)\n"
	"      --observe auto|shim|trace|none\n"
	"                            who observes your programs' own socket calls (default auto:\n"
	"                            the tracer for a static or Go binary, else the shim)\n"
	"      --privileged-programs your programs run with tcpfault's own privileges (as root:\n"
	"                            the host's root) instead of confined, as with run\n"
	"  -h, --help                this text\n"
	"\n"
	"Exit status: 0 no cell hung, 1 a cell hung or could not run (with --expect detected: a\n"
	"cell not detected), 2 bad usage, 3 this machine lacks something tcpfault needs, 128+N\n"
	"stopped by signal N (130: SIGINT).\n"
	"\n"
	"Example (curl reads python3's 6.8 MB binary at 100 KB/s: a transfer that lasts; a client\n"
	"that closes its connection has no idle moment):\n"
	"  tcpfault sweep --server 'python3 -m http.server --bind {server} --directory /usr/bin {port}' \\\n"
	"      --port 8000 --client 'curl -sS -o /dev/null --limit-rate 100K http://{[server]}:{port}/python3' \\\n"
	"      --faults refused,sigkill,blackhole --moments before-connect,mid-transfer\n";

static int usage(const char *fmt, const char *arg)
{
	fprintf(stderr, "tcpfault: sweep: ");
	fprintf(stderr, fmt, arg);
	fprintf(stderr, "\nTry 'tcpfault sweep --help'.\n");
	return EXIT_USAGE;
}

/* A comma-separated LIST of names (or "all") -> bits; -1 with the unknown name in *bad. */
static long names_mask(const char *list, const char *(*name)(size_t), size_t n, const char **bad)
{
	static char word[64];
	long mask = 0;

	if (strcmp(list, "all") == 0)
		return (1L << n) - 1;
	for (const char *p = list; *p;) {
		size_t len = strcspn(p, ",");
		snprintf(word, sizeof word, "%.*s", (int)(len < 63 ? len : 63), p);
		size_t i = 0;
		while (i < n && strcmp(name(i), word))
			i++;
		if (i == n) {
			*bad = word;
			return -1;
		}
		mask |= 1L << i;
		p += len + (p[len] == ',');
	}
	return mask;
}

static const char *fault_name(size_t i) { return sweep_faults[i].name; }
static const char *moment_name(size_t i) { return moment_names[i]; }

/* Appends text to out with {S} and {P} replaced. */
static void put_fault_lines(FILE *out, const char *text, const struct sweep *sw)
{
	for (const char *p = text; *p; p++) {
		if (strncmp(p, "{S}", 3) == 0) {
			fputs(sw->server ? "server.s" : "server", out);
			p += 2;
		} else if (strncmp(p, "{STOP}", 6) == 0) {
			/* A program is stopped so that it accepts nothing; the built-in peer accepts
			 * only when told. */
			if (sw->server)
				fputs("kill server.s STOP\n", out);
			p += 5;
		} else if (strncmp(p, "{P}", 3) == 0) {
			fprintf(out, "%d", sw->port);
			p += 2;
		} else if (strncmp(p, "{F1}", 4) == 0 || strncmp(p, "{F2}", 4) == 0) {
			fprintf(out, "%d", FILL_PORT + (p[2] == '2'));
			p += 3;
		} else {
			fputc(*p, out);
		}
	}
	fputc('\n', out);
}

/* The user's command with {dir} made the current directory (a cell's file lives elsewhere). */
static void put_command(FILE *out, const char *cmd, const struct sweep *sw)
{
	for (const char *p = cmd; *p; p++)
		if (strncmp(p, "{dir}", 5) == 0) {
			fputs(sw->cwd, out);
			p += 4;
		} else {
			fputc(*p, out);
		}
	fputc('\n', out);
}

static void put_duration(FILE *out, int ms)
{
	if (ms % 1000 == 0)
		fprintf(out, "%ds", ms / 1000);
	else
		fprintf(out, "%dms", ms);
}

/* What ends a cell: while sweeping, the client's end awaited at most the deadline (with any
 * status: a status other than 0 fails the step, and the run, at once); emitted, what was seen. */
static void put_tail(FILE *out, const struct sweep *sw, const struct cell *c)
{
	if (!c) {
		fputs("await exit client.c status 0 within ", out);
		put_duration(out, sw->deadline_ms);
		fputc('\n', out);
		return;
	}
	switch (c->outcome) {
	case O_HUNG:
		fputs("wait ", out);
		put_duration(out, sw->deadline_ms);
		fputs("                    # the deadline: nothing seen by then\n"
		      "expect running client.c\n", out);
		break;
	case O_UNAFFECTED:
		if (!c->exited) {
			/* Still working at the deadline: the connect came through, data came back. */
			fprintf(out, "await packet server > client S. port %d within ", sw->port);
			put_duration(out, sw->deadline_ms);
			fprintf(out, "   # the connect, after the stall\n"
				"await packet server > client P. port %d within ", sw->port);
			put_duration(out, sw->deadline_ms);
			fputs("   # the answer\n"
			      "expect running client.c\n", out);
		}
		/* fall through */
	case O_DETECTED:
		if (c->first_call[0]) {
			fprintf(out, "await client.c %s = -1 %s within ", c->first_call, c->first_errno);
			put_duration(out, sw->deadline_ms);
			fputc('\n', out);
		}
		if (c->exited) {
			fprintf(out, "await exit client.c %s %s within ", c->signal ? "signal" : "status",
				c->signal ? c->signal + 3 : c->exit_how + 7);
			put_duration(out, sw->deadline_ms);
			fputc('\n', out);
		}
		break;
	case O_ERROR:
		break;
	}
}

/* The cell as a scenario; c NULL: the one swept, else the one emitted (c's observations). */
static char *cell_text(const struct sweep *sw, const struct sweep_fault *f, enum moment m, int family,
		       const struct cell *c)
{
	char *text = NULL;
	size_t len = 0;
	FILE *out = open_memstream(&text, &len);
	bool early = m == M_BEFORE || m == M_HANDSHAKE;

	if (!out)
		return NULL;
	fprintf(out, "# tcpfault sweep: %s at %s: %s.\n", f->name, moment_names[m], f->what);
	if (c) {
		fprintf(out, "# Observed: %s", outcome_names[c->outcome]);
		if (c->detect_ms >= 0)
			fprintf(out, " after %.0f ms", c->detect_ms);
		if (c->stall_ms >= 0)
			fprintf(out, ", the connect stalled %.0f ms", c->stall_ms);
		if (c->exited)
			fprintf(out, ", %s", c->exit_how);
		for (int i = 0; i < c->nerr; i++)
			fprintf(out, "%s%s", i ? " " : ", ", c->errnos[i]);
		if (c->eof)
			fputs(", EOF", out);
		fputs(".\n# Wire after the fault:", out);
		for (int i = 0; i < c->nwire; i++)
			fprintf(out, "%s %s", i ? "," : "", c->wire[i]);
		fputs(c->nwire ? "\n" : " no control packet\n", out);
		fputs("# Relative paths in the commands are relative to the directory tcpfault runs in.\n", out);
	}
	fprintf(out, "summary sweep: %s at %s\n", f->name, moment_names[m]);
	fprintf(out, "timers none compressed: the kernel's own timers\n");
	fprintf(out, "family %s\n", family == AF_INET6 ? "inet6" : "inet");
	if (f->router)
		fputs("topology router\n", out);
	fprintf(out, "timeout %ds\n", sw->deadline_ms / 1000 + 4 * READY_S + 10);
	if (f->before)
		put_fault_lines(out, f->before, sw);
	if (!f->no_server && !sw->server) {
		fprintf(out, "server listen %d                # the built-in server\n", sw->port);
	} else if (!f->no_server) {
		fprintf(out, "server.s exec port %d %s%s%s", sw->port, sw->observe ? "observe " : "",
			sw->observe ? sw->observe : "", sw->observe ? " " : "");
		put_command(out, sw->server, sw);
		if (sw->ready_text) {
			fputs("await output server.s \"", out);
			for (const char *p = sw->ready_text; *p; p++)
				fprintf(out, "%s%c", *p == '"' || *p == '\\' ? "\\" : "", *p);
			fprintf(out, "\" within %ds\n", READY_S);
		} else {
			fprintf(out, "await listen server.s %d within %ds\n", sw->port, READY_S);
		}
	}
	if (early)
		put_fault_lines(out, f->apply, sw);
	fprintf(out, "client.c exec port %d %s%s%s", sw->port, sw->observe ? "observe " : "",
		sw->observe ? sw->observe : "", sw->observe ? " " : "");
	if (sw->client)
		put_command(out, sw->client, sw);
	else
		fprintf(out, "%s %d\n", BUILTIN_CLIENT, sw->server ? 0 : early ? BUILTIN_ANSWER : BUILTIN_ANSWER_LONG);
	if (early)
		fprintf(out, "await packet client > server S port %d within %ds   # its first SYN: the clock starts\n",
			sw->port, READY_S);
	if (early && f->then)
		put_fault_lines(out, f->then, sw);
	if ((!early || f->connects) && !sw->server)
		fprintf(out, "server accept within %ds\n"
			"server read 65536 within %ds     # the client's request\n", READY_S, READY_S);
	if (early && f->connects && !sw->server)
		fprintf(out, "server write %d within %ds       # the answer\n", BUILTIN_ANSWER, READY_S);
	if (!early && !sw->server)
		fprintf(out, "server write %d &               # the answer, written on while the steps go on\n",
			BUILTIN_ANSWER_LONG);
	if (!early) {
		fprintf(out, "await packet client > server P. port %d within %ds   # the first data both ways\n",
			sw->port, READY_S);
		fprintf(out, "await packet server > client P. port %d within %ds\n", sw->port, READY_S);
		/* A killed server's write ends with it; any other fault comes once all of it is in
		 * the socket (a few MB of it still to send mid-transfer). */
		if (!sw->server && (m == M_IDLE || strncmp(f->apply, "kill {S}", 8)))
			fprintf(out, "await server write = %d within %ds\n", BUILTIN_ANSWER_LONG, READY_S);
		if (m == M_IDLE)
			fprintf(out, "await quiet %dms port %d within %ds   # then the connection idles: no segment for "
				"%d ms,\n"
				"await state client ESTABLISHED port %d recvq 0 sendq 0 within %ds   # still open, nothing "
				"unread, nothing unacknowledged\n"
				"await state server ESTABLISHED port %d sendq 0 within %ds\n", IDLE_MS, sw->port, READY_S,
				IDLE_MS, sw->port, IDLE_CHECK_S, sw->port, IDLE_CHECK_S);
		put_fault_lines(out, f->apply, sw);
	}
	put_tail(out, sw, c);
	if (fclose(out) != 0) {
		free(text);
		return NULL;
	}
	return text;
}

static int write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	if (!f)
		return -errno;
	fputs(text, f);
	return fclose(f) == 0 ? 0 : -errno;
}

/* ---- reading a cell's result ---- */

static bool quiet_errno(int e)
{
	return e == EAGAIN || e == EINPROGRESS || e == EINTR || e == EALREADY;
}

static bool is_read(const char *call)
{
	return !strcmp(call, "read") || !strcmp(call, "recv") || !strcmp(call, "recvmsg") || !strcmp(call, "readv");
}

static void add_wire(struct cell *c, const char *what)
{
	char *last = c->nwire ? c->wire[c->nwire - 1] : NULL;

	/* Repeats are counted: "C>S S x3". */
	if (last) {
		size_t n = strlen(what);
		if (!strncmp(last, what, n) && (!last[n] || last[n] == ' ')) {
			int k = last[n] ? atoi(last + n + 2) : 1;
			snprintf(last + n, sizeof c->wire[0] - n, " x%d", k + 1);
			return;
		}
	}
	if (c->nwire < (int)(sizeof c->wire / sizeof c->wire[0]))
		snprintf(c->wire[c->nwire++], sizeof c->wire[0], "%s", what);
}

static char side(const char *host)
{
	return !strcmp(host, "client") ? 'C' : !strcmp(host, "server") ? 'S' : 'R';
}

/* A failure's first line, its "FILE:LINE: " made the step itself (the cell's file is gone). */
static void why_failed(const struct sweep *sw, const struct cell *c, char *buf, size_t len, const char *text)
{
	const char *at = strstr(text, ".tcpf:");
	char *cell = cell_text(sw, c->f, c->m, c->family, NULL), step[200] = "";
	long line = at ? strtol(at + 6, NULL, 10) : 0;

	for (const char *p = cell; p && line > 0 && *p; p += strcspn(p, "\n") + 1)
		if (--line == 0)
			snprintf(step, sizeof step, "%.*s", (int)strcspn(p, "#\n"), p);
	free(cell);
	if (step[0] && (at = strchr(at + 6, ':'))) {
		text = at + 1 + (at[1] == ' ');
		for (size_t n = strlen(step); n && step[n - 1] == ' ';)
			step[--n] = 0;
	}
	snprintf(buf, len, "%s%s%s%.*s", step[0] ? "at '" : "", step, step[0] ? "': " : "", (int)strcspn(text, "\n"), text);
}

/* Whether a failure ("FILE:LINE: ...") is the cell's last step's: the client's end awaited. */
static bool at_last_step(const struct sweep *sw, const struct cell *c, const char *failure)
{
	const char *at = strstr(failure, ".tcpf:");
	char *cell = cell_text(sw, c->f, c->m, c->family, NULL);
	long lines = 0;

	for (const char *p = cell; p && *p; p++)
		lines += *p == '\n';
	free(cell);
	return at && strtol(at + 6, NULL, 10) == lines;
}

/* The last line of what a program wrote to its stderr, in "; its stderr ends: ..." (or ""). */
static void stderr_tail(const struct result *r, const char *name, char *buf, size_t len)
{
	buf[0] = 0;
	for (size_t i = 0; i < r->programs.n; i++) {
		const char *e = r->programs.v[i].out[1];
		if (strcmp(r->programs.v[i].name, name) || !e || !*e)
			continue;
		size_t n = strlen(e);
		while (n && (e[n - 1] == '\n' || e[n - 1] == ' '))
			n--;
		size_t at = n;
		while (at && e[at - 1] != '\n')
			at--;
		snprintf(buf, len, "; its stderr ends: \"%.*s\"", (int)(n - at > 160 ? 160 : n - at), e + at);
	}
}

/* Why a cell did not run as written: a program that exited first (before the fault at
 * before_ms, if known: < 0 not), with its last words, an idle moment that never came, or the
 * failed step as it says. */
static void not_reached(const struct sweep *sw, struct cell *c, const struct result *r, const char *failure,
			double before_ms)
{
	char tail[200], step[512];

	why_failed(sw, c, step, sizeof step, failure[0] ? failure : "the fault was never reached");
	for (size_t i = 0; i < r->exits.n; i++) {
		const struct result_exit *x = &r->exits.v[i];
		bool client = !strcmp(x->peer, "client.c");
		/* The teardown's SIGKILL ends what still runs at a failure: not a reason. */
		if ((!client && strcmp(x->peer, "server.s")) || !strcmp(x->signal, "SIGKILL") ||
		    (before_ms >= 0 && x->t_ms >= before_ms))
			continue;
		stderr_tail(r, x->peer, tail, sizeof tail);
		bool connected = false;
		for (size_t k = 0; client && k < r->packets.n; k++)
			connected = connected || (!strcmp(r->packets.v[k].from, "client") &&
						  (r->packets.v[k].sport == sw->port || r->packets.v[k].dport == sw->port));
		snprintf(c->why, sizeof c->why, "the %s exited (%s %d) %s%s%s", client ? "client" : "server",
			 x->signal[0] ? "signal" : "status", x->signal[0] ? 0 : x->status,
			 client && !connected ? "before connecting" : "before the fault's moment came", tail,
			 sw->privileged || (!strstr(tail, "ermission denied") && !strstr(tail, "No such file")) ? "" :
			 " (confined, it may lack access to its files: --privileged-programs lifts that)");
		if (x->signal[0])
			snprintf(c->why, sizeof c->why, "the %s was killed (%s) %s%s", client ? "client" : "server", x->signal,
				 client && !connected ? "before connecting" : "before the fault", tail);
		return;
	}
	if (strstr(step, "'await quiet"))
		snprintf(c->why, sizeof c->why, "the client's connection never idled: no %d ms without a segment on port %d "
			 "within %d s (a transfer that never pauses has no idle moment)", IDLE_MS, sw->port, READY_S);
	else if (c->m == M_IDLE && strstr(step, "'await state"))
		snprintf(c->why, sizeof c->why, "no idle moment: when the wire went quiet (%d ms) the connection was closed "
			 "or held data (unread or unacknowledged): a client that closes its connection after each "
			 "exchange, or reads slowly, has none", IDLE_MS);
	else
		snprintf(c->why, sizeof c->why, "%s", step);
}

static void classify(const struct sweep *sw, struct cell *c, const struct result *r)
{
	double t0 = -1;
	bool fin_c = false, fin_s = false;
	const char *failure = r && r->failures.n ? r->failures.v[0] : "";

	c->detect_ms = c->stall_ms = -1;
	if (!r) {
		c->outcome = O_ERROR;
		snprintf(c->why, sizeof c->why, "no result (out of memory)");
		return;
	}
	c->duration_ms = r->duration_ms;
	if (r->missing[0]) {
		c->outcome = O_ERROR;
		snprintf(c->why, sizeof c->why, "this machine lacks: %s", r->missing);
		return;
	}
	/* The clock starts at the fault, or where the fault came first, at the client's start. */
	for (size_t i = 0; i < r->events.n; i++) {
		const char *e = r->events.v[i].event;
		/* A program's event starts with its name ("s SIGSTOP: ..."), the built-in peer's not. */
		if (c->f->event && (c->m == M_MID || c->m == M_IDLE) ? !strncmp(e, c->f->event, strlen(c->f->event)) ||
		    (!strncmp(e, "s ", 2) && !strncmp(e + 2, c->f->event, strlen(c->f->event))) :
		    !strncmp(e, "exec c:", 7))
			t0 = r->events.v[i].t_ms;
	}
	/* A fault in place before the client started: the clock starts with its first SYN (a
	 * program takes its time to start, and more so on a loaded machine). */
	bool syn = false;
	for (size_t i = 0; t0 >= 0 && (c->m == M_BEFORE || c->m == M_HANDSHAKE) && !syn && i < r->packets.n; i++) {
		const struct result_packet *p = &r->packets.v[i];
		if (p->t_ms >= t0 && !p->icmp && !strcmp(p->from, "client") && !strcmp(p->flags, "S") &&
		    p->dport == sw->port) {
			t0 = p->t_ms;
			syn = true;
		}
	}
	if (t0 >= 0 && (c->m == M_BEFORE || c->m == M_HANDSHAKE) && !syn)
		t0 = -1;   /* the client never tried: no clock to start */
	if (t0 < 0) {
		c->outcome = O_ERROR;
		not_reached(sw, c, r, failure, -1);
		return;
	}
	/* The fault came after the connection had closed (a FIN each way, or an RST: the last
	 * connection of the client's to the port before the fault): no transfer to break. */
	double closed_ms = -1;
	for (size_t i = 0; c->m == M_MID || c->m == M_IDLE ? i < r->packets.n : 0; i++) {
		const struct result_packet *p = &r->packets.v[i];
		if (p->t_ms >= t0 || p->icmp || (p->sport != sw->port && p->dport != sw->port))
			continue;
		if (!strcmp(p->from, "client") && !strcmp(p->flags, "S"))
			closed_ms = -1, fin_c = fin_s = false;
		else if (strchr(p->flags, 'R'))
			closed_ms = p->t_ms;
		else if (strchr(p->flags, 'F') && (!strcmp(p->from, "client") ? (fin_c = true) : (fin_s = true)) &&
			 ((fin_c && fin_s) || (c->m == M_MID && fin_s)))
			closed_ms = p->t_ms;
	}
	if (closed_ms >= 0) {
		c->outcome = O_ERROR;
		snprintf(c->why, sizeof c->why, "the transfer ended before the fault (the connection %s at %.0f ms, "
			 "the fault at %.0f ms): the moment %s could not be reached; give the client a longer transfer",
			 fin_c && fin_s ? "closed" : fin_s ? "closed by the server (its FIN: all sent)" : "reset",
			 closed_ms, t0, moment_names[c->m]);
		return;
	}
	double end = t0 + sw->deadline_ms;
	double exit_ms = -1, err_ms = -1;
	/* The client still running when the deadline ran out: its exit is the teardown's SIGKILL. */
	bool ran_out = r->verdict != RESULT_PASS && strstr(failure, "client.c did not end within");
	for (size_t i = 0; i < r->exits.n; i++) {
		const struct result_exit *x = &r->exits.v[i];
		if (strcmp(x->peer, "client.c") || x->t_ms >= end || ran_out)
			continue;
		if (x->t_ms < t0) {
			c->outcome = O_ERROR;
			snprintf(c->why, sizeof c->why, "the client ended before the fault (%s %d at %.0f ms): "
				 "nothing left to break at %s", x->signal[0] ? "signal" : "status", x->status, x->t_ms,
				 moment_names[c->m]);
			return;
		}
		c->exited = true;
		exit_ms = x->t_ms;
		free(c->signal);
		c->signal = x->signal[0] ? strdup(x->signal) : NULL;
		c->status = x->status;
		if (x->signal[0])
			snprintf(c->exit_how, sizeof c->exit_how, "signal %s", x->signal);
		else
			snprintf(c->exit_how, sizeof c->exit_how, "status %d", x->status);
	}
	/* The run ends at the last step, the client's end awaited: any other failure (or none
	 * there) means the cell did not run as written. */
	if (r->verdict != RESULT_PASS && !at_last_step(sw, c, failure)) {
		c->outcome = O_ERROR;
		not_reached(sw, c, r, failure[0] ? failure : "the run failed", t0);
		return;
	}
	/* Only the calls on the client's connections to the server's port: the port each socket
	 * connected to, as the shim says it ("port N" of connect), kept per process and fd until
	 * its close; a socket whose connect was not seen counts. */
	struct { int pid, fd, port; } conn[64];
	int nconn = 0;
	for (size_t i = 0; i < r->syscalls.n; i++) {
		const struct result_syscall *s = &r->syscalls.v[i];
		int fd = s->socket && !strncmp(s->socket, "fd", 2) ? atoi(s->socket + 2) : -1, slot = 0, port = 0;
		if (strcmp(s->peer, "client.c") || fd < 0)
			continue;
		while (slot < nconn && (conn[slot].pid != s->pid || conn[slot].fd != fd))
			slot++;
		if (slot < nconn)
			port = conn[slot].port;
		if (!strcmp(s->call, "connect") && s->args && !strncmp(s->args, "port ", 5) && (slot < nconn || nconn < 64)) {
			conn[slot] = (typeof(conn[0])){ s->pid, fd, atoi(s->args + 5) };
			nconn += slot == nconn;
			port = conn[slot].port;
		}
		if (!strcmp(s->call, "close") && slot < nconn)
			conn[slot] = conn[--nconn];
		if (port && port != sw->port)
			continue;
		if (s->t_ms < t0 || s->t_ms >= end)
			continue;
		if (s->ret == 0 && is_read(s->call))
			c->eof = true;
		if (s->ret >= 0 || !s->err || quiet_errno(s->err))
			continue;
		const char *name = peer_errno_name(s->err);
		if (err_ms < 0) {
			err_ms = s->t_ms;
			snprintf(c->first_call, sizeof c->first_call, "%s", s->call);
			snprintf(c->first_errno, sizeof c->first_errno, "%s", name);
		}
		int k = 0;
		while (k < c->nerr && strcmp(c->errnos[k], name))
			k++;
		if (k == c->nerr && c->nerr < 8)
			snprintf(c->errnos[c->nerr++], sizeof c->errnos[0], "%s", name);
	}
	for (size_t i = 0; i < r->packets.n; i++) {
		const struct result_packet *p = &r->packets.v[i];
		char what[48];
		if (p->t_ms < t0 || p->t_ms >= end || (p->sport != sw->port && p->dport != sw->port))
			continue;     /* the client's other connections: not the server's port */
		if (p->sport == FILL_PORT || p->dport == FILL_PORT || p->sport == FILL_PORT + 1 || p->dport == FILL_PORT + 1)
			continue;     /* the fault's own connections */
		if (!strcmp(p->from, "client") && p->len > 0)
			c->in_flight = true;
		if (!strcmp(p->from, "client") && !strcmp(p->flags, "S"))
			c->retried_syn = true;
		if (!strcmp(p->from, "server") && !strcmp(p->flags, "S.") && c->stall_ms < 0 && c->f->transient)
			c->stall_ms = p->t_ms - t0;
		if (!strcmp(p->from, "server") && p->len > 0)
			c->answered = true;
		if (!p->icmp && !strpbrk(p->flags, "SFR"))
			continue;
		snprintf(what, sizeof what, "%c>%c %s%s", side(p->from), side(p->to), p->icmp ? "icmp " : "", p->flags);
		add_wire(c, what);
	}
	if ((c->exited && !c->signal && c->status == 0) || (c->f->transient && !c->exited && err_ms < 0 && c->answered)) {
		c->outcome = O_UNAFFECTED;
	} else if (c->exited || err_ms >= 0) {
		c->outcome = O_DETECTED;
		double t = err_ms >= 0 && (exit_ms < 0 || err_ms < exit_ms) ? err_ms : exit_ms;
		c->detect_ms = t - t0;
	} else {
		c->outcome = O_HUNG;
	}
}

/* For a hung cell: what would have ended the wait, and how long each would take here. */
static int advice(const struct cell *c, char lines[4][320])
{
	int n = 0;

	if (c->outcome != O_HUNG)
		return 0;
	/* The path or the peer's kernel still answers: keepalive probes pass, no TCP timer ends a read. */
	if (!strcmp(c->f->name, "zero-window")) {
		snprintf(lines[n++], 320, "the stopped server's kernel answers: keepalive probes and zero-window probes "
			 "are acknowledged, so neither keepalive nor tcp_retries2 ends the wait");
		snprintf(lines[n++], 320, "TCP_USER_TIMEOUT (say 5000 ms) ends it only while the client's own data goes "
			 "unacknowledged (writing into the zero window; Linux 5.11 and later): about 5 s after that");
		snprintf(lines[n++], 320, "an application read timeout (a socket timeout, SO_RCVTIMEO, a deadline per "
			 "request) of T: detected after T, the one thing that ends a blocked read here");
		return n;
	}
	if (!strcmp(c->f->name, "pmtu-blackhole")) {
		snprintf(lines[n++], 320, "small packets pass: keepalive probes are answered, and the client has nothing "
			 "unacknowledged for TCP_USER_TIMEOUT to count; neither ends the wait");
		snprintf(lines[n++], 320, "net.ipv4.tcp_mtu_probing 1 on the sender (the server): its blackhole detection "
			 "drops the MSS to 1024 about 3 to 6.5 s into the stall and the transfer goes on (2: at once)");
		snprintf(lines[n++], 320, "an application read timeout (a socket timeout, SO_RCVTIMEO, a deadline per "
			 "request) of T: detected after T");
		return n;
	}
	if (c->m == M_HANDSHAKE || c->m == M_BEFORE || c->retried_syn) {
		snprintf(lines[n++], 320, "a connect timeout of the application's own (say 3 s: detected after 3 s); "
			 "the kernel gives up only after net.ipv4.tcp_syn_retries (6: about 127 s, 130 s since Linux 6.5)");
		snprintf(lines[n++], 320, "TCP_SYNCNT on the socket: fewer SYN retransmissions than tcp_syn_retries");
		return n;
	}
	if (c->in_flight) {
		snprintf(lines[n++], 320, "TCP_USER_TIMEOUT (say 5000 ms: detected about 5 s after its data went "
			 "unacknowledged); the kernel's own retransmissions give up after tcp_retries2 (15: about 15 min)");
	} else {
		snprintf(lines[n++], 320, "nothing of the client's is in flight: no TCP timer runs, the wait lasts as long "
			 "as the process");
	}
	/* tcp_keepalive_timer() sends no probe while data is unacknowledged. */
	if (c->in_flight)
		snprintf(lines[n++], 320, "SO_KEEPALIVE does not help here: the kernel sends no keepalive probe while "
			 "data is unacknowledged");
	else
		snprintf(lines[n++], 320, "SO_KEEPALIVE with TCP_KEEPIDLE 5, TCP_KEEPINTVL 1, TCP_KEEPCNT 3: detected after "
			 "about %s (the kernel's defaults 7200 s, 75 s, 9: 2 h 11 min)",
			 !strcmp(c->f->name, "reboot-rst") || !strcmp(c->f->name, "idle-timeout-reset") ?
			 "5 s (the first probe draws an RST)" : "8 s");
	snprintf(lines[n++], 320, "an application read timeout (a socket timeout, SO_RCVTIMEO, a deadline per "
		 "request) of T: detected after T");
	if (!strncmp(c->f->name, "idle-timeout", 12))
		snprintf(lines[n++], 320, "keepalive probes more often than the middlebox's idle timeout (AWS: 350 s) "
			 "keep its entry alive: the connection is not forgotten at all");
	return n;
}

/* ---- reports ---- */

static const char *family_name(int family)
{
	return family == AF_INET6 ? "inet6" : "inet";
}

static void sweep_text(FILE *out, const struct sweep *sw, const struct cell *cells, size_t n, double wall_ms)
{
	int count[4] = { 0 };

	fprintf(out, "%-21s %-15s %-6s %-11s %9s  %-14s %-20s %s\n", "FAULT", "MOMENT", "FAMILY", "OUTCOME", "DETECT",
		"EXIT", "ERRNOS", "WIRE AFTER THE FAULT");
	for (size_t i = 0; i < n; i++) {
		const struct cell *c = &cells[i];
		char det[24] = "-", errs[200] = "", wire[600] = "";
		size_t k = 0;
		count[c->outcome]++;
		if (c->detect_ms >= 0)
			snprintf(det, sizeof det, "%.0f ms", c->detect_ms);
		for (int e = 0; e < c->nerr && k < sizeof errs; e++)
			k += (size_t)snprintf(errs + k, sizeof errs - k, "%s%s", e ? "," : "", c->errnos[e]);
		if (c->eof && k < sizeof errs)
			k += (size_t)snprintf(errs + k, sizeof errs - k, "%sEOF", k ? "," : "");
		k = 0;
		for (int w = 0; w < c->nwire && k < sizeof wire; w++)
			k += (size_t)snprintf(wire + k, sizeof wire - k, "%s%s", w ? ", " : "", c->wire[w]);
		if (c->stall_ms >= 0 && k < sizeof wire)
			snprintf(wire + k, sizeof wire - k, "%sthe connect stalled %.0f ms", k ? "; " : "", c->stall_ms);
		fprintf(out, "%-21s %-15s %-6s %-11s %9s  %-14s %-20s %s\n", c->f->name, moment_names[c->m],
			family_name(c->family), outcome_names[c->outcome], det, c->exited ? c->exit_how : "-",
			errs[0] ? errs : "-", c->outcome == O_ERROR ? c->why : wire[0] ? wire : "-");
	}
	/* Cells with the same advice share it: "blackhole at idle, unreachable at idle:". */
	bool any = false, *done = calloc(n + 1, sizeof *done);
	for (size_t i = 0; done && i < n; i++) {
		char lines[4][320], other[4][320];
		int k = advice(&cells[i], lines);
		if (!k || done[i])
			continue;
		fputs(any ? "" : "\nHung: what would have ended the wait\n", out);
		any = true;
		for (size_t j = i; j < n; j++) {
			int kj = advice(&cells[j], other);
			bool same = kj == k;
			for (int l = 0; same && l < k; l++)
				same = !strcmp(lines[l], other[l]);
			if (!same || done[j])
				continue;
			done[j] = true;
			fprintf(out, "%s%s at %s (%s)", j == i ? "  " : ", ", cells[j].f->name, moment_names[cells[j].m],
				family_name(cells[j].family));
		}
		fputs(":\n", out);
		for (int l = 0; l < k; l++)
			fprintf(out, "    - %s\n", lines[l]);
	}
	free(done);
	fprintf(out, "\n%zu cell%s: %d detected, %d hung, %d unaffected, %d error; deadline ", n, n == 1 ? "" : "s", count[O_DETECTED],
		count[O_HUNG], count[O_UNAFFECTED], count[O_ERROR]);
	put_duration(out, sw->deadline_ms);
	fprintf(out, ", %.1f s in all; timers: none compressed (the kernel's own)\n", wall_ms / 1000);
}

static void sweep_json(FILE *out, const struct sweep *sw, const struct cell *cells, size_t n, double wall_ms)
{
	json_object *top = json_object_new_object(), *arr = json_object_new_array();

	json_object_object_add(top, "tcpfault", json_object_new_string(TCPFAULT_VERSION));
	json_object_object_add(top, "server", json_object_new_string(sw->server ? sw->server : "built-in"));
	json_object_object_add(top, "client", json_object_new_string(sw->client ? sw->client : "built-in"));
	json_object_object_add(top, "port", json_object_new_int(sw->port));
	json_object_object_add(top, "deadline_ms", json_object_new_int(sw->deadline_ms));
	json_object_object_add(top, "timers", json_object_new_string("none compressed: the kernel's own"));
	json_object_object_add(top, "duration_ms", json_object_new_int((int)(wall_ms + 0.5)));
	for (size_t i = 0; i < n; i++) {
		const struct cell *c = &cells[i];
		json_object *j = json_object_new_object(), *e = json_object_new_array(), *w = json_object_new_array();
		json_object *adv = json_object_new_array(), *x = NULL;
		char lines[4][320];
		int k = advice(c, lines);
		json_object_object_add(j, "fault", json_object_new_string(c->f->name));
		json_object_object_add(j, "moment", json_object_new_string(moment_names[c->m]));
		json_object_object_add(j, "family", json_object_new_string(family_name(c->family)));
		json_object_object_add(j, "outcome", json_object_new_string(outcome_names[c->outcome]));
		json_object_object_add(j, "detect_ms", c->detect_ms >= 0 ? json_object_new_int((int)(c->detect_ms + 0.5)) : NULL);
		json_object_object_add(j, "stall_ms", c->stall_ms >= 0 ? json_object_new_int((int)(c->stall_ms + 0.5)) : NULL);
		if (c->exited) {
			x = json_object_new_object();
			if (c->signal)
				json_object_object_add(x, "signal", json_object_new_string(c->signal));
			else
				json_object_object_add(x, "status", json_object_new_int(c->status));
		}
		json_object_object_add(j, "exit", x);
		for (int q = 0; q < c->nerr; q++)
			json_object_array_add(e, json_object_new_string(c->errnos[q]));
		json_object_object_add(j, "errnos", e);
		json_object_object_add(j, "eof", json_object_new_boolean(c->eof));
		char first[80];
		snprintf(first, sizeof first, "%s = -1 %s", c->first_call, c->first_errno);
		json_object_object_add(j, "first_error", c->first_call[0] ? json_object_new_string(first) : NULL);
		for (int q = 0; q < c->nwire; q++)
			json_object_array_add(w, json_object_new_string(c->wire[q]));
		json_object_object_add(j, "wire", w);
		for (int q = 0; q < k; q++)
			json_object_array_add(adv, json_object_new_string(lines[q]));
		json_object_object_add(j, "advice", adv);
		json_object_object_add(j, "why", c->outcome == O_ERROR ? json_object_new_string(c->why) : NULL);
		json_object_object_add(j, "duration_ms", json_object_new_int((int)(c->duration_ms + 0.5)));
		json_object_array_add(arr, j);
	}
	json_object_object_add(top, "cells", arr);
	fprintf(out, "%s\n", json_object_to_json_string_ext(top, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_NOSLASHESCAPE));
	json_object_put(top);
}

static void sweep_junit(FILE *out, const struct sweep *sw, const struct cell *cells, size_t n, double wall_ms)
{
	int hung = 0, errors = 0;

	/* A failure: a hung cell, or with --expect detected any cell not detected (as the exit status). */
	for (size_t i = 0; i < n; i++) {
		hung += cells[i].outcome == O_HUNG || (sw->expect_detected && cells[i].outcome == O_UNAFFECTED);
		errors += cells[i].outcome == O_ERROR;
	}
	fprintf(out, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites name=\"tcpfault sweep\" tests=\"%zu\" "
		"failures=\"%d\" errors=\"%d\" time=\"%.3f\">\n", n, hung, errors, wall_ms / 1000);
	fprintf(out, "  <testsuite name=\"tcpfault sweep\" tests=\"%zu\" failures=\"%d\" errors=\"%d\" time=\"%.3f\">\n",
		n, hung, errors, wall_ms / 1000);
	for (size_t i = 0; i < n; i++) {
		const struct cell *c = &cells[i];
		char lines[4][320];
		int k = advice(c, lines);
		fprintf(out, "    <testcase classname=\"sweep.%s\" name=\"%s %s (%s)\" time=\"%.3f\">\n", c->f->name,
			c->f->name, moment_names[c->m], family_name(c->family), c->duration_ms / 1000);
		if (c->outcome == O_HUNG) {
			fputs("      <failure message=\"hung: the client was still running at the deadline, no error seen\">", out);
			for (int l = 0; l < k; l++) {
				report_put_xml(out, lines[l], false);
				fputc('\n', out);
			}
			fputs("</failure>\n", out);
		} else if (sw->expect_detected && c->outcome == O_UNAFFECTED) {
			fputs("      <failure message=\"unaffected: not detected, as --expect detected requires\"/>\n", out);
		} else if (c->outcome == O_ERROR) {
			fputs("      <error message=\"", out);
			report_put_xml(out, c->why, true);
			fputs("\"/>\n", out);
		}
		fprintf(out, "      <system-out>outcome %s", outcome_names[c->outcome]);
		if (c->detect_ms >= 0)
			fprintf(out, ", detected after %.0f ms", c->detect_ms);
		if (c->stall_ms >= 0)
			fprintf(out, ", the connect stalled %.0f ms", c->stall_ms);
		if (c->exited)
			fprintf(out, ", %s", c->exit_how);
		for (int e = 0; e < c->nerr; e++)
			fprintf(out, "%s%s", e ? " " : ", errnos ", c->errnos[e]);
		for (int w = 0; w < c->nwire; w++) {
			fputs(w ? ", " : "; wire ", out);
			report_put_xml(out, c->wire[w], false);
		}
		fputs("</system-out>\n    </testcase>\n", out);
	}
	fputs("  </testsuite>\n</testsuites>\n", out);
}

/* One self-contained page: the matrix as a table, outcomes coloured, then the advice. */
static void sweep_html(FILE *out, const struct sweep *sw, const struct cell *cells, size_t n, double wall_ms)
{
	static const char *const colour[] = { "#2e7d32", "#c62828", "#1565c0", "#6d4c41" };

	fputs("<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>tcpfault sweep</title><style>"
	      "body{font-family:sans-serif;margin:2em}table{border-collapse:collapse}"
	      "td,th{border:1px solid #ccc;padding:.3em .6em;text-align:left;vertical-align:top}"
	      "td.o{font-weight:bold;color:#fff}code{font-size:90%}</style></head><body>\n"
	      "<h1>tcpfault sweep</h1>\n<p>client <code>", out);
	report_put_xml(out, sw->client ? sw->client : "built-in", false);
	fputs("</code><br>server <code>", out);
	report_put_xml(out, sw->server ? sw->server : "built-in", false);
	fprintf(out, "</code><br>port %d, deadline %d s, %.1f s in all; timers: none compressed (the kernel's own)</p>\n",
		sw->port, sw->deadline_ms / 1000, wall_ms / 1000);
	fputs("<table>\n<tr><th>fault</th><th>moment</th><th>family</th><th>outcome</th><th>detect</th><th>exit</th>"
	      "<th>errnos</th><th>wire after the fault / why</th></tr>\n", out);
	for (size_t i = 0; i < n; i++) {
		const struct cell *c = &cells[i];
		fprintf(out, "<tr><td>%s</td><td>%s</td><td>%s</td><td class=\"o\" style=\"background:%s\">%s</td><td>",
			c->f->name, moment_names[c->m], family_name(c->family), colour[c->outcome], outcome_names[c->outcome]);
		if (c->detect_ms >= 0)
			fprintf(out, "%.0f ms", c->detect_ms);
		if (c->stall_ms >= 0)
			fprintf(out, "connect stalled %.0f ms", c->stall_ms);
		fprintf(out, "</td><td>%s</td><td>", c->exited ? c->exit_how : "");
		for (int e = 0; e < c->nerr; e++)
			fprintf(out, "%s%s", e ? " " : "", c->errnos[e]);
		fprintf(out, "%s</td><td>", c->eof ? c->nerr ? " EOF" : "EOF" : "");
		if (c->outcome == O_ERROR)
			report_put_xml(out, c->why, false);
		for (int w = 0; c->outcome != O_ERROR && w < c->nwire; w++) {
			fputs(w ? ", " : "", out);
			report_put_xml(out, c->wire[w], false);
		}
		fputs("</td></tr>\n", out);
	}
	fputs("</table>\n", out);
	for (size_t i = 0; i < n; i++) {
		char lines[4][320];
		int k = advice(&cells[i], lines);
		if (k)
			fprintf(out, "<h3>%s at %s (%s): hung; what would have ended the wait</h3>\n<ul>\n", cells[i].f->name,
				moment_names[cells[i].m], family_name(cells[i].family));
		for (int l = 0; l < k; l++) {
			fputs("<li>", out);
			report_put_xml(out, lines[l], false);
			fputs("</li>\n", out);
		}
		if (k)
			fputs("</ul>\n", out);
	}
	fputs("</body></html>\n", out);
}

/* ---- the command ---- */

static int rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	return remove(path) < 0 ? 0 : 0;   /* best effort: a temporary folder of our own */
}

static int sweep_options(int argc, char **argv, struct sweep *sw, int *ret_exit)
{
	static const struct option opts[] = {
		{ "server", required_argument, NULL, 's' },
		{ "client", required_argument, NULL, 'c' },
		{ "port", required_argument, NULL, 'p' },
		{ "ready", required_argument, NULL, 'r' },
		{ "deadline", required_argument, NULL, 'd' },
		{ "faults", required_argument, NULL, 'F' },
		{ "moments", required_argument, NULL, 'M' },
		{ "family", required_argument, NULL, 'a' },
		{ "jobs", required_argument, NULL, 'j' },
		{ "format", required_argument, NULL, 'f' },
		{ "output", required_argument, NULL, 'o' },
		{ "emit", required_argument, NULL, 'e' },
		{ "privileged-programs", no_argument, NULL, 'X' },
		{ "observe", required_argument, NULL, 'B' },
		{ "expect", required_argument, NULL, 'E' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	const char *bad = NULL;
	char *end;
	int ch, ms;
	long v;

	optind = 1;
	opterr = 0;
	while ((ch = getopt_long(argc, argv, "j:f:o:h", opts, NULL)) != -1) {
		switch (ch) {
		case 's':
			sw->server = optarg;
			break;
		case 'c':
			sw->client = optarg;
			break;
		case 'p':
			v = strtol(optarg, &end, 10);
			if (end == optarg || *end || v < 1 || v > 49151)
				return *ret_exit = usage("--port takes a port from 1 to 49151, not '%s'", optarg), -1;
			sw->port = (int)v;
			break;
		case 'r':
			if (strcmp(optarg, "listen") == 0) {
				sw->ready_text = NULL;
			} else if (strcmp(optarg, "output") == 0 && optind < argc) {
				sw->ready_text = argv[optind++];
			} else {
				return *ret_exit = usage("--ready takes 'listen' or 'output TEXT', not '%s'", optarg), -1;
			}
			break;
		case 'd':
			if (scenario_duration(optarg, &ms) < 0 || ms < 1000 || ms > 600000 || ms % 1000)
				return *ret_exit = usage("--deadline takes whole seconds from 1s to 10m, not '%s'", optarg), -1;
			sw->deadline_ms = ms;
			break;
		case 'F':
			if ((v = names_mask(optarg, fault_name, NFAULTS, &bad)) < 0)
				return *ret_exit = usage("unknown fault '%s' (tcpfault sweep --help lists them)", bad), -1;
			sw->faults = (unsigned)v;
			break;
		case 'M':
			if ((v = names_mask(optarg, moment_name, NMOMENTS, &bad)) < 0)
				return *ret_exit = usage("unknown moment '%s' (before-connect, handshake, mid-transfer, idle)",
							 bad), -1;
			sw->moments = (unsigned)v;
			break;
		case 'a':
			sw->families = strcmp(optarg, "inet") == 0 ? FAMILY_INET : strcmp(optarg, "inet6") == 0 ? FAMILY_INET6 :
				       strcmp(optarg, "both") == 0 ? FAMILY_INET | FAMILY_INET6 : 0;
			if (!sw->families)
				return *ret_exit = usage("--family takes inet, inet6 or both, not '%s'", optarg), -1;
			break;
		case 'j':
			sw->njobs = strtol(optarg, &end, 10);
			if (*end || sw->njobs < 1 || sw->njobs > 64)
				return *ret_exit = usage("--jobs takes a number from 1 to 64, not '%s'", optarg), -1;
			break;
		case 'f':
			sw->format = !strcmp(optarg, "text") ? 0 : !strcmp(optarg, "json") ? 1 : !strcmp(optarg, "junit") ? 2 :
				     !strcmp(optarg, "html") ? 3 : -1;
			if (sw->format < 0)
				return *ret_exit = usage("unknown format '%s' (text, json, junit or html)", optarg), -1;
			break;
		case 'o':
			sw->output = optarg;
			break;
		case 'e':
			sw->emit = optarg;
			break;
		case 'X':
			sw->privileged = true;
			break;
		case 'B': {
			enum exec_observe m;
			if (scenario_observe_mode(optarg, &m) < 0)
				return *ret_exit = usage("--observe takes auto, shim, trace or none, not '%s'", optarg), -1;
			sw->observe = optarg;
			break;
		}
		case 'E':
			if (strcmp(optarg, "detected"))
				return *ret_exit = usage("--expect takes 'detected', not '%s'", optarg), -1;
			sw->expect_detected = true;
			break;
		case 'h':
			fputs(sweep_help, stdout);
			return *ret_exit = EXIT_PASS, -1;
		default:
			return *ret_exit = usage("unknown option '%s', or one that lacks its value", argv[optind - 1]), -1;
		}
	}
	if (optind < argc)
		return *ret_exit = usage("takes no arguments, only options ('%s')", argv[optind]), -1;
	if (!sw->port)
		return *ret_exit = usage("%s", "--port N is needed (the port the server listens on)"), -1;
	return 0;
}

int cmd_sweep(int argc, char **argv)
{
	struct sweep sw = { .deadline_ms = 10000, .faults = (1u << NFAULTS) - 1, .moments = (1u << NMOMENTS) - 1,
			    .families = FAMILY_INET, .njobs = 4 * sysconf(_SC_NPROCESSORS_ONLN) };
	struct run_options o = { .peer_path = peer_path() };
	struct report_file file = { .fd = -1, .dirfd = -1 };
	struct scenario *sc[NFAULTS * NMOMENTS] = { 0 };
	struct cell cells[2 * NFAULTS * NMOMENTS];
	struct job jobs[2 * NFAULTS * NMOMENTS];
	size_t ns = 0, nc = 0;
	int rc = EXIT_PASS;
	FILE *out = stdout;
	struct timespec t0, t1;

	if (sweep_options(argc, argv, &sw, &rc) < 0)
		return rc;
	if (sw.privileged)
		fputs("tcpfault: warning: --privileged-programs: your programs run unconfined, with tcpfault's own "
		      "privileges (as root: every capability, the host's files and namespaces)\n", stderr);
	sw.njobs = sw.njobs > 64 ? 64 : sw.njobs < 1 ? 1 : sw.njobs;
	if (!getcwd(sw.cwd, sizeof sw.cwd)) {
		fprintf(stderr, "tcpfault: sweep: the current directory: %s\n", strerror(errno));
		return EXIT_USAGE;
	}
	const char *tmp = getenv("TMPDIR");
	snprintf(sw.tmpdir, sizeof sw.tmpdir, "%s/tcpfault-sweep-XXXXXX", tmp && *tmp ? tmp : "/tmp");
	if (!mkdtemp(sw.tmpdir)) {
		fprintf(stderr, "tcpfault: sweep: a temporary folder in %s: %s\n", tmp && *tmp ? tmp : "/tmp", strerror(errno));
		return EXIT_USAGE;
	}
	struct stat est;
	if (sw.emit && ((mkdir(sw.emit, 0755) < 0 && errno != EEXIST) || stat(sw.emit, &est) < 0 ||
			(!S_ISDIR(est.st_mode) && (errno = ENOTDIR)))) {
		fprintf(stderr, "tcpfault: sweep: --emit %s: %s\n", sw.emit, strerror(errno));
		rc = EXIT_USAGE;
		goto out;
	}
	/* The cells: fault x moment as scenarios, each run in every family asked for. */
	memset(cells, 0, sizeof cells);
	for (size_t i = 0; i < NFAULTS; i++)
		for (int m = 0; m < NMOMENTS; m++) {
			const struct sweep_fault *f = &sweep_faults[i];
			if (!(sw.faults & (1u << i)) || !(sw.moments & (1u << m)) || !(f->moments & AT(m)))
				continue;
			char path[PATH_MAX + 64], *text = cell_text(&sw, f, (enum moment)m, AF_INET, NULL);
			snprintf(path, sizeof path, "%s/%s-%s.tcpf", sw.tmpdir, f->name, moment_names[m]);
			if (!text || write_file(path, text) < 0) {
				fprintf(stderr, "tcpfault: sweep: writing %s: %s\n", path, strerror(errno));
				free(text);
				rc = EXIT_USAGE;
				goto out;
			}
			free(text);
			if (load(path, false, true, &sc[ns]) < 0) {
				fprintf(stderr, "tcpfault: sweep: the cell %s at %s does not make a scenario (above); "
					"check --server and --client\n", f->name, moment_names[m]);
				rc = EXIT_USAGE;
				goto out;
			}
			/* Every family asked for, whatever the file says: the file names one. */
			sc[ns]->families = FAMILY_INET | FAMILY_INET6;
			for (int fam = 0; fam < 2; fam++)
				if (sw.families & (1u << fam)) {
					cells[nc] = (struct cell){ .f = f, .m = (enum moment)m, .family = fam ? AF_INET6 : AF_INET };
					jobs[nc] = (struct job){ .s = sc[ns], .family = cells[nc].family, .fd = -1, .run = 1 };
					nc++;
				}
			ns++;
		}
	if (nc == 0) {
		rc = usage("%s", "no cell: no fault selected acts at a moment selected");
		goto out;
	}
	struct sigaction sa = { .sa_handler = on_stop };
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	if (sw.output) {
		char err[PATH_MAX + 200];
		int fd = report_file_open(sw.output, &file, err, sizeof err);
		if (fd < 0 || !(out = fdopen(fd, "w"))) {
			fprintf(stderr, "tcpfault: writing %s\n", fd < 0 ? err : strerror(errno));
			if (fd >= 0)
				close(fd);
			out = NULL;
			rc = EXIT_USAGE;
			goto out;
		}
	}
	if (isolate() < 0) {
		rc = EXIT_MISSING;
		goto out;
	}
	netns_own_hashes(1024);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	o.privileged_programs = sw.privileged;
	o.until_exit = true;     /* a program gone before the fault: the cell's error at once */
	run_jobs(jobs, nc, (unsigned)sw.njobs, &o, -1, &stop_signal);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	double wall_ms = (double)(t1.tv_sec - t0.tv_sec) * 1000 + (double)(t1.tv_nsec - t0.tv_nsec) / 1e6;
	bool missing = false, bad = false;
	for (size_t i = 0; i < nc; i++) {
		classify(&sw, &cells[i], jobs[i].result);
		missing = missing || (jobs[i].result && jobs[i].result->missing[0]);
		bad = bad || cells[i].outcome == O_HUNG || cells[i].outcome == O_ERROR ||
		      (sw.expect_detected && cells[i].outcome != O_DETECTED);
	}
	if (sw.format == 1)
		sweep_json(out, &sw, cells, nc, wall_ms);
	else if (sw.format == 2)
		sweep_junit(out, &sw, cells, nc, wall_ms);
	else if (sw.format == 3)
		sweep_html(out, &sw, cells, nc, wall_ms);
	else
		sweep_text(out, &sw, cells, nc, wall_ms);
	size_t unemitted = 0;
	for (size_t i = 0; sw.emit && i < nc; i++) {
		const struct cell *c = &cells[i];
		char path[PATH_MAX + 64], *text;
		if (c->outcome == O_ERROR) {
			unemitted++;
			continue;
		}
		snprintf(path, sizeof path, "%s/%s-%s%s.tcpf", sw.emit, c->f->name, moment_names[c->m],
			 sw.families == (FAMILY_INET | FAMILY_INET6) ? c->family == AF_INET6 ? "-inet6" : "-inet" : "");
		if (!(text = cell_text(&sw, c->f, c->m, c->family, c)) || write_file(path, text) < 0) {
			fprintf(stderr, "tcpfault: sweep: --emit: writing %s: %s\n", path, strerror(errno));
			rc = EXIT_FAIL;
		}
		free(text);
	}
	if (unemitted)
		fprintf(stderr, "tcpfault: sweep: --emit: %zu cell%s not written: %s could not run (the report says why)\n",
			unemitted, unemitted == 1 ? "" : "s", unemitted == 1 ? "it" : "they");
	if (fflush(out) != 0 || ferror(out)) {
		fprintf(stderr, "tcpfault: sweep: writing the report: %s\n", strerror(errno ? errno : EIO));
		rc = EXIT_FAIL;
	} else if (rc == EXIT_PASS) {
		rc = bad ? EXIT_FAIL : missing ? EXIT_MISSING : EXIT_PASS;
	}
	if (out != stdout && fclose(out) == 0 && rc != EXIT_USAGE) {
		int e = report_file_commit(&file);
		if (e < 0) {
			fprintf(stderr, "tcpfault: sweep: writing %s: %s\n", sw.output, strerror(-e));
			rc = EXIT_FAIL;
		}
	}
	out = stdout;
out:
	if (out && out != stdout)
		fclose(out);
	report_file_abandon(&file);
	for (size_t i = 0; i < nc; i++) {
		result_free(jobs[i].result);
		free(cells[i].signal);
	}
	for (size_t i = 0; i < ns; i++)
		scenario_free(sc[i]);
	nftw(sw.tmpdir, rm_one, 8, FTW_DEPTH | FTW_PHYS);
	if (stop_signal)
		return 128 + stop_signal;
	return rc;
}
