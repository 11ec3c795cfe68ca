/* SPDX-License-Identifier: MIT */
/*
 * Unit tests of the reports: result objects made by hand as JSON and read with
 * result_from_json (a pass, a fail with a multi-line failure, an error with no arrays at all,
 * and one whose strings are hostile: markup, quotes, "]]>", control bytes, invalid UTF-8,
 * newlines) written in each format to a memory stream,
 * then checked for content: counts, escaping, the ladder's arrow directions. No privilege.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "lang.h"
#include "report.h"
#include "run.h"

#define HOSTILE "ev<il>&\"q'\x01\x1b[31m]]>\xff\xc3(#\\\nsecond"

static void add_str(json_object *o, const char *k, const char *v)
{
	json_object_object_add(o, k, json_object_new_string(v));
}

static json_object *packet(double t, const char *from, const char *to, const char *flags, int seq, int ack, int len)
{
	json_object *p = json_object_new_object();
	json_object_object_add(p, "t_ms", json_object_new_double(t));
	add_str(p, "from", from);
	add_str(p, "to", to);
	add_str(p, "flags", flags);
	json_object_object_add(p, "seq", json_object_new_int(seq));
	json_object_object_add(p, "ack", json_object_new_int(ack));
	json_object_object_add(p, "len", json_object_new_int(len));
	bool out = strcmp(from, "client") == 0;
	json_object_object_add(p, "sport", json_object_new_int(out ? 40000 : 5000));
	json_object_object_add(p, "dport", json_object_new_int(out ? 5000 : 40000));
	return p;
}

static json_object *syscall_(double t, const char *peer, const char *call, int ret, const char *err)
{
	json_object *s = json_object_new_object();
	json_object_object_add(s, "t_ms", json_object_new_double(t));
	add_str(s, "peer", peer);
	add_str(s, "socket", "main");
	add_str(s, "call", call);
	json_object_object_add(s, "ret", json_object_new_int(ret));
	json_object_object_add(s, "errno", err ? json_object_new_string(err) : NULL);
	return s;
}

/* A result as the runner makes it; failure may be NULL. rst: whether the server answers
 * with an RST (else a FIN), to make runs differ. */
static json_object *result(const char *name, const char *verdict, const char *failure, bool rst)
{
	json_object *r = json_object_new_object(), *a;
	add_str(r, "name", name);
	add_str(r, "mode", "B2");
	add_str(r, "family", "inet");
	add_str(r, "file", "scenarios/x.tcpf");
	add_str(r, "summary", "a summary");
	add_str(r, "claim", "the articles say ECONNRESET");
	add_str(r, "linux", "Linux says EPIPE");
	add_str(r, "timers", "RTO 200 ms; by default 15 minutes");
	json_object *ct = json_object_new_object();
	add_str(ct, "host", "server");
	add_str(ct, "name", "TcpExt.ListenOverflows");
	json_object_object_add(ct, "value", json_object_new_int(2));
	json_object_object_add(r, "counters", json_object_new_array());
	json_object_array_add(json_object_object_get(r, "counters"), ct);
	add_str(r, "verdict", verdict);
	json_object_object_add(r, "duration_ms", json_object_new_double(52.0));
	json_object_object_add(r, "syscalls", a = json_object_new_array());
	json_object_array_add(a, syscall_(1.0, "client", "connect", 0, NULL));
	json_object_array_add(a, syscall_(2.0, "server", "accept", 5, NULL));
	json_object_array_add(a, syscall_(9.0, "client", "send", -1, "EPIPE"));
	json_object_object_add(r, "packets", a = json_object_new_array());
	json_object_array_add(a, packet(0.5, "client", "server", "S", 0, 0, 0));
	json_object_array_add(a, packet(0.6, "server", "client", "S.", 0, 1, 0));
	json_object_array_add(a, packet(5.0, "client", "server", "P.", 1, 1, 100));
	json_object_array_add(a, packet(6.0, "server", "client", rst ? "R" : "F.", 1, 1, 0));
	json_object_object_add(r, "events", a = json_object_new_array());
	json_object *e = json_object_new_object();
	json_object_object_add(e, "t_ms", json_object_new_double(3.0));
	add_str(e, "host", "server");
	add_str(e, "event", "kill SIGKILL");
	json_object_array_add(a, e);
	json_object_object_add(r, "states", json_object_new_array());
	json_object_object_add(r, "exits", json_object_new_array());
	json_object_object_add(r, "notes", json_object_new_array());
	json_object_object_add(r, "failures", a = json_object_new_array());
	if (failure)
		json_object_array_add(a, json_object_new_string(failure));
	return r;
}

/* An error as main.c makes one for a worker that died: no arrays but failures. */
static json_object *bare_error(void)
{
	json_object *r = json_object_new_object(), *f = json_object_new_array();
	add_str(r, "name", "died");
	add_str(r, "mode", "C1");
	add_str(r, "family", "inet6");
	add_str(r, "verdict", "error");
	json_object_array_add(f, json_object_new_string("x.tcpf: the worker died of SIGSEGV"));
	json_object_object_add(r, "failures", f);
	return r;
}

