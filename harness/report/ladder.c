/* SPDX-License-Identifier: MIT */
/*
 * The ladder diagram of one result (text reports under -v and explain, and JUnit's
 * system-out): one lifeline per host, packets as arrows between them (an RST with the kernel's
 * reason), what each host did beside its lifeline, and what the kernel tracer saw there (each
 * socket's change of state as a '~ FROM > TO' mark, retransmissions, drops), in time order.
 * Reads the struct result; runs in the controller.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "graphic.h"
#include "peer.h"

#define MAX_COLS 8
#define TIME_W 11     /* "%9.3f  " */

struct cols {
	char name[MAX_COLS][32];
	int n;
};

static int col_of(struct cols *c, const char *name, bool add)
{
	char host[32];

	/* A program run by 'exec' ("client.curl") lives in its host's column. */
	snprintf(host, sizeof host, "%.*s", (int)strcspn(name, "."), name);
	name = host;
	for (int i = 0; i < c->n; i++)
		if (strcmp(c->name[i], name) == 0)
			return i;
	if (!add)
		return -1;
	if (c->n == MAX_COLS)
		return MAX_COLS - 1;  /* a ninth host shares the last column; its lines name it */
	snprintf(c->name[c->n], sizeof c->name[0], "%s", name);
	return c->n++;
}

/* The columns: the scenario's hosts in its 'hosts' order, as the HTML and Mermaid diagrams
 * have them (report_columns), then any host only the kernel tracer names. */
static void find_cols(const struct result *r, struct cols *c)
{
	struct report_columns rc;

	report_columns(r, &rc);
	c->n = 0;
	for (int i = 0; i < rc.n; i++)
		col_of(c, rc.name[i], true);
}

/* One row of the ladder: a packet between two columns, or a note in one host's column. */
struct row {
	double t;
	int order;
	int from, to;         /* packet: from != to; note: from == to */
	const char *color;    /* NULL: none */
	char text[160];
};

static int by_time(const void *a, const void *b)
{
	const struct row *x = a, *y = b;
	if (x->t != y->t)
		return x->t < y->t ? -1 : 1;
	return x->order - y->order;
}

/* "S. seq 0 ack 1", "P. seq 1 ack 1 len 100": as tcpdump, ack only with the ACK flag; with
 * ports ("40003>5000") when the run has more than one connection. */
static void packet_label(const struct result_packet *p, bool ports, char *buf, size_t len)
{
	const char *f = p->flags;
	int n = snprintf(buf, len, "%s seq %lld", f, p->seq);
	if (strchr(f, '.') && n >= 0 && (size_t)n < len)
		n += snprintf(buf + n, len - (size_t)n, " ack %lld", p->ack);
	if (p->len && n >= 0 && (size_t)n < len)
		n += snprintf(buf + n, len - (size_t)n, " len %lld", p->len);
	if (ports && n >= 0 && (size_t)n < len)
		n += snprintf(buf + n, len - (size_t)n, "  %d>%d", p->sport, p->dport);
	if (*p->reason && n >= 0 && (size_t)n < len)   /* why the kernel sent this RST */
		n += snprintf(buf + n, len - (size_t)n, "  (%s)", p->reason);
	if (*p->retransmit && n >= 0 && (size_t)n < len)
		snprintf(buf + n, len - (size_t)n, "  (%s)", result_retransmit_words(p->retransmit));
}

/* Whether the packets belong to more than one connection (port pair, either way round). */
static bool several_connections(const struct result *r)
{
	long long a = -1, b = -1;

	for (size_t i = 0; i < r->packets.n; i++) {
		long long s = r->packets.v[i].sport, d = r->packets.v[i].dport;
		if (a < 0)
			a = s, b = d;
		else if (!((s == a && d == b) || (s == b && d == a)))
			return true;
	}
	return false;
}

static struct row *note_row(struct row *w, struct cols *c, double t_ms, const char *host)
{
	*w = (struct row){ .t = t_ms };
	w->from = w->to = col_of(c, host, true);
	return w;
}

/* Whether the retransmission o went out as a captured packet labelled with its kind (the
 * first from its host with its ports and kind, at or after it, not yet taken: as the runner
 * matched them): its arrow says it, no row of its own. */
static bool on_packet(const struct result *r, const struct result_retransmit *o, bool *taken)
{
	for (size_t i = 0; *o->kind && i < r->packets.n; i++) {
		const struct result_packet *p = &r->packets.v[i];
		if (!taken[i] && p->sport == o->sport && p->dport == o->dport && strcmp(p->retransmit, o->kind) == 0 &&
		    p->t_ms >= o->t_ms - 1.0 && strcmp(p->from, o->host) == 0)
			return taken[i] = true;
	}
	return false;
}

