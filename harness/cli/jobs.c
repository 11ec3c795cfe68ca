/* SPDX-License-Identifier: MIT */
/*
 * The jobs of 'run': each scenario run (scenario x family x repeat) in a forked worker that is
 * the init of a PID namespace of its own where it can be, dies with the controller
 * (PR_SET_PDEATHSIG) and hands its result back as JSON over a pipe. At most -j workers at
 * once, the longest timer floors first; each bounded by its run's limit (plus a margin for a
 * runner that cannot bound itself). Runs in the controller.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#include "cli.h"
#include "peer.h"


/* Longest first: jobs that must wait longest on kernel timers (their floors) start first, so
 * -j packs them under the short ones; the report keeps catalog order (by_pos). */
static int by_floor(const void *a, const void *b)
{
	const struct job *x = a, *y = b;
	if (x->s->floor_ms != y->s->floor_ms)
		return x->s->floor_ms > y->s->floor_ms ? -1 : 1;
	return x->pos < y->pos ? -1 : x->pos > y->pos;
}

static int by_pos(const void *a, const void *b)
{
	const struct job *x = a, *y = b;
	return x->pos < y->pos ? -1 : x->pos > y->pos;
}

/* The worker's own /proc, its PID namespace's: a program's /proc/PID (program.c reads its exe,
 * fds and threads there) is then that program, not the host's process of that number. In a
 * mount namespace of its own, private, so nothing of it reaches the host. Where that is not
 * allowed /proc stays the host's, and program.c finds nothing there for the program's PIDs. */