/* pass, fail (multi-line), error (bare), hostile fail. */
static json_object *four_results(void)
{
	json_object *a = json_object_new_array();
	json_object_array_add(a, result("good", "pass", NULL, true));
	json_object_array_add(a, result("bad", "fail", "x.tcpf:23: client write\n  expected: -1 ECONNREFUSED\n  observed: -1 EPIPE", true));
	json_object_array_add(a, bare_error());
	json_object_array_add(a, result(HOSTILE, "fail", HOSTILE " failure", true));
	return a;
}

/* Writes the results (made by hand as JSON, read through the JSON contract) in format f. */
static char *render(enum report_format f, json_object *results, const struct report_options *o)
{
	size_t n = json_object_array_length(results);
	struct result **rs = calloc(n ? n : 1, sizeof *rs);
	char *buf = NULL;
	size_t len = 0;

	assert_non_null(rs);
	for (size_t i = 0; i < n; i++)
		assert_int_equal(result_from_json(json_object_array_get_idx(results, i), &rs[i]), 0);
	FILE *m = open_memstream(&buf, &len);
	assert_non_null(m);
	report_write(m, f, rs, n, o);
	assert_int_equal(fclose(m), 0);
	for (size_t i = 0; i < n; i++)
		result_free(rs[i]);
	free(rs);
	return buf;
}

static size_t count(const char *hay, const char *needle)
{
	size_t n = 0;
	for (const char *p = hay; (p = strstr(p, needle)); p += strlen(needle))
		n++;
	return n;
}

static bool valid_utf8(const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	while (*p) {
		int n = *p < 0x80 ? 1 : (*p & 0xe0) == 0xc0 ? 2 : (*p & 0xf0) == 0xe0 ? 3 : (*p & 0xf8) == 0xf0 ? 4 : 0;
		if (n == 0 || (n == 2 && *p < 0xc2))
			return false;
		for (int i = 1; i < n; i++)
			if ((p[i] & 0xc0) != 0x80)
				return false;
		p += n;
	}
	return true;
}

/* The line of text that contains needle, copied into buf. */
static const char *line_with(const char *text, const char *needle, char *buf, size_t len)
{
	const char *p = strstr(text, needle);
	if (!p)
		fail_msg("no line with '%s' in:\n%s", needle, text);
	const char *start = p;
	while (start > text && start[-1] != '\n')
		start--;
	size_t n = strcspn(start, "\n");
	snprintf(buf, len, "%.*s", (int)n, start);
	return buf;
}

static void test_format_names(void **state)
{
	assert_int_equal(report_format_from_name("text"), REPORT_TEXT);
	assert_int_equal(report_format_from_name("json"), REPORT_JSON);
	assert_int_equal(report_format_from_name("junit"), REPORT_JUNIT);
	assert_int_equal(report_format_from_name("tap"), REPORT_TAP);
	assert_int_equal(report_format_from_name("xml"), -1);
}

static void test_text_totals(void **state)
{
	json_object *r = four_results();
	char *out = render(REPORT_TEXT, r, NULL);
	const char *tail = "1 passed, 2 failed, 1 errors\n";

	assert_true(strlen(out) > strlen(tail));
	assert_string_equal(out + strlen(out) - strlen(tail), tail);
	assert_non_null(strstr(out, "PASS  good (inet)"));
	assert_non_null(strstr(out, "FAIL  bad (inet)"));
	assert_non_null(strstr(out, "ERROR died (inet6)"));
	/* each line of a multi-line failure indented under the result */
	assert_non_null(strstr(out, "      x.tcpf:23: client write\n        expected: -1 ECONNREFUSED\n"
				    "        observed: -1 EPIPE\n"));
	/* no ladder without -v; no colour unless asked, and the hostile name's escape sequence
	 * defused: control bytes shown as '?', invalid UTF-8 as U+FFFD */
	assert_null(strstr(out, "S seq 0"));
	assert_null(strchr(out, '\033'));
	assert_non_null(strstr(out, "FAIL  ev<il>&\"q'??[31m]]>\xef\xbf\xbd\xef\xbf\xbd(#\\\n"));
	free(out);
	json_object_put(r);
}

/* Rootless: the tracer could not run. A passing run's line shows no notes, so the text says it
 * once, before the totals, with how many runs it concerns; a failing run says it under its line. */
static void test_text_untraced(void **state)
{
	json_object *a = json_object_new_array(), *pass = result("good", "pass", NULL, true),
		    *bad = result("bad", "fail", "x.tcpf:1: no", true);
	const char *why = "kernel reasons unavailable: needs root (loading the BPF tracer: Operation not permitted)";

	json_object_array_add(json_object_object_get(pass, "notes"), json_object_new_string(why));
	json_object_array_add(json_object_object_get(bad, "notes"), json_object_new_string(why));
	json_object_array_add(a, pass);
	json_object_array_add(a, bad);
	char *out = render(REPORT_TEXT, a, NULL);
	assert_non_null(strstr(out, "      note: kernel reasons unavailable: needs root"));
	assert_non_null(strstr(out, "\nnote: kernel reasons unavailable: needs root (loading the BPF tracer: Operation "
				    "not permitted) (1 of 2 runs)\n1 passed, 1 failed, 0 errors\n"));
	free(out);
	json_object_put(a);
}

