/* SPDX-License-Identifier: MIT */
/*
 * Unit tests of the scenario language: what parses into which steps, and that every malformed
 * line is refused with FILE:LINE:COL and a reason. Also the expectation matchers. No privilege.
 */
#include <errno.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>
#include <cmocka.h>

#include "lang.h"
#include "report.h"
#include "run.h"
#include "netns.h"
#include "peer.h"

#define HEAD "mode B2\nsummary a test\n"

static struct scenario *parse_ok(const char *text)
{
	struct scenario *s = NULL;
	char err[512] = "";
	int r = scenario_parse("t.tcpf", text, &s, err, sizeof err);
	if (r < 0)
		fail_msg("unexpected parse error: %s", err);
	return s;
}

/* Parses text that must fail; returns the message. */
static const char *parse_bad(const char *text)
{
	static char err[512];
	struct scenario *s = NULL;

	err[0] = 0;
	assert_int_equal(scenario_parse("t.tcpf", text, &s, err, sizeof err), -EINVAL);
	assert_null(s);
	return err;
}

/* A table of texts that must fail, each with a part of its message. */
struct bad_case {
	const char *text, *message;
};

static void parse_bad_all(const struct bad_case *c, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		const char *err = parse_bad(c[i].text);
		if (!strstr(err, c[i].message))
			fail_msg("case %zu: '%s' lacks '%s'", i, err, c[i].message);
	}
}

static void test_header_and_steps(void **state)
{
	struct scenario *s = parse_ok(
		"# comment line\n"
		"mode B2\n"
		"summary Server killed\n"
		"claim one\n"
		"claim two   # not a comment inside text? it is kept\n"
		"linux what linux does\n"
		"timeout 20s\n"
		"await-timeout 750ms\n"
		"family inet\n"
		"\n"
		"sysctl client net.ipv4.tcp_retries2 3\n"
		"server listen 5000 8\n"
		"client connect server 5000\n"
		"server accept\n"
		"client read 1000 &\n"
		"kill server KILL\n"
		"await packet server > client F. within 2s\n"
		"await client read = 0\n"
		"client.b write 100 nosignal = -1 EPIPE\n"
		"await exit server signal SIGKILL\n"
		"expect no packet server > client R\n"
		"expect counter server TcpExt.ListenOverflows >= 1\n"
		"await state client CLOSE-WAIT port 5000\n"
		"blackhole server\n"
		"reboot server\n");

	assert_string_equal(s->name, "t");
	assert_string_equal(s->mode, "B2");
	assert_string_equal(s->summary, "Server killed");
	assert_non_null(strstr(s->claim, "one two"));
	assert_int_equal(s->timeout_ms, 20000);
	assert_int_equal(s->await_ms, 750);
	assert_int_equal(s->families, FAMILY_INET);
	assert_int_equal(s->nsteps, 15);

	const struct step *st = s->steps;
	assert_int_equal(st[0].kind, STEP_SYSCTL);
	assert_string_equal(st[0].sysctl.key, "net.ipv4.tcp_retries2");
	assert_string_equal(st[0].sysctl.value, "3");
	assert_int_equal(st[1].kind, STEP_OP);
	assert_int_equal(st[1].host, 1);
	assert_string_equal(st[1].sock, "listener");
	assert_string_equal(st[1].op.name, "listen");
	assert_int_equal(st[1].op.nargs, 2);
	assert_string_equal(st[2].sock, "main");
	assert_string_equal(st[2].op.args[0], "server");
	assert_true(st[4].async);
	assert_false(st[4].want.set);
	assert_int_equal(st[5].kind, STEP_KILL);
	assert_int_equal(st[5].kill.sig, SIGKILL);
	assert_int_equal(st[6].kind, STEP_PACKET);
	assert_int_equal(st[6].packet.from, 1);
	assert_int_equal(st[6].packet.to, 0);
	assert_string_equal(st[6].packet.flags, "F.");
	assert_int_equal(st[6].within_ms, 2000);
	assert_int_equal(st[7].kind, STEP_AWAIT_OP);
	assert_true(st[7].want.set);
	assert_int_equal(st[7].want.alt[0].ret, 0);
	assert_string_equal(st[8].sock, "b");
	assert_int_equal(st[8].want.alt[0].ret, -1);
	assert_int_equal(st[8].want.alt[0].err, EPIPE);
	assert_int_equal(st[8].line, 19);
	assert_int_equal(st[9].kind, STEP_EXIT);
	assert_true(st[9].exit.by_signal);
	assert_int_equal(st[10].kind, STEP_NO_PACKET);
	assert_int_equal(st[11].kind, STEP_COUNTER);
	assert_string_equal(st[11].counter.cmp, ">=");
	assert_int_equal(st[11].counter.number, 1);
	assert_int_equal(st[12].kind, STEP_STATE);
	assert_int_equal(st[12].state.port, 5000);
	assert_int_equal(st[13].kind, STEP_BLACKHOLE);
	assert_int_equal(st[14].kind, STEP_REBOOT);
	scenario_free(s);
}

static void test_hosts_line(void **state)
{
	struct scenario *s = parse_ok(HEAD "hosts a b router\nrouter listen 1\na connect router 1\n");
	assert_int_equal(s->nhosts, 3);
	assert_int_equal(s->steps[0].host, 2);
	/* Each host's addresses as its sandbox will give them: on the bridge, .(i+1). */
	char buf[64];
	assert_string_equal(scenario_host_addr(s, 2, AF_INET, buf), "198.18.0.3");
	assert_string_equal(scenario_host_addr(s, 2, AF_INET6, buf), "2001:2::3");
	assert_null(scenario_host_addr(s, 3, AF_INET, buf));
	scenario_free(s);
	/* Behind the router, host i on its own subnet 198.18.(i+1).0/24. */
	s = parse_ok(HEAD "topology router\nserver listen 1\nclient connect server 1\n");
	assert_string_equal(scenario_host_addr(s, 1, AF_INET, buf), "198.18.2.2");
	assert_string_equal(scenario_host_addr(s, 0, AF_INET6, buf), "2001:2:0:1::2");
	scenario_free(s);
}

/* Each bad line, the column the error must name, and a word the reason must contain. */
static void test_errors_name_line_and_column(void **state)
{
	static const struct {
		const char *text, *where, *why;
	} cases[] = {
		{ HEAD "client conect server 5000\n", "t.tcpf:3:8:", "unknown operation" },
		{ HEAD "client connect serve 5000\n", "t.tcpf:3:16:", "unknown host" },
		{ HEAD "client connect server 99999\n", "t.tcpf:3:23:", "0 to 65535" },
		{ HEAD "client read 10 = -1 ECONNREFUZED\n", "t.tcpf:3:21:", "unknown errno" },
		{ HEAD "client read 10 = -1\n", "t.tcpf:3:18:", "needs the errno" },
		{ HEAD "client read 10 = 5 EPIPE\n", "t.tcpf:3:20:", "goes with a return value of -1" },
		{ HEAD "client read\n", "t.tcpf:3:", "read MAXBYTES" },
		{ HEAD "await packet server client F.\n", "t.tcpf:3:", "FROM > TO" },
		{ HEAD "await packet server > client X\n", "t.tcpf:3:30:", "tcpdump letters" },
		{ HEAD "kill server SIGFOO\n", "t.tcpf:3:13:", "unknown signal" },
		{ HEAD "client read 1 within 5 parsecs\n", "t.tcpf:3:", "duration" },
		{ HEAD "frobnicate\n", "t.tcpf:3:1:", "unknown statement" },
		{ HEAD "sysctl client kernel.panic 1\n", "t.tcpf:3:15:", "network sysctl" },
		{ HEAD "sysctl client net.ipv4.../x 1\n", "t.tcpf:3:15:", "network sysctl" },
		{ HEAD "await state client SLEEPY\n", "t.tcpf:3:20:", "unknown TCP state" },
		{ HEAD "server crash &\n", "t.tcpf:3:", "does not return" },
		{ HEAD "client.b@d read 1\n", "t.tcpf:3:8:", "socket name" },
		{ HEAD "expect counter server ListenOverflows >= 1\n", "t.tcpf:3:23:", "TcpExt" },
		{ "mode B2\nclient read 1\n", "t.tcpf:1:1:", "no 'summary' line" },
		{ HEAD, "t.tcpf:1:1:", "no steps" },
		{ "mode Z9\n", "t.tcpf:1:6:", "mode id" },
		{ HEAD "client read 1\nhosts a b\n", "t.tcpf:4:1:", "before the first step" },
		{ HEAD "hosts a a\n", "t.tcpf:3:9:", "named twice" },
		{ HEAD "timeout forever\n", "t.tcpf:3:9:", "duration" },
		{ HEAD "client read 1\x01\n", "t.tcpf:3:14:", "control character" },
		{ HEAD "client read 10 = 0 |\n", "t.tcpf:3:", "alternatives separated by '|'" },
		{ HEAD "client read 10 = 0 | 1 | 2 | 3 | 4\n", "t.tcpf:3:34:", "at most 4 alternatives" },
		{ HEAD "client read 10 = 0 | -1\n", "t.tcpf:3:22:", "needs the errno" },
		{ HEAD "await exit server status 1|x\n", "t.tcpf:3:26:", "got 'x'" },
		{ HEAD "await exit server signal KILL|FOO\n", "t.tcpf:3:26:", "unknown signal 'FOO'" },
		{ HEAD "await packet client > server . len many\n", "t.tcpf:3:36:", "'>0'" },
		{ HEAD "expect no packet client > server . count 2\n", "t.tcpf:3:", "FROM > TO" },
		{ HEAD "wait\n", "t.tcpf:3:", "wait DURATION" },
		{ HEAD "wait 5 parsecs\n", "t.tcpf:3:", "wait DURATION" },
		{ HEAD "timeout 1s\nwait 2s\n", "t.tcpf:1:1:", "'wait' steps add up to 2000 ms" },
		{ HEAD "expect running client\n", "t.tcpf:3:16:", "HOST.PROGRAM" },
		{ HEAD "expect no client frob\n", "t.tcpf:3:18:", "unknown operation 'frob'" },
		{ HEAD "client.p exec sh\nexpect no client.p select\n", "t.tcpf:4:20:", "unknown call 'select'" },
	};

	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		const char *err = parse_bad(cases[i].text);
		if (strncmp(err, cases[i].where, strlen(cases[i].where)) != 0 || !strstr(err, cases[i].why))
			fail_msg("case %zu: got '%s', want '%s...%s'", i, err, cases[i].where, cases[i].why);
	}
}

