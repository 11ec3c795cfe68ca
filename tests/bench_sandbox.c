/* SPDX-License-Identifier: MIT */
/*
 * Benchmark (meson test --benchmark): what one sandbox costs. Prints the median time to create
 * and tear down a two-host sandbox (wire + two hosts, veth pairs, addresses, neighbours) over
 * many runs, the same work done the iproute2-shell way (named namespaces, ip link/addr, ip netns
 * del) in the same run, and the ratio. Figures, not a verdict: the machine is shared and noisy.
 * Skips (77) where namespaces cannot be made.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "netns.h"

static double now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1000.0 + (double)ts.tv_nsec / 1e6;
}

static int cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

static double median(double *v, int n)
{
	qsort(v, (size_t)n, sizeof *v, cmp);
	return v[n / 2];
}

/* The same topology with ip(8): named namespaces (removed again), never the host's own. */
static int iproute2_once(int i)
{
	char cmd[2048];
	snprintf(cmd, sizeof cmd,
		 "set -e; w=tfb$$-%d-w; c=tfb$$-%d-c; s=tfb$$-%d-s;"
		 "trap 'ip netns del $w 2>/dev/null; ip netns del $c 2>/dev/null; ip netns del $s 2>/dev/null' EXIT;"
		 "ip netns add $w; ip netns add $c; ip netns add $s;"
		 "ip -n $w link add br0 type bridge; ip -n $w link set br0 up;"
		 "ip -n $w link add h0 type veth peer name eth0 netns $c;"
		 "ip -n $w link add h1 type veth peer name eth0 netns $s;"
		 "ip -n $w link set h0 master br0 up; ip -n $w link set h1 master br0 up;"
		 "ip -n $c link set lo up; ip -n $s link set lo up;"
		 "ip -n $c addr add 198.18.0.1/24 dev eth0; ip -n $s addr add 198.18.0.2/24 dev eth0;"
		 "ip -n $c addr add 2001:2::1/64 dev eth0 nodad; ip -n $s addr add 2001:2::2/64 dev eth0 nodad;"
		 "ip -n $c link set eth0 up; ip -n $s link set eth0 up",
		 i, i, i);
	return system(cmd) == 0 ? 0 : -1;
}

int main(int argc, char **argv)
{
	int n = argc > 1 ? atoi(argv[1]) : 100, m = n / 5 > 5 ? n / 5 : 5;
	double *a = calloc((size_t)n, sizeof *a), *b = calloc((size_t)m, sizeof *b);
	struct netns_sandbox *sb;

	if (!a || !b)
		return 1;
	if (netns_sandbox_new(2, &sb) < 0) {
		fprintf(stderr, "skip: cannot make namespaces: %s\n", netns_new_error());
		return 77;
	}
	netns_sandbox_free(sb);
	for (int i = 0; i < n; i++) {
		double t = now_ms();
		if (netns_sandbox_new(2, &sb) < 0) {
			fprintf(stderr, "sandbox %d: %s\n", i, netns_new_error());
			return 1;
		}
		netns_sandbox_free(sb);
		a[i] = now_ms() - t;
	}
	int have_ip = system("command -v ip >/dev/null") == 0;
	for (int i = 0; have_ip && i < m; i++) {
		double t = now_ms();
		if (iproute2_once(i) < 0) {
			have_ip = 0;
			break;
		}
		b[i] = now_ms() - t;
	}
	double ma = median(a, n);
	printf("sandbox create+teardown (libnl, 2 hosts): median %.2f ms over %d\n", ma, n);
	if (have_ip) {
		double mb = median(b, m);
		printf("same with iproute2 shell commands:         median %.2f ms over %d\n", mb, m);
		printf("ratio: %.1fx\n", mb / ma);
	} else {
		printf("iproute2 way: not measured (no ip(8) or it failed)\n");
	}
	free(a);
	free(b);
	return 0;
}
