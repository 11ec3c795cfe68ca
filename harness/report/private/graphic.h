/* SPDX-License-Identifier: MIT */
/*
 * Inside the report library only: what the graphic reports (html.c, mermaid.c) share with
 * each other and with report.c. Not a public header: cli/ and run/ use report.h.
 */
#pragma once

#include <stdint.h>
#include <stdio.h>

#include "report.h"

#define REPORT_MAX_COLUMNS 16

/* Length of the valid UTF-8 sequence at s (1-4) and its code point, or 0 if s starts an
 * invalid one (report.c). */
size_t report_utf8_next(const unsigned char *s, uint32_t *ret_cp);

/* The columns of a result's diagrams, one per host. */
struct report_columns {
	char name[REPORT_MAX_COLUMNS][32];
	char addr[REPORT_MAX_COLUMNS][64];    /* the host's address in the run's family; "": unknown */
	int n;
};

/* The columns of r: the scenario's hosts in its 'hosts' order where the result has them
 * (r->hosts, with their addresses), else client, then server; then any other host the result
 * names, in the order it first appears. A program ("client.curl") is in its host's column.
 * Past REPORT_MAX_COLUMNS hosts, the rest share the last column. */
void report_columns(const struct result *r, struct report_columns *c);
/* A death as the diagrams say it: "(peer killed by SIGKILL)" at the time the signal was sent;
 * "(reaped: curl exited, status 0)" where the time is only the reap's, after the death. */
void report_exit_words(const struct result_exit *e, char *buf, size_t len);
/* The column of a host or program name; the last if it has none. */
int report_column_of(const struct report_columns *c, const char *name);

/* Whether counter_deltas entry k is the first of its host (the text and the HTML list each
 * host's deltas once, at its first entry). */
bool report_delta_first(const struct result *r, size_t k);

/* Writes s as HTML text or attribute value: markup characters as references, controls other
 * than tab and newline and invalid UTF-8 as U+FFFD. markdown: also the ASCII punctuation
 * Markdown gives a meaning to inside a line ('|', '*', '_', '`', '[', ']', '\\', '#', '!',
 * '~') as a reference, and newlines as spaces, so the text is literal in a GitHub Markdown
 * heading or table cell ('-', '.', ':' and brackets stay as they are: they mean something only
 * at a line's start, or after a ']', and the text never starts a line). */
void report_put_html(FILE *out, const char *s, bool markdown);