static void test_long_and_huge_input(void **state)
{
	char line[2048];

	memset(line, 'a', sizeof line - 1);
	line[sizeof line - 1] = 0;
	const char *err = parse_bad(line);
	assert_non_null(strstr(err, "line too long"));

	char many[1024] = HEAD "client";
	for (int i = 0; i < 30; i++)
		strcat(many, " x");
	strcat(many, "\n");
	err = parse_bad(many);
	assert_non_null(strstr(err, "too many words"));
}

/* The syntax of issue 13's run-time statements, as the runner gets it. */
static void test_issue13_syntax(void **state)
{
	struct scenario *s = parse_ok(HEAD "client.p exec port 80 stdin open socat - TCP:x:1\n"
				       "client.q exec stdin in.txt cat\n"
				       "client read 10 = 0 | -1 ECONNRESET\n"
				       "await exit client.p status 28|56\n"
				       "await exit client.q signal TERM|SIGKILL\n"
				       "await packet client > server . len 0 seq 100 ack 1 port 80 count 3\n"
				       "expect no packet server > client P. len >0\n"
				       "wait 1500ms\n"
				       "expect running client.p\n"
				       "expect no output client.p contains \"refused\"\n"
				       "expect no client.p recv = 0 | -1 ECONNRESET\n"
				       "expect no server accept\n");
	const struct step *st = s->steps;

	assert_int_equal(st[0].exec.stdin_mode, EXEC_STDIN_OPEN);
	assert_int_equal(st[0].exec.port, 80);
	assert_string_equal(st[0].exec.command, "socat - TCP:x:1");
	assert_int_equal(st[1].exec.stdin_mode, EXEC_STDIN_FILE);
	assert_string_equal(st[1].exec.stdin_path, "in.txt");
	assert_string_equal(st[1].exec.command, "cat");
	assert_int_equal(st[2].want.n, 2);
	assert_true(st[2].want.alt[0].ret == 0 && st[2].want.alt[0].err == 0);
	assert_true(st[2].want.alt[1].ret == -1 && st[2].want.alt[1].err == ECONNRESET);
	assert_int_equal(st[3].exit.n, 2);
	assert_true(!st[3].exit.by_signal && st[3].exit.status[0] == 28 && st[3].exit.status[1] == 56);
	assert_true(st[4].exit.by_signal && st[4].exit.sig[0] == SIGTERM && st[4].exit.sig[1] == SIGKILL);
	const struct step_packet *pk = &st[5].packet;
	assert_true(pk->has_len && pk->len == 0 && pk->has_seq && pk->seq == 100 && pk->has_ack && pk->ack == 1);
	assert_true(pk->port == 80 && pk->count == 3 && !pk->len_some);
	assert_true(st[6].packet.len_some && !st[6].packet.has_len && !st[6].packet.has_seq);
	assert_int_equal(st[7].kind, STEP_WAIT);
	assert_int_equal(st[7].wait.ms, 1500);
	assert_int_equal(s->floor_ms, 1500);   /* a wait is a floor */
	assert_int_equal(st[8].kind, STEP_RUNNING);
	assert_string_equal(st[8].sock, "p");
	assert_int_equal(st[9].kind, STEP_NO_OUTPUT);
	assert_string_equal(st[9].output.text, "refused");
	assert_int_equal(st[10].kind, STEP_NO_CALL);
	assert_string_equal(st[10].call.name, "recv");
	assert_int_equal(st[10].want.n, 2);
	assert_int_equal(st[11].kind, STEP_NO_CALL);
	assert_string_equal(st[11].sock, "");
	assert_int_equal(st[11].host, 1);
	assert_string_equal(st[11].call.name, "accept");
	scenario_free(s);

	/* '>0': some bytes, as an alternative (a non-blocking write takes what room is left, if any). */
	s = parse_ok(HEAD "client write 1000 = >0 | -1 EAGAIN\n");
	assert_int_equal(s->steps[0].want.n, 2);
	assert_true(s->steps[0].want.alt[0].some && !s->steps[0].want.alt[1].some);
	assert_true(s->steps[0].want.alt[1].ret == -1 && s->steps[0].want.alt[1].err == EAGAIN);
	scenario_free(s);
	assert_non_null(strstr(parse_bad(HEAD "client write 1000 = >0 EAGAIN\n"), "expected a return value"));
}

static void test_within_and_after(void **state)
{
	struct scenario *s = parse_ok(HEAD "await client read = 0 after 1500ms within 4s\n"
				       "await packet client > server S within 2s after 1s\n");
	assert_int_equal(s->steps[0].after_ms, 1500);
	assert_int_equal(s->steps[0].within_ms, 4000);
	assert_int_equal(s->steps[0].want.alt[0].ret, 0);
	assert_int_equal(s->steps[1].after_ms, 1000);
	assert_int_equal(s->steps[1].within_ms, 2000);
	scenario_free(s);
	assert_non_null(strstr(parse_bad(HEAD "await client read after 5s within 2s\n"), "shorter than"));
	/* From a packet named earlier, the floor may pass the step's own bound. */
	scenario_free(parse_ok(HEAD "await packet client > server S as s1\n"
			       "await packet client > server S after 590ms from s1 within 350ms\n"));
	assert_non_null(strstr(parse_bad(HEAD "await client read after 5s = 0\n"), "end of the line"));
}

/* 'as NAME' names an awaited packet; 'after DUR from NAME' counts a floor from it. */
static void test_floor_from_named_packet(void **state)
{
	struct scenario *s = parse_ok(HEAD "client connect server 5000 &\n"
				       "await packet client > server S port 5000 as syn1 within 2s\n"
				       "if sysctl net.ipv4.x: await packet client > server S as syn2\n"
				       "await client connect = 0 within 3s after 980ms from syn1\n"
				       "if sysctl net.ipv4.x: await state client ESTABLISHED after 1s from syn2\n");
	assert_string_equal(s->steps[1].mark, "syn1");
	assert_int_equal(s->steps[1].within_ms, 2000);
	assert_int_equal(s->steps[1].packet.port, 5000);
	assert_string_equal(s->steps[3].after_from, "syn1");
	assert_int_equal(s->steps[3].after_ms, 980);
	assert_int_equal(s->steps[3].within_ms, 3000);
	assert_string_equal(s->steps[4].after_from, "syn2");
	scenario_free(s);
	static const struct bad_case bad[] = {
		{HEAD "client connect server 5000 after 1s from syn1\n",
		 "t.tcpf:3:37: no earlier 'await packet ... as syn1'"},
		{HEAD "client connect server 5000 after 1s from syn1\n" "await packet client > server S as syn1\n",
		 "no earlier"},
		{HEAD "await packet client > server S as a\nawait packet client > server S. as a\n",
		 "t.tcpf:4:1: the name 'a' is given twice (line 3 first)"},
		{HEAD "await packet client > server S as a as b\n",
		 "'as' twice"},
		{HEAD "await packet client > server S as a.b\n",
		 "expected a name"},
		{HEAD "client connect server 5000 as x\n",
		 "this line awaits no packet"},
		{HEAD "expect no packet client > server S as x\n",
		 "this line awaits no packet"},
		{HEAD "await quiet 300ms port 5000 within 100ms\n",
		 "t.tcpf:3:29: a quiet stretch of 300 ms cannot fit within 100 ms"},
		{HEAD "await quiet 300ms within 300ms\n",
		 "cannot fit within 300 ms"},
		{HEAD "await packet client > server S as a\nkill server after 1s from a\n",
		 "t.tcpf:4:27: expected 'kill"},
		{HEAD "await packet client > server S from a\n",
		 "t.tcpf:3:"},
		{HEAD "if sysctl net.ipv4.x: await packet client > server S as a\n" "await state client ESTABLISHED after 1s from a\n",
		 "t.tcpf:4:41: the packet named 'a' is awaited only if sysctl net.ipv4.x (line 3)"},
		{HEAD "unless sysctl net.ipv4.x: await packet client > server S as a\n" "if sysctl net.ipv4.x: await state client ESTABLISHED after 1s from a\n",
		 "awaited only unless sysctl"},
	};
	parse_bad_all(bad, sizeof bad / sizeof bad[0]);
	/* A floor from a named packet may be longer than the line's own bound. */
	scenario_free(parse_ok(HEAD "await packet client > server S as a\nawait exit server status 0 after 1s from a within 1s\n"));
}

