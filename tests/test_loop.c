/* SPDX-License-Identifier: MIT */
/*
 * The run's event loop (harness/run/private/loop.h): an await returns when its condition holds, when its
 * bound runs out, or when the run's deadline does, and says which; sources take in what is ready.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <unistd.h>
#include <cmocka.h>

#include "loop.h"

/* A pipe as a source: what it reads is counted. */
struct pipe_src {
	int fd[2];
	unsigned bytes, takes;
};

static unsigned pipe_fds(void *ctx, struct pollfd *fds, unsigned max)
{
	struct pipe_src *p = ctx;
	fds[0] = (struct pollfd){ .fd = p->fd[0], .events = POLLIN };
	return 1;
}

static void pipe_take(void *ctx, const struct pollfd *fds, unsigned n)
{
	struct pipe_src *p = ctx;
	char buf[64];

	p->takes++;
	assert_int_equal(n, 1);
	if (fds[0].revents & POLLIN) {
		ssize_t k = read(p->fd[0], buf, sizeof buf);
		assert_true(k > 0);
		p->bytes += (unsigned)k;
	}
}

static bool has_bytes(void *arg)
{
	return ((struct pipe_src *)arg)->bytes >= 3;
}

static bool never(void *arg)
{
	return false;
}

static void add_pipe(struct loop *l, struct pipe_src *p)
{
	assert_int_equal(pipe(p->fd), 0);
	assert_int_equal(loop_add(l, &(struct loop_source){ pipe_fds, pipe_take, p }), 0);
}

static void test_await_holds(void **state)
{
	struct loop l = { .deadline_us = clock_us() + 10000000 };
	struct pipe_src p = { 0 };
	int64_t held = 0, t0 = clock_us();

	add_pipe(&l, &p);
	assert_int_equal(write(p.fd[1], "abc", 3), 3);
	assert_int_equal(loop_await(&l, has_bytes, &p, 5000, 0, &held), 0);
	assert_int_equal(p.bytes, 3);
	assert_true(held >= t0 && held <= clock_us());
	/* Taken in at once, not after the bound. */
	assert_true(clock_us() - t0 < 2000000);
	close(p.fd[0]);
	close(p.fd[1]);
}

static void test_await_bound(void **state)
{
	struct loop l = { .deadline_us = clock_us() + 10000000 };
	struct pipe_src p = { 0 };
	int64_t t0 = clock_us();

	add_pipe(&l, &p);
	assert_int_equal(loop_await(&l, never, NULL, 50, 0, NULL), -ETIMEDOUT);
	assert_true(clock_us() - t0 >= 50000);
	assert_true(p.takes >= 1);
	close(p.fd[0]);
	close(p.fd[1]);
}

/* The run's deadline comes before the step's bound: a different answer (the harness gives up). */
static void test_await_deadline(void **state)
{
	struct loop l = { .deadline_us = clock_us() + 30000 };
	int64_t t0 = clock_us();

	assert_int_equal(loop_await(&l, never, NULL, 5000, 0, NULL), -ETIME);
	assert_true(clock_us() - t0 >= 30000);
	assert_true(clock_us() - t0 < 2000000);
}

/* A condition no fd announces is checked again every poll_ms. */
static int64_t when;
static bool after_when(void *arg)
{
	(*(unsigned *)arg)++;
	return clock_us() >= when;
}

static void test_await_polls(void **state)
{
	struct loop l = { .deadline_us = clock_us() + 10000000 };
	unsigned checks = 0;

	when = clock_us() + 40000;
	assert_int_equal(loop_await(&l, after_when, &checks, 5000, 2, NULL), 0);
	assert_true(checks >= 3);
	assert_true(clock_us() - when < 1000000);
}

static void test_sources_bounded(void **state)
{
	struct loop l = { 0 };
	struct pipe_src p = { 0 };

	for (unsigned i = 0; i < LOOP_MAX_SOURCES; i++)
		assert_int_equal(loop_add(&l, &(struct loop_source){ pipe_fds, pipe_take, &p }), 0);
	assert_int_equal(loop_add(&l, &(struct loop_source){ pipe_fds, pipe_take, &p }), -ENOSPC);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_await_holds),
		cmocka_unit_test(test_await_bound),
		cmocka_unit_test(test_await_deadline),
		cmocka_unit_test(test_await_polls),
		cmocka_unit_test(test_sources_bounded),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
