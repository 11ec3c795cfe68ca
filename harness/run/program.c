/* SPDX-License-Identifier: MIT */
/*
 * Real programs as peers: "server.web exec socat TCP-LISTEN:{port} ..." runs any command inside
 * a host's network namespace, beside the host's built-in peer. A program is an actor (internal.h)
 * as a peer is: the runner signals it and awaits its end the same way. This file starts and
 * watches programs and knows nothing of steps (steps-programs.c has those): its pidfd is polled
 * for its death, its stdout and stderr come back through
 * pipes (bounded), and, for a dynamically linked program, peers/shim.c (LD_PRELOAD) reports the
 * result of each of its own socket calls over a SOCK_SEQPACKET socket, so a scenario can await
 * "client.curl recv = -1 ECONNRESET". A statically linked program (an ELF without PT_INTERP)
 * cannot be observed that way, nor a Go program (its runtime makes its syscalls itself): for those
 * tracer.c traces the program (ptrace and a seccomp filter) and writes the same reports on the same
 * socket. Which observer sees a program ('observe' of its exec step) is chosen in spawn(); the
 * result names it. What no observer can see (a static binary a shim-observed program execs,
 * calls made through io_uring) is recorded (program_unobserved()), and the result says so. Its
 * stdin is /dev/null, a file, or a pipe whose other end we hold to the end ('stdin open').
 *
 * A program runs confined (confine.c): no privilege over the host even when tcpfault is root.
 * What the confined user cannot reach but the program needs is handed over as an open fd (the
 * shim as LD_PRELOAD=/proc/self/fd/N, the executable through execveat); any other path its
 * command names out of that user's reach is an error naming it, before anything starts.
 *
 * Each program leads a process group of its own. A fault aimed at it (kill) reaches the
 * program's process only, as a real crash would; a reboot of its host and the run's end kill
 * the whole group. The group leader is not reaped before then (its exit status is read with
 * WNOWAIT), so the group id cannot pass to a stranger while we may still signal it.
 *
 * Runs in the runner's worker process, single-threaded, from the runner's event loop.
 */
#include <elf.h>
#include <errno.h>
#include <dirent.h>
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#include "internal.h"
#include "loop.h"
#include "peer.h"
#include "exe.h"
#include "stream.h"
#include "tracer.h"

#define TEXT_MAX (2 * sizeof ((struct step *)0)->output.text)   /* the longest text an output step awaits, placeholders replaced */
#define MAX_ARGV 128
#define SHIM_FD 3             /* the shim's report socket, in the program */

extern char **environ;

struct program {
	struct actor a;           /* first: the runner holds it as an actor */
	struct programs *ps;
	pid_t pid;
	int pidfd, out_fd, err_fd, shim_fd;   /* -1 once closed */
	bool dead, observed;      /* observed: the shim was loaded (not a static binary) */
	int in_fd;                /* 'stdin open': the pipe's end we hold, so it never ends; else -1 */
	char why[512];            /* why not every call of its can be seen; "": all can, so far */
	char exe[256];            /* the leader's executable when last looked at (/proc/PID/exe) */
	int status;
	int64_t death_us;         /* CLOCK_MONOTONIC when it was reaped */
	struct stream out[2];     /* stdout, stderr */
	struct actor_call *calls;
	size_t ncalls, cap;
	unsigned long dropped;
	char **argv;              /* the command's words, NULL-terminated, for the result */
	struct tracer *tracer;    /* its tracer (tracer.c), when traced */
	const char *observer;     /* "shim", "trace", "none": who saw its calls */
};

struct programs {
	struct result *res;
	int64_t origin_us;
	char shim[4096];
	struct program *p[PROGRAMS_MAX];
	unsigned n;
	enum exec_observe observe;   /* for the next program started */
	struct confine conf;
};

static const struct actor_ops program_ops;
static void program_last_words(const struct actor *a, char *buf, size_t len);

static void close_fdp(int *fd)
{
	if (*fd >= 0)
		close(*fd);
	*fd = -1;
}

/* ---- the set ---- */

int programs_new(struct result *res, int64_t origin_us, const char *peer_path, bool privileged, struct programs **ret)
{
	struct programs *ps = calloc(1, sizeof *ps);
	const char *env = getenv("TCPFAULT_SHIM");

	if (!ps)
		return -ENOMEM;
	ps->res = res;
	ps->origin_us = origin_us;
	confine_prepare(&ps->conf, privileged);
	if (env && *env) {
		snprintf(ps->shim, sizeof ps->shim, "%s", env);
	} else {
		/* Installed and built beside tcpfault-peer. */
		const char *slash = peer_path ? strrchr(peer_path, '/') : NULL;
		snprintf(ps->shim, sizeof ps->shim, "%.*s%slibtcpfault-shim.so", slash ? (int)(slash - peer_path) : 0,
			 slash ? peer_path : "", slash ? "/" : "");
	}
	*ret = ps;
	return 0;
}

static void add_note(struct programs *ps, const char *text)
{
	result_note(ps->res, text);
}

/* ---- what the shim cannot see ----
 *
 * The shim sees the calls of a process that loaded it. A statically linked executable anywhere
 * in the program's exec chain does not load it (a dynamic wrapper, 'sh -c "exec ./static"',
 * hands the same process to it), and calls through io_uring or raw syscalls bypass it. What
 * can be found is recorded in p->why (the first reason only), and an expectation on the
 * program's calls is then an error saying so: the harness could not look, the program did not
 * fail. Found three ways: the command's words name a static executable (at the start); the
 * leader's executable is looked at each time the loop takes in its events; and at each
 * expectation on its calls, every process of its tree (/proc/PID/task/TID/children) is looked
 * at: its executable, and whether it holds an io_uring. */

/* Why the shim cannot see the calls of an executable of this kind (exe_kind()), or NULL. */
static const char *shim_blind(int kind)
{
	return kind == EXE_STATIC ? "statically linked: the shim cannot be loaded into it"
	       : kind == EXE_GO   ? "a Go program: its calls bypass the shim"
				  : NULL;
}