static void test_expect_no_state(void **state)
{
	struct scenario *s = parse_ok(HEAD "expect no state client TIME-WAIT port 5000\n"
				       "expect no state server CLOSE_WAIT\n"
				       "await no state client ESTABLISHED port 5000 within 3s after 1s\n");
	assert_int_equal(s->steps[0].kind, STEP_NO_STATE);
	assert_int_equal(s->steps[0].host, 0);
	assert_int_equal(s->steps[0].state.port, 5000);
	assert_string_equal(netns_state_name((uint8_t)s->steps[0].state.state), "TIME-WAIT");
	assert_int_equal(s->steps[1].host, 1);
	assert_int_equal(s->steps[1].state.port, 0);
	assert_string_equal(netns_state_name((uint8_t)s->steps[1].state.state), "CLOSE-WAIT");
	assert_false(s->steps[1].state.waits);
	assert_int_equal(s->steps[2].kind, STEP_NO_STATE);
	assert_true(s->steps[2].state.waits);
	assert_int_equal(s->steps[2].state.port, 5000);
	assert_int_equal(s->steps[2].within_ms, 3000);
	assert_int_equal(s->steps[2].after_ms, 1000);
	scenario_free(s);
	assert_non_null(strstr(parse_bad(HEAD "expect no state client LISTEN within 1s\n"), "expect no state HOST STATE"));
	assert_non_null(strstr(parse_bad(HEAD "expect no state client NAPPING\n"), "t.tcpf:3:24: unknown TCP state"));
	assert_non_null(strstr(parse_bad(HEAD "expect no state client\n"), "expect no state HOST STATE"));
	assert_non_null(strstr(parse_bad(HEAD "expect no state client LISTEN count 2\n"), "expect no state HOST STATE"));
}

static void test_signal_names(void **state)
{
	assert_int_equal(signal_from_name("SIGKILL"), SIGKILL);
	assert_int_equal(signal_from_name("TERM"), SIGTERM);
	assert_int_equal(signal_from_name("SIGNOPE"), -EINVAL);
	assert_string_equal(signal_name(SIGSEGV), "SIGSEGV");
}

static void test_exec_steps(void **state)
{
	struct scenario *s = parse_ok(HEAD
		"server.web exec port 8080 socat TCP{ipv}-LISTEN:{port},reuseaddr 'EXEC:cat # no comment' # comment\n"
		"await listen server.web 8080 within 2s\n"
		"client exec /usr/bin/curl -sS \"http://{[server]}:{port}/\"\n"
		"await output server.web contains \"say \\\"hi\\\"\" within 1s\n"
		"expect output client.curl \"Empty reply\"\n"
		"await client.curl recv = -1 ECONNRESET within 3s\n"
		"expect client.curl connect = -1 EINPROGRESS\n"
		"kill server.web SEGV\n"
		"await exit server.web signal SEGV\n"
		"kill server TERM\n"
		"await client.main read = 0\n");
	assert_int_equal(s->nsteps, 11);
	assert_int_equal(s->steps[0].kind, STEP_EXEC);
	assert_string_equal(s->steps[0].sock, "web");
	assert_int_equal(s->steps[0].exec.port, 8080);
	assert_string_equal(s->steps[0].exec.command, "socat TCP{ipv}-LISTEN:{port},reuseaddr 'EXEC:cat # no comment' # comment");
	assert_int_equal(s->steps[1].kind, STEP_LISTEN);
	assert_int_equal(s->steps[1].listen.port, 8080);
	assert_int_equal(s->steps[1].within_ms, 2000);
	assert_int_equal(s->steps[2].kind, STEP_EXEC);
	assert_string_equal(s->steps[2].sock, "curl");          /* named after the command */
	assert_int_equal(s->steps[2].exec.port, 8080);               /* {port}: the last exec's */
	assert_int_equal(s->steps[3].kind, STEP_OUTPUT);
	assert_true(s->steps[3].output.waits);
	assert_string_equal(s->steps[3].output.text, "say \"hi\"");
	assert_int_equal(s->steps[3].within_ms, 1000);
	assert_false(s->steps[4].output.waits);
	assert_int_equal(s->steps[5].kind, STEP_CALL);
	assert_string_equal(s->steps[5].call.name, "recv");
	assert_int_equal(s->steps[5].want.alt[0].err, ECONNRESET);
	assert_true(s->steps[5].call.waits);
	assert_int_equal(s->steps[6].kind, STEP_CALL);
	assert_false(s->steps[6].call.waits);
	assert_int_equal(s->steps[7].kind, STEP_KILL);
	assert_string_equal(s->steps[7].sock, "web");
	assert_int_equal(s->steps[7].kill.sig, SIGSEGV);
	assert_int_equal(s->steps[8].kind, STEP_EXIT);
	assert_string_equal(s->steps[8].sock, "web");
	assert_string_equal(s->steps[9].sock, "");               /* the built-in peer */
	assert_int_equal(s->steps[10].kind, STEP_AWAIT_OP);     /* a socket, not a program */
	scenario_free(s);

	assert_non_null(strstr(parse_bad(HEAD "server exec socat 'unterminated\n"), "t.tcpf:3:19: unterminated single quote"));
	assert_non_null(strstr(parse_bad(HEAD "server exec port 80 nc {nohost}\n"), "t.tcpf:3:24: unknown placeholder {nohost}"));
	assert_non_null(strstr(parse_bad(HEAD "server exec nc -l {port}\n"), "{port} has no value"));
	assert_non_null(strstr(parse_bad(HEAD "server exec\n"), "expected a command"));
	assert_non_null(strstr(parse_bad(HEAD "nobody.x exec true\n"), "unknown host 'nobody.x'"));
	assert_non_null(strstr(parse_bad(HEAD "server.web exec true\nawait server.web frob\n"), "unknown call 'frob'"));
	assert_non_null(strstr(parse_bad(HEAD "await output server.web \"x\"\n"), "started by an earlier 'exec'"));
	assert_non_null(strstr(parse_bad(HEAD "server.web exec true\nexpect output server.web x\n"), "in double quotes"));
	assert_non_null(strstr(parse_bad(HEAD "await listen server 0\n"), "port from 1 to 65535"));

	/* A comment whose second word is 'exec' is a comment, not an exec step of host '#'. */
	s = parse_ok(HEAD "# exec the client below\n  # server exec x\nserver listen 5000\n");
	assert_int_equal(s->nsteps, 1);
	assert_int_equal(s->steps[0].kind, STEP_OP);
	assert_string_equal(s->steps[0].op.name, "listen");
	scenario_free(s);
}

/* exec's 'observe MODE' (who sees the program's own calls), before or after 'port N'. */
static void test_exec_observe(void **state)
{
	struct scenario *s = parse_ok(HEAD
		"server.web exec observe trace port 8080 ./server {port}\n"
		"client.a exec port 8080 observe none curl x\n"
		"client.b exec observe shim curl x\n"
		"client.c exec curl observe trace\n");
	assert_int_equal(s->steps[0].exec.observe, OBSERVE_TRACE);
	assert_int_equal(s->steps[0].exec.port, 8080);
	assert_string_equal(s->steps[0].exec.command, "./server {port}");
	assert_int_equal(s->steps[1].exec.observe, OBSERVE_NONE);
	assert_string_equal(s->steps[1].exec.command, "curl x");
	assert_int_equal(s->steps[2].exec.observe, OBSERVE_SHIM);
	assert_int_equal(s->steps[3].exec.observe, OBSERVE_AUTO);   /* after the command: its words */
	assert_string_equal(s->steps[3].exec.command, "curl observe trace");
	scenario_free(s);
	assert_non_null(strstr(parse_bad(HEAD "server exec observe strace nc\n"),
			       "t.tcpf:3:21: expected auto, shim, trace or none after 'observe'"));
}

/* topology router: the "router" host for packets, nft, sysctl and counters; icmp packets;
 * unreachable / reachable; and what is refused without the header or in the wrong place. */
static void test_router_topology(void **state)
{
	struct scenario *s = parse_ok(HEAD
		"topology router\n"
		"unreachable server host\n"
		"unreachable server net\n"
		"reachable server\n"
		"await packet router > client icmp host-unreachable port 40001 within 2s\n"
		"expect no packet router > client icmp net-unreachable\n"
		"await packet client > server S\n"
		"nft router add table inet t\n"
		"sysctl router net.ipv4.icmp_ratelimit 0\n"
		"expect counter router Icmp.OutDestUnreachs = 1\n");
	assert_true(s->router);
	assert_int_equal(s->nsteps, 9);
	assert_int_equal(s->steps[0].kind, STEP_UNREACHABLE);
	assert_int_equal(s->steps[0].host, 1);
	assert_false(s->steps[0].unreachable.net);
	assert_true(s->steps[1].unreachable.net);
	assert_int_equal(s->steps[2].kind, STEP_REACHABLE);
	assert_int_equal(s->steps[3].kind, STEP_PACKET);
	assert_true(s->steps[3].packet.icmp);
	assert_int_equal(s->steps[3].packet.from, HOST_ROUTER);
	assert_int_equal(s->steps[3].packet.to, 0);
	assert_string_equal(s->steps[3].packet.flags, "host-unreachable");
	assert_int_equal(s->steps[3].packet.port, 40001);
	assert_int_equal(s->steps[4].kind, STEP_NO_PACKET);
	assert_true(s->steps[4].packet.icmp);
	assert_false(s->steps[5].packet.icmp);
	assert_string_equal(s->steps[5].packet.flags, "S");
	assert_int_equal(s->steps[6].kind, STEP_NFT);
	assert_int_equal(s->steps[6].host, HOST_ROUTER);
	assert_int_equal(s->steps[7].host, HOST_ROUTER);
	assert_int_equal(s->steps[8].host, HOST_ROUTER);
	scenario_free(s);

	s = parse_ok(HEAD "topology bridge\nclient connect server 5000\n");
	assert_false(s->router);
	scenario_free(s);

	static const struct bad_case bad[] = {
		{HEAD "unreachable server host\n",
		 "t.tcpf:3:1: 'unreachable' needs a router"},
		{HEAD "await packet router > client icmp host-unreachable\n",
		 "t.tcpf:3:14: unknown host 'router'"},
		{HEAD "nft router add table inet t\n",
		 "unknown host 'router'"},
		{HEAD "topology router\nunreachable server far\n",
		 "t.tcpf:4:20: expected host"},
		{HEAD "topology router\nunreachable server\n",
		 "expected 'unreachable HOST host|net'"},
		{HEAD "topology router\nreachable server net\n",
		 "expected 'reachable HOST'"},
		{HEAD "topology router\nunreachable router host\n",
		 "unknown host 'router'"},
		{HEAD "topology router\nrouter connect server 5000\n",
		 "unknown statement 'router'"},
		{HEAD "topology router\nawait packet router > client icmp unreachable\n",
		 "t.tcpf:4:35: unknown ICMP error 'unreachable'"},
		{HEAD "topology router\nawait packet router > client icmp\n",
		 "expected TCP flags"},
		{HEAD "topology mesh\n",
		 "t.tcpf:3:10: expected bridge"},
		{HEAD "client close\ntopology router\n",
		 "'topology' must come before the first step"},
		{HEAD "hosts router server\ntopology router\n",
		 "a host is named 'router'"},
		{HEAD "topology router\nhosts router server\n",
		 "'router' is the router's name"},
	};
	parse_bad_all(bad, sizeof bad / sizeof bad[0]);
}

