/* SPDX-License-Identifier: MIT */
/*
 * tcpfault: the command line. list, run, explain, check.
 *
 * Before any sandbox is made, the controller moves into a network namespace of its own (and,
 * without root, a user namespace of its own), so nothing it does can reach the host's network
 * configuration even by mistake. Each scenario run (scenario x family) happens in a forked
 * worker that dies with the controller (PR_SET_PDEATHSIG) and hands its result back as json
 * over a pipe; the controller keeps -j workers going and reports in catalog order.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "config.h"
#include "lang.h"
#include "report.h"
#include "run.h"
#include "netns.h"

/* Exit statuses of the CLI (DESIGN.md). */
enum {
	EXIT_PASS = 0,
	EXIT_FAIL = 1,
	EXIT_USAGE = 2,
	EXIT_MISSING = 3,
};

#define MAX_SCENARIOS 512

static const char usage_text[] =
	"Usage: tcpfault COMMAND [OPTIONS] [ARGS]\n"
	"\n"
	"Makes TCP failures happen between a real client and a real server in their own network\n"
	"namespaces, captures the packets and checks what each side observed.\n"
	"\n"
	"Commands:\n"
	"  list [--all]              the built-in catalog: name, mode id, summary (--all: and\n"
	"                            the examples, with real programs)\n"
	"  run [OPTIONS] [NAME|FILE]...\n"
	"                            run scenarios (no names: the whole catalog)\n"
	"  explain [OPTIONS] NAME|FILE\n"
	"                            run one scenario and narrate it: a ladder diagram of every\n"
	"                            packet, syscall and event, the folklore claim and what Linux does\n"
	"  check FILE...             parse only; errors as FILE:LINE:COL: message\n"
	"\n"
	"'tcpfault COMMAND --help' shows a command's options; man tcpfault and man 5\n"
	"tcpfault-scenario tell the rest.\n"
	"\n"
	"  -h, --help                this text\n"
	"      --version             the version\n"
	"\n"
	"Exit status: 0 all passed, 1 a scenario failed or could not run, 2 bad usage or a bad\n"
	"scenario file, 3 this machine lacks something tcpfault needs (the message says what).\n"
	"Environment: TCPFAULT_SCENARIOS (catalog folder), TCPFAULT_EXAMPLES (examples folder),\n"
	"TCPFAULT_PEER (the peer program), NO_COLOR (no colours even on a terminal),\n"
	"GITHUB_STEP_SUMMARY (a file a Markdown summary of every run is appended to).\n";

#define RUN_OPTIONS_TEXT \
	"Options:\n" \
	"  -f, --format text|json|junit|tap|html|mermaid\n" \
	"                            report format (default text): json carries every field;\n" \
	"                            junit is JUnit XML for CI; tap is TAP version 14; html is one\n" \
	"                            page with a ladder per run; mermaid is Markdown diagrams\n" \
	"  -o, --output FILE         write the report to FILE instead of standard output\n" \
	"      --pcap-dir DIR        write one capture per scenario and family (and run, with\n" \
	"                            --repeat) into DIR: every host's link, each packet once\n" \
	"  -j, --jobs N              scenarios run in parallel, 1 to 64 (default: number of CPUs)\n" \
	"      --family inet|inet6|both\n" \
	"                            address families to run (default both)\n" \
	"  -v, --verbose             text: a ladder diagram of each run under its line\n" \
	"      --repeat N            run each scenario N times (1 to 1000) and report every run;\n" \
	"                            text ends with the scenarios that varied: the verdict, a\n" \
	"                            connection's S, F and R packets in order, or a call's outcome\n" \
	"                            (its errno, an end of file); then a note naming those whose\n" \
	"                            data/ACK pattern alone differed (timing)\n" \
	"      --shard K/N           run only the K-th of N shares of the job list (jobs whose\n" \
	"                            index, counted from 0, modulo N is K-1), for parallel CI jobs\n" \
	"      --timeout DUR         each run's time limit (such as 10s), in place of the file's\n" \
	"                            'timeout' (default 30s); a run that reaches it ends as an error\n" \
	"                            and the next one starts\n" \
	"  -h, --help                this text\n" \
	"\n" \
	"Exit status: 0 all passed, 1 a scenario failed or could not run, 2 bad usage or a bad\n" \
	"scenario file, 3 this machine lacks something tcpfault needs (the message says what).\n"

static const char run_help[] =
	"Usage: tcpfault run [OPTIONS] [NAME|FILE]...\n"
	"\n"
	"Runs scenarios, each in its own throwaway network namespaces, once per address family,\n"
	"and reports one result per run. NAME is a catalog entry or an example ('tcpfault list\n"
	"--all'); an argument with a '/' or naming an existing file is a scenario file. No\n"
	"arguments: the whole catalog, in the order 'tcpfault list' shows it; else in the order\n"
	"given. Options may come anywhere on the line; '--' ends them.\n"
	"\n" RUN_OPTIONS_TEXT "\n"
	"Examples:\n"
	"  tcpfault run                                 the whole catalog, both families\n"
	"  tcpfault run -v --family inet sigkill        one scenario with its ladder diagram\n"
	"  tcpfault run --format junit -o report.xml    for a CI test report\n"
	"  tcpfault run --repeat 20 -j 8                hunt for flaky scenarios\n";