static void test_json_reparses(void **state)
{
	json_object *r = four_results();
	char *out = render(REPORT_JSON, r, NULL);
	json_tokener *tok = json_tokener_new();
	json_tokener_set_flags(tok, JSON_TOKENER_STRICT | JSON_TOKENER_VALIDATE_UTF8);
	json_object *top = json_tokener_parse_ex(tok, out, (int)strlen(out));

	assert_non_null(top);
	assert_int_equal(json_tokener_get_error(tok), json_tokener_success);
	json_object *res = json_object_object_get(top, "results");
	assert_int_equal(json_object_array_length(res), 4);
	json_object *bad = json_object_array_get_idx(res, 1);
	assert_string_equal(json_object_get_string(json_object_object_get(bad, "verdict")), "fail");
	assert_int_equal(json_object_array_length(json_object_object_get(bad, "packets")), 4);
	json_object *p = json_object_array_get_idx(json_object_object_get(bad, "packets"), 3);
	assert_string_equal(json_object_get_string(json_object_object_get(p, "flags")), "R");
	/* the hostile name survives, its invalid bytes as U+FFFD */
	json_object *h = json_object_array_get_idx(res, 3);
	assert_string_equal(json_object_get_string(json_object_object_get(h, "name")),
			    "ev<il>&\"q'\x01\x1b[31m]]>\xef\xbf\xbd\xef\xbf\xbd(#\\\nsecond");
	json_object_put(top);
	json_tokener_free(tok);
	free(out);
	json_object_put(r);
}

static void test_junit(void **state)
{
	json_object *r = four_results();
	char *out = render(REPORT_JUNIT, r, NULL);
	char line[512];

	assert_true(valid_utf8(out));
	const char *head = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites name=\"tcpfault\" tests=\"4\" "
			   "failures=\"2\" errors=\"1\" time=\"0.156\">\n";
	assert_int_equal(strncmp(out, head, strlen(head)), 0);
	assert_int_equal(count(out, "<testsuites "), 1);
	assert_int_equal(count(out, "<testsuite "), 1);
	assert_non_null(strstr(out, "<testsuite name=\"tcpfault\" tests=\"4\" failures=\"2\" errors=\"1\""));
	assert_int_equal(count(out, "<testcase "), 4);
	assert_int_equal(count(out, "<failure "), 2);
	assert_int_equal(count(out, "<error "), 1);
	assert_int_equal(count(out, "<system-out>"), 4);
	assert_non_null(strstr(out, "<testcase classname=\"tcpfault.B2\" name=\"good (inet)\" time=\"0.052\">"));
	/* message: the first line; body: the whole text */
	assert_non_null(strstr(out, "<failure message=\"x.tcpf:23: client write\" type=\"fail\">x.tcpf:23: client write\n"
				    "  expected: -1 ECONNREFUSED\n  observed: -1 EPIPE</failure>"));
	assert_non_null(strstr(out, "<error message=\"x.tcpf: the worker died of SIGSEGV\""));
	/* the hostile name, escaped in the attribute, control bytes and bad bytes replaced */
	assert_non_null(strstr(out, "name=\"ev&lt;il&gt;&amp;&quot;q&apos;\xef\xbf\xbd\xef\xbf\xbd[31m]]&gt;"
				    "\xef\xbf\xbd\xef\xbf\xbd(#\\&#10;second (inet)\""));
	assert_null(strstr(out, "<il"));
	assert_null(strstr(out, "]]>"));
	for (const unsigned char *p = (const unsigned char *)out; *p; p++)
		assert_true(*p >= 0x20 || *p == '\n' || *p == '\t');
	/* system-out holds the verbose text: the ladder */
	line_with(out, "S seq 0", line, sizeof line);
	assert_non_null(strstr(line, "-&gt;|"));
	free(out);
	json_object_put(r);
}

static void test_junit_xmllint(void **state)
{
	const char *xmllint = "/usr/bin/xmllint";
	if (access(xmllint, X_OK) != 0)
		skip();
	json_object *r = four_results();
	char *out = render(REPORT_JUNIT, r, NULL);
	char path[] = "/tmp/test-report-XXXXXX", cmd[128];
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, out, strlen(out)), (ssize_t)strlen(out));
	close(fd);
	snprintf(cmd, sizeof cmd, "%s --noout %s", xmllint, path);
	int st = system(cmd);
	unlink(path);
	assert_int_equal(st, 0);
	free(out);
	json_object_put(r);
}