static void own_proc(void)
{
	if (unshare(CLONE_NEWNS) < 0)
		return;
	/* The mount the new /proc goes on top of must not pass it on: /proc itself (in a chroot
	 * "/" may be no mount point at all), else the whole tree. */
	if (mount(NULL, "/proc", NULL, MS_REC | MS_PRIVATE, NULL) < 0 &&
	    mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
		return;
	(void) mount("proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL);
}

/* Job slots (sandbox reuse): where a worker can be the init of a PID namespace, each of the -j
 * slots has one worker that runs job after job and keeps its sandbox between them
 * (run_options.keep). After each run it sends the result, then ends every process left in its
 * PID namespace (kill(-1) from its init reaches no other), so the next run's reset finds only
 * what the kernel holds. A job reaches it as its index in the jobs array (the worker's copy of
 * it, forked from the controller's) with the result pipe's write end (SCM_RIGHTS): the
 * controller reads each result to its end as from a worker of its own. A slot whose worker
 * died or was killed gets a new one. TCPFAULT_REUSE=0 turns it off: a worker, and a sandbox,
 * per run. */
struct slot {
	pid_t pid;                        /* 0: no worker (yet, or any more) */
	int sock;                         /* the controller's end: jobs go down it */
	struct run_progress *progress;    /* shared with the worker, for its current job */
	bool busy;
};
static struct slot *slots;
static unsigned nslots;
static bool no_slots;                     /* off, or a PID namespace cannot be made */

/* The result, as JSON, down fd; exits the process if it cannot be sent whole. */
static void send_result(struct result *res, int fd)
{
	json_object *json;

	if (!res || result_to_json(res, &json) < 0)
		_exit(1);
	const char *txt = json_object_to_json_string_ext(json, JSON_C_TO_STRING_PLAIN);
	size_t len = strlen(txt), off = 0;
	while (off < len) {
		ssize_t w = write(fd, txt + off, len - off);
		if (w <= 0)
			_exit(1);
		off += (size_t)w;
	}
	json_object_put(json);
}

/* spawn()'s error where pidfd_open is missing (before Linux 5.3) or refused (a seccomp policy):
 * a capability this machine lacks, not a broken run (no errno means it). */
#define ENOPIDFD 4096

/* Forks a worker: the init of a PID namespace of its own where it can be (when it dies, the
 * kernel ends everything started under it, even a program's daemonised grandchild that
 * escaped its process group); where that is not allowed, a plain fork unless pidns_only. In
 * the child, keep is the one fd of the controller's jobs it keeps; returns the pid (0 in the
 * child), or -errno. */
static pid_t spawn(struct job *jobs, size_t n, int keep, int spool, bool pidns_only)
{
	fflush(NULL);
	/* The child learns whether the controller died before PDEATHSIG was armed by polling
	 * this pidfd (getppid() says nothing across a PID namespace). */
	int parent = (int)syscall(SYS_pidfd_open, getpid(), 0);
	if (parent < 0)
		return errno == ENOSYS || errno == EPERM ? -ENOPIDFD : -errno;
	pid_t pid = (pid_t)syscall(SYS_clone, CLONE_NEWPID | SIGCHLD, NULL, NULL, NULL, NULL);
	if (pid < 0 && (errno == EPERM || errno == EINVAL) && !pidns_only)
		pid = fork();
	int clone_errno = errno;
	if (pid != 0) {
		close(parent);
		return pid < 0 ? -clone_errno : pid;
	}
	/* A controller killed before PDEATHSIG was armed leaves us orphaned: end at once. */
	if (prctl(PR_SET_PDEATHSIG, SIGKILL) < 0 ||
	    poll(&(struct pollfd){ .fd = parent, .events = POLLIN }, 1, 0) != 0)
		_exit(1);
	close(parent);
	/* Not the other jobs' pipes, the slots' sockets nor the spool: a worker holding another's
	 * pipe would keep it open past that worker's death (and -j64 would give each 64 more fds). */
	for (size_t i = 0; i < n; i++)
		if (jobs[i].fd >= 0 && jobs[i].fd != keep)
			close(jobs[i].fd);
	for (unsigned k = 0; k < nslots; k++)
		if (slots[k].sock >= 0 && slots[k].sock != keep)
			close(slots[k].sock);
	if (spool >= 0)
		close(spool);
	/* Its PID as the controller sees it, read before its own /proc hides the controller's. */
	char self[24] = "";
	if (readlink("/proc/self", self, sizeof self - 1) > 0)
		runner_worker((pid_t)atoi(self));
	if (getpid() == 1)
		own_proc();
	return 0;
}

/* Whether our /proc is our PID namespace's (own_proc()): /proc/self is then "1", us. */
static bool proc_is_ours(void)
{
	char self[16];
	ssize_t n = readlink("/proc/self", self, sizeof self - 1);

	return n == 1 && self[0] == '1';
}

/* Ends every process of our PID namespace but us and those keep holds (the slot's peers). We
 * are its init: kill(-1) reaches its processes and no other, and each process left is our child
 * or becomes one when its parent dies, so each round's wait returns; bounded. Only where /proc
 * is our namespace's (own_proc()) can the peers be told apart: elsewhere (its numbers would be
 * the host's) they go too, as everything did before peers were kept. */
static void end_others(struct run_keep *keep)
{
	DIR *d = proc_is_ours() ? opendir("/proc") : NULL;

	if (!d) {
		for (unsigned h = 0; h < SCENARIO_MAX_HOSTS; h++) {
			peer_free(keep->peers[h]);
			keep->peers[h] = NULL;
		}
		kill(-1, SIGKILL);
		for (int k = 0; k < 100000 && (waitpid(-1, NULL, 0) > 0 || errno == EINTR); k++)
			;
		return;
	}
	for (int round = 0; round < 10000; round++) {
		struct dirent *e;
		bool others = false;
		rewinddir(d);
		while ((e = readdir(d))) {
			int pid = atoi(e->d_name);
			if (pid > 1 && !run_keep_holds(keep, pid)) {
				others = true;
				kill(pid, SIGKILL);
			}
		}
		if (!others)
			break;
		/* One of them has ended (or a kept peer died: its pidfd tells the next run). */
		while (waitpid(-1, NULL, 0) < 0 && errno == EINTR)
			;
	}
	closedir(d);
}

/* The slot worker: runs the jobs that come down sock until the controller closes it. */
static _Noreturn void serve(struct job *jobs, size_t n, int sock, struct run_progress *progress,
			    const struct run_options *base)
{
	const char *peers = getenv("TCPFAULT_REUSE_PEERS");
	struct run_keep keep = { .no_peers = peers && strcmp(peers, "0") == 0 };

	for (;;) {
		size_t idx;
		char cbuf[CMSG_SPACE(sizeof(int))];
		struct iovec iov = { &idx, sizeof idx };
		struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = cbuf, .msg_controllen = sizeof cbuf };
		ssize_t got = recvmsg(sock, &m, MSG_CMSG_CLOEXEC);
		if (got < 0 && errno == EINTR)
			continue;
		struct cmsghdr *c = got == (ssize_t)sizeof idx ? CMSG_FIRSTHDR(&m) : NULL;
		if (!c || c->cmsg_type != SCM_RIGHTS || idx >= n)
			_exit(got == 0 ? 0 : 1);   /* 0: the controller is done with us */
		int fd;
		memcpy(&fd, CMSG_DATA(c), sizeof fd);
		struct job *j = &jobs[idx];
		struct run_options o = *base;
		o.progress = progress;
		o.family = j->family;
		o.run = j->run;
		o.keep = &keep;
		struct result *res = runner_run(j->s, &o);
		send_result(res, fd);
		close(fd);
		result_free(res);
		/* What the run left running (a program's daemon): gone before the next run's
		 * reset, all but the slot's peers. */
		end_others(&keep);
	}
}

/* The slot's worker, started if it has none; 0, or -errno (-EPERM: no PID namespace here,
 * slots cannot be used). */
static int slot_ready(struct job *jobs, size_t n, struct slot *sl, const struct run_options *base, int spool)
{
	int sv[2];

	if (sl->pid > 0)
		return 0;
	if (!sl->progress) {
		void *m = mmap(NULL, sizeof *sl->progress, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
		if (m == MAP_FAILED)
			return -errno;
		sl->progress = m;
	}
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0)
		return -errno;
	sl->sock = sv[0];
	pid_t pid = spawn(jobs, n, sv[1], spool, true);
	if (pid == 0)
		serve(jobs, n, sv[1], sl->progress, base);
	close(sv[1]);
	if (pid < 0) {
		close(sv[0]);
		sl->sock = -1;
		return (int)pid;
	}
	sl->pid = pid;
	return 0;
}

/* The slot's worker is gone (it died, or was killed): reaped, its socket closed. */
static void slot_gone(struct slot *sl)
{
	if (sl->pid > 0) {
		waitpid(sl->pid, NULL, 0);
		runner_worker_gone(sl->pid);
	}
	if (sl->sock >= 0)
		close(sl->sock);
	sl->pid = 0;
	sl->sock = -1;
	sl->busy = false;
}

/* Hands j to an idle slot's worker: 0, 1 if slots cannot be used (then a worker of its own),
 * or -errno. */
static int start_in_slot(struct job *jobs, size_t n, struct job *j, const struct run_options *base, int spool)
{
	struct slot *sl = NULL;
	int p[2], e = 0;

	for (unsigned k = 0; k < nslots && !sl; k++)
		if (!slots[k].busy)
			sl = &slots[k];
	if (!sl)
		return 1;
	for (int attempt = 0; attempt < 2; attempt++) {
		if ((e = slot_ready(jobs, n, sl, base, spool)) < 0)
			break;
		if (pipe2(p, O_CLOEXEC) < 0)
			return -errno;
		*sl->progress = (struct run_progress){ 0 };
		size_t idx = (size_t)(j - jobs);
		char cbuf[CMSG_SPACE(sizeof(int))] = { 0 };
		struct iovec iov = { &idx, sizeof idx };
		struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = cbuf, .msg_controllen = sizeof cbuf };
		struct cmsghdr *c = CMSG_FIRSTHDR(&m);
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN(sizeof(int));
		memcpy(CMSG_DATA(c), &p[1], sizeof(int));
		ssize_t w = sendmsg(sl->sock, &m, MSG_NOSIGNAL);
		e = w < 0 ? -errno : 0;
		close(p[1]);
		if (w == (ssize_t)sizeof idx) {
			sl->busy = true;
			j->slot = (int)(sl - slots);
			j->pid = sl->pid;
			j->fd = p[0];
			j->progress = sl->progress;
			return 0;
		}
		close(p[0]);
		/* Its worker died since its last job: a new one, once. */
		kill(sl->pid, SIGKILL);
		slot_gone(sl);
	}
	if (e == -EPERM || e == -EINVAL) {
		no_slots = true;
		return 1;
	}
	return e < 0 ? e : -EPIPE;
}

