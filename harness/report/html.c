/* SPDX-License-Identifier: MIT */
/*
 * The html format: one self-contained page for any set of results (a run, the catalog,
 * explain): an index (verdicts, durations, families, the kernel), then per run an inline SVG
 * ladder drawn from the struct result, the claim and what Linux did, the failures with
 * expected and observed side by side, and a link to its capture under --pcap-dir.
 *
 * Invariants: nothing is fetched (no script, no font, no image: inline CSS and SVG only);
 * every string from a result goes through report_put_html; in each run's SVG every packet is
 * one element of class "packet" (data-flags its tcpdump flags), every call one of class
 * "call", every fault, event or death one of class "fault", every socket state one of class
 * "state", every RST the kernel gave a reason for has one element of class "reason" (a packet
 * sent again one of class "retransmit", with its kind), every dropped packet one of class
 * "drop", and every socket the tracer followed a band of class "state-band" per state it was in
 * (data-state), under a legend of their colours (HTML, not SVG: one SVG per run), so a
 * browser's DOM can be counted against the JSON (tests/html-report.sh). No label leaves its
 * lane (the room between the lifelines around a note, the first lane of a packet's arrow): a
 * longer one is cut, whole in a title.
 * Runs in the controller.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>

#include "config.h"
#include "graphic.h"
#include "peer.h"

/* ---- shared with mermaid.c ---- */

void report_put_html(FILE *out, const char *s, bool markdown)
{
	const unsigned char *p = (const unsigned char *)s;
	uint32_t cp;

	while (*p) {
		size_t n = report_utf8_next(p, &cp);
		if (n == 0) {
			fputs("\xef\xbf\xbd", out);
			p++;
			continue;
		}
		if (cp == '&')
			fputs("&amp;", out);
		else if (cp == '<')
			fputs("&lt;", out);
		else if (cp == '>')
			fputs("&gt;", out);
		else if (cp == '"' && !markdown)
			fputs("&quot;", out);
		else if (cp == '\'' && !markdown)
			fputs("&#39;", out);
		else if (markdown && (cp == '\n' || cp == '\t' || cp == '\r'))
			fputc(' ', out);
		else if (markdown && cp < 0x80 && strchr("\\`*_[]#!|~", (int)cp))
			fprintf(out, "&#%u;", (unsigned)cp);
		else if ((cp < 0x20 && cp != '\t' && cp != '\n') || (cp >= 0x7f && cp <= 0x9f) || cp == 0xfffe ||
			 cp == 0xffff)
			fputs("\xef\xbf\xbd", out);
		else
			fwrite(p, 1, n, out);
		p += n;
	}
}

void report_exit_words(const struct result_exit *e, char *buf, size_t len)
{
	const char *prog = strchr(e->peer, '.'), *who = prog ? prog + 1 : "peer", *reaped = e->at_kill ? "" : "reaped: ";

	if (*e->signal)
		snprintf(buf, len, "(%s%s killed by %s)", reaped, who, e->signal);
	else
		snprintf(buf, len, "(%s%s exited, status %d)", reaped, who, e->status);
}

int report_column_of(const struct report_columns *c, const char *name)
{
	size_t len = strcspn(name, ".");

	for (int i = 0; i < c->n; i++)
		if (strlen(c->name[i]) == len && strncmp(c->name[i], name, len) == 0)
			return i;
	return c->n ? c->n - 1 : 0;
}

/* Adds the column of name's host ("client" for "client.curl") unless it has one. */
static void add_column(const char *name, void *arg)
{
	struct report_columns *c = arg;
	size_t len = strcspn(name, ".");

	if (len >= sizeof c->name[0] || c->n == REPORT_MAX_COLUMNS)
		return;
	for (int i = 0; i < c->n; i++)
		if (strlen(c->name[i]) == len && strncmp(c->name[i], name, len) == 0)
			return;
	c->addr[c->n][0] = 0;
	snprintf(c->name[c->n++], sizeof c->name[0], "%.*s", (int)len, name);
}

/* Calls fn on every host name the result mentions, in the text ladder's order. */
static void each_host(const struct result *r, void (*fn)(const char *name, void *arg), void *arg)
{
#define EACH(arr, field) for (size_t i = 0; i < (arr).n; i++) fn((arr).v[i].field, arg)
	EACH(r->syscalls, peer);
	EACH(r->packets, from);
	EACH(r->packets, to);
	EACH(r->events, host);
	EACH(r->exits, peer);
	EACH(r->states, host);
#undef EACH
}

static void seen_host(const char *name, void *arg)
{
	bool *seen = arg;
	size_t len = strcspn(name, ".");

	seen[0] |= len == 6 && strncmp(name, "client", 6) == 0;
	seen[1] |= len == 6 && strncmp(name, "server", 6) == 0;
}

void report_columns(const struct result *r, struct report_columns *c)
{
	bool seen[2] = { false, false };

	c->n = 0;
	for (size_t i = 0; i < r->hosts.n; i++) {
		int n = c->n;
		add_column(r->hosts.v[i].name, c);
		if (c->n > n)
			snprintf(c->addr[n], sizeof c->addr[0], "%s", result_host_addr(r, i));
	}
	if (!r->hosts.n) {
		each_host(r, seen_host, seen);
		if (seen[0])
			add_column("client", c);
		if (seen[1])
			add_column("server", c);
	}
	each_host(r, add_column, c);
}

