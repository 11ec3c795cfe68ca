/* SPDX-License-Identifier: MIT */
/*
 * Unit tests of the typed result and its JSON contract (harness/report/result.c): a result with every
 * field set survives result_to_json then result_from_json field by field; real results
 * recorded from the catalog before the result was typed (tests/data/sigkill.json,
 * tests/data/catalog-results.json: peers and programs, states, counters, ICMP) come out of
 * result_from_json then result_to_json byte for byte; malformed results are refused with
 * -EINVAL. No privilege. The data directory is the first argument.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "lang.h"
#include "report.h"
#include "run.h"

static const char *data_dir = "tests/data";

static void assert_syscall_equal(const struct result_syscall *a, const struct result_syscall *b)
{
	assert_string_equal(a->peer, b->peer);
	assert_string_equal(a->socket, b->socket);
	assert_string_equal(a->call, b->call);
	assert_string_equal(a->args, b->args);
	assert_true(a->ret == b->ret);
	assert_int_equal(a->err, b->err);
	assert_true(a->t_ms == b->t_ms);
	assert_int_equal(a->pid, b->pid);
}

static void assert_packet_equal(const struct result_packet *a, const struct result_packet *b)
{
	assert_true(a->t_ms == b->t_ms);
	assert_string_equal(a->from, b->from);
	assert_string_equal(a->to, b->to);
	assert_int_equal(a->sport, b->sport);
	assert_int_equal(a->dport, b->dport);
	assert_int_equal(a->icmp, b->icmp);
	assert_string_equal(a->flags, b->flags);
	assert_true(a->seq == b->seq && a->ack == b->ack && a->len == b->len);
	assert_string_equal(a->reason, b->reason);
	assert_string_equal(a->retransmit, b->retransmit);
}

static void assert_program_equal(const struct result_program *a, const struct result_program *b)
{
	assert_string_equal(a->name, b->name);
	assert_int_equal(a->nargv, b->nargv);
	for (size_t i = 0; i < a->nargv; i++)
		assert_string_equal(a->argv[i], b->argv[i]);
	assert_int_equal(a->pid, b->pid);
	assert_int_equal(a->syscalls_observed, b->syscalls_observed);
	assert_string_equal(a->observer, b->observer);
	assert_string_equal(a->unobserved_reason, b->unobserved_reason);
	for (int k = 0; k < 2; k++) {
		assert_string_equal(a->out[k], b->out[k]);
		assert_true(a->lost[k] == b->lost[k]);
	}
	assert_true(a->syscalls_dropped == b->syscalls_dropped);
}

/* Every field of a and b, one by one. */
static void assert_result_equal(const struct result *a, const struct result *b)
{
	assert_string_equal(a->name, b->name);
	assert_string_equal(a->mode, b->mode);
	assert_string_equal(a->family, b->family);
	assert_string_equal(a->file, b->file);
	assert_string_equal(a->summary, b->summary);
	assert_string_equal(a->claim, b->claim);
	assert_string_equal(a->linux_says, b->linux_says);
	assert_string_equal(a->timers, b->timers);
	assert_string_equal(a->missing, b->missing);
	assert_int_equal(a->verdict, b->verdict);
	assert_true(a->duration_ms == b->duration_ms);
	assert_true(a->floor_ms == b->floor_ms);
	assert_int_equal(a->run, b->run);
	assert_int_equal(a->partial, b->partial);
	assert_int_equal(a->hosts.n, b->hosts.n);
	for (size_t i = 0; i < a->hosts.n; i++) {
		assert_string_equal(a->hosts.v[i].name, b->hosts.v[i].name);
		assert_string_equal(a->hosts.v[i].inet, b->hosts.v[i].inet);
		assert_string_equal(a->hosts.v[i].inet6, b->hosts.v[i].inet6);
	}
	assert_int_equal(a->syscalls.n, b->syscalls.n);
	for (size_t i = 0; i < a->syscalls.n; i++)
		assert_syscall_equal(&a->syscalls.v[i], &b->syscalls.v[i]);
	assert_int_equal(a->packets.n, b->packets.n);
	for (size_t i = 0; i < a->packets.n; i++)
		assert_packet_equal(&a->packets.v[i], &b->packets.v[i]);
	assert_int_equal(a->states.n, b->states.n);
	for (size_t i = 0; i < a->states.n; i++) {
		const struct result_state *x = &a->states.v[i], *y = &b->states.v[i];
		assert_true(x->t_ms == y->t_ms);
		assert_string_equal(x->host, y->host);
		assert_string_equal(x->state, y->state);
		assert_int_equal(x->local_port, y->local_port);
		assert_int_equal(x->remote_port, y->remote_port);
		assert_true(x->recv_q == y->recv_q && x->send_q == y->send_q);
	}
	assert_int_equal(a->counters.n, b->counters.n);
	for (size_t i = 0; i < a->counters.n; i++) {
		assert_string_equal(a->counters.v[i].host, b->counters.v[i].host);
		assert_string_equal(a->counters.v[i].name, b->counters.v[i].name);
		assert_true(a->counters.v[i].value == b->counters.v[i].value);
	}
	assert_int_equal(a->events.n, b->events.n);
	for (size_t i = 0; i < a->events.n; i++) {
		assert_true(a->events.v[i].t_ms == b->events.v[i].t_ms);
		assert_string_equal(a->events.v[i].host, b->events.v[i].host);
		assert_string_equal(a->events.v[i].event, b->events.v[i].event);
	}
	assert_int_equal(a->exits.n, b->exits.n);
	for (size_t i = 0; i < a->exits.n; i++) {
		assert_string_equal(a->exits.v[i].peer, b->exits.v[i].peer);
		assert_true(a->exits.v[i].t_ms == b->exits.v[i].t_ms);
		assert_string_equal(a->exits.v[i].signal, b->exits.v[i].signal);
		assert_int_equal(a->exits.v[i].status, b->exits.v[i].status);
		assert_true(a->exits.v[i].at_kill == b->exits.v[i].at_kill);
	}
	assert_int_equal(a->failures.n, b->failures.n);
	for (size_t i = 0; i < a->failures.n; i++)
		assert_string_equal(a->failures.v[i], b->failures.v[i]);
	assert_int_equal(a->notes.n, b->notes.n);
	for (size_t i = 0; i < a->notes.n; i++)
		assert_string_equal(a->notes.v[i], b->notes.v[i]);
	assert_int_equal(a->traced, b->traced);
	assert_int_equal(a->transitions.n, b->transitions.n);
	for (size_t i = 0; i < a->transitions.n; i++) {
		const struct result_transition *x = &a->transitions.v[i], *y = &b->transitions.v[i];
		assert_true(x->t_ms == y->t_ms);
		assert_string_equal(x->host, y->host);
		assert_true(x->sport == y->sport && x->dport == y->dport);
		assert_string_equal(x->from, y->from);
		assert_string_equal(x->to, y->to);
	}
	assert_int_equal(a->retransmits.n, b->retransmits.n);
	for (size_t i = 0; i < a->retransmits.n; i++) {
		const struct result_retransmit *x = &a->retransmits.v[i], *y = &b->retransmits.v[i];
		assert_true(x->t_ms == y->t_ms && x->sport == y->sport && x->dport == y->dport);
		assert_string_equal(x->host, y->host);
		assert_string_equal(x->state, y->state);
		assert_string_equal(x->ca_state, y->ca_state);
		assert_string_equal(x->kind, y->kind);
	}
	assert_int_equal(a->drops.n, b->drops.n);
	for (size_t i = 0; i < a->drops.n; i++) {
		assert_true(a->drops.v[i].t_ms == b->drops.v[i].t_ms);
		assert_string_equal(a->drops.v[i].host, b->drops.v[i].host);
		assert_string_equal(a->drops.v[i].reason, b->drops.v[i].reason);
	}
	assert_int_equal(a->programs.n, b->programs.n);
	for (size_t i = 0; i < a->programs.n; i++)
		assert_program_equal(&a->programs.v[i], &b->programs.v[i]);
}

