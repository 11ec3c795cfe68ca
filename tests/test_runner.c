/* SPDX-License-Identifier: MIT */
/*
 * The runner's verdicts, without privilege: each test runs a real scenario (parsed by the real
 * parser) through the real runner against a scripted world (fake_world.c) and checks the
 * verdict it reaches (pass, fail, error or skipped) and what it says. Every path by which a run
 * can pass, fail, end in error or be skipped has a case here.
 */
#include <errno.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <stddef.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <netinet/tcp.h>
#include <cmocka.h>

#include "fake_world.h"
#include "internal.h"

enum { CLIENT, SERVER };

#define PKT(ms, f, t, fl) { .kind = FAKE_PACKET, .delay_ms = (ms), .from = (f), .to = (t), .flags = (fl), \
			    .sport = 40000, .dport = 5000 }
#define RESULT(ms, r, e) { .kind = FAKE_REPORT, .delay_ms = (ms), .ret = (r), .err = (e) }
#define HANG { .kind = FAKE_REPORT, .hang = true }
#define DEATH(ms, h, s) { .kind = FAKE_DEATH, .delay_ms = (ms), .host = (h), .sig = (s) }
#define STATE(ms, h, st, sp, dp) { .kind = FAKE_STATE, .delay_ms = (ms), .host = (h), .state = (st), \
				   .sport = (sp), .dport = (dp) }

/* The handshake a connect makes, and its success. */
#define CONNECTS { CLIENT, "connect", .evs = { PKT(1, CLIENT, SERVER, "S"), PKT(2, SERVER, CLIENT, "S."), \
					       PKT(3, CLIENT, SERVER, "."), RESULT(4, 0, 0) } }

static const char head[] = "mode B2\nsummary a test\nfamily inet\n";

struct outcome {
	struct result *res;
	const char *verdict;
	const char *failures;             /* all of them, one per line */
	char buf[8192];
};

/* Steps taken off the end of the parsed scenario before it runs: a scenario the parser would
 * refuse (test_async_never_awaited), to reach the run's own checks behind it. */
static size_t cut_steps;

/* Whether the test's programs are out of the confined user's reach (a build tree under a
 * mode-700 /root): they then run with --privileged-programs, as tests/reach.sh has the netns
 * suite do; the 'confined' test covers confinement itself. */
static bool programs_out_of_reach(void)
{
	struct confine c;
	const char *p = getenv("TCPFAULT_TEST_CALLS");

	confine_prepare(&c, false);
	return p && !confine_reaches(&c, p, X_OK);
}

static void run(const char *steps, const struct fake_trigger *script, struct outcome *o)
{
	char text[4096], err[512];
	struct scenario *s = NULL;
	struct run_options opt = { .peer_path = "fake-peer", .family = AF_INET,
				   .privileged_programs = programs_out_of_reach() };

	snprintf(text, sizeof text, "%s%s", head, steps);
	if (scenario_parse("t.tcpf", text, &s, err, sizeof err) < 0)
		fail_msg("the test's scenario does not parse: %s", err);
	s->nsteps -= cut_steps;
	cut_steps = 0;
	fake_world_reset(script);
	o->res = runner_run(s, &opt);
	assert_non_null(o->res);
	o->verdict = result_verdict_name(o->res->verdict);
	size_t n = 0;
	o->buf[0] = 0;
	for (size_t i = 0; i < o->res->failures.n; i++)
		n += (size_t)snprintf(o->buf + n, sizeof o->buf - n, "%s\n", o->res->failures.v[i]);
	o->failures = o->buf;
	scenario_free(s);
}

static void done(struct outcome *o)
{
	result_free(o->res);
}

static void expect(struct outcome *o, const char *verdict, const char *text)
{
	if (strcmp(o->verdict, verdict) != 0 || (text && !strstr(o->failures, text)))
		fail_msg("expected %s%s%s, got %s: %s", verdict, text ? " with " : "", text ? text : "",
			 o->verdict, o->failures);
}

#define count(o, array) ((o)->res->array.n)

/* ---- socket operations ---- */

static void test_op_pass(void **state)
{
	struct fake_trigger script[] = { CONNECTS, { 0 } };
	struct outcome o;

	run("server listen 5000\nclient connect server 5000\nserver accept\n"
	    "await packet client > server .\n", script, &o);
	expect(&o, "pass", NULL);
	/* socket, bind, listen; socket, connect; accept */
	assert_int_equal(count(&o, syscalls), 6);
	assert_int_equal(count(&o, packets), 3);
	/* The hosts, in the scenario's order, with the addresses the bridge gives them (netns.h). */
	assert_int_equal(count(&o, hosts), 2);
	assert_string_equal(o.res->hosts.v[0].name, "client");
	assert_string_equal(o.res->hosts.v[0].inet, "198.18.0.1");
	assert_string_equal(o.res->hosts.v[0].inet6, "2001:2::1");
	assert_string_equal(o.res->hosts.v[1].name, "server");
	assert_string_equal(result_host_addr(o.res, 1), "198.18.0.2");
	done(&o);
}

static void test_op_errno_differs(void **state)
{
	struct fake_trigger script[] = {
		{ CLIENT, "connect", .evs = { RESULT(1, -1, ECONNREFUSED) } }, { 0 } };
	struct outcome o;

	run("client connect server 5000 = -1 ETIMEDOUT\n", script, &o);
	expect(&o, "fail", "t.tcpf:4: client connect\n  expected: -1 ETIMEDOUT\n  observed: -1 ECONNREFUSED");
	done(&o);
}

static void test_op_fails_unexpectedly(void **state)
{
	struct fake_trigger script[] = {
		{ CLIENT, "connect", .evs = { RESULT(1, -1, ECONNREFUSED) } }, { 0 } };
	struct outcome o;

	run("client connect server 5000\n", script, &o);
	expect(&o, "fail", "expected: success\n  observed: -1 ECONNREFUSED");
	done(&o);
}

/* A call that blocks past its bound, in a peer that still answers: the kernel's doing. */
static void test_op_blocks(void **state)
{
	struct fake_trigger script[] = { { SERVER, "accept", .evs = { HANG } }, { 0 } };
	struct outcome o;

	run("server listen 5000\nserver accept within 50ms\n", script, &o);
	expect(&o, "fail", "server accept did not return within 50 ms");
	done(&o);
}

/* A peer that answers neither the command nor a probe: the harness's problem, an error. */
static void test_peer_hangs(void **state)
{
	struct fake_trigger script[] = {
		{ SERVER, "accept", .evs = { HANG } }, { SERVER, "probe", .evs = { HANG } }, { 0 } };
	struct outcome o;

	run("server listen 5000\nserver accept within 50ms\n", script, &o);
	expect(&o, "error", "answered neither the command nor a probe");
	done(&o);
}

static void test_op_refused(void **state)
{
	struct fake_trigger script[] = {
		{ CLIENT, "connect", .evs = { { .kind = FAKE_REPORT, .refuse = true } } }, { 0 } };
	struct outcome o;

	run("client connect server 5000\n", script, &o);
	expect(&o, "error", "the peer refused the command");
	done(&o);
}

static void test_op_too_soon(void **state)
{
	struct fake_trigger script[] = {
		{ CLIENT, "connect", .evs = { RESULT(20, -1, ETIMEDOUT) } }, { 0 } };
	struct outcome o;

	run("client connect server 5000 = -1 ETIMEDOUT after 200ms\n", script, &o);
	expect(&o, "fail", "too soon\n  expected: after 200 ms\n  observed: after 2");
	done(&o);
}

static void test_op_floor_met(void **state)
{
	struct fake_trigger script[] = {
		{ CLIENT, "connect", .evs = { RESULT(60, -1, ETIMEDOUT) } }, { 0 } };
	struct outcome o;

	run("client connect server 5000 = -1 ETIMEDOUT after 50ms\n", script, &o);
	expect(&o, "pass", NULL);
	double floor = o.res->floor_ms;
	assert_true(floor > 49.9 && floor < 50.1);
	done(&o);
}

