/* SPDX-License-Identifier: MIT */
/*
 * Unit tests of TCP segment decoding on hand-made frames: flags in tcpdump letters, seq, ack,
 * payload length over IPv4 and IPv6, and refusal of truncated or non-TCP frames; and what a
 * capture's losses mean for a run's verdict.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <arpa/inet.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <cmocka.h>

#include "lang.h"
#include "report.h"
#include "run.h"

/* Builds Ethernet + IPv4 (or IPv6) + 20-byte TCP header + payload bytes. Returns the length. */
static size_t frame(uint8_t *f, int family, uint8_t flags, uint32_t seq, uint32_t ack, uint16_t payload)
{
	size_t ip = 14, l4;

	memset(f, 0, 14 + 40 + 20 + payload);
	f[12] = family == AF_INET ? 0x08 : 0x86;
	f[13] = family == AF_INET ? 0x00 : 0xdd;
	if (family == AF_INET) {
		uint16_t total = htons((uint16_t)(20 + 20 + payload));
		f[ip] = 0x45;
		memcpy(f + ip + 2, &total, 2);
		f[ip + 9] = 6;
		l4 = ip + 20;
	} else {
		uint16_t plen = htons((uint16_t)(20 + payload));
		f[ip] = 0x60;
		memcpy(f + ip + 4, &plen, 2);
		f[ip + 6] = 6;
		l4 = ip + 40;
	}
	uint16_t sport = htons(40000), dport = htons(5000);
	uint32_t s = htonl(seq), a = htonl(ack);
	memcpy(f + l4, &sport, 2);
	memcpy(f + l4 + 2, &dport, 2);
	memcpy(f + l4 + 4, &s, 4);
	memcpy(f + l4 + 8, &a, 4);
	f[l4 + 12] = 5 << 4;
	f[l4 + 13] = flags;
	return l4 + 20 + payload;
}

static void test_flags_letters(void **state)
{
	static const struct {
		uint8_t f;
		const char *s;
	} cases[] = {
		{ TH_SYN, "S" }, { TH_SYN | TH_ACK, "S." }, { TH_ACK, "." }, { TH_PUSH | TH_ACK, "P." },
		{ TH_FIN | TH_ACK, "F." }, { TH_FIN | TH_PUSH | TH_ACK, "FP." }, { TH_RST, "R" },
		{ TH_RST | TH_ACK, "R." }, { 0, "n" },
	};
	char out[12];

	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		capture_flags(cases[i].f, out);
		assert_string_equal(out, cases[i].s);
	}
}

static void test_decode_ipv4_and_ipv6(void **state)
{
	uint8_t f[256];
	struct packet p;
	int families[] = { AF_INET, AF_INET6 };

	for (int i = 0; i < 2; i++) {
		size_t n = frame(f, families[i], TH_PUSH | TH_ACK, 1000, 2000, 100);
		assert_int_equal(capture_decode(f, n, &p), 0);
		assert_int_equal(p.family, families[i]);
		assert_string_equal(p.flags, "P.");
		assert_int_equal(p.seq, 1000);
		assert_int_equal(p.ack, 2000);
		assert_int_equal(p.len, 100);
		assert_int_equal(p.sport, 40000);
		assert_int_equal(p.dport, 5000);
	}
	/* A RST without ACK carries no meaningful ack number. */
	size_t n = frame(f, AF_INET, TH_RST, 7, 99, 0);
	assert_int_equal(capture_decode(f, n, &p), 0);
	assert_string_equal(p.flags, "R");
	assert_int_equal(p.ack, 0);
}

