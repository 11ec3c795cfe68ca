/* SPDX-License-Identifier: MIT */
/*
 * The controller's side of the peer protocol (see peer.h): starting tcpfault-peer inside a
 * network namespace, sending commands, reading reports, signalling and reaping it. Runs in the
 * controller; holds no global state, so several peers can be driven from one thread.
 * Invariant: p->pid is our unreaped child until peer_reap() or peer_free() has waited for it,
 * so signalling it by pidfd or pid can never reach a stranger.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sched.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "peer.h"

struct peer {
	char *name;
	pid_t pid;
	int pidfd;
	int control_fd;
	int next_id;
	bool reaped;
	int status;
};

static void close_fdp(int *fd)
{
	if (*fd >= 0)
		close(*fd);
}
#define _cleanup_fd_ __attribute__((cleanup(close_fdp)))

int peer_cloexec_from(int from)
{
	if (syscall(SYS_close_range, (unsigned)from, ~0U, CLOSE_RANGE_CLOEXEC) == 0)
		return 0;
	if (errno != ENOSYS && errno != EINVAL)
		return -1;
	for (int fd = from; fd < 65536; fd++)
		(void) fcntl(fd, F_SETFD, FD_CLOEXEC);
	return 0;
}

struct child_args {
	int netns_fd, control, err_fd;
	pid_t parent;
	char *const *argv;
	const char *path;
};

/* Runs in the child, which shares our memory until its exec (CLONE_VM | CLONE_VFORK: no copy
 * of the caller's page tables, which a worker holding a capture ring and a tracer's maps makes
 * slow to fork): only async-signal-safe calls, nothing of ours written. Reports its errno on
 * err_fd. */
static int child(void *arg)
{
	const struct child_args *a = arg;
	int netns_fd = a->netns_fd, control = a->control, err_fd = a->err_fd;
	pid_t parent = a->parent;
	char *const *argv = a->argv;
	const char *path = a->path;
	int err;

	if (netns_fd >= 0 && setns(netns_fd, CLONE_NEWNET) < 0)
		goto fail;
	if (prctl(PR_SET_PDEATHSIG, SIGKILL) < 0)
		goto fail;
	/* The controller may have died before PDEATHSIG was armed. */
	if (getppid() != parent)
		_exit(127);
	if (control == 3) {
		if (fcntl(3, F_SETFD, 0) < 0)
			goto fail;
	} else if (dup2(control, 3) < 0) {
		goto fail;
	}
	/* Only 0-3 pass to it, not what whoever started tcpfault left open (a shell's fd 10). */
	if (peer_cloexec_from(4) < 0)
		goto fail;
	execv(path, argv);
fail:
	err = errno;
	/* Nothing more can be done if this write fails; the parent then sees exit 127. */
	(void) !write(err_fd, &err, sizeof(err));
	_exit(127);
}