/* ---- background operations ---- */

static void test_async_awaited(void **state)
{
	struct fake_trigger script[] = { { CLIENT, "read", .evs = { RESULT(10, 0, 0) } }, { 0 } };
	struct outcome o;

	run("client read 100 &\nawait client read = 0\n", script, &o);
	expect(&o, "pass", NULL);
	done(&o);
}

static void test_async_never_awaited(void **state)
{
	struct fake_trigger script[] = { { CLIENT, "read", .evs = { RESULT(1, 0, 0) } }, { 0 } };
	struct outcome o;

	/* 'check' refuses the file (tests/test_scenario.c); the run still errors on one made
	 * otherwise: parsed with its await, which is then taken off. */
	cut_steps = 1;
	run("client read 100 &\nawait client read\n", script, &o);
	expect(&o, "error", "'client read' (line 4) was started with '&' and never awaited");
	done(&o);
}

/* One that never returned because its process died is excused: 'await exit' checks that. */
static void test_async_died(void **state)
{
	struct fake_trigger script[] = { { CLIENT, "read", .evs = { HANG } }, { 0 } };
	struct outcome o;

	run("client read 100 &\nkill client KILL\nawait exit client signal KILL\n", script, &o);
	expect(&o, "pass", NULL);
	done(&o);
}

static void test_await_nothing_pending(void **state)
{
	struct outcome o;

	run("await client read = 0\n", NULL, &o);
	expect(&o, "error", "nothing to await");
	done(&o);
}

/* ---- the wire ---- */

static void test_packet_missing(void **state)
{
	struct fake_trigger script[] = { CONNECTS, { 0 } };
	struct outcome o;

	run("server listen 5000\nclient connect server 5000\nawait packet server > client F. within 30ms\n",
	    script, &o);
	expect(&o, "fail", "no server > client F. within 30 ms\n  expected: server > client F.\n  observed: "
			   "client > server S, server > client S., client > server .");
	done(&o);
}

static void test_packet_too_soon(void **state)
{
	struct fake_trigger script[] = { CONNECTS, { 0 } };
	struct outcome o;

	run("server listen 5000\nclient connect server 5000\nawait packet client > server S\n"
	    "await packet server > client S. after 100ms\n", script, &o);
	expect(&o, "fail", "too soon\n  expected: after 100 ms\n  observed: after 1.0 ms");
	done(&o);
}

/* A packet with no send time (no copy at its sender's tap: capture.c) has the wire's, which may
 * be late. As the anchor of a floor missed, or as the event of a floor met, it cannot decide the
 * verdict: an error saying so. Missed with a timed anchor (a late event was sent sooner still),
 * or met from an untimed anchor (it was sent sooner, the wait longer), the verdict stands. */
static void test_packet_untimed(void **state)
{
	struct fake_trigger late_anchor[] = { { CLIENT, "connect", .evs = {
		{ .kind = FAKE_PACKET, .delay_ms = 1, .from = CLIENT, .to = SERVER, .flags = "S", .sport = 40000,
		  .dport = 5000, .untimed = true },
		PKT(2, SERVER, CLIENT, "S."), PKT(3, CLIENT, SERVER, "."), RESULT(4, 0, 0) } }, { 0 } };
	struct fake_trigger late_event[] = { { CLIENT, "connect", .evs = {
		PKT(1, CLIENT, SERVER, "S"),
		{ .kind = FAKE_PACKET, .delay_ms = 120, .from = SERVER, .to = CLIENT, .flags = "S.", .sport = 5000,
		  .dport = 40000, .untimed = true },
		PKT(121, CLIENT, SERVER, "."), RESULT(122, 0, 0) } }, { 0 } };
	const char *steps = "server listen 5000\nclient connect server 5000\nawait packet client > server S\n"
			    "await packet server > client S. after 100ms\n";
	struct outcome o;

	run(steps, late_anchor, &o);
	expect(&o, "error", "'after 100 ms' cannot be judged: 1.0 ms as the wire saw it, but the packet it counts from is "
			    "a packet whose send time is unknown");
	assert_non_null(strstr(o.res->notes.v[o.res->notes.n - 1], "capture: 1 packets with no copy at their sender's tap"));
	done(&o);
	run(steps, late_event, &o);
	expect(&o, "error", "but the packet awaited is a packet whose send time is unknown");
	done(&o);
	/* Too soon with a timed anchor: a fail, whatever the late event. */
	run("server listen 5000\nclient connect server 5000\nawait packet client > server S\n"
	    "await packet server > client S. after 200ms\n", late_event, &o);
	expect(&o, "fail", "too soon\n  expected: after 200 ms\n  observed: after 119");
	done(&o);
	/* In time from an untimed anchor: a pass (the S. 40 ms after the S, the floor 1 ms: a loaded
	 * machine's fake world may send two packets 1 ms apart as good as together). */
	late_anchor[0].evs[1].delay_ms = 41;
	late_anchor[0].evs[2].delay_ms = 42;
	late_anchor[0].evs[3].delay_ms = 43;
	run("server listen 5000\nclient connect server 5000\nawait packet client > server S\n"
	    "await packet server > client S. after 1ms\n", late_anchor, &o);
	expect(&o, "pass", NULL);
	done(&o);
}

/* Packets are awaited in wire order: one matched already is not matched again. */
static void test_packet_order(void **state)
{
	struct fake_trigger script[] = { CONNECTS, { 0 } };
	struct outcome o;

	run("server listen 5000\nclient connect server 5000\nawait packet client > server .\n"
	    "await packet client > server S within 20ms\n", script, &o);
	expect(&o, "fail", "no client > server S within 20 ms");
	done(&o);
}

static void test_no_packet(void **state)
{
	struct fake_trigger script[] = { CONNECTS, { 0 } };
	struct outcome o;

	run("server listen 5000\nclient connect server 5000\nexpect no packet server > client R\n", script, &o);
	expect(&o, "pass", NULL);
	done(&o);
	run("server listen 5000\nclient connect server 5000\nexpect no packet server > client S.\n", script, &o);
	expect(&o, "fail", "a packet that must not be there\n  expected: no server > client S.");
	done(&o);
}

/* A packet that comes while 'expect no packet ... within' watches. */
static void test_no_packet_within(void **state)
{
	struct fake_trigger script[] = {
		CONNECTS, { SERVER, "close", .evs = { RESULT(0, 0, 0), PKT(20, SERVER, CLIENT, "F.") } }, { 0 } };
	struct outcome o;

	run("server listen 5000\nclient connect server 5000\nserver accept\nserver close\n"
	    "expect no packet server > client F. within 60ms\n", script, &o);
	expect(&o, "fail", "a packet that must not be there");
	done(&o);
}

/* ---- socket states and counters ---- */

static void test_state(void **state)
{
	struct fake_trigger script[] = {
		{ SERVER, "listen", .evs = { RESULT(0, 0, 0), STATE(10, SERVER, TCP_LISTEN, 5000, 0) } }, { 0 } };
	struct outcome o;

	run("server listen 5000\nawait state server LISTEN port 5000\n", script, &o);
	expect(&o, "pass", NULL);
	assert_int_equal(count(&o, states), 1);
	done(&o);
	run("server listen 5000\nawait state server ESTABLISHED within 30ms\n", script, &o);
	expect(&o, "fail", "fewer than 1 sockets of server in state ESTABLISHED within 30 ms");
	expect(&o, "fail", "observed: LISTEN :5000-:0");
	done(&o);
}

static void test_no_state(void **state)
{
	/* The listener stays for the 'expect no' (one that went at 30 ms could be gone by the time a
	 * loaded machine checks: a pass), and goes at 30 ms for the 'await no'. */
	struct fake_trigger stays[] = {
		{ SERVER, "listen", .evs = { RESULT(0, 0, 0), STATE(0, SERVER, TCP_LISTEN, 5000, 0) } }, { 0 } };
	struct fake_trigger script[] = {
		{ SERVER, "listen", .evs = { RESULT(0, 0, 0), STATE(0, SERVER, TCP_LISTEN, 5000, 0),
					     STATE(30, SERVER, 0, 5000, 0) } }, { 0 } };
	struct outcome o;

	run("server listen 5000\nexpect no state server LISTEN\n", stays, &o);
	expect(&o, "fail", "a socket that must not be there\n  expected: no LISTEN socket of server");
	done(&o);
	run("server listen 5000\nawait no state server LISTEN\n", script, &o);
	expect(&o, "pass", NULL);
	done(&o);
}

