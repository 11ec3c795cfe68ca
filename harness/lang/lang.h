/* SPDX-License-Identifier: MIT */
/*
 * The scenario language: a file -> struct scenario (its steps), errors as FILE:LINE:COL. No
 * runtime: nothing here runs a step, and nothing here includes the run or the reports.
 *
 *   scenario.c             the file: lines, headers, steps in order, whole-file checks
 *   statements.c           the statement table: each statement's keywords, parser, usage
 *   statements-programs.c  the statements about real programs (exec, listen, output, calls)
 *   command.c              an exec step's command line: split, placeholders replaced
 *   parser.h               what those files share (private)
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* ---- scenario.c ---- */

#define SCENARIO_MAX_HOSTS 4
#define SCENARIO_MAX_ARGS 4
#define SCENARIO_MAX_STEPS 16384          /* steps in one file */
#define SCENARIO_MAX_CMDS 16384           /* peer commands in one run (runner.c sends them) */
#define SCENARIO_MAX_MARKS 64     /* packets a file names with 'as' */
#define SCENARIO_TEXT 1024
#define SCENARIO_MAX_REQUIRES 8

enum step_kind {
	STEP_OP,          /* HOST[.SOCK] OP ARGS... [&] [= RET [ERRNO]] */
	STEP_AWAIT_OP,    /* await HOST[.SOCK] OP [= RET [ERRNO]] */
	STEP_PACKET,      /* await packet FROM > TO FLAGS [QUALIFIERS] [count N] */
	STEP_NO_PACKET,   /* expect no packet FROM > TO FLAGS [QUALIFIERS] */
	STEP_STATE,       /* await state HOST STATE [port N] [count N] [recvq N] [sendq N] */
	STEP_KILL,        /* kill HOST [SIGNAL] */
	STEP_EXIT,        /* await exit HOST signal SIG[|SIG...] | status N[|N...] */
	STEP_BLACKHOLE,   /* blackhole HOST */
	STEP_UNBLACKHOLE, /* unblackhole HOST */
	STEP_REBOOT,      /* reboot HOST */
	STEP_SYSCTL,      /* sysctl HOST KEY VALUE */
	STEP_COUNTER,     /* expect|await counter HOST NAME OP VALUE */
	STEP_NFT,         /* nft HOST COMMAND...: an nftables command inside HOST's namespace */
	STEP_NO_STATE,    /* expect|await no state HOST STATE [port N]: no such socket */
	STEP_EXEC,        /* HOST[.PROG] exec [port N] [observe MODE] COMMAND...: a real program (program.c) */
	STEP_LISTEN,      /* await listen HOST[.PROG] PORT: a LISTEN socket, the program still running */
	STEP_OUTPUT,      /* expect|await output HOST.PROG [contains] "TEXT" */
	STEP_CALL,        /* expect|await HOST.PROG CALL [= RET [ERRNO]]: the program's own syscall */
	STEP_UNREACHABLE, /* unreachable HOST host|net: the router answers what goes to HOST with ICMP */
	STEP_REACHABLE,   /* reachable HOST: lifts that */
	STEP_QUICKACK,    /* quickack HOST on|off: delayed ACKs off (on) or back (off) on HOST's routes */
	STEP_HOLD,        /* hold HOST: what HOST sends waits (netns_hold) */
	STEP_RELEASE,     /* release HOST: what waited leaves, in order */
	STEP_RTO_MIN,     /* rto-min HOST DUR|off: the minimum retransmission timeout of HOST's routes */
	STEP_RUNNING,     /* expect running HOST.PROG: it has not exited (a hang, checked now) */
	STEP_NO_OUTPUT,   /* expect no output HOST.PROG contains "TEXT": not so far */
	STEP_NO_CALL,     /* expect no HOST[.PROG] CALL [= RET [ERRNO] | ...]: no such result so far */
	STEP_WAIT,        /* wait DUR: the scenario lets DUR pass */
	/* The middlebox on the router (statements-middlebox.c; netns/middlebox.c) and host settings */
	STEP_IDLE_TIMEOUT,   /* idle-timeout router DUR drop|reset|off: conntrack forgets idle flows */
	STEP_MTU,            /* mtu HOST BYTES [silent]: the router's link toward HOST */
	STEP_PORT_RANGE,     /* port-range HOST LOW HIGH: HOST's ephemeral ports */
	STEP_SNAT,           /* snat HOST LOW HIGH|off: the router rewrites HOST's connections */
	STEP_CONNTRACK_MAX,  /* conntrack-max router N|off: the router tracks at most N connections */
	STEP_PARTITION,   /* partition A B [oneway]: what A sends B (and B A) is lost (statements-paths.c) */
	STEP_HEAL,        /* heal A B: lifts partitions and drops between A and B */
	STEP_DROP,        /* drop FROM > TO FLAGS [first N]: such packets are lost */
	STEP_STOP,        /* stop HOST[.PROGRAM]: SIGSTOP */
	STEP_CONT,        /* cont HOST[.PROGRAM]: SIGCONT */
	STEP_INJECT,      /* inject rst FROM > TO [exact|in-window|out-of-window] [port N] */
	STEP_QUIET,       /* await quiet DUR [port N]: DUR without a packet on the wire (of port N) */
	/* What the kernel tracer saw (run/ktrace.c) */
	STEP_TRANSITION,     /* await transition HOST FROM > TO [port N]: a socket changed state */
	STEP_RESET,          /* expect reset HOST reason NAME: HOST's kernel sent an RST for that reason */
};
#define STEP_NKINDS (STEP_RESET + 1)   /* keep it after the last kind: tests check each */

