/* SPDX-License-Identifier: MIT */
/*
 * The mermaid format: each result as a Mermaid sequence diagram in a Markdown code fence, to
 * paste into GitHub Markdown (one participant per host, in report_columns order; packets as
 * messages; calls, faults, deaths, socket states and dropped packets as notes over their host; an RST
 * with the kernel's reason, a packet sent again with its kind). And the GitHub
 * step summary: when GITHUB_STEP_SUMMARY names a file, a Markdown table of the runs and their
 * verdicts, then the failures, appended to it whatever the format.
 *
 * Invariants: a text from a result reaches a diagram only through mermaid_text (every
 * character outside a small safe set becomes Mermaid's "#NNN;" entity, so no text ends a
 * message, a statement or the code fence), and the summary only through report_put_html.
 * Runs in the controller.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "graphic.h"
#include "peer.h"

/* A message or note text: letters, digits, spaces and harmless punctuation as they are,
 * everything else (';', '#', '`', '<', newlines, non-ASCII) as "#NNN;", invalid UTF-8 as
 * U+FFFD's entity. */
static void mermaid_text(FILE *out, const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	uint32_t cp;

	while (*p) {
		size_t n = report_utf8_next(p, &cp);
		if (n == 0)
			cp = 0xfffd, n = 1;
		if ((cp >= 'a' && cp <= 'z') || (cp >= 'A' && cp <= 'Z') || (cp >= '0' && cp <= '9') ||
		    (cp < 0x80 && strchr(" .,=:()[]*/+@!?_-", (int)cp)))
			fputc((int)cp, out);
		else if (cp < 0x20 || (cp >= 0x7f && cp <= 0x9f))
			fputc(' ', out);
		else
			fprintf(out, "#%u;", (unsigned)cp);
		p += n;
	}
}

static void note(FILE *out, int col, const char *text)
{
	fprintf(out, "    Note over h%d: ", col);
	mermaid_text(out, text);
	fputc('\n', out);
}

struct item {
	double t;
	size_t order;
	int kind;             /* 0 call, 1 packet, 2 event, 3 exit, 4 state, 5 drop: the text ladder's order */
	size_t index;
};

static int by_time(const void *a, const void *b)
{
	const struct item *x = a, *y = b;
	if (x->t != y->t)
		return x->t < y->t ? -1 : 1;
	return x->order < y->order ? -1 : x->order > y->order;
}

static void diagram(FILE *out, const struct result *r)
{
	struct report_columns c;
	size_t n = r->syscalls.n + r->packets.n + r->events.n + r->exits.n + r->states.n + r->drops.n, k = 0;
	struct item *items = calloc(n ? n : 1, sizeof *items);
	char text[256];

	if (!items)
		return;
	report_columns(r, &c);
	fputs("```mermaid\nsequenceDiagram\n", out);
	for (int i = 0; i < c.n; i++) {
		fprintf(out, "    participant h%d as ", i);
		mermaid_text(out, c.name[i]);
		if (c.addr[i][0]) {
			fputc(' ', out);
			mermaid_text(out, c.addr[i]);
		}
		fputc('\n', out);
	}
#define ITEMS(arr, kind_) for (size_t i = 0; i < (arr).n; i++, k++) \
		items[k] = (struct item){ .t = (arr).v[i].t_ms, .order = k, .kind = kind_, .index = i }
	ITEMS(r->syscalls, 0);
	ITEMS(r->packets, 1);
	ITEMS(r->events, 2);
	ITEMS(r->exits, 3);
	ITEMS(r->states, 4);
	ITEMS(r->drops, 5);
#undef ITEMS
	qsort(items, n, sizeof *items, by_time);
	if (c.n == 0)
		fputs("    participant nothing as (nothing was observed)\n", out);
	for (size_t i = 0; i < n; i++) {
		size_t x = items[i].index;
		switch (items[i].kind) {
		case 0: {
			const struct result_syscall *o = &r->syscalls.v[x];
			const char *e = peer_errno_name(o->err), *prog = strchr(o->peer, '.');
			const char *sock = prog ? prog + 1 : o->socket;
			bool named = *sock && strcmp(sock, "main") != 0;
			snprintf(text, sizeof text, "%.3f %s%s%s%s%s = %lld%s%s", o->t_ms, named ? sock : "", named ? ": " : "",
				 o->call, *o->args ? " " : "", o->args, o->ret, e ? " " : "", e ? e : "");
			note(out, report_column_of(&c, o->peer), text);
			break;
		}
		case 1: {
			const struct result_packet *p = &r->packets.v[x];
			int a = report_column_of(&c, p->from), b = report_column_of(&c, p->to);
			int len = snprintf(text, sizeof text, "%.3f %s seq %lld", p->t_ms, p->flags, p->seq);
			if (strchr(p->flags, '.') && len >= 0 && (size_t)len < sizeof text)
				len += snprintf(text + len, sizeof text - (size_t)len, " ack %lld", p->ack);
			if (p->len && len >= 0 && (size_t)len < sizeof text)
				len += snprintf(text + len, sizeof text - (size_t)len, " len %lld", p->len);
			if (*p->reason && len >= 0 && (size_t)len < sizeof text)   /* why the kernel sent this RST */
				len += snprintf(text + len, sizeof text - (size_t)len, " (%s)", p->reason);
			if (*p->retransmit && len >= 0 && (size_t)len < sizeof text)
				snprintf(text + len, sizeof text - (size_t)len, " (%s)", result_retransmit_words(p->retransmit));
			/* An RST or ICMP error with a cross, the rest with an arrow. */
			fprintf(out, "    h%d%sh%d: ", a, p->icmp || strchr(p->flags, 'R') ? "-x" : "->>", b);
			mermaid_text(out, text);
			fputc('\n', out);
			break;
		}
		case 2:
			snprintf(text, sizeof text, "%.3f *** %s ***", r->events.v[x].t_ms, r->events.v[x].event);
			note(out, report_column_of(&c, r->events.v[x].host), text);
			break;
		case 3: {
			const struct result_exit *e = &r->exits.v[x];
			char words[120];
			report_exit_words(e, words, sizeof words);
			snprintf(text, sizeof text, "%.3f %s", e->t_ms, words);
			note(out, report_column_of(&c, e->peer), text);
			break;
		}
		case 4: {
			const struct result_state *s = &r->states.v[x];
			snprintf(text, sizeof text, "%.3f [%s :%d-:%d]", s->t_ms, s->state, s->local_port, s->remote_port);
			note(out, report_column_of(&c, s->host), text);
			break;
		}
		case 5:
			snprintf(text, sizeof text, "%.3f (drops a packet: %s)", r->drops.v[x].t_ms, r->drops.v[x].reason);
			note(out, report_column_of(&c, r->drops.v[x].host), text);
			break;
		}
	}
	fputs("```\n", out);
	free(items);
}