static const char explain_help[] =
	"Usage: tcpfault explain [OPTIONS] NAME|FILE\n"
	"\n"
	"Runs one scenario and narrates each run: a ladder diagram with the client's lifeline on\n"
	"the left and the server's on the right, every packet an arrow between them (tcpdump flags,\n"
	"relative seq and ack), every syscall and its result (\"send = -1 EPIPE\") and every\n"
	"injected fault (\"*** kill SIGKILL ***\") under the host that made it, times in ms; then\n"
	"the folklore claim, what Linux did, and how long the same takes with default timers.\n"
	"Colours on a terminal unless NO_COLOR is set.\n"
	"\n" RUN_OPTIONS_TEXT "\n"
	"Example:\n"
	"  tcpfault explain --family inet sigkill\n";

static const char list_help[] =
	"Usage: tcpfault list [-a|--all]\n"
	"\n"
	"Prints the built-in catalog, grouped by section (A establishing a connection, B while data\n"
	"flows, C closing, D timeouts and misuse) and sorted by mode id, one scenario a line: its\n"
	"name (for run and explain), its failure mode id and a one-line summary. 'run' with no\n"
	"names runs them in this order. The catalog is the folder TCPFAULT_SCENARIOS if set, else\n"
	"the installed one (the source tree's when run from the build tree).\n"
	"\n"
	"  -a, --all                 the examples too, after the catalog: scenarios with real\n"
	"                            programs (curl, socat), from the folder TCPFAULT_EXAMPLES if\n"
	"                            set, else the installed one; run and explain take their names\n"
	"\n"
	"Exit status: 0, or 2 if a file does not parse or a catalog file names no mode (its error\n"
	"is printed).\n";

static const char check_help[] =
	"Usage: tcpfault check FILE...\n"
	"\n"
	"Parses scenario files without running them (no privilege needed). Prints\n"
	"\"FILE: ok (MODE, N steps)\" for each good file and \"FILE:LINE:COL: message\" on standard\n"
	"error for each bad one. Also refused: what could only fail when run (an operation started\n"
	"with '&' that no line awaits, a 'within' as long as the file's timeout, a program found\n"
	"nowhere, a call tcpfault never reports). The language is described in\n"
	"tcpfault-scenario(5).\n"
	"\n"
	"Exit status: 0 all files parse, 2 at least one does not.\n";

static int usage_error(const char *fmt, const char *arg)
{
	fprintf(stderr, "tcpfault: ");
	fprintf(stderr, fmt, arg);
	fprintf(stderr, "\nTry 'tcpfault --help'.\n");
	return EXIT_USAGE;
}

/* True if the running executable is the one in the build tree (then the source tree's
 * catalog and the build tree's peer are used). */
static bool in_build_tree(void)
{
	char exe[PATH_MAX], want[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);

	if (n < 0)
		return false;
	exe[n] = 0;
	char *slash = strrchr(TCPFAULT_BUILD_PEER, '/');
	/* build/peers/tcpfault-peer -> build/harness/tcpfault */
	snprintf(want, sizeof want, "%.*s/../harness/tcpfault", (int)(slash - TCPFAULT_BUILD_PEER), TCPFAULT_BUILD_PEER);
	char *real = realpath(want, NULL);
	bool same = real && strcmp(real, exe) == 0;
	free(real);
	return same;
}

static const char *catalog_dir(void)
{
	const char *env = getenv("TCPFAULT_SCENARIOS");
	if (env && *env)
		return env;
	return in_build_tree() ? TCPFAULT_SOURCE_SCENARIOS : TCPFAULT_DATADIR "/scenarios";
}

static const char *peer_path(void)
{
	const char *env = getenv("TCPFAULT_PEER");
	if (env && *env)
		return env;
	return in_build_tree() ? TCPFAULT_BUILD_PEER : TCPFAULT_LIBEXECDIR "/tcpfault-peer";
}

