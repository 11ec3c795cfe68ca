/* SPDX-License-Identifier: MIT */
/*
 * harness: the controller. This header ties its parts together; nothing outside harness/
 * includes it.
 *
 *   scenario.c  the scenario language: file -> struct scenario (steps), errors as FILE:LINE:COL
 *   statements.c  its statement table: each statement's keywords, parser, usage (and
 *                 statements-programs.c: the statements about real programs)
 *   capture.c   libpcap on the wire side of a host's link; TCP segments decoded
 *   runner.c    one scenario in one sandbox: acts, awaits, checks -> result (struct result)
 *   program.c   real programs as peers ("HOST.NAME exec ..."): spawn, output, shim reports
 *   command.c   an exec step's command line: split, placeholders replaced
 *   result.c    struct result (result.h) and its JSON contract
 *   report.c    results -> text, json, junit, tap
 *   ladder.c    the ladder diagram of one result (text under -v and explain, junit)
 *   main.c      the CLI: list, run, check; one worker process per scenario run
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/time.h>
#include <json-c/json.h>

#include "result.h"

/* Exit statuses of the CLI (DESIGN.md). */
enum {
	EXIT_PASS = 0,
	EXIT_FAIL = 1,
	EXIT_USAGE = 2,
	EXIT_MISSING = 3,
};

/* ---- scenario.c ---- */

#define SCENARIO_MAX_HOSTS 4
#define SCENARIO_MAX_ARGS 4
#define SCENARIO_MAX_CMDS 1024            /* peer commands in one run (runner.c sends them) */
#define SCENARIO_TEXT 1024

enum step_kind {
	STEP_OP,          /* HOST[.SOCK] OP ARGS... [&] [= RET [ERRNO]] */
	STEP_AWAIT_OP,    /* await HOST[.SOCK] OP [= RET [ERRNO]] */
	STEP_PACKET,      /* await packet FROM > TO FLAGS [port N] */
	STEP_NO_PACKET,   /* expect no packet FROM > TO FLAGS [port N] */
	STEP_STATE,       /* await state HOST STATE [port N] [count N] [recvq N] [sendq N] */
	STEP_KILL,        /* kill HOST [SIGNAL] */
	STEP_EXIT,        /* await exit HOST signal SIG | status N */
	STEP_BLACKHOLE,   /* blackhole HOST */
	STEP_UNBLACKHOLE, /* unblackhole HOST */
	STEP_REBOOT,      /* reboot HOST */
	STEP_SYSCTL,      /* sysctl HOST KEY VALUE */
	STEP_COUNTER,     /* expect|await counter HOST NAME OP VALUE */
	STEP_NFT,         /* nft HOST COMMAND...: an nftables command inside HOST's namespace */
	STEP_NO_STATE,    /* expect|await no state HOST STATE [port N]: no such socket */
	STEP_EXEC,        /* HOST[.PROG] exec [port N] COMMAND...: a real program (program.c) */
	STEP_LISTEN,      /* await listen HOST[.PROG] PORT: a LISTEN socket, the program still running */
	STEP_OUTPUT,      /* expect|await output HOST.PROG [contains] "TEXT" */
	STEP_CALL,        /* expect|await HOST.PROG CALL [= RET [ERRNO]]: the program's own syscall */
	STEP_UNREACHABLE, /* unreachable HOST host|net: the router answers what goes to HOST with ICMP */
	STEP_REACHABLE,   /* reachable HOST: lifts that */
	STEP_QUICKACK,    /* quickack HOST on|off: delayed ACKs off (on) or back (off) on HOST's routes */
	STEP_HOLD,        /* hold HOST: what HOST sends waits (netns_hold) */
	STEP_RELEASE,     /* release HOST: what waited leaves, in order */
};
#define STEP_NKINDS (STEP_RELEASE + 1)   /* keep it after the last kind: tests check each */

/* An expected syscall result. */
struct expect_ret {
	bool set;
	long long ret;
	int err;          /* 0: no errno expected */
};

