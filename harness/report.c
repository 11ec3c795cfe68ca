/* SPDX-License-Identifier: MIT */
/*
 * Reports: the results of a run (a json array of result objects, in catalog order) written as
 * text for people or as json for scripts. Every format says the same thing; json carries it
 * all. The text format ends with the line "N passed, N failed, N errors".
 */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "harness.h"

int report_format_from_name(const char *name)
{
	if (strcmp(name, "text") == 0)
		return REPORT_TEXT;
	if (strcmp(name, "json") == 0)
		return REPORT_JSON;
	return -1;
}

static const char *str(json_object *o, const char *key)
{
	json_object *v = json_object_object_get(o, key);
	return v ? json_object_get_string(v) : "";
}

static double num(json_object *o, const char *key)
{
	return json_object_get_double(json_object_object_get(o, key));
}

/* One line of the timeline: what happened at t_ms, in the column of the host it concerns. */
struct line {
	double t;
	int order;
	char text[200];
};

static int by_time(const void *a, const void *b)
{
	const struct line *x = a, *y = b;
	if (x->t != y->t)
		return x->t < y->t ? -1 : 1;
	return x->order - y->order;
}

/* The timeline: packets on the wire between the columns, syscalls and events beside the host
 * that made them. The full ladder diagram is built on the same lines. */
static void timeline(FILE *out, json_object *res)
{
	json_object *sys = json_object_object_get(res, "syscalls");
	json_object *pk = json_object_object_get(res, "packets");
	json_object *ev = json_object_object_get(res, "events");
	json_object *ex = json_object_object_get(res, "exits");
	json_object *st = json_object_object_get(res, "states");
	size_t n = json_object_array_length(sys) + json_object_array_length(pk) +
		   json_object_array_length(ev) + json_object_array_length(ex) + json_object_array_length(st);
	struct line *l = calloc(n ? n : 1, sizeof *l);
	size_t k = 0;

	if (!l)
		return;
	for (size_t i = 0; i < json_object_array_length(sys); i++, k++) {
		json_object *o = json_object_array_get_idx(sys, i);
		const char *e = str(o, "errno");
		l[k] = (struct line){ .t = num(o, "t_ms"), .order = (int)k };
		snprintf(l[k].text, sizeof l[k].text, "%-8s %s.%s %s = %lld%s%s", str(o, "peer"), str(o, "peer"),
			 str(o, "socket"), str(o, "call"), (long long)json_object_get_int64(json_object_object_get(o, "ret")),
			 *e ? " " : "", e);
	}
	for (size_t i = 0; i < json_object_array_length(pk); i++, k++) {
		json_object *o = json_object_array_get_idx(pk, i);
		l[k] = (struct line){ .t = num(o, "t_ms"), .order = (int)k };
		snprintf(l[k].text, sizeof l[k].text, "%-8s %s > %s  [%s] seq %lld ack %lld len %lld", "wire",
			 str(o, "from"), str(o, "to"), str(o, "flags"),
			 (long long)json_object_get_int64(json_object_object_get(o, "seq")),
			 (long long)json_object_get_int64(json_object_object_get(o, "ack")),
			 (long long)json_object_get_int64(json_object_object_get(o, "len")));
	}
	for (size_t i = 0; i < json_object_array_length(ev); i++, k++) {
		json_object *o = json_object_array_get_idx(ev, i);
		l[k] = (struct line){ .t = num(o, "t_ms"), .order = (int)k };
		snprintf(l[k].text, sizeof l[k].text, "%-8s *** %s", str(o, "host"), str(o, "event"));
	}
	for (size_t i = 0; i < json_object_array_length(ex); i++, k++) {
		json_object *o = json_object_array_get_idx(ex, i);
		l[k] = (struct line){ .t = num(o, "t_ms"), .order = (int)k };
		if (json_object_object_get(o, "signal"))
			snprintf(l[k].text, sizeof l[k].text, "%-8s peer killed by %s", str(o, "peer"), str(o, "signal"));
		else
			snprintf(l[k].text, sizeof l[k].text, "%-8s peer exited, status %s", str(o, "peer"), str(o, "status"));
	}
	for (size_t i = 0; i < json_object_array_length(st); i++, k++) {
		json_object *o = json_object_array_get_idx(st, i);
		l[k] = (struct line){ .t = num(o, "t_ms"), .order = (int)k };
		snprintf(l[k].text, sizeof l[k].text, "%-8s socket :%s-:%s is %s", str(o, "host"),
			 str(o, "local_port"), str(o, "remote_port"), str(o, "state"));
	}
	qsort(l, k, sizeof *l, by_time);
	for (size_t i = 0; i < k; i++)
		fprintf(out, "      %9.3f ms  %s\n", l[i].t, l[i].text);
	free(l);
}

static void text(FILE *out, json_object *results, bool verbose)
{
	unsigned pass = 0, fail = 0, error = 0;

	for (size_t i = 0; i < json_object_array_length(results); i++) {
		json_object *r = json_object_array_get_idx(results, i);
		const char *v = str(r, "verdict");
		char name[96];
		snprintf(name, sizeof name, "%s (%s)", str(r, "name"), str(r, "family"));
		fprintf(out, "%-5s %-32s %-4s %8.0f ms  %s\n", strcmp(v, "pass") == 0 ? "PASS" :
			strcmp(v, "fail") == 0 ? "FAIL" : "ERROR", name, str(r, "mode"), num(r, "duration_ms"),
			str(r, "summary"));
		pass += strcmp(v, "pass") == 0;
		fail += strcmp(v, "fail") == 0;
		error += strcmp(v, "pass") && strcmp(v, "fail");
		json_object *f = json_object_object_get(r, "failures");
		for (size_t k = 0; k < json_object_array_length(f); k++) {
			const char *msg = json_object_get_string(json_object_array_get_idx(f, k));
			fputs("      ", out);
			for (const char *c = msg; *c; c++) {
				fputc(*c, out);
				if (*c == '\n')
					fputs("      ", out);
			}
			fputc('\n', out);
		}
		if (verbose || strcmp(v, "pass") != 0) {
			json_object *nt = json_object_object_get(r, "notes");
			for (size_t k = 0; k < json_object_array_length(nt); k++)
				fprintf(out, "      note: %s\n", json_object_get_string(json_object_array_get_idx(nt, k)));
		}
		if (verbose) {
			timeline(out, r);
			if (*str(r, "timers"))
				fprintf(out, "      timers: %s\n", str(r, "timers"));
		}
	}
	fprintf(out, "%u passed, %u failed, %u errors\n", pass, fail, error);
}

void report_write(FILE *out, enum report_format f, json_object *results, bool verbose)
{
	if (f == REPORT_JSON) {
		json_object *top = json_object_new_object();
		json_object_object_add(top, "tcpfault", json_object_new_string(TCPFAULT_VERSION));
		json_object_object_add(top, "results", json_object_get(results));
		fputs(json_object_to_json_string_ext(top, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_NOSLASHESCAPE), out);
		fputc('\n', out);
		json_object_put(top);
		return;
	}
	text(out, results, verbose);
}
