/* SPDX-License-Identifier: MIT */
/*
 * The inside of a run, shared by its files; nothing outside harness/run/ includes it.
 *
 *   runner.c          the run's life: sandbox, capture, actors, the steps in order (through
 *                     the step table, runners[] there), the verdict, teardown
 *   services.c        what every step uses: the clock in ms, failures, events, bounded awaits,
 *                     'after' floors, sockets, the actors (the steps depend on it alone)
 *   steps-ops.c       socket operations on the built-in peers (and the peer actor)
 *   steps-observe.c   what the wire, the sockets and the counters show
 *   steps-programs.c  exec and what a real program does (its output, its own calls)
 *   faults.c          the faults (the fault table) and the ends of processes (kill, exit)
 *   program.c         real programs: start, watch, signal (the program actor)
 *   tracer.c          the tracer of a program the shim cannot see into (tracer.h; program.c's)
 *
 * Two kinds of actor act on a host: its built-in peer and the programs it runs. Both are a
 * struct actor with the same operations (signal, whether and how it ended), so a fault or an
 * 'await exit' drives either alike. Steps run one at a time in the run's worker process; a
 * step's function returns 0, or -1 once it has recorded a failure (run_failf), an error
 * (run_errorf) or what this machine lacks (run_missingf).
 */
#pragma once

#include <stdio.h>
#include <sys/types.h>

#include "loop.h"
#include "peer.h"
#include "run.h"

struct netns_sock;
struct peer;
struct peer_report;

/* scenario.c refuses a file whose steps could need more than SCENARIO_MAX_CMDS; the rest is
 * room for the harness's own liveness probes (peer_answers()). */
#define RUN_MAX_CMDS (SCENARIO_MAX_CMDS + 64)
#define RUN_CMD_CHUNK 256         /* commands are allocated this many at a time (run_cmd()) */
#define RUN_MAX_MARKS SCENARIO_MAX_MARKS
#define RUN_MAX_FLOORS 256        /* past this, floors met are not counted: never too many */
#define RUN_MAX_SOCKS (SCENARIO_MAX_HOSTS * PEER_MAX_SOCKS)
#define RUN_MARKS 9                /* runner.c: the parts of a run TCPFAULT_TIMINGS prints */
#define RUN_STATE_POLL_MS 2       /* socket states and counters raise no event: read them again */

/* ---- actors ---- */

struct actor;
/* A socket call an actor made, as seen: a peer reports each of its syscalls; a program's are
 * what its observer saw. */
struct actor_call {
	char call[32];
	char socket[32];                  /* a peer's socket name; a program's "fdN" */
	int fd, err, pid;                 /* err: 0 none; pid: a program's process, 0 for a peer */
	long long ret;
	int64_t t_us;
};
struct actor_ops {
	/* Sends sig to its process (a program: its process only, as a crash would); -errno. */
	int (*signal)(struct actor *a, int sig);
	/* Whether it has ended (what is waiting is taken in first); if so its wait status and
	 * when it was seen to end, on the run's clock. */
	bool (*ended)(struct actor *a, int *ret_status, int64_t *ret_when_us);
	/* What it last said, for a message ("; its stderr ends: ..."), or "". */
	void (*last_words)(const struct actor *a, char *buf, size_t len);
	/* The calls it made so far, as seen, in order; *ret_n of them. */
	const struct actor_call *(*calls)(struct actor *a, size_t *ret_n);
	/* Why not every call it made can be seen (a static binary in its exec chain, io_uring), or
	 * NULL: an expectation on its calls is then tcpfault's blind spot, an error. */
	const char *(*unobserved)(struct actor *a);
	/* How many reports of its calls were lost on the way (0 for a peer): an expectation that a
	 * call is absent, or comes after another, cannot be judged then (steps-programs.c). */
	unsigned long (*dropped)(struct actor *a);
	/* A pidfd of its process (its own: not to be closed), or -1. */
	int (*pidfd)(const struct actor *a);
};