static void unobservable(struct program *p, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void unobservable(struct program *p, const char *fmt, ...)
{
	va_list ap;

	if (p->why[0])
		return;   /* the first reason says enough */
	va_start(ap, fmt);
	vsnprintf(p->why, sizeof p->why, fmt, ap);
	va_end(ap);
}

/* One process of the program's tree: whether it runs a static executable or holds an io_uring.
 * With only_new, the leader's executable alone, if it changed since (cheap: every loop turn). */
static void look_at(struct program *p, pid_t pid, bool only_new)
{
	char path[64], exe[256], link[64];
	ssize_t n;

	snprintf(path, sizeof path, "/proc/%d/exe", (int)pid);
	if ((n = readlink(path, exe, sizeof exe - 1)) <= 0)
		return;   /* gone, or a zombie: nothing to look at */
	exe[n] = 0;
	if (only_new && strcmp(exe, p->exe) == 0)
		return;
	if (pid == p->pid)
		snprintf(p->exe, sizeof p->exe, "%s", exe);
	const char *blind = p->tracer ? NULL : shim_blind(exe_kind(path));   /* the tracer follows it */
	if (blind)
		unobservable(p, "process %.200s (pid %d) is %s", exe, (int)pid, blind);
	if (only_new)
		return;
	snprintf(path, sizeof path, "/proc/%d/fd", (int)pid);
	DIR *d = opendir(path);
	for (struct dirent *e; d && (e = readdir(d));) {
		char fd[300];
		snprintf(fd, sizeof fd, "%s/%.200s", path, e->d_name);
		if ((n = readlink(fd, link, sizeof link - 1)) > 0) {
			link[n] = 0;
			if (strcmp(link, "anon_inode:[io_uring]") == 0)
				unobservable(p, "process %.200s (pid %d) uses io_uring: its calls there bypass the %s", exe,
					     (int)pid, p->tracer ? "tracer" : "shim");
		}
	}
	if (d)
		closedir(d);
}

/* pid and its descendants, depth first; at most a few hundred processes. */
static void look_at_tree(struct program *p, pid_t pid, unsigned *budget)
{
	char path[64], buf[4096];

	if (!*budget || !(*budget)--)
		return;
	look_at(p, pid, false);
	snprintf(path, sizeof path, "/proc/%d/task", (int)pid);
	DIR *d = opendir(path);
	for (struct dirent *e; d && (e = readdir(d));) {
		if (e->d_name[0] == '.')
			continue;
		char file[300];
		snprintf(file, sizeof file, "%s/%.200s/children", path, e->d_name);
		int fd = open(file, O_RDONLY | O_CLOEXEC);
		ssize_t n = fd >= 0 ? read(fd, buf, sizeof buf - 1) : -1;
		if (fd >= 0)
			close(fd);
		if (n <= 0)
			continue;
		buf[n] = 0;
		for (char *w = strtok(buf, " \n"); w; w = strtok(NULL, " \n"))
			look_at_tree(p, (pid_t)atoi(w), budget);
	}
	if (d)
		closedir(d);
}

/* The command's words (and the words inside them, 'sh -c "exec ./static-client"') that name a
 * statically linked executable, found as execvp would (a name with '/' as it is, else on PATH). */
static void scan_command(struct program *p, char **argv)
{
	for (char **a = argv + 1; *a && !p->why[0]; a++) {
		char copy[1024], path[4096];
		snprintf(copy, sizeof copy, "%s", *a);
		for (char *save = NULL, *w = strtok_r(copy, " \t\n;&|()<>'\"`", &save); w;
		     w = strtok_r(NULL, " \t\n;&|()<>'\"`", &save))
			if (exe_find(w, path, sizeof path) == 0 && shim_blind(exe_kind(path))) {
				unobservable(p, "its command runs %.300s, %s", path, shim_blind(exe_kind(path)));
				break;
			}
	}
}

static void record_exit(struct programs *ps, struct program *p)
{
	p->death_us = clock_us();
	if (ps->conf.switch_ids && WIFEXITED(p->status) && (WEXITSTATUS(p->status) == 126 || WEXITSTATUS(p->status) == 127)) {
		char note[400];
		snprintf(note, sizeof note, "%s exited with status %d (a command not found or not executable): it ran "
			 "confined as uid %u, to whom a file or folder it needs may be out of reach "
			 "(--privileged-programs runs it unconfined)", p->a.full, WEXITSTATUS(p->status),
			 (unsigned)ps->conf.uid);
		add_note(ps, note);
	}
	/* Killed by a SIGKILL a 'kill' sent: it died then. Another signal it may have caught and
	 * acted on first, and an exit is seen when it is reaped, some ms after: the reap's time. */
	bool sent = WIFSIGNALED(p->status) && WTERMSIG(p->status) == SIGKILL && p->a.sent_sig == SIGKILL;
	result_add_exit(ps->res, p->a.full, (double)((sent ? p->a.sent_us : p->death_us) - ps->origin_us) / 1000.0,
			WIFSIGNALED(p->status) ? signal_name(WTERMSIG(p->status)) : NULL, WEXITSTATUS(p->status), sent);
}

static void take_call(struct programs *ps, struct program *p, const char *msg)
{
	struct shim_report rep;

	/* The tracer's word on what it could not do: a filter not added (tracer.c). */
	if (!strncmp(msg, "note ", 5)) {
		char text[320];
		snprintf(text, sizeof text, "%s: %s", p->a.full, msg + 5);
		add_note(ps, text);
		return;
	}
	if (!strncmp(msg, "unobserved ", 11)) {
		unobservable(p, "%s", msg + 11);
		return;
	}
	if (program_shim_parse(msg, &rep) < 0)
		return;
	if (rep.dropped) {
		p->dropped += rep.dropped;
		return;
	}
	if (p->ncalls == p->cap) {
		size_t cap = p->cap ? 2 * p->cap : 64;
		struct actor_call *grown = cap < 1000000 ? realloc(p->calls, cap * sizeof *grown) : NULL;
		if (!grown) {
			p->dropped++;
			return;
		}
		p->calls = grown;
		p->cap = cap;
	}
	struct actor_call *c = &p->calls[p->ncalls++];
	*c = (struct actor_call){ .fd = rep.fd, .err = rep.err, .pid = rep.pid, .ret = rep.ret, .t_us = rep.t_us };
	snprintf(c->socket, sizeof c->socket, "fd%d", rep.fd);
	snprintf(c->call, sizeof c->call, "%s", rep.call);
	/* errno counts only for a failed call, and only one the JSON can name. */
	if (result_add_syscall(ps->res, p->a.full, c->socket, c->call, c->ret, c->ret < 0 && peer_errno_name(c->err) ? c->err : 0,
			       (double)(c->t_us - ps->origin_us) / 1000.0, c->pid) == 0 && rep.args[0])
		(void) result_syscall_args(ps->res, rep.args);   /* -ENOMEM: the call stays, without them */
}

/* Whether process pid runs, not exiting (a zombie or a process gone counts as exiting), and
 * its process group in *ret_pgrp. */
static bool proc_running(pid_t pid, pid_t *ret_pgrp)
{
	char path[64], buf[512];
	unsigned long flags = 0;
	char state = 0;
	int pgrp = 0;

	snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n = fd >= 0 ? read(fd, buf, sizeof buf - 1) : -1;
	if (fd >= 0)
		close(fd);
	if (n <= 0)
		return false;
	buf[n] = 0;
	const char *end = strrchr(buf, ')');
	if (!end || sscanf(end + 1, " %c %*d %d %*d %*d %*d %lu", &state, &pgrp, &flags) != 3)
		return false;
	*ret_pgrp = (pid_t)pgrp;
	return state != 'Z' && state != 'X' && !(flags & 0x4 /* PF_EXITING */);
}

/* Whether a process of the program's group runs, not exiting, when its report socket ended: the
 * socket is closed at exit only once the task is exiting (PF_EXITING, set before its files are
 * closed), so the last process that held it closed it itself (close-on-exec, a raw close) while
 * one of the group runs on: the leader, or a child of a leader gone (issue 16 review). Looked
 * for in /proc only where it is the worker's own (its PID namespace's, jobs.c): another's
 * numbers would be strangers. A process that left the group (setsid) is not looked for. */
static bool group_running(const struct program *p)
{
	char self[32];
	ssize_t n = readlink("/proc/self", self, sizeof self - 1);
	pid_t pgrp;
	unsigned budget = 100000;   /* /proc entries looked at: a PID namespace's are a few hundred */

	if (!p->dead && proc_running(p->pid, &pgrp))
		return true;
	if (n <= 0 || (self[n] = 0, atoi(self) != getpid()))
		return false;
	DIR *d = opendir("/proc");
	bool any = false;
	for (struct dirent *e; d && !any && budget-- && (e = readdir(d));) {
		pid_t pid = (pid_t)atoi(e->d_name);
		any = pid > 0 && pid != p->pid && proc_running(pid, &pgrp) && pgrp == p->pid;
	}
	if (d)
		closedir(d);
	return any;
}

/* The reports waiting, at most 4096 (a turn of the loop stays short while a program reports
 * without pause): whether more may wait. */
static bool take_reports(struct programs *ps, struct program *p)
{
	for (int i = 0; p->shim_fd >= 0 && i < 4096; i++) {
		char msg[256];
		ssize_t n = recv(p->shim_fd, msg, sizeof msg - 1, MSG_DONTWAIT);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			if (n == 0 && group_running(p))
				unobservable(p, "the shim's report socket was closed by the program (close-on-exec or a raw "
					     "close): its calls from then on are not reported");
			if (n == 0 || errno != EAGAIN)
				close_fdp(&p->shim_fd);
			return false;
		}
		msg[n] = 0;
		take_call(ps, p, msg);
	}
	return p->shim_fd >= 0;
}