static void test_tap(void **state)
{
	json_object *r = four_results();
	char *out = render(REPORT_TAP, r, NULL);

	assert_true(valid_utf8(out));
	const char *head = "TAP version 14\n1..4\nok 1 - good (inet)\nnot ok 2 - bad (inet)\n  ---\n"
			   "  message: \"x.tcpf:23: client write\"\n  verdict: fail\n";
	assert_int_equal(strncmp(out, head, strlen(head)), 0);
	assert_non_null(strstr(out, "  details: \"x.tcpf:23: client write\\n  expected: -1 ECONNREFUSED\\n"
				    "  observed: -1 EPIPE\"\n  ...\n"));
	assert_non_null(strstr(out, "\nnot ok 3 - died (inet6)\n  ---\n  message: \"x.tcpf: the worker died of SIGSEGV\"\n"
				    "  verdict: error\n"));
	/* the hostile name: one line, '#' and '\' escaped, so no directive and no second line */
	assert_non_null(strstr(out, "\nnot ok 4 - ev<il>&\"q'  [31m]]>\xef\xbf\xbd\xef\xbf\xbd(\\#\\\\ second (inet)\n"));
	/* its message double-quoted with escapes */
	assert_non_null(strstr(out, "  message: \"ev<il>&\\\"q'\\x01\\x1B[31m]]>\\uFFFD\\uFFFD(#\\\\\"\n"));
	assert_int_equal(count(out, "\nok "), 1);
	assert_int_equal(count(out, "\nnot ok "), 3);
	assert_int_equal(count(out, "  ---\n"), 3);
	assert_int_equal(count(out, "  ...\n"), 3);
	for (const unsigned char *p = (const unsigned char *)out; *p; p++)
		assert_true(*p >= 0x20 || *p == '\n');
	free(out);
	json_object_put(r);
}

static void test_ladder(void **state)
{
	json_object *r = json_object_new_array();
	json_object_array_add(r, result("good", "pass", NULL, true));
	struct report_options o = { .verbose = true, .repeat = 1 };
	char *out = render(REPORT_TEXT, r, &o);
	char line[512];

	/* header: client left, server right */
	line_with(out, "client", line, sizeof line);
	assert_true(strstr(line, "client") < strstr(line, "server"));
	/* client -> server: the head on the right; server -> client: on the left */
	line_with(out, "S seq 0", line, sizeof line);
	assert_non_null(strstr(line, "|-"));
	assert_non_null(strstr(line, "->|"));
	assert_null(strstr(line, "<-"));
	assert_non_null(strstr(line, "      0.500  "));
	assert_null(strstr(out, "40000>5000")); /* one connection: no ports */
	line_with(out, "S. seq 0 ack 1", line, sizeof line);
	assert_non_null(strstr(line, "|<-"));
	assert_null(strstr(line, "->"));
	line_with(out, "P. seq 1 ack 1 len 100", line, sizeof line);
	assert_non_null(strstr(line, "->|"));
	line_with(out, "R seq 1", line, sizeof line);
	assert_non_null(strstr(line, "|<-"));
	assert_null(strstr(line, "ack")); /* no ACK flag, no ack number */
	/* syscalls beside their host's lifeline: the client's left of the first '|', the
	 * server's right of the last */
	line_with(out, "send = -1 EPIPE", line, sizeof line);
	assert_true(strstr(line, "send = -1 EPIPE") < strchr(line, '|'));
	line_with(out, "accept = 5", line, sizeof line);
	assert_true(strstr(line, "accept = 5") > strrchr(line, '|'));
	line_with(out, "*** kill SIGKILL ***", line, sizeof line);
	assert_true(strstr(line, "***") > strrchr(line, '|'));
	/* in time order: the kill (3 ms) between the accept (2 ms) and the data (5 ms) */
	assert_true(strstr(out, "accept = 5") < strstr(out, "*** kill"));
	assert_true(strstr(out, "*** kill") < strstr(out, "len 100"));
	assert_non_null(strstr(out, "\n      Timers:       RTO 200 ms; by default 15 minutes\n"));
	assert_non_null(strstr(out, "\n      counter: server TcpExt.ListenOverflows = 2\n"));
	assert_null(strchr(out, '\033'));
	free(out);
	json_object_put(r);
}

/* With two connections, each arrow names its ports. */
static void test_ladder_ports(void **state)
{
	json_object *r = json_object_new_array(), *res = result("two", "pass", NULL, true);
	json_object *pk = json_object_object_get(res, "packets");
	json_object_array_add(r, res);
	json_object *p = packet(7.0, "client", "server", "S", 0, 0, 0);
	json_object_object_add(p, "sport", json_object_new_int(40001));
	json_object_array_add(pk, p);
	struct report_options o = { .verbose = true, .repeat = 1 };
	char *out = render(REPORT_TEXT, r, &o);
	char line[512];

	line_with(out, "S seq 0  40000>5000", line, sizeof line);
	assert_non_null(strstr(line, "->|"));
	line_with(out, "S seq 0  40001>5000", line, sizeof line);
	assert_non_null(strstr(line, "->|"));
	line_with(out, "R seq 1  5000>40000", line, sizeof line);
	assert_non_null(strstr(line, "|<-"));
	free(out);
	json_object_put(r);
}

/* What the kernel tracer saw: an RST's reason on its arrow, each change of state as a mark on
 * its host's lifeline, a drop with its reason. */
