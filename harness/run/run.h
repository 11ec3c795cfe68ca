/* SPDX-License-Identifier: MIT */
/*
 * The run: one scenario, one family, one sandbox, from the first step to the result.
 *
 *   runner.c   sequences the steps: acts, awaits, checks -> struct result
 *   program.c  real programs as peers ("HOST.NAME exec ..."): spawn, output, shim reports
 *   capture.c  libpcap on the wire; TCP segments and ICMP errors decoded
 *   loop.c     the run's one clock and its event loop (loop.h)
 *   internal.h what runner.c and program.c share (private)
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lang.h"
#include "report.h"

/* CLOCK_MONOTONIC, microseconds: the one clock of a run (and of the job scheduler). */
int64_t clock_us(void);

/* ---- capture.c ---- */

struct packet {
	double t_ms;
	int family;
	int from, to;                     /* host index, HOST_ROUTER, -1 if unknown */
	uint16_t sport, dport;
	char flags[24];                   /* tcpdump letters: "S", "S.", "P.", "F.", "R", "R." */
	uint32_t seq, ack;                /* relative to each direction's initial sequence number */
	uint32_t len;                     /* TCP payload bytes */
	uint32_t abs_seq, abs_ack;        /* seq and ack as on the wire (what 'inject rst' needs) */
	uint16_t win;                     /* the window field as sent (unscaled) */
	/* An ICMP or ICMPv6 error about a TCP segment: flags names it ("host-unreachable",
	 * "net-unreachable", "port-unreachable", "admin-prohibited", "frag-needed",
	 * "ttl-exceeded", else "icmp-TYPE-CODE"); sport, dport, seq and len are the quoted
	 * segment's (seq relative to its direction), ack 0. */
	bool icmp;
	/* t_ms is when the wire took it, not when it was sent: no copy of it at its sender
	 * (capture.c). It may be late by as long as a packet waits for the wire's softirq. */
	bool untimed;
};

/* Decodes one Ethernet frame holding IPv4/IPv6 TCP, or an ICMP/ICMPv6 error quoting a TCP
 * segment; 0 if decoded, -EINVAL if neither or malformed. Absolute seq/ack; from/to left -1. */
int capture_decode(const uint8_t *frame, size_t caplen, struct packet *ret);
/* Formats TCP flags as tcpdump does. */
void capture_flags(uint8_t tcpflags, char out[12]);

struct capture;
struct netns_sandbox;
/* Opens a capture on ifname ("any": every interface) of the namespace the calling thread is in
 * (the packet socket belongs to it for good), with a pcap filter (NULL: "tcp or icmp or
 * icmp6"); if pcap_path is set, every captured frame is also written there. ring: the kernel's
 * ring in bytes (0: CAPTURE_RING, enough for ordinary runs; see capture_ring_for()). */
#define CAPTURE_RING (2u << 20)
/* snaplen: the bytes kept of each frame (0: CAPTURE_SNAPLEN), CAPTURE_SNAPLEN_MIN to
 * CAPTURE_SNAPLEN_MAX; the ring grows with it (it holds frames of that size), to 256 MiB. */
#define CAPTURE_SNAPLEN 1600          /* a segment of the veths' MTU (1500), whole */
#define CAPTURE_RING_SNAPLEN 256       /* CAPTURE_RING holds its frames of this size (capture.c) */
#define CAPTURE_SNAPLEN_MIN 96            /* cooked header, IPv6 header, TCP header with options */
#define CAPTURE_SNAPLEN_MAX 262144        /* libpcap's own limit */
int capture_open(const char *ifname, const char *filter, const char *pcap_path, size_t ring, unsigned snaplen,
		 struct capture **ret, char *err, size_t errlen);
/* The capture a run uses: every host's link in the sandbox's wire namespace, each packet once
 * (as it enters the wire from its sender; and what the router sends). */
int capture_open_wire(struct netns_sandbox *sb, const char *pcap_path, size_t ring, unsigned snaplen,
		      struct capture **ret, char *err, size_t errlen);
/* The ring a scenario needs: CAPTURE_RING, and room for every packet of its SYN floods (each
 * SYN draws a SYN-ACK and maybe an RST: a burst faster than the capture reads), at most 256 MiB. */
