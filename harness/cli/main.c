/* SPDX-License-Identifier: MIT */
/*
 * tcpfault: the command line. list, run, explain, check: their options, the files they take,
 * the report and the exit status (cli.h lists the other parts).
 *
 * Before any sandbox is made, the controller moves into a network namespace of its own
 * (isolate.c), so nothing it does can reach the host's network configuration even by mistake.
 * Each scenario run happens in a worker (jobs.c); the report keeps the order of the files.
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

#include "cli.h"

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
	"  sweep [--server CMD] --port N [--client CMD] [OPTIONS]\n"
	"                            put your client and server through every fault, at every\n"
	"                            moment, and report per cell: detected, hung, unaffected\n"
	"\n"
	"'tcpfault COMMAND --help' shows a command's options; man tcpfault and man 5\n"
	"tcpfault-scenario tell the rest.\n"
	"\n"
	"  -h, --help                this text\n"
	"      --version             the version\n"
	"\n"
	"Exit status: 0 all passed, 1 a scenario failed or could not run, 2 bad usage or a bad\n"
	"scenario file, 3 this machine lacks something tcpfault needs (the message says what;\n"
	"the runs that need it are skipped, none failed).\n"
	"Environment: TCPFAULT_SCENARIOS (catalog folder), TCPFAULT_EXAMPLES (examples folder),\n"
	"TCPFAULT_PEER (the peer program), TCPFAULT_REUSE (0: a new sandbox for every run),\n"
	"TCPFAULT_TIMINGS (set: each run's time per part on stderr), NO_COLOR (no colours even\n"
	"on a terminal), GITHUB_STEP_SUMMARY (a file a Markdown summary of every run is appended\n"
	"to).\n";

#define RUN_OPTIONS_TEXT \
	"Options:\n" \
	"  -f, --format text|json|junit|tap|html|mermaid\n" \
	"                            report format (default text): json carries every field;\n" \
	"                            junit is JUnit XML for CI; tap is TAP version 14; html is one\n" \
	"                            page with a ladder per run; mermaid is Markdown diagrams\n" \
	"  -o, --output FILE         write the report to FILE instead of standard output (whole,\n" \
	"                            or not at all: an old FILE stays; never through a link)\n" \
	"      --pcap-dir DIR        write one capture per scenario and family (and run, with\n" \
	"                            --repeat) into DIR: every host's link, each packet once\n" \
	"      --snaplen N           bytes kept of each packet, 96 to 262144 (default 1600: a\n" \
	"                            1500-byte segment whole; 256 in a run with a SYN flood)\n" \
	"  -j, --jobs N              scenarios run in parallel, 1 to 64 (default: one per CPU, plus\n" \
	"                            what the runs' timer waits need to overlap: see tcpfault(1))\n" \
	"      --family inet|inet6|both\n" \
	"                            address families to run (default both; explain: one)\n" \
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
	"      --observe auto|shim|trace|none\n" \
	"                            who observes the own socket calls of the programs of exec\n" \
	"                            steps that name none ('observe MODE'; default auto)\n" \
	"      --privileged-programs exec'd programs run with tcpfault's own privileges (as root:\n" \
	"                            the host's root) instead of confined; a warning on stderr\n" \
	"                            and in each result's notes\n" \
	"  -h, --help                this text\n" \
	"\n" \
	"Exit status: 0 all passed, 1 a scenario failed or could not run, 2 bad usage or a bad\n" \
	"scenario file, 3 this machine lacks something tcpfault needs (the message says what;\n" \
	"the runs that need it are skipped, none failed);\n" \
	"129, 130, 143: stopped by SIGHUP, SIGINT, SIGTERM (the report lists the runs not run).\n"

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
	"Runs one scenario in one address family (IPv4 unless it says 'family inet6'; --family\n"
	"inet6 or both for the other) and narrates the run: a ladder diagram with the client's\n"
	"lifeline on the left and the server's on the right, every packet an arrow between them (tcpdump flags,\n"
	"relative seq and ack), every syscall and its result (\"send = -1 EPIPE\") and every\n"
	"injected fault (\"*** kill SIGKILL ***\") under the host that made it, times in ms; then\n"
	"the folklore claim, what Linux did, and how long the same takes with default timers.\n"
	"Colours on a terminal unless NO_COLOR is set.\n"
	"\n" RUN_OPTIONS_TEXT "\n"
	"Example:\n"
	"  tcpfault explain sigkill                 IPv4\n"
	"  tcpfault explain --family both sigkill   a ladder per family\n";

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

_Static_assert(CAPTURE_SNAPLEN_MIN == 96 && CAPTURE_SNAPLEN_MAX == 262144, "--snaplen's message names the bounds");

/* What the options of run and explain say. */
struct run_cli {
	struct run_options o;
	struct report_options ro;
	int format;
	long njobs;
	unsigned families, shard_k, shard_n;
	const char *output;
	bool write_failed;                /* said on stderr already */
};

