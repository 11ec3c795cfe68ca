/* SPDX-License-Identifier: MIT */
/*
 * Matching: whether what was observed meets what a step expects. Pure functions of their
 * arguments (no run, no clock, no I/O), so each is unit-tested on its own (tests/test_match.c).
 */
#include <stdlib.h>
#include <string.h>

#include "run.h"

bool expect_matches(const struct expect_ret *want, long long ret, int err)
{
	if (!want || !want->set)
		return ret >= 0;
	return ret == want->ret && (!want->err || err == want->err);
}

bool counter_matches(const char *cmp, long long v, long long n)
{
	if (strcmp(cmp, "=") == 0)
		return v == n;
	if (strcmp(cmp, ">=") == 0)
		return v >= n;
	if (strcmp(cmp, "<=") == 0)
		return v <= n;
	if (strcmp(cmp, ">") == 0)
		return v > n;
	return strcmp(cmp, "<") == 0 && v < n;
}

bool packet_matches(const struct packet *p, const struct step *st)
{
	const struct step_packet *w = &st->packet;

	return p->from == w->from && p->to == w->to && p->icmp == w->icmp && strcmp(p->flags, w->flags) == 0 &&
	       (!w->port || p->sport == w->port || p->dport == w->port);
}

static int by_start(const void *a, const void *b)
{
	const double *x = a, *y = b;
	return *x < *y ? -1 : *x > *y;
}

double floor_union(struct floor *floors, size_t n)
{
	double sum = 0, end = -1e300;

	qsort(floors, n, sizeof floors[0], by_start);
	for (size_t i = 0; i < n; i++) {
		double from = floors[i].from > end ? floors[i].from : end;
		if (floors[i].to > from)
			sum += floors[i].to - from;
		if (floors[i].to > end)
			end = floors[i].to;
	}
	return sum;
}