static void take_one(struct programs *ps, struct program *p)
{
	/* An exec of the leader since we last looked (a wrapper handing over to a static binary). */
	if (!p->dead && p->observed)
		look_at(p, p->pid, true);
	/* Its death first: whatever it wrote before dying is then read below. */
	if (!p->dead) {
		siginfo_t si = { 0 };
		if (waitid(P_PID, (id_t)p->pid, &si, WEXITED | WNOHANG | WNOWAIT) == 0 && si.si_pid == p->pid) {
			p->dead = true;
			p->status = si.si_code == CLD_EXITED ? W_EXITCODE(si.si_status, 0) : si.si_status & 0x7f;
			record_exit(ps, p);
		}
	}
	int *fds[2] = { &p->out_fd, &p->err_fd };
	for (int k = 0; k < 2; k++) {
		char chunk[4096];
		for (int i = 0; *fds[k] >= 0 && i < 256; i++) {
			ssize_t n = read(*fds[k], chunk, sizeof chunk);
			if (n < 0 && errno == EINTR)
				continue;
			if (n <= 0) {
				if (n == 0 || errno != EAGAIN)
					close_fdp(fds[k]);
				break;
			}
			stream_add(&p->out[k], chunk, (size_t)n, TEXT_MAX);
		}
	}
	(void) take_reports(ps, p);
}

void programs_take(void *set, const struct pollfd *fds, unsigned nfds)
{
	struct programs *ps = set;

	for (unsigned i = 0; ps && i < ps->n; i++)
		take_one(ps, ps->p[i]);
}

unsigned programs_fds(void *set, struct pollfd *fds, unsigned max)
{
	const struct programs *ps = set;
	unsigned n = 0;

	for (unsigned i = 0; ps && i < ps->n; i++) {
		const struct program *p = ps->p[i];
		/* A dead leader stays a zombie until the end: its pidfd would always be readable. */
		int want[4] = { p->dead ? -1 : p->pidfd, p->out_fd, p->err_fd, p->shim_fd };
		for (int k = 0; k < 4; k++)
			if (want[k] >= 0 && n < max)
				fds[n++] = (struct pollfd){ .fd = want[k], .events = POLLIN };
	}
	return n;
}

static void free_argv(char **argv)
{
	for (char **a = argv; a && *a; a++)
		free(*a);
	free(argv);
}

/* A copy of argv (NULL-terminated), or NULL. */
static char **dup_argv(char **argv)
{
	size_t n = 0;

	while (argv[n])
		n++;
	char **copy = calloc(n + 1, sizeof *copy);
	for (size_t i = 0; copy && i < n; i++)
		if (!(copy[i] = strdup(argv[i]))) {
			free_argv(copy);
			return NULL;
		}
	return copy;
}