static int by_name(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static void free_strv(char **v, int n)
{
	for (int i = 0; v && i < n; i++)
		free(v[i]);
	free(v);
}

/* The examples: scenarios with real programs, installed beside the catalog (the source tree's
 * when run from the build tree); TCPFAULT_EXAMPLES names another folder. */
static const char *examples_dir(void)
{
	const char *env = getenv("TCPFAULT_EXAMPLES");
	if (env && *env)
		return env;
	return in_build_tree() ? TCPFAULT_SOURCE_SCENARIOS "/examples" : TCPFAULT_DATADIR "/examples";
}

/* The .tcpf files of dir, sorted. Returns the count or -errno: a folder that cannot be read
 * whole (more than MAX_SCENARIOS files: -E2BIG; out of memory; a failed readdir) is an error,
 * never a shorter list. */
static int folder_files(const char *dir, char ***ret)
{
	DIR *d = opendir(dir);
	char **v = NULL;
	int n = 0, r = 0;

	if (!d)
		return -errno;
	for (;;) {
		errno = 0;
		struct dirent *e = readdir(d);
		if (!e) {
			r = -errno;
			break;
		}
		size_t len = strlen(e->d_name);
		if (len < 6 || strcmp(e->d_name + len - 5, ".tcpf") != 0)
			continue;
		if (n == MAX_SCENARIOS) {
			r = -E2BIG;
			break;
		}
		char **g = realloc(v, (size_t)(n + 1) * sizeof *g);
		if (!g || asprintf(&g[n], "%s/%s", dir, e->d_name) < 0) {
			v = g ? g : v;
			r = -ENOMEM;
			break;
		}
		v = g;
		n++;
	}
	closedir(d);
	if (r < 0) {
		free_strv(v, n);
		return r;
	}
	qsort(v, (size_t)n, sizeof *v, by_name);
	*ret = v;
	return n;
}

/* Says why a folder of scenarios could not be read (folder_files()'s error). */
static void folder_error(const char *what, const char *dir, int e)
{
	if (e == -E2BIG)
		fprintf(stderr, "tcpfault: the %s folder %s holds more than %d scenario files\n", what, dir, MAX_SCENARIOS);
	else
		fprintf(stderr, "tcpfault: the %s folder %s: %s\n", what, dir, strerror(-e));
}

/* Loads path, a scenario of the catalog when catalog is set (then it must name its mode), whose
 * programs must exist when programs is set (check, run: not list); says why not on stderr. */
static int load(const char *path, bool catalog, bool programs, struct scenario **ret)
{
	char err[1024];
	int r = scenario_load(path, ret, err, sizeof err);

	if (r >= 0 && ((catalog && (r = scenario_check_catalog(*ret, err, sizeof err)) < 0) ||
		       (programs && (r = scenario_check_programs(*ret, err, sizeof err)) < 0))) {
		scenario_free(*ret);
		*ret = NULL;
	}
	if (r < 0)
		fprintf(stderr, "%s\n", err);
	return r;
}

/* NAME or FILE -> a path. A word without '/' that is not an existing file is a catalog name,
 * else an example's name; *ret_catalog says which came from the catalog. */
static char *resolve(const char *arg, bool *ret_catalog)
{
	const char *dirs[] = { catalog_dir(), examples_dir() };
	struct stat st;
	char *p;

	*ret_catalog = false;
	if (strchr(arg, '/') || stat(arg, &st) == 0)
		return strdup(arg);
	for (int i = 0; i < 2; i++) {
		if (asprintf(&p, "%s/%s.tcpf", dirs[i], arg) < 0)
			return NULL;
		if (stat(p, &st) == 0) {
			*ret_catalog = i == 0;
			return p;
		}
		free(p);
	}
	return NULL;
}

/* One line of 'tcpfault list': a scenario of the catalog, or an example. */
struct list_entry {
	char *path;
	char name[64], mode[8], summary[256];
	bool example;
};

/* List order: the catalog, by section letter, then the mode's number (B2 before B10), then the
 * name; then the examples, by name. */
static int by_mode(const void *a, const void *b)
{
	const struct list_entry *x = a, *y = b;
	long nx = strtol(x->mode + 1, NULL, 10), ny = strtol(y->mode + 1, NULL, 10);

	if (x->example != y->example)
		return x->example ? 1 : -1;
	if (x->example)
		return strcmp(x->name, y->name);
	if (x->mode[0] != y->mode[0])
		return x->mode[0] < y->mode[0] ? -1 : 1;
	if (nx != ny)
		return nx < ny ? -1 : 1;
	return strcmp(x->name, y->name);
}

/* The sections of failure-modes.md; a mode id starts with one of these letters. */
static const char *section_title(char letter)
{
	switch (letter) {
	case 'A': return "A. Establishing a connection";
	case 'B': return "B. While data flows";
	case 'C': return "C. Closing";
	case 'D': return "D. Timeouts and misuse";
	}
	return "Other";
}

static void free_entries(struct list_entry *v, int n)
{
	for (int i = 0; v && i < n; i++)
		free(v[i].path);
	free(v);
}

/* The catalog (and with all the examples too) in list order, each file parsed: the count, or
 * -1 when a folder cannot be read (said on stderr). *ret_bad: a file did not parse (said on
 * stderr, left out). */
static int list_entries(bool all, struct list_entry **ret, bool *ret_bad)
{
	struct list_entry *v = NULL;
	int count = 0;

	*ret_bad = false;
	for (int k = 0; k < 1 + all; k++) {
		const char *dir = k ? examples_dir() : catalog_dir();
		char **files = NULL;
		int n = folder_files(dir, &files);
		if (n == -ENOENT && k == 1)
			continue;        /* installed without its examples: none to list */
		if (n < 0) {
			folder_error(k ? "examples" : "catalog", dir, n);
			free_entries(v, count);
			return -1;
		}
		struct list_entry *g = realloc(v, ((size_t)count + (size_t)n + 1) * sizeof *g);
		if (!g) {
			free_strv(files, n);
			free_entries(v, count);
			fprintf(stderr, "tcpfault: out of memory\n");
			return -1;
		}
		v = g;
		for (int i = 0; i < n; i++) {
			struct scenario *s;
			if (load(files[i], k == 0, false, &s) < 0) {
				*ret_bad = true;
				free(files[i]);
				continue;
			}
			struct list_entry *e = &v[count++];
			*e = (struct list_entry){ .path = files[i], .example = k == 1 };
			snprintf(e->name, sizeof e->name, "%s", s->name);
			snprintf(e->mode, sizeof e->mode, "%s", s->mode);
			snprintf(e->summary, sizeof e->summary, "%s", s->summary);
			scenario_free(s);
		}
		free(files);
	}
	qsort(v, (size_t)count, sizeof *v, by_mode);
	*ret = v;
	return count;
}

static int cmd_list(bool all)
{
	struct list_entry *v;
	bool bad;
	int count = list_entries(all, &v, &bad);

	if (count < 0)
		return EXIT_USAGE;
	int width = 24;           /* names line up, however long the longest */
	for (int i = 0; i < count; i++)
		if ((int)strlen(v[i].name) > width)
			width = (int)strlen(v[i].name);
	for (int i = 0; i < count; i++) {
		if (v[i].example && (i == 0 || !v[i - 1].example))
			printf("%sExamples (real programs; %s)\n", i ? "\n" : "", examples_dir());
		else if (!v[i].example && (i == 0 || v[i].mode[0] != v[i - 1].mode[0]))
			printf("%s%s\n", i ? "\n" : "", section_title(v[i].mode[0]));
		printf("  %-*s %-4s %s\n", width, v[i].name, v[i].mode[0] ? v[i].mode : "-", v[i].summary);
	}
	free_entries(v, count);
	return bad ? EXIT_USAGE : EXIT_PASS;
}

/* The words of a command that takes no option but -h, anywhere: the others (before '--', and
 * all after it) into files; 1 if help was asked for, -1 (said) for an unknown option. */
static int plain_args(int argc, char **argv, const char **files, int *ret_n)
{
	bool ended = false;
	int n = 0;

	for (int i = 0; i < argc; i++) {
		if (!ended && strcmp(argv[i], "--") == 0)
			ended = true;
		else if (!ended && (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0))
			return 1;
		else if (!ended && argv[i][0] == '-' && argv[i][1])
			return usage_error("unknown option '%s'", argv[i]), -1;
		else
			files[n++] = argv[i];
	}
	*ret_n = n;
	return 0;
}

static int cmd_check(int argc, char **argv)
{
	const char **files = calloc((size_t)argc + 1, sizeof *files);
	int bad = 0, n = 0, r;

	if (!files) {
		fprintf(stderr, "tcpfault: %s\n", strerror(ENOMEM));
		return EXIT_USAGE;
	}
	if ((r = plain_args(argc, argv, files, &n)) != 0 || n == 0) {
		free(files);
		if (r == 1)
			fputs(check_help, stdout);
		return r == 1 ? EXIT_PASS : r < 0 ? EXIT_USAGE : usage_error("%s", "check needs at least one FILE");
	}
	for (int i = 0; i < n; i++) {
		struct scenario *s;
		if (load(files[i], false, true, &s) < 0) {
			bad = 1;
			continue;
		}
		printf("%s: ok (%s, %zu steps)\n", files[i], s->mode[0] ? s->mode : "no mode", s->nsteps);
		scenario_free(s);
	}
	free(files);
	return bad ? EXIT_USAGE : EXIT_PASS;
}

/* The first line of a /proc/sys file as a number; -1 if it cannot be read. */
static long sysctl_value(const char *path)
{
	char buf[32] = "";
	FILE *f = fopen(path, "re");

	if (!f)
		return -1;
	if (!fgets(buf, sizeof buf, f))
		buf[0] = 0;
	fclose(f);
	return buf[0] ? strtol(buf, NULL, 10) : -1;
}

/* Says which knob forbids unprivileged user namespaces here, and how to allow them. */
static void userns_advice(void)
{
	bool named = false;

	if (sysctl_value("/proc/sys/kernel/apparmor_restrict_unprivileged_userns") == 1) {
		fprintf(stderr, "  - AppArmor restricts unprivileged user namespaces "
			"(kernel.apparmor_restrict_unprivileged_userns = 1, Ubuntu 23.10 and later).\n"
			"    Allow them: sysctl -w kernel.apparmor_restrict_unprivileged_userns=0, or give\n"
			"    tcpfault an AppArmor profile with the 'userns,' rule.\n");
		named = true;
	}
	if (sysctl_value("/proc/sys/kernel/unprivileged_userns_clone") == 0) {
		fprintf(stderr, "  - kernel.unprivileged_userns_clone = 0 (a Debian kernel switch).\n"
			"    Allow them: sysctl -w kernel.unprivileged_userns_clone=1\n");
		named = true;
	}
	if (sysctl_value("/proc/sys/user/max_user_namespaces") == 0) {
		fprintf(stderr, "  - user.max_user_namespaces = 0: no user namespace may be made.\n"
			"    Allow them: sysctl -w user.max_user_namespaces=10000\n");
		named = true;
	}
	if (!named)
		fprintf(stderr, "  - none of the usual switches is set (kernel.apparmor_restrict_unprivileged_userns,\n"
			"    kernel.unprivileged_userns_clone, user.max_user_namespaces): a container's seccomp\n"
			"    filter, an LSM, or a user namespace limit may forbid it. Or run tcpfault as root.\n");
	else
		fprintf(stderr, "  Or run tcpfault as root.\n");
}

/* Moves the controller into namespaces of its own. Without root, a user namespace first. */
static int isolate(void)
{
	uid_t uid = geteuid();
	gid_t gid = getegid();

	if (uid == 0 && unshare(CLONE_NEWNET) == 0)
		return 0;
	if (unshare(CLONE_NEWUSER | CLONE_NEWNET) < 0) {
		int e = errno;
		fprintf(stderr, "tcpfault: cannot create a network namespace: %s.\n"
			"tcpfault needs root, or unprivileged user namespaces, which this machine forbids:\n",
			strerror(e));
		userns_advice();
		return -e;
	}
	char map[64];
	int fd, len;
	if ((fd = open("/proc/self/setgroups", O_WRONLY | O_CLOEXEC)) >= 0) {
		if (write(fd, "deny", 4) < 0) { /* old kernels lack it; the gid map says if it mattered */ }
		close(fd);
	}
	const char *files[] = { "/proc/self/uid_map", "/proc/self/gid_map" };
	unsigned ids[] = { uid, gid };
	for (int i = 0; i < 2; i++) {
		len = snprintf(map, sizeof map, "0 %u 1\n", ids[i]);
		fd = open(files[i], O_WRONLY | O_CLOEXEC);
		if (fd < 0 || write(fd, map, (size_t)len) != len) {
			int e = errno;
			fprintf(stderr, "tcpfault: writing %s: %s\n", files[i], strerror(e));
			userns_advice();
			if (fd >= 0)
				close(fd);
			return -e;
		}
		close(fd);
	}
	return 0;
}

struct job {
	struct scenario *s;
	int family;
	pid_t pid;
	int fd;
	char *buf;
	size_t len;
	int64_t deadline_ms;
	int limit_ms;                     /* the run's time limit: --timeout, else the file's */
	struct result *result;
	unsigned run;                     /* 1..repeat */
	size_t pos;                       /* its place in the report */
};

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


static int start_job(struct job *j, const struct run_options *base)
{
	int p[2];

	if (pipe2(p, O_CLOEXEC) < 0)
		return -errno;
	fflush(NULL);
	/* The child learns whether the controller died before PDEATHSIG was armed by polling
	 * this pidfd (getppid() says nothing across a PID namespace). */
	int parent = (int)syscall(SYS_pidfd_open, getpid(), 0);
	if (parent < 0) {
		int e = errno;
		close(p[0]);
		close(p[1]);
		return -e;
	}
	/* Each worker is the init of a PID namespace of its own where it can be: when it dies,
	 * the kernel ends everything started under it, even a program's daemonised grandchild
	 * that escaped its process group. Where that is not allowed, a plain fork. */
	pid_t pid = (pid_t)syscall(SYS_clone, CLONE_NEWPID | SIGCHLD, NULL, NULL, NULL, NULL);
	if (pid < 0 && (errno == EPERM || errno == EINVAL))
		pid = fork();
	int clone_errno = errno;
	if (pid != 0)
		close(parent);
	if (pid < 0) {
		close(p[0]);
		close(p[1]);
		return -clone_errno;
	}
	if (pid == 0) {
		/* A controller killed before PDEATHSIG was armed leaves us orphaned: end at once. */
		if (prctl(PR_SET_PDEATHSIG, SIGKILL) < 0 ||
		    poll(&(struct pollfd){ .fd = parent, .events = POLLIN }, 1, 0) != 0)
			_exit(1);
		close(parent);
		close(p[0]);
		struct run_options o = *base;
		o.family = j->family;
		o.run = j->run;
		struct result *res = runner_run(j->s, &o);
		json_object *json;
		if (!res || result_to_json(res, &json) < 0)
			_exit(1);
		const char *txt = json_object_to_json_string_ext(json, JSON_C_TO_STRING_PLAIN);
		size_t len = strlen(txt), off = 0;
		while (off < len) {
			ssize_t n = write(p[1], txt + off, len - off);
			if (n <= 0)
				_exit(1);
			off += (size_t)n;
		}
		_exit(0);
	}
	close(p[1]);
	j->pid = pid;
	j->fd = p[0];
	/* The runner bounds itself; this is the bound for a runner that cannot. */
	j->limit_ms = base->timeout_ms ? base->timeout_ms : j->s->timeout_ms;
	j->deadline_ms = clock_us() / 1000 + j->limit_ms + 15000;
	return 0;
}

/* What the controller knows of a run whose worker gave no result; NULL if out of memory. */
static struct result *error_result(const struct job *j, const char *why)
{
	struct result *r;

	if (result_new(j->s->name, j->s->mode, j->family == AF_INET6 ? "inet6" : "inet", NULL, j->s->summary, &r) < 0)
		return NULL;
	r->partial = true;
	if (result_failure(r, why) < 0) {
		result_free(r);
		return NULL;
	}
	result_finish(r, RESULT_ERROR, 0, 0);
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

static void finish_job(struct job *j, bool timed_out)
{
	int status = 0;
	char why[4400];

	if (timed_out)
		kill(j->pid, SIGKILL);
	waitpid(j->pid, &status, 0);
	close(j->fd);
	j->fd = -1;
	if (timed_out) {
		snprintf(why, sizeof why, "%s: the run exceeded its time limit (%d ms) and was stopped",
			 j->s->path, j->limit_ms);
		j->result = error_result(j, why);
	} else if (!j->buf || parse_result(j->buf, &j->result) < 0) {
		if (j->buf && WIFEXITED(status) && WEXITSTATUS(status) == 0)
			snprintf(why, sizeof why, "%s: the worker's result is malformed", j->s->path);
		else if (WIFSIGNALED(status))
			snprintf(why, sizeof why, "%s: the worker died of %s", j->s->path, signal_name(WTERMSIG(status)));
		else
			snprintf(why, sizeof why, "%s: the worker ended with status %d and no result",
				 j->s->path, WEXITSTATUS(status));
		j->result = error_result(j, why);
	}
	free(j->buf);
	j->buf = NULL;
}

/* Runs all jobs, at most njobs at once. */
static void run_jobs(struct job *jobs, size_t n, unsigned njobs, const struct run_options *o)
{
	size_t next = 0, done = 0;
	unsigned running = 0;

	while (done < n) {
		while (running < njobs && next < n) {
			int e = start_job(&jobs[next], o);
			if (e < 0) {
				char why[128];
				snprintf(why, sizeof why, "starting a worker: %s", strerror(-e));
				jobs[next].result = error_result(&jobs[next], why);
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
				if (jobs[i].deadline_ms < soonest)
					soonest = jobs[i].deadline_ms;
			}
		if (nf == 0)
			continue;
		int64_t wait = soonest - clock_us() / 1000;
		poll(fds, nf, wait < 0 ? 0 : wait > 1000 ? 1000 : (int)wait);
		for (nfds_t k = 0; k < nf; k++) {
			struct job *j = &jobs[idx[k]];
			if (fds[k].revents) {
				char chunk[65536];
				ssize_t r = read(j->fd, chunk, sizeof chunk);
				if (r > 0) {
					char *g = realloc(j->buf, j->len + (size_t)r + 1);
					if (g) {
						memcpy(g + j->len, chunk, (size_t)r);
						j->len += (size_t)r;
						g[j->len] = 0;
						j->buf = g;
					}
					continue;
				}
				if (r < 0 && errno == EINTR)
					continue;
				finish_job(j, false);
			} else if (clock_us() / 1000 > j->deadline_ms) {
				finish_job(j, true);
			} else {
				continue;
			}
			running--;
			done++;
		}
	}
}

/* --pcap-dir: a directory we can write into (made if missing), where no two scenarios run in
 * the same family would write the same NAME-FAMILY.pcap. Says why not on stderr; -1. */
static int check_pcap_dir(const char *dir, struct scenario *const *sc, int n, unsigned families)
{
	struct stat st;

	if (mkdir(dir, 0755) < 0 && errno != EEXIST) {
		fprintf(stderr, "tcpfault: --pcap-dir: creating %s: %s\n", dir, strerror(errno));
		return -1;
	}
	if (stat(dir, &st) < 0) {
		fprintf(stderr, "tcpfault: --pcap-dir %s: %s\n", dir, strerror(errno));
		return -1;
	}
	if (!S_ISDIR(st.st_mode)) {
		fprintf(stderr, "tcpfault: --pcap-dir %s: not a directory\n", dir);
		return -1;
	}
	/* A file made and removed: access() would let root through where writing fails (a
	 * read-only mount, sysfs). */
	char probe[PATH_MAX];
	int fd = -1;
	if (snprintf(probe, sizeof probe, "%s/.tcpfault-XXXXXX", dir) >= (int)sizeof probe)
		errno = ENAMETOOLONG;
	else
		fd = mkstemp(probe);
	if (fd < 0) {
		fprintf(stderr, "tcpfault: --pcap-dir %s: cannot write into it: %s\n", dir, strerror(errno));
		return -1;
	}
	close(fd);
	unlink(probe);
	for (int i = 0; i < n; i++)
		for (int k = i + 1; k < n; k++) {
			unsigned both = sc[i]->families & sc[k]->families & families;
			if (both && strcmp(sc[i]->path, sc[k]->path) == 0) {
				fprintf(stderr, "tcpfault: --pcap-dir: %s is given twice: its runs would write the same "
					"captures\n", sc[i]->path);
				return -1;
			}
			if (both && strcmp(sc[i]->name, sc[k]->name) == 0) {
				fprintf(stderr, "tcpfault: --pcap-dir: %s and %s are both named '%s': their captures "
					"would overwrite each other (%s/%s-%s.pcap); rename one\n", sc[i]->path,
					sc[k]->path, sc[i]->name, dir, sc[i]->name, both & FAMILY_INET ? "inet" : "inet6");
				return -1;
			}
		}
	return 0;
}

static int cmd_run(int argc, char **argv, bool explain)
{
	static const struct option opts[] = {
		{ "format", required_argument, NULL, 'f' },
		{ "output", required_argument, NULL, 'o' },
		{ "pcap-dir", required_argument, NULL, 'P' },
		{ "jobs", required_argument, NULL, 'j' },
		{ "family", required_argument, NULL, 'F' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "repeat", required_argument, NULL, 'R' },
		{ "shard", required_argument, NULL, 'S' },
		{ "timeout", required_argument, NULL, 'T' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	struct report_options ro = { .repeat = 1 };
	unsigned shard_k = 1, shard_n = 1;
	struct run_options o = { .peer_path = peer_path() };
	int format = REPORT_TEXT, c;
	long njobs = sysconf(_SC_NPROCESSORS_ONLN);
	unsigned families = FAMILY_INET | FAMILY_INET6;
	const char *output = NULL;

	optind = 1;
	opterr = 0; /* our own message below names the option and the command */
	/* Options anywhere on the line ('run FILE -v'), as GNU getopt permutes them; '--' ends
	 * them (a file named '-v' comes after it). */
	while ((c = getopt_long(argc, argv, "f:o:j:vh", opts, NULL)) != -1) {
		char *end;
		switch (c) {
		case 'f':
			if ((format = report_format_from_name(optarg)) < 0)
				return usage_error("unknown format '%s' (text, json, junit, tap, html or mermaid)", optarg);
			break;
		case 'o':
			output = optarg;
			break;
		case 'P':
			o.pcap_dir = optarg;
			break;
		case 'j':
			njobs = strtol(optarg, &end, 10);
			if (*end || njobs < 1 || njobs > 64)
				return usage_error("--jobs takes a number from 1 to 64, not '%s'", optarg);
			break;
		case 'F':
			families = strcmp(optarg, "inet") == 0 ? FAMILY_INET : strcmp(optarg, "inet6") == 0 ? FAMILY_INET6 :
				   strcmp(optarg, "both") == 0 ? FAMILY_INET | FAMILY_INET6 : 0;
			if (!families)
				return usage_error("--family takes inet, inet6 or both, not '%s'", optarg);
			break;
		case 'v':
			o.verbose = true;
			break;
		case 'R': {
			long n = strtol(optarg, &end, 10);
			if (end == optarg || *end || n < 1 || n > 1000)
				return usage_error("--repeat takes a number from 1 to 1000, not '%s'", optarg);
			ro.repeat = o.runs = (unsigned)n;
			break;
		}
		case 'S': {
			char *slash;
			long k = strtol(optarg, &slash, 10), n = 0;
			if (slash != optarg && *slash == '/' && slash[1] >= '0' && slash[1] <= '9')
				n = strtol(slash + 1, &end, 10);
			if (n < 1 || n > 10000 || *end || k < 1 || k > n)
				return usage_error("--shard takes K/N with 1 <= K <= N <= 10000 (as 2/4), not '%s'", optarg);
			shard_k = (unsigned)k;
			shard_n = (unsigned)n;
			break;
		}
		case 'T':
			if (scenario_duration(optarg, &o.timeout_ms) < 0 || o.timeout_ms == 0)
				return usage_error("--timeout takes a duration such as 500ms, 10s or 2m (at most 60m), not '%s'", optarg);
			break;
		case 'h':
			fputs(explain ? explain_help : run_help, stdout);
			return EXIT_PASS;
		default:
			return usage_error("unknown option '%s', or one that lacks its value", argv[optind - 1]);
		}
	}
	if (njobs > 64)
		njobs = 64; /* run_jobs polls at most 64 workers */
	if (njobs < 1)
		njobs = 1;
	if (explain && argc - optind != 1)
		return usage_error("%s", "explain takes exactly one NAME or FILE");

	/* No names: the catalog in the order 'tcpfault list' shows it; names: in their order. */
	char **paths = NULL;
	bool *in_catalog = NULL;
	int npaths;
	if (optind == argc) {
		struct list_entry *v;
		bool bad;
		if ((npaths = list_entries(false, &v, &bad)) < 0)
			return EXIT_USAGE;
		paths = calloc((size_t)npaths + 1, sizeof *paths);
		in_catalog = calloc((size_t)npaths + 1, sizeof *in_catalog);
		for (int i = 0; paths && in_catalog && i < npaths; i++) {
			paths[i] = v[i].path;
			v[i].path = NULL;
			in_catalog[i] = true;
		}
		free_entries(v, npaths);
		if (bad || !paths || !in_catalog) {
			if (!bad)
				fprintf(stderr, "tcpfault: %s\n", strerror(ENOMEM));
			free_strv(paths, npaths);
			free(in_catalog);
			return EXIT_USAGE;
		}
	} else {
		npaths = argc - optind;
		paths = calloc((size_t)npaths, sizeof *paths);
		in_catalog = calloc((size_t)npaths, sizeof *in_catalog);
		if (!paths || !in_catalog) {
			fprintf(stderr, "tcpfault: %s\n", strerror(ENOMEM));
			free(paths);
			free(in_catalog);
			return EXIT_USAGE;
		}
		for (int i = 0; i < npaths; i++)
			if (!(paths[i] = resolve(argv[optind + i], &in_catalog[i]))) {
				fprintf(stderr, "tcpfault: no scenario file, catalog entry or example named '%s' "
					"('tcpfault list --all' shows them)\n", argv[optind + i]);
				free_strv(paths, npaths);
				free(in_catalog);
				return EXIT_USAGE;
			}
	}
	struct scenario **sc = calloc((size_t)npaths + 1, sizeof *sc);
	struct job *jobs = calloc(2 * (size_t)npaths * ro.repeat + 1, sizeof *jobs);
	size_t njob = 0;
	int rc = EXIT_PASS;
	if (!sc || !jobs) {
		fprintf(stderr, "tcpfault: %s\n", strerror(ENOMEM));
		free(sc);
		free(jobs);
		free_strv(paths, npaths);
		free(in_catalog);
		return EXIT_USAGE;
	}
	for (int i = 0; i < npaths; i++)
		if (load(paths[i], in_catalog[i], true, &sc[i]) < 0)
			rc = EXIT_USAGE;
	if (rc == EXIT_PASS && o.pcap_dir && check_pcap_dir(o.pcap_dir, sc, npaths, families) < 0)
		rc = EXIT_USAGE;
	/* Filters that leave no run: --family against every file's 'family' is a mistake; --shard
	 * past the end of the job list is not (a CI matrix wider than the list) and runs nothing. */
	size_t selected = 0;
	for (int i = 0; rc == EXIT_PASS && i < npaths; i++)
		selected += !!(sc[i]->families & families & FAMILY_INET) + !!(sc[i]->families & families & FAMILY_INET6);
	if (rc == EXIT_PASS && npaths > 0 && selected == 0) {
		fprintf(stderr, "tcpfault: nothing to run: --family %s leaves no run of the scenarios given:\n",
			families == FAMILY_INET ? "inet" : "inet6");
		for (int i = 0; i < npaths; i++)
			fprintf(stderr, "  %s: family %s\n", sc[i]->path, sc[i]->families == FAMILY_INET ? "inet" : "inet6");
		rc = EXIT_USAGE;
	}
	bool no_job = rc == EXIT_PASS && selected < shard_k;
	if (no_job && npaths > 0)
		fprintf(stderr, "tcpfault: note: --shard %u/%u: nothing to run in this shard (%zu job%s in all)\n",
			shard_k, shard_n, selected, selected == 1 ? "" : "s");
	FILE *out = stdout;
	if (rc == EXIT_PASS && output && !(out = fopen(output, "we"))) {
		fprintf(stderr, "tcpfault: writing %s: %s\n", output, strerror(errno));
		rc = EXIT_USAGE;
	}
	/* No job (an empty shard or catalog): no namespace needed; the report is empty. */
	if (rc == EXIT_PASS && !no_job && isolate() < 0)
		rc = EXIT_MISSING;
	if (rc != EXIT_PASS)
		goto out;
	if (!no_job) {
		/* In the controller's own namespace now: the runs' namespaces get small TCP hash
		 * tables of their own. Only speed depends on it (kernels before 6.1 lack it), so a
		 * failure is no error. */
		netns_own_hashes(1024);
		/* Probed once here (a scratch namespace, and the kernel's module loader when netem
		 * is missing): the workers inherit the answer. */
		netns_netem_available();
	}
	/* The job list: scenario x family in catalog order; --shard keeps every N-th from K-1,
	 * then --repeat copies each kept job, so all runs of one job land in one shard. */
	size_t index = 0;
	for (int i = 0; i < npaths; i++)
		for (int f = 0; f < 2; f++)
			if ((sc[i]->families & families) & (1u << f) && index++ % shard_n == shard_k - 1)
				for (unsigned k = 1; k <= ro.repeat; k++)
					jobs[njob++] = (struct job){ .s = sc[i], .family = f ? AF_INET6 : AF_INET, .fd = -1,
								     .run = k };
	for (size_t i = 0; i < njob; i++)
		jobs[i].pos = i;
	qsort(jobs, njob, sizeof *jobs, by_floor);
	run_jobs(jobs, njob, (unsigned)njobs, &o);
	qsort(jobs, njob, sizeof *jobs, by_pos);
	struct result **results = calloc(njob ? njob : 1, sizeof *results);
	size_t nres = 0;
	/* 1 if anything failed or broke; 3 if the only trouble is a capability this machine lacks. */
	bool broke = !results, missing = false;
	for (size_t i = 0; results && i < njob; i++) {
		struct result *r = jobs[i].result;
		if (!r) {   /* no memory even for an error result: the run counts as broken */
			broke = true;
			continue;
		}
		if (*r->missing)
			missing = true;
		else if (r->verdict != RESULT_PASS)
			broke = true;
		if (ro.repeat > 1)
			r->run = jobs[i].run;
		for (unsigned h = 0; h < jobs[i].s->nhosts; h++)
			result_add_host(r, jobs[i].s->hosts[h]);   /* the diagrams' column order */
		results[nres++] = r;
	}
	rc = broke ? EXIT_FAIL : missing ? EXIT_MISSING : rc;
	ro.verbose = o.verbose;
	ro.explain = explain;
	ro.color = report_color_wanted(out);
	ro.pcap_dir = o.pcap_dir;
	if (results)
		report_write(out, (enum report_format)format, results, nres, &ro);
	int summary = results ? report_step_summary(results, nres, &ro) : 0;
	if (summary < 0)
		fprintf(stderr, "tcpfault: GITHUB_STEP_SUMMARY %s: %s\n", getenv("GITHUB_STEP_SUMMARY"), strerror(-summary));
	free(results);
	for (size_t i = 0; i < njob; i++)
		result_free(jobs[i].result);
out:
	if (out && out != stdout)
		fclose(out);
	for (int i = 0; i < npaths; i++)
		scenario_free(sc[i]);
	free(sc);
	free(jobs);
	free_strv(paths, npaths);
	free(in_catalog);
	return rc;
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		fputs(usage_text, stderr);
		return EXIT_USAGE;
	}
	const char *cmd = argv[1];
	if (strcmp(cmd, "-h") == 0 || strcmp(cmd, "--help") == 0 || strcmp(cmd, "help") == 0) {
		fputs(usage_text, stdout);
		return EXIT_PASS;
	}
	if (strcmp(cmd, "--version") == 0) {
		printf("tcpfault %s\n", TCPFAULT_VERSION);
		return EXIT_PASS;
	}
	/* A reader that goes away (tcpfault list | head) ends the output, not the program. */
	signal(SIGPIPE, SIG_IGN);
	if (strcmp(cmd, "list") == 0) {
		bool all = false;
		for (int i = 2; i < argc; i++) {
			if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0) {
				fputs(list_help, stdout);
				return EXIT_PASS;
			}
			if (strcmp(argv[i], "-a") && strcmp(argv[i], "--all"))
				return usage_error("list takes only --all, not '%s'", argv[i]);
			all = true;
		}
		return cmd_list(all);
	}
	if (strcmp(cmd, "check") == 0)
		return cmd_check(argc - 2, argv + 2);
	if (strcmp(cmd, "run") == 0)
		return cmd_run(argc - 1, argv + 1, false);
	if (strcmp(cmd, "explain") == 0)
		return cmd_run(argc - 1, argv + 1, true);
	return usage_error("unknown command '%s' (list, run, explain, check)", cmd);
}
