/* SPDX-License-Identifier: MIT */
/*
 * Unit tests of the graphic reports (html.c, mermaid.c): results made with the add functions,
 * one of them hostile (markup, quotes, a closing </pre> and <script>, control bytes, invalid
 * UTF-8, newlines, '|' and '`' in every string), written to memory, then checked: nothing of
 * the hostile text arrives as markup, one SVG element per packet, call, fault and state, the
 * columns in the scenario's hosts order, the capture's link, the Mermaid fence unbroken, the
 * GitHub step summary appended. No privilege.
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

#include "report.h"

#define HOSTILE "ev<il>&\"q'</pre><script>alert(1)</script>\x01\x1b[31m\xff\xc3(|`;#\n```\nsecond"

static struct result *make(const char *name, const char *text)
{
	struct result *r;

	assert_int_equal(result_new(name, "B2", "inet", "scenarios/x.tcpf", text, &r), 0);
	assert_int_equal(result_describe(r, text, text, text), 0);
	assert_int_equal(result_add_syscall(r, "client", "main", "connect", 0, 0, 1.0, 0), 0);
	assert_int_equal(result_add_syscall(r, "server", text, "accept", 5, 0, 1.5, 0), 0);
	assert_int_equal(result_add_packet(r, 1.1, "client", "server", 40000, 5000, false, "S", 0, 0, 0), 0);
	assert_int_equal(result_add_packet(r, 1.2, "server", "client", 5000, 40000, false, "S.", 0, 1, 0), 0);
	assert_int_equal(result_add_packet(r, 1.3, "client", "server", 40000, 5000, false, text, 1, 1, 0), 0);
	assert_int_equal(result_add_event(r, 2.0, "server", text), 0);
	assert_int_equal(result_add_exit(r, "server", 2.1, "SIGKILL", 0, true), 0);
	assert_int_equal(result_add_state(r, 2.2, "client", text, 40000, 5000, 0, 0), 0);
	assert_int_equal(result_failure(r, text), 0);
	assert_int_equal(result_failure(r, "client read\n  expected: -1 ECONNRESET\n  observed: 0"), 0);
	assert_int_equal(result_note(r, text), 0);
	result_finish(r, RESULT_FAIL, 12.0, 0);
	return r;
}

static char *render(enum report_format f, struct result *const *rs, size_t n, const struct report_options *o)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *m = open_memstream(&buf, &len);

	assert_non_null(m);
	report_write(m, f, rs, n, o);
	assert_int_equal(fclose(m), 0);
	return buf;
}

static size_t count(const char *s, const char *what)
{
	size_t n = 0;
	for (const char *p = s; (p = strstr(p, what)); p += strlen(what))
		n++;
	return n;
}

/* Every byte is valid UTF-8 and no C0 control but tab and newline is there. */
static void assert_clean(const char *s)
{
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		assert_false(*p < 0x20 && *p != '\n' && *p != '\t');
		assert_int_not_equal(*p, 0xff);
	}
}

static void test_html_escapes(void **state)
{
	struct result *r = make(HOSTILE, HOSTILE);
	char *html = render(REPORT_HTML, &r, 1, NULL);

	(void)state;
	assert_clean(html);
	/* The hostile text's markup arrives as text only. */
	assert_null(strstr(html, "<il>"));
	assert_null(strstr(html, "<script"));
	assert_null(strstr(html, "</script"));
	assert_int_equal(count(html, "</pre>"), count(html, "<pre>"));
	assert_non_null(strstr(html, "ev&lt;il&gt;&amp;&quot;q&#39;&lt;/pre&gt;&lt;script&gt;"));
	/* No attribute is cut short by a quote: every data-flags value is the escaped text. */
	assert_non_null(strstr(html, "data-flags=\"ev&lt;il&gt;&amp;&quot;q&#39;"));
	/* Nothing fetched: no src, no external link, no @import. */
	assert_null(strstr(html, "src="));
	assert_null(strstr(html, "@import"));
	assert_null(strstr(html, "<link"));
	free(html);
	result_free(r);
}

