/* SPDX-License-Identifier: MIT */
/*
 * One clock and one event loop for a run.
 *
 * The clock: every time the harness keeps is CLOCK_MONOTONIC in microseconds (int64_t); the
 * capture converts the kernel's packet timestamps to it once, as it takes each packet in. A
 * report turns them into milliseconds since the run's start.
 *
 * The loop: sources (the peers' control sockets and pidfds, the programs' pipes, the capture)
 * each say which fds they want polled and take in what is ready; an await polls them until a
 * condition holds, a bound runs out, or the run's deadline does. Nothing waits by sleeping.
 * Single-threaded: the run's worker process owns it.
 */
#pragma once

#include <poll.h>
#include <stdbool.h>
#include <stdint.h>

#include "run.h"   /* clock_us() */

/* A source of events. fds() stores at most max pollfds and returns how many; take() is called
 * after every poll with that slice (revents set), whether or not any is ready, so a source may
 * also take in what needs no fd (a packet ring read ahead, a death seen by waitid). */
struct loop_source {
	unsigned (*fds)(void *ctx, struct pollfd *fds, unsigned max);
	void (*take)(void *ctx, const struct pollfd *fds, unsigned n);
	void *ctx;
};

#define LOOP_MAX_SOURCES 8
#define LOOP_MAX_FDS 128

struct loop {
	struct loop_source src[LOOP_MAX_SOURCES];
	unsigned nsrc;
	int64_t deadline_us;              /* no await runs past it (the run's time limit) */
};

/* Adds a source; -ENOSPC past LOOP_MAX_SOURCES. */
int loop_add(struct loop *l, const struct loop_source *s);
/* Polls every source's fds for at most timeout_ms (0: just take in what is there), then lets
 * each source take in what is ready. An interrupted poll returns early. */
void loop_pump(struct loop *l, int timeout_ms);

/* Awaits cond(arg): at most bound_ms, and never past the loop's deadline. A condition that no
 * fd announces (a socket state, a counter) is checked again at least every poll_ms (0: only
 * when a source had something). Returns 0 once it holds (*ret_held_us, if given: when it was
 * first seen to hold), -ETIMEDOUT when the bound ran out, -ETIME when the deadline did first. */
int loop_await(struct loop *l, bool (*cond)(void *arg), void *arg, int bound_ms, int poll_ms,
	       int64_t *ret_held_us);