static void test_ladder_kernel(void **state)
{
	json_object *r = json_object_new_array(), *res = result("traced", "pass", NULL, true);
	json_object *pk = json_object_object_get(res, "packets"), *a, *t;
	json_object_array_add(r, res);
	json_object_object_add(json_object_array_get_idx(pk, json_object_array_length(pk) - 1), "reason",
			       json_object_new_string("NO_SOCKET"));
	json_object_object_add(res, "transitions", a = json_object_new_array());
	json_object_array_add(a, t = json_object_new_object());
	json_object_object_add(t, "t_ms", json_object_new_double(4.0));
	add_str(t, "host", "server");
	json_object_object_add(t, "sport", json_object_new_int(5000));
	json_object_object_add(t, "dport", json_object_new_int(40000));
	add_str(t, "from", "FIN-WAIT-1");
	add_str(t, "to", "CLOSING");
	json_object_object_add(res, "drops", a = json_object_new_array());
	json_object_array_add(a, t = json_object_new_object());
	json_object_object_add(t, "t_ms", json_object_new_double(4.5));
	add_str(t, "host", "client");
	add_str(t, "reason", "TCP_LISTEN_OVERFLOW");
	struct report_options o = { .verbose = true, .repeat = 1 };
	char *out = render(REPORT_TEXT, r, &o);
	char line[512];

	line_with(out, "R seq 1  (NO_SOCKET)", line, sizeof line);
	assert_non_null(strstr(line, "|<-"));
	line_with(out, "~ FIN-WAIT-1 > CLOSING", line, sizeof line);
	assert_true(strstr(line, "~ FIN") > strrchr(line, '|'));      /* the server's, right of its line */
	line_with(out, "(drops a packet: TCP_LISTEN_OVERFLOW)", line, sizeof line);
	assert_true(strstr(line, "(drops") < strchr(line, '|'));     /* the client's, left of its line */
	assert_true(strstr(out, "accept = 5") < strstr(out, "~ FIN-WAIT-1"));   /* in time order */
	free(out);
	json_object_put(r);
}

static void test_colour(void **state)
{
	json_object *r = json_object_new_array();
	json_object_array_add(r, result("good", "pass", NULL, true));
	json_object_array_add(r, result("fin", "fail", "why", false));
	struct report_options o = { .verbose = true, .color = true, .repeat = 1 };
	char *out = render(REPORT_TEXT, r, &o);
	char line[512];

	assert_non_null(strstr(out, "\033[32mPASS \033[0m good (inet)"));
	assert_non_null(strstr(out, "\033[31mFAIL \033[0m fin (inet)"));
	line_with(out, "R seq 1", line, sizeof line);
	assert_non_null(strstr(line, "|\033[31m<-"));
	line_with(out, "F. seq 1", line, sizeof line);
	assert_non_null(strstr(line, "|\033[33m<-"));
	line_with(out, "S seq 0", line, sizeof line);
	assert_null(strchr(line, '\033'));
	free(out);
	/* files and pipes: the caller asks for none; a memory stream is no terminal */
	FILE *m = open_memstream(&out, &(size_t){ 0 });
	assert_false(report_color_wanted(m));
	fclose(m);
	free(out);
	json_object_put(r);
}

static void test_explain(void **state)
{
	json_object *r = json_object_new_array();
	json_object_array_add(r, result("good", "pass", NULL, true));
	struct report_options o = { .explain = true, .repeat = 1 };
	char *out = render(REPORT_TEXT, r, &o);

	/* the ladder, then the claim and what Linux did, then the timers */
	char *arrow = strstr(out, "S seq 0"), *claim = strstr(out, "The claim:"), *lx = strstr(out, "Linux does:");
	assert_non_null(arrow);
	assert_non_null(claim);
	assert_non_null(lx);
	assert_true(arrow < claim && claim < lx);
	assert_non_null(strstr(claim, "the articles say ECONNRESET\n"));
	assert_non_null(strstr(lx, "Linux says EPIPE\n"));
	assert_non_null(strstr(lx, "Timers:       RTO 200 ms; by default 15 minutes\n"));
	free(out);
	json_object_put(r);
}

static void test_bare_error_verbose(void **state)
{
	json_object *r = json_object_new_array();
	json_object_array_add(r, bare_error());
	struct report_options o = { .verbose = true, .repeat = 1 };
	char *out = render(REPORT_TEXT, r, &o);

	assert_non_null(strstr(out, "ERROR died (inet6)"));
	assert_non_null(strstr(out, "(nothing was observed)"));
	assert_non_null(strstr(out, "0 passed, 0 failed, 1 errors\n"));
	free(out);
	json_object_put(r);
}

static json_object *runs(bool second_rst)
{
	json_object *r = json_object_new_array();
	json_object *a = result("flaky", "pass", NULL, true), *b = result("flaky", "pass", NULL, second_rst);
	json_object *c = result("steady", "pass", NULL, true), *d = result("steady", "pass", NULL, true);
	add_str(c, "file", "scenarios/steady.tcpf");
	add_str(d, "file", "scenarios/steady.tcpf");
	json_object_object_add(a, "run", json_object_new_int(1));
	json_object_object_add(b, "run", json_object_new_int(2));
	json_object_object_add(c, "run", json_object_new_int(1));
	json_object_object_add(d, "run", json_object_new_int(2));
	json_object_array_add(r, a);
	json_object_array_add(r, b);
	json_object_array_add(r, c);
	json_object_array_add(r, d);
	return r;
}

