/* SPDX-License-Identifier: MIT */
/*
 * The scenario language's own parts: what scenario.c (lines, headers) and statements.c (the
 * statement table and each statement's parser) share. Nothing else includes it.
 */
#pragma once

#include "harness.h"

#define MAX_TOKENS 24

struct token {
	const char *s;
	unsigned col;
};

/* One line being parsed. */
struct parser {
	const char *path;
	unsigned line;
	struct token tok[MAX_TOKENS];
	unsigned ntok;
	char *err;
	size_t errlen;
	struct scenario *s;
	unsigned eq_at, within_at, after_at;  /* the line's '=', 'within', 'after' (token index), if given */
	/* Set by the dispatch for the statement's parser: */
	const struct statement *stmt;     /* the table entry that matched */
	unsigned at;                      /* the first token after the keyword (and HOST.PROGRAM, MATCH_PROGRAM) */
	unsigned n;                       /* tokens left once 'within'/'after' are taken off the end */
	bool waits;                       /* an 'await' line rather than 'expect' */
	const char *raw;                  /* the line as written (STMT_RAW) */
	const char *rest;                 /* raw after the first word, blanks skipped */
};

/* "FILE:LINE:COL: message" into p->err; -EINVAL. */
int fail_at(struct parser *p, unsigned col, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* The same at token i (past the end: the last token). */
int fail_tok(struct parser *p, unsigned i, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* A whole number in [min, max]. */
int parse_num(const char *s, long long min, long long max, long long *ret);
int parse_duration(const char *s, int *ret_ms);
/* 1 to max - 1 letters, digits, '_' or '-'. */
bool valid_name(const char *s, size_t max);
/* Splits line (modified in place) into tokens; '#' ends it. */
int tokenize(struct parser *p, char *line);

/* statements.c */
/* Whether line (blanks skipped) is a statement that takes its rest as written. */
bool statement_is_raw(const char *line);
/* Parses the line's step through the statement table, then what it takes at its end. */
int statement_parse(struct parser *p, struct step *st);
/* The most peer commands an operation step may send (with the socket and bind made first). */
unsigned statement_cmds(const struct step *st);