static void test_sockets_unlisted(void **state)
{
	struct fake_trigger script[] = { { SERVER, "sockets", .fail = E2BIG }, { 0 } };
	struct outcome o;

	run("await state server LISTEN\n", script, &o);
	expect(&o, "error", "server has more than 4096 TCP sockets");
	done(&o);
}

static void test_counter(void **state)
{
	struct fake_trigger script[] = {
		{ SERVER, "listen", .evs = { RESULT(0, 0, 0),
					     { .kind = FAKE_COUNTER, .delay_ms = 20, .host = SERVER,
					       .name = "TcpExt.ListenOverflows", .value = 2 } } }, { 0 } };
	struct outcome o;

	run("server listen 5000\nexpect counter server TcpExt.ListenOverflows = 2\n", script, &o);
	expect(&o, "fail", "counter TcpExt.ListenOverflows of server\n  expected: = 2\n  observed: 0");
	done(&o);
	run("server listen 5000\nawait counter server TcpExt.ListenOverflows = 2\n", script, &o);
	expect(&o, "pass", NULL);
	assert_int_equal(count(&o, counters), 1);
	done(&o);
	run("expect counter server Tcp.Missing = 2\n", NULL, &o);
	expect(&o, "error", "counter Tcp.Missing of server");
	done(&o);
}

/* ---- processes ---- */

static void test_exit(void **state)
{
	struct outcome o;

	run("kill server KILL\nawait exit server signal KILL\n", NULL, &o);
	expect(&o, "pass", NULL);
	assert_int_equal(count(&o, exits), 1);
	assert_int_equal(count(&o, events), 1);
	done(&o);
	run("kill server TERM\nawait exit server signal KILL\n", NULL, &o);
	expect(&o, "fail", "server ended otherwise\n  expected: killed by SIGKILL\n  observed: killed by SIGTERM");
	done(&o);
}


/* 'after' on an awaited exit counts to the death; a death sooner than the floor fails. */
static void test_exit_floor(void **state)
{
	struct fake_trigger late[] = { { SERVER, "kill", .evs = { DEATH(80, SERVER, SIGKILL) } }, { 0 } };
	struct outcome o;

	run("kill server KILL\nawait exit server signal KILL after 50ms\n", NULL, &o);
	expect(&o, "fail", "too soon\n  expected: after 50 ms\n  observed: after ");
	done(&o);
	run("kill server KILL\nawait exit server signal KILL after 50ms\n", late, &o);
	expect(&o, "pass", NULL);
	assert_true(o.res->floor_ms > 49.9 && o.res->floor_ms < 50.1);
	done(&o);
}

/* 'after' on a state counts from the packet the previous packet await matched. */
static void test_state_floor(void **state)
{
	struct fake_trigger script[] = {
		{ CLIENT, "connect", .evs = { PKT(1, CLIENT, SERVER, "S"), PKT(2, SERVER, CLIENT, "S."),
					      PKT(3, CLIENT, SERVER, "."), RESULT(4, 0, 0),
					      STATE(10, SERVER, TCP_ESTABLISHED, 5000, 40000) } }, { 0 } };
	struct outcome o;

	run("client connect server 5000\nawait packet client > server .\n"
	    "await state server ESTABLISHED after 100ms\n", script, &o);
	expect(&o, "fail", "too soon\n  expected: after 100 ms\n  observed: after ");
	done(&o);
	run("client connect server 5000\nawait packet client > server .\n"
	    "await state server ESTABLISHED after 5ms\n", script, &o);
	expect(&o, "pass", NULL);
	done(&o);
}

/* The run's time limit reached while awaiting an exit: tcpfault gave up, an error. */
static void test_deadline_in_exit(void **state)
{
	struct fake_trigger script[] = { { SERVER, "kill", .evs = { { .kind = FAKE_END } } }, { 0 } };
	struct outcome o;

	run("timeout 100ms\nkill server TERM\nawait exit server signal TERM\n", script, &o);
	expect(&o, "error", "the run's time limit (100 ms) ran out during this step");
	done(&o);
}

/* The router's ICMP: its events are the router's. */
static void test_unreachable(void **state)
{
	struct outcome o;

	run("topology router\nunreachable server host\nreachable server\nunreachable server net\n", NULL, &o);
	expect(&o, "pass", NULL);
	assert_int_equal(count(&o, events), 3);
	assert_string_equal(o.res->events.v[0].host, "router");
	assert_non_null(strstr(o.res->events.v[0].event, "ICMP host unreachable"));
	assert_non_null(strstr(o.res->events.v[1].event, "forwards to server again"));
	assert_non_null(strstr(o.res->events.v[2].event, "ICMP net unreachable"));
	done(&o);
}

static void test_exit_never(void **state)
{
	struct fake_trigger script[] = { { SERVER, "kill", .evs = { { .kind = FAKE_END } } }, { 0 } };
	struct outcome o;

	run("kill server TERM\nawait exit server signal TERM within 30ms\n", script, &o);
	expect(&o, "fail", "server did not end within 30 ms");
	done(&o);
}

static void test_crash(void **state)
{
	struct outcome o;

	run("server crash\nawait exit server signal SEGV\n", NULL, &o);
	expect(&o, "pass", NULL);
	done(&o);
}

/* A step on a peer that has died is the kernel's (or the program's) doing: a failure. */
static void test_dead_peer(void **state)
{
	struct outcome o;

	run("kill server KILL\nawait exit server signal KILL\nserver listen 5000\n", NULL, &o);
	expect(&o, "fail", "the server peer is no longer running");
	done(&o);
	run("kill server KILL\nawait exit server signal KILL\nkill server KILL\n", NULL, &o);
	expect(&o, "fail", "kill server: its peer is not running");
	done(&o);
}

/* A blocked call whose process dies never returns: a failure that says so. */
static void test_call_dies(void **state)
{
	struct fake_trigger script[] = {
		{ SERVER, "accept", .evs = { HANG, DEATH(10, SERVER, SIGKILL) } }, { 0 } };
	struct outcome o;

	run("server listen 5000\nserver accept\n", script, &o);
	expect(&o, "fail", "server accept never returned: the server peer died (SIGKILL)");
	done(&o);
}

/* ---- faults ---- */

static void test_faults(void **state)
{
	struct fake_trigger script[] = {
		{ SERVER, "blackhole", .evs = { PKT(5, CLIENT, SERVER, "P.") } }, { 0 } };
	struct outcome o;

	run("blackhole server\nawait packet client > server P.\nunblackhole server\nhold client\nrelease client\n"
	    "sysctl server net.ipv4.tcp_retries2 3\nquickack client on\nnft server add table inet t\n", script, &o);
	expect(&o, "pass", NULL);
	/* Each fault is an event of the ladder (the sysctl is not). */
	assert_int_equal(count(&o, events), 6);
	done(&o);
}

static void test_fault_fails(void **state)
{
	struct fake_trigger script[] = { { SERVER, "nft", .fail = EINVAL }, { 0 } };
	struct outcome o;

	run("nft server add table inet t\n", script, &o);
	expect(&o, "error", "t.tcpf:4: error: nft server add table inet t: fake failure");
	done(&o);
}

/* netem where the kernel has none: a missing capability, named in 'missing': skipped, and
 * what follows it never runs. */
static void test_netem_missing(void **state)
{
	struct outcome o;

	run("blackhole server netem\nserver listen 5000\n", NULL, &o);
	expect(&o, "skipped", "t.tcpf:4: blackhole server netem");
	assert_null(strstr(o.failures, "error"));
	assert_true(o.res->missing[0] != 0);
	assert_int_equal(count(&o, syscalls), 0);
	done(&o);
}