static void test_repeat_varied(void **state)
{
	struct report_options o = { .repeat = 2 };
	json_object *r = runs(false);
	char *out = render(REPORT_TEXT, r, &o);

	assert_non_null(strstr(out, "PASS  flaky (inet) [run 2/2]"));
	assert_non_null(strstr(out, "4 passed, 0 failed, 0 errors\n1 scenario varied across 2 runs: flaky (inet)\n"));
	free(out);
	json_object_put(r);

	r = runs(true);
	out = render(REPORT_TEXT, r, &o);
	const char *tail = "4 passed, 0 failed, 0 errors\n0 scenarios varied across 2 runs\n";
	assert_string_equal(out + strlen(out) - strlen(tail), tail);
	free(out);
	/* the other formats name each run */
	out = render(REPORT_TAP, r, &o);
	assert_non_null(strstr(out, "ok 4 - steady (inet) [run 2/2]\n"));
	free(out);
	json_object_put(r);
}


/* A second connection (other ports) whose packets interleave with the first one's differently
 * in the two runs: each connection's own sequence is the same, so nothing varied; with its
 * own sequence changed (R in place of F.), it varied. */
static void test_repeat_interleaving(void **state)
{
	struct report_options o = { .repeat = 2 };
	for (int changed = 0; changed < 2; changed++) {
		json_object *r = json_object_new_array();
		for (int run = 0; run < 2; run++) {
			json_object *a = result("two", "pass", NULL, false), *pk = json_object_object_get(a, "packets");
			json_object *q = packet(5.0, "client", "server", run && changed ? "R" : "F.", 1, 1, 0);
			json_object *both = json_object_new_array();
			json_object_object_add(q, "sport", json_object_new_int(run ? 41001 : 42002));   /* ephemeral */
			json_object_object_add(q, "dport", json_object_new_int(6000));
			if (run)
				json_object_array_add(both, q);
			for (size_t i = 0; i < json_object_array_length(pk); i++)
				json_object_array_add(both, json_object_get(json_object_array_get_idx(pk, i)));
			if (!run)
				json_object_array_add(both, q);
			json_object_object_add(a, "packets", both);
			json_object_object_add(a, "run", json_object_new_int(run + 1));
			json_object_array_add(r, a);
		}
		char *out = render(REPORT_TEXT, r, &o);
		assert_non_null(strstr(out, changed ? "1 scenario varied across 2 runs: two (inet)\n" :
				       "0 scenarios varied across 2 runs\n"));
		free(out);
		json_object_put(r);
	}
}

/* Two connections on the same ports between different hosts (client and other, each from
 * 40000 to the server's 5000) whose packets interleave differently: two connections, each the
 * same in both runs, so nothing varied. */
static void test_repeat_same_ports(void **state)
{
	struct report_options o = { .repeat = 2 };
	json_object *r = json_object_new_array();
	for (int run = 0; run < 2; run++) {
		json_object *a = result("ports", "pass", NULL, false), *both = json_object_new_array();
		const char *order[2][2] = { { "client", "other" }, { "other", "client" } };
		for (int k = 0; k < 2; k++) {
			json_object_array_add(both, packet(1.0 + k, order[run][k], "server", "S", 0, 0, 0));
			json_object *q = json_object_array_get_idx(both, (size_t)k);
			json_object_object_add(q, "sport", json_object_new_int(40000));
			json_object_object_add(q, "dport", json_object_new_int(5000));
		}
		json_object_array_add(both, packet(3.0, "server", "other", "R.", 0, 1, 0));
		json_object_object_add(json_object_array_get_idx(both, 2), "sport", json_object_new_int(5000));
		json_object_object_add(json_object_array_get_idx(both, 2), "dport", json_object_new_int(40000));
		json_object_object_add(a, "packets", both);
		json_object_object_add(a, "run", json_object_new_int(run + 1));
		json_object_array_add(r, a);
	}
	char *out = render(REPORT_TEXT, r, &o);
	assert_non_null(strstr(out, "0 scenarios varied across 2 runs\n"));
	free(out);
	json_object_put(r);
}

/* Two runs of "pat" as result() makes them, each changed by change(run, packets, syscalls);
 * rendered with --repeat 2. */
static char *two_runs(void (*change)(int run, json_object *pk, json_object *sc))
{
	struct report_options o = { .repeat = 2 };
	json_object *r = json_object_new_array();

	for (int run = 0; run < 2; run++) {
		json_object *a = result("pat", "pass", NULL, false);
		change(run, json_object_object_get(a, "packets"), json_object_object_get(a, "syscalls"));
		json_object_object_add(a, "run", json_object_new_int(run + 1));
		json_object_array_add(r, a);
	}
	char *out = render(REPORT_TEXT, r, &o);
	json_object_put(r);
	return out;
}

