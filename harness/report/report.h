/* SPDX-License-Identifier: MIT */
/*
 * The reports: the result of one run, typed (result.c), and what reads it: text with the
 * ladder diagram (report.c, ladder.c), json, junit, tap; html with SVG ladders (html.c),
 * Mermaid sequence diagrams and the GitHub step summary in Markdown (mermaid.c).
 *
 * The result of one run, typed. The runner and the program code fill it through the add
 * functions below; the worker sends it to the controller as JSON and the controller reads it
 * back; the reports read its fields. result_to_json / result_from_json are the one place where
 * JSON field names live: that pair is the JSON contract (DESIGN.md).
 *
 * Invariants: every string field is non-NULL (claim, linux_says, timers and missing are "" when
 * absent, and the JSON then omits them); every time is in ms since the run's start, a double
 * rounded down to the microsecond when added; no array holds more than RESULT_MAX_ITEMS.
 */
#pragma once

#include <stdbool.h>
#include <stdio.h>
#include <stddef.h>
#include <json-c/json.h>

/* Past this many entries an array takes no more (-E2BIG): a flood of packets cannot exhaust
 * the worker's memory, nor a result the controller reads. */
#define RESULT_MAX_ITEMS (1u << 22)

/* pass, fail (the kernel or the program did not do what the scenario says), error (the harness
 * could not do its job), skipped (this machine lacks what the run needs: 'missing' says what;
 * exit status 3, never a pass). */
enum result_verdict { RESULT_PASS, RESULT_FAIL, RESULT_ERROR, RESULT_SKIPPED };
#define RESULT_VERDICTS (RESULT_SKIPPED + 1)

/* A socket call: a peer's operation, or an exec'd program's call the shim reported. */
struct result_syscall {
	char *peer, *socket, *call;
	char *args;                     /* what the call was given where it says more than its name
					   ("linger 1 0" of setsockopt); "": none (no "args") */
	long long ret;
	int err;                        /* 0: none (JSON null); else its name, as peer_errno_name() */
	double t_ms;
	int pid;                        /* a program's call: its process; 0: a peer's (no "pid") */
};

/* A captured TCP segment, or an ICMP error about one (icmp; flags then names the error). */
struct result_packet {
	double t_ms;
	char *from, *to;
	int sport, dport;
	bool icmp;                      /* JSON "kind": "icmp" or "tcp" */
	char *flags;
	long long seq, ack, len;
	char *reason;                   /* an RST: why the kernel sent it (its sk_rst_reason name, as
					 * "NO_SOCKET"); "": not known (the JSON omits it) */
	char *retransmit;               /* a segment sent again, or a probe: its kind (RESULT_RTX_*);
					 * "": not one, or not known (the JSON omits it) */
};

/* The kinds of retransmission (a packet's retransmit, a retransmits entry's kind): after a
 * retransmission timeout, a tail loss probe, a fast retransmission (in recovery), a SYN or
 * SYN-ACK sent again, and the probes that resend the byte before snd_una: keepalive (the peer's
 * window open) and zero-window probe (its window shut). The tracer tells the first five; the
 * capture alone tells SYN, SYN-ACK and the probes. */
#define RESULT_RTX_RTO "RTO"
#define RESULT_RTX_TLP "TLP"
#define RESULT_RTX_FAST "fast"
#define RESULT_RTX_SYN "SYN"
#define RESULT_RTX_SYNACK "SYN-ACK"
#define RESULT_RTX_KEEPALIVE "keepalive"
#define RESULT_RTX_ZWP "zero-window-probe"
/* A kind in words for people ("RTO retransmission", "keepalive probe"); kind itself if unknown. */
const char *result_retransmit_words(const char *kind);

/* What the kernel tracer saw (every TCP socket state change, retransmission and dropped packet
 * in the run's namespaces); only where it ran (result.traced). */
struct result_transition {
	double t_ms;
	char *host;
	int sport, dport;               /* the socket's local and remote ports */
	char *from, *to;                /* "FIN-WAIT-1", as netns_state_name() */
};
struct result_retransmit {
	double t_ms;
	char *host;
	int sport, dport;
	char *state;                    /* the socket's TCP state */
	char *ca_state;                 /* its congestion state, the kernel's name ("loss": after an
					 * RTO, "recovery": a fast retransmit); "": unknown */
	char *kind;                     /* RESULT_RTX_*; "": not told (the JSON omits it) */
};
struct result_drop {
	double t_ms;
	char *host;
	char *reason;                   /* the kernel's skb_drop_reason name ("NO_SOCKET") */
};