/* The parts of a step only some kinds have: each kind reads its own (see enum step_kind). */
struct step_op {                          /* STEP_OP, STEP_AWAIT_OP */
	char name[24];                    /* "connect", "read", ... (scenario_op_name()) */
	char args[SCENARIO_MAX_ARGS][64];
	unsigned nargs;
};
struct step_packet {                      /* STEP_PACKET, STEP_NO_PACKET */
	int from, to;
	char flags[24];                   /* TCP flags, or with icmp an ICMP error's name */
	bool icmp;                        /* "icmp NAME" rather than TCP flags */
	int port;                         /* a port either end must have; 0: any */
};
struct step_state {                       /* STEP_STATE, STEP_NO_STATE */
	int state;
	int port;                         /* a port either end must have; 0: any */
	unsigned count;                   /* STEP_STATE: at least this many sockets (default 1) */
	long long recvq, sendq;           /* STEP_STATE: Recv-Q / Send-Q as ss shows them; -1: any */
	bool waits;                       /* STEP_NO_STATE: awaited rather than checked now */
};
struct step_kill { int sig; };            /* STEP_KILL */
struct step_exit {                        /* STEP_EXIT */
	bool by_signal;                   /* killed by sig, or exited with status */
	int sig;
	int status;
};
struct step_blackhole { bool netem; };    /* STEP_(UN)BLACKHOLE: netem loss rather than nftables */
struct step_unreachable { bool net; };    /* STEP_UNREACHABLE: net unreachable rather than host */
struct step_quickack { bool on; };        /* STEP_QUICKACK */
struct step_sysctl {                      /* STEP_SYSCTL */
	char key[96], value[64];
};
struct step_counter {                     /* STEP_COUNTER */
	char key[96];                     /* "TcpExt.ListenOverflows" */
	char cmp[3];                      /* "=", ">=", "<=", ">", "<" */
	long long number;
	bool waits;                       /* awaited rather than checked now */
};
struct step_nft { char text[SCENARIO_TEXT]; };   /* STEP_NFT: the nft(8) command */
struct step_exec {                        /* STEP_EXEC */
	int port;                         /* {port} */
	char command[SCENARIO_TEXT];
};
struct step_listen { int port; };         /* STEP_LISTEN */
struct step_output {                      /* STEP_OUTPUT */
	char text[SCENARIO_TEXT];
	bool waits;
};
struct step_call {                        /* STEP_CALL */
	char name[24];                    /* "recv", "so_error", ... */
	bool waits;
};

struct step {
	unsigned line;
	enum step_kind kind;
	int host;                         /* index into scenario.hosts, or HOST_ROUTER */
	/* NAME in HOST.NAME: an operation's socket ("-": an operation on no socket); the program
	 * of exec, listen, output, call, kill, exit ("": the built-in peer, or for listen any
	 * process). */
	char sock[32];
	bool async;                       /* an operation started with '&' */
	struct expect_ret want;           /* operations and calls: '= RET [ERRNO]' */
	int within_ms;                    /* bound of an await; 0: the scenario default */
	int after_ms;                     /* an await's event must not come sooner; 0: no floor */
	union {
		struct step_op op;
		struct step_packet packet;
		struct step_state state;
		struct step_kill kill;
		struct step_exit exit;
		struct step_blackhole blackhole;
		struct step_unreachable unreachable;
		struct step_quickack quickack;
		struct step_sysctl sysctl;
		struct step_counter counter;
		struct step_nft nft;
		struct step_exec exec;
		struct step_listen listen;
		struct step_output output;
		struct step_call call;
	};
};

/* One statement of the language (statements.c): the words that start it, the step it makes,
 * its usage and what it takes at the end of its line. */
enum {
	STMT_WITHIN = 1u << 0,            /* 'within DUR': it waits, that long at most */
	STMT_AFTER = 1u << 1,             /* 'after DUR': what it awaits must not come sooner */
	STMT_ASYNC = 1u << 2,             /* '&': started, awaited by a later 'await' line */
	STMT_RESULT = 1u << 3,            /* '= RET [ERRNO]' */
	STMT_RAW = 1u << 4,               /* takes the rest of its line as written */
};
enum statement_match {
	MATCH_WORDS,                      /* the keyword's words start the line */
	MATCH_PROGRAM,                    /* the keyword, then HOST.PROGRAM of an earlier exec */
	MATCH_HOST,                       /* HOST[.NAME] (a known host) first, then the keyword if any */
	MATCH_ANY,                        /* the keyword, then anything (the last resort after it) */
};
struct parser;
struct statement {
	const char *keyword;              /* "kill", "await no state", "exec" (after HOST[.NAME]) */
	enum statement_match match;
	enum step_kind kind;
	int (*parse)(struct parser *p, struct step *st);
	const char *synopsis;             /* the usage, as the manual writes it */
	unsigned flags;                   /* STMT_* */
};
/* The statement table, in the order lines are matched against it. */
const struct statement *scenario_statements(size_t *ret_n);
/* The header keywords ("mode", "summary", ...), NULL-terminated. */
const char *const *scenario_headers(void);
/* The i-th socket operation's name ("connect"); NULL past the last. */
const char *scenario_op_name(size_t i);
/* The i-th program call 'expect HOST.PROG CALL' knows ("recv"); NULL past the last. */
const char *scenario_call_name(size_t i);