/* A result with every field and every kind of element set, as the runner would fill it. */
static struct result *full_result(void)
{
	struct result *r;
	char *argv[] = { "curl", "-s", "http://{server}:{port}/", NULL };

	assert_int_equal(result_new("sigkill", "B2", "inet6", "scenarios/sigkill.tcpf", "a summary", &r), 0);
	assert_int_equal(result_describe(r, "the claim", "what Linux does", "RTO 200 ms"), 0);
	assert_int_equal(result_add_host(r, "client", "198.18.0.1", "2001:2::1"), 0);
	assert_int_equal(result_add_host(r, "server", "198.18.0.2", NULL), 0);   /* no inet6: none in the JSON */
	assert_int_equal(result_add_syscall(r, "client", "main", "connect", 0, 0, 1.2345678, 0), 0);
	assert_int_equal(result_add_syscall(r, "client", "main", "write", -1, EPIPE, 9.5, 0), 0);
	assert_int_equal(result_add_syscall(r, "client", "main", "setsockopt", 0, 0, 9.75, 0), 0);
	assert_int_equal(result_syscall_args(r, "linger 1 0"), 0);
	assert_int_equal(result_add_syscall(r, "client.curl", "fd5", "connect", -1, ECONNREFUSED, 10.25, 4242), 0);
	assert_int_equal(result_add_packet(r, 0.5, "client", "server", 40000, 5000, false, "S", 0, 0, 0), 0);
	assert_int_equal(result_add_packet(r, 7.001, "server", "client", 5000, 40000, false, "P.", 1, 1, 4294967295LL), 0);
	assert_int_equal(result_add_packet(r, 8.0, "router", "client", 40000, 5000, true, "host-unreachable", 1, 0, 0), 0);
	assert_int_equal(result_add_packet(r, 8.5, "server", "client", 5000, 40000, false, "R.", 1, 1, 0), 0);
	assert_int_equal(result_packet_reason(r, 3, "NO_SOCKET"), 0);
	assert_int_equal(result_add_transition(r, 0.4, "client", 0, 5000, "CLOSE", "SYN-SENT"), 0);
	assert_int_equal(result_add_transition(r, 8.6, "server", 5000, 40000, "CLOSING", "TIME-WAIT"), 0);
	assert_int_equal(result_add_retransmit(r, 6.0, "server", 5000, 40000, "ESTABLISHED", "loss", RESULT_RTX_RTO), 0);
	assert_int_equal(result_packet_retransmit(r, 1, RESULT_RTX_RTO), 0);
	assert_int_equal(result_add_retransmit(r, 6.5, "server", 5000, 40000, "ESTABLISHED", "", NULL), 0);
	assert_int_equal(result_add_drop(r, 8.7, "server", "TCP_LISTEN_OVERFLOW"), 0);
	assert_int_equal(result_add_state(r, 3.0, "server", "CLOSE-WAIT", 5000, 40000, 12, 0), 0);
	assert_int_equal(result_add_counter(r, "server", "TcpExt.ListenOverflows", 2), 0);
	assert_int_equal(result_add_event(r, 4.0, "server", "kill SIGKILL"), 0);
	assert_int_equal(result_add_exit(r, "server", 4.5, "SIGKILL", 0, true), 0);
	assert_int_equal(result_add_exit(r, "client.curl", 11.0, NULL, 52, false), 0);
	assert_int_equal(result_failure(r, "x.tcpf:23: client write\n  expected: -1 ECONNREFUSED\n  observed: -1 EPIPE"), 0);
	assert_int_equal(result_note(r, "a note"), 0);
	assert_int_equal(result_missing(r, "socat: No such file or directory"), 0);
	assert_int_equal(result_add_program(r, "client.curl", argv, 4242, true, "shim", NULL, "out\n", 0, "err", 17, 3), 0);
	assert_int_equal(result_add_program(r, "server.socat", argv, 4243, false, "shim",
						       "server.socat: process 4244 runs /bin/static, statically linked", "", 70000, "", 0, 0), 0);
	result_finish(r, RESULT_FAIL, 123.4567891, 200.0);
	r->run = 2;
	return r;
}