struct actor {
	const struct actor_ops *ops;
	int host;
	char name[32];                    /* "": the host's built-in peer; else the program's */
	char full[64];                    /* "server", or "server.web": as the result names it */
	bool doomed;                      /* sent a signal, or crashed: it may be dying */
	int sent_sig;                     /* the last signal a 'kill' sent it, and when (clock_us) */
	int64_t sent_us;
	size_t call_cursor;               /* its calls before it were matched by earlier awaits */
	bool end_awaited;                 /* an 'await exit' of it matched */
};

/* The built-in peer of a host (steps-ops.c). */
struct peer_actor {
	struct actor a;
	struct peer *p;                   /* NULL before it starts and after a reboot took it */
	bool dead;
	bool signalled;                   /* a step sent it a signal: not kept for the next run */
	int status;                       /* its wait status once dead */
	int64_t death_us;
	struct actor_call *calls;         /* its syscalls as it reported them */
	size_t ncalls, cap;
};

/* ---- the run ---- */

/* A command sent to a peer: an operation, or a probe. */
struct cmd {
	int host, id;
	char sock[32], op[24];
	char args[64];                    /* what its syscall's result shows beside the call ("" none) */
	bool done, awaited, has_result;
	long long ret;
	int err;
	int64_t t_us;                     /* when the last syscall returned (run clock) */
	int64_t sent_us;                  /* when the command was sent */
	unsigned line;                    /* the step that sent it */
	char error[512];                  /* the peer's 'E' text */
};

struct run {
	const struct scenario *s;
	const struct run_options *o;
	struct netns_sandbox *sb;
	bool reusable;                    /* runner_reusable(): sb goes to o->keep at the end */
	bool sb_reused;                   /* sb is the slot's, reset */
	struct capture *cap;
	size_t ring;                      /* the capture's ring and snaplen */
	unsigned snaplen;
	struct ktrace *kt;                /* the kernel tracer (ktrace.h); NULL where it could not run */
	char kt_why[256];                 /* why not, where it could not */
	char *mib[SCENARIO_MAX_HOSTS];    /* without it: each host's TCP counters at its start */
	size_t kt_cursor[SCENARIO_MAX_HOSTS];   /* per host: its records before it were matched by
						  * earlier awaits of that host */
	struct programs *progs;           /* real programs run by 'exec' (program.c) */
	struct peer_actor peers[SCENARIO_MAX_HOSTS];
	struct {
		int host;
		char name[32];
	} socks[RUN_MAX_SOCKS];           /* the sockets the peers hold, by name */
	unsigned nsocks;
	/* The commands sent, in chunks allocated as needed: a command's address never changes, and
	 * a run of a few commands does not clear RUN_MAX_CMDS of them (12 MB). run_cmd(r, i). */
	struct cmd *cmd_chunks[(RUN_MAX_CMDS + RUN_CMD_CHUNK - 1) / RUN_CMD_CHUNK];
	unsigned ncmds;
	size_t pkt_cursor, pkt_reported;
	/* When the last fault took effect (run ms; -1e300 before any) and its line: packet awaits look
	 * only at packets since (run_packet_fresh()). */
	double fault_ms;
	unsigned fault_line;
	int64_t origin_us;                /* the run's start (loop.h clock) */
	struct loop loop;                 /* its deadline: the run's time limit */
	const struct step *step;
	int64_t step_start_us;            /* when the current step began */
	struct floor floors[RUN_MAX_FLOORS];  /* the 'after' floors met, run ms */
	unsigned nfloors;
	/* For the benchmark (TCPFAULT_TIMINGS' waited): where the run waited on the kernel's
	 * timers (each 'after' floor from its anchor to the event that met it: the floor and how
	 * late the kernel's timer came) or on the scenario's own stretches ('wait', 'await quiet',
	 * 'expect no packet ... within'), run ms. */
	struct floor waits[RUN_MAX_FLOORS];
	unsigned nwaits;
	/* The packets named by 'await packet ... as NAME' (name: the step's), wire time, run ms. */
	struct { const char *name; unsigned line; double ms; bool untimed; } marks[RUN_MAX_MARKS];
	unsigned nmarks;
	double lag_max_ms;                /* capture_lag_max_ms() at the run's end, for the timings line */
	char lag_pkt[80];                 /* the packet it was, as the timings line names it */
	struct netns_sock *sockbuf;       /* run_sockets(): NETNS_MAX_SOCKS, allocated once */
	/* When the current step's awaited event happened (run ms): event_ms where it is known
	 * (a death, a program's call), cond_ms when an await's condition was seen to hold; -1
	 * while unknown. The 'after' floor of a state, counter, exit or program await uses it. */
	double event_ms, cond_ms;
	int64_t parts[RUN_MARKS];         /* when each part of setup and teardown ended (runner.c) */
	bool failed, errored;
	bool missed;                      /* ended for what this machine lacks (errored is set too) */
	bool steps_done;                  /* past the last step (teardown, final checks) */
	bool pkts_checked;                /* a step looked for a packet: the verdict needs every one */
	struct result *res;
};