/* The middlebox statements: idle-timeout, mtu, port-range, snat, conntrack-max; what they
 * take and what they refuse. */
static void test_middlebox(void **state)
{
	struct scenario *s = parse_ok(HEAD
		"topology router\n"
		"idle-timeout router 350s reset\n"
		"idle-timeout router off\n"
		"mtu client 1280 silent\n"
		"mtu server 1400\n"
		"port-range client 50000 50003\n"
		"snat client 61000 61001\n"
		"snat client off\n"
		"conntrack-max router 2\n"
		"conntrack-max router off\n"
		"expect counter router Nft.forgotten = 0\n");
	assert_int_equal(s->nsteps, 10);
	assert_int_equal(s->steps[0].kind, STEP_IDLE_TIMEOUT);
	assert_int_equal(s->steps[0].host, HOST_ROUTER);
	assert_int_equal(s->steps[0].middlebox.seconds, 350);
	assert_int_equal(s->steps[0].middlebox.mode, MIDDLEBOX_RESET);
	assert_int_equal(s->steps[1].middlebox.mode, MIDDLEBOX_OFF);
	assert_int_equal(s->steps[2].kind, STEP_MTU);
	assert_int_equal(s->steps[2].host, 0);
	assert_int_equal(s->steps[2].middlebox.low, 1280);
	assert_true(s->steps[2].middlebox.silent);
	assert_false(s->steps[3].middlebox.silent);
	assert_int_equal(s->steps[4].kind, STEP_PORT_RANGE);
	assert_int_equal(s->steps[4].middlebox.high, 50003);
	assert_int_equal(s->steps[5].kind, STEP_SNAT);
	assert_int_equal(s->steps[5].middlebox.low, 61000);
	assert_int_equal(s->steps[6].middlebox.low, 0);
	assert_int_equal(s->steps[7].kind, STEP_CONNTRACK_MAX);
	assert_int_equal(s->steps[7].middlebox.max, 2);
	assert_int_equal(s->steps[8].middlebox.max, 0);
	scenario_free(s);

	s = parse_ok(HEAD "port-range client 40000 40000\n");   /* no router needed */
	scenario_free(s);
	assert_non_null(strstr(parse_bad(HEAD "idle-timeout router 2s drop\n"), "t.tcpf:3:1: 'idle-timeout' needs a router"));
	assert_non_null(strstr(parse_bad(HEAD "mtu client 1280\n"), "'mtu' needs a router"));
	assert_non_null(strstr(parse_bad(HEAD "topology router\nidle-timeout router 1500ms drop\n"), "t.tcpf:4:21: expected whole seconds"));
	assert_non_null(strstr(parse_bad(HEAD "topology router\nidle-timeout router 2s forget\n"), "t.tcpf:4:24: expected drop"));
	assert_non_null(strstr(parse_bad(HEAD "topology router\nidle-timeout server 2s drop\n"), "t.tcpf:4:14: expected router"));
	assert_non_null(strstr(parse_bad(HEAD "topology router\nidle-timeout router 2s\n"), "expected 'idle-timeout router DUR"));
	assert_non_null(strstr(parse_bad(HEAD "topology router\nmtu client 9000\n"), "t.tcpf:4:12: expected an MTU from 1280"));
	assert_non_null(strstr(parse_bad(HEAD "topology router\nmtu client 1280 quiet\n"), "t.tcpf:4:17: expected silent"));
	assert_non_null(strstr(parse_bad(HEAD "topology router\nmtu router 1280\n"), "unknown host 'router'"));
	assert_non_null(strstr(parse_bad(HEAD "port-range client 50003 50000\n"), "t.tcpf:3:25: expected the highest port"));
	assert_non_null(strstr(parse_bad(HEAD "port-range client 80 90\n"), "expected the lowest port"));
	assert_non_null(strstr(parse_bad(HEAD "topology router\nsnat client 61000\n"), "expected 'snat HOST LOW HIGH'"));
	assert_non_null(strstr(parse_bad(HEAD "topology router\nconntrack-max router 0\n"), "expected how many connections"));
	assert_non_null(strstr(parse_bad(HEAD "topology router\nconntrack-max client 2\n"), "expected router"));
}

/* HOST synflood HOST PORT COUNT SPORT: no socket, bounded count, ports that fit. */
static void test_synflood(void **state)
{
	struct scenario *s = parse_ok(HEAD "client synflood server 5000 100 20000 = 100\n");
	assert_int_equal(s->steps[0].kind, STEP_OP);
	assert_string_equal(s->steps[0].op.name, "synflood");
	assert_string_equal(s->steps[0].sock, "-");
	assert_int_equal(s->steps[0].op.nargs, 4);
	assert_true(s->steps[0].want.set);
	assert_int_equal(s->steps[0].want.alt[0].ret, 100);
	scenario_free(s);
	s = parse_ok(HEAD "client synflood server 5000 64512 1024\n");
	scenario_free(s);

	assert_non_null(strstr(parse_bad(HEAD "client synflood nowhere 5000 100 20000\n"), "unknown host 'nowhere'"));
	assert_non_null(strstr(parse_bad(HEAD "client synflood server 0 100 20000\n"), "t.tcpf:3:24: expected a port"));
	assert_non_null(strstr(parse_bad(HEAD "client synflood server 5000 100001 1024\n"), "t.tcpf:3:29: expected a count"));
	assert_non_null(strstr(parse_bad(HEAD "client synflood server 5000 100 65500\n"), "t.tcpf:3:33: expected the first source port"));
	assert_non_null(strstr(parse_bad(HEAD "client synflood server 5000 100\n"), "'synflood' takes"));
	assert_non_null(strstr(parse_bad(HEAD "client synflood server 5000 100 20000 &\n"), "no '&'"));
}

/* quickack HOST on|off: a host (never the router), and on or off. */
static void test_quickack(void **state)
{
	struct scenario *s = parse_ok(HEAD "quickack client on\nquickack server off   # back\n");
	assert_int_equal(s->nsteps, 2);
	assert_int_equal(s->steps[0].kind, STEP_QUICKACK);
	assert_int_equal(s->steps[0].host, 0);
	assert_true(s->steps[0].quickack.on);
	assert_int_equal(s->steps[1].kind, STEP_QUICKACK);
	assert_int_equal(s->steps[1].host, 1);
	assert_false(s->steps[1].quickack.on);
	scenario_free(s);

	assert_non_null(strstr(parse_bad(HEAD "quickack client\n"), "t.tcpf:3:10: expected 'quickack HOST on|off'"));
	assert_non_null(strstr(parse_bad(HEAD "quickack client on now\n"), "t.tcpf:3:20: expected 'quickack HOST on|off'"));
	assert_non_null(strstr(parse_bad(HEAD "quickack client yes\n"), "t.tcpf:3:17: expected on"));
	assert_non_null(strstr(parse_bad(HEAD "quickack nobody on\n"), "t.tcpf:3:10: unknown host 'nobody'"));
	assert_non_null(strstr(parse_bad(HEAD "topology router\nquickack router on\n"), "unknown host 'router'"));
}

/* hold HOST, release HOST: a host (never the router), nothing more. */
static void test_hold_release(void **state)
{
	struct scenario *s = parse_ok(HEAD "hold client\nrelease client   # in order\nhold server\n");
	assert_int_equal(s->nsteps, 3);
	assert_int_equal(s->steps[0].kind, STEP_HOLD);
	assert_int_equal(s->steps[0].host, 0);
	assert_int_equal(s->steps[1].kind, STEP_RELEASE);
	assert_int_equal(s->steps[1].host, 0);
	assert_int_equal(s->steps[2].kind, STEP_HOLD);
	assert_int_equal(s->steps[2].host, 1);
	scenario_free(s);

	assert_non_null(strstr(parse_bad(HEAD "hold\n"), "t.tcpf:3:1: expected 'hold HOST'"));
	assert_non_null(strstr(parse_bad(HEAD "release client now\n"), "t.tcpf:3:16: expected 'release HOST'"));
	assert_non_null(strstr(parse_bad(HEAD "hold nobody\n"), "t.tcpf:3:6: unknown host 'nobody'"));
	assert_non_null(strstr(parse_bad(HEAD "topology router\nhold router\n"), "unknown host 'router'"));
}