/* The second run has more data segments and ACKs, a retransmitted FIN, reads that got other
 * byte counts, more of them, and a non-blocking read that found nothing: the data/ACK pattern,
 * noted, not "varied". */
static void pattern_only(int run, json_object *pk, json_object *sc)
{
	json_object_array_add(sc, syscall_(9.5, "server", "read", run ? 60 : 100, NULL));
	if (!run)
		return;
	json_object_array_add(pk, packet(5.5, "client", "server", "P.", 101, 1, 50));
	json_object_array_add(pk, packet(5.6, "server", "client", ".", 1, 151, 0));
	json_object_array_add(pk, packet(7.0, "server", "client", "F.", 1, 151, 0));   /* again */
	json_object_array_add(sc, syscall_(9.6, "server", "read", -1, "EAGAIN"));
	json_object_array_add(sc, syscall_(9.7, "server", "read", 40, NULL));
}

/* A forking server: its parent accepts and closes, its child reads, on the same fd numbers;
 * other pids in each run and their calls interleaved otherwise: the same outcomes. */
static void forking(int run, json_object *pk, json_object *sc)
{
	static const struct { int child; const char *call; int ret; } calls[2][4] = {
		{ { 0, "accept", 7 }, { 1, "read", 5 }, { 0, "close", 0 }, { 1, "close", 0 } },
		{ { 0, "accept", 7 }, { 0, "close", 0 }, { 1, "read", 5 }, { 1, "close", 0 } },
	};
	for (int i = 0; i < 4; i++) {
		json_object *c = syscall_(10.0 + i, "server.socat", calls[run][i].call, calls[run][i].ret, NULL);
		json_object_object_add(c, "socket", json_object_new_string("fd7"));
		json_object_object_add(c, "pid", json_object_new_int(1000 * (run + 1) + calls[run][i].child));
		json_object_array_add(sc, c);
	}
}

static void test_repeat_forking(void **state)
{
	char *out = two_runs(forking);

	assert_non_null(strstr(out, "0 scenarios varied across 2 runs\n"));
	free(out);
}

static void test_repeat_data_pattern(void **state)
{
	char *out = two_runs(pattern_only);
	const char *tail = "2 passed, 0 failed, 0 errors\n0 scenarios varied across 2 runs\n"
			   "note: data/ACK pattern differed (timing, not counted as varied): pat (inet)\n";

	if (strlen(out) < strlen(tail) || strcmp(out + strlen(out) - strlen(tail), tail) != 0)
		fail_msg("got:\n%s", out);
	free(out);
}

/* What matters differs: a call's errno (EPIPE, then ECONNRESET); an end of file where data
 * came; the FIN and the RST in the other order; an RST more. Each is "varied". */
static void other_errno(int run, json_object *pk, json_object *sc)
{
	if (run)
		json_object_array_put_idx(sc, 2, syscall_(9.0, "client", "send", -1, "ECONNRESET"));
}

static void eof_for_data(int run, json_object *pk, json_object *sc)
{
	json_object_array_add(sc, syscall_(9.5, "client", "read", run ? 0 : 10, NULL));
}

static void fin_rst_order(int run, json_object *pk, json_object *sc)
{
	json_object *fin = json_object_get(json_object_array_get_idx(pk, 3));

	if (run)
		json_object_array_put_idx(pk, 3, packet(5.8, "client", "server", "R", 101, 0, 0));
	json_object_array_add(pk, run ? fin : packet(7.0, "client", "server", "R", 101, 0, 0));
	if (!run)
		json_object_put(fin);
}

static void extra_rst(int run, json_object *pk, json_object *sc)
{
	if (run)
		json_object_array_add(pk, packet(7.0, "client", "server", "R", 101, 0, 0));
}

static void test_repeat_what_matters(void **state)
{
	void (*changes[])(int, json_object *, json_object *) = { other_errno, eof_for_data, fin_rst_order, extra_rst };

	for (size_t i = 0; i < sizeof changes / sizeof changes[0]; i++) {
		char *out = two_runs(changes[i]);
		if (!strstr(out, "1 scenario varied across 2 runs: pat (inet)\n") || strstr(out, "note: data/ACK"))
			fail_msg("case %zu: got:\n%s", i, out);
		free(out);
	}
}

/* A run this machine lacks a feature for (netem here): "skipped", as the runner makes it. */
static json_object *skipped(const char *name)
{
	json_object *r = result(name, "skipped", "x.tcpf:12: blackhole server netem: this kernel has no netem qdisc", true);
	add_str(r, "missing", "this kernel has no netem qdisc");
	return r;
}