static void test_html_elements(void **state)
{
	struct result *rs[2] = { make("one", "a text"), make("two", "b text") };
	char *html = render(REPORT_HTML, rs, 2, NULL);

	(void)state;
	assert_int_equal(count(html, "<svg"), 2);
	assert_int_equal(count(html, "<section class=\"run\""), 2);
	assert_int_equal(count(html, "<g class=\"packet"), 6);
	assert_int_equal(count(html, "<g class=\"call\""), 4);
	assert_int_equal(count(html, "<g class=\"fault"), 4);   /* an event and a death each */
	assert_int_equal(count(html, "<g class=\"state\""), 2);
	assert_non_null(strstr(html, "data-flags=\"S.\""));
	/* Expected and observed side by side. */
	assert_non_null(strstr(html, "<th>expected</th><th>observed</th></tr><tr><td><pre>-1 ECONNRESET</pre></td>"
				     "<td><pre>0</pre></td>"));
	assert_non_null(strstr(html, "Linux "));                       /* the kernel in the index */
	assert_non_null(strstr(html, "<a href=\"#run-2\">two</a>"));
	assert_null(strstr(html, "capture:"));                          /* no --pcap-dir, no link */
	free(html);
	result_free(rs[0]);
	result_free(rs[1]);
}

/* A call's args (setsockopt's option) beside its name, in every drawing of the run. */
static void test_call_args(void **state)
{
	struct result *r = make("args", "t");
	const enum report_format fs[] = { REPORT_HTML, REPORT_MERMAID };

	(void)state;
	assert_int_equal(result_add_syscall(r, "client", "main", "setsockopt", 0, 0, 1.7, 0), 0);
	assert_int_equal(result_syscall_args(r, "linger 1 0"), 0);
	for (size_t i = 0; i < 2; i++) {
		char *out = render(fs[i], &r, 1, NULL);
		assert_non_null(strstr(out, "setsockopt linger 1 0 = 0"));
		assert_non_null(strstr(out, "connect = 0"));   /* none: the name alone */
		free(out);
	}
	struct report_options o = { .verbose = true };
	char *text = render(REPORT_TEXT, &r, 1, &o);
	assert_non_null(strstr(text, "setsockopt linger 1 0 = 0"));
	free(text);
	result_free(r);
}

/* The scenario's 'hosts server client' puts server's lifeline first in HTML, Mermaid and text; without
 * hosts, client. */
static void test_html_hosts_order(void **state)
{
	struct result *r = make("order", "t");
	char *html = render(REPORT_HTML, &r, 1, NULL);

	(void)state;
	assert_true(strstr(html, ">client</text>") < strstr(html, ">server</text>"));
	assert_null(strstr(html, "class=\"addr\""));                /* no hosts, no addresses */
	free(html);
	assert_int_equal(result_add_host(r, "server", "198.18.0.2", "2001:2::2"), 0);
	assert_int_equal(result_add_host(r, "client", "198.18.0.1", "2001:2::1"), 0);
	html = render(REPORT_HTML, &r, 1, NULL);
	assert_true(strstr(html, ">server</text>") < strstr(html, ">client</text>"));
	/* Each column's head carries its host's address in the run's family, under its name. */
	assert_non_null(strstr(html, ">server</text><text class=\"addr\" x=\"360\" y=\"27\" text-anchor=\"middle\">198.18.0.2</text>"));
	assert_non_null(strstr(html, ">client</text><text class=\"addr\" x=\"680\" y=\"27\" text-anchor=\"middle\">198.18.0.1</text>"));
	assert_null(strstr(html, "2001:2::"));
	free(html);
	char *md = render(REPORT_MERMAID, &r, 1, NULL);
	assert_non_null(strstr(md, "    participant h0 as server 198.18.0.2\n    participant h1 as client 198.18.0.1\n"));
	free(md);
	/* the text ladder's header has the same order */
	struct report_options o = { .verbose = true };
	char *text = render(REPORT_TEXT, &r, 1, &o), *head = strstr(text, "       ms  ");
	assert_non_null(head);
	*strchr(head, '\n') = 0;
	assert_non_null(strstr(head, "client"));
	assert_true(strstr(head, "server") < strstr(head, "client"));
	free(text);
	free(r->family);
	r->family = strdup("inet6");
	assert_non_null(r->family);
	html = render(REPORT_HTML, &r, 1, NULL);
	assert_non_null(strstr(html, ">2001:2::2</text>"));
	assert_null(strstr(html, "198.18.0."));
	free(html);
	md = render(REPORT_MERMAID, &r, 1, NULL);
	assert_non_null(strstr(md, "    participant h0 as server 2001:2::2\n"));
	free(md);
	result_free(r);
}

