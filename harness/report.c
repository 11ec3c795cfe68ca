/* SPDX-License-Identifier: MIT */
/*
 * Reports: the results of a run (a json array of result objects, in job order) written for
 * people (text, with a ladder diagram under -v and explain), for scripts (json) and for CI
 * (JUnit XML, TAP 14). Every format says the same thing; json carries it all.
 *
 * Invariants: the text format ends with the line "N passed, N failed, N errors" (followed,
 * with --repeat, by the line naming what varied); every string that reaches XML or YAML goes
 * through one escaper, and every output is valid UTF-8 whatever bytes the results hold.
 * Colour codes appear only when the caller asks for them (report_color_wanted). A result may
 * lack any field (a worker that died yields only name, verdict and failures).
 * Runs in the controller process, after all workers are done.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "harness.h"

#define RED "\033[31m"
#define GREEN "\033[32m"
#define YELLOW "\033[33m"
#define BOLD "\033[1m"
#define RESET "\033[0m"

int report_format_from_name(const char *name)
{
	static const char *const names[] = { [REPORT_TEXT] = "text", [REPORT_JSON] = "json",
					     [REPORT_JUNIT] = "junit", [REPORT_TAP] = "tap" };
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

static const char *str(json_object *o, const char *key)
{
	json_object *v = json_object_object_get(o, key);
	const char *s = v ? json_object_get_string(v) : NULL;
	return s ? s : "";
}

static double num(json_object *o, const char *key)
{
	return json_object_get_double(json_object_object_get(o, key));
}

static long long i64(json_object *o, const char *key)
{
	return (long long)json_object_get_int64(json_object_object_get(o, key));
}

/* The array under key, or NULL: the result of a worker that died has none. */
static json_object *arr(json_object *o, const char *key)
{
	json_object *v = json_object_object_get(o, key);
	return json_object_is_type(v, json_type_array) ? v : NULL;
}

static size_t alen(json_object *a)
{
	return a ? json_object_array_length(a) : 0;
}

static const char *arr_str(json_object *a, size_t i)
{
	const char *s = json_object_get_string(json_object_array_get_idx(a, i));
	return s ? s : "";
}

enum verdict { V_PASS, V_FAIL, V_ERROR };

static enum verdict verdict_of(json_object *r)
{
	const char *v = str(r, "verdict");
	return strcmp(v, "pass") == 0 ? V_PASS : strcmp(v, "fail") == 0 ? V_FAIL : V_ERROR;
}

/* "sigkill (inet)", with " [run 2/3]" when scenarios are repeated. */
static void display_name(json_object *r, const struct report_options *o, char *buf, size_t len)
{
	int n = snprintf(buf, len, "%s (%s)", str(r, "name"), str(r, "family"));
	if (o->repeat > 1 && n >= 0 && (size_t)n < len)
		snprintf(buf + n, len - (size_t)n, " [run %lld/%u]", i64(r, "run"), o->repeat);
}

/* ---- UTF-8 ---- */

/* Length of the valid UTF-8 sequence at s (1-4) and its code point, or 0 if s starts an
 * invalid one (overlong forms, surrogates and values past U+10FFFF are invalid). */
static size_t utf8_next(const unsigned char *s, uint32_t *ret_cp)
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
		size_t n = utf8_next(p, &cp);
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
static const char *first_line(json_object *r, const char *fallback, char *buf, size_t len)
{
	json_object *f = arr(r, "failures");
	const char *msg = alen(f) ? arr_str(f, 0) : "";
	size_t n = strcspn(msg, "\n");

	if (n == 0)
		return fallback;
	snprintf(buf, len, "%.*s", (int)n, msg);
	return buf;
}

/* ---- the ladder diagram ---- */

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

/* The columns: the result's "hosts" if it has them; otherwise client, then server, then any
 * other host in the order it first appears. */