/* Skipped runs are counted apart in every format, never as a pass, a failure or an error. */
static void test_skipped(void **state)
{
	json_object *r = json_object_new_array();
	json_object_array_add(r, result("good", "pass", NULL, true));
	json_object_array_add(r, skipped("lacks"));
	json_object_array_add(r, result("bad", "fail", "x.tcpf:23: client write", true));
	char *out = render(REPORT_TEXT, r, NULL), line[512];

	/* text: the run's line starts SKIP and says what this machine lacks; the totals line keeps
	 * its start and adds the skipped */
	line_with(out, "lacks (inet)", line, sizeof line);
	assert_int_equal(strncmp(line, "SKIP  lacks (inet)", 18), 0);
	assert_non_null(strstr(line, "this machine lacks: this kernel has no netem qdisc"));
	assert_non_null(strstr(out, "      x.tcpf:12: blackhole server netem: this kernel has no netem qdisc\n"));
	const char *tail = "1 passed, 1 failed, 0 errors, 1 skipped\n";
	assert_string_equal(out + strlen(out) - strlen(tail), tail);
	free(out);
	struct report_options c = { .color = true, .repeat = 1 };
	out = render(REPORT_TEXT, r, &c);
	assert_non_null(strstr(out, "\033[33mSKIP \033[0m lacks (inet)"));
	free(out);

	/* JSON: the verdict as it came */
	out = render(REPORT_JSON, r, NULL);
	json_object *top = json_tokener_parse(out), *one = json_object_array_get_idx(json_object_object_get(top, "results"), 1);
	assert_string_equal(json_object_get_string(json_object_object_get(one, "verdict")), "skipped");
	assert_string_equal(json_object_get_string(json_object_object_get(one, "missing")), "this kernel has no netem qdisc");
	json_object_put(top);
	free(out);

	/* JUnit: a skipped element with the reason, counted in skipped, not in errors */
	out = render(REPORT_JUNIT, r, NULL);
	assert_non_null(strstr(out, "<testsuite name=\"tcpfault\" tests=\"3\" failures=\"1\" errors=\"0\" skipped=\"1\""));
	assert_non_null(strstr(out, "<testcase classname=\"tcpfault.B2\" name=\"lacks (inet)\" time=\"0.052\">\n"
				    "      <skipped message=\"this machine lacks: this kernel has no netem qdisc\"/>\n"));
	assert_int_equal(count(out, "<skipped "), 1);
	assert_int_equal(count(out, "<failure "), 1);
	assert_int_equal(count(out, "<error "), 0);
	free(out);

	/* TAP: ok, with a SKIP directive and the reason */
	out = render(REPORT_TAP, r, NULL);
	assert_non_null(strstr(out, "\nok 2 - lacks (inet) # SKIP this machine lacks: this kernel has no netem qdisc\n"
				    "not ok 3 - bad (inet)\n"));
	assert_int_equal(count(out, "  ---\n"), 1);
	free(out);
	json_object_put(r);

	/* Only skipped: the totals line says so, nothing else counted */
	r = json_object_new_array();
	json_object_array_add(r, skipped("lacks"));
	out = render(REPORT_TEXT, r, NULL);
	tail = "0 passed, 0 failed, 0 errors, 1 skipped\n";
	assert_string_equal(out + strlen(out) - strlen(tail), tail);
	free(out);
	json_object_put(r);
}

/* --repeat: skipped is a verdict of its own; a run skipped once and in error once varied. */
static void test_repeat_skipped(void **state)
{
	struct report_options o = { .repeat = 2 };

	for (int other = 0; other < 2; other++) {
		json_object *r = json_object_new_array(), *a = skipped("k"), *b = other ? result("k", "error", "x.tcpf:12: error: x", true) : skipped("k");
		json_object_object_add(a, "run", json_object_new_int(1));
		json_object_object_add(b, "run", json_object_new_int(2));
		json_object_array_add(r, a);
		json_object_array_add(r, b);
		char *out = render(REPORT_TEXT, r, &o);
		const char *want = other ? "0 passed, 0 failed, 1 errors, 1 skipped\n1 scenario varied across 2 runs: k (inet)\n"
					 : "0 passed, 0 failed, 0 errors, 2 skipped\n0 scenarios varied across 2 runs\n";
		if (!strstr(out, want))
			fail_msg("case %d: got:\n%s", other, out);
		free(out);
		json_object_put(r);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_format_names),
		cmocka_unit_test(test_text_totals),
		cmocka_unit_test(test_text_untraced),
		cmocka_unit_test(test_json_reparses),
		cmocka_unit_test(test_junit),
		cmocka_unit_test(test_junit_xmllint),
		cmocka_unit_test(test_tap),
		cmocka_unit_test(test_ladder),
		cmocka_unit_test(test_ladder_ports),
		cmocka_unit_test(test_ladder_kernel),
		cmocka_unit_test(test_colour),
		cmocka_unit_test(test_explain),
		cmocka_unit_test(test_bare_error_verbose),
		cmocka_unit_test(test_repeat_varied),
		cmocka_unit_test(test_repeat_interleaving),
		cmocka_unit_test(test_repeat_same_ports),
		cmocka_unit_test(test_repeat_data_pattern),
		cmocka_unit_test(test_repeat_forking),
		cmocka_unit_test(test_repeat_what_matters),
		cmocka_unit_test(test_skipped),
		cmocka_unit_test(test_repeat_skipped),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