static int start_job(struct job *jobs, size_t n, struct job *j, const struct run_options *base, int spool)
{
	int p[2], e;

	j->slot = -1;
	if (!no_slots && (e = start_in_slot(jobs, n, j, base, spool)) <= 0) {
		if (e < 0)
			return e;
		goto started;
	}
	if (!j->progress) {
		void *m = mmap(NULL, sizeof *j->progress, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
		if (m == MAP_FAILED)
			return -errno;
		j->progress = m;
	}
	*j->progress = (struct run_progress){ 0 };
	if (pipe2(p, O_CLOEXEC) < 0)
		return -errno;
	pid_t pid = spawn(jobs, n, -1, spool, false);
	if (pid < 0) {
		close(p[0]);
		close(p[1]);
		return (int)pid;
	}
	if (pid == 0) {
		close(p[0]);
		struct run_options o = *base;
		o.progress = j->progress;
		o.family = j->family;
		o.run = j->run;
		send_result(runner_run(j->s, &o), p[1]);
		_exit(0);
	}
	close(p[1]);
	j->pid = pid;
	j->fd = p[0];
started:
	/* The runner bounds itself; this is the bound for a runner that cannot. */
	j->limit_ms = base->timeout_ms ? base->timeout_ms : j->s->timeout_ms;
	j->start_ms = clock_us() / 1000;
	j->deadline_ms = j->start_ms + j->limit_ms + 15000;
	return 0;
}

/* What the controller knows of a run whose worker gave no result; NULL if out of memory. */
struct result *job_error_result(const struct job *j, const char *why)
{
	struct result *r;

	if (result_new(j->s->name, j->s->mode, j->family == AF_INET6 ? "inet6" : "inet", NULL, j->s->summary, &r) < 0)
		return NULL;
	r->partial = true;
	if (run_result_hosts(r, j->s) < 0 || result_failure(r, why) < 0) {
		result_free(r);
		return NULL;
	}
	result_finish(r, RESULT_ERROR, 0, 0);
	return r;
}

/* A run that could not start for want of a capability of this machine (what: which); NULL if
 * out of memory. */
static struct result *job_missing_result(const struct job *j, const char *what)
{
	struct result *r;

	if (result_new(j->s->name, j->s->mode, j->family == AF_INET6 ? "inet6" : "inet", NULL, j->s->summary, &r) < 0)
		return NULL;
	if (run_result_hosts(r, j->s) < 0 || result_missing(r, what) < 0) {
		result_free(r);
		return NULL;
	}
	result_finish(r, RESULT_SKIPPED, 0, 0);
	return r;
}

/* The result a worker sent: -EINVAL if it is not one (result_from_json refuses it). */
static int parse_result(const char *text, struct result **ret)
{
	json_object *j = json_tokener_parse(text);
	int e = j ? result_from_json(j, ret) : -EINVAL;

	json_object_put(j);
	return e;
}

/* A worker killed while it ran (its limit, a signal) leaves its capture's temporary file
 * (.NAME-FAMILY[-runK].pcap.XXXXXX.tmp, outfile.c) in --pcap-dir: removed here, so only whole
 * captures remain. */
static void forget_capture(const struct job *j, const struct run_options *o)
{
	char base[300], run[24] = "";
	DIR *d;
	struct dirent *e;

	if (!o->pcap_dir || !(d = opendir(o->pcap_dir)))
		return;
	if (o->runs > 1)
		snprintf(run, sizeof run, "-run%u", j->run);
	int n = snprintf(base, sizeof base, ".%s-%s%s.pcap.", j->s->name, j->family == AF_INET6 ? "inet6" : "inet", run);
	while (n > 0 && (size_t)n < sizeof base && (e = readdir(d)))
		if (strncmp(e->d_name, base, (size_t)n) == 0 && strlen(e->d_name) == (size_t)n + 10 &&
		    strcmp(e->d_name + n + 6, ".tmp") == 0)
			unlinkat(dirfd(d), e->d_name, 0);
	closedir(d);
}

/* Past its limit (+1 s) in setup or in a step: a step that blocks in the harness (nft, a
 * sysctl write, a program's start) which the runner cannot bound; not in its teardown (which
 * the backstop bounds, limit + 15 s). */
static bool step_overdue(const struct job *j, int64_t now_ms)
{
	int phase = j->progress ? j->progress->phase : 0;

	return (phase == RUN_SETUP || phase == RUN_STEPS) && now_ms > j->start_ms + j->limit_ms + 1000;
}

static void finish_job(struct job *j, bool timed_out, const struct run_options *o)
{
	int status = 0;
	char why[4400];
	/* read before the kill: where it blocked, and for how long */
	int phase = j->progress ? j->progress->phase : 0;
	unsigned line = j->progress ? j->progress->line : 0;
	int64_t blocked_ms = j->progress && j->progress->since_us ? clock_us() / 1000 - j->progress->since_us / 1000 : 0;

	struct slot *sl = j->slot >= 0 ? &slots[j->slot] : NULL;
	bool got = !timed_out && !j->buf_nomem && j->buf && parse_result(j->buf, &j->result) == 0;
	/* A slot's worker that sent a result goes on to the next job, refused or not: killed here,
	 * or the wait below would never end. */
	bool refused = sl && !timed_out && !got && (j->buf || j->buf_nomem);

	if (timed_out || refused)
		kill(j->pid, SIGKILL);
	/* A slot's worker that sent its result goes on to the next job; one that did not has
	 * died, or is dying (it exits whenever it cannot send a whole result). */
	if (!sl || !got) {
		waitpid(j->pid, &status, 0);
		runner_worker_gone(j->pid);
	}
	if (sl) {
		sl->busy = false;
		if (!got) {
			sl->pid = 0;
			slot_gone(sl);
		}
		j->progress = NULL;   /* the slot's, not the job's */
	}
	if (timed_out || WIFSIGNALED(status))
		forget_capture(j, o);
	close(j->fd);
	j->fd = -1;
	if (timed_out && phase == RUN_STEPS) {
		snprintf(why, sizeof why, "%s:%u: this step blocked for %lld ms and was stopped: the run's time limit "
			 "(%d ms) was reached", j->s->path, line, (long long)blocked_ms, j->limit_ms);
		j->result = job_error_result(j, why);
	} else if (timed_out && phase == RUN_SETUP) {
		snprintf(why, sizeof why, "%s: setting up (the sandbox, its sysctls and nft rules, the peers) blocked "
			 "for %lld ms and was stopped: the run's time limit (%d ms) was reached", j->s->path,
			 (long long)blocked_ms, j->limit_ms);
		j->result = job_error_result(j, why);
	} else if (timed_out) {
		snprintf(why, sizeof why, "%s: the run exceeded its time limit (%d ms) and was stopped",
			 j->s->path, j->limit_ms);
		j->result = job_error_result(j, why);
	} else if (!got) {
		bool killed = refused && WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL;
		if (j->buf_nomem && (killed || WIFEXITED(status)))
			snprintf(why, sizeof why, "%s: the worker's result could not be read: %s", j->s->path, strerror(ENOMEM));
		else if (j->buf && (killed || (WIFEXITED(status) && WEXITSTATUS(status) == 0)))
			snprintf(why, sizeof why, "%s: the worker's result is malformed", j->s->path);
		else if (WIFSIGNALED(status))
			snprintf(why, sizeof why, "%s: the worker died of %s", j->s->path, signal_name(WTERMSIG(status)));
		else
			snprintf(why, sizeof why, "%s: the worker ended with status %d and no result",
				 j->s->path, WEXITSTATUS(status));
		j->result = job_error_result(j, why);
	}
	free(j->buf);
	j->buf = NULL;
}

/* The job has ended: what the exit status needs, and its result into the spool (then freed),
 * so the controller's memory holds only the runs in flight. Kept in memory if that fails. */
static void ended(struct job *j, int spool)
{
	struct result *r = j->result;
	json_object *json = NULL;

	j->ended = true;
	if (j->progress) {
		munmap(j->progress, sizeof *j->progress);
		j->progress = NULL;
	}
	if (!r)
		return;
	j->verdict = r->verdict;
	if (spool < 0 || result_to_json(r, &json) < 0)
		return;
	const char *txt = json_object_to_json_string_ext(json, JSON_C_TO_STRING_PLAIN);
	size_t len = strlen(txt), off = 0;
	off_t at = lseek(spool, 0, SEEK_END);
	while (at >= 0 && off < len) {
		ssize_t w = write(spool, txt + off, len - off);
		if (w <= 0 && errno == EINTR)
			continue;
		if (w <= 0)
			break;
		off += (size_t)w;
	}
	json_object_put(json);
	if (at < 0 || off < len)
		return;
	j->spooled = true;
	j->spool_off = at;
	j->spool_len = len;
	result_free(r);
	j->result = NULL;
}

/* Stopped by a signal: the runs in flight end (their workers killed: every process and
 * namespace under each goes with it, as when the controller dies) and no other starts. */
static void stop_all(struct job *jobs, size_t n, int signo, int spool, const struct run_options *o)
{
	char why[160];

	snprintf(why, sizeof why, REPORT_NOT_RUN ": tcpfault was stopped by %s before this run ended",
		 signal_name(signo));
	for (size_t i = 0; i < n; i++) {
		struct job *j = &jobs[i];
		if (j->ended)
			continue;
		if (j->fd >= 0) {
			kill(j->pid, SIGKILL);
			waitpid(j->pid, NULL, 0);
			runner_worker_gone(j->pid);
			if (j->slot >= 0) {
				slots[j->slot].pid = 0;
				slot_gone(&slots[j->slot]);
				j->progress = NULL;
			}
			forget_capture(j, o);
			close(j->fd);
			j->fd = -1;
			free(j->buf);
			j->buf = NULL;
		}
		j->result = job_error_result(j, why);
		ended(j, spool);
	}
}

/* How many of the runs started are still setting up (their sandbox made or reset, capture,
 * peers) or not yet begun. */
static unsigned setting_up(const struct job *jobs, size_t next)
{
	unsigned k = 0;

	for (size_t i = 0; i < next; i++)
		if (jobs[i].fd >= 0 && jobs[i].pid > 0 &&
		    (!jobs[i].progress || jobs[i].progress->phase == 0 || jobs[i].progress->phase == RUN_SETUP))
			k++;
	return k;
}

/* Runs all jobs, at most njobs at once, and at most one setting up per CPU: a run's setup is
 * CPU and the kernel's rtnl lock (one for the whole machine), and 16 sandboxes made at once
 * took 130-424 ms each on 2 CPUs against 8 ms alone; a run waits on its timers after it, and
 * there the -j runs overlap. A job held back is not started: its time counts from its start. */
static void run_some(struct job *jobs, size_t n, unsigned njobs, const struct run_options *o, int spool,
		     volatile sig_atomic_t *stop)
{
	size_t next = 0, done = 0;
	unsigned running = 0;
	long cpus = sysconf(_SC_NPROCESSORS_ONLN);
	unsigned gate = cpus < 1 ? 1 : (unsigned)cpus;

	while (done < n) {
		if (*stop) {
			stop_all(jobs, n, *stop, spool, o);
			return;
		}
		bool held = false;
		while (running < njobs && next < n) {
			if (setting_up(jobs, next) >= gate) {
				held = true;
				break;
			}
			int e = start_job(jobs, n, &jobs[next], o, spool);
			if (e == -ENOPIDFD) {
				/* as the run's other missing capabilities: skipped, exit status 3 */
				jobs[next].result = job_missing_result(&jobs[next], "pidfd_open (Linux 5.3, not refused by a "
								      "seccomp policy), to start a run's worker");
				ended(&jobs[next], spool);
				done++;
			} else if (e < 0) {
				char why[160];
				/* EMFILE, ENFILE, EAGAIN: a limit of this machine, named as such */
				snprintf(why, sizeof why, "starting a worker: %s (%s)", strerror(-e), peer_errno_name(-e));
				jobs[next].result = job_error_result(&jobs[next], why);
				ended(&jobs[next], spool);
				done++;
			} else {
				running++;
			}
			next++;
		}
		struct pollfd fds[64];
		size_t idx[64];
		nfds_t nf = 0;
		int64_t soonest = INT64_MAX;
		for (size_t i = 0; i < next && nf < 64; i++)
			if (jobs[i].fd >= 0 && jobs[i].pid > 0) {
				fds[nf] = (struct pollfd){ .fd = jobs[i].fd, .events = POLLIN };
				idx[nf++] = i;
				int64_t at = jobs[i].progress && jobs[i].progress->phase != RUN_TEARDOWN ?
					     jobs[i].start_ms + jobs[i].limit_ms + 1001 : jobs[i].deadline_ms;
				if (at < soonest)
					soonest = at;
			}
		if (nf == 0)
			continue;
		int64_t wait = soonest - clock_us() / 1000;
		/* A job held back looks again in 1 ms: a run's setup ends with no event of its own. */
		if (held && wait > 1)
			wait = 1;
		poll(fds, nf, wait < 0 ? 0 : wait > 1000 ? 1000 : (int)wait);
		for (nfds_t k = 0; k < nf; k++) {
			struct job *j = &jobs[idx[k]];
			if (fds[k].revents) {
				char chunk[65536];
				ssize_t r = read(j->fd, chunk, sizeof chunk);
				if (r > 0) {
					/* A chunk dropped would splice the rest: out of memory, the
					 * whole result is refused (finish_job says so). */
					char *g = j->buf_nomem ? NULL : realloc(j->buf, j->len + (size_t)r + 1);
					if (g) {
						memcpy(g + j->len, chunk, (size_t)r);
						j->len += (size_t)r;
						g[j->len] = 0;
						j->buf = g;
					} else {
						free(j->buf);
						j->buf = NULL;
						j->len = 0;
						j->buf_nomem = true;
					}
					continue;
				}
				if (r < 0 && errno == EINTR)
					continue;
				finish_job(j, false, o);
			} else if (clock_us() / 1000 > j->deadline_ms || step_overdue(j, clock_us() / 1000)) {
				finish_job(j, true, o);
			} else {
				continue;
			}
			ended(j, spool);
			running--;
			done++;
		}
	}
}

void run_jobs(struct job *jobs, size_t n, unsigned njobs, const struct run_options *o, int spool,
	      volatile sig_atomic_t *stop)
{
	const char *reuse = getenv("TCPFAULT_REUSE");

	for (size_t i = 0; i < n; i++) {
		jobs[i].pos = i;
		jobs[i].slot = -1;
	}
	qsort(jobs, n, sizeof *jobs, by_floor);
	no_slots = (reuse && strcmp(reuse, "0") == 0) || n == 0 ||
		   !(slots = calloc(njobs < n ? njobs : n, sizeof *slots));
	nslots = slots ? (njobs < n ? njobs : (unsigned)n) : 0;
	for (unsigned k = 0; k < nslots; k++)
		slots[k].sock = -1;
	run_some(jobs, n, njobs, o, spool, stop);
	/* The workers left end, and with them their sandboxes. */
	for (unsigned k = 0; k < nslots; k++) {
		if (slots[k].pid > 0)
			kill(slots[k].pid, SIGKILL);
		slot_gone(&slots[k]);
		if (slots[k].progress)
			munmap(slots[k].progress, sizeof *slots[k].progress);
	}
	free(slots);
	slots = NULL;
	nslots = 0;
	qsort(jobs, n, sizeof *jobs, by_pos);
}
