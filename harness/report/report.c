/* SPDX-License-Identifier: MIT */
/*
 * Reports: the results of a run (struct result, in job order) written for
 * people (text, with a ladder diagram under -v and explain), for scripts (json) and for CI
 * (JUnit XML, TAP 14). Every format says the same thing; json carries it all.
 *
 * Invariants: the text format ends with the line "N passed, N failed, N errors" (then ", N
 * skipped" when runs were skipped; followed, with --repeat, by the line naming what varied); every string that reaches XML or YAML goes
 * through one escaper, and every output is valid UTF-8 whatever bytes the results hold.
 * Colour codes appear only when the caller asks for them (report_color_wanted). A result may
 * be partial (a worker that died yields only name, mode, family, summary, verdict and failures).
 * Runs in the controller process, after all workers are done.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "report.h"
#include "graphic.h"
#include "peer.h"

#define RED REPORT_RED
#define GREEN REPORT_GREEN
#define RESET REPORT_RESET

int report_format_from_name(const char *name)
{
	static const char *const names[] = { [REPORT_TEXT] = "text", [REPORT_JSON] = "json",
					     [REPORT_JUNIT] = "junit", [REPORT_TAP] = "tap",
					     [REPORT_HTML] = "html", [REPORT_MERMAID] = "mermaid" };
	for (int i = 0; i < (int)(sizeof names / sizeof names[0]); i++)
		if (strcmp(name, names[i]) == 0)
			return i;
	return -1;
}

bool report_color_wanted(FILE *out)
{
	const char *nc = getenv("NO_COLOR");
	int fd = fileno(out);

	/* no-color.org: NO_COLOR set to anything but the empty string turns colours off. */
	return !(nc && *nc) && fd >= 0 && isatty(fd);
}

/* "sigkill (inet)", with " [run 2/3]" when scenarios are repeated. */
static void display_name(const struct result *r, const struct report_options *o, char *buf, size_t len)
{
	int n = snprintf(buf, len, "%s (%s)", r->name, r->family);
	if (o->repeat > 1 && n >= 0 && (size_t)n < len)
		snprintf(buf + n, len - (size_t)n, " [run %u/%u]", r->run, o->repeat);
}

/* ---- UTF-8 ---- */

/* Length of the valid UTF-8 sequence at s (1-4) and its code point, or 0 if s starts an
 * invalid one (overlong forms, surrogates and values past U+10FFFF are invalid). */
size_t report_utf8_next(const unsigned char *s, uint32_t *ret_cp)
{
	unsigned char c = s[0];
	unsigned char lo = 0x80, hi = 0xbf;
	size_t n;
	uint32_t cp;

	if (c < 0x80) {
		*ret_cp = c;
		return 1;
	}
	if (c >= 0xc2 && c <= 0xdf)
		n = 2, cp = c & 0x1f;
	else if (c >= 0xe0 && c <= 0xef)
		n = 3, cp = c & 0x0f, lo = c == 0xe0 ? 0xa0 : 0x80, hi = c == 0xed ? 0x9f : 0xbf;
	else if (c >= 0xf0 && c <= 0xf4)
		n = 4, cp = c & 0x07, lo = c == 0xf0 ? 0x90 : 0x80, hi = c == 0xf4 ? 0x8f : 0xbf;
	else
		return 0;
	for (size_t i = 1; i < n; i++) {
		unsigned char b = s[i];
		if (b < (i == 1 ? lo : 0x80) || b > (i == 1 ? hi : 0xbf))
			return 0;
		cp = cp << 6 | (b & 0x3f);
	}
	*ret_cp = cp;
	return n;
}

#define REPLACEMENT "\xef\xbf\xbd" /* U+FFFD */

/* One code point (its bytes at p, n long) written as a format needs; flag is the format's. */
typedef void put_cp_fn(FILE *out, uint32_t cp, const unsigned char *p, size_t n, bool flag);

/* Writes s one code point at a time through put_cp; invalid UTF-8 becomes bad. */
static void put_each(FILE *out, const char *s, const char *bad, put_cp_fn *put_cp, bool flag)
{
	const unsigned char *p = (const unsigned char *)s;
	uint32_t cp;

	while (*p) {
		size_t n = report_utf8_next(p, &cp);
		if (n == 0) {
			fputs(bad, out);
			p++;
			continue;
		}
		put_cp(out, cp, p, n, flag);
		p += n;
	}
}

static void cp_plain(FILE *out, uint32_t cp, const unsigned char *p, size_t n, bool flag)
{
	fwrite(p, 1, n, out);
}