void report_mermaid(FILE *out, const struct report_results *rs, const struct report_options *o)
{
	for (size_t i = 0; i < rs->n; i++) {
		struct result *r = rs->get(rs->arg, i);
		if (!r)
			continue;
		/* The heading is Markdown: escaped as a table cell is. */
		fputs("### ", out);
		report_put_html(out, r->name, true);
		fputs(" (", out);
		report_put_html(out, r->family, true);
		fputc(')', out);
		if (o->repeat > 1)
			fprintf(out, " run %u", r->run);
		fprintf(out, ": %s\n\n", result_verdict_name(r->verdict));
		diagram(out, r);
		/* Below it, what the ladder cannot show: the kernel's reasons unavailable, and the rest. */
		for (size_t k = 0; k < r->notes.n; k++) {
			fputs("\nnote: ", out);
			report_put_html(out, r->notes.v[k], true);
			fputc('\n', out);
		}
		fputc('\n', out);
		rs->put(rs->arg, r);
	}
}

int report_step_summary(struct result *const *results, size_t n, const struct report_options *o)
{
	struct report_results rs = report_results_of(results, n);

	return report_step_summary_from(&rs, o);
}

int report_step_summary_from(const struct report_results *rs, const struct report_options *o)
{
	static const struct report_options plain = { .repeat = 1 };
	static const char *const mark[RESULT_VERDICTS] = { [RESULT_PASS] = "✅", [RESULT_FAIL] = "❌",
							   [RESULT_ERROR] = "⚠️", [RESULT_SKIPPED] = "⏭️" };
	const char *path = getenv("GITHUB_STEP_SUMMARY");
	unsigned count[RESULT_VERDICTS] = { 0 };
	FILE *out;

	if (!path || !*path)
		return 0;
	if (!o)
		o = &plain;
	if (!(out = fopen(path, "ae")))
		return -errno;
	for (size_t i = 0; i < rs->n; i++) {
		struct result *r = rs->get(rs->arg, i);
		if (r) {
			count[r->verdict]++;
			rs->put(rs->arg, r);
		}
	}
	fprintf(out, "### tcpfault: %u passed, %u failed, %u errors", count[RESULT_PASS], count[RESULT_FAIL],
		count[RESULT_ERROR]);
	if (count[RESULT_SKIPPED])
		fprintf(out, ", %u skipped", count[RESULT_SKIPPED]);
	fputs("\n\n", out);
	fputs("| scenario | mode | family | verdict | ms | summary |\n|---|---|---|---|---:|---|\n", out);
	for (size_t i = 0; i < rs->n; i++) {
		struct result *r = rs->get(rs->arg, i);
		if (!r)
			continue;
		fputs("| ", out);
		report_put_html(out, r->name, true);
		if (o->repeat > 1)
			fprintf(out, " run %u", r->run);
		fputs(" | ", out);
		report_put_html(out, r->mode, true);
		fputs(" | ", out);
		report_put_html(out, r->family, true);
		fprintf(out, " | %s %s | %.0f | ", mark[r->verdict], result_verdict_name(r->verdict), r->duration_ms);
		/* A skipped run: what this machine lacks, as the text report says it. */
		if (r->verdict == RESULT_SKIPPED)
			report_put_html(out, "this machine lacks: ", true);
		report_put_html(out, r->verdict == RESULT_SKIPPED ? r->missing : r->summary, true);
		fputs(" |\n", out);
		rs->put(rs->arg, r);
	}
	bool any = false;
	for (size_t i = 0; i < rs->n; i++) {
		struct result *r = rs->get(rs->arg, i);
		if (!r)
			continue;
		if (r->verdict == RESULT_PASS || r->verdict == RESULT_SKIPPED || !r->failures.n) {
			rs->put(rs->arg, r);
			continue;
		}
		if (!any)
			fputs("\n#### Failures\n", out);
		any = true;
		/* HTML inside Markdown: the text keeps its lines and cannot start Markdown. */
		fputs("\n<details open><summary>", out);
		report_put_html(out, r->name, true);
		fputs(" (", out);
		report_put_html(out, r->family, true);
		fputs(")</summary>\n\n<pre>", out);
		for (size_t k = 0; k < r->failures.n; k++) {
			report_put_html(out, r->failures.v[k], false);
			fputc('\n', out);
		}
		fputs("</pre>\n</details>\n", out);
		rs->put(rs->arg, r);
	}
	fputc('\n', out);
	return fclose(out) == 0 ? 0 : -errno;
}
