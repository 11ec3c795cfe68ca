/* SPDX-License-Identifier: MIT */
/*
 * Matching (harness/run/match.c): each pure judgement of observed against expected.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <cmocka.h>

#include "run.h"

static void test_expect_matches(void **state)
{
	struct expect_ret none = { 0 };
	struct expect_ret zero = { .set = true, .n = 1, .alt = { { .ret = 0 } } };
	struct expect_ret reset = { .set = true, .n = 1, .alt = { { .ret = -1, .err = ECONNRESET } } };
	struct expect_ret either = { .set = true, .n = 2, .alt = { { .ret = 0 }, { .ret = -1, .err = ECONNRESET } } };
	struct expect_ret room = { .set = true, .n = 2, .alt = { { .ret = 1, .some = true }, { .ret = -1, .err = EAGAIN } } };
	char text[64];

	assert_true(expect_matches(&none, 0, 0));
	assert_true(expect_matches(&none, 100, 0));
	assert_false(expect_matches(&none, -1, EPIPE));
	assert_true(expect_matches(&zero, 0, 0));
	assert_false(expect_matches(&zero, 5, 0));
	assert_true(expect_matches(&reset, -1, ECONNRESET));
	assert_false(expect_matches(&reset, -1, EPIPE));
	assert_false(expect_matches(&reset, 0, 0));
	/* Alternatives: either meets it, and which one is told. */
	assert_int_equal(expect_which(&either, 0, 0), 0);
	assert_int_equal(expect_which(&either, -1, ECONNRESET), 1);
	assert_int_equal(expect_which(&either, -1, EPIPE), -1);
	assert_int_equal(expect_which(&either, 5, 0), -1);
	assert_int_equal(expect_which(&none, 5, 0), 0);
	assert_int_equal(expect_which(&none, -1, EPIPE), -1);
	expect_describe(&either, text, sizeof text);
	assert_string_equal(text, "0 | -1 ECONNRESET");
	expect_describe(&none, text, sizeof text);
	assert_string_equal(text, "success");
	/* '>0': any count above 0 (a write that took some bytes), not 0. */
	assert_int_equal(expect_which(&room, 5712, 0), 0);
	assert_int_equal(expect_which(&room, 1, 0), 0);
	assert_int_equal(expect_which(&room, -1, EAGAIN), 1);
	assert_int_equal(expect_which(&room, 0, 0), -1);
	assert_int_equal(expect_which(&room, -1, EPIPE), -1);
	expect_describe(&room, text, sizeof text);
	assert_string_equal(text, ">0 | -1 EAGAIN");

	assert_true(counter_matches(">=", 3, 1));
	assert_false(counter_matches(">=", 0, 1));
	assert_true(counter_matches("=", 2, 2));
	assert_false(counter_matches("<", 2, 2));
	assert_true(counter_matches("<=", 2, 2));
	assert_false(counter_matches("?", 2, 2));
}

static void test_packet_matches(void **state)
{
	struct step st = { .kind = STEP_PACKET, .packet = { .from = 1, .to = 0, .flags = "R" } };
	struct packet p = { .from = 1, .to = 0, .flags = "R", .sport = 5000, .dport = 40000 };

	assert_true(packet_matches(&p, &st));
	p.from = 0, p.to = 1;
	assert_false(packet_matches(&p, &st));            /* the other way */
	p.from = 1, p.to = 0;
	snprintf(p.flags, sizeof p.flags, "R.");
	assert_false(packet_matches(&p, &st));            /* flags match whole, not as a prefix */
	snprintf(p.flags, sizeof p.flags, "R");
	st.packet.port = 5000;
	assert_true(packet_matches(&p, &st));             /* either end's port */
	st.packet.port = 40000;
	assert_true(packet_matches(&p, &st));
	st.packet.port = 6000;
	assert_false(packet_matches(&p, &st));
	st.packet.port = 0;
	p.icmp = true;                                      /* an ICMP error named R is no RST */
	assert_false(packet_matches(&p, &st));
}

/* The qualifiers after the flags: payload length (exact or some), relative seq and ack. */
static void test_packet_qualifiers(void **state)
{
	struct step st = { .kind = STEP_PACKET, .packet = { .from = 0, .to = 1, .flags = "." } };
	struct packet ack = { .from = 0, .to = 1, .flags = ".", .seq = 101, .ack = 1, .len = 0 };
	struct packet probe = { .from = 0, .to = 1, .flags = ".", .seq = 100, .ack = 1, .len = 0 };
	struct packet data = { .from = 0, .to = 1, .flags = ".", .seq = 1, .ack = 1, .len = 1448 };

	assert_true(packet_matches(&ack, &st) && packet_matches(&probe, &st) && packet_matches(&data, &st));
	st.packet.has_len = true, st.packet.len = 0;
	assert_true(packet_matches(&ack, &st));
	assert_false(packet_matches(&data, &st));
	st.packet.has_len = false, st.packet.len_some = true;
	assert_false(packet_matches(&ack, &st));
	assert_true(packet_matches(&data, &st));
	st.packet.len_some = false;
	st.packet.has_seq = true, st.packet.seq = 100;      /* a keepalive probe: seq one below */
	assert_true(packet_matches(&probe, &st));
	assert_false(packet_matches(&ack, &st));
	st.packet.has_ack = true, st.packet.ack = 2;
	assert_false(packet_matches(&probe, &st));
	st.packet.ack = 1;
	assert_true(packet_matches(&probe, &st));
	st.packet.has_seq = false, st.packet.seq = 0;       /* has_* says given: seq 0 is a value */
	st.packet.has_seq = true;
	assert_false(packet_matches(&probe, &st));
}

static void test_floor_union(void **state)
{
	struct floor none[1];
	struct floor apart[] = { { 100, 300 }, { 0, 50 } };
	struct floor overlap[] = { { 0, 100 }, { 50, 150 }, { 60, 70 } };
	struct floor touching[] = { { 0, 100 }, { 100, 200 } };

	assert_true(floor_union(none, 0) == 0);
	assert_true(floor_union(apart, 2) == 250);
	assert_true(floor_union(overlap, 3) == 150);
	assert_true(floor_union(touching, 2) == 200);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_expect_matches),
		cmocka_unit_test(test_packet_matches),
		cmocka_unit_test(test_packet_qualifiers),
		cmocka_unit_test(test_floor_union),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