/* ---- the SVG ladder ---- */

enum item_kind { ITEM_CALL, ITEM_PACKET, ITEM_FAULT, ITEM_EXIT, ITEM_STATE, ITEM_DROP };

struct item {
	double t;
	size_t order;
	enum item_kind kind;
	size_t index;         /* into the result's array of that kind */
};

static int by_time(const void *a, const void *b)
{
	const struct item *x = a, *y = b;
	if (x->t != y->t)
		return x->t < y->t ? -1 : 1;
	return x->order < y->order ? -1 : x->order > y->order;
}

#define ROW_H 22     /* a row's label clear of the next row's packet label above its arrow */
#define TOP 44
#define COL_W 320
#define NOTE_W 300    /* the first host's notes, between the times and its lifeline */
#define CHAR_W 7.4    /* a character of the 12 px monospace font, a little more than measured
		       * (7.03 in headless Chromium's): labels are cut to their lane by it */

/* The ladder being drawn: x of the times' right edge and of the first lifeline, set from the
 * widest time (svg_ladder; one ladder at a time, in the controller). */
static int time_x = 64, left = 64 + 8 + NOTE_W;

static int col_x(int col)
{
	return left + col * COL_W;
}

/* The characters a note beside col's lifeline has room for: left of the first, after the
 * times; right of the others, up to the next lifeline (and its bands). */
static int note_room(int col)
{
	return (int)((col == 0 ? col_x(0) - 8 - (time_x + 8) : COL_W - 8 - 16) / CHAR_W);
}

/* A note beside a lifeline: left of the first, right of the others (as the text ladder). */
static void note_text(FILE *out, int col, int y, const char *cls)
{
	if (col == 0)
		fprintf(out, "<text class=\"%s\" x=\"%d\" y=\"%d\" text-anchor=\"end\">", cls, col_x(col) - 8, y + 4);
	else
		fprintf(out, "<text class=\"%s\" x=\"%d\" y=\"%d\">", cls, col_x(col) + 8, y + 4);
}

/* Characters of UTF-8 s (a byte that is none counts as one). */
static int chars(const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	uint32_t cp;
	int n = 0;

	for (; *p; n++) {
		size_t k = report_utf8_next(p, &cp);
		p += k ? k : 1;
	}
	return n;
}

/* s, escaped, in at most room characters: cut with "…" where longer (nothing when room < 1). */
static void put_fit(FILE *out, const char *s, int room)
{
	const unsigned char *p = (const unsigned char *)s;
	uint32_t cp;

	if (chars(s) <= room) {
		report_put_html(out, s, false);
		return;
	}
	for (int n = 0; n < room - 1 && *p; n++) {
		size_t k = report_utf8_next(p, &cp);
		p += k ? k : 1;
	}
	char *head = strndup(s, (size_t)(p - (const unsigned char *)s));
	if (head)
		report_put_html(out, head, false);
	free(head);
	if (room > 0)
		fputs("\xe2\x80\xa6", out);
}

/* A note's text in the room beside col's lifeline; cut, with the whole in a title first. */
static void note_fit(FILE *out, int col, int y, const char *cls, const char *text)
{
	int room = note_room(col);

	if (chars(text) > room) {
		fputs("<title>", out);
		report_put_html(out, text, false);
		fputs("</title>", out);
	}
	note_text(out, col, y, cls);
	put_fit(out, text, room);
	fputs("</text>", out);
}

/* Why the kernel sent the packet, where it said: an RST's reason, a retransmission's kind; as
 * tspans of class "reason" and "retransmit" (visible), or plain text (a title). Visible, in
 * room characters: the kind's words, else its short name ("RTO"), else cut. */
static void packet_why(FILE *out, const struct result_packet *p, bool visible, int room)
{
	if (*p->reason) {
		fputs(visible ? " <tspan class=\"reason\">" : " (", out);
		if (visible) {
			char *r = NULL;
			if (asprintf(&r, "(%s)", p->reason) >= 0)
				put_fit(out, r, room - 1);
			free(r);
			room -= 2 + chars(p->reason) + 1;
		} else {
			report_put_html(out, p->reason, false);
		}
		fputs(visible ? "</tspan>" : ")", out);
	}
	if (*p->retransmit) {
		const char *words = result_retransmit_words(p->retransmit);
		fputs(visible ? " <tspan class=\"retransmit\">" : " (", out);
		if (visible) {
			char *r = NULL;
			if (asprintf(&r, "(%s)", chars(words) + 3 <= room ? words : p->retransmit) >= 0)
				put_fit(out, r, room - 1);
			free(r);
		} else {
			report_put_html(out, words, false);
		}
		fputs(visible ? "</tspan>" : ")", out);
	}
}

static void svg_packet(FILE *out, const struct result_packet *p, const struct report_columns *cols, int y)
{
	int a = report_column_of(cols, p->from), b = report_column_of(cols, p->to);
	const char *kind = p->icmp ? " icmp" : strchr(p->flags, 'R') ? " rst" : strchr(p->flags, 'F') ? " fin" :
			   strchr(p->flags, 'S') ? " syn" : "";
	char label[160];
	int n = snprintf(label, sizeof label, "seq %lld", p->seq);

	if (strchr(p->flags, '.') && n >= 0 && (size_t)n < sizeof label)
		n += snprintf(label + n, sizeof label - (size_t)n, " ack %lld", p->ack);
	if (p->len && n >= 0 && (size_t)n < sizeof label)
		snprintf(label + n, sizeof label - (size_t)n, " len %lld", p->len);
	fprintf(out, "<g class=\"packet%s\" data-flags=\"", kind);
	report_put_html(out, p->flags, false);
	fputs("\" data-from=\"", out);
	report_put_html(out, p->from, false);
	fputs("\" data-to=\"", out);
	report_put_html(out, p->to, false);
	fprintf(out, "\" data-t=\"%.3f\"", p->t_ms);
	if (*p->reason) {
		fputs(" data-reason=\"", out);
		report_put_html(out, p->reason, false);
		fputc('"', out);
	}
	if (*p->retransmit) {
		fputs(" data-retransmit=\"", out);
		report_put_html(out, p->retransmit, false);
		fputc('"', out);
	}
	fputs("><title>", out);
	report_put_html(out, p->from, false);
	fprintf(out, ":%d &gt; ", p->sport);
	report_put_html(out, p->to, false);
	fprintf(out, ":%d %s", p->dport, label);
	packet_why(out, p, false, 0);
	fputs("</title>", out);
	/* Its label in its room (the title above has it whole): the flags and numbers, cut only
	 * where nothing else fits, then why, shortened or cut in what is left. */
	if (a == b) {   /* both ends in one column (a host without its own): a note */
		char *head = NULL;
		int room = note_room(a);
		if (asprintf(&head, "%s > %s %s %s", p->from, p->to, p->flags, label) < 0)
			head = NULL;
		note_text(out, a, y, "pkt");
		if (head)
			put_fit(out, head, room);
		packet_why(out, p, true, head ? room - chars(head) : 0);
		free(head);
		fputs("</text></g>\n", out);
		return;
	}
	/* The label over the arrow's first lane from its sender, never across a lifeline. */
	int x1 = col_x(a), x2 = col_x(b), dir = x2 > x1 ? 1 : -1;
	int room = (int)((COL_W - 16) / CHAR_W), used = chars(p->flags) + 1;
	fprintf(out, "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\"/>", x1, y, x2 - dir * 2, y);
	fprintf(out, "<path d=\"M%d %d l%d -4 v8 z\"/>", x2, y, -dir * 9);
	fprintf(out, "<text x=\"%d\" y=\"%d\" text-anchor=\"middle\"><tspan class=\"flags\">", x1 + dir * COL_W / 2, y - 3);
	put_fit(out, p->flags, room);
	fputs("</tspan> ", out);
	put_fit(out, label, room - used);
	packet_why(out, p, true, room - used - chars(label));
	fputs("</text></g>\n", out);
}

static void svg_call(FILE *out, const struct result_syscall *c, const struct report_columns *cols, int y)
{
	int col = report_column_of(cols, c->peer);
	const char *e = peer_errno_name(c->err), *prog = strchr(c->peer, '.'), *sock = prog ? prog + 1 : c->socket;

	bool named = *sock && strcmp(sock, "main") != 0;
	char *head = NULL, *tail = NULL, *all = NULL;

	fputs("<g class=\"call\" data-host=\"", out);
	report_put_html(out, c->peer, false);
	fputs("\">", out);
	fprintf(out, "<circle cx=\"%d\" cy=\"%d\" r=\"3\"/>", col_x(col), y);
	/* "sock: call ARGS = ret ERRNO": cut in its arguments first, so the result stays. */
	if (asprintf(&head, "%s%s%s", named ? sock : "", named ? ": " : "", c->call) < 0 ||
	    asprintf(&tail, " = %lld%s%s", c->ret, e ? " " : "", e ? e : "") < 0 ||
	    asprintf(&all, "%s%s%s%s", head, *c->args ? " " : "", c->args, tail) < 0) {
		fputs("</g>\n", out);
		goto out;
	}
	int room = note_room(col);
	if (chars(all) <= room) {
		note_fit(out, col, y, "txt", all);
	} else {
		fputs("<title>", out);
		report_put_html(out, all, false);
		fputs("</title>", out);
		note_text(out, col, y, "txt");
		int args_room = room - chars(head) - chars(tail) - 1;
		if (args_room >= 2 && *c->args) {
			report_put_html(out, head, false);
			fputc(' ', out);
			put_fit(out, c->args, args_room);
			report_put_html(out, tail, false);
		} else {
			put_fit(out, all, room);
		}
		fputs("</text>", out);
	}
	fputs("</g>\n", out);
out:
	free(head);
	free(tail);
	free(all);
}

static void svg_fault(FILE *out, const char *host, const char *text, const char *cls, const struct report_columns *cols,
		      int y)
{
	int col = report_column_of(cols, host);

	fprintf(out, "<g class=\"fault%s\" data-host=\"", cls);
	report_put_html(out, host, false);
	fprintf(out, "\"><rect x=\"%d\" y=\"%d\" width=\"12\" height=\"12\"/>", col_x(col) - 6, y - 6);
	note_fit(out, col, y, "txt", text);
	fputs("</g>\n", out);
}

/* <g class="CLS" data-host="HOST" data-NAME="VALUE">: a mark beside a host's lifeline. */
static void g_open(FILE *out, const char *cls, const char *host, const char *name, const char *value)
{
	fprintf(out, "<g class=\"%s\" data-host=\"", cls);
	report_put_html(out, host, false);
	fprintf(out, "\" data-%s=\"", name);
	report_put_html(out, value, false);
	fputs("\">", out);
}

static void svg_state(FILE *out, const struct result_state *s, const struct report_columns *cols, int y)
{
	int col = report_column_of(cols, s->host);

	g_open(out, "state", s->host, "state", s->state);
	char text[160];

	fprintf(out, "<rect x=\"%d\" y=\"%d\" width=\"8\" height=\"%d\"/>", col_x(col) - 4, y - ROW_H / 2, ROW_H);
	snprintf(text, sizeof text, "%s :%d-:%d", s->state, s->local_port, s->remote_port);
	note_fit(out, col, y, "txt", text);
	fputs("</g>\n", out);
}

static void svg_drop(FILE *out, const struct result_drop *d, const struct report_columns *cols, int y)
{
	int col = report_column_of(cols, d->host);

	g_open(out, "drop", d->host, "reason", d->reason);
	char text[160];

	fprintf(out, "<path d=\"M%d %d l8 8 m0 -8 l-8 8\"/>", col_x(col) - 4, y - 4);
	snprintf(text, sizeof text, "(drops a packet: %s)", d->reason);
	note_fit(out, col, y, "txt", text);
	fputs("</g>\n", out);
}

/* The y of time t on a ladder whose rows are items (in time order): between the rows around
 * it, in proportion; above the first, below the last. */
static double y_of(const struct item *items, size_t n, double t)
{
	size_t lo = 0, hi = n;

	while (lo < hi) {      /* the first row at or after t */
		size_t mid = (lo + hi) / 2;
		if (items[mid].t < t)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (n == 0 || lo == 0)
		return TOP - ROW_H / 2;
	if (lo == n)
		return TOP + (double)(n - 1) * ROW_H + ROW_H / 2;
	double t0 = items[lo - 1].t, t1 = items[lo].t;
	return TOP + (double)(lo - 1) * ROW_H + (t1 > t0 ? (t - t0) / (t1 - t0) : 1.0) * ROW_H;
}

#define MAX_BANDED 32     /* sockets with bands in one ladder; the others have none */

/* A socket's state over time, from the tracer's transitions: per socket (host, ports) a thin
 * band beside its host's lifeline (right of the first, whose notes are at its left; left of the
 * others), one rect per state it was in (class "state-band", data-state its name, a title),
 * from the transition into it to the next one (or the ladder's end); a socket opened while
 * another of its host's is open has its band beside the other's. A connecting socket has no local port until it has sent its SYN
 * (its first transition says 0): it is the same socket as the next one on that host with its
 * remote port. CLOSE is no state to draw. */
static void svg_bands(FILE *out, const struct result *r, const struct report_columns *cols, const struct item *items,
		      size_t n)
{
	struct sock {
		const char *host;
		int sport, dport, slot;
		const char *state;
		double since;
	} socks[MAX_BANDED];
	int nsocks = 0, slots[REPORT_MAX_COLUMNS] = { 0 };
	double end = n ? items[n - 1].t : 0;

	for (size_t i = 0; i <= r->transitions.n; i++) {
		const struct result_transition *t = i < r->transitions.n ? &r->transitions.v[i] : NULL;
		struct sock *s = NULL;
		/* Its socket: the one on those ports in the state it leaves; else (a change the tracer
		 * did not see: a timewait socket's to TIME-WAIT) one open on those ports, unless it
		 * leaves CLOSE: a new socket (on the ports of one that lives on as a timewait). */
		for (int pass = 0; t && pass < 2 && !s; pass++)
			for (int j = 0; j < nsocks && !s; j++)
				if (socks[j].state && strcmp(socks[j].host, t->host) == 0 && socks[j].dport == t->dport &&
				    (socks[j].sport == t->sport || (socks[j].sport == 0 && strcmp(socks[j].state, "SYN-SENT") == 0)) &&
				    (pass ? strcmp(t->from, "CLOSE") != 0 : strcmp(socks[j].state, t->from) == 0))
					s = &socks[j];
		if (t && !s) {      /* a new socket: in the place of a closed one of that host's, if any */
			int col = report_column_of(cols, t->host);
			for (int j = 0; j < nsocks && !s; j++)
				if (!socks[j].state && report_column_of(cols, socks[j].host) == col)
					s = &socks[j];
			if (!s && nsocks < MAX_BANDED)
				*(s = &socks[nsocks++]) = (struct sock){ .slot = slots[col]++ };
			if (s) {
				s->host = t->host;
				s->dport = t->dport;
			}
		}
		/* The socket's state until now ends here; at the end, every socket's. */
		for (int j = 0; j < nsocks; j++) {
			struct sock *b = &socks[j];
			if ((t && b != s) || !b->state)
				continue;
			double t1 = t ? t->t_ms : end;
			int col = report_column_of(cols, b->host), x = col == 0 ? col_x(col) + 3 + 6 * b->slot
										  : col_x(col) - 7 - 6 * b->slot;
			double y0 = y_of(items, n, b->since), y1 = y_of(items, n, t1);
			fputs("<rect class=\"state-band\" data-host=\"", out);
			report_put_html(out, b->host, false);
			fputs("\" data-state=\"", out);
			report_put_html(out, b->state, false);
			fprintf(out, "\" x=\"%d\" y=\"%.1f\" width=\"4\" height=\"%.1f\"><title>", x, y0, y1 - y0 > 1 ? y1 - y0 : 1);
			report_put_html(out, b->host, false);
			fprintf(out, " :%d-:%d ", b->sport, b->dport);
			report_put_html(out, b->state, false);
			fprintf(out, " %.3f to %.3f ms</title></rect>\n", b->since, t1);
			b->state = NULL;
		}
		if (!t || !s)
			continue;
		s->sport = t->sport;
		s->state = strcmp(t->to, "CLOSE") ? t->to : NULL;
		s->since = t->t_ms;
	}
}

/* The ladder of r: one row per happening, in time order, as the text ladder. */
static void svg_ladder(FILE *out, const struct result *r)
{
	struct report_columns cols;
	report_columns(r, &cols);
	int ncols = cols.n;
	size_t n = r->syscalls.n + r->packets.n + r->events.n + r->exits.n + r->states.n + r->drops.n, k = 0;
	struct item *items = calloc(n ? n : 1, sizeof *items);

	if (!items) {
		fputs("<p class=\"empty\">(out of memory: no ladder)</p>\n", out);
		return;
	}
#define ITEMS(arr, kind_) for (size_t i = 0; i < (arr).n; i++, k++) \
		items[k] = (struct item){ .t = (arr).v[i].t_ms, .order = k, .kind = kind_, .index = i }
	ITEMS(r->syscalls, ITEM_CALL);
	ITEMS(r->packets, ITEM_PACKET);
	ITEMS(r->events, ITEM_FAULT);
	ITEMS(r->exits, ITEM_EXIT);
	ITEMS(r->states, ITEM_STATE);
	ITEMS(r->drops, ITEM_DROP);
#undef ITEMS
	qsort(items, n, sizeof *items, by_time);
	/* The times' column as wide as the widest time; the first lifeline after its notes' room. */
	char widest[48];
	snprintf(widest, sizeof widest, "%.3f", n ? items[n - 1].t : 0.0);
	time_x = 8 + (int)(CHAR_W * (double)(strlen(widest) > 6 ? strlen(widest) : 6) + 0.5);
	left = time_x + 8 + NOTE_W;
	int width = col_x(ncols ? ncols - 1 : 0) + COL_W, height = TOP + (int)n * ROW_H + ROW_H;
	fprintf(out, "<svg class=\"ladder\" xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" "
		"viewBox=\"0 0 %d %d\" role=\"img\">\n", width, height, width, height);
	fprintf(out, "<text class=\"head\" x=\"8\" y=\"14\">ms</text>\n");
	for (int c = 0; c < ncols; c++) {
		fprintf(out, "<g class=\"host\"><text class=\"head\" x=\"%d\" y=\"14\" text-anchor=\"middle\">", col_x(c));
		report_put_html(out, cols.name[c], false);
		fputs("</text>", out);
		if (cols.addr[c][0]) {
			fprintf(out, "<text class=\"addr\" x=\"%d\" y=\"27\" text-anchor=\"middle\">", col_x(c));
			report_put_html(out, cols.addr[c], false);
			fputs("</text>", out);
		}
		fprintf(out, "<line x1=\"%d\" y1=\"32\" x2=\"%d\" y2=\"%d\"/></g>\n", col_x(c), col_x(c), height - 4);
	}
	if (n == 0)
		fprintf(out, "<text x=\"8\" y=\"%d\">(nothing was observed)</text>\n", TOP);
	for (size_t i = 0; i < n; i++) {
		int y = TOP + (int)i * ROW_H;
		size_t x = items[i].index;
		char text[200];
		fprintf(out, "<text class=\"t\" x=\"%d\" y=\"%d\" text-anchor=\"end\">%.3f</text>", time_x, y + 4, items[i].t);
		switch (items[i].kind) {
		case ITEM_CALL:
			svg_call(out, &r->syscalls.v[x], &cols, y);
			break;
		case ITEM_PACKET:
			svg_packet(out, &r->packets.v[x], &cols, y);
			break;
		case ITEM_FAULT:
			snprintf(text, sizeof text, "*** %s ***", r->events.v[x].event);
			svg_fault(out, r->events.v[x].host, text, "", &cols, y);
			break;
		case ITEM_EXIT: {
			const struct result_exit *e = &r->exits.v[x];
			report_exit_words(e, text, sizeof text);
			svg_fault(out, e->peer, text, " exit", &cols, y);
			break;
		}
		case ITEM_STATE:
			svg_state(out, &r->states.v[x], &cols, y);
			break;
		case ITEM_DROP:
			svg_drop(out, &r->drops.v[x], &cols, y);
			break;
		}
	}
	svg_bands(out, r, &cols, items, n);
	fputs("</svg>\n", out);
	free(items);
}

/* ---- the page ---- */

static const char style[] =
	"body{font-family:system-ui,sans-serif;margin:1.5em;color:#222;background:#fff}"
	"table.index{border-collapse:collapse}table.index td,table.index th{border:1px solid #ccc;padding:2px 8px;"
	"text-align:left}td.ms{text-align:right}"
	".pass{color:#176f2c}.fail,.error{color:#b00020}.skipped{color:#8a6100}.verdict{font-weight:bold;text-transform:uppercase}"
	"section.run{border-top:2px solid #ddd;margin-top:2em}"
	"div.wide{overflow-x:auto;max-width:100%}"
	"svg.ladder{font-family:ui-monospace,monospace;font-size:12px;background:#fcfcfc;border:1px solid #eee}"
	"svg .host line{stroke:#888;stroke-dasharray:4 3}svg .head{font-weight:bold;font-size:13px}svg .addr{font-size:11px;fill:#555}"
	"svg .t{fill:#777}svg .packet line{stroke:#333}svg .packet path{fill:#333}"
	"svg .packet.rst line{stroke:#c00}svg .packet.rst path,svg .packet.rst text{fill:#c00}"
	"svg .packet.fin line{stroke:#b66d00}svg .packet.fin path,svg .packet.fin text{fill:#b66d00}"
	"svg .packet.syn line{stroke:#1f5fa8}svg .packet.icmp line{stroke:#7b3fa0;stroke-dasharray:2 2}"
	"svg .flags{font-weight:bold}svg .call circle{fill:#1f5fa8}svg .fault rect{fill:#c00}"
	"svg .fault text{font-weight:bold}svg .state rect{fill:#6a9}svg .state text{fill:#385}"
	"svg .reason{fill:#800;font-style:italic}svg .retransmit{fill:#555;font-style:italic}"
	"svg .drop path{stroke:#b8860b;stroke-width:2}svg .drop text{fill:#8a6100}"
	"svg .state-band{fill:#bbb;opacity:.8}"
	"p.legend{font-size:12px;color:#555;margin:.3em 0}p.legend .key{display:inline-block;width:4px;height:12px;"
	"margin:0 4px 0 10px;vertical-align:middle;opacity:.8}"
	"table.sides td{vertical-align:top;border:1px solid #ddd;padding:4px}"
	"pre{white-space:pre-wrap;margin:0}dt{font-weight:bold}dd{margin:0 0 .6em 1.5em}";

/* The state bands' colours: a state's name, or the start of names (prefix), its colour, and
 * its words in the legend. Any other state's band is grey (#bbb). */
static const struct band_colour {
	const char *state;
	bool prefix;
	const char *colour, *words;
} band_colours[] = {
	{ "LISTEN", false, "#9bd", "LISTEN" },
	{ "SYN", true, "#58c", "SYN-SENT, SYN-RECV" },
	{ "ESTABLISHED", false, "#4a9", "ESTABLISHED" },
	{ "FIN", true, "#d90", "FIN-WAIT-1, FIN-WAIT-2" },
	{ "CLOSING", false, "#d90", "CLOSING" },
	{ "LAST-ACK", false, "#d90", "LAST-ACK" },
	{ "CLOSE-WAIT", false, "#a6c", "CLOSE-WAIT" },
	{ "TIME-WAIT", false, "#888", "TIME-WAIT" },
};
#define NBAND_COLOURS (sizeof band_colours / sizeof band_colours[0])

static bool band_colour_of(const struct band_colour *b, const char *state)
{
	return b->prefix ? strncmp(state, b->state, strlen(b->state)) == 0 : strcmp(state, b->state) == 0;
}

static void band_css(FILE *out)
{
	for (size_t i = 0; i < NBAND_COLOURS; i++)
		fprintf(out, "svg .state-band[data-state%s=%s]{fill:%s}", band_colours[i].prefix ? "^" : "",
			band_colours[i].state, band_colours[i].colour);
}

/* Under a ladder with state bands: what each colour means, for the states its bands show. */
static void band_legend(FILE *out, const struct result *r)
{
	bool shown[NBAND_COLOURS + 1] = { false }, any = false;

	for (size_t k = 0; k < r->transitions.n; k++) {
		const char *to = r->transitions.v[k].to;
		size_t i = 0;
		if (strcmp(to, "CLOSE") == 0)
			continue;
		while (i < NBAND_COLOURS && !band_colour_of(&band_colours[i], to))
			i++;
		any = shown[i] = true;
	}
	if (!any)
		return;
	fputs("<p class=\"legend\">socket states (the bands beside each lifeline):", out);
	for (size_t i = 0; i <= NBAND_COLOURS; i++)
		if (shown[i])
			fprintf(out, "<span class=\"key\" style=\"background:%s\"></span>%s",
				i < NBAND_COLOURS ? band_colours[i].colour : "#bbb", i < NBAND_COLOURS ? band_colours[i].words : "other");
	fputs("</p>\n", out);
}

static void verdict_span(FILE *out, enum result_verdict v)
{
	const char *name = result_verdict_name(v);
	fprintf(out, "<span class=\"verdict %s\">%s</span>", name, name);
}

/* "sigkill (inet)", " [run 2/3]" when repeated. */
static void run_title(FILE *out, const struct result *r, const struct report_options *o)
{
	report_put_html(out, r->name, false);
	fputs(" (", out);
	report_put_html(out, r->family, false);
	fputc(')', out);
	if (o->repeat > 1)
		fprintf(out, " [run %u/%u]", r->run, o->repeat);
}

/* A failure: its first line, then expected and observed side by side where it has them
 * ("  expected: ..." and "  observed: ..." lines, as the runner writes them). */
static void failure(FILE *out, const char *msg)
{
	const char *exp = strstr(msg, "\n  expected: "), *obs = strstr(msg, "\n  observed: ");

	fputs("<div class=\"failure\">", out);
	if (!exp || !obs || obs < exp) {
		fputs("<pre>", out);
		report_put_html(out, msg, false);
		fputs("</pre></div>\n", out);
		return;
	}
	char *head = strndup(msg, (size_t)(exp - msg));
	char *e = strndup(exp + 13, (size_t)(obs - exp - 13));
	if (head && e) {
		fputs("<p><b>", out);
		report_put_html(out, head, false);
		fputs("</b></p><table class=\"sides\"><tr><th>expected</th><th>observed</th></tr><tr><td><pre>", out);
		report_put_html(out, e, false);
		fputs("</pre></td><td><pre>", out);
		report_put_html(out, obs + 13, false);
		fputs("</pre></td></tr></table>", out);
	}
	free(head);
	free(e);
	fputs("</div>\n", out);
}

static void dl_item(FILE *out, const char *term, const char *text, const char *none)
{
	fprintf(out, "<dt>%s</dt><dd>", term);
	report_put_html(out, *text ? text : none, false);
	fputs("</dd>\n", out);
}

/* The link to the run's capture: DIR/NAME-FAMILY[-runK].pcap, as the runner names it. */
static void pcap_link(FILE *out, const struct result *r, const struct report_options *o)
{
	char run[24] = "";

	if (!o->pcap_dir || r->partial)
		return;
	if (o->repeat > 1)
		snprintf(run, sizeof run, "-run%u", r->run);
	/* An href: characters a URL gives a meaning to are percent-encoded first. */
	char *path = NULL;
	if (asprintf(&path, "%s/%s-%s%s.pcap", o->pcap_dir, r->name, r->family, run) < 0)
		return;
	fputs("<p class=\"pcap\">capture: <a href=\"", out);
	for (const unsigned char *c = (const unsigned char *)path; *c; c++)
		if (*c <= 0x20 || *c >= 0x7f || strchr("\"'<>#%?&\\`^{}|", *c))
			fprintf(out, "%%%02X", *c);
		else
			fputc(*c, out);
	fputs("\">", out);
	report_put_html(out, path, false);
	fputs("</a></p>\n", out);
	free(path);
}

static void run_section(FILE *out, const struct result *r, size_t i, const struct report_options *o)
{
	fprintf(out, "<section class=\"run\" id=\"run-%zu\" data-name=\"", i + 1);
	report_put_html(out, r->name, false);
	fputs("\" data-family=\"", out);
	report_put_html(out, r->family, false);
	fprintf(out, "\" data-verdict=\"%s\" data-run=\"%u\">\n<h2>", result_verdict_name(r->verdict), r->run);
	run_title(out, r, o);
	fputs(" ", out);
	verdict_span(out, r->verdict);
	fputs("</h2>\n<p>", out);
	if (*r->mode) {   /* a scenario of one's own may have none */
		report_put_html(out, r->mode, false);
		fputs(" &middot; ", out);
	}
	report_put_html(out, r->summary, false);
	fprintf(out, " &middot; %.0f ms", r->duration_ms);
	if (*r->file) {
		fputs(" &middot; <code>", out);
		report_put_html(out, r->file, false);
		fputs("</code>", out);
	}
	fputs("</p>\n", out);
	pcap_link(out, r, o);
	for (size_t k = 0; k < r->failures.n; k++)
		failure(out, r->failures.v[k]);
	if (*r->missing) {
		fputs("<p class=\"missing\">this machine lacks: ", out);
		report_put_html(out, r->missing, false);
		fputs("</p>\n", out);
	}
	fputs("<div class=\"wide\">", out);
	svg_ladder(out, r);
	fputs("</div>\n", out);
	band_legend(out, r);
	fputs("<dl>\n", out);
	dl_item(out, "The claim", r->claim, "(the scenario file states none)");
	dl_item(out, "Linux does", r->linux_says, "(the scenario file states none: the ladder above is what it did)");
	if (*r->timers)
		dl_item(out, "Timers", r->timers, "");
	fputs("</dl>\n", out);
	if (r->counters.n) {
		fputs("<ul class=\"counters\">", out);
		for (size_t k = 0; k < r->counters.n; k++) {
			fputs("<li>counter ", out);
			report_put_html(out, r->counters.v[k].host, false);
			fputc(' ', out);
			report_put_html(out, r->counters.v[k].name, false);
			fprintf(out, " = %lld</li>", r->counters.v[k].value);
		}
		fputs("</ul>\n", out);
	}
	/* Without the kernel's reasons: the TCP counters that changed, per host. */
	for (size_t k = 0; k < r->counter_deltas.n; k++) {
		const char *host = r->counter_deltas.v[k].host;
		if (!report_delta_first(r, k))
			continue;
		fputs("<p class=\"deltas\">TCP counters that changed (in place of the kernel's reasons), <b>", out);
		report_put_html(out, host, false);
		fputs("</b>:", out);
		for (size_t j = k; j < r->counter_deltas.n; j++)
			if (strcmp(r->counter_deltas.v[j].host, host) == 0) {
				fputs(j > k ? ", " : " ", out);
				report_put_html(out, r->counter_deltas.v[j].name, false);
				fprintf(out, " %+lld", r->counter_deltas.v[j].value);
			}
		fputs("</p>\n", out);
	}
	for (size_t k = 0; k < r->notes.n; k++) {
		fputs("<p class=\"note\">note: ", out);
		report_put_html(out, r->notes.v[k], false);
		fputs("</p>\n", out);
	}
	fputs("</section>\n", out);
}

void report_html(FILE *out, const struct report_results *rs, const struct report_options *o)
{
	unsigned count[RESULT_VERDICTS] = { 0 };
	bool family[2] = { false, false };
	struct utsname u;
	struct result *r;

	/* Three passes over the results, each holding one at a time. */
	for (size_t i = 0; i < rs->n; i++) {
		if (!(r = rs->get(rs->arg, i)))
			continue;
		count[r->verdict]++;
		family[0] |= strcmp(r->family, "inet") == 0;
		family[1] |= strcmp(r->family, "inet6") == 0;
		rs->put(rs->arg, r);
	}
	if (uname(&u) < 0)
		snprintf(u.release, sizeof u.release, "unknown");
	fputs("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
	      "<meta name=\"viewport\" content=\"width=device-width\"><title>tcpfault report</title>\n<style>", out);
	fputs(style, out);
	band_css(out);
	fputs("</style></head>\n<body>\n<h1>tcpfault report</h1>\n<p class=\"summary\">", out);
	fprintf(out, "%u passed, %u failed, %u errors", count[RESULT_PASS], count[RESULT_FAIL], count[RESULT_ERROR]);
	if (count[RESULT_SKIPPED])
		fprintf(out, ", %u skipped", count[RESULT_SKIPPED]);
	fprintf(out, " &middot; families: %s%s%s &middot; Linux ", family[0] ? "inet" : "",
		family[0] && family[1] ? ", " : "", family[1] ? "inet6" : "");
	report_put_html(out, u.release, false);
	fputs(" &middot; tcpfault " TCPFAULT_VERSION "</p>\n", out);
	fputs("<div class=\"wide\"><table class=\"index\"><tr><th>scenario</th><th>mode</th><th>family</th><th>verdict</th><th>ms</th>"
	      "<th>summary</th></tr>\n", out);
	for (size_t i = 0; i < rs->n; i++) {
		if (!(r = rs->get(rs->arg, i)))
			continue;
		fprintf(out, "<tr><td><a href=\"#run-%zu\">", i + 1);
		report_put_html(out, r->name, false);
		if (o->repeat > 1)
			fprintf(out, " [run %u]", r->run);
		fputs("</a></td><td>", out);
		report_put_html(out, r->mode, false);
		fputs("</td><td>", out);
		report_put_html(out, r->family, false);
		fputs("</td><td>", out);
		verdict_span(out, r->verdict);
		fprintf(out, "</td><td class=\"ms\">%.0f</td><td>", r->duration_ms);
		/* A skipped run: what this machine lacks, as the text report says it. */
		if (r->verdict == RESULT_SKIPPED)
			fputs("this machine lacks: ", out);
		report_put_html(out, r->verdict == RESULT_SKIPPED ? r->missing : r->summary, false);
		fputs("</td></tr>\n", out);
		rs->put(rs->arg, r);
	}
	fputs("</table></div>\n", out);
	for (size_t i = 0; i < rs->n; i++)
		if ((r = rs->get(rs->arg, i))) {
			run_section(out, r, i, o);
			rs->put(rs->arg, r);
		}
	fputs("</body></html>\n", out);
}