size_t capture_ring_for(const struct scenario *s);
void capture_free(struct capture *c);
/* A job slot's capture, kept open between runs in a kept sandbox: capture_end_file() ends the
 * run's file (it takes its final name) and leaves the handle open; capture_restart() readies
 * it for the next run: what came meanwhile (the previous run's teardown, the sandbox's reset)
 * read and thrown away, no packets, flows or losses, the counters from zero, a new file at
 * pcap_path (NULL: none). 0 or -errno with err set; then the caller frees it. */
void capture_end_file(struct capture *c);
int capture_restart(struct capture *c, const char *pcap_path, char *err, size_t errlen);
int capture_fd(const struct capture *c);
/* Reads what is waiting; decoded packets are appended to the capture's list, timed in ms
 * from origin_us, the run's start on the run's clock (loop.h). Returns the count added. */
int capture_poll(struct capture *c, int64_t origin_us);
size_t capture_count(const struct capture *c);
const struct packet *capture_packet(const struct capture *c, size_t i);
/* Counters of the capture: received and dropped by the kernel. */
void capture_stats(struct capture *c, unsigned *ret_recv, unsigned *ret_drop);
/* Frames the capture read but could not keep (out of memory). */
unsigned capture_lost(const struct capture *c);
/* The wire capture's taps at the hosts (the packets' send times, capture.c): host's (again)
 * after its namespace was made anew, and closed before that (a tap holds its namespace).
 * 0 or -errno with err set. */
int capture_tap(struct capture *c, int host, char *err, size_t errlen);
void capture_untap(struct capture *c, int host);
/* Packets with no send time (untimed), and the longest a timed one took from its sender to the
 * wire's stamp since the capture (re)started, and which packet that was. */
unsigned capture_untimed(const struct capture *c);
double capture_lag_max_ms(const struct capture *c, size_t *ret_index);
/* What a capture's losses (drop of recv by the kernel, lost by us) mean for a run. A run whose
 * steps looked at packets (packets_checked: an awaited or forbidden packet) cannot be judged on
 * an incomplete capture: CAPTURE_LOSS_ERROR; one that did not keeps its verdict and gets a
 * note: CAPTURE_LOSS_NOTE. msg (len bytes, at least 160) gets the text in both cases. */
enum capture_loss { CAPTURE_COMPLETE, CAPTURE_LOSS_NOTE, CAPTURE_LOSS_ERROR };
enum capture_loss capture_judge_loss(unsigned recv, unsigned drop, unsigned lost, bool packets_checked,
				     char *msg, size_t len);

/* ---- runner.c ---- */

/* Where a run is, for a controller that must stop it from outside (memory it shares with the
 * worker): the step's line and when it started, in clock_us(). */
struct run_progress {
	volatile int phase;               /* RUN_SETUP, RUN_STEPS, RUN_TEARDOWN */
	volatile unsigned line;           /* the step running (RUN_STEPS) */
	volatile int64_t since_us;        /* when the phase or step began */
};
enum { RUN_SETUP = 1, RUN_STEPS, RUN_TEARDOWN };

struct run_options {
	struct run_progress *progress;    /* NULL: none kept */
	const char *peer_path;
	const char *pcap_dir;             /* NULL: no pcap files */
	int family;                       /* AF_INET or AF_INET6 */
	bool verbose;
	int timeout_ms;                   /* the run's time limit in place of the file's 'timeout'; 0: the file's */
	unsigned run, runs;               /* this run of runs (--repeat): the pcap file names it if runs > 1 */
	unsigned snaplen;                 /* --snaplen: bytes kept of each packet; 0: CAPTURE_SNAPLEN */
	bool privileged_programs;         /* --privileged-programs: exec'd programs not confined */
	enum exec_observe observe;        /* --observe: who observes the programs of the exec steps
					   * that name none ('observe MODE'); default auto */
	/* What a job slot keeps between its runs (NULL: every run makes its own and frees it). */
	struct run_keep *keep;
	bool until_exit;                  /* an await (of anything but an exit) ends in an error as soon
					   * as an exec'd program has ended (tcpfault sweep: no 30 s wait
					   * for a client that is gone) */
};
/* A job slot's sandbox and its capture, its hosts' peers, and its kernel tracer (any run takes
 * that, restarted, and leaves it). A run that can use the sandbox takes it and resets it
 * (netns_sandbox_reset()) first, and the capture with it where the ring and snaplen are the
 * same (else it opens its own), and each host's peer where that host was not made anew (else a
 * new one); a run that cannot frees them all. A run that may leave them for the next puts them
 * here, each peer reset (peer_reset(): no socket, no name; a peer that was signalled, or busy,
 * is killed instead): the caller must end every other process of the run before the next run
 * (run_keep_holds()). */