/* Writes s with every invalid UTF-8 sequence replaced by U+FFFD. */
static void put_utf8(FILE *out, const char *s)
{
	put_each(out, s, REPLACEMENT, cp_plain, false);
}

/* XML 1.0: markup escaped; characters XML forbids (controls other than tab, newline and
 * return; U+FFFE, U+FFFF) replaced by U+FFFD. In attributes (flag), tab, newline and return
 * become references so parsers keep them. */
static void cp_xml(FILE *out, uint32_t cp, const unsigned char *p, size_t n, bool attr)
{
	switch (cp) {
	case '&': fputs("&amp;", out); break;
	case '<': fputs("&lt;", out); break;
	case '>': fputs("&gt;", out); break;
	case '"': fputs("&quot;", out); break;
	case '\'': fputs("&apos;", out); break;
	case '\t': fputs(attr ? "&#9;" : "\t", out); break;
	case '\n': fputs(attr ? "&#10;" : "\n", out); break;
	case '\r': fputs("&#13;", out); break;
	default:
		if (cp < 0x20 || cp == 0xfffe || cp == 0xffff)
			fputs(REPLACEMENT, out);
		else
			fwrite(p, 1, n, out);
	}
}

/* XML 1.0 text or attribute value; invalid UTF-8 replaced by U+FFFD. */
static void put_xml(FILE *out, const char *s, bool attr)
{
	put_each(out, s, REPLACEMENT, cp_xml, attr);
}

void report_put_xml(FILE *out, const char *s, bool attr)
{
	put_xml(out, s, attr);
}

/* YAML double-quoted scalar content: non-printable characters become escapes. */
static void cp_yaml(FILE *out, uint32_t cp, const unsigned char *p, size_t n, bool flag)
{
	if (cp == '"' || cp == '\\')
		fprintf(out, "\\%c", (char)cp);
	else if (cp == '\n')
		fputs("\\n", out);
	else if (cp == '\t')
		fputs("\\t", out);
	else if (cp == '\r')
		fputs("\\r", out);
	else if (cp < 0x20 || (cp >= 0x7f && cp <= 0x9f))
		fprintf(out, "\\x%02X", (unsigned)cp);
	else if (cp == 0x2028 || cp == 0x2029 || cp == 0xfeff || cp == 0xfffe || cp == 0xffff)
		fprintf(out, "\\u%04X", (unsigned)cp);
	else
		fwrite(p, 1, n, out);
}

/* A YAML double-quoted scalar: safe whatever s holds (quotes, backslashes, newlines,
 * controls, '#', ': ', leading '-' or '*'). */
static void put_yaml(FILE *out, const char *s)
{
	fputc('"', out);
	put_each(out, s, "\\uFFFD", cp_yaml, false);
	fputc('"', out);
}

/* TAP 14 description: '#' and '\' escaped, controls (newlines included) turned into spaces. */
static void cp_tap(FILE *out, uint32_t cp, const unsigned char *p, size_t n, bool flag)
{
	if (cp == '#' || cp == '\\')
		fprintf(out, "\\%c", (char)cp);
	else if (cp < 0x20 || cp == 0x7f)
		fputc(' ', out);
	else
		fwrite(p, 1, n, out);
}

/* A TAP test point description: one line; invalid UTF-8 into U+FFFD. */
static void put_tap_desc(FILE *out, const char *s)
{
	put_each(out, s, REPLACEMENT, cp_tap, false);
}

/* The first line of the first failure, or fallback. Returned in buf. */
static const char *first_line(const struct result *r, const char *fallback, char *buf, size_t len)
{
	const char *msg = r->failures.n ? r->failures.v[0] : "";
	size_t n = strcspn(msg, "\n");

	if (n == 0)
		return fallback;
	snprintf(buf, len, "%.*s", (int)n, msg);
	return buf;
}

/* A skipped run's reason: "this machine lacks: X" (X: its 'missing'), in buf. */
static const char *lacks(const struct result *r, char *buf, size_t len)
{
	snprintf(buf, len, "this machine lacks: %s", *r->missing ? r->missing : "(the result does not say what)");
	return buf;
}

/* ---- text ---- */

/* Writes s indented, each of its lines after the first also indented. */
static void put_indented(FILE *out, const char *indent, const char *s)
{
	fputs(indent, out);
	for (const char *c = s; *c; c++) {
		fputc(*c, out);
		if (*c == '\n')
			fputs(indent, out);
	}
	fputc('\n', out);
}