/* What the tracer saw: an RST's reason and a retransmission's kind beside their arrows (class
 * reason, retransmit, and in the title), a drop, and a band per state of each socket, a closed
 * one's place taken by the next socket of its host; the same words in Mermaid. */
static void test_traced(void **state)
{
	struct result *r = make("traced", "t");

	(void)state;
	assert_int_equal(result_add_packet(r, 3.0, "server", "client", 5000, 40000, false, "R.", 1, 1, 0), 0);
	assert_int_equal(result_packet_reason(r, 3, "NO_SOCKET"), 0);
	assert_int_equal(result_packet_retransmit(r, 0, RESULT_RTX_SYN), 0);
	assert_int_equal(result_add_drop(r, 2.5, "server", "NETFILTER_DROP"), 0);
	assert_int_equal(result_add_transition(r, 1.0, "client", 0, 5000, "CLOSE", "SYN-SENT"), 0);
	assert_int_equal(result_add_transition(r, 1.2, "client", 40000, 5000, "SYN-SENT", "ESTABLISHED"), 0);
	assert_int_equal(result_add_transition(r, 2.9, "client", 40000, 5000, "ESTABLISHED", "CLOSE"), 0);
	assert_int_equal(result_add_transition(r, 2.95, "client", 0, 5000, "CLOSE", "SYN-SENT"), 0);
	char *html = render(REPORT_HTML, &r, 1, NULL);
	assert_non_null(strstr(html, "<tspan class=\"reason\">(NO_SOCKET)</tspan>"));
	assert_non_null(strstr(html, " (NO_SOCKET)</title>"));
	assert_non_null(strstr(html, "data-retransmit=\"SYN\""));
	assert_non_null(strstr(html, "<tspan class=\"retransmit\">(SYN retransmission)</tspan>"));
	assert_int_equal(count(html, "class=\"reason\""), 1);
	assert_int_equal(count(html, "<g class=\"drop\" data-host=\"server\" data-reason=\"NETFILTER_DROP\""), 1);
	assert_int_equal(count(html, "class=\"state-band\""), 3);
	assert_int_equal(count(html, "data-state=\"SYN-SENT\" x=\"363\""), 2);   /* the second in the first's place */
	assert_int_equal(count(html, "data-state=\"ESTABLISHED\" x=\"363\""), 1);
	assert_non_null(strstr(html, "<title>client :40000-:5000 ESTABLISHED 1.200 to 2.900 ms</title>"));
	/* A legend of the bands' colours, for the states shown, each colour as the CSS gives it. */
	assert_non_null(strstr(html, "<p class=\"legend\">socket states (the bands beside each lifeline):"
				     "<span class=\"key\" style=\"background:#58c\"></span>SYN-SENT, SYN-RECV"
				     "<span class=\"key\" style=\"background:#4a9\"></span>ESTABLISHED</p>"));
	assert_non_null(strstr(html, "svg .state-band[data-state^=SYN]{fill:#58c}"));
	assert_non_null(strstr(html, "svg .state-band[data-state=ESTABLISHED]{fill:#4a9}"));
	free(html);
	/* Without bands, no legend. */
	struct result *plain = make("plain", "t");
	html = render(REPORT_HTML, &plain, 1, NULL);
	assert_null(strstr(html, "class=\"legend\""));
	free(html);
	result_free(plain);
	char *md = render(REPORT_MERMAID, &r, 1, NULL);
	assert_non_null(strstr(md, "h1-xh0: 3.000 R. seq 1 ack 1 (NO_SOCKET)\n"));
	assert_non_null(strstr(md, "h0->>h1: 1.100 S seq 0 (SYN retransmission)\n"));
	assert_non_null(strstr(md, "Note over h1: 2.500 (drops a packet: NETFILTER_DROP)\n"));
	free(md);
	/* The text ladder: a retransmission its arrow names has no row of its own; one that went
	 * out as no captured packet keeps its row. */
	assert_int_equal(result_add_retransmit(r, 1.05, "client", 40000, 5000, "SYN-SENT", "loss", RESULT_RTX_SYN), 0);
	assert_int_equal(result_add_retransmit(r, 2.4, "client", 40000, 5000, "ESTABLISHED", "loss", RESULT_RTX_RTO), 0);
	char *text = render(REPORT_TEXT, &r, 1, &(struct report_options){ .verbose = true });
	assert_int_equal(count(text, "(SYN retransmission)"), 1);
	assert_int_equal(count(text, "(retransmits"), 1);
	assert_non_null(strstr(text, "(retransmits: RTO, ca loss)"));
	free(text);
	result_free(r);
}

