/* SPDX-License-Identifier: MIT */
/*
 * The scripted world of the runner's unit tests (fake_world.c): what happens, and when, after
 * each thing the runner does.
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "lang.h"
#include "report.h"
#include "run.h"
#include "netns.h"
#include "peer.h"

enum fake_kind {
	FAKE_END = 0,
	FAKE_REPORT,      /* the command's result: a syscall report (ret, err), then its end */
	FAKE_DONE,        /* (internal) the end of a command whose report was taken */
	FAKE_PACKET,      /* a packet on the wire: from, to, flags, sport, dport, value = len, seq, ack */
	FAKE_DEATH,       /* host's peer dies of sig */
	FAKE_STATE,       /* a socket of host (sport, dport) is in state now (0: gone) */
	FAKE_COUNTER,     /* host's counter name has value now */
};

struct fake_ev {
	enum fake_kind kind;
	int delay_ms;                     /* after the trigger */
	int host;                         /* death, state, counter (a report: the trigger's host) */
	long long ret;
	int err;
	bool hang, refuse;                /* report: never comes; an 'E' (refused command) */
	bool untimed;                     /* packet: no send time (its sender's tap had no copy) */
	int from, to;
	const char *flags;
	uint16_t sport, dport;
	int state, sig;
	const char *name;
	long long value;
	uint32_t seq, ack;
};

/* When host does what ("connect", "write", ..., "probe", "crash"; "kill" for a signal;
 * "blackhole", "unblackhole", "hold", "release", "nft", "sysctl", "reboot", "quickack",
 * "unreachable", "sockets" for a listing; "spawn" for the peer's start; "start" (host 0) when
 * the capture opens), these events follow; a fault or listing with fail set fails with -fail.
 * The first trigger that matches is used; one with once is spent after it fired. */
struct fake_trigger {
	int host;
	const char *what;
	const char *call;                 /* the call its reports name (default: what) */
	bool once;
	int fail;
	struct fake_ev evs[8];
};

/* Starts a new world with script (an array ending with what == NULL). */
void fake_world_reset(const struct fake_trigger *script);
/* The capture's kernel drops in the next world, as pcap_stats would count them. */
void fake_world_drops(unsigned n);