/* A sysctl this kernel does not have (an older kernel): skipped, never a verdict on the kernel. */
static void test_sysctl_missing(void **state)
{
	struct fake_trigger script[] = { { SERVER, "sysctl", .fail = ENOENT }, { 0 } };
	struct outcome o;

	run("sysctl server net.ipv4.tcp_rto_min_us 1000000\n", script, &o);
	expect(&o, "skipped", "t.tcpf:4: sysctl server net.ipv4.tcp_rto_min_us 1000000: this kernel has no sysctl "
		    "net.ipv4.tcp_rto_min_us");
	assert_string_equal(o.res->missing, "this kernel has no sysctl net.ipv4.tcp_rto_min_us");
	done(&o);
	/* A fail stays a fail: the run ended at it, the step that needs the sysctl never ran. */
	struct fake_trigger refused[] = { { CLIENT, "connect", .evs = { RESULT(1, -1, ECONNREFUSED) } },
					  { SERVER, "sysctl", .fail = ENOENT }, { 0 } };
	run("client connect server 5000\nsysctl server net.ipv4.tcp_rto_min_us 1000000\n", refused, &o);
	expect(&o, "fail", "observed: -1 ECONNREFUSED");
	assert_string_equal(o.res->missing, "");
	done(&o);
	/* One this kernel keeps for the whole machine (netns refuses it, writing nothing): there is
	 * no namespace's own value to set, so skipped like an absent one, saying why. */
	struct fake_trigger machine[] = { { SERVER, "sysctl", .fail = EREMOTE }, { 0 } };
	run("sysctl server net.ipv4.tcp_challenge_ack_limit 100\n", machine, &o);
	expect(&o, "skipped", "t.tcpf:4: sysctl server net.ipv4.tcp_challenge_ack_limit 100: fake failure");
	assert_string_equal(o.res->missing, "fake failure");
	done(&o);
	/* Another sysctl's failure is the harness's: an error, not skipped. */
	struct fake_trigger other[] = { { SERVER, "sysctl", .fail = EPERM }, { 0 } };
	run("sysctl server net.ipv4.tcp_rto_min_us 1000000\n", other, &o);
	expect(&o, "error", "t.tcpf:4: error: sysctl server net.ipv4.tcp_rto_min_us 1000000");
	assert_string_equal(o.res->missing, "");
	done(&o);
}

static void test_reboot(void **state)
{
	struct fake_trigger script[] = {
		CONNECTS, { SERVER, "write", .evs = { RESULT(1, -1, EPIPE) } }, { 0 } };
	struct outcome o;

	run("server listen 5000\nclient connect server 5000\nserver accept\nreboot server\n"
	    "server listen 5000\n", script, &o);
	expect(&o, "pass", NULL);
	/* The reboot's SIGKILL, and the peer's death */
	assert_int_equal(count(&o, exits), 1);
	done(&o);
	/* After a reboot the new peer has no socket 'main': an op on it makes it anew. */
	run("server listen 5000\nreboot server\nserver accept within 20ms\n",
	    (struct fake_trigger[]){ { SERVER, "accept", .evs = { RESULT(1, -1, EINVAL) } }, { 0 } }, &o);
	expect(&o, "fail", "observed: -1 EINVAL");
	done(&o);
}

static void test_reboot_fails(void **state)
{
	struct fake_trigger script[] = { { SERVER, "reboot", .fail = ENOMEM }, { 0 } };
	struct outcome o;

	run("reboot server\n", script, &o);
	expect(&o, "error", "reboot server: fake failure");
	done(&o);
}

/* ---- the run as a whole ---- */

/* Every kind of step the language makes has a function that runs it. */
static void test_every_kind_runs(void **state)
{
	for (int k = 0; k < STEP_NKINDS; k++)
		if (!runner_runs((enum step_kind)k))
			fail_msg("step kind %d has no runner", k);
	assert_false(runner_runs(STEP_NKINDS));
}

static void test_deadline(void **state)
{
	struct fake_trigger script[] = { { SERVER, "accept", .evs = { HANG } }, { 0 } };
	struct outcome o;

	run("timeout 100ms\nserver listen 5000\nserver accept\n", script, &o);
	expect(&o, "error", "the run's time limit (100 ms) ran out during this step");
	done(&o);
}

static void test_first_failure_ends(void **state)
{
	struct fake_trigger script[] = {
		{ CLIENT, "connect", .evs = { RESULT(1, -1, ECONNREFUSED) } }, { 0 } };
	struct outcome o;

	run("client connect server 5000\nserver listen 5000\n", script, &o);
	expect(&o, "fail", NULL);
	/* the client's socket and connect; nothing of the server's */
	assert_int_equal(count(&o, syscalls), 2);
	assert_int_equal(count(&o, failures), 1);
	done(&o);
}

/* A capture that lost packets cannot support a verdict that looked at packets. */
static void test_capture_loss(void **state)
{
	struct fake_trigger script[] = { CONNECTS, { 0 } };
	struct outcome o;

	fake_world_drops(5);
	run("server listen 5000\nclient connect server 5000\nexpect no packet server > client R\n", script, &o);
	expect(&o, "error", "capture incomplete: the kernel dropped 5 of 8 packets");
	done(&o);
	/* One that never looked at a packet keeps a note. */
	fake_world_drops(5);
	run("server listen 5000\nclient connect server 5000\n", script, &o);
	expect(&o, "pass", NULL);
	/* (after the kernel tracer's (the fake world has none), and where the test's programs are
	 * out of reach, the --privileged-programs note) */
	assert_int_equal(count(&o, notes), programs_out_of_reach() ? 3 : 2);
	assert_non_null(strstr(o.res->notes.v[0], "kernel reasons unavailable"));
	assert_non_null(strstr(o.res->notes.v[count(&o, notes) - 1], "capture: the kernel dropped 5 of 8 packets"));
	done(&o);
}

static void test_peer_cannot_start(void **state)
{
	struct fake_trigger script[] = { { SERVER, "spawn", .fail = ENOENT }, { 0 } };
	struct outcome o;

	run("server listen 5000\n", script, &o);
	expect(&o, "error", "t.tcpf: setting up: error: starting fake-peer in the server namespace");
	done(&o);
}

/* ---- issue 13: packets after a fault, qualifiers, absence, liveness, time, alternatives ---- */

#define DATA(ms, f, t, n, sq) { .kind = FAKE_PACKET, .delay_ms = (ms), .from = (f), .to = (t), .flags = "P.", \
				.sport = 40000, .dport = 5000, .value = (n), .seq = (sq), .ack = 1 }

/* The reproduction of issue 13: a blackholed server sends nothing, so the handshake's SYN-ACK,
 * captured before the fault, must not satisfy an await after it (it did: a false pass). */
static void test_packet_after_fault(void **state)
{
	struct fake_trigger script[] = {
		CONNECTS, { CLIENT, "write", .evs = { DATA(1, CLIENT, SERVER, 100, 1), RESULT(2, 100, 0) } },
		{ SERVER, "read", .evs = { RESULT(1, 100, 0) } }, { 0 } };
	struct outcome o;

	run("server listen 5000\nclient connect server 5000\nserver accept\nclient write 100 = 100\n"
	    "server read 1000 = 100\nblackhole server\nawait packet server > client S. within 50ms\n", script, &o);
	expect(&o, "fail", "t.tcpf:10: no server > client S. after the fault at line 9");
	expect(&o, "fail", "within 50 ms\n  expected: server > client S.\n  observed: no packets");
	done(&o);
	/* The client's data sent before the fault is not the data awaited after it either. */
	run("server listen 5000\nclient connect server 5000\nserver accept\nclient write 100 = 100\n"
	    "server read 1000 = 100\nblackhole server\nawait packet client > server P. within 50ms\n", script, &o);
	expect(&o, "fail", "no client > server P. after the fault at line 9");
	done(&o);
	/* Without the fault the same await finds the SYN-ACK: the anchor is the fault's. */
	run("server listen 5000\nclient connect server 5000\nserver accept\nclient write 100 = 100\n"
	    "server read 1000 = 100\nawait packet server > client S. within 50ms\n", script, &o);
	expect(&o, "pass", NULL);
	done(&o);
}

