/* SPDX-License-Identifier: MIT */
/*
 * What runner.c and program.c share inside the run; nothing outside harness/run/ includes it.
 */
#pragma once

#include "run.h"

/* What program.c needs of a run in progress (struct run stays private to runner.c). */
struct run;
const struct scenario *run_scenario(const struct run *r);
struct programs *run_programs(struct run *r);
struct netns_sandbox *run_sandbox(struct run *r);
struct netns_sock;
/* The host's TCP sockets (NETNS_MAX_SOCKS at most, else -E2BIG), in a buffer of the run's. */
int run_sockets(struct run *r, int host, const struct netns_sock **ret);
int run_family(const struct run *r);
/* Awaits cond with a bound, as every step does (never past the run's deadline); -ETIMEDOUT. */
/* When the step's awaited event happened (CLOCK_MONOTONIC), where it is known exactly: a
 * program's death or call. Its 'after' floor counts to it. */
void run_event_at(struct run *r, int64_t mono_us);
int run_await(struct run *r, bool (*cond)(struct run *, const void *), const void *arg, int bound_ms, int poll_ms);
int run_bound(const struct run *r, const struct step *st);
/* Records msg as a failure (error: the harness's own) of the current step; returns -1. */
int run_fail(struct run *r, bool error, const char *msg);
void run_event(struct run *r, int host, const char *what);

/* ---- program.c: real programs as peers ("HOST.PROG exec COMMAND") ---- */

#define PROGRAMS_MAX 16
#define PROGRAMS_MAX_FDS (4 * PROGRAMS_MAX)

struct programs;
struct pollfd;
/* The programs of one run: what they do goes into res (syscalls, exits, programs, notes,
 * missing); times count from origin_mono_us. The shim is found beside peer_path (or at
 * $TCPFAULT_SHIM). */
int programs_new(struct result *res, int64_t origin_us, const char *peer_path, struct programs **ret);
/* Kills every program (SIGKILL to its process group), reaps it, adds each one's output to the
 * result; accepts NULL. */
void programs_free(struct programs *ps);
/* The fds to poll for the programs' output, reports and deaths; returns how many were stored. */
unsigned programs_pollfds(const struct programs *ps, struct pollfd *fds, unsigned max);
/* Takes in whatever is waiting (never blocks): output, shim reports, deaths. */
void programs_take(struct programs *ps);
/* Runs a step on a program: STEP_EXEC, STEP_LISTEN, STEP_OUTPUT, STEP_CALL, and STEP_KILL or
 * STEP_EXIT with a program name in st->sock. */
int program_step(struct run *r, const struct step *st);
/* A host's power goes: every program on it is killed with SIGKILL and reaped (bounded). */
int programs_host_down(struct run *r, int host);
