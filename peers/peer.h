/* SPDX-License-Identifier: MIT */
/*
 * peers: tcpfault-peer, a small program that runs socket operations on command and reports
 * every syscall it made, and the controller's side of that conversation.
 *
 * The control channel is an AF_UNIX SOCK_SEQPACKET socketpair: one message per command, one
 * message per report. Messages are single lines of ASCII words separated by one space, no
 * trailing newline, at most PEER_MSG_MAX bytes.
 *
 * Controller -> peer, a command:
 *     <id> <sock> <op> [args...]
 *   id    decimal, chosen by the controller, echoed in every report for this command
 *   sock  a socket name ([A-Za-z0-9_-]{1,31}, not "-"); each name owns one fd and one worker
 *         thread, so commands on one socket run in order and commands on different sockets run
 *         at once (a read can block on "a" while "b" connects). "-" for commands that use no
 *         socket.
 *
 *   ops (each makes the syscalls named; every syscall is reported, under the call name given
 *   in quotes where it differs from the op):
 *     socket inet|inet6                 socket(AF_INET[6], SOCK_STREAM, 0)
 *     bind ADDR PORT                    bind()
 *     listen BACKLOG                    listen()
 *     connect ADDR PORT                 connect(), blocking unless the fd is O_NONBLOCK
 *     await-connect MS                  poll(POLLOUT, MS), reported as "poll" (ret 0: timed out,
 *                                       and the command ends there); then getsockopt(SO_ERROR),
 *                                       reported as "so_error": ret 0, or ret -1 with the pending
 *                                       error as its errno
 *     accept LISTENER                   accept() on socket LISTENER; the new fd is named <sock>
 *     read N                            read() of up to N bytes; ret is the count
 *     write N [nosignal]                one send() of N bytes (pattern data), MSG_NOSIGNAL if
 *                                       asked; reported as "send". N is at most 16 MiB (also
 *                                       for read)
 *     shutdown rd|wr|rdwr               shutdown()
 *     close                             close(); the name is free again afterwards
 *     nonblock                          fcntl(F_SETFL, O_NONBLOCK); reported as call "fcntl"
 *     setsockopt OPT VALUE [VALUE2]     OPT is one of: linger ON SECS | reuseaddr V |
 *                                       reuseport V | keepalive V | keepidle S | keepintvl S |
 *                                       keepcnt N | user_timeout MS | rcvtimeo MS | sndtimeo MS |
 *                                       nodelay V | rcvbuf BYTES | sndbuf BYTES
 *     interrupt                         pthread_kill()s <sock>'s worker with SIGUSR1 (handler
 *                                       installed without SA_RESTART, so a blocked call gets
 *                                       EINTR); reported as call "signal" ret 0. Runs at once,
 *                                       not behind the worker's queue. A signal that lands just
 *                                       before the worker blocks would be lost, so while the
 *                                       worker has work it is repeated every 10 ms, for at most
 *                                       1 s, until one of the worker's syscalls returns; R and D
 *                                       come after that, so "interrupt" completes only once the
 *                                       blocked call has returned (or 1 s has passed)
 *     sigpipe ignore|default            (sock "-") SIGPIPE disposition, reported as
 *                                       "sigaction"; ignore is the default
 *     crash                             (sock "-") a real invalid memory access: the process
 *                                       dies of SIGSEGV; nothing is reported
 *     synflood ADDR PORT COUNT SPORT    (sock "-") COUNT bare SYNs (one MSS option) to ADDR:PORT
 *                                       through one raw socket, from this host's own address
 *                                       and source ports SPORT .. SPORT+COUNT-1 (COUNT 1 to
 *                                       100000, the last port at most 65535); no socket of this
 *                                       kernel owns them, so they stay half-open at ADDR (drop
 *                                       the SYN-ACKs here, or this kernel answers them with RST).
 *                                       Reported once, as call "synflood": ret COUNT, or -1 with
 *                                       the errno of the first call that failed. Needs
 *                                       CAP_NET_RAW in the namespace
 *     reset                             (sock "-") for the next run of a job slot: every socket
 *                                       closed, every name forgotten, SIGPIPE ignored; nothing
 *                                       is reported but D. "E busy" (then D) while a command is
 *                                       queued or running: the peer is then to be killed
 *
 * Peer -> controller:
 *     R <id> <sock> <call> <ret> <errno-name|-> <t_us>   one per syscall, in order
 *     D <id>                                              the command is complete
 *     E <id> <text...>                                    the command was not understood or
 *                                                         not possible (unknown op, unknown
 *                                                         socket name, busy name); then D.
 *                                                         A command whose id cannot be read
 *                                                         gets "E 0 ..." and "D 0".
 *   t_us is CLOCK_MONOTONIC in microseconds when the syscall returned. errno is saved on the
 *   line after the call and sent as its symbolic name (ECONNRESET), never as text.
 *
 * The peer exits 0 when the control channel closes. It sets PR_SET_PDEATHSIG(SIGKILL) so it
 * never outlives the controller. It has no core dumps (RLIMIT_CORE 0), so `crash` leaves no
 * files behind.
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#define PEER_MSG_MAX 512
/* Socket names one peer holds (each name a slot and a worker thread, never freed): check
 * refuses more per host, and the peer raises its RLIMIT_NOFILE to hold one socket for each.
 * 1,000 connections to one listener need 1,001 on the server. */