static struct result *round_trip(const struct result *r)
{
	json_object *j;
	struct result *back;

	assert_int_equal(result_to_json(r, &j), 0);
	assert_int_equal(result_from_json(j, &back), 0);
	json_object_put(j);
	return back;
}

static void test_round_trip_full(void **state)
{
	struct result *r = full_result(), *back = round_trip(r);

	assert_result_equal(r, back);
	assert_string_equal(back->syscalls.v[2].args, "linger 1 0");
	assert_string_equal(back->syscalls.v[1].args, "");   /* none: no "args" in the JSON */
	/* The add functions keep times to the microsecond, as the JSON always had them. */
	assert_true(r->syscalls.v[0].t_ms == 1.234);
	assert_true(r->duration_ms == 123.456);
	result_free(back);
	result_free(r);
}

/* What main.c makes for a worker that gave no result: only the fields it knows. */
static void test_round_trip_partial(void **state)
{
	struct result *r, *back;
	json_object *j;

	assert_int_equal(result_new("died", "C1", "inet", NULL, "a summary", &r), 0);
	r->partial = true;
	assert_int_equal(result_failure(r, "x.tcpf: the worker died of SIGSEGV"), 0);
	result_finish(r, RESULT_ERROR, 0, 0);
	assert_int_equal(result_to_json(r, &j), 0);
	assert_string_equal(json_object_to_json_string_ext(j, JSON_C_TO_STRING_PLAIN),
			    "{\"name\":\"died\",\"mode\":\"C1\",\"family\":\"inet\",\"summary\":\"a summary\","
			    "\"verdict\":\"error\",\"duration_ms\":0.0,\"failures\":[\"x.tcpf: the worker died of SIGSEGV\"]}");
	json_object_put(j);
	back = round_trip(r);
	assert_result_equal(r, back);
	result_free(back);
	/* Its hosts, where the controller knows them, come after the summary. */
	assert_int_equal(result_add_host(r, "client", "198.18.1.2", "2001:2:0:1::2"), 0);
	assert_int_equal(result_to_json(r, &j), 0);
	assert_non_null(strstr(json_object_to_json_string_ext(j, JSON_C_TO_STRING_PLAIN),
			       "\"summary\":\"a summary\",\"hosts\":[{\"name\":\"client\",\"inet\":\"198.18.1.2\","
			       "\"inet6\":\"2001:2:0:1::2\"}],\"verdict\""));
	json_object_put(j);
	back = round_trip(r);
	assert_result_equal(r, back);
	result_free(back);
	result_free(r);
}