/* A socket state an await saw. */
struct result_state {
	double t_ms;
	char *host, *state;
	int local_port, remote_port;
	long long recv_q, send_q;
};

struct result_counter {
	char *host, *name;
	long long value;
};

struct result_event {
	double t_ms;
	char *host, *event;
};

/* A peer's or a program's death. */
struct result_exit {
	char *peer;
	double t_ms;
	char *signal;                   /* "SIGKILL" as signal_name() says; "": it exited with status */
	int status;
	bool at_kill;                   /* t_ms is when a 'kill' sent the signal that killed it; false:
					 * when tcpfault reaped it, after its death by up to some ms */
};

/* One of the scenario's hosts and its addresses, as the sandbox gives them (netns.h): every host
 * has both families' in every run; the run's family says which its connections use. */
struct result_host {
	char *name;
	char *inet, *inet6;             /* "198.18.0.1", "2001:2::1"; "": unknown (the JSON omits it) */
};

/* A program an 'exec' step ran. */
struct result_program {
	char *name;                     /* "client.curl" */
	char **argv;                    /* nargv words */
	size_t nargv;
	int pid;
	bool syscalls_observed;         /* every call of its could be seen (the shim in each process) */
	char *observer;                 /* how: "shim" (LD_PRELOAD), "trace" (ptrace), "none" */
	char *unobserved_reason;        /* why some or all were not; "": none (no "unobserved_reason") */
	char *out[2];                   /* stdout, stderr: what was kept of them */
	long long lost[2];              /* bytes not kept; 0: none (no "stdout_lost_bytes") */
	long long syscalls_dropped;     /* 0: none (no "syscalls_dropped") */
};

#define RESULT_ARRAY(type) struct { type *v; size_t n, cap; }

struct result {
	char *name, *mode, *family, *file, *summary;
	char *claim, *linux_says, *timers;          /* JSON "claim", "linux", "timers" */
	RESULT_ARRAY(struct result_syscall) syscalls;
	RESULT_ARRAY(struct result_packet) packets;
	RESULT_ARRAY(struct result_state) states;
	RESULT_ARRAY(struct result_counter) counters;
	RESULT_ARRAY(struct result_event) events;
	RESULT_ARRAY(struct result_exit) exits;
	RESULT_ARRAY(char *) failures;
	RESULT_ARRAY(char *) notes;
	char *missing;                  /* a capability this machine lacks (verdict skipped, exit status 3) */
	char *kernel;                   /* the kernel the run ran on, uname's release; "": unknown (no "kernel") */
	RESULT_ARRAY(struct result_program) programs;
	enum result_verdict verdict;
	double duration_ms, floor_ms;
	unsigned run;                   /* --repeat: which run, from 1; 0: not repeated (no "run") */
	/* The scenario's hosts in its 'hosts' order, with their addresses (result_add_host); JSON
	 * "hosts", absent when there are none. The graphic reports' columns go in this order. */
	RESULT_ARRAY(struct result_host) hosts;
	/* The kernel tracer's: present in the JSON only when it ran (traced). */
	bool traced;
	RESULT_ARRAY(struct result_transition) transitions;
	RESULT_ARRAY(struct result_retransmit) retransmits;
	RESULT_ARRAY(struct result_drop) drops;
	/* Where it did not run: the TCP counters (Tcp., TcpExt.) of each host's namespace that
	 * changed between the run's start and its end, value the change (result_add_counter_delta);
	 * JSON "counter_deltas", present only then (counted). */
	bool counted;
	RESULT_ARRAY(struct result_counter) counter_deltas;
	/* What the controller knows of a run whose worker gave no result: the JSON holds only name,
	 * mode, family, summary, hosts, verdict, duration_ms and failures (and run). */
	bool partial;
};

/* A result with its description; claim, linux_says and timers may be NULL or "" (none). */
int result_new(const char *name, const char *mode, const char *family, const char *file, const char *summary,
	       struct result **ret);