/* Reads the options of run or explain into c; -1 when the command ends here, with *ret_exit:
 * after --help (0), or bad usage (said on stderr). */
static int run_options(int argc, char **argv, bool explain, struct run_cli *c, int *ret_exit)
{
	static const struct option opts[] = {
		{ "format", required_argument, NULL, 'f' },
		{ "output", required_argument, NULL, 'o' },
		{ "pcap-dir", required_argument, NULL, 'P' },
		{ "snaplen", required_argument, NULL, 'L' },
		{ "jobs", required_argument, NULL, 'j' },
		{ "family", required_argument, NULL, 'F' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "repeat", required_argument, NULL, 'R' },
		{ "shard", required_argument, NULL, 'S' },
		{ "timeout", required_argument, NULL, 'T' },
		{ "privileged-programs", no_argument, NULL, 'X' },
		{ "observe", required_argument, NULL, 'B' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	int ch;

	optind = 1;
	opterr = 0; /* our own message below names the option and the command */
	/* Options anywhere on the line ('run FILE -v'), as GNU getopt permutes them; '--' ends
	 * them (a file named '-v' comes after it). */
	while ((ch = getopt_long(argc, argv, "f:o:j:vh", opts, NULL)) != -1) {
		char *end;
		long k, n = 0;
		switch (ch) {
		case 'f':
			if ((c->format = report_format_from_name(optarg)) < 0)
				return *ret_exit = usage_error("unknown format '%s' (text, json, junit, tap, html or mermaid)",
							       optarg), -1;
			break;
		case 'o':
			c->output = optarg;
			break;
		case 'P':
			c->o.pcap_dir = optarg;
			break;
		case 'L':
			n = strtol(optarg, &end, 10);
			if (end == optarg || *end || n < CAPTURE_SNAPLEN_MIN || n > CAPTURE_SNAPLEN_MAX)
				return *ret_exit = usage_error("--snaplen takes a number from 96 to 262144, not '%s'", optarg), -1;
			c->o.snaplen = (unsigned)n;
			break;
		case 'j':
			c->njobs = strtol(optarg, &end, 10);
			if (*end || c->njobs < 1 || c->njobs > 64)
				return *ret_exit = usage_error("--jobs takes a number from 1 to 64, not '%s'", optarg), -1;
			break;
		case 'F':
			c->families = strcmp(optarg, "inet") == 0 ? FAMILY_INET : strcmp(optarg, "inet6") == 0 ? FAMILY_INET6 :
				      strcmp(optarg, "both") == 0 ? FAMILY_INET | FAMILY_INET6 : 0;
			if (!c->families)
				return *ret_exit = usage_error("--family takes inet, inet6 or both, not '%s'", optarg), -1;
			break;
		case 'v':
			c->o.verbose = true;
			break;
		case 'R':
			n = strtol(optarg, &end, 10);
			if (end == optarg || *end || n < 1 || n > 1000)
				return *ret_exit = usage_error("--repeat takes a number from 1 to 1000, not '%s'", optarg), -1;
			c->ro.repeat = c->o.runs = (unsigned)n;
			break;
		case 'S':
			k = strtol(optarg, &end, 10);
			if (end != optarg && *end == '/' && end[1] >= '0' && end[1] <= '9')
				n = strtol(end + 1, &end, 10);
			if (n < 1 || n > 10000 || *end || k < 1 || k > n)
				return *ret_exit = usage_error("--shard takes K/N with 1 <= K <= N <= 10000 (as 2/4), not '%s'",
							       optarg), -1;
			c->shard_k = (unsigned)k;
			c->shard_n = (unsigned)n;
			break;
		case 'T':
			if (scenario_duration(optarg, &c->o.timeout_ms) < 0 || c->o.timeout_ms == 0)
				return *ret_exit = usage_error("--timeout takes a duration such as 500ms, 10s or 2m (at most "
							       "60m), not '%s'", optarg), -1;
			break;
		case 'X':
			c->o.privileged_programs = true;
			break;
		case 'B':
			if (scenario_observe_mode(optarg, &c->o.observe) < 0)
				return *ret_exit = usage_error("--observe takes auto, shim, trace or none, not '%s'", optarg), -1;
			break;
		case 'h':
			fputs(explain ? explain_help : run_help, stdout);
			return *ret_exit = EXIT_PASS, -1;
		default:
			return *ret_exit = usage_error("unknown option '%s', or one that lacks its value", argv[optind - 1]), -1;
		}
	}
	if (explain && argc - optind != 1)
		return *ret_exit = usage_error("%s", "explain takes exactly one NAME or FILE"), -1;
	return 0;
}

/* The files to run: no names, the catalog in the order 'tcpfault list' shows it; names, in
 * their order. Their count, or -1 having said why. */
static int run_paths(int argc, char **argv, char ***ret_paths, bool **ret_in_catalog)
{
	int n = argc - optind;
	char **paths;
	bool *in_catalog;

	if (n == 0) {
		struct list_entry *v;
		bool bad;
		if ((n = list_entries(false, &v, &bad)) < 0)
			return -1;
		paths = calloc((size_t)n + 1, sizeof *paths);
		in_catalog = calloc((size_t)n + 1, sizeof *in_catalog);
		for (int i = 0; paths && in_catalog && i < n; i++) {
			paths[i] = v[i].path;
			v[i].path = NULL;
			in_catalog[i] = true;
		}
		free_entries(v, n);
		if (!bad && (!paths || !in_catalog))
			fprintf(stderr, "tcpfault: %s\n", strerror(ENOMEM));
		if (bad || !paths || !in_catalog)
			goto fail;
	} else {
		paths = calloc((size_t)n, sizeof *paths);
		in_catalog = calloc((size_t)n, sizeof *in_catalog);
		if (!paths || !in_catalog) {
			fprintf(stderr, "tcpfault: %s\n", strerror(ENOMEM));
			goto fail;
		}
		for (int i = 0; i < n; i++)
			if (!(paths[i] = resolve(argv[optind + i], &in_catalog[i]))) {
				fprintf(stderr, "tcpfault: no scenario file, catalog entry or example named '%s' "
					"('tcpfault list --all' shows them)\n", argv[optind + i]);
				goto fail;
			}
	}
	*ret_paths = paths;
	*ret_in_catalog = in_catalog;
	return n;
fail:
	free_strv(paths, n);
	free(in_catalog);
	return -1;
}

/* How many runs the files leave under --family (0 with a message: a mistake, exit status 2). */
static size_t selected_runs(struct scenario *const *sc, int n, unsigned families)
{
	size_t selected = 0;

	for (int i = 0; i < n; i++)
		selected += !!(sc[i]->families & families & FAMILY_INET) + !!(sc[i]->families & families & FAMILY_INET6);
	if (n > 0 && selected == 0) {
		fprintf(stderr, "tcpfault: nothing to run: --family %s leaves no run of the scenarios given:\n",
			families == FAMILY_INET ? "inet" : "inet6");
		for (int i = 0; i < n; i++)
			fprintf(stderr, "  %s: family %s\n", sc[i]->path, sc[i]->families == FAMILY_INET ? "inet" : "inet6");
	}
	return selected;
}

/* The job list: scenario x family in catalog order; --shard keeps every N-th from K-1, then
 * --repeat copies each kept job, so all runs of one job land in one shard. */
static size_t make_jobs(struct scenario *const *sc, int n, const struct run_cli *c, struct job *jobs)
{
	size_t index = 0, njob = 0;

	for (int i = 0; i < n; i++)
		for (int f = 0; f < 2; f++)
			if ((sc[i]->families & c->families) & (1u << f) && index++ % c->shard_n == c->shard_k - 1)
				for (unsigned k = 1; k <= c->ro.repeat; k++)
					jobs[njob++] = (struct job){ .s = sc[i], .family = f ? AF_INET6 : AF_INET, .fd = -1,
								     .run = k };
	return njob;
}

/* The signal that stops the run (SIGINT, SIGTERM, SIGHUP), 0 while none came. */
static volatile sig_atomic_t stop_signal;

static void on_stop(int signo)
{
	stop_signal = signo;
}

/* The results as the reports read them: one at a time, from the spool (or memory). */
struct spool {
	int fd;
	struct job *jobs;
	const struct run_cli *c;
	struct result *lent;              /* read from the spool: freed when put back */
};

static struct result *spool_get(void *arg, size_t i)
{
	struct spool *sp = arg;
	struct job *j = &sp->jobs[i];
	struct result *r = j->result;

	if (!r && j->spooled) {
		char *text = malloc(j->spool_len + 1);
		ssize_t got = text ? pread(sp->fd, text, j->spool_len, j->spool_off) : -1;
		json_object *json = NULL;
		if (got == (ssize_t)j->spool_len) {
			text[got] = 0;
			json = json_tokener_parse(text);
		}
		free(text);
		if (!json || result_from_json(json, &r) < 0)
			r = job_error_result(j, "its result could not be read back from the spool");
		json_object_put(json);
		sp->lent = r;
	}
	if (!r)
		return NULL;
	if (sp->c->ro.repeat > 1)
		r->run = j->run;
	return r;
}

static void spool_put(void *arg, struct result *r)
{
	struct spool *sp = arg;

	if (r && r == sp->lent) {
		result_free(r);
		sp->lent = NULL;
	}
}

/* A file of its own, removed at once, that the runs' results go to as they end. -1: none (they
 * stay in memory). */
static int spool_open(void)
{
	const char *tmp = getenv("TMPDIR");
	int fd = open(tmp && *tmp ? tmp : "/tmp", O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);

	if (fd < 0) {
		FILE *f = tmpfile();
		fd = f ? fcntl(fileno(f), F_DUPFD_CLOEXEC, 3) : -1;
		if (f)
			fclose(f);
	}
	return fd;
}
/* The report's link to the captures, as the page written to output will resolve it: the
 * capture folder relative to output's folder (links survive copying the two together: a CI
 * artifact, a mail). As given when the report goes to standard output or a path cannot be
 * resolved. The result is kept in buf. */
static const char *pcap_href_dir(const char *output, const char *pcap_dir, char *buf, size_t len)
{
	char out_dir[PATH_MAX], pcap[PATH_MAX], copy[PATH_MAX];

	if (!output || !pcap_dir || snprintf(copy, sizeof copy, "%s", output) >= (int)sizeof copy)
		return pcap_dir;
	char *slash = strrchr(copy, '/');
	if (slash)
		slash[slash == copy] = 0;   /* "/f" -> "/", "d/f" -> "d" */
	if (!realpath(slash ? copy : ".", out_dir) || !realpath(pcap_dir, pcap))
		return pcap_dir;
	/* The longest common folder (components whole; "/" as ""), then one ".." for each of
	 * output's folders below it, then the rest of the capture folder's path. */
	const char *a = strcmp(out_dir, "/") ? out_dir : "", *b = strcmp(pcap, "/") ? pcap : "";
	size_t common = 0;
	for (size_t i = 0;; i++) {
		if ((a[i] == 0 || a[i] == '/') && (b[i] == 0 || b[i] == '/'))
			common = i;
		if (a[i] != b[i] || a[i] == 0)
			break;
	}
	size_t used = 0;
	buf[0] = 0;
	for (const char *c = a + common; *c; c++) {
		if (*c != '/')
			continue;
		if (used + 4 >= len)
			return pcap_dir;
		used += (size_t)sprintf(buf + used, used ? "/.." : "..");
	}
	const char *rest = b + common + (b[common] == '/');
	int n = snprintf(buf + used, len - used, "%s%s", used && *rest ? "/" : "", *rest || used ? rest : ".");
	return n < 0 || (size_t)n >= len - used ? pcap_dir : buf;
}


/* Writes the report of the jobs' results to out; the exit status: 1 if anything failed or
 * broke (or the report could not be written), 3 if the only trouble is a capability this
 * machine lacks (runs skipped), else 0. */
static int report(FILE *out, const char *name, struct job *jobs, size_t njob, int spool, struct run_cli *c,
		  bool explain)
{
	struct spool sp = { .fd = spool, .jobs = jobs, .c = c };
	struct report_results rs = { .n = njob, .get = spool_get, .put = spool_put, .arg = &sp };
	bool broke = false, missing = false;

	for (size_t i = 0; i < njob; i++) {
		if (!jobs[i].result && !jobs[i].spooled)   /* no memory even for an error result */
			broke = true;
		else if (jobs[i].verdict == RESULT_SKIPPED)
			missing = true;
		else if (jobs[i].verdict != RESULT_PASS)
			broke = true;
	}
	c->ro.verbose = c->o.verbose;
	c->ro.explain = explain;
	c->ro.color = report_color_wanted(out);
	char href_dir[PATH_MAX];
	c->ro.pcap_dir = pcap_href_dir(c->output, c->o.pcap_dir, href_dir, sizeof href_dir);
	report_write_from(out, (enum report_format)c->format, &rs, &c->ro);
	int summary = report_step_summary_from(&rs, &c->ro);
	if (summary < 0)
		fprintf(stderr, "tcpfault: GITHUB_STEP_SUMMARY %s: %s\n", getenv("GITHUB_STEP_SUMMARY"), strerror(-summary));
	/* A report that did not reach its reader is no report: a full disk, a closed pipe. */
	if (fflush(out) != 0 || ferror(out)) {
		fprintf(stderr, "tcpfault: writing the report to %s: %s\n", name, strerror(errno ? errno : EIO));
		c->write_failed = true;
		return EXIT_FAIL;
	}
	return broke ? EXIT_FAIL : missing ? EXIT_MISSING : EXIT_PASS;
}

/* -o FILE: a temporary file beside it (report_file_open), renamed over it once the report is
 * whole; NULL having said why. */
static FILE *open_output(const char *path, struct report_file *file)
{
	char err[PATH_MAX + 200];
	int fd = report_file_open(path, file, err, sizeof err);
	FILE *out = fd >= 0 ? fdopen(fd, "w") : NULL;

	if (!out) {
		if (fd >= 0) {
			snprintf(err, sizeof err, "%s: %s", path, strerror(errno));
			close(fd);
		}
		fprintf(stderr, "tcpfault: writing %s\n", err);
		report_file_abandon(file);
	}
	return out;
}

/* The default -j: runs mostly wait on kernel timers, not on the CPU. One job per CPU for the
 * CPU's share, plus as many as the timer waits need to overlap so that the whole list takes
 * about its longest floor: the sum of the jobs' floors over the longest (jobs start longest
 * first). Jobs without a floor (CPU-bound, or quick) add none. At most 64 (run_jobs polls at
 * most 64 workers). */
static long default_jobs(const struct job *jobs, size_t n)
{
	long cpus = sysconf(_SC_NPROCESSORS_ONLN);
	double sum = 0, longest = 0;

	for (size_t i = 0; i < n; i++) {
		sum += jobs[i].s->floor_ms;
		if (jobs[i].s->floor_ms > longest)
			longest = jobs[i].s->floor_ms;
	}
	long waits = longest > 0 ? (long)(sum / longest) : 0;
	if (longest > 0 && (double)waits * longest < sum)
		waits++;   /* rounded up */
	long j = (cpus < 1 ? 1 : cpus) + waits;
	return j > 64 ? 64 : j;
}

static int cmd_run(int argc, char **argv, bool explain)
{
	struct run_cli c = { .o = { .peer_path = peer_path() }, .ro = { .repeat = 1 }, .format = REPORT_TEXT,
			     .njobs = 0, .families = 0, .shard_k = 1, .shard_n = 1 };
	struct report_file file = { .fd = -1, .dirfd = -1 };
	int rc = EXIT_PASS, npaths, spool = -1;
	char **paths = NULL;
	bool *in_catalog = NULL, reported = false;

	if (run_options(argc, argv, explain, &c, &rc) < 0)
		return rc;
	if (c.o.privileged_programs)
		fputs("tcpfault: warning: --privileged-programs: exec'd programs run unconfined, with tcpfault's own "
		      "privileges (as root: every capability, the host's files and namespaces)\n", stderr);
	if ((npaths = run_paths(argc, argv, &paths, &in_catalog)) < 0)
		return EXIT_USAGE;
	struct scenario **sc = calloc((size_t)npaths + 1, sizeof *sc);
	struct job *jobs = calloc(2 * (size_t)npaths * c.ro.repeat + 1, sizeof *jobs);
	FILE *out = stdout;
	size_t njob = 0;
	if (!sc || !jobs) {
		fprintf(stderr, "tcpfault: %s\n", strerror(ENOMEM));
		rc = EXIT_USAGE;
		goto out;
	}
	for (int i = 0; i < npaths; i++)
		if (load(paths[i], in_catalog[i], true, &sc[i]) < 0)
			rc = EXIT_USAGE;
	/* Without --family: run both families; explain narrates one run, in the first family
	 * its scenario has (a ladder per family only when asked: --family both). */
	if (!c.families)
		c.families = explain && rc == EXIT_PASS && npaths == 1 ? (sc[0]->families & FAMILY_INET ? FAMILY_INET : FAMILY_INET6)
								       : FAMILY_INET | FAMILY_INET6;
	if (rc == EXIT_PASS && c.o.pcap_dir && check_pcap_dir(c.o.pcap_dir, sc, npaths, c.families) < 0)
		rc = EXIT_USAGE;
	/* Filters that leave no run: --family against every file's 'family' is a mistake; --shard
	 * past the end of the job list is not (a CI matrix wider than the list) and runs nothing. */
	size_t selected = rc == EXIT_PASS ? selected_runs(sc, npaths, c.families) : 0;
	if (rc == EXIT_PASS && npaths > 0 && selected == 0)
		rc = EXIT_USAGE;
	bool no_job = rc == EXIT_PASS && selected < c.shard_k;
	if (no_job && npaths > 0)
		fprintf(stderr, "tcpfault: note: --shard %u/%u: nothing to run in this shard (%zu job%s in all)\n",
			c.shard_k, c.shard_n, selected, selected == 1 ? "" : "s");
	/* From here a signal stops the runs and the report of what ended is written: the
	 * temporary -o file is made after the handlers are in place, so it is never left. */
	struct sigaction sa = { .sa_handler = on_stop };   /* no SA_RESTART: poll() wakes */
	sigemptyset(&sa.sa_mask);
	if (rc == EXIT_PASS) {
		sigaction(SIGINT, &sa, NULL);
		sigaction(SIGTERM, &sa, NULL);
		sigaction(SIGHUP, &sa, NULL);
	}
	if (rc == EXIT_PASS && c.output && !(out = open_output(c.output, &file)))
		rc = EXIT_USAGE;
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
		/* The kernel tracer, loaded once (its BTF parsed, its programs verified: 160-330
		 * ms a time on a loaded 2-core machine): the workers inherit it and make only a
		 * ring of their own (1-8 ms). */
		runner_prepare();
	}
	njob = make_jobs(sc, npaths, &c, jobs);
	if (!c.njobs)
		c.njobs = default_jobs(jobs, njob);
	spool = spool_open();
	run_jobs(jobs, njob, (unsigned)c.njobs, &c.o, spool, &stop_signal);
	rc = report(out, c.output ? c.output : "standard output", jobs, njob, spool, &c, explain);
	reported = true;
	for (size_t i = 0; i < njob; i++)
		result_free(jobs[i].result);
out:
	if (out && out != stdout) {
		/* The report takes the file's name only when whole: else the old file stays. */
		if (fclose(out) != 0 && reported && !c.write_failed) {
			fprintf(stderr, "tcpfault: writing the report to %s: %s\n", c.output, strerror(errno));
			c.write_failed = true;
			rc = EXIT_FAIL;
		}
		int e = reported && !c.write_failed ? report_file_commit(&file) : 0;
		if (e < 0) {
			fprintf(stderr, "tcpfault: writing the report to %s: %s\n", c.output, strerror(-e));
			rc = EXIT_FAIL;
		}
	}
	report_file_abandon(&file);
	if (spool >= 0)
		close(spool);
	for (int i = 0; sc && i < npaths; i++)
		scenario_free(sc[i]);
	free(sc);
	free(jobs);
	free_strv(paths, npaths);
	free(in_catalog);
	/* Stopped by a signal: 128 + its number, as a shell reports a process it killed. */
	if (stop_signal)
		return 128 + stop_signal;
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
	if (strcmp(cmd, "sweep") == 0)
		return cmd_sweep(argc - 1, argv + 1);
	return usage_error("unknown command '%s' (list, run, explain, check, sweep)", cmd);
}