static void test_decode_refuses_garbage(void **state)
{
	uint8_t f[256];
	struct packet p;
	size_t n = frame(f, AF_INET, TH_SYN, 1, 0, 0);

	for (size_t cut = 0; cut < n; cut++)
		assert_int_equal(capture_decode(f, cut, &p), -EINVAL);
	f[14 + 9] = 17; /* UDP */
	assert_int_equal(capture_decode(f, n, &p), -EINVAL);
	n = frame(f, AF_INET, TH_SYN, 1, 0, 0);
	f[12] = 0x08;
	f[13] = 0x06; /* ARP */
	assert_int_equal(capture_decode(f, n, &p), -EINVAL);
	n = frame(f, AF_INET, TH_SYN, 1, 0, 0);
	f[14 + 20 + 12] = 2 << 4; /* TCP header shorter than 20 bytes */
	assert_int_equal(capture_decode(f, n, &p), -EINVAL);
}

/* An ICMP(v6) error quoting the first 40 (60) bytes of a TCP segment, as a router sends it. */
static size_t icmp_frame(uint8_t *f, int family, uint8_t type, uint8_t code)
{
	uint8_t q[256];
	size_t qn = frame(q, family, TH_PUSH | TH_ACK, 1000, 2000, 100) - 100;  /* headers only */
	size_t hl = family == AF_INET ? 20 : 40, quote = qn - 14;

	memset(f, 0, 256);
	memcpy(f, q, 14);                      /* the same Ethernet type */
	if (family == AF_INET) {
		uint16_t total = htons((uint16_t)(hl + 8 + quote));
		f[14] = 0x45;
		memcpy(f + 16, &total, 2);
		f[14 + 9] = 1;
	} else {
		uint16_t plen = htons((uint16_t)(8 + quote));
		f[14] = 0x60;
		memcpy(f + 18, &plen, 2);
		f[14 + 6] = 58;
	}
	f[14 + hl] = type;
	f[14 + hl + 1] = code;
	memcpy(f + 14 + hl + 8, q + 14, quote);
	return 14 + hl + 8 + quote;
}

static void test_decode_icmp_errors(void **state)
{
	static const struct {
		int family;
		uint8_t type, code;
		const char *name;
	} cases[] = {
		{ AF_INET, 3, 1, "host-unreachable" }, { AF_INET, 3, 0, "net-unreachable" },
		{ AF_INET, 3, 13, "admin-prohibited" }, { AF_INET, 11, 0, "ttl-exceeded" },
		{ AF_INET, 3, 7, "icmp-3-7" }, { AF_INET6, 1, 3, "host-unreachable" },
		{ AF_INET6, 1, 0, "net-unreachable" }, { AF_INET6, 1, 4, "port-unreachable" },
		{ AF_INET6, 2, 0, "frag-needed" }, { AF_INET6, 1, 6, "icmp6-1-6" },
	};
	uint8_t f[256];
	struct packet p;

	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		size_t n = icmp_frame(f, cases[i].family, cases[i].type, cases[i].code);
		assert_int_equal(capture_decode(f, n, &p), 0);
		assert_true(p.icmp);
		assert_int_equal(p.family, cases[i].family);
		assert_string_equal(p.flags, cases[i].name);
		assert_int_equal(p.sport, 40000);
		assert_int_equal(p.dport, 5000);
		assert_int_equal(p.seq, 1000);
		assert_int_equal(p.ack, 0);
		assert_int_equal(p.len, 100);    /* from the quoted IP header's length */
		/* Only the 8 bytes RFC 792 promises: decoded, length unknown; one less: not. */
		assert_int_equal(capture_decode(f, n - 12, &p), 0);
		assert_int_equal(p.seq, 1000);
		assert_int_equal(p.len, 0);
		assert_int_equal(capture_decode(f, n - 13, &p), -EINVAL);
	}
	/* An echo request, and an error quoting UDP: not ours. */
	size_t n = icmp_frame(f, AF_INET, 8, 0);
	assert_int_equal(capture_decode(f, n, &p), -EINVAL);
	n = icmp_frame(f, AF_INET6, 128, 0);
	assert_int_equal(capture_decode(f, n, &p), -EINVAL);
	n = icmp_frame(f, AF_INET, 3, 1);
	f[14 + 20 + 8 + 9] = 17;
	assert_int_equal(capture_decode(f, n, &p), -EINVAL);
	/* A TCP segment still decodes as one. */
	n = frame(f, AF_INET, TH_SYN, 1, 0, 0);
	assert_int_equal(capture_decode(f, n, &p), 0);
	assert_false(p.icmp);
}