/* Labels longer than their lane are cut with "…", whole in a title: a call in its arguments
 * (its result stays), a fault, an RST's reason; a packet's label over its first lane. */
static void test_html_long_labels(void **state)
{
	struct result *r = make("long", "t");
	const char *args = "SO_LINGER {on 1, linger 0} and then some more words that make it long";

	(void)state;
	assert_int_equal(result_add_syscall(r, "client", "main", "setsockopt", 0, 0, 1.4, 0), 0);
	assert_int_equal(result_syscall_args(r, args), 0);
	assert_int_equal(result_add_event(r, 2.6, "server", "a fault whose words go on and on past the lane's end"), 0);
	assert_int_equal(result_add_packet(r, 3.0, "server", "client", 5000, 40000, false, "R.", 4294967295, 4294967295, 0), 0);
	assert_int_equal(result_packet_reason(r, r->packets.n - 1, "A_REASON_NAMED_AT_LENGTH_BY_A_FUTURE_KERNEL"), 0);
	char *html = render(REPORT_HTML, &r, 1, NULL);
	assert_non_null(strstr(html, "<title>setsockopt SO_LINGER {on 1, linger 0} and then some more words that make it long = 0</title>"));
	assert_non_null(strstr(html, ">setsockopt SO_LINGER {on 1, linger\xe2\x80\xa6 = 0</text>"));
	assert_non_null(strstr(html, "<title>*** a fault whose words go on and on past the lane&#39;s end ***</title>"));
	assert_non_null(strstr(html, "R.</tspan> seq 4294967295 ack 4294967295 <tspan class=\"reason\">(A_REAS\xe2\x80\xa6</tspan>"));
	free(html);
	result_free(r);
}

/* Without the tracer: the TCP counters that changed, summed per host and name (a rebooted host's
 * two namespaces), in the JSON (counter_deltas), the text under -v and the html. */