/* Collects the rows, in time order. Returns the count; *ret is malloc'd. */
static size_t ladder_rows(const struct result *r, struct cols *c, struct row **ret)
{
	size_t n = r->syscalls.n + r->packets.n + r->events.n + r->exits.n + r->states.n + r->transitions.n +
		   r->retransmits.n + r->drops.n, k = 0;
	struct row *rows = calloc(n ? n : 1, sizeof *rows);

	bool ports = several_connections(r);

	*ret = rows;
	if (!rows)
		return 0;
	for (size_t i = 0; i < r->syscalls.n; i++, k++) {
		const struct result_syscall *o = &r->syscalls.v[i];
		const char *sock = o->socket, *e = peer_errno_name(o->err), *prog = strchr(o->peer, '.');
		if (prog)   /* a program's call: its name, not its fd */
			sock = prog + 1;
		note_row(&rows[k], c, o->t_ms, o->peer);
		snprintf(rows[k].text, sizeof rows[k].text, "%s%s%s%s%s = %lld%s%s", strcmp(sock, "main") && *sock ? sock : "",
			 strcmp(sock, "main") && *sock ? ": " : "", o->call, *o->args ? " " : "", o->args, o->ret,
			 e ? " " : "", e ? e : "");
	}
	for (size_t i = 0; i < r->packets.n; i++, k++) {
		const struct result_packet *o = &r->packets.v[i];
		const char *f = o->flags;
		rows[k] = (struct row){ .t = o->t_ms, .from = col_of(c, o->from, true), .to = col_of(c, o->to, true),
					.color = strchr(f, 'R') ? REPORT_RED : strchr(f, 'F') ? REPORT_YELLOW : NULL };
		packet_label(o, ports, rows[k].text, sizeof rows[k].text);
		if (rows[k].from == rows[k].to) /* both ends unknown: say so in a column */
			snprintf(rows[k].text, sizeof rows[k].text, "packet %s > %s %s", o->from, o->to, f);
	}
	for (size_t i = 0; i < r->events.n; i++, k++) {
		const struct result_event *o = &r->events.v[i];
		note_row(&rows[k], c, o->t_ms, o->host)->color = REPORT_BOLD;
		snprintf(rows[k].text, sizeof rows[k].text, "*** %s ***", o->event);
	}
	for (size_t i = 0; i < r->exits.n; i++, k++) {
		const struct result_exit *o = &r->exits.v[i];
		note_row(&rows[k], c, o->t_ms, o->peer);
		report_exit_words(o, rows[k].text, sizeof rows[k].text);
	}
	for (size_t i = 0; i < r->states.n; i++, k++) {
		const struct result_state *o = &r->states.v[i];
		note_row(&rows[k], c, o->t_ms, o->host);
		snprintf(rows[k].text, sizeof rows[k].text, "[%s :%d-:%d]", o->state, o->local_port, o->remote_port);
	}
	/* What the kernel tracer saw: each change of a socket's state as a mark on its host's
	 * lifeline ("~ FIN-WAIT-1 > CLOSING"), retransmissions and drops with the kernel's word. */
	for (size_t i = 0; i < r->transitions.n; i++, k++) {
		const struct result_transition *o = &r->transitions.v[i];
		note_row(&rows[k], c, o->t_ms, o->host);
		if (ports)
			snprintf(rows[k].text, sizeof rows[k].text, "~ %s > %s :%d-:%d", o->from, o->to, o->sport, o->dport);
		else
			snprintf(rows[k].text, sizeof rows[k].text, "~ %s > %s", o->from, o->to);
	}
	bool *shown = calloc(r->packets.n + 1, sizeof *shown);
	for (size_t i = 0; i < r->retransmits.n; i++) {
		const struct result_retransmit *o = &r->retransmits.v[i];
		if (shown && on_packet(r, o, shown))   /* its arrow says it already */
			continue;
		note_row(&rows[k], c, o->t_ms, o->host);
		snprintf(rows[k].text, sizeof rows[k].text, "(retransmits%s%s%s%s)", *o->kind ? ": " : "", o->kind,
			 *o->ca_state ? ", ca " : "", o->ca_state);
		k++;
	}
	free(shown);
	for (size_t i = 0; i < r->drops.n; i++, k++) {
		const struct result_drop *o = &r->drops.v[i];
		note_row(&rows[k], c, o->t_ms, o->host)->color = REPORT_YELLOW;
		snprintf(rows[k].text, sizeof rows[k].text, "(drops a packet: %s)", o->reason);
	}
	for (size_t i = 0; i < k; i++)
		rows[i].order = (int)i;
	qsort(rows, k, sizeof *rows, by_time);
	return k;
}