/* The path between two hosts: partition, heal, drop, inject rst; stop and cont. */
static void test_paths(void **state)
{
	struct scenario *s = parse_ok(HEAD "partition server client oneway\nheal client server\n"
				       "drop server > client S. first 2\ndrop client > server R\n"
				       "inject rst client > server in-window port 5000\ninject rst server > client\n"
				       "stop server\ncont server\n");
	assert_int_equal(s->nsteps, 8);
	assert_int_equal(s->steps[0].kind, STEP_PARTITION);
	assert_int_equal(s->steps[0].path.from, 1);
	assert_int_equal(s->steps[0].host, 0);
	assert_true(s->steps[0].path.oneway);
	assert_int_equal(s->steps[1].kind, STEP_HEAL);
	assert_false(s->steps[1].path.oneway);
	assert_int_equal(s->steps[2].kind, STEP_DROP);
	assert_string_equal(s->steps[2].path.flags, "S.");
	assert_int_equal(s->steps[2].path.first, 2);
	assert_int_equal(s->steps[3].path.first, 0);
	assert_int_equal(s->steps[4].kind, STEP_INJECT);
	assert_int_equal(s->steps[4].path.where, INJECT_IN_WINDOW);
	assert_int_equal(s->steps[4].path.port, 5000);
	assert_int_equal(s->steps[5].path.where, INJECT_EXACT);
	assert_int_equal(s->steps[5].path.from, 1);
	assert_int_equal(s->steps[5].host, 0);
	assert_int_equal(s->steps[6].kind, STEP_STOP);
	assert_string_equal(s->steps[6].sock, "");
	assert_int_equal(s->steps[7].kind, STEP_CONT);
	scenario_free(s);

	assert_non_null(strstr(parse_bad(HEAD "partition client\n"), "t.tcpf:3:11: expected 'partition HOST HOST [oneway]'"));
	assert_non_null(strstr(parse_bad(HEAD "partition client client\n"), "expected two different hosts"));
	assert_non_null(strstr(parse_bad(HEAD "partition client server both\n"), "t.tcpf:3:25: expected 'oneway'"));
	assert_non_null(strstr(parse_bad(HEAD "heal client server oneway\n"), "expected 'heal HOST HOST'"));
	assert_non_null(strstr(parse_bad(HEAD "drop client > server X\n"), "t.tcpf:3:22: expected TCP flags"));
	assert_non_null(strstr(parse_bad(HEAD "drop client > server SS\n"), "expected TCP flags"));
	assert_non_null(strstr(parse_bad(HEAD "drop client > server S first 0\n"), "expected a count of packets from 1 to 1000"));
	assert_non_null(strstr(parse_bad(HEAD "drop client > server S last 2\n"), "expected 'first N'"));
	assert_non_null(strstr(parse_bad(HEAD "drop client < server S\n"), "expected FROM > TO"));
	assert_non_null(strstr(parse_bad(HEAD "inject rst client > server sideways\n"), "expected exact"));
	assert_non_null(strstr(parse_bad(HEAD "inject rst client > server port 0\n"), "expected a port from 1 to 65535"));
	assert_non_null(strstr(parse_bad(HEAD "inject rst nobody > server\n"), "unknown host 'nobody'"));
	assert_non_null(strstr(parse_bad(HEAD "stop\n"), "t.tcpf:3:1: expected 'stop HOST[.PROGRAM]'"));
	assert_non_null(strstr(parse_bad(HEAD "cont server now\n"), "expected 'cont HOST[.PROGRAM]'"));
	assert_non_null(strstr(parse_bad(HEAD "stop server within 1s\n"), "t.tcpf:3"));
}

/* '=', 'within' and 'after' only where the step waits for them: an operation started with '&'
 * is checked on its 'await' line, a crash never returns, 'expect no packet' awaits no event
 * (its 'within' watches the wire). */
static void test_tail_only_where_waited(void **state)
{
	struct scenario *s = parse_ok(HEAD "client read 10 &\n"
				       "await client read = 5 within 3s after 2s\n"
				       "client write 1 = 1 within 3s after 2s\n"
				       "expect no packet server > client R within 2s\n"
				       "server crash\n");
	assert_true(s->steps[0].async);
	assert_int_equal(s->steps[1].within_ms, 3000);
	assert_int_equal(s->steps[1].after_ms, 2000);
	assert_int_equal(s->steps[3].within_ms, 2000);
	scenario_free(s);

	static const struct {
		const char *text, *want;
	} cases[] = {
		{ HEAD "client read 10 & = 5 within 3s after 2s\n", "t.tcpf:3:18: '= RET' goes on the 'await client read' line: "
		  "an operation started with '&' is checked when awaited" },
		{ HEAD "client.b read 10 & within 3s\n", "t.tcpf:3:20: 'within' goes on the 'await client.b read' line" },
		{ HEAD "client read 10 & after 2s within 3s\n", "t.tcpf:3:18: 'after' goes on the 'await client read' line" },
		{ HEAD "client connect server 5000 & = -1 ECONNREFUSED\n", "t.tcpf:3:30: '= RET' goes on the 'await client connect' line" },
		{ HEAD "server crash within 3s\n", "t.tcpf:3:14: 'crash' does not return: nothing to wait for, so no 'within'" },
		{ HEAD "server crash after 1s\n", "t.tcpf:3:14: 'crash' does not return: nothing to wait for, so no 'after'" },
		{ HEAD "expect no packet server > client R after 1s\n", "t.tcpf:3:36: 'after' is a floor under an awaited event" },
		{ HEAD "expect no packet server > client R within 3s after 1s\n", "t.tcpf:3:46: 'after' is a floor" },
		{ HEAD "kill server within 1s\n", "t.tcpf:3:" },
		{ HEAD "expect counter server Tcp.RetransSegs = 1 within 1s\n", "t.tcpf:3:" },
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		const char *err = parse_bad(cases[i].text);
		if (strncmp(err, cases[i].want, strlen(cases[i].want)) != 0)
			fail_msg("case %zu: got '%s', want '%s...'", i, err, cases[i].want);
	}
}

/* The parser refuses what a run cannot hold: more peer commands than SCENARIO_MAX_CMDS (an
 * operation costs 1, listen up to 3 with its implicit socket and bind), more steps than
 * SCENARIO_MAX_STEPS, a count of sockets above what a run lists (NETNS_MAX_SOCKS). */
static void test_run_limits(void **state)
{
	size_t cap = 24 * (SCENARIO_MAX_STEPS + 16), len;
	char *text = test_malloc(cap), want[160];

	/* SCENARIO_MAX_CMDS / 2 connects (each with its socket): exactly the limit. */
	len = (size_t)snprintf(text, cap, HEAD);
	for (int i = 0; i < SCENARIO_MAX_CMDS / 2; i++)
		len += (size_t)snprintf(text + len, cap - len, "client connect server 1\n");
	struct scenario *s = parse_ok(text);
	assert_int_equal(s->nsteps, SCENARIO_MAX_CMDS / 2);
	scenario_free(s);
	/* One more, and it is the step that crosses it, even started with '&'. */
	snprintf(text + len, cap - len, "await client read\nclient read 1 &\n");
	const char *err = parse_bad(text);
	snprintf(want, sizeof want, "t.tcpf:%d:1: too many socket operations: a run sends at most %d commands",
		 SCENARIO_MAX_CMDS / 2 + 4, SCENARIO_MAX_CMDS);
	if (strncmp(err, want, strlen(want)) != 0)
		fail_msg("got '%s', want '%s'", err, want);
	/* MAX/3 listens need at most MAX - 1 (with MAX = 3k + 1); the next crosses (on names that
	 * repeat: a host's peer holds no more than PEER_MAX_SOCKS). */
	int listens = SCENARIO_MAX_CMDS / 3;
	len = (size_t)snprintf(text, cap, HEAD);
	for (int i = 0; i < listens; i++)
		len += (size_t)snprintf(text + len, cap - len, "server.l%d listen %d\n", i % PEER_MAX_SOCKS, 1000 + i);
	s = parse_ok(text);
	scenario_free(s);
	snprintf(text + len, cap - len, "await state server LISTEN count 2\nserver.x listen 9999\n");
	err = parse_bad(text);
	snprintf(want, sizeof want, "t.tcpf:%d:1: too many socket operations", listens + 4);
	if (!strstr(err, want) || !strstr(err, "may need") ||
	    atoi(strstr(err, "may need") + 9) != 3 * listens + 3)
		fail_msg("got '%s'", err);
	/* Steps past SCENARIO_MAX_STEPS (no operation: awaits cost no command). */
	len = (size_t)snprintf(text, cap, HEAD);
	for (int i = 0; i <= SCENARIO_MAX_STEPS; i++)
		len += (size_t)snprintf(text + len, cap - len, "wait 1ms\n");
	err = parse_bad(text);
	snprintf(want, sizeof want, "t.tcpf:%d:1: too many steps (at most %d)", SCENARIO_MAX_STEPS + 3, SCENARIO_MAX_STEPS);
	if (strncmp(err, want, strlen(want)) != 0)
		fail_msg("got '%s', want '%s'", err, want);
	test_free(text);

	s = parse_ok(HEAD "await state server SYN-RECV count 4096\n");
	assert_int_equal(s->steps[0].state.count, NETNS_MAX_SOCKS);
	scenario_free(s);
	err = parse_bad(HEAD "await state server SYN-RECV count 4097\n");
	if (!strstr(err, "t.tcpf:3:35: expected a count from 1 to 4096"))
		fail_msg("got '%s'", err);
}

/* ---- the statement table against the files that must name its words ---- */

static const char *dict_path, *manual_path;   /* from tests/meson.build */

static char *read_all(const char *path)
{
	FILE *f = fopen(path, "r");
	char *text = NULL;
	size_t cap = 0, len = 0, n;

	if (!f)
		fail_msg("%s: cannot open", path);
	do {
		if (len + 4096 + 1 > cap && !(text = test_realloc(text, cap = 2 * cap + 4096 + 1)))
			fail_msg("out of memory");
		n = fread(text + len, 1, 4096, f);
		len += n;
	} while (n > 0);
	fclose(f);
	text[len] = 0;
	return text;
}