static void test_counter_deltas(void **state)
{
	struct result *r = make("untraced", "t"), *back;
	struct report_options v = { .repeat = 1, .verbose = true };
	json_object *j;

	(void)state;
	assert_int_equal(result_add_counter_delta(r, "server", "Tcp.OutRsts", 1), 0);
	assert_int_equal(result_add_counter_delta(r, "client", "Tcp.OutSegs", 3), 0);
	assert_int_equal(result_add_counter_delta(r, "server", "Tcp.OutRsts", 1), 0);
	assert_int_equal(r->counter_deltas.n, 2);
	assert_int_equal(result_to_json(r, &j), 0);
	assert_int_equal(result_from_json(j, &back), 0);
	json_object_put(j);
	assert_true(back->counted);
	assert_int_equal(back->counter_deltas.n, 2);
	assert_string_equal(back->counter_deltas.v[0].name, "Tcp.OutRsts");
	assert_int_equal(back->counter_deltas.v[0].value, 2);
	char *text = render(REPORT_TEXT, &back, 1, &v);
	assert_non_null(strstr(text, "      TCP counters that changed (in place of the kernel's reasons):\n"
				     "      server:       Tcp.OutRsts +2\n      client:       Tcp.OutSegs +3\n"));
	free(text);
	char *html = render(REPORT_HTML, &back, 1, NULL);
	assert_non_null(strstr(html, "<b>server</b>: Tcp.OutRsts +2</p>"));
	free(html);
	result_free(back);
	result_free(r);
}

/* --pcap-dir: DIR/NAME-FAMILY[-runK].pcap as the runner names it, percent-encoded. */
static void test_html_pcap_link(void **state)
{
	struct result *r = make("sigkill", "t");
	struct report_options o = { .repeat = 1, .pcap_dir = "my caps" };
	char *html = render(REPORT_HTML, &r, 1, &o);

	(void)state;
	assert_non_null(strstr(html, "<a href=\"my%20caps/sigkill-inet.pcap\">my caps/sigkill-inet.pcap</a>"));
	free(html);
	o.repeat = 3;
	r->run = 2;
	html = render(REPORT_HTML, &r, 1, &o);
	assert_non_null(strstr(html, "href=\"my%20caps/sigkill-inet-run2.pcap\""));
	free(html);
	result_free(r);
}

/* The fence holds: hostile text neither closes it nor starts a statement. */
static void test_mermaid(void **state)
{
	struct result *r = make(HOSTILE, HOSTILE);
	char *md = render(REPORT_MERMAID, &r, 1, NULL);

	(void)state;
	assert_clean(md);
	assert_int_equal(count(md, "```"), 2);
	assert_int_equal(count(md, "```mermaid\nsequenceDiagram\n"), 1);
	assert_int_equal(count(md, "    h0->>h1: "), 2);
	assert_int_equal(count(md, "    h1->>h0: "), 1);
	assert_non_null(strstr(md, "    participant h0 as client\n"));
	/* Inside the fence every line is a statement: no ';' but an entity's. */
	const char *body = strstr(md, "sequenceDiagram\n"), *end = strstr(body, "```");
	for (const char *p = body; p < end; p++)
		if (*p == ';') {
			const char *q = p - 1;
			while (q > body && *q >= '0' && *q <= '9')
				q--;
			assert_int_equal(*q, '#');
		}
	assert_null(strstr(md, "<script"));
	free(md);
	result_free(r);
	/* The run's notes follow its diagram, outside the fence: the kernel's reasons unavailable. */
	r = make("one", "t");
	assert_int_equal(result_note(r, "kernel reasons unavailable: needs root"), 0);
	md = render(REPORT_MERMAID, &r, 1, NULL);
	assert_non_null(strstr(md, "```\n\nnote: t\n\nnote: kernel reasons unavailable: needs root\n"));
	free(md);
	result_free(r);
}