static void find_cols(json_object *r, struct cols *c)
{
	static const char *const keys[][2] = { { "syscalls", "peer" }, { "packets", "from" }, { "packets", "to" },
					       { "events", "host" }, { "exits", "peer" }, { "states", "host" } };
	json_object *h = arr(r, "hosts");

	c->n = 0;
	for (size_t i = 0; i < alen(h); i++)
		col_of(c, arr_str(h, i), true);
	if (c->n)
		return;
	bool client = false, server = false;
	for (size_t k = 0; k < sizeof keys / sizeof keys[0]; k++)
		for (size_t i = 0; i < alen(arr(r, keys[k][0])); i++) {
			const char *n = str(json_object_array_get_idx(arr(r, keys[k][0]), i), keys[k][1]);
			client |= strcmp(n, "client") == 0;
			server |= strcmp(n, "server") == 0;
		}
	if (client)
		col_of(c, "client", true);
	if (server)
		col_of(c, "server", true);
	for (size_t k = 0; k < sizeof keys / sizeof keys[0]; k++)
		for (size_t i = 0; i < alen(arr(r, keys[k][0])); i++)
			col_of(c, str(json_object_array_get_idx(arr(r, keys[k][0]), i), keys[k][1]), true);
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
static void packet_label(json_object *p, bool ports, char *buf, size_t len)
{
	const char *f = str(p, "flags");
	int n = snprintf(buf, len, "%s seq %lld", f, i64(p, "seq"));
	if (strchr(f, '.') && n >= 0 && (size_t)n < len)
		n += snprintf(buf + n, len - (size_t)n, " ack %lld", i64(p, "ack"));
	if (i64(p, "len") && n >= 0 && (size_t)n < len)
		n += snprintf(buf + n, len - (size_t)n, " len %lld", i64(p, "len"));
	if (ports && n >= 0 && (size_t)n < len)
		snprintf(buf + n, len - (size_t)n, "  %lld>%lld", i64(p, "sport"), i64(p, "dport"));
}

/* Whether the packets belong to more than one connection (port pair, either way round). */
static bool several_connections(json_object *pk)
{
	long long a = -1, b = -1;

	for (size_t i = 0; i < alen(pk); i++) {
		json_object *p = json_object_array_get_idx(pk, i);
		long long s = i64(p, "sport"), d = i64(p, "dport");
		if (a < 0)
			a = s, b = d;
		else if (!((s == a && d == b) || (s == b && d == a)))
			return true;
	}
	return false;
}

static struct row *note_row(struct row *w, struct cols *c, json_object *o, const char *hostkey)
{
	*w = (struct row){ .t = num(o, "t_ms") };
	w->from = w->to = col_of(c, str(o, hostkey), true);
	return w;
}

/* Collects the rows, in time order. Returns the count; *ret is malloc'd. */
static size_t ladder_rows(json_object *r, struct cols *c, struct row **ret)
{
	json_object *sys = arr(r, "syscalls"), *pk = arr(r, "packets"), *ev = arr(r, "events");
	json_object *ex = arr(r, "exits"), *st = arr(r, "states");
	size_t n = alen(sys) + alen(pk) + alen(ev) + alen(ex) + alen(st), k = 0;
	struct row *rows = calloc(n ? n : 1, sizeof *rows);

	bool ports = several_connections(pk);

	*ret = rows;
	if (!rows)
		return 0;
	for (size_t i = 0; i < alen(sys); i++, k++) {
		json_object *o = json_object_array_get_idx(sys, i);
		const char *sock = str(o, "socket"), *e = str(o, "errno"), *prog = strchr(str(o, "peer"), '.');
		if (prog)   /* a program's call: its name, not its fd */
			sock = prog + 1;
		note_row(&rows[k], c, o, "peer");
		snprintf(rows[k].text, sizeof rows[k].text, "%s%s%s = %lld%s%s", strcmp(sock, "main") && *sock ? sock : "",
			 strcmp(sock, "main") && *sock ? ": " : "", str(o, "call"), i64(o, "ret"), *e ? " " : "", e);
	}
	for (size_t i = 0; i < alen(pk); i++, k++) {
		json_object *o = json_object_array_get_idx(pk, i);
		const char *f = str(o, "flags");
		rows[k] = (struct row){ .t = num(o, "t_ms"), .from = col_of(c, str(o, "from"), true),
					.to = col_of(c, str(o, "to"), true),
					.color = strchr(f, 'R') ? RED : strchr(f, 'F') ? YELLOW : NULL };
		packet_label(o, ports, rows[k].text, sizeof rows[k].text);
		if (rows[k].from == rows[k].to) /* both ends unknown: say so in a column */
			snprintf(rows[k].text, sizeof rows[k].text, "packet %s > %s %s", str(o, "from"), str(o, "to"), f);
	}
	for (size_t i = 0; i < alen(ev); i++, k++) {
		json_object *o = json_object_array_get_idx(ev, i);
		note_row(&rows[k], c, o, "host")->color = BOLD;
		snprintf(rows[k].text, sizeof rows[k].text, "*** %s ***", str(o, "event"));
	}
	for (size_t i = 0; i < alen(ex); i++, k++) {
		json_object *o = json_object_array_get_idx(ex, i);
		const char *prog = strchr(str(o, "peer"), '.');
		note_row(&rows[k], c, o, "peer");
		if (json_object_object_get(o, "signal"))
			snprintf(rows[k].text, sizeof rows[k].text, "(%s killed by %s)", prog ? prog + 1 : "peer", str(o, "signal"));
		else
			snprintf(rows[k].text, sizeof rows[k].text, "(%s exited, status %s)", prog ? prog + 1 : "peer", str(o, "status"));
	}
	for (size_t i = 0; i < alen(st); i++, k++) {
		json_object *o = json_object_array_get_idx(st, i);
		note_row(&rows[k], c, o, "host");
		snprintf(rows[k].text, sizeof rows[k].text, "[%s :%s-:%s]", str(o, "state"), str(o, "local_port"),
			 str(o, "remote_port"));
	}
	for (size_t i = 0; i < k; i++)
		rows[i].order = (int)i;
	qsort(rows, k, sizeof *rows, by_time);
	return k;
}

/* The ladder: one lifeline per host, packets as arrows between them, each host's syscalls,
 * events, exits and socket states beside its lifeline (left of the first, right of the
 * others), times in ms at the left. One row per happening, so nothing overlaps. */
static void ladder(FILE *out, json_object *r, const char *indent, bool color)
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

	for (size_t i = 0; i < n; i++) {
		struct row *w = &rows[i];
		size_t len = strlen(w->text), cfrom = 0, cto = 0;

		memset(line, ' ', width);
		for (int k = 0; k < c.n; k++)
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
			fprintf(out, "%.*s%s%.*s%s%.*s\n", (int)cfrom, line, w->color, (int)(cto - cfrom), line + cfrom, RESET,
				(int)(end - cto), line + cto);
		else
			fprintf(out, "%.*s\n", (int)end, line);
	}
	free(line);
	free(rows);
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

static void text_result(FILE *out, json_object *r, const struct report_options *o)
{
	static const char *const label[] = { "PASS", "FAIL", "ERROR" };
	static const char *const colour[] = { GREEN, RED, RED };
	enum verdict v = verdict_of(r);
	json_object *f = arr(r, "failures"), *nt = arr(r, "notes");
	char name[160];

	display_name(r, o, name, sizeof name);
	if (o->color)
		fprintf(out, "%s%-5s%s", colour[v], label[v], RESET);
	else
		fprintf(out, "%-5s", label[v]);
	fprintf(out, " %-32s %-4s %8.0f ms  %s\n", name, str(r, "mode"), num(r, "duration_ms"), str(r, "summary"));
	for (size_t k = 0; k < alen(f); k++)
		put_indented(out, "      ", arr_str(f, k));
	if (o->verbose || o->explain || v != V_PASS)
		for (size_t k = 0; k < alen(nt); k++)
			fprintf(out, "      note: %s\n", arr_str(nt, k));
	if (o->verbose || o->explain) {
		json_object *ct = arr(r, "counters");
		fputc('\n', out);
		ladder(out, r, "  ", o->color);
		fputc('\n', out);
		/* Counters carry no time: they follow the ladder. */
		for (size_t k = 0; k < alen(ct); k++) {
			json_object *c = json_object_array_get_idx(ct, k);
			fprintf(out, "      counter: %s %s = %lld\n", str(c, "host"), str(c, "name"), i64(c, "value"));
		}
		if (alen(ct))
			fputc('\n', out);
	}
	if (o->explain) {
		const char *claim = str(r, "claim"), *lx = str(r, "linux");
		put_wrapped(out, "The claim:", *claim ? claim : "(the scenario file states none)");
		put_wrapped(out, "Linux does:", *lx ? lx : "(the scenario file states none: the ladder above is what it did)");
	}
	if ((o->verbose || o->explain) && *str(r, "timers"))
		put_wrapped(out, "Timers:", str(r, "timers"));
	if (o->explain)
		fputc('\n', out);
}

static int by_string(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* What --repeat compares between runs: the verdict, and each connection's own flag sequence
 * ("client>server S,server>client S.,..."; a connection is its two hosts and two ports; the
 * router's ICMP errors about one connection are a sequence of their own), the
 * connections sorted, not their ports (ephemeral ones differ from run to run) nor how their
 * packets interleave (two timers that fire on the same tick go out in either order). */
static char *flag_sequence(json_object *r)
{
	json_object *pk = arr(r, "packets");
	size_t n = alen(pk), nflows = 0;
	char **key = calloc(n ? n : 1, sizeof *key);
	char **seq = calloc(n ? n : 1, sizeof *seq);
	char *buf = NULL;
	size_t len = 0;
	FILE *m = NULL;

	for (size_t i = 0; key && seq && i < n; i++) {
		json_object *p = json_object_array_get_idx(pk, i);
		unsigned a = (unsigned)json_object_get_int(json_object_object_get(p, "sport"));
		unsigned b = (unsigned)json_object_get_int(json_object_object_get(p, "dport"));
		const char *x = str(p, "from"), *y = str(p, "to");
		bool swap = strcmp(x, y) > 0;
		char *flow = NULL;
		if (asprintf(&flow, "%u %u %s %s", a < b ? a : b, a < b ? b : a, swap ? y : x, swap ? x : y) < 0)
			goto out;
		size_t f = 0;
		while (f < nflows && strcmp(key[f], flow) != 0)
			f++;
		if (f == nflows)
			key[nflows++] = flow;
		else
			free(flow);
		char *old = seq[f], *grown = NULL;
		if (asprintf(&grown, "%s%s>%s %s,", old ? old : "", str(p, "from"), str(p, "to"), str(p, "flags")) < 0)
			goto out;
		free(old);
		seq[f] = grown;
	}
	if (!key || !seq || !(m = open_memstream(&buf, &len)))
		goto out;
	qsort(seq, nflows, sizeof *seq, by_string);
	fprintf(m, "%s|", str(r, "verdict"));
	for (size_t f = 0; f < nflows; f++)
		fprintf(m, "%s;", seq[f]);
out:
	if (m)
		fclose(m);
	for (size_t f = 0; seq && f < nflows; f++)
		free(seq[f]);
	for (size_t f = 0; key && f < nflows; f++)
		free(key[f]);
	free(seq);
	free(key);
	return buf;
}

/* With --repeat: the line naming every scenario (and family) whose verdict or some
 * connection's flag sequence was not the same in all its runs. */
static void varied(FILE *out, json_object *results, const struct report_options *o)
{
	size_t n = alen(results), count = 0;
	bool *seen = calloc(n ? n : 1, sizeof *seen);
	char *names = NULL;
	size_t nlen = 0;
	FILE *m = open_memstream(&names, &nlen);

	if (!seen || !m)
		goto out;
	for (size_t i = 0; i < n; i++) {
		if (seen[i])
			continue;
		json_object *a = json_object_array_get_idx(results, i);
		char *sig = flag_sequence(a);
		bool differs = false;
		for (size_t k = i + 1; k < n; k++) {
			json_object *b = json_object_array_get_idx(results, k);
			if (strcmp(str(a, "file"), str(b, "file")) || strcmp(str(a, "name"), str(b, "name")) ||
			    strcmp(str(a, "family"), str(b, "family")))
				continue;
			seen[k] = true;
			char *other = flag_sequence(b);
			differs |= !sig || !other || strcmp(sig, other) != 0;
			free(other);
		}
		free(sig);
		if (differs)
			fprintf(m, "%s%s (%s)", count++ ? ", " : "", str(a, "name"), str(a, "family"));
	}
	fclose(m);
	m = NULL;
	if (count)
		fprintf(out, "%zu scenario%s varied across %u runs: %s\n", count, count == 1 ? "" : "s", o->repeat, names);
	else
		fprintf(out, "0 scenarios varied across %u runs\n", o->repeat);
out:
	if (m)
		fclose(m);
	free(names);
	free(seen);
}

/* Makes every string in o safe for a terminal, in place: control characters other than tab
 * and newline become '?' (a scenario file cannot send escape sequences to the terminal),
 * invalid UTF-8 becomes U+FFFD. */
static void scrub(json_object *o)
{
	if (json_object_is_type(o, json_type_array)) {
		for (size_t i = 0; i < json_object_array_length(o); i++)
			scrub(json_object_array_get_idx(o, i));
		return;
	}
	if (json_object_is_type(o, json_type_object)) {
		json_object_object_foreach(o, key, val) {
			(void)key;
			scrub(val);
		}
		return;
	}
	if (!json_object_is_type(o, json_type_string))
		return;
	const unsigned char *p = (const unsigned char *)json_object_get_string(o);
	char *buf = NULL;
	size_t len = 0;
	FILE *m = open_memstream(&buf, &len);
	uint32_t cp;

	if (!m)
		return;
	while (*p) {
		size_t n = utf8_next(p, &cp);
		if (n == 0)
			fputs(REPLACEMENT, m);
		else if ((cp < 0x20 && cp != '\t' && cp != '\n') || (cp >= 0x7f && cp <= 0x9f))
			fputc('?', m);
		else
			fwrite(p, 1, n, m);
		p += n ? n : 1;
	}
	fclose(m);
	if (buf && strcmp(buf, json_object_get_string(o)) != 0)
		json_object_set_string(o, buf);
	free(buf);
}

static void text(FILE *out, json_object *raw, const struct report_options *o)
{
	unsigned count[3] = { 0 };
	json_object *results = NULL;

	if (json_object_deep_copy(raw, &results, NULL) == 0)
		scrub(results);
	else /* out of memory: the report unscrubbed rather than none */
		results = json_object_get(raw);

	for (size_t i = 0; i < alen(results); i++) {
		json_object *r = json_object_array_get_idx(results, i);
		count[verdict_of(r)]++;
		text_result(out, r, o);
	}
	fprintf(out, "%u passed, %u failed, %u errors\n", count[V_PASS], count[V_FAIL], count[V_ERROR]);
	if (o->repeat > 1)
		varied(out, results, o);
	json_object_put(results);
}

/* ---- JUnit XML ---- */

static void junit(FILE *out, json_object *results, const struct report_options *o)
{
	unsigned count[3] = { 0 };
	double total = 0;

	for (size_t i = 0; i < alen(results); i++) {
		json_object *r = json_object_array_get_idx(results, i);
		count[verdict_of(r)]++;
		total += num(r, "duration_ms") / 1000.0;
	}
	fputs("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n", out);
	fprintf(out, "<testsuites name=\"tcpfault\" tests=\"%zu\" failures=\"%u\" errors=\"%u\" time=\"%.3f\">\n",
		alen(results), count[V_FAIL], count[V_ERROR], total);
	fprintf(out, "  <testsuite name=\"tcpfault\" tests=\"%zu\" failures=\"%u\" errors=\"%u\" skipped=\"0\" time=\"%.3f\">\n",
		alen(results), count[V_FAIL], count[V_ERROR], total);
	for (size_t i = 0; i < alen(results); i++) {
		json_object *r = json_object_array_get_idx(results, i);
		enum verdict v = verdict_of(r);
		char name[160], line[1024];

		display_name(r, o, name, sizeof name);
		fputs("    <testcase classname=\"tcpfault.", out);
		put_xml(out, str(r, "mode"), true);
		fputs("\" name=\"", out);
		put_xml(out, name, true);
		fprintf(out, "\" time=\"%.3f\">\n", num(r, "duration_ms") / 1000.0);
		if (v != V_PASS) {
			const char *tag = v == V_FAIL ? "failure" : "error";
			json_object *f = arr(r, "failures");
			fprintf(out, "      <%s message=\"", tag);
			put_xml(out, first_line(r, v == V_FAIL ? "failed" : "could not run", line, sizeof line), true);
			fprintf(out, "\" type=\"%s\">", v == V_FAIL ? "fail" : "error");
			for (size_t k = 0; k < alen(f); k++) {
				put_xml(out, arr_str(f, k), false);
				if (k + 1 < alen(f))
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
	}
	fputs("  </testsuite>\n</testsuites>\n", out);
}

/* ---- TAP 14 ---- */

static void tap(FILE *out, json_object *results, const struct report_options *o)
{
	fprintf(out, "TAP version 14\n1..%zu\n", alen(results));
	for (size_t i = 0; i < alen(results); i++) {
		json_object *r = json_object_array_get_idx(results, i);
		enum verdict v = verdict_of(r);
		char name[160], line[1024];

		display_name(r, o, name, sizeof name);
		fprintf(out, "%s %zu - ", v == V_PASS ? "ok" : "not ok", i + 1);
		put_tap_desc(out, name);
		fputc('\n', out);
		if (v == V_PASS)
			continue;
		json_object *f = arr(r, "failures");
		fputs("  ---\n  message: ", out);
		put_yaml(out, first_line(r, v == V_FAIL ? "failed" : "could not run", line, sizeof line));
		fprintf(out, "\n  verdict: %s\n  mode: ", v == V_FAIL ? "fail" : "error");
		put_yaml(out, str(r, "mode"));
		fputs("\n  file: ", out);
		put_yaml(out, str(r, "file"));
		fprintf(out, "\n  duration_ms: %.3f\n", num(r, "duration_ms"));
		if (alen(f)) {
			/* One string, not a sequence: Perl's TAP::Parser (prove) reads a quoted sequence
			 * item holding ": " as a mapping and gives up. */
			char *all = NULL;
			size_t len = 0;
			FILE *m = open_memstream(&all, &len);
			if (m) {
				for (size_t k = 0; k < alen(f); k++)
					fprintf(m, "%s%s", k ? "\n" : "", arr_str(f, k));
				fclose(m);
				fputs("  details: ", out);
				put_yaml(out, all);
				fputc('\n', out);
			}
			free(all);
		}
		fputs("  ...\n", out);
	}
}

void report_write(FILE *out, enum report_format f, json_object *results, const struct report_options *o)
{
	static const struct report_options plain = { .repeat = 1 };

	if (!o)
		o = &plain;
	switch (f) {
	case REPORT_JSON: {
		json_object *top = json_object_new_object();
		json_object_object_add(top, "tcpfault", json_object_new_string(TCPFAULT_VERSION));
		json_object_object_add(top, "results", json_object_get(results));
		/* json-c passes bytes through; JSON must be UTF-8. */
		put_utf8(out, json_object_to_json_string_ext(top, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_NOSLASHESCAPE));
		fputc('\n', out);
		json_object_put(top);
		break;
	}
	case REPORT_JUNIT:
		junit(out, results, o);
		break;
	case REPORT_TAP:
		tap(out, results, o);
		break;
	case REPORT_TEXT:
	default:
		text(out, results, o);
	}
}