void programs_free(struct programs *ps)
{
	if (!ps)
		return;
	for (unsigned i = 0; i < ps->n; i++) {
		struct program *p = ps->p[i];
		/* The leader is our unreaped child: its group id is still ours to signal. */
		kill(-p->pid, SIGKILL);
		take_one(ps, p);
		/* Its tracer too (what it still traces dies with it): the zombie it may hold comes
		 * back to us, so the wait below needs nothing of it. */
		tracer_free(p->tracer);
		int status;
		while (waitpid(p->pid, &status, 0) < 0 && errno == EINTR)
			;
		/* Reports dropped: not every call was seen either. */
		if (p->dropped && p->observed)
			unobservable(p, "%lu reports of its calls were dropped (tcpfault read them more slowly than the "
				     "program made calls)", p->dropped);
		result_add_program(ps->res, p->a.full, p->argv, p->pid, p->observed && !p->why[0], p->observer ? p->observer : "none",
				   p->why, p->out[0].head, (long long)p->out[0].lost,
				   p->out[1].head, (long long)p->out[1].lost, (long long)p->dropped);
		free_argv(p->argv);
		close_fdp(&p->pidfd);
		close_fdp(&p->out_fd);
		close_fdp(&p->err_fd);
		close_fdp(&p->shim_fd);
		close_fdp(&p->in_fd);
		free(p->calls);
		stream_free(&p->out[0]);
		stream_free(&p->out[1]);
		free(p);
	}
	free(ps);
}

/* ---- starting one ---- */

/* What the forked child needs, all made ready before the fork. */
struct child_args {
	int netns_fd;             /* -1: the caller's own namespace (the runner's unit tests) */
	int fds[4];               /* its stdin, stdout, stderr, the shim's socket (-1: none) */
	int err_fd;               /* where a failure's errno goes */
	pid_t parent;
	const char *path;
	int exe_fd;               /* >= 0: exec this fd (the confined user cannot reach path) */
	int kept_fds[2];          /* the shim's and a script's fds, open in the program (-1: none) */
	char *const *argv, *const *envp;
	const struct tracer *t;
	const struct confine *conf;
};

/* Runs in the forked child: async-signal-safe calls only; a failure's errno goes to err_fd. */
static _Noreturn void child(const struct child_args *c)
{
	int e;

	if (setpgid(0, 0) < 0 || (c->netns_fd >= 0 && setns(c->netns_fd, CLONE_NEWNET) < 0) ||
	    confine_child(c->conf) < 0 || prctl(PR_SET_PDEATHSIG, SIGKILL) < 0)
		goto fail;
	/* (After confine_child(): a change of user clears the death signal.) */
	if (getppid() != c->parent)
		_exit(127);
	/* fds[] are all above 9 (F_DUPFD_CLOEXEC 10), so no dup2 below overwrites a source. */
	for (int i = 0; i < 4; i++)
		if (c->fds[i] >= 0 && dup2(c->fds[i], i < 3 ? i : SHIM_FD) < 0)
			goto fail;
	/* Nothing else reaches the program, not even what tcpfault itself inherited (a root
	 * shell's 'exec 7</etc/shadow'): all close-on-exec but the fds handed over. */
	if (peer_cloexec_from(c->fds[3] >= 0 ? SHIM_FD + 1 : SHIM_FD) < 0 ||
	    (c->kept_fds[0] >= 0 && fcntl(c->kept_fds[0], F_SETFD, 0) < 0) ||
	    (c->kept_fds[1] >= 0 && fcntl(c->kept_fds[1], F_SETFD, 0) < 0))
		goto fail;
	if (c->t && (e = tracer_child(c->t)) < 0) {
		errno = -e;
		goto fail;
	}
	if (c->exe_fd >= 0)
		syscall(SYS_execveat, c->exe_fd, "", c->argv, c->envp, AT_EMPTY_PATH);
	else
		execve(c->path, c->argv, c->envp);
fail:
	e = errno;
	(void) !write(c->err_fd, &e, sizeof e);
	_exit(127);
}

/* What an AddressSanitizer build needs to run observed, appended to ASAN_OPTIONS (the user's
 * own kept, ours last): under the shim, ASan's runtime refuses to start unless it comes first
 * in the library list ("ASan runtime does not come first in initial library list"), and the
 * shim is preloaded before it; under the tracer, LeakSanitizer's check at exit dies ("does not
 * work under ptrace"), the exit status 1 and unflushed stdout lost. Set for every observed
 * program (inert for one without ASan: a script may run an ASan build); the result notes it
 * where the executable is one (spawn()). */
static const char *asan_options(bool shim, bool traced)
{
	return shim ? "verify_asan_link_order=0" : traced ? "detect_leaks=0" : NULL;
}

/* The environment: ours, with LD_PRELOAD (the shim first) and TCPFAULT_SHIM_FD, if wanted, and
 * asan appended to ASAN_OPTIONS, and under the tracer to LSAN_OPTIONS too (a LeakSanitizer-only
 * build, -fsanitize=leak, reads that one: review rev16e N3), into asan_buf. */
static char **make_env(const char *shim, char *preload, size_t len, const char *asan, char *asan_buf, size_t asan_len)
{
	static const char *const vars[] = { "ASAN_OPTIONS", "LSAN_OPTIONS" };
	size_t n = 0, nvars = !asan ? 0 : shim ? 1 : 2;
	const char *old = getenv("LD_PRELOAD");

	while (environ[n])
		n++;
	char **envp = calloc(n + 5, sizeof *envp);
	if (!envp)
		return NULL;
	size_t k = 0;
	for (size_t i = 0; i < n; i++) {
		bool ours = !strncmp(environ[i], "LD_PRELOAD=", 11) || !strncmp(environ[i], "TCPFAULT_SHIM_FD=", 17);
		for (size_t v = 0; v < nvars; v++)
			ours |= !strncmp(environ[i], vars[v], strlen(vars[v])) && environ[i][strlen(vars[v])] == '=';
		if (!ours)
			envp[k++] = environ[i];
	}
	if (shim) {
		snprintf(preload, len, "LD_PRELOAD=%s%s%s", shim, old && *old ? ":" : "", old ? old : "");
		envp[k++] = preload;
		envp[k++] = "TCPFAULT_SHIM_FD=" "00003";   /* padded: the shim rewrites it in place */
	}
	for (size_t v = 0, at = 0; v < nvars && at < asan_len; v++) {
		const char *opts = getenv(vars[v]);
		envp[k++] = asan_buf + at;
		at += (size_t)snprintf(asan_buf + at, asan_len - at, "%s=%s%s%s", vars[v], opts && *opts ? opts : "",
				       opts && *opts ? ":" : "", asan) + 1;
	}
	return envp;
}

