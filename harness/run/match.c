/* SPDX-License-Identifier: MIT */
/*
 * Matching: whether what was observed meets what a step expects. Pure functions of their
 * arguments (no run, no clock, no I/O), so each is unit-tested on its own (tests/test_match.c).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "peer.h"
#include "run.h"

int expect_which(const struct expect_ret *want, long long ret, int err)
{
	if (!want || !want->set)
		return ret >= 0 ? 0 : -1;
	for (unsigned i = 0; i < want->n; i++)
		if (want->alt[i].some ? ret > 0 : (ret == want->alt[i].ret && (!want->alt[i].err || err == want->alt[i].err)))
			return (int)i;
	return -1;
}

bool expect_matches(const struct expect_ret *want, long long ret, int err)
{
	return expect_which(want, ret, err) >= 0;
}

void expect_describe(const struct expect_ret *want, char *buf, size_t len)
{
	size_t n = 0;

	buf[0] = 0;
	if (!want || !want->set) {
		snprintf(buf, len, "success");
		return;
	}
	for (unsigned i = 0; i < want->n && n < len; i++) {
		const char *en = peer_errno_name(want->alt[i].err);
		int k = want->alt[i].some ? snprintf(buf + n, len - n, "%s>0", i ? " | " : "") :
			want->alt[i].err && en ? snprintf(buf + n, len - n, "%s%lld %s", i ? " | " : "", want->alt[i].ret, en)
					       : snprintf(buf + n, len - n, "%s%lld", i ? " | " : "", want->alt[i].ret);
		if (k < 0)
			break;
		n += (size_t)k;
	}
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
	       (!w->port || p->sport == w->port || p->dport == w->port) &&
	       (!w->has_len || p->len == w->len) && (!w->len_some || p->len > 0) &&
	       (!w->has_seq || p->seq == w->seq) && (!w->has_ack || p->ack == w->ack);
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