/* What a fault's step brings about is after it; so is what a kill brings about while the
 * signal is being sent (anchored at the step's start). */
static void test_packet_after_fault_found(void **state)
{
	struct fake_trigger script[] = {
		CONNECTS, { SERVER, "blackhole", .evs = { PKT(5, CLIENT, SERVER, "P.") } },
		{ SERVER, "kill", .evs = { PKT(0, SERVER, CLIENT, "F."), DEATH(1, SERVER, SIGKILL) } }, { 0 } };
	struct outcome o;

	run("server listen 5000\nclient connect server 5000\nserver accept\nblackhole server\n"
	    "await packet client > server P. within 500ms\n", script, &o);
	expect(&o, "pass", NULL);
	done(&o);
	run("server listen 5000\nclient connect server 5000\nserver accept\nkill server\n"
	    "await packet server > client F. within 500ms\nawait exit server signal KILL\n", script, &o);
	expect(&o, "pass", NULL);
	done(&o);
}

/* 'expect no packet' after a fault looks at what came since: the handshake's SYN is not a
 * SYN sent after the blackhole; before any fault it looks at the whole run. */
static void test_no_packet_after_fault(void **state)
{
	struct fake_trigger script[] = { CONNECTS, { 0 } };
	struct outcome o;

	run("server listen 5000\nclient connect server 5000\nserver accept\nblackhole server\n"
	    "expect no packet client > server S\n", script, &o);
	expect(&o, "pass", NULL);
	done(&o);
	run("server listen 5000\nclient connect server 5000\nserver accept\nexpect no packet client > server S\n",
	    script, &o);
	expect(&o, "fail", "a packet that must not be there\n  expected: no client > server S\n");
	done(&o);
	struct fake_trigger later[] = { CONNECTS, { SERVER, "blackhole", .evs = { PKT(1, CLIENT, SERVER, "S") } }, { 0 } };
	run("server listen 5000\nclient connect server 5000\nserver accept\nblackhole server\n"
	    "expect no packet client > server S within 30ms\n", later, &o);
	expect(&o, "fail", "a packet that must not be there after the fault at line 7");
	done(&o);
}

/* len, len >0, seq, ack: an ACK and a keepalive probe are both '.'; count N awaits N. */
static void test_packet_qualifiers(void **state)
{
	struct fake_trigger script[] = {
		CONNECTS, { CLIENT, "write", .evs = { DATA(1, CLIENT, SERVER, 100, 1), DATA(2, CLIENT, SERVER, 50, 101),
						      RESULT(3, 150, 0) } }, { 0 } };
	struct outcome o;

	run("server listen 5000\nclient connect server 5000\nclient write 150\n"
	    "await packet client > server P. len 50 seq 101 ack 1\n", script, &o);
	expect(&o, "pass", NULL);
	done(&o);
	run("server listen 5000\nclient connect server 5000\nclient write 150\n"
	    "await packet client > server P. len >0 count 2\n", script, &o);
	expect(&o, "pass", NULL);
	done(&o);
	run("server listen 5000\nclient connect server 5000\nclient write 150\n"
	    "await packet client > server P. len >0 count 3 within 30ms\n", script, &o);
	expect(&o, "fail", "no 3 x client > server P. len >0 within 30 ms");
	expect(&o, "fail", "(fewer such packets)");
	done(&o);
	run("server listen 5000\nclient connect server 5000\nclient write 150\n"
	    "await packet client > server P. len 0 within 30ms\n", script, &o);
	expect(&o, "fail", "observed: client > server S seq 0 ack 0 len 0, server > client S. seq 0 ack 0 len 0, "
			   "client > server . seq 0 ack 0 len 0, client > server P. seq 1 ack 1 len 100");
	done(&o);
	run("server listen 5000\nclient connect server 5000\nclient write 150\n"
	    "expect no packet client > server P. seq 101\n", script, &o);
	expect(&o, "fail", "expected: no client > server P. seq 101\n  observed: client > server P. seq 101 ack 1 len 50");
	done(&o);
}

/* wait DUR lets the time pass, shows it in the ladder and counts it in the timer floor. */
static void test_wait(void **state)
{
	struct outcome o;

	run("wait 60ms\n", NULL, &o);
	expect(&o, "pass", NULL);
	assert_true(o.res->duration_ms >= 60);
	assert_true(o.res->floor_ms >= 59.9 && o.res->floor_ms <= 60.1);
	assert_int_equal(count(&o, events), 1);
	assert_non_null(strstr(o.res->events.v[0].event, "wait 60 ms"));
	done(&o);
}

/* Alternatives: either result passes, and the notes say which; none of them fails. */
static void test_alternatives(void **state)
{
	struct fake_trigger script[] = {
		{ CLIENT, "connect", .evs = { RESULT(1, -1, ECONNREFUSED) } },
		{ SERVER, "kill", .evs = { DEATH(1, SERVER, SIGKILL) } }, { 0 } };
	struct outcome o;

	run("client connect server 5000 = 0 | -1 ECONNREFUSED\n", script, &o);
	expect(&o, "pass", NULL);
	assert_non_null(strstr(o.res->notes.v[o.res->notes.n - 1], "t.tcpf:4: client connect = -1 ECONNREFUSED: alternative 2 of 2 "
					 "(0 | -1 ECONNREFUSED)"));
	done(&o);
	run("client connect server 5000 = 0 | -1 ETIMEDOUT\n", script, &o);
	expect(&o, "fail", "expected: 0 | -1 ETIMEDOUT\n  observed: -1 ECONNREFUSED");
	done(&o);
	run("kill server\nawait exit server signal TERM|KILL\n", script, &o);
	expect(&o, "pass", NULL);
	assert_non_null(strstr(o.res->notes.v[o.res->notes.n - 1], "server killed by SIGKILL: alternative 2 of 2"));
	done(&o);
	run("kill server\nawait exit server status 1|2\n", script, &o);
	expect(&o, "fail", "expected: exit status 1 | 2\n  observed: killed by SIGKILL");
	done(&o);
}

/* expect no HOST OP: the built-in peer's reported calls so far. */
static void test_no_call_peer(void **state)
{
	struct fake_trigger script[] = { { CLIENT, "connect", .evs = { RESULT(1, -1, ECONNREFUSED) } }, { 0 } };
	struct outcome o;

	run("client connect server 5000 = -1 ECONNREFUSED\nexpect no client read\n"
	    "expect no client connect = 0 | -1 ETIMEDOUT\n", script, &o);
	expect(&o, "pass", NULL);
	done(&o);
	run("client connect server 5000 = -1 ECONNREFUSED\nexpect no client connect = -1 ECONNREFUSED\n", script, &o);
	expect(&o, "fail", "client: a call that must not be there\n  expected: no connect = -1 ECONNREFUSED\n"
			   "  observed: connect = -1 ECONNREFUSED (socket main)");
	done(&o);
}

/* ---- real programs (exec), run in the test's own namespace ---- */

/* "client.p exec PROGRAM ARGS" with the test program's path (tests/socket-calls.c). */
static const char *prog(const char *env)
{
	const char *p = getenv(env);
	/* Programs are signalled through pidfds; valgrind 3.19 (Debian 12) has none. */
	int fd = (int)syscall(SYS_pidfd_open, getpid(), 0);
	if (fd < 0 && errno == ENOSYS)
		skip();
	if (fd >= 0)
		close(fd);
	if (!p)
		fail_msg("%s is not set (meson test sets it)", env);
	return p;
}