static int dup_high(int fd)
{
	return fd < 0 ? -1 : fcntl(fd, F_DUPFD_CLOEXEC, 10);
}

/* An fd of path for the confined program, above the fds child() sets up (close-on-exec: the
 * child keeps it open where it must); -errno. */
static int open_for_program(const char *path)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	int high = fcntl(fd, F_DUPFD_CLOEXEC, 10);
	int e = errno;
	close(fd);
	return high < 0 ? -e : high;
}

/* Whether path starts with "#!" (the kernel then hands the interpreter /dev/fd/N). */
static bool is_script(const char *path)
{
	char h[2] = "";
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	bool yes = fd >= 0 && read(fd, h, 2) == 2 && h[0] == '#' && h[1] == '!';
	if (fd >= 0)
		close(fd);
	return yes;
}

/* What the confined user cannot reach but the program needs: the shim (into *shim_fd, then
 * preloaded as /proc/self/fd/N) and its executable (*exe_fd, run through execveat). */
static int open_fallbacks(struct programs *ps, struct program *p, const char *path, bool shim, int *shim_fd,
			  int *exe_fd, bool *exe_kept, char *msg, size_t len)
{
	if (shim && !confine_reaches(&ps->conf, ps->shim, R_OK) && (*shim_fd = open_for_program(ps->shim)) < 0) {
		snprintf(msg, len, "opening the shim %.300s: %s", ps->shim, strerror(-*shim_fd));
		return *shim_fd;
	}
	if (confine_reaches(&ps->conf, path, X_OK))
		return 0;
	bool script = *exe_kept = is_script(path);
	if ((*exe_fd = open_for_program(path)) < 0) {
		snprintf(msg, len, "opening %.300s: %s", path, strerror(-*exe_fd));
		return *exe_fd;
	}
	if (script) {
		snprintf(msg, len, "%s: %.300s is out of the confined user's reach: it runs from an open fd (/dev/fd/%d, "
			 "left open for its interpreter)", p->a.full, path, *exe_fd);
		add_note(ps, msg);
		msg[0] = 0;
	}
	return 0;
}

static bool reachable(const char *path, void *conf)
{
	return confine_reaches(conf, path, X_OK);
}

/* What confinement would break, said before anything starts as an error naming it: a path the
 * command names (a word, or a word inside one: 'sh -c "{dir}/x"') in a folder the confined
 * user cannot enter, and a stdin file that user cannot read (else tcpfault would read it as
 * root for the program). A program in such a folder that a command inside a word names by
 * PATH alone is not found this way: a confined program's exit status 126 or 127 gets a note. */
static int check_reach(struct programs *ps, char **argv, enum exec_stdin in_mode, const char *in_path, char *msg,
		       size_t len)
{
	const char *bad = NULL;
	int mode = F_OK;

	if (ps->conf.weak && ps->n == 0)
		add_note(ps, "exec'd programs ran as root without any capability: the user they would run as cannot "
			 "enter / here (mode 0700: a chroot?), so the host's files were within their reach");
	if (ps->conf.root_outside) {
		snprintf(msg, len, "tcpfault runs as root of a user namespace that maps only root, the host's root: "
			 "exec'd programs cannot be confined there (run tcpfault as root, or as an ordinary user, or "
			 "pass --privileged-programs)");
		return -EPERM;
	}
	if (in_mode == EXEC_STDIN_FILE && access(in_path, F_OK) == 0 && !confine_reaches(&ps->conf, in_path, R_OK))
		bad = in_path, mode = R_OK;
	for (char **a = argv + 1; *a && !bad; a++) {
		char copy[1024];
		snprintf(copy, sizeof copy, "%s", *a);
		for (char *save = NULL, *w = strtok_r(copy, " \t\n;&|()<>'\"`=", &save); w && !bad;
		     w = strtok_r(NULL, " \t\n;&|()<>'\"`=", &save)) {
			struct stat st;
			/* Files, not the kernel's views (/proc/1 is root's, /proc/self the asker's). */
			bool view = !strncmp(w, "/proc/", 6) || !strncmp(w, "/sys/", 5) || !strncmp(w, "/dev/", 5);
			if (w[0] == '/' && !view && stat(w, &st) == 0 && !confine_reaches(&ps->conf, w, F_OK))
				bad = *a + (w - copy);
		}
	}
	if (!bad)
		return 0;
	snprintf(msg, len, "%.*s is out of reach of the user exec'd programs run as (uid %u): %s, or run with "
		 "--privileged-programs", (int)strcspn(bad, " \t\n;&|()<>'\"`="), bad, (unsigned)ps->conf.uid,
		 mode == R_OK ? "make it readable to that user" : "move it where that user can reach it");
	return -EACCES;
}

/* Who observes the program's calls ('observe', auto: the tracer for a static or Go binary),
 * and whether the shim is to be preloaded (*ret_shim); what none can see is recorded
 * (unobservable()) and noted. */