#define PEER_MAX_SOCKS 2048

/* The name of an errno value ("ECONNRESET"), or NULL if unknown; errno 0 gives NULL. */
const char *peer_errno_name(int err);
/* A decimal integer in [min, max] that is the whole word (no sign but '-', no blanks):
 * 0, or -EINVAL. Both ends of the control protocol read numbers with it. */
int peer_parse_number(const char *s, long long min, long long max, long long *ret);
/* The errno value of a name, or -EINVAL. */
int peer_errno_from_name(const char *name);

/* What a poll or epoll wait reports on a socket (the shim and the tracer alike): a wait whose
 * revents on a TCP socket carry one of these bits, the error, the hangup, the peer's FIN.
 * poll(2)'s and epoll's bits have the same values. */
#define PEER_WAIT_ERRORS 0x2018u   /* POLLERR | POLLHUP | POLLRDHUP */
/* The bits of revents by name, joined by '|': "POLLIN|POLLERR|POLLHUP" ("EPOLL..." if epoll),
 * cut to fit len (at least 1). No stdio: the shim calls it inside the program. */
void peer_wait_events_name(unsigned revents, bool epoll, char *buf, size_t len);
/* In the text of an epoll fd's fdinfo (/proc/PID/fdinfo/EPFD: "tfd: FD events: X data: D"),
 * the fd registered with data; -1 if none. */
int peer_epoll_fd(const char *fdinfo, uint64_t data);

/* ---- controller side ---- */

struct peer;

/*
 * Starts tcpfault-peer (the executable at path) inside network namespace netns_fd, or in the
 * caller's own namespace if netns_fd is -1 (unit tests, which have no privilege). A failure of
 * setns() or exec in the child is returned here as its -errno (-ENOENT: no such binary).
 * PR_SET_PDEATHSIG fires when the forking *thread* ends, so spawn from a thread that lives
 * as long as the peer should.
 */
int peer_spawn(const char *path, int netns_fd, const char *name, struct peer **ret);
/* Every fd from 'from' up close-on-exec (close_range, Linux 5.9; else one by one, bounded):
 * for a forked child before its exec (async-signal-safe); 0, or -1 with errno. */
int peer_cloexec_from(int from);
/* Kills (SIGKILL) and reaps the peer if still running, frees it; accepts NULL. */
void peer_free(struct peer *p);

const char *peer_name(const struct peer *p);
pid_t peer_pid(const struct peer *p);
/* The control socket, to poll() for reports (POLLIN) or for the peer's end (POLLHUP). */
int peer_control_fd(const struct peer *p);
/* A pidfd for the peer process, to poll() for its death. */
int peer_pidfd(const struct peer *p);

/* Sends one command; returns its id (> 0, counting up from 1), or -EMSGSIZE, -EPIPE, ... */
int peer_send(struct peer *p, const char *sock, const char *op_and_args);

/* One report, parsed. */
struct peer_report {
	char kind;        /* 'R', 'D' or 'E' */
	int id;
	char sock[32];
	char call[32];
	long long ret;
	int err;          /* errno value, 0 if none */
	uint64_t t_us;
	char text[PEER_MSG_MAX];  /* for 'E' */
};
/* Reads one report without blocking: 1 if one was read, 0 if none is waiting, -EPIPE if the
 * peer has closed the channel (exited or died). */
int peer_recv(struct peer *p, struct peer_report *ret);
/* Parses one report message (exposed for unit tests). */
int peer_report_parse(const char *msg, struct peer_report *ret);

/* The peer made ready for another run (the reset command), awaited at most timeout_ms: 0; -EBUSY
 * if it refused (a command queued or running) or anything else came first (a report of the run
 * not taken in), -ETIMEDOUT, -EPIPE if it has ended. On any error the caller frees it. */
int peer_reset(struct peer *p, int timeout_ms);
/* Sends a signal to the peer process (by pidfd); -ESRCH once it has been reaped. */
int peer_signal(struct peer *p, int sig);
/* Whether the peer has ended; if so *ret_status is a wait(2) status. Non-blocking. */
int peer_reap(struct peer *p, bool *ret_dead, int *ret_status);