/* The optional fields: errno null, claim/linux/timers/missing/programs/run only when set. */
static void test_optional_fields(void **state)
{
	struct result *r;
	json_object *j;

	assert_int_equal(result_new("n", "A1", "inet", "f.tcpf", "s", &r), 0);
	assert_int_equal(result_add_syscall(r, "client", "main", "read", 0, 0, 1.0, 0), 0);
	result_finish(r, RESULT_PASS, 5.0, 0);
	assert_int_equal(result_to_json(r, &j), 0);
	assert_string_equal(json_object_to_json_string_ext(j, JSON_C_TO_STRING_PLAIN),
			    "{\"name\":\"n\",\"mode\":\"A1\",\"family\":\"inet\",\"file\":\"f.tcpf\",\"summary\":\"s\","
			    "\"syscalls\":[{\"peer\":\"client\",\"socket\":\"main\",\"call\":\"read\",\"ret\":0,"
			    "\"errno\":null,\"t_ms\":1.0}],\"packets\":[],\"states\":[],\"counters\":[],\"events\":[],"
			    "\"exits\":[],\"failures\":[],\"notes\":[],\"verdict\":\"pass\",\"duration_ms\":5.0,"
			    "\"floor_ms\":0.0}");
	json_object_put(j);
	result_free(r);
}

/* A run this machine lacks a feature for: "verdict": "skipped" beside "missing", both ways; each
 * verdict's name reads back as itself. */
