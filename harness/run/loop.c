/* SPDX-License-Identifier: MIT */
/*
 * The run's clock and event loop (loop.h). Runs in the run's worker process, single-threaded.
 */
#include <errno.h>
#include <time.h>

#include "loop.h"

int64_t clock_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

int loop_add(struct loop *l, const struct loop_source *s)
{
	if (l->nsrc == LOOP_MAX_SOURCES)
		return -ENOSPC;
	l->src[l->nsrc++] = *s;
	return 0;
}

void loop_pump(struct loop *l, int timeout_ms)
{
	struct pollfd fds[LOOP_MAX_FDS];
	unsigned first[LOOP_MAX_SOURCES + 1], n = 0;

	for (unsigned i = 0; i < l->nsrc; i++) {
		first[i] = n;
		n += l->src[i].fds(l->src[i].ctx, fds + n, LOOP_MAX_FDS - n);
	}
	first[l->nsrc] = n;
	/* EINTR: the sources take in what there is, and the caller re-checks its condition. */
	if (poll(fds, n, timeout_ms) < 0)
		for (unsigned i = 0; i < n; i++)
			fds[i].revents = 0;
	for (unsigned i = 0; i < l->nsrc; i++)
		l->src[i].take(l->src[i].ctx, fds + first[i], first[i + 1] - first[i]);
}

int loop_await(struct loop *l, bool (*cond)(void *arg), void *arg, int bound_ms, int poll_ms,
	       int64_t *ret_held_us)
{
	int64_t end = clock_us() + (int64_t)bound_ms * 1000;
	bool by_deadline = end >= l->deadline_us;

	if (by_deadline)
		end = l->deadline_us;
	/* Bounded by time, and in count: each turn polls for at least 1 ms, or has something. */
	for (;;) {
		if (cond(arg)) {
			if (ret_held_us)
				*ret_held_us = clock_us();
			return 0;
		}
		int64_t left = end - clock_us();
		if (left <= 0)
			return by_deadline ? -ETIME : -ETIMEDOUT;
		int ms = (int)((left + 999) / 1000);
		loop_pump(l, poll_ms && poll_ms < ms ? poll_ms : ms);
	}
}