/* A capture that lost packets (dropped by the kernel, or not kept for want of memory) makes a
 * run that looked at packets an error naming the count; one that did not keeps its verdict
 * with a note; a complete capture says nothing. */
static void test_capture_loss(void **state)
{
	char msg[256] = "untouched";

	assert_int_equal(capture_judge_loss(500, 0, 0, true, msg, sizeof msg), CAPTURE_COMPLETE);
	assert_string_equal(msg, "untouched");
	assert_int_equal(capture_judge_loss(3000, 1942, 0, true, msg, sizeof msg), CAPTURE_LOSS_ERROR);
	assert_string_equal(msg, "capture incomplete: the kernel dropped 1942 of 3000 packets; the packet checks cannot be trusted");
	assert_int_equal(capture_judge_loss(3000, 1942, 0, false, msg, sizeof msg), CAPTURE_LOSS_NOTE);
	assert_string_equal(msg, "capture: the kernel dropped 1942 of 3000 packets");
	assert_int_equal(capture_judge_loss(40, 0, 1, true, msg, sizeof msg), CAPTURE_LOSS_ERROR);
	assert_string_equal(msg, "capture incomplete: 1 packets could not be kept (out of memory); the packet checks cannot be trusted");
	assert_int_equal(capture_judge_loss(40, 2, 3, true, msg, sizeof msg), CAPTURE_LOSS_ERROR);
	assert_string_equal(msg, "capture incomplete: the kernel dropped 2 of 40 packets; 3 packets could not be kept "
			    "(out of memory); the packet checks cannot be trusted");
	/* A short buffer is cut, never overrun. */
	char small[16];
	assert_int_equal(capture_judge_loss(40, 2, 3, true, small, sizeof small), CAPTURE_LOSS_ERROR);
	assert_string_equal(small, "capture incompl");
}

/* The ring grows with the scenario's floods (three packets a SYN), within a bound. */
static void test_ring_for_floods(void **state)
{
	static const char head[] = "mode A8\nsummary s\nserver listen 5000\n";
	char text[512], err[256];
	struct scenario *s;

	assert_int_equal(scenario_parse("t.tcpf", head, &s, err, sizeof err), 0);
	assert_int_equal(capture_ring_for(s), CAPTURE_RING);
	scenario_free(s);
	snprintf(text, sizeof text, "%sclient synflood server 5000 1000 20000\nclient synflood server 5000 10 30000\n", head);
	assert_int_equal(scenario_parse("t.tcpf", text, &s, err, sizeof err), 0);
	assert_int_equal(capture_ring_for(s), CAPTURE_RING + 1010 * 3 * 256);
	scenario_free(s);
	snprintf(text, sizeof text, "%s%s", head, "client synflood server 5000 65535 1\nclient synflood server 5000 65535 1\n"
		 "client synflood server 5000 65535 1\nclient synflood server 5000 65535 1\n"
		 "client synflood server 5000 65535 1\nclient synflood server 5000 65535 1\n");
	assert_int_equal(scenario_parse("t.tcpf", text, &s, err, sizeof err), 0);
	assert_int_equal(capture_ring_for(s), 256u << 20);
	scenario_free(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_flags_letters),
		cmocka_unit_test(test_decode_ipv4_and_ipv6),
		cmocka_unit_test(test_decode_refuses_garbage),
		cmocka_unit_test(test_decode_icmp_errors),
		cmocka_unit_test(test_capture_loss),
		cmocka_unit_test(test_ring_for_floods),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