/* The ladder: one lifeline per host, packets as arrows between them, each host's syscalls,
 * events, exits and socket states beside its lifeline (left of the first, right of the
 * others), times in ms at the left. One row per happening, so nothing overlaps. */
/* One row of the ladder: the lifelines, and the row's arrow (between two columns) or text
 * (beside one); line is scratch of width bytes. The text alone is coloured. */
static void put_row(FILE *out, const struct row *w, const int *pos, int ncols, char *line, size_t width,
		    const char *indent, bool color)
{
	size_t len = strlen(w->text), cfrom = 0, cto = 0, end;

	memset(line, ' ', width);
	for (int k = 0; k < ncols; k++)
		line[pos[k]] = '|';
	if (w->from != w->to) {
		int a = pos[w->from < w->to ? w->from : w->to], b = pos[w->from < w->to ? w->to : w->from];
		memset(line + a + 1, '-', (size_t)(b - a - 1));
		if (w->from < w->to)
			line[b - 1] = '>';
		else
			line[a + 1] = '<';
		size_t at = (size_t)a + 1 + ((size_t)(b - a - 1) - len - 2) / 2;
		line[at] = ' ';
		memcpy(line + at + 1, w->text, len);
		line[at + 1 + len] = ' ';
		cfrom = (size_t)a + 1, cto = (size_t)b;
	} else if (w->from == 0) {
		size_t at = len + 1 < (size_t)pos[0] ? (size_t)pos[0] - 1 - len : 0;
		memcpy(line + at, w->text, len);
		cfrom = at, cto = at + len;
	} else {
		memcpy(line + pos[w->from] + 2, w->text, len);
		cfrom = (size_t)pos[w->from] + 2, cto = cfrom + len;
	}
	end = width;
	while (end && line[end - 1] == ' ')
		end--;
	if (cto > end)
		cto = end;
	fprintf(out, "%s%9.3f  ", indent, w->t);
	if (color && w->color && cfrom < cto)
		fprintf(out, "%.*s%s%.*s%s%.*s\n", (int)cfrom, line, w->color, (int)(cto - cfrom), line + cfrom, REPORT_RESET,
			(int)(end - cto), line + cto);
	else
		fprintf(out, "%.*s\n", (int)end, line);
}

void report_ladder(FILE *out, const struct result *r, const char *indent, bool color)
{
	struct cols c;
	struct row *rows;
	size_t n, left = 12, arrow = 32;
	int pos[MAX_COLS];

	find_cols(r, &c);
	n = ladder_rows(r, &c, &rows);
	if (!rows)
		return;
	if (n == 0 || c.n == 0) {
		fprintf(out, "%s(nothing was observed)\n", indent);
		free(rows);
		return;
	}
	for (size_t i = 0; i < n; i++) {
		size_t len = strlen(rows[i].text);
		if (rows[i].from != rows[i].to && len + 10 > arrow)
			arrow = len + 10;
		if (rows[i].from == rows[i].to && rows[i].from == 0 && len + 2 > left)
			left = len + 2 > 40 ? 40 : len + 2;
	}
	for (int i = 0; i < c.n; i++)
		pos[i] = (int)(left + (size_t)i * (arrow + 1));
	size_t width = (size_t)pos[c.n - 1] + 1 + sizeof rows[0].text + 2;
	char *line = malloc(width + 1);
	if (!line) {
		free(rows);
		return;
	}

	/* The header: each host's name centred over its lifeline. */
	memset(line, ' ', width);
	for (int i = 0; i < c.n; i++) {
		size_t len = strlen(c.name[i]);
		int at = pos[i] - (int)len / 2;
		memcpy(line + (at < 0 ? 0 : at), c.name[i], len);
	}
	size_t end = width;
	while (end && line[end - 1] == ' ')
		end--;
	fprintf(out, "%s%9s  %.*s\n", indent, "ms", (int)end, line);

	for (size_t i = 0; i < n; i++)
		put_row(out, &rows[i], pos, c.n, line, width, indent, color);
	free(line);
	free(rows);
}