/* Whether text holds word between the two delimiters (dictionary: "w"; manual: *w*). */
static bool has_word(const char *text, const char *word, size_t wlen, char open, char close)
{
	char pat[128];

	snprintf(pat, sizeof pat, "%c%.*s%c", open, (int)wlen, word, close);
	return strstr(text, pat) != NULL;
}

/* Each blank-separated word of kw is a quoted entry of the fuzz dictionary. */
static void check_dict_words(const char *dict, const char *kw)
{
	for (const char *w = kw; *w; w += strspn(w, " ")) {
		size_t n = strcspn(w, " ");
		if (!has_word(dict, w, n, '"', '"'))
			fail_msg("%s lacks \"%.*s\" (from '%s')", dict_path, (int)n, w, kw);
		w += n;
	}
}

static void test_table_covers_kinds(void **state)
{
	size_t n;
	const struct statement *t = scenario_statements(&n);

	assert_true(n > 0);
	for (int kind = 0; kind < STEP_NKINDS; kind++) {
		bool found = false;
		for (size_t i = 0; i < n; i++)
			found = found || t[i].kind == (enum step_kind)kind;
		if (!found)
			fail_msg("step kind %d has no statement in the table", kind);
	}
	for (size_t i = 0; i < n; i++) {
		assert_non_null(t[i].parse);
		assert_non_null(t[i].synopsis);
		assert_true(t[i].keyword || t[i].match == MATCH_HOST);
		/* 'after' is a floor under something awaited: only with a bound. */
		assert_true(!(t[i].flags & STMT_AFTER) || (t[i].flags & STMT_WITHIN));
	}
}

static void test_dictionary_has_every_word(void **state)
{
	size_t n;
	const struct statement *t = scenario_statements(&n);
	char *dict = read_all(dict_path);

	for (size_t i = 0; i < n; i++)
		if (t[i].keyword)
			check_dict_words(dict, t[i].keyword);
	for (const char *const *h = scenario_headers(); *h; h++)
		check_dict_words(dict, *h);
	for (const char *const *c = scenario_conditions(); *c; c++)
		check_dict_words(dict, *c);
	for (size_t i = 0; scenario_op_name(i); i++)
		check_dict_words(dict, scenario_op_name(i));
	for (size_t i = 0; scenario_call_name(i); i++)
		check_dict_words(dict, scenario_call_name(i));
	test_free(dict);
}

/* tcpfault-scenario(5) writes every keyword, header, operation and call in bold: *word*. */
static void test_manual_documents_every_word(void **state)
{
	size_t n;
	const struct statement *t = scenario_statements(&n);
	char *man = read_all(manual_path);

	for (size_t i = 0; i < n; i++)
		if (t[i].keyword && !has_word(man, t[i].keyword, strlen(t[i].keyword), '*', '*'))
			fail_msg("%s does not document '%s' (%s)", manual_path, t[i].keyword, t[i].synopsis);
	for (const char *const *h = scenario_headers(); *h; h++)
		if (!has_word(man, *h, strlen(*h), '*', '*'))
			fail_msg("%s does not document the header '%s'", manual_path, *h);
	for (const char *const *c = scenario_conditions(); *c; c++)
		if (!has_word(man, *c, strlen(*c), '*', '*'))
			fail_msg("%s does not document the condition '%s'", manual_path, *c);
	for (size_t i = 0; scenario_op_name(i); i++)
		if (!has_word(man, scenario_op_name(i), strlen(scenario_op_name(i)), '*', '*'))
			fail_msg("%s does not document the operation '%s'", manual_path, scenario_op_name(i));
	for (size_t i = 0; scenario_call_name(i); i++)
		if (!has_word(man, scenario_call_name(i), strlen(scenario_call_name(i)), '*', '*'))
			fail_msg("%s does not document the call '%s'", manual_path, scenario_call_name(i));
	test_free(man);
}

/* Every statement the table knows parses through it: each synopsis's first word starts a line
 * the parser takes to that entry's kind (a line made for each entry below). */
static void test_table_dispatches(void **state)
{
	static const struct {
		const char *line;
		enum step_kind kind;
	} lines[] = {
		{ "await packet server > client F.", STEP_PACKET },
		{ "await exit server signal KILL", STEP_EXIT },
		{ "await state client ESTABLISHED", STEP_STATE },
		{ "await counter client Tcp.RetransSegs >= 1", STEP_COUNTER },
		{ "await no state client ESTABLISHED", STEP_NO_STATE },
		{ "await transition client FIN-WAIT-1 > CLOSING port 5000", STEP_TRANSITION },
		{ "await listen server 80", STEP_LISTEN },
		{ "await quiet 300ms port 80", STEP_QUIET },
		{ "await output server.web \"x\"", STEP_OUTPUT },
		{ "await server.web accept", STEP_CALL },
		{ "await client read", STEP_AWAIT_OP },
		{ "expect no packet server > client R", STEP_NO_PACKET },
		{ "expect no state client ESTABLISHED", STEP_NO_STATE },
		{ "expect counter client Tcp.RetransSegs = 0", STEP_COUNTER },
		{ "expect output server.web \"x\"", STEP_OUTPUT },
		{ "expect server.web accept", STEP_CALL },
		{ "expect no output server.web \"x\"", STEP_NO_OUTPUT },
		{ "expect running server.web", STEP_RUNNING },
		{ "expect reset server reason NO_SOCKET", STEP_RESET },
		{ "expect no server.web recv = 0 | -1 ECONNRESET", STEP_NO_CALL },
		{ "expect no client connect", STEP_NO_CALL },
		{ "wait 1s", STEP_WAIT },
		{ "sysctl client net.ipv4.tcp_retries2 3", STEP_SYSCTL },
		{ "kill server", STEP_KILL },
		{ "blackhole server netem", STEP_BLACKHOLE },
		{ "unblackhole server", STEP_UNBLACKHOLE },
		{ "hold server", STEP_HOLD },
		{ "partition client server oneway", STEP_PARTITION },
		{ "heal client server", STEP_HEAL },
		{ "drop client > server S first 2", STEP_DROP },
		{ "inject rst client > server in-window port 5000", STEP_INJECT },
		{ "stop server", STEP_STOP },
		{ "cont server", STEP_CONT },
		{ "release server", STEP_RELEASE },
		{ "reboot server", STEP_REBOOT },
		{ "unreachable server net", STEP_UNREACHABLE },
		{ "reachable server", STEP_REACHABLE },
		{ "quickack server on", STEP_QUICKACK },
		{ "rto-min server 1s", STEP_RTO_MIN },
		{ "nft server add table inet t", STEP_NFT },
		{ "idle-timeout router 2s drop", STEP_IDLE_TIMEOUT },
		{ "mtu client 1280 silent", STEP_MTU },
		{ "port-range client 40000 40003", STEP_PORT_RANGE },
		{ "snat client 40000 40001", STEP_SNAT },
		{ "conntrack-max router 2", STEP_CONNTRACK_MAX },
		{ "client.curl exec curl http://x/", STEP_EXEC },
		{ "client read 10", STEP_OP },
	};
	size_t n;
	const struct statement *t = scenario_statements(&n);
	char text[4096];
	size_t len = (size_t)snprintf(text, sizeof text, HEAD "topology router\nserver.web exec port 80 socat x\n");

	for (size_t i = 0; i < sizeof lines / sizeof lines[0]; i++)
		len += (size_t)snprintf(text + len, sizeof text - len, "%s\n", lines[i].line);
	struct scenario *s = parse_ok(text);
	assert_int_equal(s->nsteps, 1 + sizeof lines / sizeof lines[0]);
	for (size_t i = 0; i < sizeof lines / sizeof lines[0]; i++)
		if (s->steps[i + 1].kind != lines[i].kind)
			fail_msg("'%s' parsed as kind %d, not %d", lines[i].line, s->steps[i + 1].kind, lines[i].kind);
	/* and every entry's kind is among them: a new statement needs a line here */
	for (size_t e = 0; e < n; e++) {
		bool found = false;
		for (size_t i = 0; i < sizeof lines / sizeof lines[0]; i++)
			found = found || lines[i].kind == t[e].kind;
		if (!found)
			fail_msg("no line above parses as '%s'", t[e].synopsis);
	}
	scenario_free(s);
}

/* The "unknown statement" error names every statement's first word and every header. */
static void test_unknown_statement_lists_all(void **state)
{
	static char err[2048];
	struct scenario *s = NULL;
	size_t n;
	const struct statement *t = scenario_statements(&n);
	char word[64];

	assert_int_equal(scenario_parse("t.tcpf", HEAD "frobnicate\n", &s, err, sizeof err), -EINVAL);
	assert_non_null(strstr(err, "t.tcpf:3:1: unknown statement 'frobnicate' (a host name"));
	for (size_t i = 0; i < n; i++) {
		if (!t[i].keyword || t[i].match == MATCH_HOST)
			continue;
		snprintf(word, sizeof word, " %.*s,", (int)strcspn(t[i].keyword, " "), t[i].keyword);
		if (!strstr(err, word))
			fail_msg("'%s' not listed in: %s", word, err);
	}
	for (const char *const *h = scenario_headers(); *h; h++) {
		snprintf(word, sizeof word, " %s%s", *h, h[1] ? "," : ")");
		if (!strstr(err, word))
			fail_msg("header '%s' not listed in: %s", *h, err);
	}
}

/* Placeholders give each host's address in the scenario's own topology, with no sandbox: the
 * bridge puts every host on one subnet, the router each host on its own next to the router. */