int result_describe(struct result *r, const char *claim, const char *linux_says, const char *timers);
void result_free(struct result *r);

/* The add functions copy what they are given; -ENOMEM, or -E2BIG past RESULT_MAX_ITEMS (the
 * result is then left as it was). err: an errno value, 0 for none. pid: 0 for a peer. */
/* The last syscall added was given args (setsockopt's option and value, a signal's name). */
int result_syscall_args(struct result *r, const char *args);
int result_add_syscall(struct result *r, const char *peer, const char *socket, const char *call, long long ret,
		       int err, double t_ms, int pid);
int result_add_packet(struct result *r, double t_ms, const char *from, const char *to, int sport, int dport,
		      bool icmp, const char *flags, long long seq, long long ack, long long len);
int result_add_state(struct result *r, double t_ms, const char *host, const char *state, int local_port,
		     int remote_port, long long recv_q, long long send_q);
int result_add_counter(struct result *r, const char *host, const char *name, long long value);
/* Adds delta to host's counter name among the counter deltas (a new entry if it has none). */
int result_add_counter_delta(struct result *r, const char *host, const char *name, long long delta);
/* The kernel tracer's records (they set traced); a reset's reason goes on its packet. */
int result_add_transition(struct result *r, double t_ms, const char *host, int sport, int dport, const char *from,
			  const char *to);
int result_add_retransmit(struct result *r, double t_ms, const char *host, int sport, int dport, const char *state,
			  const char *ca_state, const char *kind);
int result_add_drop(struct result *r, double t_ms, const char *host, const char *reason);
int result_packet_reason(struct result *r, size_t i, const char *reason);
/* Packet i is a retransmission or probe of that kind (RESULT_RTX_*). */
int result_packet_retransmit(struct result *r, size_t i, const char *kind);
int result_add_event(struct result *r, double t_ms, const char *host, const char *event);
/* signal: its name if the process died of one, else NULL (it exited with status). */
int result_add_exit(struct result *r, const char *peer, double t_ms, const char *signal, int status, bool at_kill);
/* argv: NULL-terminated. observer: "shim" or "none"; unobserved: why not every call could be seen
 * (NULL or "": none). out, err: what was kept of stdout and stderr; lost_*: bytes not kept. */
int result_add_program(struct result *r, const char *name, char *const *argv, int pid, bool syscalls_observed,
		       const char *observer, const char *unobserved, const char *out, long long lost_out, const char *err, long long lost_err,
		       long long syscalls_dropped);
int result_failure(struct result *r, const char *msg);
/* One of the scenario's hosts, in its 'hosts' order, with its addresses (NULL or "": unknown). */
int result_add_host(struct result *r, const char *name, const char *inet, const char *inet6);
/* Host i's address in the run's family (r->family); "" if unknown. */
const char *result_host_addr(const struct result *r, size_t i);
int result_note(struct result *r, const char *text);
/* A capability this machine lacks: the run's verdict is then skipped (exit status 3), neither a
 * pass nor a fail. */
int result_missing(struct result *r, const char *what);
/* The kernel release the run ran on (uname -r): expectations may differ by kernel. */
int result_set_kernel(struct result *r, const char *release);
/* The verdict and the run's figures, at its end. */
void result_finish(struct result *r, enum result_verdict verdict, double duration_ms, double floor_ms);

/* The JSON contract: field names and order as DESIGN.md and tcpfault(1) give them. */
int result_to_json(const struct result *r, json_object **ret);
/* Reads a result; -EINVAL if j is not one (not an object, a field of the wrong type, no name
 * or verdict, an unknown verdict, errno name or packet kind, an oversized array). Absent fields
 * take their empty value. A result without "file" is read as partial. */
int result_from_json(json_object *j, struct result **ret);
/* A copy (through the JSON contract, so it copies everything the contract carries). */
int result_dup(const struct result *r, struct result **ret);
/* Calls fn on every string the result holds, fn may replace *s (free the old, keep non-NULL). */
void result_each_string(struct result *r, void (*fn)(char **s, void *arg), void *arg);
const char *result_verdict_name(enum result_verdict v);

/* ---- report.c ---- */