static void test_skipped(void **state)
{
	struct result *r, *back;
	json_object *j;

	assert_int_equal(result_new("n", "A1", "inet", "f.tcpf", "s", &r), 0);
	assert_int_equal(result_failure(r, "f.tcpf:7: blackhole server netem: this kernel has no netem qdisc"), 0);
	assert_int_equal(result_missing(r, "this kernel has no netem qdisc"), 0);
	result_finish(r, RESULT_SKIPPED, 5.0, 0);
	assert_int_equal(result_to_json(r, &j), 0);
	assert_string_equal(json_object_to_json_string_ext(j, JSON_C_TO_STRING_PLAIN),
			    "{\"name\":\"n\",\"mode\":\"A1\",\"family\":\"inet\",\"file\":\"f.tcpf\",\"summary\":\"s\","
			    "\"syscalls\":[],\"packets\":[],\"states\":[],\"counters\":[],\"events\":[],\"exits\":[],"
			    "\"failures\":[\"f.tcpf:7: blackhole server netem: this kernel has no netem qdisc\"],\"notes\":[],"
			    "\"missing\":\"this kernel has no netem qdisc\",\"verdict\":\"skipped\",\"duration_ms\":5.0,"
			    "\"floor_ms\":0.0}");
	json_object_put(j);
	back = round_trip(r);
	assert_int_equal(back->verdict, RESULT_SKIPPED);
	assert_result_equal(r, back);
	result_free(back);
	result_free(r);
	static const struct { const char *name; enum result_verdict v; } names[] = {
		{ "pass", RESULT_PASS }, { "fail", RESULT_FAIL }, { "error", RESULT_ERROR }, { "skipped", RESULT_SKIPPED },
	};
	for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
		char text[80];
		snprintf(text, sizeof text, "{\"name\":\"n\",\"verdict\":\"%s\"}", names[i].name);
		j = json_tokener_parse(text);
		assert_int_equal(result_from_json(j, &r), 0);
		assert_int_equal(r->verdict, names[i].v);
		assert_string_equal(result_verdict_name(r->verdict), names[i].name);
		result_free(r);
		json_object_put(j);
	}
}

static char *read_all(const char *name)
{
	char path[4096];
	snprintf(path, sizeof path, "%s/%s", data_dir, name);
	FILE *f = fopen(path, "r");
	char *buf = NULL;
	size_t len = 0;

	if (!f)
		fail_msg("cannot open %s", path);
	FILE *m = open_memstream(&buf, &len);
	assert_non_null(m);
	for (int c; (c = fgetc(f)) != EOF;)
		fputc(c, m);
	fclose(f);
	fclose(m);
	return buf;
}

/* Each recorded result: read, written again, byte for byte what was recorded. */
static void check_recorded(const char *name, size_t want)
{
	char *text = read_all(name);
	json_object *top = json_tokener_parse(text), *results = json_object_object_get(top, "results");

	assert_non_null(results);
	assert_int_equal(json_object_array_length(results), want);
	for (size_t i = 0; i < json_object_array_length(results); i++) {
		json_object *j = json_object_array_get_idx(results, i), *again;
		struct result *r;
		assert_int_equal(result_from_json(j, &r), 0);
		assert_false(r->partial);
		assert_int_equal(result_to_json(r, &again), 0);
		assert_string_equal(json_object_to_json_string_ext(again, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_NOSLASHESCAPE),
				    json_object_to_json_string_ext(j, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_NOSLASHESCAPE));
		/* And the struct survives its own JSON. */
		struct result *back = round_trip(r);
		assert_result_equal(r, back);
		result_free(back);
		json_object_put(again);
		result_free(r);
	}
	json_object_put(top);
	free(text);
}

static void test_recorded_sigkill(void **state)
{
	check_recorded("sigkill.json", 1);
}

static void test_recorded_catalog(void **state)
{
	check_recorded("catalog-results.json", 3);
}