/* An expected syscall result: one of at most EXPECT_MAX_ALTS alternatives ('= 0 | -1 ECONNRESET',
 * '= >0 | -1 EAGAIN'). */
#define EXPECT_MAX_ALTS 4
struct expect_ret {
	bool set;
	unsigned n;                       /* alternatives in alt[] (1 without '|') */
	struct {
		long long ret;
		int err;                  /* 0: no errno expected */
		bool some;                /* '>0': any return above 0 (ret is 1) */
	} alt[EXPECT_MAX_ALTS];
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
	/* Qualifiers, as the ladder prints them (seq and ack relative), where given (has_*). */
	uint32_t len, seq, ack;
	bool has_len, has_seq, has_ack;
	bool len_some;                    /* 'len >0': some payload */
	unsigned count;                   /* STEP_PACKET: this many such packets (0 or 1: one) */
};
struct step_state {                       /* STEP_STATE, STEP_NO_STATE */
	int state;
	int port;                         /* a port either end must have; 0: any */
	unsigned count;                   /* STEP_STATE: at least this many sockets (default 1) */
	long long recvq, sendq;           /* STEP_STATE: Recv-Q / Send-Q as ss shows them; -1: any */
	bool waits;                       /* STEP_NO_STATE: awaited rather than checked now */
};
struct step_kill { int sig; };            /* STEP_KILL */
#define EXIT_MAX_ALTS 4
struct step_exit {                        /* STEP_EXIT */
	bool by_signal;                   /* killed by one of sigs, or exited with one of statuses */
	unsigned n;                       /* alternatives ('status 28|56'): at least 1 */
	int sig[EXIT_MAX_ALTS];
	int status[EXIT_MAX_ALTS];
};
struct step_blackhole { bool netem; };    /* STEP_(UN)BLACKHOLE: netem loss rather than nftables */
struct step_unreachable { bool net; };    /* STEP_UNREACHABLE: net unreachable rather than host */
struct step_quickack { bool on; };        /* STEP_QUICKACK */
struct step_rto_min { int ms; };          /* STEP_RTO_MIN: 0, off (the kernel's own) */
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
enum exec_stdin { EXEC_STDIN_NULL, EXEC_STDIN_OPEN, EXEC_STDIN_FILE };
/* Who sees an exec'd program's own socket calls: 'observe MODE' (program.c, tracer.c). */
enum exec_observe { OBSERVE_AUTO, OBSERVE_SHIM, OBSERVE_TRACE, OBSERVE_NONE };
struct step_exec {                        /* STEP_EXEC */
	int port;                         /* {port} */
	enum exec_stdin stdin_mode;       /* /dev/null (default), a pipe kept open, or a file */
	char stdin_path[256];             /* EXEC_STDIN_FILE */
	enum exec_observe observe;
	bool observe_named;               /* 'observe MODE' written (else --observe may choose) */
	unsigned command_col;             /* where the command starts on its line */
	char command[SCENARIO_TEXT];
};
struct step_listen { int port; };         /* STEP_LISTEN */
struct step_output {                      /* STEP_OUTPUT, STEP_NO_OUTPUT */
	char text[SCENARIO_TEXT];         /* as written: placeholders are replaced per run (scenario_output_text) */
	int port;                         /* {port}: the port of the last exec before it; 0: none */
	bool waits;
};
struct step_call {                        /* STEP_CALL, STEP_NO_CALL */
	char name[24];                    /* "recv", "so_error", ... (STEP_NO_CALL on a peer: an operation) */
	bool waits;
};
struct step_wait { int ms; };             /* STEP_WAIT */
struct step_quiet {                       /* STEP_QUIET */
	int ms;                           /* the stretch without a packet */
	int port;                         /* a port either end of the packets counted has; 0: any */
};
struct step_transition {                  /* STEP_TRANSITION */
	int from, to;                     /* TCP states (netns_state_from_name) */
	int port;                         /* the socket's local or remote port; 0: any */
};
struct step_reset { char reason[48]; };   /* STEP_RESET: the kernel's name, checked at run time */
/* STEP_IDLE_TIMEOUT, STEP_MTU, STEP_PORT_RANGE, STEP_SNAT, STEP_CONNTRACK_MAX */
enum middlebox_mode { MIDDLEBOX_OFF, MIDDLEBOX_DROP, MIDDLEBOX_RESET };
struct step_middlebox {
	enum middlebox_mode mode;         /* idle-timeout: what a forgotten flow's packets meet */
	int seconds;                      /* idle-timeout */
	unsigned low, high;               /* port-range, snat (0, 0: snat off); mtu: low is the MTU */
	bool silent;                      /* mtu: the router's ICMP too big / packet too big dropped */
	unsigned max;                     /* conntrack-max (0: off) */
};
/* STEP_PARTITION, STEP_HEAL, STEP_DROP, STEP_INJECT: a path between two hosts (step.host is
 * the receiving one, TO). */