static void test_step_summary(void **state)
{
	char path[] = "/tmp/tcpfault-summary-XXXXXX";
	int fd = mkstemp(path);
	struct result *rs[2] = { make("one", "t"), make(HOSTILE, HOSTILE) };
	char buf[65536];

	(void)state;
	assert_true(fd >= 0);
	rs[0]->verdict = RESULT_PASS;
	unsetenv("GITHUB_STEP_SUMMARY");
	assert_int_equal(report_step_summary(rs, 2, NULL), 0);   /* unset: nothing to do */
	setenv("GITHUB_STEP_SUMMARY", path, 1);
	assert_int_equal(report_step_summary(rs, 2, NULL), 0);
	assert_int_equal(report_step_summary(rs, 2, NULL), 0);   /* appended, not replaced */
	unsetenv("GITHUB_STEP_SUMMARY");
	ssize_t n = read(fd, buf, sizeof buf - 1);
	close(fd);
	unlink(path);
	assert_true(n > 0);
	buf[n] = 0;
	assert_clean(buf);
	assert_int_equal(count(buf, "### tcpfault: 1 passed, 1 failed, 0 errors\n"), 2);
	/* Each table row has its 7 bars: the hostile '|' is a reference, not a cell. */
	for (char *line = strtok(buf, "\n"); line; line = strtok(NULL, "\n"))
		if (line[0] == '|')
			assert_int_equal(count(line, "|"), 7);
	assert_null(strstr(buf, "<script"));
	result_free(rs[0]);
	result_free(rs[1]);
}

/* A run this machine lacks a feature for: skipped in the html index and the step summary,
 * counted apart from the errors, and not among the failures. */
static void test_skipped(void **state)
{
	char path[] = "/tmp/tcpfault-summary-XXXXXX";
	int fd = mkstemp(path);
	struct result *rs[3] = { make("one", "t"), make("two", "t"), make("three", "t") };
	char buf[65536];

	(void)state;
	assert_true(fd >= 0);
	rs[0]->verdict = RESULT_PASS;
	rs[1]->verdict = RESULT_SKIPPED;
	assert_int_equal(result_missing(rs[1], "this kernel has no netem <qdisc>"), 0);
	rs[2]->verdict = RESULT_ERROR;
	char *html = render(REPORT_HTML, rs, 3, NULL);
	assert_non_null(strstr(html, "1 passed, 0 failed, 1 errors, 1 skipped &middot;"));
	assert_non_null(strstr(html, "<span class=\"verdict skipped\">skipped</span></td><td class=\"ms\">12</td>"
				     "<td>this machine lacks: this kernel has no netem &lt;qdisc&gt;</td>"));
	assert_non_null(strstr(html, "data-verdict=\"skipped\""));
	assert_non_null(strstr(html, ".skipped{"));
	free(html);
	setenv("GITHUB_STEP_SUMMARY", path, 1);
	assert_int_equal(report_step_summary(rs, 3, NULL), 0);
	unsetenv("GITHUB_STEP_SUMMARY");
	ssize_t n = read(fd, buf, sizeof buf - 1);
	close(fd);
	unlink(path);
	assert_true(n > 0);
	buf[n] = 0;
	assert_non_null(strstr(buf, "### tcpfault: 1 passed, 0 failed, 1 errors, 1 skipped\n"));
	assert_non_null(strstr(buf, "| two | B2 | inet | ⏭️ skipped | 12 | this machine lacks: this kernel has no netem &lt;qdisc&gt; |\n"));
	/* The failures section has the error's, not the skipped run's. */
	assert_non_null(strstr(buf, "<summary>three (inet)</summary>"));
	assert_null(strstr(buf, "<summary>two (inet)</summary>"));
	for (int i = 0; i < 3; i++)
		result_free(rs[i]);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_html_escapes),
		cmocka_unit_test(test_html_elements),
		cmocka_unit_test(test_html_hosts_order),
		cmocka_unit_test(test_call_args),
		cmocka_unit_test(test_html_pcap_link),
		cmocka_unit_test(test_html_long_labels),
		cmocka_unit_test(test_counter_deltas),
		cmocka_unit_test(test_mermaid),
		cmocka_unit_test(test_traced),
		cmocka_unit_test(test_step_summary),
		cmocka_unit_test(test_skipped),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