static void test_placeholder_addresses(void **state)
{
	char *argv[8], buf[512], err[256];
	size_t at;
	struct scenario *bridge = parse_ok(HEAD "client connect server 5000\n");
	struct scenario *router = parse_ok(HEAD "topology router\nclient connect server 5000\n");

	assert_int_equal(command_split("x {server} {[server]} {client}", bridge, AF_INET6, 0, argv, 8, buf, sizeof buf,
				       err, sizeof err, &at), 4);
	assert_string_equal(argv[1], "2001:2::2");
	assert_string_equal(argv[2], "[2001:2::2]");
	assert_string_equal(argv[3], "2001:2::1");
	assert_int_equal(command_split("x {server} {[server]} {client}", router, AF_INET6, 0, argv, 8, buf, sizeof buf,
				       err, sizeof err, &at), 4);
	assert_string_equal(argv[1], "2001:2:0:2::2");
	assert_string_equal(argv[2], "[2001:2:0:2::2]");
	assert_string_equal(argv[3], "2001:2:0:1::2");
	assert_int_equal(command_split("x {server}", router, AF_INET, 0, argv, 8, buf, sizeof buf, err, sizeof err,
				       &at), 2);
	assert_string_equal(argv[1], "198.18.2.2");
	assert_int_equal(command_split("x {server}", bridge, AF_INET, 0, argv, 8, buf, sizeof buf, err, sizeof err,
				       &at), 2);
	assert_string_equal(argv[1], "198.18.0.2");
	scenario_free(bridge);
	scenario_free(router);
}

/* A file of the user's own needs no 'mode'; the catalog's rule (scenario_check_catalog, which
 * the CLI applies to the catalog folder's files) still does. */
static void test_mode_optional(void **state)
{
	char err[512] = "";
	struct scenario *s = parse_ok("summary mine\nclient connect server 5000 = -1 ECONNREFUSED\n");

	assert_string_equal(s->mode, "");
	assert_int_equal(scenario_check_catalog(s, err, sizeof err), -EINVAL);
	assert_non_null(strstr(err, "t.tcpf:1:1: no 'mode' line"));
	scenario_free(s);
	s = parse_ok(HEAD "client connect server 5000\n");
	assert_int_equal(scenario_check_catalog(s, err, sizeof err), 0);
	scenario_free(s);
	/* a mode given is still a catalog id, and the message no longer sends users to a file
	 * they do not have */
	const char *e = parse_bad("mode Z9\n");
	assert_null(strstr(e, "failure-modes.md"));
	assert_non_null(strstr(e, "no 'mode' line at all"));
}

/* {dir}: the scenario file's folder, absolute, in exec lines (a program beside the file runs
 * from any directory); a program there that does not exist is refused with its column. */
static void test_dir_placeholder(void **state)
{
	char dir[] = "/tmp/tcpfault-dir-XXXXXX", path[256], prog[256], text[512], err[512] = "";
	char *argv[8], buf[1024];
	size_t at;
	struct scenario *s = NULL;

	assert_non_null(mkdtemp(dir));
	snprintf(prog, sizeof prog, "%s/helper.sh", dir);
	snprintf(path, sizeof path, "%s/mine.tcpf", dir);
	FILE *f = fopen(prog, "w");
	assert_non_null(f);
	fputs("#!/bin/sh\n", f);
	fclose(f);
	snprintf(text, sizeof text, "summary x\nserver.h exec {dir}/helper.sh '{dir}' {dir}x\n");
	assert_int_equal(scenario_parse(path, text, &s, err, sizeof err), 0);
	assert_string_equal(s->dir, dir);
	assert_int_equal(command_split(s->steps[0].exec.command, s, AF_INET, 0, argv, 8, buf, sizeof buf, err,
				       sizeof err, &at), 3);
	assert_string_equal(argv[0], prog);
	assert_string_equal(argv[1], "{dir}");              /* single quotes: as written */
	assert_string_equal(argv[2], strcat(strcpy(text, dir), "x"));
	scenario_free(s);
	s = NULL;
	/* a relative path to the file: {dir} is made absolute */
	char cwd[4096];
	assert_non_null(getcwd(cwd, sizeof cwd));
	assert_int_equal(chdir("/tmp"), 0);
	assert_int_equal(scenario_parse(path + strlen("/tmp/"), "summary x\nserver exec {dir}/helper.sh\n", &s, err,
					sizeof err), 0);
	assert_string_equal(s->dir, dir);
	scenario_free(s);
	s = NULL;
	assert_int_equal(chdir(cwd), 0);
	/* missing beside the file: a file error at the command's column (check and run; it parses) */
	assert_int_equal(scenario_parse(path, "summary x\nserver exec {dir}/nothing.sh\n", &s, err, sizeof err), 0);
	assert_int_equal(scenario_check_programs(s, err, sizeof err), -ENOENT);
	scenario_free(s);
	snprintf(text, sizeof text, "%s:2:13: no program %s/nothing.sh", path, dir);
	if (strncmp(err, text, strlen(text)) != 0)
		fail_msg("got '%s', want '%s...'", err, text);
	unlink(prog);
	rmdir(dir);
}

/* Placeholders in output texts: checked when parsed, replaced per family by the run
 * (scenario_output_text); a '{' that starts none is text. */
static void test_output_placeholders(void **state)
{
	char buf[256], v4[64], v6[64];
	struct scenario *s = parse_ok(HEAD "server.web exec port 8080 true\n"
				       "expect output server.web \"to {server}:{port} ({[server]}) {\\\"a\\\": 1} {ipv}\"\n");

	assert_string_equal(s->steps[1].output.text, "to {server}:{port} ({[server]}) {\"a\": 1} {ipv}");
	assert_int_equal(s->steps[1].output.port, 8080);
	netns_host_addr(1, AF_INET, v4);
	netns_host_addr(1, AF_INET6, v6);
	assert_int_equal(scenario_output_text(s, &s->steps[1], AF_INET, buf, sizeof buf), 0);
	char want[256];
	snprintf(want, sizeof want, "to %s:8080 (%s) {\"a\": 1} 4", v4, v4);
	assert_string_equal(buf, want);
	assert_int_equal(scenario_output_text(s, &s->steps[1], AF_INET6, buf, sizeof buf), 0);
	snprintf(want, sizeof want, "to %s:8080 ([%s]) {\"a\": 1} 6", v6, v6);
	assert_string_equal(buf, want);
	assert_int_equal(scenario_output_text(s, &s->steps[1], AF_INET6, buf, 8), -EINVAL);
	scenario_free(s);
	assert_non_null(strstr(parse_bad(HEAD "server.web exec true\nexpect output server.web \"at {nohost}\"\n"),
			       "t.tcpf:4:26: unknown placeholder {nohost}"));
	assert_non_null(strstr(parse_bad(HEAD "server.web exec true\nawait output server.web \"{port}\"\n"),
			       "{port} has no value"));
}

/* Call names: the shim's, and the kernel's where they differ (stored as the shim reports
 * them); a name never reported is refused, listing those that are. */
static void test_call_names(void **state)
{
	struct scenario *s = parse_ok(HEAD "client.c exec true\n"
				       "expect client.c recvfrom = -1 ECONNRESET\nexpect client.c sendto\n"
				       "expect client.c accept4\nexpect client.c readv = 0\nawait client.c writev\n"
				       "expect client.c recvmmsg\nexpect client.c sendmmsg\nexpect client.c ppoll = 1\n"
				       "await client.c epoll_pwait\nexpect client.c epoll_pwait2\n"
				       "expect client.c preadv2\nexpect client.c pwritev2 = 8\n");
	static const char *const want[] = { "recv", "send", "accept", "readv", "writev", "recvmmsg", "sendmmsg", "poll",
					    "epoll_wait", "epoll_wait", "readv", "writev" };

	for (size_t i = 0; i < sizeof want / sizeof want[0]; i++)
		assert_string_equal(s->steps[i + 1].call.name, want[i]);
	scenario_free(s);
	for (size_t i = 0; scenario_call_name(i); i++)
		assert_string_equal(scenario_call_reported(scenario_call_name(i)), scenario_call_name(i));
	assert_null(scenario_call_reported("select"));
	const char *e = parse_bad(HEAD "client.c exec true\nawait client.c getsockopt\n");
	assert_non_null(strstr(e, "t.tcpf:4:16: unknown call 'getsockopt': tcpfault never reports it"));
	assert_non_null(strstr(e, "readv"));
	assert_non_null(strstr(e, "so_error"));
	assert_non_null(strstr(parse_bad(HEAD "client.c exec true\nexpect no client.c io_uring_setup\n"),
			       "the tracer reports it only to mark a program that uses io_uring"));
	/* A wait's timeout or failure is never reported (review N4): refused, at the alternative
	 * that names it; a wait that returned events (above 0, or any) is taken. */
	assert_non_null(strstr(parse_bad(HEAD "client.c exec true\nawait client.c poll = 0\n"),
			       "t.tcpf:4:23: 'poll = 0' is never reported, so never matched"));
	assert_non_null(strstr(parse_bad(HEAD "client.c exec true\nexpect client.c epoll_wait = 1 | -1 EINTR\n"),
			       "t.tcpf:4:34: 'epoll_wait = -1' is never reported"));
	e = parse_bad(HEAD "client.c exec true\nexpect no client.c ppoll = -1 EINTR\n");
	assert_non_null(strstr(e, "t.tcpf:4:28: 'poll = -1' is never reported"));
	assert_non_null(strstr(e, "could never fail"));
	s = parse_ok(HEAD "client.c exec true\nawait client.c poll = 1 | >0\nexpect no client.c epoll_wait\n"
		     "expect no client.c read = 0\n");
	scenario_free(s);
}