static void test_program_calls(void **state)
{
	char steps[1024];
	struct outcome o;

	snprintf(steps, sizeof steps, "client.p exec %s wait\nawait output client.p \"ready\"\n"
		 "await client.p read = -1 ENOTCONN\nexpect client.p send = -1 EPIPE\n"
		 "kill client.p TERM\nawait exit client.p signal TERM\n", prog("TCPFAULT_TEST_CALLS"));
	run(steps, NULL, &o);
	expect(&o, "pass", NULL);
	assert_int_equal(count(&o, programs), 1);
	assert_true(count(&o, syscalls) >= 3);   /* read, send, close */
	done(&o);
}

static void test_program_call_differs(void **state)
{
	char steps[1024];
	struct outcome o;

	snprintf(steps, sizeof steps, "client.p exec %s\nawait exit client.p status 3\nawait client.p read = 0\n",
		 prog("TCPFAULT_TEST_CALLS"));
	run(steps, NULL, &o);
	expect(&o, "fail", "client.p: no read = 0 within 5000 ms\n  expected: read = 0\n  observed: read = -1 ENOTCONN");
	done(&o);
}

static void test_program_exit(void **state)
{
	char steps[1024];
	struct outcome o;

	snprintf(steps, sizeof steps, "client.p exec %s\nawait exit client.p status 4\n", prog("TCPFAULT_TEST_CALLS"));
	run(steps, NULL, &o);
	expect(&o, "fail", "client.p ended otherwise\n  expected: exit status 4\n  observed: exit status 3; its stdout ends: \"ready\"");
	done(&o);
	snprintf(steps, sizeof steps, "client.p exec %s wait\nawait exit client.p status 0 within 30ms\n",
		 prog("TCPFAULT_TEST_CALLS"));
	run(steps, NULL, &o);
	expect(&o, "fail", "client.p did not end within 30 ms");
	done(&o);
	snprintf(steps, sizeof steps, "client.p exec %s\nawait exit client.p status 3\nkill client.p\n",
		 prog("TCPFAULT_TEST_CALLS"));
	run(steps, NULL, &o);
	expect(&o, "fail", "kill client.p: client.p exited with status 3");
	done(&o);
}

static void test_program_output(void **state)
{
	char steps[1024];
	struct outcome o;

	snprintf(steps, sizeof steps, "client.p exec %s\nawait exit client.p status 3\nexpect output client.p \"gone\"\n",
		 prog("TCPFAULT_TEST_CALLS"));
	run(steps, NULL, &o);
	expect(&o, "fail", "client.p: no output containing \"gone\" so far");
	done(&o);
}

/* A program that is not there: a missing capability, named in 'missing': skipped. */
static void test_program_missing(void **state)
{
	struct outcome o;

	/* A relative path with a slash: 'check' cannot judge it (the current directory decides),
	 * so the run finds it missing (one found nowhere on PATH: tests/test_scenario.c). */
	run("client.p exec ./no-such-program-here\n", NULL, &o);
	expect(&o, "skipped", "t.tcpf:4: starting client.p in the client namespace: ./no-such-program-here");
	assert_true(o.res->missing[0] != 0);
	done(&o);
}

static void test_program_twice(void **state)
{
	char steps[1024];
	struct outcome o;

	snprintf(steps, sizeof steps, "client.p exec %s wait\nclient.p exec %s wait\n", prog("TCPFAULT_TEST_CALLS"),
		 prog("TCPFAULT_TEST_CALLS"));
	run(steps, NULL, &o);
	expect(&o, "error", "client.p is running already");
	done(&o);
}

/* The observer the result names for its only program. */
static void assert_observer(const struct outcome *o, const char *observer)
{
	assert_int_equal(count(o, programs), 1);
	assert_non_null(o->res->programs.v[0].observer);
	assert_string_equal(o->res->programs.v[0].observer, observer);
}

/* The shim cannot see into a static binary: with it (or with no observer), an expectation on
 * its calls is tcpfault's blind spot, an error. */
static void test_program_static(void **state)
{
	static const char *const modes[] = { "shim", "none" };
	char steps[1024];
	struct outcome o;

	for (int i = 0; i < 2; i++) {
		snprintf(steps, sizeof steps, "client.p exec observe %s %s\nawait exit client.p status 3\n"
			 "await client.p read = -1 ENOTCONN\n", modes[i], prog("TCPFAULT_TEST_CALLS_STATIC"));
		run(steps, NULL, &o);
		expect(&o, "error", "client.p read: this program's own socket calls cannot be observed");
		assert_observer(&o, "none");
		done(&o);
	}
}

/* The tracer sees a static binary's calls (observe auto chooses it), named and numbered as the
 * shim reports them: recv and send are glibc's recvfrom and sendto without an address. */
static void test_program_traced(void **state)
{
	char steps[1024];
	struct outcome o;

	snprintf(steps, sizeof steps, "client.p exec %s wait\nawait output client.p \"ready\"\n"
		 "await client.p read = -1 ENOTCONN\nexpect client.p send = -1 EPIPE\nexpect client.p close = 0\n"
		 "kill client.p TERM\nawait exit client.p signal TERM\n", prog("TCPFAULT_TEST_CALLS_STATIC"));
	run(steps, NULL, &o);
	expect(&o, "pass", NULL);
	assert_observer(&o, "trace");
	/* Only the TCP socket's calls: not the write of "ready" to stdout. */
	assert_int_equal(count(&o, syscalls), 3);
	assert_true(o.res->programs.v[0].syscalls_observed);
	done(&o);
	/* The same calls as the shim sees, from a dynamic binary traced on demand, through sh. */
	snprintf(steps, sizeof steps, "client.p exec observe trace sh -c \"exec %s\"\nawait exit client.p status 3\n"
		 "expect client.p read = -1 ENOTCONN\nexpect client.p send = -1 EPIPE\n", prog("TCPFAULT_TEST_CALLS"));
	run(steps, NULL, &o);
	expect(&o, "pass", NULL);
	assert_observer(&o, "trace");
	done(&o);
	/* auto traces sh -c "exec STATIC": the command line names a static binary. */
	snprintf(steps, sizeof steps, "client.p exec sh -c \"exec %s\"\nawait exit client.p status 3\n"
		 "expect client.p read = -1 ENOTCONN\n", prog("TCPFAULT_TEST_CALLS_STATIC"));
	run(steps, NULL, &o);
	expect(&o, "pass", NULL);
	assert_observer(&o, "trace");
	done(&o);
	/* Its threads and its children are followed: the calls of each are seen, with their pid. */
	for (int i = 0; i < 2; i++) {
		snprintf(steps, sizeof steps, "client.p exec %s %s\nawait exit client.p status 3\n"
			 "expect client.p read = -1 ENOTCONN\nexpect client.p send = -1 EPIPE\n",
			 prog("TCPFAULT_TEST_CALLS_STATIC"), i ? "fork" : "thread");
		run(steps, NULL, &o);
		expect(&o, "pass", NULL);
		assert_int_equal(count(&o, syscalls), 3);
		bool child = o.res->syscalls.v[0].pid != o.res->programs.v[0].pid;
		assert_true(i ? child : !child);
		done(&o);
	}
	/* io_uring, the tracer's blind spot: its setup is in the result's calls. */
	snprintf(steps, sizeof steps, "client.p exec %s uring\nawait exit client.p status 3\n",
		 prog("TCPFAULT_TEST_CALLS_STATIC"));
	run(steps, NULL, &o);
	expect(&o, "pass", NULL);
	assert_int_equal(count(&o, syscalls), 4);
	assert_string_equal(o.res->syscalls.v[3].call, "io_uring_setup");
	done(&o);
	/* The waits, where they carry an error on a TCP socket (an unconnected one hangs up): poll
	 * and epoll_wait each with the call's ret (2: the pipe is ready too) and the socket's
	 * revents, the same from both observers; the pipe is never reported. */
	static const char *const observers[] = { "shim", "trace" };
	for (int i = 0; i < 2; i++) {
		snprintf(steps, sizeof steps, "client.p exec observe %s %s waits\nawait exit client.p status 3\n"
			 "expect client.p send = -1 EPIPE\nexpect client.p poll = 2\nexpect client.p epoll_wait = 2\n"
			 "expect client.p close = 0\n", observers[i], prog("TCPFAULT_TEST_CALLS"));
		run(steps, NULL, &o);
		expect(&o, "pass", NULL);
		assert_observer(&o, observers[i]);
		assert_int_equal(count(&o, syscalls), 5);
		assert_string_equal(o.res->syscalls.v[2].call, "poll");
		assert_string_equal(o.res->syscalls.v[2].args, "POLLOUT|POLLHUP");
		assert_string_equal(o.res->syscalls.v[3].call, "epoll_wait");
		assert_string_equal(o.res->syscalls.v[3].args, "EPOLLOUT|EPOLLHUP");
		assert_string_equal(o.res->syscalls.v[3].socket, o.res->syscalls.v[0].socket);
		done(&o);
	}
	/* A dynamic binary: auto leaves it to the shim. */
	snprintf(steps, sizeof steps, "client.p exec %s\nawait exit client.p status 3\nexpect client.p read = -1 ENOTCONN\n",
		 prog("TCPFAULT_TEST_CALLS"));
	run(steps, NULL, &o);
	expect(&o, "pass", NULL);
	assert_observer(&o, "shim");
	done(&o);
}