/* Command i (< r->ncmds). */
static inline struct cmd *run_cmd(const struct run *r, unsigned i)
{
	return &r->cmd_chunks[i / RUN_CMD_CHUNK][i % RUN_CMD_CHUNK];
}

/* services.c: what every step uses */
double run_ms(const struct run *r, int64_t t_us);     /* run ms of a time on the run's clock */
double run_now_ms(const struct run *r);
const char *run_hostname(const struct run *r, int host);
/* The netns host index of a step's host: the router is the wire namespace. */
int run_ns_host(int host);
/* A failed expectation: the kernel or the program did not do what the scenario says. */
int run_failf(struct run *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* The harness could not do its job. */
int run_errorf(struct run *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* This machine lacks what the step needs (lacks: what, recorded as the result's 'missing'; NULL:
 * the program code recorded it already): the run ends, skipped (exit status 3), unless it
 * failed before. */
int run_missingf(struct run *r, const char *lacks, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
void run_event(struct run *r, int host, const char *what);
/* Adds the packets the capture has decoded since the last call to the result. */
void run_record_packets(struct run *r);
/* Watches host's namespace with the kernel tracer (at setup, and after a reboot); 0 or -1 with
 * the error recorded. Nothing without a tracer. */
int run_ktrace_watch(struct run *r, int host);
/* At the run's end: what the kernel tracer saw goes into the result (each reset's reason on its
 * packet), then the tracer goes. */
void run_record_ktrace(struct run *r);
/* Without the tracer, the fallback: counts host's TCP counters from now (run_counters_start),
 * and records what changed in them into the result's counter deltas (run_counters_take: at
 * the end, and before a reboot destroys the host's namespace). */
void run_counters_start(struct run *r, int host);
void run_counters_take(struct run *r, int host);
/* Awaits cond(r, arg) for at most bound_ms, and never past the run's deadline (an error); 0,
 * or -ETIMEDOUT. A condition no fd announces is read again every poll_ms. */
int run_await(struct run *r, bool (*cond)(struct run *, const void *), const void *arg, int bound_ms, int poll_ms);
/* The bound of an await: its 'within', or the file's default. */
int run_bound(const struct run *r, const struct step *st);
/* An awaited event before the step's 'after' floor is a failure; a floor met is counted. The
 * floor counts from anchor_ms, or with 'from NAME' from the packet so named. */
/* untimed: RUN_ANCHOR_UNTIMED, RUN_EVENT_UNTIMED where the anchor or the event is a packet
 * with no send time (struct packet's untimed). */
enum { RUN_ANCHOR_UNTIMED = 1, RUN_EVENT_UNTIMED = 2 };
int run_too_soon(struct run *r, const struct step *st, double anchor_ms, double event_ms, unsigned untimed);
/* The run waited on the kernel or the scenario's own time from from_ms to to_ms (r->waits). */
void run_waited(struct run *r, double from_ms, double to_ms);
/* Where a floor counts from: the packet the previous packet await matched, or the step's start
 * (an 'after DUR from NAME' counts from the named packet instead: run_too_soon() sees to it). */
double run_floor_anchor(const struct run *r);
/* RUN_ANCHOR_UNTIMED if that anchor is a packet with no send time, else 0. */
unsigned run_floor_anchor_untimed(const struct run *r);
/* The host's TCP sockets (NETNS_MAX_SOCKS at most, else -E2BIG), in a buffer of the run's. */
int run_sockets(struct run *r, int host, const struct netns_sock **ret);
int run_sockets_error(struct run *r, int host, int err);
/* The actor a step names: the host's peer (name ""), or its latest program of that name. */
struct actor *run_actor(struct run *r, int host, const char *name);
/* Notes which alternative of want a result met (nothing when want has one). */
void run_alternative(struct run *r, const char *who, const char *what, const struct expect_ret *want,
		     long long ret, int err);
/* A fault took effect at at_ms: 'await packet' and 'expect no packet' look at the packets
 * captured since (or since the last packet awaited, whichever is later). Every fault calls it:
 * those whose consequences may leave while they are being applied (kill, crash, hold, release,
 * reboot) with the time they began, the others with the time they returned. */
void run_fault_mark(struct run *r, double at_ms);
bool run_packet_fresh(const struct run *r, size_t i);

/* The steps (each: 0, or -1 once a failure or an error is recorded). */
int step_op(struct run *r, const struct step *st);
int step_await_op(struct run *r, const struct step *st);
int step_packet(struct run *r, const struct step *st);
int step_no_packet(struct run *r, const struct step *st);
int step_quiet(struct run *r, const struct step *st);
int step_state(struct run *r, const struct step *st);
int step_no_state(struct run *r, const struct step *st);
int step_counter(struct run *r, const struct step *st);
int step_exec(struct run *r, const struct step *st);
int step_listen(struct run *r, const struct step *st);
int step_output(struct run *r, const struct step *st);
int step_call(struct run *r, const struct step *st);
int step_kill(struct run *r, const struct step *st);
int step_exit(struct run *r, const struct step *st);
int step_fault(struct run *r, const struct step *st);
int step_reboot(struct run *r, const struct step *st);
int step_running(struct run *r, const struct step *st);
int step_no_output(struct run *r, const struct step *st);
int step_no_call(struct run *r, const struct step *st);
int step_wait(struct run *r, const struct step *st);
int step_stop(struct run *r, const struct step *st);      /* stop and cont */
int step_inject(struct run *r, const struct step *st);
int step_transition(struct run *r, const struct step *st);
int step_reset(struct run *r, const struct step *st);

/* steps-ops.c: the built-in peers */
/* Host's peer: kept (the job slot's, reset), or else a new one; 0, or -1 with the error recorded. */
int peers_start(struct run *r, int host, struct peer *kept);
int peers_await_start(struct run *r, unsigned mask);
void peers_free(struct run *r, int host);
unsigned peers_fds(void *run, struct pollfd *fds, unsigned max);
void peers_take(void *run, const struct pollfd *fds, unsigned n);
/* The run's last checks: an operation started with '&' and never awaited is an error. */
void peers_check_awaited(struct run *r);

/* ---- confine.c: programs without privilege over the host ---- */

struct confine {
	bool on;                          /* false: --privileged-programs */
	bool switch_ids;                  /* root: become uid/gid (mapped in our user namespace) */
	bool root_outside;                /* root of a user namespace mapping only 0, the parent's 0 */
	bool weak;                        /* that user cannot enter / (a chroot's mode-700 root): the
					     program stays root, with no capability at all */
	uid_t uid;                        /* the user the program is outside its user namespace */
	gid_t gid;
	char uid_map[32], gid_map[32];    /* "0 UID 1": made ready before the fork */
	bool settled;                     /* confine_settle() has run */
};
/* Who a program will be: the user behind sudo (SUDO_UID), else nobody; none with privileged. */
void confine_prepare(struct confine *c, bool privileged);
/* What confine_prepare() leaves to the first program (a fork, some ms, that a run without
 * programs need not pay): whether that user can enter / at all (else weak). */
void confine_settle(struct confine *c);
/* In the forked child (async-signal-safe): drops every privilege over the host; 0, or -1 with
 * errno. */
int confine_child(const struct confine *c);
/* Whether the confined program could reach path (faccessat mode: R_OK, X_OK...). */
bool confine_reaches(const struct confine *c, const char *path, int mode);

/* ---- program.c: real programs ("HOST.PROG exec COMMAND") ---- */

#define PROGRAMS_MAX 16

struct programs;
struct program;
/* The programs of one run: what they do goes into res (syscalls, exits, programs, notes,
 * missing); times count from origin_us. The shim is found beside peer_path (or at
 * $TCPFAULT_SHIM). They are confined (confine.c) unless privileged (--privileged-programs). */
int programs_new(struct result *res, int64_t origin_us, const char *peer_path, bool privileged, struct programs **ret);
/* Kills every program (SIGKILL to its process group), reaps it, adds each one's output to the
 * result; accepts NULL. */
void programs_free(struct programs *ps);
/* Loop sources: the programs' output, reports and deaths. */
unsigned programs_fds(void *ps, struct pollfd *fds, unsigned max);
void programs_take(void *ps, const struct pollfd *fds, unsigned n);
/* The latest program of that name on host (a restarted one replaces a dead one), or NULL. */
struct program *programs_find(struct programs *ps, int host, const char *name);
struct actor *program_actor(struct program *p);
/* Starts argv as HOST.NAME in the namespace netns_fd (-1: ours). A program this machine lacks
 * is also recorded as 'missing'. -errno, with msg saying what failed. */
int programs_start(struct programs *ps, int host, const char *full, const char *name, int netns_fd,
		   char **argv, enum exec_stdin in_mode, const char *in_path, struct program **ret, char *msg, size_t len);
/* Who sees the calls of the programs started from now on: an exec step's 'observe' (auto: the
 * tracer for a static or Go binary, the shim for the rest). */
void programs_observe(struct programs *ps, enum exec_observe mode);
/* Whether its calls can be seen (the shim was loaded into it, or the tracer traces it). */
bool program_observed(const struct program *p);
/* Whether stdout or stderr holds text (in its first or its last 64 KiB). */
bool program_output_has(const struct program *p, const char *text);
/* A program that has ended (the first started), or NULL. */
struct program *programs_ended(struct programs *ps);
/* Whether it has ended and all it sent has been read: nothing more can come. */
bool program_finished(const struct program *p);
/* "client.p is still running", "... was killed by SIGKILL", "... exited with status 3". */
const char *program_state(const struct program *p, char *buf, size_t len);
/* A host's power goes: every program on it gets SIGKILL (the whole process group); whether
 * any was running. programs_host_dead() says when all are dead. */
bool programs_host_down(struct programs *ps, int host);
/* For a failure's message: the programs that ended with an error (status not 0, or a signal) that
 * no step sent nor awaited, but the one named host.name, each on a line of its own ("\n
 * meanwhile: client.p exited with status 1 at 12.0 ms; its stderr ends: ..."); "" if none. */
void programs_unasked_ends(struct programs *ps, int host, const char *name, double origin_ms, char *buf, size_t len);
bool programs_host_dead(struct programs *ps, int host);