struct scenario {
	char path[4096];
	char name[64];
	char mode[8];                     /* "B2" */
	char summary[256];
	char claim[SCENARIO_TEXT];        /* what the articles say */
	char linux_says[SCENARIO_TEXT];   /* what Linux was observed to do */
	char timers[SCENARIO_TEXT];       /* the compressed timers and what defaults would take */
	char hosts[SCENARIO_MAX_HOSTS][16];
	unsigned nhosts;
	unsigned families;                /* bit 0: inet, bit 1: inet6 */
	bool router;                      /* 'topology router': the wire routes; host "router" exists */
	int timeout_ms;                   /* whole-run bound */
	int await_ms;                     /* default bound of one await */
	int floor_ms;                     /* the waits it cannot avoid: the sum of its 'after' floors */
	struct step *steps;
	size_t nsteps;
};

#define FAMILY_INET  1u
#define FAMILY_INET6 2u

/* The router of a 'topology router' scenario where a step or packet names a host: its
 * namespace is netns's NETNS_WIRE. -1 stays "no host" (a packet from an unknown address). */
#define HOST_ROUTER (-2)

/* Parses a scenario from text. On error returns -EINVAL and writes "FILE:LINE:COL: reason"
 * into err. */
int scenario_parse(const char *path, const char *text, struct scenario **ret, char *err, size_t errlen);
/* Reads and parses a file (refuses files over 1 MiB and binary content). */
int scenario_load(const char *path, struct scenario **ret, char *err, size_t errlen);
void scenario_free(struct scenario *s);
int scenario_host(const struct scenario *s, const char *name);
/* Whether an observed syscall result meets the expectation; without one, success (ret >= 0)
 * is expected. */
bool expect_matches(const struct expect_ret *want, long long ret, int err);
/* Whether value meets "cmp number" (cmp: = >= <= > <). */
bool counter_matches(const char *cmp, long long value, long long number);
/* "5s", "250ms", "2m" (at most an hour) -> milliseconds; -EINVAL if malformed. */
int scenario_duration(const char *text, int *ret_ms);
/* "SIGKILL" or "KILL" -> SIGKILL; -EINVAL if unknown. */
int signal_from_name(const char *name);
const char *signal_name(int sig);

/* ---- capture.c ---- */