/* "  label  text", the text wrapped at about 100 columns under itself. */
static void put_wrapped(FILE *out, const char *label, const char *s)
{
	const int col = 6 + 14, width = 100;
	int at = fprintf(out, "      %-14s", label);

	while (*s) {
		while (*s == ' ' || *s == '\n')
			s++;
		size_t word = strcspn(s, " \n");
		if (!word)
			break;
		if (at > col && at + 1 + (int)word > width) {
			fprintf(out, "\n%*s", col, "");
			at = col;
		} else if (at > col) {
			at += fprintf(out, " ");
		}
		at += fprintf(out, "%.*s", (int)word, s);
		s += word;
	}
	fputc('\n', out);
}

/* "client 198.18.0.1, server 198.18.0.2": each host and its address in the run's family. */
static void put_hosts(FILE *out, const struct result *r)
{
	for (size_t k = 0; k < r->hosts.n; k++) {
		const char *a = result_host_addr(r, k);
		fprintf(out, "%s%s%s%s", k ? ", " : "", r->hosts.v[k].name, *a ? " " : "", a);
	}
}

bool report_delta_first(const struct result *r, size_t k)
{
	for (size_t j = 0; j < k; j++)
		if (strcmp(r->counter_deltas.v[j].host, r->counter_deltas.v[k].host) == 0)
			return false;
	return true;
}

/* Without the kernel's reasons: per host, the TCP counters that changed in the run. */
static void text_deltas(FILE *out, const struct result *r)
{
	fputs("      TCP counters that changed (in place of the kernel's reasons):\n", out);
	for (size_t k = 0; k < r->counter_deltas.n; k++) {
		const char *host = r->counter_deltas.v[k].host;
		if (!report_delta_first(r, k))
			continue;
		char *text = NULL;
		size_t len = 0;
		FILE *m = open_memstream(&text, &len);
		for (size_t j = k; m && j < r->counter_deltas.n; j++)
			if (strcmp(r->counter_deltas.v[j].host, host) == 0)
				fprintf(m, "%s%s %+lld", j > k ? ", " : "", r->counter_deltas.v[j].name,
					r->counter_deltas.v[j].value);
		if (m && fclose(m) == 0) {
			char label[40];
			snprintf(label, sizeof label, "%.30s:", host);
			put_wrapped(out, label, text);
		}
		free(text);
	}
	fputc('\n', out);
}

static void text_result(FILE *out, const struct result *r, const struct report_options *o)
{
	static const char *const label[RESULT_VERDICTS] = { [RESULT_PASS] = "PASS", [RESULT_FAIL] = "FAIL",
							    [RESULT_ERROR] = "ERROR", [RESULT_SKIPPED] = "SKIP" };
	static const char *const colour[RESULT_VERDICTS] = { [RESULT_PASS] = GREEN, [RESULT_FAIL] = RED,
							     [RESULT_ERROR] = RED, [RESULT_SKIPPED] = REPORT_YELLOW };
	enum result_verdict v = r->verdict;
	char name[160], why[1024];

	display_name(r, o, name, sizeof name);
	if (o->color)
		fprintf(out, "%s%-5s%s", colour[v], label[v], RESET);
	else
		fprintf(out, "%-5s", label[v]);
	/* A skipped run's line says what this machine lacks in place of the summary. */
	fprintf(out, " %-32s %-4s %8.0f ms  %s\n", name, r->mode, r->duration_ms,
		v == RESULT_SKIPPED ? lacks(r, why, sizeof why) : r->summary);
	for (size_t k = 0; k < r->failures.n; k++)
		put_indented(out, "      ", r->failures.v[k]);
	if (o->verbose || o->explain || v != RESULT_PASS)
		for (size_t k = 0; k < r->notes.n; k++)
			fprintf(out, "      note: %s\n", r->notes.v[k]);
	/* Where the ladder or a failure names hosts: what each is on the wire (and in a capture). */
	if ((o->verbose || o->explain || v != RESULT_PASS) && r->hosts.n && !report_not_run(r)) {
		fputs("      hosts: ", out);
		put_hosts(out, r);
		fputc('\n', out);
	}
	if (o->verbose || o->explain) {
		fputc('\n', out);
		report_ladder(out, r, "  ", o->color);
		fputc('\n', out);
		/* Counters carry no time: they follow the ladder. */
		for (size_t k = 0; k < r->counters.n; k++) {
			const struct result_counter *c = &r->counters.v[k];
			fprintf(out, "      counter: %s %s = %lld\n", c->host, c->name, c->value);
		}
		if (r->counters.n)
			fputc('\n', out);
	}
	if ((o->verbose || o->explain || v != RESULT_PASS) && r->counter_deltas.n)
		text_deltas(out, r);
	if (o->explain) {
		const char *claim = r->claim, *lx = r->linux_says;
		put_wrapped(out, "The claim:", *claim ? claim : "(the scenario file states none)");
		put_wrapped(out, "Linux does:", *lx ? lx : "(the scenario file states none: the ladder above is what it did)");
	}
	if ((o->verbose || o->explain) && *r->timers)
		put_wrapped(out, "Timers:", r->timers);
	if (o->explain)
		fputc('\n', out);
}