/* Where ptrace is forbidden (here by a seccomp policy of the test's own, in a child process of
 * its own), a traced program is a missing capability: skipped, naming ptrace in 'missing'. */
static void test_program_ptrace_forbidden(void **state)
{
	char steps[1024];
	struct outcome o;

	snprintf(steps, sizeof steps, "client.p exec observe trace %s\nawait exit client.p status 3\n",
		 prog("TCPFAULT_TEST_CALLS"));
	fflush(NULL);
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		struct sock_filter f[] = {
			BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
			BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_ptrace, 0, 1),
			BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | EPERM),
			BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
		};
		struct sock_fprog fp = { .len = sizeof f / sizeof f[0], .filter = f };
		if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0 || syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &fp) < 0)
			_exit(2);
		run(steps, NULL, &o);
		bool ok = strcmp(o.verdict, "skipped") == 0 && strstr(o.failures, "Operation not permitted") &&
			  strstr(o.res->missing, "ptrace") && count(&o, programs) == 0;
		if (!ok)
			fprintf(stderr, "verdict %s, failures: %s, missing: %s\n", o.verdict, o.failures, o.res->missing);
		_exit(ok ? 0 : 1);
	}
	int status;
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
}

/* Readiness: a LISTEN socket on the port (here scripted), while the program runs. */
static void test_program_listen(void **state)
{
	struct fake_trigger script[] = { { CLIENT, "start", .evs = { STATE(30, CLIENT, TCP_LISTEN, 9000, 0) } }, { 0 } };
	char steps[1024];
	struct outcome o;

	snprintf(steps, sizeof steps, "client.p exec port 9000 %s wait\nawait listen client.p 9000\n",
		 prog("TCPFAULT_TEST_CALLS"));
	run(steps, script, &o);
	expect(&o, "pass", NULL);
	done(&o);
	snprintf(steps, sizeof steps, "client.p exec port 9001 %s\nawait listen client.p 9001\n",
		 prog("TCPFAULT_TEST_CALLS"));
	run(steps, script, &o);
	expect(&o, "fail", "client.p not ready: it ended before a LISTEN socket on port 9001 appeared");
	done(&o);
}

/* Placeholders in an output text are the run's: the server's address for its family. */
static void test_output_placeholders(void **state)
{
	struct outcome o;

	run("client.p exec port 8080 sh -c \"echo connected to {server} port {port}; sleep 5\"\n"
	    "await output client.p \"connected to {server} port {port}\"\n"
	    "expect no output client.p \"{client}\"\n", NULL, &o);
	expect(&o, "pass", NULL);
	done(&o);
}

/* A program already killed cannot be killed again: the step says how it ended. */
static void test_program_killed_twice(void **state)
{
	char steps[1024];
	struct outcome o;

	snprintf(steps, sizeof steps, "client.p exec %s wait\nkill client.p TERM\nawait exit client.p signal TERM\n"
		 "kill client.p\n", prog("TCPFAULT_TEST_CALLS"));
	run(steps, NULL, &o);
	expect(&o, "fail", "kill client.p: client.p was killed by SIGTERM");
	done(&o);
}

/* A reboot takes the host's programs down with it. */
static void test_program_reboot(void **state)
{
	char steps[1024];
	struct outcome o;

	snprintf(steps, sizeof steps, "client.p exec %s wait\nawait output client.p \"ready\"\nreboot client\n"
		 "await exit client.p signal KILL\n", prog("TCPFAULT_TEST_CALLS"));
	run(steps, NULL, &o);
	expect(&o, "pass", NULL);
	done(&o);
}

/* expect running: a hang stated now; expect no output: a text not written so far. */
static void test_program_running(void **state)
{
	char steps[1024];
	struct outcome o;

	snprintf(steps, sizeof steps, "client.p exec %s wait\nawait output client.p \"ready\"\nexpect running client.p\n"
		 "expect no output client.p \"gone\"\n", prog("TCPFAULT_TEST_CALLS"));
	run(steps, NULL, &o);
	expect(&o, "pass", NULL);
	done(&o);
	snprintf(steps, sizeof steps, "client.p exec %s\nawait exit client.p status 3\nexpect running client.p\n",
		 prog("TCPFAULT_TEST_CALLS"));
	run(steps, NULL, &o);
	expect(&o, "fail", "client.p is not running\n  expected: still running\n  observed: client.p exited with status 3");
	done(&o);
	snprintf(steps, sizeof steps, "client.p exec %s wait\nawait output client.p \"ready\"\n"
		 "expect no output client.p contains \"ready\"\n", prog("TCPFAULT_TEST_CALLS"));
	run(steps, NULL, &o);
	expect(&o, "fail", "client.p: output that must not be there\n  expected: no output containing \"ready\"");
	done(&o);
}

/* expect no HOST.PROG CALL: none of the program's own calls so far. */
static void test_program_no_call(void **state)
{
	char steps[1024];
	struct outcome o;

	snprintf(steps, sizeof steps, "client.p exec %s\nawait exit client.p status 3\nexpect no client.p recv\n"
		 "expect no client.p read = 0 | -1 ECONNRESET\n", prog("TCPFAULT_TEST_CALLS"));
	run(steps, NULL, &o);
	expect(&o, "pass", NULL);
	done(&o);
	snprintf(steps, sizeof steps, "client.p exec %s\nawait exit client.p status 3\nexpect no client.p read\n",
		 prog("TCPFAULT_TEST_CALLS"));
	run(steps, NULL, &o);
	expect(&o, "fail", "client.p: a call that must not be there\n  expected: no read\n  observed: read = -1 ENOTCONN");
	done(&o);
	/* an alternative on a program's call: the notes say which */
	snprintf(steps, sizeof steps, "client.p exec %s\nawait client.p read = 0 | -1 ENOTCONN\n",
		 prog("TCPFAULT_TEST_CALLS"));
	run(steps, NULL, &o);
	expect(&o, "pass", NULL);
	assert_non_null(strstr(o.res->notes.v[o.res->notes.n - 1], "client.p read = -1 ENOTCONN: alternative 2 of 2"));
	done(&o);
}

/* A program's stdin: /dev/null (an end of file at once), a pipe kept open (never one), a file. */
static void test_program_stdin(void **state)
{
	char steps[1024], path[] = "/tmp/tcpfault-stdin-XXXXXX";
	struct outcome o;

	prog("TCPFAULT_TEST_CALLS");
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, "hello\n", 6), 6);
	assert_int_equal(fchmod(fd, 0644), 0);   /* readable by the confined program */
	close(fd);
	run("client.p exec sh -c \"read x; echo eof\"\nawait output client.p \"eof\" within 2s\n", NULL, &o);
	expect(&o, "pass", NULL);
	done(&o);
	run("client.p exec stdin open sh -c \"read x; echo eof\"\nexpect running client.p\n"
	    "await output client.p \"eof\" within 100ms\n", NULL, &o);
	expect(&o, "fail", "client.p: no output containing \"eof\" within 100 ms");
	done(&o);
	snprintf(steps, sizeof steps, "client.p exec stdin %s sh -c \"read x; echo got $x\"\n"
		 "await output client.p \"got hello\" within 2s\n", path);
	run(steps, NULL, &o);
	expect(&o, "pass", NULL);
	done(&o);
	unlink(path);
	run("client.p exec stdin /nonexistent/tcpfault-in sh -c true\n", NULL, &o);
	expect(&o, "error", "starting client.p in the client namespace: its stdin /nonexistent/tcpfault-in");
	/* a file the scenario names, not a capability this machine lacks (exit status 1, not 3) */
	assert_string_equal(o.res->missing, "");
	done(&o);
}

