/* SPDX-License-Identifier: MIT */
/*
 * The command line's own parts; nothing outside harness/cli/ includes this.
 *
 *   main.c     the commands: list, check, run, explain; options, reports, exit status
 *   catalog.c  where scenarios come from (catalog, examples, names) and the list's order
 *   jobs.c     the worker processes that run the jobs, -j at a time
 *   isolate.c  the controller's own network (and user) namespace
 *   sweep.c    the sweep command: a matrix of faults against the user's own programs
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <signal.h>
#include <stdint.h>
#include <sys/types.h>

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

/* ---- catalog.c ---- */

/* One line of 'tcpfault list': a scenario of the catalog, or an example. */
struct list_entry {
	char *path;
	char name[64], mode[8], summary[256];
	bool example;
};

const char *peer_path(void);
const char *examples_dir(void);
void free_strv(char **v, int n);
/* Loads path, a scenario of the catalog when catalog is set (then it must name its mode), whose
 * programs must exist when programs is set (check, run: not list); says why not on stderr. */
int load(const char *path, bool catalog, bool programs, struct scenario **ret);
/* NAME or FILE -> a path (malloc'd), NULL if none. A word without '/' that is not an existing
 * file is a catalog name, else an example's name; *ret_catalog says which came from the catalog. */
char *resolve(const char *arg, bool *ret_catalog);
const char *section_title(char letter);
/* The catalog (and with all, the examples) in list order; *ret_bad if a file did not load (said
 * on stderr). The count, or -1. */
int list_entries(bool all, struct list_entry **ret, bool *ret_bad);
void free_entries(struct list_entry *v, int n);

/* ---- jobs.c ---- */

/* One run of one scenario in one family: its worker while it runs, then its result. */
struct job {
	struct scenario *s;
	int family;
	pid_t pid;
	int fd;
	char *buf;
	size_t len;
	bool buf_nomem;                   /* its result did not fit in memory: refused whole */
	int64_t start_ms, deadline_ms;    /* deadline: the backstop for a runner that cannot end */
	int limit_ms;                     /* the run's time limit: --timeout, else the file's */
	struct run_progress *progress;    /* shared with its worker: where the run is */
	int slot;                         /* the job slot whose worker runs it (reuse); -1: a worker of its own */
	struct result *result;            /* in memory: until spooled, or where the spool failed */
	unsigned run;                     /* 1..repeat */
	size_t pos;                       /* its place in the report */
	/* Its result, once the run ended: where in the spool (spooled), and what the exit status
	 * needs of it (the result itself is read back when the report is written). */
	bool ended, spooled;
	enum result_verdict verdict;
	off_t spool_off;
	size_t spool_len;
};
/* Runs the jobs, at most njobs at once, the longest timer floors first; each job's result is
 * written to the spool (the fd of a file; -1: kept in memory) as it ends, an error result
 * where the worker gave none. When *stop becomes non-zero (a signal), the runs in flight are
 * stopped (their workers killed, as when the controller dies) and every job not ended gets
 * a result saying it was not run. The jobs are back in their order after. */
void run_jobs(struct job *jobs, size_t n, unsigned njobs, const struct run_options *o, int spool,
	      volatile sig_atomic_t *stop);
/* An error result for j (partial); NULL if out of memory. */
struct result *job_error_result(const struct job *j, const char *why);

/* ---- sweep.c ---- */

/* tcpfault sweep ARGS (argv[0] is "sweep"): the exit status. */
int cmd_sweep(int argc, char **argv);

/* ---- isolate.c ---- */

/* Moves the controller into a network namespace of its own (and a user namespace without
 * root); 0, or -1 having said why on stderr (the machine lacks something: exit status 3). */
int isolate(void);