/* What 'check' refuses that could only fail when run: an operation started with '&' and never
 * awaited, a 'within' as long as the run's timeout, a program found nowhere. */
static void test_check_run_time_failures(void **state)
{
	static const struct {
		const char *text, *want;
	} cases[] = {
		{ HEAD "client read 10 &\nserver write 5\n",
		  "t.tcpf:3:1: 'client read' is started with '&' and no later line awaits it" },
		/* one await for two: the second is left */
		{ HEAD "client.a read 10 &\nclient.a read 10 &\nawait client.a read\n",
		  "t.tcpf:4:1: 'client.a read' is started with '&'" },
		/* an await of another socket or another operation is not its await */
		{ HEAD "client.a read 10 &\nawait client.b read\n", "t.tcpf:3:1:" },
		{ HEAD "client read 10 &\nawait client write\n", "t.tcpf:3:1:" },
		/* an await before it is not its await */
		{ HEAD "  await client read\nclient read 10 &\n", "t.tcpf:4:1:" },
		{ HEAD "timeout 5s\nawait client read = 0 within 5s\n", "t.tcpf:4:23: 'within 5000 ms' is as long as "
		  "the whole run's timeout (5000 ms) or longer" },
		{ HEAD "await packet server > client R within 40s\n", "t.tcpf:3:32: 'within 40000 ms'" },
		/* the timeout may come after the step */
		{ HEAD "expect no packet server > client R within 3s\ntimeout 2s\n", "t.tcpf:3:36:" },
		/* a stopped peer runs nothing until 'cont': an operation without '&' could only hang */
		{ HEAD "stop server\nserver accept\ncont server\n", "t.tcpf:4:1: 'server accept': the server peer is "
		  "stopped (line 3) and runs no operation until 'cont server'" },
	};
	static const struct {
		const char *text, *want;
	} missing[] = {
		{ HEAD "server exec no-such-program-anywhere --flag\n",
		  "t.tcpf:3:13: no program 'no-such-program-anywhere' on PATH" },
		{ HEAD "server.x exec /no/such/program\n", "t.tcpf:3:15: no program /no/such/program: it does not exist" },
	};
	for (size_t i = 0; i < sizeof missing / sizeof missing[0]; i++) {
		char err[1024];
		struct scenario *s = parse_ok(missing[i].text);
		assert_int_equal(scenario_check_programs(s, err, sizeof err), -ENOENT);
		if (strncmp(err, missing[i].want, strlen(missing[i].want)) != 0)
			fail_msg("missing %zu: got '%s', want '%s...'", i, err, missing[i].want);
		scenario_free(s);
	}
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		const char *err = parse_bad(cases[i].text);
		if (strncmp(err, cases[i].want, strlen(cases[i].want)) != 0)
			fail_msg("case %zu: got '%s', want '%s...'", i, err, cases[i].want);
	}
	/* what the run excuses is not refused: each '&' awaited in order, or its peer ended
	 * (kill, reboot, crash, a death awaited) so that its result may never come */
	static const char *const fine[] = {
		HEAD "client read 10 &\nclient read 10 &\nawait client read\nawait client read = 0\n",
		HEAD "client read 10 &\nkill client\n",
		HEAD "client write 10 &\nawait exit client signal PIPE\n",
		HEAD "client read 10 &\nreboot client\n",
		HEAD "client.s read 10 &\nclient crash\n",
		HEAD "timeout 5s\nawait client read = 0 within 4999ms\n",
		HEAD "server exec sh -c 'true'\n",
		HEAD "server exec ./made-by-an-earlier-step\n",
	};
	for (size_t i = 0; i < sizeof fine / sizeof fine[0]; i++)
		scenario_free(parse_ok(fine[i]));
	/* a program's kill does not end the peer's operation */
	assert_non_null(strstr(parse_bad(HEAD "client.p exec true\nclient read 10 &\nkill client.p\n"),
			       "t.tcpf:4:1:"));
}

/* stdin {dir}/FILE is the file beside the scenario; check refuses an absolute one that is not there. */
static void test_stdin_file(void **state)
{
	char err[1024];
	struct scenario *s = NULL;

	assert_int_equal(scenario_parse("/some/where/t.tcpf", HEAD "client.p exec stdin {dir}/in.txt sh -c true\n", &s, err,
					sizeof err), 0);
	assert_string_equal(s->steps[0].exec.stdin_path, "/some/where/in.txt");
	assert_int_equal(scenario_check_programs(s, err, sizeof err), -ENOENT);
	assert_non_null(strstr(err, "/some/where/t.tcpf:3: no file /some/where/in.txt for the program's stdin"));
	scenario_free(s);
}

/* 'expect no' on a program takes the kernel's names as 'await' does. */
static void test_no_call_names(void **state)
{
	struct scenario *s = parse_ok(HEAD "client.p exec sh\nexpect no client.p sendto\nexpect no client.p readv\n");
	assert_string_equal(s->steps[1].call.name, "send");
	assert_string_equal(s->steps[2].call.name, "readv");
	scenario_free(s);
}

/* Kernel-dependent scenarios: 'requires sysctl KEY' and 'if|unless sysctl KEY: STEP', which
 * leaves the step (raw ones included) and its columns as written. */
static void test_kernel_conditions(void **state)
{
	struct scenario *s = parse_ok(HEAD "requires sysctl net.ipv4.tcp_rto_min_us\n"
				      "client connect server 5000\n"
				      "if sysctl net.ipv4.tcp_syn_linear_timeouts: await packet client > server S after 980ms\n"
				      "  unless   sysctl net.ipv4.tcp_syn_linear_timeouts:  expect no packet client > server S\n"
				      "if sysctl net.core.somaxconn: nft server add table inet t\n"
				      "kill server\n");

	assert_int_equal(s->nrequires, 1);
	assert_string_equal(s->requires[0], "net.ipv4.tcp_rto_min_us");
	assert_int_equal(s->nsteps, 5);
	assert_int_equal(s->steps[0].cond.when, WHEN_ALWAYS);
	assert_int_equal(s->steps[1].cond.when, WHEN_SYSCTL);
	assert_string_equal(s->steps[1].cond.sysctl, "net.ipv4.tcp_syn_linear_timeouts");
	assert_int_equal(s->steps[1].kind, STEP_PACKET);
	assert_int_equal(s->steps[1].after_ms, 980);
	assert_int_equal(s->steps[2].cond.when, WHEN_NO_SYSCTL);
	assert_int_equal(s->steps[2].kind, STEP_NO_PACKET);
	assert_int_equal(s->steps[2].col, 54);
	assert_int_equal(s->steps[3].kind, STEP_NFT);
	assert_string_equal(s->steps[3].nft.text, "add table inet t");
	assert_int_equal(s->steps[4].cond.when, WHEN_ALWAYS);
	scenario_free(s);

	assert_non_null(strstr(parse_bad(HEAD "if sysctl net.ipv4.x kill server\n"), "t.tcpf:3:11: expected 'if sysctl net.KEY: STEP'"));
	assert_non_null(strstr(parse_bad(HEAD "unless sysctl net.ipv4.x:\n"), "t.tcpf:3:26: expected a step after"));
	assert_non_null(strstr(parse_bad(HEAD "if sysctl kernel.x: kill server\n"), "t.tcpf:3:11: expected a network sysctl"));
	assert_non_null(strstr(parse_bad(HEAD "if sysctl net.ipv4.x: timeout 5s\n"), "t.tcpf:3:23: 'timeout' is a header"));
	assert_non_null(strstr(parse_bad(HEAD "requires net.ipv4.x\n"), "t.tcpf:3:10: expected 'requires sysctl net.KEY'"));
	assert_non_null(strstr(parse_bad(HEAD "requires sysctl kernel.x\n"), "t.tcpf:3:17: expected a network sysctl"));
}

int main(int argc, char **argv)
{
	if (argc != 3) {
		fprintf(stderr, "usage: %s FUZZ-DICT MANUAL.scd\n", argv[0]);
		return 2;
	}
	dict_path = argv[1];
	manual_path = argv[2];
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_header_and_steps),
		cmocka_unit_test(test_hosts_line),
		cmocka_unit_test(test_errors_name_line_and_column),
		cmocka_unit_test(test_long_and_huge_input),
		cmocka_unit_test(test_within_and_after),
		cmocka_unit_test(test_floor_from_named_packet),
		cmocka_unit_test(test_issue13_syntax),
		cmocka_unit_test(test_expect_no_state),
		cmocka_unit_test(test_signal_names),
		cmocka_unit_test(test_exec_steps),
		cmocka_unit_test(test_exec_observe),
		cmocka_unit_test(test_router_topology),
		cmocka_unit_test(test_middlebox),
		cmocka_unit_test(test_synflood),
		cmocka_unit_test(test_quickack),
		cmocka_unit_test(test_hold_release),
		cmocka_unit_test(test_paths),
		cmocka_unit_test(test_tail_only_where_waited),
		cmocka_unit_test(test_run_limits),
		cmocka_unit_test(test_table_covers_kinds),
		cmocka_unit_test(test_dictionary_has_every_word),
		cmocka_unit_test(test_manual_documents_every_word),
		cmocka_unit_test(test_table_dispatches),
		cmocka_unit_test(test_kernel_conditions),
		cmocka_unit_test(test_unknown_statement_lists_all),
		cmocka_unit_test(test_placeholder_addresses),
		cmocka_unit_test(test_no_call_names),
		cmocka_unit_test(test_stdin_file),
		cmocka_unit_test(test_mode_optional),
		cmocka_unit_test(test_dir_placeholder),
		cmocka_unit_test(test_output_placeholders),
		cmocka_unit_test(test_call_names),
		cmocka_unit_test(test_check_run_time_failures),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