static enum exec_observe choose_observer(struct programs *ps, struct program *p, const char *path, char **argv,
					 bool *ret_shim, char *msg, size_t len)
{
	enum exec_observe obs = ps->observe;

	*ret_shim = false;
	if (obs == OBSERVE_AUTO)
		obs = tracer_wanted(path, argv) ? OBSERVE_TRACE : OBSERVE_SHIM;
	int kind = obs == OBSERVE_SHIM ? exe_kind(path) : EXE_DYNAMIC;
	if (obs == OBSERVE_NONE) {
		snprintf(msg, len, "%s: 'observe none': its own socket calls are not observed", p->a.full);
		add_note(ps, msg);
		unobservable(p, "'observe none'");
	} else if (obs == OBSERVE_SHIM && kind > 0) {
		const char *what = kind == EXE_STATIC ? "statically linked (an ELF without PT_INTERP): the shim cannot "
							"be loaded into it"
						      : "a Go program: its calls bypass the shim";
		snprintf(msg, len, "%s: %.300s is %s, so its own socket calls cannot be observed; its exit, output, "
			 "sockets and packets can", p->a.full, path, what);
		add_note(ps, msg);
		unobservable(p, "%.300s is %s", path, what);
	} else if (obs == OBSERVE_SHIM && (kind < 0 || access(ps->shim, R_OK) != 0)) {
		snprintf(msg, len, "%s: no shim at %.300s: its own socket calls cannot be observed", p->a.full, ps->shim);
		add_note(ps, msg);
		unobservable(p, "no shim at %.300s", ps->shim);
	} else if (obs == OBSERVE_SHIM) {
		*ret_shim = true;
		/* A static binary it would exec escapes the shim (the tracer follows execs). */
		scan_command(p, argv);
		if (p->why[0]) {
			snprintf(msg, len, "%s: %s, so not all of its calls can be observed", p->a.full, p->why);
			add_note(ps, msg);
		}
	}
	return obs;
}

/* Its stdin: /dev/null (*null stays -1), a file, or a pipe whose other end (in[1]) we hold
 * until the end. */
static int open_stdin(struct programs *ps, enum exec_stdin mode, const char *path, int in[2], int *null, char *msg,
		      size_t len)
{
	int e;

	if (mode == EXEC_STDIN_FILE && (*null = open(path, O_RDONLY | O_CLOEXEC)) < 0) {
		e = -errno;
		snprintf(msg, len, "its stdin %.300s: %s", path, strerror(-e));
		return e;   /* a file the scenario names is no capability of this machine's */
	}
	if (mode == EXEC_STDIN_OPEN && pipe2(in, O_CLOEXEC) < 0)
		return -errno;
	if (mode == EXEC_STDIN_OPEN)
		*null = in[0], in[0] = -1;
	return 0;
}

/* Whether the child's exec went through: its pipe closes unread on exec, else carries the
 * errno of what failed (the child is then reaped). */
static int await_exec(struct programs *ps, pid_t pid, int fd, struct tracer *t, const char *path, char *msg,
		      size_t len)
{
	int ce = 0, e;
	ssize_t n;

	do
		n = read(fd, &ce, sizeof ce);
	while (n < 0 && errno == EINTR);
	if (n == 0)
		return 0;
	int status;
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	e = n == (ssize_t)sizeof ce ? -ce : -EIO;
	snprintf(msg, len, "%.300s: %s", path, strerror(-e));
	const char *call = "ptrace";
	int refused = t ? tracer_refused(t, &call) : 0;
	if (refused) {
		/* ptrace forbidden (Yama ptrace_scope 3, a seccomp policy), or the calls the tracer
		 * needs besides (process_vm_readv, pidfd_getfd: a seccomp policy): a missing capability. */
		snprintf(msg, len, "%s, to observe the calls of %.300s with the tracer: %s", call, path, strerror(refused));
		result_missing(ps->res, msg);
	}
	return e;
}

