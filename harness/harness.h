/* SPDX-License-Identifier: MIT */
/*
 * harness: the controller. This header ties its parts together; nothing outside harness/
 * includes it.
 *
 *   scenario.c  the scenario language: file -> struct scenario (steps), errors as FILE:LINE:COL
 *   capture.c   libpcap on the wire side of a host's link; TCP segments decoded
 *   runner.c    one scenario in one sandbox: acts, awaits, checks -> result (a json object)
 *   report.c    results -> text (with the ladder diagram), json, junit, tap
 *   main.c      the CLI: list, run, check; one worker process per scenario run
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/time.h>
#include <json-c/json.h>

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
};

/* An expected syscall result. */
struct expect_ret {
	bool set;
	long long ret;
	int err;          /* 0: no errno expected */
};

struct step {
	unsigned line;
	enum step_kind kind;
	int host;                         /* index into scenario.hosts */
	char sock[32];
	char op[24];
	char args[SCENARIO_MAX_ARGS][64];
	unsigned nargs;
	bool async;
	struct expect_ret want;
	int within_ms;                    /* bound of an await; 0: the scenario default */
	int after_ms;                     /* an await's event must not come sooner; 0: no floor */
	int from, to;                     /* packet steps */
	char flags[12];
	int sig;                          /* kill, exit */
	bool by_signal;                   /* exit: signal (true) or status */
	int status;
	int state;                        /* state step */
	int port;                         /* packet, state: a port either end must have; 0: any */
	unsigned count;                   /* state: at least this many sockets (default 1) */
	long long recvq, sendq;           /* state: Recv-Q / Send-Q as ss shows them; -1: any */
	bool waits;                       /* counter: await it rather than expect it now */
	char key[96], value[64];          /* sysctl, counter name */
	char text[256];                   /* nft command */
	char cmp[3];                      /* counter: "=", ">=", "<=", ">", "<" */
	long long number;
};

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
	int timeout_ms;                   /* whole-run bound */
	int await_ms;                     /* default bound of one await */
	int floor_ms;                     /* the waits it cannot avoid: the sum of its 'after' floors */
	struct step *steps;
	size_t nsteps;
};

#define FAMILY_INET  1u
#define FAMILY_INET6 2u

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
/* "SIGKILL" or "KILL" -> SIGKILL; -EINVAL if unknown. */
int signal_from_name(const char *name);
const char *signal_name(int sig);

/* ---- capture.c ---- */

struct packet {
	double t_ms;
	int family;
	int from, to;                     /* host index, -1 if unknown */
	uint16_t sport, dport;
	char flags[12];                   /* tcpdump letters: "S", "S.", "P.", "F.", "R", "R." */
	uint32_t seq, ack;                /* relative to each direction's initial sequence number */
	uint32_t len;                     /* TCP payload bytes */
};

/* Decodes one Ethernet frame holding IPv4/IPv6 TCP; 0 if decoded, -EINVAL if not TCP or
 * malformed. Absolute seq/ack; from/to left -1. */
int capture_decode(const uint8_t *frame, size_t caplen, struct packet *ret);
/* Formats TCP flags as tcpdump does. */
void capture_flags(uint8_t tcpflags, char out[12]);

struct capture;
/* Opens a capture on ifname of the namespace the calling thread is in (the packet socket
 * belongs to it for good); if pcap_path is set, every captured frame is also written there. */
int capture_open(const char *ifname, const char *pcap_path, struct capture **ret, char *err, size_t errlen);
void capture_free(struct capture *c);
int capture_fd(const struct capture *c);
/* Reads what is waiting; decoded packets are appended to the capture's list. Returns the count
 * added. origin_us: CLOCK_REALTIME microseconds of the run's start. */
int capture_poll(struct capture *c, int64_t origin_us);
size_t capture_count(const struct capture *c);
const struct packet *capture_packet(const struct capture *c, size_t i);
/* Counters of the capture: received and dropped by the kernel. */
void capture_stats(struct capture *c, unsigned *ret_recv, unsigned *ret_drop);

/* ---- runner.c ---- */

struct run_options {
	const char *peer_path;
	const char *pcap_dir;             /* NULL: no pcap files */
	int family;                       /* AF_INET or AF_INET6 */
	bool verbose;
};

/* Runs the scenario once; always returns a result object (verdict pass, fail or error). */
json_object *runner_run(const struct scenario *s, const struct run_options *o);

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
/* Writes all results (a json array of result objects); o may be NULL (plain text). */
void report_write(FILE *out, enum report_format f, json_object *results, const struct report_options *o);