static void test_malformed(void **state)
{
	static const char *const bad[] = {
		"[]", "1", "\"pass\"", "null",
		"{\"verdict\":\"pass\"}",                                   /* no name */
		"{\"name\":\"n\"}",                                         /* no verdict */
		"{\"name\":\"n\",\"verdict\":\"maybe\"}",
		"{\"name\":\"n\",\"verdict\":\"skip\"}",                  /* the text report's word, not the JSON's */
		"{\"name\":\"n\",\"verdict\":\"SKIPPED\"}",
		"{\"name\":1,\"verdict\":\"pass\"}",
		"{\"name\":\"n\\u0000x\",\"verdict\":\"pass\"}",
		"{\"name\":\"n\",\"verdict\":\"pass\",\"duration_ms\":\"5\"}",
		"{\"name\":\"n\",\"verdict\":\"pass\",\"syscalls\":{}}",
		"{\"name\":\"n\",\"verdict\":\"pass\",\"syscalls\":[1]}",
		"{\"name\":\"n\",\"verdict\":\"pass\",\"syscalls\":[{\"errno\":\"EFOO\"}]}",
		"{\"name\":\"n\",\"verdict\":\"pass\",\"syscalls\":[{\"errno\":32}]}",
		"{\"name\":\"n\",\"verdict\":\"pass\",\"syscalls\":[{\"ret\":1.5}]}",
		"{\"name\":\"n\",\"verdict\":\"pass\",\"packets\":[{\"kind\":\"udp\"}]}",
		"{\"name\":\"n\",\"verdict\":\"pass\",\"packets\":[{\"seq\":-1}]}",
		"{\"name\":\"n\",\"verdict\":\"pass\",\"packets\":[{\"sport\":4294967296}]}",
		"{\"name\":\"n\",\"verdict\":\"pass\",\"packets\":[{\"t_ms\":\"now\"}]}",
		"{\"name\":\"n\",\"verdict\":\"pass\",\"states\":[{\"host\":[]}]}",
		"{\"name\":\"n\",\"verdict\":\"pass\",\"exits\":[{\"status\":\"52\"}]}",
		"{\"name\":\"n\",\"verdict\":\"pass\",\"failures\":[1]}",
		"{\"name\":\"n\",\"verdict\":\"pass\",\"notes\":\"a note\"}",
		"{\"name\":\"n\",\"verdict\":\"pass\",\"programs\":[{\"argv\":[1]}]}",
		"{\"name\":\"n\",\"verdict\":\"pass\",\"programs\":[{\"argv\":\"curl\"}]}",
		"{\"name\":\"n\",\"verdict\":\"pass\",\"programs\":[{\"syscalls_observed\":1}]}",
		"{\"name\":\"n\",\"verdict\":\"pass\",\"run\":-1}",
		"{\"name\":\"n\",\"verdict\":\"pass\",\"hosts\":[\"client\"]}",
		"{\"name\":\"n\",\"verdict\":\"pass\",\"hosts\":[{\"inet\":3232235521}]}",
	};
	struct result *r = NULL;

	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		json_object *j = json_tokener_parse(bad[i]);
		int e = result_from_json(j, &r);
		if (e != -EINVAL)
			fail_msg("accepted (%d): %s", e, bad[i]);
		json_object_put(j);
	}
	assert_null(r);
	/* The smallest result it takes. */
	json_object *j = json_tokener_parse("{\"name\":\"n\",\"verdict\":\"error\"}");
	assert_int_equal(result_from_json(j, &r), 0);
	assert_int_equal(r->verdict, RESULT_ERROR);
	assert_true(r->partial);
	result_free(r);
	json_object_put(j);
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_round_trip_full),
		cmocka_unit_test(test_round_trip_partial),
		cmocka_unit_test(test_optional_fields),
		cmocka_unit_test(test_skipped),
		cmocka_unit_test(test_recorded_sigkill),
		cmocka_unit_test(test_recorded_catalog),
		cmocka_unit_test(test_malformed),
	};
	if (argc > 1)
		data_dir = argv[1];
	return cmocka_run_group_tests(tests, NULL, NULL);
}