static int spawn(struct programs *ps, struct program *p, int netns_fd, char **argv, enum exec_stdin in_mode,
		 const char *in_path, char *msg, size_t len)
{
	char path[4096], preload[4200], asan_buf[8400];
	int pv[2] = { -1, -1 }, out[2] = { -1, -1 }, err[2] = { -1, -1 }, sv[2] = { -1, -1 }, in[2] = { -1, -1 };
	int fds[4] = { -1, -1, -1, -1 }, e = 0, null = -1, shim_fd = -1, exe_fd = -1;
	char **envp = NULL, shim_path[32];

	confine_settle(&ps->conf);
	/* As a confined user's own PATH search would: the first it can reach (root's PATH may
	 * start with folders it cannot enter, /root/.pyenv/shims), else root's find (its fd is then
	 * handed over). */
	if ((!ps->conf.switch_ids || exe_find_if(argv[0], path, sizeof path, reachable, &ps->conf) < 0) &&
	    (e = exe_find(argv[0], path, sizeof path)) < 0) {
		snprintf(msg, len, "%s: %s", argv[0], strerror(-e));
		/* A program this machine lacks is a missing capability (exit status 3), not a fail. */
		if (e == -ENOENT)
			result_missing(ps->res, msg);
		return e;
	}
	if ((e = check_reach(ps, argv, in_mode, in_path, msg, len)) < 0)
		return e;
	bool shim;
	enum exec_observe obs = choose_observer(ps, p, path, argv, &shim, msg, len);
	struct tracer *t = NULL;
	msg[0] = 0;
	bool exe_kept = false;
	if ((e = open_fallbacks(ps, p, path, shim, &shim_fd, &exe_fd, &exe_kept, msg, len)) < 0)
		goto out;
	snprintf(shim_path, sizeof shim_path, "/proc/self/fd/%d", shim_fd);
	if ((e = open_stdin(ps, in_mode, in_path, in, &null, msg, len)) < 0)
		goto out;
	if (pipe2(pv, O_CLOEXEC) < 0 || pipe2(out, O_CLOEXEC) < 0 || pipe2(err, O_CLOEXEC) < 0 ||
	    (null < 0 && (null = open("/dev/null", O_RDONLY | O_CLOEXEC)) < 0) ||
	    ((shim || obs == OBSERVE_TRACE) && socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0)) {
		e = -errno;
		goto out;
	}
	if ((shim || obs == OBSERVE_TRACE) && exe_asan(path)) {
		snprintf(msg, len, "%s: %.300s is an AddressSanitizer build: its ASAN_OPTIONS get %s (%s)", p->a.full, path,
			 asan_options(shim, !shim), shim ? "its runtime would refuse to start with the shim preloaded before it"
							: "LeakSanitizer cannot run under ptrace: leaks are not checked");
		add_note(ps, msg);
		msg[0] = 0;
	}
	if (obs == OBSERVE_TRACE && (e = tracer_new(sv[1], &t)) < 0) {
		snprintf(msg, len, "%s: starting its tracer: %s", p->a.full, strerror(-e));
		goto out;
	}
	if (shim || t) {
		/* Room for many reports: the shim drops what does not fit rather than wait. */
		int big = 4 << 20;
		(void) setsockopt(sv[1], SOL_SOCKET, SO_SNDBUFFORCE, &big, sizeof big);
		(void) setsockopt(sv[0], SOL_SOCKET, SO_RCVBUFFORCE, &big, sizeof big);
	}
	/* A traced program gets no fd 3: its tracer holds the report socket. */
	fds[0] = dup_high(null), fds[1] = dup_high(out[1]), fds[2] = dup_high(err[1]), fds[3] = shim ? dup_high(sv[1]) : -1;
	if (fds[0] < 0 || fds[1] < 0 || fds[2] < 0 || (shim && fds[3] < 0) ||
	    !(envp = make_env(!shim ? NULL : shim_fd >= 0 ? shim_path : ps->shim, preload, sizeof preload,
			      asan_options(shim, t != NULL), asan_buf, sizeof asan_buf))) {
		e = errno ? -errno : -ENOMEM;
		goto out;
	}
	pid_t parent = getpid();
	pid_t pid = fork();
	if (pid < 0) {
		e = -errno;
		goto out;
	}
	if (pid == 0)
		child(&(struct child_args){ .netns_fd = netns_fd, .fds = { fds[0], fds[1], fds[2], fds[3] }, .err_fd = pv[1],
					   .parent = parent, .path = path, .exe_fd = exe_fd, .argv = argv, .envp = envp,
					   .kept_fds = { shim_fd, exe_kept ? exe_fd : -1 },
					   .t = t, .conf = &ps->conf });
	(void) setpgid(pid, pid); /* also done by the child: whichever comes first */
	if (t)
		tracer_forked(t);
	close_fdp(&pv[1]);
	if ((e = await_exec(ps, pid, pv[0], t, path, msg, len)) < 0)
		goto out;
	p->pid = pid;
	p->pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
	p->out_fd = out[0], out[0] = -1;
	p->err_fd = err[0], err[0] = -1;
	p->shim_fd = sv[0], sv[0] = -1;
	p->observed = shim || t;
	p->observer = t ? "trace" : shim ? "shim" : "none";
	p->tracer = t, t = NULL;
	p->in_fd = in[1], in[1] = -1;
	fcntl(p->out_fd, F_SETFL, O_NONBLOCK);
	fcntl(p->err_fd, F_SETFL, O_NONBLOCK);
out:
	tracer_free(t);   /* not started */
	free(envp);
	for (int i = 0; i < 2; i++) {
		close_fdp(&pv[i]);
		close_fdp(&out[i]);
		close_fdp(&err[i]);
		close_fdp(&sv[i]);
		close_fdp(&in[i]);
	}
	for (int i = 0; i < 4; i++)
		close_fdp(&fds[i]);
	close_fdp(&null);
	close_fdp(&shim_fd);
	close_fdp(&exe_fd);
	return e;
}

/* Starts argv as full; the event "exec NAME: ARGV" is the caller's. */
int programs_start(struct programs *ps, int host, const char *full, const char *name, int netns_fd,
		   char **argv, enum exec_stdin in_mode, const char *in_path, struct program **ret, char *msg, size_t len)
{
	if (ps->n == PROGRAMS_MAX) {
		snprintf(msg, len, "too many programs in one run (at most %d)", PROGRAMS_MAX);
		return -EMFILE;
	}
	struct program *p = calloc(1, sizeof *p);
	if (!p || !(p->argv = dup_argv(argv))) {
		free(p);
		snprintf(msg, len, "out of memory");
		return -ENOMEM;
	}
	p->a = (struct actor){ .ops = &program_ops, .host = host };
	snprintf(p->a.name, sizeof p->a.name, "%s", name);
	snprintf(p->a.full, sizeof p->a.full, "%s", full);
	p->pidfd = p->out_fd = p->err_fd = p->shim_fd = p->in_fd = -1;
	p->ps = ps;
	int e = spawn(ps, p, netns_fd, argv, in_mode, in_path, msg, len);
	if (e < 0) {
		free_argv(p->argv);
		free(p);
		return e;
	}
	ps->p[ps->n++] = p;
	*ret = p;
	return 0;
}

struct program *programs_find(struct programs *ps, int host, const char *name)
{
	for (unsigned i = ps->n; i-- > 0;)
		if (ps->p[i]->a.host == host && strcmp(ps->p[i]->a.name, name) == 0)
			return ps->p[i];
	return NULL;
}

struct actor *program_actor(struct program *p)
{
	return &p->a;
}

void programs_observe(struct programs *ps, enum exec_observe mode)
{
	ps->observe = mode;
}

bool program_observed(const struct program *p)
{
	return p->observed;
}

/* Why not every call of its can be seen (a static binary in its exec chain, io_uring; its
 * processes are looked at now), or NULL. */
static const char *program_unobserved(struct actor *a)
{
	struct program *p = (struct program *)a;
	unsigned budget = 256;

	take_one(p->ps, p);
	if (!p->dead)
		look_at_tree(p, p->pid, &budget);
	return p->why[0] ? p->why : NULL;
}

/* How many reports of its calls were dropped (the report socket full: tcpfault read them more
 * slowly than the program made calls), as far as its observer has said; what waits in the
 * socket is taken in first (bounded: a program may report as fast as they are read). */
static unsigned long program_dropped(struct actor *a)
{
	struct program *p = (struct program *)a;

	take_one(p->ps, p);
	for (int i = 0; i < 64 && take_reports(p->ps, p); i++)
		;
	return p->dropped;
}

bool program_output_has(const struct program *p, const char *text)
{
	return stream_has(&p->out[0], text) || stream_has(&p->out[1], text);
}