static int by_string(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Appends "key" to the list of distinct keys (keys[*n]), and text to that key's sequence
 * (seq[]), unless control and the sequence already ends with text (a repetition: a retransmitted
 * FIN, a loop of reads). Returns 0 or -ENOMEM. */
static int add_to(char **keys, char **seq, size_t *n, char *key, const char *text, bool collapse)
{
	size_t f = 0;

	while (f < *n && strcmp(keys[f], key) != 0)
		f++;
	if (f == *n)
		keys[(*n)++] = key;
	else
		free(key);
	const char *old = seq[f] ? seq[f] : "";
	size_t ol = strlen(old), tl = strlen(text);
	if (collapse && ol >= tl + 1 && strncmp(old + ol - tl - 1, text, tl) == 0 && old[ol - 1] == ',' &&
	    (ol == tl + 1 || old[ol - tl - 2] == ','))
		return 0;
	char *grown = NULL;
	if (asprintf(&grown, "%s%s,", old, text) < 0)
		return -ENOMEM;
	free(seq[f]);
	seq[f] = grown;
	return 0;
}

/*
 * What --repeat compares between runs (control), or what it notes (!control), as one string;
 * NULL if out of memory.
 *   control: the verdict; each connection's control packets (S, F, R, with the ACK flag: the
 *   flags less P, U, E, W), in order, a repetition counting once (retransmissions are timing);
 *   each socket's calls as "call=-1 ERRNO", "call=0" or "call>0" (how many bytes a read got
 *   is the data pattern; 0 is an end of file), repetitions once, EAGAIN left out (how often a
 *   non-blocking program finds nothing to read is timing).
 *   !control: the same with every packet's flags and every call's exact result.
 * A connection is its two hosts and two ports (the router's ICMP errors about one are a
 * sequence of their own); a socket its peer or program, its name and its process (by order of
 * appearance: pids differ between runs). The sequences are sorted, not their ports
 * (ephemeral ones differ from run to run) nor how they interleave (two timers that fire on the
 * same tick go out in either order).
 */
static char *repeat_signature(const struct result *r, bool control)
{
	size_t n = r->packets.n + r->syscalls.n, nseq = 0;
	char **key = calloc(n ? n : 1, sizeof *key);
	char **seq = calloc(n ? n : 1, sizeof *seq);
	int *pids = calloc(r->syscalls.n ? r->syscalls.n : 1, sizeof *pids);     /* each process once */
	size_t *first = calloc(r->syscalls.n ? r->syscalls.n : 1, sizeof *first); /* its first call */
	size_t npids = 0;
	char *buf = NULL, *k = NULL, text[160];
	size_t len = 0;
	FILE *m = NULL;
	bool ok = key && seq && pids && first;

	for (size_t i = 0; ok && i < r->packets.n; i++) {
		const struct result_packet *p = &r->packets.v[i];
		unsigned a = (unsigned)p->sport, b = (unsigned)p->dport;
		const char *x = p->from, *y = p->to;
		bool swap = strcmp(x, y) > 0;
		char flags[32];
		size_t nf = 0;
		for (const char *c = p->flags; *c && nf + 1 < sizeof flags; c++)
			if (p->icmp || !control || strchr("SFR.", *c))
				flags[nf++] = *c;
		flags[nf] = 0;
		if (control && !p->icmp && !strpbrk(flags, "SFR"))
			continue;         /* data and ACKs: the pattern */
		snprintf(text, sizeof text, "%s>%s %s", p->from, p->to, flags);
		ok = asprintf(&k, "p %u %u %s %s", a < b ? a : b, a < b ? b : a, swap ? y : x, swap ? x : y) >= 0 &&
		     add_to(key, seq, &nseq, k, text, control) == 0;
	}
	for (size_t i = 0; ok && i < r->syscalls.n; i++) {
		const struct result_syscall *c = &r->syscalls.v[i];
		/* the process's rank among its program's, by first call: a forking server's parent
		 * and child keep their places whatever their pids */
		size_t at = 0, pid = 0;
		while (at < npids && !(pids[at] == c->pid && strcmp(r->syscalls.v[first[at]].peer, c->peer) == 0)) {
			pid += strcmp(r->syscalls.v[first[at]].peer, c->peer) == 0;
			at++;
		}
		if (at == npids) {
			first[npids] = i;
			pids[npids++] = c->pid;
		}
		const char *en = c->err ? peer_errno_name(c->err) : NULL;
		if (control && en && (c->err == EAGAIN || c->err == EWOULDBLOCK))
			continue;
		if (c->ret < 0)
			snprintf(text, sizeof text, "%s=%lld %s", c->call, c->ret, en ? en : "");
		else if (control)
			snprintf(text, sizeof text, "%s%s", c->call, c->ret ? ">0" : "=0");
		else
			snprintf(text, sizeof text, "%s=%lld", c->call, c->ret);
		ok = asprintf(&k, "c %s %s %zu", c->peer, c->socket, pid) >= 0 &&
		     add_to(key, seq, &nseq, k, text, control) == 0;
	}
	if (!ok || !(m = open_memstream(&buf, &len)))
		goto out;
	/* each sequence behind its key's kind and who: packets of one connection stay apart from
	 * calls, which keep their socket's name */
	for (size_t f = 0; f < nseq; f++) {
		char *joined = NULL;
		if (asprintf(&joined, "%s:%s", key[f][0] == 'c' ? key[f] : "p", seq[f]) < 0) {
			ok = false;
			break;
		}
		free(seq[f]);
		seq[f] = joined;
	}
	if (ok) {
		qsort(seq, nseq, sizeof *seq, by_string);
		fprintf(m, "%s|", result_verdict_name(r->verdict));
		for (size_t f = 0; f < nseq; f++)
			fprintf(m, "%s;", seq[f]);
	}
out:
	if (m && fclose(m) != 0)
		ok = false;
	for (size_t f = 0; seq && f < nseq; f++)
		free(seq[f]);
	for (size_t f = 0; key && f < nseq; f++)
		free(key[f]);
	free(seq);
	free(key);
	free(pids);
	free(first);
	if (!ok) {
		free(buf);
		return NULL;
	}
	return buf;
}

/* A signature's hash (FNV-1a, 64 bits): what --repeat keeps of each run, not the string. */
static uint64_t hash_of(const char *s)
{
	uint64_t h = 14695981039346656037ull;

	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211ull;
	return h;
}

/* What --repeat compares of one run: who it was and its signatures' hashes (known: false when
 * out of memory, which counts as a difference). */
struct run_key {
	char *who;                       /* file, name and family */
	uint64_t sig, full;
	bool known;
};

/* With --repeat: the line naming every scenario (and family) whose verdict, some connection's
 * control packets or some call's outcome was not the same in all its runs; then, as a note,
 * those where only the data/ACK pattern (or a call's byte count) differed. */
static void varied(FILE *out, const struct report_results *rs, const struct report_options *o)
{
	size_t n = rs->n, count = 0, npattern = 0;
	bool *seen = calloc(n ? n : 1, sizeof *seen);
	struct run_key *keys = calloc(n ? n : 1, sizeof *keys);
	char *names = NULL, *pattern = NULL;
	size_t nlen = 0, plen = 0;
	FILE *m = open_memstream(&names, &nlen), *pm = open_memstream(&pattern, &plen);

	if (!seen || !keys || !m || !pm)
		goto out;
	for (size_t i = 0; i < n; i++) {
		struct result *r = rs->get(rs->arg, i);
		if (!r) {
			seen[i] = true;
			continue;
		}
		char *sig = repeat_signature(r, true), *full = repeat_signature(r, false);
		if (asprintf(&keys[i].who, "%s%c%s%c%s", r->file, 0x1f, r->name, 0x1f, r->family) < 0)
			keys[i].who = NULL;
		keys[i].known = sig && full;
		keys[i].sig = sig ? hash_of(sig) : 0;
		keys[i].full = full ? hash_of(full) : 0;
		free(sig);
		free(full);
		rs->put(rs->arg, r);
		if (!keys[i].who)
			seen[i] = true;
	}
	for (size_t i = 0; i < n; i++) {
		if (seen[i])
			continue;
		const struct run_key *a = &keys[i];
		bool differs = false, pattern_differs = false;
		for (size_t k = i + 1; k < n; k++) {
			const struct run_key *b = &keys[k];
			if (seen[k] || strcmp(a->who, b->who))
				continue;
			seen[k] = true;
			differs |= !a->known || !b->known || a->sig != b->sig;
			pattern_differs |= !a->known || !b->known || a->full != b->full;
		}
		/* who is "file\x1fname\x1ffamily" */
		const char *name = strchr(a->who, 0x1f) + 1, *family = strchr(name, 0x1f) + 1;
		int nl = (int)(family - 1 - name);
		if (differs)
			fprintf(m, "%s%.*s (%s)", count++ ? ", " : "", nl, name, family);
		else if (pattern_differs)
			fprintf(pm, "%s%.*s (%s)", npattern++ ? ", " : "", nl, name, family);
	}
	fclose(m);
	fclose(pm);
	m = pm = NULL;
	if (count)
		fprintf(out, "%zu scenario%s varied across %u runs: %s\n", count, count == 1 ? "" : "s", o->repeat, names);
	else
		fprintf(out, "0 scenarios varied across %u runs\n", o->repeat);
	if (npattern)
		fprintf(out, "note: data/ACK pattern differed (timing, not counted as varied): %s\n", pattern);
out:
	if (m)
		fclose(m);
	if (pm)
		fclose(pm);
	for (size_t i = 0; keys && i < n; i++)
		free(keys[i].who);
	free(keys);
	free(names);
	free(pattern);
	free(seen);
}

/* Makes a string safe for a terminal, in place: control characters other than tab and
 * newline become '?' (a scenario file cannot send escape sequences to the terminal), invalid
 * UTF-8 becomes U+FFFD. */
static void scrub(char **s, void *arg)
{
	const unsigned char *p = (const unsigned char *)*s;
	char *buf = NULL;
	size_t len = 0;
	FILE *m = open_memstream(&buf, &len);
	uint32_t cp;

	(void)arg;
	if (!m)
		return;
	while (*p) {
		size_t n = report_utf8_next(p, &cp);
		if (n == 0)
			fputs(REPLACEMENT, m);
		else if ((cp < 0x20 && cp != '\t' && cp != '\n') || (cp >= 0x7f && cp <= 0x9f))
			fputc('?', m);
		else
			fwrite(p, 1, n, m);
		p += n ? n : 1;
	}
	if (fclose(m) == 0 && buf && strcmp(buf, *s) != 0) {
		free(*s);
		*s = buf;
		return;
	}
	free(buf);
}

bool report_not_run(const struct result *r)
{
	return r->partial && r->verdict == RESULT_ERROR && r->failures.n &&
	       strncmp(r->failures.v[0], REPORT_NOT_RUN, strlen(REPORT_NOT_RUN)) == 0;
}

/* The verdicts' counts (and runs not run, among the errors) and the total time in seconds. */
static void tally(const struct report_results *rs, unsigned count[RESULT_VERDICTS], unsigned *not_run, double *total)
{
	for (size_t i = 0; i < rs->n; i++) {
		struct result *r = rs->get(rs->arg, i);
		if (!r)
			continue;
		count[r->verdict]++;
		if (not_run)
			*not_run += report_not_run(r);
		if (total)
			*total += r->duration_ms / 1000.0;
		rs->put(rs->arg, r);
	}
}

/* The result's note that the kernel tracer could not run ("kernel reasons unavailable: needs
 * root..."), or NULL. */
static const char *reasons_unavailable(const struct result *r)
{
	for (size_t k = 0; k < r->notes.n; k++)
		if (strncmp(r->notes.v[k], "kernel reasons unavailable", 26) == 0)
			return r->notes.v[k];
	return NULL;
}

static void text(FILE *out, const struct report_results *rs, const struct report_options *o)
{
	unsigned count[RESULT_VERDICTS] = { 0 }, not_run = 0, untraced = 0, runs = 0;
	char *why = NULL;

	for (size_t i = 0; i < rs->n; i++) {
		struct result *raw = rs->get(rs->arg, i), *c;
		if (!raw)
			continue;
		/* A scrubbed copy; out of memory: the result unscrubbed rather than none. */
		const struct result *r = raw;
		if (result_dup(raw, &c) == 0) {
			result_each_string(c, scrub, NULL);
			r = c;
		}
		count[r->verdict]++;
		not_run += report_not_run(r);
		runs++;
		/* Said once below for the runs whose line shows no notes (passed, without -v). */
		const char *u = reasons_unavailable(r);
		if (u && r->verdict == RESULT_PASS && !o->verbose && !o->explain && untraced++ == 0)
			why = strdup(u);
		text_result(out, r, o);
		if (r != raw)
			result_free(c);
		rs->put(rs->arg, raw);
	}
	if (untraced)
		fprintf(out, "note: %s (%u of %u runs)\n", why ? why : "kernel reasons unavailable", untraced, runs);
	free(why);
	/* Tests and users grep the start of this line: skipped runs are added to its end. */
	fprintf(out, "%u passed, %u failed, %u errors", count[RESULT_PASS], count[RESULT_FAIL], count[RESULT_ERROR]);
	if (count[RESULT_SKIPPED])
		fprintf(out, ", %u skipped", count[RESULT_SKIPPED]);
	fputc('\n', out);
	if (not_run)
		fprintf(out, "%u not run (tcpfault was interrupted; counted among the errors)\n", not_run);
	if (o->repeat > 1)
		varied(out, rs, o);
}

/* ---- JUnit XML ---- */

static void junit(FILE *out, const struct report_results *rs, const struct report_options *o)
{
	unsigned count[RESULT_VERDICTS] = { 0 }, not_run = 0;
	double total = 0;
	size_t n = 0;

	tally(rs, count, &not_run, &total);
	for (int v = 0; v < RESULT_VERDICTS; v++)
		n += count[v];
	/* A run that never ran is skipped, not an error; so is one this machine lacks a feature for. */
	unsigned skipped = not_run + count[RESULT_SKIPPED];
	fputs("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n", out);
	fprintf(out, "<testsuites name=\"tcpfault\" tests=\"%zu\" failures=\"%u\" errors=\"%u\" time=\"%.3f\">\n",
		n, count[RESULT_FAIL], count[RESULT_ERROR] - not_run, total);
	fprintf(out, "  <testsuite name=\"tcpfault\" tests=\"%zu\" failures=\"%u\" errors=\"%u\" skipped=\"%u\" time=\"%.3f\">\n",
		n, count[RESULT_FAIL], count[RESULT_ERROR] - not_run, skipped, total);
	for (size_t i = 0; i < rs->n; i++) {
		struct result *r = rs->get(rs->arg, i);
		if (!r)
			continue;
		enum result_verdict v = r->verdict;
		char name[160], line[1024];

		display_name(r, o, name, sizeof name);
		fputs("    <testcase classname=\"tcpfault.", out);
		put_xml(out, r->mode, true);
		fputs("\" name=\"", out);
		put_xml(out, name, true);
		fprintf(out, "\" time=\"%.3f\">\n", r->duration_ms / 1000.0);
		if (report_not_run(r) || v == RESULT_SKIPPED) {
			fputs("      <skipped message=\"", out);
			put_xml(out, v == RESULT_SKIPPED ? lacks(r, line, sizeof line) : r->failures.v[0], true);
			fputs("\"/>\n", out);
		} else if (v != RESULT_PASS) {
			const char *tag = v == RESULT_FAIL ? "failure" : "error";
			fprintf(out, "      <%s message=\"", tag);
			put_xml(out, first_line(r, v == RESULT_FAIL ? "failed" : "could not run", line, sizeof line), true);
			fprintf(out, "\" type=\"%s\">", v == RESULT_FAIL ? "fail" : "error");
			for (size_t k = 0; k < r->failures.n; k++) {
				put_xml(out, r->failures.v[k], false);
				if (k + 1 < r->failures.n)
					fputc('\n', out);
			}
			fprintf(out, "</%s>\n", tag);
		}
		/* The same text the verbose text report prints for this result. */
		char *buf = NULL;
		size_t len = 0;
		FILE *m = open_memstream(&buf, &len);
		if (m) {
			struct report_options plain = { .verbose = true, .repeat = o->repeat };
			text_result(m, r, &plain);
			fclose(m);
			fputs("      <system-out>", out);
			put_xml(out, buf, false);
			fputs("</system-out>\n", out);
		}
		free(buf);
		fputs("    </testcase>\n", out);
		rs->put(rs->arg, r);
	}
	fputs("  </testsuite>\n</testsuites>\n", out);
}

/* ---- TAP 14 ---- */

static void tap(FILE *out, const struct report_results *rs, const struct report_options *o)
{
	fprintf(out, "TAP version 14\n1..%zu\n", rs->n);
	for (size_t i = 0; i < rs->n; i++) {
		struct result *r = rs->get(rs->arg, i);
		if (!r) {
			fprintf(out, "not ok %zu - (its result could not be read back)\n", i + 1);
			continue;
		}
		enum result_verdict v = r->verdict;
		char name[160], line[1024];

		display_name(r, o, name, sizeof name);
		/* A run that never ran, or one this machine lacks a feature for: a skipped test
		 * point, with the reason. */
		bool skip = report_not_run(r) || v == RESULT_SKIPPED;
		fprintf(out, "%s %zu - ", v == RESULT_PASS || skip ? "ok" : "not ok", i + 1);
		put_tap_desc(out, name);
		if (skip) {
			fputs(" # SKIP ", out);
			put_tap_desc(out, v == RESULT_SKIPPED ? lacks(r, line, sizeof line) : r->failures.v[0]);
		}
		fputc('\n', out);
		if (v == RESULT_PASS || skip) {
			rs->put(rs->arg, r);
			continue;
		}
		fputs("  ---\n  message: ", out);
		put_yaml(out, first_line(r, v == RESULT_FAIL ? "failed" : "could not run", line, sizeof line));
		fprintf(out, "\n  verdict: %s\n  mode: ", v == RESULT_FAIL ? "fail" : "error");
		put_yaml(out, r->mode);
		fputs("\n  file: ", out);
		put_yaml(out, r->file);
		fprintf(out, "\n  duration_ms: %.3f\n", r->duration_ms);
		if (r->hosts.n) {
			char *hosts = NULL;
			size_t len = 0;
			FILE *m = open_memstream(&hosts, &len);
			if (m) {
				put_hosts(m, r);
				fclose(m);
				fputs("  hosts: ", out);
				put_yaml(out, hosts);
				fputc('\n', out);
			}
			free(hosts);
		}
		if (r->failures.n) {
			/* One string, not a sequence: Perl's TAP::Parser (prove) reads a quoted sequence
			 * item holding ": " as a mapping and gives up. */
			char *all = NULL;
			size_t len = 0;
			FILE *m = open_memstream(&all, &len);
			if (m) {
				for (size_t k = 0; k < r->failures.n; k++)
					fprintf(m, "%s%s", k ? "\n" : "", r->failures.v[k]);
				fclose(m);
				fputs("  details: ", out);
				put_yaml(out, all);
				fputc('\n', out);
			}
			free(all);
		}
		fputs("  ...\n", out);
		rs->put(rs->arg, r);
	}
}

/* The json format: every result through the JSON contract (result_to_json), one at a time
 * (the whole document is never in memory). */
static void json(FILE *out, const struct report_results *rs)
{
	json_object *j;
	bool first = true;

	fputs("{\n  \"tcpfault\":\"" TCPFAULT_VERSION "\",\n  \"results\":[", out);
	for (size_t i = 0; i < rs->n; i++) {
		struct result *r = rs->get(rs->arg, i);
		if (r && result_to_json(r, &j) == 0) {
			/* json-c passes bytes through; JSON must be UTF-8. Each result indented as the
			 * whole document's pretty printing would. */
			const char *txt = json_object_to_json_string_ext(j, JSON_C_TO_STRING_PRETTY |
									    JSON_C_TO_STRING_NOSLASHESCAPE);
			fputs(first ? "\n    " : ",\n    ", out);
			first = false;
			for (const char *p = txt, *nl; *p; p = nl + 1) {
				nl = strchr(p, '\n');
				char *line = strndup(p, nl ? (size_t)(nl - p) : strlen(p));
				if (line)
					put_utf8(out, line);
				free(line);
				if (!nl)
					break;
				fputs("\n    ", out);
			}
			json_object_put(j);
		}
		if (r)
			rs->put(rs->arg, r);
	}
	fputs(first ? "\n  ]\n}\n" : "\n  ]\n}\n", out);
}

static struct result *array_get(void *arg, size_t i)
{
	return ((struct result *const *)arg)[i];
}

static void array_put(void *arg, struct result *r)
{
	(void)arg;
	(void)r;
}

struct report_results report_results_of(struct result *const *results, size_t n)
{
	return (struct report_results){ .n = n, .get = array_get, .put = array_put, .arg = (void *)results };
}

void report_write_from(FILE *out, enum report_format f, const struct report_results *rs,
		       const struct report_options *o)
{
	static const struct report_options plain = { .repeat = 1 };

	if (!o)
		o = &plain;
	switch (f) {
	case REPORT_JSON:
		json(out, rs);
		break;
	case REPORT_JUNIT:
		junit(out, rs, o);
		break;
	case REPORT_TAP:
		tap(out, rs, o);
		break;
	case REPORT_HTML:
		report_html(out, rs, o);
		break;
	case REPORT_MERMAID:
		report_mermaid(out, rs, o);
		break;
	case REPORT_TEXT:
	default:
		text(out, rs, o);
	}
}

void report_write(FILE *out, enum report_format f, struct result *const *results, size_t n,
		  const struct report_options *o)
{
	struct report_results rs = report_results_of(results, n);

	report_write_from(out, f, &rs, o);
}