struct packet {
	double t_ms;
	int family;
	int from, to;                     /* host index, HOST_ROUTER, -1 if unknown */
	uint16_t sport, dport;
	char flags[24];                   /* tcpdump letters: "S", "S.", "P.", "F.", "R", "R." */
	uint32_t seq, ack;                /* relative to each direction's initial sequence number */
	uint32_t len;                     /* TCP payload bytes */
	/* An ICMP or ICMPv6 error about a TCP segment: flags names it ("host-unreachable",
	 * "net-unreachable", "port-unreachable", "admin-prohibited", "frag-needed",
	 * "ttl-exceeded", else "icmp-TYPE-CODE"); sport, dport, seq and len are the quoted
	 * segment's (seq relative to its direction), ack 0. */
	bool icmp;
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
 * icmp6"); if pcap_path is set, every captured frame is also written there. */
int capture_open(const char *ifname, const char *filter, const char *pcap_path, struct capture **ret,
		 char *err, size_t errlen);
/* The capture a run uses: every host's link in the sandbox's wire namespace, each packet once
 * (as it enters the wire from its sender; and what the router sends). */
int capture_open_wire(struct netns_sandbox *sb, const char *pcap_path, struct capture **ret, char *err,
		      size_t errlen);
void capture_free(struct capture *c);
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
/* What a capture's losses (drop of recv by the kernel, lost by us) mean for a run. A run whose
 * steps looked at packets (packets_checked: an awaited or forbidden packet) cannot be judged on
 * an incomplete capture: CAPTURE_LOSS_ERROR; one that did not keeps its verdict and gets a
 * note: CAPTURE_LOSS_NOTE. msg (len bytes, at least 160) gets the text in both cases. */
enum capture_loss { CAPTURE_COMPLETE, CAPTURE_LOSS_NOTE, CAPTURE_LOSS_ERROR };
enum capture_loss capture_judge_loss(unsigned recv, unsigned drop, unsigned lost, bool packets_checked,
				     char *msg, size_t len);

/* ---- runner.c ---- */

struct run_options {
	const char *peer_path;
	const char *pcap_dir;             /* NULL: no pcap files */
	int family;                       /* AF_INET or AF_INET6 */
	bool verbose;
	int timeout_ms;                   /* the run's time limit in place of the file's 'timeout'; 0: the file's */
	unsigned run, runs;               /* this run of runs (--repeat): the pcap file names it if runs > 1 */
};

/* Runs the scenario once; returns its result (verdict pass, fail or error), NULL only when
 * there is no memory for one. */
struct result *runner_run(const struct scenario *s, const struct run_options *o);

/* What program.c needs of a run in progress (struct run stays private to runner.c). */
struct run;
const struct scenario *run_scenario(const struct run *r);
struct programs *run_programs(struct run *r);
struct netns_sandbox *run_sandbox(struct run *r);
struct netns_sock;
/* The host's TCP sockets (NETNS_MAX_SOCKS at most, else -E2BIG), in a buffer of the run's. */
int run_sockets(struct run *r, int host, const struct netns_sock **ret);
int run_family(const struct run *r);
/* Awaits cond with a bound, as every step does (never past the run's deadline); -ETIMEDOUT. */
/* When the step's awaited event happened (CLOCK_MONOTONIC), where it is known exactly: a
 * program's death or call. Its 'after' floor counts to it. */
void run_event_at(struct run *r, int64_t mono_us);
int run_await(struct run *r, bool (*cond)(struct run *, const void *), const void *arg, int bound_ms, int poll_ms);
int run_bound(const struct run *r, const struct step *st);
/* Records msg as a failure (error: the harness's own) of the current step; returns -1. */
int run_fail(struct run *r, bool error, const char *msg);
void run_event(struct run *r, int host, const char *what);

/* ---- program.c: real programs as peers ("HOST.PROG exec COMMAND") ---- */

#define PROGRAMS_MAX 16
#define PROGRAMS_MAX_FDS (4 * PROGRAMS_MAX)

struct programs;
struct pollfd;
/* The programs of one run: what they do goes into res (syscalls, exits, programs, notes,
 * missing); times count from origin_mono_us. The shim is found beside peer_path (or at
 * $TCPFAULT_SHIM). */
int programs_new(struct result *res, int64_t origin_us, const char *peer_path, struct programs **ret);
/* Kills every program (SIGKILL to its process group), reaps it, adds each one's output to the
 * result; accepts NULL. */
void programs_free(struct programs *ps);
/* The fds to poll for the programs' output, reports and deaths; returns how many were stored. */
unsigned programs_pollfds(const struct programs *ps, struct pollfd *fds, unsigned max);
/* Takes in whatever is waiting (never blocks): output, shim reports, deaths. */
void programs_take(struct programs *ps);
/* Runs a step on a program: STEP_EXEC, STEP_LISTEN, STEP_OUTPUT, STEP_CALL, and STEP_KILL or
 * STEP_EXIT with a program name in st->sock. */
int program_step(struct run *r, const struct step *st);
/* A host's power goes: every program on it is killed with SIGKILL and reaped (bounded). */
int programs_host_down(struct run *r, int host);
/* Checks a command line at parse time (quotes, placeholders); -EINVAL with err[] and the
 * 0-based offset of the fault in *ret_at. */
int program_check_command(const struct scenario *s, const char *cmd, char *err, size_t len, size_t *ret_at);
/* command.c: splits cmd into at most max - 1 words (argv NULL-terminated, words stored in buf)
 * with placeholders replaced for family and port; the word count, or -EINVAL with err[] and the
 * offset of the fault in *ret_at. */
int command_split(const char *cmd, const struct scenario *s, int family, int port, char **argv, size_t max,
		  char *buf, size_t cap, char *err, size_t errlen, size_t *ret_at);

/* One report of the shim (peers/shim.c): "CALL FD RET ERRNO T_US PID", or "dropped N". */
struct shim_report {
	char call[24];
	int fd;
	long long ret;
	int err;                          /* 0: none */
	int64_t t_us;
	int pid;
	unsigned long dropped;            /* a "dropped N" line: N; the other fields unset */
};
int program_shim_parse(const char *msg, struct shim_report *ret);

/* ---- report.c ---- */

enum report_format { REPORT_TEXT, REPORT_JSON, REPORT_JUNIT, REPORT_TAP };

struct report_options {
	bool verbose;                     /* text: the ladder diagram under each result */
	bool explain;                     /* text: the ladder, then the claim, what Linux did, timers */
	bool color;                       /* text: ANSI colours (see report_color_wanted) */
	unsigned repeat;                  /* runs of each scenario; > 1: text ends with what varied */
};

/* "text", "json", "junit", "tap" -> enum report_format; -1 if unknown. */
int report_format_from_name(const char *name);
/* Whether colours suit out: a terminal, and NO_COLOR unset or empty. */
bool report_color_wanted(FILE *out);
/* ANSI colours of the text report and the ladder. */
#define REPORT_RED "\033[31m"
#define REPORT_GREEN "\033[32m"
#define REPORT_YELLOW "\033[33m"
#define REPORT_BOLD "\033[1m"
#define REPORT_RESET "\033[0m"

/* Writes all n results, in order; o may be NULL (plain text). */
void report_write(FILE *out, enum report_format f, struct result *const *results, size_t n,
		  const struct report_options *o);
/* ladder.c: the ladder diagram of r, each line starting with indent. */
void report_ladder(FILE *out, const struct result *r, const char *indent, bool color);