/* Whether the program has ended and everything it sent has been read: nothing more can come. */
struct program *programs_ended(struct programs *ps)
{
	for (unsigned i = 0; i < ps->n; i++)
		if (ps->p[i]->dead)
			return ps->p[i];
	return NULL;
}

bool program_finished(const struct program *p)
{
	return p->dead && p->shim_fd < 0 && p->out_fd < 0 && p->err_fd < 0;
}

static const struct actor_call *program_actor_calls(struct actor *a, size_t *ret_n)
{
	struct program *p = (struct program *)a;

	take_one(p->ps, p);
	*ret_n = p->ncalls;
	return p->calls;
}

const char *program_state(const struct program *p, char *buf, size_t len)
{
	if (!p->dead)
		snprintf(buf, len, "%s is still running", p->a.full);
	else if (WIFSIGNALED(p->status))
		snprintf(buf, len, "%s was killed by %s", p->a.full, signal_name(WTERMSIG(p->status)));
	else
		snprintf(buf, len, "%s exited with status %d", p->a.full, WEXITSTATUS(p->status));
	return buf;
}

bool programs_host_down(struct programs *ps, int host)
{
	bool any = false;

	for (unsigned i = 0; i < ps->n; i++)
		if (ps->p[i]->a.host == host && !ps->p[i]->dead) {
			/* Power loss: the whole process group, forked children too. */
			kill(-ps->p[i]->pid, SIGKILL);
			ps->p[i]->a.doomed = true;
			any = true;
		}
	return any;
}

bool programs_host_dead(struct programs *ps, int host)
{
	for (unsigned i = 0; i < ps->n; i++) {
		take_one(ps, ps->p[i]);
		if (ps->p[i]->a.host == host && !ps->p[i]->dead)
			return false;
	}
	return true;
}

/* A program that gave up early (ASan refusing to start, a missing option) leaves another step
 * to time out, a peer's accept say: the failure then says how the program ended. */
void programs_unasked_ends(struct programs *ps, int host, const char *name, double origin_ms, char *buf, size_t len)
{
	size_t n = 0;

	buf[0] = 0;
	for (unsigned i = 0; ps && i < ps->n && n + 1 < len; i++) {
		struct program *p = ps->p[i];
		char state[160], tail[400];
		take_one(ps, p);
		if (!p->dead || p->a.doomed || p->a.end_awaited || (p->a.host == host && !strcmp(p->a.name, name)) ||
		    (WIFEXITED(p->status) && WEXITSTATUS(p->status) == 0))
			continue;
		program_last_words(&p->a, tail, sizeof tail);
		int k = snprintf(buf + n, len - n, "\n  meanwhile: %s at %.1f ms%s", program_state(p, state, sizeof state),
				 (double)p->death_us / 1000.0 - origin_ms, tail);
		n = k < 0 ? n : n + (size_t)k < len ? n + (size_t)k : len - 1;
	}
}

/* ---- the program actor ---- */

static int program_signal(struct actor *a, int sig)
{
	struct program *p = (struct program *)a;

	return syscall(SYS_pidfd_send_signal, p->pidfd, sig, NULL, 0) < 0 ? -errno : 0;
}

static bool program_ended(struct actor *a, int *ret_status, int64_t *ret_when_us)
{
	struct program *p = (struct program *)a;

	take_one(p->ps, p);
	*ret_status = p->status;
	*ret_when_us = p->death_us;
	return p->dead;
}

/* The last non-empty line of its stderr (or stdout): what a program says when it gives up. */
static void program_last_words(const struct actor *a, char *buf, size_t len)
{
	const struct program *p = (const struct program *)a;

	buf[0] = 0;
	for (int k = 1; k >= 0 && !buf[0]; k--) {
		const char *t = p->out[k].head;
		size_t n = p->out[k].nhead;
		while (n && (t[n - 1] == '\n' || t[n - 1] == '\r'))
			n--;
		size_t start = n;
		while (start && t[start - 1] != '\n')
			start--;
		if (n > start)
			snprintf(buf, len, "; its %s ends: \"%.*s\"", k ? "stderr" : "stdout", (int)(n - start), t + start);
	}
}

static int program_pidfd(const struct actor *a)
{
	return ((const struct program *)a)->pidfd;
}

static const struct actor_ops program_ops = {
	.signal = program_signal, .ended = program_ended, .last_words = program_last_words,
	.calls = program_actor_calls, .unobserved = program_unobserved, .dropped = program_dropped,
	.pidfd = program_pidfd,
};

/* ---- the shim's reports ---- */

int program_shim_parse(const char *msg, struct shim_report *ret)
{
	char call[32], en[32];
	long long fd, rv, t, pid;
	unsigned long d;
	int n = 0;
	struct shim_report r = { 0 };

	if (sscanf(msg, "dropped %lu%n", &d, &n) == 1 && !msg[n]) {
		r.dropped = d;
		*ret = r;
		return 0;
	}
	n = 0;
	if (sscanf(msg, "%31s %lld %lld %31s %lld %lld%n", call, &fd, &rv, en, &t, &pid, &n) != 6 ||
	    strlen(call) >= sizeof r.call || fd < 0 || fd > INT32_MAX || t < 0 || pid <= 0 || pid > INT32_MAX)
		return -EINVAL;
	if (msg[n]) {   /* a wait's revents (one word of capitals and '|'), or a connect's "port N" */
		const char *a = msg + n + 1;
		bool port = !strcmp(call, "connect") && !strncmp(a, "port ", 5) && a[5] &&
			    strspn(a + 5, "0123456789") == strlen(a + 5);
		if (msg[n] != ' ' || !*a || (!port && strspn(a, "ABCDEFGHIJKLMNOPQRSTUVWXYZ|") != strlen(a)) ||
		    strlen(a) >= sizeof r.args)
			return -EINVAL;
		snprintf(r.args, sizeof r.args, "%s", a);
	}
	snprintf(r.call, sizeof r.call, "%s", call);
	r.fd = (int)fd;
	r.ret = rv;
	r.t_us = t;
	r.pid = (int)pid;
	if (strcmp(en, "-") != 0) {
		int e = peer_errno_from_name(en);
		if (e < 0)
			return -EINVAL;
		r.err = e;
	}
	*ret = r;
	return 0;
}