enum report_format { REPORT_TEXT, REPORT_JSON, REPORT_JUNIT, REPORT_TAP, REPORT_HTML, REPORT_MERMAID };

struct report_options {
	bool verbose;                     /* text: the ladder diagram under each result */
	bool explain;                     /* text: the ladder, then the claim, what Linux did, timers */
	bool color;                       /* text: ANSI colours (see report_color_wanted) */
	unsigned repeat;                  /* runs of each scenario; > 1: text ends with what varied */
	const char *pcap_dir;             /* html: --pcap-dir, to link each run's capture; NULL: none */
};

/* s as XML 1.0 text (attr: an attribute's value), markup escaped, invalid UTF-8 and the
 * characters XML forbids replaced by U+FFFD: for reports of other commands (sweep's JUnit and
 * HTML) too. */
void report_put_xml(FILE *out, const char *s, bool attr);

/* "text", "json", "junit", "tap", "html", "mermaid" -> enum report_format; -1 if unknown. */
int report_format_from_name(const char *name);
/* Whether colours suit out: a terminal, and NO_COLOR unset or empty. */
bool report_color_wanted(FILE *out);
/* ANSI colours of the text report and the ladder. */
#define REPORT_RED "\033[31m"
#define REPORT_GREEN "\033[32m"
#define REPORT_YELLOW "\033[33m"
#define REPORT_BOLD "\033[1m"
#define REPORT_RESET "\033[0m"

/* The results a report reads, one at a time: get(arg, i) lends result i (NULL: it could not
 * be had; the report leaves it out), put(arg, r) takes it back. A report holds one result at a
 * time (and a few numbers per run), so --repeat 1000 needs little memory when get reads each
 * from a file (the CLI's spool) and put frees it. */
struct report_results {
	size_t n;
	struct result *(*get)(void *arg, size_t i);
	void (*put)(void *arg, struct result *r);
	void *arg;
};
/* A run that never ran (the controller was interrupted): an error result, partial, whose first
 * failure starts with this prefix. JUnit counts it as skipped, TAP as '# SKIP'. */
#define REPORT_NOT_RUN "not run"
bool report_not_run(const struct result *r);

/* Writes all n results, in order; o may be NULL (plain text). */
void report_write(FILE *out, enum report_format f, struct result *const *results, size_t n,
		  const struct report_options *o);
/* The same, reading the results one at a time. */
void report_write_from(FILE *out, enum report_format f, const struct report_results *rs,
		       const struct report_options *o);
/* The results of an array, for the functions that take a struct report_results. */
struct report_results report_results_of(struct result *const *results, size_t n);
/* ladder.c: the ladder diagram of r, each line starting with indent. */
void report_ladder(FILE *out, const struct result *r, const char *indent, bool color);

/* html.c: one self-contained HTML page (inline CSS and SVG, no script, nothing fetched). */
void report_html(FILE *out, const struct report_results *rs, const struct report_options *o);
/* mermaid.c: a Mermaid sequence diagram of each result, in Markdown code fences. */
void report_mermaid(FILE *out, const struct report_results *rs, const struct report_options *o);
/* mermaid.c: when GITHUB_STEP_SUMMARY names a file, appends a Markdown summary of the results
 * to it (a table of runs and verdicts, then the failures). 0, or -errno. */
int report_step_summary(struct result *const *results, size_t n, const struct report_options *o);
int report_step_summary_from(const struct report_results *rs, const struct report_options *o);

/* outfile.c: a file tcpfault writes (-o, a capture), made as a temporary file beside path with
 * O_EXCL|O_NOFOLLOW and renamed over path by report_file_commit when complete; a path that is
 * a symbolic link (or not a regular file) is refused (-ELOOP). fd: the caller's to close (after
 * commit or abandon, or before). open returns the fd, or -errno with err set. */
struct report_file {
	int fd, dirfd;
	char *tmp, *name;
};
int report_file_open(const char *path, struct report_file *f, char *err, size_t errlen);
/* Renames the temporary file over the final name; -errno (the temporary file then removed). */
int report_file_commit(struct report_file *f);
/* Removes the temporary file (a failed or interrupted run): the old file stays. */
void report_file_abandon(struct report_file *f);