enum inject_where { INJECT_EXACT, INJECT_IN_WINDOW, INJECT_OUT_OF_WINDOW };
struct step_path {
	int from;
	bool oneway;                      /* partition: FROM to TO only */
	char flags[24];                   /* drop: TCP flags in tcpdump letters ("S", "S.") */
	unsigned first;                   /* drop: only the first N such packets; 0: all */
	enum inject_where where;          /* inject */
	int port;                         /* inject: a port of the connection; 0: the last seen */
};

/* A step that applies only on some kernels: 'if sysctl KEY: STEP' runs it where the kernel has
 * the sysctl KEY, 'unless sysctl KEY: STEP' where it has not. The run decides (a feature test,
 * not a version: backports exist). */
enum step_when { WHEN_ALWAYS, WHEN_SYSCTL, WHEN_NO_SYSCTL };
struct step_cond {
	enum step_when when;
	char sysctl[96];                  /* "net.ipv4.tcp_syn_linear_timeouts" */
};

struct step {
	unsigned line;
	struct step_cond cond;            /* WHEN_ALWAYS but for a line under 'if'/'unless' */
	enum step_kind kind;
	int host;                         /* index into scenario.hosts, or HOST_ROUTER */
	/* NAME in HOST.NAME: an operation's socket ("-": an operation on no socket); the program
	 * of exec, listen, output, call, kill, exit ("": the built-in peer, or for listen any
	 * process). */
	char sock[32];
	bool async;                       /* an operation started with '&' */
	struct expect_ret want;           /* operations and calls: '= RET [ERRNO] [| RET [ERRNO]]...' */
	unsigned col, within_col;         /* where the line's statement and its 'within' start (whole-file checks) */
	int within_ms;                    /* bound of an await; 0: the scenario default */
	int after_ms;                     /* an await's event must not come sooner; 0: no floor */
	/* 'after DUR from NAME': the floor counts from the packet an earlier 'await packet ... as
	 * NAME' matched ("": from where runner.c says); 'as NAME' on an await packet names it. */
	char after_from[24], mark[24];
	unsigned from_col;                /* where 'from' is, for whole-file checks */
	union {
		struct step_op op;
		struct step_packet packet;
		struct step_state state;
		struct step_kill kill;
		struct step_exit exit;
		struct step_blackhole blackhole;
		struct step_unreachable unreachable;
		struct step_quickack quickack;
		struct step_rto_min rto_min;
		struct step_sysctl sysctl;
		struct step_counter counter;
		struct step_nft nft;
		struct step_exec exec;
		struct step_listen listen;
		struct step_output output;
		struct step_call call;
		struct step_wait wait;
		struct step_quiet quiet;
		struct step_middlebox middlebox;
		struct step_path path;
		struct step_transition transition;
		struct step_reset reset;
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
/* The words that make a step kernel-dependent ("if", "unless": 'if sysctl KEY: STEP'),
 * NULL-terminated. */
const char *const *scenario_conditions(void);
/* The i-th socket operation's name ("connect"); NULL past the last. */
const char *scenario_op_name(size_t i);
/* The i-th program call 'expect HOST.PROG CALL' knows ("recv"): the names the shim reports;
 * NULL past the last. */
const char *scenario_call_name(size_t i);
/* The name the shim reports for a call written name: itself, or for the kernel's name of the
 * same call ("recvfrom", "sendto", "accept4") the C library's ("recv", "send", "accept");
 * NULL if tcpfault never reports it. */
const char *scenario_call_reported(const char *name);

struct scenario {
	char path[4096];
	char dir[4096];                   /* {dir}: the file's folder, absolute where it can be made so */
	char name[64];
	char mode[8];                     /* "B2"; "": none (a user's scenario; the catalog needs one) */
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
	char requires[SCENARIO_MAX_REQUIRES][96];   /* 'requires sysctl KEY': the run needs them (else missing) */
	unsigned nrequires;
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
/* What a scenario of the built-in catalog must have beyond any file (a 'mode' line): 0, or
 * -EINVAL with "FILE:LINE:COL: reason" in err. The CLI asks it of every file it loads from the
 * catalog folder. */
int scenario_check_catalog(const struct scenario *s, char *err, size_t errlen);
int scenario_host(const struct scenario *s, const char *name);
/* Host's address for AF_INET or AF_INET6 in the scenario's topology, as the sandbox will give
 * it (netns_topology_addr); NULL for a bad host or family. */
const char *scenario_host_addr(const struct scenario *s, int host, int family, char buf[64]);
/* "auto", "shim", "trace", "none" -> *ret; -EINVAL if another word. */
int scenario_observe_mode(const char *text, enum exec_observe *ret);
/* "5s", "250ms", "2m" (at most an hour) -> milliseconds; -EINVAL if malformed. */
int scenario_duration(const char *text, int *ret_ms);
/* "SIGKILL" or "KILL" -> SIGKILL; -EINVAL if unknown. */
int signal_from_name(const char *name);
const char *signal_name(int sig);

/* ---- command.c: an exec step's command line ---- */

/* Checks a command line at parse time (quotes, placeholders); -EINVAL with err[] and the
 * 0-based offset of the fault in *ret_at. */
int program_check_command(const struct scenario *s, const char *cmd, char *err, size_t len, size_t *ret_at);
/* command.c: splits cmd into at most max - 1 words (argv NULL-terminated, words stored in buf)
 * with placeholders replaced for family and port; the word count, or -EINVAL with err[] and the
 * offset of the fault in *ret_at. */
int command_split(const char *cmd, const struct scenario *s, int family, int port, char **argv, size_t max,
		  char *buf, size_t cap, char *err, size_t errlen, size_t *ret_at);
/* command.c: text with its placeholders ({port}, {ipv}, {family}, {dir}, {HOST}, {[HOST]}) replaced
 * for family and port, into buf (cap bytes, NUL-terminated); no quoting: a '{' that starts no
 * placeholder stays as written. Its length, or -EINVAL with err[] and the offset of the fault
 * in *ret_at. */
int scenario_expand_text(const struct scenario *s, const char *text, int family, int port, char *buf, size_t cap,
			 char *err, size_t errlen, size_t *ret_at);
/* The text an 'output' step looks for in a run of family (AF_INET, AF_INET6): its text with
 * the placeholders replaced (the parser has checked them). 0, or -EINVAL if it does not fit
 * cap. The run calls it where it compares a program's output with st->output.text. */
int scenario_output_text(const struct scenario *s, const struct step *st, int family, char *buf, size_t cap);
/* Whether every exec'd program can be found now: a name without a slash on PATH, an absolute
 * path ({dir}/x is one) that exists; a relative path with a slash is not judged (the directory
 * tcpfault runs in decides it). -ENOENT with "FILE:LINE:COL: no program ..." in err. Not part
 * of parsing: a file parses (and lists) on a machine that lacks its programs; check and run
 * refuse it (exit status 2). */
int scenario_check_programs(const struct scenario *s, char *err, size_t len);