int peer_spawn(const char *path, int netns_fd, const char *name, struct peer **ret)
{
	_cleanup_fd_ int pipe_rd = -1, pipe_wr = -1, ours = -1, theirs = -1;
	int sv[2], pv[2], err = 0, status;
	char arg_name[64];
	struct peer *p;
	ssize_t n;
	pid_t pid;

	if (!path || !name || !ret || strlen(name) == 0 || strchr(name, ' '))
		return -EINVAL;
	if (snprintf(arg_name, sizeof(arg_name), "--name=%s", name) >= (int) sizeof(arg_name))
		return -ENAMETOOLONG;
	char *const argv[] = { "tcpfault-peer", "--control-fd=3", arg_name, NULL };

	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0)
		return -errno;
	ours = sv[0];
	theirs = sv[1];
	/* Close-on-exec: a successful exec closes it and the parent reads EOF. */
	if (pipe2(pv, O_CLOEXEC) < 0)
		return -errno;
	pipe_rd = pv[0];
	pipe_wr = pv[1];

	struct child_args args = { netns_fd, theirs, pipe_wr, getpid(), argv, path };
	enum { STACK = 64 << 10 };
	char *stack = malloc(STACK);
	if (!stack)
		return -ENOMEM;
	/* We wait here until the child has exec'd or exited. No handler of ours may run in it
	 * meanwhile (on our memory): every signal blocked until then, in both; the peer unblocks
	 * them (its main()). */
	sigset_t all, old;
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	pid = clone(child, stack + STACK, CLONE_VM | CLONE_VFORK | SIGCHLD, &args);
	err = errno;
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	free(stack);
	if (pid < 0)
		return -err;

	close(pipe_wr);
	pipe_wr = -1;
	do
		n = read(pipe_rd, &err, sizeof(err));
	while (n < 0 && errno == EINTR);
	if (n != 0) {
		/* The child failed before exec, or the pipe broke: either way it is exiting. */
		if (n != (ssize_t) sizeof(err))
			err = n < 0 ? errno : EIO;
		while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
			;
		return -err;
	}

	p = calloc(1, sizeof(*p));
	if (p)
		p->pidfd = -1;
	if (!p || !(p->name = strdup(name))) {
		err = ENOMEM;
		goto kill;
	}
	p->pid = pid;
	p->next_id = 1;
	p->pidfd = (int) syscall(SYS_pidfd_open, pid, 0);
	if (p->pidfd < 0) {
		err = errno;
		goto kill;
	}
	if (fcntl(ours, F_SETFL, O_NONBLOCK) < 0) {
		err = errno;
		goto kill;
	}
	p->control_fd = ours;
	ours = -1;
	*ret = p;
	return 0;
kill:
	if (p) {
		if (p->pidfd >= 0)
			close(p->pidfd);
		free(p->name);
		free(p);
	}
	kill(pid, SIGKILL);
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	return -err;
}

void peer_free(struct peer *p)
{
	int status;

	if (!p)
		return;
	if (!p->reaped) {
		/* Cannot fail for our own unreaped child; a zombie ignores it harmlessly. */
		(void) peer_signal(p, SIGKILL);
		while (waitpid(p->pid, &status, 0) < 0 && errno == EINTR)
			;
	}
	close(p->pidfd);
	close(p->control_fd);
	free(p->name);
	free(p);
}

const char *peer_name(const struct peer *p) { return p->name; }
pid_t peer_pid(const struct peer *p) { return p->pid; }
int peer_control_fd(const struct peer *p) { return p->control_fd; }
int peer_pidfd(const struct peer *p) { return p->pidfd; }

int peer_send(struct peer *p, const char *sock, const char *op_and_args)
{
	char msg[PEER_MSG_MAX + 1];
	int len, id = p->next_id;

	if (!sock || !op_and_args)
		return -EINVAL;
	len = snprintf(msg, sizeof(msg), "%d %s %s", id, sock, op_and_args);
	if (len < 0 || len > PEER_MSG_MAX)
		return -EMSGSIZE;
	if (send(p->control_fd, msg, (size_t) len, MSG_NOSIGNAL) < 0)
		return errno == ECONNRESET ? -EPIPE : -errno;
	p->next_id++;
	return id;
}

int peer_recv(struct peer *p, struct peer_report *ret)
{
	char msg[PEER_MSG_MAX + 1];
	ssize_t n;

	n = recv(p->control_fd, msg, PEER_MSG_MAX + 1, MSG_DONTWAIT);
	if (n < 0) {
		if (errno == EAGAIN || errno == EINTR)
			return 0;
		return errno == ECONNRESET ? -EPIPE : -errno;
	}
	if (n == 0)
		return -EPIPE;
	if (n > PEER_MSG_MAX)
		return -EMSGSIZE;
	msg[n] = '\0';
	int r = peer_report_parse(msg, ret);
	return r < 0 ? r : 1;
}

int peer_parse_number(const char *s, long long min, long long max, long long *ret)
{
	char *end;

	if (!s || !*s || (*s != '-' && (*s < '0' || *s > '9')))
		return -EINVAL;
	errno = 0;
	long long v = strtoll(s, &end, 10);
	if (errno || *end || v < min || v > max)
		return -EINVAL;
	*ret = v;
	return 0;
}

