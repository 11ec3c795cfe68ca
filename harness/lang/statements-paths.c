/* SPDX-License-Identifier: MIT */
/*
 * The statements about the path between two hosts (catalog section E): partition and heal,
 * drop, inject, and stop/cont (SIGSTOP/SIGCONT of a host's peer or program). Their table
 * entries are in statements.c; the faults that run them in run/faults.c over netns/.
 */
#include <stdio.h>
#include <string.h>

#include "parser.h"

/* A drop's TCP flags in tcpdump letters: S F R P and '.', each at most once. */
static bool flags_valid(const char *f)
{
	if (!*f || strlen(f) > 5)
		return false;
	for (const char *c = f; *c; c++)
		if (!strchr("SFRP.", *c) || strchr(c + 1, *c))
			return false;
	return true;
}

/* partition A B [oneway], heal A B */
int parse_partition(struct parser *p, struct step *st)
{
	bool heal = st->kind == STEP_HEAL;
	int r;

	if (p->ntok != 3 && (heal || p->ntok != 4))
		return fail_tok(p, p->ntok < 3 ? p->ntok : 3, heal ? "expected 'heal HOST HOST'" :
				"expected 'partition HOST HOST [oneway]'");
	if (p->ntok == 4 && strcmp(p->tok[3].s, "oneway") != 0)
		return fail_tok(p, 3, "expected 'oneway' (only what the first host sends the second is lost) or nothing");
	st->path.oneway = p->ntok == 4;
	if ((r = host_tok(p, 1, &st->path.from)) < 0 || (r = host_tok(p, 2, &st->host)) < 0)
		return r;
	if (st->path.from == st->host)
		return fail_tok(p, 2, "expected two different hosts");
	return 0;
}

/* FROM > TO at token i */
static int path_tok(struct parser *p, unsigned i, struct step *st)
{
	int r;

	if (p->ntok < i + 3 || strcmp(p->tok[i + 1].s, ">") != 0)
		return fail_tok(p, i + 1 < p->ntok ? i + 1 : p->ntok, "expected FROM > TO, for example 'client > server'");
	if ((r = host_tok(p, i, &st->path.from)) < 0 || (r = host_tok(p, i + 2, &st->host)) < 0)
		return r;
	if (st->path.from == st->host)
		return fail_tok(p, i + 2, "expected two different hosts");
	return 0;
}

/* drop FROM > TO FLAGS [first N] */
int parse_drop(struct parser *p, struct step *st)
{
	long long n;
	int r;

	if (p->ntok != 5 && p->ntok != 7)
		return fail_tok(p, p->ntok < 5 ? p->ntok : 5, "expected 'drop FROM > TO FLAGS [first N]', for example "
				"'drop client > server S first 2'");
	if ((r = path_tok(p, 1, st)) < 0)
		return r;
	if (!flags_valid(p->tok[4].s))
		return fail_tok(p, 4, "expected TCP flags in tcpdump letters (S, S., F., R, P.), got '%s'", p->tok[4].s);
	snprintf(st->path.flags, sizeof st->path.flags, "%s", p->tok[4].s);
	if (p->ntok == 7) {
		if (strcmp(p->tok[5].s, "first") != 0)
			return fail_tok(p, 5, "expected 'first N' or nothing after the flags");
		if (parse_num(p->tok[6].s, 1, 1000, &n) < 0)
			return fail_tok(p, 6, "expected a count of packets from 1 to 1000");
		st->path.first = (unsigned)n;
	}
	return 0;
}

/* inject rst FROM > TO [exact|in-window|out-of-window] [port N] */
int parse_inject(struct parser *p, struct step *st)
{
	static const char *const where[] = { "exact", "in-window", "out-of-window" };
	unsigned n = p->ntok;
	long long v;
	int r;

	if (n >= 2 && strcmp(p->tok[n - 2].s, "port") == 0) {
		if (parse_num(p->tok[n - 1].s, 1, 65535, &v) < 0)
			return fail_tok(p, n - 1, "expected a port from 1 to 65535");
		st->path.port = (int)v;
		n -= 2;
	}
	if (n < 5 || n > 6)
		return fail_tok(p, n < 5 ? n : 6, "expected 'inject rst FROM > TO [exact|in-window|out-of-window] [port N]'");
	if ((r = path_tok(p, 2, st)) < 0)
		return r;
	st->path.where = INJECT_EXACT;
	if (n == 6) {
		size_t k;
		for (k = 0; k < sizeof where / sizeof where[0] && strcmp(where[k], p->tok[5].s); k++)
			;
		if (k == sizeof where / sizeof where[0])
			return fail_tok(p, 5, "expected exact (the sequence number the receiver expects next), in-window "
					"or out-of-window");
		st->path.where = (enum inject_where)k;
	}
	return 0;
}

/* stop HOST[.PROGRAM], cont HOST[.PROGRAM] */
int parse_stop(struct parser *p, struct step *st)
{
	if (p->ntok != 2)
		return fail_tok(p, p->ntok < 2 ? 1 : 2, "expected '%s HOST[.PROGRAM]'", p->tok[0].s);
	return host_or_prog_tok(p, 1, st);
}