/* A dynamic wrapper that execs a static binary: its calls go unseen, so an expectation on them
 * is an error naming why (it was a FAIL, "no such call", blamed on the program), and the JSON
 * says the calls were not observed. Found from the command's words, and, where the command
 * does not name it, from the process itself. */
static void test_program_wrapped_static(void **state)
{
	char steps[1024];
	struct outcome o;
	const char *st = prog("TCPFAULT_TEST_CALLS_STATIC");

	/* With the shim forced: the static binary it execs escapes it. (By default, 'auto' sees the
	 * static binary named in the command and traces the whole program: test_program_traced.) */
	snprintf(steps, sizeof steps, "client.p exec observe shim sh -c \"exec %s\"\nawait exit client.p status 3\n"
		 "await client.p read = -1 ENOTCONN\n", st);
	run(steps, NULL, &o);
	expect(&o, "error", "client.p read: not all of this program's own socket calls can be observed: its command "
			    "runs ");
	expect(&o, "error", "statically linked");
	assert_int_equal(count(&o, programs), 1);
	assert_false(o.res->programs.v[0].syscalls_observed);
	assert_string_equal(o.res->programs.v[0].observer, "shim");
	assert_non_null(strstr(o.res->programs.v[0].unobserved_reason, "statically linked"));
	done(&o);
	/* Named only through the environment: seen in the running process. */
	run("client.p exec sh -c \"exec $TCPFAULT_TEST_CALLS_STATIC wait\"\nawait output client.p \"ready\"\n"
	    "expect no client.p recv\n", NULL, &o);
	expect(&o, "error", "client.p recv: not all of this program's own socket calls can be observed: process ");
	expect(&o, "error", "is statically linked");
	done(&o);
	/* A dynamic program is observed, and says how. */
	snprintf(steps, sizeof steps, "client.p exec %s\nawait exit client.p status 3\n", prog("TCPFAULT_TEST_CALLS"));
	run(steps, NULL, &o);
	expect(&o, "pass", NULL);
	assert_true(o.res->programs.v[0].syscalls_observed);
	assert_string_equal(o.res->programs.v[0].observer, "shim");
	assert_string_equal(o.res->programs.v[0].unobserved_reason, "");
	done(&o);
}

/* Reports dropped (review H3): a call found is a pass; a call not found, or 'expect no', is an
 * error naming the drops (it was a FAIL, "no such call", or a PASS); the JSON says not every
 * call was seen. */
static void test_program_dropped(void **state)
{
	char steps[1024];
	struct outcome o;
	const char *calls = prog("TCPFAULT_TEST_CALLS");

	snprintf(steps, sizeof steps, "client.p exec %s dropped\nawait exit client.p status 3\n"
		 "await client.p read = -1 ENOTCONN\n", calls);
	run(steps, NULL, &o);
	expect(&o, "pass", NULL);
	assert_int_equal(o.res->programs.v[0].syscalls_dropped, 2);
	assert_false(o.res->programs.v[0].syscalls_observed);
	assert_non_null(strstr(o.res->programs.v[0].unobserved_reason, "2 reports of its calls were dropped"));
	done(&o);
	snprintf(steps, sizeof steps, "client.p exec %s dropped\nawait exit client.p status 3\n"
		 "await client.p recv = -1 ENOTCONN within 100ms\n", calls);
	run(steps, NULL, &o);
	expect(&o, "error", "client.p recv: 2 reports of this program's own socket calls were dropped");
	done(&o);
	snprintf(steps, sizeof steps, "client.p exec %s dropped\nawait exit client.p status 3\n"
		 "expect no client.p recv\n", calls);
	run(steps, NULL, &o);
	expect(&o, "error", "so whether it made recv cannot be told");
	done(&o);
	/* A call that must not be there and was seen: a failure all the same. */
	snprintf(steps, sizeof steps, "client.p exec %s dropped\nawait exit client.p status 3\n"
		 "expect no client.p read\n", calls);
	run(steps, NULL, &o);
	expect(&o, "fail", "client.p: a call that must not be there");
	done(&o);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_op_pass),
		cmocka_unit_test(test_program_dropped),
		cmocka_unit_test(test_op_errno_differs),
		cmocka_unit_test(test_op_fails_unexpectedly),
		cmocka_unit_test(test_op_blocks),
		cmocka_unit_test(test_peer_hangs),
		cmocka_unit_test(test_op_refused),
		cmocka_unit_test(test_op_too_soon),
		cmocka_unit_test(test_op_floor_met),
		cmocka_unit_test(test_async_awaited),
		cmocka_unit_test(test_async_never_awaited),
		cmocka_unit_test(test_async_died),
		cmocka_unit_test(test_await_nothing_pending),
		cmocka_unit_test(test_packet_missing),
		cmocka_unit_test(test_packet_too_soon),
		cmocka_unit_test(test_packet_untimed),
		cmocka_unit_test(test_packet_order),
		cmocka_unit_test(test_no_packet),
		cmocka_unit_test(test_no_packet_within),
		cmocka_unit_test(test_state),
		cmocka_unit_test(test_no_state),
		cmocka_unit_test(test_sockets_unlisted),
		cmocka_unit_test(test_counter),
		cmocka_unit_test(test_exit),
		cmocka_unit_test(test_exit_never),
		cmocka_unit_test(test_exit_floor),
		cmocka_unit_test(test_state_floor),
		cmocka_unit_test(test_deadline_in_exit),
		cmocka_unit_test(test_unreachable),
		cmocka_unit_test(test_crash),
		cmocka_unit_test(test_dead_peer),
		cmocka_unit_test(test_call_dies),
		cmocka_unit_test(test_faults),
		cmocka_unit_test(test_fault_fails),
		cmocka_unit_test(test_netem_missing),
		cmocka_unit_test(test_sysctl_missing),
		cmocka_unit_test(test_reboot),
		cmocka_unit_test(test_reboot_fails),
		cmocka_unit_test(test_every_kind_runs),
		cmocka_unit_test(test_deadline),
		cmocka_unit_test(test_first_failure_ends),
		cmocka_unit_test(test_capture_loss),
		cmocka_unit_test(test_peer_cannot_start),
		cmocka_unit_test(test_packet_after_fault),
		cmocka_unit_test(test_packet_after_fault_found),
		cmocka_unit_test(test_no_packet_after_fault),
		cmocka_unit_test(test_packet_qualifiers),
		cmocka_unit_test(test_wait),
		cmocka_unit_test(test_alternatives),
		cmocka_unit_test(test_no_call_peer),
		cmocka_unit_test(test_program_running),
		cmocka_unit_test(test_program_no_call),
		cmocka_unit_test(test_program_stdin),
		cmocka_unit_test(test_program_wrapped_static),
		cmocka_unit_test(test_program_calls),
		cmocka_unit_test(test_program_call_differs),
		cmocka_unit_test(test_program_exit),
		cmocka_unit_test(test_program_output),
		cmocka_unit_test(test_program_missing),
		cmocka_unit_test(test_program_twice),
		cmocka_unit_test(test_program_static),
		cmocka_unit_test(test_program_traced),
		cmocka_unit_test(test_program_ptrace_forbidden),
		cmocka_unit_test(test_program_listen),
		cmocka_unit_test(test_program_reboot),
		cmocka_unit_test(test_program_killed_twice),
		cmocka_unit_test(test_output_placeholders),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