struct run_keep {
	struct netns_sandbox *sb;
	struct capture *cap;              /* on sb's wire, or NULL */
	size_t ring;                      /* the capture's ring and snaplen */
	unsigned snaplen;
	struct ktrace *kt;                /* the kernel tracer, whatever the sandbox; or NULL */
	struct peer *peers[SCENARIO_MAX_HOSTS];   /* each host's peer, reset; or NULL */
	uint64_t peer_ns[SCENARIO_MAX_HOSTS];     /* the namespace it runs in (its inode) */
	bool no_peers;                    /* TCPFAULT_REUSE_PEERS=0: every run starts its own */
};
/* Whether pid is one of the processes k keeps (a peer), which must live on to the next run. */
bool run_keep_holds(const struct run_keep *k, int pid);
/* Whether a run of s may use a kept sandbox (run_options.keep): the bridge topology, programs
 * confined (no capability over the namespaces, so everything they change is a process's or a
 * socket's, and dies or is destroyed). */
bool runner_reusable(const struct scenario *s, const struct run_options *o);

/* What every run of this process would otherwise find out alone, done once before the workers
 * fork (they inherit it): the kernel tracer's reading of the kernel's BTF. Optional. */
void runner_prepare(void);
/* In a worker, at its start: pid is its PID as the controller knows it. In the controller, once
 * a worker is reaped: what of it the kernel tracer's shared maps still hold goes (a killed
 * worker could not take it out). */
void runner_worker(pid_t pid);
void runner_worker_gone(pid_t pid);
/* Whether the runner has a function for this kind of step (every kind must: a unit test checks). */
bool runner_runs(enum step_kind kind);
/* Runs the scenario once; returns its result (verdict pass, fail, error or skipped), NULL only when
 * there is no memory for one. */
struct result *runner_run(const struct scenario *s, const struct run_options *o);
/* Adds the scenario's hosts to res, in its 'hosts' order, with the addresses its sandbox gives
 * them (both families, whatever the run's); 0 or -ENOMEM. The controller's error results have
 * them too. */
int run_result_hosts(struct result *res, const struct scenario *s);

/* One report of the shim (peers/shim.c): "CALL FD RET ERRNO T_US PID [ARGS]", or "dropped N". */
struct shim_report {
	char call[24];
	char args[96];                    /* a wait's revents, "POLLIN|POLLERR", or a connect's "port N"; "": none */
	int fd;
	long long ret;
	int err;                          /* 0: none */
	int64_t t_us;
	int pid;
	unsigned long dropped;            /* a "dropped N" line: N; the other fields unset */
};
int program_shim_parse(const char *msg, struct shim_report *ret);

/* ---- match.c: expected against observed (pure) ---- */

/* Whether an observed syscall result meets the expectation (one of its alternatives); without
 * one, success (ret >= 0) is expected. */
bool expect_matches(const struct expect_ret *want, long long ret, int err);
/* Which alternative it meets (0 without one), or -1. */
int expect_which(const struct expect_ret *want, long long ret, int err);
/* "0 | -1 ECONNRESET" (what the scenario wrote after '='; "success" without it). */
void expect_describe(const struct expect_ret *want, char *buf, size_t len);
/* Whether value meets "cmp number" (cmp: = >= <= > <). */
bool counter_matches(const char *cmp, long long value, long long number);
/* Whether a captured packet is the one a packet step names (from, to, flags or ICMP error, and
 * the qualifiers it gives: port at either end, payload length, relative seq and ack). */
bool packet_matches(const struct packet *p, const struct step *st);
/* An 'after' floor met: from its anchor on for its duration, run ms. */
struct floor {
	double from, to;
};
/* How long, in all, some floor was running (overlaps counted once): the run's timer floor.
 * Sorts floors. */
double floor_union(struct floor *floors, size_t n);