int peer_report_parse(const char *msg, struct peer_report *ret)
{
	char buf[PEER_MSG_MAX + 1], *w[8], *save = NULL;
	struct peer_report r = { 0 };
	long long v;
	int nw = 0, err;

	if (!msg || strlen(msg) > PEER_MSG_MAX || msg[0] == ' ' || strstr(msg, "  "))
		return -EINVAL;
	if (strlen(msg) > 0 && msg[strlen(msg) - 1] == ' ')
		return -EINVAL;
	strcpy(buf, msg);
	/* E's text is everything after the id, so split at most three words off the front. */
	for (char *t = strtok_r(buf, " ", &save); t && nw < 8; t = strtok_r(NULL, " ", &save)) {
		w[nw++] = t;
		if (nw == 2 && strcmp(w[0], "E") == 0)
			break;
	}
	if (nw < 2 || strlen(w[0]) != 1 || peer_parse_number(w[1], 0, INT32_MAX, &v) < 0)
		return -EINVAL;
	r.kind = w[0][0];
	r.id = (int) v;
	switch (r.kind) {
	case 'D':
		if (nw != 2 || strtok_r(NULL, " ", &save))
			return -EINVAL;
		break;
	case 'E': {
		const char *text = msg + (w[1] - buf) + strlen(w[1]) + 1;
		if ((size_t) (text - msg) > strlen(msg) || !*text)
			return -EINVAL;
		strcpy(r.text, text);
		break;
	}
	case 'R':
		if (nw != 7 || strtok_r(NULL, " ", &save) || strlen(w[2]) >= sizeof(r.sock) ||
		    strlen(w[3]) >= sizeof(r.call) || peer_parse_number(w[4], INT64_MIN, INT64_MAX, &r.ret) < 0 ||
		    peer_parse_number(w[6], 0, INT64_MAX, &v) < 0)
			return -EINVAL;
		strcpy(r.sock, w[2]);
		strcpy(r.call, w[3]);
		r.t_us = (uint64_t) v;
		if (strcmp(w[5], "-") != 0) {
			err = peer_errno_from_name(w[5]);
			if (err < 0)
				return err;
			r.err = err;
		}
		break;
	default:
		return -EINVAL;
	}
	*ret = r;
	return 0;
}

int peer_reset(struct peer *p, int timeout_ms)
{
	struct peer_report rep;
	int id, r;

	/* Whatever is still in the channel is the run's: a peer with something left is not clean. */
	if ((r = peer_recv(p, &rep)) != 0)
		return r < 0 ? r : -EBUSY;
	if ((id = peer_send(p, "-", "reset")) < 0)
		return id;
	struct pollfd pfd = { .fd = p->control_fd, .events = POLLIN };
	for (int i = 0; i < 4; i++) {
		r = poll(&pfd, 1, timeout_ms);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return r < 0 ? -errno : -ETIMEDOUT;
		if ((r = peer_recv(p, &rep)) < 0)
			return r;
		if (r == 1)
			return rep.kind == 'D' && rep.id == id ? 0 : -EBUSY;
	}
	return -ETIMEDOUT;
}

int peer_signal(struct peer *p, int sig)
{
	if (p->reaped)
		return -ESRCH;
	if (syscall(SYS_pidfd_send_signal, p->pidfd, sig, NULL, 0) < 0)
		return -errno;
	return 0;
}

int peer_reap(struct peer *p, bool *ret_dead, int *ret_status)
{
	int status;

	if (!p->reaped) {
		pid_t r = waitpid(p->pid, &status, WNOHANG);
		if (r < 0)
			return -errno;
		if (r == 0) {
			*ret_dead = false;
			return 0;
		}
		p->reaped = true;
		p->status = status;
	}
	*ret_dead = true;
	if (ret_status)
		*ret_status = p->status;
	return 0;
}
